/*
 * protect.c - usertests: what ring 3 may not touch (kernel memory, above the user top,
 * non-canonical addresses, the stack guard, text, NX pages, privileged instructions),
 * each violation done by a forked child that must die of SIGSEGV while the suite goes on,
 * and the same addresses handed to system calls, which must say -EFAULT instead.
 *
 * A death test is a table of violations: what, the child's action (load, store or jump at
 * an address, or a privileged instruction), its argument, the signal that must end it.
 * Each runs in its own child (child_status), so one surviving violation cannot hide the
 * next, and the parent checks the wait status.
 *
 * Invariants:
 *   [x] a test reaps every child it starts and closes and unmaps what it made;
 *   [x] a violation runs only in a child: the usertests process itself never faults.
 * Context: the usertests program (usertests.h).
 */
#include "usertests.h"

#define USER_TOP 0x7ffffffff000ul     /* the first address above the user half's last page */
#define DIRECT_MAP 0xffff800000000000ul  /* Pagoda's direct map of RAM (supervisor pages) */
#define RET 0xc3                      /* the one-byte `ret` instruction */

struct violation {
	const char *what;
	void (*fn)(long);
	long arg;
	int sig;
};

static void load(long a)
{
	(void)*(volatile char *)a;
}

static void store(long a)
{
	*(volatile char *)a = 1;
}

static void jump(long a)
{
	((void (*)(void))a)();
}

/* NULL if every violation's child was killed by its signal, else the first that was not. */
static const char *all_killed(const struct violation *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *why = expect_killed(child_status(v[i].fn, v[i].arg), v[i].sig,
						v[i].what);

		if (why)
			return why;
	}
	return NULL;
}
#define ALL_KILLED(table) all_killed(table, sizeof(table) / sizeof(table[0]))

/* ---- the kernel's half, above the user top, non-canonical, page zero ------------------- */

static const char *test_kernel_memory_killed(void)
{
	static const struct violation v[] = {
		{ "load from the kernel image", load, (long)KERNEL_ADDR, SIGSEGV },
		{ "store into the kernel image", store, (long)KERNEL_ADDR, SIGSEGV },
		{ "jump into the kernel image", jump, (long)KERNEL_ADDR, SIGSEGV },
		{ "load from the direct map", load, (long)DIRECT_MAP, SIGSEGV },
		{ "store into the direct map", store, (long)DIRECT_MAP + 0x200000, SIGSEGV },
		{ "load from the last page", load, -4096l, SIGSEGV },
		{ "store into the last byte", store, -1l, SIGSEGV },
	};

	return ALL_KILLED(v);
}

static const char *test_above_user_top_killed(void)
{
	static const struct violation v[] = {
		{ "load above the user top", load, (long)USER_TOP, SIGSEGV },
		{ "store above the user top", store, (long)USER_TOP + 8, SIGSEGV },
		{ "store into the last user byte", store, (long)NONCANONICAL - 1, SIGSEGV },
		{ "jump above the user top", jump, (long)USER_TOP, SIGSEGV },
	};

	return ALL_KILLED(v);
}

/* The hole between the halves: #GP, not #PF, and still SIGSEGV. */
static const char *test_noncanonical_killed(void)
{
	static const struct violation v[] = {
		{ "load at 2^47", load, (long)NONCANONICAL, SIGSEGV },
		{ "store at 2^63", store, (long)0x8000000000000000ul, SIGSEGV },
		{ "load at the top of the hole", load, (long)0xffff7ffffffffff0ul, SIGSEGV },
		{ "jump into the hole", jump, (long)0x0000900000000000ul, SIGSEGV },
	};

	return ALL_KILLED(v);
}

static const char *test_null_page_killed(void)
{
	static const struct violation v[] = {
		{ "load from NULL", load, 0, SIGSEGV },
		{ "store at NULL + 8", store, 8, SIGSEGV },
		{ "jump to NULL", jump, 0, SIGSEGV },
		{ "load from page zero's last byte", load, 4095, SIGSEGV },
	};

	return ALL_KILLED(v);
}

/* ---- the program's own image: text and read-only data are not writable --------------- */

static const char message[] = "read-only data";

static const char *test_write_text_killed(void)
{
	const struct violation v[] = {
		{ "store into a function", store, (long)(uintptr_t)&store, SIGSEGV },
		{ "store into the middle of a function", store, (long)(uintptr_t)&all_killed + 5,
		  SIGSEGV },
		{ "store into read-only data", store, (long)(uintptr_t)message, SIGSEGV },
	};
	const char *why = ALL_KILLED(v);

	if (why)
		return why;
	CHECK(message[0] == 'r', "the text or data changed under the parent");
	return NULL;
}

/* ---- NX: data, stack, heap and anonymous memory do not execute -------------------------- */

static unsigned char data_ret[64] = { RET };

static void jump_stack(long unused)
{
	volatile unsigned char code[64];

	(void)unused;
	code[0] = RET;
	jump((long)(uintptr_t)code);
}

static void jump_heap(long unused)
{
	long top = sys(SYS_brk, 0);

	(void)unused;
	if (sys(SYS_brk, top + P) != top + P)
		sys(SYS_exit_group, 3);
	*(volatile unsigned char *)top = RET;
	jump(top);
}

static void jump_anon(long prot)
{
	unsigned char *a = (unsigned char *)map_pages(1, PROT_READ | PROT_WRITE);

	if (!a)
		sys(SYS_exit_group, 3);
	a[0] = RET;
	if (prot != (PROT_READ | PROT_WRITE))
		sys(SYS_mprotect, a, P, prot);
	jump((long)(uintptr_t)a);
}

static const char *test_nx_killed(void)
{
	const struct violation v[] = {
		{ "execute the stack", jump_stack, 0, SIGSEGV },
		{ "execute the heap", jump_heap, 0, SIGSEGV },
		{ "execute anonymous memory", jump_anon, PROT_READ | PROT_WRITE, SIGSEGV },
		{ "execute a read-only page", jump_anon, PROT_READ, SIGSEGV },
		{ "execute a PROT_NONE page", jump_anon, PROT_NONE, SIGSEGV },
		{ "execute the data segment", jump, (long)(uintptr_t)data_ret, SIGSEGV },
	};

	return ALL_KILLED(v);
}

/* The control: a page made executable runs; taking PROT_EXEC away stops it again. */
static const char *test_exec_mapping(void)
{
	/* mov eax, 42; ret */
	static const unsigned char code[] = { 0xb8, 42, 0, 0, 0, RET };
	unsigned char *a = (unsigned char *)map_pages(1, PROT_READ | PROT_WRITE);

	CHECK(a, "mmap failed");
	memcpy(a, code, sizeof(code));
	CHECK_RET(sys(SYS_mprotect, a, P, PROT_READ | PROT_EXEC), 0);
	CHECK_RET(((int (*)(void))(uintptr_t)a)(), 42);
	CHECK_RET(sys(SYS_mprotect, a, P, PROT_READ), 0);
	const char *why = expect_killed(child_status(jump, (long)(uintptr_t)a), SIGSEGV,
					"execute after PROT_EXEC was taken away");

	if (why)
		return why;
	unmap_pages(a, 1);
	return NULL;
}

/* W^X: Pagoda never maps a page writable and executable at once (Linux does, when asked);
 * a JIT writes, then mprotects to PROT_READ|PROT_EXEC, as exec_mapping does. */
static const char *test_wx_refused(void)
{
	const int wx = PROT_READ | PROT_WRITE | PROT_EXEC;
	char *a = map_pages(1, PROT_READ | PROT_WRITE);

	CHECK(a, "mmap failed");
	CHECK_RET(sys(SYS_mmap, 0, P, wx, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), -EACCES);
	CHECK_RET(sys(SYS_mmap, 0, P, PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
		  -EACCES);
	CHECK_RET(sys(SYS_mprotect, a, P, wx), -EACCES);
	a[0] = 1;   /* still writable: the refused mprotect changed nothing */
	CHECK_RET(sys(SYS_mprotect, a, P, PROT_READ | PROT_EXEC), 0);
	CHECK_RET(sys(SYS_mprotect, a, P, PROT_WRITE | PROT_EXEC), -EACCES);
	unmap_pages(a, 1);
	return NULL;
}

/* ---- protections of the process's own mappings ----------------------------------------- */

static const char *test_protections_killed(void)
{
	char *ro = map_pages(1, PROT_READ), *none = map_pages(1, PROT_NONE);
	char *rw = map_pages(1, PROT_READ | PROT_WRITE), *gone = unmapped_page();

	CHECK(ro && none && rw && gone, "set-up failed");
	rw[0] = 5;
	CHECK_RET(sys(SYS_mprotect, rw, P, PROT_READ), 0);
	const struct violation v[] = {
		{ "store into a PROT_READ page", store, (long)ro, SIGSEGV },
		{ "load from a PROT_NONE page", load, (long)none, SIGSEGV },
		{ "store into a PROT_NONE page", store, (long)none + 100, SIGSEGV },
		{ "store after mprotect(PROT_READ)", store, (long)rw, SIGSEGV },
		{ "load from an unmapped page", load, (long)gone, SIGSEGV },
	};
	const char *why = ALL_KILLED(v);

	if (why)
		return why;
	CHECK(ro[0] == 0 && rw[0] == 5, "a child's refused store reached the parent's page");
	unmap_pages(ro, 1);
	unmap_pages(none, 1);
	unmap_pages(rw, 1);
	return NULL;
}

/* The heap ends at the break: pages given back by a shrinking brk are gone. */
static const char *test_heap_above_break_killed(void)
{
	long start = sys(SYS_brk, 0);
	long page = (start + P - 1) & -P;   /* the first page wholly above the break */

	CHECK_RET(sys(SYS_brk, page + 4 * P), page + 4 * P);
	memset((char *)page, 0x42, 4 * P);
	CHECK_RET(sys(SYS_brk, page + P), page + P);
	const struct violation v[] = {
		{ "store above a shrunk break", store, page + 2 * P, SIGSEGV },
		{ "load from the last page given back", load, page + 4 * P - 1, SIGSEGV },
	};
	const char *why = ALL_KILLED(v);

	if (!why)
		why = expect_returned(child_status(store, page + P - 1), "a store below the break");
	CHECK_RET(sys(SYS_brk, start), start);
	return why;
}

/* ---- the stack: an endless recursion meets the guard ------------------------------------ */

static __attribute__((noinline)) long endless(long depth)
{
	volatile char frame[4096];

	frame[0] = (char)depth;
	if (depth > (1l << 40))   /* never: 4 KiB frames exhaust any stack long before */
		return 0;
	return endless(depth + 1) + frame[0];
}

static void overflow(long unused)
{
	(void)unused;
	endless(0);
}

static const char *test_stack_overflow_killed(void)
{
	return expect_killed(child_status(overflow, 0), SIGSEGV, "endless recursion");
}

/* The guard page itself (mm/layout.h: 8 MiB below the top, one page): a store there
 * kills, a store on the page above it grows the stack (Linux randomises its stack, so
 * this is Pagoda's). */
static const char *test_stack_guard_killed(void)
{
	const unsigned long guard = USER_TOP - (8ul << 20) - P;
	const char *why = expect_returned(child_status(store, (long)guard + P),
					  "a store on the stack's lowest page");

	return why ? why : expect_killed(child_status(store, (long)guard), SIGSEGV, "store into the guard");
}

/* ---- privileged instructions: #GP in ring 3, SIGSEGV --------------------------------- */

static void privileged(long which)
{
	unsigned long v = 0;

	switch (which) {
	case 0:
		__asm__ volatile("hlt");
		break;
	case 1:
		__asm__ volatile("cli");
		break;
	case 2:
		__asm__ volatile("outb %%al, $0x80" : : "a"(0));
		break;
	case 3:
		__asm__ volatile("mov %%cr3, %0" : "=r"(v));
		break;
	case 4:
		__asm__ volatile("rdmsr" : "=a"(v) : "c"(0xc0000080) : "rdx");
		break;
	case 5:
		__asm__ volatile("wbinvd");
		break;
	}
	(void)v;
}

static const char *test_privileged_killed(void)
{
	static const struct violation v[] = {
		{ "hlt", privileged, 0, SIGSEGV },   { "cli", privileged, 1, SIGSEGV },
		{ "outb", privileged, 2, SIGSEGV },  { "mov from cr3", privileged, 3, SIGSEGV },
		{ "rdmsr EFER", privileged, 4, SIGSEGV }, { "wbinvd", privileged, 5, SIGSEGV },
	};

	return ALL_KILLED(v);
}

/* ---- the same addresses given to the kernel: -EFAULT, and the caller lives ----------- */

static const char *test_efault_every_kind(void)
{
	char *none = map_pages(1, PROT_NONE), *ro = map_pages(1, PROT_READ);
	const unsigned long bad[] = {
		0, 4095, KERNEL_ADDR, DIRECT_MAP, -4096ul, USER_TOP, NONCANONICAL - 1,
		NONCANONICAL, 0x8000000000000000ul, (unsigned long)(uintptr_t)none,
	};
	long fd = sys(SYS_open, DATA_FILE, O_RDONLY);
	struct stat st;

	CHECK(fd >= 0 && none && ro, "set-up failed");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		long a = (long)bad[i];

		/* copyout (the kernel writes) and copyin (it reads), one and many bytes. */
		CHECK(sys(SYS_read, fd, a, 1) == -EFAULT, "read into %s", ret_name(a));
		CHECK(sys(SYS_read, fd, a, 4096) == -EFAULT, "read of 4096 into %s", ret_name(a));
		CHECK(sys(SYS_write, 1, a, 1) == -EFAULT, "write from %s", ret_name(a));
		struct iovec iov = { (void *)a, 16 };

		CHECK(sys(SYS_writev, 1, &iov, 1) == -EFAULT, "writev from %s", ret_name(a));
		CHECK(sys(SYS_writev, 1, a, 1) == -EFAULT, "writev of an iovec at %s", ret_name(a));
		CHECK(sys(SYS_clock_gettime, CLOCK_MONOTONIC, a) == -EFAULT,
		      "clock_gettime into %s", ret_name(a));
		CHECK(sys(SYS_fstat, fd, a) == -EFAULT, "fstat into %s", ret_name(a));
		CHECK(sys(SYS_open, a, O_RDONLY) == -EFAULT, "open of a path at %s", ret_name(a));
		CHECK(sys(SYS_getrandom, a, 64, 0) == -EFAULT, "getrandom into %s", ret_name(a));
	}
	/* Readable but not writable: the kernel may read, never write. */
	const unsigned long ro_only[] = { (unsigned long)(uintptr_t)ro,
					  (unsigned long)(uintptr_t)&test_efault_every_kind,
					  (unsigned long)(uintptr_t)message };

	for (size_t i = 0; i < sizeof(ro_only) / sizeof(ro_only[0]); i++) {
		CHECK(sys(SYS_read, fd, ro_only[i], 8) == -EFAULT, "read into read-only %s",
		      ret_name((long)ro_only[i]));
		CHECK(sys(SYS_uname, ro_only[i]) == -EFAULT, "uname into read-only %s",
		      ret_name((long)ro_only[i]));
	}
	CHECK_RET(sys(SYS_fstat, fd, ro), -EFAULT);
	CHECK_RET(sys(SYS_write, 1, ro, 0), 0);   /* nothing to copy: no fault */
	/* The descriptor still works, its offset untouched by the failed reads. */
	CHECK_RET(sys(SYS_fstat, fd, &st), 0);
	unsigned char b;

	CHECK_RET(sys(SYS_read, fd, &b, 1), 1);
	CHECK(b == expected_byte(0), "the failed reads moved the file offset");
	unmap_pages(none, 1);
	unmap_pages(ro, 1);
	CHECK_RET(sys(SYS_close, fd), 0);
	return NULL;
}

const struct usertest protect_tests[] = {
	{ "kernel_memory_killed", test_kernel_memory_killed, PORTABLE },
	{ "above_user_top_killed", test_above_user_top_killed, PORTABLE },
	{ "noncanonical_killed", test_noncanonical_killed, PORTABLE },
	{ "null_page_killed", test_null_page_killed, PORTABLE },
	{ "write_text_killed", test_write_text_killed, PORTABLE },
	{ "nx_killed", test_nx_killed, PORTABLE },
	{ "exec_mapping", test_exec_mapping, PORTABLE },
	{ "wx_refused", test_wx_refused, PAGODA_ONLY },
	{ "protections_killed", test_protections_killed, PORTABLE },
	{ "heap_above_break_killed", test_heap_above_break_killed, PORTABLE },
	{ "stack_overflow_killed", test_stack_overflow_killed, PORTABLE },
	{ "stack_guard_killed", test_stack_guard_killed, PAGODA_ONLY },
	{ "privileged_killed", test_privileged_killed, PORTABLE },
	{ "efault_every_kind", test_efault_every_kind, PORTABLE },
	{ NULL, NULL, 0 },
};
