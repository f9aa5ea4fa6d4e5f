/* The station's live status: a small file the daemon rewrites (on tmpfs,
 * /run/tapmeet/status by default) at every heartbeat and every change of
 * state, beside the status row it writes to the database. The row cannot
 * say "storage fault" while the database refuses writes, which is exactly
 * when it matters; this file can, and `tapmeet status` reads both. */
#ifndef TAPMEET_LIVE_STATUS_H
#define TAPMEET_LIVE_STATUS_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "tapmeet/config.h"

struct tm_live_status {
	char station[TM_STATION_ID_MAX + 1];
	char database[PATH_MAX]; /* the database the station writes */
	int64_t written_utc_ms;
	char reader_state[16];
	char reader_detail[192];
	bool storage_fault;
	char storage_error[512];
	bool clock_synced;
};

/* Writes the file atomically (a temporary file in the same directory, then
 * rename), so a reader sees the old or the new one whole. */
int tm_live_status_write(const char *path, const struct tm_live_status *st);

/* Reads it; -ENOENT when there is none, -EINVAL when it is not one. */
int tm_live_status_read(const char *path, struct tm_live_status *st);

#endif
