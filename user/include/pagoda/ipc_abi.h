/*
 * ipc_abi.h - Pagoda's own system calls: the numbers, the message tag and
 * the register map that user programs and the kernel share (the kernel
 * includes this same file: one source of truth, as Linux's include/uapi/).
 *
 * Pagoda runs Linux's x86-64 system calls by their numbers (0 .. 450); its
 * microkernel calls sit far above them, from PAGODA_SYS_BASE, so a number
 * cannot mean one thing to Linux and another to Pagoda (on Linux these
 * calls return -ENOSYS). docs/ipc.md explains the model; docs/syscalls.md
 * lists every call.
 *
 * Invariants:
 *   [x] the numbers are dense from PAGODA_SYS_BASE to PAGODA_SYS_LAST;
 *   [x] a tag's reserved bits are 0 (the kernel refuses others: -EINVAL);
 *   [x] pure macros: no types, no code, any context, kernel, host or user.
 */
#ifndef PAGODA_IPC_ABI_H
#define PAGODA_IPC_ABI_H

/* ---- System-call numbers -------------------------------------------------- */
#define PAGODA_SYS_BASE 4096
#define SYS_ipc_endpoint_create     4096 /* () -> endpoint handle (every right) */
#define SYS_ipc_notification_create 4097 /* () -> notification handle (every right) */
#define SYS_ipc_send                4098 /* message to rdi; blocks until received */
#define SYS_ipc_recv                4099 /* wait on endpoint rdi for a message */
#define SYS_ipc_call                4100 /* send to rdi, then wait for the reply */
#define SYS_ipc_reply               4101 /* answer the caller last received from */
#define SYS_ipc_reply_recv          4102 /* reply, then wait on endpoint rdi */
#define SYS_ipc_notify              4103 /* (h, bits): OR bits into notification h */
#define SYS_ipc_notify_wait         4104 /* (h): wait for bits (rsi out), clears them */
#define SYS_handle_duplicate        4105 /* (h, rights) -> new handle with fewer rights */
#define SYS_handle_close            4106 /* (h) -> 0 */
#define SYS_handle_info             4107 /* (h) -> type << 8 | rights */
#define SYS_ipc_revoke              4108 /* (addr, len) -> mappings removed */
#define SYS_pager_region            4109 /* (addr, len, endpoint h, prot) -> 0 */
#define SYS_irq_bind                4110 /* (irq, notification h, bits) -> 0 */
#define SYS_irq_ack                 4111 /* (irq) -> 0: unmask after a notification */
#define PAGODA_SYS_LAST             4111
#define PAGODA_SYS_COUNT (PAGODA_SYS_LAST - PAGODA_SYS_BASE + 1)

/*
 * ---- The register map of the IPC calls -------------------------------------
 *
 *   register | going in (send, call, reply, reply_recv) | coming out (recv, call, reply_recv)
 *   ---------+------------------------------------------+------------------------------------
 *   rax      | the system-call number                   | 0, or -errno
 *   rdi      | the handle (endpoint; unused by reply)   | badge: the sender's pid (0: the kernel)
 *   rsi      | tag (below)                              | tag
 *   rdx      | word 0                                   | word 0
 *   r10      | word 1                                   | word 1
 *   r8       | word 2                                   | word 2
 *   r9       | word 3                                   | word 3
 *   r12      | word 4 (a memory item: its address)      | word 4 (where the memory landed)
 *   r13      | word 5 (a memory item: its length)       | word 5 (its length)
 *   r14      | a handle to pass (IPC_TAG_HANDLE)        | the handle received (else 0)
 *   r15      | timeout in ms (IPC_FOREVER; 0: no wait)  | unchanged
 *   rcx, r11 | destroyed by the syscall instruction     | destroyed
 *   others   | preserved                                | preserved
 *
 * rdi..r9 are Linux's argument registers (r10 for rcx, which syscall
 * overwrites); r12..r15 are callee-saved in the System V ABI, so the
 * wrappers in ipc.h name them explicitly. A message's payload words past
 * its tag's count arrive as 0. Non-IPC Pagoda calls take Linux's argument
 * registers and return in rax (ipc_notify_wait also returns the bits in rsi).
 */
#define IPC_WORDS_MAX 6          /* payload words a message carries in registers */
#define IPC_FOREVER (-1L)        /* r15: wait with no time limit */

/*
 * ---- The tag --------------------------------------------------------------
 *
 *    63            41  40   39    38    37    36   35  32 31              0
 *   +----------------+----+-----+-----+-----+----+-------+-----------------+
 *   |  0 (reserved)  |ERR |WRITE|GRANT| MAP |HNDL| words |      label      |
 *   +----------------+----+-----+-----+-----+----+-------+-----------------+
 *
 * label: the program's own (an operation, a reply's status); the kernel
 * never reads it except in pager replies. words: 0 .. IPC_WORDS_MAX payload
 * words. HNDL: r14 holds a handle with HANDLE_RIGHT_TRANSFER that moves to
 * the receiver (the sender loses it). MAP / GRANT (at most one): words 4
 * and 5 are a page-aligned range of the sender's memory, passed by map
 * (shared: both see the same frames) or grant (moved: the sender loses it);
 * the tag's words must then be 6. WRITE: the receiver's mapping is
 * writable (the sender's range must be). ERR: set by the kernel on a
 * message it made (a pager request has it clear; see below).
 */
#define IPC_TAG_LABEL_MASK 0xffffffffull
#define IPC_TAG_WORDS_SHIFT 32
#define IPC_TAG_WORDS_MASK (0xfull << IPC_TAG_WORDS_SHIFT)
#define IPC_TAG_HANDLE (1ull << 36) /* r14 carries a handle that moves to the receiver */
#define IPC_TAG_MAP    (1ull << 37) /* words 4, 5: a range mapped into the receiver */
#define IPC_TAG_GRANT  (1ull << 38) /* words 4, 5: a range moved to the receiver */
#define IPC_TAG_WRITE  (1ull << 39) /* the receiver may write the mapped range */
#define IPC_TAG_ERROR  (1ull << 40) /* kernel-made message reporting an error */
#define IPC_TAG_RESERVED (~0ull << 41)

/* A tag of label and n words. */
#define IPC_TAG(label, n) (((unsigned long long)(unsigned)(label)) | \
			   ((unsigned long long)(n) << IPC_TAG_WORDS_SHIFT))
#define IPC_TAG_LABEL(tag) ((unsigned)((tag) & IPC_TAG_LABEL_MASK))
#define IPC_TAG_WORDS(tag) ((unsigned)(((tag) & IPC_TAG_WORDS_MASK) >> IPC_TAG_WORDS_SHIFT))

/* ---- Handle rights and types (kernel/ipc/handle.h uses these values) ------- */
#define IPC_RIGHT_SEND      (1u << 0) /* send to the endpoint, signal the notification */
#define IPC_RIGHT_RECEIVE   (1u << 1) /* receive from the endpoint, wait on the notification */
#define IPC_RIGHT_MAP       (1u << 2) /* (memory objects) map */
#define IPC_RIGHT_GRANT     (1u << 3) /* (memory objects) grant */
#define IPC_RIGHT_DUPLICATE (1u << 4) /* make another handle with these rights or fewer */
#define IPC_RIGHT_TRANSFER  (1u << 5) /* pass the handle in a message */
#define IPC_RIGHTS_ALL      0x3fu
#define IPC_TYPE_ENDPOINT     1       /* handle_info's type: enum kobject_type's values */
#define IPC_TYPE_NOTIFICATION 2
#define IPC_TYPE_MEMORY       3

/*
 * ---- User-level pagers (SYS_pager_region) --------------------------------
 * A fault in a pager-backed region becomes a call from the kernel (badge 0)
 * to the pager's endpoint: label PAGER_FAULT, words: 0 the faulting address
 * (page-aligned), 1 the access (PAGER_ACCESS_*), 2 the faulting pid, 3 the
 * faulting thread's id. The pager replies with IPC_TAG_MAP (and
 * IPC_TAG_WRITE for a writable page) of one page of its own, which the
 * kernel maps at the faulting address; any other reply (or the pager's
 * death) kills the faulting process with the usual report, or makes its
 * user copy fail with -EFAULT.
 */
#define PAGER_FAULT 0x50414745u      /* "PAGE" */
#define PAGER_ACCESS_WRITE (1u << 0)
#define PAGER_ACCESS_FETCH (1u << 1)
#define PAGER_ACCESS_KERNEL (1u << 2)  /* a system call's user copy touched it */

/* ---- Start-up ---------------------------------------------------------------
 * The auxiliary-vector entry holding the program's handle to the name
 * server (SEND only), when it was started from the shell; absent on Linux
 * (getauxval returns 0). user/nameserver.c defines the protocol.
 */
#define AT_PAGODA_NAMESERVER 0x7a00

#endif
