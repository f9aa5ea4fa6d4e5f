/* Simulated reader: badges scripted through a FIFO, one command per line.
 *
 *   present UID [UID...]   badges put on the reader (and left there)
 *   remove UID [UID...]    badges taken off ("remove all" empties it)
 *   tap UID [UID...]       put on together, then taken off
 *   pair UID UID           the same as tap with two badges
 *   reject UID REASON...   a badge the reader cannot use
 *   fault TEXT / ok        the reader fails / recovers
 *
 * Anyone allowed to write the FIFO can tap: `echo tap 04A1B2C3 > FIFO`. */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tapmeet/clock.h"
#include "tapmeet/config.h"
#include "tapmeet/log.h"
#include "tapmeet/reader.h"

#define SIM_QUEUE 16

struct tm_reader {
	int fd;
	int keepalive_fd; /* our own writer, so the FIFO never reports EOF */
	char path[PATH_MAX];
	char buf[1024];
	size_t buf_len;
	bool discarding; /* inside a line too long for buf, until its newline */
	size_t n_present;
	struct tm_badge present[TM_MAX_BADGES_AT_ONCE];
	size_t q_head, q_len;
	struct tm_reader_event queue[SIM_QUEUE];
};

static struct tm_reader_event *queue_push(struct tm_reader *r, enum tm_reader_event_type type)
{
	struct tm_reader_event *ev;

	if (r->q_len == SIM_QUEUE) {
		tm_warn("reader=sim event=overflow detail=\"commands arrive faster than handled\"");
		return NULL;
	}
	ev = &r->queue[(r->q_head + r->q_len++) % SIM_QUEUE];
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->at_ms = tm_mono_ms();
	return ev;
}

static void queue_badges(struct tm_reader *r)
{
	struct tm_reader_event *ev = queue_push(r, TM_READER_EVENT_BADGES);

	if (!ev)
		return;
	ev->n_badges = r->n_present;
	memcpy(ev->badges, r->present, r->n_present * sizeof(r->present[0]));
}

static bool is_present(struct tm_reader *r, const struct tm_badge *b, size_t *index)
{
	for (size_t i = 0; i < r->n_present; i++) {
		if (tm_badge_same(&r->present[i], b)) {
			if (index)
				*index = i;
			return true;
		}
	}
	return false;
}

static void put_on(struct tm_reader *r, const struct tm_badge *b)
{
	if (!is_present(r, b, NULL) && r->n_present < TM_MAX_BADGES_AT_ONCE)
		r->present[r->n_present++] = *b;
}

static void take_off(struct tm_reader *r, const struct tm_badge *b)
{
	size_t i;

	if (is_present(r, b, &i))
		r->present[i] = r->present[--r->n_present];
}

/* Parses the UIDs that follow a command; logs and returns -EINVAL on a bad one. */
static int parse_uids(char *args, struct tm_badge *out, size_t *n)
{
	char *save = NULL;

	*n = 0;
	for (char *w = strtok_r(args, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (*n == TM_MAX_BADGES_AT_ONCE) {
			tm_warn("reader=sim error=\"more than %d badges at once\"", TM_MAX_BADGES_AT_ONCE);
			return -EINVAL;
		}
		if (tm_badge_parse_uid(&out[*n], w) < 0) {
			tm_warn("reader=sim error=\"'%s' is not a UID of 4, 7 or 10 bytes in hex\"", w);
			return -EINVAL;
		}
		out[(*n)++].kind = TM_BADGE_SIMULATED;
	}
	if (*n == 0) {
		tm_warn("reader=sim error=\"command needs at least one UID\"");
		return -EINVAL;
	}
	return 0;
}

static void handle_line(struct tm_reader *r, char *line)
{
	struct tm_badge badges[TM_MAX_BADGES_AT_ONCE];
	struct tm_reader_event *ev;
	char *cmd = line, *args;
	size_t n;

	while (isspace((unsigned char)*cmd))
		cmd++;
	if (*cmd == '\0' || *cmd == '#')
		return;
	args = cmd + strcspn(cmd, " \t");
	if (*args)
		*args++ = '\0';

	if (strcmp(cmd, "present") == 0) {
		if (parse_uids(args, badges, &n) < 0)
			return;
		for (size_t i = 0; i < n; i++)
			put_on(r, &badges[i]);
		queue_badges(r);
	} else if (strcmp(cmd, "remove") == 0) {
		if (strcmp(args, "all") == 0) {
			r->n_present = 0;
		} else {
			if (parse_uids(args, badges, &n) < 0)
				return;
			for (size_t i = 0; i < n; i++)
				take_off(r, &badges[i]);
		}
		queue_badges(r);
	} else if (strcmp(cmd, "tap") == 0 || strcmp(cmd, "pair") == 0) {
		if (parse_uids(args, badges, &n) < 0)
			return;
		if (strcmp(cmd, "pair") == 0 && n != 2) {
			tm_warn("reader=sim error=\"pair needs exactly two UIDs\"");
			return;
		}
		for (size_t i = 0; i < n; i++)
			put_on(r, &badges[i]);
		queue_badges(r);
		for (size_t i = 0; i < n; i++)
			take_off(r, &badges[i]);
		queue_badges(r);
	} else if (strcmp(cmd, "reject") == 0) {
		char *reason = args + strcspn(args, " \t");

		if (*reason)
			*reason++ = '\0';
		if (tm_badge_parse_uid(&badges[0], args) < 0) {
			tm_warn("reader=sim error=\"'%s' is not a UID\"", args);
			return;
		}
		ev = queue_push(r, TM_READER_EVENT_REJECT);
		if (!ev)
			return;
		ev->n_badges = 1;
		ev->badges[0] = badges[0];
		snprintf(ev->detail, sizeof(ev->detail), "%s", *reason ? reason : "unsupported badge");
	} else if (strcmp(cmd, "fault") == 0 || strcmp(cmd, "ok") == 0) {
		ev = queue_push(r, TM_READER_EVENT_STATE);
		if (!ev)
			return;
		ev->state = cmd[0] == 'f' ? TM_READER_FAULT : TM_READER_OK;
		snprintf(ev->detail, sizeof(ev->detail), "%s", *args ? args : "simulated");
	} else {
		tm_warn("reader=sim error=\"unknown command '%s'\" expected=present|remove|tap|pair|reject|fault|ok",
			cmd);
	}
}

static int sim_open(const struct tm_config *cfg, struct tm_reader **out)
{
	struct tm_reader *r = calloc(1, sizeof(*r));
	struct stat st;
	struct tm_reader_event *ev;
	int rc;

	if (!r)
		return -ENOMEM;
	r->fd = r->keepalive_fd = -1;
	snprintf(r->path, sizeof(r->path), "%s", cfg->reader_sim_path);
	if (mkfifo(r->path, 0660) < 0 && errno != EEXIST) {
		rc = -errno;
		tm_err("reader=sim path=%s error=\"cannot create FIFO: %s\"", r->path, strerror(errno));
		goto fail;
	}
	if (stat(r->path, &st) < 0 || !S_ISFIFO(st.st_mode)) {
		rc = -EINVAL;
		tm_err("reader=sim path=%s error=\"exists and is not a FIFO\"", r->path);
		goto fail;
	}
	r->fd = open(r->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (r->fd >= 0)
		r->keepalive_fd = open(r->path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (r->fd < 0 || r->keepalive_fd < 0) {
		rc = -errno;
		tm_err("reader=sim path=%s error=\"cannot open FIFO: %s\"", r->path, strerror(errno));
		goto fail;
	}
	ev = queue_push(r, TM_READER_EVENT_STATE);
	ev->state = TM_READER_OK;
	snprintf(ev->detail, sizeof(ev->detail), "simulated reader on %.150s", r->path);
	*out = r;
	return 0;
fail:
	if (r->fd >= 0)
		close(r->fd);
	free(r);
	return rc;
}

static int sim_fd(struct tm_reader *r)
{
	return r->fd;
}

/* Turns complete lines in the buffer into events, while the queue has room.
 * Anyone who can write the FIFO writes these lines: one with a NUL byte is
 * ignored (it would hide its newline from string functions), and one longer
 * than the buffer is dropped whole, up to its newline; its tail is never
 * read as a command of its own. */
static void handle_buffered(struct tm_reader *r)
{
	char *start = r->buf, *end = r->buf + r->buf_len, *nl;

	while (r->q_len < SIM_QUEUE - 2 && (nl = memchr(start, '\n', (size_t)(end - start)))) {
		*nl = '\0';
		if (r->discarding)
			r->discarding = false; /* the end of an over-long line */
		else if (memchr(start, '\0', (size_t)(nl - start)))
			tm_warn("reader=sim error=\"command line holds a NUL byte; ignored\"");
		else
			handle_line(r, start);
		start = nl + 1;
	}
	r->buf_len = (size_t)(end - start);
	memmove(r->buf, start, r->buf_len);
	if (r->buf_len == sizeof(r->buf) - 1 && !memchr(r->buf, '\n', r->buf_len)) {
		if (!r->discarding)
			tm_warn("reader=sim error=\"command line longer than %zu bytes; discarded up "
				"to its end\"",
				sizeof(r->buf) - 2);
		r->discarding = true;
		r->buf_len = 0;
	}
}

static int fill_queue(struct tm_reader *r)
{
	ssize_t got;

	handle_buffered(r);
	if (r->q_len > 0)
		return 0;
	got = read(r->fd, r->buf + r->buf_len, sizeof(r->buf) - 1 - r->buf_len);
	if (got < 0)
		return (errno == EAGAIN || errno == EINTR) ? 0 : -errno;
	r->buf_len += (size_t)got;
	handle_buffered(r);
	return 0;
}

static int sim_read_event(struct tm_reader *r, struct tm_reader_event *ev)
{
	if (r->q_len == 0) {
		int rc = fill_queue(r);

		if (rc < 0)
			return rc;
	}
	if (r->q_len == 0)
		return 0;
	*ev = r->queue[r->q_head];
	r->q_head = (r->q_head + 1) % SIM_QUEUE;
	r->q_len--;
	return 1;
}

static void sim_close(struct tm_reader *r)
{
	close(r->fd);
	close(r->keepalive_fd);
	free(r);
}

const struct tm_reader_ops tm_reader_sim_ops = {
	.name = "sim",
	.open = sim_open,
	.fd = sim_fd,
	.read_event = sim_read_event,
	.close = sim_close,
};
