/*
 * fault.c - deciding and resolving page faults (see fault.h).
 *
 * The decision, in the order fault_handle() asks:
 *   1. reserved bit set in an entry          -> violation (corrupt tables)
 *   2. a region contains the address:
 *        guard region                        -> guard hit
 *        vmalloc window                      -> ask vmalloc (step 3)
 *        access the region's prot forbids    -> violation (write/exec/user)
 *        page not present, anon/stack/COW/granted -> demand-zero
 *        shared region: page not present     -> violation (revoked or unmapped
 *                                               shared page); a write to a
 *                                               read-only page: violation, never COW
 *        pager region: page not present      -> FAULT_PAGER (-EAGAIN): the pager's;
 *                                               present: as shared
 *        file region: read/fetch of a page whole inside the file, not present
 *                                            -> map the file's frame read-only
 *        file region: write, or a page the file's end cuts or past it
 *                                            -> private copy, tail zero
 *        write to a present read-only page of a COW region, or of a
 *        writable anon/stack region of the user half (shared by fork)
 *                                            -> COW copy, or reuse if sole owner
 *        write to a present read-only private page of a writable file region
 *                                            -> the same: copy if shared, else reuse
 *        the page already allows it          -> spurious (stale TLB entry)
 *   3. no region: a vmalloc guard page       -> guard hit / kernel stack overflow
 *      just below a stack region, within its growth limit -> stack growth
 *      first page                            -> NULL dereference
 *      else, by the error code               -> not mapped / write / exec / SMAP
 * Invariants:
 *   [x] a frame shared copy-on-write (a COW region, or any user page after
 *       fork) is mapped read-only everywhere it is shared, and its
 *       refcount counts the mappings (page_get per share); a write copies
 *       it, or, from its last owner, makes it writable in place;
 *   [x] a file frame is mapped read-only and never page_put: a write copies
 *       it (region_is_file_frame tells it from a private frame);
 *   [x] a fault in the user half leaves fault_user_reserve_pages() free
 *       pages, or fails as "out of memory" with nothing changed;
 *   [x] fault_user_anon_mapped / fault_user_file_mapped count the user
 *       half's mappings of owned and of file frames, exactly;
 *   [x] a resolved fault changed exactly one page table entry (plus tables);
 *   [x] a violation changed nothing.
 * Context: interrupts off (asserted): the #PF handler, or a test that
 * turns them off around a simulated fault; any CPU.
 * Lock order (the same as every other path into the memory manager):
 *   [x] the region lookup copies the region under the set's lock and
 *       releases it (region_find_copy): the decision works on the copy;
 *   [x] then vmalloc's lock (vmalloc_find), the space's page-table lock
 *       (paging_*), the zone locks (alloc_page, page_put) are each taken
 *       and released inside the call that needs them, never nested here;
 *   [x] stack growth takes the set's lock again (region_grow_down), after
 *       the page is mapped and with no other lock held;
 *   [x] nothing here sleeps: interrupts are off throughout.
 */
#include "mm/fault.h"

#include "lib/align.h"
#include "lib/compiler.h"
#include "lib/errno.h"
#include "lib/lab.h"
#include "lib/panic.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/arch.h"
#include "mm/buddy.h"
#include "mm/page.h"
#include "mm/vmalloc.h"

struct fault_stats fault_stats_cpu[MM_MAX_CPUS];
int64_t fault_user_anon_mapped, fault_user_file_mapped;

uint64_t fault_user_reserve_pages(void)
{
	uint64_t share = buddy_managed_pages() / 64;

	return share > FAULT_USER_RESERVE_MIN ? share : FAULT_USER_RESERVE_MIN;
}

struct fault_stats fault_stats_total(void)
{
	struct fault_stats sum = {0};

	for (unsigned cpu = 0; cpu < arch_cpus_online(); cpu++) {
		const struct fault_stats *s = &fault_stats_cpu[cpu];
		sum.faults += s->faults;
		sum.demand_zero += s->demand_zero;
		sum.cow_copies += s->cow_copies;
		sum.cow_reuses += s->cow_reuses;
		sum.stack_growths += s->stack_growths;
		sum.file_maps += s->file_maps;
		sum.file_copies += s->file_copies;
		sum.reserve_refusals += s->reserve_refusals;
		sum.spurious += s->spurious;
		sum.guard_hits += s->guard_hits;
		sum.violations += s->violations;
	}
	return sum;
}

unsigned region_map_flags(const struct region *r, virt_addr_t va)
{
	unsigned flags = r->prot;

	if (va >= PAGING_KERNEL_HALF)
		flags |= MAP_GLOBAL; /* kernel-half mappings survive CR3 switches */
	return flags;
}

/* Record a violation in f; returns -EFAULT for fault_handle to pass on. */
static int violation(struct fault *f, enum fault_violation v)
{
	f->outcome = FAULT_VIOLATION;
	f->violation = v;
	fault_stats_here()->violations++;
	if (v == VIOLATION_GUARD || v == VIOLATION_STACK_OVERFLOW)
		fault_stats_here()->guard_hits++;
	return -EFAULT;
}

/*
 * May a fault at page_va take a frame? Always in the kernel half; in the
 * user half only while more than the kernel's reserve is free (counted in
 * reserve_refusals when not).
 */
static bool frame_allowed(virt_addr_t page_va)
{
	if (page_va >= PAGING_KERNEL_HALF || buddy_free_pages() > fault_user_reserve_pages())
		return true;
	fault_stats_here()->reserve_refusals++;
	return false;
}

/*
 * The first touch of page_va, in anonymous region r (or, for stack growth,
 * just below stack region r): map one fresh zeroed frame there with r's
 * flags (region_map_flags) and set f->outcome to outcome. Returns 0, or,
 * when no frame or no page table can be had, the violation "out of memory"
 * with nothing kept; -EEXIST, nothing kept and no violation recorded, when
 * page_va is mapped already (the caller decides what that means). The
 * caller counts the outcome in fault_stats_here().
 */
static int demand_zero(struct address_space *as, const struct region *r, virt_addr_t page_va,
		       struct fault *f, enum fault_outcome outcome)
{
	if (!frame_allowed(page_va))
		return violation(f, VIOLATION_NO_MEMORY);
	/* LAB 4 BEGIN fault_demand_zero: map a fresh zeroed frame at page_va with r's flags */
	struct page *page = alloc_page(ALLOC_ZERO);

	if (!page)
		return violation(f, VIOLATION_NO_MEMORY);
	/* (In a COW region too: a page never mapped before is shared with no one.) */
	int err = paging_map(as, page_va, page_to_phys(page), PAGE_SIZE, region_map_flags(r, page_va));
	if (err) {
		/* mapped since (-EEXIST), or no table for it: nothing was mapped */
		MUST_SUCCEED(free_page(page), "demand_zero: freeing the frame just allocated");
		return err == -EEXIST ? -EEXIST : violation(f, VIOLATION_NO_MEMORY);
	}
	f->outcome = outcome;
	return 0;
	/* LAB 4 END fault_demand_zero */
}

/*
 * A write to a present, read-only 4 KiB page of COW region r, or of a
 * writable user region whose frame fork shared (t is its translation).
 * The frame's refcount says how many mappings share it: more than one,
 * copy it into a fresh frame, map that writable here in
 * place of the old one and drop this mapping's reference (FAULT_COW_COPY);
 * exactly one (the other side copied already or went away), make it
 * writable in place (FAULT_COW_REUSE). Counts the outcome in fault_stats_here().
 * No frame or table: "out of memory", nothing changed; a frame that is not
 * RAM (no struct page): "write to read-only".
 */
static int cow_break(struct address_space *as, const struct region *r, virt_addr_t page_va,
		     const struct paging_translation *t, struct fault *f)
{
	const struct page *shared = phys_to_page(t->pa & ~(PAGE_SIZE - 1));
	if (shared && shared->refcount > 1 && !frame_allowed(page_va))
		return violation(f, VIOLATION_NO_MEMORY); /* a copy would dip into the reserve */
	/* LAB 4 BEGIN fault_cow_break: copy the shared frame, or reuse it if this is its last owner */
	struct page *old = phys_to_page(t->pa & ~(PAGE_SIZE - 1));
	unsigned flags = region_map_flags(r, page_va);

	if (!old)
		return violation(f, VIOLATION_WRITE_READ_ONLY); /* not RAM: nothing to copy */
	if (old->refcount == 1) {
		if (paging_protect(as, page_va, PAGE_SIZE, flags) != 0)
			return violation(f, VIOLATION_NO_MEMORY);
		fault_stats_here()->cow_reuses++;
		f->outcome = FAULT_COW_REUSE;
		return 0;
	}
	struct page *copy = alloc_page(0);
	if (!copy)
		return violation(f, VIOLATION_NO_MEMORY);
	memcpy(page_address(copy), page_address(old), PAGE_SIZE);
	if (paging_map(as, page_va, page_to_phys(copy), PAGE_SIZE,
		       flags | MAP_REPLACE) != 0) {
		MUST_SUCCEED(free_page(copy), "cow_break: freeing the copy just allocated");
		return violation(f, VIOLATION_NO_MEMORY);
	}
	page_put(old); /* this mapping no longer shares it */
	fault_stats_here()->cow_copies++;
	f->outcome = FAULT_COW_COPY;
	return 0;
	/* LAB 4 END fault_cow_break */
}

/*
 * A fault in the vmalloc window. Every page of a live area is mapped at
 * once by vmalloc, so no fault here is legitimate: name the area and what
 * was hit (the guard below a kernel stack, the guard after an area, or a
 * bad access inside one).
 */
static int vmalloc_fault(virt_addr_t va, unsigned access, struct fault *f)
{
	/* LAB 5 BEGIN fault_vmalloc_classify: name what was hit: guard below a stack, guard after, inside */
	const struct vmalloc_area *a = vmalloc_find(va);

	f->area = a;
	if (!a)
		return violation(f, VIOLATION_NOT_MAPPED);
	if (va < a->start)
		return violation(f, a->flags & VMALLOC_STACK ? VIOLATION_STACK_OVERFLOW
							     : VIOLATION_GUARD);
	if (va - a->start >= a->size)
		return violation(f, VIOLATION_GUARD);
	if (access & FAULT_FETCH)
		return violation(f, VIOLATION_EXEC_NX);
	return violation(f, access & FAULT_USER ? VIOLATION_USER_KERNEL : VIOLATION_NOT_MAPPED);
	/* LAB 5 END fault_vmalloc_classify */
}

/*
 * The violation for an access the page tables refused, when no region says
 * more. A kernel access to a present user page is blamed on SMEP or SMAP
 * only when the CPU enforced it (FAULT_SMEP_ON, FAULT_SMAP_ON); the page's
 * flags go into f->page_flags, so that the report also names NX or
 * read-only when they refused the access too.
 */
static enum fault_violation by_error_code(struct address_space *as, virt_addr_t va,
					  unsigned access, struct fault *f)
{
	struct paging_translation t;

	if (!(access & FAULT_PRESENT))
		return va < PAGE_SIZE ? VIOLATION_NULL : VIOLATION_NOT_MAPPED;
	if ((access & FAULT_USER) && va >= PAGING_KERNEL_HALF)
		return VIOLATION_USER_KERNEL;
	if (!(access & FAULT_USER) && va < PAGING_KERNEL_HALF) {
		if (paging_translate(as, va, &t) != 0)
			return VIOLATION_KERNEL_USER; /* gone since: SMAP (data) or SMEP (fetch) */
		bool user_page = t.flags & MAP_USER;
		bool rule = access & FAULT_FETCH ? access & FAULT_SMEP_ON : access & FAULT_SMAP_ON;
		if (user_page && rule) {
			f->page_flags = t.flags;
			return VIOLATION_KERNEL_USER;
		}
	}
	if (access & FAULT_WRITE)
		return VIOLATION_WRITE_READ_ONLY;
	if (access & FAULT_FETCH)
		return VIOLATION_EXEC_NX;
	return VIOLATION_NOT_MAPPED;
}

/* Mapped now, "not present" then: another path mapped it, or a stale TLB entry. */
static int spurious(virt_addr_t page_va, struct fault *f)
{
	arch_invalidate_page(page_va);
	fault_stats_here()->spurious++;
	f->outcome = FAULT_SPURIOUS;
	return 0;
}

/*
 * A private copy of the file page at page_va of file region r, the bytes
 * past the file's end zero, mapped with r's flags; replace: in place of
 * the file's frame, mapped there now (a write to it). Counts the outcome.
 * No frame (or the reserve reached), no table: "out of memory", nothing
 * changed; -EEXIST, nothing kept, when page_va was mapped since (!replace).
 */
static int file_copy(struct address_space *as, const struct region *r, virt_addr_t page_va,
		     bool replace, struct fault *f)
{
	uint64_t offset = page_va - r->start;
	uint64_t bytes = offset < r->file_bytes ? MIN(r->file_bytes - offset, PAGE_SIZE) : 0;
	struct page *copy = frame_allowed(page_va) ? alloc_page(0) : NULL;

	if (!copy)
		return violation(f, VIOLATION_NO_MEMORY);
	uint8_t *dst = page_address(copy);
	if (bytes)
		memcpy(dst, phys_to_virt(r->file_phys + offset), bytes);
	memset(dst + bytes, 0, PAGE_SIZE - bytes);
	int err = paging_map(as, page_va, page_to_phys(copy), PAGE_SIZE,
			     region_map_flags(r, page_va) | (replace ? MAP_REPLACE : 0));
	if (err) {
		MUST_SUCCEED(free_page(copy), "file_copy: freeing the copy just allocated");
		return err == -EEXIST ? -EEXIST : violation(f, VIOLATION_NO_MEMORY);
	}
	if (replace) /* the file frame is no longer mapped here; it is never freed */
		fault_count_user(&fault_user_file_mapped, page_va, -1);
	fault_count_user(&fault_user_anon_mapped, page_va, 1);
	fault_stats_here()->file_copies++;
	f->outcome = FAULT_FILE_COPY;
	return 0;
}

/*
 * A fault in file region r (its prot allowed the access). Not present: a
 * read or fetch of a page wholly inside the file maps the file's frame
 * read-only, shared by every space that maps it (FAULT_FILE_MAP); anything
 * else gets a private copy (file_copy). Present and read-only, a write:
 * the file's frame is copied; a private frame (read-only because fork
 * shares it, or since an mprotect) goes to cow_break: copied while others
 * own it, else made writable in place.
 */
static int file_fault(struct address_space *as, const struct region *r, virt_addr_t page_va,
		      unsigned access, struct fault *f)
{
	uint64_t offset = page_va - r->start;
	bool whole = offset < r->file_bytes && r->file_bytes - offset >= PAGE_SIZE;
	struct paging_translation t;
	int err;

	if (paging_translate(as, page_va, &t) != 0) {
		if (!whole || (access & FAULT_WRITE)) {
			err = file_copy(as, r, page_va, false, f);
		} else {
			err = paging_map(as, page_va, r->file_phys + offset, PAGE_SIZE,
					 region_map_flags(r, page_va) & ~MAP_WRITE);
			if (!err) {
				fault_count_user(&fault_user_file_mapped, page_va, 1);
				fault_stats_here()->file_maps++;
				f->outcome = FAULT_FILE_MAP;
			} else if (err != -EEXIST) {
				err = violation(f, VIOLATION_NO_MEMORY);
			}
		}
		return err == -EEXIST ? spurious(page_va, f) : err;
	}
	if ((access & FAULT_WRITE) && !(t.flags & MAP_WRITE) && t.page_size == PAGE_SIZE) {
		if (region_is_file_frame(r, page_va, t.pa & ~(PAGE_SIZE - 1)))
			return file_copy(as, r, page_va, true, f);
		return cow_break(as, r, page_va, &t, f); /* a private frame, maybe shared by fork */
	}
	if ((access & FAULT_FETCH) && !(t.flags & MAP_EXEC))
		return violation(f, VIOLATION_EXEC_NX);
	if (access & FAULT_PRESENT)
		return violation(f, by_error_code(as, f->address, access, f));
	return spurious(page_va, f);
}

/*
 * A fault in shared region r (memory passed by IPC, mm/share.c) or pager
 * region r (its prot allowed the access). The pages are another space's
 * frames, mapped by share_map only: a missing one is not provided here (a
 * shared page was revoked or its mapping went: a violation; a pager's page
 * is the pager's to map: FAULT_PAGER). A write to a present read-only page
 * is refused, never copied: a copy would quietly stop the sharing.
 */
static int shared_fault(struct address_space *as, const struct region *r, virt_addr_t page_va,
			unsigned access, struct fault *f)
{
	struct paging_translation t;

	if (paging_translate(as, page_va, &t) != 0) {
		if (r->kind == REGION_SHARED)
			return violation(f, VIOLATION_SHARED_GONE);
		f->outcome = FAULT_PAGER;
		return -EAGAIN;
	}
	if ((access & FAULT_WRITE) && !(t.flags & MAP_WRITE))
		return violation(f, VIOLATION_WRITE_READ_ONLY);
	if ((access & FAULT_FETCH) && !(t.flags & MAP_EXEC))
		return violation(f, VIOLATION_EXEC_NX);
	if (access & FAULT_PRESENT)
		return violation(f, by_error_code(as, f->address, access, f));
	return spurious(page_va, f);
}

/* Faults inside region r (a copy: the set may change below). */
static int region_fault(struct address_space *as, const struct region *r, virt_addr_t va,
			unsigned access, struct fault *f)
{
	virt_addr_t page_va = ALIGN_DOWN(va, PAGE_SIZE);
	bool anonymous = r->kind == REGION_ANON || r->kind == REGION_STACK ||
			 r->kind == REGION_COW || r->kind == REGION_GRANTED;

	if (r->kind == REGION_GUARD)
		return violation(f, VIOLATION_GUARD);
	if (r->kind == REGION_VMALLOC)
		return vmalloc_fault(va, access, f);
	if ((access & FAULT_WRITE) && !(r->prot & MAP_WRITE))
		return violation(f, VIOLATION_WRITE_READ_ONLY);
	if ((access & FAULT_FETCH) && !(r->prot & MAP_EXEC))
		return violation(f, access & FAULT_PRESENT ? VIOLATION_EXEC_NX
							   : VIOLATION_EXEC_NOT_PRESENT);
	if ((access & FAULT_USER) && !(r->prot & MAP_USER))
		return violation(f, va < PAGING_KERNEL_HALF ? VIOLATION_NO_ACCESS
							    : VIOLATION_USER_KERNEL);
	if (r->kind == REGION_FILE)
		return file_fault(as, r, page_va, access, f);
	if (r->kind == REGION_SHARED || r->kind == REGION_PAGER)
		return shared_fault(as, r, page_va, access, f);

	/*
	 * "Not present" in an anonymous region is nearly always a first touch:
	 * map straight away, one page-table lock and walk, no translate first;
	 * paging_map's -EEXIST says another path mapped it since (then decide
	 * on the translation below, as for any other fault).
	 */
	if (anonymous && !(access & FAULT_PRESENT)) {
		int err = demand_zero(as, r, page_va, f, FAULT_DEMAND_ZERO);
		if (!err)
			fault_stats_here()->demand_zero++;
		if (err != -EEXIST)
			return err;
	}
	struct paging_translation t;
	bool mapped = paging_translate(as, page_va, &t) == 0;
	if (!mapped) {
		if (!anonymous)
			return violation(f, VIOLATION_NOT_MAPPED);
		int err = demand_zero(as, r, page_va, f, FAULT_DEMAND_ZERO);
		if (!err)
			fault_stats_here()->demand_zero++;
		if (err == -EEXIST) /* mapped between the walk and the map: retry finds it */
			return spurious(page_va, f);
		return err;
	}
	if ((access & FAULT_WRITE) && !(t.flags & MAP_WRITE)) {
		/* In the user half a read-only page of a writable region is shared (fork). */
		if ((r->kind == REGION_COW || page_va < PAGING_KERNEL_HALF) &&
		    t.page_size == PAGE_SIZE)
			return cow_break(as, r, page_va, &t, f);
		return violation(f, VIOLATION_WRITE_READ_ONLY); /* e.g. `protect` made it so */
	}
	if ((access & FAULT_FETCH) && !(t.flags & MAP_EXEC))
		return violation(f, VIOLATION_EXEC_NX);
	if (access & FAULT_PRESENT)
		return violation(f, by_error_code(as, va, access, f));
	return spurious(page_va, f);
}

/*
 * A touch at va, just below the stack region `stack` (the set's own record,
 * which region_grow_down moves; f->region holds a copy), not a fetch: map
 * va's page (demand_zero, FAULT_STACK_GROWTH) and grow the region down to
 * it (region_grow_down), then show the new start in f->region and count
 * the growth. Below the region's grow_limit: "stack overflow"; a write to
 * a read-only stack: "write to read-only"; nothing changed either way.
 */
static int stack_grow(struct address_space *as, const struct region *stack, virt_addr_t va,
		      unsigned access, struct fault *f)
{
	if ((access & FAULT_USER) && !(stack->prot & MAP_USER))
		return violation(f, va < PAGING_KERNEL_HALF ? VIOLATION_NO_ACCESS
							    : VIOLATION_USER_KERNEL);
	/* LAB 4 BEGIN fault_stack_growth: challenge: grow the stack region down to va's page, within grow_limit */
	virt_addr_t page_va = ALIGN_DOWN(va, PAGE_SIZE);

	if (va < stack->grow_limit)
		return violation(f, VIOLATION_STACK_OVERFLOW);
	if ((access & FAULT_WRITE) && !(stack->prot & MAP_WRITE))
		return violation(f, VIOLATION_WRITE_READ_ONLY);
	int err = demand_zero(as, stack, page_va, f, FAULT_STACK_GROWTH);
	if (err == -EEXIST) /* a page below the stack mapped by someone else */
		return violation(f, VIOLATION_NOT_MAPPED);
	if (err)
		return err;
	if (region_grow_down(as->regions, stack, page_va) != 0) {
		/* cannot happen: checked above; undo the mapping to stay consistent */
		struct paging_translation t;
		if (paging_translate(as, page_va, &t) == 0) {
			MUST_SUCCEED(paging_unmap(as, page_va, PAGE_SIZE),
				     "stack_grow: unmapping the 4 KiB page just mapped");
			page_put(phys_to_page(t.pa));
		}
		return violation(f, VIOLATION_STACK_OVERFLOW);
	}
	f->region.start = page_va;
	fault_stats_here()->stack_growths++;
	return 0;
	/* LAB 4 END fault_stack_growth */
}

/*
 * No region contains va. The one legitimate case is a stack region just
 * above: grow it down to va's page if that stays within its limit.
 */
static int regionless_fault(struct address_space *as, virt_addr_t va, unsigned access,
			    struct fault *f)
{
	if (va >= VMALLOC_START && va - VMALLOC_START < VMALLOC_SIZE)
		return vmalloc_fault(va, access, f);
	const struct region *next = as->regions ? region_next(as->regions, va) : NULL;
	if (next && next->kind == REGION_STACK && !(access & FAULT_FETCH)) {
		f->in_region = true;
		f->region = *next;
		return stack_grow(as, next, va, access, f);
	}
	return violation(f, by_error_code(as, va, access, f));
}

/* fault_handle without the minflt count. */
static int fault_decide(struct address_space *as, virt_addr_t address, unsigned access,
			struct fault *f)
{
	*f = (struct fault){.address = address, .access = access, .outcome = FAULT_VIOLATION};
	fault_stats_here()->faults++;
	if (!paging_canonical(address))
		return violation(f, VIOLATION_NON_CANONICAL);
	if (access & FAULT_RESERVED)
		return violation(f, VIOLATION_RESERVED_BIT);
	if (!as->regions || !region_find_copy(as->regions, address, &f->region))
		return regionless_fault(as, address, access, f);
	f->in_region = true;
	return region_fault(as, &f->region, address, access, f);
}

int fault_handle(struct address_space *as, virt_addr_t address, unsigned access,
		 struct fault *f)
{
	ASSERT_IRQS_OFF();
	int err = fault_decide(as, address, access, f);

	if (err || f->outcome == FAULT_SPURIOUS)
		return err;
	__atomic_fetch_add(&as->minflt, 1, __ATOMIC_RELAXED);
	/* A fresh frame mapped (file pages and COW copies count for themselves). */
	if (f->outcome == FAULT_DEMAND_ZERO || f->outcome == FAULT_STACK_GROWTH)
		fault_count_user(&fault_user_anon_mapped, address, 1);
	return 0;
}

const char *fault_outcome_name(enum fault_outcome outcome)
{
	switch (outcome) {
	case FAULT_SPURIOUS: return "already mapped (spurious fault, TLB entry refreshed)";
	case FAULT_DEMAND_ZERO: return "demand-zero fault resolved";
	case FAULT_COW_COPY: return "COW copy";
	case FAULT_COW_REUSE: return "COW reuse (last owner: made writable in place)";
	case FAULT_STACK_GROWTH: return "stack grown";
	case FAULT_FILE_MAP: return "file page mapped (shared, read-only)";
	case FAULT_FILE_COPY: return "file page copied (private)";
	case FAULT_VIOLATION: return "violation";
	case FAULT_PAGER: return "page asked of the pager";
	}
	return "?";
}

/*
 * A guard-page hit in words, naming the one guard page hit and what it
 * guards: "access to guard page 0x...5000 after vmalloc area 0x...1000-0x...4fff
 * (from cmd_alloc+0x3c)", or "... of guard region \"lazy-stack\"".
 */
static void fault_describe_guard(const struct fault *f, const char *what, char *buf,
				 size_t size)
{
	virt_addr_t page = ALIGN_DOWN(f->address, PAGE_SIZE);

	if (f->area) {
		char who[64];
		virt_addr_t start = f->area->start, end = f->area->start + f->area->size;
		arch_symbolize((uint64_t)(uintptr_t)f->area->caller, who, sizeof(who));
		ksnprintf(buf, size, "%s 0x%lx %s %s 0x%lx-0x%lx (from %s)", what, page,
			  page < start ? "below" : "after",
			  f->area->flags & VMALLOC_STACK ? "kernel stack" : "vmalloc area", start,
			  end - 1, who);
	} else if (f->in_region) {
		ksnprintf(buf, size, "%s 0x%lx %s %s region \"%s\"", what, page,
			  page < f->region.start ? "below" : "of", region_kind_name(f->region.kind),
			  f->region.name);
	} else {
		ksnprintf(buf, size, "%s 0x%lx", what, page);
	}
}

const char *fault_describe(const struct fault *f, char *buf, size_t size)
{
	char where[128] = "";
	const char *noun = f->in_region ? "region" : "page";

	if (f->area) {
		char who[64];
		arch_symbolize((uint64_t)(uintptr_t)f->area->caller, who, sizeof(who));
		ksnprintf(where, sizeof(where), "%s 0x%lx-0x%lx (from %s)",
			  f->area->flags & VMALLOC_STACK ? "kernel stack" : "vmalloc area",
			  f->area->start, f->area->start + f->area->size, who);
	} else if (f->in_region) {
		ksnprintf(where, sizeof(where), "\"%s\" 0x%lx-0x%lx (%s)", f->region.name,
			  f->region.start, f->region.end, region_kind_name(f->region.kind));
	}
	switch (f->violation) {
	case VIOLATION_NONE:
		ksnprintf(buf, size, "%s", fault_outcome_name(f->outcome));
		break;
	case VIOLATION_NULL:
		ksnprintf(buf, size, "NULL dereference");
		break;
	case VIOLATION_NOT_MAPPED:
		ksnprintf(buf, size, "not mapped%s%s", where[0] ? " in " : "", where);
		break;
	case VIOLATION_WRITE_READ_ONLY:
		ksnprintf(buf, size, "write to read-only %s%s%s", noun, where[0] ? " " : "", where);
		break;
	case VIOLATION_EXEC_NX:
		ksnprintf(buf, size, "execute of NX page%s%s", where[0] ? " in " : "", where);
		break;
	case VIOLATION_EXEC_NOT_PRESENT:
		ksnprintf(buf, size, "execute of not-present page%s%s, which is not executable",
			  where[0] ? " in " : "", where);
		break;
	case VIOLATION_GUARD:
		fault_describe_guard(f, "access to guard page", buf, size);
		break;
	case VIOLATION_STACK_OVERFLOW:
		fault_describe_guard(f, "kernel stack overflow: guard page", buf, size);
		break;
	case VIOLATION_RESERVED_BIT:
		ksnprintf(buf, size, "reserved bit set in a paging entry (corrupt page tables)");
		break;
	case VIOLATION_USER_KERNEL:
		ksnprintf(buf, size, "user access to kernel page");
		break;
	case VIOLATION_KERNEL_USER:
		/* Name every rule that refused it: SMEP and NX, or SMAP and read-only. */
		if (f->access & FAULT_FETCH)
			ksnprintf(buf, size, "kernel execute of user page (SMEP)%s",
				  f->page_flags & MAP_USER && !(f->page_flags & MAP_EXEC)
					  ? " and execute of NX page (NX)" : "");
		else
			ksnprintf(buf, size, "kernel %s of user page (SMAP)%s",
				  f->access & FAULT_WRITE ? "write" : "access",
				  f->access & FAULT_WRITE && f->page_flags & MAP_USER &&
						  !(f->page_flags & MAP_WRITE)
					  ? " and write to read-only page" : "");
		break;
	case VIOLATION_NO_MEMORY:
		ksnprintf(buf, size, "out of memory: no frame to resolve the fault in %s", where);
		break;
	case VIOLATION_NON_CANONICAL:
		ksnprintf(buf, size, "non-canonical address");
		break;
	case VIOLATION_NO_ACCESS:
		ksnprintf(buf, size, "access to inaccessible region %s", where);
		break;
	case VIOLATION_SHARED_GONE:
		ksnprintf(buf, size, "revoked or unmapped shared page%s%s", where[0] ? " in " : "",
			  where);
		break;
	}
	return buf;
}
