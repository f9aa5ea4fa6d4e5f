#include "frame.h"

#include <errno.h>
#include <string.h>

const uint8_t frame_ack[6] = { 0x00, 0x00, 0xFF, 0x00, 0xFF, 0x00 };
const uint8_t frame_nack[6] = { 0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00 };
/* "Syntax error" application-level error frame. */
const uint8_t frame_error[8] = { 0x00, 0x00, 0xFF, 0x01, 0xFF, 0x7F, 0x81, 0x00 };

enum {
	S_HUNT,      /* between frames: wake-up 0x55, preamble and postamble bytes */
	S_ZERO,      /* saw 0x00, the first half of the 00 FF start code */
	S_LEN,
	S_LCS,
	S_XLEN_HI,
	S_XLEN_LO,
	S_XLCS,
	S_BODY,
	S_DCS
};

void frame_parser_reset(struct frame_parser *p)
{
	memset(p, 0, sizeof(*p));
	p->state = S_HUNT;
}

bool frame_parser_between_frames(const struct frame_parser *p)
{
	return p->state == S_HUNT || p->state == S_ZERO;
}

static enum frame_event finish(struct frame_parser *p, enum frame_event ev)
{
	p->state = S_HUNT;
	return ev;
}

static enum frame_event start_body(struct frame_parser *p, size_t len)
{
	if (len == 0 || len > FRAME_BODY_MAX)
		return finish(p, FRAME_BAD_LENGTH);
	p->expected = len;
	p->got = 0;
	p->sum = 0;
	p->state = S_BODY;
	return FRAME_NONE;
}

static enum frame_event on_length_checksum(struct frame_parser *p, uint8_t lcs)
{
	uint8_t len = p->len_byte;

	if (len == 0x00 && lcs == 0xFF)
		return finish(p, FRAME_ACK);
	if (len == 0xFF && lcs == 0x00)
		return finish(p, FRAME_NACK);
	if (len == 0xFF && lcs == 0xFF) {
		p->state = S_XLEN_HI;
		return FRAME_NONE;
	}
	if ((uint8_t)(len + lcs) != 0)
		return finish(p, FRAME_BAD_LCS);
	return start_body(p, len);
}

enum frame_event frame_parser_feed(struct frame_parser *p, uint8_t byte)
{
	switch (p->state) {
	case S_HUNT:
		if (byte == 0x00)
			p->state = S_ZERO;
		return FRAME_NONE;
	case S_ZERO:
		if (byte == 0xFF)
			p->state = S_LEN;
		else if (byte != 0x00)
			p->state = S_HUNT;
		return FRAME_NONE;
	case S_LEN:
		p->len_byte = byte;
		p->state = S_LCS;
		return FRAME_NONE;
	case S_LCS:
		return on_length_checksum(p, byte);
	case S_XLEN_HI:
		p->len_hi = byte;
		p->state = S_XLEN_LO;
		return FRAME_NONE;
	case S_XLEN_LO:
		p->len_byte = byte;
		p->state = S_XLCS;
		return FRAME_NONE;
	case S_XLCS:
		if ((uint8_t)(p->len_hi + p->len_byte + byte) != 0)
			return finish(p, FRAME_BAD_LCS);
		return start_body(p, ((size_t)p->len_hi << 8) | p->len_byte);
	case S_BODY:
		p->body[p->got++] = byte;
		p->sum = (uint8_t)(p->sum + byte);
		if (p->got == p->expected)
			p->state = S_DCS;
		return FRAME_NONE;
	case S_DCS:
		if ((uint8_t)(p->sum + byte) != 0)
			return finish(p, FRAME_BAD_DCS);
		if (p->body[0] != FRAME_TFI_HOST_TO_CHIP || p->got < 2)
			return finish(p, FRAME_BAD_TFI);
		return finish(p, FRAME_COMMAND);
	default:
		return finish(p, FRAME_NONE);
	}
}

const uint8_t *frame_parser_command(const struct frame_parser *p, size_t *len)
{
	*len = p->got - 1;
	return p->body + 1;
}

int frame_encode(uint8_t tfi, const uint8_t *data, size_t len, uint8_t *out, size_t cap)
{
	size_t body = len + 1;
	size_t pos = 0;
	uint8_t dcs = (uint8_t)(0x100 - tfi);

	if (body > FRAME_BODY_MAX || cap < body + 11)
		return -EMSGSIZE;
	out[pos++] = 0x00;
	out[pos++] = 0x00;
	out[pos++] = 0xFF;
	if (body <= 0xFF) {
		out[pos++] = (uint8_t)body;
		out[pos++] = (uint8_t)(0x100 - body);
	} else {
		out[pos++] = 0xFF;
		out[pos++] = 0xFF;
		uint8_t len_hi = (uint8_t)(body >> 8);
		uint8_t len_lo = (uint8_t)body;
		out[pos++] = len_hi;
		out[pos++] = len_lo;
		out[pos++] = (uint8_t)(0x100 - ((len_hi + len_lo) & 0xFF));
	}
	out[pos++] = tfi;
	for (size_t i = 0; i < len; i++) {
		out[pos++] = data[i];
		dcs = (uint8_t)(dcs - data[i]);
	}
	out[pos++] = dcs;
	out[pos++] = 0x00;
	return (int)pos;
}

const char *frame_event_name(enum frame_event ev)
{
	switch (ev) {
	case FRAME_NONE: return "none";
	case FRAME_ACK: return "ACK";
	case FRAME_NACK: return "NACK";
	case FRAME_COMMAND: return "command";
	case FRAME_BAD_LCS: return "bad length checksum (ignored)";
	case FRAME_BAD_DCS: return "bad data checksum (ignored)";
	case FRAME_BAD_TFI: return "wrong TFI (ignored)";
	case FRAME_BAD_LENGTH: return "bad length (ignored)";
	}
	return "?";
}
