/* Attendee files: the CSV reader (cli/csv.c) as `tapmeet attendees import`
 * drives it (the encoding check, the delimiter sniffed or given, every
 * record), then the header words and consent cells (cli/attendee_file.c).
 * The first byte picks the delimiter; the rest is the file. */
#include <errno.h>
#include <stdbool.h>

#include "attendee_file.h"
#include "csv.h"
#include "fuzz.h"

/* The import sizes its table of rows with this bound (cli/cmd_attendees.c,
 * most_records): no file may give more records. */
static size_t most_records(const char *data, size_t len)
{
	size_t n = 1;

	for (size_t i = 0; i < len; i++)
		n += data[i] == '\n' || (data[i] == '\r' && (i + 1 == len || data[i + 1] != '\n'));
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char delimiters[] = { 0, ',', ';', '\t' };
	struct tm_csv csv;
	const char *text;
	size_t len, records = 0, calls = 0, last_line = 0;
	char delimiter;
	bool header = true;
	int rc;

	if (size < 1 || size > 256 * 1024)
		return 0;
	delimiter = delimiters[data[0] % 4];
	/* Not NUL-terminated, as the import's buffer read from a file is not
	 * guaranteed to be looked at past len. */
	text = (const char *)data + 1;
	len = size - 1;

	(void)tm_csv_foreign_encoding(text, len);
	if (!delimiter) {
		delimiter = tm_csv_sniff_delimiter(text, len);
		FUZZ_ASSERT(delimiter == 0 || delimiter == ',' || delimiter == ';' || delimiter == '\t',
			    "sniffed 0x%02x", (unsigned char)delimiter);
		if (!delimiter)
			delimiter = ',';
	}
	tm_csv_init(&csv, text, len);
	tm_csv_set_delimiter(&csv, delimiter);
	while ((rc = tm_csv_next(&csv)) != 0) {
		calls++;
		FUZZ_ASSERT(calls <= most_records(text, len), "%zu records and errors from %zu line ends",
			    calls, most_records(text, len) - 1);
		FUZZ_ASSERT(csv.record_line >= 1 && csv.record_line >= last_line, "line %zu after %zu",
			    csv.record_line, last_line);
		last_line = csv.record_line;
		if (rc == -ENOMEM)
			break;
		FUZZ_ASSERT(rc == 1 || rc == -EINVAL, "rc %d", rc);
		if (rc < 0) {
			FUZZ_ASSERT(csv.error && csv.error[0], "error without a message");
			continue;
		}
		records++;
		FUZZ_ASSERT(csv.n_fields >= 1, "a record of no fields");
		if (tm_csv_blank(&csv))
			continue;
		for (size_t i = 0; i < csv.n_fields; i++) {
			const char *f = csv.fields[i];
			size_t n = strlen(f);

			FUZZ_ASSERT(f >= csv.buf && f + n < csv.buf + csv.buf_len + 1,
				    "field %zu outside the record", i);
			if (!tm_utf8_valid(f, n))
				continue;
			if (header) {
				int col = tm_attendee_col_of(f);

				FUZZ_ASSERT(col >= -1 && col < TM_ATTENDEE_N_COLS, "column %d", col);
				if (col >= 0) {
					FUZZ_ASSERT(tm_attendee_col_of(tm_attendee_col_name(col)) == col,
						    "column %d's own name", col);
					(void)tm_attendee_col_spellings(col);
				}
			} else {
				bool consent = false;

				rc = tm_consent_parse(f, &consent);
				FUZZ_ASSERT(rc == 0 || rc == -EINVAL, "consent rc %d", rc);
			}
		}
		header = false;
	}
	tm_csv_free(&csv);
	return 0;
}
