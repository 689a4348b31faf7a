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
 * Boot CPU, once, after the boot information is parsed and CPUID read.
 */
#ifndef MM_PMM_H
#define MM_PMM_H

#include <stdint.h>

#include "kernel/bootinfo.h"
#include "mm/memmap.h"

/* Below this much free RAM after the kernel's reservations, boot stops. */
#define PMM_MIN_FREE_BYTES ((uint64_t)8 << 20)

/* Where the map came from: multiboot2 tag 6, or the EFI map of tag 17. */
extern const char *pmm_map_source;

/* The sanitized map (kernel view before reservations). */
extern struct memmap pmm_map;

/* TSC cycles pmm_init() took. */
extern uint64_t pmm_init_cycles;

/* Run the sequence above; stops the machine with a message on failure. */
void pmm_init(const struct boot_info *bi);

#endif
