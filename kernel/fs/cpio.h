/*
 * cpio.h - a parser of cpio archives in the "newc" format (the SVR4 format
 * without checksums, magic "070701"), which Linux uses for its initramfs and
 * Pagoda for its initrd.
 *
 * Each member is a 110-byte ASCII header (the magic, then thirteen 8-digit
 * hexadecimal fields), the name (namesize bytes, NUL included, possibly
 * followed by more NULs), padding to a multiple of 4, the data (filesize
 * bytes), padding to a multiple of 4. The member named "TRAILER!!!" ends the
 * archive.
 *
 *   offset 0    6      14     22     30     38     46     54     62 ...  110
 *          magic ino   mode   uid    gid    nlink  mtime  filesize ... check
 *
 * The parser is pure: no allocation, no globals, no output. It never reads
 * outside [archive, archive + size), whatever the bytes say.
 * Invariants (of an entry cpio_next() returns):
 *   [x] name points at name_len bytes inside the archive followed by a NUL;
 *   [x] data_offset + size <= the archive's size, without overflow;
 *   [x] *offset moved forward (so a walk always ends).
 * Context: any; host-compilable.
 */
#ifndef KERNEL_FS_CPIO_H
#define KERNEL_FS_CPIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/compiler.h"

#define CPIO_HEADER_SIZE 110         /* the fixed newc header, in bytes */
#define CPIO_NEWC_MAGIC "070701"     /* the magic of newc (070702 has checksums: refused) */
#define CPIO_TRAILER "TRAILER!!!"    /* the name of the last member */
#define CPIO_NAME_MAX 4096           /* longest namesize accepted (Linux's PATH_MAX) */

/* cpio mode bits (the st_mode file types, octal as in <sys/stat.h>). */
#define CPIO_S_IFMT 0170000   /* mask of the file type */
#define CPIO_S_IFREG 0100000  /* regular file */
#define CPIO_S_IFDIR 0040000  /* directory */
#define CPIO_S_IFLNK 0120000  /* symbolic link */

/* One member of the archive. */
struct cpio_entry {
	const char *name;     /* inside the archive, NUL-terminated */
	size_t name_len;      /* bytes before the first NUL */
	uint64_t data_offset; /* where the data starts, from the archive's start */
	uint64_t size;        /* bytes of data */
	uint32_t ino;
	uint32_t mode;        /* type (CPIO_S_IF*) and permissions */
	uint32_t uid, gid, nlink, mtime;
	bool trailer;         /* the "TRAILER!!!" member: the end */
};

/*
 * Parse the member at *offset of the archive [archive, archive + size) into
 * *entry and advance *offset past it (to the next header).
 *   offset  the header's position: 0 for the first member; must be a multiple of 4
 *   why     on failure a one-line reason, e.g. "member at 0x1f8: filesize
 *           0x2000 runs past the end of the archive (0x2100 bytes)"; may be
 *           NULL when why_size is 0
 * Returns 0 (entry filled; entry->trailer at the end), or -EINVAL: a
 * misaligned offset, a header past the end, a bad magic, a field that is not
 * 8 hex digits, namesize 0 or > CPIO_NAME_MAX, a name without its NUL inside
 * namesize, a name or data running past the end.
 */
__must_check int cpio_next(const void *archive, uint64_t size, uint64_t *offset,
			   struct cpio_entry *entry, char *why, size_t why_size);

#endif
