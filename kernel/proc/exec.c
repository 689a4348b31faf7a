/*
 * exec.c - load an initrd program into a fresh user space (see exec.h).
 *
 * Everything that can refuse the program runs before anything is mapped:
 * elf_check() on the whole file, then the size of the initial stack image
 * (the arguments). Only then are the plan's segments turned into regions:
 *
 *   segment      [start ............ file_end ........ end)
 *   region       REGION_FILE (name: the file)   REGION_ANON "bss"
 *                private, prot of the segment   demand-zero
 *
 * A file region's user_file is the program's file cut to the segment's last
 * file byte (size = file_offset + file_bytes), so that mm/fault.c's file
 * fault rules zero the rest of the last page: the bytes after .data in the
 * file (section headers, symbols) never show through as bss.
 * Invariants:
 *   [x] nothing is mapped in us unless the file passed elf_check and the
 *       arguments fit;
 *   [x] no region is writable and executable (the plan has none;
 *       mm/user_space.c refuses them too).
 * Context: process context, may sleep (kmalloc, page tables); no lock held.
 */
#include "kernel/proc/exec.h"

#include "kernel/fs/initrd.h"
#include "kernel/proc/elf.h"
#include "kernel/proc/user_stack.h"
#include "kernel/syscall/path.h"
#include "kernel/syscall/sys_random.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "lib/uapi.h"
#include "mm/kmalloc.h"
#include "mm/uaccess.h"
#include "mm/user_space.h"

_Static_assert(USER_STACK_IMAGE_MAX <= USER_STACK_SIZE,
	       "exec: the initial stack image fits the stack region as first mapped");

#define EXEC_BSS_NAME "bss"

_Static_assert((USER_ARGS_MAX + 3) * sizeof(char *) < USER_STACK_IMAGE_MAX / 2,
	       "exec_args_copy: the pointer arrays leave room for the strings");

/* Map the plan's segments into us. 0 or the error of the map call that failed (why says which). */
static int exec_map_segments(struct user_space *us, const struct initrd_file *file,
			     const struct elf_plan *plan, char *why, size_t why_size)
{
	for (size_t i = 0; i < plan->segment_count; i++) {
		const struct elf_segment *s = &plan->segments[i];
		int err = 0;

		if (s->file_end > s->start) {
			struct user_file cut = {file->data, s->file_offset + s->file_bytes, file->name};
			err = user_map_file(us, s->start, s->file_end - s->start, s->prot, &cut,
					    s->file_offset, file->name);
		}
		if (!err && s->end > s->file_end)
			err = user_map_anon(us, s->file_end, s->end - s->file_end, s->prot,
					    EXEC_BSS_NAME);
		if (err) {
			ksnprintf(why, why_size, "mapping the %s segment [0x%llx, 0x%llx): %s",
				  s->name, (unsigned long long)s->start, (unsigned long long)s->end,
				  err == -ENOMEM ? "no memory" : errno_name(err));
			return err;
		}
	}
	return 0;
}

int exec_load(struct user_space *us, const struct initrd_file *file, const char *const argv[],
	      const char *const envp[], struct exec_result *out, char *why, size_t why_size)
{
	return exec_load_ipc(us, file, argv, envp, 0, out, why, why_size);
}

int exec_load_ipc(struct user_space *us, const struct initrd_file *file, const char *const argv[],
		  const char *const envp[], uint64_t nameserver, struct exec_result *out, char *why,
		  size_t why_size)
{
	struct elf_plan plan;
	struct user_stack_params params;
	virt_addr_t sp;
	long image_size;
	void *image;
	int err;

	if (why_size)
		why[0] = '\0';
	err = elf_check(initrd_bytes(file), file->size, &plan, why, why_size);
	if (err)
		return err;
	params = (struct user_stack_params){
		.argv = argv, .envp = envp, .execfn = file->name,
		.phdr = plan.phdr, .phent = plan.phent, .phnum = plan.phnum, .entry = plan.entry,
		.nameserver = nameserver,
	};
	for (size_t i = 0; i < sizeof(params.random); i += 8) {
		uint64_t r = random_u64();
		memcpy(params.random + i, &r, 8);
	}
	image_size = user_stack_size(&params);
	if (image_size < 0) {
		ksnprintf(why, why_size, "arguments and environment too long (at most %u strings, %u KiB)",
			  USER_ARGS_MAX, USER_STACK_IMAGE_MAX >> 10);
		return (int)image_size;
	}
	image = kmalloc((size_t)image_size, 0);
	if (!image) {
		ksnprintf(why, why_size, "no memory for the stack image");
		return -ENOMEM;
	}
	err = user_stack_build(&params, USER_STACK_TOP, image, (size_t)image_size, &sp);
	if (err) {
		ksnprintf(why, why_size, "building the stack image: %s", errno_name(err));
		goto out;
	}

	err = exec_map_segments(us, file, &plan, why, why_size);
	if (err)
		goto out;
	us->brk_start = us->brk = plan.image_end;
	err = user_map_stack(us, USER_STACK_TOP, USER_STACK_SIZE, USER_STACK_MAX);
	if (err) {
		ksnprintf(why, why_size, "mapping the stack: %s", errno_name(err));
		goto out;
	}
	err = user_space_write(us, sp, image, (size_t)image_size);
	if (err) {
		ksnprintf(why, why_size, "writing the stack: %s", errno_name(err));
		goto out;
	}
	out->entry = plan.entry;
	out->stack_pointer = sp;
	out->brk_start = plan.image_end;
out:
	kfree(image);
	return err;
}

/* ---- execve's steps before the point of no return: the arguments, the file. ---- */

/* Pointers of the user array uvec (NULL: none) before its NULL, added to *total. */
static int exec_count(virt_addr_t uvec, size_t *count, size_t *total)
{
	*count = 0;
	if (!uvec)
		return 0;
	for (;;) {
		uint64_t ptr;
		if (copy_from_user(&ptr, uvec + *count * sizeof(ptr), sizeof(ptr)))
			return -EFAULT;
		if (!ptr)
			return 0;
		if (++*total > USER_ARGS_MAX)
			return -E2BIG;
		++*count;
	}
}

/* Copy the n strings of uvec to *pos (below end), pointing vec[0..n) at them; vec[n] = NULL. */
static int exec_copy_strings(virt_addr_t uvec, size_t n, const char **vec, char **pos,
			     char *end)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t ptr;
		if (copy_from_user(&ptr, uvec + i * sizeof(ptr), sizeof(ptr)))
			return -EFAULT;
		if (*pos == end)
			return -E2BIG;
		long len = strncpy_from_user(*pos, ptr, (size_t)(end - *pos));
		if (len < 0)
			return len == -ENAMETOOLONG ? -E2BIG : (int)len;
		vec[i] = *pos;
		*pos += len + 1;
	}
	vec[n] = NULL;
	return 0;
}

int exec_args_copy(struct exec_args *a, virt_addr_t uargv, virt_addr_t uenvp)
{
	size_t total = 0, argc, envc;
	int err = exec_count(uargv, &argc, &total);

	*a = (struct exec_args){0};
	if (!err)
		err = exec_count(uenvp, &envc, &total);
	if (err)
		return err;
	/* One buffer the size of the largest stack image: both arrays, then the strings. */
	char *buf = kmalloc(USER_STACK_IMAGE_MAX, 0);
	if (!buf)
		return -ENOMEM;
	const char **argv = (const char **)buf, **envp = argv + (argc ? argc : 1) + 1;
	char *pos = (char *)(envp + envc + 1), *end = buf + USER_STACK_IMAGE_MAX;
	if (argc) {
		err = exec_copy_strings(uargv, argc, argv, &pos, end);
	} else { /* Linux 6.1: an empty argv gets argv[0] = "" */
		*pos = '\0';
		argv[0] = pos++;
		argv[1] = NULL;
		argc = 1;
	}
	if (!err)
		err = exec_copy_strings(uenvp, envc, envp, &pos, end);
	if (err) {
		kfree(buf);
		return err;
	}
	*a = (struct exec_args){argv, envp, argc, envc, buf};
	return 0;
}

void exec_args_free(struct exec_args *a)
{
	kfree(a->buf);
	*a = (struct exec_args){0};
}

int exec_find(const char *name, bool trailing_slash, const struct initrd_file **out)
{
	if (!name[0])
		return -EACCES; /* the root directory */
	const struct initrd_file *f = initrd_find(name);
	if (!f) {
		/* The initrd is flat: "file/x" looks inside a file. */
		char first[PATH_NAME_MAX + 1];
		const char *slash = strchr(name, '/');
		if (slash && (size_t)(slash - name) < sizeof(first)) {
			strlcpy(first, name, (size_t)(slash - name) + 1);
			if (initrd_find(first))
				return -ENOTDIR;
		}
		return -ENOENT;
	}
	if (trailing_slash)
		return -ENOTDIR;
	if (!(f->mode & 0111))
		return -EACCES;
	*out = f;
	return 0;
}
