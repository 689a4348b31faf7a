/*
 * keymap.h - scan code set 1 to the bytes a VT100 terminal sends, US layout.
 *
 * The i8042 translates the keyboard's scan codes to set 1 (drivers/i8042.h),
 * where a key sends its make code when pressed and the same code with bit 7
 * set when released; keys added after the XT send 0xE0 first. This state
 * machine takes those bytes one at a time, tracks the modifiers (both
 * Shifts, both Ctrls, Caps Lock and Num Lock) and says what a key press
 * types, as drivers/keyboard.h lists:
 *   letters, digits, punctuation  themselves (Shift, Caps Lock applied)
 *   Enter "\r"   Backspace 0x7f   Tab "\t"   Esc 0x1b   Ctrl+letter 1..26
 *   arrows ESC [ A/B/C/D   Home ESC [ H   End ESC [ F   Delete ESC [ 3 ~
 *   Insert ESC [ 2 ~   Page Up/Down ESC [ 5 ~ / 6 ~
 *   keypad: digits and . with Num Lock on, else the keys printed under them
 * Pure (no hardware): host-tested in tests/host/test_keymap.c.
 *
 * Invariants:
 *   [x] keymap_feed writes at most KEYMAP_MAX_BYTES bytes;
 *   [x] a release, a modifier, a prefix or an unknown code types nothing;
 *   [x] any byte sequence leaves the state valid (bad input never sticks:
 *       a prefix applies to the next byte only).
 * Context: any; one state per keyboard, used by one CPU at a time.
 */
#ifndef DRIVERS_KEYMAP_H
#define DRIVERS_KEYMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KEYMAP_MAX_BYTES 4 /* the longest key: ESC [ 3 ~ */

struct keymap_state {
	bool e0;          /* the previous byte was the 0xE0 prefix */
	uint8_t e1_left;  /* bytes of a Pause key's 0xE1 sequence still to skip */
	bool shift_left, shift_right;
	bool ctrl_left, ctrl_right;
	bool caps_lock;   /* toggled by each press of Caps Lock */
	bool num_lock;    /* toggled by Num Lock; starts on, as most firmware leaves it */
};

/* A fresh state: no key down, Caps Lock off, Num Lock on. */
void keymap_init(struct keymap_state *s);

/*
 * Feed one set-1 byte from the keyboard; the bytes the key types (0 to
 * KEYMAP_MAX_BYTES of them) go to out, their count is returned.
 */
size_t keymap_feed(struct keymap_state *s, uint8_t code, char out[KEYMAP_MAX_BYTES]);

#endif
