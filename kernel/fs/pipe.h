/*
 * pipe.h - pipes: a one-way byte stream between processes, as Linux's
 * pipe(2) makes it: two open files, the read end and the write end, over
 * one 64 KiB buffer (kernel/fs/pipe_ring.h).
 *
 * Linux's semantics: a read returns what is there (up to its count) and
 * blocks only while the pipe is empty and a writer exists; with no writer
 * left it returns 0 (end of file). A write blocks until every byte is in;
 * writes of at most PIPE_BUF bytes go in whole, never interleaved with
 * another writer's. With no reader left a write fails with EPIPE and the
 * writer is sent SIGPIPE. O_NONBLOCK (pipe2, F_SETFL) turns each wait into
 * EAGAIN (or a partial count). A signal ends a wait: -ERESTARTSYS, or the
 * bytes moved so far. fstat says S_IFIFO; lseek ESPIPE; FIONREAD counts.
 *
 * Invariants:
 *   [x] a pipe lives while either end is open; its pages are freed with it;
 *   [x] the end files' O_ACCMODE is O_RDONLY (read end) / O_WRONLY.
 * Context: process context, interrupts on (reads and writes sleep).
 */
#ifndef KERNEL_FS_PIPE_H
#define KERNEL_FS_PIPE_H

#include <stdbool.h>

#include "lib/compiler.h"

struct file;

/*
 * A new pipe: *rd its read end (O_RDONLY), *wr its write end (O_WRONLY),
 * each with flags & O_NONBLOCK in its status flags and one reference.
 * Returns 0, or -ENOMEM (nothing allocated).
 */
int pipe_create(int flags, struct file **rd, struct file **wr) __must_check;

/* Is f an end of a pipe? */
bool file_is_pipe(const struct file *f);

#endif
