/*
 * test_fault.c - kernel-only checks of page faults taken for real (suite
 * `fault`): the CPU raises #PF, the handler resolves it, the instruction
 * runs again. Demand-zero maps exactly the touched pages; a COW pair of
 * address spaces shares frames until a write, which copies only that page
 * while the other side keeps reading the old bytes, and reference counts
 * and free memory return to their start when both sides are gone; a stack
 * region grows on touches below it; the stack the tests run on has its
 * guard page; a violation under a recovery point comes back to it.
 * (tests/host/test_fault.c covers the decisions in detail over simulated
 * faults.)
 */
#include "kernel/recovery.h"
#include "kernel/selftest.h"
#include "kernel/stack.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/anon.h"
#include "mm/arch.h"
#include "mm/buddy.h"
#include "mm/fault.h"
#include "mm/kernel_space.h"
#include "mm/page.h"
#include "mm/paging.h"
#include "mm/region.h"
#include "mm/slab.h"
#include "mm/vmalloc.h"

#define USER_WINDOW 0x40000000ull /* lower half: empty in the kernel's own space */
#define USER_WINDOW_SIZE (1ull << 30)

static volatile uint8_t *at(virt_addr_t va)
{
	volatile uint8_t *p = (volatile uint8_t *)(uintptr_t)va;

	__asm__("" : "+r"(p)); /* an address GCC must not reason about (e.g. 8: NULL + 8) */
	return p;
}

static phys_addr_t frame_of(const struct address_space *as, virt_addr_t va)
{
	struct paging_translation t;

	return paging_translate(as, va, &t) == 0 ? t.pa & ~(PAGE_SIZE - 1) : 0;
}

static const char *test_demand_zero(void)
{
	slab_shrink();
	uint64_t free_before = buddy_free_pages();
	virt_addr_t va = anon_create(&kernel_space, ANON_WINDOW_START, ANON_WINDOW_SIZE,
				     16 * PAGE_SIZE, "selftest");
	CHECK(va);
	uint64_t faults = fault_stats.demand_zero;
	at(va + 1 * PAGE_SIZE)[7] = 1;
	at(va + 5 * PAGE_SIZE)[0] = 2;
	CHECK(at(va + 9 * PAGE_SIZE)[4000] == 0); /* a read faults a zeroed page in too */
	CHECKF(fault_stats.demand_zero == faults + 3, "%lu demand-zero faults, expected 3",
	       fault_stats.demand_zero - faults);
	CHECK(anon_resident_pages(&kernel_space, va, va + 16 * PAGE_SIZE) == 3);
	CHECK(frame_of(&kernel_space, va + 5 * PAGE_SIZE) && !frame_of(&kernel_space, va) &&
	      !frame_of(&kernel_space, va + 4 * PAGE_SIZE));
	CHECK(at(va + PAGE_SIZE)[7] == 1 && at(va + 5 * PAGE_SIZE)[0] == 2);
	CHECK(fault_stats.demand_zero == faults + 3); /* mapped now: no more faults */
	CHECK(anon_release(&kernel_space, va, va + 16 * PAGE_SIZE) == 0);
	slab_shrink();
	CHECKF(buddy_free_pages() == free_before, "%ld pages kept",
	       (long)(free_before - buddy_free_pages()));
	return NULL;
}

/* A new address space sharing the kernel half, with an empty region set. */
static int space_create(struct address_space *as, struct region_set *regions)
{
	int err = paging_create(as, &kernel_space);

	region_set_init(regions);
	as->regions = regions;
	return err;
}

/* Release everything in as and destroy it; NULL, or why the release failed. */
static const char *space_destroy(struct address_space *as)
{
	int err = anon_release(as, USER_WINDOW, USER_WINDOW + USER_WINDOW_SIZE);

	region_set_destroy(as->regions);
	paging_destroy(as);
	CHECKF(err == 0, "anon_release of the whole window: %s", errno_name(err));
	return NULL;
}

static const char *test_cow_pair(void)
{
	static struct address_space a, b;
	static struct region_set a_regions, b_regions;

	slab_shrink();
	uint64_t free_before = buddy_free_pages();
	CHECK(space_create(&a, &a_regions) == 0 && space_create(&b, &b_regions) == 0);
	virt_addr_t va = anon_create(&a, USER_WINDOW, USER_WINDOW_SIZE, 4 * PAGE_SIZE, "data");
	CHECK(va);

	address_space_switch(&a);
	for (int i = 0; i < 4; i++)
		memset((void *)(uintptr_t)(va + i * PAGE_SIZE), 'A' + i, PAGE_SIZE);
	address_space_switch(&kernel_space);
	phys_addr_t frames[4];
	for (int i = 0; i < 4; i++)
		frames[i] = frame_of(&a, va + i * PAGE_SIZE);

	CHECK(anon_cow_share(&a, va, &b, va, 4 * PAGE_SIZE, "twin") == 0);
	for (int i = 0; i < 4; i++)
		CHECKF(frame_of(&b, va + i * PAGE_SIZE) == frames[i] &&
		       phys_to_page(frames[i])->refcount == 2, "page %d not shared", i);

	uint64_t copies = fault_stats.cow_copies, faults = fault_stats.faults;
	address_space_switch(&b);
	bool reads_ok = at(va + 2 * PAGE_SIZE)[10] == 'C'; /* a read: no fault */
	/* volatile: a plain load may be moved past the faulting store below (GCC did) */
	uint64_t faults_after_read = *(volatile uint64_t *)&fault_stats.faults;
	at(va + 2 * PAGE_SIZE)[10] = 'z';                  /* a write: one COW copy */
	bool wrote = at(va + 2 * PAGE_SIZE)[10] == 'z' && at(va + 2 * PAGE_SIZE)[11] == 'C';
	address_space_switch(&a);
	bool other_side_old = at(va + 2 * PAGE_SIZE)[10] == 'C';
	address_space_switch(&kernel_space);

	CHECK(reads_ok && faults_after_read == faults);
	CHECKF(wrote && fault_stats.cow_copies == copies + 1, "COW copies %lu",
	       fault_stats.cow_copies - copies);
	CHECK(other_side_old);
	phys_addr_t copy = frame_of(&b, va + 2 * PAGE_SIZE);
	CHECK(copy && copy != frames[2] && phys_to_page(frames[2])->refcount == 1);
	for (int i = 0; i < 4; i++)
		if (i != 2)
			CHECKF(frame_of(&b, va + i * PAGE_SIZE) == frames[i] &&
			       phys_to_page(frames[i])->refcount == 2, "page %d was copied", i);

	CHECK_OK(space_destroy(&b));
	for (int i = 0; i < 4; i++)
		CHECKF(phys_to_page(frames[i])->refcount == 1, "page %d: refcount %u", i,
		       phys_to_page(frames[i])->refcount);
	CHECK_OK(space_destroy(&a));
	slab_shrink();
	CHECKF(buddy_free_pages() == free_before, "%ld pages kept",
	       (long)(free_before - buddy_free_pages()));
	return NULL;
}

static const char *test_stack_growth(void)
{
	virt_addr_t top = anon_create_stack(&kernel_space, ANON_WINDOW_START, ANON_WINDOW_SIZE,
					    PAGE_SIZE, 4 * PAGE_SIZE, "selftest-stack");
	CHECK(top);
	uint64_t growths = fault_stats.stack_growths;
	at(top - 1)[0] = 1;                  /* inside the region: demand-zero */
	at(top - 3 * PAGE_SIZE)[0] = 3;      /* two pages below it: growth */
	const struct region *r = region_find(kernel_space.regions, top - 3 * PAGE_SIZE);
	CHECK(r && r->kind == REGION_STACK && r->start == top - 3 * PAGE_SIZE);
	CHECK(fault_stats.stack_growths == growths + 1);
	CHECK(anon_release(&kernel_space, top - 5 * PAGE_SIZE, top) == 0);
	return NULL;
}

/*
 * The stack this test runs on ("main", from vmalloc_stack) has an unmapped
 * guard page below it, known to vmalloc as that stack's, and a fault there
 * is named a kernel stack overflow. The fault is simulated (fault_handle),
 * not taken: nothing is written.
 */
static const char *test_stack_guards(void)
{
	uint64_t here = (uint64_t)(uintptr_t)&here;
	/* The selftests run in a thread (the shell's): on its guarded stack. */
	const struct kernel_stack *stack = kernel_stack_find(here, 8);
	struct paging_translation t;
	struct fault f;
	char text[200];

	CHECKF(stack && stack->guarded, "the selftests do not run on a guarded thread stack");
	virt_addr_t guard = stack->bottom - PAGE_SIZE;
	CHECKF(paging_translate(&kernel_space, guard, &t) == -ENOENT,
	       "the page below the running stack (0x%lx) is mapped: no guard page", guard);
	const struct vmalloc_area *a = vmalloc_find(stack->bottom - 8);
	CHECKF(a && a->start == stack->bottom && (a->flags & VMALLOC_STACK),
	       "vmalloc_find(0x%lx), just below the running stack, does not give the stack's area",
	       stack->bottom - 8);
	CHECKF(vmalloc_is_guard(stack->bottom - 8) && vmalloc_is_guard(stack->top),
	       "the pages below and above the running stack are not both guards");
	unsigned long irq = arch_irq_save(); /* fault_handle's context: interrupts off */
	int err = fault_handle(&kernel_space, stack->bottom - 8, FAULT_WRITE, &f);
	arch_irq_restore(irq);
	CHECKF(err == -EFAULT && f.violation == VIOLATION_STACK_OVERFLOW && f.area == a,
	       "a push just below the running stack: expected a kernel stack overflow, got \"%s\"",
	       fault_describe(&f, text, sizeof(text)));
	fault_describe(&f, text, sizeof(text));
	char says[64];
	ksnprintf(says, sizeof(says), "kernel stack overflow: guard page 0x%lx below kernel stack",
		  guard); /* the one guard page, by its address */
	CHECKF(strstr(text, says), "report: %s", text);
	return NULL;
}

/* Fault on purpose under a recovery point; it must come back, reported. */
static const char *test_recovery(void)
{
	static struct recovery_point rp;
	static volatile int reached;
	static uint64_t faults_before;

	reached = 0;
	faults_before = fault_stats.faults;
	selftest_capture_begin();
	if (recovery_save(&rp) == 0) {
		recovery_push(&rp, "selftest fault/recovery");
		reached = 1;
		(void)at(8)[0]; /* NULL + 8 */
		reached = 2;    /* never: the fault aborts to recovery_save */
		recovery_pop(&rp);
	}
	const char *out = selftest_capture_end();
	CHECKF(reached == 1 && rp.aborts == 1, "reached %d, aborts %lu", reached, rp.aborts);
	CHECKF(strstr(out, "NULL dereference") && strstr(out, "aborted"), "report: %.200s", out);
	/* What a selftest that faulted fails with: the grader shows only this line. */
	char why[256];
	strlcpy(why, selftest_aborted_reason(&rp, faults_before), sizeof(why));
	CHECKF(strstr(why, "Page Fault: NULL dereference") && strstr(why, " at test_recovery+0x"),
	       "a faulting test's reason should name the exception, the fault and the function; "
	       "it is \"%s\"", why);
	return NULL;
}

static const struct selftest fault_kernel_tests[] = {
	{"demand_zero", "touching 3 of 16 lazy pages maps exactly those 3, zeroed",
	 test_demand_zero},
	{"cow_pair", "two spaces share until a write copies one page; refcounts and memory back",
	 test_cow_pair},
	{"stack_growth", "a touch below a stack region grows it", test_stack_growth},
	{"stack_guards", "the running stack has a guard page below it; a fault there is an overflow",
	 test_stack_guards},
	{"recovery", "a NULL dereference under a recovery point is reported and comes back",
	 test_recovery},
};

SELFTEST_SUITE(fault_kernel, fault_kernel_tests);
