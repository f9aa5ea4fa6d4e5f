/* Badge UIDs: parsing, canonical form, rejection of random UIDs. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tapmeet/badge.h"

static void parses_4_7_10_bytes_any_case_and_separators(void **state)
{
	struct tm_badge b;
	char hex[TM_UID_HEX_SIZE];

	(void)state;
	assert_int_equal(tm_badge_parse_uid(&b, "04a1b2c3"), 0);
	assert_int_equal(b.uid_len, 4);
	tm_badge_uid_hex(&b, hex);
	assert_string_equal(hex, "04A1B2C3");
	assert_int_equal(tm_badge_parse_uid(&b, "04:A1:B2:C3:D4:E5:F6"), 0);
	assert_int_equal(b.uid_len, 7);
	tm_badge_uid_hex(&b, hex);
	assert_string_equal(hex, "04A1B2C3D4E5F6");
	assert_int_equal(tm_badge_parse_uid(&b, "0102030405060708090A"), 0);
	assert_int_equal(b.uid_len, 10);
	/* As readers print them, and as spreadsheets pad them. */
	assert_int_equal(tm_badge_parse_uid(&b, "04 FC AC E9"), 0);
	tm_badge_uid_hex(&b, hex);
	assert_string_equal(hex, "04FCACE9");
	assert_int_equal(tm_badge_parse_uid(&b, " 04fcace9\t"), 0);
	tm_badge_uid_hex(&b, hex);
	assert_string_equal(hex, "04FCACE9");
}

static void refuses_other_lengths_and_junk(void **state)
{
	struct tm_badge b;
	static const char *const bad[] = { "", "04", "04A1B2", "04A1B2C3D4", "04A1B2C3D4E5F6A7",
					   "0102030405060708090A0B", "04A1B2CG", "04A1B2C", ":04A1B2C3",
					   "04  A1 B2 C3", "04 A1 B2 C3 x", "04A1B2C3:" };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (tm_badge_parse_uid(&b, bad[i]) != -EINVAL)
			fail_msg("accepted '%s'", bad[i]);
}

static void random_uids_are_rejected(void **state)
{
	struct tm_badge b;

	(void)state;
	assert_int_equal(tm_badge_parse_uid(&b, "08A1B2C3"), 0);
	assert_non_null(tm_badge_reject_reason(&b));
	/* 0x08 leading a 7-byte UID is a manufacturer code, not a random ID. */
	assert_int_equal(tm_badge_parse_uid(&b, "08A1B2C3D4E5F6"), 0);
	assert_null(tm_badge_reject_reason(&b));
	assert_int_equal(tm_badge_parse_uid(&b, "04A1B2C3"), 0);
	assert_null(tm_badge_reject_reason(&b));
}

static void canonical_check(void **state)
{
	(void)state;
	assert_true(tm_uid_hex_is_canonical("04A1B2C3"));
	assert_true(tm_uid_hex_is_canonical("04A1B2C3D4E5F6"));
	assert_false(tm_uid_hex_is_canonical("04a1b2c3"));
	assert_false(tm_uid_hex_is_canonical("04A1B2C3D4"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_4_7_10_bytes_any_case_and_separators),
		cmocka_unit_test(refuses_other_lengths_and_junk),
		cmocka_unit_test(random_uids_are_rejected),
		cmocka_unit_test(canonical_check),
	};

	return cmocka_run_group_tests_name("badge", tests, NULL, NULL);
}
