/*
 * message.h - the rules a message's tag must follow, checked before
 * anything moves (pure: the host suite tests/host/test_message.c runs it).
 *
 * The tag (user/include/pagoda/ipc_abi.h) says how many payload words
 * travel and what else comes along: a handle (IPC_TAG_HANDLE, in r14) or a
 * memory item (IPC_TAG_MAP or IPC_TAG_GRANT: words 4 and 5). A tag the
 * kernel refuses changes nothing: the call fails with -EINVAL at once.
 *
 * Invariants:
 *   [x] ipc_tag_check accepts exactly the tags of ipc_abi.h's rules;
 *   [x] pure functions: no state, no locks, host-compilable.
 * Context: any.
 */
#ifndef KERNEL_IPC_MESSAGE_H
#define KERNEL_IPC_MESSAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/arch/x86_64/trap.h"
#include "kernel/ipc/ipc.h"
#include "user/include/pagoda/ipc_abi.h"

/*
 * 0 when a user message may carry tag with handle in r14, else -EINVAL:
 * a reserved bit or IPC_TAG_ERROR set (only the kernel makes those),
 * more than IPC_WORDS_MAX words, MAP and GRANT together, a memory item
 * without exactly IPC_WORDS_MAX words, WRITE without a memory item,
 * IPC_TAG_HANDLE with handle not a possible handle number (> 0, odd,
 * below 2^31).
 */
int ipc_tag_check(uint64_t tag, int64_t handle);

/* Does tag carry a memory item (MAP or GRANT)? */
static inline bool ipc_tag_has_memory(uint64_t tag)
{
	return (tag & (IPC_TAG_MAP | IPC_TAG_GRANT)) != 0;
}

/*
 * The words as delivered: words[i] for i below the tag's count (at most
 * IPC_WORDS_MAX), 0 past it.
 */
void ipc_words_deliver(uint64_t tag, const uint64_t in[IPC_WORDS_MAX], uint64_t out[IPC_WORDS_MAX]);

/*
 * Write a received message m into the out registers of the register map
 * (ipc_abi.h): badge to rdi, tag to rsi, the words to rdx, r10, r8, r9,
 * r12, r13, the handle to r14. The system calls (sys_ipc.c) and the fast
 * path (fastpath.c) both deliver through it.
 */
static inline void ipc_frame_deliver(struct trap_frame *f, const struct ipc_message *m)
{
	f->rdi = (uint64_t)m->badge;
	f->rsi = m->tag;
	f->rdx = m->words[0];
	f->r10 = m->words[1];
	f->r8 = m->words[2];
	f->r9 = m->words[3];
	f->r12 = m->words[4];
	f->r13 = m->words[5];
	f->r14 = (uint64_t)m->handle;
}

#endif
