/* The words of an attendee file: which column a header names, and what a
 * consent cell says. Organizers export these files from registration
 * systems and spreadsheets, so a header is matched after normalising case,
 * spaces, '_' and '-' ("E-Mail", "e_mail" and "email" are one column), and
 * the common names of each column are known. */
#ifndef TAPMEET_CLI_ATTENDEE_FILE_H
#define TAPMEET_CLI_ATTENDEE_FILE_H

#include <stdbool.h>

enum tm_attendee_col {
	TM_ATTENDEE_COL_UID,
	TM_ATTENDEE_COL_NAME,
	TM_ATTENDEE_COL_FIRST_NAME, /* first and last name are joined when there is no name */
	TM_ATTENDEE_COL_LAST_NAME,
	TM_ATTENDEE_COL_ORG,
	TM_ATTENDEE_COL_HANDLE,
	TM_ATTENDEE_COL_EMAIL,
	TM_ATTENDEE_COL_CONSENT,
	TM_ATTENDEE_N_COLS,
};

/* The column a header names, or -1 when tapmeet does not use it. */
int tm_attendee_col_of(const char *header);
/* The column's own name: "uid", "first name", "email", ... */
const char *tm_attendee_col_name(enum tm_attendee_col col);
/* The headers a column is known by, for messages: "uid, badge, ...". */
const char *tm_attendee_col_spellings(enum tm_attendee_col col);

/* A consent cell: yes/no, y/n, true/false, 1/0, x or empty (no), and the
 * German and French yes and no. Returns 0 and sets *consent, or -EINVAL. */
int tm_consent_parse(const char *text, bool *consent);
/* The values tm_consent_parse accepts, for messages. */
extern const char tm_consent_values[];

#endif
