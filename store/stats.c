/* `tapmeet stats`: a handful of aggregate queries, each answered from an
 * index where the schema has one; "top connectors" ranks by meetings (an
 * index scan) and only then counts distinct people for the ten shown. */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const outcome_names[6] = { "pending",   "paired",    "unpaired",
					      "cancelled", "duplicate", "rejected" };

/* Ranks uid (n meetings) among the top connectors so far: more meetings
 * first, ties by uid in SQLite's BINARY order (strcmp for UTF-8 text). */
static void rank_connector(struct tm_stats *t, const char *uid, int64_t n)
{
	size_t i = t->n_top;

	while (i > 0 && (t->top[i - 1].meetings < n ||
			 (t->top[i - 1].meetings == n && strcmp(t->top[i - 1].uid, uid) > 0)))
		i--;
	if (i == TM_STATS_TOP)
		return;
	if (t->n_top == TM_STATS_TOP)
		t->n_top--;
	memmove(&t->top[i + 1], &t->top[i], (t->n_top - i) * sizeof(t->top[0]));
	memset(&t->top[i], 0, sizeof(t->top[i]));
	snprintf(t->top[i].uid, sizeof(t->top[i].uid), "%s", uid);
	t->top[i].meetings = n;
	t->n_top++;
}

/* A cursor over one sorted list of badge UIDs. */
struct uid_list {
	sqlite3_stmt *st;
	const char *uid; /* the current row's, or NULL at the end */
	int rc;
};

static void uid_next(struct uid_list *l)
{
	l->rc = sqlite3_step(l->st);
	l->uid = l->rc == SQLITE_ROW ? (const char *)sqlite3_column_text(l->st, 0) : NULL;
}

/* Who was seen and who met someone, by merging three lists sorted by uid
 * (BINARY order, which is strcmp order for UTF-8 text): the badges in
 * meetings with their number of meetings, the registered attendees, and the
 * badges with taps that did not pair. Paired taps are always in a meeting,
 * and rejected ones are phones, not attendees. Each list is one index walk,
 * in index order, and the merge keeps nothing but the current rows and the
 * top connectors: no lookups per badge.
 *
 * meeting_badges is walked once for both figures: it is the cost (two
 * million entries on the benchmark). "outcome <> 'paired'" is spelled out so
 * that the partial index taps_unpaired (schema migration 2) answers the last
 * list in (outcome, uid) order; without migration 2 it is one scan of taps.
 * Grouping the taps by uid alone would invite the planner to walk a uid
 * index (taps_uid before schema 5) and look every tap up in the table:
 * seconds on a million meetings. */
static int badges(struct tm_store *s, struct tm_stats *t)
{
	static const char *const sql[] = {
		"SELECT uid, count(*) FROM meeting_badges GROUP BY uid ORDER BY uid",
		"SELECT uid FROM attendees WHERE uid IS NOT NULL ORDER BY uid",
		"SELECT uid FROM (SELECT uid FROM taps WHERE outcome <> 'paired' AND "
		"outcome <> 'rejected' GROUP BY outcome, uid) GROUP BY uid ORDER BY uid",
	};
	struct uid_list l[3] = { { 0 } };
	int rc = 0;

	for (size_t i = 0; i < 3 && rc == 0; i++) {
		rc = store_prepare(s, sql[i], &l[i].st);
		if (rc == 0)
			uid_next(&l[i]);
	}
	while (rc == 0) {
		const char *min = NULL;
		bool here[3];

		for (size_t i = 0; i < 3; i++)
			if (l[i].uid && (!min || strcmp(l[i].uid, min) < 0))
				min = l[i].uid;
		if (!min)
			break;
		/* min points into a current row: compare all before stepping any. */
		for (size_t i = 0; i < 3; i++)
			here[i] = l[i].uid && !strcmp(l[i].uid, min);
		t->seen++;
		if (here[0]) {
			t->met++;
			rank_connector(t, min, sqlite3_column_int64(l[0].st, 1));
		}
		for (size_t i = 0; i < 3; i++)
			if (here[i])
				uid_next(&l[i]);
	}
	for (size_t i = 0; i < 3; i++) {
		if (rc == 0 && l[i].st && l[i].rc != SQLITE_DONE)
			rc = store_fail(s, l[i].rc, "stats");
		sqlite3_finalize(l[i].st);
	}
	return rc;
}

static int totals(struct tm_store *s, struct tm_stats *t)
{
	sqlite3_stmt *st;
	int rc;

	rc = store_query_int(s, "SELECT count(*) FROM taps", &t->taps);
	if (rc == 0)
		rc = store_query_int(s, "SELECT count(*) FROM meetings", &t->meetings);
	/* Through the partial index meetings_suspect (schema 4): the few
	 * doubted meetings, not every meeting. Before schema 4 there are none. */
	if (rc == 0 && s->schema >= 4)
		rc = store_query_int(s, "SELECT count(*) FROM meetings WHERE suspect <> ''",
				     &t->suspect);
	if (rc == 0)
		rc = store_query_int(s, "SELECT count(*) FROM attendees", &t->registered);
	if (rc == 0)
		rc = badges(s, t);
	/* The stations that recorded a meeting, one index seek each (a loose scan
	 * of UNIQUE (station, seq)) rather than a walk of every meeting. */
	if (rc == 0)
		rc = store_query_int(s,
				     "WITH RECURSIVE s(id) AS (SELECT min(station) FROM meetings "
				     "UNION ALL SELECT (SELECT min(station) FROM meetings WHERE station > s.id) "
				     "FROM s WHERE s.id IS NOT NULL) "
				     "SELECT count(*) FROM (SELECT id FROM stations UNION "
				     "SELECT id FROM s WHERE id IS NOT NULL)",
				     &t->stations);
	/* paired = all - the rest: the rest are few, and counted from the
	 * partial index taps_unpaired (the condition must match its WHERE). */
	if (rc == 0)
		rc = store_prepare(s,
				   "SELECT outcome, count(*) FROM taps WHERE outcome <> 'paired' "
				   "GROUP BY outcome",
				   &st);
	if (rc < 0)
		return rc;
	t->outcome[TM_TAP_PAIRED] = t->taps;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);

		for (size_t i = 0; i < 6; i++) {
			if (i != TM_TAP_PAIRED && name && !strcmp(name, outcome_names[i])) {
				t->outcome[i] = sqlite3_column_int64(st, 1);
				t->outcome[TM_TAP_PAIRED] -= t->outcome[i];
			}
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : store_fail(s, rc, "stats outcomes");
}

/* One range count per hour on the meetings' time index: cheaper than
 * grouping a million rows through a sorter, and empty hours come for free. */
static int hours(struct tm_store *s, struct tm_stats *t)
{
	sqlite3_stmt *st;
	int64_t lo, hi, n_hours;
	int rc;

	rc = store_query_int(s, "SELECT coalesce(min(utc_ms), 0) / 3600000 FROM meetings", &lo);
	if (rc == 0)
		rc = store_query_int(s, "SELECT coalesce(max(utc_ms), -3600000) / 3600000 FROM meetings",
				     &hi);
	if (rc == 0)
		rc = store_prepare(s, "SELECT count(*) FROM meetings WHERE utc_ms >= ?1 AND utc_ms < ?2",
				   &st);
	if (rc < 0)
		return rc;
	n_hours = hi - lo + 1;
	if (n_hours > TM_STATS_MAX_HOURS) { /* a chart longer than a month says nothing: the last month */
		lo = hi - TM_STATS_MAX_HOURS + 1;
		n_hours = TM_STATS_MAX_HOURS;
	}
	t->first_hour = lo;
	t->n_hours = n_hours > 0 ? (size_t)n_hours : 0;
	for (size_t h = 0; h < t->n_hours; h++) {
		sqlite3_bind_int64(st, 1, (lo + (int64_t)h) * 3600000);
		sqlite3_bind_int64(st, 2, (lo + (int64_t)h + 1) * 3600000);
		rc = sqlite3_step(st);
		if (rc != SQLITE_ROW)
			break;
		t->per_hour[h] = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? 0 : store_fail(s, rc, "stats per hour");
}

/* The ten were ranked in badges(); their names and the distinct people
 * each met take one indexed lookup per connector. */
static int connectors(struct tm_store *s, struct tm_stats *t)
{
	static const char sql[] =
		"SELECT (SELECT name FROM attendees WHERE uid = ?1), "
		"(SELECT count(DISTINCT o.uid) FROM meeting_badges mb "
		"  JOIN meeting_badges o ON o.meeting_id = mb.meeting_id AND o.uid <> mb.uid "
		"  WHERE mb.uid = ?1)";
	sqlite3_stmt *st;
	int rc = store_prepare(s, sql, &st);

	if (rc < 0)
		return rc;
	for (size_t i = 0; i < t->n_top; i++) {
		const char *name;

		sqlite3_bind_text(st, 1, t->top[i].uid, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		if (rc != SQLITE_ROW)
			break;
		name = (const char *)sqlite3_column_text(st, 0);
		if (name && !(t->top[i].name = strdup(name))) {
			rc = SQLITE_NOMEM;
			break;
		}
		t->top[i].people = sqlite3_column_int64(st, 1);
		sqlite3_reset(st);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? 0 : store_fail(s, rc, "stats connectors");
}

static int stations(struct tm_store *s, struct tm_stats *t)
{
	sqlite3_stmt *st;
	int rc;

	/* A loose scan of UNIQUE (station, seq), then one range count per
	 * station: cheaper than grouping every meeting. */
	rc = store_prepare(s,
			   "WITH RECURSIVE s(id) AS (SELECT min(station) FROM meetings "
			   "UNION ALL SELECT (SELECT min(station) FROM meetings WHERE station > s.id) "
			   "FROM s WHERE s.id IS NOT NULL) "
			   "SELECT id, (SELECT count(*) FROM meetings m WHERE m.station = s.id) AS n "
			   "FROM s WHERE id IS NOT NULL ORDER BY n DESC, id LIMIT 10",
			   &st);
	if (rc < 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && t->n_stations < TM_STATS_TOP) {
		snprintf(t->busiest[t->n_stations].id, sizeof(t->busiest[0].id), "%s",
			 sqlite3_column_text(st, 0));
		t->busiest[t->n_stations].meetings = sqlite3_column_int64(st, 1);
		t->n_stations++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : store_fail(s, rc, "stats stations");
}

int tm_store_stats(struct tm_store *s, struct tm_stats *t)
{
	int rc;

	memset(t, 0, sizeof(*t));
	/* One read transaction: every figure describes the same moment. */
	rc = tm_store_read_begin(s);
	if (rc == 0)
		rc = totals(s, t);
	if (rc == 0)
		rc = hours(s, t);
	if (rc == 0)
		rc = connectors(s, t);
	if (rc == 0)
		rc = stations(s, t);
	tm_store_read_end(s);
	if (rc < 0)
		tm_stats_free(t);
	return rc;
}

void tm_stats_free(struct tm_stats *t)
{
	for (size_t i = 0; i < t->n_top; i++) {
		free(t->top[i].name);
		t->top[i].name = NULL;
	}
}
