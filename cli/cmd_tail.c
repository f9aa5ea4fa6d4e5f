/* tapmeet tail: the last meetings, then (-f) each new one. Following waits on
 * inotify for writes to the database's directory (the daemon commits into the
 * -wal file, which may not exist yet) and then asks only for rows past the
 * last rowid seen: no polling loop, one indexed query per commit. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <sqlite3.h>

static const char usage[] =
	"usage: tapmeet tail [-f] [-n N] [--format FMT]\n"
	"The last N (default 10) meetings; with -f, then each new meeting as it is\n"
	"stored, until interrupted. With -f, json is written as ndjson.\n";

/* A safety net only: re-check now and then in case an event was missed. */
#define IDLE_RECHECK_MS 30000

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int remember_rowid(void *ctx, sqlite3_stmt *st)
{
	long long *last = ctx;
	long long id = sqlite3_column_int64(st, sqlite3_column_count(st) - 1);

	if (id > *last)
		*last = id;
	return 0;
}

static int watch(const char *db_path)
{
	char dir[PATH_MAX];
	int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);

	if (fd < 0)
		return -errno;
	snprintf(dir, sizeof(dir), "%s", db_path);
	if (inotify_add_watch(fd, dirname(dir), IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO |
							IN_CREATE) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

/* True when an event concerns the database or its -wal. */
static bool drain(int fd, const char *db_path)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	char base_buf[PATH_MAX];
	const char *base;
	size_t blen;
	bool hit = false;
	ssize_t n;

	snprintf(base_buf, sizeof(base_buf), "%s", db_path);
	base = basename(base_buf);
	blen = strlen(base);
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)(void *)p;

			if (ev->len && !strncmp(ev->name, base, blen) &&
			    (ev->name[blen] == '\0' || !strcmp(ev->name + blen, "-wal")))
				hit = true;
			p += sizeof(*ev) + ev->len;
		}
	}
	return hit;
}

int cmd_tail(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "follow", no_argument, NULL, 'f' },
		{ "lines", required_argument, NULL, 'n' },
		{ 0, 0, 0, 0 },
	};
	long long n = 10, last = 0;
	bool follow = false;
	struct out_opts o = { .row_fn = remember_rowid, .ctx = &last };
	sqlite3_stmt *first = NULL, *next = NULL;
	char *sql;
	int opt, rc, fd = -1;

	while ((opt = getopt_long(argc, argv, "hfn:", opts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			follow = true;
			break;
		case 'n':
			if (cli_parse_int(optarg, 0, 1000000000LL, &n) < 0)
				return cli_usage_error(usage, "bad -n '%s'", optarg);
			break;
		default:
			rc = cli_common_option(c, opt, optarg, usage);
			if (rc > 1)
				return CLI_STOP(rc);
		}
	}
	if (optind < argc)
		return cli_usage_error(usage, "unexpected argument '%s'", argv[optind]);
	if (follow && c->format == FMT_JSON)
		c->format = FMT_NDJSON;
	if ((rc = cli_open(c, false)))
		return rc;
	/* Watch before the first query, so nothing committed in between is lost. */
	if (follow && (fd = watch(c->db_path)) < 0) {
		cli_err("cannot watch %s: %s", c->db_path, strerror(-fd));
		return EXIT_DATA;
	}
	sql = sqlite3_mprintf("SELECT * FROM (SELECT %s, m.rowid AS _rowid FROM meetings m "
			      "ORDER BY m.rowid DESC LIMIT ?1) ORDER BY _rowid",
			      cli_meeting_columns);
	rc = sql ? cli_prepare(c, sql, &first) : -ENOMEM;
	sqlite3_free(sql);
	if (rc < 0)
		goto out;
	sqlite3_bind_int64(first, 1, n);
	o.stream = follow;
	rc = out_query(c, first, &o);
	if (rc || !follow)
		goto out;
	sql = sqlite3_mprintf("SELECT %s, m.rowid AS _rowid FROM meetings m WHERE m.rowid > ?1 "
			      "ORDER BY m.rowid",
			      cli_meeting_columns);
	rc = sql ? cli_prepare(c, sql, &next) : -ENOMEM;
	sqlite3_free(sql);
	if (rc < 0)
		goto out;
	if (n == 0) {
		sqlite3_stmt *max;

		if (cli_prepare(c, "SELECT coalesce(max(rowid), 0) FROM meetings", &max) == 0) {
			if (sqlite3_step(max) == SQLITE_ROW)
				last = sqlite3_column_int64(max, 0);
			sqlite3_finalize(max);
		}
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	o.no_header = true;
	while (!stop) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int r = poll(&p, 1, IDLE_RECHECK_MS);

		if (r < 0 && errno != EINTR) {
			cli_err("poll: %s", strerror(errno));
			rc = EXIT_DATA;
			break;
		}
		if (r > 0 && !drain(fd, c->db_path))
			continue;
		if (stop)
			break;
		sqlite3_reset(next);
		sqlite3_bind_int64(next, 1, last);
		if ((rc = out_query(c, next, &o)))
			break;
	}
out:
	if (rc < 0)
		rc = EXIT_DATA;
	sqlite3_finalize(first);
	sqlite3_finalize(next);
	if (fd >= 0)
		close(fd);
	return rc;
}
