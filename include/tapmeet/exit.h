/* Exit codes: one convention for tapmeetd and tapmeet, documented in
 * tapmeetd(8) and tapmeet(1). Scripts and monitoring rely on them. */
#ifndef TAPMEET_EXIT_H
#define TAPMEET_EXIT_H

enum {
	EXIT_OK = 0,
	EXIT_USAGE = 1,     /* the command line is wrong */
	EXIT_DATA = 2,      /* a configuration, database, file or data error */
	EXIT_UNHEALTHY = 3, /* tapmeet status: a station is not working */
	EXIT_WARNING = 4,   /* tapmeet status: working, with a warning */
};

#endif
