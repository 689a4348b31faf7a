/*
 * crash_commands.c - the `crash` command: raise a CPU exception on purpose.
 *
 * For seeing what the exception report looks like (trap.c) and for the tests
 * that check it. Each kind executes one faulting instruction from a function
 * of its own, so the report's RIP and backtrace name it. Like any command,
 * `crash` runs under the shell's recovery point, so after the report the
 * command is aborted and the shell goes on (`bp` resumes by itself); with
 * `halt`, the fault happens outside any recovery point, as in boot code,
 * and halts the kernel.
 */
#include <stdbool.h>
#include <stdint.h>

#include "kernel/recovery.h"
#include "kernel/shell/shell.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"

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
	      "usage: crash de|ud|pf|gp|bp [halt]\n"
	      "  de  divide by zero              (#DE, vector 0)\n"
	      "  ud  invalid opcode (ud2)        (#UD, vector 6)\n"
	      "  pf  write to unmapped 0x1000    (#PF, vector 14)\n"
	      "  gp  non-canonical address       (#GP, vector 13)\n"
	      "  bp  breakpoint (int3)           (#BP, vector 3)\n"
	      "  The kernel prints the exception report, then aborts the command and\n"
	      "  goes on (the shell's recovery point). With `halt` the fault happens\n"
	      "  outside any recovery point, as in boot code: the kernel halts.\n"
	      "examples:\n"
	      "  crash pf       [disturbs] the page-fault report; the command is aborted\n"
	      "  crash bp       [disturbs] the breakpoint report; the command goes on\n"
	      "  crash ud halt  [ends the machine] the report, then the kernel halts\n",
	      cmd_crash);
