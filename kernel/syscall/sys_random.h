/*
 * sys_random.h - getrandom: random bytes for programs (musl's malloc and
 * stack protector seeds, hash tables).
 *
 * Where the CPU has RDRAND (CPUID.01H:ECX[30], SDM Vol. 1 7.3.17), each
 * 8 bytes come from it. Elsewhere (QEMU's default qemu64 CPU has none)
 * Pagoda falls back to lib/random.h's xorshift64*, seeded at first use
 * from the TSC and the real-time clock and stirred with the TSC on every
 * call: unpredictable enough for hash seeds, NOT cryptographic. The flags
 * are Linux's: GRND_NONBLOCK and GRND_RANDOM change nothing here (the
 * source never blocks), GRND_INSECURE is accepted alone.
 *
 * Invariants:
 *   [x] bytes reach the process only through copy_to_user;
 *   [x] the fallback generator's state is never 0 and is changed under its
 *       lock only.
 * Context: a process's thread in a system call (interrupts on, no lock held).
 */
#ifndef KERNEL_SYSCALL_SYS_RANDOM_H
#define KERNEL_SYSCALL_SYS_RANDOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mm/layout.h"

#define GRND_INSECURE 0x4           /* Linux 5.6: no wait for the pool to be ready */

/* 8 random bytes (RDRAND, else the seeded generator). Any context. */
uint64_t random_u64(void);

/* Does this machine's CPU have RDRAND? */
bool random_has_rdrand(void);

long sys_getrandom(virt_addr_t buf, size_t len, unsigned flags);

#endif
