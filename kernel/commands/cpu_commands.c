/*
 * cpu_commands.c - the `cpuinfo` command: the CPU's identity, address widths
 * and the memory-management features the kernel can use, as
 * kernel/arch/x86_64/cpu_features.c decoded them from CPUID.
 *
 * Invariants:
 *   [x] every feature line reads `  name: yes|no  what it is`, for scripts
 *
 * Calling context: the shell thread, on whichever CPU it runs: what is
 * per-CPU (the APIC id) names the CPU it was read on.
 */
#include "drivers/keyboard.h"
#include "kernel/acpi.h"
#include "kernel/arch/x86_64/cpu_features.h"
#include "kernel/arch/x86_64/fpu.h"
#include "kernel/arch/x86_64/ioapic.h"
#include "kernel/arch/x86_64/lapic.h"
#include "kernel/bootinfo.h"
#include "kernel/timer.h"
#include "kernel/shell/shell.h"
#include "kernel/smp/smp.h"
#include "mm/arch.h"
#include "mm/spinlock.h"
#include "lib/printf.h"

static const char *yes_no(bool b)
{
	return b ? "yes" : "no";
}

/*
 * The interrupt path in use: controllers, mode, routes, the tick. The APIC
 * id is this CPU's register, read with the CPU's number in one
 * preemption-free stretch: the shell thread may run on any CPU.
 */
static void print_interrupts(void)
{
	preempt_disable();
	unsigned cpu = arch_cpu_id();
	uint32_t id = lapic_id();
	preempt_enable();

	if (!lapic_in_use()) {
		kprintf("interrupts:    8259 PIC (no I/O APIC in use)\n");
	} else if (lapic_x2apic_enabled()) {
		kprintf("interrupts:    local APIC in x2APIC mode (MSRs), id %u on CPU %u; I/O APIC\n",
			id, cpu);
	} else {
		kprintf("interrupts:    local APIC in xAPIC mode (MMIO at 0x%lx), id %u on CPU %u; "
			"I/O APIC\n", lapic_base_address(), id, cpu);
	}
	ioapic_print_routes();
	kprintf("tick:          %s, %u Hz", timer_tick_source(), TIMER_HZ);
	if (lapic_timer_hz())
		kprintf(" (%lu counts/s at divide-by-16)", lapic_timer_hz());
	kprintf("\n");
}

/* The keyboard and what the FADT says about an 8042 (a hint; the probe decided). */
static void print_keyboard(void)
{
	struct acpi_boot_arch arch = acpi_boot_arch(boot_info.acpi.rsdp, boot_info.acpi.length);

	kprintf("keyboard:      %s\n", keyboard_describe());
	if (keyboard_dropped())
		kprintf("keyboard:      %zu keys dropped: typed while nobody read\n",
			keyboard_dropped());
	if (!arch.have_fadt)
		kprintf("boot arch:     no ACPI FADT\n");
	else
		kprintf("boot arch:     FADT revision %u, IAPC_BOOT_ARCH 0x%x%s\n", arch.fadt_revision,
			arch.flags,
			arch.i8042 == ACPI_8042_UNKNOWN ? " (no such field before revision 2)"
			: arch.i8042 == ACPI_8042_PRESENT ? " (8042 present)" : " (no 8042)");
}

static int cmd_cpuinfo(int argc, char **argv)
{
	const struct cpu_features *f = &cpu_features;

	(void)argc;
	(void)argv;
	kprintf("vendor:        %s\n", f->vendor);
	kprintf("model name:    %s\n", f->brand[0] ? f->brand : "(not reported)");
	kprintf("family:        %u  model: %u  stepping: %u\n", f->family, f->model, f->stepping);
	kprintf("address sizes: %u bits physical, %u bits virtual\n", f->phys_bits, f->virt_bits);
	kprintf("hypervisor:    %s\n", yes_no(f->hypervisor));
	if (!acpi_cpus.have_madt)
		kprintf("CPUs:          unknown (no ACPI MADT); the kernel runs on one\n");
	else
		kprintf("CPUs:          %u (ACPI MADT), %u online%s\n", acpi_cpus.enabled,
			smp_cpus_online(),
			smp_cpus_online() < acpi_cpus.enabled ? ": the others stay offline" : "");
	if (acpi_madt.cpus_over_limit)
		kprintf("CPUs:          %u more beyond the kernel's limit of %u stay offline\n",
			acpi_madt.cpus_over_limit, (unsigned)MM_MAX_CPUS);
	print_interrupts();
	print_keyboard();
	kprintf("memory-management features:\n");
	kprintf("  nx:          %-3s  no-execute pages (EFER.NXE, PTE bit 63)\n", yes_no(f->nx));
	kprintf("  pae:         %-3s  physical address extension\n", yes_no(f->pae));
	kprintf("  pge:         %-3s  global pages kept across CR3 loads\n", yes_no(f->pge));
	kprintf("  pdpe1gb:     %-3s  1 GiB pages\n", yes_no(f->page_1g));
	kprintf("  pcid:        %-3s  process-context identifiers in CR3\n", yes_no(f->pcid));
	kprintf("  invpcid:     %-3s  INVPCID instruction\n", yes_no(f->invpcid));
	kprintf("  smep:        %-3s  kernel may not execute user pages\n", yes_no(f->smep));
	kprintf("  smap:        %-3s  kernel may not touch user pages by accident\n",
		yes_no(f->smap));
	kprintf("  pat:         %-3s  page attribute table (write-combining)\n", yes_no(f->pat));
	kprintf("other:\n");
	kprintf("  tsc:         %-3s  invariant: %s\n", yes_no(f->tsc), yes_no(f->invariant_tsc));
	kprintf("  apic:        %-3s  x2apic: %s\n", yes_no(f->apic), yes_no(f->x2apic));
	kprintf("  erms:        %-3s  fast rep movsb/stosb (memcpy/memset use them)\n",
		yes_no(f->erms));
	kprintf("  xsave:       %-3s  user FPU state saved with %s, %zu bytes per thread\n",
		yes_no(fpu_uses_xsave()), fpu_uses_xsave() ? "xsave" : "fxsave", fpu_state_size());
	kprintf("  avx:         %-3s  XCR0 0x%lx\n", yes_no(f->avx), fpu_xcr0());
	return 0;
}

SHELL_COMMAND(cpuinfo, SHELL_ARGS(0, 0), "the CPU and the memory-management features it has",
	      "usage: cpuinfo\n"
	      "  Prints the vendor and model, the physical and virtual address widths,\n"
	      "  and whether the CPU has each feature the memory manager can use:\n"
	      "  nx, pae, pge, pdpe1gb (1 GiB pages), pcid, invpcid, smep, smap, pat.\n"
	      "  Every line is `name: yes|no` so scripts can read it. Also how many CPUs\n"
	      "  the ACPI MADT lists and how many are online (`cpus` shows each), and how\n"
	      "  user threads' FPU state is saved (xsave or fxsave; avx and XCR0).\n"
	      "  Then the interrupt path: the local APIC's mode (xAPIC or x2APIC) and\n"
	      "  the APIC id of the CPU the command ran on (`id 1 on CPU 1`: the shell\n"
	      "  runs on any CPU; `cpus` lists them all), the I/O APICs and the ISA IRQs\n"
	      "  they route differently from the default (MADT overrides), or the 8259\n"
	      "  PIC fallback; and the tick's source.\n"
	      "  Then the keyboard (what the i8042 probe found) and the ACPI FADT's\n"
	      "  revision and IA-PC boot flags (IAPC_BOOT_ARCH, whose bit 1 says 8042).\n",
	      cmd_cpuinfo);
