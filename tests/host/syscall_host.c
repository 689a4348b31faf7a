/*
 * syscall_host.c - the stand-ins of syscall_host.h: a process, its
 * descriptors, two files and a small initrd, for the system-call suites.
 *
 * Only what kernel/syscall/sys_fs.c and sys_mm.c call is here, each with
 * the contract of kernel/proc/fd.h or kernel/fs/initrd.h reduced to the
 * cases the suites need. Memory is never faked: user buffers, strings and
 * vectors live in the process's real user space in the arena.
 * Hosted code.
 */
#include "tests/host/syscall_host.h"

#include "kernel/fs/initrd.h"
#include "kernel/proc/fd.h"
#include "kernel/selftest.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "lib/uapi.h"
#include "mm/uaccess.h"
#include "mm/user_space.h"
#include "tests/host/uaccess_host.h"

#define OPENED_MAX 8

struct process host_proc;
bool host_table_full;
int host_last_fd_flags;
char host_written[HOST_WRITE_LOG];
size_t host_written_len, host_short_write_at;

static struct file console_file = {.flags = O_RDWR}, data_file = {.flags = O_RDONLY};
static struct file opened[OPENED_MAX];
static int files_out, opens, next_fd;

static const struct initrd_file tree[] = {
	{"data", 0, 100, 0100644, 1}, {"dir/file", 0, 1, 0100644, 2},
	{"dir/sub/deep", 0, 1, 0100644, 3}, {"hello", 0, 1, 0100755, 4},
};

const struct initrd_file *initrd_find(const char *path)
{
	for (size_t i = 0; i < sizeof(tree) / sizeof(tree[0]); i++)
		if (strcmp(tree[i].name, path) == 0)
			return &tree[i];
	return NULL;
}

size_t initrd_count(void)
{
	return sizeof(tree) / sizeof(tree[0]);
}

const struct initrd_file *initrd_at(size_t i)
{
	return i < initrd_count() ? &tree[i] : NULL;
}

struct process *process_current(void)
{
	return &host_proc;
}

int fd_get(struct fd_table *t, int fd, struct file **out)
{
	(void)t;
	*out = fd == 1 ? &console_file : fd == 5 ? &data_file : NULL;
	if (!*out)
		return -EBADF;
	files_out++;
	return 0;
}

int fd_get_own(struct fd_table *t, int fd, struct file **out)
{
	int err = fd_get(t, fd, out);

	if (!err)
		files_out--; /* no reference handed out */
	return err;
}

void file_put(struct file *f)
{
	if (f >= opened && f < opened + OPENED_MAX)
		opens--;
	else
		files_out--;
}

struct file *file_open_initrd(const struct initrd_file *f)
{
	if (opens == OPENED_MAX)
		return NULL;
	opened[opens].initrd = f;
	return &opened[opens++];
}

void host_sys_close_last(void)
{
	file_put(&opened[opens - 1]);
}

int fd_install_from(struct fd_table *t, struct file *f, int min_fd, int fd_flags)
{
	(void)t;
	(void)f;
	(void)min_fd;
	if (host_table_full)
		return -EMFILE;
	host_last_fd_flags = fd_flags;
	return next_fd++;
}

int fd_close(struct fd_table *t, int fd)
{
	(void)t;
	return fd == 1 || fd == 5 ? 0 : -EBADF;
}

long file_read(struct file *f, virt_addr_t buf, size_t len)
{
	(void)f;
	(void)buf;
	return (long)len;
}

long file_write(struct file *f, virt_addr_t buf, size_t len)
{
	(void)f;
	if (host_short_write_at && host_written_len + len > host_short_write_at)
		len = host_short_write_at - host_written_len;
	if (host_written_len + len > HOST_WRITE_LOG)
		return (long)len; /* counted, not kept */
	if (copy_from_user(host_written + host_written_len, buf, len))
		return -EFAULT;
	host_written_len += len;
	return (long)len;
}

int64_t file_lseek(struct file *f, int64_t offset, int whence)
{
	(void)whence;
	return f == &console_file ? -ESPIPE : offset;
}

int file_fstat(struct file *f, struct linux_stat *st)
{
	st->st_mode = f == &console_file ? S_IFCHR : S_IFREG;
	return 0;
}

long file_ioctl(struct file *f, unsigned long cmd, virt_addr_t arg)
{
	(void)arg;
	return f == &console_file && cmd == TIOCGWINSZ ? 0 : -ENOTTY;
}

int file_mmap_source(struct file *f, struct user_file *out)
{
	if (f != &data_file)
		return -ENODEV;
	*out = (struct user_file){.phys = HOST_INITRD_PHYS, .size = HOST_FILE_SIZE, .name = "data"};
	return 0;
}

const char *host_sys_begin(virt_addr_t *area)
{
	files_out = opens = 0;
	next_fd = HOST_FIRST_FD;
	host_table_full = false;
	host_last_fd_flags = -1;
	host_written_len = host_short_write_at = 0;
	CHECK_OK(host_user_begin(&host_proc.space));
	host_proc.space.brk_start = host_proc.space.brk = HOST_HEAP;
	long a = user_mmap(&host_proc.space, 0, 3 * PAGE_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	CHECKF(a > 0, "mmap of the test area: %ld", a);
	*area = (virt_addr_t)a;
	CHECK(user_munmap(&host_proc.space, *area + 2 * PAGE_SIZE, PAGE_SIZE) == 0);
	return NULL;
}

const char *host_sys_end(void)
{
	CHECKF(files_out == 0 && opens == 0, "%d descriptor and %d open-file references left",
	       files_out, opens);
	return host_user_end(&host_proc.space);
}
