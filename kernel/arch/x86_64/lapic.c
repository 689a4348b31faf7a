/*
 * lapic.c - the local APIC in xAPIC or x2APIC mode (see lapic.h).
 *
 * One pair of accessors hides the two modes: a register's xAPIC MMIO
 * offset R becomes MSR 0x800 + R/16 in x2APIC mode (SDM Vol. 3A 11.12.1.2),
 * except the ICR, which x2APIC makes one 64-bit MSR. Register and bit
 * numbers below are from the SDM's APIC chapter (Vol. 3A ch. 11, ch. 10 in
 * editions before 2023); older names in parentheses where Linux differs.
 * Invariants:
 *   [x] lapic_mode_x2apic and lapic_mmio are set once, by the boot CPU,
 *       before any other CPU runs; afterwards they are only read;
 *   [x] a CPU's sent/received counters are written by that CPU only
 *       (atomic adds: an interrupt on the same CPU may send too);
 *   [x] an xAPIC ICR write (high, then low) runs with interrupts off, so an
 *       interrupt handler's IPI cannot land between the two halves;
 *   [x] the timer's calibration reads each end as a (TSC, count) pair in a
 *       narrow TSC bracket: a stalled virtual CPU does not skew the rate.
 * Context: see each function in lapic.h. No locks: every register belongs
 * to the CPU that touches it.
 */
#include "kernel/arch/x86_64/lapic.h"

#include "kernel/acpi.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/cpu_features.h"
#include "kernel/arch/x86_64/mmio.h"
#include "kernel/arch/x86_64/trap.h"
#include "kernel/arch/x86_64/vectors.h"
#include "kernel/timer.h"
#include "lib/printf.h"
#include "mm/arch.h"

/* IA32_APIC_BASE (SDM 11.4.4, Figure 11-5). */
#define MSR_APIC_BASE 0x1bu
#define APIC_BASE_BSP (1ull << 8)        /* this is the bootstrap processor (read only) */
#define APIC_BASE_EXTD (1ull << 10)      /* x2APIC mode (SDM 11.12.1) */
#define APIC_BASE_ENABLE (1ull << 11)    /* APIC global enable */
#define APIC_BASE_ADDR_MASK 0x000ffffffffff000ull /* physical base of the xAPIC page */
#define APIC_MMIO_SIZE 0x1000u           /* the xAPIC register page */

/* Register offsets in the xAPIC page (SDM 11.4.1, Table 11-1). */
#define APIC_ID 0x020      /* local APIC id: bits 31-24 in xAPIC mode (SDM 11.4.6) */
#define APIC_VERSION 0x030 /* version; bits 23-16: max LVT entry (SDM 11.4.8) */
#define APIC_TPR 0x080     /* task priority (SDM 11.8.3.1) */
#define APIC_EOI 0x0b0     /* end of interrupt: write 0 (SDM 11.8.5) */
#define APIC_SVR 0x0f0     /* spurious interrupt vector (SDM 11.9) */
#define APIC_ISR 0x100     /* in-service, 8 registers of 32 bits, 0x10 apart (SDM 11.8.4) */
#define APIC_ESR 0x280     /* error status (SDM 11.5.3) */
#define APIC_LVT_CMCI 0x2f0 /* LVT corrected machine check (SDM 11.5.1) */
#define APIC_ICR_LOW 0x300 /* interrupt command, bits 31-0 (SDM 11.6.1) */
#define APIC_ICR_HIGH 0x310 /* interrupt command, bits 63-32 (xAPIC only) */
#define APIC_LVT_TIMER 0x320   /* LVT timer (SDM 11.5.1) */
#define APIC_LVT_THERMAL 0x330 /* LVT thermal sensor */
#define APIC_LVT_PERF 0x340    /* LVT performance counter */
#define APIC_LVT_LINT0 0x350   /* LVT LINT0 pin */
#define APIC_LVT_LINT1 0x360   /* LVT LINT1 pin */
#define APIC_LVT_ERROR 0x370   /* LVT error */
#define APIC_TIMER_INITIAL 0x380 /* timer initial count (SDM 11.5.4) */
#define APIC_TIMER_CURRENT 0x390 /* timer current count */
#define APIC_TIMER_DIVIDE 0x3e0  /* timer divide configuration */

#define X2APIC_MSR_BASE 0x800u /* x2APIC: MSR = base + offset / 16 (SDM 11.12.1.2) */
#define X2APIC_MSR_ICR 0x830u  /* x2APIC: the whole 64-bit ICR (SDM 11.12.9) */

#define APIC_VERSION_MAX_LVT(v) (((v) >> 16) & 0xff) /* index of the last LVT entry */
#define APIC_LVT_INDEX_THERMAL 5 /* the thermal entry exists if max LVT >= 5 */
#define APIC_LVT_INDEX_CMCI 6    /* the CMCI entry exists if max LVT >= 6 */

#define APIC_SVR_ENABLE (1u << 8) /* APIC software enable (SDM 11.4.7.2) */

/* Local vector table entries (SDM 11.5.1, Figure 11-8). */
#define LVT_MASKED (1u << 16)             /* interrupt masked */
#define LVT_DELIVERY_NMI (4u << 8)        /* delivery mode NMI (LINT pins) */
#define LVT_ACTIVE_LOW (1u << 13)         /* LINT pin polarity: active low */
#define LVT_TIMER_PERIODIC (1u << 17)     /* timer mode 01: periodic (SDM 11.5.4) */

#define APIC_DIVIDE_BY_16 0x3u /* divide configuration 0011: divide by 16 (SDM Figure 11-10) */

/* Interrupt command register (SDM 11.6.1, Figure 11-12). */
#define ICR_DELIVERY_FIXED (0u << 8)   /* fixed: the vector, to the destination */
#define ICR_DELIVERY_NMI (4u << 8)     /* NMI (vector ignored) */
#define ICR_DELIVERY_INIT (5u << 8)    /* INIT (vector 0) */
#define ICR_DELIVERY_STARTUP (6u << 8) /* start-up: vector = page of the entry */
#define ICR_DEST_PHYSICAL (0u << 11)   /* destination mode: physical APIC id */
#define ICR_DELIVERY_PENDING (1u << 12) /* delivery status: not yet accepted (xAPIC only) */
#define ICR_LEVEL_ASSERT (1u << 14)    /* level: assert (0 = de-assert, INIT only) */
#define ICR_TRIGGER_LEVEL (1u << 15)   /* trigger mode: level (INIT de-assert) */
#define ICR_XAPIC_DEST_SHIFT 24        /* xAPIC: destination in ICR high bits 31-24 */
#define ICR_X2APIC_DEST_SHIFT 32       /* x2APIC: destination in ICR bits 63-32 */
#define XAPIC_MAX_ID 0xfeu             /* 0xff is the xAPIC broadcast id */

#define CALIBRATION_DIVISOR 100 /* measure the timer for 1/100 s of TSC cycles */

static bool lapic_mode_x2apic;
static volatile void *lapic_mmio;
static uint64_t lapic_phys;
static bool lapic_ready;
static uint64_t timer_counts_per_second; /* at APIC_DIVIDE_BY_16 */
static uint64_t ipi_sent[MM_MAX_CPUS], ipi_received[MM_MAX_CPUS];
static uint64_t error_count;
static uint32_t error_last_esr;

static uint32_t lapic_read(uint32_t reg)
{
	if (lapic_mode_x2apic)
		return (uint32_t)rdmsr(X2APIC_MSR_BASE + reg / 16);
	return mmio_read32(lapic_mmio, reg);
}

static void lapic_write(uint32_t reg, uint32_t value)
{
	if (lapic_mode_x2apic)
		wrmsr(X2APIC_MSR_BASE + reg / 16, value);
	else
		mmio_write32(lapic_mmio, reg, value);
}

bool lapic_in_use(void)
{
	return lapic_ready;
}

bool lapic_x2apic_enabled(void)
{
	return lapic_mode_x2apic;
}

uint64_t lapic_base_address(void)
{
	return lapic_phys;
}

uint32_t lapic_id(void)
{
	if (!lapic_ready) /* the 8259 fallback: the id CPUID reports */
		return cpuid(1, 0).ebx >> 24;
	uint32_t id = lapic_read(APIC_ID);

	return lapic_mode_x2apic ? id : id >> 24;
}

void lapic_eoi(void)
{
	if (lapic_ready) /* an `int n` on the 8259 fallback has nothing to acknowledge */
		lapic_write(APIC_EOI, 0);
}

void lapic_eoi_if_in_service(uint8_t vector)
{
	if (lapic_ready && (lapic_read(APIC_ISR + 0x10 * (vector / 32)) & (1u << (vector % 32))))
		lapic_eoi();
}

/* The ESR latches errors until written: write, then read (SDM 11.5.3). */
static uint32_t lapic_read_esr(void)
{
	lapic_write(APIC_ESR, 0);
	return lapic_read(APIC_ESR);
}

static void lapic_error_interrupt(void)
{
	uint32_t esr = lapic_read_esr();

	__atomic_fetch_add(&error_count, 1, __ATOMIC_RELAXED);
	error_last_esr = esr;
	kprintf("lapic: APIC error on CPU %u (APIC id %u): ESR 0x%x\n", arch_cpu_id(), lapic_id(),
		esr);
}

/*
 * The LINT pins' LVT values: NMI where the MADT's local APIC NMI entries
 * say so for this CPU (by its ACPI UID, or for all), with their polarity;
 * LINT1 by default (the PC wiring) when the MADT has no such entry; every
 * other pin masked (the 8259s behind LINT0 are masked anyway).
 */
static void lapic_lint_values(uint32_t apic_id, uint32_t lint[2])
{
	uint32_t uid = ACPI_NMI_ALL_CPUS;

	lint[0] = lint[1] = LVT_MASKED;
	if (acpi_madt.nmi_count == 0) {
		lint[1] = LVT_DELIVERY_NMI;
		return;
	}
	for (unsigned i = 0; i < acpi_madt.cpu_count; i++)
		if (acpi_madt.cpus[i].apic_id == apic_id)
			uid = acpi_madt.cpus[i].uid;
	for (unsigned i = 0; i < acpi_madt.nmi_count; i++) {
		const struct acpi_lapic_nmi *n = &acpi_madt.nmis[i];
		if (n->uid != ACPI_NMI_ALL_CPUS && n->uid != uid)
			continue;
		/* NMIs are always edge-triggered at the LINT pin (SDM 11.5.1): only polarity. */
		lint[n->lint] = LVT_DELIVERY_NMI |
			((n->flags & ACPI_INTI_POLARITY_MASK) == ACPI_INTI_POLARITY_LOW
				 ? LVT_ACTIVE_LOW : 0);
	}
}

/*
 * VEC_RESCHEDULE: nothing to do here. The waker set this CPU's need_resched
 * before sending; trap_dispatch's exit path (sched_irq_exit) switches.
 */
static void lapic_reschedule_interrupt(void)
{
}

/* Boot CPU, first call: x2APIC where offered (or already on), else map the xAPIC page. */
static void lapic_choose_mode(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);

	lapic_mode_x2apic = cpu_features.x2apic || (base & APIC_BASE_EXTD);
	lapic_phys = base & APIC_BASE_ADDR_MASK; /* what the CPU decodes, whatever the MADT says */
	if (acpi_madt.have_madt && acpi_madt.lapic_address != lapic_phys)
		kprintf("lapic: the MADT says 0x%lx, IA32_APIC_BASE 0x%lx: using the MSR's\n",
			acpi_madt.lapic_address, lapic_phys);
	if (!lapic_mode_x2apic) {
		lapic_mmio = mmio_map(lapic_phys, APIC_MMIO_SIZE, "the local APIC");
		if (!lapic_mmio)
			panic("lapic_init_this_cpu: cannot map the local APIC at 0x%lx", lapic_phys);
	}
	trap_register_vector(VEC_LAPIC_ERROR, lapic_error_interrupt);
	trap_register_vector(VEC_RESCHEDULE, lapic_reschedule_interrupt);
}

void lapic_init_this_cpu(void)
{
	ASSERT_IRQS_OFF();
	if (!lapic_ready)
		lapic_choose_mode();

	uint64_t base = rdmsr(MSR_APIC_BASE);
	if (!(base & APIC_BASE_ENABLE)) {
		base |= APIC_BASE_ENABLE;
		wrmsr(MSR_APIC_BASE, base);
	}
	/* Disabled -> x2APIC directly is an invalid transition: through xAPIC (SDM 11.12.5). */
	if (lapic_mode_x2apic && !(base & APIC_BASE_EXTD))
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_EXTD);

	uint32_t max_lvt = APIC_VERSION_MAX_LVT(lapic_read(APIC_VERSION));
	lapic_write(APIC_TPR, 0);                   /* accept every priority class */
	lapic_write(APIC_LVT_TIMER, LVT_MASKED);    /* started by lapic_timer_start_this_cpu */
	lapic_write(APIC_LVT_PERF, LVT_MASKED);
	if (max_lvt >= APIC_LVT_INDEX_THERMAL)
		lapic_write(APIC_LVT_THERMAL, LVT_MASKED);
	if (max_lvt >= APIC_LVT_INDEX_CMCI)
		lapic_write(APIC_LVT_CMCI, LVT_MASKED);
	uint32_t lint[2];
	lapic_lint_values(lapic_id(), lint);
	lapic_write(APIC_LVT_LINT0, lint[0]);       /* the 8259s are masked: no ExtINT */
	lapic_write(APIC_LVT_LINT1, lint[1]);
	lapic_write(APIC_LVT_ERROR, VEC_LAPIC_ERROR);
	lapic_read_esr();                           /* forget errors from before */
	lapic_write(APIC_SVR, APIC_SVR_ENABLE | VEC_SPURIOUS);
	lapic_eoi();                                /* nothing stays in service from the firmware */
	lapic_ready = true;
}

/* Write the ICR and wait until the APIC took it (xAPIC; x2APIC has no busy bit). */
static void lapic_send_icr(uint32_t apic_id, uint32_t low)
{
	if (!lapic_ready)
		panic("lapic_send_icr: no local APIC in use (the 8259 fallback): no IPIs");
	unsigned long flags = arch_irq_save();

	if (lapic_mode_x2apic) {
		/*
		 * WRMSR to an x2APIC register is not serializing (SDM 11.12.3): fence,
		 * so the target sees every store made before the IPI (need_resched,
		 * a call request). No delivery-status polling (SDM 11.12.9).
		 */
		__asm__ volatile("mfence; lfence" ::: "memory");
		wrmsr(X2APIC_MSR_ICR, ((uint64_t)apic_id << ICR_X2APIC_DEST_SHIFT) | low);
	} else if (apic_id > XAPIC_MAX_ID) {
		kprintf("lapic: APIC id %u cannot be reached in xAPIC mode\n", apic_id);
	} else {
		while (mmio_read32(lapic_mmio, APIC_ICR_LOW) & ICR_DELIVERY_PENDING)
			cpu_relax();
		__asm__ volatile("" ::: "memory"); /* earlier stores first (UC writes stay in order) */
		mmio_write32(lapic_mmio, APIC_ICR_HIGH, apic_id << ICR_XAPIC_DEST_SHIFT);
		mmio_write32(lapic_mmio, APIC_ICR_LOW, low); /* this write sends it */
		while (mmio_read32(lapic_mmio, APIC_ICR_LOW) & ICR_DELIVERY_PENDING)
			cpu_relax();
	}
	arch_irq_restore(flags);
}

static void count_sent(void)
{
	__atomic_fetch_add(&ipi_sent[arch_cpu_id()], 1, __ATOMIC_RELAXED);
}

void lapic_send_ipi(uint32_t apic_id, uint8_t vector)
{
	if (vector < VEC_FIRST_FREE)
		panic("lapic_send_ipi: vector %u is reserved", vector);
	count_sent();
	lapic_send_icr(apic_id, ICR_DELIVERY_FIXED | ICR_DEST_PHYSICAL | ICR_LEVEL_ASSERT | vector);
}

void lapic_send_nmi(uint32_t apic_id)
{
	count_sent();
	lapic_send_icr(apic_id, ICR_DELIVERY_NMI | ICR_DEST_PHYSICAL | ICR_LEVEL_ASSERT);
}

void lapic_send_init(uint32_t apic_id)
{
	lapic_send_icr(apic_id, ICR_DELIVERY_INIT | ICR_DEST_PHYSICAL | ICR_LEVEL_ASSERT |
				ICR_TRIGGER_LEVEL);
	if (!lapic_mode_x2apic) /* x2APIC has no INIT de-assert (SDM 11.12.9) */
		lapic_send_icr(apic_id, ICR_DELIVERY_INIT | ICR_DEST_PHYSICAL | ICR_TRIGGER_LEVEL);
}

void lapic_send_startup(uint32_t apic_id, uint8_t page)
{
	lapic_send_icr(apic_id, ICR_DELIVERY_STARTUP | ICR_DEST_PHYSICAL | ICR_LEVEL_ASSERT | page);
}

void lapic_ipi_received(void)
{
	__atomic_fetch_add(&ipi_received[arch_cpu_id()], 1, __ATOMIC_RELAXED);
}

void lapic_ipi_counts(unsigned cpu, uint64_t *sent, uint64_t *received)
{
	if (cpu >= MM_MAX_CPUS) {
		*sent = *received = 0;
		return;
	}
	*sent = __atomic_load_n(&ipi_sent[cpu], __ATOMIC_RELAXED);
	*received = __atomic_load_n(&ipi_received[cpu], __ATOMIC_RELAXED);
}

uint64_t lapic_error_count(uint32_t *last_esr)
{
	if (last_esr)
		*last_esr = error_last_esr;
	return __atomic_load_n(&error_count, __ATOMIC_RELAXED);
}

/* The timer's current count (paired with the TSC by rdtsc_bracketed). */
static uint32_t timer_current(void)
{
	return lapic_read(APIC_TIMER_CURRENT);
}

/*
 * Count the timer down from its maximum, masked (one-shot, no interrupt),
 * for at least 1/CALIBRATION_DIVISOR s of TSC cycles: counts per second at
 * divide-by-16, from a (TSC, count) pair at each end, so a stall of the
 * CPU between the end of the wait and the last read does not count.
 */
static uint64_t lapic_timer_measure(void)
{
	uint64_t tsc_hz = timer_tsc_hz(), tsc0, tsc1;

	if (tsc_hz == 0)
		panic("lapic_timer_start_this_cpu: the TSC rate is not measured yet");
	lapic_write(APIC_TIMER_DIVIDE, APIC_DIVIDE_BY_16);
	lapic_write(APIC_LVT_TIMER, LVT_MASKED | VEC_LOCAL_TIMER);
	lapic_write(APIC_TIMER_INITIAL, UINT32_MAX);
	uint32_t c0 = rdtsc_bracketed(timer_current, &tsc0);
	while (rdtsc() - tsc0 < tsc_hz / CALIBRATION_DIVISOR)
		cpu_relax();
	uint32_t c1 = rdtsc_bracketed(timer_current, &tsc1);
	lapic_write(APIC_TIMER_INITIAL, 0); /* stop */
	return (uint64_t)(c0 - c1) * tsc_hz / (tsc1 - tsc0);
}

void lapic_timer_start_this_cpu(void)
{
	ASSERT_IRQS_OFF();
	if (!lapic_ready)
		panic("lapic_timer_start_this_cpu: the local APIC is not initialized");
	if (timer_counts_per_second == 0) {
		timer_counts_per_second = lapic_timer_measure();
		if (timer_counts_per_second < TIMER_HZ)
			panic("lapic_timer_start_this_cpu: the LAPIC timer does not count "
			      "(%lu counts/s)", timer_counts_per_second);
	}
	uint64_t per_tick = timer_counts_per_second / TIMER_HZ;
	lapic_write(APIC_TIMER_DIVIDE, APIC_DIVIDE_BY_16);
	lapic_write(APIC_LVT_TIMER, LVT_TIMER_PERIODIC | VEC_LOCAL_TIMER);
	lapic_write(APIC_TIMER_INITIAL, per_tick > UINT32_MAX ? UINT32_MAX : (uint32_t)per_tick);
}

uint64_t lapic_timer_hz(void)
{
	return timer_counts_per_second;
}

uint32_t lapic_timer_period_count(void)
{
	return lapic_ready ? lapic_read(APIC_TIMER_INITIAL) : 0;
}
