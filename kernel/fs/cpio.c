/*
 * cpio.c - the newc cpio parser (see cpio.h for the format).
 *
 * Every number in a header is eight ASCII hexadecimal digits; each is
 * decoded with its own check, and every length is compared with the bytes
 * left before it is added to an offset, so that no sum can wrap and no read
 * can leave the archive. The name is the string up to its first NUL inside
 * namesize: the packer may put extra NULs after it (Pagoda's does, so that
 * each file's data starts on a page boundary).
 * Invariants:
 *   [x] nothing outside [archive, archive + size) is read;
 *   [x] every refusal fills why with the member's offset and the field.
 * Context: any; pure; host-compilable.
 */
#include "kernel/fs/cpio.h"

#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"

/* The header's fields after the magic, in order, each 8 hex digits. */
enum cpio_field {
	CPIO_INO, CPIO_MODE, CPIO_UID, CPIO_GID, CPIO_NLINK, CPIO_MTIME, CPIO_FILESIZE,
	CPIO_DEVMAJOR, CPIO_DEVMINOR, CPIO_RDEVMAJOR, CPIO_RDEVMINOR, CPIO_NAMESIZE, CPIO_CHECK,
	CPIO_FIELDS
};

static const char *const cpio_field_names[CPIO_FIELDS] = {
	"ino", "mode", "uid", "gid", "nlink", "mtime", "filesize",
	"devmajor", "devminor", "rdevmajor", "rdevminor", "namesize", "check",
};

_Static_assert(6 + 8 * CPIO_FIELDS == CPIO_HEADER_SIZE, "cpio: 13 fields of 8 digits after the magic");

/* Fill why (ksnprintf: nothing when why_size is 0) and give the error: return MACRO(...). */
#define CPIO_REFUSE(why, why_size, ...) (ksnprintf((why), (why_size), __VA_ARGS__), -EINVAL)

/* 8 hex digits at s into *out; false if any is not a hex digit. */
static bool cpio_hex8(const char *s, uint32_t *out)
{
	uint32_t v = 0;

	for (int i = 0; i < 8; i++) {
		char c = s[i];
		uint32_t d;

		if (c >= '0' && c <= '9')
			d = (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (uint32_t)(c - 'A' + 10);
		else
			return false;
		v = v << 4 | d;
	}
	*out = v;
	return true;
}

/* x rounded up to a multiple of 4, or false when that passes limit. */
static bool cpio_align4(uint64_t x, uint64_t limit, uint64_t *out)
{
	uint64_t r = (x + 3) & ~(uint64_t)3;

	if (x > limit || r > limit)
		return false;
	*out = r;
	return true;
}

int cpio_next(const void *archive, uint64_t size, uint64_t *offset, struct cpio_entry *entry,
	      char *why, size_t why_size)
{
	const char *a = archive;
	uint64_t at = *offset;
	uint32_t f[CPIO_FIELDS];
	uint64_t name_at, name_end, data_at, data_end, next;

	if (why && why_size)
		why[0] = '\0';
	if (at % 4)
		return CPIO_REFUSE(why, why_size, "member at 0x%llx: offset not a multiple of 4",
				   (unsigned long long)at);
	if (at > size || size - at < CPIO_HEADER_SIZE)
		return CPIO_REFUSE(why, why_size,
				   "member at 0x%llx: header runs past the end of the archive (0x%llx bytes): no %s",
				   (unsigned long long)at, (unsigned long long)size, CPIO_TRAILER);
	if (memcmp(a + at, CPIO_NEWC_MAGIC, 6) != 0)
		return CPIO_REFUSE(why, why_size,
				   "member at 0x%llx: bad magic \"%.6s\" (newc is \"%s\")",
				   (unsigned long long)at, a + at, CPIO_NEWC_MAGIC);
	for (int i = 0; i < CPIO_FIELDS; i++)
		if (!cpio_hex8(a + at + 6 + 8 * i, &f[i]))
			return CPIO_REFUSE(why, why_size,
					   "member at 0x%llx: field %s is not 8 hex digits",
					   (unsigned long long)at, cpio_field_names[i]);
	if (f[CPIO_NAMESIZE] == 0 || f[CPIO_NAMESIZE] > CPIO_NAME_MAX)
		return CPIO_REFUSE(why, why_size, "member at 0x%llx: namesize %u out of range 1..%u",
				   (unsigned long long)at, f[CPIO_NAMESIZE], CPIO_NAME_MAX);
	name_at = at + CPIO_HEADER_SIZE;
	if (size - name_at < f[CPIO_NAMESIZE])
		return CPIO_REFUSE(why, why_size,
				   "member at 0x%llx: name (%u bytes) runs past the end of the archive (0x%llx bytes)",
				   (unsigned long long)at, f[CPIO_NAMESIZE], (unsigned long long)size);
	name_end = name_at + f[CPIO_NAMESIZE];
	entry->name = a + name_at;
	entry->name_len = strnlen(entry->name, f[CPIO_NAMESIZE]);
	if (entry->name_len == f[CPIO_NAMESIZE])
		return CPIO_REFUSE(why, why_size, "member at 0x%llx: name has no NUL within namesize %u",
				   (unsigned long long)at, f[CPIO_NAMESIZE]);
	if (!cpio_align4(name_end, size, &data_at)) {
		/* an empty last member (the trailer) may end without its padding */
		if (f[CPIO_FILESIZE] != 0)
			return CPIO_REFUSE(why, why_size,
					   "member at 0x%llx: name padding runs past the end of the archive",
					   (unsigned long long)at);
		data_at = size;
	}
	if (size - data_at < f[CPIO_FILESIZE])
		return CPIO_REFUSE(why, why_size,
				   "member at 0x%llx (%s): filesize 0x%x runs past the end of the archive (0x%llx bytes)",
				   (unsigned long long)at, entry->name, f[CPIO_FILESIZE], (unsigned long long)size);
	data_end = data_at + f[CPIO_FILESIZE];
	/* The padding after the last member may be missing (some packers stop at the data). */
	next = (data_end + 3) & ~(uint64_t)3;
	if (next > size)
		next = size;

	entry->data_offset = data_at;
	entry->size = f[CPIO_FILESIZE];
	entry->ino = f[CPIO_INO];
	entry->mode = f[CPIO_MODE];
	entry->uid = f[CPIO_UID];
	entry->gid = f[CPIO_GID];
	entry->nlink = f[CPIO_NLINK];
	entry->mtime = f[CPIO_MTIME];
	entry->trailer = strcmp(entry->name, CPIO_TRAILER) == 0;
	*offset = next;
	return 0;
}
