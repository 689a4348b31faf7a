/*
 * io_bitmap.c - ioperm's range rules, the kernel's own ports, and bitmap
 * updates (see io_bitmap.h). Apart from the system call (sys_process.c)
 * and the TSS (kernel/arch/x86_64/gdt.c) so the host tests run it as is.
 *
 * Invariants:
 *   [x] io_bitmap_update changes whole middle bytes with memset and only
 *       the range's bits in the first and last byte.
 * Pure code: any context.
 */
#include "kernel/proc/io_bitmap.h"

#include "lib/errno.h"
#include "lib/string.h"

/* The ports the kernel's own drivers use: [first, last]. */
static const struct {
	uint16_t first, last;
} kernel_ports[] = {
	{0x20, 0x21},   /* master 8259 PIC (kernel/arch/x86_64/pic.c) */
	{0x40, 0x43},   /* 8254 PIT (pit.c) */
	{0x60, 0x60},   /* i8042 data (drivers/i8042.c) */
	{0x61, 0x61},   /* system control port B: PIT channel 2 gate (pit.c) */
	{0x64, 0x64},   /* i8042 status and command */
	{0x70, 0x71},   /* CMOS index and data: the RTC (drivers/rtc.c) */
	{0xa0, 0xa1},   /* slave 8259 PIC */
	{0xe9, 0xe9},   /* QEMU isa-debugcon: the kernel log copy */
	{0xf4, 0xf4},   /* QEMU isa-debug-exit: power off with a status */
	{0x3f8, 0x3ff}, /* COM1: the serial console */
};

bool io_bitmap_kernel_port(uint32_t port)
{
	for (unsigned i = 0; i < sizeof(kernel_ports) / sizeof(kernel_ports[0]); i++)
		if (port >= kernel_ports[i].first && port <= kernel_ports[i].last)
			return true;
	return false;
}

int io_bitmap_check(uint64_t from, uint64_t num, bool turn_on)
{
	if (num == 0 || from + num < from || from + num > IO_PORTS)
		return -EINVAL;
	if (turn_on)
		for (unsigned i = 0; i < sizeof(kernel_ports) / sizeof(kernel_ports[0]); i++)
			if (from <= kernel_ports[i].last && from + num > kernel_ports[i].first)
				return -EPERM;
	return 0;
}

void io_bitmap_deny_all(uint8_t *map)
{
	memset(map, 0xff, IO_BITMAP_BYTES);
}

/* Set (deny) or clear (allow) the bits of mask in *byte. */
static void update_bits(uint8_t *byte, uint8_t mask, bool allow)
{
	*byte = allow ? (uint8_t)(*byte & ~mask) : (uint8_t)(*byte | mask);
}

void io_bitmap_update(uint8_t *map, uint32_t from, uint32_t num, bool allow)
{
	uint32_t end = from + num; /* exclusive */
	uint32_t first = from / 8, last = (end - 1) / 8;

	if (first == last) {
		uint8_t mask = (uint8_t)(((1u << (end - from)) - 1u) << (from % 8));
		update_bits(&map[first], mask, allow);
		return;
	}
	update_bits(&map[first], (uint8_t)(0xffu << (from % 8)), allow);
	if (last > first + 1)
		memset(&map[first + 1], allow ? 0x00 : 0xff, last - first - 1);
	update_bits(&map[last], (uint8_t)(0xffu >> (7 - (end - 1) % 8)), allow);
}

bool io_bitmap_allows(const uint8_t *map, uint32_t port)
{
	return !(map[port / 8] & (1u << (port % 8)));
}
