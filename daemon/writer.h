/* The writer thread: the only user of the station's store connection.
 *
 * The event loop hands it decisions (outbox.h) and goes back to the LEDs,
 * the reader and the watchdog; the writer commits them in order, retrying a
 * failed write until it commits, and reports back through a file
 * descriptor: committed (only then does the loop show "saved"), failing,
 * recovered. Every COMMIT's fsync and every lock wait happen here, never
 * on the loop's thread. */
#ifndef TAPMEETD_WRITER_H
#define TAPMEETD_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "outbox.h"

struct writer;
struct tm_store;

enum writer_notice_type {
	NOTICE_COMMITTED, /* req is committed; the receiver frees it */
	NOTICE_FAILING,   /* writes fail: rc and message say why */
	NOTICE_RECOVERED, /* writes commit again after a failure */
};

struct writer_notice {
	enum writer_notice_type type;
	struct write_req *req;
	int rc;
	char message[512];
	int64_t since_ms; /* RECOVERED: when the failure began */
};

/* Starts the thread; it takes the store (already open, its station begun). */
int writer_start(struct tm_store *store, int64_t busy_timeout_ms, int64_t retry_ms,
		 size_t limit, struct writer **out);
/* Readable when notices wait: call writer_ack, then read every notice. */
int writer_fd(const struct writer *w);
void writer_ack(struct writer *w);
/* Takes ownership of req. A status write replaces one still waiting.
 * -ENOSPC: the queue was full and its oldest entry was logged and dropped. */
int writer_submit(struct writer *w, struct write_req *req);
/* The next notice, if any. */
bool writer_next_notice(struct writer *w, struct writer_notice *out);
/* Applied before the next attempt. */
void writer_configure(struct writer *w, int64_t busy_timeout_ms, int64_t retry_ms);
/* Writes waiting, and when the oldest of them was handed over (CLOCK_MONOTONIC). */
size_t writer_backlog(struct writer *w, int64_t *oldest_submitted_ms);
/* Writes what it can until deadline_ms (CLOCK_MONOTONIC), then stops the
 * thread and closes the store. Returns what was not written (a list linked
 * through ->next; the caller logs and frees it) and leaves the remaining
 * notices to be read. */
struct write_req *writer_stop(struct writer *w, int64_t deadline_ms);
void writer_free(struct writer *w);

#endif
