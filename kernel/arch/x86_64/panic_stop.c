/*
 * panic_stop.c - where panic() ends in the kernel (lib/panic.h): show how
 * we got there, then stop this CPU for good.
 *
 * The panic path must not reach panic again: it uses only the backtrace
 * (which reads the stack registry and the symbol table, neither of which
 * allocates or panics), kprintf and the CPU's halt. The structure tests
 * check that no code reachable from lib/panic.o in the kernel's link
 * graph calls panic.
 * Context: any; interrupts are turned off first. Never returns.
 */
#include "kernel/arch/x86_64/backtrace.h"
#include "kernel/arch/x86_64/cpu.h"
#include "lib/panic.h"
#include "lib/printf.h"

void panic_stop(void)
{
	interrupts_disable();
	backtrace_print_here();
	kprintf("System halted.\n");
	cpu_halt_forever();
}
