/*
 * pager.c - user-level pagers (see pager.h): the binding table and the
 * fault's trip to the pager.
 *
 * A binding says "faults in [start, end) of this space go to that
 * endpoint". The table is a fixed array under one spinlock (a handful of
 * pager regions exist at once; a search is a few compares): nothing
 * allocates, and struct region stays as it is. The fault path copies the
 * binding it needs (taking an endpoint reference) and drops the lock
 * before it sleeps.
 *
 * A fault's trip (pager_fault, from the #PF handler, interrupts off):
 *   1. refuse to wait when the faulting code could not sleep (a kernel
 *      access with interrupts off, a spinlock or a mutex held);
 *   2. find the binding (a reference to its endpoint);
 *   3. the pager itself faulting on a region it serves would wait for
 *      itself: error at once (it holds a RECEIVE handle to the endpoint,
 *      or it answered this binding before; ipc_kernel_call adds: it was
 *      the endpoint's last receiver);
 *   4. interrupts on; ipc_kernel_call(PAGER_FAULT: page, access, pid,
 *      thread id), which blocks this thread on its own IPC wait queue
 *      (a kill wakes it) until the pager replies, and maps the reply's
 *      page at the faulting page (share_map SHARE_FIXED | SHARE_PAGER);
 *   5. interrupts off again, the endpoint reference dropped.
 * Sleeping inside the #PF handler is safe for the reasons the selftest
 * hook relies on (tests/kernel/test_fault.c): the nesting depth and the
 * fault records are the thread's own (struct page_fault_state), and the
 * trap frame lies on the thread's own kernel stack, so other threads'
 * faults on this CPU meanwhile change nothing of ours; with interrupts on
 * the handler is preemptible like any system call.
 *
 * Invariants:
 *   [x] a used slot (space != NULL) holds one endpoint reference;
 *   [x] kobject_put is never called with bindings_lock held;
 *   [x] pager_fault holds no lock while it waits, and returns with
 *       interrupts off, as it was called.
 * A munmap of a pager region leaves its binding behind (mm/ knows nothing
 * of pagers): the next pager_bind in that space drops every binding whose
 * region has gone, and the space's end drops the rest: a stale binding
 * holds its endpoint's memory until then, no more.
 * Lock order: "pager bindings" -> "region set" (pager_bind's check); a
 * handle table's lock is taken only after "pager bindings" is released.
 */
#include "kernel/ipc/pager.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/trap.h"
#include "kernel/ipc/handle.h"
#include "kernel/ipc/ipc.h"
#include "kernel/proc/process.h"
#include "kernel/sched/schedule.h"
#include "kernel/sched/thread.h"
#include "lib/align.h"
#include "lib/errno.h"
#include "lib/panic.h"
#include "mm/fault.h"
#include "mm/region.h"
#include "mm/spinlock.h"
#include "mm/user_space.h"

struct pager_binding {
	const struct user_space *space; /* NULL: a free slot */
	virt_addr_t start, end;         /* the region's range when it was made */
	struct kobject *endpoint;       /* one reference */
	int pager_pid;                  /* the last process that answered a fault, 0: none yet */
	bool writable;                  /* the region may be written: a reply may map writable */
};

static struct pager_binding bindings[PAGER_BINDINGS_MAX];
static spinlock_t bindings_lock = SPINLOCK_INIT("pager bindings");

/* Empty slot b; its endpoint reference goes to *put for the caller. bindings_lock held. */
static void binding_clear(struct pager_binding *b, struct kobject **put)
{
	*put = b->endpoint;
	*b = (struct pager_binding){0};
}

/*
 * Has b's region gone (munmap: no pager region at its start any more)?
 * bindings_lock held; takes the region set's lock inside it.
 */
static bool binding_stale(struct user_space *us, const struct pager_binding *b)
{
	struct region r;

	return !region_find_copy(&us->regions, b->start, &r) || r.kind != REGION_PAGER;
}

int pager_bind(struct user_space *us, virt_addr_t start, virt_addr_t end, bool writable,
	       struct kobject *ep)
{
	struct kobject *stale[PAGER_BINDINGS_MAX];
	unsigned n_stale = 0;
	struct pager_binding *free_slot = NULL;
	unsigned long flags = spin_lock_irqsave(&bindings_lock);

	for (unsigned i = 0; i < PAGER_BINDINGS_MAX; i++) {
		struct pager_binding *b = &bindings[i];
		if (b->space == us && ((b->start < end && start < b->end) || binding_stale(us, b)))
			binding_clear(b, &stale[n_stale++]); /* its region went: munmap */
		if (!b->space && !free_slot)
			free_slot = b;
	}
	if (free_slot)
		*free_slot = (struct pager_binding){.space = us, .start = start, .end = end,
						    .endpoint = ep, .writable = writable};
	spin_unlock_irqrestore(&bindings_lock, flags);
	for (unsigned i = 0; i < n_stale; i++)
		kobject_put(stale[i]);
	return free_slot ? 0 : -ENOMEM;
}

/* A copy of us's binding holding va, with a new endpoint reference; false if none. */
static bool binding_get(const struct user_space *us, virt_addr_t va, struct pager_binding *out)
{
	bool found = false;
	unsigned long flags = spin_lock_irqsave(&bindings_lock);

	for (unsigned i = 0; i < PAGER_BINDINGS_MAX && !found; i++) {
		const struct pager_binding *b = &bindings[i];
		if (b->space == us && va >= b->start && va < b->end) {
			*out = *b;
			kobject_get(b->endpoint);
			found = true;
		}
	}
	spin_unlock_irqrestore(&bindings_lock, flags);
	return found;
}

/* pid answered a fault of us's binding at va (if that binding is still there). */
static void binding_note_pager(const struct user_space *us, virt_addr_t va, int pid)
{
	unsigned long flags = spin_lock_irqsave(&bindings_lock);

	for (unsigned i = 0; i < PAGER_BINDINGS_MAX; i++) {
		struct pager_binding *b = &bindings[i];
		if (b->space == us && va >= b->start && va < b->end)
			b->pager_pid = pid;
	}
	spin_unlock_irqrestore(&bindings_lock, flags);
}

/* Does p hold a handle with RECEIVE to ep? (Then ep's messages may wait for p itself.) */
static bool holds_receive(struct process *p, const struct kobject *ep)
{
	bool found = false;
	unsigned long flags = spin_lock_irqsave(&p->handles.lock);

	for (unsigned i = 0; i < HANDLE_TABLE_SLOTS && !found; i++)
		found = p->handles.slots[i].object == ep &&
			(p->handles.slots[i].rights & HANDLE_RIGHT_RECEIVE);
	spin_unlock_irqrestore(&p->handles.lock, flags);
	return found;
}

/* The FAULT_* access bits as the protocol's PAGER_ACCESS_* bits. */
static unsigned pager_access(unsigned access, bool kernel)
{
	return (access & FAULT_WRITE ? PAGER_ACCESS_WRITE : 0) |
	       (access & FAULT_FETCH ? PAGER_ACCESS_FETCH : 0) | (kernel ? PAGER_ACCESS_KERNEL : 0);
}

/*
 * Ask b's pager for the page at page_va of p (interrupts on, no lock
 * held): 0 once it is mapped, or -errno (pager.h).
 */
static int pager_ask(struct process *p, const struct pager_binding *b, virt_addr_t page_va,
		     unsigned access, bool kernel)
{
	if (b->pager_pid == p->pid || holds_receive(p, b->endpoint))
		return -EDEADLK; /* it would wait for itself */
	struct ipc_message msg = {
		.tag = IPC_TAG(PAGER_FAULT, 4),
		.words = {page_va, pager_access(access, kernel), (uint64_t)p->pid,
			  thread_current()->id},
	};
	struct ipc_message reply = {0};
	int err = ipc_kernel_call(endpoint_from_object(b->endpoint), &msg, IPC_FOREVER, &p->space,
				  page_va, b->writable, &reply);
	if (err == 0 && reply.badge > 0)
		binding_note_pager(&p->space, page_va, (int)reply.badge);
	return err;
}

int pager_fault(virt_addr_t addr, unsigned access, struct trap_frame *frame)
{
	ASSERT_IRQS_OFF();
	struct process *p = process_current();
	bool kernel = (frame->cs & 3) == 0;
	struct pager_binding b;

	if (!p)
		return -ENOENT;
	/* A kernel access may wait only where a system call may sleep. */
	if (kernel && (!(frame->rflags & RFLAGS_IF) || preempt_count() != 0 ||
		       !list_empty(&thread_current()->mutexes_held)))
		return -EBUSY;
	if (!binding_get(&p->space, addr, &b))
		return -ENOENT;
	interrupts_enable();
	int err = pager_ask(p, &b, ALIGN_DOWN(addr, PAGE_SIZE), access, kernel);
	kobject_put(b.endpoint);
	interrupts_disable();
	return err;
}

const char *pager_fault_reason(int err)
{
	switch (err) {
	case -ENOENT: return "no pager: no binding for this region";
	case -EPIPE: return "no pager: its endpoint has no receiver left, or it died";
	case -EDEADLK: return "pager error: the pager faulted on a region it serves";
	case -EBUSY: return "pager error: a kernel access that cannot wait for the pager";
	case -ETIMEDOUT: return "pager error: the pager did not answer in time";
	case -ENOMEM: return "pager error: out of memory";
	case -EINTR: return "pager error: interrupted by a signal";
	default: return "pager error: the pager answered without a page";
	}
}

void pager_space_exit(struct user_space *us)
{
	struct kobject *put[PAGER_BINDINGS_MAX];
	unsigned n = 0;
	unsigned long flags = spin_lock_irqsave(&bindings_lock);

	for (unsigned i = 0; i < PAGER_BINDINGS_MAX; i++)
		if (bindings[i].space == us)
			binding_clear(&bindings[i], &put[n++]);
	spin_unlock_irqrestore(&bindings_lock, flags);
	for (unsigned i = 0; i < n; i++)
		kobject_put(put[i]);
}
