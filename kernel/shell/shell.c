/*
 * shell.c - the serial console shell: command table, line splitting, the
 * read-eval-print loop and the built-in commands `help` and `echo`.
 *
 * Commands are not listed here. Each subsystem registers its own with
 * SHELL_COMMAND(), which puts a pointer into the linker section
 * "shell_commands"; the linker brackets that section with the symbols
 * __start_shell_commands and __stop_shell_commands (boot/kernel.ld in the
 * kernel, GNU ld's automatic __start_/__stop_ symbols on the host). Link
 * order is arbitrary, so on first use the shell sorts an index of pointers
 * by name; `help`, shell_command_at() and Tab completion all see that order.
 *
 * Invariants:
 *   [x] at most SHELL_MAX_COMMANDS commands are visible (extras are reported)
 *   [x] shell_sorted[0..shell_sorted_count) is sorted by name once built
 *   [x] a command line has at most SHELL_MAX_WORDS words; argv[argc] == NULL
 *   [x] a command runs only with min_args <= argc - 1 <= max_args
 *
 * Calling context: the shell runs in a thread of its own with interrupts
 * enabled (console_getc blocks it until a key arrives, and other threads run
 * meanwhile); shell_execute is also called by tests.
 */
#include "kernel/shell/shell.h"

#include <stdbool.h>

#include "drivers/console.h"
#include "kernel/shell/line_editor.h"
#include "kernel/recovery.h"
#include "lib/compiler.h"
#include "lib/errno.h"
#include "lib/lab.h"
#include "lib/printf.h"
#include "lib/string.h"

#define SHELL_MAX_COMMANDS 128

extern const struct shell_command *const __start_shell_commands[];
extern const struct shell_command *const __stop_shell_commands[];

static const struct shell_command *shell_sorted[SHELL_MAX_COMMANDS];
static size_t shell_sorted_count;
static bool shell_sorted_ready;

/*
 * Build the sorted index on first use: insertion sort, which is plenty for
 * a hundred entries and simple to read. Duplicate names are reported, since
 * only the first of them could ever run.
 */
static void shell_sort_commands(void)
{
	size_t total = (size_t)(__stop_shell_commands - __start_shell_commands);

	if (shell_sorted_ready)
		return;
	shell_sorted_ready = true;
	if (total > SHELL_MAX_COMMANDS) {
		kprintf("shell: %zu commands registered, only the first %d are usable\n", total,
			SHELL_MAX_COMMANDS);
		total = SHELL_MAX_COMMANDS;
	}
	for (size_t i = 0; i < total; i++) {
		const struct shell_command *cmd = __start_shell_commands[i];
		size_t j = shell_sorted_count;

		while (j > 0 && strcmp(shell_sorted[j - 1]->name, cmd->name) > 0) {
			shell_sorted[j] = shell_sorted[j - 1];
			j--;
		}
		shell_sorted[j] = cmd;
		shell_sorted_count++;
	}
	for (size_t i = 1; i < shell_sorted_count; i++)
		if (strcmp(shell_sorted[i - 1]->name, shell_sorted[i]->name) == 0)
			kprintf("shell: command '%s' registered twice\n", shell_sorted[i]->name);
}

size_t shell_command_count(void)
{
	shell_sort_commands();
	return shell_sorted_count;
}

const struct shell_command *shell_command_at(size_t i)
{
	shell_sort_commands();
	return i < shell_sorted_count ? shell_sorted[i] : NULL;
}

const struct shell_command *shell_find(const char *name)
{
	if (name == NULL)
		return NULL;
	shell_sort_commands();
	for (size_t i = 0; i < shell_sorted_count; i++)
		if (strcmp(shell_sorted[i]->name, name) == 0)
			return shell_sorted[i];
	return NULL;
}

void shell_print_usage(const struct shell_command *cmd)
{
	if (cmd->usage != NULL)
		kprintf("%s", cmd->usage);
	else
		kprintf("usage: %s\n", cmd->name);
}

/* "no arguments", "1 argument", "2 or 3 arguments", "1 to 3", "at least 2", ... */
static void shell_print_expected(const struct shell_command *cmd)
{
	unsigned min = cmd->min_args, max = cmd->max_args;

	if (max == 0)
		kprintf("no arguments");
	else if (max == SHELL_ARGS_ANY)
		kprintf("at least %u argument%s", min, min == 1 ? "" : "s");
	else if (min == max)
		kprintf("%u argument%s", min, min == 1 ? "" : "s");
	else if (min == 0)
		kprintf("at most %u argument%s", max, max == 1 ? "" : "s");
	else
		kprintf("%u %s %u arguments", min, max == min + 1 ? "or" : "to", max);
}

int shell_check_args(const struct shell_command *cmd, int argc, char **argv)
{
	int args = argc - 1;

	if (args >= cmd->min_args && args <= cmd->max_args)
		return 0;
	kprintf("%s: too %s arguments: expects ", cmd->name, args < cmd->min_args ? "few" : "many");
	shell_print_expected(cmd);
	kprintf(", got %d", args);
	if (args > cmd->max_args && argv != NULL)
		kprintf(" (first extra: '%s')", argv[cmd->max_args + 1]);
	kprintf("\n");
	shell_print_usage(cmd);
	return -EINVAL;
}

static bool shell_is_space(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Split line in place: each run of spaces/tabs after a word becomes a NUL.
 * Counts every word even beyond the limit, so the caller can reject the
 * line; argv gets the first SHELL_MAX_WORDS of them and a NULL.
 */
static size_t shell_split(char *line, char *argv[SHELL_MAX_WORDS + 1])
{
	size_t argc = 0;
	char *p = line;

	for (;;) {
		while (shell_is_space(*p))
			p++;
		if (*p == '\0')
			break;
		if (argc < SHELL_MAX_WORDS)
			argv[argc] = p;
		argc++;
		while (*p != '\0' && !shell_is_space(*p))
			p++;
		if (*p != '\0')
			*p++ = '\0';
	}
	argv[argc < SHELL_MAX_WORDS ? argc : SHELL_MAX_WORDS] = NULL;
	return argc;
}

/*
 * Run cmd under a recovery point: if it faults, the trap code prints the
 * report and comes back here through recovery_save() returning 1
 * (kernel/recovery.h). A function of its own so that no local of the
 * caller lives across the second return.
 */
static __noinline int shell_run_guarded(const struct shell_command *cmd, int argc, char **argv)
{
	struct recovery_point rp;

	if (recovery_save(&rp) != 0)
		return -EFAULT;
	recovery_push(&rp, cmd->name);
	int result = cmd->fn(argc, argv);
	recovery_pop(&rp);
	return result;
}

int shell_execute(char *line)
{
	char *argv[SHELL_MAX_WORDS + 1];
	size_t argc = shell_split(line, argv);
	const struct shell_command *cmd;

	if (argc == 0)
		return 0;
	if (argc > SHELL_MAX_WORDS) {
		kprintf("too many arguments (max %d)\n", SHELL_MAX_WORDS);
		return -EINVAL;
	}
	cmd = shell_find(argv[0]);
	if (cmd == NULL) {
		kprintf("unknown command: %s (try 'help')\n", argv[0]);
		return -ENOENT;
	}
	if (shell_check_args(cmd, (int)argc, argv) != 0)
		return -EINVAL;
	lab_todo_forget(); /* a lab skeleton's stubs speak up again in this command */
	/* On an error the command has already said what was wrong. */
	return shell_run_guarded(cmd, (int)argc, argv);
}

/* ---- the read-eval-print loop ----------------------------------------- */

static void shell_editor_write(void *ctx __unused, const char *s, size_t n)
{
	console_write(s, n);
}

/* Tab completion candidates: every command name, in sorted order. */
static const char *shell_editor_complete(void *ctx __unused, size_t index)
{
	const struct shell_command *cmd = shell_command_at(index);

	return cmd != NULL ? cmd->name : NULL;
}

/* Static: the editor holds the history (about 8 KiB), too much for the stack. */
static struct line_editor shell_editor;
static void (*shell_cancel_handler)(void); /* what Ctrl-C does besides */

void shell_set_cancel_handler(void (*fn)(void))
{
	shell_cancel_handler = fn;
}

void shell_run(void)
{
	line_editor_init(&shell_editor, shell_editor_write, shell_editor_complete, NULL);
	for (;;) {
		/* Every result but LINE_CONTINUE left the cursor at the start of a line. */
		kprintf("%s", SHELL_PROMPT);
		for (;;) {
			int c = console_getc();
			enum line_result result;

			if (c < 0)
				continue;
			result = line_editor_feed(&shell_editor, (unsigned char)c);
			if (result == LINE_CONTINUE)
				continue;
			if (result == LINE_DONE)
				shell_execute(shell_editor.buffer);
			else if (result == LINE_CANCELLED && shell_cancel_handler)
				shell_cancel_handler();
			else if (result == LINE_TOO_LONG)
				kprintf("line too long (max %d characters), ignored\n",
					LINE_MAX_LENGTH);
			break;
		}
	}
}

/* ---- built-in commands ------------------------------------------------ */

static const char shell_help_usage[] =
	"usage: help [COMMAND]\n"
	"  Without an argument, list every command with a one-line summary.\n"
	"  With COMMAND, show its summary and how to use it. Each command's\n"
	"  examples run as shown, in order, on a fresh boot; a mark in brackets\n"
	"  says what an example does besides: [refused] shows a refusal (an error\n"
	"  message or a fault report), [disturbs] faults on purpose or takes all\n"
	"  free memory for a moment, [ends the machine] halts, resets or powers off.\n"
	"examples:\n"
	"  help          list all commands\n"
	"  help echo     how to use echo\n";

/* `help`: list all commands, or describe one. */
static int shell_cmd_help(int argc, char **argv)
{
	const struct shell_command *cmd;
	size_t width = 0;

	if (argc == 2) {
		cmd = shell_find(argv[1]);
		if (cmd == NULL) {
			kprintf("help: no command '%s' (try 'help')\n", argv[1]);
			return -ENOENT;
		}
		kprintf("%s - %s\n", cmd->name, cmd->summary);
		shell_print_usage(cmd);
		return 0;
	}

	for (size_t i = 0; (cmd = shell_command_at(i)) != NULL; i++)
		width = MAX(width, strlen(cmd->name));
	kprintf("Commands (type 'help NAME' for details):\n");
	for (size_t i = 0; (cmd = shell_command_at(i)) != NULL; i++)
		kprintf("  %-*s  %s\n", (int)width, cmd->name, cmd->summary);
	return 0;
}

SHELL_COMMAND(help, SHELL_ARGS(0, 1),
	      "list commands, or show how to use one", shell_help_usage, shell_cmd_help);

/* `echo`: the words of the line, one space apart. */
static int shell_cmd_echo(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		kprintf("%s%s", i > 1 ? " " : "", argv[i]);
	kprintf("\n");
	return 0;
}

SHELL_COMMAND(echo, SHELL_ARGS(0, SHELL_ARGS_ANY), "print its arguments",
	      "usage: echo [WORD...]\n"
	      "  Print the words separated by single spaces, then a newline. Runs of\n"
	      "  spaces and tabs between words count as one separator (there is no\n"
	      "  quoting). Handy for checking the console and marking logs.\n"
	      "examples:\n"
	      "  echo hello pagoda        prints \"hello pagoda\"\n"
	      "  echo                     prints an empty line\n",
	      shell_cmd_echo);
