/*
 * pipes.c - usertests: pipe, pipe2, dup, dup2, dup3, fcntl and close-on-exec; a pipe's
 * blocking, end of file, EPIPE and SIGPIPE, O_NONBLOCK, its 64 KiB capacity and atomic
 * writes of up to PIPE_BUF bytes, bad pointers, and waits a signal interrupts.
 *
 * Every test is portable: Linux 6.1 passes each. Where Linux's pipe (16 page-sized slots)
 * and a byte ring could differ (a write into a partly read slot), the tests stay on the
 * cases both answer alike: whole pages, or a pipe written once from empty.
 *
 * Invariants:
 *   [x] a test reaps every child it starts and closes what it opens.
 * Context: the usertests program (usertests.h).
 */
#include "usertests.h"

#define PIPE_SIZE 65536l
#ifndef F_GETPIPE_SZ
#define F_GETPIPE_SZ 1032
#endif

/* Linux's struct sigaction for rt_sigaction (the kernel's, not libc's). */
struct pipe_sigaction {
	unsigned long handler, flags, restorer, mask;
};

static void pause_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };

	sys(SYS_nanosleep, &ts, NULL);
}

/* SIGPIPE's handler set to h (SIG_IGN or SIG_DFL) with a raw rt_sigaction. */
static long sigpipe_action(unsigned long h)
{
	struct pipe_sigaction act = { .handler = h };

	return sys(SYS_rt_sigaction, SIGPIPE, &act, NULL, SIGSET_SIZE);
}

static void close_both(const int fds[2])
{
	sys(SYS_close, fds[0]);
	sys(SYS_close, fds[1]);
}

/* The lowest free descriptor now (a probe dup of stdout, closed again). */
static long lowest_free(void)
{
	long fd = sys(SYS_dup, 1);

	if (fd >= 0)
		sys(SYS_close, fd);
	return fd;
}

static unsigned char pattern(long i)
{
	return (unsigned char)(i * 7 + i / 251);
}

/* ---- One process ----------------------------------------------------------------- */

static const char *test_pipe_basic(void)
{
	int fds[2];
	char buf[16];
	struct stat st0, st1;
	int n = -1;

	CHECK_RET(sys(SYS_pipe, fds), 0);
	CHECK(fds[0] >= 3 && fds[1] == fds[0] + 1, "pipe gave %d, %d", fds[0], fds[1]);
	CHECK_RET(sys(SYS_write, fds[1], "hello", 5), 5);
	CHECK_RET(sys(SYS_ioctl, fds[0], FIONREAD, &n), 0);
	CHECK(n == 5, "FIONREAD says %d bytes, 5 written", n);
	CHECK_RET(sys(SYS_read, fds[0], buf, 3), 3);
	CHECK_RET(sys(SYS_read, fds[0], buf + 3, sizeof(buf)), 2); /* what is there, no wait */
	CHECK(memcmp(buf, "hello", 5) == 0, "read back '%.5s'", buf);
	/* Each end does one thing. */
	CHECK_RET(sys(SYS_read, fds[1], buf, 1), -EBADF);
	CHECK_RET(sys(SYS_write, fds[0], "x", 1), -EBADF);
	CHECK_RET(sys(SYS_lseek, fds[0], 0, SEEK_CUR), -ESPIPE);
	CHECK_RET(sys(SYS_lseek, fds[1], 0, SEEK_SET), -ESPIPE);
	CHECK_RET(sys(SYS_fstat, fds[0], &st0), 0);
	CHECK_RET(sys(SYS_fstat, fds[1], &st1), 0);
	CHECK(S_ISFIFO(st0.st_mode) && S_ISFIFO(st1.st_mode), "st_mode 0%o, 0%o", st0.st_mode,
	      st1.st_mode);
	CHECK(st0.st_ino == st1.st_ino, "the two ends: inodes %lu and %lu",
	      (unsigned long)st0.st_ino, (unsigned long)st1.st_ino);
	CHECK_RET(sys(SYS_fcntl, fds[0], F_GETFL), O_RDONLY);
	CHECK_RET(sys(SYS_fcntl, fds[1], F_GETFL), O_WRONLY);
	CHECK_RET(sys(SYS_fcntl, fds[0], F_GETPIPE_SZ), PIPE_SIZE);
	CHECK_RET(sys(SYS_write, fds[1], buf, 0), 0);
	CHECK_RET(sys(SYS_read, fds[0], buf, 0), 0); /* empty, a writer: 0 bytes asked, no wait */
	close_both(fds);
	CHECK_RET(sys(SYS_close, fds[0]), -EBADF);
	return NULL;
}

static const char *test_pipe_eof(void)
{
	int fds[2];
	char buf[8];

	CHECK_RET(sys(SYS_pipe, fds), 0);
	CHECK_RET(sys(SYS_write, fds[1], "abc", 3), 3);
	CHECK_RET(sys(SYS_close, fds[1]), 0);
	CHECK_RET(sys(SYS_read, fds[0], buf, sizeof(buf)), 3); /* the bytes first */
	CHECK_RET(sys(SYS_read, fds[0], buf, sizeof(buf)), 0); /* then end of file, again */
	CHECK_RET(sys(SYS_read, fds[0], buf, sizeof(buf)), 0);
	CHECK_RET(sys(SYS_close, fds[0]), 0);
	return NULL;
}

static const char *test_pipe_epipe(void)
{
	int fds[2];

	CHECK_RET(sigpipe_action((unsigned long)SIG_IGN), 0);
	CHECK_RET(sys(SYS_pipe, fds), 0);
	CHECK_RET(sys(SYS_close, fds[0]), 0);
	long r = sys(SYS_write, fds[1], "x", 1);
	CHECK_RET(sys(SYS_close, fds[1]), 0);
	CHECK_RET(sigpipe_action((unsigned long)SIG_DFL), 0);
	CHECK(r == -EPIPE, "write with no reader (SIGPIPE ignored) = %s, expected -EPIPE",
	      ret_name(r));
	return NULL;
}

static const char *test_pipe2_flags(void)
{
	int fds[2];
	char c;
	long lowest = lowest_free();

	CHECK_RET(sys(SYS_pipe2, fds, O_NONBLOCK | O_CLOEXEC), 0);
	CHECK_RET(sys(SYS_fcntl, fds[0], F_GETFD), FD_CLOEXEC);
	CHECK_RET(sys(SYS_fcntl, fds[1], F_GETFD), FD_CLOEXEC);
	CHECK_RET(sys(SYS_fcntl, fds[0], F_GETFL), O_RDONLY | O_NONBLOCK);
	CHECK_RET(sys(SYS_fcntl, fds[1], F_GETFL), O_WRONLY | O_NONBLOCK);
	CHECK_RET(sys(SYS_read, fds[0], &c, 1), -EAGAIN);          /* empty: no wait */
	/* F_SETFL changes O_NONBLOCK only: the access mode stays. */
	CHECK_RET(sys(SYS_fcntl, fds[0], F_SETFL, O_RDWR), 0);
	CHECK_RET(sys(SYS_fcntl, fds[0], F_GETFL), O_RDONLY);
	CHECK_RET(sys(SYS_fcntl, fds[0], F_SETFL, O_NONBLOCK), 0);
	CHECK_RET(sys(SYS_read, fds[0], &c, 1), -EAGAIN);
	close_both(fds);
	CHECK_RET(sys(SYS_pipe2, fds, 0), 0);
	CHECK_RET(sys(SYS_fcntl, fds[0], F_GETFD), 0);
	close_both(fds);
	CHECK_RET(sys(SYS_pipe2, fds, O_RDWR), -EINVAL);
	CHECK_RET(sys(SYS_pipe2, fds, O_APPEND), -EINVAL);
	CHECK_RET(sys(SYS_pipe2, fds, -1), -EINVAL);
	/* Bad pointers: EFAULT, and no descriptor is left behind. */
	CHECK_RET(sys(SYS_pipe, NULL), -EFAULT);
	CHECK_RET(sys(SYS_pipe2, KERNEL_ADDR, 0), -EFAULT);
	CHECK_RET(sys(SYS_pipe2, NONCANONICAL - 4, O_CLOEXEC), -EFAULT);
	CHECK_RET(sys(SYS_pipe2, "read-only text", 0), -EFAULT);
	CHECK_RET(lowest_free(), lowest);
	return NULL;
}

/* Fill with nonblocking page-sized writes: 16 of them, then EAGAIN. */
static const char *test_pipe_capacity(void)
{
	static char page[2 * 4096];
	int fds[2];
	long total = 0, r;
	int n = 0;

	CHECK_RET(sys(SYS_pipe2, fds, O_NONBLOCK), 0);
	for (int i = 0; i < 20 && (r = sys(SYS_write, fds[1], page, 4096)) > 0; i++)
		total += r;
	CHECK(total == PIPE_SIZE, "a nonblocking pipe took %ld bytes, expected %ld", total,
	      PIPE_SIZE);
	CHECK_RET(sys(SYS_write, fds[1], page, 4096), -EAGAIN);
	CHECK_RET(sys(SYS_write, fds[1], page, 1), -EAGAIN);
	CHECK_RET(sys(SYS_ioctl, fds[0], FIONREAD, &n), 0);
	CHECK(n == PIPE_SIZE, "FIONREAD says %d", n);
	/* One page read: a write of more than PIPE_BUF goes in partly (the page), no more. */
	CHECK_RET(sys(SYS_read, fds[0], page, 4096), 4096);
	CHECK_RET(sys(SYS_write, fds[1], page, sizeof(page)), 4096);
	CHECK_RET(sys(SYS_write, fds[1], page, sizeof(page)), -EAGAIN);
	close_both(fds);

	/* 100 bytes free: a write of up to PIPE_BUF goes in whole or not at all. */
	CHECK_RET(sys(SYS_pipe2, fds, O_NONBLOCK), 0);
	for (total = 0; total < PIPE_SIZE - 100; total += r) {
		long want = PIPE_SIZE - 100 - total < 4096 ? PIPE_SIZE - 100 - total : 4096;
		r = sys(SYS_write, fds[1], page, want);
		CHECK(r == want, "filling: write(%ld) = %s", want, ret_name(r));
	}
	CHECK_RET(sys(SYS_write, fds[1], page, 200), -EAGAIN);
	CHECK_RET(sys(SYS_write, fds[1], page, 60), 60);
	CHECK_RET(sys(SYS_write, fds[1], page, 41), -EAGAIN);
	CHECK_RET(sys(SYS_write, fds[1], page, 40), 40);
	CHECK_RET(sys(SYS_write, fds[1], page, 1), -EAGAIN);
	close_both(fds);
	return NULL;
}

/* The bytes stay in order across the ring's wrap, in odd-sized pieces. */
static const char *test_pipe_order(void)
{
	static unsigned char in[5000], out[5000];
	int fds[2];
	long written = 0, read = 0;

	CHECK_RET(sys(SYS_pipe2, fds, O_NONBLOCK), 0);
	while (read < 3 * PIPE_SIZE) {
		for (long i = 0; i < 4093; i++)
			in[i] = pattern(written + i);
		long w = sys(SYS_write, fds[1], in, 4093);
		if (w > 0)
			written += w;
		else
			CHECK(w == -EAGAIN, "write = %s", ret_name(w));
		long r = sys(SYS_read, fds[0], out, w > 0 ? 3001 : sizeof(out));
		CHECK(r > 0, "read after %ld bytes = %s", read, ret_name(r));
		for (long i = 0; i < r; i++)
			CHECK(out[i] == pattern(read + i), "byte %ld is %d, expected %d", read + i,
			      out[i], pattern(read + i));
		read += r;
	}
	close_both(fds);
	return NULL;
}

static const char *test_pipe_bad_buffers(void)
{
	int fds[2], n = -1;
	char *tail, *page = straddle(100, &tail), buf[200];

	CHECK(page != NULL, "no straddling page");
	CHECK_RET(sys(SYS_pipe, fds), 0);
	CHECK_RET(sys(SYS_write, fds[1], KERNEL_ADDR, 10), -EFAULT);
	CHECK_RET(sys(SYS_write, fds[1], NULL, 10), -EFAULT);
	CHECK_RET(sys(SYS_write, fds[1], tail, 200), -EFAULT); /* 100 good bytes, then a hole */
	CHECK_RET(sys(SYS_ioctl, fds[0], FIONREAD, &n), 0);
	CHECK(n == 0, "a faulting write left %d bytes in the pipe", n);
	memset(buf, 'q', sizeof(buf));
	CHECK_RET(sys(SYS_write, fds[1], buf, 150), 150);
	CHECK_RET(sys(SYS_read, fds[0], KERNEL_ADDR, 10), -EFAULT);
	CHECK_RET(sys(SYS_read, fds[0], tail, 200), -EFAULT);  /* 150 to read, room for 100 */
	CHECK_RET(sys(SYS_ioctl, fds[0], FIONREAD, &n), 0);
	CHECK(n == 150, "a faulting read took bytes: %d left of 150", n);
	CHECK_RET(sys(SYS_read, fds[0], buf, sizeof(buf)), 150);
	CHECK_RET(sys(SYS_ioctl, fds[0], FIONREAD, KERNEL_ADDR), -EFAULT);
	CHECK_RET(sys(SYS_ioctl, fds[0], 0x5401 /* TCGETS */, buf), -ENOTTY);
	close_both(fds);
	unmap_pages(page, 1);
	return NULL;
}

/* ---- dup, dup2, dup3, fcntl -------------------------------------------------------- */

static const char *test_dup(void)
{
	long fd = sys(SYS_open, DATA_FILE, O_RDONLY);
	char buf[10];

	CHECK(fd >= 3, "open = %s", ret_name(fd));
	long lowest = lowest_free();
	long d = sys(SYS_dup, fd);
	CHECK(d == lowest, "dup = %s, the lowest free is %ld", ret_name(d), lowest);
	/* One open file, two descriptors: one position. */
	CHECK_RET(sys(SYS_read, fd, buf, 10), 10);
	CHECK_RET(sys(SYS_lseek, d, 0, SEEK_CUR), 10);
	CHECK_RET(sys(SYS_close, fd), 0);
	CHECK_RET(sys(SYS_read, d, buf, 1), 1); /* the file outlives one descriptor */
	CHECK(buf[0] == (char)expected_byte(10), "byte 10 through the dup: %d", buf[0]);
	CHECK_RET(sys(SYS_close, d), 0);
	CHECK_RET(sys(SYS_dup, d), -EBADF);
	CHECK_RET(sys(SYS_dup, -1), -EBADF);
	CHECK_RET(sys(SYS_dup, 100000), -EBADF);
	return NULL;
}

static const char *test_dup2_dup3(void)
{
	int a[2], b[2];
	char c;

	CHECK_RET(sys(SYS_pipe, a), 0);
	CHECK_RET(sys(SYS_pipe2, b, O_CLOEXEC), 0);
	/* dup2 onto an open descriptor closes it silently; the new one is not close-on-exec. */
	CHECK_RET(sys(SYS_dup2, a[1], b[1]), b[1]);
	CHECK_RET(sys(SYS_fcntl, b[1], F_GETFD), 0);
	CHECK_RET(sys(SYS_read, b[0], &c, 1), 0); /* b's only writer is gone: end of file */
	CHECK_RET(sys(SYS_write, b[1], "z", 1), 1);
	CHECK_RET(sys(SYS_read, a[0], &c, 1), 1);
	CHECK(c == 'z', "read '%c' through a, written through b[1]", c);
	CHECK_RET(sys(SYS_dup2, a[0], a[0]), a[0]);  /* the same: nothing happens */
	CHECK_RET(sys(SYS_dup2, 100000, a[0]), -EBADF);
	CHECK_RET(sys(SYS_dup2, a[0], -1), -EBADF);
	CHECK_RET(sys(SYS_dup2, a[0], 100000), -EBADF);
	long free_fd = lowest_free();
	CHECK_RET(sys(SYS_dup2, free_fd, free_fd), -EBADF); /* the same, but not open */
	CHECK_RET(sys(SYS_dup3, a[0], a[0], 0), -EINVAL);  /* dup3 refuses the same */
	CHECK_RET(sys(SYS_dup3, a[0], b[1], O_NONBLOCK), -EINVAL);
	CHECK_RET(sys(SYS_dup3, a[0], b[1], O_CLOEXEC), b[1]);
	CHECK_RET(sys(SYS_fcntl, b[1], F_GETFD), FD_CLOEXEC);
	CHECK_RET(sys(SYS_fcntl, b[1], F_GETFL), O_RDONLY); /* now a's read end */
	CHECK_RET(sys(SYS_dup3, 100000, b[1], 0), -EBADF);
	close_both(a);
	close_both(b);
	return NULL;
}

static const char *test_fcntl(void)
{
	int fds[2];

	CHECK_RET(sys(SYS_pipe, fds), 0);
	long lowest = lowest_free();
	long d = sys(SYS_fcntl, fds[0], F_DUPFD, 20);
	CHECK(d == 20, "F_DUPFD from 20 = %s", ret_name(d));
	CHECK_RET(sys(SYS_fcntl, d, F_GETFD), 0);
	CHECK_RET(sys(SYS_fcntl, fds[0], F_DUPFD, 20), 21);
	CHECK_RET(sys(SYS_fcntl, fds[0], F_DUPFD_CLOEXEC, 0), lowest);
	CHECK_RET(sys(SYS_fcntl, lowest, F_GETFD), FD_CLOEXEC);
	CHECK_RET(sys(SYS_fcntl, lowest, F_SETFD, 0), 0);
	CHECK_RET(sys(SYS_fcntl, lowest, F_GETFD), 0);
	CHECK_RET(sys(SYS_fcntl, lowest, F_SETFD, FD_CLOEXEC | 6), 0);
	CHECK_RET(sys(SYS_fcntl, lowest, F_GETFD), FD_CLOEXEC);
	CHECK_RET(sys(SYS_fcntl, fds[0], F_DUPFD, -1), -EINVAL);
	CHECK_RET(sys(SYS_fcntl, fds[0], F_DUPFD, 1 << 30), -EINVAL);
	CHECK_RET(sys(SYS_fcntl, fds[0], F_DUPFD, (1l << 32) + 21), 22); /* an int, as Linux reads it */
	sys(SYS_close, 22);
	CHECK_RET(sys(SYS_fcntl, fds[0], 99999), -EINVAL);
	CHECK_RET(sys(SYS_fcntl, 100000, F_GETFD), -EBADF);
	CHECK_RET(sys(SYS_fcntl, 100000, F_DUPFD, 0), -EBADF);
	long file = sys(SYS_open, DATA_FILE, O_RDONLY);
	CHECK_RET(sys(SYS_fcntl, file, F_GETPIPE_SZ), -EBADF); /* not a pipe */
	sys(SYS_close, file);
	/* Status flags belong to the open file: a dup sees the change. */
	CHECK_RET(sys(SYS_fcntl, d, F_SETFL, O_NONBLOCK), 0);
	CHECK_RET(sys(SYS_fcntl, fds[0], F_GETFL), O_RDONLY | O_NONBLOCK);
	sys(SYS_close, 20);
	sys(SYS_close, 21);
	sys(SYS_close, lowest);
	close_both(fds);
	return NULL;
}

/* Every slot fills: dup, pipe and F_DUPFD then say EMFILE; closing frees the slots. */
static const char *test_dup_emfile(void)
{
	static long fds[1100];
	struct rlimit old, low = { .rlim_cur = 64, .rlim_max = 0 };
	int n = 0, fds2[2];
	long r;

	if (!on_pagoda()) { /* Pagoda has 64 slots; Linux as many as RLIMIT_NOFILE says */
		CHECK(getrlimit(RLIMIT_NOFILE, &old) == 0, "getrlimit: errno %d", errno);
		low.rlim_max = old.rlim_max;
		CHECK(setrlimit(RLIMIT_NOFILE, &low) == 0, "setrlimit: errno %d", errno);
	}
	while (n < 1100 && (r = sys(SYS_dup, 1)) >= 0)
		fds[n++] = r;
	long last = n ? fds[n - 1] : -1;
	long p = sys(SYS_pipe, fds2);
	r = sys(SYS_fcntl, 1, F_DUPFD, 0);
	for (int i = 0; i < n; i++)
		sys(SYS_close, fds[i]);
	if (!on_pagoda())
		setrlimit(RLIMIT_NOFILE, &old);
	CHECK(n > 10 && n < 64 && last == 63, "%d dups before a refusal, the last %ld", n, last);
	CHECK(r == -EMFILE, "F_DUPFD on a full table = %s (last dup %ld)", ret_name(r), last);
	CHECK(p == -EMFILE, "pipe on a full table = %s", ret_name(p));
	CHECK_RET(lowest_free(), fds[0]);
	return NULL;
}

/* ---- Two processes ----------------------------------------------------------------- */

static int shared[2]; /* the pipe the child functions use (copied into the child by fork) */

/*
 * A new pipe in shared and a child running fn(arg) with it (then exiting
 * CHILD_RETURNED); the parent keeps only the read end. Returns the pid, or
 * -errno (the pipe closed again).
 */
static long spawn_writer(void (*fn)(long), long arg)
{
	long r = sys(SYS_pipe, shared);

	if (r)
		return r;
	long pid = sys(SYS_fork);
	if (pid == 0) {
		fn(arg);
		sys(SYS_exit_group, CHILD_RETURNED);
	}
	sys(SYS_close, shared[1]);
	if (pid < 0)
		sys(SYS_close, shared[0]);
	return pid;
}

/* Write 200,000 pattern bytes in pieces of every size up to 9000, then exit. */
static void write_stream(long total)
{
	static unsigned char buf[9000];
	long done = 0, piece = 1;

	sys(SYS_close, shared[0]);
	while (done < total) {
		long n = total - done < piece ? total - done : piece;
		for (long i = 0; i < n; i++)
			buf[i] = pattern(done + i);
		long w = sys(SYS_write, shared[1], buf, n);
		if (w != n) /* a blocking write goes in whole */
			sys(SYS_exit_group, 1);
		done += n;
		piece = piece * 3 % 9001;
	}
}

static const char *test_pipe_stream(void)
{
	static unsigned char buf[777];
	long total = 200000, got = 0, r, status;
	int pid_status = 0;

	long pid = spawn_writer(write_stream, total);
	CHECK(pid > 0, "fork = %s", ret_name(pid));
	while ((r = sys(SYS_read, shared[0], buf, sizeof(buf))) > 0) {
		for (long i = 0; i < r; i++)
			if (buf[i] != pattern(got + i)) {
				sys(SYS_kill, pid, SIGKILL);
				sys(SYS_wait4, pid, NULL, 0, NULL);
				sys(SYS_close, shared[0]);
				return fail("byte %ld is %d, expected %d", got + i, buf[i],
					    pattern(got + i));
			}
		got += r;
	}
	sys(SYS_close, shared[0]);
	status = sys(SYS_wait4, pid, &pid_status, 0, NULL);
	CHECK(status == pid, "wait4 = %s", ret_name(status));
	CHECK(r == 0 && got == total, "read %ld of %ld bytes, then %s", got, total, ret_name(r));
	return expect_returned(pid_status, "the writer");
}

/* The child: wait, then write one byte (its write end stays open until it exits). */
static void late_writer(long ms)
{
	sys(SYS_close, shared[0]);
	pause_ms(ms);
	sys(SYS_write, shared[1], "!", 1);
}

static const char *test_pipe_reader_waits(void)
{
	char c = 0;

	long pid = spawn_writer(late_writer, 50);
	long r = sys(SYS_read, shared[0], &c, 1);      /* waits for the child's byte */
	long r2 = sys(SYS_read, shared[0], &c + 0, 0); /* zero bytes: never waits */
	long eof = sys(SYS_read, shared[0], &c, 1);    /* waits for the child's exit */
	int status = 0;
	long w = sys(SYS_wait4, pid, &status, 0, NULL);
	sys(SYS_close, shared[0]);
	CHECK(pid > 0 && w == pid, "fork = %s, wait4 = %s", ret_name(pid), ret_name(w));
	CHECK(r == 1 && c == '!', "the blocked read = %s ('%c')", ret_name(r), c);
	CHECK_RET(r2, 0);
	CHECK(eof == 0, "after the last writer exited, read = %s", ret_name(eof));
	return expect_returned(status, "the late writer");
}

/* The child: write nothing, hold the write end for ms milliseconds. */
static void hold_writer(long ms)
{
	sys(SYS_close, shared[0]);
	pause_ms(ms);
}

/* End of file waits for EVERY writer: the child's copy of the write end too. */
static const char *test_pipe_eof_all_writers(void)
{
	char c;
	int status = 0;

	long pid = spawn_writer(hold_writer, 100);
	long r = sys(SYS_read, shared[0], &c, 1);
	/* The read returned once the child's end closed: at its exit, so it may be a zombie. */
	long w = sys(SYS_wait4, pid, &status, WNOHANG, NULL);
	if (w == 0)
		w = sys(SYS_wait4, pid, &status, 0, NULL);
	sys(SYS_close, shared[0]);
	CHECK(pid > 0 && w == pid, "fork = %s, wait4 = %s", ret_name(pid), ret_name(w));
	CHECK(r == 0, "read = %s, expected end of file", ret_name(r));
	return expect_returned(status, "the holder");
}

/* A write with no reader kills with SIGPIPE (the default action). */
static void write_no_reader(long unused)
{
	(void)unused;
	sys(SYS_write, shared[1], "x", 1);
}

static const char *test_pipe_sigpipe(void)
{
	CHECK_RET(sys(SYS_pipe, shared), 0);
	sys(SYS_close, shared[0]); /* before the fork: no reader anywhere */
	long status = child_status(write_no_reader, 0);
	sys(SYS_close, shared[1]);
	return expect_killed(status, SIGPIPE, "write with no reader");
}

/* A writer blocked on a full pipe gets EPIPE when the last reader closes. */
static void blocked_writer(long unused)
{
	static char page[4096];

	(void)unused;
	sys(SYS_close, shared[0]);
	sigpipe_action((unsigned long)SIG_IGN);
	sys(SYS_fcntl, shared[1], F_SETFL, O_NONBLOCK);
	while (sys(SYS_write, shared[1], page, sizeof(page)) > 0)
		;
	sys(SYS_fcntl, shared[1], F_SETFL, 0);
	if (sys(SYS_write, shared[1], page, 1) != -EPIPE) /* blocks until the reader is gone */
		sys(SYS_exit_group, 1);
}

static void close_reader_later(long ms)
{
	pause_ms(ms);
	sys(SYS_close, shared[0]);
}

static const char *test_pipe_epipe_wakes_writer(void)
{
	long pid = spawn_writer(blocked_writer, 0);
	close_reader_later(100);
	int status = 0;
	long w = sys(SYS_wait4, pid, &status, 0, NULL);
	CHECK(pid > 0 && w == pid, "fork = %s, wait4 = %s", ret_name(pid), ret_name(w));
	return expect_returned(status, "the writer blocked on a full pipe");
}

/* ---- Close-on-exec and signals ------------------------------------------------------- */

/* The child: stdout into the pipe (kept), a close-on-exec copy of it at 9, then exec pause. */
static void exec_pause(long unused)
{
	char *argv[] = { "pause", "-q", "5", NULL }, *envp[] = { NULL };

	(void)unused;
	sys(SYS_close, shared[0]);
	sys(SYS_dup3, shared[1], 9, O_CLOEXEC);
	sys(SYS_close, shared[1]);
	sys(SYS_execve, "pause", argv, envp);
	sys(SYS_exit_group, 2); /* exec failed */
}

static const char *test_cloexec_exec(void)
{
	char c;
	int status = 0;

	long pid = spawn_writer(exec_pause, 0);
	/* The only writer was the child's fd 9, close-on-exec: gone at the exec. */
	long r = sys(SYS_read, shared[0], &c, 1);
	long alive = sys(SYS_wait4, pid, &status, WNOHANG, NULL);
	sys(SYS_kill, pid, SIGKILL);
	long w = sys(SYS_wait4, pid, &status, 0, NULL);
	sys(SYS_close, shared[0]);
	CHECK(pid > 0, "fork = %s", ret_name(pid));
	CHECK(r == 0, "read = %s: expected end of file at the exec", ret_name(r));
	CHECK(alive == 0, "the exec'd child already ended (wait4 = %s, %s)", ret_name(alive),
	      status_name(status));
	CHECK(w == pid, "wait4 = %s", ret_name(w));
	return expect_killed(status, SIGKILL, "pause after the exec");
}

static volatile int handled;

static void on_usr1(int sig)
{
	(void)sig;
	handled++;
}

static void signal_then_write(long ms)
{
	sys(SYS_close, shared[0]);
	pause_ms(ms);
	sys(SYS_kill, sys(SYS_getppid), SIGUSR1);
	pause_ms(ms);
	sys(SYS_write, shared[1], "r", 1);
}

/* A read waiting on an empty pipe: EINTR after a handler, restarted with SA_RESTART. */
static const char *read_interrupted(int flags, long *result, char *c)
{
	struct sigaction sa, old;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = flags;
	handled = 0;
	CHECK(sigaction(SIGUSR1, &sa, &old) == 0, "sigaction: errno %d", errno);
	long pid = spawn_writer(signal_then_write, 50);
	*result = sys(SYS_read, shared[0], c, 1);
	int status = 0;
	long w = sys(SYS_wait4, pid, &status, 0, NULL);
	sys(SYS_close, shared[0]);
	sigaction(SIGUSR1, &old, NULL);
	CHECK(pid > 0 && w == pid, "fork = %s, wait4 = %s", ret_name(pid), ret_name(w));
	CHECK(handled == 1, "the handler ran %d times", handled);
	return expect_returned(status, "the signalling child");
}

static const char *test_pipe_read_interrupted(void)
{
	long r;
	char c = 0;
	const char *why = read_interrupted(0, &r, &c);

	if (why)
		return why;
	CHECK(r == -EINTR, "a read interrupted by a handler = %s, expected -EINTR", ret_name(r));
	why = read_interrupted(SA_RESTART, &r, &c);
	if (why)
		return why;
	CHECK(r == 1 && c == 'r', "with SA_RESTART the read = %s ('%c'), expected the byte",
	      ret_name(r), c);
	return NULL;
}

const struct usertest pipe_tests[] = {
	{ "pipe_basic", test_pipe_basic, PORTABLE },
	{ "pipe_eof", test_pipe_eof, PORTABLE },
	{ "pipe_epipe", test_pipe_epipe, PORTABLE },
	{ "pipe2_flags", test_pipe2_flags, PORTABLE },
	{ "pipe_capacity", test_pipe_capacity, PORTABLE },
	{ "pipe_order", test_pipe_order, PORTABLE },
	{ "pipe_bad_buffers", test_pipe_bad_buffers, PORTABLE },
	{ "dup", test_dup, PORTABLE },
	{ "dup2_dup3", test_dup2_dup3, PORTABLE },
	{ "fcntl", test_fcntl, PORTABLE },
	{ "dup_emfile", test_dup_emfile, PORTABLE },
	{ "pipe_stream", test_pipe_stream, PORTABLE },
	{ "pipe_reader_waits", test_pipe_reader_waits, PORTABLE },
	{ "pipe_eof_all_writers", test_pipe_eof_all_writers, PORTABLE },
	{ "pipe_sigpipe", test_pipe_sigpipe, PORTABLE },
	{ "pipe_epipe_wakes_writer", test_pipe_epipe_wakes_writer, PORTABLE },
	{ "cloexec_exec", test_cloexec_exec, PORTABLE },
	{ "pipe_read_interrupted", test_pipe_read_interrupted, PORTABLE },
	{ NULL, NULL, 0 },
};
