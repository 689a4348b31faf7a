/*
 * echo_server.c - the smallest server: registers "echo" with the name
 * server and answers every call with the message it got (same label, same
 * words).
 *
 * Why: it is the pattern of every Pagoda server (docs/ipc.md, "Writing a
 * server"): make an endpoint, offer it by name, then loop on
 * ipc_reply_recv, which answers the last caller and waits for the next in
 * one system call (one kernel entry per message: the IPC fast path). A
 * reply that cannot be delivered (the caller died or gave up: -EPIPE) is
 * not the server's problem: it just receives again.
 *
 * Invariants:
 *   [x] the reply has exactly the request's label and words;
 *   [x] a handle sent to it is closed, never kept;
 *   [x] with N, it exits 0 after answering N calls.
 * Context: `run -b echo_server [N]`, then `run echo_client`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pagoda/nameserver.h"

int main(int argc, char **argv)
{
	long limit = argc > 1 ? atol(argv[1]) : -1; /* calls to answer; -1: forever */
	long ep = ipc_endpoint_create();

	if (ep < 0) {
		fprintf(stderr, "echo_server: ipc_endpoint_create: %ld\n", ep);
		return 1;
	}
	long err = ns_register("echo", ep);
	if (err) {
		fprintf(stderr, "echo_server: ns_register(\"echo\"): %ld\n", err);
		return 1;
	}
	printf("echo_server: pid %d serving \"echo\"\n", (int)getpid());
	fflush(stdout);

	struct ipc_msg m = {0};
	long answered = 0;
	long r = ipc_recv(ep, &m, IPC_FOREVER);
	for (;;) {
		if (r) { /* the reply failed (caller gone), or the receive was interrupted */
			memset(&m, 0, sizeof(m));
			r = ipc_recv(ep, &m, IPC_FOREVER);
			continue;
		}
		if (m.handle > 0) {
			handle_close(m.handle);
			m.handle = 0;
		}
		m.tag &= IPC_TAG_LABEL_MASK | IPC_TAG_WORDS_MASK; /* label and words, no flags */
		if (limit >= 0 && ++answered >= limit) {
			ipc_reply(&m);
			printf("echo_server: answered %ld calls\n", answered);
			return 0;
		}
		r = ipc_reply_recv(ep, &m, IPC_FOREVER);
	}
}
