/* One epoll set; each source carries its callback, so adding a timer or an
 * fd is one call. Sources removed during a round are freed after it, since
 * the same round may still hold an event for them. */
#include "loop.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define EVENTS_PER_ROUND 16

enum source_type { SRC_FD, SRC_TIMER, SRC_SIGNALS };

struct source {
	enum source_type type;
	int fd;
	bool owns_fd; /* timers and signals: closed with the source */
	bool dead;
	struct source *next; /* all sources, for loop_free; dead ones until freed */
	void *ctx;
};

struct loop_fd {
	struct source src;
	loop_fn fn;
};

struct loop_timer {
	struct source src;
	loop_fn fn;
	int64_t deadline_ms; /* INT64_MAX when disarmed */
	int64_t armed_ms;    /* when it was set: a deadline already past is not lateness */
	int64_t interval_ms;
	struct loop *loop;
};

struct loop_signals {
	struct source src;
	loop_signal_fn fn;
};

struct loop {
	int epfd;
	bool stopping;
	struct source *sources;
	int64_t worst_lateness_ms;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int loop_new(struct loop **out)
{
	struct loop *l = calloc(1, sizeof(*l));

	*out = NULL;
	if (!l)
		return -ENOMEM;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		int rc = -errno;

		free(l);
		return rc;
	}
	*out = l;
	return 0;
}

static void free_source(struct source *s)
{
	if (s->owns_fd && s->fd >= 0)
		close(s->fd);
	free(s);
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	while (l->sources) {
		struct source *s = l->sources;

		l->sources = s->next;
		free_source(s);
	}
	close(l->epfd);
	free(l);
}

static int add_source(struct loop *l, struct source *s)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = s };

	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, s->fd, &ev) < 0) {
		int rc = -errno;

		free_source(s);
		return rc;
	}
	s->next = l->sources;
	l->sources = s;
	return 0;
}

static void remove_source(struct loop *l, struct source *s)
{
	if (!s || s->dead)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, s->fd, NULL);
	s->dead = true; /* freed at the end of the round */
}

int loop_add_fd(struct loop *l, int fd, loop_fn fn, void *ctx, struct loop_fd **out)
{
	struct loop_fd *w = calloc(1, sizeof(*w));
	int rc;

	if (out)
		*out = NULL;
	if (!w)
		return -ENOMEM;
	w->src = (struct source){ .type = SRC_FD, .fd = fd, .ctx = ctx };
	w->fn = fn;
	rc = add_source(l, &w->src);
	if (rc == 0 && out)
		*out = w;
	return rc;
}

void loop_remove_fd(struct loop *l, struct loop_fd *w)
{
	remove_source(l, w ? &w->src : NULL);
}

int loop_add_timer(struct loop *l, loop_fn fn, void *ctx, struct loop_timer **out)
{
	struct loop_timer *t = calloc(1, sizeof(*t));
	int fd, rc;

	*out = NULL;
	if (!t)
		return -ENOMEM;
	fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		free(t);
		return rc;
	}
	t->src = (struct source){ .type = SRC_TIMER, .fd = fd, .owns_fd = true, .ctx = ctx };
	t->fn = fn;
	t->deadline_ms = INT64_MAX;
	t->loop = l;
	rc = add_source(l, &t->src);
	if (rc == 0)
		*out = t;
	return rc;
}

static void set_timer(struct loop_timer *t, int64_t at_ms, int64_t interval_ms)
{
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	t->deadline_ms = at_ms;
	t->armed_ms = now_ms();
	t->interval_ms = interval_ms;
	if (at_ms != INT64_MAX) {
		if (at_ms <= 0)
			at_ms = 1;
		its.it_value.tv_sec = at_ms / 1000;
		its.it_value.tv_nsec = (at_ms % 1000) * 1000000;
		its.it_interval.tv_sec = interval_ms / 1000;
		its.it_interval.tv_nsec = (interval_ms % 1000) * 1000000;
	}
	timerfd_settime(t->src.fd, TFD_TIMER_ABSTIME, &its, NULL);
}

void loop_timer_at(struct loop_timer *t, int64_t at_ms)
{
	set_timer(t, at_ms, 0);
}

void loop_timer_every(struct loop_timer *t, int64_t interval_ms)
{
	if (interval_ms <= 0)
		interval_ms = 1;
	set_timer(t, now_ms() + interval_ms, interval_ms);
}

int loop_add_signals(struct loop *l, const int *signals, int n, loop_signal_fn fn, void *ctx)
{
	struct loop_signals *s = calloc(1, sizeof(*s));
	sigset_t mask;
	int fd;

	if (!s)
		return -ENOMEM;
	sigemptyset(&mask);
	for (int i = 0; i < n; i++)
		sigaddset(&mask, signals[i]);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ||
	    (fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) < 0) {
		int rc = -errno;

		free(s);
		return rc;
	}
	s->src = (struct source){ .type = SRC_SIGNALS, .fd = fd, .owns_fd = true, .ctx = ctx };
	s->fn = fn;
	return add_source(l, &s->src);
}

static void fire_timer(struct loop *l, struct loop_timer *t)
{
	uint64_t expirations;
	int64_t late;

	if (read(t->src.fd, &expirations, sizeof(expirations)) < 0)
		return; /* re-armed since it fired: nothing is due */
	if (t->deadline_ms != INT64_MAX) {
		late = now_ms() - (t->deadline_ms > t->armed_ms ? t->deadline_ms : t->armed_ms);
		if (late > l->worst_lateness_ms)
			l->worst_lateness_ms = late;
		if (t->interval_ms > 0)
			t->deadline_ms += (int64_t)expirations * t->interval_ms;
		else
			t->deadline_ms = INT64_MAX;
	}
	t->fn(t->src.ctx);
}

static void fire_signals(struct loop_signals *s)
{
	struct signalfd_siginfo si;

	while (read(s->src.fd, &si, sizeof(si)) == sizeof(si) && !s->src.dead)
		s->fn(s->src.ctx, (int)si.ssi_signo);
}

static void bury_dead(struct loop *l)
{
	struct source **p = &l->sources;

	while (*p) {
		struct source *s = *p;

		if (s->dead) {
			*p = s->next;
			free_source(s);
		} else {
			p = &s->next;
		}
	}
}

int loop_run(struct loop *l)
{
	struct epoll_event events[EVENTS_PER_ROUND];

	l->stopping = false;
	while (!l->stopping) {
		int n = epoll_wait(l->epfd, events, EVENTS_PER_ROUND, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n && !l->stopping; i++) {
			struct source *s = events[i].data.ptr;

			if (s->dead)
				continue;
			switch (s->type) {
			case SRC_FD:
				((struct loop_fd *)(void *)s)->fn(s->ctx);
				break;
			case SRC_TIMER:
				fire_timer(l, (struct loop_timer *)(void *)s);
				break;
			case SRC_SIGNALS:
				fire_signals((struct loop_signals *)(void *)s);
				break;
			}
		}
		bury_dead(l);
	}
	return 0;
}

void loop_stop(struct loop *l)
{
	l->stopping = true;
}

int64_t loop_worst_lateness_ms(const struct loop *l)
{
	return l->worst_lateness_ms;
}
