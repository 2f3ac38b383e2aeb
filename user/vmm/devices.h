/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VM's passthrough devices as the control socket sees them.
 *
 * struct vmm_device_info is a snapshot of one device: what the host gave
 * it (BDF, driver, interrupt path, DMA backend) and what the guest made of
 * it (its slot, the command register, MSI-X/MSI enable and mask bits, how
 * many vectors it unmasked and how many are wired to KVM).  Plain data:
 * the control protocol (api.c) turns it into JSON and the unit tests make
 * up their own.
 *
 * struct devtab owns the VM's devices: those assigned at start (main.c
 * hands each one over) and those the control socket adds; it removes them
 * in order (the guest asked to eject first) when remove-device or the host
 * asks, releases one the guest ejected on its own, and the rest at exit.
 * Its lock serializes the control socket's snapshots against the table's
 * changes.  See devices.c for the removal thread.
 */
#ifndef VIBEVMM_DEVICES_H
#define VIBEVMM_DEVICES_H

#include <stdbool.h>

#include "cli.h"

struct vfio_assigned;

struct vmm_device_info {
	char bdf[VMM_BDF_LEN];	/* host "DDDD:BB:DD.F" */
	char guest[8];		/* guest "00:SS.0", "" when off the bus */
	char driver[64];	/* host driver bound to it */
	const char *irq_path;	/* irqpath_name() */
	const char *backend;	/* vfio_backend_name() */
	bool attached;		/* false once detached (host removal) */
	bool removing;		/* the guest was asked to eject it; waiting */
	/* guest-visible state (config space as the guest programmed it) */
	bool mem_enabled, io_enabled, bus_master;
	bool has_msix, msix_enabled, msix_maskall;
	unsigned int msix_vectors;	/* table size */
	unsigned int msix_unmasked;	/* entries the guest unmasked */
	unsigned int msix_wired;	/* vectors with an eventfd in VFIO */
	unsigned int msix_irqfd;	/* of those, delivered by KVM irqfd */
	bool has_msi, msi_enabled;
	bool has_intx, intx_enabled;
};

/* vfio_info.c: snapshot @a (takes the bus lock and a->lock in turn). */
void vfio_describe(struct vfio_assigned *a, struct vmm_device_info *out);

struct devtab;

struct vm;

/*
 * @path and @backend: the VM's (--irq-path, --vfio-backend) for added
 * devices; @eject_ms (--eject-timeout): how long the guest has to eject a
 * device the host wants back.  Starts the removal thread.  NULL after one
 * error line.
 */
struct devtab *devtab_new(struct vm *vm, enum irq_path path, enum vfio_backend backend,
			  unsigned int eject_ms);
/* The VM is stopping: removals still waiting for the guest are forced now. */
void devtab_hurry(struct devtab *t);
/* Stop the removal thread, release every device, free the table.  NULL: no-op. */
void devtab_free(struct devtab *t);
/* Take ownership of @a: 0, or -ENOSPC when VMM_MAX_VFIO devices are in. */
int devtab_add(struct devtab *t, struct vfio_assigned *a);
/*
 * vfio_assign() @bdf along the table's path and backend (a --vfio device
 * at start) and devtab_add() it; the host's removal requests go to the
 * table from the moment the device's service thread runs.  The device, or
 * NULL after one error line (nothing left).
 */
struct vfio_assigned *devtab_assign(struct devtab *t, const char *bdf,
				    const struct vfio_dev_opts *opts);
/*
 * Add the device at @bdf to the running VM along @path (-1: the VM's),
 * with @opts (NULL: defaults): checked, claimed, opened, reset, then guest
 * RAM mapped for it (once per container/IOAS), as at start.  0, or -errno
 * with one line in @err (the bad BDF, already attached, table full, the
 * filter on; else vibevmm's log holds the cause and nothing is left).
 * A device the host detached (state detached) is released first.
 */
int devtab_attach(struct devtab *t, const char *bdf, int path, const struct vfio_dev_opts *opts,
		  char *err, size_t errlen);
/*
 * Remove @bdf.  With a hotplug notifier (devtab_set_hotplug()) the guest
 * is first asked to eject the slot and given up to @timeout_ms (0: no
 * time, not asked) to release it (*@ejected: it did); else, or then, the
 * device is detached by force (logged).  Then it is taken out of the table
 * and vfio_release() undoes everything (off the bus, BARs unmapped,
 * interrupts torn down, reset, closed, claim released).  Returns when that
 * is done: 0, or -errno with @err set (bad BDF, not attached, already
 * being removed).
 */
int devtab_detach(struct devtab *t, const char *bdf, unsigned int timeout_ms, bool *ejected,
		  char *err, size_t errlen);
struct hotplug;
/*
 * Tell the guest of additions and ask it before removals through @hp;
 * its own ejects (hotplug_set_notify()) release the device.
 */
void devtab_set_hotplug(struct devtab *t, struct hotplug *hp);
/* vibevmm is confined now: devtab_attach() refuses (it would open files). */
void devtab_set_confined(struct devtab *t);
/* Snapshot up to @max devices into @out, in assignment order: the count. */
int devtab_snapshot(struct devtab *t, struct vmm_device_info *out, int max);

#endif
