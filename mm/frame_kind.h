/*
 * frame_kind.h - what holds each page frame of physical memory, for every
 * frame at once: the classification behind `memview`'s pictures.
 *
 * A frame map is one byte per 4 KiB frame from physical 0 to the end of
 * RAM, each an enum frame_kind. It is filled from the records the kernel
 * already keeps, never from a table of its own:
 *   - the firmware's map (not RAM, firmware-reserved) and memblock's lists
 *     (RAM, and each boot reservation's owner: kernel image, page
 *     descriptors, boot information, modules, AP trampoline, page tables);
 *   - the page descriptors (free blocks and their order, per-CPU pages,
 *     allocated blocks, page tables, slabs), block by block;
 *   - vmalloc's areas (vmalloc memory, kernel stacks) and, added by the
 *     caller, each process's page tables (user pages; a frame two
 *     processes map is "shared").
 * Each answer is what the frame was an instant ago (no lock stops other
 * CPUs allocating meanwhile): a report, never a decision.
 *
 * Invariants:
 *   [x] every byte of a classified map is a valid enum frame_kind;
 *   [x] reads the kernel's records only; changes nothing but the map.
 * Context: process context after pmm_init and vmalloc_init; callers
 * serialize their use of one map. Lock order: takes vmalloc's lock and the
 * page-table locks of the spaces walked, one at a time (never nested).
 * Host-compilable (tests/host/test_frame_kind.c).
 */
#ifndef MM_FRAME_KIND_H
#define MM_FRAME_KIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/compiler.h"
#include "mm/buddy.h"
#include "mm/layout.h"
#include "mm/memmap.h"

#define FRAME_USER_SLOTS 64 /* processes told apart in one map (kernel/proc: PROCESS_MAX) */

struct address_space;

enum frame_kind {
	FRAME_NOT_RAM,          /* nothing here: a hole (devices, or no memory at all) */
	FRAME_FIRMWARE,         /* kept by the firmware: reserved, ACPI tables or NVS, bad RAM */
	FRAME_RESERVED,         /* other RAM kept out of the allocator: page 0, the legacy
				 * VGA/BIOS area, RAM without descriptors */
	FRAME_KERNEL_IMAGE,     /* the kernel's code and data */
	FRAME_PAGE_DESCRIPTORS, /* the struct page arrays */
	FRAME_BOOT_INFO,        /* the boot information GRUB passed */
	FRAME_MODULE,           /* a module GRUB loaded (the initrd) */
	FRAME_TRAMPOLINE,       /* the pages that start the other CPUs */
	FRAME_PAGE_TABLE,       /* a page table (boot's, the direct map's, any space's) */
	FRAME_SLAB,             /* a slab of the kernel heap */
	FRAME_VMALLOC,          /* a page of a vmalloc area */
	FRAME_KERNEL_STACK,     /* a page of a kernel stack (a vmalloc_stack area) */
	FRAME_ALLOCATED,        /* any other allocation from the page allocator */
	FRAME_USER_SHARED,      /* a user page mapped by more than one process */
	FRAME_FREE,             /* FRAME_FREE + k: free, in a block of order k (0..MAX_ORDER) */
	FRAME_USER = FRAME_FREE + MAX_ORDER + 1, /* FRAME_USER + slot: one process's page */
	FRAME_KIND_COUNT = FRAME_USER + FRAME_USER_SLOTS,
};

/* A frame map: the caller owns the bytes (one per frame of [0, capacity)). */
struct frame_map {
	uint8_t *kinds;                     /* kinds[pfn]: an enum frame_kind */
	uint64_t capacity;                  /* bytes at kinds */
	uint64_t pfns;                      /* frames described: [0, pfns), the end of RAM */
	uint64_t zone_start[ZONE_COUNT];    /* first frame of each zone; pfns if none in the map */
};

/* Frames from physical 0 to the end of the highest RAM range (memblock's memory list). */
uint64_t frame_map_ram_pfns(void);

/*
 * Fill m (m->kinds and m->capacity set by the caller) with the kind of
 * every frame of [0, frame_map_ram_pfns()): firmware is the map's
 * non-usable ranges (NULL: none known, holes only), then RAM from memblock
 * and the descriptors, then vmalloc's areas. User pages are still
 * FRAME_ALLOCATED: frame_map_add_user marks them. Also sets m->pfns and
 * the zones' starts. Returns 0, or -ENOSPC when the capacity is too small
 * (m->pfns then says how many bytes are needed; nothing else is written).
 * O(frames + free and allocated blocks * MAX_ORDER + vmalloc pages).
 */
__must_check int frame_map_classify(struct frame_map *m, const struct memmap *firmware);

/*
 * Mark the frames the user half of as maps as process slot's (slot <
 * FRAME_USER_SLOTS): an allocated frame becomes FRAME_USER + slot, one
 * already another slot's becomes FRAME_USER_SHARED; other kinds (a
 * module's frames that file regions map, a frame freed meanwhile) stay.
 * Walks as's page tables under their lock (callers keep as alive: the
 * process's space mutex). Returns the frames marked.
 */
uint64_t frame_map_add_user(struct frame_map *m, const struct address_space *as, unsigned slot);

/*
 * The kind of most frames of [pfn, pfn + count) (frames past m->pfns are
 * FRAME_NOT_RAM); a tie goes to the kind met first. count >= 1.
 */
enum frame_kind frame_map_summary(const struct frame_map *m, uint64_t pfn, uint64_t count);

/* The kind of frame pfn (FRAME_NOT_RAM past the map). */
static inline enum frame_kind frame_map_kind(const struct frame_map *m, uint64_t pfn)
{
	return pfn < m->pfns ? (enum frame_kind)m->kinds[pfn] : FRAME_NOT_RAM;
}

/* The frames of m that are of kind k. */
uint64_t frame_map_count(const struct frame_map *m, enum frame_kind k);

/* Free kinds: FRAME_FREE + order. */
static inline bool frame_kind_is_free(unsigned k)
{
	return k >= FRAME_FREE && k <= FRAME_FREE + MAX_ORDER;
}

/* User kinds of one process: FRAME_USER + slot. */
static inline bool frame_kind_is_user(unsigned k)
{
	return k >= FRAME_USER && k < FRAME_KIND_COUNT;
}

/*
 * The kind's name in a few words ("kernel image", "free (order 3)",
 * "user pages of slot 2"), into buf (size bytes, NUL-terminated); returns
 * buf. Unknown values: "unknown kind N".
 */
const char *frame_kind_text(unsigned k, char *buf, size_t size);

#endif
