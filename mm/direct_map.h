/*
 * direct_map.h - map all of physical RAM at DIRECT_MAP_BASE.
 *
 * The boot page tables map only the first 4 GiB there. direct_map_init()
 * builds new tables for the direct map: the whole first 4 GiB (RAM, ACPI
 * tables, legacy VGA memory and the firmware's areas all live there) and
 * every RAM range above it, with 1 GiB pages where the CPU has them and
 * alignment allows, 2 MiB pages otherwise; read-write, global, and
 * no-execute when the CPU supports NX. It then switches the PML4's
 * direct-map slots to the new tables. Table pages come from memblock (owner
 * "page tables"). This is the minimum page-table code the physical memory
 * manager needs; the virtual memory manager takes the mapping over later.
 * Boot CPU, interrupts off or on, before the buddy allocator exists.
 */
#ifndef MM_DIRECT_MAP_H
#define MM_DIRECT_MAP_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/compiler.h"
#include "mm/memmap.h"

struct direct_map_info {
	uint64_t bytes_mapped; /* physical bytes reachable through the direct map */
	uint64_t pages_1g;     /* 1 GiB mappings used */
	uint64_t pages_2m;     /* 2 MiB mappings used */
	uint64_t table_pages;  /* page-table pages allocated */
	phys_addr_t end;       /* highest mapped physical address + 1 */
};

extern struct direct_map_info direct_map_info;

/*
 * Map [0, 4 GiB) and every RAM range of map above it. use_1g: the CPU has
 * 1 GiB pages; use_nx: the CPU has NX (EFER.NXE is on).
 * Returns 0, or -ENOMEM when memblock has no page for a table (the boot
 * mapping is then left in place).
 */
__must_check int direct_map_init(const struct memmap *map, bool use_1g, bool use_nx);

#endif
