/* tapmeet report --html FILE: the event on one page, for organisers and for
 * a screen at the venue. The figures come from the store (one snapshot,
 * tm_store_report); report_*.c lay them out. With --watch the page is made
 * again when meetings arrive: it sleeps on the store's follow descriptor as
 * `tail -f` does, and each page replaces the last by rename(), so a web
 * server never serves half of one. */
#include "cli.h"
#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tapmeet/clock.h"

static const char usage[] =
	"usage: tapmeet report --html FILE [--watch] [--refresh N] [--no-graph] [--graph-edges N]\n"
	"One self-contained HTML page (no network needed to view it): totals, meetings\n"
	"per hour and per station, how many people each person met, the best\n"
	"connectors, which organisations met which, the stations' health, and the\n"
	"network laid out by Graphviz's sfdp when it is installed (--no-graph: not).\n"
	"Names appear only for people who consented; others by initials or badge.\n"
	"--graph-edges N: the strongest N pairs are drawn (default 2000).\n"
	"--watch: make the page again whenever meetings arrive, until interrupted;\n"
	"the page then reloads itself every N s (--refresh, default 30).\n";

/* Writes the page next to path and renames it over path; an exit code. */
static int write_page(struct cli *c, const char *path, struct report_opts *o)
{
	const struct tm_report_query query = { .top_orgs = REPORT_TOP_ORGS,
					       .max_edges = o->max_edges };
	struct tm_report r;
	char tmp[PATH_MAX];
	mode_t mask;
	FILE *f = NULL;
	int fd, rc = EXIT_DATA;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp)) {
		cli_err("%s: path too long", path);
		return EXIT_USAGE;
	}
	if (tm_store_report(c->store, &query, &r) < 0)
		return cli_store_error(c, "report");
	fd = mkstemp(tmp);
	if (fd < 0) {
		cli_err("cannot write next to %s: %s", path, strerror(errno));
		goto out;
	}
	/* mkstemp makes 0600; a page is for a web server to read. */
	mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) < 0 || !(f = fdopen(fd, "w"))) {
		cli_err("%s: %s", tmp, strerror(errno));
		close(fd);
		goto fail;
	}
	report_html(f, &r, o);
	if (fflush(f) != 0 || ferror(f)) {
		cli_err("cannot write %s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (fclose(f) != 0) {
		f = NULL;
		cli_err("cannot write %s: %s", tmp, strerror(errno));
		goto fail;
	}
	f = NULL;
	if (rename(tmp, path) < 0) {
		cli_err("cannot rename %s to %s: %s", tmp, path, strerror(errno));
		goto fail;
	}
	rc = EXIT_OK;
	goto out;
fail:
	if (f)
		fclose(f);
	unlink(tmp);
out:
	tm_report_free(&r);
	return rc;
}

/* The page is made again at once when meetings were added, and when
 * anything else was written (a heartbeat, a tap) once it is older than its
 * refresh interval: health changes without a meeting, but a page every 30 s
 * per station's heartbeat would be work for nothing. */
static int watch(struct cli *c, const char *path, struct report_opts *o,
		 struct tm_store_follow *fw, int64_t cursor)
{
	int64_t made = tm_mono_ms(), due = -1; /* when the next page is due; -1: none */
	sigset_t during;
	int timeout = -1, rc = EXIT_OK;

	cli_follow_signals(&during);
	while (!cli_follow_stopped()) {
		int wait_ms = timeout;
		int64_t now, newest;
		int r;

		if (due >= 0) {
			int64_t left = due - tm_mono_ms();

			left = left < 0 ? 0 : left;
			if (wait_ms < 0 || left < wait_ms)
				wait_ms = (int)left;
		}
		if (cli_wait_readable(tm_store_follow_fd(fw), wait_ms, &during) < 0) {
			cli_err("cannot wait for %s: %s", c->db_path, strerror(errno));
			rc = EXIT_DATA;
			break;
		}
		if (cli_follow_stopped())
			break;
		now = tm_mono_ms();
		r = tm_store_follow_check(fw, now, &timeout);
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
		if (r > 0) {
			if (tm_store_meetings_cursor(c->store, &newest) < 0) {
				rc = cli_store_error(c, "meetings");
				break;
			}
			if (newest != cursor)
				due = now;
			else if (due < 0)
				due = made + (int64_t)o->refresh_s * 1000;
			cursor = newest;
		}
		if (due >= 0 && now >= due) {
			if ((rc = write_page(c, path, o)) != EXIT_OK)
				break;
			made = tm_mono_ms();
			due = -1;
		}
	}
	cli_follow_signals_end();
	return rc;
}

int cmd_report(struct cli *c, int argc, char **argv)
{
	const char *html = NULL, *refresh = NULL, *edges = NULL;
	bool watching = false, no_graph = false;
	const struct cli_opt opts[] = {
		{ "html", 0, CLI_OPT_TEXT, NULL, &html },
		{ "watch", 'w', CLI_OPT_FLAG, &watching, NULL },
		{ "refresh", 0, CLI_OPT_TEXT, NULL, &refresh },
		{ "no-graph", 0, CLI_OPT_FLAG, &no_graph, NULL },
		{ "graph-edges", 0, CLI_OPT_TEXT, NULL, &edges },
		{ 0 },
	};
	struct report_opts o = { .max_edges = 2000 };
	long long refresh_s = 30, max_edges = 2000;
	struct tm_store_follow *fw = NULL;
	int64_t cursor = 0;
	int first, rc;

	if ((rc = cli_options(c, argc, argv, opts, usage, &first)) >= 0)
		return rc;
	if (first < argc)
		return cli_usage_error(usage, "unexpected argument '%s'", argv[first]);
	if (!html || !*html)
		return cli_usage_error(usage, "--html FILE is required");
	if (refresh && cli_parse_int(refresh, 1, 86400, &refresh_s) < 0)
		return cli_usage_error(usage, "bad --refresh '%s' (seconds, 1 to 86400)", refresh);
	if (refresh && !watching)
		return cli_usage_error(usage, "--refresh goes with --watch");
	if (edges && cli_parse_int(edges, 1, 1000000, &max_edges) < 0)
		return cli_usage_error(usage, "bad --graph-edges '%s' (1 to 1000000)", edges);
	if (c->format_set)
		return cli_usage_error(usage, "report writes HTML and takes no --format");
	if ((rc = cli_open(c, false)))
		return rc;
	o.db_path = c->db_path;
	o.no_graph = no_graph;
	o.max_edges = (size_t)max_edges;
	o.refresh_s = watching ? (int)refresh_s : 0;
	if (watching) {
		/* Watch before the first page, so nothing committed while it is
		 * made is missed. */
		if ((rc = tm_store_follow_open(c->db_path, &fw)) < 0) {
			cli_err("cannot follow %s: %s", c->db_path, strerror(-rc));
			return EXIT_DATA;
		}
		if (tm_store_meetings_cursor(c->store, &cursor) < 0) {
			rc = cli_store_error(c, "meetings");
			goto out;
		}
	}
	rc = write_page(c, html, &o);
	if (rc == EXIT_OK && watching)
		rc = watch(c, html, &o, fw, cursor);
out:
	tm_store_follow_close(fw);
	return rc;
}
