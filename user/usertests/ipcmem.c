/*
 * ipcmem.c - usertests of lab 8 (docs/labs/lab8-ipc-memory.md): memory
 * passed by IPC between two user programs, judged from both sides. The test
 * process is the client; each test forks one to three buffer servers
 * (bufsrv) that take a range by map or grant, read it (a checksum), write
 * it, give it back by grant in a reply, or map it on to another server.
 * The client computes the same checksum over its own pages, so each side
 * checks what the other sees.
 *
 * The protocol (a request's label; the reply's words):
 *   BS_TAKE    a memory item: keep it; w0 where it landed, w1 its length,
 *              w2 its checksum, w3 the tag's MAP/GRANT/WRITE bits
 *   BS_SUM     w0 the kept range's checksum (a revoked page: SIGSEGV)
 *   BS_FILL    write byte w0 over the kept range (a read-only one: SIGSEGV)
 *   BS_RETURN  the reply grants the kept range back (IPC_TAG_GRANT|WRITE)
 *   BS_PASS    with a handle to another server: map [kept + w1, + w2) on to
 *              it (w0: writable); w0 that call's result, w1 its checksum
 *   BS_QUIT    reply, then exit (CHILD_RETURNED)
 *
 * Invariants:
 *   [x] each server holds the only RECEIVE handle of its endpoint (the
 *       client keeps a SEND|TRANSFER duplicate), so a server killed by a
 *       fault makes the client's call return -EPIPE, never hang;
 *   [x] every wait of the client is bounded (WAIT_MS); each test reaps its
 *       servers, checking how each ended, and unmaps what it mapped.
 * Context: the usertests program (usertests.h); Pagoda only (IPC).
 */
#include "pagoda/ipc.h"
#include "usertests.h"

#define WAIT_MS 20000l
#define SERVER_FAILED 62 /* a server's exit status: its own receive or reply failed */
#define MEMORY_FLAGS (IPC_TAG_MAP | IPC_TAG_GRANT | IPC_TAG_WRITE)

enum { BS_TAKE = 1, BS_SUM, BS_FILL, BS_RETURN, BS_PASS, BS_QUIT };

/* A checksum that sees every byte and where it is. */
static uint64_t checksum(const void *addr, unsigned long len)
{
	const unsigned char *p = addr;
	uint64_t s = 0;

	for (unsigned long i = 0; i < len; i++)
		s = s * 31 + p[i] + (i % 251);
	return s;
}

/* ---- the server's side ---- */

static unsigned char *held;   /* the range BS_TAKE kept */
static unsigned long held_len;

/* The reply to request m. */
static struct ipc_msg bufsrv_answer(const struct ipc_msg *m)
{
	struct ipc_msg r = {.tag = IPC_TAG(0, 4)};

	switch (IPC_TAG_LABEL(m->tag)) {
	case BS_TAKE:
		held = (unsigned char *)m->w[4];
		held_len = m->w[5];
		r.w[0] = m->w[4];
		r.w[1] = m->w[5];
		r.w[2] = checksum(held, held_len);
		r.w[3] = m->tag & MEMORY_FLAGS;
		break;
	case BS_SUM:
		r.w[0] = checksum(held, held_len);
		break;
	case BS_FILL:
		memset(held, (int)m->w[0], held_len);
		break;
	case BS_RETURN:
		r.tag = IPC_TAG(0, 6) | IPC_TAG_GRANT | IPC_TAG_WRITE;
		r.w[4] = (uint64_t)held;
		r.w[5] = held_len;
		break;
	case BS_PASS: {
		struct ipc_msg t = {.tag = IPC_TAG(BS_TAKE, 6) | IPC_TAG_MAP |
					   (m->w[0] ? IPC_TAG_WRITE : 0)};

		t.w[4] = (uint64_t)held + m->w[1];
		t.w[5] = m->w[2];
		r.w[0] = (m->tag & IPC_TAG_HANDLE) ? ipc_call(m->handle, &t, WAIT_MS) : -EBADF;
		r.w[1] = t.w[2];
		break;
	}
	default:
		r.tag = IPC_TAG(0xbad, 0);
	}
	return r;
}

static void bufsrv(long e)
{
	struct ipc_msg m = {0};
	long r = ipc_recv(e, &m, IPC_FOREVER);

	while (r == 0 && IPC_TAG_LABEL(m.tag) != BS_QUIT) {
		m = bufsrv_answer(&m);
		r = ipc_reply_recv(e, &m, IPC_FOREVER);
	}
	if (r == 0) {
		m = (struct ipc_msg){.tag = IPC_TAG(0, 0)};
		ipc_reply(&m);
		return; /* exits CHILD_RETURNED */
	}
	sys(SYS_exit_group, SERVER_FAILED);
}

/* ---- the client's side ---- */

struct bufsrv {
	long pid;     /* the server */
	long h;       /* SEND|TRANSFER|DUPLICATE to its endpoint */
	int want_sig; /* it must end killed by this signal (0: it quits when asked) */
};

/* Fork a server on a fresh endpoint it alone receives on. NULL or why not. */
static const char *bufsrv_start(struct bufsrv *s)
{
	long e = ipc_endpoint_create();

	s->pid = 0;
	s->want_sig = 0;
	CHECK(e > 0, "ipc_endpoint_create() = %s", ret_name(e));
	s->pid = sys(SYS_fork);
	if (s->pid == 0) {
		bufsrv(e);
		sys(SYS_exit_group, CHILD_RETURNED);
	}
	s->h = handle_duplicate(e, IPC_RIGHT_SEND | IPC_RIGHT_TRANSFER | IPC_RIGHT_DUPLICATE);
	handle_close(e); /* the server's copy is the endpoint's only RECEIVE handle */
	CHECK(s->pid > 0 && s->h > 0, "fork = %s, handle_duplicate = %s", ret_name(s->pid),
	      ret_name(s->h));
	return NULL;
}

/* Call s with label op and word w0; the reply in *out. */
static long bs_call(struct bufsrv *s, unsigned op, uint64_t w0, struct ipc_msg *out)
{
	struct ipc_msg m = {.tag = IPC_TAG(op, 1), .w = {w0}};
	long r = ipc_call(s->h, &m, WAIT_MS);

	*out = m;
	return r;
}

/* BS_TAKE of [addr, addr + len) passed with the tag's memory flags how; the reply in *out. */
static long bs_give(struct bufsrv *s, uint64_t how, const void *addr, unsigned long len,
		    struct ipc_msg *out)
{
	struct ipc_msg m = {.tag = IPC_TAG(BS_TAKE, 6) | how,
			    .w = {0, 0, 0, 0, (uint64_t)addr, len}};
	long r = ipc_call(s->h, &m, WAIT_MS);

	*out = m;
	return r;
}

/*
 * End a test with s: on success (why NULL) it must quit when asked, or have
 * died by s->want_sig; on failure it is killed. Reaped either way; returns
 * the test's result.
 */
static const char *bufsrv_stop(struct bufsrv *s, const char *why)
{
	struct ipc_msg m;
	int status = 0;
	long q = 0;

	if (s->pid <= 0)
		return why;
	if (why)
		sys(SYS_kill, s->pid, SIGKILL);
	else if (!s->want_sig)
		q = bs_call(s, BS_QUIT, 0, &m);
	long r = sys(SYS_wait4, s->pid, &status, 0, NULL);
	handle_close(s->h);
	s->pid = 0;
	if (why)
		return why;
	CHECK(q == 0, "the server's BS_QUIT call = %s", ret_name(q));
	CHECK(r > 0, "wait4 = %s", ret_name(r));
	if (s->want_sig)
		return expect_killed(status, s->want_sig, "the server");
	return expect_returned(status, "the server");
}

/* Start n servers (up to 3), run body, stop them (the last started first). */
static const char *with_servers(int n, const char *(*body)(struct bufsrv *))
{
	struct bufsrv s[3];
	const char *why = NULL;
	int started = 0;
	long probe = ipc_endpoint_create();

	if (probe == -ENOSYS)
		return skip("no Pagoda IPC in this kernel (-ENOSYS)");
	handle_close(probe);
	while (started < n && !why) {
		why = bufsrv_start(&s[started]);
		if (s[started].pid > 0)
			started++; /* stopped below, killed if its start failed */
	}
	if (!why)
		why = body(s);
	while (started > 0)
		why = bufsrv_stop(&s[--started], why);
	return why;
}

static unsigned char *pattern_pages(long n, unsigned seed)
{
	unsigned char *a = (unsigned char *)map_pages(n, PROT_READ | PROT_WRITE);

	for (long i = 0; a && i < n * P; i++)
		a[i] = (unsigned char)(seed + i * 7 + i / P);
	return a;
}

static void touch_byte(long addr)
{
	*(volatile char *)addr;
}

/* ---- the tests ---- */

/*
 * Map, writable: the server sees the client's bytes (a page never touched
 * as zeros), its writes land in the client's pages, the client's later
 * writes in its view: the same frames on both sides.
 */
static const char *map_shared_body(struct bufsrv *s)
{
	unsigned char *buf = pattern_pages(3, 1);
	struct ipc_msg m;

	CHECK(buf, "mmap failed");
	CHECK_RET(sys(SYS_madvise, buf + 2 * P, P, MADV_DONTNEED), 0); /* page 2: never touched */
	CHECK_RET(bs_give(s, IPC_TAG_MAP | IPC_TAG_WRITE, buf, 3 * P, &m), 0);
	CHECK(m.w[1] == 3 * P && m.w[0] && m.w[0] % P == 0,
	      "the server got [%#llx, +%#llx), expected 3 pages",
	      (unsigned long long)m.w[0], (unsigned long long)m.w[1]);
	CHECK(m.w[3] == (IPC_TAG_MAP | IPC_TAG_WRITE), "the server's tag flags %#llx",
	      (unsigned long long)m.w[3]);
	CHECK(m.w[2] == checksum(buf, 3 * P), "the server's checksum differs: it sees other bytes");
	CHECK_RET(bs_call(s, BS_FILL, 0x5a, &m), 0);
	for (long i = 0; i < 3 * P; i++)
		CHECK(buf[i] == 0x5a, "byte %ld is %#x after the server wrote 0x5a over the range", i,
		      buf[i]);
	buf[2 * P + 9] = 0x11;
	buf[17] = 0x22;
	CHECK_RET(bs_call(s, BS_SUM, 0, &m), 0);
	CHECK(m.w[0] == checksum(buf, 3 * P), "the client's writes after the map are not seen");
	unmap_pages(buf, 3);
	return NULL;
}

static const char *test_ipcmem_map_shared(void)
{
	return with_servers(1, map_shared_body);
}

static unsigned char data_page[4096] __attribute__((aligned(4096))) = {42, 43};

/*
 * Rights: a read-only map cannot be written by the server (it dies), a
 * writable one of read-only memory is -EACCES; the stack, the program's
 * text, PROT_NONE and holes cannot be passed (-EFAULT), its .data can; a
 * range mapped out cannot be granted (-EBUSY).
 */
static const char *map_rights_body(struct bufsrv *s)
{
	unsigned char *ro = pattern_pages(1, 2), *none = (unsigned char *)map_pages(1, PROT_NONE);
	unsigned char *gone = (unsigned char *)unmapped_page();
	char local[64];
	struct ipc_msg m;
	long text = (long)&touch_byte & ~(P - 1);

	CHECK(ro && none && gone, "mmap failed");
	CHECK_RET(sys(SYS_mprotect, ro, P, PROT_READ), 0);
	CHECK_RET(bs_give(s, IPC_TAG_MAP | IPC_TAG_WRITE, ro, P, &m), -EACCES);
	CHECK_RET(bs_give(s, IPC_TAG_GRANT | IPC_TAG_WRITE, ro, P, &m), -EACCES);
	local[0] = 1;
	CHECK_RET(bs_give(s, IPC_TAG_MAP, (void *)((long)local & ~(P - 1)), P, &m), -EFAULT);
	CHECK_RET(bs_give(s, IPC_TAG_MAP, (void *)text, P, &m), -EFAULT);
	CHECK_RET(bs_give(s, IPC_TAG_MAP, none, P, &m), -EFAULT);
	CHECK_RET(bs_give(s, IPC_TAG_GRANT, gone, P, &m), -EFAULT);
	CHECK_RET(bs_give(s, IPC_TAG_MAP | IPC_TAG_WRITE, data_page, P, &m), 0);
	CHECK(m.w[2] == checksum(data_page, P), "the server sees other bytes in .data");
	CHECK_RET(bs_give(s, IPC_TAG_GRANT, data_page, P, &m), -EBUSY); /* mapped out now */
	CHECK_RET(bs_give(s, IPC_TAG_MAP, ro, P, &m), 0);
	CHECK(m.w[3] == IPC_TAG_MAP && m.w[2] == checksum(ro, P),
	      "read-only map: flags %#llx, checksum %s", (unsigned long long)m.w[3],
	      m.w[2] == checksum(ro, P) ? "same" : "differs");
	CHECK_RET(bs_call(s, BS_FILL, 0x33, &m), -EPIPE); /* killed writing */
	s->want_sig = SIGSEGV;
	CHECK(ro[0] == 2, "a write through a read-only mapping landed");
	unmap_pages(ro, 1);
	unmap_pages(none, 1);
	return NULL;
}

static const char *test_ipcmem_map_rights(void)
{
	return with_servers(1, map_rights_body);
}

/*
 * Grant: the pages move to the server (the client's touch faults), the
 * server writes them and grants them back in its reply; then its own touch
 * faults (it dies summing what it gave away).
 */
static const char *grant_round_trip_body(struct bufsrv *s)
{
	unsigned char *buf = pattern_pages(2, 3);
	struct ipc_msg m;

	CHECK(buf, "mmap failed");
	uint64_t sum = checksum(buf, 2 * P);
	CHECK_RET(bs_give(s, IPC_TAG_GRANT | IPC_TAG_WRITE, buf, 2 * P, &m), 0);
	CHECK(m.w[1] == 2 * P && m.w[2] == sum && m.w[3] == (IPC_TAG_GRANT | IPC_TAG_WRITE),
	      "the server got %#llx bytes, checksum %s, flags %#llx", (unsigned long long)m.w[1],
	      m.w[2] == sum ? "same" : "differs", (unsigned long long)m.w[3]);
	const char *why = expect_killed(child_status(touch_byte, (long)buf + P + 5), SIGSEGV,
					"touching a page the client granted away");
	if (why)
		return why;
	CHECK_RET(bs_call(s, BS_FILL, 0x77, &m), 0);
	CHECK_RET(bs_call(s, BS_RETURN, 0, &m), 0);
	unsigned char *back = (unsigned char *)m.w[4];
	CHECK((m.tag & MEMORY_FLAGS) == (IPC_TAG_GRANT | IPC_TAG_WRITE) && m.w[5] == 2 * P && back,
	      "the reply's tag %#llx, range [%p, +%#llx): expected 2 pages granted",
	      (unsigned long long)m.tag, (void *)back, (unsigned long long)m.w[5]);
	for (long i = 0; i < 2 * P; i++)
		CHECK(back[i] == 0x77, "byte %ld granted back is %#x, expected 0x77", i, back[i]);
	back[3] = 1; /* the client's own now: writable */
	CHECK_RET(bs_call(s, BS_SUM, 0, &m), -EPIPE); /* the server's pages are gone */
	s->want_sig = SIGSEGV;
	unmap_pages(back, 2);
	return NULL;
}

static const char *test_ipcmem_grant_round_trip(void)
{
	return with_servers(1, grant_round_trip_body);
}

/*
 * Challenge, revoke: S0 maps pages 0-3 writable, S1 page 3, S0 maps its
 * page 1 on to S2. Revoking page 0 takes S0's mapping whole and S2's,
 * derived from it (2); S1's stays; revoking everything then takes S1's.
 */
static const char *revoke_fanout_body(struct bufsrv *s)
{
	unsigned char *buf = pattern_pages(4, 4);
	long h2 = handle_duplicate(s[2].h, IPC_RIGHT_SEND | IPC_RIGHT_TRANSFER);
	struct ipc_msg m;

	CHECK(buf && h2 > 0, "mmap, handle_duplicate = %s", ret_name(h2));
	CHECK_RET(bs_give(&s[0], IPC_TAG_MAP | IPC_TAG_WRITE, buf, 4 * P, &m), 0);
	CHECK_RET(bs_give(&s[1], IPC_TAG_MAP, buf + 3 * P, P, &m), 0);
	m = (struct ipc_msg){.tag = IPC_TAG(BS_PASS, 3) | IPC_TAG_HANDLE, .w = {0, P, P},
			     .handle = h2};
	CHECK_RET(ipc_call(s[0].h, &m, WAIT_MS), 0);
	CHECK(m.w[0] == 0 && m.w[1] == checksum(buf + P, P),
	      "S0's map on to S2 = %s, S2's checksum %s", ret_name((long)m.w[0]),
	      m.w[1] == checksum(buf + P, P) ? "same" : "differs");
	buf[P + 1] = 0x42;
	CHECK_RET(bs_call(&s[2], BS_SUM, 0, &m), 0);
	CHECK(m.w[0] == checksum(buf + P, P), "S2 does not see the client's write");
	long n = ipc_revoke(buf, 1);
	CHECK(n == 2, "ipc_revoke(page 0) = %s, expected 2 (S0's mapping, S2's from it)",
	      ret_name(n));
	CHECK_RET(bs_call(&s[1], BS_SUM, 0, &m), 0);
	CHECK(m.w[0] == checksum(buf + 3 * P, P), "S1's page 3 changed or went");
	CHECK_RET(bs_call(&s[2], BS_SUM, 0, &m), -EPIPE);
	s[2].want_sig = SIGSEGV;
	CHECK_RET(bs_call(&s[0], BS_SUM, 0, &m), -EPIPE);
	s[0].want_sig = SIGSEGV;
	CHECK(buf[P + 1] == 0x42 && buf[0] == 4, "the revoker's own pages changed");
	CHECK_RET(ipc_revoke(buf, 4 * P), 1);
	CHECK_RET(bs_call(&s[1], BS_SUM, 0, &m), -EPIPE);
	s[1].want_sig = SIGSEGV;
	CHECK_RET(ipc_revoke(buf, 4 * P), 0);
	unmap_pages(buf, 4);
	return NULL;
}

static const char *test_ipcmem_revoke_fanout(void)
{
	return with_servers(3, revoke_fanout_body);
}

const struct usertest ipcmem_tests[] = {
	{"ipcmem_map_shared", test_ipcmem_map_shared, PAGODA_ONLY},
	{"ipcmem_map_rights", test_ipcmem_map_rights, PAGODA_ONLY},
	{"ipcmem_grant_round_trip", test_ipcmem_grant_round_trip, PAGODA_ONLY},
	{"ipcmem_revoke_fanout", test_ipcmem_revoke_fanout, PAGODA_ONLY},
	{NULL, NULL, 0},
};
