/* The organizer's writes: the attendee registry and erasure. */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* --- the registry ------------------------------------------------------------ */

int tm_store_import_attendees(struct tm_store *s, const struct tm_attendee *rows, size_t n,
			      unsigned fields, struct tm_import_counts *out)
{
	/* A NULL parameter (a column the file lacks) leaves the stored value
	 * alone; a new attendee gets '' or no consent for it. */
	static const char upsert[] =
		"INSERT INTO attendees (uid, name, org, handle, email, consent) "
		"VALUES (?1, ?2, coalesce(?3, ''), coalesce(?4, ''), coalesce(?5, ''), coalesce(?6, 0)) "
		"ON CONFLICT (uid) DO UPDATE SET name = excluded.name, "
		"org = coalesce(?3, org), handle = coalesce(?4, handle), email = coalesce(?5, email), "
		"consent = coalesce(?6, consent), "
		"updated_utc = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') "
		"WHERE (name, org, handle, email, consent) IS NOT "
		"(excluded.name, coalesce(?3, org), coalesce(?4, handle), coalesce(?5, email), "
		" coalesce(?6, consent))";
	static const unsigned text_fields[3] = { TM_ATTENDEE_ORG, TM_ATTENDEE_HANDLE,
						 TM_ATTENDEE_EMAIL };
	sqlite3_stmt *st = NULL, *exists = NULL;
	char restore[64];
	int rc;

	memset(out, 0, sizeof(*out));
	/* The whole registry is one transaction: with the default 2 MiB of
	 * page cache, 100,000 rows and their indexes spill to the -wal and are
	 * read back again and again (a second and a half of the import). The
	 * cache only grows as far as the pages need. */
	snprintf(restore, sizeof(restore), "PRAGMA cache_size = -%d",
		 s->opt.cache_kib > 0 ? s->opt.cache_kib : 2000);
	rc = store_exec(s, "PRAGMA cache_size = -65536");
	if (rc == 0)
		rc = store_exec(s, "BEGIN IMMEDIATE");
	if (rc < 0)
		return rc;
	rc = store_prepare(s, upsert, &st);
	if (rc == 0)
		rc = store_prepare(s, "SELECT 1 FROM attendees WHERE uid = ?1", &exists);
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct tm_attendee *a = &rows[i];
		const char *text[3] = { a->org, a->handle, a->email };
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
		sqlite3_bind_text(st, 2, a->name, -1, SQLITE_STATIC);
		for (int f = 0; f < 3; f++) {
			if ((fields & text_fields[f]) && text[f])
				sqlite3_bind_text(st, f + 3, text[f], -1, SQLITE_STATIC);
			else
				sqlite3_bind_null(st, f + 3);
		}
		if (fields & TM_ATTENDEE_CONSENT)
			sqlite3_bind_int(st, 6, a->consent);
		else
			sqlite3_bind_null(st, 6);
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
		sqlite3_exec(s->db, restore, NULL, NULL, NULL);
		memset(out, 0, sizeof(*out));
		return rc;
	}
	store_committed(s);
	return store_exec(s, restore);
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
	"SELECT count(*) FROM followups WHERE uid = ?1",
};
/* followups (schema 6) holds the address a follow-up message went to. */
#define FOLLOWUPS_SCHEMA 6

static const char *const erase_sql[] = {
	"CREATE TEMP TABLE forget_meetings (id TEXT PRIMARY KEY)",
	"INSERT INTO forget_meetings SELECT meeting_id FROM meeting_badges WHERE uid = ?1",
	"UPDATE taps SET meeting_id = NULL WHERE meeting_id IN (SELECT id FROM forget_meetings)",
	"DELETE FROM taps WHERE uid = ?1",
	"DELETE FROM meeting_badges WHERE meeting_id IN (SELECT id FROM forget_meetings)",
	"DELETE FROM meetings WHERE id IN (SELECT id FROM forget_meetings)",
	"DELETE FROM attendees WHERE uid = ?1",
	"DROP TABLE forget_meetings",
	"DELETE FROM followups WHERE uid = ?1",
};

/* A database the daemon has not migrated yet (a preview opens it read-only)
 * has no followups table, and so nothing in it to count. */
static bool in_schema(const struct tm_store *s, const char *sql)
{
	return s->schema >= FOLLOWUPS_SCHEMA || !strstr(sql, "followups");
}

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
	int64_t *fields[] = { &n->registry, &n->taps,	  &n->meetings,
			      &n->links,    &n->unlinked, &n->followups };
	int rc = 0;

	memset(n, 0, sizeof(*n));
	for (size_t i = 0; i < sizeof(count_sql) / sizeof(count_sql[0]) && rc == 0; i++)
		if (in_schema(s, count_sql[i]))
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
	if (rc == 0 && out->registry + out->taps + out->meetings + out->followups == 0)
		rc = store_failf(s, -ENOENT, "%s is not in %s", uid, s->path);
	for (size_t i = 0; i < sizeof(erase_sql) / sizeof(erase_sql[0]) && rc == 0; i++)
		if (in_schema(s, erase_sql[i]))
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
