/*
 * selftest.c - finds the registered test suites and runs them.
 *
 * Suites register themselves with SELFTEST_SUITE() (kernel/selftest.h), which
 * puts a pointer to the suite in the linker section "selftest_suites". The
 * linker lays all those pointers side by side and marks the ends with
 * __start_selftest_suites and __stop_selftest_suites (GNU ld does that by
 * itself for any section whose name is a C identifier; boot/kernel.ld does it
 * explicitly). Running the tests is a walk over that array. It also keeps
 * the helpers tests share: the CHECKF reason buffer, a kprintf capture and
 * the "(expected) " marking of errors a test makes the kernel print.
 *
 * Invariants:
 *   [x] the section is never empty: this file adds one NULL entry, so the
 *       __start/__stop symbols exist even in a program with no suite at all;
 *       the walk skips NULL entries;
 *   [x] the output lines match the format documented in selftest.h exactly;
 *   [x] selftest_capture_buf is always NUL-terminated, and while capturing,
 *       selftest_capture_saved holds the output to restore (never our own);
 *   [x] marking ends with the test that began it, even one that failed.
 * Context: the shell or the selftest boot; tests may use the heap and sleep.
 */
#include "kernel/selftest.h"

#include <stdarg.h>
#include <stdbool.h>

#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"

extern const struct selftest_suite *const __start_selftest_suites[];
extern const struct selftest_suite *const __stop_selftest_suites[];

/* The placeholder that keeps the section (and its boundary symbols) in existence. */
static const struct selftest_suite *const selftest_placeholder
	__attribute__((used, section("selftest_suites"))) = NULL;

/* Reasons formatted by CHECKF; valid until the next failure. */
static char selftest_reason_buf[256];

const char *selftest_reason(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(selftest_reason_buf, sizeof(selftest_reason_buf), fmt, ap);
	va_end(ap);
	return selftest_reason_buf;
}

/* The capture of selftest_capture_begin/end. */
static char selftest_capture_buf[SELFTEST_CAPTURE_SIZE];
static size_t selftest_capture_len;
static bool selftest_capturing;
static kprintf_output_fn selftest_capture_saved; /* valid while capturing */

/* The kprintf output function during a capture: append what fits, keep the NUL. */
static void selftest_capture_write(const char *s, size_t n)
{
	size_t room = sizeof(selftest_capture_buf) - 1 - selftest_capture_len;

	if (n > room)
		n = room;
	memcpy(selftest_capture_buf + selftest_capture_len, s, n);
	selftest_capture_len += n;
	selftest_capture_buf[selftest_capture_len] = '\0';
}

/*
 * Implementation note: the "capturing" flag, not a comparison of the output
 * function, tells a nested begin apart, so the function saved first (the
 * console) is never overwritten by our own selftest_capture_write.
 */
void selftest_capture_begin(void)
{
	selftest_capture_len = 0;
	selftest_capture_buf[0] = '\0';
	if (!selftest_capturing) {
		selftest_capture_saved = kprintf_get_output();
		selftest_capturing = true;
	}
	kprintf_set_output(selftest_capture_write);
}

const char *selftest_capture_end(void)
{
	if (selftest_capturing) {
		kprintf_set_output(selftest_capture_saved);
		selftest_capturing = false;
	}
	return selftest_capture_buf;
}

/* The marking of selftest_expect_begin/end. */
static bool selftest_expecting;
static bool selftest_expect_line_start; /* the next byte starts a line */
static kprintf_output_fn selftest_expect_saved; /* valid while expecting */

/* The kprintf output function while expecting: the prefix at each line start. */
static void selftest_expect_write(const char *s, size_t n)
{
	while (n > 0) {
		size_t len = 0;

		while (len < n && s[len++] != '\n')
			;
		bool nl = s[len - 1] == '\n';

		if (selftest_expect_line_start)
			selftest_expect_saved(SELFTEST_EXPECTED_PREFIX,
					      sizeof(SELFTEST_EXPECTED_PREFIX) - 1);
		selftest_expect_saved(s, len);
		selftest_expect_line_start = nl;
		s += len;
		n -= len;
	}
}

void selftest_expect_begin(void)
{
	if (selftest_expecting)
		return;
	selftest_expect_saved = kprintf_get_output();
	selftest_expect_line_start = true;
	selftest_expecting = true;
	kprintf_set_output(selftest_expect_write);
}

void selftest_expect_end(void)
{
	if (!selftest_expecting)
		return;
	kprintf_set_output(selftest_expect_saved);
	selftest_expecting = false;
}

void selftest_for_each_suite(void (*fn)(const struct selftest_suite *suite, void *arg), void *arg)
{
	for (const struct selftest_suite *const *p = __start_selftest_suites;
	     p < __stop_selftest_suites; p++) {
		if (*p)
			fn(*p, arg);
	}
}

/* What selftest_run passes through selftest_for_each_suite. */
struct selftest_run_state {
	const char *wanted; /* suite name, or NULL for all */
	bool found;         /* some suite matched */
	bool run;           /* false: only look for a match */
	unsigned passed, failed;
};

#define SELFTEST_RESULT_LINE_MAX 320

static void (*result_output)(const char *line);
static const char *(*runner)(const struct selftest *t);

void selftest_set_result_output(void (*fn)(const char *line))
{
	result_output = fn;
}

void selftest_set_runner(const char *(*run)(const struct selftest *t))
{
	runner = run;
}

static void selftest_run_suite(const struct selftest_suite *suite, void *arg)
{
	struct selftest_run_state *st = arg;

	if (st->wanted && strcmp(suite->name, st->wanted) != 0)
		return;
	st->found = true;
	if (!st->run)
		return;

	for (size_t i = 0; i < suite->count; i++) {
		const struct selftest *t = &suite->tests[i];
		const char *reason = !t->fn ? "no test function" : runner ? runner(t) : t->fn();

		selftest_expect_end(); /* a test that failed halfway may not have ended it */
		if (reason) {
			kprintf("selftest: FAIL %s/%s: %s\n", suite->name, t->name, reason);
			st->failed++;
		} else {
			kprintf("selftest: PASS %s/%s\n", suite->name, t->name);
			st->passed++;
		}
		if (result_output) {
			static char line[SELFTEST_RESULT_LINE_MAX];
			if (reason)
				ksnprintf(line, sizeof(line), "RESULT FAIL %s/%s: %s\n", suite->name,
					  t->name, reason);
			else
				ksnprintf(line, sizeof(line), "RESULT PASS %s/%s\n", suite->name,
					  t->name);
			result_output(line);
		}
	}
}

/*
 * Implementation note: a named suite is looked up before anything runs, so
 * an unknown name prints nothing and the caller can word the error. passed
 * and failed may be NULL when the caller only wants the printed report.
 */
int selftest_run(const char *suite, unsigned *passed, unsigned *failed)
{
	struct selftest_run_state st = {0};

	if (suite && strcmp(suite, "all") != 0) {
		st.wanted = suite;
		selftest_for_each_suite(selftest_run_suite, &st);
		if (!st.found)
			return -ENOENT;
	}
	st.run = true;
	selftest_for_each_suite(selftest_run_suite, &st);
	kprintf("selftest: %u passed, %u failed\n", st.passed, st.failed);
	if (passed)
		*passed += st.passed;
	if (failed)
		*failed += st.failed;
	return 0;
}
