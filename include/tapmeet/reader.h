/* Reader drivers: where badges come from. One file per backend in drivers/.
 *
 * A reader hands the event loop a file descriptor that becomes readable when
 * read_event() has something. Blocking backends (libnfc) run their own thread
 * and signal through a pipe or eventfd; the loop never blocks on a reader.
 */
#ifndef TAPMEET_READER_H
#define TAPMEET_READER_H

#include <stddef.h>
#include <stdint.h>

#include "tapmeet/badge.h"

struct tm_config;

enum tm_reader_state {
	TM_READER_CONNECTING,
	TM_READER_OK,
	TM_READER_FAULT,
};

enum tm_reader_event_type {
	/* The complete set of badges on the reader now (possibly empty). */
	TM_READER_EVENT_BADGES,
	/* A badge that cannot be used (unknown tag type); recorded as rejected. */
	TM_READER_EVENT_REJECT,
	/* The reader connected, failed or is retrying. */
	TM_READER_EVENT_STATE,
};

struct tm_reader_event {
	enum tm_reader_event_type type;
	int64_t at_ms; /* CLOCK_MONOTONIC when the reader saw it */
	size_t n_badges;
	struct tm_badge badges[TM_MAX_BADGES_AT_ONCE];
	enum tm_reader_state state;
	char detail[192]; /* state or reject reason, human readable */
};

struct tm_reader;

struct tm_reader_ops {
	const char *name;
	int (*open)(const struct tm_config *cfg, struct tm_reader **out);
	int (*fd)(struct tm_reader *reader);
	/* 1 when *ev was filled, 0 when nothing more is waiting, -errno on error. */
	int (*read_event)(struct tm_reader *reader, struct tm_reader_event *ev);
	void (*close)(struct tm_reader *reader);
};

extern const struct tm_reader_ops tm_reader_sim_ops;
#ifdef TAPMEET_HAVE_LIBNFC
extern const struct tm_reader_ops tm_reader_libnfc_ops;
#endif

/* NULL when no driver has that name (or it was not built). */
const struct tm_reader_ops *tm_reader_find(const char *name);

const char *tm_reader_state_name(enum tm_reader_state state);

#endif
