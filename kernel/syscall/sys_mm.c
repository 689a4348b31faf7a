/*
 * sys_mm.c - mmap, munmap, mprotect, brk, madvise, mincore (see sys_mm.h).
 *
 * Thin on purpose: the rules are the memory manager's (mm/user_space.c),
 * tested on the host there. What is here: Linux's x86-64 sys_mmap checks
 * the offset's alignment before anything else, then takes the file from
 * the descriptor (EBADF; a console cannot be mapped: ENODEV); prot and
 * flags arrive as unsigned long: mprotect refuses bits above 31 (EINVAL, as
 * arch_validate_prot does: an int would silently drop them), mmap passes
 * the low 32 bits on (its unknown bits are ignored, as in Linux). mincore
 * walks its range in chunks of MINCORE_CHUNK pages through a buffer on the
 * stack, copying each out, as Linux does a page of vector at a time.
 *
 * Invariants:
 *   [x] the file reference taken for a file mapping is put before returning
 *       (the mapping keeps the initrd's frames, which live forever);
 *   [x] mincore checks the whole range (ENOMEM) and vector (EFAULT) before
 *       the first chunk.
 * Context: a process's thread in a system call (interrupts on, no lock held).
 */
#include "kernel/syscall/sys_mm.h"

#include "kernel/proc/fd.h"
#include "kernel/proc/process.h"
#include "lib/errno.h"
#include "lib/uapi.h"
#include "mm/uaccess.h"
#include "mm/user_space.h"

#define MINCORE_CHUNK 256   /* pages per user_mincore call: 256 bytes of vector on the stack */

static struct user_space *current_user_space(void)
{
	return &process_current()->space;
}

long sys_mmap(virt_addr_t addr, uint64_t len, uint64_t prot, uint64_t flags, int fd,
	      uint64_t offset)
{
	struct user_file source, *f = NULL;
	struct file *file = NULL;
	long ret;

	if (offset & (PAGE_SIZE - 1))
		return -EINVAL;
	if (!(flags & MAP_ANONYMOUS)) {
		ret = fd_get(&process_current()->fds, fd, &file);
		if (ret)
			return ret;
		ret = file_mmap_source(file, &source);
		if (ret) {
			file_put(file);
			return ret;
		}
		f = &source;
	}
	ret = user_mmap(current_user_space(), addr, len, (int)(uint32_t)prot, (int)(uint32_t)flags, f, offset);
	if (file)
		file_put(file);
	return ret;
}

long sys_munmap(virt_addr_t addr, uint64_t len)
{
	return user_munmap(current_user_space(), addr, len);
}

long sys_mprotect(virt_addr_t addr, uint64_t len, uint64_t prot)
{
	if (prot >> 31)
		return -EINVAL;
	return user_mprotect(current_user_space(), addr, len, (int)prot);
}

long sys_brk(virt_addr_t brk)
{
	return (long)user_brk(current_user_space(), brk);
}

long sys_madvise(virt_addr_t addr, uint64_t len, int advice)
{
	return user_madvise(current_user_space(), addr, len, advice);
}

long sys_mincore(virt_addr_t addr, uint64_t len, virt_addr_t vec)
{
	uint8_t chunk[MINCORE_CHUNK];

	if (addr & (PAGE_SIZE - 1))
		return -EINVAL;
	if (!user_range_ok(addr, len))
		return -ENOMEM;
	uint64_t pages = len / PAGE_SIZE + (len % PAGE_SIZE != 0);
	if (!user_range_ok(vec, pages))
		return -EFAULT;
	while (pages > 0) {
		uint64_t n = pages < MINCORE_CHUNK ? pages : MINCORE_CHUNK;
		int ret = user_mincore(current_user_space(), addr, n * PAGE_SIZE, chunk);
		if (ret)
			return ret;
		if (copy_to_user(vec, chunk, n))
			return -EFAULT;
		addr += n * PAGE_SIZE;
		vec += n;
		pages -= n;
	}
	return 0;
}
