/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fixture of the fast-path suites that drive one VF (fastpath_test,
 * hostile_vmm_test, setirqs_fuzz_test): vfpost loaded, a lab VF bound to
 * it and opened through VFIO, the userspace NVMe driver initialised, two
 * eventfds.  Each suite's FIXTURE_SETUP calls vf_fixture_open() and adds
 * its own steps; FIXTURE_TEARDOWN calls vf_fixture_close(), which also
 * checks that closing the device left no vfpost or vfio-msix irq and that
 * vfpost unloads.
 */
#ifndef _SELFTESTS_VF_FIXTURE_H
#define _SELFTESTS_VF_FIXTURE_H

#include <stdbool.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "fastpath.h"
#include "lab.h"
#include "nvme_drv.h"
#include "vfio_dev.h"

#define MSIX		VFIO_PCI_MSIX_IRQ_INDEX
/* What vfio_pci_core would name its MSI-X irqs: never on a vfpost VF. */
#define CORE_MSIX_IRQ	"vfio-msix"

FIXTURE(vf) {
	char bdf[LAB_BDF_LEN];
	struct vfio_dev dev;
	struct nvme_drv nvme;
	int efd[2];
	bool opened;
};

static inline void vf_fixture_open(struct __test_metadata *_metadata,
				   FIXTURE_DATA(vf) *self)
{
	self->efd[0] = self->efd[1] = -1;
	ASSERT_EQ(0, fp_vf_setup(self->bdf));
	ASSERT_EQ(0, vfio_dev_open(&self->dev, self->bdf));
	self->opened = true;
	ASSERT_EQ(0, nvme_drv_init(&self->nvme, &self->dev));
	self->efd[0] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	self->efd[1] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_LE(0, self->efd[0]);
	ASSERT_LE(0, self->efd[1]);
}

/* vf_fixture_open(), then vector 0 on efd[0] and the controller enabled. */
static inline void vf_fixture_open_live(struct __test_metadata *_metadata,
					FIXTURE_DATA(vf) *self)
{
	vf_fixture_open(_metadata, self);
	ASSERT_EQ(0, vfio_dev_irq_set_eventfds(&self->dev, MSIX, 0, 1,
					       &self->efd[0]));
	ASSERT_EQ(0, nvme_drv_enable(&self->nvme));
}

static inline void vf_fixture_close(struct __test_metadata *_metadata,
				    FIXTURE_DATA(vf) *self)
{
	if (self->opened) {
		nvme_drv_fini(&self->nvme);
		vfio_dev_close(&self->dev);
	}
	/* Braces: the harness runs TH_LOG after the statement it ends. */
	if (fp_vfpost_irqs()) {
		EXPECT_EQ(0, fp_vfpost_irqs()) TH_LOG("vfpost irq left after close");
		fp_log_irq_leftovers();
	}
	EXPECT_EQ(0, fp_irq_lines(CORE_MSIX_IRQ));
	if (self->efd[0] >= 0)
		close(self->efd[0]);
	if (self->efd[1] >= 0)
		close(self->efd[1]);
	/* Unloads vfpost: fails if anything still holds it. */
	EXPECT_EQ(0, fp_vf_teardown(self->bdf));
}

/*
 * Vector 0, attached to efd[0] with the controller enabled, still delivers
 * a software trigger and a device interrupt (admin completion).
 */
static inline void vf_vector0_works(struct __test_metadata *_metadata,
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

#endif /* _SELFTESTS_VF_FIXTURE_H */
