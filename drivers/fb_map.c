/*
 * fb_map.c - the framebuffer's mapping (fb_map in framebuffer.h): video
 * memory into its own window, FRAMEBUFFER_START (mm/layout.h), write-
 * combining, and out of the direct map.
 *
 * Write-combining lets the CPU gather a row's stores into whole bursts
 * instead of one uncached bus write per store, which is what makes drawing
 * fast on real hardware. The PAT entry for it is set up by
 * kernel_space_enter_this_cpu (mm/pte.h PAT_LAYOUT: MAP_WRITE_COMBINE is
 * PAT index 1). The direct map maps all of physical 0..4 GiB write-back,
 * framebuffers included; the same frame with two memory types is
 * undefined (SDM Vol. 3A 11.12.4), so those frames are unmapped there
 * (paging_unmap splits the 1 GiB or 2 MiB page around them) and caches are
 * written back and invalidated once, so no write-back line of them stays.
 * Kept apart from framebuffer.c: the page-table engine may panic, and the
 * panic path draws through framebuffer.o (scripts/check_structure.py).
 *
 * Invariants:
 *   [x] the framebuffer's frames are mapped once, write-combining, in the
 *       framebuffer window, and nowhere write-back in the kernel half.
 * Context: boot CPU, after kernel_space_init, before the other CPUs start.
 */
#include "drivers/framebuffer.h"

#include "drivers/arch.h"
#include "lib/align.h"
#include "lib/errno.h"
#include "mm/kernel_space.h"
#include "mm/paging.h"

int fb_map(void)
{
	const struct fb_mode *m = fb_get_mode();

	if (!m)
		return -ENODEV;
	phys_addr_t first = ALIGN_DOWN(m->phys, PAGE_SIZE);
	uint64_t bytes = ALIGN_UP(m->phys + (uint64_t)m->pitch * m->height, PAGE_SIZE) - first;
	if (bytes > FRAMEBUFFER_SIZE)
		return -EINVAL; /* fb_setup keeps a page of room: not reached */
	int err = paging_map(&kernel_space, FRAMEBUFFER_START, first, bytes,
			     MAP_WRITE | MAP_GLOBAL | MAP_WRITE_COMBINE);
	if (err)
		return err;
	err = paging_unmap(&kernel_space, DIRECT_MAP_BASE + first, bytes); /* holes are skipped */
	if (err) {
		MUST_SUCCEED(paging_unmap(&kernel_space, FRAMEBUFFER_START, bytes),
			     "fb_map: undoing the window mapping just made");
		return err;
	}
	cpu_wbinvd();
	return fb_attach((void *)(uintptr_t)(FRAMEBUFFER_START + (m->phys - first)));
}
