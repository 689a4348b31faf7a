/*
 * test_share.c - suite "share": memory passed by IPC (mm/share.c) on the
 * host, over the simulated RAM arena: map (same frames on both sides,
 * writable or read-only), grant (the range moves), revoke (L4's flush:
 * derived mappings, recursively, from every space), munmap and exit taking
 * their descendants along, the fork rule, pager pages, the errors, and
 * thousands of random operations checked against every frame's refcount.
 *
 * Three spaces: a (host_user_begin's), b and c (created here). Faults are
 * simulated with fault_handle() as the #PF handler calls it (interrupts
 * off, FAULT_USER).
 * Invariants:
 *   [x] END destroys c, b, then a (host_user_end), and requires every
 *       frame, table and page counter back where BEGIN found them;
 *   [x] every test checks the database's invariants (share_check_space)
 *       of each space after each change it makes.
 * Hosted code: may use libc, but uses only mm/ here.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/selftest.h"
#include "lib/align.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/random.h"
#include "lib/string.h"
#include "lib/uapi.h"
#include "mm/arch.h"
#include "mm/buddy.h"
#include "mm/failinject.h"
#include "mm/fault.h"
#include "mm/page.h"
#include "mm/paging.h"
#include "mm/region.h"
#include "mm/share.h"
#include "mm/user_space.h"
#include "tests/host/uaccess_host.h"

#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#define P(n) ((uint64_t)(n) * PAGE_SIZE)

static struct user_space a, b, c;

/* expr (a share_* call) must give want; the message names the call and both results. */
#define CHECK_IS(expr, want)                                                           \
	do {                                                                           \
		long got_ = (long)(expr), want_ = (long)(want);                        \
		CHECKF(got_ == want_, "line %d: %s = %s, expected %s", __LINE__, #expr,  \
		       result_name(got_), result_name(want_));                         \
	} while (0)

/* A result in words: 0, a count, or an errno's name. */
static const char *result_name(long v)
{
	static char bufs[2][24];
	static int next;
	char *b = bufs[next++ % 2];

	if (v < 0 && v >= -4095)
		return errno_name((int)v);
	ksnprintf(b, sizeof(bufs[0]), "%ld", v);
	return b;
}


#define BEGIN()                                       \
	do {                                          \
		CHECK_OK(host_user_begin(&a));        \
		CHECK(user_space_create(&b) == 0);    \
		CHECK(user_space_create(&c) == 0);    \
	} while (0)
#define END()                                 \
	do {                                  \
		user_space_destroy(&c);       \
		user_space_destroy(&b);       \
		return host_user_end(&a);     \
	} while (0)

/* The simulated user accesses of tests/host/uaccess_host.h, by short names. */
#define touch(us, va, access, out) host_user_touch(us, va, access, out)
#define frame_of host_user_frame
#define poke host_user_poke
#define peek host_user_peek

static uint32_t owners(phys_addr_t pa)
{
	return phys_to_page(pa)->refcount;
}

static enum region_kind kind_at(struct user_space *us, virt_addr_t va)
{
	struct region r;

	return region_find_copy(&us->regions, va, &r) ? r.kind : REGION_KINDS;
}

/* The database's invariants in every space, and each region set's. */
static const char *check_all(void)
{
	struct user_space *spaces[] = {&a, &b, &c};

	for (int i = 0; i < 3; i++) {
		const char *why = share_check_space(spaces[i]);
		CHECKF(!why, "space %c: %s", 'a' + i, why);
		why = region_check_invariants(&spaces[i]->regions);
		CHECKF(!why, "space %c: %s", 'a' + i, why);
	}
	return NULL;
}

/* n pages of fresh anonymous memory in us, each page i holding 'A' + i. */
static long buffer(struct user_space *us, unsigned n, int prot)
{
	long va = user_mmap(us, 0, P(n), RW, ANON, NULL, 0);

	if (va < 0)
		return va;
	for (unsigned i = 0; i < n; i++)
		if (poke(us, va + P(i), (uint8_t)('A' + i)))
			return -1;
	if (prot != RW && user_mprotect(us, va, P(n), prot) != 0)
		return -1;
	return va;
}

static const char *test_map_writes_visible(void)
{
	BEGIN();
	long va = buffer(&a, 2, RW);
	CHECK(va > 0);
	virt_addr_t to = 0;
	CHECK_IS(share_map(&a, va, P(2), SHARE_WRITE, &b, &to), 0);
	CHECK(to != 0 && IS_ALIGNED(to, PAGE_SIZE));
	unsigned flags = 0;
	for (unsigned i = 0; i < 2; i++) {
		phys_addr_t fa = frame_of(&a, va + P(i), NULL);
		CHECKF(fa && frame_of(&b, to + P(i), &flags) == fa,
		       "page %u: b maps 0x%lx, a 0x%lx: not the same frame", i,
		       frame_of(&b, to + P(i), NULL), fa);
		CHECK(owners(fa) == 2 && (flags & MAP_WRITE) && (flags & MAP_USER));
	}
	CHECK(kind_at(&a, va) == REGION_SHARED && kind_at(&b, to) == REGION_SHARED);
	CHECK(peek(&b, to + P(1)) == 'B');
	CHECK_OK(poke(&b, to + 5, 'b'));
	CHECK(peek(&a, va + 5) == 'b');
	CHECK_OK(poke(&a, va + P(1) + 7, 'a'));
	CHECK(peek(&b, to + P(1) + 7) == 'a');
	CHECK(share_node_count(&a) == 1 && share_node_count(&b) == 1);
	CHECK_OK(check_all());
	/* The sender's own writes never copy: its page stays the shared frame. */
	CHECK(frame_of(&a, va, &flags) == frame_of(&b, to, NULL) && (flags & MAP_WRITE));
	END();
}

static const char *test_map_read_only(void)
{
	BEGIN();
	long va = buffer(&a, 1, RW);
	virt_addr_t to = 0;
	struct fault f;
	unsigned flags = 0;
	CHECK_IS(share_map(&a, va, P(1), 0, &b, &to), 0);
	CHECK(frame_of(&b, to, &flags) == frame_of(&a, va, NULL) && !(flags & MAP_WRITE));
	CHECK(peek(&b, to) == 'A');
	CHECK(touch(&b, to, FAULT_WRITE, &f) == -EFAULT);
	CHECK(f.violation == VIOLATION_WRITE_READ_ONLY);
	CHECK(user_mprotect(&b, to, P(1), RW) == -EACCES);
	CHECK(user_mprotect(&b, to, P(1), PROT_READ | PROT_EXEC) == -EACCES); /* not the sender's */
	CHECK(user_mprotect(&b, to, P(1), PROT_READ) == 0);
	/* The sender still writes; the receiver sees it. */
	CHECK_OK(poke(&a, va, 'z'));
	CHECK(peek(&b, to) == 'z');
	/* A read-only sender cannot pass a writable mapping. */
	long ro = buffer(&a, 1, PROT_READ);
	CHECK(ro > 0);
	virt_addr_t to2 = 0;
	CHECK_IS(share_map(&a, ro, P(1), SHARE_WRITE, &c, &to2), -EACCES);
	CHECK_IS(share_map(&a, ro, P(1), 0, &c, &to2), 0);
	CHECK(peek(&c, to2) == 'A');
	/* Nor may the receiver of a read-only mapping pass it on writable. */
	CHECK_IS(share_map(&b, to, P(1), SHARE_WRITE, &c, &to2), -EACCES);
	CHECK_OK(check_all());
	END();
}

static const char *test_grant_moves(void)
{
	BEGIN();
	long va = buffer(&a, 3, RW);
	phys_addr_t frame = frame_of(&a, va + P(1), NULL);
	uint64_t anon = fault_user_anon_pages();
	virt_addr_t to = 0;
	struct fault f;
	CHECK_IS(share_grant(&a, va, P(3), SHARE_WRITE, &b, &to), 0);
	CHECK(region_find(&a.regions, va) == NULL && frame_of(&a, va + P(1), NULL) == 0);
	CHECK(frame_of(&b, to + P(1), NULL) == frame && owners(frame) == 1);
	CHECK(kind_at(&b, to) == REGION_GRANTED && peek(&b, to + P(2)) == 'C');
	CHECK(fault_user_anon_pages() == anon);
	CHECK(touch(&a, va, 0, &f) == -EFAULT && f.violation == VIOLATION_NOT_MAPPED);
	/* GRANTED is anonymous memory: writable, demand-zero after DONTNEED. */
	CHECK_OK(poke(&b, to, 'q'));
	CHECK(user_madvise(&b, to, P(1), 4 /* MADV_DONTNEED */) == 0 && peek(&b, to) == 0);
	/* Shared memory cannot be granted. */
	long sh = buffer(&a, 1, RW);
	virt_addr_t to2 = 0;
	CHECK_IS(share_map(&a, sh, P(1), 0, &c, &to2), 0);
	CHECK_IS(share_grant(&a, sh, P(1), 0, &b, &to2), -EBUSY);
	CHECK_IS(share_grant(&c, to2, P(1), 0, &b, &to2), -EBUSY);
	/* Granted memory can be granted on, read-only. */
	virt_addr_t to3 = 0;
	CHECK_IS(share_grant(&b, to, P(3), 0, &c, &to3), 0);
	CHECK(touch(&c, to3, FAULT_WRITE, &f) == -EFAULT && peek(&c, to3 + P(1)) == 'B');
	CHECK_OK(check_all());
	END();
}

/* a -> b (4 pages, writable) -> c (b's page 1, read-only). */
static const char *build_chain(long *va, virt_addr_t *to_b, virt_addr_t *to_c)
{
	*va = buffer(&a, 4, RW);
	CHECK(*va > 0);
	CHECK_IS(share_map(&a, *va, P(4), SHARE_WRITE, &b, to_b), 0);
	CHECK_IS(share_map(&b, *to_b + P(1), P(1), 0, &c, to_c), 0);
	CHECK(peek(&c, *to_c) == 'B');
	CHECK(owners(frame_of(&a, *va + P(1), NULL)) == 3);
	return check_all();
}

static const char *test_revoke_reaches_grandchild(void)
{
	BEGIN();
	long va;
	virt_addr_t to_b, to_c;
	struct fault f;
	char text[160];
	CHECK_OK(build_chain(&va, &to_b, &to_c));
	uint64_t free_pages = buddy_free_pages();
	CHECK_IS(share_revoke(&a, va + P(3), P(1)), 2);
	CHECK(frame_of(&b, to_b, NULL) == 0 && frame_of(&c, to_c, NULL) == 0);
	CHECK(touch(&c, to_c, 0, &f) == -EFAULT && f.violation == VIOLATION_SHARED_GONE);
	fault_describe(&f, text, sizeof(text));
	CHECKF(strstr(text, "revoked or unmapped shared page") != NULL, "described as \"%s\"",
	       text);
	/* The root keeps its pages and bytes; every frame has one owner again. */
	for (unsigned i = 0; i < 4; i++) {
		CHECK(peek(&a, va + P(i)) == 'A' + (int)i);
		CHECK(owners(frame_of(&a, va + P(i), NULL)) == 1);
	}
	CHECK(buddy_free_pages() >= free_pages); /* tables of b and c may have gone too */
	CHECK(share_node_count(&a) == 0 && share_node_count(&b) == 0 &&
	      share_node_count(&c) == 0);
	CHECK_IS(share_revoke(&a, va, P(4)), 0); /* nothing left: not an error */
	/* The receivers' regions stay, empty, until they unmap them. */
	CHECK(kind_at(&b, to_b) == REGION_SHARED);
	CHECK(user_munmap(&b, to_b, P(4)) == 0 && region_find(&b.regions, to_b) == NULL);
	CHECK_OK(check_all());
	END();
}

static const char *test_revoke_middle(void)
{
	BEGIN();
	long va;
	virt_addr_t to_b, to_c;
	CHECK_OK(build_chain(&va, &to_b, &to_c));
	CHECK_IS(share_revoke(&b, to_b, P(1)), 0);  /* c maps b's page 1, not 0 */
	CHECK_IS(share_revoke(&b, to_b, P(4)), 1);  /* c only */
	CHECK(frame_of(&c, to_c, NULL) == 0 && peek(&b, to_b + P(1)) == 'B');
	CHECK(owners(frame_of(&a, va + P(1), NULL)) == 2);
	CHECK_IS(share_revoke(&a, va + 100, 1), -EINVAL);
	CHECK_IS(share_revoke(&a, va, 0), -EINVAL);
	CHECK_IS(share_revoke(&a, USER_TOP - P(1), P(2)), -EINVAL);
	CHECK_OK(check_all());
	END();
}

static const char *test_exit_takes_descendants(void)
{
	BEGIN();
	long va;
	virt_addr_t to_b, to_c;
	CHECK_OK(build_chain(&va, &to_b, &to_c));
	user_space_destroy(&b); /* the middle space exits */
	CHECK(frame_of(&c, to_c, NULL) == 0 && share_node_count(&c) == 0);
	CHECK(share_node_count(&a) == 0);
	for (unsigned i = 0; i < 4; i++)
		CHECK(owners(frame_of(&a, va + P(i), NULL)) == 1);
	CHECK(user_space_create(&b) == 0);
	/* The root's owner exits: b's mapping goes, the frames with the last owner. */
	struct user_space d;
	CHECK(user_space_create(&d) == 0);
	long dva = buffer(&d, 2, RW);
	virt_addr_t to = 0;
	CHECK(dva > 0 && share_map(&d, dva, P(2), SHARE_WRITE, &b, &to) == 0);
	phys_addr_t frame = frame_of(&b, to, NULL);
	CHECK(owners(frame) == 2);
	user_space_destroy(&d);
	CHECK(frame_of(&b, to, NULL) == 0 && share_node_count(&b) == 0);
	CHECK_OK(check_all());
	END();
}

static const char *test_munmap_takes_descendants(void)
{
	BEGIN();
	long va;
	virt_addr_t to_b, to_c;
	CHECK_OK(build_chain(&va, &to_b, &to_c));
	/* b unmaps its page 0: its mapping shrinks to pages 1-3, c stays. */
	CHECK(user_munmap(&b, to_b, P(1)) == 0);
	CHECK_OK(check_all());
	CHECK(owners(frame_of(&a, va, NULL)) == 1 && peek(&c, to_c) == 'B');
	CHECK_IS(share_revoke(&a, va, P(1)), 0);
	/* b punches out its page 2: two mappings; c under the lower one. */
	CHECK(user_munmap(&b, to_b + P(2), P(1)) == 0);
	CHECK(share_node_count(&b) == 2);
	CHECK_OK(check_all());
	CHECK_IS(share_revoke(&a, va + P(3), P(1)), 1); /* the upper piece only */
	CHECK(peek(&c, to_c) == 'B');
	/* a unmaps its page 1: b's lower piece and c go with it. */
	CHECK(user_munmap(&a, va + P(1), P(1)) == 0);
	CHECK(frame_of(&b, to_b + P(1), NULL) == 0 && frame_of(&c, to_c, NULL) == 0);
	CHECK(share_node_count(&a) == 0 && share_node_count(&b) == 0 &&
	      share_node_count(&c) == 0);
	CHECK_OK(check_all());
	END();
}

static const char *test_roots_merge(void)
{
	BEGIN();
	long va = buffer(&a, 4, RW);
	virt_addr_t to_b = 0, to_c = 0, to_b2 = 0;
	CHECK_IS(share_map(&a, va, P(2), 0, &b, &to_b), 0);
	CHECK_IS(share_map(&a, va + P(1), P(3), 0, &c, &to_c), 0); /* overlaps: one root */
	CHECK(share_node_count(&a) == 1 && peek(&c, to_c + P(2)) == 'D');
	CHECK_OK(check_all());
	CHECK_IS(share_map(&a, va + P(3), P(1), 0, &b, &to_b2), 0); /* inside the root */
	CHECK(share_node_count(&a) == 1 && share_node_count(&b) == 2);
	CHECK_IS(share_revoke(&a, va + P(3), P(1)), 2); /* c's and b's second */
	CHECK(peek(&b, to_b + P(1)) == 'B');
	/* A range straddling a received mapping and other memory is refused. */
	long own = user_mmap(&b, to_b + P(2), P(1), RW, ANON | MAP_FIXED, NULL, 0);
	CHECK(own == (long)(to_b + P(2)));
	virt_addr_t to = 0;
	CHECK_IS(share_map(&b, to_b + P(1), P(2), 0, &c, &to), -EFAULT);
	CHECK_OK(check_all());
	END();
}

/* A program's .data (a writable private file region) may be passed: its pages become copies. */
static const char *test_map_file_data(void)
{
	BEGIN();
	struct user_file f = {.phys = HOST_INITRD_PHYS, .size = P(3), .name = "prog"};
	virt_addr_t data = 0x400000, to = 0;
	CHECK(user_map_file(&a, data, P(2), RW, &f, P(1), "prog") == 0);
	CHECK(user_map_file(&a, data + P(2), P(1), PROT_READ, &f, 0, "text") == 0);
	CHECK(peek(&a, data) == host_initrd_byte(P(1))); /* the file's own frame, read-only */
	CHECK_IS(share_map(&a, data, P(2), SHARE_WRITE, &b, &to), 0);
	CHECK(frame_of(&a, data, NULL) != HOST_INITRD_PHYS + P(1));
	CHECK(frame_of(&b, to, NULL) == frame_of(&a, data, NULL));
	CHECK(peek(&b, to + 3) == host_initrd_byte(P(1) + 3));
	CHECK(peek(&b, to + P(1) + 3) == host_initrd_byte(P(2) + 3));
	CHECK_OK(poke(&b, to + 3, 0xee));
	CHECK(peek(&a, data + 3) == 0xee && kind_at(&a, data) == REGION_SHARED);
	/* Read-only file pages (text) are the initrd's own: refused. */
	virt_addr_t to2 = 0;
	CHECK_IS(share_map(&a, data + P(2), P(1), 0, &c, &to2), -EFAULT);
	CHECK_OK(check_all());
	END();
}

static const char *test_errors(void)
{
	BEGIN();
	long va = buffer(&a, 2, RW);
	virt_addr_t to = 0;
	CHECK_IS(share_map(&a, va + 1, P(1), 0, &b, &to), -EINVAL);
	CHECK_IS(share_map(&a, va, 0, 0, &b, &to), -EINVAL);
	CHECK_IS(share_map(&a, va, P(1), 0, &a, &to), -EINVAL);
	CHECK_IS(share_map(&a, va, P(1), 1u << 7, &b, &to), -EINVAL);
	CHECK_IS(share_map(&a, va, P(1), SHARE_PAGER, &b, &to), -EINVAL);
	CHECK_IS(share_map(&a, va + P(2), P(1), 0, &b, &to), -EFAULT);  /* nothing there */
	CHECK_IS(share_map(&a, 0, P(1), 0, &b, &to), -EFAULT);            /* below USER_START */
	CHECK_IS(share_map(&a, USER_TOP, P(1), 0, &b, &to), -EFAULT);     /* the kernel's */
	CHECK_IS(share_map(&a, va, ~0ull & ~(P(1) - 1), 0, &b, &to), -EFAULT); /* wraps */
	CHECK_IS(share_grant(&a, USER_TOP - P(1), P(2), 0, &b, &to), -EFAULT);
	CHECK_IS(share_map(&a, va, SHARE_MAX_BYTES + P(1), 0, &b, &to), -EINVAL); /* too long */
	CHECK_IS(share_map(&a, va, P(3), 0, &b, &to), -EFAULT);         /* runs past it */
	long none = user_mmap(&a, 0, P(1), PROT_NONE, ANON, NULL, 0);
	CHECK_IS(share_map(&a, none, P(1), 0, &b, &to), -EFAULT);
	CHECK_IS(share_grant(&a, none, P(1), 0, &b, &to), -EFAULT);
	CHECK(user_map_stack(&a, USER_STACK_TOP, USER_STACK_SIZE, USER_STACK_MAX) == 0);
	CHECK_IS(share_map(&a, USER_STACK_TOP - P(1), P(1), 0, &b, &to), -EFAULT);
	/* SHARE_FIXED over a region: -EEXIST; outside the user half: -EINVAL. */
	long used = user_mmap(&b, 0, P(1), RW, ANON, NULL, 0);
	to = used;
	CHECK_IS(share_map(&a, va, P(1), SHARE_FIXED, &b, &to), -EEXIST);
	CHECK_IS(share_grant(&a, va, P(1), SHARE_FIXED, &b, &to), -EEXIST);
	to = USER_TOP;
	CHECK_IS(share_map(&a, va, P(1), SHARE_FIXED, &b, &to), -EINVAL);
	to = used - P(4);
	CHECK_IS(share_map(&a, va, P(1), SHARE_FIXED | SHARE_WRITE, &b, &to), 0);
	CHECK(to == used - P(4) && peek(&b, to) == 'A');
	/* Failed calls changed nothing in the database. */
	CHECK(share_node_count(&a) == 1 && share_node_count(&b) == 1);
	CHECK(user_madvise(&b, to, P(1), 4 /* MADV_DONTNEED */) == -EINVAL);
	CHECK_OK(check_all());
	END();
}

static const char *test_fork_rule(void)
{
	BEGIN();
	long va = buffer(&a, 2, RW);
	long priv = buffer(&a, 1, RW);
	virt_addr_t to = 0;
	unsigned flags = 0;
	CHECK_IS(share_map(&a, va, P(2), SHARE_WRITE, &b, &to), 0);
	struct user_space child;
	CHECK(user_space_fork(&child, &a) == 0);
	/* The child has no shared region and no shared page; private memory is COW. */
	CHECK(region_find(&child.regions, va) == NULL && frame_of(&child, va, NULL) == 0);
	CHECK(peek(&child, priv) == 'A');
	/* The parent's shared pages stay writable and shared with b. */
	CHECK(frame_of(&a, va, &flags) == frame_of(&b, to, NULL) && (flags & MAP_WRITE));
	CHECK(owners(frame_of(&a, va, NULL)) == 2);
	CHECK_OK(poke(&a, va, 'f'));
	CHECK(peek(&b, to) == 'f');
	user_space_destroy(&child);
	/* The receiver's fork leaves its mapping out too. */
	CHECK(user_space_fork(&child, &b) == 0);
	CHECK(region_find(&child.regions, to) == NULL && share_node_count(&child) == 0);
	user_space_destroy(&child);
	/* A frame fork shares copy-on-write is made the sender's own before it is mapped. */
	CHECK(user_space_fork(&child, &a) == 0);
	phys_addr_t cow = frame_of(&a, priv, NULL);
	CHECK(owners(cow) == 2);
	virt_addr_t to2 = 0;
	CHECK_IS(share_map(&a, priv, P(1), 0, &c, &to2), 0);
	CHECK(frame_of(&a, priv, NULL) != cow && frame_of(&c, to2, NULL) == frame_of(&a, priv, NULL));
	CHECK_OK(poke(&a, priv, 'p'));
	CHECK(peek(&c, to2) == 'p' && peek(&child, priv) == 'A');
	user_space_destroy(&child);
	CHECK_OK(check_all());
	END();
}

static const char *test_mprotect_shared(void)
{
	BEGIN();
	long va = buffer(&a, 1, RW);
	virt_addr_t to = 0;
	unsigned flags = 0;
	CHECK_IS(share_map(&a, va, P(1), SHARE_WRITE, &b, &to), 0);
	CHECK(user_mprotect(&a, va, P(1), PROT_READ) == 0);
	CHECK(frame_of(&a, va, &flags) && !(flags & MAP_WRITE));
	/* Made writable again: the shared frame (two owners) is writable at once. */
	CHECK(user_mprotect(&a, va, P(1), RW) == 0);
	CHECK(frame_of(&a, va, &flags) && (flags & MAP_WRITE));
	CHECK(user_mprotect(&b, to, P(1), PROT_READ) == 0 && user_mprotect(&b, to, P(1), RW) == 0);
	CHECK_OK(check_all());
	END();
}

static const char *test_pager_pages(void)
{
	BEGIN();
	long va = buffer(&a, 2, RW);
	struct region pr = {.start = 0x10000000, .end = 0x10000000 + P(4),
			    .prot = MAP_USER | MAP_WRITE, .kind = REGION_PAGER};
	struct fault f;
	CHECK(region_insert(&c.regions, &pr) == 0);
	CHECK(touch(&c, pr.start + P(1), 0, &f) == -EAGAIN && f.outcome == FAULT_PAGER);
	CHECK(f.violation == VIOLATION_NONE);
	virt_addr_t to = pr.start + P(1);
	CHECK_IS(share_map(&a, va + P(1), P(1), SHARE_FIXED | SHARE_PAGER, &c, &to), 0);
	CHECK(to == pr.start + P(1) && peek(&c, to) == 'B');
	CHECK(touch(&c, to, FAULT_WRITE, &f) == -EFAULT); /* read-only page: a violation */
	CHECK_IS(share_map(&a, va, P(1), SHARE_FIXED | SHARE_PAGER, &c, &to), -EEXIST);
	virt_addr_t outside = pr.end;
	CHECK_IS(share_map(&a, va, P(1), SHARE_FIXED | SHARE_PAGER, &c, &outside), -EINVAL);
	CHECK_IS(share_grant(&a, va, P(1), SHARE_FIXED | SHARE_PAGER, &c, &to), -EINVAL);
	CHECK_OK(check_all());
	/* The pager's revoke reaches it: the next touch asks the pager again. */
	CHECK_IS(share_revoke(&a, va, P(2)), 1);
	CHECK(frame_of(&c, to, NULL) == 0 && touch(&c, to, 0, &f) == -EAGAIN);
	to = pr.start;
	CHECK_IS(share_map(&a, va, P(1), SHARE_FIXED | SHARE_PAGER | SHARE_WRITE, &c, &to), 0);
	CHECK_OK(poke(&c, to + 9, 'w'));
	CHECK(peek(&a, va + 9) == 'w');
	/* The client unmaps the region: the mapping leaves the database. */
	CHECK(user_munmap(&c, pr.start, P(4)) == 0 && share_node_count(&c) == 0);
	CHECK(share_node_count(&a) == 0 && owners(frame_of(&a, va, NULL)) == 1);
	CHECK_OK(check_all());
	END();
}

static const char *test_exec_move(void)
{
	BEGIN();
	long va = buffer(&a, 1, RW);
	virt_addr_t to = 0;
	struct user_space moved;
	CHECK_IS(share_map(&a, va, P(1), 0, &b, &to), 0);
	user_space_move(&moved, &b); /* execve's swap: the database follows the space */
	CHECK(share_node_count(&moved) == 1 && share_check_space(&moved) == NULL);
	CHECK(share_revoke(&a, va, P(1)) == 1 && frame_of(&moved, to, NULL) == 0);
	user_space_destroy(&moved);
	CHECK(user_space_create(&b) == 0);
	CHECK_OK(check_all());
	END();
}

/* ---- lab 8 (docs/labs/lab8-ipc-memory.md): one test per part's contract ---- */

/* Which memory may be passed, by map and by grant, and the rights the receiver gets. */
static const char *test_source_kinds(void)
{
	BEGIN();
	virt_addr_t to = 0;
	unsigned flags = 0;
	long rx = user_mmap(&a, 0, P(1), PROT_READ | PROT_EXEC, ANON, NULL, 0);
	CHECK(rx > 0 && peek(&a, rx) == 0);
	/* An executable sender: the receiver may execute, never write. */
	CHECK_IS(share_map(&a, rx, P(1), SHARE_WRITE, &b, &to), -EACCES);
	CHECK_IS(share_map(&a, rx, P(1), 0, &b, &to), 0);
	CHECK(frame_of(&b, to, &flags) && (flags & MAP_EXEC) && !(flags & MAP_WRITE) &&
	      (flags & MAP_USER));
	CHECK(user_mprotect(&b, to, P(1), PROT_READ | PROT_EXEC) == 0);
	/* A writable sender: read-only unless SHARE_WRITE, never executable. */
	long rw = buffer(&a, 2, RW);
	CHECK_IS(share_map(&a, rw, P(1), 0, &b, &to), 0);
	CHECK(frame_of(&b, to, &flags) && !(flags & (MAP_WRITE | MAP_EXEC)));
	CHECK_IS(share_map(&a, rw + P(1), P(1), SHARE_WRITE, &c, &to), 0);
	CHECK(frame_of(&c, to, &flags) && (flags & MAP_WRITE) && !(flags & MAP_EXEC));
	/* Two regions in one item: the rights both hold (read-only, then writable). */
	long two = buffer(&a, 2, RW);
	CHECK(two > 0 && user_mprotect(&a, two, P(1), PROT_READ) == 0);
	CHECK_IS(share_map(&a, two, P(2), SHARE_WRITE, &b, &to), -EACCES);
	CHECK_IS(share_grant(&a, two, P(2), SHARE_WRITE, &b, &to), -EACCES);
	CHECK_IS(share_grant(&a, two, P(2), 0, &b, &to), 0);
	CHECK(frame_of(&b, to + P(1), &flags) && !(flags & MAP_WRITE) && peek(&b, to + P(1)) == 'B');
	/* A hole after a read-only page: -EFAULT comes before -EACCES. */
	long ro = buffer(&a, 2, PROT_READ);
	CHECK(ro > 0 && user_munmap(&a, ro + P(1), P(1)) == 0);
	CHECK_IS(share_map(&a, ro, P(2), SHARE_WRITE, &b, &to), -EFAULT);
	/* Shared memory: mapped on, never granted (-EBUSY before anything else). */
	long sh = buffer(&a, 1, RW);
	CHECK_IS(share_map(&a, sh, P(1), SHARE_WRITE, &b, &to), 0);
	virt_addr_t on = 0;
	CHECK_IS(share_grant(&b, to, P(1), SHARE_WRITE, &c, &on), -EBUSY);
	CHECK(share_map(&b, to, P(1), SHARE_WRITE, &c, &on) == 0 && peek(&c, on) == 'A');
	/* Neither the stack, PROT_NONE, a pager region, nor nothing. */
	CHECK(user_map_stack(&a, USER_STACK_TOP, USER_STACK_SIZE, USER_STACK_MAX) == 0);
	CHECK_IS(share_grant(&a, USER_STACK_TOP - P(1), P(1), 0, &b, &to), -EFAULT);
	struct region pr = {.start = 0x10000000, .end = 0x10000000 + P(1),
			    .prot = MAP_USER | MAP_WRITE, .kind = REGION_PAGER};
	CHECK(region_insert(&a.regions, &pr) == 0);
	CHECK_IS(share_map(&a, pr.start, P(1), 0, &b, &to), -EFAULT);
	CHECK_IS(share_grant(&a, pr.start, P(1), 0, &b, &to), -EBUSY);
	CHECK(region_remove(&a.regions, pr.start, pr.end) == 0);
	CHECK_OK(check_all());
	END();
}

/*
 * One page mapped to two spaces: the same frame three times, three owners,
 * AnonPages counts each mapping; each unmap gives one back. Pages the
 * sender never touched are faulted in (zeroed, its own) before they pass.
 */
static const char *test_map_refcounts(void)
{
	BEGIN();
	long va = buffer(&a, 1, RW);
	uint64_t anon = fault_user_anon_pages();
	virt_addr_t to_b = 0, to_c = 0;
	CHECK_IS(share_map(&a, va, P(1), SHARE_WRITE, &b, &to_b), 0);
	CHECK_IS(share_map(&a, va, P(1), 0, &c, &to_c), 0);
	phys_addr_t frame = frame_of(&a, va, NULL);
	CHECK(frame_of(&b, to_b, NULL) == frame && frame_of(&c, to_c, NULL) == frame);
	CHECKF(owners(frame) == 3, "frame mapped in 3 spaces has refcount %u", owners(frame));
	CHECKF(fault_user_anon_pages() == anon + 2, "AnonPages %lu, expected %lu",
	       fault_user_anon_pages(), anon + 2);
	CHECK_OK(poke(&b, to_b + 10, 'x'));
	CHECK(peek(&a, va + 10) == 'x' && peek(&c, to_c + 10) == 'x');
	CHECK(user_munmap(&b, to_b, P(1)) == 0 && owners(frame) == 2);
	CHECK(fault_user_anon_pages() == anon + 1 && peek(&c, to_c) == 'A');
	CHECK(user_munmap(&c, to_c, P(1)) == 0 && owners(frame) == 1);
	CHECK(fault_user_anon_pages() == anon && share_node_count(&a) == 0);
	/* Three pages never touched: each gets a zeroed frame of the sender's own first. */
	long lazy = user_mmap(&a, 0, P(3), RW, ANON, NULL, 0);
	CHECK(lazy > 0 && frame_of(&a, lazy, NULL) == 0);
	CHECK_IS(share_map(&a, lazy, P(3), SHARE_WRITE, &b, &to_b), 0);
	for (unsigned i = 0; i < 3; i++) {
		phys_addr_t f = frame_of(&a, lazy + P(i), NULL);
		CHECKF(f && frame_of(&b, to_b + P(i), NULL) == f && owners(f) == 2,
		       "untouched page %u: sender 0x%lx, receiver 0x%lx", i, f,
		       frame_of(&b, to_b + P(i), NULL));
		CHECK(peek(&b, to_b + P(i) + 99) == 0);
	}
	CHECK_OK(poke(&a, lazy + P(2), 'z'));
	CHECK(peek(&b, to_b + P(2)) == 'z');
	CHECK_OK(check_all());
	END();
}

/* Grant of a range's middle: the sender's region splits around the hole, its other pages stay. */
static const char *test_grant_middle(void)
{
	BEGIN();
	long va = buffer(&a, 3, RW);
	phys_addr_t middle = frame_of(&a, va + P(1), NULL);
	uint64_t anon = fault_user_anon_pages();
	virt_addr_t to = 0;
	struct fault f;
	CHECK_IS(share_grant(&a, va + P(1), P(1), SHARE_WRITE, &b, &to), 0);
	CHECK(frame_of(&b, to, NULL) == middle && owners(middle) == 1 && peek(&b, to) == 'B');
	CHECK(frame_of(&a, va + P(1), NULL) == 0 && region_find(&a.regions, va + P(1)) == NULL);
	CHECK(touch(&a, va + P(1), FAULT_WRITE, &f) == -EFAULT && f.violation == VIOLATION_NOT_MAPPED);
	CHECK(peek(&a, va) == 'A' && peek(&a, va + P(2)) == 'C');
	CHECK(kind_at(&a, va) == REGION_ANON && kind_at(&a, va + P(2)) == REGION_ANON);
	CHECKF(fault_user_anon_pages() == anon, "AnonPages %lu, expected %lu (a grant moves pages)",
	       fault_user_anon_pages(), anon);
	/* Untouched pages pass too (zeroed), and the receiver's may go back to the sender. */
	long lazy = user_mmap(&a, 0, P(2), RW, ANON, NULL, 0);
	virt_addr_t back = 0;
	CHECK(share_grant(&a, lazy, P(2), SHARE_WRITE, &b, &to) == 0 && peek(&b, to + P(1)) == 0);
	CHECK_OK(poke(&b, to + P(1), 'g'));
	CHECK_IS(share_grant(&b, to, P(2), SHARE_WRITE, &a, &back), 0);
	CHECK(peek(&a, back + P(1)) == 'g' && region_find(&b.regions, to) == NULL);
	CHECK(kind_at(&a, back) == REGION_GRANTED);
	CHECK_OK(check_all());
	END();
}

/* Every allocation of a grant failing in turn: -ENOMEM, the sender keeps everything. */
static const char *test_grant_without_memory(void)
{
	BEGIN();
	static const enum failinject_kind kinds[] = {FAILINJECT_SLAB, FAILINJECT_PMM};
	unsigned failures = 0;
	for (unsigned k = 0; k < 2; k++) {
		for (uint64_t n = 1; n < 64; n++) {
			long va = buffer(&a, 4, RW);
			CHECK(va > 0);
			uint64_t anon = fault_user_anon_pages();
			virt_addr_t to = 0;
			CHECK(failinject_arm(kinds[k], n) == 0);
			int err = share_grant(&a, va + P(1), P(2), SHARE_WRITE, &b, &to);
			bool fired = failinject_pending(kinds[k]) == 0;
			failinject_off();
			CHECKF(fired ? err == -ENOMEM : err == 0,
			       "%s allocation %lu failing: grant gave %d", failinject_kind_name(kinds[k]),
			       n, err);
			CHECK(fault_user_anon_pages() == anon);
			CHECK_OK(check_all());
			if (err == 0) {
				CHECK(peek(&b, to + P(1)) == 'C' && frame_of(&a, va + P(1), NULL) == 0);
				CHECK(user_munmap(&b, to, P(2)) == 0);
			} else {
				failures++;
				CHECKF(peek(&a, va + P(1)) == 'B' && peek(&a, va + P(2)) == 'C',
				       "%s allocation %lu failing: the sender lost its bytes",
				       failinject_kind_name(kinds[k]), n);
				CHECK(kind_at(&a, va + P(1)) == REGION_ANON && b.regions.count == 0);
			}
			CHECK(user_munmap(&a, va, P(4)) == 0);
			if (!fired)
				break;
		}
	}
	CHECK(failures >= 2);
	END();
}

/*
 * Revoke's granularity: a mapping with any page from the range goes whole,
 * mappings of other pages stay; a length rounds up to pages; a receiver's
 * revoke of its mapping reaches only what it passed on.
 */
static const char *test_revoke_granularity(void)
{
	BEGIN();
	long va = buffer(&a, 4, RW);
	virt_addr_t to_b = 0, to_c = 0, to_c2 = 0;
	CHECK_IS(share_map(&a, va, P(4), SHARE_WRITE, &b, &to_b), 0);   /* pages 0-3 */
	CHECK_IS(share_map(&a, va, P(1), 0, &c, &to_c), 0);             /* page 0 */
	CHECK_IS(share_map(&a, va + P(3), P(1), 0, &c, &to_c2), 0);     /* page 3 */
	CHECK_IS(share_revoke(&a, va + P(1), 1), 1);                    /* b's only, all 4 pages */
	for (unsigned i = 0; i < 4; i++)
		CHECK(frame_of(&b, to_b + P(i), NULL) == 0);
	CHECK(peek(&c, to_c) == 'A' && peek(&c, to_c2) == 'D');
	CHECK(owners(frame_of(&a, va, NULL)) == 2 && owners(frame_of(&a, va + P(1), NULL)) == 1);
	CHECK_IS(share_revoke(&a, va + P(1), P(2)), 0);                 /* nobody holds 1-2 now */
	CHECK(share_node_count(&a) == 1 && share_node_count(&b) == 0);
	/* c passes its page 0 on to b: c's revoke takes that, a's mapping to c stays. */
	virt_addr_t to_b2 = 0;
	CHECK(share_map(&c, to_c, P(1), 0, &b, &to_b2) == 0 && peek(&b, to_b2) == 'A');
	CHECK_IS(share_revoke(&c, to_c, P(1)), 1);
	CHECK(frame_of(&b, to_b2, NULL) == 0 && peek(&c, to_c) == 'A');
	CHECK_IS(share_revoke(&a, va, P(4)), 2);                        /* c's two */
	CHECK(share_node_count(&a) == 0 && share_node_count(&c) == 0);
	for (unsigned i = 0; i < 4; i++)
		CHECK(owners(frame_of(&a, va + P(i), NULL)) == 1);
	CHECK_OK(check_all());
	END();
}

/*
 * Every allocation of a map (frames, tables: pmm; nodes, region arrays:
 * slab) failing in turn: -ENOMEM and nothing changed, or success; then a
 * munmap that splits a mapping, its allocation failing. Nothing leaks.
 */
static const char *test_without_memory(void)
{
	BEGIN();
	long va = buffer(&a, 3, RW);
	static const enum failinject_kind kinds[] = {FAILINJECT_SLAB, FAILINJECT_PMM};
	unsigned failures = 0;
	for (unsigned k = 0; k < 2; k++) {
		for (uint64_t n = 1; n < 64; n++) {
			virt_addr_t to = 0;
			CHECK(failinject_arm(kinds[k], n) == 0);
			int err = share_map(&a, va, P(3), SHARE_WRITE, &b, &to);
			bool fired = failinject_pending(kinds[k]) == 0;
			failinject_off();
			CHECKF(fired ? err == -ENOMEM : err == 0, "%s allocation %lu failing: map gave %d",
			       failinject_kind_name(kinds[k]), n, err);
			CHECK_OK(check_all());
			if (err == 0) {
				CHECK(failinject_arm(kinds[k], 1) == 0);
				err = user_munmap(&b, to + P(1), P(1));
				failinject_off();
				CHECK(err == 0 || err == -ENOMEM);
				CHECK_OK(check_all());
				CHECK(user_munmap(&b, to, P(3)) == 0);
			} else {
				failures++;
			}
			CHECK(share_node_count(&b) == 0 && share_node_count(&a) == 0);
			if (!fired)
				break;
		}
	}
	CHECK(failures >= 2);
	END();
}

/* ---- random operations, against the refcounts ---- */

#define RANDOM_SPACES 4
#define RANDOM_FRAMES 4096 /* the arena's first 16 MiB of frames, counted by index */

struct frame_census {
	uint16_t mappings[RANDOM_FRAMES];
};

static bool census_count(virt_addr_t start, virt_addr_t end, phys_addr_t pa, uint64_t page_size,
			 unsigned flags, void *arg)
{
	struct frame_census *census = arg;

	(void)page_size;
	(void)flags;
	for (virt_addr_t va = start; va < end; va += PAGE_SIZE) {
		uint64_t frame = (pa + (va - start)) / PAGE_SIZE;
		if (frame < RANDOM_FRAMES)
			census->mappings[frame]++;
	}
	return true;
}

/*
 * Every frame's refcount is the number of user pages mapping it, over all
 * spaces (no initrd frame is mapped here), and every space keeps the
 * database's invariants.
 */
static const char *check_refcounts(struct user_space *const *spaces, int n)
{
	static struct frame_census census;

	memset(&census, 0, sizeof(census));
	for (int i = 0; i < n; i++) {
		const char *why = share_check_space(spaces[i]);
		CHECKF(!why, "space %d: %s", i, why);
		paging_for_each_range(&spaces[i]->as, 0, USER_TOP, census_count, &census);
	}
	for (uint64_t f = 0; f < RANDOM_FRAMES; f++)
		if (census.mappings[f])
			CHECKF(phys_to_page(f * PAGE_SIZE)->refcount == census.mappings[f],
			       "frame 0x%lx: refcount %u, mapped %u times", f * PAGE_SIZE,
			       phys_to_page(f * PAGE_SIZE)->refcount, census.mappings[f]);
	return NULL;
}

/* One random operation among the spaces; which one (op) and its result. */
static long random_step(struct user_space *const *spaces, uint64_t *seed, unsigned *op)
{
	struct user_space *x = spaces[random_next(seed) % RANDOM_SPACES];
	struct user_space *y = spaces[random_next(seed) % RANDOM_SPACES];
	virt_addr_t at = 0, va = 0;
	uint64_t len = P(1 + random_next(seed) % 4);
	unsigned flags = random_next(seed) % 2 ? SHARE_WRITE : 0;
	int prot = random_next(seed) % 3 ? RW : PROT_READ;
	size_t count = x->regions.count;

	*op = random_next(seed) % 8;
	if (count) { /* somewhere in one of x's regions */
		const struct region *r = &x->regions.items[random_next(seed) % count];
		va = r->start + P(random_next(seed) % ((r->end - r->start) / PAGE_SIZE));
		len = MIN(len, r->end - va);
	}
	if (*op == 0 || !va)
		return buffer(x, 1 + random_next(seed) % 4, prot);
	switch (*op) {
	case 1:
	case 2:
		return share_map(x, va, len, flags, y, &at);
	case 3:
		return share_grant(x, va, len, flags, y, &at);
	case 4:
		return share_revoke(x, va, len);
	case 5:
		return user_munmap(x, va, len);
	case 6:
		return poke(x, va, (uint8_t)*seed) == NULL ? peek(x, va) : -EFAULT;
	default:
		return user_mprotect(x, va, len, prot);
	}
}

/*
 * Thousands of random maps, grants, revokes, munmaps, writes and
 * mprotects among four spaces (one exiting and coming back now and then, a
 * fork's child checked and destroyed every hundred steps):
 * after each, every frame's refcount equals its mappings and the
 * database keeps its invariants; at the end nothing leaked (END).
 */
static const char *test_random_operations(void)
{
	BEGIN();
	struct user_space d;
	struct user_space *spaces[RANDOM_SPACES] = {&a, &b, &c, &d};
	uint64_t seed = 18;
	CHECK(user_space_create(&d) == 0);
	unsigned done[8] = {0}, op;
	for (int step = 0; step < 3000; step++) {
		long result = random_step(spaces, &seed, &op);
		if (result >= 0 && (op != 4 || result > 0)) /* a revoke that took something */
			done[op]++;
		if (step % 100 == 99) { /* a fork: the child shares no IPC memory, counts hold */
			struct user_space child, *with_child[RANDOM_SPACES + 1] = {&a, &b, &c, &d, &child};
			CHECK(user_space_fork(&child, spaces[random_next(&seed) % RANDOM_SPACES]) == 0);
			const char *why = check_refcounts(with_child, RANDOM_SPACES + 1);
			CHECKF(!why, "step %d, after a fork: %s", step, why);
			CHECK(share_node_count(&child) == 0);
			user_space_destroy(&child);
		}
		if (step % 500 == 499) { /* a space exits; a fresh one takes its place */
			struct user_space *gone = spaces[1 + random_next(&seed) % 3];
			user_space_destroy(gone);
			CHECK(user_space_create(gone) == 0);
		}
		const char *why = check_refcounts(spaces, RANDOM_SPACES);
		CHECKF(!why, "step %d: %s", step, why);
	}
	/* Each kind of operation succeeded many times (a revoke: took mappings). */
	for (unsigned k = 0; k < 8; k++)
		CHECKF(done[k] > 20, "operation %u succeeded %u times (%u %u %u %u %u %u %u %u)", k,
		       done[k], done[0], done[1], done[2], done[3], done[4], done[5], done[6],
		       done[7]);
	user_space_destroy(&d);
	END();
}

static const struct selftest share_tests[] = {
	{"map_writes_visible", "map: the same frames on both sides, one owner more each, writes "
	 "seen both ways", test_map_writes_visible},
	{"map_read_only", "a read-only receiver: writes refused, mprotect -EACCES, no writable "
	 "pass-on", test_map_read_only},
	{"grant_moves", "grant: the sender loses pages and region, the receiver owns the frames",
	 test_grant_moves},
	{"revoke_reaches_grandchild", "revoke: child and grandchild go, the root keeps its pages",
	 test_revoke_reaches_grandchild},
	{"revoke_middle", "revoke by the middle space reaches only its descendants; bad ranges",
	 test_revoke_middle},
	{"exit_takes_descendants", "a space's exit takes every mapping derived from it",
	 test_exit_takes_descendants},
	{"munmap_takes_descendants", "munmap trims and splits mappings, descendants go whole",
	 test_munmap_takes_descendants},
	{"roots_merge", "overlapping maps share one root; straddling a received one: -EFAULT",
	 test_roots_merge},
	{"map_file_data", "a writable file region (.data) becomes private copies, then shared; "
	 "text is refused", test_map_file_data},
	{"errors", "-EINVAL, -EFAULT, -EEXIST, SHARE_FIXED placement, no DONTNEED", test_errors},
	{"fork_rule", "fork leaves shared ranges out; COW frames become the sender's own first",
	 test_fork_rule},
	{"mprotect_shared", "shared pages follow mprotect, never left read-only by refcount",
	 test_mprotect_shared},
	{"pager_pages", "pager regions: FAULT_PAGER, pages mapped by the pager, its revoke",
	 test_pager_pages},
	{"exec_move", "user_space_move carries the database's nodes", test_exec_move},
	{"without_memory", "allocations failing in turn: -ENOMEM, nothing changed or leaked",
	 test_without_memory},
	{"source_kinds", "which memory map and grant pass (-EFAULT, -EBUSY, -EACCES) and the "
	 "rights the receiver gets", test_source_kinds},
	{"map_refcounts", "a frame mapped to two spaces: three owners, AnonPages per mapping; "
	 "untouched pages faulted in", test_map_refcounts},
	{"grant_middle", "grant of a range's middle: the region splits, the frame moves, "
	 "AnonPages unchanged; granted back", test_grant_middle},
	{"grant_without_memory", "a grant's allocations failing in turn: -ENOMEM, the sender "
	 "keeps region and bytes", test_grant_without_memory},
	{"revoke_granularity", "revoke takes whole mappings with a page in the range, leaves "
	 "the others; a receiver's revoke", test_revoke_granularity},
	{"random_operations", "3,000 random operations among four spaces: refcounts equal "
	 "mappings after each, nothing leaked", test_random_operations},
};

SELFTEST_SUITE(share, share_tests);
