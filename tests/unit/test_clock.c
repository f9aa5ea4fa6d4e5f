/* lib/clock.c: a stamp's wall time and monotonic time are one reading. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <cmocka.h>

#include "tapmeet/clock.h"

static void spin_us(long us)
{
	struct timespec start, now;

	clock_gettime(CLOCK_MONOTONIC, &start);
	do
		clock_gettime(CLOCK_MONOTONIC, &now);
	while ((now.tv_sec - start.tv_sec) * 1000000 + (now.tv_nsec - start.tv_nsec) / 1000 < us);
}

/* Events stamped as the station stamps them, on the real clocks: an event
 * seen at a monotonic time is stamped a little later (after its commit).
 * Whenever the monotonic time rises from one event to the next, the wall
 * time must not fall. Reading the two clocks separately failed this for
 * about one rise in four. */
static void wall_time_follows_monotonic_time(void **state)
{
	struct tm_stamp prev, cur;
	long rises = 0, backwards = 0;

	(void)state;
	tm_stamp_at(&prev, tm_mono_ms());
	for (int i = 0; i < 5000; i++) {
		int64_t seen = tm_mono_ms();

		spin_us((i * 37) % 500);
		tm_stamp_at(&cur, seen);
		if (cur.mono_ms > prev.mono_ms) {
			rises++;
			if (cur.utc_ms < prev.utc_ms)
				backwards++;
		}
		prev = cur;
	}
	if (backwards)
		fprintf(stderr, "%ld of %ld rises went backwards in wall time\n", backwards, rises);
	assert_true(rises > 0);
	assert_int_equal(backwards, 0);
}

/* An event a moment ago is stamped that much earlier, to the millisecond. */
static void an_earlier_event_is_stamped_earlier(void **state)
{
	struct tm_stamp now, before;
	int64_t mono = tm_mono_ms();

	(void)state;
	tm_stamp_at(&now, mono);
	tm_stamp_at(&before, mono - 1500);
	assert_int_equal(now.mono_ms - before.mono_ms, 1500);
	/* The offset between the clocks is read again for the second stamp. */
	assert_in_range(now.utc_ms - before.utc_ms, 1499, 1501);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(wall_time_follows_monotonic_time),
		cmocka_unit_test(an_earlier_event_is_stamped_earlier),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
