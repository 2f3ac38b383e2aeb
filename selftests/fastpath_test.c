// SPDX-License-Identifier: GPL-2.0
/*
 * fastpath_test: vfpost's MSI-X path with real device interrupts.  A VF is
 * bound to vfpost, opened through VFIO and driven by its device driver of
 * lib/vf_drv.h, which raises a device interrupt on vector 0 or 1 on
 * request (the NVMe driver: an admin completion raises vector 0, an I/O
 * completion on queue pair 1 vector 1).  The VF is the lab's, or on a
 * machine with SR-IOV hardware the one VFPOST_BDF names or that
 * fp_vf_setup() finds.
 *
 * Host-path counts are read both from vfpost's statistics (netlink, through
 * libvfpost) and from /proc/interrupts (the irq core's count for the
 * vector's host irq), which must agree.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vf_fixture.h"
#include "fastpath.h"
#include "lab.h"
#include "vf_drv.h"
#include "vfio_dev.h"

FIXTURE_SETUP(vf)
{
	vf_fixture_open(_metadata, self);
}

FIXTURE_TEARDOWN(vf)
{
	vf_fixture_close(_metadata, self);
}

/* Attach vector 0 and initialise the driver (ready to raise vector 0). */
static int start_admin(FIXTURE_DATA(vf) *self)
{
	return vf_fixture_start(self);
}

TEST_F_TIMEOUT(vf, msix_irq_info_is_maskable_and_resizable, 120)
{
	struct vfio_irq_info info;

	ASSERT_EQ(0, vfio_dev_irq_info(&self->dev, MSIX, &info));
	/* The lab's VFs have 2 vectors (scripts/vmtest --nvme-vectors). */
	if (lab_only_ok(NULL, 0))
		EXPECT_EQ(2u, info.count);
	EXPECT_LE(self->drv.nvec, info.count);
	EXPECT_TRUE(!!(info.flags & VFIO_IRQ_INFO_EVENTFD));
	EXPECT_TRUE(!!(info.flags & VFIO_IRQ_INFO_MASKABLE));
	EXPECT_FALSE(!!(info.flags & VFIO_IRQ_INFO_NORESIZE));
}

TEST_F_TIMEOUT(vf, completions_equal_eventfd_and_host_counts, 120)
{
	const int n = 40;
	struct vfpost_vector st;
	long got = 0;
	int i;

	ASSERT_EQ(0, start_admin(self));
	ASSERT_EQ(0, fp_host_count(self->bdf, 0)) TH_LOG("interrupts before any command");
	for (i = 1; i <= n; i++) {
		ASSERT_EQ(0, vf_drv_raise(&self->drv, 0));
		got += fp_efd_wait(self->efd[0], i - got, 5000);
		ASSERT_EQ(i, got) TH_LOG("completion %d: eventfd total %llu",
						   i, (long long)got);
	}
	got += fp_efd_settle(self->efd[0], 300);
	EXPECT_EQ(n, got);
	EXPECT_EQ(n, fp_host_count(self->bdf, 0));
	ASSERT_EQ(0, fp_stats(self->bdf, 0, &st));
	EXPECT_EQ((uint64_t)n, st.host_hits);
	EXPECT_EQ(0u, st.masked_hits);
	EXPECT_FALSE(st.masked);
	EXPECT_FALSE(st.pending);
	EXPECT_LT(0u, st.host_irq);
	EXPECT_LE(0, st.last_cpu);
	/* No KVM irqfd on this eventfd: a producer without a consumer. */
	EXPECT_EQ(VFPOST_BYPASS_STATE_REGISTERED, (int)st.bypass);
	/* Vector 1 has no eventfd: not reported. */
	EXPECT_EQ(-ENOENT, fp_stats(self->bdf, 1, &st));
}

struct admin_loop {
	struct vf_drv *drv;
	int efd, n, done, err;
	long seen;
};

static void *admin_loop(void *arg)
{
	struct admin_loop *a = arg;
	int i;

	for (i = 0; i < a->n; i++) {
		if (vf_drv_raise(a->drv, 0)) {
			a->err = -EIO;
			break;
		}
		a->seen += fp_efd_wait(a->efd, i + 1 - a->seen, 5000);
		if (a->seen != i + 1) {
			a->err = -ETIMEDOUT;
			break;
		}
	}
	__atomic_store_n(&a->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

TEST_F_TIMEOUT(vf, attaching_vector1_loses_nothing_on_live_vector0, 120)
{
	struct admin_loop a = { .drv = &self->drv, .efd = self->efd[0], .n = 60 };
	int minus1 = -1, attaches = 0;
	long before;
	pthread_t t;

	VF_NEEDS_VECTORS(self, 2);
	ASSERT_EQ(0, start_admin(self));
	/*
	 * Vector 1 armed before it has an eventfd.  That may raise vector 0
	 * (the NVMe driver's two queue-creation commands): counted from here.
	 */
	ASSERT_EQ(0, vf_drv_arm(&self->drv, 1));
	fp_efd_settle(self->efd[0], 300);
	before = fp_host_count(self->bdf, 0);
	ASSERT_LE(0, before);
	ASSERT_EQ(0, pthread_create(&t, NULL, admin_loop, &a));
	/* Attach, detach and re-attach vector 1 while vector 0 is busy. */
	while (!__atomic_load_n(&a.done, __ATOMIC_ACQUIRE)) {
		ASSERT_EQ(0, vfio_dev_irq_set_eventfds(&self->dev, MSIX, 1, 1,
						       &self->efd[1]));
		ASSERT_EQ(0, vfio_dev_irq_set_eventfds(&self->dev, MSIX, 1, 1, &minus1));
		attaches++;
	}
	pthread_join(t, NULL);
	ASSERT_EQ(0, a.err) TH_LOG("vector 0 lost an interrupt after %llu",
				   (long long)a.seen);
	TH_LOG("%d attach/detach cycles of vector 1 during %d commands", attaches, a.n);
	EXPECT_LT(0, attaches);
	EXPECT_EQ(0, fp_efd_settle(self->efd[0], 300));
	EXPECT_EQ(before + a.n, fp_host_count(self->bdf, 0));
	/* Vector 1 works once attached for good. */
	ASSERT_EQ(0, vfio_dev_irq_set_eventfds(&self->dev, MSIX, 1, 1, &self->efd[1]));
	fp_efd_settle(self->efd[1], 100);
	ASSERT_EQ(0, vf_drv_raise(&self->drv, 1));
	EXPECT_EQ(1, fp_efd_wait(self->efd[1], 1, 5000));
	EXPECT_EQ(0, fp_efd_settle(self->efd[0], 200));
}

TEST_F_TIMEOUT(vf, masked_vector_latches_pending_and_unmask_delivers_once, 120)
{
	struct vfpost_vector st;

	ASSERT_EQ(0, start_admin(self));
	ASSERT_EQ(0, vfio_dev_irq_action(&self->dev, MSIX, VFIO_IRQ_SET_ACTION_MASK, 0, 1));
	ASSERT_EQ(0, vf_drv_raise(&self->drv, 0));
	EXPECT_EQ(0, fp_efd_settle(self->efd[0], 500)) TH_LOG("delivered while masked");
	EXPECT_EQ(1, vf_drv_pba_bit(&self->drv, 0)) TH_LOG("PBA bit not latched");
	EXPECT_EQ(0, fp_host_count(self->bdf, 0));
	ASSERT_EQ(0, fp_stats(self->bdf, 0, &st));
	EXPECT_TRUE(st.masked);
	EXPECT_TRUE(st.pending);
	EXPECT_EQ(0u, st.host_hits);
	ASSERT_EQ(0, vfio_dev_irq_action(&self->dev, MSIX, VFIO_IRQ_SET_ACTION_UNMASK, 0, 1));
	EXPECT_EQ(1, fp_efd_wait(self->efd[0], 1, 5000));
	EXPECT_EQ(0, fp_efd_settle(self->efd[0], 500)) TH_LOG("more than one delivery");
	EXPECT_EQ(0, vf_drv_pba_bit(&self->drv, 0));
	EXPECT_EQ(1, fp_host_count(self->bdf, 0));
	ASSERT_EQ(0, fp_stats(self->bdf, 0, &st));
	EXPECT_FALSE(st.masked);
	EXPECT_FALSE(st.pending);
	EXPECT_EQ(1u, st.host_hits);
	EXPECT_EQ(1u, st.masked_hits);
	/* Unmasked again: one completion, one interrupt. */
	ASSERT_EQ(0, vf_drv_raise(&self->drv, 0));
	EXPECT_EQ(1, fp_efd_wait(self->efd[0], 1, 5000));
}

TEST_F_TIMEOUT(vf, unmask_without_pending_delivers_nothing, 120)
{
	ASSERT_EQ(0, start_admin(self));
	ASSERT_EQ(0, vfio_dev_irq_action(&self->dev, MSIX, VFIO_IRQ_SET_ACTION_MASK, 0, 1));
	ASSERT_EQ(0, vfio_dev_irq_action(&self->dev, MSIX, VFIO_IRQ_SET_ACTION_UNMASK, 0, 1));
	EXPECT_EQ(0, fp_efd_settle(self->efd[0], 300));
	EXPECT_EQ(0, fp_host_count(self->bdf, 0));
}

TEST_F_TIMEOUT(vf, detached_vector_delivers_nothing_and_reattach_works, 120)
{
	int minus1 = -1, efd2;

	ASSERT_EQ(0, start_admin(self));
	ASSERT_EQ(0, vf_drv_raise(&self->drv, 0));
	ASSERT_EQ(1, fp_efd_wait(self->efd[0], 1, 5000));
	ASSERT_EQ(0, vfio_dev_irq_set_eventfds(&self->dev, MSIX, 0, 1, &minus1));
	EXPECT_EQ(-1, fp_host_count(self->bdf, 0)) TH_LOG("irq still requested");
	ASSERT_EQ(0, vf_drv_raise(&self->drv, 0));
	EXPECT_EQ(0, fp_efd_settle(self->efd[0], 500)) TH_LOG("delivered after detach");
	/* The device latched it: a detached vector is masked in its table. */
	EXPECT_EQ(1, vf_drv_pba_bit(&self->drv, 0));

	efd2 = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_LE(0, efd2);
	ASSERT_EQ(0, vfio_dev_irq_set_eventfds(&self->dev, MSIX, 0, 1, &efd2));
	/* The latched message arrives once on the new eventfd... */
	EXPECT_EQ(1, fp_efd_wait(efd2, 1, 5000));
	EXPECT_EQ(0, fp_efd_settle(efd2, 300));
	/* ...and new completions too. */
	ASSERT_EQ(0, vf_drv_raise(&self->drv, 0));
	EXPECT_EQ(1, fp_efd_wait(efd2, 1, 5000));
	EXPECT_EQ(0, fp_efd_settle(self->efd[0], 100));
	close(efd2);
}

TEST_F_TIMEOUT(vf, software_trigger_honours_mask, 120)
{
	struct vfio_irq_set *s;
	uint8_t buf[sizeof(*s) + 2];

	ASSERT_EQ(0, vfio_dev_irq_set_eventfds(&self->dev, MSIX, 0, 2, self->efd));
	ASSERT_EQ(0, vfio_dev_irq_action(&self->dev, MSIX, VFIO_IRQ_SET_ACTION_TRIGGER, 0, 2));
	EXPECT_EQ(1, fp_efd_wait(self->efd[0], 1, 1000));
	EXPECT_EQ(1, fp_efd_wait(self->efd[1], 1, 1000));
	/* DATA_BOOL: only vector 1. */
	s = (struct vfio_irq_set *)buf;
	*s = (struct vfio_irq_set){
		.argsz = sizeof(buf), .index = MSIX, .start = 0, .count = 2,
		.flags = VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER,
	};
	s->data[0] = 0;
	s->data[1] = 1;
	ASSERT_EQ(0, ioctl(self->dev.fd, VFIO_DEVICE_SET_IRQS, s));
	EXPECT_EQ(0, fp_efd_settle(self->efd[0], 200));
	EXPECT_EQ(1, fp_efd_wait(self->efd[1], 1, 1000));
	/* Masked: latched, then delivered once on unmask. */
	ASSERT_EQ(0, vfio_dev_irq_action(&self->dev, MSIX, VFIO_IRQ_SET_ACTION_MASK, 1, 1));
	ASSERT_EQ(0, vfio_dev_irq_action(&self->dev, MSIX, VFIO_IRQ_SET_ACTION_TRIGGER, 1, 1));
	ASSERT_EQ(0, vfio_dev_irq_action(&self->dev, MSIX, VFIO_IRQ_SET_ACTION_TRIGGER, 1, 1));
	EXPECT_EQ(0, fp_efd_settle(self->efd[1], 200));
	ASSERT_EQ(0, vfio_dev_irq_action(&self->dev, MSIX, VFIO_IRQ_SET_ACTION_UNMASK, 1, 1));
	EXPECT_EQ(1, fp_efd_wait(self->efd[1], 1, 1000));
	EXPECT_EQ(0, fp_efd_settle(self->efd[1], 200));
}

TEST_F_TIMEOUT(vf, bad_set_irqs_input_is_refused, 120)
{
	int bad[2] = { self->efd[0], -5 };
	int notefd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	struct vfio_irq_info info;

	ASSERT_LE(0, notefd);
	ASSERT_EQ(0, vfio_dev_irq_info(&self->dev, MSIX, &info));
	/* Out of range, negative fd, not an eventfd, unmask by eventfd. */
	EXPECT_NE(0, vfio_dev_irq_set_eventfds(&self->dev, MSIX, info.count - 1, 2, self->efd));
	EXPECT_NE(0, vfio_dev_irq_set_eventfds(&self->dev, MSIX, 0, 2, bad));
	EXPECT_NE(0, vfio_dev_irq_set_eventfds(&self->dev, MSIX, 0, 1, &notefd));
	/* Nothing half-done: no vfpost irq requested. */
	EXPECT_EQ(-1, fp_host_count(self->bdf, 0));
	close(notefd);
}

TEST_F_TIMEOUT(vf, disabling_the_index_frees_every_host_vector, 120)
{

	ASSERT_EQ(0, vfio_dev_irq_set_eventfds(&self->dev, MSIX, 0, 2, self->efd));
	EXPECT_EQ(0, fp_host_count(self->bdf, 0));
	EXPECT_EQ(0, fp_host_count(self->bdf, 1));
	ASSERT_EQ(0, vfio_dev_irq_set_eventfds(&self->dev, MSIX, 0, 0, NULL));
	EXPECT_EQ(0, fp_vf_irq_lines("vfpost-msix[", self->bdf));
	/* And it comes back. */
	ASSERT_EQ(0, start_admin(self));
	ASSERT_EQ(0, vf_drv_raise(&self->drv, 0));
	EXPECT_EQ(1, fp_efd_wait(self->efd[0], 1, 5000));
}

TEST_F_TIMEOUT(vf, tracepoints_record_fire_and_mask, 120)
{
	int i;

	ASSERT_EQ(0, fp_trace_start("vfpost_vector_fire vfpost_vector_mask vfpost_vector_attach"));
	ASSERT_EQ(0, start_admin(self));
	/* One interrupt taken per raise, so none merge (see nvme_drv.h). */
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, vf_drv_raise(&self->drv, 0));
		ASSERT_EQ(1, fp_efd_wait(self->efd[0], 1, 5000));
	}
	EXPECT_EQ(0, fp_efd_settle(self->efd[0], 300));
	ASSERT_EQ(0, vfio_dev_irq_action(&self->dev, MSIX, VFIO_IRQ_SET_ACTION_MASK, 0, 1));
	ASSERT_EQ(0, vfio_dev_irq_action(&self->dev, MSIX, VFIO_IRQ_SET_ACTION_UNMASK, 0, 1));
	EXPECT_EQ(3, fp_trace_count("vfpost_vector_fire:", self->bdf + 5));
	EXPECT_EQ(1, fp_trace_count("vfpost_vector_attach:", " on"));
	EXPECT_EQ(1, fp_trace_count("vfpost_vector_mask:", " masked"));
	EXPECT_EQ(1, fp_trace_count("vfpost_vector_mask:", " unmasked"));
	fp_trace_stop();
}

/* Dynamic MSI-X (pci_msix_alloc_irq_at) exists from 6.2; x86 allows it. */
static bool kernel_has_dyn_msix(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return false;
	return major > 6 || (major == 6 && minor >= 2);
}

/*
 * Host vectors on demand: where the kernel has dynamic MSI-X, attaching
 * vector 0 allocates one host vector, not the whole table; vector 1 gets
 * its own at its first attach and works at once.  On 6.1 the whole table
 * is allocated at the first attach.
 */
TEST_F_TIMEOUT(vf, host_vectors_are_allocated_per_attached_vector, 120)
{
	struct vfio_irq_info info;
	bool dyn = kernel_has_dyn_msix();

	ASSERT_EQ(0, vfio_dev_irq_info(&self->dev, MSIX, &info));
	ASSERT_LE(2u, info.count);
	EXPECT_EQ(0, fp_msi_irqs(self->bdf));
	ASSERT_EQ(0, start_admin(self));
	TH_LOG("%s: %d host vectors for 1 attached of %u",
	       dyn ? "dynamic MSI-X" : "whole table", fp_msi_irqs(self->bdf), info.count);
	EXPECT_EQ(dyn ? 1 : (int)info.count, fp_msi_irqs(self->bdf));
	ASSERT_EQ(0, vf_drv_raise(&self->drv, 0));
	EXPECT_EQ(1, fp_efd_wait(self->efd[0], 1, 5000));

	ASSERT_EQ(0, vfio_dev_irq_set_eventfds(&self->dev, MSIX, 1, 1, &self->efd[1]));
	EXPECT_EQ(dyn ? 2 : (int)info.count, fp_msi_irqs(self->bdf));
	EXPECT_EQ(2, fp_vf_irq_lines("vfpost-msix[", self->bdf));
	ASSERT_EQ(0, vfio_dev_irq_action(&self->dev, MSIX, VFIO_IRQ_SET_ACTION_TRIGGER, 1, 1));
	EXPECT_EQ(1, fp_efd_wait(self->efd[1], 1, 5000));
	/* Vector 0 keeps working after the table grew under it. */
	ASSERT_EQ(0, vf_drv_raise(&self->drv, 0));
	EXPECT_EQ(1, fp_efd_wait(self->efd[0], 1, 5000));

	/* Disabling the index gives every host vector back. */
	ASSERT_EQ(0, vfio_dev_irq_set_eventfds(&self->dev, MSIX, 0, 0, NULL));
	EXPECT_EQ(0, fp_msi_irqs(self->bdf));
	EXPECT_EQ(0, fp_vf_irq_lines("vfpost-msix[", self->bdf));
}

TEST_HARNESS_MAIN
