/* tapmeet attendees import|list. An import checks the whole file before it
 * writes anything: a registry half-imported from a file with a typo on line
 * 300 is worse than none, and every error is reported at once. */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "csv.h"

static const char usage[] =
	"usage: tapmeet attendees import FILE.csv\n"
	"       tapmeet attendees list [--format FMT]\n"
	"import: columns found by their header: uid and name (required), org, handle,\n"
	"email; others are ignored. RFC 4180 quoting, UTF-8 (a BOM is allowed). Every\n"
	"error is reported as FILE:LINE: message and nothing is imported; importing\n"
	"again updates the attendees already there.\n";

enum { F_UID, F_NAME, F_ORG, F_HANDLE, F_EMAIL, N_FIELDS };
static const char *const field_names[N_FIELDS] = { "uid", "name", "org", "handle", "email" };

struct row {
	char *v[N_FIELDS];
	char uid[TM_STORED_UID_SIZE];
	size_t line;
};

struct import {
	const char *file;
	int col[N_FIELDS]; /* column index of each field, -1 when absent */
	size_t n_cols;
	struct row *rows;
	size_t n_rows, cap;
	int errors;
};

static void row_error(struct import *im, size_t line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void row_error(struct import *im, size_t line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%zu: ", im->file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	im->errors++;
}

static char *trimmed(const char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return strndup(s, n);
}

static int header(struct import *im, struct tm_csv *csv)
{
	for (size_t f = 0; f < N_FIELDS; f++)
		im->col[f] = -1;
	im->n_cols = csv->n_fields;
	for (size_t i = 0; i < csv->n_fields; i++) {
		char *h = trimmed(csv->fields[i]);

		for (size_t f = 0; h && f < N_FIELDS; f++) {
			if (strcasecmp(h, field_names[f]))
				continue;
			if (im->col[f] >= 0)
				row_error(im, csv->record_line, "column '%s' appears twice", h);
			im->col[f] = (int)i;
		}
		free(h);
	}
	for (size_t f = 0; f < 2; f++)
		if (im->col[f] < 0)
			row_error(im, csv->record_line, "no '%s' column in the header",
				  field_names[f]);
	return im->errors ? -EINVAL : 0;
}

static int add_row(struct import *im, struct cli *c, struct tm_csv *csv)
{
	struct row r = { .line = csv->record_line };
	int errors = im->errors, rc;

	if (csv->n_fields != im->n_cols) {
		row_error(im, r.line, "expected %zu fields, found %zu", im->n_cols, csv->n_fields);
		return 0;
	}
	for (size_t i = 0; i < csv->n_fields; i++) {
		if (!tm_utf8_valid(csv->fields[i], strlen(csv->fields[i]))) {
			row_error(im, r.line, "invalid UTF-8 in field %zu", i + 1);
			return 0;
		}
	}
	for (size_t f = 0; f < N_FIELDS; f++) {
		r.v[f] = trimmed(im->col[f] >= 0 ? csv->fields[im->col[f]] : "");
		if (!r.v[f])
			return -ENOMEM;
	}
	rc = tm_identity_parse(&c->identity, r.v[F_UID], r.uid);
	if (rc == -EINVAL) {
		row_error(im, r.line, "bad UID '%s' (8, 14 or 20 hex digits)", r.v[F_UID]);
	} else if (rc < 0) {
		/* Fail closed: never store the raw UID of a keyed registry. */
		row_error(im, r.line, "cannot hash the UID with [privacy] uid_key");
		r.uid[0] = '\0';
	} else {
		for (size_t i = 0; i < im->n_rows; i++) {
			if (!strcmp(im->rows[i].uid, r.uid)) {
				struct tm_badge raw;
				char canon[TM_UID_HEX_SIZE];

				tm_badge_parse_uid(&raw, r.v[F_UID]);
				tm_badge_uid_hex(&raw, canon);
				row_error(im, r.line, "duplicate UID %s (first on line %zu)", canon,
					  im->rows[i].line);
				break;
			}
		}
	}
	if (!r.v[F_NAME][0])
		row_error(im, r.line, "missing name");
	if (im->n_rows == im->cap) {
		size_t cap = im->cap ? 2 * im->cap : 256;
		struct row *p = realloc(im->rows, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		im->rows = p;
		im->cap = cap;
	}
	/* Kept even when bad, so that later duplicates still point to it. */
	if (errors == im->errors || r.uid[0])
		im->rows[im->n_rows++] = r;
	else
		for (size_t f = 0; f < N_FIELDS; f++)
			free(r.v[f]);
	return 0;
}

static int write_rows(struct cli *c, struct import *im)
{
	struct tm_attendee *rows = calloc(im->n_rows ? im->n_rows : 1, sizeof(*rows));
	struct tm_import_counts n;
	int rc;

	if (!rows) {
		cli_err("out of memory");
		return EXIT_DATA;
	}
	for (size_t i = 0; i < im->n_rows; i++) {
		struct row *r = &im->rows[i];

		memcpy(rows[i].uid, r->uid, sizeof(rows[i].uid));
		/* A column the file does not have leaves the stored values alone. */
		rows[i].name = r->v[F_NAME];
		rows[i].org = im->col[F_ORG] >= 0 ? r->v[F_ORG] : NULL;
		rows[i].handle = im->col[F_HANDLE] >= 0 ? r->v[F_HANDLE] : NULL;
		rows[i].email = im->col[F_EMAIL] >= 0 ? r->v[F_EMAIL] : NULL;
	}
	rc = tm_store_import_attendees(c->store, rows, im->n_rows, &n);
	free(rows);
	if (rc < 0)
		return cli_store_error(c, "import");
	printf("%s: %zu attendees: %lld added, %lld updated, %lld unchanged\n", im->file,
	       im->n_rows, (long long)n.added, (long long)n.updated, (long long)n.unchanged);
	return EXIT_OK;
}

static int read_file(const char *path, char **data, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 65536;

	*len = 0;
	*data = NULL;
	if (!f)
		return -errno;
	for (;;) {
		char *p = realloc(*data, cap);

		if (!p) {
			fclose(f);
			return -ENOMEM;
		}
		*data = p;
		*len += fread(*data + *len, 1, cap - *len, f);
		if (*len < cap)
			break;
		cap *= 2;
	}
	if (ferror(f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	return 0;
}

static int import(struct cli *c, const char *path)
{
	struct import im = { .file = path };
	struct tm_csv csv;
	char *data;
	size_t len;
	int rc, ret = EXIT_DATA;
	bool have_header = false;

	if ((rc = read_file(path, &data, &len)) < 0) {
		cli_err("cannot read %s: %s", path, strerror(-rc));
		return EXIT_DATA;
	}
	/* Open first: the privacy key comes with the config. */
	if ((rc = cli_open(c, true))) {
		free(data);
		return rc;
	}
	tm_csv_init(&csv, data, len);
	while ((rc = tm_csv_next(&csv)) != 0) {
		if (rc == -ENOMEM)
			goto out;
		if (rc < 0) {
			row_error(&im, csv.record_line, "%s", csv.error);
			continue;
		}
		if (tm_csv_blank(&csv))
			continue;
		if (!have_header) {
			have_header = true;
			if (header(&im, &csv) < 0)
				break;
			continue;
		}
		if (add_row(&im, c, &csv) < 0)
			goto out;
	}
	if (!have_header)
		row_error(&im, 1, "empty file: no header");
	if (im.errors) {
		cli_err("%s: %d error%s, nothing imported", path, im.errors,
			im.errors == 1 ? "" : "s");
		goto out;
	}
	ret = write_rows(c, &im);
out:
	for (size_t i = 0; i < im.n_rows; i++)
		for (size_t f = 0; f < N_FIELDS; f++)
			free(im.rows[i].v[f]);
	free(im.rows);
	tm_csv_free(&csv);
	free(data);
	return ret;
}

static int list(struct cli *c)
{
	struct tm_rows *rows;
	int rc;

	if ((rc = cli_open(c, false)))
		return rc;
	if (tm_store_attendees(c->store, &rows) < 0)
		return cli_store_error(c, "attendees");
	rc = out_rows(c, rows, NULL);
	tm_rows_free(rows);
	return rc;
}

int cmd_attendees(struct cli *c, int argc, char **argv)
{
	int first, rc;

	if ((rc = cli_options(c, argc, argv, NULL, usage, &first)) >= 0)
		return rc;
	if (first < argc && !strcmp(argv[first], "import")) {
		if (first + 2 != argc)
			return cli_usage_error(usage, "attendees import needs one FILE");
		return import(c, argv[first + 1]);
	}
	if (first < argc && !strcmp(argv[first], "list")) {
		if (first + 1 != argc)
			return cli_usage_error(usage, "unexpected argument '%s'", argv[first + 1]);
		return list(c);
	}
	if (first < argc)
		return cli_usage_error(usage, "unknown attendees command '%s'", argv[first]);
	return cli_usage_error(usage, "attendees needs import or list");
}
