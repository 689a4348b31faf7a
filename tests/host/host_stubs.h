/*
 * host_stubs.h - what tests/host/host_stubs.c offers the host test programs
 * beyond the kernel's own interfaces.
 *
 * On the host a panic ends the program (panic_stop() calls abort()), which
 * would end the whole test run. A test that wants to see a panic happen (an
 * assertion that must trip) runs the code in a child process instead, with
 * host_expect_panic(), and reads the child's panic line.
 * Hosted code: fork, pipes and waitpid; one test program, one thread.
 */
#ifndef TESTS_HOST_HOST_STUBS_H
#define TESTS_HOST_HOST_STUBS_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Run fn(arg) in a child process (a copy of this one, so nothing it changes
 * reaches the caller). Returns true when the child panicked: it printed a
 * "PANIC: " line and ended in abort(). msg (size bytes) receives the text
 * after "PANIC: " up to the end of that line, or a description of how the
 * child ended instead ("exited with status 0 without a panic", ...).
 */
bool host_expect_panic(void (*fn)(void *arg), void *arg, char *msg, size_t size);

#endif
