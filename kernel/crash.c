/*
 * crash.c - the `crash` command: raise a CPU exception on purpose.
 *
 * For seeing what the exception report looks like (trap.c) and for the tests
 * that check it. Each kind executes one faulting instruction from a function
 * of its own, so the report's RIP and backtrace name it. Until the fault
 * handler can abort a shell command (page-fault issue), every kind except
 * `bp` halts the kernel after the report.
 */
#include <stdint.h>

#include "kernel/shell.h"
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
	if (argc == 2) {
		for (size_t i = 0; i < sizeof(crash_kinds) / sizeof(crash_kinds[0]); i++) {
			if (strcmp(argv[1], crash_kinds[i].name) == 0) {
				kprintf("crash: %s\n", crash_kinds[i].what);
				crash_kinds[i].fn();
				kprintf("crash: the kernel resumed after the exception\n");
				return 0;
			}
		}
		kprintf("crash: unknown kind '%s'\n", argv[1]);
	}
	shell_print_usage(shell_find("crash"));
	return -EINVAL;
}

SHELL_COMMAND(crash, "raise a CPU exception on purpose (to see the report)",
	      "usage: crash de|ud|pf|gp|bp\n"
	      "  de  divide by zero              (#DE, vector 0)\n"
	      "  ud  invalid opcode (ud2)        (#UD, vector 6)\n"
	      "  pf  write to unmapped 0x1000    (#PF, vector 14)\n"
	      "  gp  non-canonical address       (#GP, vector 13)\n"
	      "  bp  breakpoint (int3)           (#BP, vector 3)\n"
	      "  The kernel prints the exception report and halts: reboot to go on.\n"
	      "example: crash pf\n",
	      cmd_crash);
