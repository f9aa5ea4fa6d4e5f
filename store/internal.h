/* What the store's files share; nothing outside store/ includes this. */
#ifndef TAPMEET_STORE_INTERNAL_H
#define TAPMEET_STORE_INTERNAL_H

#include <limits.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "tapmeet/store.h"

struct tm_store {
	sqlite3 *db;
	char path[PATH_MAX];
	bool writable;
	struct tm_store_options opt; /* as opened read-write, for store_reopen */
	bool set_aside;  /* a replaced file's rows were copied aside (write.c) */
	int schema;       /* the file's schema version, read once at open */
	bool in_batch;   /* tm_store_batch_begin: writes join one transaction */
	bool in_read;    /* tm_store_read_begin: a snapshot is open */
	char station[40]; /* station ids are at most 32 characters */
	int64_t tap_seq;  /* last sequence handed out */
	int64_t meeting_seq;
	/* Every tap opens and commits a transaction: compiled once, not per tap. */
	sqlite3_stmt *upsert_tap;
	sqlite3_stmt *insert_meeting;
	sqlite3_stmt *insert_member;
	sqlite3_stmt *bump_seqs;
	sqlite3_stmt *begin;
	sqlite3_stmt *commit;
	char errmsg[512];
};

/* Records what SQLite said about `what` and returns the matching -errno. */
int store_fail(struct tm_store *s, int sqlite_rc, const char *what);
/* Records a message of our own and returns rc. */
int store_failf(struct tm_store *s, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int store_exec(struct tm_store *s, const char *sql);
int store_prepare(struct tm_store *s, const char *sql, sqlite3_stmt **st);
/* Prepares a statement printed by sqlite3_mprintf and frees the text; a NULL
 * text (mprintf out of memory) is -ENOMEM. */
int store_prepare_printed(struct tm_store *s, char *sql, sqlite3_stmt **st);
/* One integer from a query without parameters. */
int store_query_int(struct tm_store *s, const char *sql, int64_t *out);
/* Steps a write statement to SQLITE_DONE, then resets it. */
int store_step_done(struct tm_store *s, sqlite3_stmt *st, const char *what);
/* After a COMMIT: tells followers (see follow.c). */
void store_committed(struct tm_store *s);
/* Closes the connection and opens the file at the same path again, with the
 * same options (write.c: a database deleted while open). */
int store_reopen(struct tm_store *s);
/* Prepares the write statements of the daemon's path (write.c). */
int store_prepare_writes(struct tm_store *s);
void store_finalize_writes(struct tm_store *s);

/* A result over a prepared statement; takes ownership of st. Column names
 * carry their kind: "name|time", "name|list", "name|int"; a leading "_"
 * hides a column. */
int store_rows(struct tm_store *s, sqlite3_stmt *st, struct tm_rows **out);
/* Hands the rows what their statement reads through a bound pointer
 * (sqlite3_bind_pointer); aux_free(aux) runs once the statement is gone. */
void store_rows_keep(struct tm_rows *r, void *aux, void (*aux_free)(void *aux));

/* Registers the virtual table tm_people(table) for tm_store_people
 * (people.c); returns an SQLite result code. */
int store_register_people_table(sqlite3 *db);

#endif
