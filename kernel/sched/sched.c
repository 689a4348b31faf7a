/*
 * sched.c - the scheduling policy (see sched.h): per-CPU run queues with a
 * FIFO per priority level, time slices, sorted sleep lists, affinity, work
 * stealing and placement by load.
 *
 * Invariants (of each CPU's queue and the threads on it):
 *   [x] bit p of `nonempty` is set exactly when level p's list is not empty;
 *   [x] a thread is on a run queue exactly when it is READY, on at most one,
 *       and only on an online CPU its affinity allows;
 *   [x] a queued thread with on_cpu set is on the queue of the CPU it is
 *       still switching out of (t->cpu): no other CPU ever picks it;
 *   [x] the sleep list holds exactly the SLEEPING threads not yet taken by
 *       the tick, in wake_tick order (equal ticks in the order they slept);
 *   [x] ready counts each queue's threads; curr is the thread running on
 *       the CPU (NULL: its idle thread), written only by that CPU: under
 *       the queue's lock, or by a handoff (readers need only a live thread);
 *   [x] online CPUs only ever join (the mask grows);
 *   [x] a handoff (run_queue.h: sched_handoff_allowed, then
 *       sched_handoff_take) makes RUNNING only a BLOCKED thread off every
 *       CPU and queue, never past a ready thread that outranks it.
 * Lock order (interrupts off in every function, ASSERT_IRQS_OFF):
 *   [x] a wait queue's lock (wait.c) -> a thread's sched_lock -> a run queue's lock;
 *   [x] two run-queue locks (stealing) are taken lower CPU number first;
 *   [x] nothing else is taken inside a run-queue lock.
 * Built for the host too, so it uses lib/, sched_arch.h and spinlock.h only.
 */
#include "kernel/sched/sched.h"

#include "kernel/sched/run_queue.h"

#include "mm/spinlock.h"
#include "lib/errno.h"
#include "lib/lab.h"
#include "lib/string.h"

struct run_queue sched_run_queues[SCHED_MAX_CPUS];
static struct run_queue *const queues = sched_run_queues; /* this file's short name */
static cpumask_t online;

_Static_assert(THREAD_PRIO_LEVELS <= 32, "sched: the level bitmap is 32 bits");

/* How stealing hands over what it took: to run now, or onto the thief's queue. */
#define STEAL_RUN 0
#define STEAL_QUEUE 1

static void policy_first_calls(void);

int sched_policy_init(unsigned cpus)
{
	ASSERT_IRQS_OFF();
	if (cpus == 0 || cpus > SCHED_MAX_CPUS)
		return -EINVAL;
	for (unsigned c = 0; c < SCHED_MAX_CPUS; c++) {
		struct run_queue *rq = &queues[c];
		spin_lock_init(&rq->lock, "run queue");
		for (int p = 0; p < THREAD_PRIO_LEVELS; p++)
			list_init(&rq->levels[p]);
		list_init(&rq->sleepers);
		rq->nonempty = 0;
		rq->ready = rq->sleeping = 0;
		rq->curr = NULL;
	}
	__atomic_store_n(&online, CPUMASK_FIRST(cpus), __ATOMIC_RELEASE);
	policy_first_calls();
	return 0;
}

int sched_cpu_set_online(unsigned cpu)
{
	ASSERT_IRQS_OFF();
	if (cpu >= SCHED_MAX_CPUS)
		return -EINVAL;
	cpumask_t was = __atomic_fetch_or(&online, CPUMASK_CPU(cpu), __ATOMIC_ACQ_REL);
	return (was & CPUMASK_CPU(cpu)) ? -EEXIST : 0;
}

cpumask_t sched_online_mask(void)
{
	return __atomic_load_n(&online, __ATOMIC_ACQUIRE);
}

unsigned sched_cpus_online(void)
{
	unsigned n = 0;

	for (cpumask_t m = sched_online_mask(); m != 0; m &= m - 1) /* no popcnt in the kernel's ISA */
		n++;
	return n;
}

bool sched_cpu_is_online(unsigned cpu)
{
	return cpu < SCHED_MAX_CPUS && (sched_online_mask() & CPUMASK_CPU(cpu));
}

static bool on_cpu(const struct thread *t)
{
	return __atomic_load_n(&t->on_cpu, __ATOMIC_ACQUIRE);
}

/* Threads ready on cpu plus the one running there: the placement load (a hint). */
static unsigned load(unsigned cpu)
{
	const struct run_queue *rq = &queues[cpu];

	return __atomic_load_n(&rq->ready, __ATOMIC_RELAXED) +
	       (__atomic_load_n(&rq->curr, __ATOMIC_RELAXED) != NULL);
}

/*
 * The CPU t should be queued on (see sched.h), -EINVAL when its affinity
 * allows no online CPU, -EBUSY when it is on_cpu where it is not allowed.
 */
static int choose_cpu(const struct thread *t)
{
	cpumask_t allowed = t->affinity & sched_online_mask();

	if (allowed == 0)
		return -EINVAL;
	if (on_cpu(t))
		return (allowed & CPUMASK_CPU(t->cpu)) ? (int)t->cpu : -EBUSY;
	/* LAB 9 BEGIN sched_place: the least loaded allowed CPU; ties: t's last CPU, then the lowest */
	int best = -1;
	unsigned best_load = ~0u;
	if (allowed & CPUMASK_CPU(t->cpu)) {
		best = (int)t->cpu;
		best_load = load(t->cpu);
	}
	for (cpumask_t m = allowed; m != 0 && best_load != 0; m &= m - 1) {
		unsigned c = (unsigned)__builtin_ctzll(m);
		unsigned l = load(c);
		if (l < best_load) {
			best = (int)c;
			best_load = l;
		}
	}
	return best;
	/* LAB 9 END sched_place */
}

/* Add t at the back of its level on rq (rq's lock held). */
static void rq_add(struct run_queue *rq, struct thread *t, unsigned cpu)
{
	t->cpu = cpu;
	t->on_rq = true;
	if (t->slice_left == 0)
		t->slice_left = SCHED_SLICE_TICKS;
	list_add_tail(&rq->levels[t->priority], &t->run_link);
	rq->nonempty |= 1u << t->priority;
	rq->ready++;
}

/* Take queued t off rq (rq's lock held). */
static void rq_remove(struct run_queue *rq, struct thread *t)
{
	list_remove(&t->run_link);
	if (list_empty(&rq->levels[t->priority]))
		rq->nonempty &= ~(1u << t->priority);
	rq->ready--;
}

/* Make t RUNNING on cpu, whose queue's lock is held (run_queue.h's step). */
static void make_current(struct run_queue *rq, struct thread *t, unsigned cpu)
{
	run_queue_make_current(rq, t, cpu);
}

/* sched_enqueue with t's sched_lock held. */
static int enqueue_locked(struct thread *t)
{
	ASSERT(t->state == THREAD_READY && list_empty(&t->run_link),
	       "sched_enqueue: the thread is not READY or is already queued");
	int cpu = choose_cpu(t);
	if (cpu < 0)
		return cpu;
	struct run_queue *rq = &queues[cpu];
	unsigned long flags = spin_lock_irqsave(&rq->lock);
	rq_add(rq, t, (unsigned)cpu);
	spin_unlock_irqrestore(&rq->lock, flags);
	return cpu;
}

int sched_enqueue(struct thread *t)
{
	ASSERT_IRQS_OFF();
	unsigned long flags = spin_lock_irqsave(&t->sched_lock);
	int cpu = enqueue_locked(t);

	spin_unlock_irqrestore(&t->sched_lock, flags);
	return cpu;
}

/* The head of rq for cpu, made RUNNING there; NULL (rq->curr cleared) if rq is empty. rq's lock held. */
static __always_inline struct thread *pick_locked(struct run_queue *rq, unsigned cpu)
{
	/* LAB 9 BEGIN sched_pick_local: take the head of the highest non-empty level, make it current */
	if (rq->nonempty == 0) {
		__atomic_store_n(&rq->curr, NULL, __ATOMIC_RELAXED);
		return NULL;
	}
	int p = 31 - __builtin_clz(rq->nonempty);
	struct thread *t = list_first_entry(&rq->levels[p], struct thread, run_link);
	ASSERT(!on_cpu(t) || t->cpu == cpu,
	       "sched_pick_next: a thread still on another CPU is queued here");
	rq_remove(rq, t);
	make_current(rq, t, cpu);
	return t;
	/* LAB 9 END sched_pick_local */
}

/*
 * sched_put_prev; with pick set, when prev goes back on cpu's queue, also
 * pick cpu's next thread under that same hold of the queue lock (*pick,
 * else NULL). Interrupts off.
 */
static int put_prev(unsigned cpu, struct thread *prev, struct thread **pick)
{
	ASSERT_IRQS_OFF();
	ASSERT(prev->cpu == cpu && (prev->state != THREAD_RUNNING || list_empty(&prev->run_link)),
	       "sched_put_prev: the thread is not the one leaving this CPU");
	int err = 0;

	spin_lock_at(&prev->sched_lock, SPINLOCK_SITE); /* interrupts checked off above */
	if (prev->state == THREAD_RUNNING) {
		prev->state = THREAD_READY;
		if (prev->affinity & CPUMASK_CPU(cpu)) {
			struct run_queue *rq = &queues[cpu];
			spin_lock_at(&rq->lock, SPINLOCK_SITE);
			rq_add(rq, prev, cpu);
			if (pick)
				*pick = pick_locked(rq, cpu); /* never NULL: prev is queued */
			spin_unlock(&rq->lock);
		} else {
			err = -EBUSY; /* moved once its switch-out is complete */
		}
	} else if (prev->state != THREAD_READY) {
		prev->on_rq = false; /* blocked, sleeping or dead: a wake-up queues it */
	}
	spin_unlock(&prev->sched_lock);
	return err;
}

int sched_put_prev(unsigned cpu, struct thread *prev)
{
	return put_prev(cpu, prev, NULL);
}

struct thread *sched_put_prev_pick_next(unsigned cpu, struct thread *prev, bool *prev_must_move)
{
	struct thread *next = NULL;

	*prev_must_move = put_prev(cpu, prev, &next) == -EBUSY;
	return next ? next : sched_pick_next(cpu);
}

bool sched_handoff_put_woken(unsigned cpu, struct thread *prev)
{
	return put_prev(cpu, prev, NULL) == -EBUSY;
}

/* Lock the queues of CPUs a and b (a != b), lower number first. */
static void lock_two(unsigned a, unsigned b, unsigned long *fa, unsigned long *fb)
{
	if (a < b) {
		*fa = spin_lock_irqsave(&queues[a].lock);
		*fb = spin_lock_irqsave(&queues[b].lock);
	} else {
		*fb = spin_lock_irqsave(&queues[b].lock);
		*fa = spin_lock_irqsave(&queues[a].lock);
	}
}

static void unlock_two(unsigned a, unsigned b, unsigned long fa, unsigned long fb)
{
	if (a < b) {
		spin_unlock_irqrestore(&queues[b].lock, fb);
		spin_unlock_irqrestore(&queues[a].lock, fa);
	} else {
		spin_unlock_irqrestore(&queues[a].lock, fa);
		spin_unlock_irqrestore(&queues[b].lock, fb);
	}
}

/* The first thread of rq, highest level first, that may move to cpu (rq's lock held). */
static struct thread *find_stealable(struct run_queue *rq, unsigned cpu)
{
	/* LAB 9 BEGIN sched_find_stealable: highest level first, the first thread allowed on cpu and not on_cpu */
	for (int p = THREAD_PRIO_MAX; p >= THREAD_PRIO_MIN; p--) {
		if (!(rq->nonempty & (1u << p)))
			continue;
		struct thread *t;
		list_for_each_entry(t, &rq->levels[p], run_link) {
			if ((t->affinity & CPUMASK_CPU(cpu)) && !on_cpu(t))
				return t;
		}
	}
	return NULL;
	/* LAB 9 END sched_find_stealable */
}

/* The online CPU other than those in `skip` with the most ready threads, at least min; -1 if none. */
static int busiest_cpu(cpumask_t skip, unsigned min)
{
	int busiest = -1;
	unsigned most = min - 1;

	for (cpumask_t m = sched_online_mask() & ~skip; m != 0; m &= m - 1) {
		unsigned c = (unsigned)__builtin_ctzll(m);
		unsigned r = __atomic_load_n(&queues[c].ready, __ATOMIC_RELAXED);
		if (r > most) {
			busiest = (int)c;
			most = r;
		}
	}
	return busiest;
}

/*
 * Steal one thread for cpu from the busiest other queue holding at least
 * `margin` more ready threads than cpu's own (the next busiest if it has
 * none cpu may take), rechecked under both queues' locks. STEAL_RUN (cpu's
 * queue is empty): return it RUNNING on cpu; NULL if a thread was queued on
 * cpu meanwhile (the caller takes its own). STEAL_QUEUE: put it at the back
 * of cpu's queue with a fresh slice and return it; NULL if cpu's queue
 * changed meanwhile (the next tick tries again). NULL if nothing.
 */
static struct thread *steal(unsigned cpu, unsigned margin, int how)
{
	/* LAB 9 BEGIN sched_steal: lock both queues, recheck, move the thread; else the next busiest */
	cpumask_t tried = CPUMASK_CPU(cpu);
	struct run_queue *mine = &queues[cpu];

	for (;;) {
		unsigned have = __atomic_load_n(&mine->ready, __ATOMIC_RELAXED);
		if (how == STEAL_RUN && have != 0)
			return NULL;
		int victim = busiest_cpu(tried, have + margin);
		if (victim < 0)
			return NULL;
		tried |= CPUMASK_CPU(victim);
		struct run_queue *rq = &queues[victim];
		unsigned long fm, fv;
		struct thread *t = NULL;
		lock_two(cpu, (unsigned)victim, &fm, &fv);
		bool unchanged = mine->ready == have; /* nothing queued here or taken meanwhile */
		if (unchanged && rq->ready >= have + margin)
			t = find_stealable(rq, cpu);
		if (t) {
			rq_remove(rq, t);
			if (how == STEAL_QUEUE) {
				t->slice_left = 0; /* a fresh slice on its new CPU */
				rq_add(mine, t, cpu);
			} else {
				make_current(mine, t, cpu);
			}
		}
		unlock_two(cpu, (unsigned)victim, fm, fv);
		if (t || !unchanged)
			return t;
	}
	/* LAB 9 END sched_steal */
}

struct thread *sched_pick_next(unsigned cpu)
{
	ASSERT_IRQS_OFF();
	ASSERT(sched_cpu_is_online(cpu), "sched_pick_next: the CPU is not online");
	struct run_queue *rq = &queues[cpu];

	for (;;) {
		unsigned long flags = spin_lock_irqsave(&rq->lock);
		struct thread *t = pick_locked(rq, cpu);
		spin_unlock_irqrestore(&rq->lock, flags);
		if (t)
			return t;
		t = steal(cpu, 1, STEAL_RUN);
		if (t || rq->ready == 0)
			return t;
		/* Something was queued here while we looked elsewhere: take it. */
	}
}

bool sched_ready_above(unsigned cpu, int priority)
{
	return run_queue_ready_above(cpu, priority);
}

unsigned sched_ready_count(unsigned cpu)
{
	return __atomic_load_n(&queues[cpu].ready, __ATOMIC_RELAXED);
}

unsigned sched_sleeping_count(unsigned cpu)
{
	return __atomic_load_n(&queues[cpu].sleeping, __ATOMIC_RELAXED);
}

bool sched_should_preempt(unsigned cpu, const struct thread *t)
{
	const struct thread *curr = __atomic_load_n(&queues[cpu].curr, __ATOMIC_RELAXED);

	return curr == NULL || t->priority > curr->priority;
}

bool sched_cpu_current(unsigned cpu, uint64_t *id, char *name, size_t size)
{
	struct run_queue *rq = &queues[cpu];
	unsigned long flags = spin_lock_irqsave(&rq->lock);
	const struct thread *t = rq->curr;

	if (t) {
		*id = t->id;
		strlcpy(name, t->name, size);
	}
	spin_unlock_irqrestore(&rq->lock, flags);
	return t != NULL;
}

/* Wake t (BLOCKED, or SLEEPING off its list) with its sched_lock held; see sched_wake. */
static int wake_locked(struct thread *t, unsigned *cpu)
{
	ASSERT(t->state == THREAD_SLEEPING || t->state == THREAD_BLOCKED,
	       "sched_wake: the thread is not waiting");
	ASSERT(list_empty(&t->run_link), "sched_wake: the thread is still on a list");
	if (t->on_rq) {
		/* Still on its CPU, before schedule(): it just goes on running. */
		t->state = THREAD_RUNNING;
		t->waiting_on = NULL;
		*cpu = t->cpu;
		return 0;
	}
	enum thread_state was = t->state;
	t->state = THREAD_READY;
	int c = enqueue_locked(t);
	if (c < 0) {
		t->state = was;
		if (c == -EINVAL) /* affinity is checked when it is set */
			panic("sched_wake: thread %lu allows no online CPU", t->id);
		return c;
	}
	t->waiting_on = NULL;
	*cpu = (unsigned)c;
	return sched_should_preempt((unsigned)c, t) ? SCHED_WAKE_PREEMPT : 0;
}

int sched_wake(struct thread *t, unsigned *cpu)
{
	ASSERT_IRQS_OFF();
	unsigned long flags = spin_lock_irqsave(&t->sched_lock);
	int r = wake_locked(t, cpu);

	spin_unlock_irqrestore(&t->sched_lock, flags);
	return r;
}

/*
 * The tick's time-slice accounting on cpu, curr running there (NULL:
 * idle): CPUMASK_CPU(cpu) when cpu should reschedule (it idles and a thread
 * is ready; curr used up its slice and a thread of its level or above
 * waits), else 0. A curr alone at its level gets a new slice.
 */
static cpumask_t slice_tick(unsigned cpu, struct thread *curr)
{
	/* LAB 9 BEGIN sched_slice_tick: charge curr one tick; at the end of its slice, round robin or a new slice */
	if (curr == NULL)
		return sched_ready_above(cpu, -1) ? CPUMASK_CPU(cpu) : 0;
	if (curr->slice_left > 0)
		curr->slice_left--;
	if (curr->slice_left == 0) {
		if (sched_ready_above(cpu, curr->priority - 1))
			return CPUMASK_CPU(cpu); /* a peer or better waits: round robin */
		curr->slice_left = SCHED_SLICE_TICKS; /* alone at its level: go on */
	}
	return 0;
	/* LAB 9 END sched_slice_tick */
}

cpumask_t sched_tick(unsigned cpu, struct thread *curr, uint64_t now)
{
	ASSERT_IRQS_OFF();
	struct run_queue *rq = &queues[cpu];
	struct list_node due = LIST_INIT(due);
	cpumask_t resched = 0;

	/* Take the due sleepers off under our lock; wake them after (their queue may be another). */
	unsigned long flags = spin_lock_irqsave(&rq->lock);
	while (!list_empty(&rq->sleepers)) {
		struct thread *t = list_first_entry(&rq->sleepers, struct thread, run_link);
		if (t->wake_tick > now)
			break;
		list_remove(&t->run_link);
		list_add_tail(&due, &t->run_link);
		rq->sleeping--;
	}
	spin_unlock_irqrestore(&rq->lock, flags);
	while (!list_empty(&due)) {
		struct thread *t = list_first_entry(&due, struct thread, run_link);
		unsigned where;
		list_remove(&t->run_link);
		t->woke_tick = now;
		int r = sched_wake(t, &where);
		ASSERT(r >= 0, "sched_tick: a sleeper was still switching out");
		if (r == SCHED_WAKE_PREEMPT)
			resched |= CPUMASK_CPU(where);
	}
	/* Balance: an idle CPU with an empty queue takes any ready thread; a busy one
	 * pulls one from a queue two longer than its own, so the queues even out. */
	if ((curr != NULL || sched_ready_count(cpu) == 0) && steal(cpu, curr ? 2 : 1, STEAL_QUEUE))
		resched |= curr ? 0 : CPUMASK_CPU(cpu);
	return resched | slice_tick(cpu, curr);
}

void sched_sleep_until(unsigned cpu, struct thread *curr, uint64_t wake)
{
	ASSERT_IRQS_OFF();
	struct run_queue *rq = &queues[cpu];
	struct list_node *pos;

	ASSERT(curr->state == THREAD_RUNNING && list_empty(&curr->run_link),
	       "sched_sleep_until: only the running thread goes to sleep");
	unsigned long flags = spin_lock_irqsave(&rq->lock);
	curr->state = THREAD_SLEEPING;
	curr->wake_tick = wake;
	/* After every sleeper that wakes at or before `wake`: FIFO among equals. */
	list_for_each(pos, &rq->sleepers) {
		if (list_entry(pos, struct thread, run_link)->wake_tick > wake)
			break;
	}
	list_add_tail(pos, &curr->run_link);
	rq->sleeping++;
	spin_unlock_irqrestore(&rq->lock, flags);
}

/*
 * Take t (sched_lock held) off its run queue if it is on one; returns
 * whether it was. The queue's lock is taken for t->cpu, which only changes
 * under it (a thief moves t): rechecked once locked.
 */
static bool unqueue(struct thread *t)
{
	for (;;) {
		if (t->state != THREAD_READY || list_empty(&t->run_link))
			return false;
		unsigned cpu = t->cpu;
		struct run_queue *rq = &queues[cpu];
		unsigned long flags = spin_lock_irqsave(&rq->lock);
		bool here = t->cpu == cpu && t->state == THREAD_READY && !list_empty(&t->run_link);
		if (here)
			rq_remove(rq, t);
		spin_unlock_irqrestore(&rq->lock, flags);
		if (here)
			return true;
	}
}

/* Change t with its lock held: set(t, value), requeueing a queued t. */
static int change(struct thread *t, void (*set)(struct thread *t, uint64_t value), uint64_t value,
		  cpumask_t new_affinity)
{
	unsigned long flags = spin_lock_irqsave(&t->sched_lock);
	int cpu = (int)t->cpu;

	if (t->state == THREAD_READY && !list_empty(&t->run_link) && on_cpu(t) &&
	    !(new_affinity & CPUMASK_CPU(t->cpu))) {
		cpu = -EBUSY; /* queued where it still switches out, and must leave */
	} else {
		bool queued = unqueue(t);
		set(t, value);
		if (queued) {
			cpu = enqueue_locked(t);
			if (cpu < 0)
				panic("sched: thread %lu was requeued where no online CPU allows it",
				      t->id);
		}
	}
	spin_unlock_irqrestore(&t->sched_lock, flags);
	return cpu;
}

static void set_priority(struct thread *t, uint64_t value)
{
	t->priority = (int)value;
}

static void set_affinity(struct thread *t, uint64_t value)
{
	t->affinity = (cpumask_t)value;
}

int sched_set_priority(struct thread *t, int priority)
{
	ASSERT_IRQS_OFF();
	if (priority < THREAD_PRIO_MIN || priority > THREAD_PRIO_MAX)
		return -EINVAL;
	return change(t, set_priority, (uint64_t)priority, t->affinity);
}

int sched_set_affinity(struct thread *t, cpumask_t mask)
{
	ASSERT_IRQS_OFF();
	if ((mask & sched_online_mask()) == 0)
		return -EINVAL;
	return change(t, set_affinity, mask, mask);
}

/*
 * Call the policy's parts once, on the empty queues, where each finds
 * nothing to do. In a lab 9 skeleton (docs/labs/lab9-scheduler.md) this is
 * when each scheduler stub says TODO, once per boot, before the shell
 * starts: their first real calls come at any moment on any CPU, and the
 * line would land in the middle of a shell command's echo or output.
 * (choose_cpu says it at the first thread_create, also before the shell.)
 */
static void policy_first_calls(void)
{
	struct run_queue *rq = &queues[0];
	unsigned long flags = spin_lock_irqsave(&rq->lock);

	(void)pick_locked(rq, 0);
	(void)find_stealable(rq, 0);
	spin_unlock_irqrestore(&rq->lock, flags);
	(void)steal(0, 1, STEAL_QUEUE);
	(void)slice_tick(0, NULL);
}
