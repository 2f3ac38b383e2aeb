/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The CPUID a vCPU sees: KVM's supported CPUID, with the topology of this
 * VM, what vibevmm does not emulate hidden, and what KVM emulates but
 * leaves to the VMM to announce (the TSC-deadline timer) added.
 */
#ifndef VIBEVMM_CPUID_H
#define VIBEVMM_CPUID_H

#include <stdbool.h>
#include <linux/kvm.h>

#define CPUID_1_ECX_TSC_DEADLINE	(1u << 24)
#define CPUID_1_ECX_HYPERVISOR		(1u << 31)

struct cpuid_opts {
	int apic_id;
	int nr_cpus;
	/*
	 * KVM_CAP_TSC_DEADLINE_TIMER: KVM emulates the timer but
	 * KVM_GET_SUPPORTED_CPUID does not list it.  Announced, the guest
	 * arms its local APIC timer by TSC deadline: no PIT as clock event,
	 * no APIC timer calibration against the PIT (which a slow or loaded
	 * host fails, leaving the guest on the PIT for good).
	 */
	bool tsc_deadline;
};

/* Patch one vCPU's copy of the supported CPUID in place. */
void cpuid_patch(struct kvm_cpuid2 *c, const struct cpuid_opts *o);

#endif
