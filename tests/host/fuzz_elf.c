/*
 * fuzz_elf.c - a seeded random fuzzer of the ELF validator, elf_check()
 * (kernel/proc/elf.c), host only.
 *
 * The loader reads files a student (or anyone) put in the initrd, so it must
 * survive any bytes. Starting from real musl executables (a static ET_EXEC
 * and a static-pie, tests/host/elf_vectors.h), each iteration applies 1-4
 * mutations: random bytes in the headers, "interesting" values (0, 1, -1,
 * page and half-space boundaries, USER_* limits) in a random header field,
 * program header types swapped (PT_INTERP, PT_GNU_STACK, PT_LOAD...), flags
 * flipped, e_phnum/e_phoff changed, dynamic entries turned into DT_NEEDED or
 * DT_TEXTREL, the file cut short. The bytes past the
 * cut are poisoned for ASan, so any read outside [image, image + size)
 * stops the program. Every result must be either
 *   - -ENOEXEC with a non-empty, NUL-terminated reason, or
 *   - 0 with a plan satisfying elf.h's invariants (elf_plan_problem()).
 * and at least FUZZ_KINDS_MIN different kinds of refusal must be reached
 * (FUZZ_ELF_KINDS=1 in the environment lists them).
 * Deterministic (lib/random.h, fixed seed): a failure names its iteration.
 * Output follows the selftest format. Hosted code (libc), built with
 * -fsanitize=address,undefined.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/proc/elf.h"
#include "lib/errno.h"
#include "lib/random.h"
#include "tests/host/elf_image.h"
#include "tests/host/asan_poison.h"

#define FUZZ_SEED 0xbb67ae8584caa73bull
#define FUZZ_ITERATIONS 300000
#define FUZZ_KINDS_MIN 28     /* distinct refusals the mutations must reach (31 of 34 today) */
#define VECTORS (sizeof(elf_vectors) / sizeof(elf_vectors[0]))

static uint64_t rng = FUZZ_SEED;

static uint64_t below(uint64_t n)
{
	return random_below(&rng, n);
}

static const uint64_t interesting[] = {
	0, 1, 2, 3, 7, 8, 0x38, 0x40, 0xfff, 0x1000, 0x1001, 0x10000, 0x400000,
	0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ull, USER_START - 1, USER_START,
	USER_PIE_BASE, USER_MMAP_TOP - 0x1000, USER_MMAP_TOP, USER_TOP, 0x0000800000000000ull,
	0x7fffffffffffffffull, 0x8000000000000000ull, ~0ull - 0xfff, ~0ull - 1, ~0ull,
};
static const uint32_t types[] = {
	PT_NULL, PT_LOAD, PT_DYNAMIC, PT_INTERP, PT_PHDR, PT_TLS, PT_GNU_STACK, 0x6474e552, 99,
};

/* Write n bytes of v (little endian) at p. */
static void put(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* A random value for a field of n bytes: interesting, near a field's value, or random. */
static uint64_t value(const uint8_t *field, unsigned n)
{
	uint64_t old = 0;

	for (unsigned i = 0; i < n; i++)
		old |= (uint64_t)field[i] << (8 * i);
	switch (below(4)) {
	case 0: return interesting[below(sizeof(interesting) / sizeof(interesting[0]))];
	case 1: return old + below(0x3000) - 0x1800;
	case 2: return old ^ (1ull << below(8 * n));
	default: return random_next(&rng);
	}
}

/* One mutation of im (header bytes: the first header_size); may shrink *size. */
static void mutate(struct elf_image *im, uint32_t header_size, uint64_t dyn_offset,
		   uint32_t dyn_size, uint64_t *size)
{
	struct elf64_ehdr *eh = elf_image_ehdr(im);
	unsigned phnum = eh->e_phnum <= 16 ? eh->e_phnum : 16;
	bool table_ok = eh->e_phoff % 8 == 0 && eh->e_phoff <= header_size &&
			header_size - eh->e_phoff >= 56ull * phnum;
	struct elf64_phdr *ph = table_ok && phnum ? elf_image_phdr(im, (unsigned)below(phnum)) : NULL;
	/* the (offset, width) of the fields of a program header */
	static const uint8_t phdr_fields[][2] = {{0, 4}, {4, 4}, {8, 8}, {16, 8}, {24, 8}, {32, 8},
						  {40, 8}, {48, 8}};
	static const uint8_t ehdr_fields[][2] = {{16, 2}, {18, 2}, {20, 4}, {24, 8}, {32, 8},
						  {52, 2}, {54, 2}, {56, 2}};

	switch (below(10)) {
	case 0: /* random bytes anywhere in the headers */
		for (uint64_t k = 1 + below(4); k; k--)
			im->bytes[below(header_size)] = (uint8_t)random_next(&rng);
		break;
	case 1: { /* a program header field */
		if (!ph)
			break;
		const uint8_t *f = phdr_fields[below(8)];
		put((uint8_t *)ph + f[0], value((uint8_t *)ph + f[0], f[1]), f[1]);
		break;
	}
	case 2: { /* an ELF header field */
		const uint8_t *f = ehdr_fields[below(8)];
		put(im->bytes + f[0], value(im->bytes + f[0], f[1]), f[1]);
		break;
	}
	case 3: /* a program header's type */
		if (ph)
			ph->p_type = types[below(sizeof(types) / sizeof(types[0]))];
		break;
	case 4: /* its flags */
		if (ph)
			ph->p_flags ^= 1u << below(3);
		break;
	case 5: /* two program headers swapped */
		if (ph && phnum > 1) {
			struct elf64_phdr *other = elf_image_phdr(im, (unsigned)below(phnum)), t = *ph;
			*ph = *other;
			*other = t;
		}
		break;
	case 6: /* the file cut short */
		*size = below(*size + 1);
		break;
	case 7: /* e_ident bytes */
		im->bytes[below(EI_NIDENT)] = (uint8_t)value(&im->bytes[0], 1);
		break;
	case 8: /* a dynamic entry's tag (the static-pie's section, restored each iteration) */
		if (dyn_size >= 16) {
			static const int64_t tags[] = {DT_NULL, DT_NEEDED, DT_TEXTREL, DT_FLAGS, 0x6ffffffb};
			struct elf64_dyn d = {tags[below(5)], below(2) ? DF_TEXTREL : random_next(&rng)};
			memcpy(im->bytes + dyn_offset + 16 * below(dyn_size / 16), &d, sizeof(d));
		}
		break;
	default: /* memsz/filesz grown to neighbours: overlaps, bss, file ends */
		if (ph) {
			ph->p_memsz += below(2) ? 0x1000 * below(4) : below(0x40000);
			if (below(2))
				ph->p_filesz = ph->p_memsz + below(3) - 1;
		}
		break;
	}
}

/*
 * Distinct kinds of refusal seen: the reason's first 47 characters with
 * every word holding a digit replaced by "#", so that "segment 3 overlaps
 * segment 2" and "segment 1 overlaps segment 0" count once. A fuzzer that
 * reaches only the first checks would see few.
 */
#define KINDS_MAX 64
static char kinds[KINDS_MAX][48];
static unsigned nkinds;

static void count_kind(const char *why)
{
	char k[48];
	size_t n = 0;

	while (*why && n < sizeof(k) - 2) {
		size_t len = strcspn(why, " ");
		bool digit = false;
		for (size_t i = 0; i < len; i++)
			digit |= why[i] >= '0' && why[i] <= '9';
		if (digit)
			k[n++] = '#';
		for (size_t i = 0; !digit && i < len && n < sizeof(k) - 2; i++)
			k[n++] = why[i];
		why += len;
		if (*why == ' ') {
			k[n++] = ' ';
			why++;
		}
	}
	k[n] = '\0';
	for (unsigned i = 0; i < nkinds; i++)
		if (!strcmp(kinds[i], k))
			return;
	if (nkinds < KINDS_MAX)
		strcpy(kinds[nkinds++], k);
}

int main(void)
{
	struct elf_image images[VECTORS];
	unsigned long accepted = 0, refused = 0, it;
	unsigned passed = 0, failed = 0;
	char reason[300] = "";

	for (size_t v = 0; v < VECTORS; v++) {
		images[v] = elf_image_of(&elf_vectors[v]);
		if (!images[v].bytes) {
			printf("selftest: FAIL fuzz/elf: out of host memory\n");
			return 1;
		}
	}
	/* The seeds themselves are accepted. */
	for (size_t v = 0; v < VECTORS && !reason[0]; v++) {
		struct elf_plan plan;
		char why[200];
		const char *problem;
		if (elf_check(images[v].bytes, images[v].size, &plan, why, sizeof(why)) != 0)
			snprintf(reason, sizeof(reason), "seed %s refused: %s", elf_vectors[v].name, why);
		else if ((problem = elf_plan_problem(&plan, images[v].size)))
			snprintf(reason, sizeof(reason), "seed %s: %s", elf_vectors[v].name, problem);
	}
	printf("selftest: %s fuzz/elf_seeds%s%s\n", reason[0] ? "FAIL" : "PASS", reason[0] ? ": " : "",
	       reason);
	reason[0] ? failed++ : passed++;

	reason[0] = '\0';
	for (it = 0; it < FUZZ_ITERATIONS && !reason[0]; it++) {
		size_t v = (size_t)below(VECTORS);
		const struct elf_vector *vec = &elf_vectors[v];
		struct elf_image *im = &images[v];
		uint64_t size = im->size;
		struct elf_plan plan;
		char why[200];

		memcpy(im->bytes, vec->head, vec->header_size);   /* back to the seed */
		if (vec->dyn)
			memcpy(im->bytes + vec->dyn_offset, vec->dyn, vec->dyn_size);
		for (uint64_t m = 1 + below(4); m; m--)
			mutate(im, vec->header_size, vec->dyn_offset, vec->dyn_size, &size);
		POISON(im->bytes + size, im->size - size);
		memset(why, 'X', sizeof(why));
		int rc = elf_check(im->bytes, size, &plan, why, sizeof(why));
		UNPOISON(im->bytes, im->size);
		if (rc == -ENOEXEC) {
			refused++;
			if (!memchr(why, '\0', sizeof(why)) || !why[0])
				snprintf(reason, sizeof(reason), "iteration %lu: refused without a reason", it);
			else
				count_kind(why);
		} else if (rc == 0) {
			const char *problem = elf_plan_problem(&plan, size);
			accepted++;
			if (problem)
				snprintf(reason, sizeof(reason), "iteration %lu: accepted, but %s", it, problem);
			else if (why[0])
				snprintf(reason, sizeof(reason), "iteration %lu: accepted with \"%.100s\"", it,
					 why);
		} else {
			snprintf(reason, sizeof(reason), "iteration %lu: returned %d", it, rc);
		}
	}
	printf("fuzz_elf: %lu iterations from seed 0x%llx: %lu accepted, %lu refused, "
	       "%u kinds of refusal\n", it, (unsigned long long)FUZZ_SEED, accepted, refused, nkinds);
	if (!reason[0] && nkinds < FUZZ_KINDS_MIN)
		snprintf(reason, sizeof(reason), "only %u kinds of refusal reached (at least %d)",
			 nkinds, FUZZ_KINDS_MIN);
	/* a fuzzer that never passes the first checks, or never fails them, tests little */
	if (!reason[0] && (accepted < FUZZ_ITERATIONS / 50 || refused < FUZZ_ITERATIONS / 2))
		snprintf(reason, sizeof(reason), "unbalanced: %lu accepted, %lu refused", accepted,
			 refused);
	if (getenv("FUZZ_ELF_KINDS"))
		for (unsigned i = 0; i < nkinds; i++)
			printf("  kind: %s\n", kinds[i]);
	printf("selftest: %s fuzz/elf%s%s\n", reason[0] ? "FAIL" : "PASS", reason[0] ? ": " : "",
	       reason);
	reason[0] ? failed++ : passed++;
	for (size_t v = 0; v < VECTORS; v++)
		elf_image_free(&images[v]);
	printf("selftest: %u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
