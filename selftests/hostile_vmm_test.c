// SPDX-License-Identifier: GPL-2.0
/*
 * hostile_vmm_test: a VMM that attacks vfpost through its own VFIO device
 * fd.  The interrupt ioctls must read each request once and never let
 * vfio_pci_core act on an index vfpost owns, whatever a second thread
 * writes into the request meanwhile.
 *
 * The flip tests fail on a vfpost that forwards non-MSI-X requests to the
 * core by user pointer (before irqs.c): the core re-reads the header, finds
 * MSI-X, frees the host vectors under vfpost (the re-attach then fails) or
 * requests its own "vfio-msix[n]" irq on vfpost's vector.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "fastpath.h"
#include "lab.h"
#include "nvme_drv.h"
#include "vfio_dev.h"

#define MSIX		VFIO_PCI_MSIX_IRQ_INDEX
#define FLIP_REQUESTS	100000

FIXTURE(vf) {
	char bdf[LAB_BDF_LEN];
	char core_irq[64];	/* what vfio_pci_core would name its irqs */
	struct vfio_dev dev;
	struct nvme_drv nvme;
	int efd[2];
	bool opened;
};

FIXTURE_SETUP(vf)
{
	self->efd[0] = self->efd[1] = -1;
	ASSERT_EQ(0, fp_vf_setup(self->bdf));
	snprintf(self->core_irq, sizeof(self->core_irq), "vfio-msix");
	ASSERT_EQ(0, vfio_dev_open(&self->dev, self->bdf));
	self->opened = true;
	ASSERT_EQ(0, nvme_drv_init(&self->nvme, &self->dev));
	self->efd[0] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	self->efd[1] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_LE(0, self->efd[0]);
	ASSERT_LE(0, self->efd[1]);
	ASSERT_EQ(0, vfio_dev_irq_set_eventfds(&self->dev, MSIX, 0, 1, &self->efd[0]));
	ASSERT_EQ(0, nvme_drv_enable(&self->nvme));
}

FIXTURE_TEARDOWN(vf)
{
	if (self->opened) {
		nvme_drv_fini(&self->nvme);
		vfio_dev_close(&self->dev);
	}
	EXPECT_EQ(0, fp_vfpost_irqs()) TH_LOG("vfpost irq left after close");
	EXPECT_EQ(0, fp_irq_lines(self->core_irq));
	if (self->efd[0] >= 0)
		close(self->efd[0]);
	if (self->efd[1] >= 0)
		close(self->efd[1]);
	/* Unloads vfpost: fails if anything still holds it. */
	EXPECT_EQ(0, fp_vf_teardown(self->bdf));
}

/* A SET_IRQS request in memory shared with the flipping thread. */
struct flip {
	struct {
		struct vfio_irq_set hdr;
		int32_t fd;
	} req;
	atomic_bool stop;
};

/* Rewrites the header's index between INTx and MSI-X as fast as it can. */
static void *flipper(void *arg)
{
	struct flip *f = arg;
	volatile uint32_t *index = &f->req.hdr.index;

	while (!atomic_load_explicit(&f->stop, memory_order_relaxed)) {
		*index = VFIO_PCI_INTX_IRQ_INDEX;
		*index = MSIX;
	}
	return NULL;
}

static void flip_start(struct flip *f, pthread_t *t, uint32_t flags,
		       uint32_t start, uint32_t count, int32_t fd)
{
	memset(f, 0, sizeof(*f));
	f->req.hdr.argsz = sizeof(f->req);
	f->req.hdr.flags = flags;
	f->req.hdr.index = VFIO_PCI_INTX_IRQ_INDEX;
	f->req.hdr.start = start;
	f->req.hdr.count = count;
	f->req.fd = fd;
	pthread_create(t, NULL, flipper, f);
}

static void flip_stop(struct flip *f, pthread_t t)
{
	atomic_store(&f->stop, true);
	pthread_join(t, NULL);
}

/* Vector 0 still delivers a software trigger and a device interrupt. */
static void vector0_works(struct __test_metadata *_metadata,
			  FIXTURE_DATA(vf) *self)
{
	uint32_t res;

	fp_efd_settle(self->efd[0], 50);
	ASSERT_EQ(0, vfio_dev_irq_action(&self->dev, MSIX,
					 VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1));
	EXPECT_EQ(1, fp_efd_wait(self->efd[0], 1, 5000));
	ASSERT_EQ(0, nvme_drv_get_features(&self->nvme, 0x07, &res));
	EXPECT_EQ(1, fp_efd_wait(self->efd[0], 1, 5000));
	EXPECT_LE(1, fp_host_count(self->bdf, 0));
}

/*
 * "Disable" (DATA_NONE, count 0) with the index flipping: when vfpost read
 * MSI-X it is a legal disable, and vector 0 must then re-attach through the
 * MSI-X index every time; when it read INTx it is refused (a VF has none).
 */
TEST_F_TIMEOUT(vf, index_flip_on_disable_never_frees_vfpost_vectors, 900)
{
	int disabled = 0, refused = 0, other = 0, reattach_failed = 0, i;
	struct flip f;
	pthread_t t;

	flip_start(&f, &t, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
		   0, 0, -1);
	for (i = 0; i < FLIP_REQUESTS; i++) {
		if (!ioctl(self->dev.fd, VFIO_DEVICE_SET_IRQS, &f.req)) {
			disabled++;
			if (vfio_dev_irq_set_eventfds(&self->dev, MSIX, 0, 1,
						      &self->efd[0]))
				reattach_failed++;
		} else if (errno == EINVAL) {
			refused++;
		} else {
			other++;
		}
	}
	flip_stop(&f, t);
	TH_LOG("%d requests: %d MSI-X disables, %d INTx refusals, %d other",
	       FLIP_REQUESTS, disabled, refused, other);
	EXPECT_EQ(0, reattach_failed);
	EXPECT_EQ(0, other);
	EXPECT_LT(0, disabled) TH_LOG("the flip never hit MSI-X: no race tried");
	EXPECT_LT(0, refused) TH_LOG("the flip never hit INTx: no race tried");
	EXPECT_EQ(0, fp_irq_lines(self->core_irq));
	/* Re-attached after the last disable, if any. */
	ASSERT_EQ(0, vfio_dev_irq_set_eventfds(&self->dev, MSIX, 0, 1, &self->efd[0]));
	vector0_works(_metadata, self);
}

/*
 * Attach vector 1 (DATA_EVENTFD) with the index flipping: vfpost attaches
 * it (then the test detaches it again) or refuses it; vfio_pci_core never
 * requests an irq of its own for the VF.
 */
TEST_F_TIMEOUT(vf, index_flip_on_attach_never_reaches_the_core, 900)
{
	int attached = 0, refused = 0, other = 0, detach_failed = 0, i;
	int none = -1;
	struct flip f;
	pthread_t t;

	flip_start(&f, &t, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
		   1, 1, self->efd[1]);
	for (i = 0; i < FLIP_REQUESTS; i++) {
		if (!ioctl(self->dev.fd, VFIO_DEVICE_SET_IRQS, &f.req)) {
			attached++;
			if (vfio_dev_irq_set_eventfds(&self->dev, MSIX, 1, 1, &none))
				detach_failed++;
		} else if (errno == EINVAL) {
			refused++;
		} else {
			other++;
		}
		if (!(i % 10000))
			ASSERT_EQ(0, fp_irq_lines(self->core_irq))
				TH_LOG("vfio_pci_core requested an irq after %d requests", i);
	}
	flip_stop(&f, t);
	TH_LOG("%d requests: %d MSI-X attaches, %d INTx refusals, %d other",
	       FLIP_REQUESTS, attached, refused, other);
	EXPECT_EQ(0, detach_failed);
	EXPECT_EQ(0, other);
	EXPECT_LT(0, attached) TH_LOG("the flip never hit MSI-X: no race tried");
	EXPECT_LT(0, refused) TH_LOG("the flip never hit INTx: no race tried");
	EXPECT_EQ(0, fp_irq_lines(self->core_irq));
	EXPECT_EQ(-1, fp_host_count(self->bdf, 1)) TH_LOG("vector 1 still attached");
	vector0_works(_metadata, self);
}

/* GET_IRQ_INFO is vfpost's for every index: what a VF really has. */
TEST_F(vf, irq_info_describes_what_a_vf_has)
{
	struct vfio_irq_info info;
	uint16_t ctrl;
	int cap = vfio_dev_find_cap(&self->dev, 0x11);	/* MSI-X */

	ASSERT_LT(0, cap);
	ASSERT_EQ(0, vfio_dev_cfg_read(&self->dev, cap + 2, &ctrl, sizeof(ctrl)));
	ASSERT_EQ(0, vfio_dev_irq_info(&self->dev, VFIO_PCI_INTX_IRQ_INDEX, &info));
	EXPECT_EQ(0u, info.count) TH_LOG("a VF has no INTx");
	ASSERT_EQ(0, vfio_dev_irq_info(&self->dev, VFIO_PCI_MSI_IRQ_INDEX, &info));
	EXPECT_EQ(0u, info.count) TH_LOG("vfpost serves no MSI");
	ASSERT_EQ(0, vfio_dev_irq_info(&self->dev, MSIX, &info));
	EXPECT_EQ((ctrl & 0x7ffu) + 1, info.count);
	EXPECT_EQ((uint32_t)(VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE), info.flags);
	ASSERT_EQ(0, vfio_dev_irq_info(&self->dev, VFIO_PCI_ERR_IRQ_INDEX, &info));
	EXPECT_EQ(1u, info.count);
	ASSERT_EQ(0, vfio_dev_irq_info(&self->dev, VFIO_PCI_REQ_IRQ_INDEX, &info));
	EXPECT_EQ(1u, info.count);
	EXPECT_EQ((uint32_t)(VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE), info.flags);
	info = (struct vfio_irq_info){ .argsz = sizeof(info), .index = VFIO_PCI_NUM_IRQS };
	EXPECT_EQ(-1, ioctl(self->dev.fd, VFIO_DEVICE_GET_IRQ_INFO, &info));
	EXPECT_EQ(EINVAL, errno);
}

/* SET_IRQS on an index vfpost does not serve is refused, not forwarded. */
TEST_F(vf, intx_and_msi_requests_are_refused)
{
	int fd = self->efd[1];
	unsigned int index;

	for (index = VFIO_PCI_INTX_IRQ_INDEX; index <= VFIO_PCI_MSI_IRQ_INDEX; index++) {
		errno = 0;
		EXPECT_NE(0, vfio_dev_irq_set_eventfds(&self->dev, index, 0, 1, &fd));
		EXPECT_NE(0, vfio_dev_irq_set_eventfds(&self->dev, index, 0, 0, NULL));
	}
	EXPECT_EQ(0, fp_irq_lines(self->core_irq));
	EXPECT_EQ(0, fp_irq_lines("vfio-msi"));
}

/* ERR and REQ: set, loopback-triggered (DATA_NONE, DATA_BOOL), released. */
TEST_F(vf, err_and_req_triggers_follow_the_vfio_contract)
{
	unsigned int index;
	int fd = self->efd[1];

	for (index = VFIO_PCI_ERR_IRQ_INDEX; index <= VFIO_PCI_REQ_IRQ_INDEX; index++) {
		struct {
			struct vfio_irq_set hdr;
			uint8_t on;
		} b = {
			.hdr = { .argsz = sizeof(b), .index = index, .count = 1,
				 .flags = VFIO_IRQ_SET_DATA_BOOL |
					  VFIO_IRQ_SET_ACTION_TRIGGER },
			.on = 1,
		};
		int none = -1;

		TH_LOG("index %u", index);
		/* No trigger yet: a DATA_NONE loopback has nothing to signal. */
		EXPECT_NE(0, vfio_dev_irq_action(&self->dev, index,
						 VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1));
		EXPECT_NE(0, vfio_dev_irq_action(&self->dev, index,
						 VFIO_IRQ_SET_ACTION_MASK, 0, 1));
		ASSERT_EQ(0, vfio_dev_irq_set_eventfds(&self->dev, index, 0, 1, &fd));
		ASSERT_EQ(0, vfio_dev_irq_action(&self->dev, index,
						 VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1));
		EXPECT_EQ(1, fp_efd_wait(fd, 1, 2000));
		ASSERT_EQ(0, ioctl(self->dev.fd, VFIO_DEVICE_SET_IRQS, &b));
		EXPECT_EQ(1, fp_efd_wait(fd, 1, 2000));
		/* Replaced by itself, then released with fd -1. */
		ASSERT_EQ(0, vfio_dev_irq_set_eventfds(&self->dev, index, 0, 1, &fd));
		ASSERT_EQ(0, vfio_dev_irq_set_eventfds(&self->dev, index, 0, 1, &none));
		EXPECT_NE(0, vfio_dev_irq_action(&self->dev, index,
						 VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1));
		ASSERT_EQ(0, ioctl(self->dev.fd, VFIO_DEVICE_SET_IRQS, &b));
		EXPECT_EQ(0, fp_efd_settle(fd, 100)) TH_LOG("released trigger fired");
		/* Left set: the core releases it at close. */
		ASSERT_EQ(0, vfio_dev_irq_set_eventfds(&self->dev, index, 0, 1, &fd));
	}
}

TEST_HARNESS_MAIN
