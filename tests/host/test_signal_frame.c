/*
 * test_signal_frame.c - the signal frame and the signal rules on the host:
 * suites "signal_frame" (Linux's rt_sigframe layout, where a frame is
 * placed, what rt_sigreturn accepts and what it refuses without touching
 * the registers, the FPU image checks) and "signal_rules" (default
 * actions, which pending signal goes first).
 * Hosted code: may use libc.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kernel/arch/x86_64/gdt.h"
#include "kernel/arch/x86_64/signal_frame.h"
#include "kernel/arch/x86_64/trap.h"
#include "kernel/selftest.h"
#include "kernel/syscall/sigmask.h"
#include "lib/errno.h"
#include "lib/uapi.h"

/* ---- signal_frame ---- */

/* A user frame with every register distinct. */
static struct trap_frame sample_regs(void)
{
	struct trap_frame f;
	uint64_t *q = (uint64_t *)&f;

	for (size_t i = 0; i < sizeof(f) / 8; i++)
		q[i] = 0x1000 + i;
	f.vector = SYSCALL_VECTOR;
	f.error_code = 62;
	f.rip = 0x401234;
	f.rsp = 0x7fffffffe000;
	f.rflags = 0x202;
	f.cs = GDT_USER_CODE;
	f.ss = GDT_USER_DATA;
	return f;
}

static const char *test_layout(void)
{
	/* Offsets musl's ucontext_t and siginfo_t read (x86-64: gregs[REG_R8] first, ...). */
	CHECK(offsetof(struct linux_rt_sigframe, uc) == 8);
	CHECK(offsetof(struct linux_rt_sigframe, uc) + offsetof(struct linux_ucontext, uc_mcontext) +
		      offsetof(struct linux_sigcontext, rip) == 8 + 40 + 16 * 8);
	CHECK(offsetof(struct linux_ucontext, uc_sigmask) == 296);
	CHECK(offsetof(struct linux_ucontext, uc_stack) == 16);
	CHECK(offsetof(struct linux_sigcontext, eflags) == 17 * 8);
	CHECK(offsetof(struct linux_sigcontext, err) == 152);
	CHECK(offsetof(struct linux_sigcontext, cr2) == 176);
	CHECK(offsetof(struct linux_siginfo, fields) == 16);
	return NULL;
}

static const char *test_place(void)
{
	static const uint64_t sps[] = {0x7fffffffe000, 0x7fffffffe008, 0x7fffffffdff9, 0x500000};
	static const size_t sizes[] = {512, 836, 2696};

	for (size_t i = 0; i < sizeof(sps) / sizeof(sps[0]); i++)
		for (size_t j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++)
			for (int skip = 0; skip < 2; skip++) {
				uint64_t fp = 0, sp = sps[i];
				uint64_t f = signal_frame_place(sp, skip, sizes[j], &fp);
				CHECKF(f && (f + 8) % 16 == 0, "frame %#lx: rsp %% 16 must be 8", f);
				CHECKF(fp % 64 == 0, "FPU image at %#lx not 64-aligned", fp);
				CHECK(fp + sizes[j] <= sp - (skip ? SIGNAL_RED_ZONE : 0));
				CHECK(f + sizeof(struct linux_rt_sigframe) <= fp);
			}
	uint64_t fp;
	CHECK(signal_frame_place(100, true, 512, &fp) == 0);   /* no room: refused */
	CHECK(signal_frame_place(0x2000, false, 512, &fp) != 0);
	CHECK(signal_frame_place(0x7fffffffe000, true, 1ull << 30, &fp) == 0);
	return NULL;
}

static const char *test_fill_and_restore(void)
{
	struct trap_frame regs = sample_regs(), back = sample_regs(), handler = regs;
	struct signal_frame_info info = {.sig = SIGUSR1, .code = SI_USER, .pid = 7,
					 .mask = SIGMASK_BIT(SIGINT), .restorer = 0x405000,
					 .fpstate = 0x7fffffffd000};
	struct linux_rt_sigframe sf;

	signal_frame_fill(&sf, &regs, &info);
	CHECK(sf.pretcode == 0x405000 && sf.uc.uc_sigmask == SIGMASK_BIT(SIGINT));
	CHECK(sf.uc.uc_mcontext.rip == regs.rip && sf.uc.uc_mcontext.rsp == regs.rsp);
	CHECK(sf.uc.uc_mcontext.r8 == regs.r8 && sf.uc.uc_mcontext.r15 == regs.r15);
	CHECK(sf.uc.uc_mcontext.trapno == 0 && sf.uc.uc_mcontext.err == 0); /* a system call */
	CHECK(sf.info.si_signo == SIGUSR1 && sf.info.si_code == SI_USER &&
	      sf.info.fields.proc.pid == 7);
	CHECK(sf.uc.uc_mcontext.fpstate == 0x7fffffffd000);

	signal_frame_enter(&handler, 0x7fffffffc008, SIGUSR1, 0x401000);
	CHECK(handler.rip == 0x401000 && handler.rsp == 0x7fffffffc008 && handler.rdi == SIGUSR1);
	CHECK(handler.rsi == 0x7fffffffc008 + 312 && handler.rdx == 0x7fffffffc008 + 8);

	/* The handler changed registers; rt_sigreturn puts the frame's back. */
	memset(&back, 0x5a, offsetof(struct trap_frame, vector));
	back.rflags = 0x202;
	CHECK(signal_frame_restore(&sf, &back) == 0);
	CHECK(back.rax == regs.rax && back.rcx == regs.rcx && back.r11 == regs.r11);
	CHECK(back.rip == regs.rip && back.rsp == regs.rsp && back.rbx == regs.rbx);
	CHECK(back.error_code == SIGNAL_NO_SYSCALL); /* no restart of a restored -ERESTARTSYS */
	return NULL;
}

static const char *test_restore_refuses(void)
{
	struct trap_frame regs = sample_regs(), keep;
	struct signal_frame_info info = {.sig = SIGSEGV};
	struct linux_rt_sigframe sf, bad;

	signal_frame_fill(&sf, &regs, &info);
	const struct {
		size_t offset, size;
		uint64_t value;
	} forged[] = {
		{offsetof(struct linux_sigcontext, cs), 2, GDT_KERNEL_CODE},
		{offsetof(struct linux_sigcontext, cs), 2, GDT_USER_CODE & ~3ull},
		{offsetof(struct linux_sigcontext, ss), 2, GDT_KERNEL_DATA},
		{offsetof(struct linux_sigcontext, ss), 2, 0},
		{offsetof(struct linux_sigcontext, rip), 8, 0x0000800000000000},
		{offsetof(struct linux_sigcontext, rip), 8, 0xffffffff80000000},
		{offsetof(struct linux_sigcontext, rsp), 8, 0xffff800000000000},
	};
	for (size_t i = 0; i < sizeof(forged) / sizeof(forged[0]); i++) {
		bad = sf;
		memcpy((uint8_t *)&bad.uc.uc_mcontext + forged[i].offset, &forged[i].value,
		       forged[i].size);
		keep = regs;
		CHECKF(signal_frame_restore(&bad, &keep) == -EFAULT, "forgery %zu accepted", i);
		CHECKF(memcmp(&keep, &regs, sizeof(keep)) == 0, "forgery %zu changed registers", i);
	}
	/* Flags: only the ones a program may set come from the frame. */
	bad = sf;
	bad.uc.uc_mcontext.eflags = ~0ull;
	keep = regs;
	CHECK(signal_frame_restore(&bad, &keep) == 0);
	CHECK((keep.rflags & ~SIGNAL_FIX_EFLAGS) == (regs.rflags & ~SIGNAL_FIX_EFLAGS));
	CHECK((keep.rflags & SIGNAL_FIX_EFLAGS) == SIGNAL_FIX_EFLAGS);
	CHECK(!(keep.rflags & (3ull << 12)) && (keep.rflags & 0x200)); /* IOPL 0, IF kept */
	return NULL;
}

static const char *test_fpu_checks(void)
{
	static uint8_t image[1024];
	const uint64_t xcr0 = 7; /* x87, SSE, AVX */
	uint32_t mxcsr = 0x1f80;
	uint64_t bv = 3;

	memset(image, 0, sizeof(image));
	memcpy(image + 24, &mxcsr, 4);
	memcpy(image + 512, &bv, 8);
	CHECK(signal_frame_fpu_ok(image, 832, true, xcr0, 0xffff));
	CHECK(signal_frame_fpu_ok(image, 512, false, 0, 0xffff));
	CHECK(!signal_frame_fpu_ok(image, 256, false, 0, 0xffff)); /* too small */
	mxcsr = 0x1f80 | (1u << 20);
	memcpy(image + 24, &mxcsr, 4);
	CHECK(!signal_frame_fpu_ok(image, 832, true, xcr0, 0xffff));
	CHECK(!signal_frame_fpu_ok(image, 512, false, 0, 0xffff));
	mxcsr = 0x1fc0; /* DAZ: only where MXCSR_MASK has it */
	memcpy(image + 24, &mxcsr, 4);
	CHECK(signal_frame_fpu_ok(image, 512, false, 0, 0xffff));
	CHECK(!signal_frame_fpu_ok(image, 512, false, 0, 0xffbf));
	mxcsr = 0x1f80;
	memcpy(image + 24, &mxcsr, 4);
	bv = 1ull << 9; /* a component XCR0 does not enable */
	memcpy(image + 512, &bv, 8);
	CHECK(!signal_frame_fpu_ok(image, 832, true, xcr0, 0xffff));
	bv = 3;
	memcpy(image + 512, &bv, 8);
	image[520 + 7] = 0x80; /* XCOMP_BV bit 63: the compacted form */
	CHECK(!signal_frame_fpu_ok(image, 832, true, xcr0, 0xffff));
	image[520 + 7] = 0;
	image[560] = 1; /* reserved header bytes */
	CHECK(!signal_frame_fpu_ok(image, 832, true, xcr0, 0xffff));
	image[560] = 0;
	CHECK(signal_frame_fpu_ok(image, 832, true, xcr0, 0xffff));

	uint32_t magic1, size;
	signal_frame_fpu_mark(image, 832, xcr0);
	memcpy(&magic1, image + FP_SW_BYTES_OFFSET, 4);
	memcpy(&size, image + FP_SW_BYTES_OFFSET + 16, 4);
	CHECK(magic1 == FP_XSTATE_MAGIC1 && size == 832);
	CHECK(signal_frame_fpu_ok(image, 832, true, xcr0, 0xffff)); /* software bytes are free */
	return NULL;
}

/* ---- signal_rules ---- */

static const char *test_defaults(void)
{
	static const int term[] = {SIGHUP, SIGINT, SIGKILL, SIGUSR1, SIGUSR2, SIGPIPE, SIGALRM,
				   SIGTERM, SIGSTKFLT, SIGVTALRM, SIGPROF, SIGIO, SIGPWR, 34, 64};
	static const int core[] = {SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV,
				   SIGXCPU, SIGXFSZ, SIGSYS};
	static const int ign[] = {SIGCHLD, SIGCONT, SIGURG, SIGWINCH};
	static const int stop[] = {SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU};

	for (size_t i = 0; i < sizeof(term) / sizeof(term[0]); i++)
		CHECKF(sig_default_action(term[i]) == SIG_DEFAULT_TERM, "signal %d", term[i]);
	for (size_t i = 0; i < sizeof(core) / sizeof(core[0]); i++)
		CHECKF(sig_default_action(core[i]) == SIG_DEFAULT_CORE, "signal %d", core[i]);
	for (size_t i = 0; i < sizeof(ign) / sizeof(ign[0]); i++)
		CHECKF(sig_default_action(ign[i]) == SIG_DEFAULT_IGNORE, "signal %d", ign[i]);
	for (size_t i = 0; i < sizeof(stop) / sizeof(stop[0]); i++)
		CHECKF(sig_default_action(stop[i]) == SIG_DEFAULT_STOP, "signal %d", stop[i]);
	return NULL;
}

static const char *test_next(void)
{
	uint64_t usr = SIGMASK_BIT(SIGUSR1) | SIGMASK_BIT(SIGUSR2);

	CHECK(sigmask_next(0, 0) == 0);
	CHECK(sigmask_next(usr, 0) == SIGUSR1);
	CHECK(sigmask_next(usr, SIGMASK_BIT(SIGUSR1)) == SIGUSR2);
	CHECK(sigmask_next(usr, usr) == 0);
	CHECK(sigmask_next(usr | SIGMASK_BIT(SIGSEGV), 0) == SIGSEGV); /* a fault first */
	CHECK(sigmask_next(SIGMASK_BIT(SIGHUP) | SIGMASK_BIT(SIGFPE), 0) == SIGFPE);
	CHECK(sigmask_next(SIGMASK_BIT(SIGKILL), ~0ull) == SIGKILL); /* never blocked */
	CHECK(sigmask_next(SIGMASK_BIT(64), 0) == 64);
	return NULL;
}

static const struct selftest signal_frame_tests[] = {
	{"layout", "rt_sigframe, ucontext, sigcontext, siginfo at Linux's offsets", test_layout},
	{"place", "FPU image 64-aligned, frame with RSP % 16 == 8, red zone kept; no room: 0",
	 test_place},
	{"fill_restore", "registers into the frame and back; the handler's entry registers",
	 test_fill_and_restore},
	{"refuses", "kernel selectors, non-canonical RIP or RSP refused, regs untouched; "
		    "only FIX_EFLAGS taken", test_restore_refuses},
	{"fpu", "MXCSR against its mask, XSTATE_BV within XCR0, XCOMP_BV and reserved 0",
	 test_fpu_checks},
};
SELFTEST_SUITE(signal_frame, signal_frame_tests);

static const struct selftest signal_rules_tests[] = {
	{"defaults", "signal(7)'s default actions: term, core, ignore, stop", test_defaults},
	{"next", "a fault's signal first, then the lowest unblocked; SIGKILL never blocked",
	 test_next},
};
SELFTEST_SUITE(signal_rules, signal_rules_tests);
