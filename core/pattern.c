/* The pattern table and the scheduler that plays it. Pure: time comes in.
 *
 * Patterns differ in rhythm as well as colour, so that a person who cannot
 * tell red from green still reads them: a short blip every 3 s is "ready",
 * a slow blink "waiting", a fast blink "hurry", a long steady light "saved",
 * two double blinks "already met", one long light "cancelled", three short
 * blinks "timed out", a long buzz and fast flicker "rejected", a slow blink
 * that never stops a reader fault, a steady light that never stops a storage
 * fault. docs/leds.md has the same table for people. */
#include "tapmeet/pattern.h"

#include <stddef.h>

#define STEP(l, t) { (uint8_t)(l), (uint16_t)(t) }

static const struct tm_pattern_def patterns[TM_PATTERN_COUNT] = {
	[TM_PATTERN_NONE] = { "none", "no feedback", false, 0, { STEP(0, 0) } },
	[TM_PATTERN_OFF] = { "off", "station stopped", true, 1, { STEP(0, 1000) } },
	[TM_PATTERN_SELFTEST] = { "selftest", "starting: every light in turn", false, 5,
		{ STEP(TM_G, 250), STEP(TM_A, 250), STEP(TM_R, 250),
		  STEP(TM_G | TM_A | TM_R | TM_BZ, 150), STEP(0, 100) } },
	[TM_PATTERN_READY] = { "ready", "your turn: both badges on the reader", true, 2,
		{ STEP(TM_G, 100), STEP(0, 2900) } },
	[TM_PATTERN_WAITING] = { "waiting", "one badge on the reader: put the partner's on too", true, 2,
		{ STEP(TM_A, 500), STEP(0, 500) } },
	[TM_PATTERN_WAITING_HURRY] = { "waiting-hurry", "the wait is about to end", true, 2,
		{ STEP(TM_A, 125), STEP(0, 125) } },
	[TM_PATTERN_SAVED] = { "saved", "meeting stored", false, 2,
		{ STEP(TM_G | TM_BZ, 150), STEP(TM_G, 1350) } },
	[TM_PATTERN_ALREADY_MET] = { "already-met", "this pair met a moment ago; not stored twice",
		false, 8,
		{ STEP(TM_G | TM_BZ, 100), STEP(0, 100), STEP(TM_G | TM_BZ, 100), STEP(0, 400),
		  STEP(TM_G, 100), STEP(0, 100), STEP(TM_G, 100), STEP(0, 400) } },
	[TM_PATTERN_CANCELLED] = { "cancelled", "same badge again: pending tap cancelled", false, 2,
		{ STEP(TM_A, 1000), STEP(0, 200) } },
	[TM_PATTERN_TIMED_OUT] = { "timed-out", "no partner's badge came; logged alone: try again, both together", false, 6,
		{ STEP(TM_A, 150), STEP(0, 150), STEP(TM_A, 150), STEP(0, 150), STEP(TM_A, 150),
		  STEP(0, 150) } },
	[TM_PATTERN_REJECTED] = { "rejected", "this badge cannot be used (e.g. a phone)", false, 8,
		{ STEP(TM_R | TM_BZ, 400), STEP(0, 100), STEP(TM_R, 100), STEP(0, 100),
		  STEP(TM_R, 100), STEP(0, 100), STEP(TM_R, 100), STEP(0, 100) } },
	[TM_PATTERN_READER_FAULT] = { "reader-fault", "the NFC reader is missing or failing", true,
		2, { STEP(TM_R, 1000), STEP(0, 1000) } },
	[TM_PATTERN_STORAGE_FAULT] = { "storage-fault", "taps cannot be saved; kept in memory",
		true, 1, { STEP(TM_R, 1000) } },
};

const struct tm_pattern_def *tm_pattern_get(enum tm_pattern p)
{
	if ((unsigned)p >= TM_PATTERN_COUNT)
		p = TM_PATTERN_NONE;
	return &patterns[p];
}

const char *tm_pattern_name(enum tm_pattern p)
{
	return tm_pattern_get(p)->name;
}

int64_t tm_pattern_length(enum tm_pattern p)
{
	const struct tm_pattern_def *d = tm_pattern_get(p);
	int64_t total = 0;

	for (unsigned i = 0; i < d->n_steps; i++)
		total += d->steps[i].ms;
	return total;
}

unsigned tm_pattern_lights_at(enum tm_pattern p, int64_t since, int64_t now,
			      int64_t *next_change_ms)
{
	const struct tm_pattern_def *d = tm_pattern_get(p);
	int64_t length = tm_pattern_length(p);
	int64_t elapsed = now - since, cycle_start, t;

	*next_change_ms = TM_PATTERN_FOREVER;
	if (d->n_steps == 0 || length <= 0)
		return 0;
	if (elapsed < 0)
		elapsed = 0;
	if (!d->loops && elapsed >= length)
		return 0;
	if (d->loops && d->n_steps == 1)
		return d->steps[0].lights; /* steady */
	cycle_start = now - elapsed % length;
	t = cycle_start;
	for (unsigned i = 0; i < d->n_steps; i++) {
		t += d->steps[i].ms;
		if (now < t) {
			*next_change_ms = t;
			return d->steps[i].lights;
		}
	}
	return 0; /* not reached: now < cycle_start + length */
}

void tm_show_init(struct tm_show *s, int64_t now)
{
	s->base = TM_PATTERN_OFF;
	s->base_since = now;
	s->feedback = TM_PATTERN_NONE;
	s->feedback_since = now;
}

void tm_show_set_base(struct tm_show *s, enum tm_pattern base, int64_t now)
{
	if (s->base == base)
		return;
	s->base = base;
	s->base_since = now;
}

void tm_show_feedback(struct tm_show *s, enum tm_pattern feedback, int64_t now)
{
	/* Looping patterns are states, not feedback: asking for one clears the
	 * feedback so the new state shows at once. */
	if (feedback == TM_PATTERN_NONE || tm_pattern_get(feedback)->loops) {
		s->feedback = TM_PATTERN_NONE;
		return;
	}
	s->feedback = feedback;
	s->feedback_since = now;
}

unsigned tm_show_lights(struct tm_show *s, int64_t now, int64_t *next_change_ms)
{
	if (s->feedback != TM_PATTERN_NONE) {
		int64_t end = s->feedback_since + tm_pattern_length(s->feedback);

		if (now < end) {
			unsigned lights = tm_pattern_lights_at(s->feedback, s->feedback_since, now,
							       next_change_ms);
			if (*next_change_ms > end)
				*next_change_ms = end;
			return lights;
		}
		s->feedback = TM_PATTERN_NONE;
	}
	return tm_pattern_lights_at(s->base, s->base_since, now, next_change_ms);
}

enum tm_pattern tm_show_pick_base(bool storage_fault, bool reader_fault, enum tm_pattern engine_base)
{
	if (storage_fault)
		return TM_PATTERN_STORAGE_FAULT;
	if (reader_fault)
		return TM_PATTERN_READER_FAULT;
	return engine_base;
}

unsigned tm_wiring_lines(enum tm_wiring wiring, unsigned lights)
{
	unsigned lines = 0;

	if (wiring == TM_WIRING_RGB) {
		if (lights & (TM_R | TM_A))
			lines |= 1u << 0;
		if (lights & (TM_G | TM_A))
			lines |= 1u << 1;
	} else {
		if (lights & TM_G)
			lines |= 1u << 0;
		if (lights & TM_A)
			lines |= 1u << 1;
		if (lights & TM_R)
			lines |= 1u << 2;
	}
	if (lights & TM_BZ)
		lines |= 1u << 3;
	return lines;
}
