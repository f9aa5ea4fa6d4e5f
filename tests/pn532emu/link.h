/* The emulated serial device: a pseudo-terminal plus a stable symlink to it. */
#ifndef PN532EMU_LINK_H
#define PN532EMU_LINK_H

#include <stdbool.h>

struct link {
	int master;            /* the chip's side; -1 while the device has vanished */
	int slave;             /* kept open so the pty survives host close/reopen */
	char slave_path[64];
	const char *link_path;
};

void link_init(struct link *l, const char *link_path);
int link_open(struct link *l);
void link_close(struct link *l);
bool link_is_up(const struct link *l);
/* Put the slave back in raw mode if something cooked it (e.g. `stty sane`). */
int link_keep_raw(struct link *l);

#endif
