/* Writes waiting for the database: in order, retried until they commit. */
#ifndef TAPMEETD_OUTBOX_H
#define TAPMEETD_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>

#include "tapmeet/engine.h"
#include "tapmeet/store.h"

struct outbox_entry {
	bool is_meeting;
	char meeting_id[TM_ID_SIZE];
	struct tm_stamp stamp;
	size_t n_taps;
	struct tm_store_tap taps[TM_MAX_BADGES_AT_ONCE];
	enum tm_pattern pattern; /* feedback once committed */
	int attempts;
	struct outbox_entry *next;
};

struct outbox {
	struct outbox_entry *head, *tail;
	size_t len;
	size_t limit;
};

void outbox_init(struct outbox *ob, size_t limit);
/* Takes ownership of e. When full, the oldest entry is written to the log
 * in full (so the journal still holds it) and dropped; returns -ENOSPC then. */
int outbox_push(struct outbox *ob, struct outbox_entry *e);
struct outbox_entry *outbox_peek(struct outbox *ob);
void outbox_pop_free(struct outbox *ob);
void outbox_free(struct outbox *ob);
/* Writes the entry to the log as key=value, so it can be recovered by hand. */
void outbox_log_entry(int priority, const char *why, const struct outbox_entry *e);
/* One transaction for the entry. */
int outbox_write(struct tm_store *store, const struct outbox_entry *e);

#endif
