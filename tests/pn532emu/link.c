#define _GNU_SOURCE
#include "link.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "log.h"

void link_init(struct link *l, const char *link_path)
{
	memset(l, 0, sizeof(*l));
	l->master = -1;
	l->slave = -1;
	l->link_path = link_path;
}

bool link_is_up(const struct link *l)
{
	return l->master >= 0;
}

static int make_raw(int fd, tcflag_t keep_iflag_bits)
{
	struct termios tio;

	if (tcgetattr(fd, &tio) < 0)
		return -errno;
	cfmakeraw(&tio);
	tio.c_iflag |= keep_iflag_bits;
	tio.c_cflag |= CLOCAL | CREAD;
	tio.c_cc[VMIN] = 0;
	tio.c_cc[VTIME] = 0;
	cfsetspeed(&tio, B115200);
	if (tcsetattr(fd, TCSANOW, &tio) < 0)
		return -errno;
	return 0;
}

/* Symlinks are replaced atomically so a reader never sees a missing path. */
static int point_symlink(const char *link_path, const char *target)
{
	char tmp[4096];

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", link_path, (long)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	unlink(tmp);
	if (symlink(target, tmp) < 0)
		return -errno;
	if (rename(tmp, link_path) < 0) {
		int err = -errno;
		unlink(tmp);
		return err;
	}
	return 0;
}

int link_open(struct link *l)
{
	int err;

	l->master = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK);
	if (l->master < 0)
		return -errno;
	if (grantpt(l->master) < 0 || unlockpt(l->master) < 0 ||
	    ptsname_r(l->master, l->slave_path, sizeof(l->slave_path)) != 0) {
		err = -errno;
		goto fail;
	}
	l->slave = open(l->slave_path, O_RDWR | O_NOCTTY | O_NONBLOCK);
	if (l->slave < 0) {
		err = -errno;
		goto fail;
	}
	err = make_raw(l->slave, 0);
	if (err == 0)
		err = point_symlink(l->link_path, l->slave_path);
	if (err == 0)
		return 0;
fail:
	link_close(l);
	return err;
}

void link_close(struct link *l)
{
	char target[sizeof(l->slave_path)];
	ssize_t n;

	/* Only remove the symlink if it still points at our pty. */
	n = readlink(l->link_path, target, sizeof(target) - 1);
	if (n >= 0) {
		target[n] = '\0';
		if (strcmp(target, l->slave_path) == 0)
			unlink(l->link_path);
	}
	if (l->slave >= 0)
		close(l->slave);
	if (l->master >= 0)
		close(l->master);
	l->slave = -1;
	l->master = -1;
}

int link_keep_raw(struct link *l)
{
	struct termios tio;
	const tcflag_t cooked_iflag = ICRNL | INLCR | IGNCR | IXON | ISTRIP;
	const tcflag_t cooked_lflag = ICANON | ECHO | ISIG | IEXTEN;

	if (l->slave < 0)
		return 0;
	if (tcgetattr(l->slave, &tio) < 0)
		return -errno;
	if (!(tio.c_iflag & cooked_iflag) && !(tio.c_lflag & cooked_lflag) && !(tio.c_oflag & OPOST))
		return 0;
	log_note("pty was cooked, restoring raw mode");
	return make_raw(l->slave, tio.c_iflag & 0x80000000u);
}
