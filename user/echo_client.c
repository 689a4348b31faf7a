/*
 * echo_client.c - the echo server's client: looks up "echo" with the name
 * server, calls it with messages of every size (0 to 6 words) and checks
 * each reply, then sends its arguments as text and prints what came back.
 *
 * Why: the client half of the smallest example (docs/ipc.md, "Writing a
 * server"): one ns_lookup for a handle, then ipc_call, which sends and
 * waits for the reply in one system call.
 *
 * Invariants:
 *   [x] exit 0 only if every reply had the label and words sent;
 *   [x] prints "echo_client: N calls, all replies matched" then
 *       "echo: TEXT" (TEXT: the arguments, at most 48 bytes, as echoed).
 * Context: `run echo_client [WORDS...]` with echo_server running.
 */
#include <stdio.h>
#include <string.h>

#include "pagoda/nameserver.h"

#define TEXT_MAX (IPC_WORDS_MAX * 8)

/* Call h with n words of pattern; 0 if the reply is the same message. */
static int check_size(long h, unsigned n, unsigned round)
{
	struct ipc_msg m = {0}, sent;

	m.tag = IPC_TAG(0x1000 + round * 8 + n, n);
	for (unsigned i = 0; i < n; i++)
		m.w[i] = 0x0123456789abcdefull * (i + 1) ^ round;
	sent = m;
	long r = ipc_call(h, &m, 5000);
	if (r) {
		printf("echo_client: call with %u words: %ld\n", n, r);
		return -1;
	}
	if (IPC_TAG_LABEL(m.tag) != IPC_TAG_LABEL(sent.tag) || IPC_TAG_WORDS(m.tag) != n ||
	    memcmp(m.w, sent.w, n * sizeof(m.w[0])) != 0) {
		printf("echo_client: %u words: the reply differs (tag %#llx)\n", n,
		       (unsigned long long)m.tag);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	long h = ns_lookup("echo");

	if (h < 0) {
		printf("echo_client: ns_lookup(\"echo\"): %ld%s\n", h,
		       h == -ENOENT ? " (is echo_server running? run -b echo_server)" : "");
		return 1;
	}
	unsigned calls = 0;
	for (unsigned round = 0; round < 4; round++)
		for (unsigned n = 0; n <= IPC_WORDS_MAX; n++, calls++)
			if (check_size(h, n, round))
				return 1;
	printf("echo_client: %u calls, all replies matched\n", calls);

	char text[TEXT_MAX + 1] = "hello, echo";
	if (argc > 1) {
		text[0] = '\0';
		for (int i = 1; i < argc; i++) {
			size_t len = strlen(text);
			snprintf(text + len, sizeof(text) - len, "%s%s", i > 1 ? " " : "", argv[i]);
		}
	}
	struct ipc_msg m = {0};
	size_t len = strlen(text);
	memcpy(m.w, text, len);
	m.tag = IPC_TAG(len, (len + 7) / 8);
	long r = ipc_call(h, &m, 5000);
	if (r) {
		printf("echo_client: call: %ld\n", r);
		return 1;
	}
	char back[TEXT_MAX + 1] = {0};
	memcpy(back, m.w, IPC_TAG_LABEL(m.tag) <= TEXT_MAX ? IPC_TAG_LABEL(m.tag) : TEXT_MAX);
	printf("echo: %s\n", back);
	handle_close(h);
	return strcmp(back, text) == 0 ? 0 : 1;
}
