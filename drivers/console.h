/*
 * console.h - the kernel console: where kprintf output goes, where the shell
 * reads keys from.
 *
 * Output fans out to every sink that is up (the 16550 serial port always,
 * the VGA text screen when GRUB left the machine in text mode). Input comes
 * from the serial port's interrupt-driven receive ring. Callers may be in
 * any context for output; console_getc() sleeps (hlt) and so needs
 * interrupts enabled.
 */
#ifndef DRIVERS_CONSOLE_H
#define DRIVERS_CONSOLE_H

#include <stddef.h>

/* Write n bytes to every console sink. "\n" becomes CR LF on the serial line. */
void console_write(const char *s, size_t n);

/* Wait (sleeping in hlt) for the next input byte and return it (0..255). */
int console_getc(void);

#endif
