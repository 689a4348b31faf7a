/*
 * cpu_stop.c - the NMI's three meanings (see cpu_stop.h): stop, RIP
 * sample, or an outside NMI left to trap.c's report.
 *
 * A request is a flag per CPU set before the NMI is sent; the handler
 * reads its own CPU's flags. The stop is global (one panic at a time:
 * panic_begin() lets only the first panicking CPU through), the sample is
 * per target, answered by clearing the flag after the RIP is stored.
 * Waiting is bounded by TSC time: a CPU that does not answer (already
 * halted, or gone) does not hang the panic or the detector.
 *
 * Invariants:
 *   [x] the handler prints nothing and takes no lock;
 *   [x] rip_sample[cpu] is written before rip_wanted[cpu] is cleared.
 * Context: NMI handler (any moment, interrupts off); senders any context.
 */
#include "kernel/smp/cpu_stop.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/lapic.h"
#include "kernel/arch/x86_64/panic_stop.h"
#include "kernel/arch/x86_64/trap.h"
#include "kernel/smp/call.h"
#include "kernel/smp/smp.h"
#include "kernel/timer.h"

static volatile bool stop_requested;
static volatile unsigned stop_requester;
static unsigned stopped;                       /* CPUs halted by the stop */
static volatile uint8_t rip_wanted[SMP_MAX_CPUS];
static volatile uint64_t rip_sample[SMP_MAX_CPUS];

static bool cpu_stop_nmi(struct trap_frame *frame)
{
	unsigned cpu = arch_cpu_id();

	if (stop_requested && cpu != stop_requester) {
		__atomic_add_fetch(&stopped, 1, __ATOMIC_RELEASE);
		cpu_halt_forever(); /* NMIs stay blocked: no IRET from this one */
	}
	if (__atomic_load_n(&rip_wanted[cpu], __ATOMIC_ACQUIRE)) {
		rip_sample[cpu] = frame->rip;
		__atomic_store_n(&rip_wanted[cpu], 0, __ATOMIC_RELEASE);
		return true;
	}
	return false; /* trap.c reports the outside NMI */
}

void cpu_stop_init(void)
{
	trap_register_exception(VEC_NMI, cpu_stop_nmi);
	panic_stop_set_cpu_stopper(cpu_stop_others);
}

/* TSC cycles in ms milliseconds (a rough 1 GHz guess before calibration). */
static uint64_t ms_cycles(uint64_t ms)
{
	uint64_t hz = timer_tsc_hz();

	return (hz ? hz : 1000000000ull) / 1000 * ms;
}

unsigned cpu_stop_others(void)
{
	unsigned self = arch_cpu_id(), asked = 0;
	cpumask_t others = smp_online_mask() & ~CPUMASK_CPU(self);

	stop_requester = self;
	__atomic_store_n(&stop_requested, true, __ATOMIC_SEQ_CST);
	for (unsigned cpu = 0; cpu < SMP_MAX_CPUS; cpu++) {
		if (others & CPUMASK_CPU(cpu)) {
			lapic_send_nmi(smp_apic_id(cpu));
			asked++;
		}
	}
	uint64_t start = rdtsc(), limit = ms_cycles(CPU_STOP_WAIT_MS);
	while (__atomic_load_n(&stopped, __ATOMIC_ACQUIRE) < asked && rdtsc() - start < limit)
		cpu_relax();
	return __atomic_load_n(&stopped, __ATOMIC_ACQUIRE);
}

bool cpu_stop_sample_rip(unsigned cpu, uint64_t *rip)
{
	if (cpu >= SMP_MAX_CPUS || cpu == arch_cpu_id() || !smp_cpu_online(cpu))
		return false;
	__atomic_store_n(&rip_wanted[cpu], 1, __ATOMIC_RELEASE);
	lapic_send_nmi(smp_apic_id(cpu));
	uint64_t start = rdtsc(), limit = ms_cycles(CPU_STOP_SAMPLE_MS);
	while (__atomic_load_n(&rip_wanted[cpu], __ATOMIC_ACQUIRE)) {
		if (rdtsc() - start >= limit) {
			__atomic_store_n(&rip_wanted[cpu], 0, __ATOMIC_RELEASE);
			return false;
		}
		cpu_relax();
	}
	*rip = rip_sample[cpu];
	return true;
}
