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
 * Drawing compares the shadow with a copy of what the screen shows and
 * draws only the cells that differ (and the cursor). Once the timer runs
 * (fbcon_set_lag), a write that comes less than `lag` after the last
 * drawing only updates the shadow, and the next timer tick draws it
 * (fbcon_tick): a burst of lines costs a few redraws, not one per line,
 * while a lone write (a typed key's echo) is drawn at once. A panic draws
 * every write at once, with the parser and colours reset first, even if
 * another CPU was stopped in the middle of drawing.
 *
 * Invariants:
 *   [x] the cursor is inside the grid after every call;
 *   [x] the screen shows the shadow buffer once a write returns (or within
 *       one timer tick, if drawing is deferred).
 * Context: fbcon_init and fbcon_start on the boot CPU; fbcon_write from any
 * context (console_write's sink, interrupts off). Every call that touches
 * the grid holds the console lock (drivers/console_lock.h, nesting), so
 * writers on several CPUs and the tick serialize; nothing here panics.
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
 * every write reaches the screen. Takes the copy of what the screen shows
 * from the page allocator (after pmm_init). Returns 0, -ENODEV when
 * fbcon_init() did not run or the framebuffer is not mapped, -ENOMEM when
 * that copy cannot be allocated. Boot CPU.
 */
int __must_check fbcon_start(void);

/* Whether fbcon_start() succeeded (the screen shows the console). */
bool fbcon_active(void);

/*
 * Defer drawing from now on: a write within lag_cycles (TSC) of the last
 * drawing waits for fbcon_tick(). 0: draw every write at once (the start).
 * Boot CPU, once the timer ticks.
 */
void fbcon_set_lag(uint64_t lag_cycles);

/* CPU 0's timer tick: draw what is waiting, unless another CPU holds the console. IRQs off. */
void fbcon_tick(void);

/* Draw what is waiting now (benchmarks, memview before it reads the grid). */
void fbcon_flush(void);

/* Forget what the screen shows and draw every cell again (after someone else drew over it). */
void fbcon_redraw(void);

/* Counters since boot, for `bench fbcon` and curious readers. */
struct fbcon_stats {
	uint64_t draws;   /* drawing passes */
	uint64_t glyphs;  /* cells drawn */
	uint64_t scrolls; /* rows scrolled off the top */
	unsigned cols, rows;
};
void fbcon_get_stats(struct fbcon_stats *out);

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
