/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfpost's VFIO variant driver, internal to driver.c, msix.c, bypass.c.
 *
 * Locking, outermost first:
 *   vfpost_devices_lock (driver.c)  the list of bound devices; a stats read
 *                                   takes a device reference under it and
 *                                   reads after dropping it
 *   core.igate                      vfio_pci_core's interrupt gate; taken
 *                                   around every MSI-X state change so vfpost
 *                                   and the core never both own interrupts
 *   vd->lock                        vfpost's MSI-X state (vectors, masks)
 *   core.memory_lock                held for write while vfpost writes the
 *                                   MSI-X table (request/free/enable/
 *                                   disable_irq), for read around PBA reads
 *
 * The registry's vfpost_lock (registry.c) nests inside all of these and
 * inside the core's dev_set->lock and the device lock: open_device takes
 * it under dev_set->lock, and reset_done runs under the device lock (and,
 * for VFIO_DEVICE_RESET, memory_lock held for write).  So vfpost never
 * waits for a VFIO lock, a device lock or vd->lock with vfpost_lock held
 * (the PF work only tries a PF's device lock).
 *
 * The hard irq handler reads vector->trigger without a lock: it is written
 * only while the irq is not requested (before request_irq, after free_irq).
 * The irq bypass callbacks run under the bypass manager's own mutex (and,
 * from KVM_IRQFD, inside KVM's irq_srcu read section) and touch only
 * vector->bypass (READ_ONCE/WRITE_ONCE).  vfpost never (un)registers a
 * producer with memory_lock held.  vector->posting, KVM's decisions for
 * the vector's irq, lives as long as its producer's registration and
 * changes under vd->lock; its record has its own lock (posting.c).
 */
#ifndef _VFPOST_FASTPATH_H
#define _VFPOST_FASTPATH_H

#include <linux/irqbypass.h>
#include <linux/mutex.h>
#include <linux/vfio_pci_core.h>

#include "vfpost.h"

struct vfpost_device;

struct vfpost_vector {
	struct vfpost_device *vd;
	unsigned int index;
	int irq;			/* host irq once allocated, else 0 */
	struct eventfd_ctx *trigger;	/* NULL while detached */
	struct irq_bypass_producer producer;
	int bypass;			/* enum vfpost_bypass_state */
	struct vfpost_pi_entry *posting;	/* while registered, if any */
	bool masked;			/* VFIO ACTION_MASK state */
	bool soft_pending;		/* software trigger while masked */
	u64 host_hits;			/* written by the irq handler only */
	u64 masked_hits;		/* replays after unmask, under vd->lock */
	int last_cpu;
	char name[40];
};

struct vfpost_device {
	struct vfio_pci_core_device core;	/* must be first */
	struct list_head node;		/* on vfpost_devices */
	struct mutex lock;		/* protects everything below */
	bool msix_on;			/* host vectors allocated */
	bool dyn;			/* ... one by one (dynamic MSI-X) */
	unsigned int nvec;		/* MSI-X table size, 0 if no MSI-X */
	struct vfpost_vector *vec;	/* nvec entries, allocated at probe */
	void __iomem *pba;		/* pending bit array while msix_on */
};

static inline struct pci_dev *vfpost_pdev(struct vfpost_device *vd)
{
	return vd->core.pdev;
}

/* msix.c */
int vfpost_msix_init(struct vfpost_device *vd);
void vfpost_msix_free(struct vfpost_device *vd);
void vfpost_msix_disable(struct vfpost_device *vd);
u32 vfpost_msix_irq_flags(struct vfpost_device *vd);
/* core.memory_lock for write, around MSI-X table writes */
void vfpost_memory_lock(struct vfpost_device *vd);
void vfpost_memory_unlock(struct vfpost_device *vd);
/* @data: the kernel copy of the eventfds/bools of a validated @hdr */
int vfpost_msix_set_irqs(struct vfpost_device *vd, struct vfio_irq_set *hdr,
			 void *data);
int vfpost_msix_stats(struct vfpost_device *vd,
		      struct vfpost_vector_stats *out, unsigned int max);

/* irqs.c: the VFIO ioctls, one read of each request */
int vfpost_irqs_get_info(struct vfpost_device *vd, unsigned long arg);
int vfpost_irqs_set(struct vfpost_device *vd, unsigned long arg);

/* bypass.c */
int vfpost_bypass_attach(struct vfpost_vector *v);
void vfpost_bypass_detach(struct vfpost_vector *v);

#endif /* _VFPOST_FASTPATH_H */
