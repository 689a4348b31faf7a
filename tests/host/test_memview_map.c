/*
 * test_memview_map.c - suite "memview_map": how memview shows a frame map
 * (kernel/memview/memview_map.c): characters and colours, the serial
 * character map rendered from a made-up map, and the screen panel's
 * geometry at the resolutions the screen tests use.
 *
 * The maps here are written by hand (no allocator), so each line and cell
 * of the picture has a known answer.
 *
 * Invariants:
 *   [x] no test depends on another's state (each builds its own map).
 *
 * Hosted code: may use libc.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kernel/memview/memview_map.h"
#include "kernel/selftest.h"
#include "lib/errno.h"

#define MAP_FRAMES 4096 /* 16 MiB */

static uint8_t kinds[1u << 20];

/* A map of pfns frames, all free order 10, zones starting at dma32 and normal. */
static struct frame_map made_map(uint64_t pfns, uint64_t dma32, uint64_t normal)
{
	struct frame_map m = {kinds, sizeof(kinds), pfns, {0, dma32, normal}};

	memset(kinds, FRAME_FREE + MAX_ORDER, pfns);
	return m;
}

static void set(uint64_t from, uint64_t to, unsigned kind)
{
	memset(kinds + from, (int)kind, to - from);
}

/* The rendered lines, kept for the checks. */
#define LINES_MAX 64
static char lines[LINES_MAX][200];
static unsigned line_count;

static void keep_line(const char *line, void *arg)
{
	(void)arg;
	if (line_count < LINES_MAX)
		snprintf(lines[line_count], sizeof(lines[0]), "%s", line);
	line_count++;
}

/* The first kept line containing text, or NULL. */
static const char *find_line(const char *text)
{
	for (unsigned i = 0; i < line_count && i < LINES_MAX; i++)
		if (strstr(lines[i], text))
			return lines[i];
	return NULL;
}

/* Is line address, then n times a and the rest of 64 b, then tail? */
static bool line_is(const char *line, const char *address, char a, unsigned n, char b,
		    const char *tail)
{
	size_t at = strlen(address);

	if (strncmp(line, address, at) != 0 ||
	    strlen(line) != at + MEMVIEW_TEXT_CHARS + strlen(tail))
		return false;
	for (unsigned c = 0; c < MEMVIEW_TEXT_CHARS; c++)
		if (line[at + c] != (c < n ? a : b))
			return false;
	return strcmp(line + at + MEMVIEW_TEXT_CHARS, tail) == 0;
}

static const char *test_chars_and_colours(void)
{
	struct memview_procs procs = {.count = 2};

	procs.proc[0].pid = 7;
	procs.proc[1].pid = 27;
	for (unsigned k = 0; k < FRAME_KIND_COUNT; k++)
		CHECKF(memview_kind_char(k, &procs) != '?' || (frame_kind_is_user(k) &&
		       k - FRAME_USER >= procs.count), "kind %u has no character", k);
	CHECK(memview_kind_char(FRAME_FREE + 0, NULL) == '0');
	CHECK(memview_kind_char(FRAME_FREE + 9, NULL) == '9');
	CHECK(memview_kind_char(FRAME_FREE + 10, NULL) == 'A');
	CHECK(memview_kind_char(FRAME_KERNEL_IMAGE, NULL) == 'K');
	CHECK(memview_kind_char(FRAME_ALLOCATED, NULL) == '#');
	CHECK(memview_kind_char(FRAME_NOT_RAM, NULL) == '-');
	CHECK(memview_kind_char(FRAME_USER + 0, &procs) == 'g');  /* pid 7 */
	CHECK(memview_kind_char(FRAME_USER + 1, &procs) == 'a');  /* pid 27 wraps */
	/* Named kinds' characters differ from each other and from the free digits. */
	for (unsigned a = 0; a < FRAME_USER; a++)
		for (unsigned b = a + 1; b < FRAME_USER; b++)
			CHECKF(memview_kind_char(a, NULL) != memview_kind_char(b, NULL),
			       "kinds %u and %u share '%c'", a, b, memview_kind_char(a, NULL));
	/* Free orders: one hue (green strongest), lighter with the order. */
	uint32_t light = 0;
	for (unsigned k = 0; k <= MAX_ORDER; k++) {
		uint32_t c = memview_paint_colour(FRAME_FREE + k);
		uint32_t r = c >> 16, g = (c >> 8) & 0xff, b = c & 0xff;
		CHECKF(g > r && g > b && r == b, "order %u: #%06x", k, c);
		CHECKF(r + g + b > light, "order %u: #%06x no lighter than order %u", k, c, k - 1);
		light = r + g + b;
	}
	/* Every paint has a colour different from every other paint's. */
	for (unsigned a = 0; a < MEMVIEW_PAINT_COUNT; a++)
		for (unsigned b = a + 1; b < MEMVIEW_PAINT_COUNT; b++)
			CHECKF(memview_paint_colour((uint8_t)a) != memview_paint_colour((uint8_t)b),
			       "paints %u and %u: #%06x", a, b, memview_paint_colour((uint8_t)a));
	/* A process's paint follows its pid, not its slot. */
	CHECK(memview_paint(FRAME_USER + 0, &procs) == MEMVIEW_PAINT_PROC + 7);
	CHECK(memview_paint(FRAME_USER + 1, &procs) == MEMVIEW_PAINT_PROC + 27 % MEMVIEW_PROC_COLOURS);
	CHECK(memview_paint(FRAME_SLAB, &procs) == FRAME_SLAB);
	char buf[64];
	strcpy(procs.proc[0].name, "sh");
	CHECK(strcmp(memview_kind_text(FRAME_USER + 0, &procs, buf, sizeof(buf)),
		     "user page of pid 7 (sh)") == 0);
	return NULL;
}

static const char *test_text_layout(void)
{
	struct memview_text_layout l;

	memview_text_layout(0, 65536, &l); /* 256 MiB */
	CHECK(l.frames_per_char == 32 && l.start_pfn == 0 && l.end_pfn == 65536);
	memview_text_layout(0, 65504, &l); /* QEMU's 256 MiB: a little less */
	CHECK(l.frames_per_char == 32 && l.end_pfn == 65536);
	memview_text_layout(4096, 6144, &l); /* `memview 16M 8M` */
	CHECK(l.frames_per_char == 1 && l.start_pfn == 4096 && l.end_pfn == 6144);
	memview_text_layout(100, 2148, &l); /* 2048 frames, but 33 lines once rounded */
	CHECKF(l.frames_per_char == 2 && l.start_pfn == 0 && l.end_pfn == 2176,
	       "fpc %lu [%lu, %lu)", l.frames_per_char, l.start_pfn, l.end_pfn);
	/* Any range: whole lines, covering it, at most 32 of them, as fine as that allows. */
	uint64_t x = 12345;
	for (int i = 0; i < 2000; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		uint64_t start = (x >> 20) % (1ull << 24), len = 1 + (x >> 44) % (1ull << 20);
		memview_text_layout(start, start + len, &l);
		uint64_t line = l.frames_per_char * MEMVIEW_TEXT_CHARS;
		CHECK(l.start_pfn <= start && l.end_pfn >= start + len);
		CHECK(l.start_pfn % line == 0 && l.end_pfn % line == 0);
		CHECKF((l.end_pfn - l.start_pfn) / line <= MEMVIEW_TEXT_LINES, "%lu lines",
		       (l.end_pfn - l.start_pfn) / line);
		CHECK(l.frames_per_char == 1 ||
		      (start + len - 1) / (line / 2) - start / (line / 2) + 1 > MEMVIEW_TEXT_LINES);
	}
	return NULL;
}

static const char *test_text_render(void)
{
	struct frame_map m = made_map(MAP_FRAMES, 1024, MAP_FRAMES);
	struct memview_procs procs = {.count = 1};
	struct memview_text_layout l;

	procs.proc[0].pid = 7;
	strcpy(procs.proc[0].name, "sh");
	set(0, 1, FRAME_RESERVED);
	set(512, 1024, FRAME_KERNEL_IMAGE);      /* lines 4-7: 2 MiB */
	set(2048, 2560, FRAME_NOT_RAM);          /* lines 16-19: collapsed */
	set(3072, 3073, FRAME_SLAB);             /* one frame of a two-frame character */
	set(3200, 3264, FRAME_USER + 0);         /* half of line 25 */
	memview_text_layout(0, m.pfns, &l);
	line_count = 0;
	memview_text_render(&m, &procs, &l, keep_line, NULL);

	CHECKF(strstr(lines[0], "one character per 2 frames (8 KiB), 512 KiB a line"), "%s",
	       lines[0]);
	/* 32 map lines less the 3 a collapsed hole saves, the heading, the legend. */
	CHECKF(line_is(lines[1], "0x000000 ", 'R', 1, 'A', "  <- DMA from 0x0"), "%s", lines[1]);
	CHECKF(line_is(lines[5], "0x200000 ", 'K', 64, 'K', ""), "%s", lines[5]);
	CHECKF(strstr(lines[9], "0x400000 AAAA") == lines[9] &&
	       strstr(lines[9], "<- DMA32 from 0x400000"), "%s", lines[9]);
	CHECKF(strcmp(lines[17], "0x800000 (not RAM up to 0xa00000)") == 0, "%s", lines[17]);
	CHECKF(strncmp(lines[22], "0xc00000 S", 10) == 0, "%s", lines[22]); /* 1 of 2: a tie */
	CHECKF(line_is(lines[23], "0xc80000 ", 'g', 32, 'A', ""), "%s", lines[23]);
	CHECKF(strncmp(lines[29], "0xf80000 ", 9) == 0 && strncmp(lines[30], "legend: ", 8) == 0,
	       "%s / %s", lines[29], lines[30]);
	CHECK(find_line("0-9,A free, by block order (A=10) 11 MiB"));
	CHECK(find_line("K kernel image 2 MiB"));
	CHECK(find_line("- not RAM 2 MiB"));
	CHECK(find_line("S slab 4 KiB"));
	CHECK(!find_line("vmalloc"));             /* not in the picture: not in the legend */
	CHECK(find_line("processes: g=pid 7 sh 256 KiB"));
	for (unsigned i = 0; i < line_count; i++)
		CHECKF(strlen(lines[i]) <= 100, "line %u is %zu characters", i, strlen(lines[i]));
	/* The Normal zone has no frames here: not marked anywhere. */
	CHECK(!find_line("Normal"));

	/* A zoom into the kernel image: one character per frame. */
	memview_text_layout(512, 640, &l);
	line_count = 0;
	memview_text_render(&m, &procs, &l, keep_line, NULL);
	CHECK(line_count >= 3 && strstr(lines[0], "one character per 1 frame (4 KiB)"));
	CHECKF(line_is(lines[1], "0x200000 ", 'K', 64, 'K', ""), "%s", lines[1]);
	CHECKF(strstr(lines[3], "legend: 0-9,A free, by block order (A=10) 0 KiB  K kernel image "
		      "512 KiB") == lines[3], "%s", lines[3]);
	return NULL;
}

/* Check every frame's cell and the layout's bounds for m on a w x h screen. */
static const char *check_panel(const struct frame_map *m, uint32_t w, uint32_t h,
			       struct memview_panel *p)
{
	CHECKF(memview_panel_layout(p, w, h / 3, m) == 0, "%ux%u: no layout", w, h);
	CHECKF(p->height <= h / 3 && p->cols * p->cell_w <= w && p->cell_w <= p->cell_h,
	       "%ux%u: %u tall, %u x %ux%u", w, h, p->height, p->cols, p->cell_w, p->cell_h);
	CHECK(p->grid_top == MEMVIEW_LEGEND_TOP + p->legend_lines * MEMVIEW_GLYPH_H +
			     MEMVIEW_GRID_GAP);
	for (unsigned s = 1; s < p->sections; s++)
		CHECK(p->section[s].top == p->section[s - 1].top +
					   p->section[s - 1].rows * p->cell_h + MEMVIEW_ZONE_GAP);
	uint64_t cells = 0;
	for (uint64_t pfn = 0; pfn < m->pfns; pfn += 1 + pfn % 7) {
		uint32_t col, row, x, y;
		uint64_t first, count;
		CHECKF(memview_panel_cell(p, pfn, &col, &row, &x, &y), "frame %lu: no cell", pfn);
		CHECK(memview_panel_cell_frames(p, col, row, &first, &count));
		CHECKF(pfn >= first && pfn < first + count && count <= p->frames_per_cell,
		       "frame %lu in cell (%u,%u) = [%lu, +%lu)", pfn, col, row, first, count);
		CHECK(x + p->cell_w <= w && y >= p->grid_top && y + p->cell_h + MEMVIEW_BOTTOM_GAP <=
		      p->height);
		cells++;
	}
	uint32_t col, row, x, y;
	CHECK(!memview_panel_cell(p, m->pfns, &col, &row, &x, &y));
	CHECK(cells > 0);
	return NULL;
}

static const char *test_panel_layout(void)
{
	static const uint32_t screens[][2] = {{800, 600}, {1024, 768}, {1920, 1080}, {640, 480}};
	struct memview_panel p;

	for (unsigned i = 0; i < sizeof(screens) / sizeof(screens[0]); i++) {
		/* QEMU's 256 MiB: one frame per pixel on every screen the tests use. */
		struct frame_map m = made_map(65504, 4096, 65504);
		CHECK_OK(check_panel(&m, screens[i][0], screens[i][1], &p));
		CHECKF(p.frames_per_cell == 1 || screens[i][0] < 800, "%ux%u: %lu frames per cell",
		       screens[i][0], screens[i][1], p.frames_per_cell);
		CHECK(p.sections == 2 && p.section[1].zone == ZONE_DMA32);
		/* 4 GiB: all three zones, several frames per cell. */
		struct frame_map big = made_map(1u << 20, 4096, 900000);
		CHECK_OK(check_panel(&big, screens[i][0], screens[i][1], &p));
		CHECK(p.sections == 3 && p.frames_per_cell > 1);
	}
	/* 1920x1080 has room for bigger cells at 256 MiB. */
	struct frame_map m = made_map(65504, 4096, 65504);
	CHECK(memview_panel_layout(&p, 1920, 360, &m) == 0 && p.cell_w >= 2);
	/* 1024x768: one frame per column, three pixels tall. */
	CHECKF(memview_panel_layout(&p, 1024, 256, &m) == 0 && p.frames_per_cell == 1 &&
	       p.cell_w == 1 && p.cell_h == 3, "%lu frames, %ux%u", p.frames_per_cell, p.cell_w,
	       p.cell_h);
	/* Too small, or a width no legend fits. */
	CHECK(memview_panel_layout(&p, 1024, 40, &m) == -ENOSPC);
	CHECK(memview_panel_layout(&p, 100, 400, &m) == -EINVAL);
	m.pfns = 0;
	CHECK(memview_panel_layout(&p, 1024, 256, &m) == -EINVAL);
	return NULL;
}

static const char *test_legend_layout(void)
{
	struct memview_legend_item items[MEMVIEW_LEGEND_ITEMS];

	for (uint32_t w = 240; w <= 2000; w += 37) {
		unsigned lines = memview_legend_layout(w, items);
		CHECKF(lines >= 2, "width %u", w);
		for (unsigned i = 0; i < MEMVIEW_LEGEND_ITEMS; i++) {
			uint32_t text = (uint32_t)strlen(items[i].text) * MEMVIEW_GLYPH_W;
			CHECKF(items[i].x + text <= w && items[i].line + 1 < lines,
			       "width %u: item %u at line %u x %u", w, i, items[i].line, items[i].x);
			if (i > 0)
				CHECK(items[i].line > items[i - 1].line ||
				      items[i].x > items[i - 1].x);
		}
	}
	CHECK(memview_legend_layout(1920, items) == 2); /* one line of items, one of processes */
	CHECK(memview_legend_layout(100, items) == 0);
	return NULL;
}

static const struct selftest memview_map_tests[] = {
	{"chars_and_colours", "a character for every kind, free orders as digits and shades "
	 "of green, distinct paints, a process's colour by pid", test_chars_and_colours},
	{"text_layout", "the serial map fits 32 lines of 64 with the finest block size",
	 test_text_layout},
	{"text_render", "a made-up map rendered: addresses, characters, a collapsed hole, zone "
	 "marks, the legend with amounts, a zoom", test_text_render},
	{"panel_layout", "every frame has one cell inside the panel at 640x480 to 1920x1080, "
	 "256 MiB at a frame per pixel, 4 GiB in three zones", test_panel_layout},
	{"legend_layout", "legend items stay inside the width, in order", test_legend_layout},
};

SELFTEST_SUITE(memview_map, memview_map_tests);
