/* tapmeet report: the page. One HTML file with its style and charts inline
 * and no script: it renders the same from a web server, a USB stick or a
 * browser with no network. Every figure a chart shows is also in a data-*
 * attribute, so the numbers can be read back and checked. */
#include "cli.h"
#include "report.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef TAPMEET_VERSION
#define TAPMEET_VERSION "unknown"
#endif

/* The histogram of people met has at most this many bars besides "0". */
#define MAX_BINS 40

static const char style[] =
	"body{font-family:'DejaVu Sans',sans-serif;margin:0 auto;max-width:1100px;padding:1em 2em;"
	"color:#1d2430;background:#fff}"
	"h1{font-size:1.7em;margin-bottom:.2em}h2{margin-top:1.6em;border-bottom:1px solid #d5dae2}"
	"p.meta,p.note{color:#4a5568}p.empty{font-size:1.3em;padding:1em;background:#fff6d6}"
	"dl#totals{display:flex;flex-wrap:wrap;gap:.6em}"
	"dl#totals div{border:1px solid #d5dae2;border-radius:6px;padding:.5em 1em;min-width:8em}"
	"dt{color:#4a5568;font-size:.85em}dd{margin:0;font-size:1.6em;font-weight:bold}"
	"svg.chart{width:100%;height:auto;display:block}"
	"svg .bar{fill:#2f6fb0}svg .axis{stroke:#8893a5}"
	"svg text{font-size:12px;fill:#1d2430}svg text.label{font-size:14px}"
	"svg text.value{font-size:13px}"
	"table{border-collapse:collapse;margin:.5em 0;display:block;max-width:100%;overflow-x:auto}"
	"td,th{border:1px solid #d5dae2;padding:.25em .5em;text-align:left;vertical-align:top}"
	"td.n{text-align:right}th bdi,td bdi{overflow-wrap:anywhere}"
	"table.matrix td{text-align:right;min-width:3em}"
	".bad{color:#b00020;font-weight:bold}.warn{color:#9a5b00}"
	"div.graph svg{max-width:100%;height:auto}";

static void head(FILE *f, const struct report_opts *o)
{
	const char *slash = strrchr(o->db_path, '/');
	char now[64];
	time_t t = time(NULL);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%d %H:%M:%S %Z", &tm);
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n", f);
	if (o->refresh_s > 0)
		fprintf(f, "<meta http-equiv=\"refresh\" content=\"%d\">\n", o->refresh_s);
	fprintf(f, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		   "<title>Who met whom: tapmeet report</title>\n<style>%s</style>\n</head>\n"
		   "<body>\n<h1>Who met whom</h1>\n<p class=\"meta\">From ",
		style);
	out_markup_text(f, slash ? slash + 1 : o->db_path);
	fprintf(f, " at <time id=\"made\">%s</time> by tapmeet %s.", now, TAPMEET_VERSION);
	if (o->refresh_s > 0)
		fprintf(f, " This page reloads itself every %d s.", o->refresh_s);
	fputs("</p>\n<p class=\"note\" id=\"consent-note\">Names: a person&#39;s full name "
	      "appears only when they agreed to share their details when they registered; "
	      "for everyone else their initials, and for a badge nobody registered the end of "
	      "its number (&#8220;badge &#8230;C3D4&#8221;).</p>\n",
	      f);
}

static void total(FILE *f, const char *key, const char *what, long long v)
{
	fprintf(f, "<div data-stat=\"%s\" data-value=\"%lld\"><dt>%s</dt><dd>%lld</dd></div>\n", key,
		v, what, v);
}

static void totals(FILE *f, const struct tm_report *r)
{
	const struct tm_stats *t = &r->stats;

	fputs("<section id=\"summary\">\n<h2>Totals</h2>\n", f);
	if (t->meetings == 0)
		fputs("<p class=\"empty\" id=\"nothing-yet\">Nothing yet: no meeting has been "
		      "recorded. This page fills in as people tap their badges together.</p>\n",
		      f);
	fputs("<dl id=\"totals\">\n", f);
	total(f, "meetings", "meetings", t->meetings);
	total(f, "suspect_meetings", "of them suspect", t->suspect);
	total(f, "met_someone", "people who met someone", t->met);
	total(f, "attendees_seen", "badges seen", t->seen);
	total(f, "attendees_registered", "registered", t->registered);
	total(f, "pairs", "pairs who met", r->pairs);
	total(f, "taps", "taps", t->taps);
	total(f, "stations", "stations", t->stations);
	fputs("</dl>\n<p class=\"note\">Suspect meetings (recorded where pairing is known to go "
	      "wrong) count in every figure, as in <code>tapmeet stats</code>.</p>\n</section>\n",
	      f);
}

static void hours(FILE *f, const struct tm_report *r)
{
	const struct tm_stats *t = &r->stats;
	struct report_bar *bars = calloc(t->n_hours ? t->n_hours : 1, sizeof(*bars));

	fputs("<section id=\"hours\">\n<h2>Meetings per hour</h2>\n", f);
	if (!bars) {
		fputs("<p class=\"note\">Out of memory.</p>\n</section>\n", f);
		return;
	}
	for (size_t h = 0; h < t->n_hours; h++) {
		char utc[32];

		cli_hour_label(t->first_hour + (int64_t)h, true, bars[h].label, sizeof(bars[h].label));
		cli_hour_label(t->first_hour + (int64_t)h, false, utc, sizeof(utc));
		bars[h].value = t->per_hour[h];
		snprintf(bars[h].data, sizeof(bars[h].data), "data-hour=\"%s\" data-meetings=\"%lld\"",
			 utc, (long long)t->per_hour[h]);
	}
	fputs("<p class=\"note\">Local time; each bar is one hour, from the first meeting to the "
	      "last.</p>\n",
	      f);
	report_columns(f, "hours-chart", bars, t->n_hours, "meetings");
	fputs("</section>\n", f);
	free(bars);
}

static int by_meetings(const void *a, const void *b)
{
	const struct report_bar *x = a, *y = b;

	if (x->value != y->value)
		return x->value < y->value ? 1 : -1;
	return strcmp(x->label, y->label);
}

static void stations(FILE *f, const struct tm_report *r)
{
	struct report_bar *bars = calloc(r->n_stations ? r->n_stations : 1, sizeof(*bars));
	size_t n = 0;

	fputs("<section id=\"stations\">\n<h2>Meetings per station</h2>\n", f);
	for (size_t i = 0; bars && i < r->n_stations; i++) {
		const struct tm_report_station *s = &r->stations[i];

		bars[n].value = s->meetings;
		snprintf(bars[n].label, sizeof(bars[n].label), "%s", s->id);
		snprintf(bars[n].data, sizeof(bars[n].data), "data-meetings=\"%lld\"",
			 (long long)s->meetings);
		n++;
	}
	if (bars) {
		qsort(bars, n, sizeof(*bars), by_meetings);
		report_rows(f, "stations-chart", bars, n, "meetings");
	}
	fputs("</section>\n", f);
	free(bars);
}

/* The upper end of bar b (b >= 1) of the histogram: one bar per number up
 * to MAX_BINS, else bars that double (1, 2, 3-4, 5-8, ...): a few people
 * meet hundreds, most a handful, and equal widths would hide the most. */
static int64_t bin_top(int64_t b, bool doubling)
{
	return doubling && b > 1 ? (int64_t)1 << (b - 1) : b;
}

static void people_met(FILE *f, const struct tm_report *r)
{
	const struct tm_stats *t = &r->stats;
	int64_t most = 0, n_bins = 1;
	struct report_bar *bars;
	bool doubling;

	for (size_t i = 0; i < r->n_people; i++)
		if (r->people[i].people > most)
			most = r->people[i].people;
	doubling = most > MAX_BINS;
	while (bin_top(n_bins - 1, doubling) < most)
		n_bins++;
	bars = calloc((size_t)n_bins, sizeof(*bars));
	fputs("<section id=\"people-met\">\n<h2>How many people each person met</h2>\n", f);
	if (!bars) {
		fputs("<p class=\"note\">Out of memory.</p>\n</section>\n", f);
		return;
	}
	/* Those seen who met nobody are the stats' own figure: a badge seen
	 * only in a tap that did not pair is in no meeting and in no pair. */
	bars[0].value = t->seen - t->met;
	for (size_t i = 0; i < r->n_people; i++) {
		int64_t b = 1;

		if (r->people[i].people == 0)
			continue;
		while (bin_top(b, doubling) < r->people[i].people)
			b++;
		bars[b].value++;
	}
	for (int64_t b = 0; b < n_bins; b++) {
		long long from = b == 0 ? 0 : bin_top(b - 1, doubling) + 1, to = bin_top(b, doubling);

		if (from == to)
			snprintf(bars[b].label, sizeof(bars[b].label), "%lld", from);
		else
			snprintf(bars[b].label, sizeof(bars[b].label), "%lld\xe2\x80\x93%lld", from, to);
		snprintf(bars[b].data, sizeof(bars[b].data),
			 "data-from=\"%lld\" data-to=\"%lld\" data-people=\"%lld\"", from, to,
			 (long long)bars[b].value);
	}
	fprintf(f, "<p class=\"note\">Each bar counts the people who met that many different "
		   "people%s; the first bar is those seen who met nobody.</p>\n",
		doubling ? " (bars twice as wide as the one before: 1, 2, 3\xe2\x80\x93" "4, "
			   "5\xe2\x80\x93" "8, ...)" : "");
	report_columns(f, "people-met-chart", bars, (size_t)n_bins, "people");
	fputs("</section>\n", f);
	free(bars);
}

static const struct tm_report_person *person_of(const struct tm_report *r, const char *uid)
{
	size_t lo = 0, hi = r->n_people;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(r->people[mid].uid, uid);

		if (c == 0)
			return &r->people[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void connectors(FILE *f, const struct tm_report *r)
{
	const struct tm_stats *t = &r->stats;
	struct report_bar bars[TM_STATS_TOP];
	char *labels[TM_STATS_TOP] = { 0 };

	fputs("<section id=\"connectors\">\n<h2>Best connectors</h2>\n"
	      "<p class=\"note\">Most meetings, as in <code>tapmeet stats</code>; the number of "
	      "different people met in the tooltip and the page&#39;s data.</p>\n",
	      f);
	memset(bars, 0, sizeof(bars));
	for (size_t i = 0; i < t->n_top; i++) {
		const struct tm_report_person *p = person_of(r, t->top[i].uid);
		struct tm_report_person unknown = { .name = NULL };

		if (!p) {
			snprintf(unknown.uid, sizeof(unknown.uid), "%s", t->top[i].uid);
			p = &unknown;
		}
		labels[i] = report_label(p);
		bars[i].long_label = labels[i] ? labels[i] : "?";
		bars[i].value = t->top[i].meetings;
		snprintf(bars[i].data, sizeof(bars[i].data),
			 "data-rank=\"%zu\" data-meetings=\"%lld\" data-people=\"%lld\"", i + 1,
			 (long long)t->top[i].meetings, (long long)t->top[i].people);
	}
	report_rows(f, "connectors-chart", bars, t->n_top, "meetings");
	fputs("</section>\n", f);
	for (size_t i = 0; i < t->n_top; i++)
		free(labels[i]);
}

static void org_name(FILE *f, const struct tm_report *r, size_t row)
{
	if (row < r->n_orgs) {
		fputs("<bdi>", f);
		out_markup_text(f, r->orgs[row]);
		fputs("</bdi>", f);
	} else {
		fputs(row == TM_REPORT_ORG_OTHER(r) ? "<i>other</i>" : "<i>(none)</i>", f);
	}
}

static void orgs(FILE *f, const struct tm_report *r)
{
	size_t n = r->n_orgs + 2, shown[REPORT_TOP_ORGS + 2], k = 0;
	int64_t peak = 0;

	fprintf(f,
		"<section id=\"orgs\">\n<h2>Which organisations met which</h2>\n"
		"<p class=\"note\">Pairs of people who met, by their organisations: the %d "
		"organisations whose people had the most meetings, the others together as "
		"<i>other</i>, and <i>(none)</i> for badges without an organisation or not "
		"registered. A meeting of three counts as three pairs; the diagonal is meetings "
		"within one organisation.</p>\n",
		REPORT_TOP_ORGS);
	for (size_t i = 0; i < n && k < REPORT_TOP_ORGS + 2; i++)
		if (i < r->n_orgs || r->org_people[i] > 0)
			shown[k++] = i;
	for (size_t i = 0; i < n * n; i++)
		if (r->org_pairs[i] > peak)
			peak = r->org_pairs[i];
	fputs("<table class=\"matrix\" id=\"org-matrix\">\n<tr><th></th>", f);
	for (size_t j = 0; j < k; j++) {
		fprintf(f, "<th data-col=\"%zu\">", j);
		org_name(f, r, shown[j]);
		fputs("</th>", f);
	}
	fputs("</tr>\n", f);
	for (size_t i = 0; i < k; i++) {
		fprintf(f, "<tr><th data-row=\"%zu\" data-people=\"%lld\">", i,
			(long long)r->org_people[shown[i]]);
		org_name(f, r, shown[i]);
		fprintf(f, " <small>(%lld)</small></th>", (long long)r->org_people[shown[i]]);
		for (size_t j = 0; j < k; j++) {
			int64_t v = r->org_pairs[shown[i] * n + shown[j]];

			fprintf(f,
				"<td data-row=\"%zu\" data-col=\"%zu\" data-pairs=\"%lld\" "
				"style=\"background:rgba(47,111,176,%.2f)\">%lld</td>",
				i, j, (long long)v, peak ? 0.05 + 0.6 * (double)v / (double)peak : 0.0,
				(long long)v);
		}
		fputs("</tr>\n", f);
	}
	fputs("</table>\n<p class=\"note\">In brackets: the people (badges) in each row.</p>\n"
	      "</section>\n",
	      f);
}

static void local_or_none(FILE *f, const char *utc)
{
	char local[64];

	if (!utc) {
		fputs("never", f);
		return;
	}
	cli_local_time(utc, local, sizeof(local));
	out_markup_text(f, local);
}

static void unsynced_hours(FILE *f, const struct tm_report *r)
{
	int64_t lo = INT64_MAX, hi = INT64_MIN, total = 0;
	struct report_bar *bars;
	size_t n;

	for (size_t i = 0; i < r->n_slots; i++) {
		const struct tm_report_slot *s = &r->slots[i];

		if (s->hour < lo)
			lo = s->hour;
		if (s->hour > hi)
			hi = s->hour;
		total += s->unsynced_meetings + s->unsynced_taps;
	}
	if (total == 0) {
		fputs("<p id=\"unsynced-none\">Every meeting and tap was written with a synchronised "
		      "clock.</p>\n",
		      f);
		return;
	}
	if (hi - lo + 1 > TM_STATS_MAX_HOURS) /* as stats: the last month */
		lo = hi - TM_STATS_MAX_HOURS + 1;
	n = (size_t)(hi - lo + 1);
	bars = calloc(n, sizeof(*bars));
	if (!bars)
		return;
	for (size_t i = 0; i < r->n_slots; i++) {
		const struct tm_report_slot *s = &r->slots[i];

		if (s->hour >= lo)
			bars[s->hour - lo].value += s->unsynced_meetings + s->unsynced_taps;
	}
	for (size_t h = 0; h < n; h++) {
		char utc[32];

		cli_hour_label(lo + (int64_t)h, true, bars[h].label, sizeof(bars[h].label));
		cli_hour_label(lo + (int64_t)h, false, utc, sizeof(utc));
		snprintf(bars[h].data, sizeof(bars[h].data), "data-hour=\"%s\" data-unsynced=\"%lld\"",
			 utc, (long long)bars[h].value);
	}
	fputs("<h3>Rows written with an unsynchronised clock, per hour</h3>\n"
	      "<p class=\"note\">Meetings and taps of every station, by the time they carry "
	      "(which may itself be wrong: that is the point).</p>\n",
	      f);
	report_columns(f, "unsynced-chart", bars, n, "rows with an unsynchronised clock");
	free(bars);
}

static void health(FILE *f, const struct tm_report *r)
{
	fputs("<section id=\"health\">\n<h2>Stations</h2>\n"
	      "<table id=\"stations-table\">\n<tr><th>station</th><th>reader now</th>"
	      "<th>storage now</th><th>clock now</th><th>last heartbeat</th><th>started</th>"
	      "<th>meetings</th><th>taps</th><th>meetings with clock unsynchronised</th>"
	      "<th>taps with clock unsynchronised</th></tr>\n",
	      f);
	for (size_t i = 0; i < r->n_stations; i++) {
		const struct tm_report_station *s = &r->stations[i];

		fputs("<tr data-station=\"", f);
		out_markup_text(f, s->id);
		fprintf(f,
			"\" data-meetings=\"%lld\" data-taps=\"%lld\" data-unsynced-meetings=\"%lld\" "
			"data-unsynced-taps=\"%lld\"><td><bdi>",
			(long long)s->meetings, (long long)s->taps, (long long)s->unsynced_meetings,
			(long long)s->unsynced_taps);
		out_markup_text(f, s->id);
		fputs("</bdi>", f);
		if (s->name && s->name[0]) {
			fputs(" <bdi>", f);
			out_markup_text(f, s->name);
			fputs("</bdi>", f);
		}
		if (!s->listed) {
			fputs("</td><td colspan=\"5\">not registered in this log (its rows came from "
			      "another file)",
			      f);
		} else {
			bool reader_ok = s->reader_state && !strcmp(s->reader_state, "ok");

			fprintf(f, "</td><td class=\"%s\">", reader_ok ? "" : "bad");
			out_markup_text(f, s->reader_state ? s->reader_state : "");
			if (s->detail && s->detail[0]) {
				fputs(": <bdi>", f);
				out_markup_text(f, s->detail);
				fputs("</bdi>", f);
			}
			fprintf(f, "</td><td class=\"%s\">%s</td><td class=\"%s\">%s</td><td>",
				s->storage_fault ? "bad" : "", s->storage_fault ? "fault" : "ok",
				s->clock_synced ? "" : "warn",
				s->clock_synced ? "synchronised" : "not synchronised");
			local_or_none(f, s->heartbeat_utc);
			fputs("</td><td>", f);
			local_or_none(f, s->started_utc);
		}
		fprintf(f,
			"</td><td class=\"n\">%lld</td><td class=\"n\">%lld</td><td class=\"n%s\">%lld"
			"</td><td class=\"n%s\">%lld</td></tr>\n",
			(long long)s->meetings, (long long)s->taps,
			s->unsynced_meetings ? " warn" : "", (long long)s->unsynced_meetings,
			s->unsynced_taps ? " warn" : "", (long long)s->unsynced_taps);
	}
	fputs("</table>\n", f);
	unsynced_hours(f, r);
	fputs("<p class=\"note\" id=\"not-recorded\">What the log does not record: the reader "
	      "and storage columns are each station&#39;s state at its last heartbeat (written "
	      "every 30 s while it runs, overwriting the one before), so a reader fault or a "
	      "storage fault that came and went during the event leaves no trace, nor does how "
	      "long it lasted. (During a storage fault a station keeps taps in memory and writes "
	      "them once it can; they are not lost, but their rows do not say so.) What it does "
	      "record is, on every meeting and tap, whether the clock was synchronised when it "
	      "was written: those counts are exact.</p>\n</section>\n",
	      f);
}

static void network(FILE *f, const struct tm_report *r, struct report_opts *o)
{
	fputs("<section id=\"network\">\n<h2>The network</h2>\n"
	      "<p class=\"note\">People are dots, sized by how many people they met; a line "
	      "joins two who met, thicker for more meetings, dashed when every one of them was "
	      "suspect. The best connected are named (as above); hover over a dot for the "
	      "others. Laid out by Graphviz (sfdp).</p>\n",
	      f);
	report_graph(f, r, o);
	fputs("</section>\n", f);
}

void report_html(FILE *f, const struct tm_report *r, struct report_opts *o)
{
	head(f, o);
	totals(f, r);
	hours(f, r);
	stations(f, r);
	people_met(f, r);
	connectors(f, r);
	orgs(f, r);
	health(f, r);
	network(f, r, o);
	fputs("</body>\n</html>\n", f);
}
