/* The station: joins reader, engine, writer and LEDs on one event loop.
 *
 * Sources (loop.c): a signalfd (TERM, INT, HUP), the reader's fd, the
 * writer's notice fd, and timers for the engine's deadlines, the LED pattern
 * steps, reader reconnects, slow-write detection and housekeeping
 * (heartbeat, watchdog). Nothing here waits: the disk belongs to the writer
 * thread (writer.c), the blocking reader to its own thread.
 */
#include "station.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "loop.h"
#include "writer.h"
#include "tapmeet/clock.h"
#include "tapmeet/engine.h"
#include "tapmeet/identity.h"
#include "tapmeet/leds.h"
#include "tapmeet/live_status.h"
#include "tapmeet/log.h"
#include "tapmeet/pattern.h"
#include "tapmeet/reader.h"
#include "tapmeet/store.h"

/* About 2 kB each: 20,000 writes are ~40 MB, hours of a busy station with
 * its database down, and still safe on a Pi with 512 MB. */
#define OUTBOX_LIMIT 20000
#define HEARTBEAT_MS 30000
/* A write not committed by then shows the storage fault: an fsync on an SD
 * card takes 5-50 ms, so this means a lock or a failing card. */
#define SLOW_WRITE_MS 1500
/* "Saved" comes after the commit. Later than this after the tap it is shown
 * only while nobody else is in the middle of a tap, so that the next pair
 * never reads someone else's "saved" as theirs. */
#define FEEDBACK_FRESH_MS 3000
/* At a stop, the writer gets this long beyond one busy wait to finish. */
#define STOP_GRACE_MS 2000

struct station {
	struct tm_config cfg;
	const char *config_path;
	struct loop *loop;
	struct loop_timer *engine_timer, *led_timer, *reader_timer, *slow_timer, *housekeeping;

	struct tm_identity identity;
	struct tm_engine engine;
	struct writer *writer;
	struct loop_fd *writer_watch;
	bool writes_failing, writes_slow;
	/* Decisions whose feedback waits for their commit ("saved", "already
	 * met", ...): until then the LEDs stay dark rather than show "ready",
	 * whose green blip could be mistaken for "saved". */
	unsigned awaiting_feedback;
	int64_t storage_fault_since;
	char store_error[512];

	const struct tm_reader_ops *reader_ops;
	struct tm_reader *reader;
	struct loop_fd *reader_watch;
	enum tm_reader_state reader_state;
	char reader_detail[192];
	int64_t reader_retry_ms;

	const struct tm_leds_ops *leds_ops;
	struct tm_leds *leds;
	struct tm_show show;
	unsigned lights;

	int64_t started_utc_ms;
	uint64_t meetings_total, taps_total;
	uint64_t guard_failures_logged; /* engine.remember_failures already logged */
	uint64_t watchdog_usec;
	bool stopping;
	int live_status_errno; /* the last failure to write it, logged once */
};

static bool storage_fault(const struct station *st)
{
	return st->writes_failing || st->writes_slow;
}

/* --- LEDs ------------------------------------------------------------------ */

static void update_leds(void *ctx)
{
	struct station *st = ctx;
	int64_t now = tm_mono_ms(), next;
	enum tm_pattern base = tm_show_pick_base(storage_fault(st),
						 st->reader_state == TM_READER_FAULT,
						 tm_engine_base_pattern(&st->engine, now));
	unsigned lights;

	if (st->stopping || (st->awaiting_feedback && base == TM_PATTERN_READY))
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
	loop_timer_at(st->led_timer, next == TM_PATTERN_FOREVER ? TM_NEVER : next);
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

/* --- writes ------------------------------------------------------------------- */

static void submit(struct station *st, struct write_req *req)
{
	int64_t oldest;

	req->submitted_ms = tm_mono_ms();
	if (writer_submit(st->writer, req) == -ENOSPC)
		tm_log(LOG_CRIT, "outbox full (%d writes): oldest written to this log only",
		       OUTBOX_LIMIT);
	if (writer_backlog(st->writer, &oldest) > 0)
		loop_timer_at(st->slow_timer, oldest + SLOW_WRITE_MS);
}

/* The live status file, written at once from the loop (tmpfs: no disk to
 * wait for): the status row goes through the database, which is exactly
 * what a storage fault blocks. */
static void write_live_status(struct station *st)
{
	struct tm_live_status live = { .written_utc_ms = tm_utc_ms() };
	int rc;

	if (!st->cfg.station_status_file[0])
		return;
	snprintf(live.station, sizeof(live.station), "%s", st->cfg.station_id);
	snprintf(live.database, sizeof(live.database), "%s", st->cfg.store_path);
	snprintf(live.reader_state, sizeof(live.reader_state), "%s",
		 tm_reader_state_name(st->reader_state));
	snprintf(live.reader_detail, sizeof(live.reader_detail), "%s", st->reader_detail);
	live.storage_fault = storage_fault(st);
	if (live.storage_fault)
		snprintf(live.storage_error, sizeof(live.storage_error), "%s",
			 st->writes_failing ? st->store_error : "writes not committed in time");
	live.clock_synced = tm_clock_synced();
	rc = tm_live_status_write(st->cfg.station_status_file, &live);
	if (rc < 0 && rc != -st->live_status_errno)
		tm_warn("status_file=%s error=\"cannot write the live status: %s\"",
			st->cfg.station_status_file, strerror(-rc));
	st->live_status_errno = rc < 0 ? -rc : 0;
}

static void write_status(struct station *st)
{
	struct write_req *req = calloc(1, sizeof(*req));

	write_live_status(st);

	sd_notifyf(0, "STATUS=reader %s%s%s; %llu taps, %llu meetings since start%s",
		   tm_reader_state_name(st->reader_state), st->reader_detail[0] ? ": " : "",
		   st->reader_detail, (unsigned long long)st->taps_total,
		   (unsigned long long)st->meetings_total,
		   storage_fault(st) ? "; STORAGE FAULT, writes kept in memory" : "");
	if (!req)
		return; /* the status row is for people; taps go first */
	req->type = WRITE_STATUS;
	snprintf(req->status.reader_state, sizeof(req->status.reader_state), "%s",
		 tm_reader_state_name(st->reader_state));
	snprintf(req->status.detail, sizeof(req->status.detail), "%s", st->reader_detail);
	req->status.storage_fault = storage_fault(st);
	req->status.clock_synced = tm_clock_synced();
	req->status.started_utc_ms = st->started_utc_ms;
	submit(st, req);
}

static void set_storage_fault(struct station *st, bool failing, bool slow)
{
	bool before = storage_fault(st);

	st->writes_failing = failing;
	st->writes_slow = slow;
	if (before == storage_fault(st))
		return;
	if (!before)
		st->storage_fault_since = tm_mono_ms();
	update_leds(st);
	write_status(st);
}

/* "Saved" and "already met" are promises about the log: shown after the
 * commit. The others (waiting, rejected, cancelled, timed out) say what
 * the station saw and are shown at once. */
static bool awaits_commit(const struct write_req *req)
{
	return req->pattern == TM_PATTERN_SAVED || req->pattern == TM_PATTERN_ALREADY_MET;
}

static void log_committed(struct station *st, const struct write_req *e)
{
	for (size_t i = 0; i < e->n_taps; i++) {
		const struct tm_store_tap *t = &e->taps[i].row;

		st->taps_total += e->taps[i].inserted;
		tm_info("tap id=%s uid=%s kind=%s outcome=%s%s%s%s", t->id, t->uid,
			tm_badge_kind_name(t->kind), tm_tap_outcome_name(t->outcome),
			t->reason[0] ? " reason=\"" : "", t->reason, t->reason[0] ? "\"" : "");
	}
	if (e->type == WRITE_MEETING) {
		char badges[TM_MAX_BADGES_AT_ONCE * TM_UID_HEX_SIZE] = "";
		const char *colon = strrchr(e->meeting_id, ':');
		size_t len = 0;

		for (size_t i = 0; i < e->n_taps; i++)
			len += (size_t)snprintf(badges + len, sizeof(badges) - len, "%s%s",
						i ? "," : "", e->taps[i].row.uid);
		tm_notice("meeting id=%s station=%.*s badges=%s", e->meeting_id,
			  (int)(colon ? colon - e->meeting_id : 0), e->meeting_id, badges);
		st->meetings_total++;
	}
	if (e->type == WRITE_STATION)
		tm_notice("event=station-registered station=%s", e->station.id);
}

/* What the writer reports: commits (only then "saved"), failures, recovery. */
static void on_writer(void *ctx)
{
	struct station *st = ctx;
	struct writer_notice n;
	int64_t oldest;

	writer_ack(st->writer);
	while (writer_next_notice(st->writer, &n)) {
		switch (n.type) {
		case NOTICE_COMMITTED:
			log_committed(st, n.req);
			if (awaits_commit(n.req) && st->awaiting_feedback > 0)
				st->awaiting_feedback--;
			/* Green means saved: feedback only after the commit, and
			 * only while it still answers what the people just did. */
			if (!st->stopping && awaits_commit(n.req) &&
			    (tm_mono_ms() - n.req->submitted_ms <= FEEDBACK_FRESH_MS ||
			     tm_engine_base_pattern(&st->engine, tm_mono_ms()) == TM_PATTERN_READY))
				feedback(st, n.req->pattern);
			free(n.req);
			break;
		case NOTICE_FAILING:
			snprintf(st->store_error, sizeof(st->store_error), "%s", n.message);
			tm_err("store=%s event=storage-fault error=\"%s\" errno=%s action=\"keeping writes in memory, retrying every %lldms\"",
			       st->cfg.store_path, n.message, strerror(-n.rc),
			       (long long)st->cfg.store_retry_ms);
			set_storage_fault(st, true, st->writes_slow);
			break;
		case NOTICE_RECOVERED:
			tm_notice("store=%s event=storage-recovered after_ms=%lld", st->cfg.store_path,
				  (long long)(tm_mono_ms() - n.since_ms));
			set_storage_fault(st, false, st->writes_slow);
			break;
		}
	}
	if (writer_backlog(st->writer, &oldest) == 0) {
		st->awaiting_feedback = 0; /* including any the outbox had to drop */
		loop_timer_at(st->slow_timer, TM_NEVER);
		if (st->writes_slow)
			tm_notice("store=%s event=writes-caught-up", st->cfg.store_path);
		set_storage_fault(st, st->writes_failing, false);
	} else {
		loop_timer_at(st->slow_timer, oldest + SLOW_WRITE_MS);
	}
	update_leds(st);
}

/* The oldest write is still not committed: show it, whatever the reason. */
static void on_slow_write(void *ctx)
{
	struct station *st = ctx;
	int64_t oldest;
	size_t backlog = writer_backlog(st->writer, &oldest);

	if (backlog == 0)
		return;
	if (tm_mono_ms() - oldest < SLOW_WRITE_MS) {
		loop_timer_at(st->slow_timer, oldest + SLOW_WRITE_MS);
		return;
	}
	if (!st->writes_slow)
		tm_warn("store=%s event=writes-slow backlog=%zu oldest_ms=%lld action=\"keeping writes in memory\"",
			st->cfg.store_path, backlog, (long long)(tm_mono_ms() - oldest));
	set_storage_fault(st, st->writes_failing, true);
}

static void tap_row(struct write_tap *out, const struct tm_tap *t)
{
	memset(out, 0, sizeof(*out));
	out->ref = t->ref;
	/* The engine's badges are already in their stored form (identity.h). */
	tm_badge_uid_hex(&t->badge, out->row.uid);
	out->row.kind = t->badge.kind;
	out->row.outcome = t->outcome;
	snprintf(out->row.reason, sizeof(out->row.reason), "%s", t->reason);
	tm_stamp_at(&out->row.stamp, t->at_ms);
}

static void handle_action(struct station *st, const struct tm_action *a)
{
	struct write_req *req = calloc(1, sizeof(*req));

	if (!req) {
		tm_log(LOG_CRIT, "out of memory: action lost at_ms=%lld", (long long)a->at_ms);
		return;
	}
	req->type = a->type == TM_ACTION_MEETING ? WRITE_MEETING : WRITE_TAPS;
	req->pattern = a->pattern;
	req->n_taps = a->n_taps;
	for (size_t i = 0; i < a->n_taps; i++)
		tap_row(&req->taps[i], &a->taps[i]);
	if (req->type == WRITE_MEETING) {
		tm_stamp_at(&req->stamp, a->at_ms);
		snprintf(req->suspect, sizeof(req->suspect), "%s", a->suspect);
	}
	if (awaits_commit(req))
		st->awaiting_feedback++;
	else
		feedback(st, a->pattern);
	submit(st, req);
}

static void run_engine(struct station *st)
{
	struct tm_action a;

	while (tm_engine_pop(&st->engine, &a))
		handle_action(st, &a);
	if (st->engine.remember_failures != st->guard_failures_logged) {
		st->guard_failures_logged = st->engine.remember_failures;
		tm_warn("event=repeat-guard-full error=\"out of memory remembering a pair\" failures=%llu action=\"that pair may be stored again within repeat_guard\"",
			(unsigned long long)st->guard_failures_logged);
	}
	loop_timer_at(st->engine_timer, tm_engine_next_deadline(&st->engine, tm_mono_ms()));
	update_leds(st);
}

static void on_engine_timer(void *ctx)
{
	struct station *st = ctx;

	tm_engine_tick(&st->engine, tm_mono_ms());
	run_engine(st);
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
	loop_remove_fd(st->loop, st->reader_watch);
	st->reader_watch = NULL;
	st->reader_ops->close(st->reader);
	st->reader = NULL;
}

/* Identity at the edge: from here on a badge is in its stored form. Fails
 * closed: a badge whose keyed hash cannot be computed is not recorded. */
static size_t stored_badges(struct station *st, const struct tm_badge *raw, size_t n,
			    struct tm_badge *out)
{
	size_t kept = 0;

	for (size_t i = 0; i < n; i++) {
		if (tm_identity_badge(&st->identity, &raw[i], &out[kept]) == 0) {
			kept++;
			continue;
		}
		tm_err("reader=%s event=identity-failed error=\"cannot hash the badge UID with [privacy] uid_key\" action=\"tap not recorded\"",
		       st->cfg.reader_driver);
		feedback(st, TM_PATTERN_REJECTED);
	}
	return kept;
}

/* Events taken from the reader per wake-up. A reader that never runs dry (a
 * FIFO flooded by a script) must not keep the loop from signals, the
 * watchdog and the LEDs: the rest waits for the next round, which the
 * reader timer starts at once, after whatever else is ready. */
#define READER_EVENTS_PER_WAKE 32

static void on_reader(void *ctx)
{
	struct station *st = ctx;
	struct tm_reader_event ev;
	struct tm_badge stored[TM_MAX_BADGES_AT_ONCE];
	int rc = 0, handled = 0;

	while (st->reader && handled < READER_EVENTS_PER_WAKE &&
	       (rc = st->reader_ops->read_event(st->reader, &ev)) > 0) {
		handled++;
		switch (ev.type) {
		case TM_READER_EVENT_BADGES: {
			size_t n = stored_badges(st, ev.badges, ev.n_badges, stored);

			tm_engine_badges(&st->engine, ev.at_ms, stored, n);
			break;
		}
		case TM_READER_EVENT_REJECT: {
			char uid[TM_UID_HEX_SIZE];

			if (stored_badges(st, ev.badges, 1, stored) == 0)
				break;
			tm_badge_uid_hex(&stored[0], uid);
			tm_warn("reader=%s event=reject uid=%s reason=\"%s\"", st->cfg.reader_driver,
				uid, ev.detail);
			tm_engine_reject(&st->engine, ev.at_ms, &stored[0], ev.detail);
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
		loop_timer_at(st->reader_timer, tm_mono_ms() + 500);
	} else if (st->reader && handled == READER_EVENTS_PER_WAKE) {
		loop_timer_at(st->reader_timer, tm_mono_ms());
	}
	update_leds(st);
}

static int open_reader(struct station *st)
{
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
		loop_timer_at(st->reader_timer, tm_mono_ms() + st->reader_retry_ms);
		return 0;
	}
	st->reader_retry_ms = 0;
	rc = loop_add_fd(st->loop, st->reader_ops->fd(st->reader), on_reader, st, &st->reader_watch);
	if (rc < 0) {
		st->reader_ops->close(st->reader);
		st->reader = NULL;
		return rc;
	}
	/* A driver may have events before its fd first becomes readable. */
	on_reader(st);
	return 0;
}

static void on_reader_timer(void *ctx)
{
	struct station *st = ctx;

	if (!st->reader)
		open_reader(st);
	else
		on_reader(st); /* the rest of a busy reader's events */
	update_leds(st);
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

static void change_station(struct station *st, const char *id, const char *name)
{
	struct write_req *req = calloc(1, sizeof(*req));

	if (!req) {
		tm_log(LOG_CRIT, "out of memory: station change to %s lost", id);
		return;
	}
	/* In order with the writes: taps decided before the reload keep the
	 * old id, those after it get the new one once its row exists. */
	req->type = WRITE_STATION;
	snprintf(req->station.id, sizeof(req->station.id), "%s", id);
	snprintf(req->station.name, sizeof(req->station.name), "%s", name);
	submit(st, req);
}

static void reload(struct station *st)
{
	static struct tm_config next; /* large: PATH_MAX buffers; one thread */
	char err[512];
	bool reader_changed, leds_changed;
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
	if (strcmp(next.privacy_uid_key, st->cfg.privacy_uid_key) != 0) {
		/* A new key mid-event would make every badge a stranger to its
		 * own earlier taps (and to the repeat guard). */
		tm_warn("event=reload warning=\"[privacy] uid_key changes need a restart; still using the old key\"");
		snprintf(next.privacy_uid_key, sizeof(next.privacy_uid_key), "%s",
			 st->cfg.privacy_uid_key);
	}
	/* Compare with the running configuration before replacing it. */
	reader_changed = reader_config_changed(&st->cfg, &next);
	leds_changed = leds_config_changed(&st->cfg, &next);
	if (strcmp(next.station_id, st->cfg.station_id) != 0 ||
	    strcmp(next.station_name, st->cfg.station_name) != 0)
		change_station(st, next.station_id, next.station_name);
	writer_configure(st->writer, next.store_busy_timeout_ms, next.store_retry_ms);
	tm_engine_reconfigure(&st->engine, &next.pairing);
	tm_log_set_level(tm_log_level_parse(next.log_level));
	if (leds_changed) {
		static struct tm_config old;

		old = st->cfg;
		close_leds(st);
		st->cfg = next;
		if (open_leds(st) < 0) {
			tm_err("event=reload warning=\"new LED setup failed; restoring the old one\"");
			st->cfg = old;
			open_leds(st);
			/* The rest of the new configuration still applies. */
			memcpy(next.lines, old.lines, sizeof(next.lines));
			snprintf(next.leds_driver, sizeof(next.leds_driver), "%s", old.leds_driver);
			snprintf(next.leds_chip, sizeof(next.leds_chip), "%s", old.leds_chip);
			next.leds_wiring = old.leds_wiring;
			next.leds_required = old.leds_required;
			next.leds_color = old.leds_color;
		}
	}
	st->cfg = next;
	if (reader_changed) {
		close_reader(st);
		st->reader_state = TM_READER_CONNECTING;
		st->reader_retry_ms = 0;
		open_reader(st);
	}
	tm_notice("event=reloaded config=%s station=%s window_ms=%lld repeat_guard_ms=%lld busy_timeout_ms=%lld reader=%s leds=%s",
		  st->config_path, st->cfg.station_id, (long long)st->cfg.pairing.window_ms,
		  (long long)st->cfg.pairing.repeat_guard_ms,
		  (long long)st->cfg.store_busy_timeout_ms, reader_changed ? "reopened" : "kept",
		  leds_changed ? "reopened" : "kept");
done:
	write_status(st);
	sd_notify(0, "READY=1");
	run_engine(st);
}

/* --- signals and housekeeping ------------------------------------------------- */

static void on_signal(void *ctx, int signo)
{
	struct station *st = ctx;

	if (signo == SIGHUP) {
		tm_notice("event=reload signal=HUP");
		reload(st);
		return;
	}
	tm_notice("event=stopping signal=%s", signo == SIGINT ? "INT" : "TERM");
	loop_stop(st->loop);
}

static void on_housekeeping(void *ctx)
{
	struct station *st = ctx;

	/* The watchdog is fed from the loop itself: a wedged loop stops feeding
	 * it. The loop never waits for the disk, so a slow card cannot. */
	if (st->watchdog_usec)
		sd_notify(0, "WATCHDOG=1");
	write_status(st);
}

static int64_t housekeeping_interval_ms(const struct station *st)
{
	int64_t ms = HEARTBEAT_MS;

	if (st->watchdog_usec && (int64_t)(st->watchdog_usec / 2000) < ms)
		ms = (int64_t)(st->watchdog_usec / 2000);
	return ms > 0 ? ms : 1;
}

/* --- start and stop ---------------------------------------------------------- */

static void remember(void *ctx, const char *const *uids, size_t n, int64_t mono_ms)
{
	struct tm_badge badges[TM_MAX_BADGES_AT_ONCE];
	size_t k = 0;

	/* Stored forms come back as they are: no second hashing. */
	for (size_t i = 0; i < n && k < TM_MAX_BADGES_AT_ONCE; i++)
		if (tm_identity_from_stored(uids[i], &badges[k]) == 0)
			k++;
	tm_engine_remember_meeting(ctx, badges, k, mono_ms);
}

/* Opened here, on the main thread, before the loop runs; from then on the
 * store belongs to the writer thread. */
static int open_store(struct station *st)
{
	/* Appending to a few index paths needs few pages; SQLite's 2 MiB
	 * default would only hold pages the station never reads again. */
	struct tm_store_options opt = { .busy_timeout_ms = st->cfg.store_busy_timeout_ms,
					.cache_kib = 256 };
	struct tm_store *store = NULL;
	int rc = tm_store_open(st->cfg.store_path, &opt, &store);

	if (rc == 0)
		rc = tm_store_station_begin(store, st->cfg.station_id, st->cfg.station_name);
	if (rc < 0) {
		tm_err("store=%s error=\"%s\" errno=%s", st->cfg.store_path, tm_store_errmsg(store),
		       strerror(-rc));
		tm_store_close(store);
		return rc;
	}
	/* Over the guard's whole span, meetings from before a reboot included:
	 * a power cut must not let a pair that just met be stored again. */
	rc = tm_store_recent_meetings(store, tm_mono_ms(), tm_utc_ms(),
				      st->cfg.pairing.repeat_guard_ms, remember, &st->engine);
	if (rc < 0)
		tm_warn("store=%s warning=\"cannot seed the repeat guard: %s\"", st->cfg.store_path,
			tm_store_errmsg(store));
	rc = writer_start(store, st->cfg.store_busy_timeout_ms, st->cfg.store_retry_ms,
			  OUTBOX_LIMIT, &st->writer);
	if (rc < 0) {
		tm_err("error=\"cannot start the writer thread: %s\"", strerror(-rc));
		tm_store_close(store);
		return rc;
	}
	return loop_add_fd(st->loop, writer_fd(st->writer), on_writer, st, &st->writer_watch);
}

static int setup_loop(struct station *st)
{
	static const int signals[] = { SIGTERM, SIGINT, SIGHUP };
	int rc;

	signal(SIGPIPE, SIG_IGN);
	rc = loop_new(&st->loop);
	if (rc == 0)
		rc = loop_add_signals(st->loop, signals, 3, on_signal, st);
	if (rc == 0)
		rc = loop_add_timer(st->loop, on_engine_timer, st, &st->engine_timer);
	if (rc == 0)
		rc = loop_add_timer(st->loop, update_leds, st, &st->led_timer);
	if (rc == 0)
		rc = loop_add_timer(st->loop, on_reader_timer, st, &st->reader_timer);
	if (rc == 0)
		rc = loop_add_timer(st->loop, on_slow_write, st, &st->slow_timer);
	if (rc == 0)
		rc = loop_add_timer(st->loop, on_housekeeping, st, &st->housekeeping);
	if (rc < 0)
		tm_err("error=\"cannot set up the event loop: %s\"", strerror(-rc));
	return rc;
}

static void shutdown_station(struct station *st)
{
	struct write_req *left, *next;
	struct tm_action a;
	int64_t now = tm_mono_ms();

	sd_notify(0, "STOPPING=1");
	st->stopping = true;
	tm_engine_abandon(&st->engine, now);
	while (tm_engine_pop(&st->engine, &a))
		handle_action(st, &a);
	left = writer_stop(st->writer, now + st->cfg.store_busy_timeout_ms + STOP_GRACE_MS);
	on_writer(st); /* log what was committed */
	for (; left; left = next) {
		/* The database is still failing: the journal is the last place. */
		next = left->next;
		outbox_log_entry(LOG_CRIT, "unsaved-at-exit", left);
		free(left);
	}
	if (st->leds)
		st->leds_ops->set(st->leds, 0);
	/* A stopped station has no live status; its row keeps the last one. */
	if (st->cfg.station_status_file[0])
		unlink(st->cfg.station_status_file);
	tm_notice("event=stopped taps=%llu meetings=%llu loop_worst_lateness_ms=%lld",
		  (unsigned long long)st->taps_total, (unsigned long long)st->meetings_total,
		  (long long)loop_worst_lateness_ms(st->loop));
}

int station_run(const struct tm_config *cfg, const char *config_path)
{
	struct station *st = calloc(1, sizeof(*st));
	int rc;

	if (!st)
		return -ENOMEM;
	st->cfg = *cfg;
	st->config_path = config_path;
	st->started_utc_ms = tm_utc_ms();
	st->reader_state = TM_READER_CONNECTING;
	tm_engine_init(&st->engine, &cfg->pairing);
	tm_show_init(&st->show, tm_mono_ms());

	rc = tm_identity_init(&st->identity, cfg->privacy_uid_key);
	if (rc < 0) {
		/* Fail closed: a station that cannot hide UIDs records none. */
		tm_err("event=identity-failed error=\"[privacy] uid_key is set but HMAC-SHA-256 cannot be computed (%s)\" action=\"not starting\"",
		       strerror(-rc));
		goto out;
	}
	rc = setup_loop(st);
	if (rc < 0)
		goto out;
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
	loop_timer_every(st->housekeeping, housekeeping_interval_ms(st));
	tm_notice("event=started version=%s station=%s reader=%s leds=%s store=%s window_ms=%lld repeat_guard_ms=%lld",
		  TAPMEET_VERSION, st->cfg.station_id, st->cfg.reader_driver, st->leds_ops->name,
		  st->cfg.store_path, (long long)st->cfg.pairing.window_ms,
		  (long long)st->cfg.pairing.repeat_guard_ms);
	write_status(st);
	sd_notify(0, "READY=1");
	update_leds(st);

	rc = loop_run(st->loop);
	if (rc < 0)
		tm_err("error=\"event loop: %s\"", strerror(-rc));
	shutdown_station(st);
out:
	close_reader(st);
	close_leds(st);
	writer_free(st->writer);
	loop_free(st->loop);
	tm_engine_free(&st->engine);
	free(st);
	return rc;
}
