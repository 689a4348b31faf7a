/*
 * test_paging.c - suite "paging": the page-table engine (mm/paging.c) on the
 * host, over a 64 MiB simulated RAM arena (tests/host/arena.h).
 *
 * Only table pages are real: the pages a test maps are never touched, so a
 * mapping may point anywhere below 2^52 (1 GiB pages need no 1 GiB of RAM).
 * The TLB is simulated by counters in tests/host/mm_arch_host.c, and the
 * "current" space is whatever PML4 a test writes to host_current_root.
 *
 * Every test runs between BEGIN and END: a fresh space, destroyed at the
 * end, and the buddy allocator's free page count must then be back to its
 * value before the test (no table page leaked), with the allocator's own
 * invariants intact. The storm test checks a long seeded random run against
 * a shadow model and the per-table present-entry counts (page->private).
 * Hosted code: may use libc, but reaches the engine only through mm/.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/selftest.h"
#include "lib/errno.h"
#include "lib/list.h"
#include "lib/panic.h"
#include "lib/printf.h"
#include "lib/random.h"
#include "lib/string.h"
#include "mm/buddy.h"
#include "mm/page.h"
#include "mm/paging.h"
#include "tests/host/arena.h"

/* The simulated TLB and CR3 (tests/host/mm_arch_host.c). */
extern uint64_t host_invalidated_pages, host_tlb_flushes, host_global_flushes;
extern uint64_t host_current_root;
extern uint64_t host_remote_flushes, host_remote_flush_pages;
extern unsigned host_remote_last_flags;

#define KIB (1ull << 10)
#define MIB (1ull << 20)
#define GIB (1ull << 30)
#define ARENA_BYTES (64 * MIB)
#define USER_VA (4 * GIB)                    /* a 1 GiB aligned user address */
#define KERNEL_VA EXPERIMENT_START /* a kernel-half address, 512 GiB aligned */
#define RW (MAP_WRITE)


/* An engine result as text: "0" or "-EINVAL (-22)"; two buffers, for one message. */
static const char *ret_text(int ret)
{
	static char buf[2][32];
	static unsigned turn;

	if (ret == 0)
		return "0";
	turn ^= 1;
	ksnprintf(buf[turn], sizeof(buf[turn]), "-%s (%d)", errno_name(ret), ret);
	return buf[turn];
}

/* Fail unless call returns expected, saying which call returned what. */
#define CHECK_RET(call, expected)                                                          \
	do {                                                                                \
		int ret_ = (call);                                                          \
		CHECKF(ret_ == (expected), "%s returned %s, expected %s", #call,             \
		       ret_text(ret_), ret_text(expected));                                 \
	} while (0)

static void tlb_counters_reset(void)
{
	host_invalidated_pages = host_tlb_flushes = host_global_flushes = 0;
}

/* Start a test: as is a fresh space (not current), before the free page count. */
#define BEGIN(as, before)                                                                  \
	uint64_t before;                                                                    \
	struct address_space as;                                                            \
	CHECKF(arena_ready_flat(ARENA_BYTES), "cannot build the arena allocator");                          \
	before = buddy_free_pages();                                                        \
	CHECK(paging_create(&as, NULL) == 0 && as.table_pages == 1);                        \
	host_current_root = 0;                                                              \
	tlb_counters_reset()

/* End a test: destroy as; every page is back and the allocator is consistent. */
static const char *end_test(struct address_space *as, uint64_t before)
{
	paging_destroy(as);
	host_current_root = 0;
	CHECKF(buddy_free_pages() == before, "%ld pages leaked",
	       (long)(before - buddy_free_pages()));
	const char *violation = buddy_check_invariants();
	CHECKF(!violation, "buddy invariant: %s", violation);
	return NULL;
}

static const char *size_text(uint64_t page_size)
{
	return page_size == GIB ? "1 GiB" : page_size == 2 * MIB ? "2 MiB" :
	       page_size == PAGE_SIZE ? "4 KiB" : "odd-sized";
}

/* Does va translate to pa with this page size and flags? NULL or why not. */
static const char *translates(const struct address_space *as, virt_addr_t va, phys_addr_t pa,
			      uint64_t page_size, unsigned flags)
{
	struct paging_translation t;
	int err = paging_translate(as, va, &t);

	char got[24], want[24];

	CHECKF(err == 0, "0x%lx: translate returned %s, expected it mapped", va, ret_text(err));
	CHECKF(t.pa == pa && t.page_size == page_size && t.flags == flags,
	       "0x%lx -> 0x%lx in a %s page [%s], expected 0x%lx in a %s page [%s]", va, t.pa,
	       size_text(t.page_size), paging_flags_text(t.flags, got, sizeof(got)), pa,
	       size_text(page_size), paging_flags_text(flags, want, sizeof(want)));
	return NULL;
}

static bool unmapped(const struct address_space *as, virt_addr_t va)
{
	struct paging_translation t;

	return paging_translate(as, va, &t) == -ENOENT;
}

/*
 * Check the table tree below table (at level 0..3): each table's
 * page->private equals its present entries, no table below the PML4 is
 * empty (the kernel-half PDPTs may be), and the tables add up to
 * as->table_pages. Returns the number of tables, or adds a reason to *why.
 */
static uint64_t count_tables(phys_addr_t table, int level, bool kernel_pdpt, const char **why)
{
	const pte_t *entries = phys_to_virt(table);
	uint32_t present = 0;
	uint64_t tables = 1;

	for (unsigned i = 0; i < PT_ENTRIES; i++) {
		pte_t e = entries[i];
		if (!(e & PTE_PRESENT))
			continue;
		present++;
		bool leaf = level == 3 || (level > 0 && (e & PTE_HUGE));
		if (!leaf)
			tables += count_tables(e & PTE_ADDR_MASK, level + 1, level == 0 && i >= 256,
					       why);
	}
	if (phys_to_page(table)->private != present)
		*why = selftest_reason("table 0x%lx (level %d) counts %u present entries, has %u",
				       table, level, phys_to_page(table)->private, present);
	else if (present == 0 && level > 0 && !kernel_pdpt)
		*why = selftest_reason("empty table 0x%lx at level %d was kept", table, level);
	return tables;
}

static const char *check_tables(const struct address_space *as)
{
	const char *why = NULL;
	uint64_t tables = count_tables(as->pml4, 0, false, &why);

	if (why)
		return why;
	CHECKF(tables == as->table_pages, "%lu tables in the tree, table_pages says %lu", tables,
	       as->table_pages);
	return NULL;
}

/* ---- runs (paging_for_each_range) ------------------------------------- */

struct runs {
	unsigned count;
	struct {
		virt_addr_t start, end;
		phys_addr_t pa;
		uint64_t page_size;
		unsigned flags;
	} run[16];
};

static bool collect_run(virt_addr_t start, virt_addr_t end, phys_addr_t pa, uint64_t page_size,
			unsigned flags, void *arg)
{
	struct runs *runs = arg;

	if (runs->count == 16)
		return false;
	runs->run[runs->count].start = start;
	runs->run[runs->count].end = end;
	runs->run[runs->count].pa = pa;
	runs->run[runs->count].page_size = page_size;
	runs->run[runs->count].flags = flags;
	runs->count++;
	return true;
}

static void runs_take(const struct address_space *as, virt_addr_t from, virt_addr_t to,
		      struct runs *runs)
{
	runs->count = 0;
	paging_for_each_range(as, from, to, collect_run, runs);
}

/* Is run i [start, end) -> pa with page_size and flags? */
static const char *run_is(const struct runs *runs, unsigned i, virt_addr_t start,
			  virt_addr_t end, phys_addr_t pa, uint64_t page_size, unsigned flags)
{
	CHECKF(i < runs->count, "only %u runs, expected run %u", runs->count, i);
	CHECKF(runs->run[i].start == start && runs->run[i].end == end && runs->run[i].pa == pa &&
	       runs->run[i].page_size == page_size && runs->run[i].flags == flags,
	       "run %u is [0x%lx, 0x%lx) -> 0x%lx (%lu, 0x%x), expected [0x%lx, 0x%lx) -> 0x%lx "
	       "(%lu, 0x%x)", i, runs->run[i].start, runs->run[i].end, runs->run[i].pa,
	       runs->run[i].page_size, runs->run[i].flags, start, end, pa, page_size, flags);
	return NULL;
}

/* ---- basic mapping ----------------------------------------------------- */

static const char *test_map_4k(void)
{
	BEGIN(as, before);
	phys_addr_t pa = 0x12345000;

	CHECK(unmapped(&as, USER_VA));
	CHECK(paging_map(&as, USER_VA, pa, PAGE_SIZE, RW | MAP_USER) == 0);
	CHECKF(as.table_pages == 4, "%lu table pages for one 4 KiB page", as.table_pages);
	CHECK_OK(translates(&as, USER_VA, pa, PAGE_SIZE, RW | MAP_USER));
	CHECK_OK(translates(&as, USER_VA + 0x123, pa + 0x123, PAGE_SIZE, RW | MAP_USER));
	CHECK(unmapped(&as, USER_VA + PAGE_SIZE) && unmapped(&as, USER_VA - PAGE_SIZE));
	struct paging_translation t;
	CHECK(paging_translate(&as, USER_VA, &t) == 0);
	CHECK(t.entry == (pa | PTE_PRESENT | PTE_WRITABLE | PTE_USER | PTE_NX));
	CHECK_OK(check_tables(&as));
	CHECK(paging_unmap(&as, USER_VA, PAGE_SIZE) == 0);
	CHECK(unmapped(&as, USER_VA));
	CHECKF(as.table_pages == 1, "%lu table pages after the unmap", as.table_pages);
	CHECK(paging_unmap(&as, USER_VA, PAGE_SIZE) == 0); /* unmapping a hole is fine */
	return end_test(&as, before);
}

static const char *test_map_2m(void)
{
	BEGIN(as, before);
	phys_addr_t pa = 0x40200000;

	CHECK(paging_map(&as, USER_VA + 2 * MIB, pa, 2 * MIB, RW) == 0);
	CHECKF(as.table_pages == 3,
	       "%lu table pages for one 2 MiB page, expected 3 (PML4, PDPT, PD: no page table)",
	       as.table_pages);
	CHECK_OK(translates(&as, USER_VA + 2 * MIB, pa, 2 * MIB, RW));
	CHECK_OK(translates(&as, USER_VA + 4 * MIB - 1, pa + 2 * MIB - 1, 2 * MIB, RW));
	CHECK(unmapped(&as, USER_VA + 4 * MIB) && unmapped(&as, USER_VA + 2 * MIB - 1));
	CHECK(paging_unmap(&as, USER_VA + 2 * MIB, 2 * MIB) == 0);
	CHECK(unmapped(&as, USER_VA + 2 * MIB) && as.table_pages == 1);
	return end_test(&as, before);
}

static const char *test_map_1g(void)
{
	BEGIN(as, before);
	phys_addr_t pa = 7 * GIB; /* far beyond the arena: nothing dereferences it */

	CHECK(paging_map(&as, USER_VA, pa, GIB, MAP_USER | MAP_EXEC) == 0);
	CHECKF(as.table_pages == 2, "%lu table pages for one 1 GiB page, expected 2 (PML4, PDPT)",
	       as.table_pages);
	CHECK_OK(translates(&as, USER_VA, pa, GIB, MAP_USER | MAP_EXEC));
	CHECK_OK(translates(&as, USER_VA + GIB - 8, pa + GIB - 8, GIB, MAP_USER | MAP_EXEC));
	CHECK(unmapped(&as, USER_VA + GIB));
	CHECK(paging_unmap(&as, USER_VA, GIB) == 0);
	CHECK(unmapped(&as, USER_VA) && as.table_pages == 1);
	return end_test(&as, before);
}

static const char *test_flags_encoding(void)
{
	static const struct {
		unsigned flags;
		pte_t set, clear; /* bits the 4 KiB entry must have, must not have */
	} cases[] = {
		{0, PTE_NX, PTE_WRITABLE | PTE_USER | PTE_GLOBAL | PTE_PWT | PTE_PCD | PTE_PAT},
		{MAP_EXEC, 0, PTE_NX | PTE_WRITABLE},
		{MAP_USER | MAP_GLOBAL, PTE_USER | PTE_GLOBAL | PTE_NX, PTE_WRITABLE},
		{MAP_UNCACHED, PTE_PCD | PTE_PWT, PTE_PAT},
		{MAP_WRITE_COMBINE, PTE_PWT, PTE_PCD | PTE_PAT},
		{MAP_WRITE_THROUGH, PTE_PAT | PTE_PWT, PTE_PCD},
	};
	BEGIN(as, before);
	struct paging_walk w;

	/* Intermediate entries: present and writable, user in the user half: the leaf decides. */
	CHECK(paging_map(&as, USER_VA + GIB, 0x100000, PAGE_SIZE, 0) == 0);
	CHECK(paging_walk(&as, USER_VA + GIB, &w) == 0 && w.levels == 4);
	for (int l = 0; l < 3; l++)
		CHECKF((w.level[l].entry & 0x7) == 0x7 && !(w.level[l].entry & PTE_NX),
		       "%s entry 0x%lx", w.level[l].name, w.level[l].entry);
	/* In the kernel half, user only when a user page lies below (added later if need be). */
	CHECK(paging_map(&as, KERNEL_VA, 0x100000, PAGE_SIZE, 0) == 0);
	CHECK(paging_walk(&as, KERNEL_VA, &w) == 0 && (w.level[2].entry & 0x7) == 0x3);
	CHECK(paging_map(&as, KERNEL_VA + PAGE_SIZE, 0x100000, PAGE_SIZE, MAP_USER) == 0);
	CHECK(paging_walk(&as, KERNEL_VA, &w) == 0);
	for (int l = 0; l < 3; l++)
		CHECKF((w.level[l].entry & 0x7) == 0x7, "%s entry 0x%lx", w.level[l].name,
		       w.level[l].entry);
	CHECK(paging_unmap(&as, KERNEL_VA, 2 * PAGE_SIZE) == 0);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		virt_addr_t va = USER_VA + i * PAGE_SIZE;
		struct paging_translation t;
		CHECK(paging_map(&as, va, 0x100000, PAGE_SIZE, cases[i].flags) == 0);
		CHECK(paging_translate(&as, va, &t) == 0);
		CHECKF(t.flags == cases[i].flags, "case %zu: flags 0x%x read back as 0x%x", i,
		       cases[i].flags, t.flags);
		CHECKF((t.entry & cases[i].set) == cases[i].set && !(t.entry & cases[i].clear),
		       "case %zu: entry 0x%lx", i, t.entry);
	}

	/* Without NX, nothing gets bit 63 (it would be reserved) and all executes. */
	paging_set_nx(false);
	int err = paging_map(&as, USER_VA + MIB, 0x100000, PAGE_SIZE, 0);
	struct paging_translation t;
	int found = paging_translate(&as, USER_VA + MIB, &t);
	paging_set_nx(true);
	CHECK(err == 0 && found == 0 && !(t.entry & PTE_NX) && t.flags == MAP_EXEC);

	char text[16];
	CHECK(strcmp(paging_flags_text(RW | MAP_USER, text, sizeof(text)), "rw-u-") == 0);
	CHECK(strcmp(paging_flags_text(MAP_EXEC | MAP_GLOBAL | MAP_WRITE_COMBINE, text,
				       sizeof(text)), "r-x-g wc") == 0);
	CHECK(strcmp(paging_flags_text(MAP_UNCACHED, text, sizeof(text)), "r---- uc") == 0);
	return end_test(&as, before);
}

/* ---- page size choice -------------------------------------------------- */

static const char *test_size_choice(void)
{
	BEGIN(as, before);
	struct runs runs;

	/* 4 MiB + 8 KiB at 2 MiB aligned va and pa: two 2 MiB pages, then two 4 KiB pages. */
	CHECK(paging_map(&as, USER_VA + 2 * MIB, 6 * MIB, 4 * MIB + 8 * KIB, RW) == 0);
	runs_take(&as, 0, USER_VA + GIB, &runs);
	CHECKF(runs.count == 2 && runs.run[0].page_size == 2 * MIB,
	       "4 MiB + 8 KiB at 2 MiB aligned va and pa: expected a run of 2 MiB pages, then one "
	       "of 4 KiB pages; got %u run(s), the first of %lu KiB pages", runs.count,
	       runs.count ? runs.run[0].page_size >> 10 : 0);
	CHECK_OK(run_is(&runs, 0, USER_VA + 2 * MIB, USER_VA + 6 * MIB, 6 * MIB, 2 * MIB, RW));
	CHECK_OK(run_is(&runs, 1, USER_VA + 6 * MIB, USER_VA + 6 * MIB + 8 * KIB, 10 * MIB,
			PAGE_SIZE, RW));
	CHECK(paging_unmap(&as, USER_VA, GIB) == 0 && as.table_pages == 1);

	/* va and pa aligned differently: only 4 KiB pages fit. */
	CHECK(paging_map(&as, USER_VA, 6 * MIB + PAGE_SIZE, 4 * MIB, RW) == 0);
	CHECK_OK(translates(&as, USER_VA + 3 * MIB, 9 * MIB + PAGE_SIZE, PAGE_SIZE, RW));
	CHECK(paging_unmap(&as, USER_VA, 4 * MIB) == 0);

	/* 1 GiB + 2 MiB + 4 KiB at a 1 GiB boundary: one page of each size. */
	CHECK(paging_map(&as, USER_VA, 2 * GIB, GIB + 2 * MIB + 4 * KIB, 0) == 0);
	CHECK_OK(translates(&as, USER_VA, 2 * GIB, GIB, 0));
	CHECK_OK(translates(&as, USER_VA + GIB, 3 * GIB, 2 * MIB, 0));
	CHECK_OK(translates(&as, USER_VA + GIB + 2 * MIB, 3 * GIB + 2 * MIB, PAGE_SIZE, 0));
	CHECK(paging_unmap(&as, USER_VA, 2 * GIB) == 0);

	/* Without 1 GiB pages, a GiB is 512 pages of 2 MiB, and forcing 1 GiB is refused. */
	paging_set_1g_pages(false);
	int err = paging_map(&as, USER_VA, 2 * GIB, GIB, 0);
	int forced = paging_map(&as, 2 * USER_VA, 2 * GIB, GIB, MAP_SIZE_1G);
	paging_set_1g_pages(true);
	CHECK(err == 0 && forced == -ENOTSUP);
	CHECK_OK(translates(&as, USER_VA + GIB - 1, 3 * GIB - 1, 2 * MIB, 0));
	CHECK(paging_unmap(&as, USER_VA, GIB) == 0);
	return end_test(&as, before);
}

static const char *test_forced_sizes(void)
{
	BEGIN(as, before);

	CHECK(paging_map(&as, USER_VA, 0, 2 * MIB, RW | MAP_SIZE_4K) == 0);
	CHECK_OK(translates(&as, USER_VA + MIB, MIB, PAGE_SIZE, RW));
	CHECK(as.table_pages == 4);
	CHECK(paging_map(&as, USER_VA + GIB, 0, GIB, RW | MAP_SIZE_2M) == 0);
	CHECK_OK(translates(&as, USER_VA + GIB + 6 * MIB, 6 * MIB, 2 * MIB, RW));
	CHECK(paging_map(&as, USER_VA + 2 * GIB, 0, GIB, RW | MAP_SIZE_1G) == 0);
	CHECK_OK(translates(&as, USER_VA + 2 * GIB + 6 * MIB, 6 * MIB, GIB, RW));
	/* A forced size needs everything aligned to it. */
	CHECK(paging_map(&as, USER_VA + 4 * GIB + PAGE_SIZE, 0, 2 * MIB, MAP_SIZE_2M) == -EINVAL);
	CHECK(paging_map(&as, USER_VA + 4 * GIB, PAGE_SIZE, 2 * MIB, MAP_SIZE_2M) == -EINVAL);
	CHECK(paging_map(&as, USER_VA + 4 * GIB, 0, 3 * MIB, MAP_SIZE_2M) == -EINVAL);
	CHECK(paging_map(&as, USER_VA + 4 * GIB, 0, 2 * MIB, MAP_SIZE_1G) == -EINVAL);
	CHECK(paging_map(&as, USER_VA + 4 * GIB, 0, GIB, MAP_SIZE_1G | MAP_SIZE_2M) == -EINVAL);
	CHECK(paging_unmap(&as, USER_VA, 3 * GIB) == 0 && as.table_pages == 1);
	return end_test(&as, before);
}

/* ---- bad arguments ----------------------------------------------------- */

static const char *test_bad_arguments(void)
{
	static const struct {
		virt_addr_t va;
		phys_addr_t pa;
		uint64_t size;
		unsigned flags;
	} bad[] = {
		{USER_VA + 8, 0, PAGE_SIZE, 0},                    /* va misaligned */
		{USER_VA, 8, PAGE_SIZE, 0},                        /* pa misaligned */
		{USER_VA, 0, PAGE_SIZE + 8, 0},                    /* size misaligned */
		{USER_VA, 0, 0, 0},                                /* size 0 */
		{0x0000800000000000ull, 0, PAGE_SIZE, 0},         /* non-canonical */
		{0x00007ffffffff000ull, 0, 2 * PAGE_SIZE, 0},     /* ends in the hole */
		{0x00007ffffffff000ull, 0, 0xffff000000002000ull, 0}, /* crosses the hole */
		{0xfffffffffffff000ull, 0, 2 * PAGE_SIZE, 0},     /* wraps past 2^64 */
		{USER_VA, (1ull << 52) - PAGE_SIZE, 2 * PAGE_SIZE, 0}, /* beyond 2^52 */
		{USER_VA, 0, PAGE_SIZE, MAP_UNCACHED | MAP_WRITE_THROUGH}, /* two cache types */
		{USER_VA, 0, PAGE_SIZE, 1u << 20},                 /* unknown flag */
	};
	BEGIN(as, before);
	uint64_t free_now = buddy_free_pages();

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int err = paging_map(&as, bad[i].va, bad[i].pa, bad[i].size, bad[i].flags);
		CHECKF(err == -EINVAL, "case %zu: map returned %d", i, err);
		if (bad[i].flags || bad[i].pa) /* not a range problem */
			continue;
		CHECKF(paging_unmap(&as, bad[i].va, bad[i].size) == -EINVAL, "case %zu: unmap", i);
		CHECKF(paging_protect(&as, bad[i].va, bad[i].size, 0) == -EINVAL,
		       "case %zu: protect", i);
	}
	CHECK(paging_protect(&as, USER_VA, PAGE_SIZE, MAP_REPLACE) == -EINVAL);
	CHECKF(as.table_pages == 1 && buddy_free_pages() == free_now,
	       "bad arguments allocated %lu table pages", as.table_pages - 1);
	struct paging_translation t;
	struct paging_walk w;
	CHECK(paging_translate(&as, 0x0000900000000000ull, &t) == -EINVAL);
	CHECK(paging_walk(&as, 0x0000900000000000ull, &w) == -EINVAL);

	/* The very last page of the address space is a good range (it ends at 2^64). */
	CHECK(paging_map(&as, 0xfffffffffffff000ull, 0x5000, PAGE_SIZE, RW) == 0);
	CHECK_OK(translates(&as, 0xffffffffffffffffull, 0x5fff, PAGE_SIZE, RW));
	struct runs runs;
	runs_take(&as, PAGING_KERNEL_HALF, 0, &runs);
	CHECK_OK(run_is(&runs, 0, 0xfffffffffffff000ull, 0, 0x5000, PAGE_SIZE, RW));
	CHECK(paging_unmap(&as, 0xfffffffffffff000ull, PAGE_SIZE) == 0);
	CHECK(unmapped(&as, 0xfffffffffffff000ull));
	return end_test(&as, before);
}

/* ---- W^X ---------------------------------------------------------------- */

static const char *test_write_xor_execute(void)
{
	static const unsigned wx[] = {
		MAP_WRITE | MAP_EXEC,
		MAP_WRITE | MAP_EXEC | MAP_USER | MAP_GLOBAL,
		MAP_WRITE | MAP_EXEC | MAP_WRITE_COMBINE,
	};
	BEGIN(as, before);
	struct paging_translation t;

	/* Refused before anything changes: no table allocated, nothing mapped. */
	for (size_t i = 0; i < sizeof(wx) / sizeof(wx[0]); i++) {
		CHECK_RET(paging_map(&as, USER_VA, 0x100000, PAGE_SIZE, wx[i]), -EPERM);
		CHECK_RET(paging_map(&as, USER_VA, 0, 2 * MIB, wx[i] | MAP_SIZE_2M), -EPERM);
		CHECKF(as.table_pages == 1 && unmapped(&as, USER_VA),
		       "a refused writable+executable map left %lu table pages (expected 1) and "
		       "the page %s", as.table_pages,
		       unmapped(&as, USER_VA) ? "unmapped" : "mapped");
	}
	/* Writable, or executable, is fine; so is read-only executable user code. */
	CHECK_RET(paging_map(&as, USER_VA, 0x100000, PAGE_SIZE, RW), 0);
	CHECK_RET(paging_map(&as, USER_VA + PAGE_SIZE, 0x101000, PAGE_SIZE, MAP_EXEC | MAP_USER),
		  0);
	/* MAP_REPLACE cannot turn a writable page into a writable and executable one. */
	CHECK_RET(paging_map(&as, USER_VA, 0x100000, PAGE_SIZE, RW | MAP_EXEC | MAP_REPLACE),
		  -EPERM);
	CHECK_OK(translates(&as, USER_VA, 0x100000, PAGE_SIZE, RW));
	/* protect: W+X refused and nothing changed; W, then X, one at a time, is fine. */
	CHECK_RET(paging_protect(&as, USER_VA, 2 * PAGE_SIZE, RW | MAP_EXEC), -EPERM);
	CHECK_OK(translates(&as, USER_VA, 0x100000, PAGE_SIZE, RW));
	CHECK_OK(translates(&as, USER_VA + PAGE_SIZE, 0x101000, PAGE_SIZE, MAP_EXEC | MAP_USER));
	CHECK_RET(paging_protect(&as, USER_VA, 2 * PAGE_SIZE, MAP_EXEC), 0);
	CHECK_RET(paging_protect(&as, USER_VA, 2 * PAGE_SIZE, RW), 0);
	CHECK(paging_translate(&as, USER_VA + PAGE_SIZE, &t) == 0);
	CHECKF((t.entry & PTE_WRITABLE) && (t.entry & PTE_NX),
	       "a writable page's entry 0x%lx lacks NX (bit 63)", t.entry);
	/* Bad arguments stay -EINVAL, whatever the flags. */
	CHECK_RET(paging_map(&as, USER_VA + 8, 0, PAGE_SIZE, RW | MAP_EXEC), -EINVAL);
	CHECK_RET(paging_map(&as, USER_VA, 8, PAGE_SIZE, RW | MAP_EXEC), -EINVAL);
	CHECK(paging_unmap(&as, USER_VA, 2 * PAGE_SIZE) == 0);
	return end_test(&as, before);
}

/* ---- overlap and replace ----------------------------------------------- */

static const char *test_overlap(void)
{
	static const struct {
		int64_t offset; /* from USER_VA + 64 KiB, where [0, 16 KiB) is mapped */
		uint64_t size;
		int expected;
	} cases[] = {
		{0, 16 * KIB, -EEXIST},            /* exact */
		{4 * KIB, 4 * KIB, -EEXIST},       /* contained */
		{-4 * (int64_t)KIB, 24 * KIB, -EEXIST}, /* containing */
		{-4 * (int64_t)KIB, 8 * KIB, -EEXIST},  /* overlaps the start */
		{12 * KIB, 8 * KIB, -EEXIST},      /* overlaps the end */
		{16 * KIB, 4 * KIB, 0},            /* adjacent after */
		{-4 * (int64_t)KIB, 4 * KIB, 0},   /* adjacent before */
	};
	BEGIN(as, before);
	virt_addr_t base = USER_VA + 64 * KIB;

	CHECK(paging_map(&as, base, 0x100000, 16 * KIB, RW) == 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t tables = as.table_pages;
		int err = paging_map(&as, base + cases[i].offset, 0x900000, cases[i].size, 0);
		CHECKF(err == cases[i].expected, "case %zu: map returned %d", i, err);
		CHECK(err == 0 || as.table_pages == tables);
		CHECK_OK(translates(&as, base, 0x100000, PAGE_SIZE, RW));
		CHECK_OK(translates(&as, base + 12 * KIB, 0x103000, PAGE_SIZE, RW));
	}
	/* A 4 KiB request inside a 2 MiB page overlaps it too. */
	CHECK(paging_map(&as, USER_VA + 2 * MIB, 0, 2 * MIB, RW) == 0);
	CHECK(paging_map(&as, USER_VA + 3 * MIB, 0, PAGE_SIZE, RW) == -EEXIST);
	CHECK(paging_unmap(&as, USER_VA, 4 * MIB) == 0 && as.table_pages == 1);
	return end_test(&as, before);
}

static const char *test_replace(void)
{
	BEGIN(as, before);

	/* Same size: new address and flags. */
	CHECK(paging_map(&as, USER_VA, 0x100000, 8 * KIB, RW) == 0);
	CHECK(paging_map(&as, USER_VA, 0x300000, 8 * KIB, MAP_REPLACE | MAP_EXEC) == 0);
	CHECK_OK(translates(&as, USER_VA + PAGE_SIZE, 0x301000, PAGE_SIZE, MAP_EXEC));

	/* A 2 MiB page over 4 KiB pages: their page table goes. */
	CHECKF(as.table_pages == 4, "%lu table pages for two 4 KiB pages, expected 4",
	       as.table_pages);
	CHECK_RET(paging_map(&as, USER_VA, 4 * MIB, 2 * MIB, RW | MAP_REPLACE | MAP_SIZE_2M), 0);
	CHECKF(as.table_pages == 3,
	       "%lu table pages after a 2 MiB page replaced a page table, expected 3 (one 2 MiB "
	       "page, its page table freed)", as.table_pages);
	CHECK_OK(translates(&as, USER_VA + PAGE_SIZE, 4 * MIB + PAGE_SIZE, 2 * MIB, RW));

	/* A 1 GiB page over a page directory with a page table below it. */
	CHECK(paging_map(&as, USER_VA + 8 * MIB, 0, PAGE_SIZE, RW) == 0);
	CHECK(as.table_pages == 4);
	CHECK_RET(paging_map(&as, USER_VA, 8 * GIB, GIB, MAP_REPLACE | MAP_SIZE_1G), 0);
	CHECKF(as.table_pages == 2,
	       "%lu table pages after a 1 GiB page replaced a page directory, expected 2",
	       as.table_pages);
	CHECK_OK(translates(&as, USER_VA + 8 * MIB, 8 * GIB + 8 * MIB, GIB, 0));

	/* 4 KiB into a 1 GiB page: split twice, the rest keeps its translation. */
	CHECK_RET(paging_map(&as, USER_VA + 5 * MIB, 0x7000, PAGE_SIZE, RW | MAP_REPLACE), 0);
	CHECK_OK(translates(&as, USER_VA + 5 * MIB, 0x7000, PAGE_SIZE, RW));
	CHECK_OK(translates(&as, USER_VA + 5 * MIB + PAGE_SIZE, 8 * GIB + 5 * MIB + PAGE_SIZE,
			    PAGE_SIZE, 0));
	CHECK_OK(translates(&as, USER_VA + 900 * MIB, 8 * GIB + 900 * MIB, 2 * MIB, 0));
	CHECK_OK(check_tables(&as));
	CHECK(paging_unmap(&as, USER_VA, GIB) == 0 && as.table_pages == 1);
	return end_test(&as, before);
}

/*
 * One 4 KiB page into tables that exist (paging_map's short way, what page
 * faults take) must behave as the general path: -EEXIST changes nothing,
 * MAP_REPLACE swaps the leaf and invalidates exactly that page when the
 * space is current, a table's count of present entries stays right.
 */
static const char *test_one_page_existing_tables(void)
{
	BEGIN(as, before);
	struct paging_walk w;

	host_current_root = as.pml4;
	CHECK(paging_map(&as, USER_VA, 0x100000, PAGE_SIZE, RW) == 0); /* makes the tables */
	uint64_t tables = as.table_pages;
	tlb_counters_reset();
	CHECK(paging_map(&as, USER_VA + PAGE_SIZE, 0x101000, PAGE_SIZE, RW) == 0);
	CHECK(as.table_pages == tables && host_invalidated_pages == 0); /* nothing was present */
	CHECK_RET(paging_map(&as, USER_VA + PAGE_SIZE, 0x555000, PAGE_SIZE, 0), -EEXIST);
	CHECK_OK(translates(&as, USER_VA + PAGE_SIZE, 0x101000, PAGE_SIZE, RW));
	CHECK(host_invalidated_pages == 0);
	CHECK_RET(paging_map(&as, USER_VA + PAGE_SIZE, 0x202000, PAGE_SIZE, MAP_REPLACE), 0);
	CHECK_OK(translates(&as, USER_VA + PAGE_SIZE, 0x202000, PAGE_SIZE, 0));
	CHECKF(host_invalidated_pages == 1 && host_tlb_flushes == 0,
	       "replacing one present page: %lu invlpg, %lu flushes, expected 1 invlpg",
	       host_invalidated_pages, host_tlb_flushes);
	host_current_root = 0; /* another space's page: nothing to invalidate */
	tlb_counters_reset();
	CHECK_RET(paging_map(&as, USER_VA + PAGE_SIZE, 0x303000, PAGE_SIZE, MAP_REPLACE | RW), 0);
	CHECK(host_invalidated_pages == 0);
	CHECK(as.table_pages == tables);
	/* The page table counts its two present entries: unmapping both frees it. */
	CHECK(paging_unmap(&as, USER_VA, PAGE_SIZE) == 0 && as.table_pages == tables);
	CHECK(paging_unmap(&as, USER_VA + PAGE_SIZE, PAGE_SIZE) == 0);
	CHECKF(as.table_pages == 1, "%lu table pages left, expected only the PML4",
	       as.table_pages);
	CHECK(paging_walk(&as, USER_VA, &w) == 0 && !w.mapped);
	return end_test(&as, before);
}

/* ---- splitting --------------------------------------------------------- */

static const char *test_split_2m_by_unmap(void)
{
	BEGIN(as, before);
	phys_addr_t pa = 0x80000000;
	unsigned flags = RW | MAP_USER | MAP_GLOBAL;
	uint64_t splits = paging_stats_total().splits;

	/* MAP_SIZE_2M: a 2 MiB page whatever the page size choice does */
	CHECK_RET(paging_map(&as, USER_VA, pa, 2 * MIB, flags | MAP_SIZE_2M), 0);
	CHECK_OK(translates(&as, USER_VA, pa, 2 * MIB, flags));
	CHECK_RET(paging_unmap(&as, USER_VA + 7 * PAGE_SIZE, PAGE_SIZE), 0);
	CHECKF(paging_stats_total().splits == splits + 1 && as.table_pages == 4,
	       "unmapping a 4 KiB page of a 2 MiB page: %lu split(s), %lu table pages; expected "
	       "1 split, 4 table pages (PML4, PDPT, PD and the new page table)",
	       paging_stats_total().splits - splits, as.table_pages);
	CHECKF(unmapped(&as, USER_VA + 7 * PAGE_SIZE), "the unmapped page still translates");
	for (unsigned i = 0; i < PT_ENTRIES; i++)
		if (i != 7)
			CHECK_OK(translates(&as, USER_VA + i * PAGE_SIZE, pa + i * PAGE_SIZE,
					    PAGE_SIZE, flags));
	CHECK_OK(check_tables(&as));
	CHECK(paging_unmap(&as, USER_VA, 2 * MIB) == 0 && as.table_pages == 1);
	return end_test(&as, before);
}

static const char *test_split_by_protect(void)
{
	BEGIN(as, before);
	phys_addr_t pa = 0x80000000;

	CHECK_RET(paging_map(&as, USER_VA, pa, 2 * MIB, RW | MAP_SIZE_2M), 0);
	CHECK_RET(paging_protect(&as, USER_VA + MIB, 2 * PAGE_SIZE, MAP_EXEC), 0);
	CHECK_OK(translates(&as, USER_VA + MIB, pa + MIB, PAGE_SIZE, MAP_EXEC));
	CHECK_OK(translates(&as, USER_VA + MIB + PAGE_SIZE, pa + MIB + PAGE_SIZE, PAGE_SIZE,
			    MAP_EXEC));
	CHECK_OK(translates(&as, USER_VA + MIB + 2 * PAGE_SIZE, pa + MIB + 2 * PAGE_SIZE,
			    PAGE_SIZE, RW));
	CHECK_OK(translates(&as, USER_VA, pa, PAGE_SIZE, RW));
	/* A whole huge page changes in place, without a split. */
	CHECK_RET(paging_map(&as, USER_VA + 2 * MIB, pa, 2 * MIB, RW | MAP_SIZE_2M), 0);
	uint64_t splits = paging_stats_total().splits;
	CHECK_RET(paging_protect(&as, USER_VA + 2 * MIB, 2 * MIB, MAP_USER | MAP_UNCACHED), 0);
	CHECKF(paging_stats_total().splits == splits, "protecting a whole 2 MiB page split it (%lu splits)",
	       paging_stats_total().splits - splits);
	CHECK_OK(translates(&as, USER_VA + 3 * MIB, pa + MIB, 2 * MIB, MAP_USER | MAP_UNCACHED));
	/* A hole in the range: -ENOENT and nothing changed. */
	CHECK_RET(paging_protect(&as, USER_VA + 3 * MIB, 2 * MIB, RW), -ENOENT);
	CHECK_OK(translates(&as, USER_VA + 3 * MIB, pa + MIB, 2 * MIB, MAP_USER | MAP_UNCACHED));
	CHECK_OK(check_tables(&as));
	CHECK(paging_unmap(&as, USER_VA, 4 * MIB) == 0 && as.table_pages == 1);
	return end_test(&as, before);
}

static const char *test_split_1g(void)
{
	BEGIN(as, before);
	phys_addr_t pa = 5 * GIB;
	uint64_t splits = paging_stats_total().splits;

	CHECK_RET(paging_map(&as, USER_VA, pa, GIB, RW | MAP_SIZE_1G), 0);
	CHECK_OK(translates(&as, USER_VA, pa, GIB, RW));
	CHECK_RET(paging_unmap(&as, USER_VA + 300 * MIB + 5 * PAGE_SIZE, PAGE_SIZE), 0);
	CHECKF(paging_stats_total().splits == splits + 2 && as.table_pages == 4,
	       "unmapping a 4 KiB page of a 1 GiB page: %lu split(s), %lu table pages; expected "
	       "2 splits (1 GiB -> 2 MiB -> 4 KiB), 4 table pages", paging_stats_total().splits - splits,
	       as.table_pages);
	CHECKF(unmapped(&as, USER_VA + 300 * MIB + 5 * PAGE_SIZE),
	       "the unmapped page still translates");
	CHECK_OK(translates(&as, USER_VA + 300 * MIB + 4 * PAGE_SIZE,
			    pa + 300 * MIB + 4 * PAGE_SIZE, PAGE_SIZE, RW));
	CHECK_OK(translates(&as, USER_VA + 302 * MIB, pa + 302 * MIB, 2 * MIB, RW));
	CHECK_OK(translates(&as, USER_VA + GIB - 1, pa + GIB - 1, 2 * MIB, RW));
	CHECK_OK(translates(&as, USER_VA, pa, 2 * MIB, RW));
	/* Unmapping a whole 2 MiB piece of it needs no page table. */
	CHECK_RET(paging_unmap(&as, USER_VA + 600 * MIB, 2 * MIB), 0);
	CHECKF(unmapped(&as, USER_VA + 601 * MIB) && as.table_pages == 4,
	       "unmapping a whole 2 MiB piece: %lu table pages, expected 4", as.table_pages);
	CHECK_OK(check_tables(&as));
	CHECK(paging_unmap(&as, USER_VA, GIB) == 0 && as.table_pages == 1);
	return end_test(&as, before);
}

static const char *test_pat_bits_split(void)
{
	BEGIN(as, before);
	phys_addr_t pa = 0x80000000;
	struct paging_translation t;

	/* 2 MiB write-through: PAT at bit 12; split into 4 KiB pages: PAT at bit 7. */
	CHECK_RET(paging_map(&as, USER_VA, pa, 2 * MIB, MAP_WRITE_THROUGH | MAP_SIZE_2M), 0);
	CHECK(paging_translate(&as, USER_VA, &t) == 0);
	pte_t huge_wt = PTE_PAT_HUGE | PTE_HUGE | PTE_PWT;
	CHECKF((t.entry & huge_wt) == huge_wt,
	       "2 MiB write-through entry 0x%lx, expected PS, PAT at bit 12 and PWT set", t.entry);
	CHECK_RET(paging_unmap(&as, USER_VA + 2 * PAGE_SIZE, PAGE_SIZE), 0);
	for (unsigned i = 0; i < 4; i++) {
		if (i == 2)
			continue;
		/* odd pages have address bit 12 set: the PAT bit must not leak into it */
		CHECK_OK(translates(&as, USER_VA + i * PAGE_SIZE, pa + i * PAGE_SIZE, PAGE_SIZE,
				    MAP_WRITE_THROUGH));
		CHECK(paging_translate(&as, USER_VA + i * PAGE_SIZE, &t) == 0);
		CHECKF((t.entry & ~PTE_ADDR_MASK & ~PTE_NX) == (PTE_PRESENT | PTE_PAT | PTE_PWT),
		       "4 KiB write-through entry 0x%lx after the split, expected the flag bits "
		       "P, PWT and PAT at bit 7 (0x89) and the address 0x%lx", t.entry,
		       pa + i * PAGE_SIZE);
	}
	/* 1 GiB write-through split into 2 MiB pages: PAT stays at bit 12. */
	CHECK_RET(paging_map(&as, USER_VA + GIB, 3 * GIB, GIB, MAP_WRITE_THROUGH | MAP_SIZE_1G), 0);
	CHECK_RET(paging_protect(&as, USER_VA + GIB, 2 * MIB, MAP_WRITE_COMBINE), 0);
	CHECK_OK(translates(&as, USER_VA + GIB, 3 * GIB, 2 * MIB, MAP_WRITE_COMBINE));
	CHECK_OK(translates(&as, USER_VA + GIB + 2 * MIB, 3 * GIB + 2 * MIB, 2 * MIB,
			    MAP_WRITE_THROUGH));
	CHECK(paging_translate(&as, USER_VA + GIB + 2 * MIB, &t) == 0);
	CHECKF((t.entry & huge_wt) == huge_wt,
	       "2 MiB write-through entry 0x%lx from a 1 GiB split: PAT must stay at bit 12",
	       t.entry);
	CHECK(paging_translate(&as, USER_VA + GIB, &t) == 0);
	CHECKF((t.entry & (PTE_PAT_HUGE | PTE_PCD | PTE_PWT)) == PTE_PWT,
	       "2 MiB write-combining entry 0x%lx, expected PWT only of PWT, PCD, PAT", t.entry);
	CHECK(paging_unmap(&as, USER_VA, 2 * GIB) == 0 && as.table_pages == 1);
	return end_test(&as, before);
}

/* ---- table pages: dirty frames, -ENOMEM --------------------------------- */

/* Allocate every free page onto list (ALLOC_RESERVE); returns how many. */
static uint64_t take_all_pages(struct list_node *list)
{
	struct page *page;
	uint64_t n = 0;

	list_init(list);
	while ((page = alloc_page(ALLOC_RESERVE | ALLOC_NO_SHRINK))) {
		list_add_tail(list, &page->list);
		n++;
	}
	return n;
}

/* Free up to n pages of list (all with n = UINT64_MAX). */
static void give_back(struct list_node *list, uint64_t n)
{
	while (n-- && !list_empty(list)) {
		struct page *page = list_first_entry(list, struct page, list);
		list_remove(&page->list);
		MUST_SUCCEED(free_page(page), "give_back: a page the test allocated");
	}
}

static const char *test_dirty_frames(void)
{
	BEGIN(as, before);
	struct list_node all;
	struct page *page;

	take_all_pages(&all);
	list_for_each_entry(page, &all, list)
		memset(page_address(page), 0xff, PAGE_SIZE);
	give_back(&all, UINT64_MAX);

	CHECK(paging_map(&as, USER_VA + 0x12345000, 0x1000, PAGE_SIZE, RW) == 0);
	struct runs runs;
	runs_take(&as, 0, 0, &runs);
	CHECKF(runs.count == 1, "%u mapped runs in a space with one page", runs.count);
	CHECK(unmapped(&as, USER_VA + 0x12346000) && unmapped(&as, USER_VA + 0x12545000));
	CHECK(unmapped(&as, USER_VA + 0x52345000) && unmapped(&as, 0));
	CHECK_OK(check_tables(&as));
	CHECK(paging_unmap(&as, USER_VA + 0x12345000, PAGE_SIZE) == 0);
	return end_test(&as, before);
}

static const char *test_enomem_rollback(void)
{
	BEGIN(as, before);
	/* 16 KiB across a 1 GiB boundary: PDPT, then PD and PT on each side: 5 tables. */
	virt_addr_t va = USER_VA + GIB - 8 * KIB;
	struct list_node held;

	for (uint64_t k = 0; k <= 5; k++) {
		uint64_t free_before = buddy_free_pages();
		take_all_pages(&held);
		give_back(&held, k);
		int err = paging_map(&as, va, 0x100000, 16 * KIB, RW);
		uint64_t tables = as.table_pages;
		bool any_mapped = false;
		for (uint64_t off = 0; off < 16 * KIB; off += PAGE_SIZE)
			any_mapped |= !unmapped(&as, va + off);
		if (err == 0)
			CHECK(paging_unmap(&as, va, 16 * KIB) == 0);
		give_back(&held, UINT64_MAX);
		CHECKF(err == (k < 5 ? -ENOMEM : 0), "with %lu free pages, map returned %d", k,
		       err);
		CHECKF(k == 5 || (!any_mapped && tables == 1),
		       "with %lu free pages: %lu table pages, mapped: %d", k, tables, any_mapped);
		CHECKF(buddy_free_pages() == free_before, "with %lu free pages: %ld pages lost", k,
		       (long)(free_before - buddy_free_pages()));
	}

	/* A failed MAP_REPLACE leaves the old mapping whole. */
	CHECK_RET(paging_map(&as, USER_VA, 0x80000000, 2 * MIB, RW | MAP_SIZE_2M), 0);
	take_all_pages(&held);
	int err = paging_map(&as, USER_VA + PAGE_SIZE, 0x5000, PAGE_SIZE, MAP_REPLACE);
	int unmap_err = paging_unmap(&as, USER_VA + PAGE_SIZE, PAGE_SIZE);
	int protect_err = paging_protect(&as, USER_VA + PAGE_SIZE, PAGE_SIZE, 0);
	give_back(&held, UINT64_MAX);
	CHECKF(err == -ENOMEM && unmap_err == -ENOMEM && protect_err == -ENOMEM,
	       "no free page to split a 2 MiB page: map, unmap and protect returned %d, %d, %d; "
	       "expected -ENOMEM (-12) from each", err, unmap_err, protect_err);
	CHECK_OK(translates(&as, USER_VA + PAGE_SIZE, 0x80001000, 2 * MIB, RW));
	CHECK(paging_unmap(&as, USER_VA, 2 * MIB) == 0);
	return end_test(&as, before);
}

/* ---- TLB --------------------------------------------------------------- */

static const char *test_tlb_counts(void)
{
	BEGIN(as, before);
	uint64_t invlpg = paging_stats_total().invlpg, flushes = paging_stats_total().full_flushes;

	host_current_root = as.pml4;
	CHECK(paging_map(&as, USER_VA, 0, 100 * PAGE_SIZE, RW) == 0);
	CHECK(host_invalidated_pages == 0 && host_tlb_flushes == 0); /* nothing was present */
	CHECK(paging_unmap(&as, USER_VA, 10 * PAGE_SIZE) == 0);
	CHECKF(host_invalidated_pages == 10 && host_tlb_flushes == 0,
	       "10 pages: %lu invlpg, %lu flushes", host_invalidated_pages, host_tlb_flushes);
	CHECK(paging_stats_total().invlpg == invlpg + 10);
	tlb_counters_reset();
	CHECK(paging_protect(&as, USER_VA + 10 * PAGE_SIZE, PAGE_SIZE * 33, 0) == 0);
	CHECK(host_invalidated_pages == 33 && host_tlb_flushes == 0); /* the threshold */
	tlb_counters_reset();
	CHECK(paging_unmap(&as, USER_VA + 10 * PAGE_SIZE, 90 * PAGE_SIZE) == 0);
	CHECKF(host_invalidated_pages == 0 && host_tlb_flushes == 1 && host_global_flushes == 0,
	       "90 pages: %lu invlpg, %lu flushes", host_invalidated_pages, host_tlb_flushes);
	CHECK(paging_stats_total().full_flushes == flushes + 1);

	/* A huge page is one invalidation. */
	CHECK(paging_map(&as, USER_VA, 0, 4 * MIB, RW) == 0);
	tlb_counters_reset();
	CHECK(paging_unmap(&as, USER_VA, 4 * MIB) == 0);
	CHECKF(host_invalidated_pages == 2 && host_tlb_flushes == 0,
	       "unmapping 4 MiB mapped at 2 MiB aligned va and pa: %lu invlpg, %lu flushes; "
	       "expected 2 invlpg, one per 2 MiB page", host_invalidated_pages, host_tlb_flushes);

	/* Not the current space, user half: nothing to invalidate. */
	host_current_root = 0;
	CHECK(paging_map(&as, USER_VA, 0, 100 * PAGE_SIZE, RW) == 0);
	tlb_counters_reset();
	CHECK(paging_unmap(&as, USER_VA, 100 * PAGE_SIZE) == 0);
	CHECK(host_invalidated_pages == 0 && host_tlb_flushes == 0);

	/* The kernel half is in every space: invalidated anyway, globals included. */
	CHECK(paging_map(&as, KERNEL_VA, 0, 100 * PAGE_SIZE, RW | MAP_GLOBAL) == 0);
	CHECK(paging_unmap(&as, KERNEL_VA, 2 * PAGE_SIZE) == 0);
	CHECK(host_invalidated_pages == 2);
	CHECK(paging_unmap(&as, KERNEL_VA, 100 * PAGE_SIZE) == 0);
	CHECK(host_tlb_flushes == 1 && host_global_flushes == 1);
	return end_test(&as, before);
}

/* ---- PCIDs -------------------------------------------------------------- */

static const char *test_pcid(void)
{
	struct pcid_pool pool = PCID_POOL_INIT;
	struct address_space a = {0}, b = {0}, c = {0};
	unsigned flushes = 0;

	/* In order from 1; a space keeps its PCID, and the pool does not move. */
	CHECKF(!paging_pcid_assign(&pool, &a) && a.pcid == 1,
	       "first space got PCID %u, expected 1 (0 is the kernel's)", a.pcid);
	CHECKF(!paging_pcid_assign(&pool, &b) && b.pcid == 2,
	       "second space got PCID %u, expected 2", b.pcid);
	CHECKF(!paging_pcid_assign(&pool, &a) && a.pcid == 1,
	       "a space with PCID 1 was given %u on its next switch: it must keep it", a.pcid);
	CHECKF(!paging_pcid_assign(&pool, &c) && c.pcid == 3,
	       "third space got PCID %u, expected 3 (the pool moved for a space that had one?)",
	       c.pcid);
	/* Use up the rest: 4, ..., 4095 without a flush; then start over at 1, with one. */
	for (unsigned want = 4; want <= PCID_MAX; want++) {
		struct address_space s = {0};
		bool flush = paging_pcid_assign(&pool, &s);
		CHECKF(!flush && s.pcid == want, "space %u got PCID %u%s, expected %u without a "
		       "flush", want, s.pcid, flush ? " and asked for a flush" : "", want);
	}
	for (unsigned n = 0; n < 2 * PCID_MAX; n++) {
		struct address_space s = {0};
		bool flush = paging_pcid_assign(&pool, &s);
		unsigned want = n % PCID_MAX + 1;
		flushes += flush;
		CHECKF(s.pcid == want && flush == (want == 1),
		       "after %u more spaces: PCID %u (expected %u), flush %s (expected only when "
		       "starting over at 1)", n, s.pcid, want, flush ? "asked" : "not asked");
	}
	CHECKF(flushes == 2, "%u flushes in two more rounds of 4095 PCIDs, expected 2", flushes);
	return NULL;
}

/* ---- walk and ranges --------------------------------------------------- */

static const char *test_walk(void)
{
	BEGIN(as, before);
	struct paging_walk w;
	virt_addr_t va = USER_VA + 0x12345000;

	int err = paging_walk(&as, va, &w);
	CHECKF(err == 0, "paging_walk of an unmapped address returned %d; expected 0 and the "
	       "walk recorded", err);
	CHECKF(w.levels == 1 && !w.mapped && strcmp(w.stop, "not present") == 0,
	       "walk of 0x%lx in an empty space: %d levels, stop \"%s\"; expected 1 level (the "
	       "PML4 entry is not present), stop \"not present\"", va, w.levels, w.stop);
	CHECKF(w.level[0].table == as.pml4 && w.level[0].index == pt_index(va, PML4_SHIFT) &&
	       strcmp(w.level[0].name, "PML4") == 0, "level 0 should be the PML4 at 0x%lx, index "
	       "%u (bits 47-39 of va); it is %s at 0x%lx, index %u", as.pml4,
	       pt_index(va, PML4_SHIFT), w.level[0].name, w.level[0].table, w.level[0].index);

	CHECK(paging_map(&as, va, 0x777000, PAGE_SIZE, RW) == 0);
	CHECK(paging_walk(&as, va, &w) == 0);
	CHECKF(w.levels == 4 && w.mapped && strcmp(w.stop, "4 KiB page") == 0,
	       "walk of a 4 KiB mapping: %d levels, stop \"%s\"; expected 4, \"4 KiB page\"",
	       w.levels, w.stop);
	static const char *const names[] = {"PML4", "PDPT", "PD", "PT"};
	unsigned index[] = {(unsigned)(va >> 39) & 511, (unsigned)(va >> 30) & 511,
			    (unsigned)(va >> 21) & 511, (unsigned)(va >> 12) & 511};
	for (int l = 0; l < 4; l++) {
		CHECKF(strcmp(w.level[l].name, names[l]) == 0 && w.level[l].index == index[l],
		       "level %d should be %s, index %u; it is %s, index %u", l, names[l],
		       index[l], w.level[l].name, w.level[l].index);
		if (l > 0)
			CHECKF(w.level[l].table == (w.level[l - 1].entry & PTE_ADDR_MASK),
			       "the %s table should be the one the %s entry points to (0x%lx); it is "
			       "0x%lx", names[l], names[l - 1],
			       (phys_addr_t)(w.level[l - 1].entry & PTE_ADDR_MASK), w.level[l].table);
	}
	CHECK((w.level[3].entry & PTE_ADDR_MASK) == 0x777000);
	CHECK(paging_walk(&as, va + PAGE_SIZE, &w) == 0);
	CHECKF(w.levels == 4 && !w.mapped && strcmp(w.stop, "not present") == 0,
	       "walk of the unmapped page after a 4 KiB mapping: %d levels, stop \"%s\"; "
	       "expected 4 (its PT entry is not present), \"not present\"", w.levels, w.stop);

	CHECK(paging_map(&as, USER_VA + GIB + 2 * MIB, 0, 2 * MIB, 0) == 0);
	CHECK(paging_walk(&as, USER_VA + GIB + 3 * MIB, &w) == 0);
	CHECKF(w.levels == 3 && w.mapped && strcmp(w.stop, "2 MiB page") == 0,
	       "walk of a 2 MiB mapping: %d levels, stopped at \"%s\"; expected 3, \"2 MiB page\"",
	       w.levels, w.stop);
	CHECK(paging_map(&as, USER_VA + 2 * GIB, 0, GIB, 0) == 0);
	CHECK(paging_walk(&as, USER_VA + 2 * GIB, &w) == 0);
	CHECKF(w.levels == 2 && w.mapped && strcmp(w.stop, "1 GiB page") == 0,
	       "walk of a 1 GiB mapping: %d levels, stopped at \"%s\"; expected 2, \"1 GiB page\"",
	       w.levels, w.stop);

	/* PS in a PML4 entry is reserved: the walk stops there. */
	pte_t *pml4 = phys_to_virt(as.pml4);
	pml4[7] = PTE_PRESENT | PTE_HUGE;
	err = paging_walk(&as, 7ull << 39, &w);
	pml4[7] = 0;
	CHECKF(err == 0 && w.levels == 1 && !w.mapped && strcmp(w.stop, "reserved bits set") == 0,
	       "a PML4 entry with PS (reserved there) should stop the walk at level 1 with "
	       "\"reserved bits set\"; got %d levels, stop \"%s\"", w.levels, w.stop);
	CHECK(paging_unmap(&as, USER_VA, 3 * GIB) == 0);
	return end_test(&as, before);
}

static const char *test_for_each_range(void)
{
	BEGIN(as, before);
	struct runs runs;
	virt_addr_t va = USER_VA + 2 * MIB - 8 * PAGE_SIZE;

	/* 8 pages, then a 2 MiB page, contiguous in both spaces: two runs (page sizes). */
	CHECK(paging_map(&as, va, 0x1000000 - 8 * PAGE_SIZE, 8 * PAGE_SIZE + 2 * MIB, RW) == 0);
	runs_take(&as, 0, 0, &runs);
	CHECKF(runs.count == 2, "%u runs, expected 2 (8 pages of 4 KiB, then one of 2 MiB)",
	       runs.count);
	CHECK_OK(run_is(&runs, 0, va, va + 8 * PAGE_SIZE, 0x1000000 - 8 * PAGE_SIZE, PAGE_SIZE,
			RW));
	CHECK_OK(run_is(&runs, 1, USER_VA + 2 * MIB, USER_VA + 4 * MIB, 0x1000000, 2 * MIB, RW));

	/* Different flags in the middle: three runs. */
	CHECK(paging_protect(&as, va + 3 * PAGE_SIZE, PAGE_SIZE, 0) == 0);
	runs_take(&as, 0, USER_VA + 2 * MIB, &runs);
	CHECKF(runs.count == 3, "%u runs", runs.count);
	CHECK_OK(run_is(&runs, 1, va + 3 * PAGE_SIZE, va + 4 * PAGE_SIZE,
			0x1000000 - 5 * PAGE_SIZE, PAGE_SIZE, 0));
	/* A hole, then physically discontiguous: more runs. */
	CHECK(paging_unmap(&as, va + 5 * PAGE_SIZE, PAGE_SIZE) == 0);
	CHECK(paging_map(&as, va + 5 * PAGE_SIZE, 0x5000, PAGE_SIZE, RW) == 0);
	runs_take(&as, 0, USER_VA + 2 * MIB, &runs);
	CHECKF(runs.count == 5, "%u runs", runs.count);
	CHECK_OK(run_is(&runs, 3, va + 5 * PAGE_SIZE, va + 6 * PAGE_SIZE, 0x5000, PAGE_SIZE, RW));

	/* A range starting inside a run is clipped; fn returning false stops. */
	runs_take(&as, USER_VA + 3 * MIB, USER_VA + 3 * MIB + PAGE_SIZE, &runs);
	CHECK_OK(run_is(&runs, 0, USER_VA + 3 * MIB, USER_VA + 3 * MIB + PAGE_SIZE,
			0x1000000 + MIB, 2 * MIB, RW));
	CHECK(runs.count == 1);
	CHECK(paging_unmap(&as, USER_VA, 4 * MIB) == 0);
	runs_take(&as, 0, 0, &runs); /* the whole address space of an empty tree: quick */
	CHECK(runs.count == 0);
	return end_test(&as, before);
}

/*
 * paging_next_runs: runs clipped to [from, to) (a 2 MiB page that begins
 * before from moves its pa up with it), at most PAGING_RUN_BATCH per walk,
 * and going on from the last run's end finds the rest.
 */
static const char *test_next_runs(void)
{
	BEGIN(as, before);
	struct paging_run_batch batch;
	const unsigned n = PAGING_RUN_BATCH + 3;

	/* n single pages, each with a hole after it, then a 2 MiB page. */
	for (unsigned i = 0; i < n; i++)
		CHECK(paging_map(&as, USER_VA + 2 * i * PAGE_SIZE, 0x100000 + i * PAGE_SIZE,
				 PAGE_SIZE, RW) == 0);
	CHECK(paging_map(&as, USER_VA + 2 * MIB, 0x400000, 2 * MIB, RW) == 0);
	CHECK(paging_next_runs(&as, USER_VA, USER_VA + 4 * MIB, &batch) == PAGING_RUN_BATCH);
	CHECK(batch.count == PAGING_RUN_BATCH);
	for (unsigned i = 0; i < batch.count; i++)
		CHECKF(batch.runs[i].start == USER_VA + 2 * i * PAGE_SIZE &&
		       batch.runs[i].end == batch.runs[i].start + PAGE_SIZE &&
		       batch.runs[i].pa == 0x100000 + i * PAGE_SIZE,
		       "run %u is [0x%lx, 0x%lx) -> 0x%lx", i, batch.runs[i].start,
		       batch.runs[i].end, batch.runs[i].pa);
	/* Go on from the last run's end: the 3 pages left, then the huge page, clipped. */
	virt_addr_t from = batch.runs[batch.count - 1].end, to = USER_VA + 3 * MIB;
	CHECK(paging_next_runs(&as, from, to, &batch) == 4);
	CHECK(batch.runs[2].start == USER_VA + 2 * (n - 1) * PAGE_SIZE);
	CHECK(batch.runs[3].start == USER_VA + 2 * MIB && batch.runs[3].end == to &&
	      batch.runs[3].pa == 0x400000);
	/* From inside the huge page: start and pa move up together. */
	CHECK(paging_next_runs(&as, USER_VA + 3 * MIB, USER_VA + 3 * MIB + 2 * PAGE_SIZE,
			       &batch) == 1);
	CHECK(batch.runs[0].start == USER_VA + 3 * MIB &&
	      batch.runs[0].end == USER_VA + 3 * MIB + 2 * PAGE_SIZE &&
	      batch.runs[0].pa == 0x400000 + MIB);
	/* A hole: nothing. */
	CHECK(paging_next_runs(&as, USER_VA + PAGE_SIZE, USER_VA + 2 * PAGE_SIZE, &batch) == 0);
	CHECK(paging_unmap(&as, USER_VA, 4 * MIB) == 0);
	return end_test(&as, before);
}

/* ---- shared kernel half ------------------------------------------------ */

static const char *test_shared_kernel_half(void)
{
	BEGIN(kernel, before);

	CHECK(paging_map(&kernel, KERNEL_VA, 0x200000, 2 * MIB, RW | MAP_GLOBAL) == 0);
	uint64_t kernel_tables = kernel.table_pages;
	uint64_t free_before_user = buddy_free_pages();
	struct address_space user;
	CHECK(paging_create(&user, &kernel) == 0 && user.shares_kernel);
	CHECK_OK(translates(&user, KERNEL_VA + 4096, 0x201000, 2 * MIB, RW | MAP_GLOBAL));
	/* Changes to the kernel half go through the kernel's space, and all spaces see them. */
	CHECK(paging_map(&user, KERNEL_VA + GIB, 0, PAGE_SIZE, RW) == -EINVAL);
	CHECK(paging_unmap(&user, KERNEL_VA, PAGE_SIZE) == -EINVAL);
	CHECK(paging_protect(&user, KERNEL_VA, PAGE_SIZE, 0) == -EINVAL);
	CHECK(paging_map(&kernel, KERNEL_VA + GIB, 0, PAGE_SIZE, RW) == 0);
	CHECK_OK(translates(&user, KERNEL_VA + GIB, 0, PAGE_SIZE, RW));
	CHECK(paging_unmap(&kernel, KERNEL_VA + GIB, PAGE_SIZE) == 0);
	CHECK(unmapped(&user, KERNEL_VA + GIB));
	CHECK(paging_map(&user, USER_VA, 0, PAGE_SIZE, RW | MAP_USER) == 0);
	CHECK(unmapped(&kernel, USER_VA));
	paging_destroy(&user);
	CHECKF(buddy_free_pages() == free_before_user && kernel.table_pages == kernel_tables,
	       "destroying the user space freed %ld of the kernel's pages",
	       (long)(buddy_free_pages() - free_before_user));
	CHECK_OK(translates(&kernel, KERNEL_VA, 0x200000, 2 * MIB, RW | MAP_GLOBAL));

	/* An emptied kernel-half PDPT stays: other spaces have copies of its PML4 entry. */
	CHECK(paging_unmap(&kernel, KERNEL_VA, 2 * MIB) == 0);
	CHECK(kernel.table_pages == 2);
	CHECK_OK(check_tables(&kernel));
	return end_test(&kernel, before);
}

/* ---- random storm against a shadow model -------------------------------- */

#define STORM_OPS 10000
#define STORM_PAGES 2048                         /* an 8 MiB window... */
#define STORM_BASE (USER_VA + GIB - 4 * MIB)    /* ...across a 1 GiB boundary */

struct shadow_page {
	bool mapped;
	phys_addr_t pa;
	unsigned flags;
};

static struct shadow_page shadow[STORM_PAGES];

static const unsigned storm_flags[] = {
	0, RW, RW | MAP_USER, MAP_EXEC, RW | MAP_GLOBAL, MAP_UNCACHED, RW | MAP_WRITE_COMBINE,
	MAP_WRITE_THROUGH | MAP_USER,
};

/* A random range of the window: often small, sometimes 2 MiB aligned and long. */
static void storm_range(uint64_t *rng, uint64_t *first, uint64_t *count)
{
	if (random_below(rng, 4) == 0) {
		*first = random_below(rng, STORM_PAGES / 512) * 512;
		*count = 512 * (1 + random_below(rng, (STORM_PAGES - *first) / 512));
		if (random_below(rng, 2))
			*count -= random_below(rng, 3); /* not quite all of it */
	} else {
		*first = random_below(rng, STORM_PAGES);
		*count = 1 + random_below(rng, 64);
		if (*first + *count > STORM_PAGES)
			*count = STORM_PAGES - *first;
	}
}

static const char *storm_check_page(const struct address_space *as, uint64_t i)
{
	struct paging_translation t;
	int err = paging_translate(as, STORM_BASE + i * PAGE_SIZE, &t);

	if (!shadow[i].mapped) {
		CHECKF(err == -ENOENT, "page %lu should be unmapped (translate: %d)", i, err);
		return NULL;
	}
	CHECKF(err == 0 && t.pa == shadow[i].pa && t.flags == shadow[i].flags,
	       "page %lu: 0x%lx flags 0x%x (err %d), shadow says 0x%lx flags 0x%x", i, t.pa,
	       t.flags, err, shadow[i].pa, shadow[i].flags);
	return NULL;
}

static const char *test_storm(void)
{
	BEGIN(as, before);
	uint64_t rng = 0x9e3779b97f4a7c15ull;

	uint64_t splits = paging_stats_total().splits, refused = 0;

	memset(shadow, 0, sizeof(shadow));
	host_current_root = as.pml4;
	for (unsigned op = 0; op < STORM_OPS; op++) {
		uint64_t first, count, mapped = 0;
		storm_range(&rng, &first, &count);
		for (uint64_t i = first; i < first + count; i++)
			mapped += shadow[i].mapped;
		virt_addr_t va = STORM_BASE + first * PAGE_SIZE;
		uint64_t size = count * PAGE_SIZE;
		unsigned flags = storm_flags[random_below(&rng, 8)];
		uint64_t kind = random_below(&rng, 10);

		if (kind < 4) { /* map, maybe replacing; pa often as aligned as va */
			bool replace = random_below(&rng, 4) == 0;
			phys_addr_t pa = random_below(&rng, 2) ?
				(random_below(&rng, 256) << 21) + (va & (2 * MIB - 1)) :
				random_below(&rng, 1u << 20) << PAGE_SHIFT;
			unsigned options = replace ? MAP_REPLACE : 0;
			int err = paging_map(&as, va, pa, size, flags | options);
			int expected = mapped && !replace ? -EEXIST : 0;
			CHECKF(err == expected,
			       "op %u: map of %lu page(s) returned %s, expected %s", op, count,
			       ret_text(err), ret_text(expected));
			refused += err != 0;
			for (uint64_t i = 0; !err && i < count; i++)
				shadow[first + i] =
					(struct shadow_page){true, pa + i * PAGE_SIZE, flags};
		} else if (kind < 8) {
			int err = paging_unmap(&as, va, size);
			CHECKF(err == 0, "op %u: unmap of %lu page(s) returned %s, expected 0", op,
			       count, ret_text(err));
			for (uint64_t i = first; i < first + count; i++)
				shadow[i].mapped = false;
		} else {
			int err = paging_protect(&as, va, size, flags);
			int expected = mapped == count ? 0 : -ENOENT;
			CHECKF(err == expected,
			       "op %u: protect of %lu page(s) returned %s, expected %s", op, count,
			       ret_text(err), ret_text(expected));
			refused += err != 0;
			for (uint64_t i = first; !err && i < first + count; i++)
				shadow[i].flags = flags;
		}
		for (int sample = 0; sample < 8; sample++)
			CHECK_OK(storm_check_page(&as, random_below(&rng, STORM_PAGES)));
		CHECK_OK(storm_check_page(&as, first));
		CHECK_OK(storm_check_page(&as, first + count - 1));
		if (op % 1000 == 999)
			CHECK_OK(check_tables(&as));
	}
	for (uint64_t i = 0; i < STORM_PAGES; i++)
		CHECK_OK(storm_check_page(&as, i));
	/* the run must have reached the interesting paths, not only easy ones */
	CHECKF(paging_stats_total().splits - splits > 100 && refused > 100,
	       "%lu splits and %lu refusals in the run, expected more than 100 of each (are "
	       "huge pages used?)", paging_stats_total().splits - splits, refused);
	CHECK(paging_unmap(&as, STORM_BASE, STORM_PAGES * PAGE_SIZE) == 0);
	CHECKF(as.table_pages == 1, "%lu table pages left after unmapping everything",
	       as.table_pages);
	return end_test(&as, before);
}

/* What the engine asks of the other CPUs (arch_tlb_flush_remote): one request per operation. */
static const char *test_remote_flush_per_batch(void)
{
	BEGIN(as, before);

	host_remote_flushes = host_remote_flush_pages = 0;
	CHECK(paging_map(&as, USER_VA, 0x100000, 3 * PAGE_SIZE, RW | MAP_SIZE_4K) == 0);
	CHECKF(host_remote_flushes == 0, "mapping over nothing present asked %lu remote flushes",
	       host_remote_flushes);
	CHECK(paging_unmap(&as, USER_VA, 3 * PAGE_SIZE) == 0);
	CHECKF(host_remote_flushes == 1 && host_remote_flush_pages == 3 &&
	       host_remote_last_flags == 0 && host_invalidated_pages == 0,
	       "3 user pages of a space not current: %lu requests for %lu pages, flags 0x%x, %lu "
	       "local invlpg; expected 1 request for 3 pages, flags 0, none here",
	       host_remote_flushes, host_remote_flush_pages, host_remote_last_flags,
	       host_invalidated_pages);
	CHECK(paging_map(&as, USER_VA, 0x100000, 64 * PAGE_SIZE, RW | MAP_SIZE_4K) == 0);
	host_remote_flushes = host_remote_flush_pages = 0;
	CHECK(paging_unmap(&as, USER_VA, 64 * PAGE_SIZE) == 0);
	CHECKF(host_remote_flushes == 1 && host_remote_last_flags == TLB_FLUSH_ALL,
	       "64 pages: %lu requests, flags 0x%x; expected 1 with TLB_FLUSH_ALL",
	       host_remote_flushes, host_remote_last_flags);
	CHECK(paging_map(&as, KERNEL_VA, 0x100000, PAGE_SIZE, RW) == 0);
	host_remote_flushes = host_remote_flush_pages = 0;
	tlb_counters_reset();
	CHECK(paging_unmap(&as, KERNEL_VA, PAGE_SIZE) == 0);
	CHECKF(host_remote_flushes == 1 && host_remote_flush_pages == 1 &&
	       host_remote_last_flags == TLB_FLUSH_KERNEL && host_invalidated_pages == 1,
	       "a kernel page: %lu requests, flags 0x%x, %lu local invlpg; expected 1, "
	       "TLB_FLUSH_KERNEL, 1", host_remote_flushes, host_remote_last_flags,
	       host_invalidated_pages);
	return end_test(&as, before);
}

static const struct selftest paging_tests[] = {
	{"remote_flush_per_batch", "one remote-flush request per operation: 3 pages named, 64 "
	 "as a full flush, kernel pages flagged", test_remote_flush_per_batch},
	{"map_4k", "map, translate, unmap one 4 KiB page; tables come and go", test_map_4k},
	{"map_2m", "a 2 MiB page: bounds and translation", test_map_2m},
	{"map_1g", "a 1 GiB page at an address with no RAM behind it", test_map_1g},
	{"flags", "MAP_* to entry bits and back, NX off, intermediate entries, text",
	 test_flags_encoding},
	{"size_choice", "largest page size alignment allows: 2M+2M+4K+4K, 1G+2M+4K, no 1G",
	 test_size_choice},
	{"forced_sizes", "MAP_SIZE_4K/2M/1G honoured, misaligned forced sizes refused",
	 test_forced_sizes},
	{"bad_arguments", "misaligned, non-canonical, wrapping, zero, hole-crossing: -EINVAL",
	 test_bad_arguments},
	{"write_xor_execute", "W^X: map and protect refuse writable+executable, nothing changed",
	 test_write_xor_execute},
	{"overlap", "exact/contained/containing/start/end overlap refused, adjacent accepted",
	 test_overlap},
	{"replace", "MAP_REPLACE: new target, subtrees freed, huge pages split", test_replace},
	{"one_page_existing_tables", "one 4 KiB page into existing tables: -EEXIST, "
	 "MAP_REPLACE with one invlpg, counts kept", test_one_page_existing_tables},
	{"split_2m_unmap", "unmapping one page of a 2 MiB page keeps the other 511",
	 test_split_2m_by_unmap},
	{"split_protect", "protect splits, changes flags in place, refuses holes",
	 test_split_by_protect},
	{"split_1g", "a 1 GiB page split down to 4 KiB for one page", test_split_1g},
	{"pat_split", "PAT bit 12 in huge entries, bit 7 in 4 KiB entries after a split",
	 test_pat_bits_split},
	{"dirty_frames", "table pages start empty over garbage-filled frames", test_dirty_frames},
	{"enomem", "failed allocations roll back completely, k = 0..4 free pages",
	 test_enomem_rollback},
	{"tlb", "invlpg per page, one flush past the threshold, none for other spaces",
	 test_tlb_counts},
	{"pcid", "PCIDs 1..4095 in order, kept per space, start over with a flush", test_pcid},
	{"walk", "walk records levels and stop reasons", test_walk},
	{"ranges", "for_each_range merges runs, splits them on flags/holes/pa",
	 test_for_each_range},
	{"next_runs", "paging_next_runs clips runs, fills a batch, goes on from its end",
	 test_next_runs},
	{"shared_kernel", "kernel half shared by copy, kept on destroy and when empty",
	 test_shared_kernel_half},
	{"storm", "10^4 random map/unmap/protect against a shadow model", test_storm},
};

SELFTEST_SUITE(paging, paging_tests);
