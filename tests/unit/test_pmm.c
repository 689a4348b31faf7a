/*
 * test_pmm.c - suite "pmm": the page allocator, tested on whatever allocator
 * is live (the kernel's, built at boot from the real memory map; on the host
 * the one tests/host/pmm_setup.c builds over a simulated RAM arena).
 *
 * Every test leaves the allocator as it found it: each block allocated is
 * freed, and free page counts are compared before and after. The checks:
 *   - blocks of every order are aligned to their size, marked, in an allowed
 *     zone, and freeing them restores the free count;
 *   - ALLOC_ZERO gives zeroes even in a frame just dirtied;
 *   - the per-CPU list is LIFO and never grows above its high mark;
 *   - a mix of allocations and frees leaves buddyinfo exactly as it was;
 *   - every kind of bad free is refused with its error code and a report
 *     naming the frame, and changes nothing at all (snapshot compared);
 *   - buddy_check_invariants() finds nothing wrong, and every byte of RAM is
 *     either managed by the allocator or reserved in memblock.
 * Freestanding (built into the kernel too): lib/ functions only.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/selftest.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/buddy.h"
#include "mm/memblock.h"

/* Everything about free memory that a free or an allocation may change. */
struct pmm_snapshot {
	size_t blocks[ZONE_COUNT][MAX_ORDER + 1];
	unsigned pcp[ZONE_COUNT][MM_MAX_CPUS];
	uint64_t free[ZONE_COUNT];
};

static void pmm_snapshot_take(struct pmm_snapshot *s)
{
	memset(s, 0, sizeof(*s));
	for (int z = 0; z < ZONE_COUNT; z++) {
		for (int o = 0; o <= MAX_ORDER; o++)
			s->blocks[z][o] = zones[z].free_area[o].count;
		for (int cpu = 0; cpu < MM_MAX_CPUS; cpu++)
			s->pcp[z][cpu] = zones[z].pcp[cpu].count;
		s->free[z] = zones[z].free_pages;
	}
}

static bool pmm_snapshot_same(const struct pmm_snapshot *a, const struct pmm_snapshot *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

static const char *test_round_trip(void)
{
	for (unsigned order = 0; order <= MAX_ORDER; order++) {
		uint64_t free_before = buddy_free_pages();
		struct page *page = alloc_pages(ALLOC_NO_SHRINK, order);
		CHECKF(page, "no free block of order %u", order);
		phys_addr_t pa = page_to_phys(page);
		uint64_t free_during = buddy_free_pages();
		struct page head = *page;
		int err = free_pages(page, order);
		CHECKF(pa % (PAGE_SIZE << order) == 0, "order-%u block at 0x%lx is not aligned",
		       order, pa);
		CHECKF((head.flags & (PG_HEAD | PG_BUDDY | PG_PCP | PG_RESERVED)) == PG_HEAD &&
			       head.order == order && head.refcount == 1,
		       "order-%u head 0x%lx: flags 0x%x order %u refcount %u", order, pa,
		       head.flags & PG_FLAG_MASK, head.order, head.refcount);
		CHECKF(free_during == free_before - (1ull << order),
		       "order %u: free pages went from %lu to %lu", order, free_before,
		       free_during);
		CHECKF(err == 0 && buddy_free_pages() == free_before,
		       "order %u: free returned %d, free pages %lu instead of %lu", order, err,
		       buddy_free_pages(), free_before);
	}
	uint64_t free_before = buddy_free_pages();
	CHECK(alloc_pages(0, MAX_ORDER + 1) == NULL);
	CHECK(buddy_free_pages() == free_before);
	return NULL;
}

static const char *test_zones(void)
{
	static const unsigned flags[ZONE_COUNT] = {ALLOC_DMA, ALLOC_DMA32, 0};

	for (int highest = 0; highest < ZONE_COUNT; highest++) {
		for (unsigned order = 0; order <= 3; order += 3) {
			struct page *page = alloc_pages(flags[highest] | ALLOC_NO_SHRINK, order);
			if (!page) { /* allowed only when no allowed zone has memory */
				for (int z = 0; z <= highest; z++) {
					const struct zone *zone = &zones[z];
					uint64_t enough = (1ull << order) + zone->watermark_min;
					CHECKF(zone->free_pages < enough,
					       "zone %s had memory, yet refused", zone->name);
				}
				continue;
			}
			int zone = page->zone;
			bool consistent = buddy_zone_of_pfn(page_to_pfn(page)) == zone;
			CHECK(free_pages(page, order) == 0);
			CHECKF(zone <= highest, "a request for zone %s or below got zone %s",
			       zones[highest].name, zones[zone].name);
			CHECK(consistent);
		}
	}
	return NULL;
}

static const char *test_zeroing(void)
{
	for (unsigned order = 0; order <= 2; order += 2) {
		struct page *dirty = alloc_pages(ALLOC_NO_SHRINK, order);
		CHECK(dirty);
		memset(page_address(dirty), 0xa5, PAGE_SIZE << order);
		CHECK(free_pages(dirty, order) == 0);
		struct page *page = alloc_pages(ALLOC_ZERO | ALLOC_NO_SHRINK, order);
		CHECK(page);
		const uint8_t *bytes = page_address(page);
		size_t i = 0;
		while (i < (PAGE_SIZE << order) && bytes[i] == 0)
			i++;
		uint8_t value = i < (PAGE_SIZE << order) ? bytes[i] : 0;
		bool same = page == dirty;
		CHECK(free_pages(page, order) == 0);
		CHECKF(i == (PAGE_SIZE << order), "order %u: byte %zu of a zeroed block is 0x%x",
		       order, i, value);
		if (order == 0)
			CHECKF(same, "the per-CPU list did not hand back the page just freed");
	}
	return NULL;
}

static const char *test_pcp(void)
{
	struct page *page = alloc_page(ALLOC_NO_SHRINK);
	CHECK(page);
	CHECK(free_page(page) == 0);
	bool on_pcp = (page->flags & PG_PCP) != 0;
	struct page *again = alloc_page(ALLOC_NO_SHRINK);
	CHECK(again);
	CHECK(free_page(again) == 0);
	CHECK(on_pcp);
	CHECKF(again == page, "per-CPU list not LIFO");

	/* Free more than high single pages: the list must drain, never pass high. */
	struct zone *zone = &zones[page->zone];
	const struct per_cpu_pages *pcp = &zone->pcp[arch_cpu_id()];
	unsigned n = pcp->high + pcp->batch + 1, over = 0, refused = 0;
	uint64_t drains = zone->stats.pcp_drains;
	struct list_node held;
	list_init(&held);
	for (unsigned i = 0; i < n; i++) {
		struct page *p = alloc_page(ALLOC_NO_SHRINK);
		if (!p)
			break;
		list_add(&held, &p->list);
	}
	struct page *p, *next;
	list_for_each_entry_safe(p, next, &held, list) {
		const struct per_cpu_pages *mine = &zones[p->zone].pcp[arch_cpu_id()];
		list_remove(&p->list);
		refused += free_page(p) != 0;
		over += mine->count > mine->high;
	}
	CHECKF(refused == 0, "%u of the pages held could not be freed", refused);
	CHECKF(over == 0, "a per-CPU list was above its high mark %u times", over);
	CHECKF(zone->stats.pcp_drains > drains, "%u frees did not drain the per-CPU list", n);
	return NULL;
}

static const char *test_counts_restored(void)
{
	static const uint8_t orders[] = {0, 1, 2, 3, 0, 0, 5, 4, 0, 6, 1, 10, 0, 2, 3, 0, 7, 0};
	struct page *blocks[sizeof(orders)];
	struct pmm_snapshot before, after;
	uint64_t taken = 0;

	buddy_drain_pcp();
	pmm_snapshot_take(&before);
	uint64_t free_before = buddy_free_pages();
	for (size_t i = 0; i < sizeof(orders); i++) {
		blocks[i] = alloc_pages(ALLOC_NO_SHRINK, orders[i]);
		taken += blocks[i] ? 1ull << orders[i] : 0;
	}
	uint64_t free_during = buddy_free_pages();
	/* Free out of allocation order: the odd-numbered blocks, then the even ones. */
	unsigned refused = 0;
	for (size_t first = 1; first <= 2; first++)
		for (size_t i = first % 2; i < sizeof(orders); i += 2)
			if (blocks[i])
				refused += free_pages(blocks[i], orders[i]) != 0;
	buddy_drain_pcp();
	pmm_snapshot_take(&after);
	CHECKF(refused == 0, "%u blocks could not be freed", refused);
	CHECKF(taken > 0 && free_during == free_before - taken, "took %lu pages, free %lu -> %lu",
	       taken, free_before, free_during);
	CHECKF(pmm_snapshot_same(&before, &after), "free lists differ after freeing everything");
	return NULL;
}

/*
 * One bad free: the call's result is got; it must be want, its report must
 * contain says, and nothing may differ from before.
 */
static const char *check_refused(const char *what, int got, int want, const char *says,
				 const struct pmm_snapshot *before)
{
	struct pmm_snapshot after;
	const char *report = selftest_capture_end();

	pmm_snapshot_take(&after);
	CHECKF(got == want, "%s: returned %d, expected %d", what, got, want);
	CHECKF(strstr(report, says) && strstr(report, " by "), "%s: report '%s' lacks '%s'", what,
	       report, says);
	CHECKF(pmm_snapshot_same(before, &after), "%s changed the free lists", what);
	return NULL;
}

static const char *test_bad_frees(void)
{
	struct pmm_snapshot before;
	struct page not_a_descriptor = {0};
	char says[80];
	const char *bad;

	struct page *block = alloc_pages(ALLOC_NO_SHRINK, 2);
	struct page *single = alloc_page(ALLOC_NO_SHRINK);
	CHECK(block && single);
	phys_addr_t pa = page_to_phys(block);
	struct page *page0 = phys_to_page(0);
	phys_addr_t no_ram = (phys_addr_t)page_section_count << SECTION_SHIFT;
	struct {
		const char *what;
		struct page *page;
		unsigned order;
		int err;
		const char *says;
	} cases[] = {
		{"free of a page inside a block", block + 1, 0, -EFAULT, "is not a block head"},
		{"free with the wrong order", block, 1, -ERANGE, "wrong order"},
		{"free with order > MAX_ORDER", block, MAX_ORDER + 1, -EINVAL, "above MAX_ORDER"},
		{"free of NULL", NULL, 0, -EINVAL, "NULL page"},
		{"free of a non-descriptor", &not_a_descriptor, 0, -EINVAL,
		 "not a page descriptor"},
		{"free of a misaligned pointer", (struct page *)((char *)block + 8), 2, -EINVAL,
		 "not a page descriptor"},
		{"free of reserved page 0", page0, 0, page0 ? -EINVAL : 0, "reserved"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].err == 0)
			continue; /* no descriptor for page 0 on this machine */
		pmm_snapshot_take(&before);
		selftest_capture_begin();
		int got = free_pages(cases[i].page, cases[i].order);
		if ((bad = check_refused(cases[i].what, got, cases[i].err, cases[i].says, &before)))
			goto out;
	}

	pmm_snapshot_take(&before);
	selftest_capture_begin();
	int got = free_pages_phys(no_ram, 0);
	if ((bad = check_refused("free_pages_phys beyond RAM", got, -EINVAL, "no managed RAM",
				 &before)))
		goto out;
	selftest_capture_begin();
	got = free_pages_phys(pa + 8, 2);
	if ((bad = check_refused("free_pages_phys inside a frame", got, -EFAULT, "not the start",
				 &before)))
		goto out;

	/* Now free both for real; freeing them again is a double free. */
	CHECK(free_pages(block, 2) == 0 && free_page(single) == 0);
	struct page *freed[] = {single, block, block, block + 1};
	unsigned freed_order[] = {0, 2, 2, 0};
	for (size_t i = 0; i < 4; i++) {
		pmm_snapshot_take(&before);
		selftest_capture_begin();
		got = i == 2 ? free_pages_phys((phys_addr_t)(uintptr_t)page_address(block), 2)
			     : free_pages(freed[i], freed_order[i]);
		ksnprintf(says, sizeof(says), "double free of frame 0x%lx (order %u)",
			  page_to_phys(freed[i]), freed_order[i]);
		if ((bad = check_refused("double free", got, -EBUSY, says, &before)))
			return bad;
	}
	return buddy_check_invariants();

out:
	selftest_capture_end();
	bool cleaned = free_pages(block, 2) == 0;
	cleaned = free_page(single) == 0 && cleaned;
	return cleaned ? bad : selftest_reason("%s (and freeing its blocks failed)", bad);
}

static const char *test_invariants(void)
{
	const char *bad = buddy_check_invariants();

	CHECKF(!bad, "%s", bad);
	CHECK(buddy_free_pages() <= buddy_managed_pages());
	/* Every byte of RAM is either reserved in memblock or managed, never both. */
	CHECKF(buddy_managed_pages() * PAGE_SIZE + memblock_reserved_bytes() ==
		       memblock_memory_bytes(),
	       "managed %lu + reserved %lu != memory %lu bytes", buddy_managed_pages() * PAGE_SIZE,
	       memblock_reserved_bytes(), memblock_memory_bytes());
	return NULL;
}

static const struct selftest pmm_tests[] = {
	{"invariants", "no invariant violation; managed + reserved = RAM", test_invariants},
	{"round_trip", "every order: aligned block, marked head, free count restored",
	 test_round_trip},
	{"zones", "DMA requests stay in DMA, DMA32 requests never get Normal", test_zones},
	{"zeroing", "ALLOC_ZERO blocks are zero even in a frame just dirtied", test_zeroing},
	{"pcp", "per-CPU list is LIFO and drains instead of passing high", test_pcp},
	{"counts_restored", "allocating and freeing a mix leaves buddyinfo unchanged",
	 test_counts_restored},
	{"bad_frees", "bad and double frees refused with their error, report, no change",
	 test_bad_frees},
	{"invariants_after", "the invariants still hold after the other tests", test_invariants},
};

SELFTEST_SUITE(pmm, pmm_tests);
