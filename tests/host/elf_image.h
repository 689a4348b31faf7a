/*
 * elf_image.h - ELF images for the loader's host tests (test_elf.c,
 * fuzz_elf.c, test_exec.c): a real musl executable rebuilt from its headers
 * and dynamic section (tests/host/elf_vectors.h), zero elsewhere, in a heap buffer of exactly
 * the file's size so that ASan stops any read past its end; and access to
 * its header fields for the tests that break them one at a time.
 * Hosted code (libc).
 */
#ifndef TESTS_HOST_ELF_IMAGE_H
#define TESTS_HOST_ELF_IMAGE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/proc/elf.h"
#include "lib/uapi.h"
#include "tests/host/elf_vectors.h"

struct elf_image {
	uint8_t *bytes;     /* malloc'ed, exactly size bytes */
	uint64_t size;
};

/* Vector v as a whole file image; bytes NULL when out of host memory. */
static inline struct elf_image elf_image_of(const struct elf_vector *v)
{
	struct elf_image im = {calloc(1, v->file_size), v->file_size};

	if (im.bytes) {
		memcpy(im.bytes, v->head, v->header_size);
		if (v->dyn)
			memcpy(im.bytes + v->dyn_offset, v->dyn, v->dyn_size);
	}
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

/*
 * What is wrong with a plan elf_check() returned for a file of file_size
 * bytes (elf.h's invariants), or NULL: test_elf.c and fuzz_elf.c check every
 * accepted file with it.
 */
static inline const char *elf_plan_problem(const struct elf_plan *p, uint64_t file_size)
{
	bool entry = false, phdr = false;

	if (p->segment_count == 0 || p->segment_count > ELF_SEGMENTS_MAX)
		return "segment count out of range";
	for (size_t i = 0; i < p->segment_count; i++) {
		const struct elf_segment *s = &p->segments[i];
		uint64_t mask = PAGE_SIZE - 1;

		if ((s->start & mask) || (s->file_end & mask) || (s->end & mask) || (s->file_offset & mask))
			return "a segment is not page-aligned";
		if (!(s->start <= s->file_end && s->file_end <= s->end && s->start < s->end))
			return "a segment's start, file_end and end are out of order";
		if (s->start < USER_START || s->end > USER_MMAP_TOP)
			return "a segment is outside the user range";
		if (i > 0 && p->segments[i - 1].end > s->start)
			return "segments overlap or are unsorted";
		if ((s->prot & PROT_WRITE) && (s->prot & PROT_EXEC))
			return "a segment is writable and executable";
		if (s->file_offset > file_size || file_size - s->file_offset < s->file_bytes)
			return "a segment's file bytes run past the file";
		if (s->file_end - s->start != ((s->file_bytes + mask) & ~mask))
			return "file_end disagrees with file_bytes";
		if ((s->prot & PROT_EXEC) && p->entry >= s->start && p->entry < s->start + s->file_bytes)
			entry = true;
		if (p->phdr >= s->start && p->phdr + (uint64_t)p->phnum * p->phent <= s->start + s->file_bytes)
			phdr = true;
	}
	if (!entry)
		return "the entry is in no executable segment's file bytes";
	if (!phdr)
		return "the program headers are in no segment's file bytes";
	if (p->image_end != p->segments[p->segment_count - 1].end)
		return "image_end is not the last segment's end";
	return NULL;
}

#endif
