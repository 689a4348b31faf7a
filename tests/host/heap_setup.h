/*
 * heap_setup.h - a fresh kernel heap for a host test: the default arena's
 * page allocator, then a reset slab allocator (debug off) and the kmalloc
 * caches on top. For test files that link mm/slab.c and mm/kmalloc.c.
 */
#ifndef TESTS_HOST_HEAP_SETUP_H
#define TESTS_HOST_HEAP_SETUP_H

#include <stdbool.h>

#include "mm/kmalloc.h"
#include "mm/slab.h"
#include "tests/host/arena.h"

/* True when the arena, slab allocator and kmalloc are fresh and ready. */
static inline bool heap_fresh(void)
{
	if (arena_build_default() != 0)
		return false;
	slab_init();
	if (slab_set_debug(false) != 0)
		return false;
	kmalloc_init();
	return true;
}

#endif
