; trampoline.asm - how an application processor (AP) gets from the startup
; IPI's real mode to the kernel's C code in 64-bit mode.
;
; smpboot.c copies trampoline_start .. trampoline_end to the page pmm_init
; reserved below 1 MiB (mm/layout.h, TRAMPOLINE_*), fills the parameter
; block at TRAMPOLINE_PARAMS in that page, and sends INIT-SIPI-SIPI with
; vector = the page number. The AP then walks this path:
;
;   SIPI vector VV      CS = VV00, IP = 0: real mode, paging off, at physical
;        |              page VV000 (the code is position independent: EBX
;        v              = CS * 16 = the page's address, computed first)
;   16-bit real mode    lgdt the trampoline's own GDT (its base in the
;        |              parameter block); CR0.PE = 1; far jump through the
;        v              block to selector 0x18 (32-bit code, flat)
;   32-bit protected    CR4.PAE (+PGE) from the block; CR3 = the trampoline
;        |              PML4 (below 4 GiB: PML4[0] identity-maps 0..2 MiB,
;        v              PML4[256..511] = the kernel's); EFER.LME (+NXE);
;   compatibility mode  CR0.PG|WP; far return to selector 0x08 (64-bit code)
;        |
;        v
;   64-bit, identity    claim the block: xchg its percpu pointer with 0 (a
;        |              CPU that finds 0 came too late and halts); RSP = the
;        v              stack top; call entry(percpu) at its kernel address
;   smp_ap_entry (C)    GS base, kernel CR3/CR4/PAT, its GDT/TSS/IDT, local
;                       APIC and timer, online; then the scheduler
;
; Invariants:
;   [x] the code fits one page and the parameter block sits at the fixed
;       offset TRAMPOLINE_PARAMS (smpboot.c checks both at boot);
;   [x] no absolute address is assembled in: everything is relative to
;       EBX, or comes from the block that smpboot.c fills;
;   [x] one AP at a time uses the block (smpboot.c waits for each).
; Context: runs on an AP with interrupts off (they are off after INIT).

TRAMPOLINE_PARAMS   equ 0xfc0           ; the parameter block's offset (smpboot.c)
P_GDTR              equ 0               ; dw limit, dd base: the GDT below
P_PM32              equ 8               ; dd offset, dw selector: pm32's address
P_CR3               equ 16              ; dd: the trampoline PML4 (below 4 GiB)
P_EFER              equ 20              ; dd: EFER bits to set (LME, NXE)
P_STACK             equ 24              ; dq: the AP's first stack top
P_ENTRY             equ 32              ; dq: smp_ap_entry, a kernel address
P_PERCPU            equ 40              ; dq: the AP's struct percpu; 0 once claimed
P_CR4               equ 48              ; dd: CR4 bits to set in 32-bit mode (PAE, PGE)
P_SIZE              equ 64

CR0_PE              equ 1 << 0          ; SDM Vol. 3A 2.5: protection enable
CR0_WP              equ 1 << 16         ; SDM Vol. 3A 2.5: supervisor honours read-only
CR0_PG              equ 1 << 31         ; SDM Vol. 3A 2.5: paging
MSR_EFER            equ 0xc0000080      ; SDM Vol. 4 2.1: IA32_EFER

SEL_CODE64          equ 0x08            ; the trampoline GDT's selectors
SEL_DATA            equ 0x10
SEL_CODE32          equ 0x18

section .rodata
align 4096
global trampoline_start, trampoline_end, trampoline_params, trampoline_gdt
global trampoline_pm32, trampoline_gdt_end

bits 16
trampoline_start:
    cli
    cld
    mov ax, cs
    mov ds, ax
    xor ebx, ebx
    mov bx, ax
    shl ebx, 4                          ; EBX = this page's physical address
    o32 lgdt [TRAMPOLINE_PARAMS + P_GDTR]
    mov eax, cr0
    or eax, CR0_PE
    mov cr0, eax
    jmp dword far [TRAMPOLINE_PARAMS + P_PM32]

bits 32
trampoline_pm32:
    mov ax, SEL_DATA
    mov ds, ax
    mov es, ax
    mov ss, ax
    lea esp, [ebx + TRAMPOLINE_PARAMS]  ; a few bytes of stack (for the far return)
    mov eax, cr4
    or eax, [ebx + TRAMPOLINE_PARAMS + P_CR4]
    mov cr4, eax
    mov eax, [ebx + TRAMPOLINE_PARAMS + P_CR3]
    mov cr3, eax
    mov ecx, MSR_EFER
    rdmsr
    or eax, [ebx + TRAMPOLINE_PARAMS + P_EFER]
    wrmsr
    mov eax, cr0
    or eax, CR0_PG | CR0_WP             ; long mode active (compatibility mode)
    mov cr0, eax
    lea eax, [ebx + trampoline_lm64 - trampoline_start]
    push dword SEL_CODE64
    push eax
    retf                                ; into 64-bit mode

bits 64
trampoline_lm64:
    mov ax, SEL_DATA
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov ebx, ebx                        ; the page's address, upper half cleared
    xor eax, eax
    xchg rax, [rbx + TRAMPOLINE_PARAMS + P_PERCPU] ; claim the block (xchg locks)
    test rax, rax
    jz .late                            ; the boot CPU gave up on us: stop here
    mov rdi, rax                        ; smp_ap_entry(struct percpu *)
    mov rsp, [rbx + TRAMPOLINE_PARAMS + P_STACK]
    mov rax, [rbx + TRAMPOLINE_PARAMS + P_ENTRY]
    xor ebp, ebp                        ; a zero frame pointer ends backtraces
    call rax                            ; never returns
.late:
    cli
    hlt
    jmp .late

align 16
trampoline_gdt:
    dq 0                                ; null
    dq 0x00209a0000000000               ; 0x08: 64-bit code, present, ring 0
    dq 0x00cf92000000ffff               ; 0x10: flat data, 4 GiB, writable
    dq 0x00cf9a000000ffff               ; 0x18: flat 32-bit code, 4 GiB
trampoline_gdt_end:

%if TRAMPOLINE_PARAMS < ($ - trampoline_start)
%error "trampoline.asm: the code overlaps the parameter block"
%endif
    times TRAMPOLINE_PARAMS - ($ - trampoline_start) db 0
trampoline_params:
    times P_SIZE db 0
trampoline_end:
