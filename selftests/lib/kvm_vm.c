// SPDX-License-Identifier: GPL-2.0
/* A KVM VM for irqfd tests; see kvm_vm.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "kvm_vm.h"

#define APIC_SPIV	0xf0
#define APIC_IRR	0x200

#define fail(what) ({							\
	int __e = errno;						\
	fprintf(stderr, "kvm_vm: %s: %s\n", what, strerror(__e));	\
	-__e;								\
})

int kvm_vm_create(struct kvm_vm *v, unsigned int gsi, uint8_t vector)
{
	struct {
		struct kvm_irq_routing r;
		struct kvm_irq_routing_entry e[1];
	} rt = { .r.nr = 1 };
	struct kvm_lapic_state lapic;
	int ret;

	v->kvm = v->vm = v->vcpu = -1;
	v->gsi = gsi;
	v->vector = vector;
	v->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (v->kvm < 0)
		return fail("/dev/kvm");
	v->vm = ioctl(v->kvm, KVM_CREATE_VM, 0);
	if (v->vm < 0) {
		ret = fail("KVM_CREATE_VM");
		goto err;
	}
	if (ioctl(v->vm, KVM_CREATE_IRQCHIP, 0)) {
		ret = fail("KVM_CREATE_IRQCHIP");
		goto err;
	}
	v->vcpu = ioctl(v->vm, KVM_CREATE_VCPU, 0);
	if (v->vcpu < 0) {
		ret = fail("KVM_CREATE_VCPU");
		goto err;
	}
	/* Software-enable the local APIC, or it accepts no interrupt. */
	if (ioctl(v->vcpu, KVM_GET_LAPIC, &lapic)) {
		ret = fail("KVM_GET_LAPIC");
		goto err;
	}
	*(uint32_t *)&lapic.regs[APIC_SPIV] |= 0x1ff;
	if (ioctl(v->vcpu, KVM_SET_LAPIC, &lapic)) {
		ret = fail("KVM_SET_LAPIC");
		goto err;
	}
	rt.e[0].gsi = gsi;
	rt.e[0].type = KVM_IRQ_ROUTING_MSI;
	rt.e[0].u.msi.address_lo = 0xfee00000;
	rt.e[0].u.msi.data = vector;
	if (ioctl(v->vm, KVM_SET_GSI_ROUTING, &rt.r)) {
		ret = fail("KVM_SET_GSI_ROUTING");
		goto err;
	}
	return 0;
err:
	kvm_vm_destroy(v);
	return ret;
}

void kvm_vm_destroy(struct kvm_vm *v)
{
	if (v->vcpu >= 0)
		close(v->vcpu);
	if (v->vm >= 0)
		close(v->vm);
	if (v->kvm >= 0)
		close(v->kvm);
	v->vcpu = v->vm = v->kvm = -1;
}

int kvm_vm_irqfd(struct kvm_vm *v, int efd, bool assign)
{
	struct kvm_irqfd f = {
		.fd = efd,
		.gsi = v->gsi,
		.flags = assign ? 0 : KVM_IRQFD_FLAG_DEASSIGN,
	};

	return ioctl(v->vm, KVM_IRQFD, &f) ? -errno : 0;
}

static uint32_t *irr_word(struct kvm_lapic_state *lapic, uint8_t vector)
{
	return (uint32_t *)&lapic->regs[APIC_IRR + vector / 32 * 0x10];
}

int kvm_vm_irr(struct kvm_vm *v)
{
	struct kvm_lapic_state lapic;

	if (ioctl(v->vcpu, KVM_GET_LAPIC, &lapic))
		return -errno;
	return !!(*irr_word(&lapic, v->vector) & (1u << (v->vector % 32)));
}

int kvm_vm_wait_irr(struct kvm_vm *v, int timeout_ms)
{
	int ret, i;

	for (i = 0; i < timeout_ms / 10; i++) {
		ret = kvm_vm_irr(v);
		if (ret)
			return ret;
		usleep(10000);
	}
	return kvm_vm_irr(v);
}

int kvm_vm_clear_irr(struct kvm_vm *v)
{
	struct kvm_lapic_state lapic;

	if (ioctl(v->vcpu, KVM_GET_LAPIC, &lapic))
		return -errno;
	*irr_word(&lapic, v->vector) &= ~(1u << (v->vector % 32));
	return ioctl(v->vcpu, KVM_SET_LAPIC, &lapic) ? -errno : 0;
}
