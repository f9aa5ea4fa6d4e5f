/* tapmeet: the organizers' view of the meeting log. Dispatch only; each
 * subcommand lives in its own cmd_*.c. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tapmeet/config.h"

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
	"  export gexf|graphml|dot|csv|tij | export contacts NAME|UID [--format csv|vcard]\n"
	"  forget UID|NAME --yes       erase a person from the log\n"
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
};

int cli_common_option(struct cli *c, int opt, const char *arg, const char *cmd_usage)
{
	switch (opt) {
	case OPT_FORMAT:
		return cli_parse_format(c, arg) < 0 ? EXIT_USAGE + 2 : 1;
	case OPT_DB:
		snprintf(c->db_buf, sizeof(c->db_buf), "%s", arg);
		c->db_path = c->db_buf;
		return 1;
	case OPT_CONFIG:
		c->config_path = arg;
		return 1;
	case 'h':
		fputs(cmd_usage, stdout);
		return EXIT_OK + 2;
	case '?':
		fputs(cmd_usage, stderr);
		return EXIT_USAGE + 2;
	default:
		return 0;
	}
}

/* The daemon's config gives the database path and the privacy key; an
 * unreadable default config is normal for organizers, a broken one is not. */
static int load_config(struct cli *c)
{
	static struct tm_config cfg; /* large: PATH_MAX buffers */
	const char *path = c->config_path;
	char err[512] = "";
	int rc;

	tm_config_defaults(&cfg);
	if (!path && access(TM_DEFAULT_CONFIG_PATH, R_OK) == 0)
		path = TM_DEFAULT_CONFIG_PATH;
	if (path) {
		rc = tm_config_load(&cfg, path, err, sizeof(err));
		if (rc < 0) {
			if (err[0])
				cli_err("%s", err);
			else
				cli_err("cannot read config %s: %s", path, strerror(-rc));
			return EXIT_DATA;
		}
	}
	if (!c->db_path) {
		snprintf(c->db_buf, sizeof(c->db_buf), "%s", cfg.store_path);
		c->db_path = c->db_buf;
	}
	snprintf(c->uid_key, sizeof(c->uid_key), "%s", cfg.privacy_uid_key);
	c->busy_ms = cfg.store_busy_timeout_ms > 0 ? cfg.store_busy_timeout_ms : 5000;
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "version", no_argument, NULL, 'V' },
		{ 0, 0, 0, 0 },
	};
	struct cli c = { .prog = "tapmeet", .format = FMT_TABLE };
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "+hV", opts, NULL)) != -1) {
		if (opt == 'V') {
			printf("tapmeet %s\n", TAPMEET_VERSION);
			return EXIT_OK;
		}
		rc = cli_common_option(&c, opt, optarg, usage);
		if (rc > 1)
			return CLI_STOP(rc);
	}
	if (optind >= argc)
		return cli_usage_error(usage, "no command given");
	if (!strcmp(argv[optind], "help")) {
		fputs(usage, stdout);
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[optind], commands[i].name))
			continue;
		/* Subcommands parse their options with getopt from a fresh start. */
		argc -= optind;
		argv += optind;
		optind = 0;
		rc = commands[i].fn(&c, argc, argv);
		cli_close(&c);
		return rc;
	}
	return cli_usage_error(usage, "unknown command '%s'", argv[optind]);
}

/* Called by cli_open: the config is read only by commands that use the log. */
int cli_setup(struct cli *c)
{
	return load_config(c);
}
