/* The LED pattern table and scheduler, with a fake clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tapmeet/pattern.h"

static void every_pattern_is_defined(void **state)
{
	(void)state;
	for (int p = TM_PATTERN_OFF; p < TM_PATTERN_COUNT; p++) {
		const struct tm_pattern_def *d = tm_pattern_get((enum tm_pattern)p);

		assert_non_null(d->name);
		assert_true(d->n_steps > 0);
		assert_true(tm_pattern_length((enum tm_pattern)p) > 0);
	}
}

/* Tell-apart-without-colour: no two patterns have the same rhythm (the
 * sequence of on/off durations, ignoring which light). */
static void rhythms_differ(void **state)
{
	(void)state;
	for (int p = TM_PATTERN_SELFTEST; p < TM_PATTERN_COUNT; p++) {
		for (int q = p + 1; q < TM_PATTERN_COUNT; q++) {
			const struct tm_pattern_def *a = tm_pattern_get((enum tm_pattern)p);
			const struct tm_pattern_def *b = tm_pattern_get((enum tm_pattern)q);
			bool same = a->n_steps == b->n_steps && a->loops == b->loops;

			for (unsigned i = 0; same && i < a->n_steps; i++)
				same = a->steps[i].ms == b->steps[i].ms &&
				       (a->steps[i].lights != 0) == (b->steps[i].lights != 0);
			if (same)
				fail_msg("%s and %s have the same rhythm", a->name, b->name);
		}
	}
}

static void waiting_blinks_amber_at_1hz(void **state)
{
	int64_t next;

	(void)state;
	assert_int_equal(tm_pattern_lights_at(TM_PATTERN_WAITING, 1000, 1000, &next), TM_A);
	assert_int_equal(next, 1500);
	assert_int_equal(tm_pattern_lights_at(TM_PATTERN_WAITING, 1000, 1500, &next), 0);
	assert_int_equal(next, 2000);
	assert_int_equal(tm_pattern_lights_at(TM_PATTERN_WAITING, 1000, 12250, &next), TM_A);
	assert_int_equal(next, 12500);
}

static void steady_pattern_never_wakes(void **state)
{
	int64_t next;

	(void)state;
	assert_int_equal(tm_pattern_lights_at(TM_PATTERN_STORAGE_FAULT, 0, 123456, &next), TM_R);
	assert_true(next == TM_PATTERN_FOREVER);
}

static void feedback_plays_once_over_base(void **state)
{
	struct tm_show s;
	int64_t next;

	(void)state;
	tm_show_init(&s, 0);
	tm_show_set_base(&s, TM_PATTERN_READY, 0);
	tm_show_feedback(&s, TM_PATTERN_SAVED, 100);
	assert_int_equal(tm_show_lights(&s, 100, &next), TM_G | TM_BZ);
	assert_int_equal(next, 250);
	assert_int_equal(tm_show_lights(&s, 1000, &next), TM_G);
	assert_int_equal(next, 1600); /* the end of the feedback */
	/* After 1.5 s the ready heartbeat is back, in its own phase. */
	assert_int_equal(tm_show_lights(&s, 1600, &next), 0);
	assert_int_equal(next, 3000);
	assert_int_equal(tm_show_lights(&s, 3000, &next), TM_G);
	assert_int_equal(s.feedback, TM_PATTERN_NONE);
}

static void looping_feedback_clears_feedback(void **state)
{
	struct tm_show s;
	int64_t next;

	(void)state;
	tm_show_init(&s, 0);
	tm_show_set_base(&s, TM_PATTERN_WAITING, 0);
	tm_show_feedback(&s, TM_PATTERN_SAVED, 0);
	tm_show_feedback(&s, TM_PATTERN_WAITING, 10);
	assert_int_equal(s.feedback, TM_PATTERN_NONE);
	assert_int_equal(tm_show_lights(&s, 10, &next), TM_A);
}

static void same_base_keeps_phase(void **state)
{
	struct tm_show s;

	(void)state;
	tm_show_init(&s, 0);
	tm_show_set_base(&s, TM_PATTERN_WAITING, 100);
	tm_show_set_base(&s, TM_PATTERN_WAITING, 700);
	assert_int_equal(s.base_since, 100);
	tm_show_set_base(&s, TM_PATTERN_WAITING_HURRY, 900);
	assert_int_equal(s.base_since, 900);
}

static void faults_take_priority(void **state)
{
	(void)state;
	assert_int_equal(tm_show_pick_base(true, true, TM_PATTERN_WAITING), TM_PATTERN_STORAGE_FAULT);
	assert_int_equal(tm_show_pick_base(false, true, TM_PATTERN_WAITING), TM_PATTERN_READER_FAULT);
	assert_int_equal(tm_show_pick_base(false, false, TM_PATTERN_WAITING), TM_PATTERN_WAITING);
}

static void wirings_map_lights_to_lines(void **state)
{
	(void)state;
	assert_int_equal(tm_wiring_lines(TM_WIRING_SEPARATE, TM_G), 0x1);
	assert_int_equal(tm_wiring_lines(TM_WIRING_SEPARATE, TM_A), 0x2);
	assert_int_equal(tm_wiring_lines(TM_WIRING_SEPARATE, TM_R | TM_BZ), 0x4 | 0x8);
	/* RGB: lines are red, green, blue; amber is red + green. */
	assert_int_equal(tm_wiring_lines(TM_WIRING_RGB, TM_R), 0x1);
	assert_int_equal(tm_wiring_lines(TM_WIRING_RGB, TM_G), 0x2);
	assert_int_equal(tm_wiring_lines(TM_WIRING_RGB, TM_A), 0x3);
	assert_int_equal(tm_wiring_lines(TM_WIRING_RGB, TM_BZ), 0x8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_pattern_is_defined),
		cmocka_unit_test(rhythms_differ),
		cmocka_unit_test(waiting_blinks_amber_at_1hz),
		cmocka_unit_test(steady_pattern_never_wakes),
		cmocka_unit_test(feedback_plays_once_over_base),
		cmocka_unit_test(looping_feedback_clears_feedback),
		cmocka_unit_test(same_base_keeps_phase),
		cmocka_unit_test(faults_take_priority),
		cmocka_unit_test(wirings_map_lights_to_lines),
	};

	return cmocka_run_group_tests_name("pattern", tests, NULL, NULL);
}
