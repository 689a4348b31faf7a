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
};

SELFTEST_SUITE(user_space_fork, user_space_fork_tests);
