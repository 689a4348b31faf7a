/*
 * fbcon.h - the text console drawn on the framebuffer (drivers/framebuffer.h).
 *
 * The screen is a grid of 8x16 character cells. What the grid shows is kept
 * in a shadow text buffer in RAM (a character and its colours per cell),
 * so scrolling moves the shadow and redraws from it: video memory is never
 * read. It understands the part of a VT100 the kernel's output uses: "\n",
 * "\r", "\b", "\t", cursor moves and line erases (ESC [ ... A/B/C/D/K/J/H)
 * and colours (ESC [ ... m, the eight ANSI colours, bright and normal).
 * A cursor shows where the next character goes.
 *
 * Output written before fb_map() (early boot) waits in the shadow buffer and
 * appears when fbcon_start() draws it. Exception reports and panics reach
 * the screen as any other console output.
 *
 * Invariants:
 *   [x] the cursor is inside the grid after every call;
 *   [x] the screen shows the shadow buffer once a write returns (or within
 *       one timer tick, if drawing is deferred).
 * Context: fbcon_init and fbcon_start on the boot CPU; fbcon_write from any
 * context (console_write's sink, interrupts off).
 */
#ifndef DRIVERS_FBCON_H
#define DRIVERS_FBCON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/compiler.h"

/*
 * Start keeping console output in the shadow buffer, sized for the mode
 * fb_setup() recorded. Draws nothing yet. Boot CPU, interrupts off.
 */
void fbcon_init(void);

/*
 * After fb_map(): clear the screen and draw the shadow buffer; from now on
 * every write reaches the screen. Returns 0, or -ENODEV when fbcon_init()
 * did not run or the framebuffer is not mapped. Boot CPU.
 */
int __must_check fbcon_start(void);

/* Whether fbcon_start() succeeded (the screen shows the console). */
bool fbcon_active(void);

/* console_write's sink: draw n bytes of output. No-op when not initialised. */
void fbcon_write(const char *s, size_t n);

/*
 * Give the bottom `pixels` rows of the screen to a panel (memview): the
 * text grid shrinks to the rows above it, keeping the cursor's line in
 * view, and fbcon never draws below them. 0 gives the rows back. Returns
 * the y coordinate of the panel's top row (the screen's height for 0), or
 * -ENODEV without an active console, -EINVAL when fewer than 4 text rows
 * would remain. From a thread.
 */
int fbcon_reserve_bottom(uint32_t pixels);

#endif
