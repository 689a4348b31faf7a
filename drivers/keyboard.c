/*
 * keyboard.c - the PS/2 keyboard as console input (see keyboard.h).
 *
 * keyboard_init probes the i8042 (drivers/i8042.h) whatever ACPI says: the
 * FADT's "8042" flag only shapes the report, since firmware gets it wrong
 * both ways (legacy-free tables on machines whose USB emulation answers at
 * 0x60/0x64, and the reverse). IRQ 1 reads the controller's bytes, the
 * keymap (drivers/keymap.h) turns them into the bytes a VT100 would send,
 * and those go into a ring read by console_read_nonblock.
 * The Caps Lock and Num Lock lights follow the keymap's state: from the
 * interrupt, without waiting, as a small exchange (KBD_SET_LEDS, its ACK,
 * the LED byte, its ACK) whose ACKs are taken out before the keymap.
 *
 * Invariants (of the ring, as the serial port's):
 *   [x] head is written only by keyboard_interrupt, tail only by the reader;
 *   [x] empty when head == tail, full when head + 1 == tail (mod size);
 *   [x] a key's bytes go in whole or not at all (dropped counts keys);
 *   [x] at most one LED exchange is in flight (led_step), so an ACK is
 *       never mistaken for another's.
 * Context: see keyboard.h.
 */
#include "drivers/keyboard.h"

#include <stdint.h>

#include "drivers/arch.h"
#include "drivers/i8042.h"
#include "drivers/keymap.h"
#include "lib/printf.h"
#include "lib/string.h"

#define RING_SIZE 256
#define BYTES_PER_IRQ 32 /* a bound, should a controller never empty its buffer */

static bool present;
static struct keymap_state keys;
static uint8_t ring[RING_SIZE];
static size_t ring_head, ring_tail; /* __atomic: the reader may be another CPU */
static size_t dropped;
static char description[128];

/* Where the LED exchange is: an ACK moves it on. */
enum led_step { LED_IDLE, LED_SENT_COMMAND, LED_SENT_VALUE };
static enum led_step led_step;
static uint8_t leds_shown; /* what the keyboard was last told */

static uint8_t leds_wanted(void)
{
	return (keys.caps_lock ? KBD_LED_CAPS_LOCK : 0) | (keys.num_lock ? KBD_LED_NUM_LOCK : 0);
}

/* From the IRQ: start an exchange if the lights are out of date and none runs. */
static void leds_start(void)
{
	if (led_step == LED_IDLE && leds_wanted() != leds_shown &&
	    i8042_keyboard_send(KBD_SET_LEDS) == 0)
		led_step = LED_SENT_COMMAND;
}

/* A byte from the keyboard during an exchange: true if it was the exchange's answer. */
static bool leds_answer(uint8_t code)
{
	if (led_step == LED_IDLE || (code != KBD_ACK && code != KBD_RESEND))
		return false;
	if (code == KBD_RESEND || led_step == LED_SENT_VALUE) {
		led_step = LED_IDLE; /* done (or refused: tried again at the next change) */
		return true;
	}
	uint8_t wanted = leds_wanted();
	if (i8042_keyboard_send(wanted) == 0) {
		leds_shown = wanted;
		led_step = LED_SENT_VALUE;
	} else {
		led_step = LED_IDLE;
	}
	return true;
}

static const char *hint_text(enum keyboard_acpi_hint hint)
{
	switch (hint) {
	case KEYBOARD_ACPI_8042: return "FADT says 8042";
	case KEYBOARD_ACPI_NO_8042: return "FADT says no 8042";
	default: return "FADT gives no hint";
	}
}

bool keyboard_init(enum keyboard_acpi_hint hint)
{
	struct i8042_probe probe;

	ASSERT_IRQS_OFF();
	keymap_init(&keys);
	present = i8042_init(&probe) == 0;
	if (present && i8042_keyboard_command(KBD_SET_LEDS) == 0 &&
	    i8042_keyboard_command(leds_wanted()) == 0)
		leds_shown = leds_wanted(); /* Num Lock's light on, as the keymap starts */
	if (present)
		ksnprintf(description, sizeof(description), "PS/2 keyboard on the i8042 (%s)",
			  hint_text(hint));
	else
		ksnprintf(description, sizeof(description), "%s (%s, probe: %s)",
			  probe.controller ? "i8042 found, no keyboard" : "i8042 absent",
			  hint_text(hint), probe.problem);
	return present;
}

bool keyboard_present(void)
{
	return present;
}

const char *keyboard_describe(void)
{
	return description[0] ? description : "not probed";
}

void keyboard_enable_irq(void)
{
	ASSERT_IRQS_OFF();
	if (!present)
		return;
	if (i8042_enable_irq() != 0) {
		present = false;
		strlcpy(description, "i8042 found, but its IRQ cannot be turned on",
			sizeof(description));
		return;
	}
	keyboard_interrupt(); /* what arrived before the IRQ was on */
}

/* Room for n more bytes in the ring? */
static bool ring_room(size_t n)
{
	size_t head = ring_head;
	size_t tail = __atomic_load_n(&ring_tail, __ATOMIC_ACQUIRE);
	return (tail + RING_SIZE - head - 1) % RING_SIZE >= n;
}

void keyboard_interrupt(void)
{
	uint8_t code;
	char bytes[KEYMAP_MAX_BYTES];

	ASSERT_IRQS_OFF();
	if (!present)
		return;
	for (int i = 0; i < BYTES_PER_IRQ && i8042_read_data(&code); i++) {
		if (leds_answer(code))
			continue;
		size_t n = keymap_feed(&keys, code, bytes);
		if (n == 0)
			continue;
		if (!ring_room(n)) {
			dropped++;
			continue;
		}
		size_t head = ring_head;
		for (size_t k = 0; k < n; k++)
			ring[(head + k) % RING_SIZE] = (uint8_t)bytes[k];
		__atomic_store_n(&ring_head, (head + n) % RING_SIZE, __ATOMIC_RELEASE);
	}
	leds_start(); /* Caps Lock or Num Lock changed: its light */
}

int keyboard_read_nonblock(void)
{
	ASSERT_IRQS_OFF();
	size_t tail = ring_tail;
	if (tail == __atomic_load_n(&ring_head, __ATOMIC_ACQUIRE))
		return -1;
	int c = ring[tail];
	__atomic_store_n(&ring_tail, (tail + 1) % RING_SIZE, __ATOMIC_RELEASE);
	return c;
}

size_t keyboard_dropped(void)
{
	return dropped;
}
