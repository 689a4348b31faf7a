/*
 * panic.h - stopping the kernel when it finds itself in an impossible state.
 *
 * A kernel that detects corruption (a double free, a broken list, an
 * unexpected page fault) must not carry on: the damage would only spread and
 * the evidence be lost. panic() prints why and stops for good; ASSERT() is
 * the usual way to call it, so that invariants written in comments are also
 * checked in code.
 *
 * panic() is lib/ code and so knows nothing of the CPU; the final step,
 * panic_stop(), is provided by whoever links it: the kernel
 * (kernel/arch/x86_64/panic_stop.c) prints a backtrace and halts, the host test
 * harness (tests/host/host_stubs.c) aborts the test program.
 * Context: any, including exception handlers; never returns.
 */
#ifndef LIB_PANIC_H
#define LIB_PANIC_H

#include "lib/compiler.h"
#include "lib/errno.h"

/*
 * Print "\nPANIC: <formatted message>\n" with kprintf, then panic_stop().
 * Start the message with the function name: panic("kmain: no memory map").
 * A panic raised while already panicking prints one short line and goes
 * straight to panic_stop(), so a fault in the panic path cannot loop.
 */
__noreturn void panic(const char *fmt, ...) __printf(1, 2);

/*
 * Called by panic() before it prints anything: the kernel stops the other
 * CPUs and takes the console (kernel/arch/x86_64/panic_stop.c; a second CPU
 * panicking meanwhile halts there); the host stub does nothing. Defined
 * outside lib/, like panic_stop(); must not call panic.
 */
void panic_begin(void);

/*
 * Stop for good after panic() has printed its message. Defined outside lib/
 * (see above); must not return and should not call panic().
 */
__noreturn void panic_stop(void);

/*
 * ASSERT(cond, msg): panic unless cond holds. msg names the function and the
 * problem, e.g. ASSERT(order <= MAX_ORDER, "buddy_free: bad order"); the
 * panic message adds the failed expression, file and line.
 */
#define ASSERT(cond, msg)                                                          \
	do {                                                                           \
		if (unlikely(!(cond)))                                                     \
			panic("%s (failed: %s, %s:%d)", msg, #cond, __FILE__, __LINE__);       \
	} while (0)

/*
 * MUST_SUCCEED(expr, msg): evaluate expr, an action that returns 0 or an
 * error number (-EINVAL, ...), always; panic if it fails. For a call whose
 * result is __must_check but which cannot fail where it is made (undoing a
 * step that was just done, freeing what was just allocated): msg names the
 * function and why, e.g. MUST_SUCCEED(free_page(p), "vfree: a page vmalloc
 * allocated"); the panic adds the call, its error's name, file and line.
 */
#define MUST_SUCCEED(expr, msg)                                                    \
	do {                                                                       \
		int must_succeed_err_ = (expr);                                    \
		if (unlikely(must_succeed_err_ != 0))                              \
			panic("%s (%s returned %s, %s:%d)", msg, #expr,            \
			      errno_name(must_succeed_err_), __FILE__, __LINE__);  \
	} while (0)

#endif
