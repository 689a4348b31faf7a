/*
 * shell.h - the serial console shell and its command table.
 *
 * Each subsystem registers its own commands with SHELL_COMMAND(), which puts
 * a pointer into the linker section "shell_commands"; the shell finds them
 * there at run time, so mm/ and later subsystems add commands without
 * touching kernel/shell/shell.c. Each command declares how many arguments it
 * takes (SHELL_ARGS); the shell checks the count before the command runs and,
 * on a wrong count, says what was expected and prints the usage, so a
 * command only checks what its arguments mean. Commands run in the shell's
 * context: interrupts enabled, one CPU, may sleep waiting for input.
 */
#ifndef KERNEL_SHELL_H
#define KERNEL_SHELL_H

#include <stddef.h>

/* Words on one line, the command name included; so at most 15 arguments. */
#define SHELL_MAX_WORDS 16
#define SHELL_ARGS_ANY (SHELL_MAX_WORDS - 1) /* a max_args of "as many as fit" */

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
	/*
	 * Arguments accepted (words after the name): fn runs only when
	 * min_args <= argc - 1 <= max_args, so it never checks the count.
	 * max_args SHELL_ARGS_ANY: as many as a line holds.
	 */
	unsigned char min_args, max_args;
};

/* The argument counts of a command, for SHELL_COMMAND: SHELL_ARGS(1, 3). */
#define SHELL_ARGS(min, max) min, max

/*
 * SHELL_COMMAND(echo, SHELL_ARGS(0, SHELL_ARGS_ANY), "print its arguments",
 *               "usage: echo [WORD...]\n", cmd_echo)
 * registers the command `echo`, which takes any number of arguments. File
 * scope, once per command. A compile-time check rejects min > max and counts
 * beyond what a line holds. (The second macro lets SHELL_ARGS expand into
 * its two numbers before they are used.)
 */
#define SHELL_COMMAND(cmd_name, cmd_args, cmd_summary, cmd_usage, cmd_fn)       \
	SHELL_COMMAND_ENTRY(cmd_name, cmd_args, cmd_summary, cmd_usage, cmd_fn)
#define SHELL_COMMAND_ENTRY(cmd_name, cmd_min, cmd_max, cmd_summary, cmd_usage, cmd_fn) \
	_Static_assert((cmd_min) <= (cmd_max) && (cmd_max) <= SHELL_ARGS_ANY,          \
		       "SHELL_ARGS of " #cmd_name ": min > max or max > SHELL_ARGS_ANY");  \
	static const struct shell_command shell_command_##cmd_name = {                 \
		.name = #cmd_name, .summary = cmd_summary, .usage = cmd_usage,              \
		.fn = cmd_fn, .min_args = (cmd_min), .max_args = (cmd_max)};                \
	static const struct shell_command *const shell_command_ptr_##cmd_name          \
		__attribute__((used, section("shell_commands"))) = &shell_command_##cmd_name

/* The command called name, or NULL. */
const struct shell_command *shell_find(const char *name);

/* Number of registered commands, and the i-th in alphabetical order. */
size_t shell_command_count(void);
const struct shell_command *shell_command_at(size_t i);

/*
 * Split line (modified in place) into at most SHELL_MAX_WORDS words and run
 * the command. Prints `unknown command: NAME (try 'help')` for an unknown
 * name; for an argument count outside the command's SHELL_ARGS, what it
 * expects and its usage (shell_check_args). Returns the command's result, 0
 * for an empty line, -ENOENT for an unknown command, -EINVAL for too many
 * words or a wrong argument count (the command does not run).
 */
int shell_execute(char *line);

/*
 * Is argc (the command name included, as in argv) a count cmd accepts? If
 * not, prints e.g. "alloc: too many arguments: expects 1 to 3, got 4
 * (first extra: 'x')" and the usage, and returns -EINVAL; else 0. argv may
 * be NULL (then no extra word is named). shell_execute calls it.
 */
int shell_check_args(const struct shell_command *cmd, int argc, char **argv);

/* Read-eval-print loop on the console; never returns. */
void shell_run(void) __attribute__((noreturn));

/*
 * Run fn each time Ctrl-C cancels a line at the prompt (after the editor
 * echoed ^C): `spawn` registers what stops its demo threads. NULL: nothing.
 */
void shell_set_cancel_handler(void (*fn)(void));

/* Print `usage:` lines of cmd (for a command that got bad arguments). */
void shell_print_usage(const struct shell_command *cmd);

#endif
