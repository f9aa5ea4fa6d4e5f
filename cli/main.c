/* tapmeet: the organizers' view of the meeting log. Dispatch only; each
 * subcommand lives in its own cmd_*.c. */
#include "cli.h"

#include <string.h>

#ifndef TAPMEET_VERSION
#define TAPMEET_VERSION "unknown"
#endif

static const char usage[] =
	"usage: tapmeet [--db PATH] [--config FILE] [--format FMT] COMMAND [ARGS]\n"
	"\n"
	"commands:\n"
	"  meetings [--since T] [--until T] [--badge UID] [--person NAME] [--station ID] [--limit N]\n"
	"  people                      attendees and unknown badges, with meeting counts\n"
	"  person NAME|UID             whom they met, when and where\n"
	"  stats                       totals, meetings per hour, top connectors, stations\n"
	"  tail [-f] [-n N]            the latest meetings; -f follows new ones\n"
	"  status [--station ID]       station health; exit 3 when unhealthy, 4 on a warning\n"
	"  attendees import FILE.csv | attendees list\n"
	"  export gexf|graphml|dot|csv|tij | export contacts NAME|UID [--format csv|json|vcard]\n"
	"  forget UID|NAME --yes       erase a person from the log\n"
	"  report --html FILE          the event on one HTML page; --watch keeps it current\n"
	"  followup [--send] [--out DIR] [--template FILE] [--event NAME] [--only NAME|UID]\n"
	"\n"
	"FMT: table (default), csv, json, ndjson. 'tapmeet COMMAND --help' for details.\n"
	"Exit: 0 ok, 1 usage, 2 data or database error, 3 unhealthy, 4 warning.\n";

static const struct {
	const char *name;
	cli_cmd_fn fn;
} commands[] = {
	{ "meetings", cmd_meetings }, { "people", cmd_people },	  { "person", cmd_person },
	{ "stats", cmd_stats },	      { "attendees", cmd_attendees }, { "status", cmd_status },
	{ "tail", cmd_tail },	      { "export", cmd_export },	  { "forget", cmd_forget },
	{ "report", cmd_report },
	{ "followup", cmd_followup },
};

int main(int argc, char **argv)
{
	struct cli c = { .prog = "tapmeet", .format = FMT_TABLE };
	bool version = false;
	const struct cli_opt opts[] = {
		{ "version", 'V', CLI_OPT_FLAG, &version, NULL },
		{ 0 },
	};
	int first, rc;

	rc = cli_options(&c, argc, argv, opts, usage, &first);
	if (rc >= 0)
		return rc;
	if (version) {
		printf("tapmeet %s\n", TAPMEET_VERSION);
		return EXIT_OK;
	}
	if (first >= argc)
		return cli_usage_error(usage, "no command given");
	if (!strcmp(argv[first], "help")) {
		fputs(usage, stdout);
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[first], commands[i].name))
			continue;
		c.in_command = true;
		rc = commands[i].fn(&c, argc - first, argv + first);
		cli_close(&c);
		return rc;
	}
	return cli_usage_error(usage, "unknown command '%s'", argv[first]);
}
