/* PN532 command interpreter: registers, RF field, target table, polling. */
#ifndef PN532EMU_CHIP_H
#define PN532EMU_CHIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
	int64_t ready; /* when the chip has the answer ready (monotonic ns) */
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
	uint8_t retry_timeout; /* fRetryTimeout code (RFConfiguration item 0x02) */
	int64_t cost;          /* chip time spent so far by the running command */
	int64_t exec_start;    /* when the running command started executing */
	uint8_t pending[CHIP_PENDING_MAX];
	size_t pending_len;
	bool pending_waiting;  /* the retry/poll clock of the waiting command runs */
	int64_t pending_base;  /* its first attempt */
	int64_t pending_step;  /* a new badge is seen at base + k * step */
	bool pending_has_deadline;
	int64_t pending_deadline;
	int64_t pending_check; /* 0, or the attempt at which the badges are looked at */
};

void chip_reset(struct chip *c, struct tagset *ts);
/* start: when the chip begins to execute (after its ACK). r->ready is set for
 * CHIP_REPLY and CHIP_SYNTAX_ERROR. */
enum chip_outcome chip_execute(struct chip *c, struct tagset *ts, const uint8_t *cmd, size_t len,
			       struct chip_reply *r, int64_t start);
bool chip_is_pending(const struct chip *c);
/* Host sent ACK (or a new command): drop the running command without answering. */
void chip_abort(struct chip *c);
/* Re-evaluate a waiting command (new tag, timeout). True when r holds its answer. */
bool chip_poll(struct chip *c, struct tagset *ts, struct chip_reply *r, int64_t now);
/* A badge is put down at now: an attempt already due (the loop had not got
 * to it yet) happened before it and cannot see it. */
void chip_badge_arrives(struct chip *c, int64_t now);
/* True and *deadline set when the pending command gives up at a known time. */
bool chip_deadline(const struct chip *c, int64_t *deadline);
/* The chip powers down after answering PowerDown; any host byte wakes it. */
void chip_enter_sleep(struct chip *c, struct tagset *ts);
const char *chip_command_name(uint8_t code);

#endif
