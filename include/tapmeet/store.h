/* The meeting log: the one owner of the database.
 *
 * Everything that reads or writes tapmeet's SQLite file goes through these
 * functions: the daemon's writer, the CLI's queries and imports, the bench
 * generator. Schema and migrations live in store/schema.c and are documented
 * in docs/schema.md; no SQL and no sqlite3 handle exist outside store/.
 *
 * All functions return 0 (or a count) or a negative errno: -EBUSY (locked
 * longer than the busy timeout), -ENOSPC (disk or database full), -EIO (I/O
 * error, or a file that is not a database), -EROFS, -ENOMEM, -EPROTO (a
 * database this version cannot use), -EINVAL, -ENOENT, -EISDIR, -EACCES.
 * tm_store_errmsg() says what went wrong in words.
 *
 * A store handle is used by one thread at a time.
 */
#ifndef TAPMEET_STORE_H
#define TAPMEET_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tapmeet/badge.h"
#include "tapmeet/clock.h"
#include "tapmeet/engine.h"

struct tm_store;

#define TM_ID_SIZE 64
/* A badge as the log holds it: canonical hex UID, or its keyed hash. */
#define TM_STORED_UID_SIZE TM_UID_HEX_SIZE

/* --- opening ----------------------------------------------------------- */

struct tm_store_options {
	int64_t busy_timeout_ms;
	/* For benchmarks only: skip fsync (synchronous=OFF) to measure CPU alone. */
	bool no_sync;
	/* SQLite's page cache limit in KiB; 0: SQLite's default (2 MiB). */
	int cache_kib;
};

/* Opens read-write, creating the file and running forward migrations. */
int tm_store_open(const char *path, const struct tm_store_options *opt, struct tm_store **out);
/* Opens read-only (queries); fails with -EPROTO on a newer schema or a file
 * without one. *out is set even on failure, so the message can be read; the
 * caller closes it. */
int tm_store_open_readonly(const char *path, int64_t busy_timeout_ms, struct tm_store **out);
void tm_store_close(struct tm_store *store);

const char *tm_store_errmsg(const struct tm_store *store);
int tm_store_schema_version(struct tm_store *store);
void tm_store_set_busy_timeout(struct tm_store *store, int64_t busy_timeout_ms);

/* A snapshot: every read between begin and end sees the same moment. */
int tm_store_read_begin(struct tm_store *store);
void tm_store_read_end(struct tm_store *store);

/* --- the station's writes (the daemon's writer thread) ------------------ */

/* Registers the station (creating or renaming its row), continues its id
 * sequences and marks taps it left pending (the daemon stopped during a
 * window) as unpaired. Later ids are this station's. */
int tm_store_station_begin(struct tm_store *store, const char *station_id, const char *name);
const char *tm_store_station(const struct tm_store *store);

/* Allocates the next ids for the current station: "<station>:<seq>" for taps
 * and "<station>:m<seq>" for meetings; unique across stations, so logs merge. */
void tm_store_next_tap_id(struct tm_store *store, char out[TM_ID_SIZE]);
void tm_store_next_meeting_id(struct tm_store *store, char out[TM_ID_SIZE]);

struct tm_store_tap {
	char id[TM_ID_SIZE];
	char uid[TM_STORED_UID_SIZE];
	enum tm_badge_kind kind;
	enum tm_tap_outcome outcome;
	char reason[96];
	struct tm_stamp stamp;
};

/* Inserts the taps, or updates the outcome of ones already stored: one transaction. */
int tm_store_write_taps(struct tm_store *store, const struct tm_store_tap *taps, size_t n);

/* Stores a meeting of the taps' badges and the taps themselves: one
 * transaction. suspect: why the meeting is less certain than most (stored
 * with it; contact exports leave such meetings out), or NULL or "". */
int tm_store_write_meeting(struct tm_store *store, const char *meeting_id,
			   const struct tm_stamp *stamp, const struct tm_store_tap *taps, size_t n,
			   const char *suspect);

/* The station's health for `tapmeet status`. */
struct tm_station_status {
	const char *reader_state;
	const char *detail;
	bool storage_fault;
	bool clock_synced;
	int64_t started_utc_ms;
};
int tm_store_write_status(struct tm_store *store, const struct tm_station_status *status);

/* Many writes in one transaction (imports, the bench generator): the write
 * functions above join it instead of committing each. */
int tm_store_batch_begin(struct tm_store *store);
int tm_store_batch_commit(struct tm_store *store);
void tm_store_batch_abort(struct tm_store *store);

/* Meetings of this station in the last span_ms, so that the repeat guard
 * survives a restart, after a reboot (a power cut) too. now_mono and now_utc
 * are the same moment on CLOCK_MONOTONIC and on the wall clock.
 *
 * A meeting of this boot is judged by its monotonic time; one of an earlier
 * boot (or of an unknown boot id) by its utc_ms, and its time is translated
 * onto this boot's monotonic clock as now_mono - (now_utc - utc_ms), a
 * meeting after now_utc counting as now. A wall clock that was ahead when it
 * was stored lets in a meeting too many; one that was behind (before NTP
 * synchronised) leaves out one it cannot date.
 *
 * Calls fn once for every such meeting, in the order they were stored, with
 * its badges in their stored form (at most TM_MAX_BADGES_AT_ONCE of them,
 * the most a reader reports at once) and its time on this boot's monotonic
 * clock. There is no limit on the number of meetings. */
int tm_store_recent_meetings(struct tm_store *store, int64_t now_mono, int64_t now_utc,
			     int64_t span_ms,
			     void (*fn)(void *ctx, const char *const *uids, size_t n,
					int64_t mono_ms),
			     void *ctx);

/* --- query results ------------------------------------------------------ */

/* A query's rows, read one at a time. Column names and kinds drive the
 * CLI's renderings (table, CSV, JSON). */
struct tm_rows;

enum tm_col_kind {
	TM_COL_TEXT,
	TM_COL_INT,
	TM_COL_TIME, /* UTC ISO 8601 text, 2026-11-26T10:00:00.123Z */
	TM_COL_LIST, /* a list of text items (badges of a meeting, their names) */
};

/* 1 when a row is ready, 0 at the end, or a negative errno. */
int tm_rows_next(struct tm_rows *rows);
int tm_rows_columns(const struct tm_rows *rows);
const char *tm_rows_name(const struct tm_rows *rows, int col);
enum tm_col_kind tm_rows_kind(const struct tm_rows *rows, int col);
/* Hidden columns (a cursor, say) are for the caller, not for printing. */
bool tm_rows_hidden(const struct tm_rows *rows, int col);
bool tm_rows_is_null(struct tm_rows *rows, int col);
/* The value as text; "" for NULL. Valid until the next tm_rows_next. */
const char *tm_rows_text(struct tm_rows *rows, int col);
int64_t tm_rows_int(struct tm_rows *rows, int col);
/* TM_COL_LIST: the number of items and one of them ("" for an unknown one). */
size_t tm_rows_list_len(struct tm_rows *rows, int col);
const char *tm_rows_list_item(struct tm_rows *rows, int col, size_t i, size_t *len);
/* The column of that name, or -1. */
int tm_rows_find(const struct tm_rows *rows, const char *name);
void tm_rows_free(struct tm_rows *rows);

/* --- queries ------------------------------------------------------------- */

struct tm_meeting_filter {
	bool has_since, has_until;
	int64_t since_ms, until_ms; /* utc; until is exclusive */
	const char *station;        /* NULL: all */
	const char *uid;            /* stored form; NULL: all */
	const char *uid2;           /* a second badge that must also be in the meeting */
	int64_t limit;              /* the latest N (as tail -n); < 0: all */
	int64_t after_cursor;       /* only meetings stored after this cursor; 0: all */
	bool suspect_only;          /* only meetings marked suspect */
};

/* Columns id, time, station, badges (list), names (list), suspect (the
 * reason, "" when not suspect) and a hidden "_cursor" (commit order), in
 * time order (same millisecond: station, seq). */
int tm_store_meetings(struct tm_store *store, const struct tm_meeting_filter *f,
		      struct tm_rows **out);
/* The cursor of the newest meeting (0 when there is none). */
int tm_store_meetings_cursor(struct tm_store *store, int64_t *out);

/* Attendees and unknown badges: uid, name, org, meetings, people, first and
 * last seen. */
int tm_store_people(struct tm_store *store, struct tm_rows **out);

/* One row per (meeting, other badge) of the badge uid: meeting, time,
 * station, uid, name, org, suspect (the meeting's reason, or ""). */
int tm_store_person(struct tm_store *store, const char *uid, struct tm_rows **out);
int tm_store_person_summary(struct tm_store *store, const char *uid, int64_t *meetings,
			    int64_t *people);

/* Attendee lookups. A name matches case-insensitively in every script
 * (Unicode case folding and normalisation): the whole name first, then a
 * part of it. */
struct tm_attendee_match {
	char uid[TM_STORED_UID_SIZE];
	char *name;
	char *org;
};
int tm_store_find_attendees(struct tm_store *store, const char *name,
			    struct tm_attendee_match **out, size_t *n);
void tm_store_free_matches(struct tm_attendee_match *m, size_t n);
/* The registered name of uid into out ("" when unregistered). */
int tm_store_attendee_name(struct tm_store *store, const char *uid, char *out, size_t size);

/* Station health, judged in one place so every format shows the same
 * verdict: station, name, health (ok|warning|unhealthy), problems (list),
 * reader_state, ... Columns documented in tapmeet(1). */
struct tm_live_status;
struct tm_status_query {
	int64_t now_ms;
	int64_t today_ms; /* local midnight */
	int64_t stale_ms; /* heartbeat older than this: unhealthy */
	const char *station; /* NULL: all */
	/* The station's live status file (live_status.h), when it is of this
	 * database: newer than its row, it is what the station says now. */
	const struct tm_live_status *live;
};
int tm_store_status(struct tm_store *store, const struct tm_status_query *q,
		    struct tm_rows **out);

/* Totals for `tapmeet stats`, from one snapshot. */
#define TM_STATS_TOP 10
#define TM_STATS_MAX_HOURS (24 * 31)
struct tm_stats {
	int64_t taps, meetings, registered, seen, met, stations;
	int64_t suspect; /* meetings marked suspect, counted in meetings too */
	int64_t outcome[6]; /* by enum tm_tap_outcome */
	int64_t first_hour;  /* hours since the epoch, UTC */
	size_t n_hours;
	int64_t per_hour[TM_STATS_MAX_HOURS];
	size_t n_top;
	struct {
		char uid[TM_STORED_UID_SIZE];
		char *name; /* NULL when unregistered */
		int64_t meetings, people;
	} top[TM_STATS_TOP];
	size_t n_stations;
	struct {
		char id[TM_ID_SIZE];
		int64_t meetings;
	} busiest[TM_STATS_TOP];
};
int tm_store_stats(struct tm_store *store, struct tm_stats *out);
void tm_stats_free(struct tm_stats *stats);

/* The registry: uid, name, org, handle, email, consent (1: shares e-mail and
 * handle with the people met; 0 before schema 6). */
int tm_store_attendees(struct tm_store *store, struct tm_rows **out);

struct tm_attendee {
	char uid[TM_STORED_UID_SIZE];
	const char *name, *org, *handle, *email;
	bool consent;
};
/* The optional columns an attendee file had. One it lacks leaves the stored
 * value alone: a file without e-mails must not blank those imported earlier,
 * nor one without a consent column withdraw a consent given. */
enum tm_attendee_field {
	TM_ATTENDEE_ORG = 1 << 0,
	TM_ATTENDEE_HANDLE = 1 << 1,
	TM_ATTENDEE_EMAIL = 1 << 2,
	TM_ATTENDEE_CONSENT = 1 << 3,
};
struct tm_import_counts {
	int64_t added, updated, unchanged;
};
/* Inserts or updates the attendees in one transaction; fields: the
 * tm_attendee_field bits of the columns the rows carry (a new attendee gets
 * "" and no consent for the others). */
int tm_store_import_attendees(struct tm_store *store, const struct tm_attendee *rows, size_t n,
			      unsigned fields, struct tm_import_counts *out);

/* Erasure of one badge. followups: the record of a follow-up message sent
 * to it (its address). */
struct tm_forget_counts {
	int64_t registry, taps, meetings, links, unlinked, followups;
};
/* Counts what forgetting uid would remove (read-only). */
int tm_store_forget_preview(struct tm_store *store, const char *uid, struct tm_forget_counts *out);
/* Removes it in one transaction, then rewrites the file (secure_delete,
 * VACUUM) and empties the -wal. -EAGAIN: the rows are gone but a reader
 * kept the -wal from being emptied; calling again finishes the job. */
int tm_store_forget(struct tm_store *store, const char *uid, struct tm_forget_counts *out);

/* The network, for exports: nodes (uid, name, org, meetings) and edges
 * (a, b, weight, suspect[, a_name, b_name]) with a < b, and contacts in
 * time (t in unix seconds, a, b). Nodes and edges count every meeting;
 * an edge's suspect is how many of its weight were suspect meetings.
 * Contacts in time cannot carry a mark, so they leave suspect meetings out
 * unless include_suspect. */
int tm_store_export_nodes(struct tm_store *store, struct tm_rows **out);
int tm_store_export_edges(struct tm_store *store, bool with_names, struct tm_rows **out);
int tm_store_export_contacts_in_time(struct tm_store *store, bool include_suspect,
				     struct tm_rows **out);
/* The people uid met: uid, name, org, handle, email, meetings, first_met,
 * last_met, suspect_meetings (how many of those were suspect). A person's
 * handle and e-mail are "" unless they consented to share them (consent = 1
 * in the registry): only their name and org reach the people they met. A contact
 * hands a stranger someone's details, so by default only meetings not
 * marked suspect count, and a person met only in suspect ones is left out;
 * include_suspect counts them all. */
int tm_store_contacts(struct tm_store *store, const char *uid, bool include_suspect,
		      struct tm_rows **out);

/* --- following the log -------------------------------------------------- */

/* New rows are announced at once: every commit through this store touches
 * the database's -wal, and a follower (tapmeet tail -f, the uplink, a live
 * report) waits on an inotify descriptor for that, plus a short re-check
 * after writes by other programs. No polling while nothing happens. */
struct tm_store_follow;

int tm_store_follow_open(const char *db_path, struct tm_store_follow **out);
/* Readable when something may have changed. */
int tm_store_follow_fd(const struct tm_store_follow *f);
/* Call when the fd is readable or the timeout returned by the last call has
 * passed. Returns 1 when the caller should look for new rows now, 0 when
 * not, or a negative errno (the database was deleted or replaced: -ENOENT).
 * *timeout_ms is how long to wait at most before calling again (-1: no
 * limit). */
int tm_store_follow_check(struct tm_store_follow *f, int64_t now_ms, int *timeout_ms);
void tm_store_follow_close(struct tm_store_follow *f);

/* Maps a SQLite result code to a negative errno. */
int tm_store_errno(int sqlite_rc);

/* Loading many rows at once (the bench generator), outside any batch: true
 * before the batches gives them a 200 MB page cache; false after gathers the
 * query planner's statistics (ANALYZE), empties the -wal and restores the
 * default cache. */
int tm_store_bulk_load(struct tm_store *store, bool on);

/* --- follow-ups (tapmeet followup) ---------------------------------------- */

/* The registry as the follow-ups may use it, by uid: uid, name, org,
 * shared (consent, 0/1), handle and email (both "" unless shared: the
 * consent rule is applied here, so nothing built from these rows can hand
 * them out), address (the attendee's own e-mail, to write to), sent_id
 * (the Message-ID recorded for them, NULL when none). */
int tm_store_followup_people(struct tm_store *store, struct tm_rows **out);
/* Every meeting's badges, one row per (meeting, badge), in time order
 * (the same millisecond: station, seq), a meeting's rows together:
 * meeting (a number unique to it), time, place (the station's name, else
 * its id), suspect (the reason, ""), uid. Meetings marked suspect are left
 * out unless include_suspect. One pass over the meetings. */
int tm_store_followup_meetings(struct tm_store *store, bool include_suspect,
			       struct tm_rows **out);
/* Text naming this log that does not change as it grows (the first
 * meeting's id and time; "" when there is none), so that an id derived
 * from it is the same on every run. */
int tm_store_followup_origin(struct tm_store *store, char *out, size_t size);

struct tm_followup_sent {
	const char *uid, *rcpt, *message_id;
	int64_t meetings; /* how many meetings the message listed */
};
/* Records a message the mail system accepted, stamped now, in a
 * transaction of its own (committed on return); replaces an earlier
 * record for the same uid. */
int tm_store_followup_record(struct tm_store *store, const struct tm_followup_sent *sent);

/* --- the report (tapmeet report) ---------------------------------------- */

/* One badge: registered, in a meeting, or both. */
struct tm_report_person {
	char uid[TM_STORED_UID_SIZE];
	char *name;   /* NULL when unregistered */
	bool consent; /* agreed to share their details (schema 6; false before) */
	size_t org;   /* a row of the organisation matrix (tm_report.orgs) */
	int64_t meetings, people;
};

/* What the log holds of a station: its row in stations (listed), kept
 * current by the daemon, and what it wrote. Faults are not recorded as they
 * happen: only the state at the last heartbeat. */
struct tm_report_station {
	char id[TM_ID_SIZE];
	bool listed;
	char *name, *reader_state, *detail, *heartbeat_utc, *started_utc; /* NULL unless listed */
	bool storage_fault, clock_synced;
	int64_t meetings, taps, unsynced_meetings, unsynced_taps;
};

/* The rows one station wrote with its clock not synchronised in one hour
 * (hours since the epoch, UTC, by the time they carry); only such hours. */
struct tm_report_slot {
	size_t station;
	int64_t hour;
	int64_t unsynced_meetings, unsynced_taps;
};

/* Two people who met (indices into people) and how often; suspect: how
 * many of those meetings were suspect. */
struct tm_report_edge {
	size_t a, b;
	int64_t weight, suspect;
};

struct tm_report_query {
	size_t top_orgs;  /* organisations with a row of their own */
	size_t max_edges; /* the strongest pairs kept for the network picture */
};

struct tm_report {
	struct tm_stats stats; /* tm_store_stats, same snapshot */
	size_t n_people;
	struct tm_report_person *people; /* by uid */
	/* orgs[0 .. n_orgs-1] by meetings, then "other" (TM_REPORT_ORG_OTHER
	 * after them) and no organisation or unregistered (the last row). */
	size_t n_orgs;
	char **orgs;
	int64_t *org_people; /* n_orgs + 2 */
	int64_t *org_pairs;  /* (n_orgs + 2)^2, symmetric: pairs met, a meeting of n gives n(n-1)/2 */
	size_t n_stations;
	struct tm_report_station *stations; /* by id */
	size_t n_slots;
	struct tm_report_slot *slots; /* by station, then hour */
	int64_t pairs;                /* distinct pairs who met */
	size_t n_edges;
	struct tm_report_edge *edges; /* the strongest, most meetings first */
};
/* The matrix's rows after the named organisations. */
#define TM_REPORT_ORG_OTHER(r) ((r)->n_orgs)
#define TM_REPORT_ORG_NONE(r) ((r)->n_orgs + 1)

/* Everything `tapmeet report` shows, from one snapshot. */
int tm_store_report(struct tm_store *store, const struct tm_report_query *q,
		    struct tm_report *out);
void tm_report_free(struct tm_report *r);

#endif
