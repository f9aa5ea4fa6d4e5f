/* The pairing engine. See include/tapmeet/engine.h and docs/pairing.md.
 *
 * Everything here is a function of the calls made and the times passed in:
 * no clock, no I/O; the only memory it allocates is the repeat guard's set
 * of pairs. */
#include "tapmeet/engine.h"

#include <stdio.h>
#include <string.h>

/* Two badges put down "together" by one pair land this far apart at most;
 * a badge that met a moment ago pairs only with one that close. */
#define TM_TOGETHER_SPREAD_MS 500

/* A re-tap lands next to the next pair's badge as easily as a second
 * meeting is held together: the simulator cannot tell them apart either. */
#define JUST_MET "one of them met someone else a moment before"
#define RETAP_ALONE "tapped alone just after its meeting"

static bool in_set(const struct tm_badge *set, size_t n, const struct tm_badge *b)
{
	for (size_t i = 0; i < n; i++)
		if (tm_badge_same(&set[i], b))
			return true;
	return false;
}

void tm_engine_config_defaults(struct tm_engine_config *cfg)
{
	cfg->window_ms = 5000;
	cfg->repeat_guard_ms = 60000;
	cfg->rearm_ms = 1000;
	cfg->confirm_ms = 2000;
	cfg->hurry_ms = 2000;
	/* Chosen on the crowd simulator: docs/pairing.md. */
	cfg->sequential = true;
	cfg->after_meeting_ms = 10000;
	cfg->suspect_delay_ms = 0;
	cfg->suspect_sequential = true;
	cfg->min_dwell_ms = 250;
}

const char *tm_tap_outcome_name(enum tm_tap_outcome outcome)
{
	switch (outcome) {
	case TM_TAP_PENDING:
		return "pending";
	case TM_TAP_PAIRED:
		return "paired";
	case TM_TAP_UNPAIRED:
		return "unpaired";
	case TM_TAP_CANCELLED:
		return "cancelled";
	case TM_TAP_DUPLICATE:
		return "duplicate";
	case TM_TAP_REJECTED:
		return "rejected";
	}
	return "unknown";
}

void tm_engine_init(struct tm_engine *e, const struct tm_engine_config *cfg)
{
	memset(e, 0, sizeof(*e));
	e->cfg = *cfg;
	e->next_ref = 1;
}

void tm_engine_free(struct tm_engine *e)
{
	tm_pairs_free(&e->recent);
	tm_pairs_free(&e->recent_badges);
}

void tm_engine_reconfigure(struct tm_engine *e, const struct tm_engine_config *cfg)
{
	e->cfg = *cfg;
}

static struct tm_action *push_action(struct tm_engine *e, enum tm_action_type type, int64_t now,
				     enum tm_pattern pattern)
{
	struct tm_action *a;

	if (e->queue_len == TM_ENGINE_QUEUE) {
		/* The caller drains after every call; losing the oldest action
		 * here would be a bug in the caller, so count it to be seen. */
		e->queue_head = (e->queue_head + 1) % TM_ENGINE_QUEUE;
		e->queue_len--;
		e->dropped_actions++;
	}
	a = &e->queue[(e->queue_head + e->queue_len) % TM_ENGINE_QUEUE];
	e->queue_len++;
	memset(a, 0, sizeof(*a));
	a->type = type;
	a->at_ms = now;
	a->pattern = pattern;
	return a;
}

static void add_tap(struct tm_action *a, const struct tm_tap *tap, enum tm_tap_outcome outcome,
		    const char *reason)
{
	struct tm_tap *t;

	if (a->n_taps == TM_MAX_BADGES_AT_ONCE)
		return;
	t = &a->taps[a->n_taps++];
	*t = *tap;
	t->outcome = outcome;
	snprintf(t->reason, sizeof(t->reason), "%s", reason ? reason : "");
}

bool tm_engine_pop(struct tm_engine *e, struct tm_action *out)
{
	if (e->queue_len == 0)
		return false;
	*out = e->queue[e->queue_head];
	e->queue_head = (e->queue_head + 1) % TM_ENGINE_QUEUE;
	e->queue_len--;
	return true;
}

/* --- repeat guard ------------------------------------------------------ */

static bool met_recently(const struct tm_engine *e, const struct tm_badge *a,
			 const struct tm_badge *b, int64_t now)
{
	int64_t t;

	return tm_pairs_last_met(&e->recent, a, b, &t) && now - t < e->cfg.repeat_guard_ms;
}

/* A badge that was in a meeting within after_meeting. */
static bool badge_met_recently(const struct tm_engine *e, const struct tm_badge *b, int64_t now)
{
	int64_t t;

	return e->cfg.after_meeting_ms > 0 && tm_pairs_last_met(&e->recent_badges, b, b, &t) &&
	       now - t < e->cfg.after_meeting_ms;
}

static bool is_confirmed_member(const struct tm_engine *e, const struct tm_badge *b)
{
	return e->confirming && in_set(e->confirmed, e->n_confirmed, b);
}

/* In the meeting being confirmed, or met within after_meeting: alone, it is
 * taken for a re-tap. */
static bool just_met(const struct tm_engine *e, const struct tm_badge *b, int64_t now)
{
	return is_confirmed_member(e, b) || badge_met_recently(e, b, now);
}

static void remember_pair(struct tm_engine *e, const struct tm_badge *a, const struct tm_badge *b,
			  int64_t met_ms)
{
	/* Out of memory: this pair may be stored again within the guard. The
	 * meeting itself is not lost, so carry on and let the caller log it. */
	if (tm_pairs_put(&e->recent, a, b, met_ms) < 0)
		e->remember_failures++;
}

static void remember_badge(struct tm_engine *e, const struct tm_badge *b, int64_t met_ms)
{
	if (e->cfg.after_meeting_ms > 0 && tm_pairs_put(&e->recent_badges, b, b, met_ms) < 0)
		e->remember_failures++;
}

void tm_engine_remember_meeting(struct tm_engine *e, const struct tm_badge *badges, size_t n,
				int64_t met_ms)
{
	for (size_t i = 0; i < n; i++) {
		remember_badge(e, &badges[i], met_ms);
		for (size_t j = i + 1; j < n; j++)
			remember_pair(e, &badges[i], &badges[j], met_ms);
	}
}

static void forget_old_pairs(struct tm_engine *e, int64_t now)
{
	tm_pairs_expire(&e->recent, now - e->cfg.repeat_guard_ms + 1);
	tm_pairs_expire(&e->recent_badges, now - e->cfg.after_meeting_ms + 1);
}

/* A group is a duplicate only when every pair in it met recently: one new
 * acquaintance in the group is worth a meeting. */
static bool group_met_recently(const struct tm_engine *e, const struct tm_tap *taps, size_t n,
			       int64_t now)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (!tm_badge_same(&taps[i].badge, &taps[j].badge) &&
			    !met_recently(e, &taps[i].badge, &taps[j].badge, now))
				return false;
	return true;
}

/* --- time ------------------------------------------------------------- */

static const struct tm_engine_seen *find_seen_const(const struct tm_engine *e,
						    const struct tm_badge *b)
{
	for (size_t i = 0; i < e->n_seen; i++)
		if (tm_badge_same(&e->seen[i].badge, b))
			return &e->seen[i];
	return NULL;
}

static struct tm_engine_seen *find_seen(struct tm_engine *e, const struct tm_badge *b)
{
	return (struct tm_engine_seen *)find_seen_const(e, b);
}

static bool is_pending_badge(const struct tm_engine *e, const struct tm_badge *b)
{
	return e->pending && tm_badge_same(&e->pending_tap.badge, b);
}

/* A badge lifted and put back within this is the same badge held on the
 * reader (it slipped out of the field): for "on the reader together". */
#define TM_ON_READER_GRACE_MS 300

static int64_t on_reader_grace(const struct tm_engine *e)
{
	return e->cfg.rearm_ms < TM_ON_READER_GRACE_MS ? e->cfg.rearm_ms : TM_ON_READER_GRACE_MS;
}

/* The waiting tap can pair only with a badge on the reader at the same
 * time: sequential pairing is off, or it is a re-tap just after a meeting. */
static bool pending_together_only(const struct tm_engine *e)
{
	return !e->cfg.sequential || e->pending_retap;
}

/* The waiting badge is on the reader, or left it less than the grace ago. */
static bool pending_on_reader(const struct tm_engine *e, int64_t now)
{
	const struct tm_engine_seen *s = find_seen_const(e, &e->pending_tap.badge);

	return s && (s->present || now - s->absent_since_ms < on_reader_grace(e));
}

static int64_t window_end(const struct tm_engine *e)
{
	int64_t end = e->pending_tap.at_ms + e->cfg.window_ms;

	if (pending_together_only(e)) {
		const struct tm_engine_seen *s = find_seen_const(e, &e->pending_tap.badge);
		int64_t gone = s && !s->present ? s->absent_since_ms + on_reader_grace(e) : TM_NEVER;

		if (gone < end)
			end = gone;
	}
	return end;
}

static void settle_arrivals(struct tm_engine *e, int64_t now);

/* How long a badge must lie on the reader before it is decided now. While a
 * sequential window is open and its badge is off the reader, a new badge
 * waits 500 ms more, so that a badge put down together with it is seen
 * first: the two then meet each other instead of one of them the waiting
 * tap. (With min_dwell 0 every badge counts the moment it is seen.) */
static int64_t dwell_now(const struct tm_engine *e, int64_t now)
{
	bool window_open = e->pending && !e->pending_retap && e->cfg.sequential &&
			   e->cfg.min_dwell_ms > 0 && !pending_on_reader(e, now);

	return e->cfg.min_dwell_ms + (window_open ? TM_TOGETHER_SPREAD_MS : 0);
}

static void expire_window(struct tm_engine *e, int64_t now)
{
	struct tm_action *a;

	if (!e->pending || now < window_end(e))
		return;
	if (e->pending_retap) {
		/* "Already met" was shown when it arrived. */
		a = push_action(e, TM_ACTION_TAPS, now, TM_PATTERN_NONE);
		add_tap(a, &e->pending_tap, TM_TAP_DUPLICATE, RETAP_ALONE);
	} else {
		a = push_action(e, TM_ACTION_TAPS, now, TM_PATTERN_TIMED_OUT);
		add_tap(a, &e->pending_tap, TM_TAP_UNPAIRED,
			e->cfg.sequential ? "no partner within the window"
					  : "no partner's badge on the reader with it");
	}
	e->pending = false;
}

/* When the first badge waiting on the reader came of age (min_dwell), or
 * TM_NEVER if none has by now. */
static int64_t first_matured(const struct tm_engine *e, int64_t now)
{
	int64_t first = TM_NEVER, dwell = dwell_now(e, now);

	for (size_t i = 0; i < e->n_seen; i++) {
		const struct tm_engine_seen *s = &e->seen[i];
		int64_t at = s->arrived_ms + dwell;

		if (!s->counted && s->present && at <= now && at < first)
			first = at;
	}
	return first;
}

void tm_engine_tick(struct tm_engine *e, int64_t now)
{
	/* In the order they happened: a window that closed before a badge came
	 * of age (a late timer, a reload that shortened it) closes first. */
	if (e->pending && window_end(e) <= first_matured(e, now))
		expire_window(e, now);
	settle_arrivals(e, now);
	expire_window(e, now);
	if (e->confirming && now >= e->confirm_until_ms)
		e->confirming = false;
	forget_old_pairs(e, now);
}

int64_t tm_engine_next_deadline(const struct tm_engine *e, int64_t now)
{
	int64_t next = TM_NEVER, dwell = dwell_now(e, now);

	if (e->pending) {
		int64_t end = window_end(e);
		int64_t hurry = end - e->cfg.hurry_ms;

		/* Wake at the start of the hurry phase too: the LEDs change then. */
		next = (hurry > now) ? hurry : end;
	}
	if (e->confirming && e->confirm_until_ms < next)
		next = e->confirm_until_ms;
	for (size_t i = 0; i < e->n_seen; i++) {
		const struct tm_engine_seen *s = &e->seen[i];
		int64_t due;

		if (s->counted)
			continue;
		due = s->present ? s->arrived_ms + dwell
				 : s->absent_since_ms + e->cfg.rearm_ms;
		if (due < next)
			next = due;
	}
	return next;
}

enum tm_pattern tm_engine_base_pattern(const struct tm_engine *e, int64_t now)
{
	/* A re-tap held on the reader invites nobody to tap after it. */
	if (!e->pending || e->pending_retap)
		return TM_PATTERN_READY;
	if (now >= window_end(e) - e->cfg.hurry_ms)
		return TM_PATTERN_WAITING_HURRY;
	return TM_PATTERN_WAITING;
}

/* --- presence: one tap per arrival ------------------------------------- */

/* A new presence of the badge: nothing decided about it yet. */
static void start_presence(struct tm_engine_seen *s, int64_t now)
{
	s->present = true;
	s->counted = false;
	s->done = false;
	s->arrived_ms = now;
	s->absent_since_ms = 0;
}

static struct tm_engine_seen *add_seen(struct tm_engine *e, const struct tm_badge *b, int64_t now)
{
	struct tm_engine_seen *s = NULL;

	/* Badges gone longer than the re-arm time carry no information, but
	 * for the waiting one: when it left decides when its wait ends. */
	for (size_t i = 0; i < e->n_seen;) {
		if (!e->seen[i].present && e->seen[i].counted && !is_pending_badge(e, &e->seen[i].badge) &&
		    now - e->seen[i].absent_since_ms >= e->cfg.rearm_ms)
			e->seen[i] = e->seen[--e->n_seen];
		else
			i++;
	}
	if (e->n_seen < TM_ENGINE_MAX_SEEN) {
		s = &e->seen[e->n_seen++];
	} else {
		for (size_t i = 0; i < e->n_seen; i++)
			if (!e->seen[i].present && e->seen[i].counted &&
			    !is_pending_badge(e, &e->seen[i].badge) &&
			    (!s || e->seen[i].absent_since_ms < s->absent_since_ms))
				s = &e->seen[i];
		if (!s)
			return NULL;
	}
	s->badge = *b;
	start_presence(s, now);
	return s;
}

static struct tm_tap new_tap(struct tm_engine *e, const struct tm_badge *b, int64_t now)
{
	struct tm_tap t;

	memset(&t, 0, sizeof(t));
	t.ref = e->next_ref++;
	t.badge = *b;
	t.at_ms = now;
	t.outcome = TM_TAP_PENDING;
	return t;
}

static void start_confirming(struct tm_engine *e, const struct tm_tap *taps, size_t n, int64_t now)
{
	e->confirming = true;
	e->confirm_until_ms = now + e->cfg.confirm_ms;
	e->n_confirmed = 0;
	for (size_t i = 0; i < n && e->n_confirmed < TM_MAX_BADGES_AT_ONCE; i++)
		e->confirmed[e->n_confirmed++] = taps[i].badge;
}

/* A badge on the reader that is neither in this meeting nor settled: two
 * pairs at the reader at once, or someone's re-tap lying there. Which badge
 * belongs to whom is then a guess. */
static bool another_badge_on_reader(const struct tm_engine *e, const struct tm_tap *taps, size_t n,
				    int64_t now)
{
	for (size_t i = 0; i < e->n_seen; i++) {
		const struct tm_engine_seen *s = &e->seen[i];
		bool member = false, close = false, retap;

		for (size_t j = 0; j < n; j++) {
			member |= tm_badge_same(&s->badge, &taps[j].badge);
			close |= s->arrived_ms - taps[j].at_ms <= TM_TOGETHER_SPREAD_MS &&
				 taps[j].at_ms - s->arrived_ms <= TM_TOGETHER_SPREAD_MS;
		}
		if (tm_badge_reject_reason(&s->badge))
			continue; /* a phone is nobody's partner */
		retap = just_met(e, &s->badge, now) ||
			(e->pending_retap && is_pending_badge(e, &s->badge));
		/* Put down within 500 ms of one of them, any other badge could
		 * have been its partner (even one that has just made another
		 * meeting from the same crowd). Otherwise only a badge still
		 * waiting counts: a badge left lying after its meeting, or one
		 * that met a moment ago (most often a re-tap), doubts nothing. */
		if (s->present && !member && (close || (!s->done && !retap)))
			return true;
	}
	return false;
}

static void record_meeting(struct tm_engine *e, const struct tm_tap *taps, size_t n, int64_t now,
			   const char *suspect)
{
	struct tm_action *a;

	if (group_met_recently(e, taps, n, now)) {
		a = push_action(e, TM_ACTION_TAPS, now, TM_PATTERN_ALREADY_MET);
		for (size_t i = 0; i < n; i++)
			add_tap(a, &taps[i], TM_TAP_DUPLICATE, "met again within the repeat guard");
		return;
	}
	if (!suspect && another_badge_on_reader(e, taps, n, now))
		suspect = "another badge was on the reader";
	a = push_action(e, TM_ACTION_MEETING, now, TM_PATTERN_SAVED);
	if (suspect)
		snprintf(a->suspect, sizeof(a->suspect), "%s", suspect);
	for (size_t i = 0; i < e->n_seen; i++)
		for (size_t j = 0; j < n; j++)
			if (tm_badge_same(&e->seen[i].badge, &taps[j].badge))
				e->seen[i].done = true;
	for (size_t i = 0; i < n; i++)
		add_tap(a, &taps[i], TM_TAP_PAIRED, NULL);
	for (size_t i = 0; i < n; i++) {
		remember_badge(e, &taps[i].badge, now);
		for (size_t j = i + 1; j < n; j++)
			if (!tm_badge_same(&taps[i].badge, &taps[j].badge))
				remember_pair(e, &taps[i].badge, &taps[j].badge, now);
	}
	start_confirming(e, taps, n, now);
}

/* A re-tap waiting for a badge put down with it gets none. */
static void settle_retap(struct tm_engine *e, int64_t now)
{
	struct tm_action *a = push_action(e, TM_ACTION_TAPS, now, TM_PATTERN_NONE);

	add_tap(a, &e->pending_tap, TM_TAP_DUPLICATE, RETAP_ALONE);
	e->pending = false;
}

/* The waiting badge is on the reader and the new one came within 500 ms of
 * it: the two were put down together. */
static bool put_down_with_pending(const struct tm_engine *e, const struct tm_tap *tap, int64_t now)
{
	return pending_on_reader(e, now) && tap->at_ms - e->pending_tap.at_ms <= TM_TOGETHER_SPREAD_MS;
}

static void meet_pending(struct tm_engine *e, const struct tm_tap *tap, int64_t now,
			 const char *suspect)
{
	struct tm_tap pair[2] = { e->pending_tap, *tap };

	e->pending = false;
	record_meeting(e, pair, 2, now, suspect);
}

static void open_window(struct tm_engine *e, const struct tm_tap *tap, int64_t now)
{
	struct tm_action *a;

	e->confirming = false;
	e->pending = true;
	e->pending_retap = false;
	e->pending_tap = *tap;
	a = push_action(e, TM_ACTION_TAPS, now, TM_PATTERN_WAITING);
	add_tap(a, tap, TM_TAP_PENDING, NULL);
}

static void one_arrival(struct tm_engine *e, struct tm_tap tap, int64_t now)
{
	struct tm_action *a;
	char suspect[64];

	if (e->pending && tm_badge_same(&e->pending_tap.badge, &tap.badge)) {
		a = push_action(e, TM_ACTION_TAPS, now, TM_PATTERN_CANCELLED);
		add_tap(a, &e->pending_tap, TM_TAP_CANCELLED, "same badge tapped again");
		add_tap(a, &tap, TM_TAP_CANCELLED, "cancels its own pending tap");
		e->pending = false;
		return;
	}
	if (just_met(e, &tap.badge, now)) {
		/* Most often someone making sure after "saved". Pairing it with
		 * a badge tapped before (the next pair's first) would start a
		 * cascade of wrong meetings, so it pairs only with a badge put
		 * on the reader together with it: someone meeting again at once
		 * holds both badges together. */
		if (e->pending && put_down_with_pending(e, &tap, now)) {
			meet_pending(e, &tap, now, JUST_MET);
			return;
		}
		if (e->pending && !e->pending_retap) {
			a = push_action(e, TM_ACTION_TAPS, now, TM_PATTERN_ALREADY_MET);
			add_tap(a, &tap, TM_TAP_DUPLICATE, RETAP_ALONE);
			return;
		}
		if (e->pending)
			settle_retap(e, now);
		e->confirming = false;
		e->pending = true;
		e->pending_retap = true;
		e->pending_tap = tap;
		a = push_action(e, TM_ACTION_TAPS, now, TM_PATTERN_ALREADY_MET);
		add_tap(a, &tap, TM_TAP_PENDING, NULL);
		return;
	}
	if (e->pending && e->pending_retap) {
		if (put_down_with_pending(e, &tap, now)) {
			meet_pending(e, &tap, now, JUST_MET);
			return;
		}
		settle_retap(e, now);
	}
	if (e->pending) {
		int64_t delay = tap.at_ms - e->pending_tap.at_ms;
		bool one_after_other = !pending_on_reader(e, now);

		suspect[0] = '\0';
		/* Two badges seen on the reader together are not in doubt. */
		if (one_after_other && e->cfg.suspect_sequential)
			snprintf(suspect, sizeof(suspect), "tapped one after the other, not together");
		else if (one_after_other && e->cfg.suspect_delay_ms > 0 && delay > e->cfg.suspect_delay_ms)
			snprintf(suspect, sizeof(suspect), "partner tapped %lld.%llds after the first",
				 (long long)(delay / 1000), (long long)(delay % 1000 / 100));
		meet_pending(e, &tap, now, suspect[0] ? suspect : NULL);
		return;
	}
	open_window(e, &tap, now);
}

static void group_arrival(struct tm_engine *e, struct tm_tap *taps, size_t n, int64_t now)
{
	struct tm_tap group[TM_MAX_BADGES_AT_ONCE];
	size_t n_group = 0;
	bool retap = false;

	/* The pending badge returning with others joins with its own tap, in
	 * place of the new one: one tap per badge, and never more than fit. */
	for (size_t i = 0; i < n; i++) {
		retap |= just_met(e, &taps[i].badge, now);
		if (e->pending && tm_badge_same(&e->pending_tap.badge, &taps[i].badge)) {
			group[n_group++] = e->pending_tap;
			e->pending = false;
		} else {
			group[n_group++] = taps[i];
		}
	}
	e->confirming = false;
	/* A re-tap landing in the same instant as someone else's badge looks
	 * exactly like a second meeting held together; three or more badges
	 * at once are as often two pairs at the reader as one group. */
	record_meeting(e, group, n_group, now,
		       retap ? JUST_MET : n_group > 2 ? "more than two badges at once" : NULL);
}

static void make_taps(struct tm_engine *e, struct tm_tap *arrivals, size_t n, int64_t now)
{
	if (n == 1)
		one_arrival(e, arrivals[0], now);
	else if (n > 1)
		group_arrival(e, arrivals, n, now);
}

/* Badges on the reader for min_dwell become taps, together if they come of
 * age at the same moment; badges that left sooner, and stayed away past the
 * flicker allowance, were passing by. */
static void settle_arrivals(struct tm_engine *e, int64_t now)
{
	struct tm_tap arrivals[TM_MAX_BADGES_AT_ONCE];
	size_t n = 0;
	int64_t dwell = dwell_now(e, now);
	bool extended = dwell > e->cfg.min_dwell_ms;
	int64_t first = TM_NEVER;

	for (size_t i = 0; i < e->n_seen; i++) {
		struct tm_engine_seen *s = &e->seen[i];
		/* Lifted after min_dwell while the decision waited: a tap. */
		bool held = s->present ? now - s->arrived_ms >= dwell
				       : s->absent_since_ms - s->arrived_ms >= e->cfg.min_dwell_ms;

		if (s->counted || !held || n == TM_MAX_BADGES_AT_ONCE)
			continue;
		s->counted = true;
		arrivals[n] = new_tap(e, &s->badge, s->arrived_ms);
		n++;
		if (s->arrived_ms < first)
			first = s->arrived_ms;
	}
	/* While a sequential window is open, badges put down together count
	 * together: the pair holding both is not split by the waiting tap. */
	for (size_t i = 0; extended && n > 0 && i < e->n_seen; i++) {
		struct tm_engine_seen *s = &e->seen[i];

		if (s->counted || !s->present || s->arrived_ms - first > TM_TOGETHER_SPREAD_MS ||
		    n == TM_MAX_BADGES_AT_ONCE)
			continue;
		s->counted = true;
		arrivals[n++] = new_tap(e, &s->badge, s->arrived_ms);
	}
	make_taps(e, arrivals, n, now);
	for (size_t i = 0; i < e->n_seen; i++) {
		struct tm_engine_seen *s = &e->seen[i];
		struct tm_tap t;
		struct tm_action *a;
		char why[96];

		if (s->counted || s->present || now - s->absent_since_ms < e->cfg.rearm_ms)
			continue;
		s->counted = true;
		t = new_tap(e, &s->badge, s->arrived_ms);
		snprintf(why, sizeof(why), "on the reader only %lld ms: passing by, not a tap",
			 (long long)(s->absent_since_ms - s->arrived_ms));
		a = push_action(e, TM_ACTION_TAPS, now, TM_PATTERN_NONE);
		add_tap(a, &t, TM_TAP_CANCELLED, why);
	}
}

void tm_engine_badges(struct tm_engine *e, int64_t now, const struct tm_badge *present,
		      size_t n_present)
{
	struct tm_tap untracked[TM_MAX_BADGES_AT_ONCE];
	struct tm_badge unique[TM_MAX_BADGES_AT_ONCE];
	size_t n_untracked = 0, n_unique = 0;

	tm_engine_tick(e, now);

	for (size_t i = 0; i < n_present && n_unique < TM_MAX_BADGES_AT_ONCE; i++)
		if (!in_set(unique, n_unique, &present[i]))
			unique[n_unique++] = present[i];

	for (size_t i = 0; i < e->n_seen; i++) {
		if (e->seen[i].present && !in_set(unique, n_unique, &e->seen[i].badge)) {
			e->seen[i].present = false;
			e->seen[i].absent_since_ms = now;
		}
	}

	for (size_t i = 0; i < n_unique; i++) {
		struct tm_engine_seen *s = find_seen(e, &unique[i]);
		const char *reason;

		if (s && s->present)
			continue;
		if (s && now - s->absent_since_ms < e->cfg.rearm_ms) {
			/* Back within the re-arm time: the same presence, flickering. */
			s->present = true;
			continue;
		}
		if (s) {
			start_presence(s, now);
		} else {
			s = add_seen(e, &unique[i], now);
		}
		reason = tm_badge_reject_reason(&unique[i]);
		if (reason) {
			/* Not a badge at all: said at once, however briefly seen. */
			struct tm_tap t = new_tap(e, &unique[i], now);
			struct tm_action *a = push_action(e, TM_ACTION_TAPS, now, TM_PATTERN_REJECTED);

			add_tap(a, &t, TM_TAP_REJECTED, reason);
			if (s)
				s->counted = s->done = true;
			continue;
		}
		if (!s) /* more badges than the table holds: no dwell to wait for */
			untracked[n_untracked++] = new_tap(e, &unique[i], now);
	}
	if (n_untracked > 0)
		make_taps(e, untracked, n_untracked, now);
	settle_arrivals(e, now);
}

static size_t present_badges(const struct tm_engine *e, struct tm_badge *out)
{
	size_t n = 0;

	for (size_t i = 0; i < e->n_seen && n < TM_MAX_BADGES_AT_ONCE; i++)
		if (e->seen[i].present)
			out[n++] = e->seen[i].badge;
	return n;
}

void tm_engine_present(struct tm_engine *e, int64_t now, const struct tm_badge *badge)
{
	struct tm_badge set[TM_MAX_BADGES_AT_ONCE + 1];
	size_t n = present_badges(e, set);

	if (!in_set(set, n, badge))
		set[n++] = *badge;
	tm_engine_badges(e, now, set, n);
}

void tm_engine_removed(struct tm_engine *e, int64_t now, const struct tm_badge *badge)
{
	struct tm_badge set[TM_MAX_BADGES_AT_ONCE];
	size_t n = present_badges(e, set), kept = 0;

	for (size_t i = 0; i < n; i++)
		if (!tm_badge_same(&set[i], badge))
			set[kept++] = set[i];
	tm_engine_badges(e, now, set, kept);
}

void tm_engine_reject(struct tm_engine *e, int64_t now, const struct tm_badge *badge,
		      const char *reason)
{
	struct tm_tap t = new_tap(e, badge, now);
	struct tm_action *a;

	tm_engine_tick(e, now);
	a = push_action(e, TM_ACTION_TAPS, now, TM_PATTERN_REJECTED);
	add_tap(a, &t, TM_TAP_REJECTED, reason);
}

void tm_engine_abandon(struct tm_engine *e, int64_t now)
{
	struct tm_action *a;

	/* Badges on the reader for less than min_dwell are not taps yet, but
	 * they were presented: the log says so rather than forgetting them. */
	for (size_t i = 0; i < e->n_seen; i++) {
		struct tm_engine_seen *s = &e->seen[i];
		struct tm_tap t;

		if (s->counted)
			continue;
		s->counted = true;
		t = new_tap(e, &s->badge, s->arrived_ms);
		a = push_action(e, TM_ACTION_TAPS, now, TM_PATTERN_NONE);
		add_tap(a, &t, TM_TAP_CANCELLED, "station stopped before it counted as a tap");
	}
	if (!e->pending)
		return;
	a = push_action(e, TM_ACTION_TAPS, now, TM_PATTERN_NONE);
	if (e->pending_retap)
		add_tap(a, &e->pending_tap, TM_TAP_DUPLICATE, RETAP_ALONE);
	else
		add_tap(a, &e->pending_tap, TM_TAP_UNPAIRED, "station stopped while waiting for a partner");
	e->pending = false;
}
