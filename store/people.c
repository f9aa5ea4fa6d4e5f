/* `tapmeet people`: every badge with its meetings, the distinct people it
 * met, and its first and last tap.
 *
 * The distinct people are the expensive figure. In SQL they are a join of
 * meeting_badges with itself: one primary-key seek per badge of every
 * meeting, about half a second at 150,000 meetings however large the page
 * cache. Here they are counted in memory from one walk of meeting_badges in
 * its primary key's order, meeting by meeting: each badge's meetings are
 * gathered, then its partners counted with one stamp per badge (no sort, no
 * set). The other figures come from walks in uid order too: the registry,
 * and the taps (from schema 5 the index taps_uid_time, whose first and last
 * entry of a badge are its first and last tap). Per-badge subqueries would
 * cost a seek each, and the union of the three lists a temporary B-tree.
 *
 * The badges reach SQL as the virtual table tm_people(table), whose
 * argument is a bound pointer (sqlite3_bind_pointer): the listing joins the
 * names and sorts as before, and the table lives exactly as long as its
 * rows. */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define PARTNERS_TYPE "tm_partners"

/* Text kept one string after the other, NUL-terminated, by offset. */
struct arena {
	char *v;
	size_t len, cap;
};

/* One badge: what the listing shows of it. */
struct badge {
	bool tapped;            /* has taps: first and last are set */
	size_t first, last;     /* its first and last tap's time: offsets in times */
	bool listed;            /* registered, in a meeting, or in a tap not rejected */
	uint32_t meetings, met; /* met: distinct people */
};

struct partners {
	struct tm_store *store;
	bool own_read; /* the snapshot was begun for these rows: ended with them */
	/* uid -> index: open addressing, one lookup per badge of every
	 * meeting. A slot holds part of the hash, so that a probe of another
	 * badge's slot reads no uid; the uids are kept apart from the rest. */
	struct slot {
		uint32_t index; /* plus one; 0: empty */
		uint32_t tag;   /* the hash's high half */
	} *slot;
	size_t n_slots; /* a power of two, at least twice n */
	struct arena uids, times;
	size_t *uid_at; /* index -> offset of its uid in uids */
	struct badge *b;
	size_t n, cap;
};

/* A growable array of uint32_t. */
struct u32s {
	uint32_t *v;
	size_t n, cap;
};

static int u32s_push(struct u32s *a, uint32_t x)
{
	if (a->n == a->cap) {
		size_t cap = a->cap ? 2 * a->cap : 4096;
		uint32_t *v = realloc(a->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		a->v = v;
		a->cap = cap;
	}
	a->v[a->n++] = x;
	return 0;
}

static uint64_t hash(const char *s, size_t len)
{
	uint64_t h = 14695981039346656037ULL; /* FNV-1a */

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	/* FNV's low bits, the ones a slot is taken from, mix poorly: fold
	 * the high ones in (the finalizer of MurmurHash3). */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

/* The slot of uid: its own, or the empty one where it would go. */
static struct slot *slot_of(const struct partners *p, const char *uid, size_t len, uint64_t h)
{
	size_t mask = p->n_slots - 1, i = h & mask;
	uint32_t tag = (uint32_t)(h >> 32);

	for (;; i = (i + 1) & mask) {
		struct slot *sl = &p->slot[i];
		const char *key;

		if (!sl->index)
			return sl;
		if (sl->tag != tag)
			continue;
		key = p->uids.v + p->uid_at[sl->index - 1];
		if (!strncmp(key, uid, len) && key[len] == '\0')
			return sl;
	}
}

static int grow_slots(struct partners *p)
{
	size_t n_slots = p->n_slots ? 2 * p->n_slots : 4096;
	struct slot *old = p->slot;
	size_t old_n = p->n_slots;

	p->slot = calloc(n_slots, sizeof(*p->slot));
	if (!p->slot) {
		p->slot = old;
		return -ENOMEM;
	}
	p->n_slots = n_slots;
	for (size_t i = 0; i < old_n; i++) {
		if (old[i].index) {
			const char *key = p->uids.v + p->uid_at[old[i].index - 1];
			size_t len = strlen(key);

			*slot_of(p, key, len, hash(key, len)) = old[i];
		}
	}
	free(old);
	return 0;
}

/* Copies len bytes of text into a; *at is where. */
static int keep_text(struct arena *a, const char *text, size_t len, size_t *at)
{
	if (a->len + len + 1 > a->cap) {
		size_t cap = a->cap ? 2 * a->cap : 65536;
		char *v;

		while (cap < a->len + len + 1)
			cap *= 2;
		v = realloc(a->v, cap);
		if (!v)
			return -ENOMEM;
		a->v = v;
		a->cap = cap;
	}
	memcpy(a->v + a->len, text, len);
	a->v[a->len + len] = '\0';
	*at = a->len;
	a->len += len + 1;
	return 0;
}

/* The index of uid, added when new. */
static int index_of(struct partners *p, const char *uid, size_t len, uint32_t *out)
{
	uint64_t h = hash(uid, len);
	struct slot *sl;
	int rc;

	if (2 * (p->n + 1) > p->n_slots && grow_slots(p) < 0)
		return -ENOMEM;
	sl = slot_of(p, uid, len, h);
	if (sl->index) {
		*out = sl->index - 1;
		return 0;
	}
	if (p->n >= UINT32_MAX - 1)
		return -EOVERFLOW;
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 1024;
		struct badge *b = realloc(p->b, cap * sizeof(*b));
		size_t *at = b ? realloc(p->uid_at, cap * sizeof(*at)) : NULL;

		if (b)
			p->b = b;
		if (!at)
			return -ENOMEM;
		p->uid_at = at;
		p->cap = cap;
	}
	memset(&p->b[p->n], 0, sizeof(p->b[0]));
	if ((rc = keep_text(&p->uids, uid, len, &p->uid_at[p->n])))
		return rc;
	*out = (uint32_t)p->n;
	sl->index = (uint32_t)++p->n;
	sl->tag = (uint32_t)(h >> 32);
	return 0;
}

static void partners_free(void *ptr)
{
	struct partners *p = ptr;

	if (!p)
		return;
	if (p->own_read)
		tm_store_read_end(p->store);
	free(p->slot);
	free(p->uids.v);
	free(p->times.v);
	free(p->uid_at);
	free(p->b);
	free(p);
}

/* Copies len bytes of text and a NUL into *buf, grown as needed: the value
 * of the row before, which the next step takes away. */
static int hold(char **buf, size_t *cap, const char *text, size_t len)
{
	if (len + 1 > *cap) {
		char *b = realloc(*buf, len + 1);

		if (!b)
			return -ENOMEM;
		*buf = b;
		*cap = len + 1;
	}
	memcpy(*buf, text, len);
	(*buf)[len] = '\0';
	return 0;
}

/* Appends the start of a meeting: its first badge's place in members. */
static int push_start(struct u32s *starts, size_t at)
{
	return at > UINT32_MAX ? -EOVERFLOW : u32s_push(starts, (uint32_t)at);
}

/* Walks meeting_badges meeting by meeting: members holds each meeting's
 * badges (as indexes), starts where each meeting begins in members, plus
 * where the last one ends. */
static int walk_meetings(struct partners *p, struct u32s *members, struct u32s *starts)
{
	struct tm_store *s = p->store;
	sqlite3_stmt *st;
	char *last = NULL; /* the current meeting's id */
	size_t last_len = 0, last_cap = 0;
	int err = 0, rc = store_prepare(s, "SELECT meeting_id, uid FROM meeting_badges "
					   "ORDER BY meeting_id, uid", &st);

	if (rc < 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		size_t id_len = (size_t)sqlite3_column_bytes(st, 0);
		const char *uid = (const char *)sqlite3_column_text(st, 1);
		size_t uid_len = (size_t)sqlite3_column_bytes(st, 1);
		uint32_t idx;

		if (!id || !uid) /* NULL in a NOT NULL column, or out of memory */
			continue;
		if (!last || id_len != last_len || memcmp(id, last, id_len)) {
			if ((err = hold(&last, &last_cap, id, id_len)) ||
			    (err = push_start(starts, members->n)))
				goto cleanup;
			last_len = id_len;
		}
		if ((err = index_of(p, uid, uid_len, &idx)) || (err = u32s_push(members, idx)))
			goto cleanup;
	}
	if (rc == SQLITE_DONE)
		err = push_start(starts, members->n);
cleanup:
	sqlite3_finalize(st);
	free(last);
	if (err)
		return store_failf(s, err, "people: %s", strerror(-err));
	return rc == SQLITE_DONE ? 0 : store_fail(s, rc, "people");
}

/* For every badge u, its meetings and the distinct people it met: the
 * meetings of each badge (by_badge, grouped by badge), then its partners in
 * them, each counted the first time it is met: seen[v] holds the last badge
 * that counted v, plus one. */
static int count_partners(struct partners *p, const struct u32s *members, const struct u32s *starts)
{
	size_t n_meetings = starts->n - 1;
	uint32_t *at = calloc(p->n + 1, sizeof(*at));
	uint32_t *by_badge = malloc((members->n ? members->n : 1) * sizeof(*by_badge));
	uint32_t *seen = calloc(p->n ? p->n : 1, sizeof(*seen));
	int rc = 0;

	if (!at || !by_badge || !seen) {
		rc = store_failf(p->store, -ENOMEM, "people: out of memory");
		goto cleanup;
	}
	/* Counted, summed: badge u's meetings go from at[u] to at[u + 1];
	 * filled in, at[u] moves up to where the next badge's begin. */
	for (size_t i = 0; i < members->n; i++)
		at[members->v[i] + 1]++;
	for (size_t u = 0; u < p->n; u++)
		at[u + 1] += at[u];
	for (size_t m = 0; m < n_meetings; m++)
		for (uint32_t i = starts->v[m]; i < starts->v[m + 1]; i++)
			by_badge[at[members->v[i]]++] = (uint32_t)m;
	for (size_t u = 0; u < p->n; u++) {
		uint32_t from = u ? at[u - 1] : 0, met = 0;

		for (uint32_t k = from; k < at[u]; k++) {
			uint32_t m = by_badge[k];

			for (uint32_t i = starts->v[m]; i < starts->v[m + 1]; i++) {
				uint32_t v = members->v[i];

				if (v != u && seen[v] != u + 1) {
					seen[v] = (uint32_t)u + 1;
					met++;
				}
			}
		}
		p->b[u].meetings = at[u] - from;
		p->b[u].met = met;
		p->b[u].listed |= at[u] > from;
	}
cleanup:
	free(at);
	free(by_badge);
	free(seen);
	return rc;
}

/* The registry: every attendee is listed. */
static int walk_attendees(struct partners *p)
{
	sqlite3_stmt *st;
	int err = 0, rc = store_prepare(p->store, "SELECT uid FROM attendees", &st);

	if (rc < 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *uid = (const char *)sqlite3_column_text(st, 0);
		uint32_t idx;

		if (!uid) /* no badge to show */
			continue;
		if ((err = index_of(p, uid, (size_t)sqlite3_column_bytes(st, 0), &idx)))
			break;
		p->b[idx].listed = true;
	}
	sqlite3_finalize(st);
	if (err)
		return store_failf(p->store, err, "people: %s", strerror(-err));
	return rc == SQLITE_DONE ? 0 : store_fail(p->store, rc, "people");
}

/* Ends a badge's run of taps: its last time is the run's. */
static int end_taps(struct partners *p, uint32_t cur, const char *last, size_t last_len)
{
	if (cur == UINT32_MAX || !p->b[cur].tapped)
		return 0;
	return keep_text(&p->times, last, last_len, &p->b[cur].last);
}

/* The taps in (uid, time) order: a badge's first row is its first tap and
 * its last row its last (a time that is NULL, which the schema forbids,
 * would come first and count as none, as min() and max() count it). A
 * badge whose every tap was rejected (a phone) has times but is listed only
 * when registered or in a meeting. From schema 5 the order is that of the
 * index taps_uid_time, with nothing to sort. */
static int walk_taps(struct partners *p)
{
	struct tm_store *s = p->store;
	sqlite3_stmt *st;
	char *last = NULL; /* the time of the row before */
	size_t last_len = 0, last_cap = 0;
	uint32_t cur = UINT32_MAX;
	/* Before schema 5 the planner would walk taps_uid and read each tap's
	 * row at random (14 s on a million meetings); one read of the table
	 * and a sort take a sixth of that. */
	int err = 0, rc = store_prepare(s, s->schema >= 5 ?
						   "SELECT uid, time_utc, outcome <> 'rejected' FROM taps "
						   "ORDER BY uid, time_utc" :
						   "SELECT uid, time_utc, outcome <> 'rejected' FROM taps "
						   "NOT INDEXED ORDER BY uid, time_utc",
					&st);

	if (rc < 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *uid = (const char *)sqlite3_column_text(st, 0);
		size_t len = (size_t)sqlite3_column_bytes(st, 0);
		const char *time = (const char *)sqlite3_column_text(st, 1);
		size_t time_len = (size_t)sqlite3_column_bytes(st, 1);

		if (!uid)
			continue;
		if (cur == UINT32_MAX || strncmp(p->uids.v + p->uid_at[cur], uid, len) ||
		    p->uids.v[p->uid_at[cur] + len]) {
			if ((err = end_taps(p, cur, last, last_len)) || (err = index_of(p, uid, len, &cur)))
				break;
		}
		p->b[cur].listed |= sqlite3_column_int(st, 2) != 0;
		if (!time)
			continue;
		if (!p->b[cur].tapped) {
			if ((err = keep_text(&p->times, time, time_len, &p->b[cur].first)))
				break;
			p->b[cur].tapped = true;
		}
		if ((err = hold(&last, &last_cap, time, time_len)))
			break;
		last_len = time_len;
	}
	if (!err && rc == SQLITE_DONE)
		err = end_taps(p, cur, last, last_len);
	sqlite3_finalize(st);
	free(last);
	if (err)
		return store_failf(s, err, "people: %s", strerror(-err));
	return rc == SQLITE_DONE ? 0 : store_fail(s, rc, "people");
}

/* --- the virtual table tm_people(table) ---------------------------------- */

enum { COL_UID, COL_MEETINGS, COL_PEOPLE, COL_FIRST, COL_LAST, COL_TABLE };

struct people_cursor {
	sqlite3_vtab_cursor base;
	const struct partners *p;
	size_t i; /* the current badge; p->n at the end */
};

static int vt_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
		      sqlite3_vtab **out, char **err)
{
	int rc;

	(void)aux;
	(void)argc;
	(void)argv;
	(void)err;
	rc = sqlite3_declare_vtab(db, "CREATE TABLE x(uid, meetings, people, first_seen, "
				      "last_seen, tab HIDDEN)");
	if (rc != SQLITE_OK)
		return rc;
	*out = sqlite3_malloc(sizeof(**out));
	if (!*out)
		return SQLITE_NOMEM;
	memset(*out, 0, sizeof(**out));
	return SQLITE_OK;
}

static int vt_disconnect(sqlite3_vtab *vt)
{
	sqlite3_free(vt);
	return SQLITE_OK;
}

/* The table argument is required: without it there are no rows to give. */
static int vt_best_index(sqlite3_vtab *vt, sqlite3_index_info *info)
{
	(void)vt;
	for (int i = 0; i < info->nConstraint; i++) {
		const struct sqlite3_index_constraint *c = &info->aConstraint[i];

		if (c->iColumn != COL_TABLE || c->op != SQLITE_INDEX_CONSTRAINT_EQ)
			continue;
		if (!c->usable)
			return SQLITE_CONSTRAINT;
		info->aConstraintUsage[i].argvIndex = 1;
		info->aConstraintUsage[i].omit = 1;
		info->estimatedCost = 1000;
		return SQLITE_OK;
	}
	return SQLITE_CONSTRAINT;
}

static int vt_open(sqlite3_vtab *vt, sqlite3_vtab_cursor **out)
{
	struct people_cursor *c = sqlite3_malloc(sizeof(*c));

	(void)vt;
	if (!c)
		return SQLITE_NOMEM;
	memset(c, 0, sizeof(*c));
	*out = &c->base;
	return SQLITE_OK;
}

static int vt_close(sqlite3_vtab_cursor *cur)
{
	sqlite3_free(cur);
	return SQLITE_OK;
}

/* Skips the badges not listed (seen only in rejected taps). */
static void vt_skip(struct people_cursor *c)
{
	while (c->p && c->i < c->p->n && !c->p->b[c->i].listed)
		c->i++;
}

static int vt_filter(sqlite3_vtab_cursor *cur, int idx, const char *idx_str, int argc,
		     sqlite3_value **argv)
{
	struct people_cursor *c = (struct people_cursor *)cur;

	(void)idx;
	(void)idx_str;
	c->p = argc > 0 ? sqlite3_value_pointer(argv[0], PARTNERS_TYPE) : NULL;
	c->i = 0;
	vt_skip(c);
	return SQLITE_OK;
}

static int vt_next(sqlite3_vtab_cursor *cur)
{
	struct people_cursor *c = (struct people_cursor *)cur;

	c->i++;
	vt_skip(c);
	return SQLITE_OK;
}

static int vt_eof(sqlite3_vtab_cursor *cur)
{
	const struct people_cursor *c = (const struct people_cursor *)cur;

	return !c->p || c->i >= c->p->n;
}

static int vt_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col)
{
	const struct people_cursor *c = (const struct people_cursor *)cur;
	const struct badge *b = &c->p->b[c->i];

	switch (col) {
	case COL_UID:
		sqlite3_result_text(ctx, c->p->uids.v + c->p->uid_at[c->i], -1, SQLITE_TRANSIENT);
		break;
	case COL_MEETINGS:
		sqlite3_result_int64(ctx, b->meetings);
		break;
	case COL_PEOPLE:
		sqlite3_result_int64(ctx, b->met);
		break;
	case COL_FIRST:
	case COL_LAST:
		/* NULL without taps, as min() and max() of none. */
		if (b->tapped)
			sqlite3_result_text(ctx, c->p->times.v + (col == COL_FIRST ? b->first : b->last), -1,
					    SQLITE_TRANSIENT);
		break;
	default:
		break;
	}
	return SQLITE_OK;
}

static int vt_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid)
{
	*rowid = (sqlite3_int64)((const struct people_cursor *)cur)->i;
	return SQLITE_OK;
}

static const sqlite3_module people_module = {
	.iVersion = 0,
	.xCreate = NULL, /* eponymous only: tm_people(table) in a FROM clause */
	.xConnect = vt_connect,
	.xBestIndex = vt_best_index,
	.xDisconnect = vt_disconnect,
	.xOpen = vt_open,
	.xClose = vt_close,
	.xFilter = vt_filter,
	.xNext = vt_next,
	.xEof = vt_eof,
	.xColumn = vt_column,
	.xRowid = vt_rowid,
};

int store_register_people_table(sqlite3 *db)
{
	return sqlite3_create_module(db, "tm_people", &people_module, NULL);
}

/* The names joined and the order as they always were: registered people by
 * folded name (fold.c), then unknown badges, each by uid. */
static const char people_sql[] =
	"SELECT p.uid AS uid, a.name AS name, a.org AS org, p.meetings AS meetings, "
	" p.people AS people, p.first_seen AS \"first_seen|time\", "
	" p.last_seen AS \"last_seen|time\" "
	"FROM tm_people(?1) p LEFT JOIN attendees a ON a.uid = p.uid "
	"ORDER BY a.name IS NULL, tm_fold(a.name), a.name, p.uid";

int tm_store_people(struct tm_store *s, struct tm_rows **out)
{
	struct u32s members = { 0 }, starts = { 0 };
	struct partners *p = calloc(1, sizeof(*p));
	sqlite3_stmt *st = NULL;
	int rc;

	*out = NULL;
	if (!p)
		return -ENOMEM;
	p->store = s;
	/* The walks and the listing must describe the same moment. */
	p->own_read = !s->in_read && !s->in_batch;
	rc = tm_store_read_begin(s);
	if (rc < 0) {
		p->own_read = false;
		goto cleanup;
	}
	rc = walk_attendees(p);
	if (rc == 0)
		rc = walk_meetings(p, &members, &starts);
	if (rc == 0)
		rc = count_partners(p, &members, &starts);
	if (rc == 0)
		rc = walk_taps(p);
	if (rc == 0)
		rc = store_prepare(s, people_sql, &st);
	if (rc < 0)
		goto cleanup;
	sqlite3_bind_pointer(st, 1, p, PARTNERS_TYPE, NULL);
	rc = store_rows(s, st, out);
	if (rc == 0) {
		store_rows_keep(*out, p, partners_free);
		p = NULL;
	}
cleanup:
	free(members.v);
	free(starts.v);
	partners_free(p);
	return rc;
}
