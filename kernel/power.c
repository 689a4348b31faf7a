/*
 * power.c - halt, reboot, power-off and the QEMU exit port (see power.h).
 *
 * Power-off follows the ACPI recipe: switch the chipset to ACPI mode if the
 * firmware has not (write acpi_enable to the SMI command port and wait for
 * PM1 control's SCI_EN bit), then write SLP_TYP(S5) | SLP_EN to the PM1a
 * (and PM1b) control registers. Reset tries, in order, the FADT reset
 * register, the keyboard controller's reset line and a triple fault (an
 * empty IDT plus an exception), which every x86 turns into a reset.
 */
#include "kernel/power.h"

#include "drivers/i8042.h"
#include "kernel/acpi.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/idt.h"
#include "kernel/timer.h"
#include "lib/printf.h"

#define PM1_SCI_ENABLE (1u << 0)   /* PM1 control: ACPI mode is on */
#define PM1_SLEEP_TYPE_SHIFT 10    /* PM1 control: SLP_TYP, bits 12-10 */
#define PM1_SLEEP_ENABLE (1u << 13) /* PM1 control: SLP_EN, go to sleep now */

static struct acpi_power acpi;

void power_init(const void *rsdp, uint32_t length)
{
	acpi_init(rsdp, length, &acpi);
}

void power_qemu_exit(uint32_t code)
{
	outl(QEMU_EXIT_PORT, code);
}

/* Spin for about ms milliseconds (by the TSC); works with interrupts off. */
static void power_delay_ms(uint64_t ms)
{
	uint64_t hz = timer_tsc_hz() ? timer_tsc_hz() : 1000000000ull;
	uint64_t end = rdtsc() + hz / 1000 * ms;
	while (rdtsc() < end)
		cpu_relax();
}

void power_halt(void)
{
	kprintf("System halted. It is now safe to turn the machine off.\n");
	cpu_halt_forever();
}

void power_reboot(void)
{
	kprintf("Rebooting...\n");
	interrupts_disable();
	if (acpi.have_reset) {
		outb(acpi.reset_port, acpi.reset_value);
		power_delay_ms(100);
	}
	i8042_pulse_reset();
	power_delay_ms(100);
	idt_load_empty();
	__asm__ volatile("int3"); /* no IDT: #BP -> #DF -> triple fault -> reset */
	cpu_halt_forever();
}

void power_off(void)
{
	interrupts_disable();
	if (acpi.have_s5) {
		if (acpi.smi_command && acpi.acpi_enable &&
		    !(inw(acpi.pm1a_control) & PM1_SCI_ENABLE)) {
			outb(acpi.smi_command, acpi.acpi_enable);
			for (int i = 0; i < 300 && !(inw(acpi.pm1a_control) & PM1_SCI_ENABLE); i++)
				power_delay_ms(10);
		}
		outw(acpi.pm1a_control,
		     (acpi.s5_type_a << PM1_SLEEP_TYPE_SHIFT) | PM1_SLEEP_ENABLE);
		if (acpi.pm1b_control)
			outw(acpi.pm1b_control,
			     (acpi.s5_type_b << PM1_SLEEP_TYPE_SHIFT) | PM1_SLEEP_ENABLE);
		power_delay_ms(500);
		kprintf("poweroff: ACPI soft-off (S5) was requested but the machine is still on.\n");
	} else {
		kprintf("poweroff: cannot power off: %s.\n", acpi.problem);
	}
	power_halt();
}
