/* The vCard writer (cli/vcard.c) against a strict reading of RFC 6350:
 * a value written by tm_vcard_write_line is physical lines of at most 75
 * octets ending in CRLF, continuations starting with a space, no control
 * character but tab, every fold between two UTF-8 characters, and once
 * unfolded and unescaped (\\ \, \; \n) it is the value through the
 * writer's documented changes: a line end (CR LF, CR or LF) is one \n,
 * every other control character but tab, and DEL, is U+FFFD. */
#include <stdbool.h>

#include "csv.h" /* tm_utf8_valid */
#include "fuzz.h"
#include "vcard.h"

static char *expected(const char *s)
{
	char *out = malloc(3 * strlen(s) + 1), *o = out;

	if (!out)
		abort();
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\r' || c == '\n') {
			*o++ = '\n';
			if (c == '\r' && s[1] == '\n')
				s++;
		} else if ((c < 0x20 && c != '\t') || c == 0x7f) {
			memcpy(o, "\xEF\xBF\xBD", 3);
			o += 3;
		} else {
			*o++ = (char)c;
		}
	}
	*o = '\0';
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *value, *out = NULL, *logical, *decoded, *want, *l, *d;
	size_t out_len = 0, line_start = 0;
	FILE *f;

	if (size > 4096)
		return 0;
	value = fuzz_string(data, size);
	if (strlen(value) != size || !tm_utf8_valid(value, size)) {
		free(value);
		return 0;
	}
	f = open_memstream(&out, &out_len);
	if (!f)
		abort();
	FUZZ_ASSERT(tm_vcard_write_line(f, "FN", value) == 0, "write");
	fclose(f);

	/* Physical lines: CRLF ends, 75 octets, no control but tab, a fold
	 * never inside a character. */
	FUZZ_ASSERT(out_len >= 5 && !memcmp(out, "FN:", 3) && !memcmp(out + out_len - 2, "\r\n", 2),
		    "not FN:...CRLF");
	logical = l = malloc(out_len + 1);
	if (!logical)
		abort();
	for (size_t i = 0; i < out_len; i++) {
		unsigned char c = (unsigned char)out[i];

		if (c == '\r') {
			FUZZ_ASSERT(i + 1 < out_len && out[i + 1] == '\n', "CR without LF");
			FUZZ_ASSERT(i - line_start <= TM_VCARD_FOLD, "a line of %zu octets", i - line_start);
			FUZZ_ASSERT(tm_utf8_valid(out + line_start, i - line_start),
				    "a fold inside a character");
			i++;
			line_start = i + 1;
			if (line_start < out_len) {
				FUZZ_ASSERT(out[line_start] == ' ', "a continuation without its space");
				i++; /* the fold's space */
			}
			continue;
		}
		FUZZ_ASSERT(c != '\n', "bare LF");
		FUZZ_ASSERT(c >= 0x20 || c == '\t', "control character 0x%02x", c);
		FUZZ_ASSERT(c != 0x7f, "DEL");
		*l++ = (char)c;
	}
	*l = '\0';

	/* Unescaped. */
	decoded = d = malloc(strlen(logical) + 1);
	if (!decoded)
		abort();
	for (l = logical + 3; *l; l++) {
		if (*l == '\\') {
			l++;
			FUZZ_ASSERT(*l && strchr("\\,;nN", *l), "bad escape \\%c", *l ? *l : '0');
			*d++ = (*l == 'n' || *l == 'N') ? '\n' : *l;
			continue;
		}
		FUZZ_ASSERT(*l != ',' && *l != ';', "unescaped '%c'", *l);
		*d++ = *l;
	}
	*d = '\0';
	want = expected(value);
	FUZZ_ASSERT(strcmp(decoded, want) == 0, "'%s' came back as '%s'", want, decoded);
	free(want);
	free(decoded);
	free(logical);
	free(out);
	free(value);
	return 0;
}
