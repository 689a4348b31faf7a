# Pagoda - build, boot and test.
#
#   make            build/kernel.elf (with symbols) and compile_commands.json
#   make iso        build/pagoda.iso, bootable by BIOS and UEFI (hybrid)
#   make run        boot the ISO in QEMU, serial console on this terminal
#                   (MEM=256M SMP=1 ACCEL=tcg|kvm FIRMWARE=bios|uefi; ICOUNT=1: the
#                   deterministic mode, the guest's TSC counts instructions)
#   make gdb        boot halted with a gdbstub and attach gdb
#   make test       host unit tests, the selftest boot, QEMU integration tests
#   make bench      host benchmarks of the memory manager (cycle counts; the heap
#                   beside glibc, mimalloc and jemalloc, which it installs), then
#                   the kernel's own (make bench-kernel)
#   make bench-kernel  every `bench NAME` in QEMU in the deterministic mode
#                   (instruction counts; docs/benchmarks.md)
#   make lab LAB=n  a student skeleton of lab n in build/labs/labn (docs/labs/)
#   make grade [LAB=n]  grade the labs (all, or lab n): points and Score: X/Y
#   make clean
#
# Every target that needs a tool first runs scripts/deps.sh, which installs
# what is missing (Debian/Ubuntu) and does nothing when all is present.

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
	kernel/arch/x86_64/context.asm

KERNEL_C := \
	kernel/kmain.c \
	kernel/arch/x86_64/gdt.c \
	kernel/arch/x86_64/idt.c \
	kernel/arch/x86_64/trap.c \
	kernel/arch/x86_64/backtrace.c \
	kernel/arch/x86_64/pic.c \
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
	kernel/stack.c \
	kernel/shell/line_editor.c \
	kernel/shell/shell.c \
	mm/memmap.c \
	mm/memblock.c \
	mm/direct_map.c \
	mm/page.c \
	mm/buddy.c \
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
	kernel/commands/memmap_commands.c \
	kernel/commands/meminfo_commands.c \
	kernel/commands/pmm_commands.c \
	kernel/commands/alloc_commands.c \
	kernel/commands/paging_commands.c \
	kernel/commands/heap_commands.c \
	kernel/commands/fault_commands.c \
	kernel/commands/crash_commands.c \
	kernel/commands/selftest_commands.c \
	kernel/commands/bench_commands.c \
	kernel/bench/pmm_bench.c \
	kernel/bench/paging_bench.c \
	kernel/bench/heap_bench.c \
	kernel/bench/fault_bench.c \
	drivers/serial.c \
	drivers/vga.c \
	drivers/console.c \
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
	tests/kernel/test_fault.c

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

NASMFLAGS := -f elf64 -g -F dwarf -w+all -w+error -MD
LDFLAGS := -nostdlib -static -z max-page-size=0x1000 -z noexecstack -T boot/kernel.ld
# max-page-size=0x1000: segments 4 KiB aligned in the file, which keeps the
#   multiboot2 header within the first 32 KiB where GRUB looks for it.

# ---------------------------------------------------------------------------
# Host unit tests: the same sources, built for Linux with sanitizers.

HOST_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -I. -DPAGODA_HOST \
	-fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-builtin -fno-omit-frame-pointer $(STRING_CFLAGS)
HOST_COMMON := lib/string.c lib/printf.c lib/parse.c lib/panic.c lib/errno.c lib/sort.c lib/lab.c \
	kernel/selftest.c tests/host/main.c tests/host/host_stubs.c

# The memory manager over a simulated RAM arena (tests/host/arena.c).
HOST_MM := mm/memmap.c mm/memblock.c mm/page.c mm/buddy.c mm/failinject.c tests/host/mm_arch_host.c \
	tests/host/arena.c
# -DPAGODA_HOST: phys_to_virt() points into the arena (mm/layout.h).

HOST_TESTS := $(BUILD)/host/test_lib $(BUILD)/host/test_bootinfo $(BUILD)/host/test_shell \
	$(BUILD)/host/fuzz_bootinfo $(BUILD)/host/test_memmap $(BUILD)/host/fuzz_memmap \
	$(BUILD)/host/test_buddy $(BUILD)/host/test_pmm $(BUILD)/host/test_paging \
	$(BUILD)/host/test_slab $(BUILD)/host/test_vmalloc $(BUILD)/host/test_region \
	$(BUILD)/host/test_fault $(BUILD)/host/test_insn

.PHONY: all iso run gdb test bench bench-kernel bench-deps clean deps lab grade
all: $(BUILD)/kernel.elf compile_commands.json

deps:
	@sh scripts/deps.sh

# ---------------------------------------------------------------------------
# Kernel: two links, so the image can carry its own symbol table. Objects
# depend on the Makefile so that a flag change rebuilds them.

$(BUILD)/%.o: %.c Makefile | deps
	@mkdir -p $(dir $@)
	$(say) "  CC     $@"
	$(Q)$(CC) $(KERNEL_CFLAGS) $(if $(filter lib/string.c,$<),$(STRING_CFLAGS)) -c $< -o $@

$(BUILD)/%.o: %.asm Makefile | deps
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

$(BUILD)/kernel.pass1.elf: $(KERNEL_OBJS) $(BUILD)/ksyms_empty.o boot/kernel.ld
	$(say) "  LD     $@"
	$(Q)$(LD) $(LDFLAGS) -o $@ $(KERNEL_OBJS) $(BUILD)/ksyms_empty.o

$(BUILD)/ksyms.c: $(BUILD)/kernel.pass1.elf scripts/gen_ksyms.py
	$(say) "  GEN    $@"
	$(Q)nm $< > $(BUILD)/kernel.pass1.nm
	$(Q)$(PYTHON) scripts/gen_ksyms.py $(BUILD)/kernel.pass1.nm $@

$(BUILD)/kernel.elf: $(KERNEL_OBJS) $(BUILD)/ksyms.o boot/kernel.ld
	$(say) "  LD     $@"
	$(Q)$(LD) $(LDFLAGS) -o $@ $(KERNEL_OBJS) $(BUILD)/ksyms.o
	$(Q)nm $@ > $(BUILD)/kernel.nm
	$(Q)$(PYTHON) scripts/gen_ksyms.py --check $(BUILD)/kernel.pass1.nm $(BUILD)/kernel.nm

# ---------------------------------------------------------------------------
# ISO: GRUB for both BIOS (i386-pc) and UEFI (x86_64-efi) in one image.

iso: $(BUILD)/pagoda.iso

$(BUILD)/pagoda.iso: $(BUILD)/kernel.elf grub.cfg iso/README.txt | deps
	@rm -rf $(BUILD)/iso && mkdir -p $(BUILD)/iso/boot/grub
	$(say) "  ISO    $@"
	$(Q)cp grub.cfg $(BUILD)/iso/boot/grub/grub.cfg
	$(Q)cp iso/README.txt $(BUILD)/iso/README.txt
	$(Q)$(OBJCOPY) --strip-debug $(BUILD)/kernel.elf $(BUILD)/iso/boot/pagoda.elf
	$(Q)grub-mkrescue -o $@ $(BUILD)/iso 2> $(BUILD)/grub-mkrescue.log || \
		{ cat $(BUILD)/grub-mkrescue.log; exit 1; }

# ---------------------------------------------------------------------------
# Running.

QEMU_FIRMWARE_bios :=
QEMU_FIRMWARE_uefi := -bios $(OVMF)
QEMU_MACHINE := -accel $(ACCEL) -m $(MEM) -smp $(SMP) -cdrom $(BUILD)/pagoda.iso \
	-boot d -display none -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	$(QEMU_FIRMWARE_$(FIRMWARE))
# ICOUNT=1: the deterministic benchmark mode (docs/benchmarks.md): -cpu qemu64
#   -smp 1 -icount shift=0,sleep=off, from scripts/bench_kernel.py, the one
#   place that spells it; the later -smp wins over SMP. TCG only.
ifeq ($(ICOUNT),1)
QEMU_MACHINE += $(shell $(PYTHON) scripts/bench_kernel.py --qemu-args)
endif
# -serial mon:stdio: the serial line on this terminal, with QEMU's monitor
#   behind Ctrl-A C; Ctrl-A X quits.
# isa-debug-exit: lets the kernel end QEMU with a status (selftest mode).

run: $(BUILD)/pagoda.iso
	@echo "Booting Pagoda ($(FIRMWARE), $(ACCEL), $(MEM)). Quit QEMU with Ctrl-A X."
	$(if $(filter 1,$(ICOUNT)),@echo "ICOUNT=1: the guest's TSC counts executed instructions.")
	qemu-system-x86_64 $(QEMU_MACHINE) -serial mon:stdio

gdb: $(BUILD)/pagoda.iso
	@echo "QEMU waits for gdb on localhost:1234; quit gdb to stop QEMU."
	@echo "The serial console goes to $(BUILD)/gdb-serial.log (tail -f it in another terminal)."
	qemu-system-x86_64 $(QEMU_MACHINE) -serial file:$(BUILD)/gdb-serial.log \
		-S -gdb tcp:127.0.0.1:1234 & \
	gdb -q -x scripts/gdbinit $(BUILD)/kernel.elf; kill %1 2>/dev/null || true

# ---------------------------------------------------------------------------
# Tests. scripts/run_tests.py runs every suite and prints the total line.

$(BUILD)/host/test_lib: tests/unit/test_lib.c $(HOST_COMMON) | deps
	@mkdir -p $(dir $@)
	$(say) "  HOSTCC $@"
	$(Q)$(CC) $(HOST_CFLAGS) -o $@ $^

$(BUILD)/host/test_bootinfo: tests/unit/test_bootinfo.c kernel/bootinfo.c \
		tests/host/shell_stubs.c $(HOST_COMMON)
	@mkdir -p $(dir $@)
	$(say) "  HOSTCC $@"
	$(Q)$(CC) $(HOST_CFLAGS) -o $@ $^

$(BUILD)/host/fuzz_bootinfo: tests/host/fuzz_bootinfo.c kernel/bootinfo.c \
		tests/host/shell_stubs.c lib/string.c lib/printf.c lib/parse.c lib/panic.c \
		lib/errno.c tests/host/host_stubs.c
	@mkdir -p $(dir $@)
	$(say) "  HOSTCC $@"
	$(Q)$(CC) $(HOST_CFLAGS) -o $@ $^

$(BUILD)/host/test_shell: tests/unit/test_line_editor.c tests/unit/test_shell.c \
		kernel/shell/line_editor.c kernel/shell/shell.c tests/host/console_stubs.c $(HOST_COMMON)
	@mkdir -p $(dir $@)
	$(say) "  HOSTCC $@"
	$(Q)$(CC) $(HOST_CFLAGS) -o $@ $^

$(BUILD)/host/test_memmap: tests/unit/test_memmap.c tests/unit/test_memblock.c mm/memmap.c \
		mm/memblock.c $(HOST_COMMON)
	@mkdir -p $(dir $@)
	$(say) "  HOSTCC $@"
	$(Q)$(CC) $(HOST_CFLAGS) -o $@ $^

$(BUILD)/host/fuzz_memmap: tests/host/fuzz_memmap.c mm/memmap.c lib/string.c lib/printf.c \
		lib/errno.c lib/panic.c tests/host/host_stubs.c
	@mkdir -p $(dir $@)
	$(say) "  HOSTCC $@"
	$(Q)$(CC) $(HOST_CFLAGS) -o $@ $^

$(BUILD)/host/test_buddy: tests/host/test_buddy.c $(HOST_MM) $(HOST_COMMON)
	@mkdir -p $(dir $@)
	$(say) "  HOSTCC $@"
	$(Q)$(CC) $(HOST_CFLAGS) -o $@ $^

$(BUILD)/host/test_paging: tests/host/test_paging.c mm/paging.c $(HOST_MM) $(HOST_COMMON)
	@mkdir -p $(dir $@)
	$(say) "  HOSTCC $@"
	$(Q)$(CC) $(HOST_CFLAGS) -o $@ $^

$(BUILD)/host/test_slab: tests/host/test_slab.c mm/slab.c mm/kmalloc.c $(HOST_MM) $(HOST_COMMON)
	@mkdir -p $(dir $@)
	$(say) "  HOSTCC $@"
	$(Q)$(CC) $(HOST_CFLAGS) -o $@ $^

$(BUILD)/host/test_vmalloc: tests/host/test_vmalloc.c mm/vmalloc.c mm/paging.c $(HOST_MM) \
		$(HOST_COMMON)
	@mkdir -p $(dir $@)
	$(say) "  HOSTCC $@"
	$(Q)$(CC) $(HOST_CFLAGS) -o $@ $^

# The region set of an address space (needs kmalloc for its array).
$(BUILD)/host/test_region: tests/host/test_region.c mm/region.c mm/slab.c mm/kmalloc.c \
		$(HOST_MM) $(HOST_COMMON)
	@mkdir -p $(dir $@)
	$(say) "  HOSTCC $@"
	$(Q)$(CC) $(HOST_CFLAGS) -o $@ $^

# Page-fault decisions, anonymous regions, COW over simulated faults.
$(BUILD)/host/test_fault: tests/host/test_fault.c mm/fault.c mm/anon.c mm/region.c \
		mm/vmalloc.c mm/paging.c mm/slab.c mm/kmalloc.c $(HOST_MM) $(HOST_COMMON)
	@mkdir -p $(dir $@)
	$(say) "  HOSTCC $@"
	$(Q)$(CC) $(HOST_CFLAGS) -o $@ $^

# The #GP handler's instruction decoder (kernel/arch code, pure computation).
$(BUILD)/host/test_insn: tests/host/test_insn.c kernel/arch/x86_64/insn.c $(HOST_COMMON)
	@mkdir -p $(dir $@)
	$(say) "  HOSTCC $@"
	$(Q)$(CC) $(HOST_CFLAGS) -o $@ $^

$(BUILD)/host/test_pmm: tests/unit/test_pmm.c tests/host/pmm_setup.c $(HOST_MM) $(HOST_COMMON)
	@mkdir -p $(dir $@)
	$(say) "  HOSTCC $@"
	$(Q)$(CC) $(HOST_CFLAGS) -o $@ $^

# Host benchmarks: optimized, no sanitizers; `make bench` runs them. Not tests.
# Each runs the body in kernel/bench/ that `bench NAME` runs in the kernel.
$(BUILD)/bench/bench_pmm: tests/host/bench_pmm.c kernel/bench/pmm_bench.c $(HOST_MM) \
		$(HOST_COMMON:tests/host/main.c=)
	@mkdir -p $(dir $@)
	$(say) "  HOSTCC $@"
	$(Q)$(CC) -std=gnu11 -O2 -g -I. -DPAGODA_HOST -fno-builtin $(STRING_CFLAGS) -o $@ $^

$(BUILD)/bench/bench_vmm: tests/host/bench_vmm.c kernel/bench/paging_bench.c mm/paging.c $(HOST_MM) \
		$(HOST_COMMON:tests/host/main.c=)
	@mkdir -p $(dir $@)
	$(say) "  HOSTCC $@"
	$(Q)$(CC) -std=gnu11 -O2 -g -I. -DPAGODA_HOST -fno-builtin $(STRING_CFLAGS) -o $@ $^

# The heap benchmark loads mimalloc and jemalloc with dlopen (-ldl) to set
# them beside kmalloc and glibc; `deps.sh bench` installs them.
$(BUILD)/bench/bench_heap: tests/host/bench_heap.c kernel/bench/heap_bench.c mm/slab.c mm/kmalloc.c \
		mm/vmalloc.c mm/paging.c $(HOST_MM) \
		$(HOST_COMMON:tests/host/main.c=)
	@mkdir -p $(dir $@)
	$(say) "  HOSTCC $@"
	$(Q)$(CC) -std=gnu11 -O2 -g -I. -DPAGODA_HOST -fno-builtin $(STRING_CFLAGS) -o $@ $^ -ldl

# Course labs (docs/labs/README.md): a student tree for lab LAB, and the grader.
LAB ?=
lab:
	@test -n "$(LAB)" || { echo "usage: make lab LAB=1..5"; exit 2; }
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

test: $(HOST_TESTS) $(BUILD)/pagoda.iso
	$(PYTHON) scripts/run_tests.py

# ---------------------------------------------------------------------------
# Editor support: compile_commands.json for clangd and friends.

compile_commands.json: Makefile scripts/gen_compile_commands.py
	$(say) "  GEN    $@"
	$(Q)$(PYTHON) scripts/gen_compile_commands.py "$(CC) $(KERNEL_CFLAGS)" \
		$(KERNEL_C) $(UNIT_TESTS) $(KERNEL_TESTS) > $@

clean:
	rm -rf $(BUILD) compile_commands.json

-include $(KERNEL_OBJS:.o=.d) $(BUILD)/ksyms.d $(BUILD)/ksyms_empty.d
