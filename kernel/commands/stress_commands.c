/*
 * stress_commands.c - `stress`: every CPU hammers the memory manager at
 * once, in the background, while the shell keeps answering.
 *
 * One worker thread per online CPU, pinned there, loops until its time is
 * up: it takes and frees single pages and small page blocks, kmalloc
 * objects of mixed sizes, and maps and unmaps pages of one shared kernel
 * window (STRESS_WINDOW_START), so that every unmap is a TLB shootdown to
 * all the other CPUs. Each worker writes a pattern into what it holds and
 * checks it before letting go: a page handed to two CPUs at once shows up
 * as a "corrupted" count. `stress` without arguments reports progress;
 * once every worker has ended it joins them, drains every CPU's page lists
 * and magazines, and compares free pages with the figure taken at the
 * start (the integration test compares `meminfo` and `buddyinfo` too).
 *
 * Invariants:
 *   [x] worker i touches only the window pages i, i + n, i + 2n, ... (n
 *       workers), so no two workers ever map the same page;
 *   [x] a worker frees everything it took before it ends.
 * Calling context: the shell thread (interrupts on).
 */
#include "kernel/sched/schedule.h"
#include "kernel/sched/thread.h"
#include "kernel/shell/shell.h"
#include "kernel/smp/smp.h"
#include "kernel/timer.h"
#include "lib/errno.h"
#include "lib/parse.h"
#include "lib/printf.h"
#include "lib/random.h"
#include "lib/string.h"
#include "mm/buddy.h"
#include "mm/kernel_space.h"
#include "mm/kmalloc.h"
#include "mm/layout.h"
#include "mm/page.h"
#include "mm/paging.h"
#include "mm/slab.h"

#define STRESS_SECONDS_MAX 600 /* `stress` runs at most ten minutes */
#define STRESS_HELD_MAX 16     /* objects a worker holds at once, per kind */
#define STRESS_WINDOW_PAGES (STRESS_WINDOW_SIZE / PAGE_SIZE)

struct stress_worker {
	struct thread *thread;
	unsigned cpu, index, workers;
	uint64_t end_tick;
	uint64_t rounds, pages, objects, maps; /* operations done */
	uint64_t failures;                    /* allocations refused (low memory) */
	uint64_t corrupted;                   /* a pattern that changed under us */
	uint64_t ran_on_other_cpu;            /* rounds seen on a CPU not pinned to */
};

static struct {
	bool started, joined;
	unsigned workers;
	uint64_t free_at_start, seconds;
	struct stress_worker w[SMP_MAX_CPUS];
} stress;

static inline uint64_t pattern_of(const struct stress_worker *w, uint64_t round)
{
	return ((uint64_t)w->index << 48) ^ (round * 0x9e3779b97f4a7c15ull);
}

/* Single pages and order-2 blocks: take, fill, check, free. */
static void stress_pages(struct stress_worker *w, uint64_t *rng)
{
	struct page *held[STRESS_HELD_MAX];
	unsigned orders[STRESS_HELD_MAX];
	unsigned n = 1 + random_below(rng, STRESS_HELD_MAX);
	uint64_t pattern = pattern_of(w, w->rounds);

	for (unsigned i = 0; i < n; i++) {
		orders[i] = random_below(rng, 4) == 0 ? 2 : 0;
		held[i] = alloc_pages(0, orders[i]);
		if (!held[i]) {
			w->failures++;
			continue;
		}
		uint64_t *words = page_address(held[i]);
		words[0] = pattern + i;
		words[(PAGE_SIZE << orders[i]) / 8 - 1] = pattern + i;
		w->pages++;
	}
	for (unsigned i = 0; i < n; i++) {
		if (!held[i])
			continue;
		const uint64_t *words = page_address(held[i]);
		if (words[0] != pattern + i || words[(PAGE_SIZE << orders[i]) / 8 - 1] != pattern + i)
			w->corrupted++;
		MUST_SUCCEED(free_pages(held[i], orders[i]), "stress_pages: freeing a block it took");
	}
}

/* kmalloc objects of 8 B .. 2 KiB. */
static void stress_objects(struct stress_worker *w, uint64_t *rng)
{
	uint64_t *held[STRESS_HELD_MAX];
	unsigned n = 1 + random_below(rng, STRESS_HELD_MAX);
	uint64_t pattern = pattern_of(w, w->rounds) ^ 0x5555;

	for (unsigned i = 0; i < n; i++) {
		size_t size = (size_t)8 << random_below(rng, 9);
		held[i] = kmalloc(size, 0);
		if (!held[i]) {
			w->failures++;
			continue;
		}
		held[i][0] = pattern + i;
		w->objects++;
	}
	for (unsigned i = 0; i < n; i++) {
		if (!held[i])
			continue;
		if (held[i][0] != pattern + i)
			w->corrupted++;
		kfree(held[i]);
	}
}

/* Map a fresh frame at one of this worker's window pages, use it, unmap it. */
static void stress_mapping(struct stress_worker *w, uint64_t *rng)
{
	uint64_t slots = (STRESS_WINDOW_PAGES - w->index + w->workers - 1) / w->workers;
	uint64_t slot = w->index + w->workers * random_below(rng, slots);
	virt_addr_t va = STRESS_WINDOW_START + slot * PAGE_SIZE;
	struct page *frame = alloc_page(0);

	if (!frame) {
		w->failures++;
		return;
	}
	if (paging_map(&kernel_space, va, page_to_phys(frame), PAGE_SIZE, MAP_WRITE) != 0) {
		w->failures++;
	} else {
		volatile uint64_t *word = (volatile uint64_t *)va;
		*word = pattern_of(w, w->rounds);
		if (*(const uint64_t *)page_address(frame) != pattern_of(w, w->rounds))
			w->corrupted++;
		MUST_SUCCEED(paging_unmap(&kernel_space, va, PAGE_SIZE),
			     "stress_mapping: unmapping a page it mapped");
		w->maps++;
	}
	MUST_SUCCEED(free_page(frame), "stress_mapping: freeing its frame");
}

static void stress_worker_main(void *arg)
{
	struct stress_worker *w = arg;
	uint64_t rng = 0x5eed + w->index;

	while (timer_ticks() < w->end_tick && !thread_should_stop()) {
		stress_pages(w, &rng);
		stress_objects(w, &rng);
		stress_mapping(w, &rng);
		if (arch_cpu_id() != w->cpu)
			w->ran_on_other_cpu++;
		w->rounds++;
		if ((w->rounds & 15) == 0)
			thread_yield();
	}
}

/* Free pages once everything every CPU keeps aside is back with the page allocator. */
static uint64_t stress_free_pages_drained(void)
{
	slab_shrink();     /* every CPU's magazines, then the empty slabs */
	buddy_drain_pcp(); /* every CPU's page lists */
	return buddy_free_pages();
}

static int stress_start(uint64_t seconds)
{
	if (stress.started && !stress.joined) {
		kprintf("stress: already running; `stress` shows how far it is\n");
		return -EBUSY;
	}
	memset(&stress, 0, sizeof(stress));
	stress.seconds = seconds;
	stress.workers = smp_cpus_online();
	stress.free_at_start = stress_free_pages_drained();
	uint64_t end = timer_ticks() + seconds * TIMER_HZ;
	for (unsigned i = 0; i < stress.workers; i++) {
		struct stress_worker *w = &stress.w[i];
		char name[THREAD_NAME_MAX];
		w->cpu = i;
		w->index = i;
		w->workers = stress.workers;
		w->end_tick = end;
		ksnprintf(name, sizeof(name), "stress/%u", i);
		/* Pinned from creation: pinned after, its first round could run elsewhere. */
		w->thread = thread_create_on(stress_worker_main, w, name, 0, CPUMASK_CPU(i));
		if (!w->thread)
			kprintf("stress: no memory for worker %u; the others run\n", i);
	}
	stress.started = true;
	kprintf("stress: %u workers (one per CPU) for %lu s; `stress` reports\n", stress.workers,
		seconds);
	return 0;
}

static bool stress_running(void)
{
	for (unsigned i = 0; i < stress.workers; i++)
		if (stress.w[i].thread && stress.w[i].thread->state != THREAD_DEAD)
			return true;
	return false;
}

static int stress_report(void)
{
	uint64_t corrupted = 0, wandered = 0;

	if (!stress.started) {
		kprintf("stress: not started; `stress SECONDS` starts it\n");
		return 0;
	}
	bool running = stress_running();
	kprintf("stress: %s (%lu s, %u workers)\n", running ? "running" : "finished", stress.seconds,
		stress.workers);
	kprintf("  cpu    rounds     pages   objects      maps  failures  corrupted\n");
	for (unsigned i = 0; i < stress.workers; i++) {
		const struct stress_worker *w = &stress.w[i];
		kprintf("  %3u %9lu %9lu %9lu %9lu %9lu %10lu\n", w->cpu, w->rounds, w->pages,
			w->objects, w->maps, w->failures, w->corrupted);
		corrupted += w->corrupted;
		wandered += w->ran_on_other_cpu;
	}
	if (running)
		return 0;
	if (!stress.joined) {
		for (unsigned i = 0; i < stress.workers; i++)
			if (stress.w[i].thread)
				MUST_SUCCEED(thread_join(stress.w[i].thread),
					     "stress_report: joining a finished worker");
		stress.joined = true;
	}
	uint64_t free_now = stress_free_pages_drained();
	kprintf("  free pages: %lu at the start, %lu now: %s\n", stress.free_at_start, free_now,
		free_now == stress.free_at_start ? "back at the start" : "DIFFERENT");
	kprintf("  corrupted: %lu; rounds run off their CPU: %lu\n", corrupted, wandered);
	return corrupted || wandered ? -EIO : 0;
}

static int cmd_stress(int argc, char **argv)
{
	uint64_t seconds;

	if (argc == 1)
		return stress_report();
	if (parse_u64_range(argv[1], 1, STRESS_SECONDS_MAX, &seconds) != 0) {
		kprintf("stress: SECONDS must be 1 .. %u, not '%s'\n", STRESS_SECONDS_MAX, argv[1]);
		return -EINVAL;
	}
	return stress_start(seconds);
}

SHELL_COMMAND(stress, SHELL_ARGS(0, 1), "every CPU allocates, frees, maps and unmaps at once",
	      "usage: stress [SECONDS]\n"
	      "  With SECONDS, starts one worker thread per online CPU, pinned there,\n"
	      "  for that long (1 .. 600) and returns at once: the shell keeps\n"
	      "  answering. Each worker takes and frees pages and kmalloc objects and\n"
	      "  maps and unmaps pages of a shared kernel window (each unmap is a TLB\n"
	      "  shootdown to the other CPUs), checking a pattern in all it holds.\n"
	      "  Without SECONDS, shows each worker's counts; once all have ended,\n"
	      "  joins them and compares free pages with the start (after draining\n"
	      "  every CPU's page lists and magazines).\n"
	      "examples:\n"
	      "  stress 2   [disturbs] two seconds of load on every CPU\n"
	      "  stress     how far it is, and the check once it is over\n",
	      cmd_stress);
