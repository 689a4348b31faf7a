/*
 * panic_stop.c - the kernel's ends of panic() (lib/panic.h): before the
 * message, panic_begin() makes this CPU the only one that goes on (the
 * other CPUs are stopped by NMI, a second CPU panicking at the same moment
 * halts) and takes the console even if another CPU held it; after the
 * message, panic_stop() shows how we got there and stops this CPU too.
 *
 * The panic path must not reach panic again: it uses only the backtrace
 * (which reads the stack registry and the symbol table, neither of which
 * allocates or panics), kprintf, the console lock's takeover and the CPU's
 * halt. The structure tests check that no code reachable from lib/panic.o
 * in the kernel's link graph calls panic; the CPU stopper is installed as
 * a function (panic_stop.h) and keeps the same rule by hand.
 *
 * Invariants:
 *   [x] at most one CPU gets past panic_begin(): panic_cpu is set once;
 *   [x] that CPU may panic again (nested): panic_begin() lets it through.
 * Context: any; interrupts are turned off first. Never returns.
 */
#include "kernel/arch/x86_64/panic_stop.h"

#include "drivers/console_lock.h"
#include "kernel/arch/x86_64/backtrace.h"
#include "kernel/arch/x86_64/cpu.h"
#include "lib/panic.h"
#include "lib/printf.h"
#include "mm/arch.h"

#define PANIC_CPU_NONE (-1)

static int panic_cpu = PANIC_CPU_NONE;
static unsigned (*cpu_stopper)(void);
static int others_stopped = -1; /* -1: nobody was asked */
static void (*panic_leave)(void);

void panic_stop_set_cpu_stopper(unsigned (*stop)(void))
{
	cpu_stopper = stop;
}

void panic_stop_set_leave(void (*leave)(void))
{
	panic_leave = leave;
}

void panic_begin(void)
{
	int expected = PANIC_CPU_NONE;

	interrupts_disable(); /* first: the thread cannot move to another CPU after this */
	int self = (int)arch_cpu_id();
	if (!__atomic_compare_exchange_n(&panic_cpu, &expected, self, false, __ATOMIC_SEQ_CST,
					 __ATOMIC_SEQ_CST)) {
		if (expected != self)
			cpu_halt_forever(); /* another CPU panics: it stops this one anyway */
		return;                     /* a panic inside the panic: go on */
	}
	if (cpu_stopper)
		others_stopped = (int)cpu_stopper();
	console_lock_take_for_panic();
}

void panic_stop(void)
{
	interrupts_disable();
	if (others_stopped >= 0)
		kprintf("CPU %u panicked; %d other CPU(s) stopped by NMI\n", arch_cpu_id(),
			others_stopped);
	backtrace_print_here();
	if (panic_leave)
		panic_leave(); /* the selftest boot: leave QEMU with a failure */
	kprintf("System halted.\n");
	cpu_halt_forever();
}
