/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Device drivers for the fast-path suites: whatever makes a VF raise a
 * real MSI-X interrupt on a chosen vector, behind one small interface, so
 * the suites run on any VF some driver here knows, not only the lab's
 * NVMe VFs.  One file per driver (vf_drv_<name>.c), each an ops table
 * listed in vf_drv.c.  Today: nvme (vf_drv_nvme.c, over nvme_drv.c).
 *
 * The suite opens the VF through VFIO (vfio_dev.h), then:
 *   vf_drv_probe()   pick the driver by the VF's vendor:device and class;
 *   vf_drv_init()    the device ready to raise vector 0;
 *   vf_drv_arm(v)    vector v (1 .. nvec-1) ready too;
 * Call vf_drv_init() and vf_drv_arm() with MSI-X on (an eventfd attached
 * to some vector): QEMU's NVMe ties a completion queue to its vector only
 * when MSI-X is on as the queue is created, and a queue made before never
 * interrupts (hardware does not care; the lab's VFs are QEMU's).
 *   vf_drv_raise(v)  one device interrupt on vector v;
 *   vf_drv_remove()  the device quiet again, its mappings undone.
 * Attaching eventfds to the vectors stays the suite's business
 * (vfio_dev_irq_set_eventfds), as does counting what arrives.
 *
 * Functions return 0 or a negative errno and print one line naming the
 * device on failure.
 */
#ifndef _SELFTESTS_VF_DRV_H
#define _SELFTESTS_VF_DRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nvme_drv.h"
#include "vfio_dev.h"

struct vf_drv;

struct vf_drv_ops {
	const char *name;
	/* Whether this driver drives a function with these IDs. */
	bool (*match)(uint16_t vendor, uint16_t device, uint32_t class);
	/* Vectors it can raise interrupts on (0 .. max_vectors-1). */
	unsigned int max_vectors;
	/* Linux's driver for such a device, for a guest (posting_test). */
	const char *guest_module;
	int (*init)(struct vf_drv *drv);
	/*
	 * Make @vector (>= 1) raisable.  May raise other vectors on the way
	 * (nvme: two admin completions on vector 0); a counting test settles
	 * those first.
	 */
	int (*arm)(struct vf_drv *drv, unsigned int vector);
	/* One interrupt on @vector; returns once the device has raised it. */
	int (*raise)(struct vf_drv *drv, unsigned int vector);
	void (*remove)(struct vf_drv *drv);
};

struct vf_drv {
	const struct vf_drv_ops *ops;
	struct vfio_dev *dev;
	uint16_t vendor, device;
	uint32_t class;
	/* Vectors this device can be made to raise: min(ops, MSI-X table). */
	unsigned int nvec;
	uint32_t armed;		/* bit per vector that raise() may use */
	bool live;		/* init done, remove not yet */
	union {
		struct nvme_drv nvme;
	} u;
};

/* The VF's IDs from sysfs (no driver or VFIO needed). */
int vf_drv_ids(const char *bdf, uint16_t *vendor, uint16_t *device, uint32_t *class);

/*
 * The driver for @bdf's IDs, or NULL; then @why (when given) names the
 * VF's vendor:device and class and the drivers there are.
 */
const struct vf_drv_ops *vf_drv_lookup(const char *bdf, char *why, size_t len);

/*
 * Bind @drv to the opened @dev: -ENODEV when no driver knows it (@why
 * says why, as vf_drv_lookup), another -errno when its MSI-X
 * capability cannot be read.
 */
int vf_drv_probe(struct vf_drv *drv, struct vfio_dev *dev, char *why, size_t len);
int vf_drv_init(struct vf_drv *drv);
int vf_drv_arm(struct vf_drv *drv, unsigned int vector);
int vf_drv_raise(struct vf_drv *drv, unsigned int vector);
void vf_drv_remove(struct vf_drv *drv);

/* The device's MSI-X PBA bit for @vector through VFIO (0 or 1), or -errno. */
int vf_drv_pba_bit(struct vf_drv *drv, unsigned int vector);

/* The NVMe driver's state when @drv is the nvme driver, else NULL. */
struct nvme_drv *vf_drv_nvme(struct vf_drv *drv);

extern const struct vf_drv_ops vf_drv_nvme_ops;

#endif /* _SELFTESTS_VF_DRV_H */
