/* The PN532 emulator's host side (tests/pn532emu/): the bytes libnfc sends
 * go through the frame decoder, and each command it finds into the chip's
 * command interpreter, with two tags in the field, the way pn532emu.c
 * wires them. A reply never exceeds what a frame can carry. */
#include <stdbool.h>

#include "chip.h"
#include "frame.h"
#include "fuzz.h"
#include "tag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct chip chip;
	static struct tagset tags;
	struct frame_parser parser;
	struct chip_reply reply;
	uint8_t out[FRAME_ENCODED_MAX];
	int64_t now = 0;
	static const uint8_t uid4[4] = { 0x04, 0xA1, 0xB2, 0xC3 };
	static const uint8_t uid7[7] = { 0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66 };
	int err;

	if (size > 8192)
		return 0;
	/* A MIFARE Classic and a DESFire: the two families libnfc talks to
	 * most differently (Crypto1 authentication, ISO 14443-4 blocks). */
	tagset_init(&tags);
	if (!tagset_add(&tags, "a", tag_kind_find("classic"), uid4, sizeof(uid4), false, &err) ||
	    !tagset_add(&tags, "b", tag_kind_find("desfire"), uid7, sizeof(uid7), false, &err))
		abort();
	chip_reset(&chip, &tags);
	frame_parser_reset(&parser);
	for (size_t i = 0; i < size; i++) {
		enum frame_event ev = frame_parser_feed(&parser, data[i]);
		const uint8_t *cmd;
		size_t len;

		now += 1000000;
		FUZZ_ASSERT(frame_event_name(ev)[0] != '?', "event %d", ev);
		if (ev == FRAME_ACK) {
			chip_abort(&chip);
			continue;
		}
		if (ev != FRAME_COMMAND) {
			if (chip_is_pending(&chip) && chip_poll(&chip, &tags, &reply, now))
				FUZZ_ASSERT(reply.len <= CHIP_REPLY_MAX, "reply %zu", reply.len);
			continue;
		}
		cmd = frame_parser_command(&parser, &len);
		FUZZ_ASSERT(len >= 1 && len < FRAME_BODY_MAX, "command of %zu bytes", len);
		if (chip_is_pending(&chip))
			chip_abort(&chip);
		memset(&reply, 0, sizeof(reply));
		if (chip_execute(&chip, &tags, cmd, len, &reply, now) != CHIP_REPLY)
			continue;
		FUZZ_ASSERT(reply.len >= 1 && reply.len <= CHIP_REPLY_MAX, "reply %zu", reply.len);
		/* The answer goes back framed: it must fit one. */
		if (frame_encode(FRAME_TFI_CHIP_TO_HOST, reply.data, reply.len, out, sizeof(out)) < 0)
			FUZZ_ASSERT(false, "a reply of %zu bytes does not fit a frame", reply.len);
		if (reply.data[0] == 0x17) /* answered PowerDown, as pn532emu.c does */
			chip_enter_sleep(&chip, &tags);
	}
	tagset_remove_all(&tags);
	return 0;
}
