/* The writer thread on a real SQLite file: commits in order, reports a
 * locked database and its recovery, keeps a first tap's row through any
 * number of other taps, switches stations in order, and hands back what it
 * could not write when stopped. */
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
