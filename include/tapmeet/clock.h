/* Time as the store records it. A Raspberry Pi has no real-time clock, so
 * each row also carries whether the clock was synchronised, the boot id and
 * the monotonic time: enough to repair wall-clock times afterwards. */
#ifndef TAPMEET_CLOCK_H
#define TAPMEET_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TM_BOOT_ID_SIZE 37
#define TM_UTC_SIZE 25 /* 2026-11-26T10:00:00.123Z + NUL */

struct tm_stamp {
	int64_t utc_ms;
	int64_t mono_ms;
	bool clock_synced;
	char boot_id[TM_BOOT_ID_SIZE];
};

int64_t tm_mono_ms(void);
int64_t tm_utc_ms(void);
/* adjtimex(2): false while NTP has not synchronised the clock. */
bool tm_clock_synced(void);
/* /proc/sys/kernel/random/boot_id, or "unknown". Read once. */
const char *tm_boot_id(void);

/* A stamp for an event seen at monotonic time mono_ms (now, or a moment ago). */
void tm_stamp_at(struct tm_stamp *stamp, int64_t mono_ms);

/* 2026-11-26T10:00:00.123Z */
void tm_format_utc(int64_t utc_ms, char out[TM_UTC_SIZE]);

#endif
