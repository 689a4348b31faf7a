/*
 * console.c - fans kernel output out to the serial line and the screen,
 * and hands the shell its input from the serial line and the keyboard
 * (see console.h).
 * While a process owns the console, keys go to the terminal (drivers/tty.h)
 * instead, which cooks them into lines for that process's read().
 *
 * Waiting for input blocks the calling thread on a wait queue that the
 * serial and keyboard interrupts wake (console_interrupt,
 * console_keyboard_interrupt), so other threads run while
 * the shell waits for a key. The ring is checked with interrupts off
 * (wait_event), so a byte arriving between the check and the block is
 * never missed. Before the scheduler runs, the wait is `sti; hlt`.
 *
 * Invariants:
 *   [x] one console_write call reaches each sink whole: interrupts are off
 *       around it, so threads' lines do not interleave mid-call and the VGA
 *       cursor is never moved by two writers at once.
 * Context: output from any context; input from a thread.
 */
#include "drivers/console.h"

#include "drivers/arch.h"
#include "drivers/fbcon.h"
#include "drivers/keyboard.h"
#include "drivers/serial.h"
#include "drivers/tty.h"
#include "drivers/vga.h"

static struct wait_queue console_input = WAIT_QUEUE_INIT(console_input, "console input");

void console_write(const char *s, size_t n)
{
	unsigned long flags = arch_irq_save();

	serial_write(s, n);
	vga_write(s, n);
	fbcon_write(s, n);
	arch_irq_restore(flags);
}

int console_read_nonblock(void)
{
	ASSERT_IRQS_OFF();
	int c = serial_read_nonblock();
	return c >= 0 ? c : keyboard_read_nonblock();
}

/* Bytes arrived in a ring: hand them to the foreground process, else wake the shell. */
static void console_input_arrived(void)
{
	if (!tty_receive()) /* a foreground process cooks the keys; else the shell's */
		wait_queue_wake_all(&console_input);
}

void console_interrupt(void)
{
	ASSERT_IRQS_OFF();
	serial_interrupt();
	console_input_arrived();
}

void console_keyboard_interrupt(void)
{
	ASSERT_IRQS_OFF();
	keyboard_interrupt();
	console_input_arrived();
}

int console_getc(void)
{
	int c;

	if (!sched_running() || thread_current() == sched_idle_thread()) {
		for (;;) {
			interrupts_disable();
			c = console_read_nonblock();
			if (c >= 0) {
				interrupts_enable();
				return c;
			}
			interrupts_enable_and_halt();
		}
	}
	wait_event(&console_input, (c = console_read_nonblock()) >= 0);
	return c;
}
