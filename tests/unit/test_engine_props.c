/* The pairing engine under random sequences: badges arriving and leaving
 * (several at once, up to eight on the reader) from a pool of twelve, phones
 * with random UIDs, reader rejections, time steps, ticks, reconfiguration
 * with random timings (sequential off, after_meeting, suspect_delay,
 * min_dwell), then a stop (tm_engine_abandon) and time running on. After
 * every call the actions are drained and checked against a model of the
 * reader kept here:
 *
 * - every presence on the reader (an arrival not within rearm of leaving)
 *   yields exactly one tap, from its arrival time: rejected (phones),
 *   cancelled as passing by (gone within min_dwell), or a tap; the waiting
 *   badge back in a group joins with its own earlier tap instead;
 * - refs are unique; pending is followed by exactly one final outcome,
 *   others are final at once; none is left pending after abandon;
 * - meetings hold two or more distinct badges, never a phone, no badge in
 *   two meetings of one call; the repeat guard, after_meeting, the
 *   confirmation and suspect_delay decide as configured;
 * - a waiting tap times out only when its window (not sequential: the grace
 *   after its badge left) has run out, and never outlives it unnoticed;
 * - dropped_actions stays 0; tm_engine_next_deadline is never in the past
 *   unless ticking makes progress, and the LEDs change only at deadlines.
 *
 * Deterministic: run r uses seed r + 1 (TAPMEET_PROPS_SEED=n runs only seed
 * n, TAPMEET_PROPS_RUNS and TAPMEET_PROPS_STEPS change the amount). A failure
 * prints the seed, the step, the engine's table and the calls that led to it.
 *
 * Two kinds of run. "Prompt" runs tick the engine at every deadline it
 * reports before time moves past it, as the daemon's timer does; "late" runs
 * also jump over deadlines. Every check holds in both, except those about
 * when a window or a confirmation closes, which assume the deadlines were
 * kept. rearm is fixed per run, so that the model's flicker rule is the
 * engine's at every moment. */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tapmeet/engine.h"

#define POOL 12
#define MAX_ON_READER TM_MAX_BADGES_AT_ONCE
#define TRACE 48
#define MAX_RANDOM_TRACKED 64

/* --- random numbers ------------------------------------------------------- */

static uint64_t rng_next(uint64_t *s)
{
	/* xorshift64* */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static uint32_t below(uint64_t *s, uint32_t n)
{
	return (uint32_t)((rng_next(s) >> 33) % n);
}

static bool chance(uint64_t *s, unsigned percent)
{
	return below(s, 100) < percent;
}

/* --- the model ------------------------------------------------------------ */

/* A badge as the test sees the reader: one presence at a time. */
struct mbadge {
	struct tm_badge b;
	bool random;
	bool known; /* has been on the reader (so a flicker is possible) */
	bool present;
	bool decided; /* this presence has had its tap */
	int64_t arrived, absent_since;
	bool met;
	int64_t met_at; /* its last meeting */
};

enum birth_kind { BIRTH_TAP, BIRTH_PASSING, BIRTH_REJECTED, BIRTH_STOPPED };

/* A tap the model expects the engine to announce during the current call. */
struct birth {
	struct tm_badge b;
	int64_t at;
	enum birth_kind kind;
	bool matched;
};

enum ref_state { REF_UNSEEN = 0, REF_PENDING, REF_FINAL };

struct refinfo {
	uint8_t state;
	struct tm_badge b;
	int64_t at;
};

/* One tap as it came out of the current call. */
struct seen_tap {
	struct tm_tap t;
	size_t action;
	bool is_new;
	bool matched;
};

struct world {
	uint64_t seed, rng;
	int step;
	bool prompt;
	struct tm_engine e;
	struct tm_engine_config cfg;
	int64_t now;

	struct mbadge pool[POOL];
	struct mbadge extra[MAX_RANDOM_TRACKED]; /* phones: a new UID each time */
	size_t n_extra;
	uint32_t next_random;

	struct refinfo *refs;
	size_t cap_refs;
	uint64_t pending_ref; /* the model's view of the one waiting tap, or 0 */

	struct birth births[4 * MAX_ON_READER + 4];
	size_t n_births;

	int64_t pair_met[POOL][POOL]; /* INT64_MIN: never */
	int64_t guard_since, after_meeting_since, sequential_since;
	/* The newest meeting: the engine's confirmation is about it. */
	bool confirming;
	size_t n_last_meeting;
	struct tm_badge last_meeting[MAX_ON_READER];
	int64_t confirm_until;
	/* The pool's presence when the current call began (its tick runs
	 * before the badges it is given are looked at). */
	bool start_present[POOL];
	int64_t start_absent_since[POOL];
	int calls_since_reconfigure; /* engine calls that tick, since the last reconfigure */

	char trace[TRACE][200];
	unsigned n_trace;

	/* totals, to see that the runs exercise what they should */
	uint64_t n_meetings, n_groups, n_pending, n_dup_after, n_passing, n_suspect,
		n_unpaired_reader, n_rejected, n_cancel_own, n_rejoin, n_abandoned;
};

static void note(struct world *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void note(struct world *w, const char *fmt, ...)
{
	va_list ap;
	char *line = w->trace[w->n_trace++ % TRACE];
	int n = snprintf(line, 200, "%6d t=%-9" PRId64 " ", w->step, w->now);

	va_start(ap, fmt);
	vsnprintf(line + n, (size_t)(200 - n), fmt, ap);
	va_end(ap);
}

static const char *hex(const struct tm_badge *b)
{
	static char buf[4][TM_UID_HEX_SIZE];
	static unsigned i;
	char *out = buf[i++ % 4];

	tm_badge_uid_hex(b, out);
	return out;
}

static void fail_world(struct world *w, const char *what, ...)
	__attribute__((format(printf, 2, 3), noreturn));

static void fail_world(struct world *w, const char *what, ...)
{
	char msg[400];
	va_list ap;
	unsigned first = w->n_trace > TRACE ? w->n_trace - TRACE : 0;

	va_start(ap, what);
	vsnprintf(msg, sizeof(msg), what, ap);
	va_end(ap);
	fprintf(stderr, "engine property failed: seed=%" PRIu64 " step=%d (%s run) t=%" PRId64 ": %s\n",
		w->seed, w->step, w->prompt ? "prompt" : "late", w->now, msg);
	fprintf(stderr,
		"config: window=%lld guard=%lld rearm=%lld confirm=%lld hurry=%lld sequential=%d "
		"after_meeting=%lld suspect_delay=%lld min_dwell=%lld\n",
		(long long)w->cfg.window_ms, (long long)w->cfg.repeat_guard_ms,
		(long long)w->cfg.rearm_ms, (long long)w->cfg.confirm_ms, (long long)w->cfg.hurry_ms,
		w->cfg.sequential, (long long)w->cfg.after_meeting_ms,
		(long long)w->cfg.suspect_delay_ms, (long long)w->cfg.min_dwell_ms);
	fprintf(stderr, "engine's seen table (%zu):", w->e.n_seen);
	for (size_t i = 0; i < w->e.n_seen; i++)
		fprintf(stderr, " %s%s%s", hex(&w->e.seen[i].badge), w->e.seen[i].present ? "+" : "-",
			w->e.seen[i].counted ? "" : "?");
	fprintf(stderr, "\nlast calls and actions:\n");
	for (unsigned i = first; i < w->n_trace; i++)
		fprintf(stderr, "  %s\n", w->trace[i % TRACE]);
	fail_msg("seed %" PRIu64 ": %s (TAPMEET_PROPS_SEED=%" PRIu64 " to replay)", w->seed, msg,
		 w->seed);
	abort(); /* not reached */
}

#define CHECK(w, cond, ...)                              \
	do {                                             \
		if (!(cond))                             \
			fail_world((w), __VA_ARGS__);    \
	} while (0)

static int pool_index(const struct world *w, const struct tm_badge *b)
{
	for (int i = 0; i < POOL; i++)
		if (tm_badge_same(&w->pool[i].b, b))
			return i;
	return -1;
}

static struct mbadge *find_badge(struct world *w, const struct tm_badge *b)
{
	int i = pool_index(w, b);

	if (i >= 0)
		return &w->pool[i];
	for (size_t k = 0; k < w->n_extra; k++)
		if (tm_badge_same(&w->extra[k].b, b))
			return &w->extra[k];
	return NULL;
}

static struct refinfo *ref_slot(struct world *w, uint64_t ref)
{
	if (ref >= w->cap_refs) {
		size_t cap = w->cap_refs ? w->cap_refs : 1024;

		while (cap <= ref)
			cap *= 2;
		w->refs = realloc(w->refs, cap * sizeof(*w->refs));
		assert_non_null(w->refs);
		memset(w->refs + w->cap_refs, 0, (cap - w->cap_refs) * sizeof(*w->refs));
		w->cap_refs = cap;
	}
	return &w->refs[ref];
}

/* Called as each engine call that ticks begins. */
static void snapshot_presence(struct world *w)
{
	w->calls_since_reconfigure++;
	for (int i = 0; i < POOL; i++) {
		w->start_present[i] = w->pool[i].present;
		w->start_absent_since[i] = w->pool[i].known ? w->pool[i].absent_since : INT64_MIN / 2;
	}
}

/* When the waiting tap of this badge (a pool badge) stops waiting, as the
 * tick at the start of the current call sees it. */
static int64_t window_end_at_start(const struct world *w, const struct tm_tap *t)
{
	int64_t end = t->at_ms + w->cfg.window_ms;
	int i = pool_index(w, &t->badge);

	if (!w->cfg.sequential && i >= 0 && !w->start_present[i] &&
	    w->start_absent_since[i] + w->cfg.rearm_ms < end)
		end = w->start_absent_since[i] + w->cfg.rearm_ms;
	return end;
}

static void expect_birth(struct world *w, const struct tm_badge *b, int64_t at, enum birth_kind kind)
{
	CHECK(w, w->n_births < sizeof(w->births) / sizeof(w->births[0]), "too many births");
	w->births[w->n_births++] = (struct birth){ .b = *b, .at = at, .kind = kind };
}

/* At a stop, a presence not decided yet is logged as cancelled. */
static void model_stop(struct world *w)
{
	for (size_t i = 0; i < POOL + w->n_extra; i++) {
		struct mbadge *m = i < POOL ? &w->pool[i] : &w->extra[i - POOL];

		if (!m->known || m->decided)
			continue;
		m->decided = true;
		expect_birth(w, &m->b, m->arrived, BIRTH_STOPPED);
	}
}

/* What the engine's tick does with presences, with the same rule: a badge
 * on the reader min_dwell is a tap (from its arrival), one gone past rearm
 * before that was passing by. */
static void model_settle(struct world *w)
{
	struct mbadge *all[POOL + MAX_RANDOM_TRACKED];
	size_t n = 0;

	for (int i = 0; i < POOL; i++)
		all[n++] = &w->pool[i];
	for (size_t k = 0; k < w->n_extra; k++)
		all[n++] = &w->extra[k];
	for (size_t i = 0; i < n; i++) {
		struct mbadge *m = all[i];

		if (!m->known || m->decided)
			continue;
		if (m->present && w->now - m->arrived >= w->cfg.min_dwell_ms) {
			m->decided = true;
			expect_birth(w, &m->b, m->arrived, BIRTH_TAP);
		} else if (!m->present && w->now - m->absent_since >= w->cfg.rearm_ms) {
			m->decided = true;
			expect_birth(w, &m->b, m->arrived, BIRTH_PASSING);
		}
	}
}

static size_t on_reader(const struct world *w, struct tm_badge *out)
{
	size_t n = 0;

	for (int i = 0; i < POOL; i++)
		if (w->pool[i].present)
			out[n++] = w->pool[i].b;
	for (size_t k = 0; k < w->n_extra; k++)
		if (w->extra[k].present)
			out[n++] = w->extra[k].b;
	return n;
}

/* Entries the engine's seen table needs once the reader holds `set`: on the
 * reader, gone for less than rearm, or not yet decided. The table holds
 * TM_ENGINE_MAX_SEEN; beyond that it forgets the oldest, a documented limit
 * the runs stay within. */
static size_t live_with(const struct world *w, const struct tm_badge *set, size_t n)
{
	size_t count = 0;

	for (size_t i = 0; i < POOL + w->n_extra; i++) {
		const struct mbadge *m = i < POOL ? &w->pool[i] : &w->extra[i - POOL];
		bool in = false;

		for (size_t k = 0; k < n; k++)
			in |= tm_badge_same(&set[k], &m->b);
		count += in || (m->known && (m->present || !m->decided ||
					     w->now - m->absent_since < w->cfg.rearm_ms));
	}
	return count;
}

/* Phones gone past rearm never come back: forget them. */
static void prune_extra(struct world *w)
{
	for (size_t k = 0; k < w->n_extra;) {
		struct mbadge *m = &w->extra[k];

		if (!m->present && m->decided && w->now - m->absent_since >= w->cfg.rearm_ms)
			*m = w->extra[--w->n_extra];
		else
			k++;
	}
}

/* --- checking one call's actions ---------------------------------------- */

static bool pair_met_within(const struct world *w, int a, int b, int64_t *when)
{
	int64_t t = w->pair_met[a][b];

	*when = t;
	return t != INT64_MIN && w->now - t < w->cfg.repeat_guard_ms;
}

static const char *outcome(enum tm_tap_outcome o)
{
	return tm_tap_outcome_name(o);
}

/* The action is the waiting tap and one badge arriving alone (not the
 * waiting badge back in a group): its earlier and its new tap. */
static bool sequential_pair(const struct world *w, const struct tm_action *a,
			    const struct seen_tap *taps, size_t n_taps, size_t action_index,
			    const struct seen_tap **old, const struct seen_tap **fresh)
{
	size_t n_old = 0, n_fresh = 0;

	*old = *fresh = NULL;
	for (size_t i = 0; i < n_taps; i++) {
		if (taps[i].action != action_index)
			continue;
		if (taps[i].is_new) {
			*fresh = &taps[i];
			n_fresh++;
		} else {
			*old = &taps[i];
			n_old++;
		}
	}
	if (a->n_taps != 2 || n_old != 1 || n_fresh != 1)
		return false;
	for (size_t k = 0; k < w->n_births; k++)
		if (tm_badge_same(&w->births[k].b, &(*old)->t.badge) && w->births[k].kind == BIRTH_TAP)
			return false;
	return true;
}

/* A badge arriving alone that opened a window or paired with the waiting
 * tap: not one whose meeting is being confirmed, nor (after_meeting on,
 * and unchanged since its meeting) one that met within after_meeting. */
static void check_lone_arrival(struct world *w, const struct tm_tap *t, const char *what)
{
	struct mbadge *m = find_badge(w, &t->badge);
	bool member = false;

	for (size_t i = 0; i < w->n_last_meeting; i++)
		member |= tm_badge_same(&w->last_meeting[i], &t->badge);
	CHECK(w, !(w->confirming && member && w->now < w->confirm_until),
	      "%s %s while its meeting was being confirmed", hex(&t->badge), what);
	CHECK(w,
	      !(w->cfg.after_meeting_ms > 0 && m && m->met && m->met_at >= w->after_meeting_since &&
		w->now - m->met_at < w->cfg.after_meeting_ms),
	      "%s met %lld ms ago and %s", hex(&t->badge), (long long)(w->now - m->met_at), what);
}

static void check_meeting(struct world *w, const struct tm_action *a, const struct seen_tap *taps,
			  size_t n_taps, size_t action_index)
{
	bool guarded_everywhere = true, all_after_guard_change = true;
	const struct seen_tap *old = NULL, *fresh = NULL;
	size_t n_old = 0;
	char want[64] = "";
	bool either_suspect = false;

	CHECK(w, a->n_taps >= 2, "a meeting of %zu tap(s)", a->n_taps);
	CHECK(w, a->pattern == TM_PATTERN_SAVED, "meeting pattern %d", a->pattern);
	for (size_t i = 0; i < a->n_taps; i++) {
		const struct tm_tap *t = &a->taps[i];

		CHECK(w, t->outcome == TM_TAP_PAIRED, "meeting tap %s is %s", hex(&t->badge),
		      outcome(t->outcome));
		CHECK(w, !t->badge.random && pool_index(w, &t->badge) >= 0,
		      "rejected badge %s in a meeting", hex(&t->badge));
		for (size_t j = 0; j < i; j++)
			CHECK(w, !tm_badge_same(&a->taps[j].badge, &t->badge),
			      "badge %s twice in one meeting", hex(&t->badge));
	}
	for (size_t i = 0; i < a->n_taps; i++) {
		const struct tm_tap *t = &a->taps[i];

		for (size_t j = i + 1; j < a->n_taps; j++) {
			int pi = pool_index(w, &t->badge), pj = pool_index(w, &a->taps[j].badge);
			int64_t when;

			if (!pair_met_within(w, pi, pj, &when))
				guarded_everywhere = false;
			else if (when < w->guard_since)
				all_after_guard_change = false;
		}
	}
	/* The repeat guard: a group is a duplicate only when every pair met
	 * within it. Checked when the guard has not changed since. */
	CHECK(w, !(guarded_everywhere && all_after_guard_change),
	      "a meeting although every pair met within the repeat guard");

	/* Sequential (the waiting tap and one new tap, arriving alone) or together? */
	for (size_t i = 0; i < n_taps; i++)
		n_old += taps[i].action == action_index && !taps[i].is_new;
	CHECK(w, n_old <= 1, "a meeting of %zu earlier taps", n_old);
	if (sequential_pair(w, a, taps, n_taps, action_index, &old, &fresh)) {
		int64_t delay = fresh->t.at_ms - old->t.at_ms;

		/* Not when the first badge is still on the reader: the two
		 * were seen together. A badge that left in this very call was
		 * on the reader until now, so either reading is right then. */
		int oi = pool_index(w, &old->t.badge);

		either_suspect = oi >= 0 && w->start_present[oi] != w->pool[oi].present;
		if (w->cfg.suspect_delay_ms > 0 && delay > w->cfg.suspect_delay_ms &&
		    (either_suspect || !find_badge(w, &old->t.badge)->present))
			snprintf(want, sizeof(want), "partner tapped %lld.%llds after the first",
				 (long long)(delay / 1000), (long long)(delay % 1000 / 100));
		check_lone_arrival(w, &fresh->t, "paired alone with the waiting tap");
		/* Also right after a reconfigure that shortened the window:
		 * a window that closed before the partner came of age closes
		 * first (tm_engine_tick takes them in the order they happened). */
		if (w->prompt) {
			/* The window was still open when the partner came of age
			 * (at the very millisecond it ends still counts); after a
			 * reload that shortened min_dwell that can be before now. */
			int64_t of_age = fresh->t.at_ms + w->cfg.min_dwell_ms;

			if (of_age > w->now)
				of_age = w->now;
			CHECK(w, of_age <= old->t.at_ms + w->cfg.window_ms,
			      "paired %lld ms after the first tap, window %lld",
			      (long long)(of_age - old->t.at_ms), (long long)w->cfg.window_ms);
			if (!w->cfg.sequential && w->sequential_since <= old->t.at_ms)
				CHECK(w, w->now <= window_end_at_start(w, &old->t),
				      "not sequential, yet %s paired with %s gone since %lld",
				      hex(&fresh->t.badge), hex(&old->t.badge),
				      (long long)w->start_absent_since[pool_index(w, &old->t.badge)]);
		}
	}
	CHECK(w, strcmp(a->suspect, want) == 0 || (either_suspect && a->suspect[0] == '\0'),
	      "suspect \"%s\", expected \"%s\"", a->suspect, want);
	if (a->suspect[0])
		w->n_suspect++;
	if (a->n_taps > 2)
		w->n_groups++;
	w->n_meetings++;

	for (size_t i = 0; i < a->n_taps; i++) {
		int pi = pool_index(w, &a->taps[i].badge);
		struct mbadge *m = &w->pool[pi];

		m->met = true;
		m->met_at = w->now;
		for (size_t j = 0; j < a->n_taps; j++) {
			int pj = pool_index(w, &a->taps[j].badge);

			if (pi != pj)
				w->pair_met[pi][pj] = w->now;
		}
		w->last_meeting[i] = a->taps[i].badge;
	}
	w->n_last_meeting = a->n_taps;
	w->confirm_until = w->now + w->cfg.confirm_ms;
	w->confirming = true;
}

static void check_duplicate(struct world *w, const struct tm_action *a, const struct tm_tap *t)
{
	struct mbadge *m = find_badge(w, &t->badge);

	CHECK(w, a->pattern == TM_PATTERN_ALREADY_MET, "duplicate with pattern %d", a->pattern);
	if (strcmp(t->reason, "tapped alone just after its meeting") == 0) {
		CHECK(w, a->n_taps == 1, "after_meeting duplicate with %zu taps", a->n_taps);
		CHECK(w,
		      w->cfg.after_meeting_ms > 0 && m && m->met &&
			      w->now - m->met_at < w->cfg.after_meeting_ms,
		      "%s called just after its meeting", hex(&t->badge));
		w->n_dup_after++;
	} else if (strcmp(t->reason, "tapped again while its meeting was confirmed") == 0) {
		bool member = false;

		for (size_t i = 0; i < w->n_last_meeting; i++)
			member |= tm_badge_same(&w->last_meeting[i], &t->badge);
		/* A tick settles the badges that came of age before it ends the
		 * confirmation: at its very end in prompt runs, any time later
		 * when the caller ticks late. */
		CHECK(w, member && (w->now < w->confirm_until || !w->prompt ||
				    (w->cfg.min_dwell_ms > 0 && w->now == w->confirm_until)),
		      "%s called a member of a meeting being confirmed", hex(&t->badge));
	} else if (strcmp(t->reason, "met again within the repeat guard") == 0) {
		CHECK(w, a->n_taps >= 2, "a repeat-guard duplicate of one tap");
		for (size_t j = 0; j < a->n_taps; j++) {
			int pi = pool_index(w, &t->badge), pj = pool_index(w, &a->taps[j].badge);
			int64_t when;

			if (pi == pj)
				continue;
			CHECK(w, pi >= 0 && pj >= 0 && pair_met_within(w, pi, pj, &when),
			      "%s and %s called already met", hex(&t->badge), hex(&a->taps[j].badge));
		}
	} else {
		fail_world(w, "duplicate with reason \"%s\"", t->reason);
	}
}

static void drain_and_check(struct world *w)
{
	struct tm_action actions[TM_ENGINE_QUEUE];
	struct seen_tap taps[TM_ENGINE_QUEUE * TM_MAX_BADGES_AT_ONCE];
	size_t n_actions = 0, n_taps = 0;
	uint64_t pending_before = w->pending_ref;

	CHECK(w, w->e.dropped_actions == 0, "dropped %" PRIu64 " action(s)", w->e.dropped_actions);
	while (n_actions < TM_ENGINE_QUEUE && tm_engine_pop(&w->e, &actions[n_actions]))
		n_actions++;
	CHECK(w, !tm_engine_pop(&w->e, &actions[0]), "more than a queue of actions");

	/* Refs: new ones appear once; a pending one is finalised once. */
	for (size_t i = 0; i < n_actions; i++) {
		const struct tm_action *a = &actions[i];

		note(w, "  -> %s %s%s%s", a->type == TM_ACTION_MEETING ? "MEETING" : "TAPS",
		     tm_pattern_name(a->pattern), a->suspect[0] ? " suspect: " : "", a->suspect);
		CHECK(w, a->at_ms == w->now, "action at %lld", (long long)a->at_ms);
		CHECK(w, a->n_taps >= 1, "an action with no tap");
		for (size_t j = 0; j < a->n_taps; j++) {
			const struct tm_tap *t = &a->taps[j];
			struct refinfo *r = ref_slot(w, t->ref);
			struct seen_tap *s = &taps[n_taps++];

			note(w, "     ref %" PRIu64 " %s at %lld %s \"%s\"", t->ref, hex(&t->badge),
			     (long long)t->at_ms, outcome(t->outcome), t->reason);
			*s = (struct seen_tap){ .t = *t, .action = i, .is_new = r->state == REF_UNSEEN };
			CHECK(w, t->ref > 0, "ref 0");
			if (r->state == REF_UNSEEN) {
				r->b = t->badge;
				r->at = t->at_ms;
				r->state = t->outcome == TM_TAP_PENDING ? REF_PENDING : REF_FINAL;
			} else {
				CHECK(w, r->state == REF_PENDING,
				      "ref %" PRIu64 " (%s) given a second final outcome %s", t->ref,
				      hex(&t->badge), outcome(t->outcome));
				CHECK(w, tm_badge_same(&r->b, &t->badge) && r->at == t->at_ms,
				      "ref %" PRIu64 " changed badge or time", t->ref);
				/* Pending may become paired, unpaired, cancelled, or duplicate
				 * (the same pair within the repeat guard, either order). */
				CHECK(w,
				      t->outcome == TM_TAP_PAIRED || t->outcome == TM_TAP_UNPAIRED ||
					      t->outcome == TM_TAP_CANCELLED ||
					      t->outcome == TM_TAP_DUPLICATE,
				      "pending ref %" PRIu64 " became %s", t->ref, outcome(t->outcome));
				CHECK(w, t->ref == w->pending_ref,
				      "ref %" PRIu64 " finalised but %" PRIu64 " was the waiting one", t->ref,
				      w->pending_ref);
				r->state = REF_FINAL;
				if (w->pending_ref == t->ref)
					w->pending_ref = 0;
			}
			if (t->outcome == TM_TAP_PENDING) {
				CHECK(w, s->is_new, "an old ref made pending again");
				CHECK(w, w->pending_ref == 0, "ref %" PRIu64 " waits while %" PRIu64 " does",
				      t->ref, w->pending_ref);
				CHECK(w, a->type == TM_ACTION_TAPS && a->n_taps == 1 &&
						 a->pattern == TM_PATTERN_WAITING,
				      "a pending tap in an unexpected action");
				w->pending_ref = t->ref;
				w->n_pending++;
			}
			if (t->badge.random)
				CHECK(w, t->outcome == TM_TAP_REJECTED, "random UID %s is %s", hex(&t->badge),
				      outcome(t->outcome));
			if (a->type == TM_ACTION_TAPS)
				CHECK(w, t->outcome != TM_TAP_PAIRED, "paired outside a meeting");
			if (t->outcome == TM_TAP_REJECTED) {
				CHECK(w, a->pattern == TM_PATTERN_REJECTED && a->n_taps == 1,
				      "rejected tap in an unexpected action");
				w->n_rejected++;
			}
		}
	}

	/* Every expected tap came out, once: matched by badge and arrival time. */
	for (size_t k = 0; k < w->n_births; k++) {
		struct birth *bi = &w->births[k];

		for (size_t i = 0; i < n_taps && !bi->matched; i++) {
			struct seen_tap *s = &taps[i];

			if (!s->is_new || s->matched || !tm_badge_same(&s->t.badge, &bi->b) ||
			    s->t.at_ms != bi->at)
				continue;
			s->matched = bi->matched = true;
			switch (bi->kind) {
			case BIRTH_REJECTED:
				CHECK(w, s->t.outcome == TM_TAP_REJECTED, "%s should be rejected, is %s",
				      hex(&bi->b), outcome(s->t.outcome));
				break;
			case BIRTH_PASSING:
				CHECK(w,
				      s->t.outcome == TM_TAP_CANCELLED && strstr(s->t.reason, "passing by") &&
					      actions[s->action].pattern == TM_PATTERN_NONE &&
					      actions[s->action].n_taps == 1,
				      "%s passed by but is %s \"%s\"", hex(&bi->b), outcome(s->t.outcome),
				      s->t.reason);
				w->n_passing++;
				break;
			case BIRTH_STOPPED:
				CHECK(w,
				      s->t.outcome == TM_TAP_CANCELLED && strstr(s->t.reason, "station stopped") &&
					      actions[s->action].n_taps == 1,
				      "%s was on the reader at the stop but is %s \"%s\"", hex(&bi->b),
				      outcome(s->t.outcome), s->t.reason);
				break;
			case BIRTH_TAP:
				CHECK(w, s->t.outcome != TM_TAP_REJECTED && !strstr(s->t.reason, "passing by"),
				      "%s should be a tap, is %s \"%s\"", hex(&bi->b), outcome(s->t.outcome),
				      s->t.reason);
				break;
			}
		}
		if (!bi->matched && bi->kind == BIRTH_TAP && pending_before) {
			/* The waiting badge arriving again in a group joins the
			 * meeting with its own earlier tap. */
			for (size_t i = 0; i < n_taps; i++) {
				struct seen_tap *s = &taps[i];

				if (s->is_new || s->t.ref != pending_before ||
				    !tm_badge_same(&s->t.badge, &bi->b))
					continue;
				CHECK(w,
				      actions[s->action].type == TM_ACTION_MEETING ||
					      s->t.outcome == TM_TAP_DUPLICATE,
				      "the waiting badge came back in a group, its tap became %s",
				      outcome(s->t.outcome));
				CHECK(w, actions[s->action].n_taps >= 2, "rejoined a group of one");
				bi->matched = s->matched = true;
				w->n_rejoin++;
			}
		}
		CHECK(w, bi->matched, "%s arrived at %lld (%s) but no tap came out", hex(&bi->b),
		      (long long)bi->at,
		      bi->kind == BIRTH_TAP       ? "tap"
		      : bi->kind == BIRTH_PASSING ? "passing"
		      : bi->kind == BIRTH_STOPPED ? "stopped"
						  : "rejected");
	}
	for (size_t i = 0; i < n_taps; i++)
		CHECK(w, !taps[i].is_new || taps[i].matched,
		      "tap ref %" PRIu64 " of %s at %lld with no arrival behind it", taps[i].t.ref,
		      hex(&taps[i].t.badge), (long long)taps[i].t.at_ms);

	/* Meetings, duplicates, outcomes of the waiting tap. */
	for (size_t i = 0; i < n_actions; i++) {
		const struct tm_action *a = &actions[i];

		if (a->type == TM_ACTION_MEETING) {
			for (size_t k = 0; k < i; k++)
				if (actions[k].type == TM_ACTION_MEETING)
					for (size_t x = 0; x < a->n_taps; x++)
						for (size_t y = 0; y < actions[k].n_taps; y++)
							CHECK(w,
							      !tm_badge_same(&a->taps[x].badge,
									     &actions[k].taps[y].badge),
							      "%s in two meetings at once",
							      hex(&a->taps[x].badge));
			check_meeting(w, a, taps, n_taps, i);
			continue;
		}
		for (size_t j = 0; j < a->n_taps; j++) {
			const struct tm_tap *t = &a->taps[j];
			bool is_new = false;

			for (size_t k = 0; k < n_taps; k++)
				if (taps[k].t.ref == t->ref)
					is_new = taps[k].is_new;
			switch (t->outcome) {
			case TM_TAP_DUPLICATE:
				check_duplicate(w, a, t);
				if (j == 0 && strcmp(t->reason, "met again within the repeat guard") == 0) {
					const struct seen_tap *old, *fresh;

					if (sequential_pair(w, a, taps, n_taps, i, &old, &fresh))
						check_lone_arrival(w, &fresh->t, "was a repeat alone");
					else
						w->confirming = false; /* a group ends the confirmation */
				}
				break;
			case TM_TAP_PENDING:
				check_lone_arrival(w, t, "opened a window");
				w->confirming = false;
				break;
			case TM_TAP_UNPAIRED:
				CHECK(w, !is_new, "a new tap unpaired at once");
				if (strcmp(t->reason, "station stopped while waiting for a partner") == 0)
					break;
				CHECK(w,
				      strcmp(t->reason, w->cfg.sequential
								? "no partner within the window"
								: "no partner's badge on the reader with it") ==
					      0,
				      "unpaired: \"%s\"", t->reason);
				CHECK(w, a->pattern == TM_PATTERN_TIMED_OUT, "timed out with pattern %d",
				      a->pattern);
				/* Never before the window (or, not sequential, the grace
				 * after leaving) ran out: the tick that expires it runs
				 * before the call's badges are looked at. */
				{
					int64_t end = window_end_at_start(w, t);

					CHECK(w, w->now >= end, "unpaired at %lld, its window ends at %lld",
					      (long long)w->now, (long long)end);
					if (!w->cfg.sequential)
						w->n_unpaired_reader++;
				}
				break;
			case TM_TAP_CANCELLED:
				if (strstr(t->reason, "passing by") || strstr(t->reason, "station stopped"))
					break; /* checked with the presence that made it */
				CHECK(w, a->pattern == TM_PATTERN_CANCELLED && a->n_taps == 2 &&
						 tm_badge_same(&a->taps[0].badge, &a->taps[1].badge),
				      "cancelled \"%s\" in an unexpected action", t->reason);
				if (!is_new)
					w->n_cancel_own++;
				break;
			case TM_TAP_REJECTED:
			case TM_TAP_PAIRED:
				break;
			}
		}
	}

	/* The model's waiting tap and the engine's state agree. */
	{
		enum tm_pattern base = tm_engine_base_pattern(&w->e, w->now);

		CHECK(w,
		      (w->pending_ref != 0) ==
			      (base == TM_PATTERN_WAITING || base == TM_PATTERN_WAITING_HURRY),
		      "pending ref %" PRIu64 " but base pattern %d", w->pending_ref, base);
	}
	w->n_births = 0;
}

/* --- calls ----------------------------------------------------------------- */

/* Nothing is due, so a tap still waiting has its window open: the window
 * (from its arrival) has not run out, nor, not sequential, the grace since
 * its badge left (when sequential was off all along). */
static void check_window_open(struct world *w)
{
	const struct refinfo *r;
	const struct mbadge *m;
	int64_t d = tm_engine_next_deadline(&w->e, w->now);

	/* The LEDs change only at a deadline: the base pattern now holds until
	 * just before the next one. */
	if (d != TM_NEVER)
		CHECK(w, tm_engine_base_pattern(&w->e, w->now) == tm_engine_base_pattern(&w->e, d - 1),
		      "the base pattern changes before the deadline %lld", (long long)d);
	if (!w->pending_ref)
		return;
	r = &w->refs[w->pending_ref];
	m = find_badge(w, &r->b);
	CHECK(w, w->now < r->at + w->cfg.window_ms,
	      "ref %" PRIu64 " waits %lld ms after its tap, window %lld, and nothing is due",
	      w->pending_ref, (long long)(w->now - r->at), (long long)w->cfg.window_ms);
	if (!w->cfg.sequential && w->sequential_since <= r->at && m && !m->present)
		CHECK(w, w->now < m->absent_since + w->cfg.rearm_ms,
		      "not sequential: %s waits, gone since %lld, and nothing is due", hex(&r->b),
		      (long long)m->absent_since);
}

/* The deadline the engine reports is never in the past unless ticking now
 * does something; a few ticks settle it. */
static void check_deadline(struct world *w)
{
	for (int round = 0;; round++) {
		int64_t d = tm_engine_next_deadline(&w->e, w->now);
		size_t before = w->e.queue_len;
		uint64_t next_ref = w->e.next_ref;
		bool pending = w->e.pending;

		if (d > w->now) {
			check_window_open(w);
			return;
		}
		CHECK(w, round < 4, "deadline %lld still not after now", (long long)d);
		note(w, "tick (deadline %lld was due)", (long long)d);
		snapshot_presence(w);
		model_settle(w);
		tm_engine_tick(&w->e, w->now);
		CHECK(w,
		      w->e.queue_len != before || w->e.next_ref != next_ref || w->e.pending != pending ||
			      tm_engine_next_deadline(&w->e, w->now) != d,
		      "the deadline %lld was due but a tick changed nothing", (long long)d);
		drain_and_check(w);
	}
}

/* The reader now holds exactly `set`. how: 0 tm_engine_badges with the set,
 * 1 tm_engine_present of set[n - 1] (the rest already on), 2
 * tm_engine_removed of `gone` (the set is what stays). */
static void call_badges(struct world *w, const struct tm_badge *set, size_t n, int how,
			const struct tm_badge *gone)
{
	char line[160];
	size_t len = 0;

	for (size_t i = 0; i < n && len < sizeof(line) - 24; i++)
		len += (size_t)snprintf(line + len, sizeof(line) - len, " %s", hex(&set[i]));
	line[len] = '\0';
	if (how == 2)
		note(w, "removed %s, leaving {%s }", hex(gone), line);
	else
		note(w, "%s {%s }", how == 0 ? "badges" : "present, now", line);

	snapshot_presence(w);
	model_settle(w); /* the engine ticks first */
	for (int i = 0; i < POOL + (int)w->n_extra; i++) {
		struct mbadge *m = i < POOL ? &w->pool[i] : &w->extra[i - POOL];
		bool in = false;

		for (size_t k = 0; k < n; k++)
			in |= tm_badge_same(&set[k], &m->b);
		if (m->present && !in) {
			m->present = false;
			m->absent_since = w->now;
		} else if (!m->present && in) {
			m->present = true;
			if (m->known && w->now - m->absent_since < w->cfg.rearm_ms)
				continue; /* flicker: the same presence */
			m->known = true;
			m->arrived = w->now;
			m->decided = false;
			if (m->random) {
				m->decided = true;
				expect_birth(w, &m->b, w->now, BIRTH_REJECTED);
			}
		}
	}
	model_settle(w);

	if (how == 0)
		tm_engine_badges(&w->e, w->now, set, n);
	else if (how == 1)
		tm_engine_present(&w->e, w->now, &set[n - 1]);
	else
		tm_engine_removed(&w->e, w->now, gone);
	drain_and_check(w);
	check_deadline(w);
}

static void call_tick(struct world *w)
{
	note(w, "tick");
	snapshot_presence(w);
	model_settle(w);
	tm_engine_tick(&w->e, w->now);
	drain_and_check(w);
	check_deadline(w);
}

/* Advances time to `to`; a prompt caller ticks at every deadline on the way. */
static void advance_to(struct world *w, int64_t to, bool prompt)
{
	int guard = 0;

	while (prompt) {
		int64_t d = tm_engine_next_deadline(&w->e, w->now);

		if (d > to)
			break;
		CHECK(w, ++guard < 100000, "deadlines without end");
		if (d > w->now)
			w->now = d;
		call_tick(w);
		CHECK(w, tm_engine_next_deadline(&w->e, w->now) > d || w->now > d,
		      "a tick at its deadline %lld left it there", (long long)d);
	}
	w->now = to;
}

static void random_config(struct world *w, struct tm_engine_config *c)
{
	uint64_t *r = &w->rng;

	tm_engine_config_defaults(c);
	c->window_ms = chance(r, 40) ? 8000 : 1000 + below(r, 19001);
	c->repeat_guard_ms = chance(r, 20) ? 0 : chance(r, 50) ? 60000 : below(r, 120001);
	c->rearm_ms = w->cfg.rearm_ms; /* fixed per run: see the presence model */
	c->confirm_ms = below(r, 4001);
	c->hurry_ms = below(r, (uint32_t)c->window_ms);
	c->sequential = chance(r, 60);
	c->after_meeting_ms = chance(r, 50) ? 0 : 1000 + below(r, 19001);
	c->suspect_delay_ms = chance(r, 50) ? 0 : 1000 + below(r, 9001);
	c->min_dwell_ms = chance(r, 50) ? 0 : chance(r, 20) ? 1 : 100 + below(r, 2901);
}

static void reconfigure(struct world *w)
{
	struct tm_engine_config c;

	random_config(w, &c);
	note(w, "reconfigure window=%lld guard=%lld confirm=%lld hurry=%lld seq=%d after=%lld "
		"suspect=%lld dwell=%lld",
	     (long long)c.window_ms, (long long)c.repeat_guard_ms, (long long)c.confirm_ms,
	     (long long)c.hurry_ms, c.sequential, (long long)c.after_meeting_ms,
	     (long long)c.suspect_delay_ms, (long long)c.min_dwell_ms);
	if (c.repeat_guard_ms != w->cfg.repeat_guard_ms)
		w->guard_since = w->now + 1;
	if (c.after_meeting_ms != w->cfg.after_meeting_ms)
		w->after_meeting_since = w->now + 1;
	if (c.sequential != w->cfg.sequential)
		w->sequential_since = w->now + 1;
	w->cfg = c;
	w->calls_since_reconfigure = 0;
	tm_engine_reconfigure(&w->e, &c);
	/* No tick: a deadline may now be in the past, and must say so. */
	drain_and_check(w);
	check_deadline(w);
}

static struct tm_badge new_random(struct world *w)
{
	struct tm_badge b;
	uint32_t n = w->next_random++;

	memset(&b, 0, sizeof(b));
	b.kind = TM_BADGE_ISO14443_4;
	b.uid_len = 4;
	b.uid[0] = 0x08;
	b.uid[1] = (uint8_t)(n >> 16);
	b.uid[2] = (uint8_t)(n >> 8);
	b.uid[3] = (uint8_t)n;
	b.random = tm_badge_random_uid(&b);
	assert_true(b.random);
	return b;
}

static bool in_list(const struct tm_badge *set, size_t n, const struct tm_badge *b)
{
	for (size_t i = 0; i < n; i++)
		if (tm_badge_same(&set[i], b))
			return true;
	return false;
}

/* Adds badge b to the set if the engine's table has room for what it must
 * remember; a phone (b NULL) gets a UID of its own and is tracked until it
 * is forgotten. */
static bool add_to_set(struct world *w, struct tm_badge *set, size_t *n, const struct tm_badge *b)
{
	bool phone = b == NULL;

	if (*n == MAX_ON_READER)
		return false;
	if (phone) {
		if (w->n_extra == MAX_RANDOM_TRACKED)
			return false;
		set[*n] = new_random(w);
		w->extra[w->n_extra++] = (struct mbadge){ .b = set[*n], .random = true };
	} else {
		if (in_list(set, *n, b))
			return false;
		set[*n] = *b;
	}
	if (live_with(w, set, *n + 1) > TM_ENGINE_MAX_SEEN) {
		if (phone)
			w->n_extra--;
		return false;
	}
	(*n)++;
	return true;
}

static void step_one_badge(struct world *w)
{
	struct tm_badge set[MAX_ON_READER];
	size_t n = on_reader(w, set);
	uint64_t *r = &w->rng;

	if (n > 0 && (n == MAX_ON_READER || chance(r, 50))) {
		size_t i = below(r, (uint32_t)n);
		struct tm_badge gone = set[i];

		set[i] = set[--n];
		call_badges(w, set, n, 2, &gone);
		return;
	}
	if (add_to_set(w, set, &n, chance(r, 10) ? NULL : &w->pool[below(r, POOL)].b))
		call_badges(w, set, n, 1, NULL);
}

static void step_arrive_leave(struct world *w)
{
	struct tm_badge set[MAX_ON_READER];
	size_t n = on_reader(w, set);
	uint64_t *r = &w->rng;

	if (n > 0 && chance(r, 45)) {
		size_t leave = chance(r, 70) ? 1 : 1 + below(r, (uint32_t)n);

		for (size_t k = 0; k < leave && n > 0; k++) {
			size_t i = below(r, (uint32_t)n);

			set[i] = set[--n];
		}
	}
	if (chance(r, 65)) {
		size_t arrive = chance(r, 70) ? 1 : 2 + below(r, 7);

		for (size_t k = 0; k < arrive; k++)
			add_to_set(w, set, &n, chance(r, 8) ? NULL : &w->pool[below(r, POOL)].b);
	}
	call_badges(w, set, n, 0, NULL);
}

static void step_reject(struct world *w)
{
	struct tm_badge b;

	if (chance(&w->rng, 50))
		b = w->pool[below(&w->rng, POOL)].b;
	else
		b = new_random(w);
	note(w, "reject %s", hex(&b));
	snapshot_presence(w);
	expect_birth(w, &b, w->now, BIRTH_REJECTED);
	model_settle(w); /* the engine ticks after taking the ref */
	tm_engine_reject(&w->e, w->now, &b, "unsupported tag type (test)");
	drain_and_check(w);
	check_deadline(w);
}

static int64_t random_step(struct world *w)
{
	uint64_t *r = &w->rng;

	switch (below(r, 10)) {
	case 0:
		return 0;
	case 1:
		return 1;
	case 2:
		return w->cfg.rearm_ms - 1 > 0 ? w->cfg.rearm_ms - 1 : 0;
	case 3:
		return w->cfg.rearm_ms;
	case 4:
		return w->cfg.min_dwell_ms;
	case 5:
	case 6:
		return below(r, 501);
	default:
		return below(r, 10001);
	}
}

static struct tm_badge pool_badge(int i)
{
	struct tm_badge b;

	memset(&b, 0, sizeof(b));
	b.kind = i % 3 ? TM_BADGE_MIFARE_ULTRALIGHT : TM_BADGE_MIFARE_CLASSIC;
	b.uid[0] = 0x04;
	if (i % 2) {
		b.uid_len = 7;
		b.uid[1] = 0x7A;
		b.uid[6] = (uint8_t)i;
	} else {
		b.uid_len = 4;
		b.uid[3] = (uint8_t)i; /* 04 00 00 i: 4-byte, not random */
	}
	assert_null(tm_badge_reject_reason(&b));
	return b;
}

static void run_one(uint64_t seed, int steps, struct world *w)
{
	static const int64_t rearms[] = { 0, 1, 200, 1000, 1000, 2500 };
	uint64_t *r;

	memset(w, 0, sizeof(*w));
	w->seed = seed;
	w->rng = seed * 0x9E3779B97F4A7C15ULL + 1;
	r = &w->rng;
	w->prompt = !chance(r, 25);
	w->now = 1000000;
	for (int i = 0; i < POOL; i++)
		w->pool[i].b = pool_badge(i);
	for (int i = 0; i < POOL; i++)
		for (int j = 0; j < POOL; j++)
			w->pair_met[i][j] = INT64_MIN;
	w->cfg.rearm_ms = rearms[below(r, 6)];
	random_config(w, &w->cfg);
	if (chance(r, 30)) {
		/* The shipped defaults, with rearm as drawn. */
		int64_t rearm = w->cfg.rearm_ms;

		tm_engine_config_defaults(&w->cfg);
		w->cfg.rearm_ms = rearm;
	}
	w->guard_since = w->after_meeting_since = w->sequential_since = INT64_MIN;
	tm_engine_init(&w->e, &w->cfg);

	for (w->step = 0; w->step < steps; w->step++) {
		unsigned op = below(r, 100);

		if (op < 30)
			step_arrive_leave(w);
		else if (op < 40)
			step_one_badge(w);
		else if (op < 45)
			step_reject(w);
		else if (op < 80)
			advance_to(w, w->now + random_step(w), w->prompt);
		else if (op < 87)
			call_tick(w);
		else if (op < 89)
			reconfigure(w);
		else
			advance_to(w, w->now + random_step(w), true);
		prune_extra(w);
	}

	/* The station stops wherever the run left it: the waiting tap, if
	 * any, is logged as unpaired, and nothing waits afterwards. */
	w->step = steps;
	w->n_abandoned += w->pending_ref != 0;
	note(w, "abandon");
	model_stop(w);
	tm_engine_abandon(&w->e, w->now);
	drain_and_check(w);
	CHECK(w, w->pending_ref == 0, "ref %" PRIu64 " still pending after abandon", w->pending_ref);
	CHECK(w, tm_engine_base_pattern(&w->e, w->now) == TM_PATTERN_READY, "waiting after abandon");
	call_tick(w);

	/* Then everyone leaves and time runs on until nothing is due: every
	 * presence has had its one tap. */
	call_badges(w, NULL, 0, 0, NULL);
	advance_to(w, w->now + 10 * 60 * 1000, true);
	CHECK(w, tm_engine_next_deadline(&w->e, w->now) == TM_NEVER, "still something due");
	note(w, "abandon");
	model_stop(w);
	tm_engine_abandon(&w->e, w->now);
	drain_and_check(w);
	CHECK(w, w->pending_ref == 0, "ref %" PRIu64 " still pending after abandon", w->pending_ref);
	for (int k = 0; k < 3; k++) {
		w->now += 60000;
		call_tick(w);
	}
	for (size_t ref = 1; ref < w->cap_refs; ref++)
		CHECK(w, w->refs[ref].state != REF_PENDING, "ref %zu left pending", ref);
	for (int i = 0; i < POOL; i++)
		CHECK(w, !w->pool[i].known || w->pool[i].decided, "%s's last presence never decided",
		      hex(&w->pool[i].b));
	CHECK(w, w->e.remember_failures == 0, "the repeat guard failed to remember");
	CHECK(w, w->e.dropped_actions == 0, "dropped actions");
	tm_engine_free(&w->e);
	free(w->refs);
	w->refs = NULL;
}

static long env_long(const char *name, long fallback)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 10) : fallback;
}

static void random_sequences_keep_the_invariants(void **state)
{
	static struct world w;
	long runs = env_long("TAPMEET_PROPS_RUNS", 200);
	long steps = env_long("TAPMEET_PROPS_STEPS", 2000);
	long only = env_long("TAPMEET_PROPS_SEED", 0);
	uint64_t totals[11] = { 0 };
	long prompt_runs = 0;

	(void)state;
	for (long run = 0; run < runs; run++) {
		uint64_t seed = only > 0 ? (uint64_t)only : (uint64_t)run + 1;

		run_one(seed, (int)steps, &w);
		prompt_runs += w.prompt;
		totals[0] += w.n_meetings;
		totals[1] += w.n_groups;
		totals[2] += w.n_pending;
		totals[3] += w.n_dup_after;
		totals[4] += w.n_passing;
		totals[5] += w.n_suspect;
		totals[6] += w.n_unpaired_reader;
		totals[7] += w.n_rejected;
		totals[8] += w.n_cancel_own;
		totals[9] += w.n_rejoin;
		totals[10] += w.n_abandoned;
		if (only > 0)
			break;
	}
	printf("engine props: %ld run(s) x %ld steps (%ld prompt): %" PRIu64 " meetings (%" PRIu64
	       " groups, %" PRIu64 " suspect), %" PRIu64 " pending, %" PRIu64
	       " after_meeting duplicates, %" PRIu64 " passing by, %" PRIu64
	       " unpaired without sequential, %" PRIu64 " rejected, %" PRIu64
	       " self-cancelled, %" PRIu64 " rejoined; %" PRIu64 " run(s) stopped while a tap waited\n",
	       only > 0 ? 1 : runs, steps, prompt_runs, totals[0], totals[1], totals[5], totals[2],
	       totals[3], totals[4], totals[6], totals[7], totals[8], totals[9], totals[10]);
	/* The runs must reach every rule, or they prove little. */
	if (only == 0 && runs >= 50 && steps >= 500)
		for (int i = 0; i < 11; i++)
			assert_true(totals[i] > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(random_sequences_keep_the_invariants),
	};

	return cmocka_run_group_tests_name("engine properties", tests, NULL, NULL);
}
