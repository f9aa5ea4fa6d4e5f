/* Text for terminal tables, through libunistring: how many columns a string
 * takes, a copy that cannot break a table line or drive the terminal, and
 * the longest prefix that fits a cell without cutting a character apart. */
#ifndef TAPMEET_CLI_TEXT_H
#define TAPMEET_CLI_TEXT_H

#include <stddef.h>

/* Display columns of UTF-8 s (NULL: 0), by libunistring's u8_strwidth()
 * with the "UTF-8" encoding: CJK and other wide characters 2, combining
 * marks, zero-width characters and control characters 0, East Asian
 * ambiguous characters 1. Invalid bytes count 1 each, as U+FFFD would.
 *
 * Emoji, with libunistring 1.0 (Debian bookworm): each emoji character with
 * wide presentation counts 2, so "🎉" is 2; but a sequence counts each of
 * its parts, so "👩‍💻" (woman, ZWJ, laptop) is 4, "👍🏽" (with a skin tone)
 * is 4, a flag "🇫🇷" is 2 (1 per regional indicator) and "❤️" (U+2764 +
 * VS16) is 1. Terminals that draw such a sequence as one glyph use 2
 * columns, so a table row holding one ends up to 2 columns off; there is
 * no width every terminal agrees on. */
size_t cli_text_width(const char *s);

/* A malloc'd copy of s (NULL: "") that is safe inside one table cell, or
 * NULL when out of memory:
 * - newline, carriage return, tab, and U+2028/U+2029 (line and paragraph
 *   separators) become a space;
 * - every other C0 control (ESC too), DEL and C1 control (U+0080-U+009F,
 *   so CSI U+009B as well) becomes U+FFFD, as does each invalid UTF-8
 *   sequence (one U+FFFD per sequence as libunistring's u8_mbtouc()
 *   delimits it): the terminal never receives a control sequence;
 * - the bidi embedding, override and isolate controls (U+202A-U+202E,
 *   U+2066-U+2069) become U+FFFD too, so a name cannot reorder the rest of
 *   the table line on a terminal that does bidi. The marks LRM, RLM and ALM
 *   (U+200E, U+200F, U+061C) are kept: they only steer the characters next
 *   to them, and names in right-to-left scripts use them.
 * Nothing else is removed or changed: every visible character stays. */
char *cli_text_clean(const char *s);

/* The byte length of the longest prefix of s whose display width (as
 * cli_text_width() counts it) is at most width; *used (when not NULL) is
 * its width. The cut falls only between grapheme clusters: never inside a
 * UTF-8 sequence, between a letter and its combining marks, inside a
 * Hangul syllable, an emoji ZWJ sequence or a flag. A cluster wider than
 * what is left ends the prefix, so *used may be less than width (a CJK
 * character with 1 column left). Meant for text already cleaned. */
size_t cli_text_fit(const char *s, size_t width, size_t *used);

#endif
