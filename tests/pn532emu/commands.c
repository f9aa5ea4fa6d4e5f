/* Control-socket command language. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "emu.h"
#include "log.h"
#include "timing.h"

#define MAX_WORDS 6

static size_t split_words(char *line, char **words)
{
	size_t n = 0;
	char *save = NULL;

	for (char *w = strtok_r(line, " \t", &save); w && n < MAX_WORDS; w = strtok_r(NULL, " \t", &save))
		words[n++] = w;
	return n;
}

static int parse_hex(const char *text, uint8_t *out, size_t cap, size_t *len)
{
	size_t digits = strlen(text);

	if (digits % 2 != 0 || digits / 2 > cap)
		return -EINVAL;
	for (size_t i = 0; i < digits / 2; i++) {
		char pair[3] = { text[2 * i], text[2 * i + 1], '\0' };
		char *end;
		unsigned long v = strtoul(pair, &end, 16);
		if (*end != '\0' || pair[0] == '+' || pair[0] == '-' || pair[0] == ' ')
			return -EINVAL;
		out[i] = (uint8_t)v;
	}
	*len = digits / 2;
	return 0;
}

static bool parse_count(const char *text, unsigned *out)
{
	char *end;
	unsigned long v = strtoul(text, &end, 10);

	if (*text == '\0' || *end != '\0' || v > 1000000)
		return false;
	*out = (unsigned)v;
	return true;
}

static void print_uid(struct control_reply *reply, const uint8_t *uid, size_t len)
{
	for (size_t i = 0; i < len; i++)
		control_printf(reply, "%02x", uid[i]);
}

static void cmd_add(struct emu *e, char **w, size_t n, struct control_reply *reply)
{
	const struct tag_kind *kind;
	uint8_t uid[TAG_UID_MAX];
	size_t uid_len = 0;
	struct tag *t;
	int err;

	if (n < 3 || n > 4) {
		control_printf(reply, "error: usage: add NAME KIND [UIDHEX]\n");
		return;
	}
	kind = tag_kind_find(w[2]);
	if (!kind) {
		control_printf(reply, "error: unknown kind '%s' (kinds: %s)\n", w[2], tag_kind_names());
		return;
	}
	if (n == 4 && (parse_hex(w[3], uid, sizeof(uid), &uid_len) < 0 ||
		       (uid_len != 4 && uid_len != 7 && uid_len != 10))) {
		control_printf(reply, "error: UID must be 4, 7 or 10 bytes of hex\n");
		return;
	}
	t = tagset_add(&e->tags, w[1], kind, n == 4 ? uid : NULL, uid_len, e->chip.field_on, &err);
	if (!t) {
		control_printf(reply, "error: cannot add '%s': %s\n", w[1],
			       err == -EEXIST ? "name in use" : err == -ENOSPC ? "reader full" : "bad name");
		return;
	}
	log_note("badge %s (%s) placed on the reader", t->name, t->kind->name);
	chip_badge_arrives(&e->chip, timing_now());
	emu_run_pending(e);
	control_printf(reply, "ok\n");
}

static void cmd_remove(struct emu *e, char **w, size_t n, struct control_reply *reply)
{
	if (n != 2) {
		control_printf(reply, "error: usage: remove NAME|all\n");
		return;
	}
	if (strcmp(w[1], "all") == 0)
		tagset_remove_all(&e->tags);
	else if (tagset_remove(&e->tags, w[1]) < 0) {
		control_printf(reply, "error: no badge named '%s'\n", w[1]);
		return;
	}
	log_note("badge %s taken away", w[1]);
	control_printf(reply, "ok\n");
}

static void cmd_list(struct emu *e, struct control_reply *reply)
{
	for (size_t i = 0; i < TAG_MAX; i++) {
		const struct tag *t = &e->tags.tags[i];
		if (!t->used)
			continue;
		control_printf(reply, "%s %s uid=", t->name, t->kind->name);
		print_uid(reply, t->uid, t->uid_len);
		control_printf(reply, " atqa=%02x%02x sak=%02x state=%s\n", t->atqa[0], t->atqa[1], t->sak,
			       tag_state_name(t->state));
	}
	control_printf(reply, "ok\n");
}

static void cmd_fault_count(unsigned *counter, char **w, size_t n, struct control_reply *reply)
{
	if (n != 2 || !parse_count(w[1], counter)) {
		control_printf(reply, "error: usage: %s N\n", w[0]);
		return;
	}
	control_printf(reply, "ok\n");
}

static void cmd_silent(struct emu *e, char **w, size_t n, struct control_reply *reply)
{
	if (n != 2 || (strcmp(w[1], "on") != 0 && strcmp(w[1], "off") != 0)) {
		control_printf(reply, "error: usage: silent on|off\n");
		return;
	}
	e->silent = strcmp(w[1], "on") == 0;
	frame_parser_reset(&e->parser);
	if (e->silent)
		chip_abort(&e->chip);
	control_printf(reply, "ok\n");
}

static void cmd_vanish(struct emu *e, struct control_reply *reply)
{
	if (!link_is_up(&e->link)) {
		control_printf(reply, "error: device already gone\n");
		return;
	}
	emu_link_down(e);
	control_printf(reply, "ok\n");
}

static void cmd_return(struct emu *e, struct control_reply *reply)
{
	int err;

	if (link_is_up(&e->link)) {
		control_printf(reply, "error: device is present\n");
		return;
	}
	err = emu_link_up(e);
	if (err < 0)
		control_printf(reply, "error: cannot create pty: %s\n", strerror(-err));
	else
		control_printf(reply, "ok\n");
}

void emu_control_line(void *ctx, char *line, struct control_reply *reply)
{
	struct emu *e = ctx;
	char *w[MAX_WORDS];
	size_t n = split_words(line, w);

	if (n == 0) {
		control_printf(reply, "error: empty command\n");
		return;
	}
	log_note("control: %s", w[0]);
	if (strcmp(w[0], "add") == 0)
		cmd_add(e, w, n, reply);
	else if (strcmp(w[0], "remove") == 0)
		cmd_remove(e, w, n, reply);
	else if (strcmp(w[0], "list") == 0)
		cmd_list(e, reply);
	else if (strcmp(w[0], "silent") == 0)
		cmd_silent(e, w, n, reply);
	else if (strcmp(w[0], "garbage") == 0)
		cmd_fault_count(&e->garbage_left, w, n, reply);
	else if (strcmp(w[0], "badcsum") == 0)
		cmd_fault_count(&e->badcsum_left, w, n, reply);
	else if (strcmp(w[0], "vanish") == 0)
		cmd_vanish(e, reply);
	else if (strcmp(w[0], "return") == 0)
		cmd_return(e, reply);
	else if (strcmp(w[0], "quit") == 0) {
		e->quit = true;
		control_printf(reply, "ok\n");
	} else
		control_printf(reply, "error: unknown command '%s'\n", w[0]);
}
