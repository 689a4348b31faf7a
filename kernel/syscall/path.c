/*
 * path.c - textual reduction of a path to the initrd's form (see path.h).
 *
 * One pass over the components, appending each to out and, for "..",
 * cutting out back to the previous "/". The output can only be shorter
 * than the input plus nothing, so a buffer as long as the input suffices;
 * the size check still guards every write.
 *
 * Invariants:
 *   [x] len is out's length and out[len] == '\0' after every step;
 *   [x] nothing is written at or beyond out + size.
 * Pure code: any context.
 */
#include "kernel/syscall/path.h"

#include "lib/errno.h"

int path_normalize(const char *path, char *out, size_t size, struct path_info *info)
{
	size_t len = 0;
	bool trailing = false;

	if (path[0] == '\0')
		return -ENOENT;
	out[0] = '\0';
	for (const char *p = path; *p;) {
		while (*p == '/')
			p++;
		const char *start = p;
		while (*p && *p != '/')
			p++;
		size_t n = (size_t)(p - start);
		/* A path ending in "/", "/." or "/..": the last thing named is a directory. */
		trailing = n == 0 || (n == 1 && start[0] == '.') ||
			   (n == 2 && start[0] == '.' && start[1] == '.');
		if (n == 0 || (n == 1 && start[0] == '.'))
			continue;
		if (n > PATH_NAME_MAX)
			return -ENAMETOOLONG;
		if (n == 2 && start[0] == '.' && start[1] == '.') {
			while (len > 0 && out[len - 1] != '/')
				len--;
			if (len > 0)
				len--; /* the "/" before the removed component */
			out[len] = '\0';
			continue;
		}
		if (len + (len > 0) + n + 1 > size)
			return -ENAMETOOLONG;
		if (len > 0)
			out[len++] = '/';
		for (size_t i = 0; i < n; i++)
			out[len++] = start[i];
		out[len] = '\0';
	}
	if (info)
		info->trailing_slash = trailing;
	return 0;
}
