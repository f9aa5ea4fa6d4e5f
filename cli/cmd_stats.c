/* tapmeet stats: a handful of aggregate queries, each answered from an index
 * where the schema has one; "top connectors" ranks by meetings (an index
 * scan) and only then counts distinct people for the ten shown. */
#include "cli.h"

#include <getopt.h>
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

struct totals {
	long long taps, meetings, outcome[6], registered, seen, met, stations;
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

static int get_totals(struct cli *c, struct totals *t)
{
	bool failed = false;
	sqlite3_stmt *st;

	t->taps = one_int(c, "SELECT count(*) FROM taps", &failed);
	t->meetings = one_int(c, "SELECT count(*) FROM meetings", &failed);
	t->registered = one_int(c, "SELECT count(*) FROM attendees", &failed);
	t->met = one_int(c, "SELECT count(DISTINCT uid) FROM meeting_badges", &failed);
	/* Everyone who met is seen; add registered attendees and badges with
	 * unpaired taps who met no one. Paired taps are always in a meeting, and
	 * rejected ones are phones, not attendees. Cheaper than one big UNION. */
	t->seen = t->met +
		  one_int(c,
			  "SELECT count(*) FROM attendees a WHERE NOT EXISTS "
			  "(SELECT 1 FROM meeting_badges mb WHERE mb.uid = a.uid)",
			  &failed) +
		  one_int(c,
			  "SELECT count(*) FROM (SELECT uid FROM taps WHERE outcome IN "
			  "('pending', 'unpaired', 'cancelled', 'duplicate') GROUP BY uid) t "
			  "WHERE NOT EXISTS (SELECT 1 FROM meeting_badges mb WHERE mb.uid = t.uid) "
			  "AND NOT EXISTS (SELECT 1 FROM attendees a WHERE a.uid = t.uid)",
			  &failed);
	t->stations = one_int(c,
			      "SELECT count(*) FROM (SELECT id FROM stations UNION "
			      "SELECT station FROM meetings GROUP BY station)",
			      &failed);
	/* paired = all - the rest: the rest are few, and counted from an index. */
	if (failed || cli_prepare(c,
				  "SELECT outcome, count(*) FROM taps WHERE outcome IN ('pending', "
				  "'unpaired', 'cancelled', 'duplicate', 'rejected') GROUP BY outcome",
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

static int connectors(struct cli *c, bool *first)
{
	static const char sql[] =
		"SELECT t.uid, a.name, t.n, (SELECT count(DISTINCT o.uid) FROM meeting_badges mb "
		"  JOIN meeting_badges o ON o.meeting_id = mb.meeting_id AND o.uid <> mb.uid "
		"  WHERE mb.uid = t.uid) "
		"FROM (SELECT uid, count(*) AS n FROM meeting_badges GROUP BY uid "
		"      ORDER BY n DESC, uid LIMIT 10) t "
		"LEFT JOIN attendees a ON a.uid = t.uid ORDER BY t.n DESC, t.uid";
	sqlite3_stmt *st;
	int n = 0;

	if (cli_prepare(c, sql, &st) < 0)
		return -1;
	put_section_start(c, "top_connectors", first);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *uid = (const char *)sqlite3_column_text(st, 0);
		const char *name = (const char *)sqlite3_column_text(st, 1);
		long long m = sqlite3_column_int64(st, 2), p = sqlite3_column_int64(st, 3);

		if (c->format == FMT_TABLE)
			printf("  %-30s %-20s %5lld meetings %5lld people\n", name ? name : "?",
			       uid, m, p);
		else
			put_item(c, "connector", "uid", uid, name ? name : "", m, p, &n);
	}
	sqlite3_finalize(st);
	return 0;
}

static int stations(struct cli *c, bool *first)
{
	sqlite3_stmt *st;
	int n = 0;

	if (cli_prepare(c, "SELECT station, count(*) AS n FROM meetings GROUP BY station "
			   "ORDER BY n DESC, station LIMIT 10",
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
	if (get_totals(c, &t) < 0)
		return cli_db_error(c, "stats");
	print_totals(c, &t);
	if (hours(c, &first) < 0 || connectors(c, &first) < 0 || stations(c, &first) < 0)
		return cli_db_error(c, "stats");
	if (c->format == FMT_JSON || c->format == FMT_NDJSON)
		printf("]}\n");
	sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_DATA;
}
