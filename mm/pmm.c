/*
 * pmm.c - the physical memory manager's boot sequence (see pmm.h) and the
 * `memmap` command, which shows each step's view of memory.
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
 */
#include "mm/pmm.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/cpu_features.h"
#include "kernel/shell.h"
#include "lib/align.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
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

/* Input to the sanitizer, converted from whichever boot map is there. */
static struct memmap_entry map_input[BOOTINFO_EFI_MMAP_MAX];

static size_t pmm_collect_map(const struct boot_info *bi)
{
	size_t n = 0;

	if (bi->mmap_present && bi->mmap_count > 0) {
		pmm_map_source = "multiboot2 memory map (tag 6)";
		for (size_t i = 0; i < bi->mmap_count; i++)
			map_input[n++] = (struct memmap_entry){bi->mmap[i].base, bi->mmap[i].length,
							       bi->mmap[i].type};
	} else if (bi->efi_mmap_present) {
		pmm_map_source = "EFI memory map (tag 17)";
		for (size_t i = 0; i < bi->efi_mmap_count; i++) {
			const struct boot_efi_mmap_entry *e = &bi->efi_mmap[i];
			uint64_t length = e->pages << PAGE_SHIFT;
			if (e->pages > (UINT64_MAX >> PAGE_SHIFT))
				length = UINT64_MAX; /* the sanitizer reports it as wrapping */
			map_input[n++] = (struct memmap_entry){e->phys_start, length,
							       memmap_type_from_efi(e->type)};
		}
	}
	return n;
}

static void __attribute__((noreturn)) pmm_stop(const char *why, uint64_t have)
{
	kprintf("\nPagoda cannot run: not enough memory (%s).\n", why);
	kprintf("It found %lu KiB of usable RAM after its own reservations and needs at least "
		"%lu KiB.\nGive the machine more memory (QEMU: -m 16M or more). Halted.\n",
		have >> 10, PMM_MIN_FREE_BYTES >> 10);
	cpu_halt_forever();
}

static void pmm_add_range(phys_addr_t start, phys_addr_t end, void *arg)
{
	(void)arg;
	buddy_add_free_range(start, end);
}

void pmm_init(const struct boot_info *bi)
{
	uint64_t t0 = rdtsc();
	size_t n = pmm_collect_map(bi);

	/* 1. Sanitize. */
	if (memmap_sanitize(map_input, n, cpu_features.phys_bits, &pmm_map) != 0 || n == 0)
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
		if (pmm_map.ranges[i].type == MEMMAP_USABLE)
			memblock_add(pmm_map.ranges[i].start, pmm_map.ranges[i].end);
	memblock_reserve(0, PAGE_SIZE, "page 0");
	memblock_reserve(LEGACY_AREA_START, LEGACY_AREA_END, "legacy VGA/BIOS area");
	memblock_reserve((phys_addr_t)(uintptr_t)boot_pml4,
			 (phys_addr_t)(uintptr_t)boot_pml4 + BOOT_PAGE_TABLE_PAGES * PAGE_SIZE,
			 "page tables");
	memblock_reserve((phys_addr_t)(uintptr_t)_kernel_phys_start,
			 (phys_addr_t)(uintptr_t)_kernel_phys_end, "kernel image");
	memblock_reserve(bi->mbi_phys, bi->mbi_phys + bi->mbi_size, "boot information");
	for (size_t i = 0; i < bi->module_count; i++)
		memblock_reserve(bi->modules[i].start, bi->modules[i].end, "module");

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

/* ------------------------------------------------------------------------ */
/* memmap: the firmware's map, then the kernel's view with its reservations. */

static void print_range(phys_addr_t start, phys_addr_t end, const char *what, const char *why)
{
	kprintf("[mem 0x%016lx-0x%016lx] %s%s%s\n", start, end - 1, what, why ? ": " : "",
		why ? why : "");
}

/* Print the usable range [start, end) split by memblock's reservations. */
static void print_usable_with_reservations(phys_addr_t start, phys_addr_t end)
{
	phys_addr_t pos = start;

	for (size_t i = 0; i < memblock.reserved.count && pos < end; i++) {
		const struct memblock_region *r = &memblock.reserved.regions[i];
		if (r->end <= pos || r->start >= end)
			continue;
		if (r->start > pos)
			print_range(pos, r->start, "usable", NULL);
		phys_addr_t stop = r->end < end ? r->end : end;
		print_range(r->start > pos ? r->start : pos, stop, "reserved", r->owner);
		pos = stop;
	}
	if (pos < end)
		print_range(pos, end, "usable", NULL);
}

static int cmd_memmap(int argc, char **argv)
{
	(void)argv;
	if (argc != 1) {
		shell_print_usage(shell_find("memmap"));
		return -EINVAL;
	}
	kprintf("Firmware map (%s):\n", pmm_map_source);
	if (boot_info.mmap_present) {
		for (size_t i = 0; i < boot_info.mmap_count; i++) {
			const struct boot_mmap_entry *e = &boot_info.mmap[i];
			if (e->length == 0 || e->base + e->length < e->base)
				kprintf("[mem 0x%016lx +0x%lx] %s (malformed)\n", e->base, e->length,
					bootinfo_mmap_type_name(e->type));
			else
				print_range(e->base, e->base + e->length,
					    bootinfo_mmap_type_name(e->type), NULL);
		}
	} else {
		for (size_t i = 0; i < boot_info.efi_mmap_count; i++) {
			const struct boot_efi_mmap_entry *e = &boot_info.efi_mmap[i];
			print_range(e->phys_start, e->phys_start + (e->pages << PAGE_SHIFT),
				    bootinfo_efi_type_name(e->type), NULL);
		}
	}
	kprintf("Kernel view (sorted, overlaps resolved, usable shrunk to pages, reservations):\n");
	for (size_t i = 0; i < pmm_map.count; i++) {
		const struct memmap_range *r = &pmm_map.ranges[i];
		if (r->type == MEMMAP_USABLE)
			print_usable_with_reservations(r->start, r->end);
		else
			print_range(r->start, r->end, memmap_type_name(r->type), "firmware");
	}
	kprintf("%lu KiB usable, of which %lu KiB reserved by the kernel, %lu KiB managed\n",
		memmap_total(&pmm_map, MEMMAP_USABLE) >> 10, memblock_reserved_bytes() >> 10,
		buddy_managed_pages() * (PAGE_SIZE >> 10));
	kprintf("direct map: physical 0-0x%lx at 0x%lx: %lu x 1 GiB + %lu x 2 MiB pages, "
		"%lu page-table pages\n", direct_map_info.end - 1, (uint64_t)DIRECT_MAP_BASE,
		direct_map_info.pages_1g, direct_map_info.pages_2m, direct_map_info.table_pages);
	return 0;
}

SHELL_COMMAND(memmap, "physical memory map: firmware's, then the kernel's view",
	      "usage: memmap\n"
	      "  First the map exactly as the firmware gave it (through GRUB), then the\n"
	      "  kernel's view: sorted, overlaps resolved (the more restrictive type\n"
	      "  wins), usable ranges shrunk to whole pages, and the kernel's own\n"
	      "  reservations with their reason (kernel image, boot information, ...).\n"
	      "  One range per line: [mem 0xSTART-0xEND] TYPE, END inclusive.\n",
	      cmd_memmap);
