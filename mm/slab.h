/*
 * slab.h - the slab allocator: caches of equal-sized objects carved out of
 * page blocks (the kernel heap's bottom layer; kmalloc is built on it).
 *
 * A cache hands out objects of one size. It gets memory from the buddy
 * allocator in *slabs* of 2^order pages, cuts each slab into objects, and
 * keeps its slabs on three lists: partial (some objects free), full and
 * empty. Free objects are chained through their own first word, so the
 * bookkeeping costs no memory beyond three fields of the slab's first
 * struct page. In front of the lists each CPU has a *magazine*, a small
 * stack of free object pointers: most allocations and frees touch only it.
 * Empty slabs go back to the buddy allocator through slab_shrink(), which
 * is also registered as a buddy shrinker (called when memory runs low).
 *
 * Debug mode (slab_set_debug) adds red zones, poisoning, double/invalid free
 * detection and per-object caller tracking; see slab.c for the layout.
 *
 * Locking: each cache's slab lists are under its lock (c->lock, class
 * "slab cache"); each CPU's magazines are its own, used with interrupts off
 * and no lock (only their refill and flush take the cache lock); the cache
 * table under one lock ("slab cache table"). active_objects changes by
 * atomic adds. Lock order: slab cache -> zone (a slab goes back to the
 * buddy allocator under the cache lock); the table lock is outside both;
 * alloc_pages for a new slab runs with no slab lock held.
 * Context for every function: interrupts on or off (the allocator disables
 * them around its lists), any CPU, never sleeps; not from an interrupt
 * handler that interrupted the allocator. Host-compilable.
 */
#ifndef MM_SLAB_H
#define MM_SLAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/compiler.h"
#include "lib/list.h"
#include "mm/arch.h"
#include "mm/spinlock.h"

#define SLAB_NAME_MAX 24         /* cache names are copied, truncated to 23 characters */
#define SLAB_CACHES_MAX 64       /* caches that can exist at once (a static table) */
#define SLAB_MAX_OBJECT_SIZE 16384
#define SLAB_MAX_ORDER 4         /* slabs are at most 2^4 pages = 64 KiB */
#define SLAB_MAGAZINE_SIZE 16    /* object pointers per CPU per cache */

/* slab_alloc() flags. */
#define SLAB_ZERO (1u << 0)      /* fill the object with zeroes (before the constructor) */

/* slab_cache_create() flags. */
#define SLAB_CACHE_DEBUG (1u << 0) /* debug checks for this cache whatever slab_debug says */

#define SLAB_RED_ZONE_BYTE 0xbb  /* red zones around objects in debug mode */
#define SLAB_POISON_BYTE 0x6b    /* freed objects in debug mode (first word excepted) */

/*
 * A magazine: a stack of free objects in slots[1..count], top at
 * slots[count]. slots[0] stays NULL, so "is obj the top?" (the fast path's
 * double-free check) needs no emptiness test.
 */
struct slab_magazine {
	unsigned count;                        /* objects held, 0..SLAB_MAGAZINE_SIZE */
	void *slots[SLAB_MAGAZINE_SIZE + 1];   /* slots[0] = NULL, then the stack */
};

/*
 * A cache. The fields up to `debug` are public and read-only (slabinfo,
 * tests); the rest belong to slab.c.
 */
struct slab_cache {
	char name[SLAB_NAME_MAX];   /* e.g. "kmalloc-64" */
	size_t object_size;         /* bytes usable in each object (at least 8) */
	size_t align;               /* every object's address is a multiple of this */
	uint64_t active_objects;    /* objects handed out and not freed (atomic adds) */
	uint64_t total_objects;     /* objects in all slabs (slabs * objects_per_slab) */
	unsigned objects_per_slab;
	unsigned order;             /* a slab is 2^order pages */
	unsigned pages_per_slab;    /* 1 << order */
	uint64_t slabs;             /* slabs held (partial + full + empty) */
	uint64_t slab_pages_total;  /* pages held: slabs * pages_per_slab */
	uint64_t quarantined;       /* objects withheld for ever after a detected corruption */
	bool debug;                 /* red zones, poisoning, caller tracking */

	/* private */
	spinlock_t lock;            /* the slab lists and counts below, the layout */
	bool in_use;                /* this slot of the cache table is a cache */
	unsigned flags;             /* SLAB_CACHE_* */
	void (*ctor)(void *obj);
	size_t stride;              /* distance between objects */
	size_t lead;                /* bytes before the colour offset (debug: object 0's red zone) */
	unsigned colours;           /* distinct colour offsets, a power of two */
	size_t colour_step;         /* bytes between colour offsets: max(64, align) */
	uint32_t objects_span;      /* objects_per_slab * stride */
	unsigned colour_shift;      /* object_start(): see cache_layout() */
	uint64_t colour_mask, slab_mask;
	unsigned magazine_limit;    /* objects a magazine may hold: 0 in debug mode */
	uint64_t stride_magic;      /* 2^64 / stride rounded up (stride_divides() in slab.c) */
	uint64_t empty_slabs;       /* slabs on `empty` */
	struct list_node partial, full, empty; /* slab head pages, through page->list */
} __aligned(1024); /* a power-of-two size: kfree finds &caches[i] with a shift, not a
		    * multiply, on its critical path (22 -> 18.5 cycles a pair, docs/heap.md) */

/*
 * Reset the slab allocator (forget every cache; host tests call it after
 * building a new page allocator) and register slab_shrink() as a buddy
 * shrinker. Boot: once, after the buddy allocator, before kmalloc_init().
 */
void slab_init(void);

/*
 * Create a cache of objects of `size` bytes (1..SLAB_MAX_OBJECT_SIZE).
 * name:  copied (truncated to SLAB_NAME_MAX - 1 characters).
 * align: 0 for the default of 8, else a power of two up to SLAB_MAX_OBJECT_SIZE; the
 *        cache uses at least 8.
 * ctor:  NULL, or called on each object every time it is handed out (after
 *        SLAB_ZERO): unlike Linux, not once per slab, because free objects
 *        hold the free list and poison.
 * flags: 0 or SLAB_CACHE_DEBUG.
 * Takes no memory until the first allocation. Returns NULL for bad
 * arguments or when the cache table is full.
 */
__must_check struct slab_cache *slab_cache_create(const char *name, size_t size, size_t align,
						  void (*ctor)(void *obj), unsigned flags);

/*
 * An object from cache c (aligned to c->align), or NULL when no memory is
 * left. flags: 0 or SLAB_ZERO. Contents are undefined otherwise (debug
 * mode: poison). Never sleeps.
 */
__must_check void *slab_alloc(struct slab_cache *c, unsigned flags);

/*
 * Give obj back to cache c. Checked before anything changes; on an error a
 * line naming the cache, the object and the caller is printed, nothing in
 * the allocator changes, and the result is:
 *   -EINVAL  obj is not slab memory, or belongs to another cache (c NULL too)
 *   -EFAULT  obj points inside an object, not at its start
 *   -EBUSY   double free: the object is free already, or it was quarantined.
 *            Always caught in debug mode. Without it the fast path catches
 *            the latest free again (the object on top of this CPU's
 *            magazine) and a free into a slab with no object in use; the
 *            slow path (magazine full) searches the whole magazine, and a
 *            magazine flush catches the object already heading its slab's
 *            free list, as Linux's freelist hardening does. Other double
 *            frees go unseen without debug mode, as in Linux.
 *   -EIO     debug mode: a red zone was overwritten; reported with the first
 *            bad byte, and the object is quarantined (never reused)
 * Returns 0 on success. obj NULL: -EINVAL, without a report.
 */
__must_check int slab_free(struct slab_cache *c, const void *obj);

/*
 * Destroy cache c: its slabs go back to the buddy allocator and its table
 * slot is freed. Returns -EBUSY, with a report, while objects are live or
 * quarantined (the cache is left intact), -EINVAL for a bad c, else 0.
 */
__must_check int slab_cache_destroy(struct slab_cache *c);

/*
 * Empty every magazine into the slabs and give every empty slab of every
 * cache back to the buddy allocator; a cache waiting for a debug mode change
 * (slab_set_debug) that now has no slab switches. Returns the pages freed.
 * Every CPU flushes its own magazines (arch_on_each_cpu) when this context
 * can ask them (interrupts on, or one CPU), else only this CPU's are.
 * Also called by the buddy allocator when a zone runs low.
 */
uint64_t slab_shrink(void);

/*
 * Switch debug mode: caches created afterwards use it, and so does every
 * existing cache without objects (after emptying magazines and freeing
 * empty slabs) - a cache's object layout can only change while it holds no
 * slab. SLAB_CACHE_DEBUG caches stay in debug mode. Returns 0, or -EBUSY
 * if some cache kept its old mode (it switches at a later slab_shrink()
 * that finds it without slabs).
 */
__must_check int slab_set_debug(bool on);
bool slab_debug_enabled(void);

/* Call fn(c, arg) for every cache, in creation-slot order. */
void slab_for_each_cache(void (*fn)(const struct slab_cache *c, void *arg), void *arg);

/* Bytes of slabs held by all caches (meminfo's Slab line). */
uint64_t slab_total_bytes(void);

/*
 * Print every live object of the debug-mode caches, grouped by the code
 * that allocated it, with counts and bytes (largest first). Objects of
 * caches without debug mode are not tracked (a line says how many).
 */
void slab_report_leaks(void);

/*
 * For kmalloc (and other wrappers): the cache obj belongs to, or NULL when
 * obj is not inside a slab; and slab_alloc/slab_free with the caller to
 * record and report given explicitly.
 */
struct slab_cache *slab_cache_of(const void *obj);
__must_check void *slab_alloc_caller(struct slab_cache *c, unsigned flags, void *caller);
__must_check int slab_free_caller(struct slab_cache *c, const void *obj, void *caller);

/*
 * Free obj (not NULL) to whichever cache owns it: kfree's path, one
 * descriptor lookup for both questions. When obj is not in a slab, calls
 * not_slab(obj, caller) instead, which decides what else it may be (as a
 * tail call, so the common case needs no stack frame in the caller).
 * Errors are reported as slab_free() reports them.
 */
void slab_free_object(const void *obj, void *caller, void (*not_slab)(const void *obj, void *caller));

#endif
