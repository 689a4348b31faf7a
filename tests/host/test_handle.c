/*
 * test_handle.c - suite "handle": kernel objects' reference counts
 * (kernel/ipc/object.c) and the per-process handle table
 * (kernel/ipc/handle.c) on the host.
 *
 * Objects are static test structs whose destroy counts its calls, so every
 * test can check that each object was destroyed exactly once, and only
 * when its last reference went. Covered: install, lookup and close; handle
 * numbers odd, nonzero and never reissued; rights checked, reduced by
 * duplicate and never raised; a stale handle refused after its slot is
 * reused; a full table; fork's clone and the object hooks; transfers
 * that succeed, into the same table too, and that fail leaving both
 * tables byte for byte and every count as they were; destroy dropping every reference once; the listing for the shell;
 * the count under four racing threads; the panics of a put too many; and
 * 20,000 random operations on two tables checked against a model.
 * Hosted code: pthreads for the race.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "kernel/ipc/handle.h"
#include "kernel/ipc/object.h"
#include "kernel/selftest.h"
#include "lib/errno.h"
#include "lib/random.h"
#include "tests/host/host_stubs.h"

#define OBJS 4096 /* test objects, enough for the random run */

struct tobj {
	struct kobject ko; /* first: the destroy casts back */
	unsigned destroyed; /* destroy calls: must end at 1 */
};

static struct tobj objs[OBJS];
static unsigned n_objs, destroys;

static void tobj_destroy(struct kobject *o)
{
	((struct tobj *)o)->destroyed++;
	destroys++;
}

static const struct kobject_ops tobj_ops = {.type = KOBJECT_ENDPOINT, .destroy = tobj_destroy};

/* A fresh live object (refcount 1: the caller's). */
static struct kobject *new_obj(void)
{
	struct tobj *t = &objs[n_objs++];
	t->destroyed = 0;
	kobject_init(&t->ko, &tobj_ops);
	return &t->ko;
}

static unsigned destroyed(const struct kobject *o)
{
	return ((const struct tobj *)o)->destroyed;
}

static struct handle_table ta, tb;

static void fresh(void)
{
	n_objs = 0;
	destroys = 0;
	handle_table_init(&ta, 1);
	handle_table_init(&tb, 2);
}

/* Install a fresh object in t with rights; returns the handle (asserted valid by the callers). */
static int install_new(struct handle_table *t, uint32_t rights)
{
	return handle_install(t, new_obj(), rights);
}

static const char *test_install_lookup_close(void)
{
	fresh();
	struct kobject *o = new_obj();
	int h = handle_install(&ta, o, HANDLE_RIGHT_SEND | HANDLE_RIGHT_RECEIVE);
	CHECKF(h > 0 && (h & 1), "install returned %d", h);
	CHECK(handle_table_count(&ta) == 1);
	CHECK(kobject_refcount(o) == 1); /* the caller's reference moved into the slot */

	struct kobject *got = NULL;
	uint32_t rights = 0;
	CHECK(handle_lookup(&ta, h, HANDLE_RIGHT_SEND, &got, &rights) == 0);
	CHECK(got == o && rights == (HANDLE_RIGHT_SEND | HANDLE_RIGHT_RECEIVE));
	CHECK(kobject_refcount(o) == 2);
	CHECK(got->type == KOBJECT_ENDPOINT && !strcmp(kobject_type_name(got->type), "endpoint"));
	kobject_put(got);
	CHECK(kobject_refcount(o) == 1 && destroyed(o) == 0);

	CHECK(handle_lookup(&tb, h, 0, &got, NULL) == -EBADF); /* another table's number */
	CHECK(handle_close(&ta, h) == 0);
	CHECK(destroyed(o) == 1 && handle_table_count(&ta) == 0);
	CHECK(handle_close(&ta, h) == -EBADF);
	got = NULL;
	CHECK(handle_lookup(&ta, h, 0, &got, NULL) == -EBADF && got == NULL);
	const int bad[] = {0, -1, -EBADF, 2, h + 1, h ^ (1 << 30), 0x7fffffff};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECKF(handle_lookup(&ta, bad[i], 0, &got, NULL) == -EBADF, "handle %d", bad[i]);
	return NULL;
}

/* handle_lookup_type: the system calls' look-up of a handle that must be of one type. */
static const char *test_lookup_type(void)
{
	fresh();
	int h = install_new(&ta, HANDLE_RIGHT_SEND); /* an endpoint (tobj_ops) */
	struct kobject *got = NULL;

	CHECK(h > 0);
	CHECK(handle_lookup_type(&ta, h, KOBJECT_ENDPOINT, HANDLE_RIGHT_SEND, &got) == 0);
	CHECK(got && got->type == KOBJECT_ENDPOINT && kobject_refcount(got) == 2);
	kobject_put(got);
	got = NULL;
	CHECK(handle_lookup_type(&ta, h, KOBJECT_NOTIFICATION, HANDLE_RIGHT_SEND, &got) == -EBADF);
	CHECK(got == NULL && kobject_refcount(&objs[0].ko) == 1); /* the wrong type's reference dropped */
	/* A missing right is -EPERM before the type is looked at, as handle_lookup. */
	CHECK(handle_lookup_type(&ta, h, KOBJECT_NOTIFICATION, HANDLE_RIGHT_RECEIVE, &got) == -EPERM);
	const int64_t bad[] = {0, -1, (int64_t)h + (1ll << 32), INT64_MAX, (int64_t)INT32_MAX + 1};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECKF(handle_lookup_type(&ta, bad[i], KOBJECT_ENDPOINT, 0, &got) == -EBADF,
		       "handle %lld", (long long)bad[i]);
	CHECK(got == NULL && kobject_refcount(&objs[0].ko) == 1);
	return NULL;
}

static const char *test_lookup_held_past_close(void)
{
	fresh();
	struct kobject *o = new_obj(), *got;
	int h = handle_install(&ta, o, HANDLE_RIGHT_SEND);
	CHECK(h > 0 && handle_lookup(&ta, h, HANDLE_RIGHT_SEND, &got, NULL) == 0);
	CHECK(handle_close(&ta, h) == 0);
	CHECK(destroyed(o) == 0 && kobject_refcount(o) == 1); /* the lookup's reference */
	kobject_put(got);
	CHECK(destroyed(o) == 1 && destroys == 1);
	return NULL;
}

static const char *test_rights(void)
{
	fresh();
	struct kobject *o = new_obj(), *got = NULL;
	CHECK(handle_install(&ta, o, HANDLE_RIGHTS_ALL + 1) == -EINVAL);
	CHECK(handle_install(&ta, o, 1u << 31) == -EINVAL && handle_table_count(&ta) == 0);
	int h = handle_install(&ta, o, HANDLE_RIGHT_SEND | HANDLE_RIGHT_MAP | HANDLE_RIGHT_DUPLICATE);
	CHECK(h > 0);
	CHECK(handle_lookup(&ta, h, HANDLE_RIGHT_RECEIVE, &got, NULL) == -EPERM && got == NULL);
	CHECK(handle_lookup(&ta, h, HANDLE_RIGHT_SEND | HANDLE_RIGHT_GRANT, &got, NULL) == -EPERM);
	CHECK(kobject_refcount(o) == 1);

	/* Fewer rights: allowed; the copy holds its own reference. */
	int d = handle_duplicate(&ta, h, HANDLE_RIGHT_SEND);
	CHECKF(d > 0 && d != h, "duplicate returned %d", d);
	CHECK(kobject_refcount(o) == 2 && handle_table_count(&ta) == 2);
	uint32_t r;
	CHECK(handle_lookup(&ta, d, HANDLE_RIGHT_SEND, &got, &r) == 0 && got == o);
	CHECK(r == HANDLE_RIGHT_SEND);
	kobject_put(got);
	CHECK(handle_lookup(&ta, d, HANDLE_RIGHT_MAP, &got, NULL) == -EPERM);
	/* More rights than held: refused; the copy has no DUPLICATE right: refused. */
	CHECK(handle_duplicate(&ta, h, HANDLE_RIGHT_SEND | HANDLE_RIGHT_GRANT) == -EPERM);
	CHECK(handle_duplicate(&ta, h, 1u << 20) == -EPERM);
	CHECK(handle_duplicate(&ta, d, HANDLE_RIGHT_SEND) == -EPERM);
	CHECK(handle_duplicate(&ta, d, 0) == -EPERM);
	CHECK(kobject_refcount(o) == 2 && handle_table_count(&ta) == 2);
	/* Same rights, and none at all, are subsets too. */
	int same = handle_duplicate(&ta, h, HANDLE_RIGHT_SEND | HANDLE_RIGHT_MAP |
					     HANDLE_RIGHT_DUPLICATE);
	int none = handle_duplicate(&ta, h, 0);
	CHECK(same > 0 && none > 0 && kobject_refcount(o) == 4);
	CHECK(handle_lookup(&ta, none, 0, &got, NULL) == 0);
	kobject_put(got);
	CHECK(handle_close(&ta, h) == 0 && handle_close(&ta, d) == 0);
	CHECK(handle_close(&ta, same) == 0 && destroyed(o) == 0);
	CHECK(handle_close(&ta, none) == 0 && destroyed(o) == 1);
	return NULL;
}

static const char *test_stale_after_reuse(void)
{
	fresh();
	int first = install_new(&ta, HANDLE_RIGHT_SEND);
	CHECK(first > 0 && handle_close(&ta, first) == 0);
	/* The slot just freed is reused last: the next install takes another. */
	int next = install_new(&ta, HANDLE_RIGHT_SEND);
	CHECK(next > 0 && ((next >> 1) & 63) != ((first >> 1) & 63));
	/* Fill the table: the old slot is reused, under a new number. */
	int hs[HANDLE_TABLE_SLOTS];
	hs[0] = next;
	for (unsigned i = 1; i < HANDLE_TABLE_SLOTS; i++) {
		hs[i] = install_new(&ta, HANDLE_RIGHT_SEND);
		CHECKF(hs[i] > 0 && hs[i] != first, "install %u returned %d (first %d)", i, hs[i],
		       first);
	}
	struct kobject *got;
	CHECK(handle_lookup(&ta, first, 0, &got, NULL) == -EBADF);
	CHECK(handle_close(&ta, first) == -EBADF);
	CHECK(handle_duplicate(&ta, first, 0) == -EBADF);
	CHECK(handle_table_count(&ta) == HANDLE_TABLE_SLOTS && destroys == 1);
	for (unsigned i = 0; i < HANDLE_TABLE_SLOTS; i++)
		for (unsigned j = 0; j < i; j++)
			CHECK(hs[i] != hs[j]);
	/* Two tables seeded differently number their first handles differently. */
	int b = install_new(&tb, 0);
	CHECK(b > 0 && b != first);
	handle_table_destroy(&ta);
	handle_table_destroy(&tb);
	CHECK(destroys == n_objs);
	return NULL;
}

static const char *test_table_full(void)
{
	fresh();
	int h = 0;
	for (unsigned i = 0; i < HANDLE_TABLE_SLOTS; i++) {
		h = install_new(&ta, HANDLE_RIGHT_DUPLICATE);
		CHECK(h > 0);
	}
	struct kobject *o = new_obj();
	CHECK(handle_install(&ta, o, 0) == -EMFILE);
	CHECK(kobject_refcount(o) == 1 && destroyed(o) == 0); /* still the caller's */
	struct kobject *last;
	CHECK(handle_lookup(&ta, h, 0, &last, NULL) == 0);
	int before = kobject_refcount(last);
	CHECK(handle_duplicate(&ta, h, 0) == -EMFILE && kobject_refcount(last) == before);
	kobject_put(last);
	CHECK(handle_close(&ta, h) == 0);
	int again = handle_install(&ta, o, 0);
	CHECK(again > 0 && again != h);
	handle_table_destroy(&ta);
	CHECK(destroys == n_objs && handle_table_count(&ta) == 0);
	return NULL;
}

static const char *test_transfer(void)
{
	fresh();
	struct kobject *o = new_obj(), *got;
	uint32_t rights = HANDLE_RIGHT_SEND | HANDLE_RIGHT_TRANSFER;
	int h = handle_install(&ta, o, rights), moved;
	CHECK(h > 0 && handle_transfer(&ta, &h, 1, &tb, &moved) == 0);
	CHECK(moved > 0 && kobject_refcount(o) == 1); /* the reference moved, none taken */
	CHECK(handle_table_count(&ta) == 0 && handle_table_count(&tb) == 1);
	CHECK(handle_lookup(&ta, h, 0, &got, NULL) == -EBADF);
	uint32_t r;
	CHECK(handle_lookup(&tb, moved, 0, &got, &r) == 0 && got == o && r == rights);
	kobject_put(got);
	/* Three at once, back again; then into the same table (renumbered). */
	int three[3] = {moved, install_new(&tb, HANDLE_RIGHT_TRANSFER),
			install_new(&tb, HANDLE_RIGHT_TRANSFER | HANDLE_RIGHT_MAP)};
	int back[3], same[3];
	CHECK(handle_transfer(&tb, three, 3, &ta, back) == 0);
	CHECK(handle_table_count(&ta) == 3 && handle_table_count(&tb) == 0);
	CHECK(handle_transfer(&ta, back, 3, &ta, same) == 0 && handle_table_count(&ta) == 3);
	for (unsigned i = 0; i < 3; i++) {
		CHECK(handle_lookup(&ta, back[i], 0, &got, NULL) == -EBADF);
		CHECK(handle_lookup(&ta, same[i], HANDLE_RIGHT_TRANSFER, &got, NULL) == 0);
		CHECK(got == &objs[i].ko && kobject_refcount(got) == 2);
		kobject_put(got);
	}
	CHECK(handle_transfer(&ta, same, 0, &tb, back) == 0); /* nothing to move */
	handle_table_destroy(&ta);
	CHECK(destroys == 3);
	return NULL;
}

/* Everything a failed transfer must leave as it was. */
struct snapshot {
	struct handle_slot a[HANDLE_TABLE_SLOTS], b[HANDLE_TABLE_SLOTS];
	unsigned count_a, count_b;
	int refs[16];
};

static void take_snapshot(struct snapshot *s)
{
	memcpy(s->a, ta.slots, sizeof(s->a));
	memcpy(s->b, tb.slots, sizeof(s->b));
	s->count_a = ta.count;
	s->count_b = tb.count;
	for (unsigned i = 0; i < 16; i++)
		s->refs[i] = i < n_objs ? kobject_refcount(&objs[i].ko) : 0;
}

static bool same_snapshot(const struct snapshot *s)
{
	struct snapshot now;
	take_snapshot(&now);
	return !memcmp(s, &now, sizeof(now));
}

static const char *test_transfer_failure_changes_nothing(void)
{
	fresh();
	int ok1 = install_new(&ta, HANDLE_RIGHT_TRANSFER | HANDLE_RIGHT_SEND);
	int ok2 = install_new(&ta, HANDLE_RIGHT_TRANSFER);
	int no = install_new(&ta, HANDLE_RIGHT_SEND | HANDLE_RIGHT_DUPLICATE);
	int stale = install_new(&ta, HANDLE_RIGHT_TRANSFER);
	CHECK(ok1 > 0 && ok2 > 0 && no > 0 && stale > 0 && handle_close(&ta, stale) == 0);
	int out[HANDLE_TRANSFER_MAX + 1] = {0};
	struct snapshot s;
	take_snapshot(&s);

	const int bad_last[] = {ok1, ok2, stale}, perm_last[] = {ok1, ok2, no};
	const int twice[] = {ok1, ok2, ok1}, many[] = {ok1, ok2, ok1, ok2, ok1};
	CHECK(handle_transfer(&ta, bad_last, 3, &tb, out) == -EBADF && same_snapshot(&s));
	CHECK(handle_transfer(&ta, perm_last, 3, &tb, out) == -EPERM && same_snapshot(&s));
	CHECK(handle_transfer(&ta, twice, 3, &tb, out) == -EINVAL && same_snapshot(&s));
	CHECK(handle_transfer(&ta, many, HANDLE_TRANSFER_MAX + 1, &tb, out) == -EINVAL);
	CHECK(same_snapshot(&s));
	CHECK(handle_transfer(&tb, bad_last, 1, &ta, out) == -EBADF && same_snapshot(&s));

	/* The receiver has one free slot: two do not fit, one does. */
	for (unsigned i = 0; i < HANDLE_TABLE_SLOTS - 1; i++)
		CHECK(install_new(&tb, 0) > 0);
	take_snapshot(&s);
	CHECK(handle_transfer(&ta, bad_last, 2, &tb, out) == -EMFILE && same_snapshot(&s));
	for (unsigned i = 0; i < HANDLE_TRANSFER_MAX + 1; i++)
		CHECK(out[i] == 0); /* nothing written on failure */
	CHECK(handle_transfer(&ta, bad_last, 1, &tb, out) == 0 && out[0] > 0);
	CHECK(handle_table_count(&tb) == HANDLE_TABLE_SLOTS && handle_table_count(&ta) == 2);

	/* A destroyed receiver (its process gone) takes nothing. */
	handle_table_destroy(&tb);
	unsigned gone = destroys;
	take_snapshot(&s);
	CHECK(handle_transfer(&ta, &ok2, 1, &tb, out) == -ESRCH && same_snapshot(&s));
	CHECK(install_new(&tb, 0) == -ESRCH);
	kobject_put(&objs[n_objs - 1].ko); /* the refused object: still ours */
	CHECK(destroys == gone + 1);
	handle_table_destroy(&ta);
	CHECK(destroys == n_objs);
	for (unsigned i = 0; i < n_objs; i++)
		CHECKF(objs[i].destroyed == 1, "object %u destroyed %u times", i, objs[i].destroyed);
	return NULL;
}

/* Objects whose hooks count the RECEIVE handles opened and closed. */
static int hooked_receivers;

static void hooked_opened(struct kobject *o, uint32_t rights)
{
	(void)o;
	hooked_receivers += (rights & HANDLE_RIGHT_RECEIVE) != 0;
}

static void hooked_closed(struct kobject *o, uint32_t rights)
{
	(void)o;
	hooked_receivers -= (rights & HANDLE_RIGHT_RECEIVE) != 0;
}

static const struct kobject_ops hooked_ops = {
	.type = KOBJECT_ENDPOINT, .destroy = tobj_destroy,
	.handle_opened = hooked_opened, .handle_closed = hooked_closed,
};

static const char *test_clone_and_hooks(void)
{
	struct handle_table parent, child;
	struct tobj *t = &objs[n_objs++];
	uint32_t rights;
	struct kobject *got;

	t->destroyed = 0;
	kobject_init(&t->ko, &hooked_ops);
	hooked_receivers = 0;
	handle_table_init(&parent, 7);
	int h = handle_install(&parent, &t->ko, HANDLE_RIGHTS_ALL);
	CHECK(h > 0 && hooked_receivers == 1);
	int send_only = handle_duplicate(&parent, h, HANDLE_RIGHT_SEND | HANDLE_RIGHT_TRANSFER);
	CHECK(send_only > 0 && hooked_receivers == 1); /* no RECEIVE: not counted */
	int dup = handle_duplicate(&parent, h, HANDLE_RIGHT_RECEIVE | HANDLE_RIGHT_TRANSFER);
	CHECK(dup > 0 && hooked_receivers == 2);

	handle_table_clone(&child, &parent);
	CHECK(hooked_receivers == 4 && kobject_refcount(&t->ko) == 6);
	CHECK(handle_table_count(&child) == 3);
	CHECK(handle_lookup(&child, h, HANDLE_RIGHTS_ALL, &got, &rights) == 0); /* same number */
	CHECK(got == &t->ko && rights == HANDLE_RIGHTS_ALL);
	kobject_put(got);

	/* A transfer moves: neither hook runs. */
	int moved;
	CHECK(handle_transfer(&child, &dup, 1, &parent, &moved) == 0);
	CHECK(hooked_receivers == 4);
	CHECK(handle_close(&child, h) == 0 && hooked_receivers == 3);
	handle_table_destroy(&child);
	CHECK(hooked_receivers == 3 && t->destroyed == 0); /* the moved one is the parent's now */
	handle_table_destroy(&parent);
	CHECK(hooked_receivers == 0 && t->destroyed == 1);
	return NULL;
}

static const char *test_destroy_releases_once(void)
{
	fresh();
	/* 20 objects, each behind 1 to 3 handles; one also held by a lookup. */
	for (unsigned i = 0; i < 20; i++) {
		int h = install_new(&ta, HANDLE_RIGHT_DUPLICATE | HANDLE_RIGHT_SEND);
		CHECK(h > 0);
		for (unsigned k = 0; k < i % 3; k++)
			CHECK(handle_duplicate(&ta, h, HANDLE_RIGHT_SEND) > 0);
	}
	unsigned expected = 0;
	for (unsigned i = 0; i < 20; i++)
		expected += 1 + i % 3;
	CHECK(handle_table_count(&ta) == expected);
	struct kobject *held;
	int h0 = install_new(&ta, HANDLE_RIGHT_SEND);
	CHECK(handle_lookup(&ta, h0, 0, &held, NULL) == 0);
	handle_table_destroy(&ta);
	CHECK(handle_table_count(&ta) == 0);
	CHECKF(destroys == 20, "%u destroys, expected 20 (the looked-up object stays)", destroys);
	CHECK(destroyed(held) == 0 && kobject_refcount(held) == 1);
	kobject_put(held);
	CHECK(destroys == 21);
	for (unsigned i = 0; i < n_objs; i++)
		CHECK(objs[i].destroyed == 1);
	handle_table_destroy(&ta); /* again: nothing left to put */
	CHECK(destroys == 21);
	CHECK(handle_lookup(&ta, h0, 0, &held, NULL) == -EBADF);
	return NULL;
}

static const char *test_list(void)
{
	fresh();
	struct handle_info info[4];
	char letters[HANDLE_RIGHTS_LETTERS + 1];
	CHECK(handle_table_list(&ta, info, 4) == 0);
	int a = install_new(&ta, HANDLE_RIGHT_SEND | HANDLE_RIGHT_DUPLICATE);
	int b = handle_duplicate(&ta, a, HANDLE_RIGHT_SEND);
	int c = install_new(&ta, HANDLE_RIGHTS_ALL);
	CHECK(a > 0 && b > 0 && c > 0);
	CHECK(handle_table_list(&ta, info, 2) == 3); /* two copied, three held */
	CHECK(handle_table_list(&ta, info, 4) == 3);
	unsigned seen = 0;
	for (unsigned i = 0; i < 3; i++) {
		CHECK(info[i].type == KOBJECT_ENDPOINT);
		if (info[i].handle == a)
			CHECK(info[i].rights == (HANDLE_RIGHT_SEND | HANDLE_RIGHT_DUPLICATE) &&
			      info[i].refcount == 2);
		else if (info[i].handle == b)
			CHECK(info[i].rights == HANDLE_RIGHT_SEND && info[i].refcount == 2);
		else
			CHECK(info[i].handle == c && info[i].refcount == 1);
		seen |= 1u << (info[i].handle == a ? 0 : info[i].handle == b ? 1 : 2);
	}
	CHECK(seen == 7);
	CHECK(!strcmp(handle_rights_format(HANDLE_RIGHTS_ALL, letters), "SRMGDT"));
	CHECK(!strcmp(handle_rights_format(HANDLE_RIGHT_SEND | HANDLE_RIGHT_DUPLICATE, letters),
		      "S---D-"));
	CHECK(!strcmp(handle_rights_format(0, letters), "------"));
	handle_table_destroy(&ta);
	CHECK(destroys == 2);
	return NULL;
}

/* ---- The count under threads (atomics only: host spinlocks know one CPU). ---- */

#define RACE_THREADS 4
#define RACE_ROUNDS 100000

static void *get_put_many(void *arg)
{
	struct kobject *o = arg;
	for (unsigned i = 0; i < RACE_ROUNDS; i++) {
		kobject_get(o);
		kobject_put(o);
	}
	return NULL;
}

static void *put_many(void *arg)
{
	struct kobject *o = arg;
	for (unsigned i = 0; i < RACE_ROUNDS; i++)
		kobject_put(o);
	return NULL;
}

/* Run fn(o) on RACE_THREADS threads at once; true if all started and joined. */
static bool race(void *(*fn)(void *), struct kobject *o)
{
	pthread_t threads[RACE_THREADS];
	unsigned started = 0;
	while (started < RACE_THREADS && !pthread_create(&threads[started], NULL, fn, o))
		started++;
	for (unsigned i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	return started == RACE_THREADS;
}

static const char *test_threads(void)
{
	fresh();
	struct kobject *o = new_obj();
	CHECK(race(get_put_many, o));
	CHECKF(kobject_refcount(o) == 1 && destroys == 0, "count %d after the race, %u destroys",
	       kobject_refcount(o), destroys);
	/* Every reference put by racing threads: exactly one of them destroys. */
	for (unsigned i = 1; i < RACE_THREADS * RACE_ROUNDS; i++)
		kobject_get(o);
	CHECK(race(put_many, o));
	CHECKF(destroys == 1 && destroyed(o) == 1, "%u destroys", destroys);
	return NULL;
}

/* Run in children: a put too many, a get of a destroyed object. */
static void put_twice(void *arg)
{
	(void)arg;
	fresh();
	struct kobject *o = new_obj();
	kobject_put(o);
	kobject_put(o);
}

static void get_destroyed(void *arg)
{
	(void)arg;
	fresh();
	struct kobject *o = new_obj();
	kobject_put(o);
	kobject_get(o);
}

static const char *test_refcount_panics(void)
{
	char msg[256];
	CHECKF(host_expect_panic(put_twice, NULL, msg, sizeof(msg)), "the child %s", msg);
	CHECKF(strstr(msg, "kobject_put: reference count underflow"), "panic said: %s", msg);
	CHECKF(host_expect_panic(get_destroyed, NULL, msg, sizeof(msg)), "the child %s", msg);
	CHECKF(strstr(msg, "kobject_get: the object was already destroyed"), "panic said: %s", msg);
	return NULL;
}

/* ---- Random operations against a model. ---- */

#define RANDOM_OPS 20000
#define ISSUED_MAX (RANDOM_OPS * 4)

struct mhandle {
	int h;
	unsigned obj;
	uint32_t rights;
};

struct mtable {
	struct handle_table *t;
	struct mhandle live[HANDLE_TABLE_SLOTS];
	unsigned n;
	int issued[ISSUED_MAX]; /* every number t handed out, in order */
	unsigned n_issued;
};

static struct mtable model[2];
static int mrefs[OBJS]; /* references the model counts: slots holding the object */

static int mfind(const struct mtable *m, int h)
{
	for (unsigned i = 0; i < m->n; i++)
		if (m->live[i].h == h)
			return (int)i;
	return -1;
}

/* A new number from t: positive, odd, never handed out before. Adds it to the model. */
static const char *madd(struct mtable *m, int h, unsigned obj, uint32_t rights)
{
	CHECKF(h > 0 && (h & 1), "a new handle %d", h);
	for (unsigned i = 0; i < m->n_issued; i++)
		CHECKF(m->issued[i] != h, "handle %d issued twice", h);
	CHECK(m->n_issued < ISSUED_MAX && m->n < HANDLE_TABLE_SLOTS);
	m->issued[m->n_issued++] = h;
	m->live[m->n++] = (struct mhandle){h, obj, rights};
	mrefs[obj]++;
	return NULL;
}

static void mremove(struct mtable *m, unsigned i)
{
	mrefs[m->live[i].obj]--;
	m->live[i] = m->live[--m->n];
}

/* A handle to try: usually a live one, sometimes an old or a made-up number. */
static int pick_handle(const struct mtable *m, uint64_t *rng)
{
	unsigned kind = (unsigned)random_below(rng, 10);
	if (kind < 7 && m->n > 0)
		return m->live[random_below(rng, m->n)].h;
	if (kind < 9 && m->n_issued > 0)
		return m->issued[random_below(rng, m->n_issued)];
	return (int)(random_next(rng) & 0x7fffffff);
}

static uint32_t pick_rights(uint64_t *rng)
{
	return (uint32_t)random_next(rng) & HANDLE_RIGHTS_ALL;
}

/* The tables and every object's count agree with the model. */
static const char *mcheck(void)
{
	for (unsigned k = 0; k < 2; k++) {
		const struct mtable *m = &model[k];
		CHECKF(handle_table_count(m->t) == m->n, "table %u: %u handles, model %u", k,
		       handle_table_count(m->t), m->n);
		for (unsigned i = 0; i < m->n; i++) {
			struct kobject *got;
			uint32_t r;
			CHECK(handle_lookup(m->t, m->live[i].h, 0, &got, &r) == 0);
			CHECK(got == &objs[m->live[i].obj].ko && r == m->live[i].rights);
			kobject_put(got);
		}
	}
	for (unsigned i = 0; i < n_objs; i++) {
		if (mrefs[i] > 0)
			CHECKF(objs[i].destroyed == 0 && kobject_refcount(&objs[i].ko) == mrefs[i],
			       "object %u: refcount %d, model %d", i, kobject_refcount(&objs[i].ko),
			       mrefs[i]);
		else
			CHECKF(objs[i].destroyed == 1, "object %u: no reference, %u destroys", i,
			       objs[i].destroyed);
	}
	return NULL;
}

/* The model's answer to a transfer of hs[0..n) from m to to. */
static int mtransfer_expect(const struct mtable *m, const int *hs, unsigned n,
			    const struct mtable *to)
{
	for (unsigned i = 0; i < n; i++) {
		int at = mfind(m, hs[i]);
		if (at < 0)
			return -EBADF;
		for (unsigned j = 0; j < i; j++)
			if (hs[j] == hs[i])
				return -EINVAL;
		if (!(m->live[at].rights & HANDLE_RIGHT_TRANSFER))
			return -EPERM;
	}
	unsigned free_slots = HANDLE_TABLE_SLOTS - to->n + (m == to ? n : 0);
	return free_slots < n ? -EMFILE : 0;
}

static const char *random_step(uint64_t *rng)
{
	struct mtable *m = &model[random_below(rng, 2)];
	struct kobject *got = NULL;
	uint32_t r = 0;
	unsigned op = (unsigned)random_below(rng, 6);

	if (op == 0) { /* install a new object */
		if (n_objs == OBJS)
			return NULL;
		unsigned obj = n_objs;
		uint32_t rights = pick_rights(rng);
		int h = install_new(m->t, rights);
		if (m->n == HANDLE_TABLE_SLOTS) {
			CHECKF(h == -EMFILE, "install into a full table: %d", h);
			kobject_put(&objs[obj].ko); /* ours again: gone */
			return NULL;
		}
		return madd(m, h, obj, rights);
	}
	int h = pick_handle(m, rng);
	int at = mfind(m, h);
	if (op == 1) { /* lookup */
		uint32_t need = pick_rights(rng) & pick_rights(rng);
		int err = handle_lookup(m->t, h, need, &got, &r);
		int want = at < 0 ? -EBADF : (need & ~m->live[at].rights) ? -EPERM : 0;
		CHECKF(err == want, "lookup %d need %#x: %d, model %d", h, need, err, want);
		if (!err) {
			CHECK(got == &objs[m->live[at].obj].ko && r == m->live[at].rights);
			kobject_put(got);
		}
		return NULL;
	}
	if (op == 2) { /* duplicate, asking a subset most of the time */
		uint32_t rights = pick_rights(rng);
		if (at >= 0 && random_below(rng, 4))
			rights &= m->live[at].rights;
		int d = handle_duplicate(m->t, h, rights);
		int want = at < 0 ? -EBADF
			: !(m->live[at].rights & HANDLE_RIGHT_DUPLICATE) ? -EPERM
			: (rights & ~m->live[at].rights) ? -EPERM
			: m->n == HANDLE_TABLE_SLOTS ? -EMFILE : 1;
		if (want < 0) {
			CHECKF(d == want, "duplicate %d rights %#x: %d, model %d", h, rights, d, want);
			return NULL;
		}
		return madd(m, d, m->live[at].obj, rights);
	}
	if (op == 3) { /* close */
		int err = handle_close(m->t, h);
		CHECKF(err == (at < 0 ? -EBADF : 0), "close %d: %d", h, err);
		if (at >= 0)
			mremove(m, (unsigned)at);
		return NULL;
	}
	/* op 4, 5: transfer 1..3 handles to either table */
	struct mtable *to = &model[random_below(rng, 2)];
	unsigned n = 1 + (unsigned)random_below(rng, 3);
	int hs[3], out[3];
	hs[0] = h;
	for (unsigned i = 1; i < n; i++)
		hs[i] = pick_handle(m, rng);
	int want = mtransfer_expect(m, hs, n, to);
	int err = handle_transfer(m->t, hs, n, to->t, out);
	CHECKF(err == want, "transfer of %u: %d, model %d", n, err, want);
	if (err)
		return NULL;
	struct mhandle moving[3];
	for (unsigned i = 0; i < n; i++) {
		int k = mfind(m, hs[i]);
		moving[i] = m->live[k];
		mremove(m, (unsigned)k);
	}
	for (unsigned i = 0; i < n; i++)
		CHECK_OK(madd(to, out[i], moving[i].obj, moving[i].rights));
	return NULL;
}

static const char *test_random_against_model(void)
{
	fresh();
	memset(mrefs, 0, sizeof(mrefs));
	model[0].t = &ta;
	model[1].t = &tb;
	for (unsigned k = 0; k < 2; k++)
		model[k].n = model[k].n_issued = 0;
	uint64_t rng = 0x9e3779b97f4a7c15ull;
	for (unsigned step = 0; step < RANDOM_OPS; step++) {
		const char *why = random_step(&rng);
		if (!why && step % 16 == 0)
			why = mcheck();
		if (why) {
			char copy[200]; /* why may be selftest_reason's own buffer */
			strncpy(copy, why, sizeof(copy) - 1);
			copy[sizeof(copy) - 1] = '\0';
			return selftest_reason("step %u: %s", step, copy);
		}
	}
	CHECK_OK(mcheck());
	CHECKF(n_objs > 1000, "only %u objects made", n_objs);
	handle_table_destroy(&ta);
	handle_table_destroy(&tb);
	CHECKF(destroys == n_objs, "%u destroys for %u objects", destroys, n_objs);
	for (unsigned i = 0; i < n_objs; i++)
		CHECKF(objs[i].destroyed == 1, "object %u destroyed %u times", i, objs[i].destroyed);
	return NULL;
}

static const struct selftest handle_tests[] = {
	{"install_lookup_close", "a handle names its object with its rights until closed; the "
	 "close drops the last reference; bad numbers are -EBADF", test_install_lookup_close},
	{"lookup_type", "a system call's look-up: a handle of another type or a number outside "
	 "1 .. INT32_MAX is -EBADF, a missing right -EPERM first", test_lookup_type},
	{"lookup_held_past_close", "an object looked up survives the close of its handle until "
	 "the lookup's reference is put", test_lookup_held_past_close},
	{"rights", "lookup wants every required right (-EPERM); duplicate gives a subset, refuses "
	 "more or without DUPLICATE", test_rights},
	{"stale_after_reuse", "a closed handle stays -EBADF after its slot is reused; the freed "
	 "slot is reused last", test_stale_after_reuse},
	{"table_full", "a full table refuses install and duplicate with -EMFILE, changing no count",
	 test_table_full},
	{"transfer", "handles move between tables and within one, keeping rights and references",
	 test_transfer},
	{"transfer_failure_changes_nothing", "-EBADF, -EPERM, -EINVAL, -EMFILE, -ESRCH leave both "
	 "tables and every count as they were", test_transfer_failure_changes_nothing},
	{"destroy_releases_once", "destroy drops every slot's reference once; lookups keep "
	 "theirs; a destroyed table takes nothing", test_destroy_releases_once},
	{"clone_and_hooks", "fork's clone copies numbers, rights and a reference each; "
	 "handle_opened/closed count RECEIVE handles; transfer calls neither",
	 test_clone_and_hooks},
	{"list", "the listing copies every handle with its type, rights and count; rights as "
	 "letters", test_list},
	{"threads", "4 threads getting and putting at once keep the count; of 4 putting the "
	 "last 400,000, one destroys", test_threads},
	{"refcount_panics", "a put too many and a get of a destroyed object panic naming the "
	 "function", test_refcount_panics},
	{"random_against_model", "20,000 random operations on two tables agree with a model; "
	 "every object destroyed once", test_random_against_model},
};

SELFTEST_SUITE(handle, handle_tests);
