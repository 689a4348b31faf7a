/*
 * trace.h - the system-call tracer behind `run -t`: each call of a traced
 * process (PROCESS_TRACE) becomes one line in strace's format,
 *
 *     [pid 7] openat(AT_FDCWD, "usertests.dat", O_RDONLY) = 3
 *     [pid 7] mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7effff000
 *     [pid 7] openat(AT_FDCWD, "nosuch", O_RDONLY) = -1 ENOENT (No such file or directory)
 *     [pid 7] exit_group(0) = ?
 *
 * so that a student can put a program's behaviour on Pagoda beside
 * `strace -f` of the same binary on Linux, line by line. This file is the
 * decoder: a table of argument kinds per call number (a fd, a string, open
 * flags, a signal...) and the formatting, as pure functions over the six
 * argument registers, the result and a function that reads user memory
 * (copy_from_user in the kernel, a fake in tests/host/test_trace.c).
 * syscall_dispatch calls it only for traced processes; untraced calls pay
 * one predictable branch.
 *
 * Invariants:
 *   [x] a line never exceeds TRACE_LINE_MAX - 1 characters (a longer call
 *       is cut with "...", its result still shown), and user memory is read only through the read
 *       function, at most TRACE_STRING_MAX + 1 bytes per string shown;
 *   [x] memory that cannot be read is shown as its address, never trusted;
 *   [x] a call that replaces the caller's memory (execve) or never returns
 *       (exit, exit_group) is decoded before it runs.
 * Context: pure (no state, no locks); the read function decides where the
 * caller may be (process context for copy_from_user: it may fault, sleep).
 */
#ifndef KERNEL_SYSCALL_TRACE_H
#define KERNEL_SYSCALL_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TRACE_LINE_MAX 400     /* one line, its NUL included */
#define TRACE_STRING_MAX 32    /* bytes of a string or buffer shown (strace -s 32) */
#define TRACE_ARRAY_MAX 8      /* entries of argv or an iovec shown, then "..." */
#define TRACE_ARGS 6

/* Read n bytes at user address src into dst: 0, or -EFAULT. copy_from_user's type. */
typedef int (*trace_read_fn)(void *dst, uint64_t src, size_t n);

/* One call being traced: what trace_enter saw, and the line. */
struct trace_line {
	int pid;                       /* the caller's */
	uint64_t nr;                   /* the number (low 32 bits of rax) */
	uint64_t args[TRACE_ARGS];     /* rdi, rsi, rdx, r10, r8, r9 at entry */
	size_t len;                    /* characters in text */
	size_t cap;                    /* text's room now (smaller while the call part is written) */
	size_t call_end;               /* text[0, call_end): "[pid N] name(args)" once decoded */
	char text[TRACE_LINE_MAX];     /* NUL-terminated */
};

/*
 * Start tracing call nr of process pid with args (six registers). Decodes
 * now the calls whose memory is gone or whose return never comes after
 * they run. Returns true when the call does not return (exit, exit_group):
 * t->text is then the complete line ("... = ?"), to print before the call.
 */
bool trace_enter(struct trace_line *t, int pid, uint64_t nr, const uint64_t args[TRACE_ARGS],
		 trace_read_fn read);

/*
 * Finish the line with the call's result (the value rax gets: >= 0, or
 * -errno): decodes the arguments now unless trace_enter did (output
 * arguments such as pipe's descriptors or read's data are shown only when
 * the call succeeded), then " = RESULT" as strace writes it. t->text is
 * the line to print, without a newline.
 */
void trace_exit(struct trace_line *t, long result, trace_read_fn read);

/*
 * The C library's text of error number err (positive: "No such file or
 * directory"), or NULL for a number this table does not name.
 */
const char *trace_errno_text(int err);

#endif
