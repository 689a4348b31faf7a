/*
 * shell.h - the serial console shell and its command table.
 *
 * Each subsystem registers its own commands with SHELL_COMMAND(), which puts
 * a pointer into the linker section "shell_commands"; the shell finds them
 * there at run time, so mm/ and later subsystems add commands without
 * touching kernel/shell/shell.c. Commands run in the shell's context: interrupts
 * enabled, one CPU, may sleep waiting for input.
 */
#ifndef KERNEL_SHELL_H
#define KERNEL_SHELL_H

#include <stddef.h>

struct shell_command {
	const char *name;    /* what the user types, lower case, no spaces */
	const char *summary; /* one line for `help` */
	/*
	 * `help NAME`: "usage: ..." synopsis, arguments, then "examples:" and one
	 * example a line: two spaces, the command line, optionally two or more
	 * spaces and a comment. Lines end in \n. Examples run in order on a fresh
	 * boot; a comment starting with [refused], [disturbs] or [ends the
	 * machine] marks one that shows a refusal, faults on purpose or takes all
	 * memory, or stops the machine (tests/integration/test_help.py runs them
	 * accordingly; `help help` explains the marks).
	 */
	const char *usage;
	/*
	 * Run the command. argv[0] is the command name; argv[argc] is NULL.
	 * Returns 0 on success or a negative error number after printing a
	 * message that says what was wrong.
	 */
	int (*fn)(int argc, char **argv);
};

/*
 * SHELL_COMMAND(echo, "print its arguments", "usage: echo [WORD...]\n", cmd_echo)
 * registers the command `echo`. File scope, once per command.
 */
#define SHELL_COMMAND(cmd_name, cmd_summary, cmd_usage, cmd_fn)                 \
	static const struct shell_command shell_command_##cmd_name = {              \
		#cmd_name, cmd_summary, cmd_usage, cmd_fn};                              \
	static const struct shell_command *const shell_command_ptr_##cmd_name       \
		__attribute__((used, section("shell_commands"))) = &shell_command_##cmd_name

/* The command called name, or NULL. */
const struct shell_command *shell_find(const char *name);

/* Number of registered commands, and the i-th in alphabetical order. */
size_t shell_command_count(void);
const struct shell_command *shell_command_at(size_t i);

/*
 * Split line (modified in place) into at most max_args words and run the
 * command. Prints `unknown command: NAME (try 'help')` for an unknown name.
 * Returns the command's result, 0 for an empty line, -ENOENT for an unknown
 * command, -EINVAL for too many words.
 */
int shell_execute(char *line);

/* Read-eval-print loop on the console; never returns. */
void shell_run(void) __attribute__((noreturn));

/* Print `usage:` lines of cmd (for a command that got bad arguments). */
void shell_print_usage(const struct shell_command *cmd);

#endif
