/*
 * thread_commands.c - the threads commands: `threads` (every thread and
 * its accounting), `sleep MS`, `spawn` (demo threads a student can watch,
 * two of them dying of a fault or a stack overflow)
 * (`kill -t TID` stops one: kernel/commands/proc_commands.c).
 *
 * The demos are detached threads of the default priority, below the
 * shell's: the shell answers while they run. A new thread goes to the
 * least loaded CPU it allows (sched.h), so the demos spread over every
 * online CPU; spawn says where each one was queued. Each checks
 * thread_should_stop() at least once per round, so `kill` (or Ctrl-C at
 * the prompt, which asks all of them) ends it within a round; a dead demo's stack is freed by the next thread_create or
 * `threads` (thread_reap).
 *
 * Invariants:
 *   [x] `threads` copies the list with interrupts off, then prints: the
 *       figures of one line belong to one moment;
 *   [x] only detached (demo) threads can be killed.
 * Calling context: the shell thread (interrupts on).
 */
#include "kernel/sched/mutex.h"
#include "kernel/sched/sched.h"
#include "kernel/sched/schedule.h"
#include "kernel/sched/semaphore.h"
#include "kernel/sched/thread.h"
#include "kernel/shell/shell.h"
#include "kernel/stack.h"
#include "kernel/timer.h"
#include "lib/errno.h"
#include "lib/parse.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/arch.h"

#define THREADS_ROWS 64       /* lines `threads` shows at most */
#define SPAWN_MAX 100         /* demo threads one spawn may start */
#define SLEEP_MS_MAX 60000    /* `sleep` at most a minute */

/* ---- threads ------------------------------------------------------------- */

struct thread_row {
	uint64_t id, run_us, switches;
	char name[THREAD_NAME_MAX];
	const char *state;
	unsigned cpu;
	int priority;
	size_t stack_used, stack_size;
};

struct thread_rows {
	struct thread_row rows[THREADS_ROWS];
	size_t n, total;
	uint64_t now;
};

static void thread_row_add(const struct thread *t, void *arg)
{
	struct thread_rows *r = arg;

	r->total++;
	if (r->n == THREADS_ROWS)
		return;
	struct thread_row *row = &r->rows[r->n++];
	uint64_t cycles = t->run_cycles;
	if (t->state == THREAD_RUNNING)
		cycles += r->now - t->last_switch_in;
	row->id = t->id;
	row->run_us = timer_tsc_to_us(cycles);
	row->switches = t->switches;
	strlcpy(row->name, t->name, sizeof(row->name));
	row->state = thread_state_name(t->state);
	row->cpu = t->cpu;
	row->priority = t->priority;
	row->stack_used = thread_stack_high_water(t);
	row->stack_size = t->stack ? (size_t)(t->stack->top - t->stack->bottom) : 0;
}

static int cmd_threads(int argc __unused, char **argv __unused)
{
	static struct thread_rows r;

	thread_reap();
	unsigned long flags = arch_irq_save();
	r.n = r.total = 0;
	r.now = rdtsc();
	thread_for_each(thread_row_add, &r);
	arch_irq_restore(flags);
	kprintf("%4s %-16s %-8s %3s %4s %10s %9s %13s\n", "TID", "NAME", "STATE", "CPU", "PRIO",
		"RUN(ms)", "SWITCHES", "STACK(used)");
	for (size_t i = 0; i < r.n; i++) {
		const struct thread_row *row = &r.rows[i];
		char prio[8];
		if (row->priority < 0)
			strlcpy(prio, "idle", sizeof(prio));
		else
			ksnprintf(prio, sizeof(prio), "%d", row->priority);
		kprintf("%4lu %-16s %-8s %3u %4s %6lu.%03lu %9lu %6zu/%zuK\n", row->id, row->name,
			row->state, row->cpu, prio, row->run_us / 1000, row->run_us % 1000,
			row->switches, row->stack_used, row->stack_size >> 10);
	}
	if (r.total > r.n)
		kprintf("(%zu more not shown)\n", r.total - r.n);
	kprintf("%zu threads; %lu context switches, %lu of them preemptions\n", r.total,
		sched_switch_count(), sched_preemption_count());
	kprintf("%u CPU%s online; ready per CPU:", sched_cpus_online(),
		sched_cpus_online() == 1 ? "" : "s");
	for (unsigned cpu = 0; cpu < SCHED_MAX_CPUS; cpu++) {
		if (sched_cpu_is_online(cpu))
			kprintf(" %u:%u", cpu, sched_ready_count(cpu));
	}
	kprintf("\n");
	return 0;
}

SHELL_COMMAND(threads, SHELL_ARGS(0, 0), "list the threads: state, CPU, priority, run time",
	      "usage: threads\n"
	      "  One line per thread: its id (TID), name, state (running, ready,\n"
	      "  blocked, sleeping, dead), the CPU it runs or last ran on (each\n"
	      "  CPU runs its own queue; an idle one steals from the busiest), its\n"
	      "  priority (0-7, higher runs first; the idle thread is below all),\n"
	      "  the time it has run, how often it was switched in, and the deepest\n"
	      "  use of its kernel stack (bytes) out of the stack's size. Then the\n"
	      "  context switches of all CPUs, how many were preemptions by the\n"
	      "  timer, and the threads ready on each online CPU's queue.\n"
	      "examples:\n"
	      "  threads\n",
	      cmd_threads);

/* ---- sleep ----------------------------------------------------------------- */

static int cmd_sleep(int argc __unused, char **argv)
{
	uint64_t ms;
	int err = parse_u64_range(argv[1], 0, SLEEP_MS_MAX, &ms);

	if (err) {
		kprintf("sleep: bad time '%s': %s (0 to %u milliseconds)\n", argv[1],
			parse_error_text(err), SLEEP_MS_MAX);
		return err;
	}
	uint64_t before = timer_ticks();
	thread_sleep_ms(ms);
	kprintf("slept %lu ms: %lu ticks of %u ms\n", ms, timer_ticks() - before, 1000 / TIMER_HZ);
	return 0;
}

SHELL_COMMAND(sleep, SHELL_ARGS(1, 1), "put the shell's thread to sleep for MS milliseconds",
	      "usage: sleep MS\n"
	      "  The shell's thread sleeps at least MS milliseconds (0 to 60000),\n"
	      "  rounded up to whole timer ticks; other threads run meanwhile. Then\n"
	      "  it says how many ticks went by (at least the rounded count).\n"
	      "examples:\n"
	      "  sleep 100      ten ticks at 100 Hz\n"
	      "  sleep 0        just a yield\n"
	      "  sleep soon     [refused] not a number\n",
	      cmd_sleep);

/* ---- spawn: demo threads ----------------------------------------------------- */

/* workers: compute, print, sleep, five rounds. */
static void demo_worker(void *arg)
{
	unsigned n = (unsigned)(uintptr_t)arg;

	for (unsigned round = 1; round <= 5 && !thread_should_stop(); round++) {
		uint64_t sum = 0;
		for (uint64_t i = 0; i < 200000ull * n; i++)
			sum += i ^ (i >> 3);
		kprintf("[%s] round %u: sum %lu\n", thread_current()->name, round, sum);
		thread_sleep_ms(200 * n);
	}
}

/* mutex: each holds the shared mutex for a while, printing who has it. */
static struct mutex demo_lock = MUTEX_INIT(demo_lock, "demo");

static void demo_contender(void *arg __unused)
{
	for (unsigned round = 1; round <= 3 && !thread_should_stop(); round++) {
		mutex_lock(&demo_lock);
		kprintf("[%s] holds the mutex (round %u, %lu waits so far)\n",
			thread_current()->name, round, demo_lock.contended);
		thread_sleep_ms(100); /* sleep holding it: the others block */
		mutex_unlock(&demo_lock);
	}
}

/* pingpong: two threads alternate through two semaphores. */
static struct semaphore demo_ping, demo_pong;

static void demo_pinger(void *arg)
{
	bool ping = arg != NULL;

	for (unsigned round = 1; round <= 5 && !thread_should_stop(); round++) {
		semaphore_down(ping ? &demo_ping : &demo_pong);
		kprintf("[%s] %s %u\n", thread_current()->name, ping ? "ping" : "pong", round);
		thread_sleep_ms(50);
		semaphore_up(ping ? &demo_pong : &demo_ping);
	}
}

/* fault: take the demo mutex, then read address 0: the fault kills the thread alone. */
static struct mutex demo_fault_lock = MUTEX_INIT(demo_fault_lock, "demo fault");

static void demo_faulter(void *arg __unused)
{
	mutex_lock(&demo_fault_lock);
	(void)*(volatile uint64_t *)0; /* #PF: NULL is never mapped */
	mutex_unlock(&demo_fault_lock); /* not reached */
}

/* overflow: take a mutex, then recurse into the guard page below the thread's stack. */
static struct mutex demo_overflow_lock = MUTEX_INIT(demo_overflow_lock, "demo overflow");

static void demo_overflower(void *arg __unused)
{
	mutex_lock(&demo_overflow_lock);
	kernel_stack_overflow(); /* #DF: the thread dies in there, holding the mutex */
	mutex_unlock(&demo_overflow_lock); /* not reached */
}

/* spin: compute without printing until killed (the shell answers meanwhile). */
static void demo_spinner(void *arg __unused)
{
	volatile uint64_t x = 0;

	while (!thread_should_stop())
		x++;
}

static int spawn_one(void (*fn)(void *), void *arg, const char *name)
{
	thread_reap(); /* dead demos free their stacks before new ones take some */
	struct thread *t = thread_create(fn, arg, name, THREAD_DETACHED);
	unsigned cpu = t ? t->cpu : 0; /* where it was queued (or runs, or was stolen to) */

	if (!t) {
		kprintf("spawn: out of memory for thread '%s'\n", name);
		return -ENOMEM;
	}
	/* t stays valid: only the shell reaps dead demos (spawn_one, `threads`). */
	kprintf("spawn: thread %lu (%s) on CPU %u\n", t->id, name, cpu);
	return 0;
}

/* Ctrl-C at the prompt: stop every demo. */
static void spawn_cancel(void)
{
	size_t n = thread_kill_detached();

	if (n)
		kprintf("Ctrl-C: asked %zu demo thread%s to stop\n", n, n == 1 ? "" : "s");
}

static int cmd_spawn(int argc, char **argv)
{
	char name[THREAD_NAME_MAX];
	uint64_t n = 3;
	int err = 0;

	shell_set_cancel_handler(spawn_cancel);
	if (argc == 3) {
		err = parse_u64_range(argv[2], 1, SPAWN_MAX, &n);
		if (err) {
			kprintf("spawn: bad count '%s': %s (1 to %d threads)\n", argv[2],
				parse_error_text(err), SPAWN_MAX);
			return err;
		}
	}
	if (strcmp(argv[1], "workers") == 0) {
		for (uint64_t i = 0; i < n && !err; i++) {
			ksnprintf(name, sizeof(name), "worker-%lu", i + 1);
			err = spawn_one(demo_worker, (void *)(uintptr_t)(i + 1), name);
		}
	} else if (strcmp(argv[1], "mutex") == 0) {
		for (uint64_t i = 0; i < n && !err; i++) {
			ksnprintf(name, sizeof(name), "contender-%lu", i + 1);
			err = spawn_one(demo_contender, NULL, name);
		}
	} else if (strcmp(argv[1], "fault") == 0) {
		for (uint64_t i = 0; i < n && !err; i++)
			err = spawn_one(demo_faulter, NULL, "fault");
	} else if (strcmp(argv[1], "overflow") == 0) {
		for (uint64_t i = 0; i < n && !err; i++)
			err = spawn_one(demo_overflower, NULL, "overflow");
	} else if (strcmp(argv[1], "pingpong") == 0) {
		if (argc == 3) {
			kprintf("spawn: refused: pingpong always starts two threads (no count)\n");
			return -EINVAL;
		}
		semaphore_init(&demo_ping, 1, "demo ping");
		semaphore_init(&demo_pong, 0, "demo pong");
		err = spawn_one(demo_pinger, (void *)1, "ping");
		if (!err)
			err = spawn_one(demo_pinger, NULL, "pong");
	} else if (strcmp(argv[1], "spin") == 0) {
		for (uint64_t i = 0; i < n && !err; i++)
			err = spawn_one(demo_spinner, NULL, "spin");
	} else {
		kprintf("spawn: demo '%s' not found (the demos: workers, mutex, pingpong, spin, "
			"fault, overflow)\n", argv[1]);
		return -EINVAL;
	}
	return err;
}

SHELL_COMMAND(spawn, SHELL_ARGS(1, 2), "start demo threads that run beside the shell",
	      "usage: spawn DEMO [N]\n"
	      "  Starts demo threads (priority 3, below the shell's 5, so the shell\n"
	      "  keeps answering) and prints their ids; watch them with `threads`,\n"
	      "  stop one with `kill -t TID`, all of them with Ctrl-C at the prompt.\n"
	      "  N is 1 to 100 threads (default 3). Each new thread goes to the\n"
	      "  least loaded online CPU (idle ones first), so the demos spread\n"
	      "  over every CPU; spawn prints the CPU each was queued on, and\n"
	      "  idle CPUs steal waiting threads from the busiest one later.\n"
	      "  workers   each computes, prints its round, sleeps; 5 rounds\n"
	      "  mutex     each holds one shared mutex for 100 ms, 3 times: the\n"
	      "            others block on it (see `threads`)\n"
	      "  pingpong  two threads, ping and pong, alternate through two\n"
	      "            semaphores, 5 rounds (no N)\n"
	      "  spin      computes silently until killed\n"
	      "  fault     each takes a shared mutex and reads address 0: the fault\n"
	      "            report, then the thread alone is killed and its mutex\n"
	      "            goes to the next; the shell and the kernel go on\n"
	      "  overflow  each takes a shared mutex and recurses until its stack's\n"
	      "            guard page stops it: the overflow report (a #DF), then\n"
	      "            the thread alone is killed, as for `fault`\n"
	      "examples:\n"
	      "  spawn spin 1      a thread that runs until killed\n"
	      "  spawn juggle      [refused] no such demo\n"
	      "  spawn fault 2     [disturbs] two fault reports, two threads killed\n"
	      "  spawn overflow 1  [disturbs] a stack overflow report, the thread killed\n"
	      "  spawn spin 101    [refused] too many threads\n",
	      cmd_spawn);
