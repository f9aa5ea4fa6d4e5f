/* The live status file: "key=value" lines, one per field, in a fixed order.
 * Values are one line each: a newline in a detail becomes a space. */
#include "tapmeet/live_status.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void one_line(char *s)
{
	for (; *s; s++)
		if (*s == '\n' || *s == '\r')
			*s = ' ';
}

int tm_live_status_write(const char *path, const struct tm_live_status *st)
{
	char tmp[PATH_MAX + 8], detail[sizeof(st->reader_detail)], error[sizeof(st->storage_error)];
	FILE *f;
	int fd, rc = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	snprintf(detail, sizeof(detail), "%s", st->reader_detail);
	snprintf(error, sizeof(error), "%s", st->storage_error);
	one_line(detail);
	one_line(error);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		rc = -errno;
		close(fd);
		goto fail;
	}
	fprintf(f,
		"station=%s\ndatabase=%s\nwritten_utc_ms=%" PRId64 "\nreader_state=%s\n"
		"reader_detail=%s\nstorage_fault=%d\nstorage_error=%s\nclock_synced=%d\n",
		st->station, st->database, st->written_utc_ms, st->reader_state, detail,
		st->storage_fault, error, st->clock_synced);
	/* No fsync: the file lives on tmpfs and means nothing after a reboot. */
	if (fclose(f) != 0) {
		rc = -errno;
		goto fail;
	}
	if (rename(tmp, path) < 0) {
		rc = -errno;
		goto fail;
	}
	return 0;
fail:
	unlink(tmp);
	return rc;
}

int tm_live_status_read(const char *path, struct tm_live_status *st)
{
	char line[PATH_MAX + 32];
	int seen = 0;
	FILE *f = fopen(path, "re");

	memset(st, 0, sizeof(*st));
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *eq = strchr(line, '='), *v;

		if (!eq)
			continue;
		*eq = '\0';
		v = eq + 1;
		v[strcspn(v, "\n")] = '\0';
		if (!strcmp(line, "station"))
			seen += snprintf(st->station, sizeof(st->station), "%s", v) >= 0;
		else if (!strcmp(line, "database"))
			seen += snprintf(st->database, sizeof(st->database), "%s", v) >= 0;
		else if (!strcmp(line, "written_utc_ms"))
			seen += (st->written_utc_ms = strtoll(v, NULL, 10)) > 0;
		else if (!strcmp(line, "reader_state"))
			snprintf(st->reader_state, sizeof(st->reader_state), "%s", v);
		else if (!strcmp(line, "reader_detail"))
			snprintf(st->reader_detail, sizeof(st->reader_detail), "%s", v);
		else if (!strcmp(line, "storage_fault"))
			st->storage_fault = !strcmp(v, "1");
		else if (!strcmp(line, "storage_error"))
			snprintf(st->storage_error, sizeof(st->storage_error), "%s", v);
		else if (!strcmp(line, "clock_synced"))
			st->clock_synced = !strcmp(v, "1");
	}
	fclose(f);
	return seen == 3 && st->station[0] && st->reader_state[0] ? 0 : -EINVAL;
}
