/*
 * cpu_features.c - CPUID decoding (`cpuinfo` prints the result:
 * kernel/commands/cpu_commands.c).
 *
 * Where each bit comes from (SDM Vol. 2A, CPUID):
 *   leaf 1 EDX:           PAE 6, TSC 4, APIC 9, PGE 13, PAT 16, FXSR 24,
 *                         SSE 25, SSE2 26
 *   leaf 1 ECX:           PCID 17, x2APIC 21, XSAVE 26, AVX 28, hypervisor 31
 *   leaf 7.0 EBX:         SMEP 7, ERMS 9, INVPCID 10, SMAP 20
 *   leaf 0x80000001 EDX:  NX 20, 1 GiB pages 26
 *   leaf 0x80000007 EDX:  invariant TSC 8
 *   leaf 0x80000008 EAX:  physical bits 7-0, linear bits 15-8
 */
#include "kernel/arch/x86_64/cpu_features.h"

#include "kernel/arch/x86_64/cpu.h"
#include "lib/string.h"

#define BIT(n) (1u << (n))

struct cpu_features cpu_features;

static void copy_regs(char *dst, const struct cpuid_regs *r)
{
	memcpy(dst, &r->eax, 4);
	memcpy(dst + 4, &r->ebx, 4);
	memcpy(dst + 8, &r->ecx, 4);
	memcpy(dst + 12, &r->edx, 4);
}

void cpu_features_init(void)
{
	struct cpu_features *f = &cpu_features;
	struct cpuid_regs r = cpuid(0, 0);

	f->max_leaf = r.eax;
	memcpy(f->vendor, &r.ebx, 4);
	memcpy(f->vendor + 4, &r.edx, 4);
	memcpy(f->vendor + 8, &r.ecx, 4);
	f->vendor[12] = '\0';

	r = cpuid(1, 0);
	uint32_t base_family = (r.eax >> 8) & 0xf, base_model = (r.eax >> 4) & 0xf;
	f->family = base_family == 0xf ? base_family + ((r.eax >> 20) & 0xff) : base_family;
	f->model = base_family == 0x6 || base_family == 0xf
			   ? base_model + (((r.eax >> 16) & 0xf) << 4) : base_model;
	f->stepping = r.eax & 0xf;
	f->tsc = r.edx & BIT(4);
	f->pae = r.edx & BIT(6);
	f->apic = r.edx & BIT(9);
	f->pge = r.edx & BIT(13);
	f->pat = r.edx & BIT(16);
	f->fxsr = r.edx & BIT(24);
	f->sse = r.edx & BIT(25);
	f->sse2 = r.edx & BIT(26);
	f->xsave = r.ecx & BIT(26);
	f->avx = r.ecx & BIT(28);
	f->pcid = r.ecx & BIT(17);
	f->x2apic = r.ecx & BIT(21);
	f->hypervisor = r.ecx & BIT(31);
	f->initial_apic_id = r.ebx >> 24; /* CPUID.1:EBX[31:24], 8 bits */
	if (f->max_leaf >= 0xb && cpuid(0xb, 0).ebx != 0)
		f->initial_apic_id = cpuid(0xb, 0).edx; /* the 32-bit x2APIC id */

	if (f->max_leaf >= 7) {
		r = cpuid(7, 0);
		f->smep = r.ebx & BIT(7);
		f->erms = r.ebx & BIT(9);
		f->invpcid = r.ebx & BIT(10);
		f->smap = r.ebx & BIT(20);
	}
	string_erms = f->erms; /* lib/string.c: large copies with one rep movsb */

	f->max_extended_leaf = cpuid(0x80000000, 0).eax;
	if (f->max_extended_leaf >= 0x80000001) {
		r = cpuid(0x80000001, 0);
		f->nx = r.edx & BIT(20);
		f->page_1g = r.edx & BIT(26);
	}
	if (f->max_extended_leaf >= 0x80000004) {
		char raw[49];
		for (uint32_t i = 0; i < 3; i++) {
			r = cpuid(0x80000002 + i, 0);
			copy_regs(raw + 16 * i, &r);
		}
		raw[48] = '\0';
		const char *p = raw;
		while (*p == ' ')
			p++;
		strlcpy(f->brand, p, sizeof(f->brand));
	}
	if (f->max_extended_leaf >= 0x80000007)
		f->invariant_tsc = cpuid(0x80000007, 0).edx & BIT(8);
	if (f->max_extended_leaf >= 0x80000008) {
		r = cpuid(0x80000008, 0);
		f->phys_bits = r.eax & 0xff;
		f->virt_bits = (r.eax >> 8) & 0xff;
	} else {
		f->phys_bits = 36; /* the architectural default without the leaf */
		f->virt_bits = 48;
	}
}
