/* tapmeet status: health from the row each station keeps up to date, judged
 * in the store so that monitoring needs nothing but the exit code. */
#include "cli.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "tapmeet/live_status.h"

#include "timearg.h"

static const char usage[] =
	"usage: tapmeet status [--station ID] [--strict] [--format FMT]\n"
	"The health of every station (or one): reader state, heartbeat, storage,\n"
	"clock, last tap and today's counts.\n"
	"exit: 0 working (warnings, such as a clock not synchronised, are shown but\n"
	"do not fail); 3 unhealthy (reader not ok, storage fault, heartbeat older\n"
	"than 2 minutes or missing, or no station at all); 4 with --strict: working,\n"
	"with a warning; 2 database error.\n";

#define STALE_MS (2 * 60 * 1000)

struct verdict {
	int stations, unhealthy, warnings;
	int health_col;
};

static int judge(void *ctx, struct tm_rows *rows)
{
	struct verdict *v = ctx;
	const char *health;

	if (v->health_col < 0)
		v->health_col = tm_rows_find(rows, "health");
	health = v->health_col >= 0 ? tm_rows_text(rows, v->health_col) : "";
	v->stations++;
	if (!strcmp(health, "unhealthy"))
		v->unhealthy++;
	else if (!strcmp(health, "warning"))
		v->warnings++;
	return 0;
}

/* The station on this machine says how it is now through its live status
 * file, even while its database refuses writes (and with them the status
 * row). Only a file about this database counts: --db on a copy or a hub
 * is not what the local station writes. */
static const struct tm_live_status *live_status_of(struct cli *c, struct tm_live_status *live)
{
	char a[PATH_MAX], b[PATH_MAX];

	if (!c->status_file || !c->status_file[0] || tm_live_status_read(c->status_file, live) < 0)
		return NULL;
	if (!realpath(live->database, a) || !realpath(c->db_path, b) || strcmp(a, b) != 0)
		return NULL;
	return live;
}

int cmd_status(struct cli *c, int argc, char **argv)
{
	const char *station = NULL;
	bool strict = false;
	const struct cli_opt opts[] = {
		{ "station", 0, CLI_OPT_TEXT, NULL, &station },
		{ "strict", 0, CLI_OPT_FLAG, &strict, NULL },
		{ 0 },
	};
	struct verdict v = { .health_col = -1 };
	struct out_opts o = { .row_fn = judge, .ctx = &v };
	struct tm_status_query q = { .stale_ms = STALE_MS };
	struct tm_live_status live;
	struct tm_rows *rows;
	int first, rc;

	if ((rc = cli_options(c, argc, argv, opts, usage, &first)) >= 0)
		return rc;
	if (first < argc)
		return cli_usage_error(usage, "unexpected argument '%s'", argv[first]);
	if ((rc = cli_open(c, false)))
		return rc;
	q.now_ms = cli_now_ms();
	q.today_ms = tm_cli_local_midnight(q.now_ms);
	q.station = station;
	q.live = live_status_of(c, &live);
	if (tm_store_status(c->store, &q, &rows) < 0)
		return cli_store_error(c, "status");
	rc = out_rows(c, rows, &o);
	tm_rows_free(rows);
	if (rc)
		return rc;
	if (v.stations == 0) {
		if (station)
			cli_err("no station '%s' in %s", station, c->db_path);
		else
			cli_err("no station has reported to %s yet", c->db_path);
		return EXIT_UNHEALTHY;
	}
	/* A Pi without network runs on an unsynchronised clock all day: a
	 * warning that failed every check would teach people to ignore the
	 * exit code. The rows say it; --strict makes it count. */
	if (v.unhealthy)
		return EXIT_UNHEALTHY;
	return strict && v.warnings ? EXIT_WARNING : EXIT_OK;
}
