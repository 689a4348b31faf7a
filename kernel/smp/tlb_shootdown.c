/*
 * tlb_shootdown.c - arch_tlb_flush_remote() (mm/arch.h) in the kernel: the
 * targets, one cross-CPU call per batch, the receiver's invalidation, and
 * the counters (see tlb_shootdown.h).
 *
 * The request lives on the initiator's stack: the call waits for every
 * target, so the page list it points to (the engine's batch) outlives
 * every reader. The targets are read after a full fence that follows the
 * entry writes, and a CPU sets its bit in as->cpus before it loads CR3:
 * either the initiator sees the bit, or the CPU's walks see the new entries.
 *
 * The request is CALL_SPIN_SAFE (it takes no lock): a CPU spinning with
 * interrupts off on a lock that the initiator holds serves it from its
 * spin loop (arch_spin_wait), so a shootdown under a lock cannot deadlock.
 *
 * Invariants:
 *   [x] each target runs the request once, with interrupts off;
 *   [x] counters are per CPU, each written only by its own CPU.
 * Context: as tlb_shootdown.h; lock order: none taken here (the call
 * queues' ring locks are leaves).
 */
#include "kernel/smp/tlb_shootdown.h"

#include "kernel/smp/call.h"
#include "kernel/smp/smp.h"
#include "mm/arch.h"
#include "mm/paging.h"

struct tlb_request {
	const struct address_space *as;
	const uint64_t *pages;
	unsigned count;
	unsigned flags; /* TLB_FLUSH_* */
};

static struct tlb_shootdown_stats stats[SMP_MAX_CPUS];

/* Run on each target, interrupts off. */
static void tlb_flush_here(void *arg)
{
	const struct tlb_request *r = arg;
	struct tlb_shootdown_stats *s = &stats[arch_cpu_id()];

	s->received++;
	if (!(r->flags & TLB_FLUSH_KERNEL) && arch_current_root() != r->as->pml4) {
		s->skipped++; /* switched away: its next switch back flushes the space */
		return;
	}
	if (r->flags & TLB_FLUSH_ALL) {
		arch_flush_tlb(r->flags & TLB_FLUSH_KERNEL);
		s->full_flushes++;
		return;
	}
	for (unsigned i = 0; i < r->count; i++)
		arch_invalidate_page(r->pages[i]);
	s->pages += r->count;
}

void tlb_shootdown_to(cpumask_t targets, const struct address_space *as, const uint64_t *pages,
		      unsigned n, unsigned flags)
{
	struct tlb_request r = {.as = as, .pages = pages, .count = n, .flags = flags};
	unsigned long irq = arch_irq_save(); /* this CPU's number and counters hold still */
	unsigned self = arch_cpu_id();

	targets &= smp_online_mask() & ~CPUMASK_CPU(self);
	if (!targets) {
		stats[self].local_only++;
		arch_irq_restore(irq);
		return;
	}
	stats[self].shootdowns++;
	for (cpumask_t m = targets; m; m &= m - 1) /* one per target: no libgcc popcount here */
		stats[self].ipis_sent++;
	smp_call_function_many_flags(targets, tlb_flush_here, &r, CALL_WAIT | CALL_SPIN_SAFE);
	arch_irq_restore(irq);
}

void arch_tlb_flush_remote(const struct address_space *as, const uint64_t *pages, unsigned n,
			   unsigned flags)
{
	cpumask_t online = smp_online_mask();

	if (!(online & (online - 1))) {
		/*
		 * One CPU online, this one: no other TLB to reach, so no fence,
		 * no IRQ save, no target mask (a CPU coming online later starts
		 * with an empty TLB). The caller holds interrupts off or runs
		 * alone, so the CPU number holds still for the count.
		 */
		stats[arch_cpu_id()].local_only++;
		return;
	}
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* entries written before the targets are read */
	tlb_shootdown_to(flags & TLB_FLUSH_KERNEL ? smp_online_mask()
						  : __atomic_load_n(&as->cpus, __ATOMIC_SEQ_CST),
			 as, pages, n, flags);
}

void tlb_shootdown_stats(unsigned cpu, struct tlb_shootdown_stats *out)
{
	*out = (struct tlb_shootdown_stats){0};
	if (cpu < SMP_MAX_CPUS)
		*out = stats[cpu];
}

void tlb_shootdown_stats_total(struct tlb_shootdown_stats *out)
{
	*out = (struct tlb_shootdown_stats){0};
	for (unsigned cpu = 0; cpu < SMP_MAX_CPUS; cpu++) {
		const struct tlb_shootdown_stats *s = &stats[cpu];
		out->shootdowns += s->shootdowns;
		out->ipis_sent += s->ipis_sent;
		out->received += s->received;
		out->pages += s->pages;
		out->full_flushes += s->full_flushes;
		out->skipped += s->skipped;
		out->local_only += s->local_only;
	}
}
