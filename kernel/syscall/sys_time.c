/*
 * sys_time.c - the clocks and the time system calls (see sys_time.h).
 *
 * TSC cycles become nanoseconds as cycles / hz seconds plus the remainder
 * scaled: (cycles % hz) * 10^9 / hz stays below 2^63 for any TSC under
 * 9 GHz, so no 128-bit division (which a freestanding kernel would have to
 * supply) is needed. CLOCK_REALTIME is an offset added to CLOCK_MONOTONIC:
 * realtime_offset_ns = (Unix time of the CMOS reading) - (monotonic time of
 * that reading), written once at boot before any process runs.
 *
 * Invariants:
 *   [x] realtime_offset_ns is written once, by clock_time_init, before
 *       user mode starts; readers take no lock;
 *   [x] a sleep's deadline saturates instead of overflowing (a request of
 *       INT64_MAX seconds sleeps "forever", until a kill).
 * Context: see sys_time.h.
 */
#include "kernel/syscall/sys_time.h"

#include "drivers/rtc.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/proc/process.h"
#include "kernel/sched/schedule.h"
#include "kernel/timer.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/uapi.h"
#include "mm/uaccess.h"

static uint64_t realtime_offset_ns;
static bool realtime_from_rtc;

/* TSC cycles to nanoseconds at hz cycles a second (hz > 0). */
static uint64_t cycles_to_ns(uint64_t cycles, uint64_t hz)
{
	return cycles / hz * NSEC_PER_SEC + cycles % hz * NSEC_PER_SEC / hz;
}

uint64_t clock_monotonic_ns(void)
{
	uint64_t hz = timer_tsc_hz();

	return hz ? cycles_to_ns(rdtsc() - timer_entry_tsc(), hz) : 0;
}

uint64_t clock_realtime_ns(void)
{
	return realtime_offset_ns + clock_monotonic_ns();
}

bool clock_realtime_from_rtc(void)
{
	return realtime_from_rtc;
}

void clock_time_init(void)
{
	struct rtc_date d;
	int ret = rtc_read(&d);
	uint64_t now = clock_monotonic_ns();

	if (ret == 0) {
		realtime_offset_ns = (uint64_t)rtc_date_to_unix(&d) * NSEC_PER_SEC - now;
		realtime_from_rtc = true;
		kprintf("clock: CMOS date %04u-%02u-%02u %02u:%02u:%02u UTC: CLOCK_REALTIME set\n",
			d.year, d.month, d.day, d.hour, d.minute, d.second);
	} else {
		kprintf("clock: no valid CMOS date (%s): CLOCK_REALTIME counts from 1970\n",
			errno_name(ret));
	}
}

static struct linux_timespec timespec_from_ns(uint64_t ns)
{
	return (struct linux_timespec){(int64_t)(ns / NSEC_PER_SEC), (int64_t)(ns % NSEC_PER_SEC)};
}

/* CPU time of the calling thread, its current stretch included. */
static uint64_t thread_cpu_ns(void)
{
	const struct thread *t = thread_current();
	uint64_t hz = timer_tsc_hz();
	uint64_t cycles = t->run_cycles + (rdtsc() - t->last_switch_in);

	return hz ? cycles_to_ns(cycles, hz) : 0;
}

long sys_clock_gettime(int clock, virt_addr_t tp)
{
	uint64_t ns;

	switch (clock) {
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_COARSE:
		ns = clock_realtime_ns();
		break;
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME: /* nothing suspends: boot time is monotonic time */
		ns = clock_monotonic_ns();
		break;
	case CLOCK_PROCESS_CPUTIME_ID:
	case CLOCK_THREAD_CPUTIME_ID: /* one thread per process: the same */
		ns = thread_cpu_ns();
		break;
	default:
		return -EINVAL;
	}
	struct linux_timespec ts = timespec_from_ns(ns);
	return copy_to_user(tp, &ts, sizeof(ts)) ? -EFAULT : 0;
}

/* A valid duration for nanosleep: tv_sec >= 0, 0 <= tv_nsec < 10^9. */
static bool timespec_valid(const struct linux_timespec *ts)
{
	return ts->tv_sec >= 0 && ts->tv_nsec >= 0 && (uint64_t)ts->tv_nsec < NSEC_PER_SEC;
}

/* ts in nanoseconds, saturating at UINT64_MAX (ts valid). */
static uint64_t timespec_to_ns_saturated(const struct linux_timespec *ts)
{
	if ((uint64_t)ts->tv_sec >= UINT64_MAX / NSEC_PER_SEC)
		return UINT64_MAX;
	return (uint64_t)ts->tv_sec * NSEC_PER_SEC + (uint64_t)ts->tv_nsec;
}

long sys_nanosleep(virt_addr_t req, virt_addr_t rem)
{
	struct linux_timespec ts;

	if (copy_from_user(&ts, req, sizeof(ts)))
		return -EFAULT;
	if (!timespec_valid(&ts))
		return -EINVAL;
	uint64_t start = clock_monotonic_ns(), length = timespec_to_ns_saturated(&ts);
	uint64_t deadline = length > UINT64_MAX - start ? UINT64_MAX : start + length;

	for (uint64_t now = start; now < deadline; now = clock_monotonic_ns()) {
		if (signal_pending()) {
			struct linux_timespec left = timespec_from_ns(deadline - now);
			if (rem && copy_to_user(rem, &left, sizeof(left)))
				return -EFAULT;
			return -EINTR;
		}
		thread_sleep_ticks(1); /* one tick at a time: a kill is seen within a tick */
	}
	return 0;
}
