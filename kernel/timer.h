/*
 * timer.h - kernel time: the periodic tick and TSC-based timestamps.
 *
 * The PIT interrupts TIMER_HZ times a second; each interrupt adds one to the
 * tick counter, which is what `uptime` reports and what wakes the idle loop's
 * hlt. Finer measurements (boot time, benchmarks) use the TSC, whose
 * frequency timer_init() measures once against the PIT.
 */
#ifndef KERNEL_TIMER_H
#define KERNEL_TIMER_H

#include <stdint.h>

#define TIMER_HZ 100

/*
 * Measure the TSC, start the periodic tick and route IRQ 0. entry_tsc is the
 * TSC value boot.asm read at the kernel's first instruction. Boot CPU, after
 * pic_init(), before interrupts are enabled.
 */
void timer_init(uint64_t entry_tsc);

/* Ticks since timer_init(). */
uint64_t timer_ticks(void);

/* Measured TSC frequency in Hz (0 before timer_init()). */
uint64_t timer_tsc_hz(void);

/* Microseconds between two TSC readings. */
uint64_t timer_tsc_to_us(uint64_t cycles);

/* Microseconds since the kernel's first instruction, by the TSC. */
uint64_t timer_us_since_entry(void);

/* The TSC value at the kernel's first instruction. */
uint64_t timer_entry_tsc(void);

/* Record "the shell is ready" now; uptime reports entry-to-prompt time. */
void timer_mark_ready(void);

/* Microseconds from kernel entry to timer_mark_ready(), 0 if not yet marked. */
uint64_t timer_boot_us(void);

#endif
