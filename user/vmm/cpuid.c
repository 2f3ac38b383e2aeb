// SPDX-License-Identifier: GPL-2.0
/* Per-vCPU CPUID (see cpuid.h). */
#include <stdint.h>
#include <string.h>

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

void cpuid_add_timing_leaf(struct kvm_cpuid2 *c, uint32_t tsc_khz)
{
	struct kvm_cpuid_entry2 *base = NULL, *e;
	unsigned int i;

	for (i = 0; i < c->nent; i++) {
		e = &c->entries[i];
		/* "KVMKVMKVM\0\0\0" */
		if (e->function == 0x40000000 && e->ebx == 0x4b4d564b &&
		    e->ecx == 0x564b4d56 && e->edx == 0x4d)
			base = e;
		if (e->function == CPUID_TIMING_LEAF)
			return;			/* KVM announces it itself */
	}
	if (!tsc_khz || !base)
		return;
	if (base->eax < CPUID_TIMING_LEAF)
		base->eax = CPUID_TIMING_LEAF;
	e = &c->entries[c->nent++];
	memset(e, 0, sizeof(*e));
	e->function = CPUID_TIMING_LEAF;
	e->eax = tsc_khz;
	e->ebx = KVM_APIC_BUS_KHZ;
}
