// SPDX-License-Identifier: GPL-2.0
/*
 * fastpath_kvm_test: vfpost's irq bypass producer meets KVM's irqfd.
 *
 * A VM with an in-kernel irqchip gets an MSI route (GSI -> vCPU 0's local
 * APIC, vector TEST_VECTOR) and KVM_IRQFD on the eventfd that is also
 * attached to the VF's MSI-X vector 0.  KVM's irqfd consumer then finds
 * vfpost's producer by that eventfd and connects; a device completion
 * arrives in the vCPU's local APIC IRR.  The vCPU never runs, so the IRR
 * bit stays set for KVM_GET_LAPIC to read.  The device interrupts come
 * from the VF's driver (lib/vf_drv.h); the VF is the lab's, or the one
 * VFPOST_BDF names or fp_vf_setup() finds on a machine with SR-IOV
 * hardware.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
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
#include "kvm_vm.h"
#include "lab.h"
#include "vf_drv.h"
#include "vfio_dev.h"

#define MSIX		VFIO_PCI_MSIX_IRQ_INDEX
#define TEST_GSI	24
#define TEST_VECTOR	0x41

FIXTURE(kvm) {
	char bdf[LAB_BDF_LEN];
	struct vfio_dev dev;
	struct vf_drv drv;
	struct kvm_vm kvm;
	int efd;
	bool opened;
};

FIXTURE_SETUP(kvm)
{
	char why[512];
	int ret;

	self->efd = -1;
	self->kvm.kvm = self->kvm.vm = self->kvm.vcpu = -1;
	ret = fp_vf_open(self->bdf, &self->dev, &self->drv, why, sizeof(why));
	if (ret == -ENODEV)
		SETUP_SKIP("%s", why);
	ASSERT_EQ(0, ret);
	self->opened = true;
	self->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_LE(0, self->efd);
	ASSERT_EQ(0, kvm_vm_create(&self->kvm, TEST_GSI, TEST_VECTOR));
}

FIXTURE_TEARDOWN(kvm)
{
	kvm_vm_destroy(&self->kvm);
	if (self->opened) {
		vf_drv_remove(&self->drv);
		vfio_dev_close(&self->dev);
	}
	if (self->efd >= 0)
		close(self->efd);
	EXPECT_EQ(0, fp_vf_teardown(self->bdf));
}

static int irqfd(FIXTURE_DATA(kvm) *self, bool assign)
{
	return kvm_vm_irqfd(&self->kvm, self->efd, assign);
}

static int irr_bit(FIXTURE_DATA(kvm) *self)
{
	return kvm_vm_irr(&self->kvm);
}

static int wait_irr(FIXTURE_DATA(kvm) *self, int timeout_ms)
{
	return kvm_vm_wait_irr(&self->kvm, timeout_ms);
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
	ASSERT_EQ(0, vfio_dev_irq_set_eventfds(&self->dev, MSIX, 0, 1, &self->efd));
	ASSERT_EQ(0, irqfd(self, true)) TH_LOG("KVM_IRQFD: %m");
	ASSERT_EQ(0, vf_drv_init(&self->drv));
	ASSERT_EQ(0, irr_bit(self)) TH_LOG("IRR set before any interrupt");
	ASSERT_EQ(0, vf_drv_raise(&self->drv, 0));
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
		     "IRQ_POSTING_CAP), and this host posts nothing (the lab's IOMMU never does)",
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
	ASSERT_EQ(0, vfio_dev_irq_set_eventfds(&self->dev, MSIX, 0, 1, &self->efd));
	ASSERT_EQ(0, irqfd(self, true));
	ASSERT_EQ(0, vf_drv_init(&self->drv));
	ASSERT_EQ(0, vfio_dev_irq_action(&self->dev, MSIX, VFIO_IRQ_SET_ACTION_MASK, 0, 1));
	ASSERT_EQ(0, vf_drv_raise(&self->drv, 0));
	usleep(300000);
	EXPECT_EQ(0, irr_bit(self)) TH_LOG("delivered to the vCPU while masked");
	EXPECT_EQ(1, vf_drv_pba_bit(&self->drv, 0));
	ASSERT_EQ(0, vfio_dev_irq_action(&self->dev, MSIX, VFIO_IRQ_SET_ACTION_UNMASK, 0, 1));
	EXPECT_EQ(1, wait_irr(self, 5000));
	ASSERT_EQ(0, irqfd(self, false));
}

TEST_HARNESS_MAIN
