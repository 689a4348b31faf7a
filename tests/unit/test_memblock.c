/*
 * test_memblock.c - suite "memblock": the early allocator (mm/memblock.c).
 *
 * memblock works on physical addresses only and never touches the memory
 * it describes, so the tests can invent any layout. Checked: memory ranges
 * shrink to pages and merge; reservations grow to pages, merge only with
 * the same owner, and keep the earlier owner where they overlap; allocation
 * is top-down, aligned, below the limit, fails with 0 when nothing fits and
 * never returns page 0; the free-range walk is exactly memory minus
 * reserved (compared page by page with an independent model); the byte
 * counts; a retired memblock refuses changes; a full list gives -ENOSPC and
 * stays unchanged.
 * Isolation: the global `memblock` is the kernel's record of boot memory, so
 * every test saves it, works on a reset one and restores it (MEMBLOCK_TEST),
 * which makes the suite safe to run from the kernel shell. Freestanding.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/selftest.h"
#include "lib/compiler.h"
#include "lib/errno.h"
#include "mm/memblock.h"

static struct memblock memblock_saved; /* the real one, while a test runs (~6 KiB) */

/* Run body on an empty memblock and put the real one back, pass or fail. */
static const char *memblock_isolated(const char *(*body)(void))
{
	memblock_saved = memblock;
	memblock_reset();
	const char *reason = body();
	memblock = memblock_saved;
	return reason;
}

/* Define test `name` whose body runs under memblock_isolated(). */
#define MEMBLOCK_TEST(name)                                                        \
	static const char *name##_body(void);                                          \
	static const char *name(void)                                                  \
	{                                                                              \
		return memblock_isolated(name##_body);                                     \
	}                                                                              \
	static const char *name##_body(void)

/* The list is exactly want[0..n) (owners compared as pointers to the same literals). */
static const char *check_list(const struct memblock_list *list, const char *which,
			      const struct memblock_region *want, size_t n)
{
	if (list->count != n)
		return selftest_reason("%s: %zu regions, expected %zu", which, list->count, n);
	for (size_t i = 0; i < n; i++) {
		const struct memblock_region *r = &list->regions[i];
		if (r->start != want[i].start || r->end != want[i].end || r->owner != want[i].owner)
			return selftest_reason("%s[%zu] = [0x%lx, 0x%lx) %s, expected "
					       "[0x%lx, 0x%lx) %s", which, i, r->start, r->end,
					       r->owner ? r->owner : "-", want[i].start,
					       want[i].end, want[i].owner ? want[i].owner : "-");
	}
	return NULL;
}

#define CHECK_LIST(list, ...)                                                      \
	do {                                                                           \
		static const struct memblock_region want_[] = {__VA_ARGS__};               \
		const char *reason_ = check_list(&(list), #list, want_, ARRAY_SIZE(want_)); \
		if (reason_)                                                               \
			return reason_;                                                        \
	} while (0)

static const char OWNER_A[] = "owner A";
static const char OWNER_B[] = "owner B";

MEMBLOCK_TEST(test_add_merge)
{
	CHECK(memblock_add(0x3000, 0x5000) == 0);
	CHECK(memblock_add(0x1000, 0x3000) == 0);   /* touches: merged */
	CHECK(memblock_add(0x10000, 0x11000) == 0); /* a hole before it: separate */
	CHECK(memblock_add(0x8100, 0xaf00) == 0);   /* shrunk inward to [0x9000, 0xa000) */
	CHECK(memblock_add(0x20100, 0x20f00) == -EINVAL); /* no whole page */
	CHECK(memblock_add(0x30000, 0x30000) == -EINVAL);
	CHECK_LIST(memblock.memory, {0x1000, 0x5000, NULL}, {0x9000, 0xa000, NULL},
		   {0x10000, 0x11000, NULL});
	CHECK(memblock_add(0x2000, 0x9800) == 0);   /* overlaps two: all three become one */
	CHECK(memblock_add(0x4000, 0x5000) == 0);   /* already there: nothing changes */
	CHECK_LIST(memblock.memory, {0x1000, 0xa000, NULL}, {0x10000, 0x11000, NULL});
	CHECK(memblock_memory_bytes() == 0x9000 + 0x1000);
	return NULL;
}

MEMBLOCK_TEST(test_reserve_merge_owner)
{
	char owner_a_copy[sizeof(OWNER_A)];

	for (size_t i = 0; i < sizeof(OWNER_A); i++)
		owner_a_copy[i] = OWNER_A[i];
	CHECK(memblock_reserve(0x1000, 0x2000, OWNER_A) == 0);
	CHECK(memblock_reserve(0x2000, 0x3000, owner_a_copy) == 0); /* equal name: merged */
	CHECK(memblock_reserve(0x3000, 0x4000, OWNER_B) == 0);      /* other owner: not */
	CHECK(memblock_reserve(0x4010, 0x4020, OWNER_B) == 0);      /* grown to [0x4000, 0x5000) */
	CHECK(memblock_reserve(0x2000, 0x1000, OWNER_A) == -EINVAL);
	CHECK(memblock_reserve(0x2000, 0x2000, OWNER_A) == -EINVAL);
	CHECK_LIST(memblock.reserved, {0x1000, 0x3000, OWNER_A}, {0x3000, 0x5000, OWNER_B});
	return NULL;
}

MEMBLOCK_TEST(test_reserve_overlap)
{
	CHECK(memblock_reserve(0x10000, 0x20000, OWNER_A) == 0);
	CHECK(memblock_reserve(0x30000, 0x31000, OWNER_A) == 0);
	/* Over both and the gaps: the first keeps its name, the gaps get OWNER_B. */
	CHECK(memblock_reserve(0x8000, 0x38000, OWNER_B) == 0);
	CHECK_LIST(memblock.reserved, {0x8000, 0x10000, OWNER_B}, {0x10000, 0x20000, OWNER_A},
		   {0x20000, 0x30000, OWNER_B}, {0x30000, 0x31000, OWNER_A},
		   {0x31000, 0x38000, OWNER_B});
	CHECK(memblock_reserve(0x12000, 0x13000, OWNER_B) == 0); /* inside: no change */
	CHECK(memblock.reserved.count == 5);
	CHECK(memblock_reserve(0x0, 0x40000, OWNER_A) == 0); /* covers all: fills the ends */
	CHECK_LIST(memblock.reserved, {0x0, 0x8000, OWNER_A}, {0x8000, 0x10000, OWNER_B},
		   {0x10000, 0x20000, OWNER_A}, {0x20000, 0x30000, OWNER_B},
		   {0x30000, 0x31000, OWNER_A}, {0x31000, 0x38000, OWNER_B},
		   {0x38000, 0x40000, OWNER_A});
	return NULL;
}

MEMBLOCK_TEST(test_alloc_top_down)
{
	CHECK(memblock_add(0x100000, 0x200000) == 0);
	CHECK(memblock_add(0x400000, 0x500000) == 0);
	phys_addr_t a = memblock_alloc(PAGE_SIZE, PAGE_SIZE, UINT64_MAX, OWNER_A);
	phys_addr_t b = memblock_alloc(PAGE_SIZE, PAGE_SIZE, UINT64_MAX, OWNER_A);
	CHECKF(a == 0x4ff000, "first page at 0x%lx, expected the top 0x4ff000", a);
	CHECKF(b == 0x4fe000, "second page at 0x%lx, expected 0x4fe000", b);
	/* 1 MiB no longer fits in the upper range: the lower one is the highest that does. */
	phys_addr_t c = memblock_alloc(0x100000, PAGE_SIZE, UINT64_MAX, OWNER_B);
	CHECKF(c == 0x100000, "1 MiB at 0x%lx, expected 0x100000", c);
	CHECK_LIST(memblock.reserved, {0x100000, 0x200000, OWNER_B}, {0x4fe000, 0x500000, OWNER_A});
	/* Odd sizes round up to pages. */
	phys_addr_t d = memblock_alloc(1, PAGE_SIZE, UINT64_MAX, OWNER_B);
	CHECKF(d == 0x4fd000, "1 byte at 0x%lx, expected 0x4fd000", d);
	CHECK(memblock_reserved_bytes_of(OWNER_B) == 0x100000 + PAGE_SIZE);
	CHECK(memblock_alloc(0, PAGE_SIZE, UINT64_MAX, OWNER_B) == 0);
	return NULL;
}

MEMBLOCK_TEST(test_alloc_alignment)
{
	CHECK(memblock_add(0x100000, 0x1000000) == 0);
	CHECK(memblock_reserve(0xfff000, 0x1000000, OWNER_A) == 0);
	phys_addr_t a = memblock_alloc(PAGE_SIZE, 0x200000, UINT64_MAX, OWNER_B);
	CHECKF(a == 0xe00000, "2 MiB aligned page at 0x%lx, expected 0xe00000", a);
	phys_addr_t b = memblock_alloc(0x3000, 0x4000, UINT64_MAX, OWNER_B);
	CHECKF(b != 0 && b % 0x4000 == 0, "16 KiB aligned at 0x%lx", b);
	CHECKF(b + 0x3000 <= 0xfff000, "16 KiB aligned at 0x%lx overlaps the reservation", b);
	phys_addr_t c = memblock_alloc(PAGE_SIZE, 8, UINT64_MAX, OWNER_B); /* < page: a page */
	CHECKF(c != 0 && c % PAGE_SIZE == 0, "small alignment gave 0x%lx", c);
	CHECK(memblock_alloc(PAGE_SIZE, 0x3000, UINT64_MAX, OWNER_B) == 0); /* not a power of 2 */
	CHECK(memblock_alloc(PAGE_SIZE, 0, UINT64_MAX, OWNER_B) == 0);
	/* An alignment larger than any range fits nowhere but at 0, which is never given. */
	CHECK(memblock_alloc(PAGE_SIZE, 1ull << 40, UINT64_MAX, OWNER_B) == 0);
	return NULL;
}

MEMBLOCK_TEST(test_alloc_limit)
{
	CHECK(memblock_add(0x100000, 0x200000) == 0);
	CHECK(memblock_add(0x100000000ull, 0x100100000ull) == 0);
	phys_addr_t a = memblock_alloc(PAGE_SIZE, PAGE_SIZE, 4ull << 30, OWNER_A);
	CHECKF(a == 0x1ff000, "below 4 GiB: 0x%lx, expected 0x1ff000", a);
	phys_addr_t b = memblock_alloc(PAGE_SIZE, PAGE_SIZE, 0x180800, OWNER_A); /* unaligned */
	CHECKF(b == 0x17f000, "below 0x180800: 0x%lx, expected 0x17f000", b);
	CHECK(memblock_alloc(PAGE_SIZE, PAGE_SIZE, 0x100000, OWNER_A) == 0);
	CHECK(memblock_alloc(0x200000, PAGE_SIZE, 4ull << 30, OWNER_A) == 0); /* too big below */
	phys_addr_t c = memblock_alloc(PAGE_SIZE, PAGE_SIZE, UINT64_MAX, OWNER_A);
	CHECKF(c == 0x1000ff000ull, "no limit: 0x%lx, expected 0x1000ff000", c);
	return NULL;
}

MEMBLOCK_TEST(test_alloc_exhaustion)
{
	phys_addr_t got[4];

	CHECK(memblock_add(0x10000, 0x14000) == 0);
	for (size_t i = 0; i < ARRAY_SIZE(got); i++) {
		got[i] = memblock_alloc(PAGE_SIZE, PAGE_SIZE, UINT64_MAX, OWNER_A);
		CHECKF(got[i] >= 0x10000 && got[i] < 0x14000, "page %zu at 0x%lx", i, got[i]);
		for (size_t j = 0; j < i; j++)
			CHECKF(got[j] != got[i], "page 0x%lx handed out twice", got[i]);
	}
	CHECK(memblock_alloc(PAGE_SIZE, PAGE_SIZE, UINT64_MAX, OWNER_A) == 0);
	CHECK(memblock_reserved_bytes() == memblock_memory_bytes());
	CHECK(memblock.reserved.count == 1); /* same owner, touching: one region */
	return NULL;
}

MEMBLOCK_TEST(test_alloc_never_zero)
{
	CHECK(memblock_add(0x0, 0x2000) == 0); /* page 0 deliberately not reserved */
	CHECK(memblock_alloc(PAGE_SIZE, PAGE_SIZE, UINT64_MAX, OWNER_A) == 0x1000);
	CHECK(memblock_alloc(PAGE_SIZE, PAGE_SIZE, UINT64_MAX, OWNER_A) == 0);
	CHECK(memblock_reserved_bytes() == PAGE_SIZE); /* page 0 still free */
	CHECK(memblock_alloc(0x2000, PAGE_SIZE, UINT64_MAX, OWNER_A) == 0);
	return NULL;
}

/*
 * The free walk against a model: a small window of pages, each marked
 * memory/reserved by the same calls made to memblock.
 */
#define WALK_PAGES 96

static struct {
	bool memory[WALK_PAGES], reserved[WALK_PAGES], walked[WALK_PAGES];
	phys_addr_t last_end; /* end of the previous range walked */
	const char *problem;
	uint64_t bytes;
} walk;

static void walk_collect(phys_addr_t start, phys_addr_t end, void *arg)
{
	if (arg != &walk && !walk.problem)
		walk.problem = "callback got the wrong argument";
	if ((start >= end || start % PAGE_SIZE || end % PAGE_SIZE) && !walk.problem)
		walk.problem = selftest_reason("range [0x%lx, 0x%lx) empty or unaligned", start,
					       end);
	if (start < walk.last_end && !walk.problem)
		walk.problem = selftest_reason("range at 0x%lx not ascending", start);
	walk.last_end = end;
	walk.bytes += end - start;
	for (phys_addr_t a = start; a < end && a / PAGE_SIZE < WALK_PAGES; a += PAGE_SIZE)
		walk.walked[a / PAGE_SIZE] = true;
}

MEMBLOCK_TEST(test_free_walk)
{
	static const struct { uint64_t start, end; bool reserve; } calls[] = {
		{0x1000, 0x10000, false},
		{0x14000, 0x20000, false},
		{0x20000, 0x28000, false}, /* merges with the one before */
		{0x30000, 0x50000, false},
		{0x0, 0x1000, true},       /* in a hole and memory's edge */
		{0x3000, 0x5000, true},
		{0x4000, 0x6800, true},    /* overlaps the previous, grows to 0x7000 */
		{0xf000, 0x16000, true},   /* across the end of one range, the start of the next */
		{0x28000, 0x30000, true},  /* exactly the hole */
		{0x34000, 0x38000, true},
		{0x39000, 0x3a000, true},  /* leaves the single page 0x38000 free */
		{0x40000, 0x50000, true},  /* the end of the last range */
		{0x5a000, 0x5b000, true},  /* beyond memory */
	};

	for (size_t i = 0; i < WALK_PAGES; i++)
		walk.memory[i] = walk.reserved[i] = walk.walked[i] = false;
	walk.last_end = 0;
	walk.problem = NULL;
	walk.bytes = 0;
	for (size_t i = 0; i < ARRAY_SIZE(calls); i++) {
		uint64_t first = calls[i].start / PAGE_SIZE;
		uint64_t last = (calls[i].end + PAGE_SIZE - 1) / PAGE_SIZE; /* reserve grows */
		if (calls[i].reserve) {
			CHECK(memblock_reserve(calls[i].start, calls[i].end, OWNER_A) == 0);
		} else {
			CHECK(memblock_add(calls[i].start, calls[i].end) == 0);
		}
		for (uint64_t p = first; p < last && p < WALK_PAGES; p++) {
			if (calls[i].reserve)
				walk.reserved[p] = true;
			else
				walk.memory[p] = true;
		}
	}
	memblock_for_each_free(walk_collect, &walk);
	if (walk.problem)
		return walk.problem;
	uint64_t model_free = 0;
	for (size_t p = 0; p < WALK_PAGES; p++) {
		bool free = walk.memory[p] && !walk.reserved[p];
		model_free += free ? PAGE_SIZE : 0;
		CHECKF(walk.walked[p] == free, "page 0x%lx: walked %d, model says free %d",
		       (uint64_t)(p * PAGE_SIZE), walk.walked[p], free);
	}
	CHECKF(walk.bytes == model_free, "walked 0x%lx bytes, model 0x%lx", walk.bytes, model_free);
	CHECK(walk.bytes == memblock_memory_bytes() - memblock_reserved_bytes());
	return NULL;
}

MEMBLOCK_TEST(test_bytes)
{
	CHECK(memblock_memory_bytes() == 0 && memblock_reserved_bytes() == 0);
	CHECK(memblock_add(0x100000, 0x200000) == 0);
	CHECK(memblock_add(0x300000, 0x400000) == 0);
	CHECK(memblock_memory_bytes() == 0x200000);
	CHECK(memblock_reserve(0x0, 0x1000, OWNER_A) == 0);        /* a hole: not counted */
	CHECK(memblock_reserve(0x1ff000, 0x301000, OWNER_B) == 0); /* one page each side */
	CHECK(memblock_reserve(0x380000, 0x390000, OWNER_A) == 0);
	CHECKF(memblock_reserved_bytes() == 2 * PAGE_SIZE + 0x10000, "reserved 0x%lx",
	       memblock_reserved_bytes());
	CHECK(memblock_reserved_bytes_of(OWNER_A) == 0x10000);
	CHECK(memblock_reserved_bytes_of(OWNER_B) == 2 * PAGE_SIZE);
	CHECK(memblock_reserved_bytes_of("nobody") == 0);
	CHECK(memblock_memory_bytes() == 0x200000); /* reserving never changes memory */
	return NULL;
}

MEMBLOCK_TEST(test_retired)
{
	CHECK(memblock_add(0x100000, 0x200000) == 0);
	CHECK(memblock_reserve(0x100000, 0x101000, OWNER_A) == 0);
	memblock_retire();
	CHECK(memblock.retired);
	CHECK(memblock_add(0x300000, 0x400000) == -EINVAL);
	CHECK(memblock_reserve(0x150000, 0x151000, OWNER_A) == -EINVAL);
	CHECK(memblock_alloc(PAGE_SIZE, PAGE_SIZE, UINT64_MAX, OWNER_A) == 0);
	CHECK_LIST(memblock.memory, {0x100000, 0x200000, NULL});
	CHECK_LIST(memblock.reserved, {0x100000, 0x101000, OWNER_A});
	memblock_reset();
	CHECK(!memblock.retired && memblock.memory.count == 0 && memblock.reserved.count == 0);
	CHECK(memblock_add(0x300000, 0x400000) == 0);
	return NULL;
}

MEMBLOCK_TEST(test_list_full)
{
	/* MEMBLOCK_MAX pages with a hole after each: every one is its own region. */
	for (uint64_t i = 0; i < MEMBLOCK_MAX; i++) {
		CHECK(memblock_add(0x100000 + i * 0x2000, 0x101000 + i * 0x2000) == 0);
		CHECK(memblock_reserve(0x100000 + i * 0x2000, 0x101000 + i * 0x2000, OWNER_A) == 0);
	}
	uint64_t top = 0x100000 + MEMBLOCK_MAX * 0x2000;
	CHECK(memblock.memory.count == MEMBLOCK_MAX && memblock.reserved.count == MEMBLOCK_MAX);
	CHECK(memblock_add(top + 0x1000, top + 0x2000) == -ENOSPC);
	CHECK(memblock_reserve(0x0, 0x1000, OWNER_A) == -ENOSPC);
	CHECK(memblock.memory.count == MEMBLOCK_MAX && memblock.reserved.count == MEMBLOCK_MAX);
	CHECK(memblock.memory.regions[MEMBLOCK_MAX - 1].end == top - 0x1000); /* unchanged */
	CHECK(memblock.reserved.regions[0].start == 0x100000);
	/* Growing the last region needs no new slot: still allowed. */
	CHECK(memblock_add(top - 0x1000, top) == 0);
	CHECK(memblock.memory.regions[MEMBLOCK_MAX - 1].end == top);
	/* The free page that is left would need a new reserved region of another owner. */
	CHECK(memblock_alloc(PAGE_SIZE, PAGE_SIZE, UINT64_MAX, OWNER_B) == 0);
	CHECK(memblock.reserved.count == MEMBLOCK_MAX);
	/* With the neighbour's owner it merges and fits. */
	CHECK(memblock_alloc(PAGE_SIZE, PAGE_SIZE, UINT64_MAX, OWNER_A) == top - 0x1000);
	return NULL;
}

static const struct selftest memblock_tests[] = {
	{"add_merge", "memory shrinks to pages, touching and overlapping ranges merge",
	 test_add_merge},
	{"reserve_owner", "reservations grow to pages and merge only with an equal owner",
	 test_reserve_merge_owner},
	{"reserve_overlap", "overlapping reservations: union kept, earlier owner wins",
	 test_reserve_overlap},
	{"alloc_top_down", "allocation takes the highest free range that fits",
	 test_alloc_top_down},
	{"alloc_align", "allocations honour the alignment; bad alignments fail",
	 test_alloc_alignment},
	{"alloc_limit", "allocations end at or below the limit", test_alloc_limit},
	{"alloc_exhaustion", "distinct pages until memory runs out, then 0",
	 test_alloc_exhaustion},
	{"alloc_never_zero", "page 0 is never handed out", test_alloc_never_zero},
	{"free_walk", "the free walk is memory minus reserved, ascending", test_free_walk},
	{"bytes", "memory, reserved and per-owner byte counts", test_bytes},
	{"retired", "a retired memblock refuses changes; reset revives it", test_retired},
	{"list_full", "a full list gives -ENOSPC and stays unchanged", test_list_full},
};

SELFTEST_SUITE(memblock, memblock_tests);
