/*
 * arena.h - a simulated RAM arena for host tests of mm/: "physical memory"
 * is a block of the test process's address space, with physical address 0
 * at host_arena_base (mm/layout.h), so phys_to_virt() works unchanged.
 *
 * arena_build() then runs the kernel's boot sequence for the allocator
 * (pmm_init's steps 2, 5 and 6) over a made-up memory map, with small zone
 * limits so that all three zones exist in a few MiB:
 *   ZONE_DMA [0, 4 MiB)   ZONE_DMA32 [4 MiB, 16 MiB)   ZONE_NORMAL [16 MiB, ...)
 * The arena spans ARENA_SPAN bytes of address space; only the usable ranges
 * of a layout are touched (and filled with garbage first, like real RAM).
 * Hosted code; one arena per process, rebuilt by each call.
 */
#ifndef TESTS_HOST_ARENA_H
#define TESTS_HOST_ARENA_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include "mm/layout.h"

#define ARENA_SPAN (512ull << 20)        /* physical addresses 0 .. 512 MiB possible */
#define ARENA_DEFAULT_SIZE (32ull << 20) /* the default layout: RAM [0, 32 MiB) */
#define ARENA_DMA_LIMIT (4ull << 20)
#define ARENA_DMA32_LIMIT (16ull << 20)
#define ARENA_GARBAGE_BYTE 0xa5          /* what "RAM" holds before anyone writes it */

struct arena_range {
	phys_addr_t start, end; /* [start, end) */
};

struct arena_layout {
	const struct arena_range *ram;      /* usable RAM; NULL: [0, ARENA_DEFAULT_SIZE) */
	size_t ram_count;
	const struct arena_range *reserved; /* reserved besides page 0 (owner "test") */
	size_t reserved_count;
};

/*
 * Build a fresh allocator over the arena: memblock_reset, memblock_add the
 * RAM ranges, reserve page 0 and layout->reserved, buddy_init with the
 * ARENA_ zone limits, page_descriptors_init, hand memblock's free ranges to
 * buddy_add_free_range, buddy_set_watermarks, memblock_retire.
 * layout NULL: the default layout. Returns 0 or the first step's error.
 */
int arena_build(const struct arena_layout *layout);

/* arena_build(NULL). */
int arena_build_default(void);

/*
 * Build, once per process, an allocator over one flat range [0, bytes) with
 * every zone's watermarks at 0, so that k free pages allow exactly k
 * allocations (tests of out-of-memory rollback need that). Later calls
 * return the same answer without rebuilding. True on success.
 */
bool arena_ready_flat(uint64_t bytes);

#endif
