// SPDX-License-Identifier: GPL-2.0
/*
 * fastpath_fault_test: a SET_IRQS range that fails part-way changes
 * nothing.  Debian's kernels have no fault injection, so the test-only
 * module selftests/kmod/vfpost_fault.ko makes one chosen request_irq() of
 * this process fail, at the first or second vector of a two-vector range,
 * 20 times each.  Afterwards every vector has exactly its previous eventfd,
 * mask state and latched software trigger, delivers device interrupts, and
 * MSI-X is off again if the request had turned it on.
 *
 * The same module also makes the lab's VF behave like a real one where it
 * does not (fixture realvf): Command.MSE reads 0, hardwired, while the
 * device decodes.  vfpost must then still see a masked vector's pending
 * bit in the PBA and deliver a software trigger sent while masked once.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/pci_regs.h>

#include "kselftest_harness.h"
#include "fastpath.h"
#include "fault.h"
#include "lab.h"
#include "nvme_drv.h"
#include "vfio_dev.h"
#include "vfpost_lab.h"

LAB_ONLY_SUITE("the test-only fault module built for the lab kernels")

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

/*
 * A VF that behaves as real SR-IOV hardware does: its Command register's
 * Memory Space Enable bit is hardwired to 0 (SR-IOV spec; Linux sets
 * pdev->no_command_memory for every VF), while the VF decodes its BARs as
 * long as the PF's VF MSE is set.  QEMU 7.2's emulated NVMe VF has a
 * writable MSE, which the PCI core sets, so in the plain lab code that
 * wrongly requires the bit (vfpost's PBA read did, until issue 10) works.
 *
 * Why this emulation is faithful: vfpost_fault.ko's no_mse mode wraps the
 * pci_ops of the VF's bus, the single path every config access to the VF
 * takes (the kernel's pci_read_config_*(), vfio-pci's config emulation,
 * the PCI core's save/restore around resets, sysfs), the way the kernel's
 * AER injector emulates registers.  Every reader sees MSE 0, and no write
 * or reset turns decoding off: what a real VF shows.  It is on before the
 * VF exists, so enumeration, vfpost's probe and open see a real VF from
 * the start.  What it cannot show: a PF whose VF MSE is off (the VF then
 * decodes nothing; not vfpost's business).
 */
FIXTURE(realvf) {
	char bdf[LAB_BDF_LEN];
	struct vfio_dev dev;
	struct nvme_drv nvme;
	int efd;
	bool opened;
};

/* The real-VF emulation on VF 0 (@no_soft_reset: PM too), opened. */
static void realvf_open(struct __test_metadata *_metadata,
			FIXTURE_DATA(realvf) *self, bool no_soft_reset)
{
	char want[VFPOST_BDF_LEN];

	self->efd = -1;
	lab_vf_bdf(0, want);
	ASSERT_EQ(0, no_soft_reset ? fault_no_soft_reset(want) : fault_no_mse(want));
	ASSERT_EQ(0, fp_vf_setup(self->bdf));
	ASSERT_STREQ(want, self->bdf) TH_LOG("the emulation is on another function");
	ASSERT_EQ(0, vfio_dev_open(&self->dev, self->bdf));
	self->opened = true;
	ASSERT_EQ(0, nvme_drv_init(&self->nvme, &self->dev));
	self->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_LE(0, self->efd);
}

static void realvf_close(struct __test_metadata *_metadata,
			 FIXTURE_DATA(realvf) *self)
{
	if (self->opened) {
		nvme_drv_fini(&self->nvme);
		vfio_dev_close(&self->dev);
	}
	EXPECT_EQ(0, fp_vfpost_irqs()) TH_LOG("vfpost irq left after close");
	if (self->efd >= 0)
		close(self->efd);
	EXPECT_EQ(0, fp_vf_teardown(self->bdf));
	EXPECT_EQ(0, fault_unload());
}

FIXTURE_SETUP(realvf)
{
	realvf_open(_metadata, self, false);
}

FIXTURE_TEARDOWN(realvf)
{
	realvf_close(_metadata, self);
}

/* Mask vector 0, raise one admin completion: latched in the PBA. */
static void masked_completion(struct __test_metadata *_metadata,
			      FIXTURE_DATA(realvf) *self)
{
	uint32_t res;

	ASSERT_EQ(0, vfio_dev_irq_action(&self->dev, MSIX, VFIO_IRQ_SET_ACTION_MASK, 0, 1));
	ASSERT_EQ(0, nvme_drv_get_features(&self->nvme, 0x07, &res));
	EXPECT_EQ(0, fp_efd_settle(self->efd, 300)) TH_LOG("delivered while masked");
	ASSERT_EQ(1, nvme_drv_pba_bit(&self->nvme, 0)) TH_LOG("the device did not latch it");
}

/*
 * Unfixed (PBA read only with Command.MSE set), vfpost never saw the
 * pending bit here: STATS said not pending, masked_hits did not count the
 * device interrupt, and a software trigger sent while masked was delivered
 * on unmask by vfpost and again by the device's replay.
 */
TEST_F_TIMEOUT(realvf, pending_and_one_delivery_without_mse, 120)
{
	struct vfpost_vector st;
	uint16_t cmd;
	uint32_t res;
	long got;

	/* The emulation: MSE reads 0; writing that back stops nothing. */
	ASSERT_EQ(0, lab_command(self->bdf, &cmd, false));
	ASSERT_EQ(0, cmd & PCI_COMMAND_MEMORY) TH_LOG("Command %#x: MSE not hidden", cmd);
	ASSERT_NE(0, cmd & PCI_COMMAND_MASTER) TH_LOG("Command %#x", cmd);
	ASSERT_EQ(0, lab_command(self->bdf, &cmd, true));
	TH_LOG("Command reads %#x; MSE hidden from %ld reads, kept on through %ld writes",
	       cmd, fault_mse_count("hidden"), fault_mse_count("kept"));
	ASSERT_LT(0, fault_mse_count("kept"));
	ASSERT_EQ(0, vfio_dev_irq_set_eventfds(&self->dev, MSIX, 0, 1, &self->efd));
	ASSERT_EQ(0, nvme_drv_enable(&self->nvme));
	ASSERT_EQ(0, nvme_drv_get_features(&self->nvme, 0x07, &res));
	ASSERT_EQ(1, fp_efd_wait(self->efd, 1, 5000)) TH_LOG("the VF stopped decoding");

	/* A device interrupt while masked: pending, counted, one delivery. */
	masked_completion(_metadata, self);
	ASSERT_EQ(0, fp_stats(self->bdf, 0, &st));
	EXPECT_TRUE(st.masked);
	EXPECT_TRUE(st.pending) TH_LOG("STATS: the PBA bit was not seen");
	ASSERT_EQ(0, vfio_dev_irq_action(&self->dev, MSIX, VFIO_IRQ_SET_ACTION_UNMASK, 0, 1));
	got = fp_efd_wait(self->efd, 1, 5000);
	got += fp_efd_settle(self->efd, 500);
	EXPECT_EQ(1, got) TH_LOG("a device interrupt latched while masked: %ld deliveries", got);
	ASSERT_EQ(0, fp_stats(self->bdf, 0, &st));
	EXPECT_FALSE(st.pending);
	EXPECT_EQ(1u, st.masked_hits) TH_LOG("masked_hits: the latched interrupt not counted");

	/* The same plus a software trigger while masked: still one. */
	masked_completion(_metadata, self);
	ASSERT_EQ(0, vfio_dev_irq_action(&self->dev, MSIX, VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1));
	EXPECT_EQ(0, fp_efd_settle(self->efd, 200)) TH_LOG("trigger delivered while masked");
	ASSERT_EQ(0, vfio_dev_irq_action(&self->dev, MSIX, VFIO_IRQ_SET_ACTION_UNMASK, 0, 1));
	got = fp_efd_wait(self->efd, 1, 5000);
	got += fp_efd_settle(self->efd, 500);
	EXPECT_EQ(1, got) TH_LOG("interrupt and trigger latched while masked: %ld deliveries", got);
	ASSERT_EQ(0, fp_stats(self->bdf, 0, &st));
	EXPECT_EQ(2u, st.masked_hits);
	EXPECT_EQ(0, nvme_drv_pba_bit(&self->nvme, 0));

	/* And the VF still decodes and interrupts. */
	ASSERT_EQ(0, nvme_drv_get_features(&self->nvme, 0x07, &res));
	EXPECT_EQ(1, fp_efd_wait(self->efd, 1, 5000));
	ASSERT_EQ(0, lab_command(self->bdf, &cmd, false));
	EXPECT_EQ(0, cmd & PCI_COMMAND_MEMORY);
}

/*
 * The same real VF, and its PM capability says what many real functions
 * do: No_Soft_Reset 0, so it loses its state in D3hot and vfio-pci saves
 * and restores it around D3hot (needs_pm_restore).  A real function in
 * D3hot answers a memory write with an Unsupported Request; QEMU's VF
 * (No_Soft_Reset 1) takes it silently, so vfpost_fault.ko counts the MSI-X
 * teardown calls (free_irq(), pci_free_irq_vectors()) made while the
 * kernel has the VF in D3hot.
 */
FIXTURE(d3vf) {
	FIXTURE_DATA(realvf) rv;
};

FIXTURE_SETUP(d3vf)
{
	realvf_open(_metadata, &self->rv, true);
}

FIXTURE_TEARDOWN(d3vf)
{
	realvf_close(_metadata, &self->rv);
}

/* The kernel's idea of @bdf's power state is @want. */
static void power_state(struct __test_metadata *_metadata, const char *bdf,
			const char *want)
{
	char path[96], state[16] = "";

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/power_state", bdf);
	ASSERT_EQ(0, lab_read_file(path, state, sizeof(state)));
	state[strcspn(state, "\n")] = '\0';
	ASSERT_STREQ(want, state);
}

/*
 * The guest stops its driver and writes D3hot into its PMCSR (vfio-pci
 * passes it to the device, saving the state first); the VMM then closes
 * the VF with a vector attached.  Unfixed, vfpost freed the vector and
 * disabled MSI-X before the core brought the VF back to D0: every write of
 * that teardown went to a function in D3hot (irq_frees_d3 was 2 here).
 * Fixed, the teardown runs in D0 with the saved state restored, and the VF
 * works when opened again.
 */
TEST_F_TIMEOUT(d3vf, close_in_d3hot_tears_down_in_d0, 120)
{
	FIXTURE_DATA(realvf) *rv = &self->rv;
	int pm = vfio_dev_find_cap(&rv->dev, PCI_CAP_ID_PM);
	uint16_t pmcsr;
	uint32_t res;

	if (pm <= 0)
		SKIP(return, "the VF has no PM capability");
	ASSERT_EQ(0, vfio_dev_cfg_read(&rv->dev, pm + PCI_PM_CTRL, &pmcsr, sizeof(pmcsr)));
	ASSERT_EQ(0, pmcsr & PCI_PM_CTRL_NO_SOFT_RESET)
		TH_LOG("PMCSR %#x: No_Soft_Reset not hidden", pmcsr);
	TH_LOG("PMCSR reads %#x; No_Soft_Reset hidden from %ld reads",
	       pmcsr, fault_count("nsr_hidden"));
	ASSERT_EQ(0, vfio_dev_irq_set_eventfds(&rv->dev, MSIX, 0, 1, &rv->efd));
	ASSERT_EQ(0, nvme_drv_enable(&rv->nvme));
	ASSERT_EQ(0, nvme_drv_get_features(&rv->nvme, 0x07, &res));
	ASSERT_EQ(1, fp_efd_wait(rv->efd, 1, 5000));

	nvme_drv_fini(&rv->nvme);
	pmcsr = (pmcsr & ~PCI_PM_CTRL_STATE_MASK) | 3;
	ASSERT_EQ(0, vfio_dev_cfg_write(&rv->dev, pm + PCI_PM_CTRL, &pmcsr, sizeof(pmcsr)));
	power_state(_metadata, rv->bdf, "D3hot");
	ASSERT_EQ(0, fault_count("irq_frees"));
	vfio_dev_close(&rv->dev);
	rv->opened = false;
	TH_LOG("MSI-X teardown: %ld calls, %ld of them in D3hot",
	       fault_count("irq_frees"), fault_count("irq_frees_d3"));
	EXPECT_LT(0, fault_count("irq_frees")) TH_LOG("the teardown was not seen");
	EXPECT_EQ(0, fault_count("irq_frees_d3")) TH_LOG("MSI-X table written in D3hot");
	EXPECT_EQ(0, fp_vfpost_irqs());

	/*
	 * Opened again (from D3hot: an idle VF may be runtime-suspended
	 * there by now, as on the debug kernel), it works.
	 */
	ASSERT_EQ(0, vfio_dev_open(&rv->dev, rv->bdf));
	rv->opened = true;
	ASSERT_EQ(0, nvme_drv_init(&rv->nvme, &rv->dev));
	ASSERT_EQ(0, vfio_dev_irq_set_eventfds(&rv->dev, MSIX, 0, 1, &rv->efd));
	ASSERT_EQ(0, nvme_drv_enable(&rv->nvme));
	ASSERT_EQ(0, nvme_drv_get_features(&rv->nvme, 0x07, &res));
	EXPECT_EQ(1, fp_efd_wait(rv->efd, 1, 5000));
}

TEST_HARNESS_MAIN
