/* The queries behind `tapmeet`: each a named function returning rows, so the
 * schema is known here only. Column names carry their kind ("x|time"). */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tapmeet/live_status.h"

/* Lists are aggregated with char(31); a name holding one would split the
 * list, so it is replaced in the value (U+FFFD). */
#define NAME_ITEM "replace(coalesce(a.name, ''), char(31), char(65533))"

/* The columns of a meeting, badges and names sorted by UID; HINT: an
 * INDEXED BY clause for the names, or nothing. The suspect mark and the
 * cursor follow (tm_store_meetings). */
#define MEETING_COLUMNS(HINT)                                                                 \
	"m.id AS id, m.time_utc AS \"time|time\", m.station AS station, "                    \
	"(SELECT group_concat(uid, char(31)) FROM (SELECT uid FROM meeting_badges "            \
	" WHERE meeting_id = m.id ORDER BY uid)) AS \"badges|list\", "                         \
	"(SELECT group_concat(" NAME_ITEM ", char(31)) FROM (SELECT mb.uid FROM "              \
	" meeting_badges mb WHERE mb.meeting_id = m.id ORDER BY mb.uid) b "                    \
	" LEFT JOIN attendees a " HINT " ON a.uid = b.uid) AS \"names|list\""

/* A name per badge is most of the work of a long listing: through
 * attendees' primary key it is two lookups (the key's index, then the row),
 * through attendees_uid_name (schema migration 2) one. Without statistics
 * the planner prefers the unique key, hence INDEXED BY, which fails on a
 * database the daemon has not migrated yet: ask the schema first. */
static const char meeting_columns[] = MEETING_COLUMNS("");
static const char meeting_columns_indexed[] = MEETING_COLUMNS("INDEXED BY attendees_uid_name");

/* meetings.suspect as an expression over the alias m: a database the daemon
 * has not migrated to schema 4 has no such column, and none of its
 * meetings was doubted. Tests are written "x <> ''", which is false for
 * NULL, and so lets SQLite use the partial index meetings_suspect. */
static const char *suspect_of(const struct tm_store *s)
{
	return s->schema >= 4 ? "m.suspect" : "NULL";
}

/* The rows of a query with at most one parameter, ?1 = arg (when not NULL). */
static int rows_for(struct tm_store *s, const char *sql, const char *arg, struct tm_rows **out)
{
	sqlite3_stmt *st;
	int rc = store_prepare(s, sql, &st);

	*out = NULL;
	if (rc < 0)
		return rc;
	if (arg)
		sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
	return store_rows(s, st, out);
}

static void bind_named_text(sqlite3_stmt *st, const char *name, const char *v)
{
	int i = sqlite3_bind_parameter_index(st, name);

	if (i > 0)
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
}

static void bind_named_int(sqlite3_stmt *st, const char *name, int64_t v)
{
	int i = sqlite3_bind_parameter_index(st, name);

	if (i > 0)
		sqlite3_bind_int64(st, i, v);
}

/* --- meetings ------------------------------------------------------------ */

static void meeting_where(const struct tm_store *s, sqlite3_str *sql,
			  const struct tm_meeting_filter *f, const char *m)
{
	if (f->suspect_only && s->schema >= 4)
		sqlite3_str_appendf(sql, " AND %s.suspect <> ''", m);
	else if (f->suspect_only)
		sqlite3_str_appendall(sql, " AND 0");
	if (f->has_since)
		sqlite3_str_appendf(sql, " AND %s.utc_ms >= :since", m);
	if (f->has_until)
		sqlite3_str_appendf(sql, " AND %s.utc_ms < :until", m);
	if (f->station)
		sqlite3_str_appendf(sql, " AND %s.station = :station", m);
	if (f->uid)
		sqlite3_str_appendf(sql, " AND %s.id IN (SELECT meeting_id FROM meeting_badges "
					 "WHERE uid = :uid)", m);
	if (f->uid2)
		sqlite3_str_appendf(sql, " AND %s.id IN (SELECT meeting_id FROM meeting_badges "
					 "WHERE uid = :uid2)", m);
	if (f->after_cursor > 0)
		sqlite3_str_appendf(sql, " AND %s.rowid > :after", m);
}

int tm_store_meetings(struct tm_store *s, const struct tm_meeting_filter *f, struct tm_rows **out)
{
	sqlite3_str *sql = sqlite3_str_new(s->db);
	sqlite3_stmt *st = NULL;
	char *text;
	int rc;

	*out = NULL;
	sqlite3_str_appendf(sql,
			    "SELECT %s, coalesce(%s, '') AS suspect, m.rowid AS _cursor"
			    " FROM meetings m WHERE 1",
			    s->schema >= 2 ? meeting_columns_indexed : meeting_columns,
			    suspect_of(s));
	if (f->limit >= 0) {
		/* The latest N, as tail -n: chosen newest first, shown in order. */
		sqlite3_str_appendall(sql, " AND m.rowid IN (SELECT m2.rowid FROM meetings m2 WHERE 1");
		meeting_where(s, sql, f, "m2");
		sqlite3_str_appendall(sql, f->after_cursor > 0 ?
						   " ORDER BY m2.rowid DESC LIMIT :limit)" :
						   " ORDER BY m2.utc_ms DESC, m2.station DESC, m2.seq DESC"
						   " LIMIT :limit)");
	} else {
		meeting_where(s, sql, f, "m");
	}
	/* Following the log goes in commit order, so its cursor only grows;
	 * listings go in time order, the same millisecond by station and seq. */
	sqlite3_str_appendall(sql, f->after_cursor > 0 ? " ORDER BY m.rowid" :
							 " ORDER BY m.utc_ms, m.station, m.seq");
	text = sqlite3_str_finish(sql);
	if (!text)
		return -ENOMEM;
	rc = store_prepare(s, text, &st);
	sqlite3_free(text);
	if (rc < 0)
		return rc;
	bind_named_int(st, ":since", f->since_ms);
	bind_named_int(st, ":until", f->until_ms);
	if (f->station)
		bind_named_text(st, ":station", f->station);
	if (f->uid)
		bind_named_text(st, ":uid", f->uid);
	if (f->uid2)
		bind_named_text(st, ":uid2", f->uid2);
	bind_named_int(st, ":after", f->after_cursor);
	bind_named_int(st, ":limit", f->limit);
	return store_rows(s, st, out);
}

int tm_store_meetings_cursor(struct tm_store *s, int64_t *out)
{
	return store_query_int(s, "SELECT coalesce(max(rowid), 0) FROM meetings", out);
}

/* --- person ------------------------------------------------------------- */

int tm_store_person(struct tm_store *s, const char *uid, struct tm_rows **out)
{
	char *sql = sqlite3_mprintf(
		"SELECT m.id AS meeting, m.time_utc AS \"time|time\", m.station AS station, "
		" o.uid AS uid, a.name AS name, a.org AS org, coalesce(%s, '') AS suspect "
		"FROM meeting_badges me JOIN meetings m ON m.id = me.meeting_id "
		"JOIN meeting_badges o ON o.meeting_id = me.meeting_id AND o.uid <> me.uid "
		"LEFT JOIN attendees a ON a.uid = o.uid "
		"WHERE me.uid = ?1 ORDER BY m.utc_ms, m.station, m.seq, o.uid",
		suspect_of(s));
	int rc;

	*out = NULL;
	if (!sql)
		return -ENOMEM;
	rc = rows_for(s, sql, uid, out);
	sqlite3_free(sql);
	return rc;
}

int tm_store_person_summary(struct tm_store *s, const char *uid, int64_t *meetings,
			    int64_t *people)
{
	static const char sql[] =
		"SELECT count(DISTINCT me.meeting_id), count(DISTINCT o.uid) FROM meeting_badges me "
		"LEFT JOIN meeting_badges o ON o.meeting_id = me.meeting_id AND o.uid <> me.uid "
		"WHERE me.uid = ?1";
	sqlite3_stmt *st;
	int rc = store_prepare(s, sql, &st);

	if (rc < 0)
		return rc;
	sqlite3_bind_text(st, 1, uid, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*meetings = sqlite3_column_int64(st, 0);
		*people = sqlite3_column_int64(st, 1);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? 0 : store_fail(s, rc, "person summary");
}

/* --- attendees ----------------------------------------------------------- */

void tm_store_free_matches(struct tm_attendee_match *m, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(m[i].name);
		free(m[i].org);
	}
	free(m);
}

int tm_store_find_attendees(struct tm_store *s, const char *name, struct tm_attendee_match **out,
			    size_t *n_out)
{
	/* The whole name wins over a part of it, so "Ann" still finds Ann
	 * when Annabel is also registered. Both sides are folded (case and
	 * Unicode normalisation, fold.c), so any script matches. */
	static const char *const queries[] = {
		"SELECT uid, name, org FROM attendees WHERE tm_fold(name) = tm_fold(?1) "
		"ORDER BY tm_fold(name), name, uid",
		"SELECT uid, name, org FROM attendees WHERE instr(tm_fold(name), tm_fold(?1)) > 0 "
		"ORDER BY tm_fold(name), name, uid",
	};
	struct tm_attendee_match *m = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	*out = NULL;
	*n_out = 0;
	for (size_t q = 0; q < 2 && n == 0 && rc == 0; q++) {
		sqlite3_stmt *st;

		rc = store_prepare(s, queries[q], &st);
		if (rc < 0)
			break;
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			const char *uid = (const char *)sqlite3_column_text(st, 0);
			const char *nm = (const char *)sqlite3_column_text(st, 1);
			const char *org = (const char *)sqlite3_column_text(st, 2);

			if (n == cap) {
				size_t c = cap ? 2 * cap : 4;
				struct tm_attendee_match *p = realloc(m, c * sizeof(*p));

				if (!p) {
					rc = SQLITE_NOMEM;
					break;
				}
				m = p;
				cap = c;
			}
			memset(&m[n], 0, sizeof(m[n]));
			snprintf(m[n].uid, sizeof(m[n].uid), "%s", uid ? uid : "");
			m[n].name = strdup(nm ? nm : "");
			m[n].org = strdup(org ? org : "");
			n++;
			if (!m[n - 1].name || !m[n - 1].org) {
				rc = SQLITE_NOMEM;
				break;
			}
		}
		sqlite3_finalize(st);
		rc = rc == SQLITE_DONE ? 0 : store_fail(s, rc, "attendee lookup");
	}
	if (rc < 0) {
		tm_store_free_matches(m, n);
		return rc;
	}
	*out = m;
	*n_out = n;
	return 0;
}

int tm_store_attendee_name(struct tm_store *s, const char *uid, char *out, size_t size)
{
	sqlite3_stmt *st;
	int rc = store_prepare(s, "SELECT name FROM attendees WHERE uid = ?1", &st);

	if (size)
		out[0] = '\0';
	if (rc < 0)
		return rc;
	sqlite3_bind_text(st, 1, uid, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && size)
		snprintf(out, size, "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_fail(s, rc, "attendee name");
}

/* Consent arrived with schema 6; before it nobody had given one. */
#define CONSENT_SCHEMA 6

int tm_store_attendees(struct tm_store *s, struct tm_rows **out)
{
	return rows_for(s,
			s->schema >= CONSENT_SCHEMA ?
				"SELECT uid, name, org, handle, email, consent FROM attendees "
				"ORDER BY tm_fold(name), name, uid" :
				"SELECT uid, name, org, handle, email, 0 AS consent FROM attendees "
				"ORDER BY tm_fold(name), name, uid",
			NULL, out);
}

/* --- status -------------------------------------------------------------- */

int tm_store_status(struct tm_store *s, const struct tm_status_query *q, struct tm_rows **out)
{
	/* Health and problems computed in SQL, so every format shows the same verdict. */
	static const char sql[] =
		"WITH r AS (SELECT *, coalesce(id = :live_station AND "
		"   :live_heartbeat > coalesce(heartbeat_utc, ''), 0) AS live FROM stations), "
		"l AS (SELECT id, name, started_utc, version, live, "
		"  CASE WHEN live THEN :live_reader ELSE reader_state END AS reader_state, "
		"  CASE WHEN live THEN :live_detail ELSE status_detail END AS status_detail, "
		"  CASE WHEN live THEN :live_fault ELSE storage_fault END AS storage_fault, "
		"  CASE WHEN live THEN :live_error ELSE '' END AS storage_error, "
		"  CASE WHEN live THEN :live_clock ELSE clock_synced END AS clock_synced, "
		"  CASE WHEN live THEN :live_heartbeat ELSE heartbeat_utc END AS heartbeat_utc "
		"  FROM r), "
		"s AS (SELECT *, "
		"  (:now - CAST(round((julianday(heartbeat_utc) - 2440587.5) * 86400000) AS INTEGER))"
		"   AS hb_age FROM l WHERE :station IS NULL OR id = :station), "
		"p AS (SELECT s.*, "
		"  (CASE WHEN reader_state <> 'ok' THEN 'reader ' || reader_state || "
		"     CASE WHEN status_detail <> '' THEN ': ' || status_detail ELSE '' END || char(31) "
		"     ELSE '' END) || "
		"  (CASE WHEN storage_fault THEN 'storage fault' || "
		"     CASE WHEN storage_error <> '' THEN ': ' || storage_error ELSE '' END || char(31) "
		"     ELSE '' END) || "
		"  (CASE WHEN heartbeat_utc IS NULL THEN 'no heartbeat' || char(31) "
		"        WHEN hb_age > :stale THEN 'heartbeat ' || (hb_age / 1000) || ' s old' || char(31) "
		"        ELSE '' END) AS bad, "
		"  (CASE WHEN NOT clock_synced THEN 'clock not synchronised' || char(31) ELSE '' END) "
		"   AS warn FROM s) "
		"SELECT id AS station, name, "
		" CASE WHEN bad <> '' THEN 'unhealthy' WHEN warn <> '' THEN 'warning' ELSE 'ok' END "
		"  AS health, "
		" nullif(rtrim(bad || warn, char(31)), '') AS \"problems|list\", "
		" reader_state, status_detail, heartbeat_utc AS \"heartbeat|time\", "
		" started_utc AS \"started|time\", storage_fault, clock_synced, version, "
		" (SELECT t.time_utc FROM taps t WHERE t.station = p.id ORDER BY t.seq DESC LIMIT 1) "
		"  AS \"last_tap|time\", "
		" (SELECT count(*) FROM taps t WHERE t.station = p.id AND t.utc_ms >= :today) "
		"  AS taps_today, "
		" (SELECT count(*) FROM meetings m WHERE m.station = p.id AND m.utc_ms >= :today) "
		"  AS meetings_today "
		"FROM p ORDER BY id";
	sqlite3_stmt *st;
	int rc = store_prepare(s, sql, &st);

	*out = NULL;
	if (rc < 0)
		return rc;
	bind_named_int(st, ":now", q->now_ms);
	bind_named_int(st, ":stale", q->stale_ms);
	bind_named_int(st, ":today", q->today_ms);
	if (q->station)
		bind_named_text(st, ":station", q->station);
	if (q->live) {
		char hb[TM_UTC_SIZE];

		tm_format_utc(q->live->written_utc_ms, hb);
		bind_named_text(st, ":live_station", q->live->station);
		bind_named_text(st, ":live_heartbeat", hb);
		bind_named_text(st, ":live_reader", q->live->reader_state);
		bind_named_text(st, ":live_detail", q->live->reader_detail);
		bind_named_int(st, ":live_fault", q->live->storage_fault);
		bind_named_text(st, ":live_error", q->live->storage_error);
		bind_named_int(st, ":live_clock", q->live->clock_synced);
	}
	return store_rows(s, st, out);
}

/* --- exports --------------------------------------------------------------- */

int tm_store_export_nodes(struct tm_store *s, struct tm_rows **out)
{
	static const char sql[] =
		"SELECT u.uid AS uid, coalesce(a.name, '') AS name, coalesce(a.org, '') AS org, "
		" (SELECT count(*) FROM meeting_badges mb WHERE mb.uid = u.uid) AS meetings "
		"FROM (SELECT uid FROM attendees UNION SELECT uid FROM meeting_badges) u "
		"LEFT JOIN attendees a ON a.uid = u.uid ORDER BY u.uid";
	return rows_for(s, sql, NULL, out);
}

/* Edges are aggregated by SQLite (GROUP BY, which spills to temporary files
 * when large) and read row by row, so memory stays flat however big the log.
 * The suspect meetings are few: their ids are gathered once (through the
 * partial index meetings_suspect) rather than each pair's meeting looked up. */
int tm_store_export_edges(struct tm_store *s, bool with_names, struct tm_rows **out)
{
	static const char plain[] =
		"SELECT a.uid AS source, b.uid AS target, count(*) AS weight, sum(%s) AS suspect "
		"FROM meeting_badges a JOIN meeting_badges b "
		" ON b.meeting_id = a.meeting_id AND b.uid > a.uid "
		"GROUP BY a.uid, b.uid ORDER BY a.uid, b.uid";
	static const char named[] =
		"SELECT e.a AS source, e.b AS target, e.n AS weight, e.suspect AS suspect, "
		" coalesce(x.name, '') AS source_name, coalesce(y.name, '') AS target_name "
		"FROM (SELECT a.uid AS a, b.uid AS b, count(*) AS n, sum(%s) AS suspect "
		"      FROM meeting_badges a JOIN meeting_badges b "
		"      ON b.meeting_id = a.meeting_id AND b.uid > a.uid "
		"      GROUP BY a.uid, b.uid) e "
		"LEFT JOIN attendees x ON x.uid = e.a "
		"LEFT JOIN attendees y ON y.uid = e.b ORDER BY e.a, e.b";
	char *sql = sqlite3_mprintf(with_names ? named : plain,
				    s->schema >= 4 ? "a.meeting_id IN (SELECT id FROM meetings "
						     "WHERE suspect <> '')" :
						     "0");
	int rc;

	*out = NULL;
	if (!sql)
		return -ENOMEM;
	rc = rows_for(s, sql, NULL, out);
	sqlite3_free(sql);
	return rc;
}

/* The rows of sql (freed here) with ?1 = uid (when not NULL) and ?2 =
 * include_suspect. */
static int rows_of_printed(struct tm_store *s, char *sql, const char *uid, bool include_suspect,
			   struct tm_rows **out)
{
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	rc = store_prepare_printed(s, sql, &st);
	if (rc < 0)
		return rc;
	if (uid)
		sqlite3_bind_text(st, 1, uid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 2, include_suspect);
	return store_rows(s, st, out);
}

int tm_store_export_contacts_in_time(struct tm_store *s, bool include_suspect,
				     struct tm_rows **out)
{
	static const char sql[] =
		"SELECT m.utc_ms / 1000 AS t, a.uid AS i, b.uid AS j FROM meetings m "
		"JOIN meeting_badges a ON a.meeting_id = m.id "
		"JOIN meeting_badges b ON b.meeting_id = m.id AND b.uid > a.uid "
		"WHERE ?2 OR coalesce(%s, '') = '' "
		"ORDER BY m.utc_ms, m.station, m.seq, a.uid, b.uid";
	return rows_of_printed(s, sqlite3_mprintf(sql, suspect_of(s)), NULL, include_suspect, out);
}

int tm_store_contacts(struct tm_store *s, const char *uid, bool include_suspect,
		      struct tm_rows **out)
{
	/* The filter is on the meetings, before grouping: a person met once
	 * for certain and once in doubt is a contact met once. The details
	 * are blanked here, so that no export can hand them out without the
	 * person's consent. */
	static const char sql[] =
		"SELECT o.uid AS uid, coalesce(a.name, '') AS name, coalesce(a.org, '') AS org, "
		" CASE WHEN %s = 1 THEN coalesce(a.handle, '') ELSE '' END AS handle, "
		" CASE WHEN %s = 1 THEN coalesce(a.email, '') ELSE '' END AS email, "
		" count(*) AS meetings, min(m.time_utc) AS \"first_met|time\", "
		" max(m.time_utc) AS \"last_met|time\", "
		" sum(coalesce(%s, '') <> '') AS suspect_meetings "
		"FROM meeting_badges me JOIN meetings m ON m.id = me.meeting_id "
		"JOIN meeting_badges o ON o.meeting_id = me.meeting_id AND o.uid <> me.uid "
		"LEFT JOIN attendees a ON a.uid = o.uid "
		"WHERE me.uid = ?1 AND (?2 OR coalesce(%s, '') = '') GROUP BY o.uid "
		"ORDER BY a.name IS NULL, tm_fold(a.name), a.name, o.uid";
	const char *consent = s->schema >= CONSENT_SCHEMA ? "a.consent" : "0";

	return rows_of_printed(s, sqlite3_mprintf(sql, consent, consent, suspect_of(s), suspect_of(s)),
			       uid, include_suspect, out);
}
