/*
 * memview.h - a picture of physical memory: every page frame coloured by
 * what holds it, on the serial console as a character map and on the
 * screen as a panel under the text that a thread redraws every
 * MEMVIEW_REFRESH_MS while it is on, so `alloc -p 9`, `exhaust` or a fork
 * storm can be watched as it happens (docs/console.md, "memview"). On a
 * machine where a refresh takes longer than MEMVIEW_REFRESH_MS /
 * MEMVIEW_MAX_SHARE, the thread waits longer, keeping its share of a CPU.
 *
 * Each picture starts from a fresh classification (mm/frame_kind.h): the
 * kernel's records, vmalloc's areas and every process's page tables. The
 * frame map (one byte per frame) is vmalloc'ed at first use and kept, so
 * it shows in its own picture as a few vmalloc pages.
 *
 * Invariants:
 *   [x] one classification or drawing at a time (memview's mutex): the
 *       shell's commands and the refresh thread never interleave;
 *   [x] the panel's rows belong to memview exactly while it is on
 *       (fbcon_reserve_bottom), and the refresh thread runs only then.
 * Context: process context (the shell's thread), interrupts on; sleeps.
 * Lock order: memview's mutex -> a process's space mutex -> page-table
 * locks; vmalloc's lock alone.
 */
#ifndef KERNEL_MEMVIEW_MEMVIEW_H
#define KERNEL_MEMVIEW_MEMVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/compiler.h"
#include "mm/layout.h"

#define MEMVIEW_REFRESH_MS 100 /* the panel's redraw period */
#define MEMVIEW_MAX_SHARE 5    /* a slow refresh waits this many times its length */

/*
 * Classify every frame and print the character map of physical [start,
 * end) (end 0: the end of RAM; clipped to it) on the console, then the
 * classification's time. Returns 0; -EINVAL (start at or past the end of
 * RAM, or start >= end); -ENOMEM (no room for the frame map).
 */
__must_check int memview_print_map(phys_addr_t start, phys_addr_t end);

/* What `memview on` reports. */
struct memview_panel_info {
	uint32_t y, height;          /* the panel's rows on the screen: [y, y + height) */
	uint32_t cell_w, cell_h;     /* a cell's pixels */
	uint64_t frames_per_cell;
	uint32_t cols, rows;         /* the grid */
	uint32_t legend_lines;
};

/*
 * Put the panel on the screen (the text console gives it its bottom rows)
 * and start the refresh thread. Returns 0 with *out filled; -EBUSY (on
 * already: *out filled too); -ENODEV (no screen console: why says why, in
 * a sentence); -ENOSPC (the screen is too small); -ENOMEM.
 */
__must_check int memview_panel_on(struct memview_panel_info *out, char *why, size_t why_size);

/*
 * Stop the thread, clear the panel and give its rows back; *count is the
 * refreshes since `on` (the first drawing included), *last_cycles what the
 * last one took (classification and drawing). Returns 0, or -ENOENT (it
 * was off).
 */
int memview_panel_off(uint64_t *count, uint64_t *last_cycles);

bool memview_panel_is_on(void);

/* What `memview at PA` reports. */
struct memview_at {
	bool on_panel;               /* the panel is on and PA has a cell (fields below) */
	uint32_t col, row, x, y;     /* the cell and its top-left pixel (screen coordinates) */
	uint32_t colour;             /* 0xRRGGBB the cell is drawn in */
	uint64_t frames_per_cell;
	char cell_kind[64];          /* the kind the cell shows (most of its frames) */
	char frame_kind[64];         /* the kind of the frame holding PA itself */
};

/*
 * Classify (and, when the panel is on, redraw it synchronously) and say
 * where physical address pa is. Returns 0, or -ENOMEM (no frame map).
 */
__must_check int memview_at(phys_addr_t pa, struct memview_at *out);

#endif
