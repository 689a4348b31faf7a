/*
 * process.c - usertests: identity, time, uname, arch_prctl, signal masks, getrandom,
 * getrusage, ENOSYS, the FPU state a process owns, and stack growth.
 *
 * Invariants:
 *   [x] each test releases what it mapped or opened before it passes.
 * Context: the usertests program (usertests.h).
 */
#include "usertests.h"

static const char *test_ids(void)
{
	long pid = sys(SYS_getpid), tid = sys(SYS_gettid), ppid = sys(SYS_getppid);
	int word;

	CHECK(pid > 0, "getpid = %s", ret_name(pid));
	CHECK_RET(tid, pid);   /* one thread: its id is the process's */
	CHECK(ppid >= 0 && ppid != pid, "getppid = %s (pid %ld)", ret_name(ppid), pid);
	CHECK_RET(sys(SYS_getpid), pid);
	CHECK_RET(sys(SYS_set_tid_address, &word), tid);
	CHECK_RET(sys(SYS_sched_yield), 0);
	CHECK_RET(sys(SYS_getpid), pid);
	return NULL;
}

static long ns_of(const struct timespec *t)
{
	return t->tv_sec * 1000000000l + t->tv_nsec;
}

static const char *test_clock_gettime(void)
{
	struct timespec a, b;

	CHECK_RET(sys(SYS_clock_gettime, CLOCK_MONOTONIC, &a), 0);
	CHECK(a.tv_nsec >= 0 && a.tv_nsec < 1000000000, "tv_nsec %ld", a.tv_nsec);
	for (int i = 0; i < 1000; i++) {
		CHECK_RET(sys(SYS_clock_gettime, CLOCK_MONOTONIC, &b), 0);
		CHECK(ns_of(&b) >= ns_of(&a), "CLOCK_MONOTONIC went back: %ld then %ld", ns_of(&a),
		      ns_of(&b));
		a = b;
	}
	CHECK_RET(sys(SYS_clock_gettime, CLOCK_REALTIME, &a), 0);
	CHECK(a.tv_sec > 1577836800l, "CLOCK_REALTIME %ld s is before 2020", (long)a.tv_sec);
	CHECK(a.tv_nsec >= 0 && a.tv_nsec < 1000000000, "realtime tv_nsec %ld", a.tv_nsec);
	CHECK_RET(sys(SYS_clock_gettime, 12345, &a), -EINVAL);
	return NULL;
}

static const char *test_nanosleep(void)
{
	struct timespec before, after, req = { .tv_sec = 0, .tv_nsec = 30 * 1000000 }, rem;

	CHECK_RET(sys(SYS_clock_gettime, CLOCK_MONOTONIC, &before), 0);
	CHECK_RET(sys(SYS_nanosleep, &req, &rem), 0);
	CHECK_RET(sys(SYS_clock_gettime, CLOCK_MONOTONIC, &after), 0);
	long slept = ns_of(&after) - ns_of(&before);

	CHECK(slept >= 30 * 1000000, "nanosleep(30 ms) slept %ld ns", slept);
	req.tv_nsec = 1000000000;
	CHECK_RET(sys(SYS_nanosleep, &req, NULL), -EINVAL);
	req.tv_nsec = -1;
	CHECK_RET(sys(SYS_nanosleep, &req, NULL), -EINVAL);
	req.tv_sec = -1;
	req.tv_nsec = 0;
	CHECK_RET(sys(SYS_nanosleep, &req, NULL), -EINVAL);
	req.tv_sec = 0;
	CHECK_RET(sys(SYS_nanosleep, &req, NULL), 0);
	return NULL;
}

static const char *test_uname(void)
{
	struct utsname u;

	memset(&u, 0xff, sizeof(u));
	CHECK_RET(sys(SYS_uname, &u), 0);
	CHECK(memchr(u.sysname, 0, sizeof(u.sysname)) && u.sysname[0], "sysname not a string");
	CHECK(memchr(u.release, 0, sizeof(u.release)) && u.release[0], "release not a string");
	CHECK(memchr(u.nodename, 0, sizeof(u.nodename)), "nodename not NUL-terminated");
	CHECK(memchr(u.version, 0, sizeof(u.version)), "version not NUL-terminated");
	CHECK(strcmp(u.machine, "x86_64") == 0, "machine is \"%.20s\"", u.machine);
	return NULL;
}

static uint64_t read_fs0(void)
{
	uint64_t v;

	__asm__ volatile("mov %%fs:0, %0" : "=r"(v));
	return v;
}

static const char *test_arch_prctl(void)
{
	/* musl keeps the thread pointer at %fs:0 (x86-64 TLS ABI): save it, point FS at a
	 * block of our own that holds its own address, read it back, restore. No libc
	 * call in between: errno lives behind FS. */
	static uint64_t block[8] __attribute__((aligned(64)));
	uint64_t saved = read_fs0();

	block[0] = (uint64_t)(uintptr_t)block;
	long r1 = sys(SYS_arch_prctl, ARCH_SET_FS, block);
	uint64_t seen = read_fs0();
	long r2 = sys(SYS_arch_prctl, ARCH_SET_FS, saved);
	uint64_t back = read_fs0();

	CHECK_RET(r1, 0);
	CHECK_RET(r2, 0);
	CHECK(seen == (uint64_t)(uintptr_t)block, "after ARCH_SET_FS, %%fs:0 = 0x%llx",
	      (unsigned long long)seen);
	CHECK(back == saved, "FS not restored");
	/* FS survives a trip through the scheduler. */
	CHECK_RET(sys(SYS_sched_yield), 0);
	CHECK(read_fs0() == saved, "FS changed across sched_yield");
	CHECK_RET(sys(SYS_arch_prctl, 0x9999, 0), -EINVAL);
	CHECK_RET(sys(SYS_arch_prctl, ARCH_SET_FS, KERNEL_ADDR), -EPERM);
	CHECK(read_fs0() == saved, "a refused ARCH_SET_FS changed FS");
	return NULL;
}

struct kernel_sigaction {
	unsigned long handler, flags, restorer, mask;
};

static const char *test_signals(void)
{
	struct kernel_sigaction act = { .handler = (unsigned long)SIG_IGN }, old, now;
	uint64_t set = 1ull << (SIGUSR1 - 1), oldset, cur;

	CHECK_RET(sys(SYS_rt_sigaction, SIGUSR1, &act, &old, SIGSET_SIZE), 0);
	CHECK_RET(sys(SYS_rt_sigaction, SIGUSR1, NULL, &now, SIGSET_SIZE), 0);
	CHECK(now.handler == (unsigned long)SIG_IGN, "handler read back 0x%lx", now.handler);
	CHECK_RET(sys(SYS_rt_sigaction, SIGUSR1, &old, NULL, SIGSET_SIZE), 0);
	CHECK_RET(sys(SYS_rt_sigaction, SIGUSR1, &act, NULL, 4), -EINVAL);
	CHECK_RET(sys(SYS_rt_sigaction, SIGKILL, &act, NULL, SIGSET_SIZE), -EINVAL);
	CHECK_RET(sys(SYS_rt_sigaction, SIGSTOP, &act, NULL, SIGSET_SIZE), -EINVAL);
	CHECK_RET(sys(SYS_rt_sigaction, 0, &act, NULL, SIGSET_SIZE), -EINVAL);
	CHECK_RET(sys(SYS_rt_sigaction, 65, &act, NULL, SIGSET_SIZE), -EINVAL);

	CHECK_RET(sys(SYS_rt_sigprocmask, SIG_BLOCK, &set, &oldset, SIGSET_SIZE), 0);
	CHECK_RET(sys(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &cur, SIGSET_SIZE), 0);
	CHECK(cur & set, "SIGUSR1 not blocked: mask 0x%llx", (unsigned long long)cur);
	/* SIGKILL and SIGSTOP cannot be blocked: asking is silently ignored. */
	set = 1ull << (SIGKILL - 1) | 1ull << (SIGSTOP - 1);
	CHECK_RET(sys(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, SIGSET_SIZE), 0);
	CHECK_RET(sys(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &cur, SIGSET_SIZE), 0);
	CHECK(!(cur & set), "SIGKILL/SIGSTOP blocked: mask 0x%llx", (unsigned long long)cur);
	CHECK_RET(sys(SYS_rt_sigprocmask, SIG_SETMASK, &oldset, NULL, SIGSET_SIZE), 0);
	CHECK_RET(sys(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &cur, SIGSET_SIZE), 0);
	CHECK(cur == oldset, "mask not restored");
	CHECK_RET(sys(SYS_rt_sigprocmask, 7, &set, NULL, SIGSET_SIZE), -EINVAL);
	CHECK_RET(sys(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 16), -EINVAL);
	return NULL;
}

static const char *test_getrandom(void)
{
	unsigned char a[64], b[64], zero[64] = { 0 };

	CHECK_RET(sys(SYS_getrandom, a, sizeof(a), 0), sizeof(a));
	CHECK_RET(sys(SYS_getrandom, b, sizeof(b), GRND_NONBLOCK), sizeof(b));
	CHECK(memcmp(a, zero, sizeof(a)) != 0, "64 random bytes all zero");
	CHECK(memcmp(a, b, sizeof(a)) != 0, "two calls returned the same bytes");
	CHECK_RET(sys(SYS_getrandom, a, 0, 0), 0);
	CHECK_RET(sys(SYS_getrandom, a, 8, 0x100), -EINVAL);
	return NULL;
}

static const char *test_getrusage(void)
{
	struct rusage before, after;
	char *a = map_pages(32, PROT_READ | PROT_WRITE);

	CHECK(a, "mmap failed");
	CHECK_RET(sys(SYS_getrusage, RUSAGE_SELF, &before), 0);
	for (int i = 0; i < 32; i++)
		a[i * P] = 1;
	CHECK_RET(sys(SYS_getrusage, RUSAGE_SELF, &after), 0);
	CHECK(after.ru_minflt >= before.ru_minflt + 32,
	      "32 demand-zero faults counted as %ld minor faults",
	      after.ru_minflt - before.ru_minflt);
	CHECK(after.ru_majflt >= before.ru_majflt, "ru_majflt went back");
	CHECK_RET(sys(SYS_getrusage, 5, &after), -EINVAL);
	CHECK_RET(sys(SYS_munmap, a, 32 * P), 0);
	return NULL;
}

static const char *test_enosys(void)
{
	CHECK_RET(sys(1000), -ENOSYS);
	CHECK_RET(sys(-1), -ENOSYS);
	CHECK_RET(sys(SYS_getpid) > 0, 1);   /* and the next call works */
	return NULL;
}

/* ---- the CPU state a process owns --------------------------------------------------------- */

static const char *test_fpu(void)
{
	uint32_t mxcsr;
	uint16_t fcw;
	volatile double x = 1.0;

	__asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
	__asm__ volatile("fnstcw %0" : "=m"(fcw));
	CHECK((mxcsr & 0xffc0) == 0x1f80, "initial MXCSR 0x%x, expected 0x1f80", mxcsr);
	CHECK(fcw == 0x37f, "initial x87 control word 0x%x, expected 0x37f", fcw);
	/* SSE state kept across system calls and sleeps (another thread may run). */
	for (int i = 0; i < 50; i++) {
		x = x * 1.5 + 0.25;
		if (i % 10 == 0) {
			struct timespec t = { 0, 1000000 };

			sys(SYS_nanosleep, &t, NULL);
		}
		sys(SYS_sched_yield);
	}
	double expect = 1.0;

	for (int i = 0; i < 50; i++)
		expect = expect * 1.5 + 0.25;
	CHECK(x == expect, "floating point drifted across system calls");
	long double e = 1.0L;

	for (int i = 0; i < 20; i++)
		e = e / 3.0L * 3.0L;
	CHECK(e > 0.999L && e < 1.001L, "x87 arithmetic wrong");
	return NULL;
}

static __attribute__((noinline)) long recurse(int depth)
{
	volatile char frame[4096];

	frame[0] = (char)depth;
	frame[4095] = (char)depth;
	if (depth == 0)
		return frame[0];
	return recurse(depth - 1) + frame[4095];
}

static const char *test_stack_growth(void)
{
	/* 2 MiB of stack below main's: 512 frames of 4 KiB, each page touched. */
	long want = 0;

	for (int d = 1; d <= 512; d++)
		want += (char)d;
	CHECK_RET(recurse(512), want);
	return NULL;
}

/* A copy into the stack's growth area, below what the stack has used so far, grows
 * the stack as the process's own store would (a fault resolved during the copy). */
static const char *test_copy_grows_stack(void)
{
	char here;
	char *deep = (char *)(((uintptr_t)&here - (7ul << 20)) & ~(P - 1));   /* 7 MiB down */
	long fd = sys(SYS_open, DATA_FILE, O_RDONLY);
	unsigned char vec;

	CHECK(fd >= 0, "open = %s", ret_name(fd));
	long before = sys(SYS_mincore, deep, P, &vec);

	CHECK(before == -ENOMEM || (before == 0 && !(vec & 1)),
	      "7 MiB below the stack pointer is already in use: mincore = %s", ret_name(before));
	CHECK_RET(sys(SYS_read, fd, deep + 100, 16), 16);
	CHECK(!pattern_mismatch((unsigned char *)deep + 100, 0, 16), "wrong bytes in the stack");
	CHECK_RET(sys(SYS_mincore, deep, P, &vec), 0);
	CHECK(vec & 1, "the page the copy wrote is not resident");
	CHECK_RET(sys(SYS_close, fd), 0);
	return NULL;
}

/* The guard page below the stack's limit: no copy reaches it, no mapping replaces it
 * quietly (Linux keeps a gap, not a mapping, so this is Pagoda's). */
static const char *test_stack_guard(void)
{
	const unsigned long guard = 0x7ffffffff000ul - (8ul << 20) - P;   /* mm/layout.h */
	long fd = sys(SYS_open, DATA_FILE, O_RDONLY);

	CHECK(fd >= 0, "open = %s", ret_name(fd));
	CHECK_RET(sys(SYS_read, fd, guard + 8, 8), -EFAULT);
	CHECK_RET(sys(SYS_write, 1, guard, 8), -EFAULT);
	CHECK_RET(sys(SYS_mmap, guard, P, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0), -EEXIST);
	CHECK_RET(sys(SYS_close, fd), 0);
	return NULL;
}

/* Pagoda never overcommits: a mapping larger than memory is refused at once. */
static const char *test_no_overcommit(void)
{
	CHECK_RET(sys(SYS_mmap, 0, 64ul << 30, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), -ENOMEM);
	long start = sys(SYS_brk, 0);

	CHECK_RET(sys(SYS_brk, start + (64l << 30)), start);
	/* A PROT_NONE reservation costs no memory. */
	long r = sys(SYS_mmap, 0, 64ul << 30, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (!is_err(r))
		sys(SYS_munmap, r, 64ul << 30);
	return NULL;
}


const struct usertest process_tests[] = {
	{ "ids", test_ids, PORTABLE },
	{ "clock_gettime", test_clock_gettime, PORTABLE },
	{ "nanosleep", test_nanosleep, PORTABLE },
	{ "uname", test_uname, PORTABLE },
	{ "arch_prctl", test_arch_prctl, PORTABLE },
	{ "signals", test_signals, PORTABLE },
	{ "getrandom", test_getrandom, PORTABLE },
	{ "getrusage", test_getrusage, PORTABLE },
	{ "enosys", test_enosys, PORTABLE },
	{ "fpu", test_fpu, PORTABLE },
	{ "stack_growth", test_stack_growth, PORTABLE },
	{ "copy_grows_stack", test_copy_grows_stack, PORTABLE },
	{ "stack_guard", test_stack_guard, PAGODA_ONLY },
	{ "no_overcommit", test_no_overcommit, PAGODA_ONLY },
	{ NULL, NULL, 0 },
};
