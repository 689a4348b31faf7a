/*
 * percpu.c - the per-CPU structs and the GS base that finds them (see
 * percpu.h).
 *
 * A static array of MM_MAX_CPUS structs, each on its own cache lines: no
 * allocation, so CPU 0's exists before any allocator and an AP's is ready
 * before the AP runs. CPU numbers are handed out in bring-up order by
 * smpboot.c; the APIC id is recorded beside the number.
 *
 * Invariants:
 *   [x] percpu[c].self == &percpu[c] and percpu[c].cpu == c once prepared;
 *   [x] IA32_GS_BASE of a running CPU is its own entry; KERNEL_GS_BASE is
 *       0 (the user GS base, for swapgs later).
 * Context: percpu_init_boot on the boot CPU first thing; percpu_prepare on
 * the boot CPU before the AP starts; percpu_enter on the AP; the rest any.
 */
#include "kernel/arch/x86_64/percpu.h"

#include "kernel/arch/x86_64/cpu.h"
#include "lib/panic.h"
#include "mm/arch.h"

static struct percpu percpu[MM_MAX_CPUS];

/* CPUID.1:EBX[31:24]: the initial APIC id of the CPU executing it (SDM Vol. 2A, CPUID). */
#define CPUID1_EBX_APIC_ID_SHIFT 24

void percpu_prepare(unsigned cpu, uint32_t apic_id)
{
	ASSERT(cpu < MM_MAX_CPUS, "percpu_prepare: CPU number past MM_MAX_CPUS");
	struct percpu *p = &percpu[cpu];

	p->self = p;
	p->cpu = cpu;
	p->apic_id = apic_id;
}

void percpu_enter(struct percpu *p)
{
	wrmsr(MSR_GS_BASE, (uint64_t)(uintptr_t)p);
	wrmsr(MSR_KERNEL_GS_BASE, 0); /* no user GS yet: swapgs would load 0 */
}

void percpu_init_boot(void)
{
	percpu_prepare(0, cpuid(1, 0).ebx >> CPUID1_EBX_APIC_ID_SHIFT);
	percpu_enter(&percpu[0]);
}

struct percpu *percpu_of(unsigned cpu)
{
	ASSERT(cpu < MM_MAX_CPUS, "percpu_of: CPU number past MM_MAX_CPUS");
	return &percpu[cpu];
}
