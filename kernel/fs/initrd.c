/*
 * initrd.c - the initrd's file table (see initrd.h).
 *
 * One walk of the archive with cpio_next() counts and checks the members,
 * a second fills a kmalloc'ed array: regular files only (directories are
 * implied by the names, "." and the trailer are skipped), their names
 * pointing into the archive itself (the archive's frames are reserved and
 * never freed, so the names live as long as the kernel). Lookups are a
 * linear search: an initrd holds tens of programs.
 * Invariants:
 *   [x] initrd_files/initrd_nfiles describe the table of the last
 *       successful initrd_init (none before one);
 *   [x] every entry satisfies initrd.h's invariants (inside, page-aligned,
 *       unique, no leading "/" or "./").
 * Context: initrd_init/initrd_load at boot (one CPU, before any reader);
 * the lookups anywhere afterwards, lock-free (the table never changes).
 */
#include "kernel/fs/initrd.h"

#include "kernel/bootinfo.h"
#include "kernel/fs/cpio.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/kmalloc.h"

static struct initrd_file *initrd_files;
static size_t initrd_nfiles;
static phys_addr_t initrd_start, initrd_end;

/* name without its leading "/" and "./" parts ("./bin/x" -> "bin/x"). */
static const char *initrd_strip(const char *name)
{
	for (;;) {
		if (name[0] == '/')
			name++;
		else if (name[0] == '.' && name[1] == '/')
			name += 2;
		else
			return name;
	}
}

/* Linear search of the first n entries of table. */
static const struct initrd_file *initrd_search(const struct initrd_file *table, size_t n,
					       const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(table[i].name, name) == 0)
			return &table[i];
	return NULL;
}

/*
 * Walk the archive; with table == NULL only count the regular files (into
 * *count), else fill table (room for *count) and set *count to the number
 * kept. Returns 0 or -EINVAL (printed).
 */
static int initrd_walk(const void *archive, phys_addr_t start, uint64_t size,
		       struct initrd_file *table, size_t *count)
{
	char why[160];
	uint64_t off = 0;
	struct cpio_entry e;
	size_t n = 0;

	for (;;) {
		if (cpio_next(archive, size, &off, &e, why, sizeof(why)) != 0) {
			kprintf("initrd: malformed archive: %s\n", why);
			return -EINVAL;
		}
		if (e.trailer)
			break;
		if ((e.mode & CPIO_S_IFMT) != CPIO_S_IFREG)
			continue;                       /* directories, links, devices */
		const char *name = initrd_strip(e.name);
		if (name[0] == '\0')
			continue;
		if (!table) {
			n++;
			continue;
		}
		phys_addr_t data = start + e.data_offset;
		if (e.size && data % PAGE_SIZE) {
			kprintf("initrd: %s: data at 0x%llx is not page-aligned (pack with "
				"scripts/mkinitrd.py): left out\n", name, (unsigned long long)data);
			continue;
		}
		if (initrd_search(table, n, name)) {
			kprintf("initrd: %s: a second file of that name: left out\n", name);
			continue;
		}
		if (n == *count)
			break;                          /* cannot happen: the count pass saw as many */
		table[n++] = (struct initrd_file){name, data, e.size, e.mode, e.ino};
	}
	*count = n;
	return 0;
}

int initrd_init(phys_addr_t start, phys_addr_t end)
{
	const void *archive = phys_to_virt(start);
	struct initrd_file *table;
	size_t count = 0;
	int err;

	if (end <= start) {
		kprintf("initrd: empty module [0x%llx, 0x%llx)\n", (unsigned long long)start,
			(unsigned long long)end);
		return -EINVAL;
	}
	if (start % PAGE_SIZE) {
		kprintf("initrd: module at 0x%llx is not page-aligned: its files cannot be mapped\n",
			(unsigned long long)start);
		return -EINVAL;
	}
	err = initrd_walk(archive, start, end - start, NULL, &count);
	if (err)
		return err;
	table = kcalloc(count ? count : 1, sizeof(*table), 0);
	if (!table)
		return -ENOMEM;
	err = initrd_walk(archive, start, end - start, table, &count);
	if (err) {
		kfree(table);
		return err;
	}
	kfree(initrd_files);
	initrd_files = table;
	initrd_nfiles = count;
	initrd_start = start;
	initrd_end = end;
	return 0;
}

int initrd_load(const struct boot_info *bi)
{
	const struct boot_module *m = NULL;
	int err;

	for (size_t i = 0; i < bi->module_count && !m; i++)
		if (strcmp(bi->modules[i].cmdline, "initrd") == 0)
			m = &bi->modules[i];
	if (!m && bi->module_count)
		m = &bi->modules[0];
	if (!m) {
		kprintf("initrd: none (grub.cfg: module2 /boot/initrd.cpio initrd): no programs\n");
		return -ENOENT;
	}
	err = initrd_init(m->start, m->end);
	if (err == 0) {
		uint64_t bytes = 0;
		for (size_t i = 0; i < initrd_nfiles; i++)
			bytes += initrd_files[i].size;
		kprintf("initrd: %zu files, %llu bytes, module \"%s\" at [0x%x, 0x%x)\n",
			initrd_nfiles, (unsigned long long)bytes, m->cmdline, m->start, m->end);
	} else if (err == -ENOMEM) {
		kprintf("initrd: no memory for the file table\n");
	}
	return err;
}

void initrd_release(void)
{
	kfree(initrd_files);
	initrd_files = NULL;
	initrd_nfiles = 0;
	initrd_start = initrd_end = 0;
}

const struct initrd_file *initrd_find(const char *path)
{
	if (!path || !initrd_files)
		return NULL;
	path = initrd_strip(path);
	if (path[0] == '\0')
		return NULL;
	return initrd_search(initrd_files, initrd_nfiles, path);
}

size_t initrd_count(void)
{
	return initrd_nfiles;
}

const struct initrd_file *initrd_at(size_t i)
{
	return i < initrd_nfiles ? &initrd_files[i] : NULL;
}

const void *initrd_bytes(const struct initrd_file *f)
{
	return phys_to_virt(f->data);
}

bool initrd_range(phys_addr_t *start, phys_addr_t *end)
{
	if (!initrd_files)
		return false;
	*start = initrd_start;
	*end = initrd_end;
	return true;
}
