/*
 * signal_frame.h - Linux's x86-64 signal frame (rt_sigframe): what a
 * handler finds on its stack, and the checks rt_sigreturn makes before it
 * believes what the program handed back.
 *
 * The layout is Linux's, byte for byte (arch/x86/include/asm/sigframe.h,
 * uapi sigcontext.h, ucontext.h, siginfo.h): musl's and glibc's
 * ucontext_t, siginfo_t and restorers read it, and a handler built for
 * Linux runs unchanged. Below the frame (at lower addresses) is the
 * return address, the restorer (pretcode); above it the FPU image the
 * sigcontext's fpstate points at (FXSAVE's 512 bytes, or XSAVE's area with
 * Linux's FP_XSTATE magic words). Only pure code here (host-tested in
 * tests/host/test_signal_frame.c); signal.c does the copies and the FPU.
 *
 * Invariants:
 *   [x] sizeof and offsets equal Linux's (static asserts below);
 *   [x] signal_frame_restore never accepts a frame iretq/sysret would fault
 *       on or that raises privilege (CS/SS user, RIP/RSP canonical, only
 *       the flags Linux lets a program set);
 *   [x] signal_frame_fpu_ok refuses every image XRSTOR/FXRSTOR would #GP on.
 * Pure code: any context, kernel and host.
 */
#ifndef ARCH_X86_64_SIGNAL_FRAME_H
#define ARCH_X86_64_SIGNAL_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct trap_frame;

/* uapi/asm/sigcontext.h: struct sigcontext (64-bit). 256 bytes. */
struct linux_sigcontext {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	uint16_t cs, gs, fs, ss; /* ss: Linux's former __pad0 (UC_SIGCONTEXT_SS) */
	uint64_t err, trapno, oldmask, cr2;
	uint64_t fpstate;        /* user address of the FPU image; 0: none (clean state) */
	uint64_t reserved1[8];
};

/* stack_t as the kernel writes it. 24 bytes. */
struct linux_stack {
	uint64_t ss_sp;
	int32_t ss_flags;
	int32_t pad;
	uint64_t ss_size;
};

/* uapi/asm-generic/ucontext.h with the kernel's 8-byte sigset. 304 bytes. */
struct linux_ucontext {
	uint64_t uc_flags;
	uint64_t uc_link;
	struct linux_stack uc_stack;
	struct linux_sigcontext uc_mcontext;
	uint64_t uc_sigmask;
};

/* siginfo_t: 128 bytes; the union's members this kernel fills. */
struct linux_siginfo {
	int32_t si_signo, si_errno, si_code, pad;
	union {
		struct {
			int32_t pid;     /* kill, tkill, SIGCHLD: the sender or the child */
			uint32_t uid;
			int32_t status;  /* SIGCHLD: exit code or signal */
		} proc;
		uint64_t addr;           /* SIGSEGV, SIGBUS, SIGILL, SIGFPE: the faulting address */
		uint8_t bytes[112];
	} fields;
};

/* arch/x86/include/asm/sigframe.h: struct rt_sigframe (64-bit). 440 bytes. */
struct linux_rt_sigframe {
	uint64_t pretcode;               /* the restorer: where the handler's ret goes */
	struct linux_ucontext uc;
	struct linux_siginfo info;
};

_Static_assert(sizeof(struct linux_sigcontext) == 256, "signal_frame.h: sigcontext");
_Static_assert(offsetof(struct linux_sigcontext, cs) == 144, "signal_frame.h: sigcontext.cs");
_Static_assert(offsetof(struct linux_sigcontext, fpstate) == 184, "signal_frame.h: fpstate");
_Static_assert(sizeof(struct linux_ucontext) == 304, "signal_frame.h: ucontext");
_Static_assert(offsetof(struct linux_ucontext, uc_mcontext) == 40, "signal_frame.h: mcontext");
_Static_assert(sizeof(struct linux_siginfo) == 128, "signal_frame.h: siginfo");
_Static_assert(offsetof(struct linux_rt_sigframe, info) == 312, "signal_frame.h: info");
_Static_assert(sizeof(struct linux_rt_sigframe) == 440, "signal_frame.h: rt_sigframe");

/* uc_flags (arch/x86/include/uapi/asm/ucontext.h). */
#define UC_FP_XSTATE 0x1         /* the FPU image is XSAVE's, with the magic words */
#define UC_SIGCONTEXT_SS 0x2     /* sigcontext.ss is meaningful */
#define UC_STRICT_RESTORE_SS 0x4 /* rt_sigreturn restores ss as saved */

/* The FPU image's software words (uapi sigcontext.h: struct _fpx_sw_bytes). */
#define FP_XSTATE_MAGIC1 0x46505853u /* "FPXS" at the legacy area's byte 464 */
#define FP_XSTATE_MAGIC2 0x46505845u /* "FPXE" right after the XSAVE area */
#define FP_SW_BYTES_OFFSET 464
#define FP_XSAVE_HEADER 512          /* the XSAVE header: XSTATE_BV, XCOMP_BV, reserved */
#define FP_XSAVE_HEADER_SIZE 64

/* The red zone below a user RSP the ABI lets leaf functions use (System V x86-64 3.2.2). */
#define SIGNAL_RED_ZONE 128

/*
 * The RFLAGS bits a program may change through rt_sigreturn (Linux's
 * FIX_EFLAGS): the arithmetic flags, TF, DF, RF, AC. Everything else
 * (IF, IOPL, NT, VM, ...) is the kernel's.
 */
#define SIGNAL_FIX_EFLAGS 0x50dd5ull

/*
 * A system call's frame keeps the call's number in error_code (Linux's
 * orig_ax, pushed by syscall_entry.asm) so an interrupted call can be
 * restarted; this value there means "no call to restart".
 */
#define SIGNAL_NO_SYSCALL (~0ull)

/* What a handler's frame says about the signal (siginfo and sigcontext's trap fields). */
struct signal_frame_info {
	int sig;
	int code;            /* si_code: SI_USER, SI_KERNEL, SI_TKILL, SEGV_MAPERR, ... */
	int pid;             /* sender (kill) or child (SIGCHLD) */
	int status;          /* SIGCHLD */
	uint64_t addr;       /* faults: si_addr and sigcontext.cr2 */
	uint64_t mask;       /* the mask to restore: uc_sigmask and oldmask's low half */
	uint64_t restorer;   /* pretcode */
	uint64_t fpstate;    /* the FPU image's user address */
	bool xstate;         /* the image is XSAVE's (UC_FP_XSTATE) */
	struct linux_stack altstack; /* uc_stack: the alternate stack as it was */
};

/*
 * Where a frame goes below sp: the FPU image (fp_size bytes, 64-aligned)
 * first, then the rt_sigframe, placed so that the handler starts with
 * RSP % 16 == 8 (as after a call). skip_red_zone: sp is the interrupted
 * code's stack (not a fresh alternate stack), so its red zone is left
 * alone. Returns the frame's address and sets *fp_addr; 0 when sp is too
 * low to hold them (the caller kills with SIGSEGV).
 */
uint64_t signal_frame_place(uint64_t sp, bool skip_red_zone, size_t fp_size, uint64_t *fp_addr);

/* Fill *sf from the interrupted registers and info. */
void signal_frame_fill(struct linux_rt_sigframe *sf, const struct trap_frame *regs,
		       const struct signal_frame_info *info);

/*
 * Point regs at handler: RIP = handler, RSP = frame_addr, RDI = sig,
 * RSI = &frame->info, RDX = &frame->uc, RAX = 0, and DF, TF, RF cleared
 * (the ABI's entry state, as Linux).
 */
void signal_frame_enter(struct trap_frame *regs, uint64_t frame_addr, int sig, uint64_t handler);

/*
 * rt_sigreturn's check and restore: sf's registers into regs if CS and SS
 * are the user selectors and RIP and RSP are user-half addresses; RFLAGS
 * takes only SIGNAL_FIX_EFLAGS from the frame (the rest stays regs's).
 * Returns 0, or -EFAULT with regs unchanged (a forged or corrupt frame).
 */
int signal_frame_restore(const struct linux_rt_sigframe *sf, struct trap_frame *regs);

/*
 * Is image (size bytes, a copy of what the program left at fpstate) safe
 * for the restore instruction? MXCSR has no bit outside mxcsr_mask; with
 * XSAVE (xsave true), XSTATE_BV holds only xcr0's components, XCOMP_BV and
 * the header's reserved bytes are 0. FXRSTOR and XRSTOR #GP on the others.
 */
bool signal_frame_fpu_ok(const uint8_t *image, size_t size, bool xsave, uint64_t xcr0,
			 uint32_t mxcsr_mask);

/*
 * Write Linux's software words into an XSAVE image of size bytes that is
 * followed by 4 spare bytes (FP_XSTATE_MAGIC1 block at byte 464,
 * FP_XSTATE_MAGIC2 after the area), so libraries that parse the image
 * find what Linux leaves.
 */
void signal_frame_fpu_mark(uint8_t *image, size_t size, uint64_t xcr0);

#endif
