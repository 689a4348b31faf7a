/*
 * keyboard.c - the PS/2 keyboard as console input (see keyboard.h).
 *
 * keyboard_init probes the i8042 (drivers/i8042.h) whatever ACPI says: the
 * FADT's "8042" flag only shapes the report, since firmware gets it wrong
 * both ways (legacy-free tables on machines whose USB emulation answers at
 * 0x60/0x64, and the reverse). IRQ 1 reads the controller's bytes, the
 * keymap (drivers/keymap.h) turns them into the bytes a VT100 would send,
 * and those go into a ring read by console_read_nonblock.
 *
 * Invariants (of the ring, as the serial port's):
 *   [x] head is written only by keyboard_interrupt, tail only by the reader;
 *   [x] empty when head == tail, full when head + 1 == tail (mod size);
 *   [x] a key's bytes go in whole or not at all (dropped counts keys).
 * Context: see keyboard.h.
 */
#include "drivers/keyboard.h"

#include <stdint.h>

#include "drivers/arch.h"
#include "drivers/i8042.h"
#include "drivers/keymap.h"
#include "lib/printf.h"

#define RING_SIZE 256

static bool present;
static struct keymap_state keys;
static uint8_t ring[RING_SIZE];
static size_t ring_head, ring_tail; /* __atomic: the reader may be another CPU */
static size_t dropped;
static char description[128];

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
	while (i8042_read_data(&code)) {
		size_t n = keymap_feed(&keys, code, bytes);
		if (n == 0)
			continue;
		if (!ring_room(n)) {
			dropped++;
			continue;
		}
		size_t head = ring_head;
		for (size_t i = 0; i < n; i++)
			ring[(head + i) % RING_SIZE] = (uint8_t)bytes[i];
		__atomic_store_n(&ring_head, (head + n) % RING_SIZE, __ATOMIC_RELEASE);
	}
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
