/* tapmeet tail: the last meetings, then (-f) each new one. Following sleeps
 * on the store's follow descriptor (tm_store_follow_*), which wakes it when a
 * commit is announced, or for a few short re-checks after a write by another
 * program, and asks only for meetings past the last cursor seen: no polling
 * loop while nothing happens, one indexed query per commit. */
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "tapmeet/clock.h"

static const char usage[] =
	"usage: tapmeet tail [-f] [-n N] [--format FMT]\n"
	"The last N (default 10) meetings; with -f, then each new meeting as it is\n"
	"stored, until interrupted. With -f, json is written as ndjson.\n";

/* row_fn: the newest cursor printed so far. */
static int remember_cursor(void *ctx, struct tm_rows *rows)
{
	int64_t *last = ctx;
	int col = tm_rows_find(rows, "_cursor");
	int64_t cursor;

	if (col < 0) {
		cli_err("meetings have no cursor to follow");
		return -1;
	}
	cursor = tm_rows_int(rows, col);
	if (cursor > *last)
		*last = cursor;
	return 0;
}

/* Prints the meetings the filter selects; an exit code. */
static int print_meetings(struct cli *c, const struct tm_meeting_filter *f,
			  const struct out_opts *o)
{
	struct tm_rows *rows;
	int rc;

	if (tm_store_meetings(c->store, f, &rows) < 0)
		return cli_store_error(c, "meetings");
	rc = out_rows(c, rows, o);
	tm_rows_free(rows);
	return rc;
}

/* last: the newest cursor shown, which o's row_fn moves on. */
static int follow(struct cli *c, struct tm_store_follow *fw, const int64_t *last,
		  struct out_opts *o)
{
	struct tm_meeting_filter f = { .limit = -1 };
	sigset_t during;
	int timeout = -1, rc = EXIT_OK;

	cli_follow_signals(&during);
	o->no_header = true;
	while (!cli_follow_stopped()) {
		int r = cli_wait_readable(tm_store_follow_fd(fw), timeout, &during);

		if (r < 0) {
			cli_err("cannot wait for %s: %s", c->db_path, strerror(errno));
			rc = EXIT_DATA;
			break;
		}
		if (cli_follow_stopped())
			break;
		r = tm_store_follow_check(fw, tm_mono_ms(), &timeout);
		if (r == -ENOENT) {
			cli_err("the database %s was removed or replaced; stopping", c->db_path);
			rc = EXIT_DATA;
			break;
		}
		if (r < 0) {
			cli_err("cannot follow %s: %s", c->db_path, strerror(-r));
			rc = EXIT_DATA;
			break;
		}
		if (r == 0)
			continue;
		f.after_cursor = *last;
		if ((rc = print_meetings(c, &f, o)))
			break;
	}
	cli_follow_signals_end();
	return rc;
}

int cmd_tail(struct cli *c, int argc, char **argv)
{
	bool following = false;
	const char *lines = NULL;
	const struct cli_opt opts[] = {
		{ "follow", 'f', CLI_OPT_FLAG, &following, NULL },
		{ "lines", 'n', CLI_OPT_TEXT, NULL, &lines },
		{ 0 },
	};
	long long n = 10;
	int64_t last = 0;
	struct out_opts o = { .row_fn = remember_cursor, .ctx = &last };
	struct tm_meeting_filter f = { .limit = 10 };
	struct tm_store_follow *fw = NULL;
	int first, rc;

	if ((rc = cli_options(c, argc, argv, opts, usage, &first)) >= 0)
		return rc;
	if (first < argc)
		return cli_usage_error(usage, "unexpected argument '%s'", argv[first]);
	if (lines && cli_parse_int(lines, 0, 1000000000LL, &n) < 0)
		return cli_usage_error(usage, "bad -n '%s'", lines);
	f.limit = n;
	if (following && c->format == FMT_JSON)
		c->format = FMT_NDJSON;
	if ((rc = cli_open(c, false)))
		return rc;
	if (following) {
		/* Watch before the first query, so nothing committed in between is
		 * lost; and start from the newest cursor now, so -n 0 shows only
		 * what comes next (the listing moves it further when it shows
		 * meetings stored meanwhile). */
		if ((rc = tm_store_follow_open(c->db_path, &fw)) < 0) {
			cli_err("cannot follow %s: %s", c->db_path, strerror(-rc));
			return EXIT_DATA;
		}
		if (tm_store_meetings_cursor(c->store, &last) < 0) {
			rc = cli_store_error(c, "meetings");
			goto out;
		}
	}
	o.stream = following;
	rc = print_meetings(c, &f, &o);
	if (rc == EXIT_OK && following)
		rc = follow(c, fw, &last, &o);
out:
	tm_store_follow_close(fw);
	return rc;
}
