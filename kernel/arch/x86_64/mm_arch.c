/*
 * mm_arch.c - the kernel's implementation of mm/arch.h on x86-64.
 *
 * Interrupt state is RFLAGS.IF: saving it and clearing it is how the
 * allocator keeps its lists consistent against interrupt handlers on one
 * CPU. Cycles are the TSC. Symbols come from the kernel's own table.
 */
#include "mm/arch.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/ksyms.h"
#include "lib/printf.h"

unsigned long arch_irq_save(void)
{
	unsigned long flags = read_rflags();

	interrupts_disable();
	return flags;
}

void arch_irq_restore(unsigned long flags)
{
	if (flags & RFLAGS_IF)
		interrupts_enable();
}

unsigned arch_cpu_id(void)
{
	return 0; /* one CPU until SMP arrives */
}

uint64_t arch_cycles(void)
{
	return rdtsc();
}

void arch_symbolize(uint64_t addr, char *buf, size_t size)
{
	uint64_t offset;
	const char *name = ksyms_lookup(addr, &offset);

	if (name)
		ksnprintf(buf, size, "%s+0x%lx", name, offset);
	else
		ksnprintf(buf, size, "0x%lx", addr);
}
