#include "chip.h"

#include <string.h>

#include "log.h"
#include "timing.h"

enum {
	CMD_DIAGNOSE = 0x00,
	CMD_GET_FIRMWARE_VERSION = 0x02,
	CMD_GET_GENERAL_STATUS = 0x04,
	CMD_READ_REGISTER = 0x06,
	CMD_WRITE_REGISTER = 0x08,
	CMD_READ_GPIO = 0x0C,
	CMD_WRITE_GPIO = 0x0E,
	CMD_SET_SERIAL_BAUD_RATE = 0x10,
	CMD_SET_PARAMETERS = 0x12,
	CMD_SAM_CONFIGURATION = 0x14,
	CMD_POWER_DOWN = 0x16,
	CMD_RF_CONFIGURATION = 0x32,
	CMD_IN_DATA_EXCHANGE = 0x40,
	CMD_IN_COMMUNICATE_THRU = 0x42,
	CMD_IN_DESELECT = 0x44,
	CMD_IN_LIST_PASSIVE_TARGET = 0x4A,
	CMD_IN_PSL = 0x4E,
	CMD_IN_ATR = 0x50,
	CMD_IN_RELEASE = 0x52,
	CMD_IN_SELECT = 0x54,
	CMD_IN_JUMP_FOR_DEP = 0x56,
	CMD_IN_AUTO_POLL = 0x60
};

#define PARAM_AUTO_RATS 0x10
#define REG_CIU_BIT_FRAMING 0x633D
#define BRTY_ISO14443A_106 0x00
#define PTT_GENERIC_106 0x00
#define PTT_MIFARE 0x10
#define PTT_ISO14443_4A 0x20
#define RETRY_TIMEOUT_DEFAULT 0x0A /* fRetryTimeout at power-on: 51.2 ms */

const char *chip_command_name(uint8_t code)
{
	switch (code) {
	case CMD_DIAGNOSE: return "Diagnose";
	case CMD_GET_FIRMWARE_VERSION: return "GetFirmwareVersion";
	case CMD_GET_GENERAL_STATUS: return "GetGeneralStatus";
	case CMD_READ_REGISTER: return "ReadRegister";
	case CMD_WRITE_REGISTER: return "WriteRegister";
	case CMD_READ_GPIO: return "ReadGPIO";
	case CMD_WRITE_GPIO: return "WriteGPIO";
	case CMD_SET_SERIAL_BAUD_RATE: return "SetSerialBaudRate";
	case CMD_SET_PARAMETERS: return "SetParameters";
	case CMD_SAM_CONFIGURATION: return "SAMConfiguration";
	case CMD_POWER_DOWN: return "PowerDown";
	case CMD_RF_CONFIGURATION: return "RFConfiguration";
	case CMD_IN_DATA_EXCHANGE: return "InDataExchange";
	case CMD_IN_COMMUNICATE_THRU: return "InCommunicateThru";
	case CMD_IN_DESELECT: return "InDeselect";
	case CMD_IN_LIST_PASSIVE_TARGET: return "InListPassiveTarget";
	case CMD_IN_PSL: return "InPSL";
	case CMD_IN_ATR: return "InATR";
	case CMD_IN_RELEASE: return "InRelease";
	case CMD_IN_SELECT: return "InSelect";
	case CMD_IN_JUMP_FOR_DEP: return "InJumpForDEP";
	case CMD_IN_AUTO_POLL: return "InAutoPoll";
	}
	return "unsupported";
}

/* Power-on values of the CIU registers libnfc reads before masking writes. */
static void reset_registers(struct chip *c)
{
	static const struct { uint16_t addr; uint8_t value; } defaults[] = {
		{ 0x6301, 0x3F }, { 0x6304, 0x80 }, { 0x6306, 0x10 }, { 0x6307, 0x84 },
		{ 0x6308, 0x84 }, { 0x6309, 0x4D }, { 0x630C, 0x62 }, { 0x6311, 0xFF },
		{ 0x6312, 0xFF }, { 0x6313, 0x88 }, { 0x6314, 0x26 }, { 0x6315, 0x87 },
		{ 0x6316, 0x48 }, { 0x6317, 0x88 }, { 0x6318, 0x20 }, { 0x6319, 0x20 },
		{ 0x6327, 0x80 }, { 0x6331, 0x20 }, { 0x6332, 0x80 }, { 0x6334, 0x14 },
		{ 0x6337, 0x21 }, { 0x633B, 0x08 }, { 0x633C, 0x10 }, { 0x633E, 0xA0 },
		{ 0xFFB0, 0xFF }, { 0xFFB1, 0xFF }, { 0xFFB2, 0xFF }, { 0xFFB3, 0xFF },
	};

	memset(c->regs, 0, sizeof(c->regs));
	for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
		c->regs[defaults[i].addr] = defaults[i].value;
}

static void forget_targets(struct chip *c)
{
	memset(c->targets, 0, sizeof(c->targets));
	c->active_tg = 0;
}

static void set_field(struct chip *c, struct tagset *ts, bool on)
{
	if (c->field_on == on)
		return;
	c->field_on = on;
	if (on)
		c->cost += timing_field_on_settle();
	tagset_power(ts, on);
	if (!on)
		forget_targets(c);
	log_note("RF field %s", on ? "on" : "off");
}

void chip_reset(struct chip *c, struct tagset *ts)
{
	memset(c, 0, sizeof(*c));
	reset_registers(c);
	c->rty_atr = 0xFF;
	c->rty_psl = 0x01;
	c->rty_passive = 0xFF;
	c->retry_timeout = RETRY_TIMEOUT_DEFAULT;
	c->field_on = true; /* force set_field() to power the tags down */
	set_field(c, ts, false);
}

void chip_enter_sleep(struct chip *c, struct tagset *ts)
{
	set_field(c, ts, false);
	c->asleep = true;
}

static void reply_begin(struct chip_reply *r, uint8_t cmd)
{
	r->data[0] = (uint8_t)(cmd + 1);
	r->len = 1;
}

static void reply_byte(struct chip_reply *r, uint8_t b)
{
	if (r->len < CHIP_REPLY_MAX)
		r->data[r->len++] = b;
}

static void reply_bytes(struct chip_reply *r, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		reply_byte(r, b[i]);
}

static enum chip_outcome reply_status(struct chip *c, struct chip_reply *r, uint8_t cmd, uint8_t status)
{
	c->last_error = status;
	reply_begin(r, cmd);
	reply_byte(r, status);
	return CHIP_REPLY;
}

static enum chip_outcome reply_empty(struct chip_reply *r, uint8_t cmd)
{
	reply_begin(r, cmd);
	return CHIP_REPLY;
}

/* ---- simple configuration commands ---- */

static enum chip_outcome diagnose(struct chip *c, const uint8_t *cmd, size_t len, struct chip_reply *r)
{
	if (len < 2)
		return CHIP_SYNTAX_ERROR;
	reply_begin(r, cmd[0]);
	switch (cmd[1]) {
	case 0x00: /* communication line test: echo NumTst and InParam */
		reply_bytes(r, cmd + 1, len - 1);
		return CHIP_REPLY;
	case 0x01: /* ROM test */
	case 0x02: /* RAM test */
	case 0x07: /* antenna self test */
		reply_byte(r, 0x00);
		return CHIP_REPLY;
	case 0x06: { /* card presence */
		struct chip_target *t = c->active_tg ? &c->targets[c->active_tg - 1] : NULL;
		reply_byte(r, t && t->used ? ST_OK : ST_TIMEOUT);
		return CHIP_REPLY;
	}
	default:
		return CHIP_SYNTAX_ERROR;
	}
}

static enum chip_outcome firmware_version(struct chip_reply *r)
{
	/* IC PN532, firmware 1.6, supports ISO14443A, ISO14443B and ISO18092. */
	static const uint8_t version[4] = { 0x32, 0x01, 0x06, 0x07 };

	reply_begin(r, CMD_GET_FIRMWARE_VERSION);
	reply_bytes(r, version, sizeof(version));
	return CHIP_REPLY;
}

static enum chip_outcome general_status(struct chip *c, struct chip_reply *r)
{
	uint8_t count = 0;

	reply_begin(r, CMD_GET_GENERAL_STATUS);
	reply_byte(r, c->last_error);
	reply_byte(r, 0x00); /* no external field (target mode only) */
	for (size_t i = 0; i < 2; i++)
		count = (uint8_t)(count + c->targets[i].used);
	reply_byte(r, count);
	for (size_t i = 0; i < 2; i++) {
		if (!c->targets[i].used)
			continue;
		reply_byte(r, (uint8_t)(i + 1));
		reply_byte(r, 0x00); /* BrRx 106 kbps */
		reply_byte(r, 0x00); /* BrTx 106 kbps */
		reply_byte(r, 0x00); /* type A */
	}
	reply_byte(r, 0x00); /* SAM status */
	return CHIP_REPLY;
}

static enum chip_outcome read_register(struct chip *c, const uint8_t *cmd, size_t len, struct chip_reply *r)
{
	if (len < 3 || (len - 1) % 2 != 0)
		return CHIP_SYNTAX_ERROR;
	reply_begin(r, cmd[0]);
	for (size_t i = 1; i + 1 < len; i += 2)
		reply_byte(r, c->regs[(cmd[i] << 8) | cmd[i + 1]]);
	return CHIP_REPLY;
}

static enum chip_outcome write_register(struct chip *c, const uint8_t *cmd, size_t len, struct chip_reply *r)
{
	if (len < 4 || (len - 1) % 3 != 0)
		return CHIP_SYNTAX_ERROR;
	for (size_t i = 1; i + 2 < len; i += 3)
		c->regs[(cmd[i] << 8) | cmd[i + 1]] = cmd[i + 2];
	return reply_empty(r, cmd[0]);
}

static enum chip_outcome read_gpio(struct chip_reply *r)
{
	reply_begin(r, CMD_READ_GPIO);
	reply_byte(r, 0xFF); /* P3 */
	reply_byte(r, 0x07); /* P7 */
	reply_byte(r, 0x00); /* I0/I1: HSU interface selected */
	return CHIP_REPLY;
}

static enum chip_outcome sam_configuration(struct chip *c, const uint8_t *cmd, size_t len, struct chip_reply *r)
{
	if (len < 2 || cmd[1] < 1 || cmd[1] > 4)
		return CHIP_SYNTAX_ERROR;
	c->sam_mode = cmd[1];
	return reply_empty(r, cmd[0]);
}

static enum chip_outcome rf_configuration(struct chip *c, struct tagset *ts, const uint8_t *cmd, size_t len,
					  struct chip_reply *r)
{
	static const struct { uint8_t item; size_t size; } items[] = {
		{ 0x01, 1 }, { 0x02, 3 }, { 0x04, 1 }, { 0x05, 3 },
		{ 0x0A, 11 }, { 0x0B, 8 }, { 0x0C, 3 }, { 0x0D, 9 },
	};
	bool known = false;

	if (len < 2)
		return CHIP_SYNTAX_ERROR;
	for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++)
		if (items[i].item == cmd[1]) {
			if (len != 2 + items[i].size)
				return CHIP_SYNTAX_ERROR;
			known = true;
		}
	if (!known)
		return CHIP_SYNTAX_ERROR;
	switch (cmd[1]) {
	case 0x01:
		set_field(c, ts, cmd[2] & 0x01);
		break;
	case 0x02:
		c->retry_timeout = cmd[4];
		break;
	case 0x04:
		c->rty_com = cmd[2];
		break;
	case 0x05:
		c->rty_atr = cmd[2];
		c->rty_psl = cmd[3];
		c->rty_passive = cmd[4];
		break;
	default:
		break; /* timings and analog settings have no effect on emulated tags */
	}
	return reply_empty(r, cmd[0]);
}

/* ---- target table ---- */

static struct chip_target *target_for_tg(struct chip *c, uint8_t tg)
{
	tg &= 0x3F; /* bit 6 is the MI (more information) flag */
	if (tg < 1 || tg > 2 || !c->targets[tg - 1].used)
		return NULL;
	return &c->targets[tg - 1];
}

static struct tag *active_tag(struct chip *c, struct tagset *ts)
{
	if (!c->active_tg || !c->targets[c->active_tg - 1].used)
		return NULL;
	return tagset_find_id(ts, c->targets[c->active_tg - 1].tag_id);
}

/* The initiator automatically switches the field on for RF commands. */
static void ensure_field(struct chip *c, struct tagset *ts)
{
	set_field(c, ts, true);
}

static bool auto_rats(const struct chip *c)
{
	return c->parameters & PARAM_AUTO_RATS;
}

/* HLTA, or S(DESELECT) for a badge in ISO14443-4. */
static void halt_tag(struct chip *c, struct tag *t)
{
	if (!t || !tag_is_selected(t))
		return;
	c->cost += timing_halt(t->state == TAG_PROTOCOL);
	tag_halt(t);
}

/* WUPA/REQA, anticollision and select of t (+ RATS/ATS when AUTO_RATS is on). */
static void activation_cost(struct chip *c, const struct tag *t)
{
	c->cost += timing_activation(t->uid_len, tag_is_iso4(t) && auto_rats(c));
}

/* Make Tg the selected target; a halted tag is woken with WUPA, the other one halted. */
static bool select_tg(struct chip *c, struct tagset *ts, uint8_t tg)
{
	struct chip_target *target = target_for_tg(c, tg);
	struct tag *t;

	tg &= 0x3F;
	if (c->active_tg == tg)
		return active_tag(c, ts) != NULL;
	halt_tag(c, active_tag(c, ts));
	c->active_tg = tg;
	t = target ? tagset_find_id(ts, target->tag_id) : NULL;
	if (!t || t->state == TAG_OFF) {
		c->cost += timing_empty_attempt(); /* WUPA that nobody answers */
		return false;
	}
	activation_cost(c, t);
	tag_select(t, auto_rats(c));
	return true;
}

static bool uid_matches(const struct tag *t, const uint8_t *init, size_t n)
{
	uint8_t uid[TAG_UID_MAX];
	size_t len = 0;

	/* Accept plain UIDs and cascaded ones (CT 0x88 in front of each incomplete level). */
	for (size_t i = 0; i < n && len < TAG_UID_MAX; i++) {
		bool cascade_tag = init[i] == 0x88 && (i == 0 || i == 4) && n >= 8;
		if (!cascade_tag)
			uid[len++] = init[i];
	}
	return len == t->uid_len && memcmp(uid, t->uid, len) == 0;
}

/* REQA reaches IDLE tags at once; a tag that is still selected ignores the
 * first REQA, drops to IDLE and answers the chip's retry. Halted tags stay mute. */
static size_t find_type_a(struct chip *c, struct tagset *ts, const uint8_t *init, size_t init_len,
			  size_t max, struct tag **hits)
{
	size_t found = 0;
	bool retries = c->rty_passive != 0x00;
	bool was_selected[TAG_MAX];

	for (size_t i = 0; i < TAG_MAX; i++) {
		struct tag *t = &ts->tags[i];
		was_selected[i] = t->used && tag_is_selected(t);
		if (was_selected[i])
			t->state = TAG_IDLE;
	}
	for (int pass = 0; pass < 2 && found < max; pass++) {
		for (size_t i = 0; i < TAG_MAX && found < max; i++) {
			struct tag *t = &ts->tags[i];
			if (!t->used || t->state != TAG_IDLE)
				continue;
			if (was_selected[i] != (pass == 1) || (pass == 1 && !retries))
				continue;
			if (init_len && !uid_matches(t, init, init_len))
				continue;
			if (found == 0 && pass == 1) /* found by the chip's retry */
				c->cost += timing_empty_attempt();
			hits[found++] = t;
		}
	}
	return found;
}

static void put_type_a_data(struct chip *c, struct chip_reply *r, uint8_t tg, const struct tag *t)
{
	reply_byte(r, tg);
	reply_bytes(r, t->atqa, 2);
	reply_byte(r, t->sak);
	reply_byte(r, (uint8_t)t->uid_len);
	reply_bytes(r, t->uid, t->uid_len);
	if (tag_is_iso4(t) && auto_rats(c))
		reply_bytes(r, tag_ats, sizeof(tag_ats));
}

/* Selected tags enter the target table; with two, the first is halted so the
 * second can be activated, exactly one tag stays selected (the last one). */
static void activate_found(struct chip *c, struct tag **hits, size_t found, const uint8_t *types)
{
	forget_targets(c);
	if (found)
		c->cost += timing_fw_rf();
	for (size_t i = 0; i < found; i++) {
		activation_cost(c, hits[i]);
		tag_select(hits[i], auto_rats(c));
		if (i + 1 < found)
			halt_tag(c, hits[i]);
		c->targets[i].used = true;
		c->targets[i].tag_id = hits[i]->id;
		c->targets[i].type = types ? types[i] : PTT_MIFARE;
	}
	c->active_tg = (unsigned)found;
}

/* The running command waits: its attempts (polls) start now and repeat every
 * step; it gives up after `total` (negative: never). A badge that arrives is
 * seen at the next attempt (chip_poll). */
static void wait_in_steps(struct chip *c, int64_t step, int64_t total)
{
	if (c->pending_waiting)
		return;
	c->pending_waiting = true;
	c->pending_base = c->exec_start + c->cost;
	c->pending_step = step;
	c->pending_has_deadline = total >= 0;
	c->pending_deadline = c->pending_base + (total > 0 ? total : 0);
}

static enum chip_outcome in_list_passive_target(struct chip *c, struct tagset *ts, const uint8_t *cmd,
						size_t len, struct chip_reply *r)
{
	struct tag *hits[2] = { NULL, NULL };
	size_t found = 0;

	if (len < 3 || cmd[1] < 1 || cmd[1] > 2 || cmd[2] > 0x08)
		return CHIP_SYNTAX_ERROR;
	ensure_field(c, ts);
	forget_targets(c);
	/* Only 106 kbps type A badges exist here; other modulations find nothing. */
	if (cmd[2] == BRTY_ISO14443A_106)
		found = find_type_a(c, ts, cmd + 3, len - 3, cmd[1], hits);
	/* MxRtyPassiveActivation 0xFF retries forever. A finite count takes
	 * (count + 1) attempts; without the timing model it answers at once. */
	if (found == 0 && (c->rty_passive == 0xFF || timing_enabled())) {
		int64_t attempt = timing_empty_attempt();
		wait_in_steps(c, attempt, c->rty_passive == 0xFF ? -1 : (int64_t)(c->rty_passive + 1) * attempt);
		return CHIP_PENDING;
	}
	activate_found(c, hits, found, NULL);
	reply_begin(r, cmd[0]);
	reply_byte(r, (uint8_t)found);
	for (size_t i = 0; i < found; i++)
		put_type_a_data(c, r, (uint8_t)(i + 1), hits[i]);
	return CHIP_REPLY;
}

/* First polled type that fits the tag, or 0xFF. */
static uint8_t autopoll_type_for(const struct tag *t, const uint8_t *types, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (types[i] == PTT_ISO14443_4A && tag_is_iso4(t))
			return types[i];
		if (types[i] == PTT_MIFARE || types[i] == PTT_GENERIC_106)
			return types[i];
	}
	return 0xFF;
}

static enum chip_outcome in_auto_poll(struct chip *c, struct tagset *ts, const uint8_t *cmd, size_t len,
				      struct chip_reply *r)
{
	const uint8_t *types = cmd + 3;
	size_t n_types = len > 3 ? len - 3 : 0;
	struct tag *candidates[2];
	struct tag *hits[2];
	uint8_t hit_types[2] = { 0, 0 };
	size_t found = 0;
	size_t n;

	if (len < 4 || n_types > 15 || cmd[2] < 1 || cmd[2] > 15)
		return CHIP_SYNTAX_ERROR;
	ensure_field(c, ts);
	forget_targets(c);
	n = find_type_a(c, ts, NULL, 0, 2, candidates);
	for (size_t i = 0; i < n; i++) {
		uint8_t type = autopoll_type_for(candidates[i], types, n_types);
		if (type == 0xFF)
			continue;
		hit_types[found] = type;
		hits[found++] = candidates[i];
	}
	if (found == 0) {
		/* One poll per type: its air time, then Period x 150 ms. Without
		 * the timing model a new badge is found at once. */
		int64_t poll = timing_empty_attempt() + timing_autopoll_period(cmd[2]);
		wait_in_steps(c, timing_enabled() ? poll : 0,
			      cmd[1] == 0xFF ? -1 : (int64_t)cmd[1] * (int64_t)n_types * poll);
		return CHIP_PENDING;
	}
	activate_found(c, hits, found, hit_types);
	reply_begin(r, cmd[0]);
	reply_byte(r, (uint8_t)found);
	for (size_t i = 0; i < found; i++) {
		size_t len_pos;
		reply_byte(r, hit_types[i]);
		len_pos = r->len;
		reply_byte(r, 0);
		put_type_a_data(c, r, (uint8_t)(i + 1), hits[i]);
		r->data[len_pos] = (uint8_t)(r->len - len_pos - 1);
	}
	return CHIP_REPLY;
}

static enum chip_outcome in_select(struct chip *c, struct tagset *ts, const uint8_t *cmd, size_t len,
				   struct chip_reply *r)
{
	if (len < 2)
		return CHIP_SYNTAX_ERROR;
	if (!target_for_tg(c, cmd[1]))
		return reply_status(c, r, cmd[0], ST_NOT_ACCEPTABLE);
	c->cost += timing_fw_rf();
	return reply_status(c, r, cmd[0], select_tg(c, ts, cmd[1]) ? ST_OK : ST_TIMEOUT);
}

/* InDeselect halts (HLTA / S(DESELECT)) but keeps the table; InRelease also forgets. */
static enum chip_outcome in_deselect_or_release(struct chip *c, struct tagset *ts, const uint8_t *cmd,
						size_t len, struct chip_reply *r)
{
	bool release = cmd[0] == CMD_IN_RELEASE;

	if (len < 2)
		return CHIP_SYNTAX_ERROR;
	for (uint8_t tg = 1; tg <= 2; tg++) {
		struct chip_target *target = &c->targets[tg - 1];
		if (!target->used || (cmd[1] != 0 && cmd[1] != tg))
			continue;
		halt_tag(c, tagset_find_id(ts, target->tag_id));
		if (c->active_tg == tg)
			c->active_tg = 0;
		if (release)
			target->used = false;
	}
	return reply_status(c, r, cmd[0], ST_OK);
}

static enum chip_outcome reply_exchange(struct chip *c, struct chip_reply *r, uint8_t cmd, uint8_t status,
					const uint8_t *data, size_t n)
{
	reply_status(c, r, cmd, status);
	reply_bytes(r, data, n);
	return CHIP_REPLY;
}

static enum chip_outcome in_data_exchange(struct chip *c, struct tagset *ts, const uint8_t *cmd, size_t len,
					  struct chip_reply *r)
{
	uint8_t out[TAG_REPLY_MAX];
	size_t out_len = 0;
	uint8_t status;
	struct tag *t;
	bool iso4;

	if (len < 2)
		return CHIP_SYNTAX_ERROR;
	if (!target_for_tg(c, cmd[1]))
		return reply_status(c, r, cmd[0], ST_NOT_ACCEPTABLE);
	if ((cmd[1] & 0x3F) != c->active_tg && !select_tg(c, ts, cmd[1]))
		return reply_status(c, r, cmd[0], ST_TIMEOUT);
	t = active_tag(c, ts);
	c->cost += timing_fw_rf();
	if (!t) { /* the badge left the field */
		c->cost += timing_no_answer(len - 2, c->retry_timeout);
		return reply_status(c, r, cmd[0], ST_TIMEOUT);
	}
	iso4 = t->state == TAG_PROTOCOL;
	status = tag_data_exchange(t, cmd + 2, len - 2, out, &out_len);
	if (status == ST_TIMEOUT)
		c->cost += timing_no_answer(len - 2, c->retry_timeout);
	else if (!iso4 && len > 2 && (cmd[2] == 0x60 || cmd[2] == 0x61))
		c->cost += timing_mifare_auth();
	else
		c->cost += timing_exchange(len - 2, out_len, iso4);
	return reply_exchange(c, r, cmd[0], status, out, status == ST_OK ? out_len : 0);
}

static enum chip_outcome in_communicate_thru(struct chip *c, struct tagset *ts, const uint8_t *cmd, size_t len,
					     struct chip_reply *r)
{
	uint8_t out[TAG_REPLY_MAX];
	size_t out_len = 0;
	uint8_t status = ST_TIMEOUT;
	struct tag *t;

	ensure_field(c, ts);
	t = active_tag(c, ts);
	/* Short frames (TxLastBits != 0: REQA, anticollision by hand) are not emulated. */
	if (t && (c->regs[REG_CIU_BIT_FRAMING] & 0x07) == 0)
		status = tag_raw_exchange(t, cmd + 1, len - 1, out, &out_len);
	c->cost += timing_fw_rf();
	if (status == ST_TIMEOUT)
		c->cost += timing_no_answer(len - 1, c->retry_timeout);
	else
		c->cost += timing_exchange(len - 1, out_len, false);
	return reply_exchange(c, r, cmd[0], status, out, status == ST_OK ? out_len : 0);
}

static enum chip_outcome execute(struct chip *c, struct tagset *ts, const uint8_t *cmd, size_t len,
				 struct chip_reply *r)
{
	switch (cmd[0]) {
	case CMD_DIAGNOSE:
		return diagnose(c, cmd, len, r);
	case CMD_GET_FIRMWARE_VERSION:
		return firmware_version(r);
	case CMD_GET_GENERAL_STATUS:
		return general_status(c, r);
	case CMD_READ_REGISTER:
		return read_register(c, cmd, len, r);
	case CMD_WRITE_REGISTER:
		return write_register(c, cmd, len, r);
	case CMD_READ_GPIO:
		return read_gpio(r);
	case CMD_WRITE_GPIO:
	case CMD_SET_SERIAL_BAUD_RATE:
		return len >= 2 ? reply_empty(r, cmd[0]) : CHIP_SYNTAX_ERROR;
	case CMD_SET_PARAMETERS:
		if (len < 2)
			return CHIP_SYNTAX_ERROR;
		c->parameters = cmd[1];
		return reply_empty(r, cmd[0]);
	case CMD_SAM_CONFIGURATION:
		return sam_configuration(c, cmd, len, r);
	case CMD_POWER_DOWN:
		return len >= 2 ? reply_status(c, r, cmd[0], ST_OK) : CHIP_SYNTAX_ERROR;
	case CMD_RF_CONFIGURATION:
		return rf_configuration(c, ts, cmd, len, r);
	case CMD_IN_LIST_PASSIVE_TARGET:
		return in_list_passive_target(c, ts, cmd, len, r);
	case CMD_IN_AUTO_POLL:
		return in_auto_poll(c, ts, cmd, len, r);
	case CMD_IN_SELECT:
		return in_select(c, ts, cmd, len, r);
	case CMD_IN_DESELECT:
	case CMD_IN_RELEASE:
		return in_deselect_or_release(c, ts, cmd, len, r);
	case CMD_IN_DATA_EXCHANGE:
		return in_data_exchange(c, ts, cmd, len, r);
	case CMD_IN_COMMUNICATE_THRU:
		return in_communicate_thru(c, ts, cmd, len, r);
	case CMD_IN_JUMP_FOR_DEP:
		/* No NFC-DEP peer is ever in the field. */
		return len >= 4 ? reply_status(c, r, cmd[0], ST_TIMEOUT) : CHIP_SYNTAX_ERROR;
	case CMD_IN_ATR:
	case CMD_IN_PSL:
		return len >= 2 ? reply_status(c, r, cmd[0], ST_NOT_ACCEPTABLE) : CHIP_SYNTAX_ERROR;
	default:
		/* Target-mode and other commands: the chip's syntax-error frame. */
		return CHIP_SYNTAX_ERROR;
	}
}

static void clear_pending(struct chip *c)
{
	c->pending_len = 0;
	c->pending_waiting = false;
	c->pending_has_deadline = false;
	c->pending_check = 0;
}

enum chip_outcome chip_execute(struct chip *c, struct tagset *ts, const uint8_t *cmd, size_t len,
			       struct chip_reply *r, int64_t start)
{
	enum chip_outcome out;

	c->asleep = false;
	clear_pending(c);
	c->exec_start = start;
	c->cost = timing_fw_command();
	out = execute(c, ts, cmd, len, r);
	r->ready = start + c->cost;
	if (out == CHIP_PENDING) {
		if (len > CHIP_PENDING_MAX) {
			clear_pending(c);
			return CHIP_SYNTAX_ERROR;
		}
		memcpy(c->pending, cmd, len);
		c->pending_len = len;
		log_note("%s waits for a badge", chip_command_name(cmd[0]));
	}
	return out;
}

bool chip_is_pending(const struct chip *c)
{
	return c->pending_len != 0;
}

void chip_abort(struct chip *c)
{
	if (c->pending_len)
		log_note("%s aborted by the host", chip_command_name(c->pending[0]));
	clear_pending(c);
}

/* The first attempt at or after now. Attempt 0, at the base, was the one
 * chip_execute() made; the next ones start at base + k * step. */
static int64_t next_attempt(const struct chip *c, int64_t now)
{
	int64_t k;

	if (c->pending_step <= 0)
		return now > c->pending_base ? now : c->pending_base;
	k = (now - c->pending_base + c->pending_step - 1) / c->pending_step;
	return c->pending_base + (k < 1 ? 1 : k) * c->pending_step;
}

bool chip_poll(struct chip *c, struct tagset *ts, struct chip_reply *r, int64_t now)
{
	int64_t at;

	if (!c->pending_len)
		return false;
	if (c->pending_has_deadline && now >= c->pending_deadline) { /* the last attempt found nobody */
		forget_targets(c);
		reply_begin(r, c->pending[0]);
		reply_byte(r, 0);
		r->ready = c->pending_deadline;
		clear_pending(c);
		return true;
	}
	if (c->pending_check && now >= c->pending_check) {
		at = c->pending_check;
		c->pending_check = 0;
	} else {
		at = next_attempt(c, now);
		if (c->pending_has_deadline && at >= c->pending_deadline)
			return false; /* the chip gives up before its next attempt */
		/* The badges are looked at when the attempt happens: one taken
		 * away before then was never seen, as with a quick tap. */
		if (timing_enabled() && at > now) {
			if (!c->pending_check || at < c->pending_check)
				c->pending_check = at;
			return false;
		}
	}
	c->exec_start = at;
	c->cost = 0;
	if (execute(c, ts, c->pending, c->pending_len, r) != CHIP_REPLY)
		return false;
	r->ready = at + c->cost;
	clear_pending(c);
	return true;
}

void chip_badge_arrives(struct chip *c, int64_t now)
{
	if (c->pending_check && c->pending_check <= now)
		c->pending_check = 0;
}

bool chip_deadline(const struct chip *c, int64_t *deadline)
{
	if (!c->pending_len || (!c->pending_has_deadline && !c->pending_check))
		return false;
	*deadline = c->pending_has_deadline ? c->pending_deadline : c->pending_check;
	if (c->pending_check && c->pending_check < *deadline)
		*deadline = c->pending_check;
	return true;
}
