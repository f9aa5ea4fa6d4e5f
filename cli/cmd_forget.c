/* tapmeet forget: the right to be forgotten. The store removes the rows and
 * rewrites the file so that no copy of the UID remains in it or its -wal. */
#include "cli.h"

#include <errno.h>

static const char usage[] =
	"usage: tapmeet forget UID|NAME --yes\n"
	"Erases a person everywhere: their registry row, their taps, every meeting\n"
	"they were in (the whole meeting and its badge list; the other badges' taps stay\n"
	"but lose their link to it) and the record of a follow-up sent to them (their\n"
	"address); then rewrites the database so no copy of the UID remains in the file\n"
	"or its -wal. Without --yes, says what would be removed.\n";

static void describe(FILE *f, const char *verb, const char *who, const struct tm_forget_counts *n)
{
	fprintf(f,
		"%s %s: %lld registry row, %lld taps, %lld meetings (%lld badge entries), "
		"%lld follow-up record; %lld taps of other badges unlinked from those meetings\n",
		verb, who, (long long)n->registry, (long long)n->taps, (long long)n->meetings,
		(long long)n->links, (long long)n->followups, (long long)n->unlinked);
}

int cmd_forget(struct cli *c, int argc, char **argv)
{
	bool yes = false;
	const struct cli_opt opts[] = {
		{ "yes", 'y', CLI_OPT_FLAG, &yes, NULL },
		{ 0 },
	};
	char uid[TM_STORED_UID_SIZE], name[1024], who[1100];
	struct tm_forget_counts n;
	int first, rc;

	if ((rc = cli_options(c, argc, argv, opts, usage, &first)) >= 0)
		return rc;
	if (first != argc - 1)
		return cli_usage_error(usage, "forget needs one UID or NAME");
	if ((rc = cli_open(c, yes)))
		return rc;
	if ((rc = cli_resolve_person(c, argv[first], uid, name, sizeof(name))))
		return rc;
	snprintf(who, sizeof(who), "%s%s%s%s", name, name[0] ? " (" : "", uid, name[0] ? ")" : "");
	if (!yes) {
		if (tm_store_forget_preview(c->store, uid, &n) < 0)
			return cli_store_error(c, "forget");
		if (n.registry + n.taps + n.meetings + n.followups == 0) {
			cli_err("%s is not in %s", who, c->db_path);
			return EXIT_DATA;
		}
		describe(stderr, "tapmeet: would remove", who, &n);
		cli_err("nothing removed: add --yes to erase");
		return EXIT_USAGE;
	}
	rc = tm_store_forget(c->store, uid, &n);
	if (rc == -ENOENT) {
		cli_err("%s is not in %s", who, c->db_path);
		return EXIT_DATA;
	}
	if (rc == -EAGAIN) {
		describe(stdout, "removed", who, &n);
		cli_err("the rows are gone, but %s; run 'tapmeet forget' again later or stop "
			"tapmeetd briefly",
			tm_store_errmsg(c->store));
		return EXIT_DATA;
	}
	if (rc < 0)
		return cli_store_error(c, "forget");
	describe(stdout, "removed", who, &n);
	return EXIT_OK;
}
