/*
 * keyboard.c - placeholder until the i8042 driver lands: no keyboard.
 *
 * This file keeps the kernel linking while the real driver is written: every
 * call reports "no device", which the callers already handle (a machine
 * without this device boots on).
 * Invariants:
 *   [x] nothing here touches hardware.
 * Context: any.
 */
#include "drivers/keyboard.h"

bool keyboard_init(bool acpi_says_present)
{
	(void)acpi_says_present;
	return false;
}

bool keyboard_present(void)
{
	return false;
}

void keyboard_interrupt(void)
{
}

int keyboard_read_nonblock(void)
{
	return -1;
}
