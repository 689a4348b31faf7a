/*
 * pit.h - the 8253/8254 programmable interval timer.
 *
 * Its input clock runs at 1.193182 MHz on every PC. Channel 0 drives IRQ 0:
 * we program it as a rate generator for the periodic tick. Channel 2's gate
 * and output are wired to port 0x61, which lets us time a fixed interval by
 * polling, without interrupts: that is how the TSC frequency is measured.
 */
#ifndef ARCH_X86_64_PIT_H
#define ARCH_X86_64_PIT_H

#include <stdint.h>

#define PIT_INPUT_HZ 1193182u

/* Program channel 0 to interrupt hz times a second (19..1193182). */
void pit_start_periodic(uint32_t hz);

/* Stop channel 0: a mode word without a count holds its output (no more IRQ 0 edges). */
void pit_stop(void);

/*
 * Measure the TSC frequency in Hz over at least 10 ms of channel 2's
 * one-shot count, each end a (TSC, latched count) pair read in a narrow
 * TSC bracket, so a stall of the (virtual) CPU at any moment does not
 * skew it. 0 only if every try ran past the count's 55 ms. Interrupts may
 * be on or off; takes about 10 ms.
 */
uint64_t pit_measure_tsc_hz(void);

#endif
