/* tapmeet export: the meeting network for Gephi, networkx, igraph, Graphviz
 * and SocioPatterns tools. Edges are aggregated by SQLite (GROUP BY, which
 * spills to temporary files when large) and written row by row, so memory
 * stays flat however big the log is.
 *
 * Suspect meetings (the station doubted them) are handled per export by
 * what it is for. The network is for organisers, who want every meeting
 * and can weigh the doubtful ones: it keeps them, counted on each edge. tij
 * has three fixed columns and no room for a mark: it leaves them out unless
 * asked. Contacts hand one person's details to another, where a meeting
 * that never happened does harm: they leave them out unless asked. */
#include "cli.h"

#include <getopt.h>
#include <string.h>
#include <time.h>

#include "vcard.h"

static const char usage[] =
	"usage: tapmeet export gexf|graphml|dot|csv\n"
	"       tapmeet export tij [--include-suspect]\n"
	"       tapmeet export contacts NAME|UID [--include-suspect] [--format csv|vcard]\n"
	"Network: nodes are badges (registered attendees and every badge met), labelled\n"
	"with names; an edge joins two badges that met, weight = number of meetings (a\n"
	"meeting of n badges gives all n(n-1)/2 pairs). Suspect meetings (see\n"
	"'tapmeet meetings --suspect') stay in the network, marked: every edge's\n"
	"suspect attribute (gexf, graphml; a column in csv) says how many of its\n"
	"weight were suspect; dot adds suspect=N when some were, dashed when all were.\n"
	"tij: 't i j' per pair and meeting, t in unix seconds, i < j badge UIDs; it\n"
	"cannot mark a meeting, so suspect ones are left out unless --include-suspect.\n"
	"contacts: the people NAME met, as CSV (the default), JSON, NDJSON, a table or\n"
	"vCard 4.0. They hand out people's details, so only meetings not marked\n"
	"suspect count and a person met only in suspect ones is left out; with\n"
	"--include-suspect every meeting counts and suspect_meetings says how many\n"
	"were suspect.\n";

static void dot_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if (*s == '\n')
			fputs("\\n", f);
		else if (*s != '\r')
			fputc(*s, f);
	}
	fputc('"', f);
}

enum net_format { NET_GEXF, NET_GRAPHML, NET_DOT, NET_CSV, NET_TIJ };

static void header(FILE *f, enum net_format fmt)
{
	char date[16];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d", &tm);
	switch (fmt) {
	case NET_GEXF:
		fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			   "<gexf xmlns=\"http://www.gexf.net/1.2draft\" version=\"1.2\">\n"
			   "  <meta lastmodifieddate=\"%s\">\n"
			   "    <creator>tapmeet</creator>\n"
			   "    <description>meetings recorded by tapmeet</description>\n"
			   "  </meta>\n"
			   "  <graph mode=\"static\" defaultedgetype=\"undirected\">\n"
			   "    <attributes class=\"node\">\n"
			   "      <attribute id=\"org\" title=\"org\" type=\"string\"/>\n"
			   "      <attribute id=\"meetings\" title=\"meetings\" type=\"integer\"/>\n"
			   "    </attributes>\n"
			   "    <attributes class=\"edge\">\n"
			   "      <attribute id=\"suspect\" title=\"suspect\" type=\"integer\"/>\n"
			   "    </attributes>\n"
			   "    <nodes>\n",
			date);
		break;
	case NET_GRAPHML:
		fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		      "<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\" "
		      "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
		      "xsi:schemaLocation=\"http://graphml.graphdrawing.org/xmlns "
		      "http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd\">\n"
		      "  <key id=\"label\" for=\"node\" attr.name=\"label\" attr.type=\"string\"/>\n"
		      "  <key id=\"org\" for=\"node\" attr.name=\"org\" attr.type=\"string\"/>\n"
		      "  <key id=\"meetings\" for=\"node\" attr.name=\"meetings\" "
		      "attr.type=\"int\"/>\n"
		      "  <key id=\"weight\" for=\"edge\" attr.name=\"weight\" attr.type=\"int\"/>\n"
		      "  <key id=\"suspect\" for=\"edge\" attr.name=\"suspect\" attr.type=\"int\"/>\n"
		      "  <graph id=\"tapmeet\" edgedefault=\"undirected\">\n",
		      f);
		break;
	case NET_DOT:
		fputs("graph tapmeet {\n", f);
		break;
	case NET_CSV:
		/* suspect last: scripts that read the columns by position go on working. */
		fputs("source,target,weight,source_name,target_name,suspect\n", f);
		break;
	case NET_TIJ:
		break;
	}
}

static void node(FILE *f, enum net_format fmt, const char *uid, const char *name, const char *org,
		 long long meetings)
{
	const char *label = *name ? name : uid;

	switch (fmt) {
	case NET_GEXF:
		fputs("      <node id=\"", f);
		out_markup_text(f, uid);
		fputs("\" label=\"", f);
		out_markup_text(f, label);
		fputs("\">\n        <attvalues>\n          <attvalue for=\"org\" value=\"", f);
		out_markup_text(f, org);
		fprintf(f,
			"\"/>\n          <attvalue for=\"meetings\" value=\"%lld\"/>\n"
			"        </attvalues>\n      </node>\n",
			meetings);
		break;
	case NET_GRAPHML:
		fputs("    <node id=\"", f);
		out_markup_text(f, uid);
		fputs("\"><data key=\"label\">", f);
		out_markup_text(f, label);
		fputs("</data><data key=\"org\">", f);
		out_markup_text(f, org);
		fprintf(f, "</data><data key=\"meetings\">%lld</data></node>\n", meetings);
		break;
	case NET_DOT:
		fputs("  ", f);
		dot_string(f, uid);
		fputs(" [label=", f);
		dot_string(f, label);
		fputs("];\n", f);
		break;
	default:
		break;
	}
}

/* suspect: how many of the w meetings were suspect. */
static void edge(FILE *f, enum net_format fmt, long long n, const char *a, const char *b,
		 long long w, long long suspect)
{
	switch (fmt) {
	case NET_GEXF:
		fprintf(f, "      <edge id=\"%lld\" source=\"", n);
		out_markup_text(f, a);
		fputs("\" target=\"", f);
		out_markup_text(f, b);
		fprintf(f,
			"\" weight=\"%lld\">\n        <attvalues>\n"
			"          <attvalue for=\"suspect\" value=\"%lld\"/>\n"
			"        </attvalues>\n      </edge>\n",
			w, suspect);
		break;
	case NET_GRAPHML:
		fprintf(f, "    <edge id=\"e%lld\" source=\"", n);
		out_markup_text(f, a);
		fputs("\" target=\"", f);
		out_markup_text(f, b);
		fprintf(f, "\"><data key=\"weight\">%lld</data><data key=\"suspect\">%lld</data></edge>\n",
			w, suspect);
		break;
	case NET_DOT:
		/* Drawn for people: only doubt is worth ink; dashed when nothing
		 * but suspect meetings stands behind the line. */
		fputs("  ", f);
		dot_string(f, a);
		fputs(" -- ", f);
		dot_string(f, b);
		fprintf(f, " [weight=%lld", w);
		if (suspect > 0)
			fprintf(f, ", suspect=%lld", suspect);
		if (suspect > 0 && suspect >= w)
			fputs(", style=dashed", f);
		fputs("];\n", f);
		break;
	default:
		break;
	}
}

static int network(struct cli *c, enum net_format fmt, bool include_suspect)
{
	FILE *f = stdout;
	struct tm_rows *rows = NULL;
	long long n = 0;
	int rc;

	header(f, fmt);
	if (fmt == NET_TIJ) {
		if (tm_store_export_contacts_in_time(c->store, include_suspect, &rows) < 0)
			return cli_store_error(c, "export");
		while ((rc = tm_rows_next(rows)) > 0)
			fprintf(f, "%lld %s %s\n", (long long)tm_rows_int(rows, 0),
				tm_rows_text(rows, 1), tm_rows_text(rows, 2));
		goto done;
	}
	if (fmt != NET_CSV) {
		if (tm_store_export_nodes(c->store, &rows) < 0)
			return cli_store_error(c, "export");
		while ((rc = tm_rows_next(rows)) > 0)
			node(f, fmt, tm_rows_text(rows, 0), tm_rows_text(rows, 1),
			     tm_rows_text(rows, 2), tm_rows_int(rows, 3));
		tm_rows_free(rows);
		rows = NULL;
		if (rc < 0)
			return cli_store_error(c, "export");
		if (fmt == NET_GEXF)
			fputs("    </nodes>\n    <edges>\n", f);
	}
	if (tm_store_export_edges(c->store, fmt == NET_CSV, &rows) < 0)
		return cli_store_error(c, "export");
	while ((rc = tm_rows_next(rows)) > 0) {
		const char *a = tm_rows_text(rows, 0), *b = tm_rows_text(rows, 1);
		long long w = tm_rows_int(rows, 2), suspect = tm_rows_int(rows, 3);

		if (fmt == NET_CSV) {
			fprintf(f, "%s,%s,%lld,", a, b, w);
			out_csv_field(f, tm_rows_text(rows, 4));
			fputc(',', f);
			out_csv_field(f, tm_rows_text(rows, 5));
			fprintf(f, ",%lld\n", suspect);
		} else {
			edge(f, fmt, n++, a, b, w, suspect);
		}
	}
done:
	tm_rows_free(rows);
	if (rc < 0)
		return cli_store_error(c, "export");
	if (fmt == NET_GEXF)
		fputs("    </edges>\n  </graph>\n</gexf>\n", f);
	else if (fmt == NET_GRAPHML)
		fputs("  </graph>\n</graphml>\n", f);
	else if (fmt == NET_DOT)
		fputs("}\n", f);
	if (fflush(f) == EOF || ferror(f)) {
		cli_err("cannot write the export");
		return EXIT_DATA;
	}
	return EXIT_OK;
}

static int vcard(FILE *f, struct tm_rows *r, const char *whose)
{
	const char *uid = tm_rows_text(r, 0), *name = tm_rows_text(r, 1);
	const char *org = tm_rows_text(r, 2), *handle = tm_rows_text(r, 3);
	const char *email = tm_rows_text(r, 4);
	long long times = tm_rows_int(r, 5), suspect = tm_rows_int(r, 8);
	char note[2300], doubt[96] = "", fn[64];
	int rc = 0;

	snprintf(fn, sizeof(fn), "Badge %s", uid);
	/* Only with --include-suspect: the card itself says the meeting may
	 * not have happened, wherever it is copied to. */
	if (suspect > 0 && suspect >= times)
		snprintf(doubt, sizeof(doubt), "; %s recorded as suspect",
			 times == 1 ? "the meeting was" : "all were");
	else if (suspect > 0)
		snprintf(doubt, sizeof(doubt), "; %lld of them recorded as suspect", suspect);
	snprintf(note, sizeof(note),
		 "Met %s %lld time%s at the conference (first %s, last %s)%s; badge %s", whose,
		 times, times == 1 ? "" : "s", tm_rows_text(r, 6), tm_rows_text(r, 7), doubt, uid);
	rc |= tm_vcard_write_raw(f, "BEGIN", "VCARD");
	rc |= tm_vcard_write_raw(f, "VERSION", "4.0");
	rc |= tm_vcard_write_line(f, "FN", *name ? name : fn);
	if (*org)
		rc |= tm_vcard_write_line(f, "ORG", org);
	if (*handle)
		rc |= tm_vcard_write_line(f, "NICKNAME", handle);
	if (*email)
		rc |= tm_vcard_write_line(f, "EMAIL", email);
	rc |= tm_vcard_write_line(f, "NOTE", note);
	rc |= tm_vcard_write_raw(f, "END", "VCARD");
	return rc;
}

static int contacts(struct cli *c, int argc, char **argv)
{
	char uid[TM_STORED_UID_SIZE], name[1024];
	bool include_suspect = false;
	const struct cli_opt opts[] = {
		{ "include-suspect", 0, CLI_OPT_FLAG, &include_suspect, NULL },
		{ 0 },
	};
	struct tm_rows *rows;
	int first, rc;

	/* CSV unless a format was asked for, before or after "contacts". */
	if (!c->format_set)
		c->format = FMT_CSV;
	if ((rc = cli_options(c, argc, argv, opts, usage, &first)) >= 0)
		return rc;
	if (first != argc - 1)
		return cli_usage_error(usage, "export contacts needs one NAME or UID");
	if ((rc = cli_open(c, false)))
		return rc;
	if ((rc = cli_resolve_person(c, argv[first], uid, name, sizeof(name))))
		return rc;
	if (tm_store_contacts(c->store, uid, include_suspect, &rows) < 0)
		return cli_store_error(c, "export contacts");
	if (c->format != FMT_VCARD) {
		rc = out_rows(c, rows, NULL);
		tm_rows_free(rows);
		return rc;
	}
	while ((rc = tm_rows_next(rows)) > 0)
		vcard(stdout, rows, *name ? name : uid);
	tm_rows_free(rows);
	if (rc < 0)
		return cli_store_error(c, "export contacts");
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_DATA;
}

int cmd_export(struct cli *c, int argc, char **argv)
{
	static const char *const names[] = { "gexf", "graphml", "dot", "csv", "tij" };
	bool include_suspect = false;
	const struct cli_opt opts[] = {
		{ "include-suspect", 0, CLI_OPT_FLAG, &include_suspect, NULL },
		{ 0 },
	};
	const char *what;
	int first, rc;

	if (argc >= 2 && !strcmp(argv[1], "contacts"))
		return contacts(c, argc - 1, argv + 1);
	if ((rc = cli_options(c, argc, argv, opts, usage, &first)) >= 0)
		return rc;
	if (first != argc - 1)
		return cli_usage_error(usage, "export needs one format");
	what = argv[first];
	if (c->format_set && c->format != FMT_TABLE)
		return cli_usage_error(usage, "export %s has its own format; --format applies to "
					      "export contacts only",
				       what);
	/* Said rather than ignored: someone asking for it expects a network
	 * without suspect meetings otherwise, which it never is. */
	if (include_suspect && strcmp(what, "tij"))
		return cli_usage_error(usage, "export %s always includes suspect meetings, marked; "
					      "--include-suspect applies to tij and contacts",
				       what);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(what, names[i]))
			continue;
		if ((rc = cli_open(c, false)))
			return rc;
		/* One snapshot: nodes and edges from the same moment. */
		if (tm_store_read_begin(c->store) < 0)
			return cli_store_error(c, "export");
		rc = network(c, (enum net_format)i, include_suspect);
		tm_store_read_end(c->store);
		return rc;
	}
	return cli_usage_error(usage, "unknown export format '%s'", what);
}
