/*
 * sched_arch.h - the little the scheduling policy needs from the CPU.
 *
 * The policy (sched.c: run queues, priorities, time slices, sleeping,
 * affinity) builds both into the kernel and into a host test program, as
 * mm/'s core does. Like mm/, it reaches the CPU only through mm/arch.h:
 * the interrupt flag (arch_irq_save/restore, ASSERT_IRQS_OFF) and the CPU
 * number. On the host mm/arch.h keeps the interrupt state as a nesting
 * count (tests/host/mm_arch_host.c), so the policy's "interrupts off"
 * contracts are checked there too.
 *
 * Invariants:
 *   [x] SCHED_MAX_CPUS equals MM_MAX_CPUS: one run queue per CPU the memory
 *       manager keeps per-CPU lists for.
 * Any context.
 */
#ifndef KERNEL_SCHED_SCHED_ARCH_H
#define KERNEL_SCHED_SCHED_ARCH_H

#include "mm/arch.h"

#define SCHED_MAX_CPUS MM_MAX_CPUS

#endif
