/* Model of the ISO14443-A badges lying on the emulated reader. */
#ifndef PN532EMU_TAG_H
#define PN532EMU_TAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TAG_MAX 8
#define TAG_NAME_MAX 32
#define TAG_UID_MAX 10
#define TAG_MEM_MAX 1024
#define TAG_REPLY_MAX 300

/* PN532 status codes a tag exchange can produce. */
#define ST_OK 0x00
#define ST_TIMEOUT 0x01
#define ST_MIFARE_AUTH 0x14
#define ST_NOT_ACCEPTABLE 0x27

enum tag_family { FAMILY_CLASSIC, FAMILY_ULTRALIGHT, FAMILY_ISO4 };

/* ISO14443-3 states; OFF means the RF field does not power the tag. */
enum tag_state { TAG_OFF, TAG_IDLE, TAG_ACTIVE, TAG_PROTOCOL, TAG_HALT };

struct tag_kind {
	const char *name;
	enum tag_family family;
	size_t uid_len;
	uint8_t atqa_hi;
	uint8_t atqa_lo_base; /* UID-size bits 7..6 are added from the UID length */
	uint8_t sak;
	bool desfire;
	bool ntag;
	size_t mem_len;
};

struct tag {
	bool used;
	unsigned id;
	char name[TAG_NAME_MAX];
	const struct tag_kind *kind;
	uint8_t uid[TAG_UID_MAX];
	size_t uid_len;
	uint8_t atqa[2];
	uint8_t sak;
	enum tag_state state;
	int auth_sector;          /* MIFARE Classic sector authenticated, -1 if none */
	uint8_t picc_block;       /* ISO14443-4 block number */
	unsigned desfire_frame;   /* GetVersion continuation step */
	uint8_t last_block[TAG_REPLY_MAX];
	size_t last_block_len;
	uint8_t mem[TAG_MEM_MAX];
};

struct tagset {
	struct tag tags[TAG_MAX];
	unsigned next_id;
};

extern const uint8_t tag_ats[6];

const struct tag_kind *tag_kind_find(const char *name);
const char *tag_kind_names(void);
const char *tag_state_name(enum tag_state s);

void tagset_init(struct tagset *ts);
/* uid may be NULL (random). Returns the new tag or NULL with errno-style *err. */
struct tag *tagset_add(struct tagset *ts, const char *name, const struct tag_kind *kind,
		       const uint8_t *uid, size_t uid_len, bool field_on, int *err);
int tagset_remove(struct tagset *ts, const char *name);
void tagset_remove_all(struct tagset *ts);
struct tag *tagset_find_id(struct tagset *ts, unsigned id);
void tagset_power(struct tagset *ts, bool field_on);

bool tag_is_iso4(const struct tag *t);
bool tag_is_selected(const struct tag *t);
void tag_select(struct tag *t, bool rats);
void tag_halt(struct tag *t);

/* InDataExchange payload (the chip adds CRC, ISO14443-4 blocks, Crypto1). */
uint8_t tag_data_exchange(struct tag *t, const uint8_t *in, size_t n, uint8_t *out, size_t *out_len);
/* InCommunicateThru payload (raw frames; the chip only adds CRC/parity). */
uint8_t tag_raw_exchange(struct tag *t, const uint8_t *in, size_t n, uint8_t *out, size_t *out_len);

#endif
