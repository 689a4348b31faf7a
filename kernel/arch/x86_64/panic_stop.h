/*
 * panic_stop.h - the kernel's half of a panic beyond lib/panic.h: who
 * stops the other CPUs.
 *
 * lib/panic.c calls panic_begin() before it prints and panic_stop() after;
 * both live in panic_stop.c. Stopping the other CPUs needs the local APIC
 * and the online set, whose files also hold code that panics, so the
 * stopper is installed at boot as a function (kernel/smp/cpu_stop.c)
 * rather than linked in: the structure test's "link" rule follows symbol
 * references only, and the stopper is written to reach no panic itself.
 *
 * Invariants:
 *   [x] until a stopper is installed, a panic stops only its own CPU;
 *   [x] until a leave function is installed, a panic halts (never exits).
 * Context: boot (installing), the panic path (calling).
 */
#ifndef ARCH_X86_64_PANIC_STOP_H
#define ARCH_X86_64_PANIC_STOP_H

/* From now on a panic calls stop() first; it returns how many CPUs it stopped. Boot. */
void panic_stop_set_cpu_stopper(unsigned (*stop)(void));

/*
 * From now on a panic calls leave() after its report, before halting: the
 * selftest boot leaves QEMU with a failure status, so a test run that
 * panics ends at once instead of waiting for its timeout. leave() must not
 * panic; if it returns (not in QEMU), the CPU halts as before. Boot.
 */
void panic_stop_set_leave(void (*leave)(void));

#endif
