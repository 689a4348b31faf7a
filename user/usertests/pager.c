/*
 * pager.c - usertests: user-level pagers (pager_region, PAGER_FAULT in
 * pagoda/ipc_abi.h). A region made with pager_region has no pages of its
 * own: each first touch, by the program or by a system call copying into
 * it, becomes a message from the kernel to the pager's endpoint, and the
 * page the pager maps back appears at the faulting address.
 *
 * Each test forks a pager (a child serving one endpoint in a mode) and a
 * client (a child making the region and touching it), then kills the
 * pager and reaps both. The pager's pages say where they are: every
 * 8-byte word of the page served for address a holds its own address, so
 * the client checks any word without knowing which pager page backs it.
 * The client holds only a SEND handle (the parent duplicates one and
 * closes the endpoint's full handle before forking it): a process holding
 * RECEIVE on the endpoint counts as its pager and gets an error instead
 * of waiting for itself (pager_self_fault checks exactly that).
 *
 * Invariants:
 *   [x] every test reaps its pager and client and closes its handles;
 *   [x] the usertests process itself never makes a pager region.
 * Context: the usertests program (usertests.h); Pagoda only (on Linux
 * the calls are -ENOSYS).
 */
#include "pagoda/ipc.h"
#include "usertests.h"

#define PAGES 4                  /* a client's pager region */
#define CHECK_LABEL 1            /* client -> pager: is word w[0] of your page w[1]? */
#define SERVED_MAX 64            /* pages one pager serves */
#define CLIENT_BAD 80            /* a client's status: a check failed (it says which) */

enum serve_mode {
	SERVE_PAGES,  /* each fault: a fresh page of self-addressed words, mapped writable */
	SERVE_ERROR,  /* each fault: an error reply (label -EFAULT, no page) */
	SERVE_DIE,    /* the first fault: exit without replying */
	SERVE_HANG,   /* the first fault: never reply (sleep until killed) */
};

/* The pager's record of what it served: the client's page and its own copy. */
static struct { uint64_t client; uint64_t *mine; } served[SERVED_MAX];
static int served_count;

/* A page of self-addressed words for client page va: mapped in the pager, NULL if none. */
static uint64_t *make_page(uint64_t va)
{
	uint64_t *page = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (page == MAP_FAILED || served_count == SERVED_MAX)
		return NULL;
	for (long j = 0; j < P / 8; j++)
		page[j] = va + 8 * j;
	served[served_count].client = va;
	served[served_count++].mine = page;
	return page;
}

/* What word va of the client holds in the pager's copy; 1 if it never served that page. */
static uint64_t pager_word(uint64_t va)
{
	for (int i = 0; i < served_count; i++)
		if (va - served[i].client < (uint64_t)P)
			return served[i].mine[(va - served[i].client) / 8];
	return 1;
}

/* The pager child: serve endpoint ep in mode until killed. */
static void serve(long ep, enum serve_mode mode)
{
	struct ipc_msg m;

	for (;;) {
		memset(&m, 0, sizeof(m));
		if (ipc_recv(ep, &m, IPC_FOREVER) != 0)
			sys(SYS_exit_group, 1);
		if (IPC_TAG_LABEL(m.tag) == CHECK_LABEL) {
			uint64_t seen = pager_word(m.w[0]);
			m = (struct ipc_msg){.tag = IPC_TAG(seen == m.w[1] ? 0 : 1, 1), .w = {seen}};
		} else if (IPC_TAG_LABEL(m.tag) != PAGER_FAULT || m.badge != 0) {
			m = (struct ipc_msg){.tag = IPC_TAG((unsigned)-EINVAL, 0)};
		} else if (mode == SERVE_DIE) {
			sys(SYS_exit_group, 0); /* the client is waiting in its fault */
		} else if (mode == SERVE_HANG) {
			for (;;)
				sys(SYS_pause); /* the client waits in its fault until killed */
		} else if (mode == SERVE_ERROR) {
			m = (struct ipc_msg){.tag = IPC_TAG((unsigned)-EFAULT, 0)};
		} else {
			uint64_t *page = make_page(m.w[0]);
			m = (struct ipc_msg){.tag = IPC_TAG(0, 6) | IPC_TAG_MAP | IPC_TAG_WRITE,
					     .w = {0, 0, 0, 0, (uint64_t)page, P}};
			if (!page)
				m.tag = IPC_TAG((unsigned)-ENOMEM, 0);
		}
		ipc_reply(&m);
	}
}

/* A pager and the client's handle to it. */
struct pager {
	long pid;  /* the pager child */
	long send; /* a SEND-only handle to its endpoint, for the client */
};

/* Fork a pager serving in mode; *pg gets it. 0 or -errno. */
static long pager_start(struct pager *pg, enum serve_mode mode)
{
	long ep = ipc_endpoint_create();

	if (ep < 0)
		return ep;
	pg->pid = sys(SYS_fork);
	if (pg->pid == 0) {
		serve(ep, mode);
		sys(SYS_exit_group, 1);
	}
	pg->send = handle_duplicate(ep, IPC_RIGHT_SEND);
	handle_close(ep); /* the pager alone receives */
	if (is_err(pg->pid) || pg->send < 0) {
		if (!is_err(pg->pid)) {
			sys(SYS_kill, pg->pid, SIGKILL);
			sys(SYS_wait4, pg->pid, NULL, 0, NULL);
		}
		return is_err(pg->pid) ? pg->pid : pg->send;
	}
	return 0;
}

/* Kill and reap the pager (it may have ended already), close the handle. */
static void pager_stop(struct pager *pg)
{
	sys(SYS_kill, pg->pid, SIGKILL);
	sys(SYS_wait4, pg->pid, NULL, 0, NULL);
	handle_close(pg->send);
}

/* In a client: say what went wrong and end with CLIENT_BAD. */
static void client_bad(const char *what, long v)
{
	printf("  (client: %s: %s)\n", what, ret_name(v));
	sys(SYS_exit_group, CLIENT_BAD);
}

/* In a client: a free range of n pages, made a pager region (prot) of h; ends on failure. */
static char *client_region(long h, long n, int prot)
{
	char *a = map_pages(n, PROT_READ);

	if (!a)
		client_bad("no address range", -ENOMEM);
	unmap_pages(a, n);
	long r = pager_region(a, n * P, h, prot);
	if (r != 0)
		client_bad("pager_region", r);
	return a;
}

/* Run client(h) against a pager in mode: the client's wait status, or -errno. */
static long with_pager(enum serve_mode mode, void (*client)(long))
{
	struct pager pg;
	long r = pager_start(&pg, mode);

	if (r)
		return r;
	long status = child_status(client, pg.send);
	pager_stop(&pg);
	return status;
}

/* ---- the tests ------------------------------------------------------------ */

/* Child: a pager region of a free page, then the same range again: -EEXIST. */
static void region_twice(long ep)
{
	char *a = client_region(ep, 1, PROT_READ | PROT_WRITE);
	long again = pager_region(a, P, ep, PROT_READ);

	if (again != -EEXIST)
		client_bad("pager_region twice (expected -EEXIST)", again);
}

static const char *test_pager_region_args(void)
{
	long ep = ipc_endpoint_create(), note = ipc_notification_create();
	CHECK(ep > 0 && note > 0, "endpoint %s, notification %s", ret_name(ep), ret_name(note));
	long recv_only = handle_duplicate(ep, IPC_RIGHT_RECEIVE);
	char *a = map_pages(2, PROT_READ);
	CHECK(a && recv_only > 0, "setup: %p %s", (void *)a, ret_name(recv_only));
	/* a is mapped: a pager region over it is -EEXIST; a + P after the unmap is free */
	unmap_pages(a + P, 1);
	char *b = a + P;
	const char *why = NULL;
	struct { void *addr; long len; long h; int prot; long want; const char *what; } cases[] = {
		{ b + 1, P, ep, PROT_READ, -EINVAL, "unaligned address" },
		{ b, 0, ep, PROT_READ, -EINVAL, "empty" },
		{ (void *)KERNEL_ADDR, P, ep, PROT_READ, -EINVAL, "kernel address" },
		{ (void *)(NONCANONICAL - P), 2 * P, ep, PROT_READ, -EINVAL, "past the user half" },
		{ b, P, ep, PROT_READ | PROT_EXEC, -EINVAL, "PROT_EXEC" },
		{ b, P, ep, PROT_NONE, -EINVAL, "PROT_NONE" },
		{ b, P, 2, PROT_READ, -EBADF, "not a handle" },
		{ b, P, note, PROT_READ, -EBADF, "a notification" },
		{ b, P, recv_only, PROT_READ, -EPERM, "no SEND right" },
		{ a, 2 * P, ep, PROT_READ, -EEXIST, "over a mapping" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]) && !why; i++) {
		long r = pager_region(cases[i].addr, cases[i].len, cases[i].h, cases[i].prot);
		if (r != cases[i].want)
			why = fail("pager_region, %s: %s, expected %s", cases[i].what, ret_name(r),
				   ret_name(cases[i].want));
	}
	unmap_pages(a, 1);
	handle_close(recv_only);
	handle_close(note);
	if (!why) /* the usertests process itself makes no pager region: a child does */
		why = expect_returned(child_status(region_twice, ep), "pager_region twice");
	handle_close(ep);
	return why;
}

/* Client: read every word of its region, write some, and ask the pager what it sees. */
static void client_read_write(long h)
{
	uint64_t *w = (uint64_t *)client_region(h, PAGES, PROT_READ | PROT_WRITE);

	for (long i = 0; i < PAGES * P / 8; i += 7)
		if (w[i] != (uint64_t)&w[i])
			client_bad("a word of a pager page is not its address", (long)w[i]);
	w[3] = 0x5eed;
	w[P / 8 * 2 + 5] = 0xbeef; /* page 2 */
	struct ipc_msg m = {.tag = IPC_TAG(CHECK_LABEL, 2), .w = {(uint64_t)&w[3], 0x5eed}};
	long r = ipc_call(h, &m, 5000);
	if (r != 0 || IPC_TAG_LABEL(m.tag) != 0)
		client_bad("the pager does not see the client's write", r ? r : (long)m.w[0]);
	m = (struct ipc_msg){.tag = IPC_TAG(CHECK_LABEL, 2), .w = {(uint64_t)&w[P / 8 * 2 + 5], 0xbeef}};
	r = ipc_call(h, &m, 5000);
	if (r != 0 || IPC_TAG_LABEL(m.tag) != 0)
		client_bad("the pager does not see a write to page 2", r ? r : (long)m.w[0]);
}

static const char *test_pager_read_write(void)
{
	return expect_returned(with_pager(SERVE_PAGES, client_read_write),
			       "a client reading and writing a pager region");
}

/* Client: a read-only region: reads work, a write is a violation (SIGSEGV). */
static void client_read_only(long h)
{
	volatile uint64_t *w = (uint64_t *)client_region(h, 1, PROT_READ);

	if (w[9] != (uint64_t)&w[9])
		client_bad("a word of a read-only pager page", (long)w[9]);
	w[9] = 1; /* SIGSEGV: the region is read-only */
}

static const char *test_pager_read_only(void)
{
	return expect_killed(with_pager(SERVE_PAGES, client_read_only), SIGSEGV,
			     "a write to a read-only pager region");
}

/* Client: touch page 1 (the pager answers an error or dies: this never returns). */
static void client_touch(long h)
{
	volatile char *a = client_region(h, PAGES, PROT_READ | PROT_WRITE);

	(void)a[P + 17];
}

static const char *test_pager_error_kills(void)
{
	return expect_killed(with_pager(SERVE_ERROR, client_touch), SIGSEGV,
			     "a touch the pager answers with an error");
}

static const char *test_pager_death_kills(void)
{
	return expect_killed(with_pager(SERVE_DIE, client_touch), SIGSEGV,
			     "a touch whose pager dies before answering");
}

/* A client waiting in its fault for a pager that never answers dies of a kill at once. */
static const char *test_pager_wait_killed(void)
{
	struct pager pg;
	long r = pager_start(&pg, SERVE_HANG);
	CHECK(r == 0, "pager: %s", ret_name(r));
	long pid = sys(SYS_fork);
	if (pid == 0) {
		client_touch(pg.send);
		sys(SYS_exit_group, CHILD_RETURNED);
	}
	struct timespec pause = {0, 200 * 1000 * 1000}; /* the client is in its fault by then */
	sys(SYS_nanosleep, &pause, NULL);
	long killed = is_err(pid) ? pid : sys(SYS_kill, pid, SIGKILL);
	int status = 0;
	long reaped = is_err(pid) ? pid : sys(SYS_wait4, pid, &status, 0, NULL);
	pager_stop(&pg);
	CHECK(killed == 0 && reaped == pid, "fork %s, kill %s, wait4 %s", ret_name(pid),
	      ret_name(killed), ret_name(reaped));
	return expect_killed(status, SIGKILL, "a client waiting for a pager that never answers");
}

static const char *test_pager_none_kills(void)
{
	long ep = ipc_endpoint_create();
	CHECK(ep > 0, "endpoint: %s", ret_name(ep));
	long send = handle_duplicate(ep, IPC_RIGHT_SEND);
	handle_close(ep); /* nobody can receive: no pager */
	CHECK(send > 0, "duplicate: %s", ret_name(send));
	long status = child_status(client_touch, send);
	handle_close(send);
	return expect_killed(status, SIGSEGV, "a touch of a region with no pager left");
}

/* Client: read() the data file into the region, page by page, the first touch the kernel's. */
static void client_syscall(long h)
{
	unsigned char *a = (unsigned char *)client_region(h, PAGES, PROT_READ | PROT_WRITE);
	int fd = (int)sys(SYS_open, DATA_FILE, O_RDONLY, 0);

	if (fd < 0)
		client_bad("open " DATA_FILE, fd);
	long n = sys(SYS_read, fd, a + 100, DATA_SIZE - 200); /* across every page */
	if (n != DATA_SIZE - 200)
		client_bad("read() into the pager region", n);
	if (pattern_mismatch(a + 100, 0, n))
		client_bad("the bytes read() left in the pager region", pattern_mismatch(a + 100, 0, n));
	const uint64_t *w = (const uint64_t *)a;
	if (w[2] != (uint64_t)&w[2]) /* before the copy: the pager's own words */
		client_bad("a pager word the copy did not touch", (long)w[2]);
	sys(SYS_close, fd);
}

static const char *test_pager_syscall_copy(void)
{
	return expect_returned(with_pager(SERVE_PAGES, client_syscall),
			       "read() into a pager region (the copy waits for the pager)");
}

/* Client: read() into a region whose pager answers errors: -EFAULT, and it lives on. */
static void client_syscall_error(long h)
{
	char *a = client_region(h, 1, PROT_READ | PROT_WRITE);
	int fd = (int)sys(SYS_open, DATA_FILE, O_RDONLY, 0);
	long n = sys(SYS_read, fd, a, 64);

	sys(SYS_close, fd);
	if (n != -EFAULT)
		client_bad("read() into a page the pager refuses", n);
}

static const char *test_pager_syscall_error(void)
{
	return expect_returned(with_pager(SERVE_ERROR, client_syscall_error),
			       "read() into a refused pager page");
}

/* A process serving its own region: the touch would wait for itself. */
static void self_pager(long unused)
{
	(void)unused;
	long ep = ipc_endpoint_create();
	if (ep < 0)
		client_bad("endpoint", ep);
	char *a = client_region(ep, 1, PROT_READ | PROT_WRITE);
	int fd = (int)sys(SYS_open, DATA_FILE, O_RDONLY, 0);
	long n = sys(SYS_read, fd, a, 64);
	if (n != -EFAULT)
		client_bad("read() into its own pager region", n);
	*(volatile char *)a = 1; /* SIGSEGV, at once */
}

static const char *test_pager_self_fault(void)
{
	return expect_killed(child_status(self_pager, 0), SIGSEGV,
			     "a pager touching the region it serves");
}

const struct usertest pager_tests[] = {
	{ "pager_region_args", test_pager_region_args, PAGODA_ONLY },
	{ "pager_read_write", test_pager_read_write, PAGODA_ONLY },
	{ "pager_read_only", test_pager_read_only, PAGODA_ONLY },
	{ "pager_error_kills", test_pager_error_kills, PAGODA_ONLY },
	{ "pager_death_kills", test_pager_death_kills, PAGODA_ONLY },
	{ "pager_wait_killed", test_pager_wait_killed, PAGODA_ONLY },
	{ "pager_none_kills", test_pager_none_kills, PAGODA_ONLY },
	{ "pager_syscall_copy", test_pager_syscall_copy, PAGODA_ONLY },
	{ "pager_syscall_error", test_pager_syscall_error, PAGODA_ONLY },
	{ "pager_self_fault", test_pager_self_fault, PAGODA_ONLY },
	{ NULL, NULL, 0 },
};
