/*
 * test_kernel_space.c - kernel-only checks of the kernel address space
 * (suite `kernel_space`): W^X, sections mapped as promised, an empty user
 * half, and the engine agreeing with the CPU; the current space is each
 * thread's own. Leaves everything as found.
 */
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/commands/shell_allocs.h"
#include "kernel/sched/schedule.h"
#include "kernel/sched/thread.h"
#include "kernel/selftest.h"
#include "lib/align.h"
#include "lib/string.h"
#include "mm/buddy.h"
#include "mm/kernel_space.h"
#include "mm/paging.h"

extern char _text_start[], _rodata_start[], _rodata_end[], _data_start[];

struct wx_state {
	virt_addr_t bad;
	uint64_t ranges;
};

static bool check_wx(virt_addr_t start, virt_addr_t end, phys_addr_t pa, uint64_t page_size,
		     unsigned flags, void *arg)
{
	struct wx_state *st = arg;

	(void)end, (void)pa, (void)page_size;
	st->ranges++;
	if ((flags & MAP_WRITE) && (flags & MAP_EXEC)) {
		st->bad = start;
		return false;
	}
	return true;
}

static const char *test_write_xor_execute(void)
{
	struct wx_state st = {0, 0};

	paging_for_each_range(&kernel_space, KERNEL_HALF_START, 0, check_wx, &st);
	CHECKF(st.bad == 0, "0x%lx is mapped writable and executable", st.bad);
	CHECKF(st.ranges >= 3, "only %lu kernel ranges found", st.ranges);
	return NULL;
}

/* What the walk of the user half found: ranges the shell's `map` did not make. */
struct user_half_state {
	uint64_t foreign, unknown; /* ranges not the shell's; ranges it cannot vouch for */
	virt_addr_t first;         /* the first foreign or unknown range */
};

static bool check_user_range(virt_addr_t start, virt_addr_t end, phys_addr_t pa,
			     uint64_t page_size, unsigned flags, void *arg)
{
	struct user_half_state *st = arg;
	int shell = shell_mapped_user_range(start, end);

	(void)pa, (void)page_size, (void)flags;
	if (shell == 1)
		return true; /* the user's own experiment, not the kernel's doing */
	if (st->foreign + st->unknown == 0)
		st->first = start;
	if (shell == 0)
		st->foreign++;
	else
		st->unknown++;
	return true;
}

/*
 * Nothing the kernel made is mapped in the user half. Regression: this
 * failed whenever the user had mapped something there with `map`; ranges
 * the shell mapped are told apart and skipped.
 */
static const char *test_user_half_empty(void)
{
	struct user_half_state st = {0, 0, 0};

	paging_for_each_range(&kernel_space, 0, USER_HALF_END, check_user_range, &st);
	CHECKF(st.foreign == 0, "%lu mapped range(s) in the user half of the kernel's space that "
	       "the shell did not map, the first at 0x%lx", st.foreign, st.first);
	CHECKF(st.unknown == 0, "cannot check: the shell has made too many user-half mappings to "
	       "tell them from the kernel's (0x%lx ...); reboot to run this test", st.first);
	return NULL;
}

static const char *test_sections(void)
{
	struct paging_translation t;

	CHECK(paging_translate(&kernel_space, (virt_addr_t)(uintptr_t)_text_start, &t) == 0);
	CHECKF((t.flags & MAP_EXEC) && !(t.flags & MAP_WRITE), "text flags 0x%x", t.flags);
	CHECK(paging_translate(&kernel_space, (virt_addr_t)(uintptr_t)_rodata_start, &t) == 0);
	CHECKF(!(t.flags & (MAP_EXEC | MAP_WRITE)), "rodata flags 0x%x", t.flags);
	CHECK(paging_translate(&kernel_space, (virt_addr_t)(uintptr_t)_data_start, &t) == 0);
	CHECKF((t.flags & MAP_WRITE) && !(t.flags & MAP_EXEC), "data flags 0x%x", t.flags);
	CHECKF(t.pa == kernel_image_to_phys(_data_start), "data at 0x%lx, expected 0x%lx", t.pa,
	       kernel_image_to_phys(_data_start));
	CHECK(paging_translate(&kernel_space, DIRECT_MAP_BASE + 0x100000, &t) == 0);
	CHECKF(t.pa == 0x100000 && (t.flags & MAP_WRITE) && !(t.flags & MAP_EXEC),
	       "direct map: pa 0x%lx flags 0x%x", t.pa, t.flags);
	CHECK(read_cr3() == kernel_space.pml4);
	return NULL;
}

/*
 * Regression for "`map VA SIZE PA` can alias anything": the direct map kept
 * the kernel text writable at DIRECT_MAP_BASE + its physical address, so W^X
 * held per mapping but not per frame. Every page of text and rodata must be
 * read-only and no-execute there, and the split must stop at rodata's end.
 */
static const char *test_direct_map_alias_of_text_read_only(void)
{
	phys_addr_t start = kernel_image_to_phys(_text_start);
	phys_addr_t end = ALIGN_UP(kernel_image_to_phys(_rodata_end), PAGE_SIZE);
	struct paging_translation t;

	for (phys_addr_t pa = start; pa < end; pa += PAGE_SIZE) {
		CHECK(paging_translate(&kernel_space, DIRECT_MAP_BASE + pa, &t) == 0);
		CHECKF(t.pa == pa && !(t.flags & (MAP_WRITE | MAP_EXEC)),
		       "direct-map alias of 0x%lx: pa 0x%lx flags 0x%x", pa, t.pa, t.flags);
	}
	CHECK(paging_translate(&kernel_space, DIRECT_MAP_BASE + end, &t) == 0);
	CHECKF((t.flags & MAP_WRITE) && !(t.flags & MAP_EXEC),
	       "the direct map after rodata (0x%lx): flags 0x%x", end, t.flags);
	return NULL;
}

static const char *test_address_space_lifecycle(void)
{
	struct address_space as;
	uint64_t free_before = buddy_free_pages();

	CHECK(paging_create(&as, &kernel_space) == 0);
	struct page *frame = alloc_page(ALLOC_ZERO);
	CHECK(frame != NULL);
	CHECK(paging_map(&as, 0x400000, page_to_phys(frame), PAGE_SIZE, MAP_WRITE | MAP_USER) == 0);
	struct paging_translation t;
	CHECK(paging_translate(&as, 0x400000, &t) == 0 && t.pa == page_to_phys(frame));
	/* The kernel half is shared: the kernel text translates the same. */
	CHECK(paging_translate(&as, (virt_addr_t)(uintptr_t)_text_start, &t) == 0);
	CHECK(t.pa == kernel_image_to_phys(_text_start));
	paging_destroy(&as);
	CHECK(free_page(frame) == 0);
	CHECKF(buddy_free_pages() == free_before, "free pages %lu -> %lu: tables leaked",
	       free_before, buddy_free_pages());
	return NULL;
}

/*
 * A new space with one page holding value at 0x400000 (a supervisor page
 * in the user half: the kernel may read it, even with SMAP). Returns the
 * page, or NULL with nothing kept.
 */
static struct page *probe_space_create(struct address_space *as, uint64_t value)
{
	if (paging_create(as, &kernel_space) != 0)
		return NULL;
	struct page *frame = alloc_page(ALLOC_ZERO);
	if (frame && paging_map(as, 0x400000, page_to_phys(frame), PAGE_SIZE, 0) == 0) {
		*(volatile uint64_t *)page_address(frame) = value;
		return frame;
	}
	if (frame)
		MUST_SUCCEED(free_page(frame), "probe_space_create: freeing the page just allocated");
	paging_destroy(as);
	return NULL;
}

static const char *test_switch(void)
{
	struct address_space as;
	struct address_space *before = current_space();
	uint64_t free_before = buddy_free_pages();

	struct page *frame = probe_space_create(&as, 0x5a5a1234abcdull);
	CHECK(frame != NULL);
	address_space_switch(&as);
	uint64_t seen = *(volatile uint64_t *)0x400000;
	uint64_t cr3 = read_cr3();
	phys_addr_t root = as.pml4;
	uint16_t pcid = as.pcid;
	address_space_switch(before);
	paging_destroy(&as);
	CHECK(free_page(frame) == 0);
	CHECKF(seen == 0x5a5a1234abcdull, "read 0x%lx through the new space", seen);
	CHECKF((cr3 & PTE_ADDR_MASK) == root, "CR3 0x%lx while switched to 0x%lx", cr3, root);
	if (address_space_pcid_enabled())
		CHECKF((cr3 & 0xfff) == pcid && pcid != 0, "PCID %lu, expected %u", cr3 & 0xfff,
		       pcid);
	CHECK(read_cr3() == before->pml4 + (address_space_pcid_enabled() ? before->pcid : 0));
	CHECKF(buddy_free_pages() == free_before, "free pages %lu -> %lu", free_before,
	       buddy_free_pages());
	return NULL;
}

/* What a kernel thread saw while the thread that created it was in another space. */
static struct {
	struct address_space *space;
	uint64_t root;
} seen_by_thread;

static void note_space(void *arg __unused)
{
	seen_by_thread.space = current_space();
	seen_by_thread.root = read_cr3() & PTE_ADDR_MASK;
}

/*
 * Regression: the current address space was one per kernel, so a kernel
 * thread that ran while the shell's thread had switched to another space
 * ran on that space's CR3 (and would resolve its faults against it), and
 * the shell came back to whatever the last switch left. Now the space is
 * the thread's: CR3 follows it at each context switch.
 */
static const char *test_space_follows_thread(void)
{
	struct address_space as;
	struct address_space *before = current_space();
	uint64_t free_before = buddy_free_pages();

	struct page *frame = probe_space_create(&as, 0x7e57ab1e);
	CHECK(frame != NULL);
	memset(&seen_by_thread, 0, sizeof(seen_by_thread));
	address_space_switch(&as);
	struct thread *t = thread_create(note_space, NULL, "space-probe", 0);
	int joined = t ? thread_join(t) : -1; /* t runs while this thread waits */
	struct address_space *after = current_space();
	uint64_t root_after = read_cr3() & PTE_ADDR_MASK;
	uint64_t value = *(volatile uint64_t *)0x400000; /* still mapped: CR3 came back */
	phys_addr_t root = as.pml4;
	address_space_switch(before);
	paging_destroy(&as);
	CHECK(free_page(frame) == 0);
	CHECK(t && joined == 0);
	CHECKF(seen_by_thread.space == &kernel_space && seen_by_thread.root == kernel_space.pml4,
	       "the kernel thread ran in space %p, CR3 0x%lx (kernel space %p, 0x%lx)",
	       seen_by_thread.space, seen_by_thread.root, &kernel_space, kernel_space.pml4);
	CHECKF(after == &as && root_after == root && value == 0x7e57ab1e,
	       "back in space %p (expected %p), CR3 0x%lx (expected 0x%lx), read 0x%lx", after,
	       &as, root_after, root, value);
	CHECKF(buddy_free_pages() == free_before, "free pages %lu -> %lu", free_before,
	       buddy_free_pages());
	return NULL;
}

static const struct selftest kernel_space_tests[] = {
	{"switch", "switching CR3 to a new space (with a PCID when the CPU has them) and back",
	 test_switch},
	{"space_follows_thread", "a kernel thread runs in the kernel space while its creator is "
	 "switched to another; CR3 comes back with the creator", test_space_follows_thread},
	{"write_xor_execute", "no kernel page is both writable and executable",
	 test_write_xor_execute},
	{"user_half_empty", "nothing but the shell's own `map`s lies below 0x800000000000 in the "
	 "kernel's space",
	 test_user_half_empty},
	{"sections", "text r-x, rodata r--, data rw-, direct map rw-, CR3 = kernel space",
	 test_sections},
	{"lifecycle", "a new space shares the kernel half; destroying it frees every table",
	 test_address_space_lifecycle},
	{"direct_map_alias_of_text_read_only", "the direct map's alias of the kernel text and "
	 "rodata is read-only and no-execute; data after it stays writable",
	 test_direct_map_alias_of_text_read_only},
};

SELFTEST_SUITE(kernel_space, kernel_space_tests);
