/*
 * test_fault.c - suite "fault": the page-fault decisions of mm/fault.c and
 * the anonymous regions of mm/anon.c on the host, over a simulated RAM
 * arena. Faults are simulated: a test calls fault_handle() with the access
 * bits the CPU would report, with interrupts off as in the #PF handler
 * (simulate_fault), then checks the page tables (paging_translate), the
 * frames (through the arena) and their reference counts.
 *
 * Every test runs between BEGIN and END: fresh page, slab and kmalloc
 * allocators, an address space with a region set and a vmalloc window.
 * END releases everything and requires the buddy allocator's free page
 * count back where it started: no frame, table or refcount leaked, and the
 * AnonPages/Mapped counters back too. File regions are backed by a block
 * of arena frames standing for initrd bytes (make_file): the tests check
 * those frames are mapped read-only, never written, never put. User faults
 * (FAULT_USER), minflt and the kernel's reserve are covered as well.
 * Hosted code: may use libc, but uses only mm/ here.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/selftest.h"
#include "lib/errno.h"
#include "lib/list.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/anon.h"
#include "mm/arch.h"
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
#include "tests/host/host_stubs.h"

#define MIB (1ull << 20)
#define GIB (1ull << 30)
#define WINDOW 0x40000000ull   /* where the tests' anonymous regions go (lower half) */
#define WINDOW_SIZE (1 * GIB)

static struct address_space space;
static struct region_set regions;
static uint64_t free_at_start, anon_at_start, file_at_start;

static const char *begin(void)
{
	CHECKF(arena_ready_flat(64 * MIB), "cannot build the arena allocator");
	slab_init();
	kmalloc_init();
	failinject_off();
	free_at_start = buddy_free_pages();
	anon_at_start = fault_user_anon_pages();
	file_at_start = fault_user_file_pages();
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
	CHECKF(fault_user_anon_pages() == anon_at_start && fault_user_file_pages() == file_at_start,
	       "AnonPages %+ld, Mapped %+ld pages after releasing everything",
	       (long)(fault_user_anon_pages() - anon_at_start),
	       (long)(fault_user_file_pages() - file_at_start));
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

/* The fault in words, for failure reasons (a static buffer: one at a time). */
static const char *words(const struct fault *f)
{
	static char text[200];

	return fault_describe(f, text, sizeof(text));
}

/* A fault as the #PF handler passes it on: fault_handle() with interrupts off. */
static int simulate_fault(struct address_space *as, virt_addr_t va, unsigned access,
			  struct fault *f)
{
	unsigned long irq = arch_irq_save();
	int err = fault_handle(as, va, access, f);

	arch_irq_restore(irq);
	return err;
}

/*
 * Simulate the fault (as, va, access) and require it resolved with outcome
 * `expected`; NULL or the reason, naming `what`, the expected outcome and
 * what fault_handle said instead.
 */
static const char *expect_resolved(struct address_space *as, virt_addr_t va, unsigned access,
				   enum fault_outcome expected, const char *what, struct fault *f)
{
	int err = simulate_fault(as, va, access, f);

	CHECKF(err == 0 && f->outcome == expected,
	       "%s at 0x%lx: expected \"%s\", got %s \"%s\"", what, va,
	       fault_outcome_name(expected), err == 0 ? "resolved as" : "a violation:", words(f));
	return NULL;
}

/*
 * Map `pages` fresh frames by hand at va, read-write, page i filled with
 * the byte 'a' + i: what resolved faults would leave, without the fault
 * handler (so a COW test does not depend on demand-zero).
 */
static const char *populate(struct address_space *as, virt_addr_t va, int pages)
{
	for (int i = 0; i < pages; i++) {
		struct page *page = alloc_page(0);
		CHECKF(page, "no frame for page %d", i);
		memset(page_address(page), 'a' + i, PAGE_SIZE);
		CHECKF(paging_map(as, va + i * PAGE_SIZE, page_to_phys(page), PAGE_SIZE,
				  MAP_WRITE | MAP_SIZE_4K) == 0, "cannot map page %d by hand", i);
		fault_count_user(&fault_user_anon_mapped, va, 1); /* as a fault would */
	}
	return NULL;
}

/* A second address space with its own region set (release with destroy_space). */
static const char *other_space(struct address_space *as, struct region_set *regions)
{
	CHECK(paging_create(as, NULL) == 0);
	region_set_init(regions);
	as->regions = regions;
	return NULL;
}

static const char *test_demand_zero(void)
{
	BEGIN();
	virt_addr_t va = anon_create(&space, WINDOW, WINDOW_SIZE, 8 * PAGE_SIZE, "lazy");
	CHECK(va && frame_of(&space, va, NULL) == 0);
	uint64_t before = fault_stats_total().demand_zero, free_before = buddy_free_pages();
	struct fault f;
	CHECK_OK(expect_resolved(&space, va + 3 * PAGE_SIZE + 5, FAULT_WRITE, FAULT_DEMAND_ZERO,
				 "first write to page 3 of a lazy region", &f));
	CHECKF(f.in_region && f.region.kind == REGION_ANON, "the fault does not name the region");
	bool writable = false;
	phys_addr_t frame = frame_of(&space, va + 3 * PAGE_SIZE, &writable);
	CHECKF(frame && writable, "after the fault page 3 is %s",
	       frame ? "mapped read-only (the region is rw-)" : "still not mapped");
	CHECKF(fault_stats_total().demand_zero == before + 1, "fault_stats_total().demand_zero went up by %lu, not 1",
	       fault_stats_total().demand_zero - before);
	/* One frame, plus the page tables a fresh range needs (a PDPT, a PD, a PT). */
	CHECKF(free_before - buddy_free_pages() >= 1 && free_before - buddy_free_pages() <= 4,
	       "the fault took %lu pages: expected the frame and at most 3 page tables",
	       free_before - buddy_free_pages());
	for (size_t i = 0; i < PAGE_SIZE; i++)
		CHECKF(bytes_of(frame)[i] == 0, "byte %zu of the new page is 0x%02x, not zero (use "
		       "ALLOC_ZERO: a frame may hold an earlier owner's data)", i, bytes_of(frame)[i]);
	/* Exactly that page: its neighbours are still unmapped. */
	uint64_t resident = anon_resident_pages(&space, va, va + 8 * PAGE_SIZE);
	CHECKF(resident == 1, "%lu pages of the region mapped after one fault, expected 1", resident);
	CHECK(!frame_of(&space, va + 2 * PAGE_SIZE, NULL) &&
	      !frame_of(&space, va + 4 * PAGE_SIZE, NULL));
	/* The same fault again (a stale TLB entry) is spurious and maps nothing new. */
	CHECK_OK(expect_resolved(&space, va + 3 * PAGE_SIZE, FAULT_WRITE, FAULT_SPURIOUS,
				 "the same fault again", &f));
	CHECK(frame_of(&space, va + 3 * PAGE_SIZE, NULL) == frame);
	/* A read of a fresh page faults a zeroed page in too. */
	CHECK_OK(expect_resolved(&space, va + 6 * PAGE_SIZE, 0, FAULT_DEMAND_ZERO,
				 "first read of page 6", &f));
	END();
}

static const char *test_cow_pair(void)
{
	BEGIN();
	virt_addr_t va = anon_create(&space, WINDOW, WINDOW_SIZE, 4 * PAGE_SIZE, "data");
	struct fault f;
	for (int i = 0; i < 3; i++) /* pages 0-2 mapped, page 3 not */
		CHECK_OK(expect_resolved(&space, va + i * PAGE_SIZE, FAULT_WRITE, FAULT_DEMAND_ZERO,
					 "a write to a lazy page", &f));
	phys_addr_t frames[3];
	for (int i = 0; i < 3; i++) {
		frames[i] = frame_of(&space, va + i * PAGE_SIZE, NULL);
		memset(bytes_of(frames[i]), 'a' + i, PAGE_SIZE);
	}
	uint64_t free_before_share = buddy_free_pages();
	struct address_space other;
	struct region_set other_regions;
	CHECK_OK(other_space(&other, &other_regions));
	int err = anon_cow_share(&space, va, &other, va, 4 * PAGE_SIZE, "twin");
	CHECKF(err == 0, "anon_cow_share returned %d, expected 0", err);
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
	CHECK_OK(expect_resolved(&other, va + PAGE_SIZE, FAULT_PRESENT | FAULT_WRITE,
				 FAULT_COW_COPY, "a write to a shared page", &f));
	bool writable;
	phys_addr_t copy = frame_of(&other, va + PAGE_SIZE, &writable);
	CHECK(copy && copy != frames[1] && writable && bytes_of(copy)[100] == 'b');
	CHECK(phys_to_page(frames[1])->refcount == 1 && phys_to_page(copy)->refcount == 1);
	CHECK(frame_of(&other, va, NULL) == frames[0] && frame_of(&other, va + 2 * PAGE_SIZE, NULL) ==
	      frames[2]);
	bytes_of(copy)[100] = 'X';
	CHECK(bytes_of(frames[1])[100] == 'b'); /* the first side still reads the old content */

	/* The first side is now the sole owner of page 1: reuse in place. */
	CHECK_OK(expect_resolved(&space, va + PAGE_SIZE, FAULT_PRESENT | FAULT_WRITE,
				 FAULT_COW_REUSE, "a write by the last owner", &f));
	CHECK(frame_of(&space, va + PAGE_SIZE, &writable) == frames[1] && writable);

	/* Page 3 was never mapped: each side gets its own zeroed page. */
	CHECK_OK(expect_resolved(&other, va + 3 * PAGE_SIZE, FAULT_WRITE, FAULT_DEMAND_ZERO,
				 "a write to a never-mapped page of a COW region", &f));

	/* Destroying one side gives back what only it owned; refcounts drop to 1. */
	const char *why = destroy_space(&other);
	if (why)
		return why;
	CHECK(phys_to_page(frames[0])->refcount == 1 && phys_to_page(frames[2])->refcount == 1);
	CHECKF(buddy_free_pages() == free_before_share, "free pages %lu, before sharing %lu",
	       buddy_free_pages(), free_before_share);
	END();
}

static const char *test_cow_share(void)
{
	BEGIN();
	virt_addr_t va = anon_create(&space, WINDOW, WINDOW_SIZE, 4 * PAGE_SIZE, "data");
	CHECK(va);
	CHECK_OK(populate(&space, va, 3)); /* pages 0-2 mapped, page 3 not */
	phys_addr_t frames[3];
	for (int i = 0; i < 3; i++)
		frames[i] = frame_of(&space, va + i * PAGE_SIZE, NULL);
	struct address_space other;
	struct region_set other_regions;
	CHECK_OK(other_space(&other, &other_regions));
	virt_addr_t twin = va + 16 * PAGE_SIZE; /* another address in the other space */
	int err = anon_cow_share(&space, va, &other, twin, 4 * PAGE_SIZE, "twin");
	CHECKF(err == 0, "anon_cow_share of 3 mapped pages returned %d, expected 0", err);
	for (int i = 0; i < 3; i++) {
		bool w_src = true, w_dst = true;
		phys_addr_t src = frame_of(&space, va + i * PAGE_SIZE, &w_src);
		phys_addr_t dst = frame_of(&other, twin + i * PAGE_SIZE, &w_dst);
		CHECKF(src == frames[i], "page %d moved in the source (0x%lx -> 0x%lx)", i, frames[i],
		       src);
		CHECKF(dst == frames[i], "page %d: the twin maps 0x%lx, expected the source's frame "
		       "0x%lx", i, dst, frames[i]);
		CHECKF(!w_src && !w_dst, "page %d: shared frame still writable in the %s", i,
		       w_src ? "source" : "twin");
		uint32_t refs = phys_to_page(frames[i])->refcount;
		CHECKF(refs == 2, "page %d: refcount %u, expected 2 (one per mapping: page_get)", i,
		       refs);
	}
	CHECKF(!frame_of(&other, twin + 3 * PAGE_SIZE, NULL),
	       "page 3 was never mapped in the source, but the twin maps it");
	CHECK(region_find(&regions, va)->kind == REGION_COW);
	CHECK(region_find(&other_regions, twin)->kind == REGION_COW);
	/* Releasing the twin drops exactly the owners the share added. */
	const char *why = destroy_space(&other);
	if (why)
		return why;
	for (int i = 0; i < 3; i++)
		CHECKF(phys_to_page(frames[i])->refcount == 1,
		       "page %d: refcount %u after the twin is gone, expected 1", i,
		       phys_to_page(frames[i])->refcount);
	END();
}

static const char *test_cow_share_rolls_back(void)
{
	BEGIN();
	virt_addr_t va = anon_create(&space, WINDOW, WINDOW_SIZE, 4 * PAGE_SIZE, "data");
	CHECK(va);
	CHECK_OK(populate(&space, va, 4));
	phys_addr_t frame0 = frame_of(&space, va, NULL);
	int failures = 0;
	for (uint64_t n = 1;; n++) {
		struct address_space other;
		struct region_set other_regions;
		CHECK_OK(other_space(&other, &other_regions));
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
		CHECKF(err == -ENOMEM, "allocation %lu failing: anon_cow_share returned %d, expected "
		       "-ENOMEM (%d)", n, err, -ENOMEM);
		CHECKF(buddy_free_pages() == before, "allocation %lu failing: %ld pages kept", n,
		       (long)(before - buddy_free_pages()));
		CHECKF(other_regions.count == 0 && phys_to_page(frame0)->refcount == 1,
		       "allocation %lu failing: %zu twin regions left, refcount %u (expected 0, 1)", n,
		       other_regions.count, phys_to_page(frame0)->refcount);
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

/*
 * A COW pair made by hand, without anon_cow_share: one frame holding 'q',
 * mapped read-only at a and at b, two COW regions, refcount 2.
 */
static const char *cow_by_hand(virt_addr_t *a, virt_addr_t *b, phys_addr_t *frame)
{
	*a = WINDOW + 8 * PAGE_SIZE;
	*b = WINDOW + 24 * PAGE_SIZE;
	struct region ra = {.start = *a, .end = *a + PAGE_SIZE, .prot = MAP_WRITE, .kind = REGION_COW};
	struct region rb = {.start = *b, .end = *b + PAGE_SIZE, .prot = MAP_WRITE, .kind = REGION_COW};
	strlcpy(ra.name, "cow-a", sizeof(ra.name));
	strlcpy(rb.name, "cow-b", sizeof(rb.name));
	CHECK(region_insert(&regions, &ra) == 0 && region_insert(&regions, &rb) == 0);
	struct page *page = alloc_page(0);
	CHECK(page);
	memset(page_address(page), 'q', PAGE_SIZE);
	*frame = page_to_phys(page);
	CHECK(paging_map(&space, *a, *frame, PAGE_SIZE, MAP_SIZE_4K) == 0);
	CHECK(paging_map(&space, *b, *frame, PAGE_SIZE, MAP_SIZE_4K) == 0);
	page_get(page);
	fault_count_user(&fault_user_anon_mapped, *a, 2); /* two mappings, as a share makes */
	return NULL;
}

static const char *test_cow_copy(void)
{
	BEGIN();
	virt_addr_t a, b;
	phys_addr_t frame;
	CHECK_OK(cow_by_hand(&a, &b, &frame));
	uint64_t copies = fault_stats_total().cow_copies, free_before = buddy_free_pages();
	struct fault f;
	CHECK_OK(expect_resolved(&space, b + 12, FAULT_PRESENT | FAULT_WRITE, FAULT_COW_COPY,
				 "a write to a frame with refcount 2", &f));
	bool writable = false, a_writable = true;
	phys_addr_t copy = frame_of(&space, b, &writable);
	CHECKF(copy && copy != frame, "b still maps the shared frame 0x%lx: expected a copy", frame);
	CHECKF(writable, "b's copy is mapped read-only: the write would fault again");
	for (size_t i = 0; i < PAGE_SIZE; i++)
		CHECKF(bytes_of(copy)[i] == 'q', "byte %zu of the copy is 0x%02x, expected 'q' (the "
		       "shared frame's content)", i, bytes_of(copy)[i]);
	CHECKF(frame_of(&space, a, &a_writable) == frame && !a_writable,
	       "the other mapping (a) must keep the old frame, read-only");
	CHECKF(phys_to_page(frame)->refcount == 1 && phys_to_page(copy)->refcount == 1,
	       "refcounts after the copy: old frame %u, copy %u; expected 1 and 1 (page_put the old)",
	       phys_to_page(frame)->refcount, phys_to_page(copy)->refcount);
	CHECKF(free_before - buddy_free_pages() == 1, "the copy took %ld pages, expected 1",
	       (long)(free_before - buddy_free_pages()));
	CHECKF(fault_stats_total().cow_copies == copies + 1, "fault_stats_total().cow_copies went up by %lu, not 1",
	       fault_stats_total().cow_copies - copies);
	bytes_of(copy)[0] = 'X';
	CHECK(bytes_of(frame)[0] == 'q'); /* a still reads the old content */
	END();
}

static const char *test_cow_reuse(void)
{
	BEGIN();
	virt_addr_t a, b;
	phys_addr_t frame;
	CHECK_OK(cow_by_hand(&a, &b, &frame));
	/* b goes away: a is the frame's last owner. */
	CHECK(anon_release(&space, b, b + PAGE_SIZE) == 0);
	CHECK(phys_to_page(frame)->refcount == 1);
	uint64_t reuses = fault_stats_total().cow_reuses, free_before = buddy_free_pages();
	struct fault f;
	CHECK_OK(expect_resolved(&space, a, FAULT_PRESENT | FAULT_WRITE, FAULT_COW_REUSE,
				 "a write to a COW frame with refcount 1", &f));
	bool writable = false;
	phys_addr_t now = frame_of(&space, a, &writable);
	CHECKF(now == frame, "a maps 0x%lx after the fault, expected the same frame 0x%lx (no "
	       "copy for the last owner)", now, frame);
	CHECKF(writable, "a's frame is still read-only after the fault");
	CHECKF(buddy_free_pages() == free_before, "reusing took %ld pages, expected none",
	       (long)(free_before - buddy_free_pages()));
	CHECKF(phys_to_page(frame)->refcount == 1, "refcount %u, expected 1",
	       phys_to_page(frame)->refcount);
	CHECKF(fault_stats_total().cow_reuses == reuses + 1, "fault_stats_total().cow_reuses went up by %lu, not 1",
	       fault_stats_total().cow_reuses - reuses);
	END();
}

/*
 * Regression: region_map_flags() used to add MAP_SIZE_4K, which
 * paging_protect() refuses with -EINVAL, so a COW reuse written as lab 4's
 * handout says (paging_protect with the region's flags) failed, reported as
 * "out of memory". The same flags must suit paging_map and paging_protect.
 */
static const char *test_map_flags_fit_protect(void)
{
	BEGIN();
	struct region r = {.start = WINDOW, .end = WINDOW + PAGE_SIZE, .prot = MAP_WRITE,
			   .kind = REGION_ANON};
	unsigned flags = region_map_flags(&r, WINDOW);
	struct page *page = alloc_page(ALLOC_ZERO);
	CHECK(page != NULL);
	int mapped = paging_map(&space, WINDOW, page_to_phys(page), PAGE_SIZE, flags);
	int protected = mapped == 0 ? paging_protect(&space, WINDOW, PAGE_SIZE, flags) : 0;
	if (mapped == 0)
		CHECK(paging_unmap(&space, WINDOW, PAGE_SIZE) == 0);
	CHECK(free_page(page) == 0);
	CHECKF(mapped == 0, "paging_map with region_map_flags() (0x%x) returned %d", flags, mapped);
	CHECKF(protected == 0, "paging_protect with region_map_flags() (0x%x) returned %d: the "
	       "flags a region's page gets must suit paging_protect too", flags, protected);
	END();
}

static const char *test_cow_without_memory(void)
{
	BEGIN();
	virt_addr_t a, b;
	phys_addr_t frame;
	CHECK_OK(cow_by_hand(&a, &b, &frame));
	uint64_t before = buddy_free_pages();
	struct fault f;
	CHECK(failinject_arm(FAILINJECT_PMM, 1) == 0);
	int err = simulate_fault(&space, b, FAULT_PRESENT | FAULT_WRITE, &f);
	failinject_off();
	CHECKF(err == -EFAULT && f.violation == VIOLATION_NO_MEMORY,
	       "a COW copy with no frame left: expected \"out of memory\", got \"%s\"", words(&f));
	bool writable = true;
	CHECKF(frame_of(&space, b, &writable) == frame && !writable,
	       "after the failed copy b must still map the shared frame, read-only");
	CHECKF(phys_to_page(frame)->refcount == 2 && buddy_free_pages() == before,
	       "after the failed copy: refcount %u (expected 2), %ld pages kept",
	       phys_to_page(frame)->refcount, (long)(before - buddy_free_pages()));
	END();
}

static const char *test_fault_without_memory(void)
{
	BEGIN();
	virt_addr_t va = anon_create(&space, WINDOW, WINDOW_SIZE, 4 * PAGE_SIZE, "lazy");
	struct fault f;
	/* The frame, then each page table of a fresh range, may be the one missing. */
	for (uint64_t n = 1; n <= 5; n++) {
		uint64_t before = buddy_free_pages(), violations = fault_stats_total().violations;
		CHECK(failinject_arm(FAILINJECT_PMM, n) == 0);
		int err = simulate_fault(&space, va, FAULT_WRITE, &f);
		failinject_off();
		if (err == 0) {
			CHECKF(n > 1 && frame_of(&space, va, NULL),
			       "allocation %lu failing: the fault was resolved but %s", n,
			       n > 1 ? "nothing is mapped" : "no frame could be allocated");
			break;
		}
		CHECKF(f.violation == VIOLATION_NO_MEMORY && fault_stats_total().violations == violations + 1,
		       "allocation %lu failing: expected \"out of memory\", got \"%s\"", n, words(&f));
		CHECKF(!frame_of(&space, va, NULL) && buddy_free_pages() == before,
		       "allocation %lu failing: %s, %ld pages kept", n,
		       frame_of(&space, va, NULL) ? "the page is mapped" : "nothing mapped",
		       (long)(before - buddy_free_pages()));
		CHECKF(n < 5, "5 allocations failed in turn and the fault never resolved");
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
	uint64_t growths = fault_stats_total().stack_growths;
	CHECK_OK(expect_resolved(&space, start - 8, FAULT_WRITE, FAULT_STACK_GROWTH,
				 "a write 8 bytes below a stack region", &f));
	const struct region *r = region_find(&regions, start - 8);
	CHECKF(r && r->kind == REGION_STACK && r->start == start - PAGE_SIZE,
	       "after growing, the stack region should start at 0x%lx; it starts at 0x%lx",
	       start - PAGE_SIZE, r ? r->start : 0);
	CHECKF(f.in_region && f.region.start == start - PAGE_SIZE,
	       "the fault's region copy should show the new start 0x%lx", start - PAGE_SIZE);
	CHECKF(frame_of(&space, start - PAGE_SIZE, NULL) && !frame_of(&space, start, NULL),
	       "expected exactly the new page mapped");
	CHECKF(fault_stats_total().stack_growths == growths + 1, "fault_stats_total().stack_growths went up by %lu",
	       fault_stats_total().stack_growths - growths);
	/* An instruction fetch below a stack is no growth. */
	CHECKF(simulate_fault(&space, start - PAGE_SIZE - 8, FAULT_FETCH, &f) == -EFAULT,
	       "a fetch below a stack region grew it");
	CHECK(region_find(&regions, top - 1)->start == start - PAGE_SIZE);
	/* Further down but within the limit: grows again. */
	CHECK_OK(expect_resolved(&space, limit, FAULT_WRITE, FAULT_STACK_GROWTH,
				 "a write at the stack's grow_limit", &f));
	r = region_find(&regions, limit);
	CHECKF(r && r->start == limit, "the stack region should start at its limit 0x%lx now",
	       limit);
	/* Below the limit: the guard page. */
	CHECK(simulate_fault(&space, limit - 1, FAULT_WRITE, &f) == -EFAULT);
	CHECKF(f.violation == VIOLATION_GUARD && f.in_region, "below the limit: \"%s\"", words(&f));
	CHECKF(strstr(words(&f), "guard page 0x") &&
		       strstr(words(&f), "of guard region \"stack\""),
	       "%s", words(&f));
	/* Without its guard region, below the limit is a stack overflow; nothing mapped. */
	CHECK(anon_release(&space, limit - PAGE_SIZE, limit) == 0);
	uint64_t free_before = buddy_free_pages();
	CHECK(simulate_fault(&space, limit - 8, FAULT_WRITE, &f) == -EFAULT);
	CHECKF(f.violation == VIOLATION_STACK_OVERFLOW,
	       "a write below grow_limit (no guard region): expected a stack overflow, got \"%s\"",
	       words(&f));
	CHECKF(!frame_of(&space, limit - 8, NULL) && buddy_free_pages() == free_before,
	       "the refused growth mapped or kept something");
	END();
}

/*
 * Defect 1.2 (`lazy -s SIZE MAX` with MAX equal to SIZE): a stack that cannot
 * grow sits right on its guard page, two touching regions. anon_find_free
 * must not hand out the stack's range as free: the next lazy region or
 * stack must land above it, with a free page in between.
 */
static const char *test_lazy_stack_max_equals_size(void)
{
	BEGIN();
	virt_addr_t top = anon_create_stack(&space, WINDOW, WINDOW_SIZE, 2 * PAGE_SIZE,
					    2 * PAGE_SIZE, "fixed");
	CHECK(top);
	const struct region *r = region_find(&regions, top - 1);
	CHECKF(r && r->kind == REGION_STACK && r->start == r->grow_limit,
	       "a stack with MAX = SIZE should have no room to grow");
	virt_addr_t next = anon_find_free(&space, WINDOW, WINDOW_SIZE, 4 * PAGE_SIZE);
	CHECKF(next >= top + PAGE_SIZE, "the next free range 0x%lx overlaps or touches the stack "
	       "that ends at 0x%lx", next, top);
	CHECK(anon_create(&space, WINDOW, WINDOW_SIZE, 4 * PAGE_SIZE, "after") == next);
	virt_addr_t top2 = anon_create_stack(&space, WINDOW, WINDOW_SIZE, PAGE_SIZE, PAGE_SIZE,
					     "fixed2");
	CHECKF(top2 > next + 4 * PAGE_SIZE, "a second fixed stack did not fit above the others");
	CHECK(anon_find_free(&space, WINDOW, WINDOW_SIZE, PAGE_SIZE) > top2);
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
		{WINDOW, FAULT_PRESENT | FAULT_FETCH, VIOLATION_EXEC_NX, "execute of NX page"},
		{WINDOW, FAULT_FETCH, VIOLATION_EXEC_NOT_PRESENT, "execute of not-present page"},
		{WINDOW, FAULT_USER, VIOLATION_USER_KERNEL, "user access to kernel page"},
		{WINDOW, FAULT_PRESENT | FAULT_RESERVED, VIOLATION_RESERVED_BIT, "reserved bit"},
		{0x8000000000000000ull, 0, VIOLATION_NON_CANONICAL, "non-canonical"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fault f;
		char text[200];
		uint64_t before = buddy_free_pages();
		CHECKF(simulate_fault(&space, cases[i].va, cases[i].access, &f) == -EFAULT,
		       "case %zu resolved", i);
		fault_describe(&f, text, sizeof(text));
		CHECKF(f.violation == cases[i].expected && strstr(text, cases[i].words),
		       "case %zu: violation %d \"%s\"", i, f.violation, text);
		CHECKF(buddy_free_pages() == before && !frame_of(&space, WINDOW, NULL),
		       "case %zu changed memory", i);
	}
	END();
}

/* Fault at va with access; require the violation expected, naming area and saying `says`. */
static const char *expect_vmalloc_violation(virt_addr_t va, unsigned access,
					    enum fault_violation expected, virt_addr_t area,
					    const char *says, const char *what)
{
	struct fault f;

	CHECKF(simulate_fault(&space, va, access, &f) == -EFAULT, "%s (0x%lx) was resolved", what,
	       va);
	CHECKF(f.violation == expected && f.area && f.area->start == area && strstr(words(&f), says),
	       "%s (0x%lx): expected \"%s ... 0x%lx-...\", got \"%s\"%s", what, va, says, area,
	       words(&f), f.area ? "" : " (no area recorded in f->area)");
	return NULL;
}

static const char *test_vmalloc_guards(void)
{
	BEGIN();
	void *area = vmalloc(3 * PAGE_SIZE), *stack = vmalloc_stack(2 * PAGE_SIZE);
	CHECK(area && stack);
	virt_addr_t a = (virt_addr_t)(uintptr_t)area, s = (virt_addr_t)(uintptr_t)stack;
	uint64_t hits = fault_stats_total().guard_hits;
	char says[3][128];
	/* One guard page named by its address; the area's range is inclusive. */
	ksnprintf(says[0], sizeof(says[0]), "access to guard page 0x%lx after vmalloc area 0x%lx-0x%lx ",
		  a + 3 * PAGE_SIZE, a, a + 3 * PAGE_SIZE - 1);
	ksnprintf(says[1], sizeof(says[1]),
		  "kernel stack overflow: guard page 0x%lx below kernel stack 0x%lx-0x%lx ",
		  s - PAGE_SIZE, s, s + 2 * PAGE_SIZE - 1);
	ksnprintf(says[2], sizeof(says[2]), "access to guard page 0x%lx after kernel stack 0x%lx-",
		  s + 2 * PAGE_SIZE, s);
	CHECK_OK(expect_vmalloc_violation(a + 3 * PAGE_SIZE + 8, FAULT_WRITE, VIOLATION_GUARD, a,
					  says[0], "a write just past a 3-page area"));
	CHECK_OK(expect_vmalloc_violation(s - 16, FAULT_WRITE, VIOLATION_STACK_OVERFLOW, s,
					  says[1], "a push 16 bytes below a kernel stack"));
	CHECK_OK(expect_vmalloc_violation(s + 2 * PAGE_SIZE, 0, VIOLATION_GUARD, s, says[2],
					  "a read just above a kernel stack"));
	CHECKF(fault_stats_total().guard_hits == hits + 3, "fault_stats_total().guard_hits went up by %lu, not 3",
	       fault_stats_total().guard_hits - hits);
	CHECK_OK(expect_vmalloc_violation(a + PAGE_SIZE, FAULT_PRESENT | FAULT_FETCH,
					  VIOLATION_EXEC_NX, a, "execute of NX page in vmalloc area",
					  "a fetch inside an area"));
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
	CHECK_OK(populate(&space, va, 1));
	virt_addr_t twin = anon_find_free(&space, WINDOW, WINDOW_SIZE, 2 * PAGE_SIZE);
	CHECK(twin);
	int err = anon_cow_share(&space, va, &space, twin, 2 * PAGE_SIZE, "twin");
	CHECKF(err == 0, "anon_cow_share returned %d, expected 0", err);
	phys_addr_t frame = frame_of(&space, va, NULL);
	CHECK(frame && frame_of(&space, twin, NULL) == frame);
	CHECK(anon_release(&space, va, va + 2 * PAGE_SIZE) == 0);
	CHECK(!region_find(&regions, va) && frame_of(&space, twin, NULL) == frame);
	CHECKF(phys_to_page(frame)->refcount == 1, "refcount %u after releasing one side",
	       phys_to_page(frame)->refcount);
	/* The twin is now the sole owner: a write reuses the frame. */
	CHECK_OK(expect_resolved(&space, twin, FAULT_PRESENT | FAULT_WRITE, FAULT_COW_REUSE,
				 "a write by the last owner", &f));
	/* Overlapping or uncovered ranges are refused. */
	CHECK(anon_cow_share(&space, twin, &space, twin + PAGE_SIZE, 2 * PAGE_SIZE, "x") == -EINVAL);
	CHECK(anon_cow_share(&space, va, &space, va + 64 * PAGE_SIZE, PAGE_SIZE, "x") == -ENOENT);
	END();
}

/*
 * Regression: `touch VA x` on a page of a lazy region that was not present
 * yet was reported as "execute of NX page"; the CPU said "not present".
 */
static const char *test_exec_not_present_says_not_present(void)
{
	BEGIN();
	virt_addr_t va = anon_create(&space, WINDOW, WINDOW_SIZE, 2 * PAGE_SIZE, "lazy");
	struct fault f;
	CHECK(va);
	CHECK(simulate_fault(&space, va, FAULT_FETCH, &f) == -EFAULT);
	CHECKF(f.violation == VIOLATION_EXEC_NOT_PRESENT && strstr(words(&f), "not-present") &&
		       !strstr(words(&f), "NX"),
	       "a fetch from a not-present page of a lazy region: \"%s\"", words(&f));
	CHECKF(!frame_of(&space, va, NULL), "the refused fetch mapped the page");
	/* Once present, the same fetch is refused by NX. */
	CHECK_OK(expect_resolved(&space, va, FAULT_WRITE, FAULT_DEMAND_ZERO, "a write", &f));
	CHECK(simulate_fault(&space, va, FAULT_PRESENT | FAULT_FETCH, &f) == -EFAULT);
	CHECKF(f.violation == VIOLATION_EXEC_NX, "a fetch from a present NX page: \"%s\"",
	       words(&f));
	END();
}

/*
 * Regression: a kernel fetch from a user page that is also NX named only
 * SMEP (and named SMEP even where CR4.SMEP was off). Every rule that
 * refused an access is named: SMEP and NX, SMAP and read-only.
 */
static const char *test_smep_and_nx_both_named(void)
{
	BEGIN();
	const virt_addr_t nx_page = 0x200000, x_page = 0x201000;
	struct page *frame = alloc_page(ALLOC_ZERO);
	struct fault f;
	CHECK(frame);
	CHECK(paging_map(&space, nx_page, page_to_phys(frame), PAGE_SIZE, MAP_USER) == 0);
	CHECK(paging_map(&space, x_page, page_to_phys(frame), PAGE_SIZE, MAP_USER | MAP_EXEC) == 0);
	static const struct {
		virt_addr_t va;
		unsigned access;
		enum fault_violation expected;
		const char *says, *not_says;
	} cases[] = {
		{nx_page, FAULT_PRESENT | FAULT_FETCH | FAULT_SMEP_ON, VIOLATION_KERNEL_USER,
		 "(SMEP) and execute of NX page", NULL},
		{x_page, FAULT_PRESENT | FAULT_FETCH | FAULT_SMEP_ON, VIOLATION_KERNEL_USER,
		 "kernel execute of user page (SMEP)", "NX"},
		{nx_page, FAULT_PRESENT | FAULT_FETCH, VIOLATION_EXEC_NX, "execute of NX page",
		 "SMEP"},
		{nx_page, FAULT_PRESENT | FAULT_WRITE | FAULT_SMAP_ON, VIOLATION_KERNEL_USER,
		 "kernel write of user page (SMAP) and write to read-only page", NULL},
		{nx_page, FAULT_PRESENT | FAULT_WRITE, VIOLATION_WRITE_READ_ONLY,
		 "write to read-only page", "SMAP"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK(simulate_fault(&space, cases[i].va, cases[i].access, &f) == -EFAULT);
		CHECKF(f.violation == cases[i].expected && strstr(words(&f), cases[i].says) &&
			       (!cases[i].not_says || !strstr(words(&f), cases[i].not_says)),
		       "case %zu: expected \"%s\"%s%s, got \"%s\"", i, cases[i].says,
		       cases[i].not_says ? " without " : "",
		       cases[i].not_says ? cases[i].not_says : "", words(&f));
	}
	CHECK(paging_unmap(&space, nx_page, 2 * PAGE_SIZE) == 0);
	CHECK(free_page(frame) == 0);
	END();
}

/* Run in a child by the next test: fault_handle() called with interrupts on. */
static void fault_with_interrupts_on(void *arg)
{
	struct fault f;
	int err = fault_handle(&space, *(virt_addr_t *)arg, FAULT_WRITE, &f);

	kprintf("fault_handle returned %d with interrupts on\n", err);
}

static const char *test_fault_handle_with_interrupts_on_panics(void)
{
	BEGIN();
	virt_addr_t va = anon_create(&space, WINDOW, WINDOW_SIZE, PAGE_SIZE, "lazy");
	char msg[200];
	CHECK(va != 0);
	CHECKF(!arch_irqs_disabled(), "a test must start with interrupts on");
	CHECKF(host_expect_panic(fault_with_interrupts_on, &va, msg, sizeof(msg)),
	       "fault_handle with interrupts on did not panic: the child %s", msg);
	CHECKF(strstr(msg, "fault_handle: interrupts must be off"),
	       "the panic should name fault_handle and the contract: \"%s\"", msg);
	/* The child's fault changed nothing here; with interrupts off it resolves. */
	struct fault f;
	CHECK(!frame_of(&space, va, NULL));
	CHECK_OK(expect_resolved(&space, va, FAULT_WRITE, FAULT_DEMAND_ZERO, "a first write", &f));
	END();
}

/* Run in a child by the next test: two saves restored in the wrong order. */
static void restore_out_of_order(void *arg)
{
	unsigned long outer = arch_irq_save(), inner = arch_irq_save();

	(void)arg;
	arch_irq_restore(outer);
	arch_irq_restore(inner);
}

static const char *test_irq_state_nests(void)
{
	char msg[200];
	unsigned long outer = arch_irq_save();
	bool off_once = arch_irqs_disabled();
	unsigned long inner = arch_irq_save();
	arch_irq_restore(inner);
	bool off_after_inner = arch_irqs_disabled();
	arch_irq_restore(outer);

	CHECKF(off_once && off_after_inner && !arch_irqs_disabled(),
	       "save/save/restore/restore: off %d, still off %d, on again %d", off_once,
	       off_after_inner, !arch_irqs_disabled());
	CHECKF(host_expect_panic(restore_out_of_order, NULL, msg, sizeof(msg)),
	       "restoring the outer save first did not panic: the child %s", msg);
	CHECKF(strstr(msg, "arch_irq_restore: "), "the panic should name arch_irq_restore: \"%s\"",
	       msg);
	return NULL;
}

/* Each allocator's call and its undo, with interrupts as they were; NULL or the failing call. */
static const char *allocate_and_free(void)
{
	struct page *page = alloc_pages(0, 2);
	if (!page || free_pages(page, 2) != 0)
		return "alloc_pages/free_pages";
	void *p = kmalloc(100, 0);
	if (!p)
		return "kmalloc";
	kfree(p);
	p = vmalloc(3 * PAGE_SIZE);
	if (!p || vfree(p) != 0)
		return "vmalloc/vfree";
	return NULL;
}

static const char *test_allocators_keep_irq_state(void)
{
	BEGIN();
	const char *failed = allocate_and_free();
	CHECKF(!failed, "%s failed with interrupts on", failed);
	CHECKF(!arch_irqs_disabled(), "interrupts were left off by the allocators");
	unsigned long irq = arch_irq_save();
	failed = allocate_and_free();
	bool still_off = arch_irqs_disabled();
	arch_irq_restore(irq); /* panics if the allocators left the nesting unbalanced */
	CHECKF(!failed, "%s failed with interrupts off", failed);
	CHECKF(still_off, "the allocators turned interrupts on behind the caller");
	END();
}


/* ---- file regions, user faults, the reserve -------------------------------- */

#define FILE_PAGES 4 /* the simulated initrd file: 4 frames, 'A' + page index, byte by byte */
#define USER_RW (MAP_WRITE | MAP_USER)
#define USER_RX (MAP_EXEC | MAP_USER)

/* A file of FILE_PAGES contiguous frames standing for initrd bytes (free with free_file). */
static struct page *file_block;

static phys_addr_t make_file(void)
{
	file_block = alloc_pages(0, 2);
	if (!file_block)
		return 0;
	for (int i = 0; i < FILE_PAGES; i++)
		for (size_t b = 0; b < PAGE_SIZE; b++)
			((uint8_t *)page_address(file_block))[i * PAGE_SIZE + b] =
				(uint8_t)('A' + i + b % 7);
	return page_to_phys(file_block);
}

/* The file was never written and still has its one owner; free it. */
static const char *free_file(void)
{
	for (int i = 0; i < FILE_PAGES; i++)
		for (size_t b = 0; b < PAGE_SIZE; b++)
			CHECKF(((uint8_t *)page_address(file_block))[i * PAGE_SIZE + b] ==
				       (uint8_t)('A' + i + b % 7),
			       "byte %zu of file page %d was changed", b, i);
	CHECKF(file_block->refcount == 1, "the file's frames have refcount %u, not 1",
	       file_block->refcount);
	CHECK(free_pages(file_block, 2) == 0);
	return NULL;
}

/*
 * END for a test with a file: release the space (which must put no file
 * frame), check and free the file, then END's checks on a fresh space.
 */
static const char *end_with_file(void)
{
	CHECK_OK(destroy_space(&space));
	CHECK_OK(free_file());
	CHECK(paging_create(&space, NULL) == 0);
	region_set_init(&regions);
	space.regions = &regions;
	return end();
}

/* A FILE region of `pages` pages at va, backed from file + skip pages, bytes of file. */
static int add_file(virt_addr_t va, int pages, unsigned prot, phys_addr_t file, int skip,
		    uint64_t bytes)
{
	struct region r = {.start = va, .end = va + pages * PAGE_SIZE, .prot = prot,
			   .kind = REGION_FILE, .file_phys = file + skip * PAGE_SIZE,
			   .file_bytes = bytes};
	strlcpy(r.name, "hello", sizeof(r.name));
	return region_insert(&regions, &r);
}

/* Page `page` of a private copy holds file page `file_page`'s first `bytes` bytes, then zero. */
static const char *expect_copy(phys_addr_t frame, int file_page, size_t bytes)
{
	for (size_t b = 0; b < PAGE_SIZE; b++) {
		uint8_t want = b < bytes ? (uint8_t)('A' + file_page + b % 7) : 0;
		CHECKF(bytes_of(frame)[b] == want, "byte %zu of the copy is 0x%02x, expected 0x%02x",
		       b, bytes_of(frame)[b], want);
	}
	return NULL;
}

static const char *test_file_read_shares(void)
{
	BEGIN();
	phys_addr_t file = make_file();
	CHECK(file);
	const uint64_t bytes = 2 * PAGE_SIZE + 100; /* page 2 straddles the end, page 3 is past it */
	virt_addr_t va = WINDOW;
	CHECK(add_file(va, 4, USER_RX, file, 0, bytes) == 0);
	uint64_t anon = fault_user_anon_pages(), mapped = fault_user_file_pages();
	uint64_t minflt = space.minflt;
	struct fault f;
	bool writable = true;
	/* A read and a fetch of whole file pages: the file's own frames, read-only. */
	CHECK_OK(expect_resolved(&space, va + 8, FAULT_USER, FAULT_FILE_MAP,
				 "a user read of file page 0", &f));
	CHECKF(frame_of(&space, va, &writable) == file && !writable,
	       "page 0 should map the file's frame 0x%lx read-only", file);
	CHECK_OK(expect_resolved(&space, va + PAGE_SIZE, FAULT_USER | FAULT_FETCH, FAULT_FILE_MAP,
				 "a user fetch from file page 1", &f));
	CHECK(frame_of(&space, va + PAGE_SIZE, NULL) == file + PAGE_SIZE);
	CHECKF(fault_user_file_pages() == mapped + 2 && fault_user_anon_pages() == anon,
	       "Mapped %+ld AnonPages %+ld, expected +2 and 0",
	       (long)(fault_user_file_pages() - mapped), (long)(fault_user_anon_pages() - anon));
	/* The page the file's end cuts: a private copy, zero after the file's bytes. */
	CHECK_OK(expect_resolved(&space, va + 2 * PAGE_SIZE, FAULT_USER, FAULT_FILE_COPY,
				 "a read of the page the file's end cuts", &f));
	phys_addr_t copy = frame_of(&space, va + 2 * PAGE_SIZE, &writable);
	CHECKF(copy && copy != file + 2 * PAGE_SIZE && !writable,
	       "the straddling page should be a private read-only copy");
	CHECK_OK(expect_copy(copy, 2, 100));
	/* Past the file's end: a zeroed private page. */
	CHECK_OK(expect_resolved(&space, va + 3 * PAGE_SIZE, FAULT_USER | FAULT_FETCH,
				 FAULT_FILE_COPY, "a fetch past the file's end", &f));
	CHECK_OK(expect_copy(frame_of(&space, va + 3 * PAGE_SIZE, NULL), 3, 0));
	CHECK(fault_user_anon_pages() == anon + 2);
	/* The same read again is spurious and not counted; a write is a violation. */
	CHECK_OK(expect_resolved(&space, va, FAULT_USER, FAULT_SPURIOUS, "page 0 again", &f));
	CHECKF(space.minflt == minflt + 4, "minflt went up by %lu, expected 4 (spurious: not)",
	       space.minflt - minflt);
	CHECK(simulate_fault(&space, va, FAULT_USER | FAULT_WRITE | FAULT_PRESENT, &f) == -EFAULT);
	CHECKF(f.violation == VIOLATION_WRITE_READ_ONLY, "a write to text: \"%s\"", words(&f));
	CHECK(space.minflt == minflt + 4);
	/* A second space maps the very same frame: shared. */
	struct address_space other;
	struct region_set other_regions;
	CHECK_OK(other_space(&other, &other_regions));
	struct region twin = *region_find(&regions, va);
	CHECK(region_insert(&other_regions, &twin) == 0);
	CHECK_OK(expect_resolved(&other, va, FAULT_USER, FAULT_FILE_MAP, "the other space", &f));
	CHECK(frame_of(&other, va, NULL) == file && other.minflt == 1);
	CHECK_OK(destroy_space(&other));
	return end_with_file();
}

static const char *test_file_write_copies(void)
{
	BEGIN();
	phys_addr_t file = make_file();
	CHECK(file);
	virt_addr_t va = WINDOW;
	CHECK(add_file(va, 3, USER_RW, file, 1, PAGE_SIZE + 2000) == 0); /* data: from file page 1 */
	uint64_t anon = fault_user_anon_pages(), mapped = fault_user_file_pages();
	struct fault f;
	bool writable = false;
	/* A first write: a private writable copy of the whole page. */
	CHECK_OK(expect_resolved(&space, va + 16, FAULT_USER | FAULT_WRITE, FAULT_FILE_COPY,
				 "a first write to a data page", &f));
	phys_addr_t copy = frame_of(&space, va, &writable);
	CHECKF(copy && copy != file + PAGE_SIZE && writable, "expected a private writable copy");
	CHECK_OK(expect_copy(copy, 1, PAGE_SIZE));
	bytes_of(copy)[16] = 0xee; /* the program's write lands in its copy, not the file */
	/* A read first maps the file frame read-only; the write then copies it. */
	CHECK(region_protect(&regions, va + PAGE_SIZE, va + 3 * PAGE_SIZE, USER_RW) == 0);
	CHECK(add_file(va + 4 * PAGE_SIZE, 1, USER_RW, file, 3, PAGE_SIZE) == 0);
	CHECK_OK(expect_resolved(&space, va + 4 * PAGE_SIZE, FAULT_USER, FAULT_FILE_MAP,
				 "a read of a whole data page", &f));
	CHECKF(frame_of(&space, va + 4 * PAGE_SIZE, &writable) == file + 3 * PAGE_SIZE && !writable,
	       "a read of a writable file page maps the file's frame read-only");
	CHECK(fault_user_file_pages() == mapped + 1);
	CHECK_OK(expect_resolved(&space, va + 4 * PAGE_SIZE, FAULT_USER | FAULT_WRITE | FAULT_PRESENT,
				 FAULT_FILE_COPY, "a write to the mapped file frame", &f));
	copy = frame_of(&space, va + 4 * PAGE_SIZE, &writable);
	CHECKF(copy != file + 3 * PAGE_SIZE && writable, "the write should map a writable copy");
	CHECK_OK(expect_copy(copy, 3, PAGE_SIZE));
	CHECKF(fault_user_file_pages() == mapped && fault_user_anon_pages() == anon + 2,
	       "Mapped %+ld AnonPages %+ld, expected 0 and +2",
	       (long)(fault_user_file_pages() - mapped), (long)(fault_user_anon_pages() - anon));
	/* The straddling page, written: copy with a zero tail. */
	CHECK_OK(expect_resolved(&space, va + PAGE_SIZE, FAULT_USER | FAULT_WRITE, FAULT_FILE_COPY,
				 "a write to the page the file's end cuts", &f));
	CHECK_OK(expect_copy(frame_of(&space, va + PAGE_SIZE, NULL), 2, 2000));
	/* A private frame made read-only (mprotect) in a writable region: reused, no copy. */
	CHECK(paging_protect(&space, va, PAGE_SIZE, MAP_USER) == 0);
	phys_addr_t before = frame_of(&space, va, NULL);
	CHECK_OK(expect_resolved(&space, va, FAULT_USER | FAULT_WRITE | FAULT_PRESENT,
				 FAULT_COW_REUSE, "a write to a read-only private page", &f));
	CHECK(frame_of(&space, va, &writable) == before && writable && bytes_of(before)[16] == 0xee);
	/* ... but a plain violation once the region itself is read-only. */
	CHECK(region_protect(&regions, va, va + PAGE_SIZE, MAP_USER) == 0);
	CHECK(paging_protect(&space, va, PAGE_SIZE, MAP_USER) == 0);
	CHECK(simulate_fault(&space, va, FAULT_USER | FAULT_WRITE | FAULT_PRESENT, &f) == -EFAULT);
	CHECKF(f.violation == VIOLATION_WRITE_READ_ONLY, "\"%s\"", words(&f));
	return end_with_file();
}

static const char *test_file_release_keeps_file(void)
{
	BEGIN();
	phys_addr_t file = make_file();
	CHECK(file);
	virt_addr_t va = WINDOW;
	uint64_t anon = fault_user_anon_pages(), mapped = fault_user_file_pages();
	uint64_t free_before = buddy_free_pages();
	CHECK(add_file(va, 6, USER_RW, file, 0, 4 * PAGE_SIZE) == 0);
	struct fault f;
	for (int i = 0; i < 6; i++) /* pages 0-3 read: file frames; 4-5: zero pages */
		CHECK(simulate_fault(&space, va + i * PAGE_SIZE, FAULT_USER, &f) == 0);
	CHECK_OK(expect_resolved(&space, va + PAGE_SIZE, FAULT_USER | FAULT_WRITE | FAULT_PRESENT,
				 FAULT_FILE_COPY, "a write to page 1", &f));
	CHECK(fault_user_file_pages() == mapped + 3 && fault_user_anon_pages() == anon + 3);
	/* madvise(MADV_DONTNEED): every page unmapped, copies freed, the file kept, regions too. */
	CHECK(region_zap_range(&space, va, va + 6 * PAGE_SIZE) == 0);
	CHECK(anon_resident_pages(&space, va, va + 6 * PAGE_SIZE) == 0);
	CHECKF(fault_user_file_pages() == mapped && fault_user_anon_pages() == anon,
	       "after the zap: Mapped %+ld AnonPages %+ld",
	       (long)(fault_user_file_pages() - mapped), (long)(fault_user_anon_pages() - anon));
	CHECK(file_block->refcount == 1 && region_find(&regions, va));
	/* The written page reads the file's bytes again. */
	CHECK_OK(expect_resolved(&space, va + PAGE_SIZE, FAULT_USER, FAULT_FILE_MAP,
				 "page 1 after the zap", &f));
	/* munmap of the middle: the region splits, the upper part backed from page 3 on. */
	CHECK(simulate_fault(&space, va + 3 * PAGE_SIZE, FAULT_USER, &f) == 0);
	CHECK(region_release_range(&space, va + 2 * PAGE_SIZE, va + 3 * PAGE_SIZE) == 0);
	const struct region *upper = region_find(&regions, va + 3 * PAGE_SIZE);
	CHECKF(upper && upper->start == va + 3 * PAGE_SIZE &&
		       upper->file_phys == file + 3 * PAGE_SIZE && upper->file_bytes == PAGE_SIZE,
	       "the upper part should be backed from file page 3 with one page of bytes");
	CHECK(frame_of(&space, va + 3 * PAGE_SIZE, NULL) == file + 3 * PAGE_SIZE);
	CHECK(region_release_range(&space, va, va + 6 * PAGE_SIZE) == 0);
	CHECK(regions.count == 0 && file_block->refcount == 1);
	CHECK(fault_user_file_pages() == mapped && fault_user_anon_pages() == anon);
	/* A region the release may not touch: -EPERM, nothing changed. */
	struct region dev = {.start = va, .end = va + PAGE_SIZE, .kind = REGION_DEVICE};
	CHECK(region_insert(&regions, &dev) == 0);
	CHECK(region_zap_range(&space, va, va + PAGE_SIZE) == -EPERM);
	CHECK(region_release_range(&space, va, va + PAGE_SIZE) == -EPERM);
	CHECK(region_remove(&regions, va, va + PAGE_SIZE) == 0);
	CHECK_OK(free_file());
	slab_shrink();
	CHECKF(buddy_free_pages() + 4 >= free_before, "%ld pages kept",
	       (long)(free_before - buddy_free_pages()));
	END();
}

static const char *test_minflt_counts_resolved(void)
{
	BEGIN();
	virt_addr_t va = anon_create(&space, WINDOW, WINDOW_SIZE, 4 * PAGE_SIZE, "heap");
	CHECK(va && space.minflt == 0);
	struct fault f;
	CHECK(simulate_fault(&space, va, FAULT_WRITE, &f) == 0);          /* demand-zero */
	CHECK(simulate_fault(&space, va, FAULT_WRITE, &f) == 0);          /* spurious */
	CHECK(simulate_fault(&space, 0, 0, &f) == -EFAULT);               /* NULL */
	CHECK(simulate_fault(&space, va + PAGE_SIZE, 0, &f) == 0);        /* demand-zero */
	CHECKF(space.minflt == 2, "minflt %lu after 2 resolved, 1 spurious, 1 violation",
	       space.minflt);
	END();
}

static const char *test_user_stack_and_kernel_regions(void)
{
	BEGIN();
	virt_addr_t top = anon_create_stack(&space, WINDOW, WINDOW_SIZE, PAGE_SIZE, 4 * PAGE_SIZE,
					    "stack");
	CHECK(top);
	CHECK(region_protect(&regions, top - PAGE_SIZE, top, USER_RW) == 0);
	struct fault f;
	/* A user touch below a kernel-only stack: no growth. */
	CHECK(region_protect(&regions, top - PAGE_SIZE, top, MAP_WRITE) == 0);
	CHECK(simulate_fault(&space, top - 2 * PAGE_SIZE, FAULT_USER | FAULT_WRITE, &f) == -EFAULT);
	CHECKF(f.violation == VIOLATION_USER_KERNEL, "\"%s\"", words(&f));
	CHECK(simulate_fault(&space, top - 8, FAULT_USER, &f) == -EFAULT);
	CHECKF(f.violation == VIOLATION_USER_KERNEL, "\"%s\"", words(&f));
	/* A user stack grows for user pushes, down to its guard. */
	CHECK(region_protect(&regions, top - PAGE_SIZE, top, USER_RW) == 0);
	CHECK_OK(expect_resolved(&space, top - 8, FAULT_USER | FAULT_WRITE, FAULT_DEMAND_ZERO,
				 "a user push", &f));
	CHECK_OK(expect_resolved(&space, top - 4 * PAGE_SIZE, FAULT_USER | FAULT_WRITE,
				 FAULT_STACK_GROWTH, "a user push at the limit", &f));
	CHECK(simulate_fault(&space, top - 4 * PAGE_SIZE - 8, FAULT_USER | FAULT_WRITE, &f) ==
	      -EFAULT);
	CHECKF(f.violation == VIOLATION_GUARD, "below the limit: \"%s\"", words(&f));
	END();
}

static const char *test_reserve_refuses_user_faults(void)
{
	BEGIN();
	virt_addr_t user = anon_create(&space, WINDOW, WINDOW_SIZE, 4 * PAGE_SIZE, "heap");
	virt_addr_t kernel = anon_create(&space, ANON_WINDOW_START, ANON_WINDOW_SIZE,
					 4 * PAGE_SIZE, "lazy");
	CHECK(user && kernel);
	CHECK(region_protect(&regions, user, user + 4 * PAGE_SIZE, USER_RW) == 0);
	struct fault f;
	/* Page tables for both ranges first, so that only frames are at stake below. */
	CHECK(simulate_fault(&space, user, FAULT_USER | FAULT_WRITE, &f) == 0);
	CHECK(simulate_fault(&space, kernel, FAULT_WRITE, &f) == 0);
	uint64_t reserve = fault_user_reserve_pages();
	CHECKF(reserve == MAX(buddy_managed_pages() / 64, FAULT_USER_RESERVE_MIN),
	       "reserve %lu pages", reserve);
	struct list_node taken;
	list_init(&taken);
	while (buddy_free_pages() > reserve) {
		struct page *p = alloc_page(ALLOC_RESERVE);
		CHECK(p);
		list_add(&taken, &p->list);
	}
	uint64_t refusals = fault_stats_total().reserve_refusals, free_now = buddy_free_pages();
	uint64_t anon = fault_user_anon_pages();
	CHECK(simulate_fault(&space, user + PAGE_SIZE, FAULT_USER | FAULT_WRITE, &f) == -EFAULT);
	CHECKF(f.violation == VIOLATION_NO_MEMORY && strstr(words(&f), "out of memory"),
	       "a user fault at the reserve: \"%s\"", words(&f));
	CHECK(fault_stats_total().reserve_refusals == refusals + 1);
	CHECK(!frame_of(&space, user + PAGE_SIZE, NULL) && buddy_free_pages() == free_now);
	CHECK(fault_user_anon_pages() == anon);
	/* The kernel's own fault still gets its page. */
	CHECK_OK(expect_resolved(&space, kernel + PAGE_SIZE, FAULT_WRITE, FAULT_DEMAND_ZERO,
				 "a kernel fault below the user reserve", &f));
	while (!list_empty(&taken)) {
		struct page *p = list_first_entry(&taken, struct page, list);
		list_remove(&p->list);
		CHECK(free_page(p) == 0);
	}
	CHECK_OK(expect_resolved(&space, user + PAGE_SIZE, FAULT_USER | FAULT_WRITE,
				 FAULT_DEMAND_ZERO, "the user fault with memory back", &f));
	END();
}

static const struct selftest fault_tests[] = {
	{"file_read_shares", "file pages: reads map the file frame read-only, shared by two "
	 "spaces; the cut page and beyond: private copies, zero tail; minflt", test_file_read_shares},
	{"file_write_copies", "file pages: a write copies (fresh or over the mapped file frame); "
	 "a read-only private page is reused", test_file_write_copies},
	{"file_release_keeps_file", "zap (madvise) and release (munmap, a split) put copies, "
	 "never a file frame; Mapped/AnonPages back", test_file_release_keeps_file},
	{"minflt", "minflt counts resolved faults, not spurious ones or violations",
	 test_minflt_counts_resolved},
	{"user_stack", "a user stack grows for user accesses to its guard; kernel-only: refused",
	 test_user_stack_and_kernel_regions},
	{"reserve", "a user fault at the kernel's reserve: out of memory; the kernel's goes on",
	 test_reserve_refuses_user_faults},
	{"demand_zero", "a touch maps exactly that page, zeroed; again: spurious",
	 test_demand_zero},
	{"no_memory", "a fault with no frame or table left is a violation, nothing kept",
	 test_fault_without_memory},
	{"cow_share", "anon_cow_share maps each frame read-only on both sides, one owner more",
	 test_cow_share},
	{"cow_share_rollback", "every failed allocation in a share leaves nothing behind",
	 test_cow_share_rolls_back},
	{"cow_copy", "a write to a frame with two owners copies it; the other keeps the old",
	 test_cow_copy},
	{"cow_reuse", "a write by a frame's last owner makes it writable in place, no copy",
	 test_cow_reuse},
	{"map_flags_fit_protect", "region_map_flags() suits paging_map and paging_protect alike",
	 test_map_flags_fit_protect},
	{"cow_no_memory", "a COW copy with no frame left is a violation, nothing changed",
	 test_cow_without_memory},
	{"cow_pair", "two spaces share frames until a write copies only that page; refcounts",
	 test_cow_pair},
	{"stack_growth", "touches below a stack grow it to its limit; below: the guard",
	 test_stack_growth},
	{"lazy_stack_max_equals_size", "a stack that cannot grow touches its guard; the next "
	 "range goes above both", test_lazy_stack_max_equals_size},
	{"violations", "NULL, not mapped, read-only, NX, user, reserved, non-canonical: words",
	 test_violations},
	{"vmalloc_guards", "guard after an area, guard below a stack, NX inside: named in reports",
	 test_vmalloc_guards},
	{"exec_not_present_says_not_present",
	 "a fetch from a not-present page of a lazy region is \"not present\", not NX",
	 test_exec_not_present_says_not_present},
	{"smep_and_nx_both_named", "SMEP and NX (SMAP and read-only) both named when both apply",
	 test_smep_and_nx_both_named},
	{"release_keeps_shared", "releasing one side of a COW pair keeps the other's frames",
	 test_release_keeps_shared},
	{"fault_handle_with_interrupts_on_panics",
	 "fault_handle asserts its contract: interrupts off, named in the panic",
	 test_fault_handle_with_interrupts_on_panics},
	{"irq_state_nests", "host interrupt state: saves nest, a restore out of order panics",
	 test_irq_state_nests},
	{"allocators_keep_irq_state", "page, kmalloc and vmalloc calls leave interrupts as found",
	 test_allocators_keep_irq_state},
};

SELFTEST_SUITE(fault, fault_tests);
