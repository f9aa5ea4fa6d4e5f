/* libnfc reader: a PN532 (UART, I2C, SPI) or PN533/ACR122 (USB) in ISO 14443-A
 * initiator mode at 106 kbps.
 *
 * libnfc blocks and offers no pollable descriptor, so a private thread owns
 * the device and everything libnfc touches; it hands events to the event loop
 * through a mutex-protected queue and an eventfd that is readable while the
 * queue holds something.
 *
 * The polling cycle, and why it looks the way it does (libnfc 1.8.0, PN53x):
 *
 *  - While the reader is empty the chip does the waiting. It is told to retry
 *    activation itself (MxRtyPassiveActivation) about IDLE_WAIT_MS worth of
 *    times, and the thread sleeps in libnfc's read until the chip answers:
 *    with the badge the moment one arrives, or with "0 targets" when its
 *    retries run out. That answer is the heartbeat: a chip that stays silent
 *    fails libnfc's 300 ms timeout, so a dead reader is still noticed within
 *    a bounded time, and an empty reader costs the host a few wake-ups a
 *    second instead of a listing every poll_interval.
 *  - A listing selects one tag at a time (InListPassiveTarget, MaxTg 1) and
 *    halts it (InDeselect) before asking again, until nobody answers. That is
 *    the only way to see two badges lying on the reader together; InAutoPoll
 *    reports one of them only. While listing, the chip retries activation
 *    twice only (libnfc's finite setting), so "nobody else" comes quickly.
 *  - A halted tag answers no select until it has been unpowered, so after a
 *    listing that found anything the RF field goes off, stays off while we
 *    wait for the next cycle (which resets the tags), and comes back on with
 *    a short settle time before the next listing. A listing that found nothing
 *    halted nobody: the field stays on and the chip waits again.
 *  - "Infinite select" stays off. With it, an empty reader makes libnfc give
 *    up after 300 ms with NFC_ETIMEOUT, the very code a dead reader gives,
 *    and leaves the chip busy; a finite count ends in a real answer, so any
 *    error in a cycle really is a reader or line failure.
 *  - libnfc has no public call that sets a finite retry count other than
 *    two. pn53x_transceive(), which its own chip layer uses, is exported by
 *    libnfc.so but not declared in its headers: it is looked up at run time
 *    and used for that one RFConfiguration command, on drivers whose chip is
 *    a PN53x. Without it (another libnfc, another chip) the thread falls back
 *    to listing an empty reader every poll_interval.
 *  - The chip's time per activation attempt is not documented, so the
 *    retry count is calibrated from the heartbeats themselves.
 *  - Presence checks (nfc_initiator_target_is_present) are not used: they
 *    fail with "not supported" for some tags without asking the chip and can
 *    never notice a second badge arriving; listing again answers both.
 *
 * Faults (missing device, unplugged, silent chip, garbage, I/O errors) close
 * the device and reconnect with backoff; the loop sees one FAULT state event
 * per distinct reason and one OK when the reader answers again.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <nfc/nfc.h>

#include "tapmeet/clock.h"
#include "tapmeet/config.h"
#include "tapmeet/log.h"
#include "tapmeet/reader.h"

#define QUEUE_LEN 32
/* Tags need a moment of no field to forget they were halted (ISO 14443-3
 * asks for at least 5.1 ms), and a moment of field before the first REQA. */
#define FIELD_OFF_MIN_MS 10
#define FIELD_SETTLE_MS 5
/* While badges lie on the reader, how often to look again: short, so a
 * second badge joining the first makes a meeting without a noticeable wait. */
#define PRESENT_POLL_MS 20
/* While the reader is empty: how long the chip is left waiting for a badge
 * before its "0 targets" answer, the heartbeat. Well under libnfc's fixed
 * 300 ms answer timeout for a listing, which must never be what ends a wait;
 * a heartbeat slower than IDLE_WAIT_MAX_MS halves the retry count. */
#define IDLE_WAIT_MS 200
#define IDLE_WAIT_MAX_MS 250
#define IDLE_RETRIES_FIRST 4
#define IDLE_RETRIES_MAX 254 /* 0xFF would mean "forever" */
/* libnfc's own finite setting (NP_INFINITE_SELECT off): quick "nobody". */
#define LISTING_RETRIES 2
#define BACKOFF_FIRST_MS 500
#define BACKOFF_MAX_MS 5000
/* A single garbled frame is line noise; this many failed cycles in a row
 * make a fault. */
#define CYCLE_ERRORS_FOR_FAULT 2
#define NOISE_LOG_INTERVAL_MS 60000

typedef int (*pn53x_transceive_fn)(nfc_device *pnd, const uint8_t *tx, size_t tx_len, uint8_t *rx,
				  size_t rx_len, int timeout);

/* What went wrong, as far as people at the station care: a reconnect loop
 * failing in the same class again stays quiet, so an unplugged reader gives
 * one line whether it stays away for a second or an hour. */
enum fault_kind {
	FAULT_NONE,
	FAULT_NO_DEVICE, /* the device node is not there */
	FAULT_IN_USE,    /* another process holds it */
	FAULT_SILENT,    /* there, but no usable answer: silent, garbage, I/O errors */
};

struct tm_reader {
	/* Set in open(), read-only afterwards. */
	nfc_connstring device;
	int64_t idle_poll_ms;
	int64_t present_poll_ms;
	int event_fd; /* readable while the queue is not empty */
	int stop_fd;  /* written by close() to end the thread's waits */
	nfc_context *ctx;
	pthread_t thread;
	bool thread_started;

	/* Shared with the thread, under lock. */
	pthread_mutex_t lock;
	bool stopping;
	nfc_device *pnd; /* published only so close() can abort a blocked read */
	size_t q_head, q_len;
	struct tm_reader_event queue[QUEUE_LEN];

	/* The thread's own. */
	nfc_device *dev;
	int lock_fd;
	char lock_path[PATH_MAX];
	nfc_connstring name; /* device as shown to people */
	bool field_on;
	pn53x_transceive_fn transceive; /* NULL: no chip waiting, the host polls */
	bool chip_waits;                /* this device's chip can be told to wait */
	unsigned passive_retries;       /* MxRtyPassiveActivation as last set */
	unsigned idle_retries;          /* the count calibrated for IDLE_WAIT_MS */
	int64_t attempt_us;             /* one activation attempt, from the heartbeats */
	enum fault_kind reported_fault;
	bool reported_ok;
	size_t n_present;
	struct tm_badge present[TM_MAX_BADGES_AT_ONCE];
	size_t n_rejected;
	struct tm_badge rejected[TM_MAX_BADGES_AT_ONCE];
	int64_t last_noise_log_ms;
};

/* --- queue (any thread) ---------------------------------------------------- */

static void post(struct tm_reader *r, const struct tm_reader_event *ev)
{
	uint64_t one = 1;
	struct tm_reader_event *last;

	pthread_mutex_lock(&r->lock);
	if (r->q_len < QUEUE_LEN) {
		r->queue[(r->q_head + r->q_len++) % QUEUE_LEN] = *ev;
	} else {
		/* The loop is stuck (a slow disk?). A badge set or a state is a
		 * complete snapshot, so the newest replaces the newest queued one
		 * of its type: the current truth survives, a flicker is lost. */
		last = &r->queue[(r->q_head + r->q_len - 1) % QUEUE_LEN];
		if (last->type == ev->type && ev->type != TM_READER_EVENT_REJECT)
			*last = *ev;
		else
			tm_warn("reader=libnfc event=overflow detail=\"event loop not reading; event dropped\"");
	}
	/* Under the lock, so read_event() never drains a count that belongs
	 * to an event it has not seen yet. */
	if (write(r->event_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		tm_debug("reader=libnfc eventfd write failed: %s", strerror(errno));
	pthread_mutex_unlock(&r->lock);
}

static void post_state(struct tm_reader *r, enum tm_reader_state state, const char *detail)
{
	struct tm_reader_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = TM_READER_EVENT_STATE;
	ev.at_ms = tm_mono_ms();
	ev.state = state;
	/* Details are short by construction; a cut one still reads. */
	memcpy(ev.detail, detail, strnlen(detail, sizeof(ev.detail) - 1));
	post(r, &ev);
}

static bool stop_requested(struct tm_reader *r)
{
	bool stop;

	pthread_mutex_lock(&r->lock);
	stop = r->stopping;
	pthread_mutex_unlock(&r->lock);
	return stop;
}

/* Sleeps up to ms; false when close() asked the thread to stop. */
static bool wait_ms(struct tm_reader *r, int64_t ms)
{
	struct pollfd pfd = { .fd = r->stop_fd, .events = POLLIN };
	int64_t until = tm_mono_ms() + ms, left;

	while ((left = until - tm_mono_ms()) > 0) {
		int n = poll(&pfd, 1, (int)left);

		if (n > 0)
			return false;
		if (n < 0 && errno != EINTR)
			break;
	}
	return !stop_requested(r);
}

/* --- faults ------------------------------------------------------------------ */

/* One FAULT event per distinct reason: a reader that stays gone for an hour
 * gives one line, not one per retry. */
static void report_fault(struct tm_reader *r, enum fault_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void report_fault(struct tm_reader *r, enum fault_kind kind, const char *fmt, ...)
{
	char detail[sizeof(((struct tm_reader_event *)0)->detail)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (kind == r->reported_fault && !r->reported_ok) {
		tm_debug("reader=libnfc device=%s retry-failed detail=\"%s\"", r->name, detail);
		return;
	}
	r->reported_fault = kind;
	r->reported_ok = false;
	post_state(r, TM_READER_FAULT, detail);
}

static const char *nfc_error_text(int code)
{
	switch (code) {
	case NFC_EIO:
		return "input/output error (garbled or lost frames)";
	case NFC_ETIMEOUT:
		return "the reader does not answer";
	case NFC_EOPABORTED:
		return "operation aborted";
	case NFC_ECHIP:
		return "the reader chip reports an error";
	case NFC_ERFTRANS:
		return "RF transmission error";
	case NFC_ESOFT:
		return "libnfc software error";
	case NFC_EINVARG:
		return "invalid argument to libnfc";
	case NFC_EDEVNOTSUPP:
	case NFC_ENOTIMPL:
		return "not supported by this reader";
	default:
		return "libnfc error";
	}
}

/* --- the device lock ---------------------------------------------------------- */

/* The device path inside a connstring ("pn532_uart:/dev/ttyAMA0:115200"),
 * or false when the connstring names none (USB bus:address, empty). */
static bool connstring_path(const char *connstring, char *out, size_t size)
{
	const char *p = strchr(connstring, ':');
	size_t len;

	if (!p || p[1] != '/')
		return false;
	p++;
	len = strcspn(p, ":");
	if (len >= size)
		return false;
	memcpy(out, p, len);
	out[len] = '\0';
	return true;
}

/* Who holds a flock on the file, from /proc/locks; 0 when unknown. */
static long lock_holder(const struct stat *st)
{
	FILE *f = fopen("/proc/locks", "re");
	char line[256];
	long pid = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char type[16];
		unsigned maj, min;
		unsigned long ino;
		long holder;

		/* "1: FLOCK  ADVISORY  WRITE 1234 00:19:5 0 EOF" */
		if (sscanf(line, "%*s %15s %*s %*s %ld %x:%x:%lu", type, &holder, &maj, &min, &ino) != 5)
			continue;
		if (strcmp(type, "FLOCK") == 0 && maj == major(st->st_dev) && min == minor(st->st_dev) &&
		    ino == st->st_ino && holder != (long)getpid()) {
			pid = holder;
			break;
		}
	}
	fclose(f);
	return pid;
}

static void unlock_device(struct tm_reader *r)
{
	if (r->lock_fd >= 0)
		close(r->lock_fd);
	r->lock_fd = -1;
	r->lock_path[0] = '\0';
}

/* libnfc marks a serial port it uses with a termios flag (CCLAIMED) that
 * current kernels do not keep, so two daemons could both drive one reader
 * and garble each other's frames. An flock on the device node itself
 * (symlinks resolved, so /dev/serial0 and /dev/ttyAMA0 are one lock) keeps
 * the second one out. */
static int lock_device(struct tm_reader *r, const char *connstring)
{
	char path[PATH_MAX];
	struct stat st;
	long pid;

	if (!connstring_path(connstring, path, sizeof(path)))
		return 0;
	if (!realpath(path, r->lock_path)) {
		report_fault(r, FAULT_NO_DEVICE, "%s: %s: %s; retrying", connstring, path, strerror(errno));
		return -ENODEV;
	}
	r->lock_fd = open(r->lock_path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (r->lock_fd < 0) {
		int err = errno;

		report_fault(r, err == ENOENT ? FAULT_NO_DEVICE : FAULT_SILENT, "%s: cannot open %s: %s; retrying",
			     connstring, r->lock_path, strerror(err));
		r->lock_path[0] = '\0';
		return -err;
	}
	if (flock(r->lock_fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	if (errno != EWOULDBLOCK) {
		tm_warn("reader=libnfc device=%s warning=\"cannot lock %s: %s; continuing unlocked\"",
			connstring, r->lock_path, strerror(errno));
		return 0;
	}
	pid = fstat(r->lock_fd, &st) == 0 ? lock_holder(&st) : 0;
	if (pid > 0)
		report_fault(r, FAULT_IN_USE, "reader %s (%s) is in use by another process (pid %ld)",
			     connstring, r->lock_path, pid);
	else
		report_fault(r, FAULT_IN_USE, "reader %s (%s) is in use by another process", connstring,
			     r->lock_path);
	unlock_device(r);
	return -EBUSY;
}

/* --- connecting ---------------------------------------------------------------- */

static void publish_device(struct tm_reader *r, nfc_device *pnd)
{
	pthread_mutex_lock(&r->lock);
	r->pnd = pnd;
	pthread_mutex_unlock(&r->lock);
}

static void disconnect(struct tm_reader *r)
{
	if (r->dev) {
		publish_device(r, NULL);
		/* Releases the target, drops the field, powers the chip down and
		 * restores the serial port's settings. */
		nfc_close(r->dev);
		r->dev = NULL;
	}
	unlock_device(r);
}

/* libnfc drivers whose chip is a PN53x, the only ones pn53x_transceive()
 * may be given. */
static bool chip_is_pn53x(const char *connstring)
{
	static const char *const drivers[] = { "pn532_uart", "pn532_spi", "pn532_i2c", "pn53x_usb",
					       "acr122_usb", "acr122_pcsc", "acr122s", "arygon" };
	size_t len = strcspn(connstring, ":");

	for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++)
		if (strlen(drivers[i]) == len && strncmp(connstring, drivers[i], len) == 0)
			return true;
	return false;
}

static int connect_device(struct tm_reader *r)
{
	const char *want = r->device[0] ? r->device : "the first reader libnfc finds";
	int rc;

	snprintf(r->name, sizeof(r->name), "%s", r->device[0] ? r->device : "(auto)");
	if (r->device[0] && (rc = lock_device(r, r->device)) < 0)
		return rc;
	r->dev = nfc_open(r->ctx, r->device[0] ? r->device : NULL);
	if (!r->dev) {
		/* libnfc says no more than "no": name the likely causes. */
		if (r->device[0])
			report_fault(r, FAULT_SILENT,
				     "cannot open %s: no PN53x answers (unplugged, wrong port or speed, or held by a kernel driver); retrying",
				     want);
		else
			report_fault(r, FAULT_SILENT, "no NFC reader found; retrying");
		unlock_device(r);
		return -ENODEV;
	}
	snprintf(r->name, sizeof(r->name), "%s", nfc_device_get_connstring(r->dev));
	/* Found by scanning: lock it now; better late than two daemons on it. */
	if (!r->device[0] && (rc = lock_device(r, r->name)) < 0) {
		nfc_close(r->dev);
		r->dev = NULL;
		return rc;
	}
	publish_device(r, r->dev);
	rc = nfc_initiator_init(r->dev);
	if (rc >= 0)
		rc = nfc_device_set_property_bool(r->dev, NP_INFINITE_SELECT, false);
	if (rc >= 0)
		rc = nfc_device_set_property_bool(r->dev, NP_AUTO_ISO14443_4, true);
	if (rc < 0) {
		report_fault(r, FAULT_SILENT, "%s: cannot set up initiator mode: %s; retrying", r->name,
			     nfc_error_text(rc));
		disconnect(r);
		return -EIO;
	}
	r->field_on = true; /* nfc_initiator_init leaves it on */
	r->passive_retries = LISTING_RETRIES; /* NP_INFINITE_SELECT off sets it */
	r->chip_waits = r->transceive && chip_is_pn53x(r->name);
	return 0;
}

/* --- one polling cycle ---------------------------------------------------------- */

static enum tm_badge_kind kind_from_sak(uint8_t sak)
{
	if (sak & 0x20)
		return TM_BADGE_ISO14443_4;
	switch (sak) {
	case 0x00:
		return TM_BADGE_MIFARE_ULTRALIGHT;
	case 0x01: /* TNP3xxx */
	case 0x08: /* Classic 1K */
	case 0x09: /* Mini */
	case 0x10: /* Plus 2K, SL2 */
	case 0x11: /* Plus 4K, SL2 */
	case 0x18: /* Classic 4K */
	case 0x19: /* Classic 2K */
	case 0x88: /* Classic 1K, Infineon */
		return TM_BADGE_MIFARE_CLASSIC;
	default:
		return TM_BADGE_UNKNOWN;
	}
}

static bool in_set(const struct tm_badge *set, size_t n, const struct tm_badge *b)
{
	for (size_t i = 0; i < n; i++)
		if (tm_badge_same(&set[i], b))
			return true;
	return false;
}

static bool same_set(const struct tm_badge *a, size_t na, const struct tm_badge *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (!in_set(b, nb, &a[i]))
			return false;
	return true;
}

/* A phone emulating a card shows a new random UID each time the field comes
 * back, i.e. every cycle while it lies on the reader. As long as a random
 * UID keeps being there, it is the same phone: keep its first UID, so the
 * engine rejects one tap, not thirty a second. */
static void keep_random_identity(struct tm_reader *r, struct tm_badge *set, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!tm_badge_random_uid(&set[i]) || in_set(r->present, r->n_present, &set[i]))
			continue;
		for (size_t j = 0; j < r->n_present; j++) {
			if (tm_badge_random_uid(&r->present[j]) && !in_set(set, n, &r->present[j])) {
				set[i] = r->present[j];
				break;
			}
		}
	}
}

struct listing {
	size_t n_badges;
	struct tm_badge badges[TM_MAX_BADGES_AT_ONCE];
	size_t n_unusable;
	struct tm_badge unusable[TM_MAX_BADGES_AT_ONCE];
	char why[TM_MAX_BADGES_AT_ONCE][96];
	bool halted_any;
};

static void add_target(struct listing *l, const nfc_iso14443a_info *a)
{
	struct tm_badge b;

	memset(&b, 0, sizeof(b));
	b.uid_len = (uint8_t)(a->szUidLen <= TM_UID_MAX_BYTES ? a->szUidLen : TM_UID_MAX_BYTES);
	memcpy(b.uid, a->abtUid, b.uid_len);
	b.kind = kind_from_sak(a->btSak);
	if (in_set(l->badges, l->n_badges, &b) || in_set(l->unusable, l->n_unusable, &b))
		return;
	if (b.kind != TM_BADGE_UNKNOWN && (a->szUidLen == 4 || a->szUidLen == 7 || a->szUidLen == 10)) {
		if (l->n_badges < TM_MAX_BADGES_AT_ONCE)
			l->badges[l->n_badges++] = b;
		return;
	}
	if (l->n_unusable == TM_MAX_BADGES_AT_ONCE)
		return;
	if (b.kind == TM_BADGE_UNKNOWN)
		snprintf(l->why[l->n_unusable], sizeof(l->why[0]),
			 "unsupported tag type (ATQA %02X%02X, SAK %02X)", a->abtAtqa[0], a->abtAtqa[1],
			 a->btSak);
	else
		snprintf(l->why[l->n_unusable], sizeof(l->why[0]), "UID of %zu bytes", a->szUidLen);
	l->unusable[l->n_unusable++] = b;
}

/* MxRtyPassiveActivation (RFConfiguration item 5), with the ATR and PSL
 * counts as libnfc leaves them when infinite select is off. */
static int set_passive_retries(struct tm_reader *r, unsigned retries)
{
	const uint8_t cmd[] = { 0x32, 0x05, 0x00, 0x01, (uint8_t)retries };
	int rc;

	/* Only a PN53x takes the command; the others keep libnfc's count. */
	if (!r->chip_waits || r->passive_retries == retries)
		return 0;
	rc = r->transceive(r->dev, cmd, sizeof(cmd), NULL, 0, -1);
	if (rc < 0)
		return rc;
	r->passive_retries = retries;
	return 0;
}

/* Fits the retry count to the heartbeat just measured: the chip's time per
 * attempt is whatever this chip (and this line) takes. Grows at most
 * twofold a step; shrinks at once when a wait ran long. */
static void calibrate_idle_wait(struct tm_reader *r, int64_t waited_ms)
{
	unsigned cur = r->idle_retries, next;
	int64_t scaled;

	if (waited_ms > 0 && waited_ms <= IDLE_WAIT_MAX_MS)
		r->attempt_us = waited_ms * 1000 / (cur + 1);
	if (waited_ms > IDLE_WAIT_MAX_MS) {
		next = cur / 2;
	} else {
		scaled = (int64_t)(cur + 1) * IDLE_WAIT_MS / (waited_ms > 0 ? waited_ms : 1) - 1;
		next = scaled > 2 * (int64_t)cur ? 2 * cur : (unsigned)(scaled > 0 ? scaled : 1);
		/* Within a tenth is noise, not worth a command to the chip. */
		if ((next > cur ? next - cur : cur - next) <= cur / 10)
			next = cur;
	}
	if (next < LISTING_RETRIES)
		next = LISTING_RETRIES;
	if (next > IDLE_RETRIES_MAX)
		next = IDLE_RETRIES_MAX;
	if (next != cur)
		tm_debug("reader=libnfc device=%s idle-wait=%lldms retries=%u->%u", r->name, (long long)waited_ms,
			 cur, next);
	r->idle_retries = next;
}

/* Selects every ISO 14443-A tag in the field that l does not hold yet, one
 * at a time, halting each so the next select finds another, and adds them
 * to l. The first select gives the chip first_retries activation attempts:
 * a wait for a badge when that is more than the listing's 2; a wait timed
 * for calibration when calibrate is set. Returns 0 or a libnfc error code. */
static int list_more(struct tm_reader *r, struct listing *l, unsigned first_retries, bool calibrate)
{
	const nfc_modulation nm = { .nmt = NMT_ISO14443A, .nbr = NBR_106 };
	int rc = set_passive_retries(r, first_retries);

	for (size_t seen = 0; rc >= 0 && seen < 2 * TM_MAX_BADGES_AT_ONCE; seen++) {
		nfc_target nt;
		size_t before = l->n_badges + l->n_unusable;
		int64_t asked = tm_mono_ms();

		rc = nfc_initiator_select_passive_target(r->dev, nm, NULL, 0, &nt);
		if (rc < 0) {
			if (calibrate && rc == NFC_ETIMEOUT)
				calibrate_idle_wait(r, IDLE_WAIT_MAX_MS + 1);
			return rc;
		}
		if (rc == 0) {
			/* Some drivers return 0 for a failed exchange too. */
			rc = nfc_device_get_last_error(r->dev);
			if (rc >= 0 && calibrate)
				calibrate_idle_wait(r, tm_mono_ms() - asked);
			return rc < 0 ? rc : 0;
		}
		add_target(l, &nt.nti.nai);
		rc = nfc_initiator_deselect_target(r->dev);
		if (rc < 0)
			return rc;
		l->halted_any = true;
		/* A tag that answered again was not halted (or a chip woke a
		 * halted one): it would answer forever. */
		if (l->n_badges + l->n_unusable == before)
			return 0;
		/* The wait is over: the rest of the listing must end quickly. */
		calibrate = false;
		rc = set_passive_retries(r, LISTING_RETRIES);
	}
	return rc < 0 ? rc : 0;
}

/* Every tag in the field. With chip_wait, the first select is the chip's
 * long wait for a badge on an empty reader. */
static int list_targets(struct tm_reader *r, struct listing *l, bool chip_wait)
{
	memset(l, 0, sizeof(*l));
	return list_more(r, l, chip_wait ? r->idle_retries : LISTING_RETRIES, chip_wait);
}

/* With badges lying on the reader, all of them halted by the listing: the
 * chip waits up to ms for one more, with the field on, where the host would
 * otherwise sleep. A halted badge does not answer, so what the chip finds
 * is a newcomer, added to l; the badges put down with it are listed too.
 * Returns 1 when l grew, 0 when nobody came, or a libnfc error code. */
static int wait_for_newcomer(struct tm_reader *r, struct listing *l, int64_t ms)
{
	unsigned retries = (unsigned)(ms * 1000 / r->attempt_us);
	size_t before = l->n_badges + l->n_unusable;
	int rc;

	if (retries < 1)
		return 0;
	if (retries > r->idle_retries)
		retries = r->idle_retries;
	rc = list_more(r, l, retries, false);
	if (rc < 0)
		return rc;
	return l->n_badges + l->n_unusable > before;
}

static int set_field(struct tm_reader *r, bool on)
{
	int rc = nfc_device_set_property_bool(r->dev, NP_ACTIVATE_FIELD, on);

	if (rc >= 0)
		r->field_on = on;
	return rc;
}

/* Returns 0, or a libnfc error code when the reader failed. */
/* Nothing was there last time: the next listing is the chip's wait for a
 * badge. */
static bool chip_wait_due(const struct tm_reader *r)
{
	return r->chip_waits && r->n_present == 0 && r->n_rejected == 0;
}

/* Hands the loop what a listing found: a REJECT per new unusable tag, and
 * the badge set when it changed. */
static void report_listing(struct tm_reader *r, struct listing *l, int64_t now)
{
	struct tm_reader_event ev;

	for (size_t i = 0; i < l->n_unusable; i++) {
		if (in_set(r->rejected, r->n_rejected, &l->unusable[i]))
			continue;
		memset(&ev, 0, sizeof(ev));
		ev.type = TM_READER_EVENT_REJECT;
		ev.at_ms = now;
		ev.n_badges = 1;
		ev.badges[0] = l->unusable[i];
		snprintf(ev.detail, sizeof(ev.detail), "%s", l->why[i]);
		post(r, &ev);
	}
	r->n_rejected = l->n_unusable;
	memcpy(r->rejected, l->unusable, l->n_unusable * sizeof(l->unusable[0]));

	keep_random_identity(r, l->badges, l->n_badges);
	if (!same_set(l->badges, l->n_badges, r->present, r->n_present)) {
		memset(&ev, 0, sizeof(ev));
		ev.type = TM_READER_EVENT_BADGES;
		ev.at_ms = now;
		ev.n_badges = l->n_badges;
		memcpy(ev.badges, l->badges, l->n_badges * sizeof(l->badges[0]));
		post(r, &ev);
		r->n_present = l->n_badges;
		memcpy(r->present, l->badges, l->n_badges * sizeof(l->badges[0]));
	}
}

static int poll_once(struct tm_reader *r)
{
	struct listing l;
	int rc;

	if (!r->field_on) {
		rc = set_field(r, true);
		if (rc < 0)
			return rc;
		if (!wait_ms(r, FIELD_SETTLE_MS))
			return 0;
	}
	rc = list_targets(r, &l, chip_wait_due(r));
	if (rc < 0)
		return rc;
	report_listing(r, &l, tm_mono_ms());
	/* Badges lie there: rather than sleep, let the chip look for the next
	 * one for the first part of the pause; the field reset comes after. */
	if (l.halted_any && r->chip_waits && r->attempt_us > 0) {
		rc = wait_for_newcomer(r, &l, r->present_poll_ms - FIELD_OFF_MIN_MS);
		if (rc < 0)
			return rc;
		if (rc > 0)
			report_listing(r, &l, tm_mono_ms());
	}
	/* Every tag found is halted now; dropping the field while we wait
	 * wakes them all for the next listing. */
	if (l.halted_any && (rc = set_field(r, false)) < 0)
		return rc;
	return 0;
}

/* Polls until the reader fails (returns the libnfc error) or close() (0). */
static int run_connected(struct tm_reader *r)
{
	int errors = 0, last_error = 0;

	while (!stop_requested(r)) {
		bool idle = chip_wait_due(r);
		int64_t started = tm_mono_ms(), wait;
		int rc = poll_once(r);

		if (rc < 0) {
			if (++errors >= CYCLE_ERRORS_FOR_FAULT || stop_requested(r))
				return stop_requested(r) ? 0 : rc;
			last_error = rc;
			/* The chip may be in any state after a garbled exchange:
			 * start the next listing from a field reset. */
			r->field_on = false;
			r->passive_retries = UINT_MAX; /* the chip's setting is unknown */
			continue;
		}
		if (errors > 0) {
			int64_t now = tm_mono_ms();

			/* Said only when the retry worked (a fault says it
			 * otherwise), and rate-limited: a noisy line must not
			 * fill the journal. */
			if (now - r->last_noise_log_ms >= NOISE_LOG_INTERVAL_MS) {
				tm_info("reader=libnfc device=%s event=glitch detail=\"%s\" action=\"retried, ok\"",
					r->name, nfc_error_text(last_error));
				r->last_noise_log_ms = now;
			}
		}
		errors = 0;
		if (r->n_present > 0 || !r->field_on)
			/* The chip used the first part of the pause when it
			 * could (wait_for_newcomer); the field stays off for
			 * the rest. */
			wait = r->chip_waits && r->attempt_us > 0 ? FIELD_OFF_MIN_MS : r->present_poll_ms;
		else if (idle)
			/* The chip did the waiting. One that answers at once
			 * anyway (its retries far quicker than calibrated) must
			 * not make this a busy loop. */
			wait = r->idle_poll_ms - (tm_mono_ms() - started);
		else
			wait = r->chip_waits ? 0 : r->idle_poll_ms;
		if (wait > 0 && !wait_ms(r, wait))
			return 0;
	}
	return 0;
}

static void block_signals_here(void)
{
	sigset_t all;

	/* The daemon takes TERM, INT and HUP through a signalfd; this thread
	 * must never be the one a signal lands on. Faults stay deliverable. */
	sigfillset(&all);
	sigdelset(&all, SIGSEGV);
	sigdelset(&all, SIGBUS);
	sigdelset(&all, SIGFPE);
	sigdelset(&all, SIGILL);
	sigdelset(&all, SIGABRT);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
}

static void *reader_thread(void *arg)
{
	struct tm_reader *r = arg;
	int64_t backoff = 0;

	block_signals_here();
	while (!stop_requested(r)) {
		int rc;

		if (connect_device(r) < 0) {
			backoff = backoff ? backoff * 2 : BACKOFF_FIRST_MS;
			if (backoff > BACKOFF_MAX_MS)
				backoff = BACKOFF_MAX_MS;
			if (!wait_ms(r, backoff))
				break;
			continue;
		}
		backoff = 0;
		{
			char detail[192];

			snprintf(detail, sizeof(detail), "reader %.150s ready", r->name);
			r->reported_fault = FAULT_NONE;
			r->reported_ok = true;
			post_state(r, TM_READER_OK, detail);
		}
		rc = run_connected(r);
		if (rc < 0) {
			char path[PATH_MAX], real[PATH_MAX];

			/* An unplugged USB serial adapter or a vanished pty fails
			 * with I/O errors: say what really happened. */
			if (connstring_path(r->name, path, sizeof(path)) && !realpath(path, real))
				report_fault(r, FAULT_NO_DEVICE, "%s: lost the reader: %s is gone; retrying",
					     r->name, path);
			else
				report_fault(r, FAULT_SILENT, "%s: %s; reconnecting", r->name,
					     nfc_error_text(rc));
		}
		disconnect(r);
		if (rc < 0 && !wait_ms(r, BACKOFF_FIRST_MS))
			break;
		backoff = rc < 0 ? BACKOFF_FIRST_MS : 0;
	}
	disconnect(r);
	return NULL;
}

/* --- ops -------------------------------------------------------------------------- */

static void free_reader(struct tm_reader *r)
{
	if (r->ctx)
		nfc_exit(r->ctx);
	if (r->event_fd >= 0)
		close(r->event_fd);
	if (r->stop_fd >= 0)
		close(r->stop_fd);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

static int libnfc_open(const struct tm_config *cfg, struct tm_reader **out)
{
	struct tm_reader *r = calloc(1, sizeof(*r));
	sigset_t all, old;
	int rc;

	if (!r)
		return -ENOMEM;
	r->event_fd = r->stop_fd = r->lock_fd = -1;
	pthread_mutex_init(&r->lock, NULL);
	snprintf(r->device, sizeof(r->device), "%s", cfg->reader_device);
	snprintf(r->name, sizeof(r->name), "%s", r->device[0] ? r->device : "(auto)");
	r->idle_poll_ms = cfg->reader_poll_ms > 0 ? cfg->reader_poll_ms : 100;
	r->present_poll_ms = r->idle_poll_ms < PRESENT_POLL_MS ? r->idle_poll_ms : PRESENT_POLL_MS;
	r->idle_retries = IDLE_RETRIES_FIRST;
	/* A cast through a union of pointers would be no safer: dlsym's own
	 * contract (POSIX) is that this conversion works. */
	*(void **)&r->transceive = dlsym(RTLD_DEFAULT, "pn53x_transceive");
	if (!r->transceive)
		tm_info("reader=libnfc note=\"this libnfc exports no pn53x_transceive: the host polls an empty reader every %lldms\"",
			(long long)r->idle_poll_ms);
	if (r->present_poll_ms < FIELD_OFF_MIN_MS)
		r->present_poll_ms = FIELD_OFF_MIN_MS;

	r->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	r->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (r->event_fd < 0 || r->stop_fd < 0) {
		rc = -errno;
		goto fail;
	}
	/* libnfc prints its own errors on stderr at every failed reconnect;
	 * our state lines say the same once. LIBNFC_LOG_LEVEL set by the
	 * user still wins. Set before our thread exists, so no getenv races. */
	setenv("LIBNFC_LOG_LEVEL", "0", 0);
	nfc_init(&r->ctx);
	if (!r->ctx) {
		rc = -ENOMEM;
		goto fail;
	}
	post_state(r, TM_READER_CONNECTING, r->device[0] ? r->device : "looking for a reader");

	/* Created with every signal blocked, so there is no moment in which
	 * the new thread could take one. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = -pthread_create(&r->thread, NULL, reader_thread, r);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc < 0)
		goto fail;
	r->thread_started = true;
	*out = r;
	return 0;
fail:
	tm_err("reader=libnfc error=\"cannot start the reader: %s\"", strerror(-rc));
	free_reader(r);
	return rc;
}

static int libnfc_fd(struct tm_reader *r)
{
	return r->event_fd;
}

static int libnfc_read_event(struct tm_reader *r, struct tm_reader_event *ev)
{
	uint64_t count;
	int rc = 0;

	pthread_mutex_lock(&r->lock);
	if (r->q_len > 0) {
		*ev = r->queue[r->q_head];
		r->q_head = (r->q_head + 1) % QUEUE_LEN;
		r->q_len--;
		rc = 1;
	} else if (read(r->event_fd, &count, sizeof(count)) < 0 && errno != EAGAIN) {
		rc = -errno;
	}
	pthread_mutex_unlock(&r->lock);
	return rc;
}

static void libnfc_close(struct tm_reader *r)
{
	uint64_t one = 1;

	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	r->stopping = true;
	/* Cuts short a read the thread is blocked in; libnfc then tells the
	 * chip to drop the command (ACK frame). */
	if (r->pnd)
		nfc_abort_command(r->pnd);
	pthread_mutex_unlock(&r->lock);
	if (write(r->stop_fd, &one, sizeof(one)) < 0)
		tm_debug("reader=libnfc stop write failed: %s", strerror(errno));
	if (r->thread_started)
		pthread_join(r->thread, NULL);
	free_reader(r);
}

const struct tm_reader_ops tm_reader_libnfc_ops = {
	.name = "libnfc",
	.open = libnfc_open,
	.fd = libnfc_fd,
	.read_event = libnfc_read_event,
	.close = libnfc_close,
};
