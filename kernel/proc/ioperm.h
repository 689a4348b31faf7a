/*
 * ioperm.h - a process's I/O port permissions: Linux's ioperm(2) and what
 * fork and exit do with them.
 *
 * A process that never called ioperm has no bitmap and may use no port
 * from ring 3 (an in or out raises #GP: SIGSEGV). The first ioperm that
 * grants a port gives it a bitmap (8 KiB, every port denied but the
 * range); fork copies it, execve keeps it (the process stays the same),
 * exit frees it. Which ports may be granted is io_bitmap.h's policy.
 * Each change takes a fresh generation number, so a CPU copies a bitmap
 * into its TSS only when it differs from the one loaded (gdt.h).
 *
 * Invariants:
 *   [x] p->io_bitmap == NULL iff p->io_generation == 0;
 *   [x] generations are never reused (a 64-bit counter).
 * Context: process context (allocates); the calling process's own thread
 * for process_ioperm.
 */
#ifndef KERNEL_PROC_IOPERM_H
#define KERNEL_PROC_IOPERM_H

#include <stdint.h>

#include "lib/compiler.h"

struct process;

/*
 * ioperm(from, num, turn_on) for the calling process: 0, -EINVAL (bad
 * range), -EPERM (a kernel port, io_bitmap.h), -ENOMEM. Takes effect
 * before the return to ring 3.
 */
long process_ioperm(uint64_t from, uint64_t num, int turn_on);

/* child (not yet running) gets a copy of parent's bitmap: 0 or -ENOMEM. */
int process_io_fork(struct process *child, const struct process *parent) __must_check;

/* Free p's bitmap (exit, or a fork child that never ran). */
void process_io_release(struct process *p);

#endif
