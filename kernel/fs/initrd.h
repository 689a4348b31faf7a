/*
 * initrd.h - the initial ramdisk: the files of the cpio archive GRUB loaded
 * as a multiboot2 module ("module2 /boot/initrd.cpio initrd").
 *
 * The archive stays where GRUB put it (kmain's boot_memory() reserved those
 * frames, so they are never allocated): initrd_init() walks it once with the
 * pure parser of kernel/fs/cpio.h and builds a table of the regular files,
 * names and offsets, in kmalloc'ed memory. A file's bytes are never copied:
 * exec maps text straight from the archive's frames, which is why every
 * file's data must start on a page boundary (the packer, scripts/mkinitrd.py,
 * pads the names so) and why the module must itself be page-aligned.
 *
 * Invariants (of the table, after a successful initrd_init):
 *   [x] every file's [data, data + size) lies inside the module;
 *   [x] every file's data is page-aligned (a file that is not is reported
 *       and left out of the table: it could not be mapped);
 *   [x] names are unique, NUL-terminated, without a leading "/" or "./";
 *   [x] the table never changes afterwards: lookups take no lock.
 * Context: initrd_init/initrd_load once, at boot on the boot CPU, after
 * kmalloc_init; the lookups from any thread, any CPU.
 */
#ifndef KERNEL_FS_INITRD_H
#define KERNEL_FS_INITRD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/compiler.h"
#include "mm/layout.h"

struct boot_info;

/* One regular file of the initrd. */
struct initrd_file {
	const char *name;   /* "hello", "dir/file": no leading "/" or "./" */
	phys_addr_t data;   /* physical address of its first byte, page-aligned */
	uint64_t size;      /* bytes */
	uint32_t mode;      /* the cpio mode: S_IFREG | permission bits */
	uint64_t ino;       /* the cpio inode number (fstat's st_ino) */
};

/*
 * Build the file table from the newc archive in physical [start, end).
 * Returns 0; -EINVAL when the archive is malformed (the reason is printed),
 * start is not page-aligned or the range is empty; -ENOMEM. Files whose data
 * is not page-aligned are printed and skipped (not an error). Calling it
 * again replaces the table (the old one is freed).
 * Context: boot, after kmalloc_init; the range must be mapped by the direct map.
 */
__must_check int initrd_init(phys_addr_t start, phys_addr_t end);

/*
 * Find the initrd module in bi (the module whose command line is "initrd",
 * else the first module) and initrd_init() it, printing one line: how many
 * files, how many bytes, or why there is none. A missing or malformed
 * initrd is not fatal: the kernel runs without programs.
 * Returns what initrd_init returned, or -ENOENT when there is no module.
 */
int initrd_load(const struct boot_info *bi);

/*
 * The file named path: "hello", "/hello" and "./hello" are the same file;
 * repeated slashes are not folded. NULL when absent or when there is no
 * initrd; path NULL or "" finds nothing.
 */
const struct initrd_file *initrd_find(const char *path);

/* Number of files in the table (0 without an initrd). */
size_t initrd_count(void);

/* The i-th file in archive order, or NULL when i >= initrd_count(). */
const struct initrd_file *initrd_at(size_t i);

/* The bytes of f through the direct map (f from initrd_find/initrd_at). */
const void *initrd_bytes(const struct initrd_file *f);

/*
 * Forget the table (freed; the archive stays where it is): the host tests,
 * whose heap is rebuilt between tests, call it before tearing the heap down.
 */
void initrd_release(void);

/* Physical [*start, *end) of the module in use; false when there is no initrd. */
bool initrd_range(phys_addr_t *start, phys_addr_t *end);

#endif
