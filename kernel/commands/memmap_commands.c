/*
 * memmap_commands.c - the `memmap` command: the firmware's memory map exactly
 * as GRUB passed it, then the kernel's view of it (mm/pmm.c) with every
 * reservation memblock holds and its owner.
 *
 * Invariants:
 *   [x] reads the boot information and memblock only; changes nothing
 *
 * Calling context: the shell thread.
 */
#include "kernel/bootinfo.h"
#include "kernel/shell/shell.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "mm/buddy.h"
#include "mm/direct_map.h"
#include "mm/layout.h"
#include "mm/memblock.h"
#include "mm/memmap.h"
#include "mm/pmm.h"


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
	(void)argc;
	(void)argv;
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

SHELL_COMMAND(memmap, SHELL_ARGS(0, 0), "physical memory map: firmware's, then the kernel's view",
	      "usage: memmap\n"
	      "  First the map exactly as the firmware gave it (through GRUB), then the\n"
	      "  kernel's view: sorted, overlaps resolved (the more restrictive type\n"
	      "  wins), usable ranges shrunk to whole pages, and the kernel's own\n"
	      "  reservations with their reason (kernel image, boot information, ...).\n"
	      "  One range per line: [mem 0xSTART-0xEND] TYPE, END inclusive.\n",
	      cmd_memmap);
