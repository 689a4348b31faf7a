/*
 * serial.c - 16550 UART driver for COM1 (see serial.h).
 *
 * COM1 only: the kernel never touches COM2 (0x2f8-0x2ff, IRQ 3), which is
 * driven from user space (user/com2d.c, with ioperm and irq_bind).
 *
 * Invariants (of the receive ring):
 *   [x] head is written only by the IRQ handler, tail only by the reader;
 *   [x] the ring is empty when head == tail and full when head + 1 == tail
 *       (mod size), so one slot always stays unused;
 *   [x] the reader runs with interrupts off while it takes a byte.
 */
#include "drivers/serial.h"

#include <stdint.h>

#include "drivers/arch.h"

#define COM1 0x3f8
/* Register offsets from the base port (16550 datasheet). */
#define UART_DATA 0         /* receive buffer / transmit holding (DLAB=0) */
#define UART_IER 1          /* interrupt enable (DLAB=0) */
#define UART_DIVISOR_LOW 0  /* baud divisor (DLAB=1) */
#define UART_DIVISOR_HIGH 1
#define UART_FCR 2          /* FIFO control (write) */
#define UART_LCR 3          /* line control */
#define UART_MCR 4          /* modem control */
#define UART_LSR 5          /* line status */

#define IER_RECEIVED_DATA 0x01  /* interrupt when a byte arrives */
#define FCR_ENABLE_CLEAR 0x07   /* enable FIFOs, clear both */
#define FCR_TRIGGER_1 0x00      /* interrupt after every byte (lowest latency) */
#define LCR_8N1 0x03            /* 8 data bits, no parity, 1 stop bit */
#define LCR_DLAB 0x80           /* divisor latch access */
#define MCR_DTR_RTS 0x03
#define MCR_OUT2 0x08           /* gates the UART's IRQ line on PC hardware */
#define MCR_LOOPBACK 0x10
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY 0x20

#define BAUD_BASE 115200
#define RING_SIZE 1024

static bool present;
static uint8_t ring[RING_SIZE];
static volatile size_t ring_head, ring_tail;
static size_t dropped;

bool serial_init(void)
{
	ASSERT_IRQS_OFF();
	outb(COM1 + UART_IER, 0);
	outb(COM1 + UART_LCR, LCR_DLAB);
	outb(COM1 + UART_DIVISOR_LOW, BAUD_BASE / 115200);
	outb(COM1 + UART_DIVISOR_HIGH, 0);
	outb(COM1 + UART_LCR, LCR_8N1);
	outb(COM1 + UART_FCR, FCR_ENABLE_CLEAR | FCR_TRIGGER_1);

	/* Loopback self-test: what we send must come straight back. */
	outb(COM1 + UART_MCR, MCR_LOOPBACK | MCR_DTR_RTS);
	outb(COM1 + UART_DATA, 0xae);
	present = inb(COM1 + UART_DATA) == 0xae;
	outb(COM1 + UART_MCR, MCR_DTR_RTS | MCR_OUT2);
	return present;
}

void serial_interrupt(void)
{
	ASSERT_IRQS_OFF();
	if (!present)
		return;
	while (inb(COM1 + UART_LSR) & LSR_DATA_READY) {
		uint8_t c = inb(COM1 + UART_DATA);
		size_t next = (ring_head + 1) % RING_SIZE;
		if (next == ring_tail) {
			dropped++;
			continue;
		}
		ring[ring_head] = c;
		ring_head = next;
	}
}

void serial_enable_receive_irq(void)
{
	if (!present)
		return;
	outb(COM1 + UART_IER, IER_RECEIVED_DATA);
	serial_interrupt(); /* drain anything that arrived before the IRQ was on */
}

static void serial_put(uint8_t c)
{
	while (!(inb(COM1 + UART_LSR) & LSR_THR_EMPTY))
		cpu_relax();
	outb(COM1 + UART_DATA, c);
}

void serial_write(const char *s, size_t n)
{
	if (!present)
		return;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			serial_put('\r');
		serial_put((uint8_t)s[i]);
	}
}

int serial_read_nonblock(void)
{
	ASSERT_IRQS_OFF();
	if (ring_tail == ring_head)
		return -1;
	int c = ring[ring_tail];
	ring_tail = (ring_tail + 1) % RING_SIZE;
	return c;
}

size_t serial_dropped(void)
{
	return dropped;
}
