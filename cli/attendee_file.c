/* Headers and consent cells of attendee files (attendee_file.h). */
#include "attendee_file.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

/* Each column's names, normalised (lowercase ASCII, no spaces, '_', '-' or
 * '.'); the first is the column's own. */
static const char *const spellings[TM_ATTENDEE_N_COLS][12] = {
	[TM_ATTENDEE_COL_UID] = { "uid", "badge", "badgeuid", "card", "carduid", "nfcuid", "nfc",
			 "taguid" },
	[TM_ATTENDEE_COL_NAME] = { "name", "fullname", "attendee", "attendeename", "displayname" },
	[TM_ATTENDEE_COL_FIRST_NAME] = { "firstname", "givenname", "forename", "first" },
	[TM_ATTENDEE_COL_LAST_NAME] = { "lastname", "surname", "familyname", "last" },
	[TM_ATTENDEE_COL_ORG] = { "org", "organisation", "organization", "company", "affiliation",
			 "institution", "employer" },
	[TM_ATTENDEE_COL_HANDLE] = { "handle", "twitter", "mastodon", "username", "bluesky", "social" },
	[TM_ATTENDEE_COL_EMAIL] = { "email", "mail", "emailaddress", "emailadress" },
	[TM_ATTENDEE_COL_CONSENT] = { "consent", "sharesdetails", "sharedetails", "sharecontact",
			     "sharescontact", "sharecontactdetails", "sharesemail", "optin",
			     "gdprconsent", "consenttoshare" },
};

static const char *const col_names[TM_ATTENDEE_N_COLS] = {
	[TM_ATTENDEE_COL_UID] = "uid",	      [TM_ATTENDEE_COL_NAME] = "name",	[TM_ATTENDEE_COL_FIRST_NAME] = "first name",
	[TM_ATTENDEE_COL_LAST_NAME] = "last name", [TM_ATTENDEE_COL_ORG] = "org",	[TM_ATTENDEE_COL_HANDLE] = "handle",
	[TM_ATTENDEE_COL_EMAIL] = "email",	      [TM_ATTENDEE_COL_CONSENT] = "consent",
};

/* As people write them; kept beside the table above. */
static const char *const col_spellings[TM_ATTENDEE_N_COLS] = {
	[TM_ATTENDEE_COL_UID] = "uid, badge, badge uid, card, nfc uid",
	[TM_ATTENDEE_COL_NAME] = "name, full name, attendee, or first name and last name",
	[TM_ATTENDEE_COL_FIRST_NAME] = "first name, given name",
	[TM_ATTENDEE_COL_LAST_NAME] = "last name, surname, family name",
	[TM_ATTENDEE_COL_ORG] = "org, organisation, organization, company, affiliation",
	[TM_ATTENDEE_COL_HANDLE] = "handle, twitter, mastodon, username",
	[TM_ATTENDEE_COL_EMAIL] = "email, e-mail, mail, email address",
	[TM_ATTENDEE_COL_CONSENT] = "consent, shares details, share contact, opt-in, gdpr consent",
};

int tm_attendee_col_of(const char *header)
{
	char norm[64];
	size_t n = 0;

	for (const char *p = header; *p; p++) {
		if (*p == ' ' || *p == '\t' || *p == '_' || *p == '-' || *p == '.')
			continue;
		if (n + 1 == sizeof(norm))
			return -1; /* longer than any name above */
		norm[n++] = (*p >= 'A' && *p <= 'Z') ? (char)(*p - 'A' + 'a') : *p;
	}
	norm[n] = '\0';
	for (int col = 0; col < TM_ATTENDEE_N_COLS; col++)
		for (size_t i = 0; i < sizeof(spellings[col]) / sizeof(spellings[col][0]) &&
				   spellings[col][i];
		     i++)
			if (!strcmp(norm, spellings[col][i]))
				return col;
	return -1;
}

const char *tm_attendee_col_name(enum tm_attendee_col col)
{
	return col_names[col];
}

const char *tm_attendee_col_spellings(enum tm_attendee_col col)
{
	return col_spellings[col];
}

const char tm_consent_values[] = "yes/no, y/n, true/false, 1/0, x or empty (no), ja/nein, oui/non";

int tm_consent_parse(const char *text, bool *consent)
{
	static const char *const yes[] = { "yes", "y", "true", "1", "x", "ja", "oui" };
	static const char *const no[] = { "", "no", "n", "false", "0", "nein", "non" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(text, yes[i])) {
			*consent = true;
			return 0;
		}
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		if (!strcasecmp(text, no[i])) {
			*consent = false;
			return 0;
		}
	}
	return -EINVAL;
}
