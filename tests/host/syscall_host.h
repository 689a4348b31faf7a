/*
 * syscall_host.h - the stand-ins the system-call host suites run against
 * (tests/host/test_sys_fs.c, test_sys_mm.c): one process whose user space
 * is real (mm/user_space.c in the simulated arena, tests/host/uaccess_host.h),
 * and a descriptor table, files and initrd that are this file's fakes:
 *
 *   fd 1  the console (O_RDWR): writes are kept in host_written; lseek
 *         -ESPIPE; ioctl TIOCGWINSZ 0; fstat S_IFCHR; mmap -ENODEV
 *   fd 5  "data" (O_RDONLY): reads return their length; lseek returns the
 *         offset; mmap maps HOST_INITRD_PHYS, HOST_FILE_SIZE bytes
 *   initrd  "data", "dir/file", "dir/sub/deep", "hello"
 *   fd_install_from  HOST_FIRST_FD, HOST_FIRST_FD + 1, ... (-EMFILE when
 *         host_table_full); the descriptor flags asked for in host_last_fd_flags
 *
 * fd_get_own finds the same files without a reference. Every reference
 * fd_get or file_open_initrd hands out is counted;
 * host_sys_end() fails a test that left one behind. Hosted code.
 */
#ifndef TESTS_HOST_SYSCALL_HOST_H
#define TESTS_HOST_SYSCALL_HOST_H

#include <stdbool.h>
#include <stddef.h>

#include "kernel/proc/process.h"
#include "mm/layout.h"

#define HOST_FIRST_FD 10
#define HOST_FILE_SIZE (3 * PAGE_SIZE + 100)
#define HOST_WRITE_LOG 256
#define HOST_HEAP 0x600000ull   /* brk_start of the process */

extern struct process host_proc;
extern bool host_table_full;             /* fd_install_from says -EMFILE */
extern int host_last_fd_flags;           /* FD_CLOEXEC or 0 at the last install (-1: none) */
extern char host_written[HOST_WRITE_LOG]; /* bytes written to the console */
extern size_t host_written_len;
extern size_t host_short_write_at;       /* console writes stop at this total (0: never) */

/*
 * Start a test: the arena, the process's user space (brk at HOST_HEAP) and
 * *area: three pages mapped read-write of which the third is unmapped again
 * (a hole right after two good pages). Returns NULL or a failure reason.
 */
const char *host_sys_begin(virt_addr_t *area);

/* End a test: no reference left, the space freed, nothing leaked. */
const char *host_sys_end(void);

/* Drop the reference of the last file host_sys_begin's open handed out (a close). */
void host_sys_close_last(void);

#endif
