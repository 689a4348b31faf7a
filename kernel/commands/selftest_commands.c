/*
 * selftest_commands.c - the `selftest` shell command.
 *
 * Kept apart from selftest.c so that the runner also links into host test
 * programs, which have no shell. Also the kernel's side of the runner: each
 * test under a recovery point, results on the debug console for the
 * grader. Runs in the shell's context.
 */
#include "kernel/selftest.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/page_fault.h"
#include "kernel/arch/x86_64/trap.h"
#include "kernel/ksyms.h"
#include "kernel/recovery.h"
#include "kernel/shell/shell.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/fault.h"

/* E.g. "the test faulted and was aborted: Page Fault: not mapped in ... at demand_zero+0x1c". */
const char *selftest_aborted_reason(const struct recovery_point *rp, uint64_t faults_before)
{
	uint64_t offset = 0;
	const char *function = ksyms_lookup(rp->fault_rip, &offset);
	struct fault f;
	char what[200] = "";

	if (rp->fault_vector == VEC_PAGE_FAULT && page_fault_last(faults_before, &f))
		fault_describe(&f, what, sizeof(what));
	return selftest_reason("the test faulted and was aborted: %s%s%s at %s+0x%lx (the full "
			       "report is on the console)", trap_exception_name(rp->fault_vector),
			       what[0] ? ": " : "", what, function ? function : "?", offset);
}

/* A test under a recovery point: a fault fails it instead of stopping the run. */
static const char *run_guarded(const struct selftest *t)
{
	static struct recovery_point rp; /* static: survives the second return */
	static uint64_t faults_before;   /* likewise */
	const char *reason;

	faults_before = fault_count_total();
	if (recovery_save(&rp) != 0)
		return selftest_aborted_reason(&rp, faults_before);
	recovery_push(&rp, t->name);
	reason = t->fn();
	recovery_pop(&rp);
	return reason;
}

#define DEBUGCON_PORT 0xe9 /* QEMU's isa-debugcon: bytes written land in -debugcon's file */

/* The grader's channel: QEMU's debug console (ignored where there is none). */
static void debugcon_write(const char *line)
{
	for (; *line; line++)
		outb(DEBUGCON_PORT, (uint8_t)*line);
}

void selftest_kernel_init(void)
{
	selftest_set_runner(run_guarded);
	selftest_set_result_output(debugcon_write);
}

static void print_suite(const struct selftest_suite *suite, void *arg)
{
	(void)arg;
	kprintf("  %-14s %2zu tests\n", suite->name, suite->count);
	for (size_t i = 0; i < suite->count; i++)
		kprintf("      %-28s %s\n", suite->tests[i].name, suite->tests[i].description);
}

static int cmd_selftest(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "list") == 0) {
		kprintf("test suites:\n");
		selftest_for_each_suite(print_suite, NULL);
		return 0;
	}
	int err = selftest_run(argc == 2 ? argv[1] : NULL, NULL, NULL);
	if (err == -ENOENT) {
		kprintf("selftest: no suite named '%s' (try 'selftest list')\n", argv[1]);
		return err;
	}
	return err;
}

SHELL_COMMAND(selftest, SHELL_ARGS(0, 1), "run the in-kernel test suites",
	      "usage: selftest [all|SUITE|list]\n"
	      "  Runs every suite (no argument or `all`) or the one named, printing one\n"
	      "  line per test and a closing `selftest: N passed, N failed` line.\n"
	      "  `selftest list` shows each suite with its tests and what they check.\n"
	      "examples:\n"
	      "  selftest list    every suite and its tests\n"
	      "  selftest string  one suite\n"
	      "  selftest         every suite\n",
	      cmd_selftest);
