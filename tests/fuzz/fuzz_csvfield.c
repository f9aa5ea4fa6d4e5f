/* The CSV writer against the CSV reader: two cells written by
 * out_csv_field (cli/output.c) as one record come back from tm_csv_next
 * (cli/csv.c) as exactly two fields, each the cell through the writer's
 * documented changes and no other: an apostrophe before a formula start
 * (= + - @ tab CR), U+FFFD for every control character but tab, LF and CR
 * and for DEL. The input is the two cells, split at its first NUL byte;
 * cells are UTF-8 (the import refuses anything else). They follow a header
 * line, as in every file tapmeet writes (the reader skips a byte order
 * mark at the start of a file, so a name there would lose its U+FEFF). */
#include <stdbool.h>

#include "cli.h"
#include "csv.h"
#include "fuzz.h"

/* What the reader must return for a cell s. */
static char *expected(const char *s)
{
	char *out = malloc(3 * strlen(s) + 2), *o = out;

	if (!out)
		abort();
	if (*s && strchr("=+-@\t\r", *s))
		*o++ = '\'';
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
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
	const uint8_t *nul = memchr(data, '\0', size);
	size_t na = nul ? (size_t)(nul - data) : size;
	char *cell[2], *want[2], *out = NULL;
	size_t out_len = 0;
	struct tm_csv csv;
	FILE *f;
	int rc;

	if (size > 4096)
		return 0;
	cell[0] = fuzz_string(data, na);
	cell[1] = fuzz_string(nul ? nul + 1 : data + size, nul ? size - na - 1 : 0);
	if (memchr(cell[1], '\0', strlen(cell[1])) || strlen(cell[1]) != (nul ? size - na - 1 : 0) ||
	    !tm_utf8_valid(cell[0], strlen(cell[0])) || !tm_utf8_valid(cell[1], strlen(cell[1])))
		goto out;
	f = open_memstream(&out, &out_len);
	if (!f)
		abort();
	fputs("uid,name\r\n", f);
	out_csv_field(f, cell[0]);
	fputc(',', f);
	out_csv_field(f, cell[1]);
	fputs("\r\n", f);
	fclose(f);

	tm_csv_init(&csv, out, out_len);
	FUZZ_ASSERT(tm_csv_next(&csv) == 1 && csv.n_fields == 2, "the header");
	rc = tm_csv_next(&csv);
	FUZZ_ASSERT(rc == 1, "the record written reads as %d (%s)", rc, csv.error ? csv.error : "");
	FUZZ_ASSERT(csv.n_fields == 2, "two cells read as %zu fields", csv.n_fields);
	for (int i = 0; i < 2; i++) {
		want[i] = expected(cell[i]);
		FUZZ_ASSERT(strcmp(csv.fields[i], want[i]) == 0, "cell %d: wrote '%s', read '%s'", i,
			    cell[i], csv.fields[i]);
		free(want[i]);
	}
	rc = tm_csv_next(&csv);
	FUZZ_ASSERT(rc == 0, "one record written, a second read (%d)", rc);
	tm_csv_free(&csv);
out:
	free(out);
	free(cell[0]);
	free(cell[1]);
	return 0;
}
