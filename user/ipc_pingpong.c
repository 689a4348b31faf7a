/*
 * ipc_pingpong.c - the IPC core's own check: a client and the server it
 * forks talk over one endpoint (pagoda/ipc.h).
 *
 * First the name server's handle the shell gave it (auxv
 * AT_PAGODA_NAMESERVER: SEND, DUPLICATE, TRANSFER), kept across execve
 * (0 in the new image's auxv once it was closed). The parent makes an
 * endpoint and forks: the child (which got a copy of
 * the handle, RECEIVE included) serves it in an ipc_recv / ipc_reply_recv
 * loop; the parent keeps only a SEND duplicate, so the endpoint dies with
 * the server. The client then checks: a call with every word count 0..6
 * (words past the count arrive as 0, the reply's badge is the server's
 * pid), a one-way send, a handle passed both ways (the sender loses it),
 * a call timing out while the server is slow (the server's late reply
 * gets -EPIPE), receive and call timeouts (0 and 50 ms), a receive
 * interrupted by a signal (-EINTR), bad handles, rights and tags, a
 * memory item (whatever mm/share.c answers), and last the server dying
 * during a call: that call and every later one fail with -EPIPE.
 *
 * `ipc_pingpong stress` races clients, timeouts and a killed server
 * (stress() below).
 *
 * Invariants:
 *   [x] prints "ipc_pingpong: N checks passed" and exits 0 only when
 *       every check passed; each failure prints one "FAIL" line.
 * Context: `run ipc_pingpong` in the Pagoda shell
 * (tests/integration/test_ipc_core.py); on Linux every call is -ENOSYS.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pagoda/ipc.h"

enum {
	OP_ECHO = 100,   /* reply: label + 1, same words each + 1; label 0xbad if words leaked */
	OP_ONEWAY = 200, /* a send: no reply */
	OP_HANDLE = 300, /* a notification arrives: notify it 5, send it back */
	OP_SLOW = 400,   /* reply after 300 ms (the caller has timed out) */
	OP_STATUS = 500, /* reply word 0: the slow reply's result; word 1: one-way seen */
	OP_DIE = 600,    /* exit without replying */
};

static int checks, failures;

#define CHECK(cond, ...)                                                   \
	do {                                                               \
		checks++;                                                  \
		if (!(cond)) {                                             \
			failures++;                                        \
			printf("ipc_pingpong: FAIL line %d: ", __LINE__); \
			printf(__VA_ARGS__);                               \
			printf("\n");                                      \
		}                                                          \
	} while (0)

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* The server: answer on ep until told to die. */
static __attribute__((noreturn)) void serve(long ep)
{
	struct ipc_msg m = {0};
	long slow_reply = 1, oneway = 0;
	long r = ipc_recv(ep, &m, IPC_FOREVER);

	for (;;) {
		if (r < 0) {
			printf("ipc_pingpong: server: receive failed %ld\n", r);
			_exit(2);
		}
		unsigned label = IPC_TAG_LABEL(m.tag), n = IPC_TAG_WORDS(m.tag);
		switch (label) {
		case OP_ONEWAY:
			oneway = (long)m.w[0];
			break;
		case OP_HANDLE: {
			long h = m.handle;
			long info = handle_info(h);
			ipc_notify(h, 5);
			m = (struct ipc_msg){.tag = IPC_TAG(0, 1) | IPC_TAG_HANDLE, .w = {info}, .handle = h};
			break;
		}
		case OP_SLOW:
			sleep_ms(300);
			m = (struct ipc_msg){.tag = IPC_TAG(0, 0)};
			slow_reply = ipc_reply(&m);
			r = ipc_recv(ep, &m, IPC_FOREVER);
			continue;
		case OP_STATUS:
			m = (struct ipc_msg){.tag = IPC_TAG(0, 2), .w = {(uint64_t)slow_reply, (uint64_t)oneway}};
			break;
		case OP_DIE:
			_exit(0);
		default: {
			unsigned leaked = 0;
			for (unsigned i = n; i < IPC_WORDS_MAX; i++)
				leaked |= m.w[i] != 0;
			m.tag = IPC_TAG(leaked ? 0xbad : label + 1, n);
			for (unsigned i = 0; i < n; i++)
				m.w[i]++;
			m.handle = 0;
			break;
		}
		}
		r = ipc_reply_recv(ep, &m, IPC_FOREVER);
	}
}

static void on_usr1(int sig)
{
	(void)sig;
}

static void check_word_counts(long ep, pid_t server)
{
	for (unsigned n = 0; n <= IPC_WORDS_MAX; n++) {
		struct ipc_msg m = {.tag = IPC_TAG(OP_ECHO + 10 * n, n)};
		for (unsigned i = 0; i < IPC_WORDS_MAX; i++)
			m.w[i] = 1000 * n + i + 0xdead0000; /* past n: must not arrive */
		long r = ipc_call(ep, &m, IPC_FOREVER);
		CHECK(r == 0, "call with %u words: %ld", n, r);
		CHECK(IPC_TAG_LABEL(m.tag) == OP_ECHO + 10 * n + 1, "%u words: reply label %#x", n,
		      IPC_TAG_LABEL(m.tag));
		CHECK(IPC_TAG_WORDS(m.tag) == n, "%u words: reply has %u", n, IPC_TAG_WORDS(m.tag));
		for (unsigned i = 0; i < IPC_WORDS_MAX; i++) {
			uint64_t want = i < n ? 1000 * n + i + 0xdead0000 + 1 : 0;
			CHECK(m.w[i] == want, "%u words: word %u is %#lx", n, i, (unsigned long)m.w[i]);
		}
		CHECK(m.badge == server, "badge %ld, server %d", (long)m.badge, server);
		CHECK(m.handle == 0, "no handle came, r14 %ld", (long)m.handle);
	}
}

static void check_handle_passing(long ep)
{
	long n = ipc_notification_create();
	CHECK(n > 0, "notification_create %ld", n);
	struct ipc_msg m = {.tag = IPC_TAG(OP_HANDLE, 0) | IPC_TAG_HANDLE, .handle = n};
	long r = ipc_call(ep, &m, IPC_FOREVER);
	CHECK(r == 0, "call passing a handle: %ld", r);
	CHECK(handle_info(n) == -EBADF, "the sender still holds the handle it passed");
	CHECK((long)(m.w[0] >> 8) == IPC_TYPE_NOTIFICATION, "server saw type %ld", (long)(m.w[0] >> 8));
	CHECK((m.w[0] & 0xff) == IPC_RIGHTS_ALL, "server saw rights %#lx", (unsigned long)m.w[0]);
	CHECK((m.tag & IPC_TAG_HANDLE) && m.handle > 0, "no handle came back (%ld)", (long)m.handle);
	uint64_t bits = 0;
	r = ipc_notify_wait(m.handle, &bits, 1000);
	CHECK(r == 0 && bits == 5, "notify_wait on the returned handle: %ld bits %lu", r,
	      (unsigned long)bits);
	r = ipc_notify_wait(m.handle, &bits, 0);
	CHECK(r == -ETIMEDOUT, "bits were cleared: %ld", r);
	CHECK(handle_close(m.handle) == 0, "close");
	/* Passing a handle without TRANSFER is refused and changes nothing. */
	long weak = handle_duplicate(ep, IPC_RIGHT_SEND);
	CHECK(weak > 0, "duplicate %ld", weak);
	struct ipc_msg bad = {.tag = IPC_TAG(OP_HANDLE, 0) | IPC_TAG_HANDLE, .handle = weak};
	CHECK(ipc_call(ep, &bad, IPC_FOREVER) == -EPERM, "a handle without TRANSFER went");
	CHECK(handle_info(weak) > 0, "the refused handle is still held");
	handle_close(weak);
}

static void check_timeouts_and_errors(long ep)
{
	long own = ipc_endpoint_create(); /* nobody else receives on it */
	struct ipc_msg m = {.tag = IPC_TAG(1, 0)};
	CHECK(ipc_recv(own, &m, 0) == -ETIMEDOUT, "recv timeout 0");
	CHECK(ipc_recv(own, &m, 50) == -ETIMEDOUT, "recv timeout 50 ms");
	CHECK(ipc_call(own, &m, 0) == -ETIMEDOUT, "call timeout 0 with no receiver");
	CHECK(ipc_call(own, &m, 50) == -ETIMEDOUT, "call timeout 50 ms with no receiver");
	CHECK(ipc_send(own, &m, 0) == -ETIMEDOUT, "send timeout 0 with no receiver");

	/* A signal ends a receive with -EINTR. */
	struct sigaction sa = {0};
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	pid_t me = getpid(), k = fork();
	if (k == 0) {
		sleep_ms(100);
		kill(me, SIGUSR1);
		_exit(0);
	}
	CHECK(ipc_recv(own, &m, IPC_FOREVER) == -EINTR, "recv interrupted by a signal");
	waitpid(k, NULL, 0);

	/* Bad handles, rights, tags. */
	long n = ipc_notification_create();
	CHECK(ipc_call(0, &m, 0) == -EBADF, "handle 0");
	CHECK(ipc_call(2, &m, 0) == -EBADF, "handle 2");
	CHECK(ipc_call(n, &m, 0) == -EBADF, "a notification is not an endpoint");
	CHECK(ipc_notify(ep, 1) == -EBADF, "an endpoint is not a notification");
	CHECK(handle_close(own) == 0, "close");
	CHECK(ipc_call(own, &m, 0) == -EBADF, "a closed handle");
	CHECK(handle_close(own) == -EBADF, "closed twice");
	CHECK(ipc_recv(ep, &m, 0) == -EPERM, "recv without RECEIVE");
	long sendless = handle_duplicate(ep, IPC_RIGHT_TRANSFER);
	CHECK(ipc_call(sendless, &m, 0) == -EPERM, "call without SEND");
	CHECK(handle_duplicate(sendless, IPC_RIGHT_TRANSFER) == -EPERM, "duplicate without DUPLICATE");
	CHECK(handle_duplicate(ep, IPC_RIGHTS_ALL) == -EPERM, "duplicate with more rights");
	handle_close(sendless);
	CHECK(ipc_reply(&m) == -ESRCH, "reply with nobody to answer");
	struct ipc_msg t = {.tag = IPC_TAG(1, 7)};
	CHECK(ipc_call(ep, &t, 0) == -EINVAL, "7 words");
	t.tag = IPC_TAG(1, 6) | IPC_TAG_MAP | IPC_TAG_GRANT;
	CHECK(ipc_call(ep, &t, 0) == -EINVAL, "MAP and GRANT");
	t.tag = IPC_TAG(1, 5) | IPC_TAG_MAP;
	CHECK(ipc_call(ep, &t, 0) == -EINVAL, "MAP with 5 words");
	t.tag = IPC_TAG(1, 0) | (1ull << 50);
	CHECK(ipc_call(ep, &t, 0) == -EINVAL, "a reserved bit");
	t = (struct ipc_msg){.tag = IPC_TAG(OP_HANDLE, 0) | IPC_TAG_HANDLE, .handle = 4};
	CHECK(ipc_call(ep, &t, 0) == -EINVAL, "HANDLE with an even number");
	CHECK(handle_info(n) == (IPC_TYPE_NOTIFICATION << 8 | IPC_RIGHTS_ALL), "handle_info %ld",
	      handle_info(n));
	handle_close(n);
}

static void check_slow_server(long ep)
{
	struct ipc_msg m = {.tag = IPC_TAG(OP_SLOW, 0)};
	long r = ipc_call(ep, &m, 50);
	CHECK(r == -ETIMEDOUT, "a call to a slow server times out: %ld", r);
	m = (struct ipc_msg){.tag = IPC_TAG(OP_ONEWAY, 1), .w = {77}};
	CHECK(ipc_send(ep, &m, IPC_FOREVER) == 0, "one-way send");
	m = (struct ipc_msg){.tag = IPC_TAG(OP_STATUS, 0)};
	r = ipc_call(ep, &m, IPC_FOREVER);
	CHECK(r == 0, "status call %ld", r);
	CHECK((long)m.w[0] == -EPIPE, "the late reply got %ld, not -EPIPE", (long)m.w[0]);
	CHECK(m.w[1] == 77, "the one-way message carried %lu", (unsigned long)m.w[1]);
}

static void check_memory_item(long ep)
{
	static char page[4096] __attribute__((aligned(4096)));
	struct ipc_msg m = {.tag = IPC_TAG(OP_ECHO, 6) | IPC_TAG_MAP,
			    .w = {0, 0, 0, 0, (uint64_t)page, sizeof(page)}};
	page[0] = 1;
	long r = ipc_call(ep, &m, 1000);
	/* Without mm/share.c the memory item is -ENOSYS; with it the call works. */
	printf("ipc_pingpong: a call with a one-page map item: %ld\n", r);
}

/*
 * `ipc_pingpong stress`: 2 servers receive on one endpoint, 4 clients
 * call it 3,000 times each (every 4th call with a 1 ms limit, so callers
 * detach while servers answer), and one server is killed half-way. Every
 * reply that arrives must be the answer to that very call (word 0: the
 * call's own number + 1, badge: a server); a call may fail only with
 * -ETIMEDOUT or -EPIPE.
 */
static int stress(void)
{
	enum { SERVERS = 2, CLIENTS = 4, CALLS = 3000 };
	long ep = ipc_endpoint_create();
	pid_t servers[SERVERS], clients[CLIENTS];

	for (int i = 0; i < SERVERS; i++) {
		servers[i] = fork();
		if (servers[i] == 0)
			serve(ep);
	}
	long send = handle_duplicate(ep, IPC_RIGHT_SEND);
	handle_close(ep);
	for (int c = 0; c < CLIENTS; c++) {
		clients[c] = fork();
		if (clients[c] != 0)
			continue;
		int wrong = 0, timeouts = 0, pipes = 0;
		for (uint64_t k = 0; k < CALLS; k++) {
			uint64_t word = (uint64_t)c << 32 | k;
			struct ipc_msg m = {.tag = IPC_TAG(OP_ECHO, 1), .w = {word}};
			long r = ipc_call(send, &m, k % 4 == 3 ? 1 : IPC_FOREVER);
			if (r == -ETIMEDOUT)
				timeouts++;
			else if (r == -EPIPE)
				pipes++;
			else if (r != 0 || m.w[0] != word + 1 || IPC_TAG_LABEL(m.tag) != OP_ECHO + 1 ||
				 (m.badge != servers[0] && m.badge != servers[1]))
				wrong++;
		}
		printf("ipc_pingpong: client %d: %d wrong, %d timed out, %d -EPIPE\n", c, wrong,
		       timeouts, pipes);
		_exit(wrong ? 1 : 0);
	}
	sleep_ms(30);
	kill(servers[0], SIGKILL);
	int failed = 0, status;
	for (int c = 0; c < CLIENTS; c++) {
		waitpid(clients[c], &status, 0);
		failed |= !WIFEXITED(status) || WEXITSTATUS(status) != 0;
	}
	kill(servers[1], SIGKILL);
	for (int i = 0; i < SERVERS; i++)
		waitpid(servers[i], &status, 0);
	struct ipc_msg m = {.tag = IPC_TAG(OP_ECHO, 0)};
	long r = ipc_call(send, &m, 1000);
	CHECK(r == -EPIPE, "a call after both servers were killed: %ld", r);
	CHECK(!failed, "a client got a wrong reply");
	printf("ipc_pingpong: stress %s\n", failed || failures ? "FAILED" : "passed");
	return failed || failures;
}

/* `ipc_pingpong auxv N`: exit 0 when AT_PAGODA_NAMESERVER is N (after an execve). */
static int auxv_is(long want)
{
	long ns = (long)getauxval(AT_PAGODA_NAMESERVER);
	return ns == want && (ns == 0 || handle_info(ns) > 0) ? 0 : 1;
}

/* execve keeps the handle table and passes the name server's handle on, 0 once closed. */
static void check_exec_keeps_handle(long ns)
{
	for (int closed = 0; closed < 2; closed++) {
		pid_t k = fork();
		if (k == 0) {
			char want[24];
			if (closed)
				handle_close(ns);
			snprintf(want, sizeof(want), "%ld", closed ? 0 : ns);
			char *const args[] = {"ipc_pingpong", "auxv", want, NULL};
			execv("/ipc_pingpong", args);
			_exit(3);
		}
		int status;
		waitpid(k, &status, 0);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "after execve (handle %s) AT_PAGODA_NAMESERVER was wrong: status %#x",
		      closed ? "closed" : "open", status);
	}
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "stress") == 0)
		return stress();
	if (argc > 2 && strcmp(argv[1], "auxv") == 0)
		return auxv_is(atol(argv[2]));
	long ep = ipc_endpoint_create();
	if (ep == -ENOSYS) {
		printf("ipc_pingpong: not on Pagoda (-ENOSYS)\n");
		return 0;
	}
	CHECK(ep > 0, "endpoint_create %ld", ep);
	/* Started from the shell: a handle to the name server in the auxiliary vector. */
	long ns = (long)getauxval(AT_PAGODA_NAMESERVER);
	CHECK(ns > 0 && handle_info(ns) == (IPC_TYPE_ENDPOINT << 8 | IPC_RIGHT_SEND |
					   IPC_RIGHT_DUPLICATE | IPC_RIGHT_TRANSFER),
	      "name server handle %ld: info %#lx", ns, handle_info(ns));
	check_exec_keeps_handle(ns);
	CHECK(handle_info(ep) == (IPC_TYPE_ENDPOINT << 8 | IPC_RIGHTS_ALL), "handle_info");
	pid_t server = fork();
	if (server == 0)
		serve(ep);
	/* Keep SEND only: the endpoint dies with the server. */
	long send = handle_duplicate(ep, IPC_RIGHT_SEND | IPC_RIGHT_DUPLICATE | IPC_RIGHT_TRANSFER);
	CHECK(send > 0 && handle_close(ep) == 0, "duplicate %ld", send);

	check_word_counts(send, server);
	check_handle_passing(send);
	check_timeouts_and_errors(send);
	check_slow_server(send);
	check_memory_item(send);

	struct ipc_msg m = {.tag = IPC_TAG(OP_DIE, 0)};
	long r = ipc_call(send, &m, 2000);
	CHECK(r == -EPIPE, "the server died during the call: %ld", r);
	int status;
	waitpid(server, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "server status %#x", status);
	m = (struct ipc_msg){.tag = IPC_TAG(OP_ECHO, 0)};
	r = ipc_call(send, &m, 2000);
	CHECK(r == -EPIPE, "a call after the server died: %ld", r);
	CHECK(ipc_send(send, &m, 0) == -EPIPE, "a send after the server died");

	if (failures) {
		printf("ipc_pingpong: %d of %d checks failed\n", failures, checks);
		return 1;
	}
	printf("ipc_pingpong: %d checks passed\n", checks);
	return 0;
}
