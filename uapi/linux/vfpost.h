/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vfpost: the generic netlink contract between vfpost.ko and userspace.
 *
 * This header is the single source of truth for both sides: the module
 * (kmod/) and libvfpost (user/lib/) include it and nothing else defines the
 * family.  Documentation/vfpost.rst describes the same API with examples.
 *
 * Family "vfpost", version 1.  Every command is strictly validated: unknown
 * attributes, attributes of the wrong type or size, a non-zero reserved
 * header field, or trailing garbage are rejected with -EINVAL and a netlink
 * extended ACK message naming the problem.
 *
 * Commands (request attributes -> reply):
 *
 * VFPOST_CMD_VF_GET
 *	doit: VFPOST_A_BDF (required), VFPOST_A_STATS (optional flag).
 *	      Reply: one VF message (see "VF message" below); with
 *	      VFPOST_A_STATS the reply also carries VFPOST_A_VECTORS, and
 *	      fails with -EOPNOTSUPP if the VF is not bound to vfpost, and
 *	      with -EMSGSIZE if the VF has more vectors than one
 *	      VFPOST_A_VECTORS attribute can hold (its nla_len is 16 bits:
 *	      585 vectors on x86-64).  This is a known limit of this uapi:
 *	      MSI-X allows 2048 vectors, and there is no way yet to read the
 *	      statistics of a VF with more than 585.
 *	      VFPOST_A_PF_BDF is refused (-EINVAL).
 *	dumpit (NLM_F_DUMP): VFPOST_A_PF_BDF (optional filter).
 *	      One VF message per tracked VF, in BDF order, never with
 *	      vectors.  VFPOST_A_BDF and VFPOST_A_STATS are refused, as is a
 *	      malformed PF_BDF.  Every refused dump (these, or -EMSGSIZE if
 *	      a VF message does not fit an empty buffer) ends with an
 *	      NLMSG_DONE whose payload is the negative errno followed by the
 *	      extack attributes (NLM_F_ACK_TLVS), never with NLMSG_ERROR;
 *	      on 6.1 it carries only NLMSGERR_ATTR_MSG, no _OFFS.  VFs that
 *	      come or go during the dump set NLM_F_DUMP_INTR on the
 *	      following messages, at least on the NLMSG_DONE.
 *	Unprivileged, except VFPOST_A_STATS: CAP_NET_ADMIN (it reads the
 *	config space and pending bits of a device a VM may own).  Replies
 *	carry VFPOST_A_OWNER_PID only if the requester has CAP_NET_ADMIN.
 *
 * VFPOST_CMD_VF_CLAIM
 *	VFPOST_A_BDF (required), VFPOST_A_RELEASE_ON_CLOSE (optional flag).
 *	Binds the VF to the "vfpost" driver through driver_override and a
 *	probe, after unbinding its current driver.  The previous
 *	driver_override and driver are remembered.  Refused with -EBUSY
 *	(extack naming the driver and the VFIO group file) if the VF is open
 *	through another VFIO driver: unbinding it would wait for that user;
 *	also -EBUSY while another claim or release of the VF is in progress.
 *	The binding runs in the kernel's own work item and ends with a
 *	VFPOST_EVENT_VF_CLAIMED event (with VFPOST_A_ERROR if it failed).
 *	The request waits for it about two seconds at most, then fails
 *	with -EINPROGRESS (extack naming the driver and the VFIO group
 *	file) while the claim goes on: either the VF was opened during the
 *	claim and the unbind waits for that user to close it, or a driver's
 *	remove or probe is slow (real VFs: seconds).  The claim completes,
 *	or fails, later; the event tells which (VFPOST_EVENT_VF_REMOVED
 *	instead if the VF is removed first).  -EINTR if the request is
 *	killed while it waits: the claim goes on the same way.  With
 *	VFPOST_A_RELEASE_ON_CLOSE the claim lasts as long as the requesting
 *	socket: when it is closed (or its process dies) the VF is released
 *	as by VFPOST_CMD_VF_RELEASE, at once or when a VMM that has it open
 *	closes it.  Without it the claim lasts until released or unload.
 *	Reply: the VF message after the claim.  Requires CAP_SYS_ADMIN (it
 *	rebinds PCI drivers; CAP_NET_ADMIN is not enough).
 *
 * VFPOST_CMD_VF_RELEASE
 *	VFPOST_A_BDF (required).  Unbinds a claimed VF from vfpost, restores the
 *	remembered driver_override and rebinds the remembered driver (if any).
 *	Refused with -EBUSY while a VMM has the VF open, or while another
 *	claim or release of the VF is in progress.  Ends with a
 *	VFPOST_EVENT_VF_RELEASED event; like a claim, the request fails with
 *	-EINPROGRESS if that takes more than about two seconds (the release
 *	then completes in the background).  Reply: the VF message after the
 *	release.  Requires CAP_SYS_ADMIN.
 *
 * VFPOST_CMD_STATUS_GET
 *	No attributes.  Reply: VFPOST_A_SEQ (the last event sent; a listener
 *	that subscribes and then asks knows where its stream starts) and
 *	VFPOST_A_NUM_VFS (how many VFs are tracked).  Unprivileged.
 *
 * VFPOST_CMD_EVENT
 *	Never a request: the command of every message multicast to the
 *	VFPOST_MCGRP_LIFECYCLE group (see "Event message").  Joining the
 *	group requires CAP_NET_ADMIN (events name VMM pids); without it the
 *	join (setsockopt NETLINK_ADD_MEMBERSHIP or bind) fails with EPERM,
 *	with no extack: netlink has none for a join.  The capability is
 *	checked at join time, against the joining task only: a member that
 *	drops its capabilities later, or a member socket passed to another
 *	process (SCM_RIGHTS, fork), keeps receiving.
 *
 * Errors (errno, with an extack message): -EINVAL malformed BDF or missing
 * attribute (extack points at the attribute), -ENODEV no tracked VF at that
 * BDF, -EPERM without the capability the command needs (the extack message
 * names it), -EALREADY claiming a claimed VF, -ENOENT releasing a VF that
 * is not claimed, -EBUSY the VF is open by a VMM (or, for a claim, through
 * another VFIO driver), -EOPNOTSUPP statistics of a VF not bound to vfpost,
 * -EMSGSIZE more vectors than a reply holds.
 */
#ifndef _UAPI_LINUX_VFPOST_H
#define _UAPI_LINUX_VFPOST_H

#define VFPOST_GENL_NAME	"vfpost"
#define VFPOST_GENL_VERSION	1
#define VFPOST_MCGRP_LIFECYCLE	"lifecycle"

/*
 * A PCI address as text, "dddd:bb:dd.f" in lower-case hex, as the kernel names
 * PCI devices (12 characters; domains above 0xffff print more digits).
 * VFPOST_BDF_LEN is the buffer size including the NUL.
 */
#define VFPOST_BDF_LEN		20
/* Longest driver name carried in VFPOST_A_DRIVER / _PREV_DRIVER, with NUL. */
#define VFPOST_DRIVER_LEN	64

enum vfpost_cmd {
	VFPOST_CMD_UNSPEC,
	VFPOST_CMD_VF_GET,
	VFPOST_CMD_VF_CLAIM,
	VFPOST_CMD_VF_RELEASE,
	VFPOST_CMD_EVENT,
	VFPOST_CMD_STATUS_GET,

	__VFPOST_CMD_MAX,
	VFPOST_CMD_MAX = __VFPOST_CMD_MAX - 1
};

/*
 * Top-level attributes.
 *
 * VF message (reply to VF_GET, VF_CLAIM, VF_RELEASE):
 *	BDF, PF_BDF, VF_INDEX, VENDOR, DEVICE, STATE, CREATED_NS, CHANGED_NS
 *	and SEQ are always present; DRIVER when a driver is bound; IOMMU_GROUP
 *	when the VF has one; OWNER_PID while a VMM has it open through vfpost
 *	(only to a requester with CAP_NET_ADMIN); CLAIMED (and PREV_DRIVER /
 *	PREV_OVERRIDE when they were set, RELEASE_ON_CLOSE when the claim is
 *	tied to its socket) while the VF is claimed; VECTORS on request.
 *
 * Event message (VFPOST_CMD_EVENT, multicast):
 *	EVENT, SEQ, TIMESTAMP_NS and PF_BDF always; for VF events BDF and
 *	VF_INDEX too; plus the event's own attribute (see enum vfpost_event_type).
 */
enum vfpost_attr {
	VFPOST_A_UNSPEC,
	VFPOST_A_PAD,		/* alignment padding for u64, never parsed */

	/* string "dddd:bb:dd.f": the VF (requests: which VF) */
	VFPOST_A_BDF,
	/* string "dddd:bb:dd.f": its PF (dump requests: filter by PF) */
	VFPOST_A_PF_BDF,
	/* u32: VF number on its PF, 0-based (pci_iov_vf_id()) */
	VFPOST_A_VF_INDEX,
	/* u16: PCI vendor ID of the VF */
	VFPOST_A_VENDOR,
	/* u16: PCI device ID of the VF */
	VFPOST_A_DEVICE,
	/* string: name of the bound driver; absent when none is bound */
	VFPOST_A_DRIVER,
	/* u32: IOMMU group number; absent when the VF has no group */
	VFPOST_A_IOMMU_GROUP,
	/* u32: enum vfpost_vf_state */
	VFPOST_A_STATE,
	/* u32: pid (thread group id) of the process that opened the VF */
	VFPOST_A_OWNER_PID,
	/* u64: CLOCK_REALTIME ns when the VF appeared (or the module loaded) */
	VFPOST_A_CREATED_NS,
	/* u64: CLOCK_REALTIME ns of the VF's last state change */
	VFPOST_A_CHANGED_NS,
	/* flag: the VF is claimed through VFPOST_CMD_VF_CLAIM */
	VFPOST_A_CLAIMED,
	/* string: driver bound before the claim; restored on release */
	VFPOST_A_PREV_DRIVER,
	/* string: driver_override before the claim; restored on release */
	VFPOST_A_PREV_OVERRIDE,
	/*
	 * u64: event sequence number.  In an event: its own number; the module
	 * numbers events 1, 2, 3... with no gaps, so a listener that sees a
	 * jump lost events.  In a VF message: the number of the last event
	 * sent before the reply was built (everything up to it is reflected).
	 */
	VFPOST_A_SEQ,
	/* u64: CLOCK_REALTIME ns when the event happened */
	VFPOST_A_TIMESTAMP_NS,
	/* u32: enum vfpost_event_type */
	VFPOST_A_EVENT,
	/*
	 * u32: the PF's new number of enabled VFs (VFPOST_EVENT_PF_NUMVFS);
	 * in a STATUS_GET reply, the number of tracked VFs
	 */
	VFPOST_A_NUM_VFS,
	/* u32: how many times removal was requested so far */
	VFPOST_A_REQUEST_COUNT,
	/* flag (request): also report per-vector statistics */
	VFPOST_A_STATS,
	/* nest: one VFPOST_A_VECTOR nest per attached MSI-X vector */
	VFPOST_A_VECTORS,
	/* nest of enum vfpost_vector_attr, inside VFPOST_A_VECTORS */
	VFPOST_A_VECTOR,
	/*
	 * flag.  In a VF_CLAIM request: release the VF when the requesting
	 * netlink socket is closed (its owner exits or is killed), as soon as
	 * no VMM has it open.  In a VF message: the claim is tied so.
	 */
	VFPOST_A_RELEASE_ON_CLOSE,
	/*
	 * u32, in VF_CLAIMED and VF_RELEASED events: the positive errno the
	 * claim or release failed with (absent when it succeeded)
	 */
	VFPOST_A_ERROR,

	__VFPOST_A_MAX,
	VFPOST_A_MAX = __VFPOST_A_MAX - 1
};

/* Attributes of one MSI-X vector (nested in VFPOST_A_VECTOR). */
enum vfpost_vector_attr {
	VFPOST_VEC_A_UNSPEC,
	VFPOST_VEC_A_PAD,
	/* u32: MSI-X vector number (table entry) */
	VFPOST_VEC_A_INDEX,
	/* u32: host Linux irq number of the vector */
	VFPOST_VEC_A_HOST_IRQ,
	/* u64: interrupts that ran the host handler (not posted) */
	VFPOST_VEC_A_HOST_HITS,
	/* u64: of those, interrupts latched while the vector was masked */
	VFPOST_VEC_A_MASKED_HITS,
	/* u8: 1 while the vector is masked through VFIO */
	VFPOST_VEC_A_MASKED,
	/* u8: 1 while an interrupt is latched pending */
	VFPOST_VEC_A_PENDING,
	/* u32: enum vfpost_bypass */
	VFPOST_VEC_A_BYPASS,
	/* s32: CPU of the last host-handled interrupt, -1 before the first */
	VFPOST_VEC_A_LAST_CPU,
	/*
	 * u32: enum vfpost_posting, KVM's last posting decision for the
	 * vector's host irq as KVM reported it (its kvm_pi_irte_update
	 * tracepoint) since vfpost registered the vector's irq bypass
	 * producer.  Always present (VFPOST_POSTING_NONE when KVM reported
	 * nothing); a module older than this attribute sends none.
	 */
	VFPOST_VEC_A_POSTING,
	/* u32: the vCPU id the vector is posted to (POSTING_POSTED only) */
	VFPOST_VEC_A_POSTED_VCPU,
	/* u32: the guest vector it is posted as (POSTING_POSTED only) */
	VFPOST_VEC_A_POSTED_VECTOR,
	/*
	 * u64: CLOCK_BOOTTIME ns (ns since boot, suspend included) of the
	 * last change of the decision; absent with POSTING_NONE
	 */
	VFPOST_VEC_A_POSTING_NS,

	__VFPOST_VEC_A_MAX,
	VFPOST_VEC_A_MAX = __VFPOST_VEC_A_MAX - 1
};

/* VFPOST_VEC_A_BYPASS: the vector's irq bypass producer. */
enum vfpost_bypass {
	VFPOST_BYPASS_STATE_NONE,	/* no producer registered */
	VFPOST_BYPASS_STATE_REGISTERED,	/* registered, no consumer yet */
	VFPOST_BYPASS_STATE_CONNECTED	/* KVM's irqfd consumer paired (not proof of posting) */
};

/*
 * VFPOST_VEC_A_POSTING: whether KVM put the vector's interrupt remapping
 * entry (IRTE) into posted mode, as KVM reported it through its
 * kvm_pi_irte_update tracepoint (Documentation/fast-path.rst, "Verifying
 * posting").  KVM reports only where it can post (APICv or AVIC with an
 * IOMMU that has IRQ_POSTING_CAP), and vfpost hears it only while the kvm
 * module is loaded.
 */
enum vfpost_posting {
	VFPOST_POSTING_NONE,		/* KVM reported nothing for this vector */
	VFPOST_POSTING_POSTED,		/* posted to POSTED_VCPU as POSTED_VECTOR */
	VFPOST_POSTING_REMAPPED	/* KVM set it back to remapped (host) mode */
};

/*
 * VFPOST_A_STATE: where a VF is in its life (see the diagram in
 * Documentation/vfpost.rst).  A removed VF is no longer tracked.
 */
enum vfpost_vf_state {
	VFPOST_VF_UNBOUND,	/* no driver bound */
	VFPOST_VF_BOUND,	/* a driver is bound (VFPOST_A_DRIVER) */
	VFPOST_VF_OPEN,		/* bound to vfpost and open by a VMM */
	VFPOST_VF_REMOVING	/* removal requested while open */
};

/* VFPOST_A_EVENT: what happened.  Extra attributes in brackets. */
enum vfpost_event_type {
	VFPOST_EVENT_UNSPEC,
	VFPOST_EVENT_VF_ADDED,		/* VF created by its PF driver */
	VFPOST_EVENT_VF_REMOVED,	/* VF deleted */
	VFPOST_EVENT_DRIVER_BOUND,	/* [DRIVER] a driver bound the VF */
	VFPOST_EVENT_DRIVER_UNBOUND,	/* [DRIVER] the driver let it go */
	VFPOST_EVENT_VF_OPENED,		/* [OWNER_PID] a VMM opened it */
	VFPOST_EVENT_VF_CLOSED,		/* [OWNER_PID] the VMM closed it */
	VFPOST_EVENT_VF_RESET,		/* the VF was reset (while on vfpost) */
	VFPOST_EVENT_VF_REMOVE_REQUESTED, /* [OWNER_PID, REQUEST_COUNT]
					   * removal waits for the owner to
					   * close the VF
					   */
	VFPOST_EVENT_PF_NUMVFS,		/* [NUM_VFS] PF's sriov_numvfs changed;
					 * PF_BDF only, no BDF
					 */
	VFPOST_EVENT_VF_CLAIMED,	/* [ERROR] a claim's binding ended:
					 * bound to vfpost, or failed (ERROR)
					 */
	VFPOST_EVENT_VF_RELEASED,	/* [DRIVER, ERROR] a release ended:
					 * given back to DRIVER, or that
					 * driver did not bind (ERROR)
					 */

	__VFPOST_EVENT_MAX,
	VFPOST_EVENT_MAX = __VFPOST_EVENT_MAX - 1
};

#endif /* _UAPI_LINUX_VFPOST_H */
