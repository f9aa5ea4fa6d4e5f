/* Time arguments of tapmeet meetings --since/--until. */
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

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_relative),
		cmocka_unit_test(test_utc_and_offsets),
		cmocka_unit_test(test_local),
		cmocka_unit_test(test_rejects),
	};

	setenv("TZ", "Europe/Paris", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
