/* Timestamped frame trace on stderr (enabled by --log). */
#ifndef PN532EMU_LOG_H
#define PN532EMU_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void log_set_enabled(bool enabled);
bool log_is_enabled(void);
void log_bytes(const char *direction, const uint8_t *bytes, size_t len, const char *what);
void log_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
