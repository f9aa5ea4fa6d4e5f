/*
 * pn532emu: a PN532 (firmware 1.6) speaking its HSU frame protocol on a
 * pseudo-terminal, with ISO14443-A badges that a control socket puts on and
 * takes off the reader. See README.md.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "emu.h"
#include "log.h"
#include "timing.h"

#define RAW_CHECK_INTERVAL_MS 500

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void write_to_host(struct emu *e, const uint8_t *bytes, size_t len, const char *what)
{
	size_t done = 0;

	if (!link_is_up(&e->link))
		return;
	log_bytes("chip->host", bytes, len, what);
	while (done < len) {
		ssize_t n = write(e->link.master, bytes + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			/* Nobody drains the pty: drop the rest like a UART with no listener. */
			log_note("host not reading, %zu bytes dropped", len - done);
			return;
		}
		if (n <= 0)
			return;
		done += (size_t)n;
	}
}

static int64_t max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

static void drop_first(struct emu *e)
{
	memmove(e->out, e->out + 1, (e->out_len - 1) * sizeof(e->out[0]));
	e->out_len--;
}

/* Hands the host every frame whose last byte has left the chip by now. */
static void flush_output(struct emu *e, int64_t now)
{
	while (e->out_len && e->out[0].due <= now) {
		write_to_host(e, e->out[0].bytes, e->out[0].len, e->out[0].what);
		drop_first(e);
	}
}

/* A frame the chip has ready at `ready` queues on its UART behind the others. */
static void send_frame(struct emu *e, const uint8_t *bytes, size_t len, const char *what, int64_t ready,
		       bool answer)
{
	struct out_frame *f;

	if (!link_is_up(&e->link))
		return;
	if (e->out_len == OUT_QUEUE_MAX) { /* a host flooding the chip: no pacing for the oldest */
		write_to_host(e, e->out[0].bytes, e->out[0].len, e->out[0].what);
		drop_first(e);
	}
	f = &e->out[e->out_len++];
	f->start = max64(e->line_out, ready);
	f->due = f->start + timing_uart(len);
	f->answer = answer;
	f->what = what;
	f->len = len;
	memcpy(f->bytes, bytes, len);
	e->line_out = f->due;
	flush_output(e, timing_now());
}

/* An abort at time `at`: answers not yet on the line are never sent (the
 * bytes of one already leaving the UART cannot be called back). */
static void cancel_answers(struct emu *e, int64_t at)
{
	size_t kept = 0;

	for (size_t i = 0; i < e->out_len; i++) {
		if (e->out[i].answer && e->out[i].start > at) {
			log_note("%s cancelled before it left the chip", e->out[i].what);
			continue;
		}
		e->out[kept++] = e->out[i];
	}
	e->out_len = kept;
	if (kept)
		e->line_out = e->out[kept - 1].due;
	else
		e->line_out = e->line_out > at ? at : e->line_out;
}

/* Applies the armed garbage/badcsum faults to an encoded response frame. */
static const char *apply_faults(struct emu *e, uint8_t *frame, size_t len)
{
	if (e->garbage_left > 0) {
		e->garbage_left--;
		for (size_t i = 0; i < len; i++)
			frame[i] = (uint8_t)(random() & 0xFF);
		frame[0] |= 0x01; /* never a valid preamble */
		return "response (garbage)";
	}
	if (e->badcsum_left > 0) {
		e->badcsum_left--;
		frame[len - 2] ^= 0x5A; /* DCS sits just before the postamble */
		return "response (bad DCS)";
	}
	return "response";
}

static void send_response(struct emu *e, const struct chip_reply *r)
{
	uint8_t frame[FRAME_ENCODED_MAX];
	int len = frame_encode(FRAME_TFI_CHIP_TO_HOST, r->data, r->len, frame, sizeof(frame));
	const char *what;

	if (len < 0)
		return;
	memcpy(e->last_response, frame, (size_t)len);
	e->last_response_len = (size_t)len;
	what = apply_faults(e, frame, (size_t)len);
	send_frame(e, frame, (size_t)len, what, r->ready, true);
	if (r->data[0] == 0x17) /* answered PowerDown: the chip now sleeps */
		chip_enter_sleep(&e->chip, &e->tags);
}

void emu_run_pending(struct emu *e)
{
	struct chip_reply r;

	if (chip_poll(&e->chip, &e->tags, &r, timing_now()))
		send_response(e, &r);
}

/* The command's last byte reached the chip at `at`. */
static void on_command(struct emu *e, int64_t at)
{
	size_t len;
	const uint8_t *cmd = frame_parser_command(&e->parser, &len);
	int64_t start = at + timing_fw_ack();
	struct chip_reply r;

	if (chip_is_pending(&e->chip))
		chip_abort(&e->chip); /* a new command supersedes the running one */
	cancel_answers(e, at);
	log_bytes("host->chip", cmd, len, chip_command_name(cmd[0]));
	send_frame(e, frame_ack, sizeof(frame_ack), "ACK", start, false);
	switch (chip_execute(&e->chip, &e->tags, cmd, len, &r, start)) {
	case CHIP_REPLY:
		if (timing_enabled())
			log_note("%s: answer ready %.3f ms after the command", chip_command_name(cmd[0]),
				 (double)(r.ready - at) / 1e6);
		send_response(e, &r);
		break;
	case CHIP_SYNTAX_ERROR:
		send_frame(e, frame_error, sizeof(frame_error), "error frame", r.ready, true);
		break;
	case CHIP_PENDING:
		break;
	}
}

static void on_frame_event(struct emu *e, enum frame_event ev, int64_t at)
{
	switch (ev) {
	case FRAME_NONE:
		return;
	case FRAME_COMMAND:
		on_command(e, at);
		return;
	case FRAME_ACK:
		log_bytes("host->chip", frame_ack, sizeof(frame_ack), "ACK (abort)");
		chip_abort(&e->chip);
		cancel_answers(e, at);
		return;
	case FRAME_NACK:
		log_bytes("host->chip", frame_nack, sizeof(frame_nack), "NACK (resend)");
		if (e->last_response_len)
			send_frame(e, e->last_response, e->last_response_len, "response (again)",
				   at + timing_fw_ack(), true);
		return;
	default:
		log_note("host frame dropped: %s", frame_event_name(ev));
		return;
	}
}

static void read_host(struct emu *e)
{
	uint8_t buf[512];
	ssize_t n = read(e->link.master, buf, sizeof(buf));
	int64_t at;

	if (n <= 0)
		return;
	if (e->silent) {
		log_bytes("host->chip", buf, (size_t)n, "ignored (silent)");
		return;
	}
	if (buf[0] == 0x55 && frame_parser_between_frames(&e->parser))
		log_bytes("host->chip", buf, (size_t)n, "wake-up preamble");
	if (e->chip.asleep) {
		e->chip.asleep = false;
		log_note("woken up by host bytes");
	}
	/* The bytes occupy the line one after the other from when they were
	 * read, or from when the previous ones have arrived. */
	at = max64(e->line_in, timing_now());
	for (ssize_t i = 0; i < n; i++) {
		at += timing_uart(1);
		e->line_in = at;
		on_frame_event(e, frame_parser_feed(&e->parser, buf[i]), at);
	}
}

int emu_link_up(struct emu *e)
{
	int err = link_open(&e->link);

	if (err < 0)
		return err;
	/* A re-plugged reader is a freshly powered chip. */
	chip_reset(&e->chip, &e->tags);
	frame_parser_reset(&e->parser);
	e->last_response_len = 0;
	e->out_len = 0;
	e->line_in = e->line_out = 0;
	printf("READY %s\n", e->link.slave_path);
	fflush(stdout);
	log_note("serving on %s -> %s", e->link.link_path, e->link.slave_path);
	return 0;
}

void emu_link_down(struct emu *e)
{
	log_note("device vanishes");
	chip_abort(&e->chip);
	e->out_len = 0; /* frames still in the UART are lost with the device */
	link_close(&e->link);
}

/* Until the next due frame, chip deadline or raw-mode check. */
static struct timespec poll_timeout(const struct emu *e)
{
	int64_t now = timing_now();
	int64_t wake = now + RAW_CHECK_INTERVAL_MS * 1000000LL;
	int64_t deadline;

	if (e->out_len && e->out[0].due < wake)
		wake = e->out[0].due;
	if (chip_deadline(&e->chip, &deadline) && deadline < wake)
		wake = deadline;
	return timing_timespec(wake - now);
}

static void serve(struct emu *e)
{
	while (!e->quit && !stop_requested) {
		struct pollfd fds[CONTROL_CLIENTS + 2];
		size_t n = 0;
		size_t first_control;

		if (link_is_up(&e->link))
			fds[n++] = (struct pollfd){ .fd = e->link.master, .events = POLLIN };
		first_control = n;
		n += control_pollfds(&e->control, fds + n, sizeof(fds) / sizeof(fds[0]) - n);
		struct timespec timeout = poll_timeout(e);

		if (ppoll(fds, n, &timeout, NULL) < 0 && errno != EINTR)
			break;
		if (first_control == 1 && (fds[0].revents & POLLIN))
			read_host(e);
		control_service(&e->control, fds + first_control, n - first_control, emu_control_line, e);
		emu_run_pending(e);
		flush_output(e, timing_now());
		link_keep_raw(&e->link);
	}
}

static void usage(FILE *out)
{
	fprintf(out, "usage: pn532emu --link PATH --control PATH [--log] [--no-timing] [--baud N]\n"
		     "  --no-timing  answer at once (no UART or chip timing model)\n"
		     "  --baud N     UART line speed of the timing model (default %u)\n",
		TIMING_DEFAULT_BAUD);
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "link", required_argument, NULL, 'l' },
		{ "control", required_argument, NULL, 'c' },
		{ "log", no_argument, NULL, 'v' },
		{ "no-timing", no_argument, NULL, 'n' },
		{ "baud", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct emu emu; /* large (register file): keep it off the stack */
	const char *link_path = NULL;
	const char *control_path = NULL;
	bool timing = true;
	unsigned long baud = TIMING_DEFAULT_BAUD;
	char *end;
	int opt;
	int err;

	while ((opt = getopt_long(argc, argv, "l:c:vnb:h", options, NULL)) != -1) {
		switch (opt) {
		case 'l': link_path = optarg; break;
		case 'c': control_path = optarg; break;
		case 'v': log_set_enabled(true); break;
		case 'n': timing = false; break;
		case 'b':
			baud = strtoul(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end != '\0' || baud < 300 || baud > 10000000) {
				fprintf(stderr, "pn532emu: --baud wants a speed from 300 to 10000000\n");
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!link_path || !control_path || optind != argc) {
		usage(stderr);
		return 2;
	}
	timing_configure(timing, (unsigned)baud);
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	tagset_init(&emu.tags);
	link_init(&emu.link, link_path);
	err = control_open(&emu.control, control_path);
	if (err < 0) {
		fprintf(stderr, "pn532emu: control socket %s: %s\n", control_path, strerror(-err));
		return 1;
	}
	err = emu_link_up(&emu);
	if (err < 0) {
		fprintf(stderr, "pn532emu: pty/symlink %s: %s\n", link_path, strerror(-err));
		control_close(&emu.control);
		return 1;
	}
	serve(&emu);
	link_close(&emu.link);
	control_close(&emu.control);
	return 0;
}
