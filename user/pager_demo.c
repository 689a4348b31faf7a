/*
 * pager_demo.c - a user-level pager serving a region with computed
 * content, and a client touching it.
 *
 * The parent is the pager: it makes an endpoint, forks the client with a
 * SEND-only handle to it, and serves. The client makes a pager region of
 * PAGES pages (pager_region) and tells the pager where it is (a call,
 * label HELLO). Page i of the region is the multiplication table of i + 1:
 * its 32-bit word j holds (i + 1) * (j + 1). Nothing backs the region
 * until the client touches it: each first touch of a page stops the client
 * in a page fault, which the kernel turns into a PAGER_FAULT message
 * (address, access, pid, thread) to the pager; the pager computes the page
 * in memory of its own and answers with it, mapped (IPC_TAG_MAP, writable),
 * and the kernel maps it at the faulting address. The client checks every
 * word of the tables, writes into one page and asks the pager whether it
 * sees the write (the page is shared: it does), then read()s a file into
 * the last page, untouched so far: the kernel's own copy faults there and
 * waits for the pager (PAGER_ACCESS_KERNEL). Both print what they saw.
 *
 * Invariants:
 *   [x] the client holds no RECEIVE handle to the endpoint (it would count
 *       as the pager and its faults would fail);
 *   [x] exits 0 only when every check passed (the client's status too).
 * -q: quiet, only a failure is printed (for `run -b` beside other programs).
 * Context: `run pager_demo [-q]` in the Pagoda shell (on Linux: -ENOSYS, exit 1).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pagoda/ipc.h"

#define PAGES 10              /* the client's region: PAGES - 1 tables, then a read() */
#define PAGE 4096ul
#define WORDS (PAGE / 4)
#define HELLO 1               /* client -> pager: w0 the region, w1 its pages */
#define CHECK 2               /* client -> pager: is word w0 of page w1 now w2? */
#define BYE 3                 /* client -> pager: done */
#define FILE_NAME "README.md"

static int quiet;             /* -q: say nothing unless something failed */
static uint64_t region;       /* the client's region, as it said (HELLO) */

/* A progress line (not with -q). */
#define say(...) ((void)(quiet || printf(__VA_ARGS__)))
static uint32_t *pool[PAGES]; /* the pager's copy of each page it served */

/* The multiplication table of n in page p. */
static void table(uint32_t *p, uint32_t n)
{
	for (uint32_t j = 0; j < WORDS; j++)
		p[j] = n * (j + 1);
}

static const char *access_name(uint64_t a)
{
	if (a & PAGER_ACCESS_KERNEL)
		return a & PAGER_ACCESS_WRITE ? "write by the kernel (a system call's copy)"
					      : "read by the kernel (a system call's copy)";
	return a & PAGER_ACCESS_WRITE ? "write" : a & PAGER_ACCESS_FETCH ? "fetch" : "read";
}

/* The pager's answer to one fault: the page computed and mapped, or an error label. */
static void serve_fault(struct ipc_msg *m, unsigned *kernel_faults)
{
	uint64_t va = m->w[0], i = (va - region) / PAGE;

	say("pager: fault at 0x%lx (page %lu), %s, pid %lu thread %lu\n", (unsigned long)va,
	       (unsigned long)i, access_name(m->w[1]), (unsigned long)m->w[2],
	       (unsigned long)m->w[3]);
	if (m->w[1] & PAGER_ACCESS_KERNEL)
		(*kernel_faults)++;
	if (!region || va < region || i >= PAGES) {
		*m = (struct ipc_msg){.tag = IPC_TAG((unsigned)-EFAULT, 0)};
		return;
	}
	if (!pool[i]) {
		pool[i] = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (pool[i] == MAP_FAILED) {
			pool[i] = NULL;
			*m = (struct ipc_msg){.tag = IPC_TAG((unsigned)-ENOMEM, 0)};
			return;
		}
		table(pool[i], (uint32_t)i + 1);
	}
	*m = (struct ipc_msg){.tag = IPC_TAG(0, 6) | IPC_TAG_MAP | IPC_TAG_WRITE,
			      .w = {0, 0, 0, 0, (uint64_t)pool[i], PAGE}};
}

/* The pager's loop: until the client says BYE (or its end: the recv times out). */
static int pager(long ep, long client)
{
	unsigned faults = 0, kernel_faults = 0;
	struct ipc_msg m;

	for (;;) {
		memset(&m, 0, sizeof(m));
		long r = ipc_recv(ep, &m, 2000);
		int status = 0;
		pid_t gone = r == -ETIMEDOUT ? waitpid(client, &status, WNOHANG) : 0;
		if (r == -ETIMEDOUT && gone == 0)
			continue;
		if (r != 0) {
			printf("pager: receive: %ld; waitpid: %d, status 0x%x\n", r, (int)gone, status);
			return 1;
		}
		unsigned label = IPC_TAG_LABEL(m.tag);
		if (label == PAGER_FAULT && m.badge == 0) {
			faults++;
			serve_fault(&m, &kernel_faults);
		} else if (label == HELLO) {
			region = m.w[0];
			say("pager: client pid %ld has %lu pages at 0x%lx for me\n", (long)m.badge,
			       (unsigned long)m.w[1], (unsigned long)region);
			m = (struct ipc_msg){.tag = IPC_TAG(0, 0)};
		} else if (label == CHECK) {
			uint64_t i = m.w[1];
			uint32_t seen = i < PAGES && pool[i] ? pool[i][m.w[0] % WORDS] : 0;
			say("pager: word %lu of page %lu is %u here\n", (unsigned long)m.w[0],
			       (unsigned long)i, seen);
			m = (struct ipc_msg){.tag = IPC_TAG(seen == m.w[2] ? 0 : 1, 0)};
		} else if (label == BYE) {
			ipc_reply(&(struct ipc_msg){.tag = IPC_TAG(0, 0)});
			break;
		} else {
			m = (struct ipc_msg){.tag = IPC_TAG((unsigned)-EINVAL, 0)};
		}
		ipc_reply(&m);
	}
	say("pager: served %u faults (%u of them a system call's copy)\n", faults,
	       kernel_faults);
	return 0;
}

/* A call to the pager with label and words; the reply's label (0: yes), or -errno. */
static long ask(long h, unsigned label, uint64_t a, uint64_t b, uint64_t c)
{
	struct ipc_msg m = {.tag = IPC_TAG(label, 3), .w = {a, b, c}};
	long r = ipc_call(h, &m, 5000);

	return r ? r : (long)(int)IPC_TAG_LABEL(m.tag);
}

static int client(long h)
{
	char *a = mmap(NULL, PAGES * PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int bad = 0;

	if (a == MAP_FAILED)
		return 1;
	munmap(a, PAGES * PAGE); /* a free range */
	long r = pager_region(a, PAGES * PAGE, h, PROT_READ | PROT_WRITE);
	if (r != 0) {
		printf("client: pager_region: %ld\n", r);
		return 1;
	}
	r = ask(h, HELLO, (uint64_t)a, PAGES, 0);
	if (r != 0) {
		printf("client: HELLO: %ld\n", r);
		return 1;
	}
	for (unsigned i = 0; i + 1 < PAGES; i++) {
		const uint32_t *p = (const uint32_t *)(a + i * PAGE);
		for (uint32_t j = 0; j < WORDS; j++)
			bad += p[j] != (i + 1) * (j + 1);
	}
	say("client: pages 0-%d hold the tables of 1 to %d: %s (page 6, word 8: 7 x 9 = %u)\n",
	       PAGES - 2, PAGES - 1, bad ? "WRONG" : "every word right",
	       ((const uint32_t *)(a + 6 * PAGE))[8]);
	((uint32_t *)(a + 2 * PAGE))[10] = 1234;
	long seen = ask(h, CHECK, 10, 2, 1234);
	say("client: wrote 1234 into page 2: the pager %s\n",
	       seen == 0 ? "sees it (the page is shared)" : "does NOT see it");
	bad += seen != 0;
	char direct[200];
	int fd = open(FILE_NAME, O_RDONLY);
	long n1 = fd >= 0 ? read(fd, a + (PAGES - 1) * PAGE, sizeof(direct)) : -1;
	if (fd >= 0)
		lseek(fd, 0, SEEK_SET);
	long n2 = fd >= 0 ? read(fd, direct, sizeof(direct)) : -1;
	if (fd >= 0)
		close(fd);
	int same = n1 == n2 && n1 > 0 && memcmp(direct, a + (PAGES - 1) * PAGE, n1) == 0;
	say("client: read() of %ld bytes of %s into page %d: %s\n", n1, FILE_NAME, PAGES - 1,
	       same ? "the same bytes as a plain buffer" : "WRONG");
	bad += !same;
	ask(h, BYE, 0, 0, 0);
	return bad != 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	quiet = argc > 1 && strcmp(argv[1], "-q") == 0;
	long ep = ipc_endpoint_create();
	if (ep < 0) {
		printf("pager_demo: no IPC here (%ld): Pagoda only\n", ep);
		return 1;
	}
	long send = handle_duplicate(ep, IPC_RIGHT_SEND);
	pid_t pid = fork();
	if (pid == 0) {
		handle_close(ep); /* the client must not be a receiver: its faults would fail */
		return client(send);
	}
	handle_close(send);
	say("pager_demo: pager pid %d serves client pid %d\n", (int)getpid(), (int)pid);
	int failed = pid < 0 || pager(ep, pid);
	int status = 0;
	if (pid > 0)
		waitpid(pid, &status, 0);
	failed |= !WIFEXITED(status) || WEXITSTATUS(status) != 0;
	if (failed || !quiet)
		printf("pager_demo: %s\n", failed ? "FAILED" : "every check passed");
	return failed;
}
