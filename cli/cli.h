/* Shared by the tapmeet subcommands; private to cli/. */
#ifndef TAPMEET_CLI_H
#define TAPMEET_CLI_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "tapmeet/privacy.h"

struct sqlite3;
struct sqlite3_stmt;
struct tm_store;

/* Exit codes, documented in tapmeet(1). */
enum {
	EXIT_OK = 0,
	EXIT_USAGE = 1,
	EXIT_DATA = 2,      /* database, file or data error */
	EXIT_UNHEALTHY = 3, /* status: a station is not working */
	EXIT_WARNING = 4,   /* status: working, with a warning */
};

enum cli_format { FMT_TABLE, FMT_CSV, FMT_JSON, FMT_NDJSON };

struct cli {
	const char *prog;
	const char *db_path;
	char db_buf[PATH_MAX];
	const char *config_path; /* given with --config, else NULL */
	char uid_key[128];       /* [privacy] uid_key, empty when unset */
	int64_t busy_ms;
	enum cli_format format;
	bool format_set;
	struct tm_store *store;
	struct sqlite3 *db;
};

/* One subcommand: argv[0] is its name; returns an exit code. */
typedef int (*cli_cmd_fn)(struct cli *c, int argc, char **argv);

int cmd_meetings(struct cli *c, int argc, char **argv);
int cmd_people(struct cli *c, int argc, char **argv);
int cmd_person(struct cli *c, int argc, char **argv);
int cmd_stats(struct cli *c, int argc, char **argv);
int cmd_attendees(struct cli *c, int argc, char **argv);
int cmd_status(struct cli *c, int argc, char **argv);
int cmd_tail(struct cli *c, int argc, char **argv);
int cmd_export(struct cli *c, int argc, char **argv);
int cmd_forget(struct cli *c, int argc, char **argv);

/* common.c */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int cli_usage_error(const char *usage, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int cli_parse_format(struct cli *c, const char *text);
/* Reads the daemon's config (db path, privacy key); main.c. */
int cli_setup(struct cli *c);
/* Opens the database (read-only unless writable); prints why it cannot. */
int cli_open(struct cli *c, bool writable);
void cli_close(struct cli *c);
int cli_prepare(struct cli *c, const char *sql, struct sqlite3_stmt **st);
/* A database error after open: prints it, returns EXIT_DATA. */
int cli_db_error(struct cli *c, const char *what);
/* A UID from the command line, canonical and pseudonymised like the log's. */
int cli_uid_arg(struct cli *c, const char *text, char out[TM_PRIVACY_UID_SIZE]);
/* NAME (case-insensitive; ambiguity is an error listing the candidates) or
 * UID to the stored UID; on error prints why and returns an exit code. */
int cli_resolve_person(struct cli *c, const char *arg, char uid[TM_PRIVACY_UID_SIZE],
		       char *name, size_t name_size);
int64_t cli_now_ms(void);
/* "2026-11-26T10:00:00.123Z" to local "2026-11-26 11:00:00"; copies other text. */
void cli_local_time(const char *utc, char *out, size_t size);
int cli_parse_int(const char *text, long long min, long long max, long long *out);

extern const char cli_meeting_columns[]; /* cmd_meetings.c */

/* output.c: runs a statement to the end, writing each row in c->format.
 * Column names drive the rendering: "x|time" is a UTC ISO time (local in
 * tables), "x|list" a list joined with char(31) (a JSON array), and names
 * starting with "_" are not printed. row_fn, if set, sees every row first. */
struct out_opts {
	int (*row_fn)(void *ctx, struct sqlite3_stmt *st);
	void *ctx;
	bool no_header;
	bool stream; /* tables: never buffer for alignment (tail -f) */
};
int out_query(struct cli *c, struct sqlite3_stmt *st, const struct out_opts *opt);
void out_json_string(FILE *f, const char *s);
void out_csv_field(FILE *f, const char *s);

#endif

/* Options every subcommand accepts after its name as well as before it. */
enum { OPT_FORMAT = 1000, OPT_DB, OPT_CONFIG };
#define CLI_COMMON_OPTIONS                                                                   \
	{ "format", required_argument, NULL, OPT_FORMAT },                                   \
		{ "db", required_argument, NULL, OPT_DB },                                   \
		{ "config", required_argument, NULL, OPT_CONFIG },                           \
		{ "help", no_argument, NULL, 'h' }
/* Handles a common option: returns 1 when it was one, 0 when not, or an exit
 * code + 2 (so > 1) when the command should stop with (that code - 2). */
int cli_common_option(struct cli *c, int opt, const char *arg, const char *usage);
#define CLI_STOP(r) ((r) - 2)
