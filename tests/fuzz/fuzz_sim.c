/* The sim reader's command protocol (drivers/reader_sim.c), through the
 * driver's own FIFO as tapmeetd reads it: the input is written into the
 * FIFO of a reader opened for it, and the events are drained until the
 * FIFO is empty. Every event must be one the protocol can produce. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "tapmeet/config.h"
#include "tapmeet/log.h"
#include "tapmeet/reader.h"

static struct tm_config cfg;
static char dir[] = "/tmp/tapmeet-fuzz-sim.XXXXXX";

static void remove_fifo(void)
{
	unlink(cfg.reader_sim_path);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	tm_log_set_level(-1);
	if (!mkdtemp(dir))
		abort();
	tm_config_defaults(&cfg);
	snprintf(cfg.reader_sim_path, sizeof(cfg.reader_sim_path), "%s/sim.fifo", dir);
	atexit(remove_fifo);
	return 0;
}

static void check_event(const struct tm_reader_event *ev)
{
	switch (ev->type) {
	case TM_READER_EVENT_BADGES:
		FUZZ_ASSERT(ev->n_badges <= TM_MAX_BADGES_AT_ONCE, "%zu badges", ev->n_badges);
		for (size_t i = 0; i < ev->n_badges; i++) {
			FUZZ_ASSERT(ev->badges[i].uid_len == 4 || ev->badges[i].uid_len == 7 ||
					    ev->badges[i].uid_len == 10,
				    "UID of %u bytes", ev->badges[i].uid_len);
			for (size_t j = 0; j < i; j++)
				FUZZ_ASSERT(!tm_badge_same(&ev->badges[i], &ev->badges[j]),
					    "a badge on the reader twice");
		}
		break;
	case TM_READER_EVENT_REJECT:
		FUZZ_ASSERT(ev->n_badges == 1, "reject of %zu badges", ev->n_badges);
		/* fallthrough */
	case TM_READER_EVENT_STATE:
		FUZZ_ASSERT(memchr(ev->detail, '\0', sizeof(ev->detail)), "detail unterminated");
		break;
	default:
		FUZZ_ASSERT(false, "event type %d", ev->type);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct tm_reader_ops *ops = &tm_reader_sim_ops;
	struct tm_reader *r;
	struct tm_reader_event ev;
	int w, rc, waiting;
	size_t events = 0;

	/* Within a pipe's buffer, so one write never blocks. */
	if (size > 16 * 1024)
		return 0;
	FUZZ_ASSERT(ops->open(&cfg, &r) == 0, "open %s", cfg.reader_sim_path);
	w = open(cfg.reader_sim_path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	FUZZ_ASSERT(w >= 0, "writer: %s", strerror(errno));
	FUZZ_ASSERT(write(w, data, size) == (ssize_t)size, "short write");
	close(w);
	for (;;) {
		rc = ops->read_event(r, &ev);
		FUZZ_ASSERT(rc >= 0 && rc <= 1, "read_event %d", rc);
		if (rc == 1) {
			check_event(&ev);
			/* Each byte makes at most a few events (a tap two). */
			FUZZ_ASSERT(++events <= 2 * size + 2, "%zu events from %zu bytes", events, size);
			continue;
		}
		FUZZ_ASSERT(ioctl(ops->fd(r), FIONREAD, &waiting) == 0, "FIONREAD");
		if (waiting == 0)
			break;
	}
	ops->close(r);
	return 0;
}
