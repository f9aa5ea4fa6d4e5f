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

#include <sqlite3.h>

#include "tapmeet/badge.h"
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
	char uid[TM_PRIVACY_UID_SIZE];
	char canon[TM_UID_HEX_SIZE];
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
	struct tm_badge badge;
	int errors = im->errors;

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
	if (tm_badge_parse_uid(&badge, r.v[F_UID]) < 0) {
		row_error(im, r.line, "bad UID '%s' (8, 14 or 20 hex digits)", r.v[F_UID]);
	} else {
		tm_badge_uid_hex(&badge, r.canon);
		if (tm_privacy_uid(c->uid_key, r.canon, r.uid) < 0)
			row_error(im, r.line, "cannot pseudonymise UID %s", r.canon);
		for (size_t i = 0; i < im->n_rows; i++) {
			if (!strcmp(im->rows[i].canon, r.canon)) {
				row_error(im, r.line, "duplicate UID %s (first on line %zu)", r.canon,
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
	if (errors == im->errors || r.canon[0])
		im->rows[im->n_rows++] = r;
	else
		for (size_t f = 0; f < N_FIELDS; f++)
			free(r.v[f]);
	return 0;
}

static int write_rows(struct cli *c, struct import *im)
{
	static const char sql[] =
		"INSERT INTO attendees (uid, name, org, handle, email) VALUES (?1, ?2, ?3, ?4, ?5) "
		"ON CONFLICT (uid) DO UPDATE SET name = excluded.name, org = excluded.org, "
		"handle = excluded.handle, email = excluded.email, "
		"updated_utc = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') "
		"WHERE (name, org, handle, email) IS NOT "
		"(excluded.name, excluded.org, excluded.handle, excluded.email)";
	sqlite3_stmt *st = NULL, *exists = NULL;
	long long added = 0, updated = 0, same = 0;

	if (sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return cli_db_error(c, "begin");
	if (cli_prepare(c, sql, &st) < 0 ||
	    cli_prepare(c, "SELECT 1 FROM attendees WHERE uid = ?1", &exists) < 0)
		goto fail;
	for (size_t i = 0; i < im->n_rows; i++) {
		struct row *r = &im->rows[i];
		bool was;

		sqlite3_bind_text(exists, 1, r->uid, -1, SQLITE_STATIC);
		was = sqlite3_step(exists) == SQLITE_ROW;
		sqlite3_reset(exists);
		sqlite3_bind_text(st, 1, r->uid, -1, SQLITE_STATIC);
		for (int f = 1; f < N_FIELDS; f++)
			sqlite3_bind_text(st, f + 1, r->v[f], -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto fail;
		if (!was)
			added++;
		else if (sqlite3_changes(c->db))
			updated++;
		else
			same++;
		sqlite3_reset(st);
	}
	if (sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_finalize(st);
	sqlite3_finalize(exists);
	printf("%s: %zu attendees: %lld added, %lld updated, %lld unchanged\n", im->file,
	       im->n_rows, added, updated, same);
	return EXIT_OK;
fail:
	cli_db_error(c, "import");
	sqlite3_finalize(st);
	sqlite3_finalize(exists);
	sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	return EXIT_DATA;
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
	sqlite3_stmt *st;
	int rc;

	if ((rc = cli_open(c, false)))
		return rc;
	if (cli_prepare(c, "SELECT uid, name, org, handle, email FROM attendees "
			   "ORDER BY name COLLATE NOCASE, uid",
			&st) < 0)
		return EXIT_DATA;
	rc = out_query(c, st, NULL);
	sqlite3_finalize(st);
	return rc;
}

int cmd_attendees(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_OPTIONS, { 0, 0, 0, 0 } };
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		rc = cli_common_option(c, opt, optarg, usage);
		if (rc > 1)
			return CLI_STOP(rc);
	}
	if (optind < argc && !strcmp(argv[optind], "import")) {
		if (optind + 2 != argc)
			return cli_usage_error(usage, "attendees import needs one FILE");
		return import(c, argv[optind + 1]);
	}
	if (optind < argc && !strcmp(argv[optind], "list")) {
		if (optind + 1 != argc)
			return cli_usage_error(usage, "unexpected argument '%s'", argv[optind + 1]);
		return list(c);
	}
	if (optind < argc)
		return cli_usage_error(usage, "unknown attendees command '%s'", argv[optind]);
	return cli_usage_error(usage, "attendees needs import or list");
}
