/*
 * test_framebuffer.c - suite "framebuffer": the drawing half of the
 * framebuffer driver (drivers/framebuffer.c) over a buffer in RAM.
 *
 * fb_setup's checks (every bad mode refused), colours converted for the
 * four pixel formats (32 bpp x8r8g8b8 and b8g8r8x8, 24, 16 as r5g6b5, 15
 * as x1r5g5b5), glyphs drawn exactly as the font's bits in the fast and
 * the per-pixel path, and clipping at the edges: the buffer has guard
 * bytes around the pixels and a pitch wider than a row, and no call may
 * change a byte outside the visible pixels.
 * Hosted code: may use libc.
 */
#include <string.h>

#include "drivers/font.h"
#include "drivers/framebuffer.h"
#include "kernel/selftest.h"
#include "lib/errno.h"

#define GUARD 64
#define GUARD_BYTE 0x5a
#define W 37        /* odd sizes: glyphs cross the right and bottom edges */
#define H 35
#define MAX_PITCH (W * 4 + 12)

static uint8_t buf[GUARD + MAX_PITCH * H + GUARD];

static struct fb_mode mode_of(uint8_t bpp, uint32_t pitch, const uint8_t f[6])
{
	return (struct fb_mode){
		.phys = 0xfd000000, .width = W, .height = H, .pitch = pitch, .bpp = bpp,
		.red_shift = f[0], .red_bits = f[1], .green_shift = f[2], .green_bits = f[3],
		.blue_shift = f[4], .blue_bits = f[5],
	};
}

static const uint8_t xrgb[6] = {16, 8, 8, 8, 0, 8}, bgrx[6] = {8, 8, 16, 8, 24, 8};
static const uint8_t rgb565[6] = {11, 5, 5, 6, 0, 5}, rgb555[6] = {10, 5, 5, 5, 0, 5};

/* Set up mode (bpp, a pitch 12 bytes wider than a row) over buf, guards filled. */
static int attach(uint8_t bpp, const uint8_t f[6])
{
	unsigned bytes = (bpp + 7) / 8;
	struct fb_mode m = mode_of(bpp, W * bytes + 12, f);

	memset(buf, GUARD_BYTE, sizeof(buf));
	int err = fb_setup(&m);
	return err ? err : fb_attach(buf + GUARD);
}

static uint32_t read_pixel(uint32_t x, uint32_t y)
{
	const struct fb_mode *m = fb_get_mode();
	unsigned bytes = (m->bpp + 7) / 8;
	const uint8_t *p = buf + GUARD + y * m->pitch + x * bytes;
	uint32_t v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

/* No byte outside the visible pixels changed (guards, the pitch's padding). */
static bool outside_untouched(void)
{
	const struct fb_mode *m = fb_get_mode();
	unsigned row_bytes = m->width * ((m->bpp + 7) / 8);

	for (size_t i = 0; i < sizeof(buf); i++) {
		bool inside = i >= GUARD && i < GUARD + (size_t)m->pitch * m->height &&
			      (i - GUARD) % m->pitch < row_bytes;
		if (!inside && buf[i] != GUARD_BYTE)
			return false;
	}
	return true;
}

static const char *test_setup_checks(void)
{
	struct fb_mode good = mode_of(32, W * 4, xrgb), m;

	CHECK(fb_setup(&good) == 0);
	CHECK(fb_width() == W && fb_height() == H && !fb_ready());
	CHECK(fb_setup(NULL) == -EINVAL);
	m = good, m.width = 0;
	CHECK(fb_setup(&m) == -EINVAL);
	m = good, m.height = 100000;
	CHECK(fb_setup(&m) == -EINVAL);
	m = good, m.bpp = 8;
	CHECK(fb_setup(&m) == -EINVAL);
	m = good, m.pitch = W * 4 - 1;                 /* shorter than a row */
	CHECK(fb_setup(&m) == -EINVAL);
	m = good, m.phys = 0xfffffffffffff000ull;      /* wraps */
	CHECK(fb_setup(&m) == -EINVAL);
	m = good, m.width = 16384, m.height = 16384, m.pitch = 65536; /* 4 GiB */
	CHECK(fb_setup(&m) == -EINVAL);
	m = good, m.red_bits = 0;
	CHECK(fb_setup(&m) == -EINVAL);
	m = good, m.red_shift = 30;                    /* past bit 31 */
	CHECK(fb_setup(&m) == -EINVAL);
	m = good, m.green_shift = 12;                  /* into red */
	CHECK(fb_setup(&m) == -EINVAL);
	CHECK(fb_attach(NULL) == -ENODEV);
	return NULL;
}

static const char *test_pixel_formats(void)
{
	CHECK(attach(32, xrgb) == 0);
	CHECK(fb_pixel(0x123456) == 0x123456);
	CHECK(attach(32, bgrx) == 0);
	CHECK(fb_pixel(0x123456) == 0x56341200);
	CHECK(attach(24, xrgb) == 0);
	CHECK(fb_pixel(0xaabbcc) == 0xaabbcc);
	CHECK(attach(16, rgb565) == 0);
	CHECK(fb_pixel(0xffffff) == 0xffff && fb_pixel(0xff0000) == 0xf800 &&
	      fb_pixel(0x00ff00) == 0x07e0 && fb_pixel(0x0000ff) == 0x001f);
	CHECK(attach(15, rgb555) == 0);
	CHECK(fb_pixel(0xffffff) == 0x7fff && fb_pixel(0x00ff00) == 0x03e0);
	return NULL;
}

/* Draw a glyph at (x, y) and compare every visible pixel with the font. */
static const char *glyph_matches(uint32_t x, uint32_t y, unsigned char c)
{
	uint32_t fg = fb_pixel(0xffff55), bg = fb_pixel(0x0000aa);
	const uint8_t *g = font_glyph(c);

	fb_draw_glyph(x, y, c, 0xffff55, 0x0000aa);
	for (uint32_t r = 0; r < FONT_HEIGHT && y + r < H; r++)
		for (uint32_t k = 0; k < FONT_WIDTH && x + k < W; k++) {
			uint32_t want = (g[r] & (0x80 >> k)) ? fg : bg;
			CHECKF(read_pixel(x + k, y + r) == want, "'%c' at %u,%u: pixel %u,%u",
			       c, x, y, k, r);
		}
	CHECK(outside_untouched());
	return NULL;
}

static const char *test_glyphs(void)
{
	static const uint8_t bpps[] = {32, 24, 16, 15};
	static const uint8_t *const fields[] = {xrgb, xrgb, rgb565, rgb555};
	const char *err;

	for (size_t i = 0; i < sizeof(bpps); i++) {
		CHECK(attach(bpps[i], fields[i]) == 0);
		/* inside (fast path), then across the right edge, the bottom, the corner */
		if ((err = glyph_matches(1, 2, 'A')) || (err = glyph_matches(W - 3, 0, 'W')) ||
		    (err = glyph_matches(4, H - 5, 'g')) || (err = glyph_matches(W - 1, H - 1, '@')) ||
		    (err = glyph_matches(9, 3, 0xff)))
			return err;
		fb_draw_glyph(W, 0, 'x', 0xffffff, 0);  /* wholly outside: nothing */
		fb_draw_glyph(0, H, 'x', 0xffffff, 0);
		CHECK(outside_untouched());
	}
	return NULL;
}

static const char *test_fill_and_text(void)
{
	CHECK(attach(32, xrgb) == 0);
	fb_fill_rect(0, 0, 1000, 1000, 0x102030); /* clipped to the screen */
	CHECK(read_pixel(0, 0) == 0x102030 && read_pixel(W - 1, H - 1) == 0x102030);
	CHECK(outside_untouched());
	fb_fill_rect(W - 2, H - 2, 0xffffffff, 0xffffffff, 0xffffff);
	CHECK(read_pixel(W - 1, H - 1) == 0xffffff && read_pixel(W - 3, H - 1) == 0x102030);
	CHECK(outside_untouched());
	fb_draw_text(0, 0, "abcdefgh", 0xffffff, 0); /* 8 glyphs, 37 pixels: the rest clipped */
	CHECK(outside_untouched());
	const char *err = glyph_matches(32, 0, 'e'); /* what 'e' looks like at its place */
	return err;
}

static const struct selftest framebuffer_tests[] = {
	{"setup_checks", "fb_setup refuses every mode it cannot draw", test_setup_checks},
	{"pixel_formats", "0xRRGGBB in x8r8g8b8, b8g8r8x8, 24 bpp, r5g6b5, x1r5g5b5",
	 test_pixel_formats},
	{"glyphs", "glyphs match the font in 32/24/16/15 bpp, clipped at every edge", test_glyphs},
	{"fill_and_text", "rectangles and text clip; nothing outside the pixels changes",
	 test_fill_and_text},
};

SELFTEST_SUITE(framebuffer, framebuffer_tests);
