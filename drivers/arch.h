/*
 * arch.h - what drivers/ needs from the CPU and the kernel: port I/O
 * (inb/outb), the interrupt flag and halting until the next interrupt, the
 * TSC's frequency (bounded waits for a device's answer), the
 * check that interrupts are off (ASSERT_IRQS_OFF, shared with mm/ through
 * mm/arch.h), and wait queues for a thread waiting on a device
 * (kernel/sched/wait.h).
 *
 * The rule (checked by scripts/check_structure.py in `make test`): drivers/
 * reaches kernel/ only through this header, so the drivers stay below the
 * kernel that uses them. Anything more (routing an IRQ to a driver's
 * handler) is the kernel's job: kmain registers console_interrupt for IRQ 4.
 * The CPU operations themselves are inline functions of the x86-64 layer.
 * Any context.
 */
#ifndef DRIVERS_ARCH_H
#define DRIVERS_ARCH_H

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/sched/schedule.h" /* sched_running(), thread_current() */
#include "kernel/sched/wait.h"     /* wait_event(), wake-ups */
#include "kernel/timer.h"          /* timer_tsc_hz(): deadlines of a device's answers */
#include "mm/arch.h" /* arch_irqs_disabled(), ASSERT_IRQS_OFF() */

#endif
