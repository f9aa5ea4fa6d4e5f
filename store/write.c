/* The station's writes: one transaction per decision, so that a meeting is
 * either wholly on disk or not at all. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tapmeet/log.h"

static int prepare_persistent(struct tm_store *s, sqlite3_stmt **st, const char *sql)
{
	int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL);

	return rc == SQLITE_OK ? 0 : store_fail(s, rc, "prepare");
}

int store_prepare_writes(struct tm_store *s)
{
	int rc;

	rc = prepare_persistent(s, &s->upsert_tap,
				"INSERT INTO taps (id, station, seq, uid, kind, outcome, reason, meeting_id,"
				" time_utc, utc_ms, clock_synced, boot_id, mono_ms)"
				" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
				" ON CONFLICT (id) DO UPDATE SET outcome = excluded.outcome,"
				" reason = excluded.reason, meeting_id = excluded.meeting_id");
	if (rc == 0)
		rc = prepare_persistent(s, &s->insert_meeting,
					"INSERT INTO meetings (id, station, seq, time_utc, utc_ms, clock_synced,"
					" boot_id, mono_ms, n_badges, suspect)"
					" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
					" ON CONFLICT (id) DO NOTHING");
	if (rc == 0)
		rc = prepare_persistent(s, &s->insert_member,
					"INSERT OR IGNORE INTO meeting_badges (meeting_id, uid) VALUES (?1, ?2)");
	if (rc == 0)
		rc = prepare_persistent(s, &s->begin, "BEGIN IMMEDIATE");
	if (rc == 0)
		rc = prepare_persistent(s, &s->commit, "COMMIT");
	if (rc == 0)
		rc = prepare_persistent(s, &s->bump_seqs,
					"UPDATE stations SET tap_seq = max(tap_seq, ?2),"
					" meeting_seq = max(meeting_seq, ?3) WHERE id = ?1");
	return rc;
}

void store_finalize_writes(struct tm_store *s)
{
	sqlite3_finalize(s->upsert_tap);
	sqlite3_finalize(s->insert_meeting);
	sqlite3_finalize(s->insert_member);
	sqlite3_finalize(s->bump_seqs);
	sqlite3_finalize(s->begin);
	sqlite3_finalize(s->commit);
	s->upsert_tap = s->insert_meeting = s->insert_member = s->bump_seqs = NULL;
	s->begin = s->commit = NULL;
}

/* --- station -------------------------------------------------------------- */

static int run_bound(struct tm_store *s, const char *sql, const char *a, const char *b,
		     int64_t *out)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return store_fail(s, rc, sql);
	sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	if (b)
		sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && out)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return (rc == SQLITE_ROW || rc == SQLITE_DONE) ? 0 : store_fail(s, rc, sql);
}

int tm_store_station_begin(struct tm_store *s, const char *station_id, const char *name)
{
	int64_t tap_seq = 0, meeting_seq = 0, max_tap = 0, max_meeting = 0;
	int rc;

	if (strlen(station_id) >= sizeof(s->station))
		return store_failf(s, -EINVAL, "station id too long: %s", station_id);
	rc = store_exec(s, "BEGIN IMMEDIATE");
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
		rc = store_exec(s, "COMMIT");
	if (rc < 0) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	/* Only now, when its row exists: a failed switch keeps the old station. */
	snprintf(s->station, sizeof(s->station), "%s", station_id);
	s->tap_seq = tap_seq > max_tap ? tap_seq : max_tap;
	s->meeting_seq = meeting_seq > max_meeting ? meeting_seq : max_meeting;
	store_committed(s);
	return 0;
}

const char *tm_store_station(const struct tm_store *s)
{
	return s->station;
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

	if (split_id(t->id, station, sizeof(station), &seq) < 0)
		return store_failf(s, -EINVAL, "malformed tap id '%s'", t->id);
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
	return store_step_done(s, st, "store tap");
}

static int bump_seqs(struct tm_store *s)
{
	if (!s->station[0])
		return 0; /* a writer that is no station (the bench generator) */
	sqlite3_bind_text(s->bump_seqs, 1, s->station, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s->bump_seqs, 2, s->tap_seq);
	sqlite3_bind_int64(s->bump_seqs, 3, s->meeting_seq);
	return store_step_done(s, s->bump_seqs, "advance sequences");
}

/* --- the file under the connection ------------------------------------- */

/* A database deleted while open (an admin cleaning up the state directory, a
 * card remounted) still takes writes, into files nobody can open: every
 * commit succeeds, the station shows green, and a restart loses them all. So
 * before and after every write the store checks that the path still names
 * the files it writes, and when it does not, it puts them back from the open
 * connection, which still sees everything committed:
 * - the -wal alone deleted: a checkpoint copies its frames into the database
 *   file, still linked, then the connection is opened again;
 * - the database deleted: VACUUM INTO writes the connection's whole view to
 *   the path, which is then synced and opened;
 * - another file at the path (restored, copied over): refused; the station
 *   keeps its writes in memory and says why, until someone decides. */
static int sync_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

static int sync_dir_of(const char *path)
{
	char dir[PATH_MAX];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	return sync_path(dir);
}

static int rewrite_deleted(struct tm_store *s)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(s->db, "VACUUM INTO ?1", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return store_fail(s, rc, "prepare VACUUM INTO");
	sqlite3_bind_text(st, 1, s->path, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_failf(s, tm_store_errno(rc) ? tm_store_errno(rc) : -EIO,
				   "database %s was deleted while open, and writing it again from "
				   "the open copy failed: %s; writes kept in memory",
				   s->path, sqlite3_errmsg(s->db));
	if ((rc = sync_path(s->path)) < 0 || (rc = sync_dir_of(s->path)) < 0)
		return store_failf(s, rc, "database %s was written again but not synced: %s",
				   s->path, strerror(-rc));
	return 0;
}

/* The file at the path is someone else's. Its -wal is still this
 * connection's: left with frames, the next program to open the path would
 * lay them over the new file, so they go into this connection's own (now
 * nameless) file, which is then copied aside once, since nothing else
 * would keep what it holds past this process. */
static int set_aside_replaced(struct tm_store *s)
{
	if (!s->set_aside) {
		char aside[PATH_MAX + 64];
		sqlite3_stmt *st = NULL;
		int rc;

		sqlite3_wal_checkpoint_v2(s->db, "main", SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
		snprintf(aside, sizeof(aside), "%s.replaced-%lld", s->path, (long long)tm_utc_ms());
		rc = sqlite3_prepare_v2(s->db, "VACUUM INTO ?1", -1, &st, NULL);
		if (rc == SQLITE_OK) {
			sqlite3_bind_text(st, 1, aside, -1, SQLITE_STATIC);
			rc = sqlite3_step(st);
		}
		sqlite3_finalize(st);
		if (rc == SQLITE_DONE && sync_path(aside) == 0) {
			s->set_aside = true;
			tm_warn("store=%s event=file-saved-aside path=%s detail=\"the database was "
				"replaced while open; what it held is kept there\"",
				s->path, aside);
		}
	}
	return store_failf(s, -ESTALE,
			   "database %s was replaced by another file while open; not writing to "
			   "either: writes kept in memory, restart tapmeetd to use the new file%s",
			   s->path, s->set_aside ? " (the old one's rows were saved aside)" : "");
}

static int check_file(struct tm_store *s)
{
	char wal[PATH_MAX + 8];
	struct stat sb;
	int moved = 0, rc;

	if (!s->path[0] || !strcmp(s->path, ":memory:"))
		return 0;
	if (!s->db) /* an earlier reopen failed (the directory was gone) */
		return store_reopen(s);
	sqlite3_file_control(s->db, "main", SQLITE_FCNTL_HAS_MOVED, &moved);
	snprintf(wal, sizeof(wal), "%s-wal", s->path);
	if (!moved && (stat(wal, &sb) == 0 || errno != ENOENT))
		return 0;
	if (!moved) {
		int log = 0, done = 0;

		rc = sqlite3_wal_checkpoint_v2(s->db, "main", SQLITE_CHECKPOINT_TRUNCATE, &log,
					       &done);
		if (rc != SQLITE_OK || log != done)
			return store_failf(s, -EIO,
					   "the log's %s was deleted while open, and copying it into "
					   "the database failed: %s; writes kept in memory",
					   wal, rc != SQLITE_OK ? sqlite3_errmsg(s->db)
								: "a reader held it");
		if ((rc = sync_path(s->path)) < 0)
			return store_failf(s, rc, "database %s not synced: %s", s->path,
					   strerror(-rc));
	} else if (stat(s->path, &sb) == 0) {
		return set_aside_replaced(s);
	} else if ((rc = rewrite_deleted(s)) < 0) {
		return rc;
	}
	rc = store_reopen(s);
	if (rc < 0)
		return rc;
	/* The write succeeds, so no error carries this to the station: the one
	 * line the store logs itself. */
	tm_warn("store=%s event=file-restored detail=\"%s was deleted while open; written "
		"again from the open connection\"",
		s->path, moved ? "the database" : "its -wal");
	return 0;
}

static int begin_tx(struct tm_store *s)
{
	int rc;

	if (s->in_batch)
		return 0;
	rc = check_file(s);
	return rc < 0 ? rc : store_step_done(s, s->begin, "BEGIN IMMEDIATE");
}

/* After the COMMIT too: a file deleted between the check and the commit
 * took it into nowhere. Put back (with this commit) or failed, never saved
 * in a file nobody can read; a write tried again after such a failure finds
 * its rows already there and leaves them (the inserts are idempotent). */
static int finish_tx(struct tm_store *s, int rc)
{
	if (s->in_batch)
		return rc;
	if (rc == 0)
		rc = store_step_done(s, s->commit, "COMMIT");
	if (rc < 0 && !sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	if (rc == 0)
		rc = check_file(s);
	if (rc == 0)
		store_committed(s);
	return rc;
}

int tm_store_write_taps(struct tm_store *s, const struct tm_store_tap *taps, size_t n)
{
	int rc = begin_tx(s);

	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = bind_tap(s, &taps[i], NULL);
	if (rc == 0)
		rc = bump_seqs(s);
	return finish_tx(s, rc);
}

int tm_store_write_meeting(struct tm_store *s, const char *meeting_id,
			   const struct tm_stamp *stamp, const struct tm_store_tap *taps, size_t n,
			   const char *suspect)
{
	sqlite3_stmt *st;
	char station[64], utc[TM_UTC_SIZE];
	size_t distinct = 0;
	int64_t seq;
	int rc;

	if (split_id(meeting_id, station, sizeof(station), &seq) < 0)
		return store_failf(s, -EINVAL, "malformed meeting id '%s'", meeting_id);
	for (size_t i = 0; i < n; i++) {
		bool repeat = false;

		for (size_t j = 0; j < i; j++)
			repeat = repeat || strcmp(taps[i].uid, taps[j].uid) == 0;
		distinct += !repeat;
	}
	rc = begin_tx(s);
	if (rc < 0)
		return rc;
	st = s->insert_meeting; /* after begin_tx, which may open the file again */
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
	/* NULL, never "": one spelling of "not suspect" for readers with sqlite3. */
	if (suspect && *suspect)
		sqlite3_bind_text(st, 10, suspect, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, 10);
	rc = store_step_done(s, st, "store meeting");
	for (size_t i = 0; i < n && rc == 0; i++) {
		sqlite3_bind_text(s->insert_member, 1, meeting_id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(s->insert_member, 2, taps[i].uid, -1, SQLITE_TRANSIENT);
		rc = store_step_done(s, s->insert_member, "store meeting badge");
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
		return store_fail(s, rc, "prepare status");
	sqlite3_bind_text(st, 1, s->station, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, status->reader_state, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, status->detail ? status->detail : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, status->storage_fault);
	sqlite3_bind_int(st, 5, status->clock_synced);
	sqlite3_bind_text(st, 6, now, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, started, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, rc, "store status");
	if (!s->in_batch)
		store_committed(s);
	return 0;
}

int tm_store_recent_meetings(struct tm_store *s, int64_t now_mono, int64_t now_utc,
			     int64_t span_ms,
			     void (*fn)(void *ctx, const char *const *uids, size_t n,
					int64_t mono_ms),
			     void *ctx)
{
	sqlite3_stmt *st = NULL;
	char uids[TM_MAX_BADGES_AT_ONCE][TM_STORED_UID_SIZE];
	const char *ptrs[TM_MAX_BADGES_AT_ONCE];
	const char *boot = tm_boot_id();
	int64_t last_seq = 0, last_met = 0;
	size_t n = 0;
	int rc;

	if (span_ms < 0)
		return store_failf(s, -EINVAL, "negative span for recent meetings");
	for (size_t i = 0; i < TM_MAX_BADGES_AT_ONCE; i++)
		ptrs[i] = uids[i];
	/* Monotonic times compare only within one boot; every other row is
	 * dated by the wall clock. Ordered by seq, the station's write order,
	 * which the (station, seq) index gives without a sort. */
	rc = sqlite3_prepare_v2(s->db,
				"SELECT m.seq, m.boot_id IS ?2, m.mono_ms, m.utc_ms, b.uid FROM meetings m"
				" JOIN meeting_badges b ON b.meeting_id = m.id"
				" WHERE m.station = ?1 AND CASE WHEN m.boot_id IS ?2"
				" THEN m.mono_ms >= ?3 ELSE m.utc_ms >= ?4 END"
				" ORDER BY m.seq, b.uid",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		return store_fail(s, rc, "prepare recent meetings");
	sqlite3_bind_text(st, 1, s->station, -1, SQLITE_STATIC);
	/* Rows stored without a boot id share "unknown" with each other, not a
	 * boot: bound as NULL, no row matches it and all are dated by utc. */
	if (strcmp(boot, "unknown") != 0)
		sqlite3_bind_text(st, 2, boot, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 2);
	sqlite3_bind_int64(st, 3, now_mono - span_ms);
	sqlite3_bind_int64(st, 4, now_utc - span_ms);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t seq = sqlite3_column_int64(st, 0);
		bool this_boot = sqlite3_column_int(st, 1) != 0;
		int64_t mono = sqlite3_column_int64(st, 2), utc = sqlite3_column_int64(st, 3);
		const char *uid = (const char *)sqlite3_column_text(st, 4);

		if (n > 0 && seq != last_seq) {
			fn(ctx, ptrs, n, last_met);
			n = 0;
		}
		last_seq = seq;
		/* One dated after now (a wall clock that ran ahead, or was set
		 * back since) counts as now: a repeat too many is safer than a
		 * meeting stored twice. */
		if (this_boot)
			last_met = mono < now_mono ? mono : now_mono;
		else
			last_met = utc < now_utc ? now_mono - (now_utc - utc) : now_mono;
		if (n < TM_MAX_BADGES_AT_ONCE && uid && strlen(uid) < TM_STORED_UID_SIZE)
			snprintf(uids[n++], TM_STORED_UID_SIZE, "%s", uid);
	}
	if (rc == SQLITE_DONE && n > 0)
		fn(ctx, ptrs, n, last_met);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : store_fail(s, rc, "recent meetings");
}
