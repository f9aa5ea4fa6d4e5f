/* The config parser: valid files, and every kind of mistake with its line. */
#include <setjmp.h>
#include <stdarg.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tapmeet/config.h"

static int load(struct tm_config *cfg, const char *text, char *err, size_t size)
{
	tm_config_defaults(cfg);
	return tm_config_load_string(cfg, text, "test.conf", err, size);
}

static void defaults_are_documented_values(void **state)
{
	struct tm_config cfg;

	(void)state;
	tm_config_defaults(&cfg);
	assert_int_equal(cfg.pairing.window_ms, 5000);
	assert_int_equal(cfg.pairing.repeat_guard_ms, 60000);
	assert_int_equal(cfg.pairing.rearm_ms, 1000);
	assert_true(cfg.pairing.sequential);
	assert_true(cfg.pairing.suspect_sequential);
	assert_int_equal(cfg.pairing.after_meeting_ms, 10000);
	assert_int_equal(cfg.pairing.min_dwell_ms, 250);
	assert_string_equal(cfg.reader_driver, "libnfc");
	assert_string_equal(cfg.leds_driver, "gpiod");
	assert_false(cfg.leds_required);
	assert_true(tm_station_id_valid(cfg.station_id));
}

static void full_valid_file(void **state)
{
	struct tm_config cfg;
	char err[256];

	(void)state;
	assert_int_equal(load(&cfg,
			      "# a station\n"
			      "[station]\nid = hall-a\nname = Main hall ; inline comment\n"
			      "[reader]\ndriver = sim\nsim_path = /tmp/x.fifo\ndevice = pn532_uart:/dev/ttyAMA0\n"
			      "[store]\npath = /tmp/t.db\nbusy_timeout = 250ms\n"
			      "[pairing]\nwindow = 1.5s\nrepeat_guard = 2m\nrearm = 500ms\n"
			      "[leds]\ndriver = none\nwiring = rgb\nred = GPIO5\ngreen = 6\nblue = GPIO13\n"
			      "red_active_low = yes\nrequired = false\n"
			      "[log]\nlevel = debug\n",
			      err, sizeof(err)),
			 0);
	assert_string_equal(cfg.station_id, "hall-a");
	assert_string_equal(cfg.station_name, "Main hall");
	assert_string_equal(cfg.reader_driver, "sim");
	assert_string_equal(cfg.reader_device, "pn532_uart:/dev/ttyAMA0");
	assert_int_equal(cfg.store_busy_timeout_ms, 250);
	assert_int_equal(cfg.pairing.window_ms, 1500);
	assert_int_equal(cfg.pairing.repeat_guard_ms, 120000);
	assert_int_equal(cfg.pairing.rearm_ms, 500);
	assert_int_equal(cfg.leds_wiring, TM_WIRING_RGB);
	assert_string_equal(cfg.lines[0].name, "GPIO5"); /* rgb: red is line 0 */
	assert_true(cfg.lines[0].active_low);
	assert_string_equal(cfg.lines[1].name, "6");
	assert_false(cfg.lines[1].active_low);
	assert_string_equal(cfg.lines[2].name, "GPIO13");
	assert_string_equal(cfg.log_level, "debug");
}

struct bad_case {
	const char *text;
	const char *expect; /* substring of the error, including file:line */
};

static void invalid_files_name_file_and_line(void **state)
{
	static const struct bad_case cases[] = {
		{ "[station]\nid = a\n[reader]\ndrivr = sim\n", "test.conf:4: unknown key 'drivr' in [reader]" },
		{ "[stations]\nid = a\n", "test.conf:2: unknown key 'id' in [stations]" },
		{ "id = a\n", "test.conf:1: 'id' is outside any [section]" },
		{ "[reader]\ndriver = pcsc\n", "test.conf:2: [reader] driver = 'pcsc' is not one of libnfc|sim" },
		{ "[pairing]\n\nwindow = soon\n", "test.conf:3: [pairing] window = 'soon' is not a duration" },
		{ "[pairing]\nwindow = 0.1s\n", "test.conf:2: [pairing] window = 0.1s is out of range" },
		{ "[pairing]\nwindow = -3s\n", "test.conf:2: [pairing] window = '-3s' is not a duration" },
		{ "[station]\nid = hall a\n", "test.conf:2: [station] id 'hall a' must be" },
		{ "[station]\nid = a\nid = b\n", "test.conf:3: [station] id is set twice" },
		{ "[leds]\nrequired = maybe\n", "test.conf:2: [leds] required = 'maybe' is not a boolean" },
		{ "[leds]\nwiring = rgbw\n", "test.conf:2: [leds] wiring = 'rgbw'" },
		{ "[leds]\ngreen = 1\ngreen = 2\n", "test.conf:3: [leds] green is set twice" },
		{ "[leds]\namber = GPIO1\nwiring = rgb\n", "test.conf: [leds] amber is not used with wiring = rgb" },
		{ "[pairing]\nwindow = 2s\nhurry = 3s\n", "test.conf: [pairing] hurry (3000ms) must be shorter" },
		{ "[store]\npath =\n", "test.conf: [store] path must not be empty" },
		{ "[station]\nthis line has no equals sign\n", "test.conf:2: syntax error" },
		{ "[privacy]\nuid_key = short\n", "[privacy] uid_key must be at least 16 characters" },
		{ "[log]\nlevel = loud\n", "test.conf:2: [log] level = 'loud'" },
		{ "[leds]\nblue = GPIO5\n", "test.conf: [leds] blue is not used with wiring = separate" },
		{ "[leds]\nblue = none\n", "test.conf: [leds] blue is not used with wiring = separate" },
		{ "[leds]\nwiring = rgb\namber_active_low = true\n", "test.conf: [leds] amber is not used with wiring = rgb" },
		{ "[leds]\nbuzzer = GPIO17\n",
		  "test.conf: [leds] green = GPIO17 (its default) and buzzer = GPIO17 name the same GPIO" },
		{ "[leds]\nred = 27\n", "test.conf: [leds] amber = GPIO27 (its default) and red = 27 name the same GPIO" },
		{ "[leds]\ngreen = GPIO5\namber = GPIO5\nred = none\n", "test.conf: [leds] green = GPIO5 and amber = GPIO5" },
		{ "[leds]\nwiring = rgb\nbuzzer = GPIO22\n", "test.conf: [leds] red = GPIO22 (its default) and buzzer" },
		{ "[store]\nbusy_timeout = 60s\n",
		  "test.conf:2: [store] busy_timeout = 60s is out of range (0ms to 10000ms: a write "
		  "waiting longer than that keeps a stop waiting and outlives the service's 30 s "
		  "watchdog)" },
		{ "[store]\nbusy_timeout = 10001ms\n", "test.conf:2: [store] busy_timeout = 10001ms is out of range" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tm_config cfg;
		char err[256];

		assert_int_equal(load(&cfg, cases[i].text, err, sizeof(err)), -EINVAL);
		if (!strstr(err, cases[i].expect))
			fail_msg("case %zu: got \"%s\", expected \"%s\"", i, err, cases[i].expect);
	}
}

static void assert_lines(const struct tm_config *cfg, const char *l0, const char *l1,
			 const char *l2, const char *l3)
{
	assert_string_equal(cfg->lines[0].name, l0);
	assert_string_equal(cfg->lines[1].name, l1);
	assert_string_equal(cfg->lines[2].name, l2);
	assert_string_equal(cfg->lines[3].name, l3);
}

/* Each line takes its default on its own: setting one key leaves the others'. */
static void led_lines_default_per_line(void **state)
{
	struct tm_config cfg;
	char err[256];

	(void)state;
	tm_config_defaults(&cfg);
	assert_lines(&cfg, "GPIO17", "GPIO27", "GPIO22", "");
	/* separate: green, amber, red, buzzer */
	assert_int_equal(load(&cfg, "[leds]\nbuzzer = GPIO18\n", err, sizeof(err)), 0);
	assert_lines(&cfg, "GPIO17", "GPIO27", "GPIO22", "GPIO18");
	assert_int_equal(load(&cfg, "[leds]\nred = 5\nred_active_low = true\n", err, sizeof(err)), 0);
	assert_lines(&cfg, "GPIO17", "GPIO27", "5", "");
	assert_true(cfg.lines[2].active_low);
	assert_false(cfg.lines[0].active_low);
	/* Not only with the gpiod driver: the rule does not depend on it. */
	assert_int_equal(load(&cfg, "[leds]\ndriver = sim\n", err, sizeof(err)), 0);
	assert_lines(&cfg, "GPIO17", "GPIO27", "GPIO22", "");
}

static void led_line_none_disconnects_only_that_light(void **state)
{
	struct tm_config cfg;
	char err[256];

	(void)state;
	assert_int_equal(load(&cfg, "[leds]\namber = none\n", err, sizeof(err)), 0);
	assert_lines(&cfg, "GPIO17", "", "GPIO22", "");
	assert_int_equal(load(&cfg, "[leds]\namber =\nbuzzer = GPIO23\n", err, sizeof(err)), 0);
	assert_lines(&cfg, "GPIO17", "", "GPIO22", "GPIO23");
	assert_int_equal(load(&cfg, "[leds]\ngreen = None\nred = none\nbuzzer = none\n", err,
			      sizeof(err)),
			 0);
	assert_lines(&cfg, "", "GPIO27", "", "");
	/* Two lights "not connected" do not clash. */
	assert_int_equal(load(&cfg, "[leds]\ngreen = none\namber = none\nred = none\n", err,
			      sizeof(err)),
			 0);
	assert_lines(&cfg, "", "", "", "");
}

static void led_lines_rgb_defaults_per_line(void **state)
{
	struct tm_config cfg;
	char err[256];

	(void)state;
	/* rgb: red, green, blue, buzzer */
	assert_int_equal(load(&cfg, "[leds]\nwiring = rgb\n", err, sizeof(err)), 0);
	assert_lines(&cfg, "GPIO22", "GPIO17", "GPIO27", "");
	assert_int_equal(load(&cfg, "[leds]\nwiring = rgb\nred = GPIO5\n", err, sizeof(err)), 0);
	assert_lines(&cfg, "GPIO5", "GPIO17", "GPIO27", "");
	assert_int_equal(load(&cfg, "[leds]\nwiring = rgb\nblue = none\nbuzzer = 23\n", err,
			      sizeof(err)),
			 0);
	assert_lines(&cfg, "GPIO22", "GPIO17", "", "23");
	/* The wiring key may come after the line keys. */
	assert_int_equal(load(&cfg, "[leds]\ngreen = GPIO6\nwiring = rgb\n", err, sizeof(err)), 0);
	assert_lines(&cfg, "GPIO22", "GPIO6", "GPIO27", "");
}

static void led_lines_formatted_for_check_config(void **state)
{
	struct tm_config cfg;
	char err[256], line[256];
	const char *rgb = "leds: driver=gpiod chip=pinctrl-rp1 wiring=rgb red=GPIO22(active-low) "
			  "green=GPIO17 blue=(not connected) buzzer=GPIO23";

	(void)state;
	assert_int_equal(load(&cfg, "[leds]\n", err, sizeof(err)), 0);
	tm_config_format_leds(&cfg, line, sizeof(line));
	assert_string_equal(line, "leds: driver=gpiod chip=gpiochip0 wiring=separate green=GPIO17 "
				  "amber=GPIO27 red=GPIO22 buzzer=(not connected)");
	assert_int_equal(load(&cfg,
			      "[leds]\nchip = pinctrl-rp1\nwiring = rgb\nblue = none\n"
			      "buzzer = GPIO23\nred_active_low = true\n",
			      err, sizeof(err)),
			 0);
	assert_int_equal(tm_config_format_leds(&cfg, line, sizeof(line)), (int)strlen(rgb));
	assert_string_equal(line, rgb);
	/* Cut short like snprintf, and says how much it needed. */
	assert_int_equal(tm_config_format_leds(&cfg, line, 10), (int)strlen(rgb));
	assert_string_equal(line, "leds: dri");
}

/* At most a third of the unit's WatchdogSec=30s; 10s itself is fine. */
static void busy_timeout_up_to_ten_seconds(void **state)
{
	struct tm_config cfg;
	char err[256];

	(void)state;
	assert_int_equal(load(&cfg, "[store]\nbusy_timeout = 10s\n", err, sizeof(err)), 0);
	assert_int_equal(cfg.store_busy_timeout_ms, 10000);
	assert_int_equal(load(&cfg, "[store]\nbusy_timeout = 0\n", err, sizeof(err)), 0);
	assert_int_equal(cfg.store_busy_timeout_ms, 0);
}

static void pairing_rule_keys(void **state)
{
	struct tm_config cfg;
	char err[256];

	(void)state;
	assert_int_equal(load(&cfg,
			      "[pairing]\nsequential = false\nafter_meeting = 30s\n"
			      "suspect_delay = 3.5s\nmin_dwell = 300ms\nsuspect_sequential = false\n",
			      err, sizeof(err)),
			 0);
	assert_false(cfg.pairing.sequential);
	assert_int_equal(cfg.pairing.after_meeting_ms, 30000);
	assert_int_equal(cfg.pairing.suspect_delay_ms, 3500);
	assert_int_equal(cfg.pairing.min_dwell_ms, 300);
	assert_false(cfg.pairing.suspect_sequential);

	assert_int_equal(load(&cfg, "[pairing]\nmin_dwell = 6s\n", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "test.conf:2:"));
	assert_non_null(strstr(err, "min_dwell"));
	assert_int_equal(load(&cfg, "[pairing]\nsequential = maybe\n", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "test.conf:2: [pairing] sequential = 'maybe' is not a boolean"));
}

static void missing_file_is_an_errno(void **state)
{
	struct tm_config cfg;
	char err[256];

	(void)state;
	tm_config_defaults(&cfg);
	assert_int_equal(tm_config_load(&cfg, "/nonexistent/tapmeetd.conf", err, sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/tapmeetd.conf: No such file"));
}

static void durations(void **state)
{
	(void)state;
	assert_int_equal(tm_parse_duration_ms("8"), 8000);
	assert_int_equal(tm_parse_duration_ms("8s"), 8000);
	assert_int_equal(tm_parse_duration_ms("250ms"), 250);
	assert_int_equal(tm_parse_duration_ms("1.5s"), 1500);
	assert_int_equal(tm_parse_duration_ms("2m"), 120000);
	assert_int_equal(tm_parse_duration_ms("1h"), 3600000);
	assert_int_equal(tm_parse_duration_ms("s"), -EINVAL);
	assert_int_equal(tm_parse_duration_ms("5 parsecs"), -EINVAL);
	assert_int_equal(tm_parse_duration_ms("nan"), -EINVAL);
	assert_int_equal(tm_parse_duration_ms("1e30"), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_are_documented_values),
		cmocka_unit_test(full_valid_file),
		cmocka_unit_test(invalid_files_name_file_and_line),
		cmocka_unit_test(busy_timeout_up_to_ten_seconds),
		cmocka_unit_test(led_lines_default_per_line),
		cmocka_unit_test(led_line_none_disconnects_only_that_light),
		cmocka_unit_test(led_lines_rgb_defaults_per_line),
		cmocka_unit_test(led_lines_formatted_for_check_config),
		cmocka_unit_test(pairing_rule_keys),
		cmocka_unit_test(missing_file_is_an_errno),
		cmocka_unit_test(durations),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
