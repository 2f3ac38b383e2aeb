// SPDX-License-Identifier: GPL-2.0
/*
 * A snapshot of one passthrough device for the control socket (stats,
 * list-devices); see devices.h.  Config space is read through the bus
 * (under its lock, as the guest would read it); the interrupt state under
 * a->lock.  Neither lock is held while the other is taken.
 */
#include <stdio.h>
#include <string.h>
#include <linux/pci_regs.h>

#include "devices.h"
#include "irqpath.h"
#include "vfio_host.h"
#include "vfio_priv.h"

void vfio_describe(struct vfio_assigned *a, struct vmm_device_info *out)
{
	struct pci_bus *bus = vfio_host->pci_bus(a->vm);
	uint16_t cmd = 0, msix_ctrl = 0, msi_ctrl = 0;
	unsigned int i;

	memset(out, 0, sizeof(*out));
	snprintf(out->bdf, sizeof(out->bdf), "%s", a->bdf);
	snprintf(out->driver, sizeof(out->driver), "%s", a->driver);
	out->irq_path = irqpath_name(a->path);
	out->backend = vfio_backend_name(a->backend);
	out->attached = !a->dead;
	/*
	 * The device leaves the bus only after dead is set (vfio_detach), and
	 * a dead device's config space reads as all ones: a detach racing
	 * with this snapshot shows as nothing enabled.
	 */
	if (out->attached) {
		snprintf(out->guest, sizeof(out->guest), "00:%02x.0", a->pdev.devfn >> 3);
		cmd = pci_device_cfg_read(bus, &a->pdev, PCI_COMMAND, 2);
		if (a->cfg.msix_cap)
			msix_ctrl = pci_device_cfg_read(bus, &a->pdev,
							a->cfg.msix_cap + PCI_MSIX_FLAGS, 2);
		if (a->cfg.msi_cap)
			msi_ctrl = pci_device_cfg_read(bus, &a->pdev,
						       a->cfg.msi_cap + PCI_MSI_FLAGS, 2);
		if (cmd == 0xffff)
			cmd = msix_ctrl = msi_ctrl = 0;
	}
	out->mem_enabled = cmd & PCI_COMMAND_MEMORY;
	out->io_enabled = cmd & PCI_COMMAND_IO;
	out->bus_master = cmd & PCI_COMMAND_MASTER;
	out->has_msix = a->has_msix;
	out->msix_enabled = msix_ctrl & PCI_MSIX_FLAGS_ENABLE;
	out->msix_maskall = msix_ctrl & PCI_MSIX_FLAGS_MASKALL;
	out->has_msi = a->has_msi;
	out->msi_enabled = msi_ctrl & PCI_MSI_FLAGS_ENABLE;
	out->has_intx = a->has_intx;

	pthread_mutex_lock(&a->lock);
	out->intx_enabled = a->intx_on;
	if (a->has_msix) {
		out->msix_vectors = a->msix.nr;
		for (i = 0; i < a->msix.nr; i++) {
			if (!(a->msix.table[i].ctrl & PCI_MSIX_ENTRY_CTRL_MASKBIT))
				out->msix_unmasked++;
			if (a->vec && a->vec[i].efd >= 0)
				out->msix_wired++;
			if (a->vec && a->vec[i].irqfd)
				out->msix_irqfd++;
		}
	}
	pthread_mutex_unlock(&a->lock);
}
