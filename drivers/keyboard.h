/*
 * keyboard.h - the PS/2 keyboard behind the i8042 controller, as a source
 * of console input bytes.
 *
 * A key press becomes the bytes a serial terminal (VT100, US layout) sends
 * for the same key, so everything above the console (the shell's line
 * editor, the terminal of drivers/tty.h) sees one kind of input:
 *   letters, digits, punctuation  themselves (Shift, Caps Lock applied)
 *   Enter "\r"   Backspace 0x7f   Tab "\t"   Esc 0x1b   Ctrl+letter 1..26
 *   arrows ESC [ A/B/C/D   Home ESC [ H   End ESC [ F   Delete ESC [ 3 ~
 * (the whole table, keypad included, is in drivers/keymap.h). Bytes wait
 * in a ring filled by the IRQ 1 handler, as the serial port's.
 *
 * Invariants:
 *   [x] the ring is filled only by keyboard_interrupt (interrupts off) and
 *       emptied only by keyboard_read_nonblock (interrupts off);
 *   [x] a key's bytes enter the ring whole or not at all.
 * Context: keyboard_init on the boot CPU, interrupts off, before IRQ 1 is
 * routed; the rest as each function says.
 */
#ifndef DRIVERS_KEYBOARD_H
#define DRIVERS_KEYBOARD_H

#include <stdbool.h>
#include <stddef.h>

/* What the ACPI FADT says about an i8042 (IAPC_BOOT_ARCH bit 1, kernel/acpi.h). */
enum keyboard_acpi_hint {
	KEYBOARD_ACPI_NO_HINT, /* no FADT, or one older than revision 2 */
	KEYBOARD_ACPI_8042,    /* the flag is set: the machine has an 8042 */
	KEYBOARD_ACPI_NO_8042, /* the flag is clear: legacy-free, no 8042 */
};

/*
 * Find and set up the i8042 and its keyboard (drivers/i8042.h). The ACPI
 * hint is only reported: the probe decides, and it is bounded (a status
 * of 0xff, a failed self-test or no answer within a few milliseconds
 * means no controller), so a machine without one boots on without a
 * keyboard. Returns whether a keyboard is ready; then kmain routes IRQ 1
 * to console_keyboard_interrupt and calls keyboard_enable_irq. Boot CPU, interrupts off, after
 * timer_init (the probe's deadlines are on the TSC).
 */
bool keyboard_init(enum keyboard_acpi_hint hint);

/*
 * Start interrupt-driven input: turn on the controller's IRQ 1 and take
 * what the keyboard sent before. Call after IRQ 1 is routed to
 * console_keyboard_interrupt. Interrupts off.
 */
void keyboard_enable_irq(void);

/*
 * One line (no newline) saying what keyboard_init found, or why there is
 * no keyboard, e.g. "i8042 absent (FADT says no 8042, probe: status 0xff)".
 */
const char *keyboard_describe(void);

/* Whether keyboard_init found a controller and a keyboard. */
bool keyboard_present(void);

/*
 * IRQ 1: read the scan codes the controller holds and put the bytes of
 * each key into the ring. Interrupts off.
 */
void keyboard_interrupt(void);

/* Next byte of typed input (0..255), or -1 if the ring is empty. Interrupts off. */
int keyboard_read_nonblock(void);

/* Keys dropped because the ring was full (typed faster than anyone reads). */
size_t keyboard_dropped(void);

#endif
