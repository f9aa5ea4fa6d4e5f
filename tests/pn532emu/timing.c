#include "timing.h"

/*
 * The figures of the timing model, in one place. README.md ("Timing model")
 * has the same table with the source of each figure. "Estimate" means that
 * no published figure was found; the comment says how it was derived.
 */

/* ---- UART (HSU) ---- */
#define UART_BITS_PER_BYTE 10 /* start + 8 data + stop, no parity (UM0701-02 6.2.3) */

/* ---- ISO/IEC 14443-2/-3 type A at 106 kbit/s ---- */
#define FC_HZ 13560000LL    /* carrier frequency fc */
#define ETU_FC 128          /* one bit = 128/fc = 9.44 us */
#define SHORT_FRAME_ETU 9   /* REQA/WUPA: S + 7 data bits + E */
#define FDT_PCD_PICC_FC 1236 /* (n*128 + 84)/fc with n = 9 (last bit 1) */
#define FDT_PICC_PCD_FC 1172 /* minimum (n*128 + 20)/fc, n = 9, before the next PCD frame */
#define REQUEST_GUARD_FC 7000 /* minimum between the starts of two REQA */
#define HLTA_SILENCE_NS 1000000LL /* HLTA counts as acknowledged after 1 ms of silence */
#define CRC_A_BYTES 2

/* ---- PN532 firmware (estimates, see README.md) ---- */
#define FW_ACK_NS 200000LL         /* complete frame received -> ACK ready */
#define FW_COMMAND_NS 300000LL     /* ACK sent -> answer of a command without RF work */
#define FW_RF_NS 1000000LL         /* extra for an RF command: CIU set-up, target table */
#define FW_ATTEMPT_NS 500000LL     /* firmware per activation attempt (timer, CIU reload) */
#define FIELD_ON_SETTLE_NS 5000000LL /* field on -> first REQA (ISO 14443-3 PICC power-up) */
#define RETRY_TIMEOUT_UNIT_NS 100000LL /* fRetryTimeout code n: 100 us * 2^(n-1) (UM0701-02) */
#define AUTOPOLL_PERIOD_UNIT_NS 150000000LL /* InAutoPoll Period unit (UM0701-02) */

static bool model_on = true;
static unsigned line_baud = TIMING_DEFAULT_BAUD;

int64_t timing_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

struct timespec timing_timespec(int64_t ns)
{
	struct timespec ts;

	if (ns < 0)
		ns = 0;
	ts.tv_sec = (time_t)(ns / 1000000000LL);
	ts.tv_nsec = (long)(ns % 1000000000LL);
	return ts;
}

void timing_configure(bool on, unsigned baud)
{
	model_on = on;
	line_baud = baud ? baud : TIMING_DEFAULT_BAUD;
}

bool timing_enabled(void)
{
	return model_on;
}

static int64_t on(int64_t ns)
{
	return model_on ? ns : 0;
}

static int64_t fc_ns(int64_t cycles)
{
	return cycles * 1000000000LL / FC_HZ;
}

int64_t timing_uart(size_t n)
{
	return on((int64_t)n * UART_BITS_PER_BYTE * 1000000000LL / line_baud);
}

int64_t timing_fw_ack(void)
{
	return on(FW_ACK_NS);
}

int64_t timing_fw_command(void)
{
	return on(FW_COMMAND_NS);
}

int64_t timing_fw_rf(void)
{
	return on(FW_RF_NS);
}

int64_t timing_field_on_settle(void)
{
	return on(FIELD_ON_SETTLE_NS);
}

/* A standard frame: S, 9 bits per byte (8 data + odd parity), E. */
static int64_t frame_ns(size_t bytes)
{
	return fc_ns((int64_t)(2 + 9 * bytes) * ETU_FC);
}

/* PCD frame, the PICC's answer after FDT, and the turnaround before the next PCD frame. */
static int64_t exchange_ns(int64_t tx_ns, int64_t rx_ns)
{
	return tx_ns + fc_ns(FDT_PCD_PICC_FC) + rx_ns + fc_ns(FDT_PICC_PCD_FC);
}

int64_t timing_empty_attempt(void)
{
	/* REQA (85 us) + FDT (91 us) + the ATQA window (189 us) fit in the
	 * request guard time (516 us); the firmware adds its own time. */
	return on(fc_ns(REQUEST_GUARD_FC) + FW_ATTEMPT_NS);
}

int64_t timing_activation(size_t uid_len, bool rats)
{
	size_t levels = uid_len <= 4 ? 1 : uid_len <= 7 ? 2 : 3;
	int64_t ns = exchange_ns(fc_ns(SHORT_FRAME_ETU * ETU_FC), frame_ns(2)); /* REQA -> ATQA */

	/* Per cascade level: ANTICOLLISION (SEL NVB) -> UID CLn + BCC (5 bytes,
	 * no CRC), then SELECT (SEL NVB UID BCC CRC) -> SAK + CRC. */
	ns += (int64_t)levels * (exchange_ns(frame_ns(2), frame_ns(5)) + exchange_ns(frame_ns(9), frame_ns(3)));
	if (rats) /* RATS (E0 param CRC) -> ATS (6 bytes + CRC) */
		ns += exchange_ns(frame_ns(2 + CRC_A_BYTES), frame_ns(6 + CRC_A_BYTES));
	return on(ns);
}

int64_t timing_halt(bool iso4)
{
	if (iso4) /* S(DESELECT) C2 + CRC -> C2 + CRC */
		return on(exchange_ns(frame_ns(1 + CRC_A_BYTES), frame_ns(1 + CRC_A_BYTES)));
	return on(frame_ns(2 + CRC_A_BYTES) + HLTA_SILENCE_NS);
}

int64_t timing_exchange(size_t tx, size_t rx, bool iso4)
{
	size_t extra = CRC_A_BYTES + (iso4 ? 1 : 0);

	return on(exchange_ns(frame_ns(tx + extra), frame_ns(rx + extra)));
}

int64_t timing_mifare_auth(void)
{
	return on(exchange_ns(frame_ns(2 + CRC_A_BYTES), frame_ns(4)) + exchange_ns(frame_ns(8), frame_ns(4)));
}

int64_t timing_no_answer(size_t tx, uint8_t retry_timeout_code)
{
	int64_t wait = 0;

	if (retry_timeout_code > 0x10)
		retry_timeout_code = 0x10;
	if (retry_timeout_code)
		wait = RETRY_TIMEOUT_UNIT_NS << (retry_timeout_code - 1);
	return on(frame_ns(tx + CRC_A_BYTES) + wait);
}

/* Not switched off by --no-timing: the emulator always waited this long. */
int64_t timing_autopoll_period(uint8_t period)
{
	return (int64_t)period * AUTOPOLL_PERIOD_UNIT_NS;
}
