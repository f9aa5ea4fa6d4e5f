/* tapmeetd: the station daemon. Parses the command line and the config,
 * then hands over to the event loop in station.c. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "station.h"
#include "tapmeet/exit.h"
#include "tapmeet/config.h"
#include "tapmeet/log.h"
#include "tapmeet/pattern.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: tapmeetd [--config FILE] [--check-config] [--print-patterns] [--version]\n"
		"\n"
		"Records who met whom: pairs NFC badge taps into meetings, stores them in\n"
		"SQLite and answers with LEDs.\n"
		"\n"
		"  -c, --config FILE     configuration (default %s)\n"
		"  -t, --check-config    validate the configuration and exit (0 = valid)\n"
		"      --print-patterns  print the LED pattern table and exit\n"
		"  -V, --version         print the version and exit\n"
		"  -h, --help            this help\n",
		TM_DEFAULT_CONFIG_PATH);
}

static void print_patterns(void)
{
	static const char *const light[] = { "green", "amber", "red", "buzzer" };

	for (int p = TM_PATTERN_OFF; p < TM_PATTERN_COUNT; p++) {
		const struct tm_pattern_def *d = tm_pattern_get((enum tm_pattern)p);

		printf("%s\t%s\t", d->name, d->loops ? "loop" : "once");
		for (unsigned i = 0; i < d->n_steps; i++) {
			bool any = false;

			printf("%s", i ? " " : "");
			for (int l = 0; l < TM_LIGHT_COUNT; l++) {
				if (d->steps[i].lights & TM_LIGHT_BIT(l)) {
					printf("%s%s", any ? "+" : "", light[l]);
					any = true;
				}
			}
			printf("%s:%u", any ? "" : "off", d->steps[i].ms);
		}
		printf("\t%s\n", d->meaning);
	}
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 't' },
		{ "print-patterns", no_argument, NULL, 'P' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config_path = TM_DEFAULT_CONFIG_PATH;
	bool check_only = false;
	struct tm_config cfg;
	char err[512];
	int opt, rc;

	tm_log_init("tapmeetd");
	while ((opt = getopt_long(argc, argv, "c:tVh", options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 't':
			check_only = true;
			break;
		case 'P':
			print_patterns();
			return 0;
		case 'V':
			printf("tapmeetd %s\n", TAPMEET_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "tapmeetd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}

	tm_config_defaults(&cfg);
	rc = tm_config_load(&cfg, config_path, err, sizeof(err));
	if (rc < 0) {
		if (check_only)
			fprintf(stderr, "tapmeetd: %s\n", err);
		else
			tm_err("event=config-error error=\"%s\"", err);
		return EXIT_DATA;
	}
	/* A key everyone can read turns the hashes back into badge UIDs for
	 * anyone on the station: said at every start, not refused, so that a
	 * station set up the night before still starts. */
	if (cfg.uid_key_exposed && check_only)
		fprintf(stderr, "tapmeetd: warning: %s holds [privacy] uid_key and every user can "
				"read it; chmod o-r %s\n", config_path, config_path);
	else if (cfg.uid_key_exposed)
		tm_warn("event=config-warning detail=\"%s holds [privacy] uid_key and every user "
			"can read it; chmod o-r %s\"", config_path, config_path);
	if (check_only) {
		char leds[PATH_MAX + 512];

		printf("%s: ok\n", config_path);
		tm_config_format_leds(&cfg, leds, sizeof(leds));
		printf("%s\n", leds);
		return 0;
	}
	tm_log_set_level(tm_log_level_parse(cfg.log_level));
	/* The database is group-readable for staff in the tapmeet group, never
	 * world-readable. */
	umask(0027);
	rc = station_run(&cfg, config_path);
	return rc < 0 ? EXIT_DATA : EXIT_OK;
}
