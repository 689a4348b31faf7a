/*
 * vga.h - the VGA text screen (80x25 characters at physical 0xB8000).
 *
 * Used only when GRUB left a BIOS machine in text mode (multiboot2
 * framebuffer type 2, "EGA text"); under UEFI there is no text mode and the
 * serial line is the console. Each cell is two bytes: the character, then
 * the colour attribute (background << 4 | foreground).
 */
#ifndef DRIVERS_VGA_H
#define DRIVERS_VGA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Take over the text screen at physical address phys (width x height cells,
 * pitch bytes per row): clear it and home the cursor. Any context.
 */
void vga_init(uint64_t phys, uint32_t width, uint32_t height, uint32_t pitch);

/* Whether vga_init() ran: false under UEFI or in graphics mode. */
bool vga_active(void);

/* Write n bytes, handling \n, \r, \b, \t and scrolling. No-op if inactive. */
void vga_write(const char *s, size_t n);

#endif
