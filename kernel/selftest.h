/*
 * selftest.h - in-kernel test suites, registered by each subsystem.
 *
 * A test is a row {name, description, fn} in a table; fn returns NULL when
 * the test passes or a short reason when it fails. A subsystem registers its
 * table with SELFTEST_SUITE(), which drops a pointer into the linker section
 * "selftest_suites", so adding a suite never touches this file or the shell.
 *
 * The same tables build on the host (tests/host/main.c runs them under
 * ASan/UBSan), which is why nothing here depends on the CPU.
 *
 * Output format (read by scripts and the grader, keep it stable):
 *     selftest: PASS suite/name
 *     selftest: FAIL suite/name: reason
 *     selftest: N passed, N failed
 */
#ifndef KERNEL_SELFTEST_H
#define KERNEL_SELFTEST_H

#include <stddef.h>
#include <stdint.h>

#include "lib/compiler.h"

struct selftest {
	const char *name;        /* short identifier, unique in its suite */
	const char *description; /* one line: what is being checked */
	const char *(*fn)(void); /* NULL on pass, else the reason it failed */
};

struct selftest_suite {
	const char *name;              /* e.g. "lib", "buddy" */
	const struct selftest *tests;  /* the table */
	size_t count;                  /* rows in the table */
};

/*
 * SELFTEST_SUITE(lib, lib_tests) registers table lib_tests as suite "lib".
 * Must be used at file scope, once per suite.
 */
#define SELFTEST_SUITE(suite_name, table)                                          \
	static const struct selftest_suite selftest_suite_##suite_name = {             \
		#suite_name, table, sizeof(table) / sizeof((table)[0])};                    \
	static const struct selftest_suite *const selftest_suite_ptr_##suite_name      \
		__attribute__((used, section("selftest_suites"))) =                          \
			&selftest_suite_##suite_name

/*
 * The grader's channel (docs/labs/README.md): besides the console line,
 * each result is handed to fn as one line "RESULT PASS suite/name" or
 * "RESULT FAIL suite/name: reason" (newline included). The kernel sends it
 * to QEMU's debug console (port 0xe9), host programs to the file named by
 * $PAGODA_RESULTS: a channel kprintf never writes to, so printing a
 * "selftest: PASS" line cannot forge a result. NULL turns it off.
 */
void selftest_set_result_output(void (*fn)(const char *line));

/*
 * How each test function is called: by default t->fn() directly; the
 * kernel installs a runner that calls it under a recovery point, so a test
 * that faults fails with the fault named instead of stopping the run.
 */
void selftest_set_runner(const char *(*run)(const struct selftest *t));

/* Kernel only (kernel/commands/selftest_commands.c): install run_guarded and the debugcon channel. */
void selftest_kernel_init(void);

struct recovery_point;

/*
 * Kernel only: the failure reason of a test aborted back to rp by a fault,
 * in one line (the grader's students may not see the console): the
 * exception, for a page fault what the handler made of it (the latest
 * fault after number faults_before, fault_stats_total().faults), and the function
 * that faulted. Returns selftest_reason's buffer.
 */
const char *selftest_aborted_reason(const struct recovery_point *rp, uint64_t faults_before);

/* Stringify helper for failure reasons. */
#define SELFTEST_STR2(x) #x
#define SELFTEST_STR(x) SELFTEST_STR2(x)

/* Fail the current test (return its reason) unless cond holds. */
#define CHECK(cond)                                                                \
	do {                                                                           \
		if (!(cond))                                                               \
			return "check failed: " #cond " (" __FILE__ ":" SELFTEST_STR(__LINE__) ")"; \
	} while (0)

/*
 * Fail with a formatted reason, e.g.
 *     CHECKF(n == 4, "expected 4 entries, got %zu", n);
 * The reason lives in a static buffer until the next failure.
 */
#define CHECKF(cond, ...)                                                          \
	do {                                                                           \
		if (!(cond))                                                               \
			return selftest_reason(__VA_ARGS__);                                   \
	} while (0)

/*
 * Fail with the reason a helper returned, if it returned one:
 *     CHECK_OK(check_invariants(map));
 * for helpers that, like tests, return NULL or a reason.
 */
#define CHECK_OK(expr)                                                             \
	do {                                                                           \
		const char *reason_ = (expr);                                              \
		if (reason_)                                                               \
			return reason_;                                                        \
	} while (0)

/* Format a failure reason into a static buffer and return it (for CHECKF). */
const char *selftest_reason(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Bytes selftest_capture_begin() keeps, including the terminating NUL. */
#define SELFTEST_CAPTURE_SIZE 8192

/*
 * Start capturing: from now on kprintf output goes into a static buffer of
 * SELFTEST_CAPTURE_SIZE bytes instead of the current output function (which
 * is saved). Output beyond SELFTEST_CAPTURE_SIZE - 1 bytes is dropped; the
 * buffer is always NUL-terminated. Captures do not nest: a begin while one is
 * running only empties the buffer and keeps the output saved by the first,
 * so the one selftest_capture_end() still restores the right function.
 * Context: tests (one at a time; the buffer is shared).
 */
void selftest_capture_begin(void);

/*
 * Stop capturing: give kprintf back the output function saved by
 * selftest_capture_begin() and return the text captured since then. The text
 * stays valid until the next selftest_capture_begin(). Without a capture
 * running it changes nothing and returns the last captured text ("" at first).
 * Context: as selftest_capture_begin().
 */
const char *selftest_capture_end(void);

/* What selftest_expect_begin() puts before each line a test makes on purpose. */
#define SELFTEST_EXPECTED_PREFIX "(expected) "

/*
 * A test is about to make the kernel print an error on purpose (a refused
 * double free, say): until selftest_expect_end(), every line kprintf
 * starts begins with SELFTEST_EXPECTED_PREFIX, so a reader of the log (and
 * a script) can tell it from a real error. Does not nest; a capture
 * (selftest_capture_begin) may run inside it or around it, if the inner
 * one ends first. Context: tests, one at a time.
 */
void selftest_expect_begin(void);
void selftest_expect_end(void);

/*
 * Run every suite (suite == NULL or "all") or the one named; print one line
 * per test and the closing summary line. Adds the counts to *passed and
 * *failed. Returns 0, or -ENOENT if no suite has that name.
 */
__must_check int selftest_run(const char *suite, unsigned *passed, unsigned *failed);

/* Call fn(suite, arg) for each registered suite, in link order. */
void selftest_for_each_suite(void (*fn)(const struct selftest_suite *suite, void *arg), void *arg);

#endif
