/* Query results handed out of the store: a statement behind an opaque
 * cursor, with each column's kind taken from its name ("time|time"). */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAX_COLUMNS 32
/* Lists are aggregated with this separator; the store's SQL replaces it in
 * the values themselves, so it always separates. */
#define LIST_SEP '\x1f'

struct column {
	char name[64];
	enum tm_col_kind kind;
	bool hidden;
	/* TM_COL_LIST: item offsets into the current row's text, made on demand. */
	bool split;
	size_t n_items, cap;
	size_t *starts, *lens;
};

struct tm_rows {
	struct tm_store *store;
	sqlite3_stmt *st;
	int n;
	struct column cols[MAX_COLUMNS];
	/* What the statement reads besides the database (store_rows_keep):
	 * freed after it. */
	void *aux;
	void (*aux_free)(void *aux);
};

int store_rows(struct tm_store *s, sqlite3_stmt *st, struct tm_rows **out)
{
	struct tm_rows *r;
	int n = sqlite3_column_count(st);

	*out = NULL;
	if (n > MAX_COLUMNS) {
		sqlite3_finalize(st);
		return store_failf(s, -EINVAL, "query has too many columns");
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		sqlite3_finalize(st);
		return -ENOMEM;
	}
	r->store = s;
	r->st = st;
	r->n = n;
	for (int i = 0; i < n; i++) {
		const char *name = sqlite3_column_name(st, i);
		const char *bar = strchr(name, '|');
		size_t len = bar ? (size_t)(bar - name) : strlen(name);
		struct column *c = &r->cols[i];

		if (len >= sizeof(c->name))
			len = sizeof(c->name) - 1;
		memcpy(c->name, name, len);
		c->name[len] = '\0';
		c->kind = !bar                   ? TM_COL_TEXT :
			  !strcmp(bar, "|time")  ? TM_COL_TIME :
			  !strcmp(bar, "|list")  ? TM_COL_LIST :
			  !strcmp(bar, "|int")   ? TM_COL_INT :
						   TM_COL_TEXT;
		c->hidden = name[0] == '_';
	}
	*out = r;
	return 0;
}

void store_rows_keep(struct tm_rows *r, void *aux, void (*aux_free)(void *aux))
{
	r->aux = aux;
	r->aux_free = aux_free;
}

int tm_rows_next(struct tm_rows *r)
{
	int rc = sqlite3_step(r->st);

	for (int i = 0; i < r->n; i++)
		r->cols[i].split = false;
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return store_fail(r->store, rc, "query");
}

int tm_rows_columns(const struct tm_rows *r)
{
	return r->n;
}

const char *tm_rows_name(const struct tm_rows *r, int col)
{
	return r->cols[col].name;
}

enum tm_col_kind tm_rows_kind(const struct tm_rows *r, int col)
{
	if (r->cols[col].kind == TM_COL_TEXT &&
	    sqlite3_column_type(r->st, col) == SQLITE_INTEGER)
		return TM_COL_INT;
	return r->cols[col].kind;
}

bool tm_rows_hidden(const struct tm_rows *r, int col)
{
	return r->cols[col].hidden;
}

int tm_rows_find(const struct tm_rows *r, const char *name)
{
	for (int i = 0; i < r->n; i++)
		if (!strcmp(r->cols[i].name, name))
			return i;
	return -1;
}

bool tm_rows_is_null(struct tm_rows *r, int col)
{
	return sqlite3_column_type(r->st, col) == SQLITE_NULL;
}

const char *tm_rows_text(struct tm_rows *r, int col)
{
	const char *v = (const char *)sqlite3_column_text(r->st, col);

	return v ? v : "";
}

int64_t tm_rows_int(struct tm_rows *r, int col)
{
	return sqlite3_column_int64(r->st, col);
}

static int split(struct tm_rows *r, int col)
{
	struct column *c = &r->cols[col];
	const char *v;
	size_t start = 0, i;

	if (c->split)
		return 0;
	c->n_items = 0;
	if (sqlite3_column_type(r->st, col) == SQLITE_NULL) {
		c->split = true;
		return 0;
	}
	v = tm_rows_text(r, col);
	for (i = 0;; i++) {
		if (v[i] != LIST_SEP && v[i] != '\0')
			continue;
		if (c->n_items == c->cap) {
			size_t cap = c->cap ? 2 * c->cap : 8;
			size_t *s = realloc(c->starts, cap * sizeof(*s));
			size_t *l = s ? realloc(c->lens, cap * sizeof(*l)) : NULL;

			if (s)
				c->starts = s;
			if (!s || !l)
				return -ENOMEM;
			c->lens = l;
			c->cap = cap;
		}
		c->starts[c->n_items] = start;
		c->lens[c->n_items] = i - start;
		c->n_items++;
		start = i + 1;
		if (v[i] == '\0')
			break;
	}
	c->split = true;
	return 0;
}

size_t tm_rows_list_len(struct tm_rows *r, int col)
{
	return split(r, col) < 0 ? 0 : r->cols[col].n_items;
}

const char *tm_rows_list_item(struct tm_rows *r, int col, size_t i, size_t *len)
{
	struct column *c = &r->cols[col];

	if (split(r, col) < 0 || i >= c->n_items) {
		*len = 0;
		return "";
	}
	*len = c->lens[i];
	return tm_rows_text(r, col) + c->starts[i];
}

void tm_rows_free(struct tm_rows *r)
{
	if (!r)
		return;
	sqlite3_finalize(r->st);
	if (r->aux_free)
		r->aux_free(r->aux);
	for (int i = 0; i < r->n; i++) {
		free(r->cols[i].starts);
		free(r->cols[i].lens);
	}
	free(r);
}
