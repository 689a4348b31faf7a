/*
 * framebuffer.c - drawing on the linear framebuffer (see framebuffer.h):
 * the mode check, colour conversion, rectangles and glyphs.
 *
 * A glyph row is 8 bits, one per pixel. The fast path (a glyph wholly on
 * screen) looks each row up in a 256-entry table of the row's ready-made
 * pixel bytes for the pair of colours: 8 pixels of 2, 3 or 4 bytes are 2,
 * 3 or 4 64-bit words, so a row is that many loads and stores and no
 * per-pixel branch; the table (8 KiB) is built when a pair of colours is
 * first used. 15 bpp is stored in 16 bits. A glyph that crosses the
 * screen's edge takes the per-pixel path.
 *
 * Invariants:
 *   [x] fb_mem != NULL only for a mode fb_setup accepted (mode_ok);
 *   [x] the glyph tables are read or written only by the holder of
 *       glyph_tables_busy;
 *   [x] every store lies in [fb_mem, fb_mem + pitch * height).
 * Context: any once attached; callers serialize their own drawing.
 */
#include "drivers/framebuffer.h"

#include "drivers/font.h"
#include "lib/errno.h"

#define FB_MAX_SIDE 16384 /* pixels: larger sizes are taken for garbage */

static struct fb_mode mode;
static bool mode_ok;
static uint8_t *fb_mem;
static unsigned bytes_pp; /* bytes per pixel: 2, 3 or 4 */

/*
 * The fast path's tables: for each of the 256 patterns of a glyph row, the
 * row's pixels as 64-bit words (32 bpp: four, 16 bpp: two), for one pair
 * of colours. Two pairs are kept (the text colour and, say, a prompt's),
 * the older one replaced when a third is asked for.
 */
#define GLYPH_TABLES 2
#define ROW_PATTERNS 256
#define ROW_WORDS 4 /* 8 pixels of 4 bytes: 32 bytes */
static struct glyph_table {
	bool valid;
	uint32_t fg, bg;                           /* as 0xRRGGBB */
	uint64_t rows[ROW_PATTERNS][ROW_WORDS];
} glyph_tables[GLYPH_TABLES];
static unsigned glyph_table_next; /* the one to replace next */
/*
 * Taken (exchanged to 1) while one caller uses or builds a table: the text
 * console and memview's panel draw from different CPUs. Never waited for:
 * a caller that finds it taken (another CPU, or this CPU's drawing
 * interrupted by an NMI or a fault, or a CPU a panic stopped) draws that
 * glyph on the per-pixel path instead, so no drawing ever blocks.
 */
static int glyph_tables_busy;

/* Does a colour field of `bits` at `shift` fit in a pixel of bpp bits? */
static bool field_ok(unsigned shift, unsigned bits, unsigned bpp)
{
	return bits >= 1 && bits <= 16 && shift + bits <= bpp;
}

static uint32_t field_mask(unsigned shift, unsigned bits)
{
	return (uint32_t)(((1ull << bits) - 1) << shift);
}

static void glyph_tables_forget(void)
{
	for (unsigned i = 0; i < GLYPH_TABLES; i++)
		glyph_tables[i].valid = false;
}

int fb_setup(const struct fb_mode *m)
{
	if (!m || m->width == 0 || m->height == 0 || m->width > FB_MAX_SIDE ||
	    m->height > FB_MAX_SIDE)
		return -EINVAL;
	if (m->bpp != 15 && m->bpp != 16 && m->bpp != 24 && m->bpp != 32)
		return -EINVAL;
	unsigned bpp_bytes = (m->bpp + 7) / 8;
	if ((uint64_t)m->pitch < (uint64_t)m->width * bpp_bytes)
		return -EINVAL;
	uint64_t size = (uint64_t)m->pitch * m->height;
	if (size > FRAMEBUFFER_SIZE - PAGE_SIZE || /* room for a first pixel inside a page */ m->phys + size < m->phys || m->phys + size > (1ull << 52))
		return -EINVAL;
	if (!field_ok(m->red_shift, m->red_bits, m->bpp) ||
	    !field_ok(m->green_shift, m->green_bits, m->bpp) ||
	    !field_ok(m->blue_shift, m->blue_bits, m->bpp))
		return -EINVAL;
	uint32_t r = field_mask(m->red_shift, m->red_bits);
	uint32_t g = field_mask(m->green_shift, m->green_bits);
	uint32_t b = field_mask(m->blue_shift, m->blue_bits);
	if ((r & g) || (r & b) || (g & b))
		return -EINVAL; /* overlapping colours */
	mode = *m;
	bytes_pp = bpp_bytes;
	mode_ok = true;
	fb_mem = NULL;
	glyph_tables_forget();
	return 0;
}

int fb_attach(void *va)
{
	if (!mode_ok || !va)
		return -ENODEV;
	fb_mem = va;
	glyph_tables_forget();
	return 0;
}

bool fb_ready(void)
{
	return fb_mem != NULL;
}

const struct fb_mode *fb_get_mode(void)
{
	return mode_ok ? &mode : NULL;
}

uint32_t fb_width(void)
{
	return mode_ok ? mode.width : 0;
}

uint32_t fb_height(void)
{
	return mode_ok ? mode.height : 0;
}

/* An 8-bit colour component scaled to `bits` bits (wider fields repeat its top bits). */
static uint32_t scale(uint32_t c8, unsigned bits)
{
	if (bits <= 8)
		return c8 >> (8 - bits);
	return (c8 << (bits - 8)) | (c8 >> (16 - bits));
}

uint32_t fb_pixel(uint32_t rgb)
{
	return scale((rgb >> 16) & 0xff, mode.red_bits) << mode.red_shift |
	       scale((rgb >> 8) & 0xff, mode.green_bits) << mode.green_shift |
	       scale(rgb & 0xff, mode.blue_bits) << mode.blue_shift;
}

/* Stores of any alignment (a pitch or x need not align a pixel to its size). */
static inline void store16(uint8_t *p, uint16_t v)
{
	__builtin_memcpy(p, &v, sizeof(v));
}

static inline void store32(uint8_t *p, uint32_t v)
{
	__builtin_memcpy(p, &v, sizeof(v));
}

static inline void store64(uint8_t *p, uint64_t v)
{
	__builtin_memcpy(p, &v, sizeof(v));
}

static inline uint8_t *pixel_at(uint32_t x, uint32_t y)
{
	return fb_mem + (uint64_t)y * mode.pitch + (uint64_t)x * bytes_pp;
}

static inline void put_pixel(uint8_t *p, uint32_t px)
{
	switch (bytes_pp) {
	case 4:
		store32(p, px);
		break;
	case 3:
		p[0] = (uint8_t)px;
		p[1] = (uint8_t)(px >> 8);
		p[2] = (uint8_t)(px >> 16);
		break;
	default:
		store16(p, (uint16_t)px);
		break;
	}
}

void fb_fill_rect(uint32_t x, uint32_t y, uint32_t w, uint32_t h, uint32_t rgb)
{
	if (!fb_mem || x >= mode.width || y >= mode.height)
		return;
	if (w > mode.width - x)
		w = mode.width - x;
	if (h > mode.height - y)
		h = mode.height - y;
	uint32_t px = fb_pixel(rgb);
	for (uint32_t r = 0; r < h; r++) {
		uint8_t *p = pixel_at(x, y + r);
		if (bytes_pp == 4) {
			for (uint32_t i = 0; i < w; i++, p += 4)
				store32(p, px);
		} else {
			for (uint32_t i = 0; i < w; i++, p += bytes_pp)
				put_pixel(p, px);
		}
	}
}

/* The table for fg on bg: found, or built in place of the older one. */
static const struct glyph_table *glyph_table_for(uint32_t fg, uint32_t bg)
{
	for (unsigned i = 0; i < GLYPH_TABLES; i++) {
		struct glyph_table *t = &glyph_tables[i];
		if (t->valid && t->fg == fg && t->bg == bg)
			return t;
	}
	struct glyph_table *t = &glyph_tables[glyph_table_next];
	glyph_table_next = (glyph_table_next + 1) % GLYPH_TABLES;
	uint32_t f = fb_pixel(fg), b = fb_pixel(bg);
	unsigned half_bytes = 4 * bytes_pp; /* 4 pixels: 8, 12 or 16 bytes */
	uint8_t half[16][16];
	for (unsigned n = 0; n < 16; n++) { /* 4 pixels; pixel k is bit 3 - k: leftmost first */
		for (unsigned k = 0; k < 4; k++) {
			uint32_t px = (n & (8u >> k)) ? f : b;
			for (unsigned i = 0; i < bytes_pp; i++) /* little-endian, as the CPU stores */
				half[n][k * bytes_pp + i] = (uint8_t)(px >> (8 * i));
		}
	}
	for (unsigned n = 0; n < ROW_PATTERNS; n++) { /* a row: its left half, its right half */
		uint8_t *row = (uint8_t *)t->rows[n];
		for (unsigned i = 0; i < half_bytes; i += 4) {
			__builtin_memcpy(row + i, &half[n >> 4][i], 4);
			__builtin_memcpy(row + half_bytes + i, &half[n & 15][i], 4);
		}
	}
	t->fg = fg;
	t->bg = bg;
	t->valid = true;
	return t;
}

/* The glyph wholly on screen: a table row (bytes_pp 64-bit words) per glyph row. */
static void glyph_fast(uint32_t x, uint32_t y, const uint8_t *g, uint32_t fg, uint32_t bg)
{
	const struct glyph_table *t = glyph_table_for(fg, bg);
	uint8_t *row = pixel_at(x, y);
	uint32_t pitch = mode.pitch;

	switch (bytes_pp) {
	case 4:
#pragma GCC unroll 16
		for (unsigned r = 0; r < FONT_HEIGHT; r++, row += pitch) {
			const uint64_t *w = t->rows[g[r]];
			store64(row, w[0]);
			store64(row + 8, w[1]);
			store64(row + 16, w[2]);
			store64(row + 24, w[3]);
		}
		break;
	case 3:
#pragma GCC unroll 16
		for (unsigned r = 0; r < FONT_HEIGHT; r++, row += pitch) {
			const uint64_t *w = t->rows[g[r]];
			store64(row, w[0]);
			store64(row + 8, w[1]);
			store64(row + 16, w[2]);
		}
		break;
	default:
#pragma GCC unroll 16
		for (unsigned r = 0; r < FONT_HEIGHT; r++, row += pitch) {
			const uint64_t *w = t->rows[g[r]];
			store64(row, w[0]);
			store64(row + 8, w[1]);
		}
		break;
	}
}

void fb_draw_glyph(uint32_t x, uint32_t y, unsigned char c, uint32_t fg, uint32_t bg)
{
	if (!fb_mem || x >= mode.width || y >= mode.height)
		return;
	const uint8_t *g = font_glyph(c);
	if (mode.width - x >= FONT_WIDTH && mode.height - y >= FONT_HEIGHT &&
	    !__atomic_exchange_n(&glyph_tables_busy, 1, __ATOMIC_ACQUIRE)) {
		glyph_fast(x, y, g, fg, bg);
		__atomic_store_n(&glyph_tables_busy, 0, __ATOMIC_RELEASE);
		return;
	}
	uint32_t f = fb_pixel(fg), b = fb_pixel(bg);
	for (uint32_t r = 0; r < FONT_HEIGHT && y + r < mode.height; r++) {
		uint8_t *p = pixel_at(x, y + r);
		for (uint32_t k = 0; k < FONT_WIDTH && x + k < mode.width; k++, p += bytes_pp)
			put_pixel(p, (g[r] & (0x80u >> k)) ? f : b);
	}
}

void fb_draw_text(uint32_t x, uint32_t y, const char *s, uint32_t fg, uint32_t bg)
{
	for (; *s && x < fb_width(); s++, x += FONT_WIDTH)
		fb_draw_glyph(x, y, (unsigned char)*s, fg, bg);
}
