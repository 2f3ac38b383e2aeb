// SPDX-License-Identifier: GPL-2.0
/* Per-vCPU CPUID (see cpuid.h). */
#include <stdint.h>

#include "cpuid.h"

void cpuid_patch(struct kvm_cpuid2 *c, const struct cpuid_opts *o)
{
	int apic_id = o->apic_id, nr_cpus = o->nr_cpus;
	unsigned int i;

	for (i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		switch (e->function) {
		case 1:
			e->ebx = (e->ebx & 0x0000ffff) | ((uint32_t)apic_id << 24) |
				 ((uint32_t)(nr_cpus > 255 ? 255 : nr_cpus) << 16);
			if (nr_cpus > 1)
				e->edx |= 1u << 28;		/* HTT: count valid */
			e->ecx |= CPUID_1_ECX_HYPERVISOR;
			e->ecx &= ~(1u << 5);			/* no VMX (nested) */
			if (o->tsc_deadline)
				e->ecx |= CPUID_1_ECX_TSC_DEADLINE;
			else
				e->ecx &= ~CPUID_1_ECX_TSC_DEADLINE;
			break;
		case 0xa:					/* no vPMU */
			e->eax = e->ebx = e->ecx = e->edx = 0;
			break;
		case 0xb:
		case 0x1f:
			e->edx = apic_id;
			break;
		case 0x80000001:
			e->ecx &= ~(1u << 2);			/* no SVM (nested) */
			break;
		case 0x8000000a:
			e->eax = e->ebx = e->ecx = e->edx = 0;
			break;
		case 0x80000008:
			e->ecx = (e->ecx & ~0xffu) | ((nr_cpus - 1) & 0xff);
			break;
		case 0x8000001e:
			e->eax = apic_id;
			e->ebx = (e->ebx & ~0xffu) | (apic_id & 0xff);
			e->ecx = 0;
			break;
		}
	}
}
