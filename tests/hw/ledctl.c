/* ledctl: drives drivers/leds_gpiod.c directly, for the gpio-sim VM test.
 *
 *   ledctl [-c CHIP] [-w separate|rgb] [-l IDX=NAME[:low]]... open
 *       opens, prints "open ok" or "open error=-N msg=...", closes; exit 0 / 1
 *   ledctl ... run
 *       opens, then reads masks (of TM_LIGHT_BIT lights) from stdin, one per
 *       line, setting each and printing "set MASK"; closes at EOF
 *
 * Linked with the driver, the pattern core (for the wiring) and the log,
 * nothing else, so that it runs in the small VM without the daemon.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tapmeet/config.h"
#include "tapmeet/leds.h"
#include "tapmeet/log.h"
#include "tapmeet/pattern.h"

static void usage(void)
{
	fprintf(stderr, "usage: ledctl [-c CHIP] [-w separate|rgb] [-l IDX=NAME[:low]]... open|run\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct tm_config cfg;
	struct tm_leds *leds = NULL;
	char err[512] = "";
	char buf[64];
	int i, ret;

	memset(&cfg, 0, sizeof(cfg));
	cfg.leds_wiring = TM_WIRING_SEPARATE;
	for (i = 1; i < argc - 1; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc - 1) {
			snprintf(cfg.leds_chip, sizeof(cfg.leds_chip), "%s", argv[++i]);
		} else if (strcmp(argv[i], "-w") == 0 && i + 1 < argc - 1) {
			cfg.leds_wiring = strcmp(argv[++i], "rgb") == 0 ? TM_WIRING_RGB
								       : TM_WIRING_SEPARATE;
		} else if (strcmp(argv[i], "-l") == 0 && i + 1 < argc - 1) {
			char *spec = argv[++i], *eq = strchr(spec, '='), *colon;
			int idx = atoi(spec);

			if (!eq || idx < 0 || idx >= TM_LINES_MAX)
				usage();
			colon = strchr(eq + 1, ':');
			if (colon) {
				cfg.lines[idx].active_low = strcmp(colon + 1, "low") == 0;
				*colon = '\0';
			}
			snprintf(cfg.lines[idx].name, sizeof(cfg.lines[idx].name), "%s", eq + 1);
		} else {
			usage();
		}
	}
	if (i != argc - 1)
		usage();

	ret = tm_leds_gpiod_ops.open(&cfg, &leds, err, sizeof(err));
	if (ret < 0) {
		printf("open error=%d (%s) msg=%s\n", ret, strerror(-ret), err);
		return 1;
	}
	printf("open ok\n");
	fflush(stdout);

	if (strcmp(argv[argc - 1], "run") == 0) {
		while (fgets(buf, sizeof(buf), stdin)) {
			unsigned mask = (unsigned)strtoul(buf, NULL, 0);

			ret = tm_leds_gpiod_ops.set(leds, mask);
			printf("set %u ret=%d\n", mask, ret);
			fflush(stdout);
		}
	} else if (strcmp(argv[argc - 1], "open") != 0) {
		usage();
	}
	tm_leds_gpiod_ops.close(leds);
	printf("closed\n");
	return 0;
}
