/*
 * smap.c - patch SMAP's clac/stac to NOPs on CPUs without SMAP (smap.h).
 *
 * The sites are gathered by the linker from smap.inc's records. Text is
 * mapped read-only (and, after kernel_space_init, W^X), so each site is
 * written through its direct-map alias: the same physical bytes, a
 * writable linear address. Code changed through another linear address
 * than the one it runs at needs a serializing instruction before it runs
 * (SDM Vol. 3A 9.1.3, "Handling Self- and Cross-Modifying Code"): one
 * CPUID after the loop. The APs start later and fetch the patched bytes.
 *
 * Invariants:
 *   [x] each site holds clac or stac before the patch (anything else is a
 *       build error caught here with a panic naming the site);
 *   [x] after smap_patch_init, every site holds clac/stac exactly when
 *       cpu_features.smap, else the 3-byte NOP 0f 1f 00.
 * Context: boot CPU, once, interrupts off, after cpu_features_init and
 * before idt_init (an exception would run isr.asm's clac).
 */
#include "kernel/arch/x86_64/smap.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/cpu_features.h"
#include "lib/panic.h"
#include "lib/string.h"
#include "mm/arch.h"
#include "mm/layout.h"

extern const uint64_t __start_smap_sites[], __stop_smap_sites[];

static const uint8_t insn_clac[SMAP_INSN_LENGTH] = {0x0f, 0x01, 0xca}; /* SDM Vol. 2A CLAC */
static const uint8_t insn_stac[SMAP_INSN_LENGTH] = {0x0f, 0x01, 0xcb}; /* SDM Vol. 2B STAC */
static const uint8_t insn_nop3[SMAP_INSN_LENGTH] = {0x0f, 0x1f, 0x00}; /* NOP DWORD [RAX] */

static bool patched;

void smap_patch_init(void)
{
	ASSERT_IRQS_OFF();
	size_t count;
	const uint64_t *sites = smap_sites(&count);

	for (size_t i = 0; i < count; i++) {
		const uint8_t *code = (const uint8_t *)(uintptr_t)sites[i];
		if (memcmp(code, insn_clac, SMAP_INSN_LENGTH) != 0 &&
		    memcmp(code, insn_stac, SMAP_INSN_LENGTH) != 0)
			panic("smap_patch_init: site 0x%lx holds no clac/stac", sites[i]);
	}
	if (cpu_features.smap)
		return;
	for (size_t i = 0; i < count; i++) {
		uint8_t *alias = phys_to_virt(kernel_image_to_phys((const void *)(uintptr_t)sites[i]));
		memcpy(alias, insn_nop3, SMAP_INSN_LENGTH);
	}
	(void)cpuid(0, 0); /* serialize: the patched bytes are fetched fresh */
	patched = true;
}

const uint64_t *smap_sites(size_t *count)
{
	*count = (size_t)(__stop_smap_sites - __start_smap_sites);
	return __start_smap_sites;
}

bool smap_patched(void)
{
	return patched;
}

bool smap_site_is(uint64_t site, bool nop)
{
	const uint8_t *code = (const uint8_t *)(uintptr_t)site;

	if (nop)
		return memcmp(code, insn_nop3, SMAP_INSN_LENGTH) == 0;
	return memcmp(code, insn_clac, SMAP_INSN_LENGTH) == 0 ||
	       memcmp(code, insn_stac, SMAP_INSN_LENGTH) == 0;
}
