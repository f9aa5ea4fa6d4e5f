/* LED drivers: where the lights go. One file per backend in drivers/. */
#ifndef TAPMEET_LEDS_H
#define TAPMEET_LEDS_H

struct tm_config;
struct tm_leds;

struct tm_leds_ops {
	const char *name;
	/* -ENODEV / -EBUSY etc. with a message in err when the hardware is not usable. */
	int (*open)(const struct tm_config *cfg, struct tm_leds **out, char *err, unsigned err_size);
	/* lights: TM_LIGHT_BIT mask of logical lights (see pattern.h). */
	int (*set)(struct tm_leds *leds, unsigned lights);
	/* Turns every light off and releases the hardware. */
	void (*close)(struct tm_leds *leds);
};

extern const struct tm_leds_ops tm_leds_sim_ops;
extern const struct tm_leds_ops tm_leds_none_ops;
#ifdef TAPMEET_HAVE_GPIOD
extern const struct tm_leds_ops tm_leds_gpiod_ops;
#endif

const struct tm_leds_ops *tm_leds_find(const char *name);

#endif
