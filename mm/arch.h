/*
 * arch.h - the few things mm/ needs from the CPU, behind one small interface.
 *
 * mm/ core code (memory map, early allocator, page descriptors, buddy
 * allocator) builds both into the kernel and into host unit tests. Whatever
 * only the CPU can do goes through these functions: the kernel implements
 * them in kernel/arch/x86_64/mm_arch.c, the host tests in
 * tests/host/mm_arch_host.c (interrupts are a no-op there, cycles come from
 * the host's TSC, symbols are printed as raw addresses).
 */
#ifndef MM_ARCH_H
#define MM_ARCH_H

#include <stddef.h>
#include <stdint.h>

/* Disable interrupts, returning the previous state for arch_irq_restore(). */
unsigned long arch_irq_save(void);
void arch_irq_restore(unsigned long flags);

/* The current CPU's index, 0 .. MM_MAX_CPUS-1 (always 0 until SMP). */
unsigned arch_cpu_id(void);

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

#define MM_MAX_CPUS 4

#endif
