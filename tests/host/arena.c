/*
 * arena.c - the simulated RAM arena of the host tests (see arena.h).
 *
 * The arena is one anonymous mapping of ARENA_SPAN bytes made on first use;
 * with MAP_NORESERVE the host only spends memory on the pages a layout
 * actually uses, so a layout may place RAM at 400 MiB to get a second
 * section without costing 400 MiB. Hosted code: may use libc.
 */
#include "tests/host/arena.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "lib/errno.h"
#include "lib/string.h"
#include "mm/buddy.h"
#include "mm/memblock.h"
#include "mm/page.h"

uintptr_t host_arena_base;

static void arena_map(void)
{
	if (host_arena_base)
		return;
	void *p = mmap(NULL, ARENA_SPAN, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		perror("arena: mmap");
		abort();
	}
	host_arena_base = (uintptr_t)p;
}

static void arena_add_free(phys_addr_t start, phys_addr_t end, void *arg)
{
	(void)arg;
	buddy_add_free_range(start, end);
}

int arena_build(const struct arena_layout *layout)
{
	static const struct arena_range default_ram = {0, ARENA_DEFAULT_SIZE};
	static const struct buddy_config limits = {ARENA_DMA_LIMIT, ARENA_DMA32_LIMIT};
	static const struct arena_layout default_layout = {&default_ram, 1, NULL, 0};
	int err;

	if (!layout)
		layout = &default_layout;
	arena_map();
	memblock_reset();
	page_descriptors_reset();
	for (size_t i = 0; i < layout->ram_count; i++) {
		const struct arena_range *r = &layout->ram[i];
		if (r->end > ARENA_SPAN)
			return -EINVAL;
		memset(phys_to_virt(r->start), ARENA_GARBAGE_BYTE, r->end - r->start);
		if ((err = memblock_add(r->start, r->end)))
			return err;
	}
	if ((err = memblock_reserve(0, PAGE_SIZE, "page 0")))
		return err;
	for (size_t i = 0; i < layout->reserved_count; i++)
		if ((err = memblock_reserve(layout->reserved[i].start, layout->reserved[i].end,
					    "test")))
			return err;
	buddy_init(&limits);
	if ((err = page_descriptors_init(buddy_zone_of_pfn)))
		return err;
	memblock_for_each_free(arena_add_free, NULL);
	buddy_set_watermarks();
	memblock_retire();
	return 0;
}

int arena_build_default(void)
{
	return arena_build(NULL);
}

bool arena_ready_flat(uint64_t bytes)
{
	static struct arena_range ram[1];
	static struct arena_layout layout;
	static int built; /* 0 not yet, 1 built, -1 failed */

	if (built == 0) {
		ram[0] = (struct arena_range){0, bytes};
		layout = (struct arena_layout){ram, 1, NULL, 0};
		built = arena_build(&layout) == 0 ? 1 : -1;
		for (int z = 0; built == 1 && z < ZONE_COUNT; z++) {
			zones[z].watermark_min = 0;
			zones[z].watermark_low = 0;
			zones[z].watermark_high = 0;
		}
	}
	return built == 1;
}
