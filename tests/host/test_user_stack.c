/*
 * test_user_stack.c - suite "user_stack": the initial stack image of a new
 * program (kernel/proc/user_stack.c), read back the way musl's start-up code
 * reads it (argc at rsp, then argv[], NULL, envp[], NULL, auxv pairs).
 *
 * Covered: argc/argv/envp strings and pointers, every auxv entry (AT_PHDR
 * ... AT_NULL) and AT_RANDOM's 16 bytes, all pointers inside the image and
 * below the 8-byte end marker; rsp 16-byte aligned for 0..40 arguments of
 * every length parity; NULL argv/envp; execfn defaulting to argv[0]; the
 * limits (-E2BIG for too many strings, too many bytes, a short buffer;
 * -EINVAL for a misaligned top); user_stack_size() equal to what is built;
 * an unaligned buffer (UBSan).
 * Hosted code: may use libc.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/proc/user_stack.h"
#include "kernel/selftest.h"
#include "lib/errno.h"
#include "lib/uapi.h"

#define TOP 0x7ffffffff000ull

static uint8_t stack_buf[USER_STACK_IMAGE_MAX + 64];

/* The user address va read from the image (buf stands for [TOP - size, TOP)). */
static uint64_t get64(const uint8_t *buf, size_t size, uint64_t va)
{
	uint64_t v;

	memcpy(&v, buf + (size - (TOP - va)), 8);
	return v;
}

static const char *str_at(const uint8_t *buf, size_t size, uint64_t va)
{
	return (const char *)buf + (size - (TOP - va));
}

/* The value of auxv entry type, or ~0 when absent. */
static uint64_t aux(const uint8_t *buf, size_t size, uint64_t auxv, uint64_t type)
{
	for (uint64_t va = auxv;; va += 16) {
		uint64_t t = get64(buf, size, va);
		if (t == type)
			return get64(buf, size, va + 8);
		if (t == AT_NULL)
			return ~0ull;
	}
}

static struct user_stack_params params(const char *const *argv, const char *const *envp)
{
	struct user_stack_params p = {
		.argv = argv, .envp = envp, .execfn = NULL,
		.phdr = 0x400040, .phent = 56, .phnum = 6, .entry = 0x401000,
	};
	for (int i = 0; i < 16; i++)
		p.random[i] = (uint8_t)(0xa0 + i);
	return p;
}

/* Build p into stack_buf at offset `skew` and check everything musl reads. */
static const char *build_and_read(const struct user_stack_params *p, size_t skew)
{
	uint8_t *buf = stack_buf + skew;
	size_t size = USER_STACK_IMAGE_MAX;
	uint64_t sp = 0;
	long expect = user_stack_size(p);

	CHECKF(expect > 0 && expect % 16 == 0, "user_stack_size %ld", expect);
	memset(stack_buf, 0xee, sizeof(stack_buf));
	int rc = user_stack_build(p, TOP, buf, size, &sp);
	CHECKF(rc == 0, "build: %d", rc);
	CHECKF(sp % 16 == 0, "rsp 0x%llx not 16-aligned", (unsigned long long)sp);
	CHECKF(TOP - sp == (uint64_t)expect, "image %llu bytes, size said %ld",
	       (unsigned long long)(TOP - sp), expect);
	CHECK(buf[size - (TOP - sp) - 1] == 0xee); /* nothing written below the image */
	CHECK(get64(buf, size, TOP - 8) == 0);     /* the end marker */

	size_t argc = 0, envc = 0;
	while (p->argv && p->argv[argc])
		argc++;
	while (p->envp && p->envp[envc])
		envc++;
	CHECKF(get64(buf, size, sp) == argc, "argc %llu, expected %zu",
	       (unsigned long long)get64(buf, size, sp), argc);
	uint64_t va = sp + 8;
	for (size_t i = 0; i < argc; i++, va += 8) {
		uint64_t s = get64(buf, size, va);
		CHECKF(s >= sp && s < TOP - 8, "argv[%zu] outside the image", i);
		CHECKF(!strcmp(str_at(buf, size, s), p->argv[i]), "argv[%zu] \"%s\"", i,
		       str_at(buf, size, s));
	}
	CHECK(get64(buf, size, va) == 0);
	va += 8;
	for (size_t i = 0; i < envc; i++, va += 8) {
		uint64_t s = get64(buf, size, va);
		CHECKF(s >= sp && s < TOP - 8, "envp[%zu] outside the image", i);
		CHECKF(!strcmp(str_at(buf, size, s), p->envp[i]), "envp[%zu]", i);
	}
	CHECK(get64(buf, size, va) == 0);
	va += 8;
	CHECK(aux(buf, size, va, AT_PHDR) == p->phdr);
	CHECK(aux(buf, size, va, AT_PHENT) == p->phent);
	CHECK(aux(buf, size, va, AT_PHNUM) == p->phnum);
	CHECK(aux(buf, size, va, AT_PAGESZ) == 4096);
	CHECK(aux(buf, size, va, AT_ENTRY) == p->entry);
	CHECK(aux(buf, size, va, AT_BASE) == 0);
	CHECK(aux(buf, size, va, AT_UID) == 0 && aux(buf, size, va, AT_EUID) == 0);
	CHECK(aux(buf, size, va, AT_GID) == 0 && aux(buf, size, va, AT_EGID) == 0);
	CHECK(aux(buf, size, va, AT_HWCAP) == 0 && aux(buf, size, va, AT_SECURE) == 0);
	CHECK(aux(buf, size, va, AT_CLKTCK) == 100);
	uint64_t r = aux(buf, size, va, AT_RANDOM);
	CHECKF(r >= sp && r + 16 <= TOP - 8, "AT_RANDOM 0x%llx outside", (unsigned long long)r);
	CHECK(!memcmp(str_at(buf, size, r), p->random, 16));
	uint64_t fn = aux(buf, size, va, AT_EXECFN);
	const char *want = p->execfn ? p->execfn : argc ? p->argv[0] : "";
	CHECKF(fn >= sp && fn < TOP - 8 && !strcmp(str_at(buf, size, fn), want),
	       "AT_EXECFN \"%s\"", fn >= sp && fn < TOP ? str_at(buf, size, fn) : "?");
	CHECK(aux(buf, size, va, 99) == ~0ull);   /* AT_NULL ends the vector */
	/* the table lies below AT_RANDOM */
	uint64_t n = 0;
	while (get64(buf, size, va + 16 * n) != AT_NULL)
		n++;
	CHECKF(n + 1 == USER_AUXV_PAIRS, "%llu auxv pairs", (unsigned long long)n + 1);
	CHECK(va + 16 * (n + 1) <= r);
	return NULL;
}

static const char *test_hello(void)
{
	const char *argv[] = {"hello", "one", "two three", NULL};
	const char *envp[] = {"HOME=/", "TERM=pagoda", NULL};
	struct user_stack_params p = params(argv, envp);

	CHECK_OK(build_and_read(&p, 0));
	p.execfn = "/hello";
	CHECK_OK(build_and_read(&p, 0));
	CHECK_OK(build_and_read(&p, 3));   /* an unaligned buffer */
	return NULL;
}

static const char *test_empty(void)
{
	struct user_stack_params p = params(NULL, NULL);

	CHECK_OK(build_and_read(&p, 0));
	const char *none[] = {NULL};
	p = params(none, none);
	CHECK_OK(build_and_read(&p, 0));
	return NULL;
}

/* Alignment holds for every count of arguments and environment strings. */
static const char *test_alignment(void)
{
	static const char *argv[42], *envp[6];
	static const char *words[] = {"a", "bb", "ccc", "dddd", "", "fffffffffffffffff"};

	for (size_t envc = 0; envc < 5; envc++) {
		for (size_t argc = 0; argc <= 40; argc++) {
			for (size_t i = 0; i < argc; i++)
				argv[i] = words[(i + argc) % 6];
			argv[argc] = NULL;
			for (size_t i = 0; i < envc; i++)
				envp[i] = words[(i * 5 + argc) % 6];
			envp[envc] = NULL;
			struct user_stack_params p = params(argv, envp);
			const char *r = build_and_read(&p, argc % 8);
			CHECKF(!r, "argc %zu envc %zu: %s", argc, envc, r);
		}
	}
	return NULL;
}

static const char *test_limits(void)
{
	static const char *many[USER_ARGS_MAX + 2];
	static char big[USER_STACK_IMAGE_MAX];
	uint64_t sp;

	for (size_t i = 0; i < USER_ARGS_MAX + 1; i++)
		many[i] = "x";
	many[USER_ARGS_MAX + 1] = NULL;
	struct user_stack_params p = params(many, NULL);
	CHECK(user_stack_size(&p) == -E2BIG);
	CHECK(user_stack_build(&p, TOP, stack_buf, USER_STACK_IMAGE_MAX, &sp) == -E2BIG);
	many[USER_ARGS_MAX] = NULL;                     /* exactly the limit: fits */
	p = params(many, NULL);
	CHECK(user_stack_size(&p) > 0);
	CHECK_OK(build_and_read(&p, 0));

	memset(big, 'y', sizeof(big) - 1);              /* one string as big as the image */
	const char *argv[] = {"big", big, NULL};
	p = params(argv, NULL);
	CHECK(user_stack_size(&p) == -E2BIG);
	big[sizeof(big) / 2] = '\0';                    /* half of it fits */
	p = params(argv, NULL);
	CHECK_OK(build_and_read(&p, 0));

	/* a buffer too small, a misaligned or too low top */
	const char *small[] = {"hello", NULL};
	p = params(small, NULL);
	long need = user_stack_size(&p);
	CHECK(need > 0);
	CHECK(user_stack_build(&p, TOP, stack_buf, (size_t)need - 1, &sp) == -E2BIG);
	CHECK(user_stack_build(&p, TOP, stack_buf, (size_t)need, &sp) == 0 && sp == TOP - (uint64_t)need);
	CHECK(user_stack_build(&p, TOP - 8, stack_buf, (size_t)need, &sp) == -EINVAL);
	CHECK(user_stack_build(&p, 16, stack_buf, (size_t)need, &sp) == -EINVAL);
	return NULL;
}

static const struct selftest user_stack_tests[] = {
	{"hello", "argv, envp, every auxv entry read back as musl does", test_hello},
	{"empty", "no arguments, no environment: argc 0, execfn \"\"", test_empty},
	{"alignment", "rsp 16-aligned for 0..40 arguments and 0..4 variables", test_alignment},
	{"limits", "-E2BIG past USER_ARGS_MAX strings or the image size; -EINVAL tops",
	 test_limits},
};

SELFTEST_SUITE(user_stack, user_stack_tests);
