/*
 * pit.c - periodic tick and TSC calibration on the 8254 (see pit.h).
 *
 * Command byte (port 0x43): channel (bits 7-6), access mode lo/hi byte
 * (bits 5-4 = 11; 00 latches the count), operating mode (bits 3-1), binary
 * counting (bit 0 = 0).
 *
 * The calibration pairs a TSC reading with a PIT count at both ends of the
 * interval instead of timing "until OUT2 goes high": under an emulator the
 * host may stop the virtual CPU for tens of milliseconds anywhere, and a
 * stall between the count's end and the TSC reading that notices it made a
 * 10 ms interval look 20-80 ms long (TSC rates of 2-3x the truth were seen
 * under TCG on a loaded host, and with them a tick 2-3x too slow).
 *
 * Invariants:
 *   [x] a calibration sample's TSC value is taken within the narrowest
 *       bracket of TSC_BRACKET_READS reads around its latch;
 *   [x] a measurement whose count ran out (OUT2 high) is discarded, never
 *       computed across the wrap.
 */
#include "kernel/arch/x86_64/pit.h"

#include "kernel/arch/x86_64/cpu.h"

#define PIT_CHANNEL0 0x40
#define PIT_CHANNEL2 0x42
#define PIT_COMMAND 0x43
#define PIT_CMD_CHANNEL0 (0u << 6)
#define PIT_CMD_CHANNEL2 (2u << 6)
#define PIT_CMD_LOHI (3u << 4)            /* write low byte then high byte */
#define PIT_CMD_MODE0 (0u << 1)           /* interrupt on terminal count (one-shot) */
#define PIT_CMD_MODE2 (2u << 1)           /* rate generator (periodic) */

#define PORT_61 0x61                      /* system control port B */
#define PORT_61_GATE2 0x01                /* channel 2 gate: counting enabled */
#define PORT_61_SPEAKER 0x02              /* speaker data: keep off */
#define PORT_61_OUT2 0x20                 /* channel 2 output (read only) */

#define PIT_CMD_LATCH (0u << 4)           /* access mode 00: latch the count for reading */

#define CALIBRATION_COUNTS (PIT_INPUT_HZ / 100) /* 10 ms of PIT input, of 0xffff (55 ms) */
#define CALIBRATION_TRIES 4                     /* a stall past the count's end: again */

void pit_start_periodic(uint32_t hz)
{
	uint32_t divisor = PIT_INPUT_HZ / hz;

	if (divisor > 0xffff)
		divisor = 0xffff;
	outb(PIT_COMMAND, PIT_CMD_CHANNEL0 | PIT_CMD_LOHI | PIT_CMD_MODE2);
	outb(PIT_CHANNEL0, divisor & 0xff);
	outb(PIT_CHANNEL0, divisor >> 8);
}

void pit_stop(void)
{
	/* Mode 0: OUT goes low at the mode write and counting waits for a count. */
	outb(PIT_COMMAND, PIT_CMD_CHANNEL0 | PIT_CMD_LOHI | PIT_CMD_MODE0);
}

/* Channel 2's count, latched (paired with the TSC by rdtsc_bracketed). */
static uint32_t read_count2(void)
{
	outb(PIT_COMMAND, PIT_CMD_CHANNEL2 | PIT_CMD_LATCH);
	uint8_t lo = inb(PIT_CHANNEL2);
	uint8_t hi = inb(PIT_CHANNEL2);
	return (uint32_t)(lo | hi << 8);
}

/* Channel 2's count and, in *tsc, the TSC at its latch. */
static uint16_t sample_count2(uint64_t *tsc)
{
	return (uint16_t)rdtsc_bracketed(read_count2, tsc);
}

/* One measurement: 0 when the count ran out (a stall longer than the slack). */
static uint64_t measure_once(void)
{
	uint8_t port61 = inb(PORT_61);
	uint64_t tsc0, tsc1, hz = 0;

	/* Gate off and speaker off while we program the one-shot from the top. */
	outb(PORT_61, (port61 & ~(PORT_61_GATE2 | PORT_61_SPEAKER)));
	outb(PIT_COMMAND, PIT_CMD_CHANNEL2 | PIT_CMD_LOHI | PIT_CMD_MODE0);
	outb(PIT_CHANNEL2, 0xff);
	outb(PIT_CHANNEL2, 0xff);
	/* Raising the gate starts the count; OUT2 goes high when it reaches 0. */
	outb(PORT_61, (port61 & ~PORT_61_SPEAKER) | PORT_61_GATE2);
	uint16_t c0 = sample_count2(&tsc0), c1 = c0;
	while (!(inb(PORT_61) & PORT_61_OUT2) && (unsigned)(c0 - c1) < CALIBRATION_COUNTS) {
		uint64_t ignored;
		c1 = sample_count2(&ignored);
	}
	c1 = sample_count2(&tsc1);
	if (!(inb(PORT_61) & PORT_61_OUT2) && c1 < c0) /* not run out: no wrap past 0 */
		hz = (tsc1 - tsc0) * PIT_INPUT_HZ / (uint64_t)(c0 - c1);
	outb(PORT_61, port61);
	return hz;
}

uint64_t pit_measure_tsc_hz(void)
{
	uint64_t hz = 0;

	for (unsigned i = 0; i < CALIBRATION_TRIES && hz == 0; i++)
		hz = measure_once();
	return hz;
}
