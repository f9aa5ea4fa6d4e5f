/* PN532 host-link frame codec (normal, extended, ACK, NACK, error frames). */
#ifndef PN532EMU_FRAME_H
#define PN532EMU_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* TFI + up to 264 data bytes: the largest body libnfc ever builds. */
#define FRAME_BODY_MAX 265
/* Largest encoded frame: 8 header/trailer bytes for extended frames + body. */
#define FRAME_ENCODED_MAX (FRAME_BODY_MAX + 11)

#define FRAME_TFI_HOST_TO_CHIP 0xD4
#define FRAME_TFI_CHIP_TO_HOST 0xD5

enum frame_event {
	FRAME_NONE,      /* need more bytes */
	FRAME_ACK,       /* 00 00 FF 00 FF 00: host aborts the running command */
	FRAME_NACK,      /* 00 00 FF FF 00 00: host asks for the last answer again */
	FRAME_COMMAND,   /* a well-formed D4 frame */
	FRAME_BAD_LCS,   /* length checksum wrong: the chip ignores it */
	FRAME_BAD_DCS,   /* data checksum wrong: the chip ignores it */
	FRAME_BAD_TFI,   /* checksums fine but not addressed to the chip */
	FRAME_BAD_LENGTH /* zero or oversized length */
};

struct frame_parser {
	int state;
	uint8_t len_byte;
	uint8_t len_hi;
	size_t expected;
	size_t got;
	uint8_t sum;
	uint8_t body[FRAME_BODY_MAX];
};

extern const uint8_t frame_ack[6];
extern const uint8_t frame_nack[6];
extern const uint8_t frame_error[8];

void frame_parser_reset(struct frame_parser *p);
/* True between frames, where wake-up and preamble bytes are skipped. */
bool frame_parser_between_frames(const struct frame_parser *p);
enum frame_event frame_parser_feed(struct frame_parser *p, uint8_t byte);
/* Command bytes (without TFI) of the last FRAME_COMMAND. */
const uint8_t *frame_parser_command(const struct frame_parser *p, size_t *len);
/* Encode TFI + data; picks the extended format when the body exceeds 255 bytes.
 * Returns the frame length, or -EMSGSIZE. */
int frame_encode(uint8_t tfi, const uint8_t *data, size_t len, uint8_t *out, size_t cap);
const char *frame_event_name(enum frame_event ev);

#endif
