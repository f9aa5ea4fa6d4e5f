/* Badge identity: the form in which a badge enters the log.
 *
 * A UID is converted once, at the edge where it enters (a reader event, a
 * command-line argument, a row of the attendee file), into its stored form;
 * the pairing engine, the repeat guard, the queries and the logs all work
 * with that form. Without [privacy] uid_key the stored form is the canonical
 * UID; with it, HMAC-SHA-256(key, canonical UID hex) truncated to 10 bytes,
 * which is itself shaped like a 10-byte UID, so every consumer keeps working
 * and no raw UID is ever written to the database, the WAL or the log.
 *
 * Fail closed: when the keyed hash cannot be computed, conversion fails
 * (-EIO) and nothing is produced; the caller must not fall back to the raw
 * UID.
 */
#ifndef TAPMEET_IDENTITY_H
#define TAPMEET_IDENTITY_H

#include <stdbool.h>

#include "tapmeet/badge.h"

#define TM_IDENTITY_KEY_MIN 16
#define TM_IDENTITY_KEY_MAX 127

struct tm_identity {
	bool keyed;
	char key[TM_IDENTITY_KEY_MAX + 1];
};

/* key NULL or "": UIDs are stored as they are. Otherwise the key is checked
 * (length) and the hash computed once on a known value, so a station whose
 * crypto library cannot do it learns at start, not at the first tap.
 * Returns 0, -EINVAL (key too short or too long) or -EIO. */
int tm_identity_init(struct tm_identity *id, const char *key);

/* The stored form of a badge the reader saw. The result keeps the raw
 * badge's kind and whether its UID was a random one (so that rule still
 * applies after hashing). Returns 0 or -EIO (out untouched). */
int tm_identity_badge(const struct tm_identity *id, const struct tm_badge *raw,
		      struct tm_badge *out);

/* The stored form of a UID typed by a person or read from a file ("04 fc
 * ac e9", "04:FC:AC:E9", ...): canonical hex, hashed when keyed. Returns 0,
 * -EINVAL (not a UID) or -EIO. */
int tm_identity_parse(const struct tm_identity *id, const char *text,
		      char out[TM_UID_HEX_SIZE]);

/* A stored form read back from the log into a badge the engine compares
 * (no second hashing). Returns 0 or -EINVAL. */
int tm_identity_from_stored(const char *stored, struct tm_badge *out);

#endif
