/*
 * shell_stubs.c - the two shell functions a command's file calls, for host
 * tests that link such a file (kernel/bootinfo.c) without kernel/shell/shell.c.
 *
 * The real shell finds commands in the "shell_commands" linker section and
 * prints their usage text; the host tests of those files test their parsing
 * and printing functions, not the shell, so these stubs do the least that
 * keeps a bad-argument path harmless: no command is found, and usage of a
 * NULL command prints a placeholder. Hosted code: may use libc.
 */
#include <stddef.h>

#include "kernel/shell/shell.h"
#include "lib/printf.h"

const struct shell_command *shell_find(const char *name)
{
	(void)name;
	return NULL;
}

void shell_print_usage(const struct shell_command *cmd)
{
	if (cmd && cmd->usage)
		kprintf("%s", cmd->usage);
	else
		kprintf("usage: (shell not linked in this host test)\n");
}
