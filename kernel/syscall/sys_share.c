/*
 * sys_share.c - taking back memory passed by IPC: ipc_revoke (rdi = addr,
 * rsi = len, both of the caller's space).
 *
 * Thin on purpose: the rule (L4's flush: every mapping derived from the
 * caller's pages in the range goes, recursively, from every space it
 * reached, with TLB shootdown; the caller keeps its own) is
 * mm/share.c's, tested on the host there.
 */
#include "kernel/syscall/sys_share.h"

#include "kernel/arch/x86_64/trap.h"
#include "kernel/proc/process.h"
#include "lib/errno.h"
#include "mm/share.h"

long sys_ipc_revoke(struct trap_frame *frame)
{
	return share_revoke(&process_current()->space, frame->rdi, frame->rsi);
}
