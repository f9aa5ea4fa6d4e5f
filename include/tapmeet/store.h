/* The meeting log, on SQLite. Schema and migrations in store/schema.c,
 * documented in docs/schema.md.
 *
 * All functions return 0 or a negative errno: -EBUSY (locked longer than the
 * busy timeout), -ENOSPC (disk or database full), -EIO (I/O error), -EROFS,
 * -ENOMEM, -EPROTO (a database this version cannot use), -EINVAL.
 * tm_store_errmsg() tells what SQLite said.
 */
#ifndef TAPMEET_STORE_H
#define TAPMEET_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tapmeet/badge.h"
#include "tapmeet/clock.h"
#include "tapmeet/engine.h"

struct sqlite3;
struct tm_store;

#define TM_ID_SIZE 64

struct tm_store_options {
	int64_t busy_timeout_ms;
	/* For benchmarks only: skip fsync (synchronous=OFF) to measure CPU alone. */
	bool no_sync;
};

/* Opens read-write, creating the file and running forward migrations. */
int tm_store_open(const char *path, const struct tm_store_options *opt, struct tm_store **out);
/* Opens read-only (the CLI); fails with -EPROTO on a newer schema. */
int tm_store_open_readonly(const char *path, int64_t busy_timeout_ms, struct tm_store **out);
void tm_store_close(struct tm_store *store);

struct sqlite3 *tm_store_db(struct tm_store *store);
const char *tm_store_errmsg(struct tm_store *store);
int tm_store_schema_version(struct tm_store *store);

/* Registers this station, continues its id sequences and marks taps it left
 * pending (the daemon stopped during a window) as unpaired. */
int tm_store_station_begin(struct tm_store *store, const char *station_id, const char *name);

/* Allocates the next ids for this station: "<station>:<seq>" for taps and
 * "<station>:m<seq>" for meetings; unique across stations, so logs merge. */
void tm_store_next_tap_id(struct tm_store *store, char out[TM_ID_SIZE]);
void tm_store_next_meeting_id(struct tm_store *store, char out[TM_ID_SIZE]);

struct tm_store_tap {
	char id[TM_ID_SIZE];
	char uid[TM_UID_HEX_SIZE];
	enum tm_badge_kind kind;
	enum tm_tap_outcome outcome;
	char reason[96];
	struct tm_stamp stamp;
};

/* Inserts the taps, or updates the outcome of ones already stored: one transaction. */
int tm_store_write_taps(struct tm_store *store, const struct tm_store_tap *taps, size_t n);

/* Stores a meeting of the taps' badges and the taps themselves: one transaction. */
int tm_store_write_meeting(struct tm_store *store, const char *meeting_id,
			   const struct tm_stamp *stamp, const struct tm_store_tap *taps, size_t n);

/* The station's health for `tapmeet status`. */
struct tm_station_status {
	const char *reader_state;
	const char *detail;
	bool storage_fault;
	bool clock_synced;
	int64_t started_utc_ms;
};
int tm_store_write_status(struct tm_store *store, const struct tm_station_status *status);

/* Meetings of this station since monotonic time mono_since in this boot,
 * so the repeat guard survives a restart. Calls fn for each. */
int tm_store_recent_meetings(struct tm_store *store, int64_t mono_since,
			     void (*fn)(void *ctx, const struct tm_badge *badges, size_t n,
					int64_t mono_ms),
			     void *ctx);

/* Maps a SQLite result code to a negative errno. */
int tm_sqlite_errno(int rc);

#endif
