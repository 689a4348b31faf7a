/*
 * test_trace.c - suite "trace": the decoder of `run -t`
 * (kernel/syscall/trace.c) over a fake user memory: three pages at
 * FAKE_BASE of which the first two are readable and the third is not
 * (an unmapped page right after good ones). Each test writes the
 * arguments a program would pass, runs trace_enter / trace_exit and
 * compares the whole line with what strace prints for the same call.
 * The fake read also checks the decoder's promises: no read crosses a
 * page boundary, none is larger than a string's limit plus its NUL, and
 * none touches the unreadable page without failing. Hosted code: may use libc.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "kernel/proc/signal.h"
#include "kernel/selftest.h"
#include "kernel/syscall/syscall_list.h"
#include "kernel/syscall/trace.h"
#include "lib/errno.h"
#include "lib/uapi.h"

#define FAKE_BASE 0x10000ull
#define FAKE_PAGE 4096ull
#define FAKE_READABLE (2 * FAKE_PAGE)

static uint8_t fake_mem[3 * FAKE_PAGE];
static size_t fake_largest_read;
static bool fake_crossed_page;

/* The kernel's signal names as signal.c has them (a few suffice here). */
const char *signal_name(int sig)
{
	switch (sig) {
	case SIGINT: return "SIGINT";
	case SIGKILL: return "SIGKILL";
	case SIGSEGV: return "SIGSEGV";
	case SIGTERM: return "SIGTERM";
	case SIGCHLD: return "SIGCHLD";
	default: return NULL;
	}
}

static int fake_read(void *dst, uint64_t src, size_t n)
{
	if (n > fake_largest_read)
		fake_largest_read = n;
	if (n && (src / FAKE_PAGE) != ((src + n - 1) / FAKE_PAGE))
		fake_crossed_page = true;
	if (src < FAKE_BASE || src + n < src || src + n > FAKE_BASE + FAKE_READABLE)
		return -EFAULT;
	memcpy(dst, fake_mem + (src - FAKE_BASE), n);
	return 0;
}

static void fake_reset(void)
{
	memset(fake_mem, 0x5a, sizeof(fake_mem));
	fake_largest_read = 0;
	fake_crossed_page = false;
}

/* Put bytes at offset off of the fake memory; returns their user address. */
static uint64_t put(uint64_t off, const void *bytes, size_t n)
{
	memcpy(fake_mem + off, bytes, n);
	return FAKE_BASE + off;
}

static uint64_t put_str(uint64_t off, const char *s)
{
	return put(off, s, strlen(s) + 1);
}

/* Trace one call completely: enter, then exit with result. The line, or NULL if enter ended it. */
static struct trace_line line;
static const char *trace(int pid, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2,
			 uint64_t a3, uint64_t a4, uint64_t a5, long result)
{
	const uint64_t args[TRACE_ARGS] = { a0, a1, a2, a3, a4, a5 };

	if (trace_enter(&line, pid, nr, args, fake_read))
		return NULL;
	trace_exit(&line, result, fake_read);
	return line.text;
}

#define EXPECT(got, want)                                                              \
	do {                                                                           \
		const char *got_ = (got);                                              \
		CHECKF(got_ && strcmp(got_, want) == 0, "got  '%s'\nwant '%s'",        \
		       got_ ? got_ : "(no line)", want);                               \
	} while (0)

/* ---- Tests ---- */

static const char *test_trace_examples(void)
{
	fake_reset();
	uint64_t path = put_str(0, "usertests.dat");
	EXPECT(trace(7, SYS_openat, (uint64_t)AT_FDCWD, path, O_RDONLY, 0, 0, 0, 3),
	       "[pid 7] openat(AT_FDCWD, \"usertests.dat\", O_RDONLY) = 3");
	EXPECT(trace(7, SYS_mmap, 0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		     (uint64_t)-1, 0, 0x7effff000),
	       "[pid 7] mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = "
	       "0x7effff000");
	uint64_t nosuch = put_str(100, "nosuch");
	EXPECT(trace(12, SYS_openat, (uint64_t)AT_FDCWD, nosuch, O_RDONLY | O_CLOEXEC, 0, 0, 0,
		     -ENOENT),
	       "[pid 12] openat(AT_FDCWD, \"nosuch\", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such "
	       "file or directory)");
	EXPECT(trace(3, SYS_mprotect, 0x400000, 4096, PROT_NONE, 0, 0, 0, -EINVAL),
	       "[pid 3] mprotect(0x400000, 4096, PROT_NONE) = -1 EINVAL (Invalid argument)");
	EXPECT(trace(3, SYS_brk, 0, 0, 0, 0, 0, 0, 0x601000), "[pid 3] brk(NULL) = 0x601000");
	EXPECT(trace(3, SYS_getppid, 0, 0, 0, 0, 0, 0, 0), "[pid 3] getppid() = 0");
	EXPECT(trace(3, SYS_lseek, 5, (uint64_t)-4, SEEK_END, 0, 0, 0, -ESPIPE),
	       "[pid 3] lseek(5, -4, SEEK_END) = -1 ESPIPE (Illegal seek)");
	return NULL;
}

static const char *test_trace_open_mode(void)
{
	fake_reset();
	uint64_t path = put_str(0, "f");
	/* The mode is shown only with O_CREAT, as strace does. */
	EXPECT(trace(1, SYS_open, path, O_WRONLY | O_CREAT | O_TRUNC, 0644, 0, 0, 0, -EROFS),
	       "[pid 1] open(\"f\", O_WRONLY|O_CREAT|O_TRUNC, 0644) = -1 EROFS (Read-only file "
	       "system)");
	EXPECT(trace(1, SYS_open, path, O_RDWR | 0x40000000, 0644, 0, 0, 0, 4),
	       "[pid 1] open(\"f\", O_RDWR|0x40000000) = 4");
	return NULL;
}

static const char *test_trace_no_return(void)
{
	const uint64_t args[TRACE_ARGS] = { 3 };

	fake_reset();
	CHECK(trace_enter(&line, 9, SYS_exit_group, args, fake_read));
	EXPECT(line.text, "[pid 9] exit_group(3) = ?");
	CHECK(trace_enter(&line, 9, SYS_exit, args, fake_read));
	EXPECT(line.text, "[pid 9] exit(3) = ?");
	return NULL;
}

static const char *test_trace_strings(void)
{
	fake_reset();
	uint64_t buf = put(0, "hi\n\t\"\\\033x\0001", 10);
	EXPECT(trace(2, SYS_write, 1, buf, 10, 0, 0, 0, 10),
	       "[pid 2] write(1, \"hi\\n\\t\\\"\\\\\\33x\\0001\", 10) = 10");
	/* A long buffer: 32 bytes shown, then "...". */
	char many[40];
	memset(many, 'a', sizeof(many));
	buf = put(200, many, sizeof(many));
	EXPECT(trace(2, SYS_write, 1, buf, 40, 0, 0, 0, 40),
	       "[pid 2] write(1, \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"..., 40) = 40");
	/* Unreadable buffers and strings are shown as their addresses; NULL as NULL. */
	EXPECT(trace(2, SYS_write, 1, 0xffff800000000000ull, 5, 0, 0, 0, -EFAULT),
	       "[pid 2] write(1, 0xffff800000000000, 5) = -1 EFAULT (Bad address)");
	EXPECT(trace(2, SYS_open, 0, O_RDONLY, 0, 0, 0, 0, -EFAULT),
	       "[pid 2] open(NULL, O_RDONLY) = -1 EFAULT (Bad address)");
	EXPECT(trace(2, SYS_open, FAKE_BASE + FAKE_READABLE + 8, O_RDONLY, 0, 0, 0, 0, -EFAULT),
	       "[pid 2] open(0x12008, O_RDONLY) = -1 EFAULT (Bad address)");
	/* A string that ends right before the unreadable page is read up to its NUL. */
	uint64_t tail = put_str(FAKE_READABLE - 4, "abc");
	EXPECT(trace(2, SYS_open, tail, O_RDONLY, 0, 0, 0, 0, -ENOENT),
	       "[pid 2] open(\"abc\", O_RDONLY) = -1 ENOENT (No such file or directory)");
	/* One that runs into it without a NUL: what could be read, then "...". */
	tail = put(FAKE_READABLE - 3, "xyz", 3);
	EXPECT(trace(2, SYS_open, tail, O_RDONLY, 0, 0, 0, 0, -EFAULT),
	       "[pid 2] open(\"xyz\"..., O_RDONLY) = -1 EFAULT (Bad address)");
	/* One across a page boundary, both readable. */
	uint64_t across = put_str(FAKE_PAGE - 2, "boundary");
	EXPECT(trace(2, SYS_open, across, O_RDONLY, 0, 0, 0, 0, 5),
	       "[pid 2] open(\"boundary\", O_RDONLY) = 5");
	CHECK(!fake_crossed_page);
	CHECKF(fake_largest_read <= TRACE_STRING_MAX + 1, "a read of %zu bytes", fake_largest_read);
	return NULL;
}

static const char *test_trace_read_output(void)
{
	fake_reset();
	uint64_t buf = put(0, "line\n", 5);
	/* read's buffer is the call's output: its data after success, else its address. */
	EXPECT(trace(4, SYS_read, 0, buf, 100, 0, 0, 0, 5),
	       "[pid 4] read(0, \"line\\n\", 100) = 5");
	EXPECT(trace(4, SYS_read, 9, buf, 100, 0, 0, 0, -EBADF),
	       "[pid 4] read(9, 0x10000, 100) = -1 EBADF (Bad file descriptor)");
	int32_t fds[2] = { 3, 4 };
	uint64_t p = put(64, fds, sizeof(fds));
	EXPECT(trace(4, SYS_pipe2, p, O_CLOEXEC | O_NONBLOCK, 0, 0, 0, 0, 0),
	       "[pid 4] pipe2([3, 4], O_NONBLOCK|O_CLOEXEC) = 0");
	EXPECT(trace(4, SYS_pipe, p, 0, 0, 0, 0, 0, -EMFILE),
	       "[pid 4] pipe(0x10040) = -1 EMFILE (Too many open files)");
	struct linux_timespec ts = { 5, 6 };
	p = put(128, &ts, sizeof(ts));
	EXPECT(trace(4, SYS_clock_gettime, CLOCK_MONOTONIC, p, 0, 0, 0, 0, 0),
	       "[pid 4] clock_gettime(CLOCK_MONOTONIC, {tv_sec=5, tv_nsec=6}) = 0");
	EXPECT(trace(4, SYS_nanosleep, p, 0, 0, 0, 0, 0, 0),
	       "[pid 4] nanosleep({tv_sec=5, tv_nsec=6}, NULL) = 0");
	return NULL;
}

static const char *test_trace_wait_status(void)
{
	fake_reset();
	int32_t status = WAIT_STATUS_EXITED(3);
	uint64_t p = put(0, &status, sizeof(status));
	EXPECT(trace(1, SYS_wait4, (uint64_t)-1, p, 0, 0, 0, 0, 42),
	       "[pid 1] wait4(-1, [{WIFEXITED(s) && WEXITSTATUS(s) == 3}], 0, NULL) = 42");
	status = WAIT_STATUS_SIGNALED(SIGKILL);
	put(0, &status, sizeof(status));
	EXPECT(trace(1, SYS_wait4, 42, p, 1, 0, 0, 0, 42),
	       "[pid 1] wait4(42, [{WIFSIGNALED(s) && WTERMSIG(s) == SIGKILL}], WNOHANG, NULL) = 42");
	/* WNOHANG with nothing to reap: 0, and the status is not shown. */
	EXPECT(trace(1, SYS_wait4, (uint64_t)-1, p, 1, 0, 0, 0, 0),
	       "[pid 1] wait4(-1, 0x10000, WNOHANG, NULL) = 0");
	return NULL;
}

static const char *test_trace_signals(void)
{
	fake_reset();
	struct linux_sigaction sa = { .handler = 0x401000, .flags = SA_RESTORER | 0x10000000,
				      .restorer = 0x402000, .mask = 1ull << (SIGINT - 1) };
	uint64_t p = put(0, &sa, sizeof(sa));
	EXPECT(trace(5, SYS_rt_sigaction, SIGTERM, p, 0, 8, 0, 0, 0),
	       "[pid 5] rt_sigaction(SIGTERM, {sa_handler=0x401000, sa_mask=[INT], "
	       "sa_flags=SA_RESTART|SA_RESTORER, sa_restorer=0x402000}, NULL, 8) = 0");
	uint64_t set = (1ull << (SIGINT - 1)) | (1ull << (SIGTERM - 1)) | (1ull << 40);
	p = put(64, &set, sizeof(set));
	EXPECT(trace(5, SYS_rt_sigprocmask, SIG_BLOCK, p, 0, 8, 0, 0, 0),
	       "[pid 5] rt_sigprocmask(SIG_BLOCK, [INT TERM 41], NULL, 8) = 0");
	set = ~(1ull << (SIGKILL - 1));
	put(64, &set, sizeof(set));
	EXPECT(trace(5, SYS_rt_sigprocmask, SIG_SETMASK, p, 0, 8, 0, 0, 0),
	       "[pid 5] rt_sigprocmask(SIG_SETMASK, ~[KILL], NULL, 8) = 0");
	EXPECT(trace(5, SYS_kill, 6, SIGKILL, 0, 0, 0, 0, -ESRCH),
	       "[pid 5] kill(6, SIGKILL) = -1 ESRCH (No such process)");
	EXPECT(trace(5, SYS_kill, 6, 99, 0, 0, 0, 0, -EINVAL),
	       "[pid 5] kill(6, 99) = -1 EINVAL (Invalid argument)");
	EXPECT(trace(5, SYS_clone, SIGCHLD, 0, 0, 0, 0, 0, 8),
	       "[pid 5] clone(SIGCHLD, NULL, NULL, NULL, 0) = 8");
	EXPECT(trace(5, SYS_clone, 0x100 | 0x4000 | SIGCHLD, 0, 0, 0, 0, 0, -EINVAL),
	       "[pid 5] clone(CLONE_VM|CLONE_VFORK|SIGCHLD, NULL, NULL, NULL, 0) = -1 EINVAL "
	       "(Invalid argument)");
	EXPECT(trace(5, SYS_clone, 0, 0, 0, 0, 0, 0, 9), "[pid 5] clone(0, NULL, NULL, NULL, 0) = 9");
	EXPECT(trace(5, SYS_read, 0, 0x1000, 10, 0, 0, 0, -ERESTARTSYS),
	       "[pid 5] read(0, 0x1000, 10) = ? ERESTARTSYS (To be restarted if SA_RESTART is "
	       "set)");
	return NULL;
}

static const char *test_trace_execve_at_entry(void)
{
	fake_reset();
	uint64_t path = put_str(0, "exitcode");
	uint64_t a0 = put_str(16, "exitcode"), a1 = put_str(32, "7");
	uint64_t argv[3] = { a0, a1, 0 };
	uint64_t pargv = put(64, argv, sizeof(argv));
	uint64_t envp[3] = { a1, a1, 0 };
	uint64_t penvp = put(128, envp, sizeof(envp));
	const uint64_t args[TRACE_ARGS] = { path, pargv, penvp };
	CHECK(!trace_enter(&line, 3, SYS_execve, args, fake_read));
	/* The image is replaced: what the strings were at entry is what is shown. */
	memset(fake_mem, 0, sizeof(fake_mem));
	trace_exit(&line, 0, fake_read);
	EXPECT(line.text, "[pid 3] execve(\"exitcode\", [\"exitcode\", \"7\"], 0x10080 /* 2 vars */) = 0");
	return NULL;
}

static const char *test_trace_writev(void)
{
	fake_reset();
	struct linux_iovec v[2] = { { put(256, "Hello", 5), 5 }, { put(300, "\n", 1), 1 } };
	uint64_t p = put(0, v, sizeof(v));
	EXPECT(trace(2, SYS_writev, 1, p, 2, 0, 0, 0, 6),
	       "[pid 2] writev(1, [{iov_base=\"Hello\", iov_len=5}, {iov_base=\"\\n\", iov_len=1}], "
	       "2) = 6");
	return NULL;
}

static const char *test_trace_unknown(void)
{
	fake_reset();
	EXPECT(trace(8, 1000, 1, 2, 3, 4, 5, 6, -ENOSYS),
	       "[pid 8] syscall_0x3e8(0x1, 0x2, 0x3, 0x4, 0x5, 0x6) = -1 ENOSYS (Function not "
	       "implemented)");
	EXPECT(trace(8, SYS_socket, 2, 1, 0, 0, 0, 0, -ENOSYS),
	       "[pid 8] socket(0x2, 0x1, 0, 0, 0, 0) = -1 ENOSYS (Function not implemented)");
	EXPECT(trace(8, SYS_close, 3, 0, 0, 0, 0, 0, -200), "[pid 8] close(3) = -1 E200 (Unknown error)");
	EXPECT(trace(8, SYS_mmap, 0, 1, 0x7, 0x24, 0, 0, -ENOMEM),
	       "[pid 8] mmap(NULL, 1, PROT_READ|PROT_WRITE|PROT_EXEC, 0x4|MAP_ANONYMOUS, 0, 0) = -1 "
	       "ENOMEM (Cannot allocate memory)");
	return NULL;
}

static const char *test_trace_line_limit(void)
{
	fake_reset();
	/* Eight arguments of 32 escaped bytes (4 characters each): far past a line. */
	uint8_t wide[TRACE_STRING_MAX + 1];
	memset(wide, 1, TRACE_STRING_MAX);
	wide[TRACE_STRING_MAX] = 0;
	uint64_t s = put(1024, wide, sizeof(wide));
	uint64_t argv[10];
	for (int i = 0; i < 9; i++)
		argv[i] = s;
	argv[9] = 0;
	uint64_t pargv = put(0, argv, sizeof(argv));
	const uint64_t args[TRACE_ARGS] = { s, pargv, 0 };
	CHECK(!trace_enter(&line, 3, SYS_execve, args, fake_read));
	trace_exit(&line, -E2BIG, fake_read);
	size_t n = strlen(line.text);
	CHECKF(n < TRACE_LINE_MAX && n == line.len, "a line of %zu (len %zu)", n, line.len);
	const char *end = "... = -1 E2BIG (Argument list too long)";
	CHECKF(n > strlen(end) && strcmp(line.text + n - strlen(end), end) == 0,
	       "the cut line ends in '%s'", line.text + n - strlen(end));
	/* Random registers never overflow or read past the fake memory. */
	for (uint64_t nr = 0; nr < 460; nr++) {
		uint64_t a = nr * 0x9e3779b97f4a7c15ull;
		trace(nr, nr, a, FAKE_BASE + (a & 0x1fff), a >> 7, FAKE_BASE + 4090, -1ull, 0, (long)a);
		CHECKF(strlen(line.text) < TRACE_LINE_MAX, "number %lu", (unsigned long)nr);
	}
	CHECK(!fake_crossed_page);
	return NULL;
}

static const struct selftest trace_tests[] = {
	{"examples", "the lines of docs/processes.md: openat, mmap, errors, brk", test_trace_examples},
	{"open_mode", "open's mode only with O_CREAT; unknown flag bits as hex", test_trace_open_mode},
	{"no_return", "exit and exit_group: the line at entry, '= ?'", test_trace_no_return},
	{"strings", "escapes, 32 bytes then ..., bad pointers as addresses, page ends",
	 test_trace_strings},
	{"outputs", "read data, pipe fds, timespecs only after success", test_trace_read_output},
	{"wait_status", "wait4's status decoded as strace does", test_trace_wait_status},
	{"signals", "sigaction, sigsets, kill, clone flags, ERESTARTSYS", test_trace_signals},
	{"execve", "execve decoded at entry: the image it replaces is gone after",
	 test_trace_execve_at_entry},
	{"writev", "iovecs with their buffers", test_trace_writev},
	{"unknown", "unnamed numbers, undecoded calls, unknown errors, bad mmap type",
	 test_trace_unknown},
	{"line_limit", "a long call is cut with ..., its result kept; random registers",
	 test_trace_line_limit},
};
SELFTEST_SUITE(trace, trace_tests);
