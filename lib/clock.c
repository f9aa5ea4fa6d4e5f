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

void tm_stamp_at(struct tm_stamp *stamp, int64_t mono_ms)
{
	int64_t mono_now = tm_mono_ms();

	/* Both clocks are read together; the event's wall time is "now" minus
	 * how long ago, on the monotonic clock, it happened. */
	stamp->utc_ms = tm_utc_ms() - (mono_now - mono_ms);
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
