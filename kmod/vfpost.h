/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfpost internal interfaces between the module's parts:
 *
 *   main.c      module init/exit, the order below
 *   registry.c  VF lifecycle tracker (bus notifier, inventory, events)
 *   netlink.c   the generic netlink family of uapi/linux/vfpost.h
 *   driver.c    the VFIO PCI variant driver and its MSI-X fast path
 *
 * Init order is registry, netlink, driver; exit is the reverse.
 */
#ifndef _VFPOST_H
#define _VFPOST_H

#include <linux/pci.h>
#include <linux/types.h>

#define VFPOST_DRIVER_NAME "vfpost"

/* registry.c: lifecycle tracking; callable from process context only. */
int vfpost_registry_init(void);
void vfpost_registry_exit(void);
void vfpost_registry_opened(struct pci_dev *vf, pid_t owner);
void vfpost_registry_closed(struct pci_dev *vf);
void vfpost_registry_reset(struct pci_dev *vf);
void vfpost_registry_remove_requested(struct pci_dev *vf, unsigned int count);

/* netlink.c */
int vfpost_netlink_init(void);
void vfpost_netlink_exit(void);

/* driver.c: the VFIO variant driver (part 2). */
int vfpost_driver_init(void);
void vfpost_driver_exit(void);

enum vfpost_bypass_state {
	VFPOST_BYPASS_NONE,		/* no producer registered */
	VFPOST_BYPASS_REGISTERED,	/* producer registered, no consumer */
	VFPOST_BYPASS_CONNECTED,	/* KVM's irqfd consumer connected */
};

/* A consistent-enough snapshot of one attached MSI-X vector. */
struct vfpost_vector_stats {
	u32 vector;
	u32 host_irq;
	u64 host_hits;		/* interrupts seen by the host handler */
	u64 masked_hits;	/* of which latched while masked */
	bool masked;
	bool pending;
	enum vfpost_bypass_state bypass;
	int last_cpu;		/* -1 before the first interrupt */
};

/*
 * Fill up to @max entries for the VF's attached vectors.  Returns the number
 * of entries, or -ENODEV if @vf is not bound to vfpost.  May sleep.
 */
int vfpost_driver_vector_stats(struct pci_dev *vf,
			       struct vfpost_vector_stats *out,
			       unsigned int max);

#endif /* _VFPOST_H */
