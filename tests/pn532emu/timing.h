/* Timing model: UART line time and the chip's time per command (firmware +
 * RF air time). Every figure and its source is in timing.c and README.md.
 * With the model off (--no-timing) every function returns 0. */
#ifndef PN532EMU_TIMING_H
#define PN532EMU_TIMING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define TIMING_DEFAULT_BAUD 115200u

/* Times are CLOCK_MONOTONIC nanoseconds. */
int64_t timing_now(void);
struct timespec timing_timespec(int64_t ns);

void timing_configure(bool on, unsigned baud);
bool timing_enabled(void);

/* n bytes on the UART (10 bits each: start, 8 data, stop). */
int64_t timing_uart(size_t n);

/* Firmware: receive-to-ACK, and executing a command with no RF work. */
int64_t timing_fw_ack(void);
int64_t timing_fw_command(void);
/* Extra firmware set-up of an RF command (CIU, timers, target table). */
int64_t timing_fw_rf(void);

int64_t timing_field_on_settle(void);
/* One activation attempt that nobody answers (REQA ... retry). */
int64_t timing_empty_attempt(void);
/* REQA/WUPA, ATQA, anticollision + select per cascade level, RATS/ATS. */
int64_t timing_activation(size_t uid_len, bool rats);
/* HLTA (no answer expected), or S(DESELECT) and its answer in ISO14443-4. */
int64_t timing_halt(bool iso4);
/* One command/response exchange: payload bytes each way (CRC_A added,
 * plus the PCB byte of an ISO14443-4 block). */
int64_t timing_exchange(size_t tx, size_t rx, bool iso4);
/* MIFARE Classic AUTH: 4 frames (AUTH, nT, nR+aR, aT). */
int64_t timing_mifare_auth(void);
/* The chip sends tx payload bytes and nobody answers: fRetryTimeout
 * (RFConfiguration item 0x02, third byte) elapses. */
int64_t timing_no_answer(size_t tx, uint8_t retry_timeout_code);
/* InAutoPoll: Period in units of 150 ms. */
int64_t timing_autopoll_period(uint8_t period);

#endif
