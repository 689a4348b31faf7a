/*
 * heap_commands.c - shell commands for the kernel heap: slabinfo,
 * vmallocinfo, leaks, kmemtest, slabdebug and shrink.
 *
 * They read the slab and vmalloc allocators' state, except kmemtest (random
 * kmalloc/kfree/krealloc with content checks, everything freed at the end),
 * slabdebug (switches the debug checks) and shrink (gives empty slabs back
 * to the page allocator). Shell context.
 */
#include "kernel/shell/shell.h"
#include "lib/errno.h"
#include "lib/parse.h"
#include "lib/printf.h"
#include "lib/random.h"
#include "lib/string.h"
#include "mm/arch.h"
#include "mm/buddy.h"
#include "mm/kmalloc.h"
#include "mm/slab.h"
#include "mm/vmalloc.h"

static void print_cache(const struct slab_cache *c, void *arg)
{
	(void)arg;
	kprintf("%-18s %8zu %8lu %8lu %6u %6u %7lu\n", c->name, c->object_size,
		(uint64_t)c->active_objects, (uint64_t)c->total_objects, c->objects_per_slab,
		1u << c->order, (uint64_t)c->slabs);
}

static int cmd_slabinfo(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	kprintf("# name              objsize   active    total objper pages/  slabs\n");
	kprintf("#                                                slab   slab\n");
	slab_for_each_cache(print_cache, NULL);
	kprintf("slab memory: %lu KiB\n", slab_total_bytes() >> 10);
	return 0;
}

SHELL_COMMAND(slabinfo, SHELL_ARGS(0, 0),
	      "every slab cache: object size, objects, slabs (/proc/slabinfo)",
	      "usage: slabinfo\n"
	      "  One line per cache, with Linux's /proc/slabinfo columns: name, object\n"
	      "  size, active objects, total objects, objects per slab, pages per slab,\n"
	      "  slabs. Watch kmalloc-N caches fill with `alloc N` and drain with `free`.\n",
	      cmd_slabinfo);

static void print_area(const struct vmalloc_area *a, void *arg)
{
	char caller[64];

	(*(unsigned *)arg)++;
	arch_symbolize((uint64_t)(uintptr_t)a->caller, caller, sizeof(caller));
	kprintf("0x%016lx-0x%016lx %10lu pages=%lu guard=0x%lx %s\n", a->start,
		a->start + a->size - 1, a->size, a->pages, a->start + a->size, caller);
}

static int cmd_vmallocinfo(int argc, char **argv)
{
	unsigned n = 0;

	(void)argc;
	(void)argv;
	vmalloc_for_each_area(print_area, &n);
	kprintf("%u area(s), %lu KiB mapped\n", n, vmalloc_used_bytes() >> 10);
	return 0;
}

SHELL_COMMAND(vmallocinfo, SHELL_ARGS(0, 0),
	      "vmalloc areas with size and caller (/proc/vmallocinfo)",
	      "usage: vmallocinfo\n"
	      "  One line per vmalloc area: its virtual range, size, pages, the guard\n"
	      "  page right after it (never mapped), and the function that allocated it.\n",
	      cmd_vmallocinfo);

static int cmd_leaks(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (!slab_debug_enabled())
		kprintf("leaks: allocation tracking is off; turn it on with `slabdebug on` (or boot "
			"with slab_debug) and allocate again\n");
	slab_report_leaks();
	return 0;
}

SHELL_COMMAND(leaks, SHELL_ARGS(0, 0),
	      "live heap allocations grouped by the function that made them",
	      "usage: leaks\n"
	      "  With slab debugging on, every live kmalloc/slab object remembers its\n"
	      "  caller; this prints them grouped by caller with counts and bytes.\n",
	      cmd_leaks);

static int cmd_slabdebug(int argc, char **argv)
{
	if (argc == 2 && (strcmp(argv[1], "on") == 0 || strcmp(argv[1], "off") == 0)) {
		int err = slab_set_debug(strcmp(argv[1], "on") == 0);
		if (err) {
			kprintf("slabdebug: caches with live objects keep their mode until they are "
				"empty (%s)\n", errno_name(err));
		}
	} else if (argc == 2) {
		kprintf("slabdebug: '%s' is neither on nor off\n", argv[1]);
		shell_print_usage(shell_find("slabdebug"));
		return -EINVAL;
	}
	kprintf("slab debugging (red zones, poisoning, caller tracking) is %s\n",
		slab_debug_enabled() ? "on" : "off");
	return 0;
}

SHELL_COMMAND(slabdebug, SHELL_ARGS(0, 1), "switch the heap's debug checks",
	      "usage: slabdebug [on|off]\n"
	      "  Red zones around objects (checked on free), poisoning of freed objects\n"
	      "  (checked when handed out again), and caller tracking for `leaks`.\n"
	      "  Booting with slab_debug on the kernel command line turns it on.\n"
	      "examples:\n"
	      "  slabdebug on   objects allocated from now on are checked\n"
	      "  leaks          their callers\n"
	      "  slabdebug off\n",
	      cmd_slabdebug);

static int cmd_shrink(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	uint64_t pages = slab_shrink();
	kprintf("shrink: gave %lu empty slab page(s) back to the page allocator\n", pages);
	return 0;
}

SHELL_COMMAND(shrink, SHELL_ARGS(0, 0), "give empty slabs back to the page allocator",
	      "usage: shrink\n"
	      "  Frees every empty slab of every cache (the page allocator also does\n"
	      "  this by itself when a zone falls below its low watermark).\n",
	      cmd_shrink);

/* ------------------------------------------------------------------------ */

#define KMEMTEST_SLOTS 256
#define KMEMTEST_MAX_SIZE 16384
#define KMEMTEST_MAX_OPS 100000000u

struct kmemtest_slot {
	uint8_t *p;
	size_t size;
	uint8_t fill;
};

static struct kmemtest_slot kmemtest_slots[KMEMTEST_SLOTS];

static bool kmemtest_check(const struct kmemtest_slot *s)
{
	for (size_t i = 0; i < s->size; i++)
		if (s->p[i] != s->fill)
			return false;
	return true;
}

static int cmd_kmemtest(int argc, char **argv)
{
	uint64_t ops = 10000, state = 0x5eed;
	uint64_t allocs = 0, frees = 0, reallocs = 0, failures = 0, corrupt = 0;

	int err = argc == 2 ? parse_u64_range(argv[1], 1, KMEMTEST_MAX_OPS, &ops) : 0;

	if (err) {
		kprintf("kmemtest: bad N '%s': %s (1 to %u)\n", argv[1], parse_error_text(err),
			KMEMTEST_MAX_OPS);
		return err;
	}
	uint64_t free_before = buddy_free_pages();
	for (uint64_t n = 0; n < ops; n++) {
		struct kmemtest_slot *s = &kmemtest_slots[random_below(&state, KMEMTEST_SLOTS)];
		unsigned what = (unsigned)random_below(&state, 3);
		size_t size = 1 + random_below(&state, random_below(&state, 8) ? 512
									       : KMEMTEST_MAX_SIZE);
		if (s->p && !kmemtest_check(s))
			corrupt++;
		if (!s->p || what == 0) {
			if (s->p) {
				kfree(s->p);
				frees++;
			}
			s->p = kmalloc(size, 0);
			allocs++;
		} else if (what == 1) {
			uint8_t *q = krealloc(s->p, size, 0);
			reallocs++;
			if (!q) {
				failures++;
				continue; /* the old block is still valid */
			}
			/* krealloc kept the first min(old, new) bytes. */
			size_t keep = size < s->size ? size : s->size;
			for (size_t i = 0; i < keep; i++)
				if (q[i] != s->fill)
					corrupt++;
			s->p = q;
		} else {
			kfree(s->p);
			frees++;
			s->p = NULL;
			continue;
		}
		if (!s->p) {
			failures++;
			continue;
		}
		s->size = size;
		s->fill = (uint8_t)random_next(&state);
		memset(s->p, s->fill, size);
	}
	for (size_t i = 0; i < KMEMTEST_SLOTS; i++) {
		struct kmemtest_slot *s = &kmemtest_slots[i];
		if (s->p && !kmemtest_check(s))
			corrupt++;
		kfree(s->p);
		s->p = NULL;
	}
	slab_shrink();
	kprintf("kmemtest: %lu operations: %lu kmalloc, %lu krealloc, %lu kfree; %lu out of "
		"memory; %lu corrupted bytes or objects\n", ops, allocs, reallocs, frees, failures,
		corrupt);
	kprintf("kmemtest: free pages %lu before, %lu after shrink\n", free_before,
		buddy_free_pages());
	kprintf("kmemtest: %s\n", corrupt == 0 ? "PASSED" : "FAILED");
	return corrupt == 0 ? 0 : -EIO;
}

SHELL_COMMAND(kmemtest, SHELL_ARGS(0, 1), "random kmalloc/kfree/krealloc with content checks",
	      "usage: kmemtest [N]\n"
	      "  N (default 10000) random operations over 256 slots: kmalloc of 1 byte\n"
	      "  to 16 KiB, krealloc (contents must survive), kfree. Every block is\n"
	      "  filled with its own byte and checked before it is touched again. At\n"
	      "  the end everything is freed and a summary printed.\n"
	      "examples:\n"
	      "  kmemtest         10000 operations\n"
	      "  kmemtest 100000  ten times more\n",
	      cmd_kmemtest);
