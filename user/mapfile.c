/*
 * mapfile.c - map a file of the initrd read-only and read it from memory.
 *
 * mmap(PROT_READ, MAP_PRIVATE) of FILE (default README.md): the kernel maps
 * the initrd's own pages, no copy, and only when they are touched. Prints
 * the size, the address, the resident pages before and after reading, and
 * the first LINES lines (default 5), written to the console straight from
 * the mapping.
 *
 * Invariants:
 *   [x] the bytes printed are the file's (the mapping is the file);
 *   [x] exits 0 on success, 1 with the errno named on any failure.
 * Context: `run mapfile [FILE [LINES]]` in the Pagoda shell, or on Linux.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "userlib.h"

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : "README.md";
	long lines = argc > 2 ? atol(argv[2]) : 5;
	struct stat st;
	int fd = open(name, O_RDONLY);

	if (fd < 0 || fstat(fd, &st) != 0) {
		printf("mapfile: %s: %s\n", name, strerror(errno));
		return 1;
	}
	if (st.st_size == 0) {
		printf("mapfile: %s is empty: nothing to map\n", name);
		return 0;
	}
	char *map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);

	if (map == MAP_FAILED) {
		printf("mapfile: mmap %s: %s\n", name, strerror(errno));
		return 1;
	}
	close(fd);  /* the mapping keeps the file */
	long pages = (st.st_size + PAGE_SIZE_4K - 1) / PAGE_SIZE_4K;
	long before = resident_pages(map, st.st_size);

	printf("mapfile: %s: %ld bytes mapped read-only at %p, %ld pages, %ld resident\n", name,
	       (long)st.st_size, (void *)map, pages, before);
	printf("mapfile: its first %ld lines:\n", lines);
	fflush(stdout);
	size_t len = 0;

	for (long seen = 0; len < (size_t)st.st_size && seen < lines; len++)
		if (map[len] == '\n')
			seen++;
	if (write(1, map, len) != (ssize_t)len)
		return 1;
	printf("mapfile: resident after reading: %ld pages\n", resident_pages(map, st.st_size));
	return munmap(map, st.st_size) == 0 ? 0 : 1;
}
