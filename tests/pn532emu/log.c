#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static bool enabled;

void log_set_enabled(bool on)
{
	enabled = on;
}

bool log_is_enabled(void)
{
	return enabled;
}

static void stamp(void)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	/* Microseconds: the timing model works with UART bytes of 87 us. */
	fprintf(stderr, "%02d:%02d:%02d.%06ld ", tm.tm_hour, tm.tm_min, tm.tm_sec,
		ts.tv_nsec / 1000);
}

void log_bytes(const char *direction, const uint8_t *bytes, size_t len, const char *what)
{
	if (!enabled)
		return;
	stamp();
	fprintf(stderr, "%s %-22s", direction, what);
	for (size_t i = 0; i < len; i++)
		fprintf(stderr, " %02x", bytes[i]);
	fputc('\n', stderr);
}

void log_note(const char *fmt, ...)
{
	va_list ap;

	if (!enabled)
		return;
	stamp();
	fputs("-- ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
