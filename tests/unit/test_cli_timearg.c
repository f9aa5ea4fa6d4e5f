/* Time arguments of tapmeet meetings --since/--until. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>

#include "timearg.h"

#define NOW 1795780800000LL /* 2026-11-27T12:00:00Z */
#define H (3600 * 1000LL)

static int64_t parse(const char *text, bool end)
{
	int64_t v = -1;

	assert_int_equal(tm_cli_parse_time(text, NOW, end, &v), 0);
	return v;
}

static void test_relative(void **state)
{
	(void)state;
	assert_int_equal(parse("2h", false), NOW - 2 * H);
	assert_int_equal(parse("30m", false), NOW - 30 * 60 * 1000);
	assert_int_equal(parse("3d", false), NOW - 72 * H);
	assert_int_equal(parse("90s", false), NOW - 90 * 1000);
	assert_int_equal(parse("now", false), NOW);
}

static void test_utc_and_offsets(void **state)
{
	(void)state;
	assert_int_equal(parse("2026-11-27T12:00:00Z", false), NOW);
	assert_int_equal(parse("2026-11-27T12:00:00.250Z", false), NOW + 250);
	assert_int_equal(parse("2026-11-27T13:00+01:00", false), NOW);
	assert_int_equal(parse("2026-11-27 11:00:00-01:00", false), NOW);
}

static void test_local(void **state)
{
	(void)state;
	/* Europe/Paris is UTC+1 in November. */
	assert_int_equal(parse("2026-11-27T13:00", false), NOW);
	assert_int_equal(parse("2026-11-27", false), NOW - 13 * H);
	assert_int_equal(parse("2026-11-27", true), NOW + 11 * H);
	assert_int_equal(parse("today", false), NOW - 13 * H);
	assert_int_equal(parse("today", true), NOW + 11 * H);
	assert_int_equal(parse("yesterday", false), NOW - 37 * H);
	assert_int_equal(parse("yesterday", true), NOW - 13 * H);
}

static void test_rejects(void **state)
{
	static const char *const bad[] = { "", "2x", "-3d", "h", "2026-13-01", "2026-02-30",
					   "2026-11-27T25:00", "2026-11-27T10", "tomorrow",
					   "2026-11-27T10:00Zjunk", "2026/11/27" };
	int64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_not_equal(tm_cli_parse_time(bad[i], NOW, false, &v), 0);
}

/* A day that its month does not have, and an hour, minute or second out of
 * range, are refused in every form: not rolled over into the next day. */
static void test_rejects_impossible_dates_and_times(void **state)
{
	static const char *const bad[] = {
		/* date (local midnight) */
		"2026-02-30", "2027-02-29", "2026-04-31", "2026-00-10", "2026-01-00",
		/* date and local time */
		"2026-02-30T00:00", "2027-02-29T12:00", "2026-06-31 10:00",
		"2026-11-27T24:00", "2026-11-27T10:60", "2026-11-27T10:00:60",
		/* with Z */
		"2026-02-30T00:00Z", "2027-02-29T00:00Z", "2026-09-31T00:00:00Z",
		"2026-11-27T24:00Z", "2026-11-27T10:60Z", "2026-11-27T10:00:60Z",
		"2026-12-31T23:59:60.5Z",
		/* with an offset */
		"2026-02-30T00:00+01:00", "2027-02-29T00:00-05:00", "2026-11-31T10:00+00:00",
		"2026-11-27T24:00+01:00", "2026-11-27T10:60-01:00", "2026-11-27T10:00:60+01:00",
	};
	int64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (tm_cli_parse_time(bad[i], NOW, false, &v) != -EINVAL)
			fail_msg("\"%s\" was accepted", bad[i]);
}

static void test_leap_days_and_last_moments(void **state)
{
	(void)state;
	/* 2028 is a leap year (2028-02-29T00:00Z = 1835395200 s); 2000 was too. */
	assert_int_equal(parse("2028-02-29T00:00Z", false), 1835395200000LL);
	assert_int_equal(parse("2028-02-29T01:00+01:00", false), 1835395200000LL);
	assert_int_equal(parse("2028-02-29T01:00", false), 1835395200000LL); /* Paris, UTC+1 */
	assert_int_equal(parse("2028-02-29", false), 1835395200000LL - H);
	assert_int_equal(parse("2000-02-29T00:00Z", false), 951782400000LL);
	/* The last second of a day and of a 30-day month. */
	assert_int_equal(parse("2026-11-27T23:59:59Z", false), NOW + 12 * H - 1000);
	assert_int_equal(parse("2026-11-30T00:00Z", false), NOW + 60 * H);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_relative),
		cmocka_unit_test(test_utc_and_offsets),
		cmocka_unit_test(test_local),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_rejects_impossible_dates_and_times),
		cmocka_unit_test(test_leap_days_and_last_moments),
	};

	setenv("TZ", "Europe/Paris", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
