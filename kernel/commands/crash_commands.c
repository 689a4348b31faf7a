/*
 * crash_commands.c - the `crash` command: raise a CPU exception on purpose.
 *
 * For seeing what the exception report looks like (trap.c) and for the tests
 * that check it. Each kind executes one faulting instruction from a function
 * of its own, so the report's RIP and backtrace name it. Like any command,
 * `crash` runs under the shell's recovery point, so after the report the
 * command is aborted and the shell goes on (`bp` resumes by itself); with
 * `halt`, the fault happens outside any recovery point, as in boot code,
 * and halts the kernel. `panic` and `panic_console` end the machine in
 * panic() (the second with another CPU holding the console mid-line).
 */
#include <stdbool.h>
#include <stdint.h>

#include "drivers/console.h"
#include "drivers/console_lock.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/recovery.h"
#include "kernel/shell/shell.h"
#include "kernel/smp/smp.h"
#include "lib/panic.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/arch.h"
#include "mm/spinlock.h"

static void __attribute__((noinline)) crash_divide_error(void)
{
	__asm__ volatile("xor %%ecx, %%ecx; div %%ecx" ::: "rax", "rcx", "rdx");
}

static void __attribute__((noinline)) crash_invalid_opcode(void)
{
	__asm__ volatile("ud2");
}

static void __attribute__((noinline)) crash_page_fault(void)
{
	/* 0x1000 is never mapped: the identity map is gone once we run in C. */
	*(volatile uint64_t *)0x1000 = 0xdead;
}

static void __attribute__((noinline)) crash_general_protection(void)
{
	/* A non-canonical address (bits 63-48 not a copy of bit 47). */
	(void)*(volatile uint64_t *)0x8000000000000000ull;
}

static void __attribute__((noinline)) crash_breakpoint(void)
{
	__asm__ volatile("int3");
}

static void __attribute__((noinline)) crash_panic(void)
{
	panic("crash: panic on purpose");
}

static volatile int console_holder = -1;

/* On another CPU, interrupts off (a call handler): keep the console mid-line, forever. */
static void crash_hold_console(void *arg)
{
	static const char partial[] = "crash: this CPU holds the console mid-line and spins";

	(void)arg;
	console_lock();
	console_write(partial, sizeof(partial) - 1);
	__atomic_store_n(&console_holder, (int)arch_cpu_id(), __ATOMIC_RELEASE);
	for (;;)
		cpu_relax();
}

/*
 * Panic while another CPU holds the console: the panic takes it, stops that
 * CPU. Preemption stays off from choosing the other CPU to the panic: the
 * shell thread runs on any CPU, and had it moved onto `other` after the
 * choice, the call would skip its own CPU and the wait would never end.
 */
static void __attribute__((noinline)) crash_panic_console(void)
{
	if (smp_cpus_online() < 2) {
		kprintf("crash: one CPU online: nobody else can hold the console\n");
		panic("crash: panic on purpose");
	}
	preempt_disable();
	unsigned other = arch_cpu_id() == 0 ? 1 : 0;
	smp_call_function_many(CPUMASK_CPU(other), crash_hold_console, NULL, false);
	while (__atomic_load_n(&console_holder, __ATOMIC_ACQUIRE) < 0)
		cpu_relax();
	panic("crash: panic on purpose while CPU %d holds the console", console_holder);
}

static const struct {
	const char *name;
	void (*fn)(void);
	const char *what;
} crash_kinds[] = {
	{"de", crash_divide_error, "divide by zero (#DE)"},
	{"ud", crash_invalid_opcode, "invalid opcode, ud2 (#UD)"},
	{"pf", crash_page_fault, "write to unmapped address 0x1000 (#PF)"},
	{"gp", crash_general_protection, "read of a non-canonical address (#GP)"},
	{"bp", crash_breakpoint, "breakpoint, int3 (#BP)"},
	{"panic", crash_panic, "panic() (stops every other CPU by NMI)"},
	{"panic_console", crash_panic_console, "panic() while another CPU holds the console"},
};

static int cmd_crash(int argc, char **argv)
{
	bool halt = argc == 3 && strcmp(argv[2], "halt") == 0;

	if (argc == 3 && !halt) {
		kprintf("crash: the second word can only be `halt`, not '%s'\n", argv[2]);
		shell_print_usage(shell_find("crash"));
		return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(crash_kinds) / sizeof(crash_kinds[0]); i++) {
		if (strcmp(argv[1], crash_kinds[i].name) == 0) {
			kprintf("crash: %s%s\n", crash_kinds[i].what,
				halt ? ", outside any recovery point" : "");
			if (halt)
				recovery_run_unguarded(crash_kinds[i].fn);
			else
				crash_kinds[i].fn();
			kprintf("crash: the kernel resumed after the exception\n");
			return 0;
		}
	}
	kprintf("crash: unknown kind '%s'\n", argv[1]);
	shell_print_usage(shell_find("crash"));
	return -EINVAL;
}

SHELL_COMMAND(crash, SHELL_ARGS(1, 2), "raise a CPU exception on purpose (to see the report)",
	      "usage: crash de|ud|pf|gp|bp|panic|panic_console [halt]\n"
	      "  de  divide by zero              (#DE, vector 0)\n"
	      "  ud  invalid opcode (ud2)        (#UD, vector 6)\n"
	      "  pf  write to unmapped 0x1000    (#PF, vector 14)\n"
	      "  gp  non-canonical address       (#GP, vector 13)\n"
	      "  bp  breakpoint (int3)           (#BP, vector 3)\n"
	      "  panic          panic(): the other CPUs are stopped by NMI; the end\n"
	      "  panic_console  another CPU takes the console lock mid-line and spins;\n"
	      "                 the panic takes the console anyway, stops that CPU\n"
	      "  The kernel prints the exception report, then aborts the command and\n"
	      "  goes on (the shell's recovery point). With `halt` the fault happens\n"
	      "  outside any recovery point, as in boot code: the kernel halts.\n"
	      "examples:\n"
	      "  crash pf       [disturbs] the page-fault report; the command is aborted\n"
	      "  crash bp       [disturbs] the breakpoint report; the command goes on\n"
	      "  crash ud halt  [ends the machine] the report, then the kernel halts\n"
	      "  crash panic_console  [ends the machine] the panic takes the console\n",
	      cmd_crash);
