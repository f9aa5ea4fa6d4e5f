/* vCard 4.0 content lines (RFC 6350 section 3.2 and 3.4). */
#ifndef TAPMEET_CLI_VCARD_H
#define TAPMEET_CLI_VCARD_H

#include <stdio.h>

#define TM_VCARD_FOLD 75 /* octets per physical line, CRLF not counted */

/* Writes "NAME:VALUE" with VALUE escaped as text (\\ \, \; \n), folded so no
 * physical line exceeds 75 octets (continuations start with a space), never
 * inside a UTF-8 sequence, each line ending in CRLF. Returns 0 or -EIO. */
int tm_vcard_write_line(FILE *f, const char *name, const char *value);

/* Writes a line whose value is already in vCard syntax (no escaping). */
int tm_vcard_write_raw(FILE *f, const char *name, const char *value);

#endif
