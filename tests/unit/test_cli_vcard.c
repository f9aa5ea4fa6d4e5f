/* vCard content lines: escaping and folding at 75 octets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vcard.h"

static char *render(const char *name, const char *value)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(tm_vcard_write_line(f, name, value), 0);
	fclose(f);
	return buf;
}

static void test_escaping(void **state)
{
	char *s = render("NOTE", "a,b;c\\d\ne");

	(void)state;
	assert_string_equal(s, "NOTE:a\\,b\\;c\\\\d\\ne\r\n");
	free(s);
}

static void test_folding(void **state)
{
	char value[301];
	char *s, *line;
	size_t total = 0;

	(void)state;
	/* 100 two-octet characters: folds must not split one. */
	for (int i = 0; i < 100; i++)
		memcpy(value + 2 * i, "\xC3\xA9", 2);
	memset(value + 200, 'x', 100);
	value[300] = '\0';
	s = render("FN", value);
	for (line = s; *line;) {
		char *end = strstr(line, "\r\n");

		assert_non_null(end);
		assert_true(end - line <= 75);
		if (line != s)
			assert_int_equal(line[0], ' ');
		/* A line never starts with a continuation byte. */
		assert_true(((unsigned char)line[line == s ? 0 : 1] & 0xC0) != 0x80);
		total += (size_t)(end - line) - (line == s ? 0 : 1);
		line = end + 2;
	}
	assert_int_equal(total, strlen("FN:") + 300);
	free(s);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_folding),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
