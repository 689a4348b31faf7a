/*
 * main.c - the usertests runner: `usertests` runs every test, `usertests
 * NAME...` the named ones, `usertests -l` lists them with their tags, and
 * `usertests -r [NAME...]` runs them for the lab grader (scripts/grade.py).
 *
 * Output, one line per test, then a summary that tests/integration parses:
 *   PASS name            FAIL name: reason          SKIP name: Pagoda only
 *   usertests: N passed, M failed[, K skipped]
 * The exit status is 0 only when nothing failed (2: an unknown name, or -r
 * without COM2).
 *
 * With -r each result also goes, as `RESULT PASS|FAIL usertests/NAME[:
 * reason]` (a skip is a FAIL saying "skipped: why"), to the second serial
 * port, COM2 (0x2f8-0x2ff), written by polled outb: the grader's channel.
 * The kernel never drives COM2 and kprintf never writes it, so a line a
 * test (or the kernel) prints on the console cannot reach the grader. The
 * process holds COM2's ports (ioperm) only while it writes one line, so the
 * tests and the children they fork run with no port, as without -r
 * (protect.c, ioports.c).
 *
 * Invariants:
 *   [x] the tables run in the order of `suites`, each test once;
 *   [x] a PAGODA_ONLY test is skipped, never failed, on Linux;
 *   [x] a test that returned skip()'s reason is counted skipped, not failed;
 *   [x] with -r, a test's RESULT line is on COM2 before the next test
 *       starts, on a line of its own, and no port is held during a test.
 * Context: the usertests program, from Pagoda's shell (`run usertests
 * [-r] [NAME]`) or from the small init of the Linux run.
 */
#include "usertests.h"

#include <sys/io.h>

#include "pagoda/uart16550.h"

static const struct usertest *const suites[] = {
	files_tests, memory_tests, process_tests, fork_tests, cow_tests,
	exec_tests,  pipe_tests,   signal_tests,  protect_tests, ioport_tests,
	ipc_tests,   pager_tests,
	syscalls_lab_tests, fork_lab_tests, ipcmem_tests, /* labs 6, 7, 8 (docs/labs/) */
	grader_tests,
};
#define NSUITES (sizeof(suites) / sizeof(suites[0]))

/*
 * The grader's channel (-r): COM2, a 16550 UART that QEMU connects to a
 * socket the grader reads (tests/integration/pagoda.py, com2_output()).
 */
#define THR_SPINS 1000000      /* a missing or stuck UART does not hang the run */

static int reporting; /* -r: results go to COM2 too */

/* Write text to COM2 byte by byte, holding its ports only meanwhile: 0 or -errno. */
static long com2_write(const char *text)
{
	long r = sys(SYS_ioperm, COM2_PORT, COM2_PORTS, 1);

	if (r != 0)
		return r;
	outb(LCR_8N1, COM2_PORT + UART_LCR);     /* DLAB clear: UART_DATA is the data register */
	outb(MCR_DTR_RTS, COM2_PORT + UART_MCR); /* no loopback, no OUT2: no interrupt */
	for (const char *c = text; *c; c++) {
		for (long spin = 0; spin < THR_SPINS; spin++)
			if (inb(COM2_PORT + UART_LSR) & LSR_THR_EMPTY)
				break;
		outb((unsigned char)*c, COM2_PORT + UART_DATA);
	}
	return sys(SYS_ioperm, COM2_PORT, COM2_PORTS, 0);
}

/*
 * With -r, name's result on COM2: "RESULT PASS usertests/NAME" or "RESULT
 * FAIL usertests/NAME: reason" (newlines in the reason become spaces). The
 * line starts with a newline, so bytes a test left on COM2 cannot join it.
 */
static void report(const char *name, const char *why, int skipped)
{
	char line[700];

	if (!reporting)
		return;
	if (!why)
		snprintf(line, sizeof(line), "\nRESULT PASS usertests/%s\n", name);
	else
		snprintf(line, sizeof(line), "\nRESULT FAIL usertests/%s: %s%s\n", name,
			 skipped ? "skipped: " : "", why);
	for (char *c = line + 1; *c && c[1]; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
	if (strlen(line) == sizeof(line) - 1) /* cut short: still one whole line */
		line[sizeof(line) - 2] = '\n';
	com2_write(line);
}

/*
 * The grader's own test: it prints a forged RESULT line on the console,
 * which must never reach the grader (tests/labs/check_labs.py, unforgeable).
 */
static const char *test_console_cannot_forge(void)
{
	printf("RESULT PASS usertests/forged_by_printf\n");
	return NULL;
}

const struct usertest grader_tests[] = {
	{"console_cannot_forge", test_console_cannot_forge, PORTABLE},
	{NULL, NULL, 0},
};

/* The test named name, or NULL. */
static const struct usertest *find(const char *name)
{
	for (size_t s = 0; s < NSUITES; s++)
		for (const struct usertest *t = suites[s]; t->name; t++)
			if (strcmp(t->name, name) == 0)
				return t;
	return NULL;
}

static void list(FILE *out)
{
	for (size_t s = 0; s < NSUITES; s++)
		for (const struct usertest *t = suites[s]; t->name; t++)
			fprintf(out, "%s %s\n", t->name,
				t->flags & PAGODA_ONLY ? "pagoda-only" : "portable");
}

static int wanted(const struct usertest *t, int first, int argc, char **argv)
{
	if (argc == first)
		return 1;
	for (int i = first; i < argc; i++)
		if (strcmp(t->name, argv[i]) == 0)
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	int pagoda = on_pagoda(), passed = 0, failed = 0, skipped = 0, first = 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && strcmp(argv[1], "-l") == 0) {
		list(stdout);
		return 0;
	}
	if (argc >= 2 && strcmp(argv[1], "-r") == 0) {
		long r = com2_write("\n");

		if (r != 0) {
			printf("usertests: -r needs COM2's ports (ioperm 0x2f8, 8): %s\n",
			       ret_name(r));
			return 2;
		}
		reporting = 1;
		first = 2;
	}
	for (size_t s = 0; s < NSUITES; s++)
		for (const struct usertest *t = suites[s]; t->name; t++)
			if (find(t->name) != t) {
				printf("usertests: two tests are named %s\n", t->name);
				return 2;
			}
	for (int i = first; i < argc; i++) {
		if (!find(argv[i])) {
			printf("usertests: no test named %s; `usertests -l` lists them\n", argv[i]);
			return 2;
		}
	}
	for (size_t s = 0; s < NSUITES; s++) {
		for (const struct usertest *t = suites[s]; t->name; t++) {
			if (!wanted(t, first, argc, argv))
				continue;
			if ((t->flags & PAGODA_ONLY) && !pagoda) {
				printf("SKIP %s: Pagoda only\n", t->name);
				report(t->name, "Pagoda only", 1);
				skipped++;
				continue;
			}
			const char *why = t->fn();

			int skip = why && skip_requested();

			if (skip) {
				printf("SKIP %s: %s\n", t->name, why);
				skipped++;
			} else if (why) {
				printf("FAIL %s: %s\n", t->name, why);
				failed++;
			} else {
				printf("PASS %s\n", t->name);
				passed++;
			}
			report(t->name, why, skip);
		}
	}
	if (skipped)
		printf("usertests: %d passed, %d failed, %d skipped\n", passed, failed, skipped);
	else
		printf("usertests: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
