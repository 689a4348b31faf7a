/*
 * kmalloc.h - the kernel's general-purpose heap: kmalloc, kfree and friends.
 *
 * Small requests are rounded up to a size class, each a slab cache
 * ("kmalloc-N" in slabinfo):
 *   8 16 32 64 96 128 192 256 512 1024 2048 4096 8192 bytes
 * 96 and 192 (as in Linux) keep the waste of the common 65-96 and 129-192
 * byte requests at most a third instead of a half. Larger requests get
 * whole pages from alloc_pages(): 2^order pages with order =
 * ceil(log2(pages)), up to MAX_ORDER (4 MiB); the head page is PG_HEAD
 * without PG_SLAB and carries KMALLOC_LARGE_MAGIC in `private`, so kfree
 * and ksize recognize it.
 *
 * Alignment: every block is 8-byte aligned; power-of-two classes are
 * naturally aligned (a kmalloc(64) block is 64-byte aligned, kmalloc(4096)
 * page aligned), 96 is 32-byte and 192 64-byte aligned; large blocks are
 * aligned to their size.
 *
 * Context: as slab.h (interrupts on or off, not from an interrupt handler
 * that interrupted the allocator). Host-compilable.
 */
#ifndef MM_KMALLOC_H
#define MM_KMALLOC_H

#include <stddef.h>
#include <stdint.h>

#include "lib/compiler.h"

#define KM_ZERO (1u << 0) /* fill the block with zeroes */

#define KMALLOC_MAX_CACHE_SIZE 8192 /* larger requests go to the page allocator */
#define KMALLOC_LARGE_MAGIC 0x6b6c7267u /* page->private of a large kmalloc block */

/* Create the size-class caches (panics if it cannot). Boot: after slab_init(). */
void kmalloc_init(void);

/*
 * A block of at least size bytes (flags: 0 or KM_ZERO), or NULL when out of
 * memory, for size 0 (we return NULL rather than Linux's special pointer),
 * or for more than 2^MAX_ORDER pages.
 */
__must_check void *kmalloc(size_t size, unsigned flags);

/*
 * Free a block from kmalloc/kcalloc/krealloc. NULL does nothing. A pointer
 * that is not a live kmalloc block (inside a block, double free, not heap
 * memory) is reported with the caller and ignored.
 */
void kfree(const void *p);

/*
 * Resize p to size bytes, keeping the first min(old usable size, size)
 * bytes. p NULL: kmalloc(size, flags). size 0: kfree(p), returns NULL.
 * Stays in place when the new size fits the same size class (or the same
 * page block); else moves. With KM_ZERO, bytes past the old usable size are
 * zero when the block moves. Returns NULL on failure (p is still valid and
 * unchanged) or for an invalid p (reported).
 */
__must_check void *krealloc(void *p, size_t size, unsigned flags);

/* kmalloc(n * size, flags | KM_ZERO); NULL if n * size overflows. */
__must_check void *kcalloc(size_t n, size_t size, unsigned flags);

/*
 * Usable size of block p (its class or page block size, >= what was asked
 * for). 0 for NULL or a pointer that is not a live kmalloc block.
 */
size_t ksize(const void *p);

#endif
