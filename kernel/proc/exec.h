/*
 * exec.h - load a program from the initrd into a fresh user address space:
 * check the ELF file (kernel/proc/elf.h), map its segments as regions, build
 * the initial stack (kernel/proc/user_stack.h), and say where to start;
 * and execve's steps before its point of no return (sys_exec.c): the
 * arguments copied in from the old image, the file found and checked.
 *
 * Text and read-only data are mapped from the initrd's own frames, read-only
 * and shared by every process running the program; writable data from the
 * same frames privately (copied on first write, bytes past p_filesz zero);
 * bss and the heap demand-zero; the stack demand-zero with a guard page.
 * Nothing is mapped before the whole file has been checked.
 * Invariants (after a successful exec_load):
 *   [x] every segment of the plan is a region of us, with the plan's prot;
 *   [x] us->brk_start == us->brk == the page-aligned end of the image;
 *   [x] the stack region ends at USER_STACK_TOP and holds the ABI image.
 * Context: process context (a thread that may sleep and allocate), us not
 * active on any CPU or the caller's own; no spinlock held.
 */
#ifndef KERNEL_PROC_EXEC_H
#define KERNEL_PROC_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/compiler.h"
#include "mm/layout.h"

struct user_space;
struct initrd_file;

/* Where the new program starts. */
struct exec_result {
	virt_addr_t entry;          /* rip at entry */
	virt_addr_t stack_pointer;  /* rsp at entry: points at argc, 16-byte aligned */
	virt_addr_t brk_start;      /* the heap's start (= the initial break) */
};

/*
 * Load file into us, a space fresh from user_space_create() (no regions).
 *   argv, envp  NULL-terminated string arrays (kernel memory); NULL: empty
 *   out         filled on success
 *   why         on -ENOEXEC the reason ("segment 2 overlaps segment 1"); on
 *               other errors a short phrase; may be NULL when why_size is 0
 * Returns 0; -ENOEXEC (a file elf_check refuses); -E2BIG (arguments too
 * big); -ENOMEM. On failure us may hold some regions: the caller destroys it.
 */
__must_check int exec_load(struct user_space *us, const struct initrd_file *file,
			   const char *const argv[], const char *const envp[],
			   struct exec_result *out, char *why, size_t why_size);

/*
 * exec_load, with the auxiliary vector's AT_PAGODA_NAMESERVER entry set to
 * nameserver (the program's handle to the name server, 0: none;
 * kernel/ipc/ipc.h). exec_load passes 0.
 */
__must_check int exec_load_ipc(struct user_space *us, const struct initrd_file *file,
			       const char *const argv[], const char *const envp[], uint64_t nameserver,
			       struct exec_result *out, char *why, size_t why_size);

/*
 * execve's arguments and environment, copied in from the old image before
 * anything else changes: NULL-terminated arrays of kernel strings, all in
 * one allocation (buf).
 */
struct exec_args {
	const char *const *argv;
	const char *const *envp;
	size_t argc, envc;
	void *buf;            /* the allocation: both arrays, then the strings */
};

/*
 * Copy the user arrays uargv and uenvp (NULL-terminated arrays of string
 * pointers; a NULL array is empty) into a. An empty argv becomes {""}, as
 * Linux 6.1 makes it (so that argv[0] exists). Bounded: at most
 * USER_ARGS_MAX strings and USER_STACK_IMAGE_MAX bytes of strings in all.
 * Returns 0 (free a with exec_args_free); -EFAULT (an array or a string
 * unreadable); -E2BIG (past the bounds); -ENOMEM. Nothing kept on error.
 * Process context: reads the calling process's memory.
 */
__must_check int exec_args_copy(struct exec_args *a, virt_addr_t uargv, virt_addr_t uenvp);
void exec_args_free(struct exec_args *a);

/*
 * The initrd file an execve of the normalized initrd name (path.h) runs;
 * trailing_slash: the path ended in "/". Returns 0 and *out; -ENOENT
 * (nothing by that name); -EACCES (the root directory, name "", or a file
 * without any execute bit); -ENOTDIR (a trailing slash after a file, or a
 * leading component that is a file). Any context.
 */
__must_check int exec_find(const char *name, bool trailing_slash,
			   const struct initrd_file **out);

#endif
