/*
 * share.h - memory passed between address spaces by IPC: map, grant and
 * revoke, and the mapping database that remembers who got what from whom.
 *
 * (Groundwork: the contracts below are fixed; mm/share.c, its design
 * notes and invariants are filled in by the memory-passing work.)
 *
 * map:    the receiver sees the sender's frames (each gains one owner,
 *         page_get), with at most the sender's rights; the new mapping is
 *         a child of the sender's in the database (a tree per range, as
 *         L4's mapping database).
 * grant:  the range moves: the receiver maps the frames, the sender's
 *         pages and region go (TLB shootdown), ownership moves with them.
 * revoke: every mapping derived from a range of the caller's (children,
 *         their children ...) disappears from its space, with TLB
 *         shootdown; the caller keeps its own. A mapping that goes for any
 *         reason (munmap, exit, revoke) takes its descendants with it.
 *
 * Context: process context, interrupts on, no spinlock held; may sleep and
 * allocate. Both spaces must be quiescent except for the caller: each is
 * the calling thread's own, or its owner is blocked in IPC (it cannot run
 * user code or change its space until the call returns).
 */
#ifndef MM_SHARE_H
#define MM_SHARE_H

#include <stdint.h>

#include "lib/compiler.h"
#include "mm/layout.h"

struct user_space;

/* share_map / share_grant flags. */
#define SHARE_WRITE (1u << 0) /* the receiver's mapping is writable (the sender's must be) */
#define SHARE_FIXED (1u << 1) /* place it at *to_va exactly (else: a free range is chosen) */
#define SHARE_PAGER (1u << 2) /* *to_va lies in a REGION_PAGER region of to: fill its pages */

/*
 * Map [va, va + len) of from (page-aligned, len > 0, every page inside one
 * user region the sender may read; faulted in first) into to. Without
 * SHARE_FIXED the kernel picks a free range and stores its start in
 * *to_va; with it, *to_va is the (page-aligned) destination, which must be
 * free (or, with SHARE_PAGER, unmapped pages of a pager region). Returns
 * 0; -EINVAL (unaligned, empty, flags), -EFAULT (a page the sender cannot
 * reach), -EACCES (SHARE_WRITE on a range the sender cannot write),
 * -EEXIST (SHARE_FIXED over something), -ENOMEM. On error nothing changed.
 */
__must_check int share_map(struct user_space *from, virt_addr_t va, uint64_t len, unsigned flags,
			   struct user_space *to, virt_addr_t *to_va);

/*
 * Move [va, va + len) of from to to (private anonymous memory of the
 * sender: a range other spaces map, or that came from a mapping, is
 * -EBUSY). Placement, flags and errors as share_map; on success the
 * sender has nothing left there.
 */
__must_check int share_grant(struct user_space *from, virt_addr_t va, uint64_t len, unsigned flags,
			     struct user_space *to, virt_addr_t *to_va);

/*
 * Take back every mapping derived from [va, va + len) of us (us keeps its
 * own pages). Returns how many mappings went (0 if none: not an error);
 * -EINVAL for a bad range. us is the caller's own space.
 */
long share_revoke(struct user_space *us, virt_addr_t va, uint64_t len);

/*
 * us is going away (exit, exec): remove it from the database, taking every
 * mapping derived from its pages with it. Before user_space_destroy.
 */
void share_space_exit(struct user_space *us);

#endif
