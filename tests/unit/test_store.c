/* The SQLite store on temporary files: migrations, ids, round trips, locks. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "schema.h"
#include "tapmeet/store.h"

struct fixture {
	char dir[64];
	char path[128];
	struct tm_store *store;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct tm_store_options opt = { .busy_timeout_ms = 50 };

	snprintf(f->dir, sizeof(f->dir), "/tmp/tapmeet-store-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/t.db", f->dir);
	assert_int_equal(tm_store_open(f->path, &opt, &f->store), 0);
	assert_int_equal(tm_store_station_begin(f->store, "hall-a", "Hall A"), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[160];

	tm_store_close(f->store);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* The file is checked through a connection of its own, as any reader sees it. */
static int64_t query_file(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t v = -1;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void exec_file(const char *path, const char *sql)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 1000);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

#define query(f, sql) query_file((f)->path, sql)

/* One text value (NULL as "(null)"), copied out before the file is closed. */
static const char *query_text_file(const char *path, const char *sql)
{
	static char buf[256];
	sqlite3 *db;
	sqlite3_stmt *st;

	snprintf(buf, sizeof(buf), "(no row)");
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *v = sqlite3_column_text(st, 0);

		snprintf(buf, sizeof(buf), "%s", v ? (const char *)v : "(null)");
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return buf;
}

static struct tm_store_tap make_tap(struct tm_store *s, const char *uid, enum tm_tap_outcome o)
{
	struct tm_store_tap t;

	memset(&t, 0, sizeof(t));
	tm_store_next_tap_id(s, t.id);
	snprintf(t.uid, sizeof(t.uid), "%s", uid);
	t.kind = TM_BADGE_MIFARE_CLASSIC;
	t.outcome = o;
	tm_stamp_at(&t.stamp, tm_mono_ms());
	return t;
}

static void fresh_database_is_migrated(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(tm_store_schema_version(f->store), tm_schema_latest());
	assert_int_equal(query(f, "SELECT count(*) FROM sqlite_master WHERE name IN"
					 " ('taps','meetings','meeting_badges','attendees','stations')"),
			 5);
	assert_int_equal(query(f, "SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'"), 1);
}

/* A database left by an older tapmeet (schema 1) is migrated forward on
 * open, keeping its rows. */
static void old_database_is_migrated_forward(void **state)
{
	struct fixture *f = *state;
	struct tm_store_options opt = { .busy_timeout_ms = 50 };
	struct tm_store *s = NULL;
	char old[160];
	sqlite3 *db;

	snprintf(old, sizeof(old), "%s/v1.db", f->dir);
	assert_int_equal(sqlite3_open(old, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, tm_schema_migration(1), NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 1;"
				      "INSERT INTO attendees (uid, name) VALUES ('04A1B2C3', 'Ada');",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(tm_store_open(old, &opt, &s), 0);
	assert_int_equal(tm_store_schema_version(s), tm_schema_latest());
	assert_int_equal(query_file(old, "SELECT count(*) FROM attendees WHERE name = 'Ada'"), 1);
	tm_store_close(s);
}

/* A log at schema 3 (before suspect meetings): every migration up to 3, a
 * meeting with its badges and taps, as a station of that version wrote it. */
static void make_v3(const char *path)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	for (int v = 1; v <= 3; v++)
		assert_int_equal(sqlite3_exec(db, tm_schema_migration(v), NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(
		sqlite3_exec(db,
			     "PRAGMA user_version = 3;"
			     "INSERT INTO attendees (uid, name, email) VALUES"
			     " ('04A1B2C3', 'Ada', 'ada@example.org'),"
			     " ('04D5E6F7', 'Bob', 'bob@example.org');"
			     "INSERT INTO meetings (id, station, seq, time_utc, utc_ms, clock_synced,"
			     " boot_id, mono_ms, n_badges) VALUES ('old:m1', 'old', 1,"
			     " '2026-11-26T10:00:00.000Z', 1795687200000, 1, 'b', 5, 2);"
			     "INSERT INTO meeting_badges VALUES ('old:m1', '04A1B2C3'),"
			     " ('old:m1', '04D5E6F7');",
			     NULL, NULL, NULL),
		SQLITE_OK);
	sqlite3_close(db);
}

/* Schema 4 adds meetings.suspect: a log from before it keeps its meetings,
 * all of them not suspect, and takes suspect ones from then on. */
static void version_3_database_gains_suspect(void **state)
{
	struct fixture *f = *state;
	struct tm_store_options opt = { .busy_timeout_ms = 50 };
	struct tm_store *s = NULL;
	struct tm_store_tap taps[2];
	struct tm_stamp stamp;
	char old[160], mid[TM_ID_SIZE];

	snprintf(old, sizeof(old), "%s/v3.db", f->dir);
	make_v3(old);
	assert_int_equal(tm_store_open(old, &opt, &s), 0);
	assert_int_equal(tm_store_schema_version(s), tm_schema_latest());
	assert_int_equal(query_file(old, "SELECT count(*) FROM meetings WHERE id = 'old:m1'"
					 " AND suspect IS NULL AND n_badges = 2"), 1);
	assert_int_equal(query_file(old, "SELECT count(*) FROM meeting_badges WHERE meeting_id = 'old:m1'"), 2);
	assert_int_equal(query_file(old, "SELECT count(*) FROM sqlite_master WHERE type = 'index'"
					 " AND name = 'meetings_suspect'"), 1);
	assert_int_equal(tm_store_station_begin(s, "old", NULL), 0);
	taps[0] = make_tap(s, "04A1B2C3", TM_TAP_PAIRED);
	taps[1] = make_tap(s, "04D5E6F7", TM_TAP_PAIRED);
	tm_store_next_meeting_id(s, mid);
	assert_string_equal(mid, "old:m2");
	tm_stamp_at(&stamp, tm_mono_ms());
	assert_int_equal(tm_store_write_meeting(s, mid, &stamp, taps, 2, "two taps 30 ms apart"), 0);
	tm_store_close(s);
	assert_string_equal(query_text_file(old, "SELECT suspect FROM meetings WHERE id = 'old:m2'"),
			    "two taps 30 ms apart");
	assert_string_equal(query_text_file(old, "SELECT suspect FROM meetings WHERE id = 'old:m1'"),
			    "(null)");
}

/* The CLI reads a log the daemon has not migrated as it is: no column
 * suspect, and so no suspect meeting, but every query still answers. */
static void version_3_database_is_read_as_it_is(void **state)
{
	struct fixture *f = *state;
	struct tm_meeting_filter all = { .limit = -1 };
	struct tm_meeting_filter doubted = { .limit = -1, .suspect_only = true };
	struct tm_store *s = NULL;
	struct tm_rows *rows;
	static struct tm_stats t;
	char old[160];

	snprintf(old, sizeof(old), "%s/v3.db", f->dir);
	make_v3(old);
	assert_int_equal(tm_store_open_readonly(old, 50, &s), 0);
	assert_int_equal(tm_store_schema_version(s), 3);
	assert_int_equal(tm_store_meetings(s, &all, &rows), 0);
	assert_int_equal(tm_rows_next(rows), 1);
	assert_string_equal(tm_rows_text(rows, tm_rows_find(rows, "id")), "old:m1");
	assert_string_equal(tm_rows_text(rows, tm_rows_find(rows, "suspect")), "");
	assert_int_equal(tm_rows_next(rows), 0);
	tm_rows_free(rows);
	assert_int_equal(tm_store_meetings(s, &doubted, &rows), 0);
	assert_int_equal(tm_rows_next(rows), 0);
	tm_rows_free(rows);
	assert_int_equal(tm_store_contacts(s, "04A1B2C3", false, &rows), 0);
	assert_int_equal(tm_rows_next(rows), 1);
	assert_string_equal(tm_rows_text(rows, 0), "04D5E6F7");
	tm_rows_free(rows);
	assert_int_equal(tm_store_person(s, "04A1B2C3", &rows), 0);
	assert_int_equal(tm_rows_next(rows), 1);
	assert_string_equal(tm_rows_text(rows, tm_rows_find(rows, "suspect")), "");
	tm_rows_free(rows);
	assert_int_equal(tm_store_export_edges(s, true, &rows), 0);
	assert_int_equal(tm_rows_next(rows), 1);
	assert_int_equal(tm_rows_int(rows, 2), 1);
	assert_int_equal(tm_rows_int(rows, 3), 0);
	tm_rows_free(rows);
	assert_int_equal(tm_store_export_contacts_in_time(s, false, &rows), 0);
	assert_int_equal(tm_rows_next(rows), 1);
	tm_rows_free(rows);
	assert_int_equal(tm_store_stats(s, &t), 0);
	assert_int_equal(t.meetings, 1);
	assert_int_equal(t.suspect, 0);
	tm_stats_free(&t);
	tm_store_close(s);
}

static void ids_are_station_scoped_and_continue(void **state)
{
	struct fixture *f = *state;
	struct tm_store_tap t = make_tap(f->store, "04A1B2C3", TM_TAP_UNPAIRED);
	char mid[TM_ID_SIZE];
	struct tm_store_options opt = { .busy_timeout_ms = 50 };

	assert_string_equal(t.id, "hall-a:1");
	assert_int_equal(tm_store_write_taps(f->store, &t, 1), 0);
	tm_store_next_meeting_id(f->store, mid);
	assert_string_equal(mid, "hall-a:m1");
	tm_store_close(f->store);

	assert_int_equal(tm_store_open(f->path, &opt, &f->store), 0);
	assert_int_equal(tm_store_station_begin(f->store, "hall-a", NULL), 0);
	t = make_tap(f->store, "04A1B2C3", TM_TAP_UNPAIRED);
	assert_string_equal(t.id, "hall-a:2");
	/* The meeting id was handed out but never written: it may be reused. */
	tm_store_next_meeting_id(f->store, mid);
	assert_string_equal(mid, "hall-a:m1");
	/* Another station has its own sequence. */
	assert_int_equal(tm_store_station_begin(f->store, "hall-b", NULL), 0);
	t = make_tap(f->store, "04A1B2C3", TM_TAP_UNPAIRED);
	assert_string_equal(t.id, "hall-b:1");
}

static void meeting_round_trip(void **state)
{
	struct fixture *f = *state;
	struct tm_store_tap taps[2];
	struct tm_stamp stamp;
	char mid[TM_ID_SIZE];

	taps[0] = make_tap(f->store, "04A1B2C3", TM_TAP_PENDING);
	assert_int_equal(tm_store_write_taps(f->store, taps, 1), 0);
	assert_int_equal(query(f, "SELECT count(*) FROM taps WHERE outcome = 'pending'"), 1);
	taps[0].outcome = TM_TAP_PAIRED;
	taps[1] = make_tap(f->store, "04D5E6F7A1B2C3", TM_TAP_PAIRED);
	tm_store_next_meeting_id(f->store, mid);
	tm_stamp_at(&stamp, tm_mono_ms());
	assert_int_equal(tm_store_write_meeting(f->store, mid, &stamp, taps, 2, NULL), 0);

	assert_int_equal(query(f, "SELECT count(*) FROM taps"), 2); /* updated, not duplicated */
	assert_int_equal(query(f, "SELECT count(*) FROM taps WHERE outcome = 'paired'"
					 " AND meeting_id = 'hall-a:m1'"), 2);
	assert_int_equal(query(f, "SELECT n_badges FROM meetings WHERE id = 'hall-a:m1'"), 2);
	assert_int_equal(query(f, "SELECT count(*) FROM meeting_badges WHERE meeting_id = 'hall-a:m1'"
					 " AND uid IN ('04A1B2C3', '04D5E6F7A1B2C3')"), 2);
	assert_int_equal(query(f, "SELECT count(*) FROM meetings WHERE time_utc GLOB"
					 " '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'"),
			 1);
	assert_int_equal(query(f, "SELECT length(boot_id) FROM meetings"), 36);
	assert_int_equal(query(f, "SELECT meeting_seq FROM stations WHERE id = 'hall-a'"), 1);
	assert_int_equal(query(f, "SELECT tap_seq FROM stations WHERE id = 'hall-a'"), 2);
	assert_string_equal(query_text_file(f->path, "SELECT suspect FROM meetings"), "(null)");
}

/* The reason is stored as given; "" and NULL both mean not suspect, and are
 * stored the one way (NULL), so `WHERE suspect IS NULL` finds them all. */
static void suspect_reason_round_trip(void **state)
{
	struct fixture *f = *state;
	static const char *const given[] = { "partner came 5.1 s after the first tap", "", NULL };
	struct tm_store_tap taps[2];
	struct tm_stamp stamp;
	char mid[TM_ID_SIZE];

	for (int i = 0; i < 3; i++) {
		taps[0] = make_tap(f->store, "04A1B2C3", TM_TAP_PAIRED);
		taps[1] = make_tap(f->store, "04D5E6F7", TM_TAP_PAIRED);
		tm_store_next_meeting_id(f->store, mid);
		tm_stamp_at(&stamp, tm_mono_ms());
		assert_int_equal(tm_store_write_meeting(f->store, mid, &stamp, taps, 2, given[i]), 0);
	}
	assert_string_equal(query_text_file(f->path, "SELECT suspect FROM meetings WHERE id = 'hall-a:m1'"),
			    "partner came 5.1 s after the first tap");
	assert_int_equal(query(f, "SELECT count(*) FROM meetings WHERE suspect IS NULL"), 2);
	assert_int_equal(query(f, "SELECT count(*) FROM meetings WHERE suspect = ''"), 0);
	/* The statement is reused: a reason must not stick to the next meeting. */
	assert_string_equal(query_text_file(f->path, "SELECT group_concat(id) FROM meetings"
						     " WHERE suspect IS NULL"),
			    "hall-a:m2,hall-a:m3");
}

static void pending_taps_resolved_on_begin(void **state)
{
	struct fixture *f = *state;
	struct tm_store_tap t = make_tap(f->store, "04A1B2C3", TM_TAP_PENDING);

	assert_int_equal(tm_store_write_taps(f->store, &t, 1), 0);
	assert_int_equal(tm_store_station_begin(f->store, "hall-a", NULL), 0);
	assert_int_equal(query(f, "SELECT count(*) FROM taps WHERE outcome = 'unpaired'"
					 " AND reason LIKE 'station stopped%'"), 1);
}

static void locked_database_fails_cleanly_then_succeeds(void **state)
{
	struct fixture *f = *state;
	struct tm_store_tap t = make_tap(f->store, "04A1B2C3", TM_TAP_UNPAIRED);
	sqlite3 *other;

	assert_int_equal(sqlite3_open(f->path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(tm_store_write_taps(f->store, &t, 1), -EBUSY);
	assert_non_null(strstr(tm_store_errmsg(f->store), "locked"));
	assert_int_equal(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(other);
	assert_int_equal(query(f, "SELECT count(*) FROM taps"), 0);
	/* The same write, retried, commits once. */
	assert_int_equal(tm_store_write_taps(f->store, &t, 1), 0);
	assert_int_equal(tm_store_write_taps(f->store, &t, 1), 0);
	assert_int_equal(query(f, "SELECT count(*) FROM taps"), 1);
}

static void newer_schema_is_refused(void **state)
{
	struct fixture *f = *state;
	struct tm_store_options opt = { .busy_timeout_ms = 50 };
	struct tm_store *s = NULL;

	exec_file(f->path, "PRAGMA user_version = 99");
	assert_int_equal(tm_store_open(f->path, &opt, &s), -EPROTO);
	assert_non_null(strstr(tm_store_errmsg(s), "newer"));
	tm_store_close(s);
	assert_int_equal(tm_store_open_readonly(f->path, 50, &s), -EPROTO);
	tm_store_close(s);
}

static void readonly_open_refuses_foreign_files(void **state)
{
	struct fixture *f = *state;
	struct tm_store *s = NULL;
	char other[160];
	sqlite3 *db;

	snprintf(other, sizeof(other), "%s/other.db", f->dir);
	assert_int_equal(sqlite3_open(other, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE x(y)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(tm_store_open_readonly(other, 50, &s), -EPROTO);
	assert_non_null(strstr(tm_store_errmsg(s), "not a tapmeet database"));
	tm_store_close(s);
	snprintf(other, sizeof(other), "%s/missing.db", f->dir);
	assert_int_equal(tm_store_open_readonly(other, 50, &s), -ENOENT);
	tm_store_close(s);
	assert_int_equal(tm_store_open_readonly(f->path, 50, &s), 0);
	tm_store_close(s);
}

static int recent_count;

static void count_recent(void *ctx, const char *const *uids, size_t n, int64_t mono_ms)
{
	(void)ctx;
	(void)mono_ms;
	assert_int_equal(n, 2);
	/* In their stored form, in badge order. */
	assert_string_equal(uids[0], "04A1B2C3");
	assert_string_equal(uids[1], "04D5E6F7");
	recent_count++;
}

static void recent_meetings_seed_the_guard(void **state)
{
	struct fixture *f = *state;
	struct tm_store_tap taps[2];
	struct tm_stamp stamp;
	char mid[TM_ID_SIZE];

	for (int i = 0; i < 3; i++) {
		taps[0] = make_tap(f->store, "04A1B2C3", TM_TAP_PAIRED);
		taps[1] = make_tap(f->store, "04D5E6F7", TM_TAP_PAIRED);
		tm_store_next_meeting_id(f->store, mid);
		tm_stamp_at(&stamp, tm_mono_ms());
		assert_int_equal(tm_store_write_meeting(f->store, mid, &stamp, taps, 2, NULL), 0);
	}
	recent_count = 0;
	assert_int_equal(tm_store_recent_meetings(f->store, tm_mono_ms(), tm_utc_ms(), 60000,
						  count_recent, NULL), 0);
	assert_int_equal(recent_count, 3);
	/* A minute later and more, they are past the span. */
	recent_count = 0;
	assert_int_equal(tm_store_recent_meetings(f->store, tm_mono_ms() + 60001, tm_utc_ms() + 60001,
						  60000, count_recent, NULL), 0);
	assert_int_equal(recent_count, 0);
}

/* Times for the seeding tests: a wall clock in 2027 and a boot an hour old,
 * passed in as the daemon passes its clocks. */
#define NOW_UTC INT64_C(1800000000000)
#define NOW_MONO INT64_C(3600000)
#define HOUR INT64_C(3600000)

/* Adds a meeting as any boot may have stored it, straight into the file. */
static void add_meeting(struct fixture *f, const char *station, int64_t seq, const char *boot,
			int64_t utc_ms, int64_t mono_ms, const char *uids)
{
	char sql[1024];

	snprintf(sql, sizeof(sql),
		 "INSERT INTO meetings (id, station, seq, time_utc, utc_ms, clock_synced, boot_id,"
		 " mono_ms, n_badges) VALUES ('%s:m%lld', '%s', %lld, 'x', %lld, 1, '%s', %lld, 2);"
		 "INSERT INTO meeting_badges (meeting_id, uid) SELECT '%s:m%lld', value"
		 " FROM json_each('[%s]');",
		 station, (long long)seq, station, (long long)seq, (long long)utc_ms, boot,
		 (long long)mono_ms, station, (long long)seq, uids);
	exec_file(f->path, sql);
}

struct seeded {
	size_t count;
	char first[16][TM_STORED_UID_SIZE];
	size_t n[16];
	int64_t met[16];
};

static void collect(void *ctx, const char *const *uids, size_t n, int64_t mono_ms)
{
	struct seeded *s = ctx;

	if (s->count < 16) {
		snprintf(s->first[s->count], sizeof(s->first[0]), "%s", uids[0]);
		s->n[s->count] = n;
		s->met[s->count] = mono_ms;
	}
	s->count++;
}

/* A restart after a power cut: the meetings of the boot before are within
 * the guard by the wall clock and come back on this boot's monotonic clock;
 * those of this boot are judged by their monotonic time alone. */
static void earlier_boots_are_dated_by_the_wall_clock(void **state)
{
	struct fixture *f = *state;
	const char *boot = tm_boot_id();
	struct seeded got = { 0 };

	add_meeting(f, "hall-a", 1, "earlier-boot", NOW_UTC - 10 * 60000, 9 * HOUR,
		    "\"04000001\", \"04000002\", \"04000003\"");
	add_meeting(f, "hall-a", 2, "earlier-boot", NOW_UTC - HOUR - 1, 60000,
		    "\"04000011\", \"04000012\"");
	add_meeting(f, "hall-a", 3, "earlier-boot", NOW_UTC - HOUR, 60000,
		    "\"04000021\", \"04000022\"");
	/* Stored while the wall clock was ahead. */
	add_meeting(f, "hall-a", 4, "earlier-boot", NOW_UTC + 5000, 60000,
		    "\"04000031\", \"04000032\"");
	/* This boot before NTP: the wall clock said 1970, the monotonic one is right. */
	add_meeting(f, "hall-a", 5, boot, 1000, NOW_MONO - 1000, "\"04000041\", \"04000042\"");
	/* This boot, an hour and a moment ago, whatever the wall clock said. */
	add_meeting(f, "hall-a", 6, boot, NOW_UTC, NOW_MONO - HOUR - 1,
		    "\"04000051\", \"04000052\"");
	/* Another station's meeting in a merged log is not this guard's. */
	add_meeting(f, "hall-b", 1, "earlier-boot", NOW_UTC - 1000, 60000,
		    "\"04000061\", \"04000062\"");

	assert_int_equal(tm_store_recent_meetings(f->store, NOW_MONO, NOW_UTC, HOUR, collect, &got), 0);
	assert_int_equal(got.count, 4);
	assert_string_equal(got.first[0], "04000001");
	assert_int_equal(got.n[0], 3);
	assert_int_equal(got.met[0], NOW_MONO - 10 * 60000);
	assert_string_equal(got.first[1], "04000021");
	assert_int_equal(got.met[1], NOW_MONO - HOUR); /* the span's first millisecond is in it */
	assert_string_equal(got.first[2], "04000031");
	assert_int_equal(got.met[2], NOW_MONO);
	assert_string_equal(got.first[3], "04000041");
	assert_int_equal(got.n[3], 2);
	assert_int_equal(got.met[3], NOW_MONO - 1000);
	/* A day later nothing is left; over a day's span, all of hall-a's. */
	memset(&got, 0, sizeof(got));
	assert_int_equal(tm_store_recent_meetings(f->store, NOW_MONO + 24 * HOUR,
						  NOW_UTC + 24 * HOUR, HOUR, collect, &got), 0);
	assert_int_equal(got.count, 0);
	assert_int_equal(tm_store_recent_meetings(f->store, NOW_MONO, NOW_UTC, 24 * HOUR, collect,
						  &got), 0);
	assert_int_equal(got.count, 6);
	assert_int_equal(tm_store_recent_meetings(f->store, NOW_MONO, NOW_UTC, -1, collect, &got),
			 -EINVAL);
}

/* No limit on the meetings returned: a day's guard on a busy station. */
static void every_meeting_in_the_span_is_returned(void **state)
{
	enum { EARLIER = 12000, THIS = 3000 };
	struct fixture *f = *state;
	struct seeded got = { 0 };
	char sql[2048];

	snprintf(sql, sizeof(sql),
		 "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d)"
		 " INSERT INTO meetings (id, station, seq, time_utc, utc_ms, clock_synced, boot_id,"
		 " mono_ms, n_badges) SELECT 'hall-a:m' || i, 'hall-a', i, 'x',"
		 " %lld - 1000 * i, 1, CASE WHEN i <= %d THEN 'earlier-boot' ELSE '%s' END,"
		 " %lld - i, 2 FROM n;"
		 "INSERT INTO meeting_badges (meeting_id, uid)"
		 " SELECT id, printf('04%%06X', 2 * seq) FROM meetings UNION ALL"
		 " SELECT id, printf('04%%06X', 2 * seq + 1) FROM meetings;",
		 EARLIER + THIS, (long long)NOW_UTC, EARLIER, tm_boot_id(), (long long)NOW_MONO);
	exec_file(f->path, sql);
	assert_int_equal(tm_store_recent_meetings(f->store, NOW_MONO, NOW_UTC, 24 * HOUR, collect,
						  &got), 0);
	assert_int_equal(got.count, EARLIER + THIS);
	for (size_t i = 0; i < 16; i++) {
		char want[TM_STORED_UID_SIZE];

		snprintf(want, sizeof(want), "04%06X", (unsigned)(2 * (i + 1)));
		assert_string_equal(got.first[i], want);
		assert_int_equal(got.n[i], 2);
		assert_int_equal(got.met[i], NOW_MONO - 1000 * (int64_t)(i + 1));
	}
}

static void bad_ids_are_rejected(void **state)
{
	struct fixture *f = *state;
	struct tm_store_tap t = make_tap(f->store, "04A1B2C3", TM_TAP_UNPAIRED);

	snprintf(t.id, sizeof(t.id), "no-sequence");
	assert_int_equal(tm_store_write_taps(f->store, &t, 1), -EINVAL);
	assert_int_equal(query(f, "SELECT count(*) FROM taps"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(fresh_database_is_migrated, setup, teardown),
		cmocka_unit_test_setup_teardown(old_database_is_migrated_forward, setup, teardown),
		cmocka_unit_test_setup_teardown(ids_are_station_scoped_and_continue, setup, teardown),
		cmocka_unit_test_setup_teardown(meeting_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(suspect_reason_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(version_3_database_gains_suspect, setup, teardown),
		cmocka_unit_test_setup_teardown(version_3_database_is_read_as_it_is, setup, teardown),
		cmocka_unit_test_setup_teardown(pending_taps_resolved_on_begin, setup, teardown),
		cmocka_unit_test_setup_teardown(locked_database_fails_cleanly_then_succeeds, setup, teardown),
		cmocka_unit_test_setup_teardown(newer_schema_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(readonly_open_refuses_foreign_files, setup, teardown),
		cmocka_unit_test_setup_teardown(recent_meetings_seed_the_guard, setup, teardown),
		cmocka_unit_test_setup_teardown(earlier_boots_are_dated_by_the_wall_clock, setup, teardown),
		cmocka_unit_test_setup_teardown(every_meeting_in_the_span_is_returned, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_ids_are_rejected, setup, teardown),
	};

	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
