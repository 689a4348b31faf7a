/*
 * nameserver.c - the name server: servers register their endpoint under a
 * name, clients look a name up and get a SEND handle to the server.
 *
 * Why: in a microkernel the kernel knows no services, only endpoints. A
 * program started from the shell holds one handle from birth, to this
 * server (AT_PAGODA_NAMESERVER); every other service is found through it,
 * as L4Re's and Fuchsia's name spaces do. The protocol is
 * pagoda/nameserver.h's; this file is the smallest server that speaks it:
 * receive, answer, receive again.
 *
 * The kernel starts it at boot (kmain, after init) in the background with
 * the RECEIVE handle of the name server's endpoint, whose number is its own
 * AT_PAGODA_NAMESERVER entry. It prints nothing unless something is wrong
 * (the console belongs to the shell).
 *
 * Invariants:
 *   [x] every entry holds a handle of ours with NS_SERVICE_RIGHTS, closed
 *       when the entry is replaced;
 *   [x] a handle that came with a refused request is closed at once;
 *   [x] a reply carrying a duplicate that could not be delivered (the
 *       caller died) closes the duplicate: nothing leaks.
 * Context: started by the kernel (kmain). Run from the shell it holds only
 * a SEND handle to the name server: its receive fails (-EPERM) and it says so.
 */
#include <stdio.h>
#include <string.h>

#include "pagoda/nameserver.h"

#define NS_ENTRIES 32

struct ns_entry {
	char name[NS_NAME_MAX + 1]; /* "" : free */
	long handle;                /* ours, NS_SERVICE_RIGHTS */
	long owner;                 /* the registering process's pid (the badge) */
};

static struct ns_entry entries[NS_ENTRIES];

/* The name in m's words 0-3 into out (NS_NAME_MAX + 1 bytes); 0 or -EINVAL. */
static int unpack_name(const struct ipc_msg *m, char *out)
{
	if (IPC_TAG_WORDS(m->tag) != NS_NAME_WORDS)
		return -EINVAL;
	memcpy(out, m->w, NS_NAME_MAX + 1);
	if (out[NS_NAME_MAX] != '\0' || out[0] == '\0')
		return -EINVAL; /* no NUL in 32 bytes, or empty */
	return 0;
}

static struct ns_entry *find(const char *name)
{
	for (int i = 0; i < NS_ENTRIES; i++)
		if (entries[i].name[0] && strcmp(entries[i].name, name) == 0)
			return &entries[i];
	return NULL;
}

/* NS_REGISTER: keep m's handle under the name. Returns the reply's status. */
static long do_register(const struct ipc_msg *m)
{
	char name[NS_NAME_MAX + 1];
	long err = unpack_name(m, name);

	if (m->handle <= 0)
		return -EINVAL;
	if (err)
		goto refuse;
	struct ns_entry *e = find(name);
	if (e) {
		handle_close(e->handle); /* the newer server takes the name over */
	} else {
		for (int i = 0; i < NS_ENTRIES && !e; i++)
			if (!entries[i].name[0])
				e = &entries[i];
		if (!e) {
			err = -ENOSPC;
			goto refuse;
		}
	}
	memcpy(e->name, name, sizeof(name));
	e->handle = m->handle;
	e->owner = m->badge;
	return 0;
refuse:
	handle_close(m->handle);
	return err;
}

/* NS_LOOKUP: *dup := a duplicate of the entry's handle. Returns the reply's status. */
static long do_lookup(const struct ipc_msg *m, long *dup)
{
	char name[NS_NAME_MAX + 1];
	long err = unpack_name(m, name);

	if (m->handle > 0)
		handle_close(m->handle); /* nobody asked for it */
	if (err)
		return err;
	struct ns_entry *e = find(name);
	if (!e)
		return -ENOENT;
	*dup = handle_duplicate(e->handle, NS_SERVICE_RIGHTS);
	return *dup < 0 ? *dup : 0;
}

int main(void)
{
	long ep = ns_handle();
	struct ipc_msg m;

	if (ep <= 0) {
		fprintf(stderr, "nameserver: no name-server endpoint (the kernel starts me)\n");
		return 1;
	}
	for (;;) {
		memset(&m, 0, sizeof(m));
		long r = ipc_recv(ep, &m, IPC_FOREVER);
		if (r == -EINTR)
			continue;
		if (r) {
			fprintf(stderr, "nameserver: receive failed (%ld): stopping\n", r);
			return 1;
		}
		long dup = -1, status;
		switch (IPC_TAG_LABEL(m.tag)) {
		case NS_REGISTER:
			status = do_register(&m);
			break;
		case NS_LOOKUP:
			status = do_lookup(&m, &dup);
			break;
		default:
			if (m.handle > 0)
				handle_close(m.handle);
			status = -ENOSYS;
		}
		memset(&m, 0, sizeof(m));
		m.tag = IPC_TAG((unsigned)status, 0);
		if (dup > 0) {
			m.tag |= IPC_TAG_HANDLE;
			m.handle = dup;
		}
		/* Reply, then receive: not reply_recv, so a failed reply's duplicate is known ours. */
		if (ipc_reply(&m) != 0 && dup > 0)
			handle_close(dup);
	}
}
