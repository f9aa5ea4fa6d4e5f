/* The outbox: order kept, a full queue drops (and logs) its oldest entry but
 * never the one being written. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "outbox.h"
#include "tapmeet/log.h"

static struct write_req *req(int n)
{
	struct write_req *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	r->type = WRITE_TAPS;
	r->n_taps = 1;
	r->taps[0].ref = (uint64_t)n;
	return r;
}

static int ref_of(const struct write_req *r)
{
	return (int)r->taps[0].ref;
}

static void keeps_order(void **state)
{
	struct outbox ob;
	struct write_req *r;

	(void)state;
	outbox_init(&ob, 10);
	for (int i = 1; i <= 5; i++)
		assert_int_equal(outbox_push(&ob, req(i), NULL), 0);
	assert_int_equal(ob.len, 5);
	for (int i = 1; i <= 5; i++) {
		assert_int_equal(ref_of(outbox_peek(&ob)), i);
		r = outbox_pop(&ob);
		assert_int_equal(ref_of(r), i);
		free(r);
	}
	assert_null(outbox_peek(&ob));
	assert_null(outbox_pop(&ob));
	assert_int_equal(ob.len, 0);
	/* Empty, then used again: head and tail were reset. */
	assert_int_equal(outbox_push(&ob, req(6), NULL), 0);
	assert_int_equal(ref_of(outbox_peek(&ob)), 6);
	outbox_free(&ob);
}

static void full_drops_the_oldest(void **state)
{
	struct outbox ob;

	(void)state;
	outbox_init(&ob, 3);
	for (int i = 1; i <= 3; i++)
		assert_int_equal(outbox_push(&ob, req(i), NULL), 0);
	assert_int_equal(outbox_push(&ob, req(4), NULL), -ENOSPC);
	assert_int_equal(ob.len, 3);
	assert_int_equal(ref_of(outbox_peek(&ob)), 2);
	outbox_free(&ob);
	assert_int_equal(ob.len, 0);
}

static void full_never_drops_the_write_in_progress(void **state)
{
	struct outbox ob;
	struct write_req *busy, *r;

	(void)state;
	outbox_init(&ob, 3);
	for (int i = 1; i <= 3; i++)
		assert_int_equal(outbox_push(&ob, req(i), NULL), 0);
	busy = outbox_peek(&ob);
	assert_int_equal(outbox_push(&ob, req(4), busy), -ENOSPC);
	/* 2 went instead of 1; the order of the rest is kept. */
	r = outbox_pop(&ob);
	assert_int_equal(ref_of(r), 1);
	free(r);
	r = outbox_pop(&ob);
	assert_int_equal(ref_of(r), 3);
	free(r);
	r = outbox_pop(&ob);
	assert_int_equal(ref_of(r), 4);
	free(r);
	assert_null(ob.tail);
	/* A queue of one that is being written grows past its limit rather
	 * than drop it. */
	outbox_init(&ob, 1);
	assert_int_equal(outbox_push(&ob, req(1), NULL), 0);
	busy = outbox_peek(&ob);
	assert_int_equal(outbox_push(&ob, req(2), busy), 0);
	assert_int_equal(ob.len, 2);
	assert_int_equal(ref_of(ob.tail), 2);
	outbox_free(&ob);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(keeps_order),
		cmocka_unit_test(full_drops_the_oldest),
		cmocka_unit_test(full_never_drops_the_write_in_progress),
	};

	tm_log_init("test_outbox");
	tm_log_set_level(LOG_EMERG); /* the dropped entry's log line is not the subject here */
	return cmocka_run_group_tests_name("outbox", tests, NULL, NULL);
}
