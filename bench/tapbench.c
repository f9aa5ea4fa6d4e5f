/* Cost of one tap through the pairing engine and the store, without fsync:
 * the path tapmeetd takes for every badge, minus the reader and the LEDs.
 * Run under callgrind with two sizes; the difference divided by the extra
 * taps is the per-tap instruction count, with start-up cancelled out.
 *
 *   tapbench DB PAIRS [sociopatterns-tij-file]
 *
 * With a SocioPatterns file, the badge pairs come from the real contact log
 * (in its order); without, from a fixed pseudo-random population. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tapmeet/clock.h"
#include "tapmeet/engine.h"
#include "tapmeet/store.h"

struct pair_source {
	FILE *tij;
	uint32_t rng;
};

static int next_pair(struct pair_source *src, unsigned *a, unsigned *b)
{
	long t;

	if (src->tij)
		return fscanf(src->tij, "%ld %u %u", &t, a, b) == 3 ? 0 : -ENODATA;
	/* xorshift: the same population and order on every run */
	src->rng ^= src->rng << 13;
	src->rng ^= src->rng >> 17;
	src->rng ^= src->rng << 5;
	*a = src->rng % 2000;
	*b = (src->rng / 2000) % 2000;
	if (*a == *b)
		*b = (*b + 1) % 2000;
	return 0;
}

static void badge_for(unsigned person, struct tm_badge *b)
{
	char hex[16];

	snprintf(hex, sizeof(hex), "04%06X", person);
	tm_badge_parse_uid(b, hex);
}

static int store_action(struct tm_store *store, const struct tm_action *a, uint64_t *pending_ref,
			char pending_id[TM_ID_SIZE])
{
	struct tm_store_tap taps[TM_MAX_BADGES_AT_ONCE];
	struct tm_stamp stamp;
	char meeting_id[TM_ID_SIZE];

	for (size_t i = 0; i < a->n_taps; i++) {
		memset(&taps[i], 0, sizeof(taps[i]));
		if (a->taps[i].ref == *pending_ref) {
			memcpy(taps[i].id, pending_id, TM_ID_SIZE);
		} else {
			tm_store_next_tap_id(store, taps[i].id);
			*pending_ref = a->taps[i].ref;
			memcpy(pending_id, taps[i].id, TM_ID_SIZE);
		}
		tm_badge_uid_hex(&a->taps[i].badge, taps[i].uid);
		taps[i].outcome = a->taps[i].outcome;
		memcpy(taps[i].reason, a->taps[i].reason, sizeof(taps[i].reason));
		tm_stamp_at(&taps[i].stamp, a->taps[i].at_ms);
	}
	if (a->type == TM_ACTION_TAPS)
		return tm_store_write_taps(store, taps, a->n_taps);
	tm_store_next_meeting_id(store, meeting_id);
	tm_stamp_at(&stamp, a->at_ms);
	return tm_store_write_meeting(store, meeting_id, &stamp, taps, a->n_taps, a->suspect);
}

int main(int argc, char **argv)
{
	struct tm_store_options opt = { .busy_timeout_ms = 1000, .no_sync = true };
	struct pair_source src = { NULL, 2463534242u };
	struct tm_engine_config cfg;
	struct tm_engine *e = malloc(sizeof(*e));
	struct tm_store *store = NULL;
	struct tm_action a;
	char pending_id[TM_ID_SIZE] = "";
	uint64_t pending_ref = 0, taps = 0;
	int64_t now = 1000000;
	long pairs;
	int rc;

	if (argc < 3 || !e) {
		fprintf(stderr, "usage: tapbench DB PAIRS [tij-file]\n");
		return 2;
	}
	pairs = atol(argv[2]);
	if (argc > 3 && !(src.tij = fopen(argv[3], "re"))) {
		perror(argv[3]);
		return 1;
	}
	rc = tm_store_open(argv[1], &opt, &store);
	if (rc == 0)
		rc = tm_store_station_begin(store, "bench", NULL);
	if (rc < 0) {
		fprintf(stderr, "tapbench: %s\n", store ? tm_store_errmsg(store) : strerror(-rc));
		return 1;
	}
	tm_engine_config_defaults(&cfg);
	cfg.repeat_guard_ms = 0; /* every pair is stored: the guard is tested elsewhere */
	tm_engine_init(e, &cfg);
	for (long i = 0; i < pairs; i++) {
		unsigned pa, pb;
		struct tm_badge ba, bb;

		if (next_pair(&src, &pa, &pb) < 0)
			break;
		badge_for(pa, &ba);
		badge_for(pb, &bb);
		tm_engine_present(e, now, &ba);
		tm_engine_removed(e, now += 150, &ba);
		tm_engine_present(e, now += 900, &bb);
		tm_engine_removed(e, now += 150, &bb);
		now += 3000; /* the next pair, after confirmation and re-arm */
		tm_engine_tick(e, now);
		taps += 2;
		while (tm_engine_pop(e, &a)) {
			rc = store_action(store, &a, &pending_ref, pending_id);
			if (rc < 0) {
				fprintf(stderr, "tapbench: %s\n", tm_store_errmsg(store));
				return 1;
			}
		}
	}
	printf("taps=%llu\n", (unsigned long long)taps);
	tm_store_close(store);
	if (src.tij)
		fclose(src.tij);
	tm_engine_free(e);
	free(e);
	return 0;
}
