/*
 * pagoda/nameserver.h - the name server's protocol, and the two calls a
 * program makes to it: ns_register (a server offers its endpoint under a
 * name) and ns_lookup (a client gets a handle to send to it).
 *
 * The kernel makes the name server's endpoint at boot and starts the
 * initrd's `nameserver` program (user/nameserver.c) holding its RECEIVE
 * handle; every program started from the shell gets a SEND handle to it,
 * whose number is the auxiliary-vector entry AT_PAGODA_NAMESERVER (0: none,
 * e.g. on Linux). The protocol (one call, one reply):
 *
 *   NS_REGISTER  words 0-3: the name (1 .. NS_NAME_MAX bytes, NUL-padded,
 *                little-endian words); IPC_TAG_HANDLE: the service's
 *                handle (SEND|DUPLICATE|TRANSFER). Reply label 0, or
 *                -EINVAL (bad name, no handle), -ENOSPC (table full). A name
 *                registered again is taken over by the newer server (a
 *                restarted server gets its name back); the old handle is
 *                closed. A dead server's entry stays until then (a
 *                lookup gives a handle whose calls fail with -EPIPE).
 *   NS_LOOKUP    words 0-3: the name. Reply label 0 with a duplicate
 *                (SEND|DUPLICATE|TRANSFER) passed with IPC_TAG_HANDLE, or
 *                -ENOENT, -EINVAL.
 *
 * Invariants:
 *   [x] a reply's label is 0 or a negative errno (as a 32-bit value);
 *   [x] the helpers return a handle (> 0) or 0 on success, -errno on
 *       failure, and never leave a duplicate behind when they fail;
 *   [x] header-only (static inline), like pagoda/ipc.h.
 * Context: user programs (docs/ipc.md, "The name server").
 */
#ifndef PAGODA_NAMESERVER_H
#define PAGODA_NAMESERVER_H

#include <errno.h>
#include <string.h>
#include <sys/auxv.h>

#include "pagoda/ipc.h"

#define NS_REGISTER 1        /* label: offer a handle under a name */
#define NS_LOOKUP 2          /* label: ask for a handle by name */
#define NS_NAME_MAX 31       /* bytes of a name (words 0-3 hold 32 with the NUL) */
#define NS_NAME_WORDS 4
#define NS_SERVICE_RIGHTS (IPC_RIGHT_SEND | IPC_RIGHT_DUPLICATE | IPC_RIGHT_TRANSFER)

/* This program's handle to the name server (0: none, e.g. not started from the shell). */
static inline long ns_handle(void)
{
	return (long)getauxval(AT_PAGODA_NAMESERVER);
}

/* Words 0-3 of m := name, NUL-padded. 0, or -EINVAL (empty or too long). */
static inline int ns_pack_name(struct ipc_msg *m, const char *name)
{
	size_t n = strnlen(name, NS_NAME_MAX + 1);

	if (n == 0 || n > NS_NAME_MAX)
		return -EINVAL;
	memset(m->w, 0, NS_NAME_WORDS * sizeof(m->w[0]));
	memcpy(m->w, name, n);
	return 0;
}

/* A reply's label as the status it carries (0 or -errno). */
static inline long ns_status(const struct ipc_msg *m)
{
	return (long)(int)IPC_TAG_LABEL(m->tag);
}

/*
 * One call to the name server: label, name in words 0-3, handle (> 0: passed
 * with IPC_TAG_HANDLE). m gets the reply. Returns the call's result (0 or
 * -errno: -EBADF without a name server handle, -EINVAL for a bad name);
 * the reply's status is ns_status(m).
 */
static inline long ns_call(unsigned label, const char *name, long handle, struct ipc_msg *m)
{
	long ns = ns_handle();

	memset(m, 0, sizeof(*m));
	if (ns <= 0)
		return -EBADF;
	if (ns_pack_name(m, name))
		return -EINVAL;
	m->tag = IPC_TAG(label, NS_NAME_WORDS);
	if (handle > 0) {
		m->tag |= IPC_TAG_HANDLE;
		m->handle = handle;
	}
	return ipc_call(ns, m, IPC_FOREVER);
}

/*
 * Register endpoint h under name. h itself stays the caller's: a duplicate
 * with NS_SERVICE_RIGHTS goes to the name server (h needs DUPLICATE).
 * Returns 0 or -errno (-EBADF: no name server handle).
 */
static inline long ns_register(const char *name, long h)
{
	struct ipc_msg m;
	long dup = handle_duplicate(h, NS_SERVICE_RIGHTS);

	if (dup < 0)
		return dup;
	long err = ns_call(NS_REGISTER, name, dup, &m);
	if (err) {
		handle_close(dup); /* a failed call leaves the handle with us */
		return err;
	}
	return ns_status(&m);
}

/* A SEND handle to the server registered as name, or -errno (-ENOENT: none). */
static inline long ns_lookup(const char *name)
{
	struct ipc_msg m;
	long err = ns_call(NS_LOOKUP, name, 0, &m);

	if (err)
		return err;
	if (ns_status(&m) != 0) {
		if (m.handle > 0)
			handle_close(m.handle);
		return ns_status(&m);
	}
	if (m.handle <= 0)
		return -EPROTO; /* label 0 but no handle: not a name server's reply */
	return m.handle;
}

#endif
