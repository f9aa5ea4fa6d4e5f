/* LEDs on GPIO lines through the character device (libgpiod 1.x or 2.x).
 *
 * Every configured line is requested once at open as an output, initially
 * off, with its own active-low flag, and kept until close. Lights are mapped
 * to lines by tm_wiring_lines(); only lines whose value changes are written,
 * so a steady pattern costs no syscalls.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gpiod.h>

#include "tapmeet/config.h"
#include "tapmeet/leds.h"
#include "tapmeet/log.h"
#include "tapmeet/pattern.h"

#ifndef TAPMEET_GPIOD_API
#define TAPMEET_GPIOD_API 1
#endif

#define CONSUMER "tapmeetd"
/* Used when [leds] chip is empty: the 40-pin header on a Pi up to the 4. */
#define DEFAULT_CHIP "gpiochip0"

struct chip {
	struct gpiod_chip *chip;
#if TAPMEET_GPIOD_API >= 2
	struct gpiod_chip_info *info;
#endif
	char path[PATH_MAX + 16];
};

struct tm_leds {
	struct chip chip;
	enum tm_wiring wiring;
	unsigned n; /* requested lines, in config order */
	unsigned index[TM_LINES_MAX];  /* config line index of each */
	unsigned offset[TM_LINES_MAX];
	int value[TM_LINES_MAX]; /* last logical value written; -1 = unknown, rewrite */
#if TAPMEET_GPIOD_API >= 2
	struct gpiod_line_request *req;
#else
	struct gpiod_line *line[TM_LINES_MAX];
#endif
};

static void seterr(char *err, unsigned err_size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void seterr(char *err, unsigned err_size, const char *fmt, ...)
{
	va_list ap;

	if (!err || !err_size)
		return;
	va_start(ap, fmt);
	vsnprintf(err, err_size, fmt, ap);
	va_end(ap);
}

static const char *line_role(enum tm_wiring wiring, unsigned i)
{
	static const char *const separate[TM_LINES_MAX] = { "green", "amber", "red", "buzzer" };
	static const char *const rgb[TM_LINES_MAX] = { "red", "green", "blue", "buzzer" };

	if (i >= TM_LINES_MAX)
		return "?";
	return wiring == TM_WIRING_RGB ? rgb[i] : separate[i];
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* ---- the few calls that differ between libgpiod 1.x and 2.x ---- */

static int chip_open_path(struct chip *c, const char *path)
{
	snprintf(c->path, sizeof(c->path), "%s", path);
	c->chip = gpiod_chip_open(path);
	if (!c->chip)
		return -(errno ? errno : ENODEV);
#if TAPMEET_GPIOD_API >= 2
	c->info = gpiod_chip_get_info(c->chip);
	if (!c->info) {
		int ret = -(errno ? errno : EIO);

		gpiod_chip_close(c->chip);
		c->chip = NULL;
		return ret;
	}
#endif
	return 0;
}

static void chip_close(struct chip *c)
{
#if TAPMEET_GPIOD_API >= 2
	if (c->info)
		gpiod_chip_info_free(c->info);
	c->info = NULL;
#endif
	if (c->chip)
		gpiod_chip_close(c->chip);
	c->chip = NULL;
}

static const char *chip_name(const struct chip *c)
{
#if TAPMEET_GPIOD_API >= 2
	return gpiod_chip_info_get_name(c->info);
#else
	return gpiod_chip_name(c->chip);
#endif
}

static const char *chip_label(const struct chip *c)
{
#if TAPMEET_GPIOD_API >= 2
	return gpiod_chip_info_get_label(c->info);
#else
	return gpiod_chip_label(c->chip);
#endif
}

static unsigned chip_num_lines(const struct chip *c)
{
#if TAPMEET_GPIOD_API >= 2
	return (unsigned)gpiod_chip_info_get_num_lines(c->info);
#else
	return gpiod_chip_num_lines(c->chip);
#endif
}

/* Offset of a named line: -ENOENT when the chip has no such name. */
static int chip_find_line(const struct chip *c, const char *name)
{
#if TAPMEET_GPIOD_API >= 2
	int off = gpiod_chip_get_line_offset_from_name(c->chip, name);

	if (off < 0)
		return errno && errno != ENOENT ? -errno : -ENOENT;
	return off;
#else
	struct gpiod_line *line = gpiod_chip_find_line(c->chip, name);

	if (!line)
		return errno && errno != ENOENT ? -errno : -ENOENT;
	return (int)gpiod_line_offset(line);
#endif
}

/* Who holds a line, for the "busy" message: false when it is free. */
static bool chip_line_holder(const struct chip *c, unsigned offset, char *buf, size_t size)
{
	bool used;
	const char *consumer;

#if TAPMEET_GPIOD_API >= 2
	struct gpiod_line_info *info = gpiod_chip_get_line_info(c->chip, offset);

	if (!info)
		return false;
	used = gpiod_line_info_is_used(info);
	consumer = gpiod_line_info_get_consumer(info);
	snprintf(buf, size, "%s", consumer && *consumer ? consumer : "");
	gpiod_line_info_free(info);
#else
	struct gpiod_line *line = gpiod_chip_get_line(c->chip, offset);

	/* The line object caches its info from an earlier look; refresh it. */
	if (!line || gpiod_line_update(line) < 0)
		return false;
	used = gpiod_line_is_used(line);
	consumer = gpiod_line_consumer(line);
	snprintf(buf, size, "%s", consumer && *consumer ? consumer : "");
#endif
	return used;
}

/* ---- finding the chip ---- */

static int gpiochip_filter(const struct dirent *d)
{
	return strncmp(d->d_name, "gpiochip", 8) == 0;
}

static void append(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void append(char *buf, size_t size, const char *fmt, ...)
{
	size_t len = strlen(buf);
	va_list ap;

	if (len + 1 >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
}

/*
 * Opens the chip named by `want`: a path, a number, a device name or a label.
 * Done by hand rather than with gpiod_chip_open_lookup() so that one chip we
 * may not open does not hide the one we want, and so that the error can list
 * what does exist.
 */
static int chip_lookup(struct chip *c, const char *want, char *err, unsigned err_size)
{
	struct dirent **ents = NULL;
	char path[PATH_MAX + 16];
	char seen[512] = "";
	bool denied = false;
	int n, i, ret;

	if (strchr(want, '/') || all_digits(want) || strncmp(want, "gpiochip", 8) == 0) {
		if (strchr(want, '/'))
			snprintf(path, sizeof(path), "%s", want);
		else
			snprintf(path, sizeof(path), "/dev/%s%s", all_digits(want) ? "gpiochip" : "",
				 want);
		ret = chip_open_path(c, path);
		if (ret == 0)
			return 0;
		if (ret == -EACCES || ret == -EPERM) {
			seterr(err, err_size,
			       "permission denied opening GPIO chip %s (run as root or give the "
			       "user access to it, e.g. the gpio group)",
			       path);
			return -EACCES;
		}
		if (ret != -ENOENT && ret != -ENODEV && ret != -ENOTTY) {
			seterr(err, err_size, "cannot open GPIO chip %s: %s", path, strerror(-ret));
			return ret;
		}
		/* Fall through to the scan: a label may look like a name. */
	}

	n = scandir("/dev", &ents, gpiochip_filter, versionsort);
	if (n < 0)
		n = 0;
	for (i = 0; i < n; i++) {
		struct chip cand = { 0 };

		snprintf(path, sizeof(path), "/dev/%s", ents[i]->d_name);
		ret = chip_open_path(&cand, path);
		if (ret < 0) {
			if (ret == -EACCES || ret == -EPERM)
				denied = true;
			append(seen, sizeof(seen), "%s%s (%s)", *seen ? ", " : "", ents[i]->d_name,
			       strerror(-ret));
			continue;
		}
		if (strcmp(chip_name(&cand), want) == 0 || strcmp(chip_label(&cand), want) == 0 ||
		    strcmp(path, want) == 0) {
			*c = cand;
			ret = 0;
			goto out;
		}
		append(seen, sizeof(seen), "%s%s [%s]", *seen ? ", " : "", chip_name(&cand),
		       chip_label(&cand));
		chip_close(&cand);
	}

	if (denied) {
		seterr(err, err_size,
		       "GPIO chip '%s' not found among those readable; permission denied on "
		       "some (run as root or give the user access, e.g. the gpio group); seen: %s",
		       want, seen);
		ret = -EACCES;
	} else {
		seterr(err, err_size, "GPIO chip '%s' not found; %s%s", want,
		       n ? "chips here: " : "this system has no GPIO chips", seen);
		ret = -ENODEV;
	}
out:
	for (i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	return ret;
}

/* ---- requesting and driving the lines ---- */

static int resolve_lines(struct tm_leds *l, const struct tm_config *cfg, char *err,
			 unsigned err_size)
{
	unsigned num = chip_num_lines(&l->chip);

	for (unsigned i = 0; i < TM_LINES_MAX; i++) {
		const char *name = cfg->lines[i].name;
		const char *role = line_role(cfg->leds_wiring, i);
		int off;

		if (!name[0])
			continue;
		if (all_digits(name)) {
			unsigned long v = strtoul(name, NULL, 10);

			if (v >= num) {
				seterr(err, err_size,
				       "GPIO line %s (%s) not found: %s [%s] has lines 0-%u", name,
				       role, chip_name(&l->chip), chip_label(&l->chip),
				       num ? num - 1 : 0);
				return -ENOENT;
			}
			off = (int)v;
		} else {
			off = chip_find_line(&l->chip, name);
			if (off < 0) {
				seterr(err, err_size, "GPIO line '%s' (%s) not found on %s [%s]",
				       name, role, chip_name(&l->chip), chip_label(&l->chip));
				return off;
			}
		}
		for (unsigned j = 0; j < l->n; j++) {
			if (l->offset[j] == (unsigned)off) {
				seterr(err, err_size,
				       "%s and %s are both wired to GPIO line %d ('%s')",
				       line_role(cfg->leds_wiring, l->index[j]), role, off, name);
				return -EINVAL;
			}
		}
		l->index[l->n] = i;
		l->offset[l->n] = (unsigned)off;
		l->value[l->n] = 0;
		l->n++;
	}
	if (l->n == 0) {
		seterr(err, err_size, "no GPIO lines configured in [leds]");
		return -EINVAL;
	}
	return 0;
}

/* After a failed request: which line is taken, and by whom. */
static void explain_busy(const struct tm_leds *l, const struct tm_config *cfg, char *err,
			 unsigned err_size)
{
	char holder[64];

	for (unsigned j = 0; j < l->n; j++) {
		if (!chip_line_holder(&l->chip, l->offset[j], holder, sizeof(holder)))
			continue;
		seterr(err, err_size,
		       "GPIO line %s (%s, offset %u on %s) is busy: held by %s%s%s",
		       cfg->lines[l->index[j]].name, line_role(cfg->leds_wiring, l->index[j]),
		       l->offset[j], chip_name(&l->chip), *holder ? "'" : "",
		       *holder ? holder : "another user with no consumer name (a kernel driver?)",
		       *holder ? "'" : "");
		return;
	}
	seterr(err, err_size, "GPIO lines on %s are busy (no holder found; released meanwhile?)",
	       chip_name(&l->chip));
}

#if TAPMEET_GPIOD_API >= 2

static int request_lines(struct tm_leds *l, const struct tm_config *cfg)
{
	struct gpiod_request_config *rcfg = NULL;
	struct gpiod_line_config *lcfg = NULL;
	struct gpiod_line_settings *s = NULL;
	int ret = -ENOMEM;

	rcfg = gpiod_request_config_new();
	lcfg = gpiod_line_config_new();
	s = gpiod_line_settings_new();
	if (!rcfg || !lcfg || !s)
		goto out;
	gpiod_request_config_set_consumer(rcfg, CONSUMER);
	/* One request for all lines, so a change of colour is one ioctl. */
	for (unsigned j = 0; j < l->n; j++) {
		gpiod_line_settings_reset(s);
		if (gpiod_line_settings_set_direction(s, GPIOD_LINE_DIRECTION_OUTPUT) < 0 ||
		    gpiod_line_settings_set_output_value(s, GPIOD_LINE_VALUE_INACTIVE) < 0) {
			ret = -(errno ? errno : EINVAL);
			goto out;
		}
		gpiod_line_settings_set_active_low(s, cfg->lines[l->index[j]].active_low);
		if (gpiod_line_config_add_line_settings(lcfg, &l->offset[j], 1, s) < 0) {
			ret = -(errno ? errno : EINVAL);
			goto out;
		}
	}
	l->req = gpiod_chip_request_lines(l->chip.chip, rcfg, lcfg);
	ret = l->req ? 0 : -(errno ? errno : EIO);
out:
	gpiod_line_settings_free(s);
	gpiod_line_config_free(lcfg);
	gpiod_request_config_free(rcfg);
	return ret;
}

static int write_values(struct tm_leds *l, const int *want)
{
	enum gpiod_line_value v[TM_LINES_MAX];

	for (unsigned j = 0; j < l->n; j++)
		v[j] = want[j] ? GPIOD_LINE_VALUE_ACTIVE : GPIOD_LINE_VALUE_INACTIVE;
	if (gpiod_line_request_set_values_subset(l->req, l->n, l->offset, v) < 0)
		return -(errno ? errno : EIO);
	return 0;
}

static void release_lines(struct tm_leds *l)
{
	if (l->req)
		gpiod_line_request_release(l->req);
	l->req = NULL;
}

#else /* libgpiod 1.x */

static void release_lines(struct tm_leds *l)
{
	for (unsigned j = 0; j < l->n; j++) {
		if (l->line[j])
			gpiod_line_release(l->line[j]);
		l->line[j] = NULL;
	}
}

/* 1.x takes request flags per request, not per line, so each line is its own
 * request: active-low may differ from line to line. */
static int request_lines(struct tm_leds *l, const struct tm_config *cfg)
{
	int ret;

	for (unsigned j = 0; j < l->n; j++) {
		struct gpiod_line *line = gpiod_chip_get_line(l->chip.chip, l->offset[j]);
		int flags = cfg->lines[l->index[j]].active_low ? GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW : 0;

		if (!line || gpiod_line_request_output_flags(line, CONSUMER, flags, 0) < 0) {
			ret = -(errno ? errno : EIO);
			goto fail;
		}
		l->line[j] = line;
	}
	return 0;
fail:
	release_lines(l);
	return ret;
}

static int write_values(struct tm_leds *l, const int *want)
{
	int ret = 0;

	/* Keep going after a failure so one bad line does not freeze the others. */
	for (unsigned j = 0; j < l->n; j++) {
		if (want[j] == l->value[j])
			continue;
		if (gpiod_line_set_value(l->line[j], want[j]) < 0) {
			if (!ret)
				ret = -(errno ? errno : EIO);
			l->value[j] = -1;
			continue;
		}
		l->value[j] = want[j];
	}
	return ret;
}

#endif

static int gpiod_leds_write(struct tm_leds *l, const int *want)
{
	bool changed = false;
	int ret;

	for (unsigned j = 0; j < l->n; j++)
		changed |= want[j] != l->value[j];
	if (!changed)
		return 0;
	ret = write_values(l, want);
#if TAPMEET_GPIOD_API >= 2
	/* All or nothing in 2.x: after a failure, rewrite everything next time. */
	for (unsigned j = 0; j < l->n; j++)
		l->value[j] = ret < 0 ? -1 : want[j];
#endif
	return ret;
}

static void gpiod_leds_close(struct tm_leds *l)
{
	int off[TM_LINES_MAX] = { 0 };
	int ret;

	if (!l)
		return;
	/* Released lines keep their last value on most controllers, so turn
	 * everything off first; forget the cache so that really gets written. */
	for (unsigned j = 0; j < l->n; j++)
		l->value[j] = -1;
	ret = l->n ? gpiod_leds_write(l, off) : 0;
	if (ret < 0)
		tm_warn("leds=gpiod error=\"could not turn the lights off: %s\"", strerror(-ret));
	release_lines(l);
	chip_close(&l->chip);
	free(l);
}

static int gpiod_leds_open(const struct tm_config *cfg, struct tm_leds **out, char *err,
			   unsigned err_size)
{
	const char *want = cfg->leds_chip[0] ? cfg->leds_chip : DEFAULT_CHIP;
	struct tm_leds *l;
	int ret;

	*out = NULL;
	l = calloc(1, sizeof(*l));
	if (!l) {
		seterr(err, err_size, "out of memory");
		return -ENOMEM;
	}
	l->wiring = cfg->leds_wiring;

	ret = chip_lookup(&l->chip, want, err, err_size);
	if (ret < 0)
		goto fail;
	ret = resolve_lines(l, cfg, err, err_size);
	if (ret < 0)
		goto fail;

	ret = request_lines(l, cfg);
	if (ret == -EBUSY) {
		explain_busy(l, cfg, err, err_size);
		goto fail;
	}
	if (ret == -EACCES || ret == -EPERM) {
		seterr(err, err_size, "permission denied requesting lines on %s", l->chip.path);
		ret = -EACCES;
		goto fail;
	}
	if (ret < 0) {
		seterr(err, err_size, "cannot request GPIO lines on %s [%s]: %s",
		       chip_name(&l->chip), chip_label(&l->chip), strerror(-ret));
		goto fail;
	}

	tm_debug("leds=gpiod chip=%s label=\"%s\" lines=%u wiring=%s", chip_name(&l->chip),
		 chip_label(&l->chip), l->n, l->wiring == TM_WIRING_RGB ? "rgb" : "separate");
	*out = l;
	return 0;
fail:
	/* Nothing was requested (or request_lines undid it): just let go. */
	release_lines(l);
	chip_close(&l->chip);
	free(l);
	return ret;
}

static int gpiod_leds_set(struct tm_leds *l, unsigned lights)
{
	unsigned lines = tm_wiring_lines(l->wiring, lights);
	int want[TM_LINES_MAX];

	for (unsigned j = 0; j < l->n; j++)
		want[j] = (lines >> l->index[j]) & 1u;
	return gpiod_leds_write(l, want);
}

const struct tm_leds_ops tm_leds_gpiod_ops = {
	.name = "gpiod",
	.open = gpiod_leds_open,
	.set = gpiod_leds_set,
	.close = gpiod_leds_close,
};
