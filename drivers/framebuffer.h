/*
 * framebuffer.h - the linear framebuffer GRUB set up (multiboot2 tag 8):
 * a rectangle of pixels in video memory, drawn by plain stores.
 *
 * The mode (size, pitch, pixel format) comes from the boot information;
 * any resolution and any direct-colour format the tag describes is drawn
 * (15, 16, 24 or 32 bits per pixel, each colour's position and width as
 * given). Video memory is mapped write-combining, and its frames are taken
 * out of the direct map's write-back mapping: two memory types on one
 * frame are undefined (SDM Vol. 3A 11.12.4). Nothing reads video memory.
 *
 * Colours are given as 0xRRGGBB and converted to the pixel format here.
 * Drawing takes no lock: each user draws its own part of the screen (the
 * text console its rows, memview its panel) and serializes itself.
 *
 * The drawing half (framebuffer.c) is plain stores to wherever fb_attach()
 * pointed it, so it also runs on the host over a buffer in RAM; the mapping
 * half (fb_map.c) is kept apart because it reaches the page-table engine,
 * which the panic path must not (scripts/check_structure.py's link rule:
 * a panic draws through here).
 *
 * Invariants:
 *   [x] no pixel outside [0, width) x [0, height) is ever written (every
 *       call clips);
 *   [x] video memory is reached only through the write-combining mapping.
 * Context: fb_setup and fb_map on the boot CPU; drawing from any context
 * once fb_ready(). Nothing here takes a lock or can panic.
 */
#ifndef DRIVERS_FRAMEBUFFER_H
#define DRIVERS_FRAMEBUFFER_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/compiler.h"
#include "mm/layout.h"

/* A direct-colour mode, as multiboot2's framebuffer tag (type 1, RGB) gives it. */
struct fb_mode {
	phys_addr_t phys;      /* video memory's physical address */
	uint32_t width;        /* pixels per row */
	uint32_t height;       /* rows */
	uint32_t pitch;        /* bytes from one row to the next */
	uint8_t bpp;           /* bits per pixel: 15, 16, 24 or 32 */
	uint8_t red_shift, red_bits;     /* each colour's lowest bit and width in a pixel */
	uint8_t green_shift, green_bits;
	uint8_t blue_shift, blue_bits;
};

/*
 * Record the mode for fb_map(), after checking that it can be drawn.
 * Touches no video memory. Returns 0, or -EINVAL for a mode it cannot draw
 * (a zero size, bpp other than 15/16/24/32, a pitch shorter than a row, a
 * colour field outside the pixel, a size that overflows). Boot CPU.
 */
int __must_check fb_setup(const struct fb_mode *mode);

/*
 * Map the recorded mode's video memory write-combining into the kernel
 * half and unmap its frames from the direct map. After kernel_space_init.
 * Returns 0, -ENODEV without a recorded mode, -ENOMEM when a page table
 * cannot be allocated. Boot CPU, before the other CPUs start.
 */
int __must_check fb_map(void);

/* Whether fb_map() succeeded: drawing reaches the screen. */
bool fb_ready(void);

/*
 * Draw into the recorded mode's pixels at va from now on (va: the first
 * pixel, pitch * height bytes). fb_map()'s last step; host tests attach a
 * buffer of their own. Ignored (returns -ENODEV) without a recorded mode.
 */
int fb_attach(void *va);

/* The recorded mode (NULL before a successful fb_setup). */
const struct fb_mode *fb_get_mode(void);

/* rgb (0xRRGGBB) as a pixel value of the recorded mode (each colour scaled to its width). */
uint32_t fb_pixel(uint32_t rgb);

/* The screen's size in pixels (0 before fb_setup). */
uint32_t fb_width(void);
uint32_t fb_height(void);

/* Fill the rectangle at (x, y), w x h pixels, with colour rgb (0xRRGGBB); clipped. */
void fb_fill_rect(uint32_t x, uint32_t y, uint32_t w, uint32_t h, uint32_t rgb);

/*
 * Draw byte c's glyph from the kernel font (drivers/font.h) with its top
 * left corner at (x, y): set bits in fg, clear bits in bg. Clipped.
 */
void fb_draw_glyph(uint32_t x, uint32_t y, unsigned char c, uint32_t fg, uint32_t bg);

/* Draw the string s from (x, y) rightwards, one glyph per byte, no wrapping. */
void fb_draw_text(uint32_t x, uint32_t y, const char *s, uint32_t fg, uint32_t bg);

#endif
