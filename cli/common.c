/* What every subcommand needs: messages, opening the log, and turning the
 * badge or name an organizer typed into the UID the log holds. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "tapmeet/badge.h"
#include "tapmeet/store.h"

static void vmsg(const char *prefix, const char *fmt, va_list ap)
{
	fprintf(stderr, "tapmeet: %s", prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void cli_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

int cli_usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
	if (usage)
		fprintf(stderr, "%s", usage);
	return EXIT_USAGE;
}

int cli_parse_format(struct cli *c, const char *text)
{
	static const char *const names[] = { "table", "csv", "json", "ndjson" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(text, names[i])) {
			c->format = (enum cli_format)i;
			c->format_set = true;
			return 0;
		}
	}
	cli_err("unknown format '%s' (table, csv, json or ndjson)", text);
	return -EINVAL;
}

int cli_parse_int(const char *text, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno || end == text || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* A WAL database opened read-only needs its -shm, which only a process that
 * can write the directory may create: say so instead of SQLite's terse
 * "unable to open database file". */
static bool wal_needs_shm(const char *path)
{
	char shm[PATH_MAX + 8], dir[PATH_MAX];
	unsigned char hdr[20];
	int fd;
	ssize_t n;

	snprintf(shm, sizeof(shm), "%s-shm", path);
	if (access(shm, F_OK) == 0)
		return false;
	snprintf(dir, sizeof(dir), "%s", path);
	if (access(dirname(dir), W_OK) == 0)
		return false;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, hdr, sizeof(hdr));
	close(fd);
	/* Header bytes 18 and 19 are the read and write versions: 2 means WAL. */
	return n == (ssize_t)sizeof(hdr) && hdr[18] == 2;
}

int cli_open(struct cli *c, bool writable)
{
	struct stat sb;
	int rc;

	if ((rc = cli_setup(c)) != EXIT_OK)
		return rc;
	if (stat(c->db_path, &sb) < 0) {
		cli_err("cannot open database %s: %s", c->db_path, strerror(errno));
		return EXIT_DATA;
	}
	if (S_ISDIR(sb.st_mode)) {
		cli_err("cannot open database %s: %s", c->db_path, strerror(EISDIR));
		return EXIT_DATA;
	}
	if (access(c->db_path, writable ? R_OK | W_OK : R_OK) < 0) {
		cli_err("cannot open database %s: %s", c->db_path, strerror(errno));
		return EXIT_DATA;
	}
	if (!writable && wal_needs_shm(c->db_path)) {
		char dir[PATH_MAX];

		snprintf(dir, sizeof(dir), "%s", c->db_path);
		cli_err("cannot open database %s: it is in WAL mode and has no %s-shm, which only "
			"a user who can write %s may create; run tapmeet while tapmeetd is "
			"running, or as a user allowed to write that directory",
			c->db_path, c->db_path, dirname(dir));
		return EXIT_DATA;
	}
	if (writable) {
		struct tm_store_options opt = { .busy_timeout_ms = c->busy_ms };

		rc = tm_store_open(c->db_path, &opt, &c->store);
	} else {
		rc = tm_store_open_readonly(c->db_path, c->busy_ms, &c->store);
	}
	if (rc < 0) {
		const char *why = c->store ? tm_store_errmsg(c->store) : NULL;

		cli_err("cannot open database %s: %s", c->db_path,
			why && *why ? why : strerror(-rc));
		tm_store_close(c->store);
		c->store = NULL;
		return EXIT_DATA;
	}
	c->db = tm_store_db(c->store);
	return EXIT_OK;
}

void cli_close(struct cli *c)
{
	tm_store_close(c->store);
	c->store = NULL;
	c->db = NULL;
}

int cli_prepare(struct cli *c, const char *sql, sqlite3_stmt **st)
{
	int rc = sqlite3_prepare_v2(c->db, sql, -1, st, NULL);

	if (rc != SQLITE_OK) {
		cli_err("database %s: %s", c->db_path, sqlite3_errmsg(c->db));
		return -EIO;
	}
	return 0;
}

int cli_db_error(struct cli *c, const char *what)
{
	cli_err("database %s: %s: %s", c->db_path, what, sqlite3_errmsg(c->db));
	return EXIT_DATA;
}

int cli_uid_arg(struct cli *c, const char *text, char out[TM_PRIVACY_UID_SIZE])
{
	struct tm_badge badge;
	char hex[TM_UID_HEX_SIZE];

	if (tm_badge_parse_uid(&badge, text) < 0)
		return -EINVAL;
	tm_badge_uid_hex(&badge, hex);
	return tm_privacy_uid(c->uid_key, hex, out);
}

int cli_resolve_person(struct cli *c, const char *arg, char uid[TM_PRIVACY_UID_SIZE], char *name,
		       size_t name_size)
{
	/* An exact (case-insensitive) name wins over a partial one, so "Ann"
	 * still finds Ann when Annabel is also registered. */
	static const char *const queries[] = {
		"SELECT uid, name, org FROM attendees WHERE name = ?1 COLLATE NOCASE "
		"ORDER BY name, uid",
		"SELECT uid, name, org FROM attendees WHERE instr(lower(name), lower(?1)) > 0 "
		"ORDER BY name, uid",
	};
	sqlite3_stmt *st = NULL;
	int found = 0;

	if (name_size)
		name[0] = '\0';
	if (cli_uid_arg(c, arg, uid) == 0) {
		if (sqlite3_prepare_v2(c->db, "SELECT name FROM attendees WHERE uid = ?1", -1, &st,
				       NULL) == SQLITE_OK) {
			sqlite3_bind_text(st, 1, uid, -1, SQLITE_STATIC);
			if (sqlite3_step(st) == SQLITE_ROW && name_size)
				snprintf(name, name_size, "%s", sqlite3_column_text(st, 0));
		}
		sqlite3_finalize(st);
		return EXIT_OK;
	}
	for (size_t q = 0; q < 2 && !found; q++) {
		if (cli_prepare(c, queries[q], &st) < 0)
			return EXIT_DATA;
		sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
		while (sqlite3_step(st) == SQLITE_ROW) {
			if (++found == 1) {
				snprintf(uid, TM_PRIVACY_UID_SIZE, "%s", sqlite3_column_text(st, 0));
				if (name_size)
					snprintf(name, name_size, "%s", sqlite3_column_text(st, 1));
			}
		}
		if (found > 1) {
			cli_err("'%s' matches %d attendees; give one of their UIDs:", arg, found);
			sqlite3_reset(st);
			while (sqlite3_step(st) == SQLITE_ROW) {
				const char *org = (const char *)sqlite3_column_text(st, 2);

				fprintf(stderr, "  %s  %s%s%s%s\n", sqlite3_column_text(st, 0),
					sqlite3_column_text(st, 1), org && *org ? " (" : "",
					org ? org : "", org && *org ? ")" : "");
			}
		}
		sqlite3_finalize(st);
	}
	if (found == 0) {
		cli_err("no attendee named '%s' (and it is not a badge UID of 8, 14 or 20 hex "
			"digits)",
			arg);
		return EXIT_DATA;
	}
	return found == 1 ? EXIT_OK : EXIT_DATA;
}

int64_t cli_now_ms(void)
{
	struct timespec ts;
	const char *fake = getenv("TAPMEET_NOW_MS");

	/* Tests pin "now" so that relative times and health checks are exact. */
	if (fake && *fake)
		return strtoll(fake, NULL, 10);
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void cli_local_time(const char *utc, char *out, size_t size)
{
	struct tm tm = { 0 };
	const char *end;
	time_t t;

	end = utc ? strptime(utc, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
	if (!end || (*end != '.' && *end != 'Z')) {
		snprintf(out, size, "%s", utc ? utc : "");
		return;
	}
	t = timegm(&tm);
	localtime_r(&t, &tm);
	strftime(out, size, "%Y-%m-%d %H:%M:%S", &tm);
}
