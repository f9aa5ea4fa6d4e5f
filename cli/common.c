/* What every subcommand needs: its options, messages, opening the log, and
 * turning the badge or name an organizer typed into the form the log holds. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tapmeet/config.h"

static void vmsg(const char *prefix, const char *fmt, va_list ap)
{
	fprintf(stderr, "tapmeet: %s", prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void cli_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

int cli_usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
	if (usage)
		fprintf(stderr, "%s", usage);
	return EXIT_USAGE;
}

int cli_parse_format(struct cli *c, const char *text)
{
	static const char *const names[] = { "table", "csv", "json", "ndjson", "vcard" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(text, names[i])) {
			c->format = (enum cli_format)i;
			c->format_set = true;
			return 0;
		}
	}
	cli_err("unknown format '%s' (table, csv, json, ndjson; vcard for contacts)", text);
	return -EINVAL;
}

int cli_parse_int(const char *text, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno || end == text || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* --- options ------------------------------------------------------------------ */

enum { OPT_FORMAT = 1000, OPT_DB, OPT_CONFIG, OPT_FIRST_OWN = 2000 };

#define MAX_OPTS 24

int cli_options(struct cli *c, int argc, char **argv, const struct cli_opt *opts,
		const char *usage, int *first)
{
	struct option table[MAX_OPTS + 5];
	char shorts[2 * MAX_OPTS + 4] = "+h";
	size_t n = 0, sl = 2;
	int opt;

	table[n++] = (struct option){ "format", required_argument, NULL, OPT_FORMAT };
	table[n++] = (struct option){ "db", required_argument, NULL, OPT_DB };
	table[n++] = (struct option){ "config", required_argument, NULL, OPT_CONFIG };
	table[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	for (size_t i = 0; opts && opts[i].name && i < MAX_OPTS; i++) {
		bool arg = opts[i].type == CLI_OPT_TEXT;

		table[n++] = (struct option){ opts[i].name, arg ? required_argument : no_argument,
					      NULL, OPT_FIRST_OWN + (int)i };
		if (opts[i].short_name) {
			shorts[sl++] = opts[i].short_name;
			if (arg)
				shorts[sl++] = ':';
		}
	}
	table[n] = (struct option){ NULL, 0, NULL, 0 };
	shorts[sl] = '\0';
	/* Options may come before or after the positional arguments, except
	 * for the top level, which stops at the command name ("+"). */
	if (c->in_command)
		memmove(shorts, shorts + 1, sl);
	optind = 0;
	while ((opt = getopt_long(argc, argv, shorts, table, NULL)) != -1) {
		const struct cli_opt *o = NULL;

		if (opt >= OPT_FIRST_OWN) {
			o = &opts[opt - OPT_FIRST_OWN];
		} else if (opt != OPT_FORMAT && opt != OPT_DB && opt != OPT_CONFIG && opt != 'h' &&
			   opt != '?') {
			for (size_t i = 0; opts && opts[i].name; i++)
				if (opts[i].short_name == opt)
					o = &opts[i];
		}
		if (o) {
			if (o->type == CLI_OPT_FLAG)
				*o->flag = true;
			else
				*o->text = optarg;
			continue;
		}
		switch (opt) {
		case OPT_FORMAT:
			if (cli_parse_format(c, optarg) < 0)
				return EXIT_USAGE;
			break;
		case OPT_DB:
			snprintf(c->db_buf, sizeof(c->db_buf), "%s", optarg);
			c->db_path = c->db_buf;
			break;
		case OPT_CONFIG:
			c->config_path = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return EXIT_OK;
		default:
			fputs(usage, stderr);
			return EXIT_USAGE;
		}
	}
	*first = optind;
	return -1;
}

/* --- the log ------------------------------------------------------------------- */

/* The daemon's config gives the database path and the privacy key; an
 * unreadable default config is normal for organizers, a broken one is not. */
int cli_setup(struct cli *c)
{
	static struct tm_config cfg; /* large: PATH_MAX buffers */
	const char *path = c->config_path;
	char err[512] = "";
	int rc;

	tm_config_defaults(&cfg);
	if (!path && access(TM_DEFAULT_CONFIG_PATH, R_OK) == 0)
		path = TM_DEFAULT_CONFIG_PATH;
	if (path) {
		rc = tm_config_load(&cfg, path, err, sizeof(err));
		if (rc < 0) {
			if (err[0])
				cli_err("%s", err);
			else
				cli_err("cannot read config %s: %s", path, strerror(-rc));
			return EXIT_DATA;
		}
	}
	if (!c->db_path) {
		snprintf(c->db_buf, sizeof(c->db_buf), "%s", cfg.store_path);
		c->db_path = c->db_buf;
	}
	rc = tm_identity_init(&c->identity, cfg.privacy_uid_key);
	if (rc < 0) {
		/* Fail closed: looking up raw UIDs in a keyed log finds nothing
		 * and writing them would store what the key is meant to hide. */
		cli_err("[privacy] uid_key is set but badge UIDs cannot be hashed (%s); refusing "
			"to go on",
			rc == -EINVAL ? "the key has the wrong length" :
					"HMAC-SHA-256 is unavailable in libcrypto");
		return EXIT_DATA;
	}
	c->busy_ms = cfg.store_busy_timeout_ms > 0 ? cfg.store_busy_timeout_ms : 5000;
	c->status_file = cfg.station_status_file;
	return EXIT_OK;
}

int cli_open(struct cli *c, bool writable)
{
	int rc;

	if ((rc = cli_setup(c)) != EXIT_OK)
		return rc;
	if (writable) {
		struct tm_store_options opt = { .busy_timeout_ms = c->busy_ms };

		rc = tm_store_open(c->db_path, &opt, &c->store);
	} else {
		rc = tm_store_open_readonly(c->db_path, c->busy_ms, &c->store);
	}
	if (rc < 0) {
		const char *why = c->store ? tm_store_errmsg(c->store) : strerror(-rc);

		if (strstr(why, c->db_path))
			cli_err("%s", why);
		else
			cli_err("cannot open database %s: %s", c->db_path, why);
		tm_store_close(c->store);
		c->store = NULL;
		return EXIT_DATA;
	}
	return EXIT_OK;
}

void cli_close(struct cli *c)
{
	tm_store_close(c->store);
	c->store = NULL;
}

int cli_store_error(struct cli *c, const char *what)
{
	cli_err("database %s: %s: %s", c->db_path, what, tm_store_errmsg(c->store));
	return EXIT_DATA;
}

int cli_uid_arg(struct cli *c, const char *text, char out[TM_STORED_UID_SIZE])
{
	int rc = tm_identity_parse(&c->identity, text, out);

	if (rc == -EINVAL) {
		cli_err("'%s' is not a badge UID (8, 14 or 20 hex digits)", text);
		return EXIT_USAGE;
	}
	if (rc < 0) {
		cli_err("cannot hash the UID '%s' with [privacy] uid_key; refusing to go on", text);
		return EXIT_DATA;
	}
	return EXIT_OK;
}

int cli_resolve_person(struct cli *c, const char *arg, char uid[TM_STORED_UID_SIZE], char *name,
		       size_t name_size)
{
	struct tm_attendee_match *m = NULL;
	size_t n = 0;
	int rc;

	if (name_size)
		name[0] = '\0';
	rc = tm_identity_parse(&c->identity, arg, uid);
	if (rc == 0) {
		if (tm_store_attendee_name(c->store, uid, name, name_size) < 0)
			return cli_store_error(c, "attendee");
		return EXIT_OK;
	}
	if (rc != -EINVAL) {
		cli_err("cannot hash the UID '%s' with [privacy] uid_key; refusing to go on", arg);
		return EXIT_DATA;
	}
	if (tm_store_find_attendees(c->store, arg, &m, &n) < 0)
		return cli_store_error(c, "attendee lookup");
	if (n == 0) {
		cli_err("no attendee named '%s' (and it is not a badge UID of 8, 14 or 20 hex "
			"digits)",
			arg);
		return EXIT_DATA;
	}
	if (n > 1) {
		cli_err("'%s' matches %zu attendees; give one of their UIDs:", arg, n);
		for (size_t i = 0; i < n; i++) {
			fprintf(stderr, "  %s  ", m[i].uid);
			out_terminal_text(stderr, m[i].name, 0, false);
			if (m[i].org[0]) {
				fputs(" (", stderr);
				out_terminal_text(stderr, m[i].org, 0, false);
				fputc(')', stderr);
			}
			fputc('\n', stderr);
		}
		tm_store_free_matches(m, n);
		return EXIT_DATA;
	}
	snprintf(uid, TM_STORED_UID_SIZE, "%s", m[0].uid);
	if (name_size)
		snprintf(name, name_size, "%s", m[0].name);
	tm_store_free_matches(m, n);
	return EXIT_OK;
}

int64_t cli_now_ms(void)
{
	struct timespec ts;
	const char *fake = getenv("TAPMEET_NOW_MS");

	/* Tests pin "now" so that relative times and health checks are exact. */
	if (fake && *fake)
		return strtoll(fake, NULL, 10);
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The number in the n digits at s, or -1 when one is not a digit (the
 * string's end included, so nothing past it is read). */
static int digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = 10 * v + (s[i] - '0');
	}
	return v;
}

/* "YYYY-MM-DDTHH:MM:SS" followed by '.' or 'Z', as the log writes every
 * time, with each field in strptime's range; false for anything else, which
 * strptime then judges as it always did. A listing converts two times per
 * row: strptime and strftime, which consult the locale, were a tenth of
 * `tapmeet meetings`. */
static bool parse_stamp(const char *s, struct tm *tm)
{
	int year = digits(s, 4), mon, day, hour, min, sec;

	if (year < 0 || s[4] != '-' || (mon = digits(s + 5, 2)) < 1 || mon > 12 || s[7] != '-' ||
	    (day = digits(s + 8, 2)) < 1 || day > 31 || s[10] != 'T' ||
	    (hour = digits(s + 11, 2)) < 0 || hour > 23 || s[13] != ':' ||
	    (min = digits(s + 14, 2)) < 0 || min > 59 || s[16] != ':' ||
	    (sec = digits(s + 17, 2)) < 0 || sec > 61 || (s[19] != '.' && s[19] != 'Z'))
		return false;
	tm->tm_year = year - 1900;
	tm->tm_mon = mon - 1;
	tm->tm_mday = day;
	tm->tm_hour = hour;
	tm->tm_min = min;
	tm->tm_sec = sec;
	return true;
}

static char *put2(char *o, int v)
{
	*o++ = (char)('0' + v / 10);
	*o++ = (char)('0' + v % 10);
	return o;
}

void cli_local_time(const char *utc, char *out, size_t size)
{
	struct tm tm = { 0 };
	const char *end;
	time_t t;
	char *o = out;

	if (!utc || !parse_stamp(utc, &tm)) {
		end = utc ? strptime(utc, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
		if (!end || (*end != '.' && *end != 'Z')) {
			snprintf(out, size, "%s", utc ? utc : "");
			return;
		}
	}
	t = timegm(&tm);
	localtime_r(&t, &tm);
	/* strftime's "%Y-%m-%d %H:%M:%S" for four-digit years (it pads
	 * neither shorter nor longer ones). */
	if (size < 20 || tm.tm_year + 1900 < 1000 || tm.tm_year + 1900 > 9999) {
		strftime(out, size, "%Y-%m-%d %H:%M:%S", &tm);
		return;
	}
	o = put2(o, (tm.tm_year + 1900) / 100);
	o = put2(o, (tm.tm_year + 1900) % 100);
	*o++ = '-';
	o = put2(o, tm.tm_mon + 1);
	*o++ = '-';
	o = put2(o, tm.tm_mday);
	*o++ = ' ';
	o = put2(o, tm.tm_hour);
	*o++ = ':';
	o = put2(o, tm.tm_min);
	*o++ = ':';
	o = put2(o, tm.tm_sec);
	*o = '\0';
}

static volatile sig_atomic_t follow_stop;

static void on_follow_signal(int sig)
{
	(void)sig;
	follow_stop = 1;
}

void cli_follow_signals(sigset_t *during)
{
	struct sigaction sa = { .sa_handler = on_follow_signal };
	sigset_t block;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, during);
	sigdelset(during, SIGINT);
	sigdelset(during, SIGTERM);
}

void cli_follow_signals_end(void)
{
	sigset_t block;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_UNBLOCK, &block, NULL);
}

bool cli_follow_stopped(void)
{
	return follow_stop;
}

int cli_wait_readable(int fd, int timeout_ms, const sigset_t *during)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct timespec ts = { .tv_sec = timeout_ms / 1000,
			       .tv_nsec = (long)(timeout_ms % 1000) * 1000000L };
	int r = ppoll(&p, 1, timeout_ms < 0 ? NULL : &ts, during);

	return r < 0 && errno == EINTR ? 0 : r;
}

void cli_hour_label(int64_t hour, bool local, char *out, size_t size)
{
	time_t t = (time_t)(hour * 3600);
	struct tm tm;

	if (local) {
		localtime_r(&t, &tm);
		strftime(out, size, "%Y-%m-%d %H:%M", &tm);
	} else {
		gmtime_r(&t, &tm);
		strftime(out, size, "%Y-%m-%dT%H:00:00Z", &tm);
	}
}
