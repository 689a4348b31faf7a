/*
 * signal_frame.c - building and checking Linux's x86-64 rt_sigframe (see
 * signal_frame.h).
 *
 * Kept free of user copies and of the FPU so the layout and the checks,
 * which decide whether a forged frame can hurt the kernel, run on the host
 * under the sanitizers. The order of the checks on return is the order of
 * the damage they prevent: selectors (privilege), RIP and RSP (a
 * non-canonical RIP would fault in sysret/iretq, in ring 0), then flags,
 * which are merged rather than refused, as Linux merges them.
 *
 * Invariants:
 *   [x] signal_frame_restore changes regs only when every check passed;
 *   [x] a placed frame lies wholly below sp and above 0.
 * Pure code: any context, kernel and host.
 */
#include "kernel/arch/x86_64/signal_frame.h"

#include "kernel/arch/x86_64/gdt.h"
#include "kernel/arch/x86_64/trap.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/layout.h"

uint64_t signal_frame_place(uint64_t sp, bool skip_red_zone, size_t fp_size, uint64_t *fp_addr)
{
	uint64_t need = (skip_red_zone ? SIGNAL_RED_ZONE : 0) + fp_size + 64 +
			sizeof(struct linux_rt_sigframe) + 32;

	if (sp < need || fp_size > (1u << 20))
		return 0;
	if (skip_red_zone)
		sp -= SIGNAL_RED_ZONE;
	uint64_t fp = (sp - fp_size) & ~63ull;
	*fp_addr = fp;
	return ((fp - sizeof(struct linux_rt_sigframe)) & ~15ull) - 8;
}

void signal_frame_fill(struct linux_rt_sigframe *sf, const struct trap_frame *regs,
		       const struct signal_frame_info *info)
{
	struct linux_sigcontext *sc = &sf->uc.uc_mcontext;

	memset(sf, 0, sizeof(*sf));
	sf->pretcode = info->restorer;
	sf->uc.uc_flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS |
			  (info->xstate ? UC_FP_XSTATE : 0);
	sf->uc.uc_stack = info->altstack;
	sc->r8 = regs->r8;
	sc->r9 = regs->r9;
	sc->r10 = regs->r10;
	sc->r11 = regs->r11;
	sc->r12 = regs->r12;
	sc->r13 = regs->r13;
	sc->r14 = regs->r14;
	sc->r15 = regs->r15;
	sc->rdi = regs->rdi;
	sc->rsi = regs->rsi;
	sc->rbp = regs->rbp;
	sc->rbx = regs->rbx;
	sc->rdx = regs->rdx;
	sc->rax = regs->rax;
	sc->rcx = regs->rcx;
	sc->rsp = regs->rsp;
	sc->rip = regs->rip;
	sc->eflags = regs->rflags;
	sc->cs = (uint16_t)regs->cs;
	sc->ss = (uint16_t)regs->ss;
	if (regs->vector < 32) { /* a fault or trap: what the CPU said */
		sc->trapno = regs->vector;
		sc->err = regs->error_code;
	}
	sc->cr2 = info->addr;
	sc->oldmask = info->mask & 0xffffffffull;
	sc->fpstate = info->fpstate;
	sf->uc.uc_sigmask = info->mask;
	sf->info.si_signo = info->sig;
	sf->info.si_code = info->code;
	if (info->addr)
		sf->info.fields.addr = info->addr;
	else {
		sf->info.fields.proc.pid = info->pid;
		sf->info.fields.proc.status = info->status;
	}
}

void signal_frame_enter(struct trap_frame *regs, uint64_t frame_addr, int sig, uint64_t handler)
{
	regs->rip = handler;
	regs->rsp = frame_addr;
	regs->rdi = (uint64_t)sig;
	regs->rsi = frame_addr + offsetof(struct linux_rt_sigframe, info);
	regs->rdx = frame_addr + offsetof(struct linux_rt_sigframe, uc);
	regs->rax = 0;
	regs->rflags &= ~(0x400ull | 0x100ull | 0x10000ull); /* DF, TF, RF */
	regs->cs = GDT_USER_CODE;
	regs->ss = GDT_USER_DATA;
}

int signal_frame_restore(const struct linux_rt_sigframe *sf, struct trap_frame *regs)
{
	const struct linux_sigcontext *sc = &sf->uc.uc_mcontext;

	if (sc->cs != GDT_USER_CODE || sc->ss != GDT_USER_DATA)
		return -EFAULT;
	if (sc->rip >= USER_HALF_END || sc->rsp >= USER_HALF_END)
		return -EFAULT;
	regs->r8 = sc->r8;
	regs->r9 = sc->r9;
	regs->r10 = sc->r10;
	regs->r11 = sc->r11;
	regs->r12 = sc->r12;
	regs->r13 = sc->r13;
	regs->r14 = sc->r14;
	regs->r15 = sc->r15;
	regs->rdi = sc->rdi;
	regs->rsi = sc->rsi;
	regs->rbp = sc->rbp;
	regs->rbx = sc->rbx;
	regs->rdx = sc->rdx;
	regs->rax = sc->rax;
	regs->rcx = sc->rcx;
	regs->rsp = sc->rsp;
	regs->rip = sc->rip;
	regs->rflags = (regs->rflags & ~SIGNAL_FIX_EFLAGS) | (sc->eflags & SIGNAL_FIX_EFLAGS);
	regs->cs = GDT_USER_CODE;
	regs->ss = GDT_USER_DATA;
	regs->vector = SYSCALL_VECTOR; /* no longer a fault's frame */
	regs->error_code = SIGNAL_NO_SYSCALL; /* a restored RAX of -ERESTARTSYS restarts nothing */
	return 0;
}

/* Little-endian loads from an image (no alignment assumed). */
static uint32_t load32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t load64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

#define FP_MXCSR_OFFSET 24

bool signal_frame_fpu_ok(const uint8_t *image, size_t size, bool xsave, uint64_t xcr0,
			 uint32_t mxcsr_mask)
{
	if (size < 512 || (xsave && size < FP_XSAVE_HEADER + FP_XSAVE_HEADER_SIZE))
		return false;
	if (load32(image + FP_MXCSR_OFFSET) & ~mxcsr_mask)
		return false;
	if (!xsave)
		return true;
	if (load64(image + FP_XSAVE_HEADER) & ~xcr0)
		return false; /* XSTATE_BV: a component the CPU was not told about */
	for (size_t i = 8; i < FP_XSAVE_HEADER_SIZE; i += 8)
		if (load64(image + FP_XSAVE_HEADER + i) != 0)
			return false; /* XCOMP_BV (compacted form) or reserved bytes */
	return true;
}

void signal_frame_fpu_mark(uint8_t *image, size_t size, uint64_t xcr0)
{
	/* struct _fpx_sw_bytes: magic1, extended_size, xfeatures, xstate_size, padding. */
	uint32_t magic1 = FP_XSTATE_MAGIC1, magic2 = FP_XSTATE_MAGIC2;
	uint32_t extended = (uint32_t)size + 4, xstate_size = (uint32_t)size;

	memset(image + FP_SW_BYTES_OFFSET, 0, 48);
	memcpy(image + FP_SW_BYTES_OFFSET, &magic1, 4);
	memcpy(image + FP_SW_BYTES_OFFSET + 4, &extended, 4);
	memcpy(image + FP_SW_BYTES_OFFSET + 8, &xcr0, 8);
	memcpy(image + FP_SW_BYTES_OFFSET + 16, &xstate_size, 4);
	memcpy(image + size, &magic2, 4);
}
