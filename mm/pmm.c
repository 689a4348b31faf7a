/*
 * pmm.c - the physical memory manager's boot sequence (see pmm.h): from the
 * firmware's memory map to a running buddy allocator. The `memmap` command
 * (kernel/commands/memmap_commands.c) shows each step's view of memory.
 *
 * Reservations made here, and why:
 *   page 0             NULL stays an invalid address in every sense; the
 *                      real-mode interrupt vector table lived there
 *   0xa0000-0xfffff    legacy VGA memory and BIOS ROMs (some firmware maps
 *                      leave it out, so reserve it regardless)
 *   early page tables  boot.asm's tables: in use by the CPU right now
 *   kernel image       the loaded ELF segments, text through bss
 *   boot information   the multiboot2 information (boot_info points into it)
 *   modules            files GRUB loaded beside the kernel
 *   AP trampoline      TRAMPOLINE_PAGES below 1 MiB (mm/layout.h), allocated
 *                      after the others so that it avoids them
 * (boot information and modules come in struct pmm_boot's reserved ranges,
 * from kmain).
 */
#include "mm/pmm.h"

#include "lib/align.h"
#include "lib/errno.h"
#include "lib/panic.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/arch.h"
#include "mm/buddy.h"
#include "mm/direct_map.h"
#include "mm/memblock.h"
#include "mm/page.h"

extern char _kernel_phys_start[], _kernel_phys_end[];
extern char boot_pml4[];

#define BOOT_PAGE_TABLE_PAGES 7 /* PML4, two PDPTs, four PDs: boot.asm */
#define LEGACY_AREA_START 0xa0000ull
#define LEGACY_AREA_END 0x100000ull

const char *pmm_map_source = "none";
struct memmap pmm_map;
uint64_t pmm_init_cycles;
phys_addr_t pmm_trampoline;

static void __attribute__((noreturn)) pmm_stop(const char *why, uint64_t have)
{
	kprintf("\nPagoda cannot run: not enough memory (%s).\n", why);
	kprintf("It found %lu KiB of usable RAM after its own reservations and needs at least "
		"%lu KiB.\nGive the machine more memory (QEMU: -m 16M or more). Halted.\n",
		have >> 10, PMM_MIN_FREE_BYTES >> 10);
	cpu_halt_forever();
}

/* Reserve [start, end) for owner; a reservation that cannot be kept stops the boot. */
static void pmm_reserve(phys_addr_t start, phys_addr_t end, const char *owner)
{
	if (start >= end)
		return; /* nothing to keep (an empty module) */
	int err = memblock_reserve(start, end, owner);
	if (err)
		panic("pmm_init: cannot reserve the %s [0x%lx, 0x%lx): %s", owner, start, end,
		      errno_name(err));
}

static void pmm_add_range(phys_addr_t start, phys_addr_t end, void *arg)
{
	(void)arg;
	buddy_add_free_range(start, end);
}

void pmm_init(const struct pmm_boot *boot)
{
	uint64_t t0 = rdtsc();
	size_t n = boot->map_count;

	/* 1. Sanitize. */
	pmm_map_source = boot->map_source;
	if (n == 0 || memmap_sanitize(boot->map, n, cpu_features.phys_bits, &pmm_map) != 0)
		pmm_stop("the boot loader passed no usable memory map", 0);
	for (size_t i = 0; i < pmm_map.dropped_count && i < MEMMAP_DROPPED_MAX; i++) {
		const struct memmap_dropped *d = &pmm_map.dropped[i];
		kprintf("memmap: warning: entry base 0x%lx length 0x%lx type %u: %s\n",
			d->entry.base, d->entry.length, d->entry.type,
			memmap_drop_reason_text(d->reason));
	}

	/* 2. The early allocator, and everything already in use. */
	memblock_reset();
	for (size_t i = 0; i < pmm_map.count; i++)
		if (pmm_map.ranges[i].type == MEMMAP_USABLE) {
			const struct memmap_range *r = &pmm_map.ranges[i];
			int err = memblock_add(r->start, r->end);
			if (err) /* safe: that RAM just stays unused */
				kprintf("pmm: warning: RAM [0x%lx, 0x%lx) not used: %s\n", r->start,
					r->end, errno_name(err));
		}
	pmm_reserve(0, PAGE_SIZE, "page 0");
	pmm_reserve(LEGACY_AREA_START, LEGACY_AREA_END, "legacy VGA/BIOS area");
	pmm_reserve((phys_addr_t)(uintptr_t)boot_pml4,
		    (phys_addr_t)(uintptr_t)boot_pml4 + BOOT_PAGE_TABLE_PAGES * PAGE_SIZE,
		    "page tables");
	pmm_reserve((phys_addr_t)(uintptr_t)_kernel_phys_start,
		    (phys_addr_t)(uintptr_t)_kernel_phys_end, "kernel image");
	for (size_t i = 0; i < boot->reserved_count && i < PMM_BOOT_RESERVED_MAX; i++)
		pmm_reserve(boot->reserved[i].start, boot->reserved[i].end, boot->reserved[i].what);

	pmm_trampoline = memblock_alloc(TRAMPOLINE_PAGES * PAGE_SIZE, PAGE_SIZE, TRAMPOLINE_LIMIT,
					"AP trampoline");
	if (!pmm_trampoline)
		kprintf("pmm: warning: no %d free pages below 0x%llx for the AP trampoline: "
			"only the boot CPU will run\n", TRAMPOLINE_PAGES, TRAMPOLINE_LIMIT);

	/* 3. Enough left? */
	uint64_t usable = memblock_memory_bytes() - memblock_reserved_bytes();
	if (usable < PMM_MIN_FREE_BYTES)
		pmm_stop("too little RAM", usable);

	/* 4. All RAM in the direct map. */
	if (direct_map_init(&pmm_map, cpu_features.page_1g, cpu_features.nx) != 0)
		pmm_stop("no room for the direct map's page tables", usable);

	/* 5. Zones and page descriptors. */
	buddy_init(NULL);
	if (page_descriptors_init(buddy_zone_of_pfn) != 0)
		pmm_stop("no room for the page descriptors", usable);

	/* 6. Hand over what memblock has left. */
	memblock_for_each_free(pmm_add_range, NULL);
	buddy_set_watermarks();
	memblock_retire();
	pmm_init_cycles = rdtsc() - t0;
}
