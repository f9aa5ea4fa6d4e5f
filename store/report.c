/* `tapmeet report`: the figures behind the HTML page, from one snapshot.
 *
 * The totals and the hours are tm_store_stats itself, so the page and
 * `tapmeet stats` always agree. The rest is a few walks: the badges (the
 * registry and everyone in a meeting), the pairs who met (the aggregation
 * of the network exports, read once: each pair adds to both people's count
 * of people met, to the organisation matrix and, if strong enough, to the
 * pairs kept for the picture), each station's rows, and those written with
 * an unsynchronised clock, per station and hour. */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dup_column(sqlite3_stmt *st, int col)
{
	const char *v = (const char *)sqlite3_column_text(st, col);

	return v ? strdup(v) : NULL;
}

/* Makes room for one more element at v[n]. */
static int grow(void **v, size_t *cap, size_t n, size_t size)
{
	size_t new_cap;
	void *p;

	if (n < *cap)
		return 0;
	new_cap = *cap ? 2 * *cap : 64;
	p = realloc(*v, new_cap * size);
	if (!p)
		return -ENOMEM;
	*v = p;
	*cap = new_cap;
	return 0;
}

/* --- people and organisations ------------------------------------------------ */

struct member {
	const char *org;
	size_t person;
};

struct org_group {
	const char *name;
	int64_t meetings;
	size_t first, n; /* its members: a run of the sorted members */
};

static int by_org(const void *a, const void *b)
{
	const struct member *x = a, *y = b;
	int c = strcmp(x->org, y->org);

	return c ? c : (x->person > y->person) - (x->person < y->person);
}

static int by_meetings(const void *a, const void *b)
{
	const struct org_group *x = a, *y = b;

	if (x->meetings != y->meetings)
		return x->meetings < y->meetings ? 1 : -1;
	return strcmp(x->name, y->name);
}

/* Ranks the organisations by their people's meetings; the first top_orgs
 * get rows of their own, the rest share "other", and badges without one
 * (or unregistered) the last row. orgs: each person's organisation. */
static int rank_orgs(struct tm_report *r, char **orgs, size_t top_orgs)
{
	struct member *m = calloc(r->n_people ? r->n_people : 1, sizeof(*m));
	struct org_group *g = calloc(r->n_people ? r->n_people : 1, sizeof(*g));
	size_t n_members = 0, n_groups = 0, rows;
	int rc = -ENOMEM;

	if (!m || !g)
		goto out;
	for (size_t i = 0; i < r->n_people; i++)
		if (r->people[i].name && orgs[i][0])
			m[n_members++] = (struct member){ orgs[i], i };
	qsort(m, n_members, sizeof(*m), by_org);
	for (size_t i = 0; i < n_members; i++) {
		if (!i || strcmp(m[i].org, m[i - 1].org))
			g[n_groups++] = (struct org_group){ m[i].org, 0, i, 0 };
		g[n_groups - 1].meetings += r->people[m[i].person].meetings;
		g[n_groups - 1].n++;
	}
	qsort(g, n_groups, sizeof(*g), by_meetings);
	r->n_orgs = n_groups < top_orgs ? n_groups : top_orgs;
	rows = r->n_orgs + 2;
	r->orgs = calloc(r->n_orgs ? r->n_orgs : 1, sizeof(*r->orgs));
	r->org_people = calloc(rows, sizeof(*r->org_people));
	r->org_pairs = calloc(rows * rows, sizeof(*r->org_pairs));
	if (!r->orgs || !r->org_people || !r->org_pairs)
		goto out;
	for (size_t i = 0; i < r->n_people; i++)
		r->people[i].org = TM_REPORT_ORG_NONE(r);
	for (size_t k = 0; k < n_groups; k++) {
		size_t row = k < r->n_orgs ? k : TM_REPORT_ORG_OTHER(r);

		if (k < r->n_orgs && !(r->orgs[k] = strdup(g[k].name)))
			goto out;
		for (size_t j = g[k].first; j < g[k].first + g[k].n; j++)
			r->people[m[j].person].org = row;
	}
	for (size_t i = 0; i < r->n_people; i++)
		r->org_people[r->people[i].org]++;
	rc = 0;
out:
	free(m);
	free(g);
	return rc;
}

/* Adds a badge seen in st (a row of attendees when registered). */
static int add_person(struct tm_report *r, size_t *cap, char ***orgs, size_t *orgs_cap,
		      const char *uid, sqlite3_stmt *registered, int64_t meetings)
{
	struct tm_report_person *p;

	if (grow((void **)&r->people, cap, r->n_people, sizeof(*r->people)) < 0 ||
	    grow((void **)orgs, orgs_cap, r->n_people, sizeof(**orgs)) < 0)
		return -ENOMEM;
	p = &r->people[r->n_people];
	memset(p, 0, sizeof(*p));
	snprintf(p->uid, sizeof(p->uid), "%s", uid);
	p->meetings = meetings;
	(*orgs)[r->n_people] = registered ? dup_column(registered, 2) : strdup("");
	r->n_people++;
	if (!(*orgs)[r->n_people - 1])
		return -ENOMEM;
	if (registered) {
		p->consent = sqlite3_column_int(registered, 3) == 1;
		if (!(p->name = dup_column(registered, 1)))
			return -ENOMEM;
	}
	return 0;
}

/* The registry and the badges in meetings, merged in uid order (BINARY,
 * strcmp order) from two walks: the attendees' primary key and the index
 * meeting_badges(uid, meeting_id), which also counts each badge's meetings
 * without a sort. A union of the two would build a temporary B-tree of two
 * million entries. */
static int people(struct tm_store *s, struct tm_report *r, size_t top_orgs)
{
	/* consent arrived with schema 6; before it nobody had said yes. */
	char *sql = sqlite3_mprintf("SELECT uid, name, org, %s FROM attendees ORDER BY uid",
				    s->schema >= 6 ? "consent" : "0");
	sqlite3_stmt *reg = NULL, *met = NULL;
	char **orgs = NULL; /* each person's organisation, until they are ranked */
	size_t cap = 0, orgs_cap = 0;
	int rc, reg_rc, met_rc;

	rc = store_prepare_printed(s, sql, &reg);
	if (rc == 0)
		rc = store_prepare(s, "SELECT uid, count(*) FROM meeting_badges GROUP BY uid ORDER BY uid",
				   &met);
	if (rc < 0)
		goto out;
	reg_rc = sqlite3_step(reg);
	met_rc = sqlite3_step(met);
	while (rc == 0 && (reg_rc == SQLITE_ROW || met_rc == SQLITE_ROW)) {
		const char *ru = reg_rc == SQLITE_ROW ? (const char *)sqlite3_column_text(reg, 0) : NULL;
		const char *mu = met_rc == SQLITE_ROW ? (const char *)sqlite3_column_text(met, 0) : NULL;
		int c = !ru ? 1 : !mu ? -1 : strcmp(ru, mu);

		rc = add_person(r, &cap, &orgs, &orgs_cap, c <= 0 ? ru : mu, c <= 0 ? reg : NULL,
				c >= 0 ? sqlite3_column_int64(met, 1) : 0);
		if (c <= 0)
			reg_rc = sqlite3_step(reg);
		if (c >= 0)
			met_rc = sqlite3_step(met);
	}
	if (rc == 0 && (reg_rc != SQLITE_DONE || met_rc != SQLITE_DONE))
		rc = store_fail(s, reg_rc != SQLITE_DONE ? reg_rc : met_rc, "report people");
	if (rc == 0)
		rc = rank_orgs(r, orgs, top_orgs);
out:
	sqlite3_finalize(reg);
	sqlite3_finalize(met);
	for (size_t i = 0; i < r->n_people; i++)
		free(orgs[i]);
	free(orgs);
	return rc;
}

/* uid -> position in people: open addressing, one lookup per badge of
 * every meeting (a binary search was a third of the walk). */
struct uid_index {
	uint32_t *slot; /* position plus one; 0: empty */
	size_t mask;
};

static uint64_t uid_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static int index_people(const struct tm_report *r, struct uid_index *ix)
{
	size_t n = 64;

	while (n < 2 * r->n_people)
		n *= 2;
	ix->mask = n - 1;
	ix->slot = calloc(n, sizeof(*ix->slot));
	if (!ix->slot)
		return -ENOMEM;
	for (size_t i = 0; i < r->n_people; i++) {
		size_t k = uid_hash(r->people[i].uid) & ix->mask;

		while (ix->slot[k])
			k = (k + 1) & ix->mask;
		ix->slot[k] = (uint32_t)(i + 1);
	}
	return 0;
}

static struct tm_report_person *person_of(const struct tm_report *r, const struct uid_index *ix,
					  const char *uid)
{
	for (size_t k = uid_hash(uid) & ix->mask; ix->slot[k]; k = (k + 1) & ix->mask)
		if (!strcmp(r->people[ix->slot[k] - 1].uid, uid))
			return &r->people[ix->slot[k] - 1];
	return NULL;
}

/* --- pairs -------------------------------------------------------------------- */

/* The strongest pairs so far: a min-heap on (weight, then the later pair in
 * uid order), so that among equals the pairs met first in uid order stay. */
struct strongest {
	struct tm_report_edge *e;
	int64_t *seq;
	size_t n, max;
};

static bool weaker(const struct strongest *h, size_t i, size_t j)
{
	if (h->e[i].weight != h->e[j].weight)
		return h->e[i].weight < h->e[j].weight;
	return h->seq[i] > h->seq[j];
}

static void swap_at(struct strongest *h, size_t i, size_t j)
{
	struct tm_report_edge e = h->e[i];
	int64_t q = h->seq[i];

	h->e[i] = h->e[j];
	h->seq[i] = h->seq[j];
	h->e[j] = e;
	h->seq[j] = q;
}

static void sift_down(struct strongest *h, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, min = i;

		if (l < h->n && weaker(h, l, min))
			min = l;
		if (r < h->n && weaker(h, r, min))
			min = r;
		if (min == i)
			return;
		swap_at(h, i, min);
		i = min;
	}
}

static void keep_if_strong(struct strongest *h, const struct tm_report_edge *e, int64_t seq)
{
	size_t i;

	if (h->max == 0)
		return;
	if (h->n == h->max) {
		/* Equal weight: the one already kept came first. */
		if (e->weight <= h->e[0].weight)
			return;
		h->e[0] = *e;
		h->seq[0] = seq;
		sift_down(h, 0);
		return;
	}
	i = h->n++;
	h->e[i] = *e;
	h->seq[i] = seq;
	while (i > 0 && weaker(h, i, (i - 1) / 2)) {
		swap_at(h, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static int strongest_first(const void *a, const void *b)
{
	const struct tm_report_edge *x = a, *y = b;

	if (x->weight != y->weight)
		return x->weight < y->weight ? 1 : -1;
	if (x->a != y->a)
		return x->a < y->a ? -1 : 1;
	return (x->b > y->b) - (x->b < y->b);
}

/* One pair's meetings, as they are added up. */
static void add_pair(struct tm_report *r, struct strongest *h, size_t a, size_t b,
		     int64_t weight, int64_t suspect)
{
	size_t rows = r->n_orgs + 2;
	struct tm_report_person *pa = &r->people[a], *pb = &r->people[b];
	struct tm_report_edge e = { a, b, weight, suspect };

	pa->people++;
	pb->people++;
	r->org_pairs[pa->org * rows + pb->org] += weight;
	if (pa->org != pb->org)
		r->org_pairs[pb->org * rows + pa->org] += weight;
	keep_if_strong(h, &e, r->pairs++);
}

/* A pair met in one meeting: both people's positions (a < b, so the keys
 * sort in the exports' uid order) and whether the meeting was suspect. */
#define PAIR_KEY(a, b, suspect) (((uint64_t)(a) << 33) | ((uint64_t)(b) << 1) | (suspect))

struct keys {
	uint64_t *v;
	size_t n, cap;
};

static int add_meeting(struct keys *k, const size_t *members, size_t n, bool suspect)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++) {
			size_t a = members[i] < members[j] ? members[i] : members[j];
			size_t b = members[i] < members[j] ? members[j] : members[i];

			if (a == b)
				continue;
			if (grow((void **)&k->v, &k->cap, k->n, sizeof(*k->v)) < 0)
				return -ENOMEM;
			k->v[k->n++] = PAIR_KEY(a, b, suspect ? 1u : 0u);
		}
	return 0;
}

static int by_key(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* The pairs are counted in memory from one walk of meeting_badges in its
 * primary key's order, meeting by meeting, and the suspect meetings' ids
 * (few, sorted the same way) walked alongside: SQLite's GROUP BY over the
 * join of meeting_badges with itself took 16 s at a million meetings. Each
 * pair of a meeting is one 64-bit key; sorted, a pair's meetings lie
 * together. */
static int pairs(struct tm_store *s, struct tm_report *r, size_t max_edges)
{
	struct strongest h = { .max = max_edges };
	struct keys k = { 0 };
	struct uid_index ix = { 0 };
	size_t *members = NULL, n_members = 0, members_cap = 0, meeting_cap = 0;
	char *meeting = NULL; /* the current meeting's id */
	sqlite3_stmt *st = NULL, *doubted = NULL;
	bool suspect = false, more_doubted = false;
	int rc;

	if (r->n_people >= (size_t)1 << 31)
		return store_failf(s, -EOVERFLOW, "report: too many badges");
	h.e = calloc(max_edges ? max_edges : 1, sizeof(*h.e));
	h.seq = calloc(max_edges ? max_edges : 1, sizeof(*h.seq));
	if (!h.e || !h.seq || index_people(r, &ix) < 0) {
		rc = -ENOMEM;
		goto out;
	}
	rc = store_prepare(s, "SELECT meeting_id, uid FROM meeting_badges ORDER BY meeting_id, uid",
			   &st);
	/* Through the partial index meetings_suspect (schema 4). */
	if (rc == 0 && s->schema >= 4)
		rc = store_prepare(s, "SELECT id FROM meetings WHERE suspect <> '' ORDER BY id",
				   &doubted);
	if (rc < 0)
		goto out;
	more_doubted = doubted && sqlite3_step(doubted) == SQLITE_ROW;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		const char *uid = (const char *)sqlite3_column_text(st, 1);
		struct tm_report_person *p;

		if (!id || !uid)
			continue;
		if (!meeting || strcmp(meeting, id)) {
			size_t len = strlen(id) + 1;

			if (add_meeting(&k, members, n_members, suspect) < 0)
				goto nomem;
			n_members = 0;
			if (len > meeting_cap) {
				free(meeting);
				meeting_cap = 2 * len;
				if (!(meeting = malloc(meeting_cap)))
					goto nomem;
			}
			memcpy(meeting, id, len);
			while (more_doubted && strcmp((const char *)sqlite3_column_text(doubted, 0), id) < 0)
				more_doubted = sqlite3_step(doubted) == SQLITE_ROW;
			suspect = more_doubted && !strcmp((const char *)sqlite3_column_text(doubted, 0), id);
		}
		p = person_of(r, &ix, uid);
		if (!p) /* read in the same snapshot: cannot happen */
			continue;
		if (grow((void **)&members, &members_cap, n_members, sizeof(*members)) < 0)
			goto nomem;
		members[n_members++] = (size_t)(p - r->people);
	}
	if (rc != SQLITE_DONE) {
		rc = store_fail(s, rc, "report pairs");
		goto out;
	}
	if (add_meeting(&k, members, n_members, suspect) < 0)
		goto nomem;
	if (k.n) /* qsort wants an array, even of nothing */
		qsort(k.v, k.n, sizeof(*k.v), by_key);
	for (size_t i = 0; i < k.n;) {
		size_t j = i;
		int64_t n_suspect = 0;

		for (; j < k.n && k.v[j] >> 1 == k.v[i] >> 1; j++)
			n_suspect += (int64_t)(k.v[j] & 1);
		add_pair(r, &h, (size_t)(k.v[i] >> 33), (size_t)((k.v[i] >> 1) & 0xffffffffu),
			 (int64_t)(j - i), n_suspect);
		i = j;
	}
	qsort(h.e, h.n, sizeof(*h.e), strongest_first);
	r->edges = h.e;
	r->n_edges = h.n;
	h.e = NULL;
	rc = 0;
	goto out;
nomem:
	rc = -ENOMEM;
out:
	sqlite3_finalize(st);
	sqlite3_finalize(doubted);
	free(meeting);
	free(members);
	free(ix.slot);
	free(k.v);
	free(h.e);
	free(h.seq);
	return rc;
}

/* --- stations ------------------------------------------------------------------ */

static int by_station_id(const void *a, const void *b, void *ctx)
{
	const struct tm_report_station *t = ctx;

	return strcmp(t[*(const size_t *)a].id, t[*(const size_t *)b].id);
}

static int slot_order(const void *a, const void *b)
{
	const struct tm_report_slot *x = a, *y = b;

	if (x->station != y->station)
		return x->station < y->station ? -1 : 1;
	return (x->hour > y->hour) - (x->hour < y->hour);
}

/* The station of that id, added (not listed) when new; NULL when out of memory. */
static struct tm_report_station *station_of(struct tm_report *r, size_t *cap, const char *id)
{
	struct tm_report_station *t;

	for (size_t i = r->n_stations; i-- > 0;)
		if (!strcmp(r->stations[i].id, id))
			return &r->stations[i];
	if (grow((void **)&r->stations, cap, r->n_stations, sizeof(*r->stations)) < 0)
		return NULL;
	t = &r->stations[r->n_stations++];
	memset(t, 0, sizeof(*t));
	snprintf(t->id, sizeof(t->id), "%s", id);
	return t;
}

/* Each station's meetings or taps: its ids by a loose scan of UNIQUE
 * (station, seq), then one range count per station on the same index, as
 * `tapmeet stats` does. Grouping every row by station sorts a million. */
static int station_counts(struct tm_store *s, struct tm_report *r, size_t *cap, bool taps)
{
	const char *table = taps ? "taps" : "meetings";
	char *sql = sqlite3_mprintf(
		"WITH RECURSIVE s(id) AS (SELECT min(station) FROM %s "
		"UNION ALL SELECT (SELECT min(station) FROM %s WHERE station > s.id) "
		"FROM s WHERE s.id IS NOT NULL) "
		"SELECT id, (SELECT count(*) FROM %s m WHERE m.station = s.id) FROM s "
		"WHERE id IS NOT NULL",
		table, table, table);
	sqlite3_stmt *st;
	int rc;

	rc = store_prepare_printed(s, sql, &st);
	if (rc < 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct tm_report_station *t =
			station_of(r, cap, (const char *)sqlite3_column_text(st, 0));

		if (!t) {
			rc = SQLITE_NOMEM;
			break;
		}
		*(taps ? &t->taps : &t->meetings) = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : rc == SQLITE_NOMEM ? -ENOMEM : store_fail(s, rc, table);
}

/* The rows written with an unsynchronised clock, per station and hour:
 * one scan of the table (no index knows the clock), and only those few
 * rows grouped. NOT INDEXED: to group by station without a sort, the
 * planner walks UNIQUE (station, seq) and looks up every row, a random
 * read each (5 s for two million taps against 0.7 s). */
static int unsynced(struct tm_store *s, struct tm_report *r, size_t *station_cap,
		    size_t *slot_cap, bool taps)
{
	const char *table = taps ? "taps" : "meetings";
	char *sql = sqlite3_mprintf("SELECT station, utc_ms / 3600000, count(*) FROM %s NOT INDEXED "
				    "WHERE clock_synced = 0 GROUP BY 1, 2",
				    table);
	sqlite3_stmt *st;
	int rc;

	rc = store_prepare_printed(s, sql, &st);
	if (rc < 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		struct tm_report_station *t = station_of(r, station_cap, id ? id : "");
		struct tm_report_slot *slot;
		int64_t n = sqlite3_column_int64(st, 2);

		if (!t || grow((void **)&r->slots, slot_cap, r->n_slots, sizeof(*r->slots)) < 0) {
			rc = SQLITE_NOMEM;
			break;
		}
		slot = &r->slots[r->n_slots++];
		memset(slot, 0, sizeof(*slot));
		/* Its position of arrival; sort_stations makes it the sorted one. */
		slot->station = (size_t)(t - r->stations);
		slot->hour = sqlite3_column_int64(st, 1);
		*(taps ? &slot->unsynced_taps : &slot->unsynced_meetings) = n;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : rc == SQLITE_NOMEM ? -ENOMEM : store_fail(s, rc, table);
}

/* Orders the stations by id, their slots by station and hour (one slot
 * per hour, meetings and taps together), and sums each station's rows. */
static int sort_stations(struct tm_report *r)
{
	size_t n = r->n_stations, *order = calloc(n ? n : 1, sizeof(*order));
	size_t *rank = calloc(n ? n : 1, sizeof(*rank));
	struct tm_report_station *sorted = calloc(n ? n : 1, sizeof(*sorted));
	size_t kept = 0;

	if (!order || !rank || !sorted) {
		free(order);
		free(rank);
		free(sorted);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	qsort_r(order, n, sizeof(*order), by_station_id, r->stations);
	for (size_t k = 0; k < n; k++) {
		sorted[k] = r->stations[order[k]];
		rank[order[k]] = k;
	}
	free(r->stations);
	r->stations = sorted;
	for (size_t i = 0; i < r->n_slots; i++)
		r->slots[i].station = rank[r->slots[i].station];
	if (r->n_slots)
		qsort(r->slots, r->n_slots, sizeof(*r->slots), slot_order);
	for (size_t i = 0; i < r->n_slots; i++) {
		struct tm_report_slot *in = &r->slots[i], *out = &r->slots[kept ? kept - 1 : 0];
		struct tm_report_station *t = &r->stations[in->station];

		t->unsynced_meetings += in->unsynced_meetings;
		t->unsynced_taps += in->unsynced_taps;
		if (kept && out->station == in->station && out->hour == in->hour) {
			out->unsynced_meetings += in->unsynced_meetings;
			out->unsynced_taps += in->unsynced_taps;
		} else {
			r->slots[kept++] = *in;
		}
	}
	r->n_slots = kept;
	free(order);
	free(rank);
	return 0;
}

static int stations(struct tm_store *s, struct tm_report *r)
{
	static const char sql[] =
		"SELECT id, name, reader_state, status_detail, heartbeat_utc, started_utc, "
		" storage_fault, clock_synced FROM stations";
	size_t cap = 0, slot_cap = 0;
	sqlite3_stmt *st;
	int rc = store_prepare(s, sql, &st);

	if (rc < 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct tm_report_station *t;

		if (grow((void **)&r->stations, &cap, r->n_stations, sizeof(*r->stations)) < 0) {
			rc = SQLITE_NOMEM;
			break;
		}
		t = &r->stations[r->n_stations++];
		memset(t, 0, sizeof(*t));
		snprintf(t->id, sizeof(t->id), "%s", (const char *)sqlite3_column_text(st, 0));
		t->listed = true;
		t->name = dup_column(st, 1);
		t->reader_state = dup_column(st, 2);
		t->detail = dup_column(st, 3);
		t->heartbeat_utc = dup_column(st, 4);
		t->started_utc = dup_column(st, 5);
		t->storage_fault = sqlite3_column_int(st, 6) != 0;
		t->clock_synced = sqlite3_column_int(st, 7) != 0;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return rc == SQLITE_NOMEM ? -ENOMEM : store_fail(s, rc, "report stations");
	if ((rc = station_counts(s, r, &cap, false)) < 0 ||
	    (rc = station_counts(s, r, &cap, true)) < 0 ||
	    (rc = unsynced(s, r, &cap, &slot_cap, false)) < 0 ||
	    (rc = unsynced(s, r, &cap, &slot_cap, true)) < 0)
		return rc;

	return sort_stations(r);
}

/* --- the whole report ----------------------------------------------------------- */

int tm_store_report(struct tm_store *s, const struct tm_report_query *q, struct tm_report *r)
{
	int rc;

	memset(r, 0, sizeof(*r));
	rc = tm_store_read_begin(s);
	if (rc == 0)
		rc = people(s, r, q->top_orgs);
	if (rc == 0)
		rc = pairs(s, r, q->max_edges);
	if (rc == 0)
		rc = stations(s, r);
	/* Last: tm_store_stats joins the snapshot begun here, and ends it. */
	if (rc == 0)
		rc = tm_store_stats(s, &r->stats);
	tm_store_read_end(s);
	if (rc < 0)
		tm_report_free(r);
	return rc;
}

void tm_report_free(struct tm_report *r)
{
	for (size_t i = 0; i < r->n_people; i++)
		free(r->people[i].name);
	free(r->people);
	for (size_t i = 0; i < r->n_orgs && r->orgs; i++)
		free(r->orgs[i]);
	free(r->orgs);
	free(r->org_people);
	free(r->org_pairs);
	for (size_t i = 0; i < r->n_stations; i++) {
		free(r->stations[i].name);
		free(r->stations[i].reader_state);
		free(r->stations[i].detail);
		free(r->stations[i].heartbeat_utc);
		free(r->stations[i].started_utc);
	}
	free(r->stations);
	free(r->slots);
	free(r->edges);
	tm_stats_free(&r->stats);
	memset(r, 0, sizeof(*r));
}
