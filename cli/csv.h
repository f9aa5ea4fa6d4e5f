/* An RFC 4180 CSV reader for `tapmeet attendees import`: quoted fields may
 * hold commas, newlines and "" escapes; records end in CRLF or LF; a UTF-8
 * byte order mark at the start is skipped. Line numbers are those of the
 * line each record starts on, for "file:line: message" errors. */
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
};

/* The reader points into data, which must outlive it. */
void tm_csv_init(struct tm_csv *csv, const char *data, size_t len);
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
