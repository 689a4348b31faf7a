/*
 * fault.h - the page-fault handler's decisions: what a fault means, and
 * resolving the legitimate ones.
 *
 * A page fault is the CPU saying "this access did not fit the page tables".
 * Often that is on purpose: memory the kernel promised but has not yet
 * provided. fault_handle() looks the address up in the address space's
 * regions (mm/region.h) and either resolves the fault by changing the page
 * tables, after which the CPU retries the instruction:
 *   demand-zero   a page of an anonymous or stack region, touched for the
 *                 first time: map one fresh zeroed frame;
 *   copy-on-write a write to a shared read-only frame of a COW region, or
 *                 of any writable user region after fork (anonymous,
 *                 stack, a file region's private page): copy it (or, if
 *                 this space is its only owner left, just make it
 *                 writable), using the frame's reference count;
 *   stack growth  a touch just below a stack region, above its growth
 *                 limit: extend the region down and map the page;
 *   file pages    a read or fetch of a page wholly inside the file of a
 *                 REGION_FILE region: map the file's own frame read-only
 *                 (shared, never freed); a write, or a page the file's end
 *                 cuts (or past it): a private copy, its tail zero;
 * or calls it a violation and says which, in words, for the report.
 * User regions (the lower half) work the same for user accesses
 * (FAULT_USER): demand-zero, stack growth, COW, file pages. Memory passed
 * by IPC (mm/share.h) is never provided here: a missing page of a
 * REGION_SHARED region is a violation (revoked, or its mapping went), a
 * write to a read-only shared page too (never copy-on-write); a GRANTED
 * region is anonymous memory; a missing page of a REGION_PAGER region is
 * the outcome FAULT_PAGER, for the pager (kernel/ipc/pager.h). Their faults
 * leave the kernel a reserve (fault_user_reserve_pages()): below it they
 * fail as "out of memory" and the arch code kills the process, while the
 * kernel's own faults go on. Each resolved fault (not a spurious one)
 * counts in the space's minflt; the user half's anonymous and file pages
 * are counted for meminfo (fault_user_anon_pages, fault_user_file_pages).
 *
 * The CPU-specific part (reading CR2, decoding the error code, printing
 * the registers) is in kernel/arch/x86_64/page_fault.c; this file is
 * host-compilable and the host tests drive it with simulated faults.
 * Context: interrupts off (the #PF handler; tests turn them off around a
 * simulated fault, and fault_handle() asserts it); one CPU.
 */
#ifndef MM_FAULT_H
#define MM_FAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/compiler.h"
#include "mm/arch.h"
#include "mm/layout.h"
#include "mm/paging.h"
#include "mm/region.h"

struct vmalloc_area;

/* What the faulting access was: the arch code translates its error code into these. */
#define FAULT_PRESENT (1u << 0)  /* the page was present: a protection violation */
#define FAULT_WRITE (1u << 1)    /* a write (else a read or a fetch) */
#define FAULT_USER (1u << 2)     /* from user mode */
#define FAULT_RESERVED (1u << 3) /* a paging entry had a reserved bit set */
#define FAULT_FETCH (1u << 4)    /* an instruction fetch */
/*
 * Not the access but the CPU's state at the fault, so that a report names
 * every rule that refused it: CR4.SMEP was set (SDM Vol. 3A 4.6.1), or
 * CR4.SMAP was set with EFLAGS.AC clear.
 */
#define FAULT_SMEP_ON (1u << 5)  /* supervisor fetches from user pages fault */
#define FAULT_SMAP_ON (1u << 6)  /* supervisor data accesses to user pages fault */

enum fault_outcome {
	FAULT_SPURIOUS,       /* the page already allowed the access (stale TLB entry) */
	FAULT_DEMAND_ZERO,    /* mapped a fresh zeroed page */
	FAULT_COW_COPY,       /* copied a shared page, mapped the copy writable */
	FAULT_COW_REUSE,      /* last owner of a COW page: made it writable in place */
	FAULT_STACK_GROWTH,   /* grew a stack region down, mapped the page */
	FAULT_FILE_MAP,       /* mapped a file's own frame read-only (shared) */
	FAULT_FILE_COPY,      /* copied a file page into a private frame, its tail zero */
	FAULT_VIOLATION,      /* not resolvable: see enum fault_violation */
	FAULT_PAGER,          /* a not-present page of a REGION_PAGER region: the pager must
			       * provide it (fault_handle returns -EAGAIN, nothing changed) */
};

enum fault_violation {
	VIOLATION_NONE,
	VIOLATION_NULL,            /* "NULL dereference": the first page */
	VIOLATION_NOT_MAPPED,      /* "not mapped" */
	VIOLATION_WRITE_READ_ONLY, /* "write to read-only region/page" */
	VIOLATION_EXEC_NX,         /* "execute of NX page" */
	VIOLATION_EXEC_NOT_PRESENT, /* "execute of not-present page" in a region without exec */
	VIOLATION_GUARD,           /* "access to guard page 0x... of/after <region or area>" */
	VIOLATION_STACK_OVERFLOW,  /* "kernel stack overflow": the guard below a stack */
	VIOLATION_RESERVED_BIT,    /* "reserved bit set" in a paging entry */
	VIOLATION_USER_KERNEL,     /* "user access to kernel page" */
	VIOLATION_KERNEL_USER,     /* "kernel access to user page" (SMAP/SMEP; also NX or
				      read-only when page_flags says so) */
	VIOLATION_NO_MEMORY,       /* "out of memory": a legitimate fault with no frame left */
	VIOLATION_NON_CANONICAL,   /* "non-canonical address" (reported by the #GP handler) */
	VIOLATION_NO_ACCESS,       /* "access to inaccessible region": a user region whose
				      prot lacks MAP_USER (PROT_NONE) */
	VIOLATION_SHARED_GONE,     /* "revoked or unmapped shared page": a not-present page
				      of a REGION_SHARED region (never demand-zero) */
};

/* Everything known about one fault, filled in by fault_handle(). */
struct fault {
	virt_addr_t address;        /* the faulting address (CR2) */
	unsigned access;            /* FAULT_* */
	enum fault_outcome outcome;
	enum fault_violation violation;
	bool in_region;             /* region holds a copy of the region involved */
	struct region region;
	const struct vmalloc_area *area; /* the vmalloc area involved, or NULL */
	unsigned page_flags;        /* VIOLATION_KERNEL_USER: the page's MAP_* flags */
};

/*
 * Counters of every outcome since boot (`vmstat`), one set per CPU:
 * fault_handle counts in this CPU's (fault_stats_here(), interrupts off, so
 * nothing else on the CPU counts at the same time and no lock is needed);
 * readers sum them with fault_stats_total().
 */
struct fault_stats {
	uint64_t faults;           /* fault_handle() calls */
	uint64_t demand_zero;
	uint64_t cow_copies;
	uint64_t cow_reuses;
	uint64_t stack_growths;
	uint64_t file_maps;        /* FAULT_FILE_MAP */
	uint64_t file_copies;      /* FAULT_FILE_COPY */
	uint64_t reserve_refusals; /* user faults refused to keep the kernel's reserve */
	uint64_t spurious;
	uint64_t guard_hits;       /* guard pages and stack overflows */
	uint64_t violations;       /* every violation, guard hits included */
};
extern struct fault_stats fault_stats_cpu[MM_MAX_CPUS];

/* This CPU's fault counters, to count in. Interrupts off (fault_handle's context). */
static inline struct fault_stats *fault_stats_here(void)
{
	ASSERT_IRQS_OFF();
	return &fault_stats_cpu[arch_cpu_id()];
}

/* Every CPU's fault counters summed: what `vmstat` prints and tests diff. Any context. */
struct fault_stats fault_stats_total(void);

/*
 * fault_stats_total().faults alone, cheap enough for the #PF path, which
 * numbers each fault with it (page_fault_last): a loop over the online
 * CPUs only (on one CPU, one add; over all MM_MAX_CPUS slots it was a
 * sixth of a demand-zero fault). Any context.
 */
static inline uint64_t fault_count_total(void)
{
	uint64_t faults = 0;
	unsigned online = arch_cpus_online();

	/* CPUs come online in number order and stay: the others never counted. */
	for (unsigned cpu = 0; cpu < online; cpu++)
		faults += fault_stats_cpu[cpu].faults;
	return faults;
}

/*
 * Pages of the user half mapped now, for meminfo, exact at every moment a
 * fault or release is not halfway through (atomic adds):
 *   anon  mappings of frames the space owns (demand-zero, stack, COW and
 *         file copies): Linux's AnonPages (which counts a frame shared by
 *         two spaces once; Pagoda counts its mappings);
 *   file  mappings of file frames (initrd pages, never freed): Mapped.
 * fault.c and anon.c change them with fault_count_user(); any context.
 */
extern int64_t fault_user_anon_mapped, fault_user_file_mapped;

static inline uint64_t fault_user_anon_pages(void)
{
	return (uint64_t)__atomic_load_n(&fault_user_anon_mapped, __ATOMIC_RELAXED);
}

static inline uint64_t fault_user_file_pages(void)
{
	return (uint64_t)__atomic_load_n(&fault_user_file_mapped, __ATOMIC_RELAXED);
}

/* Add delta to counter if va is in the user half (kernel pages are not counted). */
static inline void fault_count_user(int64_t *counter, virt_addr_t va, int64_t delta)
{
	if (va < PAGING_KERNEL_HALF)
		__atomic_fetch_add(counter, delta, __ATOMIC_RELAXED);
}

/*
 * Free pages a fault in the user half must leave to the kernel: the larger
 * of 1/64 of managed RAM and FAULT_USER_RESERVE_MIN pages. A user fault
 * that would take the free count below it is "out of memory"
 * (VIOLATION_NO_MEMORY); kernel faults may use it. Any context.
 */
#define FAULT_USER_RESERVE_MIN 256
uint64_t fault_user_reserve_pages(void);

/*
 * Decide and, when legitimate, resolve a fault at address with access
 * (FAULT_*) in address space as (whose `regions` may be NULL: then only
 * vmalloc areas and the page tables are consulted). Fills *f. Returns 0
 * when resolved (the access may be retried), -EFAULT for a violation,
 * -EAGAIN for FAULT_PAGER (a pager must map the page; nothing changed, no
 * violation recorded).
 * A resolved fault other than a spurious one adds 1 to as->minflt.
 * Allocates one frame at most; never sleeps.
 */
__must_check int fault_handle(struct address_space *as, virt_addr_t address, unsigned access,
			      struct fault *f);

/*
 * The violation in words, with the region or area it concerns, e.g.
 * "access to guard page 0xffffc80000004000 after vmalloc area
 * 0xffffc80000000000-0xffffc80000003fff (from cmd_alloc+0x3c)" (one guard
 * page named, ranges inclusive) or "write to read-only region \"lazy\"".
 * Every rule that refused the access is named (SMEP and NX). Returns buf.
 */
const char *fault_describe(const struct fault *f, char *buf, size_t size);

/*
 * The MAP_* flags a page of region r at va is mapped with: the region's
 * protection, plus MAP_GLOBAL in the kernel half. Protection only, none of
 * paging_map()'s options (MAP_SIZE_*, MAP_REPLACE), so the same value suits
 * paging_map() and paging_protect() (which refuses those options).
 */
unsigned region_map_flags(const struct region *r, virt_addr_t va);

/* "demand-zero fault resolved", "COW copy", ...: the outcome in words. */
const char *fault_outcome_name(enum fault_outcome outcome);

#endif
