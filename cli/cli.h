/* Shared by the tapmeet subcommands; private to cli/. */
#ifndef TAPMEET_CLI_H
#define TAPMEET_CLI_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "tapmeet/exit.h"
#include "tapmeet/identity.h"
#include "tapmeet/store.h"

enum cli_format { FMT_TABLE, FMT_CSV, FMT_JSON, FMT_NDJSON, FMT_VCARD };

struct cli {
	const char *prog;
	const char *db_path;
	char db_buf[PATH_MAX];
	const char *config_path; /* given with --config, else NULL */
	const char *status_file; /* the station's live status (from the config) */
	struct tm_identity identity;
	int64_t busy_ms;
	enum cli_format format;
	bool format_set;
	struct tm_store *store;
	bool in_command; /* past the command name: options may follow arguments */
};

/* One subcommand: argv[0] is its name; returns an exit code (tapmeet/exit.h). */
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
int cmd_report(struct cli *c, int argc, char **argv);
int cmd_followup(struct cli *c, int argc, char **argv);

/* --- options: one table per command, parsed in one place ----------------- */

enum cli_opt_type {
	CLI_OPT_FLAG, /* sets *flag */
	CLI_OPT_TEXT, /* sets *text to the argument */
};

struct cli_opt {
	const char *name; /* long name, without "--" */
	char short_name;  /* or 0 */
	enum cli_opt_type type;
	bool *flag;
	const char **text;
};

/* Parses argv (argv[0] is the command's name) with the command's table plus
 * the options every command takes (--format, --db, --config, --help).
 * Returns -1 and the index of the first positional argument in *first, or
 * an exit code when the command should stop (after --help, or a usage
 * error, which it has reported). */
int cli_options(struct cli *c, int argc, char **argv, const struct cli_opt *opts,
		const char *usage, int *first);

/* --- common.c ------------------------------------------------------------- */

void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int cli_usage_error(const char *usage, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int cli_parse_format(struct cli *c, const char *text);
/* Reads the daemon's config (database path, privacy key, busy timeout). */
int cli_setup(struct cli *c);
/* Opens the database (read-only unless writable); prints why it cannot. */
int cli_open(struct cli *c, bool writable);
void cli_close(struct cli *c);
/* A store error after open: prints it, returns EXIT_DATA. */
int cli_store_error(struct cli *c, const char *what);
/* A UID from the command line, in the log's stored form. Prints why not
 * and returns an exit code, or EXIT_OK. */
int cli_uid_arg(struct cli *c, const char *text, char out[TM_STORED_UID_SIZE]);
/* NAME (case-insensitive in every script; ambiguity is an error listing the
 * candidates) or UID to the stored UID; on error prints why and returns an
 * exit code. */
int cli_resolve_person(struct cli *c, const char *arg, char uid[TM_STORED_UID_SIZE],
		       char *name, size_t name_size);
int64_t cli_now_ms(void);
/* "2026-11-26T10:00:00.123Z" to local "2026-11-26 11:00:00"; copies other text. */
void cli_local_time(const char *utc, char *out, size_t size);
int cli_parse_int(const char *text, long long min, long long max, long long *out);
/* Waits until fd is readable (1), timeout_ms passes (-1: no limit) or a
 * signal arrives (both 0), with the signal mask `during` while waiting: the
 * follower (tail -f, report --watch) blocks SIGINT and SIGTERM outside the
 * wait, so one arriving just before it still ends it. */
int cli_wait_readable(int fd, int timeout_ms, const sigset_t *during);
/* A follower's signals: SIGINT and SIGTERM set cli_follow_stopped() and are
 * blocked except inside cli_wait_readable(..., during), so one arriving just
 * before the wait still ends it; _end unblocks them. */
void cli_follow_signals(sigset_t *during);
void cli_follow_signals_end(void);
bool cli_follow_stopped(void);
/* An hour since the epoch as `stats` and the report show it: local
 * "2026-11-26 10:00" for people, UTC "2026-11-26T09:00:00Z" for machines. */
void cli_hour_label(int64_t hour, bool local, char *out, size_t size);

/* --- output.c --------------------------------------------------------------- */

/* Writes every row in c->format. Tables go to people: aligned by display
 * width on a terminal (control characters never reach it), tab-separated
 * when piped. row_fn, if set, sees every row first. */
struct out_opts {
	int (*row_fn)(void *ctx, struct tm_rows *rows);
	void *ctx;
	bool no_header;
	bool stream; /* tables: never buffer for alignment (tail -f) */
};
int out_rows(struct cli *c, struct tm_rows *rows, const struct out_opts *opt);
void out_json_string(FILE *f, const char *s);
void out_json_stringn(FILE *f, const char *s, size_t n);
void out_csv_field(FILE *f, const char *s);
void out_markup_text(FILE *f, const char *s); /* XML and HTML */
/* Text for a terminal: printable, one line, padded or cut to `width`
 * display columns (0: as it is). */
void out_terminal_text(FILE *f, const char *s, size_t width, bool pad);

#endif
