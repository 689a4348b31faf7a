/*
 * pagoda/com2.h - the protocol of the COM2 driver (user/com2d.c), the
 * serial port driven from user space, registered as "com2" with the name
 * server. One call, one reply; bytes travel in the message words (8 a
 * word, little-endian, COM2_BYTES_MAX a message).
 *
 *   COM2_WRITE   label COM2_LABEL(COM2_WRITE, n), words: the n bytes.
 *                Reply label: n (all sent), or -EINVAL (n too large).
 *   COM2_READ    word 0: most bytes wanted (1 .. COM2_BYTES_MAX), word 1:
 *                how long to wait for the first byte, in ms (0: do not
 *                wait; capped at COM2_WAIT_MAX). Reply label: n >= 0 bytes
 *                in the words (0: nothing came in time), or -EINVAL.
 *   COM2_STATS   Reply words: 0 interrupts seen, 1 bytes received, 2 bytes
 *                dropped (receive buffer full), 3 bytes written, 4 bytes
 *                waiting in the buffer.
 *
 * Invariants:
 *   [x] a reply's label is a count (>= 0) or a negative errno;
 *   [x] pure macros: header-only, shared by the driver and its clients.
 * Context: user programs (user/com2d.c, user/com2.c, docs/ipc.md).
 */
#ifndef PAGODA_COM2_H
#define PAGODA_COM2_H

#define COM2_SERVICE "com2"  /* the name it registers */
#define COM2_WRITE 1
#define COM2_READ 2
#define COM2_STATS 3
#define COM2_BYTES_MAX 48    /* 6 words of 8 bytes */
#define COM2_WAIT_MAX 5000   /* ms: a read never holds the driver longer */

/* A request's label: the operation in bits 0-7, a byte count in bits 8-15. */
#define COM2_LABEL(op, n) ((unsigned)(op) | (unsigned)(n) << 8)
#define COM2_OP(label) ((label) & 0xffu)
#define COM2_COUNT(label) (((label) >> 8) & 0xffu)

#endif
