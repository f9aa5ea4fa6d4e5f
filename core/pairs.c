/* The repeat guard's memory. See include/tapmeet/pairs.h.
 *
 * A slab of entries addressed by an open-addressing index (linear probing,
 * at most half full, deletion by backward shift so no tombstones pile up
 * between rebuilds), and a list of the live entries in time order threaded
 * through the slab. The list is what makes expiry cheap: the oldest pairs
 * are at its head, so expiry looks at one entry when nothing is due and
 * otherwise only at the ones it forgets. Growing and shrinking rebuild both
 * arrays at the new size, copying the entries in time order. */
#include "tapmeet/pairs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MIN_CAP 8
/* Entry numbers (slot + 1) are uint32_t and the index has 2 * cap buckets. */
#define MAX_CAP ((size_t)1 << 30)

/* The pair in one order whatever order it was given in, zero-padded, so
 * that equality is one memcmp and the hash needs no commutative trick. */
struct pair_key {
	uint8_t len[2];
	uint8_t uid[2][TM_UID_MAX_BYTES];
};

struct tm_pairs_entry {
	int64_t met_ms;
	uint32_t hash;
	uint32_t older, newer; /* entry numbers, 0 = none */
	struct pair_key key;
};

static size_t uid_len(const struct tm_badge *b)
{
	return b->uid_len < TM_UID_MAX_BYTES ? b->uid_len : TM_UID_MAX_BYTES;
}

static int badge_cmp(const struct tm_badge *a, const struct tm_badge *b)
{
	size_t la = uid_len(a), lb = uid_len(b);

	if (la != lb)
		return la < lb ? -1 : 1;
	return memcmp(a->uid, b->uid, la);
}

static void make_key(struct pair_key *k, const struct tm_badge *a, const struct tm_badge *b)
{
	const struct tm_badge *lo = a, *hi = b;

	if (badge_cmp(a, b) > 0) {
		lo = b;
		hi = a;
	}
	memset(k, 0, sizeof(*k));
	k->len[0] = (uint8_t)uid_len(lo);
	k->len[1] = (uint8_t)uid_len(hi);
	memcpy(k->uid[0], lo->uid, k->len[0]);
	memcpy(k->uid[1], hi->uid, k->len[1]);
}

/* FNV-1a, then a finalizer: FNV's low bits alone, which pick the bucket,
 * are weak for keys that differ only in their last bytes. */
static uint32_t key_hash(const struct pair_key *k)
{
	const uint8_t *bytes = (const uint8_t *)k;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < sizeof(*k); i++) {
		h ^= bytes[i];
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (uint32_t)h;
}

static struct tm_pairs_entry *entry(const struct tm_pairs *p, uint32_t n)
{
	return &p->entries[n - 1];
}

static size_t index_mask(const struct tm_pairs *p)
{
	return 2 * p->cap - 1;
}

/* The bucket holding the key, or the empty bucket where it would go. */
static size_t find(const struct tm_pairs *p, const struct pair_key *k, uint32_t hash)
{
	size_t mask = index_mask(p), i = hash & mask;

	while (p->index[i]) {
		const struct tm_pairs_entry *e = entry(p, p->index[i]);

		if (e->hash == hash && memcmp(&e->key, k, sizeof(*k)) == 0)
			break;
		i = (i + 1) & mask;
	}
	return i;
}

static void index_delete(struct tm_pairs *p, size_t hole)
{
	size_t mask = index_mask(p), j = hole;

	/* Pull later members of the probe run back into the hole unless their
	 * home bucket lies cyclically after the hole, where a lookup starting
	 * there would no longer pass through it. */
	for (;;) {
		size_t home;

		j = (j + 1) & mask;
		if (!p->index[j])
			break;
		home = entry(p, p->index[j])->hash & mask;
		if (hole <= j ? (home <= hole || home > j) : (home <= hole && home > j)) {
			p->index[hole] = p->index[j];
			hole = j;
		}
	}
	p->index[hole] = 0;
}

static void unlink_time(struct tm_pairs *p, uint32_t n)
{
	struct tm_pairs_entry *e = entry(p, n);

	if (e->older)
		entry(p, e->older)->newer = e->newer;
	else
		p->oldest = e->newer;
	if (e->newer)
		entry(p, e->newer)->older = e->older;
	else
		p->newest = e->older;
	e->older = e->newer = 0;
}

/* After the last entry not newer than it: usually the newest, since the
 * daemon's times come from a monotonic clock. */
static void link_time(struct tm_pairs *p, uint32_t n)
{
	struct tm_pairs_entry *e = entry(p, n);
	uint32_t before = p->newest;

	while (before && entry(p, before)->met_ms > e->met_ms)
		before = entry(p, before)->older;
	e->older = before;
	if (before) {
		e->newer = entry(p, before)->newer;
		entry(p, before)->newer = n;
	} else {
		e->newer = p->oldest;
		p->oldest = n;
	}
	if (e->newer)
		entry(p, e->newer)->older = n;
	else
		p->newest = n;
}

/* Moves the live entries, oldest first, into arrays sized for cap; on
 * failure the set is left as it was. */
static int rebuild(struct tm_pairs *p, size_t cap)
{
	struct tm_pairs_entry *entries;
	uint32_t *index;
	size_t i = 0, mask = 2 * cap - 1;

	if (cap > MAX_CAP || cap < p->count)
		return -ENOMEM;
	entries = calloc(cap, sizeof(*entries));
	index = calloc(2 * cap, sizeof(*index));
	if (!entries || !index) {
		free(entries);
		free(index);
		return -ENOMEM;
	}
	for (uint32_t n = p->oldest; n; n = entry(p, n)->newer, i++) {
		size_t b;

		entries[i] = *entry(p, n);
		entries[i].older = (uint32_t)i;
		entries[i].newer = i + 1 < p->count ? (uint32_t)(i + 2) : 0;
		for (b = entries[i].hash & mask; index[b]; b = (b + 1) & mask)
			;
		index[b] = (uint32_t)(i + 1);
	}
	for (i = p->count; i < cap; i++)
		entries[i].newer = i + 1 < cap ? (uint32_t)(i + 2) : 0;
	free(p->entries);
	free(p->index);
	p->entries = entries;
	p->index = index;
	p->cap = cap;
	p->oldest = p->count ? 1 : 0;
	p->newest = (uint32_t)p->count;
	p->free = p->count < cap ? (uint32_t)(p->count + 1) : 0;
	return 0;
}

void tm_pairs_init(struct tm_pairs *p)
{
	memset(p, 0, sizeof(*p));
}

void tm_pairs_free(struct tm_pairs *p)
{
	free(p->entries);
	free(p->index);
	tm_pairs_init(p);
}

int tm_pairs_put(struct tm_pairs *p, const struct tm_badge *a, const struct tm_badge *b,
		 int64_t t)
{
	struct tm_pairs_entry *e;
	struct pair_key k;
	uint32_t hash, n;
	size_t bucket;
	int rc;

	make_key(&k, a, b);
	hash = key_hash(&k);
	if (p->cap) {
		bucket = find(p, &k, hash);
		if (p->index[bucket]) {
			n = p->index[bucket];
			e = entry(p, n);
			if (t > e->met_ms) {
				unlink_time(p, n);
				e->met_ms = t;
				link_time(p, n);
			}
			return 0;
		}
	}
	if (p->count == p->cap) {
		rc = rebuild(p, p->cap ? 2 * p->cap : MIN_CAP);
		if (rc < 0)
			return rc;
	}
	bucket = find(p, &k, hash);
	n = p->free;
	e = entry(p, n);
	p->free = e->newer;
	e->met_ms = t;
	e->hash = hash;
	e->key = k;
	p->index[bucket] = n;
	link_time(p, n);
	p->count++;
	return 0;
}

bool tm_pairs_last_met(const struct tm_pairs *p, const struct tm_badge *a,
		       const struct tm_badge *b, int64_t *t)
{
	struct pair_key k;
	size_t bucket;
	uint32_t hash;

	if (!p->count)
		return false;
	make_key(&k, a, b);
	hash = key_hash(&k);
	bucket = find(p, &k, hash);
	if (!p->index[bucket])
		return false;
	if (t)
		*t = entry(p, p->index[bucket])->met_ms;
	return true;
}

void tm_pairs_expire(struct tm_pairs *p, int64_t before)
{
	size_t fit = MIN_CAP;
	bool forgot = false;

	while (p->oldest && entry(p, p->oldest)->met_ms < before) {
		uint32_t n = p->oldest;
		struct tm_pairs_entry *e = entry(p, n);

		index_delete(p, find(p, &e->key, e->hash));
		unlink_time(p, n);
		e->newer = p->free;
		p->free = n;
		p->count--;
		forgot = true;
	}
	if (!forgot)
		return;
	if (!p->count) {
		tm_pairs_free(p);
		return;
	}
	if (p->cap <= MIN_CAP || p->count > p->cap / 4)
		return;
	/* Half full after shrinking, so the next few puts do not grow it back. */
	while (fit < 2 * p->count)
		fit *= 2;
	/* A failed shrink keeps the larger arrays, which still work. */
	(void)rebuild(p, fit);
}

size_t tm_pairs_count(const struct tm_pairs *p)
{
	return p->count;
}

size_t tm_pairs_capacity(const struct tm_pairs *p)
{
	return p->cap;
}
