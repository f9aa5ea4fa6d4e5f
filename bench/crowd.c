/* The crowd simulator: the real pairing engine (libtapmeet's tm_engine_*)
 * driven by simulated people in virtual time, and the meetings it records
 * scored against what the people meant to record.
 *
 *   crowd [--rules NAME|all] [--pace calm|busy|rush|all] [--meetings N] [--seed N] ...
 *   crowd --score TRUTH MEETINGS
 *   crowd --print-config RULES
 *
 * Event-driven: time jumps to the next thing a person does or the next
 * deadline of an engine, so a run of 10,000 meetings takes milliseconds.
 * Every behaviour and its parameters are described, with the reasons for
 * them, in docs/crowd.md; `crowd --help` lists the options. Deterministic
 * for a given --seed: its own generator (splitmix64), one stream per pair
 * and per station, so rule sets are compared on the same people. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tapmeet/engine.h"
#include "tapmeet/pattern.h"

#define DATA_REL "shared/data/sociopatterns-sfhh/tij_SFHH.dat"
/* Engine time (monotonic ms) of the simulation's start; timelines count from 0. */
#define T0 1000000
/* Person ids of the n-th pass through the meeting list are offset by n times this. */
#define ID_CYCLE_OFFSET 100000
#define GENERATED_PEOPLE 400
#define COMMIT_MS 20 /* the store's commit: "saved" shows this long after the meeting */
#define MAX_STATIONS 2
#define MAX_PRESENT 64
#define ARRIVALS_KEPT 4

/* --- random numbers ------------------------------------------------------ */

struct rng {
	uint64_t s;
};

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static struct rng rng_for(uint64_t seed, uint64_t stream)
{
	struct rng r = { seed * 0xD1B54A32D192ED03ull ^ (stream + 1) * 0x9E3779B97F4A7C15ull };

	splitmix64(&r.s);
	return r;
}

static double rnd_unit(struct rng *r) /* [0, 1) */
{
	return (double)(splitmix64(&r->s) >> 11) * 0x1.0p-53;
}

static bool rnd_chance(struct rng *r, double p)
{
	return rnd_unit(r) < p;
}

static int64_t rnd_uniform_ms(struct rng *r, int64_t lo, int64_t hi)
{
	return lo + (int64_t)(rnd_unit(r) * (double)(hi - lo + 1));
}

static int64_t rnd_exp_ms(struct rng *r, double mean_ms)
{
	return (int64_t)llround(-mean_ms * log(1.0 - rnd_unit(r)));
}

static double rnd_normal(struct rng *r)
{
	double u1 = 1.0 - rnd_unit(r), u2 = rnd_unit(r);

	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

static int64_t rnd_lognormal_ms(struct rng *r, double median_ms, double sigma)
{
	return (int64_t)llround(median_ms * exp(sigma * rnd_normal(r)));
}

/* --- a map from 64-bit keys to indexes ----------------------------------- */

struct map {
	uint64_t *keys; /* key + 1; 0 is empty */
	int32_t *vals;
	size_t cap, n;
};

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	return x ^ (x >> 33);
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p) {
		fprintf(stderr, "crowd: out of memory\n");
		exit(2);
	}
	return p;
}

static void *xrealloc(void *p, size_t size)
{
	p = realloc(p, size);
	if (!p) {
		fprintf(stderr, "crowd: out of memory\n");
		exit(2);
	}
	return p;
}

static void map_put(struct map *m, uint64_t key, int32_t val);

static void map_grow(struct map *m)
{
	struct map old = *m;

	m->cap = old.cap ? old.cap * 2 : 1024;
	m->keys = xcalloc(m->cap, sizeof(*m->keys));
	m->vals = xcalloc(m->cap, sizeof(*m->vals));
	m->n = 0;
	for (size_t i = 0; i < old.cap; i++)
		if (old.keys[i])
			map_put(m, old.keys[i] - 1, old.vals[i]);
	free(old.keys);
	free(old.vals);
}

static int32_t map_get(const struct map *m, uint64_t key)
{
	if (!m->cap)
		return -1;
	for (size_t i = mix64(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (!m->keys[i])
			return -1;
		if (m->keys[i] == key + 1)
			return m->vals[i];
	}
}

static void map_put(struct map *m, uint64_t key, int32_t val)
{
	if (2 * (m->n + 1) > m->cap)
		map_grow(m);
	for (size_t i = mix64(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (!m->keys[i]) {
			m->keys[i] = key + 1;
			m->vals[i] = val;
			m->n++;
			return;
		}
		if (m->keys[i] == key + 1) {
			m->vals[i] = val;
			return;
		}
	}
}

static void map_free(struct map *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

static uint64_t pair_key(int32_t a, int32_t b)
{
	if (a > b) {
		int32_t t = a;

		a = b;
		b = t;
	}
	return (uint64_t)(uint32_t)a << 32 | (uint32_t)b;
}

static uint64_t uid_key(const struct tm_badge *b)
{
	uint64_t k = b->uid_len;

	for (size_t i = 0; i < b->uid_len && i < 7; i++)
		k = k << 8 | b->uid[i];
	return k;
}

/* --- the workload: the meetings people mean to record -------------------- */

struct intended {
	int64_t end_s; /* the contact's end, seconds in the data's time */
	int32_t a, b;  /* person ids */
	size_t order;
};

struct workload {
	struct intended *list;
	size_t n;
	bool from_data;
	char source[512];
};

struct contact {
	int64_t start, last;
	int32_t a, b;
	bool met;
};

static int cmp_intended(const void *x, const void *y)
{
	const struct intended *a = x, *b = y;

	if (a->end_s != b->end_s)
		return a->end_s < b->end_s ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

static void push_intended(struct workload *w, size_t *cap, int64_t end, int32_t a, int32_t b)
{
	if (w->n == *cap) {
		*cap = *cap ? *cap * 2 : 1024;
		w->list = xrealloc(w->list, *cap * sizeof(*w->list));
	}
	w->list[w->n] = (struct intended){ end, a, b, w->n };
	w->n++;
}

/* A contact of at least three 20-s windows (60 s) is the pair's meeting, the
 * first one only: people record a conversation once. */
static void close_contact(struct workload *w, size_t *cap, struct contact *c)
{
	if (!c->met && c->last - c->start + 20 >= 60) {
		c->met = true;
		push_intended(w, cap, c->last + 20, c->a, c->b);
	}
}

static int load_tij(const char *path, struct workload *w)
{
	FILE *f = fopen(path, "re");
	struct map idx = { 0 };
	struct contact *c = NULL;
	size_t n_c = 0, cap_c = 0, cap = 0;
	long long t;
	int i, j;

	if (!f)
		return -errno;
	while (fscanf(f, "%lld %d %d", &t, &i, &j) == 3) {
		int32_t k;

		if (i == j || i < 0 || j < 0 || i >= ID_CYCLE_OFFSET || j >= ID_CYCLE_OFFSET)
			continue;
		k = map_get(&idx, pair_key(i, j));
		if (k < 0) {
			if (n_c == cap_c) {
				cap_c = cap_c ? cap_c * 2 : 1024;
				c = xrealloc(c, cap_c * sizeof(*c));
			}
			c[n_c] = (struct contact){ t, t, i < j ? i : j, i < j ? j : i, false };
			map_put(&idx, pair_key(i, j), (int32_t)n_c++);
			continue;
		}
		if (t == c[k].last)
			continue; /* the same window twice */
		if (t == c[k].last + 20) {
			c[k].last = t;
			continue;
		}
		close_contact(w, &cap, &c[k]);
		c[k].start = c[k].last = t;
	}
	fclose(f);
	for (size_t n = 0; n < n_c; n++)
		close_contact(w, &cap, &c[n]);
	free(c);
	map_free(&idx);
	qsort(w->list, w->n, sizeof(*w->list), cmp_intended);
	w->from_data = true;
	return w->n ? 0 : -ENODATA;
}

/* Without the data: distinct random pairs of GENERATED_PEOPLE people. */
static void generate_pairs(struct workload *w, size_t n, uint64_t seed)
{
	struct rng r = rng_for(seed, UINT64_C(0xFFFF0000));
	struct map seen = { 0 };
	size_t cap = 0, most = (size_t)GENERATED_PEOPLE * (GENERATED_PEOPLE - 1) / 2;

	if (n > most)
		n = most;
	while (w->n < n) {
		int32_t a = (int32_t)(rnd_unit(&r) * GENERATED_PEOPLE) + 1;
		int32_t b = (int32_t)(rnd_unit(&r) * GENERATED_PEOPLE) + 1;

		if (a == b || map_get(&seen, pair_key(a, b)) >= 0)
			continue;
		map_put(&seen, pair_key(a, b), 1);
		push_intended(w, &cap, (int64_t)w->n, a, b);
	}
	map_free(&seen);
	w->from_data = false;
}

/* --- rule sets ----------------------------------------------------------- */

#define KEEP (-1) /* the field keeps tm_engine_config_defaults()'s value */

enum taught { TAUGHT_SEQUENTIAL, TAUGHT_TOGETHER, TAUGHT_FROM_DEFAULTS };

struct rule_set {
	const char *name;
	const char *what;
	enum taught taught;
	int64_t window, repeat_guard, rearm, confirm, hurry;
	int sequential; /* 1, 0 or KEEP */
	int64_t after_meeting, suspect_delay, min_dwell;
	int suspect_sequential; /* 1, 0 or KEEP */
};

/* Every named set states every field, so that a change of the shipped
 * defaults moves only `default`. Add a row to compare another set. */
static const struct rule_set RULE_SETS[] = {
	/* name            what                                                         taught
	 *                 window repeat rearm confirm hurry  seq after  suspect dwell */
	{ "v1", "the original rules", TAUGHT_SEQUENTIAL,
	  8000, 60000, 1000, 2000, 2000, 1, 0, 0, 0, 0 },
	{ "retap", "v1 + a badge that met within 60 s, tapped alone, is a re-tap", TAUGHT_SEQUENTIAL,
	  8000, 60000, 1000, 2000, 2000, 1, 60000, 0, 0, 0 },
	{ "retap-short", "retap + a 5 s window", TAUGHT_SEQUENTIAL,
	  5000, 60000, 1000, 2000, 2000, 1, 60000, 0, 0, 0 },
	{ "retap-dwell", "retap-short + a lone badge gone within 250 ms was passing by", TAUGHT_SEQUENTIAL,
	  5000, 60000, 1000, 2000, 2000, 1, 60000, 0, 250, 0 },
	{ "suspect", "retap-dwell + a partner later than 4 s makes a suspect meeting", TAUGHT_SEQUENTIAL,
	  5000, 60000, 1000, 2000, 2000, 1, 60000, 4000, 250, 0 },
	{ "together", "only badges on the reader together meet; taught: hold both", TAUGHT_TOGETHER,
	  8000, 60000, 1000, 2000, 2000, 0, 60000, 0, 0, 0 },
	{ "together-seq", "hold both taught; sequential taps a fallback, later than 3 s suspect",
	  TAUGHT_TOGETHER, 5000, 60000, 1000, 2000, 2000, 1, 60000, 3000, 250, 0 },
	{ "hold-only", "together + a badge counts after 250 ms on the reader", TAUGHT_TOGETHER,
	  8000, 60000, 1000, 2000, 2000, 0, 60000, 0, 250, 0 },
	{ "hold-seq", "hold both taught; taps one after the other still meet, as suspect",
	  TAUGHT_TOGETHER, 8000, 60000, 1000, 2000, 2000, 1, 60000, 0, 250, 1 },
	{ "hold-only-a10", "hold-only with after_meeting 10 s", TAUGHT_TOGETHER,
	  8000, 60000, 1000, 2000, 2000, 0, 10000, 0, 250, 0 },
	{ "hold-seq-a10", "hold-seq with after_meeting 10 s",
	  TAUGHT_TOGETHER, 8000, 60000, 1000, 2000, 2000, 1, 10000, 0, 250, 1 },
	/* The shipped rules (window 5 s, after_meeting 10 s, min_dwell 250 ms,
	 * sequential taps kept as suspect) with one value changed. */
	{ "seq-w4", "the shipped rules with a 4 s window", TAUGHT_TOGETHER,
	  4000, 60000, 1000, 2000, 1000, 1, 10000, 0, 250, 1 },
	{ "seq-a5", "the shipped rules with after_meeting 5 s", TAUGHT_TOGETHER,
	  5000, 60000, 1000, 2000, 2000, 1, 5000, 0, 250, 1 },
	{ "seq-a20", "the shipped rules with after_meeting 20 s", TAUGHT_TOGETHER,
	  5000, 60000, 1000, 2000, 2000, 1, 20000, 0, 250, 1 },
	{ "seq-d150", "the shipped rules with min_dwell 150 ms", TAUGHT_TOGETHER,
	  5000, 60000, 1000, 2000, 2000, 1, 10000, 0, 150, 1 },
	{ "seq-d400", "the shipped rules with min_dwell 400 ms", TAUGHT_TOGETHER,
	  5000, 60000, 1000, 2000, 2000, 1, 10000, 0, 400, 1 },
	{ "seq-r500", "the shipped rules with rearm 500 ms", TAUGHT_TOGETHER,
	  5000, 60000, 500, 2000, 2000, 1, 10000, 0, 250, 1 },
	{ "default", "tm_engine_config_defaults() as built", TAUGHT_FROM_DEFAULTS,
	  KEEP, KEEP, KEEP, KEEP, KEEP, KEEP, KEEP, KEEP, KEEP, KEEP },
};
#define N_RULE_SETS (sizeof(RULE_SETS) / sizeof(RULE_SETS[0]))

static const struct rule_set *find_rules(const char *name)
{
	for (size_t i = 0; i < N_RULE_SETS; i++)
		if (strcmp(RULE_SETS[i].name, name) == 0)
			return &RULE_SETS[i];
	return NULL;
}

/* The engine's configuration for a rule set, and whether holding both
 * badges together is what the station teaches. */
static void build_config(const struct rule_set *rs, enum taught fallback,
			 struct tm_engine_config *cfg, bool *together)
{
	tm_engine_config_defaults(cfg);
#define SET(field, value) \
	do { \
		if ((value) != KEEP) \
			cfg->field = (value); \
	} while (0)
	SET(window_ms, rs->window);
	SET(repeat_guard_ms, rs->repeat_guard);
	SET(rearm_ms, rs->rearm);
	SET(confirm_ms, rs->confirm);
	SET(hurry_ms, rs->hurry);
	SET(after_meeting_ms, rs->after_meeting);
	SET(suspect_delay_ms, rs->suspect_delay);
	SET(min_dwell_ms, rs->min_dwell);
#undef SET
	if (rs->sequential != KEEP)
		cfg->sequential = rs->sequential;
	if (rs->suspect_sequential != KEEP)
		cfg->suspect_sequential = rs->suspect_sequential;
	/* As lib/config.c does for a short window with the default hurry. */
	if (cfg->hurry_ms >= cfg->window_ms)
		cfg->hurry_ms = cfg->window_ms / 4;
	if (rs->taught == TAUGHT_FROM_DEFAULTS)
		*together = !cfg->sequential || fallback == TAUGHT_TOGETHER;
	else
		*together = rs->taught == TAUGHT_TOGETHER;
}

static const char *fmt_ms(int64_t ms, char *buf, size_t size)
{
	if (ms % 1000 == 0)
		snprintf(buf, size, "%llds", (long long)(ms / 1000));
	else
		snprintf(buf, size, "%lldms", (long long)ms);
	return buf;
}

static void print_config_line(FILE *out, const char *prefix, const struct tm_engine_config *c,
			      bool together)
{
	char b[9][32];

	fprintf(out,
		"%swindow=%s repeat_guard=%s rearm=%s confirm=%s hurry=%s sequential=%s "
		"suspect_sequential=%s after_meeting=%s suspect_delay=%s min_dwell=%s taught=%s\n",
		prefix, fmt_ms(c->window_ms, b[0], 32), fmt_ms(c->repeat_guard_ms, b[1], 32),
		fmt_ms(c->rearm_ms, b[2], 32), fmt_ms(c->confirm_ms, b[3], 32),
		fmt_ms(c->hurry_ms, b[4], 32), c->sequential ? "true" : "false",
		c->suspect_sequential ? "true" : "false",
		fmt_ms(c->after_meeting_ms, b[5], 32), fmt_ms(c->suspect_delay_ms, b[6], 32),
		fmt_ms(c->min_dwell_ms, b[7], 32), together ? "together" : "sequential");
}

static void print_pairing_section(const struct rule_set *rs, const struct tm_engine_config *c,
				  bool together)
{
	char b[32];

	printf("# crowd rule set '%s': %s (people taught: %s)\n", rs->name, rs->what,
	       together ? "hold both badges together" : "tap one after the other");
	printf("[pairing]\n");
	printf("window = %s\n", fmt_ms(c->window_ms, b, sizeof(b)));
	printf("repeat_guard = %s\n", fmt_ms(c->repeat_guard_ms, b, sizeof(b)));
	printf("rearm = %s\n", fmt_ms(c->rearm_ms, b, sizeof(b)));
	printf("confirm = %s\n", fmt_ms(c->confirm_ms, b, sizeof(b)));
	printf("hurry = %s\n", fmt_ms(c->hurry_ms, b, sizeof(b)));
	printf("sequential = %s\n", c->sequential ? "true" : "false");
	printf("after_meeting = %s\n", fmt_ms(c->after_meeting_ms, b, sizeof(b)));
	printf("suspect_delay = %s\n", fmt_ms(c->suspect_delay_ms, b, sizeof(b)));
	printf("suspect_sequential = %s\n", c->suspect_sequential ? "true" : "false");
	printf("min_dwell = %s\n", fmt_ms(c->min_dwell_ms, b, sizeof(b)));
}

/* --- paces --------------------------------------------------------------- */

struct pace {
	const char *name;
	double interval_ms; /* mean time between pairs arriving; 0: all there from the start */
	double p_early;     /* start when the previous pair's badges are off, not waiting for the LEDs */
	double patience_ms; /* mean wait at a "waiting" station before tapping anyway */
	double walkup_ms;   /* median, turn -> first badge on the reader */
};

static const struct pace PACES[] = {
	{ "calm", 60000, 0.05, 10000, 1500 },
	{ "busy", 15000, 0.20, 6000, 1000 },
	{ "rush", 0, 0.50, 3000, 600 },
};
#define N_PACES (sizeof(PACES) / sizeof(PACES[0]))

/* Fixed parameters of people (docs/crowd.md says why each). */
#define WALKUP_SIGMA 0.5
#define REACTION_MEDIAN_MS 400.0
#define REACTION_SIGMA 0.5
#define HOLD_MEDIAN_MS 800 /* --hold */
#define HOLD_SIGMA 0.5
#define HOLD_MIN_MS 150
#define PARTNER_MEDIAN_MS 800.0
#define PARTNER_SIGMA 0.6
#define TOGETHER_SPREAD_MS 300 /* the second badge of a "together" lands up to this later */
#define LIFT_SPREAD_MS 150     /* and each is lifted up to this after the hold */
#define RETAP_MIN_MS 500
#define RETAP_MAX_MS 6000
#define FLICKER_MIN_MS 30
#define FLICKER_MAX_MS 300
#define GLIMPSE_MIN_MS 50 /* a passer-by or the neighbouring station */
#define GLIMPSE_MAX_MS 250
#define WATCH_EXTRA_MS 3000 /* beyond the window: a pair that saw nothing gives up */
/* The reader (drivers/reader_libnfc.c). While none is there the chip waits
 * for a badge itself: it retries activation about every 1 ms (one empty
 * attempt is about 1.016 ms, an estimate: tests/pn532emu/README.md, "Timing
 * model"), so a badge put down is seen at its next attempt; its "0 targets"
 * every ~200 ms is only a heartbeat and changes nothing. While any badge is
 * there it lists them every 20 ms + 5 ms of field settling. --poll 100 is a
 * reader without chip waiting: the host lists an empty reader every
 * poll_interval (docs/reader-setup.md, "Polling"). */
#define IDLE_POLL_MS 1
#define PRESENT_POLL_MS 25

/* --- options ------------------------------------------------------------- */

struct options {
	const char *rules, *pace, *data, *timeline, *truth, *record;
	long meetings;
	uint64_t seed;
	int stations;
	double p_retap, p_walk, p_flicker, p_passby, p_neighbour, p_retry;
	double p_together; /* < 0: as taught */
	double p_early;    /* < 0: the pace's */
	enum taught taught;
	int64_t poll_ms; /* 0: the engine sees every change at once */
	int64_t hold_ms; /* median time a badge is held on the reader */
	bool goal, why, trace;
	double min_clean, min_recall; /* --goal's thresholds */
};

/* --- scoring ------------------------------------------------------------- */

/* What false pairs and lost pairs are put down to (--why). */
enum kind {
	K_NORMAL, /* nothing unusual: "other" */
	K_EARLY,
	K_IMPATIENT,
	K_RETRY,
	K_FLICKER,
	K_RETAP,
	K_WALKAWAY,
	K_PASSBY,
	K_NEIGHBOUR,
	K_SERIAL, /* a member's tap refused: it met someone else within after_meeting */
	K_SHORT,  /* a member's tap taken for a passer-by (held less than min_dwell) */
	K_COUNT
};

static const char *const KIND_NAME[K_COUNT] = {
	[K_NORMAL] = "other",         [K_EARLY] = "next-pair-early", [K_IMPATIENT] = "impatient",
	[K_RETRY] = "retry",          [K_FLICKER] = "flicker",       [K_RETAP] = "re-tap",
	[K_WALKAWAY] = "walkaway",    [K_PASSBY] = "passer-by",      [K_NEIGHBOUR] = "neighbour",
	[K_SERIAL] = "serial",        [K_SHORT] = "short-hold",
};
/* Order of the --why columns. */
static const enum kind WHY_ORDER[] = { K_WALKAWAY, K_RETAP, K_PASSBY, K_NEIGHBOUR, K_FLICKER,
				       K_SERIAL, K_SHORT, K_EARLY, K_IMPATIENT, K_RETRY, K_NORMAL };
#define N_WHY (sizeof(WHY_ORDER) / sizeof(WHY_ORDER[0]))

struct score {
	size_t intended, completed, abandoned;
	size_t meetings, suspect_meetings;
	size_t recorded, true_rec, false_rec; /* recorded pairs, with repeats */
	size_t clean, clean_true, clean_false; /* of those, from meetings not suspect */
	size_t true_suspect;
	size_t recalled; /* distinct completed pairs recorded */
	size_t attempts;
	bool *recorded_flag; /* per intended pair */
	int64_t *saved_ms;
	size_t n_saved;
	size_t why_false[K_COUNT][2]; /* [cause][0 direct, 1 cascaded from it] */
	size_t why_lost[K_COUNT];
};

static void score_pair(struct score *sc, int32_t k, bool truth, bool suspect)
{
	sc->recorded++;
	if (!suspect)
		sc->clean++;
	if (truth) {
		sc->true_rec++;
		if (suspect)
			sc->true_suspect++;
		else
			sc->clean_true++;
		if (!sc->recorded_flag[k]) {
			sc->recorded_flag[k] = true;
			sc->recalled++;
		}
	} else {
		sc->false_rec++;
		if (!suspect)
			sc->clean_false++;
	}
}

static double pct(size_t num, size_t den)
{
	return den ? 100.0 * (double)num / (double)den : NAN;
}

static double per_1000(size_t num, size_t den)
{
	return den ? 1000.0 * (double)num / (double)den : NAN;
}

static int cmp_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

	return (a > b) - (a < b);
}

static double percentile_s(int64_t *v, size_t n, double q)
{
	if (!n)
		return NAN;
	qsort(v, n, sizeof(*v), cmp_i64);
	return (double)v[(size_t)floor(q * (double)(n - 1) + 0.5)] / 1000.0;
}

/* --- the simulation ------------------------------------------------------ */

struct pair {
	int32_t a, b; /* persons */
	uint8_t station;
	size_t pos; /* in its station's queue */
	int32_t before[2]; /* the previous pair of each member: it must be over first, or -1 */
	struct rng rng;
	/* drawn when the pair is made, in this order, whatever the rules */
	bool walkaway, retap, passby, early, together;
	int64_t arrive;
	/* progress */
	bool arrived, started, start_scheduled, patience_set;
	bool badges_left, done, watching, retry_pending, saved;
	enum kind start_kind;
	int attempts;
	int outstanding; /* own placements of the current attempt not yet lifted */
	int64_t attempt_t0, watch_from, retry_not_before;
	int cause; /* what disrupted it (a false meeting took one of its taps), or -1 */
};

struct arrival {
	int64_t at;
	int32_t pair;
	uint8_t kind;
};

struct station {
	struct tm_engine *e;
	int *count; /* per person: how many reasons it is on the reader */
	struct arrival *arrivals; /* per person, the last ARRIVALS_KEPT */
	int32_t present[MAX_PRESENT]; /* on the reader now */
	size_t n_present;
	int64_t *met_at; /* per person: its last meeting here, or INT64_MIN */
	uint8_t *cause_kind; /* per person: why it is on the reader now */
	int32_t *cause_pair;
	/* The reader's polling: what it last reported to the engine, and the
	 * grid of its listings (a period from the last listing). */
	int32_t reported[MAX_PRESENT];
	size_t n_reported;
	int64_t poll_origin, poll_period;
	bool poll_scheduled;
	int64_t feedback_until, dark_until;
	int32_t *queue;
	size_t n_queue, next_start;
	int32_t watch[MAX_PRESENT];
	size_t n_watch;
	struct rng rng;
};

enum ev_type {
	EV_PRESENCE,
	EV_ARRIVE,
	EV_EVAL,
	EV_START,
	EV_ATTEMPT,
	EV_LEFT,
	EV_FEEDBACK,
	EV_WATCH_TIMEOUT,
	EV_RETAP,
	EV_POLL,
};

struct event {
	int64_t t;
	uint64_t seq;
	uint8_t type, prio, kind, station;
	int8_t delta;
	bool own;
	int32_t person, pair, arg;
};

struct sim {
	const struct options *o;
	const struct pace *pace;
	struct tm_engine_config cfg;
	bool taught_together;
	double p_together, p_early;
	size_t n_pairs;
	struct pair *pairs;
	size_t n_persons;
	struct tm_badge *badges;
	int64_t *person_id;
	struct map uid_map, pair_map;
	struct station st[MAX_STATIONS];
	int n_st;
	struct event *heap;
	size_t n_heap, cap_heap;
	uint64_t seq;
	int64_t now;
	FILE *timeline, *record;
	int64_t timeline_last;
	struct score sc;
};

static bool ev_less(const struct event *a, const struct event *b)
{
	if (a->t != b->t)
		return a->t < b->t;
	if (a->prio != b->prio)
		return a->prio < b->prio;
	return a->seq < b->seq;
}

static void push(struct sim *s, struct event ev)
{
	size_t i;

	if (ev.t < s->now)
		ev.t = s->now;
	ev.seq = s->seq++;
	ev.prio = ev.type == EV_PRESENCE ? 0 : 1;
	if (s->n_heap == s->cap_heap) {
		s->cap_heap = s->cap_heap ? s->cap_heap * 2 : 4096;
		s->heap = xrealloc(s->heap, s->cap_heap * sizeof(*s->heap));
	}
	i = s->n_heap++;
	while (i > 0 && ev_less(&ev, &s->heap[(i - 1) / 2])) {
		s->heap[i] = s->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	s->heap[i] = ev;
}

static struct event pop_event(struct sim *s)
{
	struct event top = s->heap[0], last = s->heap[--s->n_heap];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= s->n_heap)
			break;
		if (c + 1 < s->n_heap && ev_less(&s->heap[c + 1], &s->heap[c]))
			c++;
		if (!ev_less(&s->heap[c], &last))
			break;
		s->heap[i] = s->heap[c];
		i = c;
	}
	if (s->n_heap)
		s->heap[i] = last;
	return top;
}

static void push_simple(struct sim *s, enum ev_type type, int64_t t, int32_t pair, int32_t arg)
{
	struct event ev = { .t = t, .type = (uint8_t)type, .pair = pair, .arg = arg };

	if (pair >= 0)
		ev.station = s->pairs[pair].station;
	push(s, ev);
}

static void push_station_eval(struct sim *s, int st, int64_t t)
{
	struct event ev = { .t = t, .type = EV_EVAL, .station = (uint8_t)st, .pair = -1 };

	push(s, ev);
}

/* A badge UID for a person: NXP-style 7 bytes (0x04, then six from a hash of
 * the id), the same for an id in every run. */
static void make_badge(struct sim *s, int32_t person)
{
	uint64_t salt = 0;

	for (;;) {
		uint64_t h = (uint64_t)s->person_id[person] * 0x9E3779B97F4A7C15ull + salt;
		char hex[TM_UID_HEX_SIZE];
		struct tm_badge *b = &s->badges[person];

		h = splitmix64(&h);
		snprintf(hex, sizeof(hex), "04%012llX", (unsigned long long)(h & 0xFFFFFFFFFFFFull));
		if (tm_badge_parse_uid(b, hex) < 0 || tm_badge_reject_reason(b)) {
			fprintf(stderr, "crowd: made an unusable UID %s\n", hex);
			exit(2);
		}
		b->kind = TM_BADGE_MIFARE_ULTRALIGHT;
		if (map_get(&s->uid_map, uid_key(b)) < 0) {
			map_put(&s->uid_map, uid_key(b), person);
			return;
		}
		salt++; /* two ids on one UID: draw again */
	}
}

static int32_t person_for(struct sim *s, struct map *ids, int64_t id, size_t *cap)
{
	int32_t p = map_get(ids, (uint64_t)id);

	if (p >= 0)
		return p;
	if (s->n_persons == *cap) {
		*cap = *cap ? *cap * 2 : 1024;
		s->person_id = xrealloc(s->person_id, *cap * sizeof(*s->person_id));
	}
	p = (int32_t)s->n_persons++;
	s->person_id[p] = id;
	map_put(ids, (uint64_t)id, p);
	return p;
}

static void timeline_write(struct sim *s, const char *what, int32_t person)
{
	char hex[TM_UID_HEX_SIZE];

	tm_badge_uid_hex(&s->badges[person], hex);
	fprintf(s->timeline, "%lld %s %s\n", (long long)s->now, what, hex);
	s->timeline_last = s->now;
}

static void trace(struct sim *s, int st, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void trace(struct sim *s, int st, const char *fmt, ...)
{
	va_list ap;

	if (!s->o->trace)
		return;
	fprintf(stderr, "%9.3f st%d ", (double)s->now / 1000.0, st);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const char *pname(struct sim *s, int32_t person)
{
	static char buf[4][24];
	static int n;
	char *b = buf[n++ % 4];

	snprintf(b, sizeof(buf[0]), "p%lld", (long long)s->person_id[person]);
	return b;
}

static struct pair *pred_of(struct sim *s, const struct pair *p)
{
	return p->pos ? &s->pairs[s->st[p->station].queue[p->pos - 1]] : NULL;
}

static bool looks_ready(struct sim *s, int st)
{
	const struct station *x = &s->st[st];

	return s->now >= x->dark_until && s->now >= x->feedback_until &&
	       tm_engine_base_pattern(x->e, T0 + s->now) == TM_PATTERN_READY;
}

static bool shows_waiting(struct sim *s, int st)
{
	return tm_engine_base_pattern(s->st[st].e, T0 + s->now) != TM_PATTERN_READY;
}

static void start_turn(struct sim *s, struct pair *p, enum kind kind)
{
	struct station *x = &s->st[p->station];

	if (p->started)
		return;
	p->started = true;
	p->start_kind = kind;
	trace(s, p->station, "pair %zu (%s %s) starts its turn%s%s", (size_t)(p - s->pairs), pname(s, p->a),
	      pname(s, p->b), kind == K_EARLY ? " early, the LEDs not ready" : "",
	      kind == K_IMPATIENT ? " out of patience with 'waiting'" : "");
	x->next_start = p->pos + 1;
	push_simple(s, EV_ATTEMPT, s->now + rnd_lognormal_ms(&p->rng, s->pace->walkup_ms, WALKUP_SIGMA),
		    (int32_t)(p - s->pairs), 0);
}

/* Whether the pair at the head of its station's queue starts its turn. */
static void evaluate(struct sim *s, struct pair *p)
{
	struct pair *pred;

	if (p->started || !p->arrived)
		return;
	/* Someone still busy with an earlier pair (a group recording its
	 * pairs one by one) comes when that one is over and the badge is back
	 * in hand; and nobody taps while the previous pair's badges are on
	 * the reader. */
	for (int i = 0; i < 2; i++)
		if (p->before[i] >= 0 && !(s->pairs[p->before[i]].done && s->pairs[p->before[i]].badges_left))
			return;
	pred = pred_of(s, p);
	if (pred && !pred->badges_left)
		return;
	if (p->early) {
		/* Right behind: they go as soon as the reader is free of the
		 * previous pair's badges, whatever the LEDs say. */
		start_turn(s, p, looks_ready(s, p->station) ? K_NORMAL : K_EARLY);
		return;
	}
	if (pred && !pred->done)
		return;
	if (looks_ready(s, p->station)) {
		if (!p->start_scheduled) {
			p->start_scheduled = true;
			push_simple(s, EV_START, s->now + rnd_lognormal_ms(&p->rng, REACTION_MEDIAN_MS, REACTION_SIGMA),
				    (int32_t)(p - s->pairs), K_NORMAL);
		}
		return;
	}
	if (shows_waiting(s, p->station) && !p->patience_set) {
		p->patience_set = true;
		push_simple(s, EV_START, s->now + rnd_exp_ms(&p->rng, s->pace->patience_ms),
			    (int32_t)(p - s->pairs), K_IMPATIENT);
	}
	/* Feedback or dark LEDs: EV_EVAL comes when they end. */
}

static void station_eval(struct sim *s, int st)
{
	struct station *x = &s->st[st];

	if (x->next_start < x->n_queue)
		evaluate(s, &s->pairs[x->queue[x->next_start]]);
}

/* A pair is over: its successor at the station, and whoever waits for one
 * of its members at either station, may go. */
static void pair_done(struct sim *s, struct pair *p)
{
	p->done = true;
	for (int i = 0; i < s->n_st; i++)
		station_eval(s, i);
}

/* A badge on a reader from t_on to t_off. `own`: one of the pair's planned
 * placements of its current attempt; `echo`: it may flicker and be seen by
 * the neighbouring station (a real placement by a hand, not a glimpse). */
static void place(struct sim *s, struct pair *p, int st, int32_t person, int64_t t_on, int64_t t_off,
		  enum kind kind, bool own, bool echo)
{
	int32_t pi = (int32_t)(p - s->pairs);
	struct event on = { .t = t_on, .type = EV_PRESENCE, .station = (uint8_t)st, .delta = 1,
			    .kind = (uint8_t)kind, .person = person, .pair = pi };
	struct event off = on;

	off.t = t_off;
	off.delta = -1;
	off.own = own;
	off.arg = p->attempts;
	push(s, on);
	push(s, off);
	if (!echo)
		return;
	if (rnd_chance(&p->rng, s->o->p_flicker)) {
		int k = 1 + (int)(rnd_unit(&p->rng) * 3);
		int64_t sub = (t_off - t_on) / k;

		for (int i = 0; i < k; i++) {
			int64_t len = rnd_uniform_ms(&p->rng, FLICKER_MIN_MS, FLICKER_MAX_MS);
			struct event drop = on, back = on;

			if (sub < len + 20)
				continue; /* too short a hold for this drop-out */
			drop.t = t_on + i * sub + 10 + rnd_uniform_ms(&p->rng, 0, sub - len - 20);
			drop.delta = -1;
			back.t = drop.t + len;
			back.kind = K_FLICKER;
			push(s, drop);
			push(s, back);
		}
	}
	if (s->n_st > 1 && rnd_chance(&p->rng, s->o->p_neighbour)) {
		struct event a = on, b;

		a.station = (uint8_t)(1 - st);
		a.kind = K_NEIGHBOUR;
		b = a;
		b.delta = -1;
		b.t = t_on + rnd_uniform_ms(&p->rng, GLIMPSE_MIN_MS, GLIMPSE_MAX_MS);
		push(s, a);
		push(s, b);
	}
}

static int64_t hold_ms(struct sim *s, struct pair *p)
{
	int64_t h = rnd_lognormal_ms(&p->rng, (double)s->o->hold_ms, HOLD_SIGMA);

	return h < HOLD_MIN_MS ? HOLD_MIN_MS : h;
}

/* Someone not in the pair: most often a member of the next pair, who
 * stands closest; otherwise any attendee. */
static int32_t passer_by(struct sim *s, struct pair *p)
{
	struct station *x = &s->st[p->station];

	if (p->pos + 1 < x->n_queue && rnd_chance(&p->rng, 0.5)) {
		const struct pair *next = &s->pairs[x->queue[p->pos + 1]];

		return rnd_chance(&p->rng, 0.5) ? next->a : next->b;
	}
	for (;;) {
		int32_t who = (int32_t)(rnd_unit(&p->rng) * (double)s->n_persons);

		if (who != p->a && who != p->b)
			return who;
	}
}

static void attempt(struct sim *s, struct pair *p)
{
	int64_t t0 = s->now, end;
	bool together = p->attempts == 0 ? p->together : (s->taught_together || p->together);
	enum kind kind = p->attempts == 0 ? p->start_kind : K_RETRY;
	int st = p->station;

	p->attempts++;
	s->sc.attempts++;
	p->attempt_t0 = t0;
	p->badges_left = false;
	trace(s, st, "pair %zu attempt %d: %s", (size_t)(p - s->pairs), p->attempts,
	      p->walkaway && p->attempts == 1 ? "A alone, B walked away"
	      : together			      ? "both badges together"
						      : "one after the other");
	if (p->walkaway && p->attempts == 1) {
		end = t0 + hold_ms(s, p);
		p->outstanding = 1;
		place(s, p, st, p->a, t0, end, K_WALKAWAY, true, true);
	} else if (together) {
		int64_t t1 = t0 + rnd_uniform_ms(&p->rng, 0, TOGETHER_SPREAD_MS);
		int64_t lift = t1 + hold_ms(s, p);
		int64_t off_a = lift + rnd_uniform_ms(&p->rng, 0, LIFT_SPREAD_MS);
		int64_t off_b = lift + rnd_uniform_ms(&p->rng, 0, LIFT_SPREAD_MS);
		bool a_first = rnd_chance(&p->rng, 0.5);

		p->outstanding = 2;
		place(s, p, st, p->a, a_first ? t0 : t1, off_a, kind, true, true);
		place(s, p, st, p->b, a_first ? t1 : t0, off_b, kind, true, true);
		p->watch_from = t1;
		end = off_a > off_b ? off_a : off_b;
	} else {
		int64_t a_off = t0 + hold_ms(s, p);
		int64_t b_on = a_off + rnd_lognormal_ms(&p->rng, PARTNER_MEDIAN_MS, PARTNER_SIGMA);

		end = b_on + hold_ms(s, p);
		p->outstanding = 2;
		place(s, p, st, p->a, t0, a_off, kind, true, true);
		place(s, p, st, p->b, b_on, end, kind, true, true);
		p->watch_from = b_on;
	}
	if (p->attempts == 1 && p->passby) {
		int64_t at = rnd_uniform_ms(&p->rng, t0, end);

		place(s, p, st, passer_by(s, p), at,
		      at + rnd_uniform_ms(&p->rng, GLIMPSE_MIN_MS, GLIMPSE_MAX_MS), K_PASSBY, false, false);
	}
	if (p->walkaway && p->attempts == 1)
		return;
	p->watching = true;
	if (s->st[st].n_watch < MAX_PRESENT)
		s->st[st].watch[s->st[st].n_watch++] = (int32_t)(p - s->pairs);
	push_simple(s, EV_WATCH_TIMEOUT, p->watch_from + s->cfg.window_ms + WATCH_EXTRA_MS,
		    (int32_t)(p - s->pairs), p->attempts);
}

static int64_t feedback_length(const struct sim *s, enum tm_pattern pat)
{
	int64_t len = tm_pattern_length(pat);

	if (pat == TM_PATTERN_SAVED && s->cfg.confirm_ms > len)
		len = s->cfg.confirm_ms;
	return len;
}

static void unwatch(struct sim *s, struct pair *p)
{
	struct station *x = &s->st[p->station];
	int32_t pi = (int32_t)(p - s->pairs);

	p->watching = false;
	for (size_t i = 0; i < x->n_watch; i++)
		if (x->watch[i] == pi) {
			x->watch[i] = x->watch[--x->n_watch];
			break;
		}
}

static void schedule_retry(struct sim *s, struct pair *p)
{
	int64_t at = s->now > p->retry_not_before ? s->now : p->retry_not_before;

	p->retry_pending = false;
	push_simple(s, EV_ATTEMPT, at + rnd_lognormal_ms(&p->rng, REACTION_MEDIAN_MS, REACTION_SIGMA),
		    (int32_t)(p - s->pairs), 0);
}

/* What the pair made of the LEDs after its last badge went down. */
static void outcome(struct sim *s, struct pair *p, enum tm_pattern pat)
{
	unwatch(s, p);
	trace(s, p->station, "pair %zu sees %s", (size_t)(p - s->pairs),
	      pat == TM_PATTERN_NONE ? "nothing" : tm_pattern_name(pat));
	if (pat == TM_PATTERN_SAVED) {
		p->saved = true;
		pair_done(s, p);
		s->sc.saved_ms[s->sc.n_saved++] = s->now - p->attempt_t0;
		if (p->retap)
			push_simple(s, EV_RETAP, s->now + rnd_uniform_ms(&p->rng, RETAP_MIN_MS, RETAP_MAX_MS),
				    (int32_t)(p - s->pairs), 0);
	} else if (p->attempts < 2 && rnd_chance(&p->rng, s->o->p_retry)) {
		/* They watch the pattern to its end, and lift their badges. */
		p->retry_not_before = s->now + (pat == TM_PATTERN_NONE ? 0 : feedback_length(s, pat));
		p->retry_pending = true;
		if (p->badges_left)
			schedule_retry(s, p);
	} else {
		pair_done(s, p);
	}
	station_eval(s, p->station);
}

static void find_arrival(struct sim *s, int st, int32_t person, int64_t at, enum kind *kind,
			 int32_t *pair)
{
	const struct arrival *a = &s->st[st].arrivals[(size_t)person * ARRIVALS_KEPT];
	int best = -1;

	for (int i = 0; i < ARRIVALS_KEPT; i++) {
		if (a[i].at == INT64_MIN)
			continue;
		if (a[i].at == at) {
			best = i;
			break;
		}
		if (best < 0 || a[i].at > a[best].at)
			best = i;
	}
	*kind = best >= 0 ? (enum kind)a[best].kind : K_NORMAL;
	*pair = best >= 0 ? a[best].pair : -1;
}

static const enum kind STRONG[] = { K_NEIGHBOUR, K_PASSBY, K_WALKAWAY, K_RETAP, K_FLICKER };
static const enum kind WEAK[] = { K_RETRY, K_EARLY, K_IMPATIENT };

/* A false pair is put down to the most unusual thing about its two taps; if
 * neither is unusual, to what disrupted the pairs they belong to (a cascade:
 * an earlier false meeting took a tap and left its partner alone). */
static enum kind attribute(struct sim *s, const enum kind k[2], const int32_t owner[2], bool *cascade)
{
	*cascade = false;
	for (size_t i = 0; i < sizeof(STRONG) / sizeof(STRONG[0]); i++)
		if (k[0] == STRONG[i] || k[1] == STRONG[i])
			return STRONG[i];
	for (int i = 0; i < 2; i++)
		if (owner[i] >= 0 && s->pairs[owner[i]].cause >= 0) {
			*cascade = true;
			return (enum kind)s->pairs[owner[i]].cause;
		}
	for (size_t i = 0; i < sizeof(WEAK) / sizeof(WEAK[0]); i++)
		if (k[0] == WEAK[i] || k[1] == WEAK[i])
			return WEAK[i];
	return K_NORMAL;
}

static void record_meeting(struct sim *s, int st, const struct tm_action *a)
{
	int32_t who[TM_MAX_BADGES_AT_ONCE], owner[TM_MAX_BADGES_AT_ONCE];
	enum kind kinds[TM_MAX_BADGES_AT_ONCE];
	bool suspect = a->suspect[0] != '\0';

	s->sc.meetings++;
	if (suspect)
		s->sc.suspect_meetings++;
	if (s->record) {
		fputs(suspect ? "suspect" : "meeting", s->record);
		for (size_t i = 0; i < a->n_taps; i++) {
			char hex[TM_UID_HEX_SIZE];

			tm_badge_uid_hex(&a->taps[i].badge, hex);
			fprintf(s->record, " %s", hex);
		}
		fputc('\n', s->record);
	}
	for (size_t i = 0; i < a->n_taps; i++) {
		who[i] = map_get(&s->uid_map, uid_key(&a->taps[i].badge));
		find_arrival(s, st, who[i], a->taps[i].at_ms - T0, &kinds[i], &owner[i]);
		s->st[st].met_at[who[i]] = s->now;
	}
	for (size_t i = 0; i < a->n_taps; i++)
		for (size_t j = i + 1; j < a->n_taps; j++) {
			int32_t k = map_get(&s->pair_map, pair_key(who[i], who[j]));
			bool truth = k >= 0 && !s->pairs[k].walkaway;

			score_pair(&s->sc, k, truth, suspect);
			if (!truth) {
				enum kind kk[2] = { kinds[i], kinds[j] }, cause;
				int32_t oo[2] = { owner[i], owner[j] };
				bool cascade;

				cause = attribute(s, kk, oo, &cascade);
				s->sc.why_false[cause][cascade]++;
				trace(s, st, "FALSE pair %s %s (%s of pair %d, %s of pair %d): put down to %s%s",
				      pname(s, who[i]), pname(s, who[j]), KIND_NAME[kk[0]], oo[0],
				      KIND_NAME[kk[1]], oo[1], KIND_NAME[cause], cascade ? " (cascade)" : "");
				for (int m = 0; m < 2; m++)
					if (oo[m] >= 0 && s->pairs[oo[m]].cause < 0)
						s->pairs[oo[m]].cause = (int)cause;
			}
		}
}

/* A pair's own tap that the engine refused: because its member met someone
 * else within after_meeting ("serial": a group recording its pairs one after
 * another), or because it was held too briefly and taken for a passer-by
 * ("short-hold"). The pair is marked as disrupted by that, for --why. */
static void refused_taps(struct sim *s, int st, const struct tm_action *a)
{
	for (size_t i = 0; i < a->n_taps; i++) {
		const struct tm_tap *t = &a->taps[i];
		int32_t p = map_get(&s->uid_map, uid_key(&t->badge)), owner;
		struct pair *o;
		enum kind kind, why;

		if (p < 0)
			continue;
		if (t->outcome == TM_TAP_DUPLICATE && s->cfg.after_meeting_ms > 0 &&
		    s->st[st].met_at[p] != INT64_MIN &&
		    t->at_ms - T0 - s->st[st].met_at[p] < s->cfg.after_meeting_ms)
			why = K_SERIAL;
		else if (t->outcome == TM_TAP_CANCELLED && a->pattern == TM_PATTERN_NONE)
			why = K_SHORT;
		else
			continue;
		find_arrival(s, st, p, t->at_ms - T0, &kind, &owner);
		if (owner < 0 || kind == K_RETAP || kind == K_PASSBY || kind == K_NEIGHBOUR)
			continue;
		o = &s->pairs[owner];
		if (o->cause < 0 && (o->a == p || o->b == p) && !s->sc.recorded_flag[owner])
			o->cause = (int)why;
	}
}

static void show_feedback_at(struct sim *s, int st, enum tm_pattern pat, int64_t at)
{
	struct event ev = { .t = at, .type = EV_FEEDBACK, .station = (uint8_t)st, .pair = -1,
			    .arg = (int32_t)pat };

	push(s, ev);
}

static void drain(struct sim *s, int st)
{
	struct station *x = &s->st[st];
	struct tm_action a;

	while (tm_engine_pop(x->e, &a)) {
		if (s->o->trace) {
			char line[512];
			size_t len = 0;

			for (size_t i = 0; i < a.n_taps && len < sizeof(line) - 64; i++) {
				int32_t p = map_get(&s->uid_map, uid_key(&a.taps[i].badge));

				len += (size_t)snprintf(line + len, sizeof(line) - len, " %s:%s",
							p >= 0 ? pname(s, p) : "?",
							tm_tap_outcome_name(a.taps[i].outcome));
			}
			trace(s, st, "engine: %s%s%s%s", a.type == TM_ACTION_MEETING ? "MEETING" : "taps",
			      line, a.suspect[0] ? " suspect: " : "", a.suspect);
		}
		if (a.type == TM_ACTION_MEETING)
			record_meeting(s, st, &a);
		else
			refused_taps(s, st, &a);
		switch (a.pattern) {
		case TM_PATTERN_SAVED:
		case TM_PATTERN_ALREADY_MET:
			/* Shown after the commit; the LEDs stay dark meanwhile. */
			x->dark_until = s->now + COMMIT_MS;
			x->feedback_until = s->now;
			show_feedback_at(s, st, a.pattern, s->now + COMMIT_MS);
			break;
		case TM_PATTERN_CANCELLED:
		case TM_PATTERN_TIMED_OUT:
		case TM_PATTERN_REJECTED:
			show_feedback_at(s, st, a.pattern, s->now);
			break;
		case TM_PATTERN_WAITING:
			x->feedback_until = s->now; /* a new window cuts the feedback short */
			break;
		default:
			break;
		}
	}
	station_eval(s, st);
}

static bool in_list(const int32_t *v, size_t n, int32_t x)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

/* A listing: the badges in the field now go to the engine, if they changed. */
static void poll_reader(struct sim *s, int st)
{
	struct station *x = &s->st[st];
	struct tm_badge set[MAX_PRESENT];
	bool same = x->n_present == x->n_reported;

	x->poll_scheduled = false;
	x->poll_origin = s->now;
	x->poll_period = x->n_present ? PRESENT_POLL_MS : s->o->poll_ms;
	for (size_t i = 0; same && i < x->n_present; i++)
		same = in_list(x->reported, x->n_reported, x->present[i]);
	if (same)
		return;
	for (size_t i = 0; i < x->n_present; i++) {
		int32_t p = x->present[i];

		set[i] = s->badges[p];
		if (!in_list(x->reported, x->n_reported, p)) {
			struct arrival *a = &x->arrivals[(size_t)p * ARRIVALS_KEPT];
			int oldest = 0;

			for (int k = 1; k < ARRIVALS_KEPT; k++)
				if (a[k].at < a[oldest].at)
					oldest = k;
			a[oldest] = (struct arrival){ s->now, x->cause_pair[p], x->cause_kind[p] };
			trace(s, st, "reader: %s arrives (%s)", pname(s, p), KIND_NAME[x->cause_kind[p]]);
		}
	}
	for (size_t i = 0; i < x->n_reported; i++)
		if (!in_list(x->present, x->n_present, x->reported[i]))
			trace(s, st, "reader: %s leaves", pname(s, x->reported[i]));
	memcpy(x->reported, x->present, x->n_present * sizeof(x->present[0]));
	x->n_reported = x->n_present;
	tm_engine_badges(x->e, T0 + s->now, set, x->n_present);
	drain(s, st);
}

/* The next listing after a change in the field: on the reader's grid. */
static void schedule_poll(struct sim *s, int st)
{
	struct station *x = &s->st[st];
	struct event ev = { .type = EV_POLL, .station = (uint8_t)st, .pair = -1 };

	if (x->poll_scheduled)
		return;
	x->poll_scheduled = true;
	ev.t = s->now;
	if (s->o->poll_ms > 0) {
		int64_t k = (s->now - x->poll_origin + x->poll_period - 1) / x->poll_period;

		ev.t = x->poll_origin + (k < 1 ? 1 : k) * x->poll_period;
	}
	push(s, ev);
}

static void presence(struct sim *s, const struct event *ev)
{
	struct station *x = &s->st[ev->station];
	int *c = &x->count[ev->person];

	if (ev->delta > 0) {
		if ((*c)++ == 0) {
			x->cause_kind[ev->person] = ev->kind;
			x->cause_pair[ev->person] = ev->pair;
			if (x->n_present < MAX_PRESENT)
				x->present[x->n_present++] = ev->person;
			schedule_poll(s, ev->station);
			if (s->timeline && ev->station == 0)
				timeline_write(s, "add", ev->person);
		}
	} else {
		if (--(*c) == 0) {
			for (size_t i = 0; i < x->n_present; i++)
				if (x->present[i] == ev->person) {
					x->present[i] = x->present[--x->n_present];
					break;
				}
			schedule_poll(s, ev->station);
			if (s->timeline && ev->station == 0)
				timeline_write(s, "remove", ev->person);
		}
		if (ev->own) {
			struct pair *p = &s->pairs[ev->pair];

			if (ev->arg == p->attempts && --p->outstanding == 0)
				push_simple(s, EV_LEFT, s->now, ev->pair, ev->arg);
		}
	}
}

static void handle(struct sim *s, const struct event *ev)
{
	struct pair *p = ev->pair >= 0 ? &s->pairs[ev->pair] : NULL;

	switch ((enum ev_type)ev->type) {
	case EV_PRESENCE:
		presence(s, ev);
		break;
	case EV_ARRIVE:
		p->arrived = true;
		station_eval(s, p->station);
		break;
	case EV_EVAL:
		station_eval(s, ev->station);
		break;
	case EV_START:
		start_turn(s, p, (enum kind)ev->arg);
		break;
	case EV_ATTEMPT:
		attempt(s, p);
		break;
	case EV_LEFT:
		if (ev->arg != p->attempts)
			break;
		p->badges_left = true;
		if (p->walkaway && p->attempts == 1)
			pair_done(s, p); /* A goes; B never came */
		if (p->retry_pending)
			schedule_retry(s, p);
		for (int i = 0; i < s->n_st; i++)
			station_eval(s, i);
		break;
	case EV_FEEDBACK: {
		struct station *x = &s->st[ev->station];
		enum tm_pattern pat = (enum tm_pattern)ev->arg;

		x->feedback_until = s->now + feedback_length(s, pat);
		push_station_eval(s, ev->station, x->feedback_until);
		/* Everyone whose badges are down takes it for their answer. */
		for (size_t i = 0; i < x->n_watch;) {
			struct pair *w = &s->pairs[x->watch[i]];

			if (w->watch_from <= s->now)
				outcome(s, w, pat); /* removes it from the list */
			else
				i++;
		}
		station_eval(s, ev->station);
		break;
	}
	case EV_WATCH_TIMEOUT:
		if (p->watching && ev->arg == p->attempts)
			outcome(s, p, TM_PATTERN_NONE);
		break;
	case EV_POLL:
		poll_reader(s, ev->station);
		break;
	case EV_RETAP: {
		int32_t m = rnd_chance(&p->rng, 0.5) ? p->a : p->b;

		trace(s, p->station, "pair %zu: %s taps again to make sure", (size_t)(p - s->pairs), pname(s, m));
		place(s, p, p->station, m, s->now, s->now + hold_ms(s, p), K_RETAP, false, true);
		break;
	}
	}
}

static int64_t deadline(struct sim *s, int st)
{
	int64_t d = tm_engine_next_deadline(s->st[st].e, T0 + s->now);

	return d == TM_NEVER ? INT64_MAX : d - T0;
}

/* Virtual time: at each step, the earliest of the next event and the next
 * engine deadline. Badges placed or lifted at one millisecond reach the
 * engine in one call, as one poll of a reader would report them. */
static void run_events(struct sim *s)
{
	for (;;) {
		int64_t t = s->n_heap ? s->heap[0].t : INT64_MAX;

		for (int i = 0; i < s->n_st; i++) {
			int64_t d = deadline(s, i);

			if (d < t)
				t = d;
		}
		if (t == INT64_MAX)
			break;
		if (t > s->now)
			s->now = t;
		while (s->n_heap && s->heap[0].t <= s->now && s->heap[0].prio == 0) {
			struct event ev = pop_event(s);

			presence(s, &ev);
		}
		for (int i = 0; i < s->n_st; i++)
			if (deadline(s, i) <= s->now) {
				tm_engine_tick(s->st[i].e, T0 + s->now);
				drain(s, i);
				if (deadline(s, i) <= s->now) {
					fprintf(stderr, "crowd: the engine's deadline does not move on\n");
					exit(2);
				}
			}
		if (s->n_heap && s->heap[0].t <= s->now && s->heap[0].prio == 1) {
			struct event ev = pop_event(s);

			handle(s, &ev);
		}
	}
}

/* --- one run: a rule set at a pace --------------------------------------- */

struct cell {
	const struct rule_set *rs;
	const struct pace *pace;
	struct score sc;
};

static void sim_setup(struct sim *s, const struct options *o, const struct workload *w,
		      const struct rule_set *rs, const struct pace *pace)
{
	struct map ids = { 0 };
	size_t cap = 0, n = (size_t)o->meetings;
	int64_t clock[MAX_STATIONS] = { 0 }; /* each station's arrivals */

	memset(s, 0, sizeof(*s));
	s->o = o;
	s->pace = pace;
	build_config(rs, o->taught, &s->cfg, &s->taught_together);
	s->p_together = o->p_together >= 0 ? o->p_together : s->taught_together ? 0.9 : 0.2;
	s->p_early = o->p_early >= 0 ? o->p_early : pace->p_early;
	s->n_st = o->stations;
	s->n_pairs = n;
	s->pairs = xcalloc(n, sizeof(*s->pairs));
	for (size_t k = 0; k < n; k++) {
		const struct intended *in = &w->list[k % w->n];
		int64_t off = (int64_t)(k / w->n) * ID_CYCLE_OFFSET;
		struct pair *p = &s->pairs[k];

		p->a = person_for(s, &ids, in->a + off, &cap);
		p->b = person_for(s, &ids, in->b + off, &cap);
		p->station = (uint8_t)(k % (size_t)s->n_st);
		p->rng = rng_for(o->seed, k);
		p->walkaway = rnd_chance(&p->rng, o->p_walk);
		p->retap = rnd_chance(&p->rng, o->p_retap);
		p->passby = rnd_chance(&p->rng, o->p_passby);
		p->early = rnd_chance(&p->rng, s->p_early);
		p->together = rnd_chance(&p->rng, s->p_together);
		p->cause = -1;
		map_put(&s->pair_map, pair_key(p->a, p->b), (int32_t)k);
	}
	map_free(&ids);
	{
		int32_t *last = xcalloc(s->n_persons, sizeof(*last));

		for (size_t i = 0; i < s->n_persons; i++)
			last[i] = -1;
		for (size_t k = 0; k < n; k++) {
			struct pair *p = &s->pairs[k];

			p->before[0] = last[p->a];
			p->before[1] = last[p->b];
			last[p->a] = last[p->b] = (int32_t)k;
		}
		free(last);
	}
	s->badges = xcalloc(s->n_persons, sizeof(*s->badges));
	for (size_t i = 0; i < s->n_persons; i++)
		make_badge(s, (int32_t)i);

	for (int i = 0; i < s->n_st; i++) {
		struct station *x = &s->st[i];

		x->e = xcalloc(1, sizeof(*x->e));
		tm_engine_init(x->e, &s->cfg);
		x->count = xcalloc(s->n_persons, sizeof(*x->count));
		x->arrivals = xcalloc(s->n_persons * ARRIVALS_KEPT, sizeof(*x->arrivals));
		x->cause_kind = xcalloc(s->n_persons, sizeof(*x->cause_kind));
		x->met_at = xcalloc(s->n_persons, sizeof(*x->met_at));
		for (size_t j = 0; j < s->n_persons; j++)
			x->met_at[j] = INT64_MIN;
		x->cause_pair = xcalloc(s->n_persons, sizeof(*x->cause_pair));
		for (size_t j = 0; j < s->n_persons * ARRIVALS_KEPT; j++)
			x->arrivals[j] = (struct arrival){ INT64_MIN, -1, K_NORMAL };
		x->queue = xcalloc(n / (size_t)s->n_st + 1, sizeof(*x->queue));
		x->rng = rng_for(o->seed, UINT64_C(1) << 40 | (uint64_t)i);
		x->poll_period = o->poll_ms;
		x->poll_origin = o->poll_ms > 0 ? rnd_uniform_ms(&x->rng, 0, o->poll_ms - 1) : 0;
	}
	for (size_t k = 0; k < n; k++) {
		struct pair *p = &s->pairs[k];
		struct station *x = &s->st[p->station];
		int64_t *t = &clock[p->station];

		p->pos = x->n_queue;
		x->queue[x->n_queue++] = (int32_t)k;
		if (pace->interval_ms > 0)
			*t += rnd_exp_ms(&x->rng, pace->interval_ms);
		p->arrive = *t;
		push_simple(s, EV_ARRIVE, p->arrive, (int32_t)k, 0);
	}

	s->sc.intended = n;
	s->sc.recorded_flag = xcalloc(n, sizeof(*s->sc.recorded_flag));
	s->sc.saved_ms = xcalloc(2 * n, sizeof(*s->sc.saved_ms));
	for (size_t k = 0; k < n; k++) {
		if (s->pairs[k].walkaway)
			s->sc.abandoned++;
		else
			s->sc.completed++;
	}
}

static void sim_finish(struct sim *s)
{
	for (size_t k = 0; k < s->n_pairs; k++) {
		const struct pair *p = &s->pairs[k];

		if (!p->walkaway && !s->sc.recorded_flag[k]) {
			s->sc.why_lost[p->cause >= 0 ? p->cause : K_NORMAL]++;
			trace(s, p->station, "LOST pair %zu (%s %s): put down to %s", k, pname(s, p->a),
			      pname(s, p->b), KIND_NAME[p->cause >= 0 ? p->cause : K_NORMAL]);
		}
	}
	for (int i = 0; i < s->n_st; i++) {
		tm_engine_free(s->st[i].e);
		free(s->st[i].e);
		free(s->st[i].count);
		free(s->st[i].arrivals);
		free(s->st[i].cause_kind);
		free(s->st[i].met_at);
		free(s->st[i].cause_pair);
		free(s->st[i].queue);
	}
	free(s->pairs);
	free(s->badges);
	free(s->person_id);
	free(s->heap);
	map_free(&s->uid_map);
	map_free(&s->pair_map);
}

static int write_truth(struct sim *s, const char *path)
{
	FILE *f = fopen(path, "we");

	if (!f) {
		fprintf(stderr, "crowd: %s: %s\n", path, strerror(errno));
		return -1;
	}
	fprintf(f, "# crowd truth: 'pair A B' for each pair that presented both badges,\n"
		   "# 'abandoned A B' for each whose second member walked away\n");
	for (size_t k = 0; k < s->n_pairs; k++) {
		char a[TM_UID_HEX_SIZE], b[TM_UID_HEX_SIZE];

		tm_badge_uid_hex(&s->badges[s->pairs[k].a], a);
		tm_badge_uid_hex(&s->badges[s->pairs[k].b], b);
		fprintf(f, "%s %s %s\n", s->pairs[k].walkaway ? "abandoned" : "pair", a, b);
	}
	return fclose(f) == 0 ? 0 : -1;
}

static int run_cell(const struct options *o, const struct workload *w, struct cell *c)
{
	struct sim *s = xcalloc(1, sizeof(*s));
	int rc = 0;

	sim_setup(s, o, w, c->rs, c->pace);
	if (o->timeline) {
		s->timeline = fopen(o->timeline, "we");
		if (!s->timeline) {
			fprintf(stderr, "crowd: %s: %s\n", o->timeline, strerror(errno));
			rc = -1;
			goto out;
		}
		fprintf(s->timeline,
			"# crowd timeline: rules %s, pace %s, %ld meetings, seed %llu\n"
			"# <ms> add|remove <UID>: a badge put on / taken off the reader; <ms> end\n",
			c->rs->name, c->pace->name, o->meetings, (unsigned long long)o->seed);
		print_config_line(s->timeline, "# ", &s->cfg, s->taught_together);
	}
	if (o->record && !(s->record = fopen(o->record, "we"))) {
		fprintf(stderr, "crowd: %s: %s\n", o->record, strerror(errno));
		rc = -1;
		goto out;
	}
	run_events(s);
	if (s->record && fclose(s->record) != 0)
		rc = -1;
	if (s->timeline) {
		fprintf(s->timeline, "%lld end\n", (long long)(s->timeline_last + 1000));
		if (fclose(s->timeline) != 0)
			rc = -1;
	}
	if (o->truth && write_truth(s, o->truth) < 0)
		rc = -1;
out:
	sim_finish(s);
	c->sc = s->sc;
	free(s);
	return rc;
}

static const char TABLE_HEAD[] =
	"rules         pace  attempts  recall %  precision %  clean prec %  false/1000  lost/1000"
	"  suspect %  saved p50 s  saved p95 s\n";

static void print_row(struct cell *c)
{
	struct score *sc = &c->sc;

	printf("%-13s %-5s %8zu %9.2f %12.2f %13.2f %11.2f %10.2f %10.2f %12.2f %12.2f\n",
	       c->rs->name, c->pace->name, sc->attempts, pct(sc->recalled, sc->completed),
	       pct(sc->true_rec, sc->recorded), pct(sc->clean_true, sc->clean),
	       per_1000(sc->false_rec, sc->intended),
	       per_1000(sc->completed - sc->recalled, sc->intended),
	       pct(sc->true_suspect, sc->true_rec), percentile_s(sc->saved_ms, sc->n_saved, 0.5),
	       percentile_s(sc->saved_ms, sc->n_saved, 0.95));
	fflush(stdout);
}

static void print_why(struct cell *cells, size_t n)
{
	printf("\nfalse pairs by cause, per 1,000 intended meetings: direct + cascaded from it\n"
	       "(a cascade: an earlier false meeting took a tap and left its partner to pair wrongly)\n");
	printf("%-13s %-5s", "rules", "pace");
	for (size_t i = 0; i < N_WHY; i++)
		printf(" %15s", KIND_NAME[WHY_ORDER[i]]);
	printf("\n");
	for (size_t c = 0; c < n; c++) {
		printf("%-13s %-5s", cells[c].rs->name, cells[c].pace->name);
		for (size_t i = 0; i < N_WHY; i++) {
			char buf[40];
			const size_t *v = cells[c].sc.why_false[WHY_ORDER[i]];

			snprintf(buf, sizeof(buf), "%.2f+%.2f", per_1000(v[0], cells[c].sc.intended),
				 per_1000(v[1], cells[c].sc.intended));
			printf(" %15s", v[0] + v[1] ? buf : "-");
		}
		printf("\n");
	}
	printf("\nlost pairs by what disrupted them, per 1,000 intended meetings\n");
	printf("%-13s %-5s", "rules", "pace");
	for (size_t i = 0; i < N_WHY; i++)
		printf(" %15s", KIND_NAME[WHY_ORDER[i]]);
	printf("\n");
	for (size_t c = 0; c < n; c++) {
		printf("%-13s %-5s", cells[c].rs->name, cells[c].pace->name);
		for (size_t i = 0; i < N_WHY; i++) {
			char buf[40];
			size_t v = cells[c].sc.why_lost[WHY_ORDER[i]];

			snprintf(buf, sizeof(buf), "%.2f", per_1000(v, cells[c].sc.intended));
			printf(" %15s", v ? buf : "-");
		}
		printf("\n");
	}
}

/* --- --score: a truth file and a meetings file --------------------------- */

static int32_t score_person(struct map *uids, const char *hex, size_t *n_persons)
{
	struct tm_badge b;
	int32_t p;

	if (tm_badge_parse_uid(&b, hex) < 0)
		return -1;
	p = map_get(uids, uid_key(&b));
	if (p < 0) {
		p = (int32_t)(*n_persons)++;
		map_put(uids, uid_key(&b), p);
	}
	return p;
}

static int score_files(const char *truth_path, const char *meetings_path)
{
	struct map uids = { 0 }, pairs = { 0 };
	size_t n_persons = 0, cap = 0, lineno = 0;
	bool *completed = NULL;
	struct score sc;
	char line[4096];
	FILE *f;
	int rc = 2;

	memset(&sc, 0, sizeof(sc));
	if (!(f = fopen(truth_path, "re"))) {
		fprintf(stderr, "crowd: %s: %s\n", truth_path, strerror(errno));
		goto out;
	}
	while (fgets(line, sizeof(line), f)) {
		char what[32], a[64], b[64];
		int32_t pa, pb;

		lineno++;
		if (line[0] == '#' || strspn(line, " \t\r\n") == strlen(line))
			continue;
		if (sscanf(line, "%31s %63s %63s", what, a, b) != 3 ||
		    (strcmp(what, "pair") != 0 && strcmp(what, "abandoned") != 0) ||
		    (pa = score_person(&uids, a, &n_persons)) < 0 ||
		    (pb = score_person(&uids, b, &n_persons)) < 0 || pa == pb) {
			fprintf(stderr, "crowd: %s:%zu: expected 'pair UID UID' or 'abandoned UID UID'\n",
				truth_path, lineno);
			goto out;
		}
		if (map_get(&pairs, pair_key(pa, pb)) >= 0)
			continue; /* listed twice: one intended meeting */
		if (sc.intended == cap) {
			cap = cap ? 2 * cap : 1024;
			completed = xrealloc(completed, cap * sizeof(*completed));
		}
		completed[sc.intended] = strcmp(what, "pair") == 0;
		map_put(&pairs, pair_key(pa, pb), (int32_t)sc.intended++);
		if (strcmp(what, "pair") == 0)
			sc.completed++;
		else
			sc.abandoned++;
	}
	fclose(f);
	sc.recorded_flag = xcalloc(sc.intended, sizeof(*sc.recorded_flag));
	if (!(f = fopen(meetings_path, "re"))) {
		fprintf(stderr, "crowd: %s: %s\n", meetings_path, strerror(errno));
		goto out;
	}
	lineno = 0;
	while (fgets(line, sizeof(line), f)) {
		int32_t who_[64];
		size_t n = 0;
		bool suspect;
		char *save = NULL, *tok = strtok_r(line, " \t\r\n", &save);

		lineno++;
		if (!tok || tok[0] == '#')
			continue;
		if (strcmp(tok, "meeting") != 0 && strcmp(tok, "suspect") != 0) {
			fprintf(stderr, "crowd: %s:%zu: expected 'meeting UID...' or 'suspect UID...'\n",
				meetings_path, lineno);
			goto out;
		}
		suspect = strcmp(tok, "suspect") == 0;
		while ((tok = strtok_r(NULL, " \t\r\n", &save)) && n < 64) {
			int32_t p = score_person(&uids, tok, &n_persons);

			if (p < 0) {
				fprintf(stderr, "crowd: %s:%zu: '%s' is not a UID\n", meetings_path, lineno, tok);
				goto out;
			}
			who_[n++] = p;
		}
		sc.meetings++;
		if (suspect)
			sc.suspect_meetings++;
		for (size_t i = 0; i < n; i++)
			for (size_t j = i + 1; j < n; j++) {
				int32_t k = who_[i] == who_[j] ? -1 : map_get(&pairs, pair_key(who_[i], who_[j]));

				score_pair(&sc, k, k >= 0 && completed[k], suspect);
			}
	}
	printf("pairs=%zu\nabandoned=%zu\nmeetings=%zu\nsuspect_meetings=%zu\n", sc.completed,
	       sc.abandoned, sc.meetings, sc.suspect_meetings);
	printf("recorded_pairs=%zu\ntrue_pairs=%zu\nfalse_pairs=%zu\nclean_false_pairs=%zu\n",
	       sc.recorded, sc.true_rec, sc.false_rec, sc.clean_false);
	printf("recalled=%zu\nlost=%zu\n", sc.recalled, sc.completed - sc.recalled);
	printf("recall=%.2f\nprecision=%.2f\nclean_precision=%.2f\nsuspect=%.2f\n",
	       pct(sc.recalled, sc.completed), pct(sc.true_rec, sc.recorded),
	       pct(sc.clean_true, sc.clean), pct(sc.true_suspect, sc.true_rec));
	printf("false_per_1000=%.2f\nlost_per_1000=%.2f\n", per_1000(sc.false_rec, sc.intended),
	       per_1000(sc.completed - sc.recalled, sc.intended));
	rc = 0;
out:
	if (f)
		fclose(f);
	free(sc.recorded_flag);
	free(completed);
	map_free(&uids);
	map_free(&pairs);
	return rc;
}

/* --- main ---------------------------------------------------------------- */

static void usage(FILE *out)
{
	fprintf(out,
"usage: crowd [OPTIONS]              simulate, print the table of scores\n"
"       crowd --score TRUTH MEETINGS  score a station's meetings against a truth file\n"
"       crowd --print-config RULES    the [pairing] section of tapmeetd.conf for a rule set\n"
"\n"
"The pairing engine driven by simulated people in virtual time (docs/crowd.md).\n"
"\n"
"  --rules NAME|all     rule set (default all):");
	for (size_t i = 0; i < N_RULE_SETS; i++)
		fprintf(out, " %s", RULE_SETS[i].name);
	fprintf(out, "\n"
"  --pace calm|busy|rush|all   how fast pairs come (default all)\n"
"  --meetings N         intended meetings per run (default 10000)\n"
"  --seed N             random seed (default 1); the same seed gives the same output\n"
"  --stations 1|2       pairs split between two stations side by side (default 1)\n"
"  --data PATH          the SFHH contact log (default ../" DATA_REL " from the\n"
"                       repository); absent: generated pairs of %d people\n"
"  --taught together|sequential  what the station teaches, for 'default' when its\n"
"                       rules are sequential (default together)\n"
"  --walkaway P         the second member never comes (default 0.05)\n"
"  --retap P            one member taps again alone after 'saved' (default 0.1)\n"
"  --flicker P          a placed badge drops out of the field 1-3 times (default 0.05)\n"
"  --passby P           someone else's badge is seen briefly during a pair (default 0.02)\n"
"  --neighbour P        a placement is seen by the other station too (default 0.02)\n"
"  --together P         pairs holding both badges together (default: 0.9 when taught,\n"
"                       0.2 when sequential taps are taught)\n"
"  --early P            start without waiting for the LEDs (default by pace)\n"
"  --retry P            try again after no 'saved' (default 0.8)\n"
"  --hold MS            median time a badge is held on the reader (default %d)\n"
"  --poll MS            an empty reader looks for a badge every MS (default %d: the\n"
"                       PN53x chip's activation attempts; 100: a reader without chip\n"
"                       waiting, polled every poll_interval), one with badges lists\n"
"                       them every %d ms; 0: the engine sees every change at once\n"
"  --why                false and lost pairs by cause\n"
"  --trace              what each pair does and the engine answers, on stderr\n"
"  --goal               run 'default' at rush pace; exit 1 unless clean precision\n"
"                       >= 99.9 %% and recall >= 99 %% (the project's goal)\n"
"  --min-clean P, --min-recall P  other thresholds for --goal (a regression floor)\n"
"  --timeline FILE      the badges put on and off the reader (one rule set, pace and\n"
"                       station): bench/crowd_replay.py plays it on the real station\n"
"  --truth FILE         'pair A B' / 'abandoned A B' lines, for --score\n"
"  --record FILE        the meetings the engine recorded, as --score reads them\n"
"  --score TRUTH MEETINGS  read 'meeting UID...' / 'suspect UID...' lines and print\n"
"                       recall, precision, clean_precision, false, lost as key=value\n",
		GENERATED_PEOPLE, HOLD_MEDIAN_MS, IDLE_POLL_MS, PRESENT_POLL_MS);
}

/* A whole number from lo to hi, and nothing after it. */
static bool parse_long(const char *arg, long lo, long hi, long *out)
{
	char *end;
	long v = strtol(arg, &end, 10);

	if (end == arg || *end || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static bool parse_prob(const char *arg, double *out)
{
	char *end;
	double v = strtod(arg, &end);

	if (end == arg || *end || !(v >= 0 && v <= 1))
		return false;
	*out = v;
	return true;
}

/* The repository's sibling shared/ directory, found from the binary (it sits
 * in BUILD/bench/ somewhere below the repository) or from the current
 * directory. Returns a string to free. */
static char *default_data_path(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *out = NULL;

	if (n > 0) {
		exe[n] = '\0';
		for (char *slash = strrchr(exe, '/'); slash && !out; slash = strrchr(exe, '/')) {
			char *probe;

			*slash = '\0';
			if (asprintf(&probe, "%s/bench/crowd.c", exe) < 0)
				break;
			if (access(probe, F_OK) == 0) {
				char *top;

				free(probe);
				if (asprintf(&probe, "%s/..", exe) < 0)
					break;
				top = realpath(probe, NULL);
				if (asprintf(&out, "%s/%s", top ? top : probe, DATA_REL) < 0)
					out = NULL;
				free(top);
			}
			free(probe);
		}
	}
	if (!out && asprintf(&out, "../%s", DATA_REL) < 0) {
		fprintf(stderr, "crowd: out of memory\n");
		exit(2);
	}
	return out;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	enum {
		O_RULES = 256, O_PACE, O_MEETINGS, O_SEED, O_STATIONS, O_DATA, O_TAUGHT, O_WALK,
		O_RETAP, O_FLICKER, O_PASSBY, O_NEIGHBOUR, O_TOGETHER, O_EARLY, O_RETRY, O_WHY,
		O_GOAL, O_MIN_CLEAN, O_MIN_RECALL, O_TIMELINE, O_TRUTH, O_SCORE, O_PRINT, O_HELP, O_POLL, O_TRACE, O_RECORD,
		O_HOLD
	};
	static const struct option longopts[] = {
		{ "rules", required_argument, NULL, O_RULES },
		{ "pace", required_argument, NULL, O_PACE },
		{ "meetings", required_argument, NULL, O_MEETINGS },
		{ "seed", required_argument, NULL, O_SEED },
		{ "stations", required_argument, NULL, O_STATIONS },
		{ "data", required_argument, NULL, O_DATA },
		{ "taught", required_argument, NULL, O_TAUGHT },
		{ "walkaway", required_argument, NULL, O_WALK },
		{ "retap", required_argument, NULL, O_RETAP },
		{ "flicker", required_argument, NULL, O_FLICKER },
		{ "passby", required_argument, NULL, O_PASSBY },
		{ "neighbour", required_argument, NULL, O_NEIGHBOUR },
		{ "together", required_argument, NULL, O_TOGETHER },
		{ "early", required_argument, NULL, O_EARLY },
		{ "retry", required_argument, NULL, O_RETRY },
		{ "why", no_argument, NULL, O_WHY },
		{ "goal", no_argument, NULL, O_GOAL },
		{ "min-clean", required_argument, NULL, O_MIN_CLEAN },
		{ "min-recall", required_argument, NULL, O_MIN_RECALL },
		{ "timeline", required_argument, NULL, O_TIMELINE },
		{ "truth", required_argument, NULL, O_TRUTH },
		{ "score", required_argument, NULL, O_SCORE },
		{ "print-config", required_argument, NULL, O_PRINT },
		{ "help", no_argument, NULL, O_HELP },
		{ "poll", required_argument, NULL, O_POLL },
		{ "trace", no_argument, NULL, O_TRACE },
		{ "record", required_argument, NULL, O_RECORD },
		{ "hold", required_argument, NULL, O_HOLD },
		{ NULL, 0, NULL, 0 },
	};
	struct options o = {
		.rules = "all", .pace = "all", .meetings = 10000, .seed = 1, .stations = 1,
		.p_retap = 0.1, .p_walk = 0.05, .p_flicker = 0.05, .p_passby = 0.02,
		.min_clean = 99.9, .min_recall = 99.0,
		.p_neighbour = 0.02, .p_retry = 0.8, .p_together = -1, .p_early = -1,
		.taught = TAUGHT_TOGETHER, .poll_ms = IDLE_POLL_MS, .hold_ms = HOLD_MEDIAN_MS,
	};
	const char *score_truth = NULL, *print_rules = NULL;
	char *data_buf = NULL;
	struct workload w = { 0 };
	struct cell *cells;
	size_t n_cells = 0;
	int opt, rc;
	double t_start;

	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		char *end;
		long number;
		double *prob = NULL;

		switch (opt) {
		case O_RULES: o.rules = optarg; break;
		case O_PACE: o.pace = optarg; break;
		case O_MEETINGS:
			if (!parse_long(optarg, 1, 10000000, &o.meetings)) {
				fprintf(stderr, "crowd: --meetings wants 1..10000000\n");
				return 1;
			}
			break;
		case O_SEED:
			o.seed = strtoull(optarg, &end, 10);
			if (end == optarg || *end) {
				fprintf(stderr, "crowd: --seed wants a number\n");
				return 1;
			}
			break;
		case O_STATIONS:
			if (strcmp(optarg, "1") != 0 && strcmp(optarg, "2") != 0) {
				fprintf(stderr, "crowd: --stations is 1 or 2\n");
				return 1;
			}
			o.stations = atoi(optarg);
			break;
		case O_DATA: o.data = optarg; break;
		case O_TAUGHT:
			if (strcmp(optarg, "together") == 0)
				o.taught = TAUGHT_TOGETHER;
			else if (strcmp(optarg, "sequential") == 0)
				o.taught = TAUGHT_SEQUENTIAL;
			else {
				fprintf(stderr, "crowd: --taught is together or sequential\n");
				return 1;
			}
			break;
		case O_WALK: prob = &o.p_walk; break;
		case O_RETAP: prob = &o.p_retap; break;
		case O_FLICKER: prob = &o.p_flicker; break;
		case O_PASSBY: prob = &o.p_passby; break;
		case O_NEIGHBOUR: prob = &o.p_neighbour; break;
		case O_TOGETHER: prob = &o.p_together; break;
		case O_EARLY: prob = &o.p_early; break;
		case O_RETRY: prob = &o.p_retry; break;
		case O_WHY: o.why = true; break;
		case O_TRACE: o.trace = true; break;
		case O_HOLD:
			if (!parse_long(optarg, 150, 10000, &number)) {
				fprintf(stderr, "crowd: --hold wants 150..10000 (ms)\n");
				return 1;
			}
			o.hold_ms = number;
			break;
		case O_POLL:
			if (!parse_long(optarg, 0, 5000, &number)) {
				fprintf(stderr, "crowd: --poll wants 0..5000 (ms)\n");
				return 1;
			}
			o.poll_ms = number;
			break;
		case O_GOAL: o.goal = true; break;
		case O_MIN_CLEAN: o.min_clean = atof(optarg); break;
		case O_MIN_RECALL: o.min_recall = atof(optarg); break;
		case O_TIMELINE: o.timeline = optarg; break;
		case O_TRUTH: o.truth = optarg; break;
		case O_RECORD: o.record = optarg; break;
		case O_SCORE: score_truth = optarg; break;
		case O_PRINT: print_rules = optarg; break;
		case O_HELP:
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
		if (prob && !parse_prob(optarg, prob)) {
			fprintf(stderr, "crowd: %s: a probability from 0 to 1\n", optarg);
			return 1;
		}
	}
	if (score_truth) {
		if (optind + 1 != argc) {
			fprintf(stderr, "usage: crowd --score TRUTH MEETINGS\n");
			return 1;
		}
		return score_files(score_truth, argv[optind]);
	}
	if (optind != argc) {
		usage(stderr);
		return 1;
	}
	if (print_rules) {
		const struct rule_set *rs = find_rules(print_rules);
		struct tm_engine_config cfg;
		bool together;

		if (!rs) {
			fprintf(stderr, "crowd: no rule set '%s'\n", print_rules);
			return 1;
		}
		build_config(rs, o.taught, &cfg, &together);
		print_pairing_section(rs, &cfg, together);
		return 0;
	}
	if (o.goal) {
		o.rules = "default";
		o.pace = "rush";
	}
	if (strcmp(o.rules, "all") != 0 && !find_rules(o.rules)) {
		fprintf(stderr, "crowd: no rule set '%s' (--help lists them)\n", o.rules);
		return 1;
	}
	if (strcmp(o.pace, "all") != 0 && strcmp(o.pace, "calm") != 0 && strcmp(o.pace, "busy") != 0 &&
	    strcmp(o.pace, "rush") != 0) {
		fprintf(stderr, "crowd: --pace is calm, busy, rush or all\n");
		return 1;
	}
	if ((o.timeline || o.truth || o.record) &&
	    (strcmp(o.rules, "all") == 0 || strcmp(o.pace, "all") == 0 || o.stations != 1)) {
		fprintf(stderr, "crowd: --timeline, --truth and --record want one --rules, one --pace and one station\n");
		return 1;
	}

	t_start = now_s();
	if (!o.data) {
		data_buf = default_data_path();
		o.data = data_buf;
	}
	rc = load_tij(o.data, &w);
	printf("# crowd: the pairing engine (libtapmeet) driven by simulated people in virtual time\n");
	if (rc == 0) {
		printf("# meetings: %ld intended, from the SFHH contact log\n#   %s:\n"
		       "#   %zu pairs whose first contact lasted >= 60 s, in order of its end",
		       o.meetings, o.data, w.n);
		if ((size_t)o.meetings > w.n)
			printf("; the list used %zu times over, person ids offset per pass\n"
			       "#   (new people: every pair distinct)",
			       ((size_t)o.meetings + w.n - 1) / w.n);
		printf("\n");
	} else {
		free(w.list);
		memset(&w, 0, sizeof(w));
		generate_pairs(&w, (size_t)o.meetings, o.seed);
		printf("# %s is absent (%s): generated pairs instead\n", o.data,
		       rc == -ENODATA ? "no meeting in it" : strerror(-rc));
		printf("# meetings: %ld intended, distinct random pairs of %d people", o.meetings,
		       GENERATED_PEOPLE);
		if ((size_t)o.meetings > w.n)
			printf("; the list used over again, person ids offset per pass");
		printf("\n");
	}
	printf("# people: walkaway %.3f, re-tap %.3f, flicker %.3f, passer-by %.3f, neighbour %.3f%s,\n"
	       "#   retry %.2f, together %s, early %s\n",
	       o.p_walk, o.p_retap, o.p_flicker, o.p_passby, o.p_neighbour,
	       o.stations > 1 ? "" : " (2 stations only)", o.p_retry,
	       o.p_together >= 0 ? "as given" : "0.9 taught together / 0.2 taught sequential",
	       o.p_early >= 0 ? "as given" : "calm 0.05 busy 0.20 rush 0.50");
	if (o.p_together >= 0)
		printf("#   together %.3f for every rule set\n", o.p_together);
	if (o.p_early >= 0)
		printf("#   early %.3f at every pace\n", o.p_early);
	printf("#   hold median %lld ms; ", (long long)o.hold_ms);
	if (o.poll_ms)
		printf("an empty reader looks for a badge every %lld ms, one with badges lists them every %d ms\n",
		       (long long)o.poll_ms, PRESENT_POLL_MS);
	else
		printf("the engine sees every change at once (--poll 0)\n");
	printf("# seed %llu, %d station%s\n# rule sets:\n", (unsigned long long)o.seed, o.stations,
	       o.stations > 1 ? "s side by side, pairs split between them" : "");
	cells = xcalloc(N_RULE_SETS * N_PACES, sizeof(*cells));
	for (size_t r = 0; r < N_RULE_SETS; r++) {
		struct tm_engine_config cfg;
		bool together;
		char prefix[64];

		if (strcmp(o.rules, "all") != 0 && strcmp(o.rules, RULE_SETS[r].name) != 0)
			continue;
		build_config(&RULE_SETS[r], o.taught, &cfg, &together);
		snprintf(prefix, sizeof(prefix), "#   %-13s ", RULE_SETS[r].name);
		print_config_line(stdout, prefix, &cfg, together);
		for (size_t p = 0; p < N_PACES; p++)
			if (strcmp(o.pace, "all") == 0 || strcmp(o.pace, PACES[p].name) == 0)
				cells[n_cells++] = (struct cell){ &RULE_SETS[r], &PACES[p], { 0 } };
	}
	printf("\n%s", TABLE_HEAD);
	rc = 0;
	for (size_t c = 0; c < n_cells; c++) {
		if (run_cell(&o, &w, &cells[c]) < 0)
			rc = 2;
		print_row(&cells[c]);
	}
	if (o.why)
		print_why(cells, n_cells);
	fprintf(stderr, "crowd: %zu run%s of %ld meetings in %.2f s\n", n_cells, n_cells == 1 ? "" : "s",
		o.meetings, now_s() - t_start);
	if (o.goal && rc == 0 && n_cells == 1) {
		struct score *sc = &cells[0].sc;
		double clean = pct(sc->clean_true, sc->clean), recall = pct(sc->recalled, sc->completed);
		bool clean_ok = clean >= o.min_clean, recall_ok = recall >= o.min_recall;

		printf("\ngoal (default rules, rush): clean precision %.2f %% %s %g %%, recall %.2f %% %s %g %%\n",
		       clean, clean_ok ? ">=" : "BELOW", o.min_clean, recall, recall_ok ? ">=" : "BELOW",
		       o.min_recall);
		if (!clean_ok || !recall_ok) {
			printf("goal: FAILED (%s%s%s)\n", clean_ok ? "" : "clean precision",
			       !clean_ok && !recall_ok ? " and " : "", recall_ok ? "" : "recall");
			rc = 1;
		} else {
			printf("goal: met\n");
		}
	}
	for (size_t c = 0; c < n_cells; c++) {
		free(cells[c].sc.recorded_flag);
		free(cells[c].sc.saved_ms);
	}
	free(cells);
	free(w.list);
	free(data_buf);
	return rc;
}
