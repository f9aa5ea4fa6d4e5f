#include "tag.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ATS of a MIFARE DESFire EV1: TL, T0, TA, TB, TC, historical byte. */
const uint8_t tag_ats[6] = { 0x06, 0x75, 0x77, 0x81, 0x02, 0x80 };

static const struct tag_kind kinds[] = {
	{ "classic", FAMILY_CLASSIC, 4, 0x00, 0x04, 0x08, false, false, 1024 },
	{ "classic7", FAMILY_CLASSIC, 7, 0x00, 0x04, 0x08, false, false, 1024 },
	{ "uid10", FAMILY_CLASSIC, 10, 0x00, 0x04, 0x08, false, false, 1024 },
	{ "ultralight", FAMILY_ULTRALIGHT, 7, 0x00, 0x04, 0x00, false, false, 64 },
	{ "ntag", FAMILY_ULTRALIGHT, 7, 0x00, 0x04, 0x00, false, true, 180 },
	{ "desfire", FAMILY_ISO4, 7, 0x03, 0x04, 0x20, true, false, 0 },
	{ "iso4", FAMILY_ISO4, 7, 0x03, 0x04, 0x20, false, false, 0 },
	{ "uid10-iso4", FAMILY_ISO4, 10, 0x03, 0x04, 0x20, false, false, 0 },
};

const struct tag_kind *tag_kind_find(const char *name)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i].name, name) == 0)
			return &kinds[i];
	return NULL;
}

const char *tag_kind_names(void)
{
	return "classic classic7 uid10 ultralight ntag desfire iso4 uid10-iso4";
}

const char *tag_state_name(enum tag_state s)
{
	switch (s) {
	case TAG_OFF: return "unpowered";
	case TAG_IDLE: return "idle";
	case TAG_ACTIVE: return "active";
	case TAG_PROTOCOL: return "iso14443-4";
	case TAG_HALT: return "halt";
	}
	return "?";
}

void tagset_init(struct tagset *ts)
{
	memset(ts, 0, sizeof(*ts));
	ts->next_id = 1;
}

static void random_uid(uint8_t *uid, size_t len)
{
	for (size_t i = 0; i < len; i++)
		uid[i] = (uint8_t)(random() & 0xFF);
	/* 7/10-byte UIDs start with a manufacturer code (NXP); 0x88 is the cascade tag. */
	if (len > 4)
		uid[0] = 0x04;
	else if (uid[0] == 0x88)
		uid[0] = 0x89;
}

static uint8_t uid_size_bits(size_t uid_len)
{
	return uid_len == 4 ? 0x00 : uid_len == 7 ? 0x40 : 0x80;
}

static void fill_ultralight_memory(struct tag *t)
{
	uint8_t u[7] = { 0 };

	memcpy(u, t->uid, t->uid_len < 7 ? t->uid_len : 7);
	/* Pages 0..2 hold the UID with its two check bytes, like real NXP tags. */
	t->mem[0] = u[0];
	t->mem[1] = u[1];
	t->mem[2] = u[2];
	t->mem[3] = (uint8_t)(0x88 ^ u[0] ^ u[1] ^ u[2]);
	memcpy(t->mem + 4, u + 3, 4);
	t->mem[8] = (uint8_t)(u[3] ^ u[4] ^ u[5] ^ u[6]);
	t->mem[9] = 0x48;
	if (t->kind->ntag) {
		/* Capability container and an empty NDEF TLV, as shipped. */
		static const uint8_t cc[8] = { 0xE1, 0x10, 0x12, 0x00, 0x03, 0x00, 0xFE, 0x00 };
		memcpy(t->mem + 12, cc, sizeof(cc));
	}
}

static void fill_classic_memory(struct tag *t)
{
	size_t pos = 0;

	memcpy(t->mem, t->uid, t->uid_len);
	pos = t->uid_len;
	if (t->uid_len == 4) {
		t->mem[4] = (uint8_t)(t->uid[0] ^ t->uid[1] ^ t->uid[2] ^ t->uid[3]);
		pos = 5;
	}
	t->mem[pos++] = t->sak;
	t->mem[pos++] = t->atqa[1];
	t->mem[pos] = t->atqa[0];
	for (size_t block = 3; block < 64; block += 4) {
		uint8_t *trailer = t->mem + block * 16;
		static const uint8_t access[4] = { 0xFF, 0x07, 0x80, 0x69 };
		memset(trailer, 0xFF, 16);
		memcpy(trailer + 6, access, sizeof(access));
	}
}

struct tag *tagset_add(struct tagset *ts, const char *name, const struct tag_kind *kind,
		       const uint8_t *uid, size_t uid_len, bool field_on, int *err)
{
	struct tag *slot = NULL;

	for (size_t i = 0; i < TAG_MAX; i++) {
		if (ts->tags[i].used && strcmp(ts->tags[i].name, name) == 0) {
			*err = -EEXIST;
			return NULL;
		}
		if (!ts->tags[i].used && !slot)
			slot = &ts->tags[i];
	}
	if (!slot) {
		*err = -ENOSPC;
		return NULL;
	}
	if (strlen(name) >= TAG_NAME_MAX || (uid && uid_len != 4 && uid_len != 7 && uid_len != 10)) {
		*err = -EINVAL;
		return NULL;
	}
	memset(slot, 0, sizeof(*slot));
	slot->used = true;
	slot->id = ts->next_id++;
	snprintf(slot->name, sizeof(slot->name), "%s", name);
	slot->kind = kind;
	slot->uid_len = uid ? uid_len : kind->uid_len;
	if (uid)
		memcpy(slot->uid, uid, uid_len);
	else
		random_uid(slot->uid, slot->uid_len);
	slot->atqa[0] = kind->atqa_hi;
	slot->atqa[1] = (uint8_t)(kind->atqa_lo_base | uid_size_bits(slot->uid_len));
	slot->sak = kind->sak;
	slot->state = field_on ? TAG_IDLE : TAG_OFF;
	slot->auth_sector = -1;
	if (kind->family == FAMILY_ULTRALIGHT)
		fill_ultralight_memory(slot);
	else if (kind->family == FAMILY_CLASSIC)
		fill_classic_memory(slot);
	*err = 0;
	return slot;
}

int tagset_remove(struct tagset *ts, const char *name)
{
	for (size_t i = 0; i < TAG_MAX; i++) {
		if (ts->tags[i].used && strcmp(ts->tags[i].name, name) == 0) {
			ts->tags[i].used = false;
			return 0;
		}
	}
	return -ENOENT;
}

void tagset_remove_all(struct tagset *ts)
{
	for (size_t i = 0; i < TAG_MAX; i++)
		ts->tags[i].used = false;
}

struct tag *tagset_find_id(struct tagset *ts, unsigned id)
{
	for (size_t i = 0; i < TAG_MAX; i++)
		if (ts->tags[i].used && ts->tags[i].id == id)
			return &ts->tags[i];
	return NULL;
}

/* Switching the field off resets every tag; switching it on powers them up idle. */
void tagset_power(struct tagset *ts, bool field_on)
{
	for (size_t i = 0; i < TAG_MAX; i++) {
		struct tag *t = &ts->tags[i];
		if (!t->used)
			continue;
		if (!field_on)
			t->state = TAG_OFF;
		else if (t->state == TAG_OFF)
			t->state = TAG_IDLE;
		if (!field_on)
			t->auth_sector = -1;
	}
}

bool tag_is_iso4(const struct tag *t)
{
	return t->kind->family == FAMILY_ISO4;
}

bool tag_is_selected(const struct tag *t)
{
	return t->state == TAG_ACTIVE || t->state == TAG_PROTOCOL;
}

void tag_select(struct tag *t, bool rats)
{
	t->state = (rats && tag_is_iso4(t)) ? TAG_PROTOCOL : TAG_ACTIVE;
	t->auth_sector = -1;
	/* ISO14443-4: the PICC block number starts at 1 after activation. */
	t->picc_block = 1;
	t->desfire_frame = 0;
	t->last_block_len = 0;
}

void tag_halt(struct tag *t)
{
	t->state = TAG_HALT;
	t->auth_sector = -1;
}

/* A tag that does not understand a frame stays mute and falls back to IDLE. */
static uint8_t mute(struct tag *t, size_t *out_len)
{
	if (t->state == TAG_ACTIVE)
		t->state = TAG_IDLE;
	*out_len = 0;
	return ST_TIMEOUT;
}

static bool is_hlta(const uint8_t *in, size_t n)
{
	return n == 2 && in[0] == 0x50 && in[1] == 0x00;
}

static uint8_t ultralight_read(struct tag *t, uint8_t page, uint8_t *out, size_t *out_len)
{
	size_t pages = t->kind->mem_len / 4;

	/* READ returns four pages and rolls over at the end of memory. */
	for (size_t i = 0; i < 16; i++)
		out[i] = t->mem[((page + i / 4) % pages) * 4 + i % 4];
	*out_len = 16;
	return ST_OK;
}

static uint8_t ultralight_command(struct tag *t, const uint8_t *in, size_t n, uint8_t *out, size_t *out_len)
{
	static const uint8_t ntag213_version[8] = { 0x00, 0x04, 0x04, 0x02, 0x01, 0x00, 0x0F, 0x03 };
	size_t pages = t->kind->mem_len / 4;

	if (n == 2 && in[0] == 0x30)
		return ultralight_read(t, in[1], out, out_len);
	if (n == 6 && in[0] == 0xA2 && in[1] >= 4 && in[1] < pages) {
		memcpy(t->mem + in[1] * 4, in + 2, 4);
		*out_len = 0;
		return ST_OK;
	}
	if (n == 1 && in[0] == 0x60 && t->kind->ntag) {
		memcpy(out, ntag213_version, sizeof(ntag213_version));
		*out_len = sizeof(ntag213_version);
		return ST_OK;
	}
	if (is_hlta(in, n)) {
		tag_halt(t);
		*out_len = 0;
		return ST_TIMEOUT;
	}
	return mute(t, out_len);
}

static bool default_key(const uint8_t *key)
{
	for (size_t i = 0; i < 6; i++)
		if (key[i] != 0xFF)
			return false;
	return true;
}

/* Easy-framing MIFARE Classic: the PN532 runs Crypto1 itself, so the host sees
 * plain AUTH/READ/WRITE. Every sector uses the transport key FFFFFFFFFFFF. */
static uint8_t classic_command(struct tag *t, const uint8_t *in, size_t n, uint8_t *out, size_t *out_len)
{
	*out_len = 0;
	if (n >= 12 && (in[0] == 0x60 || in[0] == 0x61) && in[1] < 64) {
		if (!default_key(in + 2) || memcmp(in + 8, t->uid + (t->uid_len - 4), 4) != 0) {
			tag_halt(t); /* a failed authentication halts the card */
			return ST_MIFARE_AUTH;
		}
		t->auth_sector = in[1] / 4;
		return ST_OK;
	}
	if (n == 2 && in[0] == 0x30 && in[1] < 64) {
		if (t->auth_sector != in[1] / 4)
			return ST_MIFARE_AUTH;
		memcpy(out, t->mem + in[1] * 16, 16);
		if (in[1] % 4 == 3)
			memset(out, 0x00, 6); /* key A never reads back */
		*out_len = 16;
		return ST_OK;
	}
	if (n == 18 && in[0] == 0xA0 && in[1] > 0 && in[1] < 64) {
		if (t->auth_sector != in[1] / 4)
			return ST_MIFARE_AUTH;
		memcpy(t->mem + in[1] * 16, in + 2, 16);
		return ST_OK;
	}
	if (is_hlta(in, n)) {
		tag_halt(t);
		return ST_TIMEOUT;
	}
	return mute(t, out_len);
}

static size_t desfire_version_part(const struct tag *t, unsigned part, uint8_t *out)
{
	static const uint8_t hw[7] = { 0x04, 0x01, 0x01, 0x01, 0x00, 0x18, 0x05 };
	static const uint8_t sw[7] = { 0x04, 0x01, 0x01, 0x01, 0x04, 0x18, 0x05 };

	if (part == 1) {
		memcpy(out, hw, 7);
		return 7;
	}
	if (part == 2) {
		memcpy(out, sw, 7);
		return 7;
	}
	memset(out, 0, 14);
	memcpy(out, t->uid, t->uid_len < 7 ? t->uid_len : 7);
	out[12] = 0x10; /* production week */
	out[13] = 0x20; /* production year */
	return 14;
}

/* DESFire native command: reply is status byte followed by data. */
static size_t desfire_native(struct tag *t, const uint8_t *in, size_t n, uint8_t *out)
{
	uint8_t cmd = n ? in[0] : 0x00;
	unsigned step = t->desfire_frame;

	t->desfire_frame = 0;
	switch (cmd) {
	case 0x60:
		t->desfire_frame = 1;
		out[0] = 0xAF;
		return 1 + desfire_version_part(t, 1, out + 1);
	case 0xAF:
		if (step == 1 || step == 2) {
			t->desfire_frame = step + 1;
			out[0] = step == 2 ? 0x00 : 0xAF;
			if (step == 2)
				t->desfire_frame = 0;
			return 1 + desfire_version_part(t, step + 1, out + 1);
		}
		out[0] = 0xCA; /* command aborted */
		return 1;
	case 0x6A: /* GetApplicationIDs: none */
	case 0x5A: /* SelectApplication */
		out[0] = 0x00;
		return 1;
	case 0x45: /* GetKeySettings of the PICC master key */
		out[0] = 0x00;
		out[1] = 0x0F;
		out[2] = 0x01;
		return 3;
	default:
		out[0] = 0x1C; /* illegal command code */
		return 1;
	}
}

static size_t status_word(uint8_t *out, uint8_t sw1, uint8_t sw2)
{
	out[0] = sw1;
	out[1] = sw2;
	return 2;
}

/* One APDU (or DESFire native frame) carried in an ISO14443-4 I-block. */
static size_t iso4_apdu(struct tag *t, const uint8_t *in, size_t n, uint8_t *out)
{
	if (n >= 5 && in[0] == 0x90 && t->kind->desfire) {
		/* ISO7816-wrapped native command: 90 INS 00 00 [Lc data] [Le]. */
		uint8_t native[TAG_REPLY_MAX];
		uint8_t reply[TAG_REPLY_MAX];
		size_t lc = n > 5 ? in[4] : 0;
		size_t len;

		if (5 + lc > n)
			lc = n - 5;
		native[0] = in[1];
		memcpy(native + 1, in + 5, lc);
		len = desfire_native(t, native, lc + 1, reply);
		memcpy(out, reply + 1, len - 1);
		return len - 1 + status_word(out + len - 1, 0x91, reply[0]);
	}
	if (n >= 4 && in[0] == 0x00) {
		if (in[1] == 0xA4)
			return status_word(out, 0x6A, 0x82); /* no such file/application */
		return status_word(out, 0x6D, 0x00);         /* instruction not supported */
	}
	if (t->kind->desfire && n >= 1)
		return desfire_native(t, in, n, out);
	return status_word(out, 0x6E, 0x00); /* class not supported */
}

static uint8_t iso4_data_exchange(struct tag *t, const uint8_t *in, size_t n, uint8_t *out, size_t *out_len)
{
	if (t->state != TAG_PROTOCOL)
		return mute(t, out_len);
	t->picc_block ^= 1;
	*out_len = iso4_apdu(t, in, n, out);
	return ST_OK;
}

uint8_t tag_data_exchange(struct tag *t, const uint8_t *in, size_t n, uint8_t *out, size_t *out_len)
{
	*out_len = 0;
	if (!tag_is_selected(t))
		return ST_TIMEOUT;
	switch (t->kind->family) {
	case FAMILY_ULTRALIGHT:
		return ultralight_command(t, in, n, out, out_len);
	case FAMILY_CLASSIC:
		return classic_command(t, in, n, out, out_len);
	case FAMILY_ISO4:
		return iso4_data_exchange(t, in, n, out, out_len);
	}
	return ST_TIMEOUT;
}

static uint8_t remember_block(struct tag *t, const uint8_t *out, size_t len, size_t *out_len)
{
	memcpy(t->last_block, out, len);
	t->last_block_len = len;
	*out_len = len;
	return ST_OK;
}

/* ISO14443-4 block protocol as seen through InCommunicateThru (no CID, no NAD). */
static uint8_t iso4_block(struct tag *t, const uint8_t *in, size_t n, uint8_t *out, size_t *out_len)
{
	uint8_t pcb = in[0];

	if ((pcb & 0xE2) == 0x02) { /* I-block */
		t->picc_block ^= 1;
		out[0] = (uint8_t)(0x02 | t->picc_block);
		return remember_block(t, out, 1 + iso4_apdu(t, in + 1, n - 1, out + 1), out_len);
	}
	if ((pcb & 0xE6) == 0xA2) { /* R-block */
		bool nak = pcb & 0x10;
		if (nak && (pcb & 1) != t->picc_block) {
			out[0] = (uint8_t)(0xA2 | t->picc_block); /* R(ACK) with our block number */
			*out_len = 1;
			return ST_OK;
		}
		if (t->last_block_len) {
			memcpy(out, t->last_block, t->last_block_len);
			*out_len = t->last_block_len;
			return ST_OK;
		}
		out[0] = (uint8_t)(0xA2 | t->picc_block);
		*out_len = 1;
		return ST_OK;
	}
	if (pcb == 0xC2 && n == 1) { /* S(DESELECT) */
		out[0] = 0xC2;
		*out_len = 1;
		tag_halt(t);
		return ST_OK;
	}
	*out_len = 0;
	return ST_TIMEOUT;
}

uint8_t tag_raw_exchange(struct tag *t, const uint8_t *in, size_t n, uint8_t *out, size_t *out_len)
{
	*out_len = 0;
	if (!tag_is_selected(t) || n == 0)
		return ST_TIMEOUT;
	if (t->state == TAG_PROTOCOL)
		return iso4_block(t, in, n, out, out_len);
	if (tag_is_iso4(t) && n == 2 && in[0] == 0xE0) { /* RATS */
		tag_select(t, true);
		memcpy(out, tag_ats, sizeof(tag_ats));
		*out_len = sizeof(tag_ats);
		return ST_OK;
	}
	if (t->kind->family == FAMILY_ULTRALIGHT)
		return ultralight_command(t, in, n, out, out_len);
	if (is_hlta(in, n)) {
		tag_halt(t);
		return ST_TIMEOUT;
	}
	/* Raw MIFARE Classic (Crypto1 on the host) is not emulated. */
	return mute(t, out_len);
}
