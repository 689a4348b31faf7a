/*
 * ipc_commands.c - the shell's view of IPC (docs/ipc.md): `ipc` lists every
 * endpoint (who made it, its references and RECEIVE handles, dead or not,
 * the pids waiting to send and to receive, the messages and calls it has
 * carried); `handles PID` lists the handles a process holds (number, type,
 * rights as letters, the object's references).
 *
 * Both copy what they show first (endpoint_list, handle_table_list take
 * one snapshot under their own locks), then print with no lock held: a
 * listing is a moment's picture, and a process that ends meanwhile is seen
 * as it was. `handles` holds a reference to the process (process_get), so
 * its table stays in memory while it is copied.
 *
 * Invariants:
 *   [x] every process_get is paired with a process_put;
 *   [x] no lock is held while printing (kprintf may wait for the console).
 * Calling context: the shell thread (interrupts on, may sleep).
 */
#include "kernel/commands/proc_commands.h"
#include "kernel/ipc/endpoint.h"
#include "kernel/ipc/fastpath.h"
#include "kernel/ipc/handle.h"
#include "kernel/ipc/object.h"
#include "kernel/proc/process.h"
#include "kernel/shell/shell.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "mm/kmalloc.h"

#define IPC_LIST_MAX 64      /* endpoints `ipc` shows at most */
#define WAITERS_TEXT 40      /* "12,13,14,15 +3" */

/* The pids of a wait queue (n waiting, max listed), "-" when none, "+N" for those not listed. */
static const char *waiters_text(const int *pids, unsigned n, unsigned max, char *buf, size_t size)
{
	size_t used = 0;
	unsigned shown = n < max ? n : max;

	if (n == 0)
		return "-";
	buf[0] = '\0';
	for (unsigned i = 0; i < shown && used < size; i++)
		used += (size_t)ksnprintf(buf + used, size - used, "%s%d", i ? "," : "", pids[i]);
	if (n > shown && used < size)
		ksnprintf(buf + used, size - used, " +%u", n - shown);
	return buf;
}

static int cmd_ipc(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	struct endpoint_info *list = kmalloc(IPC_LIST_MAX * sizeof(*list), 0);
	char senders[WAITERS_TEXT], receivers[WAITERS_TEXT];

	if (!list) {
		kprintf("ipc: out of memory for the endpoint list\n");
		return -ENOMEM;
	}
	unsigned total = endpoint_list(list, IPC_LIST_MAX), shown = total, dead = 0;
	if (shown > IPC_LIST_MAX)
		shown = IPC_LIST_MAX;
	kprintf("   ID CREATOR REFS RECV STATE   MESSAGES    CALLS  SENDERS         RECEIVERS\n");
	for (unsigned i = 0; i < shown; i++) {
		const struct endpoint_info *e = &list[i];
		dead += e->dead;
		kprintf("%5lu %7d %4d %4u %-5s %10lu %8lu  %-15s %s\n", e->id, e->creator_pid,
			e->refs, e->receive_handles, e->dead ? "dead" : "live", e->messages,
			e->calls,
			waiters_text(e->sender_pids, e->senders_waiting, ARRAY_SIZE(e->sender_pids),
				     senders, sizeof(senders)),
			waiters_text(e->receiver_pids, e->receivers_waiting,
				     ARRAY_SIZE(e->receiver_pids), receivers, sizeof(receivers)));
	}
	kfree(list);
	kprintf("%u endpoints (%u dead)%s; CREATOR 0: the kernel; RECV: handles with the "
		"RECEIVE right; SENDERS, RECEIVERS: pids waiting\n", total, dead,
		total > shown ? " (the first shown)" : "");
	struct ipc_fastpath_stats fast;
	ipc_fastpath_stats(&fast);
	kprintf("fast path: %lu calls, %lu reply_recvs, %lu declined; %lu direct switches\n",
		fast.calls, fast.reply_recvs, fast.declined, fast.handoffs);
	return 0;
}

SHELL_COMMAND(ipc, SHELL_ARGS(0, 0), "list the IPC endpoints: who waits on each, message counts",
	      "usage: ipc\n"
	      "  One line per endpoint alive now (docs/ipc.md): its id, the pid of the\n"
	      "  process that made it (0: the kernel, as the name server's), its\n"
	      "  references (handles and waiters), the handles with the RECEIVE right\n"
	      "  (RECV), live or dead (no RECEIVE handle left: every send and call to\n"
	      "  it fails with -EPIPE), the messages it carried and how many of them\n"
	      "  were calls, then the pids blocked sending or calling (SENDERS) and\n"
	      "  receiving (RECEIVERS), in the order they will be served. The last\n"
	      "  line: what the fast path (kernel/ipc/fastpath.c) handled since boot,\n"
	      "  what it left to the general path, and the direct switches (handoffs).\n"
	      "examples:\n"
	      "  ipc\n",
	      cmd_ipc);

static int cmd_handles(int argc, char **argv)
{
	(void)argc;
	struct process *p = shell_process_arg("handles", argv[1]);
	struct handle_info *list = kmalloc(HANDLE_TABLE_SLOTS * sizeof(*list), 0);
	char rights[HANDLE_RIGHTS_LETTERS + 1];

	if (!p) {
		kfree(list);
		return -ESRCH;
	}
	if (!list) {
		kprintf("handles: out of memory for the list\n");
		process_put(p);
		return -ENOMEM;
	}
	unsigned n = handle_table_list(&p->handles, list, HANDLE_TABLE_SLOTS);
	bool zombie = __atomic_load_n(&p->state, __ATOMIC_ACQUIRE) == PROCESS_ZOMBIE;
	kprintf("pid %d (%s): %u handles%s\n", p->pid, p->name, n,
		zombie ? " (a zombie: its handles were closed when it ended)" : "");
	process_put(p);
	if (n > 0)
		kprintf("    HANDLE TYPE          RIGHTS  REFS\n");
	for (unsigned i = 0; i < n && i < HANDLE_TABLE_SLOTS; i++)
		kprintf("%10d %-13s %s %5d\n", list[i].handle, kobject_type_name(list[i].type),
			handle_rights_format(list[i].rights, rights), list[i].refcount);
	kfree(list);
	if (n > 0)
		kprintf("rights: S send, R receive, M map, G grant, D duplicate, T transfer; "
			"REFS: the object's references\n");
	return 0;
}

SHELL_COMMAND(handles, SHELL_ARGS(1, 1), "the handles a process holds, with their rights",
	      "usage: handles PID\n"
	      "  One line per handle of process PID (see `ps`): the number the\n"
	      "  program uses, what it names (endpoint, notification, memory), its\n"
	      "  rights as letters (S send, R receive, M map, G grant, D duplicate,\n"
	      "  T transfer; '-' for one missing), and how many references the object\n"
	      "  has (handles in every process, plus waiters). A program started from\n"
	      "  the shell holds a handle to the name server (S---DT).\n"
	      "examples:\n"
	      "  handles 1         init's handles\n"
	      "  handles 9999      [refused] no such process\n"
	      "  handles x         [refused] not a pid\n",
	      cmd_handles);
