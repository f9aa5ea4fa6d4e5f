/* Optional pseudonymisation of badge UIDs ([privacy] uid_key in tapmeetd.conf).
 * With a key, the log never holds a real UID: the daemon stores, and the CLI
 * looks up, HMAC-SHA-256(key, canonical UID hex) truncated to 10 bytes, which
 * is itself a canonical 20-digit UID, so every consumer keeps working. */
#ifndef TAPMEET_PRIVACY_H
#define TAPMEET_PRIVACY_H

#define TM_PRIVACY_KEY_MIN 16
#define TM_PRIVACY_UID_SIZE 21 /* 20 hex digits + NUL */

/* Writes the stored form of uid_hex (canonical uppercase hex) to out.
 * key NULL or empty: a plain copy. Returns 0, -EINVAL (not canonical hex of at
 * most 20 digits, or a key shorter than TM_PRIVACY_KEY_MIN) or -EIO. */
int tm_privacy_uid(const char *key, const char *uid_hex, char out[TM_PRIVACY_UID_SIZE]);

#endif
