/*
 * mm_arch_host.c - mm/arch.h for the host test programs.
 *
 * A test process has no interrupts to mask and runs the allocator on one
 * thread, so saving and restoring the interrupt state do nothing and the
 * CPU is always 0. Cycles come from the host's TSC, as in the kernel, so
 * the host benchmark and `bench pmm` count the same unit. Code addresses
 * are printed raw (no symbol table here). Hosted code: may use libc.
 */
#include "mm/arch.h"

#include <x86intrin.h>

#include "lib/printf.h"

unsigned long arch_irq_save(void)
{
	return 0;
}

void arch_irq_restore(unsigned long flags)
{
	(void)flags;
}

unsigned arch_cpu_id(void)
{
	return 0;
}

uint64_t arch_cycles(void)
{
	return __rdtsc();
}

void arch_symbolize(uint64_t addr, char *buf, size_t size)
{
	ksnprintf(buf, size, "0x%lx", addr);
}
