/*
 * handle.h - a process's table of handles to kernel objects, with rights.
 *
 * A handle is a number a process holds for a kernel object (an endpoint, a
 * notification, a memory range: kernel/ipc/object.h) together with what it
 * may do with it (HANDLE_RIGHT_*), as seL4's capabilities and Zircon's
 * handles: a process can use only what its table holds, and can pass on
 * only less than it holds. Each slot holds one object reference. Numbers
 * carry a per-slot generation (below), so a closed handle stays invalid
 * (-EBADF) after its slot is reused, and a freed slot is reused last.
 * The table is fixed-size (HANDLE_TABLE_SLOTS, embedded in the process):
 * no allocation under its lock, so install never fails with -ENOMEM.
 *
 * Invariants:
 *   [x] a slot is free (object NULL, rights 0) or holds one reference to
 *       a live object; count is the number of slots in use;
 *   [x] a handle number names its slot only while the slot's generation
 *       is the number's: freeing a slot advances its generation;
 *   [x] rights only shrink: duplicate gives a subset, transfer keeps them;
 *   [x] a failed operation leaves every table and every count unchanged;
 *   [x] a destroyed table holds nothing and accepts nothing (-ESRCH).
 * Fork: the child gets a COPY of the table (handle_table_clone: same
 * numbers, same rights, one new reference each), as file descriptors are
 * copied. (The first design gave the child an EMPTY table, as Zircon's
 * process creation copies no handles; it changed for issue 18: a program
 * that creates an endpoint and forks its client or server is the simplest
 * way to write and test a server, as pipe() then fork() is for pipes, and
 * fork already copies every other authority of the process: its memory,
 * its descriptors, its I/O ports. A parent that wants a child to hold
 * less closes handles in the child or execs a program that does.) Exec
 * keeps the table: it changes the program, not the process's authority.
 * Object hooks: handle_opened/handle_closed of kernel/ipc/object.h are
 * called for every handle made (install, duplicate, clone) and gone
 * (close, destroy); transfer calls neither (the handle moves).
 * Lock order: "handle table" (two at once only in handle_transfer: the
 * lower address first) -> nothing; kobject_put and so an object's destroy
 * run with no table lock held. Context: any, interrupts on or off.
 */
#ifndef KERNEL_IPC_HANDLE_H
#define KERNEL_IPC_HANDLE_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/ipc/object.h"
#include "lib/compiler.h"
#include "mm/spinlock.h"
#include "user/include/pagoda/ipc_abi.h"

/*
 * Rights: one bit each, held per handle (seL4 capability rights, Zircon
 * handle rights). The values are the ABI's (IPC_RIGHT_* of
 * user/include/pagoda/ipc_abi.h, which programs pass to handle_duplicate
 * and read from handle_info): one source of truth.
 */
#define HANDLE_RIGHT_SEND      IPC_RIGHT_SEND      /* send to the endpoint, signal the notification */
#define HANDLE_RIGHT_RECEIVE   IPC_RIGHT_RECEIVE   /* receive from the endpoint, wait on the notification */
#define HANDLE_RIGHT_MAP       IPC_RIGHT_MAP       /* map the memory range: share its frames */
#define HANDLE_RIGHT_GRANT     IPC_RIGHT_GRANT     /* grant the memory range: give its frames away */
#define HANDLE_RIGHT_DUPLICATE IPC_RIGHT_DUPLICATE /* make another handle to the object (handle_duplicate) */
#define HANDLE_RIGHT_TRANSFER  IPC_RIGHT_TRANSFER  /* move the handle to another process (handle_transfer) */
#define HANDLE_RIGHTS_ALL      IPC_RIGHTS_ALL      /* every right above */

/*
 * A handle number, an int > 0 (so that -errno can share the return value):
 *
 *    31  30                            7  6              1   0
 *   +---+-------------------------------+-----------------+---+
 *   | 0 |  generation (24 bits)         |  slot (6 bits)  | 1 |
 *   +---+-------------------------------+-----------------+---+
 *
 * Bit 0 is always 1: 0 (a zeroed variable) and every even number are never
 * handles. The slot indexes the table. The generation is the slot's when
 * the handle was made; the slot's generation advances each time it is
 * freed (close, transfer out, destroy), so an old number stops matching:
 * a stale handle is -EBADF, never another object, until the same slot has
 * been freed 2^24 times. Generations start at values mixed from the
 * table's seed, so numbers differ between processes and boots.
 */
#define HANDLE_SLOT_BITS 6
#define HANDLE_GEN_BITS 24
#define HANDLE_TABLE_SLOTS (1u << HANDLE_SLOT_BITS)  /* handles one process holds at once */
#define HANDLE_GEN_MASK ((1u << HANDLE_GEN_BITS) - 1)
#define HANDLE_TRANSFER_MAX 4                        /* handles one handle_transfer moves */
#define HANDLE_SLOT_SHIFT 1                          /* the number's bit fields (below) */
#define HANDLE_GEN_SHIFT (HANDLE_SLOT_SHIFT + HANDLE_SLOT_BITS)
STATIC_ASSERT(1 + HANDLE_SLOT_BITS + HANDLE_GEN_BITS == 31, "handle.h: numbers fill 31 bits");

struct handle_slot {
	struct kobject *object; /* NULL: free */
	uint32_t rights;        /* HANDLE_RIGHT_* bits */
	uint32_t generation;    /* the generation of numbers naming this slot */
};

struct handle_table {
	spinlock_t lock;   /* "handle table": everything below */
	unsigned count;    /* slots in use */
	unsigned cursor;   /* where the search for a free slot starts */
	bool destroyed;    /* handle_table_destroy ran: nothing more goes in */
	struct handle_slot slots[HANDLE_TABLE_SLOTS];
};

/*
 * An empty table whose slot generations are mixed from seed (any value; the
 * process's creator passes a random one, so numbers differ between processes).
 */
void handle_table_init(struct handle_table *t, uint32_t seed);

/*
 * Put o in a free slot of t with rights. The caller's reference to o moves
 * into the table on success; on failure it stays the caller's. Returns the
 * handle (> 0), -EMFILE (t is full), -EINVAL (rights outside
 * HANDLE_RIGHTS_ALL) or -ESRCH (t was destroyed: its process is gone).
 */
__must_check int handle_install(struct handle_table *t, struct kobject *o, uint32_t rights);

/*
 * The object handle h of t names, if the handle has every right in
 * required: *out gets it with a new reference (the caller puts it) and
 * *rights (if not NULL) the handle's rights. Returns 0, -EBADF (h is not
 * an open handle of t: never was, closed, stale) or -EPERM (a right of
 * required is missing); on failure *out and *rights are left alone.
 */
__must_check int handle_lookup(struct handle_table *t, int h, uint32_t required,
			       struct kobject **out, uint32_t *rights);

/*
 * handle_lookup for a system call's argument h (a whole register) that
 * must name an object of type: h outside 1 .. INT32_MAX, or an open handle
 * to an object of another type, is -EBADF (a wrong-type handle is no
 * handle of the kind asked for); a missing right is -EPERM, checked
 * first, as handle_lookup does. On success *out holds a new reference.
 */
__must_check int handle_lookup_type(struct handle_table *t, int64_t h, enum kobject_type type,
				    uint32_t required, struct kobject **out);

/*
 * The in-use slot number h names in t, or NULL: the slot bits pick it,
 * then it must be in use with the number's generation. The one decoding
 * of a number (handle.c's operations and handle_peek_own). t->lock held,
 * or handle_peek_own's rule.
 */
static inline const struct handle_slot *handle_slot_named(const struct handle_table *t, int h)
{
	if (h <= 0 || !(h & 1))
		return NULL;
	uint32_t u = (uint32_t)h;
	const struct handle_slot *s = &t->slots[(u >> HANDLE_SLOT_SHIFT) & (HANDLE_TABLE_SLOTS - 1)];
	if (!s->object || s->generation != ((u >> HANDLE_GEN_SHIFT) & HANDLE_GEN_MASK))
		return NULL;
	return s;
}

/*
 * handle_lookup_type's success case for the IPC fast path, read by the
 * table's own process's thread: no lock and no new reference. Returns the
 * object, or NULL for anything handle_lookup_type would refuse (the fast
 * path then declines and the general path gives the error). Sound because
 * a table changes only by its own thread, or by a partner's transfer while
 * that thread is blocked in IPC, or before the process runs: while the
 * thread runs a system call, nothing else writes its table, and the slot's
 * reference keeps the object alive until the thread itself closes it.
 */
static inline struct kobject *handle_peek_own(const struct handle_table *t, int64_t h,
					      enum kobject_type type, uint32_t required)
{
	const struct handle_slot *s = h > INT32_MAX ? NULL : handle_slot_named(t, (int)h);

	if (!s || (required & ~s->rights) || s->object->type != type)
		return NULL;
	return s->object;
}

/*
 * A new handle in t to h's object with rights, which must be a subset of
 * h's and h must have HANDLE_RIGHT_DUPLICATE. Returns the new handle, or
 * -EBADF (h not open), -EPERM (no DUPLICATE right, or rights asks for
 * more than h has), -EMFILE (t is full).
 */
__must_check int handle_duplicate(struct handle_table *t, int h, uint32_t rights);

/* Close h: free its slot and drop its reference. Returns 0 or -EBADF. */
__must_check int handle_close(struct handle_table *t, int h);

/*
 * Move the n handles hs[] of from (n <= HANDLE_TRANSFER_MAX) into to, with
 * their rights: what a message carrying handles does. All or nothing: on
 * success out[i] is hs[i]'s new number in to and the hs[] are closed in
 * from (each reference moved, none taken or dropped); on failure nothing
 * changed anywhere. Returns 0, -EINVAL (n too large, or a handle named
 * twice), -EBADF (some hs[i] not open in from), -EPERM (some hs[i] lacks
 * HANDLE_RIGHT_TRANSFER), -EMFILE (to has fewer than n free slots: counted
 * after the moves out when from == to) or -ESRCH (to was destroyed).
 */
__must_check int handle_transfer(struct handle_table *from, const int *hs, unsigned n,
				 struct handle_table *to, int *out);

/*
 * fork: make child (not yet initialized) a copy of parent: the same
 * handles with the same numbers and rights, each with a new reference
 * (handle_opened called for each), the same generations and cursor.
 * Cannot fail (the table is fixed-size). A destroyed parent gives a
 * destroyed child.
 */
void handle_table_clone(struct handle_table *child, struct handle_table *parent);

/*
 * Empty t for good, as its process exits: drop the reference of every
 * slot (after releasing the lock), then refuse further installs (-ESRCH).
 * Handles looked up before keep their own references.
 */
void handle_table_destroy(struct handle_table *t);

/* Handles t holds now (a hint unless the caller holds t->lock). */
unsigned handle_table_count(const struct handle_table *t);

/* One handle as the shell's `handles PID` shows it. */
struct handle_info {
	int handle;
	enum kobject_type type;
	uint32_t rights;
	int refcount; /* the object's references when listed */
};

/*
 * Copy up to max of t's handles, in slot order, into out (taken at one
 * moment, under t's lock); returns how many t holds (may exceed max).
 */
unsigned handle_table_list(struct handle_table *t, struct handle_info *out, unsigned max);

/*
 * rights as letters in bit order, '-' for a right missing: "SRMGDT" is
 * every right, "S---D-" send and duplicate. buf has HANDLE_RIGHTS_LETTERS
 * + 1 bytes at least; returns buf.
 */
#define HANDLE_RIGHTS_LETTERS 6
char *handle_rights_format(uint32_t rights, char *buf);

#endif
