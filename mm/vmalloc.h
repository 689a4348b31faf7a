/*
 * vmalloc.h - virtually contiguous, physically scattered kernel memory.
 *
 * The buddy allocator hands out physically contiguous blocks of at most
 * 4 MiB, and large contiguous blocks get scarce as memory fragments.
 * vmalloc builds a large buffer from single frames taken wherever they are
 * and maps them side by side in a window of the kernel's address space
 * (PML4 slots 400-463, docs/memory-layout.md):
 *
 *   VMALLOC_START                                               +32 TiB
 *   | area A (3 pages) |guard| free ... | area B (1 page) |guard| free ...
 *        |   |   |                            |
 *      frame frame frame (anywhere in RAM)  frame
 *
 * Each area is followed by one unmapped guard page, so running off its end
 * faults at once instead of corrupting the next area; a kernel stack
 * (vmalloc_stack) has one below it too, where an overflow lands. The pages are mapped
 * read-write and no-execute, global in the kernel half.
 *
 * Limits: VMALLOC_MAX_AREAS live areas at once (descriptors come from a
 * static pool, because the heap may not exist yet); beyond that vmalloc
 * returns NULL. The free parts of the window never need more than
 * VMALLOC_MAX_AREAS + 1 range records, so vfree never fails for lack of one.
 *
 * Contracts for every function below: process context (boot code, the
 * shell, threads on any CPU), not from interrupt handlers; the window's
 * lists are under one spinlock ("vmalloc"), held only around list work:
 * frames are allocated and mapped, or unmapped and freed, outside it, while
 * the area's part of the window is on neither list. vmalloc_find and
 * vmalloc_is_guard take it too, briefly (the page-fault handler calls them;
 * a fault on a CPU that holds it reads the lists as they are).
 * Lock order: "vmalloc" is a leaf: nothing is taken inside it (the paging
 * and zone locks are taken after it is released). Host-compilable.
 */
#ifndef MM_VMALLOC_H
#define MM_VMALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/compiler.h"
#include "lib/list.h"
#include "mm/layout.h"
#include "mm/paging.h"

#define VMALLOC_MAX_AREAS 1024              /* live areas at once (static descriptor pool) */
#define VMALLOC_GUARD_SIZE PAGE_SIZE        /* unmapped page after each area */

/* vmalloc_area flags. */
#define VMALLOC_STACK (1u << 0) /* a kernel stack: one more guard page BELOW the area */

/* One live allocation. Read-only for everyone but mm/vmalloc.c. */
struct vmalloc_area {
	virt_addr_t start;     /* first byte, page-aligned: what vmalloc returned */
	uint64_t size;         /* mapped bytes (a multiple of PAGE_SIZE), guard excluded */
	uint64_t pages;        /* size / PAGE_SIZE: frames owned */
	void *caller;          /* code address that asked for it (for vmallocinfo) */
	unsigned flags;        /* VMALLOC_STACK or 0 */
	uint64_t lead;         /* guard bytes below start: PAGE_SIZE for a stack, else 0 */
	struct list_node link; /* private: on the address-sorted list of live areas */
};

/*
 * Hand the window [start, start + size) of as to vmalloc as one free range,
 * forgetting any earlier state (boot calls it once with kernel_space,
 * VMALLOC_START and VMALLOC_SIZE; host tests call it before each case with
 * a small window of a test space, after freeing their areas). start and
 * size must be page-aligned, size at least two pages, the window canonical,
 * not wrapping and not crossing the canonical hole; nothing in it may be
 * mapped by anyone else. Returns 0 or -EINVAL (state unchanged).
 */
__must_check int vmalloc_init(struct address_space *as, virt_addr_t start, uint64_t size);

/*
 * Allocate size bytes (rounded up to whole pages) of zeroed memory,
 * virtually contiguous, from single frames of the buddy allocator mapped
 * read-write, no-execute; one unmapped guard page follows. Returns the
 * page-aligned start, or NULL when size is 0 or larger than the window,
 * when vmalloc_init was not called, when no free range is large enough,
 * when all VMALLOC_MAX_AREAS descriptors are in use, or when a frame or a
 * page table cannot be allocated; a NULL leaves nothing behind (no mapping,
 * no frame, no table). The caller is recorded as the code calling vmalloc.
 */
__must_check void *vmalloc(size_t size);

/* vmalloc() recording caller instead (for wrappers that allocate on behalf of others). */
__must_check void *vmalloc_caller(size_t size, void *caller);

/*
 * A kernel stack of size bytes: vmalloc() with an unmapped guard page BELOW
 * the area as well as after it, so a stack that overflows (grows down past
 * its start) faults in the guard instead of running into the neighbour.
 * Returns the area's start (the stack's lowest byte; its top is start +
 * size) or NULL, as vmalloc(); free it with vfree().
 */
__must_check void *vmalloc_stack(size_t size);

/*
 * Unmap and free the area starting at addr (a pointer vmalloc returned):
 * every frame goes back to the buddy allocator, page tables that become
 * empty are freed, and the range with its guard page becomes free again.
 * Returns 0 (also for NULL, which does nothing), or -EINVAL when addr is
 * not the start of a live area (inside an area, a guard page, a double
 * free, any other pointer): then nothing changes and a report naming the
 * caller is printed.
 */
__must_check int vfree(const void *addr);

/*
 * The live area whose [start - lead, start + size + guard) contains addr,
 * guard pages included, or NULL. O(live areas), under the vmalloc lock.
 * Usable from the page-fault handler (interrupts on or off).
 */
const struct vmalloc_area *vmalloc_find(virt_addr_t addr);

/* Is addr inside a guard page (below a stack or after any area) of a live area? */
bool vmalloc_is_guard(virt_addr_t addr);

/*
 * Call fn(area, arg) for each live area, in address order, with the vmalloc
 * lock held (interrupts off): fn must not vmalloc, vfree or sleep.
 */
void vmalloc_for_each_area(void (*fn)(const struct vmalloc_area *a, void *arg), void *arg);

/*
 * Call fn(va, pa, area_flags, arg) for each page mapped by a live area, in
 * address order (memview's picture of memory: which frames are vmalloc's,
 * which are kernel stacks). Each area is found under the vmalloc lock and
 * its pages are then read under the page-table lock, never both at once:
 * an area freed in between shows what was left of it. fn runs with the
 * page-table lock held (interrupts off): it must not allocate, map or
 * sleep. Process context, as vmalloc.
 */
typedef void (*vmalloc_page_fn)(virt_addr_t va, phys_addr_t pa, unsigned area_flags, void *arg);
void vmalloc_for_each_page(vmalloc_page_fn fn, void *arg);

/* Bytes mapped by live areas, guards excluded (meminfo's VmallocUsed). */
uint64_t vmalloc_used_bytes(void);

/* Free ranges of the window, and their total bytes (tests, vmallocinfo). */
size_t vmalloc_free_range_count(void);
uint64_t vmalloc_free_bytes(void);

/*
 * Check vmalloc's bookkeeping (see mm/vmalloc.c's opening comment): NULL or
 * a description of the first violation. Reads the page tables of every live
 * area: O(mapped pages). Without the vmalloc lock (the page-table reads take
 * kernel_space's): exact only while no CPU vmallocs or vfrees. For tests.
 */
const char *vmalloc_check_invariants(void);

#endif
