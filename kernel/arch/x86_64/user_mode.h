/*
 * user_mode.h - ring 3: the SYSCALL/SYSRET set-up, the first entry to user
 * mode, and the per-thread CPU state a switch between user threads moves.
 *
 * The way in is `syscall` (LSTAR = syscall_entry, syscall_entry.asm) or an
 * interrupt/exception (isr.asm, through the TSS's RSP0); both build a struct
 * trap_frame (trap.h) at the top of the thread's kernel stack. The way out
 * is `sysretq`, or `iretq` when sysret would not restore the frame exactly
 * (docs/processes.md, "System calls: the path in and out"). So that both
 * find the thread's stack, a switch to a thread writes its stack top into
 * this CPU's TSS.RSP0 and percpu->syscall_stack (arch_switch_user_state).
 *
 * Invariants:
 *   [x] STAR, LSTAR, FMASK and EFER.SCE are set on every online CPU before
 *       any user code runs there (user_mode_init_cpu: kmain, smpboot's AP);
 *   [x] TSS.RSP0 == percpu->syscall_stack == the running thread's kernel
 *       stack top, whenever the running thread has a process;
 *   [x] a thread with fpu_state has its user FPU registers in the CPU while
 *       it runs, and in *fpu_state while switched out;
 *   [x] IA32_FS_BASE == the running user thread's fs_base.
 * Context: see each function. Lock order: none taken here.
 */
#ifndef ARCH_X86_64_USER_MODE_H
#define ARCH_X86_64_USER_MODE_H

#include <stdint.h>

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/gdt.h"
#include "lib/compiler.h"

struct thread;
struct trap_frame;

/* MSRs of the SYSCALL/SYSRET pair (SDM Vol. 4 2.1, Vol. 3A 5.8.8). */
#define MSR_STAR 0xc0000081u  /* selectors: [47:32] syscall CS (SS = +8), [63:48] sysret base */
#define MSR_LSTAR 0xc0000082u /* RIP of the 64-bit syscall entry */
#define MSR_FMASK 0xc0000084u /* RFLAGS bits syscall clears (IA32_FMASK) */
#define MSR_FS_BASE 0xc0000100u /* FS segment base: the user's TLS pointer */
#define EFER_SCE (1ull << 0)  /* SDM Vol. 4 2.1 IA32_EFER: syscall/sysret enabled */

/* RFLAGS bits (SDM Vol. 1 3.4.3). */
#define RFLAGS_TF (1ull << 8)        /* trap after each instruction (single step) */
#define RFLAGS_DF (1ull << 10)       /* string instructions count down */
#define RFLAGS_IOPL (3ull << 12)     /* I/O privilege level: 0 for user code here */
#define RFLAGS_NT (1ull << 14)       /* nested task: iret would task-switch (32-bit only) */
#define RFLAGS_RF (1ull << 16)       /* resume flag: ignore one instruction breakpoint */
#define RFLAGS_VM (1ull << 17)       /* virtual-8086 mode */
#define RFLAGS_FIXED (1ull << 1)     /* reserved, always 1 */
/* What sysret loads into RFLAGS: (R11 & SYSRET_RFLAGS_KEPT) | 2 (SDM Vol. 2B SYSRET). */
#define SYSRET_RFLAGS_KEPT 0x3c7fd7ull

/*
 * STAR (SDM Vol. 3A 5.8.8): syscall loads CS = STAR[47:32], SS = that + 8;
 * a 64-bit sysret loads CS = STAR[63:48] + 16, SS = STAR[63:48] + 8, both
 * with RPL 3. With the GDT's order (gdt.h: user data 0x20, user code 0x28)
 * the sysret base is 0x18 (the unused 32-bit code slot), written with RPL 3.
 */
#define STAR_SYSCALL_CS GDT_KERNEL_CODE
#define STAR_SYSRET_BASE (GDT_USER_DATA - 8)
#define STAR_VALUE (((uint64_t)STAR_SYSRET_BASE << 48) | ((uint64_t)STAR_SYSCALL_CS << 32))
_Static_assert(GDT_KERNEL_DATA == STAR_SYSCALL_CS + 8, "user_mode.h: syscall's SS = CS + 8");
_Static_assert(GDT_USER_CODE == STAR_SYSRET_BASE + 16, "user_mode.h: sysret's CS = base + 16");

/* FMASK: syscall enters with interrupts off, no single step, DF clear, SMAP on, NT clear. */
#define FMASK_VALUE (RFLAGS_IF | RFLAGS_TF | RFLAGS_DF | RFLAGS_AC | RFLAGS_NT)

/* The RFLAGS a new user thread starts with: interrupts on (and the fixed bit). */
#define USER_RFLAGS_INITIAL (RFLAGS_IF | RFLAGS_FIXED)

/*
 * This CPU's syscall set-up: EFER.SCE, STAR, LSTAR = syscall_entry, FMASK.
 * Every CPU once, after gdt_init: kmain for CPU 0, ap_main for the others.
 * Interrupts off.
 */
void user_mode_init_cpu(void);

/*
 * Enter ring 3 for the first time with *frame (rip, rsp, rflags, cs =
 * GDT_USER_CODE, ss = GDT_USER_DATA, the other registers as given): copies
 * it to the top of the running thread's kernel stack, sets this CPU's
 * RSP0/syscall stack and the thread's FS base, restores its FPU state
 * (thread_current()->fpu_state, if any), and returns through iretq with
 * swapgs. The thread must have a process and be in its address space.
 * Never returns: the thread's kernel part from now on is system calls and
 * interrupts. Process context (interrupts on or off; off from here).
 */
__noreturn void arch_enter_user(const struct trap_frame *frame);

/*
 * The arch half of a switch from prev to next (schedule.c's switch_to,
 * before the stacks change; interrupts off): RSP0 and the syscall stack =
 * next's kernel stack top; prev's FPU registers into prev->fpu_state if it
 * has one, next's loaded from next->fpu_state if it has one; FS base =
 * next->fs_base and the TSS's I/O bitmap = its process's (gdt_io_load)
 * when next has a process. Cheap for kernel-only threads:
 * nothing but a test when neither has user state.
 */
void arch_switch_user_state(struct thread *prev, struct thread *next);

struct process;

/*
 * Make this CPU's TSS grant ring 3 exactly the ports p->io_bitmap allows
 * (none without one): after ioperm changed the caller's. Interrupts off.
 */
void arch_io_bitmap_load(const struct process *p);

/*
 * Set the running thread's user FS base (arch_prctl ARCH_SET_FS): the
 * thread's fs_base and IA32_FS_BASE now. base must be canonical (the
 * caller checks: a non-canonical one would #GP in wrmsr). Process context.
 */
void arch_set_fs_base(uint64_t base);

/*
 * The slow return to ring 3 (isr.asm and syscall_entry.asm, after
 * signal_deliver): make frame safe for iretq. A frame a handler left
 * with a non-user CS/SS or a non-canonical RIP kills the process (report +
 * SIGSEGV), never faults the kernel in iretq; RFLAGS gets IF set and IOPL,
 * NT, VM cleared. Interrupts off.
 */
void user_mode_check_frame(struct trap_frame *frame);

/*
 * Ring-3 exceptions other than #PF (trap.c), turned into the signal Linux
 * would send (#DE SIGFPE, #UD SIGILL, #GP SIGSEGV, #BP SIGTRAP, #AC SIGBUS,
 * ...): if the program handles it (signal_fault), straight back to ring 3
 * into its handler; otherwise report in one line in the kernel's words
 * ("pid 7 (name): general protection fault ip 0x... sp 0x... error 0") and
 * end the process with it. Never returns. Interrupts off.
 */
__noreturn void user_mode_exception(struct trap_frame *frame);

/*
 * The kernel faulted (a fatal exception in ring 0, already reported) while
 * running for a process - a bug in a system call, say: end that process,
 * not only its thread, so its parent sees it end ("killed by SIGKILL") and
 * its memory is freed. The mutexes the thread holds are released first (the
 * exit takes some). Only when thread_fault_can_kill allows it (interrupts
 * were on, no spinlock held). Never returns. Interrupts off.
 */
__noreturn void user_mode_kernel_fault(void);

/*
 * The running process thread's ring-3 frame: the registers it entered the
 * kernel with, at the top of its kernel stack (sigaltstack reads RSP).
 * Process context.
 */
struct trap_frame *user_mode_frame(void);

/* The signal a ring-3 exception vector is turned into (SIGSEGV for the unlisted). */
int user_mode_exception_signal(uint64_t vector);

#endif
