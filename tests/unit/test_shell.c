/*
 * test_shell.c - suite "shell": the command table, line splitting and the
 * built-in commands `help` and `echo`.
 *
 * The tests call shell_execute() directly and capture what it prints with
 * selftest_capture_begin/end for the duration of one call (test_run), which
 * puts back whatever output function was there before, so the suite behaves
 * the same in the kernel, where that is the console, and on the host, where
 * it is stdout.
 *
 * They rely only on `help` and `echo` existing (both live in shell.c);
 * other commands may or may not be linked in. The argument-count check is
 * tested on commands defined here but not registered (so they never show
 * up in the kernel's `help`).
 *
 * Freestanding (built into the kernel too): lib/ functions only.
 */
#include <stdbool.h>
#include <stddef.h>

#include "kernel/selftest.h"
#include "kernel/shell/shell.h"
#include "lib/compiler.h"
#include "lib/errno.h"
#include "lib/string.h"

static const char *test_out = ""; /* what the last test_run printed (selftest's capture) */
static char test_line[512];

/* shell_execute(line) on a writable copy, with its output captured in test_out. */
static int test_run(const char *line)
{
	int ret;

	strlcpy(test_line, line, sizeof(test_line));
	selftest_capture_begin();
	ret = shell_execute(test_line);
	test_out = selftest_capture_end();
	return ret;
}

/* The line of test_out that starts with "  NAME " (help's list format), or NULL. */
static const char *test_find_list_line(const char *name)
{
	size_t n = strlen(name);

	for (const char *p = test_out; p != NULL && *p != '\0';) {
		if (strncmp(p, "  ", 2) == 0 && strncmp(p + 2, name, n) == 0 && p[2 + n] == ' ')
			return p;
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return NULL;
}

/* Column where the summary starts on a help list line. */
static size_t test_summary_column(const char *line, const char *name)
{
	size_t col = 2 + strlen(name);

	while (line[col] == ' ')
		col++;
	return col;
}

static const char *test_table_sorted(void)
{
	size_t count = shell_command_count();

	CHECK(count >= 2);
	for (size_t i = 0; i < count; i++)
		CHECKF(shell_command_at(i) != NULL, "command %zu of %zu is NULL", i, count);
	for (size_t i = 1; i < count; i++)
		CHECKF(strcmp(shell_command_at(i - 1)->name, shell_command_at(i)->name) < 0,
		       "'%s' listed before '%s'", shell_command_at(i - 1)->name,
		       shell_command_at(i)->name);
	CHECK(shell_command_at(count) == NULL);
	return NULL;
}

static const char *test_find_commands(void)
{
	const struct shell_command *help = shell_find("help"), *echo = shell_find("echo");

	CHECK(help != NULL && strcmp(help->name, "help") == 0 && help->fn != NULL);
	CHECK(echo != NULL && strcmp(echo->name, "echo") == 0 && echo->fn != NULL);
	CHECK(strstr(help->usage, "usage: help") != NULL);
	CHECK(strstr(echo->usage, "usage: echo") != NULL);
	CHECK(shell_find("nosuchcommand") == NULL);
	CHECK(shell_find("") == NULL);
	CHECK(shell_find("hel") == NULL && shell_find("helpx") == NULL);
	CHECK(shell_find(NULL) == NULL);
	return NULL;
}

static const char *test_help_list(void)
{
	const char *help_line, *echo_line;

	CHECK(test_run("help") == 0);
	/* every command, with its summary, one per line */
	for (size_t i = 0; i < shell_command_count(); i++) {
		const struct shell_command *cmd = shell_command_at(i);
		const char *line = test_find_list_line(cmd->name);

		CHECKF(line != NULL, "'%s' is not listed", cmd->name);
		CHECKF(strncmp(line + test_summary_column(line, cmd->name), cmd->summary,
			       strlen(cmd->summary)) == 0,
		       "'%s' listed without its summary", cmd->name);
	}
	/* summaries form one column */
	help_line = test_find_list_line("help");
	echo_line = test_find_list_line("echo");
	CHECK(help_line != NULL && echo_line != NULL);
	CHECK(test_summary_column(help_line, "help") == test_summary_column(echo_line, "echo"));
	CHECK(echo_line < help_line); /* alphabetical */
	return NULL;
}

static const char *test_help_command(void)
{
	const struct shell_command *echo = shell_find("echo");

	CHECK(echo != NULL);
	CHECK(test_run("help echo") == 0);
	CHECK(strncmp(test_out, "echo - ", 7) == 0);
	CHECK(strstr(test_out, echo->summary) != NULL);
	CHECK(strstr(test_out, echo->usage) != NULL);
	CHECK(test_run("  help\thelp  ") == 0);
	CHECK(strstr(test_out, "usage: help") != NULL);
	return NULL;
}

static const char *test_help_errors(void)
{
	int ret = test_run("help nosuch");

	CHECKF(ret == -ENOENT, "returned %d", ret);
	CHECKF(strcmp(test_out, "help: no command 'nosuch' (try 'help')\n") == 0, "printed \"%s\"",
	       test_out);
	ret = test_run("help echo help");
	CHECKF(ret == -EINVAL, "returned %d", ret);
	CHECK(strstr(test_out, "usage: help") != NULL);
	return NULL;
}

static const char *test_unknown_command(void)
{
	int ret = test_run("frobnicate now");

	CHECKF(ret == -ENOENT, "returned %d", ret);
	CHECKF(strcmp(test_out, "unknown command: frobnicate (try 'help')\n") == 0,
	       "printed \"%s\"", test_out);
	CHECK(test_run("HELP") == -ENOENT); /* names are case sensitive */
	return NULL;
}

static const char *test_too_many_arguments(void)
{
	int ret;

	/* 16 words are fine: echo and 15 arguments */
	CHECK(test_run("echo 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15") == 0);
	CHECK(strcmp(test_out, "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15\n") == 0);
	/* 17 are not, and the command does not run */
	ret = test_run("echo 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16");
	CHECKF(ret == -EINVAL, "returned %d", ret);
	CHECKF(strcmp(test_out, "too many arguments (max 16)\n") == 0, "printed \"%s\"", test_out);
	CHECK(test_run("nosuch a b c d e f g h i j k l m n o p q r s t u v w x y z") == -EINVAL);
	return NULL;
}

static const char *test_empty_lines(void)
{
	CHECK(test_run("") == 0 && strlen(test_out) == 0);
	CHECK(test_run("   ") == 0 && strlen(test_out) == 0);
	CHECK(test_run(" \t \t ") == 0 && strlen(test_out) == 0);
	return NULL;
}

static const char *test_echo(void)
{
	CHECK(test_run("echo  hello \t pagoda ") == 0);
	CHECKF(strcmp(test_out, "hello pagoda\n") == 0, "printed \"%s\"", test_out);
	CHECK(test_run("echo") == 0);
	CHECK(strcmp(test_out, "\n") == 0);
	CHECK(test_run("\techo 100% %s") == 0); /* words are data, never formats */
	CHECK(strcmp(test_out, "100% %s\n") == 0);
	return NULL;
}

/* ---- declared arity (issue 12, item 3.4) ---------------------------------- */

static int test_fake_calls;

static int test_fake_command(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	test_fake_calls++;
	return 0;
}

/* Not in the shell_commands section: only these tests see them. */
static const struct shell_command test_fake_none = {
	.name = "fakenone", .summary = "s", .usage = "usage: fakenone\n",
	.fn = test_fake_command, .min_args = 0, .max_args = 0};
static const struct shell_command test_fake_range = {
	.name = "fakerange", .summary = "s", .usage = "usage: fakerange A [B] [C]\n",
	.fn = test_fake_command, .min_args = 1, .max_args = 3};
static const struct shell_command test_fake_two = {
	.name = "faketwo", .summary = "s", .usage = "usage: faketwo A B\n",
	.fn = test_fake_command, .min_args = 2, .max_args = 2};
static const struct shell_command test_fake_any = {
	.name = "fakeany", .summary = "s", .usage = "usage: fakeany A B C...\n",
	.fn = test_fake_command, .min_args = 3, .max_args = SHELL_ARGS_ANY};
static const struct shell_command test_fake_optional = {
	.name = "fakeopt", .summary = "s", .usage = "usage: fakeopt [A]\n",
	.fn = test_fake_command, .min_args = 0, .max_args = 1};

static bool test_starts_with(const char *text, const char *prefix)
{
	return strncmp(text, prefix, strlen(prefix)) == 0;
}

/* shell_check_args(cmd, argc, argv) with its output captured in test_out. */
static int test_check(const struct shell_command *cmd, int argc, char **argv)
{
	int ret;

	selftest_capture_begin();
	ret = shell_check_args(cmd, argc, argv);
	test_out = selftest_capture_end();
	return ret;
}

static const char *test_arity_accepts_declared_counts(void)
{
	char *argv[] = {"x", "a", "b", "c", NULL};

	CHECK(test_check(&test_fake_none, 1, argv) == 0 && test_out[0] == '\0');
	for (int argc = 2; argc <= 4; argc++)
		CHECKF(test_check(&test_fake_range, argc, argv) == 0 && test_out[0] == '\0',
		       "fakerange with %d arguments: \"%s\"", argc - 1, test_out);
	CHECK(test_check(&test_fake_two, 3, argv) == 0);
	CHECK(test_check(&test_fake_any, 4, argv) == 0);
	CHECK(test_check(&test_fake_any, SHELL_MAX_WORDS, NULL) == 0);
	return NULL;
}

/* Too many: says so, the expected range, the count, the first extra word, then the usage. */
static const char *test_arity_too_many_names_first_extra(void)
{
	char *argv[] = {"fakerange", "-p", "0", "dma", "extra", NULL};
	int ret = test_check(&test_fake_range, 5, argv);

	CHECKF(ret == -EINVAL, "returned %d", ret);
	CHECKF(strcmp(test_out, "fakerange: too many arguments: expects 1 to 3 arguments, got 4 "
				"(first extra: 'extra')\nusage: fakerange A [B] [C]\n") == 0,
	       "printed \"%s\"", test_out);
	char *argv2[] = {"fakeopt", "1", "2", NULL};
	ret = test_check(&test_fake_optional, 3, argv2);
	CHECKF(ret == -EINVAL, "returned %d", ret);
	CHECKF(test_starts_with(test_out, "fakeopt: too many arguments: expects at most 1 "
					  "argument, got 2 (first extra: '2')\n"),
	       "printed \"%s\"", test_out);
	char *argv3[] = {"fakenone", "now", NULL};
	CHECK(test_check(&test_fake_none, 2, argv3) == -EINVAL);
	CHECKF(strcmp(test_out, "fakenone: too many arguments: expects no arguments, got 1 "
				"(first extra: 'now')\nusage: fakenone\n") == 0,
	       "printed \"%s\"", test_out);
	return NULL;
}

static const char *test_arity_too_few(void)
{
	char *argv[] = {"x", "a", NULL};

	CHECK(test_check(&test_fake_range, 1, argv) == -EINVAL);
	CHECKF(strcmp(test_out, "fakerange: too few arguments: expects 1 to 3 arguments, got 0\n"
				"usage: fakerange A [B] [C]\n") == 0, "printed \"%s\"", test_out);
	CHECK(test_check(&test_fake_two, 2, argv) == -EINVAL);
	CHECKF(test_starts_with(test_out, "faketwo: too few arguments: expects 2 arguments, got 1\n"),
	       "printed \"%s\"", test_out);
	CHECK(test_check(&test_fake_any, 2, argv) == -EINVAL);
	CHECKF(test_starts_with(test_out, "fakeany: too few arguments: expects at least 3 "
					  "arguments, got 1\n"),
	       "printed \"%s\"", test_out);
	return NULL;
}

/* Through shell_execute: a wrong count never reaches the command. */
static const char *test_arity_command_does_not_run(void)
{
	int ret = test_run("help echo help");

	CHECKF(ret == -EINVAL, "returned %d", ret);
	CHECKF(test_starts_with(test_out, "help: too many arguments: expects at most 1 argument, "
					  "got 2 (first extra: 'help')\nusage: help [COMMAND]\n"),
	       "printed \"%s\"", test_out);
	CHECK(strstr(test_out, "echo - ") == NULL); /* help did not run */
	test_fake_calls = 0;
	char *argv[] = {"fakenone", "x", NULL};
	CHECK(test_check(&test_fake_none, 2, argv) == -EINVAL && test_fake_calls == 0);
	return NULL;
}

/* Every registered command declares a sane range (SHELL_COMMAND also checks at compile time). */
static const char *test_arity_declared_by_every_command(void)
{
	for (size_t i = 0; i < shell_command_count(); i++) {
		const struct shell_command *cmd = shell_command_at(i);
		CHECKF(cmd->min_args <= cmd->max_args && cmd->max_args <= SHELL_ARGS_ANY,
		       "'%s' declares %u..%u arguments", cmd->name, cmd->min_args, cmd->max_args);
	}
	CHECK(shell_find("help")->min_args == 0 && shell_find("help")->max_args == 1);
	CHECK(shell_find("echo")->max_args == SHELL_ARGS_ANY);
	return NULL;
}

static const struct selftest shell_tests[] = {
	{"table_sorted", "shell_command_at lists every command in alphabetical order",
	 test_table_sorted},
	{"find", "shell_find finds help and echo by exact name only", test_find_commands},
	{"help_list", "help lists every command with its summary in one column", test_help_list},
	{"help_command", "help CMD prints the summary and the usage text", test_help_command},
	{"help_errors", "help with an unknown command or extra words fails", test_help_errors},
	{"unknown_command", "an unknown command is named and gives -ENOENT", test_unknown_command},
	{"too_many_arguments", "16 words run, 17 are refused with -EINVAL",
	 test_too_many_arguments},
	{"empty_lines", "empty and blank lines do nothing and return 0", test_empty_lines},
	{"echo", "echo joins its arguments with single spaces", test_echo},
	{"arity_accepts_declared_counts", "every count inside a command's SHELL_ARGS runs",
	 test_arity_accepts_declared_counts},
	{"arity_too_many_names_first_extra",
	 "too many arguments: expected range, count and first extra word, then the usage",
	 test_arity_too_many_names_first_extra},
	{"arity_too_few", "too few arguments: expected range and count, then the usage",
	 test_arity_too_few},
	{"arity_command_does_not_run", "a wrong count is refused before the command runs",
	 test_arity_command_does_not_run},
	{"arity_declared_by_every_command", "every registered command has min <= max <= 15",
	 test_arity_declared_by_every_command},
};

SELFTEST_SUITE(shell, shell_tests);
