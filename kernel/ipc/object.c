/*
 * object.c - kernel objects' reference counts (kernel/ipc/object.h).
 *
 * The count is an int changed only by atomic read-modify-write: a get is
 * relaxed (the caller already holds a reference, so the object cannot go
 * away meanwhile); a put is acquire-release, so that everything any holder
 * wrote to the object happens before the destroy that the last put runs.
 * The assertions test the value the atomic operation saw, never a second
 * read, so two CPUs putting the last reference at once cannot both pass.
 *
 * Invariants:
 *   [x] destroy runs once, on the CPU whose put saw the count at 1;
 *   [x] a count seen at 0 or below by get or put is a panic naming it.
 * Context: any. Lock order: takes none itself (destroy may).
 */
#include "kernel/ipc/object.h"

#include "lib/compiler.h"
#include "lib/panic.h"

void kobject_init(struct kobject *o, const struct kobject_ops *ops)
{
	ASSERT(o && ops, "kobject_init: no object or no operations");
	ASSERT(ops->type > KOBJECT_NONE && ops->type < KOBJECT_TYPES,
	       "kobject_init: not a kernel object type");
	ASSERT(ops->destroy, "kobject_init: the type has no destroy operation");
	o->type = ops->type;
	o->ops = ops;
	__atomic_store_n(&o->refcount, 1, __ATOMIC_RELEASE);
}

void kobject_get(struct kobject *o)
{
	int old = __atomic_fetch_add(&o->refcount, 1, __ATOMIC_RELAXED);
	ASSERT(old > 0, "kobject_get: the object was already destroyed");
}

void kobject_put(struct kobject *o)
{
	int old = __atomic_fetch_sub(&o->refcount, 1, __ATOMIC_ACQ_REL);
	ASSERT(old > 0, "kobject_put: reference count underflow");
	if (old == 1)
		o->ops->destroy(o);
}

int kobject_refcount(const struct kobject *o)
{
	return __atomic_load_n(&o->refcount, __ATOMIC_RELAXED);
}

const char *kobject_type_name(enum kobject_type type)
{
	switch (type) {
	case KOBJECT_ENDPOINT:
		return "endpoint";
	case KOBJECT_NOTIFICATION:
		return "notification";
	case KOBJECT_MEMORY:
		return "memory";
	default:
		return "?";
	}
}
