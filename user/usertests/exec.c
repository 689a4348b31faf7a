/*
 * exec.c - usertests: execve replacing the image, its arguments and environment, errors.
 *
 * A forked child changes what an exec must not keep (a mapping, a handled and an ignored
 * signal, MXCSR, an O_CLOEXEC descriptor beside a plain one) and execs `execcheck`, which
 * checks argv, envp, its pid and ppid, and that all of that is gone or reset, and reports
 * through its exit status. The error tests call execve in the test itself: a failed exec
 * returns, and the caller's memory is as it was. Linux's order of checks decides which
 * error wins (the path, then the file, then the arguments).
 *
 * Invariants:
 *   [x] a test reaps every child it starts and closes what it opens.
 * Context: the usertests program (usertests.h).
 */
#include "usertests.h"

#define EXECCHECK "execcheck"
#define OLD_MAPPING 0x300000000ul  /* a page the old image maps; free in both kernels' layouts */
#define EXEC_RETURNED 90           /* the child's status when execve returned */
#define BIG_ARG (200l << 10)       /* longer than Linux's MAX_ARG_STRLEN and Pagoda's 64 KiB */

static char *const exec_envp[] = {"EXECCHECK=yes", "SECOND=2", NULL};

static void handler(int sig)
{
	(void)sig;
}

/* What execcheck's exit statuses mean (user/execcheck.c). */
static const char *execcheck_says(int code)
{
	static const char *const why[] = {
		"argv differs", "the environment differs", "the pid or ppid changed",
		"the old image's mapping survived", "data or bss not fresh", "MXCSR not reset",
		"signal dispositions not reset as Linux does", "close-on-exec not honoured",
	};
	return code >= 10 && code < 18 ? why[code - 10] : "unknown";
}

/* In the child: set up what exec must drop, then exec execcheck. */
static void exec_child(long unused)
{
	char pid[24], ppid[24], addr[24], cloexec_fd[12], kept_fd[12];
	struct sigaction sa = {.sa_handler = handler}, ign = {.sa_handler = SIG_IGN};
	unsigned mxcsr = 0x9fc0; /* flush-to-zero on: not the start-up value */

	(void)unused;
	if (mmap((void *)OLD_MAPPING, P, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) != (void *)OLD_MAPPING)
		sys(SYS_exit_group, 80);
	*(volatile char *)OLD_MAPPING = 1;
	if (sigaction(SIGUSR1, &sa, NULL) != 0 || sigaction(SIGUSR2, &ign, NULL) != 0)
		sys(SYS_exit_group, 81);
	__asm__ volatile("ldmxcsr %0" : : "m"(mxcsr));
	long a = sys(SYS_open, DATA_FILE, O_RDONLY | O_CLOEXEC, 0);
	long b = sys(SYS_open, DATA_FILE, O_RDONLY, 0);
	if (a < 0 || b < 0)
		sys(SYS_exit_group, 82);
	snprintf(pid, sizeof(pid), "%ld", sys(SYS_getpid));
	snprintf(ppid, sizeof(ppid), "%ld", sys(SYS_getppid));
	snprintf(addr, sizeof(addr), "%#lx", OLD_MAPPING);
	snprintf(cloexec_fd, sizeof(cloexec_fd), "%ld", a);
	snprintf(kept_fd, sizeof(kept_fd), "%ld", b);
	char *const argv[] = {EXECCHECK, pid, ppid, addr, cloexec_fd, kept_fd, "hello world", "",
			      NULL};
	sys(SYS_execve, EXECCHECK, argv, exec_envp);
	sys(SYS_exit_group, EXEC_RETURNED);
}

static const char *test_exec_replaces_image(void)
{
	long status = child_status(exec_child, 0);

	CHECK(!is_err(status), "fork or wait4 failed: %s", ret_name(status));
	CHECK(WIFEXITED(status), "the child %s", status_name(status));
	int code = WEXITSTATUS(status);
	CHECK(code != EXEC_RETURNED, "execve(\"%s\") returned in the child", EXECCHECK);
	CHECK(code < 80 || code > 82, "the child's set-up failed (status %d)", code);
	CHECK(code == 0, "execcheck failed: %s (status %d)", execcheck_says(code), code);
	return NULL;
}

static void exec_exitcode(long code)
{
	char arg[24];

	snprintf(arg, sizeof(arg), "%ld", code);
	char *const argv[] = {"exitcode", arg, NULL};
	sys(SYS_execve, "exitcode", argv, exec_envp);
	sys(SYS_exit_group, EXEC_RETURNED);
}

/* The new program's status is the parent's wait status; exec twice from one parent. */
static const char *test_exec_exit_status(void)
{
	for (long code = 3; code <= 4; code++) {
		long status = child_status(exec_exitcode, code);
		CHECK(!is_err(status) && WIFEXITED(status) && WEXITSTATUS(status) == code,
		      "exec of exitcode %ld: the child %s", code, status_name(status));
	}
	return NULL;
}

/* Every refused execve returns its error; the caller's memory and descriptors are intact. */
static const char *test_exec_errors_leave_caller(void)
{
	char *const argv[] = {EXECCHECK, NULL};
	char *const bad_argv[] = {(char *)KERNEL_ADDR, NULL};
	char *const bad_envp[] = {"A=1", (char *)KERNEL_ADDR, NULL};
	char *page = map_pages(1, PROT_READ | PROT_WRITE);
	char *big = map_pages(BIG_ARG / P + 1, PROT_READ | PROT_WRITE);

	CHECK(page && big, "mmap failed");
	memset(page, 0x5a, P);
	memset(big, 'a', BIG_ARG);
	big[BIG_ARG] = '\0';
	char *const big_argv[] = {EXECCHECK, big, NULL};

	CHECK_RET(sys(SYS_execve, "no-such-program", argv, exec_envp), -ENOENT);
	CHECK_RET(sys(SYS_execve, "", argv, exec_envp), -ENOENT);
	CHECK_RET(sys(SYS_execve, DATA_FILE, argv, exec_envp), -EACCES); /* mode 0644 */
	CHECK_RET(sys(SYS_execve, "README.md", argv, exec_envp), -EACCES);
	CHECK_RET(sys(SYS_execve, "/", argv, exec_envp), -EACCES);        /* a directory */
	CHECK_RET(sys(SYS_execve, EXECCHECK "/", argv, exec_envp), -ENOTDIR);
	CHECK_RET(sys(SYS_execve, EXECCHECK "/x", argv, exec_envp), -ENOTDIR);
	CHECK_RET(sys(SYS_execve, NULL, argv, exec_envp), -EFAULT);
	CHECK_RET(sys(SYS_execve, KERNEL_ADDR, argv, exec_envp), -EFAULT);
	CHECK_RET(sys(SYS_execve, EXECCHECK, unmapped_page(), exec_envp), -EFAULT);
	CHECK_RET(sys(SYS_execve, EXECCHECK, KERNEL_ADDR, exec_envp), -EFAULT);
	CHECK_RET(sys(SYS_execve, EXECCHECK, bad_argv, exec_envp), -EFAULT);
	CHECK_RET(sys(SYS_execve, EXECCHECK, argv, bad_envp), -EFAULT);
	CHECK_RET(sys(SYS_execve, EXECCHECK, big_argv, exec_envp), -E2BIG);
	/*
	 * A missing file with bad arguments is not checked: Linux 6.1 (the
	 * pinned kernel) reads the arguments first (-EFAULT), Linux 6.8 and
	 * later open the file first (-ENOENT), as Pagoda does.
	 */

	for (long i = 0; i < P; i++)
		CHECK(page[i] == 0x5a, "byte %ld of a page changed under failed execs", i);
	struct stat st;
	CHECK_RET(sys(SYS_fstat, 1, &st), 0);
	unmap_pages(page, 1);
	unmap_pages(big, BIG_ARG / P + 1);
	return NULL;
}

const struct usertest exec_tests[] = {
	{"exec_replaces_image", test_exec_replaces_image, PORTABLE},
	{"exec_exit_status", test_exec_exit_status, PORTABLE},
	{"exec_errors_leave_caller", test_exec_errors_leave_caller, PORTABLE},
	{ NULL, NULL, 0 },
};
