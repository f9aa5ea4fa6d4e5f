/* tapmeet people: the registry plus every unknown badge the log has seen, so
 * that a badge handed out without registration still shows up. */
#include "cli.h"

static const char usage[] = "usage: tapmeet people [--format FMT]\n"
			    "Attendees and unknown badges with their number of meetings, of\n"
			    "distinct people met, and first and last tap.\n";

int cmd_people(struct cli *c, int argc, char **argv)
{
	struct tm_rows *rows;
	int first, rc;

	if ((rc = cli_options(c, argc, argv, NULL, usage, &first)) >= 0)
		return rc;
	if (first < argc)
		return cli_usage_error(usage, "unexpected argument '%s'", argv[first]);
	if ((rc = cli_open(c, false)))
		return rc;
	if (tm_store_people(c->store, &rows) < 0)
		return cli_store_error(c, "people");
	rc = out_rows(c, rows, NULL);
	tm_rows_free(rows);
	return rc;
}
