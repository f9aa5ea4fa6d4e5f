/* The writer thread on a real SQLite file: commits in order, reports a
 * locked database and its recovery, keeps a first tap's row through any
 * number of other taps and pairs (with the engine's own refs too), switches
 * stations in order, and hands back what it could not write when stopped. */
#include <errno.h>
#include <poll.h>
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

#include "tapmeet/clock.h"
#include "tapmeet/engine.h"
#include "tapmeet/log.h"
#include "tapmeet/store.h"
#include "writer.h"

struct fixture {
	char dir[64];
	char path[128];
	struct writer *w;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct tm_store_options opt = { .busy_timeout_ms = 20, .no_sync = true };
	struct tm_store *s;

	snprintf(f->dir, sizeof(f->dir), "/tmp/tapmeet-writer-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/t.db", f->dir);
	assert_int_equal(tm_store_open(f->path, &opt, &s), 0);
	assert_int_equal(tm_store_station_begin(s, "hall-a", "Hall A"), 0);
	assert_int_equal(writer_start(s, 20, 50, 100, &f->w), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[160];

	writer_free(f->w);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static int64_t query(struct fixture *f, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t v = -1;

	assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 2000);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static struct write_req *taps(uint64_t ref, const char *uid, enum tm_tap_outcome outcome)
{
	struct write_req *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	r->type = WRITE_TAPS;
	r->n_taps = 1;
	r->taps[0].ref = ref;
	snprintf(r->taps[0].row.uid, sizeof(r->taps[0].row.uid), "%s", uid);
	r->taps[0].row.outcome = outcome;
	tm_stamp_at(&r->taps[0].row.stamp, tm_mono_ms());
	return r;
}

static struct write_req *meeting(uint64_t ref_a, uint64_t ref_b)
{
	struct write_req *r = calloc(1, sizeof(*r));
	const char *uids[2] = { "04A1B2C3", "04D5E6F7" };
	uint64_t refs[2] = { ref_a, ref_b };

	assert_non_null(r);
	r->type = WRITE_MEETING;
	r->n_taps = 2;
	for (int i = 0; i < 2; i++) {
		r->taps[i].ref = refs[i];
		snprintf(r->taps[i].row.uid, sizeof(r->taps[i].row.uid), "%s", uids[i]);
		r->taps[i].row.outcome = TM_TAP_PAIRED;
		tm_stamp_at(&r->taps[i].row.stamp, tm_mono_ms());
	}
	tm_stamp_at(&r->stamp, tm_mono_ms());
	return r;
}

/* The next notice, waiting on the writer's fd for up to 10 s. */
static struct writer_notice next(struct fixture *f)
{
	struct writer_notice n;

	for (int i = 0; i < 200; i++) {
		struct pollfd p = { .fd = writer_fd(f->w), .events = POLLIN };

		if (writer_next_notice(f->w, &n))
			return n;
		poll(&p, 1, 50);
		writer_ack(f->w);
	}
	fail_msg("no notice from the writer");
	return n;
}

static void commits_in_order_with_ids(void **state)
{
	struct fixture *f = *state;
	struct writer_notice n;

	assert_int_equal(writer_submit(f->w, taps(1, "04A1B2C3", TM_TAP_PENDING)), 0);
	assert_int_equal(writer_submit(f->w, meeting(1, 2)), 0);
	n = next(f);
	assert_int_equal(n.type, NOTICE_COMMITTED);
	assert_string_equal(n.req->taps[0].row.id, "hall-a:1");
	assert_true(n.req->taps[0].inserted);
	free(n.req);
	n = next(f);
	assert_int_equal(n.type, NOTICE_COMMITTED);
	assert_string_equal(n.req->meeting_id, "hall-a:m1");
	/* The first tap's row was updated, the partner's inserted. */
	assert_string_equal(n.req->taps[0].row.id, "hall-a:1");
	assert_false(n.req->taps[0].inserted);
	assert_string_equal(n.req->taps[1].row.id, "hall-a:2");
	assert_true(n.req->taps[1].inserted);
	free(n.req);
	assert_int_equal(query(f, "SELECT count(*) FROM taps WHERE outcome = 'paired'"), 2);
	assert_int_equal(query(f, "SELECT count(*) FROM taps"), 2);
}

/* A first tap, then more rejected badges than any fixed map would hold,
 * then its partner: still one row for the first tap. */
static void a_pending_tap_keeps_its_row_through_many_taps(void **state)
{
	struct fixture *f = *state;
	struct writer_notice n;
	char uid[16];

	assert_int_equal(writer_submit(f->w, taps(1, "04A1B2C3", TM_TAP_PENDING)), 0);
	for (int i = 0; i < 40; i++) {
		snprintf(uid, sizeof(uid), "08%06X", i);
		assert_int_equal(writer_submit(f->w, taps(10 + (uint64_t)i, uid, TM_TAP_REJECTED)), 0);
	}
	assert_int_equal(writer_submit(f->w, meeting(1, 100)), 0);
	for (int i = 0; i < 42; i++) {
		n = next(f);
		assert_int_equal(n.type, NOTICE_COMMITTED);
		free(n.req);
	}
	assert_int_equal(query(f, "SELECT count(*) FROM taps WHERE uid = '04A1B2C3'"), 1);
	assert_int_equal(query(f, "SELECT count(*) FROM taps WHERE outcome = 'pending'"), 0);
	assert_int_equal(query(f, "SELECT count(*) FROM taps"), 42);
}

static struct write_req *pair_meeting(uint64_t ref_a, const char *uid_a, uint64_t ref_b,
				      const char *uid_b)
{
	struct write_req *r = calloc(1, sizeof(*r));
	const char *uids[2] = { uid_a, uid_b };
	uint64_t refs[2] = { ref_a, ref_b };

	assert_non_null(r);
	r->type = WRITE_MEETING;
	r->n_taps = 2;
	for (int i = 0; i < 2; i++) {
		r->taps[i].ref = refs[i];
		snprintf(r->taps[i].row.uid, sizeof(r->taps[i].row.uid), "%s", uids[i]);
		r->taps[i].row.outcome = TM_TAP_PAIRED;
		tm_stamp_at(&r->taps[i].row.stamp, tm_mono_ms());
	}
	tm_stamp_at(&r->stamp, tm_mono_ms());
	return r;
}

/* Reads every notice for `n` submitted writes; returns the row id the
 * writer gave each ref, by ref (ids[ref], up to max_ref). */
static void collect(struct fixture *f, int n, char (*ids)[TM_ID_SIZE], uint64_t max_ref)
{
	for (int i = 0; i < n; i++) {
		struct writer_notice nt = next(f);

		assert_int_equal(nt.type, NOTICE_COMMITTED);
		for (size_t k = 0; k < nt.req->n_taps; k++) {
			const struct write_tap *t = &nt.req->taps[k];

			assert_true(t->ref <= max_ref);
			if (ids[t->ref][0]) /* an update: the same row */
				assert_string_equal(t->row.id, ids[t->ref]);
			else
				memcpy(ids[t->ref], t->row.id, TM_ID_SIZE);
		}
		free(nt.req);
	}
}

/* A first tap waits while 16 rejected badges and 8 pairs (a pending tap
 * and its meeting each) go by: 40 refs, more than a fixed 16-entry map
 * would hold, 9 of them pending at some point. Its partner then comes:
 * every tap has one row, and the first is paired, not left pending. */
static void a_pending_tap_keeps_its_row_past_sixteen_refs_and_eight_pairs(void **state)
{
	struct fixture *f = *state;
	char ids[64][TM_ID_SIZE];
	char uid[16], uid2[16];
	uint64_t ref = 1;
	int submitted = 0;

	memset(ids, 0, sizeof(ids));
	assert_int_equal(writer_submit(f->w, taps(ref++, "04A1B2C3", TM_TAP_PENDING)), 0);
	submitted++;
	for (int i = 0; i < 16; i++) {
		snprintf(uid, sizeof(uid), "08%06X", i);
		assert_int_equal(writer_submit(f->w, taps(ref++, uid, TM_TAP_REJECTED)), 0);
		submitted++;
	}
	for (int k = 0; k < 8; k++) {
		uint64_t first = ref++, second = ref++;

		snprintf(uid, sizeof(uid), "041000%02X", k);
		snprintf(uid2, sizeof(uid2), "042000%02X", k);
		assert_int_equal(writer_submit(f->w, taps(first, uid, TM_TAP_PENDING)), 0);
		assert_int_equal(writer_submit(f->w, pair_meeting(first, uid, second, uid2)), 0);
		submitted += 2;
	}
	assert_int_equal(writer_submit(f->w, pair_meeting(1, "04A1B2C3", ref, "04D5E6F7")), 0);
	submitted++;
	collect(f, submitted, ids, ref);

	assert_int_equal(query(f, "SELECT count(*) FROM taps"), 1 + 16 + 16 + 1);
	assert_int_equal(query(f, "SELECT count(*) FROM (SELECT uid FROM taps GROUP BY uid"
				  " HAVING count(*) <> 1)"),
			 0);
	assert_int_equal(query(f, "SELECT count(*) FROM taps WHERE outcome = 'pending'"), 0);
	assert_int_equal(query(f, "SELECT count(*) FROM taps WHERE outcome = 'paired'"), 18);
	assert_int_equal(query(f, "SELECT count(*) FROM taps WHERE outcome = 'rejected'"), 16);
	assert_int_equal(query(f, "SELECT count(*) FROM meetings"), 9);
	/* The first tap's own row, now paired in the last meeting with its partner. */
	assert_string_equal(ids[1], "hall-a:1");
	assert_int_equal(query(f, "SELECT count(*) FROM taps a JOIN taps b"
				  " ON a.meeting_id = b.meeting_id"
				  " WHERE a.id = 'hall-a:1' AND a.uid = '04A1B2C3'"
				  " AND a.outcome = 'paired' AND b.uid = '04D5E6F7'"
				  " AND b.outcome = 'paired'"),
			 1);
	for (uint64_t r = 1; r <= ref; r++)
		assert_true(ids[r][0] != '\0');
	/* One row per ref: 34 refs, 34 distinct ids. */
	for (uint64_t r = 1; r <= ref; r++)
		for (uint64_t q = 1; q < r; q++)
			assert_string_not_equal(ids[r], ids[q]);
}

/* The same story with the refs the engine gives: its actions turned into
 * writes as the station does. */
static struct write_req *from_action(const struct tm_action *a)
{
	struct write_req *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	r->type = a->type == TM_ACTION_MEETING ? WRITE_MEETING : WRITE_TAPS;
	r->pattern = a->pattern;
	r->n_taps = a->n_taps;
	for (size_t i = 0; i < a->n_taps; i++) {
		const struct tm_tap *t = &a->taps[i];
		struct write_tap *w = &r->taps[i];

		w->ref = t->ref;
		tm_badge_uid_hex(&t->badge, w->row.uid);
		w->row.kind = t->badge.kind;
		w->row.outcome = t->outcome;
		snprintf(w->row.reason, sizeof(w->row.reason), "%s", t->reason);
		tm_stamp_at(&w->row.stamp, t->at_ms);
	}
	if (r->type == WRITE_MEETING) {
		tm_stamp_at(&r->stamp, a->at_ms);
		snprintf(r->suspect, sizeof(r->suspect), "%s", a->suspect);
	}
	return r;
}

static int submit_actions(struct fixture *f, struct tm_engine *e)
{
	struct tm_action a;
	int n = 0;

	while (tm_engine_pop(e, &a)) {
		assert_int_equal(writer_submit(f->w, from_action(&a)), 0);
		n++;
	}
	return n;
}

static void engine_refs_keep_the_first_tap_row_through_the_writer(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg;
	struct tm_engine e;
	struct tm_badge first, partner, b[2];
	char ids[64][TM_ID_SIZE], uid[16];
	int64_t now = tm_mono_ms();
	int submitted = 0;

	memset(ids, 0, sizeof(ids));
	tm_engine_config_defaults(&cfg);
	cfg.window_ms = 60000; /* the first tap waits through it all */
	/* Taps one after the other, each counted at once: the first tap's
	 * partner comes 34 refs later. */
	cfg.sequential = true;
	cfg.after_meeting_ms = 0;
	cfg.min_dwell_ms = 0;
	tm_engine_init(&e, &cfg);
	assert_int_equal(tm_badge_parse_uid(&first, "04A1B2C3"), 0);
	assert_int_equal(tm_badge_parse_uid(&partner, "04D5E6F7"), 0);

	tm_engine_present(&e, now, &first);
	tm_engine_removed(&e, now + 200, &first);
	submitted += submit_actions(f, &e);
	for (int i = 0; i < 16; i++) {
		now += 500;
		snprintf(uid, sizeof(uid), "08%06X", i);
		assert_int_equal(tm_badge_parse_uid(&b[0], uid), 0);
		tm_engine_present(&e, now, &b[0]);
		tm_engine_removed(&e, now + 100, &b[0]);
		submitted += submit_actions(f, &e);
	}
	/* Eight pairs held together: meetings of their own, the first tap
	 * keeps waiting. */
	for (int k = 0; k < 8; k++) {
		now += 1000;
		snprintf(uid, sizeof(uid), "041000%02X", k);
		assert_int_equal(tm_badge_parse_uid(&b[0], uid), 0);
		snprintf(uid, sizeof(uid), "042000%02X", k);
		assert_int_equal(tm_badge_parse_uid(&b[1], uid), 0);
		tm_engine_badges(&e, now, b, 2);
		tm_engine_badges(&e, now + 300, NULL, 0);
		submitted += submit_actions(f, &e);
	}
	assert_true(e.pending);
	now += 1000;
	tm_engine_present(&e, now, &partner);
	tm_engine_removed(&e, now + 200, &partner);
	submitted += submit_actions(f, &e);
	assert_int_equal(submitted, 1 + 16 + 8 + 1);
	assert_true(e.next_ref - 1 < 64);
	collect(f, submitted, ids, e.next_ref - 1);
	tm_engine_free(&e);

	assert_int_equal(query(f, "SELECT count(*) FROM taps"), 34);
	assert_int_equal(query(f, "SELECT count(*) FROM (SELECT uid FROM taps GROUP BY uid"
				  " HAVING count(*) <> 1)"),
			 0);
	assert_int_equal(query(f, "SELECT count(*) FROM taps WHERE outcome = 'pending'"), 0);
	assert_int_equal(query(f, "SELECT count(*) FROM taps WHERE outcome = 'rejected'"), 16);
	assert_int_equal(query(f, "SELECT count(*) FROM meetings"), 9);
	assert_int_equal(query(f, "SELECT count(*) FROM taps a JOIN taps b"
				  " ON a.meeting_id = b.meeting_id"
				  " WHERE a.id = 'hall-a:1' AND a.uid = '04A1B2C3'"
				  " AND a.outcome = 'paired' AND b.uid = '04D5E6F7'"
				  " AND b.outcome = 'paired'"),
			 1);
}

static void a_locked_database_is_reported_then_recovers(void **state)
{
	struct fixture *f = *state;
	struct writer_notice n;
	sqlite3 *other;

	assert_int_equal(sqlite3_open(f->path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(writer_submit(f->w, taps(1, "04A1B2C3", TM_TAP_UNPAIRED)), 0);
	n = next(f);
	assert_int_equal(n.type, NOTICE_FAILING);
	assert_int_equal(n.rc, -EBUSY);
	assert_non_null(strstr(n.message, "locked"));
	assert_int_equal(writer_backlog(f->w, NULL), 1);
	assert_int_equal(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(other);
	n = next(f);
	assert_int_equal(n.type, NOTICE_RECOVERED);
	n = next(f);
	assert_int_equal(n.type, NOTICE_COMMITTED);
	assert_true(n.req->attempts >= 1);
	free(n.req);
	assert_int_equal(writer_backlog(f->w, NULL), 0);
	assert_int_equal(query(f, "SELECT count(*) FROM taps"), 1);
}

static void stations_switch_in_order(void **state)
{
	struct fixture *f = *state;
	struct write_req *sw = calloc(1, sizeof(*sw));
	struct writer_notice n;

	assert_non_null(sw);
	sw->type = WRITE_STATION;
	snprintf(sw->station.id, sizeof(sw->station.id), "hall-b");
	assert_int_equal(writer_submit(f->w, taps(1, "04000001", TM_TAP_UNPAIRED)), 0);
	assert_int_equal(writer_submit(f->w, sw), 0);
	assert_int_equal(writer_submit(f->w, taps(2, "04000002", TM_TAP_UNPAIRED)), 0);
	for (int i = 0; i < 3; i++) {
		n = next(f);
		assert_int_equal(n.type, NOTICE_COMMITTED);
		if (i == 0)
			assert_string_equal(n.req->taps[0].row.id, "hall-a:1");
		if (i == 2)
			assert_string_equal(n.req->taps[0].row.id, "hall-b:1");
		free(n.req);
	}
	assert_int_equal(query(f, "SELECT count(*) FROM stations WHERE id = 'hall-b'"), 1);
}

static void stop_hands_back_what_was_not_written(void **state)
{
	struct fixture *f = *state;
	struct write_req *left, *next_req;
	struct writer_notice n;
	sqlite3 *other;
	int count = 0;

	assert_int_equal(sqlite3_open(f->path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(writer_submit(f->w, taps(1, "04000001", TM_TAP_UNPAIRED)), 0);
	assert_int_equal(writer_submit(f->w, taps(2, "04000002", TM_TAP_UNPAIRED)), 0);
	left = writer_stop(f->w, tm_mono_ms() + 200);
	for (; left; left = next_req) {
		next_req = left->next;
		count++;
		free(left);
	}
	assert_int_equal(count, 2);
	while (writer_next_notice(f->w, &n))
		free(n.req);
	sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(commits_in_order_with_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(a_pending_tap_keeps_its_row_through_many_taps, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			a_pending_tap_keeps_its_row_past_sixteen_refs_and_eight_pairs, setup, teardown),
		cmocka_unit_test_setup_teardown(engine_refs_keep_the_first_tap_row_through_the_writer,
						setup, teardown),
		cmocka_unit_test_setup_teardown(a_locked_database_is_reported_then_recovers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(stations_switch_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(stop_hands_back_what_was_not_written, setup, teardown),
	};

	tm_log_init("test_writer");
	if (getenv("TAPMEET_TEST_QEMU_USER")) {
		/* packaging/cross-arm64.sh: qemu-user cannot start threads there. */
		printf("test_writer: skipped (%s)\n", getenv("TAPMEET_TEST_QEMU_USER"));
		return 0;
	}
	return cmocka_run_group_tests_name("writer", tests, NULL, NULL);
}
