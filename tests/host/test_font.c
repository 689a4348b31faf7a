/*
 * test_font.c - suite "font": the kernel's 8x16 font (drivers/font_8x16.c)
 * as the text console draws it and the screen tests read it back.
 *
 * Covered: every byte 0..255 has a glyph (never NULL); bytes outside
 * 0x20..0x7e all get the one replacement glyph, and printable bytes do not;
 * rows 0, 14 and 15 are clear in every glyph (the cursor underline lives on
 * rows 14..15, and the screen decoder ignores them); column 7 is clear except
 * in '_' (neighbours never touch); the space is blank and every other glyph
 * has ink; the 95 printable glyphs and the replacement differ pairwise by at
 * least MIN_DISTANCE pixels, and the easily confused pairs (0/O, 1/l/I/|,
 * quote/backquote, ...) by at least CONFUSABLE_DISTANCE, so a reader tells
 * them apart, not only the decoder.
 * Hosted code: may use libc, but reaches the font only through font.h.
 */
#include <stdbool.h>
#include <stdint.h>

#include "drivers/font.h"
#include "kernel/selftest.h"

#define FIRST 0x20
#define LAST 0x7e
#define MIN_DISTANCE 2        /* pixels that differ between any two glyphs */
#define CONFUSABLE_DISTANCE 4 /* ... between glyphs a reader might mix up */

/* The number of pixels in which glyphs a and b differ. */
static int distance(const uint8_t *a, const uint8_t *b)
{
	int n = 0;

	for (int r = 0; r < FONT_HEIGHT; r++)
		n += __builtin_popcount((unsigned)(a[r] ^ b[r]));
	return n;
}

static int ink(const uint8_t *g)
{
	static const uint8_t blank[FONT_HEIGHT];

	return distance(g, blank);
}

static const char *test_every_byte(void)
{
	const uint8_t *replacement = font_glyph(0);

	CHECK(replacement != NULL);
	for (int c = 0; c < 256; c++) {
		const uint8_t *g = font_glyph((unsigned char)c);

		CHECKF(g != NULL, "byte 0x%02x has no glyph", c);
		bool printable = c >= FIRST && c <= LAST;
		CHECKF((g == replacement) == !printable, "byte 0x%02x: %s the replacement glyph", c,
		       printable ? "gets" : "does not get");
	}
	CHECK(font_glyph(0x1f) == replacement && font_glyph(0x7f) == replacement);
	CHECK(font_glyph(0x80) == replacement && font_glyph(0xff) == replacement);
	return NULL;
}

static const char *test_clear_rows(void)
{
	for (int c = 0; c < 256; c++) {
		const uint8_t *g = font_glyph((unsigned char)c);

		CHECKF(g[0] == 0, "byte 0x%02x: row 0 is 0x%02x", c, g[0]);
		CHECKF(g[14] == 0 && g[15] == 0, "byte 0x%02x: cursor rows 0x%02x 0x%02x", c, g[14],
		       g[15]);
		for (int r = 0; r < FONT_HEIGHT; r++)
			CHECKF(c == '_' || !(g[r] & 1), "byte 0x%02x: column 7 set on row %d", c, r);
	}
	return NULL;
}

static const char *test_ink(void)
{
	CHECKF(ink(font_glyph(' ')) == 0, "the space has %d pixels", ink(font_glyph(' ')));
	for (int c = FIRST + 1; c <= LAST; c++)
		CHECKF(ink(font_glyph((unsigned char)c)) >= 2, "'%c' has %d pixels", c,
		       ink(font_glyph((unsigned char)c)));
	CHECK(ink(font_glyph(0)) >= 2);
	return NULL;
}

static const char *test_distinct(void)
{
	/* 0x7f stands for the replacement: it is one more glyph to compare. */
	for (int a = FIRST; a <= LAST + 1; a++) {
		for (int b = a + 1; b <= LAST + 1; b++) {
			int d = distance(font_glyph((unsigned char)a), font_glyph((unsigned char)b));

			CHECKF(d >= MIN_DISTANCE, "0x%02x and 0x%02x differ in %d pixels", a, b, d);
		}
	}
	return NULL;
}

static const char *test_confusable(void)
{
	static const char *const groups[] = {
		"0OQD", "1lI|i!j", "'`\"", "8B", "5S", "2Z", "6b", "9gq", "CG", "uv", "vy", "gy",
		"pq", "nh", "hb", "-_~", "()[]{}", "/\\", "xX", "oO", "co", "ce",
	};

	for (unsigned i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		for (const char *a = groups[i]; *a; a++) {
			for (const char *b = a + 1; *b; b++) {
				int d = distance(font_glyph((unsigned char)*a),
						 font_glyph((unsigned char)*b));

				CHECKF(d >= CONFUSABLE_DISTANCE, "'%c' and '%c' differ in %d pixels",
				       *a, *b, d);
			}
		}
	}
	return NULL;
}

static const struct selftest font_tests[] = {
	{"every_byte", "every byte has a glyph; non-printable ones share the replacement",
	 test_every_byte},
	{"clear_rows", "rows 0, 14, 15 and column 7 (but '_') are clear in every glyph",
	 test_clear_rows},
	{"ink", "the space is blank, every other glyph and the replacement have ink", test_ink},
	{"distinct", "the 95 printable glyphs and the replacement differ pairwise",
	 test_distinct},
	{"confusable", "look-alikes (0/O, 1/l/I/|, quotes, ...) differ clearly",
	 test_confusable},
};

SELFTEST_SUITE(font, font_tests);
