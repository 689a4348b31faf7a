/*
 * console.c - fans kernel output out to the serial line and the VGA screen,
 * and hands the shell its input from the serial line (see console.h).
 *
 * Waiting for input sleeps: with interrupts off, check the ring; if it is
 * empty, `sti; hlt` re-enables interrupts and halts in one step, so the
 * serial or timer interrupt that arrives wakes us and no byte is missed.
 * The host CPU stays idle while the shell waits.
 */
#include "drivers/console.h"

#include "drivers/arch.h"
#include "drivers/serial.h"
#include "drivers/vga.h"

void console_write(const char *s, size_t n)
{
	serial_write(s, n);
	vga_write(s, n);
}

int console_getc(void)
{
	for (;;) {
		interrupts_disable();
		int c = serial_read_nonblock();
		if (c >= 0) {
			interrupts_enable();
			return c;
		}
		interrupts_enable_and_halt();
	}
}
