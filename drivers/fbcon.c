/*
 * fbcon.c - placeholder until the framebuffer console lands: no screen.
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
