/*
 * sys_time.h - time for programs: clock_gettime, nanosleep, and the clocks
 * behind them.
 *
 *   CLOCK_MONOTONIC  nanoseconds since the kernel's first instruction, from
 *                    the TSC (kernel/timer.h measured its rate at boot);
 *   CLOCK_REALTIME   the CMOS clock's date (drivers/rtc.h), read once at
 *                    boot, plus CLOCK_MONOTONIC's progress since: UTC, in
 *                    Unix time. No one sets it (no settimeofday, no NTP).
 *
 * nanosleep sleeps whole timer ticks (kernel/sched/schedule.h), at least
 * the time asked, one tick at a time so that a kill ends the sleep within a
 * tick (-EINTR, the time left in *rem, as Linux).
 *
 * Invariants:
 *   [x] CLOCK_MONOTONIC never goes back on one CPU (the TSC counts up;
 *       CPUs' TSCs are assumed synchronized, as QEMU and invariant-TSC
 *       machines keep them);
 *   [x] nanosleep returns 0 only after at least the time asked has passed.
 * Context: clock_time_init at boot after timer_init; the rest from a
 * process's thread in a system call (nanosleep sleeps).
 */
#ifndef KERNEL_SYSCALL_SYS_TIME_H
#define KERNEL_SYSCALL_SYS_TIME_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/layout.h"

#define NSEC_PER_SEC ((uint64_t)1000000000)

/* The clock ids Linux defines beyond REALTIME and MONOTONIC (uapi/linux/time.h). */
#define CLOCK_PROCESS_CPUTIME_ID 2
#define CLOCK_THREAD_CPUTIME_ID 3
#define CLOCK_MONOTONIC_RAW 4
#define CLOCK_REALTIME_COARSE 5
#define CLOCK_MONOTONIC_COARSE 6
#define CLOCK_BOOTTIME 7

/*
 * Read the CMOS clock once and anchor CLOCK_REALTIME to it; print the date
 * read (or why there is none: CLOCK_REALTIME then counts from 1970-01-01,
 * the boot being its epoch). Boot, after timer_init, once.
 */
void clock_time_init(void);

/* CLOCK_MONOTONIC now, in nanoseconds (0 before timer_init). Any context. */
uint64_t clock_monotonic_ns(void);

/* CLOCK_REALTIME now, in nanoseconds since 1970-01-01 00:00:00 UTC. Any context. */
uint64_t clock_realtime_ns(void);

/* Did clock_time_init get a date from the CMOS clock? */
bool clock_realtime_from_rtc(void);

long sys_nanosleep(virt_addr_t req, virt_addr_t rem);
long sys_clock_gettime(int clock, virt_addr_t tp);

#endif
