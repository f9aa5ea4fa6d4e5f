/* Logging: one line per event, key=value, to stderr. */
#include "tapmeet/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *log_ident = "tapmeet";
static int log_max = LOG_INFO;
static bool log_prefix;

void tm_log_init(const char *ident)
{
	log_ident = ident;
	/* journald (JOURNAL_STREAM) and other collectors read <N> prefixes;
	 * a person at a terminal reads words. */
	log_prefix = getenv("JOURNAL_STREAM") != NULL || !isatty(STDERR_FILENO);
}

void tm_log_set_level(int max_priority)
{
	log_max = max_priority;
}

int tm_log_level_parse(const char *name)
{
	static const struct {
		const char *name;
		int prio;
	} levels[] = { { "debug", LOG_DEBUG }, { "info", LOG_INFO }, { "notice", LOG_NOTICE },
		       { "warning", LOG_WARNING }, { "err", LOG_ERR } };

	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (strcmp(name, levels[i].name) == 0)
			return levels[i].prio;
	return -EINVAL;
}

static const char *level_word(int prio)
{
	switch (prio) {
	case LOG_EMERG:
	case LOG_ALERT:
	case LOG_CRIT:
	case LOG_ERR:
		return "error";
	case LOG_WARNING:
		return "warning";
	case LOG_NOTICE:
		return "notice";
	case LOG_INFO:
		return "info";
	default:
		return "debug";
	}
}

void tm_log(int priority, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int saved_errno = errno;

	if (priority > log_max)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (log_prefix)
		fprintf(stderr, "<%d>%s\n", priority, line);
	else
		fprintf(stderr, "%s: %s: %s\n", log_ident, level_word(priority), line);
	errno = saved_errno;
}
