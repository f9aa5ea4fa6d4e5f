/* Control socket: a UNIX stream socket taking one command per line. */
#ifndef PN532EMU_CONTROL_H
#define PN532EMU_CONTROL_H

#include <poll.h>
#include <stddef.h>

#define CONTROL_CLIENTS 8
#define CONTROL_LINE_MAX 512
#define CONTROL_REPLY_MAX 4096

struct control_reply {
	char text[CONTROL_REPLY_MAX];
	size_t len;
};

/* Executes one line; writes "ok" / "error: ..." (and any listing) into reply. */
typedef void (*control_handler)(void *ctx, char *line, struct control_reply *reply);

struct control_client {
	int fd;
	char line[CONTROL_LINE_MAX];
	size_t len;
};

struct control {
	int listen_fd;
	const char *path;
	struct control_client clients[CONTROL_CLIENTS];
};

int control_open(struct control *ctl, const char *path);
void control_close(struct control *ctl);
size_t control_pollfds(const struct control *ctl, struct pollfd *fds, size_t max);
void control_service(struct control *ctl, const struct pollfd *fds, size_t n, control_handler handler, void *ctx);
void control_printf(struct control_reply *reply, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
