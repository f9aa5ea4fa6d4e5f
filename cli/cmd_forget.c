/* tapmeet forget: the right to be forgotten. Deleting rows is not enough in
 * SQLite: freed pages keep their bytes and the -wal keeps old page images.
 * So secure_delete zeroes what is freed, VACUUM rewrites the file and a
 * TRUNCATE checkpoint empties the -wal. */
#include "cli.h"

#include <getopt.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

static const char usage[] =
	"usage: tapmeet forget UID|NAME --yes\n"
	"Erases a person everywhere: their registry row, their taps, and every meeting\n"
	"they were in (the whole meeting and its badge list; the other badges' taps stay\n"
	"but lose their link to it); then rewrites the database so no copy of the UID\n"
	"remains in the file or its -wal. Without --yes, says what would be removed.\n";

#define CHECKPOINT_TRIES 20

struct counts {
	long long registry, taps, meetings, links, unlinked;
};

static const char *const count_sql[] = {
	"SELECT count(*) FROM attendees WHERE uid = ?1",
	"SELECT count(*) FROM taps WHERE uid = ?1",
	"SELECT count(*) FROM meeting_badges WHERE uid = ?1",
	"SELECT count(*) FROM meeting_badges WHERE meeting_id IN "
	" (SELECT meeting_id FROM meeting_badges WHERE uid = ?1)",
	"SELECT count(*) FROM taps WHERE uid <> ?1 AND meeting_id IN "
	" (SELECT meeting_id FROM meeting_badges WHERE uid = ?1)",
};

static const char *const erase_sql[] = {
	"CREATE TEMP TABLE forget_meetings (id TEXT PRIMARY KEY)",
	"INSERT INTO forget_meetings SELECT meeting_id FROM meeting_badges WHERE uid = ?1",
	"UPDATE taps SET meeting_id = NULL WHERE meeting_id IN (SELECT id FROM forget_meetings)",
	"DELETE FROM taps WHERE uid = ?1",
	"DELETE FROM meeting_badges WHERE meeting_id IN (SELECT id FROM forget_meetings)",
	"DELETE FROM meetings WHERE id IN (SELECT id FROM forget_meetings)",
	"DELETE FROM attendees WHERE uid = ?1",
	"DROP TABLE forget_meetings",
};

static int run(struct cli *c, const char *sql, const char *uid, long long *out)
{
	sqlite3_stmt *st;
	int rc;

	if (cli_prepare(c, sql, &st) < 0)
		return -1;
	if (sqlite3_bind_parameter_count(st) > 0)
		sqlite3_bind_text(st, 1, uid, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && out)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

static void describe(FILE *f, const char *verb, const char *who, const struct counts *n)
{
	fprintf(f,
		"%s %s: %lld registry row, %lld taps, %lld meetings (%lld badge entries); "
		"%lld taps of other badges unlinked from those meetings\n",
		verb, who, n->registry, n->taps, n->meetings, n->links, n->unlinked);
}

/* The daemon may hold a read transaction for a moment; the checkpoint can
 * only empty the -wal once no reader needs its frames. */
static int checkpoint(struct cli *c)
{
	for (int i = 0; i < CHECKPOINT_TRIES; i++) {
		sqlite3_stmt *st;
		int busy = 1;

		if (cli_prepare(c, "PRAGMA wal_checkpoint(TRUNCATE)", &st) < 0)
			return -1;
		if (sqlite3_step(st) == SQLITE_ROW)
			busy = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
		if (!busy)
			return 0;
		usleep(100 * 1000);
	}
	return -1;
}

int cmd_forget(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "yes", no_argument, NULL, 'y' },
		{ 0, 0, 0, 0 },
	};
	char uid[TM_PRIVACY_UID_SIZE], name[256], who[300];
	struct counts n = { 0 };
	long long *fields[] = { &n.registry, &n.taps, &n.meetings, &n.links, &n.unlinked };
	bool yes = false;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "hy", opts, NULL)) != -1) {
		if (opt == 'y') {
			yes = true;
			continue;
		}
		rc = cli_common_option(c, opt, optarg, usage);
		if (rc > 1)
			return CLI_STOP(rc);
	}
	if (optind != argc - 1)
		return cli_usage_error(usage, "forget needs one UID or NAME");
	if ((rc = cli_open(c, yes)))
		return rc;
	if ((rc = cli_resolve_person(c, argv[optind], uid, name, sizeof(name))))
		return rc;
	snprintf(who, sizeof(who), "%s%s%s%s", name, name[0] ? " (" : "", uid, name[0] ? ")" : "");
	if (yes && (sqlite3_exec(c->db, "PRAGMA secure_delete = ON", NULL, NULL, NULL) ||
		    sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL)))
		return cli_db_error(c, "forget");
	for (size_t i = 0; i < sizeof(count_sql) / sizeof(count_sql[0]); i++)
		if (run(c, count_sql[i], uid, fields[i]) < 0)
			goto fail;
	if (n.registry + n.taps + n.meetings == 0) {
		if (yes)
			sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
		cli_err("%s is not in %s", who, c->db_path);
		return EXIT_DATA;
	}
	if (!yes) {
		describe(stderr, "tapmeet: would remove", who, &n);
		cli_err("nothing removed: add --yes to erase");
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof(erase_sql) / sizeof(erase_sql[0]); i++)
		if (run(c, erase_sql[i], uid, NULL) < 0)
			goto fail;
	if (sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL))
		goto fail;
	describe(stdout, "removed", who, &n);
	if (sqlite3_exec(c->db, "VACUUM", NULL, NULL, NULL))
		return cli_db_error(c, "vacuum (the rows are gone, but old copies may remain)");
	if (checkpoint(c) < 0) {
		cli_err("the rows are gone, but %s-wal still holds old copies: another process "
			"is reading; run 'tapmeet forget' again later or stop tapmeetd briefly",
			c->db_path);
		return EXIT_DATA;
	}
	return EXIT_OK;
fail:
	rc = cli_db_error(c, "forget");
	sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}
