/*
 * slab.c - the slab allocator (see slab.h for the interface).
 *
 * A slab is a block of 2^order pages from alloc_pages(). Its first struct
 * page describes it; nothing is stored in the slab besides the objects, so
 * power-of-two objects stay naturally aligned and pack without waste:
 *   head page: flags PG_HEAD (buddy) | PG_SLAB, list = on the cache's
 *              partial/full/empty list, reserved16 = cache table index + 1,
 *              private = in-use count (bits 0-15) | free-list head (bits
 *              16-31: byte offset of the first free object from the slab's
 *              start; 0xffff none, 0xfffe "broken": free list corrupted)
 *   other pages: flags PG_SLAB, private = distance in pages to the head
 *
 *  slab (non-debug), colour c:
 *  +---------+--------+--------+--------+-- ... --+--------+-------+
 *  | c * 64  | obj 0  | obj 1  | obj 2  |         | obj n-1| slack |
 *  +---------+--------+--------+--------+-- ... --+--------+-------+
 *             ^ a free object's first word points to the next free one
 *
 *  one object slot in debug mode (stride bytes, o = object start, aligned):
 *  o-8      o               o+size            o+stride-16  o+stride-8
 *  | left RZ | object        | right RZ (0xbb) | caller     | left RZ of
 *  | 0xbb    | (free: next,  | >= 8 bytes      | (0 = free) | the next
 *  |         |  then 0x6b)   |                 |            | object
 *  Object 0's left red zone is the `lead` (max(8, align) bytes) before it.
 *
 * Colouring: slab k of a cache starts its objects (k mod colours) * 64
 * bytes in, using the slack, so the first objects of different slabs fall
 * in different cache sets; k is the slab's frame number >> order (no field),
 * and colours is a power of two so "mod" is a mask on the free path.
 * Order: the smallest with waste <= 1/8 of the slab, else the least waste.
 *
 * Invariants:
 *   [x] a slab is on `full` exactly when its free list is empty (or broken),
 *       on `empty` exactly when its in-use count is 0, else on `partial`;
 *   [x] in-use = objects not on its free list (users + magazines + quarantine);
 *   [x] active_objects = objects held by users; magazines hold only free
 *       objects of their cache; debug caches never use magazines (every check
 *       runs at the moment of alloc or free);
 *   [x] after a report the object is quarantined (counted in `quarantined`,
 *       never handed out again, its slab never freed); a corrupted free list
 *       "breaks" its slab: the rest of its free objects are never used.
 * Locking: a magazine is its CPU's, used with interrupts off; the slab
 * lists, counts and layout of a cache under c->lock; the table's slots
 * (in_use) under caches_lock. Flushing every CPU's magazines is done by
 * each CPU for itself (arch_on_each_cpu).
 * Lock order:
 *   [x] caches_lock -> c->lock -> zone lock (slab_release frees a slab with
 *       the cache lock held); never two cache locks at once;
 *   [x] alloc_pages() for a new slab runs with no slab lock held (it may call
 *       the shrinker, slab_shrink, which takes the cache locks);
 *   [x] callers may hold the paging or vmalloc lock (page tables and areas
 *       come from kmalloc).
 */
#include "mm/slab.h"

#include "lib/align.h"
#include "lib/compiler.h"
#include "lib/errno.h"
#include "lib/lab.h"
#include "lib/panic.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/buddy.h"
#include "mm/failinject.h"
#include "mm/page.h"

#define FREE_NONE 0xffffu   /* free-list head: no free object */
#define FREE_BROKEN 0xfffeu /* free-list head: list corrupted, slab withdrawn */
#define TRACK_FREE 0ull     /* debug caller word of a free object */
#define TRACK_QUARANTINED 1ull
#define MAGAZINE_BATCH (SLAB_MAGAZINE_SIZE / 2)
#define KEEP_EMPTY_SLABS 1  /* empty slabs a cache keeps before shrink */
#define COLOUR_STEP 64

static struct slab_cache caches[SLAB_CACHES_MAX];
STATIC_ASSERT(sizeof(struct slab_cache) == 1024, "struct slab_cache: see the note in slab.h");
/*
 * Each CPU's magazines, one per cache slot, kept apart from the caches so
 * that a CPU's own magazines lie together (no cache line shared with
 * another CPU's) and struct slab_cache keeps its power-of-two size.
 */
static struct slab_magazine cpu_magazines[MM_MAX_CPUS][SLAB_CACHES_MAX];

/* cpu's magazine for cache c. */
static inline struct slab_magazine *magazine_of(struct slab_cache *c, unsigned cpu)
{
	return &cpu_magazines[cpu][c - caches];
}
static bool debug_default;
static spinlock_t caches_lock = SPINLOCK_INIT("slab cache table");

/* Add delta to a counter that several CPUs change without a common lock. */
static inline void active_add(struct slab_cache *c, int64_t delta)
{
	__atomic_fetch_add(&c->active_objects, (uint64_t)delta, __ATOMIC_RELAXED);
}

/* ---- slab descriptors ------------------------------------------------- */

static unsigned slab_inuse(const struct page *head)
{
	return head->private & 0xffffu;
}

static unsigned slab_free_offset(const struct page *head)
{
	return head->private >> 16;
}

static void slab_set(struct page *head, unsigned inuse, unsigned free_offset)
{
	head->private = (uint32_t)inuse | (uint32_t)free_offset << 16;
}

static uint8_t *slab_base(const struct page *head)
{
	return page_address(head);
}

/* Where object 0 of this slab starts: lead + colour (colours is a power of two). */
static __always_inline uint8_t *slab_first(const struct slab_cache *c, const struct page *head)
{
	uint64_t colour = (page_to_pfn(head) >> c->order) & (c->colours - 1);

	return slab_base(head) + c->lead + colour * c->colour_step;
}

/* The debug caller word of the object at obj. */
static uint64_t *track_of(const struct slab_cache *c, const void *obj)
{
	return (uint64_t *)((uintptr_t)obj + c->stride - 16);
}

/*
 * The head page of the slab containing va, or NULL when va is not slab
 * memory. Reads only descriptors, never va itself.
 */
static __always_inline struct page *slab_head_of(const void *va)
{
	struct page *page = virt_to_page(va);

	if (unlikely(!page))
		return NULL;
	if (likely((page->flags & (PG_HEAD | PG_SLAB)) == (PG_HEAD | PG_SLAB)))
		return page;
	if (!(page->flags & PG_SLAB))
		return NULL;
	page -= page->private; /* a later page of a multi-page slab */
	return (page->flags & (PG_HEAD | PG_SLAB)) == (PG_HEAD | PG_SLAB) ? page : NULL;
}

/*
 * The cache a slab belongs to. No in_use test needed: a cache is destroyed
 * only once it has no slab left, so every slab names a live cache.
 */
static __always_inline struct slab_cache *cache_of_head(const struct page *head)
{
	unsigned index = head->reserved16 - 1u; /* 0 (no cache) wraps to UINT_MAX */

	return likely(index < SLAB_CACHES_MAX) ? &caches[index] : NULL;
}

struct slab_cache *slab_cache_of(const void *obj)
{
	struct page *head = obj ? slab_head_of(obj) : NULL;

	return head ? cache_of_head(head) : NULL;
}

/* Is p NULL or the start of an object of this slab? (free-pointer check) */
static bool valid_free_pointer(const struct slab_cache *c, const struct page *head, const void *p)
{
	if (!p)
		return true;
	const uint8_t *first = slab_first(c, head);
	uintptr_t off = (uintptr_t)p - (uintptr_t)first;
	return (uintptr_t)p >= (uintptr_t)first && off % c->stride == 0 &&
	       off / c->stride < c->objects_per_slab;
}

/*
 * Is off (< 2^32) a multiple of the stride whose magic is m = 2^64 / stride
 * rounded up? Lemire's divisibility test: off * m wraps below m exactly
 * when stride divides off. One multiply instead of a 64-bit division.
 */
static inline bool stride_divides(uint64_t off, uint64_t magic)
{
	return off * magic <= magic - 1;
}

/*
 * Is obj exactly the start of an object slot of its slab? For the free
 * fast path, so for caches without debug mode (lead 0). Computed from obj's
 * address alone: a slab is a buddy block, aligned to its size, so the slab
 * number and the offset inside fall out of the physical address, with no
 * struct page arithmetic. Same colour as slab_first().
 */
static __always_inline bool object_start(const struct slab_cache *c, const void *obj)
{
	phys_addr_t pa = virt_to_phys(obj);
	uint64_t colour_offset = (pa >> c->colour_shift) & c->colour_mask;
	uint64_t off = (pa & c->slab_mask) - colour_offset; /* wraps if below */

	return off < c->objects_span && stride_divides(off, c->stride_magic);
}

static void report_caller(char *buf, size_t size, void *caller)
{
	arch_symbolize((uint64_t)(uintptr_t)caller, buf, size);
}

/* ---- layout --------------------------------------------------------------- */

/* Choose stride, lead, order and colours for c's object size, align and mode. */
static bool cache_layout(struct slab_cache *c, bool debug)
{
	size_t size8 = ALIGN_UP(c->object_size, (size_t)8);

	c->debug = debug;
	c->magazine_limit = debug ? 0 : SLAB_MAGAZINE_SIZE; /* debug frees take the slow path */
	if (debug) {
		c->lead = MAX((size_t)8, c->align);
		c->stride = ALIGN_UP(size8 + 24, c->align); /* right RZ >= 8, caller, next left RZ */
	} else {
		c->lead = 0;
		c->stride = ALIGN_UP(MAX(c->object_size, (size_t)8), c->align);
	}
	unsigned best = 0;
	uint64_t best_waste_num = 1, best_waste_den = 0; /* best waste fraction so far: none */
	for (unsigned order = 0; order <= SLAB_MAX_ORDER; order++) {
		size_t bytes = PAGE_SIZE << order;
		if (bytes < c->lead + c->stride)
			continue;
		size_t n = (bytes - c->lead) / c->stride, waste = bytes - n * c->stride;
		if (best_waste_den == 0 || waste * best_waste_den < best_waste_num * bytes) {
			best = order;
			best_waste_num = waste;
			best_waste_den = bytes;
		}
		if (waste * 8 <= bytes)
			break;
	}
	if (best_waste_den == 0)
		return false;
	size_t bytes = PAGE_SIZE << best;
	c->order = best;
	c->pages_per_slab = 1u << best;
	c->objects_per_slab = (unsigned)((bytes - c->lead) / c->stride);
	c->colour_step = MAX((size_t)COLOUR_STEP, c->align);
	unsigned fit = (unsigned)(best_waste_num - c->lead) / c->colour_step + 1;
	c->colours = 1u << (31 - __builtin_clz(fit)); /* the largest power of two <= fit */
	c->objects_span = (uint32_t)(c->objects_per_slab * c->stride);
	/* object_start(): colour offset = ((pa >> (12 + order)) & (colours - 1)) * step,
	 * with step a power of two: one shift and one mask. */
	c->slab_mask = (PAGE_SIZE << best) - 1;
	unsigned step_log2 = (unsigned)__builtin_ctzll(c->colour_step);
	c->colour_shift = PAGE_SHIFT + best - step_log2;
	c->colour_mask = (uint64_t)(c->colours - 1) << step_log2;
	c->stride_magic = UINT64_MAX / c->stride + 1;
	return true;
}

/* ---- slabs ------------------------------------------------------------------ */

/*
 * Chain every object of a new slab, starting at first, into its free list:
 * each free object's first word points to the next object (stride bytes
 * on), the last one's is NULL. The list is in address order, so the slab
 * hands out its objects from first to last:
 *
 *   first          first + stride  first + 2 * stride        last object
 *   [next=o1 | ...][next=o2 | ...][next=o3 | ...]  ...  [NULL | ...]
 *
 * Nothing else is written: in debug mode the rest of each object already
 * holds poison and its caller word says free. Interrupts off.
 */
static void slab_carve(const struct slab_cache *c, uint8_t *first)
{
	ASSERT_IRQS_OFF();
	/* LAB 3 BEGIN slab_carve: thread the free list through every object of a new slab */
	for (unsigned i = 0; i < c->objects_per_slab; i++) {
		uint8_t *obj = first + i * c->stride;
		*(void **)obj = i + 1 < c->objects_per_slab ? obj + c->stride : NULL;
	}
	/* LAB 3 END slab_carve */
}

/* Build a new slab for c from a fresh block; c->lock held. */
static void slab_setup(struct slab_cache *c, struct page *head)
{
	ASSERT_IRQS_OFF();
	uint8_t *first = slab_first(c, head);

	head->flags |= PG_SLAB;
	head->reserved16 = (uint16_t)(c - caches + 1);
	for (unsigned i = 1; i < c->pages_per_slab; i++) {
		head[i].flags |= PG_SLAB;
		head[i].private = i;
	}
	if (c->debug) {
		memset(slab_base(head), SLAB_RED_ZONE_BYTE, PAGE_SIZE << c->order);
		for (unsigned i = 0; i < c->objects_per_slab; i++) {
			uint8_t *obj = first + i * c->stride;
			memset(obj, SLAB_POISON_BYTE, c->object_size);
			*track_of(c, obj) = TRACK_FREE;
		}
	}
	slab_carve(c, first);
	slab_set(head, 0, (unsigned)(first - slab_base(head)));
	list_add(&c->empty, &head->list);
	c->empty_slabs++;
	c->slabs++;
	c->slab_pages_total += c->pages_per_slab;
	c->total_objects += c->objects_per_slab;
}

/* Give an empty slab back to the buddy allocator; c->lock held (then the zone's). */
static void slab_release(struct slab_cache *c, struct page *head)
{
	ASSERT_IRQS_OFF();
	list_remove(&head->list);
	c->empty_slabs--;
	c->slabs--;
	c->slab_pages_total -= c->pages_per_slab;
	c->total_objects -= c->objects_per_slab;
	for (unsigned i = 0; i < c->pages_per_slab; i++) {
		head[i].flags &= ~PG_SLAB;
		head[i].private = 0;
	}
	head->reserved16 = 0;
	MUST_SUCCEED(free_pages(head, c->order), "slab_release: freeing an empty slab's block");
}

/*
 * Allocate and add a slab; no slab lock held (alloc_pages may call the
 * shrinker). Interrupts as the caller's caller had them.
 */
static bool cache_grow(struct slab_cache *c)
{
	struct page *head = alloc_pages(0, c->order);

	if (!head)
		return false;
	unsigned long irq = spin_lock_irqsave(&c->lock);
	slab_setup(c, head);
	spin_unlock_irqrestore(&c->lock, irq);
	return true;
}

/*
 * Write-after-free check of a debug object just taken off a free list: every
 * byte after the free pointer (bytes 8 .. object_size - 1) must still be
 * SLAB_POISON_BYTE, as slab_free_slow() left it. On the first byte that is
 * not, print one report naming the object, the cache, the byte's offset and
 * value and the caller, and return false (slab_take() then quarantines the
 * object); else true. Interrupts off.
 */
static bool poison_intact(struct slab_cache *c, uint8_t *obj, void *caller)
{
	ASSERT_IRQS_OFF();
	/* LAB 3 BEGIN slab_poison_check: find and report the first changed poison byte */
	for (size_t i = sizeof(void *); i < c->object_size; i++) {
		if (obj[i] != SLAB_POISON_BYTE) {
			char who[64];
			report_caller(who, sizeof(who), caller);
			kprintf("slab_alloc: write after free in object 0x%lx of cache %s (byte +%zu "
				"= 0x%02x), found when allocating for %s; object quarantined\n",
				(uint64_t)(uintptr_t)obj, c->name, i, obj[i], who);
			return false;
		}
	}
	return true;
	/* LAB 3 END slab_poison_check */
}

/*
 * One object off the slab lists (partial first, then empty), or NULL when
 * every slab is full. Checks the free pointer (and, in debug mode, the
 * poison) and quarantines what fails. c->lock held.
 */
static void *slab_take(struct slab_cache *c, void *caller)
{
	ASSERT_IRQS_OFF();
	for (;;) {
		struct page *head;
		if (!list_empty(&c->partial)) {
			head = list_first_entry(&c->partial, struct page, list);
		} else if (!list_empty(&c->empty)) {
			head = list_first_entry(&c->empty, struct page, list);
			list_remove(&head->list);
			list_add(&c->partial, &head->list);
			c->empty_slabs--;
		} else {
			return NULL;
		}
		uint8_t *obj = slab_base(head) + slab_free_offset(head);
		void *next = *(void **)obj;
		unsigned inuse = slab_inuse(head) + 1;
		if (unlikely(!valid_free_pointer(c, head, next))) {
			char who[64];
			report_caller(who, sizeof(who), caller);
			kprintf("slab_alloc: corrupted free pointer 0x%lx in free object 0x%lx of cache "
				"%s, found when allocating for %s; the slab's %u free objects are "
				"withdrawn\n", (uint64_t)(uintptr_t)next, (uint64_t)(uintptr_t)obj,
				c->name, who, c->objects_per_slab - inuse + 1);
			c->quarantined += c->objects_per_slab - inuse + 1;
			slab_set(head, c->objects_per_slab, FREE_BROKEN);
			list_remove(&head->list);
			list_add(&c->full, &head->list);
			continue;
		}
		unsigned next_offset = next ? (unsigned)((uint8_t *)next - slab_base(head)) : FREE_NONE;
		slab_set(head, inuse, next_offset);
		if (!next) {
			list_remove(&head->list);
			list_add(&c->full, &head->list);
		}
		if (c->debug) {
			if (!poison_intact(c, obj, caller)) {
				*track_of(c, obj) = TRACK_QUARANTINED;
				c->quarantined++;
				continue;
			}
			*track_of(c, obj) = (uint64_t)(uintptr_t)caller;
		}
		return obj;
	}
}

/* Put a free object back on its slab's free list. c->lock held. */
static void slab_put(struct slab_cache *c, struct page *head, void *obj)
{
	ASSERT_IRQS_OFF();
	unsigned inuse = slab_inuse(head) - 1, free_offset = slab_free_offset(head);

	if (free_offset == FREE_BROKEN) { /* a withdrawn slab: the object stays out of use */
		slab_set(head, inuse + 1, FREE_BROKEN);
		c->quarantined++;
		return;
	}
	*(void **)obj = free_offset == FREE_NONE ? NULL : slab_base(head) + free_offset;
	slab_set(head, inuse, (unsigned)((uint8_t *)obj - slab_base(head)));
	if (inuse == 0) {
		list_remove(&head->list);
		if (c->empty_slabs >= KEEP_EMPTY_SLABS) {
			list_add(&c->empty, &head->list); /* slab_release expects it listed */
			c->empty_slabs++;
			slab_release(c, head);
		} else {
			list_add(&c->empty, &head->list);
			c->empty_slabs++;
		}
	} else if (free_offset == FREE_NONE) {
		list_remove(&head->list);
		list_add(&c->partial, &head->list);
	}
}

/* Flush n objects from the top of this CPU's magazine m back to their slabs. c->lock held. */
static void magazine_flush(struct slab_cache *c, struct slab_magazine *m, unsigned n)
{
	ASSERT_IRQS_OFF();
	while (n-- > 0 && m->count > 0) {
		void *obj = m->slots[m->count--];
		struct page *head = slab_head_of(obj);
		/* A double free the fast path let through shows here: the slab is
		 * gone, or has no object in use, or obj already heads its free list. */
		if (unlikely(!head || cache_of_head(head) != c || slab_inuse(head) == 0 ||
			     slab_base(head) + slab_free_offset(head) == obj)) {
			kprintf("slab_free: double free of object 0x%lx in cache %s, found when "
				"flushing the magazine; the second free is ignored\n",
				(uint64_t)(uintptr_t)obj, c->name);
			active_add(c, 1); /* the fast path counted a free that did not happen */
			continue;
		}
		slab_put(c, head, obj);
	}
}

/* ---- allocation --------------------------------------------------------------- */

/*
 * The slow path of slab_alloc_caller(): debug caches, an empty magazine (a
 * miss refills half a magazine from the slab lists, growing the cache with
 * interrupts restored around alloc_pages(), which may call slab_shrink();
 * the lists are consistent at that point), zeroing and constructors.
 */
/*
 * One object for the slow path, with interrupts off: a debug cache's straight
 * from the slabs, else from this CPU's magazine, refilled with up to half a
 * magazine from the slabs. NULL: the slabs are full (grow, and ask again).
 */
static void *slab_take_or_refill(struct slab_cache *c, void *caller)
{
	ASSERT_IRQS_OFF();
	void *obj = NULL;

	spin_lock(&c->lock);
	if (c->debug) {
		obj = slab_take(c, caller);
	} else {
		struct slab_magazine *m = magazine_of(c, arch_cpu_id()); /* after the lock: no move */
		void *got;
		while (m->count < MAGAZINE_BATCH && (got = slab_take(c, caller)))
			m->slots[++m->count] = got;
		if (m->count > 0)
			obj = m->slots[m->count--];
	}
	spin_unlock(&c->lock);
	return obj;
}

static __noinline void *slab_alloc_slow(struct slab_cache *c, unsigned flags, void *caller)
{
	void *obj = NULL;

	if (!c || !c->in_use || failinject_should_fail(FAILINJECT_SLAB))
		return NULL;
	unsigned long irq = arch_irq_save();
	while (!(obj = slab_take_or_refill(c, caller))) {
		arch_irq_restore(irq); /* the thread may move to another CPU from here */
		bool grew = cache_grow(c);
		irq = arch_irq_save();
		if (!grew)
			break;
	}
	if (obj)
		active_add(c, 1);
	arch_irq_restore(irq);
	if (!obj)
		return NULL;
	if (flags & SLAB_ZERO)
		memset(obj, 0, c->object_size);
	if (c->ctor)
		c->ctor(obj);
	return obj;
}

/*
 * Implementation note: the fast path is a pop from this CPU's magazine with
 * interrupts off, a dozen instructions that touch only the cache's own
 * magazine and counter. Everything else is slab_alloc_slow().
 */
void *slab_alloc_caller(struct slab_cache *c, unsigned flags, void *caller)
{
	if (likely(c && !flags && !c->ctor && !failinject_countdown[arch_cpu_id()][FAILINJECT_SLAB])) {
		/* (debug caches' magazines stay empty: they go to the slow path) */
		unsigned long irq = arch_irq_save();
		struct slab_magazine *m = magazine_of(c, arch_cpu_id());
		if (likely(m->count > 0)) {
			void *obj = m->slots[m->count--];
			active_add(c, 1);
			arch_irq_restore(irq);
			return obj;
		}
		arch_irq_restore(irq);
	}
	return slab_alloc_slow(c, flags, caller);
}

void *slab_alloc(struct slab_cache *c, unsigned flags)
{
	return slab_alloc_caller(c, flags, __builtin_return_address(0));
}

/* ---- free --------------------------------------------------------------------- */

/*
 * The first byte of [p, p + n) that is not the red zone byte, or n.
 * (__unused: in the lab 3 skeleton red_zone_check() is a stub that does not call it.)
 */
static __unused size_t red_zone_damage(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != SLAB_RED_ZONE_BYTE)
			return i;
	return n;
}

/*
 * The red zones of the debug object at obj, which is being freed: the 8
 * bytes before it and the stride - 16 - object_size bytes after it (up to
 * its caller word) must all still be SLAB_RED_ZONE_BYTE. If one is not,
 * write the report for the first damaged byte to why and return -EIO:
 *   "red zone overwritten before object 0x... in cache NAME (byte -N = 0xVV)"
 *   "red zone overwritten after object 0x... in cache NAME (byte +N = 0xVV)"
 * (N counts from the object's start: -8 .. -1 before it, object_size and up
 * after it); the left zone is checked first. Else 0. Reads only.
 */
static int red_zone_check(const struct slab_cache *c, const uint8_t *obj, char *why,
			  size_t size)
{
	/* LAB 3 BEGIN slab_red_zone_check: check both red zones of a debug object being freed */
	uint64_t va = (uint64_t)(uintptr_t)obj;
	size_t left = red_zone_damage(obj - 8, 8);
	if (left < 8) {
		ksnprintf(why, size, "red zone overwritten before object 0x%lx in cache %s "
			  "(byte -%lu = 0x%02x)", va, c->name, (uint64_t)(8 - left),
			  obj[-8 + (long)left]);
		return -EIO;
	}
	size_t n = c->stride - 16 - c->object_size;
	size_t right = red_zone_damage(obj + c->object_size, n);
	if (right < n) {
		ksnprintf(why, size, "red zone overwritten after object 0x%lx in cache %s "
			  "(byte +%lu = 0x%02x)", va, c->name,
			  (uint64_t)(c->object_size + right), obj[c->object_size + right]);
		return -EIO;
	}
	return 0;
	/* LAB 3 END slab_red_zone_check */
}

/*
 * Everything wrong with freeing obj to c, as an error number with the text
 * for the report in why; 0 if it is a good free. Reads only. c->lock held.
 */
static int free_problem(struct slab_cache *c, const uint8_t *obj, struct page **head_out,
			char *why, size_t size)
{
	ASSERT_IRQS_OFF();
	struct page *head = slab_head_of(obj);
	uint64_t va = (uint64_t)(uintptr_t)obj;

	if (!head) {
		ksnprintf(why, size, "0x%lx is not slab memory (freed to cache %s)", va, c->name);
		return -EINVAL;
	}
	struct slab_cache *owner = cache_of_head(head);
	if (owner != c) {
		ksnprintf(why, size, "object 0x%lx belongs to cache %s, not %s", va,
			  owner ? owner->name : "(none)", c->name);
		return -EINVAL;
	}
	const uint8_t *first = slab_first(c, head);
	uintptr_t off = (uintptr_t)obj - (uintptr_t)first;
	if ((uintptr_t)obj < (uintptr_t)first || off / c->stride >= c->objects_per_slab ||
	    off % c->stride >= c->object_size) {
		ksnprintf(why, size, "0x%lx in cache %s is not inside any object", va, c->name);
		return -EFAULT;
	}
	if (off % c->stride != 0) {
		ksnprintf(why, size, "0x%lx is not an object start (object 0x%lx + %lu) in cache %s",
			  va, va - off % c->stride, (uint64_t)(off % c->stride), c->name);
		return -EFAULT;
	}
	*head_out = head;
	if (c->debug) {
		uint64_t track = *track_of(c, obj);
		if (track == TRACK_FREE || track == TRACK_QUARANTINED) {
			ksnprintf(why, size, "double free of object 0x%lx in cache %s%s", va, c->name,
				  track == TRACK_QUARANTINED ? " (quarantined)" : "");
			return -EBUSY;
		}
		return red_zone_check(c, obj, why, size);
	}
	const struct slab_magazine *m = magazine_of(c, arch_cpu_id());
	bool in_magazine = slab_inuse(head) == 0;
	for (unsigned i = 1; i <= m->count && !in_magazine; i++)
		in_magazine = m->slots[i] == obj;
	if (in_magazine) {
		ksnprintf(why, size, "double free of object 0x%lx in cache %s", va, c->name);
		return -EBUSY;
	}
	return 0;
}

/*
 * The slow path of a free: debug caches, a full magazine, and every free
 * the fast path did not accept, which free_problem() then explains.
 */
static __noinline int slab_free_slow(struct slab_cache *c, const void *obj, void *caller)
{
	char why[200], who[64];
	struct page *head = NULL;

	if (!obj)
		return -EINVAL;
	if (!c || !c->in_use) {
		report_caller(who, sizeof(who), caller);
		kprintf("slab_free: object 0x%lx freed to a cache that does not exist, by %s\n",
			(uint64_t)(uintptr_t)obj, who);
		return -EINVAL;
	}
	unsigned long irq = spin_lock_irqsave(&c->lock);
	int err = free_problem(c, obj, &head, why, sizeof(why));
	if (err == -EIO) { /* red zone: quarantine the object */
		*track_of(c, obj) = TRACK_QUARANTINED;
		c->quarantined++;
		active_add(c, -1);
	}
	if (err) {
		spin_unlock_irqrestore(&c->lock, irq);
		report_caller(who, sizeof(who), caller);
		kprintf("slab_free: %s, freed by %s\n", why, who);
		return err;
	}
	void *o = (void *)(uintptr_t)obj;
	active_add(c, -1);
	if (c->debug) {
		memset(o, SLAB_POISON_BYTE, c->object_size);
		*track_of(c, o) = TRACK_FREE;
		slab_put(c, head, o);
	} else {
		struct slab_magazine *m = magazine_of(c, arch_cpu_id());
		if (m->count == SLAB_MAGAZINE_SIZE)
			magazine_flush(c, m, MAGAZINE_BATCH);
		m->slots[++m->count] = o;
	}
	spin_unlock_irqrestore(&c->lock, irq);
	return 0;
}

/*
 * The fast path of a free of obj to its cache c: a push on this CPU's
 * magazine once obj passes two cheap checks: it is an object start of its
 * slab, and it is not the magazine's top (the latest free, freed again).
 * A double free of an older object is caught when the magazine is flushed
 * if its slab is empty by then or it heads the slab's free list
 * (slab_put); the full search is the slow path's, and debug mode's.
 */
static __always_inline int free_fast(struct slab_cache *c, const void *obj, void *caller)
{
	unsigned long irq = arch_irq_save();
	struct slab_magazine *m = magazine_of(c, arch_cpu_id());
	unsigned n = m->count;

	if (likely(n < c->magazine_limit && object_start(c, obj) && m->slots[n] != obj)) {
		m->slots[n + 1] = (void *)(uintptr_t)obj;
		m->count = n + 1;
		active_add(c, -1);
		arch_irq_restore(irq);
		return 0;
	}
	arch_irq_restore(irq);
	return slab_free_slow(c, obj, caller);
}

int slab_free_caller(struct slab_cache *c, const void *obj, void *caller)
{
	struct page *head = obj && c ? slab_head_of(obj) : NULL;

	if (unlikely(!head || cache_of_head(head) != c))
		return slab_free_slow(c, obj, caller);
	return free_fast(c, obj, caller);
}

void slab_free_object(const void *obj, void *caller, void (*not_slab)(const void *, void *))
{
	struct page *head = slab_head_of(obj);
	struct slab_cache *c = head ? cache_of_head(head) : NULL;

	if (unlikely(!c)) {
		not_slab(obj, caller); /* a tail call: kfree's fast path has no stack frame */
		return;
	}
	free_fast(c, obj, caller);
}

int slab_free(struct slab_cache *c, const void *obj)
{
	return slab_free_caller(c, obj, __builtin_return_address(0));
}

/* ---- caches ------------------------------------------------------------------ */

void slab_init(void)
{
	memset(caches, 0, sizeof(caches));
	memset(cpu_magazines, 0, sizeof(cpu_magazines));
	MUST_SUCCEED(buddy_register_shrinker(slab_shrink),
		     "slab_init: registering the shrinker (the table has room at boot)");
}

struct slab_cache *slab_cache_create(const char *name, size_t size, size_t align,
				     void (*ctor)(void *obj), unsigned flags)
{
	if (!name || size == 0 || size > SLAB_MAX_OBJECT_SIZE || (flags & ~SLAB_CACHE_DEBUG))
		return NULL;
	if (align == 0)
		align = 8;
	if (!IS_POWER_OF_TWO(align) || align > SLAB_MAX_OBJECT_SIZE)
		return NULL;
	unsigned long irq = spin_lock_irqsave(&caches_lock);
	struct slab_cache *c = NULL;
	for (size_t i = 0; i < SLAB_CACHES_MAX && !c; i++)
		if (!caches[i].in_use)
			c = &caches[i];
	if (c) {
		memset(c, 0, sizeof(*c));
		spin_lock_init(&c->lock, "slab cache");
		for (unsigned cpu = 0; cpu < MM_MAX_CPUS; cpu++)
			magazine_of(c, cpu)->count = 0; /* the slot's last cache flushed them */
		strlcpy(c->name, name, sizeof(c->name));
		c->object_size = MAX(size, (size_t)8); /* room for the free pointer */
		c->align = MAX(align, (size_t)8);
		c->ctor = ctor;
		c->flags = flags;
		list_init(&c->partial);
		list_init(&c->full);
		list_init(&c->empty);
		if (cache_layout(c, debug_default || (flags & SLAB_CACHE_DEBUG)))
			c->in_use = true;
		else
			c = NULL;
	}
	spin_unlock_irqrestore(&caches_lock, irq);
	return c;
}

/*
 * arch_on_each_cpu() body: flush this CPU's magazine of cache arg, or of
 * every cache when arg is NULL, each under its cache's lock. Interrupts off.
 */
static void magazines_flush_here(void *arg)
{
	ASSERT_IRQS_OFF();
	const struct slab_cache *only = arg;
	unsigned cpu = arch_cpu_id();

	for (size_t i = 0; i < SLAB_CACHES_MAX; i++) {
		struct slab_cache *c = &caches[i];
		struct slab_magazine *m = magazine_of(c, cpu);
		if ((only && c != only) || !c->in_use || m->count == 0)
			continue;
		spin_lock(&c->lock);
		magazine_flush(c, m, SLAB_MAGAZINE_SIZE);
		spin_unlock(&c->lock);
	}
}

/*
 * Flush the magazines of cache only (NULL: every cache) on every CPU, each
 * CPU its own; only this CPU's when this context cannot ask the others
 * (interrupts off with other CPUs online). No slab lock held.
 */
static void magazines_flush(struct slab_cache *only)
{
	if (arch_can_reach_every_cpu()) {
		arch_on_each_cpu(magazines_flush_here, only);
	} else {
		unsigned long irq = arch_irq_save();
		magazines_flush_here(only);
		arch_irq_restore(irq);
	}
}

/* Free c's empty slabs (magazines flushed before); returns pages freed. c->lock held. */
static uint64_t cache_shrink(struct slab_cache *c)
{
	ASSERT_IRQS_OFF();
	uint64_t pages = 0;
	struct page *head, *next;

	list_for_each_entry_safe(head, next, &c->empty, list) {
		pages += c->pages_per_slab;
		slab_release(c, head);
	}
	return pages;
}

/* Switch c to the current debug mode if it differs and c holds no slab. c->lock held. */
static bool cache_apply_mode(struct slab_cache *c)
{
	ASSERT_IRQS_OFF();
	bool want = debug_default || (c->flags & SLAB_CACHE_DEBUG);

	if (c->debug == want)
		return true;
	if (c->slabs > 0)
		return false;
	return cache_layout(c, want);
}

int slab_cache_destroy(struct slab_cache *c)
{
	if (!c || c < caches || c >= caches + SLAB_CACHES_MAX || !c->in_use)
		return -EINVAL;
	magazines_flush(c);
	unsigned long irq = spin_lock_irqsave(&caches_lock);
	spin_lock(&c->lock);
	cache_shrink(c);
	if (c->slabs > 0) {
		uint64_t active = c->active_objects, quarantined = c->quarantined;
		spin_unlock(&c->lock);
		spin_unlock_irqrestore(&caches_lock, irq);
		kprintf("slab_cache_destroy: cache %s still has %lu live and %lu quarantined "
			"object(s); not destroyed\n", c->name, active, quarantined);
		return -EBUSY;
	}
	c->in_use = false;
	spin_unlock(&c->lock);
	spin_unlock_irqrestore(&caches_lock, irq);
	return 0;
}

/*
 * Flush every magazine, then, cache by cache under its lock, free the empty
 * slabs and apply the debug mode where the cache has no slab left; counts
 * the caches that kept the other mode in *stuck (may be NULL). Returns the
 * pages freed.
 */
static uint64_t shrink_all(unsigned *stuck)
{
	uint64_t pages = 0;

	magazines_flush(NULL);
	for (size_t i = 0; i < SLAB_CACHES_MAX; i++) {
		struct slab_cache *c = &caches[i];
		if (!c->in_use)
			continue;
		unsigned long irq = spin_lock_irqsave(&c->lock);
		pages += cache_shrink(c);
		if (!cache_apply_mode(c) && stuck)
			(*stuck)++;
		spin_unlock_irqrestore(&c->lock, irq);
	}
	return pages;
}

uint64_t slab_shrink(void)
{
	return shrink_all(NULL);
}

int slab_set_debug(bool on)
{
	unsigned stuck = 0;

	debug_default = on;
	shrink_all(&stuck);
	return stuck ? -EBUSY : 0;
}

bool slab_debug_enabled(void)
{
	return debug_default;
}

void slab_for_each_cache(void (*fn)(const struct slab_cache *c, void *arg), void *arg)
{
	for (size_t i = 0; i < SLAB_CACHES_MAX; i++)
		if (caches[i].in_use)
			fn(&caches[i], arg);
}

uint64_t slab_total_bytes(void)
{
	uint64_t pages = 0;

	for (size_t i = 0; i < SLAB_CACHES_MAX; i++)
		if (caches[i].in_use)
			pages += caches[i].slab_pages_total;
	return pages * PAGE_SIZE;
}

/* ---- leak report ----------------------------------------------------------- */

#define LEAK_CALLERS_MAX 32

struct leak_entry {
	uint64_t caller, objects, bytes;
};

static struct leak_entry leak_table[LEAK_CALLERS_MAX];

/* Count one live object of `bytes` allocated by caller; false if the table is full. */
static bool leak_count(size_t *used, uint64_t caller, uint64_t bytes)
{
	for (size_t i = 0; i < *used; i++) {
		if (leak_table[i].caller == caller) {
			leak_table[i].objects++;
			leak_table[i].bytes += bytes;
			return true;
		}
	}
	if (*used == LEAK_CALLERS_MAX)
		return false;
	leak_table[(*used)++] = (struct leak_entry){caller, 1, bytes};
	return true;
}

/* Count the live objects of one slab (debug cache). */
static void leak_scan_slab(const struct slab_cache *c, const struct page *head, size_t *used,
			   uint64_t *untallied)
{
	uint8_t *first = slab_first(c, head);

	for (unsigned i = 0; i < c->objects_per_slab; i++) {
		uint64_t track = *track_of(c, first + i * c->stride);
		if (track != TRACK_FREE && track != TRACK_QUARANTINED &&
		    !leak_count(used, track, c->object_size))
			(*untallied)++;
	}
}

void slab_report_leaks(void)
{
	size_t used = 0;
	uint64_t untracked = 0, untallied = 0, objects = 0, bytes = 0;
	const struct page *head;

	for (size_t i = 0; i < SLAB_CACHES_MAX; i++) {
		struct slab_cache *c = &caches[i];
		if (!c->in_use)
			continue;
		if (!c->debug) {
			untracked += c->active_objects;
			continue;
		}
		unsigned long irq = spin_lock_irqsave(&c->lock);
		list_for_each_entry(head, &c->partial, list)
			leak_scan_slab(c, head, &used, &untallied);
		list_for_each_entry(head, &c->full, list)
			leak_scan_slab(c, head, &used, &untallied);
		spin_unlock_irqrestore(&c->lock, irq);
	}
	/* Largest first: a selection sort of a table of at most 32 rows. */
	for (size_t i = 0; i < used; i++) {
		size_t max = i;
		for (size_t j = i + 1; j < used; j++)
			if (leak_table[j].bytes > leak_table[max].bytes)
				max = j;
		struct leak_entry t = leak_table[i];
		leak_table[i] = leak_table[max];
		leak_table[max] = t;
	}
	for (size_t i = 0; i < used; i++) {
		char who[64];
		report_caller(who, sizeof(who), (void *)(uintptr_t)leak_table[i].caller);
		kprintf("leaks: %8lu object(s) %10lu bytes  %s\n", leak_table[i].objects,
			leak_table[i].bytes, who);
		objects += leak_table[i].objects;
		bytes += leak_table[i].bytes;
	}
	kprintf("leaks: %lu live object(s), %lu bytes, from %lu caller(s)\n", objects, bytes,
		(uint64_t)used);
	if (untallied)
		kprintf("leaks: %lu more object(s) from callers beyond the first %d\n", untallied,
			LEAK_CALLERS_MAX);
	if (untracked)
		kprintf("leaks: %lu live object(s) in caches without debug mode (not tracked)\n",
			untracked);
}
