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
	if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3))
		csv->pos = 3;
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

/* Skips the rest of a bad record's line so the caller can go on reporting. */
static int fail(struct tm_csv *csv, const char *what)
{
	csv->error = what;
	while (csv->pos < csv->len && csv->data[csv->pos] != '\n')
		csv->pos++;
	if (csv->pos < csv->len) {
		csv->pos++;
		csv->line++;
	}
	return -EINVAL;
}

/* Consumes a record terminator at pos; true when there was one (or EOF). */
static bool at_eol(struct tm_csv *csv)
{
	const char *d = csv->data;

	if (csv->pos >= csv->len)
		return true;
	if (d[csv->pos] == '\n') {
		csv->pos++;
		csv->line++;
		return true;
	}
	if (d[csv->pos] == '\r' && csv->pos + 1 < csv->len && d[csv->pos + 1] == '\n') {
		csv->pos += 2;
		csv->line++;
		return true;
	}
	if (d[csv->pos] == '\r' && csv->pos + 1 == csv->len) {
		csv->pos++;
		return true;
	}
	return false;
}

int tm_csv_next(struct tm_csv *csv)
{
	const char *d = csv->data;
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
				} else if (c == '\n') {
					csv->line++;
				}
				if ((rc = put_char(csv, c)))
					return rc;
			}
			if (csv->pos < csv->len && d[csv->pos] == ',')
				goto next_field;
			if (!at_eol(csv))
				return fail(csv, "text after the closing quote of a field");
			goto end_record;
		}
		while (csv->pos < csv->len) {
			char c = d[csv->pos];

			if (c == ',' || c == '\n' || (c == '\r' && (csv->pos + 1 == csv->len ||
							       d[csv->pos + 1] == '\n')))
				break;
			if (c == '"')
				return fail(csv, "quote inside an unquoted field");
			if (c == '\0')
				return fail(csv, "NUL byte in field");
			if ((rc = put_char(csv, c)))
				return rc;
			csv->pos++;
		}
		if (csv->pos < csv->len && d[csv->pos] == ',')
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
