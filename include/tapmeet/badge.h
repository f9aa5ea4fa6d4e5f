/* Badge identities: the UID a reader reports, and what kind of tag carried it. */
#ifndef TAPMEET_BADGE_H
#define TAPMEET_BADGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ISO 14443-A UIDs are 4, 7 or 10 bytes (single, double, triple size). */
#define TM_UID_MAX_BYTES 10
/* Uppercase hex plus the terminating NUL. */
#define TM_UID_HEX_SIZE (2 * TM_UID_MAX_BYTES + 1)
/* Most badges a reader reports at once; more than this is a pile, not a meeting. */
#define TM_MAX_BADGES_AT_ONCE 8

enum tm_badge_kind {
	TM_BADGE_UNKNOWN = 0,
	TM_BADGE_MIFARE_CLASSIC,
	TM_BADGE_MIFARE_ULTRALIGHT, /* also NTAG21x */
	TM_BADGE_ISO14443_4,        /* DESFire and other smart cards */
	TM_BADGE_SIMULATED,
};

struct tm_badge {
	uint8_t uid[TM_UID_MAX_BYTES]; /* the stored form once it passed identity.h */
	uint8_t uid_len;
	enum tm_badge_kind kind;
	/* The UID the reader saw was a random one (tm_badge_random_uid): kept
	 * apart from the bytes, which may since have become a keyed hash. */
	bool random;
};

/* Parses hex (either case; ':', '-' or a space allowed between bytes, white
 * space around) into a badge UID, and sets `random`.
 * Returns 0, or -EINVAL when the text is not 4, 7 or 10 bytes of hex. */
int tm_badge_parse_uid(struct tm_badge *badge, const char *text);

/* Writes the canonical form: uppercase hex, no separators. */
void tm_badge_uid_hex(const struct tm_badge *badge, char out[TM_UID_HEX_SIZE]);

bool tm_badge_same(const struct tm_badge *a, const struct tm_badge *b);

/* The one statement of the random-UID rule (ISO 14443-3): a single-size UID
 * whose first byte is 0x08 is drawn anew at every activation (phones that
 * emulate a card do this), so a meeting recorded with one names nobody. */
bool tm_badge_random_uid(const struct tm_badge *raw);

/* Why a badge cannot be used for meetings, or NULL when it can. */
const char *tm_badge_reject_reason(const struct tm_badge *badge);

const char *tm_badge_kind_name(enum tm_badge_kind kind);

/* True when text is a canonical UID: uppercase hex of 4, 7 or 10 bytes. */
bool tm_uid_hex_is_canonical(const char *text);

#endif
