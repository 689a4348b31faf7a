/*
 * common.c - what every usertests file shares: the raw system call, failure
 * messages that name errno values, small mapping helpers, and children run
 * and waited for with their end in words (usertests.h).
 *
 * Invariants:
 *   [x] fail() keeps one message: a test returns it at once;
 *   [x] the helpers use raw system calls only, so errno is never involved.
 * Context: the usertests program, single-threaded.
 */
#include "usertests.h"

long raw_syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
	register long r10 __asm__("r10") = a4;
	register long r8 __asm__("r8") = a5;
	register long r9 __asm__("r9") = a6;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

static char reason[512];

const char *fail(const char *fmt, ...)
{
	char message[sizeof(reason)];   /* an argument may be the last reason itself */
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	memcpy(reason, message, sizeof(reason));
	return reason;
}

static int skipping; /* skip() was called since the last skip_requested() */

const char *skip(const char *why)
{
	skipping = 1;
	return fail("%s", why);
}

int skip_requested(void)
{
	int was = skipping;

	skipping = 0;
	return was;
}

static const struct { int err; const char *name; } errno_names[] = {
	{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { ESRCH, "ESRCH" }, { EINTR, "EINTR" },
	{ E2BIG, "E2BIG" }, { ENOEXEC, "ENOEXEC" }, { EBADF, "EBADF" }, { EAGAIN, "EAGAIN" },
	{ ENOMEM, "ENOMEM" }, { EACCES, "EACCES" }, { EFAULT, "EFAULT" }, { EEXIST, "EEXIST" },
	{ ENODEV, "ENODEV" }, { ENOTDIR, "ENOTDIR" }, { EISDIR, "EISDIR" }, { EINVAL, "EINVAL" },
	{ EMFILE, "EMFILE" }, { ENOTTY, "ENOTTY" }, { ESPIPE, "ESPIPE" }, { EROFS, "EROFS" },
	{ ENAMETOOLONG, "ENAMETOOLONG" }, { ENOSYS, "ENOSYS" }, { EOVERFLOW, "EOVERFLOW" },
};

/* A result for a message: "-EFAULT", "4096", "0x7f0000000000". Four rotating buffers. */
const char *ret_name(long v)
{
	static char bufs[4][32];
	static int next;
	char *b = bufs[next++ % 4];

	if (v < 0 && v >= -4095) {
		for (size_t i = 0; i < sizeof(errno_names) / sizeof(errno_names[0]); i++)
			if (errno_names[i].err == -v) {
				snprintf(b, 32, "-%s", errno_names[i].name);
				return b;
			}
		snprintf(b, 32, "-errno %ld", -v);
	} else if (v > 0xffff || v < 0) {
		snprintf(b, 32, "0x%lx", (unsigned long)v);
	} else {
		snprintf(b, 32, "%ld", v);
	}
	return b;
}


int is_err(long v)
{
	return v < 0 && v >= -4095;
}

/* n fresh anonymous private pages with protection prot, or NULL. */
char *map_pages(long n, int prot)
{
	long a = sys(SYS_mmap, 0, n * P, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return is_err(a) ? NULL : (char *)a;
}

void unmap_pages(void *a, long n)
{
	sys(SYS_munmap, a, n * P);
}

int page_holds(const volatile char *a, long i, char value)
{
	return a[i * P] == value && a[i * P + P / 2] == value && a[i * P + P - 1] == value;
}

void fill_page(volatile char *a, long i, char value)
{
	a[i * P] = value;
	a[i * P + P / 2] = value;
	a[i * P + P - 1] = value;
}

/* A page that was mapped and no longer is (nothing maps in between). */
char *unmapped_page(void)
{
	char *a = map_pages(1, PROT_READ | PROT_WRITE);

	if (a)
		unmap_pages(a, 1);
	return a;
}

/*
 * A readable, writable page followed by an unmapped one: *tail points `bytes`
 * bytes before the hole, so an object of more than `bytes` bytes there
 * straddles the end of the mapping. Returns the page (unmap 1 page) or NULL.
 */
char *straddle(long bytes, char **tail)
{
	char *a = map_pages(2, PROT_READ | PROT_WRITE);

	*tail = NULL;
	if (!a)
		return NULL;
	unmap_pages(a + P, 1);
	*tail = a + P - bytes;
	return a;
}

int expected_byte(long offset)
{
	return (int)(offset % 251);
}

/* 0 if buf holds the data file's bytes [offset, offset + n), else the first bad index + 1. */
long pattern_mismatch(const unsigned char *buf, long offset, long n)
{
	for (long i = 0; i < n; i++)
		if (buf[i] != expected_byte(offset + i))
			return i + 1;
	return 0;
}

int console_is_tty(void)
{
	struct winsize ws;

	return on_pagoda() || sys(SYS_ioctl, 1, TIOCGWINSZ, &ws) == 0;
}

static const struct { int sig; const char *name; } signal_names[] = {
	{ SIGHUP, "SIGHUP" },   { SIGINT, "SIGINT" },   { SIGQUIT, "SIGQUIT" },
	{ SIGILL, "SIGILL" },   { SIGTRAP, "SIGTRAP" }, { SIGABRT, "SIGABRT" },
	{ SIGBUS, "SIGBUS" },   { SIGFPE, "SIGFPE" },   { SIGKILL, "SIGKILL" },
	{ SIGUSR1, "SIGUSR1" }, { SIGSEGV, "SIGSEGV" }, { SIGUSR2, "SIGUSR2" },
	{ SIGPIPE, "SIGPIPE" }, { SIGALRM, "SIGALRM" }, { SIGTERM, "SIGTERM" },
	{ SIGCHLD, "SIGCHLD" },
};

long child_status(void (*fn)(long), long arg)
{
	int status = 0;
	long pid = sys(SYS_fork), r;

	if (pid == 0) {
		fn(arg);
		sys(SYS_exit_group, CHILD_RETURNED);
	}
	if (is_err(pid))
		return pid;
	r = sys(SYS_wait4, pid, &status, 0, NULL);
	if (r != pid)
		return is_err(r) ? r : -ECHILD;
	return status;
}

const char *status_name(long ret)
{
	static char bufs[2][48];
	static int next;
	char *b = bufs[next++ % 2];
	int status = (int)ret;

	if (is_err(ret))
		return ret_name(ret);
	if (WIFEXITED(status)) {
		snprintf(b, 48, "exited with status %d", WEXITSTATUS(status));
		return b;
	}
	if (!WIFSIGNALED(status)) {
		snprintf(b, 48, "wait status 0x%x", status);
		return b;
	}
	for (size_t i = 0; i < sizeof(signal_names) / sizeof(signal_names[0]); i++)
		if (signal_names[i].sig == WTERMSIG(status)) {
			snprintf(b, 48, "killed by %s", signal_names[i].name);
			return b;
		}
	snprintf(b, 48, "killed by signal %d", WTERMSIG(status));
	return b;
}

const char *expect_killed(long status, int sig, const char *what)
{
	if (!is_err(status) && WIFSIGNALED(status) && WTERMSIG(status) == sig)
		return NULL;
	/* sig alone is the wait status of a child killed by sig. */
	return fail("%s: the child %s, expected %s", what, status_name(status), status_name(sig));
}

const char *expect_returned(long status, const char *what)
{
	if (!is_err(status) && WIFEXITED(status) && WEXITSTATUS(status) == CHILD_RETURNED)
		return NULL;
	return fail("%s: the child %s, expected it to return (status %d)", what,
		    status_name(status), CHILD_RETURNED);
}
