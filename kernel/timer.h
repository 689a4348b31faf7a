/*
 * timer.h - kernel time: the periodic tick and TSC-based timestamps.
 *
 * Each CPU's local APIC timer interrupts it TIMER_HZ times a second (the
 * PIT on IRQ 0 instead, CPU 0 only, where there is no I/O APIC); CPU 0's
 * ticks advance the global tick counter, which is what `uptime` reports,
 * and every CPU's tick runs the scheduler's tick for its own queue and
 * wakes its idle loop's hlt. Finer measurements (boot time, benchmarks) use
 * the TSC, whose frequency timer_init() measures once against the PIT.
 */
#ifndef KERNEL_TIMER_H
#define KERNEL_TIMER_H

#include <stdint.h>

#define TIMER_HZ 100

/*
 * Measure the TSC, then start CPU 0's periodic tick: the LAPIC timer on
 * VEC_LOCAL_TIMER where the local APIC is in use (the other CPUs call
 * lapic_timer_start_this_cpu() themselves), else the PIT on IRQ 0.
 * entry_tsc is the TSC value boot.asm read at the kernel's first
 * instruction. Boot CPU, after pic_init() and the APIC set-up, before
 * interrupts are enabled.
 */
void timer_init(uint64_t entry_tsc);

/*
 * Tick periods since timer_init(): CPU 0's tick count, advanced by one
 * per interrupt, or more where the TSC shows interrupts were lost (a
 * stalled emulator), and never less than the periods the TSC says have
 * passed, so tick deadlines keep real time. Any context.
 */
uint64_t timer_ticks(void);

/* Timer interrupts cpu has taken (0 for a CPU that never ticked). Any context. */
uint64_t timer_cpu_ticks(unsigned cpu);

/* What drives the tick: "local APIC timer" or "PIT (IRQ 0)". */
const char *timer_tick_source(void);

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
