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

#define CPUID_TIMING_LEAF	0x40000010
#define KVM_APIC_BUS_KHZ	1000000		/* KVM's APIC timer: 1 ns per tick */

/*
 * Announce the TSC rate in the hypervisor timing leaf (as QEMU does with
 * vmware-cpuid-freq): EAX the TSC in kHz, EBX the local APIC timer in kHz,
 * and KVM's leaf 0x40000000 raised to reach it.  A guest then needs no TSC
 * calibration against the PIT, which a nested or loaded host can get far
 * wrong.  @c must have room for one entry beyond c->nent; nothing is added
 * when @tsc_khz is 0 or the CPUID has no KVM signature leaf.
 */
void cpuid_add_timing_leaf(struct kvm_cpuid2 *c, uint32_t tsc_khz);

#endif
