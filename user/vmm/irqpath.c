// SPDX-License-Identifier: GPL-2.0
/*
 * Device acquisition plan and interrupt path selection: see irqpath.h.
 * Pure logic, unit tested in tests/test_vmm_irqpath.c.
 */
#include <stdio.h>
#include <string.h>

#include "irqpath.h"

const char *irqpath_name(enum irq_path path)
{
	switch (path) {
	case IRQ_PATH_AUTO: return "auto";
	case IRQ_PATH_VFPOST: return "vfpost";
	case IRQ_PATH_VFIO: return "vfio";
	case IRQ_PATH_RELAY: return "relay";
	}
	return "?";
}

int irqpath_select(enum irq_path req, const char *driver, char *err, size_t errlen)
{
	bool vfpost = driver && !strcmp(driver, "vfpost");

	switch (req) {
	case IRQ_PATH_AUTO:
		return vfpost ? IRQ_PATH_VFPOST : IRQ_PATH_VFIO;
	case IRQ_PATH_VFPOST:
		if (vfpost)
			return IRQ_PATH_VFPOST;
		snprintf(err, errlen,
			 "is bound to %s, but --irq-path vfpost needs the vfpost driver: "
			 "unbind it (vibevmm then claims it through vfpost) or use --irq-path vfio",
			 driver && *driver ? driver : "no driver");
		return -1;
	case IRQ_PATH_VFIO:
	case IRQ_PATH_RELAY:
		return req;
	}
	snprintf(err, errlen, "unknown interrupt path %d", (int)req);
	return -1;
}

enum vfio_plan vfio_plan(const char *bdf, const struct vfio_facts *f,
			 char *err, size_t errlen)
{
	const char *drv = f->driver ? f->driver : "";

	if (!f->exists) {
		snprintf(err, errlen,
			 "%s: no such PCI device (see lspci -D; for a VF, enable it with sriov_numvfs)",
			 bdf);
		return VFIO_PLAN_ERROR;
	}
	if (!f->iommu_group) {
		snprintf(err, errlen,
			 "%s: no IOMMU group: enable the IOMMU (intel_iommu=on or amd_iommu=on on the host kernel command line)",
			 bdf);
		return VFIO_PLAN_ERROR;
	}
	if (f->is_vfio && *drv)
		return VFIO_PLAN_OPEN;
	if (f->vfpost_loaded && f->is_vf)
		return VFIO_PLAN_CLAIM;
	if (f->vfpost_loaded)
		snprintf(err, errlen,
			 "%s: not a VF and %s%s%s: vfpost claims only VFs; bind it to vfio-pci (driver_override, then drivers_probe)",
			 bdf, *drv ? "bound to " : "not bound to a driver", drv,
			 *drv ? ", which is not a VFIO driver" : "");
	else
		snprintf(err, errlen,
			 "%s: not bound to a VFIO driver and vfpost is not loaded%s%s%s: bind it to vfio-pci (driver_override, then drivers_probe) or load vfpost.ko",
			 bdf, *drv ? "; bound to " : "", drv,
			 *drv ? ", which is not a VFIO driver (no vfio-dev in sysfs, not built on vfio_pci_core)" : "");
	return VFIO_PLAN_ERROR;
}
