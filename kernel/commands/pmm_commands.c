/*
 * pmm_commands.c - shell commands that show and exercise the page allocator:
 * buddyinfo, zoneinfo, fragmentation, exhaust and pagepoison.
 *
 * They only read the allocator's state, except `exhaust`, which allocates
 * every free page and gives them all back, and `pagepoison`, which switches
 * free-page poisoning. They read the allocator through its snapshots
 * (buddy_zone_snapshot: each zone copied with interrupts off, so its counts
 * agree), never through zones[]. Shell context (interrupts on).
 */
#include "kernel/shell/shell.h"
#include "lib/errno.h"
#include "lib/panic.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/buddy.h"

/* Every zone's state (mm/buddy.h's snapshots), one zone at a time. */
struct buddy_snapshot {
	struct zone_snapshot zone[ZONE_COUNT];
};

static void buddy_snapshot_take(struct buddy_snapshot *s)
{
	for (int z = 0; z < ZONE_COUNT; z++)
		buddy_zone_snapshot(z, &s->zone[z]);
}

/* Did the free lists change between two snapshots? */
static bool buddy_snapshot_same_lists(const struct buddy_snapshot *a,
				      const struct buddy_snapshot *b)
{
	for (int z = 0; z < ZONE_COUNT; z++)
		if (memcmp(a->zone[z].free_blocks, b->zone[z].free_blocks,
			   sizeof(a->zone[z].free_blocks)) != 0)
			return false;
	return true;
}

static void buddy_snapshot_print(const struct buddy_snapshot *s)
{
	for (int z = 0; z < ZONE_COUNT; z++) {
		const struct zone_snapshot *zs = &s->zone[z];
		if (zs->managed_pages == 0)
			continue;
		kprintf("Node 0, zone %8s", zs->name);
		for (int o = 0; o <= MAX_ORDER; o++)
			kprintf(" %6zu", zs->free_blocks[o]);
		kprintf("\n");
	}
}

static int cmd_buddyinfo(int argc, char **argv)
{
	struct buddy_snapshot s;

	(void)argc;
	(void)argv;
	buddy_snapshot_take(&s);
	buddy_snapshot_print(&s);
	return 0;
}

SHELL_COMMAND(buddyinfo, SHELL_ARGS(0, 0), "free blocks per order per zone (/proc/buddyinfo)",
	      "usage: buddyinfo\n"
	      "  One line per zone, as Linux's /proc/buddyinfo: the number of free\n"
	      "  blocks of order 0, 1, ..., 10 (4 KiB, 8 KiB, ..., 4 MiB) on the zone's\n"
	      "  buddy free lists. Pages on the per-CPU lists are not counted here\n"
	      "  (see zoneinfo). Many high-order blocks = little fragmentation.\n",
	      cmd_buddyinfo);

static int cmd_zoneinfo(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	for (int z = 0; z < ZONE_COUNT; z++) {
		struct zone_snapshot copy;
		buddy_zone_snapshot(z, &copy);

		kprintf("Node 0, zone %8s\n", copy.name);
		if (copy.managed_pages == 0) {
			kprintf("  (empty: no RAM in this range)\n");
			continue;
		}
		kprintf("  range      pfn 0x%lx-0x%lx [mem 0x%016lx-0x%016lx]\n", copy.start_pfn,
			copy.end_pfn - 1, copy.start_pfn << PAGE_SHIFT,
			(copy.end_pfn << PAGE_SHIFT) - 1);
		kprintf("  managed    %lu pages (%lu KiB)\n", copy.managed_pages,
			copy.managed_pages * 4);
		kprintf("  free       %lu pages\n", copy.free_pages);
		kprintf("  min        %lu\n  low        %lu\n  high       %lu\n", copy.watermark_min,
			copy.watermark_low, copy.watermark_high);
		for (unsigned cpu = 0; cpu < MM_MAX_CPUS; cpu++)
			if (cpu == 0 || copy.pcp[cpu].count) /* CPUs with pages on their list */
				kprintf("  cpu %u      per-CPU pages: count %u high %u batch %u\n", cpu,
					copy.pcp[cpu].count, copy.pcp[cpu].high,
					copy.pcp[cpu].batch);
		const struct zone_stats *st = &copy.stats;
		kprintf("  allocs %lu  frees %lu  pcp hits %lu  refills %lu  drains %lu\n",
			st->alloc_pages, st->free_pages, st->pcp_hits, st->pcp_refills,
			st->pcp_drains);
		kprintf("  splits %lu  merges %lu  watermark refusals %lu\n", st->splits, st->merges,
			st->watermark_refusals);
	}
	return 0;
}

SHELL_COMMAND(zoneinfo, SHELL_ARGS(0, 0),
	      "each zone: range, managed/free pages, watermarks, per-CPU lists",
	      "usage: zoneinfo\n"
	      "  For each zone (DMA < 16 MiB, DMA32 < 4 GiB, Normal): its physical range,\n"
	      "  pages managed and free, the min/low/high watermarks (ordinary requests\n"
	      "  never take a zone below min; below low the shrinkers run), the per-CPU\n"
	      "  page list of each CPU, and counters since boot.\n",
	      cmd_zoneinfo);

static int cmd_fragmentation(int argc, char **argv)
{
	struct buddy_snapshot s;

	(void)argc;
	(void)argv;
	buddy_snapshot_take(&s);
	kprintf("unusable free space index per order (0.000 = every free page usable for "
		"that order,\n1.000 = none is):\n");
	for (int z = 0; z < ZONE_COUNT; z++) {
		const struct zone_snapshot *zs = &s.zone[z];
		if (zs->managed_pages == 0)
			continue;
		uint64_t free = 0;
		int largest = -1;
		for (int o = 0; o <= MAX_ORDER; o++) {
			free += (uint64_t)zs->free_blocks[o] << o;
			if (zs->free_blocks[o])
				largest = o;
		}
		kprintf("Node 0, zone %8s", zs->name);
		uint64_t suitable = free; /* free pages in blocks of order >= o */
		for (int o = 0; o <= MAX_ORDER; o++) {
			/* Linux's unusable_free_index: (free - suitable) / free, 3 decimals. */
			uint64_t milli = free ? (free - suitable) * 1000 / free : 0;
			kprintf(" %lu.%03lu", milli / 1000, milli % 1000);
			suitable -= (uint64_t)zs->free_blocks[o] << o;
		}
		if (largest >= 0)
			kprintf("   largest free block: order %d (%lu KiB)\n", largest,
				4ul << largest);
		else
			kprintf("   no free block\n");
	}
	return 0;
}

SHELL_COMMAND(fragmentation, SHELL_ARGS(0, 0),
	      "largest free block and unusable-free-space index per order",
	      "usage: fragmentation\n"
	      "  Per zone, for each order o = 0..10: the fraction of free pages that\n"
	      "  lie in blocks smaller than 2^o pages, and so cannot serve an order-o\n"
	      "  request (Linux's unusable_index). 0.000 means no fragmentation for\n"
	      "  that order; 1.000 means an order-o request would fail. Then the\n"
	      "  largest free block. Counts the buddy lists only, like buddyinfo.\n",
	      cmd_fragmentation);

/* -------------------------------------------------------------------------- */

/*
 * exhaust: allocate every free page (ALLOC_RESERVE, so past the watermarks),
 * write its own physical address into it, then check and free them all.
 * The allocated pages are chained through their own descriptors' list
 * nodes, so the command needs no memory of its own.
 */
static int cmd_exhaust(int argc, char **argv)
{
	struct buddy_snapshot before, after;
	struct list_node taken;
	uint64_t count = 0, bad = 0, highest = 0;

	(void)argc;
	(void)argv;
	buddy_drain_pcp();
	buddy_snapshot_take(&before);
	uint64_t free_before = buddy_free_pages();

	list_init(&taken);
	for (;;) {
		struct page *page = alloc_pages(ALLOC_RESERVE | ALLOC_NO_SHRINK, 0);
		if (!page)
			break;
		phys_addr_t pa = page_to_phys(page);
		*(volatile uint64_t *)page_address(page) = pa;
		if (pa > highest)
			highest = pa;
		list_add(&taken, &page->list);
		count++;
	}
	uint64_t free_at_bottom = buddy_free_pages();
	struct page *page, *next;
	list_for_each_entry_safe(page, next, &taken, list) {
		if (*(volatile uint64_t *)page_address(page) != page_to_phys(page))
			bad++;
		list_remove(&page->list);
		MUST_SUCCEED(free_pages(page, 0), "cmd_exhaust: freeing a page it allocated");
	}
	buddy_drain_pcp();
	buddy_snapshot_take(&after);

	bool same = buddy_snapshot_same_lists(&before, &after);
	kprintf("allocated %lu pages (%lu KiB) of %lu free; %lu left free\n", count, count * 4,
		free_before, free_at_bottom);
	kprintf("highest page: 0x%lx; pages whose contents did not read back: %lu\n", highest,
		bad);
	kprintf("freed all; free pages now %lu; buddyinfo %s\n", buddy_free_pages(),
		same ? "unchanged" : "CHANGED");
	if (!same) {
		kprintf("before:\n");
		buddy_snapshot_print(&before);
		kprintf("after:\n");
		buddy_snapshot_print(&after);
	}
	return same && bad == 0 && count == free_before ? 0 : -EIO;
}

SHELL_COMMAND(exhaust, SHELL_ARGS(0, 0), "allocate every free page, check them, free them all",
	      "usage: exhaust\n"
	      "  Allocates single pages until none is left (past the watermarks), writes\n"
	      "  each page's physical address into it, reads every page back, frees\n"
	      "  them all and compares buddyinfo before and after (it must be the same:\n"
	      "  freeing merges every buddy back). Takes a few seconds per GiB in QEMU.\n"
	      "examples:\n"
	      "  exhaust  [disturbs] takes every free page for a moment\n",
	      cmd_exhaust);

static int cmd_pagepoison(int argc, char **argv)
{
	if (argc == 2 && (strcmp(argv[1], "on") == 0 || strcmp(argv[1], "off") == 0)) {
		buddy_set_poisoning(strcmp(argv[1], "on") == 0);
	} else if (argc == 2) {
		kprintf("pagepoison: '%s' is neither on nor off\n", argv[1]);
		shell_print_usage(shell_find("pagepoison"));
		return -EINVAL;
	}
	kprintf("free-page poisoning is %s; use-after-free writes detected so far: %lu\n",
		buddy_poisoning() ? "on" : "off", buddy_poison_violations());
	return 0;
}

SHELL_COMMAND(pagepoison, SHELL_ARGS(0, 1),
	      "switch free-page poisoning (catches writes after free)",
	      "usage: pagepoison [on|off]\n"
	      "  While on, every freed page is filled with 0x6b and checked when it is\n"
	      "  handed out again; a changed byte is reported as a use-after-free write.\n"
	      "  Costs a fill and a check of 4 KiB per page. Without an argument, shows\n"
	      "  the state. Booting with `pagepoison` on the command line turns it on.\n"
	      "examples:\n"
	      "  pagepoison on   freed pages are filled and checked from now on\n"
	      "  pagepoison      the state and the writes caught so far\n"
	      "  pagepoison off\n",
	      cmd_pagepoison);
