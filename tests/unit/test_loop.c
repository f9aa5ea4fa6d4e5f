/* The event loop: one registration per source, timers in deadline order,
 * fds, signals, a source removed while its event is pending, and the
 * lateness it reports. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "loop.h"
#include "tapmeet/clock.h"

struct ctx {
	struct loop *loop;
	char order[32];
	int n;
	int ticks;
	struct loop_timer *periodic;
	int signo;
};

static void mark(struct ctx *c, char what)
{
	c->order[c->n++] = what;
}

static void timer_a(void *p) { mark(p, 'a'); }
static void timer_b(void *p) { mark(p, 'b'); }

static void timer_stop(void *p)
{
	struct ctx *c = p;

	mark(c, 's');
	loop_stop(c->loop);
}

static void timers_fire_in_deadline_order(void **state)
{
	struct ctx c = { 0 };
	struct loop_timer *a, *b, *stop, *never;
	int64_t now = tm_mono_ms();

	(void)state;
	assert_int_equal(loop_new(&c.loop), 0);
	c.loop = c.loop;
	assert_int_equal(loop_add_timer(c.loop, timer_a, &c, &a), 0);
	assert_int_equal(loop_add_timer(c.loop, timer_b, &c, &b), 0);
	assert_int_equal(loop_add_timer(c.loop, timer_stop, &c, &stop), 0);
	assert_int_equal(loop_add_timer(c.loop, timer_a, &c, &never), 0);
	loop_timer_at(b, now + 20);
	loop_timer_at(a, now + 60);
	loop_timer_at(stop, now + 120);
	loop_timer_at(never, now + 30);
	loop_timer_at(never, INT64_MAX); /* disarmed again */
	assert_int_equal(loop_run(c.loop), 0);
	assert_string_equal(c.order, "bas");
	assert_true(loop_worst_lateness_ms(c.loop) >= 0);
	loop_free(c.loop);
}

static void tick(void *p)
{
	struct ctx *c = p;

	if (++c->ticks == 3)
		loop_stop(c->loop);
}

static void periodic_timers_repeat(void **state)
{
	struct ctx c = { 0 };

	(void)state;
	assert_int_equal(loop_new(&c.loop), 0);
	assert_int_equal(loop_add_timer(c.loop, tick, &c, &c.periodic), 0);
	loop_timer_every(c.periodic, 10);
	assert_int_equal(loop_run(c.loop), 0);
	assert_int_equal(c.ticks, 3);
	loop_free(c.loop);
}

/* Two pipes readable in the same round; whichever callback runs first
 * removes the other's watch, whose pending event must then be skipped (its
 * memory is freed only after the round). */
struct pair {
	struct loop *loop;
	int fds[2][2];
	struct loop_fd *watch[2];
	int calls;
};

static void on_pipe(struct pair *p, int i)
{
	char buf[8];

	assert_true(read(p->fds[i][0], buf, sizeof(buf)) > 0);
	p->calls++;
	loop_remove_fd(p->loop, p->watch[1 - i]);
	loop_remove_fd(p->loop, p->watch[i]);
}

static void on_pipe0(void *p) { on_pipe(p, 0); }
static void on_pipe1(void *p) { on_pipe(p, 1); }

static void stop_now(void *p)
{
	loop_stop(((struct pair *)p)->loop);
}

static void fds_and_removal_during_a_round(void **state)
{
	struct pair p = { 0 };
	struct loop_timer *stop;

	(void)state;
	assert_int_equal(loop_new(&p.loop), 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(pipe(p.fds[i]), 0);
		assert_int_equal(write(p.fds[i][1], "x", 1), 1);
	}
	assert_int_equal(loop_add_fd(p.loop, p.fds[0][0], on_pipe0, &p, &p.watch[0]), 0);
	assert_int_equal(loop_add_fd(p.loop, p.fds[1][0], on_pipe1, &p, &p.watch[1]), 0);
	assert_int_equal(loop_add_timer(p.loop, stop_now, &p, &stop), 0);
	loop_timer_at(stop, tm_mono_ms() + 50);
	assert_int_equal(loop_run(p.loop), 0);
	assert_int_equal(p.calls, 1);
	loop_free(p.loop);
	for (int i = 0; i < 2; i++) {
		close(p.fds[i][0]);
		close(p.fds[i][1]);
	}
}

static void on_signal(void *p, int signo)
{
	struct ctx *c = p;

	c->signo = signo;
	loop_stop(c->loop);
}

static void signals_arrive_through_the_loop(void **state)
{
	struct ctx c = { 0 };
	static const int sigs[] = { SIGUSR1 };

	(void)state;
	assert_int_equal(loop_new(&c.loop), 0);
	assert_int_equal(loop_add_signals(c.loop, sigs, 1, on_signal, &c), 0);
	raise(SIGUSR1); /* blocked: waits for the signalfd */
	assert_int_equal(loop_run(c.loop), 0);
	assert_int_equal(c.signo, SIGUSR1);
	loop_free(c.loop);
}

/* A callback that keeps the loop busy makes the next timer late, and the
 * loop says by how much. */
static void busy(void *p)
{
	(void)p;
	usleep(120 * 1000);
}

static void lateness_is_measured(void **state)
{
	struct ctx c = { 0 };
	struct loop_timer *slow, *stop;
	int64_t now = tm_mono_ms();

	(void)state;
	assert_int_equal(loop_new(&c.loop), 0);
	assert_int_equal(loop_add_timer(c.loop, busy, &c, &slow), 0);
	assert_int_equal(loop_add_timer(c.loop, timer_stop, &c, &stop), 0);
	loop_timer_at(slow, now + 5);
	loop_timer_at(stop, now + 10);
	assert_int_equal(loop_run(c.loop), 0);
	assert_true(loop_worst_lateness_ms(c.loop) >= 100);
	loop_free(c.loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(timers_fire_in_deadline_order),
		cmocka_unit_test(periodic_timers_repeat),
		cmocka_unit_test(fds_and_removal_during_a_round),
		cmocka_unit_test(signals_arrive_through_the_loop),
		cmocka_unit_test(lateness_is_measured),
	};

	return cmocka_run_group_tests_name("loop", tests, NULL, NULL);
}
