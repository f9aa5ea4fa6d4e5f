/* Name folding with libunistring: see fold.h. */
#include "fold.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

#ifndef SQLITE_INNOCUOUS /* before SQLite 3.31 */
#define SQLITE_INNOCUOUS 0
#endif

static bool ascii_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* ASCII in, ASCII out: folding is A-Z to a-z and NFKC changes nothing. */
static int fold_ascii(const unsigned char *s, size_t len, char **out, size_t *out_len)
{
	char *r = malloc(len + 1);
	size_t n = 0;
	bool space = false;

	if (!r)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (ascii_space(c)) {
			space = true;
			continue;
		}
		if (space && n > 0)
			r[n++] = ' ';
		space = false;
		r[n++] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	r[n] = '\0';
	*out = r;
	*out_len = n;
	return 0;
}

int store_fold(const char *utf8, size_t len, char **out, size_t *out_len)
{
	const uint8_t *s = (const uint8_t *)utf8;
	uint8_t *folded, *grown;
	size_t n = 0, w = 0;
	bool space = false, ascii = true;

	*out = NULL;
	*out_len = 0;
	for (size_t i = 0; i < len && ascii; i++)
		ascii = s[i] < 0x80;
	if (ascii)
		return fold_ascii(s, len, out, out_len);
	if (u8_check(s, len))
		return -EILSEQ;

	/* With a compatibility form libunistring computes
	 * NFKC(toCasefold(NFKD(toCasefold(NFD(s))))), Unicode's compatibility
	 * caseless match, so "𝐀" and "㎒" fold too and folding is idempotent. */
	folded = u8_casefold(s, len, NULL, UNINORM_NFKC, NULL, &n);
	if (!folded)
		return errno == EILSEQ ? -EILSEQ : -ENOMEM;

	/* White space, in place: the output never outruns the input. */
	for (size_t r = 0; r < n;) {
		ucs4_t uc;
		int k = u8_mbtouc_unsafe(&uc, folded + r, n - r);

		if (uc_is_property_white_space(uc)) {
			space = true;
		} else {
			if (space && w > 0)
				folded[w++] = ' ';
			space = false;
			memmove(folded + w, folded + r, (size_t)k);
			w += (size_t)k;
		}
		r += (size_t)k;
	}
	grown = realloc(folded, w + 1);
	if (!grown) {
		free(folded);
		return -ENOMEM;
	}
	grown[w] = '\0';
	*out = (char *)grown;
	*out_len = w;
	return 0;
}

static void sql_fold(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *text;
	char *out;
	size_t out_len;
	int rc;

	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
		return; /* the result is NULL */
	text = (const char *)sqlite3_value_text(argv[0]);
	if (!text) {
		/* An empty blob has no text pointer; anything else ran out. */
		if (sqlite3_value_bytes(argv[0]) == 0)
			sqlite3_result_text(ctx, "", 0, SQLITE_STATIC);
		else
			sqlite3_result_error_nomem(ctx);
		return;
	}
	rc = store_fold(text, (size_t)sqlite3_value_bytes(argv[0]), &out, &out_len);
	if (rc == -EILSEQ)
		sqlite3_result_value(ctx, argv[0]);
	else if (rc < 0)
		sqlite3_result_error_nomem(ctx);
	else
		sqlite3_result_text64(ctx, out, out_len, free, SQLITE_UTF8);
}

int store_register_text_functions(sqlite3 *db)
{
	return sqlite3_create_function_v2(db, "tm_fold", 1,
					  SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
					  NULL, sql_fold, NULL, NULL, NULL);
}
