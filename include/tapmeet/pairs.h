/* Pairs of badges and when they last met: the memory of the repeat guard.
 *
 * A set of unordered pairs ({a, b} is {b, a}; badges compared as
 * tm_badge_same does, by UID bytes and length), each with the monotonic time
 * in milliseconds of its last meeting. There is no fixed limit: the set
 * holds every pair put since the last expiry, and its memory follows that
 * count, so with a guard of hours a pair is never forgotten early because
 * many others met since.
 *
 * Pure: no I/O, no clock; time is an argument. Not thread-safe.
 */
#ifndef TAPMEET_PAIRS_H
#define TAPMEET_PAIRS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tapmeet/badge.h"

struct tm_pairs_entry;

/* Embeddable by value. All zero is a valid empty set, so a struct cleared
 * with memset needs no tm_pairs_init; tm_pairs_free releases the heap
 * memory it owns and leaves it empty and usable again. */
struct tm_pairs {
	struct tm_pairs_entry *entries; /* cap slots: live ones and a free list */
	uint32_t *index;                /* 2 * cap buckets: entry number + 1, 0 = empty */
	size_t cap, count;
	/* The live entries in order of their time, entry number + 1 (0 = none):
	 * expiry takes from the oldest end and stops at the first it keeps. */
	uint32_t oldest, newest;
	uint32_t free; /* the unused slots, linked through `newer` */
};

void tm_pairs_init(struct tm_pairs *p);
void tm_pairs_free(struct tm_pairs *p);

/* Records that a and b met at t, or refreshes the pair's time (a time older
 * than the one held is ignored: the set answers when they *last* met).
 * Cheapest when times come in order, as a clock gives them.
 * Returns 0, or -ENOMEM with the set unchanged. */
int tm_pairs_put(struct tm_pairs *p, const struct tm_badge *a, const struct tm_badge *b,
		 int64_t t);

/* When a and b last met, or false if never (or forgotten by expiry). */
bool tm_pairs_last_met(const struct tm_pairs *p, const struct tm_badge *a,
		       const struct tm_badge *b, int64_t *t);

/* Forgets every pair whose last meeting was before `before` (strictly).
 * Costs nothing when no pair is that old, and otherwise only the pairs it
 * forgets, so it can be called on every tick; memory is given back once the
 * set has shrunk to a quarter of what it holds room for. */
void tm_pairs_expire(struct tm_pairs *p, int64_t before);

size_t tm_pairs_count(const struct tm_pairs *p);
/* How many pairs fit before the set grows: what its memory is sized by. */
size_t tm_pairs_capacity(const struct tm_pairs *p);

#endif
