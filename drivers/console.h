/*
 * console.h - the kernel console: where kprintf output goes, where the shell
 * reads keys from.
 *
 * Output fans out to every sink that is up (the 16550 serial port always;
 * the framebuffer console (drivers/fbcon.h) when GRUB set a graphics mode,
 * or the VGA text screen when it left a BIOS machine in text mode). Input
 * comes from two interrupt-driven rings, the serial port's and the PS/2
 * keyboard's (drivers/keyboard.h), read as one stream of bytes: a key on
 * the keyboard arrives as the bytes a serial terminal would send for it.
 * Callers may be in any context for output; console_getc() blocks the
 * calling thread until a byte arrives, and so needs interrupts enabled.
 */
#ifndef DRIVERS_CONSOLE_H
#define DRIVERS_CONSOLE_H

#include <stddef.h>

/* Write n bytes to every console sink. "\n" becomes CR LF on the serial line. */
void console_write(const char *s, size_t n);

/*
 * Wait for the next input byte and return it (0..255): the calling thread
 * blocks until console_interrupt wakes it (before the scheduler runs, or
 * from the idle thread, the CPU halts instead). Interrupts on.
 */
int console_getc(void);

/*
 * The next input byte (0..255) from the serial ring, else from the
 * keyboard's, or -1 when both are empty. Interrupts off.
 */
int console_read_nonblock(void);

/*
 * The serial port's IRQ 4 handler: move received bytes into the ring
 * (serial_interrupt) and wake the threads waiting for input. kmain routes
 * IRQ 4 here. Interrupts off.
 */
void console_interrupt(void);

/*
 * The keyboard's IRQ 1 handler: the same for the i8042 (keyboard_interrupt
 * turns scan codes into bytes in the keyboard's ring). kmain routes IRQ 1
 * here when a controller was found. Interrupts off.
 */
void console_keyboard_interrupt(void);

#endif
