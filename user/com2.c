/*
 * com2.c - the COM2 driver's client: writes a line to the second serial
 * port and prints what comes back, through user/com2d.c (found by name).
 *
 *   com2 WORDS...     writes the words and "\n" to COM2, then prints each
 *                     line read back during the next SECONDS (-t, default 2)
 *                     as "com2: LINE"
 *   com2 -r N         reads exactly N bytes (waiting as long as it takes)
 *                     and prints "com2: read N bytes: TEXT"
 *   com2 -s           the driver's counters: interrupts, bytes in and out
 *
 * Why: a client never touches the port; it holds one SEND handle (from
 * ns_lookup) and makes calls of pagoda/com2.h's protocol: 48 bytes a call.
 *
 * Invariants:
 *   [x] exits 0 only if every call succeeded (and -r got its N bytes);
 *   [x] prints bytes as they came, except '\r' (dropped) and other control
 *       bytes (shown as '.').
 * Context: `run com2 ...` in the Pagoda shell, with `run -b com2d` first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pagoda/com2.h"
#include "pagoda/nameserver.h"

#define CALL_TIMEOUT_MS 10000 /* a read waits up to COM2_WAIT_MAX in the driver */

static long com2;

/* One call: m is the request, then the reply; returns the label's status. */
static long com2_call(struct ipc_msg *m)
{
	long r = ipc_call(com2, m, CALL_TIMEOUT_MS);

	return r ? r : (long)(int)IPC_TAG_LABEL(m->tag);
}

static long com2_write(const char *s, size_t len)
{
	for (size_t done = 0; done < len;) {
		struct ipc_msg m = {0};
		size_t n = len - done < COM2_BYTES_MAX ? len - done : COM2_BYTES_MAX;
		memcpy(m.w, s + done, n);
		m.tag = IPC_TAG(COM2_LABEL(COM2_WRITE, n), (n + 7) / 8);
		long r = com2_call(&m);
		if (r < 0)
			return r;
		done += (size_t)r;
	}
	return 0;
}

/* Up to want bytes into buf, waiting up to wait_ms for the first. Count or -errno. */
static long com2_read(char *buf, size_t want, long wait_ms)
{
	struct ipc_msg m = {0};

	m.tag = IPC_TAG(COM2_READ, 2);
	m.w[0] = want < COM2_BYTES_MAX ? want : COM2_BYTES_MAX;
	m.w[1] = (uint64_t)wait_ms;
	long r = com2_call(&m);
	if (r > 0)
		memcpy(buf, m.w, (size_t)r);
	return r;
}

static void put_shown(char c)
{
	if (c != '\r')
		putchar(c == '\n' || (c >= ' ' && c < 127) ? c : '.');
}

static long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* -r N: exactly n bytes, however long they take. */
static int read_exactly(long n)
{
	char buf[COM2_BYTES_MAX];
	long got = 0;

	printf("com2: read %ld bytes: ", n);
	fflush(stdout);
	while (got < n) {
		long r = com2_read(buf, (size_t)(n - got), COM2_WAIT_MAX);
		if (r < 0) {
			printf("\ncom2: read: %ld\n", r);
			return 1;
		}
		for (long i = 0; i < r; i++)
			put_shown(buf[i]);
		fflush(stdout);
		got += r;
	}
	printf("\n");
	return 0;
}

/* Print the lines that come in during ms, each as "com2: LINE". */
static int read_lines(long ms)
{
	char buf[COM2_BYTES_MAX];
	long deadline = now_ms() + ms;
	int at_start = 1;

	for (long left = ms; left > 0; left = deadline - now_ms()) {
		long r = com2_read(buf, sizeof(buf), left);
		if (r < 0) {
			printf("com2: read: %ld\n", r);
			return 1;
		}
		for (long i = 0; i < r; i++) {
			if (at_start && buf[i] != '\r')
				printf("com2: ");
			put_shown(buf[i]);
			at_start = buf[i] == '\n' ? 1 : at_start && buf[i] == '\r';
		}
		fflush(stdout);
	}
	if (!at_start)
		printf("\n");
	return 0;
}

static int stats(void)
{
	struct ipc_msg m = {0};

	m.tag = IPC_TAG(COM2_STATS, 0);
	long r = com2_call(&m);
	if (r < 0) {
		printf("com2: stats: %ld\n", r);
		return 1;
	}
	printf("com2: %llu interrupts, %llu bytes received, %llu dropped, %llu written, "
	       "%llu waiting\n", (unsigned long long)m.w[0], (unsigned long long)m.w[1],
	       (unsigned long long)m.w[2], (unsigned long long)m.w[3], (unsigned long long)m.w[4]);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: com2 [-t SECONDS] WORDS... | com2 -r N | com2 -s\n");
	return 2;
}

int main(int argc, char **argv)
{
	long seconds = 2;
	int i = 1;

	com2 = ns_lookup(COM2_SERVICE);
	if (com2 < 0) {
		printf("com2: ns_lookup(\"com2\"): %ld%s\n", com2,
		       com2 == -ENOENT ? " (is the driver running? run -b com2d)" : "");
		return 1;
	}
	if (argc == 3 && strcmp(argv[1], "-r") == 0)
		return read_exactly(atol(argv[2]));
	if (argc == 2 && strcmp(argv[1], "-s") == 0)
		return stats();
	if (i + 1 < argc && strcmp(argv[i], "-t") == 0) {
		seconds = atol(argv[i + 1]);
		i += 2;
	}
	if (i < argc && argv[i][0] == '-')
		return usage();
	char line[256] = "";
	for (; i < argc; i++) {
		size_t len = strlen(line);
		snprintf(line + len, sizeof(line) - len, "%s%s", len ? " " : "", argv[i]);
	}
	if (line[0]) {
		size_t len = strlen(line);
		snprintf(line + len, sizeof(line) - len, "\n");
		long r = com2_write(line, strlen(line));
		if (r < 0) {
			printf("com2: write: %ld\n", r);
			return 1;
		}
		printf("com2: wrote %zu bytes\n", strlen(line));
	}
	fflush(stdout);
	return read_lines(seconds * 1000);
}
