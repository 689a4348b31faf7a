/*
 * arch.h - the few things mm/ needs from the CPU, behind one small interface.
 *
 * mm/ core code (memory map, early allocator, page descriptors, buddy
 * allocator) builds both into the kernel and into host unit tests. Whatever
 * only the CPU can do goes through these functions: the kernel implements
 * them in kernel/arch/x86_64/mm_arch.c, the host tests in
 * tests/host/mm_arch_host.c (interrupts are a nesting count there, cycles
 * come from the host's TSC, symbols are printed as raw addresses).
 *
 * The three calls on every allocation's fast path (interrupt save/restore
 * and the CPU number) are inline functions here instead, a few instructions
 * each: a call to another file would cost as much as the allocation.
 *
 * The rule (checked by scripts/check_structure.py in `make test`): mm/
 * reaches kernel/ only through this header. A file of mm/ never includes
 * kernel/... itself; the kernel-only parts (kernel_space.c, pmm.c,
 * direct_map.c) get the CPU's registers and features from the kernel
 * branch below, and the host-built ones get the host's stand-ins. So mm/
 * stays below kernel/ and builds on the host with tests/host/mm_arch_host.c.
 *
 * Functions whose contract says "interrupts off" check it with
 * ASSERT_IRQS_OFF() (below), in the kernel and in the host tests alike.
 */
#ifndef MM_ARCH_H
#define MM_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/compiler.h"
#include "lib/panic.h"

/*
 * The most CPUs the kernel runs: per-CPU lists, magazines, counters and run
 * queues are arrays of this size, and a CPU set is one 64-bit mask
 * (cpumask_t). CPUs the MADT lists beyond it stay offline (reported at boot).
 */
#define MM_MAX_CPUS 64

/* A set of CPUs: bit i is CPU i (0 .. MM_MAX_CPUS-1). */
typedef uint64_t cpumask_t;
#define CPUMASK_CPU(cpu) ((cpumask_t)1 << (cpu))
/* CPUs 0 .. n-1 (n <= MM_MAX_CPUS; the shift by 64 is avoided). */
#define CPUMASK_FIRST(n) ((n) >= 64 ? ~(cpumask_t)0 : CPUMASK_CPU(n) - 1)
_Static_assert(MM_MAX_CPUS <= 64, "mm/arch.h: a cpumask_t holds every CPU");

#ifdef PAGODA_HOST
/*
 * Host tests: one thread and no real interrupts, but the state is kept so
 * that ASSERT_IRQS_OFF() checks the same contracts as in the kernel. A test
 * program starts with "interrupts on"; arch_irq_save() adds one to a nesting
 * count ("off" while it is above 0) and returns the count it found, which
 * arch_irq_restore() puts back after checking the pairs nest. The count and
 * the report of a bad pair live in tests/host/mm_arch_host.c.
 */
extern unsigned long host_irq_depth;
__noreturn void host_irq_restore_unnested(unsigned long flags);

static inline unsigned long arch_irq_save(void) { return host_irq_depth++; }

static inline void arch_irq_restore(unsigned long flags)
{
	if (unlikely(host_irq_depth != flags + 1))
		host_irq_restore_unnested(flags);
	host_irq_depth = flags;
}

static inline bool arch_irqs_disabled(void) { return host_irq_depth > 0; }

/* The simulated CPU the host test runs "on" (0 unless a test changes it). */
extern unsigned host_cpu_id;
static inline unsigned arch_cpu_id(void) { return host_cpu_id; }

/* Each simulated CPU's preemption count (tests/host/mm_arch_host.c). */
extern unsigned host_preempt_count[MM_MAX_CPUS];
static inline unsigned arch_preempt_count(void) { return host_preempt_count[host_cpu_id]; }
static inline void arch_preempt_count_inc(void) { host_preempt_count[host_cpu_id]++; }
static inline void arch_preempt_count_dec(void) { host_preempt_count[host_cpu_id]--; }
#else
#include "kernel/arch/x86_64/cpu.h"          /* registers, CR3/CR4, MSRs, halt */
#include "kernel/arch/x86_64/cpu_features.h" /* what CPUID reported */
#include "kernel/arch/x86_64/percpu.h"       /* struct percpu at %gs:0 */

/* Disable interrupts, returning the previous state for arch_irq_restore(). */
static inline unsigned long arch_irq_save(void)
{
	unsigned long flags = read_rflags();

	interrupts_disable();
	return flags;
}

/* Enable interrupts again if they were on when flags was saved. */
static inline void arch_irq_restore(unsigned long flags)
{
	if (flags & RFLAGS_IF)
		interrupts_enable();
}

/* Are interrupts off on this CPU (RFLAGS.IF clear)? */
static inline bool arch_irqs_disabled(void) { return !(read_rflags() & RFLAGS_IF); }

/*
 * The current CPU's index, 0 .. MM_MAX_CPUS-1: one load from this CPU's
 * struct percpu through GS (valid from kmain's first line, percpu_init_boot).
 * The caller may move to another CPU right after unless interrupts or
 * preemption are off.
 */
static inline unsigned arch_cpu_id(void)
{
	unsigned cpu;

	__asm__ volatile("movl %%gs:%c1, %0" : "=r"(cpu) : "i"(__builtin_offsetof(struct percpu, cpu)));
	return cpu;
}

#define ARCH_PREEMPT_OFF __builtin_offsetof(struct percpu, preempt_count)

/* This CPU's preemption count: one load through GS. */
static inline unsigned arch_preempt_count(void)
{
	unsigned n;

	__asm__ volatile("movl %%gs:%c1, %0" : "=r"(n) : "i"(ARCH_PREEMPT_OFF) : "memory");
	return n;
}

/* Count up / down on this CPU: one instruction each, a compiler barrier. */
static inline void arch_preempt_count_inc(void)
{
	__asm__ volatile("incl %%gs:%c0" : : "i"(ARCH_PREEMPT_OFF) : "memory", "cc");
}

static inline void arch_preempt_count_dec(void)
{
	__asm__ volatile("decl %%gs:%c0" : : "i"(ARCH_PREEMPT_OFF) : "memory", "cc");
}
#endif

/*
 * ASSERT_IRQS_OFF(): the contract "interrupts off", checked. Put it first in
 * a function whose comment says its caller must have interrupts off; it
 * panics with "<function>: interrupts must be off" when they are on. Costs a
 * flags read and a branch in the kernel, a load and a branch on the host.
 */
#define ASSERT_IRQS_OFF()                                                            \
	do {                                                                             \
		if (unlikely(!arch_irqs_disabled()))                                         \
			panic("%s: interrupts must be off (%s:%d)", __func__, __FILE__, __LINE__); \
	} while (0)

/*
 * The preemption count of this CPU (arch_preempt_count*, above): above
 * zero, the scheduler refuses to switch away from the running thread (a
 * spinlock is held: mm/spinlock.h raises it). The kernel's lives in the
 * CPU's struct percpu (one %gs instruction to read or change), the host
 * tests' in a plain array (tests/host/mm_arch_host.c).
 */

/*
 * Allow preemption again (count down); at zero, with interrupts on and a
 * reschedule pending, switch now (kernel: schedule.c). Any context.
 */
void preempt_enable(void);

/* A cycle counter for benchmarks (rdtsc). */
uint64_t arch_cycles(void);

/* Write "name+0xoff" (or "0xaddr" if unknown) for code address addr into buf. */
void arch_symbolize(uint64_t addr, char *buf, size_t size);

/* Invalidate the TLB entry of one virtual page (invlpg; global entries too). */
void arch_invalidate_page(uint64_t va);

/* Flush the whole TLB; with include_global, global entries as well (CR4.PGE toggle). */
void arch_flush_tlb(int include_global);

/* What arch_tlb_flush_remote() is told about a batch (flags, not bools). */
#define TLB_FLUSH_KERNEL (1u << 0) /* kernel-half pages: global, any CPU may cache them */
#define TLB_FLUSH_ALL (1u << 1)    /* past PAGING_FLUSH_THRESHOLD: flush everything, pages unused */

struct address_space;

/*
 * After this CPU changed present entries of as and invalidated them here:
 * invalidate pages[0..n-1] (or everything, TLB_FLUSH_ALL) on every other
 * CPU that may cache them (kernel half: all online; else as->cpus), one
 * request per CPU, and return when all have. pages must stay valid until
 * then. Kernel: kernel/smp/tlb_shootdown.c; host: counted. Interrupts on
 * or off, not in an NMI.
 */
void arch_tlb_flush_remote(const struct address_space *as, const uint64_t *pages, unsigned n,
			   unsigned flags);

/*
 * One turn of a loop that spins with interrupts off until another CPU lets
 * go (a spinlock): run the TLB shootdowns queued for this CPU (the holder
 * may be waiting for this CPU to acknowledge one), then pause. Kernel:
 * mm_arch.c; host: a pause. Interrupts off.
 */
void arch_spin_wait(void);

/* Physical address of the PML4 the CPU uses now (CR3 without its flag bits). */
uint64_t arch_current_root(void);

/* How many CPUs are online (1 until the others are started; host: host_cpus_online). */
unsigned arch_cpus_online(void);

/*
 * Run fn(arg) on every online CPU, this one included, with interrupts off
 * there; return when every CPU has run it. Process context, interrupts on
 * (another CPU may be waiting for this one to serve its own request). Host:
 * runs fn once per simulated CPU with host_cpu_id set to each in turn.
 */
void arch_on_each_cpu(void (*fn)(void *arg), void *arg);

/*
 * May this context use arch_on_each_cpu(): interrupts on, or no other CPU
 * to ask? ("Drain every CPU's lists" falls back to this CPU's otherwise.)
 */
static inline bool arch_can_reach_every_cpu(void)
{
	return !arch_irqs_disabled() || arch_cpus_online() == 1;
}

struct address_space;

/*
 * Where the running flow keeps its current address space: the running
 * thread's `space` field (struct thread), the boot flow's own slot before
 * the scheduler starts; one slot on the host. current_space() reads it,
 * address_space_switch() writes it (interrupts off, with CR3). Never NULL.
 */
struct address_space **arch_current_space_slot(void);

/*
 * Copy n bytes from src to dst where one side is a user address (the
 * other kernel memory), with user access allowed (SMAP's stac/clac around
 * the copy). A page fault on the way is resolved as a user fault of the
 * current space (fault_handle with FAULT_USER); one that cannot be ends
 * the copy (the exception table). Returns the number of bytes NOT copied:
 * 0 = all. The caller checked the range (user_range_ok) and holds no
 * spinlock; interrupts on. Kernel: kernel/arch/x86_64/user_copy.asm; host:
 * tests/host/uaccess_host.c, which simulates the faults page by page.
 */
size_t arch_copy_user(void *dst, const void *src, size_t n);

#ifdef PAGODA_HOST
/*
 * Host only: in a test process kernel buffers and simulated user addresses
 * both lie in the lower half, so mm/uaccess.c tells the simulated
 * arch_copy_user which side is the user's: 1 for dst (copy_to_user), 0 for
 * src. The kernel's primitive needs no such hint.
 */
extern int host_copy_to_user;
#endif

#endif
