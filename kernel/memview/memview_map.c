/*
 * memview_map.c - characters, colours, the serial map and the panel's
 * geometry for memview (contracts in memview_map.h).
 *
 * Both pictures put each block of frames (a character, a cell) in the
 * colour or letter of the kind most of its frames have
 * (frame_map_summary). Block sizes are powers of two, so a block lines up
 * with the buddy allocator's blocks: an order-9 allocation fills whole
 * characters or cells whenever a block is at most 512 frames.
 *
 * Invariants:
 *   [x] tables indexed by kind cover every kind below FRAME_FREE (checked
 *       at compile time);
 *   [x] nothing here touches the screen or the console: output goes
 *       through the caller's line function.
 * Context: any. Host-compilable.
 */
#include "kernel/memview/memview_map.h"

#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"

#define KIND_TABLE_SIZE FRAME_FREE /* the named kinds; free and user kinds are computed */

static const char kind_chars[KIND_TABLE_SIZE + 1] = "-FRKDBIJPSVT#*";
_Static_assert(sizeof(kind_chars) == KIND_TABLE_SIZE + 1, "a character for every named kind");

static const uint32_t kind_colours[KIND_TABLE_SIZE] = {
	[FRAME_NOT_RAM] = 0x282828,
	[FRAME_FIRMWARE] = 0x604878,
	[FRAME_RESERVED] = 0x787878,
	[FRAME_KERNEL_IMAGE] = 0xff3030,
	[FRAME_PAGE_DESCRIPTORS] = 0xff8c00,
	[FRAME_BOOT_INFO] = 0xffe000,
	[FRAME_MODULE] = 0xb07840,
	[FRAME_TRAMPOLINE] = 0xff00ff,
	[FRAME_PAGE_TABLE] = 0x00b0ff,
	[FRAME_SLAB] = 0x3050ff,
	[FRAME_VMALLOC] = 0xa040ff,
	[FRAME_KERNEL_STACK] = 0xff60b0,
	[FRAME_ALLOCATED] = 0xc8c8c8,
	[FRAME_USER_SHARED] = 0xffffff,
};

/* Processes' colours, by pid: no green (free memory's hue) and none of the kinds' above. */
static const uint32_t proc_colours[MEMVIEW_PROC_COLOURS] = {
	0x00e0e0, 0xe0b000, 0xff7f50, 0x8080ff, 0xd070ff,
	0x40a0a0, 0xc0c060, 0xff5090, 0x80d0ff, 0xe0a0a0,
};

/*
 * Free order k (0..MAX_ORDER): greens from dark (order 0, the smallest
 * block) to pale (MAX_ORDER), in steps the eye tells apart: fragmentation
 * shows as dark specks in pale fields.
 */
static const uint32_t free_colours[MAX_ORDER + 1] = {
	0x003800, 0x004d00, 0x006400, 0x007c00, 0x009600, 0x00b000,
	0x00cc00, 0x20e020, 0x50f050, 0x88ff88, 0xc0ffc0,
};
_Static_assert(MAX_ORDER == 10, "a green for every free order");

static uint32_t free_colour(unsigned k)
{
	return free_colours[k];
}

/* The pid of user kind k, or 0 when procs does not say. */
static int kind_pid(unsigned k, const struct memview_procs *procs)
{
	unsigned slot = k - FRAME_USER;

	return procs && slot < procs->count ? procs->proc[slot].pid : 0;
}

uint8_t memview_paint(unsigned k, const struct memview_procs *procs)
{
	if (!frame_kind_is_user(k))
		return k < FRAME_USER ? (uint8_t)k : FRAME_ALLOCATED;
	int pid = kind_pid(k, procs);
	return (uint8_t)(MEMVIEW_PAINT_PROC + (pid > 0 ? (unsigned)pid : 0) % MEMVIEW_PROC_COLOURS);
}

uint32_t memview_paint_colour(uint8_t paint)
{
	if (paint < KIND_TABLE_SIZE)
		return kind_colours[paint];
	if (frame_kind_is_free(paint))
		return free_colour(paint - FRAME_FREE);
	if (paint >= MEMVIEW_PAINT_PROC && paint < MEMVIEW_PAINT_COUNT)
		return proc_colours[paint - MEMVIEW_PAINT_PROC];
	return kind_colours[FRAME_ALLOCATED];
}

char memview_kind_char(unsigned k, const struct memview_procs *procs)
{
	if (k < KIND_TABLE_SIZE)
		return kind_chars[k];
	if (frame_kind_is_free(k))
		return "0123456789A"[k - FRAME_FREE];
	if (frame_kind_is_user(k)) {
		int pid = kind_pid(k, procs);
		return pid > 0 ? (char)('a' + (pid - 1) % 26) : '?';
	}
	return '?';
}

const char *memview_kind_text(unsigned k, const struct memview_procs *procs, char *buf,
			      size_t size)
{
	if (!frame_kind_is_user(k))
		return frame_kind_text(k, buf, size);
	unsigned slot = k - FRAME_USER;
	if (!procs || slot >= procs->count)
		return frame_kind_text(k, buf, size);
	ksnprintf(buf, size, "user page of pid %d (%s)", procs->proc[slot].pid,
		  procs->proc[slot].name);
	return buf;
}

/* ---- the serial map ------------------------------------------------------ */

#define LINE_MAX 160 /* bytes of one output line */

void memview_text_layout(uint64_t start_pfn, uint64_t end_pfn, struct memview_text_layout *out)
{
	for (uint64_t fpc = 1;; fpc <<= 1) {
		uint64_t line = fpc * MEMVIEW_TEXT_CHARS;
		out->frames_per_char = fpc;
		out->start_pfn = start_pfn / line * line;
		out->end_pfn = (end_pfn + line - 1) / line * line;
		if (out->end_pfn - out->start_pfn <= line * MEMVIEW_TEXT_LINES)
			return; /* whole lines, rounded outward, and few enough */
	}
}

/* bytes as "640 KiB", "12 MiB" or "2.5 MiB" (one decimal under 10 MiB), into buf. */
static const char *size_text(uint64_t bytes, char *buf, size_t size)
{
	const uint64_t mib = 1ull << 20;

	if (bytes < mib)
		ksnprintf(buf, size, "%lu KiB", bytes >> 10);
	else if (bytes % mib == 0 || bytes >= 10 * mib)
		ksnprintf(buf, size, "%lu MiB", bytes / mib);
	else
		ksnprintf(buf, size, "%lu.%lu MiB", bytes / mib, bytes % mib * 10 / mib);
	return buf;
}

/* Hex digits of x (at least 1). */
static int hex_digits(uint64_t x)
{
	int n = 1;

	while (x >>= 4)
		n++;
	return n;
}

/* Append " <- NAME from 0x..." for each zone starting in [from, to) of the map. */
static void zone_notes(const struct frame_map *m, uint64_t from, uint64_t to, char *line,
		       size_t size)
{
	for (int z = 0; z < ZONE_COUNT; z++) {
		uint64_t s = m->zone_start[z];
		uint64_t end = z + 1 < ZONE_COUNT ? m->zone_start[z + 1] : m->pfns;
		if (s >= from && s < to && s < end) { /* the zone starts here and has frames */
			size_t len = strlen(line);
			ksnprintf(line + len, size - len, "  <- %s from 0x%lx", buddy_zone_name(z),
				  s << PAGE_SHIFT);
		}
	}
}

/* The run of all-not-RAM lines [from, to) as one line. */
static void hole_line(const struct frame_map *m, uint64_t from, uint64_t to, int width,
		      memview_line_fn out, void *arg)
{
	char line[LINE_MAX];

	ksnprintf(line, sizeof(line), "0x%0*lx (not RAM up to 0x%lx)", width, from << PAGE_SHIFT,
		  to << PAGE_SHIFT);
	zone_notes(m, from, to, line, sizeof(line));
	out(line, arg);
}

/* Legend entries: a character, words, and the kind whose amount follows. */
static const struct {
	const char *chars;
	const char *text;
	int kind; /* -1: all free kinds; -2: all user kinds */
} legend[] = {
	{"0-9,A", "free, by block order (A=10)", -1},
	{"K", "kernel image", FRAME_KERNEL_IMAGE},
	{"D", "page descriptors", FRAME_PAGE_DESCRIPTORS},
	{"B", "boot information", FRAME_BOOT_INFO},
	{"I", "initrd/modules", FRAME_MODULE},
	{"J", "AP trampoline", FRAME_TRAMPOLINE},
	{"R", "reserved", FRAME_RESERVED},
	{"F", "firmware", FRAME_FIRMWARE},
	{"-", "not RAM", FRAME_NOT_RAM},
	{"P", "page tables", FRAME_PAGE_TABLE},
	{"S", "slab", FRAME_SLAB},
	{"V", "vmalloc", FRAME_VMALLOC},
	{"T", "kernel stacks", FRAME_KERNEL_STACK},
	{"#", "other allocations", FRAME_ALLOCATED},
	{"a-z", "user pages, by pid", -2},
	{"*", "shared by processes", FRAME_USER_SHARED},
};

/* Add "words" to line, flushing it first when it would pass LEGEND_WIDTH. */
#define LEGEND_WIDTH 78
static void legend_add(char *line, const char *words, const char *indent, memview_line_fn out,
		       void *arg)
{
	size_t len = strlen(line);

	if (len > strlen(indent) && len + 2 + strlen(words) > LEGEND_WIDTH) {
		out(line, arg);
		strlcpy(line, indent, LINE_MAX);
		len = strlen(line);
	} else if (len > strlen(indent)) {
		strlcpy(line + len, "  ", LINE_MAX - len);
		len += 2;
	}
	strlcpy(line + len, words, LINE_MAX - len);
}

/* Frames of each kind in [from, to) of m (past the map: not RAM). */
static void count_kinds(const struct frame_map *m, uint64_t from, uint64_t to,
			uint64_t counts[FRAME_KIND_COUNT])
{
	memset(counts, 0, FRAME_KIND_COUNT * sizeof(counts[0]));
	for (uint64_t pfn = from; pfn < to; pfn++)
		counts[frame_map_kind(m, pfn)]++;
}

static void legend_render(const struct frame_map *m, const struct memview_procs *procs,
			  const struct memview_text_layout *l, memview_line_fn out, void *arg)
{
	uint64_t counts[FRAME_KIND_COUNT];
	char line[LINE_MAX], words[64], amount[24];
	const char *indent = "        ";

	count_kinds(m, l->start_pfn, l->end_pfn, counts);
	strlcpy(line, "legend: ", sizeof(line));
	for (size_t i = 0; i < sizeof(legend) / sizeof(legend[0]); i++) {
		uint64_t frames = 0;
		if (legend[i].kind == -1)
			for (unsigned k = 0; k <= MAX_ORDER; k++)
				frames += counts[FRAME_FREE + k];
		else if (legend[i].kind == -2)
			for (unsigned s = 0; s < FRAME_USER_SLOTS; s++)
				frames += counts[FRAME_USER + s];
		else
			frames = counts[legend[i].kind];
		if (frames == 0 && i > 0)
			continue; /* only what the picture shows (and always free memory) */
		ksnprintf(words, sizeof(words), "%s %s %s", legend[i].chars, legend[i].text,
			  size_text(frames << PAGE_SHIFT, amount, sizeof(amount)));
		legend_add(line, words, indent, out, arg);
	}
	out(line, arg);
	if (!procs || procs->count == 0)
		return;
	strlcpy(line, "processes: ", sizeof(line));
	for (unsigned s = 0; s < procs->count; s++) {
		if (counts[FRAME_USER + s] == 0)
			continue; /* none of its pages in the picture */
		ksnprintf(words, sizeof(words), "%c=pid %d %s %s",
			  memview_kind_char(FRAME_USER + s, procs), procs->proc[s].pid,
			  procs->proc[s].name,
			  size_text(counts[FRAME_USER + s] << PAGE_SHIFT, amount, sizeof(amount)));
		legend_add(line, words, "           ", out, arg);
	}
	if (strlen(line) > strlen("processes: "))
		out(line, arg);
}

void memview_text_render(const struct frame_map *m, const struct memview_procs *procs,
			 const struct memview_text_layout *l, memview_line_fn out, void *arg)
{
	const uint64_t fpc = l->frames_per_char, per_line = fpc * MEMVIEW_TEXT_CHARS;
	int width = hex_digits((l->end_pfn << PAGE_SHIFT) - 1);
	char line[LINE_MAX], a[24], b[24];
	uint64_t hole_from = 0, holes = 0; /* the run of all-not-RAM lines being collapsed */

	ksnprintf(line, sizeof(line), "memview: physical 0x%lx-0x%lx, one character per %lu %s "
		  "(%s), %s a line", l->start_pfn << PAGE_SHIFT, (l->end_pfn << PAGE_SHIFT) - 1,
		  fpc, fpc == 1 ? "frame" : "frames", size_text(fpc << PAGE_SHIFT, a, sizeof(a)),
		  size_text(per_line << PAGE_SHIFT, b, sizeof(b)));
	out(line, arg);
	for (uint64_t pfn = l->start_pfn; pfn < l->end_pfn; pfn += per_line) {
		int len = ksnprintf(line, sizeof(line), "0x%0*lx ", width, pfn << PAGE_SHIFT);
		bool all_hole = true;
		for (unsigned c = 0; c < MEMVIEW_TEXT_CHARS; c++) {
			unsigned k = frame_map_summary(m, pfn + c * fpc, fpc);
			line[len + c] = memview_kind_char(k, procs);
			all_hole &= k == FRAME_NOT_RAM;
		}
		line[len + MEMVIEW_TEXT_CHARS] = '\0';
		if (all_hole) {
			if (holes++ == 0)
				hole_from = pfn;
			continue;
		}
		if (holes == 1) { /* a single hole line shows as it is */
			char one[LINE_MAX];
			int n = ksnprintf(one, sizeof(one), "0x%0*lx ", width, hole_from << PAGE_SHIFT);
			memset(one + n, memview_kind_char(FRAME_NOT_RAM, procs), MEMVIEW_TEXT_CHARS);
			one[n + MEMVIEW_TEXT_CHARS] = '\0';
			zone_notes(m, hole_from, pfn, one, sizeof(one));
			out(one, arg);
		} else if (holes > 1) {
			hole_line(m, hole_from, pfn, width, out, arg);
		}
		holes = 0;
		zone_notes(m, pfn, pfn + per_line, line, sizeof(line));
		out(line, arg);
	}
	if (holes)
		hole_line(m, hole_from, l->end_pfn, width, out, arg);
	legend_render(m, procs, l, out, arg);
}

/* ---- the screen panel ---------------------------------------------------- */

/* The fixed legend entries, in drawing order. */
static const struct {
	const char *text;
	int kind;
} panel_legend[MEMVIEW_LEGEND_ITEMS] = {
	{"free, order 0-10", -1},
	{"kernel", FRAME_KERNEL_IMAGE},
	{"descriptors", FRAME_PAGE_DESCRIPTORS},
	{"boot info", FRAME_BOOT_INFO},
	{"initrd", FRAME_MODULE},
	{"trampoline", FRAME_TRAMPOLINE},
	{"reserved", FRAME_RESERVED},
	{"firmware", FRAME_FIRMWARE},
	{"not RAM", FRAME_NOT_RAM},
	{"page tables", FRAME_PAGE_TABLE},
	{"slab", FRAME_SLAB},
	{"vmalloc", FRAME_VMALLOC},
	{"stacks", FRAME_KERNEL_STACK},
	{"other", FRAME_ALLOCATED},
	{"shared", FRAME_USER_SHARED},
	{"white lines: zone boundaries", -2},
};

#define SWATCH_W 12               /* a swatch, then a space before the words */
#define GRADIENT_STEP 4           /* pixels per free order in the gradient */
#define ITEM_GAP 16               /* pixels between items */

/* Pixels an item takes: its swatch (gradient) and its words. */
static uint32_t item_width(int kind, const char *text)
{
	uint32_t swatch = kind == -1 ? (MAX_ORDER + 1) * GRADIENT_STEP + 4
			: kind == -2 ? 0 : SWATCH_W + 4;
	return swatch + (uint32_t)strlen(text) * MEMVIEW_GLYPH_W;
}

unsigned memview_legend_layout(uint32_t width,
			       struct memview_legend_item items[MEMVIEW_LEGEND_ITEMS])
{
	uint32_t line = 0, x = 0;

	for (unsigned i = 0; i < MEMVIEW_LEGEND_ITEMS; i++) {
		uint32_t w = item_width(panel_legend[i].kind, panel_legend[i].text);
		if (w > width)
			return 0;
		if (x > 0 && x + w > width) {
			line++;
			x = 0;
		}
		items[i] = (struct memview_legend_item){line, x, panel_legend[i].text,
							panel_legend[i].kind};
		x += w + ITEM_GAP;
	}
	return line + 2; /* the items' lines, and the processes' line */
}

/* Fill p's sections from m's zones (the zones with frames in the map). */
static void panel_sections(struct memview_panel *p, const struct frame_map *m)
{
	p->sections = 0;
	for (int z = 0; z < ZONE_COUNT; z++) {
		uint64_t start = m->zone_start[z];
		uint64_t end = z + 1 < ZONE_COUNT ? m->zone_start[z + 1] : m->pfns;
		if (end > m->pfns)
			end = m->pfns;
		if (start < end)
			p->section[p->sections++] = (struct memview_section){z, start, end, 0, 0, 0};
	}
}

/* Lay the sections out with the current cell, cols and frames per cell; returns the height. */
static uint32_t panel_rows(struct memview_panel *p)
{
	uint32_t row = 0, y = p->grid_top;

	for (unsigned s = 0; s < p->sections; s++) {
		struct memview_section *sec = &p->section[s];
		uint64_t cells = (sec->end_pfn - sec->start_pfn + p->frames_per_cell - 1) /
				 p->frames_per_cell;
		uint64_t rows = (cells + p->cols - 1) / p->cols;
		if (s > 0)
			y += MEMVIEW_ZONE_GAP;
		sec->row0 = row;
		sec->rows = rows > UINT32_MAX / 8 ? UINT32_MAX / 8 : (uint32_t)rows;
		sec->top = y;
		row += sec->rows;
		y += sec->rows * p->cell_h;
	}
	p->rows = row;
	return y - p->grid_top;
}

/* Cell sizes (width, height), in the order memview_panel_layout tries them. */
static const uint32_t cell_shapes[MEMVIEW_CELL_SHAPES][2] = {
	{4, 4}, {3, 3}, {2, 3}, {2, 2}, {1, 3}, {1, 2}, {1, 1},
};

int memview_panel_layout(struct memview_panel *p, uint32_t width, uint32_t max_height,
			 const struct frame_map *m)
{
	memset(p, 0, sizeof(*p));
	if (m->pfns == 0)
		return -EINVAL;
	p->legend_lines = memview_legend_layout(width, p->legend);
	if (p->legend_lines == 0)
		return -EINVAL;
	p->width = width;
	p->grid_top = MEMVIEW_LEGEND_TOP + p->legend_lines * MEMVIEW_GLYPH_H + MEMVIEW_GRID_GAP;
	if (p->grid_top + MEMVIEW_BOTTOM_GAP + 1 > max_height)
		return -ENOSPC;
	uint32_t room = max_height - p->grid_top - MEMVIEW_BOTTOM_GAP;
	panel_sections(p, m);
	for (p->frames_per_cell = 1; p->frames_per_cell <= (1ull << 20); p->frames_per_cell <<= 1)
		for (unsigned i = 0; i < MEMVIEW_CELL_SHAPES; i++) {
			p->cell_w = cell_shapes[i][0];
			p->cell_h = cell_shapes[i][1];
			p->cols = width / p->cell_w;
			uint32_t h = panel_rows(p);
			if (h <= room) {
				p->height = p->grid_top + h + MEMVIEW_BOTTOM_GAP;
				return 0;
			}
		}
	return -ENOSPC;
}

bool memview_panel_cell(const struct memview_panel *p, uint64_t pfn, uint32_t *col,
			uint32_t *row, uint32_t *x, uint32_t *y)
{
	for (unsigned s = 0; s < p->sections; s++) {
		const struct memview_section *sec = &p->section[s];
		if (pfn < sec->start_pfn || pfn >= sec->end_pfn)
			continue;
		uint64_t idx = (pfn - sec->start_pfn) / p->frames_per_cell;
		uint32_t r = (uint32_t)(idx / p->cols);
		*col = (uint32_t)(idx % p->cols);
		*row = sec->row0 + r;
		*x = *col * p->cell_w;
		*y = sec->top + r * p->cell_h;
		return true;
	}
	return false;
}

bool memview_panel_cell_frames(const struct memview_panel *p, uint32_t col, uint32_t row,
			       uint64_t *first, uint64_t *count)
{
	if (col >= p->cols)
		return false;
	for (unsigned s = 0; s < p->sections; s++) {
		const struct memview_section *sec = &p->section[s];
		if (row < sec->row0 || row >= sec->row0 + sec->rows)
			continue;
		uint64_t start = sec->start_pfn +
				 ((uint64_t)(row - sec->row0) * p->cols + col) * p->frames_per_cell;
		if (start >= sec->end_pfn)
			return false;
		*first = start;
		*count = sec->end_pfn - start < p->frames_per_cell ? sec->end_pfn - start
								    : p->frames_per_cell;
		return true;
	}
	return false;
}
