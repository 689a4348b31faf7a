/*
 * test_lockdep.c - suite `lockdep`: the lock-order validator (mm/lockdep.h)
 * in the running kernel, whatever the boot switched on.
 *
 * The test plants an inversion between two spinlocks of its own (A then
 * B, later B then A, on this CPU) with the validator switched on for the
 * test if the boot left it off, and checks that a report was produced and
 * names both locks and the test's sites; the kernel goes on (a report never
 * stops it). It then forgets the two locks' orders, so the test can run
 * again and leaves the kernel's own order table as it found it, and puts
 * the validator back as it was. The validator's own cases (chains, depth
 * overflow, the off switch) are the host suite tests/host/test_lockdep.c.
 */
#include "kernel/selftest.h"
#include "lib/string.h"
#include "mm/lockdep.h"
#include "mm/spinlock.h"

static spinlock_t planted_a = SPINLOCK_INIT("lockdep selftest A");
static spinlock_t planted_b = SPINLOCK_INIT("lockdep selftest B");

/* Take first then second (the second with interrupts already off) and release both. */
static void take_in_order(spinlock_t *first, spinlock_t *second)
{
	unsigned long flags = spin_lock_irqsave(first);
	spin_lock(second);
	spin_unlock(second);
	spin_unlock_irqrestore(first, flags);
}

static const char *test_planted_inversion(void)
{
	bool was_on = lockdep_enabled;
	uint64_t before = lockdep_reports();

	lockdep_set_enabled(true);
	take_in_order(&planted_a, &planted_b);
	uint64_t after_first = lockdep_reports();
	take_in_order(&planted_b, &planted_a); /* the inversion: reported, not deadlocked */
	uint64_t after_second = lockdep_reports();
	const char *report = lockdep_last_report();
	bool named = strstr(report, "lock order inversion: lockdep selftest B") != NULL &&
		     strstr(report, "then lockdep selftest A") != NULL &&
		     strstr(report, "tests/kernel/test_lockdep.c:") != NULL;
	lockdep_forget(&planted_a);
	lockdep_set_enabled(was_on);
	CHECKF(after_first == before, "the first order was reported: %s", report);
	CHECKF(after_second == before + 1, "the inversion was not reported (%lu reports before, "
	       "%lu after)", before, after_second);
	CHECKF(named, "the report does not name both locks and the sites: %s", report);
	return NULL;
}

static const struct selftest lockdep_kernel_tests[] = {
	{"planted_inversion", "A then B, then B then A on two test locks: reported, kernel goes on",
	 test_planted_inversion},
};

SELFTEST_SUITE(lockdep, lockdep_kernel_tests);
