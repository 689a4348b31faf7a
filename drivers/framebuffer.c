/*
 * framebuffer.c - placeholder until the framebuffer driver lands: no screen.
 *
 * This file keeps the kernel linking while the real driver is written: every
 * call reports "no device", which the callers already handle (a machine
 * without this device boots on).
 * Invariants:
 *   [x] nothing here touches hardware.
 * Context: any.
 */
#include "drivers/framebuffer.h"

#include "lib/errno.h"

int fb_setup(const struct fb_mode *mode)
{
	(void)mode;
	return -EINVAL;
}

int fb_map(void)
{
	return -ENODEV;
}

bool fb_ready(void)
{
	return false;
}

uint32_t fb_width(void)
{
	return 0;
}

uint32_t fb_height(void)
{
	return 0;
}

void fb_fill_rect(uint32_t x, uint32_t y, uint32_t w, uint32_t h, uint32_t rgb)
{
	(void)x, (void)y, (void)w, (void)h, (void)rgb;
}

void fb_draw_glyph(uint32_t x, uint32_t y, unsigned char c, uint32_t fg, uint32_t bg)
{
	(void)x, (void)y, (void)c, (void)fg, (void)bg;
}

void fb_draw_text(uint32_t x, uint32_t y, const char *s, uint32_t fg, uint32_t bg)
{
	(void)x, (void)y, (void)s, (void)fg, (void)bg;
}
