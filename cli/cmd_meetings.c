/* tapmeet meetings: the log, filtered. */
#include "cli.h"

#include "timearg.h"

static const char usage[] =
	"usage: tapmeet meetings [--since T] [--until T] [--badge UID] [--person NAME|UID]\n"
	"                        [--station ID] [--suspect] [--limit N] [--format FMT]\n"
	"Meetings in time order. T: 2026-11-26, 2026-11-26T10:30, 2026-11-26T09:30Z,\n"
	"today, yesterday, now, or an age such as 30m, 2h, 3d. --until is exclusive;\n"
	"a bare date as --until means the end of that day. --limit N: the latest N\n"
	"of those (as tail -n), still listed oldest first. The suspect column says\n"
	"why the station doubted a meeting (empty when it did not); --suspect lists\n"
	"only those.\n";

int cmd_meetings(struct cli *c, int argc, char **argv)
{
	const char *since = NULL, *until = NULL, *badge = NULL, *person = NULL, *station = NULL,
		   *limit_text = NULL;
	bool suspect = false;
	const struct cli_opt opts[] = {
		{ "since", 0, CLI_OPT_TEXT, NULL, &since },
		{ "until", 0, CLI_OPT_TEXT, NULL, &until },
		{ "badge", 0, CLI_OPT_TEXT, NULL, &badge },
		{ "person", 0, CLI_OPT_TEXT, NULL, &person },
		{ "station", 0, CLI_OPT_TEXT, NULL, &station },
		{ "suspect", 0, CLI_OPT_FLAG, &suspect, NULL },
		{ "limit", 'n', CLI_OPT_TEXT, NULL, &limit_text },
		{ 0 },
	};
	struct tm_meeting_filter f = { .limit = -1 };
	char badge_uid[TM_STORED_UID_SIZE], person_uid[TM_STORED_UID_SIZE];
	int64_t now = cli_now_ms();
	struct tm_rows *rows;
	long long limit;
	int first, rc;

	if ((rc = cli_options(c, argc, argv, opts, usage, &first)) >= 0)
		return rc;
	if (first < argc)
		return cli_usage_error(usage, "unexpected argument '%s'", argv[first]);
	if (limit_text) {
		if (cli_parse_int(limit_text, 0, 1000000000LL, &limit) < 0)
			return cli_usage_error(usage, "bad --limit '%s'", limit_text);
		f.limit = limit;
	}
	if (since && tm_cli_parse_time(since, now, false, &f.since_ms) < 0)
		return cli_usage_error(usage, "bad time '%s' for --since", since);
	if (until && tm_cli_parse_time(until, now, true, &f.until_ms) < 0)
		return cli_usage_error(usage, "bad time '%s' for --until", until);
	f.has_since = since != NULL;
	f.has_until = until != NULL;
	f.station = station;
	f.suspect_only = suspect;
	if ((rc = cli_open(c, false)))
		return rc;
	if (badge && (rc = cli_uid_arg(c, badge, badge_uid)))
		return rc;
	if (person && (rc = cli_resolve_person(c, person, person_uid, NULL, 0)))
		return rc;
	f.uid = badge ? badge_uid : person ? person_uid : NULL;
	f.uid2 = badge && person ? person_uid : NULL;
	if (tm_store_meetings(c->store, &f, &rows) < 0)
		return cli_store_error(c, "meetings");
	rc = out_rows(c, rows, NULL);
	tm_rows_free(rows);
	return rc;
}
