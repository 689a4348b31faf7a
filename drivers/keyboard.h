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
 * Bytes wait in a ring filled by the IRQ 1 handler, as the serial port's.
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

/*
 * Find and set up the i8042 and its keyboard: acpi_says_present is the
 * ACPI FADT's IAPC_BOOT_ARCH "8042" hint (true when the FADT is older than
 * revision 2 or missing: then only the probe decides). The probe is
 * bounded: a status of 0xff, a failed self-test or no answer within a few
 * milliseconds means no controller, and the machine boots on without a
 * keyboard. Returns whether a keyboard is ready; then kmain routes IRQ 1
 * to console_keyboard_interrupt. Boot CPU, interrupts off.
 */
bool keyboard_init(bool acpi_says_present);

/* Whether keyboard_init found a controller and a keyboard. */
bool keyboard_present(void);

/*
 * IRQ 1: read the scan codes the controller holds and put the bytes of
 * each key into the ring. Interrupts off.
 */
void keyboard_interrupt(void);

/* Next byte of typed input (0..255), or -1 if the ring is empty. Interrupts off. */
int keyboard_read_nonblock(void);

#endif
