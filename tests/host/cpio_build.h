/*
 * cpio_build.h - write newc cpio archives in memory for the host tests of
 * the cpio parser and the initrd (test_cpio.c, test_exec.c), as
 * scripts/mkinitrd.py and GNU cpio write them.
 *
 * cpio_add() appends one member; with data_align > 0 it pads the name with
 * extra NULs (namesize counts them) so that the data starts at a multiple
 * of data_align from the archive's start, the initrd's page alignment.
 * Hosted code (libc).
 */
#ifndef TESTS_HOST_CPIO_BUILD_H
#define TESTS_HOST_CPIO_BUILD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kernel/fs/cpio.h"

/* Append member name to [out, out + *len) (room: cap bytes); false when it does not fit. */
static inline bool cpio_add(uint8_t *out, size_t cap, size_t *len, const char *name, uint32_t mode,
			    const void *data, size_t size, size_t data_align)
{
	size_t namesize = strlen(name) + 1;
	size_t at = *len;

	if (data_align)
		while ((at + CPIO_HEADER_SIZE + namesize) % data_align)
			namesize++;
	if (cap - at < CPIO_HEADER_SIZE + 1 + namesize + 3 + size + 3)
		return false;
	snprintf((char *)out + at, CPIO_HEADER_SIZE + 1,
		 "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 (unsigned)(at / 4 + 1), mode, 0u, 0u, 1u, 0x5f5e100u, (unsigned)size, 0u, 0u, 0u,
		 0u, (unsigned)namesize, 0u);
	at += CPIO_HEADER_SIZE;
	memset(out + at, 0, namesize);
	memcpy(out + at, name, strlen(name));
	at += namesize;
	while (at % 4)
		out[at++] = 0;
	if (size)
		memcpy(out + at, data, size);
	at += size;
	while (at % 4)
		out[at++] = 0;
	*len = at;
	return true;
}

#endif
