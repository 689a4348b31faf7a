/*
 * share.h - memory passed between address spaces by IPC: map, grant and
 * revoke, and the mapping database that remembers who got what from whom
 * (mm/share.c has the design notes; docs/ipc.md "Memory passed by IPC").
 *
 * map:    the receiver sees the sender's frames (each gains one owner,
 *         page_get), with at most the sender's rights; the new mapping is
 *         a child of the sender's in the database (a tree per range, as
 *         L4's mapping database). Both ranges are REGION_SHARED from then
 *         on: never demand-zero, never copy-on-write, left out of a fork's
 *         child, so nothing quietly stops the sharing.
 * grant:  the range moves: the receiver maps the frames (REGION_GRANTED,
 *         private memory as ANON), the sender's pages and region go (TLB
 *         shootdown), ownership moves with them. Nothing is recorded.
 * revoke: every mapping derived from a range of the caller's (children,
 *         their children ...) disappears from its space, with TLB
 *         shootdown; the caller keeps its own. A mapping that goes for any
 *         reason (munmap, exit, revoke) takes its descendants with it.
 *         The granularity is a mapping as one message passed it: a derived
 *         mapping with any page from the range goes whole. In another
 *         space only the pages go: its region stays, empty (a touch is the
 *         violation "revoked or unmapped shared page"; a pager region's
 *         page is asked of the pager again) until its owner unmaps it.
 *
 * Invariants (share_check_space):
 *   [x] the nodes of a space are disjoint, every page of one lies in a
 *       SHARED or PAGER region of that space, and every page of a node
 *       that its space still maps holds one reference to its frame;
 *   [x] a derived node's source [src, src + len) lies inside its parent's
 *       range; a root (the sender's own pages) exists while it has
 *       children;
 *   [x] a space on no node's list is unknown to the database: nothing
 *       another process does reaches it.
 * Context: process context, interrupts on, no spinlock held; may allocate
 * (never sleeps: the database's lock is a spinlock). For map and grant
 * both spaces must be quiescent except for the caller: each is the
 * calling thread's own, or its owner is blocked in IPC (it cannot run
 * user code or change its space until the call returns). Revoke and exit
 * change other spaces while their owners run: only their page tables
 * (under the tables' own lock), never their region sets.
 * Lock order: share database -> region set -> page tables -> slab cache
 * -> zone (each inner one taken and released inside the mm call that
 * needs it).
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
 * The most one map or grant passes (64 MiB): its bookkeeping runs under the
 * database's spinlock with interrupts off, so one call must stay short
 * (longer is -EINVAL: pass it in several messages).
 */
#define SHARE_MAX_BYTES (64ull << 20)

/*
 * Map [va, va + len) of from (page-aligned, len > 0, every page inside a
 * user region the sender may read: ANON, COW, GRANTED, SHARED, or FILE if
 * writable; faulted in first, each page made the sender's own frame) into
 * to; a range straddling a mapping from received and other memory is
 * -EFAULT. Without
 * SHARE_FIXED the kernel picks a free range and stores its start in
 * *to_va; with it, *to_va is the (page-aligned) destination, which must be
 * free (or, with SHARE_PAGER, unmapped pages of a pager region). Returns
 * 0; -EINVAL (unaligned, empty, flags, from == to, longer than
 * SHARE_MAX_BYTES), -EFAULT (a page the
 * sender cannot reach, a range leaving the user half), -EACCES (SHARE_WRITE on a range the sender cannot write),
 * -EEXIST (SHARE_FIXED over something), -ENOMEM. On error nothing changed
 * but the sender's pages faulted in (zeroed or copied: as its own touch).
 */
__must_check int share_map(struct user_space *from, virt_addr_t va, uint64_t len, unsigned flags,
			   struct user_space *to, virt_addr_t *to_va);

/*
 * Move [va, va + len) of from to to (private memory of the sender: ANON,
 * COW, GRANTED or writable FILE regions; a range other spaces map, or that
 * came from a mapping or a pager (SHARED, PAGER), is -EBUSY; SHARE_PAGER
 * is -EINVAL: a pager answers with a map). Placement, flags and errors as share_map; on success the
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

/* ---- for mm/user_space.c (the space's owner's own calls) and the tests ---- */

/*
 * munmap's release of [start, end) of us (page-aligned, inside the user
 * half): region_release_range (regions and pages), with the database
 * kept: every mapping derived from a page of the range goes (whole,
 * recursively, from every space it reached), each node of us is trimmed
 * or split around the range, or goes. Returns 0, -EINVAL, -ENOMEM
 * (nothing changed).
 */
__must_check int share_unmap(struct user_space *us, virt_addr_t start, virt_addr_t end);

/*
 * May [start, end) of us get protection prot (MAP_*)? -EACCES if a mapping
 * of us there was received without a right prot asks for: MAP_WRITE (a
 * map without SHARE_WRITE), MAP_EXEC (the sender's range was not
 * executable); else 0. A mapping never gains rights its sender did not give.
 */
__must_check int share_protect_check(const struct user_space *us, virt_addr_t start,
				     virt_addr_t end, unsigned prot);

/*
 * user_space_move's copy: *dst = *src, the database's nodes of src told
 * (under its lock, so no revoke meets a half-moved space). src keeps its
 * bytes (the caller clears it).
 */
void share_space_move(struct user_space *dst, struct user_space *src);

/* The nodes of us in the database (a mapping each: received, or a root). */
unsigned share_node_count(const struct user_space *us);

/*
 * NULL if us's nodes keep the invariants above, else the first violation
 * (a static buffer the next call overwrites). Tests.
 */
const char *share_check_space(const struct user_space *us);

#endif
