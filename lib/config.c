/* tapmeetd.conf, parsed with inih. Every key is in the table below; anything
 * else is an error naming the file and line, so a typo never silently
 * leaves a default in place. */
#include "tapmeet/config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistr.h>
#include <unistd.h>

#include "tapmeet/log.h"

bool tm_station_id_valid(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > TM_STATION_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)id[i]) && id[i] != '-' && id[i] != '_' && id[i] != '.')
			return false;
	return true;
}

static void resolve_lines(struct tm_config *cfg, const char *const values[],
			  const bool active_low[]);

void tm_config_defaults(struct tm_config *cfg)
{
	char host[64] = "";

	memset(cfg, 0, sizeof(*cfg));
	/* A station is usually one Pi: its host name is a good default id. */
	if (gethostname(host, sizeof(host) - 1) == 0 && tm_station_id_valid(host))
		snprintf(cfg->station_id, sizeof(cfg->station_id), "%s", host);
	else
		snprintf(cfg->station_id, sizeof(cfg->station_id), "station");
	snprintf(cfg->reader_driver, sizeof(cfg->reader_driver), "libnfc");
	snprintf(cfg->reader_sim_path, sizeof(cfg->reader_sim_path), "/run/tapmeet/sim.fifo");
	snprintf(cfg->station_status_file, sizeof(cfg->station_status_file), "/run/tapmeet/status");
	cfg->reader_poll_ms = 100;
	snprintf(cfg->store_path, sizeof(cfg->store_path), "%s", TM_DEFAULT_DB_PATH);
	cfg->store_busy_timeout_ms = 1000;
	cfg->store_retry_ms = 1000;
	tm_engine_config_defaults(&cfg->pairing);
	snprintf(cfg->leds_driver, sizeof(cfg->leds_driver), "gpiod");
	snprintf(cfg->leds_chip, sizeof(cfg->leds_chip), "gpiochip0");
	cfg->leds_wiring = TM_WIRING_SEPARATE;
	resolve_lines(cfg, NULL, NULL);
	cfg->leds_color = true;
	snprintf(cfg->log_level, sizeof(cfg->log_level), "info");
}

int64_t tm_parse_duration_ms(const char *text)
{
	char *end;
	double value, scale = 1000;

	errno = 0;
	value = strtod(text, &end);
	if (end == text || errno || !isfinite(value) || value < 0)
		return -EINVAL;
	while (isspace((unsigned char)*end))
		end++;
	if (strcmp(end, "ms") == 0)
		scale = 1;
	else if (strcmp(end, "s") == 0 || *end == '\0')
		scale = 1000;
	else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
		scale = 60000;
	else if (strcmp(end, "h") == 0)
		scale = 3600000;
	else
		return -EINVAL;
	if (value * scale > 7.0 * 24 * 3600 * 1000)
		return -EINVAL; /* a week: no timing here is meant to be longer */
	return (int64_t)llround(value * scale);
}

/* --- the key table ------------------------------------------------------ */

enum key_type { K_STRING, K_STATION_ID, K_BOOL, K_DURATION, K_CHOICE, K_WIRING, K_LEVEL };

struct key {
	const char *section;
	const char *name;
	enum key_type type;
	size_t offset;
	size_t size;          /* strings */
	const char *choices;  /* K_CHOICE: "a|b|c" */
	int64_t min_ms, max_ms; /* durations */
	const char *why;        /* durations: why the range, said in the error */
};

#define OFF(field) offsetof(struct tm_config, field)
#define STR(sec, key, field) { sec, key, K_STRING, OFF(field), sizeof(((struct tm_config *)0)->field), NULL, 0, 0, NULL }
#define BOOL(sec, key, field) { sec, key, K_BOOL, OFF(field), 0, NULL, 0, 0, NULL }
#define DUR(sec, key, field, lo, hi) { sec, key, K_DURATION, OFF(field), 0, NULL, lo, hi, NULL }
#define DUR_WHY(sec, key, field, lo, hi, why) { sec, key, K_DURATION, OFF(field), 0, NULL, lo, hi, why }
#define CHOICE(sec, key, field, list) { sec, key, K_CHOICE, OFF(field), sizeof(((struct tm_config *)0)->field), list, 0, 0, NULL }

/* The event loop waits while a write waits for a lock, and the unit's
 * WatchdogSec is 30s: a third of it leaves room for the commit itself and
 * for a stop that comes meanwhile. */
#define BUSY_TIMEOUT_MAX_MS 10000

static const struct key keys[] = {
	{ "station", "id", K_STATION_ID, OFF(station_id), sizeof(((struct tm_config *)0)->station_id), NULL, 0, 0, NULL },
	STR("station", "name", station_name),
	STR("station", "status_file", station_status_file),
	CHOICE("reader", "driver", reader_driver, "libnfc|sim"),
	STR("reader", "device", reader_device),
	STR("reader", "sim_path", reader_sim_path),
	DUR("reader", "poll_interval", reader_poll_ms, 10, 5000),
	STR("store", "path", store_path),
	DUR_WHY("store", "busy_timeout", store_busy_timeout_ms, 0, BUSY_TIMEOUT_MAX_MS,
		"a write waiting longer than that keeps a stop waiting and outlives the "
		"service's 30 s watchdog"),
	DUR("store", "retry_interval", store_retry_ms, 100, 600000),
	DUR("pairing", "window", pairing.window_ms, 1000, 600000),
	DUR("pairing", "repeat_guard", pairing.repeat_guard_ms, 0, 86400000),
	DUR("pairing", "rearm", pairing.rearm_ms, 0, 60000),
	DUR("pairing", "confirm", pairing.confirm_ms, 0, 60000),
	DUR("pairing", "hurry", pairing.hurry_ms, 0, 600000),
	BOOL("pairing", "sequential", pairing.sequential),
	DUR("pairing", "after_meeting", pairing.after_meeting_ms, 0, 86400000),
	DUR("pairing", "suspect_delay", pairing.suspect_delay_ms, 0, 600000),
	BOOL("pairing", "suspect_sequential", pairing.suspect_sequential),
	DUR("pairing", "min_dwell", pairing.min_dwell_ms, 0, 5000),
	CHOICE("leds", "driver", leds_driver, "gpiod|sim|none"),
	BOOL("leds", "required", leds_required),
	STR("leds", "chip", leds_chip),
	{ "leds", "wiring", K_WIRING, OFF(leds_wiring), 0, NULL, 0, 0, NULL },
	BOOL("leds", "color", leds_color),
	{ "log", "level", K_LEVEL, OFF(log_level), sizeof(((struct tm_config *)0)->log_level), NULL, 0, 0, NULL },
	STR("privacy", "uid_key", privacy_uid_key),
};

/* --- the LED line keys ----------------------------------------------------
 * The one rule for them (docs/leds-hardware.md describes it): a key that the
 * wiring uses and the file leaves unset takes its default below, each line on
 * its own, whatever the other keys say; a key set to an empty value or to
 * "none" means that light is not connected; a key that the wiring does not
 * use is an error. Separate LEDs: green, amber, red (GPIO17, 27, 22). One RGB
 * LED: red, green, blue (GPIO22, 17, 27). The buzzer has no default. */
#define NO_LINE (-1)

_Static_assert(TM_WIRING_SEPARATE == 0 && TM_WIRING_RGB == 1, "line_keys is indexed by wiring");

static const struct line_key {
	const char *name;
	int slot[2];            /* index into cfg->lines, by wiring; NO_LINE: not used */
	const char *fallback[2]; /* the default, by wiring; NULL: not connected */
} line_keys[] = {
	/*           separate rgb            separate  rgb */
	{ "green",  { 0,       1 },       { "GPIO17", "GPIO17" } },
	{ "amber",  { 1,       NO_LINE }, { "GPIO27", NULL } },
	{ "red",    { 2,       0 },       { "GPIO22", "GPIO22" } },
	{ "blue",   { NO_LINE, 2 },       { NULL,     "GPIO27" } },
	{ "buzzer", { 3,       3 },       { NULL,     NULL } },
};

#define N_LINE_KEYS (sizeof(line_keys) / sizeof(line_keys[0]))

static const char *wiring_name(enum tm_wiring wiring)
{
	return wiring == TM_WIRING_RGB ? "rgb" : "separate";
}

static bool line_not_connected(const char *value)
{
	return value[0] == '\0' || strcasecmp(value, "none") == 0;
}

/* Fills cfg->lines from the table: values[i] is what the file gave for
 * line_keys[i] (NULL: unset, so the default), active_low[i] likewise. */
static void resolve_lines(struct tm_config *cfg, const char *const values[],
			  const bool active_low[])
{
	unsigned w = cfg->leds_wiring == TM_WIRING_RGB ? 1 : 0;

	memset(cfg->lines, 0, sizeof(cfg->lines));
	for (size_t i = 0; i < N_LINE_KEYS; i++) {
		int slot = line_keys[i].slot[w];
		const char *v = values && values[i] ? values[i] : line_keys[i].fallback[w];

		if (slot == NO_LINE)
			continue;
		if (v && !line_not_connected(v))
			snprintf(cfg->lines[slot].name, TM_NAME_MAX, "%s", v);
		cfg->lines[slot].active_low = active_low && active_low[i];
	}
}

/* The GPIO number a line value names, or -1 for another name: "17" is an
 * offset, and on a Pi the device tree names offset n "GPIOn", so "GPIO17"
 * is the same line. */
static long gpio_number(const char *name)
{
	if (strncmp(name, "GPIO", 4) == 0)
		name += 4;
	if (name[0] == '\0' || strlen(name) > 6 || strspn(name, "0123456789") != strlen(name))
		return -1;
	return strtol(name, NULL, 10);
}

static bool same_gpio(const char *a, const char *b)
{
	long na = gpio_number(a), nb = gpio_number(b);

	if (na >= 0 || nb >= 0)
		return na == nb;
	return strcmp(a, b) == 0;
}

int tm_config_format_leds(const struct tm_config *cfg, char *buf, size_t size)
{
	unsigned w = cfg->leds_wiring == TM_WIRING_RGB ? 1 : 0;
	size_t used = 0;
	int n;

	n = snprintf(buf, size, "leds: driver=%s chip=%s wiring=%s", cfg->leds_driver,
		     cfg->leds_chip, wiring_name(cfg->leds_wiring));
	if (n < 0)
		return n;
	used = (size_t)n;
	for (int slot = 0; slot < TM_LINES_MAX; slot++) {
		for (size_t i = 0; i < N_LINE_KEYS; i++) {
			const struct tm_config_line *line = &cfg->lines[slot];

			if (line_keys[i].slot[w] != slot)
				continue;
			n = snprintf(used < size ? buf + used : NULL, used < size ? size - used : 0,
				     " %s=%s%s", line_keys[i].name,
				     line->name[0] ? line->name : "(not connected)",
				     line->name[0] && line->active_low ? "(active-low)" : "");
			if (n < 0)
				return n;
			used += (size_t)n;
		}
	}
	return (int)used;
}

struct parse_state {
	struct tm_config *cfg;
	const char *name;
	char *err;
	size_t err_size;
	bool failed;
	/* Which keys were set, to refuse a key given twice. */
	bool seen[sizeof(keys) / sizeof(keys[0])];
	bool line_seen[N_LINE_KEYS][2];
	const char *line_value[N_LINE_KEYS];
	char line_store[N_LINE_KEYS][TM_NAME_MAX];
	bool line_active_low[N_LINE_KEYS];
};

static bool parse_bool(const char *v, bool *out)
{
	if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcasecmp(v, "on") || !strcmp(v, "1")) {
		*out = true;
		return true;
	}
	if (!strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcasecmp(v, "off") || !strcmp(v, "0")) {
		*out = false;
		return true;
	}
	return false;
}

static bool in_choices(const char *list, const char *v)
{
	size_t n = strlen(v);

	while (*list) {
		size_t len = strcspn(list, "|");

		if (len == n && strncmp(list, v, n) == 0)
			return true;
		list += len;
		if (*list == '|')
			list++;
	}
	return false;
}

static int fail(struct parse_state *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct parse_state *st, const char *fmt, ...)
{
	va_list ap;

	if (!st->failed) {
		va_start(ap, fmt);
		vsnprintf(st->err, st->err_size, fmt, ap);
		va_end(ap);
		st->failed = true;
	}
	return 0; /* inih: an error on this line */
}

static int set_key(struct parse_state *st, const struct key *k, const char *value)
{
	char *field = (char *)st->cfg + k->offset;

	switch (k->type) {
	case K_STRING:
		if (strlen(value) >= k->size)
			return fail(st, "[%s] %s is too long (at most %zu characters)", k->section,
				    k->name, k->size - 1);
		snprintf(field, k->size, "%s", value);
		return 1;
	case K_STATION_ID:
		if (!tm_station_id_valid(value))
			return fail(st, "[station] id '%s' must be 1-%d characters of A-Z a-z 0-9 - _ .",
				    value, TM_STATION_ID_MAX);
		snprintf(field, k->size, "%s", value);
		return 1;
	case K_BOOL:
		if (!parse_bool(value, (bool *)(void *)field))
			return fail(st, "[%s] %s = '%s' is not a boolean (true or false)", k->section,
				    k->name, value);
		return 1;
	case K_DURATION: {
		int64_t ms = tm_parse_duration_ms(value);

		if (ms < 0)
			return fail(st, "[%s] %s = '%s' is not a duration (e.g. 8s, 500ms, 2m)",
				    k->section, k->name, value);
		if (ms < k->min_ms || ms > k->max_ms)
			return fail(st, "[%s] %s = %s is out of range (%lldms to %lldms%s%s)",
				    k->section, k->name, value, (long long)k->min_ms,
				    (long long)k->max_ms, k->why ? ": " : "", k->why ? k->why : "");
		*(int64_t *)(void *)field = ms;
		return 1;
	}
	case K_CHOICE:
		if (!in_choices(k->choices, value))
			return fail(st, "[%s] %s = '%s' is not one of %s", k->section, k->name, value,
				    k->choices);
		snprintf(field, k->size, "%s", value);
		return 1;
	case K_WIRING:
		if (strcmp(value, "separate") == 0)
			st->cfg->leds_wiring = TM_WIRING_SEPARATE;
		else if (strcmp(value, "rgb") == 0)
			st->cfg->leds_wiring = TM_WIRING_RGB;
		else
			return fail(st, "[leds] wiring = '%s' is not one of separate|rgb", value);
		return 1;
	case K_LEVEL:
		if (tm_log_level_parse(value) < 0)
			return fail(st, "[log] level = '%s' is not one of debug|info|notice|warning|err",
				    value);
		snprintf(field, k->size, "%s", value);
		return 1;
	}
	return fail(st, "internal: key type");
}

static int set_line_key(struct parse_state *st, const char *name, const char *value)
{
	for (size_t i = 0; i < N_LINE_KEYS; i++) {
		size_t n = strlen(line_keys[i].name);
		bool active_low_key = strncmp(name, line_keys[i].name, n) == 0 &&
				      strcmp(name + n, "_active_low") == 0;

		if (strcmp(name, line_keys[i].name) == 0) {
			if (st->line_seen[i][0])
				return fail(st, "[leds] %s is set twice", name);
			st->line_seen[i][0] = true;
			if (strlen(value) >= TM_NAME_MAX)
				return fail(st, "[leds] %s is too long", name);
			snprintf(st->line_store[i], TM_NAME_MAX, "%s", value);
			st->line_value[i] = st->line_store[i];
			return 1;
		}
		if (active_low_key) {
			if (st->line_seen[i][1])
				return fail(st, "[leds] %s is set twice", name);
			st->line_seen[i][1] = true;
			if (!parse_bool(value, &st->line_active_low[i]))
				return fail(st, "[leds] %s = '%s' is not a boolean (true or false)", name,
					    value);
			return 1;
		}
	}
	return -1;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct parse_state *st = user;

	if (st->failed)
		return 1; /* report only the first error; inih keeps its line */
	if (!name)
		return 1; /* a section header (INI_CALL_HANDLER_ON_NEW_SECTION) */
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(keys[i].section, section) || strcmp(keys[i].name, name))
			continue;
		if (st->seen[i])
			return fail(st, "[%s] %s is set twice", section, name);
		st->seen[i] = true;
		return set_key(st, &keys[i], value);
	}
	if (strcmp(section, "leds") == 0) {
		int rc = set_line_key(st, name, value);

		if (rc >= 0)
			return rc;
	}
	if (section[0] == '\0')
		return fail(st, "'%s' is outside any [section]", name);
	return fail(st, "unknown key '%s' in [%s]", name, section);
}

static bool key_was_set(const struct parse_state *st, const char *section, const char *name)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(keys[i].section, section) && !strcmp(keys[i].name, name))
			return st->seen[i];
	return false;
}

/* The LED lines by the table above; then no two lights on one GPIO. */
static int check_lines(struct parse_state *st)
{
	struct tm_config *cfg = st->cfg;
	unsigned w = cfg->leds_wiring == TM_WIRING_RGB ? 1 : 0;

	for (size_t i = 0; i < N_LINE_KEYS; i++) {
		if (line_keys[i].slot[w] != NO_LINE)
			continue;
		if (st->line_value[i] || st->line_seen[i][1]) {
			fail(st, "[leds] %s is not used with wiring = %s",
			     line_keys[i].name, wiring_name(cfg->leds_wiring));
			return -EINVAL;
		}
	}
	resolve_lines(cfg, st->line_value, st->line_active_low);
	for (size_t i = 0; i < N_LINE_KEYS; i++) {
		int a = line_keys[i].slot[w];

		if (a == NO_LINE || !cfg->lines[a].name[0])
			continue;
		for (size_t j = i + 1; j < N_LINE_KEYS; j++) {
			int b = line_keys[j].slot[w];

			if (b == NO_LINE || !cfg->lines[b].name[0] ||
			    !same_gpio(cfg->lines[a].name, cfg->lines[b].name))
				continue;
			fail(st,
			     "[leds] %s = %s%s and %s = %s%s name the same GPIO; set one to another "
			     "line, or to none",
			     line_keys[i].name, cfg->lines[a].name,
			     st->line_value[i] ? "" : " (its default)", line_keys[j].name,
			     cfg->lines[b].name, st->line_value[j] ? "" : " (its default)");
			return -EINVAL;
		}
	}
	return 0;
}

/* Rules that involve several keys, checked once the whole file is read. */
static int check_whole(struct parse_state *st)
{
	struct tm_config *cfg = st->cfg;

	if (check_lines(st) < 0)
		return -EINVAL;
	if (cfg->pairing.hurry_ms >= cfg->pairing.window_ms && !key_was_set(st, "pairing", "hurry")) {
		/* A short window with the default hurry: hurry for its last quarter. */
		cfg->pairing.hurry_ms = cfg->pairing.window_ms / 4;
	}
	if (cfg->pairing.min_dwell_ms >= cfg->pairing.window_ms) {
		fail(st, "[pairing] min_dwell (%lldms) must be shorter than window (%lldms): no badge could wait for a partner",
		     (long long)cfg->pairing.min_dwell_ms, (long long)cfg->pairing.window_ms);
		return -EINVAL;
	}
	if (cfg->pairing.hurry_ms >= cfg->pairing.window_ms) {
		fail(st, "[pairing] hurry (%lldms) must be shorter than window (%lldms)",
		     (long long)cfg->pairing.hurry_ms, (long long)cfg->pairing.window_ms);
		return -EINVAL;
	}
	if (cfg->privacy_uid_key[0] && strlen(cfg->privacy_uid_key) < 16) {
		fail(st, "[privacy] uid_key must be at least 16 characters");
		return -EINVAL;
	}
	if (cfg->store_path[0] == '\0') {
		fail(st, "[store] path must not be empty");
		return -EINVAL;
	}
	return 0;
}

static int finish(struct parse_state *st, int line)
{
	char msg[512];

	if (line == -2) {
		snprintf(st->err, st->err_size, "%s: out of memory", st->name);
		return -ENOMEM;
	}
	if (line > 0) {
		if (!st->failed)
			fail(st, "syntax error (expected [section] or key = value)");
		snprintf(msg, sizeof(msg), "%s:%d: %s", st->name, line, st->err);
		snprintf(st->err, st->err_size, "%s", msg);
		return -EINVAL;
	}
	if (check_whole(st) < 0) {
		snprintf(msg, sizeof(msg), "%s: %s", st->name, st->err);
		snprintf(st->err, st->err_size, "%s", msg);
		return -EINVAL;
	}
	return 0;
}

static void state_init(struct parse_state *st, struct tm_config *cfg, const char *name, char *err,
		       size_t err_size)
{
	memset(st, 0, sizeof(*st));
	st->cfg = cfg;
	st->name = name;
	st->err = err;
	st->err_size = err_size;
	err[0] = '\0';
}

/* inih reads a line into a 200-byte buffer and cuts a longer one in two:
 * the tail of a long comment would become a key of its own. */
#define MAX_LINE 199
/* Far more than any configuration; stops a device that never ends. */
#define MAX_CONFIG_BYTES (1024 * 1024)

/* What inih would misread, refused before it reads: a NUL byte, a carriage
 * return without its line feed (old Mac line endings, which inih reads as
 * one long line), a line it would split, text that is not UTF-8. CRLF is
 * turned into LF in place. The file and the string loader share this, so
 * --check-config, a start and a reload accept exactly the same files. */
static int check_text(char *text, size_t len, const char *name, char *err, size_t err_size)
{
	size_t line = 1, line_start = 0, out = 0;

	if (memchr(text, '\0', len)) {
		snprintf(err, err_size, "%s: holds a NUL byte: not a text file", name);
		return -EINVAL;
	}
	for (size_t i = 0; i < len; i++) {
		char c = text[i];

		if (c == '\r') {
			if (i + 1 < len && text[i + 1] == '\n')
				continue; /* CRLF: the LF ends the line */
			snprintf(err, err_size,
				 "%s:%zu: carriage return without a line feed (old Mac line endings); "
				 "save the file with Unix (LF) line endings",
				 name, line);
			return -EINVAL;
		}
		text[out++] = c;
		if (c != '\n')
			continue;
		if (out - 1 - line_start > MAX_LINE)
			goto too_long;
		if (u8_check((const uint8_t *)text + line_start, out - line_start)) {
			snprintf(err, err_size, "%s:%zu: not valid UTF-8", name, line);
			return -EINVAL;
		}
		line++;
		line_start = out;
	}
	if (out - line_start > MAX_LINE)
		goto too_long;
	if (u8_check((const uint8_t *)text + line_start, out - line_start)) {
		snprintf(err, err_size, "%s:%zu: not valid UTF-8", name, line);
		return -EINVAL;
	}
	text[out] = '\0';
	return 0;
too_long:
	snprintf(err, err_size, "%s:%zu: line longer than %d bytes; split the value or shorten the comment",
		 name, line, MAX_LINE);
	return -EINVAL;
}

static int parse_text(struct tm_config *cfg, char *text, size_t len, const char *name, char *err,
		      size_t err_size)
{
	struct parse_state st;
	int rc = check_text(text, len, name, err, err_size);

	if (rc < 0)
		return rc;
	state_init(&st, cfg, name, err, err_size);
	return finish(&st, ini_parse_string(text, on_key, &st));
}

int tm_config_load(struct tm_config *cfg, const char *path, char *err, size_t err_size)
{
	struct stat sb;
	char *text = NULL;
	size_t len = 0;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) < 0) {
		rc = -errno;
		snprintf(err, err_size, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (S_ISDIR(sb.st_mode)) {
		rc = -EISDIR;
		snprintf(err, err_size, "%s: is a directory; --config names the file, e.g. %s/tapmeetd.conf",
			 path, path);
		goto out;
	}
	if (!S_ISREG(sb.st_mode) && !S_ISFIFO(sb.st_mode)) {
		rc = -EINVAL;
		snprintf(err, err_size, "%s: not a regular file", path);
		goto out;
	}
	text = malloc(MAX_CONFIG_BYTES + 1);
	if (!text) {
		rc = -ENOMEM;
		snprintf(err, err_size, "%s: out of memory", path);
		goto out;
	}
	for (;;) {
		ssize_t got = read(fd, text + len, MAX_CONFIG_BYTES + 1 - len);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = -errno;
			snprintf(err, err_size, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (got == 0)
			break;
		len += (size_t)got;
		if (len > MAX_CONFIG_BYTES) {
			rc = -EFBIG;
			snprintf(err, err_size, "%s: larger than %d KiB: not a configuration file", path,
				 MAX_CONFIG_BYTES / 1024);
			goto out;
		}
	}
	rc = parse_text(cfg, text, len, path, err, err_size);
	cfg->uid_key_exposed = rc == 0 && cfg->privacy_uid_key[0] && (sb.st_mode & S_IROTH);
out:
	if (fd >= 0)
		close(fd);
	free(text);
	return rc;
}

int tm_config_load_string(struct tm_config *cfg, const char *text, const char *name, char *err,
			  size_t err_size)
{
	size_t len = strlen(text);
	char *copy = malloc(len + 1);
	int rc;

	if (!copy) {
		snprintf(err, err_size, "%s: out of memory", name);
		return -ENOMEM;
	}
	memcpy(copy, text, len + 1);
	rc = parse_text(cfg, copy, len, name, err, err_size);
	free(copy);
	return rc;
}
