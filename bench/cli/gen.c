/* Benchmark databases for the tapmeet CLI, written through the store's API
 * (tm_store_*) like every other writer, in batches of about 50,000 rows so
 * that the -wal stays small.
 *
 *   gen synthetic OUT.db [MEETINGS] [ATTENDEES] [STATIONS] [DAYS]
 *   gen sfhh OUT.db tij_SFHH.dat
 *
 * synthetic: meetings between 09:00 and 18:00 UTC on consecutive days from
 * 2026-11-26; partners drawn with a skew (a few people meet many), 6% of
 * meetings have three badges; every badge of a meeting has a paired tap and
 * one tap in ten is left unpaired; one meeting in a hundred is marked
 * suspect, so queries that set suspect meetings apart pay for them.
 * sfhh: SocioPatterns contacts; consecutive 20 s windows of a pair merge into
 * one contact, whose start becomes a meeting at one of 10 stations.
 *
 * Every station that recorded something is registered at the end (name
 * "Station N", its sequences, reader ok, clock synchronised); then the
 * query planner's statistics are gathered (ANALYZE), as tapmeet would find
 * them on a database someone analysed. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tapmeet/store.h"

#define GEN_VERSION 4
#define T0_MS 1795683600000LL /* 2026-11-26T09:00:00Z */
#define MAX_STATIONS 1000
#define BATCH_ROWS 50000 /* rows (meetings, their badges, taps) per transaction */

static struct tm_store *store;
static long long tap_seq[MAX_STATIONS], meeting_seq[MAX_STATIONS];
static long long batch_rows;

static void check(int rc, const char *what)
{
	if (rc >= 0)
		return;
	fprintf(stderr, "gen: %s: %s\n", what, store ? tm_store_errmsg(store) : strerror(-rc));
	exit(1);
}

/* Counts the rows just written; commits and opens the next batch when the
 * current one is full. */
static void wrote(long long rows)
{
	batch_rows += rows;
	if (batch_rows < BATCH_ROWS)
		return;
	check(tm_store_batch_commit(store), "commit");
	check(tm_store_batch_begin(store), "begin");
	batch_rows = 0;
}

static void stamp_at(long long ms, struct tm_stamp *st)
{
	memset(st, 0, sizeof(*st));
	st->utc_ms = ms;
	st->mono_ms = ms;
	st->clock_synced = true;
	snprintf(st->boot_id, sizeof(st->boot_id), "bench");
}

static void fill_tap(struct tm_store_tap *t, int station, const char *uid,
		     enum tm_tap_outcome outcome, long long ms)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->id, sizeof(t->id), "st%02d:%lld", station, ++tap_seq[station]);
	snprintf(t->uid, sizeof(t->uid), "%s", uid);
	t->kind = TM_BADGE_MIFARE_CLASSIC;
	t->outcome = outcome;
	stamp_at(ms, &t->stamp);
}

static void unpaired_tap(int station, const char *uid, long long ms)
{
	struct tm_store_tap t;

	fill_tap(&t, station, uid, TM_TAP_UNPAIRED, ms);
	check(tm_store_write_taps(store, &t, 1), "write tap");
	wrote(1);
}

/* The badges' taps come 700 ms apart, the last one at the meeting's time. */
static void meeting(int station, char uids[][24], int n, long long ms, const char *suspect)
{
	struct tm_store_tap taps[3];
	struct tm_stamp stamp;
	char id[TM_ID_SIZE];

	snprintf(id, sizeof(id), "st%02d:m%lld", station, ++meeting_seq[station]);
	for (int i = 0; i < n; i++)
		fill_tap(&taps[i], station, uids[i], TM_TAP_PAIRED, ms - (n - 1 - i) * 700);
	stamp_at(ms, &stamp);
	check(tm_store_write_meeting(store, id, &stamp, taps, (size_t)n, suspect), "write meeting");
	wrote(1 + 2 * n);
}

/* The registry, added in one transaction of its own (outside a batch). */
struct people {
	struct tm_attendee *rows;
	struct {
		char name[64], handle[72], email[80];
	} *text;
	size_t n, cap;
};

/* A handle and an e-mail made of the name, like "@attendee_00012" and
 * "attendee.00012@example.org"; seven in ten consent to share them, so that
 * the contact queries blank some details and hand out most. */
static void person_add(struct people *p, const char *uid, const char *name, const char *org)
{
	char local[64];
	size_t n = 0;

	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 1024;
		p->rows = realloc(p->rows, p->cap * sizeof(*p->rows));
		p->text = realloc(p->text, p->cap * sizeof(*p->text));
		if (!p->rows || !p->text)
			check(-ENOMEM, "attendees");
	}
	for (const char *c = name; *c && n + 1 < sizeof(local); c++)
		local[n++] = *c == ' ' ? '.' : (*c >= 'A' && *c <= 'Z') ? (char)(*c - 'A' + 'a') : *c;
	local[n] = '\0';
	memset(&p->rows[p->n], 0, sizeof(p->rows[0]));
	snprintf(p->rows[p->n].uid, sizeof(p->rows[0].uid), "%s", uid);
	snprintf(p->text[p->n].name, sizeof(p->text[0].name), "%s", name);
	snprintf(p->text[p->n].email, sizeof(p->text[0].email), "%s@example.org", local);
	for (char *c = local; *c; c++)
		if (*c == '.')
			*c = '_';
	snprintf(p->text[p->n].handle, sizeof(p->text[0].handle), "@%s", local);
	p->rows[p->n].org = org; /* org strings outlive the import */
	p->rows[p->n].consent = p->n * 7 % 10 < 7;
	p->n++;
}

static void people_import(struct people *p)
{
	struct tm_import_counts counts;

	/* the text may have moved with realloc: point at it only now */
	for (size_t i = 0; i < p->n; i++) {
		p->rows[i].name = p->text[i].name;
		p->rows[i].handle = p->text[i].handle;
		p->rows[i].email = p->text[i].email;
	}
	check(tm_store_import_attendees(store, p->rows, p->n,
					TM_ATTENDEE_ORG | TM_ATTENDEE_HANDLE | TM_ATTENDEE_EMAIL |
						TM_ATTENDEE_CONSENT,
					&counts),
	      "import attendees");
	free(p->rows);
	free(p->text);
	memset(p, 0, sizeof(*p));
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
	static char orgs[500][16];
	long long span = (long long)days * 9 * 3600 * 1000;
	struct people people = { 0 };

	if (n_stations < 1 || n_stations > MAX_STATIONS || n_people < 3) {
		fprintf(stderr, "gen: 1 to %d stations and at least 3 attendees\n", MAX_STATIONS);
		exit(1);
	}
	for (int i = 0; i < 500; i++)
		snprintf(orgs[i], sizeof(orgs[i]), "Org %d", i);
	for (int i = 0; i < n_people; i++) {
		char uid[24], name[64];

		uid_of(i, uid);
		snprintf(name, sizeof(name), "Attendee %05d", i);
		person_add(&people, uid, name, orgs[i % 500]);
	}
	people_import(&people);
	check(tm_store_batch_begin(store), "begin");
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
		meeting((int)(next_rand() % n_stations), uids, n, ms,
			m % 100 == 50 ? "partner came 5.1 s after the first tap" : NULL);
		if (m % 10 == 0)
			unpaired_tap((int)(next_rand() % n_stations), uids[0], ms + 5000);
	}
	check(tm_store_batch_commit(store), "commit");
}

struct pair_state {
	long long last_t;
};

static void sfhh(const char *path)
{
	FILE *f = fopen(path, "r");
	static struct pair_state seen[2000][2000]; /* ids are below 2000 */
	static bool registered[2000];
	struct people people = { 0 };
	long long t, i, j, contacts = 0;

	if (!f) {
		fprintf(stderr, "gen: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	memset(seen, 0xff, sizeof(seen));
	check(tm_store_batch_begin(store), "begin");
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
		/* Registered in the order the contacts first show them. */
		for (int k = 0; k < 2; k++) {
			long long p = k ? b : a;

			if (registered[p])
				continue;
			registered[p] = true;
			snprintf(name, sizeof(name), "SFHH participant %lld", p);
			person_add(&people, uids[k], name, "SFHH 2009");
		}
		meeting((int)((a * 31 + b) % 10), uids, 2, T0_MS - 3600 * 1000 + t * 1000, NULL);
		contacts++;
	}
	fclose(f);
	check(tm_store_batch_commit(store), "commit");
	people_import(&people);
	fprintf(stderr, "gen: %lld contacts from %s\n", contacts, path);
}

/* Each station that recorded something gets its row: name, the sequences
 * it reached (written by an empty write), reader ok, clock synchronised. */
static void register_stations(void)
{
	for (int s = 0; s < MAX_STATIONS; s++) {
		struct tm_station_status status = {
			.reader_state = "ok",
			.detail = "",
			.clock_synced = true,
			.started_utc_ms = T0_MS - 3600 * 1000,
		};
		char sid[16], name[32];

		if (!tap_seq[s])
			continue;
		snprintf(sid, sizeof(sid), "st%02d", s);
		snprintf(name, sizeof(name), "Station %d", s);
		check(tm_store_station_begin(store, sid, name), "register station");
		check(tm_store_write_taps(store, NULL, 0), "station sequences");
		check(tm_store_write_status(store, &status), "station status");
	}
}

static void remove_db(const char *path)
{
	char side[4096];

	remove(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	remove(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	remove(side);
}

int main(int argc, char **argv)
{
	struct tm_store_options opt = { .busy_timeout_ms = 1000, .no_sync = true };

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
	remove_db(argv[2]);
	check(tm_store_open(argv[2], &opt, &store), "open");
	check(tm_store_bulk_load(store, true), "bulk load");
	if (!strcmp(argv[1], "synthetic"))
		synthetic(argc > 3 ? atoll(argv[3]) : 1000000, argc > 4 ? atoi(argv[4]) : 20000,
			  argc > 5 ? atoi(argv[5]) : 50, argc > 6 ? atoi(argv[6]) : 3);
	else
		sfhh(argv[3]);
	register_stations();
	check(tm_store_bulk_load(store, false), "statistics");
	tm_store_close(store);
	return 0;
}
