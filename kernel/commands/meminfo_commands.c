/*
 * meminfo_commands.c - the `meminfo` command: memory use in Linux's /proc/meminfo
 * format, one "Key:   N kB" line each.
 *
 *   MemTotal      RAM managed by the page allocator
 *   MemFree       of that, free (buddy free lists and per-CPU lists)
 *   MemAvailable  what ordinary allocations can still get: free memory
 *                 above the zones' min watermarks
 *   AnonPages     user pages mapped from frames the processes own
 *                 (demand-zero, stack, copies of file pages, COW copies)
 *   Mapped        user pages mapped from initrd files' own frames
 *                 (shared, read-only; counted once per mapping)
 *   Reserved      usable RAM the kernel keeps out of the allocator
 *                 (kernel image, boot information, page descriptors, ...)
 *   KernelImage   the kernel's loaded image, text through bss
 *   PageTables    page-table pages: the boot-time ones (memblock) and the
 *                 page-table engine's (kernel space, address spaces)
 *   PageDescriptors  the struct page arrays
 *   Slab          pages held by slab caches (kmalloc's and others)
 *   VmallocUsed   pages mapped by vmalloc areas
 * Shell context.
 */
#include "kernel/shell/shell.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "mm/buddy.h"
#include "mm/fault.h"
#include "mm/memblock.h"
#include "mm/page.h"
#include "mm/paging.h"
#include "mm/slab.h"
#include "mm/vmalloc.h"

extern char _kernel_phys_start[], _kernel_phys_end[];

static void meminfo_line(const char *key, uint64_t bytes)
{
	kprintf("%-16s%10lu kB\n", key, bytes >> 10);
}

static int cmd_meminfo(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	uint64_t total = buddy_managed_pages() * PAGE_SIZE;
	uint64_t free = buddy_free_pages() * PAGE_SIZE;
	uint64_t min = 0;
	for (int z = 0; z < ZONE_COUNT; z++) {
		struct zone_snapshot zs;
		buddy_zone_snapshot(z, &zs);
		min += zs.watermark_min * PAGE_SIZE;
	}

	meminfo_line("MemTotal:", total);
	meminfo_line("MemFree:", free);
	meminfo_line("MemAvailable:", free > min ? free - min : 0);
	meminfo_line("AnonPages:", fault_user_anon_pages() * PAGE_SIZE);
	meminfo_line("Mapped:", fault_user_file_pages() * PAGE_SIZE);
	meminfo_line("Reserved:", memblock_memory_bytes() - total);
	meminfo_line("KernelImage:",
		     (uint64_t)(_kernel_phys_end - _kernel_phys_start));
	const struct paging_stats ps = paging_stats_total();
	meminfo_line("PageTables:", memblock_reserved_bytes_of("page tables") +
				    (ps.tables_allocated - ps.tables_freed) * PAGE_SIZE);
	meminfo_line("PageDescriptors:", page_descriptors_bytes());
	meminfo_line("Slab:", slab_total_bytes());
	meminfo_line("VmallocUsed:", vmalloc_used_bytes());
	return 0;
}

SHELL_COMMAND(meminfo, SHELL_ARGS(0, 0), "memory use, in Linux's /proc/meminfo format",
	      "usage: meminfo\n"
	      "  MemTotal         RAM managed by the page allocator\n"
	      "  MemFree          free pages (buddy lists + per-CPU lists)\n"
	      "  MemAvailable     free memory above the zones' min watermarks\n"
	      "  AnonPages        user pages backed by frames the processes own\n"
	      "  Mapped           user pages mapped from initrd files (shared)\n"
	      "  Reserved         usable RAM kept out of the allocator\n"
	      "  KernelImage      the kernel's loaded image (text, data, bss)\n"
	      "  PageTables       page-table pages\n"
	      "  PageDescriptors  struct page arrays (32 bytes per 4 KiB page)\n"
	      "  Slab, VmallocUsed  the kernel heap\n"
	      "  MemTotal + Reserved = the usable RAM of the kernel's memory map.\n",
	      cmd_meminfo);
