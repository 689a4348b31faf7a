/*
 * ipc.c - usertests: Pagoda's IPC from ring 3 (pagoda/ipc.h, docs/ipc.md):
 * messages of every size, handles passed, duplicated, closed; memory passed
 * by map and grant, read-only mappings, revocation through a chain of three
 * processes; bad handles, rights, tags and memory items; timeouts; servers
 * and callers that die; notifications.
 *
 * Each test forks its servers: a server is a child running serve() on an
 * endpoint it got by fork (fork copies the handle table), while the test
 * keeps only a SEND|DUPLICATE|TRANSFER duplicate, so the child holds the
 * endpoint's only RECEIVE handle and its death makes the endpoint dead
 * (-EPIPE). The test talks to it with calls whose label is an operation
 * (OP_*); the server answers in the reply's words. A server that dies on
 * purpose (SIGSEGV on a revoked or read-only page, OP_DIE) is reaped and
 * its wait status checked. On Linux every call is -ENOSYS: each test skips.
 *
 * Invariants:
 *   [x] a test reaps every child it starts (killing it first when the test
 *       failed) and closes every handle it made;
 *   [x] the test process never blocks without a limit: every wait has
 *       WAIT_MS (a broken kernel fails the test instead of hanging it);
 *   [x] a test that finds the IPC calls missing (-ENOSYS) skips, saying so.
 * Context: the usertests program (usertests.h).
 */
#include <stdbool.h>
#include <sys/auxv.h>

#include "pagoda/ipc.h"
#include "usertests.h"

#define WAIT_MS 20000l          /* the longest any wait of the test process may take */
#define NO_IPC "no Pagoda IPC in this kernel (-ENOSYS)"
#define SERVER_FAILED 60        /* a server's exit status: an IPC call of its own failed */
#define CLIENT_FAILED 61        /* a helper child's exit status: a check failed */
#define H_RIGHTS (IPC_RIGHT_SEND | IPC_RIGHT_DUPLICATE | IPC_RIGHT_TRANSFER)
#define JUNK 0x5a5a5a5a5a5a5a5aull /* put in words past a message's count: never sent */
#define INFO(type, rights) (((long)(type) << 8) | (rights))

/* The operations of serve(): a request's label. */
enum {
	OP_ECHO = 1,   /* reply label OP_ECHO + ECHOED, same count, each word inverted */
	OP_HANDLE,     /* the request carries a handle: keep it; w0 its handle_info, w1 it */
	OP_USE,        /* reply, then send label w0 with word w1 on the kept handle */
	OP_CLOSE,      /* w0 handle_close(kept handle) */
	OP_MAP,        /* a memory item came: check page i's byte 0 is w0 + i, write w1 to byte 1 */
	OP_READ,       /* w0 the byte at mapped + w0 (faults if the mapping is gone) */
	OP_WRITE,      /* write byte w1 at mapped + w0 (faults if read-only) */
	OP_DIE,        /* exit with status w0 without replying */
	OP_SLEEP,      /* sleep w0 ms, then reply; the reply's result is kept */
	OP_LAST,       /* w0 the result of the last separate reply (OP_SLEEP, OP_USE) */
	OP_FORWARD,    /* map what OP_MAP received to the kept handle's server (w0: WRITE?) */
	OP_MPROTECT,   /* w0 mprotect(mapped, length, read + write) */
	OP_COUNT,      /* w0 the messages received so far, this one included */
	OP_QUIT = 0xff /* reply and exit (CHILD_RETURNED) */
};
#define ECHOED 0x100
#define NO_WRITE (~0ull)        /* OP_MAP's w1: do not write */

/* ---- helpers ---------------------------------------------------------------- */

static void __attribute__((noreturn)) child_exit(int code)
{
	sys(SYS_exit_group, code);
	for (;;)
		continue;
}

static void nap(long ms)
{
	struct timespec t = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};

	sys(SYS_nanosleep, &t, NULL);
}

static long now_ms(void)
{
	struct timespec t;

	sys(SYS_clock_gettime, CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* fn(arg) in a child (exit CHILD_RETURNED when it returns); the child's pid or -errno. */
static long start(void (*fn)(long), long arg)
{
	long pid = sys(SYS_fork);

	if (pid == 0) {
		fn(arg);
		child_exit(CHILD_RETURNED);
	}
	return pid;
}

/* The wait status of child pid (>= 0), or -errno. */
static long reap_status(long pid)
{
	int status = 0;
	long r = sys(SYS_wait4, pid, &status, 0, NULL);

	return r == pid ? status : (is_err(r) ? r : -ECHILD);
}

/* A message of label with n words w0.. (the words past n hold JUNK: never sent). */
static struct ipc_msg msg(unsigned label, unsigned n, uint64_t w0, uint64_t w1)
{
	struct ipc_msg m = {.tag = IPC_TAG(label, n)};

	for (int i = 0; i < IPC_WORDS_MAX; i++)
		m.w[i] = JUNK;
	if (n > 0)
		m.w[0] = w0;
	if (n > 1)
		m.w[1] = w1;
	return m;
}

/* ---- the server --------------------------------------------------------------- */

static long kept = 0;           /* OP_HANDLE's handle */
static char *mapped;            /* where OP_MAP's memory landed */
static unsigned long mapped_len;
static long received, last_reply;

/* Answer m (a request) in place; false when the server must stop after replying. */
static bool serve_one(struct ipc_msg *m, bool *replied)
{
	unsigned op = IPC_TAG_LABEL(m->tag), n = IPC_TAG_WORDS(m->tag);
	struct ipc_msg r = msg(0, 4, 0, 0);

	r.w[2] = r.w[3] = 0;
	*replied = false;
	received++;
	switch (op) {
	case OP_ECHO:
		r = msg(OP_ECHO + ECHOED, n, 0, 0);
		for (unsigned i = 0; i < IPC_WORDS_MAX; i++) {
			if (i >= n && m->w[i] != 0) /* past the count: must arrive as 0 */
				r.tag = IPC_TAG(ECHOED + 0x10 + i, n);
			if (i < n)
				r.w[i] = ~m->w[i];
		}
		if (m->badge != sys(SYS_getppid))
			r.tag = IPC_TAG(ECHOED + 0x20, n);
		break;
	case OP_HANDLE:
		kept = (m->tag & IPC_TAG_HANDLE) ? m->handle : -1;
		r.w[0] = handle_info(kept);
		r.w[1] = kept;
		break;
	case OP_USE: {
		struct ipc_msg s = msg((unsigned)m->w[0], 1, m->w[1], 0);

		ipc_reply(&r);
		*replied = true;
		last_reply = ipc_send(kept, &s, WAIT_MS);
		break;
	}
	case OP_CLOSE:
		r.w[0] = handle_close(kept);
		break;
	case OP_MAP:
		mapped = (char *)m->w[4];
		mapped_len = m->w[5];
		r.w[0] = m->w[4];
		r.w[1] = m->w[5];
		r.w[3] = m->tag & (IPC_TAG_MAP | IPC_TAG_GRANT | IPC_TAG_WRITE);
		for (unsigned long i = 0; i < mapped_len / P && !r.w[2]; i++)
			if ((unsigned char)mapped[i * P] != (unsigned char)(m->w[0] + i))
				r.w[2] = i + 1;
		for (unsigned long i = 0; i < mapped_len / P && m->w[1] != NO_WRITE; i++)
			mapped[i * P + 1] = (char)m->w[1];
		break;
	case OP_READ:
		r.w[0] = (unsigned char)mapped[m->w[0]];
		break;
	case OP_WRITE:
		mapped[m->w[0]] = (char)m->w[1];
		break;
	case OP_DIE:
		child_exit((int)m->w[0]);
	case OP_SLEEP:
		nap((long)m->w[0]);
		last_reply = ipc_reply(&r);
		*replied = true;
		break;
	case OP_LAST:
		r.w[0] = last_reply;
		break;
	case OP_FORWARD: {
		struct ipc_msg f = msg(OP_MAP, 6, m->w[1], NO_WRITE);

		f.tag |= IPC_TAG_MAP | (m->w[0] ? IPC_TAG_WRITE : 0);
		f.w[4] = (uint64_t)mapped;
		f.w[5] = mapped_len;
		r.w[0] = ipc_call(kept, &f, WAIT_MS);
		r.w[1] = f.w[2];
		break;
	}
	case OP_MPROTECT:
		r.w[0] = sys(SYS_mprotect, mapped, mapped_len, PROT_READ | PROT_WRITE);
		break;
	case OP_COUNT:
		r.w[0] = received;
		break;
	case OP_QUIT:
		ipc_reply(&r);
		*replied = true;
		return false;
	default:
		r.tag = IPC_TAG(0xbad, 0);
	}
	if (!*replied)
		*m = r;
	return true;
}

/* A server's life: receive on e, answer, until OP_QUIT. */
static void serve(long e)
{
	struct ipc_msg m = {0};
	long r = ipc_recv(e, &m, IPC_FOREVER);
	bool replied;

	for (;;) {
		if (r != 0)
			child_exit(SERVER_FAILED);
		if (!serve_one(&m, &replied))
			return;
		m.handle = 0;
		r = replied ? ipc_recv(e, &m, IPC_FOREVER) : ipc_reply_recv(e, &m, IPC_FOREVER);
	}
}

/* A server that never receives: it holds the endpoint for ms, then exits. */
static void linger(long ms)
{
	nap(ms);
}

struct server {
	long pid;      /* the child */
	long h;        /* the test's handle to its endpoint: H_RIGHTS */
	int want_sig;  /* the child must have been killed by this signal (0: it quits) */
	int want_exit; /* ... or have exited with this status (0: see want_sig) */
};

/*
 * Start fn(e) in a child, e a new endpoint that the child alone can receive
 * on; s->h gets a SEND|DUPLICATE|TRANSFER handle to it. NULL or why not.
 */
static const char *server_start_fn(struct server *s, void (*fn)(long), long arg_ms)
{
	long e = ipc_endpoint_create();

	*s = (struct server){0, 0, 0, 0};
	if (e == -ENOSYS)
		return skip(NO_IPC);
	CHECK(e > 0, "ipc_endpoint_create() = %s", ret_name(e));
	s->pid = fn == linger ? start(fn, arg_ms) : start(fn, e);
	s->h = handle_duplicate(e, H_RIGHTS);
	long c = handle_close(e);
	CHECK(s->pid > 0, "fork = %s", ret_name(s->pid));
	CHECK(s->h > 0 && c == 0, "handle_duplicate = %s, handle_close = %s", ret_name(s->h),
	      ret_name(c));
	return NULL;
}

static const char *server_start(struct server *s)
{
	return server_start_fn(s, serve, 0);
}

/* Call s with op, words a, b; the reply in *out (if not NULL). */
static long call(struct server *s, unsigned op, uint64_t a, uint64_t b, struct ipc_msg *out)
{
	struct ipc_msg m = msg(op, 2, a, b);
	long r = ipc_call(s->h, &m, WAIT_MS);

	if (out)
		*out = m;
	return r;
}

/*
 * End the test with s: when why (the test's result) is NULL, ask the server
 * to quit (unless it should have died) and check how it ended; else kill it.
 * Reaps it, closes s->h; returns the test's result.
 */
static const char *server_stop(struct server *s, const char *why)
{
	if (s->pid <= 0)
		return why;
	if (why) {
		sys(SYS_kill, s->pid, SIGKILL);
		reap_status(s->pid);
		handle_close(s->h);
		return why;
	}
	long q = 0;
	if (!s->want_sig && !s->want_exit)
		q = call(s, OP_QUIT, 0, 0, NULL);
	long status = reap_status(s->pid);
	handle_close(s->h);
	CHECK(q == 0, "the server's OP_QUIT call = %s", ret_name(q));
	if (s->want_sig)
		return expect_killed(status, s->want_sig, "the server");
	if (s->want_exit)
		CHECK(!is_err(status) && WIFEXITED(status) && WEXITSTATUS(status) == s->want_exit,
		      "the server %s, expected exited with status %d", status_name(status),
		      s->want_exit);
	return s->want_exit ? NULL : expect_returned(status, "the server");
}

/* A test of one server: start it, run body with it, stop it. */
static const char *with_server(const char *(*body)(struct server *))
{
	struct server s;
	const char *why = server_start(&s);

	return why ? why : server_stop(&s, body(&s));
}

/* A fresh endpoint in *e, or a skip where there is no IPC. */
#define NEW_ENDPOINT(e)                                                                  \
	long e = ipc_endpoint_create();                                                  \
	if (e == -ENOSYS)                                                                \
		return skip(NO_IPC);                                                     \
	CHECK(e > 0, "line %d: ipc_endpoint_create() = %s", __LINE__, ret_name(e))

/* ---- messages ---------------------------------------------------------------- */

/* Calls of every size 0..6; each reply has the same count and the words inverted. */
static const char *pingpong_body(struct server *s)
{
	for (unsigned n = 0; n <= IPC_WORDS_MAX; n++) {
		struct ipc_msg m = msg(OP_ECHO, n, 0, 0);

		for (unsigned i = 0; i < n; i++)
			m.w[i] = 0x1111111111111111ull * (i + 1) + n;
		struct ipc_msg sent = m;
		long r = ipc_call(s->h, &m, WAIT_MS);
		CHECK(r == 0, "call with %u words = %s", n, ret_name(r));
		CHECK(IPC_TAG_LABEL(m.tag) == OP_ECHO + ECHOED,
		      "%u words: the server saw a wrong message (reply label %#x: 0x11x word x "
		      "past the count not 0, 0x120 badge not our pid)", n, IPC_TAG_LABEL(m.tag));
		CHECK(IPC_TAG_WORDS(m.tag) == n, "%u words: the reply has %u", n, IPC_TAG_WORDS(m.tag));
		CHECK((m.tag & ~(IPC_TAG_LABEL_MASK | IPC_TAG_WORDS_MASK)) == 0,
		      "%u words: the reply's tag has flags: %#llx", n, (unsigned long long)m.tag);
		CHECK(m.badge == s->pid, "%u words: reply badge %ld, expected the server's pid %ld",
		      n, (long)m.badge, s->pid);
		for (unsigned i = 0; i < IPC_WORDS_MAX; i++) {
			uint64_t want = i < n ? ~sent.w[i] : 0;
			CHECK(m.w[i] == want, "%u words: reply word %u = %#llx, expected %#llx", n, i,
			      (unsigned long long)m.w[i], (unsigned long long)want);
		}
		CHECK(m.handle == 0, "%u words: a handle %ld came back", n, (long)m.handle);
	}
	return NULL;
}

static const char *test_ipc_pingpong_sizes(void)
{
	return with_server(pingpong_body);
}

/* A child sending 7 messages of 0..6 words to endpoint e. */
static void send_sizes(long e)
{
	for (unsigned n = 0; n <= IPC_WORDS_MAX; n++) {
		struct ipc_msg m = msg(40 + n, n, 0, 0);

		for (unsigned i = 0; i < n; i++)
			m.w[i] = (uint64_t)(n * 10 + i) << 40 | i;
		if (ipc_send(e, &m, WAIT_MS) != 0)
			child_exit(CLIENT_FAILED);
	}
}

static const char *recv_sizes(long e, long pid)
{
	for (unsigned n = 0; n <= IPC_WORDS_MAX; n++) {
		struct ipc_msg m = msg(0, IPC_WORDS_MAX, JUNK, JUNK);
		long r = ipc_recv(e, &m, WAIT_MS);

		CHECK(r == 0, "message %u: ipc_recv = %s", n, ret_name(r));
		CHECK(m.tag == IPC_TAG(40 + n, n), "message %u: tag %#llx", n,
		      (unsigned long long)m.tag);
		CHECK(m.badge == pid, "message %u: badge %ld, expected %ld", n, (long)m.badge, pid);
		for (unsigned i = 0; i < IPC_WORDS_MAX; i++) {
			uint64_t want = i < n ? ((uint64_t)(n * 10 + i) << 40 | i) : 0;
			CHECK(m.w[i] == want, "message %u: word %u = %#llx, expected %#llx", n, i,
			      (unsigned long long)m.w[i], (unsigned long long)want);
		}
	}
	return NULL;
}

static const char *test_ipc_send_recv_sizes(void)
{
	NEW_ENDPOINT(e);
	long pid = start(send_sizes, e);
	const char *why = pid > 0 ? recv_sizes(e, pid) : fail("fork = %s", ret_name(pid));

	if (why && pid > 0)
		sys(SYS_kill, pid, SIGKILL);
	long status = pid > 0 ? reap_status(pid) : 0;
	handle_close(e);
	return why ? why : expect_returned(status, "the sender");
}

/* ---- handles ---------------------------------------------------------------- */

static const char *handle_pass_body(struct server *s)
{
	NEW_ENDPOINT(e2); /* made after the fork: the server does not hold it */
	long d = handle_duplicate(e2, IPC_RIGHT_SEND | IPC_RIGHT_TRANSFER);
	struct ipc_msg m = msg(OP_HANDLE, 0, 0, 0);

	CHECK(d > 0, "handle_duplicate(SEND|TRANSFER) = %s", ret_name(d));
	m.tag |= IPC_TAG_HANDLE;
	m.handle = d;
	CHECK_RET(ipc_call(s->h, &m, WAIT_MS), 0);
	CHECK(m.w[0] == INFO(IPC_TYPE_ENDPOINT, IPC_RIGHT_SEND | IPC_RIGHT_TRANSFER),
	      "the server's handle_info of the handle it got = %s (handle %ld)",
	      ret_name((long)m.w[0]), (long)m.w[1]);
	CHECK_RET(handle_info(d), -EBADF); /* it moved: the sender lost it */
	struct ipc_msg got;
	CHECK_RET(call(s, OP_USE, 77, 0xabc, NULL), 0);
	got = msg(0, 0, 0, 0);
	CHECK_RET(ipc_recv(e2, &got, WAIT_MS), 0);
	CHECK(got.tag == IPC_TAG(77, 1) && got.w[0] == 0xabc && got.badge == s->pid,
	      "through the passed handle: tag %#llx word %#llx badge %ld",
	      (unsigned long long)got.tag, (unsigned long long)got.w[0], (long)got.badge);
	CHECK_RET(call(s, OP_CLOSE, 0, 0, &m), 0);
	CHECK_RET(m.w[0], 0);
	/* Without TRANSFER: refused, and the handle stays the sender's. */
	long d2 = handle_duplicate(e2, IPC_RIGHT_SEND);
	m = msg(OP_HANDLE, 0, 0, 0);
	m.tag |= IPC_TAG_HANDLE;
	m.handle = d2;
	CHECK_RET(ipc_call(s->h, &m, WAIT_MS), -EPERM);
	CHECK_RET(handle_info(d2), INFO(IPC_TYPE_ENDPOINT, IPC_RIGHT_SEND));
	CHECK_RET(call(s, OP_COUNT, 0, 0, &m), 0);
	CHECK(m.w[0] == 4, "the server received %ld messages, expected 4 (the refused one "
	      "must not arrive)", (long)m.w[0]);
	CHECK_RET(handle_close(d2), 0);
	CHECK_RET(handle_close(e2), 0);
	return NULL;
}

static const char *test_ipc_handle_pass(void)
{
	return with_server(handle_pass_body);
}

static const char *test_ipc_handle_rights(void)
{
	NEW_ENDPOINT(e);
	long n = ipc_notification_create();
	CHECK(n > 0, "ipc_notification_create() = %s", ret_name(n));
	CHECK_RET(handle_info(e), INFO(IPC_TYPE_ENDPOINT, IPC_RIGHTS_ALL));
	CHECK_RET(handle_info(n), INFO(IPC_TYPE_NOTIFICATION, IPC_RIGHTS_ALL));
	long s = handle_duplicate(e, IPC_RIGHT_SEND);
	long sd = handle_duplicate(e, IPC_RIGHT_SEND | IPC_RIGHT_DUPLICATE);
	long r = handle_duplicate(e, IPC_RIGHT_RECEIVE);
	CHECK(s > 0 && sd > 0 && r > 0, "handle_duplicate = %s, %s, %s", ret_name(s), ret_name(sd),
	      ret_name(r));
	CHECK_RET(handle_info(s), INFO(IPC_TYPE_ENDPOINT, IPC_RIGHT_SEND));
	struct ipc_msg m = msg(1, 1, 5, 0);
	CHECK_RET(ipc_recv(s, &m, 0), -EPERM);      /* SEND only: no receive */
	CHECK_RET(ipc_send(r, &m, 0), -EPERM);      /* RECEIVE only: no send */
	CHECK_RET(ipc_call(r, &m, 0), -EPERM);
	CHECK_RET(handle_duplicate(s, IPC_RIGHT_SEND), -EPERM); /* no DUPLICATE */
	CHECK_RET(handle_duplicate(sd, IPC_RIGHT_SEND | IPC_RIGHT_RECEIVE), -EPERM); /* more */
	long ns = handle_duplicate(n, IPC_RIGHT_SEND), nr = handle_duplicate(n, IPC_RIGHT_RECEIVE);
	uint64_t bits = 0;
	CHECK(ns > 0 && nr > 0, "handle_duplicate(notification) = %s, %s", ret_name(ns),
	      ret_name(nr));
	CHECK_RET(ipc_notify_wait(ns, &bits, 0), -EPERM);
	CHECK_RET(ipc_notify(nr, 1), -EPERM);
	/* Closed, never made, not a handle: -EBADF everywhere. */
	CHECK_RET(handle_close(s), 0);
	CHECK_RET(handle_close(s), -EBADF);
	CHECK_RET(handle_info(s), -EBADF);
	CHECK_RET(ipc_send(s, &m, 0), -EBADF);
	CHECK_RET(ipc_call(s, &m, 0), -EBADF);
	CHECK_RET(handle_duplicate(s, IPC_RIGHT_SEND), -EBADF);
	for (long bad = -1; bad <= 2; bad++) {
		CHECK_RET(ipc_recv(bad, &m, 0), -EBADF);
		CHECK_RET(handle_close(bad), -EBADF);
	}
	CHECK_RET(ipc_notify(s, 1), -EBADF);
	CHECK(m.tag == IPC_TAG(1, 1) && m.w[0] == 5, "a failed call changed the message");
	long all[] = {sd, r, ns, nr, e, n};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		CHECK(handle_close(all[i]) == 0, "handle_close(%ld) failed", all[i]);
	return NULL;
}

static long copied_send; /* test_ipc_fork_copies_handles's second handle, for the child */

/* In the child: the handles the parent made are there, with their rights. */
static void check_copied(long e)
{
	if (handle_info(e) != INFO(IPC_TYPE_ENDPOINT, IPC_RIGHTS_ALL) ||
	    handle_info(copied_send) != INFO(IPC_TYPE_ENDPOINT, IPC_RIGHT_SEND) ||
	    handle_close(e) != 0)
		child_exit(CLIENT_FAILED);
}

static const char *test_ipc_fork_copies_handles(void)
{
	NEW_ENDPOINT(e);
	copied_send = handle_duplicate(e, IPC_RIGHT_SEND);
	const char *why = expect_returned(child_status(check_copied, e),
					  "the child checking its copies (same numbers, same rights)");

	if (!why && handle_info(e) != INFO(IPC_TYPE_ENDPOINT, IPC_RIGHTS_ALL))
		why = fail("the child's close closed the parent's handle"); /* ours stays */
	handle_close(copied_send);
	handle_close(e);
	return why;
}

/* ---- bad messages ---------------------------------------------------------------- */

/* NULL if s received no message before this check's own (failed calls deliver nothing). */
static const char *nothing_arrived(struct server *s)
{
	struct ipc_msg m;

	CHECK_RET(call(s, OP_COUNT, 0, 0, &m), 0);
	CHECK(m.w[0] == 1, "the server received %ld messages, expected only this check",
	      (long)m.w[0] - 1);
	return NULL;
}

static const char *bad_tags_body(struct server *s)
{
	static const uint64_t tags[] = {
		IPC_TAG(OP_ECHO, 7), IPC_TAG(OP_ECHO, 15), IPC_TAG(OP_ECHO, 2) | (1ull << 41),
		IPC_TAG(OP_ECHO, 2) | (1ull << 63),
		IPC_TAG(OP_ECHO, 6) | IPC_TAG_MAP | IPC_TAG_GRANT,
		IPC_TAG(OP_ECHO, 4) | IPC_TAG_MAP, IPC_TAG(OP_ECHO, 5) | IPC_TAG_GRANT,
		IPC_TAG(OP_ECHO, 2) | IPC_TAG_HANDLE, /* r14 = 0: no handle */
	};
	char *page = map_pages(1, PROT_READ | PROT_WRITE);

	CHECK(page, "mmap failed");
	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		struct ipc_msg m = msg(0, IPC_WORDS_MAX, 1, 2);
		m.tag = tags[i];
		m.w[4] = (uint64_t)page;
		m.w[5] = P;
		m.handle = 0;
		long r = ipc_call(s->h, &m, WAIT_MS);
		CHECK(r == -EINVAL, "a call with tag %#llx = %s, expected -EINVAL",
		      (unsigned long long)tags[i], ret_name(r));
		CHECK(m.tag == tags[i], "a failed call changed the message");
		m.tag = tags[i];
		CHECK_RET(ipc_send(s->h, &m, 0), -EINVAL);
	}
	unmap_pages(page, 1);
	return nothing_arrived(s);
}

static const char *test_ipc_bad_tags(void)
{
	return with_server(bad_tags_body);
}

/* A call carrying [addr, addr + len) by map (or grant); its result. */
static long send_memory(struct server *s, uint64_t flags, const void *addr, unsigned long len,
			unsigned seed, uint64_t write, struct ipc_msg *out)
{
	struct ipc_msg m = msg(OP_MAP, 6, seed, write);

	m.tag |= flags;
	m.w[4] = (uint64_t)addr;
	m.w[5] = len;
	long r = ipc_call(s->h, &m, WAIT_MS);
	if (out)
		*out = m;
	return r;
}

static const char *bad_ranges_body(struct server *s)
{
	char *tail, *two = straddle(0, &tail);
	char *gone = unmapped_page();

	CHECK(two && gone, "mmap failed");
	two[0] = 42;
	/* Not the sender's to reach: -EFAULT; unaligned or empty: -EINVAL (a malformed item). */
	const struct { const void *a; unsigned long len; long err; } bad[] = {
		{gone, P, -EFAULT}, {two, 2 * P, -EFAULT},
		{(void *)KERNEL_ADDR, P, -EFAULT}, {(void *)(NONCANONICAL - P), 2 * P, -EFAULT},
		{(void *)NONCANONICAL, P, -EFAULT}, {two, ~0ul & ~(P - 1), -EFAULT},
		{(void *)0, P, -EFAULT}, {two + 1, P, -EINVAL}, {two, P - 1, -EINVAL},
		{two, 0, -EINVAL},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		long r = send_memory(s, IPC_TAG_MAP, bad[i].a, bad[i].len, 0, NO_WRITE, NULL);
		CHECK(r == bad[i].err, "map of [%p, +%#lx) = %s, expected %s", bad[i].a,
		      bad[i].len, ret_name(r), ret_name(bad[i].err));
		r = send_memory(s, IPC_TAG_GRANT | IPC_TAG_WRITE, bad[i].a, bad[i].len, 0,
				NO_WRITE, NULL);
		CHECK(r == bad[i].err, "grant of [%p, +%#lx) = %s, expected %s", bad[i].a,
		      bad[i].len, ret_name(r), ret_name(bad[i].err));
	}
	CHECK(two[0] == 42, "a failed grant took the sender's page");
	unmap_pages(two, 1);
	return nothing_arrived(s);
}

static const char *test_ipc_bad_ranges(void)
{
	return with_server(bad_ranges_body);
}

/* ---- memory ---------------------------------------------------------------- */

/* n pages, page i's byte 0 = seed + i. */
static char *filled(long n, unsigned seed, int prot)
{
	char *a = map_pages(n, PROT_READ | PROT_WRITE);

	for (long i = 0; a && i < n; i++)
		a[i * P] = (char)(seed + i);
	if (a && prot != (PROT_READ | PROT_WRITE))
		sys(SYS_mprotect, a, n * P, prot);
	return a;
}

static const char *map_body(struct server *s)
{
	char *a = filled(2, 10, PROT_READ | PROT_WRITE);
	struct ipc_msg m;

	CHECK(a, "mmap failed");
	CHECK_RET(send_memory(s, IPC_TAG_MAP | IPC_TAG_WRITE, a, 2 * P, 10, 0x5e, &m), 0);
	CHECK(m.w[2] == 0, "the receiver saw wrong bytes on page %ld", (long)m.w[2] - 1);
	CHECK(m.w[1] == 2 * P && m.w[0] && m.w[0] % P == 0,
	      "the receiver got [%#llx, +%#llx), expected 2 pages", (unsigned long long)m.w[0],
	      (unsigned long long)m.w[1]);
	CHECK(m.w[3] == (IPC_TAG_MAP | IPC_TAG_WRITE), "the receiver's tag flags %#llx",
	      (unsigned long long)m.w[3]);
	CHECK(a[1] == 0x5e && a[P + 1] == 0x5e, "the receiver's writes are not visible here");
	a[2] = 0x33;
	a[P + 3] = 0x44;
	CHECK_RET(call(s, OP_READ, 2, 0, &m), 0);
	CHECK_RET(m.w[0], 0x33);
	CHECK_RET(call(s, OP_READ, P + 3, 0, &m), 0);
	CHECK_RET(m.w[0], 0x44);
	CHECK_RET(call(s, OP_WRITE, P + 5, 0x77, NULL), 0);
	CHECK(a[P + 5] == 0x77, "the receiver's write of page 1 is not visible here");
	unmap_pages(a, 2);
	return NULL;
}

static const char *test_ipc_map(void)
{
	return with_server(map_body);
}

/* Read-only: the receiver reads, may not mprotect it writable, dies writing. */
static const char *map_readonly_body(struct server *s)
{
	char *ro = filled(1, 20, PROT_READ);
	char *rw = filled(1, 30, PROT_READ | PROT_WRITE);
	struct ipc_msg m;

	CHECK(ro && rw, "mmap failed");
	CHECK_RET(send_memory(s, IPC_TAG_MAP | IPC_TAG_WRITE, ro, P, 20, NO_WRITE, NULL), -EACCES);
	CHECK_RET(send_memory(s, IPC_TAG_MAP, rw, P, 30, NO_WRITE, &m), 0);
	CHECK(m.w[2] == 0 && m.w[3] == IPC_TAG_MAP, "read-only map: bad page %ld, flags %#llx",
	      (long)m.w[2] - 1, (unsigned long long)m.w[3]);
	CHECK_RET(call(s, OP_MPROTECT, 0, 0, &m), 0);
	CHECK_RET(m.w[0], -EACCES);
	rw[7] = 0x12;
	CHECK_RET(call(s, OP_READ, 7, 0, &m), 0);
	CHECK_RET(m.w[0], 0x12);
	CHECK_RET(call(s, OP_WRITE, 7, 0x99, NULL), -EPIPE); /* killed in the call */
	s->want_sig = SIGSEGV;
	CHECK(rw[7] == 0x12, "a write through a read-only mapping landed");
	unmap_pages(ro, 1);
	unmap_pages(rw, 1);
	return NULL;
}

static const char *test_ipc_map_readonly(void)
{
	return with_server(map_readonly_body);
}

static void touch_read(long addr)
{
	*(volatile char *)addr;
}

static const char *grant_body(struct server *s)
{
	char *a = filled(2, 50, PROT_READ | PROT_WRITE);
	struct ipc_msg m;

	CHECK(a, "mmap failed");
	CHECK_RET(send_memory(s, IPC_TAG_GRANT | IPC_TAG_WRITE, a, 2 * P, 50, 0x6b, &m), 0);
	CHECK(m.w[2] == 0 && m.w[1] == 2 * P, "grant: the receiver saw page %ld wrong, %#llx bytes",
	      (long)m.w[2] - 1, (unsigned long long)m.w[1]);
	CHECK(m.w[3] == (IPC_TAG_GRANT | IPC_TAG_WRITE), "the receiver's tag flags %#llx",
	      (unsigned long long)m.w[3]);
	const char *why = expect_killed(child_status(touch_read, (long)a), SIGSEGV,
					"reading page 0 after granting it");
	if (!why)
		why = expect_killed(child_status(touch_read, (long)a + P + 1), SIGSEGV,
				    "reading page 1 after granting it");
	if (why)
		return why;
	CHECK_RET(call(s, OP_READ, P + 1, 0, &m), 0); /* the receiver's own now */
	CHECK_RET(m.w[0], 0x6b);
	CHECK_RET(call(s, OP_READ, P, 0, &m), 0);
	CHECK_RET(m.w[0], 51);
	return NULL;
}

static const char *test_ipc_grant(void)
{
	return with_server(grant_body);
}

/*
 * We map a page to B, B maps its mapping on to C; our revoke takes both: B
 * and C fault on it (killed in the call: -EPIPE), our own page stays.
 */
static const char *revoke_body(struct server *b, struct server *c)
{
	char *a = filled(1, 70, PROT_READ | PROT_WRITE);
	long d = handle_duplicate(c->h, IPC_RIGHT_SEND | IPC_RIGHT_TRANSFER);
	struct ipc_msg m = msg(OP_HANDLE, 0, 0, 0);

	CHECK(a && d > 0, "mmap, handle_duplicate = %s", ret_name(d));
	m.tag |= IPC_TAG_HANDLE;
	m.handle = d;
	CHECK_RET(ipc_call(b->h, &m, WAIT_MS), 0); /* B now holds a handle to C */
	CHECK_RET(send_memory(b, IPC_TAG_MAP | IPC_TAG_WRITE, a, P, 70, NO_WRITE, &m), 0);
	CHECK(m.w[2] == 0, "B saw the wrong byte");
	CHECK_RET(call(b, OP_FORWARD, 0, 70, &m), 0);
	CHECK(m.w[0] == 0 && m.w[1] == 0, "B's map on to C = %s, C saw page %ld wrong",
	      ret_name((long)m.w[0]), (long)m.w[1] - 1);
	a[9] = 0x19;
	CHECK_RET(call(c, OP_READ, 9, 0, &m), 0);
	CHECK(m.w[0] == 0x19, "C reads %#llx through the derived mapping, expected 0x19",
	      (unsigned long long)m.w[0]);
	long n = ipc_revoke(a, P);
	CHECK(n == 2, "ipc_revoke = %s, expected 2 (B's mapping and C's)", ret_name(n));
	CHECK(a[9] == 0x19 && a[0] == 70, "the revoker's own page changed");
	a[9] = 0x20;
	CHECK_RET(call(c, OP_READ, 9, 0, &m), -EPIPE);
	c->want_sig = SIGSEGV;
	CHECK_RET(call(b, OP_READ, 9, 0, &m), -EPIPE);
	b->want_sig = SIGSEGV;
	CHECK_RET(ipc_revoke(a, P), 0);
	unmap_pages(a, 1);
	return NULL;
}

static const char *test_ipc_revoke_chain(void)
{
	struct server b, c;
	const char *why = server_start(&c);

	if (why)
		return why;
	why = server_start(&b);
	if (why)
		return server_stop(&c, why);
	why = revoke_body(&b, &c);
	why = server_stop(&b, why);
	return server_stop(&c, why);
}

/* ---- timeouts, deaths ---------------------------------------------------------- */

static const char *test_ipc_timeouts(void)
{
	NEW_ENDPOINT(e);
	long n = ipc_notification_create();
	struct ipc_msg m = msg(1, 0, 0, 0);
	uint64_t bits;
	const char *why = NULL;
	long t0 = now_ms(), r;

	/* Nobody at the other end (the test holds RECEIVE itself, but waits elsewhere). */
	if ((r = ipc_recv(e, &m, 0)) != -ETIMEDOUT || (r = ipc_send(e, &m, 0)) != -ETIMEDOUT ||
	    (r = ipc_call(e, &m, 0)) != -ETIMEDOUT || (r = ipc_notify_wait(n, &bits, 0)) != -ETIMEDOUT)
		why = fail("a timeout of 0 gave %s, expected -ETIMEDOUT", ret_name(r));
	else if (now_ms() - t0 > 1000)
		why = fail("timeouts of 0 took %ld ms", now_ms() - t0);
	for (int i = 0; i < 3 && !why; i++) {
		t0 = now_ms();
		r = i == 0 ? ipc_recv(e, &m, 100) : i == 1 ? ipc_call(e, &m, 100)
							    : ipc_notify_wait(n, &bits, 100);
		long took = now_ms() - t0;
		if (r != -ETIMEDOUT || took < 90 || took > 5000)
			why = fail("%s with a 100 ms limit = %s after %ld ms",
				   i == 0 ? "ipc_recv" : i == 1 ? "ipc_call" : "ipc_notify_wait",
				   ret_name(r), took);
	}
	handle_close(n);
	handle_close(e);
	return why;
}

/* The server takes the call, then sleeps past the caller's limit: the caller detaches. */
static const char *call_timeout_body(struct server *s)
{
	struct ipc_msg m = msg(OP_SLEEP, 2, 300, 0);
	long t0 = now_ms();

	CHECK_RET(ipc_call(s->h, &m, 100), -ETIMEDOUT);
	CHECK(now_ms() - t0 < 290, "the call's limit was not kept: %ld ms", now_ms() - t0);
	CHECK_RET(call(s, OP_LAST, 0, 0, &m), 0);
	CHECK(m.w[0] == (uint64_t)-EPIPE, "the late reply = %s, expected -EPIPE",
	      ret_name((long)m.w[0]));
	return NULL;
}

static const char *test_ipc_call_timeout(void)
{
	return with_server(call_timeout_body);
}

static const char *server_dies_body(struct server *s)
{
	struct ipc_msg m;

	CHECK_RET(call(s, OP_ECHO, 1, 2, NULL), 0);
	CHECK_RET(call(s, OP_DIE, 9, 0, &m), -EPIPE);
	s->want_exit = 9;
	nap(50);
	/* Dead: its endpoint has no receiver left; every later send and call fails. */
	m = msg(OP_ECHO, 1, 1, 0);
	CHECK_RET(ipc_call(s->h, &m, WAIT_MS), -EPIPE);
	CHECK_RET(ipc_send(s->h, &m, WAIT_MS), -EPIPE);
	CHECK_RET(ipc_send(s->h, &m, 0), -EPIPE);
	return NULL;
}

static const char *test_ipc_server_dies(void)
{
	return with_server(server_dies_body);
}

/* Callers blocked on an endpoint whose only receiver exits without receiving: -EPIPE. */
static const char *test_ipc_receiver_exits(void)
{
	struct server s;
	const char *why = server_start_fn(&s, linger, 300);

	if (why)
		return why;
	struct ipc_msg m = msg(OP_ECHO, 1, 1, 0);
	long r = ipc_call(s.h, &m, WAIT_MS);
	if (r != -EPIPE)
		return server_stop(&s, fail("a call pending when the receiver exited = %s, "
					    "expected -EPIPE", ret_name(r)));
	r = ipc_send(s.h, &m, WAIT_MS);
	if (r != -EPIPE)
		return server_stop(&s, fail("a send to the dead endpoint = %s", ret_name(r)));
	s.want_exit = CHILD_RETURNED;
	return server_stop(&s, NULL);
}

/* A client child calling OP_SLEEP: killed while the server holds its call. */
static void sleepy_client(long h)
{
	struct ipc_msg m = msg(OP_SLEEP, 2, 300, 0);

	ipc_call(h, &m, IPC_FOREVER);
	child_exit(CLIENT_FAILED);
}

static const char *caller_dies_body(struct server *s)
{
	long pid = start(sleepy_client, s->h);
	struct ipc_msg m;

	CHECK(pid > 0, "fork = %s", ret_name(pid));
	nap(100);
	sys(SYS_kill, pid, SIGKILL);
	const char *why = expect_killed(reap_status(pid), SIGKILL, "the client");
	if (why)
		return why;
	CHECK_RET(call(s, OP_LAST, 0, 0, &m), 0);
	CHECK(m.w[0] == (uint64_t)-EPIPE, "the reply to a dead caller = %s, expected -EPIPE",
	      ret_name((long)m.w[0]));
	return NULL;
}

static const char *test_ipc_caller_dies(void)
{
	return with_server(caller_dies_body);
}

/* ---- notifications ---------------------------------------------------------------- */

/* In a child: wait until bits 0x12 arrived (in one or two waits), nothing else. */
static void wait_bits(long n)
{
	uint64_t acc = 0, bits;

	while (acc != 0x12) {
		if (ipc_notify_wait(n, &bits, WAIT_MS) != 0 || (bits & ~0x12ull) || !bits)
			child_exit(CLIENT_FAILED);
		acc |= bits;
	}
}

static const char *test_ipc_notifications(void)
{
	long n = ipc_notification_create();
	uint64_t bits = 0;

	if (n == -ENOSYS)
		return skip(NO_IPC);
	CHECK(n > 0, "ipc_notification_create() = %s", ret_name(n));
	CHECK_RET(ipc_notify(n, 1), 0);
	CHECK_RET(ipc_notify(n, 4), 0);
	CHECK_RET(ipc_notify(n, 1), 0);
	CHECK_RET(ipc_notify_wait(n, &bits, 0), 0);
	CHECK(bits == 5, "bits %#llx, expected 0x5 (1 | 4 | 1)", (unsigned long long)bits);
	CHECK_RET(ipc_notify_wait(n, &bits, 0), -ETIMEDOUT); /* the wait cleared them */
	long pid = start(wait_bits, n);
	CHECK(pid > 0, "fork = %s", ret_name(pid));
	nap(50);
	long r1 = ipc_notify(n, 0x10), r2 = ipc_notify(n, 0x02);
	const char *why = expect_returned(reap_status(pid), "the child waiting for 0x12");
	handle_close(n);
	if (why)
		return why;
	CHECK(r1 == 0 && r2 == 0, "ipc_notify = %s, %s", ret_name(r1), ret_name(r2));
	return NULL;
}

/* Started from the shell: a handle to the name server, in the auxiliary vector. */
static const char *test_ipc_nameserver_handle(void)
{
	long probe = ipc_notification_create();

	if (probe == -ENOSYS)
		return skip(NO_IPC);
	handle_close(probe);
	long h = (long)getauxval(AT_PAGODA_NAMESERVER);
	CHECK(h > 0, "auxv AT_PAGODA_NAMESERVER = %ld, expected a handle", h);
	long info = handle_info(h);
	CHECK(!is_err(info) && info >> 8 == IPC_TYPE_ENDPOINT && (info & IPC_RIGHT_SEND) &&
	      !(info & IPC_RIGHT_RECEIVE), "handle_info(name server %ld) = %s", h, ret_name(info));
	return NULL;
}

const struct usertest ipc_tests[] = {
	{"ipc_pingpong_sizes", test_ipc_pingpong_sizes, PAGODA_ONLY},
	{"ipc_send_recv_sizes", test_ipc_send_recv_sizes, PAGODA_ONLY},
	{"ipc_handle_pass", test_ipc_handle_pass, PAGODA_ONLY},
	{"ipc_handle_rights", test_ipc_handle_rights, PAGODA_ONLY},
	{"ipc_fork_copies_handles", test_ipc_fork_copies_handles, PAGODA_ONLY},
	{"ipc_bad_tags", test_ipc_bad_tags, PAGODA_ONLY},
	{"ipc_bad_ranges", test_ipc_bad_ranges, PAGODA_ONLY},
	{"ipc_map", test_ipc_map, PAGODA_ONLY},
	{"ipc_map_readonly", test_ipc_map_readonly, PAGODA_ONLY},
	{"ipc_grant", test_ipc_grant, PAGODA_ONLY},
	{"ipc_revoke_chain", test_ipc_revoke_chain, PAGODA_ONLY},
	{"ipc_timeouts", test_ipc_timeouts, PAGODA_ONLY},
	{"ipc_call_timeout", test_ipc_call_timeout, PAGODA_ONLY},
	{"ipc_server_dies", test_ipc_server_dies, PAGODA_ONLY},
	{"ipc_receiver_exits", test_ipc_receiver_exits, PAGODA_ONLY},
	{"ipc_caller_dies", test_ipc_caller_dies, PAGODA_ONLY},
	{"ipc_notifications", test_ipc_notifications, PAGODA_ONLY},
	{"ipc_nameserver_handle", test_ipc_nameserver_handle, PAGODA_ONLY},
	{NULL, NULL, 0},
};
