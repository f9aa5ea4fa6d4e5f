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

#define RAW_CHECK_INTERVAL_MS 500

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static struct timespec now_monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts;
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
	write_to_host(e, frame, (size_t)len, what);
	if (r->data[0] == 0x17) /* answered PowerDown: the chip now sleeps */
		chip_enter_sleep(&e->chip, &e->tags);
}

void emu_run_pending(struct emu *e)
{
	struct chip_reply r;
	struct timespec now = now_monotonic();

	if (chip_poll(&e->chip, &e->tags, &r, &now))
		send_response(e, &r);
}

static void on_command(struct emu *e)
{
	size_t len;
	const uint8_t *cmd = frame_parser_command(&e->parser, &len);
	struct timespec now = now_monotonic();
	struct chip_reply r;

	if (chip_is_pending(&e->chip))
		chip_abort(&e->chip); /* a new command supersedes the running one */
	log_bytes("host->chip", cmd, len, chip_command_name(cmd[0]));
	write_to_host(e, frame_ack, sizeof(frame_ack), "ACK");
	switch (chip_execute(&e->chip, &e->tags, cmd, len, &r, &now)) {
	case CHIP_REPLY:
		send_response(e, &r);
		break;
	case CHIP_SYNTAX_ERROR:
		write_to_host(e, frame_error, sizeof(frame_error), "error frame");
		break;
	case CHIP_PENDING:
		break;
	}
}

static void on_frame_event(struct emu *e, enum frame_event ev)
{
	switch (ev) {
	case FRAME_NONE:
		return;
	case FRAME_COMMAND:
		on_command(e);
		return;
	case FRAME_ACK:
		log_bytes("host->chip", frame_ack, sizeof(frame_ack), "ACK (abort)");
		chip_abort(&e->chip);
		return;
	case FRAME_NACK:
		log_bytes("host->chip", frame_nack, sizeof(frame_nack), "NACK (resend)");
		if (e->last_response_len)
			write_to_host(e, e->last_response, e->last_response_len, "response (again)");
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
	for (ssize_t i = 0; i < n; i++)
		on_frame_event(e, frame_parser_feed(&e->parser, buf[i]));
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
	printf("READY %s\n", e->link.slave_path);
	fflush(stdout);
	log_note("serving on %s -> %s", e->link.link_path, e->link.slave_path);
	return 0;
}

void emu_link_down(struct emu *e)
{
	log_note("device vanishes");
	chip_abort(&e->chip);
	link_close(&e->link);
}

static int poll_timeout_ms(const struct emu *e)
{
	struct timespec now = now_monotonic();
	int ms = chip_ms_until_deadline(&e->chip, &now);

	return (ms < 0 || ms > RAW_CHECK_INTERVAL_MS) ? RAW_CHECK_INTERVAL_MS : ms;
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
		if (poll(fds, n, poll_timeout_ms(e)) < 0 && errno != EINTR)
			break;
		if (first_control == 1 && (fds[0].revents & POLLIN))
			read_host(e);
		control_service(&e->control, fds + first_control, n - first_control, emu_control_line, e);
		emu_run_pending(e);
		link_keep_raw(&e->link);
	}
}

static void usage(FILE *out)
{
	fprintf(out, "usage: pn532emu --link PATH --control PATH [--log]\n");
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "link", required_argument, NULL, 'l' },
		{ "control", required_argument, NULL, 'c' },
		{ "log", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct emu emu; /* large (register file): keep it off the stack */
	const char *link_path = NULL;
	const char *control_path = NULL;
	int opt;
	int err;

	while ((opt = getopt_long(argc, argv, "l:c:vh", options, NULL)) != -1) {
		switch (opt) {
		case 'l': link_path = optarg; break;
		case 'c': control_path = optarg; break;
		case 'v': log_set_enabled(true); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!link_path || !control_path || optind != argc) {
		usage(stderr);
		return 2;
	}
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
