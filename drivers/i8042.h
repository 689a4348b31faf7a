/*
 * i8042.h - the PC's keyboard controller (Intel 8042 and its successors in
 * every chipset's "legacy" block): two PS/2 ports behind I/O ports 0x60/0x64.
 *
 * The controller is found by probing, never assumed: a machine without one
 * (many recent PCs, QEMU's `-machine q35,i8042=off`) reads 0xff from the
 * status port, and a broken or absent one does not answer its self-test.
 * Every wait for the controller or the keyboard is bounded by a deadline of
 * a few milliseconds on the TSC, so the probe cannot hang a boot.
 * Only port 1 (the keyboard) is used; port 2 (a mouse) stays disabled.
 *
 * Invariants:
 *   [x] after a failed i8042_init nothing is left enabled (no IRQ 1);
 *   [x] after a successful one the controller translates the keyboard's
 *       codes to scan code set 1, and after i8042_enable_irq port 1 raises
 *       IRQ 1 for every byte.
 * Context: i8042_init on the boot CPU, interrupts off, after timer_init
 * (the TSC is calibrated); i8042_read_data from the IRQ 1 handler;
 * i8042_pulse_reset anywhere (kernel/power.c's reboot).
 */
#ifndef DRIVERS_I8042_H
#define DRIVERS_I8042_H

#include <stdbool.h>
#include <stdint.h>

/* Keyboard commands and answers, on the data port (PS/2 TR, "Keyboard Commands"). */
#define KBD_SET_LEDS 0xed        /* the next byte sets the LEDs (KBD_LED_*) */
#define KBD_LED_SCROLL_LOCK 0x01 /* bit 0 */
#define KBD_LED_NUM_LOCK 0x02    /* bit 1 */
#define KBD_LED_CAPS_LOCK 0x04   /* bit 2 */
#define KBD_ACK 0xfa             /* the keyboard took a command byte */
#define KBD_RESEND 0xfe          /* the keyboard asks for the byte again */

/* What the probe found. */
struct i8042_probe {
	bool controller;     /* a controller answered its self-test */
	bool keyboard;       /* a keyboard acknowledged "enable scanning" */
	uint8_t status;      /* the status port's first reading */
	const char *problem; /* why not, when either is false (static string) */
};

/*
 * Find and program the controller, then enable the keyboard on port 1:
 * disable both ports, flush the output buffer, self-test, configuration
 * (translation on, port 1 IRQ on, port 2 off), interface test of port 1,
 * enable port 1, the keyboard's "enable scanning"; IRQ 1 stays off until
 * i8042_enable_irq. Fills *out. Returns 0
 * when a keyboard is ready, -ENODEV otherwise (out->problem says why).
 * Boot CPU, interrupts off, the TSC calibrated.
 */
int i8042_init(struct i8042_probe *out);

/*
 * Send one byte to the keyboard and wait (bounded, tens of milliseconds)
 * for its KBD_ACK, resending when it asks. 0 or -EIO. Boot CPU, before
 * i8042_enable_irq (the answer is read here, not by the IRQ handler).
 */
int i8042_keyboard_command(uint8_t cmd);

/*
 * Send one byte to the keyboard without waiting: its answer comes through
 * i8042_read_data like a key. -EBUSY if the controller has not taken the
 * previous byte yet. Interrupts off (the IRQ 1 handler).
 */
int i8042_keyboard_send(uint8_t byte);

/*
 * Turn on port 1's interrupt (the configuration byte's IRQ 1 bit). Call
 * once IRQ 1 is routed, then read what arrived before (an edge raised
 * while the line was masked would be lost, and the controller raises no
 * other while its output buffer stays full). Returns 0 or -EIO.
 * Interrupts off.
 */
int i8042_enable_irq(void);

/*
 * The next byte the keyboard sent, if the controller holds one from port 1
 * (a byte from port 2 is read and dropped). False when its output buffer
 * is empty. Interrupts off.
 */
bool i8042_read_data(uint8_t *byte);

/*
 * Pulse the CPU's reset line through the controller (the oldest way to
 * reboot a PC), after waiting a bounded time for its input buffer. Returns
 * if the machine did not reset (no controller). Any context.
 */
void i8042_pulse_reset(void);

#endif
