/*
 * path.h - a path name as a program gives it ("./data/../hello", "/hello",
 * "hello/") reduced to the initrd's form ("hello", "dir/file", "" for the
 * root directory).
 *
 * Pagoda has one file system, the read-only initrd, whose names are
 * relative to the root ("dir/file", no leading "/"). There is no working
 * directory other than "/", so a relative path and an absolute one name
 * the same file (openat's AT_FDCWD). Reduction is textual, as on a tree
 * without symbolic links: empty components and "." disappear, ".." removes
 * the component before it (and stays at the root, as Linux's "/.." does).
 * Whether a component exists is the caller's question (sys_fs.c asks the
 * initrd).
 *
 * Invariants:
 *   [x] the output has no leading, trailing or doubled "/", no "." or ".."
 *       component, and is NUL-terminated within its buffer;
 *   [x] no component of the output exceeds PATH_NAME_MAX bytes.
 * Pure code: any context, kernel and host (tests/host/test_path.c).
 */
#ifndef KERNEL_SYSCALL_PATH_H
#define KERNEL_SYSCALL_PATH_H

#include <stdbool.h>
#include <stddef.h>

#define PATH_MAX_BYTES 4096         /* Linux's PATH_MAX: the NUL included */
#define PATH_NAME_MAX 255           /* Linux's NAME_MAX: one component */

/* What path_normalize found besides the name. */
struct path_info {
	bool trailing_slash;         /* the path ended in "/" (or "/." ...): must be a directory */
};

/*
 * Reduce path (NUL-terminated) into out (size bytes, at least 1) as
 * described above. Returns 0; -ENOENT for the empty path (Linux's answer);
 * -ENAMETOOLONG when a component is longer than PATH_NAME_MAX or out is too
 * small. info may be NULL.
 */
int path_normalize(const char *path, char *out, size_t size, struct path_info *info);

#endif
