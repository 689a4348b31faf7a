/*
 * test_fault.c - suite "fault": the page-fault decisions of mm/fault.c and
 * the anonymous regions of mm/anon.c on the host, over a simulated RAM
 * arena. Faults are simulated: a test calls fault_handle() with the access
 * bits the CPU would report, then checks the page tables (paging_translate),
 * the frames (through the arena) and their reference counts.
 *
 * Every test runs between BEGIN and END: fresh page, slab and kmalloc
 * allocators, an address space with a region set and a vmalloc window.
 * END releases everything and requires the buddy allocator's free page
 * count back where it started: no frame, table or refcount leaked.
 * Hosted code: may use libc, but uses only mm/ here.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/selftest.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/anon.h"
#include "mm/buddy.h"
#include "mm/failinject.h"
#include "mm/fault.h"
#include "mm/kmalloc.h"
#include "mm/page.h"
#include "mm/paging.h"
#include "mm/region.h"
#include "mm/slab.h"
#include "mm/vmalloc.h"
#include "tests/host/arena.h"

#define MIB (1ull << 20)
#define GIB (1ull << 30)
#define WINDOW 0x40000000ull   /* where the tests' anonymous regions go (lower half) */
#define WINDOW_SIZE (1 * GIB)

static struct address_space space;
static struct region_set regions;
static uint64_t free_at_start;

static const char *begin(void)
{
	CHECKF(arena_ready_flat(64 * MIB), "cannot build the arena allocator");
	slab_init();
	kmalloc_init();
	failinject_off();
	free_at_start = buddy_free_pages();
	CHECK(paging_create(&space, NULL) == 0);
	region_set_init(&regions);
	space.regions = &regions;
	CHECK(vmalloc_init(&space, VMALLOC_START, 1 * GIB) == 0);
	return NULL;
}

/* Release every anonymous region of s, then s itself. */
static const char *destroy_space(struct address_space *s)
{
	while (s->regions->count > 0) {
		const struct region *r = &s->regions->items[0];
		CHECKF(anon_release(s, r->start, r->end) == 0, "cannot release %s", r->name);
	}
	region_set_destroy(s->regions);
	paging_destroy(s);
	return NULL;
}

static const char *end(void)
{
	const char *why = destroy_space(&space);
	if (why)
		return why;
	slab_shrink();
	CHECKF(buddy_free_pages() == free_at_start, "%ld pages leaked",
	       (long)(free_at_start - buddy_free_pages()));
	why = buddy_check_invariants();
	CHECKF(!why, "buddy invariant: %s", why);
	return NULL;
}

#define BEGIN()                                   \
	do {                                      \
		const char *why_ = begin();       \
		if (why_)                         \
			return why_;              \
	} while (0)
#define END() return end()

/* The frame behind va, or 0 if not mapped; *writable gets its W bit. */
static phys_addr_t frame_of(const struct address_space *as, virt_addr_t va, bool *writable)
{
	struct paging_translation t;

	if (paging_translate(as, va, &t) != 0)
		return 0;
	if (writable)
		*writable = t.flags & MAP_WRITE;
	return t.pa & ~(PAGE_SIZE - 1);
}

static uint8_t *bytes_of(phys_addr_t frame)
{
	return phys_to_virt(frame);
}

static const char *test_demand_zero(void)
{
	BEGIN();
	virt_addr_t va = anon_create(&space, WINDOW, WINDOW_SIZE, 8 * PAGE_SIZE, "lazy");
	CHECK(va && frame_of(&space, va, NULL) == 0);
	uint64_t before = fault_stats.demand_zero;
	struct fault f;
	CHECK(fault_handle(&space, va + 3 * PAGE_SIZE + 5, FAULT_WRITE, &f) == 0);
	CHECKF(f.outcome == FAULT_DEMAND_ZERO && f.in_region && f.region.kind == REGION_ANON,
	       "outcome %d", f.outcome);
	bool writable;
	phys_addr_t frame = frame_of(&space, va + 3 * PAGE_SIZE, &writable);
	CHECK(frame && writable && fault_stats.demand_zero == before + 1);
	for (size_t i = 0; i < PAGE_SIZE; i++)
		CHECKF(bytes_of(frame)[i] == 0, "byte %zu of the new page is not zero", i);
	/* Exactly that page: its neighbours are still unmapped. */
	CHECK(anon_resident_pages(&space, va, va + 8 * PAGE_SIZE) == 1);
	CHECK(!frame_of(&space, va + 2 * PAGE_SIZE, NULL) &&
	      !frame_of(&space, va + 4 * PAGE_SIZE, NULL));
	/* The same fault again (a stale TLB entry) is spurious and maps nothing new. */
	CHECK(fault_handle(&space, va + 3 * PAGE_SIZE, FAULT_WRITE, &f) == 0 &&
	      f.outcome == FAULT_SPURIOUS);
	CHECK(frame_of(&space, va + 3 * PAGE_SIZE, NULL) == frame);
	END();
}

static const char *test_cow_pair(void)
{
	BEGIN();
	virt_addr_t va = anon_create(&space, WINDOW, WINDOW_SIZE, 4 * PAGE_SIZE, "data");
	struct fault f;
	for (int i = 0; i < 3; i++) /* pages 0-2 mapped, page 3 not */
		CHECK(fault_handle(&space, va + i * PAGE_SIZE, FAULT_WRITE, &f) == 0);
	phys_addr_t frames[3];
	for (int i = 0; i < 3; i++) {
		frames[i] = frame_of(&space, va + i * PAGE_SIZE, NULL);
		memset(bytes_of(frames[i]), 'a' + i, PAGE_SIZE);
	}
	uint64_t free_before_share = buddy_free_pages();
	struct address_space other;
	struct region_set other_regions;
	CHECK(paging_create(&other, NULL) == 0);
	region_set_init(&other_regions);
	other.regions = &other_regions;
	CHECK(anon_cow_share(&space, va, &other, va, 4 * PAGE_SIZE, "twin") == 0);
	for (int i = 0; i < 3; i++) {
		bool w1, w2;
		CHECK(frame_of(&other, va + i * PAGE_SIZE, &w2) == frames[i]);
		CHECK(frame_of(&space, va + i * PAGE_SIZE, &w1) == frames[i]);
		CHECKF(!w1 && !w2, "page %d: shared frame still writable", i);
		CHECKF(phys_to_page(frames[i])->refcount == 2, "page %d: refcount %u", i,
		       phys_to_page(frames[i])->refcount);
	}
	CHECK(!frame_of(&other, va + 3 * PAGE_SIZE, NULL));
	CHECK(region_find(&regions, va)->kind == REGION_COW &&
	      region_find(&other_regions, va)->kind == REGION_COW);

	/* A write on the other side copies only that page. */
	CHECK(fault_handle(&other, va + PAGE_SIZE, FAULT_PRESENT | FAULT_WRITE, &f) == 0);
	CHECKF(f.outcome == FAULT_COW_COPY, "outcome %d", f.outcome);
	bool writable;
	phys_addr_t copy = frame_of(&other, va + PAGE_SIZE, &writable);
	CHECK(copy && copy != frames[1] && writable && bytes_of(copy)[100] == 'b');
	CHECK(phys_to_page(frames[1])->refcount == 1 && phys_to_page(copy)->refcount == 1);
	CHECK(frame_of(&other, va, NULL) == frames[0] && frame_of(&other, va + 2 * PAGE_SIZE, NULL) ==
	      frames[2]);
	bytes_of(copy)[100] = 'X';
	CHECK(bytes_of(frames[1])[100] == 'b'); /* the first side still reads the old content */

	/* The first side is now the sole owner of page 1: reuse in place. */
	CHECK(fault_handle(&space, va + PAGE_SIZE, FAULT_PRESENT | FAULT_WRITE, &f) == 0);
	CHECKF(f.outcome == FAULT_COW_REUSE, "outcome %d", f.outcome);
	CHECK(frame_of(&space, va + PAGE_SIZE, &writable) == frames[1] && writable);

	/* Page 3 was never mapped: each side gets its own zeroed page. */
	CHECK(fault_handle(&other, va + 3 * PAGE_SIZE, FAULT_WRITE, &f) == 0 &&
	      f.outcome == FAULT_DEMAND_ZERO);

	/* Destroying one side gives back what only it owned; refcounts drop to 1. */
	const char *why = destroy_space(&other);
	if (why)
		return why;
	CHECK(phys_to_page(frames[0])->refcount == 1 && phys_to_page(frames[2])->refcount == 1);
	CHECKF(buddy_free_pages() == free_before_share, "free pages %lu, before sharing %lu",
	       buddy_free_pages(), free_before_share);
	END();
}

static const char *test_cow_share_rolls_back(void)
{
	BEGIN();
	virt_addr_t va = anon_create(&space, WINDOW, WINDOW_SIZE, 4 * PAGE_SIZE, "data");
	struct fault f;
	for (int i = 0; i < 4; i++)
		CHECK(fault_handle(&space, va + i * PAGE_SIZE, FAULT_WRITE, &f) == 0);
	phys_addr_t frame0 = frame_of(&space, va, NULL);
	int failures = 0;
	for (uint64_t n = 1;; n++) {
		struct address_space other;
		struct region_set other_regions;
		CHECK(paging_create(&other, NULL) == 0);
		region_set_init(&other_regions);
		other.regions = &other_regions;
		uint64_t before = buddy_free_pages();
		CHECK(failinject_arm(FAILINJECT_PMM, n) == 0);
		int err = anon_cow_share(&space, va, &other, va, 4 * PAGE_SIZE, "twin");
		failinject_off();
		if (err == 0) {
			const char *why = destroy_space(&other);
			if (why)
				return why;
			break;
		}
		failures++;
		CHECKF(err == -ENOMEM, "attempt %lu: %d", n, err);
		CHECKF(buddy_free_pages() == before, "attempt %lu: %ld pages kept", n,
		       (long)(before - buddy_free_pages()));
		CHECK(other_regions.count == 0 && phys_to_page(frame0)->refcount == 1);
		CHECK(region_find(&regions, va)->kind == REGION_ANON);
		bool writable;
		CHECK(frame_of(&space, va, &writable) == frame0 && writable);
		const char *why = destroy_space(&other);
		if (why)
			return why;
		CHECK(n < 16);
	}
	CHECKF(failures >= 3, "only %d allocations to fail in a share", failures);
	END();
}

static const char *test_fault_without_memory(void)
{
	BEGIN();
	virt_addr_t va = anon_create(&space, WINDOW, WINDOW_SIZE, 4 * PAGE_SIZE, "lazy");
	struct fault f;
	/* The frame, then each page table of a fresh range, may be the one missing. */
	for (uint64_t n = 1; n <= 4; n++) {
		uint64_t before = buddy_free_pages(), violations = fault_stats.violations;
		CHECK(failinject_arm(FAILINJECT_PMM, n) == 0);
		int err = fault_handle(&space, va, FAULT_WRITE, &f);
		failinject_off();
		if (err == 0) {
			CHECK(n > 1 && frame_of(&space, va, NULL));
			break;
		}
		CHECKF(f.violation == VIOLATION_NO_MEMORY && fault_stats.violations == violations + 1,
		       "attempt %lu: violation %d", n, f.violation);
		CHECKF(!frame_of(&space, va, NULL) && buddy_free_pages() == before,
		       "attempt %lu: something stayed behind", n);
	}
	END();
}

static const char *test_stack_growth(void)
{
	BEGIN();
	virt_addr_t top = anon_create_stack(&space, WINDOW, WINDOW_SIZE, 2 * PAGE_SIZE,
					    8 * PAGE_SIZE, "stack");
	CHECK(top);
	virt_addr_t start = top - 2 * PAGE_SIZE, limit = top - 8 * PAGE_SIZE;
	struct fault f;
	/* Just below the start: grows, down to that page only. */
	CHECK(fault_handle(&space, start - 8, FAULT_WRITE, &f) == 0);
	CHECKF(f.outcome == FAULT_STACK_GROWTH, "outcome %d", f.outcome);
	CHECK(region_find(&regions, start - 8)->start == start - PAGE_SIZE);
	CHECK(frame_of(&space, start - PAGE_SIZE, NULL) && !frame_of(&space, start, NULL));
	/* Further down but within the limit: grows again. */
	CHECK(fault_handle(&space, limit, FAULT_WRITE, &f) == 0 && f.outcome == FAULT_STACK_GROWTH);
	CHECK(region_find(&regions, limit)->start == limit);
	/* Below the limit: the guard page. */
	CHECK(fault_handle(&space, limit - 1, FAULT_WRITE, &f) == -EFAULT);
	CHECKF(f.violation == VIOLATION_GUARD && f.in_region, "violation %d", f.violation);
	char text[200];
	CHECKF(strstr(fault_describe(&f, text, sizeof(text)), "guard page of \"stack\""), "%s",
	       text);
	END();
}

static const char *test_violations(void)
{
	BEGIN();
	struct region ro = {.start = WINDOW, .end = WINDOW + 2 * PAGE_SIZE, .prot = 0,
			    .kind = REGION_ANON};
	strlcpy(ro.name, "constants", sizeof(ro.name));
	CHECK(region_insert(&regions, &ro) == 0);
	static const struct {
		virt_addr_t va;
		unsigned access;
		enum fault_violation expected;
		const char *words;
	} cases[] = {
		{0, 0, VIOLATION_NULL, "NULL dereference"},
		{8, FAULT_WRITE, VIOLATION_NULL, "NULL dereference"},
		{0x123456000, 0, VIOLATION_NOT_MAPPED, "not mapped"},
		{WINDOW + 8, FAULT_WRITE, VIOLATION_WRITE_READ_ONLY,
		 "write to read-only region \"constants\""},
		{WINDOW, FAULT_FETCH, VIOLATION_EXEC_NX, "execute of NX page"},
		{WINDOW, FAULT_USER, VIOLATION_USER_KERNEL, "user access to kernel page"},
		{WINDOW, FAULT_PRESENT | FAULT_RESERVED, VIOLATION_RESERVED_BIT, "reserved bit"},
		{0x8000000000000000ull, 0, VIOLATION_NON_CANONICAL, "non-canonical"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fault f;
		char text[200];
		uint64_t before = buddy_free_pages();
		CHECKF(fault_handle(&space, cases[i].va, cases[i].access, &f) == -EFAULT,
		       "case %zu resolved", i);
		fault_describe(&f, text, sizeof(text));
		CHECKF(f.violation == cases[i].expected && strstr(text, cases[i].words),
		       "case %zu: violation %d \"%s\"", i, f.violation, text);
		CHECKF(buddy_free_pages() == before && !frame_of(&space, WINDOW, NULL),
		       "case %zu changed memory", i);
	}
	END();
}

static const char *test_vmalloc_guards(void)
{
	BEGIN();
	void *area = vmalloc(3 * PAGE_SIZE), *stack = vmalloc_stack(2 * PAGE_SIZE);
	CHECK(area && stack);
	virt_addr_t a = (virt_addr_t)(uintptr_t)area, s = (virt_addr_t)(uintptr_t)stack;
	struct fault f;
	char text[200];
	CHECK(fault_handle(&space, a + 3 * PAGE_SIZE, FAULT_WRITE, &f) == -EFAULT);
	CHECKF(f.violation == VIOLATION_GUARD && f.area && f.area->start == a, "violation %d",
	       f.violation);
	CHECKF(strstr(fault_describe(&f, text, sizeof(text)), "guard page of vmalloc area"), "%s",
	       text);
	CHECK(fault_handle(&space, s - 16, FAULT_WRITE, &f) == -EFAULT);
	CHECKF(f.violation == VIOLATION_STACK_OVERFLOW && f.area && f.area->start == s,
	       "violation %d", f.violation);
	CHECKF(strstr(fault_describe(&f, text, sizeof(text)), "kernel stack overflow"), "%s", text);
	CHECK(fault_handle(&space, s + 2 * PAGE_SIZE, 0, &f) == -EFAULT &&
	      f.violation == VIOLATION_GUARD);
	CHECK(vfree(area) == 0 && vfree(stack) == 0);
	const char *why = vmalloc_check_invariants();
	CHECKF(!why, "vmalloc: %s", why);
	END();
}

static const char *test_release_keeps_shared(void)
{
	BEGIN();
	virt_addr_t va = anon_create(&space, WINDOW, WINDOW_SIZE, 2 * PAGE_SIZE, "lazy");
	struct fault f;
	CHECK(fault_handle(&space, va, FAULT_WRITE, &f) == 0);
	virt_addr_t twin = anon_find_free(&space, WINDOW, WINDOW_SIZE, 2 * PAGE_SIZE);
	CHECK(twin && anon_cow_share(&space, va, &space, twin, 2 * PAGE_SIZE, "twin") == 0);
	phys_addr_t frame = frame_of(&space, va, NULL);
	CHECK(frame && frame_of(&space, twin, NULL) == frame);
	CHECK(anon_release(&space, va, va + 2 * PAGE_SIZE) == 0);
	CHECK(!region_find(&regions, va) && frame_of(&space, twin, NULL) == frame);
	CHECK(phys_to_page(frame)->refcount == 1);
	/* The twin is now the sole owner: a write reuses the frame. */
	CHECK(fault_handle(&space, twin, FAULT_PRESENT | FAULT_WRITE, &f) == 0 &&
	      f.outcome == FAULT_COW_REUSE);
	/* Overlapping or uncovered ranges are refused. */
	CHECK(anon_cow_share(&space, twin, &space, twin + PAGE_SIZE, 2 * PAGE_SIZE, "x") == -EINVAL);
	CHECK(anon_cow_share(&space, va, &space, va + 64 * PAGE_SIZE, PAGE_SIZE, "x") == -ENOENT);
	END();
}

static const struct selftest fault_tests[] = {
	{"demand_zero", "a touch maps exactly that page, zeroed; again: spurious",
	 test_demand_zero},
	{"cow_pair", "two spaces share frames until a write copies only that page; refcounts",
	 test_cow_pair},
	{"cow_share_rollback", "every failed allocation in a share leaves nothing behind",
	 test_cow_share_rolls_back},
	{"no_memory", "a fault with no frame or table left is a violation, nothing kept",
	 test_fault_without_memory},
	{"stack_growth", "touches below a stack grow it to its limit; below: the guard",
	 test_stack_growth},
	{"violations", "NULL, not mapped, read-only, NX, user, reserved, non-canonical: words",
	 test_violations},
	{"vmalloc_guards", "guard after an area, guard below a stack: named in the report",
	 test_vmalloc_guards},
	{"release_keeps_shared", "releasing one side of a COW pair keeps the other's frames",
	 test_release_keeps_shared},
};

SELFTEST_SUITE(fault, fault_tests);
