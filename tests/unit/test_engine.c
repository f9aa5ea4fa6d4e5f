/* The pairing engine, driven by a fake clock: every transition in docs/pairing.md.
 *
 * Most tests run the bare sequential rules (no after_meeting, no min_dwell,
 * nothing suspect, an 8 s window): the state machine with every branch
 * reachable. The shipped defaults have their own tests at the end, and
 * test_engine_rules.c checks each rule at its limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tapmeet/engine.h"

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

static int setup(void **state)
{
	static struct fixture f;
	struct tm_engine_config cfg;

	tm_engine_config_defaults(&cfg);
	cfg.window_ms = 8000;
	cfg.sequential = true;
	cfg.suspect_sequential = false;
	cfg.after_meeting_ms = 0;
	cfg.min_dwell_ms = 0;
	tm_engine_init(&f.e, &cfg);
	f.now = 1000000;
	*state = &f;
	return 0;
}

static int setup_defaults(void **state)
{
	static struct fixture f;
	struct tm_engine_config cfg;

	tm_engine_config_defaults(&cfg);
	tm_engine_init(&f.e, &cfg);
	f.now = 1000000;
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	tm_engine_free(&f->e);
	return 0;
}

/* A badge put on and taken off a moment later, as a person taps. */
static void tap(struct fixture *f, const char *hex)
{
	struct tm_badge b = badge(hex);

	tm_engine_present(&f->e, f->now, &b);
	f->now += 200;
	tm_engine_removed(&f->e, f->now, &b);
}

static void advance(struct fixture *f, int64_t ms)
{
	f->now += ms;
	tm_engine_tick(&f->e, f->now);
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

static void first_tap_waits(void **state)
{
	struct fixture *f = *state;
	struct tm_action a;

	tap(f, "04A1B2C3");
	a = pop(f);
	assert_int_equal(a.type, TM_ACTION_TAPS);
	assert_int_equal(a.n_taps, 1);
	assert_tap(&a.taps[0], "04A1B2C3", TM_TAP_PENDING);
	assert_int_equal(a.pattern, TM_PATTERN_WAITING);
	assert_no_action(f);
	assert_int_equal(tm_engine_base_pattern(&f->e, f->now), TM_PATTERN_WAITING);
}

static void second_badge_in_window_makes_meeting(void **state)
{
	struct fixture *f = *state;
	struct tm_action a;
	uint64_t first_ref;

	tap(f, "04A1B2C3");
	first_ref = pop(f).taps[0].ref;
	advance(f, 5000);
	tap(f, "04D5E6F7");
	a = pop(f);
	assert_int_equal(a.type, TM_ACTION_MEETING);
	assert_int_equal(a.n_taps, 2);
	assert_tap(&a.taps[0], "04A1B2C3", TM_TAP_PAIRED);
	assert_int_equal(a.taps[0].ref, first_ref); /* the pending tap, updated */
	assert_tap(&a.taps[1], "04D5E6F7", TM_TAP_PAIRED);
	assert_int_equal(a.pattern, TM_PATTERN_SAVED);
	assert_no_action(f);
	assert_int_equal(tm_engine_base_pattern(&f->e, f->now), TM_PATTERN_READY);
}

static void window_expiry_logs_unpaired(void **state)
{
	struct fixture *f = *state;
	struct tm_action a;

	tap(f, "04A1B2C3");
	pop(f);
	/* The tap happened at now-200; its window ends 8 s after it. */
	advance(f, 8000 - 200 - 1);
	assert_no_action(f);
	advance(f, 1);
	a = pop(f);
	assert_int_equal(a.type, TM_ACTION_TAPS);
	assert_tap(&a.taps[0], "04A1B2C3", TM_TAP_UNPAIRED);
	assert_int_equal(a.pattern, TM_PATTERN_TIMED_OUT);
	/* A badge after the window starts afresh. */
	tap(f, "04D5E6F7");
	a = pop(f);
	assert_tap(&a.taps[0], "04D5E6F7", TM_TAP_PENDING);
}

static void deadline_reports_hurry_then_end(void **state)
{
	struct fixture *f = *state;
	int64_t tapped = f->now;

	assert_true(tm_engine_next_deadline(&f->e, f->now) == TM_NEVER);
	tap(f, "04A1B2C3");
	pop(f);
	assert_int_equal(tm_engine_next_deadline(&f->e, f->now), tapped + 8000 - 2000);
	f->now = tapped + 6000;
	assert_int_equal(tm_engine_base_pattern(&f->e, f->now), TM_PATTERN_WAITING_HURRY);
	assert_int_equal(tm_engine_next_deadline(&f->e, f->now), tapped + 8000);
}

static void same_badge_again_cancels(void **state)
{
	struct fixture *f = *state;
	struct tm_action a;

	tap(f, "04A1B2C3");
	pop(f);
	advance(f, 2000); /* away longer than the re-arm time */
	tap(f, "04A1B2C3");
	a = pop(f);
	assert_int_equal(a.type, TM_ACTION_TAPS);
	assert_int_equal(a.n_taps, 2);
	assert_tap(&a.taps[0], "04A1B2C3", TM_TAP_CANCELLED);
	assert_tap(&a.taps[1], "04A1B2C3", TM_TAP_CANCELLED);
	assert_int_equal(a.pattern, TM_PATTERN_CANCELLED);
	assert_int_equal(tm_engine_base_pattern(&f->e, f->now), TM_PATTERN_READY);
	assert_true(tm_engine_next_deadline(&f->e, f->now) == TM_NEVER);
}

static void badge_held_counts_once(void **state)
{
	struct fixture *f = *state;
	struct tm_badge b = badge("04A1B2C3");

	for (int i = 0; i < 50; i++) {
		tm_engine_present(&f->e, f->now, &b);
		f->now += 100;
	}
	pop(f);
	assert_no_action(f);
}

static void flicker_within_rearm_is_one_tap(void **state)
{
	struct fixture *f = *state;
	struct tm_badge b = badge("04A1B2C3");

	tm_engine_present(&f->e, f->now, &b);
	pop(f);
	f->now += 300;
	tm_engine_removed(&f->e, f->now, &b);
	f->now += 999; /* rearm is 1000 ms */
	tm_engine_present(&f->e, f->now, &b);
	assert_no_action(f);
	/* Away for the full re-arm time: a new tap, which cancels. */
	f->now += 100;
	tm_engine_removed(&f->e, f->now, &b);
	f->now += 1000;
	tm_engine_present(&f->e, f->now, &b);
	assert_int_equal(pop(f).pattern, TM_PATTERN_CANCELLED);
}

static void two_at_once_meet_immediately(void **state)
{
	struct fixture *f = *state;
	struct tm_badge both[2] = { badge("04A1B2C3"), badge("04D5E6F7A1B2C3") };
	struct tm_action a;

	tm_engine_badges(&f->e, f->now, both, 2);
	a = pop(f);
	assert_int_equal(a.type, TM_ACTION_MEETING);
	assert_int_equal(a.n_taps, 2);
	assert_tap(&a.taps[0], "04A1B2C3", TM_TAP_PAIRED);
	assert_tap(&a.taps[1], "04D5E6F7A1B2C3", TM_TAP_PAIRED);
	assert_no_action(f);
}

static void three_at_once_make_one_group_meeting(void **state)
{
	struct fixture *f = *state;
	struct tm_badge three[3] = { badge("04000001"), badge("04000002"), badge("04000003") };
	struct tm_action a;

	tm_engine_badges(&f->e, f->now, three, 3);
	a = pop(f);
	assert_int_equal(a.type, TM_ACTION_MEETING);
	assert_int_equal(a.n_taps, 3);
}

static void pair_at_once_leaves_pending_tap_waiting(void **state)
{
	struct fixture *f = *state;
	struct tm_badge pair[2] = { badge("04000002"), badge("04000003") };
	struct tm_action a;

	tap(f, "04000001");
	pop(f);
	advance(f, 1000);
	tm_engine_badges(&f->e, f->now, pair, 2);
	a = pop(f);
	assert_int_equal(a.type, TM_ACTION_MEETING);
	assert_int_equal(a.n_taps, 2);
	assert_int_equal(tm_engine_base_pattern(&f->e, f->now), TM_PATTERN_WAITING);
}

static void second_badge_while_first_held(void **state)
{
	struct fixture *f = *state;
	struct tm_badge a_badge = badge("04000001"), b_badge = badge("04000002");
	struct tm_badge both[2] = { a_badge, b_badge };

	tm_engine_badges(&f->e, f->now, &a_badge, 1);
	pop(f);
	f->now += 3000;
	tm_engine_badges(&f->e, f->now, both, 2);
	assert_int_equal(pop(f).type, TM_ACTION_MEETING);
}

static void same_pair_within_guard_is_duplicate(void **state)
{
	struct fixture *f = *state;
	struct tm_action a;

	tap(f, "04000001");
	tap(f, "04000002");
	pop(f);
	assert_int_equal(pop(f).type, TM_ACTION_MEETING);
	advance(f, 10000);
	tap(f, "04000002"); /* the other order: still the same pair */
	pop(f);
	tap(f, "04000001");
	a = pop(f);
	assert_int_equal(a.type, TM_ACTION_TAPS);
	assert_tap(&a.taps[0], "04000002", TM_TAP_DUPLICATE);
	assert_tap(&a.taps[1], "04000001", TM_TAP_DUPLICATE);
	assert_int_equal(a.pattern, TM_PATTERN_ALREADY_MET);
	/* After the guard, they may meet again. */
	advance(f, 60000);
	tap(f, "04000001");
	pop(f);
	tap(f, "04000002");
	assert_int_equal(pop(f).type, TM_ACTION_MEETING);
}

static void guard_seeded_from_store_survives_restart(void **state)
{
	struct fixture *f = *state;
	struct tm_badge pair[2] = { badge("04000001"), badge("04000002") };

	tm_engine_remember_meeting(&f->e, pair, 2, f->now - 30000);
	tap(f, "04000001");
	pop(f);
	tap(f, "04000002");
	assert_int_equal(pop(f).pattern, TM_PATTERN_ALREADY_MET);
}

static void member_retap_during_confirmation_is_duplicate(void **state)
{
	struct fixture *f = *state;
	struct tm_action a;

	tap(f, "04000001");
	pop(f);
	tap(f, "04000002");
	pop(f);
	f->now += 1000; /* re-armed, still inside the 2 s confirmation */
	tap(f, "04000001");
	/* "Already met" at once; it would pair only with a badge put down
	 * together with it, and none comes. */
	a = pop(f);
	assert_int_equal(a.type, TM_ACTION_TAPS);
	assert_int_equal(a.pattern, TM_PATTERN_ALREADY_MET);
	assert_int_equal(tm_engine_base_pattern(&f->e, f->now), TM_PATTERN_READY);
	advance(f, 300);
	a = pop(f);
	assert_tap(&a.taps[0], "04000001", TM_TAP_DUPLICATE);
	assert_int_equal(tm_engine_base_pattern(&f->e, f->now), TM_PATTERN_READY);
}

static void third_badge_during_confirmation_starts_new_window(void **state)
{
	struct fixture *f = *state;
	struct tm_action a;

	tap(f, "04000001");
	pop(f);
	tap(f, "04000002");
	pop(f);
	tap(f, "04000003");
	a = pop(f);
	assert_tap(&a.taps[0], "04000003", TM_TAP_PENDING);
	assert_int_equal(tm_engine_base_pattern(&f->e, f->now), TM_PATTERN_WAITING);
	/* A member of the saved meeting, back after the re-arm time, pairs
	 * with the new one: the confirmation ended when the window opened. */
	advance(f, 1500);
	tap(f, "04000001");
	assert_int_equal(pop(f).type, TM_ACTION_MEETING);
}

static void random_uid_is_rejected_and_keeps_pending(void **state)
{
	struct fixture *f = *state;
	struct tm_action a;

	tap(f, "04000001");
	pop(f);
	tap(f, "08123456");
	a = pop(f);
	assert_int_equal(a.type, TM_ACTION_TAPS);
	assert_tap(&a.taps[0], "08123456", TM_TAP_REJECTED);
	assert_non_null(strstr(a.taps[0].reason, "random"));
	assert_int_equal(a.pattern, TM_PATTERN_REJECTED);
	/* The person still waiting can be paired. */
	tap(f, "04000002");
	assert_int_equal(pop(f).type, TM_ACTION_MEETING);
}

static void reader_reject_is_recorded(void **state)
{
	struct fixture *f = *state;
	struct tm_badge b = badge("04000009");
	struct tm_action a;

	tm_engine_reject(&f->e, f->now, &b, "unsupported tag type (FeliCa)");
	a = pop(f);
	assert_tap(&a.taps[0], "04000009", TM_TAP_REJECTED);
	assert_string_equal(a.taps[0].reason, "unsupported tag type (FeliCa)");
}

static void reconfigure_keeps_pending_tap(void **state)
{
	struct fixture *f = *state;
	struct tm_engine_config cfg;

	tap(f, "04000001");
	pop(f);
	cfg = f->e.cfg;
	cfg.window_ms = 20000;
	tm_engine_reconfigure(&f->e, &cfg);
	advance(f, 15000);
	assert_no_action(f);
	tap(f, "04000002");
	assert_int_equal(pop(f).type, TM_ACTION_MEETING);
}

static void abandon_logs_pending_as_unpaired(void **state)
{
	struct fixture *f = *state;
	struct tm_action a;

	tm_engine_abandon(&f->e, f->now);
	assert_no_action(f);
	tap(f, "04000001");
	pop(f);
	tm_engine_abandon(&f->e, f->now);
	a = pop(f);
	assert_tap(&a.taps[0], "04000001", TM_TAP_UNPAIRED);
}

static void refs_are_unique_and_increasing(void **state)
{
	struct fixture *f = *state;
	uint64_t last = 0;
	char hex[9];

	for (int i = 0; i < 40; i++) {
		struct tm_action a;

		snprintf(hex, sizeof(hex), "04%06X", i);
		tap(f, hex);
		advance(f, 9000);
		while (tm_engine_pop(&f->e, &a)) {
			if (a.taps[0].outcome == TM_TAP_PENDING) {
				assert_true(a.taps[0].ref > last);
				last = a.taps[0].ref;
			}
		}
	}
	assert_int_equal(f->e.dropped_actions, 0);
}

static void undrained_queue_counts_drops(void **state)
{
	struct fixture *f = *state;
	char hex[9];

	for (int i = 0; i < TM_ENGINE_QUEUE + 5; i++) {
		snprintf(hex, sizeof(hex), "08%06X", i); /* rejected: one action each */
		tap(f, hex);
	}
	assert_int_equal(f->e.dropped_actions, 5);
}

/* --- the shipped defaults: both badges held on the reader together ------ */

static void put(struct fixture *f, const char *hex)
{
	struct tm_badge b = badge(hex);

	tm_engine_present(&f->e, f->now, &b);
}

static void lift(struct fixture *f, const char *hex)
{
	struct tm_badge b = badge(hex);

	tm_engine_removed(&f->e, f->now, &b);
}

static void defaults_are_the_documented_ones(void **state)
{
	struct fixture *f = *state;

	assert_true(f->e.cfg.sequential);
	assert_true(f->e.cfg.suspect_sequential);
	assert_int_equal(f->e.cfg.after_meeting_ms, 10000);
	assert_int_equal(f->e.cfg.min_dwell_ms, 250);
	assert_int_equal(f->e.cfg.window_ms, 5000);
	assert_int_equal(f->e.cfg.rearm_ms, 1000);
}

static void defaults_badges_held_together_meet_after_the_dwell(void **state)
{
	struct fixture *f = *state;
	struct tm_action a;

	put(f, "04A1B2C3D4E5F6");
	f->now += 200;
	put(f, "04010203040506");
	advance(f, 49); /* the first has lain 249 ms: nothing yet */
	assert_no_action(f);
	advance(f, 1); /* 250 ms: the first counts and waits */
	a = pop(f);
	assert_int_equal(a.pattern, TM_PATTERN_WAITING);
	assert_tap(&a.taps[0], "04A1B2C3D4E5F6", TM_TAP_PENDING);
	advance(f, 200); /* the second's 250 ms */
	a = pop(f);
	assert_int_equal(a.type, TM_ACTION_MEETING);
	assert_int_equal(a.n_taps, 2);
	assert_string_equal(a.suspect, "");
	assert_no_action(f);
}

static void defaults_one_after_the_other_is_a_suspect_meeting(void **state)
{
	struct fixture *f = *state;
	struct tm_action a;

	put(f, "04A1B2C3D4E5F6");
	advance(f, 600);
	a = pop(f);
	assert_tap(&a.taps[0], "04A1B2C3D4E5F6", TM_TAP_PENDING);
	lift(f, "04A1B2C3D4E5F6");
	advance(f, 800);
	assert_no_action(f);
	/* The window waits with its badge off the reader: the partner's is
	 * decided 500 ms later than min_dwell, in case another is put down
	 * with it; lifted after min_dwell, it is decided then. */
	put(f, "04010203040506");
	advance(f, 400);
	assert_no_action(f);
	lift(f, "04010203040506");
	a = pop(f);
	assert_int_equal(a.type, TM_ACTION_MEETING);
	assert_string_equal(a.suspect, "tapped one after the other, not together");
	assert_no_action(f);
}

static void defaults_pair_together_is_not_split_by_a_waiting_tap(void **state)
{
	struct fixture *f = *state;
	struct tm_action a;

	/* Someone's partner walked away: the tap waits, off the reader. */
	put(f, "04A1B2C3D4E5F6");
	advance(f, 300);
	lift(f, "04A1B2C3D4E5F6");
	a = pop(f);
	assert_tap(&a.taps[0], "04A1B2C3D4E5F6", TM_TAP_PENDING);
	advance(f, 1000);
	/* The next pair holds both badges, 200 ms apart. */
	put(f, "04111111111111");
	advance(f, 200);
	put(f, "04222222222222");
	advance(f, 549);
	assert_no_action(f);
	advance(f, 1); /* the first one's 750 ms: both counted together */
	a = pop(f);
	assert_int_equal(a.type, TM_ACTION_MEETING);
	assert_int_equal(a.n_taps, 2);
	assert_tap(&a.taps[0], "04111111111111", TM_TAP_PAIRED);
	assert_tap(&a.taps[1], "04222222222222", TM_TAP_PAIRED);
	assert_string_equal(a.suspect, "");
	assert_no_action(f);
	advance(f, 5000);
	a = pop(f);
	assert_tap(&a.taps[0], "04A1B2C3D4E5F6", TM_TAP_UNPAIRED);
}

static void defaults_retap_after_saved_waits_for_nobody(void **state)
{
	struct fixture *f = *state;
	struct tm_action a;

	put(f, "04A1B2C3D4E5F6");
	put(f, "04010203040506");
	advance(f, 250);
	a = pop(f);
	assert_int_equal(a.type, TM_ACTION_MEETING);
	lift(f, "04A1B2C3D4E5F6");
	lift(f, "04010203040506");
	advance(f, 3000);
	/* One of them makes sure, alone: "already met", and the LEDs stay ready. */
	put(f, "04A1B2C3D4E5F6");
	advance(f, 250);
	a = pop(f);
	assert_int_equal(a.pattern, TM_PATTERN_ALREADY_MET);
	assert_tap(&a.taps[0], "04A1B2C3D4E5F6", TM_TAP_PENDING);
	assert_int_equal(tm_engine_base_pattern(&f->e, f->now), TM_PATTERN_READY);
	/* The next pair's first badge, a second later, is not its partner. */
	advance(f, 1000);
	put(f, "04111111111111");
	advance(f, 250);
	a = pop(f);
	assert_tap(&a.taps[0], "04A1B2C3D4E5F6", TM_TAP_DUPLICATE);
	a = pop(f);
	assert_tap(&a.taps[0], "04111111111111", TM_TAP_PENDING);
	assert_no_action(f);
}

static void defaults_passer_by_is_nobody_s_partner(void **state)
{
	struct fixture *f = *state;
	struct tm_action a;

	put(f, "04A1B2C3D4E5F6");
	advance(f, 250);
	a = pop(f);
	assert_tap(&a.taps[0], "04A1B2C3D4E5F6", TM_TAP_PENDING);
	put(f, "04999999999999"); /* a lanyard swinging through the field */
	advance(f, 120);
	lift(f, "04999999999999");
	advance(f, 1000);
	a = pop(f);
	assert_tap(&a.taps[0], "04999999999999", TM_TAP_CANCELLED);
	assert_non_null(strstr(a.taps[0].reason, "passing by"));
	assert_no_action(f);
}

static void defaults_a_phone_on_the_reader_doubts_nothing(void **state)
{
	struct fixture *f = *state;
	struct tm_action a;

	put(f, "08ABCDEF");
	a = pop(f);
	assert_int_equal(a.pattern, TM_PATTERN_REJECTED);
	f->now += 100;
	put(f, "04000001");
	put(f, "04000002");
	advance(f, 250);
	a = pop(f);
	assert_int_equal(a.type, TM_ACTION_MEETING);
	assert_string_equal(a.suspect, "");
}

static void defaults_retap_waiting_at_a_stop_is_a_retap(void **state)
{
	struct fixture *f = *state;
	struct tm_action a;

	put(f, "04000001");
	put(f, "04000002");
	advance(f, 250);
	assert_int_equal(pop(f).type, TM_ACTION_MEETING);
	lift(f, "04000001");
	lift(f, "04000002");
	advance(f, 3000);
	put(f, "04000001");
	advance(f, 250);
	a = pop(f);
	assert_int_equal(a.pattern, TM_PATTERN_ALREADY_MET);
	tm_engine_abandon(&f->e, f->now);
	a = pop(f);
	assert_tap(&a.taps[0], "04000001", TM_TAP_DUPLICATE);
	assert_string_equal(a.taps[0].reason, "tapped alone just after its meeting");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(first_tap_waits, setup, teardown),
		cmocka_unit_test_setup_teardown(second_badge_in_window_makes_meeting, setup, teardown),
		cmocka_unit_test_setup_teardown(window_expiry_logs_unpaired, setup, teardown),
		cmocka_unit_test_setup_teardown(deadline_reports_hurry_then_end, setup, teardown),
		cmocka_unit_test_setup_teardown(same_badge_again_cancels, setup, teardown),
		cmocka_unit_test_setup_teardown(badge_held_counts_once, setup, teardown),
		cmocka_unit_test_setup_teardown(flicker_within_rearm_is_one_tap, setup, teardown),
		cmocka_unit_test_setup_teardown(two_at_once_meet_immediately, setup, teardown),
		cmocka_unit_test_setup_teardown(three_at_once_make_one_group_meeting, setup, teardown),
		cmocka_unit_test_setup_teardown(pair_at_once_leaves_pending_tap_waiting, setup, teardown),
		cmocka_unit_test_setup_teardown(second_badge_while_first_held, setup, teardown),
		cmocka_unit_test_setup_teardown(same_pair_within_guard_is_duplicate, setup, teardown),
		cmocka_unit_test_setup_teardown(guard_seeded_from_store_survives_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(member_retap_during_confirmation_is_duplicate, setup, teardown),
		cmocka_unit_test_setup_teardown(third_badge_during_confirmation_starts_new_window, setup, teardown),
		cmocka_unit_test_setup_teardown(random_uid_is_rejected_and_keeps_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(reader_reject_is_recorded, setup, teardown),
		cmocka_unit_test_setup_teardown(reconfigure_keeps_pending_tap, setup, teardown),
		cmocka_unit_test_setup_teardown(abandon_logs_pending_as_unpaired, setup, teardown),
		cmocka_unit_test_setup_teardown(refs_are_unique_and_increasing, setup, teardown),
		cmocka_unit_test_setup_teardown(undrained_queue_counts_drops, setup, teardown),
		cmocka_unit_test_setup_teardown(defaults_are_the_documented_ones, setup_defaults, teardown),
		cmocka_unit_test_setup_teardown(defaults_badges_held_together_meet_after_the_dwell,
						setup_defaults, teardown),
		cmocka_unit_test_setup_teardown(defaults_one_after_the_other_is_a_suspect_meeting,
						setup_defaults, teardown),
		cmocka_unit_test_setup_teardown(defaults_pair_together_is_not_split_by_a_waiting_tap,
						setup_defaults, teardown),
		cmocka_unit_test_setup_teardown(defaults_retap_after_saved_waits_for_nobody, setup_defaults,
						teardown),
		cmocka_unit_test_setup_teardown(defaults_passer_by_is_nobody_s_partner, setup_defaults,
						teardown),
		cmocka_unit_test_setup_teardown(defaults_a_phone_on_the_reader_doubts_nothing,
						setup_defaults, teardown),
		cmocka_unit_test_setup_teardown(defaults_retap_waiting_at_a_stop_is_a_retap,
						setup_defaults, teardown),
	};

	return cmocka_run_group_tests_name("engine", tests, NULL, NULL);
}
