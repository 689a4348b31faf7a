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
 * may add a preemption, counted in the switches shown. Kernel only (real
 * stacks). Shell context.
 */
#include "kernel/bench/bench.h"
#include "kernel/sched/schedule.h"
#include "kernel/sched/thread.h"
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

	t[0] = thread_create(play, &players[0], "bench-ping", THREAD_PRIO(THREAD_PRIO_SHELL));
	t[1] = thread_create(play, &players[1], "bench-pong", THREAD_PRIO(THREAD_PRIO_SHELL));
	for (int i = 0; i < 2; i++) {
		if (t[i] && thread_join(t[i]) != 0)
			return 0;
	}
	if (!t[0] || !t[1])
		return 0;
	*switches = sched_switch_count() - switches_before;
	return (game.end - game.start) / BENCH_HANDOVERS;
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
}

BENCHMARK(sched, "threads: a token handed between two threads by yielding, cycles per hand-over",
	  bench_sched);
