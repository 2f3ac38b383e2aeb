// SPDX-License-Identifier: GPL-2.0
/*
 * vfpost generic netlink family (uapi/linux/vfpost.h): VF inventory,
 * per-vector statistics, claim/release and lifecycle events.
 *
 * Every command has its own strict policy (the family validates from
 * VFPOST_CMD_VF_GET on).  VF_GET's doit and dump share one policy for the
 * attribute types, so each checks by hand that it got only what it takes
 * (doit: BDF and STATS, dump: PF_BDF): 6.1 has no split do/dump ops, and
 * one check for both kernels keeps them alike.  The dump reads its
 * attributes from the table the core validated, never re-parses.
 *
 * Privileges, checked in the handlers (netlink_capable(): the socket's
 * opener and the sender, in the initial user namespace) so that every
 * refusal carries an extack message:
 *   VF_CLAIM, VF_RELEASE	CAP_SYS_ADMIN: they rebind PCI drivers, e.g.
 *				a storage VF's, which CAP_NET_ADMIN must not.
 *   VF_GET with STATS		CAP_NET_ADMIN: it reads the config space and
 *				PBA of a device a VM may own.
 *   lifecycle group		CAP_NET_ADMIN to join (its events name VMM
 *				pids), checked by the core at join time
 *				(GENL_MCAST_CAP_NET_ADMIN, see compat.h): that
 *				EPERM comes from setsockopt()/bind() and has no
 *				extack, netlink has no channel for one there.
 *				Only the join is checked: a member that drops
 *				its capabilities afterwards, or a process that
 *				is handed a member socket, keeps receiving.
 *   VFPOST_A_OWNER_PID	CAP_NET_ADMIN to see, for the same reason: VF
 *				messages leave it out for anyone else.  Not a
 *				refusal, so no extack.
 * Inventory (VF_GET without STATS, the dump) and STATUS_GET stay
 * unprivileged.
 *
 * Replies are sized from their attributes (nlsize.h).  A VF_GET reply with
 * STATS carries every vector in one VFPOST_A_VECTORS nest, whose 16-bit
 * nla_len holds vfpost_nl_vectors_max() vectors (585 on x86-64); beyond
 * that the request fails with -EMSGSIZE and an extack message rather than
 * sending a corrupt nest.  This is a known limit of the current uapi: MSI-X
 * allows 2048 vectors, and statistics of a VF with more than 585 cannot be
 * read through this family until the uapi grows a way to split them.
 *
 * Operations run in parallel (parallel_ops): the registry has its own
 * locks and a claim or release may wait (about two seconds at most) for
 * its bind work, which must not stall the rest of the family.  Every
 * request still holds genetlink's cb_lock for reading, which family
 * (un)registration waits for: so no request waits for a VMM (see
 * "Binding in a work item" in registry.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <net/genetlink.h>

#include "compat.h"
#include "nlsize.h"
#include "vfpost.h"

static const struct nla_policy vfpost_get_policy[VFPOST_A_MAX + 1] = {
	[VFPOST_A_BDF] = { .type = NLA_NUL_STRING, .len = VFPOST_BDF_LEN - 1 },
	[VFPOST_A_PF_BDF] = { .type = NLA_NUL_STRING,
			      .len = VFPOST_BDF_LEN - 1 },
	[VFPOST_A_STATS] = { .type = NLA_FLAG },
};

static const struct nla_policy vfpost_bdf_policy[VFPOST_A_MAX + 1] = {
	[VFPOST_A_BDF] = { .type = NLA_NUL_STRING, .len = VFPOST_BDF_LEN - 1 },
};

static const struct nla_policy vfpost_claim_policy[VFPOST_A_MAX + 1] = {
	[VFPOST_A_BDF] = { .type = NLA_NUL_STRING, .len = VFPOST_BDF_LEN - 1 },
	[VFPOST_A_RELEASE_ON_CLOSE] = { .type = NLA_FLAG },
};

/* STATUS_GET takes no attributes: any attribute is rejected. */
static const struct nla_policy vfpost_status_policy[VFPOST_A_MAX + 1] = {
};

static struct genl_family vfpost_family;

/* The BDF attribute of a request as a registry key, or -errno + extack. */
static int vfpost_nl_key(struct genl_info *info, u64 *key)
{
	struct nlattr *attr = info->attrs[VFPOST_A_BDF];

	if (GENL_REQ_ATTR_CHECK(info, VFPOST_A_BDF)) {
		NL_SET_ERR_MSG(info->extack,
			       "missing the VF's PCI address (VFPOST_A_BDF)");
		return -EINVAL;
	}
	if (vfpost_bdf_to_key(nla_data(attr), key)) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "malformed PCI address, expected dddd:bb:dd.f");
		return -EINVAL;
	}
	return 0;
}

static int vfpost_put_str(struct sk_buff *skb, int type, const char *s)
{
	return *s ? nla_put_string(skb, type, s) : 0;
}

/*
 * One VF message's attributes.  @owner: the requester may see the VMM's
 * pid (CAP_NET_ADMIN, vfpost_nl_sees_owner()).
 */
static int vfpost_fill_vf(struct sk_buff *skb, const struct vfpost_vf_info *vf,
			  bool owner)
{
	/* vfpost_nl_vf_msg_size() counts each string at its uapi length. */
	BUILD_BUG_ON(sizeof_field(struct vfpost_vf_info, bdf) > VFPOST_BDF_LEN);
	BUILD_BUG_ON(sizeof_field(struct vfpost_vf_info, pf_bdf) >
		     VFPOST_BDF_LEN);
	BUILD_BUG_ON(sizeof_field(struct vfpost_vf_info, driver) >
		     VFPOST_DRIVER_LEN);
	BUILD_BUG_ON(sizeof_field(struct vfpost_vf_info, prev_driver) >
		     VFPOST_DRIVER_LEN);
	BUILD_BUG_ON(sizeof_field(struct vfpost_vf_info, prev_override) >
		     VFPOST_DRIVER_LEN);

	if (nla_put_string(skb, VFPOST_A_BDF, vf->bdf) ||
	    nla_put_string(skb, VFPOST_A_PF_BDF, vf->pf_bdf) ||
	    nla_put_u32(skb, VFPOST_A_VF_INDEX, vf->vf_index) ||
	    nla_put_u16(skb, VFPOST_A_VENDOR, vf->vendor) ||
	    nla_put_u16(skb, VFPOST_A_DEVICE, vf->device) ||
	    vfpost_put_str(skb, VFPOST_A_DRIVER, vf->driver) ||
	    (vf->iommu_group >= 0 &&
	     nla_put_u32(skb, VFPOST_A_IOMMU_GROUP, vf->iommu_group)) ||
	    nla_put_u32(skb, VFPOST_A_STATE, vf->state) ||
	    (owner && vf->owner &&
	     nla_put_u32(skb, VFPOST_A_OWNER_PID, vf->owner)) ||
	    nla_put_u64_64bit(skb, VFPOST_A_CREATED_NS, vf->created_ns,
			      VFPOST_A_PAD) ||
	    nla_put_u64_64bit(skb, VFPOST_A_CHANGED_NS, vf->changed_ns,
			      VFPOST_A_PAD) ||
	    nla_put_u64_64bit(skb, VFPOST_A_SEQ, vf->seq, VFPOST_A_PAD))
		return -EMSGSIZE;
	if (vf->claimed &&
	    (nla_put_flag(skb, VFPOST_A_CLAIMED) ||
	     (vf->release_on_close &&
	      nla_put_flag(skb, VFPOST_A_RELEASE_ON_CLOSE)) ||
	     vfpost_put_str(skb, VFPOST_A_PREV_DRIVER, vf->prev_driver) ||
	     vfpost_put_str(skb, VFPOST_A_PREV_OVERRIDE, vf->prev_override)))
		return -EMSGSIZE;
	return 0;
}

/* KVM's posting decision of one vector: the state always, details if any. */
static int vfpost_fill_posting(struct sk_buff *skb,
			       const struct vfpost_vector_stats *v)
{
	if (nla_put_u32(skb, VFPOST_VEC_A_POSTING, v->posting))
		return -EMSGSIZE;
	if (v->posting == VFPOST_POSTING_NONE)
		return 0;
	if (v->posting == VFPOST_POSTING_POSTED &&
	    (nla_put_u32(skb, VFPOST_VEC_A_POSTED_VCPU, v->posted_vcpu) ||
	     nla_put_u32(skb, VFPOST_VEC_A_POSTED_VECTOR, v->posted_vector)))
		return -EMSGSIZE;
	return nla_put_u64_64bit(skb, VFPOST_VEC_A_POSTING_NS, v->posting_ns,
				 VFPOST_VEC_A_PAD);
}

static int vfpost_fill_vectors(struct sk_buff *skb,
			       const struct vfpost_vector_stats *v, int nr)
{
	struct nlattr *vectors, *vec;
	int i;

	vectors = nla_nest_start(skb, VFPOST_A_VECTORS);
	if (!vectors)
		return -EMSGSIZE;
	for (i = 0; i < nr; i++, v++) {
		vec = nla_nest_start(skb, VFPOST_A_VECTOR);
		if (!vec ||
		    nla_put_u32(skb, VFPOST_VEC_A_INDEX, v->vector) ||
		    nla_put_u32(skb, VFPOST_VEC_A_HOST_IRQ, v->host_irq) ||
		    nla_put_u64_64bit(skb, VFPOST_VEC_A_HOST_HITS, v->host_hits,
				      VFPOST_VEC_A_PAD) ||
		    nla_put_u64_64bit(skb, VFPOST_VEC_A_MASKED_HITS,
				      v->masked_hits, VFPOST_VEC_A_PAD) ||
		    nla_put_u8(skb, VFPOST_VEC_A_MASKED, v->masked) ||
		    nla_put_u8(skb, VFPOST_VEC_A_PENDING, v->pending) ||
		    nla_put_u32(skb, VFPOST_VEC_A_BYPASS, v->bypass) ||
		    nla_put_s32(skb, VFPOST_VEC_A_LAST_CPU, v->last_cpu) ||
		    vfpost_fill_posting(skb, v))
			return -EMSGSIZE;
		nla_nest_end(skb, vec);
	}
	nla_nest_end(skb, vectors);
	return 0;
}

/*
 * Whether the sender of @req may see VMM pids: CAP_NET_ADMIN, like the
 * lifecycle group that names them.
 */
static bool vfpost_nl_sees_owner(const struct sk_buff *req)
{
	return netlink_capable(req, CAP_NET_ADMIN);
}

/*
 * Every doit: keep the request for vfpost_reply_vf(), which decides from
 * it whether the reply names the VF's owner (struct genl_info has no
 * pointer to the request).
 */
enum { VFPOST_NL_REQ };

static int vfpost_nl_pre_doit(const struct vfpost_genl_doit_ops *ops,
			      struct sk_buff *skb, struct genl_info *info)
{
	info->user_ptr[VFPOST_NL_REQ] = skb;
	return 0;
}

/* Reply to @info with the VF at @key, plus @nr vectors from @vec. */
/* Fill @skb with @vf (and @nr vectors) and send it; frees @skb on error. */
static int vfpost_send_vf(struct genl_info *info, struct sk_buff *skb,
			  const struct vfpost_vf_info *vf,
			  const struct vfpost_vector_stats *vec, int nr)
{
	void *hdr;

	hdr = genlmsg_put_reply(skb, info, &vfpost_family, 0, info->genlhdr->cmd);
	/* The size covers every attribute at its longest: not fitting is a bug. */
	if (WARN_ON_ONCE(!hdr ||
			 vfpost_fill_vf(skb, vf,
					vfpost_nl_sees_owner(info->user_ptr[VFPOST_NL_REQ])) ||
			 (vec && vfpost_fill_vectors(skb, vec, nr)))) {
		nlmsg_free(skb);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return genlmsg_reply(skb, info);
}

static int vfpost_reply_vf(struct genl_info *info, u64 key,
			   const struct vfpost_vector_stats *vec, int nr)
{
	struct vfpost_vf_info vf;
	struct sk_buff *skb;
	int ret;

	/* The nest's nla_len is a u16: refuse rather than wrap it. */
	if (vec && (size_t)nr > vfpost_nl_vectors_max()) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[VFPOST_A_STATS],
				    "the VF has more MSI-X vectors than one VFPOST_A_VECTORS attribute can hold");
		return -EMSGSIZE;
	}
	ret = vfpost_registry_get(key, &vf);
	if (ret) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[VFPOST_A_BDF],
				    "no SR-IOV VF at this address");
		return ret;
	}
	skb = genlmsg_new(vfpost_nl_vf_msg_size(vec ? nr : -1), GFP_KERNEL);
	if (!skb)
		return -ENOMEM;
	return vfpost_send_vf(info, skb, &vf, vec, nr);
}

static int vfpost_nl_get_stats(struct genl_info *info, u64 key)
{
	struct vfpost_vector_stats *vec;
	struct pci_dev *pdev;
	int max, nr;

	pdev = vfpost_registry_pdev(key);
	if (!pdev) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[VFPOST_A_BDF],
				    "no SR-IOV VF at this address");
		return -ENODEV;
	}
	max = pci_msix_vec_count(pdev);
	if (max < 1)
		max = 1;
	vec = kvcalloc(max, sizeof(*vec), GFP_KERNEL);
	if (!vec) {
		pci_dev_put(pdev);
		return -ENOMEM;
	}
	nr = vfpost_driver_vector_stats(pdev, vec, max);
	pci_dev_put(pdev);
	if (nr == -ENODEV) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[VFPOST_A_BDF],
				    "VF is not bound to vfpost: no vector statistics");
		nr = -EOPNOTSUPP;
	} else if (nr >= 0) {
		nr = vfpost_reply_vf(info, key, vec, min(nr, max));
	}
	kvfree(vec);
	return nr;
}

static int vfpost_nl_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	u64 key;
	int ret;

	if (info->attrs[VFPOST_A_PF_BDF]) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[VFPOST_A_PF_BDF],
				    "VFPOST_A_PF_BDF filters dumps only; VF_GET names its VF with VFPOST_A_BDF");
		return -EINVAL;
	}
	if (info->attrs[VFPOST_A_STATS] &&
	    !netlink_capable(skb, CAP_NET_ADMIN)) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[VFPOST_A_STATS],
				    "VFPOST_A_STATS reads a VM's device: needs CAP_NET_ADMIN");
		return -EPERM;
	}
	ret = vfpost_nl_key(info, &key);
	if (ret)
		return ret;
	if (info->attrs[VFPOST_A_STATS])
		return vfpost_nl_get_stats(info, key);
	return vfpost_reply_vf(info, key, NULL, 0);
}

/*
 * Dump state in cb->args (zeroed by netlink): [0] key to resume from,
 * [1] 1 if filtered by PF, [2] the PF's key, [3] 1 once the request's
 * attributes were checked, [4] 1 if the requester may see owner pids
 * (decided once, in the first call, which runs in the sender's context).
 * Resuming by key (not by a pointer into the list) keeps the dump safe
 * when VFs come and go between its parts; such a change marks the
 * following messages NLM_F_DUMP_INTR.  cb->seq is the registry generation
 * as of each dumpit call and of each VF snapshot, so the change is seen
 * even by a part that puts no VF: the core checks NLMSG_DONE too.
 *
 * The attributes are checked in the first dumpit call, not in a start
 * callback: 6.1 gives a start callback no extack (cb->extack is set only
 * around dumpit there), so a refusal from start would carry no message.
 * From dumpit the error ends the dump: NLMSG_DONE with the errno and the
 * extack message, on every kernel.
 */
static int vfpost_nl_get_filter(struct netlink_callback *cb)
{
	struct nlattr **attrs = vfpost_dump_attrs(cb);
	const struct nlattr *pf = attrs[VFPOST_A_PF_BDF];
	u64 key;

	if (attrs[VFPOST_A_BDF]) {
		NL_SET_ERR_MSG_ATTR(cb->extack, attrs[VFPOST_A_BDF],
				    "a dump takes no VFPOST_A_BDF; filter it by VFPOST_A_PF_BDF, or ask for one VF without NLM_F_DUMP");
		return -EINVAL;
	}
	if (attrs[VFPOST_A_STATS]) {
		NL_SET_ERR_MSG_ATTR(cb->extack, attrs[VFPOST_A_STATS],
				    "a dump takes no VFPOST_A_STATS; statistics are per VF: VF_GET with VFPOST_A_BDF");
		return -EINVAL;
	}
	if (pf) {
		if (vfpost_bdf_to_key(nla_data(pf), &key)) {
			NL_SET_ERR_MSG_ATTR(cb->extack, pf,
					    "malformed PF address, expected dddd:bb:dd.f");
			return -EINVAL;
		}
		cb->args[1] = 1;
		cb->args[2] = key;
	}
	cb->args[3] = 1;
	cb->args[4] = vfpost_nl_sees_owner(cb->skb);
	return 0;
}

/* A registry generation as cb->seq, which must not be 0 ("unset"). */
static unsigned int vfpost_nl_dump_seq(unsigned long generation)
{
	return generation % UINT_MAX + 1;
}

static int vfpost_nl_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct vfpost_vf_info vf;
	u64 cursor = cb->args[0];
	u64 next = cursor;
	bool full = false;
	int ret, nr = 0;
	void *hdr;

	if (!cb->args[3]) {
		ret = vfpost_nl_get_filter(cb);
		if (ret)
			return ret;
	}
	cb->seq = vfpost_nl_dump_seq(vfpost_registry_generation());
	while (!vfpost_registry_next(&next, cb->args[1], cb->args[2], &vf)) {
		cb->seq = vfpost_nl_dump_seq(vf.generation);
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &vfpost_family,
				  NLM_F_MULTI, VFPOST_CMD_VF_GET);
		if (!hdr) {
			full = true;
			break;
		}
		genl_dump_check_consistent(cb, hdr);
		if (vfpost_fill_vf(skb, &vf, cb->args[4])) {
			genlmsg_cancel(skb, hdr);
			full = true;
			break;
		}
		genlmsg_end(skb, hdr);
		cursor = next;
		nr++;
	}
	cb->args[0] = cursor;
	/* Returning 0 here would end the dump as if it were complete. */
	if (full && !nr) {
		NL_SET_ERR_MSG(cb->extack,
			       "a VF message does not fit an empty dump buffer");
		return -EMSGSIZE;
	}
	return skb->len;
}

/*
 * VF_CLAIM and VF_RELEASE.  With VFPOST_A_RELEASE_ON_CLOSE the claim is
 * tied to the requesting socket (its port in its namespace).
 */
static int vfpost_nl_bind_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vfpost_claimant tie = {
		.net = genl_info_net(info),
		.portid = info->snd_portid,
	};
	struct vfpost_vf_info vf;
	struct sk_buff *msg;
	u64 key;
	int ret;

	if (!netlink_capable(skb, CAP_SYS_ADMIN)) {
		NL_SET_ERR_MSG(info->extack,
			       "claim and release rebind PCI drivers: need CAP_SYS_ADMIN");
		return -EPERM;
	}
	ret = vfpost_nl_key(info, &key);
	if (ret)
		return ret;
	/*
	 * The reply's buffer before the claim or release: once the binding
	 * has changed, running out of memory must not report a failure.
	 */
	msg = genlmsg_new(vfpost_nl_vf_msg_size(-1), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	if (info->genlhdr->cmd == VFPOST_CMD_VF_CLAIM)
		ret = vfpost_registry_claim(key,
					    info->attrs[VFPOST_A_RELEASE_ON_CLOSE] ?
					    &tie : NULL, info->extack);
	else
		ret = vfpost_registry_release(key, info->extack);
	if (!ret)
		ret = vfpost_registry_get(key, &vf);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return vfpost_send_vf(info, msg, &vf, NULL, 0);
}

static int vfpost_nl_status_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	u32 nr_vfs;
	void *hdr;
	u64 seq;

	msg = genlmsg_new(vfpost_nl_status_msg_size(), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &vfpost_family, 0,
				VFPOST_CMD_STATUS_GET);
	if (!hdr)
		goto err;
	seq = vfpost_registry_status(&nr_vfs);
	if (nla_put_u64_64bit(msg, VFPOST_A_SEQ, seq, VFPOST_A_PAD) ||
	    nla_put_u32(msg, VFPOST_A_NUM_VFS, nr_vfs))
		goto err;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
err:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static const struct genl_ops vfpost_ops[] = {
	{
		.cmd = VFPOST_CMD_VF_GET,
		.doit = vfpost_nl_get_doit,
		.dumpit = vfpost_nl_get_dumpit,
		.policy = vfpost_get_policy,
		.maxattr = VFPOST_A_MAX,
	},
	{
		.cmd = VFPOST_CMD_VF_CLAIM,
		.doit = vfpost_nl_bind_doit,
		.policy = vfpost_claim_policy,
		.maxattr = VFPOST_A_MAX,
	},
	{
		.cmd = VFPOST_CMD_VF_RELEASE,
		.doit = vfpost_nl_bind_doit,
		.policy = vfpost_bdf_policy,
		.maxattr = VFPOST_A_MAX,
	},
	{
		.cmd = VFPOST_CMD_STATUS_GET,
		.doit = vfpost_nl_status_doit,
		.policy = vfpost_status_policy,
		.maxattr = VFPOST_A_MAX,
	},
};

enum { VFPOST_MCGRP_LIFECYCLE_ID };

static const struct genl_multicast_group vfpost_mcgrps[] = {
	[VFPOST_MCGRP_LIFECYCLE_ID] = {
		.name = VFPOST_MCGRP_LIFECYCLE,
		.flags = VFPOST_MCGRP_LIFECYCLE_FLAGS,
	},
};

static struct genl_family vfpost_family __ro_after_init = {
	.name = VFPOST_GENL_NAME,
	.version = VFPOST_GENL_VERSION,
	.module = THIS_MODULE,
	.ops = vfpost_ops,
	.n_ops = ARRAY_SIZE(vfpost_ops),
	.resv_start_op = VFPOST_CMD_VF_GET,
	.mcgrps = vfpost_mcgrps,
	.n_mcgrps = ARRAY_SIZE(vfpost_mcgrps),
	.parallel_ops = true,
	.pre_doit = vfpost_nl_pre_doit,
};

/*
 * The registry's listener: called with the registry lock held, only while
 * the family is registered (installed after genl_register_family(), removed
 * before genl_unregister_family()).  Never blocks on listeners: the
 * broadcast drops the message for a socket whose buffer is full (that
 * listener then reads ENOBUFS and sees a sequence gap).
 */
static void vfpost_netlink_event(const struct vfpost_event_info *ev)
{
	struct sk_buff *skb;
	void *hdr;

	if (!genl_has_listeners(&vfpost_family, &init_net,
				VFPOST_MCGRP_LIFECYCLE_ID))
		return;
	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return;
	hdr = genlmsg_put(skb, 0, 0, &vfpost_family, 0, VFPOST_CMD_EVENT);
	if (!hdr)
		goto err;
	if (nla_put_u32(skb, VFPOST_A_EVENT, ev->type) ||
	    nla_put_u64_64bit(skb, VFPOST_A_SEQ, ev->seq, VFPOST_A_PAD) ||
	    nla_put_u64_64bit(skb, VFPOST_A_TIMESTAMP_NS, ev->timestamp_ns,
			      VFPOST_A_PAD) ||
	    nla_put_string(skb, VFPOST_A_PF_BDF, ev->pf_bdf))
		goto err;
	if (ev->bdf &&
	    (nla_put_string(skb, VFPOST_A_BDF, ev->bdf) ||
	     nla_put_u32(skb, VFPOST_A_VF_INDEX, ev->vf_index)))
		goto err;
	if ((ev->driver && *ev->driver &&
	     nla_put_string(skb, VFPOST_A_DRIVER, ev->driver)) ||
	    (ev->pid && nla_put_u32(skb, VFPOST_A_OWNER_PID, ev->pid)))
		goto err;
	if ((ev->type == VFPOST_EVENT_PF_NUMVFS &&
	     nla_put_u32(skb, VFPOST_A_NUM_VFS, ev->num_vfs)) ||
	    (ev->type == VFPOST_EVENT_VF_REMOVE_REQUESTED &&
	     nla_put_u32(skb, VFPOST_A_REQUEST_COUNT, ev->request_count)) ||
	    (ev->error && nla_put_u32(skb, VFPOST_A_ERROR, ev->error)))
		goto err;
	genlmsg_end(skb, hdr);
	genlmsg_multicast(&vfpost_family, skb, 0, VFPOST_MCGRP_LIFECYCLE_ID,
			  GFP_KERNEL);
	return;
err:
	nlmsg_free(skb);
}

int vfpost_netlink_init(void)
{
	int ret;

	ret = genl_register_family(&vfpost_family);
	if (ret)
		return ret;
	vfpost_registry_set_listener(vfpost_netlink_event);
	return 0;
}

void vfpost_netlink_exit(void)
{
	vfpost_registry_set_listener(NULL);
	genl_unregister_family(&vfpost_family);
}
