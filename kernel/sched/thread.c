/*
 * thread.c - creating, ending, joining and freeing kernel threads (see
 * thread.h); the list of every thread, which `threads` prints.
 *
 * A new thread's stack is built to look as if it had called sched_switch
 * itself: six zeroed callee-saved registers (rbx = the thread) under a
 * return address of thread_entry (switch.asm), so the first switch to it
 * "returns" into thread_entry, which calls thread_start(t): interrupts on,
 * fn(arg), thread_exit().
 *
 * Invariants:
 *   [x] every thread with a descriptor is on all_threads (the idle threads
 *       too) until it is freed;
 *   [x] only a DEAD thread is freed, never by itself, by exactly one of
 *       thread_join (joinable) or thread_reap (detached: claimed by taking
 *       it off all_threads under threads_lock), and only once its last
 *       switch-out is complete (on_cpu clear: its CPU left its stack);
 *   [x] all_threads, threads_alive and next_id change only under threads_lock.
 * Context: see thread.h. Lock order: threads_lock is a leaf (nothing is
 * taken inside it, the callbacks of thread_for_each included); none held
 * across kmalloc/vmalloc.
 */
#include "kernel/sched/thread.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/percpu.h"
#include "kernel/sched/mutex.h"
#include "kernel/sched/sched.h"
#include "kernel/sched/schedule.h"
#include "kernel/sched/wait.h"
#include "kernel/stack.h"
#include "lib/errno.h"
#include "lib/panic.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/kernel_space.h"
#include "mm/kmalloc.h"

#define THREAD_KNOWN_FLAGS (THREAD_DETACHED | THREAD_CRITICAL | (0x1fu << 8))

static spinlock_t threads_lock = SPINLOCK_INIT("thread list");
static struct list_node all_threads = LIST_INIT(all_threads);
static size_t threads_alive;        /* descriptors not yet freed */
static uint64_t next_id = 1;
/* Joiners wait here; every exit wakes them all and each checks its thread. */
static struct wait_queue exit_queue = WAIT_QUEUE_INIT(exit_queue, "thread exit");

extern char thread_entry[]; /* switch.asm */

/* Name it, number it and put it on all_threads. */
static void thread_init_common(struct thread *t, const char *name, int priority)
{
	strlcpy(t->name, name, THREAD_NAME_MAX);
	t->priority = priority;
	t->affinity = SCHED_ALL_CPUS;
	spin_lock_init(&t->sched_lock, "thread");
	list_init(&t->run_link);
	list_init(&t->wait_link);
	list_init(&t->mutexes_held);
	unsigned long flags = spin_lock_irqsave(&threads_lock);
	t->id = next_id++;
	list_add_tail(&all_threads, &t->all_link);
	threads_alive++;
	spin_unlock_irqrestore(&threads_lock, flags);
}

/*
 * For sched_init and sched_start_secondary: the calling flow becomes cpu's
 * idle thread. CPU 0's runs on the guarded "main" stack in the boot flow's
 * space; an AP's on its boot stack (not a registered kernel_stack: NULL) in
 * the kernel space. Interrupts off.
 */
void thread_setup_idle(struct thread *t, unsigned cpu)
{
	ASSERT_IRQS_OFF();
	memset(t, 0, sizeof(*t));
	t->cpu = cpu;
	t->state = THREAD_RUNNING;
	t->stack = cpu == 0 ? kernel_stack_main() : percpu_of(cpu)->stack; /* the AP's first stack */
	t->space = cpu == 0 ? current_space() : &kernel_space;
	thread_init_common(t, "idle", -1);
	t->affinity = CPUMASK_CPU(cpu);
}

/* First C code of every thread (from thread_entry, interrupts off). */
__noreturn void thread_start(struct thread *t);
void thread_start(struct thread *t)
{
	sched_finish_switch(); /* the thread this CPU left may now run elsewhere */
	interrupts_enable();
	t->fn(t->arg);
	thread_exit();
}

/* Free t, DEAD and already taken off all_threads, once its CPU has left its stack. */
static void thread_free_unlisted(struct thread *t)
{
	sched_wait_switched_out(t);
	MUST_SUCCEED(kernel_stack_destroy(t->stack), "thread_free: a dead thread's own stack");
	kfree(t);
}

/* Take t off all_threads; false if someone else (a concurrent reaper) already did. */
static bool thread_unlist(struct thread *t)
{
	unsigned long flags = spin_lock_irqsave(&threads_lock);
	bool listed = !list_empty(&t->all_link);

	if (listed) {
		list_remove(&t->all_link);
		threads_alive--;
	}
	spin_unlock_irqrestore(&threads_lock, flags);
	return listed;
}

struct thread *thread_create(void (*fn)(void *arg), void *arg, const char *name, unsigned flags)
{
	return thread_create_on(fn, arg, name, flags, SCHED_ALL_CPUS);
}

struct thread *thread_create_on(void (*fn)(void *arg), void *arg, const char *name,
				unsigned flags, cpumask_t affinity)
{
	int priority = THREAD_FLAGS_PRIO(flags);

	if ((flags & ~THREAD_KNOWN_FLAGS) || priority > THREAD_PRIO_MAX || fn == NULL ||
	    (affinity & sched_online_mask()) == 0)
		return NULL;
	if (priority < 0)
		priority = THREAD_PRIO_DEFAULT;
	thread_reap();
	struct thread *t = kmalloc(sizeof(*t), KM_ZERO);
	if (!t)
		return NULL;
	t->stack = kernel_stack_create(THREAD_STACK_SIZE, t->name);
	if (!t->stack) {
		kfree(t);
		return NULL;
	}
	t->fn = fn;
	t->arg = arg;
	t->flags = flags;
	t->space = &kernel_space; /* a kernel thread */
	/* The frame sched_switch pops (switch.asm): r15 r14 r13 r12 rbx rbp, return. */
	uint64_t *sp = (uint64_t *)(uintptr_t)(t->stack->top - 24);
	sp[0] = (uint64_t)(uintptr_t)thread_entry; /* after its ret, RSP = top - 16: aligned */
	sp[1] = sp[2] = 0;
	sp -= 6;
	memset(sp, 0, 6 * sizeof(uint64_t));
	sp[4] = (uint64_t)(uintptr_t)t; /* rbx */
	t->context_rsp = (uint64_t)(uintptr_t)sp;

	unsigned long irq = arch_irq_save();
	t->cpu = arch_cpu_id();
	t->state = THREAD_READY;
	thread_init_common(t, name, priority);
	t->affinity = affinity;
	int cpu = sched_enqueue(t); /* the least loaded CPU it allows */
	if (cpu < 0)
		panic("thread_create: thread %lu allows no online CPU", t->id);
	sched_resched_if_preempts(t, (unsigned)cpu);
	sched_resched_pending(); /* a more urgent thread starts at once */
	arch_irq_restore(irq);
	return t;
}

void thread_exit(void)
{
	interrupts_disable();
	struct thread *t = thread_current();

	ASSERT(t != sched_idle_thread(), "thread_exit: the idle thread never ends");
	t->state = THREAD_DEAD;
	t->run_cycles += rdtsc() - t->last_switch_in;
	t->last_switch_in = rdtsc();
	wait_queue_wake_all(&exit_queue); /* interrupts stay off: no switch yet */
	schedule();
	panic("thread_exit: a dead thread ran again");
}

bool thread_fault_can_kill(bool irqs_were_on)
{
	ASSERT_IRQS_OFF();
	if (!sched_running() || !irqs_were_on || preempt_count() != 0)
		return false;
	struct thread *t = thread_current();
	return t != sched_idle_thread() && !(t->flags & THREAD_CRITICAL);
}

void thread_die_of_fault(uint64_t vector)
{
	ASSERT_IRQS_OFF();
	struct thread *t = thread_current();

	kprintf("(thread %lu (%s) killed by the fault above", t->id, t->name);
	while (!list_empty(&t->mutexes_held)) {
		struct mutex *m = list_first_entry(&t->mutexes_held, struct mutex, held_link);
		kprintf("; it held mutex '%s', released", m->waiters.name);
		mutex_release_dead_owner(m, t);
	}
	kprintf("; the kernel goes on)\n");
	t->fault_vector = vector;
	t->faulted = true;
	t->state = THREAD_DEAD;
	t->run_cycles += rdtsc() - t->last_switch_in;
	t->last_switch_in = rdtsc();
	wait_queue_wake_all(&exit_queue);
	schedule();
	panic("thread_die_of_fault: a dead thread ran again");
}

int thread_join(struct thread *t)
{
	if (t == thread_current() || (t->flags & THREAD_DETACHED))
		return -EINVAL;
	wait_event(&exit_queue, t->state == THREAD_DEAD);
	MUST_SUCCEED(thread_unlist(t) ? 0 : -EINVAL, "thread_join: a joinable thread is listed");
	thread_free_unlisted(t);
	return 0;
}

/*
 * Apply set(t, value) with interrupts off; then the CPU t ran or was queued
 * on reschedules if it must (another CPU: asked by IPI), and so does the
 * caller's when it no longer runs first or may no longer run here.
 */
static int thread_change(struct thread *t, int (*set)(struct thread *t, uint64_t value),
			 uint64_t value)
{
	unsigned long flags = arch_irq_save();
	int cpu = -EINVAL;
	unsigned here = arch_cpu_id();

	if (t->priority >= 0 && t->state != THREAD_DEAD) { /* not an idle thread */
		unsigned before = t->cpu;
		while ((cpu = set(t, value)) == -EBUSY)
			sched_wait_switched_out(t); /* queued where it still switches out */
		if (cpu >= 0 && before != here && sched_cpu_is_online(before))
			sched_resched_cpu(before); /* it may run there and have to leave or yield */
		if (cpu >= 0 && (unsigned)cpu != before && (unsigned)cpu != here)
			sched_resched_if_preempts(t, (unsigned)cpu);
	}
	struct thread *self = thread_current();
	if (cpu >= 0 && (sched_ready_above(here, self->priority) ||
			 !(self->affinity & CPUMASK_CPU(here))))
		schedule();
	arch_irq_restore(flags);
	return cpu < 0 ? cpu : 0;
}

static int set_priority(struct thread *t, uint64_t value)
{
	return sched_set_priority(t, (int)value);
}

static int set_affinity(struct thread *t, uint64_t value)
{
	return sched_set_affinity(t, (cpumask_t)value);
}

int thread_set_priority(struct thread *t, int priority)
{
	if (priority < THREAD_PRIO_MIN || priority > THREAD_PRIO_MAX)
		return -EINVAL;
	return thread_change(t, set_priority, (uint64_t)priority);
}

int thread_set_affinity(struct thread *t, cpumask_t mask)
{
	return thread_change(t, set_affinity, mask);
}

size_t thread_reap(void)
{
	size_t n = 0;

	for (;;) {
		struct thread *t, *found = NULL;
		unsigned long flags = spin_lock_irqsave(&threads_lock);
		list_for_each_entry(t, &all_threads, all_link) {
			if (t->state == THREAD_DEAD && (t->flags & THREAD_DETACHED)) {
				found = t;
				list_remove(&t->all_link); /* claimed: no other reaper sees it */
				threads_alive--;
				break;
			}
		}
		spin_unlock_irqrestore(&threads_lock, flags);
		if (!found)
			return n;
		thread_free_unlisted(found);
		n++;
	}
}

/* thread_find with threads_lock held. */
static struct thread *find_locked(uint64_t id)
{
	struct thread *t;

	list_for_each_entry(t, &all_threads, all_link) {
		if (t->id == id)
			return t;
	}
	return NULL;
}

struct thread *thread_find(uint64_t id)
{
	ASSERT_IRQS_OFF();
	unsigned long flags = spin_lock_irqsave(&threads_lock);
	struct thread *t = find_locked(id);

	spin_unlock_irqrestore(&threads_lock, flags);
	return t;
}

int thread_kill(uint64_t id)
{
	unsigned long flags = spin_lock_irqsave(&threads_lock);
	struct thread *t = find_locked(id);
	int err = 0;

	if (t == NULL || t->state == THREAD_DEAD)
		err = -ENOENT;
	else if (t->priority < 0 || t == thread_current() || !(t->flags & THREAD_DETACHED))
		err = -EPERM; /* an idle thread, the caller, or not a demo */
	else
		t->kill_requested = true;
	spin_unlock_irqrestore(&threads_lock, flags);
	return err;
}

size_t thread_kill_detached(void)
{
	unsigned long flags = spin_lock_irqsave(&threads_lock);
	struct thread *t;
	size_t n = 0;

	list_for_each_entry(t, &all_threads, all_link) {
		if ((t->flags & THREAD_DETACHED) && t->state != THREAD_DEAD && !t->kill_requested) {
			t->kill_requested = true;
			n++;
		}
	}
	spin_unlock_irqrestore(&threads_lock, flags);
	return n;
}

bool thread_should_stop(void)
{
	return thread_current()->kill_requested;
}

void thread_for_each(void (*fn)(const struct thread *t, void *arg), void *arg)
{
	ASSERT_IRQS_OFF();
	unsigned long flags = spin_lock_irqsave(&threads_lock);
	const struct thread *t;

	list_for_each_entry(t, &all_threads, all_link)
		fn(t, arg);
	spin_unlock_irqrestore(&threads_lock, flags);
}

size_t thread_count(void)
{
	return threads_alive;
}

size_t thread_stack_high_water(const struct thread *t)
{
	if (t->stack == NULL || !t->stack->guarded)
		return 0;
	/* vmalloc pages start zeroed: the lowest non-zero word is the deepest ever written. */
	const uint64_t *p = (const uint64_t *)(uintptr_t)t->stack->bottom;
	const uint64_t *top = (const uint64_t *)(uintptr_t)t->stack->top;
	while (p < top && *p == 0)
		p++;
	return (size_t)((const char *)top - (const char *)p);
}

const char *thread_state_name(enum thread_state s)
{
	static const char *const names[] = {"ready", "running", "blocked", "sleeping", "dead"};

	return (unsigned)s < ARRAY_SIZE(names) ? names[s] : "?";
}
