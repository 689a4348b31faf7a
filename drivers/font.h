/*
 * font.h - the kernel's bitmap font: 8x16 pixels per character.
 *
 * One glyph per byte value 0x20..0x7e (printable ASCII) and a replacement
 * glyph for every other byte. A glyph is FONT_HEIGHT bytes, the top row
 * first; in each row bit 7 is the leftmost pixel. The integration tests
 * read the screen back with this same font (tests/integration/screen.py
 * parses drivers/font_8x16.c), so every printable glyph differs from every
 * other.
 * Pure data: any context.
 */
#ifndef DRIVERS_FONT_H
#define DRIVERS_FONT_H

#include <stdint.h>

#define FONT_WIDTH 8
#define FONT_HEIGHT 16

/* The glyph of byte c: FONT_HEIGHT rows, top first, bit 7 leftmost. Never NULL. */
const uint8_t *font_glyph(unsigned char c);

#endif
