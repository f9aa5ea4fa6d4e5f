/* The station's event loop.
 *
 * One thread, one epoll set: a signalfd (TERM, INT, HUP), the reader's fd,
 * and timerfds for the engine's deadlines, the LED pattern steps, store
 * retries, reader reconnects and housekeeping (heartbeat, watchdog). Nothing
 * here sleeps; SQLite's busy timeout is the only wait, kept short by config.
 */
#include "station.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "outbox.h"
#include "tapmeet/clock.h"
#include "tapmeet/engine.h"
#include "tapmeet/leds.h"
#include "tapmeet/log.h"
#include "tapmeet/pattern.h"
#include "tapmeet/privacy.h"
#include "tapmeet/reader.h"
#include "tapmeet/store.h"

/* About 2 kB each: 20,000 writes are ~40 MB, hours of a busy station with
 * its database down, and still safe on a Pi with 512 MB. */
#define OUTBOX_LIMIT 20000
#define HEARTBEAT_MS 30000
#define REF_MAP 16

enum source { SRC_SIGNAL = 1, SRC_READER, SRC_ENGINE_TIMER, SRC_LED_TIMER, SRC_RETRY_TIMER,
	      SRC_READER_TIMER, SRC_HOUSEKEEPING };

struct ref_id {
	uint64_t ref;
	char id[TM_ID_SIZE];
};

struct station {
	struct tm_config cfg;
	const char *config_path;
	int epfd, sigfd;
	int engine_timer, led_timer, retry_timer, reader_timer, housekeeping_timer;

	struct tm_engine engine;
	struct tm_store *store;
	struct outbox outbox;
	bool storage_fault;
	int64_t storage_fault_since;

	const struct tm_reader_ops *reader_ops;
	struct tm_reader *reader;
	enum tm_reader_state reader_state;
	char reader_detail[192];
	int64_t reader_retry_ms;

	const struct tm_leds_ops *leds_ops;
	struct tm_leds *leds;
	struct tm_show show;
	unsigned lights;

	/* Tap ids already given to engine refs, so a pending tap keeps its id. */
	struct ref_id refs[REF_MAP];
	size_t refs_next;

	int64_t started_utc_ms;
	uint64_t meetings_today, taps_total;
	uint64_t watchdog_usec;
	bool stopping;
};

/* --- timers ---------------------------------------------------------------- */

static int make_timer(struct station *st, enum source src)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = src };
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (epoll_ctl(st->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	return fd;
}

/* Arms a timer at an absolute CLOCK_MONOTONIC time in ms; TM_NEVER disarms. */
static void arm_at(int fd, int64_t at_ms)
{
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	if (at_ms != TM_NEVER) {
		if (at_ms <= 0)
			at_ms = 1;
		its.it_value.tv_sec = at_ms / 1000;
		its.it_value.tv_nsec = (at_ms % 1000) * 1000000;
	}
	timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void drain_timer(int fd)
{
	uint64_t expirations;

	if (read(fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		tm_debug("timer read failed: %s", strerror(errno));
}

/* --- LEDs ------------------------------------------------------------------ */

static void update_leds(struct station *st)
{
	int64_t now = tm_mono_ms(), next;
	enum tm_pattern base = tm_show_pick_base(st->storage_fault,
						 st->reader_state == TM_READER_FAULT,
						 tm_engine_base_pattern(&st->engine, now));
	unsigned lights;

	if (st->stopping)
		base = TM_PATTERN_OFF;
	tm_show_set_base(&st->show, base, now);
	lights = tm_show_lights(&st->show, now, &next);
	if (lights != st->lights && st->leds) {
		int rc = st->leds_ops->set(st->leds, lights);

		if (rc < 0)
			tm_warn("leds=%s error=\"cannot set lights: %s\"", st->leds_ops->name,
				strerror(-rc));
	}
	st->lights = lights;
	arm_at(st->led_timer, next == TM_PATTERN_FOREVER ? TM_NEVER : next);
}

static void feedback(struct station *st, enum tm_pattern p)
{
	if (p == TM_PATTERN_NONE)
		return;
	tm_show_feedback(&st->show, p, tm_mono_ms());
}

static int open_leds(struct station *st)
{
	char err[256] = "";
	const struct tm_leds_ops *ops = tm_leds_find(st->cfg.leds_driver);
	int rc;

	if (!ops) {
		tm_err("leds=%s error=\"this build has no such LED driver\"", st->cfg.leds_driver);
		return -ENOTSUP;
	}
	rc = ops->open(&st->cfg, &st->leds, err, sizeof(err));
	if (rc < 0) {
		st->leds = NULL;
		if (st->cfg.leds_required) {
			tm_err("leds=%s error=\"%s\" required=true", ops->name,
			       err[0] ? err : strerror(-rc));
			return rc;
		}
		tm_warn("leds=%s warning=\"%s\" required=false action=\"running without LEDs\"",
			ops->name, err[0] ? err : strerror(-rc));
		ops = &tm_leds_none_ops;
		rc = ops->open(&st->cfg, &st->leds, err, sizeof(err));
		if (rc < 0)
			return rc;
	}
	st->leds_ops = ops;
	st->lights = 0;
	return 0;
}

static void close_leds(struct station *st)
{
	if (st->leds)
		st->leds_ops->close(st->leds);
	st->leds = NULL;
}

/* --- status ------------------------------------------------------------------ */

static void write_status(struct station *st)
{
	struct tm_station_status status = {
		.reader_state = tm_reader_state_name(st->reader_state),
		.detail = st->reader_detail,
		.storage_fault = st->storage_fault,
		.clock_synced = tm_clock_synced(),
		.started_utc_ms = st->started_utc_ms,
	};
	int rc;

	/* Best effort: the status row is for people; taps go first. */
	if (!st->storage_fault && (rc = tm_store_write_status(st->store, &status)) < 0)
		tm_debug("status write failed: %s", tm_store_errmsg(st->store));
	sd_notifyf(0, "STATUS=reader %s%s%s; %llu taps, %llu meetings since start%s",
		   tm_reader_state_name(st->reader_state), st->reader_detail[0] ? ": " : "",
		   st->reader_detail, (unsigned long long)st->taps_total,
		   (unsigned long long)st->meetings_today,
		   st->storage_fault ? "; STORAGE FAULT, writes kept in memory" : "");
}

/* --- store ------------------------------------------------------------------- */

static void set_storage_fault(struct station *st, bool fault, int rc)
{
	if (fault == st->storage_fault)
		return;
	st->storage_fault = fault;
	if (fault) {
		st->storage_fault_since = tm_mono_ms();
		tm_err("store=%s event=storage-fault error=\"%s\" errno=%s action=\"keeping writes in memory, retrying every %lldms\"",
		       st->cfg.store_path, tm_store_errmsg(st->store), strerror(-rc),
		       (long long)st->cfg.store_retry_ms);
	} else {
		tm_notice("store=%s event=storage-recovered after_ms=%lld", st->cfg.store_path,
			  (long long)(tm_mono_ms() - st->storage_fault_since));
	}
	write_status(st);
}

static void log_committed(struct station *st, const struct outbox_entry *e)
{
	for (size_t i = 0; i < e->n_taps; i++)
		tm_info("tap id=%s uid=%s kind=%s outcome=%s%s%s%s", e->taps[i].id, e->taps[i].uid,
			tm_badge_kind_name(e->taps[i].kind), tm_tap_outcome_name(e->taps[i].outcome),
			e->taps[i].reason[0] ? " reason=\"" : "", e->taps[i].reason,
			e->taps[i].reason[0] ? "\"" : "");
	if (e->is_meeting) {
		char badges[TM_MAX_BADGES_AT_ONCE * TM_UID_HEX_SIZE] = "";
		size_t len = 0;

		for (size_t i = 0; i < e->n_taps; i++)
			len += (size_t)snprintf(badges + len, sizeof(badges) - len, "%s%s",
						i ? "," : "", e->taps[i].uid);
		tm_notice("meeting id=%s station=%s badges=%s", e->meeting_id, st->cfg.station_id,
			  badges);
		st->meetings_today++;
	}
}

/* Writes what is waiting, oldest first; stops at the first failure so the
 * order of decisions is kept. `live` says whether people are still at the
 * station to see feedback (not for retries of old writes). */
static void flush_outbox(struct station *st, bool live)
{
	struct outbox_entry *e;
	int rc;

	while ((e = outbox_peek(&st->outbox))) {
		rc = outbox_write(st->store, e);
		if (rc < 0) {
			e->attempts++;
			set_storage_fault(st, true, rc);
			arm_at(st->retry_timer, tm_mono_ms() + st->cfg.store_retry_ms);
			return;
		}
		log_committed(st, e);
		/* Green means saved: feedback only after the commit, and only
		 * while it still answers what the people just did. */
		if (live && e->attempts == 0)
			feedback(st, e->pattern);
		outbox_pop_free(&st->outbox);
	}
	arm_at(st->retry_timer, TM_NEVER);
	set_storage_fault(st, false, 0);
}

static const char *tap_id_for(struct station *st, uint64_t ref)
{
	struct ref_id *slot;

	for (size_t i = 0; i < REF_MAP; i++)
		if (st->refs[i].ref == ref)
			return st->refs[i].id;
	slot = &st->refs[st->refs_next++ % REF_MAP];
	slot->ref = ref;
	tm_store_next_tap_id(st->store, slot->id);
	st->taps_total++;
	return slot->id;
}

static void fill_store_tap(struct station *st, struct tm_store_tap *out, const struct tm_tap *t)
{
	char hex[TM_UID_HEX_SIZE];

	memset(out, 0, sizeof(*out));
	snprintf(out->id, sizeof(out->id), "%s", tap_id_for(st, t->ref));
	tm_badge_uid_hex(&t->badge, hex);
	if (tm_privacy_uid(st->cfg.privacy_uid_key, hex, out->uid) < 0)
		snprintf(out->uid, sizeof(out->uid), "%s", hex);
	out->kind = t->badge.kind;
	out->outcome = t->outcome;
	snprintf(out->reason, sizeof(out->reason), "%s", t->reason);
	tm_stamp_at(&out->stamp, t->at_ms);
}

static void handle_action(struct station *st, const struct tm_action *a)
{
	struct outbox_entry *e = calloc(1, sizeof(*e));

	if (!e) {
		tm_log(LOG_CRIT, "out of memory: action lost at_ms=%lld", (long long)a->at_ms);
		return;
	}
	e->is_meeting = a->type == TM_ACTION_MEETING;
	e->pattern = a->pattern;
	e->n_taps = a->n_taps;
	for (size_t i = 0; i < a->n_taps; i++)
		fill_store_tap(st, &e->taps[i], &a->taps[i]);
	if (e->is_meeting) {
		tm_store_next_meeting_id(st->store, e->meeting_id);
		tm_stamp_at(&e->stamp, a->at_ms);
	}
	/* A first tap shows "waiting" through the base pattern at once; it
	 * does not wait for its row, which is not a promise to anyone. */
	if (a->pattern == TM_PATTERN_WAITING)
		feedback(st, a->pattern);
	if (outbox_push(&st->outbox, e) == -ENOSPC)
		tm_log(LOG_CRIT, "outbox full (%d writes): oldest written to this log only", OUTBOX_LIMIT);
}

static void run_engine(struct station *st)
{
	struct tm_action a;
	bool any = false;

	while (tm_engine_pop(&st->engine, &a)) {
		handle_action(st, &a);
		any = true;
	}
	if (any)
		flush_outbox(st, true);
	arm_at(st->engine_timer, tm_engine_next_deadline(&st->engine, tm_mono_ms()));
	update_leds(st);
}

/* --- reader ------------------------------------------------------------------ */

static void set_reader_state(struct station *st, enum tm_reader_state state, const char *detail)
{
	bool changed = state != st->reader_state || strcmp(detail, st->reader_detail) != 0;

	if (!changed)
		return;
	if (state == TM_READER_FAULT)
		tm_err("reader=%s state=fault detail=\"%s\"", st->cfg.reader_driver, detail);
	else
		tm_notice("reader=%s state=%s detail=\"%s\"", st->cfg.reader_driver,
			  tm_reader_state_name(state), detail);
	st->reader_state = state;
	snprintf(st->reader_detail, sizeof(st->reader_detail), "%s", detail);
	write_status(st);
}

static void close_reader(struct station *st)
{
	if (!st->reader)
		return;
	epoll_ctl(st->epfd, EPOLL_CTL_DEL, st->reader_ops->fd(st->reader), NULL);
	st->reader_ops->close(st->reader);
	st->reader = NULL;
}

static void handle_reader(struct station *st);

static int open_reader(struct station *st)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = SRC_READER };
	int rc;

	st->reader_ops = tm_reader_find(st->cfg.reader_driver);
	if (!st->reader_ops) {
		tm_err("reader=%s error=\"this build has no such reader driver\"", st->cfg.reader_driver);
		return -ENOTSUP;
	}
	rc = st->reader_ops->open(&st->cfg, &st->reader);
	if (rc < 0) {
		char detail[192];

		st->reader = NULL;
		snprintf(detail, sizeof(detail), "cannot open: %s; retrying", strerror(-rc));
		set_reader_state(st, TM_READER_FAULT, detail);
		/* Never exit for a missing reader: it may be plugged in later. */
		st->reader_retry_ms = st->reader_retry_ms ? st->reader_retry_ms * 2 : 500;
		if (st->reader_retry_ms > 5000)
			st->reader_retry_ms = 5000;
		arm_at(st->reader_timer, tm_mono_ms() + st->reader_retry_ms);
		return 0;
	}
	st->reader_retry_ms = 0;
	if (epoll_ctl(st->epfd, EPOLL_CTL_ADD, st->reader_ops->fd(st->reader), &ev) < 0) {
		rc = -errno;
		close_reader(st);
		return rc;
	}
	/* A driver may have events before its fd first becomes readable. */
	handle_reader(st);
	return 0;
}

static void handle_reader(struct station *st)
{
	struct tm_reader_event ev;
	int rc = 0;

	while (st->reader && (rc = st->reader_ops->read_event(st->reader, &ev)) > 0) {
		switch (ev.type) {
		case TM_READER_EVENT_BADGES:
			tm_engine_badges(&st->engine, ev.at_ms, ev.badges, ev.n_badges);
			break;
		case TM_READER_EVENT_REJECT: {
			char hex[TM_UID_HEX_SIZE];

			tm_badge_uid_hex(&ev.badges[0], hex);
			tm_warn("reader=%s event=reject uid=%s reason=\"%s\"", st->cfg.reader_driver,
				hex, ev.detail);
			tm_engine_reject(&st->engine, ev.at_ms, &ev.badges[0], ev.detail);
			break;
		}
		case TM_READER_EVENT_STATE:
			set_reader_state(st, ev.state, ev.detail);
			break;
		}
		run_engine(st);
	}
	if (st->reader && rc < 0) {
		char detail[192];

		snprintf(detail, sizeof(detail), "read failed: %s; reopening", strerror(-rc));
		set_reader_state(st, TM_READER_FAULT, detail);
		close_reader(st);
		arm_at(st->reader_timer, tm_mono_ms() + 500);
	}
	update_leds(st);
}

/* --- repeat guard across restarts ----------------------------------------- */

static void remember(void *ctx, const struct tm_badge *badges, size_t n, int64_t mono_ms)
{
	tm_engine_remember_meeting(ctx, badges, n, mono_ms);
}

/* --- reload ------------------------------------------------------------------- */

static bool reader_config_changed(const struct tm_config *a, const struct tm_config *b)
{
	return strcmp(a->reader_driver, b->reader_driver) || strcmp(a->reader_device, b->reader_device) ||
	       strcmp(a->reader_sim_path, b->reader_sim_path) || a->reader_poll_ms != b->reader_poll_ms;
}

static bool leds_config_changed(const struct tm_config *a, const struct tm_config *b)
{
	return strcmp(a->leds_driver, b->leds_driver) || strcmp(a->leds_chip, b->leds_chip) ||
	       a->leds_wiring != b->leds_wiring || a->leds_required != b->leds_required ||
	       memcmp(a->lines, b->lines, sizeof(a->lines)) != 0 || a->leds_color != b->leds_color;
}

static void reload(struct station *st)
{
	struct tm_config next;
	char err[512];
	int rc;

	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu", (unsigned long long)tm_mono_ms() * 1000);
	tm_config_defaults(&next);
	rc = tm_config_load(&next, st->config_path, err, sizeof(err));
	if (rc < 0) {
		tm_err("event=reload-failed error=\"%s\" action=\"keeping the running configuration\"", err);
		goto done;
	}
	if (strcmp(next.store_path, st->cfg.store_path) != 0) {
		tm_warn("event=reload warning=\"[store] path changes need a restart; still using %s\"",
			st->cfg.store_path);
		snprintf(next.store_path, sizeof(next.store_path), "%s", st->cfg.store_path);
	}
	if (strcmp(next.station_id, st->cfg.station_id) != 0) {
		rc = tm_store_station_begin(st->store, next.station_id, next.station_name);
		if (rc < 0) {
			tm_err("event=reload-failed error=\"cannot register station %s: %s\"",
			       next.station_id, tm_store_errmsg(st->store));
			goto done;
		}
	}
	tm_engine_reconfigure(&st->engine, &next.pairing);
	tm_log_set_level(tm_log_level_parse(next.log_level));
	if (leds_config_changed(&st->cfg, &next)) {
		struct tm_config old = st->cfg;

		close_leds(st);
		st->cfg = next;
		if (open_leds(st) < 0) {
			tm_err("event=reload warning=\"new LED setup failed; restoring the old one\"");
			st->cfg = old;
			open_leds(st);
		}
	}
	if (reader_config_changed(&st->cfg, &next)) {
		close_reader(st);
		st->cfg = next;
		st->reader_state = TM_READER_CONNECTING;
		open_reader(st);
	}
	st->cfg = next;
	tm_notice("event=reloaded config=%s station=%s window_ms=%lld repeat_guard_ms=%lld",
		  st->config_path, st->cfg.station_id, (long long)st->cfg.pairing.window_ms,
		  (long long)st->cfg.pairing.repeat_guard_ms);
done:
	write_status(st);
	sd_notify(0, "READY=1");
	run_engine(st);
}

/* --- housekeeping ------------------------------------------------------------- */

static void housekeeping(struct station *st)
{
	if (st->watchdog_usec)
		sd_notify(0, "WATCHDOG=1");
	write_status(st);
}

static int housekeeping_interval_ms(struct station *st)
{
	int64_t ms = HEARTBEAT_MS;

	/* The watchdog is fed from the loop itself: a wedged loop stops feeding it. */
	if (st->watchdog_usec && (int64_t)(st->watchdog_usec / 2000) < ms)
		ms = (int64_t)(st->watchdog_usec / 2000);
	return (int)(ms > 0 ? ms : 1);
}

/* --- set-up and the loop ------------------------------------------------------ */

static int setup_signals(struct station *st)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = SRC_SIGNAL };
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	/* Blocked here, delivered through the signalfd; reader threads started
	 * later inherit the mask and so never take them. */
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	st->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (st->sigfd < 0)
		return -errno;
	if (epoll_ctl(st->epfd, EPOLL_CTL_ADD, st->sigfd, &ev) < 0)
		return -errno;
	return 0;
}

static int handle_signals(struct station *st)
{
	struct signalfd_siginfo si;

	while (read(st->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			tm_notice("event=reload signal=HUP");
			reload(st);
		} else {
			tm_notice("event=stopping signal=%s", si.ssi_signo == SIGINT ? "INT" : "TERM");
			return 1;
		}
	}
	return 0;
}

static int open_store(struct station *st)
{
	struct tm_store_options opt = { .busy_timeout_ms = st->cfg.store_busy_timeout_ms };
	int rc = tm_store_open(st->cfg.store_path, &opt, &st->store);

	if (rc == 0)
		rc = tm_store_station_begin(st->store, st->cfg.station_id, st->cfg.station_name);
	if (rc < 0) {
		tm_err("store=%s error=\"%s\" errno=%s", st->cfg.store_path,
		       st->store ? tm_store_errmsg(st->store) : "out of memory", strerror(-rc));
		return rc;
	}
	rc = tm_store_recent_meetings(st->store, tm_mono_ms() - st->cfg.pairing.repeat_guard_ms,
				      remember, &st->engine);
	if (rc < 0)
		tm_warn("store=%s warning=\"cannot seed the repeat guard: %s\"", st->cfg.store_path,
			tm_store_errmsg(st->store));
	return 0;
}

static void shutdown_station(struct station *st)
{
	int64_t now = tm_mono_ms();

	sd_notify(0, "STOPPING=1");
	st->stopping = true;
	tm_engine_abandon(&st->engine, now);
	{
		struct tm_action a;

		while (tm_engine_pop(&st->engine, &a))
			handle_action(st, &a);
	}
	flush_outbox(st, false);
	if (outbox_peek(&st->outbox)) {
		/* The database is still failing: the journal is the last place. */
		for (struct outbox_entry *e = outbox_peek(&st->outbox); e; e = e->next)
			outbox_log_entry(LOG_CRIT, "unsaved-at-exit", e);
	}
	if (st->leds)
		st->leds_ops->set(st->leds, 0);
	tm_notice("event=stopped taps=%llu meetings=%llu", (unsigned long long)st->taps_total,
		  (unsigned long long)st->meetings_today);
}

int station_run(const struct tm_config *cfg, const char *config_path)
{
	struct station *st = calloc(1, sizeof(*st));
	struct epoll_event events[8];
	int rc, n;
	bool done = false;

	if (!st)
		return -ENOMEM;
	st->cfg = *cfg;
	st->config_path = config_path;
	st->sigfd = -1;
	st->started_utc_ms = tm_utc_ms();
	st->reader_state = TM_READER_CONNECTING;
	outbox_init(&st->outbox, OUTBOX_LIMIT);
	tm_engine_init(&st->engine, &cfg->pairing);
	tm_show_init(&st->show, tm_mono_ms());

	st->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (st->epfd < 0) {
		rc = -errno;
		goto out;
	}
	rc = setup_signals(st);
	if (rc < 0)
		goto out;
	st->engine_timer = make_timer(st, SRC_ENGINE_TIMER);
	st->led_timer = make_timer(st, SRC_LED_TIMER);
	st->retry_timer = make_timer(st, SRC_RETRY_TIMER);
	st->reader_timer = make_timer(st, SRC_READER_TIMER);
	st->housekeeping_timer = make_timer(st, SRC_HOUSEKEEPING);
	if (st->engine_timer < 0 || st->led_timer < 0 || st->retry_timer < 0 ||
	    st->reader_timer < 0 || st->housekeeping_timer < 0) {
		rc = -EMFILE;
		tm_err("error=\"cannot create timers\"");
		goto out;
	}
	rc = open_store(st);
	if (rc < 0)
		goto out;
	rc = open_leds(st);
	if (rc < 0)
		goto out;
	tm_show_feedback(&st->show, TM_PATTERN_SELFTEST, tm_mono_ms());
	rc = open_reader(st);
	if (rc < 0)
		goto out;
	if (sd_watchdog_enabled(0, &st->watchdog_usec) <= 0)
		st->watchdog_usec = 0;
	{
		struct itimerspec its;
		int ms = housekeeping_interval_ms(st);

		memset(&its, 0, sizeof(its));
		its.it_value.tv_sec = its.it_interval.tv_sec = ms / 1000;
		its.it_value.tv_nsec = its.it_interval.tv_nsec = (ms % 1000) * 1000000L;
		timerfd_settime(st->housekeeping_timer, 0, &its, NULL);
	}
	tm_notice("event=started version=%s station=%s reader=%s leds=%s store=%s window_ms=%lld repeat_guard_ms=%lld",
		  TAPMEET_VERSION, st->cfg.station_id, st->cfg.reader_driver, st->leds_ops->name,
		  st->cfg.store_path, (long long)st->cfg.pairing.window_ms,
		  (long long)st->cfg.pairing.repeat_guard_ms);
	write_status(st);
	sd_notify(0, "READY=1");
	update_leds(st);

	while (!done) {
		n = epoll_wait(st->epfd, events, 8, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			tm_err("error=\"epoll_wait: %s\"", strerror(errno));
			break;
		}
		for (int i = 0; i < n && !done; i++) {
			switch ((enum source)events[i].data.u32) {
			case SRC_SIGNAL:
				done = handle_signals(st) > 0;
				break;
			case SRC_READER:
				handle_reader(st);
				break;
			case SRC_ENGINE_TIMER:
				drain_timer(st->engine_timer);
				tm_engine_tick(&st->engine, tm_mono_ms());
				run_engine(st);
				break;
			case SRC_LED_TIMER:
				drain_timer(st->led_timer);
				update_leds(st);
				break;
			case SRC_RETRY_TIMER:
				drain_timer(st->retry_timer);
				flush_outbox(st, false);
				update_leds(st);
				break;
			case SRC_READER_TIMER:
				drain_timer(st->reader_timer);
				if (!st->reader)
					open_reader(st);
				update_leds(st);
				break;
			case SRC_HOUSEKEEPING:
				drain_timer(st->housekeeping_timer);
				housekeeping(st);
				break;
			}
		}
	}
	shutdown_station(st);
	rc = 0;
out:
	close_reader(st);
	close_leds(st);
	outbox_free(&st->outbox);
	tm_store_close(st->store);
	{
		int timers[] = { st->engine_timer, st->led_timer, st->retry_timer, st->reader_timer,
				 st->housekeeping_timer };

		for (size_t i = 0; i < sizeof(timers) / sizeof(timers[0]); i++)
			if (timers[i] > 0)
				close(timers[i]);
	}
	if (st->sigfd >= 0)
		close(st->sigfd);
	if (st->epfd >= 0)
		close(st->epfd);
	free(st);
	return rc;
}
