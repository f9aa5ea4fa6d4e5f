/* The hand-off to the system's mail transfer agent through the sendmail
 * interface that msmtp, exim4 and postfix all provide: one process per
 * message, the recipient on its command line, the message on its standard
 * input, and its exit status as the answer (0: accepted for delivery). */
#include "followup.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

int fu_sendmail(char *const *argv, const char *rcpt, GMimeMessage *msg, char *why, size_t size)
{
	size_t n = 0;
	char **args;
	GError *err = NULL;
	GMimeStream *in;
	GPid pid;
	int fd, status, write_errno = 0;
	ssize_t written;
	pid_t w;

	while (argv[n])
		n++;
	args = g_new0(char *, n + 3);
	memcpy(args, argv, n * sizeof(*args));
	/* -i: a line holding a single dot is text, not the end of the
	 * message. The recipient is given, not read from the headers (-t),
	 * so the address used is exactly the one checked and recorded. */
	args[n] = (char *)"-i";
	args[n + 1] = (char *)rcpt;
	/* GLib closes every other descriptor in the child: the database's
	 * stay with tapmeet. */
	if (!g_spawn_async_with_pipes(NULL, args, NULL,
				      G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
				      &pid, &fd, NULL, NULL, &err)) {
		snprintf(why, size, "cannot run %s: %s", argv[0], err->message);
		g_error_free(err);
		g_free(args);
		return -ENOENT;
	}
	g_free(args);
	in = g_mime_stream_pipe_new(fd); /* closes fd when released */
	errno = 0;
	written = g_mime_object_write_to_stream(GMIME_OBJECT(msg), NULL, in);
	if (written < 0 || g_mime_stream_flush(in) < 0)
		write_errno = errno ? errno : EIO;
	g_object_unref(in);
	do
		w = waitpid(pid, &status, 0);
	while (w < 0 && errno == EINTR);
	g_spawn_close_pid(pid);
	if (w < 0) {
		snprintf(why, size, "cannot wait for %s: %s", argv[0], strerror(errno));
		return -ECHILD;
	}
	if (WIFSIGNALED(status)) {
		snprintf(why, size, "%s was killed by signal %d", argv[0], WTERMSIG(status));
		return -EIO;
	}
	if (WEXITSTATUS(status) != 0) {
		snprintf(why, size, "%s exited with status %d", argv[0], WEXITSTATUS(status));
		return -EIO;
	}
	/* It accepted a message it did not read to the end: not this one. */
	if (write_errno) {
		snprintf(why, size, "%s did not take the whole message: %s", argv[0],
			 strerror(write_errno));
		return -EIO;
	}
	why[0] = '\0';
	return 0;
}
