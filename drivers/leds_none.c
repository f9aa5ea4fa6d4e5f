/* No LEDs: a station that answers only in its log. */
#include <errno.h>
#include <stdlib.h>

#include "tapmeet/leds.h"

struct tm_leds {
	int unused;
};

static int none_open(const struct tm_config *cfg, struct tm_leds **out, char *err,
		     unsigned err_size)
{
	(void)cfg;
	(void)err;
	(void)err_size;
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

static int none_set(struct tm_leds *leds, unsigned lights)
{
	(void)leds;
	(void)lights;
	return 0;
}

static void none_close(struct tm_leds *leds)
{
	free(leds);
}

const struct tm_leds_ops tm_leds_none_ops = {
	.name = "none",
	.open = none_open,
	.set = none_set,
	.close = none_close,
};
