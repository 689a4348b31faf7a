/*
 * pagoda/uart16550.h - the second serial port, COM2, as user programs
 * drive it through ioperm: its ports, and the 16550 UART's registers and
 * bits they use (named as drivers/serial.c names them for COM1). Two
 * programs write to it: the COM2 driver (user/com2d.c) and usertests -r,
 * the lab grader's result channel (user/usertests/main.c).
 *
 * Invariants:
 *   [x] pure macros: header-only, one definition of each register and bit;
 *   [x] COM2_PORT .. COM2_PORT + COM2_PORTS - 1 is the whole UART, what a
 *       program asks ioperm for.
 * Context: user programs, with COM2's ports granted (ioperm).
 */
#ifndef PAGODA_UART16550_H
#define PAGODA_UART16550_H

#define COM2_PORT 0x2f8 /* the UART's base port */
#define COM2_PORTS 8    /* its registers: base .. base + 7 */

/* Registers, as offsets from the base. */
#define UART_DATA 0         /* receive / transmit holding (DLAB 0) */
#define UART_IER 1          /* interrupt enable (DLAB 0) */
#define UART_DIVISOR_LOW 0  /* baud divisor, low byte (DLAB 1) */
#define UART_DIVISOR_HIGH 1 /* baud divisor, high byte (DLAB 1) */
#define UART_FCR 2          /* FIFO control (write) */
#define UART_LCR 3          /* line control */
#define UART_MCR 4          /* modem control */
#define UART_LSR 5          /* line status */

/* Bits. */
#define IER_RECEIVED_DATA 0x01 /* interrupt when a byte arrives */
#define FCR_ENABLE_CLEAR 0x07  /* FIFOs on, both cleared */
#define LCR_8N1 0x03           /* 8 data bits, no parity, 1 stop bit; DLAB 0 */
#define LCR_DLAB 0x80          /* registers 0 and 1 are the divisor */
#define MCR_DTR_RTS 0x03       /* DTR and RTS on */
#define MCR_OUT2 0x08          /* OUT2: lets the UART's interrupt reach the PIC */
#define MCR_LOOPBACK 0x10      /* loopback test mode */
#define LSR_DATA_READY 0x01    /* a received byte waits in UART_DATA */
#define LSR_THR_EMPTY 0x20     /* the transmit holding register is free */
#define BAUD_BASE 115200       /* the divisor's clock: divisor = BAUD_BASE / baud */

#endif
