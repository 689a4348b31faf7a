/*
 * pagoda/ipc.h - Pagoda's IPC for C programs: messages in registers,
 * handles, notifications, memory passed by map and grant, pagers.
 *
 * One wrapper, ipc_raw(), moves a struct ipc_msg into the registers of the
 * register map (pagoda/ipc_abi.h), makes the system call and moves what
 * came back into the same struct; the named calls below are one line
 * each. On Linux every call returns -ENOSYS (the numbers are Pagoda's).
 *
 * Invariants:
 *   [x] every wrapper returns 0 or a value >= 0 on success, -errno on
 *       failure (no errno variable: the calls are not libc's);
 *   [x] on a failed call the message is left as it was sent;
 *   [x] header-only: nothing to link, any static musl program can use it.
 * Context: user programs (docs/ipc.md shows a server and a client).
 */
#ifndef PAGODA_IPC_H
#define PAGODA_IPC_H

#include <stdint.h>

#include "pagoda/ipc_abi.h"

/* One message as the registers carry it. */
struct ipc_msg {
	uint64_t tag;                 /* IPC_TAG(label, words) | IPC_TAG_* flags */
	uint64_t w[IPC_WORDS_MAX];    /* payload: the first IPC_TAG_WORDS(tag) are sent */
	int64_t handle;               /* IPC_TAG_HANDLE: the handle sent / received (r14) */
	int64_t badge;                /* received: the sender's pid; 0 from the kernel (rdi) */
};

/*
 * The system call nr with h in rdi, m's tag, words and handle in their
 * registers and timeout (ms, IPC_FOREVER, 0: do not wait) in r15. When it
 * returns 0, m holds what came back (tag, words, handle, badge); when it
 * fails m is unchanged. Returns 0 or -errno.
 */
static inline long ipc_raw(long nr, long h, struct ipc_msg *m, long timeout)
{
	register long rax __asm__("rax") = nr;
	register long rdi __asm__("rdi") = h;
	register uint64_t rsi __asm__("rsi") = m->tag;
	register uint64_t rdx __asm__("rdx") = m->w[0];
	register uint64_t r10 __asm__("r10") = m->w[1];
	register uint64_t r8 __asm__("r8") = m->w[2];
	register uint64_t r9 __asm__("r9") = m->w[3];
	register uint64_t r12 __asm__("r12") = m->w[4];
	register uint64_t r13 __asm__("r13") = m->w[5];
	register int64_t r14 __asm__("r14") = m->handle;
	register long r15 __asm__("r15") = timeout;

	__asm__ volatile("syscall"
			 : "+r"(rax), "+r"(rdi), "+r"(rsi), "+r"(rdx), "+r"(r10), "+r"(r8),
			   "+r"(r9), "+r"(r12), "+r"(r13), "+r"(r14)
			 : "r"(r15)
			 : "rcx", "r11", "memory");
	if (rax == 0) {
		m->badge = rdi;
		m->tag = rsi;
		m->w[0] = rdx;
		m->w[1] = r10;
		m->w[2] = r8;
		m->w[3] = r9;
		m->w[4] = r12;
		m->w[5] = r13;
		m->handle = r14;
	}
	return rax;
}

/* A Pagoda call that takes Linux's argument registers and returns in rax. */
static inline long pagoda_syscall4(long nr, long a, long b, long c, long d)
{
	register long rax __asm__("rax") = nr;
	register long rdi __asm__("rdi") = a;
	register long rsi __asm__("rsi") = b;
	register long rdx __asm__("rdx") = c;
	register long r10 __asm__("r10") = d;

	__asm__ volatile("syscall"
			 : "+r"(rax), "+r"(rsi), "+r"(rdx), "+r"(r10)
			 : "r"(rdi)
			 : "rcx", "r11", "r8", "r9", "memory");
	return rax;
}

/* Make an endpoint / a notification: a handle with every right, or -errno. */
static inline long ipc_endpoint_create(void) { return pagoda_syscall4(SYS_ipc_endpoint_create, 0, 0, 0, 0); }
static inline long ipc_notification_create(void) { return pagoda_syscall4(SYS_ipc_notification_create, 0, 0, 0, 0); }

/* Send m to endpoint h; blocks until a receiver takes it (or timeout). */
static inline long ipc_send(long h, struct ipc_msg *m, long timeout) { return ipc_raw(SYS_ipc_send, h, m, timeout); }
/* Wait for a message on endpoint h: m receives it. */
static inline long ipc_recv(long h, struct ipc_msg *m, long timeout) { return ipc_raw(SYS_ipc_recv, h, m, timeout); }
/*
 * Send m to h and wait for the reply, which replaces m. timeout covers
 * the whole call; 0 only refuses to wait for a receiver (once the message
 * is taken, the reply is waited for).
 */
static inline long ipc_call(long h, struct ipc_msg *m, long timeout) { return ipc_raw(SYS_ipc_call, h, m, timeout); }
/* Answer the caller this process last received from (never blocks). */
static inline long ipc_reply(struct ipc_msg *m) { return ipc_raw(SYS_ipc_reply, 0, m, 0); }
/*
 * Reply with m, then wait on endpoint h: m receives the next message. A
 * reply whose caller is gone (-EPIPE) or missing (-ESRCH) is dropped and
 * the receive goes on (a server loop survives dying clients); any other
 * reply error returns at once, nothing received.
 */
static inline long ipc_reply_recv(long h, struct ipc_msg *m, long timeout) { return ipc_raw(SYS_ipc_reply_recv, h, m, timeout); }

/* OR bits into notification h, waking its waiter. */
static inline long ipc_notify(long h, uint64_t bits) { return pagoda_syscall4(SYS_ipc_notify, h, (long)bits, 0, 0); }

/* Wait until notification h has bits set; *bits gets them (they are cleared). */
static inline long ipc_notify_wait(long h, uint64_t *bits, long timeout)
{
	struct ipc_msg m = {0};
	long r = ipc_raw(SYS_ipc_notify_wait, h, &m, timeout);

	if (r == 0)
		*bits = m.tag;
	return r;
}

/* Handles: a copy with rights (a subset), close, and what one is. */
static inline long handle_duplicate(long h, unsigned rights) { return pagoda_syscall4(SYS_handle_duplicate, h, rights, 0, 0); }
static inline long handle_close(long h) { return pagoda_syscall4(SYS_handle_close, h, 0, 0, 0); }
static inline long handle_info(long h) { return pagoda_syscall4(SYS_handle_info, h, 0, 0, 0); }

/* Take back every mapping made from [addr, addr + len) of the caller's memory. */
static inline long ipc_revoke(void *addr, unsigned long len) { return pagoda_syscall4(SYS_ipc_revoke, (long)addr, (long)len, 0, 0); }

/* Make [addr, addr + len) a region whose faults go to endpoint h (prot: PROT_*). */
static inline long pager_region(void *addr, unsigned long len, long h, int prot) { return pagoda_syscall4(SYS_pager_region, (long)addr, (long)len, h, prot); }

/* Interrupt irq sets bits in notification h (masked until irq_ack). Needs ioperm-like privilege. */
static inline long irq_bind(int irq, long h, uint64_t bits) { return pagoda_syscall4(SYS_irq_bind, irq, h, (long)bits, 0); }
static inline long irq_ack(int irq) { return pagoda_syscall4(SYS_irq_ack, irq, 0, 0, 0); }

#endif
