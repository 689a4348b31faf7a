/*
 * user_space.c - a process's address space and the memory system calls
 * (user_space.h has the contracts; docs/processes.md the picture).
 *
 * Every call turns Linux's arguments into region changes (mm/region.c) and
 * then makes the page tables agree: pages leave with their region through
 * region_release_range / region_zap_range (mm/anon.h: one unmap per mapped
 * run, then one page_put per page, the initrd's own frames only unmapped),
 * protections follow mprotect run by run (paging_next_runs). Nothing is
 * mapped eagerly: the fault handler (mm/fault.c) fills regions on touch.
 * The hot paths (one-page mmap, munmap, mprotect, brk) cost a few binary
 * searches of the region array and one page-table walk per mapped run:
 * mmap places top-down from a cached position (mmap_top) instead of
 * scanning the space, and only pages that were mapped are invalidated.
 * Invariants:
 *   [x] the page tables never map a page outside every region: pages are
 *       released with their region, before the call returns;
 *   [x] fault_user_anon_mapped / fault_user_file_mapped (mm/fault.h) stay
 *       exact: every page unmapped here leaves its count;
 *   [x] a frame is page_put once per mapping that goes (its refcount counts
 *       mappings); an initrd frame never (region_is_file_frame);
 *   [x] W^X: no region is writable and executable;
 *   [x] a call that fails with -EINVAL, -EEXIST, -EACCES or -EPERM changed
 *       nothing.
 * Memory passed by IPC (mm/share.c) keeps its mapping database through
 * here: munmap releases through share_unmap, mprotect asks
 * share_protect_check, fork leaves SHARED and PAGER regions out, exec's
 * move and the teardown tell the database (share_space_move,
 * share_space_exit). A revoke may unmap pages of a SHARED or PAGER region
 * from another CPU at any time (never its region): mprotect's walk of
 * those pages tolerates pages gone.
 * Context: process context, interrupts on, the space's owner only (see
 * user_space.h). Lock order: share database (share_unmap), region set,
 * page tables, zone, each taken inside the call that needs it and
 * released before the next; page-table
 * walks (paging_next_runs) only record runs under the page-table lock.
 */
#include "mm/user_space.h"

#include "lib/align.h"
#include "lib/errno.h"
#include "lib/lab.h"
#include "lib/panic.h"
#include "lib/string.h"
#include "lib/uapi.h"
#include "mm/anon.h"
#include "mm/buddy.h"
#include "mm/fault.h"
#include "mm/kernel_space.h"
#include "mm/page.h"
#include "mm/share.h"

/* Linux values lib/uapi.h does not name. */
#define MAP_SHARED_VALIDATE 0x03 /* shared, and unknown flags are -ENOTSUP */
#define MADV_RANDOM 1
#define MADV_SEQUENTIAL 2
#define MADV_WILLNEED 3

/* The mmap flags accepted (the others are refused under MAP_SHARED_VALIDATE, ignored else). */
#define USER_MMAP_KNOWN (MAP_TYPE | MAP_FIXED | MAP_ANONYMOUS | MAP_GROWSDOWN | MAP_DENYWRITE | \
			 MAP_EXECUTABLE | MAP_NORESERVE | MAP_POPULATE | MAP_STACK |              \
			 MAP_FIXED_NOREPLACE)
#define USER_PROT_ALL (PROT_READ | PROT_WRITE | PROT_EXEC)

#define HEAP_NAME "[heap]"
#define STACK_NAME "[stack]"
#define GUARD_NAME "[stack guard]"

/* Linux's PROT_* as region prot: read is implied, PROT_NONE has no MAP_USER. */
static unsigned prot_to_region(int prot)
{
	unsigned flags = 0;

	if (prot & USER_PROT_ALL)
		flags |= MAP_USER;
	if (prot & PROT_WRITE)
		flags |= MAP_WRITE;
	if (prot & PROT_EXEC)
		flags |= MAP_EXEC;
	return flags;
}

/* 0 if prot is a valid PROT_* combination Pagoda allows, else -EINVAL or -EACCES (W^X). */
static int prot_check(int prot)
{
	if (prot & ~USER_PROT_ALL)
		return -EINVAL;
	if ((prot & PROT_WRITE) && (prot & PROT_EXEC))
		return -EACCES;
	return 0;
}

/* [va, va + size) page-aligned, non-empty, inside [USER_START, USER_TOP)? */
static bool user_range_valid(virt_addr_t va, uint64_t size)
{
	return IS_ALIGNED(va, PAGE_SIZE) && IS_ALIGNED(size, PAGE_SIZE) && size > 0 &&
	       va >= USER_START && va <= USER_TOP && size <= USER_TOP - va;
}

/* Could pages more user pages be promised and leave the kernel its reserve? */
static bool user_memory_fits(uint64_t pages)
{
	uint64_t free = buddy_free_pages(), reserve = fault_user_reserve_pages();

	return free > reserve && pages <= free - reserve;
}

bool user_space_range_used(const struct user_space *us, virt_addr_t start, virt_addr_t end)
{
	if (region_find(&us->regions, start))
		return true;
	const struct region *next = region_next(&us->regions, start);
	return next && next->start < end;
}

static int insert_region(struct user_space *us, virt_addr_t va, uint64_t size, unsigned prot,
			 enum region_kind kind, const char *name)
{
	struct region r = {.start = va, .end = va + size, .prot = prot, .kind = kind};

	strlcpy(r.name, name ? name : "", sizeof(r.name));
	return region_insert(&us->regions, &r);
}

int user_space_create(struct user_space *us)
{
	memset(us, 0, sizeof(*us));
	int err = paging_create(&us->as, &kernel_space);
	if (err)
		return err;
	region_set_init(&us->regions);
	us->as.regions = &us->regions;
	us->mmap_top = USER_MMAP_TOP;
	return 0;
}

/*
 * The walks of fork and of the end of a space, page by page in address
 * order: the region holding va (a cursor over the sorted array; NULL when
 * the space has none), and the mappings met: initrd frames (file) and any
 * other (anon), whose owners change.
 */
struct page_walk {
	const struct region *region, *last; /* the cursor, the array's last region */
	int64_t anon, file;                 /* mappings met: AnonPages, Mapped */
};

static struct page_walk page_walk_start(const struct user_space *us)
{
	const struct region *items = us->regions.count ? us->regions.items : NULL;

	return (struct page_walk){items, items ? items + us->regions.count - 1 : NULL, 0, 0};
}

/* Is va's frame pa the initrd's (only mapped, never owned)? Moves the cursor to va. */
static bool page_walk_file(struct page_walk *w, virt_addr_t va, phys_addr_t pa)
{
	while (w->region < w->last && va >= w->region->end)
		w->region++;
	if (w->region && region_is_file_frame(w->region, va, pa)) {
		w->file++;
		return true;
	}
	w->anon++;
	return false;
}

/*
 * user_space_destroy's walk: a frame that is not the initrd's loses this owner.
 * (__unused: in the lab 7 skeleton user_space_destroy is a stub that does not call it.)
 */
static __unused void destroy_frame(virt_addr_t va, phys_addr_t pa, void *arg)
{
	if (!page_walk_file(arg, va, pa))
		page_put(phys_to_page(pa));
}

uint64_t user_space_destroy(struct user_space *us)
{
	/* LAB 7 BEGIN exit_release_space: in one walk, drop every frame's owner and free every table */
	share_space_exit(us); /* what others got from it goes; then no one reaches it */
	struct page_walk w = page_walk_start(us);

	ASSERT(us->as.pml4 == 0 || us->as.cpus == 0, "user_space_destroy: space still active");
	if (us->as.pml4) {
		/* Every page loses its owner, counters kept, in the walk that frees the tables. */
		paging_destroy_each(&us->as, destroy_frame, &w);
		fault_count_user(&fault_user_anon_mapped, 0, -w.anon);
		fault_count_user(&fault_user_file_mapped, 0, -w.file);
	}
	region_set_destroy(&us->regions);
	memset(us, 0, sizeof(*us));
	return (uint64_t)(w.anon + w.file);
	/* LAB 7 END exit_release_space */
}

/* fork's walk: a frame that is not the initrd's gains this mapping as an owner. */
static void fork_share_frame(virt_addr_t va, phys_addr_t pa, void *arg)
{
	if (!page_walk_file(arg, va, pa))
		page_get(phys_to_page(pa));
}

/*
 * fork's rule for memory passed by IPC: SHARED and PAGER regions are left
 * out of the child (its copy of the array loses them; they are never
 * split, so this needs no memory). Their pages are other spaces' frames,
 * revocable by them; a copy-on-write twin would stop the sharing and a
 * derived mapping would tie the child to the parent's IPC. GRANTED regions
 * are private memory and are copied as ANON ones.
 */
static bool fork_leaves_out(const struct region *r)
{
	return r->kind == REGION_SHARED || r->kind == REGION_PAGER;
}

/*
 * The child's array without the regions fork leaves out, then its pages:
 * one paging_share_cow per run of kept regions (one in all when nothing
 * is left out), in address order (the page walk's cursor moves up).
 * (__unused: in the lab 7 skeleton user_space_fork is a stub that does not call it.)
 */
static __unused int fork_share_pages(struct user_space *child, struct user_space *parent)
{
	struct region_set *set = &child->regions; /* changes only when the child runs */
	int err = 0;

	for (size_t i = 0; i < set->count;) {
		if (fork_leaves_out(&set->items[i]))
			MUST_SUCCEED(region_remove(set, set->items[i].start, set->items[i].end),
				     "fork_share_pages: removing a whole region needs no memory");
		else
			i++;
	}
	if (!set->count)
		return 0;
	struct page_walk w = page_walk_start(child);
	for (size_t i = 0; i < set->count && !err;) {
		size_t j = i;
		while (j + 1 < set->count &&
		       (set->items[j].end == set->items[j + 1].start ||
			!user_space_range_used(parent, set->items[j].end, set->items[j + 1].start)))
			j++; /* nothing left out between them: one walk */
		err = paging_share_cow(&child->as, &parent->as, set->items[i].start,
				       set->items[j].end, fork_share_frame, &w);
		i = j + 1;
	}
	fault_count_user(&fault_user_anon_mapped, 0, w.anon);
	fault_count_user(&fault_user_file_mapped, 0, w.file);
	return err;
}

int user_space_fork(struct user_space *child, struct user_space *parent)
{
	/* LAB 7 BEGIN fork_space: build the child: its regions, then its pages shared; undo all if not */
	int err = user_space_create(child);

	if (err)
		return err;
	err = region_set_clone(&child->regions, &parent->regions);
	if (!err)
		err = fork_share_pages(child, parent);
	if (err) {
		/* User pages are 4 KiB and the child had none: only memory can run out. */
		ASSERT(err == -ENOMEM, "user_space_fork: sharing the pages failed other than -ENOMEM");
		user_space_destroy(child); /* every page shared so far loses its new owner */
		return err;
	}
	child->brk_start = parent->brk_start;
	child->brk = parent->brk;
	child->mmap_top = parent->mmap_top;
	return 0;
	/* LAB 7 END fork_space */
}

void user_space_move(struct user_space *dst, struct user_space *src)
{
	ASSERT(__atomic_load_n(&src->as.cpus, __ATOMIC_SEQ_CST) == 0,
	       "user_space_move: the space is active on a CPU");
	share_space_move(dst, src); /* *dst = *src, the IPC mapping database told */
	dst->as.regions = &dst->regions;
	memset(src, 0, sizeof(*src));
}

int user_map_file(struct user_space *us, virt_addr_t va, uint64_t size, int prot,
		  const struct user_file *f, uint64_t offset, const char *name)
{
	int err = prot_check(prot);
	if (err)
		return err;
	size = ALIGN_UP(size, PAGE_SIZE);
	if (!f || !IS_ALIGNED(f->phys, PAGE_SIZE) || !IS_ALIGNED(offset, PAGE_SIZE) ||
	    !user_range_valid(va, size))
		return -EINVAL;
	struct region r = {.start = va, .end = va + size, .prot = prot_to_region(prot),
			   .kind = REGION_FILE, .file_phys = f->phys + offset,
			   .file_bytes = offset < f->size ? f->size - offset : 0};
	strlcpy(r.name, name ? name : f->name ? f->name : "", sizeof(r.name));
	return region_insert(&us->regions, &r);
}

int user_map_anon(struct user_space *us, virt_addr_t va, uint64_t size, int prot,
		  const char *name)
{
	int err = prot_check(prot);
	if (err)
		return err;
	size = ALIGN_UP(size, PAGE_SIZE);
	if (!user_range_valid(va, size))
		return -EINVAL;
	return insert_region(us, va, size, prot_to_region(prot), REGION_ANON, name);
}

int user_map_stack(struct user_space *us, virt_addr_t top, uint64_t size, uint64_t max_size)
{
	/* The stack's limit and its guard page below it lie in [USER_START, USER_TOP). */
	if (size == 0 || size > max_size || !IS_ALIGNED(size, PAGE_SIZE) ||
	    max_size > USER_TOP || top < max_size + PAGE_SIZE ||
	    !user_range_valid(top - max_size - PAGE_SIZE, max_size + PAGE_SIZE))
		return -EINVAL;
	virt_addr_t limit = top - max_size;
	if (user_space_range_used(us, limit - PAGE_SIZE, top))
		return -EEXIST;
	struct region stack = {.start = top - size, .end = top, .prot = MAP_USER | MAP_WRITE,
			       .kind = REGION_STACK, .grow_limit = limit};
	strlcpy(stack.name, STACK_NAME, sizeof(stack.name));
	int err = region_insert(&us->regions, &stack);
	if (err)
		return err;
	err = insert_region(us, limit - PAGE_SIZE, PAGE_SIZE, 0, REGION_GUARD, GUARD_NAME);
	if (err)
		MUST_SUCCEED(region_remove(&us->regions, stack.start, stack.end),
			     "user_map_stack: removing the whole stack region just inserted");
	return err;
}

/*
 * Make the page at va of us writable by a user write, as the CPU's fault
 * would: the translation if it allows it already, else fault_handle with
 * the user-write access (interrupts off around it, as in the #PF path).
 */
static int user_page_for_write(struct user_space *us, virt_addr_t va,
			       struct paging_translation *t)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		bool present = paging_translate(&us->as, va, t) == 0;
		if (present && (t->flags & MAP_WRITE) && (t->flags & MAP_USER))
			return 0;
		struct fault f;
		unsigned long irq = arch_irq_save();
		int err = fault_handle(&us->as, va, FAULT_USER | FAULT_WRITE |
					  (present ? FAULT_PRESENT : 0), &f);
		arch_irq_restore(irq);
		if (err)
			return f.violation == VIOLATION_NO_MEMORY ? -ENOMEM : -EFAULT;
	}
	return -EFAULT;
}

int user_space_write(struct user_space *us, virt_addr_t va, const void *src, size_t len)
{
	const uint8_t *from = src;

	if (len > USER_TOP || va > USER_TOP - len)
		return -EFAULT;
	while (len > 0) {
		struct paging_translation t;
		size_t chunk = MIN(len, PAGE_SIZE - (va & (PAGE_SIZE - 1)));
		int err = user_page_for_write(us, va, &t);
		if (err)
			return err;
		memcpy(phys_to_virt(t.pa), from, chunk);
		from += chunk;
		va += chunk;
		len -= chunk;
	}
	return 0;
}

/*
 * Remove [start, end) (page-aligned, inside the user half) from us, regions
 * and pages; 0 or -ENOMEM (nothing changed). User regions are all of kinds
 * region_release_range may release, so it never answers -EPERM here.
 */
static int unmap_range(struct user_space *us, virt_addr_t start, virt_addr_t end)
{
	int err = share_unmap(us, start, end); /* region_release_range, IPC mappings kept right */

	if (err)
		return err;
	if (end > us->mmap_top && start < USER_MMAP_TOP)
		us->mmap_top = MIN(end, USER_MMAP_TOP); /* a hole above the search's start */
	return 0;
}

/*
 * The highest free range of size bytes ending at or below top and starting
 * at or above USER_START, or 0. Each step skips down past one region:
 * either the one holding the candidate start or the lowest one reaching
 * into the candidate.
 */
static virt_addr_t find_free_top_down(const struct user_space *us, virt_addr_t top,
				      uint64_t size)
{
	while (top >= USER_START + size) {
		virt_addr_t start = top - size;
		const struct region *r = region_find(&us->regions, start);
		if (!r)
			r = region_next(&us->regions, start);
		if (!r || r->start >= top)
			return start;
		top = r->start;
	}
	return 0;
}

/* Where a non-fixed mmap of size bytes goes: the hint if free, else top-down. */
static virt_addr_t place(struct user_space *us, virt_addr_t hint, uint64_t size)
{
	if (hint) {
		hint = ALIGN_UP(hint, PAGE_SIZE);
		if (hint >= USER_START && hint <= USER_TOP - size &&
		    !user_space_range_used(us, hint, hint + size))
			return hint;
	}
	virt_addr_t start = find_free_top_down(us, us->mmap_top, size);
	if (!start && us->mmap_top < USER_MMAP_TOP) /* small holes above the cache */
		start = find_free_top_down(us, USER_MMAP_TOP, size);
	if (start && start < us->mmap_top)
		us->mmap_top = start;
	return start;
}

/* The flag and argument checks of mmap that come before any placement. */
static long mmap_check(virt_addr_t addr, uint64_t len, int prot, int flags,
		       const struct user_file *f, uint64_t offset)
{
	int type = flags & MAP_TYPE;

	if (len == 0 || (type != MAP_PRIVATE && type != MAP_SHARED && type != MAP_SHARED_VALIDATE))
		return -EINVAL;
	if (type == MAP_SHARED_VALIDATE && (flags & ~USER_MMAP_KNOWN))
		return -ENOTSUP;
	int err = prot_check(prot);
	if (err)
		return err;
	if (len > USER_TOP)
		return -ENOMEM;
	if ((flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) && !IS_ALIGNED(addr, PAGE_SIZE))
		return -EINVAL;
	if (flags & MAP_ANONYMOUS)
		return 0;
	if (!f)
		return -EBADF;
	if (!IS_ALIGNED(offset, PAGE_SIZE))
		return -EINVAL;
	if (offset + ALIGN_UP(len, PAGE_SIZE) < offset)
		return -EOVERFLOW;
	if (type != MAP_PRIVATE && (prot & PROT_WRITE))
		return -EACCES; /* the initrd is read-only: nothing to write a shared page back to */
	return 0;
}

virt_addr_t user_space_place(struct user_space *us, uint64_t size)
{
	return place(us, 0, size);
}

long user_mmap(struct user_space *us, virt_addr_t addr, uint64_t len, int prot, int flags,
	       const struct user_file *f, uint64_t offset)
{
	long err = mmap_check(addr, len, prot, flags, f, offset);
	if (err)
		return err;
	uint64_t size = ALIGN_UP(len, PAGE_SIZE);
	bool anonymous = flags & MAP_ANONYMOUS;
	/* Private frames it may need: all, except read-only file pages (the initrd's). */
	if ((anonymous || (prot & PROT_WRITE)) && !user_memory_fits(size / PAGE_SIZE))
		return -ENOMEM;

	virt_addr_t start;
	if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
		if (addr > USER_TOP - size)
			return -ENOMEM;
		if (addr < USER_START)
			return -EPERM; /* Linux's mmap_min_addr */
		start = addr;
		if (flags & MAP_FIXED_NOREPLACE) {
			if (user_space_range_used(us, start, start + size))
				return -EEXIST;
		} else {
			err = unmap_range(us, start, start + size);
			if (err)
				return err;
		}
	} else {
		start = place(us, addr, size);
		if (!start)
			return -ENOMEM;
	}
	if (anonymous)
		err = insert_region(us, start, size, prot_to_region(prot), REGION_ANON, "");
	else
		err = user_map_file(us, start, size, prot, f, offset, f->name);
	return err ? err : (long)start;
}

int user_munmap(struct user_space *us, virt_addr_t addr, uint64_t len)
{
	if (!IS_ALIGNED(addr, PAGE_SIZE) || len == 0 || len > USER_TOP)
		return -EINVAL;
	uint64_t size = ALIGN_UP(len, PAGE_SIZE);
	if (addr > USER_TOP - size)
		return -EINVAL;
	return unmap_range(us, addr, addr + size);
}

/* Does a region of kind a or b meet [start, end)? */
static bool user_range_has_kind(const struct user_space *us, virt_addr_t start, virt_addr_t end,
				enum region_kind a, enum region_kind b)
{
	struct region r;

	for (virt_addr_t va = start; va < end; va = r.end)
		if (!region_find_copy(&us->regions, va, &r))
			break;
		else if (r.kind == a || r.kind == b)
			return true;
	return false;
}

/*
 * Is [start, end) covered by regions a process may change (no hole, no
 * guard page: Linux's stack guard gap is no mapping either)?
 */
static bool user_range_covered(const struct user_space *us, virt_addr_t start, virt_addr_t end)
{
	while (start < end) {
		const struct region *r = region_find(&us->regions, start);
		if (!r || r->kind == REGION_GUARD)
			return false;
		start = r->end;
	}
	return true;
}

/* Check and round a range of mprotect/madvise/mincore: 0, -EINVAL, -ENOMEM. */
static int range_check(virt_addr_t addr, uint64_t len, virt_addr_t *end)
{
	if (!IS_ALIGNED(addr, PAGE_SIZE))
		return -EINVAL;
	if (len > USER_TOP || addr > USER_TOP - ALIGN_UP(len, PAGE_SIZE))
		return -ENOMEM;
	*end = addr + ALIGN_UP(len, PAGE_SIZE);
	return 0;
}

/*
 * The PTE flags for a mapped page of region r at va with frame pa: the
 * region's, except that a page whose frame others may share stays
 * read-only so that a write still faults and copies: a file region's page
 * that is the file frame itself, or a page whose frame has more than one
 * owner (fork shared it, or a COW region's twin). Pages passed by IPC
 * (SHARED, PAGER) are shared on purpose and never copied: the region's.
 */
static unsigned pte_flags_for(const struct region *r, virt_addr_t va, phys_addr_t pa)
{
	unsigned flags = r->prot;

	if (!(flags & MAP_WRITE) || r->kind == REGION_SHARED || r->kind == REGION_PAGER)
		return flags;
	if (region_is_file_frame(r, va, pa))
		return flags & ~MAP_WRITE;
	struct page *page = phys_to_page(pa);
	if (!page || page->refcount != 1)
		return flags & ~MAP_WRITE;
	return flags;
}

/*
 * Give the mapped pages of region r in [start, end) r's protection. Made
 * writable, each page is checked (pte_flags_for) and the pages of a run
 * that agree are changed together.
 */
static void protect_pages(struct user_space *us, const struct region *r, virt_addr_t start,
			  virt_addr_t end)
{
	struct paging_run_batch batch;
	bool per_page = r->prot & MAP_WRITE;
	virt_addr_t va = start;

	/* Usually every page is mapped, or none: try the whole piece at once. */
	if (!per_page && paging_protect(&us->as, start, end - start, r->prot) == 0)
		return;
	if (r->kind == REGION_SHARED || r->kind == REGION_PAGER) {
		/* A revoke may unmap these pages meanwhile (mm/share.c): page by page. */
		while (va < end && paging_next_runs(&us->as, va, end, &batch)) {
			for (unsigned i = 0; i < batch.count; i++) {
				for (virt_addr_t p = batch.runs[i].start; p < batch.runs[i].end;
				     p += PAGE_SIZE)
					if (paging_protect(&us->as, p, PAGE_SIZE, r->prot) != 0)
						continue; /* revoked since the walk */
				va = batch.runs[i].end;
			}
		}
		return;
	}
	while (va < end && paging_next_runs(&us->as, va, end, &batch)) {
		for (unsigned i = 0; i < batch.count; i++) {
			const struct paging_run *run = &batch.runs[i];
			for (virt_addr_t p = run->start; p < run->end;) {
				unsigned flags = per_page ? pte_flags_for(r, p, run->pa + (p - run->start))
							  : r->prot;
				virt_addr_t q = p + PAGE_SIZE;
				while (per_page && q < run->end &&
				       pte_flags_for(r, q, run->pa + (q - run->start)) == flags)
					q += PAGE_SIZE;
				if (!per_page)
					q = run->end;
				MUST_SUCCEED(paging_protect(&us->as, p, q - p, flags),
					     "protect_pages: mapped 4 KiB user pages need no split");
				p = q;
			}
			va = run->end;
		}
	}
}

int user_mprotect(struct user_space *us, virt_addr_t addr, uint64_t len, int prot)
{
	/* LAB 6 BEGIN user_mprotect: change the regions of the range, then make its mapped pages follow */
	virt_addr_t end;
	int err = range_check(addr, len, &end);

	if (!err)
		err = prot_check(prot);
	if (err || len == 0)
		return err;
	if (!user_range_covered(us, addr, end))
		return -ENOMEM;
	if ((prot & (PROT_WRITE | PROT_EXEC)) &&
	    share_protect_check(us, addr, end, prot_to_region(prot)) != 0)
		return -EACCES; /* an IPC mapping never gains a right its sender did not give */
	err = region_protect(&us->regions, addr, end, prot_to_region(prot));
	if (err)
		return err == -ENOENT ? -ENOMEM : err;
	for (virt_addr_t va = addr; va < end;) {
		struct region r;
		bool found = region_find_copy(&us->regions, va, &r);
		ASSERT(found, "user_mprotect: the range was covered a moment ago");
		virt_addr_t piece_end = MIN(r.end, end);
		protect_pages(us, &r, va, piece_end);
		va = piece_end;
	}
	return 0;
	/* LAB 6 END user_mprotect */
}

virt_addr_t user_brk(struct user_space *us, virt_addr_t new_brk)
{
	/* LAB 6 BEGIN user_brk: grow the heap region or unmap above the new end; refused: the old break */
	if (!us->brk_start || new_brk < us->brk_start ||
	    new_brk - us->brk_start > USER_BRK_MAX)
		return us->brk;
	virt_addr_t old_end = ALIGN_UP(us->brk, PAGE_SIZE), new_end = ALIGN_UP(new_brk, PAGE_SIZE);
	if (new_end > old_end) {
		if (user_space_range_used(us, old_end, new_end) ||
		    !user_memory_fits((new_end - old_end) / PAGE_SIZE) ||
		    insert_region(us, old_end, new_end - old_end, MAP_USER | MAP_WRITE, REGION_ANON,
				  HEAP_NAME) != 0)
			return us->brk;
	} else if (new_end < old_end) {
		if (unmap_range(us, new_end, old_end) != 0)
			return us->brk;
	}
	us->brk = new_brk;
	return new_brk;
	/* LAB 6 END user_brk */
}

int user_madvise(struct user_space *us, virt_addr_t addr, uint64_t len, int advice)
{
	virt_addr_t end;
	int err = range_check(addr, len, &end);

	if (err == -ENOMEM)
		err = -EINVAL; /* Linux: a range leaving the user half is invalid here */
	if (!err && advice != MADV_NORMAL && advice != MADV_RANDOM && advice != MADV_SEQUENTIAL &&
	    advice != MADV_WILLNEED && advice != MADV_DONTNEED)
		err = -EINVAL;
	if (err || len == 0)
		return err;
	if (!user_range_covered(us, addr, end))
		return -ENOMEM;
	if (advice == MADV_DONTNEED &&
	    user_range_has_kind(us, addr, end, REGION_SHARED, REGION_PAGER))
		return -EINVAL; /* pages passed by IPC would not come back */
	if (advice == MADV_DONTNEED)
		MUST_SUCCEED(region_zap_range(&us->as, addr, end),
			     "user_madvise: dropping pages changes no region");
	return 0;
}

int user_mincore(struct user_space *us, virt_addr_t addr, uint64_t len, uint8_t *vec)
{
	virt_addr_t end;
	int err = range_check(addr, len, &end);

	if (err || len == 0)
		return err;
	if (!user_range_covered(us, addr, end))
		return -ENOMEM;
	memset(vec, 0, (end - addr) / PAGE_SIZE);
	struct paging_run_batch batch;
	virt_addr_t va = addr;
	while (va < end && paging_next_runs(&us->as, va, end, &batch)) {
		for (unsigned i = 0; i < batch.count; i++) {
			const struct paging_run *r = &batch.runs[i];
			memset(vec + (r->start - addr) / PAGE_SIZE, 1,
			       (r->end - r->start) / PAGE_SIZE);
			va = r->end;
		}
	}
	return 0;
}

/* paging_for_each_range callback: count 4 KiB pages. */
static bool count_pages(virt_addr_t start, virt_addr_t end, phys_addr_t pa, uint64_t page_size,
			unsigned flags, void *arg)
{
	(void)pa;
	(void)page_size;
	(void)flags;
	*(uint64_t *)arg += (end - start) / PAGE_SIZE;
	return true;
}

uint64_t user_space_resident_range(const struct user_space *us, virt_addr_t start,
				   virt_addr_t end)
{
	uint64_t pages = 0;

	if (us->as.pml4)
		paging_for_each_range(&us->as, start, end, count_pages, &pages);
	return pages;
}

uint64_t user_space_resident(const struct user_space *us)
{
	return user_space_resident_range(us, 0, USER_TOP);
}
