/*
 * anon.c - anonymous regions: create, share copy-on-write, release (anon.h).
 *
 * Page tables are walked only where something is mapped
 * (paging_for_each_range), so releasing a large, mostly untouched lazy
 * region costs what was touched, not its size: one walk per batch of
 * mapped runs (paging_next_runs) and one unmap per run. The user memory
 * calls (mm/user_space.c) release through region_release_range too.
 * Invariants (on top of mm/fault.c's):
 *   [x] every frame mapped in an anonymous region came from alloc_page()
 *       and has one owner per mapping of it;
 *   [x] a failed call changes nothing: no region, no mapping, no refcount.
 * Context: process context, any CPU; a space's changes are ordered by
 * its owner (one thread changes a space's regions at a time).
 * Lock order: every region_* and paging_* call takes the set's or the
 * space's lock for itself and releases it, so no two are held at once
 * (copy-on-write sharing touches two spaces one call at a time);
 * page_get/page_put are atomic, and frames come from the zone locks inside
 * alloc_page. Nothing sleeps.
 */
#include "mm/anon.h"

#include "lib/align.h"
#include "lib/errno.h"
#include "lib/lab.h"
#include "lib/panic.h"
#include "lib/string.h"
#include "mm/buddy.h"
#include "mm/fault.h"
#include "mm/page.h"
#include "mm/region.h"

/* Is [start, end) page-aligned, non-empty, canonical and not wrapping? */
static __always_inline bool good_range(virt_addr_t start, uint64_t size)
{
	return size > 0 && IS_ALIGNED(start, PAGE_SIZE) && IS_ALIGNED(size, PAGE_SIZE) &&
	       start + size > start && paging_canonical(start) &&
	       paging_canonical(start + size - 1);
}

virt_addr_t anon_find_free(const struct address_space *as, virt_addr_t window,
			   uint64_t window_size, uint64_t bytes)
{
	const struct region_set *set = as->regions;
	virt_addr_t candidate = window + PAGE_SIZE, end = window + window_size;

	if (!set || bytes == 0)
		return 0;
	const struct region *r = region_find(set, window);
	if (r)
		candidate = MAX(candidate, r->end + PAGE_SIZE);
	/* Regions are sorted: walk them upwards with region_next(). */
	for (;;) {
		if (candidate + bytes + PAGE_SIZE > end || candidate + bytes < candidate)
			return 0;
		/* The lowest region starting at or above candidate - PAGE_SIZE: one that
		 * begins right where the previous one ends (a stack on its guard page)
		 * counts too, so "- 1" (region_next looks strictly above). */
		const struct region *next = region_next(set, candidate - PAGE_SIZE - 1);
		if (!next || next->start >= candidate + bytes + PAGE_SIZE)
			return candidate;
		candidate = next->end + PAGE_SIZE;
	}
}

virt_addr_t anon_create(struct address_space *as, virt_addr_t window, uint64_t window_size,
			uint64_t size, const char *name)
{
	if (!as->regions || size == 0 || size > window_size)
		return 0;
	uint64_t bytes = ALIGN_UP(size, PAGE_SIZE);
	virt_addr_t start = anon_find_free(as, window, window_size, bytes);
	if (!start)
		return 0;
	struct region r = {.start = start, .end = start + bytes, .prot = MAP_WRITE,
			   .kind = REGION_ANON};
	strlcpy(r.name, name, sizeof(r.name));
	return region_insert(as->regions, &r) == 0 ? start : 0;
}

virt_addr_t anon_create_stack(struct address_space *as, virt_addr_t window,
			      uint64_t window_size, uint64_t size, uint64_t max_size,
			      const char *name)
{
	if (!as->regions || size == 0 || max_size < size || max_size > window_size)
		return 0;
	uint64_t bytes = ALIGN_UP(size, PAGE_SIZE), max_bytes = ALIGN_UP(max_size, PAGE_SIZE);
	/* guard page | room to grow (max - size) | the stack region (size) */
	virt_addr_t base = anon_find_free(as, window, window_size, PAGE_SIZE + max_bytes);
	if (!base)
		return 0;
	virt_addr_t limit = base + PAGE_SIZE, top = limit + max_bytes;
	struct region guard = {.start = base, .end = limit, .kind = REGION_GUARD};
	struct region stack = {.start = top - bytes, .end = top, .prot = MAP_WRITE,
			       .kind = REGION_STACK, .grow_limit = limit};
	strlcpy(guard.name, name, sizeof(guard.name));
	strlcpy(stack.name, name, sizeof(stack.name));
	if (region_insert(as->regions, &guard) != 0)
		return 0;
	if (region_insert(as->regions, &stack) != 0) {
		MUST_SUCCEED(region_remove(as->regions, guard.start, guard.end),
			     "anon_create_stack: removing a whole region just inserted");
		return 0;
	}
	return top;
}

/* Is every page of [start, end) inside ANON or COW regions? */
static bool covered_by_anon(const struct region_set *set, virt_addr_t start, virt_addr_t end)
{
	while (start < end) {
		const struct region *r = region_find(set, start);
		if (!r || (r->kind != REGION_ANON && r->kind != REGION_COW))
			return false;
		start = r->end;
	}
	return true;
}

/* paging_for_each_range callback: the first mapped range, then stop. */
struct first_range {
	bool found;
	virt_addr_t start, end;
	uint64_t page_size;
};

static bool take_first(virt_addr_t start, virt_addr_t end, phys_addr_t pa, uint64_t page_size,
		       unsigned flags, void *arg)
{
	struct first_range *first = arg;

	(void)pa;
	(void)flags;
	*first = (struct first_range){true, start, end, page_size};
	return false;
}

/* The first mapped range of as in [from, to), clipped to it; false if none. */
static bool next_mapped(const struct address_space *as, virt_addr_t from, virt_addr_t to,
			struct first_range *out)
{
	out->found = false;
	paging_for_each_range(as, from, to, take_first, out);
	if (!out->found)
		return false;
	out->start = MAX(out->start, from);
	out->end = MIN(out->end, to);
	return out->start < out->end;
}

uint64_t anon_resident_pages(const struct address_space *as, virt_addr_t start, virt_addr_t end)
{
	struct first_range m;
	uint64_t pages = 0;

	while (start < end && next_mapped(as, start, end, &m)) {
		pages += (m.end - m.start) / PAGE_SIZE;
		start = m.end;
	}
	return pages;
}

static __always_inline void drop_pages(struct address_space *as, const struct region *r,
				       virt_addr_t start, virt_addr_t end, bool count);

/*
 * Undo the first `done` bytes of a share: unmap them in dst, drop the owners
 * added. The AnonPages count is the caller's: a share counts its mappings
 * only once they all exist.
 */
static void cow_unshare(struct address_space *dst, virt_addr_t dst_va, uint64_t done)
{
	drop_pages(dst, NULL, dst_va, dst_va + done, false);
}

/*
 * Phase 1 of a share: map every page mapped in src's [src_va, src_va + size)
 * into dst at the same offset from dst_va, read-only, and give its frame one
 * more owner (page_get): afterwards each shared frame's refcount counts its
 * mappings. Returns 0, or on a failure undoes every page it mapped in dst
 * (cow_unshare) and returns -ENOMEM (no page table for dst) or -EINVAL (a
 * huge page, or a frame that is not RAM: nothing to count owners with).
 */
static int cow_share_frames(struct address_space *src, virt_addr_t src_va,
			    struct address_space *dst, virt_addr_t dst_va, uint64_t size)
{
	/* LAB 4 BEGIN anon_share_frames: map src's pages into dst read-only, one page_get each */
	struct first_range m;
	virt_addr_t va = src_va, end = src_va + size;

	while (va < end && next_mapped(src, va, end, &m)) {
		for (virt_addr_t p = m.start; p < m.end; p += PAGE_SIZE) {
			struct paging_translation t;
			if (paging_translate(src, p, &t) != 0)
				continue;
			unsigned flags = (t.flags & ~MAP_WRITE) | MAP_SIZE_4K;
			struct page *frame = phys_to_page(t.pa & ~(PAGE_SIZE - 1));
			if (!frame || t.page_size != PAGE_SIZE ||
			    paging_map(dst, dst_va + (p - src_va), t.pa & ~(PAGE_SIZE - 1),
				       PAGE_SIZE, flags) != 0) {
				cow_unshare(dst, dst_va, p - src_va);
				return frame && t.page_size == PAGE_SIZE ? -ENOMEM : -EINVAL;
			}
			page_get(frame);
		}
		va = m.end;
	}
	return 0;
	/* LAB 4 END anon_share_frames */
}

/*
 * Implementation note: first map every shared frame into dst (read-only,
 * one page_get each); only when all of that worked, write-protect the
 * source and retype both ranges. A failure in the first phase is undone
 * page by page; the second phase changes only existing entries and region
 * records, whose room was made before.
 */
int anon_cow_share(struct address_space *src, virt_addr_t src_va, struct address_space *dst,
		   virt_addr_t dst_va, uint64_t size, const char *name)
{
	if (!src->regions || !dst->regions || !good_range(src_va, size) ||
	    !good_range(dst_va, size))
		return -EINVAL;
	if (src == dst && src_va < dst_va + size && dst_va < src_va + size)
		return -EINVAL;
	if (!covered_by_anon(src->regions, src_va, src_va + size))
		return -ENOENT;
	struct first_range m;
	if (region_next(dst->regions, dst_va - 1) &&
	    region_next(dst->regions, dst_va - 1)->start < dst_va + size)
		return -EEXIST;
	if (region_find(dst->regions, dst_va) || next_mapped(dst, dst_va, dst_va + size, &m))
		return -EEXIST;

	struct region twin = {.start = dst_va, .end = dst_va + size, .prot = MAP_WRITE,
			      .kind = REGION_COW};
	strlcpy(twin.name, name, sizeof(twin.name));
	if (region_insert(dst->regions, &twin) != 0)
		return -ENOMEM;

	/* Phase 1: map the source's frames into dst, read-only. */
	int err = cow_share_frames(src, src_va, dst, dst_va, size);
	if (err) {
		MUST_SUCCEED(region_remove(dst->regions, twin.start, twin.end),
			     "anon_cow_share: removing the whole twin region just inserted");
		return err;
	}
	if (region_set_kind(src->regions, src_va, src_va + size, REGION_COW) != 0) {
		cow_unshare(dst, dst_va, size);
		MUST_SUCCEED(region_remove(dst->regions, twin.start, twin.end),
			     "anon_cow_share: removing the whole twin region just inserted");
		return -ENOMEM;
	}
	fault_count_user(&fault_user_anon_mapped, dst_va,
			 (int64_t)anon_resident_pages(dst, dst_va, dst_va + size));
	/* Phase 2 (the kinds changed above): write-protect the source's pages. */
	virt_addr_t end = src_va + size;
	virt_addr_t va = src_va;
	while (va < end && next_mapped(src, va, end, &m)) {
		for (virt_addr_t p = m.start; p < m.end; p += PAGE_SIZE) {
			struct paging_translation t;
			if (paging_translate(src, p, &t) == 0)
				MUST_SUCCEED(paging_protect(src, p, PAGE_SIZE, t.flags & ~MAP_WRITE),
					     "anon_cow_share: write-protecting a mapped 4 KiB page");
		}
		va = m.end;
	}
	return 0;
}

/*
 * Kinds whose mapped frames a release may drop (anything else: -EPERM).
 * SHARED and PAGER pages hold one reference each (share_map's page_get),
 * so dropping them is right too; their mapping database entries are
 * mm/share.c's (user_munmap releases them through share_unmap).
 */
static bool releasable(enum region_kind kind)
{
	return kind == REGION_ANON || kind == REGION_COW || kind == REGION_STACK ||
	       kind == REGION_GUARD || kind == REGION_FILE || kind == REGION_GRANTED ||
	       kind == REGION_SHARED || kind == REGION_PAGER;
}

/* Is every region that meets [start, end) of a releasable kind? */
static bool all_releasable(const struct region_set *set, virt_addr_t start, virt_addr_t end)
{
	for (virt_addr_t va = start; va < end;) {
		const struct region *r = region_find(set, va);
		if (r && !releasable(r->kind))
			return false;
		const struct region *next = r ? r : region_next(set, va);
		if (!next)
			break;
		va = r ? r->end : next->start;
	}
	return true;
}

/*
 * Unmap every mapped page of [start, end), all inside region r (a copy) or,
 * with r NULL, inside no region: a file's own frame is only unmapped (and
 * leaves the Mapped count), any other frame loses this owner (page_put, and
 * leaves the AnonPages count); count false: the counts are the caller's.
 * One page-table walk per batch of runs and one unmap per run: a run is
 * physically contiguous, so each page's frame is run->pa plus its offset.
 */
static __always_inline void drop_pages(struct address_space *as, const struct region *r,
				       virt_addr_t start, virt_addr_t end, bool count)
{
	struct paging_run_batch batch;
	virt_addr_t va = start;

	while (va < end && paging_next_runs(as, va, end, &batch)) {
		for (unsigned i = 0; i < batch.count; i++) {
			const struct paging_run *run = &batch.runs[i];
			int64_t file_pages = 0, pages = (int64_t)((run->end - run->start) / PAGE_SIZE);
			MUST_SUCCEED(paging_unmap(as, run->start, run->end - run->start),
				     "drop_pages: unmapping 4 KiB pages needs no split");
			for (virt_addr_t p = run->start; p < run->end; p += PAGE_SIZE) {
				phys_addr_t frame = run->pa + (p - run->start);
				if (r && region_is_file_frame(r, p, frame))
					file_pages++;
				else
					page_put(phys_to_page(frame));
			}
			/* A run lies in one half: count it by its start, once per counter. */
			if (count && file_pages)
				fault_count_user(&fault_user_file_mapped, run->start, -file_pages);
			if (count && pages > file_pages)
				fault_count_user(&fault_user_anon_mapped, run->start,
						 file_pages - pages);
			va = run->end;
		}
	}
}

/*
 * Walk [start, end) region by region (and the holes between), calling
 * drop_pages on each part; with remove, take each part's record out first.
 * found and *r: region_find_copy's answer for start (the caller looked).
 * Only the first part can need a split (a range strictly inside one
 * region, which is then the only part), so a failed remove changes nothing.
 */
static __always_inline int release_parts(struct address_space *as, virt_addr_t start,
					 virt_addr_t end, bool remove, bool found, struct region *r)
{
	virt_addr_t va = start;

	for (;;) {
		if (!found) {
			const struct region *next = region_next(as->regions, va);
			virt_addr_t hole_end = next && next->start < end ? next->start : end;
			drop_pages(as, NULL, va, hole_end, true);
			va = hole_end;
		} else {
			virt_addr_t part_end = MIN(r->end, end);
			if (remove) {
				int err = region_remove(as->regions, va, part_end);
				if (err)
					return err;
			}
			drop_pages(as, r, va, part_end, true);
			va = part_end;
		}
		if (va >= end)
			return 0;
		found = region_find_copy(as->regions, va, r);
	}
}

/*
 * region_release_range (remove) and region_zap_range: check everything
 * first, so that -EINVAL and -EPERM change nothing. A range inside one
 * region (munmap of a mapping, the common case) is checked with the one
 * lookup release_parts starts from.
 */
static int release_range(struct address_space *as, virt_addr_t start, virt_addr_t end,
			 bool remove)
{
	struct region r;

	if (!as->regions || !good_range(start, end - start)) /* also end <= start */
		return -EINVAL;
	bool found = region_find_copy(as->regions, start, &r);
	if (found && r.end >= end ? !releasable(r.kind) : !all_releasable(as->regions, start, end))
		return -EPERM;
	return release_parts(as, start, end, remove, found, &r);
}

int region_release_range(struct address_space *as, virt_addr_t start, virt_addr_t end)
{
	return release_range(as, start, end, true);
}

int anon_release(struct address_space *as, virt_addr_t start, virt_addr_t end)
{
	return region_release_range(as, start, end);
}

int region_zap_range(struct address_space *as, virt_addr_t start, virt_addr_t end)
{
	return release_range(as, start, end, false);
}
