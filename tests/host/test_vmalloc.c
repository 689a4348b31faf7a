/*
 * test_vmalloc.c - suite "vmalloc": virtually contiguous allocations
 * (mm/vmalloc.c) on the host, over a 64 MiB simulated RAM arena.
 *
 * The host process cannot dereference the kernel addresses vmalloc returns
 * (nothing really maps them), so every check goes through the test address
 * space's page tables: paging_translate gives each page's frame, and the
 * frame is read and written through phys_to_virt (the arena).
 *
 * Every test runs between BEGIN and END: a fresh address space (owning its
 * kernel half, so the window may be at VMALLOC_START) and a fresh vmalloc
 * window in it. END checks vmalloc's invariants, that no area is left and
 * the window is one free range again, destroys the space, and requires the
 * buddy allocator's free page count to be back where it started: no frame
 * and no table leaked. Hosted code: may use libc, but uses only mm/ here.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/selftest.h"
#include "lib/errno.h"
#include "lib/list.h"
#include "lib/panic.h"
#include "lib/random.h"
#include "lib/string.h"
#include "mm/buddy.h"
#include "mm/page.h"
#include "mm/paging.h"
#include "mm/vmalloc.h"
#include "tests/host/arena.h"

#define KIB (1ull << 10)
#define MIB (1ull << 20)
#define GIB (1ull << 30)
#define ARENA_BYTES (64 * MIB)
#define WINDOW VMALLOC_START  /* the real window's start, in a test space */
#define WINDOW_SIZE (1 * GIB) /* a small window: the tests never need more */
#define VM_FLAGS (MAP_WRITE | MAP_GLOBAL) /* what vmalloc maps kernel-half pages with */


/* Start a test: a fresh space as, a window of window_size bytes at WINDOW in it. */
#define BEGIN_WINDOW(as, before, window_size)                                              \
	uint64_t before;                                                                    \
	struct address_space as;                                                            \
	CHECKF(arena_ready_flat(ARENA_BYTES), "cannot build the arena allocator");                          \
	before = buddy_free_pages();                                                        \
	CHECK(paging_create(&as, NULL) == 0);                                               \
	CHECK(vmalloc_init(&as, WINDOW, (window_size)) == 0)

#define BEGIN(as, before) BEGIN_WINDOW(as, before, WINDOW_SIZE)

/* End a test: everything freed, bookkeeping consistent, every page back. */
static const char *end_test(struct address_space *as, uint64_t before, uint64_t window_size)
{
	const char *violation = vmalloc_check_invariants();

	CHECKF(!violation, "vmalloc invariant: %s", violation);
	CHECKF(vmalloc_used_bytes() == 0, "%lu bytes still allocated", vmalloc_used_bytes());
	CHECKF(vmalloc_free_range_count() == 1 && vmalloc_free_bytes() == window_size,
	       "window not one free range again: %zu ranges, %lu bytes",
	       vmalloc_free_range_count(), vmalloc_free_bytes());
	paging_destroy(as);
	CHECKF(buddy_free_pages() == before, "%ld pages leaked",
	       (long)(before - buddy_free_pages()));
	violation = buddy_check_invariants();
	CHECKF(!violation, "buddy invariant: %s", violation);
	return NULL;
}

#define END(as, before) return end_test(&(as), before, WINDOW_SIZE)

static virt_addr_t va_of(const void *p)
{
	return (virt_addr_t)(uintptr_t)p;
}

/* vmalloc_for_each_area callback: find the descriptor of the area starting at l->start. */
struct area_lookup {
	virt_addr_t start;
	const struct vmalloc_area *found;
};

static void match_area(const struct vmalloc_area *a, void *arg)
{
	struct area_lookup *l = arg;

	if (a->start == l->start)
		l->found = a;
}

/* The live area starting at p, found without vmalloc_find (which is tested separately). */
static const struct vmalloc_area *area_at(const void *p)
{
	struct area_lookup l = {va_of(p), NULL};

	vmalloc_for_each_area(match_area, &l);
	return l.found;
}

static bool unmapped(const struct address_space *as, virt_addr_t va)
{
	struct paging_translation t;

	return paging_translate(as, va, &t) == -ENOENT;
}

/*
 * The area at p, asked for size bytes: page-aligned, its descriptor
 * describing it, each page a distinct 4 KiB frame mapped read-write,
 * no-execute, holding zeroes and writable (a pattern written through the
 * frame reads back), and the guard page after it unmapped.
 */
static const char *check_area(const struct address_space *as, void *p, size_t size)
{
	static phys_addr_t frames[512];
	uint64_t pages = (size + PAGE_SIZE - 1) / PAGE_SIZE;
	virt_addr_t start = va_of(p);
	const struct vmalloc_area *a = area_at(p);

	CHECKF(p && start % PAGE_SIZE == 0, "vmalloc(%zu) gave %p", size, p);
	CHECKF(start >= WINDOW && start < WINDOW + WINDOW_SIZE, "%p outside the window", p);
	CHECK(pages <= 512);
	CHECKF(a, "no live area starts at %p", p);
	CHECK(a->pages == pages && a->size == pages * PAGE_SIZE);
	for (uint64_t i = 0; i < pages; i++) {
		struct paging_translation t;
		int err = paging_translate(as, start + i * PAGE_SIZE, &t);

		CHECKF(err == 0, "page %lu of a %zu-byte area: translate returned %d", i, size, err);
		CHECKF(t.page_size == PAGE_SIZE && t.flags == VM_FLAGS,
		       "page %lu: size %lu flags 0x%x", i, t.page_size, t.flags);
		CHECK(!(t.flags & MAP_EXEC) && (t.entry & PTE_NX));
		for (uint64_t j = 0; j < i; j++)
			CHECKF(frames[j] != t.pa, "pages %lu and %lu share frame 0x%lx", j, i, t.pa);
		frames[i] = t.pa;
		uint8_t *bytes = phys_to_virt(t.pa);
		for (uint64_t b = 0; b < PAGE_SIZE; b++)
			CHECKF(bytes[b] == 0, "page %lu byte %lu is 0x%x, not zero", i, b, bytes[b]);
		memset(bytes, 0x5a, PAGE_SIZE);
		CHECK(bytes[0] == 0x5a && bytes[PAGE_SIZE - 1] == 0x5a);
	}
	CHECKF(unmapped(as, start + pages * PAGE_SIZE), "guard page of %p is mapped", p);
	return NULL;
}

static const char *test_sizes(void)
{
	static const size_t sizes[] = {1, 4096, 4097, 1 * MIB};
	void *p[4];
	uint64_t used = 0;
	BEGIN(as, before);

	for (size_t i = 0; i < 4; i++) {
		uint64_t free_before = buddy_free_pages();
		p[i] = vmalloc(sizes[i]);
		CHECK_OK(check_area(&as, p[i], sizes[i]));
		uint64_t pages = (sizes[i] + PAGE_SIZE - 1) / PAGE_SIZE;
		CHECKF(free_before - buddy_free_pages() >= pages,
		       "vmalloc(%zu) took %lu frames, expected at least %lu", sizes[i],
		       free_before - buddy_free_pages(), pages);
		used += pages * PAGE_SIZE;
		CHECK(vmalloc_used_bytes() == used);
	}
	/* the areas are disjoint, each with its guard in between */
	for (size_t i = 1; i < 4; i++)
		CHECKF(va_of(p[i]) >= va_of(p[i - 1]) + area_at(p[i - 1])->size + PAGE_SIZE,
		       "area %zu starts 0x%lx bytes after area %zu, whose size is 0x%lx: no room "
		       "for a guard page in between", i, va_of(p[i]) - va_of(p[i - 1]), i - 1,
		       area_at(p[i - 1])->size);
	const char *violation = vmalloc_check_invariants();
	CHECKF(!violation, "%s", violation);
	for (size_t i = 0; i < 4; i++) {
		CHECK(vfree(p[i]) == 0);
		CHECK(unmapped(&as, va_of(p[i])));
	}
	END(as, before);
}

static const char *test_zeroed_on_reuse(void)
{
	BEGIN(as, before);
	void *p = vmalloc(16 * PAGE_SIZE);

	CHECK_OK(check_area(&as, p, 16 * PAGE_SIZE)); /* leaves 0x5a in every frame */
	CHECK(vfree(p) == 0);
	p = vmalloc(16 * PAGE_SIZE);
	CHECK_OK(check_area(&as, p, 16 * PAGE_SIZE)); /* zero again */
	CHECK(vfree(p) == 0);
	END(as, before);
}

static const char *test_vfree_errors(void)
{
	BEGIN(as, before);
	char *p = vmalloc(2 * PAGE_SIZE);
	int local;

	CHECK(p);
	uint64_t free_pages = buddy_free_pages(), used = vmalloc_used_bytes();
	size_t ranges = vmalloc_free_range_count();
	const void *bogus[] = {&local, phys_to_virt(0x100000), p + 8, p + PAGE_SIZE,
			       p + 2 * PAGE_SIZE, (void *)(uintptr_t)(WINDOW + WINDOW_SIZE / 2)};

	for (size_t i = 0; i < sizeof(bogus) / sizeof(bogus[0]); i++) {
		selftest_capture_begin();
		int err = vfree(bogus[i]);
		const char *text = selftest_capture_end();
		CHECKF(err == -EINVAL, "vfree(%p) returned %d", bogus[i], err);
		CHECKF(strstr(text, "vfree:") && strstr(text, "is not the start") &&
			       strstr(text, " by 0x"),
		       "report for %p: \"%s\"", bogus[i], text);
		CHECK(buddy_free_pages() == free_pages && vmalloc_used_bytes() == used &&
		      vmalloc_free_range_count() == ranges);
	}
	CHECK_OK(check_area(&as, p, 2 * PAGE_SIZE)); /* still intact */
	CHECK(vfree(p) == 0);
	free_pages = buddy_free_pages();
	selftest_capture_begin();
	int err = vfree(p); /* double free */
	const char *text = selftest_capture_end();
	CHECKF(err == -EINVAL && strstr(text, "double free"), "double vfree: %d \"%s\"", err, text);
	CHECK(buddy_free_pages() == free_pages);
	CHECK(vfree(NULL) == 0);
	END(as, before);
}

/* vmalloc_for_each_area callback: count areas, add sizes, check address order. */
struct walk_totals {
	size_t areas;
	uint64_t bytes;
	virt_addr_t last;
	bool ordered;
	void *callers[4];
};

static void walk_area(const struct vmalloc_area *a, void *arg)
{
	struct walk_totals *w = arg;

	if (a->start <= w->last)
		w->ordered = false;
	w->last = a->start;
	if (w->areas < 4)
		w->callers[w->areas] = a->caller;
	w->areas++;
	w->bytes += a->size;
}

static const char *test_callers_and_walk(void)
{
	BEGIN(as, before);
	void *a = vmalloc_caller(3 * PAGE_SIZE, (void *)0x1234);
	void *b = vmalloc(PAGE_SIZE + 1);
	struct walk_totals w = {0, 0, 0, true, {NULL}};

	CHECK(a && b);
	vmalloc_for_each_area(walk_area, &w);
	CHECKF(w.areas == 2 && w.bytes == 5 * PAGE_SIZE && w.bytes == vmalloc_used_bytes(),
	       "%zu areas, %lu bytes", w.areas, w.bytes);
	CHECK(w.ordered);
	CHECK(w.callers[0] == (void *)0x1234);
	/* vmalloc records its own caller: an address in this function, not NULL or 0x1234 */
	CHECK(w.callers[1] && w.callers[1] != (void *)0x1234);
	CHECK(area_at(b)->caller == w.callers[1]);
	CHECK(vfree(a) == 0 && vfree(b) == 0);
	END(as, before);
}

static const char *test_guard_layout(void)
{
	BEGIN(as, before);
	uint64_t free0 = vmalloc_free_bytes();
	char *p = vmalloc(3 * PAGE_SIZE);
	CHECK(p && va_of(p) == WINDOW); /* first fit in an empty window */
	uint64_t taken = free0 - vmalloc_free_bytes();
	CHECKF(taken == 4 * PAGE_SIZE, "a 3-page area took %lu pages of the window, expected 4 "
	       "(3 pages + the guard page after them)", taken / PAGE_SIZE);
	char *q = vmalloc(PAGE_SIZE);
	CHECKF(va_of(q) == va_of(p) + 4 * PAGE_SIZE, "the next area starts %ld pages after a "
	       "3-page area, expected 4 (an unmapped guard page in between)",
	       (long)(va_of(q) - va_of(p)) / (long)PAGE_SIZE);
	CHECKF(unmapped(&as, va_of(p) + 3 * PAGE_SIZE), "the guard page after the area is mapped");
	const struct vmalloc_area *a = area_at(p);
	CHECKF(a && a->lead == 0 && a->start == va_of(p), "a plain area has lead %lu, expected 0",
	       a ? a->lead : 0);

	/* A stack: one guard page below it as well, so it starts one page higher. */
	uint64_t free1 = vmalloc_free_bytes();
	char *s = vmalloc_stack(2 * PAGE_SIZE);
	CHECK(s);
	taken = free1 - vmalloc_free_bytes();
	CHECKF(taken == 4 * PAGE_SIZE, "a 2-page stack took %lu pages of the window, expected 4 "
	       "(guard below + 2 pages + guard after)", taken / PAGE_SIZE);
	virt_addr_t base = va_of(q) + 2 * PAGE_SIZE; /* where q's guard ends */
	CHECKF(va_of(s) == base + PAGE_SIZE, "the stack starts %ld pages after the free space "
	       "begins, expected 1 (its lower guard page)", (long)(va_of(s) - base) / (long)PAGE_SIZE);
	a = area_at(s);
	CHECKF(a && a->lead == PAGE_SIZE && (a->flags & VMALLOC_STACK),
	       "a stack's area should have lead %lu (one guard page below) and VMALLOC_STACK; it has "
	       "lead %lu, flags 0x%x", PAGE_SIZE, a ? a->lead : 0, a ? a->flags : 0);
	CHECKF(unmapped(&as, va_of(s) - PAGE_SIZE) && unmapped(&as, va_of(s) + 2 * PAGE_SIZE),
	       "a guard page of the stack is mapped");
	char *r = vmalloc(1);
	CHECKF(va_of(r) == va_of(s) + 3 * PAGE_SIZE, "the area after a 2-page stack starts %ld "
	       "pages after its start, expected 3 (2 pages + the guard after)",
	       (long)(va_of(r) - va_of(s)) / (long)PAGE_SIZE);
	const char *why = vmalloc_check_invariants();
	CHECKF(!why, "vmalloc invariant: %s", why);

	/* vfree gives back the guards too: the window is one free range again (END). */
	CHECK(vfree(s) == 0);
	CHECKF(vmalloc_free_bytes() == free1 - 2 * PAGE_SIZE,
	       "after freeing the stack, %lu bytes free, expected %lu (its 4 pages back)",
	       vmalloc_free_bytes(), free1 - 2 * PAGE_SIZE);
	CHECK(vfree(p) == 0 && vfree(q) == 0 && vfree(r) == 0);
	END(as, before);
}

static const char *test_find_and_guard(void)
{
	BEGIN(as, before);
	char *p = vmalloc(3 * PAGE_SIZE);
	char *q = vmalloc(PAGE_SIZE);
	virt_addr_t s = va_of(p);

	CHECK(p && q);
	CHECKF(va_of(q) == s + 4 * PAGE_SIZE, "q starts %ld pages after p (3 pages), expected 4: "
	       "first fit puts it right after p's guard page", (long)(va_of(q) - s) / (long)PAGE_SIZE);
	const struct vmalloc_area *a = vmalloc_find(s);
	CHECKF(a && a->start == s && a->size == 3 * PAGE_SIZE,
	       "vmalloc_find(0x%lx), an area's first byte, returned %s", s,
	       a ? "another area" : "NULL");
	const virt_addr_t inside[] = {s, s + 1, s + PAGE_SIZE + 123, s + 3 * PAGE_SIZE - 1};
	for (size_t i = 0; i < 4; i++) {
		CHECKF(vmalloc_find(inside[i]) == a, "0x%lx not found in its area", inside[i]);
		CHECKF(!vmalloc_is_guard(inside[i]), "0x%lx taken for a guard", inside[i]);
	}
	const virt_addr_t guard[] = {s + 3 * PAGE_SIZE, s + 3 * PAGE_SIZE + 8,
				     s + 4 * PAGE_SIZE - 1};
	for (size_t i = 0; i < 3; i++) {
		CHECKF(vmalloc_find(guard[i]) == a && vmalloc_is_guard(guard[i]),
		       "0x%lx not seen as the guard of its area", guard[i]);
		CHECK(unmapped(&as, guard[i] & ~(PAGE_SIZE - 1)));
	}
	/* the next page is q's, not p's; past q's guard and before the window: nothing */
	CHECKF(vmalloc_find(s + 4 * PAGE_SIZE) == vmalloc_find(va_of(q)) &&
	       vmalloc_find(s + 4 * PAGE_SIZE) != a && !vmalloc_is_guard(s + 4 * PAGE_SIZE),
	       "the first byte of the next area (q) is not found as q's");
	CHECKF(vmalloc_is_guard(s + 5 * PAGE_SIZE), "the guard page after q is not a guard");
	const virt_addr_t outside[] = {s - 1, s + 6 * PAGE_SIZE, WINDOW + WINDOW_SIZE, 0,
				       0xffffffff80000000ull};
	for (size_t i = 0; i < 5; i++)
		CHECKF(!vmalloc_find(outside[i]) && !vmalloc_is_guard(outside[i]),
		       "0x%lx found in an area", outside[i]);
	CHECK(vfree(q) == 0 && vfree(p) == 0);
	CHECKF(!vmalloc_find(s) && !vmalloc_is_guard(s + 3 * PAGE_SIZE),
	       "a freed area (or its guard) is still found");
	END(as, before);
}

static const char *test_find_stack_guard(void)
{
	BEGIN(as, before);
	char *p = vmalloc(PAGE_SIZE);
	char *s = vmalloc_stack(2 * PAGE_SIZE);
	CHECK(p && s);
	virt_addr_t lo = va_of(s);
	const struct vmalloc_area *a = vmalloc_find(lo);
	CHECKF(a && a->start == lo, "vmalloc_find(0x%lx), the stack's first byte, returned %s", lo,
	       a ? "another area" : "NULL");
	const virt_addr_t below[] = {lo - 1, lo - 8, lo - PAGE_SIZE};
	for (size_t i = 0; i < 3; i++) {
		CHECKF(vmalloc_find(below[i]) == a, "0x%lx, in the guard page below the stack, not "
		       "found as the stack's (vmalloc_find returned %s)", below[i],
		       vmalloc_find(below[i]) ? "another area" : "NULL");
		CHECKF(vmalloc_is_guard(below[i]), "0x%lx below the stack is not seen as a guard",
		       below[i]);
	}
	CHECKF(vmalloc_find(lo + 2 * PAGE_SIZE) == a && vmalloc_is_guard(lo + 2 * PAGE_SIZE),
	       "the guard page above the stack is not found as the stack's");
	CHECKF(!vmalloc_is_guard(lo) && !vmalloc_is_guard(lo + 2 * PAGE_SIZE - 1),
	       "the stack's own pages are taken for guards");
	/* Below the stack's lower guard comes p's guard page, then p itself. */
	virt_addr_t p_guard = lo - PAGE_SIZE - 1;
	CHECKF(vmalloc_find(p_guard) == vmalloc_find(va_of(p)) && vmalloc_find(p_guard) != a,
	       "0x%lx, in the guard after the area below, is not found as that area's", p_guard);
	CHECK(vfree(s) == 0 && vfree(p) == 0);
	CHECK(!vmalloc_find(lo - 1) && !vmalloc_is_guard(lo - 1));
	END(as, before);
}

static const char *test_coalescing(void)
{
	BEGIN(as, before);
	void *a = vmalloc(PAGE_SIZE), *b = vmalloc(2 * PAGE_SIZE), *c = vmalloc(PAGE_SIZE);

	CHECK(a && b && c && vmalloc_free_range_count() == 1);
	CHECK(vfree(b) == 0);
	CHECK(vmalloc_free_range_count() == 2); /* b's hole, and the tail */
	void *d = vmalloc(PAGE_SIZE);           /* first fit: into b's hole */
	CHECK(d == b && vmalloc_free_range_count() == 2);
	CHECK(vfree(d) == 0);
	CHECK(vfree(a) == 0);
	CHECK(vmalloc_free_range_count() == 2); /* a merged with the hole above it */
	CHECK(vfree(c) == 0);
	CHECK(vmalloc_free_range_count() == 1); /* c merged with both neighbours */
	const char *violation = vmalloc_check_invariants();
	CHECKF(!violation, "%s", violation);
	END(as, before);
}

static const char *test_random_cycles(void)
{
	enum { SLOTS = 32, CYCLES = 10000 };
	static void *slot[SLOTS];
	uint64_t seed = 0x766d616c6c6f63ull; /* "vmalloc" */
	uint64_t allocs = 0;
	BEGIN(as, before);

	memset(slot, 0, sizeof(slot));
	for (unsigned cycle = 0; cycle < CYCLES; cycle++) {
		unsigned i = (unsigned)random_below(&seed, SLOTS);

		if (slot[i]) {
			CHECKF(vfree(slot[i]) == 0, "cycle %u: vfree failed", cycle);
			slot[i] = NULL;
		} else {
			size_t size = 1 + (size_t)random_below(&seed, 12 * PAGE_SIZE);
			slot[i] = vmalloc(size);
			CHECKF(slot[i], "cycle %u: vmalloc(%zu) failed", cycle, size);
			allocs++;
		}
		if (cycle % 1000 == 999) {
			const char *violation = vmalloc_check_invariants();
			CHECKF(!violation, "cycle %u: %s", cycle, violation);
		}
	}
	CHECK(allocs > CYCLES / 3);
	for (unsigned i = 0; i < SLOTS; i++)
		CHECK(vfree(slot[i]) == 0);
	END(as, before);
}

static const char *test_window_exhaustion(void)
{
	BEGIN_WINDOW(as, before, 16 * PAGE_SIZE);
	CHECK(vfree(vmalloc(1)) == 0); /* the kernel-half PDPT stays: create it first */
	uint64_t free_pages = buddy_free_pages();
	void *p = vmalloc(15 * PAGE_SIZE); /* 15 pages + guard: the whole window */

	CHECK(p);
	CHECKF(vmalloc_free_range_count() == 0 && vmalloc_free_bytes() == 0,
	       "a 15-page area in a 16-page window left %lu bytes free, expected 0 (its guard page "
	       "takes the 16th)", vmalloc_free_bytes());
	uint64_t full = buddy_free_pages();
	CHECK(vmalloc(1) == NULL);
	CHECK(buddy_free_pages() == full && vmalloc_used_bytes() == 15 * PAGE_SIZE);
	CHECK(vfree(p) == 0);
	CHECKF(vmalloc(16 * PAGE_SIZE) == NULL, "a 16-page area fit a 16-page window: no guard");
	/* a stack has two guards: 14 pages fill the window, 15 do not fit */
	CHECKF(vmalloc_stack(15 * PAGE_SIZE) == NULL,
	       "a 15-page stack fit a 16-page window: it needs 17 pages with its two guards");
	void *s = vmalloc_stack(14 * PAGE_SIZE);
	CHECKF(s && vmalloc_free_bytes() == 0, "a 14-page stack in a 16-page window: %p, %lu bytes "
	       "left free (expected 0: guard, 14 pages, guard)", s, vmalloc_free_bytes());
	CHECK(vfree(s) == 0);
	CHECK(vmalloc(0) == NULL);
	CHECK(vmalloc(SIZE_MAX) == NULL); /* rounding up would wrap */
	CHECK(vmalloc(SIZE_MAX - PAGE_SIZE + 2) == NULL);
	CHECK(vmalloc(1ull << 50) == NULL);
	CHECK(buddy_free_pages() == free_pages); /* frames and tables (PD, PT) back */
	/* two 7-page areas fill it exactly; a third does not fit */
	void *a = vmalloc(7 * PAGE_SIZE), *b = vmalloc(7 * PAGE_SIZE);
	CHECK(a && b && vmalloc(1) == NULL);
	CHECK(vfree(a) == 0 && vfree(b) == 0);
	return end_test(&as, before, 16 * PAGE_SIZE);
}

static const char *test_descriptor_exhaustion(void)
{
	static void *p[VMALLOC_MAX_AREAS];
	BEGIN(as, before);

	for (unsigned i = 0; i < VMALLOC_MAX_AREAS; i++) {
		p[i] = vmalloc(1);
		CHECKF(p[i], "area %u of %u refused", i, VMALLOC_MAX_AREAS);
	}
	uint64_t free_pages = buddy_free_pages(), free_bytes = vmalloc_free_bytes();
	CHECK(vmalloc(1) == NULL);
	CHECK(buddy_free_pages() == free_pages && vmalloc_free_bytes() == free_bytes);
	const char *violation = vmalloc_check_invariants();
	CHECKF(!violation, "%s", violation);
	/* free every other one first: the most ranges the window can have */
	for (unsigned i = 0; i < VMALLOC_MAX_AREAS; i += 2)
		CHECK(vfree(p[i]) == 0);
	CHECK(vmalloc_free_range_count() == VMALLOC_MAX_AREAS / 2 + 1);
	for (unsigned i = 1; i < VMALLOC_MAX_AREAS; i += 2)
		CHECK(vfree(p[i]) == 0);
	END(as, before);
}

/* Allocate every free page but keep of them (ALLOC_RESERVE) onto hoard. */
static void hoard_all_but(struct list_node *hoard, uint64_t keep)
{
	while (buddy_free_pages() > keep) {
		struct page *page = alloc_page(ALLOC_RESERVE);
		if (!page)
			break;
		list_add(hoard, &page->list);
	}
}

static void hoard_release(struct list_node *hoard)
{
	struct page *page, *tmp;

	list_for_each_entry_safe(page, tmp, hoard, list) {
		list_remove(&page->list);
		MUST_SUCCEED(free_page(page), "hoard_release: a page the test allocated");
	}
}

static const char *test_enomem_rollback(void)
{
	/*
	 * The PDPT below a kernel-half PML4 slot stays once created (other
	 * spaces share it; kernel_space pins vmalloc's at boot), so create it
	 * first, as the kernel does. Then an area needs 2 tables (PD, PT) before
	 * its first frame maps: keep = 0 fails on the first frame, 1-2 on a
	 * table, 3 and up halfway through the frames of the 32-page area.
	 */
	static const uint64_t keeps[] = {0, 1, 2, 3, 4, 10, 20, 33};
	BEGIN(as, before);

	CHECK(vfree(vmalloc(1)) == 0);
	CHECKF(as.table_pages == 2, "%lu tables after the warm-up", as.table_pages);
	for (size_t i = 0; i < sizeof(keeps) / sizeof(keeps[0]); i++) {
		struct list_node hoard = LIST_INIT(hoard);

		hoard_all_but(&hoard, keeps[i]);
		CHECKF(buddy_free_pages() == keeps[i], "could not hoard down to %lu pages",
		       keeps[i]);
		void *p = vmalloc(32 * PAGE_SIZE);
		uint64_t left = buddy_free_pages();
		hoard_release(&hoard);
		CHECKF(p == NULL, "keep %lu: vmalloc of 32 pages succeeded", keeps[i]);
		CHECKF(left == keeps[i], "keep %lu: %lu pages left after rollback", keeps[i], left);
		CHECK(unmapped(&as, WINDOW) && as.table_pages == 2);
		CHECK(vmalloc_used_bytes() == 0 && vmalloc_free_range_count() == 1);
		const char *violation = vmalloc_check_invariants();
		CHECKF(!violation, "keep %lu: %s", keeps[i], violation);
	}
	/* with 34 pages (32 frames + 2 tables) it just fits */
	struct list_node hoard = LIST_INIT(hoard);
	hoard_all_but(&hoard, 34);
	void *p = vmalloc(32 * PAGE_SIZE);
	uint64_t left = buddy_free_pages();
	hoard_release(&hoard);
	CHECKF(p && left == 0, "34 pages: %p, %lu left", p, left);
	CHECK_OK(check_area(&as, p, 32 * PAGE_SIZE));
	CHECK(vfree(p) == 0);
	END(as, before);
}

static const char *test_init_arguments(void)
{
	BEGIN(as, before);
	void *p = vmalloc(PAGE_SIZE);

	CHECK(p);
	CHECK(vmalloc_init(NULL, WINDOW, WINDOW_SIZE) == -EINVAL);
	CHECK(vmalloc_init(&as, WINDOW + 8, WINDOW_SIZE) == -EINVAL);
	CHECK(vmalloc_init(&as, WINDOW, WINDOW_SIZE - 8) == -EINVAL);
	CHECK(vmalloc_init(&as, WINDOW, 0) == -EINVAL);
	CHECK(vmalloc_init(&as, WINDOW, PAGE_SIZE) == -EINVAL);
	CHECK(vmalloc_init(&as, 0x0000900000000000ull, GIB) == -EINVAL);   /* non-canonical */
	CHECK(vmalloc_init(&as, 0x00007ffffff00000ull, 2 * MIB) == -EINVAL); /* crosses the hole */
	CHECK(vmalloc_init(&as, 0xfffffffffff00000ull, 2 * MIB) == -EINVAL); /* wraps */
	/* refused inits changed nothing: p is still live in the old window */
	CHECK(area_at(p) && vmalloc_used_bytes() == PAGE_SIZE);
	CHECK(vfree(p) == 0);
	END(as, before);
}

static const struct selftest vmalloc_tests[] = {
	{"sizes", "vmalloc(1, 4096, 4097, 1 MiB): aligned, zeroed, distinct frames, guard",
	 test_sizes},
	{"zeroed_on_reuse", "frames written and freed come back zeroed", test_zeroed_on_reuse},
	{"guard_layout", "one guard page after every area, one more below a stack; freed too",
	 test_guard_layout},
	{"find_and_guard", "vmalloc_find/is_guard: start, middle, last byte, guard, outside",
	 test_find_and_guard},
	{"find_stack_guard", "vmalloc_find/is_guard: the guard below a stack, and above it",
	 test_find_stack_guard},
	{"vfree_errors", "bogus pointer, ptr+8, guard, double vfree: -EINVAL, report, no change",
	 test_vfree_errors},
	{"callers_and_walk", "callers recorded; for_each_area in order, sizes add up",
	 test_callers_and_walk},
	{"coalescing", "first fit reuses holes; vfree merges with both neighbours",
	 test_coalescing},
	{"random_cycles", "10^4 random alloc/free cycles: one free range, no page leaked",
	 test_random_cycles},
	{"window_exhaustion", "a full window and absurd sizes give NULL, nothing changed",
	 test_window_exhaustion},
	{"descriptor_exhaustion", "VMALLOC_MAX_AREAS areas, then NULL; worst-case fragmentation",
	 test_descriptor_exhaustion},
	{"enomem_rollback", "out of frames or tables halfway: no mapping, frame or table left",
	 test_enomem_rollback},
	{"init_arguments", "vmalloc_init refuses bad windows and keeps its state",
	 test_init_arguments},
};

SELFTEST_SUITE(vmalloc, vmalloc_tests);
