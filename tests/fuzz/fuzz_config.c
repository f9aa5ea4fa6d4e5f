/* tapmeetd.conf as tm_config_load_string reads it: any text either loads
 * into a configuration every part of the station can use, or is refused
 * with a message. */
#include <errno.h>
#include <stdbool.h>

#include "fuzz.h"
#include "tapmeet/config.h"
#include "tapmeet/log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	tm_log_set_level(-1);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tm_config cfg;
	char err[512] = "", leds[1024];
	char *text;
	int rc;

	/* tm_config_load refuses files over 64 KiB before parsing them. */
	if (size > 64 * 1024)
		return 0;
	text = fuzz_string(data, size);
	tm_config_defaults(&cfg);
	rc = tm_config_load_string(&cfg, text, "fuzz.conf", err, sizeof(err));
	FUZZ_ASSERT(rc == 0 || rc == -EINVAL || rc == -ENOMEM, "rc %d", rc);
	if (rc < 0) {
		FUZZ_ASSERT(err[0] != '\0', "refused without a message");
	} else {
		int n = tm_config_format_leds(&cfg, leds, sizeof(leds));

		FUZZ_ASSERT(n > 0 && (size_t)n < sizeof(leds), "format_leds %d", n);
		FUZZ_ASSERT(memchr(cfg.station_id, '\0', sizeof(cfg.station_id)), "station id");
		FUZZ_ASSERT(cfg.pairing.window_ms > 0, "window %lld", (long long)cfg.pairing.window_ms);
		FUZZ_ASSERT(cfg.pairing.rearm_ms >= 0 && cfg.pairing.confirm_ms >= 0 &&
				    cfg.pairing.repeat_guard_ms >= 0 && cfg.pairing.min_dwell_ms >= 0,
			    "a negative duration loaded");
	}
	/* The same text as a duration, as the config reads each one. */
	if (size < 64) {
		int64_t ms = tm_parse_duration_ms(text);

		FUZZ_ASSERT(ms >= 0 || ms == -EINVAL, "duration %lld", (long long)ms);
	}
	free(text);
	return 0;
}
