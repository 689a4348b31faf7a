/*
 * console.h - the kernel console: where kprintf output goes, where the shell
 * reads keys from.
 *
 * Output fans out to every sink that is up (the 16550 serial port always,
 * the VGA text screen when GRUB left the machine in text mode). Input comes
 * from the serial port's interrupt-driven receive ring. Callers may be in
 * any context for output; console_getc() blocks the calling thread until
 * a byte arrives, and so needs interrupts enabled.
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
 * The serial port's IRQ 4 handler: move received bytes into the ring
 * (serial_interrupt) and wake the threads waiting for input. kmain routes
 * IRQ 4 here. Interrupts off.
 */
void console_interrupt(void);

#endif
