/*
 * test_threads.c - kernel-only checks of threads and the scheduler (suite
 * `threads`, kernel/sched/): 1000 threads created and joined leave
 * MemFree, Slab and VmallocUsed where they were; N threads pinned in turn
 * to every online CPU adding to a counter M times under a mutex, preempted
 * while holding it, end at N*M; a thread blocked on another CPU is woken
 * from this one and runs there (on one CPU: said, and run on it); sleep
 * wakes in the exact tick; a thread that faults or overflows its stack
 * dies alone; wait queues wake the oldest waiter or all of them;
 * semaphores count; wait_event_timeout times out in the exact tick and
 * returns 0 when woken first. Every assertion is a count or an order, never a
 * duration. The selftests run in a thread of priority THREAD_PRIO_SHELL;
 * the threads made here have the default priority (lower), so they run
 * only while the test sleeps or joins: orders are deterministic. With
 * several CPUs the tests that rely on that run PINNED: the test thread and
 * the threads it makes keep to the test's CPU (thread_create_here).
 * The policy alone is tested on the host (tests/host/test_sched.c).
 */
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/sched/mutex.h"
#include "kernel/sched/sched.h"
#include "kernel/sched/schedule.h"
#include "kernel/sched/semaphore.h"
#include "kernel/sched/thread.h"
#include "kernel/sched/timeout.h"
#include "kernel/selftest.h"
#include "kernel/stack.h"
#include "kernel/timer.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/buddy.h"
#include "mm/slab.h"
#include "mm/vmalloc.h"

/* Sleep a tick at a time until n threads wait on wq (they have the CPU meanwhile). */
static void until_waiting(struct wait_queue *wq, size_t n)
{
	while (wait_queue_count(wq) != n)
		thread_sleep_ticks(1);
}

/* This CPU only: with the test pinned here too, its threads run only when it sleeps or joins. */
static cpumask_t here(void)
{
	return CPUMASK_CPU(arch_cpu_id());
}

static struct thread *thread_create_here(void (*fn)(void *arg), void *arg, const char *name,
					 unsigned flags)
{
	return thread_create_on(fn, arg, name, flags, here());
}

/* Run test fn with the calling thread pinned to its CPU, then allowed its old CPUs again. */
static const char *run_pinned(const char *(*fn)(void))
{
	struct thread *self = thread_current();
	cpumask_t was = self->affinity;

	MUST_SUCCEED(thread_set_affinity(self, here()), "run_pinned: this CPU is online");
	const char *reason = fn();
	MUST_SUCCEED(thread_set_affinity(self, was), "run_pinned: the old mask had an online CPU");
	return reason;
}

#define PINNED(fn) \
	static const char *fn##_pinned(void) { return run_pinned(fn); }

/* The index-th online CPU, counting round (CPUs come up as 0 .. n-1). */
static unsigned online_cpu(unsigned index)
{
	return index % sched_cpus_online();
}

#define JOIN_TOTAL 1000
#define JOIN_BATCH 100 /* alive at once: well inside vmalloc's area limit */

static volatile unsigned ran_count;

static void count_once(void *arg)
{
	__atomic_fetch_add(&ran_count, (unsigned)(uintptr_t)arg, __ATOMIC_RELAXED); /* CPUs at once */
}

static const char *test_join_1000(void)
{
	static struct thread *batch[JOIN_BATCH];
	size_t threads_before = thread_count();

	slab_shrink();
	uint64_t free_before = buddy_free_pages();
	uint64_t slab_before = slab_total_bytes();
	uint64_t vmalloc_before = vmalloc_used_bytes();
	ran_count = 0;
	for (int done = 0; done < JOIN_TOTAL; done += JOIN_BATCH) {
		for (int i = 0; i < JOIN_BATCH; i++) {
			batch[i] = thread_create(count_once, (void *)1, "join-test", 0);
			CHECKF(batch[i], "thread %d could not be created", done + i);
		}
		CHECK(thread_count() == threads_before + JOIN_BATCH);
		for (int i = 0; i < JOIN_BATCH; i++)
			CHECK(thread_join(batch[i]) == 0);
	}
	CHECKF(ran_count == JOIN_TOTAL, "%u of %d threads ran", ran_count, JOIN_TOTAL);
	CHECK(thread_count() == threads_before);
	slab_shrink();
	CHECKF(buddy_free_pages() == free_before, "MemFree: %lu pages before, %lu after",
	       free_before, buddy_free_pages());
	CHECKF(slab_total_bytes() == slab_before, "Slab: %lu bytes before, %lu after",
	       slab_before, slab_total_bytes());
	CHECKF(vmalloc_used_bytes() == vmalloc_before, "VmallocUsed: %lu bytes before, %lu after",
	       vmalloc_before, vmalloc_used_bytes());
	return NULL;
}

static const char *test_refusals(void)
{
	CHECK(thread_create(count_once, NULL, "bad", 1u << 5) == NULL); /* unknown flag */
	CHECK(thread_create(count_once, NULL, "bad", THREAD_PRIO(THREAD_PRIO_MAX + 1)) == NULL);
	CHECK(thread_create(NULL, NULL, "bad", 0) == NULL);
	CHECK(thread_join(thread_current()) == -EINVAL);
	CHECK(thread_kill(thread_current()->id) == -EPERM);
	CHECK(thread_kill(sched_idle_thread()->id) == -EPERM);
	CHECK(thread_kill(UINT64_MAX) == -ENOENT);
	return NULL;
}

/* ---- a counter under a mutex, with preemption ---------------------------- */

#define COUNTER_THREADS_MIN 4  /* on one CPU: four threads preempting each other */
#define COUNTER_THREADS_MAX 16 /* two per CPU up to 8 CPUs */
#define COUNTER_ROUNDS 3000

static struct mutex counter_lock = MUTEX_INIT(counter_lock, "test counter");
static volatile uint64_t counter;

static void add_under_mutex(void *arg __unused)
{
	for (int i = 0; i < COUNTER_ROUNDS; i++) {
		mutex_lock(&counter_lock);
		uint64_t v = counter;
		if (i == 0) {
			/* Hold the mutex past a whole slice: the tick preempts us here. */
			uint64_t until = timer_ticks() + SCHED_SLICE_TICKS + 1;
			while (timer_ticks() < until)
				cpu_relax();
		}
		counter = v + 1; /* lost updates if the mutex let two in */
		mutex_unlock(&counter_lock);
	}
}

/*
 * Thread i is pinned to online CPU i mod n, so every CPU adds at once; with
 * two or more threads per CPU they also preempt each other holding it.
 */
static const char *test_mutex_counter(void)
{
	struct thread *t[COUNTER_THREADS_MAX];
	unsigned cpu_of[COUNTER_THREADS_MAX];
	unsigned cpus = sched_cpus_online();
	unsigned n = 2 * cpus < COUNTER_THREADS_MIN ? COUNTER_THREADS_MIN : 2 * cpus;
	uint64_t preemptions = 0;
	cpumask_t used = 0;

	if (n > COUNTER_THREADS_MAX)
		n = COUNTER_THREADS_MAX;
	counter = 0;
	counter_lock.contended = 0;
	for (unsigned i = 0; i < n; i++) {
		cpu_of[i] = online_cpu(i);
		t[i] = thread_create_on(add_under_mutex, NULL, "counter", 0, CPUMASK_CPU(cpu_of[i]));
		CHECK(t[i]);
	}
	for (unsigned i = 0; i < n; i++) {
		while (t[i]->state != THREAD_DEAD)
			thread_sleep_ticks(1);
		preemptions += t[i]->preemptions;
		CHECKF(t[i]->cpu == cpu_of[i], "counter thread %u ran on CPU %u, pinned to %u", i,
		       t[i]->cpu, cpu_of[i]);
		used |= CPUMASK_CPU(t[i]->cpu);
		CHECK(thread_join(t[i]) == 0);
	}
	CHECKF(counter == (uint64_t)n * COUNTER_ROUNDS, "counter %lu, expected %u", counter,
	       n * COUNTER_ROUNDS);
	CHECKF(used == CPUMASK_FIRST(cpus < n ? cpus : n), "the threads ran on CPUs 0x%lx",
	       (unsigned long)used);
	CHECKF(n < 2 * cpus || preemptions >= 1, "no worker was ever preempted");
	CHECKF(counter_lock.contended >= n - 1,
	       "the mutex made only %lu callers wait", counter_lock.contended);
	CHECK(counter_lock.owner == NULL);
	return NULL;
}

/* ---- a wake-up across CPUs ------------------------------------------------ */

static struct semaphore xwake_sem;
static volatile unsigned xwake_ran_on;

static void xwake_sleeper(void *arg __unused)
{
	semaphore_down(&xwake_sem); /* blocks on its CPU; the test ups it from another */
	xwake_ran_on = arch_cpu_id();
}

/*
 * A thread pinned to another online CPU blocks on a semaphore; the test,
 * pinned to its own CPU, ups it: the wake-up queues it on its CPU (which
 * idles: the reschedule IPI) and it runs there. One CPU online: the same
 * on this CPU, and said.
 */
static const char *test_cross_cpu_wake(void)
{
	unsigned me = arch_cpu_id();
	unsigned target = online_cpu(me + 1);
	struct sched_cpu_stats before, after;

	semaphore_init(&xwake_sem, 0, "test cross wake");
	xwake_ran_on = ~0u;
	struct thread *t = thread_create_on(xwake_sleeper, NULL, "xwake", 0, CPUMASK_CPU(target));
	CHECK(t);
	until_waiting(&xwake_sem.waiters, 1);
	CHECK(t->state == THREAD_BLOCKED && t->cpu == target);
	sched_cpu_stats(target, &before);
	semaphore_up(&xwake_sem);
	CHECK(thread_join(t) == 0);
	sched_cpu_stats(target, &after);
	CHECKF(xwake_ran_on == target, "woken on CPU %u from CPU %u, it ran on CPU %u", target, me,
	       xwake_ran_on);
	CHECKF(after.switches > before.switches, "CPU %u switched %lu times around the wake-up",
	       target, after.switches - before.switches);
	if (target == me)
		kprintf("(cross_cpu_wake: one CPU online: the wake-up ran on CPU %u alone)\n", me);
	return NULL;
}

static const char *test_mutex_owner(void)
{
	static struct mutex m = MUTEX_INIT(m, "test owner");

	CHECK(m.owner == NULL && !mutex_is_held(&m));
	CHECK(mutex_trylock(&m));
	CHECK(m.owner == thread_current() && mutex_is_held(&m));
	CHECK(!mutex_trylock(&m));
	mutex_unlock(&m);
	CHECK(m.owner == NULL);
	mutex_lock(&m);
	CHECK(mutex_is_held(&m));
	mutex_unlock(&m);
	return NULL;
}

/* ---- a thread killed by its fault ------------------------------------------------ */

/* MemFree, Slab and VmallocUsed (after slab_shrink): a killed thread must give them back. */
struct mem_counts {
	uint64_t free_pages, slab_bytes, vmalloc_bytes;
};

static struct mem_counts mem_counts_now(void)
{
	slab_shrink();
	return (struct mem_counts){buddy_free_pages(), slab_total_bytes(), vmalloc_used_bytes()};
}

/* NULL if the counts are back at before, else a reason naming them (for CHECK_OK). */
static const char *mem_counts_back(const struct mem_counts *before)
{
	struct mem_counts now = mem_counts_now();

	if (now.free_pages == before->free_pages && now.slab_bytes == before->slab_bytes &&
	    now.vmalloc_bytes == before->vmalloc_bytes)
		return NULL;
	return selftest_reason("MemFree pages %lu -> %lu, slab %lu -> %lu, VmallocUsed %lu -> %lu",
			       before->free_pages, now.free_pages, before->slab_bytes,
			       now.slab_bytes, before->vmalloc_bytes, now.vmalloc_bytes);
}

static struct mutex fault_lock = MUTEX_INIT(fault_lock, "test fault");
static volatile bool waiter_got_it;

static void lock_then_fault(void *arg __unused)
{
	mutex_lock(&fault_lock);
	(void)*(volatile uint64_t *)0; /* #PF: the thread dies here, holding the mutex */
	mutex_unlock(&fault_lock);
}

static void lock_after(void *arg __unused)
{
	mutex_lock(&fault_lock);
	waiter_got_it = true;
	mutex_unlock(&fault_lock);
}

static const char *test_fault_kills_thread(void)
{
	struct mem_counts before = mem_counts_now();
	size_t threads_before = thread_count();

	waiter_got_it = false;
	struct thread *victim = thread_create_here(lock_then_fault, NULL, "faulter", 0);
	struct thread *waiter = thread_create_here(lock_after, NULL, "waiter", 0);
	CHECK(victim && waiter);
	selftest_capture_begin(); /* the fault report is on purpose: keep it off the console */
	while (victim->state != THREAD_DEAD || waiter->state != THREAD_DEAD)
		thread_sleep_ticks(1);
	const char *out = selftest_capture_end();
	CHECKF(strstr(out, "NULL dereference") && strstr(out, "(faulter) killed by the fault above; "
	       "it held mutex 'test fault', released"), "report: %.300s", out);
	CHECKF(victim->faulted && victim->fault_vector == 14, "the faulting thread: faulted %d, "
	       "vector %lu", victim->faulted, victim->fault_vector);
	CHECK(!waiter->faulted && waiter_got_it);
	CHECK(fault_lock.owner == NULL && list_empty(&victim->mutexes_held));
	CHECK(thread_join(victim) == 0 && thread_join(waiter) == 0);
	CHECK(thread_count() == threads_before);
	CHECK_OK(mem_counts_back(&before));
	return NULL;
}

/* ---- a thread killed by its stack overflow ---------------------------------------- */

static struct mutex overflow_lock = MUTEX_INIT(overflow_lock, "test overflow");

static void lock_then_overflow(void *arg __unused)
{
	mutex_lock(&overflow_lock);
	kernel_stack_overflow(); /* #DF on the guard page: the thread dies here */
	mutex_unlock(&overflow_lock);
}

/*
 * Twice: the second overflow finds the #DF handler's IST stack at its top
 * again although the first one's thread never came back from it.
 */
static const char *test_stack_overflow_kills_only_that_thread(void)
{
	struct mem_counts before = mem_counts_now();
	size_t threads_before = thread_count();
	char expect[96];

	for (int round = 0; round < 2; round++) {
		struct thread *victim = thread_create_here(lock_then_overflow, NULL, "overflower", 0);
		CHECK(victim);
		ksnprintf(expect, sizeof(expect), "thread %lu (overflower) killed by the fault above; "
			  "it held mutex 'test overflow', released", victim->id);
		selftest_capture_begin(); /* the report is on purpose: keep it off the console */
		while (victim->state != THREAD_DEAD)
			thread_sleep_ticks(1);
		const char *out = selftest_capture_end();
		CHECKF(strstr(out, "kernel stack overflow") &&
		       strstr(out, "(that is the \"overflower\" kernel stack: 16 KiB, guard page at") &&
		       strstr(out, "#DF Double Fault") && strstr(out, expect),
		       "round %d report: %.400s", round, out);
		CHECKF(victim->faulted && victim->fault_vector == 8, "round %d: faulted %d, vector %lu",
		       round, victim->faulted, victim->fault_vector);
		CHECK(overflow_lock.owner == NULL && list_empty(&victim->mutexes_held));
		CHECK(thread_join(victim) == 0);
	}
	CHECK(thread_count() == threads_before && !thread_current()->faulted);
	CHECK_OK(mem_counts_back(&before));
	return NULL;
}

/* ---- debug mode: deadlocks and soft lockups ------------------------------------- */

static struct mutex dl_first = MUTEX_INIT(dl_first, "first");
static struct mutex dl_second = MUTEX_INIT(dl_second, "second");

/* Holds first, then waits for second (which the test holds). */
static void hold_first_want_second(void *arg __unused)
{
	mutex_lock(&dl_first);
	mutex_lock(&dl_second);
	mutex_unlock(&dl_second);
	mutex_unlock(&dl_first);
}

static const char *test_deadlock_detected(void)
{
	mutex_lock(&dl_second);
	struct thread *t = thread_create(hold_first_want_second, NULL, "dl-other", 0);
	CHECK(t);
	while (t->state != THREAD_BLOCKED) /* it takes first, then blocks on second */
		thread_sleep_ticks(1);
	CHECK(dl_first.owner == t && t->waiting_mutex == &dl_second);
	selftest_capture_begin();
	int err = mutex_lock_checked(&dl_first); /* would close the cycle */
	const char *out = selftest_capture_end();
	CHECKF(err == -EDEADLK, "mutex_lock_checked returned %d", err);
	CHECKF(strstr(out, "deadlock: thread") && strstr(out, "waits for mutex 'first', held by "
	       "thread") && strstr(out, "(dl-other), which waits for mutex 'second'"),
	       "report: %.300s", out);
	CHECK(dl_first.owner == t); /* nothing taken */
	mutex_unlock(&dl_second);   /* break it: the other thread finishes */
	CHECK(thread_join(t) == 0);
	CHECK(dl_first.owner == NULL && dl_second.owner == NULL);
	CHECK(mutex_lock_checked(&dl_first) == 0); /* free: no cycle, taken */
	mutex_unlock(&dl_first);
	return NULL;
}

/*
 * Above the test's priority and alone there: never switched out until it
 * ends. The loop calls nothing, so every tick interrupts it in hog_cpu.
 */
static void hog_cpu(void *arg)
{
	const volatile uint64_t *ticks = &thread_current()->ticks_unswitched;

	while (*ticks < (uint64_t)(uintptr_t)arg)
		cpu_relax();
}

static const char *test_soft_lockup(void)
{
	bool was = sched_set_debug(true);
	uint64_t limit = sched_set_lockup_ticks(4);

	selftest_capture_begin();
	struct thread *t = thread_create_here(hog_cpu, (void *)10, "hog",
					 THREAD_PRIO(THREAD_PRIO_SHELL + 1)); /* runs at once */
	const char *out = selftest_capture_end();
	sched_set_lockup_ticks(limit);
	sched_set_debug(was);
	CHECK(t);
	CHECK(thread_join(t) == 0);
	CHECKF(strstr(out, "soft lockup: thread") && strstr(out, "(hog) has run 4 ticks") &&
	       strstr(out, "at RIP hog_cpu+"), "watchdog said: %.300s", out);
	CHECKF(strstr(strstr(out, "soft lockup") + 1, "soft lockup") == NULL,
	       "reported more than once: %.300s", out);
	return NULL;
}

/* ---- priority and affinity -------------------------------------------------- */

static volatile bool flag_ran;

static void set_flag(void *arg __unused)
{
	flag_ran = true;
}

static const char *test_priority_affinity(void)
{
	flag_ran = false;
	struct thread *t = thread_create_here(set_flag, NULL, "prio-test", 0);
	CHECK(t);
	CHECK(!flag_ran); /* below the test's priority: not run yet */
	unsigned offline = sched_cpus_online(); /* CPUs 0 .. n-1 are online */
	if (offline < SCHED_MAX_CPUS)
		CHECK(thread_set_affinity(t, CPUMASK_CPU(offline)) == -EINVAL);
	CHECK(thread_set_affinity(t, 0) == -EINVAL);
	CHECK(thread_set_affinity(t, here()) == 0 && t->affinity == here());
	CHECK(thread_set_priority(t, THREAD_PRIO_MAX + 1) == -EINVAL);
	CHECK(thread_set_priority(sched_idle_thread(), THREAD_PRIO_MAX) == -EINVAL);
	CHECK(!flag_ran && t->state == THREAD_READY);
	/* Above the caller now: it runs before thread_set_priority returns. */
	CHECK(thread_set_priority(t, THREAD_PRIO_SHELL + 1) == 0);
	CHECKF(flag_ran && t->state == THREAD_DEAD, "raised above the caller, it did not run "
	       "at once (state %s)", thread_state_name(t->state));
	CHECK(thread_set_priority(t, 1) == -EINVAL); /* dead */
	CHECK(thread_join(t) == 0);
	return NULL;
}

/* ---- sleeping ------------------------------------------------------------- */

static const char *test_sleep_ticks(void)
{
	CHECK(sched_ms_to_ticks(0) == 0 && sched_ms_to_ticks(1) == 1);
	CHECK(sched_ms_to_ticks(10) == 1 && sched_ms_to_ticks(11) == 2);
	CHECK(sched_ms_to_ticks(1000) == TIMER_HZ);
	/* Interrupts off around it: the tick cannot move between our reads and the sleep's. */
	for (uint64_t n = 1; n <= 5; n += 2) {
		unsigned long flags = arch_irq_save();
		uint64_t before = timer_ticks();
		thread_sleep_ticks(n);
		uint64_t after = timer_ticks();
		uint64_t woke = thread_current()->woke_tick;
		arch_irq_restore(flags);
		CHECKF(woke == before + n && after == before + n,
		       "slept %lu ticks from tick %lu: woke in tick %lu, running in tick %lu", n,
		       before, woke, after);
	}
	unsigned long flags = arch_irq_save();
	uint64_t before = timer_ticks();
	thread_sleep_ms(30);
	uint64_t after = timer_ticks();
	arch_irq_restore(flags);
	CHECKF(after == before + sched_ms_to_ticks(30), "sleep 30 ms: %lu ticks", after - before);
	return NULL;
}

/* ---- wait queues ------------------------------------------------------------ */

#define WAITERS 3

static struct wait_queue test_wq = WAIT_QUEUE_INIT(test_wq, "test queue");
static volatile unsigned tokens;
static volatile unsigned woke_n;
static uint64_t woke_ids[WAITERS];

static void wait_for_token(void *arg __unused)
{
	wait_event(&test_wq, tokens > 0);
	unsigned long flags = arch_irq_save();
	tokens--;
	woke_ids[woke_n++] = thread_current()->id;
	arch_irq_restore(flags);
}

static const char *test_wake_one_all(void)
{
	struct thread *t[WAITERS];

	tokens = woke_n = 0;
	for (int i = 0; i < WAITERS; i++) {
		t[i] = thread_create_here(wait_for_token, NULL, "waiter", 0);
		CHECK(t[i]);
	}
	until_waiting(&test_wq, WAITERS);
	for (int i = 0; i < WAITERS; i++)
		CHECK(t[i]->state == THREAD_BLOCKED && t[i]->waiting_on == &test_wq);
	tokens = 1;
	CHECK(wait_queue_wake_one(&test_wq) == t[0]); /* the oldest waiter */
	until_waiting(&test_wq, WAITERS - 1);
	while (woke_n < 1)
		thread_sleep_ticks(1);
	CHECKF(woke_n == 1 && woke_ids[0] == t[0]->id, "wake-one woke %u threads", woke_n);
	tokens = WAITERS - 1;
	CHECK(wait_queue_wake_all(&test_wq) == WAITERS - 1);
	for (int i = 0; i < WAITERS; i++)
		CHECK(thread_join(t[i]) == 0);
	CHECKF(woke_n == WAITERS && woke_ids[1] == t[1]->id && woke_ids[2] == t[2]->id,
	       "wake-all: %u woke, order %lu %lu", woke_n, woke_ids[1], woke_ids[2]);
	CHECK(wait_queue_count(&test_wq) == 0 && wait_queue_wake_all(&test_wq) == 0);
	return NULL;
}

/* ---- wait_event_timeout -------------------------------------------------------- */

static struct wait_queue timeout_wq = WAIT_QUEUE_INIT(timeout_wq, "test timeout queue");
static volatile bool timeout_cond;

/* Runs while the test waits (it is of lower priority): make the condition true, wake. */
static void make_cond_true(void *arg __unused)
{
	timeout_cond = true;
	wait_queue_wake_all(&timeout_wq);
}

static const char *test_wait_timeout(void)
{
	timeout_cond = false;
	unsigned armed = timeout_pending_count();
	CHECK(wait_event_timeout(&timeout_wq, timeout_cond, 0) == -ETIMEDOUT);
	uint64_t before = timer_ticks();
	long r = wait_event_timeout(&timeout_wq, timeout_cond, 3);
	uint64_t after = timer_ticks();
	CHECKF(r == -ETIMEDOUT && after == before + 3, "a 3-tick limit: %ld after %lu ticks", r,
	       after - before);
	timeout_cond = true;
	CHECK(wait_event_timeout(&timeout_wq, timeout_cond, 3) == 0);
	uint64_t limits[2] = {50, UINT64_MAX};
	for (int i = 0; i < 2; i++) {
		timeout_cond = false;
		struct thread *t = thread_create_here(make_cond_true, NULL, "waker", 0);
		CHECK(t);
		before = timer_ticks();
		r = wait_event_timeout(&timeout_wq, timeout_cond, limits[i]);
		after = timer_ticks();
		CHECK(thread_join(t) == 0);
		CHECKF(r == 0 && after - before < 50, "woken under a limit of %lu: %ld after %lu "
		       "ticks", limits[i], r, after - before);
	}
	CHECKF(timeout_pending_count() == armed, "%u timeouts left armed (%u before)",
	       timeout_pending_count(), armed);
	CHECK(wait_queue_count(&timeout_wq) == 0);
	return NULL;
}

/* ---- semaphores ------------------------------------------------------------- */

#define SEM_ITEMS 5

static struct semaphore items;
static volatile unsigned consumed;

static void consume(void *arg __unused)
{
	for (int i = 0; i < SEM_ITEMS; i++) {
		semaphore_down(&items);
		consumed++;
	}
}

static const char *test_semaphore(void)
{
	semaphore_init(&items, 0, "test items");
	consumed = 0;
	CHECK(!semaphore_trydown(&items));
	struct thread *t = thread_create_here(consume, NULL, "consumer", 0);
	CHECK(t);
	until_waiting(&items.waiters, 1);
	CHECK(consumed == 0);
	for (int i = 0; i < SEM_ITEMS; i++)
		semaphore_up(&items);
	CHECK(thread_join(t) == 0);
	CHECKF(consumed == SEM_ITEMS && items.count == 0, "consumed %u, %lu left", consumed,
	       items.count);
	semaphore_up(&items);
	CHECK(semaphore_trydown(&items) && items.count == 0);
	return NULL;
}

PINNED(test_priority_affinity)
PINNED(test_fault_kills_thread)
PINNED(test_stack_overflow_kills_only_that_thread)
PINNED(test_soft_lockup)
PINNED(test_sleep_ticks)
PINNED(test_wake_one_all)
PINNED(test_semaphore)
PINNED(test_wait_timeout)
PINNED(test_cross_cpu_wake)

static const struct selftest threads_tests[] = {
	{"join_1000", "1000 threads created and joined: MemFree, Slab, VmallocUsed as before",
	 test_join_1000},
	{"refusals", "unknown flags, bad priority, no function, joining or killing oneself",
	 test_refusals},
	{"mutex_counter", "2 threads per online CPU (4 at least, pinned in turn) add 3000 each "
	 "under a mutex, preempted holding it: none lost", test_mutex_counter},
	{"cross_cpu_wake", "a thread blocked on another CPU, woken from this one, runs there (one "
	 "CPU: said, run here)", test_cross_cpu_wake_pinned},
	{"mutex_owner", "trylock records the owner, fails when held; unlock clears it",
	 test_mutex_owner},
	{"priority_affinity", "affinity outside the online CPUs refused; a thread raised above "
	 "the caller runs at once", test_priority_affinity_pinned},
	{"fault_kills_thread", "a thread faulting holding a mutex dies alone: the mutex goes to "
	 "its waiter, memory comes back", test_fault_kills_thread_pinned},
	{"thread_stack_overflow_kills_only_that_thread", "a thread recursing into its guard "
	 "page holding a mutex dies alone, twice; the mutex is freed, memory comes back",
	 test_stack_overflow_kills_only_that_thread_pinned},
	{"deadlock_detected", "a lock that would close a cycle of owners is refused with the "
	 "cycle named", test_deadlock_detected},
	{"soft_lockup", "debug mode: a thread keeping the CPU 4 ticks is reported once, with its "
	 "RIP", test_soft_lockup_pinned},
	{"sleep_ticks", "sleep n ticks wakes in tick start+n exactly; ms round up to ticks",
	 test_sleep_ticks_pinned},
	{"wake_one_all", "wake-one wakes the oldest waiter only; wake-all the rest, in order",
	 test_wake_one_all_pinned},
	{"semaphore", "a consumer blocks on an empty semaphore and takes each unit given",
	 test_semaphore_pinned},
	{"wait_timeout", "wait_event_timeout: -ETIMEDOUT in the exact tick (0 ticks: at once); 0 "
	 "when the condition holds or a waker comes first; no timeout left armed",
	 test_wait_timeout_pinned},
};

SELFTEST_SUITE(threads, threads_tests);
