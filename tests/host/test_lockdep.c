/*
 * test_lockdep.c - suite "lockdep": the lock-order validator (mm/lockdep.c)
 * on the host, over spinlocks of the test's own.
 *
 * Each test starts from a reset validator, switched on, with fresh locks
 * (a lock caches its class, so locks are re-initialised after each reset),
 * takes them in planted orders with explicit call sites, and checks the
 * count and the text of the reports: an inversion names both locks and
 * both sites of each order; a chain of three closed backwards is caught;
 * a consistent order, or any order with the validator off, is silent; a
 * nesting deeper than the per-CPU stack is reported once. Hosted code.
 */
#include <stdbool.h>
#include <string.h>

#include "kernel/selftest.h"
#include "mm/lockdep.h"
#include "mm/spinlock.h"

static spinlock_t lock_a, lock_b, lock_c;

/* A fresh validator, on, and fresh locks. */
static void fresh(bool on)
{
	lockdep_reset();
	lockdep_set_enabled(on);
	spin_lock_init(&lock_a, "test lock A");
	spin_lock_init(&lock_b, "test lock B");
	spin_lock_init(&lock_c, "test lock C");
}

/* Take first at site1, then second at site2, release both. */
static void pair(spinlock_t *first, const char *site1, spinlock_t *second, const char *site2)
{
	unsigned long flags = spin_lock_irqsave_at(first, site1);
	spin_lock_at(second, site2);
	spin_unlock(second);
	spin_unlock_irqrestore(first, flags);
}

#define HAS(text) (strstr(lockdep_last_report(), (text)) != NULL)

static const char *test_inversion(void)
{
	fresh(true);
	pair(&lock_a, "a.c:10", &lock_b, "b.c:20");
	CHECKF(lockdep_reports() == 0, "first order reported: %s", lockdep_last_report());
	pair(&lock_b, "b.c:30", &lock_a, "a.c:40");
	CHECKF(lockdep_reports() == 1, "inversion not reported (%lu reports)", lockdep_reports());
	CHECKF(HAS("lock order inversion: test lock B (taken at b.c:30) then test lock A (taken "
		   "at a.c:40); earlier test lock A then test lock B at a.c:10, b.c:20"),
	       "report: %s", lockdep_last_report());
	pair(&lock_b, "b.c:30", &lock_a, "a.c:40");
	CHECKF(lockdep_reports() == 1, "the same inversion reported twice");
	lockdep_set_enabled(false);
	return NULL;
}

static const char *test_real_sites(void)
{
	fresh(true);
	unsigned long flags = spin_lock_irqsave(&lock_a);
	spin_lock(&lock_b);
	spin_unlock(&lock_b);
	spin_unlock_irqrestore(&lock_a, flags);
	flags = spin_lock_irqsave(&lock_b);
	spin_lock(&lock_a);
	spin_unlock(&lock_a);
	spin_unlock_irqrestore(&lock_b, flags);
	CHECKF(lockdep_reports() == 1 && HAS("tests/host/test_lockdep.c:"),
	       "sites should be file:line of the lock calls: %s", lockdep_last_report());
	lockdep_set_enabled(false);
	return NULL;
}

static const char *test_consistent(void)
{
	fresh(true);
	for (int i = 0; i < 3; i++) {
		pair(&lock_a, "a.c:1", &lock_b, "b.c:2");
		pair(&lock_b, "b.c:3", &lock_c, "c.c:4");
		pair(&lock_a, "a.c:5", &lock_c, "c.c:6");
	}
	unsigned long flags = spin_lock_irqsave_at(&lock_a, "a.c:7");
	spin_lock_at(&lock_b, "b.c:8");
	spin_lock_at(&lock_c, "c.c:9");
	spin_unlock(&lock_c);
	spin_unlock(&lock_b);
	spin_unlock_irqrestore(&lock_a, flags);
	CHECKF(lockdep_reports() == 0, "a consistent order reported: %s", lockdep_last_report());
	CHECKF(lockdep_class_count() == 3 && lockdep_order_count() == 3,
	       "%u classes, %u orders (expected 3, 3)", lockdep_class_count(),
	       lockdep_order_count());
	lockdep_set_enabled(false);
	return NULL;
}

static const char *test_chain(void)
{
	fresh(true);
	pair(&lock_a, "a.c:1", &lock_b, "b.c:2");
	pair(&lock_b, "b.c:3", &lock_c, "c.c:4");
	CHECK(lockdep_reports() == 0);
	pair(&lock_c, "c.c:5", &lock_a, "a.c:6");
	CHECKF(lockdep_reports() == 1, "C then A after A->B->C not reported");
	CHECKF(HAS("test lock C (taken at c.c:5) then test lock A (taken at a.c:6); earlier "
		   "test lock A then test lock C at a.c:1, b.c:2 (test lock A then test lock B); "
		   "b.c:3, c.c:4 (test lock B then test lock C)"),
	       "report: %s", lockdep_last_report());
	lockdep_set_enabled(false);
	return NULL;
}

static const char *test_depth_overflow(void)
{
	static spinlock_t many[LOCKDEP_MAX_DEPTH + 2];
	unsigned long flags = arch_irq_save();

	fresh(true);
	for (unsigned i = 0; i < ARRAY_SIZE(many); i++)
		spin_lock_init(&many[i], NULL); /* unnamed: each its own class */
	for (unsigned i = 0; i < ARRAY_SIZE(many); i++)
		spin_lock_at(&many[i], "deep.c:1");
	CHECKF(lockdep_reports() == 1 && HAS("holds more than 16 locks"), "%lu reports: %s",
	       lockdep_reports(), lockdep_last_report());
	for (unsigned i = ARRAY_SIZE(many); i-- > 0;)
		spin_unlock(&many[i]);
	arch_irq_restore(flags);
	CHECK(preempt_count() == 0);
	/* The stack is empty again: a plain pair still checks. */
	pair(&lock_a, "a.c:1", &lock_b, "b.c:2");
	pair(&lock_b, "b.c:3", &lock_a, "a.c:4");
	CHECKF(lockdep_reports() == 2 && HAS("lock order inversion"), "after the overflow: %s",
	       lockdep_last_report());
	lockdep_set_enabled(false);
	return NULL;
}

static const char *test_disabled(void)
{
	fresh(false);
	pair(&lock_a, "a.c:1", &lock_b, "b.c:2");
	pair(&lock_b, "b.c:3", &lock_a, "a.c:4");
	CHECKF(lockdep_reports() == 0 && lockdep_class_count() == 0,
	       "the validator off saw %u classes, %lu reports", lockdep_class_count(),
	       lockdep_reports());
	return NULL;
}

static const char *test_forget(void)
{
	fresh(true);
	pair(&lock_a, "a.c:1", &lock_b, "b.c:2");
	lockdep_forget(&lock_a);
	pair(&lock_b, "b.c:3", &lock_a, "a.c:4");
	CHECKF(lockdep_reports() == 0, "a forgotten order still reported: %s",
	       lockdep_last_report());
	lockdep_set_enabled(false);
	return NULL;
}

static const struct selftest lockdep_tests[] = {
	{"inversion", "A then B, later B then A: one report naming both locks and all four sites",
	 test_inversion},
	{"real_sites", "spin_lock_irqsave/spin_lock record file:line of their callers",
	 test_real_sites},
	{"consistent", "A, B, C always in that order: no report, three orders recorded",
	 test_consistent},
	{"chain", "A->B and B->C seen, then C->A: caught through the chain", test_chain},
	{"depth_overflow", "18 locks nested: one report, the rest unchecked, no damage",
	 test_depth_overflow},
	{"disabled", "the validator off: an inversion passes silently, nothing recorded",
	 test_disabled},
	{"forget", "lockdep_forget drops a class's orders", test_forget},
};

SELFTEST_SUITE(lockdep, lockdep_tests);
