/*
 * kmain.c - the boot sequence, one line per subsystem.
 *
 * boot/boot.asm arrives here in 64-bit mode on the boot stack, interrupts
 * off, with the early page tables (identity + direct map + kernel image)
 * and these arguments:
 *   magic      the multiboot2 magic (already checked by boot.asm)
 *   mbi_phys   physical address of the multiboot2 boot information
 *   entry_tsc  the TSC at the kernel's first instruction
 * Each step below may use only what the steps above it set up. Once vmalloc
 * exists, boot moves from the static boot stack to a guarded one
 * (kernel/stack.h) and goes on in kmain_on_main_stack(), which starts the
 * scheduler, hands the shell to a thread of its own and becomes the idle
 * thread (kernel/sched/schedule.h).
 */
#include <stdint.h>

#include "drivers/console.h"
#include "drivers/console_lock.h"
#include "drivers/fbcon.h"
#include "drivers/framebuffer.h"
#include "drivers/keyboard.h"
#include "drivers/serial.h"
#include "drivers/vga.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/cpu_features.h"
#include "kernel/arch/x86_64/extable.h"
#include "kernel/arch/x86_64/fpu.h"
#include "kernel/arch/x86_64/gdt.h"
#include "kernel/arch/x86_64/idt.h"
#include "kernel/arch/x86_64/ioapic.h"
#include "kernel/arch/x86_64/lapic.h"
#include "kernel/arch/x86_64/page_fault.h"
#include "kernel/arch/x86_64/panic_stop.h"
#include "kernel/arch/x86_64/percpu.h"
#include "kernel/arch/x86_64/pic.h"
#include "kernel/arch/x86_64/smap.h"
#include "kernel/arch/x86_64/smpboot.h"
#include "kernel/arch/x86_64/user_mode.h"
#include "kernel/acpi.h"
#include "kernel/arch/x86_64/trap.h"
#include "kernel/bootinfo.h"
#include "kernel/fs/initrd.h"
#include "kernel/ipc/ipc.h"
#include "kernel/proc/process.h"
#include "kernel/power.h"
#include "kernel/sched/schedule.h"
#include "kernel/sched/thread.h"
#include "kernel/smp/smp.h"
#include "kernel/selftest.h"
#include "kernel/smp/call.h"
#include "kernel/shell/shell.h"
#include "kernel/stack.h"
#include "kernel/syscall/sys_time.h"
#include "kernel/timer.h"
#include "lib/panic.h"
#include "lib/printf.h"
#include "mm/buddy.h"
#include "mm/kernel_space.h"
#include "mm/lockdep.h"
#include "mm/kmalloc.h"
#include "mm/slab.h"
#include "mm/vmalloc.h"
#include "mm/layout.h"
#include "mm/pmm.h"

/* Drop the boot identity map (PML4 slot 0): the user half is empty from here on. */
static void boot_unmap_identity(void)
{
	uint64_t *pml4 = phys_to_virt(read_cr3() & ~0xfffull);
	pml4[0] = 0;
	write_cr3(read_cr3()); /* flush the TLB */
}

/*
 * What the physical memory manager needs from the boot information, in
 * mm/'s terms: the firmware's memory map (multiboot2's own, else the EFI
 * map) and the ranges GRUB filled (the information itself, the modules).
 */
static const struct pmm_boot *boot_memory(const struct boot_info *bi)
{
	static struct memmap_entry map[BOOTINFO_EFI_MMAP_MAX];
	static struct pmm_boot boot;
	size_t n = 0;

	boot.map_source = "none";
	if (bi->mmap_present && bi->mmap_count > 0) {
		boot.map_source = "multiboot2 memory map (tag 6)";
		for (size_t i = 0; i < bi->mmap_count; i++)
			map[n++] = (struct memmap_entry){bi->mmap[i].base, bi->mmap[i].length,
							 bi->mmap[i].type};
	} else if (bi->efi_mmap_present) {
		boot.map_source = "EFI memory map (tag 17)";
		for (size_t i = 0; i < bi->efi_mmap_count; i++) {
			const struct boot_efi_mmap_entry *e = &bi->efi_mmap[i];
			uint64_t length = e->pages << PAGE_SHIFT;
			if (e->pages > (UINT64_MAX >> PAGE_SHIFT))
				length = UINT64_MAX; /* the sanitizer reports it as wrapping */
			map[n++] = (struct memmap_entry){e->phys_start, length,
							 memmap_type_from_efi(e->type)};
		}
	}
	boot.map = map;
	boot.map_count = n;
	boot.reserved[0] = (struct pmm_reserved){bi->mbi_phys, bi->mbi_phys + bi->mbi_size,
						 "boot information"};
	boot.reserved_count = 1;
	for (size_t i = 0; i < bi->module_count && boot.reserved_count < PMM_BOOT_RESERVED_MAX; i++)
		boot.reserved[boot.reserved_count++] =
			(struct pmm_reserved){bi->modules[i].start, bi->modules[i].end, "module"};
	return &boot;
}
_Static_assert(1 + BOOTINFO_MODULES_MAX <= PMM_BOOT_RESERVED_MAX,
	       "boot_memory: room for the boot information and every module");

/*
 * The screen GRUB left us: the EGA text screen (a BIOS machine left in
 * text mode), or a direct-colour framebuffer, whose mode is recorded for
 * fb_map() and, unless `console=serial`, gets the text console, which
 * keeps output in its shadow grid until the screen is mapped.
 */
static void screen_setup(const struct boot_framebuffer *fb)
{
	if (!fb->present)
		return;
	if (fb->type == BOOTINFO_FB_EGA_TEXT) {
		vga_init(fb->addr, fb->width, fb->height, fb->pitch);
		return;
	}
	if (fb->type != BOOTINFO_FB_RGB || !fb->rgb_valid)
		return; /* indexed colour, or fields bootinfo warned about */
	struct fb_mode mode = {
		.phys = fb->addr, .width = fb->width, .height = fb->height, .pitch = fb->pitch,
		.bpp = fb->bpp, .red_shift = fb->red.position, .red_bits = fb->red.size,
		.green_shift = fb->green.position, .green_bits = fb->green.size,
		.blue_shift = fb->blue.position, .blue_bits = fb->blue.size,
	};
	int err = fb_setup(&mode);
	if (err) {
		kprintf("framebuffer: %ux%u, %u bpp, pitch %u: not drawable (%s)\n", fb->width,
			fb->height, fb->bpp, fb->pitch, errno_name(err));
		return;
	}
	if (!bootinfo_cmdline_has(&boot_info, "console=serial"))
		fbcon_init();
}

/* After kernel_space_init: the framebuffer write-combining, then the console on it. */
static void screen_start(void)
{
	int err = fb_map();

	if (err && err != -ENODEV) {
		kprintf("framebuffer: cannot map it (%s): no screen console\n", errno_name(err));
		return;
	}
	if (err || bootinfo_cmdline_has(&boot_info, "console=serial"))
		return;
	err = fbcon_start();
	if (err == -ENOMEM)
		kprintf("framebuffer: no memory for the text console\n");
	else if (err)
		kprintf("framebuffer: mapped, but too small for the text console\n");
}

/* The FADT's word on an 8042, as the keyboard driver takes it (a hint: the probe decides). */
static enum keyboard_acpi_hint keyboard_hint(void)
{
	switch (acpi_boot_arch(boot_info.acpi.rsdp, boot_info.acpi.length).i8042) {
	case ACPI_8042_PRESENT: return KEYBOARD_ACPI_8042;
	case ACPI_8042_ABSENT: return KEYBOARD_ACPI_NO_8042;
	default: return KEYBOARD_ACPI_NO_HINT;
	}
}

/* A panic during the selftest boot ends the run as a failure (panic_stop_set_leave). */
static void selftest_panic_leave(void)
{
	power_qemu_exit(QEMU_EXIT_FAILURE);
}

/* With `selftest` on the command line: run every suite, report, leave QEMU. */
static void __attribute__((noreturn)) selftest_boot(void)
{
	unsigned passed = 0, failed = 0;

	panic_stop_set_leave(selftest_panic_leave);
	kprintf("selftest mode: running every in-kernel test suite\n");
	MUST_SUCCEED(selftest_run(NULL, &passed, &failed), "selftest_boot: every suite (none missing)");
	power_qemu_exit(failed == 0 && passed > 0 ? QEMU_EXIT_SUCCESS : QEMU_EXIT_FAILURE);
	power_halt(); /* not in QEMU: stay here with the results on screen */
}

static uint64_t pmm_ready_tsc;
static uint64_t boot_entry_tsc;
static void kmain_on_main_stack(void);

static void boot_banner(void)
{
	kprintf("\nPagoda - a teaching kernel for x86-64\n");
	kprintf("booted by %s; command line: \"%s\"\n",
		boot_info.bootloader[0] ? boot_info.bootloader : "(unknown loader)", boot_info.cmdline);
	kprintf("CPU: %s, %lu MHz TSC\n",
		cpu_features.brand[0] ? cpu_features.brand : cpu_features.vendor,
		timer_tsc_hz() / 1000000);
	if (acpi_cpus.enabled > 1 || smp_cpus_online() > 1)
		kprintf("CPUs: %u online, %u found (ACPI MADT)%s\n", smp_cpus_online(),
			acpi_cpus.enabled,
			smp_cpus_online() < acpi_cpus.enabled ? ": the others stay offline (smp line above)"
							      : "");
	kprintf("memory: %lu MiB managed, %lu MiB free; page allocator ready %lu us after entry\n",
		buddy_managed_pages() >> 8, buddy_free_pages() >> 8,
		timer_tsc_to_us(pmm_ready_tsc - timer_entry_tsc()));
	kprintf("ready in %lu us. Type 'help' for commands.\n", timer_boot_us());
}

void kmain(uint32_t magic, uint32_t mbi_phys, uint64_t entry_tsc)
{
	static char err[160];

	percpu_init_boot();                  /* GS -> CPU 0's data: arch_cpu_id() works */
	(void)magic;
	boot_entry_tsc = entry_tsc;
	serial_init();                       /* COM1 up: kprintf works from here */
	kprintf_set_output(console_write);
	kprintf_set_serializer(console_lock, console_unlock); /* one CPU's kprintf at a time */
	gdt_init();                          /* our GDT; TSS with IST stacks for #DF/NMI/#MC */
	kernel_stacks_register_static();     /* boot and IST stacks known to backtraces */
	cpu_features_init();                 /* CPUID: what this CPU can do */
	smap_patch_init();                   /* no SMAP: clac/stac become NOPs before they run */
	idt_init();                          /* all 256 vectors -> trap_dispatch() */
	extable_init();                      /* the user copy's faulting instructions, sorted */
	fpu_init_cpu();                      /* CR0.MP, CR4.OSFXSR/OSXMMEXCPT, XSAVE and XCR0 */
	user_mode_init_cpu();                /* syscall: EFER.SCE, STAR, LSTAR, FMASK */
	boot_unmap_identity();               /* NULL and low addresses fault from now on */
	if (bootinfo_parse(phys_to_virt(mbi_phys), mbi_phys, BOOTINFO_MAX_SIZE, &boot_info,
			   err, sizeof(err)) != 0)
		panic("kmain: malformed multiboot2 information: %s", err);
	screen_setup(&boot_info.framebuffer); /* VGA text, or the framebuffer's console */
	power_init(boot_info.acpi.rsdp, boot_info.acpi.length); /* ACPI: power off, reset */
	acpi_cpus_init(boot_info.acpi.rsdp, boot_info.acpi.length, /* MADT: CPUs, APICs */
		       cpu_features.initial_apic_id);
	if (SCHED_DEBUG_BUILD || bootinfo_cmdline_has(&boot_info, "lockdep") ||
	    bootinfo_cmdline_has(&boot_info, "sched_debug"))
		lockdep_set_enabled(true);   /* debug: report lock-order inversions (mm/lockdep.h) */
	pmm_init(boot_memory(&boot_info));   /* memory map, direct map, buddy allocator */
	pmm_ready_tsc = rdtsc();
	kernel_space_init();                 /* own page tables: W^X, global, SMEP/SMAP */
	screen_start();                      /* framebuffer WC, out of the direct map; console on it */
	slab_init();                         /* slab caches; shrinker for low memory */
	if (bootinfo_cmdline_has(&boot_info, "slab_debug"))
		MUST_SUCCEED(slab_set_debug(true), /* red zones, poisoning, caller tracking */
			     "kmain: slab_set_debug before any cache holds a slab");
	kmalloc_init();                      /* kmalloc size classes 8 B .. 8 KiB */
	MUST_SUCCEED(gdt_io_prepare(this_percpu()), /* a TSS with room for an I/O bitmap */
		     "kmain: gdt_io_prepare needs 16 KiB at boot");
	gdt_io_enter();                      /* ioperm: the TSS moves there, every port denied */
	(void)initrd_load(&boot_info);       /* the initrd module's files (none: no programs, not fatal) */
	MUST_SUCCEED(vmalloc_init(&kernel_space, VMALLOC_START, VMALLOC_SIZE), /* guarded areas */
		     "kmain: vmalloc_init of the fixed, valid vmalloc window");
	if (bootinfo_cmdline_has(&boot_info, "pagepoison"))
		buddy_set_poisoning(true);   /* debug: catch writes to freed pages */
	kernel_space_regions_init();         /* what each kernel range is, for the fault handler */
	page_fault_init();                   /* #PF: demand paging, COW, reports; #GP decoding */
	kernel_stacks_init();                /* guarded stacks: main and the #DF handler */
	kernel_stack_run(kernel_stack_main(), kmain_on_main_stack); /* boot goes on there */
}

/* The first thread: the selftest boot, or the banner and the shell. */
static void kmain_first_thread(void *arg __unused)
{
	if (bootinfo_cmdline_has(&boot_info, "selftest"))
		selftest_boot();
	timer_mark_ready();
	boot_banner();
	int err = process_start_init();      /* pid 1, user/init.c: adopts and reaps orphans */
	if (err)
		kprintf("init: not started (%s): the kernel reaps orphans\n", errno_name(err));
	err = ipc_spawn_nameserver();        /* user/nameserver.c (RECEIVE); back once it waits */
	if (err)
		kprintf("nameserver: not started (%s): ns_lookup fails\n", errno_name(err));
	shell_run();                         /* the prompt; never returns */
}

/* The second half of boot, on the guarded main stack; it ends as the idle thread. */
static void kmain_on_main_stack(void)
{
	pic_init();                          /* 8259s: IRQs 0-15 -> vectors 32-47, all masked */
	if (ioapic_init(bootinfo_cmdline_has(&boot_info, "noapic")) == 0) /* ISA IRQs -> CPU 0 */
		lapic_init_this_cpu();       /* CPU 0's local APIC: EOI, IPIs, its timer */
	timer_init(boot_entry_tsc);          /* TSC calibration; tick: LAPIC timer (else PIT) */
	fbcon_set_lag(timer_tsc_hz() / 50);  /* screen: bursts drawn by the tick, within 20 ms */
	clock_time_init();                   /* CMOS date: the anchor of CLOCK_REALTIME */
	trap_register_irq(IRQ_COM1, console_interrupt); /* keys arrive on IRQ 4 and wake ... */
	serial_enable_receive_irq();         /* ... the reader once the UART raises it */
	if (keyboard_init(keyboard_hint())) { /* i8042 probe (bounded), FADT as a hint */
		trap_register_irq(IRQ_KEYBOARD, console_keyboard_interrupt); /* keys on IRQ 1 ... */
		keyboard_enable_irq();       /* ... once the controller raises it */
	}
	kprintf("keyboard: %s\n", keyboard_describe());
	sched_init();                        /* run queues; this flow becomes the idle thread */
	smp_call_init();                     /* cross-CPU calls, the NMI's stop and RIP sample */
	if (SCHED_DEBUG_BUILD || bootinfo_cmdline_has(&boot_info, "sched_debug"))
		sched_set_debug(true);       /* deadlock reports, soft-lockup watchdog */
	smp_boot_cpus();                     /* every other CPU: trampoline, INIT-SIPI-SIPI */
	interrupts_enable();                 /* the tick now preempts threads */

	if (ipc_init() != 0)                 /* the name server's endpoint (kernel/ipc/ipc.h) */
		panic("kmain: no memory for the name server's endpoint");
	selftest_kernel_init();              /* tests under recovery points; results to 0xe9 */
	if (!thread_create(kmain_first_thread, NULL, "shell",
			   THREAD_PRIO(THREAD_PRIO_SHELL) | THREAD_CRITICAL))
		panic("kmain: no memory for the shell's thread");
	sched_idle_loop();                   /* halt until a thread is ready; never returns */
}
