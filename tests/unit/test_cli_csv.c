/* The RFC 4180 reader behind tapmeet attendees import, and what it makes
 * of a file before reading it (delimiter, encoding). */
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

static void test_semicolons_and_tabs(void **state)
{
	static const char semi[] = "uid;name;\"org; and more\"\r\n04A1B2C3;Ann;\"x;y\"\r\n";
	static const char tabs[] = "\xEF\xBB\xBFuid\tname\tmail, work\n";
	struct tm_csv csv;

	(void)state;
	assert_int_equal(tm_csv_sniff_delimiter(semi, sizeof(semi) - 1), ';');
	assert_int_equal(tm_csv_sniff_delimiter(tabs, sizeof(tabs) - 1), '\t');
	/* A comma inside quotes does not count; ties go to the comma. */
	assert_int_equal(tm_csv_sniff_delimiter("\"a,b,c\";d\n", 10), ';');
	assert_int_equal(tm_csv_sniff_delimiter("a,b;c\n", 6), ',');
	/* The header, not the first blank lines, nor the rows after it. */
	assert_int_equal(tm_csv_sniff_delimiter("\r\n\nuid|name\nx;y;z\n", 18), 0);
	assert_int_equal(tm_csv_sniff_delimiter("", 0), 0);
	tm_csv_init(&csv, semi, sizeof(semi) - 1);
	tm_csv_set_delimiter(&csv, ';');
	assert_int_equal(tm_csv_next(&csv), 1);
	assert_int_equal(csv.n_fields, 3);
	assert_string_equal(csv.fields[2], "org; and more");
	assert_int_equal(tm_csv_next(&csv), 1);
	assert_string_equal(csv.fields[2], "x;y");
	assert_int_equal(tm_csv_next(&csv), 0);
	tm_csv_free(&csv);
}

/* Old Mac files end lines in a lone CR: read like LF, lines counted alike. */
static void test_cr_line_ends(void **state)
{
	static const char data[] = "uid,name\r1,\"two\rlines\"\r\r2,bad\"quote\r3,ok";
	struct tm_csv csv;

	(void)state;
	tm_csv_init(&csv, data, sizeof(data) - 1);
	assert_int_equal(tm_csv_next(&csv), 1);
	assert_int_equal(csv.n_fields, 2);
	assert_string_equal(csv.fields[1], "name");
	assert_int_equal(tm_csv_next(&csv), 1);
	assert_int_equal(csv.record_line, 2);
	assert_string_equal(csv.fields[1], "two\rlines");
	assert_int_equal(tm_csv_next(&csv), 1);
	assert_true(tm_csv_blank(&csv));
	assert_int_equal(tm_csv_next(&csv), -EINVAL);
	assert_int_equal(csv.record_line, 5);
	assert_int_equal(tm_csv_next(&csv), 1);
	assert_int_equal(csv.record_line, 6);
	assert_string_equal(csv.fields[1], "ok");
	assert_int_equal(tm_csv_next(&csv), 0);
	tm_csv_free(&csv);
}

static void test_foreign_encodings(void **state)
{
	static const char le_bom[] = "\xFF\xFEu\0i\0d\0";
	static const char be_bare[] = "\0u\0i\0d\0,\0n\0a\0m\0e\0\n";
	static const char le_bare[] = "u\0i\0d\0,\0n\0a\0m\0e\0\n\0";
	static const char utf8[] = "\xEF\xBB\xBFuid,name\nZo\xC3\xAB,x\n";

	(void)state;
	assert_string_equal(tm_csv_foreign_encoding(le_bom, sizeof(le_bom) - 1),
			    "UTF-16 little-endian text");
	assert_string_equal(tm_csv_foreign_encoding("\xFE\xFF\0u", 4), "UTF-16 big-endian text");
	assert_string_equal(tm_csv_foreign_encoding(be_bare, sizeof(be_bare) - 1),
			    "UTF-16 big-endian text");
	assert_string_equal(tm_csv_foreign_encoding(le_bare, sizeof(le_bare) - 1),
			    "UTF-16 little-endian text");
	assert_string_equal(tm_csv_foreign_encoding("\xFF\xFE\0\0u\0\0\0", 8),
			    "UTF-32 little-endian text");
	assert_null(tm_csv_foreign_encoding(utf8, sizeof(utf8) - 1));
	assert_null(tm_csv_foreign_encoding("a", 1));
	assert_null(tm_csv_foreign_encoding("", 0));
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quoting_and_lines),
		cmocka_unit_test(test_errors_then_resume),
		cmocka_unit_test(test_empty_fields),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_semicolons_and_tabs),
		cmocka_unit_test(test_cr_line_ends),
		cmocka_unit_test(test_foreign_encodings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
