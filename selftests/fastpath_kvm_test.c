// SPDX-License-Identifier: GPL-2.0
/*
 * fastpath_kvm_test: vfpost's irq bypass producer meets KVM's irqfd.
 *
 * A VM with an in-kernel irqchip gets an MSI route (GSI -> vCPU 0's local
 * APIC, vector TEST_VECTOR) and KVM_IRQFD on the eventfd that is also
 * attached to the VF's MSI-X vector 0.  KVM's irqfd consumer then finds
 * vfpost's producer by that eventfd and connects; a device completion
 * arrives in the vCPU's local APIC IRR.  The vCPU never runs, so the IRR
 * bit stays set for KVM_GET_LAPIC to read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "kselftest_harness.h"
#include "fastpath.h"
#include "lab.h"
#include "nvme_drv.h"
#include "vfio_dev.h"

#define MSIX		VFIO_PCI_MSIX_IRQ_INDEX
#define TEST_GSI	24
#define TEST_VECTOR	0x41
#define APIC_SPIV	0xf0
#define APIC_IRR	0x200

FIXTURE(kvm) {
	char bdf[LAB_BDF_LEN];
	struct vfio_dev dev;
	struct nvme_drv nvme;
	int efd, kvm, vm, vcpu;
	bool opened;
};

FIXTURE_SETUP(kvm)
{
	struct {
		struct kvm_irq_routing r;
		struct kvm_irq_routing_entry e[1];
	} rt = { .r.nr = 1 };
	struct kvm_lapic_state lapic;

	self->efd = self->kvm = self->vm = self->vcpu = -1;
	ASSERT_EQ(0, fp_vf_setup(self->bdf));
	ASSERT_EQ(0, vfio_dev_open(&self->dev, self->bdf));
	self->opened = true;
	ASSERT_EQ(0, nvme_drv_init(&self->nvme, &self->dev));
	self->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_LE(0, self->efd);

	self->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->kvm) TH_LOG("/dev/kvm: %m");
	self->vm = ioctl(self->kvm, KVM_CREATE_VM, 0);
	ASSERT_LE(0, self->vm) TH_LOG("KVM_CREATE_VM: %m");
	ASSERT_EQ(0, ioctl(self->vm, KVM_CREATE_IRQCHIP, 0)) TH_LOG("KVM_CREATE_IRQCHIP: %m");
	self->vcpu = ioctl(self->vm, KVM_CREATE_VCPU, 0);
	ASSERT_LE(0, self->vcpu) TH_LOG("KVM_CREATE_VCPU: %m");
	/* Software-enable the local APIC, or it accepts no interrupt. */
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_GET_LAPIC, &lapic));
	*(uint32_t *)&lapic.regs[APIC_SPIV] |= 0x1ff;
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_SET_LAPIC, &lapic));
	/* GSI -> fixed, edge, physical destination APIC 0, TEST_VECTOR. */
	rt.e[0].gsi = TEST_GSI;
	rt.e[0].type = KVM_IRQ_ROUTING_MSI;
	rt.e[0].u.msi.address_lo = 0xfee00000;
	rt.e[0].u.msi.data = TEST_VECTOR;
	ASSERT_EQ(0, ioctl(self->vm, KVM_SET_GSI_ROUTING, &rt.r)) TH_LOG("KVM_SET_GSI_ROUTING: %m");
}

FIXTURE_TEARDOWN(kvm)
{
	if (self->vcpu >= 0)
		close(self->vcpu);
	if (self->vm >= 0)
		close(self->vm);
	if (self->kvm >= 0)
		close(self->kvm);
	if (self->opened) {
		nvme_drv_fini(&self->nvme);
		vfio_dev_close(&self->dev);
	}
	if (self->efd >= 0)
		close(self->efd);
	EXPECT_EQ(0, fp_vf_teardown(self->bdf));
}

static int irqfd(FIXTURE_DATA(kvm) *self, bool assign)
{
	struct kvm_irqfd f = {
		.fd = self->efd,
		.gsi = TEST_GSI,
		.flags = assign ? 0 : KVM_IRQFD_FLAG_DEASSIGN,
	};

	return ioctl(self->vm, KVM_IRQFD, &f);
}

/* 1 if TEST_VECTOR is set in vCPU 0's IRR, 0 if not, -errno. */
static int irr_bit(FIXTURE_DATA(kvm) *self)
{
	struct kvm_lapic_state lapic;
	uint32_t irr;

	if (ioctl(self->vcpu, KVM_GET_LAPIC, &lapic))
		return -errno;
	memcpy(&irr, &lapic.regs[APIC_IRR + TEST_VECTOR / 32 * 0x10], 4);
	return !!(irr & (1u << (TEST_VECTOR % 32)));
}

static int wait_irr(FIXTURE_DATA(kvm) *self, int timeout_ms)
{
	int ret, i;

	for (i = 0; i < timeout_ms / 10; i++) {
		ret = irr_bit(self);
		if (ret)
			return ret;
		usleep(10000);
	}
	return irr_bit(self);
}

/* Major.minor of the running kernel as 100 * major + minor. */
static int kernel_version(void)
{
	struct utsname u;
	int maj = 0, min = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &maj, &min) != 2)
		return 0;
	return maj * 100 + min;
}

TEST_F_TIMEOUT(kvm, device_interrupt_reaches_the_vcpu_lapic, 120)
{
	uint32_t res;

	ASSERT_EQ(0, vfio_dev_irq_set_eventfds(&self->dev, MSIX, 0, 1, &self->efd));
	ASSERT_EQ(0, irqfd(self, true)) TH_LOG("KVM_IRQFD: %m");
	ASSERT_EQ(0, nvme_drv_enable(&self->nvme));
	ASSERT_EQ(0, irr_bit(self)) TH_LOG("IRR set before any interrupt");
	ASSERT_EQ(0, nvme_drv_get_features(&self->nvme, 0x07, &res));
	EXPECT_EQ(1, wait_irr(self, 5000)) TH_LOG("vector 0x%x not in the vCPU's IRR",
						  TEST_VECTOR);
	/* KVM consumed the eventfd: nothing left for userspace. */
	EXPECT_EQ(0, fp_efd_settle(self->efd, 200));
	ASSERT_EQ(0, irqfd(self, false));
}

TEST_F_TIMEOUT(kvm, irqfd_on_the_same_eventfd_connects_the_bypass, 120)
{
	struct vfpost_vector st;

	ASSERT_EQ(0, vfio_dev_irq_set_eventfds(&self->dev, MSIX, 0, 1, &self->efd));
	ASSERT_EQ(0, fp_stats(self->bdf, 0, &st));
	ASSERT_EQ(VFPOST_BYPASS_STATE_REGISTERED, (int)st.bypass);
	ASSERT_EQ(0, fp_trace_start("vfpost_bypass"));
	ASSERT_EQ(0, irqfd(self, true)) TH_LOG("KVM_IRQFD: %m");
	ASSERT_EQ(0, fp_stats(self->bdf, 0, &st));
	if (st.bypass != VFPOST_BYPASS_STATE_CONNECTED && kernel_version() >= 612) {
		fp_trace_stop();
		irqfd(self, false);
		SKIP(return, "kernel %d.%d: KVM registers an irq bypass consumer only "
		     "with posted-interrupt hardware (enable_apicv and IOMMU "
		     "IRQ_POSTING_CAP); the lab's IOMMU posts nothing",
		     kernel_version() / 100, kernel_version() % 100);
	}
	EXPECT_EQ(VFPOST_BYPASS_STATE_CONNECTED, (int)st.bypass);
	EXPECT_EQ(1, fp_trace_count("vfpost_bypass:", "vector=0")) TH_LOG("no connect trace");
	/* Deassigning the irqfd disconnects; the producer stays. */
	ASSERT_EQ(0, irqfd(self, false));
	ASSERT_EQ(0, fp_stats(self->bdf, 0, &st));
	EXPECT_EQ(VFPOST_BYPASS_STATE_REGISTERED, (int)st.bypass);
	EXPECT_EQ(1, fp_trace_count("vfpost_bypass:", " off"));
	/* Connecting again, then detaching the vector while connected. */
	ASSERT_EQ(0, irqfd(self, true));
	ASSERT_EQ(0, fp_stats(self->bdf, 0, &st));
	EXPECT_EQ(VFPOST_BYPASS_STATE_CONNECTED, (int)st.bypass);
	ASSERT_EQ(0, vfio_dev_irq_set_eventfds(&self->dev, MSIX, 0, 0, NULL));
	EXPECT_EQ(-ENOENT, fp_stats(self->bdf, 0, &st));
	EXPECT_EQ(2, fp_trace_count("vfpost_bypass:", " off"));
	fp_trace_stop();
	ASSERT_EQ(0, irqfd(self, false));
}

TEST_F_TIMEOUT(kvm, connected_vector_still_masks_and_replays, 120)
{
	uint32_t res;

	ASSERT_EQ(0, vfio_dev_irq_set_eventfds(&self->dev, MSIX, 0, 1, &self->efd));
	ASSERT_EQ(0, irqfd(self, true));
	ASSERT_EQ(0, nvme_drv_enable(&self->nvme));
	ASSERT_EQ(0, vfio_dev_irq_action(&self->dev, MSIX, VFIO_IRQ_SET_ACTION_MASK, 0, 1));
	ASSERT_EQ(0, nvme_drv_get_features(&self->nvme, 0x07, &res));
	usleep(300000);
	EXPECT_EQ(0, irr_bit(self)) TH_LOG("delivered to the vCPU while masked");
	EXPECT_EQ(1, nvme_drv_pba_bit(&self->nvme, 0));
	ASSERT_EQ(0, vfio_dev_irq_action(&self->dev, MSIX, VFIO_IRQ_SET_ACTION_UNMASK, 0, 1));
	EXPECT_EQ(1, wait_irr(self, 5000));
	ASSERT_EQ(0, irqfd(self, false));
}

TEST_HARNESS_MAIN
