/* Time arguments of `tapmeet meetings --since/--until` and friends. */
#ifndef TAPMEET_CLI_TIMEARG_H
#define TAPMEET_CLI_TIMEARG_H

#include <stdbool.h>
#include <stdint.h>

/* Accepts: "now", "today", "yesterday" (local midnight); a relative age such
 * as "90s", "30m", "2h", "3d", "1w" (that long before now); an ISO date
 * "2026-11-26" (local midnight); an ISO date and time "2026-11-26T10:00",
 * "2026-11-26 10:00:05.250", local unless followed by "Z" or "+01:00".
 * A bare date, "today" or "yesterday" given as an upper bound (end = true)
 * means the end of that day, so --since D --until D covers day D.
 * A day its month does not have (2026-02-30, 2027-02-29), 24:00, minute 60
 * and second 60 are refused in every form, never rolled over.
 * Returns 0 and ms since the epoch in *out, or -EINVAL. */
int tm_cli_parse_time(const char *text, int64_t now_ms, bool end, int64_t *out);

/* Milliseconds since the epoch of local midnight starting the day of t_ms. */
int64_t tm_cli_local_midnight(int64_t t_ms);

#endif
