/*
 * pmm.h - bringing up physical memory management at boot.
 *
 * pmm_init() is the physical memory manager's whole boot sequence:
 *   1. sanitize the firmware's memory map (memmap.c);
 *   2. give its usable ranges to the early allocator (memblock.c) and
 *      reserve what is already in use: page 0, the legacy VGA/BIOS area,
 *      the early page tables, the kernel image, the boot information and
 *      the modules;
 *   3. stop with "not enough memory" if too little is left;
 *   4. map all RAM in the direct map (direct_map.c);
 *   5. allocate the page descriptors (page.c) and set up the zones
 *      (buddy.c);
 *   6. hand every page memblock has left to the buddy allocator, and
 *      retire memblock.
 * The input comes from the boot loader, but in mm/'s own terms (struct
 * pmm_boot): kmain converts the parsed boot information, so mm/ does not
 * depend on kernel/bootinfo.h.
 * Boot CPU, once, after the boot information is parsed and CPUID read.
 */
#ifndef MM_PMM_H
#define MM_PMM_H

#include <stddef.h>
#include <stdint.h>

#include "mm/layout.h"
#include "mm/memmap.h"

/* Below this much free RAM after the kernel's reservations, boot stops. */
#define PMM_MIN_FREE_BYTES ((uint64_t)8 << 20)

/* Where the map came from: multiboot2 tag 6, or the EFI map of tag 17. */
extern const char *pmm_map_source;

/* The sanitized map (kernel view before reservations). */
extern struct memmap pmm_map;

/*
 * The TRAMPOLINE_PAGES pages below TRAMPOLINE_LIMIT (mm/layout.h) reserved
 * for starting the other CPUs; 0 when the map had no room there (then only
 * the boot CPU runs).
 */
extern phys_addr_t pmm_trampoline;

/* TSC cycles pmm_init() took. */
extern uint64_t pmm_init_cycles;

#define PMM_BOOT_RESERVED_MAX 32 /* boot-loader ranges to keep: boot information, modules */

/* A physical range the boot loader put something in, to keep out of the allocators. */
struct pmm_reserved {
	phys_addr_t start, end; /* [start, end) */
	const char *what;       /* owner name for memblock and `memmap` (not copied) */
};

/* What pmm_init needs from the boot loader. */
struct pmm_boot {
	const struct memmap_entry *map; /* the firmware's memory map, unsanitized */
	size_t map_count;
	const char *map_source;         /* where the map came from, for `memmap` (not copied) */
	struct pmm_reserved reserved[PMM_BOOT_RESERVED_MAX];
	size_t reserved_count;
};

/*
 * Run the sequence above over boot's map and reservations (besides its
 * own: page 0, the legacy area, the early page tables, the kernel image).
 * Stops the machine with a message on failure, including an empty map.
 */
void pmm_init(const struct pmm_boot *boot);

#endif
