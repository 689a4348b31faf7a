/*
 * elf_image.h - ELF images for the loader's host tests (test_elf.c,
 * fuzz_elf.c, test_exec.c): a real musl executable rebuilt from its headers
 * (tests/host/elf_vectors.h), zero past them, in a heap buffer of exactly
 * the file's size so that ASan stops any read past its end; and access to
 * its header fields for the tests that break them one at a time.
 * Hosted code (libc).
 */
#ifndef TESTS_HOST_ELF_IMAGE_H
#define TESTS_HOST_ELF_IMAGE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/proc/elf.h"
#include "tests/host/elf_vectors.h"

struct elf_image {
	uint8_t *bytes;     /* malloc'ed, exactly size bytes */
	uint64_t size;
};

/* Vector v as a whole file image; bytes NULL when out of host memory. */
static inline struct elf_image elf_image_of(const struct elf_vector *v)
{
	struct elf_image im = {calloc(1, v->file_size), v->file_size};

	if (im.bytes)
		memcpy(im.bytes, v->head, v->header_size);
	return im;
}

static inline void elf_image_free(struct elf_image *im)
{
	free(im->bytes);
	im->bytes = NULL;
}

/* The ELF header of im (it is at offset 0 and 64 bytes long in every vector). */
static inline struct elf64_ehdr *elf_image_ehdr(struct elf_image *im)
{
	return (struct elf64_ehdr *)(void *)im->bytes;
}

/* Program header i of im (e_phoff is 8-aligned in every vector). */
static inline struct elf64_phdr *elf_image_phdr(struct elf_image *im, unsigned i)
{
	return (struct elf64_phdr *)(void *)(im->bytes + elf_image_ehdr(im)->e_phoff) + i;
}

/* Index of the n-th (from 0) program header of type type, or -1. */
static inline int elf_image_find(struct elf_image *im, uint32_t type, int n)
{
	for (unsigned i = 0; i < elf_image_ehdr(im)->e_phnum; i++)
		if (elf_image_phdr(im, i)->p_type == type && n-- == 0)
			return (int)i;
	return -1;
}

#endif
