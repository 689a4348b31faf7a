/*
 * user_stack.h - the initial stack of a new program, as the System V x86-64
 * ABI (section 3.4.1, "Initial Stack and Register State") and Linux lay it
 * out, so that musl's _start finds argc, argv, envp and the auxiliary vector:
 *
 *   top (USER_STACK_TOP)  ->  +----------------------------------+
 *                             | 8 zero bytes (end marker)        |
 *                             | execfn, envp and argv strings    |
 *                             | AT_RANDOM's 16 bytes             |
 *                             | padding to 16 bytes              |
 *                             | auxv: (type, value) ... AT_NULL  |
 *                             | NULL, envp[n-1] ... envp[0]      |
 *                             | NULL, argv[argc-1] ... argv[0]   |
 *   rsp at entry (16-aligned) | argc                             |
 *                             +----------------------------------+
 *
 * The builder is pure: it writes the image into a caller's buffer that
 * stands for the top of the stack, with pointers computed for where the
 * buffer's bytes will be in the user address space; exec copies the buffer
 * in with user_space_write().
 * Invariants (of a built image):
 *   [x] the stack pointer is 16-byte aligned (rsp % 16 == 0 at _start, the
 *       ABI's rule for process entry) and points at argc;
 *   [x] every pointer in it points inside the image, at a NUL-terminated string
 *       or AT_RANDOM's bytes;
 *   [x] the image is at most USER_STACK_IMAGE_MAX bytes.
 * Context: any; no allocation; host-compilable.
 */
#ifndef KERNEL_PROC_USER_STACK_H
#define KERNEL_PROC_USER_STACK_H

#include <stddef.h>
#include <stdint.h>

#include "lib/compiler.h"
#include "mm/layout.h"

#define USER_STACK_IMAGE_MAX (64u << 10) /* largest initial image (args, env, auxv): -E2BIG above */
#define USER_ARGS_MAX 1024               /* most argv plus envp strings */
#define USER_AUXV_PAIRS 18               /* (type, value) pairs written, AT_NULL included */
#define USER_CLKTCK 100                  /* AT_CLKTCK: times() ticks per second, as Linux */

/* What goes into the image besides the strings. */
struct user_stack_params {
	const char *const *argv;  /* NULL-terminated; may be NULL (no arguments) */
	const char *const *envp;  /* NULL-terminated; may be NULL (empty environment) */
	const char *execfn;       /* AT_EXECFN: the path exec'ed; NULL: argv[0] or "" */
	virt_addr_t phdr;         /* AT_PHDR */
	uint64_t phent;           /* AT_PHENT */
	uint64_t phnum;           /* AT_PHNUM */
	virt_addr_t entry;        /* AT_ENTRY */
	uint8_t random[16];       /* AT_RANDOM's bytes (musl seeds its stack canary with them) */
	uint64_t nameserver;      /* AT_PAGODA_NAMESERVER: the name server's handle, 0: none */
};

/*
 * Bytes the image for p takes (a multiple of 16), or -E2BIG when it would be
 * larger than USER_STACK_IMAGE_MAX or have more than USER_ARGS_MAX strings.
 */
long user_stack_size(const struct user_stack_params *p);

/*
 * Build the image for p just below user address top into buf, whose last
 * byte stands for top - 1 (buf[buf_size - 1] is at user address top - 1).
 *   top  where the stack ends: page-aligned (USER_STACK_TOP)
 *   sp   out: the stack pointer at entry (points at argc); the image is the
 *        last top - *sp bytes of buf
 * Returns 0, -E2BIG (see user_stack_size, or buf_size too small), -EINVAL (top
 * not 16-aligned or below the image).
 */
__must_check int user_stack_build(const struct user_stack_params *p, virt_addr_t top,
				  void *buf, size_t buf_size, virt_addr_t *sp);

#endif
