/* The pairing engine: turns what the reader sees into taps, meetings and feedback.
 *
 * Pure: no I/O, no clock. Every call takes the current monotonic time in
 * milliseconds, so tests drive it with a fake clock and the daemon with
 * CLOCK_MONOTONIC. The only allocation is the repeat guard's set of pairs
 * (tm_engine_free releases it). The caller drains the actions it produced with
 * tm_engine_pop() and arms a timer for tm_engine_next_deadline().
 * The states and decisions are documented in docs/pairing.md.
 */
#ifndef TAPMEET_ENGINE_H
#define TAPMEET_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tapmeet/badge.h"
#include "tapmeet/pairs.h"
#include "tapmeet/pattern.h"

#define TM_NEVER INT64_MAX

struct tm_engine_config {
	int64_t window_ms;       /* how long a first badge waits for a partner */
	int64_t repeat_guard_ms; /* the same pair again within this is "already met" */
	int64_t rearm_ms;        /* a badge must be away this long to tap again */
	int64_t confirm_ms;      /* how long a stored meeting is confirmed */
	int64_t hurry_ms;        /* last part of the window, shown more urgently */
	/* Taps one after the other may make a meeting. When false, only badges
	 * on the reader at the same time do; a lone badge is told to come back
	 * with its partner's. */
	bool sequential;
	/* A badge that was in a meeting this recently (or is in the one being
	 * confirmed) is taken for a re-tap ("already met"): it pairs only with
	 * a badge on the reader at the same time, never with one tapped before
	 * or after it. 0: only during the confirmation. */
	int64_t after_meeting_ms;
	/* A sequential meeting whose partner came later than this after the
	 * first tap is stored as suspect. 0: never. */
	int64_t suspect_delay_ms;
	/* Every sequential meeting (the first badge gone from the reader when
	 * the second came) is stored as suspect. */
	bool suspect_sequential;
	/* A badge counts as tapped once it has been on the reader this long; one
	 * that leaves sooner was passing by (a lanyard swinging past, the edge of
	 * the next station's field) and is logged as cancelled, never paired.
	 * 0: a badge counts the moment it is seen. */
	int64_t min_dwell_ms;
};

void tm_engine_config_defaults(struct tm_engine_config *cfg);

enum tm_tap_outcome {
	TM_TAP_PENDING = 0, /* first badge, waiting for a partner */
	TM_TAP_PAIRED,
	TM_TAP_UNPAIRED,
	TM_TAP_CANCELLED,
	TM_TAP_DUPLICATE,
	TM_TAP_REJECTED,
};

const char *tm_tap_outcome_name(enum tm_tap_outcome outcome);

struct tm_tap {
	uint64_t ref; /* engine-wide tap number, from 1; the same tap keeps it */
	struct tm_badge badge;
	int64_t at_ms; /* when the badge arrived */
	enum tm_tap_outcome outcome;
	char reason[96]; /* why unpaired/cancelled/duplicate/rejected; empty otherwise */
};

enum tm_action_type {
	/* Record these taps (insert, or update the outcome of a tap recorded
	 * earlier with the same ref). */
	TM_ACTION_TAPS,
	/* These taps (all TM_TAP_PAIRED) make one meeting; store it and the
	 * taps in one transaction, then show `pattern`. */
	TM_ACTION_MEETING,
};

struct tm_action {
	enum tm_action_type type;
	int64_t at_ms;
	size_t n_taps;
	struct tm_tap taps[TM_MAX_BADGES_AT_ONCE];
	/* Feedback for the people at the station; TM_PATTERN_NONE when the
	 * station state alone says it (a first tap shows "waiting"). */
	enum tm_pattern pattern;
	/* Why this meeting is less certain than most, or "" (docs/pairing.md). */
	char suspect[64];
};

#define TM_ENGINE_MAX_SEEN 16
#define TM_ENGINE_QUEUE 32

struct tm_engine_seen {
	struct tm_badge badge;
	bool present;
	/* This presence has been decided: a tap, a rejection, or passing by.
	 * Until then the badge has not been on the reader for min_dwell. */
	bool counted;
	/* This presence is settled: its tap is in a meeting, or it cannot be
	 * anyone's partner (rejected). Other badges on the reader make a
	 * meeting suspect. */
	bool done;
	int64_t arrived_ms; /* when this presence began; flicker within rearm continues it */
	int64_t absent_since_ms;
};

struct tm_engine {
	struct tm_engine_config cfg;
	uint64_t next_ref;

	bool pending;
	bool pending_retap; /* the waiting badge met just before: together only */
	struct tm_tap pending_tap;

	/* The meeting being confirmed, so that its members tapping again are
	 * recognised instead of opening a new window. */
	bool confirming;
	int64_t confirm_until_ms;
	size_t n_confirmed;
	struct tm_badge confirmed[TM_MAX_BADGES_AT_ONCE];

	size_t n_seen;
	struct tm_engine_seen seen[TM_ENGINE_MAX_SEEN];

	/* Every pair that met within the repeat guard (no fixed limit), and
	 * every badge that met within after_meeting, kept as the pair {b, b}. */
	struct tm_pairs recent;
	struct tm_pairs recent_badges;
	uint64_t remember_failures; /* -ENOMEM from the pair set: logged by the caller */

	size_t queue_head, queue_len;
	struct tm_action queue[TM_ENGINE_QUEUE];
	uint64_t dropped_actions; /* only if the caller never drains; tested */
};

void tm_engine_init(struct tm_engine *e, const struct tm_engine_config *cfg);
/* Releases the repeat guard's memory; the engine is empty afterwards. */
void tm_engine_free(struct tm_engine *e);

/* Takes new timings and keeps whatever is pending (SIGHUP). */
void tm_engine_reconfigure(struct tm_engine *e, const struct tm_engine_config *cfg);

/* The complete set of badges on the reader now. Badges that arrived since the
 * last call become taps (after re-arm); two or more arriving together make a
 * meeting at once. */
void tm_engine_badges(struct tm_engine *e, int64_t now_ms, const struct tm_badge *present,
		      size_t n_present);

/* Conveniences over tm_engine_badges for readers that report one badge. */
void tm_engine_present(struct tm_engine *e, int64_t now_ms, const struct tm_badge *badge);
void tm_engine_removed(struct tm_engine *e, int64_t now_ms, const struct tm_badge *badge);

/* A badge the reader could not use (unknown tag type, read error): recorded as rejected. */
void tm_engine_reject(struct tm_engine *e, int64_t now_ms, const struct tm_badge *badge,
		      const char *reason);

/* Advances time: expires the window and the confirmation. */
void tm_engine_tick(struct tm_engine *e, int64_t now_ms);

/* The next time tm_engine_tick has something to do, or TM_NEVER. */
int64_t tm_engine_next_deadline(const struct tm_engine *e, int64_t now_ms);

/* Seeds the repeat guard with a meeting stored before a restart. */
void tm_engine_remember_meeting(struct tm_engine *e, const struct tm_badge *badges, size_t n,
				int64_t met_ms);

/* The station is stopping: a tap still waiting for a partner is logged as
 * unpaired now rather than left pending. */
void tm_engine_abandon(struct tm_engine *e, int64_t now_ms);

bool tm_engine_pop(struct tm_engine *e, struct tm_action *out);

/* What the LEDs show between events: waiting (with hurry near the end) or ready. */
enum tm_pattern tm_engine_base_pattern(const struct tm_engine *e, int64_t now_ms);

#endif
