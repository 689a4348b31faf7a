/*
 * anon.h - anonymous memory: regions whose pages the fault handler provides.
 *
 * An anonymous region starts with nothing mapped; its pages appear, zeroed,
 * when first touched (demand-zero, mm/fault.c). This file makes such
 * regions, shares them copy-on-write, and tears them down:
 *
 *   anon_create(SIZE)        reserve [va, va+SIZE): a REGION_ANON region
 *   anon_create_stack(...)   a REGION_STACK region that grows down on demand,
 *                            with a REGION_GUARD page below its limit
 *   anon_cow_share(...)      map the mapped pages of a range read-only in a
 *                            second range (same or other space); frames
 *                            gain an owner; both become REGION_COW
 *   anon_release(...)        unmap, drop one owner of each frame, remove
 *   region_release_range(...) the same for user regions too (FILE: the
 *                            file's frames are only unmapped): munmap
 *   region_zap_range(...)    unmap and drop the frames, keep the regions:
 *                            madvise(MADV_DONTNEED), a space's teardown
 *
 * The kernel's `lazy` and `cow` commands put their regions in the lazy window
 * of the kernel space (docs/memory-layout.md), one unmapped page apart.
 * Context: process context (the shell, tests); one CPU.
 */
#ifndef MM_ANON_H
#define MM_ANON_H

#include <stdint.h>

#include "lib/compiler.h"
#include "mm/layout.h"
#include "mm/paging.h"

/*
 * The lowest address in [window, window + window_size) of as where bytes
 * (a multiple of 4 KiB) fit with a free page on each side, or 0 (none, or
 * as has no region set). Reserves nothing.
 */
virt_addr_t anon_find_free(const struct address_space *as, virt_addr_t window,
			   uint64_t window_size, uint64_t bytes);

/*
 * Reserve a demand-zero region of size bytes (rounded up to pages) named
 * name in [window, window + window_size) of as (whose regions must not be
 * NULL), at the lowest free address that leaves one page free on each side.
 * Nothing is mapped. Returns the start, or 0 when size is 0, nothing fits,
 * or the region set has no memory.
 */
__must_check virt_addr_t anon_create(struct address_space *as, virt_addr_t window,
				     uint64_t window_size, uint64_t size, const char *name);

/*
 * A stack: a REGION_STACK region of size bytes that may grow down (by
 * faults just below it) until it is max_size bytes, with a REGION_GUARD
 * page below that limit. Returns the stack's top (its highest address + 1),
 * or 0 as anon_create. max_size >= size.
 */
__must_check virt_addr_t anon_create_stack(struct address_space *as, virt_addr_t window,
					   uint64_t window_size, uint64_t size, uint64_t max_size,
					   const char *name);

/*
 * Make [dst_va, dst_va + size) of dst a copy-on-write twin of
 * [src_va, src_va + size) of src: every page mapped in the source is mapped
 * read-only in both, its frame gaining one owner (page_get); pages not
 * mapped stay demand-zero on both sides. Both ranges become REGION_COW (the
 * source must be covered by ANON or COW regions; dst must hold no region
 * and no mapping). src and dst may be the same space if the ranges do not
 * overlap. Returns 0, -EINVAL (bad ranges), -ENOENT (source not covered),
 * -EEXIST (destination in use), -ENOMEM (everything rolled back).
 */
__must_check int anon_cow_share(struct address_space *src, virt_addr_t src_va,
				struct address_space *dst, virt_addr_t dst_va, uint64_t size,
				const char *name);

/*
 * Unmap every page of [start, end) in as, dropping one owner of each frame
 * the space owns (page_put: the last owner frees it; a file region's own
 * file frames are only unmapped, never put: region_is_file_frame), and
 * remove the regions there (trimming or splitting the ones that straddle
 * its ends). The range must be page-aligned and lie in ANON, COW, STACK,
 * GUARD, FILE, GRANTED, SHARED or PAGER regions, or in none (the mapping
 * database of SHARED and PAGER pages is the caller's: mm/share.h). Keeps fault_user_anon_pages() and
 * fault_user_file_pages() exact. Returns 0, -EINVAL, -EPERM (another kind
 * of region is there), or -ENOMEM (a region split found no memory; nothing
 * changed). Process context, the space's owner (munmap, exec, teardown).
 */
__must_check int region_release_range(struct address_space *as, virt_addr_t start,
				      virt_addr_t end);

/* region_release_range, by the name the kernel's lazy and cow commands use. */
__must_check int anon_release(struct address_space *as, virt_addr_t start, virt_addr_t end);

/*
 * Unmap every page mapped in [start, end) of as as region_release_range
 * does (owned frames put, file frames only unmapped, counters kept), but
 * keep the regions: the next touch faults a fresh page in (demand-zero, or
 * the file's bytes again). Any kind of region may be there: frames in
 * DEVICE, KERNEL_IMAGE, DIRECT_MAP or VMALLOC regions are not the space's
 * to drop, so such a range is -EPERM before anything changes. Returns 0,
 * -EINVAL (bad range), -EPERM. madvise(MADV_DONTNEED) and a space's
 * teardown (over [0, USER_TOP)).
 */
__must_check int region_zap_range(struct address_space *as, virt_addr_t start, virt_addr_t end);

/* Frames currently mapped in [start, end) of as (4 KiB pages). */
uint64_t anon_resident_pages(const struct address_space *as, virt_addr_t start, virt_addr_t end);

#endif
