; boot.asm - from GRUB's hand-off to 64-bit C.
;
; GRUB (multiboot2) loads the kernel at physical KERNEL_PHYS_BASE and jumps to
; _start in 32-bit protected mode, paging off, interrupts off, with
;     EAX = 0x36d76289 (the multiboot2 magic)    EBX = physical address of the
;                                                 boot information
; This file then, in order:
;   1. checks the magic and that the CPU has long mode; if not, it prints a
;      readable message on COM1 and the VGA text screen (grub.cfg keeps text
;      mode for a CPU without long mode) and halts (rather than
;      triple-faulting, which would just reboot the machine);
;   2. builds early page tables mapping physical 0..4 GiB three times:
;      identity (so the next instruction after enabling paging still runs),
;      the direct map at DIRECT_MAP_BASE, and the kernel image at -2 GiB;
;   3. enables PAE, long mode, NX (when the CPU has it) and CR0.WP, loads a
;      64-bit GDT and far-jumps into 64-bit code;
;   4. jumps to the higher half, switches to the boot stack and calls
;      kmain(magic, mbi_phys).
; Everything before step 4 runs at physical addresses: the code and data it
; uses live in the .boot* sections, linked low (see boot/kernel.ld).
; docs/boot.md walks through this with the memory layout at each step.

MB2_MAGIC           equ 0xe85250d6      ; header magic (multiboot2 spec 3.1.1)
MB2_BOOT_MAGIC      equ 0x36d76289      ; what the loader leaves in EAX
MB2_ARCH_I386       equ 0               ; 32-bit protected-mode entry

; KERNEL_VMA and DIRECT_MAP_BASE come from mm/layout.h (the Makefile passes
; them with nasm -D): the PML4 and PDPT slots below are computed from them.
%ifndef KERNEL_VMA
%error "KERNEL_VMA is not defined: build with make (it passes mm/layout.h's values)"
%endif
%ifndef DIRECT_MAP_BASE
%error "DIRECT_MAP_BASE is not defined: build with make"
%endif
PML4_SLOT_DIRECT    equ (DIRECT_MAP_BASE >> 39) & 511
PML4_SLOT_KERNEL    equ (KERNEL_VMA >> 39) & 511
PDPT_SLOT_KERNEL    equ (KERNEL_VMA >> 30) & 511

PTE_PRESENT         equ 1 << 0          ; SDM 4.5: entry is valid
PTE_WRITABLE        equ 1 << 1          ; SDM 4.5: writes allowed
PTE_HUGE            equ 1 << 7          ; SDM 4.5: PS, maps a 2 MiB page in a PD

CR0_WP              equ 1 << 16         ; SDM 2.5: supervisor writes honour read-only
CR0_PG              equ 1 << 31         ; SDM 2.5: paging on
CR4_PAE             equ 1 << 5          ; SDM 2.5: physical address extension
MSR_EFER            equ 0xc0000080      ; SDM 2.2.1: extended feature enables
EFER_LME            equ 1 << 8          ; long mode enable
EFER_NXE            equ 1 << 11         ; no-execute enable (PTE bit 63)
CPUID_EXT_LM        equ 1 << 29         ; CPUID 0x80000001 EDX: long mode
CPUID_EXT_NX        equ 1 << 20         ; CPUID 0x80000001 EDX: NX bit

COM1                equ 0x3f8

; ---------------------------------------------------------------------------
; The multiboot2 header: must lie 8-aligned in the first 32 KiB of the file.
section .multiboot
align 8
mb2_header:
    dd MB2_MAGIC
    dd MB2_ARCH_I386
    dd mb2_header_end - mb2_header
    dd -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))

    ; Information request (type 1), optional (flags 1) so a loader that
    ; cannot provide one of these still boots us.
align 8
.info_request:
    dw 1, 1
    dd .info_request_end - .info_request
    dd 1                ; command line
    dd 2                ; boot loader name
    dd 3                ; modules
    dd 6                ; memory map
    dd 8                ; framebuffer info (the mode GRUB set: pixels, or EGA text)
    dd 14               ; ACPI old RSDP
    dd 15               ; ACPI new RSDP
    dd 17               ; EFI memory map
    dd 21               ; image load base
.info_request_end:

    ; Framebuffer (type 5, multiboot2 spec 3.1.10), optional (flags 1): ask
    ; for a linear framebuffer on every firmware: GOP under UEFI, VBE under
    ; BIOS. BIOS machines could keep VGA text mode, but a framebuffer there
    ; too gives one console code path (drivers/fbcon.c) on every PC, and
    ; memview needs pixels. Width, height and depth 0 say "no preference":
    ; GRUB then uses its gfxpayload variable (grub.cfg sets it from SMBIOS
    ; for tests and `make run`), else "auto", the firmware's preferred mode
    ; (a real PC's native panel resolution). Optional: a loader that can only
    ; give EGA text still boots us, and kmain then uses the VGA text driver.
    ; Without this tag GRUB on UEFI (no VGA text there) warns "no console
    ; will be available to OS" and fails to set a mode (docs/boot.md).
align 8
    dw 5, 1
    dd 20
    dd 0                ; width: no preference
    dd 0                ; height: no preference
    dd 0                ; depth (bits per pixel): no preference

    ; Module alignment (type 6): modules start on page boundaries.
align 8
    dw 6, 0
    dd 8

align 8
    dw 0, 0             ; end tag
    dd 8
mb2_header_end:

; ---------------------------------------------------------------------------
; 32-bit code, running at physical addresses.
section .boot.text
bits 32
global _start
_start:
    cli
    cld
    mov esp, boot_stack32_top
    mov edi, eax                        ; keep the magic
    mov esi, ebx                        ; and the boot information pointer

    cmp edi, MB2_BOOT_MAGIC
    jne .bad_magic
    call cpu_has_long_mode
    test eax, eax
    jz .no_long_mode

    rdtsc                               ; every x86-64 CPU has a TSC
    mov [boot_tsc_entry], eax
    mov [boot_tsc_entry + 4], edx

    call build_early_page_tables

    mov eax, cr4
    or eax, CR4_PAE
    mov cr4, eax

    mov eax, boot_pml4
    mov cr3, eax

    ; EFER: long mode, and NX when the CPU has it (else PTE bit 63 would be
    ; a reserved bit and every NX mapping would fault).
    mov eax, 0x80000001
    cpuid
    mov ebx, edx
    mov ecx, MSR_EFER
    rdmsr
    or eax, EFER_LME
    test ebx, CPUID_EXT_NX
    jz .no_nx
    or eax, EFER_NXE
.no_nx:
    wrmsr

    mov eax, cr0
    or eax, CR0_PG | CR0_WP             ; paging on: we are now in long mode
    mov cr0, eax                        ; (compatibility sub-mode until the jump)

    lgdt [boot_gdt_pointer]
    jmp BOOT_CODE64:long_mode_entry

.bad_magic:
    mov eax, msg_bad_magic
    jmp fatal32
.no_long_mode:
    mov eax, msg_no_long_mode
    jmp fatal32

; cpu_has_long_mode: EAX = 1 when CPUID exists and reports long mode, else 0.
cpu_has_long_mode:
    pushfd                              ; CPUID exists iff EFLAGS.ID can be flipped
    pop eax
    mov ecx, eax
    xor eax, 1 << 21
    push eax
    popfd
    pushfd
    pop eax
    push ecx
    popfd
    xor eax, ecx
    jz .no
    mov eax, 0x80000000                 ; highest extended leaf
    cpuid
    cmp eax, 0x80000001
    jb .no
    mov eax, 0x80000001
    cpuid
    test edx, CPUID_EXT_LM
    jz .no
    mov eax, 1
    ret
.no:
    xor eax, eax
    ret

; build_early_page_tables: map physical 0..4 GiB with 2 MiB pages.
;   PML4[0]   -> boot_pdpt_low    identity map (dropped once in the higher half)
;   PML4[256] -> boot_pdpt_low    direct map at DIRECT_MAP_BASE (PML4_SLOT_DIRECT)
;   PML4[511] -> boot_pdpt_high   kernel image: PDPT[510] = -2 GiB -> physical 0..1 GiB
;                                 (PML4_SLOT_KERNEL, PDPT_SLOT_KERNEL: KERNEL_VMA)
; boot_pdpt_low[0..3] -> boot_pd[0..3], 512 entries each, 2048 x 2 MiB = 4 GiB.
build_early_page_tables:
    push edi                            ; EDI/ESI hold the magic and MBI pointer
    push esi
    mov edi, boot_page_tables           ; zero all seven tables first
    mov ecx, boot_page_tables_end - boot_page_tables
    shr ecx, 2
    xor eax, eax
    rep stosd

    mov eax, boot_pdpt_low + PTE_PRESENT + PTE_WRITABLE
    mov [boot_pml4 + 0 * 8], eax
    mov [boot_pml4 + PML4_SLOT_DIRECT * 8], eax
    mov eax, boot_pdpt_high + PTE_PRESENT + PTE_WRITABLE
    mov [boot_pml4 + PML4_SLOT_KERNEL * 8], eax

    mov eax, boot_pd + PTE_PRESENT + PTE_WRITABLE
    mov ecx, 0
.pdpt:                                  ; four PDPT entries, one per GiB
    mov [boot_pdpt_low + ecx * 8], eax
    add eax, 4096
    inc ecx
    cmp ecx, 4
    jb .pdpt
    mov eax, boot_pd + PTE_PRESENT + PTE_WRITABLE
    mov [boot_pdpt_high + PDPT_SLOT_KERNEL * 8], eax

    mov ecx, 0                          ; 2048 PD entries: physical ecx * 2 MiB
.pd:
    mov eax, ecx
    shl eax, 21                         ; low 32 bits of the address
    or eax, PTE_PRESENT + PTE_WRITABLE + PTE_HUGE
    mov edx, ecx
    shr edx, 11                         ; high bits (entries past 4 GiB: none here)
    mov [boot_pd + ecx * 8], eax
    mov [boot_pd + ecx * 8 + 4], edx
    inc ecx
    cmp ecx, 2048
    jb .pd
    pop esi
    pop edi
    ret

; fatal32: print the NUL-terminated message at EAX on COM1 and on the VGA
; text screen (white on red), then halt forever.
fatal32:
    mov esi, eax
    ; COM1: 115200 8N1, FIFO on (divisor latch 1)
    mov dx, COM1 + 1
    xor al, al
    out dx, al                          ; no interrupts
    mov dx, COM1 + 3
    mov al, 0x80
    out dx, al                          ; DLAB on
    mov dx, COM1 + 0
    mov al, 1
    out dx, al                          ; divisor low: 115200 baud
    mov dx, COM1 + 1
    xor al, al
    out dx, al                          ; divisor high
    mov dx, COM1 + 3
    mov al, 0x03
    out dx, al                          ; 8 bits, no parity, 1 stop, DLAB off
    mov edi, 0xb8000
.next:
    lodsb
    test al, al
    jz .halt
    mov ah, al
    mov dx, COM1 + 5
.wait:
    in al, dx                           ; line status: bit 5 = transmitter empty
    test al, 0x20
    jz .wait
    mov al, ah
    mov dx, COM1
    out dx, al
    cmp al, 10
    je .next                            ; newline: serial only
    mov al, ah
    mov ah, 0x4f                        ; white on red
    stosw
    jmp .next
.halt:
    cli
    hlt
    jmp .halt

; ---------------------------------------------------------------------------
; 64-bit code: first at its physical address (identity map), then the jump up.
bits 64
long_mode_entry:
    mov ax, BOOT_DATA
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor ax, ax
    mov fs, ax
    mov gs, ax
    mov rax, higher_half_entry
    jmp rax

section .boot.data
align 8
msg_bad_magic:
    db "Pagoda: not started by a multiboot2 boot loader (bad magic in EAX).", 13, 10
    db "Boot Pagoda with GRUB 2 from its ISO. Halted.", 13, 10, 0
msg_no_long_mode:
    db "Pagoda: this CPU has no 64-bit long mode; Pagoda needs an x86-64 CPU.", 13, 10
    db "Halted.", 13, 10, 0

align 16
boot_gdt:
    dq 0                                ; null descriptor
    dq 0x00209a0000000000               ; 0x08: 64-bit code, present, ring 0
    dq 0x0000920000000000               ; 0x10: data, present, writable
boot_gdt_end:
BOOT_CODE64 equ 0x08
BOOT_DATA   equ 0x10
boot_gdt_pointer:
    dw boot_gdt_end - boot_gdt - 1
    dd boot_gdt

; The TSC value at the first instruction we control; passed to kmain.
align 8
boot_tsc_entry:
    dq 0

section .boot.bss nobits alloc write
align 4096
global boot_pml4
boot_page_tables:
boot_pml4:      resb 4096
boot_pdpt_low:  resb 4096
boot_pdpt_high: resb 4096
boot_pd:        resb 4 * 4096
boot_page_tables_end:
boot_stack32:   resb 1024
boot_stack32_top:

; ---------------------------------------------------------------------------
; Higher half: from here on everything runs at its linked virtual address.
section .text
higher_half_entry:
    mov rsp, boot_stack_top
    xor ebp, ebp                        ; a zero frame pointer ends backtraces
    ; kmain(uint32_t magic, uint32_t mbi_phys, uint64_t entry_tsc):
    ; EDI and ESI are still set; the identity map still reaches boot_tsc_entry.
    mov rdx, [boot_tsc_entry]
    extern kmain
    call kmain
.hang:
    cli
    hlt
    jmp .hang

section .bss
align 16
global boot_stack_bottom, boot_stack_top
boot_stack_bottom:
    resb 16384                          ; until kernel_stacks_init (kernel/stack.h);
                                        ; then boot and the shell run on "main"
boot_stack_top:
