/* tapmeet meetings: the log, filtered. The WHERE clause is assembled from the
 * filters given so that SQLite can use the index each one needs. */
#include "cli.h"

#include <getopt.h>
#include <string.h>

#include <sqlite3.h>

#include "timearg.h"

static const char usage[] =
	"usage: tapmeet meetings [--since T] [--until T] [--badge UID] [--person NAME|UID]\n"
	"                        [--station ID] [--limit N] [--format FMT]\n"
	"Meetings in time order. T: 2026-11-26, 2026-11-26T10:30, 2026-11-26T09:30Z,\n"
	"today, yesterday, now, or an age such as 30m, 2h, 3d. --until is exclusive;\n"
	"a bare date as --until means the end of that day.\n";

/* The columns of a meeting, badges and names sorted by UID; HINT: an
 * INDEXED BY clause for the names, or nothing. */
#define MEETING_COLUMNS(HINT)                                                        \
	"m.id AS id, m.time_utc AS \"time|time\", m.station AS station, "                  \
	"(SELECT group_concat(uid, char(31)) FROM (SELECT uid FROM meeting_badges "        \
	" WHERE meeting_id = m.id ORDER BY uid)) AS \"badges|list\", "                     \
	"(SELECT group_concat(coalesce(a.name, ''), char(31)) FROM (SELECT mb.uid FROM "   \
	" meeting_badges mb WHERE mb.meeting_id = m.id ORDER BY mb.uid) b "                \
	" LEFT JOIN attendees a " HINT " ON a.uid = b.uid) AS \"names|list\""

/* Shared with tail. */
const char cli_meeting_columns[] = MEETING_COLUMNS("");

/* A name per badge is most of the work of a long listing: through
 * attendees' primary key it is two lookups (the key's index, then the row),
 * through attendees_uid_name (schema migration 2) one. Without statistics
 * the planner prefers the unique key, hence INDEXED BY, which fails on a
 * database the daemon has not migrated yet: ask the schema first. */
static const char meeting_columns_indexed[] =
	MEETING_COLUMNS("INDEXED BY attendees_uid_name");

static bool has_index(struct cli *c, const char *name)
{
	sqlite3_stmt *st;
	bool found;

	if (sqlite3_prepare_v2(c->db, "SELECT 1 FROM sqlite_master WHERE type = 'index' AND "
				      "name = ?1 AND tbl_name = 'attendees'",
			       -1, &st, NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

int cmd_meetings(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "badge", required_argument, NULL, 'b' },
		{ "person", required_argument, NULL, 'p' },
		{ "station", required_argument, NULL, 'S' },
		{ "limit", required_argument, NULL, 'n' },
		{ 0, 0, 0, 0 },
	};
	const char *since = NULL, *until = NULL, *badge = NULL, *person = NULL, *station = NULL;
	long long limit = -1;
	int64_t since_ms = 0, until_ms = 0, now = cli_now_ms();
	char badge_uid[TM_PRIVACY_UID_SIZE], person_uid[TM_PRIVACY_UID_SIZE];
	sqlite3_str *sql;
	sqlite3_stmt *st = NULL;
	char *text;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "hn:", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			since = optarg;
			break;
		case 'u':
			until = optarg;
			break;
		case 'b':
			badge = optarg;
			break;
		case 'p':
			person = optarg;
			break;
		case 'S':
			station = optarg;
			break;
		case 'n':
			if (cli_parse_int(optarg, 0, 1000000000LL, &limit) < 0)
				return cli_usage_error(usage, "bad --limit '%s'", optarg);
			break;
		default:
			rc = cli_common_option(c, opt, optarg, usage);
			if (rc > 1)
				return CLI_STOP(rc);
		}
	}
	if (optind < argc)
		return cli_usage_error(usage, "unexpected argument '%s'", argv[optind]);
	if (since && tm_cli_parse_time(since, now, false, &since_ms) < 0)
		return cli_usage_error(usage, "bad time '%s' for --since", since);
	if (until && tm_cli_parse_time(until, now, true, &until_ms) < 0)
		return cli_usage_error(usage, "bad time '%s' for --until", until);
	if ((rc = cli_open(c, false)))
		return rc;
	if (badge && cli_uid_arg(c, badge, badge_uid) < 0)
		return cli_usage_error(usage, "bad badge UID '%s' (8, 14 or 20 hex digits)", badge);
	if (person && (rc = cli_resolve_person(c, person, person_uid, NULL, 0)))
		return rc;

	sql = sqlite3_str_new(c->db);
	sqlite3_str_appendf(sql, "SELECT %s FROM meetings m WHERE 1",
			    has_index(c, "attendees_uid_name") ? meeting_columns_indexed :
								 cli_meeting_columns);
	if (since)
		sqlite3_str_appendall(sql, " AND m.utc_ms >= :since");
	if (until)
		sqlite3_str_appendall(sql, " AND m.utc_ms < :until");
	if (station)
		sqlite3_str_appendall(sql, " AND m.station = :station");
	if (badge)
		sqlite3_str_appendall(sql, " AND m.id IN (SELECT meeting_id FROM meeting_badges "
					   "WHERE uid = :badge)");
	if (person)
		sqlite3_str_appendall(sql, " AND m.id IN (SELECT meeting_id FROM meeting_badges "
					   "WHERE uid = :person)");
	sqlite3_str_appendall(sql, " ORDER BY m.utc_ms, m.id");
	if (limit >= 0)
		sqlite3_str_appendall(sql, " LIMIT :limit");
	text = sqlite3_str_finish(sql);
	if (!text || cli_prepare(c, text, &st) < 0) {
		sqlite3_free(text);
		return EXIT_DATA;
	}
	sqlite3_free(text);
	sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":since"), since_ms);
	sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":until"), until_ms);
	sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":station"), station, -1,
			  SQLITE_STATIC);
	sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":badge"), badge_uid, -1,
			  SQLITE_STATIC);
	sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":person"), person_uid, -1,
			  SQLITE_STATIC);
	sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":limit"), limit);
	rc = out_query(c, st, NULL);
	sqlite3_finalize(st);
	return rc;
}
