/* Following the log: a writer through the store and a follower on temporary
 * files. Waits are generous (5 s) and nothing is timed: the point is that the
 * follower is told, not how fast. Time for the re-checks is passed in. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "follow.h"
#include "tapmeet/clock.h"
#include "tapmeet/store.h"

#define WAIT_MS 5000

struct fixture {
	char dir[64];
	char path[128];
	struct tm_store *store;
	struct tm_store_follow *follow;
	sqlite3 *reader; /* a reader that stays open, as tail -f's does */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct tm_store_options opt = { .busy_timeout_ms = 1000 };

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/tapmeet-follow-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/t.db", f->dir);
	assert_int_equal(tm_store_open(f->path, &opt, &f->store), 0);
	assert_int_equal(tm_store_station_begin(f->store, "hall-a", "Hall A"), 0);
	assert_int_equal(tm_store_follow_open(f->path, &f->follow), 0);
	assert_int_equal(sqlite3_open_v2(f->path, &f->reader, SQLITE_OPEN_READONLY, NULL),
			 SQLITE_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[160];

	sqlite3_close(f->reader);
	tm_store_follow_close(f->follow);
	tm_store_close(f->store);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static int64_t count_taps(sqlite3 *db)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM taps", -1, &st, NULL),
			 SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void make_tap(struct tm_store *s, struct tm_store_tap *t, const char *uid,
		     enum tm_tap_outcome outcome)
{
	memset(t, 0, sizeof(*t));
	tm_store_next_tap_id(s, t->id);
	snprintf(t->uid, sizeof(t->uid), "%s", uid);
	t->kind = TM_BADGE_MIFARE_CLASSIC;
	t->outcome = outcome;
	tm_stamp_at(&t->stamp, tm_mono_ms());
}

static int write_tap(struct tm_store *s, const char *uid)
{
	struct tm_store_tap t;

	make_tap(s, &t, uid, TM_TAP_UNPAIRED);
	return tm_store_write_taps(s, &t, 1);
}

static bool readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

/* Runs the scheduled re-checks out (at fake time *now) until none is left. */
static void settle(struct tm_store_follow *fw, int64_t *now)
{
	int timeout, rc;

	assert_true(tm_store_follow_check(fw, *now, &timeout) >= 0);
	for (int i = 0; timeout >= 0; i++) {
		assert_true(i < 10);
		*now += timeout;
		rc = tm_store_follow_check(fw, *now, &timeout);
		assert_int_equal(rc, 1);
	}
}

static void test_quiet(void **state)
{
	struct fixture *f = *state;
	int timeout = 123;

	assert_false(readable(tm_store_follow_fd(f->follow), 0));
	assert_int_equal(tm_store_follow_check(f->follow, 1000, &timeout), 0);
	assert_int_equal(timeout, -1);
	assert_int_equal(tm_store_follow_check(f->follow, 900000, &timeout), 0);
	assert_int_equal(timeout, -1);
}

/* True when an IN_ATTRIB on name is among the queued events of fd. */
static bool attrib_seen(int fd, const char *name)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool seen = false;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)(void *)p;

			if ((ev->mask & IN_ATTRIB) && ev->len && !strcmp(ev->name, name))
				seen = true;
			p += sizeof(*ev) + ev->len;
		}
	}
	return seen;
}

/* Taps alone and meetings, as the daemon writes them: each commit is
 * announced (an IN_ATTRIB on the -wal, which SQLite alone never causes), and
 * when the follower says so the rows are there for a reader. */
static void test_each_write_is_announced(void **state)
{
	struct fixture *f = *state;
	int64_t now = 1000, expected = 0;
	int timeout;
	int spy = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

	assert_true(spy >= 0);
	assert_true(inotify_add_watch(spy, f->dir, IN_ATTRIB) >= 0);
	for (int i = 1; i <= 6; i++) {
		struct tm_store_tap taps[2];
		char uid[16];

		snprintf(uid, sizeof(uid), "040000%02d", i);
		if (i % 2) {
			make_tap(f->store, &taps[0], uid, TM_TAP_UNPAIRED);
			assert_int_equal(tm_store_write_taps(f->store, taps, 1), 0);
			expected += 1;
		} else {
			char id[TM_ID_SIZE];
			struct tm_stamp stamp;

			make_tap(f->store, &taps[0], uid, TM_TAP_PAIRED);
			make_tap(f->store, &taps[1], "04D5E6F7A1B2C3", TM_TAP_PAIRED);
			tm_store_next_meeting_id(f->store, id);
			tm_stamp_at(&stamp, tm_mono_ms());
			assert_int_equal(tm_store_write_meeting(f->store, id, &stamp, taps, 2, NULL), 0);
			expected += 2;
		}
		assert_true(readable(spy, WAIT_MS));
		assert_true(attrib_seen(spy, "t.db-wal"));
		assert_true(readable(tm_store_follow_fd(f->follow), WAIT_MS));
		assert_int_equal(tm_store_follow_check(f->follow, now, &timeout), 1);
		assert_int_equal(count_taps(f->reader), expected);
		settle(f->follow, &now);
		assert_int_equal(tm_store_follow_check(f->follow, now, &timeout), 0);
		assert_int_equal(timeout, -1);
		now += 2000;
	}
	close(spy);
}

static void test_announcement_alone(void **state)
{
	struct fixture *f = *state;
	int timeout;

	settle(f->follow, &(int64_t){ 0 });
	/* Only the -wal's times change: the news comes at once and arms no
	 * re-check, as no write was seen. */
	store_announce_commit(f->path);
	assert_true(readable(tm_store_follow_fd(f->follow), WAIT_MS));
	assert_int_equal(tm_store_follow_check(f->follow, 5000, &timeout), 1);
	assert_int_equal(timeout, -1);
	assert_int_equal(tm_store_follow_check(f->follow, 6000, &timeout), 0);
	assert_int_equal(timeout, -1);
	/* Announcing a database without a -wal (or any) is harmless. */
	errno = 0;
	store_announce_commit("/nonexistent/x.db");
	store_announce_commit("");
	assert_int_equal(errno, 0);
}

static void test_unannounced_write_is_rechecked(void **state)
{
	struct fixture *f = *state;
	sqlite3 *other;
	int64_t now = 10000;
	int timeout, rc, rechecks = 0;

	settle(f->follow, &(int64_t){ 0 });
	/* Another program (a sqlite3 shell) commits: no announcement. */
	assert_int_equal(sqlite3_open_v2(f->path, &other, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other,
				      "INSERT INTO taps (id, station, seq, uid, outcome, time_utc,"
				      " utc_ms, clock_synced, boot_id, mono_ms) VALUES ('x:1', 'x',"
				      " 1, '04ABCDEF', 'unpaired', '2026-11-26T10:00:00.000Z',"
				      " 1795687200000, 1, 'b', 1)",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_true(readable(tm_store_follow_fd(f->follow), WAIT_MS));
	assert_int_equal(tm_store_follow_check(f->follow, now, &timeout), 1);
	assert_true(timeout > 0 && timeout <= 1000);
	/* Too early: nothing to do yet, the same deadline. */
	assert_int_equal(tm_store_follow_check(f->follow, now + timeout - 1, &rc), 0);
	assert_int_equal(rc, 1);
	/* The re-checks come, then stop: no polling while idle. */
	while (timeout >= 0) {
		assert_true(++rechecks <= 3);
		now += timeout;
		assert_int_equal(tm_store_follow_check(f->follow, now, &timeout), 1);
	}
	assert_true(rechecks >= 2);
	assert_int_equal(count_taps(f->reader), 1);
	sqlite3_close(other);
	settle(f->follow, &now);
	assert_int_equal(tm_store_follow_check(f->follow, now + 60000, &timeout), 0);
	assert_int_equal(timeout, -1);
}

static void test_other_files_ignored(void **state)
{
	struct fixture *f = *state;
	char other[160];
	int timeout, fd;

	settle(f->follow, &(int64_t){ 0 });
	snprintf(other, sizeof(other), "%s/t.db2-wal", f->dir);
	fd = open(other, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x", 1), 1);
	close(fd);
	assert_true(readable(tm_store_follow_fd(f->follow), WAIT_MS));
	assert_int_equal(tm_store_follow_check(f->follow, 0, &timeout), 0);
	assert_int_equal(timeout, -1);
}

static void test_deleted(void **state)
{
	struct fixture *f = *state;
	int timeout;

	assert_int_equal(unlink(f->path), 0);
	assert_true(readable(tm_store_follow_fd(f->follow), WAIT_MS));
	assert_int_equal(tm_store_follow_check(f->follow, 0, &timeout), -ENOENT);
	assert_int_equal(timeout, -1);
	/* It stays so. */
	assert_int_equal(tm_store_follow_check(f->follow, 1, &timeout), -ENOENT);
}

static void test_renamed_away(void **state)
{
	struct fixture *f = *state;
	char away[160];
	int timeout;

	snprintf(away, sizeof(away), "%s/old.db", f->dir);
	assert_int_equal(rename(f->path, away), 0);
	assert_true(readable(tm_store_follow_fd(f->follow), WAIT_MS));
	assert_int_equal(tm_store_follow_check(f->follow, 0, &timeout), -ENOENT);
}

static void test_replaced(void **state)
{
	struct fixture *f = *state;
	char fresh[160];
	int timeout, fd;

	/* A restored backup moved into place: the same name, another file. */
	snprintf(fresh, sizeof(fresh), "%s/new.db", f->dir);
	fd = open(fresh, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(rename(fresh, f->path), 0);
	assert_true(readable(tm_store_follow_fd(f->follow), WAIT_MS));
	assert_int_equal(tm_store_follow_check(f->follow, 0, &timeout), -ENOENT);
}

static void test_open_errors(void **state)
{
	struct fixture *f = *state;
	struct tm_store_follow *fw = (struct tm_store_follow *)1;
	char missing[160];

	snprintf(missing, sizeof(missing), "%s/missing.db", f->dir);
	assert_int_equal(tm_store_follow_open(missing, &fw), -ENOENT);
	assert_null(fw);
	assert_int_equal(tm_store_follow_open(f->dir, &fw), -EISDIR);
	assert_null(fw);
	tm_store_follow_close(NULL);
}

/* A database reached through a symbolic link in another directory: the
 * -wal lies next to the real file, and that is what is watched. */
static void test_symlink(void **state)
{
	struct fixture *f = *state;
	struct tm_store_follow *fw;
	char sub[128], link[160];
	int64_t now = 0;
	int timeout;

	snprintf(sub, sizeof(sub), "%s/links", f->dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(link, sizeof(link), "%s/t.db", sub);
	assert_int_equal(symlink(f->path, link), 0);
	assert_int_equal(tm_store_follow_open(link, &fw), 0);
	assert_int_equal(write_tap(f->store, "04A1B2C3"), 0);
	assert_true(readable(tm_store_follow_fd(fw), WAIT_MS));
	assert_int_equal(tm_store_follow_check(fw, now, &timeout), 1);
	settle(fw, &now);
	tm_store_follow_close(fw);
}

/* The writer on its own connection in another thread, as the daemon's
 * writer is: the follower sleeps in poll() on the fd and the timeouts it is
 * given, and sees every commit. (A thread, not a process: SQLite connections
 * must not be opened on both sides of a fork.) */
struct writer {
	const char *path;
	int go[2];
	int rc;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	struct tm_store_options opt = { .busy_timeout_ms = 1000 };
	struct tm_store *s = NULL;
	char c;

	w->rc = tm_store_open(w->path, &opt, &s);
	if (w->rc == 0)
		w->rc = tm_store_station_begin(s, "hall-b", "");
	for (int i = 0; w->rc == 0 && i < 5; i++) {
		char uid[16];

		snprintf(uid, sizeof(uid), "041000%02d", i);
		w->rc = write_tap(s, uid);
		usleep(100 * 1000);
	}
	/* Stay open until told: closing writes (a checkpoint) and would wake
	 * the follower, hiding a missed announcement. */
	if (read(w->go[0], &c, 1) < 0)
		w->rc = -errno;
	tm_store_close(s);
	return NULL;
}

static void test_other_thread(void **state)
{
	struct fixture *f = *state;
	struct writer w = { .path = f->path };
	pthread_t thread;
	int64_t seen = 0;
	int timeout = -1;

	if (getenv("TAPMEET_TEST_QEMU_USER"))
		skip(); /* packaging/cross-arm64.sh: qemu-user cannot start threads there */
	assert_int_equal(pipe(w.go), 0);
	assert_int_equal(pthread_create(&thread, NULL, writer_main, &w), 0);
	while (seen < 5) {
		struct pollfd p = { .fd = tm_store_follow_fd(f->follow), .events = POLLIN };
		int r = poll(&p, 1, timeout >= 0 && timeout < WAIT_MS ? timeout : WAIT_MS);
		int rc;

		if (r == 0 && timeout < 0)
			break; /* nothing came for 5 s with nothing scheduled */
		rc = tm_store_follow_check(f->follow, tm_mono_ms(), &timeout);
		assert_true(rc >= 0);
		if (rc == 1)
			seen = count_taps(f->reader);
	}
	assert_int_equal(write(w.go[1], "x", 1), 1);
	assert_int_equal(pthread_join(thread, NULL), 0);
	close(w.go[0]);
	close(w.go[1]);
	assert_int_equal(w.rc, 0);
	assert_int_equal(seen, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_quiet, setup, teardown),
		cmocka_unit_test_setup_teardown(test_each_write_is_announced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_announcement_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unannounced_write_is_rechecked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_files_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deleted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_renamed_away, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replaced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_thread, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
