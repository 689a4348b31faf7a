/*
 * memview_map.h - how memview shows a frame map (mm/frame_kind.h): a
 * character and a colour per kind, the serial character map, and the
 * geometry of the screen panel. Pure: no screen, no console, no lock, so
 * the host tests check every layout (tests/host/test_memview_map.c).
 *
 * The serial map is one character per block of frames (a power of two,
 * chosen so the range fits MEMVIEW_TEXT_LINES lines of MEMVIEW_TEXT_CHARS),
 * each block showing the kind most of its frames have:
 *   0-9 A   free, in a block of that order (A = 10)   - not RAM
 *   K kernel image  D page descriptors  B boot information  I initrd/module
 *   J AP trampoline  R other reserved  F firmware  P page tables  S slab
 *   V vmalloc  T kernel stacks  # other allocations  * shared user pages
 *   a-z  a process's user pages: 'a' + (pid - 1) % 26
 * The panel is a grid of cells, one colour per cell, one section
 * per zone, each starting a new row below a white line (the zone
 * boundary), under the legend's lines.
 *
 * Invariants:
 *   [x] every kind has a character and a colour; free orders are shades of
 *       one hue (green), darkest for order 0;
 *   [x] a panel layout fits the width and height it was given, and every
 *       frame of the map has exactly one cell.
 * Context: any; pure functions of their arguments.
 */
#ifndef KERNEL_MEMVIEW_MEMVIEW_MAP_H
#define KERNEL_MEMVIEW_MEMVIEW_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/compiler.h"
#include "mm/frame_kind.h"

#define MEMVIEW_TEXT_CHARS 64 /* characters of map per serial line */
#define MEMVIEW_TEXT_LINES 32 /* lines a whole map fits in (holes collapse further) */
#define MEMVIEW_PROC_NAME 16  /* bytes of a process name kept, the NUL included */
#define MEMVIEW_PROC_COLOURS 10 /* colours processes cycle through, by pid */

/* The processes of a map's user slots: slot i is procs->proc[i]. */
struct memview_procs {
	unsigned count;
	struct {
		int pid;
		char name[MEMVIEW_PROC_NAME];
	} proc[FRAME_USER_SLOTS];
	uint64_t pages[FRAME_USER_SLOTS]; /* user pages each maps (shared ones included) */
};

/*
 * Paints: what a cell is drawn as. A kind other than a user kind is its
 * own paint; a process's pages paint MEMVIEW_PAINT_PROC + pid % colours,
 * so a process keeps its colour while others come and go.
 */
#define MEMVIEW_PAINT_PROC FRAME_USER
#define MEMVIEW_PAINT_COUNT (MEMVIEW_PAINT_PROC + MEMVIEW_PROC_COLOURS)

/* The paint of kind k (procs says which pid a user slot is). */
uint8_t memview_paint(unsigned k, const struct memview_procs *procs);

/* A paint's colour, 0xRRGGBB. */
uint32_t memview_paint_colour(uint8_t paint);

/* The serial map's character for kind k. */
char memview_kind_char(unsigned k, const struct memview_procs *procs);

/*
 * Kind k in words, with the process for a user kind ("user pages of pid 3
 * (sh)"), into buf; returns buf.
 */
const char *memview_kind_text(unsigned k, const struct memview_procs *procs, char *buf,
			      size_t size);

/* ---- the serial map ------------------------------------------------------ */

struct memview_text_layout {
	uint64_t start_pfn, end_pfn;  /* [start, end): whole lines */
	uint64_t frames_per_char;     /* a power of two */
};

/*
 * The layout showing frames [start_pfn, end_pfn) (start < end): the
 * smallest power of two frames per character that fits the range in
 * MEMVIEW_TEXT_LINES lines; start rounded down and end up to whole lines.
 */
void memview_text_layout(uint64_t start_pfn, uint64_t end_pfn, struct memview_text_layout *out);

/* Gets each line of output, without its newline. */
typedef void (*memview_line_fn)(const char *line, void *arg);

/*
 * The character map of m over layout l: a heading line, one line per 64
 * characters with its physical address first (runs of lines that are all
 * not RAM collapse into one line saying so; a line where a zone starts
 * ends with "<- ZONE from 0x..."), then the legend: free memory and each
 * kind the range holds, with its amount, and the processes with pages in
 * it, each with its letter.
 */
void memview_text_render(const struct frame_map *m, const struct memview_procs *procs,
			 const struct memview_text_layout *l, memview_line_fn out, void *arg);

/* ---- the screen panel ---------------------------------------------------- */

#define MEMVIEW_GLYPH_W 8         /* the kernel font's cell (drivers/font.h) */
#define MEMVIEW_GLYPH_H 16
#define MEMVIEW_CELL_SHAPES 7     /* cell sizes tried, largest first (memview_map.c) */
#define MEMVIEW_ZONE_GAP 3        /* pixels between zone sections: black, white, black */
#define MEMVIEW_LEGEND_TOP 4      /* panel top: a grey line, then a gap before the legend */
#define MEMVIEW_GRID_GAP 4        /* pixels between the legend and the grid */
#define MEMVIEW_BOTTOM_GAP 2

/* One legend entry: a swatch (or the free orders' gradient) and words. */
struct memview_legend_item {
	uint32_t line, x;             /* where: legend line, pixel from the left */
	const char *text;
	int kind;                     /* its kind; -1: the free gradient; -2: text only */
};

#define MEMVIEW_LEGEND_ITEMS 16   /* the fixed items (the processes' line comes after) */

/*
 * Place the fixed legend items in lines of width pixels; returns the lines
 * used (the processes' line is one more), or 0 if the width is too narrow
 * for the widest item.
 */
unsigned memview_legend_layout(uint32_t width,
			       struct memview_legend_item items[MEMVIEW_LEGEND_ITEMS]);

/* A zone's section of the grid: its frames, its first cell row, its top (panel-relative). */
struct memview_section {
	int zone;
	uint64_t start_pfn, end_pfn;
	uint32_t row0, rows;
	uint32_t top;
};

struct memview_panel {
	uint32_t width, height;       /* the panel's pixels (height: all of it) */
	uint32_t legend_lines;        /* text lines of legend, processes' line included */
	uint32_t grid_top;            /* panel-relative y of the grid's first row */
	uint32_t cell_w, cell_h;      /* a cell's pixels: 4x4 down to 1x1, never wider than tall */
	uint64_t frames_per_cell;     /* a power of two */
	uint32_t cols, rows;          /* the grid: cells per row, rows of all sections */
	unsigned sections;
	struct memview_section section[ZONE_COUNT];
	struct memview_legend_item legend[MEMVIEW_LEGEND_ITEMS];
};

/*
 * Lay out the panel for m on a screen width pixels wide, at most
 * max_height tall: the fewest frames per cell, then the largest cell
 * (4x4, 3x3, 2x3, 2x2, 1x3, 1x2, 1x1: a taller cell before a smaller one,
 * so a frame per column still fills the height given), that fit. Returns
 * 0, or -ENOSPC when nothing fits up to 2^20 frames per cell, -EINVAL for
 * an empty map or a width the legend cannot use.
 */
__must_check int memview_panel_layout(struct memview_panel *p, uint32_t width, uint32_t max_height,
				      const struct frame_map *m);

/*
 * The cell of frame pfn: its column and row in the grid and its top-left
 * pixel (panel-relative). False when pfn is past the map's frames.
 */
bool memview_panel_cell(const struct memview_panel *p, uint64_t pfn, uint32_t *col,
			uint32_t *row, uint32_t *x, uint32_t *y);

/* The frames of the cell at (col, row): [*first, *first + *count); false if no such cell. */
bool memview_panel_cell_frames(const struct memview_panel *p, uint32_t col, uint32_t row,
			       uint64_t *first, uint64_t *count);

#endif
