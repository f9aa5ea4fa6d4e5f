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

/* The meetings are walked once, in time order (meetings_time_seq), each
 * with its badges from the primary key: the caller gathers every
 * recipient's people in memory. Walking meeting_badges by recipient
 * instead costs a seek into meetings per badge and a sort per recipient:
 * 40 to 70 s against 4 s of CPU at a million meetings. CROSS JOIN keeps
 * the meetings the outer loop. */
static const char meetings_sql[] =
	"SELECT m.rowid AS meeting, m.time_utc AS \"time|time\", "
	" coalesce(nullif(s.name, ''), m.station) AS place, coalesce(%s, '') AS suspect, "
	" b.uid AS uid "
	"FROM meetings m CROSS JOIN meeting_badges b ON b.meeting_id = m.id "
	"LEFT JOIN stations s ON s.id = m.station "
	"WHERE ?1 OR coalesce(%s, '') = '' "
	"ORDER BY m.utc_ms, m.station, m.seq";

static const char people_sql[] =
	"SELECT a.uid AS uid, a.name AS name, a.org AS org, %s AS shared, "
	" CASE WHEN %s THEN a.handle ELSE '' END AS handle, "
	" CASE WHEN %s THEN a.email ELSE '' END AS email, "
	" a.email AS address, %s AS sent_id "
	"FROM attendees a %s ORDER BY a.uid";

static const char *suspect_column(const struct tm_store *s)
{
	return s->schema >= 4 ? "m.suspect" : "NULL";
}

static const char *consent_test(const struct tm_store *s)
{
	return s->schema >= 6 ? "a.consent = 1" : "0";
}

static int rows_of(struct tm_store *s, char *sql, int bind, struct tm_rows **out)
{
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	rc = store_prepare_printed(s, sql, &st);
	if (rc < 0)
		return rc;
	if (bind >= 0)
		sqlite3_bind_int(st, 1, bind);
	return store_rows(s, st, out);
}

int tm_store_followup_people(struct tm_store *s, struct tm_rows **out)
{
	bool sent_table = s->schema >= 6;

	return rows_of(s,
		       sqlite3_mprintf(people_sql, consent_test(s), consent_test(s),
				       consent_test(s), sent_table ? "f.message_id" : "NULL",
				       sent_table ? "LEFT JOIN followups f ON f.uid = a.uid" : ""),
		       -1, out);
}

int tm_store_followup_meetings(struct tm_store *s, bool include_suspect, struct tm_rows **out)
{
	return rows_of(s, sqlite3_mprintf(meetings_sql, suspect_column(s), suspect_column(s)),
		       include_suspect, out);
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
