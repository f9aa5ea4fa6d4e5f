/* Benchmark databases for the tapmeet CLI, written straight through SQLite's
 * API in one transaction (minutes of SQL text would dominate otherwise).
 *
 *   gen synthetic OUT.db [MEETINGS] [ATTENDEES] [STATIONS] [DAYS]
 *   gen sfhh OUT.db tij_SFHH.dat
 *
 * synthetic: meetings between 09:00 and 18:00 UTC on consecutive days from
 * 2026-11-26; partners drawn with a skew (a few people meet many), 6% of
 * meetings have three badges; every badge of a meeting has a paired tap and
 * one tap in ten is left unpaired.
 * sfhh: SocioPatterns contacts; consecutive 20 s windows of a pair merge into
 * one contact, whose start becomes a meeting at one of 10 stations. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "tapmeet/schema.h"

#define GEN_VERSION 1
#define T0_MS 1795683600000LL /* 2026-11-26T09:00:00Z */

static sqlite3 *db;
static sqlite3_stmt *ins_meeting, *ins_member, *ins_tap, *ins_attendee;
static long long tap_seq[1000], meeting_seq[1000];

static void die(const char *what)
{
	fprintf(stderr, "gen: %s: %s\n", what, db ? sqlite3_errmsg(db) : "");
	exit(1);
}

static void exec(const char *sql)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		die(sql);
}

static void prepare(void)
{
	if (sqlite3_prepare_v2(db, "INSERT INTO meetings VALUES (?1, ?2, ?3, ?4, ?5, 1, 'bench', ?6, ?7)",
			       -1, &ins_meeting, NULL) ||
	    sqlite3_prepare_v2(db, "INSERT INTO meeting_badges VALUES (?1, ?2)", -1, &ins_member,
			       NULL) ||
	    sqlite3_prepare_v2(db,
			       "INSERT INTO taps VALUES (?1, ?2, ?3, ?4, 'mifare-classic', ?5, '', "
			       "?6, ?7, ?8, 1, 'bench', ?9)",
			       -1, &ins_tap, NULL) ||
	    sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO attendees (uid, name, org) VALUES (?1, ?2, ?3)",
			       -1, &ins_attendee, NULL))
		die("prepare");
}

static void step(sqlite3_stmt *st)
{
	if (sqlite3_step(st) != SQLITE_DONE)
		die("insert");
	sqlite3_reset(st);
}

static void fmt_utc(long long ms, char out[80])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out, 80, "%04d-%02d-%02dT%02d:%02d:%02d.%03lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms % 1000);
}

static void tap(int station, const char *uid, const char *outcome, const char *meeting,
		long long ms)
{
	char id[64], sid[16], t[80];

	snprintf(sid, sizeof(sid), "st%02d", station);
	snprintf(id, sizeof(id), "%s:%lld", sid, ++tap_seq[station]);
	fmt_utc(ms, t);
	sqlite3_bind_text(ins_tap, 1, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(ins_tap, 2, sid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(ins_tap, 3, tap_seq[station]);
	sqlite3_bind_text(ins_tap, 4, uid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(ins_tap, 5, outcome, -1, SQLITE_STATIC);
	if (meeting)
		sqlite3_bind_text(ins_tap, 6, meeting, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(ins_tap, 6);
	sqlite3_bind_text(ins_tap, 7, t, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(ins_tap, 8, ms);
	sqlite3_bind_int64(ins_tap, 9, ms);
	step(ins_tap);
}

static void meeting(int station, char uids[][24], int n, long long ms)
{
	char id[64], sid[16], t[80];

	snprintf(sid, sizeof(sid), "st%02d", station);
	snprintf(id, sizeof(id), "%s:m%lld", sid, ++meeting_seq[station]);
	fmt_utc(ms, t);
	sqlite3_bind_text(ins_meeting, 1, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(ins_meeting, 2, sid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(ins_meeting, 3, meeting_seq[station]);
	sqlite3_bind_text(ins_meeting, 4, t, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(ins_meeting, 5, ms);
	sqlite3_bind_int64(ins_meeting, 6, ms);
	sqlite3_bind_int(ins_meeting, 7, n);
	step(ins_meeting);
	for (int i = 0; i < n; i++) {
		sqlite3_bind_text(ins_member, 1, id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(ins_member, 2, uids[i], -1, SQLITE_TRANSIENT);
		step(ins_member);
		tap(station, uids[i], "paired", id, ms - (n - 1 - i) * 700);
	}
}

static void attendee(const char *uid, const char *name, const char *org)
{
	sqlite3_bind_text(ins_attendee, 1, uid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(ins_attendee, 2, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(ins_attendee, 3, org, -1, SQLITE_TRANSIENT);
	step(ins_attendee);
}

static uint64_t rng = 88172645463325252ULL;
static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* A 7-byte UID per attendee index, spread over the hex space. */
static void uid_of(int i, char out[24])
{
	unsigned long long v = (unsigned long long)((unsigned)i * 2654435761u) << 16 | (unsigned)i;

	snprintf(out, 24, "04%012llX", v & 0xFFFFFFFFFFFFULL);
}

/* Skewed choice: squaring a uniform number favours low indices. */
static int pick(int n)
{
	double u = (double)(next_rand() >> 11) / 9007199254740992.0;

	return (int)(u * u * n);
}

static void synthetic(long long n_meetings, int n_people, int n_stations, int days)
{
	long long span = (long long)days * 9 * 3600 * 1000;

	for (int i = 0; i < n_people; i++) {
		char uid[24], name[64], org[32];

		uid_of(i, uid);
		snprintf(name, sizeof(name), "Attendee %05d", i);
		snprintf(org, sizeof(org), "Org %d", i % 500);
		attendee(uid, name, org);
	}
	for (long long m = 0; m < n_meetings; m++) {
		long long off = m * span / n_meetings;
		long long ms = T0_MS + (off / (9 * 3600 * 1000LL)) * 86400000LL + off % (9 * 3600 * 1000LL);
		int n = next_rand() % 100 < 6 ? 3 : 2, idx[3];
		char uids[3][24];

		for (int i = 0; i < n; i++) {
			do {
				idx[i] = i == 0 ? pick(n_people) : (int)(next_rand() % n_people);
			} while ((i > 0 && idx[i] == idx[0]) || (i > 1 && idx[i] == idx[1]));
		}
		for (int i = 0; i < n; i++)
			uid_of(idx[i], uids[i]);
		/* Sorted, as the daemon stores them. */
		for (int i = 0; i < n; i++)
			for (int j = i + 1; j < n; j++)
				if (strcmp(uids[i], uids[j]) > 0) {
					char t[24];
					memcpy(t, uids[i], 24);
					memcpy(uids[i], uids[j], 24);
					memcpy(uids[j], t, 24);
				}
		meeting((int)(next_rand() % n_stations), uids, n, ms);
		if (m % 10 == 0)
			tap((int)(next_rand() % n_stations), uids[0], "unpaired", NULL, ms + 5000);
	}
}

struct pair_state {
	long long last_t;
};

static void sfhh(const char *path)
{
	FILE *f = fopen(path, "r");
	static struct pair_state seen[2000][2000]; /* ids are below 2000 */
	long long t, i, j, contacts = 0;

	if (!f) {
		fprintf(stderr, "gen: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	memset(seen, 0xff, sizeof(seen));
	while (fscanf(f, "%lld %lld %lld", &t, &i, &j) == 3) {
		char uids[2][24], name[64];
		long long a = i < j ? i : j, b = i < j ? j : i;

		if (a < 0 || b >= 2000)
			continue;
		/* A window right after the pair's previous one continues a contact. */
		if (seen[a][b].last_t >= 0 && t - seen[a][b].last_t <= 20) {
			seen[a][b].last_t = t;
			continue;
		}
		seen[a][b].last_t = t;
		snprintf(uids[0], 24, "5F%06llX", a);
		snprintf(uids[1], 24, "5F%06llX", b);
		snprintf(name, sizeof(name), "SFHH participant %lld", a);
		attendee(uids[0], name, "SFHH 2009");
		snprintf(name, sizeof(name), "SFHH participant %lld", b);
		attendee(uids[1], name, "SFHH 2009");
		meeting((int)((a * 31 + b) % 10), uids, 2, T0_MS - 3600 * 1000 + t * 1000);
		contacts++;
	}
	fclose(f);
	fprintf(stderr, "gen: %lld contacts from %s\n", contacts, path);
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "--version")) {
		printf("%d\n", GEN_VERSION);
		return 0;
	}
	if (argc < 3 || (strcmp(argv[1], "synthetic") && strcmp(argv[1], "sfhh")) ||
	    (!strcmp(argv[1], "sfhh") && argc != 4)) {
		fprintf(stderr, "usage: gen synthetic OUT.db [MEETINGS] [ATTENDEES] [STATIONS] [DAYS]\n"
				"       gen sfhh OUT.db tij_SFHH.dat\n");
		return 1;
	}
	remove(argv[2]);
	if (sqlite3_open(argv[2], &db) != SQLITE_OK)
		die("open");
	exec("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -200000");
	for (int v = 1; v <= tm_schema_latest(); v++)
		exec(tm_schema_migration(v));
	{
		char pragma[64];

		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", tm_schema_latest());
		exec(pragma);
	}
	prepare();
	exec("BEGIN");
	if (!strcmp(argv[1], "synthetic"))
		synthetic(argc > 3 ? atoll(argv[3]) : 1000000, argc > 4 ? atoi(argv[4]) : 20000,
			  argc > 5 ? atoi(argv[5]) : 50, argc > 6 ? atoi(argv[6]) : 3);
	else
		sfhh(argv[3]);
	for (int s = 0; s < 1000; s++) {
		char sql[256];

		if (!tap_seq[s])
			continue;
		snprintf(sql, sizeof(sql),
			 "INSERT INTO stations (id, name, tap_seq, meeting_seq, reader_state, clock_synced) "
			 "VALUES ('st%02d', 'Station %d', %lld, %lld, 'ok', 1)",
			 s, s, tap_seq[s], meeting_seq[s]);
		exec(sql);
	}
	exec("COMMIT");
	sqlite3_finalize(ins_meeting);
	sqlite3_finalize(ins_member);
	sqlite3_finalize(ins_tap);
	sqlite3_finalize(ins_attendee);
	exec("PRAGMA journal_mode = WAL; ANALYZE");
	sqlite3_close(db);
	return 0;
}
