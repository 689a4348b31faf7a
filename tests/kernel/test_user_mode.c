/*
 * test_user_mode.c - kernel-only checks of ring 3's CPU side (suite
 * `user_mode`, kernel/arch/x86_64/user_mode.h, fpu.h, smap.h, extable.h)
 * on the running machine: the syscall MSRs on every CPU, the SMAP patch
 * against CPUID, the FPU control bits and save areas (a clean area loads
 * FCW 0x037f and MXCSR 0x1f80; a saved state comes back), two threads'
 * XMM0/MXCSR kept apart across switches, the exception table sorted and
 * searchable, arch_copy_user over good, unmapped, kernel, non-canonical
 * and user pages (the count not copied, no report), the entry stack a
 * switch leaves, the TSS's I/O bitmap (loaded per generation, or none),
 * the exception-to-signal table and the return-frame
 * clean-up. Runs with SMEP/SMAP or without, with XSAVE or FXSAVE
 * (test_machine.py boots several CPU models). Ring 3 itself runs in the
 * user programs' tests (tests/integration/test_user.py).
 */
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/cpu_features.h"
#include "kernel/arch/x86_64/extable.h"
#include "kernel/arch/x86_64/fpu.h"
#include "kernel/arch/x86_64/page_fault.h"
#include "kernel/arch/x86_64/percpu.h"
#include "kernel/arch/x86_64/smap.h"
#include "kernel/arch/x86_64/trap.h"
#include "kernel/arch/x86_64/user_mode.h"
#include "kernel/sched/schedule.h"
#include "kernel/sched/thread.h"
#include "kernel/selftest.h"
#include "kernel/smp/smp.h"
#include "kernel/stack_registry.h"
#include "lib/string.h"
#include "lib/uapi.h"
#include "mm/arch.h"
#include "mm/buddy.h"
#include "mm/fault.h"
#include "mm/kernel_space.h"
#include "mm/page.h"
#include "mm/paging.h"
#include "mm/layout.h"
#include "mm/vmalloc.h"

extern char syscall_entry[];

/* Each CPU's view of its syscall MSRs: bit c set when CPU c's are right. */
static volatile cpumask_t msrs_ok;

static void check_msrs_here(void *arg __unused)
{
	bool ok = rdmsr(MSR_STAR) == STAR_VALUE &&
		  rdmsr(MSR_LSTAR) == (uint64_t)(uintptr_t)syscall_entry &&
		  rdmsr(MSR_FMASK) == FMASK_VALUE && (rdmsr(MSR_EFER) & EFER_SCE);

	if (ok)
		__atomic_fetch_or(&msrs_ok, CPUMASK_CPU(arch_cpu_id()), __ATOMIC_SEQ_CST);
}

static const char *test_syscall_msrs(void)
{
	CHECK(rdmsr(MSR_EFER) & EFER_SCE);
	CHECKF(rdmsr(MSR_STAR) == STAR_VALUE, "STAR 0x%lx, expected 0x%lx", rdmsr(MSR_STAR),
	       (uint64_t)STAR_VALUE);
	CHECK((rdmsr(MSR_STAR) >> 32 & 0xffff) == GDT_KERNEL_CODE);
	CHECK((((rdmsr(MSR_STAR) >> 48) + 16) | 3) == GDT_USER_CODE);
	CHECK((((rdmsr(MSR_STAR) >> 48) + 8) | 3) == GDT_USER_DATA);
	CHECK(rdmsr(MSR_LSTAR) == (uint64_t)(uintptr_t)syscall_entry);
	uint64_t fmask = rdmsr(MSR_FMASK);
	CHECKF((fmask & (RFLAGS_IF | RFLAGS_TF | RFLAGS_DF | RFLAGS_AC | RFLAGS_NT)) ==
		       (RFLAGS_IF | RFLAGS_TF | RFLAGS_DF | RFLAGS_AC | RFLAGS_NT),
	       "FMASK 0x%lx does not clear IF TF DF AC NT", fmask);
	msrs_ok = 0;
	smp_on_each_cpu(check_msrs_here, NULL);
	CHECKF(msrs_ok == CPUMASK_FIRST(smp_cpus_online()),
	       "syscall MSRs right on CPUs 0x%lx of %u", (uint64_t)msrs_ok, smp_cpus_online());
	return NULL;
}

static const char *test_smap_patch(void)
{
	size_t n;
	const uint64_t *sites = smap_sites(&n);

	/* isr.asm: 2 clac; user_copy.asm: 1 stac, 2 clac. */
	CHECKF(n >= 5, "only %zu clac/stac sites recorded", n);
	CHECK(smap_patched() == !cpu_features.smap);
	CHECK(!!(read_cr4() & CR4_SMAP) == cpu_features.smap);
	CHECK(!!(read_cr4() & CR4_SMEP) == cpu_features.smep);
	for (size_t i = 0; i < n; i++)
		CHECKF(smap_site_is(sites[i], !cpu_features.smap),
		       "site %zu at 0x%lx holds %s", i, sites[i],
		       cpu_features.smap ? "no clac/stac" : "no NOP");
	/* Running one: an interrupt's clac ran many times by now; AC is clear here. */
	CHECK(!(read_rflags() & RFLAGS_AC));
	return NULL;
}

static inline uint32_t read_mxcsr(void)
{
	uint32_t v;
	__asm__ volatile("stmxcsr %0" : "=m"(v));
	return v;
}

static inline void write_mxcsr(uint32_t v)
{
	__asm__ volatile("ldmxcsr %0" ::"m"(v));
}

static inline uint16_t read_fcw(void)
{
	uint16_t v;
	__asm__ volatile("fnstcw %0" : "=m"(v));
	return v;
}

static const char *test_fpu_control_bits(void)
{
	uint64_t cr0 = read_cr0(), cr4 = read_cr4();

	CHECK(cr0 & CR0_MP);
	CHECK(!(cr0 & CR0_EM));
	CHECK(!(cr0 & CR0_TS));
	CHECK(cr4 & CR4_OSFXSR);
	CHECK(cr4 & CR4_OSXMMEXCPT);
	CHECK(fpu_uses_xsave() == cpu_features.xsave);
	CHECK(!!(cr4 & CR4_OSXSAVE) == fpu_uses_xsave());
	if (fpu_uses_xsave()) {
		uint32_t lo, hi;
		__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
		uint64_t xcr0 = (uint64_t)hi << 32 | lo;
		CHECKF(xcr0 == fpu_xcr0(), "XCR0 0x%lx, chose 0x%lx", xcr0, fpu_xcr0());
		CHECK((xcr0 & (XCR0_X87 | XCR0_SSE)) == (XCR0_X87 | XCR0_SSE));
		CHECK(!!(xcr0 & XCR0_AVX) == cpu_features.avx);
		CHECK(fpu_state_size() >= FPU_LEGACY_SIZE + 64);
	} else {
		CHECK(fpu_state_size() == FPU_LEGACY_SIZE);
	}
	return NULL;
}

static const char *test_fpu_areas(void)
{
	uint8_t *a = fpu_state_alloc(), *b = fpu_state_alloc();
	const char *why = NULL;
	uint32_t mxcsr;
	uint16_t fcw;

	if (!a || !b) {
		fpu_state_free(a);
		fpu_state_free(b);
		return "fpu_state_alloc: no memory";
	}
	memcpy(&mxcsr, a + FPU_MXCSR_OFFSET, sizeof(mxcsr));
	memcpy(&fcw, a, sizeof(fcw));
	if (((uintptr_t)a & (FPU_AREA_ALIGN - 1)) != 0)
		why = "an area is not 64-byte aligned";
	else if (mxcsr != FPU_MXCSR_DEFAULT || fcw != FPU_FCW_DEFAULT)
		why = selftest_reason("clean area: MXCSR 0x%x FCW 0x%x", mxcsr, fcw);
	if (!why) {
		/* This kernel thread owns no FPU state: the CPU's registers are nobody's. */
		unsigned long flags = arch_irq_save();
		fpu_restore(a);
		uint32_t m0 = read_mxcsr();
		uint16_t c0 = read_fcw();
		write_mxcsr(FPU_MXCSR_DEFAULT | (1u << 15)); /* FTZ: a state to tell apart */
		fpu_save(b);
		fpu_restore(a);
		uint32_t m1 = read_mxcsr();
		fpu_restore(b);
		uint32_t m2 = read_mxcsr();
		fpu_restore(a);
		arch_irq_restore(flags);
		memcpy(&mxcsr, b + FPU_MXCSR_OFFSET, sizeof(mxcsr));
		if (m0 != FPU_MXCSR_DEFAULT || c0 != FPU_FCW_DEFAULT)
			why = selftest_reason("clean restore: MXCSR 0x%x FCW 0x%x", m0, c0);
		else if (mxcsr != (FPU_MXCSR_DEFAULT | (1u << 15)))
			why = selftest_reason("saved MXCSR 0x%x", mxcsr);
		else if (m1 != FPU_MXCSR_DEFAULT || m2 != (FPU_MXCSR_DEFAULT | (1u << 15)))
			why = selftest_reason("restores gave MXCSR 0x%x then 0x%x", m1, m2);
	}
	fpu_state_reset(b);
	memcpy(&mxcsr, b + FPU_MXCSR_OFFSET, sizeof(mxcsr));
	if (!why && mxcsr != FPU_MXCSR_DEFAULT)
		why = "fpu_state_reset left MXCSR changed";
	fpu_state_free(a);
	fpu_state_free(b);
	return why;
}

/*
 * Two threads that own FPU areas (as a process's thread does), each with
 * its own XMM0 and MXCSR, switching back and forth many times: each must
 * find its own registers at the end (arch_switch_user_state's save and
 * restore; on several CPUs the threads may also move between CPUs).
 */
struct fpu_worker {
	uint64_t pattern;      /* what it puts in XMM0 */
	uint32_t mxcsr;        /* what it puts in MXCSR */
	uint64_t seen;         /* XMM0 at the end */
	uint32_t mxcsr_seen;   /* MXCSR at the end */
	bool ran;
};

static void fpu_worker_run(void *arg)
{
	struct fpu_worker *w = arg;
	struct thread *t = thread_current();
	void *area = fpu_state_alloc();

	if (!area)
		return;
	unsigned long flags = arch_irq_save();
	t->fpu_state = area;
	fpu_load(area); /* as arch_enter_user does: the registers are now this thread's */
	__asm__ volatile("movq %0, %%xmm0" ::"r"(w->pattern));
	write_mxcsr(w->mxcsr);
	arch_irq_restore(flags);
	for (int i = 0; i < 200; i++) {
		if (i % 50 == 0)
			thread_sleep_ticks(1);
		else
			thread_yield();
	}
	flags = arch_irq_save();
	__asm__ volatile("movq %%xmm0, %0" : "=r"(w->seen));
	w->mxcsr_seen = read_mxcsr();
	t->fpu_state = NULL;
	arch_irq_restore(flags);
	fpu_state_free(area);
	w->ran = true;
}

static const char *test_fpu_switch(void)
{
	struct fpu_worker w[2] = {
		{.pattern = 0x0123456789abcdefull, .mxcsr = FPU_MXCSR_DEFAULT | (1u << 15)},
		{.pattern = 0xfedcba9876543210ull, .mxcsr = FPU_MXCSR_DEFAULT | (1u << 6)},
	};
	struct thread *t[2];

	for (int i = 0; i < 2; i++)
		t[i] = thread_create(fpu_worker_run, &w[i], "fpu worker", 0);
	for (int i = 0; i < 2; i++)
		if (t[i])
			MUST_SUCCEED(thread_join(t[i]), "test_fpu_switch: joining its own worker");
	CHECK(t[0] && t[1]);
	for (int i = 0; i < 2; i++) {
		CHECKF(w[i].ran, "worker %d had no FPU area", i);
		CHECKF(w[i].seen == w[i].pattern, "worker %d: XMM0 0x%lx, expected 0x%lx", i,
		       w[i].seen, w[i].pattern);
		CHECKF(w[i].mxcsr_seen == w[i].mxcsr, "worker %d: MXCSR 0x%x, expected 0x%x", i,
		       w[i].mxcsr_seen, w[i].mxcsr);
	}
	return NULL;
}

static const char *test_extable(void)
{
	size_t n;
	const struct extable_entry *t = extable_entries(&n);
	extern char arch_copy_user_fn[] __asm__("arch_copy_user");

	CHECK(n >= 1);
	for (size_t i = 0; i < n; i++) {
		CHECKF(i == 0 || t[i - 1].insn < t[i].insn, "entry %zu out of order", i);
		CHECK(extable_find(t[i].insn) == &t[i]);
		CHECK(extable_find(t[i].insn + 1) != &t[i]);
	}
	CHECK(extable_find(0) == NULL);
	CHECK(extable_find((uint64_t)(uintptr_t)test_extable) == NULL);
	/* The copy's rep movsb is in the table, a few bytes into arch_copy_user. */
	bool found = false;
	for (size_t i = 0; i < n; i++)
		found |= t[i].insn > (uint64_t)(uintptr_t)arch_copy_user_fn &&
			 t[i].insn < (uint64_t)(uintptr_t)arch_copy_user_fn + 16;
	CHECK(found);
	return NULL;
}

/* arch_copy_user(dst, src, n) must return want, print nothing and (if faulted) see a user access. */
static const char *copy_expect(void *dst, const void *src, size_t n, size_t want, bool faults)
{
	uint64_t before = fault_count_total();
	struct fault f;

	selftest_capture_begin();
	size_t left = arch_copy_user(dst, src, n);
	const char *out = selftest_capture_end();
	CHECKF(left == want, "arch_copy_user(%p, %p, %zu) = %zu, expected %zu", dst, src, n, left,
	       want);
	CHECKF(out[0] == '\0', "the copy printed: %.120s", out);
	if (faults && page_fault_last(before, &f)) {
		CHECKF(f.access & FAULT_USER, "the copy's fault was not decided as a user access "
		       "(access 0x%x)", f.access);
		CHECK(f.outcome == FAULT_VIOLATION);
	}
	CHECK(!(read_rflags() & RFLAGS_AC)); /* the fixup path shut SMAP again */
	return NULL;
}

static const char *test_copy_user_bad_addresses(void)
{
	char buf[64], src[64];
	const struct kernel_stack *s = thread_current()->stack;

	CHECK(interrupts_enabled());
	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (char)i;
	memset(buf, 0, sizeof(buf));
	CHECK_OK(copy_expect(buf, src, sizeof(src), 0, false));
	CHECK(memcmp(buf, src, sizeof(src)) == 0);
	CHECK_OK(copy_expect(buf, src, 0, 0, false));
	/* NULL (user half, never mapped), both directions. */
	CHECK_OK(copy_expect(buf, NULL, 16, 16, true));
	CHECK_OK(copy_expect(NULL, src, 16, 16, true));
	/* The kernel half: a stack's guard page. */
	CHECK(s != NULL);
	void *guard = (void *)(uintptr_t)(s->bottom - PAGE_SIZE);
	CHECK_OK(copy_expect(buf, guard, 8, 8, true));
	/* Non-canonical: a #GP, not a #PF. */
	CHECK_OK(copy_expect(buf, (const void *)(uintptr_t)0x8000000000000000ull, 8, 8, false));
	/* Top of the user half: USER_TOP's page is never mapped. */
	CHECK_OK(copy_expect((void *)(uintptr_t)USER_TOP, src, 8, 8, true));
	return NULL;
}

static const char *test_copy_user_partial(void)
{
	char buf[32];
	uint8_t *area = vmalloc(PAGE_SIZE); /* a guard page follows it */

	CHECK(area != NULL);
	memset(area, 0x5a, PAGE_SIZE);
	memset(buf, 0, sizeof(buf));
	const char *why = copy_expect(buf, area + PAGE_SIZE - 10, sizeof(buf), sizeof(buf) - 10,
				      true);
	if (!why && (buf[0] != 0x5a || buf[9] != 0x5a))
		why = "the bytes before the fault were not copied";
	MUST_SUCCEED(vfree(area), "test_copy_user_partial: vfree of its own area");
	return why;
}

/*
 * A user page (MAP_USER) in a space of its own, read and written through
 * arch_copy_user: with SMAP on, only the routine's stac makes this work
 * (a plain kernel access to the page faults).
 */
static const char *test_copy_user_page(void)
{
	struct address_space as;
	struct address_space *before = current_space();
	const virt_addr_t va = USER_START;
	uint64_t value = 0, back = 0x1122334455667788ull;

	CHECK(paging_create(&as, &kernel_space) == 0);
	struct page *frame = alloc_page(ALLOC_ZERO);
	if (!frame || paging_map(&as, va, page_to_phys(frame), PAGE_SIZE, MAP_USER | MAP_WRITE)) {
		if (frame)
			MUST_SUCCEED(free_page(frame), "test_copy_user_page: its own page");
		paging_destroy(&as);
		return "no memory for a user page";
	}
	*(volatile uint64_t *)page_address(frame) = 0xfeedfacecafebeefull;
	address_space_switch(&as);
	size_t left_in = arch_copy_user(&value, (const void *)(uintptr_t)va, sizeof(value));
	size_t left_out = arch_copy_user((void *)(uintptr_t)(va + 8), &back, sizeof(back));
	bool ac = read_rflags() & RFLAGS_AC;
	address_space_switch(before);
	uint64_t written = ((volatile uint64_t *)page_address(frame))[1];
	paging_destroy(&as);
	MUST_SUCCEED(free_page(frame), "test_copy_user_page: its own page");
	CHECKF(left_in == 0 && left_out == 0, "copies left %zu and %zu bytes", left_in, left_out);
	CHECKF(value == 0xfeedfacecafebeefull, "read 0x%lx from the user page", value);
	CHECKF(written == back, "wrote 0x%lx to the user page", written);
	CHECK(!ac);
	return NULL;
}

static const char *test_entry_stack(void)
{
	struct thread *t = thread_current();
	struct percpu *p;

	unsigned long flags = arch_irq_save();
	p = this_percpu();
	uint64_t rsp0 = p->gdt.tss->rsp[0], sys = p->syscall_stack;
	arch_irq_restore(flags);
	CHECK(t->stack != NULL);
	CHECKF(rsp0 == t->stack->top && sys == t->stack->top,
	       "TSS.RSP0 0x%lx, syscall stack 0x%lx, thread's stack top 0x%lx", rsp0, sys,
	       t->stack->top);
	CHECK((t->stack->top & 15) == 0); /* the frames' calls need a 16-byte aligned top */
	/* Switches keep it: yield and look again. */
	thread_yield();
	flags = arch_irq_save();
	p = this_percpu();
	rsp0 = p->gdt.tss->rsp[0];
	arch_irq_restore(flags);
	CHECK(rsp0 == t->stack->top);
	return NULL;
}

/*
 * The TSS's I/O bitmap (gdt.h): this CPU's TSS is an io_tss whose
 * descriptor limit covers the bitmap and its closing 0xff; gdt_io_load
 * copies a map once per generation and NULL points iomap_base past the
 * limit. Ends with no map loaded (the next switch to a process reloads).
 */
static const char *test_io_bitmap_tss(void)
{
	static uint8_t map[GDT_IO_BITMAP_BYTES];
	const uint64_t gen = ~0ull - 18; /* ioperm.c's counter never gets here */

	memset(map, 0xff, sizeof(map));
	map[0x80 / 8] = (uint8_t)~(1u << (0x80 % 8));
	unsigned long flags = arch_irq_save();
	struct percpu *p = this_percpu();
	struct io_tss *io = p->gdt.io;
	const uint64_t *d = &p->gdt.entries[GDT_TSS / 8];
	uint64_t limit = (*d & 0xffff) | (((*d >> 48) & 0xf) << 16);
	uint64_t base = ((*d >> 16) & 0xffffff) | (((*d >> 56) & 0xff) << 24) | (d[1] << 32);
	bool moved = io && p->gdt.tss == &io->tss && base == (uint64_t)(uintptr_t)&io->tss;
	gdt_io_load(map, gen);
	uint16_t with_map = moved ? io->tss.iomap_base : 0;
	bool copied = moved && memcmp(io->bitmap, map, sizeof(map)) == 0 && io->end == 0xff;
	map[0] = 0; /* the same generation again: not copied */
	gdt_io_load(map, gen);
	bool kept = moved && io->bitmap[0] == 0xff;
	gdt_io_load(NULL, 0);
	uint16_t without = moved ? io->tss.iomap_base : 0;
	arch_irq_restore(flags);
	CHECKF(moved, "the loaded TSS is not this CPU's io_tss (base 0x%lx)", base);
	CHECKF(limit == sizeof(struct io_tss) - 1, "TSS limit %lu", limit);
	CHECKF(with_map == GDT_IOMAP_BITMAP, "iomap_base %u with a map", with_map);
	CHECK(copied && kept);
	CHECKF(without == GDT_IOMAP_NONE && without > limit, "iomap_base %u without a map",
	       without);
	return NULL;
}

static const char *test_exception_signals(void)
{
	CHECK(user_mode_exception_signal(VEC_DIVIDE_ERROR) == SIGFPE);
	CHECK(user_mode_exception_signal(VEC_INVALID_OPCODE) == SIGILL);
	CHECK(user_mode_exception_signal(VEC_GENERAL_PROTECTION) == SIGSEGV);
	CHECK(user_mode_exception_signal(VEC_PAGE_FAULT) == SIGSEGV);
	CHECK(user_mode_exception_signal(VEC_BREAKPOINT) == SIGTRAP);
	CHECK(user_mode_exception_signal(VEC_ALIGNMENT_CHECK) == SIGBUS);
	CHECK(user_mode_exception_signal(VEC_SIMD_FP) == SIGFPE);
	CHECK(user_mode_exception_signal(12) == SIGSEGV); /* #SS */
	return NULL;
}

static const char *test_check_frame_flags(void)
{
	struct trap_frame f;

	memset(&f, 0, sizeof(f));
	f.cs = GDT_USER_CODE;
	f.ss = GDT_USER_DATA;
	f.rip = USER_START;
	f.rflags = RFLAGS_IOPL | RFLAGS_NT | RFLAGS_AC;
	user_mode_check_frame(&f); /* a good frame: never kills */
	CHECKF(f.rflags == (RFLAGS_IF | RFLAGS_FIXED | RFLAGS_AC), "rflags 0x%lx", f.rflags);
	return NULL;
}

static const struct selftest user_mode_tests[] = {
	{"syscall_msrs", "EFER.SCE, STAR, LSTAR and FMASK on every online CPU", test_syscall_msrs},
	{"smap_patch", "clac/stac sites patched to NOPs exactly when CPUID has no SMAP",
	 test_smap_patch},
	{"fpu_control_bits", "CR0.MP/EM/TS, CR4.OSFXSR/OSXMMEXCPT/OSXSAVE and XCR0",
	 test_fpu_control_bits},
	{"fpu_areas", "aligned clean areas (FCW 0x037f, MXCSR 0x1f80) and a save/restore round trip",
	 test_fpu_areas},
	{"fpu_switch", "two threads with FPU areas keep their own XMM0 and MXCSR across switches",
	 test_fpu_switch},
	{"extable", "the exception table is sorted and finds the user copy's instruction",
	 test_extable},
	{"copy_user_bad", "arch_copy_user from NULL, a guard page, non-canonical and USER_TOP "
	 "returns n, silently", test_copy_user_bad_addresses},
	{"copy_user_partial", "a copy running into an unmapped page returns the bytes not copied",
	 test_copy_user_partial},
	{"copy_user_page", "arch_copy_user reads and writes a user page (SMAP's stac where on)",
	 test_copy_user_page},
	{"entry_stack", "TSS.RSP0 and the syscall stack are the running thread's stack top",
	 test_entry_stack},
	{"io_bitmap_tss", "this CPU's TSS holds an I/O bitmap; loaded once per generation, or none",
	 test_io_bitmap_tss},
	{"exception_signals", "#DE SIGFPE, #UD SIGILL, #GP SIGSEGV, #BP SIGTRAP, #AC SIGBUS",
	 test_exception_signals},
	{"check_frame", "a return frame gets IF set and IOPL, NT cleared", test_check_frame_flags},
};

SELFTEST_SUITE(user_mode, user_mode_tests);
