/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fixture of the fast-path suites that drive one VF (fastpath_test,
 * hostile_vmm_test, setirqs_fuzz_test): vfpost loaded, a VF bound to it
 * (a lab VF, or on another machine the one fp_vf_setup() finds) and
 * opened through VFIO, its device driver (vf_drv.h) probed, two
 * eventfds; vf_fixture_start() initialises the driver.  A machine without a VF to test, or a VF
 * that no driver knows, skips every case and says why.  Each suite's
 * FIXTURE_SETUP calls vf_fixture_open() and adds its own steps;
 * FIXTURE_TEARDOWN calls vf_fixture_close(), which also checks that
 * closing the device left no vfpost or vfio-msix irq of the VF and, when
 * the case loaded vfpost, that vfpost unloads.
 */
#ifndef _SELFTESTS_VF_FIXTURE_H
#define _SELFTESTS_VF_FIXTURE_H

#include <errno.h>
#include <setjmp.h>
#include <stdbool.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "fastpath.h"
#include "lab.h"
#include "vf_drv.h"
#include "vfio_dev.h"

#define MSIX		VFIO_PCI_MSIX_IRQ_INDEX
/* What vfio_pci_core would name its MSI-X irqs: never on a vfpost VF. */
#define CORE_MSIX_IRQ	"vfio-msix"

FIXTURE(vf) {
	char bdf[LAB_BDF_LEN];
	struct vfio_dev dev;
	struct vf_drv drv;
	int efd[2];
	bool opened;
};

static inline void vf_fixture_open(struct __test_metadata *_metadata,
				   FIXTURE_DATA(vf) *self)
{
	char why[512];
	int ret;

	self->efd[0] = self->efd[1] = -1;
	ret = fp_vf_open(self->bdf, &self->dev, &self->drv, why, sizeof(why));
	if (ret == -ENODEV)
		SETUP_SKIP("%s", why);
	ASSERT_EQ(0, ret);
	self->opened = true;
	self->efd[0] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	self->efd[1] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_LE(0, self->efd[0]);
	ASSERT_LE(0, self->efd[1]);
}

/*
 * Vector 0 on efd[0], then the driver initialised (with MSI-X on: see
 * vf_drv.h), ready to raise it.
 */
static inline int vf_fixture_start(FIXTURE_DATA(vf) *self)
{
	int ret = vfio_dev_irq_set_eventfds(&self->dev, MSIX, 0, 1, &self->efd[0]);

	return ret ? ret : vf_drv_init(&self->drv);
}

/* vf_fixture_open(), then vf_fixture_start(). */
static inline void vf_fixture_open_live(struct __test_metadata *_metadata,
					FIXTURE_DATA(vf) *self)
{
	vf_fixture_open(_metadata, self);
	ASSERT_EQ(0, vf_fixture_start(self));
}

static inline void vf_fixture_close(struct __test_metadata *_metadata,
				    FIXTURE_DATA(vf) *self)
{
	if (self->opened) {
		vf_drv_remove(&self->drv);
		vfio_dev_close(&self->dev);
	}
	/* Braces: the harness runs TH_LOG after the statement it ends. */
	if (fp_vf_irq_lines("vfpost-msix[", self->bdf)) {
		EXPECT_EQ(0, fp_vf_irq_lines("vfpost-msix[", self->bdf))
			TH_LOG("vfpost irq left after close");
		fp_log_irq_leftovers();
	}
	EXPECT_EQ(0, fp_vf_irq_lines(CORE_MSIX_IRQ "[", self->bdf));
	if (self->efd[0] >= 0)
		close(self->efd[0]);
	if (self->efd[1] >= 0)
		close(self->efd[1]);
	/* Unloads vfpost if the case loaded it: fails if anything holds it. */
	EXPECT_EQ(0, fp_vf_teardown(self->bdf));
}

/*
 * The case needs @n vectors the VF's driver can raise: skip (in a test
 * body) where it drives fewer.
 */
#define VF_NEEDS_VECTORS(self, n) do {					\
	if ((self)->drv.nvec < (n))					\
		SKIP(return, "the %s driver raises %u vector(s) on %s; this case needs %u", \
		     (self)->drv.ops->name, (self)->drv.nvec, (self)->bdf, (n)); \
} while (0)

/*
 * Vector 0, attached to efd[0], still delivers a software trigger and a
 * device interrupt.
 */
static inline void vf_vector0_works(struct __test_metadata *_metadata,
				    FIXTURE_DATA(vf) *self)
{
	fp_efd_settle(self->efd[0], 50);
	ASSERT_EQ(0, vfio_dev_irq_action(&self->dev, MSIX,
					 VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1));
	EXPECT_EQ(1, fp_efd_wait(self->efd[0], 1, 5000));
	ASSERT_EQ(0, vf_drv_raise(&self->drv, 0));
	EXPECT_EQ(1, fp_efd_wait(self->efd[0], 1, 5000));
	EXPECT_LE(1, fp_host_count(self->bdf, 0));
}

#endif /* _SELFTESTS_VF_FIXTURE_H */
