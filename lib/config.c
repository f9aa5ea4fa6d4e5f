/* tapmeetd.conf, parsed with inih. Every key is in the table below; anything
 * else is an error naming the file and line, so a typo never silently
 * leaves a default in place. */
#include "tapmeet/config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "tapmeet/log.h"

bool tm_station_id_valid(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > TM_STATION_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)id[i]) && id[i] != '-' && id[i] != '_' && id[i] != '.')
			return false;
	return true;
}

void tm_config_defaults(struct tm_config *cfg)
{
	char host[64] = "";

	memset(cfg, 0, sizeof(*cfg));
	/* A station is usually one Pi: its host name is a good default id. */
	if (gethostname(host, sizeof(host) - 1) == 0 && tm_station_id_valid(host))
		snprintf(cfg->station_id, sizeof(cfg->station_id), "%s", host);
	else
		snprintf(cfg->station_id, sizeof(cfg->station_id), "station");
	snprintf(cfg->reader_driver, sizeof(cfg->reader_driver), "libnfc");
	snprintf(cfg->reader_sim_path, sizeof(cfg->reader_sim_path), "/run/tapmeet/sim.fifo");
	cfg->reader_poll_ms = 100;
	snprintf(cfg->store_path, sizeof(cfg->store_path), "%s", TM_DEFAULT_DB_PATH);
	cfg->store_busy_timeout_ms = 1000;
	cfg->store_retry_ms = 1000;
	tm_engine_config_defaults(&cfg->pairing);
	snprintf(cfg->leds_driver, sizeof(cfg->leds_driver), "gpiod");
	snprintf(cfg->leds_chip, sizeof(cfg->leds_chip), "gpiochip0");
	cfg->leds_wiring = TM_WIRING_SEPARATE;
	cfg->leds_color = true;
	snprintf(cfg->log_level, sizeof(cfg->log_level), "info");
}

int64_t tm_parse_duration_ms(const char *text)
{
	char *end;
	double value, scale = 1000;

	errno = 0;
	value = strtod(text, &end);
	if (end == text || errno || !isfinite(value) || value < 0)
		return -EINVAL;
	while (isspace((unsigned char)*end))
		end++;
	if (strcmp(end, "ms") == 0)
		scale = 1;
	else if (strcmp(end, "s") == 0 || *end == '\0')
		scale = 1000;
	else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
		scale = 60000;
	else if (strcmp(end, "h") == 0)
		scale = 3600000;
	else
		return -EINVAL;
	if (value * scale > 7.0 * 24 * 3600 * 1000)
		return -EINVAL; /* a week: no timing here is meant to be longer */
	return (int64_t)llround(value * scale);
}

/* --- the key table ------------------------------------------------------ */

enum key_type { K_STRING, K_STATION_ID, K_BOOL, K_DURATION, K_CHOICE, K_WIRING, K_LEVEL };

struct key {
	const char *section;
	const char *name;
	enum key_type type;
	size_t offset;
	size_t size;          /* strings */
	const char *choices;  /* K_CHOICE: "a|b|c" */
	int64_t min_ms, max_ms; /* durations */
	const char *why;        /* durations: why the range, said in the error */
};

#define OFF(field) offsetof(struct tm_config, field)
#define STR(sec, key, field) { sec, key, K_STRING, OFF(field), sizeof(((struct tm_config *)0)->field), NULL, 0, 0, NULL }
#define BOOL(sec, key, field) { sec, key, K_BOOL, OFF(field), 0, NULL, 0, 0, NULL }
#define DUR(sec, key, field, lo, hi) { sec, key, K_DURATION, OFF(field), 0, NULL, lo, hi, NULL }
#define DUR_WHY(sec, key, field, lo, hi, why) { sec, key, K_DURATION, OFF(field), 0, NULL, lo, hi, why }
#define CHOICE(sec, key, field, list) { sec, key, K_CHOICE, OFF(field), sizeof(((struct tm_config *)0)->field), list, 0, 0, NULL }

/* The event loop waits while a write waits for a lock, and the unit's
 * WatchdogSec is 30s: a third of it leaves room for the commit itself and
 * for a stop that comes meanwhile. */
#define BUSY_TIMEOUT_MAX_MS 10000

static const struct key keys[] = {
	{ "station", "id", K_STATION_ID, OFF(station_id), sizeof(((struct tm_config *)0)->station_id), NULL, 0, 0, NULL },
	STR("station", "name", station_name),
	CHOICE("reader", "driver", reader_driver, "libnfc|sim"),
	STR("reader", "device", reader_device),
	STR("reader", "sim_path", reader_sim_path),
	DUR("reader", "poll_interval", reader_poll_ms, 10, 5000),
	STR("store", "path", store_path),
	DUR_WHY("store", "busy_timeout", store_busy_timeout_ms, 0, BUSY_TIMEOUT_MAX_MS,
		"a write waiting longer than that keeps a stop waiting and outlives the "
		"service's 30 s watchdog"),
	DUR("store", "retry_interval", store_retry_ms, 100, 600000),
	DUR("pairing", "window", pairing.window_ms, 1000, 600000),
	DUR("pairing", "repeat_guard", pairing.repeat_guard_ms, 0, 86400000),
	DUR("pairing", "rearm", pairing.rearm_ms, 0, 60000),
	DUR("pairing", "confirm", pairing.confirm_ms, 0, 60000),
	DUR("pairing", "hurry", pairing.hurry_ms, 0, 600000),
	CHOICE("leds", "driver", leds_driver, "gpiod|sim|none"),
	BOOL("leds", "required", leds_required),
	STR("leds", "chip", leds_chip),
	{ "leds", "wiring", K_WIRING, OFF(leds_wiring), 0, NULL, 0, 0, NULL },
	BOOL("leds", "color", leds_color),
	{ "log", "level", K_LEVEL, OFF(log_level), sizeof(((struct tm_config *)0)->log_level), NULL, 0, 0, NULL },
	STR("privacy", "uid_key", privacy_uid_key),
};

/* Line keys depend on the wiring: separate LEDs use green/amber/red,
 * an RGB LED red/green/blue; both may have a buzzer. */
static const char *const line_keys[] = { "green", "amber", "red", "blue", "buzzer" };

struct parse_state {
	struct tm_config *cfg;
	const char *name;
	char *err;
	size_t err_size;
	bool failed;
	/* Which keys were set, to refuse a key given twice. */
	bool seen[sizeof(keys) / sizeof(keys[0])];
	bool line_seen[5][2];
	const char *line_value[5];
	char line_store[5][TM_NAME_MAX];
	bool line_active_low[5];
};

static bool parse_bool(const char *v, bool *out)
{
	if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcasecmp(v, "on") || !strcmp(v, "1")) {
		*out = true;
		return true;
	}
	if (!strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcasecmp(v, "off") || !strcmp(v, "0")) {
		*out = false;
		return true;
	}
	return false;
}

static bool in_choices(const char *list, const char *v)
{
	size_t n = strlen(v);

	while (*list) {
		size_t len = strcspn(list, "|");

		if (len == n && strncmp(list, v, n) == 0)
			return true;
		list += len;
		if (*list == '|')
			list++;
	}
	return false;
}

static int fail(struct parse_state *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct parse_state *st, const char *fmt, ...)
{
	va_list ap;

	if (!st->failed) {
		va_start(ap, fmt);
		vsnprintf(st->err, st->err_size, fmt, ap);
		va_end(ap);
		st->failed = true;
	}
	return 0; /* inih: an error on this line */
}

static int set_key(struct parse_state *st, const struct key *k, const char *value)
{
	char *field = (char *)st->cfg + k->offset;

	switch (k->type) {
	case K_STRING:
		if (strlen(value) >= k->size)
			return fail(st, "[%s] %s is too long (at most %zu characters)", k->section,
				    k->name, k->size - 1);
		snprintf(field, k->size, "%s", value);
		return 1;
	case K_STATION_ID:
		if (!tm_station_id_valid(value))
			return fail(st, "[station] id '%s' must be 1-%d characters of A-Z a-z 0-9 - _ .",
				    value, TM_STATION_ID_MAX);
		snprintf(field, k->size, "%s", value);
		return 1;
	case K_BOOL:
		if (!parse_bool(value, (bool *)(void *)field))
			return fail(st, "[%s] %s = '%s' is not a boolean (true or false)", k->section,
				    k->name, value);
		return 1;
	case K_DURATION: {
		int64_t ms = tm_parse_duration_ms(value);

		if (ms < 0)
			return fail(st, "[%s] %s = '%s' is not a duration (e.g. 8s, 500ms, 2m)",
				    k->section, k->name, value);
		if (ms < k->min_ms || ms > k->max_ms)
			return fail(st, "[%s] %s = %s is out of range (%lldms to %lldms%s%s)",
				    k->section, k->name, value, (long long)k->min_ms,
				    (long long)k->max_ms, k->why ? ": " : "", k->why ? k->why : "");
		*(int64_t *)(void *)field = ms;
		return 1;
	}
	case K_CHOICE:
		if (!in_choices(k->choices, value))
			return fail(st, "[%s] %s = '%s' is not one of %s", k->section, k->name, value,
				    k->choices);
		snprintf(field, k->size, "%s", value);
		return 1;
	case K_WIRING:
		if (strcmp(value, "separate") == 0)
			st->cfg->leds_wiring = TM_WIRING_SEPARATE;
		else if (strcmp(value, "rgb") == 0)
			st->cfg->leds_wiring = TM_WIRING_RGB;
		else
			return fail(st, "[leds] wiring = '%s' is not one of separate|rgb", value);
		return 1;
	case K_LEVEL:
		if (tm_log_level_parse(value) < 0)
			return fail(st, "[log] level = '%s' is not one of debug|info|notice|warning|err",
				    value);
		snprintf(field, k->size, "%s", value);
		return 1;
	}
	return fail(st, "internal: key type");
}

static int set_line_key(struct parse_state *st, const char *name, const char *value)
{
	for (size_t i = 0; i < sizeof(line_keys) / sizeof(line_keys[0]); i++) {
		size_t n = strlen(line_keys[i]);
		bool active_low_key = strncmp(name, line_keys[i], n) == 0 &&
				      strcmp(name + n, "_active_low") == 0;

		if (strcmp(name, line_keys[i]) == 0) {
			if (st->line_seen[i][0])
				return fail(st, "[leds] %s is set twice", name);
			st->line_seen[i][0] = true;
			if (strlen(value) >= TM_NAME_MAX)
				return fail(st, "[leds] %s is too long", name);
			snprintf(st->line_store[i], TM_NAME_MAX, "%s", value);
			st->line_value[i] = st->line_store[i];
			return 1;
		}
		if (active_low_key) {
			if (st->line_seen[i][1])
				return fail(st, "[leds] %s is set twice", name);
			st->line_seen[i][1] = true;
			if (!parse_bool(value, &st->line_active_low[i]))
				return fail(st, "[leds] %s = '%s' is not a boolean (true or false)", name,
					    value);
			return 1;
		}
	}
	return -1;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct parse_state *st = user;

	if (st->failed)
		return 1; /* report only the first error; inih keeps its line */
	if (!name)
		return 1; /* a section header (INI_CALL_HANDLER_ON_NEW_SECTION) */
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(keys[i].section, section) || strcmp(keys[i].name, name))
			continue;
		if (st->seen[i])
			return fail(st, "[%s] %s is set twice", section, name);
		st->seen[i] = true;
		return set_key(st, &keys[i], value);
	}
	if (strcmp(section, "leds") == 0) {
		int rc = set_line_key(st, name, value);

		if (rc >= 0)
			return rc;
	}
	if (section[0] == '\0')
		return fail(st, "'%s' is outside any [section]", name);
	return fail(st, "unknown key '%s' in [%s]", name, section);
}

static bool key_was_set(const struct parse_state *st, const char *section, const char *name)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(keys[i].section, section) && !strcmp(keys[i].name, name))
			return st->seen[i];
	return false;
}

/* Rules that involve several keys, checked once the whole file is read. */
static int check_whole(struct parse_state *st)
{
	struct tm_config *cfg = st->cfg;
	static const int separate_map[] = { 0, 1, 2, -1, 3 }; /* green amber red blue buzzer */
	static const int rgb_map[] = { 1, -1, 0, 2, 3 };
	const int *map = cfg->leds_wiring == TM_WIRING_RGB ? rgb_map : separate_map;
	bool any_line = false;

	for (size_t i = 0; i < 5; i++) {
		if (!st->line_value[i] && !st->line_seen[i][1])
			continue;
		if (map[i] < 0) {
			fail(st, "[leds] %s is not used with wiring = %s", line_keys[i],
			     cfg->leds_wiring == TM_WIRING_RGB ? "rgb" : "separate");
			return -EINVAL;
		}
		if (st->line_value[i]) {
			snprintf(cfg->lines[map[i]].name, TM_NAME_MAX, "%s", st->line_value[i]);
			any_line = true;
		}
		cfg->lines[map[i]].active_low = st->line_active_low[i];
	}
	if (strcmp(cfg->leds_driver, "gpiod") == 0 && !any_line) {
		/* Raspberry Pi defaults: BCM 17, 27, 22 for green, amber, red. */
		if (cfg->leds_wiring == TM_WIRING_RGB) {
			snprintf(cfg->lines[0].name, TM_NAME_MAX, "GPIO22");
			snprintf(cfg->lines[1].name, TM_NAME_MAX, "GPIO17");
			snprintf(cfg->lines[2].name, TM_NAME_MAX, "GPIO27");
		} else {
			snprintf(cfg->lines[0].name, TM_NAME_MAX, "GPIO17");
			snprintf(cfg->lines[1].name, TM_NAME_MAX, "GPIO27");
			snprintf(cfg->lines[2].name, TM_NAME_MAX, "GPIO22");
		}
	}
	if (cfg->pairing.hurry_ms >= cfg->pairing.window_ms && !key_was_set(st, "pairing", "hurry")) {
		/* A short window with the default hurry: hurry for its last quarter. */
		cfg->pairing.hurry_ms = cfg->pairing.window_ms / 4;
	}
	if (cfg->pairing.hurry_ms >= cfg->pairing.window_ms) {
		fail(st, "[pairing] hurry (%lldms) must be shorter than window (%lldms)",
		     (long long)cfg->pairing.hurry_ms, (long long)cfg->pairing.window_ms);
		return -EINVAL;
	}
	if (cfg->privacy_uid_key[0] && strlen(cfg->privacy_uid_key) < 16) {
		fail(st, "[privacy] uid_key must be at least 16 characters");
		return -EINVAL;
	}
	if (cfg->store_path[0] == '\0') {
		fail(st, "[store] path must not be empty");
		return -EINVAL;
	}
	return 0;
}

static int finish(struct parse_state *st, int line)
{
	char msg[512];

	if (line == -2) {
		snprintf(st->err, st->err_size, "%s: out of memory", st->name);
		return -ENOMEM;
	}
	if (line > 0) {
		if (!st->failed)
			fail(st, "syntax error (expected [section] or key = value)");
		snprintf(msg, sizeof(msg), "%s:%d: %s", st->name, line, st->err);
		snprintf(st->err, st->err_size, "%s", msg);
		return -EINVAL;
	}
	if (check_whole(st) < 0) {
		snprintf(msg, sizeof(msg), "%s: %s", st->name, st->err);
		snprintf(st->err, st->err_size, "%s", msg);
		return -EINVAL;
	}
	return 0;
}

static void state_init(struct parse_state *st, struct tm_config *cfg, const char *name, char *err,
		       size_t err_size)
{
	memset(st, 0, sizeof(*st));
	st->cfg = cfg;
	st->name = name;
	st->err = err;
	st->err_size = err_size;
	err[0] = '\0';
}

int tm_config_load(struct tm_config *cfg, const char *path, char *err, size_t err_size)
{
	struct parse_state st;
	FILE *f = fopen(path, "re");
	int line, rc;

	if (!f) {
		rc = -errno;
		snprintf(err, err_size, "%s: %s", path, strerror(errno));
		return rc;
	}
	state_init(&st, cfg, path, err, err_size);
	line = ini_parse_file(f, on_key, &st);
	fclose(f);
	return finish(&st, line);
}

int tm_config_load_string(struct tm_config *cfg, const char *text, const char *name, char *err,
			  size_t err_size)
{
	struct parse_state st;

	state_init(&st, cfg, name, err, err_size);
	return finish(&st, ini_parse_string(text, on_key, &st));
}
