/* tapmeet person: one row per (meeting, other badge), so a meeting of three
 * lists both others, each with a name when registered. */
#include "cli.h"

#include <unistd.h>

static const char usage[] = "usage: tapmeet person NAME|UID [--format FMT]\n"
			    "Whom the person met, when and where. NAME matches case-insensitively\n"
			    "in any script, whole name first, then part of it; when several\n"
			    "attendees match, the candidates are listed and nothing else is done\n"
			    "(exit 2). On a terminal a summary line comes first; piped, only the\n"
			    "table. The suspect column says why the station doubted a meeting\n"
			    "(empty when it did not).\n";

int cmd_person(struct cli *c, int argc, char **argv)
{
	char uid[TM_STORED_UID_SIZE], name[1024];
	struct tm_rows *rows;
	int first, rc;

	if ((rc = cli_options(c, argc, argv, NULL, usage, &first)) >= 0)
		return rc;
	if (first != argc - 1)
		return cli_usage_error(usage, "person needs one NAME or UID");
	if ((rc = cli_open(c, false)))
		return rc;
	if ((rc = cli_resolve_person(c, argv[first], uid, name, sizeof(name))))
		return rc;
	if (c->format == FMT_TABLE && isatty(STDOUT_FILENO)) {
		int64_t meetings = 0, people = 0;

		if (tm_store_person_summary(c->store, uid, &meetings, &people) < 0)
			return cli_store_error(c, "person");
		if (name[0]) {
			out_terminal_text(stdout, name, 0, false);
			printf(" (%s)", uid);
		} else {
			fputs(uid, stdout);
		}
		printf(": %lld meetings with %lld people\n", (long long)meetings, (long long)people);
	}
	if (tm_store_person(c->store, uid, &rows) < 0)
		return cli_store_error(c, "person");
	rc = out_rows(c, rows, NULL);
	tm_rows_free(rows);
	return rc;
}
