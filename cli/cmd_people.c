/* tapmeet people: the registry plus every unknown badge the log has seen, so
 * that a badge handed out without registration still shows up. */
#include "cli.h"

#include <getopt.h>

#include <sqlite3.h>

static const char usage[] = "usage: tapmeet people [--format FMT]\n"
			    "Attendees and unknown badges with their number of meetings, of\n"
			    "distinct people met, and first and last tap.\n";

static const char sql[] =
	"WITH ids(uid) AS (SELECT uid FROM attendees UNION SELECT uid FROM taps WHERE outcome <> 'rejected' "
	"  UNION SELECT uid FROM meeting_badges) "
	"SELECT ids.uid AS uid, a.name AS name, a.org AS org, "
	" (SELECT count(*) FROM meeting_badges mb WHERE mb.uid = ids.uid) AS meetings, "
	" (SELECT count(DISTINCT o.uid) FROM meeting_badges mb JOIN meeting_badges o "
	"   ON o.meeting_id = mb.meeting_id AND o.uid <> mb.uid WHERE mb.uid = ids.uid) AS people, "
	" (SELECT min(t.time_utc) FROM taps t WHERE t.uid = ids.uid) AS \"first_seen|time\", "
	" (SELECT max(t.time_utc) FROM taps t WHERE t.uid = ids.uid) AS \"last_seen|time\" "
	"FROM ids LEFT JOIN attendees a ON a.uid = ids.uid "
	"ORDER BY a.name IS NULL, a.name COLLATE NOCASE, ids.uid";

int cmd_people(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_OPTIONS, { 0, 0, 0, 0 } };
	sqlite3_stmt *st;
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
	if (cli_prepare(c, sql, &st) < 0)
		return EXIT_DATA;
	rc = out_query(c, st, NULL);
	sqlite3_finalize(st);
	return rc;
}
