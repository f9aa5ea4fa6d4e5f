/* The store's queries and the organizer's writes, on temporary files:
 * ordering, "latest N", lists, names in every script, imports that leave
 * absent columns alone, and the errors a wrong path gets. */
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

#include "tapmeet/store.h"

struct fixture {
	char dir[64];
	char path[128];
	struct tm_store *store;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct tm_store_options opt = { .busy_timeout_ms = 50, .no_sync = true };

	snprintf(f->dir, sizeof(f->dir), "/tmp/tapmeet-query-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/t.db", f->dir);
	assert_int_equal(tm_store_open(f->path, &opt, &f->store), 0);
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

/* A meeting of two badges with a given id and wall time; suspect: the
 * reason it is doubted, or NULL. */
static void suspect_meeting(struct fixture *f, const char *id, int64_t utc_ms, const char *a,
			    const char *b, const char *suspect)
{
	struct tm_store_tap taps[2];
	struct tm_stamp stamp = { .utc_ms = utc_ms, .mono_ms = 1, .clock_synced = true };
	const char *uids[2] = { a, b };

	snprintf(stamp.boot_id, sizeof(stamp.boot_id), "test");
	for (int i = 0; i < 2; i++) {
		memset(&taps[i], 0, sizeof(taps[i]));
		snprintf(taps[i].id, sizeof(taps[i].id), "%s-t%d", id, i);
		/* tap ids are "<station>:<seq>": make one from the meeting's */
		snprintf(taps[i].id, sizeof(taps[i].id), "%.*s:%ld",
			 (int)(strchr(id, ':') - id), id, strtol(strchr(id, ':') + 2, NULL, 10) * 2 + i);
		snprintf(taps[i].uid, sizeof(taps[i].uid), "%s", uids[i]);
		taps[i].outcome = TM_TAP_PAIRED;
		taps[i].stamp = stamp;
	}
	assert_int_equal(tm_store_write_meeting(f->store, id, &stamp, taps, 2, suspect), 0);
}

static void meeting(struct fixture *f, const char *id, int64_t utc_ms, const char *a, const char *b)
{
	suspect_meeting(f, id, utc_ms, a, b, NULL);
}

static void import(struct fixture *f, const char *uid, const char *name, const char *org,
		   const char *email)
{
	struct tm_attendee a = { .name = name, .org = org, .email = email, .handle = NULL };
	struct tm_import_counts n;

	snprintf(a.uid, sizeof(a.uid), "%s", uid);
	assert_int_equal(tm_store_import_attendees(f->store, &a, 1,
						   (org ? TM_ATTENDEE_ORG : 0) |
							   (email ? TM_ATTENDEE_EMAIL : 0),
						   &n),
			 0);
}

static char *ids_of(struct tm_rows *rows)
{
	static char buf[512];
	int col = tm_rows_find(rows, "id");

	buf[0] = '\0';
	assert_true(col >= 0);
	while (tm_rows_next(rows) > 0) {
		strcat(buf, buf[0] ? "," : "");
		strcat(buf, tm_rows_text(rows, col));
	}
	tm_rows_free(rows);
	return buf;
}

static void same_millisecond_is_listed_in_sequence(void **state)
{
	struct fixture *f = *state;
	struct tm_meeting_filter all = { .limit = -1 };
	struct tm_rows *rows;

	/* m10 sorts before m9 as text; the listing must not. */
	meeting(f, "hall:m10", 1000, "04000001", "04000002");
	meeting(f, "hall:m9", 1000, "04000003", "04000004");
	meeting(f, "hall:m8", 999, "04000005", "04000006");
	assert_int_equal(tm_store_meetings(f->store, &all, &rows), 0);
	assert_string_equal(ids_of(rows), "hall:m8,hall:m9,hall:m10");
}

static void limit_gives_the_latest(void **state)
{
	struct fixture *f = *state;
	struct tm_meeting_filter last2 = { .limit = 2 };
	struct tm_meeting_filter after = { .limit = -1 };
	struct tm_rows *rows;
	int64_t cursor;

	meeting(f, "hall:m1", 1000, "04000001", "04000002");
	meeting(f, "hall:m2", 2000, "04000001", "04000003");
	meeting(f, "hall:m3", 3000, "04000001", "04000004");
	assert_int_equal(tm_store_meetings(f->store, &last2, &rows), 0);
	assert_string_equal(ids_of(rows), "hall:m2,hall:m3");
	/* Following: only what came after a cursor, in commit order. */
	assert_int_equal(tm_store_meetings_cursor(f->store, &cursor), 0);
	meeting(f, "hall:m4", 500, "04000001", "04000005");
	after.after_cursor = cursor;
	assert_int_equal(tm_store_meetings(f->store, &after, &rows), 0);
	assert_string_equal(ids_of(rows), "hall:m4");
}

static void list_items_survive_separators_in_names(void **state)
{
	struct fixture *f = *state;
	struct tm_meeting_filter all = { .limit = -1 };
	struct tm_rows *rows;
	size_t len;
	int col;

	import(f, "04000001", "Ada\x1fLovelace", "", "");
	meeting(f, "hall:m1", 1000, "04000001", "04000002");
	assert_int_equal(tm_store_meetings(f->store, &all, &rows), 0);
	assert_int_equal(tm_rows_next(rows), 1);
	col = tm_rows_find(rows, "names");
	assert_int_equal(tm_rows_kind(rows, col), TM_COL_LIST);
	assert_int_equal(tm_rows_list_len(rows, col), 2); /* two badges, two names */
	assert_memory_equal(tm_rows_list_item(rows, col, 0, &len), "Ada\xef\xbf\xbdLovelace", 14);
	assert_int_equal(len, 14);
	tm_rows_list_item(rows, col, 1, &len);
	assert_int_equal(len, 0); /* unregistered */
	tm_rows_free(rows);
}

static size_t find(struct fixture *f, const char *name, char *first_uid)
{
	struct tm_attendee_match *m;
	size_t n;

	assert_int_equal(tm_store_find_attendees(f->store, name, &m, &n), 0);
	if (n > 0)
		strcpy(first_uid, m[0].uid);
	tm_store_free_matches(m, n);
	return n;
}

static void names_match_in_every_script(void **state)
{
	struct fixture *f = *state;
	char uid[32];

	import(f, "04000001", "Zoë Ångström", "", "");
	import(f, "04000002", "Jürgen Groß", "", "");
	import(f, "04000003", "Дмитрий Шостакович", "", "");
	import(f, "04000004", "Ann Lee", "", "");
	import(f, "04000005", "Annabel Lee", "", "");
	assert_int_equal(find(f, "zoë ångström", uid), 1);
	assert_string_equal(uid, "04000001");
	assert_int_equal(find(f, "JÜRGEN GROSS", uid), 1);
	assert_string_equal(uid, "04000002");
	assert_int_equal(find(f, "дмитрий шостакович", uid), 1);
	assert_string_equal(uid, "04000003");
	/* The whole name wins over a part of one. */
	assert_int_equal(find(f, "ann lee", uid), 1);
	assert_string_equal(uid, "04000004");
	/* A part matches too; two parts are ambiguous. */
	assert_int_equal(find(f, "ÅNGSTRÖM", uid), 1);
	assert_int_equal(find(f, "lee", uid), 2);
	assert_int_equal(find(f, "nobody", uid), 0);
}

static void import_leaves_absent_columns_alone(void **state)
{
	struct fixture *f = *state;
	struct tm_attendee a = { .uid = "04000001", .name = "Ada", .org = NULL, .email = NULL };
	struct tm_import_counts n;
	char sql[128];

	import(f, "04000001", "Ada", "Analytical Engines", "ada@example.org");
	/* The same file again: unchanged. */
	import(f, "04000001", "Ada", "Analytical Engines", "ada@example.org");
	/* A file without org and email columns. */
	assert_int_equal(tm_store_import_attendees(f->store, &a, 1, 0, &n), 0);
	assert_int_equal(n.unchanged, 1);
	assert_int_equal(n.updated, 0);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM attendees WHERE org = 'Analytical Engines'"
				   " AND email = 'ada@example.org'");
	{
		sqlite3 *db;
		sqlite3_stmt *st;

		assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(st, 0), 1);
		sqlite3_finalize(st);
		sqlite3_close(db);
	}
}

static void a_directory_is_named_as_such(void **state)
{
	struct fixture *f = *state;
	struct tm_store_options opt = { .busy_timeout_ms = 50 };
	struct tm_store *s = NULL;

	assert_int_equal(tm_store_open(f->dir, &opt, &s), -EISDIR);
	assert_non_null(strstr(tm_store_errmsg(s), "is a directory"));
	tm_store_close(s);
	assert_int_equal(tm_store_open_readonly(f->dir, 50, &s), -EISDIR);
	tm_store_close(s);
}

/* A station switch that cannot commit (locked) keeps the old station: no id
 * is handed out for a station without its row. */
static void failed_station_switch_keeps_the_old_one(void **state)
{
	struct fixture *f = *state;
	sqlite3 *other;
	char id[TM_ID_SIZE];

	assert_int_equal(tm_store_station_begin(f->store, "hall-a", NULL), 0);
	assert_int_equal(sqlite3_open(f->path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(tm_store_station_begin(f->store, "hall-b", NULL), -EBUSY);
	assert_string_equal(tm_store_station(f->store), "hall-a");
	tm_store_next_tap_id(f->store, id);
	assert_string_equal(id, "hall-a:1");
	sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(other);
	assert_int_equal(tm_store_station_begin(f->store, "hall-b", NULL), 0);
	tm_store_next_tap_id(f->store, id);
	assert_string_equal(id, "hall-b:1");
}

static void stats_count_what_is_there(void **state)
{
	struct fixture *f = *state;
	static struct tm_stats t;

	import(f, "04000001", "Ada", "", "");
	import(f, "04000009", "Nobody Met", "", "");
	meeting(f, "hall:m1", 3600000, "04000001", "04000002");
	meeting(f, "hall:m2", 3 * 3600000 + 5, "04000001", "04000003");
	assert_int_equal(tm_store_stats(f->store, &t), 0);
	assert_int_equal(t.meetings, 2);
	assert_int_equal(t.taps, 4);
	assert_int_equal(t.outcome[TM_TAP_PAIRED], 4);
	assert_int_equal(t.registered, 2);
	assert_int_equal(t.seen, 4);
	assert_int_equal(t.met, 3);
	assert_int_equal(t.n_hours, 3);
	assert_int_equal(t.per_hour[0], 1);
	assert_int_equal(t.per_hour[1], 0);
	assert_int_equal(t.per_hour[2], 1);
	assert_int_equal(t.n_top, 3);
	assert_string_equal(t.top[0].uid, "04000001");
	assert_string_equal(t.top[0].name, "Ada");
	assert_int_equal(t.top[0].people, 2);
	assert_int_equal(t.suspect, 0);
	tm_stats_free(&t);
}

#define LATE "partner came 5.1 s after the first tap"

/* Ada (04000001) met Bob for certain and once more in doubt, and Cy only in
 * doubt; Bob met Cy for certain. */
static void doubtful_day(struct fixture *f)
{
	import(f, "04000001", "Ada", "", "ada@example.org");
	import(f, "04000002", "Bob", "", "bob@example.org");
	import(f, "04000003", "Cy", "", "cy@example.org");
	meeting(f, "hall:m1", 1000, "04000001", "04000002");
	suspect_meeting(f, "hall:m2", 2000, "04000001", "04000002", LATE);
	suspect_meeting(f, "hall:m3", 3000, "04000001", "04000003", "two taps 30 ms apart");
	meeting(f, "hall:m4", 4000, "04000002", "04000003");
}

/* "id=suspect;..." for every row, from the named columns. */
static char *pairs_of(struct tm_rows *rows, const char *key, const char *value)
{
	static char buf[1024];
	int k = tm_rows_find(rows, key), v = tm_rows_find(rows, value);

	buf[0] = '\0';
	assert_true(k >= 0 && v >= 0);
	while (tm_rows_next(rows) > 0) {
		strcat(buf, tm_rows_text(rows, k));
		strcat(buf, "=");
		strcat(buf, tm_rows_text(rows, v));
		strcat(buf, ";");
	}
	tm_rows_free(rows);
	return buf;
}

static void meetings_carry_their_doubt(void **state)
{
	struct fixture *f = *state;
	struct tm_meeting_filter all = { .limit = -1 };
	struct tm_meeting_filter doubted = { .limit = -1, .suspect_only = true };
	struct tm_meeting_filter last_doubted = { .limit = 1, .suspect_only = true };
	struct tm_rows *rows;

	doubtful_day(f);
	assert_int_equal(tm_store_meetings(f->store, &all, &rows), 0);
	assert_string_equal(pairs_of(rows, "id", "suspect"),
			    "hall:m1=;hall:m2=" LATE ";hall:m3=two taps 30 ms apart;hall:m4=;");
	assert_int_equal(tm_store_meetings(f->store, &doubted, &rows), 0);
	assert_string_equal(ids_of(rows), "hall:m2,hall:m3");
	/* The latest N of the suspect ones, not the suspect ones of the latest N. */
	assert_int_equal(tm_store_meetings(f->store, &last_doubted, &rows), 0);
	assert_string_equal(ids_of(rows), "hall:m3");
	/* Bob's own listing marks the doubted meeting. */
	assert_int_equal(tm_store_person(f->store, "04000002", &rows), 0);
	assert_string_equal(pairs_of(rows, "meeting", "suspect"),
			    "hall:m1=;hall:m2=" LATE ";hall:m4=;");
}

static void contacts_leave_out_suspect_meetings(void **state)
{
	struct fixture *f = *state;
	struct tm_rows *rows;
	int met, doubt;

	doubtful_day(f);
	/* Cy was met only in doubt: not a contact. Bob counts once. */
	assert_int_equal(tm_store_contacts(f->store, "04000001", false, &rows), 0);
	met = tm_rows_find(rows, "meetings");
	doubt = tm_rows_find(rows, "suspect_meetings");
	assert_true(met >= 0 && doubt >= 0);
	assert_int_equal(tm_rows_next(rows), 1);
	assert_string_equal(tm_rows_text(rows, 0), "04000002");
	assert_int_equal(tm_rows_int(rows, met), 1);
	assert_int_equal(tm_rows_int(rows, doubt), 0);
	assert_string_equal(tm_rows_text(rows, tm_rows_find(rows, "last_met")),
			    "1970-01-01T00:00:01.000Z");
	assert_int_equal(tm_rows_next(rows), 0);
	tm_rows_free(rows);
	assert_int_equal(tm_store_contacts(f->store, "04000001", true, &rows), 0);
	assert_string_equal(pairs_of(rows, "uid", "meetings"), "04000002=2;04000003=1;");
	assert_int_equal(tm_store_contacts(f->store, "04000001", true, &rows), 0);
	assert_string_equal(pairs_of(rows, "uid", "suspect_meetings"), "04000002=1;04000003=1;");
	/* Cy met Bob for certain: Bob is Cy's contact, Ada is not. */
	assert_int_equal(tm_store_contacts(f->store, "04000003", false, &rows), 0);
	assert_string_equal(pairs_of(rows, "uid", "meetings"), "04000002=1;");
}

/* Runs one statement on the file directly, as the sqlite3 shell would. */
static void exec_sql(struct fixture *f, const char *sql)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/* Details reach a contact only with the person's consent; a file without a
 * consent column neither gives nor withdraws one. */
static void contacts_share_details_only_with_consent(void **state)
{
	struct fixture *f = *state;
	struct tm_attendee people[] = {
		{ .uid = "04000001", .name = "Ada", .email = "ada@example.org", .handle = "@ada",
		  .consent = true },
		{ .uid = "04000002", .name = "Bob", .email = "bob@example.org", .handle = "@bob",
		  .consent = false },
		{ .uid = "04000003", .name = "Cy", .email = "cy@example.org", .handle = "@cy",
		  .consent = true },
	};
	struct tm_attendee names_only = { .uid = "04000001", .name = "Ada L." };
	struct tm_import_counts n;
	struct tm_rows *rows;

	assert_int_equal(tm_store_import_attendees(f->store, people, 3,
						   TM_ATTENDEE_HANDLE | TM_ATTENDEE_EMAIL |
							   TM_ATTENDEE_CONSENT,
						   &n),
			 0);
	assert_int_equal(n.added, 3);
	meeting(f, "s:m1", 1000, "04000001", "04000002");
	meeting(f, "s:m2", 2000, "04000003", "04000001");
	assert_int_equal(tm_store_contacts(f->store, "04000001", false, &rows), 0);
	assert_string_equal(pairs_of(rows, "uid", "email"), "04000002=;04000003=cy@example.org;");
	assert_int_equal(tm_store_contacts(f->store, "04000001", false, &rows), 0);
	assert_string_equal(pairs_of(rows, "uid", "handle"), "04000002=;04000003=@cy;");
	assert_int_equal(tm_store_contacts(f->store, "04000002", false, &rows), 0);
	assert_string_equal(pairs_of(rows, "uid", "email"), "04000001=ada@example.org;");
	/* Ada again, from a file of names: her consent stays. */
	assert_int_equal(tm_store_import_attendees(f->store, &names_only, 1, 0, &n), 0);
	assert_int_equal(n.updated, 1);
	assert_int_equal(tm_store_contacts(f->store, "04000002", false, &rows), 0);
	assert_string_equal(pairs_of(rows, "name", "email"), "Ada L.=ada@example.org;");
	assert_int_equal(tm_store_attendees(f->store, &rows), 0);
	assert_string_equal(pairs_of(rows, "uid", "consent"), "04000001=1;04000002=0;04000003=1;");
	/* Withdrawn by a file that says no. */
	names_only.consent = false;
	assert_int_equal(
		tm_store_import_attendees(f->store, &names_only, 1, TM_ATTENDEE_CONSENT, &n), 0);
	assert_int_equal(tm_store_contacts(f->store, "04000002", false, &rows), 0);
	assert_string_equal(pairs_of(rows, "name", "email"), "Ada L.=;");
}

/* The record of a follow-up holds an address: forget counts and removes it,
 * even for a badge with nothing else left in the log. */
static void forget_removes_the_followup(void **state)
{
	struct fixture *f = *state;
	struct tm_forget_counts n;

	import(f, "04000001", "Ada", NULL, "ada@example.org");
	exec_sql(f, "INSERT INTO followups VALUES ('04000001', 'ada@example.org', '<1@x>', "
		    "'2026-11-27T10:00:00.000Z', 2), ('04000009', 'zed@example.org', '<2@x>', "
		    "'2026-11-27T10:00:00.000Z', 1)");
	assert_int_equal(tm_store_forget_preview(f->store, "04000001", &n), 0);
	assert_int_equal(n.registry, 1);
	assert_int_equal(n.followups, 1);
	assert_int_equal(tm_store_forget(f->store, "04000001", &n), 0);
	assert_int_equal(n.followups, 1);
	assert_int_equal(tm_store_forget_preview(f->store, "04000001", &n), 0);
	assert_int_equal(n.registry + n.followups, 0);
	assert_int_equal(tm_store_forget(f->store, "04000009", &n), 0);
	assert_int_equal(n.registry, 0);
	assert_int_equal(n.followups, 1);
	assert_int_equal(tm_store_forget(f->store, "04000009", &n), -ENOENT);
}

static void network_marks_suspect_meetings(void **state)
{
	struct fixture *f = *state;
	struct tm_rows *rows;
	char edges[256] = "";

	doubtful_day(f);
	/* Every meeting in the weights, the doubted ones counted apart. */
	for (int named = 0; named < 2; named++) {
		assert_int_equal(tm_store_export_edges(f->store, named, &rows), 0);
		assert_int_equal(tm_rows_find(rows, "suspect"), 3);
		edges[0] = '\0';
		while (tm_rows_next(rows) > 0)
			snprintf(edges + strlen(edges), sizeof(edges) - strlen(edges),
				 "%s-%s:%lld/%lld;", tm_rows_text(rows, 0), tm_rows_text(rows, 1),
				 (long long)tm_rows_int(rows, 3), (long long)tm_rows_int(rows, 2));
		tm_rows_free(rows);
		assert_string_equal(edges, "04000001-04000002:1/2;04000001-04000003:1/1;"
					   "04000002-04000003:0/1;");
	}
	/* Contacts in time cannot carry the mark: left out unless asked for. */
	assert_int_equal(tm_store_export_contacts_in_time(f->store, false, &rows), 0);
	assert_string_equal(pairs_of(rows, "t", "j"), "1=04000002;4=04000003;");
	assert_int_equal(tm_store_export_contacts_in_time(f->store, true, &rows), 0);
	assert_string_equal(pairs_of(rows, "t", "j"),
			    "1=04000002;2=04000002;3=04000003;4=04000003;");
}

static void stats_count_suspect_meetings(void **state)
{
	struct fixture *f = *state;
	static struct tm_stats t;

	doubtful_day(f);
	assert_int_equal(tm_store_stats(f->store, &t), 0);
	assert_int_equal(t.meetings, 4);
	assert_int_equal(t.suspect, 2);
	tm_stats_free(&t);
}

/* `people` counts in memory what it once asked SQL for (store/people.c):
 * the listing must be the plain query's, row for row, on a log with the
 * odd cases: a meeting of three, partners met twice, a phone seen only in
 * rejected taps, a badge seen only in a tap that did not pair, an attendee
 * never seen, badges in a meeting without taps (a hand-made log), and the
 * partner of a forgotten badge, whose paired tap lost its meeting. */
static void people_match_the_plain_query(void **state)
{
	static const char plain[] =
		"WITH ids(uid) AS (SELECT uid FROM attendees UNION SELECT uid FROM taps "
		"  WHERE outcome <> 'rejected' UNION SELECT uid FROM meeting_badges) "
		"SELECT ids.uid, a.name, a.org, "
		" (SELECT count(*) FROM meeting_badges mb WHERE mb.uid = ids.uid), "
		" (SELECT count(DISTINCT o.uid) FROM meeting_badges mb JOIN meeting_badges o "
		"   ON o.meeting_id = mb.meeting_id AND o.uid <> mb.uid WHERE mb.uid = ids.uid), "
		" (SELECT min(t.time_utc) FROM taps t WHERE t.uid = ids.uid), "
		" (SELECT max(t.time_utc) FROM taps t WHERE t.uid = ids.uid) "
		"FROM ids LEFT JOIN attendees a ON a.uid = ids.uid "
		"ORDER BY a.name IS NULL, lower(a.name), a.name, ids.uid";
	struct fixture *f = *state;
	struct tm_forget_counts gone;
	struct tm_store_tap tap;
	struct tm_rows *rows;
	sqlite3_stmt *st;
	sqlite3 *db;
	char want[2048] = "", got[2048] = "";

	import(f, "04000001", "Ada", "Org", "");
	import(f, "04000002", "bob", "", "");
	import(f, "04000009", "Never Seen", "", "");
	meeting(f, "hall:m1", 1000, "04000001", "04000002");
	meeting(f, "hall:m2", 5000, "04000001", "04000002");
	meeting(f, "hall:m3", 3000, "04000001", "04000003");
	meeting(f, "hall:m4", 4000, "04000005", "04000006");
	assert_int_equal(tm_store_station_begin(f->store, "desk", NULL), 0);
	memset(&tap, 0, sizeof(tap));
	tm_store_next_tap_id(f->store, tap.id);
	snprintf(tap.uid, sizeof(tap.uid), "%s", "08AABBCC");
	tap.outcome = TM_TAP_REJECTED;
	tap.stamp.utc_ms = 7000;
	assert_int_equal(tm_store_write_taps(f->store, &tap, 1), 0);
	tm_store_next_tap_id(f->store, tap.id);
	snprintf(tap.uid, sizeof(tap.uid), "%s", "04000007");
	tap.outcome = TM_TAP_UNPAIRED;
	tap.stamp.utc_ms = 8000;
	assert_int_equal(tm_store_write_taps(f->store, &tap, 1), 0);
	/* 04000006 keeps a paired tap whose meeting is gone. */
	assert_int_equal(tm_store_forget(f->store, "04000005", &gone), 0);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "INSERT INTO meetings (id, station, seq, time_utc, utc_ms,"
				      " clock_synced, boot_id, mono_ms, n_badges) VALUES ('old:m1',"
				      " 'old', 1, '2026-11-26T10:00:00.000Z', 9000, 1, 'b', 5, 3);"
				      "INSERT INTO meeting_badges VALUES ('old:m1', '04000001'),"
				      " ('old:m1', '04000003'), ('old:m1', '04000008');",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, plain, -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		for (int i = 0; i < 7; i++) {
			const char *v = (const char *)sqlite3_column_text(st, i);

			strcat(want, v ? v : "NULL");
			strcat(want, i < 6 ? "|" : "\n");
		}
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	assert_int_equal(tm_store_people(f->store, &rows), 0);
	while (tm_rows_next(rows) > 0) {
		for (int i = 0; i < 7; i++) {
			strcat(got, tm_rows_is_null(rows, i) ? "NULL" : tm_rows_text(rows, i));
			strcat(got, i < 6 ? "|" : "\n");
		}
	}
	tm_rows_free(rows);
	assert_non_null(strstr(want, "04000006|NULL|NULL|0|0|"));
	assert_null(strstr(want, "08AABBCC"));
	assert_string_equal(got, want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(same_millisecond_is_listed_in_sequence, setup, teardown),
		cmocka_unit_test_setup_teardown(limit_gives_the_latest, setup, teardown),
		cmocka_unit_test_setup_teardown(list_items_survive_separators_in_names, setup, teardown),
		cmocka_unit_test_setup_teardown(names_match_in_every_script, setup, teardown),
		cmocka_unit_test_setup_teardown(import_leaves_absent_columns_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(a_directory_is_named_as_such, setup, teardown),
		cmocka_unit_test_setup_teardown(failed_station_switch_keeps_the_old_one, setup, teardown),
		cmocka_unit_test_setup_teardown(stats_count_what_is_there, setup, teardown),
		cmocka_unit_test_setup_teardown(meetings_carry_their_doubt, setup, teardown),
		cmocka_unit_test_setup_teardown(contacts_leave_out_suspect_meetings, setup, teardown),
		cmocka_unit_test_setup_teardown(contacts_share_details_only_with_consent, setup, teardown),
		cmocka_unit_test_setup_teardown(forget_removes_the_followup, setup, teardown),
		cmocka_unit_test_setup_teardown(network_marks_suspect_meetings, setup, teardown),
		cmocka_unit_test_setup_teardown(stats_count_suspect_meetings, setup, teardown),
		cmocka_unit_test_setup_teardown(people_match_the_plain_query, setup, teardown),
	};

	return cmocka_run_group_tests_name("store queries", tests, NULL, NULL);
}
