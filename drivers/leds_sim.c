/* Simulated LEDs: every change printed on stdout with a timestamp, as coloured
 * dots on a terminal (the demo) or as key=value lines (tests read these). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "tapmeet/clock.h"
#include "tapmeet/config.h"
#include "tapmeet/leds.h"
#include "tapmeet/pattern.h"

struct tm_leds {
	bool pretty;
	unsigned lights;
};

static int sim_open(const struct tm_config *cfg, struct tm_leds **out, char *err,
		    unsigned err_size)
{
	struct tm_leds *l = calloc(1, sizeof(*l));

	(void)err;
	(void)err_size;
	if (!l)
		return -ENOMEM;
	l->pretty = cfg->leds_color && isatty(STDOUT_FILENO);
	*out = l;
	return 0;
}

static void print_pretty(unsigned lights, const char *utc)
{
	static const char *const on[] = { "\033[1;32m●\033[0m", "\033[1;33m●\033[0m",
					  "\033[1;31m●\033[0m" };
	static const char *const names[] = { "green", "amber", "red" };

	printf("%.12s  ", utc + 11);
	for (int i = 0; i < 3; i++)
		printf(" %s %-5s", (lights & (1u << i)) ? on[i] : "\033[2m○\033[0m", names[i]);
	printf("%s\n", (lights & TM_BZ) ? "  \033[1m♪ beep\033[0m" : "");
}

static int sim_set(struct tm_leds *l, unsigned lights)
{
	char utc[TM_UTC_SIZE];

	if (lights == l->lights)
		return 0;
	l->lights = lights;
	tm_format_utc(tm_utc_ms(), utc);
	if (l->pretty)
		print_pretty(lights, utc);
	else
		printf("leds mono_ms=%lld utc=%s green=%d amber=%d red=%d buzzer=%d\n",
		       (long long)tm_mono_ms(), utc, !!(lights & TM_G), !!(lights & TM_A),
		       !!(lights & TM_R), !!(lights & TM_BZ));
	fflush(stdout);
	return 0;
}

static void sim_close(struct tm_leds *l)
{
	sim_set(l, 0);
	free(l);
}

const struct tm_leds_ops tm_leds_sim_ops = {
	.name = "sim",
	.open = sim_open,
	.set = sim_set,
	.close = sim_close,
};
