/* The pairing engine (core/engine.c) under sequences of arrivals, removals,
 * rejections, time steps and reconfigurations decoded from the input, with
 * its timings taken from the input's first bytes. After every call the
 * actions are drained and checked:
 *
 * - every tap ref is new when it first appears, a pending tap gets exactly
 *   one final outcome later, every other outcome is final at once, and
 *   none is left pending once the station stops and time runs on;
 * - a random UID (tm_badge_random_uid: a phone) is never in a meeting;
 * - a meeting holds two or more distinct badges, all paired, and no badge
 *   is in two meetings produced by the same call;
 * - the engine never stalls: a deadline in the past goes away when ticked,
 *   and after the stop the deadlines end (TM_NEVER) within a bounded run;
 * - no action is dropped (the queue is drained after every call).
 *
 * tests/unit/test_engine_props.c checks the rules themselves against a
 * model; this harness lets the fuzzer choose the sequences. */
#include <stdbool.h>

#include "fuzz.h"
#include "tapmeet/engine.h"

#define POOL 16 /* 12 badges, 2 phones, 2 of 7 and 10 bytes */
#define MAX_REFS 16384

enum { REF_UNSEEN, REF_PENDING, REF_FINAL };

struct run {
	struct tm_engine e;
	struct tm_badge pool[POOL];
	bool on[POOL];
	int64_t now;
	uint8_t refs[MAX_REFS];
	const uint8_t *data;
	size_t size, pos;
};

static uint8_t next(struct run *r)
{
	return r->pos < r->size ? r->data[r->pos++] : 0;
}

static void make_pool(struct run *r)
{
	for (int i = 0; i < POOL; i++) {
		struct tm_badge *b = &r->pool[i];

		memset(b, 0, sizeof(*b));
		b->kind = TM_BADGE_SIMULATED;
		b->uid_len = i == 14 ? 7 : i == 15 ? 10 : 4;
		b->uid[0] = i == 12 || i == 13 ? 0x08 : 0x04; /* 0x08: a random UID */
		b->uid[1] = (uint8_t)(0x10 + i);
		b->uid[b->uid_len - 1] = (uint8_t)(0xA0 + i);
		b->random = tm_badge_random_uid(b);
	}
}

static void config_from(struct run *r, struct tm_engine_config *cfg, int64_t rearm_ms)
{
	uint8_t flags = next(r);

	tm_engine_config_defaults(cfg);
	cfg->window_ms = 200 + 100 * (int64_t)next(r);
	cfg->repeat_guard_ms = 1000 * (int64_t)next(r);
	cfg->rearm_ms = rearm_ms;
	cfg->confirm_ms = 20 * (int64_t)next(r);
	cfg->hurry_ms = cfg->window_ms / 3;
	cfg->sequential = flags & 1;
	cfg->after_meeting_ms = flags & 2 ? 50 * (int64_t)next(r) : 0;
	cfg->suspect_delay_ms = flags & 4 ? 50 * (int64_t)next(r) : 0;
	cfg->suspect_sequential = flags & 8;
	cfg->min_dwell_ms = flags & 16 ? 10 * (int64_t)next(r) : 0;
}

static void check_tap_final(struct run *r, const struct tm_tap *t)
{
	FUZZ_ASSERT(t->ref >= 1 && t->ref < MAX_REFS, "ref %llu", (unsigned long long)t->ref);
	FUZZ_ASSERT(r->refs[t->ref] != REF_FINAL, "tap %llu given a second final outcome (%s)",
		    (unsigned long long)t->ref, tm_tap_outcome_name(t->outcome));
	r->refs[t->ref] = REF_FINAL;
}

/* Drains the actions of one engine call. */
static void drain(struct run *r)
{
	struct tm_badge met[4 * TM_MAX_BADGES_AT_ONCE];
	size_t n_met = 0;
	struct tm_action a;

	while (tm_engine_pop(&r->e, &a)) {
		FUZZ_ASSERT(a.n_taps >= 1 && a.n_taps <= TM_MAX_BADGES_AT_ONCE, "%zu taps", a.n_taps);
		if (a.type == TM_ACTION_MEETING) {
			FUZZ_ASSERT(a.n_taps >= 2, "a meeting of %zu badge", a.n_taps);
			for (size_t i = 0; i < a.n_taps; i++) {
				const struct tm_tap *t = &a.taps[i];

				FUZZ_ASSERT(t->outcome == TM_TAP_PAIRED, "a meeting's tap is %s",
					    tm_tap_outcome_name(t->outcome));
				FUZZ_ASSERT(!t->badge.random && !tm_badge_random_uid(&t->badge),
					    "a random UID in a meeting");
				for (size_t j = 0; j < i; j++)
					FUZZ_ASSERT(!tm_badge_same(&t->badge, &a.taps[j].badge),
						    "a badge twice in one meeting");
				for (size_t j = 0; j < n_met; j++)
					FUZZ_ASSERT(!tm_badge_same(&t->badge, &met[j]),
						    "a badge in two meetings at once");
				check_tap_final(r, t);
			}
			for (size_t i = 0; i < a.n_taps && n_met < sizeof(met) / sizeof(met[0]); i++)
				met[n_met++] = a.taps[i].badge;
			continue;
		}
		FUZZ_ASSERT(a.type == TM_ACTION_TAPS, "action type %d", a.type);
		for (size_t i = 0; i < a.n_taps; i++) {
			const struct tm_tap *t = &a.taps[i];

			FUZZ_ASSERT(t->outcome != TM_TAP_PAIRED, "a paired tap outside a meeting");
			if (t->outcome == TM_TAP_PENDING) {
				FUZZ_ASSERT(t->ref >= 1 && t->ref < MAX_REFS, "ref %llu",
					    (unsigned long long)t->ref);
				FUZZ_ASSERT(r->refs[t->ref] == REF_UNSEEN, "tap %llu pending again",
					    (unsigned long long)t->ref);
				r->refs[t->ref] = REF_PENDING;
			} else {
				check_tap_final(r, t);
			}
		}
	}
	FUZZ_ASSERT(r->e.dropped_actions == 0, "%llu actions dropped",
		    (unsigned long long)r->e.dropped_actions);
}

/* A deadline in the past must go away when the engine is ticked. */
static void check_progress(struct run *r)
{
	for (int k = 0;; k++) {
		int64_t d = tm_engine_next_deadline(&r->e, r->now);

		if (d > r->now)
			return;
		FUZZ_ASSERT(k < 8, "deadline %lld stays at or before now %lld", (long long)d,
			    (long long)r->now);
		tm_engine_tick(&r->e, r->now);
		drain(r);
	}
}

static void reader(struct run *r)
{
	struct tm_badge set[TM_MAX_BADGES_AT_ONCE];
	size_t n = 0;

	for (int i = 0; i < POOL && n < TM_MAX_BADGES_AT_ONCE; i++)
		if (r->on[i])
			set[n++] = r->pool[i];
	tm_engine_badges(&r->e, r->now, set, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct run r;
	struct tm_engine_config cfg;
	int64_t rearm_ms;

	if (size > 4096)
		return 0;
	memset(&r, 0, sizeof(r));
	r.data = data;
	r.size = size;
	make_pool(&r);
	/* rearm stays for the run, as in the unit test's model. */
	rearm_ms = 10 * (int64_t)next(&r);
	config_from(&r, &cfg, rearm_ms);
	r.now = 1000;
	tm_engine_init(&r.e, &cfg);

	while (r.pos < r.size) {
		uint8_t op = next(&r), arg = next(&r);
		int i = arg % POOL;
		int64_t d;

		switch (op % 9) {
		case 0:
		case 1: /* put down (several bits: several badges at once) */
			r.on[i] = true;
			if (op & 0x80)
				r.on[(i + 1 + (op >> 4) % (POOL - 1)) % POOL] = true;
			reader(&r);
			break;
		case 2: /* taken off */
			r.on[i] = false;
			reader(&r);
			break;
		case 3:
			memset(r.on, 0, sizeof(r.on));
			reader(&r);
			break;
		case 4:
			r.now += 10 * (int64_t)arg;
			tm_engine_tick(&r.e, r.now);
			break;
		case 5: /* a late tick: time jumps over deadlines */
			r.now += 1000 * (int64_t)arg;
			tm_engine_tick(&r.e, r.now);
			break;
		case 6:
			tm_engine_reject(&r.e, r.now, &r.pool[i], "unsupported badge");
			break;
		case 7: /* the daemon's timer: tick at the next deadline */
			d = tm_engine_next_deadline(&r.e, r.now);
			if (d != TM_NEVER && d > r.now)
				r.now = d;
			tm_engine_tick(&r.e, r.now);
			break;
		default: /* SIGHUP with new timings */
			config_from(&r, &cfg, rearm_ms);
			tm_engine_reconfigure(&r.e, &cfg);
			break;
		}
		drain(&r);
		FUZZ_ASSERT(r.e.n_seen <= TM_ENGINE_MAX_SEEN, "n_seen %zu", r.e.n_seen);
		check_progress(&r);
	}

	/* The station stops: the reader empties, the engine is told, and time
	 * runs on until nothing is due. */
	memset(r.on, 0, sizeof(r.on));
	reader(&r);
	drain(&r);
	tm_engine_abandon(&r.e, r.now);
	drain(&r);
	for (int k = 0;; k++) {
		int64_t d = tm_engine_next_deadline(&r.e, r.now);

		if (d == TM_NEVER)
			break;
		FUZZ_ASSERT(k < 64, "still a deadline (%lld) after %d ticks", (long long)d, k);
		r.now = d > r.now ? d : r.now + 1;
		tm_engine_tick(&r.e, r.now);
		drain(&r);
	}
	for (size_t ref = 1; ref < MAX_REFS; ref++)
		FUZZ_ASSERT(r.refs[ref] != REF_PENDING, "tap %zu left pending", ref);
	tm_engine_free(&r.e);
	return 0;
}
