/* naive_station: the reference a station is measured against (bench/speed.sh).
 *
 * What a competent developer writes in an afternoon with libnfc and SQLite:
 * list the ISO14443-A badges on the reader every 20 ms, diff the set with the
 * previous listing (arrivals, removals), and call two distinct badges that
 * arrived within 5 s of each other a meeting, whether the first still lies on
 * the reader or was taken away. Each meeting is one INSERT, committed at once,
 * in a WAL database with synchronous=FULL. No dwell time, no repeat guard, no
 * LEDs, no reconnects: a reference, not a product.
 *
 *   naive_station --device CONNSTRING --db PATH
 *
 * stdout (line-buffered):
 *   seen UID                      a badge arrived
 *   gone UID                      a badge left
 *   meeting A B mono_ms=N         after the COMMIT; N is CLOCK_MONOTONIC in ms
 */
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nfc/nfc.h>
#include <sqlite3.h>

#define POLL_MS 20
#define WINDOW_MS 5000
#define MAX_BADGES 8
#define UID_HEX 21 /* 10 bytes as hex, and a NUL */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t utc_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void uid_hex(const nfc_target *t, char out[UID_HEX])
{
	size_t n = t->nti.nai.szUidLen;

	if (n > 10)
		n = 10;
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02X", t->nti.nai.abtUid[i]);
	out[2 * n] = '\0';
}

static bool in_set(char set[][UID_HEX], int n, const char *uid)
{
	for (int i = 0; i < n; i++)
		if (strcmp(set[i], uid) == 0)
			return true;
	return false;
}

static sqlite3 *open_db(const char *path)
{
	sqlite3 *db;
	char *err = NULL;

	if (sqlite3_open(path, &db) != SQLITE_OK) {
		fprintf(stderr, "naive_station: %s: %s\n", path, sqlite3_errmsg(db));
		exit(1);
	}
	sqlite3_busy_timeout(db, 1000);
	if (sqlite3_exec(db,
			 "PRAGMA journal_mode=WAL;"
			 "PRAGMA synchronous=FULL;"
			 "CREATE TABLE IF NOT EXISTS meetings("
			 " id INTEGER PRIMARY KEY, utc_ms INTEGER NOT NULL,"
			 " badge_a TEXT NOT NULL, badge_b TEXT NOT NULL);",
			 NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "naive_station: %s: %s\n", path, err);
		exit(1);
	}
	return db;
}

/* One INSERT in autocommit mode: it is durable when step returns DONE. */
static bool store_meeting(sqlite3_stmt *ins, const char *a, const char *b)
{
	int rc;

	sqlite3_bind_int64(ins, 1, utc_ms());
	sqlite3_bind_text(ins, 2, a, -1, SQLITE_STATIC);
	sqlite3_bind_text(ins, 3, b, -1, SQLITE_STATIC);
	rc = sqlite3_step(ins);
	sqlite3_reset(ins);
	if (rc != SQLITE_DONE) {
		fprintf(stderr, "naive_station: insert failed: %s\n", sqlite3_errstr(rc));
		return false;
	}
	return true;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "device", required_argument, NULL, 'd' },
					      { "db", required_argument, NULL, 'b' },
					      { NULL, 0, NULL, 0 } };
	const nfc_modulation nm = { .nmt = NMT_ISO14443A, .nbr = NBR_106 };
	const char *device = NULL, *db_path = NULL;
	char present[MAX_BADGES][UID_HEX], now[MAX_BADGES][UID_HEX];
	int n_present = 0, opt;
	char waiting[UID_HEX] = ""; /* the first badge of a possible meeting */
	int64_t waiting_since = 0;
	nfc_context *ctx;
	nfc_device *pnd;
	sqlite3 *db;
	sqlite3_stmt *ins;
	struct sigaction sa;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'd')
			device = optarg;
		else if (opt == 'b')
			db_path = optarg;
		else
			return 2;
	}
	if (!device || !db_path) {
		fprintf(stderr, "usage: naive_station --device CONNSTRING --db PATH\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	db = open_db(db_path);
	if (sqlite3_prepare_v2(db, "INSERT INTO meetings(utc_ms, badge_a, badge_b) VALUES (?, ?, ?)",
			       -1, &ins, NULL) != SQLITE_OK) {
		fprintf(stderr, "naive_station: %s\n", sqlite3_errmsg(db));
		return 1;
	}

	nfc_init(&ctx);
	if (!ctx) {
		fprintf(stderr, "naive_station: nfc_init failed\n");
		return 1;
	}
	pnd = nfc_open(ctx, device);
	if (!pnd) {
		fprintf(stderr, "naive_station: cannot open %s\n", device);
		nfc_exit(ctx);
		return 1;
	}
	if (nfc_initiator_init(pnd) < 0) {
		nfc_perror(pnd, "nfc_initiator_init");
		nfc_close(pnd);
		nfc_exit(ctx);
		return 1;
	}
	fprintf(stderr, "naive_station: polling %s every %d ms\n", nfc_device_get_name(pnd), POLL_MS);

	while (!stop) {
		nfc_target targets[MAX_BADGES];
		int n_now, n;

		/* Listing halts every badge it finds; a halted badge answers again
		 * only after the field was off, so the field stays off between polls. */
		if (nfc_device_set_property_bool(pnd, NP_ACTIVATE_FIELD, true) < 0) {
			nfc_perror(pnd, "field on");
			sleep_ms(POLL_MS);
			continue;
		}
		n = nfc_initiator_list_passive_targets(pnd, nm, targets, MAX_BADGES);
		nfc_device_set_property_bool(pnd, NP_ACTIVATE_FIELD, false);
		if (n < 0) {
			nfc_perror(pnd, "nfc_initiator_list_passive_targets");
			sleep_ms(POLL_MS);
			continue;
		}

		n_now = 0;
		for (int i = 0; i < n; i++) {
			char uid[UID_HEX];

			uid_hex(&targets[i], uid);
			if (!in_set(now, n_now, uid))
				memcpy(now[n_now++], uid, UID_HEX);
		}
		for (int i = 0; i < n_present; i++)
			if (!in_set(now, n_now, present[i]))
				printf("gone %s\n", present[i]);
		for (int i = 0; i < n_now; i++) {
			int64_t t = mono_ms();

			if (in_set(present, n_present, now[i]))
				continue;
			printf("seen %s\n", now[i]);
			if (waiting[0] && strcmp(waiting, now[i]) != 0 && t - waiting_since <= WINDOW_MS) {
				if (store_meeting(ins, waiting, now[i]))
					printf("meeting %s %s mono_ms=%lld\n", waiting, now[i],
					       (long long)mono_ms());
				waiting[0] = '\0';
			} else {
				memcpy(waiting, now[i], UID_HEX);
				waiting_since = t;
			}
		}
		memcpy(present, now, (size_t)n_now * UID_HEX);
		n_present = n_now;
		sleep_ms(POLL_MS);
	}

	sqlite3_finalize(ins);
	sqlite3_close(db);
	nfc_close(pnd);
	nfc_exit(ctx);
	return 0;
}
