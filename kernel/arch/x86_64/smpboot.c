/*
 * smpboot.c - starting the application processors (see smpboot.h).
 *
 * For each usable MADT CPU but this one, in MADT order:
 *   1. give it a CPU number and a struct percpu, guarded stacks (its first
 *      stack, later its idle thread's, and the #DF, NMI, #MC IST stacks,
 *      all registered for backtraces);
 *   2. fill the trampoline's parameter block (stack, entry, percpu last);
 *   3. INIT, 10 ms, SIPI, 200 us, SIPI (Intel's protocol, delays on the
 *      TSC), then wait up to SMP_AP_TIMEOUT_US for it to come online;
 *   4. if it does not: take the block back (xchg of the percpu pointer:
 *      an AP that claims it later finds 0 and halts in the trampoline),
 *      report it and go on with the next one on the same number; if it had
 *      claimed the block (so it holds that number's struct) but still does
 *      not come online after a second timeout, report it and stop starting
 *      CPUs (the online numbers must stay 0 .. n-1).
 * The trampoline page and its page tables come from pmm_init (pmm_trampoline,
 * below 1 MiB): PML4[0] identity-maps 0..2 MiB with one 2 MiB page, and
 * PML4[256..511] are the kernel space's entries, so the AP can jump to the
 * kernel image before it loads the kernel's own CR3.
 *
 * Invariants:
 *   [x] the parameter block belongs to one AP at a time: the boot CPU
 *       writes it only when its percpu pointer is 0 (claimed or taken back);
 *   [x] CPU numbers 1..n-1 go to APs that came online, in that order.
 * Context: boot CPU, process context, interrupts off (smp_boot_cpus); the
 * AP's entry on the AP, interrupts off until it idles.
 */
#include "kernel/arch/x86_64/smpboot.h"

#include "kernel/acpi.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/cpu_features.h"
#include "kernel/arch/x86_64/fpu.h"
#include "kernel/arch/x86_64/gdt.h"
#include "kernel/arch/x86_64/idt.h"
#include "kernel/arch/x86_64/lapic.h"
#include "kernel/arch/x86_64/percpu.h"
#include "kernel/arch/x86_64/user_mode.h"
#include "kernel/sched/schedule.h"
#include "kernel/smp/smp.h"
#include "kernel/stack.h"
#include "kernel/timer.h"
#include "lib/compiler.h"
#include "lib/errno.h"
#include "lib/panic.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/arch.h"
#include "mm/kernel_space.h"
#include "mm/layout.h"
#include "mm/pmm.h"
#include "mm/pte.h"

#define EFER_LME (1ull << 8)   /* SDM Vol. 3A 2.2.1: long mode enable */
#define PML4_KERNEL_HALF 256   /* first slot of the kernel half (KERNEL_HALF_START) */
#define TRAMPOLINE_PARAMS 0xfc0 /* trampoline.asm's parameter block offset */
#define TRAMPOLINE_SEL_CODE32 0x18 /* trampoline.asm's GDT: 32-bit code */

/* The parameter block at TRAMPOLINE_PARAMS (trampoline.asm's P_* offsets). */
struct trampoline_params {
	uint16_t gdt_limit;     /* P_GDTR: lgdt operand */
	uint32_t gdt_base;
	uint16_t pad0;
	uint32_t pm32_offset;   /* P_PM32: far jump to 32-bit code */
	uint16_t pm32_selector;
	uint16_t pad1;
	uint32_t cr3;           /* P_CR3 */
	uint32_t efer;          /* P_EFER */
	uint64_t stack_top;     /* P_STACK */
	uint64_t entry;         /* P_ENTRY */
	uint64_t percpu;        /* P_PERCPU: claimed (set to 0) by the AP */
	uint32_t cr4;           /* P_CR4 */
} __packed;
STATIC_ASSERT(__builtin_offsetof(struct trampoline_params, cr3) == 16, "trampoline P_CR3");
STATIC_ASSERT(__builtin_offsetof(struct trampoline_params, stack_top) == 24, "trampoline P_STACK");
STATIC_ASSERT(__builtin_offsetof(struct trampoline_params, percpu) == 40, "trampoline P_PERCPU");
STATIC_ASSERT(__builtin_offsetof(struct trampoline_params, cr4) == 48, "trampoline P_CR4");

extern const char trampoline_start[], trampoline_end[], trampoline_params[];
extern const char trampoline_gdt[], trampoline_gdt_end[], trampoline_pm32[];

static unsigned left_offline;
static uint64_t boot_cr0;

unsigned smp_cpus_left_offline(void)
{
	return left_offline;
}

/* Busy-wait us microseconds on the TSC (calibrated by timer_init). */
static void tsc_delay_us(uint64_t us)
{
	uint64_t end = rdtsc() + us * timer_tsc_hz() / 1000000;

	while (rdtsc() < end)
		cpu_relax();
}

/* The parameter block, in the trampoline page's direct-map alias. */
static volatile struct trampoline_params *params(void)
{
	return phys_to_virt(pmm_trampoline + TRAMPOLINE_PARAMS);
}

/* Copy the code, build the page tables, fill the fixed part of the block. */
static void trampoline_install(void)
{
	uint8_t *page = phys_to_virt(pmm_trampoline);
	size_t size = (size_t)(trampoline_end - trampoline_start);
	uint64_t *pml4 = phys_to_virt(pmm_trampoline + PAGE_SIZE);
	uint64_t *pdpt = phys_to_virt(pmm_trampoline + 2 * PAGE_SIZE);
	uint64_t *pd = phys_to_virt(pmm_trampoline + 3 * PAGE_SIZE);
	const uint64_t *kernel_pml4 = phys_to_virt(kernel_space.pml4);

	ASSERT(size <= PAGE_SIZE && trampoline_params - trampoline_start == TRAMPOLINE_PARAMS,
	       "smp_boot_cpus: trampoline.asm's size or parameter offset changed");
	memcpy(page, trampoline_start, size);
	memset(pml4, 0, 3 * PAGE_SIZE);
	for (int i = PML4_KERNEL_HALF; i < 512; i++)
		pml4[i] = kernel_pml4[i]; /* the kernel half, shared: image, direct map, stacks */
	pml4[0] = (pmm_trampoline + 2 * PAGE_SIZE) | PTE_PRESENT | PTE_WRITABLE;
	pdpt[0] = (pmm_trampoline + 3 * PAGE_SIZE) | PTE_PRESENT | PTE_WRITABLE;
	pd[0] = 0 | PTE_PRESENT | PTE_WRITABLE | PTE_HUGE; /* identity 0..2 MiB: the trampoline */

	volatile struct trampoline_params *p = params();
	p->gdt_limit = (uint16_t)(trampoline_gdt_end - trampoline_gdt - 1);
	p->gdt_base = (uint32_t)(pmm_trampoline + (uint64_t)(trampoline_gdt - trampoline_start));
	p->pm32_offset = (uint32_t)(pmm_trampoline + (uint64_t)(trampoline_pm32 - trampoline_start));
	p->pm32_selector = TRAMPOLINE_SEL_CODE32;
	p->cr3 = (uint32_t)(pmm_trampoline + PAGE_SIZE);
	p->efer = (uint32_t)(EFER_LME | (rdmsr(MSR_EFER) & EFER_NXE));
	p->cr4 = (uint32_t)(CR4_PAE | (read_cr4() & CR4_PGE));
	p->percpu = 0;
}

static __noreturn void smp_ap_entry(struct percpu *p);

/*
 * Everything an AP needs before its SIPI: stacks, its io_tss and the struct. Returns 0
 * or -ENOMEM (stacks already made are kept for the next try).
 */
static int ap_prepare(unsigned cpu, uint32_t apic_id)
{
	static const char *const ist_names[PERCPU_IST_STACKS] = {"#DF", "NMI", "#MC"};
	static const size_t ist_sizes[PERCPU_IST_STACKS] = {FAULT_STACK_SIZE, IST_STACK_SIZE,
							     IST_STACK_SIZE};
	struct percpu *p = percpu_of(cpu);

	percpu_prepare(cpu, apic_id);
	for (int i = 0; i < PERCPU_IST_STACKS; i++) {
		if (p->ist[i])
			continue; /* made for an AP that did not start: reuse */
		ksnprintf(p->stack_names[i], sizeof(p->stack_names[i]), "%s cpu%u", ist_names[i],
			  cpu);
		p->ist[i] = kernel_stack_create(ist_sizes[i], p->stack_names[i]);
		if (!p->ist[i])
			return -ENOMEM;
		p->ist_top[i] = p->ist[i]->top;
	}
	if (gdt_io_prepare(p) != 0)
		return -ENOMEM;
	if (!p->stack) {
		ksnprintf(p->stack_names[PERCPU_IST_STACKS], sizeof(p->stack_names[0]), "idle cpu%u",
			  cpu);
		p->stack = kernel_stack_create(KERNEL_STACK_SIZE, p->stack_names[PERCPU_IST_STACKS]);
		if (!p->stack)
			return -ENOMEM;
	}
	return 0;
}

/* What became of an AP that was sent INIT-SIPI-SIPI. */
enum ap_outcome {
	AP_ONLINE,  /* it came online */
	AP_ABSENT,  /* it never claimed the block, which is taken back: the number is free */
	AP_STUCK,   /* it claimed the block (its percpu) but never came online */
};

/* Start CPU cpu (prepared) at apic_id and wait for it (see enum ap_outcome). */
static enum ap_outcome ap_start(unsigned cpu, uint32_t apic_id)
{
	struct percpu *p = percpu_of(cpu);
	volatile struct trampoline_params *b = params();

	b->stack_top = p->stack->top;
	b->entry = (uint64_t)(uintptr_t)smp_ap_entry;
	__atomic_store_n(&b->percpu, (uint64_t)(uintptr_t)p, __ATOMIC_RELEASE); /* last */

	lapic_send_init(apic_id);
	tsc_delay_us(SMP_INIT_DELAY_US);
	lapic_send_startup(apic_id, (uint8_t)(pmm_trampoline >> PAGE_SHIFT));
	tsc_delay_us(SMP_SIPI_DELAY_US);
	if (__atomic_load_n(&b->percpu, __ATOMIC_ACQUIRE) != 0) /* not claimed yet: again */
		lapic_send_startup(apic_id, (uint8_t)(pmm_trampoline >> PAGE_SHIFT));

	for (int round = 0; round < 2; round++) {
		uint64_t deadline = rdtsc() + SMP_AP_TIMEOUT_US * (timer_tsc_hz() / 1000000);
		while (rdtsc() < deadline) {
			if (smp_cpu_online(p->cpu))
				return AP_ONLINE;
			cpu_relax();
		}
		/* Take the block back; a CPU that claimed it already is on its way: wait once more. */
		if (__atomic_exchange_n(&b->percpu, 0, __ATOMIC_ACQ_REL) != 0)
			return AP_ABSENT;
	}
	return AP_STUCK;
}

void smp_boot_cpus(void)
{
	ASSERT_IRQS_OFF();
	unsigned next = 1, failed = 0;

	smp_init();
	left_offline = acpi_madt.cpus_over_limit;
	if (acpi_madt.cpu_count <= 1 && left_offline == 0)
		return; /* one CPU (or no MADT): nothing to start */
	if (!lapic_in_use()) {
		kprintf("smp: the local APIC is not in use: only CPU 0 runs\n");
		return;
	}
	percpu_of(0)->apic_id = lapic_id();
	if (!pmm_trampoline) {
		kprintf("smp: no trampoline page below 1 MiB: only CPU 0 runs\n");
		return;
	}
	boot_cr0 = read_cr0();
	trampoline_install();
	for (unsigned i = 0; i < acpi_madt.cpu_count; i++) {
		const struct acpi_cpu *c = &acpi_madt.cpus[i];
		uint32_t apic_id = c->apic_id;
		if ((c->flags & ACPI_CPU_BOOT) || apic_id == percpu_of(0)->apic_id)
			continue;
		if (!(c->flags & ACPI_CPU_ENABLED))
			continue; /* online-capable only: for hot-add, not started at boot */
		if (ap_prepare(next, apic_id) != 0) {
			kprintf("smp: no memory for CPU %u's stacks (APIC id %u): it stays offline\n",
				next, apic_id);
			failed++;
			continue;
		}
		enum ap_outcome outcome = ap_start(next, apic_id);
		if (outcome == AP_ONLINE) {
			next++;
			continue;
		}
		kprintf("smp: CPU %u (APIC id %u) did not start\n", next, apic_id);
		failed++;
		if (outcome == AP_STUCK) {
			/* It holds CPU next's struct and may still wake: start no more. */
			kprintf("smp: it ran the trampoline but stopped on the way: no further CPU "
				"is started\n");
			break;
		}
	}
	kprintf("smp: %u CPU%s online", next, next > 1 ? "s" : "");
	if (failed)
		kprintf(", %u did not start", failed);
	if (left_offline)
		kprintf(", %u more than MM_MAX_CPUS (%u) left offline", left_offline, MM_MAX_CPUS);
	kprintf("\n");
}

/*
 * An AP's first C code, on its first stack, from the trampoline: interrupts
 * off, GS unset, the trampoline's page tables.
 */
static __noreturn void smp_ap_entry(struct percpu *p)
{
	percpu_enter(p);             /* GS: arch_cpu_id() works from here */
	write_cr0(boot_cr0);         /* the boot CPU's CR0 (WP, caching, FPU bits) */
	kernel_space_enter_this_cpu(); /* kernel CR3, PAT, PGE/SMEP/SMAP/PCIDE */
	gdt_init();                  /* its GDT and TSS: IST stacks for #DF/NMI/#MC */
	fpu_init_cpu();              /* its CR0/CR4 FPU bits and XCR0, as the boot CPU's */
	user_mode_init_cpu();        /* its syscall MSRs: EFER.SCE, STAR, LSTAR, FMASK */
	idt_load_this_cpu();         /* the shared IDT */
	lapic_init_this_cpu();       /* its local APIC: IPIs in and out */
	p->started_tsc = rdtsc();
	lapic_timer_start_this_cpu(); /* its tick (interrupts stay off until it idles) */
	smp_cpu_set_online(p->cpu);  /* the boot CPU's wait ends here */
	sched_start_secondary(p->cpu); /* this flow becomes its idle thread; never returns */
}
