/* PN532 command interpreter: registers, RF field, target table, polling. */
#ifndef PN532EMU_CHIP_H
#define PN532EMU_CHIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "tag.h"

#define CHIP_REPLY_MAX 300
#define CHIP_PENDING_MAX 64

enum chip_outcome {
	CHIP_REPLY,        /* r holds the response data (starting with command code + 1) */
	CHIP_SYNTAX_ERROR, /* answer with the application-level error frame */
	CHIP_PENDING       /* command runs on; chip_poll() produces the answer later */
};

struct chip_reply {
	uint8_t data[CHIP_REPLY_MAX];
	size_t len;
};

struct chip_target {
	bool used;
	unsigned tag_id;
	uint8_t type; /* InAutoPoll target type reported for it */
};

struct chip {
	uint8_t regs[0x10000];
	bool field_on;
	bool asleep;
	uint8_t sam_mode;
	uint8_t parameters;
	uint8_t rty_atr, rty_psl, rty_passive, rty_com;
	uint8_t last_error;
	struct chip_target targets[2]; /* Tg 1 and 2 */
	unsigned active_tg;            /* 0: no target selected */
	uint8_t pending[CHIP_PENDING_MAX];
	size_t pending_len;
	bool pending_has_deadline;
	struct timespec pending_deadline;
};

void chip_reset(struct chip *c, struct tagset *ts);
enum chip_outcome chip_execute(struct chip *c, struct tagset *ts, const uint8_t *cmd, size_t len,
			       struct chip_reply *r, const struct timespec *now);
bool chip_is_pending(const struct chip *c);
/* Host sent ACK (or a new command): drop the running command without answering. */
void chip_abort(struct chip *c);
/* Re-evaluate a waiting command (new tag, timeout). True when r holds its answer. */
bool chip_poll(struct chip *c, struct tagset *ts, struct chip_reply *r, const struct timespec *now);
/* Milliseconds until the pending command's deadline, or -1. */
int chip_ms_until_deadline(const struct chip *c, const struct timespec *now);
/* The chip powers down after answering PowerDown; any host byte wakes it. */
void chip_enter_sleep(struct chip *c, struct tagset *ts);
const char *chip_command_name(uint8_t code);

#endif
