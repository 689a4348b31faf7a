/*
 * test_memview.c - kernel-only checks of memview's classification on the
 * running kernel's memory (suite `memview`): the kinds the boot
 * reservations, vmalloc, a kernel stack and a fresh allocation must have.
 * The host suite `frame_kind` checks each rule over a simulated arena; this
 * one checks that the real kernel's records are read the same way.
 *
 * Invariants:
 *   [x] every test frees what it allocated (the frame map, the block).
 * Context: the selftest runner (a thread, interrupts on).
 */
#include "kernel/memview/memview.h"
#include "kernel/selftest.h"
#include "lib/errno.h"
#include "lib/panic.h"
#include "lib/string.h"
#include "mm/buddy.h"
#include "mm/frame_kind.h"
#include "mm/kernel_space.h"
#include "mm/memblock.h"
#include "mm/paging.h"
#include "mm/pmm.h"
#include "mm/vmalloc.h"

/* The frame of kernel address va, or UINT64_MAX. */
static uint64_t frame_of(const void *va)
{
	struct paging_translation t;

	return paging_translate(&kernel_space, (virt_addr_t)(uintptr_t)va, &t) == 0
		       ? t.pa >> PAGE_SHIFT : UINT64_MAX;
}

/* A fresh map of all RAM, vmalloc'ed; NULL kinds when there is no memory. */
static struct frame_map map_new(void)
{
	uint64_t pfns = frame_map_ram_pfns();
	struct frame_map m = {vmalloc(pfns), pfns, 0, {0}};

	return m;
}

static const char *test_boot_kinds(void)
{
	struct frame_map m = map_new();
	const char *why = NULL;

	CHECK(m.kinds);
	if (frame_map_classify(&m, &pmm_map) != 0) {
		why = "frame_map_classify refused a map of frame_map_ram_pfns() bytes";
		goto out;
	}
	for (uint64_t pfn = 0; pfn < m.pfns && !why; pfn++)
		if (m.kinds[pfn] >= FRAME_KIND_COUNT)
			why = selftest_reason("frame %lu has kind %u", pfn, m.kinds[pfn]);
	static const struct {
		const char *owner;
		enum frame_kind kind;
	} owners[] = {
		{"kernel image", FRAME_KERNEL_IMAGE},
		{"page descriptors", FRAME_PAGE_DESCRIPTORS},
		{"module", FRAME_MODULE},
		{"boot information", FRAME_BOOT_INFO},
	};
	for (size_t i = 0; i < sizeof(owners) / sizeof(owners[0]) && !why; i++) {
		uint64_t frames = frame_map_count(&m, owners[i].kind);
		if (frames * PAGE_SIZE != memblock_reserved_bytes_of(owners[i].owner))
			why = selftest_reason("%lu frames are %s, memblock reserved %lu bytes for it",
					   frames, owners[i].owner,
					   memblock_reserved_bytes_of(owners[i].owner));
	}
	/* The map's own pages are vmalloc's; this thread's stack is a kernel stack. */
	for (uint64_t off = 0; off < m.capacity && !why; off += PAGE_SIZE)
		if (frame_map_kind(&m, frame_of(m.kinds + off)) != FRAME_VMALLOC)
			why = selftest_reason("page %lu of the frame map is kind %u, not vmalloc",
					   off / PAGE_SIZE, frame_map_kind(&m, frame_of(m.kinds + off)));
	int local = 0;
	const struct vmalloc_area *stack = vmalloc_find((virt_addr_t)(uintptr_t)&local);
	if (!why && stack && (stack->flags & VMALLOC_STACK) &&
	    frame_map_kind(&m, frame_of(&local)) != FRAME_KERNEL_STACK)
		why = selftest_reason("this thread's stack page is kind %u, not a kernel stack",
				   frame_map_kind(&m, frame_of(&local)));
	/* Free frames: what the allocator counts, give or take other CPUs' moments. */
	uint64_t free_frames = 0, counted = buddy_free_pages();
	for (unsigned k = 0; k <= MAX_ORDER; k++)
		free_frames += frame_map_count(&m, FRAME_FREE + k);
	if (!why && (free_frames + 64 < counted || counted + 64 < free_frames))
		why = selftest_reason("%lu frames classified free, the allocator counts %lu",
				   free_frames, counted);
out:
	MUST_SUCCEED(vfree(m.kinds), "test_memview: the map was vmalloc'ed here");
	return why;
}

static const char *test_block_and_at(void)
{
	struct page *block = alloc_pages(0, 9);
	struct memview_at at;

	CHECK(block);
	phys_addr_t pa = page_to_phys(block);
	int err = memview_at(pa + 5 * PAGE_SIZE, &at);
	bool allocated = err == 0 && strcmp(at.frame_kind, "other allocation") == 0;
	MUST_SUCCEED(free_pages(block, 9), "test_memview: the block was allocated here");
	CHECKF(allocated, "memview at an alloc_pages block: %d, '%s'", err, at.frame_kind);
	CHECK(memview_at(pa, &at) == 0 && strncmp(at.frame_kind, "free (order ", 12) == 0);
	CHECK(memview_print_map(frame_map_ram_pfns() << PAGE_SHIFT, 0) == -EINVAL);
	return NULL;
}

static const struct selftest memview_tests[] = {
	{"boot_kinds", "the live kernel's reservations, the map's own vmalloc pages, this "
	 "thread's stack and the free count, as classified", test_boot_kinds},
	{"block_and_at", "an order-9 block is `other allocation` to memview at, free once "
	 "freed; a range past RAM is refused", test_block_and_at},
};

SELFTEST_SUITE(memview, memview_tests);
