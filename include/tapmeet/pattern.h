/* LED patterns: what the station shows, as pure data and a pure scheduler.
 *
 * Logical outputs are green, amber and red lights plus an optional buzzer;
 * a wiring maps them onto GPIO lines (separate LEDs, or one RGB LED where
 * amber is red + green). Every pattern is told apart by its rhythm as well
 * as its colour, for people who cannot tell red from green. The table is in
 * core/pattern.c and documented in docs/leds.md.
 */
#ifndef TAPMEET_PATTERN_H
#define TAPMEET_PATTERN_H

#include <stdbool.h>
#include <stdint.h>

enum tm_pattern {
	TM_PATTERN_NONE = 0,
	TM_PATTERN_OFF,
	TM_PATTERN_SELFTEST,
	TM_PATTERN_READY,
	TM_PATTERN_WAITING,
	TM_PATTERN_WAITING_HURRY,
	TM_PATTERN_SAVED,
	TM_PATTERN_ALREADY_MET,
	TM_PATTERN_CANCELLED,
	TM_PATTERN_TIMED_OUT,
	TM_PATTERN_REJECTED,
	TM_PATTERN_READER_FAULT,
	TM_PATTERN_STORAGE_FAULT,
	TM_PATTERN_COUNT
};

enum tm_light { TM_LIGHT_GREEN, TM_LIGHT_AMBER, TM_LIGHT_RED, TM_LIGHT_BUZZER, TM_LIGHT_COUNT };

#define TM_LIGHT_BIT(l) (1u << (l))
#define TM_G TM_LIGHT_BIT(TM_LIGHT_GREEN)
#define TM_A TM_LIGHT_BIT(TM_LIGHT_AMBER)
#define TM_R TM_LIGHT_BIT(TM_LIGHT_RED)
#define TM_BZ TM_LIGHT_BIT(TM_LIGHT_BUZZER)

#define TM_PATTERN_MAX_STEPS 12

struct tm_pattern_step {
	uint8_t lights; /* TM_LIGHT_BIT mask */
	uint16_t ms;
};

struct tm_pattern_def {
	const char *name;
	const char *meaning;
	bool loops; /* background patterns loop; feedback patterns play once */
	uint8_t n_steps;
	struct tm_pattern_step steps[TM_PATTERN_MAX_STEPS];
};

const struct tm_pattern_def *tm_pattern_get(enum tm_pattern p);
const char *tm_pattern_name(enum tm_pattern p);
/* Total length of one pass, in ms. */
int64_t tm_pattern_length(enum tm_pattern p);

/* Lights of pattern p, started at `since`, at time `now`; *next_change_ms gets
 * when they change next (TM_PATTERN_FOREVER for a steady state). */
#define TM_PATTERN_FOREVER INT64_MAX
unsigned tm_pattern_lights_at(enum tm_pattern p, int64_t since, int64_t now,
			      int64_t *next_change_ms);

/* The scheduler: a looping background (ready, waiting, a fault) with one-shot
 * feedback played over it. */
struct tm_show {
	enum tm_pattern base;
	int64_t base_since;
	enum tm_pattern feedback; /* TM_PATTERN_NONE when none is playing */
	int64_t feedback_since;
};

void tm_show_init(struct tm_show *s, int64_t now);
/* Changes the background; restarting the same one keeps its phase. */
void tm_show_set_base(struct tm_show *s, enum tm_pattern base, int64_t now);
/* Plays feedback once, replacing any feedback still playing. */
void tm_show_feedback(struct tm_show *s, enum tm_pattern feedback, int64_t now);
/* Lights now, and when to ask again. */
unsigned tm_show_lights(struct tm_show *s, int64_t now, int64_t *next_change_ms);

/* Background by priority: a storage fault hides everything (nothing can be
 * saved), then a reader fault, then the engine's own state. */
enum tm_pattern tm_show_pick_base(bool storage_fault, bool reader_fault, enum tm_pattern engine_base);

/* Wirings: which GPIO line (index into the configured lines) each light uses. */
enum tm_wiring { TM_WIRING_SEPARATE, TM_WIRING_RGB };
#define TM_LINES_MAX 4
/* Maps lights to a mask of line indexes: separate = green,amber,red,buzzer;
 * rgb = red,green,blue,buzzer with amber drawn as red + green. */
unsigned tm_wiring_lines(enum tm_wiring wiring, unsigned lights);

#endif
