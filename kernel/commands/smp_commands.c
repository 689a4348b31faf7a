/*
 * smp_commands.c - the `cpus` command: every CPU the kernel knows, its APIC
 * id, whether it is online, what it runs and the IPIs it sent and received;
 * `cpus ping` sends each other online CPU a reschedule IPI and waits for it
 * to be counted there (a live check of the IPI path). The run-queue length,
 * idle share and current thread come from the scheduler (sched_cpu_stats);
 * `cpus tlb` shows each CPU's TLB shootdown and cross-call counters
 * (tlb_shootdown_stats).
 *
 * Invariants:
 *   [x] one line per CPU 0 .. smp_cpus_online()-1, then one summary line;
 *   [x] `cpus ping` never waits more than CPUS_PING_TIMEOUT_MS per CPU.
 * Calling context: the shell thread (interrupts on).
 */
#include "kernel/acpi.h"
#include "kernel/arch/x86_64/lapic.h"
#include "kernel/arch/x86_64/percpu.h"
#include "kernel/arch/x86_64/smpboot.h"
#include "kernel/sched/schedule.h"
#include "mm/spinlock.h"
#include "kernel/shell/shell.h"
#include "kernel/smp/call.h"
#include "kernel/smp/smp.h"
#include "kernel/smp/tlb_shootdown.h"
#include "kernel/timer.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/arch.h"

#define CPUS_PING_TIMEOUT_MS 1000

static void cpus_list(void)
{
	unsigned n = smp_cpus_online();

	kprintf("CPU  APIC  STATE    IPIS-SENT  IPIS-RECV  READY  IDLE%%  SHOOTDOWNS(out/in)  "
		"UP-AT(us)  THREAD\n");
	for (unsigned cpu = 0; cpu < n; cpu++) {
		const struct percpu *p = percpu_of(cpu);
		struct sched_cpu_stats st;
		struct tlb_shootdown_stats tlb;
		uint64_t sent = 0, received = 0;
		char shootdowns[24];
		lapic_ipi_counts(cpu, &sent, &received);
		tlb_shootdown_stats(cpu, &tlb);
		ksnprintf(shootdowns, sizeof(shootdowns), "%lu/%lu", tlb.shootdowns, tlb.received);
		sched_cpu_stats(cpu, &st);
		uint64_t up = p->started_tsc ? timer_tsc_to_us(p->started_tsc - timer_entry_tsc()) : 0;
		unsigned idle = st.total_cycles ? (unsigned)(st.idle_cycles * 100 / st.total_cycles) : 0;
		kprintf("%3u  %4u  %-7s  %9lu  %9lu  %5u  %5u  %18s  %9lu  ", cpu, p->apic_id,
			smp_cpu_online(cpu) ? "online" : "offline", sent, received, st.ready, idle, shootdowns,
			up);
		if (st.online)
			kprintf("%lu %s\n", st.current_id, st.current_name);
		else
			kprintf("- (not scheduling yet)\n");
	}
	kprintf("%u online of %u listed (ACPI MADT)", n, acpi_cpus.have_madt ? acpi_cpus.enabled : 1);
	if (smp_cpus_left_offline())
		kprintf(", %u beyond MM_MAX_CPUS (%u) offline", smp_cpus_left_offline(), MM_MAX_CPUS);
	kprintf("\n");
}

/*
 * Reschedule-IPI every other online CPU; 0 if each counted it in time.
 * Preemption stays off throughout, so "every other" means one CPU: the
 * shell thread could otherwise move between sends (interrupts stay on: the
 * tick and the targets' answers go on).
 */
static int cpus_ping(void)
{
	unsigned n = smp_cpus_online(), failed = 0;

	preempt_disable();
	unsigned self = arch_cpu_id();
	for (unsigned cpu = 0; cpu < n; cpu++) {
		uint64_t sent, before, after;
		if (cpu == self)
			continue;
		lapic_ipi_counts(cpu, &sent, &before);
		smp_send_reschedule(cpu);
		uint64_t deadline = timer_us_since_entry() + CPUS_PING_TIMEOUT_MS * 1000;
		do
			lapic_ipi_counts(cpu, &sent, &after);
		while (after == before && timer_us_since_entry() < deadline);
		kprintf("CPU %u: %s\n", cpu, after != before ? "answered" : "no answer");
		failed += after == before;
	}
	preempt_enable();
	if (n == 1)
		kprintf("only CPU 0 is online: nobody to ping\n");
	else
		kprintf("from CPU %u\n", self);
	return failed ? -1 : 0;
}

/* Each online CPU's TLB shootdown and cross-call counters (docs/smp.md). */
static void cpus_tlb(void)
{
	kprintf("CPU  SHOOTDOWNS  IPIS-SENT  RECEIVED      PAGES  FULL  SKIPPED  LOCAL-ONLY  "
		"CALLS-RUN  RING-FULL\n");
	for (unsigned cpu = 0; cpu < smp_cpus_online(); cpu++) {
		struct tlb_shootdown_stats t;
		uint64_t served, full;
		tlb_shootdown_stats(cpu, &t);
		smp_call_counts(cpu, &served, &full);
		kprintf("%3u  %10lu  %9lu  %8lu  %9lu  %4lu  %7lu  %10lu  %9lu  %9lu\n", cpu,
			t.shootdowns, t.ipis_sent, t.received, t.pages, t.full_flushes, t.skipped,
			t.local_only, served, full);
	}
}

static int cmd_cpus(int argc, char **argv)
{
	if (argc == 2) {
		if (strcmp(argv[1], "tlb") == 0) {
			cpus_tlb();
			return 0;
		}
		if (strcmp(argv[1], "ping") != 0) {
			kprintf("cpus: invalid argument '%s' (try 'help cpus')\n", argv[1]);
			return -1;
		}
		return cpus_ping();
	}
	cpus_list();
	return 0;
}

SHELL_COMMAND(cpus, SHELL_ARGS(0, 1), "the CPUs: APIC ids, online, threads, IPIs",
	      "usage: cpus [ping|tlb]\n"
	      "  One line per CPU (numbered in bring-up order, 0 = the boot CPU): its\n"
	      "  local APIC id, online or not, IPIs it sent and received, threads ready\n"
	      "  on its run queue, the share of time it idled, when it came up\n"
	      "  (microseconds after the kernel's entry) and the thread running on it\n"
	      "  (id and name). `cpus ping` sends every other online CPU a reschedule IPI and\n"
	      "  waits for it to count it (at most 1 s each).\n"
	      "  `cpus tlb`: each CPU's TLB shootdowns (batches and IPIs it sent,\n"
	      "  requests it ran for others, pages and full flushes done for them,\n"
	      "  requests for a space it had left, batches no other CPU needed) and\n"
	      "  cross-CPU calls it ran / pushes that found its ring full.\n"
	      "examples:\n"
	      "  cpus\n"
	      "  cpus ping\n"
	      "  cpus tlb\n"
	      "  cpus pong     [refused] not an argument\n",
	      cmd_cpus);
