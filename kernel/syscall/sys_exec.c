/*
 * sys_exec.c - execve(2) (sys_exec.h): the order of checks of Linux 6.8 and
 * later (the file before the arguments; 6.1 reads the arguments first),
 * then the point of no return.
 *
 *   path copied, normalized, found      -EFAULT -ENAMETOOLONG -ENOENT ...
 *   argv, envp copied in                -EFAULT -E2BIG
 *   new space created and loaded        -ENOEXEC -E2BIG -ENOMEM
 *   ---- point of no return: exec_replace (swap, destroy the old) ----
 * Invariants:
 *   [x] every allocation made here is freed on every path (the new space
 *       is destroyed on failure, moved into the process on success);
 *   [x] nothing of the caller changes before exec_replace.
 * Context: a process's thread in a system call; sleeps, allocates.
 */
#include "kernel/syscall/sys_exec.h"

#include "kernel/arch/x86_64/fpu.h"
#include "kernel/arch/x86_64/gdt.h"
#include "kernel/arch/x86_64/trap.h"
#include "kernel/arch/x86_64/user_mode.h"
#include "kernel/fs/initrd.h"
#include "kernel/ipc/ipc.h"
#include "kernel/ipc/pager.h"
#include "kernel/proc/exec.h"
#include "kernel/proc/process.h"
#include "kernel/sched/schedule.h"
#include "kernel/sched/thread.h"
#include "kernel/syscall/path.h"
#include "lib/errno.h"
#include "lib/panic.h"
#include "lib/string.h"
#include "mm/kernel_space.h"
#include "mm/kmalloc.h"
#include "mm/share.h"
#include "mm/uaccess.h"
#include "mm/user_space.h"

/*
 * The point of no return: make new (loaded, active nowhere) p's space and
 * p a fresh image of file. p is the calling process. Under p->space_mutex
 * the old space is swapped out (this CPU first leaves it for kernel_space)
 * and then destroyed: nothing of it is left. Then close-on-exec
 * descriptors close, handled signals go back to SIG_DFL (signal_exec), p
 * takes file's name, the thread the clean FPU state and FS base 0, and
 * frame the entry state (rip, rsp from res; rflags initial; every other
 * register 0: the system call returns 0). Cannot fail; new is left empty.
 */
static void exec_replace(struct process *p, struct user_space *new, const struct initrd_file *file,
			 const struct exec_result *res, struct trap_frame *frame)
{
	struct user_space old;

	ASSERT(p == process_current(), "exec_replace: not the calling process");
	/* What other spaces got from the old image, and its pager bindings, go with it. */
	share_space_exit(&p->space);
	pager_space_exit(&p->space);
	/* Off the old tables on this CPU (its only one): then nothing uses them. */
	address_space_switch(&kernel_space);
	mutex_lock(&p->space_mutex);
	new->as.minflt += __atomic_load_n(&p->space.as.minflt, __ATOMIC_RELAXED); /* rusage goes on */
	user_space_move(&old, &p->space);
	user_space_move(&p->space, new);
	mutex_unlock(&p->space_mutex);
	address_space_switch(&p->space.as);
	user_space_destroy(&old);

	fd_table_close_on_exec(&p->fds);
	signal_exec(&p->signals);
	process_name_from_path(p->name, file->name);
	void *fpu = thread_current()->fpu_state;
	fpu_state_reset(fpu);
	unsigned long irq = arch_irq_save(); /* the registers too: sysret loads nothing */
	fpu_load(fpu);
	arch_irq_restore(irq);
	arch_set_fs_base(0);

	uint64_t vector = frame->vector, error_code = frame->error_code;
	memset(frame, 0, sizeof(*frame));
	frame->vector = vector;
	frame->error_code = error_code;
	frame->rip = res->entry;
	frame->rsp = res->stack_pointer;
	frame->rflags = USER_RFLAGS_INITIAL;
	frame->cs = GDT_USER_CODE;
	frame->ss = GDT_USER_DATA;
}

/* The file and its new space, built from the old image's path, argv and envp. */
static long exec_prepare(struct trap_frame *frame, char *path, const struct initrd_file **file,
			 struct user_space *new, struct exec_result *res)
{
	char *name = path + PATH_MAX_BYTES;
	struct path_info info;
	struct exec_args args;
	char why[8]; /* the loader's reason: not reported (Linux says nothing either) */
	long err = strncpy_from_user(path, frame->rdi, PATH_MAX_BYTES);

	if (err >= 0)
		err = path_normalize(path, name, PATH_MAX_BYTES, &info);
	if (err >= 0)
		err = exec_find(name, info.trailing_slash, file);
	if (err < 0)
		return err;
	err = exec_args_copy(&args, frame->rsi, frame->rdx);
	if (err)
		return err;
	err = user_space_create(new);
	if (!err) {
		/* Exec keeps the handle table, so the name server's handle stays valid. */
		err = exec_load_ipc(new, *file, args.argv, args.envp,
				    (uint64_t)ipc_nameserver_handle(process_current()), res, why,
				    sizeof(why));
		if (err)
			user_space_destroy(new);
	}
	exec_args_free(&args);
	return err;
}

long sys_execve(struct trap_frame *frame)
{
	const struct initrd_file *file = NULL;
	struct exec_result res;
	char *path = kmalloc(2 * PATH_MAX_BYTES, 0);
	struct user_space *new = kmalloc(sizeof(*new), 0);
	long err = path && new ? exec_prepare(frame, path, &file, new, &res) : -ENOMEM;

	if (!err)
		exec_replace(process_current(), new, file, &res, frame);
	kfree(new);
	kfree(path);
	return err;
}
