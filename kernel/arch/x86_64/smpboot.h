/*
 * smpboot.h - starting the application processors (APs).
 *
 * The boot CPU starts every other CPU the ACPI MADT lists as usable, one
 * at a time, with Intel's INIT-SIPI-SIPI sequence through the real-mode
 * trampoline (trampoline.asm; docs/smp.md "AP boot" draws the path). Each
 * AP loads its own GDT/TSS (IST stacks), the IDT and its GS base, switches
 * to the kernel's page tables and CPU features, starts its local APIC and
 * timer, marks itself online and becomes its idle thread in the scheduler.
 *
 * CPUs get numbers in bring-up order (CPU 0 = the boot CPU). An AP that
 * does not report in within SMP_AP_TIMEOUT_US is reported ("CPU n (APIC id
 * x) did not start") and skipped; CPUs beyond MM_MAX_CPUS stay offline and
 * are reported in one line.
 *
 * Invariants:
 *   [x] one AP at a time runs the trampoline (its parameter block is shared);
 *   [x] an AP's stacks and struct percpu are ready before its SIPI.
 * Context: boot CPU, process context, once, after sched_init.
 */
#ifndef ARCH_X86_64_SMPBOOT_H
#define ARCH_X86_64_SMPBOOT_H

#include <stdint.h>

#define SMP_INIT_DELAY_US 10000    /* INIT to the first SIPI (SDM Vol. 3A 9.4.4.1, MP spec B.4) */
#define SMP_SIPI_DELAY_US 200      /* between the two SIPIs */
#define SMP_AP_TIMEOUT_US 2000000  /* how long an AP has to report in (TCG can be slow) */

/*
 * Start every usable CPU of the MADT but this one; print one line with the
 * count (and one per CPU that failed). Boot CPU, once, after sched_init;
 * never fails (a CPU that does not start stays offline).
 */
void smp_boot_cpus(void);

/* How many usable CPUs the MADT lists beyond MM_MAX_CPUS (left offline). */
unsigned smp_cpus_left_offline(void);

#endif
