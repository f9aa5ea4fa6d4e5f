/* The writer thread. One mutex guards the outbox, the notices and the
 * settings; the store is touched by this thread only. */
#include "writer.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "tapmeet/clock.h"
#include "tapmeet/log.h"
#include "tapmeet/store.h"

struct notice_node {
	struct writer_notice n;
	struct notice_node *next;
};

/* Tap ids given to engine taps still pending, so the outcome of a first
 * tap updates its row; dropped once the tap has its final outcome. At most
 * a few at a time, and no fixed cap. */
struct ref_id {
	uint64_t ref;
	char id[TM_ID_SIZE];
};

struct writer {
	pthread_t thread;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int efd;

	/* under lock */
	struct outbox outbox;
	struct write_req *busy; /* the head, while the thread writes it */
	struct notice_node *notices, *notices_tail;
	bool stopping;
	int64_t deadline_ms;
	int64_t busy_timeout_ms, retry_ms;
	bool settings_changed;

	/* the thread's own */
	struct tm_store *store;
	bool failing;
	int64_t failing_since_ms;
	char last_error[512];
	struct ref_id *refs;
	size_t n_refs, cap_refs;
};

static void post(struct writer *w, const struct writer_notice *n)
{
	struct notice_node *node = calloc(1, sizeof(*node));
	uint64_t one = 1;

	if (!node) {
		/* The write itself is committed; only its log line is lost. */
		tm_log(LOG_CRIT, "out of memory: a writer notice was lost");
		if (n->req)
			free(n->req);
		return;
	}
	node->n = *n;
	if (w->notices_tail)
		w->notices_tail->next = node;
	else
		w->notices = node;
	w->notices_tail = node;
	if (write(w->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		tm_log(LOG_CRIT, "writer: cannot wake the loop: %s", strerror(errno));
}

/* --- ids ----------------------------------------------------------------- */

static struct ref_id *find_ref(struct writer *w, uint64_t ref)
{
	for (size_t i = 0; i < w->n_refs; i++)
		if (w->refs[i].ref == ref)
			return &w->refs[i];
	return NULL;
}

static int remember_ref(struct writer *w, uint64_t ref, const char *id)
{
	if (w->n_refs == w->cap_refs) {
		size_t cap = w->cap_refs ? 2 * w->cap_refs : 4;
		struct ref_id *p = realloc(w->refs, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		w->refs = p;
		w->cap_refs = cap;
	}
	w->refs[w->n_refs].ref = ref;
	memcpy(w->refs[w->n_refs].id, id, TM_ID_SIZE);
	w->n_refs++;
	return 0;
}

static void forget_ref(struct writer *w, struct ref_id *r)
{
	*r = w->refs[--w->n_refs];
}

/* Ids are given on the first attempt and kept through retries, so the log
 * line, the row and any later update agree. */
static int give_ids(struct writer *w, struct write_req *req)
{
	for (size_t i = 0; i < req->n_taps; i++) {
		struct write_tap *t = &req->taps[i];
		struct ref_id *known = find_ref(w, t->ref);

		if (known) {
			memcpy(t->row.id, known->id, TM_ID_SIZE);
			t->inserted = false;
			if (t->row.outcome != TM_TAP_PENDING)
				forget_ref(w, known);
			continue;
		}
		tm_store_next_tap_id(w->store, t->row.id);
		t->inserted = true;
		if (t->row.outcome == TM_TAP_PENDING && remember_ref(w, t->ref, t->row.id) < 0)
			return -ENOMEM;
	}
	if (req->type == WRITE_MEETING)
		tm_store_next_meeting_id(w->store, req->meeting_id);
	req->ids_given = true;
	return 0;
}

static int perform(struct writer *w, struct write_req *req)
{
	struct tm_store_tap rows[TM_MAX_BADGES_AT_ONCE];
	int rc;

	switch (req->type) {
	case WRITE_STATION:
		return tm_store_station_begin(w->store, req->station.id, req->station.name);
	case WRITE_STATUS: {
		struct tm_station_status st = {
			.reader_state = req->status.reader_state,
			.detail = req->status.detail,
			.storage_fault = req->status.storage_fault,
			.clock_synced = req->status.clock_synced,
			.started_utc_ms = req->status.started_utc_ms,
		};

		return tm_store_write_status(w->store, &st);
	}
	case WRITE_TAPS:
	case WRITE_MEETING:
		break;
	}
	if (!req->ids_given && (rc = give_ids(w, req)) < 0)
		return rc;
	for (size_t i = 0; i < req->n_taps; i++)
		rows[i] = req->taps[i].row;
	if (req->type == WRITE_MEETING)
		return tm_store_write_meeting(w->store, req->meeting_id, &req->stamp, rows,
					      req->n_taps, req->suspect);
	return tm_store_write_taps(w->store, rows, req->n_taps);
}

/* --- the thread ------------------------------------------------------------- */

static void wait_until(struct writer *w, int64_t mono_ms)
{
	struct timespec now_rt, ts;
	int64_t delta = mono_ms - tm_mono_ms();

	if (delta <= 0)
		return;
	/* The condition variable waits on CLOCK_MONOTONIC (see writer_start). */
	clock_gettime(CLOCK_MONOTONIC, &now_rt);
	ts.tv_sec = now_rt.tv_sec + delta / 1000;
	ts.tv_nsec = now_rt.tv_nsec + (delta % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_cond_timedwait(&w->wake, &w->lock, &ts);
}

static void *run(void *arg)
{
	struct writer *w = arg;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		struct write_req *req;
		struct writer_notice n;
		int rc;

		while (!outbox_peek(&w->outbox) && !w->stopping)
			pthread_cond_wait(&w->wake, &w->lock);
		req = outbox_peek(&w->outbox);
		if (!req || (w->stopping && tm_mono_ms() >= w->deadline_ms))
			break;
		w->busy = req;
		if (w->settings_changed) {
			tm_store_set_busy_timeout(w->store, w->busy_timeout_ms);
			w->settings_changed = false;
		}
		pthread_mutex_unlock(&w->lock);

		rc = perform(w, req);

		pthread_mutex_lock(&w->lock);
		w->busy = NULL;
		if (rc == 0) {
			outbox_pop(&w->outbox);
			memset(&n, 0, sizeof(n));
			if (w->failing) {
				n.type = NOTICE_RECOVERED;
				n.since_ms = w->failing_since_ms;
				w->failing = false;
				w->last_error[0] = '\0';
				post(w, &n);
			}
			n.type = NOTICE_COMMITTED;
			n.req = req;
			post(w, &n);
			continue;
		}
		req->attempts++;
		if (!w->failing || strcmp(w->last_error, tm_store_errmsg(w->store)) != 0) {
			memset(&n, 0, sizeof(n));
			n.type = NOTICE_FAILING;
			n.rc = rc;
			snprintf(n.message, sizeof(n.message), "%s", tm_store_errmsg(w->store));
			snprintf(w->last_error, sizeof(w->last_error), "%s", n.message);
			if (!w->failing)
				w->failing_since_ms = tm_mono_ms();
			w->failing = true;
			post(w, &n);
		}
		/* Wait before trying again; a stop cuts the wait short, up to
		 * its deadline. */
		{
			int64_t until = tm_mono_ms() + w->retry_ms;

			if (w->stopping && w->deadline_ms < until)
				until = w->deadline_ms;
			wait_until(w, until);
		}
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* --- the loop's side ------------------------------------------------------ */

int writer_start(struct tm_store *store, int64_t busy_timeout_ms, int64_t retry_ms,
		 size_t limit, struct writer **out)
{
	struct writer *w = calloc(1, sizeof(*w));
	pthread_condattr_t attr;
	sigset_t all, old;
	int rc;

	*out = NULL;
	if (!w)
		return -ENOMEM;
	w->store = store;
	w->busy_timeout_ms = busy_timeout_ms;
	w->retry_ms = retry_ms;
	w->settings_changed = true;
	outbox_init(&w->outbox, limit);
	w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->efd < 0) {
		rc = -errno;
		free(w);
		return rc;
	}
	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&w->wake, &attr);
	pthread_condattr_destroy(&attr);
	/* Signals belong to the loop's signalfd, never to this thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = -pthread_create(&w->thread, NULL, run, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc < 0) {
		close(w->efd);
		pthread_cond_destroy(&w->wake);
		pthread_mutex_destroy(&w->lock);
		free(w);
		return rc;
	}
	w->started = true;
	*out = w;
	return 0;
}

int writer_fd(const struct writer *w)
{
	return w->efd;
}

void writer_ack(struct writer *w)
{
	uint64_t count;

	/* Before draining: a notice posted after this read wakes the loop again. */
	if (read(w->efd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		tm_log(LOG_ERR, "writer: eventfd read: %s", strerror(errno));
}

int writer_submit(struct writer *w, struct write_req *req)
{
	int rc;

	pthread_mutex_lock(&w->lock);
	if (req->type == WRITE_STATUS && w->outbox.tail && w->outbox.tail->type == WRITE_STATUS &&
	    w->outbox.tail != w->busy) {
		/* Only the newest status matters. */
		struct write_req *old = w->outbox.tail, *next = old->next;

		*old = *req;
		old->next = next;
		free(req);
		pthread_mutex_unlock(&w->lock);
		return 0;
	}
	rc = outbox_push(&w->outbox, req, w->busy);
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	return rc;
}

bool writer_next_notice(struct writer *w, struct writer_notice *out)
{
	struct notice_node *node;

	pthread_mutex_lock(&w->lock);
	node = w->notices;
	if (node) {
		w->notices = node->next;
		if (!w->notices)
			w->notices_tail = NULL;
	}
	pthread_mutex_unlock(&w->lock);
	if (!node)
		return false;
	*out = node->n;
	free(node);
	return true;
}

void writer_configure(struct writer *w, int64_t busy_timeout_ms, int64_t retry_ms)
{
	pthread_mutex_lock(&w->lock);
	w->busy_timeout_ms = busy_timeout_ms;
	w->retry_ms = retry_ms;
	w->settings_changed = true;
	pthread_mutex_unlock(&w->lock);
}

size_t writer_backlog(struct writer *w, int64_t *oldest_submitted_ms)
{
	size_t n;

	pthread_mutex_lock(&w->lock);
	n = w->outbox.len;
	if (oldest_submitted_ms)
		*oldest_submitted_ms = w->outbox.head ? w->outbox.head->submitted_ms : 0;
	pthread_mutex_unlock(&w->lock);
	return n;
}

struct write_req *writer_stop(struct writer *w, int64_t deadline_ms)
{
	struct write_req *left;

	if (!w->started)
		return NULL;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	w->deadline_ms = deadline_ms;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	w->started = false;
	tm_store_close(w->store);
	w->store = NULL;
	left = w->outbox.head;
	outbox_init(&w->outbox, w->outbox.limit);
	return left;
}

void writer_free(struct writer *w)
{
	struct writer_notice n;

	if (!w)
		return;
	if (w->started) {
		struct write_req *left = writer_stop(w, 0), *next;

		for (; left; left = next) {
			next = left->next;
			free(left);
		}
	}
	while (writer_next_notice(w, &n))
		free(n.req);
	outbox_free(&w->outbox);
	free(w->refs);
	close(w->efd);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
