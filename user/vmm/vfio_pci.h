/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VFIO passthrough of a PCI function (--vfio BDF).
 *
 * vfio_assign() claims the device through vfpost when vfpost is loaded and
 * the VF is not bound to a VFIO driver, opens it through the VM's one
 * container or IOAS (--vfio-backend; its IOMMU group added once, viability
 * checked), resets it and adds it to the guest's PCI bus with emulated
 * config space (see vfio_cfg.h: PCI Express, PM, MSI, MSI-X, ROM), BARs
 * mmapped into memslots as the guest enables decoding, and MSI-X/MSI/INTx
 * wired to KVM along the chosen interrupt path.  Once every device is
 * assigned (so reset), vfio_map_guest_ram() DMA-maps all guest RAM (IOVA =
 * GPA) once for all of them: no device that was not reset yet ever sees
 * guest RAM.
 *
 * A removal request from the host (VFIO request interrupt, or vfpost's
 * remove-requested event) detaches the device while the VM keeps running:
 * it disappears from the guest's bus, its BARs are unmapped and the device
 * is closed so the host can finish removing it.
 */
#ifndef VMM_VFIO_PCI_H
#define VMM_VFIO_PCI_H

#include "cli.h"

struct vm;
struct vfio_assigned;

/*
 * The checks of vfio_assign() that touch nothing (sysfs only: the device,
 * its IOMMU group, its driver, the interrupt path): run for every device
 * before the first is claimed, so that a command line naming one bad
 * device claims, resets and pins none.  0, or -1 after one error line.
 */
int vfio_precheck(const char *bdf, enum irq_path path, enum vfio_backend backend);
/*
 * Check, claim (through vfpost if loaded), open, reset, add to the bus;
 * @opts may be NULL (defaults).  On failure prints one clear line naming
 * the BDF and what to do, returns NULL.
 */
struct vfio_assigned *vfio_assign(struct vm *vm, const char *bdf, enum irq_path path,
				  enum vfio_backend backend, const struct vfio_dev_opts *opts);
/*
 * DMA-map all guest RAM for the VM's devices (one container or IOAS): call
 * once, with any assigned device, after the last vfio_assign().  0, or
 * -errno after one line (release the devices then).
 */
int vfio_map_guest_ram(struct vfio_assigned *a);
/* Reset, unmap, close, release the claim.  NULL is a no-op. */
void vfio_release(struct vfio_assigned *a);

#endif /* VMM_VFIO_PCI_H */
