/* Folding counts octets, not characters, as RFC 6350 does; a fold inside a
 * multi-byte character would leave both halves invalid UTF-8. */
#include "vcard.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct folder {
	FILE *f;
	size_t col; /* octets on the current physical line */
	bool failed;
};

static void put_unit(struct folder *w, const char *s, size_t n)
{
	if (w->col + n > TM_VCARD_FOLD) {
		if (fputs("\r\n ", w->f) == EOF)
			w->failed = true;
		w->col = 1;
	}
	if (fwrite(s, 1, n, w->f) != n)
		w->failed = true;
	w->col += n;
}

/* A unit is one character, or one escape sequence, which must not be split. */
static size_t utf8_len(unsigned char c)
{
	if (c >= 0xF0)
		return 4;
	if (c >= 0xE0)
		return 3;
	if (c >= 0xC0)
		return 2;
	return 1;
}

static int write_line(FILE *f, const char *name, const char *value, bool escape)
{
	struct folder w = { .f = f };
	size_t n = strlen(value);

	for (const char *p = name; *p; p++)
		put_unit(&w, p, 1);
	put_unit(&w, ":", 1);
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)value[i];
		size_t len = utf8_len(c);

		if (escape && (c == '\\' || c == ',' || c == ';')) {
			char esc[2] = { '\\', (char)c };

			put_unit(&w, esc, 2);
		} else if (escape && (c == '\n' || c == '\r')) {
			put_unit(&w, "\\n", 2);
			if (c == '\r' && i + 1 < n && value[i + 1] == '\n')
				i++;
		} else if ((c < 0x20 && c != '\t') || c == 0x7f) {
			/* ESC, BEL and the like would reach whoever displays the
			 * card: the replacement character says one was there.
			 * DEL too: RFC 6350's VALUE-CHAR has no room for it. */
			put_unit(&w, "\xEF\xBF\xBD", 3);
		} else {
			if (i + len > n)
				len = n - i;
			put_unit(&w, value + i, len);
		}
		i += len;
	}
	if (fputs("\r\n", f) == EOF)
		w.failed = true;
	return w.failed ? -EIO : 0;
}

int tm_vcard_write_line(FILE *f, const char *name, const char *value)
{
	return write_line(f, name, value, true);
}

int tm_vcard_write_raw(FILE *f, const char *name, const char *value)
{
	return write_line(f, name, value, false);
}
