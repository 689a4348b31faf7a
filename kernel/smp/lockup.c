/*
 * lockup.c - the hard-lockup detector (see lockup.h): each CPU watching
 * its successor among the online CPUs, the RIP fetched by NMI (kernel/smp/cpu_stop.h) for the report.
 *
 * The watcher measures the stretch in its own ticks (TIMER_HZ a second),
 * so no clock is shared; the last count seen and the watcher tick at which
 * it was seen are the watcher's own state about its peer.
 *
 * The counts are the timer's (timer_cpu_ticks, one writer each).
 * Invariants:
 *   [x] seen/since/reported[cpu] are written only by cpu's watcher.
 * Context: timer interrupt, interrupts off; no lock.
 */
#include "kernel/smp/lockup.h"

#include "kernel/sched/schedule.h"
#include "kernel/smp/cpu_stop.h"
#include "kernel/smp/smp.h"
#include "kernel/timer.h"
#include "lib/printf.h"
#include "mm/arch.h"

#define LOCKUP_HARD_TICKS ((uint64_t)LOCKUP_HARD_MS * TIMER_HZ / 1000)

/* About the peer it watches, kept by the watcher: */
static uint64_t seen[SMP_MAX_CPUS];      /* the peer's count last time it moved */
static uint64_t since[SMP_MAX_CPUS];     /* the watcher's own count then */
static bool reported[SMP_MAX_CPUS];      /* this stretch was reported */
static uint64_t reports;

/* The online CPU after cpu (wrapping); cpu itself if it is alone. */
static unsigned peer_of(unsigned cpu)
{
	for (unsigned i = 1; i < SMP_MAX_CPUS; i++) {
		unsigned p = (cpu + i) % SMP_MAX_CPUS;
		if (smp_cpu_online(p))
			return p;
	}
	return cpu;
}

static void watch(unsigned self, unsigned peer)
{
	uint64_t now = timer_cpu_ticks(self), count = timer_cpu_ticks(peer);

	if (count != seen[peer] || count == 0) { /* moving, or not started: nothing to say */
		seen[peer] = count;
		since[peer] = now;
		reported[peer] = false;
		return;
	}
	if (reported[peer] || now - since[peer] < LOCKUP_HARD_TICKS)
		return;
	reported[peer] = true;
	__atomic_add_fetch(&reports, 1, __ATOMIC_RELAXED);
	uint64_t rip;
	char where[96] = "unknown (no answer to the NMI)";
	if (cpu_stop_sample_rip(peer, &rip))
		arch_symbolize(rip, where, sizeof(where));
	kprintf("hard lockup: CPU %u has taken no timer interrupt for %lu ms; RIP %s\n", peer,
		(unsigned long)((now - since[peer]) * 1000 / TIMER_HZ), where);
}

void lockup_tick(void)
{
	ASSERT_IRQS_OFF();
	unsigned self = arch_cpu_id();

	if (!sched_debug_enabled())
		return;
	unsigned peer = peer_of(self);
	if (peer != self)
		watch(self, peer);
}

uint64_t lockup_reports(void)
{
	return __atomic_load_n(&reports, __ATOMIC_RELAXED);
}
