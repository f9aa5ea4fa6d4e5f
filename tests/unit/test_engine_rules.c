/* The pairing rules added to the engine, each driven with a fake clock and
 * checked at its limits: after_meeting, suspect_delay, min_dwell, sequential
 * off, the repeat guard well beyond any fixed table, and the pending badge
 * returning in a group of eight. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tapmeet/engine.h"

#define T0 1000000

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

/* Defaults, then the one setting a test is about. */
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

static uint64_t expect_pending(struct fixture *f, const char *hex)
{
	return expect_one(f, hex, TM_TAP_PENDING, TM_PATTERN_WAITING);
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

/* A and B tap one after the other and meet; the confirmation runs until
 * the returned time. */
static int64_t meet(struct fixture *f, const char *a, const char *b)
{
	tap(f, a);
	expect_pending(f, a);
	tap(f, b);
	expect_meeting(f, a, b);
	assert_no_action(f);
	return f->now - 200; /* b arrived then: the meeting's time */
}

/* --- after_meeting -------------------------------------------------------- */

static struct tm_engine_config after_meeting_cfg(void)
{
	struct tm_engine_config cfg;

	tm_engine_config_defaults(&cfg);
	cfg.after_meeting_ms = 10000;
	return cfg;
}

/* Off (the default), a member re-tapping after the confirmation pairs with
 * the next pair's first badge: the cascade the rule is there to stop. */
static void after_meeting_off_retap_pairs_with_next_first_tap(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(f->e.cfg.after_meeting_ms, 0);
	meet(f, "04000001", "04000002");
	advance(f, 3000); /* the 2 s confirmation is over */
	tap(f, "04000003");
	expect_pending(f, "04000003");
	advance(f, 1000);
	tap(f, "04000001");
	expect_meeting(f, "04000003", "04000001");
}

static void retap_after_meeting_is_duplicate_and_waiting_tap_pairs_with_its_partner(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = after_meeting_cfg();
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
	a = pop(f);
	assert_int_equal(a.type, TM_ACTION_TAPS);
	assert_int_equal(a.n_taps, 1);
	assert_tap(&a.taps[0], "04000001", TM_TAP_DUPLICATE);
	assert_string_equal(a.taps[0].reason, "tapped alone just after its meeting");
	assert_int_equal(a.pattern, TM_PATTERN_ALREADY_MET);
	assert_no_action(f);
	/* The waiting tap was neither joined nor disturbed: same window. */
	assert_int_equal(tm_engine_base_pattern(&f->e, f->now), TM_PATTERN_WAITING);
	assert_int_equal(tm_engine_next_deadline(&f->e, f->now), waiting_at + 8000 - 2000);
	advance(f, 500);
	tap(f, "04000004");
	a = expect_meeting(f, "04000003", "04000004");
	assert_int_equal(a.taps[0].ref, waiting);
	assert_int_equal(a.taps[0].at_ms, waiting_at);
	assert_no_action(f);
}

static void retap_after_meeting_opens_no_window(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = after_meeting_cfg();

	use(f, &cfg);
	meet(f, "04000001", "04000002");
	advance(f, 3000);
	tap(f, "04000002");
	expect_one(f, "04000002", TM_TAP_DUPLICATE, TM_PATTERN_ALREADY_MET);
	assert_int_equal(tm_engine_base_pattern(&f->e, f->now), TM_PATTERN_READY);
	assert_true(tm_engine_next_deadline(&f->e, f->now) == TM_NEVER);
	/* The next stranger opens a window of their own. */
	advance(f, 500);
	tap(f, "04000003");
	expect_pending(f, "04000003");
}

/* Within the confirmation the older rule speaks, with its own reason. */
static void retap_during_confirmation_keeps_its_reason(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = after_meeting_cfg();
	struct tm_action a;

	use(f, &cfg);
	meet(f, "04000001", "04000002");
	advance(f, 1200); /* re-armed, still confirming */
	tap(f, "04000001");
	a = pop(f);
	assert_tap(&a.taps[0], "04000001", TM_TAP_DUPLICATE);
	assert_string_equal(a.taps[0].reason, "tapped again while its meeting was confirmed");
}

/* "Within" after_meeting: one millisecond before it ends a lone re-tap is a
 * duplicate, at the limit the badge opens a window as any other. */
static void after_meeting_boundary(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = after_meeting_cfg();
	struct tm_badge group[3] = { badge("04000001"), badge("04000002"), badge("04000003") };
	struct tm_badge other = badge("04000009");
	int64_t met;

	use(f, &cfg);
	met = f->now;
	reader(f, group, 3);
	assert_int_equal(pop(f).type, TM_ACTION_MEETING);
	f->now += 100;
	empty_reader(f);
	assert_no_action(f);

	at(f, met + 10000 - 1);
	reader(f, &group[0], 1);
	expect_one(f, "04000001", TM_TAP_DUPLICATE, TM_PATTERN_ALREADY_MET);
	at(f, met + 10000);
	reader(f, &group[1], 1); /* 04000001 lifted, 04000002 placed */
	expect_pending(f, "04000002");
	assert_no_action(f);
	/* And it pairs as usual. */
	f->now += 1000;
	reader(f, &other, 1);
	expect_meeting(f, "04000002", "04000009");
}

/* The same badge, past after_meeting, opens a window normally. */
static void after_meeting_expiry_same_badge(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = after_meeting_cfg();
	int64_t met;

	use(f, &cfg);
	met = meet(f, "04000001", "04000002");
	advance(f, 4000);
	tap(f, "04000001");
	expect_one(f, "04000001", TM_TAP_DUPLICATE, TM_PATTERN_ALREADY_MET);
	at(f, met + 10000);
	tap(f, "04000001");
	expect_pending(f, "04000001");
	tap(f, "04000005");
	expect_meeting(f, "04000001", "04000005");
}

/* Held together with a new badge, a recently met badge still meets, under
 * the repeat guard; a pair arriving together leaves a waiting tap alone. */
static void recently_met_badge_together_with_new_badge_meets(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = after_meeting_cfg();
	struct tm_badge with_new[2] = { badge("04000001"), badge("04000003") };
	struct tm_badge same_pair[2] = { badge("04000001"), badge("04000002") };
	struct tm_badge while_waiting[2] = { badge("04000002"), badge("04000005") };
	struct tm_action a;

	use(f, &cfg);
	meet(f, "04000001", "04000002");
	advance(f, 3000);
	reader(f, with_new, 2);
	a = pop(f);
	assert_int_equal(a.type, TM_ACTION_MEETING);
	assert_true(taps_are(&a, (const char *const[]){ "04000001", "04000003" }, 2));
	assert_int_equal(a.taps[0].outcome, TM_TAP_PAIRED);
	assert_int_equal(a.taps[1].outcome, TM_TAP_PAIRED);
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
	a = pop(f);
	assert_int_equal(a.type, TM_ACTION_MEETING);
	assert_true(taps_are(&a, (const char *const[]){ "04000002", "04000005" }, 2));
	assert_no_action(f);
	assert_int_equal(tm_engine_base_pattern(&f->e, f->now), TM_PATTERN_WAITING);
}

/* The seed at start counts as a meeting for after_meeting too. */
static void after_meeting_seeded_by_remember_meeting(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = after_meeting_cfg();
	struct tm_badge pair[2] = { badge("04000001"), badge("04000002") };
	int64_t seeded = f->now - 5000;

	use(f, &cfg);
	tm_engine_remember_meeting(&f->e, pair, 2, seeded);
	tap(f, "04000003");
	expect_pending(f, "04000003");
	tap(f, "04000001");
	expect_one(f, "04000001", TM_TAP_DUPLICATE, TM_PATTERN_ALREADY_MET);
	at(f, seeded + 10000); /* after_meeting over; the window open until seeded + 13000 */
	tap(f, "04000002");
	expect_meeting(f, "04000003", "04000002");
}

/* --- suspect_delay ------------------------------------------------------- */

/* First badge at `first`, its partner `delay` ms later; returns the meeting. */
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

static void suspect_delay_at_limit_and_just_over(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg;
	struct tm_action a;

	tm_engine_config_defaults(&cfg);
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

static void suspect_delay_off_never_suspects(void **state)
{
	struct fixture *f = *state;
	struct tm_action a;

	assert_int_equal(f->e.cfg.suspect_delay_ms, 0);
	a = sequential_pair(f, "04000001", "04000002", 7999);
	assert_string_equal(a.suspect, "");
}

/* Badges arriving together are never suspect, even when one of them is a
 * pending tap from long ago. */
static void groups_and_together_are_never_suspect(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg;
	struct tm_badge two[2] = { badge("04000001"), badge("04000002") };
	struct tm_badge back[3] = { badge("04000003"), badge("04000004"), badge("04000005") };
	struct tm_action a;

	tm_engine_config_defaults(&cfg);
	cfg.suspect_delay_ms = 1000;
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
	assert_string_equal(a.suspect, "");
}

/* --- min_dwell ----------------------------------------------------------- */

static struct tm_engine_config dwell_cfg(void)
{
	struct tm_engine_config cfg;

	tm_engine_config_defaults(&cfg);
	cfg.min_dwell_ms = 500;
	return cfg;
}

/* Off (the default), a badge seen for 100 ms is a tap, and a partner. */
static void min_dwell_off_brief_badge_counts(void **state)
{
	struct fixture *f = *state;

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
	a = expect_meeting(f, "04000001", "04000002");
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
	on(f, "04000002");
	at(f, t + 2600);
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
	struct tm_engine_config cfg = dwell_cfg();
	int64_t t = f->now;

	cfg.min_dwell_ms = 3000;
	use(f, &cfg);
	on(f, "04000001");
	at(f, t + 3000);
	expect_pending(f, "04000001");
	at(f, t + 4000);
	on(f, "04000002");
	at(f, t + 7000);
	expect_meeting(f, "04000001", "04000002");
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

/* --- sequential = false --------------------------------------------------- */

static struct tm_engine_config together_cfg(void)
{
	struct tm_engine_config cfg;

	tm_engine_config_defaults(&cfg);
	cfg.sequential = false;
	return cfg;
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
	expect_meeting(f, "04000001", "04000002");
	assert_no_action(f);
}

static void not_sequential_partner_within_rearm_pairs(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = together_cfg();
	int64_t t = f->now;

	use(f, &cfg);
	on(f, "04000001");
	expect_pending(f, "04000001");
	at(f, t + 200);
	off(f, "04000001");
	at(f, t + 200 + 999);
	assert_no_action(f);
	on(f, "04000002");
	expect_meeting(f, "04000001", "04000002");
	assert_no_action(f);
}

static void not_sequential_partner_after_rearm(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg = together_cfg();
	struct tm_action a;
	int64_t t = f->now;

	use(f, &cfg);
	on(f, "04000001");
	expect_pending(f, "04000001");
	f->now = t + 200;
	off(f, "04000001");
	f->now = t + 200 + 1000; /* no tick in between: the arrival's call expires it */
	on(f, "04000002");
	a = pop(f);
	assert_int_equal(a.type, TM_ACTION_TAPS);
	assert_int_equal(a.pattern, TM_PATTERN_TIMED_OUT);
	assert_tap(&a.taps[0], "04000001", TM_TAP_UNPAIRED);
	assert_string_equal(a.taps[0].reason, "no partner's badge on the reader with it");
	expect_pending(f, "04000002");
	assert_no_action(f);
	assert_int_equal(tm_engine_base_pattern(&f->e, f->now), TM_PATTERN_WAITING);
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
	assert_int_equal(tm_engine_next_deadline(&f->e, f->now), t + 200 + 1000);
	assert_int_equal(tm_engine_base_pattern(&f->e, f->now), TM_PATTERN_WAITING_HURRY);
	/* Back within rearm: the same tap, and the whole window again. */
	at(f, t + 700);
	on(f, "04000001");
	assert_no_action(f);
	assert_int_equal(tm_engine_next_deadline(&f->e, f->now), t + 8000 - 2000);
	at(f, t + 900);
	off(f, "04000001");
	assert_int_equal(tm_engine_next_deadline(&f->e, f->now), t + 900 + 1000);
	at(f, t + 1899);
	assert_no_action(f);
	at(f, t + 1900);
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
	at(f, t + 9000 + 7500);
	off(f, "04000002");
	assert_int_equal(tm_engine_next_deadline(&f->e, f->now), t + 9000 + 8000);
	at(f, t + 9000 + 8000);
	expect_one(f, "04000002", TM_TAP_UNPAIRED, TM_PATTERN_TIMED_OUT);
}

/* Sequential (the default): the same lifted badge pairs long after rearm. */
static void sequential_default_pairs_after_rearm(void **state)
{
	struct fixture *f = *state;
	int64_t t = f->now;

	assert_true(f->e.cfg.sequential);
	tap(f, "04000001");
	expect_pending(f, "04000001");
	at(f, t + 5000);
	tap(f, "04000002");
	expect_meeting(f, "04000001", "04000002");
}

/* --- the repeat guard, unbounded ---------------------------------------- */

#define DAY_MS (24LL * 3600 * 1000)

static struct tm_engine_config day_guard_cfg(void)
{
	struct tm_engine_config cfg;

	tm_engine_config_defaults(&cfg);
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
		T(retap_after_meeting_opens_no_window),
		T(retap_during_confirmation_keeps_its_reason),
		T(after_meeting_boundary),
		T(after_meeting_expiry_same_badge),
		T(recently_met_badge_together_with_new_badge_meets),
		T(after_meeting_seeded_by_remember_meeting),
		T(suspect_delay_at_limit_and_just_over),
		T(suspect_delay_off_never_suspects),
		T(groups_and_together_are_never_suspect),
		T(min_dwell_off_brief_badge_counts),
		T(passer_by_is_cancelled_and_never_paired),
		T(passer_by_then_first_tap_at_once),
		T(min_dwell_boundary),
		T(waiting_badge_on_reader_is_not_passing_by),
		T(flicker_continues_the_dwell),
		T(min_dwell_rejects_random_uid_at_once),
		T(not_sequential_overlapping_badges_pair),
		T(not_sequential_partner_within_rearm_pairs),
		T(not_sequential_partner_after_rearm),
		T(not_sequential_deadline_reports_grace_end),
		T(not_sequential_window_caps_a_held_badge),
		T(sequential_default_pairs_after_rearm),
		T(repeat_guard_holds_beyond_ten_thousand_pairs),
		T(repeat_guard_seeded_beyond_ten_thousand_pairs),
		T(pending_badge_in_group_of_eight_joins_with_its_own_tap),
		T(group_of_eight_leaves_other_pending_tap_waiting),
	};
#undef T

	return cmocka_run_group_tests_name("engine rules", tests, NULL, NULL);
}
