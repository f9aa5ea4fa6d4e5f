/* Logging to stderr in key=value form. Under systemd (JOURNAL_STREAM set, or
 * stderr not a terminal) each line starts with <N>, the sd-daemon priority
 * prefix that journald reads. */
#ifndef TAPMEET_LOG_H
#define TAPMEET_LOG_H

#include <syslog.h>

void tm_log_init(const char *ident);
void tm_log_set_level(int max_priority);
/* debug, info, notice, warning, err: -EINVAL otherwise. */
int tm_log_level_parse(const char *name);
void tm_log(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define tm_err(...) tm_log(LOG_ERR, __VA_ARGS__)
#define tm_warn(...) tm_log(LOG_WARNING, __VA_ARGS__)
#define tm_notice(...) tm_log(LOG_NOTICE, __VA_ARGS__)
#define tm_info(...) tm_log(LOG_INFO, __VA_ARGS__)
#define tm_debug(...) tm_log(LOG_DEBUG, __VA_ARGS__)

#endif
