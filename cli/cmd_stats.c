/* tapmeet stats: the figures come from the store (one snapshot); this file
 * only lays them out in the four formats. */
#include "cli.h"

#include <time.h>

static const char usage[] =
	"usage: tapmeet stats [--format FMT]\n"
	"Totals (taps by outcome, meetings and how many of them are suspect,\n"
	"attendees, stations), meetings per hour, top connectors (most meetings),\n"
	"busiest stations, and the share of attendees who met at least one person.\n"
	"Suspect meetings count in every figure, as they do in the log. csv:\n"
	"section,key,value rows.\n";

/* The order people read them in: what worked first. */
static const enum tm_tap_outcome shown[] = { TM_TAP_PAIRED,    TM_TAP_UNPAIRED, TM_TAP_CANCELLED,
					     TM_TAP_DUPLICATE, TM_TAP_REJECTED, TM_TAP_PENDING };

static void section_start(struct cli *c, const char *name, bool *first)
{
	if (c->format == FMT_JSON || c->format == FMT_NDJSON)
		printf("%s\"%s\":[", *first ? "" : "],", name);
	else if (c->format == FMT_TABLE)
		printf("\n%s\n", name);
	*first = false;
}

static void item(struct cli *c, const char *section, const char *key_name, const char *key,
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

static void totals(struct cli *c, const struct tm_stats *t)
{
	double share = t->seen ? (double)t->met / (double)t->seen : 0.0;

	if (c->format == FMT_TABLE) {
		printf("taps              %8lld\n", (long long)t->taps);
		for (size_t i = 0; i < 6; i++)
			printf("  %-15s %8lld\n", tm_tap_outcome_name(shown[i]),
			       (long long)t->outcome[shown[i]]);
		printf("meetings          %8lld\n", (long long)t->meetings);
		printf("  suspect         %8lld\n", (long long)t->suspect);
		printf("attendees         %8lld seen, %lld registered\n", (long long)t->seen,
		       (long long)t->registered);
		printf("met someone       %8lld (%.1f%% of attendees)\n", (long long)t->met,
		       100.0 * share);
		printf("stations          %8lld\n", (long long)t->stations);
	} else if (c->format == FMT_CSV) {
		printf("section,key,value\n");
		printf("total,taps,%lld\ntotal,meetings,%lld\ntotal,suspect_meetings,%lld\n",
		       (long long)t->taps, (long long)t->meetings, (long long)t->suspect);
		for (size_t i = 0; i < 6; i++)
			printf("outcome,%s,%lld\n", tm_tap_outcome_name(shown[i]),
			       (long long)t->outcome[shown[i]]);
		printf("total,attendees_seen,%lld\ntotal,attendees_registered,%lld\n",
		       (long long)t->seen, (long long)t->registered);
		printf("total,met_someone,%lld\ntotal,share_met,%.4f\ntotal,stations,%lld\n",
		       (long long)t->met, share, (long long)t->stations);
	} else {
		printf("{\"taps\":%lld,\"meetings\":%lld,\"suspect_meetings\":%lld,"
		       "\"taps_by_outcome\":{",
		       (long long)t->taps, (long long)t->meetings, (long long)t->suspect);
		for (size_t i = 0; i < 6; i++)
			printf("%s\"%s\":%lld", i ? "," : "", tm_tap_outcome_name(shown[i]),
			       (long long)t->outcome[shown[i]]);
		printf("},\"attendees_seen\":%lld,\"attendees_registered\":%lld,"
		       "\"met_someone\":%lld,\"share_met\":%.4f,\"stations\":%lld,",
		       (long long)t->seen, (long long)t->registered, (long long)t->met, share,
		       (long long)t->stations);
	}
}

static void hours(struct cli *c, const struct tm_stats *t, bool *first)
{
	int64_t peak = 1;
	char label[64];
	int n = 0;

	for (size_t h = 0; h < t->n_hours; h++)
		if (t->per_hour[h] > peak)
			peak = t->per_hour[h];
	section_start(c, c->format == FMT_TABLE ? "meetings per hour (local time)" :
						  "meetings_per_hour",
		      first);
	for (size_t h = 0; h < t->n_hours; h++) {
		long long v = t->per_hour[h];

		cli_hour_label(t->first_hour + (int64_t)h, c->format == FMT_TABLE, label, sizeof(label));
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
}

static void connectors(struct cli *c, const struct tm_stats *t, bool *first)
{
	int n = 0;

	section_start(c, "top_connectors", first);
	for (size_t i = 0; i < t->n_top; i++) {
		const char *name = t->top[i].name;

		if (c->format == FMT_TABLE) {
			/* Padded by display width, so names in any script line up. */
			fputs("  ", stdout);
			out_terminal_text(stdout, name ? name : "?", 30, true);
			printf(" %-20s %5lld meetings %5lld people\n", t->top[i].uid,
			       (long long)t->top[i].meetings, (long long)t->top[i].people);
		} else {
			item(c, "connector", "uid", t->top[i].uid, name ? name : "", t->top[i].meetings,
			     t->top[i].people, &n);
		}
	}
}

static void stations(struct cli *c, const struct tm_stats *t, bool *first)
{
	int n = 0;

	section_start(c, "busiest_stations", first);
	for (size_t i = 0; i < t->n_stations; i++) {
		if (c->format == FMT_TABLE)
			printf("  %-20s %6lld meetings\n", t->busiest[i].id,
			       (long long)t->busiest[i].meetings);
		else
			item(c, "station", "station", t->busiest[i].id, NULL, t->busiest[i].meetings,
			     -1, &n);
	}
}

int cmd_stats(struct cli *c, int argc, char **argv)
{
	static struct tm_stats t; /* large: a month of hours */
	bool first = true;
	int first_arg, rc;

	if ((rc = cli_options(c, argc, argv, NULL, usage, &first_arg)) >= 0)
		return rc;
	if (first_arg < argc)
		return cli_usage_error(usage, "unexpected argument '%s'", argv[first_arg]);
	if ((rc = cli_open(c, false)))
		return rc;
	if (tm_store_stats(c->store, &t) < 0)
		return cli_store_error(c, "stats");
	totals(c, &t);
	hours(c, &t, &first);
	connectors(c, &t, &first);
	stations(c, &t, &first);
	tm_stats_free(&t);
	if (c->format == FMT_JSON || c->format == FMT_NDJSON)
		printf("]}\n");
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_DATA;
}
