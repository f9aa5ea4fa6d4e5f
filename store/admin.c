/* The organizer's writes: the attendee registry and erasure. */
#include "internal.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

/* --- the registry ------------------------------------------------------------ */

int tm_store_import_attendees(struct tm_store *s, const struct tm_attendee *rows, size_t n,
			      struct tm_import_counts *out)
{
	/* A NULL field leaves the stored value alone: a file without an
	 * "email" column must not blank the e-mails imported earlier. */
	static const char upsert[] =
		"INSERT INTO attendees (uid, name, org, handle, email) "
		"VALUES (?1, ?2, coalesce(?3, ''), coalesce(?4, ''), coalesce(?5, '')) "
		"ON CONFLICT (uid) DO UPDATE SET name = excluded.name, "
		"org = coalesce(?3, org), handle = coalesce(?4, handle), email = coalesce(?5, email), "
		"updated_utc = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') "
		"WHERE (name, org, handle, email) IS NOT "
		"(excluded.name, coalesce(?3, org), coalesce(?4, handle), coalesce(?5, email))";
	sqlite3_stmt *st = NULL, *exists = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = store_exec(s, "BEGIN IMMEDIATE");
	if (rc < 0)
		return rc;
	rc = store_prepare(s, upsert, &st);
	if (rc == 0)
		rc = store_prepare(s, "SELECT 1 FROM attendees WHERE uid = ?1", &exists);
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct tm_attendee *a = &rows[i];
		const char *fields[4] = { a->name, a->org, a->handle, a->email };
		bool was;
		int step;

		sqlite3_bind_text(exists, 1, a->uid, -1, SQLITE_STATIC);
		step = sqlite3_step(exists);
		was = step == SQLITE_ROW;
		sqlite3_reset(exists);
		if (step != SQLITE_ROW && step != SQLITE_DONE) {
			rc = store_fail(s, step, "import");
			break;
		}
		sqlite3_bind_text(st, 1, a->uid, -1, SQLITE_STATIC);
		for (int f = 0; f < 4; f++) {
			if (fields[f])
				sqlite3_bind_text(st, f + 2, fields[f], -1, SQLITE_STATIC);
			else
				sqlite3_bind_null(st, f + 2);
		}
		step = sqlite3_step(st);
		sqlite3_reset(st);
		if (step != SQLITE_DONE) {
			rc = store_fail(s, step, "import");
			break;
		}
		if (!was)
			out->added++;
		else if (sqlite3_changes(s->db))
			out->updated++;
		else
			out->unchanged++;
	}
	sqlite3_finalize(st);
	sqlite3_finalize(exists);
	if (rc == 0)
		rc = store_exec(s, "COMMIT");
	if (rc < 0) {
		if (!sqlite3_get_autocommit(s->db))
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		memset(out, 0, sizeof(*out));
		return rc;
	}
	store_committed(s);
	return 0;
}

/* --- erasure ------------------------------------------------------------------ */

/* Deleting rows is not enough in SQLite: freed pages keep their bytes and
 * the -wal keeps old page images. So secure_delete zeroes what is freed,
 * VACUUM rewrites the file and a TRUNCATE checkpoint empties the -wal. */

#define CHECKPOINT_TRIES 20

static const char *const count_sql[] = {
	"SELECT count(*) FROM attendees WHERE uid = ?1",
	"SELECT count(*) FROM taps WHERE uid = ?1",
	"SELECT count(*) FROM meeting_badges WHERE uid = ?1",
	"SELECT count(*) FROM meeting_badges WHERE meeting_id IN "
	" (SELECT meeting_id FROM meeting_badges WHERE uid = ?1)",
	"SELECT count(*) FROM taps WHERE uid <> ?1 AND meeting_id IN "
	" (SELECT meeting_id FROM meeting_badges WHERE uid = ?1)",
};

static const char *const erase_sql[] = {
	"CREATE TEMP TABLE forget_meetings (id TEXT PRIMARY KEY)",
	"INSERT INTO forget_meetings SELECT meeting_id FROM meeting_badges WHERE uid = ?1",
	"UPDATE taps SET meeting_id = NULL WHERE meeting_id IN (SELECT id FROM forget_meetings)",
	"DELETE FROM taps WHERE uid = ?1",
	"DELETE FROM meeting_badges WHERE meeting_id IN (SELECT id FROM forget_meetings)",
	"DELETE FROM meetings WHERE id IN (SELECT id FROM forget_meetings)",
	"DELETE FROM attendees WHERE uid = ?1",
	"DROP TABLE forget_meetings",
};

static int run(struct tm_store *s, const char *sql, const char *uid, int64_t *out)
{
	sqlite3_stmt *st;
	int rc = store_prepare(s, sql, &st);

	if (rc < 0)
		return rc;
	if (sqlite3_bind_parameter_count(st) > 0)
		sqlite3_bind_text(st, 1, uid, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && out)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_fail(s, rc, "forget");
}

static int count(struct tm_store *s, const char *uid, struct tm_forget_counts *n)
{
	int64_t *fields[] = { &n->registry, &n->taps, &n->meetings, &n->links, &n->unlinked };
	int rc = 0;

	memset(n, 0, sizeof(*n));
	for (size_t i = 0; i < sizeof(count_sql) / sizeof(count_sql[0]) && rc == 0; i++)
		rc = run(s, count_sql[i], uid, fields[i]);
	return rc;
}

int tm_store_forget_preview(struct tm_store *s, const char *uid, struct tm_forget_counts *out)
{
	int rc = tm_store_read_begin(s);

	if (rc == 0)
		rc = count(s, uid, out);
	tm_store_read_end(s);
	return rc;
}

/* The daemon may hold a read transaction for a moment; the checkpoint can
 * only empty the -wal once no reader needs its frames. */
static int checkpoint(struct tm_store *s)
{
	for (int i = 0; i < CHECKPOINT_TRIES; i++) {
		sqlite3_stmt *st;
		int busy = 1, rc = store_prepare(s, "PRAGMA wal_checkpoint(TRUNCATE)", &st);

		if (rc < 0)
			return rc;
		if (sqlite3_step(st) == SQLITE_ROW)
			busy = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
		if (!busy)
			return 0;
		usleep(100 * 1000);
	}
	return store_failf(s, -EAGAIN, "%s-wal still holds old copies: another process is reading",
			   s->path);
}

int tm_store_forget(struct tm_store *s, const char *uid, struct tm_forget_counts *out)
{
	int rc = store_exec(s, "PRAGMA secure_delete = ON");

	if (rc == 0)
		rc = store_exec(s, "BEGIN IMMEDIATE");
	if (rc < 0)
		return rc;
	rc = count(s, uid, out);
	if (rc == 0 && out->registry + out->taps + out->meetings == 0)
		rc = store_failf(s, -ENOENT, "%s is not in %s", uid, s->path);
	for (size_t i = 0; i < sizeof(erase_sql) / sizeof(erase_sql[0]) && rc == 0; i++)
		rc = run(s, erase_sql[i], uid, NULL);
	if (rc == 0)
		rc = store_exec(s, "COMMIT");
	if (rc < 0) {
		if (!sqlite3_get_autocommit(s->db))
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	store_committed(s);
	rc = store_exec(s, "VACUUM");
	if (rc < 0)
		return store_failf(s, -EAGAIN, "vacuum: %s (the rows are gone, but old copies may remain)",
				   sqlite3_errmsg(s->db));
	return checkpoint(s);
}
