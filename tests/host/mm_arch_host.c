/*
 * mm_arch_host.c - mm/arch.h for the host test programs.
 *
 * A test process has no interrupts to mask and one thread (the CPU number
 * is always 0), but it keeps the interrupt state as a nesting count,
 * host_irq_depth, so that ASSERT_IRQS_OFF() checks the kernel's contracts
 * in the host tests too: 0 is "on" (the state commands and tests start in),
 * each arch_irq_save() adds one, each arch_irq_restore() takes it back, in
 * LIFO order or the program panics (both inline in mm/arch.h, as cheap as
 * the kernel's, so the host benchmarks stay comparable). Cycles come from
 * the host's TSC, as in the kernel, so the host benchmark and `bench pmm`
 * count the same unit. Code addresses are printed raw (no symbol table
 * here). There is no TLB: invalidations and flushes are only counted, in
 * globals the paging tests read, and the "current" address space is
 * whichever PML4 a test puts in host_current_root. Hosted code: may use
 * libc.
 */
#include "mm/arch.h"

#include <x86intrin.h>

#include "lib/panic.h"
#include "lib/printf.h"

/* Unmatched arch_irq_save() calls: interrupts are "off" while above 0 (mm/arch.h). */
unsigned long host_irq_depth;

/* arch_irq_restore(flags) out of LIFO order. */
void host_irq_restore_unnested(unsigned long flags)
{
	panic("arch_irq_restore: restores depth %lu at depth %lu (save/restore not nested)", flags,
	      host_irq_depth);
}

uint64_t arch_cycles(void)
{
	return __rdtsc();
}

void arch_symbolize(uint64_t addr, char *buf, size_t size)
{
	ksnprintf(buf, size, "0x%lx", addr);
}

/* Read and reset by tests/host/test_paging.c. */
uint64_t host_invalidated_pages; /* arch_invalidate_page() calls */
uint64_t host_tlb_flushes;       /* arch_flush_tlb() calls */
uint64_t host_global_flushes;    /* ... of them with include_global */
uint64_t host_current_root;      /* what arch_current_root() returns (0: no space) */

void arch_invalidate_page(uint64_t va)
{
	(void)va;
	host_invalidated_pages++;
}

void arch_flush_tlb(int include_global)
{
	host_tlb_flushes++;
	if (include_global)
		host_global_flushes++;
}

uint64_t arch_current_root(void)
{
	return host_current_root;
}

/* One flow on the host: one current-space slot. */
static struct address_space *host_space;

struct address_space **arch_current_space_slot(void)
{
	return &host_space;
}

/* The preemption counts spinlocks raise (mm/arch.h); nothing preempts on the host. */
unsigned host_preempt_count[MM_MAX_CPUS];

void preempt_enable(void)
{
	ASSERT(host_preempt_count[host_cpu_id] > 0, "preempt_enable: not disabled");
	host_preempt_count[host_cpu_id]--;
}

/* No other CPU to serve: one pause. */
void arch_spin_wait(void)
{
	__builtin_ia32_pause();
}

/* No other CPU to tell: the engine's requests are counted (one per batch). */
uint64_t host_remote_flushes;       /* arch_tlb_flush_remote() calls */
uint64_t host_remote_flush_pages;   /* pages they named (TLB_FLUSH_ALL: none) */
unsigned host_remote_last_flags;    /* the last call's TLB_FLUSH_* */

void arch_tlb_flush_remote(const struct address_space *as, const uint64_t *pages, unsigned n,
			   unsigned flags)
{
	(void)as;
	(void)pages;
	host_remote_flushes++;
	host_remote_flush_pages += flags & TLB_FLUSH_ALL ? 0 : n;
	host_remote_last_flags = flags;
}

/* Simulated CPUs: a test sets host_cpus_online and switches host_cpu_id. */
unsigned host_cpu_id;
unsigned host_cpus_online = 1;

unsigned arch_cpus_online(void)
{
	return host_cpus_online;
}

void arch_on_each_cpu(void (*fn)(void *arg), void *arg)
{
	unsigned was = host_cpu_id;

	for (unsigned cpu = 0; cpu < host_cpus_online; cpu++) {
		unsigned long flags = arch_irq_save();
		host_cpu_id = cpu;
		fn(arg);
		arch_irq_restore(flags);
	}
	host_cpu_id = was;
}
