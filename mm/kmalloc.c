/*
 * kmalloc.c - size classes over the slab allocator, whole pages beyond.
 *
 * The class of a small request comes from a 24-entry table for sizes up to
 * 192 (indexed by (size - 1) / 8, so 96 and 192 fit in) and from the next
 * power of two above that: no loop, no search. Which cache or page block a
 * pointer belongs to is read from its struct page (slab_cache_of), so kfree
 * and ksize need no size from the caller.
 *
 * Invariants:
 *   [x] every kmalloc block is an object of one of the kmalloc caches, or the
 *       start of a page block whose head has PG_HEAD, not PG_SLAB, and
 *       private == KMALLOC_LARGE_MAGIC (cleared again by kfree);
 *   [x] class sizes are increasing, each class is aligned as kmalloc.h says.
 * Context: as kmalloc.h.
 */
#include "mm/kmalloc.h"

#include "lib/compiler.h"
#include "lib/errno.h"
#include "lib/lab.h"
#include "lib/panic.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/buddy.h"
#include "mm/page.h"
#include "mm/slab.h"

static const struct kmalloc_class {
	const char *name;
	size_t size, align;
} classes[] = {
	{"kmalloc-8", 8, 8},         {"kmalloc-16", 16, 16},     {"kmalloc-32", 32, 32},
	{"kmalloc-64", 64, 64},      {"kmalloc-96", 96, 32},     {"kmalloc-128", 128, 128},
	{"kmalloc-192", 192, 64},    {"kmalloc-256", 256, 256},  {"kmalloc-512", 512, 512},
	{"kmalloc-1024", 1024, 1024}, {"kmalloc-2048", 2048, 2048},
	{"kmalloc-4096", 4096, 4096}, {"kmalloc-8192", 8192, 8192},
};

#define CLASS_COUNT ARRAY_SIZE(classes)
#define CLASS_256 7 /* index of kmalloc-256: the first of the power-of-two tail */

static struct slab_cache *kmalloc_caches[CLASS_COUNT];

/*
 * The class index for 1 <= size <= KMALLOC_MAX_CACHE_SIZE: the index in
 * classes[] of the smallest class whose size is >= size (kmalloc(100) ->
 * kmalloc-128, index 5). On kmalloc's fast path, so no loop: a table for
 * sizes up to 192, the next power of two above that.
 */
static __always_inline unsigned class_of(size_t size)
{
	/* LAB 3 BEGIN kmalloc_class_of: the index of the smallest size class that holds size bytes */
	/* Class index for sizes 1..192 by (size - 1) / 8. */
	static const uint8_t small_class[24] = {
		0, 1, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 6,
	};

	if (size <= 192)
		return small_class[(size - 1) / 8];
	unsigned log2 = 64 - (unsigned)__builtin_clzll(size - 1); /* ceil(log2(size)) */
	return CLASS_256 + log2 - 8;
	/* LAB 3 END kmalloc_class_of */
}

void kmalloc_init(void)
{
	for (size_t i = 0; i < CLASS_COUNT; i++) {
		kmalloc_caches[i] = slab_cache_create(classes[i].name, classes[i].size,
						      classes[i].align, NULL, 0);
		if (!kmalloc_caches[i])
			panic("kmalloc_init: cannot create cache %s", classes[i].name);
	}
}

/* The order of the page block for a large request: ceil(log2(pages)). */
static unsigned large_order(size_t size)
{
	uint64_t pages = (size + PAGE_SIZE - 1) / PAGE_SIZE;

	return pages <= 1 ? 0 : 64 - (unsigned)__builtin_clzll(pages - 1);
}

/* Requests above KMALLOC_MAX_CACHE_SIZE: a whole page block. */
static void *kmalloc_large(size_t size, unsigned flags)
{
	if (size > (PAGE_SIZE << MAX_ORDER))
		return NULL;
	struct page *page = alloc_pages(flags & KM_ZERO ? ALLOC_ZERO : 0, large_order(size));
	if (!page)
		return NULL;
	page->private = KMALLOC_LARGE_MAGIC;
	return page_address(page);
}

STATIC_ASSERT(KM_ZERO == SLAB_ZERO, "kmalloc passes its flags to slab_alloc unchanged");

static __always_inline void *kmalloc_caller(size_t size, unsigned flags, void *caller)
{
	if (likely(size - 1 < KMALLOC_MAX_CACHE_SIZE)) /* 1 .. max; size 0 wraps */
		return slab_alloc_caller(kmalloc_caches[class_of(size)], flags, caller);
	return size ? kmalloc_large(size, flags) : NULL;
}

void *kmalloc(size_t size, unsigned flags)
{
	return kmalloc_caller(size, flags, __builtin_return_address(0));
}

/* The head page of the large block starting at p, or NULL. */
static struct page *large_head(const void *p)
{
	struct page *page = virt_to_page(p);

	if (!page || (page->flags & (PG_HEAD | PG_SLAB)) != PG_HEAD ||
	    page->private != KMALLOC_LARGE_MAGIC || page_address(page) != p)
		return NULL;
	return page;
}

/*
 * kfree of p that is not in a slab: a large block, or a bad pointer.
 * Called by slab_free_object() (see kfree_caller).
 */
static void kfree_large(const void *p, void *caller)
{
	struct page *page = large_head(p);

	if (page) {
		page->private = 0;
		MUST_SUCCEED(free_pages(page, page->order),
			     "kfree_large: freeing a large block that large_head() accepted");
		return;
	}
	char who[64];
	arch_symbolize((uint64_t)(uintptr_t)caller, who, sizeof(who));
	kprintf("kfree: 0x%lx is not a live kmalloc block (double free, or not from kmalloc), "
		"freed by %s\n", (uint64_t)(uintptr_t)p, who);
}

static __always_inline void kfree_caller(const void *p, void *caller)
{
	if (p)
		slab_free_object(p, caller, kfree_large);
}

void kfree(const void *p)
{
	kfree_caller(p, __builtin_return_address(0));
}

size_t ksize(const void *p)
{
	if (!p)
		return 0;
	struct slab_cache *c = slab_cache_of(p);
	if (c)
		return c->object_size;
	struct page *page = large_head(p);
	return page ? PAGE_SIZE << page->order : 0;
}

void *krealloc(void *p, size_t size, unsigned flags)
{
	void *caller = __builtin_return_address(0);

	if (!p)
		return kmalloc_caller(size, flags, caller);
	if (size == 0) {
		kfree_caller(p, caller);
		return NULL;
	}
	size_t old = ksize(p);
	if (old == 0) {
		char who[64];
		arch_symbolize((uint64_t)(uintptr_t)caller, who, sizeof(who));
		kprintf("krealloc: 0x%lx is not a live kmalloc block, by %s\n",
			(uint64_t)(uintptr_t)p, who);
		return NULL;
	}
	/* Same class, or same page block order: nothing to do. */
	if (old <= KMALLOC_MAX_CACHE_SIZE ? size <= KMALLOC_MAX_CACHE_SIZE &&
						    classes[class_of(size)].size == old
					  : size > KMALLOC_MAX_CACHE_SIZE &&
						    (PAGE_SIZE << large_order(size)) == old)
		return p;
	void *q = kmalloc_caller(size, flags, caller);
	if (!q)
		return NULL;
	memcpy(q, p, MIN(old, size));
	kfree_caller(p, caller);
	return q;
}

void *kcalloc(size_t n, size_t size, unsigned flags)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	return kmalloc_caller(bytes, flags | KM_ZERO, __builtin_return_address(0));
}
