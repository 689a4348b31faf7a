/*
 * test_smp.c - kernel checks of what CPUs ask of each other (suite `smp`):
 * cross-CPU calls reach every online CPU once; two CPUs calling each other
 * at the same moment both finish; a kernel page that every CPU has read
 * (through a cross-call, so it is in their TLBs) faults on every CPU right
 * after one CPU unmaps it, and the shootdown counters grow by exactly one
 * request per other CPU, not one per page; a CPU spinning with interrupts
 * off on a lock held by the initiator still acknowledges (from its spin
 * loop); a CPU stuck with interrupts off
 * is reported as a hard lockup with its RIP.
 *
 * Every test runs with any number of CPUs: with one online it says so on
 * the console and checks the one-CPU behaviour (no IPI, counted as
 * local_only). Assertions are counts, never durations.
 */
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/recovery.h"
#include "kernel/sched/schedule.h"
#include "mm/spinlock.h"
#include "kernel/selftest.h"
#include "kernel/smp/call.h"
#include "kernel/smp/lockup.h"
#include "kernel/smp/smp.h"
#include "kernel/smp/tlb_shootdown.h"
#include "kernel/timer.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/buddy.h"
#include "mm/fault.h"
#include "mm/kernel_space.h"
#include "mm/page.h"
#include "mm/paging.h"

#define DUEL_ROUNDS 200         /* calls each side makes in the two-CPU test */
#define TEST_VA (EXPERIMENT_START + (128ull << 30)) /* below the lazy window */
#define RANGE_PAGES 3           /* a range small enough for invlpg */
#define BIG_RANGE_PAGES 64      /* past PAGING_FLUSH_THRESHOLD: a full flush */
#define MAGIC 0x5a5a0000c0ffee11ull

/* Say that a multi-CPU test ran on one CPU (the one-CPU part is still checked). */
static void one_cpu_note(const char *test)
{
	kprintf("smp/%s: only one CPU online: checked the one-CPU behaviour\n", test);
}

/* ---- calls -------------------------------------------------------------------------- */

static unsigned hits[SMP_MAX_CPUS];

static void hit(void *arg)
{
	(void)arg;
	__atomic_add_fetch(&hits[arch_cpu_id()], 1, __ATOMIC_RELAXED);
}

static const char *test_call_reaches_every_cpu(void)
{
	unsigned self, n = smp_cpus_online();

	memset(hits, 0, sizeof(hits));
	unsigned long irq = arch_irq_save(); /* stay on one CPU for "self" */
	self = arch_cpu_id();
	smp_call_function_many(smp_online_mask(), hit, NULL, true);
	arch_irq_restore(irq);
	for (unsigned cpu = 0; cpu < SMP_MAX_CPUS; cpu++) {
		unsigned want = cpu != self && smp_cpu_online(cpu);
		CHECKF(hits[cpu] == want, "smp_call_function_many: CPU %u ran it %u times, %u "
		       "expected (caller CPU %u)", cpu, hits[cpu], want, self);
	}
	memset(hits, 0, sizeof(hits));
	smp_on_each_cpu(hit, NULL);
	for (unsigned cpu = 0; cpu < SMP_MAX_CPUS; cpu++)
		CHECKF(hits[cpu] == (unsigned)smp_cpu_online(cpu), "smp_on_each_cpu: CPU %u ran it "
		       "%u times", cpu, hits[cpu]);
	if (n == 1)
		one_cpu_note("call_reaches_every_cpu");
	return NULL;
}

static unsigned duel_ran[SMP_MAX_CPUS];
static volatile unsigned duel_done;
static unsigned duel_home;

static void duel_count(void *arg)
{
	(void)arg;
	duel_ran[arch_cpu_id()]++;
}

/* On the other CPU, in its call handler: call the home CPU back, waiting each time. */
static void duel_other_side(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < DUEL_ROUNDS; i++)
		smp_call_function_many(CPUMASK_CPU(duel_home), duel_count, NULL, true);
	__atomic_store_n(&duel_done, 1, __ATOMIC_RELEASE);
}

static const char *test_two_cpus_call_each_other(void)
{
	if (smp_cpus_online() < 2) {
		memset(duel_ran, 0, sizeof(duel_ran));
		smp_call_function_many(smp_online_mask(), duel_count, NULL, true);
		CHECKF(duel_ran[0] == 0, "a call to no other CPU ran %u times", duel_ran[0]);
		one_cpu_note("two_cpus_call_each_other");
		return NULL;
	}
	unsigned long irq = arch_irq_save();
	unsigned self = arch_cpu_id(), other = self == 0 ? 1 : 0;

	memset(duel_ran, 0, sizeof(duel_ran));
	duel_done = 0;
	duel_home = self;
	/* The other CPU starts calling us while we call it: both wait, both serve. */
	smp_call_function_many(CPUMASK_CPU(other), duel_other_side, NULL, false);
	for (unsigned i = 0; i < DUEL_ROUNDS; i++)
		smp_call_function_many(CPUMASK_CPU(other), duel_count, NULL, true);
	while (!__atomic_load_n(&duel_done, __ATOMIC_ACQUIRE))
		smp_call_serve_pending();
	arch_irq_restore(irq);
	CHECKF(duel_ran[other] == DUEL_ROUNDS && duel_ran[self] == DUEL_ROUNDS,
	       "calls run: %u on CPU %u, %u on CPU %u; %d each expected", duel_ran[self], self,
	       duel_ran[other], other, DUEL_ROUNDS);
	return NULL;
}

/* ---- shootdown ---------------------------------------------------------------------- */

static uint64_t read_value[SMP_MAX_CPUS];
static uint64_t read_faults[SMP_MAX_CPUS];   /* the CPU's fault counter before its read */
static uint64_t read_aborts[SMP_MAX_CPUS];   /* reads that faulted back to the point */

/* Each CPU: read TEST_VA under a recovery point (interrupts off: a call handler). */
static void read_test_page(void *arg)
{
	unsigned cpu = arch_cpu_id();
	struct recovery_point rp;

	(void)arg;
	read_faults[cpu] = fault_stats_cpu[cpu].violations;
	read_value[cpu] = 0;
	read_aborts[cpu] = 0;
	if (recovery_save(&rp) == 0) {
		recovery_push(&rp, "selftest smp/read_test_page");
		read_value[cpu] = *(volatile uint64_t *)TEST_VA;
		recovery_pop(&rp);
	} else {
		read_aborts[cpu] = rp.aborts;
	}
}

static void stats_all(struct tlb_shootdown_stats *out)
{
	for (unsigned cpu = 0; cpu < SMP_MAX_CPUS; cpu++)
		tlb_shootdown_stats(cpu, &out[cpu]);
}

static struct tlb_shootdown_stats before[SMP_MAX_CPUS], after[SMP_MAX_CPUS];

/*
 * The counters after one batch from CPU self: one request to each other
 * online CPU, and `pages` pages (or one full flush) done by each.
 */
static const char *check_one_batch(unsigned self, unsigned pages, bool full)
{
	unsigned others = smp_cpus_online() - 1;

	stats_all(after);
	if (!others) {
		CHECKF(after[self].local_only == before[self].local_only + 1 &&
		       after[self].ipis_sent == before[self].ipis_sent, "one CPU: local_only +%lu, "
		       "IPIs +%lu; +1 and +0 expected", after[self].local_only - before[self].local_only,
		       after[self].ipis_sent - before[self].ipis_sent);
		return NULL;
	}
	CHECKF(after[self].shootdowns == before[self].shootdowns + 1 &&
	       after[self].ipis_sent == before[self].ipis_sent + others,
	       "CPU %u: %lu shootdowns, %lu IPIs; 1 and %u expected (one per CPU, not per page)",
	       self, after[self].shootdowns - before[self].shootdowns,
	       after[self].ipis_sent - before[self].ipis_sent, others);
	for (unsigned cpu = 0; cpu < SMP_MAX_CPUS; cpu++) {
		if (cpu == self || !smp_cpu_online(cpu))
			continue;
		CHECKF(after[cpu].received == before[cpu].received + 1, "CPU %u received %lu "
		       "requests, 1 expected", cpu, after[cpu].received - before[cpu].received);
		CHECKF(after[cpu].pages == before[cpu].pages + (full ? 0 : pages) &&
		       after[cpu].full_flushes == before[cpu].full_flushes + (full ? 1 : 0),
		       "CPU %u invalidated %lu pages, %lu full flushes; %u and %d expected", cpu,
		       after[cpu].pages - before[cpu].pages,
		       after[cpu].full_flushes - before[cpu].full_flushes, full ? 0 : pages, full);
	}
	return NULL;
}

static const char *test_unmapped_page_faults_everywhere(void)
{
	struct page *page = alloc_page(ALLOC_ZERO);
	const char *why = NULL;

	CHECK(page != NULL);
	*(uint64_t *)phys_to_virt(page_to_phys(page)) = MAGIC;
	int err = paging_map(&kernel_space, TEST_VA, page_to_phys(page), PAGE_SIZE,
			     MAP_WRITE | MAP_SIZE_4K | MAP_GLOBAL);
	if (err) {
		MUST_SUCCEED(free_page(page), "test_smp: the page just allocated");
		return "paging_map of the test page failed (a `map` experiment there?)";
	}
	smp_on_each_cpu(read_test_page, NULL); /* now in every CPU's TLB */
	for (unsigned cpu = 0; cpu < SMP_MAX_CPUS && !why; cpu++)
		if (smp_cpu_online(cpu) && (read_value[cpu] != MAGIC || read_aborts[cpu]))
			why = "a CPU could not read the mapped page";
	unsigned long irq = arch_irq_save();
	unsigned self = arch_cpu_id();
	stats_all(before);
	MUST_SUCCEED(paging_unmap(&kernel_space, TEST_VA, PAGE_SIZE), "test_smp: page mapped");
	arch_irq_restore(irq);
	if (!why)
		why = check_one_batch(self, 1, false);
	selftest_capture_begin(); /* each CPU's fault report */
	smp_on_each_cpu(read_test_page, NULL);
	selftest_capture_end();
	MUST_SUCCEED(free_page(page), "test_smp: the page is unmapped");
	if (why)
		return why;
	for (unsigned cpu = 0; cpu < SMP_MAX_CPUS; cpu++) {
		if (!smp_cpu_online(cpu))
			continue;
		CHECKF(read_aborts[cpu] == 1 && read_value[cpu] == 0, "CPU %u read 0x%lx after the "
		       "unmap (stale TLB entry), aborts %lu", cpu, read_value[cpu], read_aborts[cpu]);
		CHECKF(fault_stats_cpu[cpu].violations == read_faults[cpu] + 1, "CPU %u counted %lu "
		       "violations, 1 expected", cpu, fault_stats_cpu[cpu].violations - read_faults[cpu]);
	}
	if (smp_cpus_online() == 1)
		one_cpu_note("unmapped_page_faults_everywhere");
	return NULL;
}

/* Map n pages at TEST_VA, unmap them from this CPU, check the counters. */
static const char *shootdown_range(unsigned n)
{
	struct page *pages = alloc_pages(ALLOC_ZERO, 6); /* 64 pages */

	CHECK(n <= BIG_RANGE_PAGES && pages != NULL);
	int err = paging_map(&kernel_space, TEST_VA, page_to_phys(pages), (uint64_t)n * PAGE_SIZE,
			     MAP_WRITE | MAP_SIZE_4K | MAP_GLOBAL);
	if (err) {
		MUST_SUCCEED(free_pages(pages, 6), "test_smp: the pages just allocated");
		return "paging_map of the test range failed";
	}
	unsigned long irq = arch_irq_save();
	unsigned self = arch_cpu_id();
	stats_all(before);
	MUST_SUCCEED(paging_unmap(&kernel_space, TEST_VA, (uint64_t)n * PAGE_SIZE),
		     "test_smp: range mapped");
	arch_irq_restore(irq);
	MUST_SUCCEED(free_pages(pages, 6), "test_smp: the range is unmapped");
	return check_one_batch(self, n, n > PAGING_FLUSH_THRESHOLD);
}

static const char *test_shootdown_counts(void)
{
	const char *why = shootdown_range(RANGE_PAGES);

	if (!why)
		why = shootdown_range(BIG_RANGE_PAGES);
	if (!why && smp_cpus_online() == 1)
		one_cpu_note("shootdown_counts");
	return why;
}

static spinlock_t contended = SPINLOCK_INIT("smp selftest contended");
static volatile unsigned spinner_state; /* 1: about to spin on the lock, 2: got it and left */

/* On the other CPU (a call handler, interrupts off): wait for the lock this CPU holds. */
static void take_contended(void *arg)
{
	(void)arg;
	__atomic_store_n(&spinner_state, 1, __ATOMIC_RELEASE);
	unsigned long irq = spin_lock_irqsave(&contended);
	spin_unlock_irqrestore(&contended, irq);
	__atomic_store_n(&spinner_state, 2, __ATOMIC_RELEASE);
}

static const char *test_shootdown_under_lock(void)
{
	struct page *page = alloc_page(ALLOC_ZERO);

	CHECK(page != NULL);
	if (paging_map(&kernel_space, TEST_VA, page_to_phys(page), PAGE_SIZE,
		       MAP_WRITE | MAP_GLOBAL) != 0) {
		MUST_SUCCEED(free_page(page), "test_smp: the page just allocated");
		return "paging_map of the test page failed";
	}
	unsigned long irq = spin_lock_irqsave(&contended);
	unsigned self = arch_cpu_id(), other = self == 0 ? 1 : 0;
	bool two = smp_cpus_online() > 1;
	spinner_state = 0;
	if (two) {
		smp_call_function_many(CPUMASK_CPU(other), take_contended, NULL, false);
		while (__atomic_load_n(&spinner_state, __ATOMIC_ACQUIRE) == 0)
			cpu_relax();
	}
	stats_all(before);
	/* The other CPU spins on our lock with interrupts off: it must still acknowledge. */
	MUST_SUCCEED(paging_unmap(&kernel_space, TEST_VA, PAGE_SIZE), "test_smp: page mapped");
	stats_all(after);
	spin_unlock_irqrestore(&contended, irq);
	while (two && __atomic_load_n(&spinner_state, __ATOMIC_ACQUIRE) != 2)
		cpu_relax();
	MUST_SUCCEED(free_page(page), "test_smp: the page is unmapped");
	if (!two) {
		one_cpu_note("shootdown_under_lock");
		return NULL;
	}
	CHECKF(after[other].received == before[other].received + 1, "CPU %u received %lu "
	       "requests while spinning, 1 expected", other,
	       after[other].received - before[other].received);
	return NULL;
}

/* ---- hard lockup -------------------------------------------------------------------- */

static volatile uint64_t spin_until;

/* On the other CPU, interrupts off (a call handler): take no tick for a while. */
static void __attribute__((noinline)) lockup_spin(void *arg)
{
	(void)arg;
	while (rdtsc() < spin_until)
		cpu_relax();
}

static const char *test_hard_lockup_reported(void)
{
	if (smp_cpus_online() < 2) {
		one_cpu_note("hard_lockup_reported");
		return NULL;
	}
	unsigned long irq = arch_irq_save();
	unsigned self = arch_cpu_id(), other = self == 0 ? 1 : 0;
	arch_irq_restore(irq);
	if (timer_cpu_ticks(other) == 0) {
		kprintf("smp/hard_lockup_reported: CPU %u has no timer tick: not checked\n", other);
		return NULL;
	}
	bool was = sched_set_debug(true);
	uint64_t reports = lockup_reports();
	spin_until = rdtsc() + timer_tsc_hz() / 1000 * (LOCKUP_HARD_MS + 1000);
	selftest_capture_begin();
	smp_call_function_many(CPUMASK_CPU(other), lockup_spin, NULL, false);
	while (rdtsc() < spin_until && lockup_reports() == reports)
		thread_sleep_ms(50);
	while (rdtsc() < spin_until)
		thread_sleep_ms(50); /* let it end before the next test calls it */
	const char *out = selftest_capture_end();
	sched_set_debug(was);
	CHECKF(lockup_reports() == reports + 1, "%lu hard-lockup reports, 1 expected",
	       lockup_reports() - reports);
	char want[48];
	ksnprintf(want, sizeof(want), "hard lockup: CPU %u has taken no", other);
	CHECKF(strstr(out, want) && strstr(out, "RIP lockup_spin+"), "report: %.200s", out);
	return NULL;
}

static const struct selftest smp_tests[] = {
	{"call_reaches_every_cpu", "a cross-call runs once on every other online CPU; "
	 "smp_on_each_cpu once on each", test_call_reaches_every_cpu},
	{"two_cpus_call_each_other", "two CPUs calling each other at once both finish "
	 "(each serves its queue while waiting)", test_two_cpus_call_each_other},
	{"unmapped_page_faults_everywhere", "a kernel page every CPU has read faults on every "
	 "CPU right after one CPU unmaps it", test_unmapped_page_faults_everywhere},
	{"shootdown_counts", "unmapping 3 and 64 pages: one request per other CPU, 3 invlpg / "
	 "one full flush there", test_shootdown_counts},
	{"shootdown_under_lock", "a CPU spinning with interrupts off on a lock the initiator "
	 "holds acknowledges its shootdown from the spin loop", test_shootdown_under_lock},
	{"hard_lockup_reported", "a CPU without timer interrupts for LOCKUP_HARD_MS is reported "
	 "by its peer with its RIP", test_hard_lockup_reported},
};

SELFTEST_SUITE(smp, smp_tests);
