/* The daemon's event loop, in the manner of redis's ae: every source is one
 * registration (an fd, a timer, a set of signals) with its callback, and the
 * loop dispatches. One thread; callbacks never block. */
#ifndef TAPMEETD_LOOP_H
#define TAPMEETD_LOOP_H

#include <stdint.h>

struct loop;
struct loop_fd;
struct loop_timer;

typedef void (*loop_fn)(void *ctx);
typedef void (*loop_signal_fn)(void *ctx, int signo);

int loop_new(struct loop **out);
/* Closes every source still registered. */
void loop_free(struct loop *l);

/* fn runs whenever fd is readable. */
int loop_add_fd(struct loop *l, int fd, loop_fn fn, void *ctx, struct loop_fd **out);
void loop_remove_fd(struct loop *l, struct loop_fd *w);

/* A timer on CLOCK_MONOTONIC, disarmed until set. */
int loop_add_timer(struct loop *l, loop_fn fn, void *ctx, struct loop_timer **out);
/* At an absolute CLOCK_MONOTONIC time in ms; INT64_MAX (TM_NEVER) disarms. */
void loop_timer_at(struct loop_timer *t, int64_t at_ms);
/* Every interval_ms from now on. */
void loop_timer_every(struct loop_timer *t, int64_t interval_ms);

/* Blocks the signals (threads started later inherit the mask, so never
 * take them) and delivers them to fn through a signalfd. */
int loop_add_signals(struct loop *l, const int *signals, int n, loop_signal_fn fn, void *ctx);

/* Dispatches until loop_stop; 0, or -errno when waiting failed. */
int loop_run(struct loop *l);
void loop_stop(struct loop *l);

/* The worst lateness of a timer callback past its deadline so far, in ms:
 * how long the loop was kept from its work. */
int64_t loop_worst_lateness_ms(const struct loop *l);

#endif
