/* Reads from memory: attendee lists are small, and a whole buffer makes line
 * counting across quoted newlines straightforward. */
#include "csv.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void tm_csv_init(struct tm_csv *csv, const char *data, size_t len)
{
	memset(csv, 0, sizeof(*csv));
	csv->data = data;
	csv->len = len;
	csv->line = 1;
	csv->delimiter = ',';
	if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3))
		csv->pos = 3;
}

void tm_csv_set_delimiter(struct tm_csv *csv, char delimiter)
{
	csv->delimiter = delimiter;
}

void tm_csv_free(struct tm_csv *csv)
{
	free(csv->buf);
	free(csv->offs);
	free(csv->fields);
	memset(csv, 0, sizeof(*csv));
}

static int put_char(struct tm_csv *csv, char c)
{
	if (csv->buf_len == csv->buf_cap) {
		size_t cap = csv->buf_cap ? 2 * csv->buf_cap : 256;
		char *p = realloc(csv->buf, cap);

		if (!p)
			return -ENOMEM;
		csv->buf = p;
		csv->buf_cap = cap;
	}
	csv->buf[csv->buf_len++] = c;
	return 0;
}

static int start_field(struct tm_csv *csv)
{
	if (csv->n_fields == csv->fields_cap) {
		size_t cap = csv->fields_cap ? 2 * csv->fields_cap : 16;
		size_t *o = realloc(csv->offs, cap * sizeof(*o));

		if (!o)
			return -ENOMEM;
		csv->offs = o;
		csv->fields_cap = cap;
	}
	csv->offs[csv->n_fields++] = csv->buf_len;
	return 0;
}

/* Consumes a line end at pos (LF, CRLF or a lone CR); true when there was one. */
static bool line_end(struct tm_csv *csv)
{
	const char *d = csv->data;

	if (csv->pos >= csv->len || (d[csv->pos] != '\n' && d[csv->pos] != '\r'))
		return false;
	if (d[csv->pos] == '\r' && csv->pos + 1 < csv->len && d[csv->pos + 1] == '\n')
		csv->pos++;
	csv->pos++;
	csv->line++;
	return true;
}

/* Skips the rest of a bad record's line so the caller can go on reporting. */
static int fail(struct tm_csv *csv, const char *what)
{
	csv->error = what;
	while (csv->pos < csv->len && !line_end(csv))
		csv->pos++;
	return -EINVAL;
}

/* Consumes a record terminator at pos; true when there was one (or EOF). */
static bool at_eol(struct tm_csv *csv)
{
	return csv->pos >= csv->len || line_end(csv);
}

int tm_csv_next(struct tm_csv *csv)
{
	const char *d = csv->data;
	const char delim = csv->delimiter;
	int rc;

	csv->buf_len = 0;
	csv->n_fields = 0;
	csv->error = NULL;
	csv->record_line = csv->line;
	if (csv->pos >= csv->len)
		return 0;
	for (;;) {
		if ((rc = start_field(csv)))
			return rc;
		if (csv->pos < csv->len && d[csv->pos] == '"') {
			csv->pos++;
			for (;;) {
				if (csv->pos >= csv->len)
					return fail(csv, "unterminated quoted field");
				char c = d[csv->pos++];

				if (c == '"') {
					if (csv->pos < csv->len && d[csv->pos] == '"') {
						csv->pos++;
					} else {
						break;
					}
				} else if (c == '\0') {
					return fail(csv, "NUL byte in field");
				} else if (c == '\n' || (c == '\r' && (csv->pos == csv->len ||
								       d[csv->pos] != '\n'))) {
					csv->line++;
				}
				if ((rc = put_char(csv, c)))
					return rc;
			}
			if (csv->pos < csv->len && d[csv->pos] == delim)
				goto next_field;
			if (!at_eol(csv))
				return fail(csv, "text after the closing quote of a field");
			goto end_record;
		}
		while (csv->pos < csv->len) {
			char c = d[csv->pos];

			if (c == delim || c == '\n' || c == '\r')
				break;
			if (c == '"')
				return fail(csv, "quote inside an unquoted field");
			if (c == '\0')
				return fail(csv, "NUL byte in field");
			if ((rc = put_char(csv, c)))
				return rc;
			csv->pos++;
		}
		if (csv->pos < csv->len && d[csv->pos] == delim)
			goto next_field;
		at_eol(csv);
		goto end_record;
next_field:
		csv->pos++;
		if ((rc = put_char(csv, '\0')))
			return rc;
	}
end_record:
	if ((rc = put_char(csv, '\0')))
		return rc;
	const char **f = realloc(csv->fields, csv->fields_cap * sizeof(*f));

	if (!f)
		return -ENOMEM;
	csv->fields = f;
	for (size_t i = 0; i < csv->n_fields; i++)
		f[i] = csv->buf + csv->offs[i];
	return 1;
}

char tm_csv_sniff_delimiter(const char *data, size_t len)
{
	static const char candidates[] = ",;\t";
	size_t count[sizeof(candidates) - 1] = { 0 }, pos = 0, best = 0;
	bool quoted = false;

	if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3))
		pos = 3;
	while (pos < len && (data[pos] == '\n' || data[pos] == '\r'))
		pos++;
	for (; pos < len && (quoted || (data[pos] != '\n' && data[pos] != '\r')); pos++) {
		const char *c = strchr(candidates, data[pos]);

		if (data[pos] == '"')
			quoted = !quoted;
		else if (!quoted && c && data[pos])
			count[c - candidates]++;
	}
	for (size_t i = 1; i < sizeof(count) / sizeof(count[0]); i++)
		if (count[i] > count[best])
			best = i;
	return count[best] ? candidates[best] : 0;
}

const char *tm_csv_foreign_encoding(const char *data, size_t len)
{
	const unsigned char *d = (const unsigned char *)data;
	size_t zero_even = 0, zero_odd = 0, n = len < 64 ? len : 64;

	if (len >= 4 && !memcmp(d, "\xFF\xFE\0\0", 4))
		return "UTF-32 little-endian text";
	if (len >= 4 && !memcmp(d, "\0\0\xFE\xFF", 4))
		return "UTF-32 big-endian text";
	if (len >= 2 && d[0] == 0xFF && d[1] == 0xFE)
		return "UTF-16 little-endian text";
	if (len >= 2 && d[0] == 0xFE && d[1] == 0xFF)
		return "UTF-16 big-endian text";
	/* Without a mark: ASCII characters in UTF-16 are one zero byte and one
	 * other, and UTF-8 text has no zero bytes at all. */
	for (size_t i = 0; i + 1 < n; i += 2) {
		zero_even += d[i] == 0 && d[i + 1] != 0;
		zero_odd += d[i] != 0 && d[i + 1] == 0;
	}
	if (n >= 4 && zero_odd * 2 >= n / 2)
		return "UTF-16 little-endian text";
	if (n >= 4 && zero_even * 2 >= n / 2)
		return "UTF-16 big-endian text";
	return NULL;
}

bool tm_csv_blank(const struct tm_csv *csv)
{
	return csv->n_fields == 1 && csv->fields[0][0] == '\0';
}

/* Rejects overlong forms, surrogates and code points past U+10FFFF. */
bool tm_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + n;

	while (p < e) {
		unsigned c = *p++;
		int more;
		uint32_t cp;

		if (c < 0x80)
			continue;
		if (c >= 0xC2 && c <= 0xDF) {
			more = 1;
			cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			more = 2;
			cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			more = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (e - p < more)
			return false;
		for (int i = 0; i < more; i++) {
			if ((p[i] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i] & 0x3F);
		}
		p += more;
		if ((more == 2 && cp < 0x800) || (more == 3 && cp < 0x10000) || cp > 0x10FFFF ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
	}
	return true;
}
