/*
 * test_syscall.c - kernel-only checks of the system-call layer (suite
 * `syscall`) that need no user process: the dispatch table against the
 * issue's list of calls, the -ENOSYS path and its once-only log bitmap,
 * the low-32-bit number rule, the clocks (CLOCK_MONOTONIC advances with a
 * sleep, CLOCK_REALTIME is the CMOS date), the random source, and the
 * argument checks handlers make before they look at a process (bad clock
 * ids, flags, kernel pointers: -EINVAL, -EFAULT). What needs a process
 * (descriptors, memory, signals) is tested from ring 3 by user/usertests/;
 * the pure helpers on the host (tests/host/test_syscall.c).
 */
#include "drivers/rtc.h"
#include "kernel/arch/x86_64/trap.h"
#include "kernel/sched/schedule.h"
#include "kernel/selftest.h"
#include "kernel/syscall/sys_fs.h"
#include "kernel/syscall/sys_mm.h"
#include "kernel/syscall/sys_process.h"
#include "kernel/syscall/sys_random.h"
#include "kernel/syscall/sys_signal.h"
#include "kernel/syscall/sys_time.h"
#include "kernel/syscall/syscall.h"
#include "kernel/syscall/syscall_names.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "lib/uapi.h"

/* Every call issues 15, 16 and 18 ask for, by number. */
static const unsigned required[] = {
	SYS_read, SYS_write, SYS_writev, SYS_open, SYS_openat, SYS_close, SYS_fstat, SYS_lseek,
	SYS_mmap, SYS_munmap, SYS_mprotect, SYS_brk, SYS_madvise, SYS_mincore, SYS_exit,
	SYS_exit_group, SYS_getpid, SYS_gettid, SYS_getppid, SYS_sched_yield, SYS_nanosleep,
	SYS_clock_gettime, SYS_uname, SYS_arch_prctl, SYS_set_tid_address, SYS_ioctl,
	SYS_rt_sigaction, SYS_rt_sigprocmask, SYS_getrandom, SYS_getrusage,
	/* Issue 16: signals. */
	SYS_rt_sigreturn, SYS_kill, SYS_tkill, SYS_tgkill, SYS_pause, SYS_rt_sigsuspend,
	SYS_rt_sigpending, SYS_sigaltstack,
	/* Issue 16: processes. */
	SYS_fork, SYS_vfork, SYS_clone, SYS_wait4, SYS_setpgid, SYS_getpgid, SYS_getpgrp,
	/* Issue 16: exec. */
	SYS_execve,
	/* Issue 16: descriptors and pipes (sys_fd.c). */
	SYS_pipe, SYS_pipe2, SYS_dup, SYS_dup2, SYS_dup3, SYS_fcntl,
	/* Issue 18: I/O ports for drivers in user space. */
	SYS_ioperm,
};

/* A kernel address: no system call may accept it as a user buffer. */
static virt_addr_t kernel_pointer(void)
{
	static uint64_t target;

	return (virt_addr_t)(uintptr_t)&target;
}

static const char *test_table(void)
{
	unsigned n = sizeof(required) / sizeof(required[0]);

	for (unsigned i = 0; i < n; i++) {
		CHECKF(syscall_implemented(required[i]), "%s (%u) has no handler",
		       syscall_name(required[i]), required[i]);
		CHECKF(syscall_name(required[i]) != NULL, "%u has no name", required[i]);
	}
	CHECKF(syscall_implemented_count() == n, "%u handlers, the issue lists %u",
	       syscall_implemented_count(), n);
	CHECK(!syscall_implemented(SYS_ptrace) && !syscall_implemented(SYS_futex));
	CHECK(!syscall_implemented(SYSCALL_TABLE_SIZE) && !syscall_implemented(UINT64_MAX));
	CHECK(syscall_name_count() == 362);
	for (size_t i = 0; i + 1 < syscall_name_count(); i++)
		CHECK(syscall_name_at(i)->nr < syscall_name_at(i + 1)->nr);
	return NULL;
}

static const char *test_log_once(void)
{
	uint64_t bits[SYSCALL_LOG_BITS / 64];

	memset(bits, 0, sizeof(bits));
	CHECK(syscall_log_first_time(bits, SYS_fork));
	CHECK(!syscall_log_first_time(bits, SYS_fork));
	CHECK(syscall_log_first_time(bits, SYS_futex));
	CHECK(syscall_log_first_time(bits, 0));
	CHECK(syscall_log_first_time(bits, 600));              /* beyond: the last bit */
	CHECK(!syscall_log_first_time(bits, UINT64_MAX));
	CHECK(!syscall_log_first_time(bits, SYSCALL_LOG_BITS - 1));
	unsigned set = 0;
	for (unsigned bit = 0; bit < SYSCALL_LOG_BITS; bit++)
		set += (bits[bit / 64] >> (bit % 64)) & 1;
	CHECKF(set == 4, "%u bits set, expected 4", set);
	return NULL;
}

static const char *test_dispatch(void)
{
	struct trap_frame f;

	memset(&f, 0, sizeof(f));
	f.rax = 9999; /* no process: -ENOSYS, nothing logged */
	syscall_dispatch(&f);
	CHECKF((long)f.rax == -ENOSYS, "nr 9999 gave %ld", (long)f.rax);
	f.rax = SYS_futex; /* not implemented (fork is, and needs a process) */
	syscall_dispatch(&f);
	CHECK((long)f.rax == -ENOSYS);
	f.rax = SYS_clock_gettime;
	f.rdi = 99; /* no such clock */
	syscall_dispatch(&f);
	CHECKF((long)f.rax == -EINVAL, "clock_gettime(99) gave %ld", (long)f.rax);
	f.rax = (1ull << 32) | SYS_clock_gettime; /* Linux reads eax: still clock_gettime */
	syscall_dispatch(&f);
	CHECK((long)f.rax == -EINVAL);
	f.rax = SYS_clock_gettime;
	f.rdi = CLOCK_MONOTONIC;
	f.rsi = kernel_pointer(); /* the second argument register */
	syscall_dispatch(&f);
	CHECK((long)f.rax == -EFAULT);
	return NULL;
}

static const char *test_clocks(void)
{
	uint64_t a = clock_monotonic_ns();

	thread_sleep_ms(30);
	uint64_t b = clock_monotonic_ns();
	/* Loose bounds: under TCG on a loaded host the tick and the TSC drift apart. */
	CHECKF(b >= a + 10000000ull, "monotonic moved %lu ns across a 30 ms sleep", b - a);
	CHECKF(b - a < 5000000000ull, "monotonic moved %lu ns across a 30 ms sleep", b - a);
	uint64_t real = clock_realtime_ns(), mono = clock_monotonic_ns();
	if (clock_realtime_from_rtc())
		CHECKF(real / NSEC_PER_SEC > 1577836800ull && real / NSEC_PER_SEC < 4102444800ull,
		       "CLOCK_REALTIME is %lu s: not between 2020 and 2100", real / NSEC_PER_SEC);
	/* CLOCK_REALTIME is CLOCK_MONOTONIC plus a fixed anchor: their distance never moves. */
	uint64_t anchor = real - mono;
	thread_sleep_ms(20);
	uint64_t drift = clock_realtime_ns() - clock_monotonic_ns() - anchor;
	CHECKF(drift < 1000000ull || drift > UINT64_MAX - 1000000ull,
	       "CLOCK_REALTIME moved %ld ns against CLOCK_MONOTONIC across a sleep", (long)drift);
	/*
	 * The CMOS clock itself: a valid date, not before the one read at boot. (Not
	 * compared with CLOCK_REALTIME to the second: the two part by the TSC
	 * calibration's error times the uptime, which under TCG on a loaded host
	 * reaches whole seconds within a minute.)
	 */
	struct rtc_date d;
	CHECK(rtc_read(&d) == 0 && rtc_date_valid(&d));
	int64_t cmos = rtc_date_to_unix(&d);
	CHECKF(!clock_realtime_from_rtc() || cmos + 1 >= (int64_t)(anchor / NSEC_PER_SEC),
	       "the CMOS clock reads %ld s, before the boot's %lu s", cmos, anchor / NSEC_PER_SEC);
	return NULL;
}

static const char *test_random(void)
{
	uint64_t a = random_u64(), b = random_u64(), c = random_u64();

	CHECK(!(a == b && b == c));
	CHECK(a != 0 || b != 0);
	return NULL;
}

static const char *test_argument_checks(void)
{
	virt_addr_t k = kernel_pointer();

	CHECK(sys_clock_gettime(-1, 0) == -EINVAL);
	CHECK(sys_clock_gettime(8, 0) == -EINVAL);
	CHECK(sys_clock_gettime(CLOCK_REALTIME, k) == -EFAULT);
	CHECK(sys_nanosleep(k, 0) == -EFAULT);
	CHECK(sys_getrandom(0x1000, 8, 0x80) == -EINVAL);
	CHECK(sys_getrandom(0x1000, 8, GRND_INSECURE | GRND_RANDOM) == -EINVAL);
	CHECK(sys_getrandom(k, 8, 0) == -EFAULT);
	CHECK(sys_getrandom(USER_TOP - 4, 8, 0) == -EFAULT);
	CHECK(sys_uname(k) == -EFAULT);
	CHECK(sys_getrusage(2, 0) == -EINVAL);
	CHECK(sys_getrusage(-2, 0) == -EINVAL);
	CHECK(sys_arch_prctl(0x1001 /* ARCH_SET_GS */, 0) == -EINVAL);
	CHECK(sys_arch_prctl(0x9999, 0) == -EINVAL);
	CHECK(sys_arch_prctl(ARCH_SET_FS, USER_TOP) == -EPERM);
	CHECK(sys_arch_prctl(ARCH_SET_FS, k) == -EPERM);
	CHECK(sys_rt_sigprocmask(SIG_BLOCK, 0, 0, 4) == -EINVAL);
	CHECK(sys_rt_sigaction(SIGINT, 0, 0, 16) == -EINVAL);
	CHECK(sys_rt_sigaction(SIGINT, k, 0, 8) == -EFAULT);
	CHECK(sys_mmap(0, PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 1) == -EINVAL);
	CHECK(sys_mprotect(0x10000, PAGE_SIZE, 1ull << 32) == -EINVAL);
	CHECK(sys_mincore(0x10001, PAGE_SIZE, 0x20000) == -EINVAL);
	CHECK(sys_mincore(0x10000, USER_TOP, 0x20000) == -ENOMEM);
	CHECK(sys_mincore(0x10000, PAGE_SIZE, k) == -EFAULT);
	return NULL;
}

static const struct selftest syscall_tests[] = {
	{"table", "every call of the issue has a handler and a name; nothing else does",
	 test_table},
	{"log_once", "the -ENOSYS log bitmap: once per number, big numbers share a bit",
	 test_log_once},
	{"dispatch", "frames in, rax out: -ENOSYS, eax-only numbers, argument registers",
	 test_dispatch},
	{"clocks", "CLOCK_MONOTONIC follows a 30 ms sleep; CLOCK_REALTIME = boot CMOS date + it",
	 test_clocks},
	{"random", "the random source does not repeat itself", test_random},
	{"arg_checks", "checks made before any process state: -EINVAL, -EFAULT, -EPERM, -ENOMEM",
	 test_argument_checks},
};

SELFTEST_SUITE(syscall, syscall_tests);
