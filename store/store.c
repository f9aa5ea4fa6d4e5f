/* The meeting log on SQLite: WAL, synchronous=FULL, one transaction per
 * decision, so that a meeting is either wholly on disk or not at all. */
#include "tapmeet/store.h"

#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"

struct tm_store {
	sqlite3 *db;
	char station[40]; /* station ids are at most 32 characters */
	int64_t tap_seq;     /* last sequence handed out */
	int64_t meeting_seq;
	sqlite3_stmt *upsert_tap;
	sqlite3_stmt *insert_meeting;
	sqlite3_stmt *insert_member;
	sqlite3_stmt *bump_seqs;
	/* Every tap opens and commits a transaction: compiled once, not per tap. */
	sqlite3_stmt *begin;
	sqlite3_stmt *commit;
	char errmsg[256];
};

int tm_sqlite_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_CANTOPEN:
		return -ENOENT;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CONSTRAINT:
	case SQLITE_MISMATCH:
	case SQLITE_RANGE:
		return -EINVAL;
	default: /* IOERR, CORRUPT, NOTADB, ... */
		return -EIO;
	}
}

static int fail_db(struct tm_store *s, int rc, const char *what)
{
	snprintf(s->errmsg, sizeof(s->errmsg), "%s: %s", what,
		 s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
	return tm_sqlite_errno(rc) ? tm_sqlite_errno(rc) : -EIO;
}

const char *tm_store_errmsg(struct tm_store *s)
{
	return s->errmsg[0] ? s->errmsg : "no error";
}

struct sqlite3 *tm_store_db(struct tm_store *s)
{
	return s->db;
}

static int exec(struct tm_store *s, const char *sql)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : fail_db(s, rc, sql);
}

static int query_int(struct tm_store *s, const char *sql, int64_t *out)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			*out = sqlite3_column_int64(st, 0);
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? 0 : fail_db(s, rc, sql);
}

int tm_store_schema_version(struct tm_store *s)
{
	int64_t v = -1;

	if (query_int(s, "PRAGMA user_version", &v) < 0)
		return -EIO;
	return (int)v;
}

static int migrate(struct tm_store *s)
{
	int version = tm_store_schema_version(s);
	int latest = tm_schema_latest();
	int rc;

	if (version < 0)
		return version;
	if (version > latest) {
		snprintf(s->errmsg, sizeof(s->errmsg),
			 "database schema version %d is newer than this tapmeet understands (%d)",
			 version, latest);
		return -EPROTO;
	}
	for (int v = version + 1; v <= latest; v++) {
		char pragma[64];

		rc = exec(s, "BEGIN IMMEDIATE");
		if (rc < 0)
			return rc;
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v);
		rc = exec(s, tm_schema_migration(v));
		if (rc == 0)
			rc = exec(s, pragma);
		if (rc == 0)
			rc = exec(s, "COMMIT");
		if (rc < 0) {
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
			return rc;
		}
	}
	return 0;
}

static int prepare(struct tm_store *s, sqlite3_stmt **st, const char *sql)
{
	int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL);

	return rc == SQLITE_OK ? 0 : fail_db(s, rc, "prepare");
}

static int prepare_writes(struct tm_store *s)
{
	int rc;

	rc = prepare(s, &s->upsert_tap,
		     "INSERT INTO taps (id, station, seq, uid, kind, outcome, reason, meeting_id,"
		     " time_utc, utc_ms, clock_synced, boot_id, mono_ms)"
		     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
		     " ON CONFLICT (id) DO UPDATE SET outcome = excluded.outcome,"
		     " reason = excluded.reason, meeting_id = excluded.meeting_id");
	if (rc == 0)
		rc = prepare(s, &s->insert_meeting,
			     "INSERT INTO meetings (id, station, seq, time_utc, utc_ms, clock_synced,"
			     " boot_id, mono_ms, n_badges) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
	if (rc == 0)
		rc = prepare(s, &s->insert_member,
			     "INSERT OR IGNORE INTO meeting_badges (meeting_id, uid) VALUES (?1, ?2)");
	if (rc == 0)
		rc = prepare(s, &s->begin, "BEGIN IMMEDIATE");
	if (rc == 0)
		rc = prepare(s, &s->commit, "COMMIT");
	if (rc == 0)
		rc = prepare(s, &s->bump_seqs,
			     "UPDATE stations SET tap_seq = max(tap_seq, ?2),"
			     " meeting_seq = max(meeting_seq, ?3) WHERE id = ?1");
	return rc;
}

static int open_common(const char *path, int flags, int64_t busy_ms, struct tm_store **out)
{
	struct tm_store *s = calloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	if (!s)
		return -ENOMEM;
	rc = sqlite3_open_v2(path, &s->db, flags | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(s->errmsg, sizeof(s->errmsg), "cannot open %s: %s", path,
			 s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		rc = tm_sqlite_errno(rc);
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, (int)busy_ms);
	*out = s;
	return 0;
fail:
	*out = s; /* so the caller can read the message; it must close */
	return rc < 0 ? rc : -EIO;
}

int tm_store_open(const char *path, const struct tm_store_options *opt, struct tm_store **out)
{
	struct tm_store *s;
	int rc = open_common(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
			     opt ? opt->busy_timeout_ms : 5000, &s);

	*out = s;
	if (rc < 0)
		return rc;
	/* WAL lets readers (the CLI) run while the daemon writes; FULL syncs
	 * the WAL on every commit so a power cut loses no committed meeting. */
	rc = exec(s, "PRAGMA journal_mode = WAL");
	if (rc == 0)
		rc = exec(s, opt && opt->no_sync ? "PRAGMA synchronous = OFF"
						 : "PRAGMA synchronous = FULL");
	if (rc == 0)
		rc = exec(s, "PRAGMA foreign_keys = ON");
	if (rc == 0) {
		/* Keep -wal and -shm when the daemon stops: staff in the tapmeet
		 * group may read but not create files in the state directory, and
		 * a read-only WAL reader needs both to exist. */
		int persist = 1;

		sqlite3_file_control(s->db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
		rc = migrate(s);
	}
	if (rc == 0)
		rc = prepare_writes(s);
	return rc;
}

int tm_store_open_readonly(const char *path, int64_t busy_timeout_ms, struct tm_store **out)
{
	struct tm_store *s;
	int rc = open_common(path, SQLITE_OPEN_READONLY, busy_timeout_ms, &s);
	int version;

	*out = s;
	if (rc < 0)
		return rc;
	version = tm_store_schema_version(s);
	if (version < 0)
		return version;
	if (version == 0) {
		snprintf(s->errmsg, sizeof(s->errmsg), "%s is not a tapmeet database (no schema)",
			 path);
		return -EPROTO;
	}
	if (version > tm_schema_latest()) {
		snprintf(s->errmsg, sizeof(s->errmsg),
			 "database schema version %d is newer than this tapmeet understands (%d)",
			 version, tm_schema_latest());
		return -EPROTO;
	}
	return 0;
}

void tm_store_close(struct tm_store *s)
{
	if (!s)
		return;
	sqlite3_finalize(s->upsert_tap);
	sqlite3_finalize(s->insert_meeting);
	sqlite3_finalize(s->insert_member);
	sqlite3_finalize(s->bump_seqs);
	sqlite3_finalize(s->begin);
	sqlite3_finalize(s->commit);
	sqlite3_close(s->db);
	free(s);
}

/* --- station -------------------------------------------------------------- */

static int step_done(struct tm_store *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : fail_db(s, rc, what);
}

static int run_bound(struct tm_store *s, const char *sql, const char *a, const char *b,
		     int64_t *out)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return fail_db(s, rc, sql);
	sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	if (b)
		sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && out)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return (rc == SQLITE_ROW || rc == SQLITE_DONE) ? 0 : fail_db(s, rc, sql);
}

int tm_store_station_begin(struct tm_store *s, const char *station_id, const char *name)
{
	int64_t tap_seq = 0, meeting_seq = 0, max_tap = 0, max_meeting = 0;
	int rc;

	snprintf(s->station, sizeof(s->station), "%s", station_id);
	rc = exec(s, "BEGIN IMMEDIATE");
	if (rc < 0)
		return rc;
	rc = run_bound(s,
		       "INSERT INTO stations (id, name, version) VALUES (?1, ?2, '" TAPMEET_VERSION "')"
		       " ON CONFLICT (id) DO UPDATE SET name = excluded.name,"
		       " version = excluded.version",
		       station_id, name ? name : "", NULL);
	if (rc == 0)
		rc = run_bound(s, "SELECT tap_seq FROM stations WHERE id = ?1", station_id, NULL,
			       &tap_seq);
	if (rc == 0)
		rc = run_bound(s, "SELECT meeting_seq FROM stations WHERE id = ?1", station_id, NULL,
			       &meeting_seq);
	/* The counters are authoritative; the maxima guard against a stations
	 * row restored from an older backup than the taps. */
	if (rc == 0)
		rc = run_bound(s, "SELECT coalesce(max(seq), 0) FROM taps WHERE station = ?1",
			       station_id, NULL, &max_tap);
	if (rc == 0)
		rc = run_bound(s, "SELECT coalesce(max(seq), 0) FROM meetings WHERE station = ?1",
			       station_id, NULL, &max_meeting);
	if (rc == 0)
		rc = run_bound(s,
			       "UPDATE taps SET outcome = 'unpaired',"
			       " reason = 'station stopped while waiting for a partner'"
			       " WHERE station = ?1 AND outcome = 'pending'",
			       station_id, NULL, NULL);
	if (rc == 0)
		rc = exec(s, "COMMIT");
	if (rc < 0) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	s->tap_seq = tap_seq > max_tap ? tap_seq : max_tap;
	s->meeting_seq = meeting_seq > max_meeting ? meeting_seq : max_meeting;
	return 0;
}

void tm_store_next_tap_id(struct tm_store *s, char out[TM_ID_SIZE])
{
	snprintf(out, TM_ID_SIZE, "%s:%" PRId64, s->station, ++s->tap_seq);
}

void tm_store_next_meeting_id(struct tm_store *s, char out[TM_ID_SIZE])
{
	snprintf(out, TM_ID_SIZE, "%s:m%" PRId64, s->station, ++s->meeting_seq);
}

/* "<station>:<seq>" or "<station>:m<seq>" back into its parts. */
static int split_id(const char *id, char *station, size_t size, int64_t *seq)
{
	const char *colon = strrchr(id, ':');
	char *end;

	if (!colon || (size_t)(colon - id) >= size)
		return -EINVAL;
	memcpy(station, id, (size_t)(colon - id));
	station[colon - id] = '\0';
	colon++;
	if (*colon == 'm')
		colon++;
	*seq = strtoll(colon, &end, 10);
	return (*end || *seq <= 0) ? -EINVAL : 0;
}

/* --- writes ------------------------------------------------------------- */

static int bind_tap(struct tm_store *s, const struct tm_store_tap *t, const char *meeting_id)
{
	sqlite3_stmt *st = s->upsert_tap;
	char station[64], utc[TM_UTC_SIZE];
	int64_t seq;

	if (split_id(t->id, station, sizeof(station), &seq) < 0) {
		snprintf(s->errmsg, sizeof(s->errmsg), "malformed tap id '%s'", t->id);
		return -EINVAL;
	}
	tm_format_utc(t->stamp.utc_ms, utc);
	sqlite3_bind_text(st, 1, t->id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, station, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, seq);
	sqlite3_bind_text(st, 4, t->uid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, tm_badge_kind_name(t->kind), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, tm_tap_outcome_name(t->outcome), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, t->reason, -1, SQLITE_TRANSIENT);
	if (meeting_id)
		sqlite3_bind_text(st, 8, meeting_id, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, 8);
	sqlite3_bind_text(st, 9, utc, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 10, t->stamp.utc_ms);
	sqlite3_bind_int(st, 11, t->stamp.clock_synced);
	sqlite3_bind_text(st, 12, t->stamp.boot_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 13, t->stamp.mono_ms);
	return step_done(s, st, "store tap");
}

static int bump_seqs(struct tm_store *s)
{
	sqlite3_bind_text(s->bump_seqs, 1, s->station, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s->bump_seqs, 2, s->tap_seq);
	sqlite3_bind_int64(s->bump_seqs, 3, s->meeting_seq);
	return step_done(s, s->bump_seqs, "advance sequences");
}

static int finish_tx(struct tm_store *s, int rc)
{
	if (rc == 0)
		rc = step_done(s, s->commit, "COMMIT");
	if (rc < 0 && !sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

int tm_store_write_taps(struct tm_store *s, const struct tm_store_tap *taps, size_t n)
{
	int rc = step_done(s, s->begin, "BEGIN IMMEDIATE");

	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = bind_tap(s, &taps[i], NULL);
	if (rc == 0)
		rc = bump_seqs(s);
	return finish_tx(s, rc);
}

int tm_store_write_meeting(struct tm_store *s, const char *meeting_id,
			   const struct tm_stamp *stamp, const struct tm_store_tap *taps, size_t n)
{
	sqlite3_stmt *st = s->insert_meeting;
	char station[64], utc[TM_UTC_SIZE];
	size_t distinct = 0;
	int64_t seq;
	int rc;

	if (split_id(meeting_id, station, sizeof(station), &seq) < 0) {
		snprintf(s->errmsg, sizeof(s->errmsg), "malformed meeting id '%s'", meeting_id);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		bool repeat = false;

		for (size_t j = 0; j < i; j++)
			repeat = repeat || strcmp(taps[i].uid, taps[j].uid) == 0;
		distinct += !repeat;
	}
	rc = step_done(s, s->begin, "BEGIN IMMEDIATE");
	if (rc < 0)
		return rc;
	tm_format_utc(stamp->utc_ms, utc);
	sqlite3_bind_text(st, 1, meeting_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, station, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, seq);
	sqlite3_bind_text(st, 4, utc, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 5, stamp->utc_ms);
	sqlite3_bind_int(st, 6, stamp->clock_synced);
	sqlite3_bind_text(st, 7, stamp->boot_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 8, stamp->mono_ms);
	sqlite3_bind_int64(st, 9, (int64_t)distinct);
	rc = step_done(s, st, "store meeting");
	for (size_t i = 0; i < n && rc == 0; i++) {
		sqlite3_bind_text(s->insert_member, 1, meeting_id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(s->insert_member, 2, taps[i].uid, -1, SQLITE_TRANSIENT);
		rc = step_done(s, s->insert_member, "store meeting badge");
	}
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = bind_tap(s, &taps[i], meeting_id);
	if (rc == 0)
		rc = bump_seqs(s);
	return finish_tx(s, rc);
}

int tm_store_write_status(struct tm_store *s, const struct tm_station_status *status)
{
	sqlite3_stmt *st = NULL;
	char now[TM_UTC_SIZE], started[TM_UTC_SIZE];
	int rc;

	tm_format_utc(tm_utc_ms(), now);
	tm_format_utc(status->started_utc_ms, started);
	rc = sqlite3_prepare_v2(s->db,
				"UPDATE stations SET reader_state = ?2, status_detail = ?3,"
				" storage_fault = ?4, clock_synced = ?5, heartbeat_utc = ?6,"
				" started_utc = ?7 WHERE id = ?1",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		return fail_db(s, rc, "prepare status");
	sqlite3_bind_text(st, 1, s->station, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, status->reader_state, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, status->detail ? status->detail : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, status->storage_fault);
	sqlite3_bind_int(st, 5, status->clock_synced);
	sqlite3_bind_text(st, 6, now, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, started, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : fail_db(s, rc, "store status");
}

int tm_store_recent_meetings(struct tm_store *s, int64_t mono_since,
			     void (*fn)(void *ctx, const struct tm_badge *badges, size_t n,
					int64_t mono_ms),
			     void *ctx)
{
	sqlite3_stmt *st = NULL;
	char *last_id = NULL;
	struct tm_badge badges[TM_MAX_BADGES_AT_ONCE];
	size_t n = 0;
	int64_t last_mono = 0;
	int rc;

	rc = sqlite3_prepare_v2(s->db,
				"SELECT m.id, m.mono_ms, b.uid FROM meetings m"
				" JOIN meeting_badges b ON b.meeting_id = m.id"
				" WHERE m.station = ?1 AND m.boot_id = ?2 AND m.mono_ms >= ?3"
				" ORDER BY m.id",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		return fail_db(s, rc, "prepare recent meetings");
	sqlite3_bind_text(st, 1, s->station, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, tm_boot_id(), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, mono_since);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		const char *uid = (const char *)sqlite3_column_text(st, 2);

		if (last_id && strcmp(last_id, id) != 0) {
			fn(ctx, badges, n, last_mono);
			n = 0;
		}
		if (!last_id || strcmp(last_id, id) != 0) {
			free(last_id);
			last_id = strdup(id);
			if (!last_id) {
				rc = SQLITE_NOMEM;
				break;
			}
		}
		last_mono = sqlite3_column_int64(st, 1);
		if (n < TM_MAX_BADGES_AT_ONCE && tm_badge_parse_uid(&badges[n], uid) == 0)
			n++;
	}
	if (rc == SQLITE_DONE && last_id)
		fn(ctx, badges, n, last_mono);
	free(last_id);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : fail_db(s, rc, "recent meetings");
}
