/*
 * sched_bench.c - `bench sched`: what handing the CPU from one thread to
 * another costs.
 *
 * Two threads on one CPU pass a token back and forth: each waits for the
 * token by yielding (thread_yield: the policy puts it at the back of its
 * level and picks the other, then switch.asm swaps the stacks), and passes
 * it by writing the other's number. One hand-over is one yield and one
 * context switch, plus the token check. The figure is the cycles of a run
 * of BENCH_HANDOVERS hand-overs divided by their number, the median of
 * BENCH_RUNS runs; in the deterministic mode (docs/benchmarks.md) it is an
 * instruction count. Both threads have the shell's priority, so nothing
 * else runs between them (the shell waits in thread_join); a timer tick
 * may add a preemption, counted in the switches shown. Both are pinned to
 * the shell's CPU, so with several CPUs they still hand over on one.
 *
 * The wake-up across CPUs: a thread pinned to CPU 1 blocks on a semaphore
 * (its CPU then idles, halted); a thread pinned to CPU 0 stamps the TSC
 * and ups the semaphore; the sleeper stamps the TSC when it runs. The
 * figure is the median difference over WAKE_ROUNDS rounds: the wake-up,
 * the reschedule IPI, CPU 1 leaving hlt and switching to the thread (TSCs
 * of QEMU's CPUs count together). Each round starts only when the sleeper
 * is off its CPU (on_cpu clear), so no wake-up finds it still running. On
 * one CPU it says "skipped: one CPU".
 *
 * Invariants:
 *   [x] every thread made here is joined before the body returns;
 *   [x] every wait is bounded (a second of ticks), so a lost wake-up shows
 *       as a message, never a hung shell.
 * Kernel only (real stacks). Shell context.
 */
#include "kernel/bench/bench.h"
#include "kernel/sched/sched.h"
#include "kernel/sched/schedule.h"
#include "kernel/sched/semaphore.h"
#include "kernel/sched/thread.h"
#include "kernel/timer.h"
#include "lib/printf.h"
#include "mm/arch.h"

#define BENCH_RUNS 5
#define BENCH_HANDOVERS 20000

struct token_game {
	volatile int token;        /* whose turn: 0 or 1 */
	volatile unsigned handovers;
	volatile bool done;        /* the last hand-over happened: both stop */
	uint64_t start, end;
};

struct player {
	struct token_game *game;
	int me;
};

static void play(void *arg)
{
	struct player *p = arg;
	struct token_game *g = p->game;

	for (;;) {
		while (g->token != p->me)
			thread_yield();
		if (g->done)
			return;
		if (g->handovers == 0)
			g->start = arch_cycles();
		if (g->handovers == BENCH_HANDOVERS) {
			g->end = arch_cycles();
			g->done = true;
			g->token = 1 - p->me; /* the other sees done and stops too */
			return;
		}
		g->handovers++;
		g->token = 1 - p->me;
	}
}

/* Cycles per hand-over of one run, 0 if a thread could not be made. */
static uint64_t one_run(uint64_t *switches)
{
	struct token_game game = {0};
	struct player players[2] = {{&game, 0}, {&game, 1}};
	struct thread *t[2];
	uint64_t switches_before = sched_switch_count();

	cpumask_t here = CPUMASK_CPU(arch_cpu_id());

	t[0] = thread_create_on(play, &players[0], "bench-ping", THREAD_PRIO(THREAD_PRIO_SHELL), here);
	t[1] = thread_create_on(play, &players[1], "bench-pong", THREAD_PRIO(THREAD_PRIO_SHELL), here);
	for (int i = 0; i < 2; i++) {
		if (t[i] && thread_join(t[i]) != 0)
			return 0;
	}
	if (!t[0] || !t[1])
		return 0;
	*switches = sched_switch_count() - switches_before;
	return (game.end - game.start) / BENCH_HANDOVERS;
}

/* ---- a wake-up across CPUs ------------------------------------------------ */

#define WAKE_ROUNDS 200
#define WAKE_WAIT_TICKS TIMER_HZ /* the most any step waits: a second */

struct wake_game {
	struct semaphore go;
	struct thread *sleeper;
	volatile uint64_t sent, got;  /* TSC at the up (CPU 0), at the sleeper's run (CPU 1) */
	volatile unsigned woken;      /* rounds the sleeper has seen */
	volatile bool stop;
	uint64_t samples[WAKE_ROUNDS];
	unsigned done;                /* rounds measured */
};

static void wake_sleeper(void *arg)
{
	struct wake_game *g = arg;

	for (;;) {
		semaphore_down(&g->go);
		if (g->stop)
			return;
		g->got = arch_cycles();
		g->woken++;
	}
}

/* Spin until *word == want, a second of ticks at most; returns whether it got there. */
static bool spin_until_equal(const volatile unsigned *word, unsigned want)
{
	uint64_t until = timer_ticks() + WAKE_WAIT_TICKS;

	while (*word != want) {
		if (timer_ticks() > until)
			return false;
		cpu_relax();
	}
	return true;
}

/* Spin until the sleeper is blocked and off its CPU, a second at most. */
static bool spin_until_parked(struct wake_game *g)
{
	uint64_t until = timer_ticks() + WAKE_WAIT_TICKS;

	while (wait_queue_count(&g->go.waiters) != 1 ||
	       __atomic_load_n(&g->sleeper->on_cpu, __ATOMIC_ACQUIRE)) {
		if (timer_ticks() > until)
			return false;
		cpu_relax();
	}
	return true;
}

static void wake_waker(void *arg)
{
	struct wake_game *g = arg;

	for (unsigned r = 0; r < WAKE_ROUNDS; r++) {
		if (!spin_until_parked(g))
			break;
		g->sent = arch_cycles();
		semaphore_up(&g->go);
		if (!spin_until_equal(&g->woken, r + 1))
			break;
		g->samples[g->done++] = g->got - g->sent;
	}
	g->stop = true;
	semaphore_up(&g->go); /* the sleeper sees stop and ends */
}

static void bench_cross_wake(void)
{
	static struct wake_game g;

	kprintf("wake-up across CPUs: a thread on CPU 1 blocked on a semaphore, woken from CPU 0\n");
	if (sched_cpus_online() < 2) {
		kprintf("  skipped: one CPU\n");
		return;
	}
	semaphore_init(&g.go, 0, "bench wake");
	g.sent = g.got = 0;
	g.woken = g.done = 0;
	g.stop = false;
	g.sleeper = thread_create_on(wake_sleeper, &g, "bench-sleeper", THREAD_PRIO(THREAD_PRIO_SHELL),
				     CPUMASK_CPU(1));
	struct thread *waker = g.sleeper ? thread_create_on(wake_waker, &g, "bench-waker",
							    THREAD_PRIO(THREAD_PRIO_SHELL),
							    CPUMASK_CPU(0)) : NULL;
	if (!waker) {
		if (g.sleeper) {
			g.stop = true;
			semaphore_up(&g.go);
			MUST_SUCCEED(thread_join(g.sleeper), "bench_cross_wake: joinable");
		}
		kprintf("  (a thread could not be created)\n");
		return;
	}
	MUST_SUCCEED(thread_join(waker), "bench_cross_wake: joinable");
	MUST_SUCCEED(thread_join(g.sleeper), "bench_cross_wake: joinable");
	if (g.done < WAKE_ROUNDS)
		kprintf("  only %u of %d rounds completed within a second each\n", g.done,
			WAKE_ROUNDS);
	if (g.done == 0)
		return;
	uint64_t least = g.samples[0];
	for (unsigned i = 1; i < g.done; i++)
		least = g.samples[i] < least ? g.samples[i] : least;
	kprintf("  cycles from semaphore_up to the woken thread running  median %8lu  least %8lu "
		"(%u rounds)\n", median_u64(g.samples, g.done), least, g.done);
}

static void bench_sched(void)
{
	uint64_t runs[BENCH_RUNS], switches[BENCH_RUNS];

	for (int r = 0; r < BENCH_RUNS; r++)
		runs[r] = one_run(&switches[r]);
	kprintf("thread hand-over by yield, two threads on one CPU (median of %d runs of %d)\n",
		BENCH_RUNS, BENCH_HANDOVERS);
	kprintf("  cycles per hand-over (yield + switch)  %8lu\n", median_u64(runs, BENCH_RUNS));
	kprintf("  context switches in the last run       %8lu\n", switches[BENCH_RUNS - 1]);
	if (median_u64(runs, BENCH_RUNS) == 0)
		kprintf("  (0: a thread could not be created)\n");
	bench_cross_wake();
}

BENCHMARK(sched, "threads: a token handed between two threads by yielding; a wake-up across CPUs",
	  bench_sched);
