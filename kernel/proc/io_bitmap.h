/*
 * io_bitmap.h - ioperm's rules and a process's I/O permission bitmap,
 * as pure code (no process, no CPU): which ranges are valid, which ports
 * the kernel keeps for itself, and how a range is granted or revoked.
 *
 * The bitmap has the layout the CPU reads from the TSS (SDM Vol. 1 19.5.2):
 * one bit per port, 65536 ports in 8192 bytes, bit n of byte p / 8 for port
 * p; a SET bit DENIES access from ring 3, a clear bit allows it. A process
 * that never called ioperm has no bitmap at all (everything denied).
 *
 * Pagoda's policy (Linux asks for CAP_SYS_RAWIO; Pagoda has no users yet):
 * every process may call ioperm, but granting a port the kernel drives
 * itself is -EPERM (io_bitmap_kernel_port's table: PICs, PIT and port 0x61,
 * the i8042, CMOS/RTC, QEMU's debugcon and isa-debug-exit, COM1), so a
 * process cannot take over the console, the timer or the interrupt
 * controller. Revoking (turn_on 0) is always allowed.
 *
 * Invariants:
 *   [x] a range is valid iff num > 0, from + num does not wrap and
 *       from + num <= IO_PORTS (Linux's -EINVAL rule);
 *   [x] io_bitmap_update touches exactly the bits of [from, from + num).
 * Pure code: any context, kernel or host.
 */
#ifndef KERNEL_PROC_IO_BITMAP_H
#define KERNEL_PROC_IO_BITMAP_H

#include <stdbool.h>
#include <stdint.h>

#define IO_PORTS 65536u                 /* x86 I/O space: ports 0 .. 0xffff */
#define IO_BITMAP_BYTES (IO_PORTS / 8u) /* 8192: one bit per port */

/*
 * ioperm's argument check: 0 if [from, from + num) may be changed with
 * turn_on, -EINVAL for an empty, wrapping or too long range, -EPERM for
 * turn_on with a port the kernel keeps (io_bitmap_kernel_port).
 */
int io_bitmap_check(uint64_t from, uint64_t num, bool turn_on);

/* Whether the kernel drives port itself (never granted to a process). */
bool io_bitmap_kernel_port(uint32_t port);

/* Fill map (IO_BITMAP_BYTES) with "everything denied". */
void io_bitmap_deny_all(uint8_t *map);

/*
 * Allow (allow true: clear the bits) or deny (set them) the ports [from,
 * from + num) in map; a range that io_bitmap_check accepted.
 */
void io_bitmap_update(uint8_t *map, uint32_t from, uint32_t num, bool allow);

/* Whether map lets ring 3 use port. */
bool io_bitmap_allows(const uint8_t *map, uint32_t port);

#endif
