/*
 * power.h - halting, rebooting and powering off, on QEMU and real PCs.
 *
 * power_init() reads what ACPI says about soft-off and reset once at boot;
 * the commands `halt`, `reboot` and `poweroff` then use it. In QEMU the
 * isa-debug-exit device (port 0xf4) lets a test end the VM with a status
 * code of its choosing: QEMU exits with (value << 1) | 1.
 */
#ifndef KERNEL_POWER_H
#define KERNEL_POWER_H

#include <stdint.h>

#define QEMU_EXIT_PORT 0xf4
#define QEMU_EXIT_SUCCESS 0x10 /* QEMU's exit status becomes 33 */
#define QEMU_EXIT_FAILURE 0x11 /* QEMU's exit status becomes 35 */

/*
 * Read the ACPI tables reachable from the validated RSDP copy rsdp (length
 * bytes; NULL if the boot loader passed none). Boot CPU, once.
 */
void power_init(const void *rsdp, uint32_t length);

/* End QEMU with status (code << 1) | 1; returns if not in QEMU with isa-debug-exit. */
void power_qemu_exit(uint32_t code);

/* Stop the CPU for good, saying so. */
void power_halt(void) __attribute__((noreturn));

/* Reset the machine: ACPI reset register, then the 8042, then a triple fault. */
void power_reboot(void) __attribute__((noreturn));

/* ACPI soft-off (S5); if that fails, say why and halt. */
void power_off(void) __attribute__((noreturn));

#endif
