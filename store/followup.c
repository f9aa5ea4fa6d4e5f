/* After the event: what every attendee met, for `tapmeet followup`, and the
 * record of each message handed to the mail system (schema 6).
 *
 * The consent rule lives in the query, not in the caller: a person's e-mail
 * and handle leave the database only for an attendee with consent = 1, so
 * no message, card or manifest built from these rows can hand them out by
 * mistake. A database before schema 6 has no consent column: nobody there
 * said yes. */
#include "internal.h"

#include <errno.h>
#include <stdio.h>

/* One walk of meeting_badges in UID order (the index meeting_badges_uid)
 * gives every recipient's meetings together; each meeting's other badges
 * come from the primary key. CROSS JOIN keeps that walk the outer loop:
 * starting from the registry would need a sort of every row. The rows of
 * one recipient are then sorted by the badge met and time, which is a
 * small sort per recipient. */
static const char rows_sql[] =
	"SELECT me.uid AS rcpt, r.name AS rcpt_name, r.email AS rcpt_email, %s AS sent_id, "
	" o.uid AS uid, coalesce(a.name, '') AS name, coalesce(a.org, '') AS org, "
	" a.uid IS NOT NULL AS registered, %s AS shared, "
	" CASE WHEN %s THEN a.handle ELSE '' END AS handle, "
	" CASE WHEN %s THEN a.email ELSE '' END AS email, "
	" m.id AS meeting, m.time_utc AS \"time|time\", "
	" coalesce(nullif(s.name, ''), m.station) AS place, coalesce(%s, '') AS suspect "
	"FROM meeting_badges me CROSS JOIN attendees r ON r.uid = me.uid "
	"JOIN meetings m ON m.id = me.meeting_id "
	"JOIN meeting_badges o ON o.meeting_id = me.meeting_id AND o.uid <> me.uid "
	"LEFT JOIN attendees a ON a.uid = o.uid "
	"LEFT JOIN stations s ON s.id = m.station "
	"%s"
	"WHERE (?2 OR coalesce(%s, '') = '') AND (?1 IS NULL OR me.uid = ?1) "
	"ORDER BY me.uid, o.uid, m.utc_ms, m.station, m.seq";

static const char count_sql[] =
	"SELECT count(DISTINCT me.uid) FROM meeting_badges me "
	"CROSS JOIN attendees r ON r.uid = me.uid AND r.email <> '' "
	"JOIN meetings m ON m.id = me.meeting_id "
	"WHERE (?2 OR coalesce(%s, '') = '') AND (?1 IS NULL OR me.uid = ?1) "
	" AND EXISTS (SELECT 1 FROM meeting_badges o WHERE o.meeting_id = me.meeting_id "
	"  AND o.uid <> me.uid)";

static const char *suspect_column(const struct tm_store *s)
{
	return s->schema >= 4 ? "m.suspect" : "NULL";
}

static const char *consent_test(const struct tm_store *s)
{
	return s->schema >= 6 ? "coalesce(a.consent, 0) = 1" : "0";
}

static sqlite3_stmt *prepare_filtered(struct tm_store *s, char *sql,
				      const struct tm_followup_filter *f, int *rc)
{
	sqlite3_stmt *st = NULL;

	if (!sql) {
		*rc = -ENOMEM;
		return NULL;
	}
	*rc = store_prepare(s, sql, &st);
	sqlite3_free(sql);
	if (*rc < 0)
		return NULL;
	if (f->rcpt)
		sqlite3_bind_text(st, 1, f->rcpt, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 2, f->include_suspect);
	return st;
}

int tm_store_followup_rows(struct tm_store *s, const struct tm_followup_filter *f,
			   struct tm_rows **out)
{
	bool sent_table = s->schema >= 6;
	char *sql = sqlite3_mprintf(rows_sql, sent_table ? "f.message_id" : "NULL",
				    consent_test(s), consent_test(s), consent_test(s),
				    suspect_column(s),
				    sent_table ? "LEFT JOIN followups f ON f.uid = me.uid " : "",
				    suspect_column(s));
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	st = prepare_filtered(s, sql, f, &rc);
	if (!st)
		return rc;
	return store_rows(s, st, out);
}

int tm_store_followup_count(struct tm_store *s, const struct tm_followup_filter *f, int64_t *out)
{
	char *sql = sqlite3_mprintf(count_sql, suspect_column(s));
	sqlite3_stmt *st;
	int rc;

	*out = 0;
	st = prepare_filtered(s, sql, f, &rc);
	if (!st)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : store_fail(s, rc, "follow-up count");
}

int tm_store_followup_origin(struct tm_store *s, char *out, size_t size)
{
	static const char sql[] = "SELECT id || ' ' || time_utc FROM meetings "
				  "ORDER BY utc_ms, station, seq LIMIT 1";
	sqlite3_stmt *st;
	int rc = store_prepare(s, sql, &st);

	if (size)
		out[0] = '\0';
	if (rc < 0)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && size)
		snprintf(out, size, "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_fail(s, rc, "log origin");
}

int tm_store_followup_record(struct tm_store *s, const struct tm_followup_sent *sent)
{
	/* Its own transaction, committed before the next message goes: the
	 * record is what keeps a rerun from sending this one again. */
	static const char sql[] =
		"INSERT INTO followups (uid, rcpt, message_id, sent_utc, meetings) "
		"VALUES (?1, ?2, ?3, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?4) "
		"ON CONFLICT (uid) DO UPDATE SET rcpt = excluded.rcpt, "
		"message_id = excluded.message_id, sent_utc = excluded.sent_utc, "
		"meetings = excluded.meetings";
	sqlite3_stmt *st;
	int rc;

	if (s->schema < 6)
		return store_failf(s, -EPROTO, "the database has no followups table (schema %d)",
				   s->schema);
	rc = store_prepare(s, sql, &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_text(st, 1, sent->uid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, sent->rcpt, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, sent->message_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, sent->meetings);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, rc, "follow-up record");
	store_committed(s);
	return 0;
}
