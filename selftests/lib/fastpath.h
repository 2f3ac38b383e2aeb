/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for vfpost's fast-path selftests: module load/unload, eventfd
 * counting with timeouts, host-path interrupt counts from /proc/interrupts,
 * and tracefs.  Return 0 or a negative errno unless stated otherwise; print
 * one line on failure.
 */
#ifndef _SELFTESTS_FASTPATH_H
#define _SELFTESTS_FASTPATH_H

#include <stddef.h>
#include <stdint.h>

#include "libvfpost.h"

/*
 * The usual fixture: vfpost loaded (vfpost_lab.h), one lab VF up and bound to vfpost; its
 * BDF into @bdf (LAB_BDF_LEN bytes).  And back: unbound, VFs down, vfpost
 * unloaded (which fails if anything still holds it).
 */
int fp_vf_setup(char *bdf);
int fp_vf_teardown(const char *bdf);
/*
 * Off the lab (lab_only_ok() says no), fp_vf_setup() takes the VF named by
 * VFPOST_BDF, else one bound to vfpost, else one a selftest driver knows
 * (vf_drv.h) that no host driver holds; it loads vfpost when it is not
 * loaded (modprobe vfpost) and binds the VF to it.  fp_vf_teardown() gives
 * the VF back to the driver it had and unloads vfpost only if it loaded
 * it.  -ENODEV from fp_vf_setup(): there is nothing to test here, and
 * fp_why() says why (the case skips with it).
 */
const char *fp_why(void);

struct vfio_dev;
struct nvme_drv;
struct vf_drv;

/*
 * fp_vf_setup(), then @bdf opened through VFIO into @d and its driver
 * probed into @drv (vf_drv.h).  -ENODEV: nothing to test here, @why says
 * why and everything is undone (the case skips).  Another error leaves
 * the VF set up for fp_vf_teardown() and @d closed.
 */
int fp_vf_open(char *bdf, struct vfio_dev *d, struct vf_drv *drv, char *why, size_t len);

/*
 * Open @bdf through VFIO, its NVMe controller initialised, vectors
 * [0, @nvec) on @efds, the controller enabled.  Closed again on failure.
 */
int fp_vf_start(struct vfio_dev *d, struct nvme_drv *n, const char *bdf,
		const int *efds, unsigned int nvec);
/*
 * Body of a child that plays a VMM in an interrupt storm: the VF started
 * with vector 0, admin commands back to back until killed (it dies with its
 * parent).  Exits 2 if the VF did not start, 3 if a command failed.
 */
void fp_storm(const char *bdf) __attribute__((noreturn));

/* Read @fd until @want counts arrived or @timeout_ms passed; returns the total. */
long fp_efd_wait(int fd, uint64_t want, int timeout_ms);
/* Everything that arrives on @fd within @ms. */
long fp_efd_settle(int fd, int ms);

/*
 * Host-path interrupts of vfpost's handler for @vector of @bdf, summed over
 * CPUs from /proc/interrupts; -1 when that irq is not requested.
 */
long fp_host_count(const char *bdf, unsigned int vector);
/* Number of /proc/interrupts lines containing @substr. */
int fp_irq_lines(const char *substr);
/* Host MSI/MSI-X vectors allocated for @bdf (its msi_irqs/ in sysfs). */
int fp_msi_irqs(const char *bdf);
/*
 * Number of /proc/interrupts lines of @bdf's vectors whose name starts
 * with @prefix ("vfpost-msix[", "vfio-msix[").
 */
int fp_vf_irq_lines(const char *prefix, const char *bdf);
/* Number of vfpost irqs in /proc/interrupts. */
int fp_vfpost_irqs(void);
/*
 * After a close that left vfpost irqs: print, as TAP comments, those
 * /proc/interrupts lines and whatever in this process still holds a VFIO
 * file (an fd or a mapping), so the log says which of the two it was.
 */
void fp_log_irq_leftovers(void);

/*
 * vfpost's per-vector statistics of @bdf through netlink (libvfpost): the
 * attached vector @index into *@out.  Returns 0, -ENOENT when that vector is
 * not attached, or another -errno.
 */
int fp_stats(const char *bdf, unsigned int index, struct vfpost_vector *out);

/* Clear the trace buffer and enable the space-separated vfpost events. */
int fp_trace_start(const char *events);
/* Lines of the trace buffer containing @event and @substr. */
int fp_trace_count(const char *event, const char *substr);
void fp_trace_stop(void);

#endif /* _SELFTESTS_FASTPATH_H */
