/* Terminal text: display widths, cleaning for a table cell, fitting a cell
 * at grapheme cluster boundaries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "text.h"

#define FFFD "\xEF\xBF\xBD"

/* "zoë ångström" precomposed, and with combining marks (U+0308, U+030A). */
static const char precomposed[] = "zo\xC3\xAB \xC3\xA5ngstr\xC3\xB6m";
static const char decomposed[] = "zoe\xCC\x88 a\xCC\x8Angstro\xCC\x88m";

static void test_width(void **state)
{
	(void)state;
	assert_int_equal(cli_text_width(""), 0);
	assert_int_equal(cli_text_width(NULL), 0);
	assert_int_equal(cli_text_width("Ada Lovelace"), 12);
	assert_int_equal(cli_text_width(precomposed), 12);
	assert_int_equal(cli_text_width(decomposed), 12);
	assert_int_equal(cli_text_width("日本語"), 6);
	assert_int_equal(cli_text_width("李小龍 Bruce"), 12);
	assert_int_equal(cli_text_width("ＡＢ"), 4);                   /* fullwidth */
	assert_int_equal(cli_text_width("e\xCC\x81\xCC\xA3"), 1);      /* 2 marks */
	assert_int_equal(cli_text_width("\xE1\x84\x80\xE1\x85\xA1\xE1\x86\xA8"), 2); /* jamo */
	assert_int_equal(cli_text_width("Дмитрий"), 7);
	assert_int_equal(cli_text_width("a\xE2\x80\x8B" "b"), 2);      /* ZWSP */
	/* Emoji with bookworm's libunistring 1.0: each part of a sequence
	 * counts (see text.h). */
	assert_int_equal(cli_text_width("🎉"), 2);
	assert_int_equal(cli_text_width("👩‍💻"), 4);
	assert_int_equal(cli_text_width("👍🏽"), 4);
	assert_int_equal(cli_text_width("🇫🇷"), 2);
	assert_int_equal(cli_text_width("\xE2\x9D\xA4\xEF\xB8\x8F"), 1); /* ❤️ */
}

static void assert_clean(const char *in, const char *want)
{
	char *out = cli_text_clean(in);

	assert_non_null(out);
	assert_string_equal(out, want);
	free(out);
}

/* How many U+FFFD an invalid sequence becomes differs between libunistring
 * versions (1.0 in bookworm, 1.3 in trixie); both are allowed by Unicode.
 * What matters: only replacement characters, then the rest intact. */
static void assert_replaced(const char *in, const char *rest)
{
	char *out = cli_text_clean(in), *p;

	assert_non_null(out);
	for (p = out; !strncmp(p, FFFD, 3); p += 3)
		;
	assert_true(p > out);
	assert_string_equal(p, rest);
	free(out);
}

static void test_clean(void **state)
{
	(void)state;
	assert_clean("a\nb", "a b");
	assert_clean("a\r\n\tb", "a   b");
	assert_clean("\x1b[31mred", FFFD "[31mred");
	assert_clean("\x1b]0;title\x07", FFFD "]0;title" FFFD);
	assert_clean("\xff", FFFD);
	assert_clean("\xc2\x9b" "31m", FFFD "31m");                  /* C1 CSI */
	assert_clean("\xc2\x85", FFFD);                              /* C1 NEL */
	assert_clean("a\x7f" "b\x01", "a" FFFD "b" FFFD);
	assert_replaced("\xe6\x97" "x", "x");                        /* truncated */
	assert_clean("\xc0\xaf", FFFD FFFD);                         /* overlong */
	assert_replaced("\xed\xa0\x80" "x", "x");                    /* surrogate */
	assert_clean("a\xe2\x80\xa8" "b\xe2\x80\xa9", "a b ");       /* LS, PS */
	/* Bidi override and isolates: replaced; the marks stay. */
	assert_clean("\xe2\x80\xae" "evil", FFFD "evil");
	assert_clean("\xe2\x81\xa6" "x\xe2\x81\xa9", FFFD "x" FFFD);
	assert_clean("a\xe2\x80\x8f" "b", "a\xe2\x80\x8f" "b");      /* RLM */
	/* Everything visible stays as it is, bytes and all. */
	assert_clean(precomposed, precomposed);
	assert_clean(decomposed, decomposed);
	assert_clean("日本語 👩‍💻 " FFFD, "日本語 👩‍💻 " FFFD);
	assert_clean("", "");
	assert_clean(NULL, "");
}

static void test_clean_never_controls(void **state)
{
	(void)state;
	for (int c = 1; c < 0x100; c++) {
		char in[] = { 'x', (char)c, 'y', '\0' };
		char *out = cli_text_clean(in);

		assert_non_null(out);
		for (const unsigned char *p = (const unsigned char *)out; *p; p++)
			assert_true(*p >= 0x20 && *p != 0x7f);
		/* x, y and one column for c: itself, a space or U+FFFD. */
		assert_int_equal(cli_text_width(out), 3);
		free(out);
	}
}

static void assert_fit(const char *s, size_t width, size_t want_len, size_t want_used)
{
	size_t used = 99;

	assert_int_equal(cli_text_fit(s, width, &used), want_len);
	assert_int_equal(used, want_used);
}

static void test_fit(void **state)
{
	(void)state;
	assert_fit("Ada Lovelace", 3, 3, 3);
	assert_fit("Ada", 10, 3, 3);
	assert_fit("", 5, 0, 0);
	assert_fit("Ada", 0, 0, 0);
	/* e + U+0301 stays whole: 1 column, 3 bytes. */
	assert_fit("e\xCC\x81" "e\xCC\x81", 1, 3, 1);
	assert_fit("caf" "e\xCC\x81", 3, 3, 3);
	assert_fit("caf" "e\xCC\x81", 4, 6, 4);
	assert_fit("e\xCC\x81\xCC\xA3x", 1, 5, 1);
	assert_fit(decomposed, 3, 5, 3);
	assert_fit(precomposed, 3, 4, 3);
	/* A CJK character is never cut: with one column left it goes. */
	assert_fit("日本語", 5, 6, 4);
	assert_fit("日本語", 1, 0, 0);
	assert_fit("a日", 2, 1, 1);
	assert_fit("a日", 3, 4, 3);
	/* Emoji sequences and flags stay whole. */
	assert_fit("👩‍💻x", 3, 0, 0);
	assert_fit("👩‍💻x", 4, 11, 4);
	assert_fit("👩‍💻x", 5, 12, 5);
	assert_fit("🇫🇷🇩🇪", 3, 8, 2);
	assert_fit("🇫🇷🇩🇪", 4, 16, 4);
	assert_fit("👍🏽!", 2, 0, 0);
	assert_fit("👍🏽!", 4, 8, 4);
	/* A NULL *used is allowed. */
	assert_int_equal(cli_text_fit("日本", 2, NULL), 3);
}

/* Any prefix fit() gives is as wide as it says and ends on a boundary. */
static void test_fit_agrees_with_width(void **state)
{
	static const char *const names[] = {
		precomposed, decomposed, "日本語 テキスト", "👩‍💻 🎉 🇫🇷", "e\xCC\x81\xCC\xA3xyz",
		"Дмитрий Шостакович",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		for (size_t w = 0; w <= cli_text_width(names[i]) + 1; w++) {
			size_t used, len = cli_text_fit(names[i], w, &used);
			char *prefix = strndup(names[i], len);

			assert_non_null(prefix);
			assert_true(used <= w);
			assert_int_equal(cli_text_width(prefix), used);
			/* The rest never starts with a continuation byte or a mark. */
			assert_true(((unsigned char)names[i][len] & 0xC0) != 0x80);
			assert_true(strncmp(names[i] + len, "\xCC", 1) != 0);
			free(prefix);
		}
	}
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_width),
		cmocka_unit_test(test_clean),
		cmocka_unit_test(test_clean_never_controls),
		cmocka_unit_test(test_fit),
		cmocka_unit_test(test_fit_agrees_with_width),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
