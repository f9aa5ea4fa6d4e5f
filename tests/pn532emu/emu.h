/* The whole emulator: serial link, chip, badges, faults, control socket. */
#ifndef PN532EMU_EMU_H
#define PN532EMU_EMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chip.h"
#include "control.h"
#include "frame.h"
#include "link.h"
#include "tag.h"

#define OUT_QUEUE_MAX 8

/* A frame leaving the chip's UART: on the line from start, at the host at due. */
struct out_frame {
	int64_t start;
	int64_t due;
	bool answer; /* a response or error frame, which an abort cancels (not an ACK) */
	const char *what;
	size_t len;
	uint8_t bytes[FRAME_ENCODED_MAX];
};

struct emu {
	struct link link;
	struct chip chip;
	struct tagset tags;
	struct frame_parser parser;
	struct control control;
	bool silent;
	unsigned garbage_left;
	unsigned badcsum_left;
	bool quit;
	uint8_t last_response[FRAME_ENCODED_MAX];
	size_t last_response_len;
	int64_t line_in;  /* host->chip line busy until */
	int64_t line_out; /* chip->host line busy until */
	struct out_frame out[OUT_QUEUE_MAX];
	size_t out_len;
};

/* Control commands (commands.c). */
void emu_control_line(void *ctx, char *line, struct control_reply *reply);

/* Device lifetime (pn532emu.c). */
int emu_link_up(struct emu *e);
void emu_link_down(struct emu *e);
/* Give a waiting command (infinite select, InAutoPoll) a chance to finish. */
void emu_run_pending(struct emu *e);

#endif
