/*
 * ipc_regions.c - a process holding one region of each kind the
 * microkernel's IPC makes, for `pmap` to show (docs/ipc.md, docs/shell.md).
 *
 * The parent makes an endpoint and forks the child, which receives two
 * messages on it: one page by map (writable: the child's region is
 * "shared", pmap's mark S, perms 's') and two pages by grant (the child's
 * region is "granted", mark G). The child then makes a pager-backed region
 * of four pages (mark P) bound to a second endpoint, which it never
 * touches (nothing faults, so nobody needs to serve it), prints where each
 * landed and waits, as the parent does, until killed: `run -b ipc_regions`,
 * `pmap PID` of the child, `kill` both. Killing either first is part of the
 * integration test's kill mix: the child's mapping goes with the parent's
 * page (revoked at its exit), and meminfo must come back either way.
 *
 * Invariants:
 *   [x] prints "ipc_regions: pid N shared ADDR granted ADDR pager ADDR"
 *       (the child's pid) once everything is in place, else says why;
 *   [x] never ends on its own while both halves live (pause).
 * Context: `run -b ipc_regions` in the Pagoda shell (on Linux: -ENOSYS, exit 1).
 */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pagoda/ipc.h"

#define PAGE 4096ul

static int fail(const char *what, long r)
{
	printf("ipc_regions: %s: %ld\n", what, r);
	return 1;
}

/* The child: receive the map and the grant, make the pager region, report, wait. */
static int child(long ep, long pager_ep)
{
	struct ipc_msg shared = {0}, granted = {0};
	long r = ipc_recv(ep, &shared, 10000);

	if (r)
		return fail("receiving the map", r);
	r = ipc_recv(ep, &granted, 10000);
	if (r)
		return fail("receiving the grant", r);
	long h = handle_duplicate(pager_ep, IPC_RIGHT_SEND);
	char *region = mmap(NULL, 4 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (h < 0 || region == MAP_FAILED)
		return fail("handle_duplicate or mmap", h);
	munmap(region, 4 * PAGE); /* a free range of 4 pages for the pager region */
	r = pager_region(region, 4 * PAGE, h, PROT_READ | PROT_WRITE);
	if (r)
		return fail("pager_region", r);
	((char *)shared.w[4])[1] = 'S'; /* the parent's page, seen here */
	printf("ipc_regions: pid %d shared %#lx granted %#lx pager %#lx\n", (int)getpid(),
	       (unsigned long)shared.w[4], (unsigned long)granted.w[4], (unsigned long)region);
	fflush(stdout);
	for (;;)
		pause();
}

int main(void)
{
	long ep = ipc_endpoint_create(), pager_ep = ipc_endpoint_create();

	if (ep < 0 || pager_ep < 0)
		return fail("ipc_endpoint_create", ep < 0 ? ep : pager_ep);
	pid_t pid = fork();
	if (pid == 0)
		return child(ep, pager_ep);
	if (pid < 0)
		return fail("fork", pid);
	char *page = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return fail("mmap", -1);
	page[0] = 'm';
	page[PAGE] = 'g';
	page[2 * PAGE] = 'g';
	struct ipc_msg m = {.tag = IPC_TAG(1, 6) | IPC_TAG_MAP | IPC_TAG_WRITE};
	m.w[4] = (uint64_t)page;
	m.w[5] = PAGE;
	long r = ipc_send(ep, &m, 10000);
	if (r)
		return fail("sending the map", r);
	m = (struct ipc_msg){.tag = IPC_TAG(2, 6) | IPC_TAG_GRANT | IPC_TAG_WRITE};
	m.w[4] = (uint64_t)page + PAGE;
	m.w[5] = 2 * PAGE;
	r = ipc_send(ep, &m, 10000);
	if (r)
		return fail("sending the grant", r);
	for (;;)
		pause();
}
