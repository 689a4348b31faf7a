/*
 * tlb_shootdown.h - telling the other CPUs that translations they may have
 * cached are gone: the kernel's side of arch_tlb_flush_remote() (mm/arch.h).
 *
 * When the page-table engine (mm/paging.c) changes or removes present
 * entries, it invalidates them on its own CPU and then calls
 * arch_tlb_flush_remote() with the same batch: the pages (or "all", past
 * PAGING_FLUSH_THRESHOLD pages) and whether they are kernel-half ones.
 * Who may cache them:
 *   kernel half      every other online CPU (global entries, any CR3);
 *   a user space     the CPUs that have it active now (as->cpus, kept by
 *                    address_space_activate); a CPU that switched away
 *                    flushes that space's entries when it switches back
 *                    (CR3 loads without the no-flush bit, PCID or not).
 * Each target gets one request for the whole batch (one IPI, not one per
 * page) through smp_call_function_many, and the initiator waits for all:
 * table pages are freed only after that.
 *
 * Invariants:
 *   [x] on return no CPU holds a translation of the batch's pages;
 *   [x] one online CPU: no IPI at all, counted as local_only.
 * Context: process context or interrupts off; not from an NMI.
 */
#ifndef KERNEL_SMP_TLB_SHOOTDOWN_H
#define KERNEL_SMP_TLB_SHOOTDOWN_H

#include <stdint.h>

#include "mm/arch.h" /* cpumask_t, TLB_FLUSH_* */

/* One CPU's counters since boot. */
struct tlb_shootdown_stats {
	uint64_t shootdowns;   /* batches this CPU sent to at least one other CPU */
	uint64_t ipis_sent;    /* requests it sent (one per target CPU per batch) */
	uint64_t received;     /* requests it ran for other CPUs */
	uint64_t pages;        /* pages it invalidated for them (invlpg) */
	uint64_t full_flushes; /* full TLB flushes it did for them */
	uint64_t skipped;      /* requests for a space it had switched away from meanwhile */
	uint64_t local_only;   /* batches with no other CPU to tell */
};

/*
 * The send half of arch_tlb_flush_remote with the targets given: the online
 * CPUs of targets other than this one each run one request for pages[0..n-1]
 * of as (flags TLB_FLUSH_*), and this returns when all have. For the
 * shootdown benchmark, which picks how many CPUs to tell. Any context but NMI.
 */
void tlb_shootdown_to(cpumask_t targets, const struct address_space *as, const uint64_t *pages,
		      unsigned n, unsigned flags);

/* CPU cpu's counters (all zero for a CPU out of range). Any context. */
void tlb_shootdown_stats(unsigned cpu, struct tlb_shootdown_stats *out);

/* The sum over every CPU. Any context. */
void tlb_shootdown_stats_total(struct tlb_shootdown_stats *out);

#endif
