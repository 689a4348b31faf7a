/*
 * test_fault.c - kernel-only checks of page faults taken for real (suite
 * `fault`): the CPU raises #PF, the handler resolves it, the instruction
 * runs again. Demand-zero maps exactly the touched pages; a COW pair of
 * address spaces shares frames until a write, which copies only that page
 * while the other side keeps reading the old bytes, and reference counts
 * and free memory return to their start when both sides are gone; a stack
 * region grows on touches below it; the stack the tests run on has its
 * guard page; a violation under a recovery point comes back to it.
 * Faults nest: a fault taken inside the #PF handler (through its test hook)
 * gets a frame of its own below the first one's on the same stack, and both
 * resolve; a violation inside a fault aborts only to a point pushed inside
 * the handler; a runaway recursive fault is stopped at PAGE_FAULT_NEST_MAX;
 * a stack overflow arrives as #DF and is aborted to the point on that stack.
 * A fault handler that sleeps while another thread faults keeps its depth,
 * frame and record: both are depth 1 and each names its own page.
 * (tests/host/test_fault.c covers the decisions in detail over simulated
 * faults.)
 */
#include "kernel/arch/x86_64/page_fault.h"
#include "kernel/arch/x86_64/trap.h"
#include "kernel/recovery.h"
#include "kernel/sched/schedule.h"
#include "kernel/sched/thread.h"
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
	uint64_t faults = fault_stats_total().demand_zero;
	at(va + 1 * PAGE_SIZE)[7] = 1;
	at(va + 5 * PAGE_SIZE)[0] = 2;
	CHECK(at(va + 9 * PAGE_SIZE)[4000] == 0); /* a read faults a zeroed page in too */
	CHECKF(fault_stats_total().demand_zero == faults + 3, "%lu demand-zero faults, expected 3",
	       fault_stats_total().demand_zero - faults);
	CHECK(anon_resident_pages(&kernel_space, va, va + 16 * PAGE_SIZE) == 3);
	CHECK(frame_of(&kernel_space, va + 5 * PAGE_SIZE) && !frame_of(&kernel_space, va) &&
	      !frame_of(&kernel_space, va + 4 * PAGE_SIZE));
	CHECK(at(va + PAGE_SIZE)[7] == 1 && at(va + 5 * PAGE_SIZE)[0] == 2);
	CHECK(fault_stats_total().demand_zero == faults + 3); /* mapped now: no more faults */
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

	uint64_t copies = fault_stats_total().cow_copies, faults = fault_stats_total().faults;
	address_space_switch(&b);
	bool reads_ok = at(va + 2 * PAGE_SIZE)[10] == 'C'; /* a read: no fault */
	uint64_t faults_after_read = fault_stats_total().faults; /* a call: not moved past the store */
	at(va + 2 * PAGE_SIZE)[10] = 'z';                  /* a write: one COW copy */
	bool wrote = at(va + 2 * PAGE_SIZE)[10] == 'z' && at(va + 2 * PAGE_SIZE)[11] == 'C';
	address_space_switch(&a);
	bool other_side_old = at(va + 2 * PAGE_SIZE)[10] == 'C';
	address_space_switch(&kernel_space);

	CHECK(reads_ok && faults_after_read == faults);
	CHECKF(wrote && fault_stats_total().cow_copies == copies + 1, "COW copies %lu",
	       fault_stats_total().cow_copies - copies);
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
	uint64_t growths = fault_stats_total().stack_growths;
	at(top - 1)[0] = 1;                  /* inside the region: demand-zero */
	at(top - 3 * PAGE_SIZE)[0] = 3;      /* two pages below it: growth */
	const struct region *r = region_find(kernel_space.regions, top - 3 * PAGE_SIZE);
	CHECK(r && r->kind == REGION_STACK && r->start == top - 3 * PAGE_SIZE);
	CHECK(fault_stats_total().stack_growths == growths + 1);
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
	faults_before = fault_count_total();
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

/* ---- faults inside faults ------------------------------------------------------------ */

/* What the nesting hooks saw; reset by each test. */
static struct {
	virt_addr_t outer, inner;            /* the outer fault's page, the one touched inside */
	const struct trap_frame *outer_frame, *inner_frame;
	struct trap_frame outer_copy;        /* the outer frame before the inner fault */
	unsigned inner_depth;
	bool intact;                         /* outer frame unchanged after the inner fault */
	volatile int reached;
	struct recovery_point rp;            /* pushed inside the handler */
	unsigned depth_after_abort;
} nest;

/* Outer fault on nest.outer: touch nest.inner (a second lazy page) inside its handler. */
static void hook_touch_second_page(struct trap_frame *frame, uint64_t address, unsigned depth)
{
	if (address - nest.outer < PAGE_SIZE && depth == 1) {
		nest.outer_frame = frame;
		nest.outer_copy = *frame;
		at(nest.inner)[0] = 0x5a; /* a fault inside this fault */
		nest.intact = memcmp(frame, &nest.outer_copy, sizeof(*frame)) == 0;
	} else if (address - nest.inner < PAGE_SIZE) {
		nest.inner_frame = frame;
		nest.inner_depth = depth;
	}
}

/*
 * Regression: #PF ran on an IST stack, which the CPU starts at its top for
 * every #PF, so a fault inside the handler would have pushed its frame over
 * the outer one (the handler halted instead). Now the inner frame sits below
 * the outer one on the same stack and both faults resolve.
 */
static const char *test_nested_fault_keeps_outer_frame(void)
{
	const struct kernel_stack *stack = kernel_stack_find((uint64_t)(uintptr_t)&stack, 1);
	virt_addr_t va = anon_create(&kernel_space, ANON_WINDOW_START, ANON_WINDOW_SIZE,
				     2 * PAGE_SIZE, "selftest-nest");
	CHECK(va && stack);
	memset(&nest, 0, sizeof(nest));
	nest.outer = va;
	nest.inner = va + PAGE_SIZE;
	uint64_t faults = fault_stats_total().demand_zero;
	page_fault_set_test_hook(hook_touch_second_page);
	at(va)[7] = 0xa5; /* the outer fault */
	page_fault_set_test_hook(NULL);

	bool values = at(va)[7] == 0xa5 && at(va + PAGE_SIZE)[0] == 0x5a;
	uint64_t resolved = fault_stats_total().demand_zero - faults;
	uint64_t outer = (uint64_t)(uintptr_t)nest.outer_frame;
	uint64_t inner = (uint64_t)(uintptr_t)nest.inner_frame;
	CHECK(anon_release(&kernel_space, va, va + 2 * PAGE_SIZE) == 0);
	CHECKF(nest.outer_frame && nest.inner_frame && nest.inner_depth == 2,
	       "the hook saw outer frame %p, inner frame %p at depth %u", nest.outer_frame,
	       nest.inner_frame, nest.inner_depth);
	CHECKF(inner + sizeof(struct trap_frame) <= outer,
	       "the inner frame (0x%lx) is not below the outer one (0x%lx): same stack slot?", inner,
	       outer);
	CHECKF(outer >= stack->bottom && outer < stack->top && inner >= stack->bottom,
	       "the #PF frames (0x%lx, 0x%lx) are not on the interrupted stack \"%s\" (0x%lx-0x%lx)",
	       outer, inner, stack->name, stack->bottom, stack->top);
	CHECK(nest.intact);
	CHECKF(values && resolved == 2, "values %s, %lu demand-zero faults (expected 2)",
	       values ? "right" : "wrong", resolved);
	CHECKF(page_fault_depth() == 0, "page-fault depth %u after both returned", page_fault_depth());
	return NULL;
}

/* Outer fault: under a point pushed here, a NULL dereference (a violation inside a fault). */
static void hook_violation_inside(struct trap_frame *frame, uint64_t address, unsigned depth)
{
	(void)frame;
	if (address - nest.outer >= PAGE_SIZE || depth != 1)
		return;
	if (recovery_save(&nest.rp) == 0) {
		recovery_push(&nest.rp, "selftest fault inside a fault");
		nest.reached = 1;
		(void)at(8)[0]; /* NULL + 8, at depth 2 */
		nest.reached = 2;
		recovery_pop(&nest.rp);
	}
	nest.depth_after_abort = page_fault_depth();
}

static const char *test_violation_inside_fault(void)
{
	virt_addr_t va = anon_create(&kernel_space, ANON_WINDOW_START, ANON_WINDOW_SIZE, PAGE_SIZE,
				     "selftest-nest");
	CHECK(va);
	memset(&nest, 0, sizeof(nest));
	nest.outer = va;
	selftest_capture_begin();
	page_fault_set_test_hook(hook_violation_inside);
	at(va)[0] = 0x77; /* resolves after the inner violation was aborted */
	page_fault_set_test_hook(NULL);
	const char *out = selftest_capture_end();
	bool stored = at(va)[0] == 0x77;
	CHECK(anon_release(&kernel_space, va, va + PAGE_SIZE) == 0);
	CHECKF(nest.reached == 1 && nest.rp.aborts == 1 && nest.rp.fault_vector == VEC_PAGE_FAULT,
	       "reached %d, aborts %lu, vector %lu", nest.reached, nest.rp.aborts,
	       nest.rp.fault_vector);
	CHECKF(nest.depth_after_abort == 1, "depth %u after the abort inside the handler, expected 1",
	       nest.depth_after_abort);
	CHECKF(strstr(out, "NULL dereference") && strstr(out, "aborted"), "report: %.200s", out);
	CHECK(stored);
	CHECK(page_fault_depth() == 0);
	return NULL;
}

/* Every fault in the region touches the next page inside its handler: a runaway. */
static void hook_runaway(struct trap_frame *frame, uint64_t address, unsigned depth)
{
	(void)frame;
	(void)depth;
	if (address >= nest.outer && address < nest.inner)
		at(address + PAGE_SIZE)[0] = 1;
}

static const char *test_runaway_nested_fault(void)
{
	static struct recovery_point rp;
	const uint64_t pages = PAGE_FAULT_NEST_MAX + 2;
	virt_addr_t va = anon_create(&kernel_space, ANON_WINDOW_START, ANON_WINDOW_SIZE,
				     pages * PAGE_SIZE, "selftest-runaway");
	CHECK(va);
	memset(&nest, 0, sizeof(nest));
	nest.outer = va;
	nest.inner = va + pages * PAGE_SIZE;
	selftest_capture_begin();
	page_fault_set_test_hook(hook_runaway);
	if (recovery_save(&rp) == 0) {
		recovery_push(&rp, "selftest runaway fault");
		at(va)[0] = 1;
		recovery_pop(&rp);
	}
	page_fault_set_test_hook(NULL);
	const char *out = selftest_capture_end();
	uint64_t resident = anon_resident_pages(&kernel_space, va, nest.inner);
	unsigned depth = page_fault_depth();
	at(va)[0] = 2; /* an ordinary fault works again */
	bool again = at(va)[0] == 2;
	CHECK(anon_release(&kernel_space, va, nest.inner) == 0);
	char says[96];
	ksnprintf(says, sizeof(says), "nested %u deep in page-fault handlers: a runaway",
		  PAGE_FAULT_NEST_MAX + 1);
	CHECKF(rp.aborts == 1 && strstr(out, says) && strstr(out, "aborted"),
	       "aborts %lu, report: %.300s", rp.aborts, out);
	CHECKF(resident == 0 && depth == 0, "%lu pages resident, depth %u after the abort", resident,
	       depth);
	CHECK(again);
	return NULL;
}

/* ---- a fault that sleeps while another thread faults ---------------------------------- */

#define SLEEPER_WAIT_TICKS 500 /* bound on every wait below: a broken run fails, not hangs */

/* What the two faulting threads saw; reset by the test. */
static struct {
	virt_addr_t page_a, page_b;          /* A faults on the first, B on the second */
	struct thread *a, *b;
	const struct trap_frame *a_frame;
	struct trap_frame a_copy;            /* A's frame when its handler went to sleep */
	unsigned a_depth, b_depth;           /* the depth each one's hook saw */
	unsigned a_depth_after_sleep;        /* A's depth when its handler woke */
	unsigned a_depth_after, b_depth_after; /* each one's depth after its fault returned */
	bool a_intact;                       /* A's frame unchanged across its sleep */
	bool a_has_record, b_has_record;
	struct fault a_record, b_record;     /* page_fault_last on each thread, at the end */
	volatile bool a_sleeping, b_done, a_done;
	uint64_t faults_before;
} sleeper;

static void wait_for(volatile bool *flag)
{
	for (unsigned i = 0; !*flag && i < SLEEPER_WAIT_TICKS; i++)
		thread_sleep_ticks(1);
}

/* A's handler sleeps until B has faulted and resolved; B's just notes its depth. */
static void hook_sleep_in_fault(struct trap_frame *frame, uint64_t address, unsigned depth)
{
	if (address - sleeper.page_a < PAGE_SIZE && thread_current() == sleeper.a) {
		sleeper.a_frame = frame;
		sleeper.a_copy = *frame;
		sleeper.a_depth = depth;
		sleeper.a_sleeping = true;
		wait_for(&sleeper.b_done); /* interrupts off here: schedule() switches anyway */
		sleeper.a_depth_after_sleep = page_fault_depth();
		sleeper.a_intact = memcmp(frame, &sleeper.a_copy, sizeof(*frame)) == 0;
	} else if (address - sleeper.page_b < PAGE_SIZE && thread_current() == sleeper.b) {
		sleeper.b_depth = depth;
	}
}

static void sleeper_a(void *arg __unused)
{
	at(sleeper.page_a)[3] = 0xaa; /* the fault whose handler sleeps */
	sleeper.a_depth_after = page_fault_depth();
	sleeper.a_has_record = page_fault_last(sleeper.faults_before, &sleeper.a_record);
	sleeper.a_done = true;
}

static void sleeper_b(void *arg __unused)
{
	at(sleeper.page_b)[5] = 0xbb; /* faults while A's handler sleeps */
	sleeper.b_depth_after = page_fault_depth();
	sleeper.b_done = true;
	wait_for(&sleeper.a_done); /* A's fault ends after ours: our record must stay ours */
	sleeper.b_has_record = page_fault_last(sleeper.faults_before, &sleeper.b_record);
}

/*
 * Regression: the page-fault nesting depth and the last-fault record were
 * one per CPU, so a second thread faulting while the first one's handler
 * slept saw itself nested at depth 2 and overwrote the "last fault" the
 * first one reads afterwards. Now each thread has its own: both faults are
 * depth 1, both resolve, each record names its own page.
 */
static const char *test_fault_sleeps_while_another_faults(void)
{
	virt_addr_t va = anon_create(&kernel_space, ANON_WINDOW_START, ANON_WINDOW_SIZE,
				     2 * PAGE_SIZE, "selftest-sleeper");
	CHECK(va);
	memset(&sleeper, 0, sizeof(sleeper));
	sleeper.page_a = va;
	sleeper.page_b = va + PAGE_SIZE;
	sleeper.faults_before = fault_count_total();
	page_fault_set_test_hook(hook_sleep_in_fault);
	/* On this CPU (below our priority): each runs only once its pointer is stored. */
	sleeper.a = thread_create_on(sleeper_a, NULL, "fault-sleeper", 0, CPUMASK_CPU(arch_cpu_id()));
	if (sleeper.a)
		wait_for(&sleeper.a_sleeping);
	sleeper.b = sleeper.a ? thread_create_on(sleeper_b, NULL, "fault-meanwhile", 0,
						 CPUMASK_CPU(arch_cpu_id())) : NULL;
	int joined_a = sleeper.a ? thread_join(sleeper.a) : -1; /* B must finish for A to */
	int joined_b = sleeper.b ? thread_join(sleeper.b) : -1;
	page_fault_set_test_hook(NULL);

	uint64_t resident = anon_resident_pages(&kernel_space, va, va + 2 * PAGE_SIZE);
	bool values = at(va)[3] == 0xaa && at(va + PAGE_SIZE)[5] == 0xbb;
	CHECK(anon_release(&kernel_space, va, va + 2 * PAGE_SIZE) == 0);
	CHECK(joined_a == 0 && joined_b == 0);
	CHECKF(sleeper.a_sleeping && sleeper.b_done && sleeper.a_done,
	       "A slept in its fault %d, B done %d, A done %d", sleeper.a_sleeping, sleeper.b_done,
	       sleeper.a_done);
	CHECKF(sleeper.a_depth == 1 && sleeper.b_depth == 1 && sleeper.a_depth_after_sleep == 1,
	       "depths: A %u, B %u (while A's handler slept), A %u after its sleep; expected 1 each",
	       sleeper.a_depth, sleeper.b_depth, sleeper.a_depth_after_sleep);
	CHECK(sleeper.a_intact);
	CHECKF(resident == 2 && values, "%lu pages resident (expected 2), values %s", resident,
	       values ? "right" : "wrong");
	CHECKF(sleeper.a_has_record && sleeper.b_has_record &&
	       sleeper.a_record.address - sleeper.page_a < PAGE_SIZE &&
	       sleeper.b_record.address - sleeper.page_b < PAGE_SIZE &&
	       sleeper.a_record.outcome == FAULT_DEMAND_ZERO &&
	       sleeper.b_record.outcome == FAULT_DEMAND_ZERO,
	       "records: A %d at 0x%lx, B %d at 0x%lx (pages 0x%lx, 0x%lx)", sleeper.a_has_record,
	       sleeper.a_record.address, sleeper.b_has_record, sleeper.b_record.address,
	       sleeper.page_a, sleeper.page_b);
	CHECKF(sleeper.a_depth_after == 0 && sleeper.b_depth_after == 0 && page_fault_depth() == 0,
	       "depths after the faults returned: A %u, B %u, here %u", sleeper.a_depth_after,
	       sleeper.b_depth_after, page_fault_depth());
	return NULL;
}

/* ---- a stack overflow arrives as #DF --------------------------------------------------- */

static struct recovery_point overflow_rp;
/* Runs on the small test stack: its recovery point lives there too. */
static void overflow_small_stack(void)
{
	if (recovery_save(&overflow_rp) == 0) {
		recovery_push(&overflow_rp, "selftest stack overflow");
		kernel_stack_overflow();
		recovery_pop(&overflow_rp);
	}
}

/* Call fn on the stack whose top is top (16-byte aligned) and come back. */
static void call_on_stack(uint64_t top, void (*fn)(void))
{
	__asm__ volatile("mov %%rsp, %%rbx\n\t"
			 "mov %[top], %%rsp\n\t"
			 "call *%[fn]\n\t"
			 "mov %%rbx, %%rsp"
			 :
			 : [top] "r"(top), [fn] "r"(fn)
			 : "rbx", "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory",
			   "cc");
}

static const char *test_double_fault_stack_overflow(void)
{
	uint64_t vmalloc_before = vmalloc_used_bytes();
	const struct kernel_stack *s = kernel_stack_create(2 * PAGE_SIZE, "selftest-overflow");
	CHECK(s);
	uint64_t guard_hits = fault_stats_total().guard_hits;
	memset(&overflow_rp, 0, sizeof(overflow_rp));
	selftest_capture_begin();
	call_on_stack(s->top, overflow_small_stack);
	const char *out = selftest_capture_end();
	uint64_t guard = s->bottom - PAGE_SIZE;
	CHECK(kernel_stack_destroy(s) == 0);
	CHECKF(vmalloc_used_bytes() == vmalloc_before, "VmallocUsed %lu before, %lu after",
	       vmalloc_before, vmalloc_used_bytes());
	CHECKF(overflow_rp.aborts == 1 && overflow_rp.fault_vector == VEC_DOUBLE_FAULT,
	       "aborts %lu, vector %lu (expected one abort from #DF)", overflow_rp.aborts,
	       overflow_rp.fault_vector);
	char says[96];
	ksnprintf(says, sizeof(says), "kernel stack overflow: guard page 0x%lx below kernel stack",
		  guard);
	CHECKF(strstr(out, says) && strstr(out, "#DF Double Fault") && strstr(out, "aborted"),
	       "report: %.400s", out);
	CHECK(fault_stats_total().guard_hits == guard_hits + 1);
	CHECK(page_fault_depth() == 0);
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
	{"nested_fault_keeps_outer_frame",
	 "a fault inside the #PF handler: its frame below the outer one, both resolve",
	 test_nested_fault_keeps_outer_frame},
	{"violation_inside_fault", "a violation inside a fault aborts to a point in the handler",
	 test_violation_inside_fault},
	{"runaway_nested_fault", "faults nested deeper than PAGE_FAULT_NEST_MAX are stopped",
	 test_runaway_nested_fault},
	{"fault_sleeps_while_another_faults",
	 "a fault handler sleeps while another thread faults: each keeps depth 1 and its record",
	 test_fault_sleeps_while_another_faults},
	{"double_fault_stack_overflow",
	 "an overflow arrives as #DF and aborts to the point on that stack",
	 test_double_fault_stack_overflow},
};

SELFTEST_SUITE(fault_kernel, fault_kernel_tests);
