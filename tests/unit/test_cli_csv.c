/* The RFC 4180 reader behind tapmeet attendees import. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "csv.h"

static void test_quoting_and_lines(void **state)
{
	static const char data[] = "\xEF\xBB\xBFuid,name\r\n"
				   "1,\"a, b\"\r\n"
				   "2,\"multi\nline \"\"q\"\"\"\n"
				   "3,plain";
	struct tm_csv csv;

	(void)state;
	tm_csv_init(&csv, data, sizeof(data) - 1);
	assert_int_equal(tm_csv_next(&csv), 1);
	assert_int_equal(csv.n_fields, 2);
	assert_string_equal(csv.fields[0], "uid");
	assert_int_equal(csv.record_line, 1);
	assert_int_equal(tm_csv_next(&csv), 1);
	assert_string_equal(csv.fields[1], "a, b");
	assert_int_equal(csv.record_line, 2);
	assert_int_equal(tm_csv_next(&csv), 1);
	assert_string_equal(csv.fields[1], "multi\nline \"q\"");
	assert_int_equal(csv.record_line, 3);
	assert_int_equal(tm_csv_next(&csv), 1);
	assert_int_equal(csv.record_line, 5);
	assert_string_equal(csv.fields[1], "plain");
	assert_int_equal(tm_csv_next(&csv), 0);
	tm_csv_free(&csv);
}

static void test_errors_then_resume(void **state)
{
	static const char data[] = "a\"b,c\n\"x\"y,z\nok,1\n\"open";
	struct tm_csv csv;

	(void)state;
	tm_csv_init(&csv, data, sizeof(data) - 1);
	assert_int_equal(tm_csv_next(&csv), -EINVAL);
	assert_int_equal(csv.record_line, 1);
	assert_int_equal(tm_csv_next(&csv), -EINVAL);
	assert_int_equal(csv.record_line, 2);
	assert_int_equal(tm_csv_next(&csv), 1);
	assert_string_equal(csv.fields[0], "ok");
	assert_int_equal(tm_csv_next(&csv), -EINVAL);
	assert_string_equal(csv.error, "unterminated quoted field");
	assert_int_equal(tm_csv_next(&csv), 0);
	tm_csv_free(&csv);
}

static void test_empty_fields(void **state)
{
	static const char data[] = ",,\n\n";
	struct tm_csv csv;

	(void)state;
	tm_csv_init(&csv, data, sizeof(data) - 1);
	assert_int_equal(tm_csv_next(&csv), 1);
	assert_int_equal(csv.n_fields, 3);
	assert_int_equal(tm_csv_next(&csv), 1);
	assert_true(tm_csv_blank(&csv));
	assert_int_equal(tm_csv_next(&csv), 0);
	tm_csv_free(&csv);
}

static void test_utf8(void **state)
{
	(void)state;
	assert_true(tm_utf8_valid("Chlo\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", 15));
	assert_false(tm_utf8_valid("\xFF", 1));
	assert_false(tm_utf8_valid("\xC3", 1));         /* truncated */
	assert_false(tm_utf8_valid("\xC0\xAF", 2));     /* overlong */
	assert_false(tm_utf8_valid("\xED\xA0\x80", 3)); /* surrogate */
	assert_false(tm_utf8_valid("\xF4\x90\x80\x80", 4));
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quoting_and_lines),
		cmocka_unit_test(test_errors_then_resume),
		cmocka_unit_test(test_empty_fields),
		cmocka_unit_test(test_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
