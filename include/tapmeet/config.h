/* tapmeetd.conf: an INI file, every key documented in docs/tapmeetd.conf.5.md
 * and in the commented example etc/tapmeetd.conf. */
#ifndef TAPMEET_CONFIG_H
#define TAPMEET_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tapmeet/engine.h"
#include "tapmeet/pattern.h"

#define TM_DEFAULT_CONFIG_PATH SYSCONFDIR "/tapmeet/tapmeetd.conf"
#define TM_DEFAULT_DB_PATH LOCALSTATEDIR "/lib/tapmeet/tapmeet.db"

#define TM_STATION_ID_MAX 32
#define TM_NAME_MAX 64

struct tm_config_line {
	char name[TM_NAME_MAX]; /* offset ("17") or line name ("GPIO17"); empty = not connected */
	bool active_low;
};

struct tm_config {
	char station_id[TM_STATION_ID_MAX + 1];
	char station_name[TM_NAME_MAX];
	char station_status_file[PATH_MAX]; /* live status (live_status.h); "" = none */

	char reader_driver[16];   /* libnfc | sim */
	char reader_device[256];  /* libnfc connstring; empty = first found */
	char reader_sim_path[PATH_MAX]; /* FIFO the sim reader reads commands from */
	int64_t reader_poll_ms;   /* libnfc: how often an idle reader is polled */

	char store_path[PATH_MAX];
	int64_t store_busy_timeout_ms;
	int64_t store_retry_ms;

	struct tm_engine_config pairing;

	char leds_driver[16]; /* gpiod | sim | none */
	bool leds_required;
	char leds_chip[PATH_MAX]; /* name (gpiochip0), path (/dev/gpiochip0) or label */
	enum tm_wiring leds_wiring;
	struct tm_config_line lines[TM_LINES_MAX];
	bool leds_color; /* sim: draw with ANSI colours */

	char log_level[8]; /* debug | info | notice | warning | err */

	/* When set, badge UIDs are stored as a keyed hash (see privacy.h). */
	char privacy_uid_key[128];
	/* tm_config_load: the key is set in a file every user may read. */
	bool uid_key_exposed;
};

void tm_config_defaults(struct tm_config *cfg);

/* Loads and validates a file over the defaults. On error returns -EINVAL (or
 * -errno when the file cannot be read) and writes "FILE:LINE: what" to err. */
int tm_config_load(struct tm_config *cfg, const char *path, char *err, size_t err_size);

/* Same, from a string; `name` is used in messages. */
int tm_config_load_string(struct tm_config *cfg, const char *text, const char *name, char *err,
			  size_t err_size);

/* The LED settings as resolved (defaults filled in, see lib/config.c), on one
 * line for `tapmeetd --check-config`, without a newline:
 *   leds: driver=gpiod chip=gpiochip0 wiring=separate green=GPIO17
 *   amber=GPIO27 red=GPIO22 buzzer=(not connected)
 * (one line; an active-low light shows as GPIO17(active-low)). Returns the
 * length it needs, as snprintf does. */
int tm_config_format_leds(const struct tm_config *cfg, char *buf, size_t size);

/* Parses durations such as "8", "8s", "1.5s", "500ms", "2m": returns ms or -EINVAL. */
int64_t tm_parse_duration_ms(const char *text);

bool tm_station_id_valid(const char *id);

#endif
