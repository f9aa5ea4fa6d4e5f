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
};

/* Control commands (commands.c). */
void emu_control_line(void *ctx, char *line, struct control_reply *reply);

/* Device lifetime (pn532emu.c). */
int emu_link_up(struct emu *e);
void emu_link_down(struct emu *e);
/* Give a waiting command (infinite select, InAutoPoll) a chance to finish. */
void emu_run_pending(struct emu *e);

#endif
