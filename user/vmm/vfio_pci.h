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
 * A device added while the VM runs (devices.c) is assigned the same way,
 * then vfio_map_guest_ram() maps RAM only if no device did (the container
 * or IOAS is the VM's one, kept while a device uses it).  Where another
 * device's mapping exists the new device sees it as soon as it joins:
 * iommufd shares the IOAS (attached after VFIO_DEVICE_BIND_IOMMUFD, which
 * opens the device and so has the kernel reset it), and type1 replays the
 * container's mappings into the group's domain at VFIO_GROUP_SET_CONTAINER,
 * before the device is even opened.  So on type1 a device that still had
 * Bus Master on could reach guest RAM before its reset; what prevents it is
 * vfio-pci: its close and its host drivers' pci_disable_device() clear
 * Bus Master, its open (vfio_pci_core_enable()) clears it again and resets
 * the function before the device fd exists, and vfio_assign() resets it
 * once more before it goes on the guest's bus, where only the guest can
 * set Bus Master.  Mapping guest RAM twice is what must not happen (type1
 * refuses an overlapping VFIO_IOMMU_MAP_DMA with EEXIST).
 *
 * A removal request from the host (VFIO request interrupt, or vfpost's
 * remove-requested event) goes to the device's owner when it asked for it
 * (vfio_set_removal_notify(): vibevmm's device table asks the guest to
 * eject the device first); else it detaches the device while the VM keeps
 * running: it disappears from the guest's bus, its BARs are unmapped and
 * the device is closed so the host can finish removing it.
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
 * vfio_assign() with vfio_set_removal_notify(@fn, @opaque) in force before
 * the device's service thread starts: a removal the host asks for while
 * the caller is still setting the device up (mapping guest RAM, entering
 * it in its table) goes to @fn, never detaches the device under it.
 */
struct vfio_assigned *vfio_assign_owned(struct vm *vm, const char *bdf, enum irq_path path,
					enum vfio_backend backend,
					const struct vfio_dev_opts *opts,
					void (*fn)(void *opaque), void *opaque);
/*
 * DMA-map all guest RAM for the VM's devices (one container or IOAS): call
 * once, with any assigned device, after the last vfio_assign().  0, or
 * -errno after one line (release the devices then).
 */
int vfio_map_guest_ram(struct vfio_assigned *a);
/* Reset, unmap, close, release the claim.  NULL is a no-op. */
void vfio_release(struct vfio_assigned *a);
/*
 * Let the owner of @a handle the host's removal requests: from now on a
 * VFIO request interrupt or a vfpost remove-requested event makes @a's
 * service thread set vfio_removal_requested(@a) and call @fn(@opaque)
 * (which must not block: it wakes whoever asks the guest to eject the
 * device first) instead of detaching the device at once.  The request
 * repeats (VFIO's every 10 s) until the device is released.
 */
void vfio_set_removal_notify(struct vfio_assigned *a, void (*fn)(void *opaque), void *opaque);
bool vfio_removal_requested(struct vfio_assigned *a);
/* Whether VFIO can reset @a (VFIO_DEVICE_FLAGS_RESET). */
bool vfio_resettable(const struct vfio_assigned *a);

#endif /* VMM_VFIO_PCI_H */
