/*
 * vmalloc.c - virtually contiguous kernel memory from scattered frames
 * (vmalloc.h has the idea and the contracts).
 *
 * Two sorted lists describe the window: the live areas and the free ranges.
 * Allocation is first fit over the free ranges, carving from the front of
 * the first range large enough; vfree gives the range (area + guard) back
 * and merges it with both neighbours, so repeated cycles do not fragment
 * the window. Descriptors come from static pools (no heap needed). The
 * frames of an area are not recorded anywhere but in its page tables:
 * vfree finds them again with paging_translate.
 * Invariants (all checked by vmalloc_check_invariants()):
 *   [x] free ranges: sorted, non-empty, page-aligned, inside the window,
 *       never touching (adjacent ranges are always merged);
 *   [x] areas: sorted, each [start - lead, start + size + guard) inside the
 *       window (lead: the guard below a stack, else 0);
 *       areas and free ranges are disjoint and together cover the window;
 *   [x] every page of an area maps one 4 KiB frame read-write, no-execute;
 *       its guard page maps nothing;
 *   [x] used_bytes is the sum of the areas' sizes; every descriptor is on
 *       exactly one list (live or spare).
 * Context: see vmalloc.h (process context, any CPU).
 * Lock order:
 *   [x] vm_lock ("vmalloc") guards the two lists, the spare pools and
 *       used_bytes, and is a leaf: paging_map/unmap (the paging lock) and
 *       alloc/free_page (zone locks) run with it released;
 *   [x] an area being built or torn down is on neither list and its window
 *       range on no free list: nobody else can take or find it meanwhile.
 */
#include "mm/vmalloc.h"

#include "lib/align.h"
#include "lib/compiler.h"
#include "lib/errno.h"
#include "lib/lab.h"
#include "lib/panic.h"
#include "lib/printf.h"
#include "mm/arch.h"
#include "mm/buddy.h"
#include "mm/failinject.h"
#include "mm/page.h"
#include "mm/spinlock.h"

/* A free part of the window: [start, start + size). */
struct vmalloc_range {
	virt_addr_t start;
	uint64_t size;
	struct list_node link; /* on free_ranges (sorted) or spare_ranges */
};

/*
 * Free ranges are the gaps around live areas, so there are at most
 * (live areas + 1) of them: one more record than area descriptors is enough.
 */
#define VMALLOC_MAX_RANGES (VMALLOC_MAX_AREAS + 1)

static struct vmalloc_area area_pool[VMALLOC_MAX_AREAS];
static struct vmalloc_range range_pool[VMALLOC_MAX_RANGES];
static struct list_node spare_areas = LIST_INIT(spare_areas);
static struct list_node spare_ranges = LIST_INIT(spare_ranges);
static struct list_node live_areas = LIST_INIT(live_areas);   /* sorted by start */
static struct list_node free_ranges = LIST_INIT(free_ranges); /* sorted by start */

static struct address_space *vm_space; /* NULL until vmalloc_init */
static virt_addr_t vm_start;
static uint64_t vm_size;
static unsigned vm_map_flags;
static uint64_t used_bytes;
static spinlock_t vm_lock = SPINLOCK_INIT("vmalloc");

int vmalloc_init(struct address_space *as, virt_addr_t start, uint64_t size)
{
	virt_addr_t last = start + size - 1;

	if (!as || !IS_ALIGNED(start, PAGE_SIZE) || !IS_ALIGNED(size, PAGE_SIZE) ||
	    size < 2 * PAGE_SIZE || last < start || !paging_canonical(start) ||
	    !paging_canonical(last) || ((start ^ last) >> 47) != 0)
		return -EINVAL;

	list_init(&spare_areas);
	list_init(&spare_ranges);
	list_init(&live_areas);
	list_init(&free_ranges);
	for (size_t i = 0; i < VMALLOC_MAX_AREAS; i++)
		list_add_tail(&spare_areas, &area_pool[i].link);
	for (size_t i = 1; i < VMALLOC_MAX_RANGES; i++)
		list_add_tail(&spare_ranges, &range_pool[i].link);
	range_pool[0].start = start;
	range_pool[0].size = size;
	list_add(&free_ranges, &range_pool[0].link);

	vm_space = as;
	vm_start = start;
	vm_size = size;
	/* Kernel-half mappings are global like the rest of kernel_space (survive CR3 loads). */
	vm_map_flags = MAP_WRITE | (start >= PAGING_KERNEL_HALF ? MAP_GLOBAL : 0);
	used_bytes = 0;
	return 0;
}

/*
 * First fit: carve bytes from the front of the lowest free range that is
 * large enough. Returns false when none is. A range used up entirely goes
 * back to the spare records.
 */
static bool range_take(uint64_t bytes, virt_addr_t *out)
{
	struct vmalloc_range *r;

	list_for_each_entry(r, &free_ranges, link) {
		if (r->size < bytes)
			continue;
		*out = r->start;
		r->start += bytes;
		r->size -= bytes;
		if (r->size == 0) {
			list_remove(&r->link);
			list_add(&spare_ranges, &r->link);
		}
		return true;
	}
	return false;
}

/*
 * Give [start, start + bytes) back to the free ranges, merged with the
 * range just below and the one just above when they touch it:
 *
 *   [prev][given][next]  ->  [prev.............]   (both neighbours)
 *   [prev][given] gap    ->  [prev.....]            (below only)
 *   gap [given][next]    ->  [given.....]           (above only)
 *   gap [given] gap      ->  a new record           (needs a spare record)
 */
static void range_give(virt_addr_t start, uint64_t bytes)
{
	struct list_node *pos;
	struct vmalloc_range *prev = NULL, *next = NULL;

	/* pos: the first range above start, or the list head if there is none */
	list_for_each(pos, &free_ranges) {
		if (list_entry(pos, struct vmalloc_range, link)->start > start)
			break;
	}
	if (pos != &free_ranges)
		next = list_entry(pos, struct vmalloc_range, link);
	if (pos->prev != &free_ranges)
		prev = list_entry(pos->prev, struct vmalloc_range, link);

	bool merge_prev = prev && prev->start + prev->size == start;
	bool merge_next = next && start + bytes == next->start;

	if (merge_prev && merge_next) {
		prev->size += bytes + next->size;
		list_remove(&next->link);
		list_add(&spare_ranges, &next->link);
	} else if (merge_prev) {
		prev->size += bytes;
	} else if (merge_next) {
		next->start = start;
		next->size += bytes;
	} else if (!list_empty(&spare_ranges)) {
		struct vmalloc_range *r = list_first_entry(&spare_ranges, struct vmalloc_range, link);

		list_remove(&r->link);
		r->start = start;
		r->size = bytes;
		list_add_tail(pos, &r->link); /* just before pos: keeps the list sorted */
	} else {
		/* Cannot happen: at most live areas + 1 ranges exist (see VMALLOC_MAX_RANGES). */
		kprintf("vmalloc: BUG: no range record for 0x%lx+0x%lx, range lost\n", start,
			bytes);
	}
}

/*
 * Unmap the first pages pages from start and free their frames. Each page
 * is unmapped before its frame is freed, so no stale mapping ever points to
 * a free frame. paging_unmap cannot fail here: the pages are 4 KiB, nothing
 * is split.
 */
static void unmap_and_free(virt_addr_t start, uint64_t pages)
{
	for (uint64_t i = 0; i < pages; i++) {
		virt_addr_t va = start + i * PAGE_SIZE;
		struct paging_translation t;

		if (paging_translate(vm_space, va, &t) != 0) {
			kprintf("vmalloc: BUG: page 0x%lx of an area is not mapped\n", va);
			continue;
		}
		MUST_SUCCEED(paging_unmap(vm_space, va, PAGE_SIZE),
			     "unmap_and_free: unmapping a 4 KiB page of an area");
		MUST_SUCCEED(free_page(phys_to_page(t.pa)),
			     "unmap_and_free: freeing a frame vmalloc allocated");
	}
}

/*
 * Where the guard pages go. An area of `bytes` mapped bytes (a multiple of
 * PAGE_SIZE) with flags takes [base, base + span) of the window, span
 * returned; its pages start at base + *lead:
 *
 *   base                                              base + span
 *   | lead guard (stacks only) | bytes: mapped pages | guard (every area) |
 *                              ^ start = base + lead
 *
 * area_alloc, vfree, vmalloc_find and the invariant check all ask here, so
 * they agree on the layout.
 */
static uint64_t area_layout(uint64_t bytes, unsigned flags, uint64_t *lead)
{
	/* LAB 5 BEGIN vmalloc_guard_layout: a guard page after every area, one more below a stack */
	*lead = flags & VMALLOC_STACK ? VMALLOC_GUARD_SIZE : 0;
	return *lead + bytes + VMALLOC_GUARD_SIZE;
	/* LAB 5 END vmalloc_guard_layout */
}

/* The window bytes a live area takes, guards included; it starts at a->start - a->lead. */
static uint64_t area_span(const struct vmalloc_area *a)
{
	uint64_t lead;

	return area_layout(a->size, a->flags, &lead);
}

/* vmalloc_caller and vmalloc_stack: an area with flags (VMALLOC_STACK or 0). */
static void *area_alloc(size_t size, unsigned flags, void *caller)
{
	if (!vm_space || size == 0 || size > vm_size)
		return NULL;
	/* no overflow below: size <= vm_size < 2^48, and vm_size is page-aligned */
	uint64_t bytes = ALIGN_UP((uint64_t)size, PAGE_SIZE);
	uint64_t pages = bytes / PAGE_SIZE;
	uint64_t lead, span = area_layout(bytes, flags, &lead);

	if (span > vm_size)
		return NULL;
	if (failinject_should_fail(FAILINJECT_VMALLOC))
		return NULL;
	virt_addr_t base, start;
	uint64_t mapped;

	unsigned long irq = spin_lock_irqsave(&vm_lock);
	if (list_empty(&spare_areas) || !range_take(span, &base)) {
		spin_unlock_irqrestore(&vm_lock, irq);
		return NULL; /* all VMALLOC_MAX_AREAS descriptors in use, or no room */
	}
	struct vmalloc_area *area = list_first_entry(&spare_areas, struct vmalloc_area, link);
	list_remove(&area->link); /* ours now: on no list while its pages are mapped */
	spin_unlock_irqrestore(&vm_lock, irq);
	start = base + lead;

	/* One frame at a time: no contiguity asked of the buddy allocator. */
	for (mapped = 0; mapped < pages; mapped++) {
		struct page *page = alloc_page(ALLOC_ZERO);

		if (!page)
			goto rollback;
		if (paging_map(vm_space, start + mapped * PAGE_SIZE, page_to_phys(page), PAGE_SIZE,
			       vm_map_flags) != 0) {
			MUST_SUCCEED(free_page(page), "area_alloc: freeing the frame just allocated");
			goto rollback;
		}
	}

	struct list_node *pos;

	area->start = start;
	area->size = bytes;
	area->pages = pages;
	area->caller = caller;
	area->flags = flags;
	area->lead = lead;
	irq = spin_lock_irqsave(&vm_lock);
	list_for_each(pos, &live_areas) {
		if (list_entry(pos, struct vmalloc_area, link)->start > start)
			break;
	}
	list_add_tail(pos, &area->link); /* before the first area above: sorted */
	used_bytes += bytes;
	spin_unlock_irqrestore(&vm_lock, irq);
	return (void *)(uintptr_t)start;

rollback:
	/* Empty tables are freed by paging_unmap, so nothing of the attempt is left. */
	unmap_and_free(start, mapped);
	irq = spin_lock_irqsave(&vm_lock);
	range_give(base, span);
	list_add(&spare_areas, &area->link);
	spin_unlock_irqrestore(&vm_lock, irq);
	return NULL;
}

void *vmalloc_caller(size_t size, void *caller)
{
	return area_alloc(size, 0, caller);
}

void *vmalloc(size_t size)
{
	return area_alloc(size, 0, __builtin_return_address(0));
}

void *vmalloc_stack(size_t size)
{
	return area_alloc(size, VMALLOC_STACK, __builtin_return_address(0));
}

/* The live area that holds addr, guards included, or NULL. vm_lock held. */
static const struct vmalloc_area *area_find(virt_addr_t addr)
{
	/* LAB 5 BEGIN vmalloc_find_guard: the live area that holds addr, its guard pages included */
	const struct vmalloc_area *a;

	if (!vm_space)
		return NULL;
	list_for_each_entry(a, &live_areas, link) {
		virt_addr_t base = a->start - a->lead;

		if (addr < base)
			break; /* sorted: no later area can contain it */
		if (addr - base < area_span(a))
			return a;
	}
	return NULL;
	/* LAB 5 END vmalloc_find_guard */
}

const struct vmalloc_area *vmalloc_find(virt_addr_t addr)
{
	if (!vm_space)
		return NULL;
	if (spin_held_here(&vm_lock))
		return area_find(addr); /* a fault inside this CPU's own vmalloc section */
	unsigned long irq = spin_lock_irqsave(&vm_lock);
	const struct vmalloc_area *a = area_find(addr);
	spin_unlock_irqrestore(&vm_lock, irq);
	return a;
}

bool vmalloc_is_guard(virt_addr_t addr)
{
	const struct vmalloc_area *a = vmalloc_find(addr);

	return a && (addr < a->start || addr - a->start >= a->size);
}

/* Print why vfree refused addr, naming the code that called it. */
static void vfree_report(virt_addr_t addr, void *caller)
{
	char symbol[64], owner[64], why[160];
	const struct vmalloc_area *a = vmalloc_find(addr);

	arch_symbolize((uint64_t)(uintptr_t)caller, symbol, sizeof(symbol));
	if (a) {
		arch_symbolize((uint64_t)(uintptr_t)a->caller, owner, sizeof(owner));
		ksnprintf(why, sizeof(why), "%s of area 0x%lx (%lu bytes, from %s)",
			  addr < a->start || addr - a->start >= a->size ? "in a guard page" : "inside",
			  a->start,
			  a->size, owner);
	} else {
		ksnprintf(why, sizeof(why), "no live area there (double free or bogus pointer)");
	}
	kprintf("vfree: 0x%lx is not the start of a vmalloc area: %s; by %s\n", addr, why,
		symbol);
}

int vfree(const void *addr)
{
	virt_addr_t va = (virt_addr_t)(uintptr_t)addr;
	struct vmalloc_area *a;

	if (!addr)
		return 0;
	unsigned long irq = spin_lock_irqsave(&vm_lock);
	list_for_each_entry(a, &live_areas, link) {
		if (a->start == va)
			break;
	}
	if (&a->link == &live_areas) {
		spin_unlock_irqrestore(&vm_lock, irq);
		vfree_report(va, __builtin_return_address(0));
		return -EINVAL;
	}
	list_remove(&a->link); /* ours now: on no list while its pages are unmapped */
	used_bytes -= a->size;
	spin_unlock_irqrestore(&vm_lock, irq);

	unmap_and_free(a->start, a->pages);
	irq = spin_lock_irqsave(&vm_lock);
	range_give(a->start - a->lead, area_span(a));
	list_add(&spare_areas, &a->link);
	spin_unlock_irqrestore(&vm_lock, irq);
	return 0;
}

void vmalloc_for_each_area(void (*fn)(const struct vmalloc_area *a, void *arg), void *arg)
{
	const struct vmalloc_area *a;
	unsigned long irq = spin_lock_irqsave(&vm_lock);

	list_for_each_entry(a, &live_areas, link)
		fn(a, arg);
	spin_unlock_irqrestore(&vm_lock, irq);
}

/* vmalloc_for_each_page's walk of one area, carried through paging_for_each_range. */
struct page_walk {
	vmalloc_page_fn fn;
	void *arg;
	unsigned area_flags;
};

static bool page_walk_run(virt_addr_t start, virt_addr_t end, phys_addr_t pa, uint64_t page_size,
			  unsigned flags, void *arg)
{
	const struct page_walk *w = arg;

	(void)page_size, (void)flags;
	for (virt_addr_t va = start; va < end; va += PAGE_SIZE)
		w->fn(va, pa + (va - start), w->area_flags, w->arg);
	return true;
}

void vmalloc_for_each_page(vmalloc_page_fn fn, void *arg)
{
	virt_addr_t next = 0; /* the lowest start not yet walked */

	if (!vm_space)
		return;
	for (;;) {
		const struct vmalloc_area *a;
		virt_addr_t start = 0;
		uint64_t size = 0;
		struct page_walk w = {fn, arg, 0};
		unsigned long irq = spin_lock_irqsave(&vm_lock);

		list_for_each_entry(a, &live_areas, link)
			if (a->start >= next) {
				start = a->start;
				size = a->size;
				w.area_flags = a->flags;
				break;
			}
		spin_unlock_irqrestore(&vm_lock, irq);
		if (size == 0)
			return;
		paging_for_each_range(vm_space, start, start + size, page_walk_run, &w);
		next = start + size;
	}
}

uint64_t vmalloc_used_bytes(void)
{
	return used_bytes;
}

size_t vmalloc_free_range_count(void)
{
	unsigned long irq = spin_lock_irqsave(&vm_lock);
	size_t n = list_count(&free_ranges);

	spin_unlock_irqrestore(&vm_lock, irq);
	return n;
}

uint64_t vmalloc_free_bytes(void)
{
	const struct vmalloc_range *r;
	uint64_t bytes = 0;
	unsigned long irq = spin_lock_irqsave(&vm_lock);

	list_for_each_entry(r, &free_ranges, link)
		bytes += r->size;
	spin_unlock_irqrestore(&vm_lock, irq);
	return bytes;
}

/* The pages of a mapped 4 KiB read-write no-execute; its guard pages unmapped. */
static const char *check_area_mappings(const struct vmalloc_area *a)
{
	static char why[128];
	struct paging_translation t;

	for (uint64_t i = 0; i < a->pages; i++) {
		virt_addr_t va = a->start + i * PAGE_SIZE;

		if (paging_translate(vm_space, va, &t) != 0 || t.page_size != PAGE_SIZE ||
		    t.flags != vm_map_flags) {
			ksnprintf(why, sizeof(why), "page 0x%lx of area 0x%lx badly mapped", va,
				  a->start);
			return why;
		}
	}
	if (paging_translate(vm_space, a->start + a->size, &t) != -ENOENT) {
		ksnprintf(why, sizeof(why), "guard page of area 0x%lx is mapped", a->start);
		return why;
	}
	if (a->lead && paging_translate(vm_space, a->start - PAGE_SIZE, &t) != -ENOENT) {
		ksnprintf(why, sizeof(why), "guard page below stack 0x%lx is mapped", a->start);
		return why;
	}
	return NULL;
}

const char *vmalloc_check_invariants(void)
{
	const struct list_node *rp, *ap;
	virt_addr_t cursor;
	uint64_t used = 0;
	size_t ranges = 0, areas = 0;

	if (!vm_space)
		return NULL;
	/*
	 * Walk both sorted lists together, in address order: every interval
	 * must start exactly where the previous one ended (so none overlap and
	 * together they cover the window), and no two free ranges may touch.
	 */
	cursor = vm_start;
	rp = free_ranges.next;
	ap = live_areas.next;
	bool last_was_free = false;
	while (rp != &free_ranges || ap != &live_areas) {
		const struct vmalloc_range *r =
			rp != &free_ranges ? list_entry(rp, struct vmalloc_range, link) : NULL;
		const struct vmalloc_area *a =
			ap != &live_areas ? list_entry(ap, struct vmalloc_area, link) : NULL;

		if (r && (!a || r->start < a->start - a->lead)) {
			if (r->start != cursor)
				return "free ranges and areas do not tile the window";
			if (r->size == 0 || !IS_ALIGNED(r->size, PAGE_SIZE))
				return "a free range is empty or not page-aligned";
			if (last_was_free)
				return "two free ranges touch (not merged)";
			cursor += r->size;
			last_was_free = true;
			ranges++;
			rp = rp->next;
		} else {
			uint64_t lead, span = area_layout(a->size, a->flags, &lead);
			if (a->start - a->lead != cursor)
				return "free ranges and areas do not tile the window";
			if (a->lead != lead)
				return "an area's lower guard does not match its flags";
			if (a->pages == 0 || a->size != a->pages * PAGE_SIZE)
				return "an area's size and page count disagree";
			const char *why = check_area_mappings(a);
			if (why)
				return why;
			cursor += span;
			used += a->size;
			last_was_free = false;
			areas++;
			ap = ap->next;
		}
		if (cursor - vm_start > vm_size)
			return "an interval runs past the end of the window";
	}
	if (cursor - vm_start != vm_size)
		return "free ranges and areas do not cover the window";
	if (used != used_bytes)
		return "used_bytes is not the sum of the areas' sizes";
	if (areas + list_count(&spare_areas) != VMALLOC_MAX_AREAS)
		return "area descriptors lost or duplicated";
	if (ranges + list_count(&spare_ranges) != VMALLOC_MAX_RANGES)
		return "range records lost or duplicated";
	return NULL;
}
