/* The repeat guard's set of pairs: order, refresh, expiry, size, and memory
 * that follows the pairs held. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tapmeet/pairs.h"

static struct tm_badge badge(const char *hex)
{
	struct tm_badge b;

	assert_int_equal(tm_badge_parse_uid(&b, hex), 0);
	return b;
}

/* Badge number i: 7-byte UIDs for odd i, 4-byte for even, so both sizes
 * share the table. */
static struct tm_badge nth(uint32_t i)
{
	struct tm_badge b;

	memset(&b, 0, sizeof(b));
	b.kind = TM_BADGE_SIMULATED;
	b.uid[0] = 0x04;
	if (i & 1) {
		b.uid[1] = (uint8_t)(i >> 24);
		b.uid[2] = (uint8_t)(i >> 16);
		b.uid[3] = (uint8_t)(i >> 8);
		b.uid[4] = (uint8_t)i;
		b.uid_len = 7;
	} else {
		assert_true(i < (1u << 24));
		b.uid[1] = (uint8_t)(i >> 16);
		b.uid[2] = (uint8_t)(i >> 8);
		b.uid[3] = (uint8_t)i;
		b.uid_len = 4;
	}
	return b;
}

static void either_order_is_the_same_pair(void **state)
{
	struct tm_pairs p;
	struct tm_badge a = badge("04A1B2C3"), b = badge("04D5E6F7A1B2C3");
	int64_t t = 0;

	(void)state;
	tm_pairs_init(&p);
	assert_false(tm_pairs_last_met(&p, &a, &b, &t));
	assert_int_equal(tm_pairs_put(&p, &a, &b, 1000), 0);
	assert_true(tm_pairs_last_met(&p, &b, &a, &t));
	assert_int_equal(t, 1000);
	assert_int_equal(tm_pairs_put(&p, &b, &a, 2000), 0);
	assert_int_equal(tm_pairs_count(&p), 1);
	assert_true(tm_pairs_last_met(&p, &a, &b, &t));
	assert_int_equal(t, 2000);
	tm_pairs_free(&p);
}

static void badges_compare_by_uid_and_length(void **state)
{
	struct tm_pairs p;
	struct tm_badge a = badge("04A1B2C3"), b = badge("04D5E6F7");
	struct tm_badge longer = badge("04A1B2C3000000"), other = badge("04D5E6F8");
	struct tm_badge a_again = a;

	(void)state;
	tm_pairs_init(&p);
	assert_int_equal(tm_pairs_put(&p, &a, &b, 5), 0);
	/* A 7-byte UID starting with the same bytes is another badge. */
	assert_false(tm_pairs_last_met(&p, &longer, &b, NULL));
	assert_false(tm_pairs_last_met(&p, &a, &other, NULL));
	/* What the reader said about the tag is not part of its identity. */
	a_again.kind = TM_BADGE_MIFARE_ULTRALIGHT;
	a_again.random = true;
	assert_true(tm_pairs_last_met(&p, &b, &a_again, NULL));
	/* Bytes past the UID's length are not part of it either. */
	b.uid[TM_UID_MAX_BYTES - 1] = 0x5A;
	assert_true(tm_pairs_last_met(&p, &a, &b, NULL));
	tm_pairs_free(&p);
}

static void refresh_keeps_the_latest_meeting(void **state)
{
	struct tm_pairs p;
	struct tm_badge a = badge("04A1B2C3"), b = badge("04D5E6F7"), c = badge("04C0FFEE");
	int64_t t = 0;

	(void)state;
	tm_pairs_init(&p);
	assert_int_equal(tm_pairs_put(&p, &a, &b, 100), 0);
	assert_int_equal(tm_pairs_put(&p, &a, &c, 150), 0);
	assert_int_equal(tm_pairs_put(&p, &b, &a, 200), 0);
	/* A meeting older than the one held (a seed after a live meeting) does
	 * not take the pair back in time. */
	assert_int_equal(tm_pairs_put(&p, &a, &b, 120), 0);
	assert_true(tm_pairs_last_met(&p, &a, &b, &t));
	assert_int_equal(t, 200);
	/* The refreshed pair outlives the one that met between its meetings. */
	tm_pairs_expire(&p, 180);
	assert_int_equal(tm_pairs_count(&p), 1);
	assert_true(tm_pairs_last_met(&p, &a, &b, NULL));
	assert_false(tm_pairs_last_met(&p, &a, &c, NULL));
	tm_pairs_free(&p);
}

static void expire_forgets_only_what_met_before(void **state)
{
	struct tm_pairs p;
	int64_t t = 0;

	(void)state;
	tm_pairs_init(&p);
	/* Out of time order, as seeds from several boots may come. */
	for (uint32_t i = 0; i < 10; i++) {
		struct tm_badge a = nth(i), b = nth(100 + i);

		assert_int_equal(tm_pairs_put(&p, &a, &b, (int64_t)((i * 7) % 10)), 0);
	}
	tm_pairs_expire(&p, 0);
	assert_int_equal(tm_pairs_count(&p), 10);
	tm_pairs_expire(&p, 5);
	assert_int_equal(tm_pairs_count(&p), 5);
	for (uint32_t i = 0; i < 10; i++) {
		struct tm_badge a = nth(i), b = nth(100 + i);
		int64_t met = (int64_t)((i * 7) % 10);

		/* Strictly before: a pair that met at `before` itself stays. */
		assert_int_equal(tm_pairs_last_met(&p, &b, &a, &t), met >= 5);
		if (met >= 5)
			assert_int_equal(t, met);
	}
	tm_pairs_expire(&p, 5);
	assert_int_equal(tm_pairs_count(&p), 5);
	tm_pairs_expire(&p, INT64_MAX);
	assert_int_equal(tm_pairs_count(&p), 0);
	/* Emptied by expiry, it holds no memory and still works. */
	assert_int_equal(tm_pairs_capacity(&p), 0);
	assert_false(tm_pairs_last_met(&p, &(struct tm_badge){ 0 }, &(struct tm_badge){ 0 }, NULL));
	{
		struct tm_badge a = nth(1), b = nth(2);

		assert_int_equal(tm_pairs_put(&p, &a, &b, 9), 0);
		assert_true(tm_pairs_last_met(&p, &b, &a, NULL));
	}
	tm_pairs_free(&p);
}

/* Far beyond the 64 pairs the engine once kept: nothing is forgotten early. */
static void a_hundred_thousand_pairs_are_all_found(void **state)
{
	enum { N = 100000 };
	struct tm_pairs p;
	int64_t t = 0;

	(void)state;
	tm_pairs_init(&p);
	for (uint32_t i = 0; i < N; i++) {
		struct tm_badge a = nth(i), b = nth(i + 1);

		assert_int_equal(tm_pairs_put(&p, &a, &b, 1000 + i), 0);
	}
	assert_int_equal(tm_pairs_count(&p), N);
	assert_true(tm_pairs_capacity(&p) >= N);
	assert_true(tm_pairs_capacity(&p) <= 2 * N);
	for (uint32_t i = 0; i < N; i++) {
		struct tm_badge a = nth(i), b = nth(i + 1), c = nth(i + 2);

		assert_true(tm_pairs_last_met(&p, &b, &a, &t));
		assert_int_equal(t, 1000 + i);
		assert_false(tm_pairs_last_met(&p, &a, &c, NULL));
	}
	/* Half expire; the other half is still there, each pair once. */
	tm_pairs_expire(&p, 1000 + N / 2);
	assert_int_equal(tm_pairs_count(&p), N / 2);
	for (uint32_t i = 0; i < N; i++) {
		struct tm_badge a = nth(i), b = nth(i + 1);

		assert_int_equal(tm_pairs_last_met(&p, &a, &b, NULL), i >= N / 2);
	}
	tm_pairs_free(&p);
	assert_int_equal(tm_pairs_count(&p), 0);
	assert_int_equal(tm_pairs_capacity(&p), 0);
}

static void memory_follows_the_count(void **state)
{
	struct tm_pairs p;

	(void)state;
	tm_pairs_init(&p);
	for (uint32_t i = 0; i < 5000; i++) {
		struct tm_badge a = nth(2 * i), b = nth(2 * i + 1);

		assert_int_equal(tm_pairs_put(&p, &a, &b, i), 0);
	}
	assert_true(tm_pairs_capacity(&p) >= 5000);
	assert_true(tm_pairs_capacity(&p) <= 10000);
	tm_pairs_expire(&p, 4990);
	assert_int_equal(tm_pairs_count(&p), 10);
	assert_true(tm_pairs_capacity(&p) <= 32);
	for (uint32_t i = 4990; i < 5000; i++) {
		struct tm_badge a = nth(2 * i), b = nth(2 * i + 1);
		int64_t t = 0;

		assert_true(tm_pairs_last_met(&p, &a, &b, &t));
		assert_int_equal(t, i);
	}
	tm_pairs_free(&p);
}

/* A station running for long: pairs come and go at the same rate, and the
 * set stays the size of the guard's span, not of the whole day. */
static void steady_churn_stays_small(void **state)
{
	struct tm_pairs p;

	(void)state;
	tm_pairs_init(&p);
	for (uint32_t i = 0; i < 200000; i++) {
		struct tm_badge a = nth(i), b = nth(i + 7);

		assert_int_equal(tm_pairs_put(&p, &a, &b, i), 0);
		tm_pairs_expire(&p, (int64_t)i - 99);
		assert_true(tm_pairs_count(&p) <= 100);
		assert_true(tm_pairs_capacity(&p) <= 256);
	}
	for (uint32_t i = 200000 - 100; i < 200000; i++) {
		struct tm_badge a = nth(i), b = nth(i + 7);

		assert_true(tm_pairs_last_met(&p, &b, &a, NULL));
	}
	tm_pairs_free(&p);
}

/* Against a plain list, with few badges so that pairs collide, refresh and
 * expire in every order: the probing and deletion corner cases. */
static void agrees_with_a_plain_list(void **state)
{
	enum { BADGES = 40 };
	static int64_t model[BADGES][BADGES];
	struct tm_pairs p;
	uint64_t rng = 42;
	int64_t now = 0;

	(void)state;
	for (size_t i = 0; i < BADGES; i++)
		for (size_t j = 0; j < BADGES; j++)
			model[i][j] = -1;
	tm_pairs_init(&p);
	for (int step = 0; step < 60000; step++) {
		uint32_t x, y, op;
		struct tm_badge a, b;

		rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
		x = (uint32_t)(rng >> 33) % BADGES;
		y = (uint32_t)(rng >> 45) % BADGES;
		op = (uint32_t)(rng >> 58) % 8;
		a = nth(x);
		b = nth(y);
		now += (int64_t)((rng >> 20) % 5);
		if (op < 5) {
			/* Now and then a meeting from a little while ago. */
			int64_t t = op == 4 ? now - (int64_t)((rng >> 10) % 50) : now;

			assert_int_equal(tm_pairs_put(&p, &a, &b, t), 0);
			if (t > model[x][y]) {
				model[x][y] = model[y][x] = t;
			}
		} else if (op == 5) {
			int64_t before = now - 300;

			tm_pairs_expire(&p, before);
			for (size_t i = 0; i < BADGES; i++)
				for (size_t j = 0; j < BADGES; j++)
					if (model[i][j] >= 0 && model[i][j] < before)
						model[i][j] = -1;
		} else {
			int64_t t = 0;
			bool found = tm_pairs_last_met(&p, &a, &b, &t);

			assert_int_equal(found, model[x][y] >= 0);
			if (found)
				assert_int_equal(t, model[x][y]);
		}
	}
	{
		size_t live = 0;

		for (size_t i = 0; i < BADGES; i++)
			for (size_t j = i; j < BADGES; j++)
				live += model[i][j] >= 0;
		assert_int_equal(tm_pairs_count(&p), live);
	}
	tm_pairs_free(&p);
}

static void a_cleared_struct_is_an_empty_set(void **state)
{
	struct tm_pairs p;
	struct tm_badge a = badge("04A1B2C3"), b = badge("04D5E6F7");

	(void)state;
	memset(&p, 0, sizeof(p));
	assert_false(tm_pairs_last_met(&p, &a, &b, NULL));
	tm_pairs_expire(&p, INT64_MAX);
	assert_int_equal(tm_pairs_count(&p), 0);
	assert_int_equal(tm_pairs_put(&p, &a, &b, 1), 0);
	assert_true(tm_pairs_last_met(&p, &a, &b, NULL));
	tm_pairs_free(&p);
	tm_pairs_free(&p); /* freeing an empty set is harmless */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(either_order_is_the_same_pair),
		cmocka_unit_test(badges_compare_by_uid_and_length),
		cmocka_unit_test(refresh_keeps_the_latest_meeting),
		cmocka_unit_test(expire_forgets_only_what_met_before),
		cmocka_unit_test(a_hundred_thousand_pairs_are_all_found),
		cmocka_unit_test(memory_follows_the_count),
		cmocka_unit_test(steady_churn_stays_small),
		cmocka_unit_test(agrees_with_a_plain_list),
		cmocka_unit_test(a_cleared_struct_is_an_empty_set),
	};

	return cmocka_run_group_tests_name("pairs", tests, NULL, NULL);
}
