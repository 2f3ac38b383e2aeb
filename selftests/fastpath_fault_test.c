// SPDX-License-Identifier: GPL-2.0
/*
 * fastpath_fault_test: a SET_IRQS range that fails part-way changes
 * nothing.  Debian's kernels have no fault injection, so the test-only
 * module selftests/kmod/vfpost_fault.ko makes one chosen request_irq() of
 * this process fail, at the first or second vector of a two-vector range,
 * 20 times each.  Afterwards every vector has exactly its previous eventfd,
 * mask state and latched software trigger, delivers device interrupts, and
 * MSI-X is off again if the request had turned it on.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "fastpath.h"
#include "fault.h"
#include "lab.h"
#include "nvme_drv.h"
#include "vfio_dev.h"

#define MSIX	VFIO_PCI_MSIX_IRQ_INDEX
#define ROUNDS	20

FIXTURE(vf) {
	char bdf[LAB_BDF_LEN];
	struct vfio_dev dev;
	struct nvme_drv nvme;
	int efd[4];		/* A, B: current; C, D: the failing request's */
	bool opened;
};

FIXTURE_SETUP(vf)
{
	int i;

	for (i = 0; i < 4; i++)
		self->efd[i] = -1;
	ASSERT_EQ(0, fp_vf_setup(self->bdf));
	ASSERT_EQ(0, fault_load("request_threaded_irq"));
	ASSERT_EQ(0, vfio_dev_open(&self->dev, self->bdf));
	self->opened = true;
	ASSERT_EQ(0, nvme_drv_init(&self->nvme, &self->dev));
	for (i = 0; i < 4; i++) {
		self->efd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		ASSERT_LE(0, self->efd[i]);
	}
}

FIXTURE_TEARDOWN(vf)
{
	int i;

	EXPECT_EQ(0, fault_unload());
	if (self->opened) {
		nvme_drv_fini(&self->nvme);
		vfio_dev_close(&self->dev);
	}
	EXPECT_EQ(0, fp_vfpost_irqs()) TH_LOG("vfpost irq left after close");
	for (i = 0; i < 4; i++)
		if (self->efd[i] >= 0)
			close(self->efd[i]);
	EXPECT_EQ(0, fp_vf_teardown(self->bdf));
}

/* SET_IRQS of [0, 2) with the eventfds @fds on @dev, vector @nth failing. */
static int set_range_failing(int dev, int nth, const int *fds)
{
	struct {
		struct vfio_irq_set hdr;
		int32_t fd[2];
	} req = {
		.hdr = { .argsz = sizeof(req), .index = MSIX, .count = 2,
			 .flags = VFIO_IRQ_SET_DATA_EVENTFD |
				  VFIO_IRQ_SET_ACTION_TRIGGER },
		.fd = { fds[0], fds[1] },
	};
	int ret;

	if (fault_arm(nth, -ENOMEM))
		return -EIO;
	ret = ioctl(dev, VFIO_DEVICE_SET_IRQS, &req) ? -errno : 0;
	fault_disarm();
	return ret;
}

/* Everything that arrived on each of the four eventfds, after a settle. */
static void drain(FIXTURE_DATA(vf) *self, long got[4])
{
	int i;

	for (i = 0; i < 4; i++)
		got[i] = fp_efd_settle(self->efd[i], 50);
}

/*
 * Vectors 0 and 1 on A and B, vector 1 masked with a software trigger
 * latched; a request to move both to C and D fails at vector @nth.  Both
 * vectors keep A and B, vector 1 stays masked and delivers its latched
 * trigger on unmask, vector 0 delivers device interrupts.
 */
static void fail_live_range(struct __test_metadata *_metadata,
			    FIXTURE_DATA(vf) *self, int nth)
{
	long injected = fault_injected(), got[4];
	uint32_t res;
	int round;

	ASSERT_EQ(0, vfio_dev_irq_set_eventfds(&self->dev, MSIX, 0, 2, self->efd));
	ASSERT_EQ(0, nvme_drv_enable(&self->nvme));
	for (round = 0; round < ROUNDS; round++) {
		drain(self, got);
		ASSERT_EQ(0, vfio_dev_irq_action(&self->dev, MSIX,
						 VFIO_IRQ_SET_ACTION_MASK, 1, 1));
		ASSERT_EQ(0, vfio_dev_irq_action(&self->dev, MSIX,
						 VFIO_IRQ_SET_ACTION_TRIGGER, 1, 1));
		ASSERT_EQ(-ENOMEM, set_range_failing(self->dev.fd, nth, &self->efd[2]))
			TH_LOG("round %d: the request did not fail", round);
		ASSERT_EQ(injected + round + 1, fault_injected());

		ASSERT_EQ(2, fp_vfpost_irqs()) TH_LOG("round %d", round);
		/* Vector 0: A, for software and device interrupts. */
		ASSERT_EQ(0, vfio_dev_irq_action(&self->dev, MSIX,
						 VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1));
		ASSERT_EQ(0, nvme_drv_get_features(&self->nvme, 0x07, &res));
		EXPECT_EQ(2, fp_efd_wait(self->efd[0], 2, 5000)) TH_LOG("round %d", round);
		/* Vector 1: still masked, its latched trigger still there. */
		EXPECT_EQ(0, fp_efd_settle(self->efd[1], 50)) TH_LOG("round %d", round);
		ASSERT_EQ(0, vfio_dev_irq_action(&self->dev, MSIX,
						 VFIO_IRQ_SET_ACTION_UNMASK, 1, 1));
		EXPECT_EQ(1, fp_efd_wait(self->efd[1], 1, 5000)) TH_LOG("round %d", round);
		drain(self, got);
		EXPECT_EQ(0, got[2] + got[3]) TH_LOG("round %d: the failed request's eventfds fired", round);
	}
}

TEST_F_TIMEOUT(vf, failure_at_the_second_vector_restores_both, 300)
{
	fail_live_range(_metadata, self, 2);
}

TEST_F_TIMEOUT(vf, failure_at_the_first_vector_changes_nothing, 300)
{
	fail_live_range(_metadata, self, 1);
}

/*
 * MSI-X off; a request for [0, 2) fails part-way: MSI-X is off again (no
 * host vector left), and the next request works.
 */
TEST_F_TIMEOUT(vf, failed_first_attach_leaves_msix_off, 300)
{
	long injected = fault_injected();
	uint32_t res;
	int round;

	for (round = 0; round < ROUNDS; round++) {
		ASSERT_EQ(-ENOMEM, set_range_failing(self->dev.fd, 1 + round % 2, self->efd))
			TH_LOG("round %d: the request did not fail", round);
		ASSERT_EQ(injected + round + 1, fault_injected());
		EXPECT_EQ(0, fp_msi_irqs(self->bdf)) TH_LOG("round %d: MSI-X left on", round);
		EXPECT_EQ(0, fp_vfpost_irqs()) TH_LOG("round %d", round);
	}
	ASSERT_EQ(0, vfio_dev_irq_set_eventfds(&self->dev, MSIX, 0, 2, self->efd));
	ASSERT_EQ(0, nvme_drv_enable(&self->nvme));
	ASSERT_EQ(0, nvme_drv_get_features(&self->nvme, 0x07, &res));
	EXPECT_EQ(1, fp_efd_wait(self->efd[0], 1, 5000));
}

TEST_HARNESS_MAIN
