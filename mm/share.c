/*
 * share.c - memory passed by IPC: map, grant, revoke and the mapping
 * database (share.h has the contracts and the rules).
 *
 * The database is a forest of nodes, one per mapping as one message
 * passed it: a node is a range [start, end) of one space; a derived node
 * knows its parent and where its pages come from there (src), a root is
 * the sender's own pages (the first map of a range makes one, a later map
 * of an overlapping range of own pages extends it). Every space lists its
 * nodes (user_space.share_nodes), so munmap, revoke and exit find theirs.
 *
 *     A: root [heap 0x10000, 4 pages)         (A's own frames)
 *      |-- B: [0x7ff..000, 4 pages)  rw      map, SHARE_WRITE
 *      |    `-- C: [0x7ff..000, 1 page) ro   B maps its page 2 on
 *      `-- D: [0x7ff..000, 2 pages)  ro      map of A's pages 0-1
 *
 * revoke(A, page 2) removes B's node (its pages 0-3 hold page 2) and so
 * C's; D stays. Removing a node unmaps its pages from its space (one
 * page_put each: the frame lives while any mapping does) and leaves that
 * space's region alone (its owner may be running: see Context below).
 *
 * Invariants (share.h's, plus):
 *   [x] every node is on its space's list and, derived, on its parent's
 *       children; nothing else points to a node;
 *   [x] a call that fails changed nothing but faulting in the sender's
 *       pages (demand-zero or a private copy: invisible to the user).
 * Context and lock order: see share.h. The database's spinlock
 * ("share database") is held for the whole of each call. Another space
 * is changed only (a) by map and grant, when its owner is blocked in IPC,
 * or (b) by revoke and exit (and munmap of a mapping others derived
 * from), which only unmap pages of nodes there, with paging_unmap (the
 * page tables' lock, which the owner's own calls take too, and the TLB
 * shootdown to every CPU running it) and page_put. Its region set is never
 * touched, so the owner's pointers into it stay valid. The owner's calls
 * that would race with that unmapping take the database's lock too:
 * munmap of any space that has nodes (share_unmap); mprotect of shared
 * pages tolerates pages gone meanwhile (user_space.c); its faults never map
 * a shared page (mm/fault.c). An exiting space leaves the database first
 * (share_space_exit from user_space_destroy), so no one reaches it after.
 */
#include "mm/share.h"

#include <stdarg.h>

#include "lib/align.h"
#include "lib/compiler.h"
#include "lib/errno.h"
#include "lib/lab.h"
#include "lib/list.h"
#include "lib/panic.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/anon.h"
#include "mm/buddy.h"
#include "mm/fault.h"
#include "mm/kmalloc.h"
#include "mm/page.h"
#include "mm/region.h"
#include "mm/spinlock.h"
#include "mm/user_space.h"

#define SHARE_FLAGS (SHARE_WRITE | SHARE_FIXED | SHARE_PAGER)
#define SHARE_MAP_NAME "[ipc map]"
#define SHARE_GRANT_NAME "[ipc grant]"

struct share_node {
	struct user_space *space;
	virt_addr_t start, end;          /* the mapping's pages in space */
	virt_addr_t src;                 /* derived: where start's page is in the parent's space */
	struct share_node *parent;       /* NULL: a root (the space's own pages) */
	struct list_node children;       /* derived from this one (their sibling links) */
	struct list_node sibling;        /* in parent->children */
	struct share_node *space_next, *space_prev; /* the space's list */
	unsigned rights;                 /* derived: MAP_WRITE, MAP_EXEC it was received with:
					  * mprotect may never add others */
};

static spinlock_t share_lock = SPINLOCK_INIT("share database");

/* ---- the tree ---- */

static struct share_node *node_new(void)
{
	struct share_node *n = kmalloc(sizeof(*n), KM_ZERO);

	if (n) {
		list_init(&n->children);
		list_init(&n->sibling);
	}
	return n;
}

static void node_link_space(struct share_node *n, struct user_space *us)
{
	n->space = us;
	n->space_prev = NULL;
	n->space_next = us->share_nodes;
	if (n->space_next)
		n->space_next->space_prev = n;
	__atomic_store_n(&us->share_nodes, n, __ATOMIC_RELEASE); /* share_unmap's unlocked look */
}

static void node_link_parent(struct share_node *n, struct share_node *parent, virt_addr_t src)
{
	n->parent = parent;
	n->src = src;
	list_add_tail(&parent->children, &n->sibling);
}

/* Take n off its space's list and its parent's children, and free it. */
static void node_free(struct share_node *n)
{
	ASSERT(list_empty(&n->children), "node_free: the node still has children");
	if (n->space_prev)
		n->space_prev->space_next = n->space_next;
	else
		__atomic_store_n(&n->space->share_nodes, n->space_next, __ATOMIC_RELEASE);
	if (n->space_next)
		n->space_next->space_prev = n->space_prev;
	list_remove(&n->sibling);
	kfree(n);
}

/* A root lives while it has children: free it when the last one went. */
static void node_prune(struct share_node *n)
{
	if (n && !n->parent && list_empty(&n->children))
		node_free(n);
}

static bool node_overlaps(const struct share_node *n, virt_addr_t start, virt_addr_t end)
{
	return n->start < end && start < n->end;
}

/* Does derived node c take any page from [start, end) of its parent's space? */
static bool node_derives_from(const struct share_node *c, virt_addr_t start, virt_addr_t end)
{
	return c->src < end && start < c->src + (c->end - c->start);
}

/*
 * Unmap every page of [start, end) of us: each mapping held one reference
 * to its frame (page_put) and counted in AnonPages. paging_unmap tells
 * every CPU that may cache the pages before it returns, so no CPU can use
 * a frame the page_put frees. us's regions are left alone.
 */
static void share_drop_pages(struct user_space *us, virt_addr_t start, virt_addr_t end)
{
	struct paging_run_batch batch;
	virt_addr_t va = start;

	while (va < end && paging_next_runs(&us->as, va, end, &batch)) {
		for (unsigned i = 0; i < batch.count; i++) {
			const struct paging_run *run = &batch.runs[i];
			uint64_t pages = (run->end - run->start) / PAGE_SIZE;

			MUST_SUCCEED(paging_unmap(&us->as, run->start, run->end - run->start),
				     "share_drop_pages: unmapping 4 KiB user pages needs no split");
			for (uint64_t k = 0; k < pages; k++)
				page_put(phys_to_page(run->pa + k * PAGE_SIZE));
			fault_count_user(&fault_user_anon_mapped, run->start, -(int64_t)pages);
			va = run->end;
		}
	}
}

/*
 * Remove derived node n and everything derived from it, recursively: the
 * pages of each leave its space (drop: n's own too; its space's teardown
 * frees them otherwise). Adds the nodes removed to *count. n's parent is
 * not pruned (the caller may be walking its children).
 */
static void node_destroy(struct share_node *n, bool drop, long *count)
{
	while (!list_empty(&n->children))
		node_destroy(list_entry(n->children.next, struct share_node, sibling), true, count);
	if (drop)
		share_drop_pages(n->space, n->start, n->end);
	node_free(n);
	(*count)++;
}

/*
 * Remove every child of n with a page from [start, end) of n's space.
 * Returns true if one went (the caller restarts its walk of the lists:
 * the removal may have freed nodes of any space, its own included).
 */
static bool node_cut_children(struct share_node *n, virt_addr_t start, virt_addr_t end,
			      long *count)
{
	struct list_node *it;

	for (it = n->children.next; it != &n->children; it = it->next) {
		struct share_node *c = list_entry(it, struct share_node, sibling);
		if (node_derives_from(c, start, end)) {
			node_destroy(c, true, count);
			return true;
		}
	}
	return false;
}

/* ---- checks of map and grant ---- */

/* Is [va, va + len) page-aligned, non-empty and inside the user half? */
static bool share_range_valid(virt_addr_t va, uint64_t len)
{
	return IS_ALIGNED(va, PAGE_SIZE) && IS_ALIGNED(len, PAGE_SIZE) && len > 0 &&
	       va >= USER_START && va <= USER_TOP && len <= USER_TOP - va;
}

/*
 * The sender's range and the rights the receiver gets. Every page of [va,
 * end) must lie in a region the user may read, of a kind that may be
 * passed: map takes ANON, COW, GRANTED, SHARED, or a writable FILE one (its
 * pages become private copies first: a program's .data); grant the same but
 * SHARED (a SHARED or PAGER one is -EBUSY: others map it, or it is a
 * pager's); anything else (no region, the stack, PROT_NONE, read-only file
 * pages, a PAGER region for map) is -EFAULT. The sender holds the
 * intersection of the regions' prots; SHARE_WRITE on a range it cannot write
 * all of is -EACCES. On success *prot is what the receiver gets: MAP_USER,
 * MAP_EXEC if the sender holds it, MAP_WRITE if SHARE_WRITE, nothing more.
 * Returns 0, -EFAULT, -EBUSY, -EACCES (in that order of precedence).
 */
static int source_check(struct user_space *from, virt_addr_t va, virt_addr_t end, bool grant,
			unsigned flags, unsigned *prot)
{
	/* LAB 8 BEGIN share_source_check: which memory may be passed, and the receiver's rights */
	unsigned held = REGION_PROT_MASK;

	while (va < end) {
		struct region r;
		if (!region_find_copy(&from->regions, va, &r) || !(r.prot & MAP_USER))
			return -EFAULT;
		if (grant && (r.kind == REGION_SHARED || r.kind == REGION_PAGER))
			return -EBUSY;
		if (r.kind != REGION_ANON && r.kind != REGION_COW && r.kind != REGION_GRANTED &&
		    r.kind != REGION_SHARED && !(r.kind == REGION_FILE && (r.prot & MAP_WRITE)))
			return -EFAULT;
		held &= r.prot;
		va = r.end;
	}
	if ((flags & SHARE_WRITE) && !(held & MAP_WRITE))
		return -EACCES; /* nobody maps more than it holds */
	*prot = (held & (MAP_USER | MAP_EXEC)) | (flags & SHARE_WRITE ? MAP_WRITE : 0);
	return 0;
	/* LAB 8 END share_source_check */
}

/*
 * Make the page at va of from (in private region r) present and the
 * sender's own frame (refcount 1), so that a later write on the sender's
 * side cannot copy it away from the receiver: a write fault resolves it in
 * a writable region (demand-zero, copy-on-write, a file page's private
 * copy); in a read-only one a read fault maps it and a frame fork still
 * shares is copied here. 0, -EFAULT, -ENOMEM. Interrupts on or off (the
 * fault is handled with them off, as the #PF handler would).
 */
static int source_own_page(struct user_space *from, const struct region *r, virt_addr_t va)
{
	struct paging_translation t;
	struct fault f;
	bool present = paging_translate(&from->as, va, &t) == 0;

	if (present && (t.flags & MAP_WRITE))
		return 0; /* writable: the fault handler made it the space's own */
	if (r->prot & MAP_WRITE || !present) {
		unsigned access = FAULT_USER | (r->prot & MAP_WRITE ? FAULT_WRITE : 0) |
				  (present ? FAULT_PRESENT : 0);
		unsigned long irq = arch_irq_save();
		int err = fault_handle(&from->as, va, access, &f);
		arch_irq_restore(irq);
		if (err)
			return f.violation == VIOLATION_NO_MEMORY ? -ENOMEM : -EFAULT;
		if (paging_translate(&from->as, va, &t) != 0)
			return -EFAULT;
	}
	struct page *old = phys_to_page(t.pa & ~(PAGE_SIZE - 1));
	if (!old)
		return -EFAULT;
	if (old->refcount == 1)
		return 0;
	struct page *copy = alloc_page(0); /* read-only, still shared by fork: copy it */
	if (!copy)
		return -ENOMEM;
	memcpy(page_address(copy), page_address(old), PAGE_SIZE);
	if (paging_map(&from->as, va, page_to_phys(copy), PAGE_SIZE,
		       (t.flags & REGION_PROT_MASK) | MAP_SIZE_4K | MAP_REPLACE) != 0) {
		MUST_SUCCEED(free_page(copy), "source_own_page: freeing the copy just allocated");
		return -ENOMEM;
	}
	page_put(old);
	return 0;
}

/*
 * Fault in every page of [va, end) of from: private pages become the
 * sender's own (source_own_page); a SHARED page must be there already
 * (a revoked one cannot be passed on: -EFAULT).
 */
static int source_fault_in(struct user_space *from, virt_addr_t va, virt_addr_t end)
{
	struct region r = {0};

	for (; va < end; va += PAGE_SIZE) {
		struct paging_translation t;
		int err = 0;
		if (va >= r.end && !region_find_copy(&from->regions, va, &r))
			return -EFAULT;
		if (r.kind == REGION_SHARED)
			err = paging_translate(&from->as, va, &t) == 0 ? 0 : -EFAULT;
		else
			err = source_own_page(from, &r, va);
		if (err)
			return err;
	}
	return 0;
}

/*
 * The sender's side of a map or grant: its range checked (source_check:
 * *prot the receiver's rights) and faulted in. Called twice: first without
 * the database's lock, where the faults and copies happen (so the lock is
 * held with interrupts off only for the bookkeeping), then under it, where
 * the same walk finds every page in place and only checks (a revoke may
 * have taken a SHARED page between the two: -EFAULT then).
 */
static int source_prepare(struct user_space *from, virt_addr_t va, virt_addr_t end, bool grant,
			  unsigned flags, unsigned *prot)
{
	int err = source_check(from, va, end, grant, flags, prot);

	return err ? err : source_fault_in(from, va, end);
}

/*
 * Where the pages go in to: *to_va exactly (SHARE_FIXED: free, or with
 * SHARE_PAGER inside one PAGER region, whose prot then caps *prot), else
 * the highest free range. 0, -EINVAL, -EEXIST, -ENOMEM.
 */
static int dest_place(struct user_space *to, uint64_t len, unsigned flags, virt_addr_t *to_va,
		      unsigned *prot)
{
	if (!(flags & SHARE_FIXED)) {
		*to_va = user_space_place(to, len);
		return *to_va ? 0 : -ENOMEM;
	}
	if (!share_range_valid(*to_va, len))
		return -EINVAL;
	if (flags & SHARE_PAGER) {
		struct region r;
		if (!region_find_copy(&to->regions, *to_va, &r) || r.kind != REGION_PAGER ||
		    r.end < *to_va + len)
			return -EINVAL;
		*prot &= r.prot;
		return 0;
	}
	return user_space_range_used(to, *to_va, *to_va + len) ? -EEXIST : 0;
}

/*
 * Map the frames behind [va, va + len) of from (present, faulted in) at dst
 * of to, with prot (the receiver's rights) as 4 KiB pages: the same frames,
 * each gaining one owner (page_get) and counted in AnonPages (a mapping
 * each). On failure the pages mapped so far are unmapped again (their
 * owners given back: share_drop_pages) and -EEXIST (a pager page there
 * already) or -ENOMEM (no page table) is returned: nothing changed.
 */
static int dest_map_frames(struct user_space *from, virt_addr_t va, uint64_t len,
			   struct user_space *to, virt_addr_t dst, unsigned prot)
{
	/* LAB 8 BEGIN share_map_frames: map the sender's frames at dst, one more owner each */
	for (uint64_t off = 0; off < len; off += PAGE_SIZE) {
		struct paging_translation t;
		MUST_SUCCEED(paging_translate(&from->as, va + off, &t),
			     "dest_map_frames: the sender's pages were faulted in");
		phys_addr_t pa = t.pa & ~(PAGE_SIZE - 1);
		int err = paging_map(&to->as, dst + off, pa, PAGE_SIZE, prot | MAP_SIZE_4K);
		if (err) {
			share_drop_pages(to, dst, dst + off);
			return err == -EEXIST ? -EEXIST : -ENOMEM;
		}
		page_get(phys_to_page(pa));
		fault_count_user(&fault_user_anon_mapped, dst + off, 1);
	}
	return 0;
	/* LAB 8 END share_map_frames */
}

/*
 * Grant's move of [va, va + len) of from to dst of to (whose region the
 * caller made): the receiver maps the frames (dest_map_frames), then the
 * sender's region goes and its pages with it (share_drop_pages: unmapped
 * with a TLB shootdown on every CPU running from, one owner less each), so
 * each frame ends with one owner, the receiver, and AnonPages is as it was.
 * On failure nothing changed (to's pages unmapped again; the caller removes
 * to's region): -EEXIST, -ENOMEM (a page table, or the split of from's
 * region).
 */
static int grant_move(struct user_space *from, virt_addr_t va, uint64_t len,
		      struct user_space *to, virt_addr_t dst, unsigned prot)
{
	/* LAB 8 BEGIN share_grant_move: the receiver maps the frames, the sender loses region and pages */
	int err = dest_map_frames(from, va, len, to, dst, prot);

	if (err)
		return err;
	if (region_remove(&from->regions, va, va + len) != 0) {
		share_drop_pages(to, dst, dst + len);
		return -ENOMEM;
	}
	share_drop_pages(from, va, va + len);
	return 0;
	/* LAB 8 END share_grant_move */
}

/* The receiver's new region [dst, dst + len): kind and prot, named for pmap. */
static int dest_region(struct user_space *to, virt_addr_t dst, uint64_t len,
		       enum region_kind kind, unsigned prot, const char *name)
{
	struct region r = {.start = dst, .end = dst + len, .prot = prot, .kind = kind};

	strlcpy(r.name, name, sizeof(r.name));
	return region_insert(&to->regions, &r);
}

/* The arguments every map and grant checks first: -EINVAL, or -EFAULT (outside the user half). */
static int share_args(struct user_space *from, virt_addr_t va, uint64_t len, unsigned flags,
		      struct user_space *to, virt_addr_t *to_va)
{
	if (!from || !to || from == to || !to_va || (flags & ~SHARE_FLAGS) ||
	    ((flags & SHARE_PAGER) && !(flags & SHARE_FIXED)) || !IS_ALIGNED(va, PAGE_SIZE) ||
	    !IS_ALIGNED(len, PAGE_SIZE) || len == 0)
		return -EINVAL;
	if (!share_range_valid(va, len))
		return -EFAULT; /* not the sender's to reach */
	return len > SHARE_MAX_BYTES ? -EINVAL : 0;
}

/*
 * The sender's node the new mapping derives from: the one of from holding
 * all of [va, end), else a root covering it, made from or by extending the
 * roots it overlaps (merged into one: their children move to it). A
 * received mapping only partly inside is -EFAULT. *spare is a node
 * allocated beforehand, used (and set NULL) when a new root is needed.
 */
static struct share_node *source_node(struct user_space *from, virt_addr_t va, virt_addr_t end,
				      struct share_node **spare)
{
	struct share_node *root = NULL, *n, *next;
	virt_addr_t start = va, stop = end;

	for (n = from->share_nodes; n; n = n->space_next) {
		if (n->start <= va && end <= n->end)
			return n;
		if (node_overlaps(n, va, end)) {
			if (n->parent)
				return NULL;
			start = MIN(start, n->start);
			stop = MAX(stop, n->end);
		}
	}
	for (n = from->share_nodes; n; n = next) {
		next = n->space_next;
		if (!node_overlaps(n, va, end))
			continue;
		if (!root) {
			root = n;
			continue;
		}
		while (!list_empty(&n->children)) { /* merge n into root */
			struct share_node *c = list_entry(n->children.next, struct share_node, sibling);
			list_remove(&c->sibling);
			list_add_tail(&root->children, &c->sibling);
			c->parent = root;
		}
		node_free(n);
	}
	if (!root) {
		root = *spare;
		*spare = NULL;
		node_link_space(root, from);
	}
	root->start = start;
	root->end = stop;
	return root;
}

/* Is there a received (derived) node of from partly inside [va, end)? */
static bool source_straddles(const struct user_space *from, virt_addr_t va, virt_addr_t end)
{
	for (const struct share_node *n = from->share_nodes; n; n = n->space_next)
		if (node_overlaps(n, va, end) && n->parent && !(n->start <= va && end <= n->end))
			return true;
	return false;
}

int share_map(struct user_space *from, virt_addr_t va, uint64_t len, unsigned flags,
	      struct user_space *to, virt_addr_t *to_va)
{
	int err = share_args(from, va, len, flags, to, to_va);
	if (err)
		return err;
	virt_addr_t end = va + len, dst = *to_va;
	unsigned prot = 0;
	struct share_node *child = node_new(), *root = node_new();

	err = source_prepare(from, va, end, false, flags, &prot); /* the faults: no lock held */
	unsigned long irq = spin_lock_irqsave(&share_lock);
	if (!err)
		err = source_prepare(from, va, end, false, flags, &prot); /* still all there? */
	if (!err && source_straddles(from, va, end))
		err = -EFAULT;
	if (!err && (!child || !root))
		err = -ENOMEM;
	if (!err)
		err = dest_place(to, len, flags, &dst, &prot);
	if (!err && !(flags & SHARE_PAGER))
		err = dest_region(to, dst, len, REGION_SHARED, prot, SHARE_MAP_NAME);
	if (!err) {
		err = dest_map_frames(from, va, len, to, dst, prot);
		if (!err && region_set_kind(&from->regions, va, end, REGION_SHARED) != 0) {
			share_drop_pages(to, dst, dst + len);
			err = -ENOMEM;
		}
		if (err && !(flags & SHARE_PAGER))
			MUST_SUCCEED(region_remove(&to->regions, dst, dst + len),
				     "share_map: removing the whole region just inserted");
	}
	if (!err) {
		struct share_node *parent = source_node(from, va, end, &root);
		ASSERT(parent, "share_map: source_straddles let a straddling range through");
		child->start = dst;
		child->end = dst + len;
		child->rights = prot & (MAP_WRITE | MAP_EXEC);
		node_link_parent(child, parent, va);
		node_link_space(child, to);
		child = NULL;
		*to_va = dst;
	}
	spin_unlock_irqrestore(&share_lock, irq);
	kfree(child);
	kfree(root);
	return err;
}

int share_grant(struct user_space *from, virt_addr_t va, uint64_t len, unsigned flags,
		struct user_space *to, virt_addr_t *to_va)
{
	int err = share_args(from, va, len, flags, to, to_va);
	if (!err && (flags & SHARE_PAGER))
		err = -EINVAL; /* a pager answers with a map */
	if (err)
		return err;
	virt_addr_t end = va + len, dst = *to_va;
	unsigned prot = 0;

	err = source_prepare(from, va, end, true, flags, &prot); /* the faults: no lock held */
	unsigned long irq = spin_lock_irqsave(&share_lock);
	if (!err)
		err = source_prepare(from, va, end, true, flags, &prot); /* still all there? */
	if (!err)
		err = dest_place(to, len, flags, &dst, &prot);
	if (!err)
		err = dest_region(to, dst, len, REGION_GRANTED, prot, SHARE_GRANT_NAME);
	if (!err) {
		err = grant_move(from, va, len, to, dst, prot);
		if (err)
			MUST_SUCCEED(region_remove(&to->regions, dst, dst + len),
				     "share_grant: removing the whole region just inserted");
	}
	if (!err)
		*to_va = dst;
	spin_unlock_irqrestore(&share_lock, irq);
	return err;
}

long share_revoke(struct user_space *us, virt_addr_t va, uint64_t len)
{
	/* LAB 8 BEGIN share_revoke: challenge: take back every mapping derived from the range */
	long count = 0;

	if (!us || !IS_ALIGNED(va, PAGE_SIZE) || len == 0 || len > USER_TOP ||
	    !share_range_valid(va, ALIGN_UP(len, PAGE_SIZE)))
		return -EINVAL;
	virt_addr_t end = va + ALIGN_UP(len, PAGE_SIZE);
	unsigned long irq = spin_lock_irqsave(&share_lock);
	struct share_node *n = us->share_nodes;

	while (n) {
		if (node_overlaps(n, va, end) && node_cut_children(n, va, end, &count)) {
			node_prune(n);
			n = us->share_nodes; /* the lists changed: walk again */
		} else {
			n = n->space_next;
		}
	}
	spin_unlock_irqrestore(&share_lock, irq);
	return count;
	/* LAB 8 END share_revoke */
}

void share_space_exit(struct user_space *us)
{
	long count = 0;
	struct share_node *n;

	if (!__atomic_load_n(&us->share_nodes, __ATOMIC_ACQUIRE))
		return;
	unsigned long irq = spin_lock_irqsave(&share_lock);
	while ((n = us->share_nodes) != NULL) {
		struct share_node *parent = n->parent;
		while (!list_empty(&n->children))
			node_destroy(list_entry(n->children.next, struct share_node, sibling), true,
				     &count);
		node_free(n); /* its own pages: the space's teardown puts them */
		node_prune(parent);
	}
	spin_unlock_irqrestore(&share_lock, irq);
}

/*
 * Trim node n of its pages in [start, end) (they went with the regions):
 * it goes if all were inside, keeps one side, or is split in two with
 * spare as the upper part (its children move with their pages).
 */
static void node_trim(struct share_node *n, virt_addr_t start, virt_addr_t end,
		      struct share_node **spare)
{
	if (start <= n->start && n->end <= end) {
		struct share_node *parent = n->parent;
		node_free(n);
		node_prune(parent);
	} else if (n->start < start && end < n->end) {
		struct share_node *upper = *spare;
		struct list_node *it, *next;
		*spare = NULL;
		upper->start = end;
		upper->end = n->end;
		upper->rights = n->rights;
		if (n->parent)
			node_link_parent(upper, n->parent, n->src + (end - n->start));
		node_link_space(upper, n->space);
		for (it = n->children.next; it != &n->children; it = next) {
			struct share_node *c = list_entry(it, struct share_node, sibling);
			next = it->next;
			if (c->src >= end) {
				list_remove(&c->sibling);
				list_add_tail(&upper->children, &c->sibling);
				c->parent = upper;
			}
		}
		n->end = start;
		node_prune(upper);
		node_prune(n);
	} else if (n->start < start) {
		n->end = start;
		node_prune(n);
	} else {
		if (n->parent)
			n->src += end - n->start;
		n->start = end;
		node_prune(n);
	}
}

int share_unmap(struct user_space *us, virt_addr_t start, virt_addr_t end)
{
	struct share_node *spare = NULL, *n;
	long count = 0;
	int err;

	if (!__atomic_load_n(&us->share_nodes, __ATOMIC_ACQUIRE))
		return region_release_range(&us->as, start, end); /* nothing shared: no lock */
	unsigned long irq = spin_lock_irqsave(&share_lock);
	for (n = us->share_nodes; n; n = n->space_next)
		if (n->start < start && end < n->end && !(spare = node_new())) {
			spin_unlock_irqrestore(&share_lock, irq);
			return -ENOMEM;
		}
	err = region_release_range(&us->as, start, end);
	n = err ? NULL : us->share_nodes;
	while (n) {
		if (!node_overlaps(n, start, end)) {
			n = n->space_next;
			continue;
		}
		if (!node_cut_children(n, start, end, &count))
			node_trim(n, start, end, &spare);
		n = us->share_nodes; /* the lists changed: walk again */
	}
	spin_unlock_irqrestore(&share_lock, irq);
	kfree(spare);
	return err;
}

int share_protect_check(const struct user_space *us, virt_addr_t start, virt_addr_t end,
			unsigned prot)
{
	int err = 0;

	if (!__atomic_load_n(&us->share_nodes, __ATOMIC_ACQUIRE))
		return 0;
	unsigned long irq = spin_lock_irqsave(&share_lock);
	for (const struct share_node *n = us->share_nodes; n; n = n->space_next)
		if (n->parent && (prot & (MAP_WRITE | MAP_EXEC) & ~n->rights) &&
		    node_overlaps(n, start, end))
			err = -EACCES;
	spin_unlock_irqrestore(&share_lock, irq);
	return err;
}

void share_space_move(struct user_space *dst, struct user_space *src)
{
	if (!__atomic_load_n(&src->share_nodes, __ATOMIC_ACQUIRE)) {
		*dst = *src;
		return;
	}
	unsigned long irq = spin_lock_irqsave(&share_lock);
	*dst = *src;
	for (struct share_node *n = dst->share_nodes; n; n = n->space_next)
		n->space = dst;
	spin_unlock_irqrestore(&share_lock, irq);
}

unsigned share_node_count(const struct user_space *us)
{
	unsigned count = 0;
	unsigned long irq = spin_lock_irqsave(&share_lock);

	for (const struct share_node *n = us->share_nodes; n; n = n->space_next)
		count++;
	spin_unlock_irqrestore(&share_lock, irq);
	return count;
}

static char share_violation_text[160];

static const char *share_violation(const char *fmt, ...) __printf(1, 2);
static const char *share_violation(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(share_violation_text, sizeof(share_violation_text), fmt, ap);
	va_end(ap);
	return share_violation_text;
}

/* The checks of one node n of us (the lock held). */
static const char *check_node(const struct user_space *us, const struct share_node *n)
{
	struct region r;

	if (n->space != us || n->start >= n->end || !share_range_valid(n->start, n->end - n->start))
		return share_violation("share_check_space: node [0x%lx, 0x%lx) bad", n->start,
				       n->end);
	if (n->space_next && n->space_next->space_prev != n)
		return share_violation("share_check_space: node 0x%lx: list broken", n->start);
	for (const struct share_node *o = n->space_next; o; o = o->space_next)
		if (node_overlaps(o, n->start, n->end))
			return share_violation("share_check_space: nodes 0x%lx and 0x%lx overlap",
					       n->start, o->start);
	if (!n->parent && list_empty(&n->children))
		return share_violation("share_check_space: root 0x%lx has no children", n->start);
	if (n->parent && (n->src < n->parent->start ||
			  n->src + (n->end - n->start) > n->parent->end))
		return share_violation("share_check_space: node 0x%lx: source 0x%lx outside its "
				       "parent [0x%lx, 0x%lx)", n->start, n->src,
				       n->parent->start, n->parent->end);
	for (virt_addr_t va = n->start; va < n->end; va = r.end)
		if (!region_find_copy(&us->regions, va, &r) ||
		    (r.kind != REGION_SHARED && r.kind != REGION_PAGER))
			return share_violation("share_check_space: node page 0x%lx not in a shared "
					       "or pager region", va);
	return NULL;
}

const char *share_check_space(const struct user_space *us)
{
	const char *why = NULL;
	unsigned long irq = spin_lock_irqsave(&share_lock);

	for (const struct share_node *n = us->share_nodes; n && !why; n = n->space_next)
		why = check_node(us, n);
	spin_unlock_irqrestore(&share_lock, irq);
	return why;
}
