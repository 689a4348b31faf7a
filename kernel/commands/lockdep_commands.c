/*
 * lockdep_commands.c - the shell command `lockdep`: switch the lock-order
 * validator (mm/lockdep.h) and show what it knows.
 *
 * The validator is off by default (the `lockdep` or `sched_debug` word on
 * the kernel command line turns it on at boot); switched on here, it checks
 * the orders it sees from then on, and locks held at that moment are simply
 * unknown to it. The counts read here are the validator's own: lock
 * classes, orders recorded, reports printed, and the latest report.
 * Shell context (interrupts on); takes no lock of its own.
 */
#include "kernel/shell/shell.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/lockdep.h"

static int cmd_lockdep(int argc, char **argv)
{
	if (argc == 2 && (strcmp(argv[1], "on") == 0 || strcmp(argv[1], "off") == 0)) {
		lockdep_set_enabled(strcmp(argv[1], "on") == 0);
	} else if (argc == 2) {
		kprintf("lockdep: '%s' is neither on nor off\n", argv[1]);
		shell_print_usage(shell_find("lockdep"));
		return -EINVAL;
	}
	kprintf("lock-order validator %s: %u lock classes, %u orders recorded, %lu reports\n",
		lockdep_enabled ? "on" : "off", lockdep_class_count(), lockdep_order_count(),
		lockdep_reports());
	if (lockdep_reports() > 0)
		kprintf("latest: %s\n", lockdep_last_report());
	return 0;
}

SHELL_COMMAND(lockdep, SHELL_ARGS(0, 1), "switch the lock-order validator, show its counts",
	      "usage: lockdep [on|off]\n"
	      "  While on, every spinlock taken is checked against the orders seen so\n"
	      "  far: taking B while holding A after B then A was seen (directly or\n"
	      "  through other locks) prints \"lock order inversion\" with both locks and\n"
	      "  their call sites, before the CPU spins. Without an argument, shows the\n"
	      "  state. Booting with `lockdep` (or `sched_debug`) turns it on.\n"
	      "examples:\n"
	      "  lockdep on   check lock orders from now on\n"
	      "  lockdep      the state, the counts and the latest report\n"
	      "  lockdep off\n",
	      cmd_lockdep);
