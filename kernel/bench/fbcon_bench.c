/*
 * fbcon_bench.c - `bench fbcon`: what drawing text on the framebuffer
 * costs (drivers/framebuffer.h, drivers/fbcon.h).
 *
 * Three figures, each the median of BENCH_RUNS runs, in TSC cycles (in
 * the deterministic mode of docs/benchmarks.md: instructions):
 *   glyph        one fb_draw_glyph of a cell wholly on screen, the colours
 *                unchanged (the fast path's table is built once), per glyph;
 *   glyph, new colours   the same with the colours changing every glyph
 *                (the table rebuilt each time: the worst case);
 *   scroll       one line written at the bottom of a full screen of
 *                distinct lines, then drawn: the grid moves up a row and
 *                nearly every cell changes, so nearly every cell is drawn
 *                (the cells drawn are counted and shown);
 *   redraw       every cell of the screen drawn again (fbcon_redraw).
 * The benchmark draws over the console, so it clears the screen before
 * printing its table.
 *
 * Invariants:
 *   [x] nothing is left waiting: the screen shows the grid when it returns.
 * Kernel only; shell context; needs the screen console (not console=serial).
 */
#include "drivers/fbcon.h"
#include "drivers/font.h"
#include "drivers/framebuffer.h"
#include "kernel/bench/bench.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/arch.h"

#define BENCH_RUNS 7
#define BENCH_GLYPHS 2000
#define BENCH_LINE_MAX 512

/* A full-width line that differs from its neighbours in every column. */
static size_t bench_line(char *buf, unsigned cols, unsigned n)
{
	unsigned len = cols < BENCH_LINE_MAX - 2 ? cols : BENCH_LINE_MAX - 2;

	for (unsigned c = 0; c < len; c++)
		buf[c] = (char)('!' + (c + n * 7) % 94);
	return len;
}

static uint64_t bench_glyphs(bool new_colours)
{
	uint32_t cols = fb_width() / FONT_WIDTH, rows = fb_height() / FONT_HEIGHT;
	uint64_t t0 = arch_cycles();

	for (unsigned i = 0; i < BENCH_GLYPHS; i++)
		fb_draw_glyph(i % cols * FONT_WIDTH, i / cols % rows * FONT_HEIGHT,
			      (unsigned char)('A' + i % 26), new_colours ? 0xaaaaaa ^ i : 0xaaaaaa,
			      0x000000);
	return (arch_cycles() - t0) / BENCH_GLYPHS;
}

static void bench_fbcon(void)
{
	uint64_t glyph[BENCH_RUNS], recolour[BENCH_RUNS], scroll[BENCH_RUNS], redraw[BENCH_RUNS];
	static char line[BENCH_LINE_MAX];
	struct fbcon_stats before, after;

	if (!fbcon_active()) {
		kprintf("bench fbcon: skipped: no screen console (no framebuffer, or "
			"console=serial)\n");
		return;
	}
	fbcon_get_stats(&before);
	unsigned cols = before.cols, rows = before.rows;
	fbcon_write("\n", 1);
	for (unsigned i = 0; i < rows; i++) { /* a full screen of distinct lines */
		size_t len = bench_line(line + 1, cols, i);
		line[0] = '\n';
		fbcon_write(i == 0 ? line + 1 : line, i == 0 ? len : len + 1);
	}
	fbcon_flush();
	fbcon_get_stats(&before);
	for (unsigned r = 0; r < BENCH_RUNS; r++) {
		line[0] = '\n';
		size_t n = 1 + bench_line(line + 1, cols, rows + r);
		uint64_t t0 = arch_cycles();
		fbcon_write(line, n);
		fbcon_flush();
		scroll[r] = arch_cycles() - t0;
	}
	fbcon_get_stats(&after);
	uint64_t glyphs_per_scroll = (after.glyphs - before.glyphs) / BENCH_RUNS;
	for (unsigned r = 0; r < BENCH_RUNS; r++) {
		uint64_t t0 = arch_cycles();
		fbcon_redraw();
		redraw[r] = arch_cycles() - t0;
	}
	for (unsigned r = 0; r < BENCH_RUNS; r++) {
		glyph[r] = bench_glyphs(false);
		recolour[r] = bench_glyphs(true);
	}
	const struct fb_mode *m = fb_get_mode();
	fbcon_write("\x1b[2J\x1b[H", 7); /* the glyphs went over the console: start clean */
	fbcon_redraw();
	kprintf("fbcon: %ux%u, %u bpp, %ux%u cells; median of %d runs, cycles\n", m->width,
		m->height, m->bpp, cols, rows, BENCH_RUNS);
	kprintf("  glyph (same colours)        %8lu\n", median_u64(glyph, BENCH_RUNS));
	kprintf("  glyph (new colours each)    %8lu\n", median_u64(recolour, BENCH_RUNS));
	kprintf("  scroll, full screen         %8lu  (%lu cells drawn)\n",
		median_u64(scroll, BENCH_RUNS), glyphs_per_scroll);
	kprintf("  redraw, every cell          %8lu  (%u cells)\n", median_u64(redraw, BENCH_RUNS),
		cols * rows);
}

BENCHMARK(fbcon, "screen: cycles per glyph, per full-screen scroll, per redraw", bench_fbcon);
