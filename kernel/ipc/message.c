/*
 * message.c - tag rules and word delivery (see message.h).
 *
 * Each rule is one test, in the order ipc_abi.h states them, so a refused
 * tag is refused for the first rule it breaks (the host suite checks
 * each). A handle number's shape is handle.h's (odd, positive int); this
 * file does not include handle.h so that it stays free of locks: the
 * shape is repeated here and the suite checks the two agree.
 *
 * Invariants:
 *   [x] no rule reads anything but its arguments.
 * Context: any; pure.
 */
#include "kernel/ipc/message.h"

#include "lib/errno.h"

int ipc_tag_check(uint64_t tag, int64_t handle)
{
	if (tag & (IPC_TAG_RESERVED | IPC_TAG_ERROR))
		return -EINVAL;
	if (IPC_TAG_WORDS(tag) > IPC_WORDS_MAX)
		return -EINVAL;
	if ((tag & IPC_TAG_MAP) && (tag & IPC_TAG_GRANT))
		return -EINVAL;
	if (ipc_tag_has_memory(tag) && IPC_TAG_WORDS(tag) != IPC_WORDS_MAX)
		return -EINVAL;
	if ((tag & IPC_TAG_WRITE) && !ipc_tag_has_memory(tag))
		return -EINVAL;
	if ((tag & IPC_TAG_HANDLE) && (handle <= 0 || handle > INT32_MAX || !(handle & 1)))
		return -EINVAL;
	return 0;
}

void ipc_words_deliver(uint64_t tag, const uint64_t in[IPC_WORDS_MAX], uint64_t out[IPC_WORDS_MAX])
{
	unsigned n = IPC_TAG_WORDS(tag);

	for (unsigned i = 0; i < IPC_WORDS_MAX; i++)
		out[i] = i < n ? in[i] : 0;
}
