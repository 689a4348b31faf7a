/*
 * fork.c - usertests: fork with copy-on-write, wait4, exit statuses, orphans adopted by init,
 * the process limit.
 *
 * Every call goes through sys() (raw results, -errno), so the same checks hold on Linux:
 * fork, vfork and clone(SIGCHLD) return the child's pid and 0 in the child; wait4 selects
 * by pid, any child, the caller's group or another group, reaps once, says WNOHANG's "not
 * yet" with 0, fills the child's rusage; a child whose parent ends is adopted by pid 1 (on
 * Pagoda user/init.c; on Linux the run's init); a handler interrupts wait4 (EINTR); a
 * child's end sends SIGCHLD. Children report through pipes or their exit status; none
 * touches the parent's memory.
 *
 * Invariants:
 *   [x] a test reaps every child it starts and closes what it opens;
 *   [x] a child never returns into the test: it ends with the exit system call.
 * Context: the usertests program (usertests.h).
 */
#include <sys/wait.h>

#include "usertests.h"

#define WAIT_ANY (-1)
#define ORPHAN_WAIT_MS 3000     /* how long an orphan waits to see getppid() == 1 */
#define LIMIT_TRIES 1000        /* forks the limit test tries before giving up */
#ifndef CLONE_VM
#define CLONE_VM 0x00000100     /* Linux's include/uapi/linux/sched.h */
#define CLONE_FILES 0x00000400
#endif

/* long pid = fork(), the test failing when fork does. */
#define FORK(pid)                                                                        \
	long pid = sys(SYS_fork);                                                        \
	CHECK(pid >= 0, "line %d: fork = %s", __LINE__, ret_name(pid))

/* End the calling child now with code (never returns). */
static void __attribute__((noreturn)) child_exit(int code)
{
	sys(SYS_exit_group, code);
	for (;;)
		continue;
}

/* wait4(pid, &status, 0, NULL): the reaped pid, status in *status. */
static long reap(long pid, int *status)
{
	return sys(SYS_wait4, pid, status, 0, NULL);
}

static int exited_with(int status, int code)
{
	return WIFEXITED(status) && WEXITSTATUS(status) == code;
}

static void sleep_ms(long ms)
{
	struct timespec t = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };
	sys(SYS_nanosleep, &t, NULL);
}

static const char *test_fork_basic(void)
{
	volatile int shared = 7;
	long parent = sys(SYS_getpid);
	FORK(pid);
	if (pid == 0) {
		/* The child: its own pid, the parent as parent, the parent's memory as a copy. */
		int ok = sys(SYS_getppid) == parent && sys(SYS_getpid) != parent && shared == 7;
		shared = 8;
		child_exit(ok ? 42 : 1);
	}
	CHECK(pid != parent, "fork returned the parent's own pid %ld", pid);
	int status = -1;
	CHECK_RET(reap(pid, &status), pid);
	CHECK(exited_with(status, 42), "child status 0x%x, expected exit 42 (1: it saw wrong ids)",
	      status);
	CHECK(shared == 7, "the child's write reached the parent: %d", shared);
	CHECK_RET(reap(pid, &status), -ECHILD); /* reaped once */
	return NULL;
}

static const char *test_fork_signaled(void)
{
	FORK(pid);
	if (pid == 0) {
		volatile int *nowhere = (volatile int *)unmapped_page();
		*nowhere = 1; /* no page there: SIGSEGV */
		child_exit(1);
	}
	int status = 0;
	CHECK_RET(reap(pid, &status), pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV,
	      "status 0x%x, expected killed by SIGSEGV", status);
	return NULL;
}

static const char *test_fork_exit_codes(void)
{
	static const int codes[] = { 0, 1, 127, 255, 300 };
	for (unsigned i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		long pid = sys(SYS_fork);
		CHECK(pid >= 0, "fork = %s", ret_name(pid));
		if (pid == 0)
			child_exit(codes[i]);
		int status = -1;
		CHECK_RET(reap(pid, &status), pid);
		CHECK(exited_with(status, codes[i] & 0xff), "exit(%d) gave status 0x%x", codes[i],
		      status);
	}
	return NULL;
}

static const char *test_fork_chain(void)
{
	/* Ten generations: each forks the next and exits with its child's code + 1. */
	int depth = 0;
	for (; depth < 10; depth++) {
		long pid = sys(SYS_fork);
		if (pid < 0) {
			if (depth == 0)
				return fail("fork = %s", ret_name(pid));
			child_exit(200);
		}
		if (pid > 0) {
			int status = 0;
			long got = reap(pid, &status);
			int code = got == pid && WIFEXITED(status) ? WEXITSTATUS(status) + 1 : 250;
			if (depth == 0) {
				CHECK(code == 11, "ten generations: status %d, expected 11", code);
				return NULL;
			}
			child_exit(code);
		}
	}
	child_exit(1); /* the tenth child */
}

static const char *test_wait4_echild(void)
{
	int status;
	CHECK_RET(sys(SYS_wait4, WAIT_ANY, &status, 0, NULL), -ECHILD);
	CHECK_RET(sys(SYS_wait4, WAIT_ANY, &status, WNOHANG, NULL), -ECHILD);
	CHECK_RET(sys(SYS_wait4, 0, &status, 0, NULL), -ECHILD);
	CHECK_RET(sys(SYS_wait4, sys(SYS_getpid), &status, 0, NULL), -ECHILD);
	CHECK_RET(sys(SYS_wait4, 1, &status, 0, NULL), -ECHILD); /* init is nobody's child here */
	CHECK_RET(sys(SYS_wait4, WAIT_ANY, &status, 0x100, NULL), -EINVAL);
	return NULL;
}

static const char *test_wait4_nohang(void)
{
	int fds[2];
	char byte = 0;

	CHECK_RET(sys(SYS_pipe2, fds, 0), 0);
	FORK(pid);
	if (pid == 0) {
		sys(SYS_close, fds[1]);
		child_exit(sys(SYS_read, fds[0], &byte, 1) == 1 ? 5 : 6); /* waits for the parent */
	}
	sys(SYS_close, fds[0]);
	int status = -1;
	long nohang = sys(SYS_wait4, pid, &status, WNOHANG, NULL);
	long nohang_any = sys(SYS_wait4, WAIT_ANY, &status, WNOHANG, NULL);
	long wrote = sys(SYS_write, fds[1], "x", 1);
	sys(SYS_close, fds[1]);
	long got = reap(pid, &status);
	CHECK_RET(nohang, 0);
	CHECK_RET(nohang_any, 0);
	CHECK_RET(wrote, 1);
	CHECK_RET(got, pid);
	CHECK(exited_with(status, 5), "status 0x%x, expected exit 5", status);
	return NULL;
}

static const char *test_wait4_pid_forms(void)
{
	long pids[4];
	int status;

	for (int i = 0; i < 4; i++) {
		pids[i] = sys(SYS_fork);
		CHECK(pids[i] >= 0, "fork = %s", ret_name(pids[i]));
		if (pids[i] == 0)
			child_exit(10 + i);
	}
	/* Child 3 moves to a group of its own (from both sides, as a shell does). */
	CHECK_RET(sys(SYS_setpgid, pids[3], pids[3]), 0);
	CHECK_RET(sys(SYS_getpgid, pids[3]), pids[3]);
	CHECK_RET(sys(SYS_getpgid, pids[0]), sys(SYS_getpgrp));

	CHECK_RET(reap(pids[1], &status), pids[1]);
	CHECK(exited_with(status, 11), "wait4(pid) status 0x%x", status);
	long a = reap(0, &status); /* one of children 0 and 2: the caller's group */
	CHECK(a == pids[0] || a == pids[2], "wait4(0) = %s", ret_name(a));
	CHECK(exited_with(status, a == pids[0] ? 10 : 12), "wait4(0) status 0x%x", status);
	long b = reap(-sys(SYS_getpgrp), &status); /* the other one */
	CHECK(b == (a == pids[0] ? pids[2] : pids[0]), "wait4(-pgrp) = %s", ret_name(b));
	CHECK_RET(sys(SYS_wait4, 0, &status, WNOHANG, NULL), -ECHILD); /* child 3 is elsewhere */
	CHECK_RET(reap(-pids[3], &status), pids[3]);
	CHECK(exited_with(status, 13), "wait4(-pgid) status 0x%x", status);
	CHECK_RET(reap(WAIT_ANY, &status), -ECHILD);
	return NULL;
}

static const char *test_wait4_rusage(void)
{
	enum { PAGES = 16 };
	struct rusage before, child, after;

	CHECK_RET(sys(SYS_getrusage, RUSAGE_CHILDREN, &before), 0);
	FORK(pid);
	if (pid == 0) {
		char *p = map_pages(PAGES, PROT_READ | PROT_WRITE);
		for (int i = 0; p && i < PAGES; i++)
			p[i * P] = 1; /* PAGES demand-zero faults */
		child_exit(p ? 0 : 1);
	}
	int status = -1;
	memset(&child, 0xff, sizeof(child));
	CHECK_RET(sys(SYS_wait4, pid, &status, 0, &child), pid);
	CHECK(exited_with(status, 0), "status 0x%x", status);
	CHECK(child.ru_minflt >= PAGES, "child's ru_minflt %ld < %d pages touched",
	      child.ru_minflt, PAGES);
	CHECK(child.ru_maxrss >= PAGES * 4, "child's ru_maxrss %ld KiB < %d pages", child.ru_maxrss,
	      PAGES);
	CHECK(child.ru_utime.tv_sec >= 0 && child.ru_utime.tv_usec >= 0 &&
	      child.ru_utime.tv_usec < 1000000, "child's ru_utime %ld.%06ld",
	      (long)child.ru_utime.tv_sec, (long)child.ru_utime.tv_usec);
	CHECK_RET(sys(SYS_getrusage, RUSAGE_CHILDREN, &after), 0);
	CHECK(after.ru_minflt - before.ru_minflt >= PAGES,
	      "RUSAGE_CHILDREN minflt grew by %ld, the child took %ld", after.ru_minflt - before.ru_minflt,
	      child.ru_minflt);
	return NULL;
}

static const char *test_wait4_bad_pointer(void)
{
	FORK(pid);
	if (pid == 0)
		child_exit(3);
	/* The child is reaped even though its status cannot be stored (as Linux). */
	CHECK_RET(sys(SYS_wait4, pid, KERNEL_ADDR, 0, NULL), -EFAULT);
	CHECK_RET(sys(SYS_wait4, pid, NULL, 0, NULL), -ECHILD);
	pid = sys(SYS_fork);
	CHECK(pid >= 0, "fork = %s", ret_name(pid));
	if (pid == 0)
		child_exit(4);
	CHECK_RET(sys(SYS_wait4, pid, NULL, 0, unmapped_page()), -EFAULT);
	CHECK_RET(sys(SYS_wait4, WAIT_ANY, NULL, 0, NULL), -ECHILD);
	return NULL;
}

static const char *test_zombie_until_reaped(void)
{
	FORK(pid);
	if (pid == 0)
		child_exit(0);
	int status;
	/* Wait for the end without reaping: WNOHANG polls until the status is there. */
	long got = 0;
	for (int i = 0; i < 2000 && got == 0; i++) {
		/* A zombie still has its pid and group: getpgid finds it. */
		CHECK_RET(sys(SYS_getpgid, pid), sys(SYS_getpgrp));
		sleep_ms(1);
		got = sys(SYS_wait4, pid, &status, WNOHANG, NULL);
	}
	CHECK_RET(got, pid);
	CHECK_RET(sys(SYS_getpgid, pid), -ESRCH); /* reaped: gone */
	return NULL;
}

static const char *test_orphan_adopted_by_init(void)
{
	int fds[2];
	long seen = 0;

	CHECK_RET(sys(SYS_pipe2, fds, 0), 0);
	FORK(pid);
	if (pid == 0) {
		long mid = sys(SYS_getpid);
		long grandchild = sys(SYS_fork);
		if (grandchild != 0)
			child_exit(grandchild > 0 ? 0 : 1); /* the parent ends at once */
		/* The orphan: its parent was mid until mid ended. */
		long ppid = sys(SYS_getppid);
		for (int i = 0; i < ORPHAN_WAIT_MS && ppid == mid; i++) {
			sleep_ms(1);
			ppid = sys(SYS_getppid);
		}
		sys(SYS_write, fds[1], &ppid, sizeof(ppid));
		child_exit(0);
	}
	sys(SYS_close, fds[1]);
	int status = -1;
	CHECK_RET(reap(pid, &status), pid);
	CHECK(exited_with(status, 0), "middle child's status 0x%x", status);
	CHECK_RET(sys(SYS_read, fds[0], &seen, sizeof(seen)), sizeof(seen));
	sys(SYS_close, fds[0]);
	CHECK(seen == 1, "the orphan's getppid() = %ld after its parent ended, expected 1 (init)",
	      seen);
	CHECK_RET(reap(WAIT_ANY, &status), -ECHILD); /* the orphan is init's, not ours */
	return NULL;
}

static volatile int signals_seen;

static void count_signal(int sig)
{
	(void)sig;
	signals_seen++;
}

/* Install count_signal for sig without SA_RESTART (0), keeping the old action in *old. */
static int catch_signal(int sig, struct sigaction *old)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = count_signal;
	return sigaction(sig, &sa, old);
}

static const char *test_wait4_interrupted(void)
{
	int fds[2];
	struct sigaction old;
	char byte;

	CHECK_RET(sys(SYS_pipe2, fds, O_NONBLOCK), 0);
	CHECK(catch_signal(SIGUSR1, &old) == 0, "sigaction failed");
	signals_seen = 0;
	long parent = sys(SYS_getpid);
	FORK(pid);
	if (pid == 0) {
		/* SIGUSR1 to the parent every 5 ms until it closes the pipe (EOF: 0). */
		sys(SYS_close, fds[1]);
		while (sys(SYS_read, fds[0], &byte, 1) == -EAGAIN) {
			sys(SYS_kill, parent, SIGUSR1);
			sleep_ms(5);
		}
		child_exit(0);
	}
	int status = -1;
	long first = sys(SYS_wait4, pid, &status, 0, NULL); /* a handler runs: EINTR */
	sys(SYS_close, fds[1]);
	sys(SYS_close, fds[0]);
	long got = reap(pid, &status);
	int seen = signals_seen;
	sigaction(SIGUSR1, &old, NULL);
	CHECK_RET(first, -EINTR);
	CHECK(seen >= 1, "the handler never ran");
	CHECK_RET(got, pid);
	CHECK(exited_with(status, 0), "status 0x%x", status);
	return NULL;
}

static const char *test_sigchld_on_exit(void)
{
	struct sigaction old;

	CHECK(catch_signal(SIGCHLD, &old) == 0, "sigaction failed");
	signals_seen = 0;
	FORK(pid);
	if (pid == 0)
		child_exit(0);
	int status;
	long got = reap(pid, &status);
	int seen = signals_seen;
	sigaction(SIGCHLD, &old, NULL);
	CHECK_RET(got, pid);
	CHECK(seen == 1, "SIGCHLD handler ran %d times for one child's end", seen);
	return NULL;
}

/* vfork by hand: the child exits through the system call at once, never touching the stack. */
static long vfork_exit(int code)
{
	long ret;
	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "mov %[exit], %%eax\n\t"
			 "mov %[code], %%edi\n\t"
			 "syscall\n\t"
			 "1:"
			 : "=a"(ret)
			 : "0"((long)SYS_vfork), [exit] "i"(SYS_exit_group), [code] "r"(code)
			 : "rcx", "r11", "rdi", "memory");
	return ret;
}

static const char *test_vfork_and_clone(void)
{
	int status = -1;
	long pid = vfork_exit(21);

	CHECK(pid > 0, "vfork = %s", ret_name(pid));
	CHECK_RET(reap(pid, &status), pid);
	CHECK(exited_with(status, 21), "vfork child's status 0x%x", status);
	pid = sys(SYS_clone, SIGCHLD, 0, NULL, NULL, 0);
	CHECK(pid >= 0, "clone(SIGCHLD) = %s", ret_name(pid));
	if (pid == 0)
		child_exit(22);
	CHECK_RET(reap(pid, &status), pid);
	CHECK(exited_with(status, 22), "clone child's status 0x%x", status);
	return NULL;
}

static const char *test_clone_flags_refused(void)
{
	/* Pagoda has no threads or shared spaces: any flag but the exit signal is refused. */
	CHECK_RET(sys(SYS_clone, CLONE_VM | SIGCHLD, 0, NULL, NULL, 0), -EINVAL);
	CHECK_RET(sys(SYS_clone, CLONE_FILES | SIGCHLD, 0, NULL, NULL, 0), -EINVAL);
	CHECK_RET(sys(SYS_clone, SIGUSR1, 0, NULL, NULL, 0), -EINVAL);
	int status;
	CHECK_RET(sys(SYS_wait4, WAIT_ANY, &status, WNOHANG, NULL), -ECHILD);
	return NULL;
}

static const char *test_process_limit(void)
{
	int fds[2];
	long pids[LIMIT_TRIES];
	int n = 0;
	long err = 0;
	char byte;

	CHECK_RET(sys(SYS_pipe2, fds, 0), 0);
	/* Children that wait for the pipe's end, until fork refuses. */
	while (n < LIMIT_TRIES) {
		long pid = sys(SYS_fork);
		if (pid == 0) {
			sys(SYS_close, fds[1]);
			sys(SYS_read, fds[0], &byte, 1); /* EOF when the parent closes */
			child_exit(0);
		}
		if (pid < 0) {
			err = pid;
			break;
		}
		pids[n++] = pid;
	}
	sys(SYS_close, fds[1]);
	sys(SYS_close, fds[0]);
	int bad = 0, status;
	for (int i = 0; i < n; i++)
		bad += reap(pids[i], &status) != pids[i] || !exited_with(status, 0);
	CHECK(err == -EAGAIN, "after %d children fork = %s, expected -EAGAIN", n, ret_name(err));
	CHECK(n > 8 && n < LIMIT_TRIES, "the limit came after %d children", n);
	CHECK(bad == 0, "%d of %d children not reaped with status 0", bad, n);
	/* Below the limit again: fork works. */
	long pid = sys(SYS_fork);
	CHECK(pid >= 0, "fork after the limit = %s", ret_name(pid));
	if (pid == 0)
		child_exit(0);
	CHECK_RET(reap(pid, &status), pid);
	return NULL;
}

const struct usertest fork_tests[] = {
	{ "fork_basic", test_fork_basic, PORTABLE },
	{ "fork_signaled", test_fork_signaled, PORTABLE },
	{ "fork_exit_codes", test_fork_exit_codes, PORTABLE },
	{ "fork_chain", test_fork_chain, PORTABLE },
	{ "wait4_echild", test_wait4_echild, PORTABLE },
	{ "wait4_nohang", test_wait4_nohang, PORTABLE },
	{ "wait4_pid_forms", test_wait4_pid_forms, PORTABLE },
	{ "wait4_rusage", test_wait4_rusage, PORTABLE },
	{ "wait4_bad_pointer", test_wait4_bad_pointer, PORTABLE },
	{ "zombie_until_reaped", test_zombie_until_reaped, PORTABLE },
	{ "orphan_adopted_by_init", test_orphan_adopted_by_init, PORTABLE },
	{ "wait4_interrupted", test_wait4_interrupted, PORTABLE },
	{ "sigchld_on_exit", test_sigchld_on_exit, PORTABLE },
	{ "vfork_and_clone", test_vfork_and_clone, PORTABLE },
	{ "clone_flags_refused", test_clone_flags_refused, PAGODA_ONLY },
	{ "process_limit", test_process_limit, PAGODA_ONLY },
	{ NULL, NULL, 0 },
};
