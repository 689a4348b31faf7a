/*
 * mmio.c - the device register window (see mmio.h).
 *
 * A bump allocator over MMIO_START .. MMIO_END: each request takes the
 * pages that cover it plus one guard page, mapped with paging_map() in the
 * kernel's space. The slot's page directory pointer table was created by
 * kernel_space_init() (pinned), so every address space sees the mappings.
 * Invariants:
 *   [x] MMIO_START <= mmio_next <= MMIO_END, page-aligned;
 *   [x] nothing at or above mmio_next is mapped.
 * Boot CPU only, before the other CPUs start.
 */
#include "kernel/arch/x86_64/mmio.h"

#include "lib/align.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "mm/kernel_space.h"
#include "mm/paging.h"

static virt_addr_t mmio_next = MMIO_START;

volatile void *mmio_map(phys_addr_t pa, uint64_t size, const char *what)
{
	phys_addr_t first = ALIGN_DOWN(pa, PAGE_SIZE);
	uint64_t bytes;

	if (size == 0 || pa + size < pa)
		return NULL;
	bytes = ALIGN_UP(pa + size, PAGE_SIZE) - first;
	if (bytes + PAGE_SIZE > MMIO_END - mmio_next) {
		kprintf("mmio_map: no room in the device window for %s\n", what);
		return NULL;
	}
	int err = paging_map(&kernel_space, mmio_next, first, bytes,
			     MAP_WRITE | MAP_GLOBAL | MAP_UNCACHED | MAP_SIZE_4K);
	if (err) {
		kprintf("mmio_map: cannot map %s at 0x%lx: %s\n", what, pa, errno_name(err));
		return NULL;
	}
	virt_addr_t va = mmio_next + (pa - first);
	mmio_next += bytes + PAGE_SIZE; /* the guard page stays unmapped */
	return (volatile void *)(uintptr_t)va;
}
