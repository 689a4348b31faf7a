/*
 * serial.h - the 16550 UART on COM1: the kernel's console line.
 *
 * Output is polled (wait until the transmit holding register is empty, then
 * write a byte): simple, and it works in any context, even inside an
 * exception handler. Input is interrupt driven: IRQ 4 moves every received
 * byte into a ring buffer, so nothing busy-waits for a key.
 */
#ifndef DRIVERS_SERIAL_H
#define DRIVERS_SERIAL_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Program COM1 for 115200 8N1 with FIFOs, check the chip is really there
 * (loopback test) and return whether it is. Receive interrupts stay off
 * until serial_enable_receive_irq(). Boot CPU, interrupts off.
 */
bool serial_init(void);

/*
 * The IRQ 4 handler: moves every received byte into the ring. The kernel
 * routes IRQ 4 here (trap_register_irq); does nothing if the port is absent.
 * Interrupts off.
 */
void serial_interrupt(void);

/*
 * Start interrupt-driven receive: turn on the UART's receive interrupt and
 * drain what arrived before. Call after IRQ 4 is routed to serial_interrupt.
 */
void serial_enable_receive_irq(void);

/* Send n bytes; "\n" goes out as CR LF. No-op if the port is absent. */
void serial_write(const char *s, size_t n);

/* Next received byte (0..255), or -1 if the ring is empty. Interrupts off. */
int serial_read_nonblock(void);

/* Bytes dropped because the ring was full (input faster than the shell). */
size_t serial_dropped(void);

#endif
