/*
 * arch.h - the few things mm/ needs from the CPU, behind one small interface.
 *
 * mm/ core code (memory map, early allocator, page descriptors, buddy
 * allocator) builds both into the kernel and into host unit tests. Whatever
 * only the CPU can do goes through these functions: the kernel implements
 * them in kernel/arch/x86_64/mm_arch.c, the host tests in
 * tests/host/mm_arch_host.c (interrupts are a no-op there, cycles come from
 * the host's TSC, symbols are printed as raw addresses).
 *
 * The three calls on every allocation's fast path (interrupt save/restore
 * and the CPU number) are inline functions here instead, a few instructions
 * each: a call to another file would cost as much as the allocation.
 *
 * The rule (checked by scripts/check_structure.py in `make test`): mm/
 * reaches kernel/ only through this header. A file of mm/ never includes
 * kernel/... itself; the kernel-only parts (kernel_space.c, pmm.c,
 * direct_map.c) get the CPU's registers and features from the kernel
 * branch below, and the host-built ones get the host's stand-ins. So mm/
 * stays below kernel/ and builds on the host with tests/host/mm_arch_host.c.
 */
#ifndef MM_ARCH_H
#define MM_ARCH_H

#include <stddef.h>
#include <stdint.h>

#define MM_MAX_CPUS 4

#ifdef PAGODA_HOST
/* Host tests: one thread and no interrupts to mask. */
static inline unsigned long arch_irq_save(void) { return 0; }
static inline void arch_irq_restore(unsigned long flags) { (void)flags; }
static inline unsigned arch_cpu_id(void) { return 0; }
#else
#include "kernel/arch/x86_64/cpu.h"          /* registers, CR3/CR4, MSRs, halt */
#include "kernel/arch/x86_64/cpu_features.h" /* what CPUID reported */

/* Disable interrupts, returning the previous state for arch_irq_restore(). */
static inline unsigned long arch_irq_save(void)
{
	unsigned long flags = read_rflags();

	interrupts_disable();
	return flags;
}

/* Enable interrupts again if they were on when flags was saved. */
static inline void arch_irq_restore(unsigned long flags)
{
	if (flags & RFLAGS_IF)
		interrupts_enable();
}

/* The current CPU's index, 0 .. MM_MAX_CPUS-1 (always 0 until SMP). */
static inline unsigned arch_cpu_id(void) { return 0; }
#endif

/* A cycle counter for benchmarks (rdtsc). */
uint64_t arch_cycles(void);

/* Write "name+0xoff" (or "0xaddr" if unknown) for code address addr into buf. */
void arch_symbolize(uint64_t addr, char *buf, size_t size);

/* Invalidate the TLB entry of one virtual page (invlpg; global entries too). */
void arch_invalidate_page(uint64_t va);

/* Flush the whole TLB; with include_global, global entries as well (CR4.PGE toggle). */
void arch_flush_tlb(int include_global);

/* Physical address of the PML4 the CPU uses now (CR3 without its flag bits). */
uint64_t arch_current_root(void);

#endif
