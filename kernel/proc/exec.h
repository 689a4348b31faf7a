/*
 * exec.h - load a program from the initrd into a fresh user address space:
 * check the ELF file (kernel/proc/elf.h), map its segments as regions, build
 * the initial stack (kernel/proc/user_stack.h), and say where to start.
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

#include <stddef.h>

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

#endif
