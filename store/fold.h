/* The matching key of a name: how `person NAME`, `meetings --person` and
 * `forget NAME` compare what people type with what the attendee list holds.
 * Case-insensitive for every script, not only ASCII (SQLite's NOCASE folds
 * A-Z only), through libunistring. Private to store/. */
#ifndef TAPMEET_STORE_FOLD_H
#define TAPMEET_STORE_FOLD_H

#include <stddef.h>

#include <sqlite3.h>

/* Folds len bytes of UTF-8 into *out (malloc'd, NUL-terminated; *out_len
 * excludes the NUL): Unicode full case folding with NFKC normalisation and
 * no locale (u8_casefold(..., NULL, UNINORM_NFKC)), then white space
 * (Unicode White_Space) trimmed at both ends and each inner run of it made
 * one U+0020. So "Straße" = "STRASSE", "ΟΔΥΣΣΕΥΣ" = "οδυσσευς", a
 * precomposed "é" = "e" + U+0301, "ＡＢＣ" = "abc", and "  Zoë\t Ångström "
 * = "zoë ångström". Accents still count: "Zoe" is not "Zoë".
 *
 * No locale means no Turkish rules: "I" folds to "i", "İ" (U+0130) to "i"
 * + U+0307, and "ı" (U+0131) stays itself.
 *
 * Returns 0, -ENOMEM, or -EILSEQ when the input is not valid UTF-8 (then
 * *out is NULL and the caller compares the bytes as they are). */
int store_fold(const char *utf8, size_t len, char **out, size_t *out_len);

/* Registers the SQL function tm_fold(x) on db: store_fold() of x as text,
 * NULL for NULL, x unchanged when it is not valid UTF-8. Deterministic and
 * innocuous, so it may be used in an index on an expression. Returns an
 * SQLite result code. */
int store_register_text_functions(sqlite3 *db);

#endif
