# Pagoda - build, boot and test.
#
#   make            build/kernel.elf (with symbols) and compile_commands.json
#   make iso        build/pagoda.iso, bootable by BIOS and UEFI (hybrid)
#   make run        boot the ISO in QEMU, serial console on this terminal, and
#                   the screen in QEMU's window when there is a display
#                   (MEM=256M SMP=1 ACCEL=tcg|kvm FIRMWARE=bios|uefi RES=1024x768
#                   ENTRY=pagepoison; ICOUNT=1: the deterministic mode, the
#                   guest's TSC counts instructions)
#   make SCHED_DEBUG=1  (after make clean) a kernel with the scheduler's debug mode on
#   make gdb        boot halted with a gdbstub and attach gdb (USER_PROG=hello:
#                   with a user program's symbols too)
#   make test       host unit tests, the selftest boot, QEMU integration tests,
#                   the usertests on the pinned Linux beside Pagoda's (one table)
#   make test-full  make test, then every CPU online at 1/2/4/8 CPUs x BIOS/UEFI x pc/q35
#   make bench      host benchmarks of the memory manager (cycle counts; the heap
#                   beside glibc, mimalloc and jemalloc, which it installs), then
#                   the kernel's own (make bench-kernel)
#   make bench-kernel  every `bench NAME` in QEMU in the deterministic mode
#                   (instruction counts; docs/benchmarks.md)
#   make bench-user the user-mode benchmark (bench_user: system call, faults,
#                   mmap, mprotect, brk) in that mode
#   make usertests-linux  the user test program on this Linux host (the same
#                   binary that runs on Pagoda; user/README.md)
#   make lab LAB=n  a student skeleton of lab n in build/labs/labn (docs/labs/)
#   make grade [LAB=n]  grade the labs (all, or lab n): points and Score: X/Y
#   make clean
#
# run, gdb, test, iso, bench, lab and grade first run scripts/deps.sh, which
# installs what is missing (Debian/Ubuntu) and does nothing when all is
# present. Any other goal, plain `make` included, never installs (no apt-get,
# no sudo): it runs `scripts/deps.sh --check`, which says what is missing.

# The host-program rules, made by $(eval) below, come before `all:`.
.DEFAULT_GOAL := all
BUILD := build
CC := gcc
LD := ld
NASM := nasm
OBJCOPY := objcopy
PYTHON := python3

# Quiet by default: one line per step. `make V=1` shows the full commands.
ifeq ($(V),1)
Q :=
say := @true
else
Q := @
say := @echo
endif

# SCHED_DEBUG=1: build the kernel with the scheduler's debug mode on (docs/threads.md;
# `make clean` first: objects do not depend on the variable).
SCHED_DEBUG ?= 0
MEM ?= 256M
SMP ?= 1
ACCEL ?= tcg
FIRMWARE ?= bios
OVMF := /usr/share/ovmf/OVMF.fd

# ---------------------------------------------------------------------------
# Kernel sources: an explicit list, in boot order within each directory.

KERNEL_ASM := \
	boot/boot.asm \
	kernel/arch/x86_64/isr.asm \
	kernel/arch/x86_64/context.asm \
	kernel/arch/x86_64/trampoline.asm \
	kernel/sched/switch.asm

KERNEL_C := \
	kernel/kmain.c \
	kernel/arch/x86_64/percpu.c \
	kernel/arch/x86_64/gdt.c \
	kernel/arch/x86_64/smpboot.c \
	kernel/arch/x86_64/idt.c \
	kernel/arch/x86_64/trap.c \
	kernel/arch/x86_64/backtrace.c \
	kernel/arch/x86_64/panic_stop.c \
	kernel/arch/x86_64/pic.c \
	kernel/arch/x86_64/lapic.c \
	kernel/arch/x86_64/mmio.c \
	kernel/arch/x86_64/ioapic.c \
	kernel/arch/x86_64/pit.c \
	kernel/arch/x86_64/cpu_features.c \
	kernel/arch/x86_64/mm_arch.c \
	kernel/arch/x86_64/insn.c \
	kernel/arch/x86_64/page_fault.c \
	kernel/bootinfo.c \
	kernel/acpi.c \
	kernel/power.c \
	kernel/timer.c \
	kernel/ksyms.c \
	kernel/selftest.c \
	kernel/recovery.c \
	kernel/stack_registry.c \
	kernel/stack.c \
	kernel/sched/sched.c \
	kernel/sched/schedule.c \
	kernel/sched/thread.c \
	kernel/sched/wait.c \
	kernel/sched/timeout.c \
	kernel/sched/mutex.c \
	kernel/sched/semaphore.c \
	kernel/smp/smp.c \
	kernel/smp/call.c \
	kernel/smp/call_queue.c \
	kernel/smp/cpu_stop.c \
	kernel/smp/tlb_shootdown.c \
	kernel/smp/lockup.c \
	kernel/shell/line_editor.c \
	kernel/shell/shell.c \
	mm/memmap.c \
	mm/memblock.c \
	mm/direct_map.c \
	mm/page.c \
	mm/buddy.c \
	mm/lockdep.c \
	mm/failinject.c \
	mm/pmm.c \
	mm/paging.c \
	mm/kernel_space.c \
	mm/slab.c \
	mm/kmalloc.c \
	mm/vmalloc.c \
	mm/region.c \
	mm/fault.c \
	mm/anon.c \
	mm/phys_owner.c \
	kernel/commands/memmap_commands.c \
	kernel/commands/meminfo_commands.c \
	kernel/commands/pmm_commands.c \
	kernel/commands/alloc_commands.c \
	kernel/commands/paging_commands.c \
	kernel/commands/heap_commands.c \
	kernel/commands/fault_commands.c \
	kernel/commands/crash_commands.c \
	kernel/commands/smp_commands.c \
	kernel/commands/selftest_commands.c \
	kernel/commands/bench_commands.c \
	kernel/commands/bootinfo_commands.c \
	kernel/commands/cpu_commands.c \
	kernel/commands/power_commands.c \
	kernel/commands/timer_commands.c \
	kernel/commands/thread_commands.c \
	kernel/commands/stress_commands.c \
	kernel/commands/lockdep_commands.c \
	kernel/bench/pmm_bench.c \
	kernel/bench/paging_bench.c \
	kernel/bench/heap_bench.c \
	kernel/bench/fault_bench.c \
	kernel/bench/smp_bench.c \
	kernel/bench/sched_bench.c \
	kernel/bench/scaling_bench.c \
	drivers/serial.c \
	drivers/vga.c \
	drivers/console.c \
	drivers/console_lock.c \
	lib/string.c \
	lib/printf.c \
	lib/parse.c \
	lib/panic.c \
	lib/errno.c \
	lib/sort.c \
	lib/lab.c

# Test suites that run both in the kernel (selftest) and on the host.
UNIT_TESTS := \
	tests/unit/test_lib.c \
	tests/unit/test_bootinfo.c \
	tests/unit/test_acpi.c \
	tests/unit/test_line_editor.c \
	tests/unit/test_shell.c \
	tests/unit/test_memmap.c \
	tests/unit/test_memblock.c \
	tests/unit/test_pmm.c

# Test suites that need the running kernel (real memory, the boot information).
KERNEL_TESTS := \
	tests/kernel/test_pmm_boot.c \
	tests/kernel/test_kernel_space.c \
	tests/kernel/test_heap.c \
	tests/kernel/test_fault.c \
	tests/kernel/test_stack.c \
	tests/kernel/test_threads.c \
	tests/kernel/test_apic.c \
	tests/kernel/test_lockdep.c \
	tests/kernel/test_smp.c

# User mode (docs/processes.md): one list per layer, joined to the lists above.
# Ring 3, the system-call entry, FPU state, SMAP, the user-copy primitive.
USER_ARCH_ASM := \
	kernel/arch/x86_64/syscall_entry.asm \
	kernel/arch/x86_64/user_copy.asm
USER_ARCH_C := \
	kernel/arch/x86_64/user_mode.c \
	kernel/arch/x86_64/signal_frame.c \
	kernel/arch/x86_64/fpu.c \
	kernel/arch/x86_64/smap.c \
	kernel/arch/x86_64/extable.c
KERNEL_TESTS += tests/kernel/test_user_mode.c
# The assembly of the ring-3 paths reads constants of C headers, each
# defined once there: nasm -DNAME=value from the header's "#define NAME
# value" line (value up to a comment). The sed pattern's "." stands for "#".
user_arch_define = $(or $(subst ull,,$(shell sed -n 's|^.define $(2) \([^/]*[^/ ]\).*|\1|p' $(1))),\
	$(error $(1) defines no $(2)))
USER_ARCH_DEFINES := \
	$(foreach n,PERCPU_OFFSET_SYSCALL_STACK PERCPU_OFFSET_USER_RSP,\
		'-D$(n)=$(call user_arch_define,kernel/arch/x86_64/percpu.h,$(n))') \
	$(foreach n,GDT_USER_CODE GDT_USER_DATA,\
		'-D$(n)=$(call user_arch_define,kernel/arch/x86_64/gdt.h,$(n))') \
	'-DSYSCALL_VECTOR=$(call user_arch_define,kernel/arch/x86_64/trap.h,SYSCALL_VECTOR)' \
	'-DUSER_HALF_END=$(call user_arch_define,mm/layout.h,USER_HALF_END)'
USER_ARCH_HEADERS := kernel/arch/x86_64/percpu.h kernel/arch/x86_64/gdt.h \
	kernel/arch/x86_64/trap.h mm/layout.h
# (-MD again last: the recipe names the dependency file right after NASMFLAGS.)
$(BUILD)/kernel/arch/x86_64/syscall_entry.o $(BUILD)/kernel/arch/x86_64/isr.o: \
	NASMFLAGS += $(USER_ARCH_DEFINES) -MD
$(BUILD)/kernel/arch/x86_64/syscall_entry.o $(BUILD)/kernel/arch/x86_64/isr.o: \
	$(USER_ARCH_HEADERS)

# User address spaces and user copies (mm/).
USER_MM_C := mm/user_space.c mm/uaccess.c mm/share.c

# The initrd, ELF loading, exec (kernel/fs/, kernel/proc/).
USER_EXEC_C := kernel/fs/cpio.c kernel/fs/initrd.c kernel/proc/elf.c kernel/proc/user_stack.c \
	kernel/proc/exec.c
KERNEL_TESTS += tests/kernel/test_initrd.c

# Processes, file descriptors, the terminal, their shell commands.
USER_PROC_C := \
	kernel/proc/process.c \
	kernel/proc/fd.c \
	kernel/fs/pipe_ring.c \
	kernel/fs/pipe.c \
	kernel/proc/signal.c \
	kernel/proc/ioperm.c \
	kernel/proc/io_bitmap.c \
	drivers/tty.c \
	kernel/commands/proc_commands.c
KERNEL_TESTS += tests/kernel/test_process.c tests/kernel/test_fd.c tests/kernel/test_signal.c

# System calls (kernel/syscall/), the CMOS clock behind CLOCK_REALTIME.
USER_SYSCALL_C := \
	kernel/syscall/syscall.c \
	kernel/syscall/syscall_names.c \
	kernel/syscall/iovec.c \
	kernel/syscall/path.c \
	kernel/syscall/sigmask.c \
	kernel/syscall/sys_fs.c \
	kernel/syscall/sys_fd.c \
	kernel/syscall/sys_mm.c \
	kernel/syscall/sys_process.c \
	kernel/syscall/sys_signal.c \
	kernel/syscall/sys_time.c \
	kernel/syscall/sys_random.c \
	kernel/syscall/sys_exec.c \
	kernel/syscall/sys_ipc.c \
	kernel/syscall/sys_share.c \
	kernel/syscall/sys_pager.c \
	kernel/syscall/sys_irq.c \
	kernel/syscall/trace.c \
	drivers/rtc.c \
	drivers/rtc_time.c
KERNEL_TESTS += tests/kernel/test_syscall.c

KERNEL_ASM += $(USER_ARCH_ASM)
KERNEL_C += $(USER_ARCH_C) $(USER_MM_C) $(USER_EXEC_C) $(USER_PROC_C) $(USER_SYSCALL_C)

# The screen (docs/console.md): the framebuffer GRUB set up, the kernel's
# font, the text console drawn with it.
SCREEN_C := \
	drivers/framebuffer.c \
	drivers/fb_map.c \
	drivers/fbcon.c \
	drivers/fbcon_text.c \
	drivers/font_8x16.c \
	kernel/bench/fbcon_bench.c

# The keyboard: the i8042 controller and its scan codes as console input.
KEYBOARD_C := \
	drivers/keyboard.c \
	drivers/keymap.c \
	drivers/i8042.c

# memview: a picture of physical memory, on the screen and the serial line.
MEMVIEW_C := \
	mm/frame_kind.c \
	kernel/memview/memview_map.c \
	kernel/memview/memview.c \
	kernel/commands/memview_commands.c
KERNEL_TESTS += tests/kernel/test_memview.c

KERNEL_C += $(SCREEN_C) $(KEYBOARD_C) $(MEMVIEW_C)

# IPC (issue 18; kernel/ipc/, docs/ipc.md): kernel objects with reference
# counts, the per-process handle table, the fast path, pagers, interrupts
# as notifications.
IPC_C := \
	kernel/ipc/object.c \
	kernel/ipc/handle.c \
	kernel/ipc/message.c \
	kernel/ipc/endpoint.c \
	kernel/ipc/notification.c \
	kernel/ipc/ipc.c \
	kernel/ipc/fastpath.c \
	kernel/ipc/pager.c \
	kernel/ipc/irq_notify.c \
	kernel/commands/ipc_commands.c
KERNEL_C += $(IPC_C)

KERNEL_OBJS := $(KERNEL_ASM:%.asm=$(BUILD)/%.o) $(KERNEL_C:%.c=$(BUILD)/%.o) \
	$(UNIT_TESTS:%.c=$(BUILD)/%.o) $(KERNEL_TESTS:%.c=$(BUILD)/%.o)

KERNEL_CFLAGS := \
	-std=gnu11 -O2 -g \
	-Wall -Wextra -Werror \
	-ffreestanding \
	-fno-builtin \
	-fno-stack-protector \
	-fno-pic -fno-pie \
	-mcmodel=kernel \
	-mno-red-zone \
	-mno-mmx -mno-sse -mno-sse2 -mno-80387 \
	-fno-omit-frame-pointer -mno-omit-leaf-frame-pointer \
	-fno-asynchronous-unwind-tables \
	-DSCHED_DEBUG_BUILD=$(SCHED_DEBUG) \
	-I. -MMD -MP
# -ffreestanding/-fno-builtin: no hosted libc; our lib/ provides what we use.
# -fno-pic -mcmodel=kernel: code linked at -2 GiB, addressed with 32-bit
#   sign-extended immediates (the top 2 GiB of the address space).
# -mno-red-zone: interrupts push onto the current stack, which would clobber
#   the 128 bytes below RSP that the SysV ABI lets leaf functions use.
# -mno-mmx/-mno-sse*/-mno-80387: no FPU/SSE state in the kernel, so interrupt
#   entry need not save it.
# -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer: every function, leaf
#   ones included, keeps an RBP chain, which backtraces follow (backtrace.c).
# -fno-asynchronous-unwind-tables: no .eh_frame; nothing unwinds C++-style.

# lib/string.c implements memcpy/memset: stop GCC from turning its loops
# back into calls to memcpy/memset (infinite recursion).
STRING_CFLAGS := -fno-tree-loop-distribute-patterns

# The address-space layout is defined once, in mm/layout.h. boot.asm and
# kernel.ld get the values they need from there: nasm -DNAME=value and
# ld --defsym=NAME=value. (The sed pattern's "." stands for the "#" of
# "#define", which make would otherwise take for a comment.)
layout_value = $(or $(shell sed -n 's/^.define $(1) \(0x[0-9a-fA-F]*\)ull.*/\1/p' mm/layout.h),\
	$(error mm/layout.h defines no hexadecimal $(1)))
ASM_LAYOUT := KERNEL_VMA DIRECT_MAP_BASE
LD_LAYOUT := KERNEL_VMA KERNEL_PHYS_BASE

# -MD last: the recipe puts the dependency file's name right after it.
NASMFLAGS := -f elf64 -g -F dwarf -w+all -w+error \
	$(foreach n,$(ASM_LAYOUT),-D$(n)=$(call layout_value,$(n))) -MD
LDFLAGS := -nostdlib -static -z max-page-size=0x1000 -z noexecstack -T boot/kernel.ld \
	$(foreach n,$(LD_LAYOUT),--defsym=$(n)=$(call layout_value,$(n)))
# max-page-size=0x1000: segments 4 KiB aligned in the file, which keeps the
#   multiboot2 header within the first 32 KiB where GRUB looks for it.
# -z noexecstack: boot.asm and the other NASM objects carry no .note.GNU-stack,
#   so ld would otherwise assume (and warn about) an executable stack.

# ---------------------------------------------------------------------------
# Host programs: the same sources, built for Linux. Each program's own
# sources are declared once below; one pattern rule builds them all.

HOST_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -I. -DPAGODA_HOST \
	-fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-builtin -fno-omit-frame-pointer $(STRING_CFLAGS)
# -DPAGODA_HOST: host variants in mm/layout.h (phys_to_virt() points into the
#   simulated RAM arena) and mm/arch.h (no interrupts to mask).
# -fsanitize=address,undefined -fno-sanitize-recover=all: any memory error or
#   undefined behaviour ends the program with an error status, so the test fails.
# -fno-builtin: the kernel's own memcpy/strlen/... run, not the compiler's.
HOST_LIB := lib/string.c lib/printf.c lib/parse.c lib/panic.c lib/errno.c lib/sort.c lib/lab.c
# Test programs: suites registered with SELFTEST_SUITE, run by tests/host/main.c.
HOST_COMMON := $(HOST_LIB) kernel/selftest.c tests/host/main.c tests/host/host_stubs.c
# Fuzzers have their own main().
FUZZ_COMMON := $(HOST_LIB) tests/host/host_stubs.c

# The memory manager over a simulated RAM arena (tests/host/arena.c).
HOST_MM := mm/memmap.c mm/memblock.c mm/page.c mm/buddy.c mm/lockdep.c mm/failinject.c \
	tests/host/mm_arch_host.c \
	tests/host/arena.c

test_lib_SRCS := tests/unit/test_lib.c
test_bootinfo_SRCS := tests/unit/test_bootinfo.c kernel/bootinfo.c
test_shell_SRCS := tests/unit/test_line_editor.c tests/unit/test_shell.c \
	kernel/shell/line_editor.c kernel/shell/shell.c tests/host/console_stubs.c
test_memmap_SRCS := tests/unit/test_memmap.c tests/unit/test_memblock.c mm/memmap.c mm/memblock.c
test_buddy_SRCS := tests/host/test_buddy.c $(HOST_MM)
test_pmm_SRCS := tests/unit/test_pmm.c tests/host/pmm_setup.c $(HOST_MM)
test_paging_SRCS := tests/host/test_paging.c mm/paging.c $(HOST_MM)
test_slab_SRCS := tests/host/test_slab.c mm/slab.c mm/kmalloc.c $(HOST_MM)
# Who owns a physical range, and its aliases (mm/phys_owner.h).
test_phys_owner_SRCS := tests/host/test_phys_owner.c mm/phys_owner.c mm/paging.c $(HOST_MM)
test_vmalloc_SRCS := tests/host/test_vmalloc.c mm/vmalloc.c mm/paging.c $(HOST_MM)
# The region set of an address space (needs kmalloc for its array).
test_region_SRCS := tests/host/test_region.c mm/region.c mm/slab.c mm/kmalloc.c $(HOST_MM)
# Page-fault decisions, anonymous regions, COW over simulated faults.
test_fault_SRCS := tests/host/test_fault.c mm/fault.c mm/anon.c mm/region.c mm/vmalloc.c \
	mm/paging.c mm/slab.c mm/kmalloc.c $(HOST_MM)
# The #GP handler's instruction decoder (kernel/arch code, pure computation).
test_insn_SRCS := tests/host/test_insn.c kernel/arch/x86_64/insn.c
# The exception table's look-up (lab 6), over tables the tests build.
test_extable_SRCS := tests/host/test_extable.c kernel/arch/x86_64/extable.c
# Which stack an address is on: depends on nothing outside lib/.
test_stack_registry_SRCS := tests/host/test_stack_registry.c kernel/stack_registry.c
# The MADT processor count (kernel/acpi.c reads tables through the direct map: the arena).
test_acpi_SRCS := tests/unit/test_acpi.c kernel/acpi.c $(HOST_MM)
# The scheduling policy over simulated CPUs and a simulated clock.
# The lock-order validator over the test's own spinlocks.
test_lockdep_SRCS := tests/host/test_lockdep.c mm/lockdep.c tests/host/mm_arch_host.c
test_sched_SRCS := tests/host/test_sched.c kernel/sched/sched.c kernel/sched/timeout.c mm/lockdep.c tests/host/mm_arch_host.c
# Cross-CPU call queues, POSIX threads standing for CPUs.
test_call_SRCS := tests/host/test_call.c kernel/smp/call_queue.c
fuzz_bootinfo_SRCS := tests/host/fuzz_bootinfo.c kernel/bootinfo.c
fuzz_memmap_SRCS := tests/host/fuzz_memmap.c mm/memmap.c

HOST_TEST_PROGRAMS := test_lib test_bootinfo test_shell test_memmap test_buddy test_pmm \
	test_paging test_slab test_vmalloc test_region test_fault test_insn test_stack_registry \
	test_phys_owner test_acpi test_sched test_lockdep test_call test_extable
HOST_FUZZERS := fuzz_bootinfo fuzz_memmap
# Host programs of user mode, one block per layer.
# User address spaces and user copies (mm/).
USER_MM_HOST := mm/user_space.c mm/uaccess.c mm/share.c tests/host/uaccess_host.c mm/fault.c \
	mm/anon.c mm/region.c mm/vmalloc.c mm/paging.c mm/slab.c mm/kmalloc.c $(HOST_MM)
test_user_space_SRCS := tests/host/test_user_space.c $(USER_MM_HOST)
test_uaccess_SRCS := tests/host/test_uaccess.c $(USER_MM_HOST)
test_user_space_fork_SRCS := tests/host/test_user_space_fork.c $(USER_MM_HOST)
HOST_TEST_PROGRAMS += test_user_space test_uaccess test_user_space_fork
# Memory passed by IPC (mm/share.c): map, grant, revoke and the mapping database.
test_share_SRCS := tests/host/test_share.c $(USER_MM_HOST)
HOST_TEST_PROGRAMS += test_share

# The initrd, ELF loading, exec.
test_elf_SRCS := tests/host/test_elf.c kernel/proc/elf.c
test_cpio_SRCS := tests/host/test_cpio.c kernel/fs/cpio.c
test_user_stack_SRCS := tests/host/test_user_stack.c kernel/proc/user_stack.c
HOST_TEST_PROGRAMS += test_elf test_cpio test_user_stack
# exec into a simulated user space; the initrd in the simulated RAM.
test_exec_SRCS := tests/host/test_exec.c kernel/proc/exec.c kernel/proc/elf.c \
	kernel/proc/user_stack.c kernel/fs/initrd.c kernel/fs/cpio.c $(USER_MM_HOST)
HOST_TEST_PROGRAMS += test_exec
# ELF files mutated 300,000 times (about a second under ASan).
fuzz_elf_SRCS := tests/host/fuzz_elf.c kernel/proc/elf.c
HOST_FUZZERS += fuzz_elf

# Processes and system calls.
# The system calls' pure checks: the name table, iovecs, paths, signal masks, CMOS dates.
test_syscall_SRCS := tests/host/test_syscall.c kernel/syscall/syscall_names.c \
	kernel/syscall/iovec.c kernel/syscall/path.c kernel/syscall/sigmask.c drivers/rtc_time.c
HOST_TEST_PROGRAMS += test_syscall
# The signal frame (layout, rt_sigreturn's checks) and the signal rules.
test_signal_frame_SRCS := tests/host/test_signal_frame.c kernel/arch/x86_64/signal_frame.c \
	kernel/syscall/sigmask.c
HOST_TEST_PROGRAMS += test_signal_frame
# The decoder of `run -t` over a fake user memory (signal names stubbed).
test_trace_SRCS := tests/host/test_trace.c kernel/syscall/trace.c kernel/syscall/syscall_names.c
HOST_TEST_PROGRAMS += test_trace
# The file and memory calls over a real user space in the arena; the process,
# its descriptors and the initrd are stand-ins (tests/host/syscall_host.h).
test_sys_calls_SRCS := tests/host/test_sys_fs.c tests/host/test_sys_mm.c \
	tests/host/syscall_host.c kernel/syscall/sys_fs.c kernel/syscall/sys_mm.c \
	kernel/syscall/iovec.c kernel/syscall/path.c $(USER_MM_HOST)
HOST_TEST_PROGRAMS += test_sys_calls
# A pipe's byte ring with malloc'ed pages and a fake user memory.
test_pipe_ring_SRCS := tests/host/test_pipe_ring.c kernel/fs/pipe_ring.c
HOST_TEST_PROGRAMS += test_pipe_ring
# ioperm's range rules, the kernel's own ports and bitmap updates, against a bit-per-port model.
test_io_bitmap_SRCS := tests/host/test_io_bitmap.c kernel/proc/io_bitmap.c
HOST_TEST_PROGRAMS += test_io_bitmap
# The kernel font: a glyph for every byte, clear cursor rows, no two glyphs alike.
test_font_SRCS := tests/host/test_font.c drivers/font_8x16.c
HOST_TEST_PROGRAMS += test_font

# The screen's text console without pixels, and drawing into a buffer in RAM.
test_fbcon_SRCS := tests/host/test_fbcon_text.c tests/host/test_framebuffer.c \
	drivers/fbcon_text.c drivers/framebuffer.c drivers/font_8x16.c
HOST_TEST_PROGRAMS += test_fbcon

# The keyboard: scan code set 1 to the bytes a terminal sends (drivers/keymap.h).
test_keymap_SRCS := tests/host/test_keymap.c drivers/keymap.c
HOST_TEST_PROGRAMS += test_keymap

# memview: the kind of every frame (mm/frame_kind.c) over the arena, and its
# pictures (kernel/memview/memview_map.c) over maps made by hand.
test_memview_SRCS := tests/host/test_frame_kind.c tests/host/test_memview_map.c \
	mm/frame_kind.c kernel/memview/memview_map.c mm/vmalloc.c mm/paging.c mm/slab.c \
	mm/kmalloc.c $(HOST_MM)
HOST_TEST_PROGRAMS += test_memview

# IPC (kernel/ipc/): kernel objects' reference counts and the handle table,
# with the test's own objects; spinlocks need mm/lockdep.c and the host's mm/arch.h.
test_handle_SRCS := tests/host/test_handle.c kernel/ipc/object.c kernel/ipc/handle.c \
	mm/lockdep.c tests/host/mm_arch_host.c
HOST_TEST_PROGRAMS += test_handle

# IPC messages (kernel/ipc/message.c): the tag rules and word delivery, pure;
# handle.c makes real handle numbers for the shape check.
test_message_SRCS := tests/host/test_message.c kernel/ipc/message.c kernel/ipc/object.c \
	kernel/ipc/handle.c mm/lockdep.c tests/host/mm_arch_host.c
HOST_TEST_PROGRAMS += test_message

HOST_TESTS := $(addprefix $(BUILD)/host/,$(HOST_TEST_PROGRAMS) $(HOST_FUZZERS))
# Every source some host program compiles (scripts/check_structure.py's rule 2).
HOST_SOURCES = $(sort $(foreach p,$(HOST_TEST_PROGRAMS) $(HOST_FUZZERS) $(HOST_BENCHES),\
	$($(p)_SRCS)) $(HOST_COMMON) $(FUZZ_COMMON) $(BENCH_COMMON))

# Host benchmarks: optimized, no sanitizers; `make bench` runs them. Not tests.
# Each runs the body in kernel/bench/ that `bench NAME` runs in the kernel.
BENCH_CFLAGS := -std=gnu11 -O2 -g -I. -DPAGODA_HOST -fno-builtin $(STRING_CFLAGS)
BENCH_COMMON := $(HOST_LIB) kernel/selftest.c tests/host/host_stubs.c $(HOST_MM)
bench_pmm_SRCS := tests/host/bench_pmm.c kernel/bench/pmm_bench.c
bench_vmm_SRCS := tests/host/bench_vmm.c kernel/bench/paging_bench.c mm/paging.c
bench_heap_SRCS := tests/host/bench_heap.c kernel/bench/heap_bench.c mm/slab.c mm/kmalloc.c \
	mm/vmalloc.c mm/paging.c
# The heap benchmark loads mimalloc and jemalloc with dlopen (-ldl) to set
# them beside kmalloc and glibc; `deps.sh bench` installs them.
bench_heap_LDLIBS := -ldl
HOST_BENCHES := bench_pmm bench_vmm bench_heap

# Test programs and fuzzers link objects compiled once each (build/host-obj/,
# shared by every program that lists the source, so `make -j2` compiles two
# at a time and a header change rebuilds what includes it: -MMD -MP).
# Benchmarks compile and link their sources in one step (other flags).
HOST_OBJ := $(BUILD)/host-obj
host_objs = $(patsubst %.c,$(HOST_OBJ)/%.o,$(1))
$(foreach p,$(HOST_TEST_PROGRAMS),\
	$(eval $(BUILD)/host/$(p): $(call host_objs,$($(p)_SRCS) $(HOST_COMMON))))
$(foreach p,$(HOST_FUZZERS),$(eval $(BUILD)/host/$(p): $(call host_objs,$($(p)_SRCS) $(FUZZ_COMMON))))
$(foreach p,$(HOST_BENCHES),$(eval $(BUILD)/bench/$(p): $$($(p)_SRCS) $$(BENCH_COMMON)))

$(HOST_OBJ)/%.o: %.c Makefile | deps
	@mkdir -p $(dir $@)
	$(say) "  HOSTCC $<"
	$(Q)$(CC) $(HOST_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/host/%: Makefile | deps
	@mkdir -p $(dir $@)
	$(say) "  HOSTLD $@"
	$(Q)$(CC) $(HOST_CFLAGS) -o $@ $(filter %.o,$^)

$(BUILD)/bench/%: Makefile | deps
	@mkdir -p $(dir $@)
	$(say) "  HOSTCC $@"
	$(Q)$(CC) $(BENCH_CFLAGS) -o $@ $(filter %.c,$^) $($*_LDLIBS)

.PHONY: all iso run gdb test test-full bench bench-kernel bench-deps clean deps lab grade
all: $(BUILD)/kernel.elf compile_commands.json

INSTALL_GOALS := run gdb test iso bench lab grade
deps:
	@sh scripts/deps.sh $(if $(filter $(INSTALL_GOALS),$(MAKECMDGOALS)),,--check)

# ---------------------------------------------------------------------------
# Kernel: two links, so the image can carry its own symbol table. Objects
# depend on the Makefile so that a flag change rebuilds them.

$(BUILD)/%.o: %.c Makefile | deps
	@mkdir -p $(dir $@)
	$(say) "  CC     $@"
	$(Q)$(CC) $(KERNEL_CFLAGS) $(if $(filter lib/string.c,$<),$(STRING_CFLAGS)) -c $< -o $@

$(BUILD)/%.o: %.asm Makefile mm/layout.h | deps
	@mkdir -p $(dir $@)
	$(say) "  NASM   $@"
	$(Q)$(NASM) $(NASMFLAGS) $(@:.o=.d) -o $@ $<

$(BUILD)/ksyms_empty.c: scripts/gen_ksyms.py
	@mkdir -p $(BUILD)
	$(say) "  GEN    $@"
	$(Q)$(PYTHON) scripts/gen_ksyms.py /dev/null $@

$(BUILD)/ksyms_empty.o $(BUILD)/ksyms.o: $(BUILD)/%.o: $(BUILD)/%.c
	$(say) "  CC     $@"
	$(Q)$(CC) $(KERNEL_CFLAGS) -c $< -o $@

$(BUILD)/kernel.pass1.elf: $(KERNEL_OBJS) $(BUILD)/ksyms_empty.o boot/kernel.ld mm/layout.h
	$(say) "  LD     $@"
	$(Q)$(LD) $(LDFLAGS) -o $@ $(KERNEL_OBJS) $(BUILD)/ksyms_empty.o

$(BUILD)/ksyms.c: $(BUILD)/kernel.pass1.elf scripts/gen_ksyms.py
	$(say) "  GEN    $@"
	$(Q)nm $< > $(BUILD)/kernel.pass1.nm
	$(Q)$(PYTHON) scripts/gen_ksyms.py $(BUILD)/kernel.pass1.nm $@

$(BUILD)/kernel.elf: $(KERNEL_OBJS) $(BUILD)/ksyms.o boot/kernel.ld mm/layout.h
	$(say) "  LD     $@"
	$(Q)$(LD) $(LDFLAGS) -o $@ $(KERNEL_OBJS) $(BUILD)/ksyms.o
	$(Q)nm $@ > $(BUILD)/kernel.nm
	$(Q)$(PYTHON) scripts/gen_ksyms.py --check $(BUILD)/kernel.pass1.nm $(BUILD)/kernel.nm

# ---------------------------------------------------------------------------
# User programs (user/README.md): static Linux x86-64 binaries built with musl,
# packed into the initrd that GRUB loads beside the kernel (grub.cfg). Only the
# ISO and what boots it need them and musl-gcc; plain `make` builds none.

USER_PROGRAMS := init forkbomb hello cat exitcode pause spin lazyheap stackgrow mapfile \
	fault_null fault_text fault_xstack fault_xheap fault_kread fault_top fault_div \
	fault_ud fault_priv hog usertests bench_user hello_pie sigtree execcheck fuzz colours \
	pager_demo nameserver echo_server echo_client com2d com2 ipc_pingpong ipc_regions
USER_BINS := $(USER_PROGRAMS:%=$(BUILD)/user/%)
# Data files packed beside the programs, as NAME=PATH (NAME: the initrd's name).
USER_DATA := README.md=user/README.md usertests.dat=$(BUILD)/user/usertests.dat
USER_CC := musl-gcc
USER_CFLAGS := -static -O2 -g -std=gnu11 -Wall -Wextra -Werror -Iuser/include
# -static: no dynamic loader or shared libraries on Pagoda; musl's start-up
#   code is linked in and runs unmodified (argc, argv, envp, auxv on the stack).
#   An ET_EXEC at 0x400000 (Debian's gcc makes PIEs only when not static).
# -g: symbols and line tables for `make gdb` (the loader maps only PT_LOAD
#   segments, so debug sections cost nothing at run time).
# -Iuser/include: header-only helpers the programs share (userlib.h), and
#   Pagoda's own system calls (pagoda/ipc.h, pagoda/ipc_abi.h: the kernel
#   includes the same ABI file).
USER_HEADERS := $(wildcard user/include/*.h user/include/pagoda/*.h)

$(BUILD)/user/%: user/%.c $(USER_HEADERS) Makefile | deps
	@mkdir -p $(dir $@)
	$(say) "  MUSLCC $@"
	$(Q)$(USER_CC) $(USER_CFLAGS) -o $@ $<

# A program of several files lives in its own folder, user/NAME/ (usertests:
# one file per area, each with its table of tests).
USERTESTS_SRCS := $(wildcard user/usertests/*.c)
$(BUILD)/user/usertests: $(USERTESTS_SRCS) user/usertests/usertests.h $(USER_HEADERS) Makefile | deps
	@mkdir -p $(dir $@)
	$(say) "  MUSLCC $@"
	$(Q)$(USER_CC) $(USER_CFLAGS) -o $@ $(USERTESTS_SRCS)

# NAME_pie: user/NAME.c as a static-pie (an ET_DYN that Pagoda loads at
# USER_PIE_BASE and musl's rcrt1.o relocates; docs/processes.md). Debian's
# `musl-gcc -static-pie` links libc.so instead, so the link is spelled out:
# musl's start files and libc.a, gcc's PIE crtbegin/crtend and libgcc.
MUSL_LIB := /usr/lib/x86_64-linux-musl
gcc_file = $(shell $(CC) -print-file-name=$(1))
$(BUILD)/user/%_pie.o: user/%.c $(USER_HEADERS) Makefile | deps
	@mkdir -p $(dir $@)
	$(say) "  MUSLCC $@"
	$(Q)$(USER_CC) $(filter-out -static,$(USER_CFLAGS)) -fPIE -c -o $@ $<

$(BUILD)/user/%_pie: $(BUILD)/user/%_pie.o
	$(say) "  LD     $@"
	$(Q)$(CC) -nostdlib -static-pie -o $@ $(MUSL_LIB)/rcrt1.o $(MUSL_LIB)/crti.o \
		$(call gcc_file,crtbeginS.o) $< $(MUSL_LIB)/libc.a $(call gcc_file,libgcc.a) \
		$(call gcc_file,crtendS.o) $(MUSL_LIB)/crtn.o

# usertests' file: 3 pages and 123 bytes, byte i = i mod 251 (a prime, so that
# every page starts differently; user/usertests/ checks against the formula).
$(BUILD)/user/usertests.dat: Makefile
	@mkdir -p $(dir $@)
	$(say) "  GEN    $@"
	$(Q)$(PYTHON) -c 'import sys; sys.stdout.buffer.write(bytes(i % 251 for i in range(3 * 4096 + 123)))' > $@

# The initrd holds stripped copies: the archive stays reserved memory for as
# long as the kernel runs, and symbols and debug information (two thirds of a
# binary) stay in build/user/NAME for gdb, at the same addresses.
USER_STRIPPED := $(USER_PROGRAMS:%=$(BUILD)/initrd/%)
$(BUILD)/initrd/%: $(BUILD)/user/%
	@mkdir -p $(dir $@)
	$(Q)$(OBJCOPY) --strip-all $< $@

# The archive, then its listing: --list fails unless every file is page-aligned.
$(BUILD)/initrd.cpio: $(USER_STRIPPED) user/README.md $(BUILD)/user/usertests.dat scripts/mkinitrd.py
	$(say) "  CPIO   $@"
	$(Q)$(PYTHON) scripts/mkinitrd.py -o $@ $(USER_STRIPPED) $(USER_DATA)
	$(Q)$(PYTHON) scripts/mkinitrd.py --list $@ > $(BUILD)/initrd.list

# The same binaries on this Linux host, in a directory laid out like the
# initrd (usertests opens its files by relative name): the portable tests
# must pass on Linux too (tests/integration/test_user.py runs this).
.PHONY: usertests-linux bench-user
usertests-linux: $(USER_BINS) $(BUILD)/user/usertests.dat
	@rm -rf $(BUILD)/user-root && mkdir -p $(BUILD)/user-root
	$(Q)cp $(USER_BINS) user/README.md $(BUILD)/user/usertests.dat $(BUILD)/user-root/
	cd $(BUILD)/user-root && ./usertests

# The user-mode benchmark in the deterministic mode (docs/benchmarks.md).
bench-user: $(BUILD)/pagoda.iso
	$(PYTHON) scripts/bench_user.py

# ---------------------------------------------------------------------------
# ISO: GRUB for both BIOS (i386-pc) and UEFI (x86_64-efi) in one image.

iso: $(BUILD)/pagoda.iso

$(BUILD)/pagoda.iso: $(BUILD)/kernel.elf $(BUILD)/initrd.cpio grub.cfg iso/README.txt | deps
	@rm -rf $(BUILD)/iso && mkdir -p $(BUILD)/iso/boot/grub
	$(say) "  ISO    $@"
	$(Q)cp grub.cfg $(BUILD)/iso/boot/grub/grub.cfg
	$(Q)cp $(BUILD)/initrd.cpio $(BUILD)/iso/boot/initrd.cpio
	$(Q)cp iso/README.txt $(BUILD)/iso/README.txt
	$(Q)$(OBJCOPY) --strip-debug $(BUILD)/kernel.elf $(BUILD)/iso/boot/pagoda.elf
	$(Q)grub-mkrescue -o $@ $(BUILD)/iso 2> $(BUILD)/grub-mkrescue.log || \
		{ cat $(BUILD)/grub-mkrescue.log; exit 1; }

# ---------------------------------------------------------------------------
# Running.

QEMU_FIRMWARE_bios :=
QEMU_FIRMWARE_uefi := -bios $(OVMF)
comma := ,
# Several CPUs under TCG (and not ICOUNT=1, which needs one thread): one host
#   thread per CPU, "multi-threaded TCG", so the CPUs really run at once.
QEMU_ACCEL := $(ACCEL)$(if $(and $(filter tcg,$(ACCEL)),$(filter-out 1,$(SMP)),\
	$(if $(filter 1,$(ICOUNT)),,yes)),$(comma)thread=multi)
QEMU_MACHINE := -accel $(QEMU_ACCEL) -m $(MEM) -smp $(SMP) -cdrom $(BUILD)/pagoda.iso \
	-boot d -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	$(QEMU_FIRMWARE_$(FIRMWARE))
# ICOUNT=1: the deterministic benchmark mode (docs/benchmarks.md): -cpu qemu64
#   -smp 1 -icount shift=0,sleep=off, from scripts/bench_kernel.py, the one
#   place that spells it; the later -smp wins over SMP. TCG only.
ifeq ($(ICOUNT),1)
QEMU_MACHINE += $(shell $(PYTHON) scripts/bench_kernel.py --qemu-args)
endif
# -serial mon:stdio: the serial line on this terminal, with QEMU's monitor
#   behind Ctrl-A C; Ctrl-A X quits.
# COM2: the second -serial, the port the user-space driver user/com2d.c
#   drives (docs/ipc.md, "A driver in user space"). COM2=pty (default): a
#   pseudo-terminal whose name QEMU prints ("char device redirected to
#   /dev/pts/N (label serial1)"): `screen /dev/pts/N 115200` talks to it.
#   COM2=unix:PATH,server=on,wait=off a socket, COM2=null nothing.
#   The first -serial stays COM1, the kernel's console.
COM2 ?= pty
# isa-debug-exit: lets the kernel end QEMU with a status (selftest mode).

# The screen: QEMU's window (gtk, else sdl) when there is a display to open it
#   on ($DISPLAY or $WAYLAND_DISPLAY) and this QEMU has such a front end
#   (Debian's qemu-system-gui, which scripts/deps.sh then installs); else
#   -display none, as on a headless machine. Expanded only by `run` (it asks
#   QEMU: `-display help` lists the front ends it has).
# RES=WxH: the video mode GRUB sets for the kernel's framebuffer, passed in
#   SMBIOS type 1's SKU string (grub.cfg); RES= (empty) leaves GRUB's menu up
#   for 3 s and the firmware's preferred mode. ENTRY=id boots that menu entry
#   (selftest, noapic, selftest-lockdep, pagepoison, slab_debug).
RES ?= 1024x768
ENTRY ?=
QEMU_FRONT_ENDS = $(if $(DISPLAY)$(WAYLAND_DISPLAY),$(shell qemu-system-x86_64 -display help 2>/dev/null))
QEMU_WINDOW = $(firstword $(filter gtk,$(QEMU_FRONT_ENDS)) $(filter sdl,$(QEMU_FRONT_ENDS)))
QEMU_SMBIOS = $(if $(RES)$(ENTRY),-smbios type=1$(if $(RES),$(comma)sku=$(RES))$(if \
	$(ENTRY),$(comma)product=pagoda-$(ENTRY)))

run: $(BUILD)/pagoda.iso
	@echo "Booting Pagoda ($(FIRMWARE), $(QEMU_ACCEL), $(MEM), $(SMP) CPUs). Quit QEMU with Ctrl-A X."
	$(if $(filter 1,$(ICOUNT)),@echo "ICOUNT=1: the guest's TSC counts executed instructions.")
	$(if $(QEMU_WINDOW),@echo "The screen ($(or $(RES),the firmware's mode)) is in QEMU's $(QEMU_WINDOW) window.")
	qemu-system-x86_64 $(QEMU_MACHINE) -display $(or $(QEMU_WINDOW),none) $(QEMU_SMBIOS) \
		-serial mon:stdio -serial $(COM2)

gdb: $(BUILD)/pagoda.iso
	@echo "QEMU waits for gdb on localhost:1234; quit gdb to stop QEMU."
	@echo "The serial console goes to $(BUILD)/gdb-serial.log (tail -f it in another terminal)."
	qemu-system-x86_64 $(QEMU_MACHINE) -display none -serial file:$(BUILD)/gdb-serial.log \
		-serial $(COM2) -S -gdb tcp:127.0.0.1:1234 & \
	gdb -q -x scripts/gdbinit $(if $(USER_PROG),-ex 'user-symbols $(USER_PROG)') \
		$(BUILD)/kernel.elf; kill %1 2>/dev/null || true

# ---------------------------------------------------------------------------
# Tests. scripts/run_tests.py runs every suite and prints the total line.

# Course labs (docs/labs/README.md): a student tree for lab LAB, and the grader.
LAB ?=
lab: deps
	@test -n "$(LAB)" || { echo "usage: make lab LAB=1..9"; exit 2; }
	python3 scripts/lab.py skeleton $(LAB) build/labs/lab$(LAB)

grade: deps
	python3 scripts/grade.py $(LAB)

bench: bench-deps $(BUILD)/bench/bench_pmm $(BUILD)/bench/bench_vmm $(BUILD)/bench/bench_heap \
		$(BUILD)/pagoda.iso
	$(BUILD)/bench/bench_pmm
	$(BUILD)/bench/bench_vmm
	$(BUILD)/bench/bench_heap
	$(PYTHON) scripts/bench_kernel.py

# The in-kernel benchmarks, deterministic (instruction counts): NAMES="fault vmm" picks some.
bench-kernel: $(BUILD)/pagoda.iso
	$(PYTHON) scripts/bench_kernel.py $(NAMES)

bench-deps:
	@sh scripts/deps.sh bench

# The linux suite boots the pinned Linux (scripts/linux_kernel.py; downloaded once
# into ~/.cache/pagoda/linux) with the initrd's programs and user/linux_init.c.
test: $(HOST_TESTS) $(BUILD)/pagoda.iso $(BUILD)/user/linux_init
	$(PYTHON) scripts/run_tests.py

# Everything `make test` runs, then the SMP matrix: 1, 2, 4, 8 CPUs x BIOS, UEFI
# x pc, q35 (32 boots; long under TCG). The fuzzer makes 100,000 calls there, not 20,000;
# the screen tests run in three video modes, not one (tests/integration/test_screen.py).
test-full: $(HOST_TESTS) $(BUILD)/pagoda.iso $(BUILD)/user/linux_init
	PAGODA_FUZZ_CALLS=100000 PAGODA_SCREEN_RESOLUTIONS="800x600 1024x768 1920x1080" \
		$(PYTHON) scripts/run_tests.py structure style host selftest \
		integration linux labs smp-matrix

# ---------------------------------------------------------------------------
# Editor support: compile_commands.json for clangd and friends.

compile_commands.json: Makefile scripts/gen_compile_commands.py
	$(say) "  GEN    $@"
	$(Q)$(PYTHON) scripts/gen_compile_commands.py "$(CC) $(KERNEL_CFLAGS)" \
		$(KERNEL_C) $(UNIT_TESTS) $(KERNEL_TESTS) > $@

clean:
	rm -rf $(BUILD) compile_commands.json

# `make -s print-VAR` prints a variable: scripts/check_structure.py asks for
# HOST_SOURCES and KERNEL_OBJS, so the Makefile stays their one source.
print-%:
	@echo $($*)

-include $(KERNEL_OBJS:.o=.d) $(BUILD)/ksyms.d $(BUILD)/ksyms_empty.d
-include $(wildcard $(HOST_OBJ)/*/*.d $(HOST_OBJ)/*/*/*.d $(HOST_OBJ)/*/*/*/*.d)
