/*
 * sys_exec.h - execve(2): the calling process becomes a new program.
 *
 * Everything that can fail runs before the point of no return, on the old
 * image (kernel/proc/exec.h): the path, argv and envp copied in, the file
 * found and checked, the new space built and loaded. A failure returns the
 * error to the caller, which runs on unchanged; past that point execve
 * cannot fail, and the "return" lands in the new program's first
 * instruction.
 * Invariants:
 *   [x] a failed execve changed nothing the caller can see;
 *   [x] a successful one left nothing of the old image (space destroyed).
 * Context: a process's thread in a system call (interrupts on, no lock held).
 */
#ifndef KERNEL_SYSCALL_SYS_EXEC_H
#define KERNEL_SYSCALL_SYS_EXEC_H

struct trap_frame;

/*
 * execve(path = rdi, argv = rsi, envp = rdx). Returns 0 (frame then holds
 * the new program's entry state); -EFAULT (a bad pointer); -ENAMETOOLONG;
 * -ENOENT (no such file, empty path); -ENOTDIR; -EACCES (a directory, or
 * no execute permission); -E2BIG (arguments too long: more than
 * USER_ARGS_MAX strings or the stack image past USER_STACK_IMAGE_MAX);
 * -ENOEXEC (not an ELF program Pagoda runs); -ENOMEM.
 */
long sys_execve(struct trap_frame *frame);

#endif
