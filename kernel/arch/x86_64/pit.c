/*
 * pit.c - periodic tick and TSC calibration on the 8254 (see pit.h).
 *
 * Command byte (port 0x43): channel (bits 7-6), access mode lo/hi byte
 * (bits 5-4 = 11), operating mode (bits 3-1), binary counting (bit 0 = 0).
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

#define CALIBRATION_MS 10

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

uint64_t pit_measure_tsc_hz(void)
{
	uint32_t count = PIT_INPUT_HZ * CALIBRATION_MS / 1000;
	uint8_t port61 = inb(PORT_61);

	/* Gate off and speaker off while we program the one-shot. */
	outb(PORT_61, (port61 & ~(PORT_61_GATE2 | PORT_61_SPEAKER)));
	outb(PIT_COMMAND, PIT_CMD_CHANNEL2 | PIT_CMD_LOHI | PIT_CMD_MODE0);
	outb(PIT_CHANNEL2, count & 0xff);
	outb(PIT_CHANNEL2, count >> 8);

	/* Raising the gate starts the count; OUT2 goes high when it reaches 0. */
	outb(PORT_61, (port61 & ~PORT_61_SPEAKER) | PORT_61_GATE2);
	uint64_t start = rdtsc();
	while (!(inb(PORT_61) & PORT_61_OUT2))
		cpu_relax();
	uint64_t cycles = rdtsc() - start;

	outb(PORT_61, port61);
	return cycles * (1000 / CALIBRATION_MS);
}
