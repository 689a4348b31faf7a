/*
 * user_stack.c - the builder of a new program's initial stack (the picture
 * is in user_stack.h).
 *
 * Two passes over the same layout: user_stack_size() adds up the strings and
 * the table with every sum bounded (a string longer than the whole image
 * stops the count), user_stack_build() lays them out from the top down,
 * strings first as Linux does (execfn highest, then the environment, then
 * the arguments), then AT_RANDOM's bytes, then the pointer table ending on
 * a 16-byte boundary where argc sits.
 * Invariants:
 *   [x] both passes agree: the image built is exactly user_stack_size() bytes;
 *   [x] nothing is written outside [buf, buf + buf_size).
 * Context: any; pure; host-compilable.
 */
#include "kernel/proc/user_stack.h"

#include "lib/align.h"
#include "lib/errno.h"
#include "lib/panic.h"
#include "lib/string.h"
#include "lib/uapi.h"
#include "user/include/pagoda/ipc_abi.h"

/* Where the parts of the image go, from the top down. */
struct user_stack_layout {
	size_t argc, envc;
	uint64_t strings;     /* bytes of every string, NULs included, plus the end marker */
	uint64_t table;       /* argc, argv[] NULL, envp[] NULL, auxv: bytes */
	uint64_t size;        /* the whole image, a multiple of 16 */
};

/* Bytes of the strings of v (NUL-terminated array, may be NULL) into *bytes; false past the limits. */
static bool user_stack_count(const char *const *v, size_t *count, uint64_t *bytes, size_t *total)
{
	*count = 0;
	for (; v && v[*count]; (*count)++) {
		if (++*total > USER_ARGS_MAX)
			return false;
		*bytes += strnlen(v[*count], USER_STACK_IMAGE_MAX) + 1;
		if (*bytes > USER_STACK_IMAGE_MAX)
			return false;
	}
	return true;
}

static const char *user_stack_execfn(const struct user_stack_params *p)
{
	if (p->execfn)
		return p->execfn;
	return p->argv && p->argv[0] ? p->argv[0] : "";
}

static long user_stack_plan(const struct user_stack_params *p, struct user_stack_layout *l)
{
	size_t total = 0;
	uint64_t below_strings;

	memset(l, 0, sizeof(*l));
	l->strings = 8 + strnlen(user_stack_execfn(p), USER_STACK_IMAGE_MAX) + 1;
	if (!user_stack_count(p->argv, &l->argc, &l->strings, &total) ||
	    !user_stack_count(p->envp, &l->envc, &l->strings, &total))
		return -E2BIG;
	l->table = 8 * (1 + l->argc + 1 + l->envc + 1) + 16 * USER_AUXV_PAIRS;
	/* strings, then 16 random bytes, then the table ending 16-aligned below them */
	below_strings = l->strings + 16;
	l->size = ALIGN_UP(below_strings + l->table, 16);
	if (l->size > USER_STACK_IMAGE_MAX)
		return -E2BIG;
	return (long)l->size;
}

long user_stack_size(const struct user_stack_params *p)
{
	struct user_stack_layout l;

	return user_stack_plan(p, &l);
}

/* Copy s (with its NUL) to just below *at in the image; return its user address. */
static virt_addr_t user_stack_put_string(uint8_t *image, virt_addr_t image_va, virt_addr_t *at,
					 const char *s)
{
	size_t n = strnlen(s, USER_STACK_IMAGE_MAX) + 1;

	*at -= n;
	memcpy(image + (*at - image_va), s, n - 1);
	image[*at - image_va + n - 1] = '\0';
	return *at;
}

/* Store v as table entry i (the table starts at the image's first byte; buf may be unaligned). */
static void user_stack_put(uint8_t *image, size_t i, uint64_t v)
{
	memcpy(image + 8 * i, &v, 8);
}

int user_stack_build(const struct user_stack_params *p, virt_addr_t top, void *buf,
		     size_t buf_size, virt_addr_t *sp)
{
	struct user_stack_layout l;
	long size = user_stack_plan(p, &l);
	uint8_t *image;
	virt_addr_t va, at, random_va, execfn_va;
	size_t t, argv_slot, envp_slot;

	if (size < 0)
		return (int)size;
	if ((uint64_t)size > buf_size)
		return -E2BIG;
	if (top % 16 || top < (uint64_t)size)
		return -EINVAL;
	/* the image is the last `size` bytes of buf, standing for [va, top); argc is at va */
	va = top - (uint64_t)size;
	image = (uint8_t *)buf + (buf_size - (size_t)size);
	memset(image, 0, (size_t)size);

	at = top - 8;                                   /* the end marker: 8 zero bytes */
	execfn_va = user_stack_put_string(image, va, &at, user_stack_execfn(p));
	/* the strings, environment above arguments, and the pointers to them */
	user_stack_put(image, 0, l.argc);
	argv_slot = 1;
	envp_slot = argv_slot + l.argc + 1;             /* the NULLs: zero from the memset */
	for (size_t i = l.envc; i-- > 0;)
		user_stack_put(image, envp_slot + i, user_stack_put_string(image, va, &at, p->envp[i]));
	for (size_t i = l.argc; i-- > 0;)
		user_stack_put(image, argv_slot + i, user_stack_put_string(image, va, &at, p->argv[i]));
	random_va = at - 16;
	memcpy(image + (random_va - va), p->random, 16);

	t = envp_slot + l.envc + 1;
#define AUX(type, value) do { \
		user_stack_put(image, t++, (type)); \
		user_stack_put(image, t++, (value)); \
	} while (0)
	AUX(AT_PHDR, p->phdr);
	AUX(AT_PHENT, p->phent);
	AUX(AT_PHNUM, p->phnum);
	AUX(AT_PAGESZ, PAGE_SIZE);
	AUX(AT_BASE, 0);                                /* no interpreter */
	AUX(AT_FLAGS, 0);
	AUX(AT_ENTRY, p->entry);
	AUX(AT_UID, 0);                                 /* everyone is root: one user */
	AUX(AT_EUID, 0);
	AUX(AT_GID, 0);
	AUX(AT_EGID, 0);
	AUX(AT_HWCAP, 0);                               /* musl reads nothing from it */
	AUX(AT_CLKTCK, USER_CLKTCK);
	AUX(AT_SECURE, 0);
	AUX(AT_RANDOM, random_va);
	AUX(AT_EXECFN, execfn_va);
	AUX(AT_PAGODA_NAMESERVER, p->nameserver);      /* Pagoda's: a handle (ipc_abi.h) */
	AUX(AT_NULL, 0);
#undef AUX
	ASSERT(t * 8 == l.table && va + l.table <= random_va,
	       "user_stack_build: the size pass and the build pass disagree");
	*sp = va;
	return 0;
}
