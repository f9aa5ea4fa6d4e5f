/* Terminal text helpers on libunistring: see text.h. */
#include "text.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unictype.h>
#include <unigbrk.h>
#include <unistr.h>
#include <uniwidth.h>

#define REPLACEMENT "\xEF\xBF\xBD" /* U+FFFD */

size_t cli_text_width(const char *s)
{
	int w;

	if (!s)
		return 0;
	w = u8_strwidth((const uint8_t *)s, "UTF-8");
	return w > 0 ? (size_t)w : 0;
}

static bool bidi_control(ucs4_t uc)
{
	return (uc >= 0x202A && uc <= 0x202E) || (uc >= 0x2066 && uc <= 0x2069);
}

char *cli_text_clean(const char *s)
{
	const uint8_t *p = (const uint8_t *)(s ? s : "");
	size_t len = strlen((const char *)p), n = 0;
	/* The most any byte grows: a lone invalid byte becomes 3. */
	char *out = malloc(3 * len + 1), *shrunk;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len;) {
		ucs4_t uc;
		/* U+FFFD for an invalid sequence, whose length is k. */
		int k = u8_mbtouc(&uc, p + i, len - i);

		if (uc == '\n' || uc == '\r' || uc == '\t' || uc == 0x2028 || uc == 0x2029) {
			out[n++] = ' ';
		} else if (uc == 0xFFFD || uc < 0x20 || (uc >= 0x7F && uc <= 0x9F) ||
			   bidi_control(uc)) {
			memcpy(out + n, REPLACEMENT, 3);
			n += 3;
		} else {
			memcpy(out + n, p + i, (size_t)k);
			n += (size_t)k;
		}
		i += (size_t)k;
	}
	out[n] = '\0';
	shrunk = realloc(out, n + 1);
	return shrunk ? shrunk : out;
}

/* Ends a cluster with a ZWJ that follows an Extended_Pictographic character
 * (and its Extend characters, such as skin tones)? */
static bool pictographic_zwj(const uint8_t *start, const uint8_t *end)
{
	ucs4_t uc;
	const uint8_t *p = u8_prev(&uc, end, start);

	if (!p || uc != 0x200D)
		return false;
	while ((p = u8_prev(&uc, p, start))) {
		if (uc_is_property_extended_pictographic(uc))
			return true;
		if (uc_graphemeclusterbreak_property(uc) != GBP_EXTEND)
			return false;
	}
	return false;
}

/* The end of the grapheme cluster at p. libunistring 1.0 breaks inside
 * emoji ZWJ sequences and between the two regional indicators of a flag
 * (rules GB11 and GB12/13 of UAX #29); those two are added here, from
 * libunistring's own character properties. */
static const uint8_t *cluster_end(const uint8_t *p, const uint8_t *end)
{
	const uint8_t *q = u8_grapheme_next(p, end);

	while (q < end) {
		ucs4_t next, first;

		u8_mbtouc(&next, q, (size_t)(end - q));
		if (uc_is_property_regional_indicator(next)) {
			/* A single indicator takes the next one: a flag. */
			if (u8_mbtoucr(&first, p, (size_t)(q - p)) == q - p &&
			    uc_is_property_regional_indicator(first))
				q = u8_grapheme_next(q, end);
			break;
		}
		if (!uc_is_property_extended_pictographic(next) || !pictographic_zwj(p, q))
			break;
		q = u8_grapheme_next(q, end);
	}
	return q;
}

size_t cli_text_fit(const char *s, size_t width, size_t *used)
{
	const uint8_t *start = (const uint8_t *)(s ? s : "");
	const uint8_t *p = start, *end = start + strlen((const char *)start);
	size_t total = 0;

	while (p < end) {
		const uint8_t *q = cluster_end(p, end);
		int w = u8_width(p, (size_t)(q - p), "UTF-8");
		size_t cw = w > 0 ? (size_t)w : 0;

		if (cw > width - total)
			break;
		total += cw;
		p = q;
	}
	if (used)
		*used = total;
	return (size_t)(p - start);
}
