/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every kernel-version difference vfpost cares about, in one place.
 * Supported: 6.1 and later (built for Debian 6.1, 6.12 and 7.2 and the
 * project's mainline-configured 6.12 debug kernel; Documentation/fast-path.rst
 * says what was run on each).  Every difference
 * is a feature Kbuild finds in the target's own headers (kmod/Kbuild,
 * VFPOST_HAVE_*), not a version number: stable branches and distributions
 * backport features, so a version says little about an API.
 */
#ifndef _VFPOST_COMPAT_H
#define _VFPOST_COMPAT_H

#include <linux/eventfd.h>
#include <linux/irqbypass.h>
#include <linux/vfio.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/netlink.h>
#include <linux/pci.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vfio_pci_core.h>
#include <net/genetlink.h>

/*
 * hex_to_bin() moved from <linux/kernel.h> into <linux/hex.h>, which
 * <linux/kernel.h> stopped including after 6.12 (7.2 has neither).  Kbuild
 * sees whether the header exists (VFPOST_HAVE_LINUX_HEX_H).
 */
#ifdef VFPOST_HAVE_LINUX_HEX_H
#include <linux/hex.h>
#endif

/*
 * driver_override moved from struct pci_dev (set with driver_set_override()
 * under the device lock) into struct device (device_set_driver_override(),
 * its own spinlock).  Debian's 6.12.117 has the backport; 6.1 does not.
 * Kbuild looks for the function (VFPOST_HAVE_DEVICE_DRIVER_OVERRIDE), so a
 * 6.12 tree without the backport builds the older branch.
 */
#ifdef VFPOST_HAVE_DEVICE_DRIVER_OVERRIDE
static inline int vfpost_set_override(struct pci_dev *pdev, const char *s)
{
	return device_set_driver_override(&pdev->dev, s);
}

static inline void vfpost_get_override(struct pci_dev *pdev, char *buf,
				       size_t len)
{
	spin_lock(&pdev->dev.driver_override.lock);
	strscpy(buf, pdev->dev.driver_override.name ?: "", len);
	spin_unlock(&pdev->dev.driver_override.lock);
}
#else
static inline int vfpost_set_override(struct pci_dev *pdev, const char *s)
{
	return driver_set_override(&pdev->dev, &pdev->driver_override, s,
				   strlen(s));
}

static inline void vfpost_get_override(struct pci_dev *pdev, char *buf,
				       size_t len)
{
	device_lock(&pdev->dev);
	strscpy(buf, pdev->driver_override ?: "", len);
	device_unlock(&pdev->dev);
}
#endif

/*
 * eventfd_signal(ctx, n) lost its count argument in 6.8; Kbuild sees which
 * one the target declares (VFPOST_HAVE_EVENTFD_SIGNAL_NO_COUNT).  vfpost
 * always adds one.
 */
static inline void vfpost_eventfd_signal(struct eventfd_ctx *ctx)
{
#ifdef VFPOST_HAVE_EVENTFD_SIGNAL_NO_COUNT
	eventfd_signal(ctx);
#else
	eventfd_signal(ctx, 1);
#endif
}

/*
 * irq bypass producer registration.  Up to 6.16 the producer carries an
 * opaque token (vfpost uses the eventfd context) and the host irq, and
 * irq_bypass_register_producer() takes only the producer.  From 6.17 the
 * manager keys producers by eventfd in an xarray and takes both as
 * arguments; the token member is gone.  Kbuild looks for the two-argument
 * declaration (VFPOST_HAVE_BYPASS_EVENTFD_ARG).
 */
static inline int vfpost_bypass_register(struct irq_bypass_producer *prod,
					 struct eventfd_ctx *trigger, int irq)
{
#ifdef VFPOST_HAVE_BYPASS_EVENTFD_ARG
	return irq_bypass_register_producer(prod, trigger, irq);
#else
	prod->token = trigger;
	prod->irq = irq;
	return irq_bypass_register_producer(prod);
#endif
}

/*
 * Dynamic MSI-X (vectors added to a live table), from 6.2 where the irq
 * domain supports it; detected by Kbuild (VFPOST_HAVE_MSIX_ALLOC_DYN).
 */
#ifdef VFPOST_HAVE_MSIX_ALLOC_DYN
static inline bool vfpost_msix_can_alloc_dyn(struct pci_dev *pdev)
{
	return pci_msix_can_alloc_dyn(pdev);
}

/* The new vector's irq, or -errno. */
static inline int vfpost_msix_alloc_at(struct pci_dev *pdev,
				       unsigned int index)
{
	struct msi_map map = pci_msix_alloc_irq_at(pdev, index, NULL);

	return map.index < 0 ? map.index : map.virq;
}
#else
static inline bool vfpost_msix_can_alloc_dyn(struct pci_dev *pdev)
{
	return false;
}

static inline int vfpost_msix_alloc_at(struct pci_dev *pdev,
				       unsigned int index)
{
	return -EOPNOTSUPP;
}
#endif

/*
 * The core's ERR and REQ triggers (struct vfio_pci_core_device err_trigger,
 * req_trigger), set by vfpost under igate.  Older cores keep a plain
 * eventfd_ctx pointer and read it under igate; newer ones (an upstream
 * change backported to Debian's 6.12.y) wrap it in an RCU-freed struct
 * vfio_pci_eventfd that the core frees with kfree() at close.  Kbuild
 * detects the struct in the target's headers (VFPOST_HAVE_VFIO_PCI_EVENTFD).
 */
#ifdef VFPOST_HAVE_VFIO_PCI_EVENTFD
/* The trigger of @index, VFIO_PCI_ERR_IRQ_INDEX or VFIO_PCI_REQ_IRQ_INDEX. */
static inline struct vfio_pci_eventfd __rcu **
vfpost_trigger_slot(struct vfio_pci_core_device *core, unsigned int index)
{
	return index == VFIO_PCI_ERR_IRQ_INDEX ? &core->err_trigger :
						 &core->req_trigger;
}

static inline struct eventfd_ctx *
vfpost_trigger_get(struct vfio_pci_core_device *core, unsigned int index)
{
	struct vfio_pci_eventfd *e;

	e = rcu_dereference_protected(*vfpost_trigger_slot(core, index),
				      lockdep_is_held(&core->igate));
	return e ? e->ctx : NULL;
}

/* Module exit waits for these with rcu_barrier(). */
static void __maybe_unused vfpost_trigger_free_rcu(struct rcu_head *rcu)
{
	struct vfio_pci_eventfd *e = container_of(rcu, struct vfio_pci_eventfd,
						  rcu);

	eventfd_ctx_put(e->ctx);
	kfree(e);
}

/* Takes over @ctx (may be NULL) on success. */
static inline int vfpost_trigger_replace(struct vfio_pci_core_device *core,
					 unsigned int index,
					 struct eventfd_ctx *ctx)
{
	struct vfio_pci_eventfd *new = NULL, *old;

	if (ctx) {
		new = kzalloc(sizeof(*new), GFP_KERNEL_ACCOUNT);
		if (!new)
			return -ENOMEM;
		new->ctx = ctx;
	}
	old = rcu_replace_pointer(*vfpost_trigger_slot(core, index), new,
				  lockdep_is_held(&core->igate));
	if (old)
		call_rcu(&old->rcu, vfpost_trigger_free_rcu);
	return 0;
}
#else
static inline struct eventfd_ctx **
vfpost_trigger_slot(struct vfio_pci_core_device *core, unsigned int index)
{
	return index == VFIO_PCI_ERR_IRQ_INDEX ? &core->err_trigger :
						 &core->req_trigger;
}

static inline struct eventfd_ctx *
vfpost_trigger_get(struct vfio_pci_core_device *core, unsigned int index)
{
	lockdep_assert_held(&core->igate);
	return *vfpost_trigger_slot(core, index);
}

static inline int vfpost_trigger_replace(struct vfio_pci_core_device *core,
					 unsigned int index,
					 struct eventfd_ctx *ctx)
{
	struct eventfd_ctx **slot = vfpost_trigger_slot(core, index);

	lockdep_assert_held(&core->igate);
	if (*slot)
		eventfd_ctx_put(*slot);
	*slot = ctx;
	return 0;
}
#endif

/*
 * struct vfio_device_ops members a newer vfio core requires of a PCI
 * variant driver, each found by Kbuild in the target's <linux/vfio.h>:
 *
 * - the iommufd ops (6.2; mandatory for a physical device from 6.6 when
 *   CONFIG_IOMMUFD is set; without it the helpers are typed NULL macros,
 *   which is what the core expects then), detach_ioas among them only from
 *   6.6, and their PASID variants (6.15): VFPOST_HAVE_VFIO_IOMMUFD_OPS,
 *   VFPOST_HAVE_VFIO_DETACH_IOAS and VFPOST_HAVE_VFIO_PASID_OPS;
 * - get_region_info_caps (6.19): the core answers VFIO_DEVICE_GET_REGION_INFO
 *   itself and fails it with -EINVAL when the driver lacks the op
 *   (VFPOST_HAVE_VFIO_GET_REGION_INFO_CAPS);
 * - match_token_uuid (6.17): vfio_pci_core_match(), vfpost's .match, calls
 *   it without a NULL check, so a driver without it oopses on every open of
 *   the device through its group (VFPOST_HAVE_VFIO_MATCH_TOKEN_UUID).
 *
 * A member probe that missed (a declaration rewrapped upstream) would ship
 * a module that oopses or fails every VMM, so Kbuild also finds the helper
 * each member is set to, and the build stops if the two disagree.
 */
#if defined(VFPOST_HAVE_VFIO_IOMMUFD_OPS) != \
	defined(VFPOST_HAVE_IOMMUFD_PHYSICAL_BIND) || \
	defined(VFPOST_HAVE_VFIO_DETACH_IOAS) != \
	defined(VFPOST_HAVE_IOMMUFD_PHYSICAL_DETACH) || \
	defined(VFPOST_HAVE_VFIO_PASID_OPS) != \
	defined(VFPOST_HAVE_IOMMUFD_PHYSICAL_PASID) || \
	defined(VFPOST_HAVE_VFIO_GET_REGION_INFO_CAPS) != \
	defined(VFPOST_HAVE_PCI_GET_REGION_INFO) || \
	defined(VFPOST_HAVE_VFIO_MATCH_TOKEN_UUID) != \
	defined(VFPOST_HAVE_PCI_MATCH_TOKEN_UUID)
#error "kmod/Kbuild: a vfio_device_ops member and its helper probe disagree"
#endif

#ifdef VFPOST_HAVE_VFIO_IOMMUFD_OPS
#ifdef VFPOST_HAVE_VFIO_DETACH_IOAS
#define VFPOST_DETACH_IOAS_OP \
	.detach_ioas	= vfio_iommufd_physical_detach_ioas,
#else
#define VFPOST_DETACH_IOAS_OP
#endif
#define VFPOST_IOMMUFD_OPS					\
	.bind_iommufd	= vfio_iommufd_physical_bind,		\
	.unbind_iommufd	= vfio_iommufd_physical_unbind,		\
	.attach_ioas	= vfio_iommufd_physical_attach_ioas,	\
	VFPOST_DETACH_IOAS_OP
#else
#define VFPOST_IOMMUFD_OPS
#endif

#ifdef VFPOST_HAVE_VFIO_PASID_OPS
#define VFPOST_PASID_OPS						\
	.pasid_attach_ioas = vfio_iommufd_physical_pasid_attach_ioas,	\
	.pasid_detach_ioas = vfio_iommufd_physical_pasid_detach_ioas,
#else
#define VFPOST_PASID_OPS
#endif

#ifdef VFPOST_HAVE_VFIO_GET_REGION_INFO_CAPS
#define VFPOST_REGION_INFO_OP \
	.get_region_info_caps = vfio_pci_ioctl_get_region_info,
#else
#define VFPOST_REGION_INFO_OP
#endif

#ifdef VFPOST_HAVE_VFIO_MATCH_TOKEN_UUID
#define VFPOST_MATCH_TOKEN_OP \
	.match_token_uuid = vfio_pci_core_match_token_uuid,
#else
#define VFPOST_MATCH_TOKEN_OP
#endif

/*
 * Split do/dump ops (6.2, detected by Kbuild: VFPOST_HAVE_GENL_SPLIT_OPS)
 * changed two things vfpost uses.  struct genl_dumpit_info gained a struct
 * genl_info, where 6.1 has the validated attribute table directly; and the
 * family's pre_doit is passed the split op, where 6.1 passes the full op.
 */
#ifdef VFPOST_HAVE_GENL_SPLIT_OPS
#define vfpost_genl_doit_ops	genl_split_ops
#else
#define vfpost_genl_doit_ops	genl_ops
#endif

/* The validated request attributes of a dump, for its dumpit callback. */
static inline struct nlattr **vfpost_dump_attrs(struct netlink_callback *cb)
{
#ifdef VFPOST_HAVE_GENL_SPLIT_OPS
	return genl_dumpit_info(cb)->info.attrs;
#else
	return genl_dumpit_info(cb)->attrs;
#endif
}

/*
 * Only CAP_NET_ADMIN may join the lifecycle group (its events name VMM
 * pids).  The genetlink core checks GENL_MCAST_CAP_NET_ADMIN in
 * genl_bind(): upstream since 6.7, and in Debian's 6.1 and 6.12 through
 * stable.  A kernel without the flag has no per-family hook to refuse a
 * join either (struct genl_family has no bind callback in 6.1; the old
 * mcast_bind is long gone), so rather than let any user read VMM pids,
 * vfpost does not build there.
 */
#ifdef GENL_MCAST_CAP_NET_ADMIN
#define VFPOST_MCGRP_LIFECYCLE_FLAGS	GENL_MCAST_CAP_NET_ADMIN
#else
#error "no GENL_MCAST_CAP_NET_ADMIN: this kernel cannot restrict the lifecycle group"
#endif

/*
 * A formatted extack message about @pdev.  NL_SET_ERR_MSG_FMT (with the
 * buffer in the extack) came in 6.2.  Without it the extack gets @fixed, a
 * string literal without the details, and the formatted message goes to the
 * kernel log (rate limited): a message formatted into a static buffer
 * would have to outlive the handler until netlink_ack() copies it, and a
 * concurrent request could overwrite it meanwhile.
 */
#ifdef NL_SET_ERR_MSG_FMT
#define vfpost_extack_fmt(extack, pdev, fixed, fmt, ...) \
	NL_SET_ERR_MSG_FMT(extack, fmt, ##__VA_ARGS__)
#else
#define vfpost_extack_fmt(extack, pdev, fixed, fmt, ...)		\
	do {								\
		NL_SET_ERR_MSG(extack, fixed);				\
		pci_info_ratelimited(pdev, fmt "\n", ##__VA_ARGS__);	\
	} while (0)
#endif

/*
 * KVM's posting decision comes from its kvm_pi_irte_update tracepoint
 * (x86 KVM, arch/x86/kvm/trace.h, which no header package ships), which
 * posting.c finds by name and probes.  A probe must take exactly the
 * tracepoint's TP_PROTO (after its void *data), or it reads its arguments
 * from the wrong registers.  The prototypes, read from each lab kernel's
 * source:
 *
 *   up to 6.16 (Debian 6.1.0-57, 6.12.117 and the debug 6.12.117), fired
 *   from vmx/posted_intr.c and svm/avic.c when they post or unpost:
 *	TP_PROTO(unsigned int host_irq, unsigned int vcpu_id,
 *		 unsigned int gsi, unsigned int gvec,
 *		 u64 pi_desc_addr, bool set)
 *   from 6.17 (Debian 7.2.13), fired from irq.c's kvm_pi_update_irte()
 *   after every IRTE update, vcpu NULL when set is false:
 *	TP_PROTO(unsigned int host_irq, struct kvm_vcpu *vcpu,
 *		 unsigned int gsi, unsigned int gvec, bool set)
 *
 * The change is upstream commit c5af31698d71 ("KVM: x86: Move posted
 * interrupt tracepoint to common code"), merged for 6.17 with the rest of
 * the irq bypass rework, two parts of which headers show:
 * kvm_x86_ops.pi_update_irte() takes the irqfd (asm/kvm_host.h,
 * VFPOST_HAVE_KVM_PI_UPDATE_IRQFD) and producers register with their
 * eventfd (VFPOST_HAVE_BYPASS_EVENTFD_ARG).  Both: the 6.17 prototype;
 * neither: the old one; only one (a partial backport): no probe at all,
 * VFPOST_KVM_PI_PROBE is NULL and no decision is recorded, rather than a
 * probe that might not match (VFPOST_KVM_PI_KNOWN says which).
 *
 * VFPOST_KVM_PI_ARGS lists the probe's parameter types once: a
 * static_assert holds the probe to it, and posting.c puts it into the
 * module's modinfo (kvm_pi_irte_update=...), where posting_test compares
 * it with the running KVM's own btf_trace_kvm_pi_irte_update.
 */
#include "posting.h"

#if defined(CONFIG_X86) && defined(VFPOST_HAVE_KVM_PI_UPDATE_IRQFD) && \
	defined(VFPOST_HAVE_BYPASS_EVENTFD_ARG)
#include <linux/kvm_host.h>

static void __maybe_unused vfpost_kvm_pi_probe(void *data,
					       unsigned int host_irq,
					       struct kvm_vcpu *vcpu,
					       unsigned int gsi,
					       unsigned int gvec, bool set)
{
	vfpost_posting_report(host_irq, set && vcpu,
			      vcpu ? vcpu->vcpu_id : 0, gvec);
}

#define VFPOST_KVM_PI_ARGS \
	void *, unsigned int, struct kvm_vcpu *, unsigned int, unsigned int, bool

#define VFPOST_KVM_PI_PROBE	vfpost_kvm_pi_probe
#define VFPOST_KVM_PI_KNOWN	1
#elif defined(CONFIG_X86) && !defined(VFPOST_HAVE_KVM_PI_UPDATE_IRQFD) && \
	!defined(VFPOST_HAVE_BYPASS_EVENTFD_ARG)
static void __maybe_unused vfpost_kvm_pi_probe(void *data,
					       unsigned int host_irq,
					       unsigned int vcpu_id,
					       unsigned int gsi,
					       unsigned int gvec,
					       u64 pi_desc_addr, bool set)
{
	vfpost_posting_report(host_irq, set, vcpu_id, gvec);
}

#define VFPOST_KVM_PI_ARGS \
	void *, unsigned int, unsigned int, unsigned int, unsigned int, u64, bool

#define VFPOST_KVM_PI_PROBE	vfpost_kvm_pi_probe
#define VFPOST_KVM_PI_KNOWN	1
#else
#define VFPOST_KVM_PI_PROBE	NULL
#define VFPOST_KVM_PI_KNOWN	0
#define VFPOST_KVM_PI_ARGS	none
#endif

#if VFPOST_KVM_PI_KNOWN
static_assert(__builtin_types_compatible_p(typeof(vfpost_kvm_pi_probe),
					   void (VFPOST_KVM_PI_ARGS)));
#endif

#endif /* _VFPOST_COMPAT_H */
