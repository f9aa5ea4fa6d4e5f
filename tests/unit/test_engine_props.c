/* The pairing engine under random sequences: badges arriving and leaving
 * (several at once, up to eight on the reader) from a pool of twelve, phones
 * with random UIDs, reader rejections, time steps, ticks, reconfiguration
 * with random timings (sequential on or off, after_meeting, suspect_delay,
 * suspect_sequential, min_dwell), then a stop (tm_engine_abandon) and time
 * running on. After every call the actions are drained and replayed against
 * a model of the reader and of the rules kept here, which takes things in
 * the engine's order: the tick that begins a call (a window that ended
 * before the first badge came of age, the badges of age, the passers-by, the
 * window), then the badges the call is given (phones, the badges of age).
 * Every action must be the one the model expects, in order:
 *
 * - every presence on the reader (an arrival not within rearm of leaving)
 *   yields exactly one tap, from its arrival time: rejected (phones),
 *   cancelled as passing by (gone sooner than min_dwell, once away for
 *   rearm), cancelled at a stop, or a tap once on the reader min_dwell; the
 *   waiting badge back in a group joins with its own earlier tap instead;
 * - sequential, with min_dwell, while the waiting badge is off the reader
 *   (past the grace, min(rearm, 300 ms)): a new badge is decided 500 ms
 *   later, one lifted after min_dwell is a tap all the same, and the badges
 *   put down within 500 ms of the first of age count with it; more than
 *   eight at once, the engine takes eight (any the rules allow) and the
 *   others wait;
 * - badges decided together are one arrival: two or more a meeting of all
 *   (or, every pair within the repeat guard, all duplicate); one alone meets
 *   the waiting tap, cancels it (the same badge), or waits itself. A badge in
 *   the meeting being confirmed or met within after_meeting is a re-tap: it
 *   pairs only with a waiting badge on the reader (or within the grace) that
 *   arrived at most 500 ms before it, is a duplicate next to an ordinary
 *   waiting tap, and otherwise waits together-only itself, ending as a
 *   duplicate; an ordinary badge next to a waiting re-tap pairs with it on
 *   the same terms or settles it first;
 * - refs are unique; pending is followed by exactly one final outcome,
 *   others are final at once; none is left pending after abandon;
 * - meetings hold two or more distinct badges, never a phone, no badge in
 *   two meetings of one call; their suspect text is exactly the rule's: a
 *   re-tap in it, "tapped one after the other" (suspect_sequential) or the
 *   delay (suspect_delay) when the first badge had left the reader, more
 *   than two badges at once, otherwise another badge on the reader: put down
 *   within 500 ms of one of the meeting's, or neither settled (in a meeting,
 *   a phone) nor a re-tap;
 * - a waiting tap ends (unpaired, a re-tap as duplicate) exactly when its
 *   window ends (together-only: the grace after its badge left), never
 *   outliving it unnoticed;
 * - dropped_actions stays 0; tm_engine_next_deadline is never in the past
 *   unless ticking makes progress, and the LEDs change only at deadlines;
 *   they show waiting (hurry in its last part) for an ordinary waiting tap
 *   only, ready for a re-tap.
 *
 * Deterministic: run r uses seed r + 1 (TAPMEET_PROPS_SEED=n runs only seed
 * n, TAPMEET_PROPS_RUNS and TAPMEET_PROPS_STEPS change the amount). A failure
 * prints the seed, the step, the engine's table and the calls that led to it.
 *
 * Two kinds of run. "Prompt" runs tick the engine at every deadline it
 * reports before time moves past it, as the daemon's timer does; "late" runs
 * also jump over deadlines. The model follows the tick's order, so every
 * check holds in both. rearm is fixed per run, so that the model's flicker
 * rule is the engine's at every moment. */
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
#define TRACE 64
#define MAX_RANDOM_TRACKED 64

/* The rules' constants and words (docs/pairing.md, core/engine.c). */
#define GRACE_CAP_MS 300 /* on the reader: back within min(rearm, this) */
#define SPREAD_MS 500	 /* put down together: this close */
#define JUST_MET "one of them met someone else a moment before"
#define ONE_AFTER_OTHER "tapped one after the other, not together"
#define ANOTHER_BADGE "another badge was on the reader"
#define MORE_THAN_TWO "more than two badges at once"
#define RETAP_ALONE "tapped alone just after its meeting"
#define GUARDED "met again within the repeat guard"

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
	bool entry; /* the engine's table of badges holds it */
	bool present;
	bool decided; /* this presence has had its tap */
	bool done;    /* this presence is settled: its tap is in a meeting, or a phone */
	int64_t arrived, absent_since;
	bool recent; /* in the engine's after_meeting memory, since recent_at */
	int64_t recent_at;
};

enum call_kind { CALL_RECONFIGURE, CALL_TICK, CALL_BADGES, CALL_REJECT, CALL_ABANDON };

/* The current engine call: what it was given. */
struct call {
	enum call_kind kind;
	struct tm_badge set[MAX_ON_READER]; /* CALL_BADGES: the reader now */
	size_t n_set;
	struct tm_badge rejected; /* CALL_REJECT */
};

enum ref_state { REF_UNSEEN = 0, REF_PENDING, REF_FINAL };

struct refinfo {
	uint8_t state;
	struct tm_badge b;
	int64_t at;
};

enum count {
	C_MEETINGS,
	C_GROUPS,
	C_SUSPECT,
	C_PENDING,
	C_RETAP_PENDING,
	C_RETAP_ALONE,
	C_RETAP_SETTLED,
	C_RETAP_EXPIRED,
	C_JUST_MET,
	C_ANOTHER,
	C_ANOTHER_CLOSE,
	C_MORE_THAN_TWO,
	C_ONE_AFTER_OTHER,
	C_DELAY,
	C_GUARDED,
	C_DECIDED_LATER,
	C_LIFTED_TAP,
	C_PUT_DOWN_TOGETHER,
	C_PASSING,
	C_UNPAIRED_READER,
	C_REJECTED,
	C_CANCEL_OWN,
	C_REJOIN,
	C_ABANDONED,
	N_COUNTS
};

static const char *const count_names[N_COUNTS] = {
	[C_MEETINGS] = "meetings",
	[C_GROUPS] = "groups",
	[C_SUSPECT] = "suspect",
	[C_PENDING] = "pending",
	[C_RETAP_PENDING] = "re-taps pending",
	[C_RETAP_ALONE] = "re-taps duplicate next to a waiting tap",
	[C_RETAP_SETTLED] = "re-taps settled by the next badge",
	[C_RETAP_EXPIRED] = "re-taps ended alone",
	[C_JUST_MET] = "\"" JUST_MET "\"",
	[C_ANOTHER] = "\"" ANOTHER_BADGE "\"",
	[C_ANOTHER_CLOSE] = "of them only for a badge put down within 500 ms",
	[C_MORE_THAN_TWO] = "\"" MORE_THAN_TWO "\"",
	[C_ONE_AFTER_OTHER] = "\"" ONE_AFTER_OTHER "\"",
	[C_DELAY] = "\"partner tapped ...\"",
	[C_GUARDED] = "repeat guard duplicates",
	[C_DECIDED_LATER] = "arrivals decided 500 ms later",
	[C_LIFTED_TAP] = "taps lifted while the decision waited",
	[C_PUT_DOWN_TOGETHER] = "badges counted with one put down with them",
	[C_PASSING] = "passing by",
	[C_UNPAIRED_READER] = "unpaired without sequential",
	[C_REJECTED] = "rejected",
	[C_CANCEL_OWN] = "self-cancelled",
	[C_REJOIN] = "rejoined",
	[C_ABANDONED] = "runs stopped while a tap waited",
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

	/* The waiting tap, as the model has it. */
	bool pending;
	bool pending_retap;
	struct tm_tap pending_tap;

	/* The engine's repeat guard. */
	bool pair_known[POOL][POOL];
	int64_t pair_at[POOL][POOL];
	/* The newest meeting: the engine's confirmation is about it. */
	bool confirming;
	size_t n_last_meeting;
	struct tm_badge last_meeting[MAX_ON_READER];
	int64_t confirm_until;

	/* The current call and its actions, taken in order. */
	struct call call;
	struct tm_action actions[TM_ENGINE_QUEUE];
	bool is_new[TM_ENGINE_QUEUE][TM_MAX_BADGES_AT_ONCE];
	size_t n_actions, next_action;

	char trace[TRACE][200];
	unsigned n_trace;

	uint64_t count[N_COUNTS]; /* to see that the runs reach every rule */
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
		"after_meeting=%lld suspect_delay=%lld suspect_sequential=%d min_dwell=%lld\n",
		(long long)w->cfg.window_ms, (long long)w->cfg.repeat_guard_ms,
		(long long)w->cfg.rearm_ms, (long long)w->cfg.confirm_ms, (long long)w->cfg.hurry_ms,
		w->cfg.sequential, (long long)w->cfg.after_meeting_ms,
		(long long)w->cfg.suspect_delay_ms, w->cfg.suspect_sequential,
		(long long)w->cfg.min_dwell_ms);
	if (w->pending)
		fprintf(stderr, "model: %s ref %" PRIu64 " of %s at %lld waits\n",
			w->pending_retap ? "re-tap" : "tap", w->pending_tap.ref,
			hex(&w->pending_tap.badge), (long long)w->pending_tap.at_ms);
	fprintf(stderr, "engine's seen table (%zu; + on the reader, ? not counted, * done):",
		w->e.n_seen);
	for (size_t i = 0; i < w->e.n_seen; i++)
		fprintf(stderr, " %s%s%s%s@%lld", hex(&w->e.seen[i].badge),
			w->e.seen[i].present ? "+" : "-", w->e.seen[i].counted ? "" : "?",
			w->e.seen[i].done ? "*" : "", (long long)w->e.seen[i].arrived_ms);
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

static size_t n_badges(const struct world *w)
{
	return POOL + w->n_extra;
}

static struct mbadge *badge_at(struct world *w, size_t i)
{
	return i < POOL ? &w->pool[i] : &w->extra[i - POOL];
}

static const struct mbadge *badge_at_const(const struct world *w, size_t i)
{
	return i < POOL ? &w->pool[i] : &w->extra[i - POOL];
}

static struct mbadge *find_badge(struct world *w, const struct tm_badge *b)
{
	for (size_t i = 0; i < n_badges(w); i++)
		if (tm_badge_same(&badge_at(w, i)->b, b))
			return badge_at(w, i);
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

/* --- the rules, as the model reads them ---------------------------------- */

static int64_t grace(const struct world *w)
{
	return w->cfg.rearm_ms < GRACE_CAP_MS ? w->cfg.rearm_ms : GRACE_CAP_MS;
}

/* The waiting badge is on the reader, or left it less than the grace ago. */
static bool pending_on_reader(const struct world *w)
{
	const struct mbadge *m = &w->pool[pool_index(w, &w->pending_tap.badge)];

	return m->entry && (m->present || w->now - m->absent_since < grace(w));
}

/* When the waiting tap stops waiting: its window, or (sequential off, or a
 * re-tap) the grace after its badge left the reader. */
static int64_t window_end(const struct world *w)
{
	int64_t end = w->pending_tap.at_ms + w->cfg.window_ms;
	const struct mbadge *m = &w->pool[pool_index(w, &w->pending_tap.badge)];

	if ((!w->cfg.sequential || w->pending_retap) && m->entry && !m->present &&
	    m->absent_since + grace(w) < end)
		end = m->absent_since + grace(w);
	return end;
}

/* How long a badge must lie on the reader to be decided now: 500 ms more
 * while a sequential window waits with its badge off the reader. */
static int64_t dwell_now(const struct world *w)
{
	bool later = w->pending && !w->pending_retap && w->cfg.sequential && w->cfg.min_dwell_ms > 0 &&
		     !pending_on_reader(w);

	return w->cfg.min_dwell_ms + (later ? SPREAD_MS : 0);
}

static bool met_recently(const struct world *w, const struct tm_badge *b)
{
	int i = pool_index(w, b);

	return i >= 0 && w->cfg.after_meeting_ms > 0 && w->pool[i].recent &&
	       w->now - w->pool[i].recent_at < w->cfg.after_meeting_ms;
}

static bool confirmed_member(const struct world *w, const struct tm_badge *b)
{
	for (size_t k = 0; w->confirming && k < w->n_last_meeting; k++)
		if (tm_badge_same(&w->last_meeting[k], b))
			return true;
	return false;
}

/* A badge that met a moment ago: taken for a re-tap. */
static bool retap_candidate(const struct world *w, const struct tm_badge *b)
{
	return confirmed_member(w, b) || met_recently(w, b);
}

/* Every pair of these (distinct) badges met within the repeat guard. */
static bool all_guarded(const struct world *w, const struct tm_tap *taps, size_t n)
{
	for (size_t x = 0; x < n; x++)
		for (size_t y = x + 1; y < n; y++) {
			int i = pool_index(w, &taps[x].badge), j = pool_index(w, &taps[y].badge);

			if (i == j)
				continue;
			if (!w->pair_known[i][j] || w->now - w->pair_at[i][j] >= w->cfg.repeat_guard_ms)
				return false;
		}
	return true;
}

/* Another badge on the reader, not in the meeting: put down within 500 ms of
 * one of its badges, or neither settled nor a re-tap. `close` says whether
 * one was close. */
static bool another_badge(const struct world *w, const struct tm_tap *taps, size_t n, bool *close_one)
{
	bool found = false;

	*close_one = false;
	for (size_t i = 0; i < n_badges(w); i++) {
		const struct mbadge *m = badge_at_const(w, i);
		bool member = false, close = false;

		if (!m->present || m->b.random) /* a phone is nobody's partner */
			continue;
		for (size_t k = 0; k < n; k++) {
			member |= tm_badge_same(&taps[k].badge, &m->b);
			close |= m->arrived - taps[k].at_ms <= SPREAD_MS &&
				 taps[k].at_ms - m->arrived <= SPREAD_MS;
		}
		if (member)
			continue;
		*close_one |= close;
		/* The waiting re-tap is a re-tap too, whatever after_meeting. */
		found |= close || (!m->done && !retap_candidate(w, &m->b) &&
				   !(w->pending && w->pending_retap &&
				     tm_badge_same(&w->pending_tap.badge, &m->b)));
	}
	return found;
}

/* What the end of a tick forgets (with a guard of 0, the pairs that met in
 * that very tick; not those that meet after it in the same call). */
static void forget_old(struct world *w)
{
	for (int i = 0; i < POOL; i++) {
		if (w->pool[i].recent && w->now - w->pool[i].recent_at >= w->cfg.after_meeting_ms)
			w->pool[i].recent = false;
		for (int j = 0; j < POOL; j++)
			if (w->pair_known[i][j] && w->now - w->pair_at[i][j] >= w->cfg.repeat_guard_ms)
				w->pair_known[i][j] = false;
	}
}

static size_t on_reader_now(const struct world *w, struct tm_badge *out)
{
	size_t n = 0;

	for (size_t i = 0; i < n_badges(w); i++)
		if (badge_at_const(w, i)->present)
			out[n++] = badge_at_const(w, i)->b;
	return n;
}

/* Entries the engine's seen table needs once the reader holds `set`: on the
 * reader, gone for less than rearm, or not yet decided. The table holds
 * TM_ENGINE_MAX_SEEN; beyond that it forgets the oldest, a documented limit
 * the runs stay within. */
static size_t live_with(const struct world *w, const struct tm_badge *set, size_t n)
{
	size_t count = 0;

	for (size_t i = 0; i < n_badges(w); i++) {
		const struct mbadge *m = badge_at_const(w, i);
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

/* --- replaying a call: the engine's steps, each with the actions it must
 * have produced, in order ---------------------------------------------------- */

static const char *outcome(enum tm_tap_outcome o)
{
	return tm_tap_outcome_name(o);
}

/* The next action of the call, which the model expects to be `what`. */
static const struct tm_action *take(struct world *w, const char *what)
{
	CHECK(w, w->next_action < w->n_actions, "expected %s, but the call produced no more", what);
	return &w->actions[w->next_action++];
}

/* Tap j of the action just taken is a new tap of b, from `at`. */
static void check_new_tap(struct world *w, const struct tm_action *a, size_t j,
			  const struct tm_badge *b, int64_t at)
{
	CHECK(w, j < a->n_taps, "expected a tap of %s in place %zu of an action of %zu", hex(b), j,
	      a->n_taps);
	CHECK(w,
	      w->is_new[w->next_action - 1][j] && tm_badge_same(&a->taps[j].badge, b) &&
		      a->taps[j].at_ms == at,
	      "expected a new tap of %s from %lld, got %s ref %" PRIu64 " of %s from %lld", hex(b),
	      (long long)at, w->is_new[w->next_action - 1][j] ? "new" : "earlier", a->taps[j].ref,
	      hex(&a->taps[j].badge), (long long)a->taps[j].at_ms);
}

/* Tap j of the action just taken is the waiting tap. */
static void check_waiting_tap(struct world *w, const struct tm_action *a, size_t j)
{
	CHECK(w, j < a->n_taps && a->taps[j].ref == w->pending_tap.ref,
	      "expected the waiting ref %" PRIu64 " in place %zu", w->pending_tap.ref, j);
}

/* One TAPS action of one tap, this outcome and pattern, this reason. */
static void check_single(struct world *w, const struct tm_action *a, enum tm_tap_outcome o,
			 enum tm_pattern pattern, const char *reason)
{
	CHECK(w, a->type == TM_ACTION_TAPS && a->n_taps == 1,
	      "expected a TAPS action of one tap, got a %s of %zu",
	      a->type == TM_ACTION_MEETING ? "meeting" : "TAPS action", a->n_taps);
	CHECK(w,
	      a->taps[0].outcome == o && a->pattern == pattern && strcmp(a->taps[0].reason, reason) == 0,
	      "ref %" PRIu64 " (%s): expected %s \"%s\" pattern %d, got %s \"%s\" pattern %d",
	      a->taps[0].ref, hex(&a->taps[0].badge), outcome(o), reason, pattern,
	      outcome(a->taps[0].outcome), a->taps[0].reason, a->pattern);
}

static void record_meeting(struct world *w, const struct tm_action *a)
{
	for (size_t x = 0; x < a->n_taps; x++) {
		int i = pool_index(w, &a->taps[x].badge);

		w->pool[i].done = true;
		if (w->cfg.after_meeting_ms > 0) {
			w->pool[i].recent = true;
			w->pool[i].recent_at = w->now;
		}
		for (size_t y = 0; y < a->n_taps; y++) {
			int j = pool_index(w, &a->taps[y].badge);

			if (i != j) {
				w->pair_known[i][j] = true;
				w->pair_at[i][j] = w->now;
			}
		}
		w->last_meeting[x] = a->taps[x].badge;
	}
	w->n_last_meeting = a->n_taps;
	w->confirm_until = w->now + w->cfg.confirm_ms;
	w->confirming = true;
	w->count[C_MEETINGS]++;
	if (a->n_taps > 2)
		w->count[C_GROUPS]++;
	if (a->suspect[0])
		w->count[C_SUSPECT]++;
	if (strcmp(a->suspect, ANOTHER_BADGE) == 0)
		w->count[C_ANOTHER]++;
	else if (strcmp(a->suspect, JUST_MET) == 0)
		w->count[C_JUST_MET]++;
	else if (strcmp(a->suspect, ONE_AFTER_OTHER) == 0)
		w->count[C_ONE_AFTER_OTHER]++;
	else if (strcmp(a->suspect, MORE_THAN_TWO) == 0)
		w->count[C_MORE_THAN_TWO]++;
	else if (a->suspect[0])
		w->count[C_DELAY]++;
}

/* The taps of the action just taken make a meeting, or within the repeat
 * guard all duplicate; `suspect` the rule's reason, NULL when only another
 * badge on the reader can make it suspect. */
static void check_meeting(struct world *w, const struct tm_action *a, const char *suspect)
{
	char want[64];
	bool another, close;

	CHECK(w, a->n_taps >= 2, "a meeting of %zu tap(s)", a->n_taps);
	for (size_t x = 0; x < a->n_taps; x++) {
		CHECK(w, !a->taps[x].badge.random && pool_index(w, &a->taps[x].badge) >= 0,
		      "rejected badge %s in a meeting", hex(&a->taps[x].badge));
		for (size_t y = 0; y < x; y++)
			CHECK(w, !tm_badge_same(&a->taps[x].badge, &a->taps[y].badge),
			      "badge %s twice in one meeting", hex(&a->taps[x].badge));
	}
	if (all_guarded(w, a->taps, a->n_taps)) {
		CHECK(w, a->type == TM_ACTION_TAPS && a->pattern == TM_PATTERN_ALREADY_MET,
		      "every pair met within the repeat guard, yet a %s with pattern %d",
		      a->type == TM_ACTION_MEETING ? "meeting" : "TAPS action", a->pattern);
		for (size_t x = 0; x < a->n_taps; x++)
			CHECK(w,
			      a->taps[x].outcome == TM_TAP_DUPLICATE &&
				      strcmp(a->taps[x].reason, GUARDED) == 0,
			      "repeat guard: %s is %s \"%s\"", hex(&a->taps[x].badge),
			      outcome(a->taps[x].outcome), a->taps[x].reason);
		w->count[C_GUARDED]++;
		return;
	}
	CHECK(w, a->type == TM_ACTION_MEETING && a->pattern == TM_PATTERN_SAVED,
	      "a new pair among them, yet no meeting (type %d, pattern %d)", a->type, a->pattern);
	for (size_t x = 0; x < a->n_taps; x++)
		CHECK(w, a->taps[x].outcome == TM_TAP_PAIRED && a->taps[x].reason[0] == '\0',
		      "meeting tap %s is %s \"%s\"", hex(&a->taps[x].badge),
		      outcome(a->taps[x].outcome), a->taps[x].reason);
	another = another_badge(w, a->taps, a->n_taps, &close);
	snprintf(want, sizeof(want), "%s", suspect ? suspect : another ? ANOTHER_BADGE : "");
	CHECK(w, strcmp(a->suspect, want) == 0, "suspect \"%s\", expected \"%s\"", a->suspect, want);
	if (!suspect && another && close) {
		bool unsettled_too = false;

		for (size_t i = 0; i < n_badges(w) && !unsettled_too; i++) {
			const struct mbadge *m = badge_at_const(w, i);
			bool member = false;

			for (size_t k = 0; k < a->n_taps; k++)
				member |= tm_badge_same(&a->taps[k].badge, &m->b);
			unsettled_too = m->present && !member && !m->done && !retap_candidate(w, &m->b);
		}
		w->count[C_ANOTHER_CLOSE] += !unsettled_too;
	}
	record_meeting(w, a);
}

/* The waiting tap ends if its window has. */
static void sim_expire(struct world *w)
{
	const struct tm_action *a;

	if (!w->pending || w->now < window_end(w))
		return;
	a = take(w, "the waiting tap's end");
	check_waiting_tap(w, a, 0);
	if (w->pending_retap) {
		check_single(w, a, TM_TAP_DUPLICATE, TM_PATTERN_NONE, RETAP_ALONE);
		w->count[C_RETAP_EXPIRED]++;
	} else {
		check_single(w, a, TM_TAP_UNPAIRED, TM_PATTERN_TIMED_OUT,
			     w->cfg.sequential ? "no partner within the window"
					       : "no partner's badge on the reader with it");
		if (!w->cfg.sequential)
			w->count[C_UNPAIRED_READER]++;
	}
	w->pending = false;
}

/* The waiting tap and a badge arriving alone, in that order. */
static void sim_pair(struct world *w, const struct tm_tap *t, const char *suspect)
{
	const struct tm_action *a = take(w, "a meeting with the waiting tap");

	CHECK(w, a->n_taps == 2, "expected the waiting tap and %s, got %zu tap(s)", hex(&t->badge),
	      a->n_taps);
	check_waiting_tap(w, a, 0);
	check_new_tap(w, a, 1, &t->badge, t->at_ms);
	w->pending = false;
	check_meeting(w, a, suspect);
}

static void start_waiting(struct world *w, const struct tm_tap *t, bool retap)
{
	const struct tm_action *a = take(w, retap ? "a re-tap waiting" : "a first tap waiting");

	check_single(w, a, TM_TAP_PENDING, retap ? TM_PATTERN_ALREADY_MET : TM_PATTERN_WAITING, "");
	check_new_tap(w, a, 0, &t->badge, t->at_ms);
	w->pending = true;
	w->pending_retap = retap;
	w->pending_tap = a->taps[0];
	w->confirming = false;
	w->count[retap ? C_RETAP_PENDING : C_PENDING]++;
}

/* One badge decided alone. */
static void sim_one(struct world *w, const struct tm_tap *t)
{
	bool retap = retap_candidate(w, &t->badge);
	bool together = w->pending && pending_on_reader(w) && t->at_ms - w->pending_tap.at_ms <= SPREAD_MS;
	const struct tm_action *a;

	if (w->pending && tm_badge_same(&w->pending_tap.badge, &t->badge)) {
		a = take(w, "a tap cancelling its own waiting tap");
		CHECK(w,
		      a->type == TM_ACTION_TAPS && a->pattern == TM_PATTERN_CANCELLED && a->n_taps == 2 &&
			      a->taps[0].outcome == TM_TAP_CANCELLED &&
			      a->taps[1].outcome == TM_TAP_CANCELLED &&
			      strcmp(a->taps[0].reason, "same badge tapped again") == 0 &&
			      strcmp(a->taps[1].reason, "cancels its own pending tap") == 0,
		      "%s again while its tap waited: not both cancelled", hex(&t->badge));
		check_waiting_tap(w, a, 0);
		check_new_tap(w, a, 1, &t->badge, t->at_ms);
		w->pending = false;
		w->count[C_CANCEL_OWN]++;
	} else if (w->pending && (retap || w->pending_retap) && together) {
		sim_pair(w, t, JUST_MET);
	} else if (w->pending && retap && !w->pending_retap) {
		/* Next to an ordinary waiting tap, which keeps waiting. */
		a = take(w, "a re-tap next to a waiting tap");
		check_single(w, a, TM_TAP_DUPLICATE, TM_PATTERN_ALREADY_MET, RETAP_ALONE);
		check_new_tap(w, a, 0, &t->badge, t->at_ms);
		w->count[C_RETAP_ALONE]++;
	} else if (w->pending && !w->pending_retap) {
		bool one_after_other = !pending_on_reader(w);
		int64_t delay = t->at_ms - w->pending_tap.at_ms;
		char suspect[64] = "";

		if (one_after_other && w->cfg.suspect_sequential)
			snprintf(suspect, sizeof(suspect), "%s", ONE_AFTER_OTHER);
		else if (one_after_other && w->cfg.suspect_delay_ms > 0 && delay > w->cfg.suspect_delay_ms)
			snprintf(suspect, sizeof(suspect), "partner tapped %lld.%llds after the first",
				 (long long)(delay / 1000), (long long)(delay % 1000 / 100));
		sim_pair(w, t, suspect[0] ? suspect : NULL);
	} else {
		if (w->pending) {
			/* A re-tap waits for a badge put down with it, not this one. */
			a = take(w, "the waiting re-tap settled");
			check_waiting_tap(w, a, 0);
			check_single(w, a, TM_TAP_DUPLICATE, TM_PATTERN_NONE, RETAP_ALONE);
			w->pending = false;
			w->count[C_RETAP_SETTLED]++;
		}
		start_waiting(w, t, retap);
	}
}

/* Badges decided together: one meeting of all, the waiting badge with its
 * own tap; a re-tap among them, or more than two, make it suspect. */
static void sim_group(struct world *w, const struct tm_tap *arrivals, size_t n)
{
	const struct tm_action *a = take(w, "a group");
	bool just_met = false, rejoin = false;

	CHECK(w, a->n_taps == n, "%zu badges decided together, %zu tap(s) in the action", n, a->n_taps);
	for (size_t k = 0; k < n; k++) {
		const struct tm_tap *t = &arrivals[k];
		bool found = false;

		just_met |= retap_candidate(w, &t->badge);
		for (size_t j = 0; j < a->n_taps && !found; j++) {
			if (!tm_badge_same(&a->taps[j].badge, &t->badge))
				continue;
			found = true;
			if (w->pending && tm_badge_same(&t->badge, &w->pending_tap.badge)) {
				check_waiting_tap(w, a, j);
				rejoin = true;
			} else {
				check_new_tap(w, a, j, &t->badge, t->at_ms);
			}
		}
		CHECK(w, found, "%s was decided but is not in its group", hex(&t->badge));
	}
	if (rejoin) {
		w->pending = false;
		w->count[C_REJOIN]++;
	}
	w->confirming = false; /* a group ends the confirmation */
	check_meeting(w, a, just_met ? JUST_MET : n > 2 ? MORE_THAN_TWO : NULL);
}

/* A passer-by, or a badge at a stop, logged as cancelled: one of `list`,
 * in whatever order the engine keeps them. */
static void take_cancelled(struct world *w, struct mbadge **list, size_t n, bool stopped)
{
	for (size_t left = n; left > 0; left--) {
		const struct tm_action *a = take(w, stopped ? "a badge logged at the stop" : "a passer-by");
		size_t k = 0;
		char why[96];

		while (k < left && !tm_badge_same(&list[k]->b, &a->taps[0].badge))
			k++;
		CHECK(w, k < left, "%s logged as cancelled, not expected", hex(&a->taps[0].badge));
		if (stopped)
			snprintf(why, sizeof(why), "station stopped before it counted as a tap");
		else
			snprintf(why, sizeof(why), "on the reader only %lld ms: passing by, not a tap",
				 (long long)(list[k]->absent_since - list[k]->arrived));
		check_single(w, a, TM_TAP_CANCELLED, TM_PATTERN_NONE, why);
		check_new_tap(w, a, 0, &list[k]->b, list[k]->arrived);
		if (!stopped)
			w->count[C_PASSING]++;
		list[k] = list[left - 1];
	}
}

/* When the first badge on the reader not yet decided came of age, or
 * TM_NEVER. */
static int64_t first_of_age(const struct world *w)
{
	int64_t dwell = dwell_now(w), first = TM_NEVER;

	for (size_t i = 0; i < n_badges(w); i++) {
		const struct mbadge *m = badge_at_const(w, i);

		if (m->known && !m->decided && m->present && m->arrived + dwell <= w->now &&
		    m->arrived + dwell < first)
			first = m->arrived + dwell;
	}
	return first;
}

/* More badges decided at once than one arrival holds: the engine takes the
 * first eight in its table's order, the badges of age before those put down
 * with them. Which eight is its own business: any the rules allow will do,
 * and the others wait for the next decision. Returns 8, with the chosen
 * first in `arrivals`. */
static size_t choose_eight(struct world *w, struct tm_tap *arrivals, size_t n, size_t n_held)
{
	const struct tm_action *a;
	size_t chosen = 0;

	CHECK(w, w->next_action < w->n_actions, "%zu badges decided at once, and no action", n);
	a = &w->actions[w->next_action];
	CHECK(w, a->n_taps == TM_MAX_BADGES_AT_ONCE, "%zu badges of age, %zu in the arrival", n,
	      a->n_taps);
	for (size_t k = 0; k < n; k++) {
		bool in = false;

		for (size_t j = 0; j < a->n_taps; j++)
			in |= tm_badge_same(&a->taps[j].badge, &arrivals[k].badge);
		/* Those put down with the first only once every badge of age is in. */
		CHECK(w, in || k >= n_held || n_held > TM_MAX_BADGES_AT_ONCE,
		      "%s of age, left out for one put down with it", hex(&arrivals[k].badge));
		CHECK(w, !in || k < n_held || n_held < TM_MAX_BADGES_AT_ONCE,
		      "%s put down with them, in for one of age", hex(&arrivals[k].badge));
		if (in) {
			struct tm_tap t = arrivals[chosen];

			arrivals[chosen++] = arrivals[k];
			arrivals[k] = t;
		} else {
			find_badge(w, &arrivals[k].badge)->decided = false;
		}
	}
	CHECK(w, chosen == TM_MAX_BADGES_AT_ONCE, "the arrival holds badges not decided");
	return chosen;
}

/* The badges of age become taps, together; then the passers-by. */
static void sim_settle(struct world *w)
{
	struct tm_tap arrivals[POOL + MAX_RANDOM_TRACKED];
	struct mbadge *passing[POOL + MAX_RANDOM_TRACKED];
	int64_t dwell = dwell_now(w), first = TM_NEVER;
	bool later = dwell > w->cfg.min_dwell_ms;
	size_t n = 0, n_passing = 0, n_held;

	for (size_t i = 0; i < n_badges(w); i++) {
		struct mbadge *m = badge_at(w, i);
		bool held = m->present ? w->now - m->arrived >= dwell
				       : m->absent_since - m->arrived >= w->cfg.min_dwell_ms;

		if (!m->known || m->decided || !held)
			continue;
		m->decided = true;
		arrivals[n++] = (struct tm_tap){ .badge = m->b, .at_ms = m->arrived };
		if (m->arrived < first)
			first = m->arrived;
		if (!m->present)
			w->count[C_LIFTED_TAP]++;
	}
	n_held = n;
	/* Waiting 500 ms more, the badges put down with the first count with it. */
	for (size_t i = 0; later && n > 0 && i < n_badges(w); i++) {
		struct mbadge *m = badge_at(w, i);

		if (!m->known || m->decided || !m->present || m->arrived - first > SPREAD_MS)
			continue;
		m->decided = true;
		arrivals[n++] = (struct tm_tap){ .badge = m->b, .at_ms = m->arrived };
		w->count[C_PUT_DOWN_TOGETHER]++;
	}
	w->count[C_DECIDED_LATER] += later && n > 0;
	if (n > TM_MAX_BADGES_AT_ONCE)
		n = choose_eight(w, arrivals, n, n_held);
	if (n == 1)
		sim_one(w, &arrivals[0]);
	else if (n > 1)
		sim_group(w, arrivals, n);
	for (size_t i = 0; i < n_badges(w); i++) {
		struct mbadge *m = badge_at(w, i);

		if (!m->known || m->decided || m->present || w->now - m->absent_since < w->cfg.rearm_ms)
			continue;
		m->decided = true;
		passing[n_passing++] = m;
	}
	take_cancelled(w, passing, n_passing, false);
}

/* tm_engine_tick, in its order: a window that ended before the first badge
 * came of age closes first. */
static void sim_tick(struct world *w)
{
	if (w->pending && window_end(w) <= first_of_age(w))
		sim_expire(w);
	sim_settle(w);
	sim_expire(w);
	if (w->confirming && w->now >= w->confirm_until)
		w->confirming = false;
	forget_old(w);
}

/* tm_engine_badges after its tick: the reader now holds the call's set. */
static void sim_take_badges(struct world *w)
{
	bool new_entry = false;

	for (size_t i = 0; i < n_badges(w); i++) {
		struct mbadge *m = badge_at(w, i);
		bool in = false;

		for (size_t k = 0; k < w->call.n_set; k++)
			in |= tm_badge_same(&w->call.set[k], &m->b);
		if (m->present && !in) {
			m->present = false;
			m->absent_since = w->now;
		}
	}
	for (size_t k = 0; k < w->call.n_set; k++) {
		struct mbadge *m = find_badge(w, &w->call.set[k]);

		CHECK(w, m != NULL, "the model lost %s", hex(&w->call.set[k]));
		if (m->present)
			continue;
		m->present = true;
		if (m->known && w->now - m->absent_since < w->cfg.rearm_ms)
			continue; /* flicker: the same presence */
		new_entry |= !m->entry;
		m->known = true;
		m->arrived = w->now;
		m->decided = m->done = m->random;
		if (m->random) {
			/* Not a badge at all: said at once, however briefly seen. */
			const struct tm_action *a = take(w, "a phone rejected");

			check_single(w, a, TM_TAP_REJECTED, TM_PATTERN_REJECTED,
				     tm_badge_reject_reason(&m->b));
			check_new_tap(w, a, 0, &m->b, w->now);
		}
	}
	/* A badge new to the engine's table makes it drop those gone past
	 * rearm and decided, but the waiting one's. */
	for (size_t i = 0; i < n_badges(w); i++) {
		struct mbadge *m = badge_at(w, i);

		if (new_entry && m->entry && !m->present && m->decided &&
		    !(w->pending && tm_badge_same(&w->pending_tap.badge, &m->b)) &&
		    w->now - m->absent_since >= w->cfg.rearm_ms)
			m->entry = false;
		m->entry |= m->present;
	}
}

static void sim_abandon(struct world *w)
{
	struct mbadge *left[POOL + MAX_RANDOM_TRACKED];
	size_t n = 0;

	for (size_t i = 0; i < n_badges(w); i++) {
		struct mbadge *m = badge_at(w, i);

		if (m->known && !m->decided) {
			m->decided = true;
			left[n++] = m;
		}
	}
	take_cancelled(w, left, n, true);
	if (w->pending) {
		const struct tm_action *a = take(w, "the waiting tap at the stop");

		check_waiting_tap(w, a, 0);
		if (w->pending_retap)
			check_single(w, a, TM_TAP_DUPLICATE, TM_PATTERN_NONE,
				     "tapped alone just after its meeting");
		else
			check_single(w, a, TM_TAP_UNPAIRED, TM_PATTERN_NONE,
				     "station stopped while waiting for a partner");
		w->pending = false;
	}
}

static void simulate(struct world *w)
{
	switch (w->call.kind) {
	case CALL_RECONFIGURE:
		break;
	case CALL_TICK:
		sim_tick(w);
		break;
	case CALL_BADGES:
		sim_tick(w);
		sim_take_badges(w);
		sim_settle(w);
		break;
	case CALL_REJECT: {
		const struct tm_action *a;

		sim_tick(w);
		a = take(w, "the reader's rejection");
		check_single(w, a, TM_TAP_REJECTED, TM_PATTERN_REJECTED, "unsupported tag type (test)");
		check_new_tap(w, a, 0, &w->call.rejected, w->now);
		break;
	}
	case CALL_ABANDON:
		sim_abandon(w);
		break;
	}
	CHECK(w, w->next_action == w->n_actions, "%zu action(s) the model did not expect, from ref %" PRIu64,
	      w->n_actions - w->next_action, w->actions[w->next_action].taps[0].ref);
}

static void drain_and_check(struct world *w)
{
	CHECK(w, w->e.dropped_actions == 0, "dropped %" PRIu64 " action(s)", w->e.dropped_actions);
	w->n_actions = w->next_action = 0;
	while (w->n_actions < TM_ENGINE_QUEUE && tm_engine_pop(&w->e, &w->actions[w->n_actions]))
		w->n_actions++;
	CHECK(w, !tm_engine_pop(&w->e, &w->actions[0]), "more than a queue of actions");

	/* Refs: new ones appear once; a pending one is finalised once. */
	for (size_t i = 0; i < w->n_actions; i++) {
		const struct tm_action *a = &w->actions[i];

		note(w, "  -> %s %s%s%s", a->type == TM_ACTION_MEETING ? "MEETING" : "TAPS",
		     tm_pattern_name(a->pattern), a->suspect[0] ? " suspect: " : "", a->suspect);
		CHECK(w, a->at_ms == w->now, "action at %lld", (long long)a->at_ms);
		CHECK(w, a->n_taps >= 1, "an action with no tap");
		CHECK(w, a->type == TM_ACTION_MEETING || a->suspect[0] == '\0', "a suspect TAPS action");
		for (size_t j = 0; j < a->n_taps; j++) {
			const struct tm_tap *t = &a->taps[j];
			struct refinfo *r = ref_slot(w, t->ref);

			note(w, "     ref %" PRIu64 " %s at %lld %s \"%s\"", t->ref, hex(&t->badge),
			     (long long)t->at_ms, outcome(t->outcome), t->reason);
			w->is_new[i][j] = r->state == REF_UNSEEN;
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
				CHECK(w, t->outcome != TM_TAP_PENDING && t->outcome != TM_TAP_REJECTED,
				      "pending ref %" PRIu64 " became %s", t->ref, outcome(t->outcome));
				r->state = REF_FINAL;
			}
			if (t->badge.random)
				CHECK(w, t->outcome == TM_TAP_REJECTED, "random UID %s is %s", hex(&t->badge),
				      outcome(t->outcome));
			if (a->type == TM_ACTION_TAPS)
				CHECK(w, t->outcome != TM_TAP_PAIRED, "paired outside a meeting");
			if (t->outcome == TM_TAP_REJECTED)
				w->count[C_REJECTED]++;
		}
		if (a->type == TM_ACTION_MEETING)
			for (size_t k = 0; k < i; k++)
				for (size_t x = 0; w->actions[k].type == TM_ACTION_MEETING && x < a->n_taps; x++)
					for (size_t y = 0; y < w->actions[k].n_taps; y++)
						CHECK(w,
						      !tm_badge_same(&a->taps[x].badge,
								     &w->actions[k].taps[y].badge),
						      "%s in two meetings at once", hex(&a->taps[x].badge));
	}

	simulate(w);

	/* The model's waiting tap and the LEDs agree: waiting (hurry in its last
	 * part) for an ordinary tap, ready for a re-tap or none. */
	{
		enum tm_pattern base = tm_engine_base_pattern(&w->e, w->now), want = TM_PATTERN_READY;

		if (w->pending && !w->pending_retap)
			want = w->now >= window_end(w) - w->cfg.hurry_ms ? TM_PATTERN_WAITING_HURRY
									 : TM_PATTERN_WAITING;
		CHECK(w, base == want, "base pattern %d, expected %d (%s waiting)", base, want,
		      !w->pending ? "nothing" : w->pending_retap ? "a re-tap" : "a tap");
		CHECK(w,
		      w->e.pending == w->pending && (!w->pending || w->e.pending_retap == w->pending_retap),
		      "the engine %s waiting", w->e.pending ? "is" : "is not");
	}
}

/* --- calls ----------------------------------------------------------------- */

static void begin_call(struct world *w, enum call_kind kind)
{
	memset(&w->call, 0, sizeof(w->call));
	w->call.kind = kind;
}

/* Nothing is due, so a tap still waiting has its window open. */
static void check_window_open(struct world *w)
{
	int64_t d = tm_engine_next_deadline(&w->e, w->now);

	/* The LEDs change only at a deadline: the base pattern now holds until
	 * just before the next one. */
	if (d != TM_NEVER)
		CHECK(w, tm_engine_base_pattern(&w->e, w->now) == tm_engine_base_pattern(&w->e, d - 1),
		      "the base pattern changes before the deadline %lld", (long long)d);
	if (!w->pending)
		return;
	CHECK(w, w->now < window_end(w),
	      "ref %" PRIu64 " waits, its window ended at %lld, and nothing is due", w->pending_tap.ref,
	      (long long)window_end(w));
	CHECK(w, d <= window_end(w), "the window ends at %lld, the next deadline is %lld",
	      (long long)window_end(w), (long long)d);
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
		begin_call(w, CALL_TICK);
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

	begin_call(w, CALL_BADGES);
	w->call.n_set = n;
	if (n > 0)
		memcpy(w->call.set, set, n * sizeof(*set));
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
	begin_call(w, CALL_TICK);
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
	c->sequential = chance(r, 50);
	c->after_meeting_ms = chance(r, 30) ? 0 : chance(r, 40) ? 10000 : 1000 + below(r, 19001);
	c->suspect_delay_ms = chance(r, 50) ? 0 : 1000 + below(r, 9001);
	c->suspect_sequential = chance(r, 30);
	c->min_dwell_ms = chance(r, 40)	  ? 0
			  : chance(r, 20) ? 1
			  : chance(r, 30) ? 250
					  : 100 + below(r, 2901);
}

static void reconfigure(struct world *w)
{
	struct tm_engine_config c;

	random_config(w, &c);
	note(w, "reconfigure window=%lld guard=%lld confirm=%lld hurry=%lld seq=%d after=%lld "
		"suspect=%lld suspect_seq=%d dwell=%lld",
	     (long long)c.window_ms, (long long)c.repeat_guard_ms, (long long)c.confirm_ms,
	     (long long)c.hurry_ms, c.sequential, (long long)c.after_meeting_ms,
	     (long long)c.suspect_delay_ms, c.suspect_sequential, (long long)c.min_dwell_ms);
	w->cfg = c;
	begin_call(w, CALL_RECONFIGURE);
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
	size_t n = on_reader_now(w, set);
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
	size_t n = on_reader_now(w, set);
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
	begin_call(w, CALL_REJECT);
	w->call.rejected = b;
	tm_engine_reject(&w->e, w->now, &b, "unsupported tag type (test)");
	drain_and_check(w);
	check_deadline(w);
}

/* Steps of every size, and often exactly at the rules' limits. */
static int64_t random_step(struct world *w)
{
	uint64_t *r = &w->rng;
	int64_t g = grace(w);

	switch (below(r, 12)) {
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
		return chance(r, 50) ? g : g - 1 > 0 ? g - 1 : 0;
	case 6:
		return chance(r, 50) ? SPREAD_MS : SPREAD_MS + 1;
	case 7:
	case 8:
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

static void stop(struct world *w)
{
	note(w, "abandon");
	begin_call(w, CALL_ABANDON);
	tm_engine_abandon(&w->e, w->now);
	drain_and_check(w);
	CHECK(w, !w->pending, "ref %" PRIu64 " still pending after abandon", w->pending_tap.ref);
	CHECK(w, tm_engine_base_pattern(&w->e, w->now) == TM_PATTERN_READY, "waiting after abandon");
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
	w->cfg.rearm_ms = rearms[below(r, 6)];
	random_config(w, &w->cfg);
	if (chance(r, 30)) {
		/* The shipped defaults, with rearm as drawn. */
		int64_t rearm = w->cfg.rearm_ms;

		tm_engine_config_defaults(&w->cfg);
		w->cfg.rearm_ms = rearm;
	}
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
	w->count[C_ABANDONED] += w->pending;
	stop(w);
	call_tick(w);

	/* Then everyone leaves and time runs on until nothing is due: every
	 * presence has had its one tap. */
	call_badges(w, NULL, 0, 0, NULL);
	advance_to(w, w->now + 10 * 60 * 1000, true);
	CHECK(w, tm_engine_next_deadline(&w->e, w->now) == TM_NEVER, "still something due");
	stop(w);
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
	uint64_t totals[N_COUNTS] = { 0 };
	long prompt_runs = 0;

	(void)state;
	for (long run = 0; run < runs; run++) {
		uint64_t seed = only > 0 ? (uint64_t)only : (uint64_t)run + 1;

		run_one(seed, (int)steps, &w);
		prompt_runs += w.prompt;
		for (int i = 0; i < N_COUNTS; i++)
			totals[i] += w.count[i];
		if (only > 0)
			break;
	}
	printf("engine props: %ld run(s) x %ld steps (%ld prompt):", only > 0 ? 1 : runs, steps,
	       prompt_runs);
	for (int i = 0; i < N_COUNTS; i++)
		printf("%s %" PRIu64 " %s", i ? "," : "", totals[i], count_names[i]);
	printf("\n");
	/* The runs must reach every rule, or they prove little. */
	if (only == 0 && runs >= 50 && steps >= 500)
		for (int i = 0; i < N_COUNTS; i++)
			if (totals[i] == 0)
				fail_msg("no run reached: %s", count_names[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(random_sequences_keep_the_invariants),
	};

	return cmocka_run_group_tests_name("engine properties", tests, NULL, NULL);
}
