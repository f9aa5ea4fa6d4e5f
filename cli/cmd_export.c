/* tapmeet export: the meeting network for Gephi, networkx, igraph, Graphviz
 * and SocioPatterns tools. Edges are aggregated by SQLite (GROUP BY, which
 * spills to temporary files when large) and written row by row, so memory
 * stays flat however big the log is. */
#include "cli.h"

#include <getopt.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "vcard.h"

static const char usage[] =
	"usage: tapmeet export gexf|graphml|dot|csv|tij\n"
	"       tapmeet export contacts NAME|UID [--format csv|vcard]\n"
	"Network: nodes are badges (registered attendees and every badge met), labelled\n"
	"with names; an edge joins two badges that met, weight = number of meetings (a\n"
	"meeting of n badges gives all n(n-1)/2 pairs). tij: 't i j' per pair and\n"
	"meeting, t in unix seconds, i < j badge UIDs. contacts: the people NAME met,\n"
	"as CSV or vCard 4.0.\n";

static const char nodes_sql[] =
	"SELECT u.uid, coalesce(a.name, ''), coalesce(a.org, ''), "
	" (SELECT count(*) FROM meeting_badges mb WHERE mb.uid = u.uid) "
	"FROM (SELECT uid FROM attendees UNION SELECT uid FROM meeting_badges) u "
	"LEFT JOIN attendees a ON a.uid = u.uid ORDER BY u.uid";

static const char edges_sql[] =
	"SELECT a.uid, b.uid, count(*) FROM meeting_badges a JOIN meeting_badges b "
	" ON b.meeting_id = a.meeting_id AND b.uid > a.uid "
	"GROUP BY a.uid, b.uid ORDER BY a.uid, b.uid";

static void xml_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		switch (ch) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&apos;", f);
			break;
		case '\t':
		case '\n':
		case '\r':
			fprintf(f, "&#%d;", ch);
			break;
		default:
			/* XML 1.0 cannot carry other control characters at all. */
			if (ch >= 0x20)
				fputc(ch, f);
		}
	}
}

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
		      "  <graph id=\"tapmeet\" edgedefault=\"undirected\">\n",
		      f);
		break;
	case NET_DOT:
		fputs("graph tapmeet {\n", f);
		break;
	case NET_CSV:
		fputs("source,target,weight,source_name,target_name\n", f);
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
		xml_text(f, uid);
		fputs("\" label=\"", f);
		xml_text(f, label);
		fputs("\">\n        <attvalues>\n          <attvalue for=\"org\" value=\"", f);
		xml_text(f, org);
		fprintf(f,
			"\"/>\n          <attvalue for=\"meetings\" value=\"%lld\"/>\n"
			"        </attvalues>\n      </node>\n",
			meetings);
		break;
	case NET_GRAPHML:
		fputs("    <node id=\"", f);
		xml_text(f, uid);
		fputs("\"><data key=\"label\">", f);
		xml_text(f, label);
		fputs("</data><data key=\"org\">", f);
		xml_text(f, org);
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

static void edge(FILE *f, enum net_format fmt, long long n, const char *a, const char *b,
		 long long w)
{
	switch (fmt) {
	case NET_GEXF:
		fprintf(f, "      <edge id=\"%lld\" source=\"", n);
		xml_text(f, a);
		fputs("\" target=\"", f);
		xml_text(f, b);
		fprintf(f, "\" weight=\"%lld\"/>\n", w);
		break;
	case NET_GRAPHML:
		fprintf(f, "    <edge id=\"e%lld\" source=\"", n);
		xml_text(f, a);
		fputs("\" target=\"", f);
		xml_text(f, b);
		fprintf(f, "\"><data key=\"weight\">%lld</data></edge>\n", w);
		break;
	case NET_DOT:
		fputs("  ", f);
		dot_string(f, a);
		fputs(" -- ", f);
		dot_string(f, b);
		fprintf(f, " [weight=%lld];\n", w);
		break;
	default:
		break;
	}
}

static int network(struct cli *c, enum net_format fmt)
{
	FILE *f = stdout;
	sqlite3_stmt *st;
	long long n = 0;
	int rc;

	header(f, fmt);
	if (fmt == NET_TIJ) {
		if (cli_prepare(c, "SELECT m.utc_ms / 1000, a.uid, b.uid FROM meetings m "
				   "JOIN meeting_badges a ON a.meeting_id = m.id "
				   "JOIN meeting_badges b ON b.meeting_id = m.id AND b.uid > a.uid "
				   "ORDER BY m.utc_ms, m.id, a.uid, b.uid",
				&st) < 0)
			return EXIT_DATA;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			fprintf(f, "%lld %s %s\n", (long long)sqlite3_column_int64(st, 0),
				sqlite3_column_text(st, 1), sqlite3_column_text(st, 2));
		goto done;
	}
	if (fmt != NET_CSV) {
		if (cli_prepare(c, nodes_sql, &st) < 0)
			return EXIT_DATA;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			node(f, fmt, (const char *)sqlite3_column_text(st, 0),
			     (const char *)sqlite3_column_text(st, 1),
			     (const char *)sqlite3_column_text(st, 2), sqlite3_column_int64(st, 3));
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return cli_db_error(c, "export");
		if (fmt == NET_GEXF)
			fputs("    </nodes>\n    <edges>\n", f);
	}
	if (fmt == NET_CSV) {
		if (cli_prepare(c,
				"SELECT e.a, e.b, e.n, coalesce(x.name, ''), coalesce(y.name, '') "
				"FROM (SELECT a.uid AS a, b.uid AS b, count(*) AS n "
				"      FROM meeting_badges a JOIN meeting_badges b "
				"      ON b.meeting_id = a.meeting_id AND b.uid > a.uid "
				"      GROUP BY a.uid, b.uid) e "
				"LEFT JOIN attendees x ON x.uid = e.a "
				"LEFT JOIN attendees y ON y.uid = e.b ORDER BY e.a, e.b",
				&st) < 0)
			return EXIT_DATA;
	} else if (cli_prepare(c, edges_sql, &st) < 0) {
		return EXIT_DATA;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *a = (const char *)sqlite3_column_text(st, 0);
		const char *b = (const char *)sqlite3_column_text(st, 1);
		long long w = sqlite3_column_int64(st, 2);

		if (fmt == NET_CSV) {
			fprintf(f, "%s,%s,%lld,", a, b, w);
			out_csv_field(f, (const char *)sqlite3_column_text(st, 3));
			fputc(',', f);
			out_csv_field(f, (const char *)sqlite3_column_text(st, 4));
			fputc('\n', f);
		} else {
			edge(f, fmt, n++, a, b, w);
		}
	}
done:
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return cli_db_error(c, "export");
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

static const char contacts_sql[] =
	"SELECT o.uid, coalesce(a.name, ''), coalesce(a.org, ''), coalesce(a.handle, ''), "
	" coalesce(a.email, ''), count(*), min(m.time_utc), max(m.time_utc) "
	"FROM meeting_badges me JOIN meetings m ON m.id = me.meeting_id "
	"JOIN meeting_badges o ON o.meeting_id = me.meeting_id AND o.uid <> me.uid "
	"LEFT JOIN attendees a ON a.uid = o.uid "
	"WHERE me.uid = ?1 GROUP BY o.uid ORDER BY a.name IS NULL, a.name COLLATE NOCASE, o.uid";

static int vcard(FILE *f, sqlite3_stmt *st, const char *whose)
{
	const char *uid = (const char *)sqlite3_column_text(st, 0);
	const char *name = (const char *)sqlite3_column_text(st, 1);
	const char *org = (const char *)sqlite3_column_text(st, 2);
	const char *handle = (const char *)sqlite3_column_text(st, 3);
	const char *email = (const char *)sqlite3_column_text(st, 4);
	char note[512], fn[64];
	int rc = 0;

	snprintf(fn, sizeof(fn), "Badge %s", uid);
	snprintf(note, sizeof(note), "Met %s %lld time%s at the conference (first %s, last %s); badge %s",
		 whose, (long long)sqlite3_column_int64(st, 5),
		 sqlite3_column_int64(st, 5) == 1 ? "" : "s", sqlite3_column_text(st, 6),
		 sqlite3_column_text(st, 7), uid);
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
	static const struct option opts[] = {
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "db", required_argument, NULL, OPT_DB },
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 },
	};
	const char *who = NULL;
	bool as_vcard = false;
	char uid[TM_PRIVACY_UID_SIZE], name[256];
	sqlite3_stmt *st;
	int opt, rc;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (opt == OPT_FORMAT) {
			if (strcmp(optarg, "csv") && strcmp(optarg, "vcard"))
				return cli_usage_error(usage, "contacts: format csv or vcard");
			as_vcard = !strcmp(optarg, "vcard");
			continue;
		}
		rc = cli_common_option(c, opt, optarg, usage);
		if (rc > 1)
			return CLI_STOP(rc);
	}
	if (optind != argc - 1)
		return cli_usage_error(usage, "export contacts needs one NAME or UID");
	who = argv[optind];
	if ((rc = cli_open(c, false)))
		return rc;
	if ((rc = cli_resolve_person(c, who, uid, name, sizeof(name))))
		return rc;
	if (cli_prepare(c, contacts_sql, &st) < 0)
		return EXIT_DATA;
	sqlite3_bind_text(st, 1, uid, -1, SQLITE_STATIC);
	if (!as_vcard)
		fputs("uid,name,org,handle,email,meetings,first_met,last_met\n", stdout);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (as_vcard) {
			vcard(stdout, st, *name ? name : uid);
			continue;
		}
		for (int i = 0; i < 8; i++) {
			if (i)
				putchar(',');
			out_csv_field(stdout, (const char *)sqlite3_column_text(st, i));
		}
		putchar('\n');
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return cli_db_error(c, "export contacts");
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_DATA;
}

int cmd_export(struct cli *c, int argc, char **argv)
{
	static const char *const names[] = { "gexf", "graphml", "dot", "csv", "tij" };
	static const struct option opts[] = { CLI_COMMON_OPTIONS, { 0, 0, 0, 0 } };
	const char *what;
	int opt, rc;

	if (argc >= 2 && !strcmp(argv[1], "contacts"))
		return contacts(c, argc - 1, argv + 1);
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		rc = cli_common_option(c, opt, optarg, usage);
		if (rc > 1)
			return CLI_STOP(rc);
	}
	if (optind != argc - 1)
		return cli_usage_error(usage, "export needs one format");
	what = argv[optind];
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(what, names[i]))
			continue;
		if ((rc = cli_open(c, false)))
			return rc;
		/* One read transaction: nodes and edges from the same moment. */
		sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL);
		rc = network(c, (enum net_format)i);
		sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
		return rc;
	}
	return cli_usage_error(usage, "unknown export format '%s'", what);
}
