/* Clocks, as the store records them. */
#include "tapmeet/clock.h"

#include <stdio.h>
#include <string.h>
#include <sys/timex.h>
#include <time.h>

static int64_t clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t tm_mono_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

int64_t tm_utc_ms(void)
{
	return clock_ms(CLOCK_REALTIME);
}

bool tm_clock_synced(void)
{
	struct timex tx;
	int state;

	memset(&tx, 0, sizeof(tx));
	/* modes = 0 only reads; no privilege needed. */
	state = adjtimex(&tx);
	return state != -1 && state != TIME_ERROR && !(tx.status & STA_UNSYNC);
}

const char *tm_boot_id(void)
{
	static char boot_id[TM_BOOT_ID_SIZE];
	FILE *f;

	if (boot_id[0])
		return boot_id;
	f = fopen("/proc/sys/kernel/random/boot_id", "re");
	if (!f || !fgets(boot_id, sizeof(boot_id), f) || strlen(boot_id) < 36)
		snprintf(boot_id, sizeof(boot_id), "unknown");
	boot_id[strcspn(boot_id, "\n")] = '\0';
	if (f)
		fclose(f);
	return boot_id;
}

static int64_t ns_of(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

/* The wall clock minus the monotonic clock, in ns: the wall clock read
 * between two monotonic reads, against their midpoint. */
static int64_t wall_offset_ns(void)
{
	struct timespec before, wall, after;

	clock_gettime(CLOCK_MONOTONIC, &before);
	clock_gettime(CLOCK_REALTIME, &wall);
	clock_gettime(CLOCK_MONOTONIC, &after);
	return ns_of(&wall) - (ns_of(&before) + ns_of(&after)) / 2;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

void tm_stamp_at(struct tm_stamp *stamp, int64_t mono_ms)
{
	/* One stamp, one reading: the wall time is the event's monotonic time
	 * plus the offset between the clocks, rounded once. Rounding the two
	 * clocks separately and subtracting put consecutive events up to 1 ms
	 * backwards in wall time while their monotonic times rose. */
	stamp->utc_ms = floor_div(mono_ms * 1000000 + wall_offset_ns(), 1000000);
	stamp->mono_ms = mono_ms;
	stamp->clock_synced = tm_clock_synced();
	snprintf(stamp->boot_id, sizeof(stamp->boot_id), "%s", tm_boot_id());
}

void tm_format_utc(int64_t utc_ms, char out[TM_UTC_SIZE])
{
	time_t secs = (time_t)(utc_ms / 1000);
	int ms = (int)(utc_ms % 1000);
	struct tm tm;

	if (ms < 0) {
		ms += 1000;
		secs--;
	}
	char date[TM_UTC_SIZE];

	gmtime_r(&secs, &tm);
	/* strftime has no milliseconds; they are appended. Years past 9999 do
	 * not fit the column and are clamped by strftime's size limit. */
	if (strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		snprintf(date, sizeof(date), "0000-00-00T00:00:00");
	snprintf(out, TM_UTC_SIZE, "%.19s.%03dZ", date, ms);
}
