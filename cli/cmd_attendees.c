/* tapmeet attendees import|list. An import checks the whole file before it
 * writes anything: a registry half-imported from a file with a typo on line
 * 300 is worse than none, and every error is reported at once. */
#include "cli.h"

#include <errno.h>
#include <search.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attendee_file.h"
#include "csv.h"

static const char usage[] =
	"usage: tapmeet attendees import FILE.csv\n"
	"       tapmeet attendees list [--format FMT]\n"
	"import: columns found by their header, in any case, with spaces, '_' or '-':\n"
	"uid (or badge, card, nfc uid) and name (or full name, or first name and last\n"
	"name) are required; org (organisation, company, ...), handle (twitter,\n"
	"mastodon, username), email (e-mail, mail) and consent (shares details,\n"
	"opt-in, ...: yes/no) are optional; the others are ignored, and named. Only\n"
	"an attendee with consent 'yes' has their e-mail and handle given to the\n"
	"people they met; without a consent column nobody's are (a consent given\n"
	"by an earlier import is kept). Delimiter ',' ';' or tab, found in the\n"
	"header; RFC 4180 quoting; lines end in CRLF, LF or CR; UTF-8 (a BOM is\n"
	"allowed). Every error is reported as FILE:LINE: message and nothing is\n"
	"imported; a phone's random UID (08xxxxxx) is imported with a warning.\n"
	"Importing again updates the attendees already there, and a column the file\n"
	"lacks leaves their stored values alone.\n";

enum { F_UID, F_NAME, F_ORG, F_HANDLE, F_EMAIL, F_CONSENT, N_FIELDS };

/* The store's field bit of each optional column. */
static const struct {
	enum tm_attendee_col col;
	unsigned field;
} optional_cols[] = {
	{ TM_ATTENDEE_COL_ORG, TM_ATTENDEE_ORG },
	{ TM_ATTENDEE_COL_HANDLE, TM_ATTENDEE_HANDLE },
	{ TM_ATTENDEE_COL_EMAIL, TM_ATTENDEE_EMAIL },
	{ TM_ATTENDEE_COL_CONSENT, TM_ATTENDEE_CONSENT },
};

struct row {
	char *v[N_FIELDS];
	char uid[TM_STORED_UID_SIZE];
	bool consent;
	size_t line;
};

struct import {
	const char *file;
	int col[TM_ATTENDEE_N_COLS]; /* index in the file of each column, -1 when absent */
	size_t n_cols;
	unsigned fields; /* the tm_attendee_field bits of the optional columns present */
	/* Sized for the file's every line before the first row, so that the
	 * rows the duplicate check points to never move. */
	struct row *rows;
	size_t n_rows, cap;
	void *seen; /* the rows with a UID, as a tsearch(3) tree by UID */
	int errors;
	size_t trimmed, random, consenting;
	char *used, *ignored; /* the header's columns, for the summary */
	char *headers;        /* all of them, quoted, for an error */
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

/* Spaces around a value are an accident of the spreadsheet, never meant:
 * they go, and are counted so the summary can say so. An apostrophe before
 * =, +, -, @, tab or CR is how tapmeet's own CSV (and OWASP's advice) keeps
 * a spreadsheet from reading a cell as a formula: it is taken off, so a
 * list exported and imported again is unchanged. */
static char *trimmed(const char *s, size_t *count)
{
	const char *start = s;
	size_t n;

	if (s[0] == '\'' && s[1] && strchr("=+-@\t\r", s[1]))
		start = ++s;
	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (count && (s != start || s[n] != '\0'))
		(*count)++;
	return strndup(s, n);
}

/* Appends text to a comma-separated list; false when out of memory. */
static bool list_add(char **list, const char *text)
{
	char *p;

	if (asprintf(&p, "%s%s%s", *list ? *list : "", *list ? ", " : "", text) < 0)
		return false;
	free(*list);
	*list = p;
	return true;
}

static int header(struct import *im, struct tm_csv *csv, char delimiter)
{
	bool ok = true;

	for (size_t f = 0; f < TM_ATTENDEE_N_COLS; f++)
		im->col[f] = -1;
	im->n_cols = csv->n_fields;
	for (size_t i = 0; i < csv->n_fields; i++) {
		if (!tm_utf8_valid(csv->fields[i], strlen(csv->fields[i]))) {
			/* Spreadsheets on Windows save "CSV" in the local code page. */
			row_error(im, csv->record_line,
				  "the header is not UTF-8 (column %zu): save the file as CSV UTF-8",
				  i + 1);
			return -EINVAL;
		}
	}
	for (size_t i = 0; i < csv->n_fields; i++) {
		char *h = trimmed(csv->fields[i], NULL), *shown = NULL, *quoted = NULL;
		int col;

		if (!h || asprintf(&quoted, "'%s'", h) < 0) {
			free(h);
			return -ENOMEM;
		}
		ok = ok && list_add(&im->headers, quoted);
		free(quoted);
		col = tm_attendee_col_of(h);
		if (col < 0) {
			ok = ok && list_add(&im->ignored, h[0] ? h : "(no header)");
		} else if (im->col[col] >= 0) {
			row_error(im, csv->record_line, "columns '%s' and '%s' are both the '%s' column",
				  csv->fields[im->col[col]], h, tm_attendee_col_name(col));
		} else {
			im->col[col] = (int)i;
			if (strcmp(h, tm_attendee_col_name(col)))
				ok = ok && asprintf(&shown, "%s (%s)", h, tm_attendee_col_name(col)) >= 0;
			ok = ok && list_add(&im->used, shown ? shown : h);
		}
		free(shown);
		free(h);
	}
	if (!ok)
		return -ENOMEM;
	if (im->col[TM_ATTENDEE_COL_UID] < 0) {
		if (csv->n_fields == 1 && !delimiter)
			row_error(im, csv->record_line,
				  "no 'uid' column: the header line reads '%s', with no ',' ';' "
				  "or tab to separate columns",
				  csv->fields[0]);
		else
			row_error(im, csv->record_line,
				  "no 'uid' column among %s (it may be called %s)", im->headers,
				  tm_attendee_col_spellings(TM_ATTENDEE_COL_UID));
	}
	if (im->col[TM_ATTENDEE_COL_NAME] < 0 && im->col[TM_ATTENDEE_COL_FIRST_NAME] < 0 &&
	    im->col[TM_ATTENDEE_COL_LAST_NAME] < 0 && (csv->n_fields > 1 || delimiter))
		row_error(im, csv->record_line, "no 'name' column (it may be called %s)",
			  tm_attendee_col_spellings(TM_ATTENDEE_COL_NAME));
	for (size_t i = 0; i < sizeof(optional_cols) / sizeof(optional_cols[0]); i++)
		if (im->col[optional_cols[i].col] >= 0)
			im->fields |= optional_cols[i].field;
	return im->errors ? -EINVAL : 0;
}

/* The cell of a column, "" when the file has no such column. */
static const char *cell(const struct import *im, const struct tm_csv *csv, int col)
{
	return im->col[col] >= 0 ? csv->fields[im->col[col]] : "";
}

/* The name, or first and last name joined when the file has no name column. */
static char *name_of(struct import *im, const struct tm_csv *csv)
{
	char *first, *last, *name = NULL;

	if (im->col[TM_ATTENDEE_COL_NAME] >= 0)
		return trimmed(cell(im, csv, TM_ATTENDEE_COL_NAME), &im->trimmed);
	first = trimmed(cell(im, csv, TM_ATTENDEE_COL_FIRST_NAME), &im->trimmed);
	last = trimmed(cell(im, csv, TM_ATTENDEE_COL_LAST_NAME), &im->trimmed);
	if (first && last &&
	    asprintf(&name, "%s%s%s", first, first[0] && last[0] ? " " : "", last) < 0)
		name = NULL;
	free(first);
	free(last);
	return name;
}

static int by_uid(const void *a, const void *b)
{
	return strcmp(((const struct row *)a)->uid, ((const struct row *)b)->uid);
}

static void no_free(void *row)
{
	(void)row;
}

/* Checks the UID against those of the rows before it, in a balanced tree
 * (glibc's hash table degrades on UIDs that share their first digits): a
 * registry of 100,000 is checked in a moment. */
static int check_duplicate(struct import *im, struct row *r)
{
	struct row **found = tsearch(r, &im->seen, by_uid);

	if (!found)
		return -ENOMEM;
	if (*found != r) {
		const struct row *first = *found;
		struct tm_badge raw;
		char canon[TM_UID_HEX_SIZE];

		tm_badge_parse_uid(&raw, r->v[F_UID]);
		tm_badge_uid_hex(&raw, canon);
		row_error(im, r->line, "duplicate UID %s (first on line %zu)", canon, first->line);
	}
	return 0;
}

/* A phone's random UID is refused by every station: the attendee is kept
 * (the name is right, the UID can be corrected by a new import), but the
 * organizer learns now, not when the badge fails at the event. */
static void check_random(struct import *im, const struct row *r)
{
	struct tm_badge raw;
	char canon[TM_UID_HEX_SIZE];

	if (tm_badge_parse_uid(&raw, r->v[F_UID]) < 0 || !tm_badge_random_uid(&raw))
		return;
	tm_badge_uid_hex(&raw, canon);
	fprintf(stderr,
		"%s:%zu: warning: %s is a random UID (4 bytes starting 08, as phones send): "
		"stations reject it, so this badge can never be tapped\n",
		im->file, r->line, canon);
	im->random++;
}

/* Reads the record into the next free row, which it keeps unless the row is
 * bad and has no UID: a bad row with one stays, so that later duplicates
 * still point to it. */
static int add_row(struct import *im, struct cli *c, struct tm_csv *csv)
{
	struct row *r = &im->rows[im->n_rows];
	int errors = im->errors, rc;

	memset(r, 0, sizeof(*r));
	r->line = csv->record_line;
	if (csv->n_fields != im->n_cols) {
		row_error(im, r->line, "expected %zu fields, found %zu", im->n_cols, csv->n_fields);
		return 0;
	}
	for (size_t i = 0; i < csv->n_fields; i++) {
		if (!tm_utf8_valid(csv->fields[i], strlen(csv->fields[i]))) {
			row_error(im, r->line, "invalid UTF-8 in field %zu", i + 1);
			return 0;
		}
	}
	r->v[F_UID] = trimmed(cell(im, csv, TM_ATTENDEE_COL_UID), &im->trimmed);
	r->v[F_NAME] = name_of(im, csv);
	r->v[F_ORG] = trimmed(cell(im, csv, TM_ATTENDEE_COL_ORG), &im->trimmed);
	r->v[F_HANDLE] = trimmed(cell(im, csv, TM_ATTENDEE_COL_HANDLE), &im->trimmed);
	r->v[F_EMAIL] = trimmed(cell(im, csv, TM_ATTENDEE_COL_EMAIL), &im->trimmed);
	r->v[F_CONSENT] = trimmed(cell(im, csv, TM_ATTENDEE_COL_CONSENT), &im->trimmed);
	for (size_t f = 0; f < N_FIELDS; f++) {
		if (!r->v[f]) {
			rc = -ENOMEM;
			goto drop;
		}
	}
	rc = tm_identity_parse(&c->identity, r->v[F_UID], r->uid);
	if (rc == -EINVAL) {
		row_error(im, r->line, "bad UID '%s' (8, 14 or 20 hex digits)", r->v[F_UID]);
	} else if (rc < 0) {
		/* Fail closed: never store the raw UID of a keyed registry. */
		row_error(im, r->line, "cannot hash the UID with [privacy] uid_key");
		r->uid[0] = '\0';
	} else {
		check_random(im, r);
		if ((rc = check_duplicate(im, r)) < 0)
			goto drop;
	}
	if (!r->v[F_NAME][0])
		row_error(im, r->line, "missing name");
	if (tm_consent_parse(r->v[F_CONSENT], &r->consent) < 0)
		row_error(im, r->line, "consent '%s' is neither yes nor no (%s)", r->v[F_CONSENT],
			  tm_consent_values);
	im->consenting += r->consent;
	if (errors == im->errors || r->uid[0]) {
		im->n_rows++;
		return 0;
	}
	rc = 0;
drop:
	for (size_t f = 0; f < N_FIELDS; f++)
		free(r->v[f]);
	return rc;
}

static void summary(const struct import *im, const struct tm_import_counts *n)
{
	printf("%s: columns used: %s", im->file, im->used);
	if (im->ignored)
		printf("; ignored: %s", im->ignored);
	printf("\n%s: %zu attendee%s: %lld added, %lld updated, %lld unchanged\n", im->file,
	       im->n_rows, im->n_rows == 1 ? "" : "s", (long long)n->added, (long long)n->updated,
	       (long long)n->unchanged);
	if (im->fields & TM_ATTENDEE_CONSENT)
		printf("%s: %zu share their e-mail and handle with the people they meet, "
		       "%zu only their name\n",
		       im->file, im->consenting, im->n_rows - im->consenting);
	else
		printf("%s: no consent column: new attendees share only their name with the "
		       "people they meet, not their e-mail or handle (a consent given in an "
		       "earlier import is kept)\n",
		       im->file);
	if (im->trimmed)
		printf("%s: %zu value%s had spaces around %s, trimmed\n", im->file, im->trimmed,
		       im->trimmed == 1 ? "" : "s", im->trimmed == 1 ? "it" : "them");
	if (im->random)
		printf("%s: %zu badge%s can never be tapped (random UID): see the warning%s\n",
		       im->file, im->random, im->random == 1 ? "" : "s", im->random == 1 ? "" : "s");
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
		rows[i].name = r->v[F_NAME];
		rows[i].org = r->v[F_ORG];
		rows[i].handle = r->v[F_HANDLE];
		rows[i].email = r->v[F_EMAIL];
		rows[i].consent = r->consent;
	}
	rc = tm_store_import_attendees(c->store, rows, im->n_rows, im->fields, &n);
	free(rows);
	if (rc < 0)
		return cli_store_error(c, "import");
	summary(im, &n);
	return EXIT_OK;
}

/* No file has more records than line ends, plus one. */
static size_t most_records(const char *data, size_t len)
{
	size_t n = 1;

	for (size_t i = 0; i < len; i++)
		n += data[i] == '\n' || (data[i] == '\r' && (i + 1 == len || data[i + 1] != '\n'));
	return n;
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
	const char *encoding;
	char *data, delimiter;
	size_t len;
	int rc, ret = EXIT_DATA;
	bool have_header = false;

	if ((rc = read_file(path, &data, &len)) < 0) {
		cli_err("cannot read %s: %s", path, strerror(-rc));
		return EXIT_DATA;
	}
	tm_csv_init(&csv, data, len);
	if ((encoding = tm_csv_foreign_encoding(data, len))) {
		cli_err("%s: %s; save it as CSV UTF-8", path, encoding);
		goto out;
	}
	/* Open first: the privacy key comes with the config. */
	if ((rc = cli_open(c, true))) {
		ret = rc;
		goto out;
	}
	im.cap = most_records(data, len);
	im.rows = calloc(im.cap, sizeof(*im.rows));
	if (!im.rows) {
		cli_err("out of memory");
		goto out;
	}
	delimiter = tm_csv_sniff_delimiter(data, len);
	tm_csv_set_delimiter(&csv, delimiter ? delimiter : ',');
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
			if ((rc = header(&im, &csv, delimiter)) == -ENOMEM)
				goto out;
			if (rc < 0)
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
	tdestroy(im.seen, no_free);
	for (size_t i = 0; i < im.n_rows; i++)
		for (size_t f = 0; f < N_FIELDS; f++)
			free(im.rows[i].v[f]);
	free(im.rows);
	free(im.used);
	free(im.ignored);
	free(im.headers);
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
