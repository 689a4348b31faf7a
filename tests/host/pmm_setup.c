/*
 * pmm_setup.c - gives the host test program of suite `pmm` a live allocator.
 *
 * In the kernel, tests/unit/test_pmm.c runs on the allocator pmm_init()
 * built at boot. On the host, main() calls host_test_setup() (when it is
 * linked in) before the suites run, and this builds the same allocator over
 * the default simulated RAM arena (tests/host/arena.h). Hosted code.
 */
#include "lib/panic.h"
#include "tests/host/arena.h"

void host_test_setup(void);

void host_test_setup(void)
{
	int err = arena_build_default();

	if (err)
		panic("host_test_setup: cannot build the arena allocator (%d)", err);
}
