/* One writer for every subcommand's rows, so that the formats agree.
 * Tables go to people: aligned to the terminal by display width when stdout
 * is one, and tab-separated (stream-friendly for cut and awk) when piped;
 * either way no control character from the data reaches the terminal and no
 * cell holds a newline. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "text.h"

#define MAX_COLS 32

struct table {
	char **cells; /* rows * ncols, row 0 the header; already clean */
	size_t rows, cap;
};

void out_json_stringn(FILE *f, const char *s, size_t n)
{
	fputc('"', f);
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		switch (ch) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (ch < 0x20 || ch == 0x7f)
				fprintf(f, "\\u%04x", ch);
			else
				fputc(ch, f);
		}
	}
	fputc('"', f);
}

void out_json_string(FILE *f, const char *s)
{
	out_json_stringn(f, s, strlen(s));
}

/* Text in XML or HTML, as element content or a quoted attribute: the five
 * markup characters as entities; tab, LF and CR as character references so
 * that attributes keep them; every other control character and the
 * non-characters U+FFFE and U+FFFF, which XML 1.0 cannot carry at all (one
 * would make the whole file ill-formed), as U+FFFD. */
void out_markup_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == 0xEF && (unsigned char)s[1] == 0xBF &&
		    ((unsigned char)s[2] == 0xBE || (unsigned char)s[2] == 0xBF)) {
			fputs("\xEF\xBF\xBD", f);
			s += 2;
			continue;
		}
		switch (ch) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&apos;", f);
			break;
		case '\t':
		case '\n':
		case '\r':
			fprintf(f, "&#%d;", ch);
			break;
		default:
			if (ch < 0x20 || ch == 0x7f)
				fputs("\xEF\xBF\xBD", f);
			else
				fputc(ch, f);
		}
	}
}

/* A cell a spreadsheet would read as a formula (=, +, -, @, or a tab or CR
 * first: OWASP's list for CSV injection) gets a leading apostrophe, which
 * Excel and LibreOffice show as text and do not display; `tapmeet attendees
 * import` takes it off again. Control characters other than tab, CR and LF
 * are replaced: nothing that opens the file can use them. */
static bool formula_like(const char *s)
{
	return *s && strchr("=+-@\t\r", *s);
}

void out_csv_field(FILE *f, const char *s)
{
	bool plain = !formula_like(s) && !strpbrk(s, ",\"\r\n") && s[0] != ' ' &&
		     (!*s || s[strlen(s) - 1] != ' ');

	for (const char *p = s; plain && *p; p++)
		plain = (unsigned char)*p >= 0x20 && *p != 0x7f;
	if (plain) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	if (formula_like(s))
		fputc('\'', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"')
			fputc('"', f);
		if ((ch < 0x20 && ch != '\t' && ch != '\r' && ch != '\n') || ch == 0x7f)
			fputs("\xEF\xBF\xBD", f);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

/* Printable ASCII is its own clean form and one column per byte: most
 * cells (UIDs, times, counts, station ids), written without the copy and
 * the Unicode width lookups that a listing of many rows would repeat. */
static bool printable_ascii(const char *s, size_t *len)
{
	size_t i = 0;

	for (; s[i]; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	*len = i;
	return true;
}

void out_terminal_text(FILE *f, const char *s, size_t width, bool pad)
{
	char *clean;
	const char *t;
	size_t w, used, len;

	if (s && printable_ascii(s, &len) && (!width || len <= width)) {
		fwrite(s, 1, len, f);
		if (pad && width > len)
			fprintf(f, "%*s", (int)(width - len), "");
		return;
	}
	clean = cli_text_clean(s);
	t = clean ? clean : "?";
	w = cli_text_width(t);
	if (width && w > width) {
		/* Cut at a grapheme boundary, leaving a column for the ellipsis. */
		len = cli_text_fit(t, width - 1, &used);
		fwrite(t, 1, len, f);
		fputs("\u2026", f);
		w = used + 1;
	} else {
		fputs(t, f);
	}
	if (pad && width > w)
		fprintf(f, "%*s", (int)(width - w), "");
	free(clean);
}

/* Room for the cells of the row being written: a listing of a million
 * meetings would otherwise copy every cell into memory of its own. */
struct scratch {
	char *buf[MAX_COLS];
	size_t cap[MAX_COLS];
};

static char *scratch_for(struct scratch *s, int col, size_t size)
{
	if (size > s->cap[col]) {
		char *b = realloc(s->buf[col], size);

		if (!b)
			return NULL;
		s->buf[col] = b;
		s->cap[col] = size;
	}
	return s->buf[col];
}

static void scratch_free(struct scratch *s)
{
	for (int i = 0; i < MAX_COLS; i++)
		free(s->buf[i]);
}

/* A cell as text for tables and CSV: the row's own text, or made in the
 * column's scratch (times in a table, lists); valid until the next row.
 * NULL when out of memory. */
static const char *cell_text(struct cli *c, struct tm_rows *r, int i, struct scratch *s)
{
	enum tm_col_kind kind = tm_rows_kind(r, i);
	bool table = c->format == FMT_TABLE;
	char *out, *o;

	if (kind == TM_COL_TIME && table) {
		if (!(out = scratch_for(s, i, 64)))
			return NULL;
		cli_local_time(tm_rows_text(r, i), out, 64);
		return out;
	}
	if (kind == TM_COL_LIST) {
		/* In a table an unknown element (a badge without a name) reads
		 * "?" next to known ones, and a list with nothing known stays
		 * empty; CSV keeps the positions, empty ones included. */
		const char *sep = table ? ", " : ";";
		size_t n = tm_rows_list_len(r, i), known = 0, size = 1, len;

		for (size_t k = 0; k < n; k++) {
			tm_rows_list_item(r, i, k, &len);
			known += len > 0;
			size += len + strlen(sep) + 1;
		}
		if (table && known == 0)
			return "";
		if (!(out = o = scratch_for(s, i, size)))
			return NULL;
		for (size_t k = 0; k < n; k++) {
			const char *item = tm_rows_list_item(r, i, k, &len);

			if (k) {
				strcpy(o, sep);
				o += strlen(sep);
			}
			if (table && len == 0)
				*o++ = '?';
			memcpy(o, item, len);
			o += len;
		}
		*o = '\0';
		return out;
	}
	return tm_rows_text(r, i);
}

static void json_value(FILE *f, struct tm_rows *r, int i)
{
	enum tm_col_kind kind = tm_rows_kind(r, i);

	if (tm_rows_is_null(r, i)) {
		fputs(kind == TM_COL_LIST ? "[]" : "null", f);
		return;
	}
	if (kind == TM_COL_INT) {
		fprintf(f, "%lld", (long long)tm_rows_int(r, i));
		return;
	}
	if (kind != TM_COL_LIST) {
		out_json_string(f, tm_rows_text(r, i));
		return;
	}
	fputc('[', f);
	for (size_t k = 0, n = tm_rows_list_len(r, i); k < n; k++) {
		size_t len;
		const char *item = tm_rows_list_item(r, i, k, &len);

		if (k)
			fputc(',', f);
		out_json_stringn(f, item, len);
	}
	fputc(']', f);
}

static void json_object(FILE *f, struct tm_rows *r)
{
	bool first = true;

	fputc('{', f);
	for (int i = 0; i < tm_rows_columns(r); i++) {
		if (tm_rows_hidden(r, i))
			continue;
		if (!first)
			fputc(',', f);
		first = false;
		out_json_string(f, tm_rows_name(r, i));
		fputc(':', f);
		json_value(f, r, i);
	}
	fputc('}', f);
}

static int terminal_width(void)
{
	struct winsize ws;
	const char *env = getenv("COLUMNS");

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	if (env && atoi(env) > 0)
		return atoi(env);
	return 80;
}

static void print_aligned(FILE *f, struct table *t, const struct tm_rows *r, int n)
{
	size_t w[MAX_COLS] = { 0 }, total = 0;
	int shown = 0, termw = terminal_width();

	for (size_t row = 0; row < t->rows; row++)
		for (int i = 0; i < n; i++)
			if (!tm_rows_hidden(r, i) && cli_text_width(t->cells[row * n + i]) > w[i])
				w[i] = cli_text_width(t->cells[row * n + i]);
	for (int i = 0; i < n; i++)
		if (!tm_rows_hidden(r, i)) {
			total += w[i];
			shown++;
		}
	total += shown > 0 ? 2 * (size_t)(shown - 1) : 0;
	/* Too wide: narrow the widest column a step at a time, down to 6. */
	while (total > (size_t)termw) {
		int widest = -1;

		for (int i = 0; i < n; i++)
			if (!tm_rows_hidden(r, i) && (widest < 0 || w[i] > w[widest]))
				widest = i;
		if (widest < 0 || w[widest] <= 6)
			break;
		w[widest]--;
		total--;
	}
	for (size_t row = 0; row < t->rows; row++) {
		int printed = 0;

		for (int i = 0; i < n; i++) {
			if (tm_rows_hidden(r, i))
				continue;
			if (printed++)
				fputs("  ", f);
			out_terminal_text(f, t->cells[row * n + i], w[i], printed < shown);
		}
		fputc('\n', f);
	}
}

static int table_add(struct table *t, char **row, int n)
{
	if (t->rows == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 64;
		char **p = realloc(t->cells, cap * (size_t)n * sizeof(*p));

		if (!p)
			return -ENOMEM;
		t->cells = p;
		t->cap = cap;
	}
	memcpy(t->cells + t->rows * (size_t)n, row, (size_t)n * sizeof(*row));
	t->rows++;
	return 0;
}

static void write_row_plain(FILE *f, const char *const *cells, const struct tm_rows *r, int n,
			    bool csv)
{
	bool first = true;

	for (int i = 0; i < n; i++) {
		if (tm_rows_hidden(r, i))
			continue;
		if (!first)
			fputc(csv ? ',' : '\t', f);
		first = false;
		if (csv && tm_rows_kind(r, i) == TM_COL_INT && cells[i])
			fputs(cells[i], f); /* a number, negative or not, stays one */
		else if (csv)
			out_csv_field(f, cells[i] ? cells[i] : "");
		else
			out_terminal_text(f, cells[i] ? cells[i] : "", 0, false);
	}
	fputc('\n', f);
}

static void free_row(char **row, int n)
{
	for (int i = 0; i < n; i++)
		free(row[i]);
}

/* Keeps a row for alignment: its cells copied (hidden ones NULL). */
static int keep_row(struct table *t, const char *const *cells, const struct tm_rows *r, int n)
{
	char *row[MAX_COLS];

	for (int i = 0; i < n; i++)
		row[i] = cells[i] && !tm_rows_hidden(r, i) ? strdup(cells[i]) : NULL;
	if (table_add(t, row, n) < 0) {
		free_row(row, n);
		return -ENOMEM;
	}
	return 0;
}

int out_rows(struct cli *c, struct tm_rows *r, const struct out_opts *opt)
{
	static const struct out_opts none;
	FILE *f = stdout;
	int n = tm_rows_columns(r), rc, ret = EXIT_OK;
	struct table t = { 0 };
	struct scratch scratch = { 0 };
	const char *row[MAX_COLS];
	bool aligned, rows = false;
	enum cli_format fmt = c->format == FMT_VCARD ? FMT_CSV : c->format;

	if (!opt)
		opt = &none;
	if (n > MAX_COLS)
		return EXIT_DATA;
	aligned = fmt == FMT_TABLE && !opt->stream && isatty(STDOUT_FILENO);
	if (!opt->no_header && (fmt == FMT_CSV || fmt == FMT_TABLE)) {
		for (int i = 0; i < n; i++)
			row[i] = tm_rows_name(r, i);
		if (!aligned || keep_row(&t, row, r, n) < 0)
			write_row_plain(f, row, r, n, fmt == FMT_CSV);
	}
	if (fmt == FMT_JSON)
		fputc('[', f);
	while ((rc = tm_rows_next(r)) > 0) {
		if (opt->row_fn && opt->row_fn(opt->ctx, r) < 0) {
			ret = EXIT_DATA;
			break;
		}
		if (fmt == FMT_JSON || fmt == FMT_NDJSON) {
			if (fmt == FMT_JSON)
				fputs(rows ? ",\n" : "\n", f);
			json_object(f, r);
			if (fmt == FMT_NDJSON)
				fputc('\n', f);
		} else {
			for (int i = 0; i < n; i++)
				row[i] = tm_rows_hidden(r, i) ? NULL : cell_text(c, r, i, &scratch);
			if (!aligned || keep_row(&t, row, r, n) < 0)
				write_row_plain(f, row, r, n, fmt == FMT_CSV);
		}
		rows = true;
		if (opt->stream)
			fflush(f);
	}
	if (rc < 0)
		ret = cli_store_error(c, "query");
	if (fmt == FMT_JSON)
		fputs(rows ? "\n]\n" : "]\n", f);
	if (aligned) {
		print_aligned(f, &t, r, n);
		for (size_t i = 0; i < t.rows * (size_t)n; i++)
			free(t.cells[i]);
		free(t.cells);
	}
	scratch_free(&scratch);
	if (fflush(f) == EOF && ret == EXIT_OK) {
		cli_err("cannot write output: %s", strerror(errno));
		ret = EXIT_DATA;
	}
	return ret;
}
