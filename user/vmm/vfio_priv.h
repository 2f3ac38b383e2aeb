/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internals of the VFIO passthrough shared by vfio_pci.c (device, config
 * space, BARs, lifecycle), vfio_irq.c (MSI-X, MSI, INTx along the three
 * interrupt paths) and vfio_vfpost.c (libvfpost claim and events).
 *
 * Locking:
 *  - config space (struct vcfg) is serialized by the PCI bus lock: pci.c
 *    calls cfg_read/cfg_write with it held.  The vcfg callbacks (bar_map,
 *    msi_update, msix_ctrl) therefore run under it.
 *  - a->lock protects the interrupt state (msix table, vectors, MSI, INTx,
 *    dead).  It is taken by the MMIO handler (MSI-X table/PBA), by the
 *    config callbacks for MSI/MSI-X and by the service thread (relay,
 *    removal).  It is never held across vm_unregister_mmio() (which waits
 *    for running MMIO handlers) nor across pci_bus_remove().
 *  - resetting (under a->lock): a guest-asked VFIO_DEVICE_RESET is under
 *    way without a->lock (cfg_reset); the relay drops the device's
 *    interrupts meanwhile (they predate the reset).
 *  - dead is written under a->lock (vfio_detach) and read under it by the
 *    interrupt paths, but the config space accessors (pci_cfg_read/write,
 *    cfg_bar_map) run under the bus lock only and read it without a->lock:
 *    hence atomic (sequentially consistent).  A stale false there is
 *    harmless: close_device removes the device from the bus, which waits
 *    for the access, before it unmaps the BARs and closes the device.
 */
#ifndef VMM_VFIO_PRIV_H
#define VMM_VFIO_PRIV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/vfio.h>

#include "cli.h"
#include "msix.h"
#include "pci.h"
#include "vfio_bar.h"
#include "vfio_cfg.h"

#define VFIO_MAX_AREAS	8

struct vfio_region {
	uint64_t offset;	/* file offset in the device fd */
	uint64_t size;
	uint32_t flags;
	int nr_mmap;		/* sparse mmap areas (or one for the whole region) */
	struct bar_area mmap[VFIO_MAX_AREAS];
	void *map[VFIO_MAX_AREAS];	/* host mapping of each area */
};

struct vfio_bar_state {
	uint64_t gpa;		/* where it decodes, valid if on */
	bool on;
	bool trapped;		/* our MMIO/PIO trap is registered at gpa */
	int nr_slots;
	int slot[VFIO_MAX_AREAS];
	bool pio;		/* registered as port I/O */
};

struct vfio_vector {
	int efd;		/* -1: not attached */
	int gsi;		/* -1: no route (relay path) */
	bool irqfd;		/* KVM_IRQFD currently assigned */
	bool hw_masked;		/* VFIO ACTION_MASK applied (vfpost path) */
};

struct vfio_vfpost;
struct vfpost;

struct vfio_assigned {
	struct vm *vm;
	char bdf[VMM_BDF_LEN];
	enum irq_path path;
	bool is_vf;
	bool vfpost_loaded;	/* /sys/module/vfpost at assignment */
	bool claimed;		/* claimed through vfpost: release at exit */
	struct vfpost *claim;	/* the claim's handle: closing it releases */
	char driver[64];

	enum vfio_backend backend;	/* asked, then the one in use (vfio_iommu.c) */
	int group;		/* IOMMU group number (container backend), -1 */
	int fd;			/* the VFIO device, -1 */
	struct vfio_device_info info;
	struct vfio_region cfg_region;
	struct vfio_region bar[VCFG_NR_BARS + 1];	/* [VCFG_ROM]: the ROM */
	bool rom_off;		/* --vfio BDF,rom=off: ROM BAR hidden */
	uint8_t *rom_data;	/* the ROM's contents (bar[VCFG_ROM].size bytes) */

	struct pci_device pdev;
	bool on_bus;
	struct vcfg cfg;
	struct vfio_bar_state bars[VCFG_NR_BARS + 1];
	uint64_t bar_home[VCFG_NR_BARS + 1];	/* allocated address, 0: none (freed at release) */

	pthread_mutex_t lock;
	atomic_bool dead;	/* see Locking above */
	bool resetting;		/* a guest reset runs without a->lock (a->lock) */
	bool reset_failed;	/* the last guest reset failed (bus lock) */

	/* MSI-X */
	bool has_msix;
	int msix_bar, msix_pba_bar;	/* may differ */
	uint32_t msix_table_off, msix_pba_off;
	struct msix msix;
	struct vfio_vector *vec;
	unsigned int vfio_msix_count;	/* vectors enabled in VFIO (0: off) */
	bool msix_resizable;		/* no VFIO_IRQ_INFO_NORESIZE: vectors add alone */
	bool no_hw_mask;		/* VFIO refused ACTION_MASK on MSI-X */

	/* MSI (one vector) */
	bool has_msi;
	struct vfio_vector msi;
	uint64_t msi_addr;
	uint32_t msi_data;

	/* INTx with resample */
	bool has_intx;
	bool intx_on;
	int intx_efd, intx_resample;

	/* service thread: relay eventfds, removal requests, vfpost events */
	pthread_t thread;
	bool thread_started;
	int epfd;
	int stop_efd;
	int req_efd;
	struct vfio_vfpost *vp;

	/*
	 * The host wants the device back (VFIO request, vfpost event): with
	 * removal_notify set (the device table's, under a->lock) the service
	 * thread sets remove_requested and calls it instead of detaching.
	 */
	void (*removal_notify)(void *opaque);
	void *removal_opaque;
	atomic_bool remove_requested;
};

/* vfio_sysfs.c */
/* Whether /sys/bus/pci/devices/@bdf/@attr (@attr "" for the device) exists. */
bool vfio_sys_exists(const char *bdf, const char *attr);
/* Basename of the symlink /sys/bus/pci/devices/@bdf/@attr ("" if absent). */
void vfio_sys_link_name(const char *bdf, const char *attr, char *out, size_t len);
/* Whether @bdf, bound to @driver, is a VFIO device (see vfio_sysfs.c). */
bool vfio_is_vfio_device(const char *bdf, const char *driver);

/* vfio_irq.c: VFIO_DEVICE_SET_IRQS for @a; 0 or -errno. */
int vfio_set_irqs(struct vfio_assigned *a, unsigned int index, uint32_t flags,
		  unsigned int start, unsigned int count, const int32_t *fds);

/* vfio_pci.c */
/* Whether vfio_iommu.c can serve --vfio-backend @b here; one line if not. */
int vfio_iommu_precheck(const char *bdf, enum vfio_backend b);
void vfio_detach(struct vfio_assigned *a, const char *why);

/* vfio_iommu.c: the container and groups shared by all devices */
/*
 * Open @a's device (a->fd) through the VM's backend, chosen with the first
 * device from a->backend (then set to the one in use): the container (its
 * group added if new, a->group) or iommufd (its cdev bound and attached to
 * the one IOAS).  Returns 0 or -errno after one log line; on failure
 * nothing is left.
 */
int vfio_iommu_open_device(struct vfio_assigned *a);
/*
 * DMA-map all guest RAM (IOVA = GPA) into the VM's container or IOAS if no
 * device did yet: called once every device is open and reset.  0 or -errno after one
 * log line; a partial mapping goes with the container or iommufd when
 * vfio_iommu_close_device() closes the last device.
 */
int vfio_iommu_map_ram(struct vfio_assigned *a);
/* Close a->fd; a group and the container close with their last device. */
void vfio_iommu_close_device(struct vfio_assigned *a);

/* vfio_irq.c */
extern const struct msix_ops vfio_msix_ops;
int vfio_irq_init(struct vfio_assigned *a);
void vfio_irq_teardown(struct vfio_assigned *a);
void vfio_irq_msi_update(struct vfio_assigned *a, bool enabled, uint64_t addr, uint32_t data);
void vfio_irq_msix_ctrl(struct vfio_assigned *a, bool enabled, bool maskall);
/* Service thread: an eventfd registered with epoll data = tag fired. */
#define VFIO_EP_STOP	0xffff0000u
#define VFIO_EP_REQ	0xffff0001u
#define VFIO_EP_VFPOST	0xffff0002u
#define VFIO_EP_MSI	0xffff0003u
void vfio_irq_relay_event(struct vfio_assigned *a, uint32_t tag);

/* vfio_vfpost.c: all return -ENOSYS when built without libvfpost. */
bool vfio_vfpost_loaded(void);
int vfio_vfpost_claim(const char *bdf, struct vfpost **hp, char *err,
		      size_t errlen);
int vfio_vfpost_release(const char *bdf, struct vfpost *h);
struct vfio_vfpost *vfio_vfpost_subscribe(const char *bdf);
int vfio_vfpost_fd(struct vfio_vfpost *vp);
/* Process pending events; true if removal of the device was requested. */
bool vfio_vfpost_remove_requested(struct vfio_vfpost *vp);
void vfio_vfpost_unsubscribe(struct vfio_vfpost *vp);

#endif /* VMM_VFIO_PRIV_H */
