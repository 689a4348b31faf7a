/*
 * test_user_space_fork.c - suite "user_space_fork": fork's copy-on-write
 * twin of a space (user_space_fork, paging_share_cow) and the write faults
 * that follow it (mm/fault.c), on the host over the simulated RAM arena.
 *
 * Each test builds a parent like exec's image (initrd text, private data,
 * bss, heap, stack), touches it, forks a child and checks: the same
 * frames mapped read-only in both, one owner more per owned frame, the
 * initrd's frames only mapped, AnonPages/Mapped exact, the parent's TLB
 * told; then writes on either side copy (shared) or reuse (last owner),
 * and each side keeps seeing its own bytes.
 * Invariants:
 *   [x] END (host_user_end) requires every frame, table and counter back:
 *       the child is destroyed first, so nothing either side owned leaks;
 *   [x] faults are simulated as the #PF handler makes them (interrupts off).
 * Hosted code: may use libc, but uses only mm/ here.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/selftest.h"
#include "lib/align.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "lib/uapi.h"
#include "mm/arch.h"
#include "mm/buddy.h"
#include "mm/failinject.h"
#include "mm/fault.h"
#include "mm/kernel_space.h"
#include "mm/page.h"
#include "mm/paging.h"
#include "mm/region.h"
#include "mm/user_space.h"
#include "tests/host/uaccess_host.h"

#define RW (PROT_READ | PROT_WRITE)
#define IMAGE 0x400000ull
#define TEXT IMAGE                       /* 2 pages of initrd text */
#define DATA (IMAGE + 2 * PAGE_SIZE)     /* 2 pages of private file data */
#define BSS (IMAGE + 4 * PAGE_SIZE)      /* 2 pages of bss */
#define HEAP (IMAGE + 6 * PAGE_SIZE)     /* the break starts here */
#define STACK_PAGE (USER_STACK_TOP - PAGE_SIZE)

extern uint64_t host_invalidated_pages, host_remote_flushes, host_remote_flush_pages;
extern uint64_t host_current_root;

static struct user_space parent, child;

#define BEGIN() CHECK_OK(host_user_begin(&parent))
#define END()                                 \
	do {                                  \
		user_space_destroy(&child);   \
		return host_user_end(&parent); \
	} while (0)

/* The simulated user accesses of tests/host/uaccess_host.h, by short names. */
#define touch(us, va, access) host_user_touch(us, va, access, NULL)
#define frame_of host_user_frame
#define poke host_user_poke
#define peek host_user_peek

static uint32_t owners(phys_addr_t pa)
{
	return phys_to_page(pa)->refcount;
}

/* The parent exec would build, with text read, data/bss/heap/stack written. */
static const char *build_parent(void)
{
	struct user_file f = {.phys = HOST_INITRD_PHYS, .size = 4 * PAGE_SIZE, .name = "prog"};

	CHECK(user_map_file(&parent, TEXT, 2 * PAGE_SIZE, PROT_READ | PROT_EXEC, &f, 0, "prog") == 0);
	CHECK(user_map_file(&parent, DATA, 2 * PAGE_SIZE, RW, &f, 2 * PAGE_SIZE, "prog") == 0);
	CHECK(user_map_anon(&parent, BSS, 2 * PAGE_SIZE, RW, "bss") == 0);
	CHECK(user_map_stack(&parent, USER_STACK_TOP, USER_STACK_SIZE, USER_STACK_MAX) == 0);
	parent.brk_start = parent.brk = HEAP;
	CHECK(user_brk(&parent, HEAP + 2 * PAGE_SIZE) == HEAP + 2 * PAGE_SIZE);
	CHECK(touch(&parent, TEXT, FAULT_FETCH) == 0);
	CHECK(touch(&parent, DATA + PAGE_SIZE, 0) == 0); /* the file's frame, read-only */
	CHECK_OK(poke(&parent, DATA, 'd'));              /* a private copy */
	CHECK_OK(poke(&parent, BSS, 'b'));
	CHECK_OK(poke(&parent, HEAP + PAGE_SIZE, 'h'));
	CHECK_OK(poke(&parent, STACK_PAGE, 's'));
	return NULL;
}

/* The pages build_parent leaves mapped: owned (private) and initrd ones. */
static const virt_addr_t owned_pages[] = {DATA, BSS, HEAP + PAGE_SIZE, STACK_PAGE};
static const virt_addr_t file_pages[] = {TEXT, DATA + PAGE_SIZE};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *test_fork_shares_read_only(void)
{
	BEGIN();
	CHECK_OK(build_parent());
	parent.as.cpus = CPUMASK_CPU(0) | CPUMASK_CPU(1); /* "active" on another CPU too */
	uint64_t anon = fault_user_anon_pages(), file = fault_user_file_pages();
	uint64_t invalidated = host_invalidated_pages, remote = host_remote_flushes;
	uint64_t remote_pages = host_remote_flush_pages;
	host_current_root = parent.as.pml4; /* the caller's space is in CR3 */
	CHECK(user_space_fork(&child, &parent) == 0);
	host_current_root = 0;
	parent.as.cpus = 0;

	CHECK(child.regions.count == parent.regions.count);
	for (size_t i = 0; i < parent.regions.count; i++)
		CHECKF(memcmp(&child.regions.items[i], &parent.regions.items[i],
			      sizeof(struct region)) == 0, "region %zu differs in the child", i);
	CHECK(child.brk == parent.brk && child.brk_start == parent.brk_start &&
	      child.mmap_top == parent.mmap_top);
	CHECK(user_space_resident(&child) == user_space_resident(&parent));
	CHECK(user_space_resident(&child) == COUNT(owned_pages) + COUNT(file_pages));
	for (size_t i = 0; i < COUNT(owned_pages); i++) {
		unsigned pf = 0, cf = 0;
		phys_addr_t pa = frame_of(&parent, owned_pages[i], &pf);
		CHECKF(pa && frame_of(&child, owned_pages[i], &cf) == pa,
		       "page 0x%lx: not the same frame in the child", owned_pages[i]);
		CHECKF(!(pf & MAP_WRITE) && !(cf & MAP_WRITE) && (cf & MAP_USER),
		       "page 0x%lx: writable after fork (parent %x, child %x)", owned_pages[i], pf, cf);
		CHECKF(owners(pa) == 2, "page 0x%lx: %u owners", owned_pages[i], owners(pa));
	}
	for (size_t i = 0; i < COUNT(file_pages); i++)
		CHECK(frame_of(&child, file_pages[i], NULL) == frame_of(&parent, file_pages[i], NULL) &&
		      frame_of(&child, file_pages[i], NULL) >= HOST_INITRD_PHYS);
	unsigned flags = 0;
	CHECK(frame_of(&child, TEXT, &flags) && (flags & MAP_EXEC));
	CHECKF(fault_user_anon_pages() == anon + COUNT(owned_pages) &&
	       fault_user_file_pages() == file + COUNT(file_pages),
	       "AnonPages %lu (was %lu), Mapped %lu (was %lu)", fault_user_anon_pages(), anon,
	       fault_user_file_pages(), file);
	/* The four write-protected pages: invalidated here and on the other CPU, one batch. */
	CHECK(host_invalidated_pages - invalidated == COUNT(owned_pages));
	CHECK(host_remote_flushes - remote == 1 &&
	      host_remote_flush_pages - remote_pages == COUNT(owned_pages));
	END();
}

/* Writes after fork: the first side copies, the last owner reuses; bytes stay apart. */
static const char *test_write_copies_then_reuses(void)
{
	BEGIN();
	CHECK_OK(build_parent());
	CHECK(user_space_fork(&child, &parent) == 0);
	for (size_t i = 0; i < COUNT(owned_pages); i++) {
		virt_addr_t va = owned_pages[i];
		phys_addr_t shared = frame_of(&parent, va, NULL);
		int before = peek(&parent, va);
		struct fault_stats stats = fault_stats_total();
		CHECK_OK(poke(&parent, va, 'P'));
		CHECKF(frame_of(&parent, va, NULL) != shared, "0x%lx: the parent wrote the shared frame",
		       va);
		CHECK(fault_stats_total().cow_copies == stats.cow_copies + 1);
		CHECK(owners(shared) == 1 && peek(&child, va) == before);
		CHECK_OK(poke(&child, va, 'C'));
		CHECKF(frame_of(&child, va, NULL) == shared, "0x%lx: the last owner copied", va);
		CHECK(fault_stats_total().cow_reuses == stats.cow_reuses + 1);
		CHECK(peek(&parent, va) == 'P' && peek(&child, va) == 'C');
	}
	/* The initrd's frames: a write to the data page copies the file, in either space. */
	CHECK_OK(poke(&child, DATA + PAGE_SIZE, 'c'));
	CHECK(frame_of(&child, DATA + PAGE_SIZE, NULL) != frame_of(&parent, DATA + PAGE_SIZE, NULL));
	CHECK(peek(&parent, DATA + PAGE_SIZE) == host_initrd_byte(3 * PAGE_SIZE));
	CHECK(touch(&child, TEXT, FAULT_WRITE) != 0); /* text stays read-only */
	END();
}

/* A grandchild: three owners; two writes copy, the third reuses. */
static const char *test_three_owners(void)
{
	struct user_space grandchild;

	BEGIN();
	CHECK_OK(build_parent());
	CHECK(user_space_fork(&child, &parent) == 0);
	CHECK(user_space_fork(&grandchild, &child) == 0);
	phys_addr_t shared = frame_of(&parent, BSS, NULL);
	CHECK(owners(shared) == 3 && frame_of(&grandchild, BSS, NULL) == shared);
	CHECK_OK(poke(&child, BSS, 1));
	CHECK(owners(shared) == 2 && frame_of(&child, BSS, NULL) != shared);
	CHECK_OK(poke(&grandchild, BSS, 2));
	CHECK(owners(shared) == 1 && frame_of(&grandchild, BSS, NULL) != shared);
	CHECK_OK(poke(&parent, BSS, 3));
	CHECK(frame_of(&parent, BSS, NULL) == shared);
	CHECK(peek(&parent, BSS) == 3 && peek(&child, BSS) == 1 && peek(&grandchild, BSS) == 2);
	/* The grandchild goes first: the frames it shares with the others lose one owner. */
	phys_addr_t stack = frame_of(&parent, STACK_PAGE, NULL);
	user_space_destroy(&grandchild);
	CHECK(owners(stack) == 2);
	END();
}

/* The parent goes first (an orphan's space outlives it): the child's writes then reuse. */
static const char *test_parent_destroyed_first(void)
{
	BEGIN();
	CHECK_OK(build_parent());
	CHECK(user_space_fork(&child, &parent) == 0);
	phys_addr_t heap = frame_of(&child, HEAP + PAGE_SIZE, NULL);
	user_space_destroy(&parent);
	CHECK(owners(heap) == 1 && peek(&child, HEAP + PAGE_SIZE) == 'h');
	CHECK_OK(poke(&child, HEAP + PAGE_SIZE, 'x'));
	CHECK(frame_of(&child, HEAP + PAGE_SIZE, NULL) == heap);
	CHECK(user_space_create(&parent) == 0); /* END destroys it again */
	host_uaccess_use(&parent.as);
	END();
}

/* The child's space lives on its own: brk, mmap, munmap, stack growth, untouched pages. */
static const char *test_child_space_is_its_own(void)
{
	BEGIN();
	CHECK_OK(build_parent());
	CHECK(user_space_fork(&child, &parent) == 0);
	CHECK(user_brk(&child, HEAP + 5 * PAGE_SIZE) == HEAP + 5 * PAGE_SIZE);
	CHECK(parent.brk == HEAP + 2 * PAGE_SIZE);
	CHECK_OK(poke(&child, HEAP + 4 * PAGE_SIZE, 'n'));
	CHECK(touch(&parent, HEAP + 4 * PAGE_SIZE, FAULT_WRITE) != 0);
	CHECK(peek(&child, BSS + PAGE_SIZE) == 0); /* never touched: demand-zero in the child */
	CHECK(frame_of(&parent, BSS + PAGE_SIZE, NULL) == 0);
	/* Stack growth below the first stack page, in the child only. */
	virt_addr_t low = USER_STACK_TOP - USER_STACK_SIZE - PAGE_SIZE;
	CHECK_OK(poke(&child, low, 'g'));
	CHECK(frame_of(&parent, low, NULL) == 0);
	/* munmap in the child drops its owner only. */
	phys_addr_t bss = frame_of(&parent, BSS, NULL);
	CHECK(user_munmap(&child, BSS, PAGE_SIZE) == 0);
	CHECK(owners(bss) == 1 && peek(&parent, BSS) == 'b');
	const char *why = region_check_invariants(&child.regions);
	CHECKF(!why, "%s", why);
	END();
}

/* mprotect RW of a shared page keeps it read-only: the next write still copies. */
static const char *test_mprotect_keeps_shared_read_only(void)
{
	BEGIN();
	CHECK_OK(build_parent());
	CHECK(user_mprotect(&parent, BSS, 2 * PAGE_SIZE, PROT_READ) == 0);
	CHECK(user_space_fork(&child, &parent) == 0);
	CHECK(user_mprotect(&child, BSS, 2 * PAGE_SIZE, RW) == 0);
	unsigned flags = 0;
	phys_addr_t shared = frame_of(&child, BSS, &flags);
	CHECK(!(flags & MAP_WRITE));
	CHECK(touch(&parent, BSS, FAULT_WRITE) != 0); /* the parent's is PROT_READ */
	CHECK_OK(poke(&child, BSS, 'm'));
	CHECK(frame_of(&child, BSS, NULL) != shared && peek(&parent, BSS) == 'b');
	/* Last owner: mprotect RW makes the parent's page writable at once. */
	CHECK(user_mprotect(&parent, BSS, PAGE_SIZE, RW) == 0);
	CHECK(frame_of(&parent, BSS, &flags) == shared && (flags & MAP_WRITE));
	END();
}

/* No memory at each allocation fork makes: -ENOMEM, the child empty, nothing leaked. */
static const char *test_fork_without_memory(void)
{
	BEGIN();
	CHECK_OK(build_parent());
	uint64_t anon = fault_user_anon_pages(), file = fault_user_file_pages();
	uint64_t free = buddy_free_pages();
	bool done = false;
	for (uint64_t n = 1; !done && n < 64; n++) {
		CHECK(failinject_arm(FAILINJECT_PMM, n) == 0);
		int err = user_space_fork(&child, &parent);
		bool fired = failinject_pending(FAILINJECT_PMM) == 0;
		failinject_off();
		if (!fired) {
			CHECKF(err == 0, "fork failed (%d) with no injected failure", err);
			done = true;
			break;
		}
		CHECKF(err == -ENOMEM, "allocation %lu failed: fork returned %d", n, err);
		CHECK(child.as.pml4 == 0 && child.regions.count == 0);
		CHECKF(fault_user_anon_pages() == anon && fault_user_file_pages() == file &&
		       buddy_free_pages() == free, "allocation %lu failed: something leaked", n);
		for (size_t i = 0; i < COUNT(owned_pages); i++)
			CHECK(owners(frame_of(&parent, owned_pages[i], NULL)) == 1);
		/* The parent's write-protected pages become writable again on a write. */
		CHECK_OK(poke(&parent, STACK_PAGE, (uint8_t)n));
	}
	CHECK(done);
	END();
}

/* ---- paging_share_cow alone (lab 7's fork_share_ptes), and the teardown ---- */

/* What paging_share_cow told its fn: the pages in order; takes no owner. */
#define SHARED_MAX 16
struct shared_log {
	unsigned count;
	virt_addr_t va[SHARED_MAX];
	phys_addr_t pa[SHARED_MAX];
};

static void log_shared(virt_addr_t va, phys_addr_t pa, void *arg)
{
	struct shared_log *log = arg;

	if (log->count < SHARED_MAX) {
		log->va[log->count] = va;
		log->pa[log->count] = pa;
	}
	log->count++;
}

/* Is page va mapped in as (to *pa, with *flags)? */
static bool mapped_in(struct address_space *as, virt_addr_t va, phys_addr_t *pa, unsigned *flags)
{
	struct paging_translation t;

	if (paging_translate(as, va, &t) != 0)
		return false;
	*pa = t.pa & ~(PAGE_SIZE - 1);
	*flags = t.flags;
	return true;
}

/* The user pages build_parent maps, in address order, and which of them it wrote. */
static const virt_addr_t parent_pages[] = {TEXT, DATA, DATA + PAGE_SIZE, BSS, HEAP + PAGE_SIZE,
					    STACK_PAGE};
static const bool parent_written[] = {false, true, false, true, true, true};

/* Every page copied: same frame, same flags, read-only in both, fn once each in order. */
static const char *test_share_copies_entries(void)
{
	struct address_space dst;
	struct shared_log log = {0};
	unsigned before[COUNT(parent_pages)];

	BEGIN();
	CHECK(user_space_create(&child) == 0); /* END destroys it */
	CHECK_OK(build_parent());
	CHECK(paging_create(&dst, &kernel_space) == 0);
	for (size_t i = 0; i < COUNT(parent_pages); i++) {
		phys_addr_t pa;
		CHECK(mapped_in(&parent.as, parent_pages[i], &pa, &before[i]));
		CHECKF(!!(before[i] & MAP_WRITE) == parent_written[i],
		       "page 0x%lx: the test's parent is not as expected", parent_pages[i]);
	}
	uint64_t owners_before = owners(frame_of(&parent, BSS, NULL));
	parent.as.cpus = CPUMASK_CPU(0) | CPUMASK_CPU(1); /* "active" on another CPU too */
	host_current_root = parent.as.pml4;
	uint64_t invalidated = host_invalidated_pages, remote = host_remote_flushes;
	uint64_t remote_pages = host_remote_flush_pages;
	int err = paging_share_cow(&dst, &parent.as, USER_START, USER_TOP, log_shared, &log);
	uint64_t local_pages = host_invalidated_pages - invalidated;
	uint64_t batches = host_remote_flushes - remote, batch_pages = host_remote_flush_pages -
		remote_pages;
	host_current_root = 0;
	parent.as.cpus = 0;
	CHECKF(err == 0, "paging_share_cow returned %d", err);
	CHECKF(log.count == COUNT(parent_pages), "fn was called %u times for the %zu mapped pages",
	       log.count, COUNT(parent_pages));
	for (size_t i = 0; i < COUNT(parent_pages); i++) {
		virt_addr_t va = parent_pages[i];
		phys_addr_t pa, dpa;
		unsigned pflags, dflags;
		CHECKF(log.va[i] == va, "call %zu of fn named 0x%lx, expected 0x%lx (address order)",
		       i, log.va[i], va);
		CHECK(mapped_in(&parent.as, va, &pa, &pflags));
		CHECKF(log.pa[i] == pa, "fn got frame 0x%lx for 0x%lx, the parent maps 0x%lx",
		       log.pa[i], va, pa);
		CHECKF(mapped_in(&dst, va, &dpa, &dflags) && dpa == pa,
		       "page 0x%lx: not mapped to the parent's frame 0x%lx in the child", va, pa);
		CHECKF(!(pflags & MAP_WRITE) && !(dflags & MAP_WRITE),
		       "page 0x%lx: writable after the share (parent %x, child %x)", va, pflags, dflags);
		CHECKF(dflags == pflags && pflags == (before[i] & ~MAP_WRITE),
		       "page 0x%lx: flags %x in the child, %x in the parent, before %x (only the "
		       "write bit may go)", va, dflags, pflags, before[i]);
	}
	CHECKF(owners(frame_of(&parent, BSS, NULL)) == owners_before,
	       "the share took an owner itself (%lu -> %u): that is fn's job", owners_before,
	       owners(frame_of(&parent, BSS, NULL)));
	/* Each of the 4 pages that lost its write bit: invalidated here and, in one batch, on
	 * the other CPU; read-only pages keep their TLB entries. */
	CHECKF(local_pages == 4, "%lu pages invalidated on this CPU, expected the 4 written ones",
	       local_pages);
	CHECKF(batches == 1 && batch_pages == 4,
	       "%lu remote shootdowns naming %lu pages, expected one batch of the 4 written ones",
	       batches, batch_pages);
	/* Tables: the PML4, and a PDPT, PD and PT for the image and for the stack. */
	CHECKF(dst.table_pages == 7, "the child has %lu table pages, expected 7", dst.table_pages);
	paging_destroy(&dst); /* fn took no owner: only the tables go */
	END();
}

/* A part of the space, an empty range, a page mapped twice, no memory for a table. */
static const char *test_share_range_and_errors(void)
{
	struct address_space dst;
	struct shared_log log = {0};
	phys_addr_t pa;
	unsigned flags;

	BEGIN();
	CHECK(user_space_create(&child) == 0); /* END destroys it */
	CHECK_OK(build_parent());
	CHECK(paging_create(&dst, &kernel_space) == 0);
	CHECK(paging_share_cow(&dst, &parent.as, BSS, BSS + 2 * PAGE_SIZE, log_shared, &log) == 0);
	CHECKF(log.count == 1 && log.va[0] == BSS, "sharing [BSS, BSS + 2 pages), one mapped: "
	       "fn called %u times", log.count);
	CHECK(mapped_in(&parent.as, DATA, &pa, &flags) && (flags & MAP_WRITE));
	CHECKF(!mapped_in(&dst, DATA, &pa, &flags) && !mapped_in(&dst, TEXT, &pa, &flags),
	       "a page outside the range was shared");
	CHECKF(dst.table_pages == 4, "%lu tables for one page, expected 4", dst.table_pages);
	/* Nothing mapped in the range: no call, no table made. */
	log.count = 0;
	CHECK(paging_share_cow(&dst, &parent.as, 1ull << 30, 2ull << 30, log_shared, &log) == 0);
	CHECKF(log.count == 0 && dst.table_pages == 4,
	       "an empty range: %u calls, %lu tables (4 before)", log.count, dst.table_pages);
	/* The child maps BSS already. */
	CHECKF(paging_share_cow(&dst, &parent.as, BSS, BSS + PAGE_SIZE, log_shared, &log) ==
	       -EEXIST, "sharing a page the child maps already is not -EEXIST");
	paging_destroy(&dst);

	/* No memory for the stack's tables: the image's pages are shared, the stack's untouched. */
	CHECK(paging_create(&dst, &kernel_space) == 0);
	log.count = 0;
	CHECK(failinject_arm(FAILINJECT_PMM, 4) == 0); /* image: PDPT, PD, PT; the stack's PDPT */
	int err = paging_share_cow(&dst, &parent.as, USER_START, USER_TOP, log_shared, &log);
	failinject_off();
	CHECKF(err == -ENOMEM, "no memory for a table: returned %d, expected -ENOMEM", err);
	CHECKF(log.count == COUNT(parent_pages) - 1,
	       "no memory for the stack's table: fn called %u times, expected %zu (the image's "
	       "pages)", log.count, COUNT(parent_pages) - 1);
	CHECKF(!mapped_in(&dst, STACK_PAGE, &pa, &flags), "the stack page is mapped in the child");
	CHECKF(mapped_in(&parent.as, STACK_PAGE, &pa, &flags) && (flags & MAP_WRITE),
	       "the stack page lost its write bit in the parent, though it was not shared");
	CHECK(dst.table_pages == 4);
	paging_destroy(&dst);
	END();
}

/* Teardown: every page and table of the child in one walk, shared frames only lose an owner. */
static const char *test_destroy_in_one_walk(void)
{
	BEGIN();
	CHECK_OK(build_parent());
	uint64_t free = buddy_free_pages(), anon = fault_user_anon_pages(),
		 file = fault_user_file_pages();
	CHECK(user_space_fork(&child, &parent) == 0);
	CHECK_OK(poke(&child, BSS, 'c'));             /* the child's own copy */
	CHECK_OK(poke(&child, HEAP, 'n'));     /* and a page only it has */
	phys_addr_t mine = frame_of(&child, BSS, NULL), stack = frame_of(&child, STACK_PAGE, NULL);
	uint64_t mapped = user_space_resident(&child);
	uint64_t invalidated = host_invalidated_pages, remote = host_remote_flushes;
	uint64_t n = user_space_destroy(&child);
	CHECKF(n == mapped, "user_space_destroy returned %lu, the child mapped %lu pages", n,
	       mapped);
	CHECK(child.as.pml4 == 0 && child.regions.count == 0 && child.regions.items == NULL);
	CHECKF(owners(stack) == 1, "a frame the parent still maps has %u owners", owners(stack));
	CHECKF(phys_to_page(mine)->refcount == 0, "the child's own frame was not freed");
	CHECKF(fault_user_anon_pages() == anon && fault_user_file_pages() == file,
	       "AnonPages %lu (%lu before the fork), Mapped %lu (%lu)", fault_user_anon_pages(),
	       anon, fault_user_file_pages(), file);
	CHECKF(buddy_free_pages() == free, "%ld pages not given back (frames or tables)",
	       (long)(free - buddy_free_pages()));
	CHECKF(host_invalidated_pages == invalidated && host_remote_flushes - remote <= 1,
	       "a space active on no CPU was torn down with %lu invalidations and %lu shootdowns "
	       "(one walk needs none but the freed tables' one batch)",
	       host_invalidated_pages - invalidated, host_remote_flushes - remote);
	/* The parent is the last owner: its writes reuse. */
	CHECK_OK(poke(&parent, STACK_PAGE, 'p'));
	CHECK(frame_of(&parent, STACK_PAGE, NULL) == stack);
	CHECK(user_space_create(&child) == 0); /* END destroys it again */
	END();
}

static const struct selftest user_space_fork_tests[] = {
	{"fork_shares_read_only", "same frames read-only in both, one owner more, initrd frames "
	 "only mapped, counters exact, one TLB batch", test_fork_shares_read_only},
	{"write_copies_then_reuses", "the first write copies, the last owner's reuses; each side "
	 "keeps its bytes; anon, stack, heap, file data", test_write_copies_then_reuses},
	{"three_owners", "fork of a fork: two copies, then a reuse", test_three_owners},
	{"parent_destroyed_first", "the child outlives the parent: its writes reuse",
	 test_parent_destroyed_first},
	{"child_space_is_its_own", "brk, stack growth, munmap, untouched pages: per space",
	 test_child_space_is_its_own},
	{"mprotect_keeps_shared_read_only", "mprotect RW leaves a shared frame read-only",
	 test_mprotect_keeps_shared_read_only},
	{"fork_without_memory", "each allocation failing in turn: -ENOMEM, nothing leaked",
	 test_fork_without_memory},
	{"share_copies_entries", "paging_share_cow: same frame and flags, read-only in both, fn "
	 "once per page in order, one TLB batch, only tables that get a page", test_share_copies_entries},
	{"share_range_and_errors", "only the range; an empty range makes no table; -EEXIST; "
	 "-ENOMEM for a table: the pages before shared, the rest untouched",
	 test_share_range_and_errors},
	{"destroy_in_one_walk", "teardown: the pages it mapped counted, shared frames lose one "
	 "owner, everything back, no TLB work but one batch", test_destroy_in_one_walk},
};

SELFTEST_SUITE(user_space_fork, user_space_fork_tests);
