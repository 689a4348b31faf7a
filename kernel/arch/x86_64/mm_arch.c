/*
 * mm_arch.c - the kernel's implementation of mm/arch.h on x86-64.
 *
 * Interrupt state is RFLAGS.IF: saving it and clearing it is how the
 * allocator keeps its lists consistent against interrupt handlers on one
 * CPU (those inline functions live in mm/arch.h). Cycles are the TSC. Symbols come from the kernel's own table.
 * The current address space is the running thread's (struct thread's
 * `space`), a slot of the boot flow's own before the scheduler starts.
 */
#include "mm/arch.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/ksyms.h"
#include "kernel/sched/schedule.h"
#include "kernel/smp/call.h"
#include "kernel/smp/smp.h"
#include "lib/printf.h"

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

void arch_invalidate_page(uint64_t va)
{
	__asm__ volatile("invlpg (%0)" ::"r"(va) : "memory");
}

void arch_flush_tlb(int include_global)
{
	if (include_global && (read_cr4() & CR4_PGE)) {
		/* Clearing CR4.PGE flushes everything, global entries included (SDM 4.10.4.1). */
		uint64_t cr4 = read_cr4();
		write_cr4(cr4 & ~CR4_PGE);
		write_cr4(cr4);
	} else {
		write_cr3(read_cr3()); /* reloading CR3 drops all non-global entries */
	}
}

void arch_spin_wait(void)
{
	smp_call_serve_spin_safe(); /* the holder may wait for this CPU's acknowledgement */
	cpu_relax();
}

uint64_t arch_current_root(void)
{
	return read_cr3() & 0x000ffffffffff000ull;
}

/* The boot flow's current space, until sched_init makes it the idle thread. */
static struct address_space *boot_space;

struct address_space **arch_current_space_slot(void)
{
	struct thread *t = thread_current(); /* NULL until sched_init */

	return t ? &t->space : &boot_space;
}

unsigned arch_cpus_online(void)
{
	return smp_cpus_online();
}

void arch_on_each_cpu(void (*fn)(void *arg), void *arg)
{
	smp_on_each_cpu(fn, arg);
}
