/* --since/--until: every form tm_cli_parse_time accepts, with a "now" and an
 * upper-bound flag taken from the input. A time it accepts as the start of
 * a day is never after the same text taken as its end. */
#include <errno.h>
#include <stdbool.h>

#include "fuzz.h"
#include "timearg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t now_ms = 1764000000000; /* 2025-11-24 */
	int64_t start, end;
	char *text;
	int rc_start, rc_end;

	if (size >= 4) {
		uint32_t shift;

		memcpy(&shift, data, 4);
		/* Any now from 1970 to about 2106: the time zone's rules all apply. */
		now_ms = (int64_t)shift * 1000;
		data += 4;
		size -= 4;
	}
	if (size > 256)
		return 0;
	text = fuzz_string(data, size);
	rc_start = tm_cli_parse_time(text, now_ms, false, &start);
	rc_end = tm_cli_parse_time(text, now_ms, true, &end);
	FUZZ_ASSERT(rc_start == 0 || rc_start == -EINVAL, "rc %d", rc_start);
	FUZZ_ASSERT(rc_start == rc_end, "accepted as one bound only: %d %d", rc_start, rc_end);
	if (rc_start == 0)
		FUZZ_ASSERT(start <= end, "start %lld after end %lld", (long long)start, (long long)end);
	(void)tm_cli_local_midnight(now_ms);
	free(text);
	return 0;
}
