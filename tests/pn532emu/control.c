#define _GNU_SOURCE
#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int control_open(struct control *ctl, const char *path)
{
	struct sockaddr_un addr;

	memset(ctl, 0, sizeof(*ctl));
	for (size_t i = 0; i < CONTROL_CLIENTS; i++)
		ctl->clients[i].fd = -1;
	ctl->path = path;
	if (strlen(path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	ctl->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (ctl->listen_fd < 0)
		return -errno;
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	memcpy(addr.sun_path, path, strlen(path) + 1);
	unlink(path); /* a stale socket from an earlier run */
	if (bind(ctl->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(ctl->listen_fd, 8) < 0) {
		int err = -errno;
		close(ctl->listen_fd);
		ctl->listen_fd = -1;
		return err;
	}
	return 0;
}

static void drop_client(struct control_client *c)
{
	close(c->fd);
	c->fd = -1;
	c->len = 0;
}

void control_close(struct control *ctl)
{
	for (size_t i = 0; i < CONTROL_CLIENTS; i++)
		if (ctl->clients[i].fd >= 0)
			drop_client(&ctl->clients[i]);
	if (ctl->listen_fd >= 0) {
		close(ctl->listen_fd);
		unlink(ctl->path);
	}
	ctl->listen_fd = -1;
}

size_t control_pollfds(const struct control *ctl, struct pollfd *fds, size_t max)
{
	size_t n = 0;

	if (ctl->listen_fd >= 0 && n < max)
		fds[n++] = (struct pollfd){ .fd = ctl->listen_fd, .events = POLLIN };
	for (size_t i = 0; i < CONTROL_CLIENTS && n < max; i++)
		if (ctl->clients[i].fd >= 0)
			fds[n++] = (struct pollfd){ .fd = ctl->clients[i].fd, .events = POLLIN };
	return n;
}

void control_printf(struct control_reply *reply, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (reply->len >= sizeof(reply->text))
		return;
	va_start(ap, fmt);
	n = vsnprintf(reply->text + reply->len, sizeof(reply->text) - reply->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		reply->len += (size_t)n;
	if (reply->len > sizeof(reply->text) - 1)
		reply->len = sizeof(reply->text) - 1;
}

static void accept_client(struct control *ctl)
{
	int fd = accept4(ctl->listen_fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	for (size_t i = 0; i < CONTROL_CLIENTS; i++) {
		if (ctl->clients[i].fd < 0) {
			ctl->clients[i].fd = fd;
			ctl->clients[i].len = 0;
			return;
		}
	}
	close(fd); /* too many clients */
}

static void write_all(int fd, const char *text, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, text, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		text += n;
		len -= (size_t)n;
	}
}

static void run_lines(struct control_client *c, control_handler handler, void *ctx)
{
	char *nl;

	while ((nl = memchr(c->line, '\n', c->len)) != NULL) {
		struct control_reply reply = { .len = 0 };
		size_t used = (size_t)(nl - c->line) + 1;

		*nl = '\0';
		if (nl > c->line && nl[-1] == '\r')
			nl[-1] = '\0';
		handler(ctx, c->line, &reply);
		write_all(c->fd, reply.text, reply.len);
		memmove(c->line, c->line + used, c->len - used);
		c->len -= used;
	}
}

static void read_client(struct control_client *c, control_handler handler, void *ctx)
{
	ssize_t n;

	if (c->len == sizeof(c->line)) {
		drop_client(c); /* a line longer than any command */
		return;
	}
	n = read(c->fd, c->line + c->len, sizeof(c->line) - c->len);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		/* EOF: run a last unterminated line, then hang up. */
		if (c->len > 0 && c->len < sizeof(c->line)) {
			c->line[c->len++] = '\n';
			run_lines(c, handler, ctx);
		}
		drop_client(c);
		return;
	}
	c->len += (size_t)n;
	run_lines(c, handler, ctx);
}

void control_service(struct control *ctl, const struct pollfd *fds, size_t n, control_handler handler, void *ctx)
{
	for (size_t i = 0; i < n; i++) {
		if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		if (fds[i].fd == ctl->listen_fd) {
			accept_client(ctl);
			continue;
		}
		for (size_t j = 0; j < CONTROL_CLIENTS; j++)
			if (ctl->clients[j].fd == fds[i].fd)
				read_client(&ctl->clients[j], handler, ctx);
	}
}
