/*
 * test_phys_owner.c - suite "phys_owner": who owns a physical range
 * (mm/phys_owner.c), over a simulated RAM arena (tests/host/arena.h) with a
 * hole and a reservation, and aliases found in a real page-table tree.
 *
 * These pin down the bug "`map VA SIZE PA` can alias anything": the shell
 * asks phys_range_find_owned() before it maps a physical range, so each
 * kind of owner it must refuse (reservations, free frames, page tables,
 * allocated blocks) is checked here, and so is what it must allow (holes,
 * blocks its own callback accepts).
 *
 * Invariants:
 *   [x] every test builds its arena afresh and frees what it allocated
 *
 * Hosted code: may use libc, but reaches mm/ only through its headers.
 */
#include <stdbool.h>
#include <stdint.h>

#include "kernel/selftest.h"
#include "lib/string.h"
#include "mm/buddy.h"
#include "mm/memblock.h"
#include "mm/page.h"
#include "mm/paging.h"
#include "mm/phys_owner.h"
#include "tests/host/arena.h"

extern uint64_t host_current_root; /* the simulated CR3 (tests/host/mm_arch_host.c) */

#define KIB (1ull << 10)
#define MIB (1ull << 20)
#define HOLE_START (16 * MIB)
#define HOLE_END (32 * MIB)
#define RAM_END (48 * MIB)
#define RESERVED_START (1 * MIB)
#define RESERVED_END (2 * MIB)
#define KERNEL_VA 0xffffc00000000000ull

/* RAM [0, 16 MiB) and [32 MiB, 48 MiB); [1 MiB, 2 MiB) reserved by "test". */
static const char *build(void)
{
	static const struct arena_range ram[] = {{0, HOLE_START}, {HOLE_END, RAM_END}};
	static const struct arena_range reserved[] = {{RESERVED_START, RESERVED_END}};
	static const struct arena_layout layout = {ram, 2, reserved, 1};

	CHECKF(arena_build(&layout) == 0, "cannot build the arena allocator");
	return NULL;
}

static const char *test_holes(void)
{
	struct phys_owner o;

	CHECK_OK(build());
	phys_owner_of(HOLE_START + 5 * KIB, &o);
	CHECKF(o.kind == PHYS_OWNER_NONE && o.start == HOLE_START && o.end == HOLE_END,
	       "hole: kind %d [0x%lx, 0x%lx)", o.kind, o.start, o.end);
	phys_owner_of(1ull << 40, &o);
	CHECKF(o.kind == PHYS_OWNER_NONE && o.start == RAM_END && o.end == UINT64_MAX,
	       "above RAM: kind %d [0x%lx, 0x%lx)", o.kind, o.start, o.end);
	phys_addr_t at = 0;
	CHECK(!phys_range_find_owned(HOLE_START, HOLE_END - HOLE_START, NULL, NULL, &at, &o));
	CHECK(!phys_range_find_owned(RAM_END, 1ull << 40, NULL, NULL, &at, &o));
	CHECK(!phys_range_find_owned(HOLE_START, 0, NULL, NULL, &at, &o));
	/* A range from the hole into RAM: the first owned frame is where RAM starts. */
	CHECK(phys_range_find_owned(HOLE_END - 8 * KIB, 16 * KIB, NULL, NULL, &at, &o));
	CHECKF(at == HOLE_END && o.kind != PHYS_OWNER_NONE, "at 0x%lx kind %d", at, o.kind);
	/* A range that wraps past 2^64 ends there and is all hole. */
	CHECK(!phys_range_find_owned(UINT64_MAX - 4 * KIB, 16 * KIB, NULL, NULL, &at, &o));
	return NULL;
}

static const char *test_reserved(void)
{
	struct phys_owner o;
	char text[80];

	CHECK_OK(build());
	phys_owner_of(RESERVED_START + 0x1234, &o);
	CHECKF(o.kind == PHYS_OWNER_RESERVED && o.start == RESERVED_START &&
	       o.end == RESERVED_END && strcmp(o.reserved_by, "test") == 0,
	       "reservation: kind %d [0x%lx, 0x%lx)", o.kind, o.start, o.end);
	CHECKF(strcmp(phys_owner_text(&o, text, sizeof(text)), "is reserved at boot (test)") == 0,
	       "text: %s", text);
	phys_owner_of(0, &o);
	CHECK(o.kind == PHYS_OWNER_RESERVED && o.end == PAGE_SIZE);
	CHECKF(strstr(phys_owner_text(&o, text, sizeof(text)), "page 0"), "text: %s", text);
	phys_addr_t at;
	CHECK(phys_range_find_owned(RESERVED_START - 4 * KIB, 8 * KIB, NULL, NULL, &at, &o));
	CHECK(o.kind != PHYS_OWNER_RESERVED || at == RESERVED_START);
	return NULL;
}

/* The allow callback of the shell, in small: accept exactly one block. */
static bool allow_block(const struct phys_owner *o, void *arg)
{
	const struct page *block = arg;

	return o->kind == PHYS_OWNER_ALLOCATED && o->start == page_to_phys(block);
}

static const char *test_allocated_and_free(void)
{
	struct phys_owner o;
	char text[80];

	CHECK_OK(build());
	struct page *block = alloc_pages(0, 3);
	CHECK(block);
	phys_addr_t pa = page_to_phys(block);
	phys_owner_of(pa + 5 * PAGE_SIZE + 7, &o);
	CHECKF(o.kind == PHYS_OWNER_ALLOCATED && o.start == pa && o.end == pa + 8 * PAGE_SIZE,
	       "allocated block: kind %d [0x%lx, 0x%lx)", o.kind, o.start, o.end);
	CHECKF(strcmp(phys_owner_text(&o, text, sizeof(text)), "is allocated by the kernel") == 0,
	       "text: %s", text);

	phys_addr_t at;
	CHECK(phys_range_find_owned(pa, 8 * PAGE_SIZE, NULL, NULL, &at, &o) && at == pa);
	CHECK(!phys_range_find_owned(pa, 8 * PAGE_SIZE, allow_block, block, &at, &o));
	/* One page more than the block: the page after it is somebody else's. */
	CHECK(phys_range_find_owned(pa, 9 * PAGE_SIZE, allow_block, block, &at, &o));
	CHECKF(at == pa + 8 * PAGE_SIZE, "first owned past the block at 0x%lx", at);

	CHECK(free_pages(block, 3) == 0);
	phys_owner_of(pa + 5 * PAGE_SIZE, &o);
	CHECKF(o.kind == PHYS_OWNER_FREE && o.start <= pa + 5 * PAGE_SIZE &&
	       o.end > pa + 5 * PAGE_SIZE, "freed block: kind %d [0x%lx, 0x%lx)", o.kind, o.start,
	       o.end);
	CHECKF(strcmp(phys_owner_text(&o, text, sizeof(text)),
		      "is free memory of the page allocator") == 0, "text: %s", text);

	/* An order-0 page freed goes to the per-CPU list (PG_PCP): free too. */
	struct page *single = alloc_page(0);
	CHECK(single);
	CHECK(free_page(single) == 0 && (single->flags & PG_PCP));
	phys_owner_of(page_to_phys(single), &o);
	CHECK(o.kind == PHYS_OWNER_FREE && o.start == page_to_phys(single) &&
	      o.end == page_to_phys(single) + PAGE_SIZE);
	return NULL;
}

static const char *test_page_table_cr3(void)
{
	struct address_space as;
	struct phys_owner o;
	char text[80];

	CHECK_OK(build());
	CHECK(paging_create(&as, NULL) == 0);
	host_current_root = as.pml4;
	phys_owner_of(as.pml4 + 8, &o);
	CHECKF(o.kind == PHYS_OWNER_PAGE_TABLE && o.start == as.pml4 &&
	       o.end == as.pml4 + PAGE_SIZE, "PML4: kind %d", o.kind);
	CHECKF(strstr(phys_owner_text(&o, text, sizeof(text)), "belongs to the page tables") &&
	       strstr(text, "CR3"), "text: %s", text);
	/* A table below the PML4 is a page table too, not the one CR3 points to. */
	CHECK(paging_map(&as, KERNEL_VA, 40 * MIB, PAGE_SIZE, 0) == 0);
	struct paging_walk w;
	CHECK(paging_walk(&as, KERNEL_VA, &w) == 0 && w.levels == 4);
	phys_owner_of(w.level[3].table, &o);
	CHECK(o.kind == PHYS_OWNER_PAGE_TABLE);
	CHECKF(!strstr(phys_owner_text(&o, text, sizeof(text)), "CR3"), "text: %s", text);
	host_current_root = 0;
	paging_destroy(&as);
	phys_owner_of(w.level[3].table, &o);
	CHECKF(o.kind == PHYS_OWNER_FREE, "a freed table page: kind %d", o.kind);
	CHECK(!(phys_to_page(w.level[3].table)->flags & PG_TABLE));
	return NULL;
}

static const char *test_alias(void)
{
	struct address_space as;
	struct phys_alias a;
	const virt_addr_t va1 = KERNEL_VA, va2 = KERNEL_VA + 64 * MIB, va3 = KERNEL_VA + 128 * MIB;
	const phys_addr_t pa = 1ull << 36; /* any address: only table pages are real */

	CHECK_OK(build());
	CHECK(paging_create(&as, NULL) == 0);
	CHECK(paging_map(&as, va1, pa, PAGE_SIZE, MAP_WRITE) == 0);
	CHECK(paging_map(&as, va2, pa, PAGE_SIZE, 0) == 0);
	/* A 2 MiB page holding pa + 2 MiB .. pa + 4 MiB, executable. */
	CHECK(paging_map(&as, va3, pa + 2 * MIB, 2 * MIB, MAP_EXEC) == 0);

	CHECK(phys_find_alias(&as, pa, PAGE_SIZE, MAP_WRITE, va2, PAGE_SIZE, &a));
	CHECKF(a.va == va1 && a.pa == pa && (a.flags & MAP_WRITE), "writable alias at 0x%lx", a.va);
	CHECK(!phys_find_alias(&as, pa, PAGE_SIZE, MAP_WRITE, va1, PAGE_SIZE, &a));
	CHECK(!phys_find_alias(&as, pa, PAGE_SIZE, MAP_EXEC, 0, 0, &a));
	CHECK(phys_find_alias(&as, pa, PAGE_SIZE, 0, va1, PAGE_SIZE, &a) && a.va == va2);
	/* Inside a huge page: the alias's address is the page's, offset included. */
	CHECK(phys_find_alias(&as, pa + 2 * MIB + 5 * PAGE_SIZE, PAGE_SIZE, MAP_EXEC, 0, 0, &a));
	CHECKF(a.va == va3 + 5 * PAGE_SIZE && a.pa == pa + 2 * MIB + 5 * PAGE_SIZE,
	       "alias in a 2 MiB page at 0x%lx -> 0x%lx", a.va, a.pa);
	/* Skipping the first part of the page finds the rest of it. */
	CHECK(phys_find_alias(&as, pa + 2 * MIB, 2 * MIB, MAP_EXEC, va3, 4 * PAGE_SIZE, &a));
	CHECK(a.va == va3 + 4 * PAGE_SIZE);
	CHECK(!phys_find_alias(&as, pa + 2 * MIB, 2 * MIB, MAP_EXEC, va3, 2 * MIB, &a));
	CHECK(!phys_find_alias(&as, pa + 4 * MIB, 4 * MIB, 0, 0, 0, &a));
	paging_destroy(&as);
	return NULL;
}

static const struct selftest phys_owner_tests[] = {
	{"holes", "addresses outside RAM are nobody's, up to where RAM starts again",
	 test_holes},
	{"reserved", "a boot reservation is named by its owner, clipped to RAM", test_reserved},
	{"allocated_and_free", "an allocated block, the same block freed, a per-CPU page; "
	 "the caller may accept a block of its own", test_allocated_and_free},
	{"page_table_cr3", "map can alias anything: the PML4 in CR3 and its tables are "
	 "page tables, and are free once destroyed", test_page_table_cr3},
	{"alias", "writable and executable aliases of a frame are found, skipping a range",
	 test_alias},
};

SELFTEST_SUITE(phys_owner, phys_owner_tests);
