/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfpost internal interfaces between the module's parts:
 *
 *   main.c      module init/exit, the order below
 *   registry.c  VF lifecycle tracker (bus notifier, inventory, events)
 *   netlink.c   the generic netlink family of uapi/linux/vfpost.h; it
 *               installs the registry's event listener, so the registry
 *               knows nothing of netlink
 *   driver.c    the VFIO PCI variant driver and its MSI-X fast path
 *   posting.c   KVM's posting decisions per vector (posting.h)
 *
 * Init order is registry, netlink, posting, driver; exit is the reverse.
 */
#ifndef _VFPOST_H
#define _VFPOST_H

#include <linux/pci.h>
#include <linux/types.h>
#include <linux/vfpost.h>

#define VFPOST_DRIVER_NAME "vfpost"

/* registry.c: lifecycle tracking; callable from process context only. */
int vfpost_registry_init(void);
void vfpost_registry_exit(void);
/*
 * open_device calls this before it enables anything: -EBUSY while vfpost is
 * being unbound from @vf (then the open fails), else 0 and @vf has @owner
 * (releases refuse).  Then open_done once enabled (the "opened" event), or
 * open_failed (owner cleared, no event).
 */
int vfpost_registry_opened(struct pci_dev *vf, pid_t owner);
void vfpost_registry_open_done(struct pci_dev *vf);
void vfpost_registry_open_failed(struct pci_dev *vf);
void vfpost_registry_closed(struct pci_dev *vf);
void vfpost_registry_reset(struct pci_dev *vf);
void vfpost_registry_remove_requested(struct pci_dev *vf, unsigned int count);

/* netlink.c */
int vfpost_netlink_init(void);
void vfpost_netlink_exit(void);

/*
 * Between registry.c and netlink.c.  A VF is named by its key,
 * domain << 16 | bus << 8 | devfn, which orders VFs like their BDFs.
 */
struct net;
struct netlink_ext_ack;

/* A copy of one registry entry, taken under the registry lock. */
struct vfpost_vf_info {
	u64 key;
	char bdf[VFPOST_BDF_LEN];
	char pf_bdf[VFPOST_BDF_LEN];
	u32 vf_index;
	u16 vendor;
	u16 device;
	char driver[VFPOST_DRIVER_LEN];		/* "" when unbound */
	int iommu_group;			/* -1 when none */
	enum vfpost_vf_state state;
	pid_t owner;				/* 0 when not open */
	bool claimed;
	bool release_on_close;			/* claim tied to a socket */
	char prev_driver[VFPOST_DRIVER_LEN];
	char prev_override[VFPOST_DRIVER_LEN];
	u64 created_ns;
	u64 changed_ns;
	u64 seq;				/* last event sent */
	unsigned long generation;		/* bumped on add/remove */
};

/* One lifecycle event; the registry fills seq and timestamp. */
struct vfpost_event_info {
	enum vfpost_event_type type;
	u64 seq;
	u64 timestamp_ns;
	const char *bdf;			/* NULL for PF events */
	const char *pf_bdf;
	u32 vf_index;
	const char *driver;			/* NULL if none */
	pid_t pid;				/* 0 if none */
	u32 num_vfs;
	u32 request_count;
	int error;				/* VF_CLAIMED/RELEASED: errno */
};

/* Parse "dddd:bb:dd.f" strictly into a key; -EINVAL if malformed. */
int vfpost_bdf_to_key(const char *bdf, u64 *key);
/* Snapshot of the VF at @key: 0 or -ENODEV. */
int vfpost_registry_get(u64 key, struct vfpost_vf_info *info);
/*
 * Snapshot of the first VF with key >= *@cursor (of PF @pf_key if
 * @has_pf); on success sets *@cursor past it.  0 or -ENOENT at the end.
 */
int vfpost_registry_next(u64 *cursor, bool has_pf, u64 pf_key,
			 struct vfpost_vf_info *info);
/* Sequence number of the last event; *@nr_vfs = VFs tracked. */
u64 vfpost_registry_status(u32 *nr_vfs);
/* Bumped whenever a VF is added or removed (vfpost_vf_info.generation). */
unsigned long vfpost_registry_generation(void);
/* The tracked VF at @key with a reference (pci_dev_put() it), or NULL. */
struct pci_dev *vfpost_registry_pdev(u64 key);
/* The netlink socket a claim is tied to (VFPOST_A_RELEASE_ON_CLOSE). */
struct vfpost_claimant {
	const struct net *net;
	u32 portid;
};

/* Claim the VF at @key; released when @tie's socket closes if non-NULL. */
int vfpost_registry_claim(u64 key, const struct vfpost_claimant *tie,
			  struct netlink_ext_ack *extack);
int vfpost_registry_release(u64 key, struct netlink_ext_ack *extack);
/*
 * Where the registry sends its events: one listener (netlink.c installs
 * it), called with the registry lock held, so it must not take that lock
 * nor wait for a device lock or a listener.  Installing NULL returns once
 * no call to the old listener is running.
 */
typedef void (*vfpost_event_fn)(const struct vfpost_event_info *ev);
void vfpost_registry_set_listener(vfpost_event_fn fn);

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
	/* KVM's posting decision (posting.h), all 0 when none */
	u32 posting;		/* enum vfpost_posting */
	u32 posted_vcpu;
	u32 posted_vector;
	u64 posting_ns;		/* CLOCK_BOOTTIME of its last change */
};

/*
 * Fill up to @max entries for the VF's attached vectors.  Returns the number
 * of entries, or -ENODEV if @vf is not bound to vfpost.  May sleep.
 */
int vfpost_driver_vector_stats(struct pci_dev *vf,
			       struct vfpost_vector_stats *out,
			       unsigned int max);

#endif /* _VFPOST_H */
