/*
 * smap.h - the kernel's `clac`/`stac` where the CPU lacks SMAP.
 *
 * With SMAP (CR4.SMAP, SDM Vol. 3A 4.6.1) the kernel cannot touch user
 * pages unless EFLAGS.AC is set: `stac` opens that window (only in
 * user_copy.asm) and `clac` shuts it (at every kernel entry, since an
 * interrupt does not clear AC). On a CPU without SMAP both instructions
 * #UD, so each site is recorded in the section `.smap_sites` (boot/kernel.ld)
 * and smap_patch_init overwrites it with a 3-byte NOP (0f 1f 00) before
 * any of them runs on an AP. The patch writes through the direct-map alias
 * of the (read-only) text and serializes afterwards.
 *
 * Invariants:
 *   [x] with SMAP: every recorded site holds clac (0f 01 ca) or stac
 *       (0f 01 cb); without: every site holds 0f 1f 00;
 *   [x] patching happens once, on the boot CPU, before APs start and
 *       before the first entry from ring 3; no site executes before it
 *       except on CPUs with SMAP (isr.asm's clac runs only once IDT
 *       entries fire, which is after smap_patch_init in kmain).
 * Context: boot CPU, interrupts off, once.
 */
#ifndef ARCH_X86_64_SMAP_H
#define ARCH_X86_64_SMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SMAP_INSN_LENGTH 3 /* clac, stac and the NOP that replaces them */

/*
 * Patch every recorded site to a NOP if the CPU has no SMAP (else leave
 * them). Boot CPU, after cpu_features_init and before the IDT takes
 * interrupts that would run isr.asm's clac, and before APs start.
 */
void smap_patch_init(void);

/* The recorded sites (addresses of their first byte), for tests. */
const uint64_t *smap_sites(size_t *count);

/* True if smap_patch_init turned the sites into NOPs. */
bool smap_patched(void);

/* Does the code at site hold the NOP (nop) or clac/stac (!nop)? For tests. */
bool smap_site_is(uint64_t site, bool nop);

#endif
