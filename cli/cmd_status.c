/* tapmeet status: health from the row the daemon keeps up to date, judged
 * here so that monitoring needs nothing but the exit code. */
#include "cli.h"

#include <getopt.h>
#include <string.h>

#include <sqlite3.h>

#include "timearg.h"

static const char usage[] =
	"usage: tapmeet status [--station ID] [--format FMT]\n"
	"The health of every station (or one): reader state, heartbeat, storage,\n"
	"clock, last tap and today's counts.\n"
	"exit: 0 healthy; 3 unhealthy (reader not ok, storage fault, heartbeat older\n"
	"than 2 minutes or missing, or no station at all); 4 warning only (clock not\n"
	"synchronised); 2 database error.\n";

#define STALE_MS (2 * 60 * 1000)

/* health and problems computed in SQL, so every format shows the same verdict. */
static const char sql[] =
	"WITH s AS (SELECT *, "
	"  (:now - CAST(round((julianday(heartbeat_utc) - 2440587.5) * 86400000) AS INTEGER))"
	"   AS hb_age FROM stations WHERE :station IS NULL OR id = :station), "
	"p AS (SELECT s.*, "
	"  (CASE WHEN reader_state <> 'ok' THEN 'reader ' || reader_state || "
	"     CASE WHEN status_detail <> '' THEN ': ' || status_detail ELSE '' END || char(31) "
	"     ELSE '' END) || "
	"  (CASE WHEN storage_fault THEN 'storage fault' || char(31) ELSE '' END) || "
	"  (CASE WHEN heartbeat_utc IS NULL THEN 'no heartbeat' || char(31) "
	"        WHEN hb_age > :stale THEN 'heartbeat ' || (hb_age / 1000) || ' s old' || char(31) "
	"        ELSE '' END) AS bad, "
	"  (CASE WHEN NOT clock_synced THEN 'clock not synchronised' || char(31) ELSE '' END) "
	"   AS warn FROM s) "
	"SELECT id AS station, name, "
	" CASE WHEN bad <> '' THEN 'unhealthy' WHEN warn <> '' THEN 'warning' ELSE 'ok' END "
	"  AS health, "
	" nullif(rtrim(bad || warn, char(31)), '') AS \"problems|list\", "
	" reader_state, status_detail, heartbeat_utc AS \"heartbeat|time\", "
	" started_utc AS \"started|time\", storage_fault, clock_synced, version, "
	" (SELECT t.time_utc FROM taps t WHERE t.station = p.id ORDER BY t.seq DESC LIMIT 1) "
	"  AS \"last_tap|time\", "
	" (SELECT count(*) FROM taps t WHERE t.station = p.id AND t.utc_ms >= :today) "
	"  AS taps_today, "
	" (SELECT count(*) FROM meetings m WHERE m.station = p.id AND m.utc_ms >= :today) "
	"  AS meetings_today "
	"FROM p ORDER BY id";

struct verdict {
	int stations, unhealthy, warnings;
};

static int judge(void *ctx, sqlite3_stmt *st)
{
	struct verdict *v = ctx;
	const char *health = (const char *)sqlite3_column_text(st, 2);

	v->stations++;
	if (health && !strcmp(health, "unhealthy"))
		v->unhealthy++;
	else if (health && !strcmp(health, "warning"))
		v->warnings++;
	return 0;
}

int cmd_status(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "station", required_argument, NULL, 'S' },
		{ 0, 0, 0, 0 },
	};
	const char *station = NULL;
	struct verdict v = { 0 };
	struct out_opts o = { .row_fn = judge, .ctx = &v };
	int64_t now = cli_now_ms();
	sqlite3_stmt *st;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (opt == 'S') {
			station = optarg;
			continue;
		}
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
	sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":now"), now);
	sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":stale"), STALE_MS);
	sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":today"),
			   tm_cli_local_midnight(now));
	if (station)
		sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":station"), station, -1,
				  SQLITE_STATIC);
	rc = out_query(c, st, &o);
	sqlite3_finalize(st);
	if (rc)
		return rc;
	if (v.stations == 0) {
		if (station)
			cli_err("no station '%s' in %s", station, c->db_path);
		else
			cli_err("no station has reported to %s yet", c->db_path);
		return EXIT_UNHEALTHY;
	}
	return v.unhealthy ? EXIT_UNHEALTHY : v.warnings ? EXIT_WARNING : EXIT_OK;
}
