/*
 * timer_commands.c - the `uptime` command: ticks since the timer started,
 * the measured TSC rate and the boot time (kernel/timer.c keeps them).
 *
 * Invariants:
 *   [x] reads the timer only; changes nothing
 *
 * Calling context: the shell thread (interrupts on, so the tick advances).
 */
#include "kernel/shell/shell.h"
#include "kernel/timer.h"
#include "lib/printf.h"

static int cmd_uptime(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	uint64_t t = timer_ticks();
	uint64_t boot = timer_boot_us();
	uint64_t hz = timer_tsc_hz();
	uint64_t since_entry = timer_us_since_entry();
	kprintf("up %lu.%02lu s (%lu ticks at %u Hz)\n", t / TIMER_HZ, t % TIMER_HZ * 100 / TIMER_HZ,
		t, TIMER_HZ);
	kprintf("TSC: %lu.%03lu MHz, %lu.%03lu s since kernel entry\n", hz / 1000000,
		hz / 1000 % 1000, since_entry / 1000000, since_entry / 1000 % 1000);
	kprintf("boot: kernel entry to first prompt took %lu.%03lu ms\n", boot / 1000, boot % 1000);
	return 0;
}

SHELL_COMMAND(uptime, SHELL_ARGS(0, 0), "time since boot, timer and TSC rates, boot time",
	      "usage: uptime\n"
	      "  Prints the time since the timer started (in ticks and seconds), the\n"
	      "  measured TSC frequency, and how long the kernel took from its first\n"
	      "  instruction to the first shell prompt (measured with the TSC).\n",
	      cmd_uptime);
