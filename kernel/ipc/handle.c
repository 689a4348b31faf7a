/*
 * handle.c - the per-process handle table (kernel/ipc/handle.h).
 *
 * Every operation takes the table's spinlock for a few loads and stores:
 * find the slot a number names (slot bits, then the generation must match
 * and the slot be in use), check rights, change slots. Nothing allocates
 * and nothing is put under the lock: a close or a destroy takes the object
 * pointers out of their slots, releases the lock, then puts them, because
 * the last put runs the object's destroy, which may take other locks (an
 * endpoint waking its waiters). A transfer takes both tables' locks, the
 * lower address first, checks everything, then moves: so it either fails
 * before touching anything or cannot fail.
 *
 * Invariants:
 *   [x] slot_named() (handle.h's handle_slot_named) is the only way from a number to a slot, and it
 *       answers only for an in-use slot of the number's generation;
 *   [x] slot_take() is the only way a slot is freed, and it advances the
 *       slot's generation;
 *   [x] kobject_put is never called with a table lock held;
 *   [x] every slot filled calls the object's handle_opened (under the
 *       lock, atomics only) and every slot freed but moved calls its
 *       handle_closed (after the lock, before the put).
 * Lock order: "handle table" -> "handle table" (transfer, by address) -> nothing.
 */
#include "kernel/ipc/handle.h"

#include "lib/errno.h"
#include "lib/panic.h"

/* The number of slot i at generation gen (handle.h's diagram). */
static int handle_number(unsigned i, uint32_t gen)
{
	return (int)((gen & HANDLE_GEN_MASK) << HANDLE_GEN_SHIFT | i << HANDLE_SLOT_SHIFT | 1u);
}

/* o's handle_opened hook for rights, if it has one. t->lock held: atomics only. */
static void hook_opened(struct kobject *o, uint32_t rights)
{
	if (o->ops->handle_opened)
		o->ops->handle_opened(o, rights);
}

/* o's handle_closed hook, then the slot's reference put. No table lock held. */
static void close_and_put(struct kobject *o, uint32_t rights)
{
	if (o->ops->handle_closed)
		o->ops->handle_closed(o, rights);
	kobject_put(o); /* it may destroy o */
}

/* The in-use slot number h names in t, or NULL (handle_slot_named). t->lock held. */
static struct handle_slot *slot_named(struct handle_table *t, int h)
{
	return (struct handle_slot *)handle_slot_named(t, h);
}

/*
 * Put o with rights in a free slot of t (there is one: checked) and return
 * its number; opened: a new handle (its hook runs), not one moved. t->lock held.
 */
static int slot_fill(struct handle_table *t, struct kobject *o, uint32_t rights, bool opened)
{
	ASSERT(t->count < HANDLE_TABLE_SLOTS, "slot_fill: no free slot (callers check the count first)");
	for (unsigned k = 0; k < HANDLE_TABLE_SLOTS; k++) {
		unsigned i = (t->cursor + k) % HANDLE_TABLE_SLOTS;
		struct handle_slot *s = &t->slots[i];
		if (s->object)
			continue;
		s->object = o;
		s->rights = rights;
		t->count++;
		if (opened)
			hook_opened(o, rights);
		t->cursor = (i + 1) % HANDLE_TABLE_SLOTS; /* the slot just freed is reused last */
		return handle_number(i, s->generation);
	}
	panic("slot_fill: table count %u but no free slot", t->count);
}

/* Free slot s of t; return the reference it held (the caller moves or puts it). t->lock held. */
static struct kobject *slot_take(struct handle_table *t, struct handle_slot *s)
{
	struct kobject *o = s->object;
	s->object = NULL;
	s->rights = 0;
	s->generation = (s->generation + 1) & HANDLE_GEN_MASK;
	t->count--;
	return o;
}

/* A well-mixed 32-bit value of x (the splitmix64 finalizer's constants). */
static uint32_t mix(uint64_t x)
{
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return (uint32_t)(x ^ (x >> 31));
}

void handle_table_init(struct handle_table *t, uint32_t seed)
{
	spin_lock_init(&t->lock, "handle table");
	t->count = 0;
	t->destroyed = false;
	for (unsigned i = 0; i < HANDLE_TABLE_SLOTS; i++) {
		t->slots[i].object = NULL;
		t->slots[i].rights = 0;
		t->slots[i].generation = mix((uint64_t)seed << 32 | i) & HANDLE_GEN_MASK;
	}
	t->cursor = mix(seed) % HANDLE_TABLE_SLOTS;
}

int handle_install(struct handle_table *t, struct kobject *o, uint32_t rights)
{
	ASSERT(o && kobject_refcount(o) > 0, "handle_install: not a live object");
	if (rights & ~HANDLE_RIGHTS_ALL)
		return -EINVAL;
	unsigned long flags = spin_lock_irqsave(&t->lock);
	int h = t->destroyed ? -ESRCH
		: t->count == HANDLE_TABLE_SLOTS ? -EMFILE
		: slot_fill(t, o, rights, true);
	spin_unlock_irqrestore(&t->lock, flags);
	return h;
}

int handle_lookup(struct handle_table *t, int h, uint32_t required, struct kobject **out,
		  uint32_t *rights)
{
	int err = 0;
	unsigned long flags = spin_lock_irqsave(&t->lock);
	struct handle_slot *s = slot_named(t, h);
	if (!s) {
		err = -EBADF;
	} else if (required & ~s->rights) {
		err = -EPERM;
	} else {
		kobject_get(s->object);
		*out = s->object;
		if (rights)
			*rights = s->rights;
	}
	spin_unlock_irqrestore(&t->lock, flags);
	return err;
}

int handle_lookup_type(struct handle_table *t, int64_t h, enum kobject_type type,
		       uint32_t required, struct kobject **out)
{
	struct kobject *o;

	if (h <= 0 || h > INT32_MAX)
		return -EBADF;
	int err = handle_lookup(t, (int)h, required, &o, NULL);
	if (err)
		return err;
	if (o->type != type) {
		kobject_put(o);
		return -EBADF;
	}
	*out = o;
	return 0;
}

int handle_duplicate(struct handle_table *t, int h, uint32_t rights)
{
	int result;
	unsigned long flags = spin_lock_irqsave(&t->lock);
	struct handle_slot *s = slot_named(t, h);
	if (!s) {
		result = -EBADF;
	} else if (!(s->rights & HANDLE_RIGHT_DUPLICATE) || (rights & ~s->rights)) {
		result = -EPERM;
	} else if (t->count == HANDLE_TABLE_SLOTS) {
		result = -EMFILE;
	} else {
		kobject_get(s->object); /* the new slot's reference */
		result = slot_fill(t, s->object, rights, true);
	}
	spin_unlock_irqrestore(&t->lock, flags);
	return result;
}

int handle_close(struct handle_table *t, int h)
{
	unsigned long flags = spin_lock_irqsave(&t->lock);
	struct handle_slot *s = slot_named(t, h);
	uint32_t rights = s ? s->rights : 0;
	struct kobject *o = s ? slot_take(t, s) : NULL;
	spin_unlock_irqrestore(&t->lock, flags);
	if (!o)
		return -EBADF;
	close_and_put(o, rights); /* outside the lock: it may destroy o */
	return 0;
}

/* Can hs[0..n) move from from to to? 0 or the error handle_transfer returns. Both locks held. */
static int transfer_check(struct handle_table *from, const int *hs, unsigned n,
			  struct handle_table *to)
{
	struct handle_slot *seen[HANDLE_TRANSFER_MAX];

	if (to->destroyed)
		return -ESRCH;
	for (unsigned i = 0; i < n; i++) {
		seen[i] = slot_named(from, hs[i]);
		if (!seen[i])
			return -EBADF;
		for (unsigned j = 0; j < i; j++)
			if (seen[j] == seen[i])
				return -EINVAL;
		if (!(seen[i]->rights & HANDLE_RIGHT_TRANSFER))
			return -EPERM;
	}
	unsigned free_slots = HANDLE_TABLE_SLOTS - to->count + (from == to ? n : 0);
	return free_slots < n ? -EMFILE : 0;
}

int handle_transfer(struct handle_table *from, const int *hs, unsigned n,
		    struct handle_table *to, int *out)
{
	if (n > HANDLE_TRANSFER_MAX)
		return -EINVAL;
	/* Two tables: the lower address first, so two opposite transfers cannot deadlock. */
	struct handle_table *first = from < to ? from : to;
	struct handle_table *second = from < to ? to : from;
	unsigned long flags = spin_lock_irqsave(&first->lock);
	if (second != first)
		spin_lock(&second->lock);

	int err = transfer_check(from, hs, n, to);
	if (!err) {
		struct kobject *moving[HANDLE_TRANSFER_MAX];
		uint32_t rights[HANDLE_TRANSFER_MAX];
		/* All out first: with from == to, the freed slots count as room. */
		for (unsigned i = 0; i < n; i++) {
			struct handle_slot *s = slot_named(from, hs[i]);
			rights[i] = s->rights;
			moving[i] = slot_take(from, s);
		}
		for (unsigned i = 0; i < n; i++)
			out[i] = slot_fill(to, moving[i], rights[i], false); /* the reference moves */
	}

	if (second != first)
		spin_unlock(&second->lock);
	spin_unlock_irqrestore(&first->lock, flags);
	return err;
}

void handle_table_clone(struct handle_table *child, struct handle_table *parent)
{
	spin_lock_init(&child->lock, "handle table");
	unsigned long flags = spin_lock_irqsave(&parent->lock);
	child->count = parent->count;
	child->cursor = parent->cursor;
	child->destroyed = parent->destroyed;
	for (unsigned i = 0; i < HANDLE_TABLE_SLOTS; i++) {
		struct handle_slot *s = &parent->slots[i];
		child->slots[i] = *s;
		if (s->object) {
			kobject_get(s->object); /* the child's slot's reference */
			hook_opened(s->object, s->rights);
		}
	}
	spin_unlock_irqrestore(&parent->lock, flags);
}

void handle_table_destroy(struct handle_table *t)
{
	struct kobject *held[HANDLE_TABLE_SLOTS];
	uint32_t rights[HANDLE_TABLE_SLOTS];
	unsigned n = 0;

	unsigned long flags = spin_lock_irqsave(&t->lock);
	t->destroyed = true;
	for (unsigned i = 0; i < HANDLE_TABLE_SLOTS; i++) {
		if (t->slots[i].object) {
			rights[n] = t->slots[i].rights;
			held[n++] = slot_take(t, &t->slots[i]);
		}
	}
	spin_unlock_irqrestore(&t->lock, flags);
	while (n > 0) {
		n--;
		close_and_put(held[n], rights[n]); /* outside the lock: each may be the last */
	}
}

unsigned handle_table_count(const struct handle_table *t)
{
	return __atomic_load_n(&t->count, __ATOMIC_RELAXED);
}

unsigned handle_table_list(struct handle_table *t, struct handle_info *out, unsigned max)
{
	unsigned n = 0;
	unsigned long flags = spin_lock_irqsave(&t->lock);
	for (unsigned i = 0; i < HANDLE_TABLE_SLOTS; i++) {
		const struct handle_slot *s = &t->slots[i];
		if (!s->object)
			continue;
		if (n < max)
			out[n] = (struct handle_info){handle_number(i, s->generation), s->object->type,
						      s->rights, kobject_refcount(s->object)};
		n++;
	}
	spin_unlock_irqrestore(&t->lock, flags);
	return n;
}

char *handle_rights_format(uint32_t rights, char *buf)
{
	static const char letters[HANDLE_RIGHTS_LETTERS + 1] = "SRMGDT";
	STATIC_ASSERT(HANDLE_RIGHTS_ALL == (1u << HANDLE_RIGHTS_LETTERS) - 1,
		      "handle_rights_format: one letter per right");

	for (unsigned i = 0; i < HANDLE_RIGHTS_LETTERS; i++)
		buf[i] = rights & (1u << i) ? letters[i] : '-';
	buf[HANDLE_RIGHTS_LETTERS] = '\0';
	return buf;
}
