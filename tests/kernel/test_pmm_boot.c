/*
 * test_pmm_boot.c - kernel-only checks of the page allocator on real memory
 * (suite `pmm_boot`): what the boot sequence handed to the allocator.
 *
 * These need the running kernel (its image, the boot information, the
 * direct map), so unlike tests/unit they do not build for the host. Each
 * test leaves the allocator as it found it.
 */
#include "kernel/bootinfo.h"
#include "kernel/selftest.h"
#include "lib/errno.h"
#include "lib/list.h"
#include "mm/buddy.h"
#include "mm/memblock.h"
#include "mm/memmap.h"
#include "mm/pmm.h"

extern char _kernel_phys_start[], _kernel_phys_end[];

/* Does the frame at pa overlap something that must never be handed out? */
static const char *forbidden_owner(phys_addr_t pa)
{
	phys_addr_t end = pa + PAGE_SIZE;

	if (pa < PAGE_SIZE)
		return "page 0";
	if (pa < 0x100000 && end > 0xa0000)
		return "the legacy VGA/BIOS area 0xa0000-0xfffff";
	if (pa < (phys_addr_t)(uintptr_t)_kernel_phys_end &&
	    end > (phys_addr_t)(uintptr_t)_kernel_phys_start)
		return "the kernel image";
	if (pa < boot_info.mbi_phys + boot_info.mbi_size && end > boot_info.mbi_phys)
		return "the boot information";
	for (size_t i = 0; i < boot_info.module_count; i++)
		if (pa < boot_info.modules[i].end && end > boot_info.modules[i].start)
			return "a module";
	return NULL;
}

/*
 * Both loops are bounded: with corrupt free lists (a broken merge) the
 * allocator may hand out pages forever, or one page twice, which makes the
 * list of taken pages a cycle; the test then fails in a moment instead of
 * freeing the same page over and over.
 */
static const char *test_no_forbidden_page(void)
{
	struct list_node taken;
	const char *problem = NULL;
	phys_addr_t bad = 0, refused = 0;
	uint64_t free = buddy_free_pages(), taken_count = 0, freed = 0;

	list_init(&taken);
	while (taken_count <= free) {
		struct page *page = alloc_pages(ALLOC_RESERVE | ALLOC_NO_SHRINK, 0);
		if (!page)
			break;
		list_add(&taken, &page->list);
		taken_count++;
		if (!problem && (problem = forbidden_owner(page_to_phys(page))))
			bad = page_to_phys(page);
	}
	struct page *page, *next;
	list_for_each_entry_safe(page, next, &taken, list) {
		if (freed == taken_count || refused)
			break;
		list_remove(&page->list);
		if (free_pages(page, 0) != 0)
			refused = page_to_phys(page);
		freed++;
	}
	CHECKF(taken_count <= free, "the allocator handed out more than the %lu pages it counted "
	       "free: its free lists are corrupt (a block listed twice?)", free);
	CHECKF(!refused, "free_pages refused frame 0x%lx, taken by this test: the allocator handed "
	       "it out twice (its free lists are corrupt)", refused);
	CHECKF(freed == taken_count, "the list of the %lu pages taken ends after %lu: a page was "
	       "handed out twice (the allocator's free lists are corrupt)", taken_count, freed);
	CHECKF(!problem, "the allocator handed out frame 0x%lx, which lies in %s", bad, problem);
	return NULL;
}

static const char *test_accounting(void)
{
	uint64_t usable = memmap_total(&pmm_map, MEMMAP_USABLE);

	CHECKF(memblock_memory_bytes() == usable, "memblock memory %lu != usable map %lu",
	       memblock_memory_bytes(), usable);
	CHECKF(buddy_managed_pages() * PAGE_SIZE + memblock_reserved_bytes() == usable,
	       "managed %lu + reserved %lu != usable %lu", buddy_managed_pages() * PAGE_SIZE,
	       memblock_reserved_bytes(), usable);
	CHECK(memblock.retired);
	return NULL;
}

static const char *test_normal_page_through_direct_map(void)
{
	if (zones[ZONE_NORMAL].managed_pages == 0)
		return NULL; /* no RAM above 4 GiB on this machine: nothing to check */
	struct page *page = alloc_pages(ALLOC_RESERVE, 0);
	CHECK(page != NULL);
	phys_addr_t pa = page_to_phys(page);
	volatile uint64_t *p = page_address(page);
	for (int i = 0; i < 512; i++)
		p[i] = pa ^ (uint64_t)i;
	bool ok = true;
	for (int i = 0; i < 512; i++)
		ok = ok && p[i] == (pa ^ (uint64_t)i);
	int err = free_pages(page, 0);
	CHECKF(err == 0, "freeing page 0x%lx: %s", pa, errno_name(err));
	CHECKF(pa >= (4ull << 30), "a Normal-zone page at 0x%lx is below 4 GiB", pa);
	CHECKF(ok, "page 0x%lx did not read back through the direct map", pa);
	return NULL;
}

static const struct selftest pmm_boot_tests[] = {
	{"no_forbidden_page", "no free page lies in page 0, 0xa0000-0xfffff, the kernel, "
			      "the boot information or a module", test_no_forbidden_page},
	{"accounting", "managed + reserved = usable RAM of the sanitized map",
	 test_accounting},
	{"normal_direct_map", "a page above 4 GiB is writable and reads back through the "
			      "direct map", test_normal_page_through_direct_map},
};

SELFTEST_SUITE(pmm_boot, pmm_boot_tests);
