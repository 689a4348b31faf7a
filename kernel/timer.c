/*
 * timer.c - tick counters and TSC conversions (`uptime` shows them:
 * kernel/commands/timer_commands.c).
 *
 * The tick comes from each CPU's local APIC timer (VEC_LOCAL_TIMER), or,
 * on the 8259 fallback without an I/O APIC, from the PIT on IRQ 0 (CPU 0
 * only). Where the LAPIC timer ticks, the PIT only measures the TSC at
 * boot (channel 2, polled); channel 0 is stopped and IRQ 0 stays masked.
 * Invariants:
 *   [x] ticks only ever increase, and only in CPU 0's tick: by one, or to
 *       the periods the TSC says have passed since the tick started if
 *       more (lost interrupts are counted late, never skipped);
 *   [x] timer_ticks() is the larger of ticks and those periods, so it
 *       never goes back and a deadline read from it is never stale;
 *   [x] cpu_ticks[c] is written only by CPU c's tick;
 *   [x] tsc_hz is set once, before interrupts are first enabled.
 * A 64-bit counter read on x86-64 is a single load, so readers need no
 * lock; each counter has one writer.
 */
#include "kernel/timer.h"

#include "drivers/fbcon.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/lapic.h"
#include "kernel/arch/x86_64/pic.h"
#include "kernel/arch/x86_64/pit.h"
#include "kernel/arch/x86_64/trap.h"
#include "kernel/arch/x86_64/vectors.h"
#include "kernel/sched/schedule.h"
#include "kernel/smp/lockup.h"
#include "lib/compiler.h"
#include "mm/arch.h"

static volatile uint64_t ticks;
static uint64_t cpu_ticks[MM_MAX_CPUS];
static uint64_t tsc_hz;
static uint64_t tsc_at_entry;
static uint64_t tsc_at_ready;
static uint64_t tsc_at_tick_start; /* the TSC when the tick started: ticks counts periods since */
static uint64_t tsc_per_tick;      /* TSC cycles per tick period (0: the TSC rate is unknown) */

/* Tick periods the TSC says have passed since the tick started (0: rate unknown). */
static uint64_t ticks_due(void)
{
	return tsc_per_tick ? (rdtsc() - tsc_at_tick_start) / tsc_per_tick : 0;
}

/* Every CPU's tick: its own count; CPU 0's also the global one. */
static void timer_tick(void)
{
	ASSERT_IRQS_OFF();
	unsigned cpu = arch_cpu_id();

	__atomic_store_n(&cpu_ticks[cpu], cpu_ticks[cpu] + 1, __ATOMIC_RELAXED);
	if (cpu == 0) {
		/*
		 * ticks follows the TSC: a period whose interrupt never came (an
		 * emulator whose timer thread the host starved merges late periods
		 * into one interrupt) is counted at the next one, so sleeps and
		 * IPC timeouts, which count ticks, keep the clock's time. At least
		 * one per interrupt.
		 */
		uint64_t due = ticks_due();
		ticks = MAX(due, ticks + 1);
		fbcon_tick(); /* the screen: draw output a burst left waiting */
	}
	lockup_tick();      /* debug mode: is the peer CPU still ticking? */
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
	tsc_per_tick = tsc_hz / TIMER_HZ;
	tsc_at_tick_start = rdtsc();
	if (lapic_in_use()) {
		pit_stop(); /* whatever the firmware left running on channel 0: IRQ 0 is masked */
		trap_register_vector(VEC_LOCAL_TIMER, timer_tick);
		lapic_timer_start_this_cpu(); /* the other CPUs start theirs as they come up */
	} else {
		pit_start_periodic(TIMER_HZ);
		trap_register_irq(IRQ_TIMER, timer_tick);
	}
}

uint64_t timer_cpu_ticks(unsigned cpu)
{
	return cpu < MM_MAX_CPUS ? __atomic_load_n(&cpu_ticks[cpu], __ATOMIC_RELAXED) : 0;
}

const char *timer_tick_source(void)
{
	return lapic_in_use() ? "local APIC timer" : "PIT (IRQ 0)";
}

uint64_t timer_ticks(void)
{
	/*
	 * A reader between a lost interrupt and the next one sees the periods
	 * passed too: a deadline taken from a stale count would end early once
	 * the next tick caught up.
	 */
	uint64_t t = ticks, due = ticks_due(); /* MAX reads its arguments twice */

	return MAX(t, due);
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
