/*
 * uaccess_host.h - the host's stand-ins for the kernel's user-copy
 * machinery, for test_uaccess.c and test_user_space.c: the simulated
 * arch_copy_user (mm/arch.h), the kernel address space and current_space()
 * (mm/kernel_space.h), over the simulated RAM arena.
 *
 * The simulated copy walks the current space page by page like the CPU:
 * a page that is not present, or read-only for a write, is a fault, passed
 * to fault_handle() with FAULT_USER (and FAULT_WRITE, FAULT_PRESENT as the
 * CPU would say) with interrupts off, as the kernel's #PF handler does for
 * a fault whose RIP is in the exception table; a violation ends the copy.
 *
 * Invariants:
 *   [x] user bytes are read and written only through the direct map of the
 *       frames the current space maps (phys_to_virt of the translation);
 *   [x] each fault is counted once, resolved or not.
 * Hosted code, one thread.
 */
#ifndef TESTS_HOST_UACCESS_HOST_H
#define TESTS_HOST_UACCESS_HOST_H

#include <stdint.h>

#include "mm/fault.h"
#include "mm/paging.h"
#include "mm/user_space.h"

/*
 * The simulated initrd: HOST_INITRD_SIZE bytes of reserved arena RAM at
 * HOST_INITRD_PHYS (never handed to the buddy allocator, as GRUB's module
 * is not), filled by host_user_begin with a pattern: byte i is
 * host_initrd_byte(i).
 */
#define HOST_INITRD_PHYS (48ull << 20)
#define HOST_INITRD_SIZE (1ull << 20)
static inline uint8_t host_initrd_byte(uint64_t i)
{
	return (uint8_t)(i * 7 + (i >> 12) + 1);
}

/* Faults the simulated copies took since the last reset, and how many were violations. */
extern uint64_t host_copy_faults;
extern uint64_t host_copy_violations;

/*
 * Make as the current space (current_space()), as the kernel's switch
 * would for the running thread.
 */
void host_uaccess_use(struct address_space *as);

/*
 * Start a test: the arena (built once: RAM [0, 64 MiB), the initrd
 * reserved, watermarks 0), fresh slab and kmalloc, kernel_space, and us
 * created and made current. NULL or the reason it failed.
 */
const char *host_user_begin(struct user_space *us);

/*
 * End it: destroy us and kernel_space, shrink the slabs, and require the
 * buddy allocator's free pages back where host_user_begin found them (no
 * frame or table leaked), the user page counters (AnonPages, Mapped) too,
 * its invariants, and the initrd's bytes intact.
 */
const char *host_user_end(struct user_space *us);

/*
 * Simulated user accesses to a space (need not be the current one), for
 * the tests of spaces side by side (fork, IPC memory):
 *   host_user_touch  a user fault at va as the #PF handler makes it
 *                    (interrupts off; FAULT_PRESENT if mapped): 0 resolved,
 *                    -EFAULT violation, -EAGAIN a pager's; *out (if not
 *                    NULL) gets the decision;
 *   host_user_frame  the frame behind va (0: not mapped), *flags its MAP_*;
 *   host_user_poke   a user write of value at va (faulted writable first if
 *                    the CPU would): NULL, or why it was refused;
 *   host_user_peek   the byte a user read of va sees (faulted in first);
 *                    -1 if the read faults.
 */
int host_user_touch(struct user_space *us, virt_addr_t va, unsigned access, struct fault *out);
phys_addr_t host_user_frame(struct user_space *us, virt_addr_t va, unsigned *flags);
const char *host_user_poke(struct user_space *us, virt_addr_t va, uint8_t value);
int host_user_peek(struct user_space *us, virt_addr_t va);

#endif
