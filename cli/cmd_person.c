/* tapmeet person: one row per (meeting, other badge), so a meeting of three
 * lists both others, each with a name when registered. */
#include "cli.h"

#include <getopt.h>

#include <sqlite3.h>

static const char usage[] = "usage: tapmeet person NAME|UID [--format FMT]\n"
			    "Whom the person met, when and where. NAME matches case-insensitively,\n"
			    "whole name first, then part of it; when several attendees match, the\n"
			    "candidates are listed and nothing else is done (exit 2).\n";

static const char sql[] =
	"SELECT m.id AS meeting, m.time_utc AS \"time|time\", m.station AS station, "
	" o.uid AS uid, a.name AS name, a.org AS org "
	"FROM meeting_badges me JOIN meetings m ON m.id = me.meeting_id "
	"JOIN meeting_badges o ON o.meeting_id = me.meeting_id AND o.uid <> me.uid "
	"LEFT JOIN attendees a ON a.uid = o.uid "
	"WHERE me.uid = ?1 ORDER BY m.utc_ms, m.id, o.uid";

static const char summary_sql[] =
	"SELECT count(DISTINCT me.meeting_id), count(DISTINCT o.uid) FROM meeting_badges me "
	"LEFT JOIN meeting_badges o ON o.meeting_id = me.meeting_id AND o.uid <> me.uid "
	"WHERE me.uid = ?1";

int cmd_person(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_OPTIONS, { 0, 0, 0, 0 } };
	char uid[TM_PRIVACY_UID_SIZE], name[256];
	sqlite3_stmt *st;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		rc = cli_common_option(c, opt, optarg, usage);
		if (rc > 1)
			return CLI_STOP(rc);
	}
	if (optind != argc - 1)
		return cli_usage_error(usage, "person needs one NAME or UID");
	if ((rc = cli_open(c, false)))
		return rc;
	if ((rc = cli_resolve_person(c, argv[optind], uid, name, sizeof(name))))
		return rc;
	if (c->format == FMT_TABLE) {
		if (cli_prepare(c, summary_sql, &st) < 0)
			return EXIT_DATA;
		sqlite3_bind_text(st, 1, uid, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			printf("%s%s%s%s: %d meetings with %d people\n", name, name[0] ? " (" : "",
			       uid, name[0] ? ")" : "", sqlite3_column_int(st, 0),
			       sqlite3_column_int(st, 1));
		sqlite3_finalize(st);
	}
	if (cli_prepare(c, sql, &st) < 0)
		return EXIT_DATA;
	sqlite3_bind_text(st, 1, uid, -1, SQLITE_STATIC);
	rc = out_query(c, st, NULL);
	sqlite3_finalize(st);
	return rc;
}
