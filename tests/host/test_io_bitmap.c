/*
 * test_io_bitmap.c - suite "io_bitmap": ioperm's rules and bitmap updates
 * (kernel/proc/io_bitmap.c), pure code on the host.
 *
 * Covered: the -EINVAL ranges (empty, past 0x10000, from + num wrapping
 * 2^64) and the edges that are valid (0xffff alone, the whole space to
 * revoke); -EPERM for granting any range that touches a kernel port (COM1,
 * the i8042, PICs, PIT, port 0x61, CMOS, debugcon, isa-debug-exit) while
 * revoking it is allowed; 20,000 seeded random grants and revocations
 * against a one-bool-per-port model, every port compared after each (so a
 * bit outside the range changing is caught), including byte-aligned,
 * single-byte and whole-byte-run ranges.
 * Hosted code: may use libc.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "kernel/proc/io_bitmap.h"
#include "kernel/selftest.h"
#include "lib/errno.h"
#include "lib/random.h"

static const char *test_ranges(void)
{
	CHECK(io_bitmap_check(0x80, 0, true) == -EINVAL);
	CHECK(io_bitmap_check(0x80, 0, false) == -EINVAL);
	CHECK(io_bitmap_check(0xffff, 1, true) == 0);
	CHECK(io_bitmap_check(0xffff, 2, true) == -EINVAL);
	CHECK(io_bitmap_check(0x10000, 1, false) == -EINVAL);
	CHECK(io_bitmap_check(0, IO_PORTS, false) == 0);
	CHECK(io_bitmap_check(0, IO_PORTS + 1, false) == -EINVAL);
	CHECK(io_bitmap_check(UINT64_MAX, 2, true) == -EINVAL); /* wraps to 1 */
	CHECK(io_bitmap_check(2, UINT64_MAX, false) == -EINVAL);
	CHECK(io_bitmap_check(0x80, 1, true) == 0);
	CHECK(io_bitmap_check(0x2f8, 8, true) == 0); /* COM2: free for a user driver */
	return NULL;
}

static const char *test_kernel_ports(void)
{
	static const uint32_t ports[] = {0x20, 0x21, 0x40, 0x43, 0x60, 0x61, 0x64, 0x70, 0x71,
					 0xa0, 0xa1, 0xe9, 0xf4, 0x3f8, 0x3ff};

	for (unsigned i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		CHECKF(io_bitmap_kernel_port(ports[i]), "port 0x%x", ports[i]);
		CHECKF(io_bitmap_check(ports[i], 1, true) == -EPERM, "grant 0x%x", ports[i]);
		CHECKF(io_bitmap_check(ports[i], 1, false) == 0, "revoke 0x%x", ports[i]);
	}
	CHECK(!io_bitmap_kernel_port(0x80) && !io_bitmap_kernel_port(0x3f7));
	CHECK(!io_bitmap_kernel_port(0x400) && !io_bitmap_kernel_port(0x22));
	CHECK(io_bitmap_check(0x3f0, 8, true) == 0);      /* ends just before COM1 */
	CHECK(io_bitmap_check(0x3f0, 9, true) == -EPERM); /* its last port is COM1's first */
	CHECK(io_bitmap_check(0x3ff, 2, true) == -EPERM);
	CHECK(io_bitmap_check(0, IO_PORTS, true) == -EPERM);
	CHECK(io_bitmap_check(0x400, IO_PORTS - 0x400, true) == 0);
	return NULL;
}

static uint8_t map[IO_BITMAP_BYTES];
static bool model[IO_PORTS]; /* true: allowed */

/* Every port: the bitmap agrees with the model. */
static const char *compare(void)
{
	for (uint32_t port = 0; port < IO_PORTS; port++)
		CHECKF(io_bitmap_allows(map, port) == model[port], "port 0x%x", port);
	return NULL;
}

static const char *test_updates(void)
{
	uint64_t seed = 18;

	io_bitmap_deny_all(map);
	memset(model, 0, sizeof(model));
	CHECK_OK(compare());
	for (int i = 0; i < 20000; i++) {
		uint32_t from = (uint32_t)random_below(&seed, IO_PORTS);
		uint64_t kind = random_below(&seed, 4);
		uint32_t max = IO_PORTS - from;
		uint32_t num = kind == 0 ? 1 : kind == 1 ? (uint32_t)random_below(&seed, 20) + 1
				  : (uint32_t)random_below(&seed, max < 3000 ? max : 3000) + 1;
		if (kind == 3)
			from &= ~7u; /* byte-aligned start */
		if (num > IO_PORTS - from)
			num = IO_PORTS - from;
		bool allow = random_below(&seed, 2);

		io_bitmap_update(map, from, num, allow);
		for (uint32_t p = from; p < from + num; p++)
			model[p] = allow;
		if (i % 500 == 0 || num < 17)
			CHECK_OK(compare());
	}
	CHECK_OK(compare());
	io_bitmap_update(map, 0, IO_PORTS, true);
	for (uint32_t b = 0; b < IO_BITMAP_BYTES; b++)
		CHECK(map[b] == 0);
	io_bitmap_update(map, 0, IO_PORTS, false);
	for (uint32_t b = 0; b < IO_BITMAP_BYTES; b++)
		CHECK(map[b] == 0xff);
	return NULL;
}

static const struct selftest io_bitmap_tests[] = {
	{"ranges", "empty, past 0x10000 and wrapping ranges: -EINVAL; the edges valid",
	 test_ranges},
	{"kernel_ports", "granting a range touching a kernel port: -EPERM; revoking it: allowed",
	 test_kernel_ports},
	{"updates", "20,000 random grants and revocations match a per-port model",
	 test_updates},
};

SELFTEST_SUITE(io_bitmap, io_bitmap_tests);
