/* Following the log: telling readers, at once, that new rows are there.
 *
 * Why not simply watch the -wal for IN_MODIFY: SQLite commits in WAL mode by
 * writing the frames into the -wal (IN_MODIFY fires), fsyncing them, and only
 * then publishing the commit in the wal-index, the mmapped -shm, which raises
 * no inotify event at all. A reader woken by IN_MODIFY therefore often looks
 * too early, sees nothing new, and then sleeps until the next write: a tail
 * one meeting behind, the last one shown only at the next heartbeat.
 *
 * So every commit through this store is announced after the fact:
 * store_announce_commit() sets the -wal's times once COMMIT has returned, which
 * is IN_ATTRIB on the -wal, and at that moment the commit is visible to any
 * reader. Writes by other programs (a sqlite3 shell, an older tapmeetd) are not
 * announced; for them the follower answers the write events at once and then
 * re-checks a few times shortly after the last one, so a commit published
 * after its last write is still seen. While nothing happens nothing runs: no
 * timer is armed and the caller sleeps in poll() with no timeout. */
#include "follow.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tapmeet/store.h"

void store_announce_commit(const char *db_path)
{
	char wal[PATH_MAX];
	int saved = errno;
	int n;

	/* A temporary or in-memory database has no file to touch. */
	if (!db_path || !*db_path)
		return;
	n = snprintf(wal, sizeof(wal), "%s-wal", db_path);
	if (n < 0 || (size_t)n >= sizeof(wal))
		return;
	/* Both times set to now (times == NULL): the kernel reports setting both
	 * as IN_ATTRIB, which SQLite never causes on its own while writing
	 * (setting only the mtime would look like IN_MODIFY, a write). Only the
	 * inode changes, no data is written: the commit's frames have just
	 * dirtied the same inode's mtime, so this adds no write to the SD card.
	 * Errors are ignored: a user who may read but not write the file cannot
	 * touch it (and commits nothing), a database in rollback-journal mode
	 * has no -wal, and followers see such commits through their re-checks. */
	(void)utimensat(AT_FDCWD, wal, NULL, 0);
	errno = saved;
}

/* Re-checks after the last unannounced write, in ms: a commit becomes
 * visible after its fsync, which takes milliseconds on an idle SD card and
 * can take most of a second on a busy one. */
static const int recheck_ms[] = { 50, 250, 1000 };
#define N_RECHECKS ((int)(sizeof(recheck_ms) / sizeof(recheck_ms[0])))

/* Writes by anyone: SQLite writing frames or checkpointing (IN_MODIFY),
 * closing after a write, the -wal created, renamed, deleted (the last
 * connection checkpointed it into the database and removed it). */
#define WRITE_EVENTS                                                                         \
	(IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_MOVED_FROM)
/* The directory itself went away or moved: the path no longer leads here. */
#define DIR_GONE_EVENTS (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT)

struct tm_store_follow {
	int fd;
	char path[PATH_MAX]; /* the database, symbolic links resolved */
	char base[NAME_MAX + 1];
	char wal[NAME_MAX + 5];
	dev_t dev;
	ino_t ino;
	bool lost;           /* removed or replaced: stays so */
	int64_t write_ms;    /* when the last unannounced write was seen */
	int next;            /* the next re-check, N_RECHECKS: none */
};

int tm_store_follow_open(const char *db_path, struct tm_store_follow **out)
{
	struct tm_store_follow *f;
	struct stat st;
	char dir[PATH_MAX];
	char *slash;
	int rc;

	*out = NULL;
	if (!db_path || !*db_path)
		return -EINVAL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->fd = -1;
	f->next = N_RECHECKS;
	/* SQLite resolves symbolic links too: its -wal lies next to the real
	 * file, so that is the directory to watch. */
	if (!realpath(db_path, f->path) || stat(f->path, &st) < 0) {
		rc = -errno;
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = -EISDIR;
		goto fail;
	}
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	slash = strrchr(f->path, '/'); /* realpath's result is absolute */
	if (!slash || strlen(slash + 1) > NAME_MAX) {
		rc = -ENAMETOOLONG;
		goto fail;
	}
	snprintf(f->base, sizeof(f->base), "%s", slash + 1);
	snprintf(f->wal, sizeof(f->wal), "%s-wal", f->base);
	if (slash == f->path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - f->path), f->path);

	f->fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (f->fd < 0) {
		rc = -errno;
		goto fail;
	}
	if (inotify_add_watch(f->fd, dir,
			      IN_ATTRIB | WRITE_EVENTS | IN_DELETE_SELF | IN_MOVE_SELF |
				      IN_ONLYDIR) < 0) {
		rc = -errno;
		goto fail;
	}
	*out = f;
	return 0;
fail:
	tm_store_follow_close(f);
	return rc;
}

int tm_store_follow_fd(const struct tm_store_follow *f)
{
	return f->fd;
}

/* Reads every queued event: *announced for a commit announced through this
 * store, *wrote for a write that may be one by another program. */
static int drain(struct tm_store_follow *f, bool *announced, bool *wrote)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	for (;;) {
		ssize_t n = read(f->fd, buf, sizeof(buf));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -errno;
		}
		if (n == 0)
			return 0;
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)(void *)p;
			bool is_wal, is_db;

			p += sizeof(*ev) + ev->len;
			if (ev->mask & IN_Q_OVERFLOW) {
				*wrote = true; /* events were lost: anything may have happened */
				continue;
			}
			if (ev->mask & DIR_GONE_EVENTS) {
				f->lost = true;
				continue;
			}
			if (!ev->len)
				continue;
			is_wal = !strcmp(ev->name, f->wal);
			is_db = !strcmp(ev->name, f->base);
			if (!is_wal && !is_db)
				continue;
			/* The database's own times changing (touch, chmod) is not
			 * news; the -wal's is our announcement. */
			if ((ev->mask & IN_ATTRIB) && is_wal)
				*announced = true;
			if (ev->mask & WRITE_EVENTS)
				*wrote = true;
		}
	}
}

/* False when the path no longer leads to the file the follower started with. */
static int still_there(struct tm_store_follow *f)
{
	struct stat st;

	if (stat(f->path, &st) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return -errno;
	}
	return st.st_dev == f->dev && st.st_ino == f->ino;
}

int tm_store_follow_check(struct tm_store_follow *f, int64_t now_ms, int *timeout_ms)
{
	bool announced = false, wrote = false;
	int changed = 0;
	int rc;

	*timeout_ms = -1;
	if (f->lost)
		return -ENOENT;
	if ((rc = drain(f, &announced, &wrote)) < 0)
		return rc;
	if (!f->lost) {
		if ((rc = still_there(f)) < 0)
			return rc;
		f->lost = !rc;
	}
	if (f->lost)
		return -ENOENT;

	/* Our own commits write frames too, so their IN_MODIFY arrives with the
	 * announcement and arms the re-checks as well: a few cheap queries more
	 * per commit. Telling them apart is not safe: another program's frames
	 * can land between our COMMIT and its announcement, and its commit
	 * would then be missed until the next write. */
	if (wrote) {
		f->write_ms = now_ms;
		f->next = 0;
		changed = 1;
	}
	if (announced)
		changed = 1;
	while (f->next < N_RECHECKS && now_ms >= f->write_ms + recheck_ms[f->next]) {
		f->next++;
		changed = 1;
	}
	if (f->next < N_RECHECKS) {
		int64_t left = f->write_ms + recheck_ms[f->next] - now_ms;

		*timeout_ms = left > INT_MAX ? INT_MAX : (int)left;
	}
	return changed;
}

void tm_store_follow_close(struct tm_store_follow *f)
{
	if (!f)
		return;
	if (f->fd >= 0)
		close(f->fd);
	free(f);
}
