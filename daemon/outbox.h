/* Writes waiting for the database, in the order they were decided: the
 * queue between the event loop and the writer thread. Not locked itself;
 * the writer guards it. */
#ifndef TAPMEETD_OUTBOX_H
#define TAPMEETD_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tapmeet/engine.h"
#include "tapmeet/pattern.h"
#include "tapmeet/store.h"

enum write_type {
	WRITE_TAPS,    /* taps: insert, or update the outcome of one stored as pending */
	WRITE_MEETING, /* a meeting and its taps, one transaction */
	WRITE_STATUS,  /* the station's health row */
	WRITE_STATION, /* register (or switch to) a station id */
};

struct write_tap {
	uint64_t ref; /* the engine's tap number: the same tap keeps its row */
	bool inserted; /* set by the writer: a new row, not an update */
	struct tm_store_tap row; /* row.id is given by the writer */
};

struct write_req {
	enum write_type type;
	size_t n_taps;
	struct write_tap taps[TM_MAX_BADGES_AT_ONCE];
	char meeting_id[TM_ID_SIZE]; /* given by the writer */
	struct tm_stamp stamp;       /* the meeting's */
	enum tm_pattern pattern;     /* feedback once committed */
	char suspect[64];            /* the meeting's doubt (tm_action), or "" */
	int64_t submitted_ms;        /* CLOCK_MONOTONIC */
	int attempts;
	bool ids_given;
	struct {
		char reader_state[16];
		char detail[192];
		bool storage_fault;
		bool clock_synced;
		int64_t started_utc_ms;
	} status;
	struct {
		char id[TM_ID_SIZE];
		char name[64];
	} station;
	struct write_req *next;
};

struct outbox {
	struct write_req *head, *tail;
	size_t len;
	size_t limit;
};

void outbox_init(struct outbox *ob, size_t limit);
/* Takes ownership of req. When full, the oldest entry other than `busy`
 * (the one being written) is written to the log in full, so the journal
 * still holds it, and dropped; returns -ENOSPC then. */
int outbox_push(struct outbox *ob, struct write_req *req, const struct write_req *busy);
struct write_req *outbox_peek(struct outbox *ob);
/* Unlinks and returns the oldest entry (the caller frees it). */
struct write_req *outbox_pop(struct outbox *ob);
void outbox_free(struct outbox *ob);
/* Writes the entry to the log as key=value, so it can be recovered by hand. */
void outbox_log_entry(int priority, const char *why, const struct write_req *req);

#endif
