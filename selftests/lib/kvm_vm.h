/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A KVM VM that never runs, for irqfd tests: an in-kernel irqchip, one vCPU
 * with its local APIC software-enabled, and one MSI route (GSI -> fixed,
 * edge, physical destination APIC 0, @vector).  An interrupt injected
 * through an irqfd on that GSI stays in vCPU 0's IRR for KVM_GET_LAPIC to
 * read.  Return 0 or -errno and print one line on failure.
 */
#ifndef _SELFTESTS_KVM_VM_H
#define _SELFTESTS_KVM_VM_H

#include <stdbool.h>
#include <stdint.h>

struct kvm_vm {
	int kvm, vm, vcpu;
	unsigned int gsi;
	uint8_t vector;
};

int kvm_vm_create(struct kvm_vm *v, unsigned int gsi, uint8_t vector);
void kvm_vm_destroy(struct kvm_vm *v);
/* KVM_IRQFD: @efd on the VM's GSI, or off it. */
int kvm_vm_irqfd(struct kvm_vm *v, int efd, bool assign);
/* 1 if the route's vector is set in vCPU 0's IRR, 0 if not, -errno. */
int kvm_vm_irr(struct kvm_vm *v);
/* Poll kvm_vm_irr() until it is set or @timeout_ms pass. */
int kvm_vm_wait_irr(struct kvm_vm *v, int timeout_ms);
/* Clear the vector from the IRR (the vCPU never runs to accept it). */
int kvm_vm_clear_irr(struct kvm_vm *v);

#endif /* _SELFTESTS_KVM_VM_H */
