/* One writer for every subcommand's rows, so that the four formats agree.
 * Tables go to people: aligned to the terminal when stdout is one, and
 * tab-separated (stream-friendly for cut and awk) when piped. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <sqlite3.h>

#define LIST_SEP '\x1f'

enum col_kind { COL_PLAIN, COL_TIME, COL_LIST };

struct col {
	char name[64];
	enum col_kind kind;
	bool hidden;
};

struct table {
	char **cells; /* rows * ncols, row 0 the header */
	size_t rows, cap;
};

void out_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
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
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

void out_csv_field(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n") && s[0] != ' ' && (!*s || s[strlen(s) - 1] != ' ')) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void parse_cols(sqlite3_stmt *st, struct col *cols, int n)
{
	for (int i = 0; i < n; i++) {
		const char *name = sqlite3_column_name(st, i);
		const char *bar = strchr(name, '|');
		size_t len = bar ? (size_t)(bar - name) : strlen(name);

		if (len >= sizeof(cols[i].name))
			len = sizeof(cols[i].name) - 1;
		memcpy(cols[i].name, name, len);
		cols[i].name[len] = '\0';
		cols[i].kind = !bar ? COL_PLAIN : !strcmp(bar, "|time") ? COL_TIME : COL_LIST;
		cols[i].hidden = name[0] == '_';
	}
}

/* A cell as text for tables and CSV; the caller frees it. */
static char *cell_text(sqlite3_stmt *st, int i, const struct col *col, enum cli_format fmt)
{
	const char *v = (const char *)sqlite3_column_text(st, i);
	char buf[64];

	if (!v)
		return strdup("");
	if (col->kind == COL_TIME && fmt == FMT_TABLE) {
		cli_local_time(v, buf, sizeof(buf));
		return strdup(buf);
	}
	if (col->kind == COL_LIST) {
		/* In a table an unknown element (a badge without a name) reads
		 * "?" next to known ones, and a list with nothing known stays
		 * empty; CSV keeps the positions, empty ones included. */
		const char *sep = fmt == FMT_CSV ? ";" : ", ";
		bool table = fmt == FMT_TABLE;
		size_t seps = 0, known = 0, n;
		char *out, *o;

		for (const char *p = v; *p; p++) {
			seps += *p == LIST_SEP;
			known += *p != LIST_SEP;
		}
		if (known == 0 && table)
			return strdup("");
		n = strlen(v) + (seps + 1) * (strlen(sep) + 1) + 1;
		out = o = malloc(n);
		if (!out)
			return NULL;
		for (const char *p = v;; p++) {
			if (*p == LIST_SEP || *p == '\0') {
				if (table && (p == v || p[-1] == LIST_SEP))
					*o++ = '?';
				if (*p == '\0')
					break;
				strcpy(o, sep);
				o += strlen(sep);
			} else {
				*o++ = *p;
			}
		}
		*o = '\0';
		return out;
	}
	if (fmt == FMT_TABLE && strpbrk(v, "\t\n\r")) {
		char *out = strdup(v);

		for (char *p = out; p && *p; p++)
			if (*p == '\t' || *p == '\n' || *p == '\r')
				*p = ' ';
		return out;
	}
	return strdup(v);
}

static void json_value(FILE *f, sqlite3_stmt *st, int i, const struct col *col)
{
	const char *v;

	switch (sqlite3_column_type(st, i)) {
	case SQLITE_NULL:
		fputs(col->kind == COL_LIST ? "[]" : "null", f);
		return;
	case SQLITE_INTEGER:
		if (col->kind != COL_LIST) {
			fprintf(f, "%lld", (long long)sqlite3_column_int64(st, i));
			return;
		}
		break;
	case SQLITE_FLOAT:
		if (col->kind != COL_LIST) {
			fprintf(f, "%.17g", sqlite3_column_double(st, i));
			return;
		}
		break;
	default:
		break;
	}
	v = (const char *)sqlite3_column_text(st, i);
	if (col->kind != COL_LIST) {
		out_json_string(f, v ? v : "");
		return;
	}
	fputc('[', f);
	for (const char *p = v; p;) {
		const char *sep = strchr(p, LIST_SEP);
		size_t len = sep ? (size_t)(sep - p) : strlen(p);
		char *item = strndup(p, len);

		out_json_string(f, item ? item : "");
		free(item);
		if (sep)
			fputc(',', f);
		p = sep ? sep + 1 : NULL;
	}
	fputc(']', f);
}

static void json_object(FILE *f, sqlite3_stmt *st, const struct col *cols, int n)
{
	bool first = true;

	fputc('{', f);
	for (int i = 0; i < n; i++) {
		if (cols[i].hidden)
			continue;
		if (!first)
			fputc(',', f);
		first = false;
		out_json_string(f, cols[i].name);
		fputc(':', f);
		json_value(f, st, i, &cols[i]);
	}
	fputc('}', f);
}

/* Display width: code points, not bytes, so names with accents align. */
static size_t width_of(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xC0) != 0x80;
	return w;
}

static size_t bytes_for_width(const char *s, size_t w)
{
	const char *p = s;

	for (size_t n = 0; *p; p++) {
		if (((unsigned char)*p & 0xC0) != 0x80 && n++ == w)
			break;
	}
	return (size_t)(p - s);
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

static void print_aligned(FILE *f, struct table *t, const struct col *cols, int n)
{
	size_t w[64] = { 0 }, total = 0;
	int shown = 0, termw = terminal_width();

	for (size_t r = 0; r < t->rows; r++)
		for (int i = 0; i < n; i++)
			if (!cols[i].hidden && width_of(t->cells[r * n + i]) > w[i])
				w[i] = width_of(t->cells[r * n + i]);
	for (int i = 0; i < n; i++)
		if (!cols[i].hidden) {
			total += w[i];
			shown++;
		}
	total += shown > 0 ? 2 * (size_t)(shown - 1) : 0;
	/* Too wide: narrow the widest column a step at a time, down to 6. */
	while (total > (size_t)termw) {
		int widest = -1;

		for (int i = 0; i < n; i++)
			if (!cols[i].hidden && (widest < 0 || w[i] > w[widest]))
				widest = i;
		if (widest < 0 || w[widest] <= 6)
			break;
		w[widest]--;
		total--;
	}
	for (size_t r = 0; r < t->rows; r++) {
		int printed = 0;

		for (int i = 0; i < n; i++) {
			const char *s = t->cells[r * n + i];
			size_t sw = width_of(s);

			if (cols[i].hidden)
				continue;
			if (printed++)
				fputs("  ", f);
			if (sw > w[i]) {
				fwrite(s, 1, bytes_for_width(s, w[i] - 1), f);
				fputs("\u2026", f);
				sw = w[i];
			} else {
				fputs(s, f);
			}
			if (printed < shown)
				fprintf(f, "%*s", (int)(w[i] - sw), "");
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

static void write_row_plain(FILE *f, char **cells, const struct col *cols, int n, bool csv)
{
	bool first = true;

	for (int i = 0; i < n; i++) {
		if (cols[i].hidden)
			continue;
		if (!first)
			fputc(csv ? ',' : '\t', f);
		first = false;
		if (csv)
			out_csv_field(f, cells[i]);
		else
			fputs(cells[i], f);
	}
	fputc('\n', f);
}

int out_query(struct cli *c, sqlite3_stmt *st, const struct out_opts *opt)
{
	static const struct out_opts none;
	FILE *f = stdout;
	int n = sqlite3_column_count(st), rc, ret = EXIT_OK;
	struct col cols[64];
	struct table t = { 0 };
	char *row[64];
	bool aligned, rows = false;
	enum cli_format fmt = c->format;

	if (!opt)
		opt = &none;
	if (n > 64)
		return EXIT_DATA;
	parse_cols(st, cols, n);
	aligned = fmt == FMT_TABLE && !opt->stream && isatty(STDOUT_FILENO);
	if (!opt->no_header && (fmt == FMT_CSV || fmt == FMT_TABLE)) {
		for (int i = 0; i < n; i++)
			row[i] = strdup(cols[i].name);
		if (aligned) {
			table_add(&t, row, n);
		} else {
			write_row_plain(f, row, cols, n, fmt == FMT_CSV);
			for (int i = 0; i < n; i++)
				free(row[i]);
		}
	}
	if (fmt == FMT_JSON)
		fputc('[', f);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (opt->row_fn && opt->row_fn(opt->ctx, st) < 0) {
			ret = EXIT_DATA;
			break;
		}
		if (fmt == FMT_JSON || fmt == FMT_NDJSON) {
			if (fmt == FMT_JSON)
				fputs(rows ? ",\n" : "\n", f);
			json_object(f, st, cols, n);
			if (fmt == FMT_NDJSON)
				fputc('\n', f);
		} else {
			for (int i = 0; i < n; i++)
				row[i] = cell_text(st, i, &cols[i], fmt);
			if (aligned && table_add(&t, row, n) == 0)
				goto next;
			write_row_plain(f, row, cols, n, fmt == FMT_CSV);
			for (int i = 0; i < n; i++)
				free(row[i]);
		}
next:
		rows = true;
		if (opt->stream)
			fflush(f);
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		ret = cli_db_error(c, "query");
	if (fmt == FMT_JSON)
		fputs(rows ? "\n]\n" : "]\n", f);
	if (aligned) {
		print_aligned(f, &t, cols, n);
		for (size_t i = 0; i < t.rows * (size_t)n; i++)
			free(t.cells[i]);
		free(t.cells);
	}
	if (fflush(f) == EOF && ret == EXIT_OK) {
		cli_err("cannot write output: %s", strerror(errno));
		ret = EXIT_DATA;
	}
	return ret;
}
