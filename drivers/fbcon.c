/*
 * fbcon.c - placeholder until the framebuffer console lands: no screen.
 *
 * This file keeps the kernel linking while the real driver is written: every
 * call reports "no device", which the callers already handle (a machine
 * without this device boots on).
 * Invariants:
 *   [x] nothing here touches hardware.
 * Context: any.
 */
#include "drivers/fbcon.h"

#include "lib/errno.h"

void fbcon_init(void)
{
}

int fbcon_start(void)
{
	return -ENODEV;
}

bool fbcon_active(void)
{
	return false;
}

void fbcon_write(const char *s, size_t n)
{
	(void)s, (void)n;
}

int fbcon_reserve_bottom(uint32_t pixels)
{
	(void)pixels;
	return -ENODEV;
}
