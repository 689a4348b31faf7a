/*
 * test_region.c - suite "region": the region set of an address space
 * (mm/region.c) on the host, each test on a fresh page allocator over the
 * simulated RAM arena (tests/host/arena.h) with the slab allocator and the
 * kmalloc caches on top, since the set's array comes from krealloc.
 *
 * Covered: kind names; insert and binary-search find (first, middle, last,
 * gaps, va == end) and its last-found hint; file regions (validation,
 * splits and trims moving file_phys/file_bytes, never merged); overlaps refused with the set unchanged; every bad
 * argument; merging of touching equal ANON/COW regions and of nothing else;
 * remove (hole punch, trims, several regions at once); protect and set_kind
 * splitting into three and merging back into one; region_next; stack
 * growth; for_each; the invariant checker on broken sets; -ENOMEM with all
 * memory taken (set unchanged, operations that need no slot still work);
 * and 10^4 seeded random operations against a page-by-page shadow model.
 * Hosted code: may use libc, but the allocators are reached only through mm/.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/selftest.h"
#include "lib/compiler.h"
#include "lib/errno.h"
#include "lib/list.h"
#include "lib/panic.h"
#include "lib/printf.h"
#include "lib/random.h"
#include "lib/string.h"
#include "mm/buddy.h"
#include "mm/kmalloc.h"
#include "mm/page.h"
#include "mm/region.h"
#include "mm/slab.h"
#include "tests/host/arena.h"
#include "tests/host/heap_setup.h"

/* A fresh page allocator, slab allocator (debug off) and kmalloc caches. */
#define FRESH() CHECKF(heap_fresh(), "cannot build the arena allocator and heap")

#define BASE 0x400000ull                          /* where the test regions live */
#define P(n) (BASE + (uint64_t)(n) * PAGE_SIZE)   /* address of test page n */
#define RW MAP_WRITE

#define CHECK_SET(set)                                                                     \
	do {                                                                                \
		const char *violation_ = region_check_invariants(set);                        \
		CHECKF(!violation_, "invariant: %s", violation_);                            \
	} while (0)

/* A region of test pages [first, end) (grow_limit 0). */
static struct region region_of(int64_t first, int64_t end, unsigned prot, enum region_kind kind,
			       const char *name)
{
	struct region r;

	memset(&r, 0, sizeof(r));
	r.start = P(first);
	r.end = P(end);
	r.prot = prot;
	r.kind = kind;
	strlcpy(r.name, name, sizeof(r.name));
	return r;
}

/* Insert the region of test pages [first, end). */
static int add(struct region_set *set, int64_t first, int64_t end, unsigned prot,
	       enum region_kind kind, const char *name)
{
	struct region r = region_of(first, end, prot, kind, name);

	return region_insert(set, &r);
}

/* Insert a read-write stack on test pages [first, end) that may grow down to page limit. */
static int add_stack(struct region_set *set, int64_t first, int64_t end, int64_t limit,
		     const char *name)
{
	struct region r = region_of(first, end, RW, REGION_STACK, name);

	r.grow_limit = P(limit);
	return region_insert(set, &r);
}

/* One expected region: test pages [first, end), prot, kind, name. */
struct expected {
	int64_t first, end;
	unsigned prot;
	enum region_kind kind;
	const char *name;
};

/* The set is well-formed and is exactly rows, in order. */
static const char *expect_regions(const struct region_set *set, const struct expected *rows,
				  size_t n)
{
	CHECK_SET(set);
	CHECKF(set->count == n, "%zu regions, expected %zu", set->count, n);
	for (size_t i = 0; i < n; i++) {
		const struct region *r = &set->items[i];
		CHECKF(r->start == P(rows[i].first) && r->end == P(rows[i].end) &&
		       r->prot == rows[i].prot && r->kind == rows[i].kind &&
		       strcmp(r->name, rows[i].name) == 0,
		       "region %zu is [0x%lx, 0x%lx) prot %u %s \"%s\", expected pages [%ld, %ld) "
		       "prot %u %s \"%s\"", i, r->start, r->end, r->prot, region_kind_name(r->kind),
		       r->name, rows[i].first, rows[i].end, rows[i].prot,
		       region_kind_name(rows[i].kind), rows[i].name);
	}
	return NULL;
}

#define EXPECT(set, ...)                                                                   \
	do {                                                                                \
		const struct expected rows_[] = {__VA_ARGS__};                              \
		CHECK_OK(expect_regions(set, rows_, ARRAY_SIZE(rows_)));                   \
	} while (0)

/* A copy of a set, to show that a failed operation changed nothing. */
#define SNAPSHOT_MAX 64
struct snapshot {
	struct region *items;
	size_t count, capacity;
	struct region copy[SNAPSHOT_MAX];
};

static void take_snapshot(struct snapshot *s, const struct region_set *set)
{
	s->items = set->items;
	s->count = set->count;
	s->capacity = set->capacity;
	if (set->count <= SNAPSHOT_MAX)
		memcpy(s->copy, set->items, set->count * sizeof(struct region));
}

static bool unchanged(const struct snapshot *s, const struct region_set *set)
{
	return s->count <= SNAPSHOT_MAX && set->items == s->items && set->count == s->count &&
	       set->capacity == s->capacity &&
	       memcmp(s->copy, set->items, set->count * sizeof(struct region)) == 0;
}

/* ---- names, insert, find --------------------------------------------------- */

static const char *test_kind_names(void)
{
	static const char *const names[REGION_KINDS] = {
		"anon", "cow", "stack", "guard", "file", "device", "kernel image", "direct map",
		"vmalloc", "shared", "granted", "pager"};

	for (unsigned k = 0; k < REGION_KINDS; k++)
		CHECKF(strcmp(region_kind_name(k), names[k]) == 0, "kind %u is \"%s\"", k,
		       region_kind_name(k));
	CHECK(strcmp(region_kind_name(REGION_KINDS), "?") == 0);
	CHECK(strcmp(region_kind_name((enum region_kind)-1), "?") == 0);
	return NULL;
}

static const char *test_insert_find(void)
{
	enum { REGIONS = 100 };
	struct region_set set;
	unsigned order[REGIONS];
	uint64_t seed = 0x5eed0001;

	FRESH();
	region_set_init(&set);
	CHECK(set.items == NULL && set.count == 0 && set.capacity == 0);
	CHECK(region_find(&set, P(0)) == NULL && region_next(&set, 0) == NULL);
	/* Region i covers pages [4i, 4i + 2); inserted in a shuffled order. */
	for (unsigned i = 0; i < REGIONS; i++)
		order[i] = i;
	for (unsigned i = REGIONS - 1; i > 0; i--) {
		unsigned j = (unsigned)random_below(&seed, i + 1), t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	for (unsigned i = 0; i < REGIONS; i++) {
		char name[REGION_NAME_SIZE];
		ksnprintf(name, sizeof(name), "r%u", order[i]);
		CHECKF(add(&set, 4 * order[i], 4 * order[i] + 2, RW, REGION_ANON, name) == 0,
		       "insert %u", order[i]);
		CHECK_SET(&set);
	}
	CHECKF(set.count == REGIONS && set.capacity == 128, "count %zu capacity %zu (8, 16, ...)",
	       set.count, set.capacity);
	/* First, middle, last and all the others: start, inside, last byte; gaps; end. */
	for (unsigned i = 0; i < REGIONS; i++) {
		const struct region *r = region_find(&set, P(4 * i));
		char name[REGION_NAME_SIZE];
		ksnprintf(name, sizeof(name), "r%u", i);
		CHECKF(r && r->start == P(4 * i) && r->end == P(4 * i + 2) &&
		       strcmp(r->name, name) == 0, "region %u not found at its start", i);
		CHECK(region_find(&set, P(4 * i) + 0x123) == r);
		CHECK(region_find(&set, P(4 * i + 1)) == r);
		CHECK(region_find(&set, P(4 * i + 2) - 1) == r);
		CHECKF(region_find(&set, P(4 * i + 2)) == NULL, "va == end of region %u found", i);
		CHECK(region_find(&set, P(4 * i + 3)) == NULL);
		CHECK(region_find(&set, P(4 * i + 4) - 1) == NULL);
	}
	CHECK(region_find(&set, 0) == NULL);
	CHECK(region_find(&set, BASE - 1) == NULL);
	CHECK(region_find(&set, P(4 * REGIONS)) == NULL);
	CHECK(region_find(&set, ~0ull) == NULL);
	region_set_destroy(&set);
	CHECK(set.items == NULL && set.count == 0 && set.capacity == 0);
	return NULL;
}

static const char *test_name_copy(void)
{
	struct region_set set;
	struct region r = region_of(0, 1, RW, REGION_ANON, "");

	FRESH();
	region_set_init(&set);
	memset(r.name, 'x', sizeof(r.name)); /* no NUL at all */
	CHECK(region_insert(&set, &r) == 0);
	r = region_of(2, 3, RW, REGION_ANON, "ab");
	r.name[4] = 'z'; /* garbage after the NUL is not copied */
	CHECK(region_insert(&set, &r) == 0);
	CHECK_SET(&set);
	CHECK(strlen(set.items[0].name) == REGION_NAME_SIZE - 1 && set.items[0].name[0] == 'x');
	CHECK(strcmp(set.items[1].name, "ab") == 0 && set.items[1].name[4] == 0);
	/* Merging compares names up to the NUL: "ab" + garbage merges with "ab". */
	CHECK(add(&set, 3, 4, RW, REGION_ANON, "ab") == 0 && set.count == 2);
	region_set_destroy(&set);
	return NULL;
}

static const char *test_overlap(void)
{
	static const int64_t ranges[][2] = {
		{10, 20}, {12, 14}, {5, 11}, {19, 25}, {5, 45}, {15, 35}, {39, 41}, {10, 11}, {39, 40},
	};
	struct region_set set;
	struct snapshot before;

	FRESH();
	region_set_init(&set);
	CHECK(add(&set, 10, 20, RW, REGION_ANON, "a") == 0);
	CHECK(add(&set, 30, 40, RW, REGION_COW, "b") == 0);
	take_snapshot(&before, &set);
	for (size_t i = 0; i < ARRAY_SIZE(ranges); i++) {
		int err = add(&set, ranges[i][0], ranges[i][1], RW, REGION_GUARD, "c");
		CHECKF(err == -EEXIST, "[%ld, %ld) gave %d", ranges[i][0], ranges[i][1], err);
		CHECKF(unchanged(&before, &set), "[%ld, %ld) changed the set", ranges[i][0],
		       ranges[i][1]);
	}
	/* Overlapping, even though it would merge with what it overlaps. */
	CHECK(add(&set, 15, 25, RW, REGION_ANON, "a") == -EEXIST && unchanged(&before, &set));
	/* Touching both is fine. */
	CHECK(add(&set, 20, 30, RW, REGION_GUARD, "c") == 0);
	EXPECT(&set, {10, 20, RW, REGION_ANON, "a"}, {20, 30, RW, REGION_GUARD, "c"},
	       {30, 40, RW, REGION_COW, "b"});
	region_set_destroy(&set);
	return NULL;
}

static const char *test_bad_arguments(void)
{
	const virt_addr_t top_of_lower = 0x0000800000000000ull;
	struct region bad[24], r;
	struct region_set set;
	struct snapshot before;
	size_t n = 0;

	FRESH();
	region_set_init(&set);
	r = region_of(0, 1, RW, REGION_ANON, "x");
	bad[n] = r, bad[n].start += 1, n++;                      /* unaligned start */
	bad[n] = r, bad[n].end -= 1, n++;                        /* unaligned end */
	bad[n] = r, bad[n].end = bad[n].start, n++;              /* empty */
	bad[n] = r, bad[n].start = P(2), n++;                    /* end below start */
	bad[n] = r, bad[n].start = 0xfffffffffffff000ull, bad[n].end = 0, n++; /* wraps */
	bad[n] = r, bad[n].start = top_of_lower, bad[n].end = top_of_lower + PAGE_SIZE, n++;
	bad[n] = r, bad[n].start = top_of_lower - PAGE_SIZE, bad[n].end = top_of_lower + PAGE_SIZE,
		n++;                                             /* end non-canonical */
	bad[n] = r, bad[n].start = top_of_lower - PAGE_SIZE,
		bad[n].end = PAGING_KERNEL_HALF + PAGE_SIZE, n++; /* across the hole */
	bad[n] = r, bad[n].kind = REGION_KINDS, n++;
	bad[n] = r, bad[n].kind = (enum region_kind)-1, n++;
	bad[n] = r, bad[n].prot = MAP_GLOBAL, n++;
	bad[n] = r, bad[n].prot = RW | MAP_UNCACHED, n++;
	bad[n] = r, bad[n].grow_limit = P(0), n++;               /* grow_limit on an anon */
	bad[n] = r, bad[n].kind = REGION_STACK, bad[n].grow_limit = P(1), n++; /* above start */
	bad[n] = r, bad[n].kind = REGION_STACK, bad[n].grow_limit = P(-1) + 8, n++; /* unaligned */
	bad[n] = r, bad[n].kind = REGION_STACK, bad[n].start = KERNEL_VMA,
		bad[n].end = KERNEL_VMA + PAGE_SIZE, bad[n].grow_limit = P(0), n++; /* other half */
	bad[n] = r, bad[n].kind = REGION_FILE, bad[n].file_phys = 0x100008, n++; /* unaligned */
	bad[n] = r, bad[n].file_phys = 0x100000, n++;            /* a file on an anon */
	bad[n] = r, bad[n].file_bytes = 1, n++;                  /* file bytes on an anon */
	for (size_t i = 0; i < n; i++) {
		int err = region_insert(&set, &bad[i]);
		CHECKF(err == -EINVAL, "bad region %zu gave %d", i, err);
		CHECKF(set.count == 0 && set.items == NULL, "bad region %zu changed the set", i);
	}
	/* The edges of both halves are fine. */
	r.start = top_of_lower - PAGE_SIZE, r.end = top_of_lower;
	CHECK(region_insert(&set, &r) == 0);
	r.start = KERNEL_VMA, r.end = 0xfffffffffffff000ull, r.kind = REGION_KERNEL_IMAGE;
	CHECK(region_insert(&set, &r) == 0);
	r = region_of(0, 1, RW, REGION_STACK, "s"); /* grow_limit == start: may not grow */
	r.grow_limit = r.start;
	CHECK(region_insert(&set, &r) == 0);
	CHECK(add(&set, 10, 20, RW, REGION_ANON, "a") == 0);
	CHECK_SET(&set);
	take_snapshot(&before, &set);
	/* Bad ranges and values for the other operations. */
	CHECK(region_remove(&set, P(10) + 1, P(12)) == -EINVAL);
	CHECK(region_remove(&set, P(12), P(12)) == -EINVAL);
	CHECK(region_remove(&set, P(12), P(11)) == -EINVAL);
	CHECK(region_remove(&set, top_of_lower - PAGE_SIZE, top_of_lower + PAGE_SIZE) == -EINVAL);
	CHECK(region_protect(&set, P(10), P(12) - 1, 0) == -EINVAL);
	CHECK(region_protect(&set, P(12), P(10), 0) == -EINVAL);
	CHECK(region_protect(&set, P(10), P(12), MAP_GLOBAL) == -EINVAL);
	CHECK(region_set_kind(&set, P(11), P(11), REGION_COW) == -EINVAL);
	CHECK(region_set_kind(&set, P(10), P(12), REGION_STACK) == -EINVAL);
	CHECK(region_set_kind(&set, P(10), P(12), REGION_KINDS) == -EINVAL);
	CHECK(region_set_kind(&set, P(10), P(12), REGION_FILE) == -EINVAL);
	CHECK(unchanged(&before, &set));
	region_set_destroy(&set);
	return NULL;
}

/* ---- file regions -------------------------------------------------------- */

#define FILE_PHYS 0x1000000ull /* where the test file's frames are */

/* A file region on pages [first, end) backed from FILE_PHYS + skip pages, bytes long. */
static int add_file(struct region_set *set, int64_t first, int64_t end, unsigned prot,
		    uint64_t skip, uint64_t bytes)
{
	struct region r = region_of(first, end, prot, REGION_FILE, "text");

	r.file_phys = FILE_PHYS + skip * PAGE_SIZE;
	r.file_bytes = bytes;
	return region_insert(set, &r);
}

/* The region at test page p is a file region backed at FILE_PHYS + skip pages with bytes. */
static const char *expect_file(const struct region_set *set, int64_t p, uint64_t skip,
			       uint64_t bytes)
{
	const struct region *r = region_find(set, P(p));

	CHECKF(r && r->kind == REGION_FILE, "no file region at page %ld", p);
	CHECKF(r->file_phys == FILE_PHYS + skip * PAGE_SIZE && r->file_bytes == bytes,
	       "file region [0x%lx, 0x%lx) has file 0x%lx+0x%lx, expected 0x%llx+0x%lx", r->start,
	       r->end, r->file_phys, r->file_bytes, FILE_PHYS + skip * PAGE_SIZE, bytes);
	return NULL;
}

static const char *test_file(void)
{
	const uint64_t bytes = 3 * PAGE_SIZE + 100; /* the file ends inside page 3 */
	struct region_set set;

	FRESH();
	region_set_init(&set);
	/* Two touching equal file regions never merge: each keeps its own frames. */
	CHECK(add_file(&set, 10, 20, RW, 0, bytes) == 0);
	CHECK(add_file(&set, 20, 25, RW, 10, 0) == 0);
	EXPECT(&set, {10, 20, RW, REGION_FILE, "text"}, {20, 25, RW, REGION_FILE, "text"});
	CHECK_OK(expect_file(&set, 20, 10, 0));
	/* protect splits: the upper parts start deeper in the file. */
	CHECK(region_protect(&set, P(12), P(14), 0) == 0);
	EXPECT(&set, {10, 12, RW, REGION_FILE, "text"}, {12, 14, 0, REGION_FILE, "text"},
	       {14, 20, RW, REGION_FILE, "text"}, {20, 25, RW, REGION_FILE, "text"});
	CHECK_OK(expect_file(&set, 10, 0, bytes));
	CHECK_OK(expect_file(&set, 12, 2, bytes - 2 * PAGE_SIZE));
	CHECK_OK(expect_file(&set, 14, 4, 0)); /* past the file's end: clamped at 0 */
	/* Putting prot back does not merge them again. */
	CHECK(region_protect(&set, P(12), P(14), RW) == 0);
	CHECK(set.count == 4);
	CHECK_OK(expect_file(&set, 12, 2, bytes - 2 * PAGE_SIZE));
	region_set_destroy(&set);

	/* remove: a hole punched, a trimmed start; the end trimmed keeps the file. */
	region_set_init(&set);
	CHECK(add_file(&set, 10, 20, RW, 0, bytes) == 0);
	CHECK(region_remove(&set, P(11), P(13)) == 0);
	EXPECT(&set, {10, 11, RW, REGION_FILE, "text"}, {13, 20, RW, REGION_FILE, "text"});
	CHECK_OK(expect_file(&set, 10, 0, bytes));
	CHECK_OK(expect_file(&set, 13, 3, 100));
	CHECK(region_remove(&set, P(12), P(14)) == 0);
	CHECK_OK(expect_file(&set, 14, 4, 0));
	CHECK(region_remove(&set, P(19), P(21)) == 0);
	EXPECT(&set, {10, 11, RW, REGION_FILE, "text"}, {14, 19, RW, REGION_FILE, "text"});
	CHECK_OK(expect_file(&set, 14, 4, 0));
	/* A part that stops being a file loses its file. */
	CHECK(region_set_kind(&set, P(15), P(16), REGION_COW) == 0);
	EXPECT(&set, {10, 11, RW, REGION_FILE, "text"}, {14, 15, RW, REGION_FILE, "text"},
	       {15, 16, RW, REGION_COW, "text"}, {16, 19, RW, REGION_FILE, "text"});
	CHECK(set.items[2].file_phys == 0 && set.items[2].file_bytes == 0);
	CHECK_OK(expect_file(&set, 16, 6, 0));
	region_set_destroy(&set);
	return NULL;
}

/* The lookup hint: stale after changes, it is checked, never trusted. */
static const char *test_find_hint(void)
{
	struct region_set set;

	FRESH();
	region_set_init(&set);
	CHECK(add(&set, 0, 2, RW, REGION_ANON, "a") == 0);
	CHECK(add(&set, 4, 6, RW, REGION_STACK, "b") == 0);
	CHECK(add(&set, 8, 10, RW, REGION_GUARD, "c") == 0);
	CHECK(region_find(&set, P(9))->kind == REGION_GUARD && set.hint == 2);
	CHECK(region_find(&set, P(9) + 8)->kind == REGION_GUARD); /* a hit */
	CHECK(region_remove(&set, P(0), P(2)) == 0);              /* the hint is past the end */
	CHECK(region_find(&set, P(9))->kind == REGION_GUARD && set.hint == 1);
	CHECK(region_find(&set, P(1)) == NULL);
	CHECK(region_find(&set, P(5))->kind == REGION_STACK && set.hint == 0);
	CHECK(region_remove(&set, P(4), P(6)) == 0);              /* hint 0 is "c" now */
	CHECK(region_find(&set, P(5)) == NULL);
	CHECK(region_find(&set, P(8))->kind == REGION_GUARD);
	region_set_destroy(&set);
	return NULL;
}

/* ---- merging --------------------------------------------------------------- */

static const char *test_merge(void)
{
	struct region_set set;

	FRESH();
	region_set_init(&set);
	CHECK(add(&set, 10, 20, RW, REGION_ANON, "heap") == 0);
	CHECK(add(&set, 20, 30, RW, REGION_ANON, "heap") == 0); /* joins on the left */
	EXPECT(&set, {10, 30, RW, REGION_ANON, "heap"});
	CHECK(add(&set, 0, 10, RW, REGION_ANON, "heap") == 0);  /* joins on the right */
	EXPECT(&set, {0, 30, RW, REGION_ANON, "heap"});
	CHECK(add(&set, 40, 50, RW, REGION_ANON, "heap") == 0);
	CHECK(set.count == 2);
	CHECK(add(&set, 30, 40, RW, REGION_ANON, "heap") == 0); /* bridges the two */
	EXPECT(&set, {0, 50, RW, REGION_ANON, "heap"});
	region_set_destroy(&set);

	/* [10, 20) next to each variant: equal ANON and COW merge, nothing else does. */
	static const struct {
		unsigned prot;
		enum region_kind kind;
		const char *name;
		bool merges;
	} variants[] = {
		{RW, REGION_ANON, "heap", true},
		{0, REGION_ANON, "heap", false},
		{RW | MAP_USER, REGION_ANON, "heap", false},
		{RW, REGION_ANON, "heap2", false},
		{RW, REGION_COW, "heap", false},
		{RW, REGION_GUARD, "heap", false},
	};
	for (size_t i = 0; i < ARRAY_SIZE(variants); i++) {
		region_set_init(&set);
		CHECK(add(&set, 10, 20, RW, REGION_ANON, "heap") == 0);
		CHECK(add(&set, 20, 30, variants[i].prot, variants[i].kind, variants[i].name) == 0);
		CHECK_SET(&set);
		CHECKF(set.count == (variants[i].merges ? 1u : 2u), "variant %zu: %zu regions", i,
		       set.count);
		region_set_destroy(&set);
	}
	static const enum region_kind kinds[] = {
		REGION_COW, REGION_GUARD, REGION_DEVICE, REGION_KERNEL_IMAGE, REGION_DIRECT_MAP,
		REGION_VMALLOC, REGION_SHARED, REGION_GRANTED, REGION_PAGER,
	};
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		region_set_init(&set);
		CHECK(add(&set, 10, 20, RW, kinds[i], "same") == 0);
		CHECK(add(&set, 20, 30, RW, kinds[i], "same") == 0);
		CHECK(add(&set, 0, 10, RW, kinds[i], "same") == 0);
		CHECK_SET(&set);
		size_t expected = kinds[i] == REGION_COW || kinds[i] == REGION_GRANTED ? 1 : 3;
		CHECKF(set.count == expected, "two equal %s regions: %zu regions",
		       region_kind_name(kinds[i]), set.count);
		region_set_destroy(&set);
	}
	/* Equal stacks side by side stay two stacks. */
	region_set_init(&set);
	CHECK(add_stack(&set, 20, 30, 20, "stack") == 0);
	CHECK(add_stack(&set, 10, 20, 10, "stack") == 0);
	CHECK(add_stack(&set, 30, 40, 30, "stack") == 0);
	CHECK_SET(&set);
	CHECKF(set.count == 3, "stacks merged: %zu regions", set.count);
	region_set_destroy(&set);
	return NULL;
}

/* ---- remove ---------------------------------------------------------------- */

static const char *test_remove_middle(void)
{
	struct region_set set;
	struct snapshot before;

	FRESH();
	region_set_init(&set);
	CHECK(add(&set, 10, 20, RW, REGION_ANON, "a") == 0);
	CHECK(region_remove(&set, P(13), P(15)) == 0);
	EXPECT(&set, {10, 13, RW, REGION_ANON, "a"}, {15, 20, RW, REGION_ANON, "a"});
	CHECK(region_find(&set, P(13)) == NULL && region_find(&set, P(15) - 1) == NULL);
	take_snapshot(&before, &set);
	CHECK(region_remove(&set, P(0), P(10)) == 0);   /* nothing there */
	CHECK(region_remove(&set, P(13), P(15)) == 0);  /* the hole itself */
	CHECK(region_remove(&set, P(20), P(100)) == 0); /* from the last end on */
	CHECK(unchanged(&before, &set));
	CHECK(region_remove(&set, P(10), P(13)) == 0);  /* exactly a region */
	EXPECT(&set, {15, 20, RW, REGION_ANON, "a"});
	CHECK(region_remove(&set, P(17), P(30)) == 0);  /* trims the end */
	EXPECT(&set, {15, 17, RW, REGION_ANON, "a"});
	CHECK(region_remove(&set, P(0), P(16)) == 0);   /* trims the start */
	EXPECT(&set, {16, 17, RW, REGION_ANON, "a"});
	CHECK(region_remove(&set, P(0), P(100)) == 0);
	CHECK(set.count == 0);
	CHECK_SET(&set);
	/* A stack with a hole punched: both halves stay stacks with the limit. */
	CHECK(add_stack(&set, 10, 20, 5, "st") == 0);
	CHECK(region_remove(&set, P(12), P(18)) == 0);
	EXPECT(&set, {10, 12, RW, REGION_STACK, "st"}, {18, 20, RW, REGION_STACK, "st"});
	CHECK(set.items[0].grow_limit == P(5) && set.items[1].grow_limit == P(5));
	region_set_destroy(&set);
	return NULL;
}

static const char *test_remove_across(void)
{
	struct region_set set;

	FRESH();
	region_set_init(&set);
	CHECK(add(&set, 0, 10, RW, REGION_ANON, "a") == 0);
	CHECK(add(&set, 10, 20, RW, REGION_ANON, "b") == 0);
	CHECK(add(&set, 25, 30, RW, REGION_COW, "c") == 0);
	CHECK(add(&set, 30, 40, RW, REGION_GUARD, "d") == 0);
	CHECK(add(&set, 45, 50, RW, REGION_ANON, "e") == 0);
	CHECK(region_remove(&set, P(5), P(35)) == 0);
	EXPECT(&set, {0, 5, RW, REGION_ANON, "a"}, {35, 40, RW, REGION_GUARD, "d"},
	       {45, 50, RW, REGION_ANON, "e"});
	CHECK(region_remove(&set, P(2), P(47)) == 0);
	EXPECT(&set, {0, 2, RW, REGION_ANON, "a"}, {47, 50, RW, REGION_ANON, "e"});
	/* Whole regions only, from a gap to a gap. */
	CHECK(add(&set, 10, 20, RW, REGION_ANON, "f") == 0);
	CHECK(add(&set, 30, 40, RW, REGION_ANON, "g") == 0);
	CHECK(region_remove(&set, P(5), P(45)) == 0);
	EXPECT(&set, {0, 2, RW, REGION_ANON, "a"}, {47, 50, RW, REGION_ANON, "e"});
	region_set_destroy(&set);
	return NULL;
}

/* ---- protect, set_kind ----------------------------------------------------- */

static const char *test_protect(void)
{
	struct region_set set;
	struct snapshot before;

	FRESH();
	region_set_init(&set);
	CHECK(add(&set, 10, 30, RW, REGION_ANON, "a") == 0);
	CHECK(region_protect(&set, P(15), P(20), 0) == 0);
	EXPECT(&set, {10, 15, RW, REGION_ANON, "a"}, {15, 20, 0, REGION_ANON, "a"},
	       {20, 30, RW, REGION_ANON, "a"});
	CHECK(region_protect(&set, P(15), P(20), RW) == 0);
	EXPECT(&set, {10, 30, RW, REGION_ANON, "a"});
	/* Ends flush with the region: one split, then a merge on protecting back. */
	CHECK(region_protect(&set, P(10), P(12), RW | MAP_EXEC) == 0);
	EXPECT(&set, {10, 12, RW | MAP_EXEC, REGION_ANON, "a"}, {12, 30, RW, REGION_ANON, "a"});
	CHECK(region_protect(&set, P(10), P(30), 0) == 0);
	EXPECT(&set, {10, 30, 0, REGION_ANON, "a"});
	/* Holes: -ENOENT, set unchanged. */
	CHECK(add(&set, 40, 50, 0, REGION_ANON, "b") == 0);
	take_snapshot(&before, &set);
	CHECK(region_protect(&set, P(25), P(45), RW) == -ENOENT);
	CHECK(region_protect(&set, P(5), P(12), RW) == -ENOENT);
	CHECK(region_protect(&set, P(45), P(51), RW) == -ENOENT);
	CHECK(region_protect(&set, P(31), P(32), RW) == -ENOENT);
	CHECK(unchanged(&before, &set));
	/* No change at all: nothing is split, not even a stack. */
	CHECK(region_protect(&set, P(12), P(14), 0) == 0 && unchanged(&before, &set));
	/* Across two touching regions of different names. */
	CHECK(add(&set, 30, 40, 0, REGION_ANON, "c") == 0);
	CHECK(region_protect(&set, P(25), P(45), RW) == 0);
	EXPECT(&set, {10, 25, 0, REGION_ANON, "a"}, {25, 30, RW, REGION_ANON, "a"},
	       {30, 40, RW, REGION_ANON, "c"}, {40, 45, RW, REGION_ANON, "b"},
	       {45, 50, 0, REGION_ANON, "b"});
	CHECK(region_protect(&set, P(10), P(50), RW) == 0);
	EXPECT(&set, {10, 30, RW, REGION_ANON, "a"}, {30, 40, RW, REGION_ANON, "c"},
	       {40, 50, RW, REGION_ANON, "b"});
	region_set_destroy(&set);
	/* A stack splits like the rest but never merges back. */
	region_set_init(&set);
	CHECK(add_stack(&set, 10, 20, 5, "st") == 0);
	CHECK(region_protect(&set, P(12), P(14), 0) == 0);
	EXPECT(&set, {10, 12, RW, REGION_STACK, "st"}, {12, 14, 0, REGION_STACK, "st"},
	       {14, 20, RW, REGION_STACK, "st"});
	CHECK(region_protect(&set, P(12), P(14), RW) == 0);
	EXPECT(&set, {10, 12, RW, REGION_STACK, "st"}, {12, 14, RW, REGION_STACK, "st"},
	       {14, 20, RW, REGION_STACK, "st"});
	region_set_destroy(&set);
	return NULL;
}

static const char *test_set_kind(void)
{
	struct region_set set;
	struct snapshot before;

	FRESH();
	region_set_init(&set);
	CHECK(add(&set, 10, 30, RW, REGION_ANON, "a") == 0);
	CHECK(region_set_kind(&set, P(15), P(20), REGION_COW) == 0);
	EXPECT(&set, {10, 15, RW, REGION_ANON, "a"}, {15, 20, RW, REGION_COW, "a"},
	       {20, 30, RW, REGION_ANON, "a"});
	CHECK(region_set_kind(&set, P(15), P(20), REGION_ANON) == 0);
	EXPECT(&set, {10, 30, RW, REGION_ANON, "a"});
	CHECK(region_set_kind(&set, P(10), P(30), REGION_COW) == 0);
	EXPECT(&set, {10, 30, RW, REGION_COW, "a"});
	/* A stack that stops being one loses its grow_limit. */
	CHECK(add_stack(&set, 40, 50, 35, "a") == 0);
	CHECK(region_set_kind(&set, P(40), P(45), REGION_GUARD) == 0);
	EXPECT(&set, {10, 30, RW, REGION_COW, "a"}, {40, 45, RW, REGION_GUARD, "a"},
	       {45, 50, RW, REGION_STACK, "a"});
	CHECK(set.items[1].grow_limit == 0 && set.items[2].grow_limit == P(35));
	/* Holes and bad kinds: set unchanged. */
	take_snapshot(&before, &set);
	CHECK(region_set_kind(&set, P(25), P(45), REGION_ANON) == -ENOENT);
	CHECK(region_set_kind(&set, P(30), P(40), REGION_ANON) == -ENOENT);
	CHECK(region_set_kind(&set, P(45), P(50), REGION_STACK) == -EINVAL);
	CHECK(unchanged(&before, &set));
	/* Becoming equal to a neighbour merges with it. */
	CHECK(region_remove(&set, P(40), P(50)) == 0);
	CHECK(add(&set, 30, 40, RW, REGION_ANON, "a") == 0);
	CHECK(region_set_kind(&set, P(30), P(40), REGION_COW) == 0);
	EXPECT(&set, {10, 40, RW, REGION_COW, "a"});
	region_set_destroy(&set);
	return NULL;
}

/* ---- next, grow_down, for_each --------------------------------------------- */

static const char *test_next(void)
{
	struct region_set set;

	FRESH();
	region_set_init(&set);
	CHECK(add(&set, 10, 20, RW, REGION_ANON, "a") == 0);
	CHECK(add(&set, 30, 40, RW, REGION_GUARD, "b") == 0);
	const struct region *first = region_find(&set, P(10)), *second = region_find(&set, P(30));
	CHECK(first && second && first != second);
	CHECK(region_next(&set, 0) == first);
	CHECK(region_next(&set, P(10) - 1) == first);
	CHECK(region_next(&set, P(10)) == second); /* a start is not above itself */
	CHECK(region_next(&set, P(15)) == second);
	CHECK(region_next(&set, P(20)) == second);
	CHECK(region_next(&set, P(30) - 1) == second);
	CHECK(region_next(&set, P(30)) == NULL);
	CHECK(region_next(&set, P(45)) == NULL);
	CHECK(region_next(&set, ~0ull) == NULL);
	region_set_destroy(&set);
	return NULL;
}

static const char *test_grow_down(void)
{
	struct region_set set;
	struct snapshot before;
	struct region outside;

	FRESH();
	region_set_init(&set);
	CHECK(add(&set, 0, 10, RW, REGION_ANON, "heap") == 0);
	CHECK(add_stack(&set, 20, 30, 12, "stack") == 0);
	const struct region *stack = region_find(&set, P(25));
	CHECK(stack && stack->kind == REGION_STACK);
	CHECK(region_grow_down(&set, stack, P(18)) == 0);
	CHECK(region_find(&set, P(18)) == stack && stack->start == P(18));
	CHECK(region_grow_down(&set, stack, P(12)) == 0); /* down to the limit exactly */
	EXPECT(&set, {0, 10, RW, REGION_ANON, "heap"}, {12, 30, RW, REGION_STACK, "stack"});
	take_snapshot(&before, &set);
	CHECK(region_grow_down(&set, stack, P(11)) == -EINVAL); /* below the limit */
	CHECK(region_grow_down(&set, stack, P(12)) == -EINVAL); /* not below start */
	CHECK(region_grow_down(&set, stack, P(13)) == -EINVAL);
	CHECK(region_grow_down(&set, region_find(&set, P(5)), 0) == -EINVAL); /* not a stack */
	outside = *stack;
	CHECK(region_grow_down(&set, &outside, P(12)) == -EINVAL); /* not in the set */
	CHECK(region_grow_down(&set, (const struct region *)((const char *)stack + 8), P(12)) ==
	      -EINVAL);
	CHECK(region_grow_down(&set, NULL, P(12)) == -EINVAL);
	CHECK(unchanged(&before, &set));
	/* Into the previous region: -EEXIST; touching it is fine. */
	CHECK(add_stack(&set, 60, 70, 40, "stack2") == 0);
	CHECK(add(&set, 50, 55, RW, REGION_GUARD, "guard") == 0);
	stack = region_find(&set, P(60));
	CHECK(stack && region_grow_down(&set, stack, P(58) + 1) == -EINVAL); /* unaligned */
	take_snapshot(&before, &set);
	CHECK(region_grow_down(&set, stack, P(54)) == -EEXIST);
	CHECK(region_grow_down(&set, stack, P(45)) == -EEXIST);
	CHECK(unchanged(&before, &set));
	CHECK(region_grow_down(&set, stack, P(55)) == 0);
	EXPECT(&set, {0, 10, RW, REGION_ANON, "heap"}, {12, 30, RW, REGION_STACK, "stack"},
	       {50, 55, RW, REGION_GUARD, "guard"}, {55, 70, RW, REGION_STACK, "stack2"});
	region_set_destroy(&set);
	return NULL;
}

struct visit {
	virt_addr_t starts[8];
	unsigned seen, stop_after;
};

static bool record_visit(const struct region *r, void *arg)
{
	struct visit *visit = arg;

	visit->starts[visit->seen++] = r->start;
	return visit->seen < visit->stop_after;
}

static const char *test_for_each(void)
{
	struct region_set set;
	struct visit visit = {.stop_after = 100};

	FRESH();
	region_set_init(&set);
	region_for_each(&set, record_visit, &visit);
	CHECK(visit.seen == 0);
	CHECK(add(&set, 30, 40, RW, REGION_ANON, "c") == 0);
	CHECK(add(&set, 0, 10, RW, REGION_ANON, "a") == 0);
	CHECK(add(&set, 10, 20, RW, REGION_ANON, "b") == 0);
	region_for_each(&set, record_visit, &visit);
	CHECKF(visit.seen == 3 && visit.starts[0] == P(0) && visit.starts[1] == P(10) &&
	       visit.starts[2] == P(30), "visited %u, not in address order", visit.seen);
	visit.seen = 0;
	visit.stop_after = 2;
	region_for_each(&set, record_visit, &visit);
	CHECKF(visit.seen == 2, "did not stop: %u visited", visit.seen);
	region_set_destroy(&set);
	return NULL;
}

/* ---- the checker itself ---------------------------------------------------- */

static const char *test_invariant_checker(void)
{
	struct region items[3];
	struct region_set set = {items, 2, 3, SPINLOCK_INIT("region set"), 0};
	const char *violation;

	items[0] = region_of(0, 10, RW, REGION_ANON, "a");
	items[1] = region_of(10, 20, RW, REGION_ANON, "b");
	CHECK(region_check_invariants(&set) == NULL);

	struct {
		const char *what, *expected;
		struct region first, second;
		size_t count, capacity;
	} cases[] = {
		{"overlap", "overlap", region_of(0, 11, RW, REGION_ANON, "a"), items[1], 2, 3},
		{"unsorted", "overlap", items[1], items[0], 2, 3},
		{"mergeable", "merged", items[0], region_of(10, 20, RW, REGION_ANON, "a"), 2, 3},
		{"empty", "bad range", region_of(0, 0, RW, REGION_ANON, "a"), items[1], 2, 3},
		{"kind", "bad kind", region_of(0, 10, RW, REGION_KINDS, "a"), items[1], 2, 3},
		{"prot", "bad prot", region_of(0, 10, MAP_GLOBAL, REGION_ANON, "a"), items[1], 2, 3},
		{"stack", "grow_limit", region_of(0, 10, RW, REGION_STACK, "a"), items[1], 2, 3},
		{"count", "capacity", items[0], items[1], 4, 3},
	};
	cases[6].first.grow_limit = P(1);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct region copy[4] = {cases[i].first, cases[i].second};
		struct region_set broken = {copy, cases[i].count, cases[i].capacity,
					    SPINLOCK_INIT("region set"), 0};
		violation = region_check_invariants(&broken);
		CHECKF(violation && strstr(violation, cases[i].expected) &&
		       strstr(violation, "region_check_invariants"),
		       "%s: \"%s\"", cases[i].what, violation ? violation : "(none)");
	}
	items[0].name[3] = 'x'; /* garbage after the NUL */
	CHECK((violation = region_check_invariants(&set)) && strstr(violation, "zero-filled"));
	memset(items[0].name, 'x', sizeof(items[0].name));
	CHECK((violation = region_check_invariants(&set)) && strstr(violation, "NUL"));
	return NULL;
}

/* ---- out of memory --------------------------------------------------------- */

/* Allocate every free page onto list (ALLOC_RESERVE, no shrinking). */
static void take_all_pages(struct list_node *list)
{
	struct page *page;

	list_init(list);
	while ((page = alloc_page(ALLOC_RESERVE | ALLOC_NO_SHRINK)))
		list_add_tail(list, &page->list);
}

static void give_back_all(struct list_node *list)
{
	while (!list_empty(list)) {
		struct page *page = list_first_entry(list, struct page, list);
		list_remove(&page->list);
		MUST_SUCCEED(free_page(page), "give_back_all: a page the test allocated");
	}
}

static const char *test_out_of_memory(void)
{
	struct region_set set;
	struct snapshot before;
	struct list_node taken;
	const char *failure = NULL;

	FRESH();
	region_set_init(&set);
	/* Eight regions that cannot merge (different names): the array is full. */
	for (unsigned i = 0; i < 8; i++) {
		char name[REGION_NAME_SIZE];
		ksnprintf(name, sizeof(name), "r%u", i);
		CHECK(add(&set, 10 * i, 10 * i + 5, RW, REGION_ANON, name) == 0);
	}
	CHECK(set.count == 8 && set.capacity == 8);
	take_all_pages(&taken);
	void *probe = kmalloc(16 * sizeof(struct region), 0);
	if (probe) {
		kfree(probe);
		give_back_all(&taken);
		return "memory was not exhausted: the test could not make krealloc fail";
	}
	take_snapshot(&before, &set);
	/* Everything that needs one more slot fails and changes nothing. */
	int insert = add(&set, 6, 8, RW, REGION_ANON, "new");
	int hole = region_remove(&set, P(21), P(23));
	int protect = region_protect(&set, P(31), P(33), 0);
	int protect_edge = region_protect(&set, P(40), P(42), 0);
	int kind = region_set_kind(&set, P(51), P(53), REGION_COW);
	bool same = unchanged(&before, &set);
	/* What needs no slot works: merging insert, whole-region changes, trims, grow. */
	int merge = add(&set, 5, 6, RW, REGION_ANON, "r0");
	int whole = region_protect(&set, P(10), P(15), 0);
	int whole_kind = region_set_kind(&set, P(20), P(25), REGION_COW);
	int trim = region_remove(&set, P(34), P(42)); /* the end of r3 and the start of r4 */
	int gone = region_remove(&set, P(50), P(55));
	int reuse = add(&set, 50, 52, RW, REGION_GUARD, "g");
	give_back_all(&taken);
	if (insert != -ENOMEM || hole != -ENOMEM || protect != -ENOMEM || protect_edge != -ENOMEM ||
	    kind != -ENOMEM)
		failure = selftest_reason("expected -ENOMEM, got insert %d, hole %d, protect %d, "
					  "%d, set_kind %d", insert, hole, protect, protect_edge,
					  kind);
	else if (!same)
		failure = "a failed operation changed the set";
	else if (merge || whole || whole_kind || trim || gone || reuse)
		failure = selftest_reason("no-slot operations failed: merge %d, protect %d, "
					  "set_kind %d, trim %d, remove %d, insert %d", merge,
					  whole, whole_kind, trim, gone, reuse);
	CHECK_OK(failure);
	EXPECT(&set, {0, 6, RW, REGION_ANON, "r0"}, {10, 15, 0, REGION_ANON, "r1"},
	       {20, 25, RW, REGION_COW, "r2"}, {30, 34, RW, REGION_ANON, "r3"},
	       {42, 45, RW, REGION_ANON, "r4"}, {50, 52, RW, REGION_GUARD, "g"},
	       {60, 65, RW, REGION_ANON, "r6"}, {70, 75, RW, REGION_ANON, "r7"});
	/* With memory back, the array grows (8 -> 16). */
	CHECK(region_remove(&set, P(21), P(23)) == 0);
	CHECK(set.count == 9 && set.capacity == 16);
	CHECK_SET(&set);
	region_set_destroy(&set);
	return NULL;
}

/* ---- random operations against a shadow model ------------------------------ */

#define WINDOW_PAGES 256
#define RANDOM_OPERATIONS 10000

/* What the model knows of one page of the window. */
struct page_model {
	bool present;
	enum region_kind kind;
	unsigned prot;
	unsigned name;        /* index into model_names */
	int64_t grow_limit;   /* page number, stacks only; else 0 */
	bool cut;             /* a region boundary lies just below this page */
};

static const char *const model_names[] = {"a", "b"};
static struct page_model model[WINDOW_PAGES + 1];

static bool model_mergeable_kind(enum region_kind kind)
{
	return kind == REGION_ANON || kind == REGION_COW;
}

/* Are pages p - 1 and p in one region? Equal attributes, and no boundary or a merging kind. */
static bool model_joined(int64_t p)
{
	const struct page_model *a, *b;

	if (p <= 0 || p >= WINDOW_PAGES)
		return false;
	a = &model[p - 1];
	b = &model[p];
	if (!a->present || !b->present)
		return false;
	if (a->kind != b->kind || a->prot != b->prot || a->name != b->name ||
	    a->grow_limit != b->grow_limit)
		return false;
	return model_mergeable_kind(a->kind) || !b->cut;
}

/* After each operation: a cut exactly where one region ends and another begins. */
static void model_normalize(void)
{
	for (int64_t p = 0; p <= WINDOW_PAGES; p++)
		model[p].cut = !model_joined(p);
}

static bool model_all_present(int64_t first, int64_t end)
{
	for (int64_t p = first; p < end; p++)
		if (!model[p].present)
			return false;
	return true;
}

static bool model_any_present(int64_t first, int64_t end)
{
	for (int64_t p = first; p < end; p++)
		if (model[p].present)
			return true;
	return false;
}

/* Change the pages [first, end): a region straddling an end that changes is cut there. */
static void model_change(int64_t first, int64_t end, bool set_kind, unsigned prot,
			 enum region_kind kind)
{
	if (model_joined(first) &&
	    (set_kind ? model[first].kind != kind : model[first].prot != prot))
		model[first].cut = true;
	if (model_joined(end) && (set_kind ? model[end - 1].kind != kind : model[end - 1].prot != prot))
		model[end].cut = true;
	for (int64_t p = first; p < end; p++) {
		if (set_kind) {
			model[p].kind = kind;
			model[p].grow_limit = 0;
		} else {
			model[p].prot = prot;
		}
	}
}

/* The set is well-formed and matches the model page by page, bounds included. */
static const char *model_compare(const struct region_set *set, uint64_t *seed)
{
	static int64_t run_start[WINDOW_PAGES], run_end[WINDOW_PAGES];
	size_t runs = 0;

	CHECK_SET(set);
	for (int64_t p = 0; p < WINDOW_PAGES; p++) {
		run_start[p] = model_joined(p) ? run_start[p - 1] : p;
		runs += model[p].present && !model_joined(p);
	}
	for (int64_t p = WINDOW_PAGES - 1; p >= 0; p--)
		run_end[p] = model_joined(p + 1) ? run_end[p + 1] : p + 1;
	CHECKF(set->count == runs, "%zu regions, the model has %zu", set->count, runs);
	for (int64_t p = 0; p < WINDOW_PAGES; p++) {
		const struct page_model *m = &model[p];
		const struct region *r = region_find(set, P(p) + (p * 97 % PAGE_SIZE));
		if (!m->present) {
			CHECKF(!r, "page %ld found in [0x%lx, 0x%lx), the model has none", p,
			       r->start, r->end);
			continue;
		}
		CHECKF(r, "page %ld not found", p);
		CHECKF(r->start == P(run_start[p]) && r->end == P(run_end[p]),
		       "page %ld in [0x%lx, 0x%lx), the model says pages [%ld, %ld)", p, r->start,
		       r->end, run_start[p], run_end[p]);
		CHECKF(r->kind == m->kind && r->prot == m->prot &&
		       strcmp(r->name, model_names[m->name]) == 0 &&
		       r->grow_limit == (m->kind == REGION_STACK ? P(m->grow_limit) : 0),
		       "page %ld: %s prot %u \"%s\" limit 0x%lx, the model says %s prot %u \"%s\"",
		       p, region_kind_name(r->kind), r->prot, r->name, r->grow_limit,
		       region_kind_name(m->kind), m->prot, model_names[m->name]);
	}
	/* region_next from one random address. */
	int64_t page = (int64_t)random_below(seed, WINDOW_PAGES);
	int64_t next = page + 1;
	while (next < WINDOW_PAGES && !(model[next].present && !model_joined(next)))
		next++;
	const struct region *r = region_next(set, P(page) + random_below(seed, PAGE_SIZE));
	if (next == WINDOW_PAGES)
		CHECKF(!r, "region_next(page %ld) gave [0x%lx, ...), the model has none", page,
		       r->start);
	else
		CHECKF(r && r->start == P(next), "region_next(page %ld) wrong, the model says %ld",
		       page, next);
	return NULL;
}

static const char *test_random(void)
{
	static const unsigned prots[] = {0, RW, RW | MAP_USER, RW | MAP_EXEC};
	static const enum region_kind kinds[] = {
		REGION_ANON, REGION_ANON, REGION_COW, REGION_COW, REGION_STACK, REGION_GUARD};
	static const enum region_kind new_kinds[] = {
		REGION_ANON, REGION_COW, REGION_GUARD, REGION_STACK};
	struct region_set set;
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	unsigned counts[5] = {0};

	FRESH();
	region_set_init(&set);
	memset(model, 0, sizeof(model));
	model_normalize();
	for (unsigned op = 0; op < RANDOM_OPERATIONS; op++) {
		unsigned choice = (unsigned)random_below(&seed, 100);
		int64_t first = (int64_t)random_below(&seed, WINDOW_PAGES);
		int64_t length = 1 + (int64_t)random_below(&seed, choice < 35 ? 16 : 32);
		int64_t end = MIN(first + length, (int64_t)WINDOW_PAGES); /* MIN: no side effects */
		unsigned prot = prots[random_below(&seed, ARRAY_SIZE(prots))];
		unsigned name = (unsigned)random_below(&seed, ARRAY_SIZE(model_names));
		int err, expected;
		const char *what;

		if (choice < 35) {
			enum region_kind kind = kinds[random_below(&seed, ARRAY_SIZE(kinds))];
			struct region r = region_of(first, end, prot, kind, model_names[name]);
			int64_t room = MIN(first, 8);
			int64_t limit = first - (int64_t)random_below(&seed, room + 1);
			if (kind == REGION_STACK)
				r.grow_limit = P(limit);
			what = "insert";
			err = region_insert(&set, &r);
			expected = model_any_present(first, end) ? -EEXIST : 0;
			if (expected == 0) {
				for (int64_t p = first; p < end; p++) {
					model[p] = (struct page_model){true, kind, prot, name,
						kind == REGION_STACK ? limit : 0, p == first};
				}
				model[end].cut = true;
			}
		} else if (choice < 55) {
			what = "remove";
			err = region_remove(&set, P(first), P(end));
			expected = 0;
			for (int64_t p = first; p < end; p++)
				model[p].present = false;
		} else if (choice < 75) {
			what = "protect";
			err = region_protect(&set, P(first), P(end), prot);
			expected = model_all_present(first, end) ? 0 : -ENOENT;
			if (expected == 0)
				model_change(first, end, false, prot, REGION_ANON);
		} else if (choice < 90) {
			enum region_kind kind = new_kinds[random_below(&seed, ARRAY_SIZE(new_kinds))];
			what = "set_kind";
			err = region_set_kind(&set, P(first), P(end), kind);
			expected = kind == REGION_STACK ? -EINVAL
				   : model_all_present(first, end) ? 0 : -ENOENT;
			if (expected == 0)
				model_change(first, end, true, 0, kind);
		} else {
			/* Grow the region at page first down, if it is a stack. */
			const struct region *r = region_find(&set, P(first));
			what = "grow_down";
			if (!r) {
				counts[4]++;
				continue;
			}
			int64_t start = (int64_t)((r->start - BASE) / PAGE_SIZE);
			int64_t limit = model[first].grow_limit;
			int64_t target = start - (int64_t)random_below(&seed, 6);
			if (r->kind != REGION_STACK)
				target = start - 1;
			err = region_grow_down(&set, r, P(target));
			if (r->kind != REGION_STACK || target < limit || target >= start)
				expected = -EINVAL;
			else
				expected = model_any_present(target, start) ? -EEXIST : 0;
			if (expected == 0) {
				for (int64_t p = target; p < start; p++) {
					model[p] = model[start];
					model[p].cut = p == target;
				}
				model[start].cut = false;
			}
			end = start;
			first = target;
		}
		counts[choice < 35 ? 0 : choice < 55 ? 1 : choice < 75 ? 2 : choice < 90 ? 3 : 4]++;
		CHECKF(err == expected, "operation %u (%s pages [%ld, %ld)): %d, expected %d", op,
		       what, first, end, err, expected);
		model_normalize();
		const char *reason = model_compare(&set, &seed);
		if (reason) {
			static char copy[200]; /* the reason lives in selftest_reason's buffer */
			strlcpy(copy, reason, sizeof(copy));
			return selftest_reason("after operation %u (%s pages [%ld, %ld)): %s", op,
					       what, first, end, copy);
		}
	}
	CHECKF(counts[0] > 1000 && counts[2] > 1000 && counts[3] > 1000 && set.count > 0,
	       "too few operations of some kind, or an empty window at the end");
	region_set_destroy(&set);
	return NULL;
}

static const struct selftest region_tests[] = {
	{"kind_names", "region_kind_name for every kind and for bad values", test_kind_names},
	{"insert_find", "100 shuffled inserts; find at starts, inside, last bytes, gaps, ends",
	 test_insert_find},
	{"name_copy", "names copied up to the NUL, truncated, zero-filled", test_name_copy},
	{"overlap", "every kind of overlap is -EEXIST and leaves the set unchanged", test_overlap},
	{"bad_arguments", "unaligned, empty, wrapping, non-canonical, bad kind/prot/limit: "
	 "-EINVAL", test_bad_arguments},
	{"find_hint", "the last-found hint: hits, and stale hints after removals are not trusted",
	 test_find_hint},
	{"file", "file regions: never merge; splits, trims and holes move file_phys/file_bytes",
	 test_file},
	{"merge", "touching equal ANON/COW regions merge; other prot/name/kind and stacks not",
	 test_merge},
	{"remove_middle", "a hole punched splits in two; trims; removing nothing is fine",
	 test_remove_middle},
	{"remove_across", "a range across several regions trims both ends, drops the middle",
	 test_remove_across},
	{"protect", "protect splits into three and merges back; -ENOENT on holes",
	 test_protect},
	{"set_kind", "ANON -> COW in the middle and back; stacks lose grow_limit", test_set_kind},
	{"next", "region_next: lowest start above va", test_next},
	{"grow_down", "stack growth: to the limit, below it refused, into a neighbour -EEXIST",
	 test_grow_down},
	{"for_each", "address order, early stop", test_for_each},
	{"invariant_checker", "broken sets are reported, naming the checker",
	 test_invariant_checker},
	{"out_of_memory", "-ENOMEM leaves the set unchanged; slot-free operations still work",
	 test_out_of_memory},
	{"random", "10^4 random insert/remove/protect/set_kind/grow_down against a shadow model",
	 test_random},
};

SELFTEST_SUITE(region, region_tests);
