/* Headers and consent cells of attendee files, as organizers write them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <errno.h>
#include <stdint.h>

#include <cmocka.h>

#include "attendee_file.h"

static void test_headers(void **state)
{
	static const struct {
		const char *header;
		int col;
	} cases[] = {
		{ "uid", TM_ATTENDEE_COL_UID },
		{ "UID", TM_ATTENDEE_COL_UID },
		{ "Badge UID", TM_ATTENDEE_COL_UID },
		{ "badge_uid", TM_ATTENDEE_COL_UID },
		{ "NFC-UID", TM_ATTENDEE_COL_UID },
		{ "Card", TM_ATTENDEE_COL_UID },
		{ "Full Name", TM_ATTENDEE_COL_NAME },
		{ "Attendee", TM_ATTENDEE_COL_NAME },
		{ "First name", TM_ATTENDEE_COL_FIRST_NAME },
		{ "last_name", TM_ATTENDEE_COL_LAST_NAME },
		{ "Surname", TM_ATTENDEE_COL_LAST_NAME },
		{ "Organisation", TM_ATTENDEE_COL_ORG },
		{ "organization", TM_ATTENDEE_COL_ORG },
		{ "Company", TM_ATTENDEE_COL_ORG },
		{ "Affiliation", TM_ATTENDEE_COL_ORG },
		{ "Twitter", TM_ATTENDEE_COL_HANDLE },
		{ "Mastodon", TM_ATTENDEE_COL_HANDLE },
		{ "user name", TM_ATTENDEE_COL_HANDLE },
		{ "E-Mail", TM_ATTENDEE_COL_EMAIL },
		{ "e-mail", TM_ATTENDEE_COL_EMAIL },
		{ "Mail", TM_ATTENDEE_COL_EMAIL },
		{ "Email Address", TM_ATTENDEE_COL_EMAIL },
		{ "consent", TM_ATTENDEE_COL_CONSENT },
		{ "Shares details", TM_ATTENDEE_COL_CONSENT },
		{ "share_contact", TM_ATTENDEE_COL_CONSENT },
		{ "Opt-in", TM_ATTENDEE_COL_CONSENT },
		{ "optin", TM_ATTENDEE_COL_CONSENT },
		{ "GDPR consent", TM_ATTENDEE_COL_CONSENT },
		{ "Dietary needs", -1 },
		{ "", -1 },
		{ "uidx", -1 },
		{ "a very long header that is no column tapmeet knows of at all, really", -1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (tm_attendee_col_of(cases[i].header) != cases[i].col)
			fail_msg("'%s': %d, expected %d", cases[i].header,
				 tm_attendee_col_of(cases[i].header), cases[i].col);
	}
	assert_string_equal(tm_attendee_col_name(TM_ATTENDEE_COL_FIRST_NAME), "first name");
}

static void test_consent(void **state)
{
	static const char *const yes[] = { "yes", "YES", "y", "true", "True", "1", "x", "X",
					   "ja", "oui" };
	static const char *const no[] = { "", "no", "N", "false", "0", "nein", "non" };
	static const char *const bad[] = { "maybe", "2", "yes please", "-", " yes" };
	bool consent;

	(void)state;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		consent = false;
		assert_int_equal(tm_consent_parse(yes[i], &consent), 0);
		assert_true(consent);
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		consent = true;
		assert_int_equal(tm_consent_parse(no[i], &consent), 0);
		assert_false(consent);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(tm_consent_parse(bad[i], &consent), -EINVAL);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_consent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
