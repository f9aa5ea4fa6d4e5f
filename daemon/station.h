/* The station: one event loop that joins reader, engine, store and LEDs. */
#ifndef TAPMEETD_STATION_H
#define TAPMEETD_STATION_H

#include "tapmeet/config.h"

/* Runs until SIGTERM/SIGINT. Returns 0 on a clean stop, -errno when the
 * station could not start (the message has been logged). */
int station_run(const struct tm_config *cfg, const char *config_path);

#endif
