/*
 * fbcon.c - the text console on the framebuffer (see fbcon.h): the shadow
 * grid (fbcon_text.h) drawn cell by cell with the kernel font.
 *
 *   console_write --> fbcon_write --> fbcon_text_write: shadow cells,
 *                          |           row_dirty[] marks what changed
 *                          v
 *        draw now, or leave it for the tick (fbcon_tick, within `lag`)
 *                          |
 *                          v
 *   fbcon_draw: each dirty row, each cell != drawn[] (the copy of what the
 *   screen shows) -> fb_draw_glyph; then the cursor's underline
 *
 * Invariants:
 *   [x] drawn[i] is what the screen shows at cell i when drawn_valid[row];
 *   [x] cursor_shown: the underline is on screen at (drawn_cx, drawn_cy);
 *   [x] no pixel below rows * FONT_HEIGHT is drawn (a panel's, or the
 *       screen's remainder, filled once with the background).
 * Context: see fbcon.h; the console lock serializes; depth counts this
 * CPU's nested entries (an NMI or a fault while drawing), and a third
 * level draws nothing, so a fault in drawing cannot recurse forever.
 */
#include "drivers/fbcon.h"

#include "drivers/arch.h"
#include "drivers/console_lock.h"
#include "drivers/fbcon_text.h"
#include "drivers/font.h"
#include "drivers/framebuffer.h"
#include "lib/errno.h"
#include "mm/buddy.h"
#include "mm/page.h"

#define CURSOR_TOP 14 /* the underline: pixel rows 14..15 of the cell */
#define CURSOR_HEIGHT 2
#define FBCON_MIN_ROWS 4 /* fbcon_reserve_bottom leaves at least this many */
#define FBCON_MAX_DEPTH 2

static struct fbcon_text text;
/*
 * What the screen shows, cell by cell: sized for this screen's grid and
 * taken from the page allocator when the console starts (a static array
 * for the largest grid would cost every machine 127 KiB of bss). The
 * shadow grid itself stays static: it holds output from before pmm_init.
 */
static fbcon_cell_t *drawn;
static bool drawn_valid[FBCON_TEXT_MAX_ROWS];
static bool initialised, active;
static bool cursor_shown;
static unsigned drawn_cx, drawn_cy;
static unsigned depth;
static bool panic_seen;
static uint64_t lag, last_draw;
static bool waiting; /* the shadow has changes the screen does not show */
static struct fbcon_stats stats;

/* Do two cells look the same? Blanks differ only by their background. */
static bool cells_look_same(fbcon_cell_t a, fbcon_cell_t b)
{
	if (a == b)
		return true;
	return fbcon_cell_char(a) == ' ' && fbcon_cell_char(b) == ' ' &&
	       fbcon_cell_bg(a) == fbcon_cell_bg(b);
}

static void draw_cell(unsigned col, unsigned row, fbcon_cell_t c)
{
	fb_draw_glyph(col * FONT_WIDTH, row * FONT_HEIGHT, fbcon_cell_char(c),
		      fbcon_palette[fbcon_cell_fg(c)], fbcon_palette[fbcon_cell_bg(c)]);
	stats.glyphs++;
}

/* Everything waiting: changed cells, then the cursor. Console lock held. */
static void fbcon_draw(void)
{
	unsigned cols = text.cols;

	waiting = false;
	for (unsigned r = 0; r < text.rows; r++) {
		if (!text.row_dirty[r] && drawn_valid[r])
			continue;
		text.row_dirty[r] = 0; /* before drawing: a nested write marks it again */
		const fbcon_cell_t *src = &text.cells[r * cols];
		fbcon_cell_t *dst = &drawn[r * cols];
		for (unsigned c = 0; c < cols; c++) {
			if (drawn_valid[r] && cells_look_same(src[c], dst[c]))
				continue;
			dst[c] = src[c];
			draw_cell(c, r, dst[c]);
			if (cursor_shown && r == drawn_cy && c == drawn_cx)
				cursor_shown = false; /* the glyph covered the underline */
		}
		drawn_valid[r] = true;
	}
	if (cursor_shown && (drawn_cx != text.cx || drawn_cy != text.cy)) {
		if (drawn_cy < text.rows && drawn_cx < cols)
			draw_cell(drawn_cx, drawn_cy, drawn[drawn_cy * cols + drawn_cx]);
		cursor_shown = false;
	}
	if (!cursor_shown) {
		fbcon_cell_t under = drawn[text.cy * cols + text.cx];
		fb_fill_rect(text.cx * FONT_WIDTH, text.cy * FONT_HEIGHT + CURSOR_TOP, FONT_WIDTH,
			     CURSOR_HEIGHT, fbcon_palette[fbcon_cell_fg(under)]);
		drawn_cx = text.cx;
		drawn_cy = text.cy;
		cursor_shown = true;
	}
	stats.draws++;
	last_draw = rdtsc();
}

/* The pixels between the last text row and the bottom (or a panel): background. */
static void fill_below_text(uint32_t panel_top)
{
	uint32_t y = text.rows * FONT_HEIGHT;

	if (y < panel_top)
		fb_fill_rect(0, y, fb_width(), panel_top - y, fbcon_palette[FBCON_DEFAULT_BG]);
	if (text.cols * FONT_WIDTH < fb_width())
		fb_fill_rect(text.cols * FONT_WIDTH, 0, fb_width() - text.cols * FONT_WIDTH, y,
			     fbcon_palette[FBCON_DEFAULT_BG]);
}

void fbcon_init(void)
{
	uint32_t w = fb_width(), h = fb_height();

	if (w < FONT_WIDTH || h < FONT_HEIGHT * FBCON_MIN_ROWS)
		return; /* no mode, or too small for a console */
	fbcon_text_init(&text, w / FONT_WIDTH, h / FONT_HEIGHT);
	initialised = true;
}

int fbcon_start(void)
{
	if (!initialised || !fb_ready())
		return -ENODEV;
	size_t bytes = (size_t)text.max_rows * text.cols * sizeof(*drawn);
	unsigned order = 0;
	while ((PAGE_SIZE << order) < bytes)
		order++;
	struct page *block = alloc_pages(0, order);
	if (!block)
		return -ENOMEM;
	console_lock();
	drawn = page_address(block);
	fb_fill_rect(0, 0, fb_width(), fb_height(), fbcon_palette[FBCON_DEFAULT_BG]);
	fbcon_cell_t blank = FBCON_CELL(' ', FBCON_DEFAULT_FG, FBCON_DEFAULT_BG);
	for (unsigned i = 0; i < text.rows * text.cols; i++)
		drawn[i] = blank;
	for (unsigned r = 0; r < text.rows; r++)
		drawn_valid[r] = true;
	cursor_shown = false;
	active = true;
	fbcon_draw();
	console_unlock();
	return 0;
}

bool fbcon_active(void)
{
	return active;
}

void fbcon_set_lag(uint64_t lag_cycles)
{
	lag = lag_cycles;
}

void fbcon_write(const char *s, size_t n)
{
	if (!initialised)
		return;
	console_lock();
	if (console_lock_in_panic() && !panic_seen) {
		panic_seen = true; /* this CPU has the console for good: a clean start */
		depth = 0;         /* whoever was drawing was stopped */
		fbcon_text_reset_state(&text);
	}
	if (depth >= FBCON_MAX_DEPTH) {
		console_unlock(); /* drawing faults again and again: the serial line has it */
		return;
	}
	depth++;
	fbcon_text_write(&text, s, n);
	waiting = true;
	if (active && (lag == 0 || panic_seen || rdtsc() - last_draw >= lag))
		fbcon_draw();
	depth--;
	console_unlock();
}

void fbcon_tick(void)
{
	if (!active || !waiting || !console_trylock())
		return;
	if (depth == 0 && waiting) {
		depth++;
		fbcon_draw();
		depth--;
	}
	console_unlock();
}

void fbcon_flush(void)
{
	if (!active)
		return;
	console_lock();
	fbcon_draw();
	console_unlock();
}

void fbcon_redraw(void)
{
	if (!active)
		return;
	console_lock();
	for (unsigned r = 0; r < text.rows; r++)
		drawn_valid[r] = false;
	cursor_shown = false;
	fbcon_draw();
	console_unlock();
}

int fbcon_reserve_bottom(uint32_t pixels)
{
	if (!active)
		return -ENODEV;
	uint32_t h = fb_height();
	if (pixels > h || (h - pixels) / FONT_HEIGHT < FBCON_MIN_ROWS)
		return -EINVAL;
	console_lock();
	unsigned rows = (h - pixels) / FONT_HEIGHT;
	fbcon_text_set_rows(&text, rows > text.max_rows ? text.max_rows : rows);
	for (unsigned r = 0; r < text.rows; r++)
		drawn_valid[r] = false;
	cursor_shown = false;
	fill_below_text(h - pixels);
	fbcon_draw();
	console_unlock();
	return (int)(h - pixels);
}

void fbcon_get_stats(struct fbcon_stats *out)
{
	*out = stats;
	out->scrolls = text.scrolls;
	out->cols = text.cols;
	out->rows = text.rows;
}
