/*
 * cat.c - copy files of the initrd, or the console, to the console.
 *
 * `cat FILE...` prints each file (open, read, write, close); `cat` alone
 * copies the console to the console, line by line: the terminal is in
 * canonical mode, so each read() returns one edited line, and Ctrl-D on an
 * empty line is the end of file (read() returns 0).
 *
 * Invariants:
 *   [x] every byte read is written, short writes are continued;
 *   [x] an error names the file and the errno and exits with status 1.
 * Context: `run cat [FILE...]` in the Pagoda shell, or ./cat on Linux.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int copy(int fd, const char *name)
{
	char buf[4096];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n == 0)
			return 0;
		if (n < 0) {
			fprintf(stderr, "cat: %s: %s\n", name, strerror(errno));
			return 1;
		}
		for (ssize_t done = 0; done < n;) {
			ssize_t w = write(1, buf + done, n - done);

			if (w <= 0) {
				fprintf(stderr, "cat: write: %s\n", strerror(errno));
				return 1;
			}
			done += w;
		}
	}
}

int main(int argc, char **argv)
{
	int status = 0;

	if (argc == 1)
		return copy(0, "stdin");
	for (int i = 1; i < argc; i++) {
		int fd = open(argv[i], O_RDONLY);

		if (fd < 0) {
			fprintf(stderr, "cat: %s: %s\n", argv[i], strerror(errno));
			status = 1;
			continue;
		}
		status |= copy(fd, argv[i]);
		close(fd);
	}
	return status;
}
