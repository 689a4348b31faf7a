/*
 * timer.c - tick counter and TSC conversions (`uptime` shows them:
 * kernel/commands/timer_commands.c).
 *
 * Invariants:
 *   [x] ticks only ever increase, and only in the IRQ 0 handler;
 *   [x] tsc_hz is set once, before interrupts are first enabled.
 * A 64-bit tick counter read on x86-64 is a single load, so readers need no
 * lock on one CPU.
 */
#include "kernel/timer.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/pic.h"
#include "kernel/arch/x86_64/pit.h"
#include "kernel/arch/x86_64/trap.h"
#include "kernel/sched/schedule.h"
#include "kernel/smp/lockup.h"
#include "lib/compiler.h"
#include "mm/arch.h"

static volatile uint64_t ticks;
static uint64_t tsc_hz;
static uint64_t tsc_at_entry;
static uint64_t tsc_at_ready;

static void timer_irq(void)
{
	ASSERT_IRQS_OFF();
	ticks++;
	lockup_tick();      /* this CPU's count; debug mode: is the peer CPU still ticking? */
	sched_timer_tick(); /* time slices, sleepers due: may ask for a reschedule */
}

void timer_init(uint64_t entry_tsc)
{
	ASSERT_IRQS_OFF();
	uint64_t a, b, c;

	tsc_at_entry = entry_tsc;
	/* Median of three 10 ms measurements: one disturbed reading does not count. */
	a = pit_measure_tsc_hz();
	b = pit_measure_tsc_hz();
	c = pit_measure_tsc_hz();
	tsc_hz = MAX(MIN(a, b), MIN(MAX(a, b), c));
	pit_start_periodic(TIMER_HZ);
	trap_register_irq(IRQ_TIMER, timer_irq);
}

uint64_t timer_ticks(void)
{
	return ticks;
}

uint64_t timer_tsc_hz(void)
{
	return tsc_hz;
}

uint64_t timer_tsc_to_us(uint64_t cycles)
{
	if (tsc_hz == 0)
		return 0;
	/* Split to avoid overflowing cycles * 10^6 for long intervals. */
	return cycles / tsc_hz * 1000000 + cycles % tsc_hz * 1000000 / tsc_hz;
}

uint64_t timer_us_since_entry(void)
{
	return timer_tsc_to_us(rdtsc() - tsc_at_entry);
}

uint64_t timer_entry_tsc(void)
{
	return tsc_at_entry;
}

void timer_mark_ready(void)
{
	tsc_at_ready = rdtsc();
}

uint64_t timer_boot_us(void)
{
	return tsc_at_ready ? timer_tsc_to_us(tsc_at_ready - tsc_at_entry) : 0;
}
