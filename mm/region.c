/*
 * region.c - the region set of an address space (region.h has the idea,
 * the invariants and the contracts).
 *
 * Every lookup starts with one binary search, region_index_after(): the
 * first region whose end is above an address. Because the regions are
 * sorted and disjoint their ends are sorted too, so that index is where an
 * address is found, where a new region goes and where a range starts.
 *
 * Changes that can fail do all their checks and get the memory they need
 * (region_reserve) before they touch the array, so an error always leaves
 * the set as it was. Partial changes go through one helper, region_split(),
 * and end with one pass, region_merge_span(), that joins the neighbours
 * that became equal. Each public function takes the set's lock around its
 * work (the static helpers run with it held).
 * Lock order:
 *   [x] set->lock -> slab cache -> zone: region_reserve() kmallocs the new
 *       array with the set's lock held; kfree of an old array too;
 *   [x] no other lock is taken inside it; a set's lock never nests in
 *       another set's.
 */
#include "mm/region.h"

#include <stdarg.h>
#include <stdint.h>

#include "lib/align.h"
#include "lib/compiler.h"
#include "lib/errno.h"
#include "lib/panic.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/kmalloc.h"

#define REGION_FIRST_CAPACITY 8 /* slots of the first array; then doubled */

static const char *const region_kind_names[REGION_KINDS] = {
	[REGION_ANON] = "anon",
	[REGION_COW] = "cow",
	[REGION_STACK] = "stack",
	[REGION_GUARD] = "guard",
	[REGION_FILE] = "file",
	[REGION_DEVICE] = "device",
	[REGION_KERNEL_IMAGE] = "kernel image",
	[REGION_DIRECT_MAP] = "direct map",
	[REGION_VMALLOC] = "vmalloc",
	[REGION_SHARED] = "shared",
	[REGION_GRANTED] = "granted",
	[REGION_PAGER] = "pager",
};

/* What region_change_range() does to each part of a region in its range. */
struct region_change {
	bool set_kind;          /* true: change kind; false: change prot */
	unsigned prot;
	enum region_kind kind;
};

static int region_change_range(struct region_set *set, virt_addr_t start, virt_addr_t end,
			       const struct region_change *change);

void region_set_init(struct region_set *set)
{
	set->items = NULL;
	set->count = 0;
	set->capacity = 0;
	set->hint = 0;
	spin_lock_init(&set->lock, "region set");
}

void region_set_destroy(struct region_set *set)
{
	unsigned long irq = spin_lock_irqsave(&set->lock);
	struct region *items = set->items;

	set->items = NULL;
	set->count = 0;
	set->capacity = 0;
	spin_unlock_irqrestore(&set->lock, irq);
	kfree(items);
}

int region_set_clone(struct region_set *dst, const struct region_set *src)
{
	spinlock_t *src_lock = (spinlock_t *)&src->lock;
	size_t count = __atomic_load_n(&src->count, __ATOMIC_RELAXED);

	ASSERT(dst->count == 0 && dst->items == NULL, "region_set_clone: dst is not empty");
	for (;;) { /* kmalloc outside src's lock; retry if src grew meanwhile */
		size_t capacity = MAX(count, (size_t)REGION_FIRST_CAPACITY);
		struct region *items = kmalloc(capacity * sizeof(struct region), 0);
		if (!items)
			return -ENOMEM;
		unsigned long irq = spin_lock_irqsave(src_lock);
		count = src->count;
		if (count <= capacity) {
			memcpy(items, src->items, count * sizeof(struct region));
			spin_unlock_irqrestore(src_lock, irq);
			irq = spin_lock_irqsave(&dst->lock);
			dst->items = items;
			dst->count = count;
			dst->capacity = capacity;
			dst->hint = 0;
			spin_unlock_irqrestore(&dst->lock, irq);
			return 0;
		}
		spin_unlock_irqrestore(src_lock, irq);
		kfree(items);
	}
}

const char *region_kind_name(enum region_kind kind)
{
	if ((unsigned)kind >= REGION_KINDS)
		return "?";
	return region_kind_names[kind];
}

/*
 * [start, end) page-aligned, non-empty, not wrapping, canonical and in one
 * half: the last byte must be canonical too, and on the same side of the
 * hole as the first (bit 63 tells the halves apart).
 */
static bool region_range_valid(virt_addr_t start, virt_addr_t end)
{
	if (!IS_ALIGNED(start, PAGE_SIZE) || !IS_ALIGNED(end, PAGE_SIZE) || start >= end)
		return false;
	return paging_canonical(start) && paging_canonical(end - 1) && !((start ^ (end - 1)) >> 63);
}

/* A stack's grow_limit: aligned, at most start, in start's half. Others: 0. */
static bool region_grow_limit_valid(const struct region *r)
{
	if (r->kind != REGION_STACK)
		return r->grow_limit == 0;
	return IS_ALIGNED(r->grow_limit, PAGE_SIZE) && r->grow_limit <= r->start &&
	       paging_canonical(r->grow_limit) && !((r->grow_limit ^ r->start) >> 63);
}

/* A file region's file_phys is page-aligned; other kinds have no file. */
static bool region_file_valid(const struct region *r)
{
	if (r->kind != REGION_FILE)
		return r->file_phys == 0 && r->file_bytes == 0;
	return IS_ALIGNED(r->file_phys, PAGE_SIZE);
}

/*
 * Move r's start up to at (inside r): a file region's upper part begins
 * at + offset into the file, with that many fewer file bytes (never below 0).
 */
static void region_move_start(struct region *r, virt_addr_t at)
{
	uint64_t offset = at - r->start;

	if (r->kind == REGION_FILE) {
		r->file_phys += offset;
		r->file_bytes = r->file_bytes > offset ? r->file_bytes - offset : 0;
	}
	r->start = at;
}

/* Copy the name up to its NUL (at most REGION_NAME_SIZE - 1 bytes), zero-fill the rest. */
static void region_copy_name(char *dest, const char *src)
{
	size_t length = strnlen(src, REGION_NAME_SIZE - 1);

	memcpy(dest, src, length);
	memset(dest + length, 0, REGION_NAME_SIZE - length);
}

/*
 * Could a and b (a just below b) be one region? Only ANON, COW and GRANTED
 * (private memory) merge: the others stand for one thing each (a stack, a
 * guard, a device, one IPC mapping, one pager's range), and two stacks side
 * by side are still two stacks.
 */
static bool region_mergeable(const struct region *a, const struct region *b)
{
	return a->end == b->start &&
	       (a->kind == REGION_ANON || a->kind == REGION_COW || a->kind == REGION_GRANTED) &&
	       a->kind == b->kind && a->prot == b->prot && a->grow_limit == b->grow_limit &&
	       strncmp(a->name, b->name, REGION_NAME_SIZE) == 0;
}

/*
 * The index of the first region whose end is above va (count if none):
 * the region containing va if there is one, else where a region starting
 * at va would go. Lower-bound binary search on the (sorted) ends.
 */
static size_t region_index_after(const struct region_set *set, virt_addr_t va)
{
	size_t low = 0, high = set->count;

	while (low < high) {
		size_t middle = low + (high - low) / 2;

		if (set->items[middle].end > va)
			high = middle;
		else
			low = middle + 1;
	}
	return low;
}

/*
 * Make room for at least slots regions. The array grows geometrically
 * (8, 16, 32, ...) so n inserts cost O(n) copies in all; krealloc keeps the
 * old array intact when it fails, so -ENOMEM changes nothing.
 */
static int region_reserve(struct region_set *set, size_t slots)
{
	size_t capacity = set->capacity ? set->capacity : REGION_FIRST_CAPACITY;
	struct region *items;

	if (slots <= set->capacity)
		return 0;
	while (capacity < slots) {
		if (capacity > SIZE_MAX / 2 / sizeof(struct region))
			return -ENOMEM;
		capacity *= 2;
	}
	items = krealloc(set->items, capacity * sizeof(struct region), 0);
	if (!items)
		return -ENOMEM;
	set->items = items;
	set->capacity = capacity;
	return 0;
}

/* Drop the n regions from index on, closing the gap. */
static void region_delete(struct region_set *set, size_t index, size_t n)
{
	memmove(&set->items[index], &set->items[index + n],
		(set->count - index - n) * sizeof(struct region));
	set->count -= n;
}

/*
 * Cut region index in two at at (start < at < end): both halves keep every
 * attribute; the upper one becomes index + 1. The caller has reserved the
 * slot (region_reserve), so this cannot fail.
 */
static void region_split(struct region_set *set, size_t index, virt_addr_t at)
{
	struct region *r = &set->items[index];

	ASSERT(set->count < set->capacity, "region_split: no free slot (reserve first)");
	ASSERT(r->start < at && at < r->end, "region_split: address not inside the region");
	memmove(r + 1, r, (set->count - index) * sizeof(struct region));
	set->count++;
	r->end = at;
	region_move_start(&r[1], at);
}

/*
 * Merge every mergeable pair of neighbours among regions first .. last
 * (indices, clamped to the set). Changes only ever create such pairs
 * around the range they touched, so that is all there is to look at.
 */
static void region_merge_span(struct region_set *set, size_t first, size_t last)
{
	size_t index = first;

	while (index < last && index + 1 < set->count) {
		struct region *r = &set->items[index];

		if (region_mergeable(r, r + 1)) {
			r->end = r[1].end;
			region_delete(set, index + 1, 1);
			last--;
		} else {
			index++;
		}
	}
}

/*
 * Insertion point by binary search, then three cases that need no memory
 * (the new region joins its left neighbour, its right one, or bridges the
 * two) and one that does (a new slot, made before anything moves).
 */
static int insert_locked(struct region_set *set, const struct region *r)
{
	struct region new;
	size_t index;
	bool join_left, join_right;
	int err;

	if (!region_range_valid(r->start, r->end) || (unsigned)r->kind >= REGION_KINDS ||
	    (r->prot & ~REGION_PROT_MASK) || !region_grow_limit_valid(r) ||
	    !region_file_valid(r))
		return -EINVAL;
	new.start = r->start;
	new.end = r->end;
	new.prot = r->prot;
	new.kind = r->kind;
	new.grow_limit = r->grow_limit;
	new.file_phys = r->file_phys;
	new.file_bytes = r->file_bytes;
	region_copy_name(new.name, r->name);

	index = region_index_after(set, new.start);
	if (index < set->count && set->items[index].start < new.end)
		return -EEXIST;
	join_left = index > 0 && region_mergeable(&set->items[index - 1], &new);
	join_right = index < set->count && region_mergeable(&new, &set->items[index]);
	if (join_left && join_right) {
		set->items[index - 1].end = set->items[index].end;
		region_delete(set, index, 1);
	} else if (join_left) {
		set->items[index - 1].end = new.end;
	} else if (join_right) {
		set->items[index].start = new.start;
	} else {
		err = region_reserve(set, set->count + 1);
		if (err)
			return err;
		memmove(&set->items[index + 1], &set->items[index],
			(set->count - index) * sizeof(struct region));
		set->items[index] = new;
		set->count++;
	}
	return 0;
}

/*
 * The last region found is tried first: faults come in runs in one region
 * (a heap, a stack), and a hit costs two compares instead of the search.
 * Any region that contains va is the one (they are disjoint), so the hint
 * never needs invalidating, only checking.
 */
static const struct region *find_locked(const struct region_set *set, virt_addr_t va)
{
	size_t hint = set->hint;

	if (hint < set->count && set->items[hint].start <= va && va < set->items[hint].end)
		return &set->items[hint];
	size_t index = region_index_after(set, va);
	if (index < set->count && set->items[index].start <= va) {
		((struct region_set *)set)->hint = index; /* under the set's lock */
		return &set->items[index];
	}
	return NULL;
}

/*
 * The first region ending above va either contains va (then the next one
 * is the answer) or starts above it.
 */
static const struct region *next_locked(const struct region_set *set, virt_addr_t va)
{
	size_t index = region_index_after(set, va);

	if (index < set->count && set->items[index].start <= va)
		index++;
	return index < set->count ? &set->items[index] : NULL;
}

/*
 * Straddling regions are trimmed in place, so the only case that needs a
 * slot is a hole punched inside one region: split it at end, then trim the
 * lower half down to start.
 */
static int remove_locked(struct region_set *set, virt_addr_t start, virt_addr_t end)
{
	size_t first, last;
	int err;

	if (!region_range_valid(start, end))
		return -EINVAL;
	first = region_index_after(set, start);
	if (first == set->count || set->items[first].start >= end)
		return 0; /* no region in the range */
	if (set->items[first].start < start && set->items[first].end > end) {
		err = region_reserve(set, set->count + 1);
		if (err)
			return err;
		region_split(set, first, end);
		set->items[first].end = start;
		return 0;
	}
	if (set->items[first].start < start)
		set->items[first++].end = start;
	last = first;
	while (last < set->count && set->items[last].end <= end)
		last++;
	if (last < set->count && set->items[last].start < end)
		region_move_start(&set->items[last], end);
	region_delete(set, first, last - first);
	return 0;
}

/* Would change alter r? */
static bool region_differs(const struct region *r, const struct region_change *change)
{
	return change->set_kind ? r->kind != change->kind : r->prot != change->prot;
}

/* Apply change to r (a part that stops being a stack loses its grow_limit). */
static void region_apply(struct region *r, const struct region_change *change)
{
	if (change->set_kind) {
		r->kind = change->kind;
		if (r->kind != REGION_STACK)
			r->grow_limit = 0;
		if (r->kind != REGION_FILE) {
			r->file_phys = 0;
			r->file_bytes = 0;
		}
	} else {
		r->prot = change->prot;
	}
}

/*
 * The common body of region_protect and region_set_kind. First a read-only
 * pass: is [start, end) covered without a hole (else -ENOENT)? A region
 * straddling start or end is split only if it changes (so a no-op changes
 * nothing, and never fails for lack of memory): at most two splits, whose
 * slots are reserved before the first one. Then the parts inside are
 * changed and the neighbourhood merged.
 */
static int change_range_locked(struct region_set *set, virt_addr_t start, virt_addr_t end,
			       const struct region_change *change)
{
	size_t first, last, index;
	virt_addr_t covered = start;
	bool split_start, split_end;
	int err;

	if (!region_range_valid(start, end))
		return -EINVAL;
	first = region_index_after(set, start);
	for (index = first; covered < end; index++) {
		if (index == set->count || set->items[index].start > covered)
			return -ENOENT;
		covered = set->items[index].end;
	}
	last = index - 1;
	split_start = set->items[first].start < start &&
		      region_differs(&set->items[first], change);
	split_end = set->items[last].end > end && region_differs(&set->items[last], change);
	err = region_reserve(set, set->count + split_start + split_end);
	if (err)
		return err;
	if (split_start) {
		region_split(set, first, start);
		first++;
		last++;
	}
	if (split_end)
		region_split(set, last, end);
	/* A straddler that was not split does not change: applying is a no-op. */
	for (index = first; index <= last; index++)
		region_apply(&set->items[index], change);
	region_merge_span(set, first ? first - 1 : 0, last + 1);
	return 0;
}

int region_protect(struct region_set *set, virt_addr_t start, virt_addr_t end, unsigned prot)
{
	struct region_change change = {.set_kind = false, .prot = prot};

	if (prot & ~REGION_PROT_MASK)
		return -EINVAL;
	return region_change_range(set, start, end, &change);
}

int region_set_kind(struct region_set *set, virt_addr_t start, virt_addr_t end,
		    enum region_kind kind)
{
	struct region_change change = {.set_kind = true, .kind = kind};

	if ((unsigned)kind >= REGION_KINDS || kind == REGION_STACK || kind == REGION_FILE)
		return -EINVAL;
	return region_change_range(set, start, end, &change);
}

/*
 * Only the stack's start moves, downwards and not past the previous
 * region's end, so the array stays sorted and disjoint: nothing moves in
 * memory and nothing is allocated (the fault handler calls this). A stack
 * never merges, so there is nothing to merge either.
 */
static int grow_down_locked(struct region_set *set, const struct region *stack,
			    virt_addr_t new_start)
{
	uintptr_t offset = (uintptr_t)stack - (uintptr_t)set->items;
	size_t index = offset / sizeof(struct region);
	struct region *r;

	if (!stack || !set->items || offset % sizeof(struct region) || index >= set->count)
		return -EINVAL; /* not a region of this set */
	r = &set->items[index];
	if (r->kind != REGION_STACK || !IS_ALIGNED(new_start, PAGE_SIZE) ||
	    new_start < r->grow_limit || new_start >= r->start)
		return -EINVAL;
	if (index > 0 && set->items[index - 1].end > new_start)
		return -EEXIST;
	r->start = new_start;
	return 0;
}

void region_for_each(const struct region_set *set,
		     bool (*fn)(const struct region *r, void *arg), void *arg)
{
	spinlock_t *lock = (spinlock_t *)&set->lock; /* a lookup still takes the lock */
	unsigned long irq = spin_lock_irqsave(lock);

	for (size_t index = 0; index < set->count; index++)
		if (!fn(&set->items[index], arg))
			break;
	spin_unlock_irqrestore(lock, irq);
}

static char region_violation_text[160];

/* Format a violation, prefixed with the checker's name, and return it. */
static const char *region_violation(const char *fmt, ...) __printf(1, 2);
static const char *region_violation(const char *fmt, ...)
{
	static const char prefix[] = "region_check_invariants: ";
	va_list ap;

	memcpy(region_violation_text, prefix, sizeof(prefix));
	va_start(ap, fmt);
	kvsnprintf(region_violation_text + sizeof(prefix) - 1,
		   sizeof(region_violation_text) - sizeof(prefix) + 1, fmt, ap);
	va_end(ap);
	return region_violation_text;
}

/* The checks on one region, alone. */
static const char *region_check_one(const struct region *r, size_t index)
{
	size_t length = strnlen(r->name, REGION_NAME_SIZE);

	if (!region_range_valid(r->start, r->end))
		return region_violation("region %zu [0x%lx, 0x%lx): bad range", index, r->start,
					r->end);
	if ((unsigned)r->kind >= REGION_KINDS)
		return region_violation("region %zu [0x%lx, 0x%lx): bad kind %u", index, r->start,
					r->end, (unsigned)r->kind);
	if (r->prot & ~REGION_PROT_MASK)
		return region_violation("region %zu [0x%lx, 0x%lx): bad prot 0x%x", index,
					r->start, r->end, r->prot);
	if (!region_grow_limit_valid(r))
		return region_violation("region %zu [0x%lx, 0x%lx) (%s): bad grow_limit 0x%lx",
					index, r->start, r->end, region_kind_name(r->kind),
					r->grow_limit);
	if (!region_file_valid(r))
		return region_violation("region %zu [0x%lx, 0x%lx) (%s): bad file 0x%lx+0x%lx",
					index, r->start, r->end, region_kind_name(r->kind),
					r->file_phys, r->file_bytes);
	if (length == REGION_NAME_SIZE)
		return region_violation("region %zu [0x%lx, 0x%lx): name not NUL-terminated",
					index, r->start, r->end);
	for (size_t i = length; i < REGION_NAME_SIZE; i++)
		if (r->name[i])
			return region_violation("region %zu [0x%lx, 0x%lx): name not zero-filled",
						index, r->start, r->end);
	return NULL;
}

static const char *check_locked(const struct region_set *set)
{
	if (set->count > set->capacity)
		return region_violation("count %zu above capacity %zu", set->count,
					set->capacity);
	if (!set->items != !set->capacity)
		return region_violation("items %p with capacity %zu", (void *)set->items,
					set->capacity);
	for (size_t index = 0; index < set->count; index++) {
		const struct region *r = &set->items[index];
		const char *violation = region_check_one(r, index);

		if (violation)
			return violation;
		if (index == 0)
			continue;
		if (r[-1].end > r->start)
			return region_violation("regions %zu [0x%lx, 0x%lx) and %zu [0x%lx, 0x%lx) "
						"overlap or are out of order", index - 1,
						r[-1].start, r[-1].end, index, r->start, r->end);
		if (region_mergeable(&r[-1], r))
			return region_violation("regions %zu and %zu (0x%lx) should be merged",
						index - 1, index, r->start);
	}
	return NULL;
}

/* ---- the public entry points: each takes the set's lock around its work ---- */

/* The lock of a set passed as const (a lookup still takes it). */
static spinlock_t *set_lock(const struct region_set *set)
{
	return (spinlock_t *)&set->lock;
}

int region_insert(struct region_set *set, const struct region *r)
{
	unsigned long irq = spin_lock_irqsave(&set->lock);
	int err = insert_locked(set, r);

	spin_unlock_irqrestore(&set->lock, irq);
	return err;
}

const struct region *region_find(const struct region_set *set, virt_addr_t va)
{
	unsigned long irq = spin_lock_irqsave(set_lock(set));
	const struct region *r = find_locked(set, va);

	spin_unlock_irqrestore(set_lock(set), irq);
	return r;
}

const struct region *region_next(const struct region_set *set, virt_addr_t va)
{
	unsigned long irq = spin_lock_irqsave(set_lock(set));
	const struct region *r = next_locked(set, va);

	spin_unlock_irqrestore(set_lock(set), irq);
	return r;
}

int region_remove(struct region_set *set, virt_addr_t start, virt_addr_t end)
{
	unsigned long irq = spin_lock_irqsave(&set->lock);
	int err = remove_locked(set, start, end);

	spin_unlock_irqrestore(&set->lock, irq);
	return err;
}

/* region_protect and region_set_kind: the change over [start, end), under the lock. */
static int region_change_range(struct region_set *set, virt_addr_t start, virt_addr_t end,
			       const struct region_change *change)
{
	unsigned long irq = spin_lock_irqsave(&set->lock);
	int err = change_range_locked(set, start, end, change);

	spin_unlock_irqrestore(&set->lock, irq);
	return err;
}

int region_grow_down(struct region_set *set, const struct region *stack, virt_addr_t new_start)
{
	unsigned long irq = spin_lock_irqsave(&set->lock);
	int err = grow_down_locked(set, stack, new_start);

	spin_unlock_irqrestore(&set->lock, irq);
	return err;
}

const char *region_check_invariants(const struct region_set *set)
{
	unsigned long irq = spin_lock_irqsave(set_lock(set));
	const char *violation = check_locked(set);

	spin_unlock_irqrestore(set_lock(set), irq);
	return violation;
}

bool region_find_copy(const struct region_set *set, virt_addr_t va, struct region *out)
{
	unsigned long irq = spin_lock_irqsave(set_lock(set));
	const struct region *r = find_locked(set, va);

	if (r)
		*out = *r;
	spin_unlock_irqrestore(set_lock(set), irq);
	return r != NULL;
}
