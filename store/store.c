/* Opening the meeting log: WAL, synchronous=FULL, forward migrations; the
 * error convention every store function shares. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fold.h"
#include "follow.h"
#include "schema.h"

int tm_store_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_CANTOPEN:
		return -ENOENT;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CONSTRAINT:
	case SQLITE_MISMATCH:
	case SQLITE_RANGE:
		return -EINVAL;
	default: /* IOERR, CORRUPT, NOTADB, ... */
		return -EIO;
	}
}

int store_fail(struct tm_store *s, int rc, const char *what)
{
	snprintf(s->errmsg, sizeof(s->errmsg), "%s: %s", what,
		 s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
	return tm_store_errno(rc) ? tm_store_errno(rc) : -EIO;
}

int store_failf(struct tm_store *s, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->errmsg, sizeof(s->errmsg), fmt, ap);
	va_end(ap);
	return rc;
}

const char *tm_store_errmsg(const struct tm_store *s)
{
	if (!s)
		return "out of memory";
	return s->errmsg[0] ? s->errmsg : "no error";
}

int store_exec(struct tm_store *s, const char *sql)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : store_fail(s, rc, sql);
}

int store_prepare(struct tm_store *s, const char *sql, sqlite3_stmt **st)
{
	int rc = sqlite3_prepare_v2(s->db, sql, -1, st, NULL);

	return rc == SQLITE_OK ? 0 : store_fail(s, rc, "prepare");
}

int store_prepare_printed(struct tm_store *s, char *sql, sqlite3_stmt **st)
{
	int rc;

	*st = NULL;
	if (!sql)
		return -ENOMEM;
	rc = store_prepare(s, sql, st);
	sqlite3_free(sql);
	return rc;
}

int store_query_int(struct tm_store *s, const char *sql, int64_t *out)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			*out = sqlite3_column_int64(st, 0);
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? 0 : store_fail(s, rc, sql);
}

int store_step_done(struct tm_store *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : store_fail(s, rc, what);
}

void store_committed(struct tm_store *s)
{
	store_announce_commit(s->path);
}

int tm_store_schema_version(struct tm_store *s)
{
	int64_t v = -1;

	if (store_query_int(s, "PRAGMA user_version", &v) < 0)
		return -EIO;
	return (int)v;
}

void tm_store_set_busy_timeout(struct tm_store *s, int64_t busy_ms)
{
	sqlite3_busy_timeout(s->db, busy_ms > INT32_MAX ? INT32_MAX : (int)busy_ms);
}

static int migrate(struct tm_store *s)
{
	int version = tm_store_schema_version(s);
	int latest = tm_schema_latest();
	int rc;

	if (version < 0)
		return version;
	if (version > latest)
		return store_failf(s, -EPROTO,
				   "database schema version %d is newer than this tapmeet understands (%d)",
				   version, latest);
	for (int v = version + 1; v <= latest; v++) {
		char pragma[64];

		rc = store_exec(s, "BEGIN IMMEDIATE");
		if (rc < 0)
			return rc;
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v);
		rc = store_exec(s, tm_schema_migration(v));
		if (rc == 0)
			rc = store_exec(s, pragma);
		if (rc == 0)
			rc = store_exec(s, "COMMIT");
		if (rc < 0) {
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
			return rc;
		}
	}
	return 0;
}

/* SQLite's "unable to open database file" names neither the file nor the
 * reason: find the reason first. */
static void dir_of(const char *path, char *dir, size_t size)
{
	char *slash;

	snprintf(dir, size, "%s", path);
	slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, size, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
}

/* Whatever is at the path is someone's: a file that is not SQLite's is
 * refused before SQLite is asked to turn it into a database. */
static int check_sqlite_header(struct tm_store *s, const char *path, const struct stat *sb)
{
	static const char magic[16] = "SQLite format 3";
	char head[16], shown[17];
	ssize_t n;
	int fd;

	if (sb->st_size == 0)
		return 0; /* an empty file is a new database to SQLite too */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return store_failf(s, -errno, "cannot open database %s: %s", path, strerror(errno));
	n = read(fd, head, sizeof(head));
	close(fd);
	if (n == (ssize_t)sizeof(head) && !memcmp(head, magic, sizeof(magic)))
		return 0;
	for (ssize_t i = 0; i < (n > 0 ? n : 0); i++)
		shown[i] = head[i] >= 0x20 && head[i] < 0x7f ? head[i] : '.';
	shown[n > 0 ? n : 0] = '\0';
	return store_failf(s, -EPROTO,
			   "%s is not an SQLite database (it begins \"%s\"); it is left as it is: "
			   "move it away, or set [store] path to another file",
			   path, shown);
}

/* SQLite's "unable to open database file" names neither the file nor the
 * reason: find the reason first. The station's own database (writable) is
 * held to more: not a symbolic link, which would send its writes wherever
 * the link points, and in a directory it can write, which the -wal and
 * -shm beside it need. */
static int check_path(struct tm_store *s, const char *path, bool create, bool writable)
{
	char dir[PATH_MAX], wal[PATH_MAX + 8];
	struct stat sb;

	dir_of(path, dir, sizeof(dir));
	if (writable && lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlink(path, target, sizeof(target) - 1);

		target[n > 0 ? n : 0] = '\0';
		return store_failf(s, -ELOOP,
				   "database %s is a symbolic link (to %s); refused, so that nobody can "
				   "point the station's writes elsewhere: set [store] path to the file "
				   "itself",
				   path, target);
	}
	if (stat(path, &sb) < 0) {
		if (errno == ENOENT && create) {
			if (access(dir, W_OK) < 0)
				return store_failf(s, -errno,
						   "cannot create database %s: directory %s: %s",
						   path, dir, strerror(errno));
			return 0;
		}
		return store_failf(s, -errno, "cannot open database %s: %s", path, strerror(errno));
	}
	if (S_ISDIR(sb.st_mode))
		return store_failf(s, -EISDIR,
				   "cannot open database %s: it is a directory; the path must name the "
				   "database file, e.g. %s/tapmeet.db",
				   path, path);
	if (!S_ISREG(sb.st_mode))
		return store_failf(s, -EINVAL, "cannot open database %s: not a regular file", path);
	if (access(path, writable ? R_OK | W_OK : R_OK) < 0)
		return store_failf(s, -errno, "cannot open database %s: %s", path, strerror(errno));
	if (!writable)
		return 0;
	snprintf(wal, sizeof(wal), "%s-wal", path);
	if (access(wal, F_OK) < 0 && access(dir, W_OK) < 0)
		return store_failf(s, -errno,
				   "cannot open database %s: directory %s: %s; the database needs to "
				   "create its -wal and -shm files beside it",
				   path, dir, strerror(errno));
	return check_sqlite_header(s, path, &sb);
}

static int open_into(struct tm_store *s, const char *path, int flags, int64_t busy_ms)
{
	int rc;

	if (strlen(path) >= sizeof(s->path))
		return store_failf(s, -ENAMETOOLONG, "database path too long: %s", path);
	snprintf(s->path, sizeof(s->path), "%s", path);
	rc = check_path(s, path, flags & SQLITE_OPEN_CREATE, flags & SQLITE_OPEN_READWRITE);
	if (rc < 0)
		return rc;
	rc = sqlite3_open_v2(path, &s->db, flags | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(s->errmsg, sizeof(s->errmsg), "cannot open database %s: %s", path,
			 s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		rc = tm_store_errno(rc);
		return rc < 0 ? rc : -EIO;
	}
	sqlite3_extended_result_codes(s->db, 1);
	tm_store_set_busy_timeout(s, busy_ms);
	rc = store_register_text_functions(s->db);
	if (rc == SQLITE_OK)
		rc = store_register_people_table(s->db);
	/* SQLite result codes, not errnos. */
	if (rc != SQLITE_OK)
		return store_failf(s, tm_store_errno(rc) ? tm_store_errno(rc) : -EIO,
				   "cannot register SQL functions: %s", sqlite3_errstr(rc));
	return 0;
}

static int open_common(const char *path, int flags, int64_t busy_ms, struct tm_store **out)
{
	struct tm_store *s = calloc(1, sizeof(*s));

	*out = s;
	if (!s)
		return -ENOMEM;
	return open_into(s, path, flags, busy_ms);
}

/* WAL lets readers (the CLI) run while the daemon writes; FULL syncs the WAL
 * on every commit so a power cut loses no committed meeting. */
static int setup_writable(struct tm_store *s)
{
	int rc;

	s->writable = true;
	rc = store_exec(s, "PRAGMA journal_mode = WAL");
	if (rc == 0)
		rc = store_exec(s, s->opt.no_sync ? "PRAGMA synchronous = OFF"
						  : "PRAGMA synchronous = FULL");
	if (rc == 0)
		rc = store_exec(s, "PRAGMA foreign_keys = ON");
	if (rc == 0 && s->opt.cache_kib > 0) {
		char pragma[48];

		snprintf(pragma, sizeof(pragma), "PRAGMA cache_size = -%d", s->opt.cache_kib);
		rc = store_exec(s, pragma);
	}
	if (rc == 0) {
		/* Keep -wal and -shm when the daemon stops: staff in the tapmeet
		 * group may read but not create files in the state directory, and
		 * a read-only WAL reader needs both to exist. */
		int persist = 1;

		sqlite3_file_control(s->db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
		rc = migrate(s);
	}
	if (rc == 0) {
		s->schema = tm_schema_latest();
		rc = store_prepare_writes(s);
	}
	return rc;
}

int tm_store_open(const char *path, const struct tm_store_options *opt, struct tm_store **out)
{
	struct tm_store *s;
	int rc = open_common(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
			     opt ? opt->busy_timeout_ms : 1000, &s);

	*out = s;
	if (rc < 0)
		return rc;
	if (opt)
		s->opt = *opt;
	else
		s->opt.busy_timeout_ms = 1000;
	return setup_writable(s);
}

int store_reopen(struct tm_store *s)
{
	char path[PATH_MAX];
	int rc;

	snprintf(path, sizeof(path), "%s", s->path);
	store_finalize_writes(s);
	sqlite3_close(s->db);
	s->db = NULL;
	rc = open_into(s, path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, s->opt.busy_timeout_ms);
	if (rc == 0)
		rc = setup_writable(s);
	return rc;
}

/* A WAL database opened read-only needs its -shm, which only a process that
 * can write the directory may create: say so instead of SQLite's terse
 * "unable to open database file". */
static bool wal_needs_shm(const char *path)
{
	char shm[PATH_MAX + 8], dir[PATH_MAX];
	unsigned char hdr[20];
	char *slash;
	int fd;
	ssize_t n;

	snprintf(shm, sizeof(shm), "%s-shm", path);
	if (access(shm, F_OK) == 0)
		return false;
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	if (access(dir, W_OK) == 0)
		return false;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, hdr, sizeof(hdr));
	close(fd);
	/* Header bytes 18 and 19 are the read and write versions: 2 means WAL. */
	return n == (ssize_t)sizeof(hdr) && hdr[18] == 2;
}

int tm_store_open_readonly(const char *path, int64_t busy_timeout_ms, struct tm_store **out)
{
	struct tm_store *s;
	int rc, version;

	rc = open_common(path, SQLITE_OPEN_READONLY, busy_timeout_ms, &s);
	*out = s;
	if (rc < 0)
		return rc;
	if (wal_needs_shm(path)) {
		char dir[PATH_MAX], *slash;

		snprintf(dir, sizeof(dir), "%s", path);
		slash = strrchr(dir, '/');
		if (slash)
			*slash = '\0';
		return store_failf(s, -EACCES,
				   "cannot open database %s: it is in WAL mode and has no %s-shm, "
				   "which only a user who can write %s may create; run tapmeet while "
				   "tapmeetd is running, or as a user allowed to write that directory",
				   path, path, slash ? dir : ".");
	}
	version = tm_store_schema_version(s);
	if (version < 0) {
		/* Not a database at all, most likely: SQLite's words are clear. */
		char why[sizeof(s->errmsg)];

		memcpy(why, s->errmsg, sizeof(why));
		return store_failf(s, -EIO, "cannot read database %s: %s", path,
				   strstr(why, ": ") ? strstr(why, ": ") + 2 : why);
	}
	if (version == 0)
		return store_failf(s, -EPROTO, "%s is not a tapmeet database (no schema)", path);
	if (version > tm_schema_latest())
		return store_failf(s, -EPROTO,
				   "database schema version %d is newer than this tapmeet understands (%d)",
				   version, tm_schema_latest());
	s->schema = version;
	return 0;
}

void tm_store_close(struct tm_store *s)
{
	if (!s)
		return;
	store_finalize_writes(s);
	sqlite3_close(s->db);
	free(s);
}

/* --- snapshots and batches ---------------------------------------------- */

int tm_store_read_begin(struct tm_store *s)
{
	int rc;

	if (s->in_read || s->in_batch)
		return 0;
	rc = store_exec(s, "BEGIN");
	/* A deferred BEGIN takes its snapshot at the first read: take it now. */
	if (rc == 0)
		rc = store_exec(s, "SELECT 1 FROM sqlite_master LIMIT 1");
	if (rc == 0)
		s->in_read = true;
	return rc;
}

void tm_store_read_end(struct tm_store *s)
{
	if (!s->in_read)
		return;
	sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	s->in_read = false;
}

int tm_store_batch_begin(struct tm_store *s)
{
	int rc;

	if (s->in_batch)
		return store_failf(s, -EINVAL, "a batch is already open");
	rc = store_step_done(s, s->begin, "BEGIN IMMEDIATE");
	if (rc == 0)
		s->in_batch = true;
	return rc;
}

int tm_store_batch_commit(struct tm_store *s)
{
	int rc;

	if (!s->in_batch)
		return store_failf(s, -EINVAL, "no batch is open");
	s->in_batch = false;
	rc = store_step_done(s, s->commit, "COMMIT");
	if (rc < 0) {
		if (!sqlite3_get_autocommit(s->db))
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	store_committed(s);
	return 0;
}

void tm_store_batch_abort(struct tm_store *s)
{
	if (!s->in_batch)
		return;
	s->in_batch = false;
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}
