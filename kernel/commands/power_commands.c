/*
 * power_commands.c - `halt`, `reboot` and `poweroff`: the shell's way to
 * kernel/power.c, which knows how (ACPI S5, the reset register, the 8042).
 *
 * Invariants:
 *   [x] none of the three commands returns: each ends in power_halt(),
 *       power_reboot() or power_off()
 *
 * Calling context: the shell thread.
 */
#include "kernel/power.h"
#include "kernel/shell/shell.h"
#include "lib/printf.h"

static int cmd_halt(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	power_halt();
}

static int cmd_reboot(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	power_reboot();
}

static int cmd_poweroff(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	kprintf("Powering off...\n");
	power_off();
}

SHELL_COMMAND(halt, SHELL_ARGS(0, 0), "stop the CPU (the machine stays on)",
	      "usage: halt\n"
	      "  Disables interrupts and halts the CPU. Nothing more happens until the\n"
	      "  machine is reset or turned off; in QEMU, close it with Ctrl-A X.\n"
	      "examples:\n"
	      "  halt    [ends the machine]\n",
	      cmd_halt);
SHELL_COMMAND(reboot, SHELL_ARGS(0, 0), "reset the machine",
	      "usage: reboot\n"
	      "  Resets through the ACPI reset register, else the keyboard controller,\n"
	      "  else a deliberate triple fault.\n"
	      "examples:\n"
	      "  reboot    [ends the machine]\n",
	      cmd_reboot);
SHELL_COMMAND(poweroff, SHELL_ARGS(0, 0), "turn the machine off (ACPI S5)",
	      "usage: poweroff\n"
	      "  Enters ACPI sleep state S5 (soft off) using the FADT and the DSDT's \\_S5\n"
	      "  package. QEMU exits. If the firmware's tables do not allow it, says\n"
	      "  what was missing and halts instead.\n"
	      "examples:\n"
	      "  poweroff    [ends the machine]\n",
	      cmd_poweroff);
