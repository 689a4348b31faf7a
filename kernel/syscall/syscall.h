/*
 * syscall.h - the system-call layer: from a `syscall` instruction's trap
 * frame to the handler of that number, and back.
 *
 * The ABI is Linux's x86-64 one, so a static musl binary runs unchanged:
 *
 *     rax = number (Linux's, syscall_list.h)     result -> rax
 *     args: rdi, rsi, rdx, r10, r8, r9           (r10, not rcx: syscall
 *                                                 itself overwrites rcx, r11)
 *
 * A result in [-4095, -1] is a negated errno (lib/errno.h): libc turns it
 * into -1 with errno set. The entry code (kernel/arch/x86_64/
 * syscall_entry.asm) saves every register in a struct trap_frame on the
 * thread's kernel stack and calls syscall_dispatch(), which looks the number
 * up in a table indexed by number and stores the handler's result in
 * frame->rax. A number with no handler returns -ENOSYS and, once per process
 * and number, logs "pid N (name): unimplemented system call NAME (nr)".
 *
 * Invariants:
 *   [x] the fast path (an implemented number) takes no lock and runs no loop:
 *       one test of syscall_trace_armed, one bounds check, one table load,
 *       one indirect call;
 *   [x] every user pointer a handler takes goes through mm/uaccess.h;
 *   [x] frame->rax holds the result on return; no other register changes
 *       except through a handler that means to (none today).
 * Context: process context on the calling thread's kernel stack, interrupts
 * on, no lock held; handlers may sleep (read, nanosleep) and fault (user
 * copies).
 */
#ifndef KERNEL_SYSCALL_SYSCALL_H
#define KERNEL_SYSCALL_SYSCALL_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/syscall/syscall_list.h"
#include "user/include/pagoda/ipc_abi.h" /* Pagoda's own numbers, from PAGODA_SYS_BASE */

struct trap_frame;

/* Numbers below this may have a handler; the table has one slot per number. */
#define SYSCALL_TABLE_SIZE (SYSCALL_LINUX_LAST_LEGACY + 1)

/* Numbers the once-per-process log remembers (struct process's enosys_logged bits). */
#define SYSCALL_LOG_BITS 512

/*
 * Run the system call frame->rax with the arguments in frame->rdi, rsi, rdx,
 * r10, r8, r9; store its result (>= 0, or -errno) in frame->rax. Any number
 * is accepted: one without a handler gives -ENOSYS (and its log line).
 * Called by the syscall entry code only, on the calling thread (a user
 * process's), interrupts on.
 */
void syscall_dispatch(struct trap_frame *frame);

/*
 * Tracing (`run -t`, kernel/syscall/trace.h): until the first traced
 * process, dispatch tests only syscall_trace_armed (one predictable
 * branch); syscall_trace_arm() sets it for good, and from then on each
 * call also looks at its process's PROCESS_TRACE. Any context.
 */
extern bool syscall_trace_armed;
void syscall_trace_arm(void);

/* Does Pagoda implement system call nr? Any context. */
bool syscall_implemented(uint64_t nr);

/* How many numbers have a handler. Any context. */
unsigned syscall_implemented_count(void);

/*
 * The once-per-process rule of the -ENOSYS log: set bit nr of bitmap
 * (SYSCALL_LOG_BITS bits; numbers at or above it all share the last bit)
 * and return true if it was clear (log now), false if it was set already.
 * Not atomic: the bitmap belongs to one process whose only thread calls it.
 */
bool syscall_log_first_time(uint64_t bitmap[SYSCALL_LOG_BITS / 64], uint64_t nr);

#endif
