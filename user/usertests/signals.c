/*
 * signals.c - usertests: kill, tkill, tgkill, default actions, handlers and rt_sigreturn.
 *
 * Handlers go through musl's sigaction (its restorer, SA_RESTORER) and the
 * signals are sent with raw system calls, so the kernel's answers are
 * checked, not libc's. The registers and FPU state a handler finds and
 * leaves are checked from inline assembly around the very `syscall` that
 * raises the signal. Faults are caught, inspected (si_addr, si_code) and
 * either fixed (the program goes on) or left by siglongjmp. What kills is
 * done in forked children (child_status).
 *
 * Invariants:
 *   [x] a test reaps every child it starts and closes what it opens;
 *   [x] a test puts back every action and the mask it changed.
 * Context: the usertests program (usertests.h).
 */
#define _GNU_SOURCE /* REG_RIP, REG_CSGSFS */
#include <setjmp.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <ucontext.h>

#include "usertests.h"

#define SIGMASK(sig) (1ul << ((sig) - 1))

static volatile int hits[65];         /* handler runs per signal */
static volatile int order[8], norder; /* signals in the order their handlers ran */
static volatile siginfo_t last_info;
static volatile unsigned long mask_inside;   /* the blocked mask while the handler ran */
static volatile unsigned long uc_mask;       /* the handler's uc_sigmask */
static sigjmp_buf jump;

static long self(void)
{
	return sys(SYS_getpid);
}

static unsigned long blocked_now(void)
{
	unsigned long m = 0;
	sys(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &m, SIGSET_SIZE);
	return m;
}

static void set_blocked(unsigned long m)
{
	sys(SYS_rt_sigprocmask, SIG_SETMASK, &m, NULL, SIGSET_SIZE);
}

static void record(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	hits[sig]++;
	if (norder < 8)
		order[norder++] = sig;
	memcpy((void *)&last_info, si, sizeof(*si));
	mask_inside = blocked_now();
	memcpy((void *)&uc_mask, &uc->uc_sigmask, sizeof(unsigned long));
}

static void reset_records(void)
{
	memset((void *)hits, 0, sizeof(hits));
	norder = 0;
}

/* Install fn for sig with flags (SA_SIGINFO added) and extra blocked while it runs. */
static int handle(int sig, void (*fn)(int, siginfo_t *, void *), int flags, unsigned long extra)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fn;
	sa.sa_flags = SA_SIGINFO | flags;
	for (int s = 1; s < 64; s++)
		if (extra & SIGMASK(s))
			sigaddset(&sa.sa_mask, s);
	return sigaction(sig, &sa, NULL);
}

static void restore_default(int sig)
{
	signal(sig, SIG_DFL);
}

static const char *test_handler_runs(void)
{
	long pid = self();

	reset_records();
	CHECK(handle(SIGUSR1, record, 0, 0) == 0, "sigaction failed");
	CHECK_RET(sys(SYS_kill, pid, SIGUSR1), 0);
	CHECK(hits[SIGUSR1] == 1, "handler ran %d times, expected once", hits[SIGUSR1]);
	CHECK(last_info.si_signo == SIGUSR1 && last_info.si_code == SI_USER,
	      "siginfo signo %d code %d, expected %d and SI_USER", last_info.si_signo,
	      last_info.si_code, SIGUSR1);
	CHECK(last_info.si_pid == pid, "si_pid %d, expected %ld", last_info.si_pid, pid);
	CHECK(mask_inside & SIGMASK(SIGUSR1), "SIGUSR1 not blocked in its own handler");
	CHECK(!(uc_mask & SIGMASK(SIGUSR1)), "uc_sigmask holds SIGUSR1: not the mask before");
	CHECK(!(blocked_now() & SIGMASK(SIGUSR1)), "the mask was not put back after the handler");
	restore_default(SIGUSR1);
	return NULL;
}

static const char *test_tkill_tgkill(void)
{
	long pid = self(), tid = sys(SYS_gettid);

	reset_records();
	CHECK(handle(SIGUSR2, record, 0, 0) == 0, "sigaction failed");
	CHECK_RET(sys(SYS_tkill, tid, SIGUSR2), 0);
	CHECK(hits[SIGUSR2] == 1 && last_info.si_code == SI_TKILL,
	      "tkill: %d runs, si_code %d (SI_TKILL is %d)", hits[SIGUSR2], last_info.si_code,
	      SI_TKILL);
	CHECK_RET(sys(SYS_tgkill, pid, tid, SIGUSR2), 0);
	CHECK(hits[SIGUSR2] == 2, "tgkill: handler ran %d times in all", hits[SIGUSR2]);
	CHECK(raise(SIGUSR2) == 0 && hits[SIGUSR2] == 3, "raise: %d runs", hits[SIGUSR2]);
	CHECK_RET(sys(SYS_tkill, 0, SIGUSR2), -EINVAL);
	CHECK_RET(sys(SYS_tkill, -5, SIGUSR2), -EINVAL);
	CHECK_RET(sys(SYS_tkill, tid, 0), 0);
	CHECK_RET(sys(SYS_tkill, tid, 65), -EINVAL);
	CHECK_RET(sys(SYS_tgkill, 0, tid, SIGUSR2), -EINVAL);
	CHECK_RET(sys(SYS_tgkill, pid, 0, SIGUSR2), -EINVAL);
	CHECK_RET(sys(SYS_tgkill, pid, tid, 65), -EINVAL);
	CHECK_RET(sys(SYS_tgkill, 0x7ffffff0, 0x7ffffff0, SIGUSR2), -ESRCH);
	CHECK(hits[SIGUSR2] == 3, "a refused call delivered a signal");
	restore_default(SIGUSR2);
	return NULL;
}

static const char *test_kill_errors(void)
{
	long pid = self();

	CHECK_RET(sys(SYS_kill, pid, 0), 0);           /* the probe */
	CHECK_RET(sys(SYS_kill, 0x7ffffff0, 0), -ESRCH);
	CHECK_RET(sys(SYS_kill, 0x7ffffff0, SIGKILL), -ESRCH);
	CHECK_RET(sys(SYS_kill, pid, 65), -EINVAL);
	CHECK_RET(sys(SYS_kill, pid, -1), -EINVAL);
	CHECK_RET(sys(SYS_kill, -0x7ffffff0, 0), -ESRCH); /* no such group */
	CHECK_RET(sys(SYS_kill, 0, 0), 0);               /* our own group exists */
	return NULL;
}

static const char *test_pending_set(void)
{
	unsigned long both = SIGMASK(SIGUSR1) | SIGMASK(SIGUSR2), pending = ~0ul;
	unsigned long old = blocked_now();
	long pid = self();

	reset_records();
	CHECK(handle(SIGUSR1, record, 0, 0) == 0 && handle(SIGUSR2, record, 0, 0) == 0,
	      "sigaction failed");
	set_blocked(old | both);
	CHECK_RET(sys(SYS_kill, pid, SIGUSR1), 0);
	CHECK_RET(sys(SYS_kill, pid, SIGUSR1), 0);
	CHECK_RET(sys(SYS_kill, pid, SIGUSR2), 0);
	CHECK(hits[SIGUSR1] == 0 && hits[SIGUSR2] == 0, "a blocked signal was delivered");
	CHECK_RET(sys(SYS_rt_sigpending, &pending, SIGSET_SIZE), 0);
	CHECK(pending == both, "rt_sigpending = %#lx, expected %#lx", pending, both);
	CHECK_RET(sys(SYS_rt_sigpending, NULL, SIGSET_SIZE), -EFAULT);
	CHECK_RET(sys(SYS_rt_sigpending, &pending, 9), -EINVAL);
	set_blocked(old);
	CHECK(hits[SIGUSR1] == 1 && hits[SIGUSR2] == 1,
	      "after unblocking: SIGUSR1 ran %d times, SIGUSR2 %d (expected once each: a set)",
	      hits[SIGUSR1], hits[SIGUSR2]);
	CHECK_RET(sys(SYS_rt_sigpending, &pending, SIGSET_SIZE), 0);
	CHECK(pending == 0, "still pending: %#lx", pending);
	restore_default(SIGUSR1);
	restore_default(SIGUSR2);
	return NULL;
}

static const char *test_ignored(void)
{
	unsigned long old = blocked_now(), pending = ~0ul;
	long pid = self();

	CHECK(signal(SIGUSR1, SIG_IGN) != SIG_ERR, "signal failed");
	CHECK_RET(sys(SYS_kill, pid, SIGUSR1), 0);
	CHECK_RET(sys(SYS_rt_sigpending, &pending, SIGSET_SIZE), 0);
	CHECK(pending == 0, "an ignored signal is pending: %#lx", pending);
	/* Blocked, an ignored signal stays pending (its action may change first)... */
	set_blocked(old | SIGMASK(SIGUSR1));
	CHECK_RET(sys(SYS_kill, pid, SIGUSR1), 0);
	CHECK_RET(sys(SYS_rt_sigpending, &pending, SIGSET_SIZE), 0);
	CHECK(pending == SIGMASK(SIGUSR1), "blocked and ignored: pending %#lx", pending);
	/* ... and setting SIG_IGN again throws it away. */
	CHECK(signal(SIGUSR1, SIG_IGN) != SIG_ERR, "signal failed");
	CHECK_RET(sys(SYS_rt_sigpending, &pending, SIGSET_SIZE), 0);
	CHECK(pending == 0, "SIG_IGN kept a pending signal: %#lx", pending);
	set_blocked(old);
	CHECK_RET(sys(SYS_kill, pid, SIGCHLD), 0); /* default: ignored */
	CHECK_RET(sys(SYS_kill, pid, SIGURG), 0);
	CHECK_RET(sys(SYS_kill, pid, SIGWINCH), 0);
	restore_default(SIGUSR1);
	return NULL;
}

static void raise_it(long sig)
{
	sys(SYS_kill, sys(SYS_getpid), sig);
}

/*
 * Raise sig at the calling process with its default action in force: a
 * disposition inherited as ignored (a shell starts background jobs with
 * SIGINT and SIGQUIT ignored, and exec keeps that) or a blocked mask would
 * otherwise test the parent's settings, not the default.
 */
static void raise_default(long sig)
{
	sigset_t one;

	signal((int)sig, SIG_DFL); /* fails harmlessly for SIGKILL */
	sigemptyset(&one);
	sigaddset(&one, (int)sig);
	sigprocmask(SIG_UNBLOCK, &one, NULL);
	raise_it(sig);
}

static const char *test_sigchld_info(void)
{
	unsigned long old = blocked_now();
	int status;

	reset_records();
	CHECK(handle(SIGCHLD, record, 0, 0) == 0, "sigaction failed");
	for (int killed = 0; killed < 2; killed++) {
		set_blocked(old | SIGMASK(SIGCHLD)); /* delivered after the wait, with its info */
		long child = sys(SYS_fork);
		if (child == 0) {
			if (killed)
				raise_it(SIGTERM);
			sys(SYS_exit_group, 7);
		}
		CHECK(child > 0, "fork = %s", ret_name(child));
		CHECK_RET(sys(SYS_wait4, child, &status, 0, NULL), child);
		set_blocked(old);
		CHECK(hits[SIGCHLD] == killed + 1, "SIGCHLD handler ran %d times", hits[SIGCHLD]);
		CHECK(last_info.si_pid == child, "si_pid %d, the child is %ld", last_info.si_pid,
		      child);
		CHECK(last_info.si_code == (killed ? CLD_KILLED : CLD_EXITED) &&
			      last_info.si_status == (killed ? SIGTERM : 7),
		      "si_code %d si_status %d", last_info.si_code, last_info.si_status);
	}
	restore_default(SIGCHLD);
	return NULL;
}


static const char *test_default_actions(void)
{
	static const int kills[] = {SIGHUP, SIGINT, SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS,
				    SIGFPE, SIGKILL, SIGUSR1, SIGSEGV, SIGUSR2, SIGPIPE, SIGALRM,
				    SIGTERM, SIGSYS, 40};
	static const int ignored[] = {SIGCHLD, SIGURG, SIGWINCH, SIGCONT};
	const char *why;

	for (unsigned i = 0; i < sizeof(kills) / sizeof(kills[0]); i++)
		if ((why = expect_killed(child_status(raise_default, kills[i]), kills[i], "kill(self)")))
			return why;
	for (unsigned i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		if ((why = expect_returned(child_status(raise_default, ignored[i]), "ignored signal")))
			return why;
	/* libc's fork: musl's abort() raises with tkill on the tid libc keeps, a raw fork's parent's. */
	pid_t child = fork();
	int status = 0;
	if (child == 0)
		abort();
	CHECK(child > 0, "fork failed");
	CHECK(waitpid(child, &status, 0) == child, "waitpid failed");
	return expect_killed(status, SIGABRT, "abort()");
}

static void ud2(long unused)
{
	(void)unused;
	__asm__ volatile("ud2");
}

static void divide_by_zero(long zero)
{
	long q;
	__asm__ volatile("cqo; idivq %2" : "=a"(q) : "a"(7l), "r"(zero) : "rdx");
}

static void breakpoint(long unused)
{
	(void)unused;
	__asm__ volatile("int3");
}

static const char *test_fault_defaults(void)
{
	const char *why;

	if ((why = expect_killed(child_status(ud2, 0), SIGILL, "ud2")))
		return why;
	if ((why = expect_killed(child_status(divide_by_zero, 0), SIGFPE, "idiv by 0")))
		return why;
	return expect_killed(child_status(breakpoint, 0), SIGTRAP, "int3");
}

static void jump_out(int sig, siginfo_t *si, void *uc)
{
	record(sig, si, uc);
	siglongjmp(jump, 1);
}

static volatile long null_plus = 0x10; /* an address the compiler cannot see is NULL + 16 */

static const char *test_segv_caught(void)
{
	char *ro = map_pages(1, PROT_READ);

	CHECK(ro != NULL, "mmap failed");
	reset_records();
	CHECK(handle(SIGSEGV, jump_out, 0, 0) == 0, "sigaction failed");
	if (!sigsetjmp(jump, 1))
		*(volatile char *)null_plus = 1;
	CHECK(hits[SIGSEGV] == 1, "NULL + 0x10: handler ran %d times", hits[SIGSEGV]);
	CHECK(last_info.si_addr == (void *)0x10 && last_info.si_code == SEGV_MAPERR,
	      "NULL + 0x10: si_addr %p si_code %d", last_info.si_addr, last_info.si_code);
	if (!sigsetjmp(jump, 1))
		ro[5] = 1;
	CHECK(hits[SIGSEGV] == 2, "read-only page: handler ran %d times in all", hits[SIGSEGV]);
	CHECK(last_info.si_addr == ro + 5 && last_info.si_code == SEGV_ACCERR,
	      "read-only: si_addr %p (expected %p) si_code %d", last_info.si_addr, ro + 5,
	      last_info.si_code);
	CHECK(!(blocked_now() & SIGMASK(SIGSEGV)), "siglongjmp left SIGSEGV blocked");
	restore_default(SIGSEGV);
	unmap_pages(ro, 1);
	return NULL;
}

static char *fix_page;

static void make_writable(int sig, siginfo_t *si, void *uc)
{
	record(sig, si, uc);
	mprotect(fix_page, P, PROT_READ | PROT_WRITE);
}

static const char *test_segv_fixed(void)
{
	fix_page = map_pages(1, PROT_READ);
	CHECK(fix_page != NULL, "mmap failed");
	reset_records();
	CHECK(handle(SIGSEGV, make_writable, 0, 0) == 0, "sigaction failed");
	((volatile char *)fix_page)[100] = 42; /* faults once, then completes */
	CHECK(hits[SIGSEGV] == 1, "handler ran %d times", hits[SIGSEGV]);
	CHECK(fix_page[100] == 42, "the store did not complete after the handler");
	restore_default(SIGSEGV);
	unmap_pages(fix_page, 1);
	return NULL;
}

static volatile unsigned long fault_ip;

static void skip_ud2(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	record(sig, si, ucv);
	fault_ip = uc->uc_mcontext.gregs[REG_RIP];
	uc->uc_mcontext.gregs[REG_RIP] += 2; /* ud2 is 0f 0b */
}

static const char *test_handler_edits_context(void)
{
	unsigned long ip;

	reset_records();
	CHECK(handle(SIGILL, skip_ud2, 0, 0) == 0, "sigaction failed");
	__asm__ volatile("lea 0f(%%rip), %0\n0: ud2" : "=r"(ip));
	CHECK(hits[SIGILL] == 1, "SIGILL handler ran %d times", hits[SIGILL]);
	CHECK(fault_ip == ip, "uc RIP %#lx, the ud2 is at %#lx", fault_ip, ip);
	CHECK(last_info.si_code == ILL_ILLOPN && last_info.si_addr == (void *)ip,
	      "si_code %d si_addr %p", last_info.si_code, last_info.si_addr);
	restore_default(SIGILL);
	return NULL;
}

/* Clobbers what the interrupted code must get back. */
static void clobber(int sig, siginfo_t *si, void *uc)
{
	unsigned mxcsr = 0x7f80; /* round toward zero, all masked */

	record(sig, si, uc);
	__asm__ volatile("pcmpeqd %%xmm6, %%xmm6\n\tldmxcsr %0" ::"m"(mxcsr) : "xmm6");
	__asm__ volatile("mov $-1, %%r12\n\tmov $-1, %%r13\n\tmov $-1, %%r14\n\tmov $-1, %%r15\n\t"
			 "mov $-1, %%rbx\n\tmov $-1, %%r8\n\tmov $-1, %%r9\n\tmov $-1, %%r10"
			 ::: "r12", "r13", "r14", "r15", "rbx", "r8", "r9", "r10");
}

/* The registers around the raising `syscall` (globals: the asm names them, no register spare). */
unsigned long sig_regs_in[8] = {0x1111, 0x2222, 0x3333, 0x4444, 0x5555, 0x6666, 0x7777, 0x8888};
unsigned long sig_regs_out[8];
unsigned long sig_xmm_in[2] = {0x0123456789abcdefull, 0xfedcba9876543210ull}, sig_xmm_out[2];

static const char *test_state_preserved(void)
{
	unsigned mxcsr_before, mxcsr_after;

	reset_records();
	CHECK(handle(SIGUSR1, clobber, 0, 0) == 0, "sigaction failed");
	__asm__ volatile("stmxcsr %0" : "=m"(mxcsr_before));
	__asm__ volatile(
		"movdqu sig_xmm_in(%%rip), %%xmm6\n\t"
		"mov sig_regs_in+0(%%rip), %%r12\n\tmov sig_regs_in+8(%%rip), %%r13\n\t"
		"mov sig_regs_in+16(%%rip), %%r14\n\tmov sig_regs_in+24(%%rip), %%r15\n\t"
		"mov sig_regs_in+32(%%rip), %%rbx\n\tmov sig_regs_in+40(%%rip), %%r8\n\t"
		"mov sig_regs_in+48(%%rip), %%r9\n\tmov sig_regs_in+56(%%rip), %%r10\n\t"
		"mov $39, %%eax\n\tsyscall\n\t" /* getpid */
		"mov %%rax, %%rdi\n\tmov $10, %%esi\n\tmov $62, %%eax\n\tsyscall\n\t" /* kill */
		"movdqu %%xmm6, sig_xmm_out(%%rip)\n\t"
		"mov %%r12, sig_regs_out+0(%%rip)\n\tmov %%r13, sig_regs_out+8(%%rip)\n\t"
		"mov %%r14, sig_regs_out+16(%%rip)\n\tmov %%r15, sig_regs_out+24(%%rip)\n\t"
		"mov %%rbx, sig_regs_out+32(%%rip)\n\tmov %%r8, sig_regs_out+40(%%rip)\n\t"
		"mov %%r9, sig_regs_out+48(%%rip)\n\tmov %%r10, sig_regs_out+56(%%rip)"
		:
		:
		: "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14",
		  "r15", "rbx", "xmm6", "memory");
	__asm__ volatile("stmxcsr %0" : "=m"(mxcsr_after));
	CHECK(hits[SIGUSR1] == 1, "handler ran %d times", hits[SIGUSR1]);
	for (int i = 0; i < 8; i++)
		CHECK(sig_regs_out[i] == sig_regs_in[i], "register %d: %#lx after the handler, %#lx before",
		      i, sig_regs_out[i], sig_regs_in[i]);
	CHECK(sig_xmm_out[0] == sig_xmm_in[0] && sig_xmm_out[1] == sig_xmm_in[1],
	      "xmm6 %#lx:%#lx after the handler", sig_xmm_out[1], sig_xmm_out[0]);
	CHECK(mxcsr_after == mxcsr_before, "MXCSR %#x after the handler, %#x before", mxcsr_after,
	      mxcsr_before);
	restore_default(SIGUSR1);
	return NULL;
}

static volatile int depth, max_depth, early;

static void nested(int sig, siginfo_t *si, void *uc)
{
	record(sig, si, uc);
	if (++depth > max_depth)
		max_depth = depth;
	if (sig == SIGUSR2 && hits[sig] == 1)
		raise_it(sig); /* SA_NODEFER: runs inside this one */
	if (sig == SIGUSR1) {
		raise_it(SIGUSR2); /* in sa_mask: waits until this handler returns */
		early = hits[SIGUSR2];
	}
	depth--;
}

static const char *test_handler_flags(void)
{
	struct sigaction now;

	reset_records();
	depth = max_depth = 0;
	CHECK(handle(SIGUSR2, nested, SA_NODEFER, 0) == 0, "sigaction failed");
	raise_it(SIGUSR2);
	CHECK(hits[SIGUSR2] == 2 && max_depth == 2,
	      "SA_NODEFER: %d runs, %d deep (expected 2 nested)", hits[SIGUSR2], max_depth);
	reset_records();
	early = 0;
	CHECK(handle(SIGUSR1, nested, SA_RESETHAND, SIGMASK(SIGUSR2)) == 0, "sigaction failed");
	CHECK(handle(SIGUSR2, record, 0, 0) == 0, "sigaction failed");
	raise_it(SIGUSR1);
	CHECK(hits[SIGUSR1] == 1 && hits[SIGUSR2] == 1, "SIGUSR1 ran %d times, SIGUSR2 %d",
	      hits[SIGUSR1], hits[SIGUSR2]);
	CHECK(!early, "sa_mask: SIGUSR2 ran inside SIGUSR1's handler");
	CHECK(sigaction(SIGUSR1, NULL, &now) == 0 && now.sa_handler == SIG_DFL,
	      "SA_RESETHAND did not put SIG_DFL back");
	restore_default(SIGUSR2);
	return NULL;
}

static void usr1_then_sleep(long parent)
{
	struct timespec t = {0, 50 * 1000000};

	sys(SYS_nanosleep, &t, NULL);
	sys(SYS_kill, parent, SIGUSR1);
}

static const char *test_sigsuspend(void)
{
	unsigned long old = blocked_now(), empty = 0;
	long pid = self(), child;
	int status;

	reset_records();
	CHECK(handle(SIGUSR1, record, 0, 0) == 0, "sigaction failed");
	set_blocked(old | SIGMASK(SIGUSR1));
	child = sys(SYS_fork);
	if (child == 0) {
		usr1_then_sleep(pid);
		sys(SYS_exit_group, 0);
	}
	CHECK(child > 0, "fork = %s", ret_name(child));
	long r = sys(SYS_rt_sigsuspend, &empty, SIGSET_SIZE);
	CHECK_RET(sys(SYS_wait4, child, &status, 0, NULL), child);
	CHECK_RET(r, -EINTR);
	CHECK(hits[SIGUSR1] == 1, "handler ran %d times", hits[SIGUSR1]);
	CHECK(!(mask_inside & SIGMASK(SIGUSR2)) && (mask_inside & SIGMASK(SIGUSR1)),
	      "the handler ran with mask %#lx", mask_inside);
	CHECK(uc_mask & SIGMASK(SIGUSR1), "uc_sigmask %#lx: not the mask before sigsuspend",
	      uc_mask);
	CHECK(blocked_now() & SIGMASK(SIGUSR1), "sigsuspend did not put the mask back");
	CHECK_RET(sys(SYS_rt_sigsuspend, &empty, 4), -EINVAL);
	CHECK_RET(sys(SYS_rt_sigsuspend, NULL, SIGSET_SIZE), -EFAULT);
	set_blocked(old);
	restore_default(SIGUSR1);
	return NULL;
}

static void pause_forever(long unused)
{
	(void)unused;
	for (;;)
		sys(SYS_pause);
}

static const char *test_pause_killed(void)
{
	struct timespec t = {0, 30 * 1000000};
	long child = sys(SYS_fork);
	int status = 0;

	if (child == 0)
		pause_forever(0);
	CHECK(child > 0, "fork = %s", ret_name(child));
	sys(SYS_nanosleep, &t, NULL);
	CHECK_RET(sys(SYS_kill, child, SIGTERM), 0);
	CHECK_RET(sys(SYS_wait4, child, &status, 0, NULL), child);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM, "the child %s",
	      status_name(status));
	CHECK_RET(sys(SYS_kill, child, 0), -ESRCH); /* reaped: gone */
	return NULL;
}

static const char *test_restart(void)
{
	long pid = self();
	int status = 0;

	for (int restart = 0; restart < 2; restart++) {
		reset_records();
		CHECK(handle(SIGUSR1, record, restart ? SA_RESTART : 0, 0) == 0, "sigaction failed");
		long child = sys(SYS_fork);
		if (child == 0) {
			struct timespec t = {0, 50 * 1000000};
			usr1_then_sleep(pid);
			sys(SYS_nanosleep, &t, NULL); /* the parent waits meanwhile */
			sys(SYS_exit_group, 5);
		}
		CHECK(child > 0, "fork = %s", ret_name(child));
		long r = sys(SYS_wait4, child, &status, 0, NULL);
		if (!restart) {
			CHECK_RET(r, -EINTR);
			r = sys(SYS_wait4, child, &status, 0, NULL);
		}
		CHECK_RET(r, child);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 5, "the child %s",
		      status_name(status));
		CHECK(hits[SIGUSR1] == 1, "handler ran %d times", hits[SIGUSR1]);
	}
	restore_default(SIGUSR1);
	return NULL;
}

static void sigreturn_bad_stack(long addr)
{
	__asm__ volatile("mov %0, %%rsp\n\tmov $15, %%eax\n\tsyscall" ::"r"(addr) : "rax");
}

static const char *test_sigreturn_bad_frame(void)
{
	char *hole = unmapped_page();
	const char *why;

	if ((why = expect_killed(child_status(sigreturn_bad_stack, (long)hole + 512), SIGSEGV,
				 "rt_sigreturn, frame unmapped")))
		return why;
	return expect_killed(child_status(sigreturn_bad_stack, (long)KERNEL_ADDR), SIGSEGV,
			     "rt_sigreturn, frame in the kernel");
}

static void no_restorer(long unused)
{
	unsigned long act[4] = {(unsigned long)record, SA_SIGINFO, 0, 0}; /* no SA_RESTORER */

	(void)unused;
	sys(SYS_rt_sigaction, SIGUSR1, act, NULL, SIGSET_SIZE);
	raise_it(SIGUSR1);
}

static const char *test_no_restorer(void)
{
	return expect_killed(child_status(no_restorer, 0), SIGSEGV, "handler without SA_RESTORER");
}

static volatile int forge_kind;

static void forge(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	record(sig, si, ucv);
	if (forge_kind == 0) /* the kernel's code selector */
		uc->uc_mcontext.gregs[REG_CSGSFS] = (uc->uc_mcontext.gregs[REG_CSGSFS] & ~0xffffl) | 8;
	else if (forge_kind == 1) /* a non-canonical RIP */
		uc->uc_mcontext.gregs[REG_RIP] = 0x0000800000000000l;
	else if (forge_kind == 2) /* a reserved MXCSR bit: FXRSTOR/XRSTOR would #GP */
		((unsigned *)uc->uc_mcontext.fpregs)[6] |= 1u << 31;
	else /* the kernel's data selector as SS */
		uc->uc_mcontext.gregs[REG_CSGSFS] =
			(uc->uc_mcontext.gregs[REG_CSGSFS] & ~(0xffffl << 48)) | (0x10l << 48);
}

static void forged_return(long kind)
{
	forge_kind = (int)kind;
	handle(SIGUSR1, forge, 0, 0);
	raise_it(SIGUSR1);
}

static const char *test_sigreturn_forged(void)
{
	static const char *const what[] = {"kernel CS", "non-canonical RIP", "bad MXCSR",
					   "kernel SS"};
	const char *why;

	for (long kind = 0; kind < 4; kind++)
		if ((why = expect_killed(child_status(forged_return, kind), SIGSEGV, what[kind])))
			return why;
	return NULL;
}

static volatile char *alt_low, *alt_high;
static volatile int on_alt;

static void check_alt(int sig, siginfo_t *si, void *uc)
{
	char here;

	record(sig, si, uc);
	on_alt = &here > alt_low && &here < alt_high;
	siglongjmp(jump, 1);
}

static __attribute__((noinline)) long recurse(long n)
{
	volatile char big[512];

	big[0] = (char)n;
	if (n > (1l << 40)) /* never: the stack ends long before */
		return 0;
	return recurse(n + 1) + big[0]; /* not a tail call: each level keeps its frame */
}

/* In a child (its stack grows to the limit): exits 10 + the step that failed. */
static void altstack_child(long unused)
{
	char *alt = map_pages(4, PROT_READ | PROT_WRITE);
	stack_t ss = {.ss_sp = alt, .ss_size = 4 * P, .ss_flags = 0}, old;

	(void)unused;
	alt_low = alt;
	alt_high = alt + 4 * P;
	reset_records();
	if (!alt || sys(SYS_sigaltstack, &ss, &old) != 0 || old.ss_flags != SS_DISABLE)
		sys(SYS_exit_group, 11);
	if (handle(SIGSEGV, check_alt, SA_ONSTACK, 0) != 0)
		sys(SYS_exit_group, 12);
	if (!sigsetjmp(jump, 1))
		recurse(1); /* runs into the stack's end: SIGSEGV, handled on the altstack */
	if (hits[SIGSEGV] != 1 || !on_alt)
		sys(SYS_exit_group, 13);
	ss.ss_size = 1024;
	if (sys(SYS_sigaltstack, &ss, NULL) != -ENOMEM)
		sys(SYS_exit_group, 14);
	ss.ss_flags = 99;
	if (sys(SYS_sigaltstack, &ss, NULL) != -EINVAL)
		sys(SYS_exit_group, 15);
	ss.ss_flags = SS_DISABLE;
	if (sys(SYS_sigaltstack, &ss, &old) != 0 || old.ss_sp != alt || old.ss_size != 4 * P)
		sys(SYS_exit_group, 16);
}

static const char *test_altstack_overflow(void)
{
	return expect_returned(child_status(altstack_child, 0),
			       "stack overflow caught on the altstack (exit 11-16: the step)");
}

static const char *test_init_unkillable(void)
{
	struct timespec t = {0, 20 * 1000000};

	CHECK_RET(sys(SYS_kill, 1, 0), 0);
	CHECK_RET(sys(SYS_kill, 1, SIGTERM), 0);
	CHECK_RET(sys(SYS_kill, 1, SIGKILL), 0);
	sys(SYS_nanosleep, &t, NULL);
	CHECK_RET(sys(SYS_kill, 1, 0), 0); /* still there */
	return NULL;
}

const struct usertest signal_tests[] = {
	{ "sig_handler_runs", test_handler_runs, PORTABLE },
	{ "sig_tkill_tgkill", test_tkill_tgkill, PORTABLE },
	{ "sig_kill_errors", test_kill_errors, PORTABLE },
	{ "sig_pending_set", test_pending_set, PORTABLE },
	{ "sig_ignored", test_ignored, PORTABLE },
	{ "sig_default_actions", test_default_actions, PORTABLE },
	{ "sig_sigchld_info", test_sigchld_info, PORTABLE },
	{ "sig_fault_defaults", test_fault_defaults, PORTABLE },
	{ "sig_segv_caught", test_segv_caught, PORTABLE },
	{ "sig_segv_fixed", test_segv_fixed, PORTABLE },
	{ "sig_handler_edits_context", test_handler_edits_context, PORTABLE },
	{ "sig_state_preserved", test_state_preserved, PORTABLE },
	{ "sig_handler_flags", test_handler_flags, PORTABLE },
	{ "sig_sigsuspend", test_sigsuspend, PORTABLE },
	{ "sig_pause_killed", test_pause_killed, PORTABLE },
	{ "sig_restart", test_restart, PORTABLE },
	{ "sig_sigreturn_bad_frame", test_sigreturn_bad_frame, PORTABLE },
	{ "sig_no_restorer", test_no_restorer, PORTABLE },
	{ "sig_sigreturn_forged", test_sigreturn_forged, PAGODA_ONLY },
	{ "sig_altstack_overflow", test_altstack_overflow, PORTABLE },
	{ "sig_init_unkillable", test_init_unkillable, PAGODA_ONLY },
	{ NULL, NULL, 0 },
};
