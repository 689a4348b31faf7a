/*
 * object.h - kernel objects: what a handle names (kernel/ipc/handle.h).
 *
 * A struct kobject is the common head embedded first in every object a
 * process can hold a handle to: an IPC endpoint, a notification, a memory
 * range. It carries a type tag, an atomic reference count and the type's
 * operations (one const struct kobject_ops per type, defined by the file
 * that implements the type). Every handle slot holding the object counts
 * one reference, and so does every kernel path using it (handle_lookup
 * returns the object with one); the last kobject_put calls the type's
 * destroy, which frees the whole object.
 *
 * Invariants:
 *   [x] a live object has refcount >= 1; the put that takes it to 0 is the
 *       only one that calls ops->destroy, exactly once;
 *   [x] get and put on a destroyed object (count 0) panic, naming the
 *       function, instead of resurrecting or freeing it twice;
 *   [x] type == ops->type for the object's whole life.
 * Context: any; get and put take no lock, but destroy may (so the last
 * put must not be made under a handle table's lock). Host-compilable.
 * Lock order: "handle table" -> (handle_opened: atomics only); an
 * object's own locks are taken by handle_closed and destroy with no
 * table lock held.
 */
#ifndef KERNEL_IPC_OBJECT_H
#define KERNEL_IPC_OBJECT_H

#include <stdbool.h>
#include <stdint.h>

/* What an object is. 0 is no type, so a zeroed object is never a valid one. */
enum kobject_type {
	KOBJECT_NONE = 0,
	KOBJECT_ENDPOINT,     /* synchronous rendezvous IPC */
	KOBJECT_NOTIFICATION, /* asynchronous bits a process waits on */
	KOBJECT_MEMORY,       /* a range of frames, passed by map or grant */
	KOBJECT_TYPES         /* number of types, KOBJECT_NONE included */
};

struct kobject;

/* One per type: what the object is and how it goes away. */
struct kobject_ops {
	enum kobject_type type;
	/*
	 * The last reference is gone: release what the object holds and free
	 * it (o is the head of the type's struct). Called without any handle
	 * table lock held; may take other locks, must not sleep.
	 */
	void (*destroy)(struct kobject *o);
	/*
	 * Optional (NULL: nothing to do). A handle with rights to o was made
	 * (install, duplicate, a fork's copy) / went (close, destroy). A
	 * transfer moves a handle and calls neither. handle_opened runs under
	 * the table's lock, before the handle can be used: it must only
	 * update atomics (no lock, no sleep). handle_closed runs after the
	 * slot is gone, with no table lock held, before the slot's reference
	 * is put: it may take locks and wake threads, not sleep. So at any
	 * moment the opened-minus-closed count of a right is at least the
	 * number of handles with it (an endpoint counts its RECEIVE handles).
	 */
	void (*handle_opened)(struct kobject *o, uint32_t rights);
	void (*handle_closed)(struct kobject *o, uint32_t rights);
};

struct kobject {
	enum kobject_type type;        /* == ops->type; read without the indirection */
	int refcount;                  /* atomic: handle slots + kernel references */
	const struct kobject_ops *ops; /* the type's operations */
};

/*
 * Make o a live object of ops->type holding one reference (the caller's).
 * ops must name a real type and have a destroy (checked: panics otherwise).
 */
void kobject_init(struct kobject *o, const struct kobject_ops *ops);

/* Take one more reference to o, which the caller already holds one to (checked). */
void kobject_get(struct kobject *o);

/*
 * Drop one reference to o; the last one destroys it (o must not be used
 * afterwards). A put with no reference left panics ("kobject_put:
 * reference count underflow"). No handle table lock may be held.
 */
void kobject_put(struct kobject *o);

/* References to o now: a hint for the shell and tests (it may change at once). */
int kobject_refcount(const struct kobject *o);

/* The type's name for the shell: "endpoint", "notification", "memory"; "?" if unknown. */
const char *kobject_type_name(enum kobject_type type);

#endif
