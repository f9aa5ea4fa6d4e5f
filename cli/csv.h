/* An RFC 4180 CSV reader for `tapmeet attendees import`: quoted fields may
 * hold the delimiter, newlines and "" escapes; records end in CRLF, LF or a
 * lone CR (old Mac files); a UTF-8 byte order mark at the start is skipped.
 * The delimiter is a comma unless set: spreadsheets in many locales save
 * with ';', and "text" exports use tabs. Line numbers are those of the line
 * each record starts on, for "file:line: message" errors. */
#ifndef TAPMEET_CLI_CSV_H
#define TAPMEET_CLI_CSV_H

#include <stdbool.h>
#include <stddef.h>

struct tm_csv {
	const char *data;
	size_t len, pos;
	size_t line;       /* the line the reader is on */
	char *buf;         /* the current record's fields, each NUL-terminated */
	size_t buf_len, buf_cap;
	size_t *offs;
	const char **fields;
	size_t n_fields, fields_cap;
	size_t record_line; /* the line the current record started on */
	const char *error;  /* after -EINVAL: what is wrong */
	char delimiter;
};

/* The reader points into data, which must outlive it. */
void tm_csv_init(struct tm_csv *csv, const char *data, size_t len);
void tm_csv_set_delimiter(struct tm_csv *csv, char delimiter);

/* The delimiter of the file's first non-blank line (its header): whichever
 * of ',' ';' and tab occurs most often outside quotes, or 0 when none does. */
char tm_csv_sniff_delimiter(const char *data, size_t len);

/* What the file is when it is text this reader cannot take ("UTF-16
 * little-endian text", ...), judged by its byte order mark or the zero
 * bytes of its first characters; NULL otherwise. */
const char *tm_csv_foreign_encoding(const char *data, size_t len);
void tm_csv_free(struct tm_csv *csv);

/* Reads the next record into csv->fields / csv->n_fields. Returns 1, 0 at
 * the end, -EINVAL on a syntax error (csv->error, csv->record_line) after
 * which the reader has skipped to the next line, or -ENOMEM. A field never
 * contains a NUL: a NUL byte in the input is a syntax error. */
int tm_csv_next(struct tm_csv *csv);

/* True when the record is a single empty field: a blank line. */
bool tm_csv_blank(const struct tm_csv *csv);

bool tm_utf8_valid(const char *s, size_t n);

#endif
