/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Selftest helpers around vfpost.ko: load/unload, raw sriov_numvfs changes
 * and an event recorder on top of libvfpost.  Return 0 or -errno and print
 * one line on failure, like lab.h.
 */
#ifndef _SELFTESTS_VFPOST_LAB_H
#define _SELFTESTS_VFPOST_LAB_H

#include <stdbool.h>

#include "libvfpost.h"

/* insmod vfpost.ko for the running kernel (rmmod a stale copy first). */
int vfpost_load(void);
/*
 * rmmod vfpost: 0 (also when not loaded), or -errno with one line on
 * stderr (-EWOULDBLOCK: still in use after 3 s).
 */
int vfpost_unload(void);
bool vfpost_loaded(void);
/*
 * While vfpost is in use (a VF open): kmod's rmmod refuses within 30 s
 * (exit 1, "in use", from the module's refcnt in sysfs: it never asks the
 * kernel), and so does the kernel's delete_module(), on a thread, within
 * 5 s (EWOULDBLOCK: the reference, or a module depending on vfpost;
 * vfpost's exit never runs).  0, or -1 with what happened instead in @why.
 */
int vfpost_rmmod_refused(char *why, size_t len);

/* BDF of VF number @index (0-based) of the lab PF. */
void lab_vf_bdf(int index, char bdf[VFPOST_BDF_LEN]);

#define REC_MAX 512

/* Records every event the library delivers. */
struct recorder {
	struct vfpost_events *ev;
	struct vfpost_event e[REC_MAX];
	int n;
	int overflow;	/* events past REC_MAX */
};

int recorder_open(struct recorder *r);
void recorder_close(struct recorder *r);
/* Process events until @n are recorded or @timeout_ms elapse: r->n. */
int recorder_wait(struct recorder *r, int n, int timeout_ms);
/* Events of @type recorded from index @from on. */
int recorder_count(const struct recorder *r, int from, int type);

#endif /* _SELFTESTS_VFPOST_LAB_H */
