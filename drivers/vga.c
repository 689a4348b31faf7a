/*
 * vga.c - text-mode console on the VGA screen (see vga.h).
 *
 * Invariants:
 *   [x] 0 <= row < height and 0 <= column < width after every call;
 *   [x] the hardware cursor (CRT controller registers 0x0e/0x0f) follows
 *       (row, column).
 * Scrolling moves rows 1..height-1 up by one and blanks the last row.
 */
#include "drivers/vga.h"

#include "drivers/arch.h"
#include "lib/string.h"
#include "mm/layout.h"

#define VGA_ATTRIBUTE 0x07       /* light grey on black */
#define CRTC_INDEX 0x3d4         /* CRT controller index / data ports */
#define CRTC_DATA 0x3d5
#define CRTC_CURSOR_HIGH 0x0e
#define CRTC_CURSOR_LOW 0x0f

static volatile uint16_t *screen;
static uint32_t width, height, stride; /* stride in cells */
static uint32_t row, column;

static void vga_move_cursor(void)
{
	uint32_t pos = row * stride + column;

	outb(CRTC_INDEX, CRTC_CURSOR_HIGH);
	outb(CRTC_DATA, pos >> 8);
	outb(CRTC_INDEX, CRTC_CURSOR_LOW);
	outb(CRTC_DATA, pos & 0xff);
}

static void vga_clear_row(uint32_t r)
{
	for (uint32_t c = 0; c < width; c++)
		screen[r * stride + c] = (VGA_ATTRIBUTE << 8) | ' ';
}

void vga_init(uint64_t phys, uint32_t w, uint32_t h, uint32_t pitch)
{
	if (w == 0 || h == 0 || pitch < w * 2)
		return;
	screen = phys_to_virt(phys);
	width = w;
	height = h;
	stride = pitch / 2;
	for (uint32_t r = 0; r < height; r++)
		vga_clear_row(r);
	row = column = 0;
	vga_move_cursor();
}

bool vga_active(void)
{
	return screen != NULL;
}

static void vga_newline(void)
{
	column = 0;
	if (++row < height)
		return;
	for (uint32_t r = 1; r < height; r++)
		for (uint32_t c = 0; c < width; c++)
			screen[(r - 1) * stride + c] = screen[r * stride + c];
	row = height - 1;
	vga_clear_row(row);
}

static void vga_put(char ch)
{
	switch (ch) {
	case '\n':
		vga_newline();
		return;
	case '\r':
		column = 0;
		return;
	case '\b':
		if (column > 0)
			column--;
		return;
	case '\t':
		do
			vga_put(' ');
		while (column % 8);
		return;
	}
	if ((unsigned char)ch < 0x20)
		return; /* other control characters (BEL, ESC, ...) are not shown */
	screen[row * stride + column] = (VGA_ATTRIBUTE << 8) | (unsigned char)ch;
	if (++column == width)
		vga_newline();
}

void vga_write(const char *s, size_t n)
{
	if (!screen)
		return;
	for (size_t i = 0; i < n; i++)
		vga_put(s[i]);
	vga_move_cursor();
}
