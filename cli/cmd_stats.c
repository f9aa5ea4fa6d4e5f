/* tapmeet stats: a handful of aggregate queries, each answered from an index
 * where the schema has one; "top connectors" ranks by meetings (an index
 * scan) and only then counts distinct people for the ten shown. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

static const char usage[] =
	"usage: tapmeet stats [--format FMT]\n"
	"Totals (taps by outcome, meetings, attendees, stations), meetings per hour,\n"
	"top connectors (most meetings), busiest stations, and the share of attendees\n"
	"who met at least one person. csv: section,key,value rows.\n";

#define TOP_N 10
#define MAX_HOURS (24 * 31) /* a chart longer than a month says nothing */

static const char *const outcomes[] = { "paired",    "unpaired", "cancelled",
					"duplicate", "rejected", "pending" };

struct connector {
	char *uid;
	long long meetings;
};

struct totals {
	long long taps, meetings, outcome[6], registered, seen, met, stations;
	struct connector top[TOP_N]; /* most meetings first, then by uid */
	int n_top;
};

static long long one_int(struct cli *c, const char *sql, bool *failed)
{
	sqlite3_stmt *st;
	long long v = 0;

	if (cli_prepare(c, sql, &st) < 0) {
		*failed = true;
		return 0;
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	else
		*failed = true;
	sqlite3_finalize(st);
	return v;
}

/* Ranks uid (n meetings) among the top connectors so far: more meetings
 * first, ties by uid in SQLite's BINARY order (strcmp for UTF-8 text). */
static int rank_connector(struct totals *t, const char *uid, long long n)
{
	int i = t->n_top;
	char *copy;

	while (i > 0 && (t->top[i - 1].meetings < n ||
			 (t->top[i - 1].meetings == n && strcmp(t->top[i - 1].uid, uid) > 0)))
		i--;
	if (i == TOP_N)
		return 0;
	if (!(copy = strdup(uid)))
		return -1;
	if (t->n_top == TOP_N)
		free(t->top[--t->n_top].uid);
	memmove(&t->top[i + 1], &t->top[i], (size_t)(t->n_top - i) * sizeof(t->top[0]));
	t->top[i] = (struct connector){ copy, n };
	t->n_top++;
	return 0;
}

/* A cursor over one sorted list of badge UIDs. */
struct uid_list {
	sqlite3_stmt *st;
	const char *uid; /* the current row's, or NULL at the end */
	int rc;
};

static void uid_next(struct uid_list *l)
{
	l->rc = sqlite3_step(l->st);
	l->uid = l->rc == SQLITE_ROW ? (const char *)sqlite3_column_text(l->st, 0) : NULL;
}

/* Who was seen and who met someone, by merging three lists sorted by uid
 * (BINARY order, which is strcmp order for UTF-8 text): the badges in
 * meetings with their number of meetings, the registered attendees, and the
 * badges with taps that did not pair. Paired taps are always in a meeting,
 * and rejected ones are phones, not attendees. Each list is one index walk,
 * in index order, and the merge keeps nothing but the current rows and the
 * top connectors: no lookups per badge.
 *
 * meeting_badges is walked once for both figures: it is the cost (two
 * million entries on the benchmark). "outcome <> 'paired'" is spelled out so
 * that the partial index taps_unpaired (schema migration 2) answers the last
 * list in (outcome, uid) order; without migration 2 it is one scan of taps.
 * Grouping the taps by uid alone would invite the planner to walk taps_uid
 * and look every tap up in the table: seconds on a million meetings. */
static int badges(struct cli *c, struct totals *t)
{
	static const char *const sql[] = {
		"SELECT uid, count(*) FROM meeting_badges GROUP BY uid ORDER BY uid",
		"SELECT uid FROM attendees WHERE uid IS NOT NULL ORDER BY uid",
		"SELECT uid FROM (SELECT uid FROM taps WHERE outcome <> 'paired' AND "
		"outcome <> 'rejected' GROUP BY outcome, uid) GROUP BY uid ORDER BY uid",
	};
	struct uid_list l[3] = { { 0 } };
	int rc = 0;

	for (size_t i = 0; i < 3 && rc == 0; i++) {
		rc = cli_prepare(c, sql[i], &l[i].st);
		if (rc == 0)
			uid_next(&l[i]);
	}
	while (rc == 0) {
		const char *min = NULL;
		bool here[3];

		for (size_t i = 0; i < 3; i++)
			if (l[i].uid && (!min || strcmp(l[i].uid, min) < 0))
				min = l[i].uid;
		if (!min)
			break;
		/* min points into a current row: compare all before stepping any. */
		for (size_t i = 0; i < 3; i++)
			here[i] = l[i].uid && !strcmp(l[i].uid, min);
		t->seen++;
		if (here[0]) {
			t->met++;
			rc = rank_connector(t, min, sqlite3_column_int64(l[0].st, 1));
		}
		for (size_t i = 0; i < 3; i++)
			if (here[i])
				uid_next(&l[i]);
	}
	for (size_t i = 0; i < 3; i++) {
		if (l[i].st && l[i].rc != SQLITE_DONE)
			rc = -1;
		sqlite3_finalize(l[i].st);
	}
	return rc;
}

static int get_totals(struct cli *c, struct totals *t)
{
	bool failed = false;
	sqlite3_stmt *st;

	t->taps = one_int(c, "SELECT count(*) FROM taps", &failed);
	t->meetings = one_int(c, "SELECT count(*) FROM meetings", &failed);
	t->registered = one_int(c, "SELECT count(*) FROM attendees", &failed);
	if (failed || badges(c, t) < 0)
		return -1;
	/* The stations that recorded a meeting, one index seek each (a loose scan
	 * of UNIQUE (station, seq)) rather than a walk of every meeting. */
	t->stations = one_int(c,
			      "WITH RECURSIVE s(id) AS (SELECT min(station) FROM meetings "
			      "UNION ALL SELECT (SELECT min(station) FROM meetings WHERE station > s.id) "
			      "FROM s WHERE s.id IS NOT NULL) "
			      "SELECT count(*) FROM (SELECT id FROM stations UNION "
			      "SELECT id FROM s WHERE id IS NOT NULL)",
			      &failed);
	/* paired = all - the rest: the rest are few, and counted from the
	 * partial index taps_unpaired (the condition must match its WHERE). */
	if (failed || cli_prepare(c,
				  "SELECT outcome, count(*) FROM taps WHERE outcome <> 'paired' "
				  "GROUP BY outcome",
				  &st))
		return -1;
	t->outcome[0] = t->taps;
	while (sqlite3_step(st) == SQLITE_ROW) {
		for (size_t i = 1; i < 6; i++) {
			if (!strcmp((const char *)sqlite3_column_text(st, 0), outcomes[i])) {
				t->outcome[i] = sqlite3_column_int64(st, 1);
				t->outcome[0] -= t->outcome[i];
			}
		}
	}
	sqlite3_finalize(st);
	return 0;
}

static void free_totals(struct totals *t)
{
	for (int i = 0; i < t->n_top; i++)
		free(t->top[i].uid);
	t->n_top = 0;
}

static void hour_label(long long hour, bool local, char *out, size_t size)
{
	time_t t = (time_t)(hour * 3600);
	struct tm tm;

	if (local) {
		localtime_r(&t, &tm);
		strftime(out, size, "%Y-%m-%d %H:%M", &tm);
	} else {
		gmtime_r(&t, &tm);
		strftime(out, size, "%Y-%m-%dT%H:00:00Z", &tm);
	}
}

static void put_section_start(struct cli *c, const char *name, bool *first)
{
	if (c->format == FMT_JSON || c->format == FMT_NDJSON)
		printf("%s\"%s\":[", *first ? "" : "],", name);
	else if (c->format == FMT_TABLE)
		printf("\n%s\n", name);
	*first = false;
}

static void put_item(struct cli *c, const char *section, const char *key_name, const char *key,
		     const char *label, long long v, long long v2, int *n)
{
	if (c->format == FMT_JSON || c->format == FMT_NDJSON) {
		printf("%s{\"%s\":", (*n)++ ? "," : "", key_name);
		out_json_string(stdout, key);
		if (label) {
			fputs(",\"name\":", stdout);
			out_json_string(stdout, label);
		}
		printf(",\"meetings\":%lld", v);
		if (v2 >= 0)
			printf(",\"people\":%lld", v2);
		putchar('}');
	} else if (c->format == FMT_CSV) {
		printf("%s,", section);
		out_csv_field(stdout, key);
		printf(",%lld\n", v);
	}
}

/* One range count per hour on the meetings_time index: cheaper than grouping
 * a million rows through a sorter, and empty hours come for free. */
static int hours(struct cli *c, bool *first)
{
	static long long counts[MAX_HOURS];
	sqlite3_stmt *st;
	long long lo, hi, peak = 1, n_hours;
	bool failed = false;
	int n = 0;
	char label[64];

	lo = one_int(c, "SELECT coalesce(min(utc_ms), 0) / 3600000 FROM meetings", &failed);
	hi = one_int(c, "SELECT coalesce(max(utc_ms), -3600000) / 3600000 FROM meetings", &failed);
	if (failed || cli_prepare(c, "SELECT count(*) FROM meetings WHERE utc_ms >= ?1 AND "
				     "utc_ms < ?2",
				  &st) < 0)
		return -1;
	n_hours = hi - lo + 1;
	if (n_hours > MAX_HOURS) { /* show the last month */
		lo = hi - MAX_HOURS + 1;
		n_hours = MAX_HOURS;
	}
	for (long long h = 0; h < n_hours; h++) {
		sqlite3_bind_int64(st, 1, (lo + h) * 3600000);
		sqlite3_bind_int64(st, 2, (lo + h + 1) * 3600000);
		counts[h] = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
		sqlite3_reset(st);
		if (counts[h] > peak)
			peak = counts[h];
	}
	sqlite3_finalize(st);
	put_section_start(c, c->format == FMT_TABLE ? "meetings per hour (local time)" :
						     "meetings_per_hour",
			  first);
	for (long long h = 0; h < n_hours; h++) {
		long long v = counts[h];

		hour_label(lo + h, c->format == FMT_TABLE, label, sizeof(label));
		if (c->format == FMT_TABLE) {
			int bar = (int)((v * 40 + peak - 1) / peak);

			printf("  %s  %6lld%s", label, v, bar ? " " : "");
			for (int i = 0; i < bar; i++)
				putchar('#');
			putchar('\n');
		} else if (c->format == FMT_CSV) {
			printf("hour,%s,%lld\n", label, v);
		} else {
			printf("%s{\"hour\":\"%s\",\"meetings\":%lld}", n++ ? "," : "", label, v);
		}
	}
	return 0;
}

/* The ten were ranked in get_totals; their names and the distinct people
 * each met take one indexed lookup per connector. */
static int connectors(struct cli *c, const struct totals *t, bool *first)
{
	static const char sql[] =
		"SELECT (SELECT name FROM attendees WHERE uid = ?1), "
		"(SELECT count(DISTINCT o.uid) FROM meeting_badges mb "
		"  JOIN meeting_badges o ON o.meeting_id = mb.meeting_id AND o.uid <> mb.uid "
		"  WHERE mb.uid = ?1)";
	sqlite3_stmt *st;
	int n = 0;

	if (cli_prepare(c, sql, &st) < 0)
		return -1;
	put_section_start(c, "top_connectors", first);
	for (int i = 0; i < t->n_top; i++) {
		const char *uid = t->top[i].uid, *name;
		long long m = t->top[i].meetings, p;

		sqlite3_bind_text(st, 1, uid, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_ROW) {
			sqlite3_finalize(st);
			return -1;
		}
		name = (const char *)sqlite3_column_text(st, 0);
		p = sqlite3_column_int64(st, 1);
		if (c->format == FMT_TABLE)
			printf("  %-30s %-20s %5lld meetings %5lld people\n", name ? name : "?",
			       uid, m, p);
		else
			put_item(c, "connector", "uid", uid, name ? name : "", m, p, &n);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return 0;
}

static int stations(struct cli *c, bool *first)
{
	sqlite3_stmt *st;
	int n = 0;

	/* A loose scan of UNIQUE (station, seq), then one range count per
	 * station: cheaper than grouping every meeting. */
	if (cli_prepare(c, "WITH RECURSIVE s(id) AS (SELECT min(station) FROM meetings "
			   "UNION ALL SELECT (SELECT min(station) FROM meetings WHERE station > s.id) "
			   "FROM s WHERE s.id IS NOT NULL) "
			   "SELECT id, (SELECT count(*) FROM meetings m WHERE m.station = s.id) AS n "
			   "FROM s WHERE id IS NOT NULL ORDER BY n DESC, id LIMIT 10",
			&st) < 0)
		return -1;
	put_section_start(c, "busiest_stations", first);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		long long m = sqlite3_column_int64(st, 1);

		if (c->format == FMT_TABLE)
			printf("  %-20s %6lld meetings\n", id, m);
		else
			put_item(c, "station", "station", id, NULL, m, -1, &n);
	}
	sqlite3_finalize(st);
	return 0;
}

static void print_totals(struct cli *c, const struct totals *t)
{
	double share = t->seen ? (double)t->met / (double)t->seen : 0.0;

	if (c->format == FMT_TABLE) {
		printf("taps              %8lld\n", t->taps);
		for (size_t i = 0; i < 6; i++)
			printf("  %-15s %8lld\n", outcomes[i], t->outcome[i]);
		printf("meetings          %8lld\n", t->meetings);
		printf("attendees         %8lld seen, %lld registered\n", t->seen, t->registered);
		printf("met someone       %8lld (%.1f%% of attendees)\n", t->met, 100.0 * share);
		printf("stations          %8lld\n", t->stations);
	} else if (c->format == FMT_CSV) {
		printf("section,key,value\n");
		printf("total,taps,%lld\ntotal,meetings,%lld\n", t->taps, t->meetings);
		for (size_t i = 0; i < 6; i++)
			printf("outcome,%s,%lld\n", outcomes[i], t->outcome[i]);
		printf("total,attendees_seen,%lld\ntotal,attendees_registered,%lld\n", t->seen,
		       t->registered);
		printf("total,met_someone,%lld\ntotal,share_met,%.4f\ntotal,stations,%lld\n",
		       t->met, share, t->stations);
	} else {
		printf("{\"taps\":%lld,\"meetings\":%lld,\"taps_by_outcome\":{", t->taps,
		       t->meetings);
		for (size_t i = 0; i < 6; i++)
			printf("%s\"%s\":%lld", i ? "," : "", outcomes[i], t->outcome[i]);
		printf("},\"attendees_seen\":%lld,\"attendees_registered\":%lld,"
		       "\"met_someone\":%lld,\"share_met\":%.4f,\"stations\":%lld,",
		       t->seen, t->registered, t->met, share, t->stations);
	}
}

int cmd_stats(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_OPTIONS, { 0, 0, 0, 0 } };
	struct totals t = { 0 };
	bool first = true;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		rc = cli_common_option(c, opt, optarg, usage);
		if (rc > 1)
			return CLI_STOP(rc);
	}
	if (optind < argc)
		return cli_usage_error(usage, "unexpected argument '%s'", argv[optind]);
	if ((rc = cli_open(c, false)))
		return rc;
	/* One read transaction: every figure describes the same moment. */
	sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL);
	if (get_totals(c, &t) < 0) {
		free_totals(&t);
		return cli_db_error(c, "stats");
	}
	print_totals(c, &t);
	rc = hours(c, &first) < 0 || connectors(c, &t, &first) < 0 || stations(c, &first) < 0;
	free_totals(&t);
	if (rc)
		return cli_db_error(c, "stats");
	if (c->format == FMT_JSON || c->format == FMT_NDJSON)
		printf("]}\n");
	sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_DATA;
}
