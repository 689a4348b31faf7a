/*
 * ioports.c - usertests: I/O port access from ring 3 (ioperm(2), Linux's
 * number 173). Without permission an in or out raises #GP: SIGSEGV. After
 * ioperm(from, num, 1) exactly those ports work; fork copies the grant,
 * execve keeps it, ioperm(..., 0) takes it back. Bad ranges are -EINVAL
 * (before any permission check, on Linux too); Pagoda refuses the ports its
 * own drivers use (COM1, the i8042, PICs, PIT, ...) with -EPERM.
 *
 * Interrupts as notifications (Pagoda's irq_bind, irq_ack): only IRQ 3
 * (COM2) is bindable, and only by a process holding COM2's ports; refusals
 * are -EINVAL (not an ISA line, no bits), -EPERM (the kernel's line, no
 * ports, no SEND right, not the binder), -EBADF (a bad handle or not a
 * notification), -EBUSY (bound: by a sibling, or by
 * a running com2d: then the test skips). The binding ends with its process.
 *
 * Every grant happens in a forked child, so the usertests process itself
 * never holds a port (protect.c's outb test expects none). Port 0x80 (the
 * POST code port, written as an I/O delay) is harmless to read and write.
 * On Linux, ioperm needs CAP_SYS_RAWIO and a kernel built with
 * CONFIG_X86_IOPL_IOPERM (else -ENOSYS): the pinned Linux run has both; a
 * run on a host without them (make usertests-linux as a user, or in a
 * sandbox) skips the tests that need ioperm, saying so, instead of failing.
 *
 * Invariants:
 *   [x] the parent calls ioperm only with arguments that change nothing
 *       (invalid, refused, or a revocation of what it does not hold);
 *   [x] a test reaps every child it starts.
 * Context: the usertests program (usertests.h).
 */
#include "usertests.h"

#include "pagoda/ipc.h"

#define PORT 0x80          /* granted in the children */
#define NO_CAP 70          /* a child's status: ioperm said -EPERM or -ENOSYS (see above) */
#define GRANT_FAILED 71    /* a child's status: ioperm failed otherwise */
#define CHECK_FAILED 72    /* a child's status: a grandchild's status was not the expected */
#define EXEC_RETURNED 73   /* a child's status: execve returned */
#define EXECCHECK "execcheck"
#define SKIP_WHY "this Linux refuses ioperm (no CAP_SYS_RAWIO, or no CONFIG_X86_IOPL_IOPERM)"

static long ioperm(unsigned long from, unsigned long num, int on)
{
	return sys(SYS_ioperm, from, num, on);
}

static unsigned char inb(unsigned port)
{
	unsigned char v;

	__asm__ volatile("inb %w1, %0" : "=a"(v) : "Nd"((unsigned short)port));
	return v;
}

static void outb(unsigned port, unsigned char v)
{
	__asm__ volatile("outb %0, %w1" : : "a"(v), "Nd"((unsigned short)port));
}

/* In a child: ioperm(from, num, 1), or end with NO_CAP / GRANT_FAILED. */
static void grant(unsigned long from, unsigned long num)
{
	long r = ioperm(from, num, 1);

	if (r == -EPERM || r == -ENOSYS)
		sys(SYS_exit_group, NO_CAP);
	if (r != 0)
		sys(SYS_exit_group, GRANT_FAILED);
}

/* Did the child end because ioperm needs CAP_SYS_RAWIO here (Linux, not root)? */
static int no_cap(long status)
{
	return !is_err(status) && WIFEXITED(status) && WEXITSTATUS(status) == NO_CAP &&
	       !on_pagoda();
}

/* NULL if status says killed by sig (0: returned); a skip without CAP_SYS_RAWIO. */
static const char *expect(long status, int sig, const char *what)
{
	if (no_cap(status))
		return skip(SKIP_WHY);
	return sig ? expect_killed(status, sig, what) : expect_returned(status, what);
}

static void touch(long port)
{
	(void)inb((unsigned)port);
}

/* Grant PORT, use it both ways; then touch `then` (>= 0), which was not granted. */
static void grant_then_touch(long then)
{
	grant(PORT, 1);
	(void)inb(PORT);
	outb(PORT, 0x18);
	if (then >= 0)
		touch(then);
}

static const char *test_ioport_denied_killed(void)
{
	const char *why = expect(child_status(touch, PORT), SIGSEGV, "inb 0x80 without ioperm");

	return why ? why : expect(child_status(touch, 0x2f8), SIGSEGV, "inb 0x2f8 without ioperm");
}

static const char *test_ioperm_grants(void)
{
	const char *why = expect(child_status(grant_then_touch, -1), 0, "in/out 0x80 after ioperm");

	if (!why)
		why = expect(child_status(grant_then_touch, PORT + 1), SIGSEGV, "inb 0x81 (not granted)");
	if (!why)
		why = expect(child_status(grant_then_touch, PORT - 1), SIGSEGV, "inb 0x7f (not granted)");
	return why;
}

/* A wider range, across bytes of the bitmap: 0x2f8..0x30f; 0x310 stays denied. */
static void grant_range(long then)
{
	grant(0x2f8, 0x18);
	for (unsigned p = 0x2f8; p < 0x310; p++)
		(void)inb(p);
	touch(then);
}

static const char *test_ioperm_range(void)
{
	const char *why = expect(child_status(grant_range, 0x30f), 0, "inb 0x2f8..0x30f granted");

	return why ? why : expect(child_status(grant_range, 0x310), SIGSEGV, "inb 0x310");
}

/* Grant, fork: the grandchild may use the port. Revoke, fork: it may not, nor the child. */
static void fork_then_revoke(long unused)
{
	(void)unused;
	grant(PORT, 1);
	if (expect_returned(child_status(touch, PORT), "a forked grandchild's inb"))
		sys(SYS_exit_group, CHECK_FAILED);
	if (ioperm(PORT, 1, 0) != 0)
		sys(SYS_exit_group, GRANT_FAILED);
	if (expect_killed(child_status(touch, PORT), SIGSEGV, "after the revocation"))
		sys(SYS_exit_group, CHECK_FAILED);
	touch(PORT); /* must die here */
}

static const char *test_ioperm_fork_revoke(void)
{
	return expect(child_status(fork_then_revoke, 0), SIGSEGV,
		      "fork keeps the grant, ioperm(0x80, 1, 0) takes it back");
}

/* Grant (or not), then exec `execcheck inb80`, which reads port 0x80 and exits 0. */
static void exec_inb(long granted)
{
	char *const argv[] = {EXECCHECK, "inb80", NULL};
	char *const envp[] = {NULL};

	if (granted)
		grant(PORT, 1);
	sys(SYS_execve, EXECCHECK, argv, envp);
	sys(SYS_exit_group, EXEC_RETURNED);
}

static const char *test_ioperm_exec_keeps(void)
{
	const char *why = expect(child_status(exec_inb, 0), SIGSEGV, "inb 0x80 after exec, no grant");

	if (why)
		return why;
	long status = child_status(exec_inb, 1);
	if (no_cap(status))
		return skip(SKIP_WHY);
	CHECK(!is_err(status) && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "execve dropped the grant: the new image %s", status_name(status));
	return NULL;
}

static const char *test_ioperm_einval(void)
{
	if (!on_pagoda() && ioperm(0x10000, 1, 1) == -ENOSYS)
		return skip(SKIP_WHY);
	CHECK_RET(ioperm(0x10000, 1, 1), -EINVAL);
	CHECK_RET(ioperm(0xffff, 2, 1), -EINVAL);
	CHECK_RET(ioperm(0xffff, 2, 0), -EINVAL);
	CHECK_RET(ioperm(PORT, 0, 1), -EINVAL);
	CHECK_RET(ioperm(~0ul, 2, 1), -EINVAL); /* from + num wraps */
	CHECK_RET(ioperm(2, ~0ul, 0), -EINVAL);
	CHECK_RET(ioperm(0, 0x10001, 0), -EINVAL);
	CHECK_RET(ioperm(PORT, 1, 0), 0); /* revoking what is not held */
	return expect(child_status(touch, PORT), SIGSEGV, "inb 0x80 after the calls above");
}

/* Pagoda's policy (kernel/proc/io_bitmap.h): its own devices are not granted. */
static const char *test_ioperm_kernel_ports(void)
{
	static const unsigned long refused[][2] = {
		{0x3f8, 8}, {0x3fc, 1}, {0x3f0, 9}, {0x60, 1}, {0x64, 1}, {0x20, 2},
		{0xa0, 2}, {0x40, 4}, {0x70, 2}, {0xf4, 1}, {0, 0x10000},
	};

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		CHECK(ioperm(refused[i][0], refused[i][1], 1) == -EPERM,
		      "ioperm(%#lx, %lu, 1) = %s, expected -EPERM", refused[i][0], refused[i][1],
		      ret_name(ioperm(refused[i][0], refused[i][1], 1)));
	CHECK_RET(ioperm(0x3f8, 8, 0), 0);
	return expect(child_status(touch, 0x3f8), SIGSEGV, "inb from COM1");
}

/* irq_bind refusals that need no port: the usertests process itself. */
static const char *test_irq_bind_refused(void)
{
	long n = ipc_notification_create();

	CHECK(n > 0, "ipc_notification_create = %s", ret_name(n));
	CHECK_RET(irq_bind(-1, n, 1), -EINVAL);
	CHECK_RET(irq_bind(16, n, 1), -EINVAL);
	CHECK_RET(irq_bind(1000, n, 1), -EINVAL);
	CHECK_RET(irq_bind(0, n, 1), -EPERM);  /* the timer */
	CHECK_RET(irq_bind(1, n, 1), -EPERM);  /* the keyboard */
	CHECK_RET(irq_bind(4, n, 1), -EPERM);  /* COM1, the console */
	CHECK_RET(irq_bind(3, n, 1), -EPERM);  /* COM2, but no ioperm for its ports */
	CHECK_RET(irq_ack(3), -EPERM);
	CHECK_RET(irq_ack(16), -EINVAL);
	CHECK_RET(handle_close(n), 0);
	return NULL;
}

#define IRQ_BUSY 80          /* a child's status: IRQ 3 is bound elsewhere (com2d runs) */
#define IRQ_CHECK_FAILED 81  /* a child's status: check number status - 81 failed */

/* In a child: end with IRQ_CHECK_FAILED + step unless got == want. */
static void irq_want(long got, long want, int step)
{
	if (got != want)
		sys(SYS_exit_group, IRQ_CHECK_FAILED + step);
}

/* A grandchild: the ports came with fork, but the binding is its parent's. */
static void irq_sibling(long n)
{
	irq_want(irq_bind(3, n, 2), -EBUSY, 0);
	irq_want(irq_ack(3), -EPERM, 1);
}

/* Grant COM2's ports, then bind IRQ 3 after the refusals a holder of them gets. */
static void irq_bind_child(long unused)
{
	(void)unused;
	grant(0x2f8, 8);
	long n = ipc_notification_create();
	long ep = ipc_endpoint_create();
	long recv_only = handle_duplicate(n, IPC_RIGHT_RECEIVE);
	irq_want(n > 0 && ep > 0 && recv_only > 0, 1, 2);
	irq_want(irq_bind(3, 0x7fff, 1), -EBADF, 3);
	irq_want(irq_bind(3, ep, 1), -EBADF, 4);         /* an endpoint */
	irq_want(irq_bind(3, recv_only, 1), -EPERM, 5);  /* no SEND right */
	irq_want(irq_bind(3, n, 0), -EINVAL, 6);         /* no bits */
	irq_want(irq_bind(4, n, 1), -EPERM, 7);          /* ports do not open COM1's line */
	long r = irq_bind(3, n, 1);
	if (r == -EBUSY)
		sys(SYS_exit_group, IRQ_BUSY);
	irq_want(r, 0, 8);
	irq_want(irq_bind(3, n, 1), -EBUSY, 9);
	long status = child_status(irq_sibling, n);
	irq_want(!is_err(status) && WIFEXITED(status) && WEXITSTATUS(status) == CHILD_RETURNED,
		 1, 10);
	irq_want(irq_ack(3), 0, 11);
	irq_want(irq_ack(3), 0, 12); /* acking an unmasked line changes nothing */
}

static const char *test_irq_bind_com2(void)
{
	for (int round = 0; round < 2; round++) { /* the second: the first's exit unbound it */
		long status = child_status(irq_bind_child, 0);
		if (!is_err(status) && WIFEXITED(status) && WEXITSTATUS(status) == IRQ_BUSY)
			return skip("IRQ 3 is bound by another process (is com2d running?)");
		CHECK(!is_err(status) && WIFEXITED(status) && WEXITSTATUS(status) == CHILD_RETURNED,
		      "round %d: the child %s (status 81 + N: its check N failed)", round,
		      status_name(status));
	}
	return NULL;
}

const struct usertest ioport_tests[] = {
	{"ioport_denied_killed", test_ioport_denied_killed, PORTABLE},
	{"ioperm_grants", test_ioperm_grants, PORTABLE},
	{"ioperm_range", test_ioperm_range, PORTABLE},
	{"ioperm_fork_revoke", test_ioperm_fork_revoke, PORTABLE},
	{"ioperm_exec_keeps", test_ioperm_exec_keeps, PORTABLE},
	{"ioperm_einval", test_ioperm_einval, PORTABLE},
	{"ioperm_kernel_ports", test_ioperm_kernel_ports, PAGODA_ONLY},
	{"irq_bind_refused", test_irq_bind_refused, PAGODA_ONLY},
	{"irq_bind_com2", test_irq_bind_com2, PAGODA_ONLY},
	{NULL, NULL, 0},
};
