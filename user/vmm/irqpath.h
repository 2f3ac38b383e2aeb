/* SPDX-License-Identifier: GPL-2.0 */
/*
 * How an assigned device is obtained and how its interrupts reach the guest.
 *
 * Interrupt paths (--irq-path):
 *  - vfpost: the device is bound to vfpost; each MSI-X vector's eventfd is a
 *    KVM irqfd (and vfpost's irq bypass producer token); guest masking maps
 *    to VFIO_IRQ_SET_ACTION_MASK/UNMASK on the MSI-X index, so the irqfd is
 *    never torn down and vfpost latches and replays what arrives masked.
 *  - vfio: stock vfio-pci semantics: irqfds; a masked vector's irqfd is
 *    detached and the eventfd keeps counting, so the interrupt is pending
 *    and KVM delivers it when the irqfd is attached again on unmask;
 *    growing the number of MSI-X vectors disables and re-enables MSI-X.
 *  - relay: no irqfd; a VMM thread reads the eventfds and injects with
 *    KVM_SIGNAL_MSI (pending bits kept while masked).
 */
#ifndef VMM_IRQPATH_H
#define VMM_IRQPATH_H

#include <stdbool.h>
#include <stddef.h>

#include "cli.h"

const char *irqpath_name(enum irq_path path);

/*
 * Effective path for a device bound to @driver (after any claim).
 * Returns the path, or -1 with a one-line reason in @err.
 */
int irqpath_select(enum irq_path req, const char *driver, char *err, size_t errlen);

/* What to do to get a device, from what sysfs says about it. */
struct vfio_facts {
	bool exists;		/* /sys/bus/pci/devices/BDF */
	bool is_vf;		/* has physfn */
	const char *driver;	/* bound driver name, "" if none */
	bool is_vfio;		/* that driver is a VFIO driver (vfio_is_vfio_device) */
	bool vfpost_loaded;	/* /sys/module/vfpost */
	bool iommu_group;	/* has an iommu_group link */
};

enum vfio_plan {
	VFIO_PLAN_ERROR,	/* reason in err */
	VFIO_PLAN_OPEN,		/* already bound to a VFIO driver */
	VFIO_PLAN_CLAIM,	/* claim through vfpost, release at exit */
};

enum vfio_plan vfio_plan(const char *bdf, const struct vfio_facts *f,
			 char *err, size_t errlen);

#endif /* VMM_IRQPATH_H */
