/* The pairing rules, each driven with a fake clock and checked at its
 * limits: after_meeting and the re-tap (together-only, 500 ms, the grace,
 * ending as a duplicate), suspect_delay and suspect_sequential, groups,
 * "another badge was on the reader" (put down within 500 ms, or unsettled)
 * and its exceptions, min_dwell and the decision 500 ms later while a
 * sequential window waits, sequential off and its grace (min(rearm, 300
 * ms)), the tick's order, a stop, the repeat guard well beyond any fixed
 * table, and the pending badge returning in a group of eight. Every test
 * sets the rules it is about (rules()), whatever the defaults are. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tapmeet/engine.h"

#define T0 1000000

#define JUST_MET "one of them met someone else a moment before"
#define ONE_AFTER_OTHER "tapped one after the other, not together"
#define ANOTHER_BADGE "another badge was on the reader"
#define MORE_THAN_TWO "more than two badges at once"
#define RETAP_ALONE "tapped alone just after its meeting"

struct fixture {
	struct tm_engine e;
	int64_t now;
};

static struct tm_badge badge(const char *hex)
{
	struct tm_badge b;

	assert_int_equal(tm_badge_parse_uid(&b, hex), 0);
	return b;
}

/* Badge number i, a 7-byte UID: as many distinct badges as a test needs. */
static struct tm_badge nth(uint32_t i)
{
	struct tm_badge b;

	memset(&b, 0, sizeof(b));
	b.kind = TM_BADGE_SIMULATED;
	b.uid[0] = 0x04;
	b.uid[1] = 0x4E;
	b.uid[2] = (uint8_t)(i >> 24);
	b.uid[3] = (uint8_t)(i >> 16);
	b.uid[4] = (uint8_t)(i >> 8);
	b.uid[5] = (uint8_t)i;
	b.uid[6] = 0x80;
	b.uid_len = 7;
	return b;
}

static int setup(void **state)
{
	static struct fixture f;
	struct tm_engine_config cfg;

	tm_engine_config_defaults(&cfg);
	tm_engine_init(&f.e, &cfg);
	f.now = T0;
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	tm_engine_free(&f->e);
	return 0;
}

/* The timings the tests are written for (window 8 s, guard 60 s, rearm 1 s,
 * confirm 2 s, hurry 2 s, no suspect rule) whatever the defaults become,
 * with the three rules every test states. */
static struct tm_engine_config rules(bool sequential, int64_t after_meeting_ms, int64_t min_dwell_ms)
{
	struct tm_engine_config cfg;

	tm_engine_config_defaults(&cfg);
	cfg.window_ms = 8000;
	cfg.repeat_guard_ms = 60000;
	cfg.rearm_ms = 1000;
	cfg.confirm_ms = 2000;
	cfg.hurry_ms = 2000;
	cfg.suspect_delay_ms = 0;
	cfg.suspect_sequential = false;
	cfg.sequential = sequential;
	cfg.after_meeting_ms = after_meeting_ms;
	cfg.min_dwell_ms = min_dwell_ms;
	return cfg;
}

/* A fresh engine with these rules; the clock runs on. */
static void use(struct fixture *f, const struct tm_engine_config *cfg)
{
	tm_engine_free(&f->e);
	tm_engine_init(&f->e, cfg);
}

static void at(struct fixture *f, int64_t t)
{
	assert_true(t >= f->now);
	f->now = t;
	tm_engine_tick(&f->e, f->now);
}

static void advance(struct fixture *f, int64_t ms)
{
	at(f, f->now + ms);
}

static void on(struct fixture *f, const char *hex)
{
	struct tm_badge b = badge(hex);

	tm_engine_present(&f->e, f->now, &b);
}

static void off(struct fixture *f, const char *hex)
{
	struct tm_badge b = badge(hex);

	tm_engine_removed(&f->e, f->now, &b);
}

/* A badge put on and taken off 200 ms later, as a person taps. */
static void tap(struct fixture *f, const char *hex)
{
	on(f, hex);
	f->now += 200;
	off(f, hex);
}

/* Exactly these badges on the reader now. */
static void reader(struct fixture *f, const struct tm_badge *set, size_t n)
{
	tm_engine_badges(&f->e, f->now, set, n);
}

static void empty_reader(struct fixture *f)
{
	tm_engine_badges(&f->e, f->now, NULL, 0);
}

static struct tm_action pop(struct fixture *f)
{
	struct tm_action a;

	assert_true(tm_engine_pop(&f->e, &a));
	return a;
}

static void assert_no_action(struct fixture *f)
{
	struct tm_action a;

	assert_false(tm_engine_pop(&f->e, &a));
}

static void assert_tap(const struct tm_tap *t, const char *hex, enum tm_tap_outcome outcome)
{
	char got[TM_UID_HEX_SIZE];

	tm_badge_uid_hex(&t->badge, got);
	assert_string_equal(got, hex);
	assert_int_equal(t->outcome, outcome);
}

/* One TAPS action with one tap of this badge and outcome; returns its ref. */
static uint64_t expect_one(struct fixture *f, const char *hex, enum tm_tap_outcome outcome,
			   enum tm_pattern pattern)
{
	struct tm_action a = pop(f);

	assert_int_equal(a.type, TM_ACTION_TAPS);
	assert_int_equal(a.n_taps, 1);
	assert_tap(&a.taps[0], hex, outcome);
	assert_int_equal(a.pattern, pattern);
	return a.taps[0].ref;
}

/* The same, with this reason. */
static uint64_t expect_one_why(struct fixture *f, const char *hex, enum tm_tap_outcome outcome,
			       enum tm_pattern pattern, const char *reason)
{
	struct tm_action a = pop(f);

	assert_int_equal(a.type, TM_ACTION_TAPS);
	assert_int_equal(a.n_taps, 1);
	assert_tap(&a.taps[0], hex, outcome);
	assert_int_equal(a.pattern, pattern);
	assert_string_equal(a.taps[0].reason, reason);
	return a.taps[0].ref;
}

/* A first tap: waiting, and the LEDs invite the partner. */
static uint64_t expect_pending(struct fixture *f, const char *hex)
{
	return expect_one(f, hex, TM_TAP_PENDING, TM_PATTERN_WAITING);
}

/* A re-tap alone: it waits for a badge put down with it, saying "already met". */
static uint64_t expect_retap(struct fixture *f, const char *hex)
{
	uint64_t ref = expect_one_why(f, hex, TM_TAP_PENDING, TM_PATTERN_ALREADY_MET, "");

	assert_true(f->e.pending && f->e.pending_retap);
	assert_int_equal(tm_engine_base_pattern(&f->e, f->now), TM_PATTERN_READY);
	return ref;
}

/* The waiting re-tap got nobody: duplicate, nothing more shown. */
static void expect_retap_ended(struct fixture *f, const char *hex, uint64_t ref)
{
	assert_int_equal(expect_one_why(f, hex, TM_TAP_DUPLICATE, TM_PATTERN_NONE, RETAP_ALONE), ref);
}

/* A re-tap next to an ordinary waiting tap: a duplicate at once. */
static void expect_retap_alone(struct fixture *f, const char *hex)
{
	expect_one_why(f, hex, TM_TAP_DUPLICATE, TM_PATTERN_ALREADY_MET, RETAP_ALONE);
}

/* A MEETING of exactly these two badges, in this order. */
static struct tm_action expect_meeting(struct fixture *f, const char *first, const char *second)
{
	struct tm_action a = pop(f);

	assert_int_equal(a.type, TM_ACTION_MEETING);
	assert_int_equal(a.pattern, TM_PATTERN_SAVED);
	assert_int_equal(a.n_taps, 2);
	assert_tap(&a.taps[0], first, TM_TAP_PAIRED);
	assert_tap(&a.taps[1], second, TM_TAP_PAIRED);
	return a;
}

/* The same, suspect for this reason ("" for none). */
static struct tm_action expect_meeting_why(struct fixture *f, const char *first, const char *second,
					   const char *suspect)
{
	struct tm_action a = expect_meeting(f, first, second);

	assert_string_equal(a.suspect, suspect);
	return a;
}

/* True when the action's taps are exactly these badges, in any order (a
 * group's order is not specified). */
static bool taps_are(const struct tm_action *a, const char *const *hex, size_t n)
{
	if (a->n_taps != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		struct tm_badge want = badge(hex[i]);
		size_t found = 0;

		for (size_t j = 0; j < a->n_taps; j++)
			if (tm_badge_same(&a->taps[j].badge, &want))
				found++;
		if (found != 1)
			return false;
	}
	return true;
}

/* A group MEETING of exactly these badges, suspect for this reason. */
static void expect_group(struct fixture *f, const char *const *hex, size_t n, const char *suspect)
{
	struct tm_action a = pop(f);

	assert_int_equal(a.type, TM_ACTION_MEETING);
	assert_int_equal(a.pattern, TM_PATTERN_SAVED);
	assert_true(taps_are(&a, hex, n));
	for (size_t i = 0; i < n; i++)
		assert_int_equal(a.taps[i].outcome, TM_TAP_PAIRED);
	assert_string_equal(a.suspect, suspect);
}

/* A and B tap one after the other and meet; the confirmation runs until
 * the returned time. */
static int64_t meet(struct fixture *f, const char *a, const char *b)
{
	tap(f, a);
	expect_pending(f, a);
	tap(f, b);
	expect_meeting_why(f, a, b, "");
	assert_no_action(f);
	return f->now - 200; /* b arrived then: the meeting's time */
}

/* --- after_meeting -------------------------------------------------------- */

/* Off, once the confirmation is over a member re-tapping pairs with the next
 * pair's first badge: the cascade the rule is there to stop. */
static void after_meeting_off_retap_pairs_with_next_first_tap(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = rules(true, 0, 0);

	use(f, &cfg);
	meet(f, "04000001", "04000002");
	advance(f, 3000); /* the 2 s confirmation is over */
	tap(f, "04000003");
	expect_pending(f, "04000003");
	advance(f, 1000);
	tap(f, "04000001");
	expect_meeting_why(f, "04000003", "04000001", "");
}

static void retap_after_meeting_is_duplicate_and_waiting_tap_pairs_with_its_partner(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = rules(true, 10000, 0);
	struct tm_action a;
	uint64_t waiting;
	int64_t waiting_at;

	use(f, &cfg);
	meet(f, "04000001", "04000002");
	advance(f, 3000); /* beyond confirm */
	waiting_at = f->now;
	tap(f, "04000003");
	waiting = expect_pending(f, "04000003");
	advance(f, 1000);
	tap(f, "04000001");
	expect_retap_alone(f, "04000001");
	assert_no_action(f);
	/* The waiting tap was neither joined nor disturbed: same window. */
	assert_int_equal(tm_engine_base_pattern(&f->e, f->now), TM_PATTERN_WAITING);
	assert_int_equal(tm_engine_next_deadline(&f->e, f->now), waiting_at + 8000 - 2000);
	advance(f, 500);
	tap(f, "04000004");
	a = expect_meeting_why(f, "04000003", "04000004", "");
	assert_int_equal(a.taps[0].ref, waiting);
	assert_int_equal(a.taps[0].at_ms, waiting_at);
	assert_no_action(f);
}

/* Nothing waiting: the re-tap waits itself, together-only (sequential or
 * not), shows "already met" and invites nobody; once its badge has been off
 * the reader for the grace (300 ms here) it ends as a duplicate, not
 * unpaired. */
static void retap_alone_waits_for_the_grace_then_is_duplicate(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = rules(true, 10000, 0);
	uint64_t ref;
	int64_t t;

	use(f, &cfg);
	meet(f, "04000001", "04000002");
	advance(f, 3000);
	t = f->now;
	on(f, "04000002");
	ref = expect_retap(f, "04000002");
	assert_false(f->e.confirming);
	at(f, t + 200);
	off(f, "04000002");
	assert_no_action(f);
	assert_int_equal(tm_engine_next_deadline(&f->e, f->now), t + 200 + 300);
	at(f, t + 200 + 299);
	assert_no_action(f);
	assert_int_equal(tm_engine_base_pattern(&f->e, f->now), TM_PATTERN_READY);
	at(f, t + 200 + 300);
	expect_retap_ended(f, "04000002", ref);
	assert_no_action(f);
	assert_false(f->e.pending);
	assert_true(tm_engine_next_deadline(&f->e, f->now) == TM_NEVER);
	/* The next stranger opens a window of their own. */
	advance(f, 500);
	t = f->now;
	tap(f, "04000003");
	expect_pending(f, "04000003");
	assert_int_equal(tm_engine_next_deadline(&f->e, f->now), t + 8000 - 2000);
}

/* Held on the reader, a re-tap waits as long as a window, and still ends
 * as a duplicate. */
static void retap_held_ends_with_its_window_as_duplicate(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = rules(true, 10000, 0);
	uint64_t ref;
	int64_t t;

	use(f, &cfg);
	meet(f, "04000001", "04000002");
	advance(f, 3000);
	t = f->now;
	on(f, "04000001");
	ref = expect_retap(f, "04000001");
	at(f, t + 7999);
	assert_no_action(f);
	assert_int_equal(tm_engine_base_pattern(&f->e, f->now), TM_PATTERN_READY);
	assert_int_equal(tm_engine_next_deadline(&f->e, f->now), t + 8000);
	at(f, t + 8000);
	expect_retap_ended(f, "04000001", ref);
	assert_no_action(f);
}

/* Within the confirmation a member re-tapping is a re-tap even with
 * after_meeting off, and its waiting ends the confirmation. */
static void retap_during_confirmation_waits_as_a_retap(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = rules(true, 0, 0);
	uint64_t ref;
	int64_t t;

	use(f, &cfg);
	meet(f, "04000001", "04000002");
	advance(f, 1200); /* re-armed, still confirming */
	assert_true(f->e.confirming);
	t = f->now;
	tap(f, "04000001");
	ref = expect_retap(f, "04000001");
	assert_false(f->e.confirming);
	at(f, t + 200 + 299);
	assert_no_action(f);
	at(f, t + 200 + 300);
	expect_retap_ended(f, "04000001", ref);
	/* Sequential, yet the next badge does not pair with the re-tap. */
	advance(f, 500);
	tap(f, "04000003");
	expect_pending(f, "04000003");
	/* The confirmation is over: its other member is an ordinary badge. */
	tap(f, "04000002");
	expect_meeting_why(f, "04000003", "04000002", "");
}

/* "Within" after_meeting: one millisecond before it ends a lone badge is a
 * re-tap, at the limit it opens a window as any other. Two groups meet a
 * second apart, so that each limit is reached alone. */
static void after_meeting_boundary(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = rules(true, 10000, 0);
	struct tm_badge first[3] = { badge("04000001"), badge("04000002"), badge("04000003") };
	struct tm_badge second[3] = { badge("04000004"), badge("04000005"), badge("04000006") };
	struct tm_badge other = badge("04000009");
	uint64_t ref;
	int64_t met;

	use(f, &cfg);
	met = f->now;
	reader(f, first, 3);
	assert_int_equal(pop(f).type, TM_ACTION_MEETING);
	f->now += 100;
	empty_reader(f);
	at(f, met + 1000);
	reader(f, second, 3);
	assert_int_equal(pop(f).type, TM_ACTION_MEETING);
	f->now += 100;
	empty_reader(f);
	assert_no_action(f);

	at(f, met + 10000 - 1);
	reader(f, &first[0], 1);
	ref = expect_retap(f, "04000001");
	f->now += 100;
	empty_reader(f);
	at(f, met + 10000 - 1 + 100 + 300);
	expect_retap_ended(f, "04000001", ref);

	at(f, met + 1000 + 10000);
	reader(f, &second[0], 1);
	expect_pending(f, "04000004");
	assert_no_action(f);
	/* And it pairs as usual. */
	f->now += 1000;
	reader(f, &other, 1);
	expect_meeting_why(f, "04000004", "04000009", "");
}

/* The same badge, past after_meeting, opens a window normally. */
static void after_meeting_expiry_same_badge(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = rules(true, 10000, 0);
	uint64_t ref;
	int64_t met;

	use(f, &cfg);
	met = meet(f, "04000001", "04000002");
	advance(f, 4000);
	tap(f, "04000001");
	ref = expect_retap(f, "04000001");
	at(f, met + 10000);
	expect_retap_ended(f, "04000001", ref);
	tap(f, "04000001");
	expect_pending(f, "04000001");
	tap(f, "04000005");
	expect_meeting_why(f, "04000001", "04000005", "");
}

/* Held together with a new badge, a recently met badge still meets (suspect:
 * it looks like a re-tap beside someone else's badge), under the repeat
 * guard; a pair arriving together leaves a waiting tap alone. */
static void recently_met_badge_together_with_new_badge_meets(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = rules(true, 10000, 0);
	struct tm_badge with_new[2] = { badge("04000001"), badge("04000003") };
	struct tm_badge same_pair[2] = { badge("04000001"), badge("04000002") };
	struct tm_badge while_waiting[2] = { badge("04000002"), badge("04000005") };
	struct tm_action a;

	use(f, &cfg);
	meet(f, "04000001", "04000002");
	advance(f, 3000);
	reader(f, with_new, 2);
	expect_group(f, (const char *const[]){ "04000001", "04000003" }, 2, JUST_MET);
	f->now += 200;
	empty_reader(f);
	advance(f, 3000);

	reader(f, same_pair, 2);
	a = pop(f);
	assert_int_equal(a.type, TM_ACTION_TAPS);
	assert_int_equal(a.pattern, TM_PATTERN_ALREADY_MET);
	assert_true(taps_are(&a, (const char *const[]){ "04000001", "04000002" }, 2));
	assert_int_equal(a.taps[0].outcome, TM_TAP_DUPLICATE);
	assert_int_equal(a.taps[1].outcome, TM_TAP_DUPLICATE);
	assert_string_equal(a.taps[0].reason, "met again within the repeat guard");
	assert_string_equal(a.taps[1].reason, "met again within the repeat guard");
	f->now += 200;
	empty_reader(f);
	advance(f, 3000);

	tap(f, "04000004");
	expect_pending(f, "04000004");
	f->now += 500;
	reader(f, while_waiting, 2);
	expect_group(f, (const char *const[]){ "04000002", "04000005" }, 2, "");
	assert_no_action(f);
	assert_int_equal(tm_engine_base_pattern(&f->e, f->now), TM_PATTERN_WAITING);
}

/* The seed at start counts as a meeting for after_meeting too. */
static void after_meeting_seeded_by_remember_meeting(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = rules(true, 10000, 0);
	struct tm_badge pair[2] = { badge("04000001"), badge("04000002") };
	int64_t seeded = f->now - 5000;

	use(f, &cfg);
	tm_engine_remember_meeting(&f->e, pair, 2, seeded);
	tap(f, "04000003");
	expect_pending(f, "04000003");
	advance(f, 1000);
	tap(f, "04000001");
	expect_retap_alone(f, "04000001");
	at(f, seeded + 10000); /* after_meeting over; the window open until seeded + 13000 */
	tap(f, "04000002");
	expect_meeting_why(f, "04000003", "04000002", "");
}

/* --- a re-tap pairs only with a badge put down with it ------------------ */

/* The waiting badge on the reader, the re-tap put down 500 ms after it: a
 * meeting, suspect. */
static void retap_500ms_after_waiting_badge_meets_it(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = rules(true, 10000, 0);
	struct tm_action a;
	uint64_t waiting;
	int64_t t;

	use(f, &cfg);
	meet(f, "04000001", "04000002");
	advance(f, 3000);
	t = f->now;
	on(f, "04000003");
	waiting = expect_pending(f, "04000003");
	at(f, t + 500);
	on(f, "04000001");
	a = expect_meeting_why(f, "04000003", "04000001", JUST_MET);
	assert_int_equal(a.taps[0].ref, waiting);
	assert_int_equal(a.taps[1].at_ms, t + 500);
	assert_no_action(f);
	assert_false(f->e.pending);
	assert_int_equal(tm_engine_base_pattern(&f->e, f->now), TM_PATTERN_READY);
}

/* 501 ms after it: a duplicate, and the waiting tap waits on; its partner's
 * meeting is not suspect for the re-tap lying on the reader (put down more
 * than 500 ms from both). */
static void retap_501ms_after_waiting_badge_is_duplicate(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = rules(true, 10000, 0);
	uint64_t waiting;
	int64_t t;

	use(f, &cfg);
	meet(f, "04000001", "04000002");
	advance(f, 3000);
	t = f->now;
	on(f, "04000003");
	waiting = expect_pending(f, "04000003");
	at(f, t + 501);
	on(f, "04000001");
	expect_retap_alone(f, "04000001");
	assert_no_action(f);
	assert_true(f->e.pending && !f->e.pending_retap);
	assert_int_equal(tm_engine_base_pattern(&f->e, f->now), TM_PATTERN_WAITING);
	assert_int_equal(tm_engine_next_deadline(&f->e, f->now), t + 8000 - 2000);
	at(f, t + 501 + 501);
	on(f, "04000004");
	assert_int_equal(expect_meeting_why(f, "04000003", "04000004", "").taps[0].ref, waiting);
	assert_no_action(f);
}

/* The waiting badge lifted: on the reader for the re-tap for 299 ms more,
 * not at 300. */
static void retap_meets_waiting_badge_only_within_the_grace(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = rules(true, 10000, 0);
	int64_t t;

	use(f, &cfg);
	meet(f, "04000001", "04000002");
	advance(f, 3000);
	t = f->now;
	on(f, "04000003");
	expect_pending(f, "04000003");
	at(f, t + 100);
	off(f, "04000003");
	at(f, t + 100 + 299);
	on(f, "04000001");
	expect_meeting_why(f, "04000003", "04000001", JUST_MET);
	assert_no_action(f);

	use(f, &cfg);
	advance(f, 20000);
	meet(f, "04000001", "04000002");
	advance(f, 3000);
	t = f->now;
	on(f, "04000003");
	expect_pending(f, "04000003");
	at(f, t + 100);
	off(f, "04000003");
	at(f, t + 100 + 300);
	on(f, "04000001");
	expect_retap_alone(f, "04000001");
	assert_no_action(f);
	assert_int_equal(tm_engine_base_pattern(&f->e, f->now), TM_PATTERN_WAITING);
}

/* Together, but the two met within the repeat guard: both duplicate, and
 * nothing waits. */
static void retap_together_within_repeat_guard_is_duplicate(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = rules(true, 10000, 0);
	struct tm_action a;
	int64_t t;

	use(f, &cfg);
	meet(f, "04000001", "04000003");
	advance(f, 11000); /* after_meeting over for both, the guard not */
	meet(f, "04000001", "04000002");
	advance(f, 3000);
	t = f->now;
	on(f, "04000003");
	expect_pending(f, "04000003");
	at(f, t + 100);
	on(f, "04000001");
	a = pop(f);
	assert_int_equal(a.type, TM_ACTION_TAPS);
	assert_int_equal(a.pattern, TM_PATTERN_ALREADY_MET);
	assert_int_equal(a.n_taps, 2);
	assert_tap(&a.taps[0], "04000003", TM_TAP_DUPLICATE);
	assert_tap(&a.taps[1], "04000001", TM_TAP_DUPLICATE);
	assert_string_equal(a.taps[0].reason, "met again within the repeat guard");
	assert_no_action(f);
	assert_false(f->e.pending);
	assert_int_equal(tm_engine_base_pattern(&f->e, f->now), TM_PATTERN_READY);
}

/* A second re-tap next to a waiting one: a meeting within 500 ms; at 501 ms
 * the first ends as a duplicate and the second waits in its place. */
static void second_retap_meets_or_replaces_the_waiting_one(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = rules(true, 10000, 0);
	uint64_t first, second;
	int64_t t;

	use(f, &cfg);
	meet(f, "04000001", "04000002");
	advance(f, 3000);
	meet(f, "04000003", "04000004");
	advance(f, 1000);
	t = f->now;
	on(f, "04000001");
	first = expect_retap(f, "04000001");
	at(f, t + 500);
	on(f, "04000003");
	assert_int_equal(expect_meeting_why(f, "04000001", "04000003", JUST_MET).taps[0].ref, first);
	assert_no_action(f);

	use(f, &cfg);
	advance(f, 20000);
	meet(f, "04000001", "04000002");
	advance(f, 3000);
	meet(f, "04000003", "04000004");
	advance(f, 1000);
	t = f->now;
	on(f, "04000001");
	first = expect_retap(f, "04000001");
	at(f, t + 501);
	on(f, "04000003");
	expect_retap_ended(f, "04000001", first);
	second = expect_retap(f, "04000003");
	assert_no_action(f);
	assert_true(second > first);
	/* The second one's own grace: it ends 300 ms after it leaves. */
	at(f, t + 600);
	off(f, "04000003");
	off(f, "04000001");
	at(f, t + 600 + 300);
	expect_retap_ended(f, "04000003", second);
	assert_no_action(f);
}

/* An ordinary badge next to a waiting re-tap: a meeting 500 ms after it;
 * at 501 ms the re-tap ends as a duplicate and the badge waits for its own
 * partner, the LEDs now inviting one. */
static void ordinary_badge_next_to_a_retap_within_500ms(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = rules(true, 10000, 0);
	uint64_t ref;
	int64_t t;

	use(f, &cfg);
	meet(f, "04000001", "04000002");
	advance(f, 3000);
	t = f->now;
	on(f, "04000001");
	ref = expect_retap(f, "04000001");
	at(f, t + 500);
	assert_int_equal(tm_engine_base_pattern(&f->e, f->now), TM_PATTERN_READY);
	on(f, "04000005");
	assert_int_equal(expect_meeting_why(f, "04000001", "04000005", JUST_MET).taps[0].ref, ref);
	assert_no_action(f);

	use(f, &cfg);
	advance(f, 20000);
	meet(f, "04000001", "04000002");
	advance(f, 3000);
	t = f->now;
	on(f, "04000001");
	ref = expect_retap(f, "04000001");
	at(f, t + 501);
	on(f, "04000005");
	expect_retap_ended(f, "04000001", ref);
	expect_pending(f, "04000005");
	assert_no_action(f);
	assert_true(f->e.pending && !f->e.pending_retap);
	assert_int_equal(tm_engine_base_pattern(&f->e, f->now), TM_PATTERN_WAITING);
	assert_int_equal(tm_engine_next_deadline(&f->e, f->now), t + 501 + 8000 - 2000);
}

/* The re-tap lifted: an ordinary badge 299 ms later still meets it, 300 ms
 * later finds it ended. */
static void ordinary_badge_next_to_a_retap_within_the_grace(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = rules(true, 10000, 0);
	uint64_t ref;
	int64_t t;

	use(f, &cfg);
	meet(f, "04000001", "04000002");
	advance(f, 3000);
	t = f->now;
	on(f, "04000001");
	ref = expect_retap(f, "04000001");
	at(f, t + 100);
	off(f, "04000001");
	at(f, t + 100 + 299);
	on(f, "04000005");
	assert_int_equal(expect_meeting_why(f, "04000001", "04000005", JUST_MET).taps[0].ref, ref);
	assert_no_action(f);

	use(f, &cfg);
	advance(f, 20000);
	meet(f, "04000001", "04000002");
	advance(f, 3000);
	t = f->now;
	on(f, "04000001");
	ref = expect_retap(f, "04000001");
	at(f, t + 100);
	off(f, "04000001");
	f->now = t + 100 + 300; /* no tick in between: the arrival's call ends it first */
	on(f, "04000005");
	expect_retap_ended(f, "04000001", ref);
	expect_pending(f, "04000005");
	assert_no_action(f);
}

/* --- suspect_delay and suspect_sequential ------------------------------- */

/* First badge at `first`, lifted 200 ms later, its partner `delay` ms after
 * the first; returns the meeting. */
static struct tm_action sequential_pair(struct fixture *f, const char *a, const char *b,
					 int64_t delay)
{
	int64_t first = f->now;

	on(f, a);
	expect_pending(f, a);
	f->now += 200;
	off(f, a);
	f->now = first + delay;
	on(f, b);
	f->now += 100;
	off(f, b);
	return expect_meeting(f, a, b);
}

/* The first badge held `held` ms, its partner `delay` ms after the first. */
static struct tm_action held_then_partner(struct fixture *f, const char *a, const char *b,
					  int64_t held, int64_t delay)
{
	int64_t first = f->now;

	on(f, a);
	expect_pending(f, a);
	at(f, first + held);
	off(f, a);
	at(f, first + delay);
	on(f, b);
	f->now += 100;
	off(f, b);
	return expect_meeting(f, a, b);
}

static void suspect_delay_at_limit_and_just_over(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = rules(true, 0, 0);
	struct tm_action a;

	cfg.suspect_delay_ms = 5000;
	use(f, &cfg);

	a = sequential_pair(f, "04000001", "04000002", 5000);
	assert_string_equal(a.suspect, "");
	advance(f, 3000);
	a = sequential_pair(f, "04000003", "04000004", 5001);
	assert_string_equal(a.suspect, "partner tapped 5.0s after the first");
	advance(f, 3000);
	a = sequential_pair(f, "04000005", "04000006", 7999); /* tenths, not rounded */
	assert_string_equal(a.suspect, "partner tapped 7.9s after the first");
	advance(f, 3000);
	a = sequential_pair(f, "04000007", "04000008", 300);
	assert_string_equal(a.suspect, "");
}

/* Left the reader less than the grace ago, the first badge counts as on it:
 * not suspect however late the partner. */
static void suspect_delay_counts_the_grace_as_on_the_reader(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = rules(true, 0, 0);
	struct tm_action a;

	cfg.suspect_delay_ms = 5000;
	use(f, &cfg);
	a = held_then_partner(f, "04000001", "04000002", 5200, 5200 + 299);
	assert_string_equal(a.suspect, "");
	advance(f, 3000);
	a = held_then_partner(f, "04000003", "04000004", 5200, 5200 + 300);
	assert_string_equal(a.suspect, "partner tapped 5.5s after the first");
	advance(f, 3000);
	/* Held until the partner came: never. */
	a = held_then_partner(f, "04000005", "04000006", 7000, 7000);
	assert_string_equal(a.suspect, "");
}

static void suspect_delay_off_never_suspects(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = rules(true, 0, 0);
	struct tm_action a;

	use(f, &cfg);
	a = sequential_pair(f, "04000001", "04000002", 7999);
	assert_string_equal(a.suspect, "");
}

/* Every meeting of a badge gone from the reader (past the grace) when its
 * partner came; before the delay rule, which it replaces. */
static void suspect_sequential_marks_one_after_the_other(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = rules(true, 0, 0);
	struct tm_action a;

	cfg.suspect_sequential = true;
	use(f, &cfg);
	a = sequential_pair(f, "04000001", "04000002", 200 + 299);
	assert_string_equal(a.suspect, "");
	advance(f, 3000);
	a = sequential_pair(f, "04000003", "04000004", 200 + 300);
	assert_string_equal(a.suspect, ONE_AFTER_OTHER);
	advance(f, 3000);
	a = held_then_partner(f, "04000005", "04000006", 6000, 6000);
	assert_string_equal(a.suspect, "");
	advance(f, 3000);
	cfg.suspect_delay_ms = 1000;
	tm_engine_reconfigure(&f->e, &cfg);
	a = sequential_pair(f, "04000007", "04000008", 5001);
	assert_string_equal(a.suspect, ONE_AFTER_OTHER);
	advance(f, 3000);
	a = sequential_pair(f, "04000009", "0400000A", 200 + 299);
	assert_string_equal(a.suspect, "");
}

/* Without sequential pairing a partner comes within the grace or not at
 * all: never one after the other. */
static void suspect_sequential_without_sequential_never_applies(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = rules(false, 0, 0);
	struct tm_action a;
	int64_t t;

	cfg.suspect_sequential = true;
	use(f, &cfg);
	a = sequential_pair(f, "04000001", "04000002", 200 + 299);
	assert_string_equal(a.suspect, "");
	advance(f, 3000);
	t = f->now;
	on(f, "04000003");
	expect_pending(f, "04000003");
	f->now = t + 200;
	off(f, "04000003");
	f->now = t + 200 + 300;
	on(f, "04000004");
	expect_one_why(f, "04000003", TM_TAP_UNPAIRED, TM_PATTERN_TIMED_OUT,
		       "no partner's badge on the reader with it");
	expect_pending(f, "04000004");
	assert_no_action(f);
}

/* Badges arriving together are never suspect for their timing, even when
 * one of them is a pending tap from long ago: a pair not at all, three for
 * their number only. */
static void groups_are_never_suspect_for_their_timing(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = rules(true, 0, 0);
	struct tm_badge two[2] = { badge("04000001"), badge("04000002") };
	struct tm_badge back[3] = { badge("04000003"), badge("04000004"), badge("04000005") };
	struct tm_action a;

	cfg.suspect_delay_ms = 1000;
	cfg.suspect_sequential = true;
	use(f, &cfg);

	reader(f, two, 2);
	a = pop(f);
	assert_int_equal(a.type, TM_ACTION_MEETING);
	assert_string_equal(a.suspect, "");
	f->now += 200;
	empty_reader(f);
	advance(f, 3000);

	tap(f, "04000003");
	expect_pending(f, "04000003");
	advance(f, 5000);
	reader(f, back, 3); /* the waiting badge comes back with two others */
	a = pop(f);
	assert_int_equal(a.type, TM_ACTION_MEETING);
	assert_int_equal(a.n_taps, 3);
	assert_string_equal(a.suspect, MORE_THAN_TWO);
}

/* Three or more at once are as often two pairs as one group; a re-tap among
 * them (met within after_meeting, or in the meeting being confirmed) says
 * so first. */
static void groups_of_three_and_groups_with_a_retap_are_suspect(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = rules(false, 10000, 0);
	struct tm_badge three[3] = { badge("04000001"), badge("04000002"), badge("04000003") };
	struct tm_badge again[3] = { badge("04000001"), badge("04000004"), badge("04000005") };
	struct tm_badge pair[2] = { badge("04000006"), badge("04000007") };
	struct tm_badge member[2] = { badge("04000006"), badge("04000008") };
	struct tm_badge other[2] = { badge("04000007"), badge("04000009") };
	int64_t t = f->now;

	use(f, &cfg);
	reader(f, three, 3);
	expect_group(f, (const char *const[]){ "04000001", "04000002", "04000003" }, 3, MORE_THAN_TWO);
	at(f, t + 100);
	empty_reader(f);
	at(f, t + 3000);
	reader(f, again, 3); /* 1 met 3 s ago */
	expect_group(f, (const char *const[]){ "04000001", "04000004", "04000005" }, 3, JUST_MET);
	at(f, t + 3100);
	empty_reader(f);
	assert_no_action(f);

	/* after_meeting off: a member of the meeting being confirmed, and
	 * once the confirmation is over, nobody. */
	cfg = rules(false, 0, 0);
	use(f, &cfg);
	at(f, t + 20000);
	t = f->now;
	reader(f, pair, 2);
	expect_group(f, (const char *const[]){ "04000006", "04000007" }, 2, "");
	at(f, t + 100);
	empty_reader(f);
	at(f, t + 1999);
	reader(f, member, 2);
	expect_group(f, (const char *const[]){ "04000006", "04000008" }, 2, JUST_MET);
	at(f, t + 2099);
	empty_reader(f);
	at(f, t + 2099 + 2000);
	reader(f, other, 2);
	expect_group(f, (const char *const[]){ "04000007", "04000009" }, 2, "");
	assert_no_action(f);
}

/* A group ends the confirmation, even one that is all duplicates: a member
 * of the meeting confirmed before is an ordinary badge again. */
static void a_group_ends_the_confirmation_even_as_duplicates(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = rules(false, 0, 0);
	struct tm_badge old[2] = { badge("04000003"), badge("04000004") };
	struct tm_badge pair[2] = { badge("04000001"), badge("04000002") };
	int64_t t = f->now;

	use(f, &cfg);
	tm_engine_remember_meeting(&f->e, old, 2, t - 1000);
	reader(f, pair, 2);
	expect_group(f, (const char *const[]){ "04000001", "04000002" }, 2, "");
	at(f, t + 100);
	empty_reader(f);
	at(f, t + 600);
	reader(f, old, 2);
	assert_int_equal(pop(f).pattern, TM_PATTERN_ALREADY_MET);
	assert_false(f->e.confirming);
	at(f, t + 700);
	empty_reader(f);
	at(f, t + 1200); /* within the 2 s the confirmation would have run */
	reader(f, pair, 1);
	expect_pending(f, "04000001");
	assert_no_action(f);
}

/* --- another badge on the reader ----------------------------------------- */

/* Two pairs at the reader at once: the pair meeting beside a badge that
 * waits is suspect; that badge's own meeting, beside the pair now settled,
 * is not. */
static void another_badge_waiting_makes_a_meeting_suspect(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = rules(false, 0, 0);
	struct tm_badge waiting = badge("04000009");
	struct tm_badge with_pair[3] = { waiting, badge("04000001"), badge("04000002") };
	struct tm_badge with_partner[4] = { waiting, badge("04000001"), badge("04000002"),
					    badge("04000003") };

	use(f, &cfg);
	reader(f, &waiting, 1);
	expect_pending(f, "04000009");
	advance(f, 1000);
	reader(f, with_pair, 3);
	expect_group(f, (const char *const[]){ "04000001", "04000002" }, 2, ANOTHER_BADGE);
	assert_no_action(f);
	assert_int_equal(tm_engine_base_pattern(&f->e, f->now), TM_PATTERN_WAITING);
	advance(f, 1000);
	reader(f, with_partner, 4);
	expect_meeting_why(f, "04000009", "04000003", "");
	assert_no_action(f);
}

/* A passer-by not yet counted is on the reader all the same (put down more
 * than 500 ms after the partner: not for that). */
static void another_badge_not_yet_counted_makes_a_meeting_suspect(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = rules(false, 0, 1000);
	int64_t t = f->now;

	use(f, &cfg);
	on(f, "04000001");
	at(f, t + 1000);
	expect_pending(f, "04000001");
	at(f, t + 2000);
	on(f, "04000002");
	at(f, t + 2600);
	on(f, "04000099");
	at(f, t + 3000);
	expect_meeting_why(f, "04000001", "04000002", ANOTHER_BADGE);
	assert_no_action(f);
	at(f, t + 3100);
	off(f, "04000099");
	at(f, t + 4100);
	expect_one(f, "04000099", TM_TAP_CANCELLED, TM_PATTERN_NONE);
	assert_no_action(f);
}

/* Any badge put down within 500 ms of one of the meeting's could have been
 * its partner: even one settled in a meeting of its own. 501 ms: not. */
static void another_badge_put_down_within_500ms_makes_a_meeting_suspect(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = rules(false, 0, 0);
	struct tm_badge first[2] = { badge("04000001"), badge("04000002") };
	struct tm_badge both[4] = { badge("04000001"), badge("04000002"), badge("04000003"),
				    badge("04000004") };
	int64_t t;

	for (int64_t apart = 500; apart <= 501; apart++) {
		use(f, &cfg);
		advance(f, 20000);
		t = f->now;
		reader(f, first, 2);
		expect_group(f, (const char *const[]){ "04000001", "04000002" }, 2, "");
		at(f, t + apart);
		reader(f, both, 4);
		expect_group(f, (const char *const[]){ "04000003", "04000004" }, 2,
			     apart == 500 ? ANOTHER_BADGE : "");
		assert_no_action(f);
	}
}

/* After it too: a re-tap (no other pair's badge otherwise) put down 500 ms
 * after the partner, and not yet counted when the partner meets the waiting
 * badge. */
static void another_badge_put_down_500ms_after_the_partner(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = rules(false, 10000, 1000);
	struct tm_badge pair[2] = { badge("04000005"), badge("04000006") };
	int64_t t;

	for (int64_t apart = 500; apart <= 501; apart++) {
		use(f, &cfg);
		advance(f, 20000);
		t = f->now;
		reader(f, pair, 2);
		at(f, t + 1000);
		expect_group(f, (const char *const[]){ "04000005", "04000006" }, 2, "");
		at(f, t + 1100);
		empty_reader(f);
		t += 3000;
		at(f, t);
		on(f, "04000001");
		at(f, t + 1000);
		expect_pending(f, "04000001");
		at(f, t + 2000);
		on(f, "04000002");
		at(f, t + 2000 + apart);
		on(f, "04000005"); /* met 4 s ago: of age at t + 3000 + apart */
		at(f, t + 3000);
		expect_meeting_why(f, "04000001", "04000002", apart == 500 ? ANOTHER_BADGE : "");
		assert_no_action(f);
	}
}

/* The rule's own reasons come first: a re-tap's meeting says so, whatever
 * else is on the reader. */
static void another_badge_gives_way_to_the_other_reasons(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = rules(false, 10000, 250);
	struct tm_badge pair[2] = { badge("04000001"), badge("04000002") };
	int64_t t = f->now;

	use(f, &cfg);
	reader(f, pair, 2);
	at(f, t + 250);
	assert_int_equal(pop(f).type, TM_ACTION_MEETING);
	at(f, t + 300);
	empty_reader(f);
	t += 3000;
	at(f, t);
	on(f, "04000003");
	at(f, t + 250);
	expect_pending(f, "04000003");
	at(f, t + 300);
	on(f, "04000001"); /* a re-tap, of age at t + 550 */
	at(f, t + 400);
	on(f, "04000099"); /* a passer-by, of age at t + 650 */
	at(f, t + 550);
	expect_meeting_why(f, "04000003", "04000001", JUST_MET);
	assert_no_action(f);

	/* suspect_sequential too. */
	cfg = rules(true, 0, 250);
	cfg.suspect_sequential = true;
	use(f, &cfg);
	at(f, t + 5000);
	t = f->now;
	on(f, "04000005");
	at(f, t + 250);
	expect_pending(f, "04000005");
	at(f, t + 300);
	off(f, "04000005");
	at(f, t + 1000);
	on(f, "04000006"); /* decided 500 ms later: 5 waits off the reader */
	at(f, t + 1600);
	on(f, "04000098"); /* too late to count with it */
	at(f, t + 1750);
	expect_meeting_why(f, "04000005", "04000006", ONE_AFTER_OTHER);
	assert_no_action(f);
}

/* Settled badges left on the reader (put down more than 500 ms before) are
 * nobody's: a rejected phone, a pair whose meeting is stored. Lifted and put
 * back, a badge is a new presence and counts again. */
static void settled_badges_on_the_reader_are_not_another_badge(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = rules(false, 0, 0);
	struct tm_badge phone = badge("08ABCDEF");
	struct tm_badge set[6] = { phone, badge("04000001"), badge("04000002"), badge("04000003"),
				   badge("04000004"), badge("04000005") };
	struct tm_badge lifted[4] = { phone, badge("04000002"), badge("04000003"), badge("04000004") };
	struct tm_badge more[7] = { phone,	       badge("04000001"), badge("04000002"),
				    badge("04000003"), badge("04000004"), badge("04000005"),
				    badge("04000006") };
	int64_t t = f->now;

	use(f, &cfg);
	reader(f, &phone, 1);
	expect_one(f, "08ABCDEF", TM_TAP_REJECTED, TM_PATTERN_REJECTED);
	at(f, t + 600);
	reader(f, set, 3); /* the phone, 1 and 2 */
	expect_group(f, (const char *const[]){ "04000001", "04000002" }, 2, "");
	at(f, t + 1200);
	reader(f, set, 5); /* 3 and 4 beside them */
	expect_group(f, (const char *const[]){ "04000003", "04000004" }, 2, "");
	at(f, t + 1300);
	reader(f, lifted, 4); /* 1 lifted */
	at(f, t + 4000);	     /* back after rearm, the confirmation over */
	reader(f, set, 5);
	expect_pending(f, "04000001");
	at(f, t + 4600);
	reader(f, more, 7); /* 5 and 6 beside the waiting 1 */
	expect_group(f, (const char *const[]){ "04000005", "04000006" }, 2, ANOTHER_BADGE);
	assert_no_action(f);
	assert_int_equal(tm_engine_base_pattern(&f->e, f->now), TM_PATTERN_WAITING);
}

/* A re-tap lying on the reader is no other pair's badge: met within
 * after_meeting, or (after_meeting off) a member of the meeting being
 * confirmed. The same badge past both is. */
static void retap_on_the_reader_is_not_another_badge(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = rules(false, 10000, 0);
	struct tm_badge pair[2] = { badge("04000001"), badge("04000002") };
	struct tm_badge beside[3] = { badge("04000001"), badge("04000005"), badge("04000006") };
	struct tm_badge beside2[3] = { badge("04000001"), badge("04000007"), badge("04000008") };
	int64_t t = f->now;

	use(f, &cfg);
	reader(f, pair, 2);
	assert_int_equal(pop(f).type, TM_ACTION_MEETING);
	at(f, t + 100);
	empty_reader(f);
	at(f, t + 3000);
	reader(f, pair, 1);
	expect_retap(f, "04000001");
	at(f, t + 4000);
	reader(f, beside, 3);
	expect_group(f, (const char *const[]){ "04000005", "04000006" }, 2, "");
	assert_no_action(f);
	assert_true(f->e.pending && f->e.pending_retap); /* a group leaves it waiting */

	/* after_meeting off, the confirmation over: an ordinary waiting badge. */
	cfg = rules(false, 0, 0);
	use(f, &cfg);
	at(f, t + 20000);
	t = f->now;
	reader(f, pair, 2);
	assert_int_equal(pop(f).type, TM_ACTION_MEETING);
	at(f, t + 100);
	empty_reader(f);
	at(f, t + 3000);
	reader(f, pair, 1);
	expect_pending(f, "04000001");
	at(f, t + 4000);
	reader(f, beside2, 3);
	expect_group(f, (const char *const[]){ "04000007", "04000008" }, 2, ANOTHER_BADGE);
	assert_no_action(f);
}

/* A member of the meeting being confirmed, back on the reader and not yet
 * counted (more than 500 ms from the meeting's badges), makes no meeting
 * suspect; a stranger in its place does. */
static void confirmed_member_on_the_reader_is_not_another_badge(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = rules(false, 0, 1000);
	const char *const back[2] = { "04000001", "04000007" };

	for (size_t k = 0; k < 2; k++) {
		struct tm_badge w = badge("04000009");
		struct tm_badge s1[3] = { w, badge("04000001"), badge("04000002") };
		struct tm_badge s2[2] = { w, badge("04000002") };
		struct tm_badge s3[3] = { w, badge("04000002"), badge("04000006") };
		struct tm_badge s4[4] = { w, badge("04000002"), badge("04000006"), badge(back[k]) };
		int64_t t;

		use(f, &cfg);
		advance(f, 20000);
		t = f->now;
		reader(f, &w, 1);
		at(f, t + 1000);
		expect_pending(f, "04000009");
		at(f, t + 1100);
		reader(f, s1, 3);
		at(f, t + 2100); /* 1 and 2 meet beside the waiting badge */
		expect_group(f, (const char *const[]){ "04000001", "04000002" }, 2, ANOTHER_BADGE);
		at(f, t + 2200);
		reader(f, s2, 2); /* 1 lifted */
		at(f, t + 2600);
		reader(f, s3, 3); /* the waiting badge's partner, of age at t + 3600 */
		at(f, t + 3200);
		reader(f, s4, 4); /* 1 back (or a stranger), 600 ms later */
		assert_true(f->e.confirming);
		assert_no_action(f);
		at(f, t + 3600);
		expect_meeting_why(f, "04000009", "04000006", k == 0 ? "" : ANOTHER_BADGE);
		assert_no_action(f);
	}
}

/* --- min_dwell ----------------------------------------------------------- */

static struct tm_engine_config dwell_cfg(void)
{
	return rules(true, 0, 500);
}

/* Off, a badge seen for 100 ms is a tap, and a partner. */
static void min_dwell_off_brief_badge_counts(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = rules(true, 0, 0);

	use(f, &cfg);
	on(f, "04000099");
	expect_pending(f, "04000099");
	f->now += 100;
	off(f, "04000099");
	advance(f, 2000);
	tap(f, "04000001");
	expect_meeting(f, "04000099", "04000001");
}

/* A lanyard swinging past, then a real first tap: the passer is logged as
 * cancelled once it has been away past the flicker allowance, and the first
 * tap pairs with its real partner. */
static void passer_by_is_cancelled_and_never_paired(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = dwell_cfg();
	struct tm_action a;
	int64_t t = f->now, first_at;

	use(f, &cfg);
	on(f, "04000099");
	assert_no_action(f); /* not a tap yet */
	assert_int_equal(tm_engine_next_deadline(&f->e, f->now), t + 500);
	at(f, t + 100);
	off(f, "04000099");
	assert_no_action(f);
	assert_int_equal(tm_engine_next_deadline(&f->e, f->now), t + 100 + 1000);
	assert_int_equal(tm_engine_base_pattern(&f->e, f->now), TM_PATTERN_READY);
	at(f, t + 1099);
	assert_no_action(f);
	at(f, t + 1100);
	a = pop(f);
	assert_int_equal(a.type, TM_ACTION_TAPS);
	assert_int_equal(a.n_taps, 1);
	assert_tap(&a.taps[0], "04000099", TM_TAP_CANCELLED);
	assert_int_equal(a.taps[0].at_ms, t);
	assert_non_null(strstr(a.taps[0].reason, "passing by"));
	assert_int_equal(a.pattern, TM_PATTERN_NONE);
	assert_no_action(f);
	assert_true(tm_engine_next_deadline(&f->e, f->now) == TM_NEVER);

	/* The real first tap, held 800 ms: counted after min_dwell, from its arrival. */
	at(f, t + 2000);
	first_at = f->now;
	on(f, "04000001");
	assert_no_action(f);
	assert_int_equal(tm_engine_next_deadline(&f->e, f->now), first_at + 500);
	at(f, first_at + 500);
	a = pop(f);
	assert_tap(&a.taps[0], "04000001", TM_TAP_PENDING);
	assert_int_equal(a.taps[0].at_ms, first_at);
	at(f, first_at + 800);
	off(f, "04000001");
	at(f, first_at + 3000);
	on(f, "04000002");
	at(f, first_at + 3600);
	off(f, "04000002");
	a = expect_meeting_why(f, "04000001", "04000002", "");
	assert_int_equal(a.taps[1].at_ms, first_at + 3000);
	assert_no_action(f);
}

/* The passer-by still away for less than rearm when the real tap comes. */
static void passer_by_then_first_tap_at_once(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = dwell_cfg();
	int64_t t = f->now;

	use(f, &cfg);
	on(f, "04000099");
	at(f, t + 100);
	off(f, "04000099");
	at(f, t + 300);
	on(f, "04000001");
	at(f, t + 800);
	expect_pending(f, "04000001");
	at(f, t + 900);
	off(f, "04000001");
	at(f, t + 1100);
	expect_one(f, "04000099", TM_TAP_CANCELLED, TM_PATTERN_NONE);
	assert_int_equal(tm_engine_base_pattern(&f->e, f->now), TM_PATTERN_WAITING);
	at(f, t + 2000);
	on(f, "04000002"); /* 1 waits off the reader: decided 500 ms later */
	at(f, t + 2999);
	assert_no_action(f);
	at(f, t + 3000);
	expect_meeting(f, "04000001", "04000002");
	assert_no_action(f);
}

/* Exactly min_dwell on the reader counts; a millisecond less does not. */
static void min_dwell_boundary(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = dwell_cfg();
	int64_t t = f->now;

	use(f, &cfg);
	on(f, "04000001");
	at(f, t + 499);
	off(f, "04000001"); /* 499 ms */
	assert_no_action(f);
	at(f, t + 499 + 1000);
	expect_one(f, "04000001", TM_TAP_CANCELLED, TM_PATTERN_NONE);

	t = f->now + 1000;
	at(f, t);
	on(f, "04000002");
	f->now = t + 500; /* no tick in between: the removal's own call decides */
	off(f, "04000002");
	expect_pending(f, "04000002");
	/* Counted, it waits normally: nothing when it has been away past rearm. */
	at(f, t + 500 + 1000);
	assert_no_action(f);
	assert_int_equal(tm_engine_base_pattern(&f->e, f->now), TM_PATTERN_WAITING);
	at(f, t + 8000);
	expect_one(f, "04000002", TM_TAP_UNPAIRED, TM_PATTERN_TIMED_OUT);
}

/* A waiting badge still on the reader is never passing by, however long
 * its partner takes. */
static void waiting_badge_on_reader_is_not_passing_by(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = rules(true, 0, 3000);
	int64_t t = f->now;

	use(f, &cfg);
	on(f, "04000001");
	at(f, t + 3000);
	expect_pending(f, "04000001");
	at(f, t + 4000);
	on(f, "04000002");
	at(f, t + 7000);
	expect_meeting_why(f, "04000001", "04000002", "");
	assert_no_action(f);
}

/* A badge flickering within rearm is one presence: its time on the reader
 * runs from its first arrival. */
static void flicker_continues_the_dwell(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = dwell_cfg();
	struct tm_action a;
	int64_t t = f->now;

	use(f, &cfg);
	on(f, "04000001");
	at(f, t + 100);
	off(f, "04000001");
	at(f, t + 400);
	on(f, "04000001");
	assert_no_action(f);
	at(f, t + 500);
	a = pop(f);
	assert_tap(&a.taps[0], "04000001", TM_TAP_PENDING);
	assert_int_equal(a.taps[0].at_ms, t);
	assert_no_action(f);
}

/* Phones are rejected at once, however briefly seen. */
static void min_dwell_rejects_random_uid_at_once(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = dwell_cfg();

	use(f, &cfg);
	on(f, "08ABCDEF");
	expect_one(f, "08ABCDEF", TM_TAP_REJECTED, TM_PATTERN_REJECTED);
	f->now += 50;
	off(f, "08ABCDEF");
	advance(f, 2000);
	assert_no_action(f);
}

/* --- sequential with min_dwell: waiting for a badge put down together --- */

/* The waiting badge off the reader, a new badge is decided min_dwell +
 * 500 ms after it arrived (750 ms here), so that a badge put down with it
 * can still count with it; the waiting badge on the reader, after
 * min_dwell. */
static void decided_500ms_later_while_the_waiting_badge_is_off_the_reader(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = rules(true, 0, 250);
	int64_t t;

	use(f, &cfg);
	t = f->now;
	on(f, "04000001");
	at(f, t + 250);
	expect_pending(f, "04000001");
	at(f, t + 300);
	off(f, "04000001");
	at(f, t + 1000);
	on(f, "04000002");
	assert_int_equal(tm_engine_next_deadline(&f->e, f->now), t + 1000 + 750);
	at(f, t + 1000 + 749);
	assert_no_action(f);
	at(f, t + 1000 + 750);
	expect_meeting_why(f, "04000001", "04000002", "");
	assert_no_action(f);

	use(f, &cfg);
	advance(f, 20000);
	t = f->now;
	on(f, "04000003");
	at(f, t + 250);
	expect_pending(f, "04000003");
	at(f, t + 1000); /* 3 held */
	on(f, "04000004");
	assert_int_equal(tm_engine_next_deadline(&f->e, f->now), t + 1000 + 250);
	at(f, t + 1000 + 250);
	expect_meeting_why(f, "04000003", "04000004", "");
	assert_no_action(f);
}

/* Lifted once on the reader min_dwell while the decision waited: a tap all
 * the same, decided as it leaves; a millisecond sooner: passing by, and the
 * waiting tap waits on. */
static void lifted_after_min_dwell_while_the_decision_waited_is_a_tap(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = rules(true, 0, 250);
	int64_t t;

	for (int64_t held = 249; held <= 250; held++) {
		use(f, &cfg);
		advance(f, 20000);
		t = f->now;
		on(f, "04000001");
		at(f, t + 250);
		expect_pending(f, "04000001");
		at(f, t + 300);
		off(f, "04000001");
		at(f, t + 1000);
		on(f, "04000002");
		at(f, t + 1000 + held);
		off(f, "04000002");
		if (held == 250) {
			expect_meeting_why(f, "04000001", "04000002", "");
			assert_no_action(f);
			continue;
		}
		assert_no_action(f);
		at(f, t + 1000 + held + 1000);
		expect_one_why(f, "04000002", TM_TAP_CANCELLED, TM_PATTERN_NONE,
			       "on the reader only 249 ms: passing by, not a tap");
		assert_no_action(f);
		assert_int_equal(tm_engine_base_pattern(&f->e, f->now), TM_PATTERN_WAITING);
	}
}

/* Put down within 500 ms of the first while the decision waits, a badge
 * counts with it: the pair holding both meets, and the waiting tap waits
 * on. 501 ms later it is decided on its own: the first meets the waiting
 * tap (beside a badge nobody has counted yet), the second waits itself. */
static void put_down_within_500ms_while_the_decision_waits_count_together(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = rules(true, 0, 250);
	int64_t t;

	for (int64_t apart = 500; apart <= 501; apart++) {
		use(f, &cfg);
		advance(f, 20000);
		t = f->now;
		on(f, "04000001");
		at(f, t + 250);
		expect_pending(f, "04000001");
		at(f, t + 300);
		off(f, "04000001");
		at(f, t + 1000);
		on(f, "04000002");
		at(f, t + 1000 + apart);
		on(f, "04000003");
		at(f, t + 1000 + 750);
		if (apart == 500) {
			expect_group(f, (const char *const[]){ "04000002", "04000003" }, 2, "");
			assert_no_action(f);
			assert_true(f->e.pending);
			assert_int_equal(tm_engine_base_pattern(&f->e, f->now), TM_PATTERN_WAITING);
			continue;
		}
		expect_meeting_why(f, "04000001", "04000002", ANOTHER_BADGE);
		assert_no_action(f);
		at(f, t + 1000 + apart + 250);
		expect_pending(f, "04000003");
		assert_no_action(f);
	}
}

/* --- the tick's order, and a stop ---------------------------------------- */

/* A tick that comes late takes things in the order they happened: a
 * partner of age before the window ended meets the waiting badge (held on
 * the reader); one of age at its very end finds it closed and waits itself. */
static void late_tick_window_closed_before_partner_came_of_age(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = dwell_cfg();
	uint64_t first;
	int64_t t;

	for (int64_t partner = 7499; partner <= 7500; partner++) {
		use(f, &cfg);
		advance(f, 20000);
		t = f->now;
		on(f, "04000001");
		at(f, t + 500);
		first = expect_pending(f, "04000001");
		f->now = t + partner;
		on(f, "04000002");
		assert_no_action(f);
		at(f, t + 8100); /* the first tick since: late */
		if (partner == 7499) {
			expect_meeting_why(f, "04000001", "04000002", "");
		} else {
			expect_one_why(f, "04000001", TM_TAP_UNPAIRED, TM_PATTERN_TIMED_OUT,
				       "no partner within the window");
			assert_true(expect_pending(f, "04000002") > first);
		}
		assert_no_action(f);
	}
}

/* A stop logs the badges on the reader not yet counted, then the waiting
 * tap; nothing is left to do. */
static void abandon_logs_uncounted_badges_then_the_waiting_tap(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = dwell_cfg();
	struct tm_action a;
	uint64_t waiting;
	int64_t t = f->now;

	use(f, &cfg);
	on(f, "04000001");
	at(f, t + 500);
	waiting = expect_pending(f, "04000001");
	at(f, t + 600);
	on(f, "04000002");
	at(f, t + 700);
	tm_engine_abandon(&f->e, f->now);
	a = pop(f);
	assert_int_equal(a.type, TM_ACTION_TAPS);
	assert_int_equal(a.n_taps, 1);
	assert_tap(&a.taps[0], "04000002", TM_TAP_CANCELLED);
	assert_string_equal(a.taps[0].reason, "station stopped before it counted as a tap");
	assert_int_equal(a.taps[0].at_ms, t + 600);
	assert_int_equal(a.pattern, TM_PATTERN_NONE);
	assert_true(a.taps[0].ref > waiting);
	a = pop(f);
	assert_int_equal(a.n_taps, 1);
	assert_int_equal(a.taps[0].ref, waiting);
	assert_tap(&a.taps[0], "04000001", TM_TAP_UNPAIRED);
	assert_string_equal(a.taps[0].reason, "station stopped while waiting for a partner");
	assert_int_equal(a.pattern, TM_PATTERN_NONE);
	assert_no_action(f);
	assert_int_equal(tm_engine_base_pattern(&f->e, f->now), TM_PATTERN_READY);
	assert_true(tm_engine_next_deadline(&f->e, f->now) == TM_NEVER);
	advance(f, 20000);
	assert_no_action(f);
}

/* --- sequential = false, and the grace ----------------------------------- */

static struct tm_engine_config together_cfg(void)
{
	return rules(false, 0, 0);
}

static void not_sequential_overlapping_badges_pair(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = together_cfg();

	use(f, &cfg);
	on(f, "04000001");
	expect_pending(f, "04000001");
	advance(f, 3000);
	on(f, "04000002"); /* the first still on the reader */
	expect_meeting_why(f, "04000001", "04000002", "");
	assert_no_action(f);
}

/* Lifted, the first badge is still on the reader for the grace: 300 ms,
 * less than rearm (1 s). */
static void not_sequential_partner_within_grace_pairs(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = together_cfg();
	int64_t t = f->now;

	use(f, &cfg);
	on(f, "04000001");
	expect_pending(f, "04000001");
	at(f, t + 200);
	off(f, "04000001");
	at(f, t + 200 + 299);
	assert_no_action(f);
	on(f, "04000002");
	expect_meeting_why(f, "04000001", "04000002", "");
	assert_no_action(f);
}

static void not_sequential_partner_after_grace(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = together_cfg();
	int64_t t = f->now;

	use(f, &cfg);
	on(f, "04000001");
	expect_pending(f, "04000001");
	f->now = t + 200;
	off(f, "04000001");
	f->now = t + 200 + 300; /* no tick in between: the arrival's call expires it */
	on(f, "04000002");
	expect_one_why(f, "04000001", TM_TAP_UNPAIRED, TM_PATTERN_TIMED_OUT,
		       "no partner's badge on the reader with it");
	expect_pending(f, "04000002");
	assert_no_action(f);
	assert_int_equal(tm_engine_base_pattern(&f->e, f->now), TM_PATTERN_WAITING);
}

/* rearm shorter than 300 ms is the grace: 200 ms here. */
static void grace_is_rearm_when_rearm_is_shorter(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = together_cfg();
	int64_t t;

	cfg.rearm_ms = 200;
	use(f, &cfg);
	t = f->now;
	on(f, "04000001");
	expect_pending(f, "04000001");
	at(f, t + 200);
	off(f, "04000001");
	assert_int_equal(tm_engine_next_deadline(&f->e, f->now), t + 200 + 200);
	at(f, t + 200 + 199);
	on(f, "04000002");
	expect_meeting_why(f, "04000001", "04000002", "");
	assert_no_action(f);

	advance(f, 3000);
	t = f->now;
	on(f, "04000003");
	expect_pending(f, "04000003");
	at(f, t + 200);
	off(f, "04000003");
	f->now = t + 200 + 200;
	on(f, "04000004");
	expect_one(f, "04000003", TM_TAP_UNPAIRED, TM_PATTERN_TIMED_OUT);
	expect_pending(f, "04000004");
	assert_no_action(f);
}

static void not_sequential_deadline_reports_grace_end(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = together_cfg();
	int64_t t = f->now;

	use(f, &cfg);
	on(f, "04000001");
	expect_pending(f, "04000001");
	assert_int_equal(tm_engine_next_deadline(&f->e, f->now), t + 8000 - 2000);
	at(f, t + 200);
	off(f, "04000001");
	assert_int_equal(tm_engine_next_deadline(&f->e, f->now), t + 200 + 300);
	assert_int_equal(tm_engine_base_pattern(&f->e, f->now), TM_PATTERN_WAITING_HURRY);
	/* Back within the grace: the same tap, and the whole window again. */
	at(f, t + 450);
	on(f, "04000001");
	assert_no_action(f);
	assert_int_equal(tm_engine_next_deadline(&f->e, f->now), t + 8000 - 2000);
	assert_int_equal(tm_engine_base_pattern(&f->e, f->now), TM_PATTERN_WAITING);
	at(f, t + 900);
	off(f, "04000001");
	assert_int_equal(tm_engine_next_deadline(&f->e, f->now), t + 900 + 300);
	at(f, t + 1199);
	assert_no_action(f);
	at(f, t + 1200);
	expect_one(f, "04000001", TM_TAP_UNPAIRED, TM_PATTERN_TIMED_OUT);
	assert_true(tm_engine_next_deadline(&f->e, f->now) == TM_NEVER);
}

static void not_sequential_window_caps_a_held_badge(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = together_cfg();
	struct tm_action a;
	int64_t t = f->now;

	use(f, &cfg);
	on(f, "04000001");
	expect_pending(f, "04000001");
	at(f, t + 7999);
	assert_no_action(f);
	assert_int_equal(tm_engine_next_deadline(&f->e, f->now), t + 8000);
	at(f, t + 8000);
	a = pop(f);
	assert_tap(&a.taps[0], "04000001", TM_TAP_UNPAIRED);
	assert_string_equal(a.taps[0].reason, "no partner's badge on the reader with it");
	/* The grace after leaving never reaches past the window either. */
	at(f, t + 9000);
	on(f, "04000002");
	expect_pending(f, "04000002");
	at(f, t + 9000 + 7800);
	off(f, "04000002");
	assert_int_equal(tm_engine_next_deadline(&f->e, f->now), t + 9000 + 8000);
	at(f, t + 9000 + 8000);
	expect_one(f, "04000002", TM_TAP_UNPAIRED, TM_PATTERN_TIMED_OUT);
}

/* Sequential: the same lifted badge pairs long after the grace and rearm. */
static void sequential_pairs_after_rearm(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = rules(true, 0, 0);
	int64_t t = f->now;

	use(f, &cfg);
	tap(f, "04000001");
	expect_pending(f, "04000001");
	at(f, t + 5000);
	tap(f, "04000002");
	expect_meeting_why(f, "04000001", "04000002", "");
}

/* --- the repeat guard, unbounded ---------------------------------------- */

#define DAY_MS (24LL * 3600 * 1000)

static struct tm_engine_config day_guard_cfg(void)
{
	struct tm_engine_config cfg;

	cfg = rules(true, 0, 0);
	cfg.repeat_guard_ms = DAY_MS;
	cfg.rearm_ms = 1;
	return cfg;
}

/* Two badges put on the reader together and lifted within the same
 * millisecond: a meeting (want TM_ACTION_MEETING) or both duplicate. */
static void held_together(struct fixture *f, const struct tm_badge *a, const struct tm_badge *b,
			  enum tm_action_type want)
{
	struct tm_badge two[2] = { *a, *b };
	struct tm_action got;

	reader(f, two, 2);
	got = pop(f);
	assert_int_equal(got.type, want);
	assert_int_equal(got.n_taps, 2);
	for (size_t i = 0; i < 2; i++)
		assert_int_equal(got.taps[i].outcome,
				 want == TM_ACTION_MEETING ? TM_TAP_PAIRED : TM_TAP_DUPLICATE);
	if (want == TM_ACTION_TAPS)
		assert_int_equal(got.pattern, TM_PATTERN_ALREADY_MET);
	assert_no_action(f);
	empty_reader(f);
	assert_no_action(f);
}

/* The same, then a second for the next. */
static void meet_together(struct fixture *f, const struct tm_badge *a, const struct tm_badge *b,
			  enum tm_action_type want)
{
	held_together(f, a, b, want);
	f->now += 1000;
}

static void meet_pairs(struct fixture *f, uint32_t from, uint32_t n)
{
	for (uint32_t k = from; k < from + n; k++) {
		struct tm_badge a = nth(2 * k), b = nth(2 * k + 1);

		meet_together(f, &a, &b, TM_ACTION_MEETING);
	}
}

static void repeat_guard_holds_beyond_ten_thousand_pairs(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = day_guard_cfg();
	struct tm_badge a = nth(0), b = nth(1);
	int64_t first;

	use(f, &cfg);
	first = f->now;
	meet_pairs(f, 0, 1);
	meet_pairs(f, 1, 100);
	meet_together(f, &b, &a, TM_ACTION_TAPS); /* the other order too */
	meet_pairs(f, 101, 10000);
	assert_true(tm_pairs_count(&f->e.recent) >= 10101);
	assert_int_equal(f->e.remember_failures, 0);
	meet_together(f, &a, &b, TM_ACTION_TAPS);

	/* Sequentially as well: both duplicate. */
	tap(f, "04000001");
	expect_pending(f, "04000001");
	{
		struct tm_action got;

		tm_engine_present(&f->e, f->now, &a);
		f->now += 200;
		tm_engine_removed(&f->e, f->now, &a);
		got = pop(f);
		assert_int_equal(got.type, TM_ACTION_MEETING); /* a and 04000001 never met */
		f->now += 3000;
		tm_engine_present(&f->e, f->now, &b);
		f->now += 200;
		tm_engine_removed(&f->e, f->now, &b);
		expect_pending(f, "044E0000000180");
		f->now += 1000;
		tm_engine_present(&f->e, f->now, &a);
		got = pop(f);
		assert_int_equal(got.type, TM_ACTION_TAPS);
		assert_int_equal(got.pattern, TM_PATTERN_ALREADY_MET);
		assert_tap(&got.taps[0], "044E0000000180", TM_TAP_DUPLICATE);
		assert_tap(&got.taps[1], "044E0000000080", TM_TAP_DUPLICATE);
		f->now += 100;
		tm_engine_removed(&f->e, f->now, &a);
	}

	/* The guard ends a day after their one meeting, to the millisecond
	 * (duplicates do not renew it). */
	at(f, first + DAY_MS - 1);
	held_together(f, &a, &b, TM_ACTION_TAPS);
	at(f, first + DAY_MS);
	held_together(f, &a, &b, TM_ACTION_MEETING);
	f->now += 1000;
	/* Everyone else met later and is still guarded. */
	{
		struct tm_badge c = nth(2 * 5000), d = nth(2 * 5000 + 1);

		meet_together(f, &d, &c, TM_ACTION_TAPS);
	}
}

static void repeat_guard_seeded_beyond_ten_thousand_pairs(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = day_guard_cfg();
	struct tm_badge a = nth(0), b = nth(1);
	struct tm_badge group[8];
	int64_t seeded = f->now - 3600 * 1000;

	use(f, &cfg);
	for (uint32_t k = 0; k < 10101; k++) {
		struct tm_badge two[2] = { nth(2 * k), nth(2 * k + 1) };

		tm_engine_remember_meeting(&f->e, two, 2, seeded + k);
	}
	for (uint32_t i = 0; i < 8; i++)
		group[i] = nth(100000 + i);
	tm_engine_remember_meeting(&f->e, group, 8, seeded);
	assert_int_equal(tm_pairs_count(&f->e.recent), 10101 + 28);

	meet_together(f, &b, &a, TM_ACTION_TAPS);
	meet_together(f, &group[7], &group[0], TM_ACTION_TAPS);
	reader(f, group, 8);
	assert_int_equal(pop(f).type, TM_ACTION_TAPS); /* every pair of the group met */
	f->now += 1;
	empty_reader(f);
	f->now += 999;
	{
		struct tm_badge c = nth(2 * 10100), d = nth(2 * 10100 + 1);

		meet_together(f, &c, &d, TM_ACTION_TAPS);
		/* A new acquaintance in a group makes it a meeting. */
		meet_together(f, &c, &a, TM_ACTION_MEETING);
	}

	at(f, seeded + DAY_MS - 1);
	held_together(f, &a, &b, TM_ACTION_TAPS);
	at(f, seeded + DAY_MS);
	held_together(f, &a, &b, TM_ACTION_MEETING);
}

/* --- the pending badge returning in a group ----------------------------- */

static void pending_badge_in_group_of_eight_joins_with_its_own_tap(void **state)
{
	struct fixture *f = *state;
	struct tm_badge eight[8];
	struct tm_action a;
	uint64_t pending_ref;
	int64_t pending_at = f->now;
	bool found = false;
	struct tm_engine_config cfg = rules(true, 0, 0);

	use(f, &cfg);
	for (uint32_t i = 0; i < 8; i++)
		eight[i] = nth(i);
	eight[3] = badge("04000001");
	tap(f, "04000001");
	pending_ref = expect_pending(f, "04000001");
	advance(f, 2000);
	reader(f, eight, 8);
	a = pop(f);
	assert_int_equal(a.type, TM_ACTION_MEETING);
	assert_int_equal(a.n_taps, 8);
	for (size_t i = 0; i < 8; i++) {
		size_t same = 0;

		assert_int_equal(a.taps[i].outcome, TM_TAP_PAIRED);
		for (size_t j = 0; j < 8; j++)
			same += tm_badge_same(&a.taps[j].badge, &eight[i]);
		assert_int_equal(same, 1); /* every badge once, none lost */
		for (size_t j = 0; j < i; j++)
			assert_true(a.taps[i].ref != a.taps[j].ref);
		if (a.taps[i].ref == pending_ref) {
			found = true;
			assert_true(tm_badge_same(&a.taps[i].badge, &eight[3]));
			assert_int_equal(a.taps[i].at_ms, pending_at);
		} else {
			assert_true(a.taps[i].ref > pending_ref);
			assert_int_equal(a.taps[i].at_ms, f->now);
		}
	}
	assert_true(found);
	assert_no_action(f);
	assert_false(f->e.pending);
	assert_int_equal(tm_engine_base_pattern(&f->e, f->now), TM_PATTERN_READY);
	assert_int_equal(tm_engine_next_deadline(&f->e, f->now), f->now + 2000);
	/* Nothing left to time out. */
	f->now += 200;
	empty_reader(f);
	advance(f, 20000);
	assert_no_action(f);
}

/* A group of eight without the waiting badge: the waiting tap keeps its window. */
static void group_of_eight_leaves_other_pending_tap_waiting(void **state)
{
	struct fixture *f = *state;
	struct tm_badge eight[8];
	struct tm_action a;
	uint64_t pending_ref;
	int64_t pending_at = f->now;
	struct tm_engine_config cfg = rules(true, 0, 0);

	use(f, &cfg);
	for (uint32_t i = 0; i < 8; i++)
		eight[i] = nth(i);
	tap(f, "04000001");
	pending_ref = expect_pending(f, "04000001");
	advance(f, 2000);
	reader(f, eight, 8);
	a = pop(f);
	assert_int_equal(a.type, TM_ACTION_MEETING);
	assert_int_equal(a.n_taps, 8);
	for (size_t i = 0; i < 8; i++)
		assert_true(a.taps[i].ref != pending_ref);
	assert_no_action(f);
	assert_int_equal(tm_engine_base_pattern(&f->e, f->now), TM_PATTERN_WAITING);
	at(f, pending_at + 8000);
	a = pop(f);
	assert_int_equal(a.taps[0].ref, pending_ref);
	assert_int_equal(a.taps[0].outcome, TM_TAP_UNPAIRED);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(after_meeting_off_retap_pairs_with_next_first_tap),
		T(retap_after_meeting_is_duplicate_and_waiting_tap_pairs_with_its_partner),
		T(retap_alone_waits_for_the_grace_then_is_duplicate),
		T(retap_held_ends_with_its_window_as_duplicate),
		T(retap_during_confirmation_waits_as_a_retap),
		T(after_meeting_boundary),
		T(after_meeting_expiry_same_badge),
		T(recently_met_badge_together_with_new_badge_meets),
		T(after_meeting_seeded_by_remember_meeting),
		T(retap_500ms_after_waiting_badge_meets_it),
		T(retap_501ms_after_waiting_badge_is_duplicate),
		T(retap_meets_waiting_badge_only_within_the_grace),
		T(retap_together_within_repeat_guard_is_duplicate),
		T(second_retap_meets_or_replaces_the_waiting_one),
		T(ordinary_badge_next_to_a_retap_within_500ms),
		T(ordinary_badge_next_to_a_retap_within_the_grace),
		T(suspect_delay_at_limit_and_just_over),
		T(suspect_delay_counts_the_grace_as_on_the_reader),
		T(suspect_delay_off_never_suspects),
		T(suspect_sequential_marks_one_after_the_other),
		T(suspect_sequential_without_sequential_never_applies),
		T(groups_are_never_suspect_for_their_timing),
		T(groups_of_three_and_groups_with_a_retap_are_suspect),
		T(a_group_ends_the_confirmation_even_as_duplicates),
		T(another_badge_waiting_makes_a_meeting_suspect),
		T(another_badge_not_yet_counted_makes_a_meeting_suspect),
		T(another_badge_put_down_within_500ms_makes_a_meeting_suspect),
		T(another_badge_put_down_500ms_after_the_partner),
		T(another_badge_gives_way_to_the_other_reasons),
		T(settled_badges_on_the_reader_are_not_another_badge),
		T(retap_on_the_reader_is_not_another_badge),
		T(confirmed_member_on_the_reader_is_not_another_badge),
		T(min_dwell_off_brief_badge_counts),
		T(passer_by_is_cancelled_and_never_paired),
		T(passer_by_then_first_tap_at_once),
		T(min_dwell_boundary),
		T(waiting_badge_on_reader_is_not_passing_by),
		T(flicker_continues_the_dwell),
		T(min_dwell_rejects_random_uid_at_once),
		T(decided_500ms_later_while_the_waiting_badge_is_off_the_reader),
		T(lifted_after_min_dwell_while_the_decision_waited_is_a_tap),
		T(put_down_within_500ms_while_the_decision_waits_count_together),
		T(late_tick_window_closed_before_partner_came_of_age),
		T(abandon_logs_uncounted_badges_then_the_waiting_tap),
		T(not_sequential_overlapping_badges_pair),
		T(not_sequential_partner_within_grace_pairs),
		T(not_sequential_partner_after_grace),
		T(grace_is_rearm_when_rearm_is_shorter),
		T(not_sequential_deadline_reports_grace_end),
		T(not_sequential_window_caps_a_held_badge),
		T(sequential_pairs_after_rearm),
		T(repeat_guard_holds_beyond_ten_thousand_pairs),
		T(repeat_guard_seeded_beyond_ten_thousand_pairs),
		T(pending_badge_in_group_of_eight_joins_with_its_own_tap),
		T(group_of_eight_leaves_other_pending_tap_waiting),
	};
#undef T

	return cmocka_run_group_tests_name("engine rules", tests, NULL, NULL);
}
