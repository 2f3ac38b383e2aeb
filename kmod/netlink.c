// SPDX-License-Identifier: GPL-2.0
/*
 * vfpost generic netlink family (uapi/linux/vfpost.h): VF inventory,
 * per-vector statistics, claim/release and lifecycle events.
 *
 * Every command has its own strict policy (the family validates from
 * VFPOST_CMD_VF_GET on), every rejection carries an extack message, and
 * claim/release need CAP_NET_ADMIN.  Operations run in parallel
 * (parallel_ops): the registry has its own locks and a claim may take a
 * while (it unbinds a driver), which must not stall other families.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <net/genetlink.h>

#include "compat.h"
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

/* Protects vfpost_registered; taken inside the registry lock. */
static DEFINE_MUTEX(vfpost_nl_lock);
static bool vfpost_registered;

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

static int vfpost_fill_vf(struct sk_buff *skb, const struct vfpost_vf_info *vf)
{
	if (nla_put_string(skb, VFPOST_A_BDF, vf->bdf) ||
	    nla_put_string(skb, VFPOST_A_PF_BDF, vf->pf_bdf) ||
	    nla_put_u32(skb, VFPOST_A_VF_INDEX, vf->vf_index) ||
	    nla_put_u16(skb, VFPOST_A_VENDOR, vf->vendor) ||
	    nla_put_u16(skb, VFPOST_A_DEVICE, vf->device) ||
	    vfpost_put_str(skb, VFPOST_A_DRIVER, vf->driver) ||
	    (vf->iommu_group >= 0 &&
	     nla_put_u32(skb, VFPOST_A_IOMMU_GROUP, vf->iommu_group)) ||
	    nla_put_u32(skb, VFPOST_A_STATE, vf->state) ||
	    (vf->owner && nla_put_u32(skb, VFPOST_A_OWNER_PID, vf->owner)) ||
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
		    nla_put_s32(skb, VFPOST_VEC_A_LAST_CPU, v->last_cpu))
			return -EMSGSIZE;
		nla_nest_end(skb, vec);
	}
	nla_nest_end(skb, vectors);
	return 0;
}

/* Reply to @info with the VF at @key, plus @nr vectors from @vec. */
static int vfpost_reply_vf(struct genl_info *info, u64 key,
			   const struct vfpost_vector_stats *vec, int nr)
{
	struct vfpost_vf_info vf;
	struct sk_buff *skb;
	void *hdr;
	int ret;

	ret = vfpost_registry_get(key, &vf);
	if (ret) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[VFPOST_A_BDF],
				    "no SR-IOV VF at this address");
		return ret;
	}
	skb = genlmsg_new(NLMSG_GOODSIZE + nr * 128, GFP_KERNEL);
	if (!skb)
		return -ENOMEM;
	hdr = genlmsg_put_reply(skb, info, &vfpost_family, 0, info->genlhdr->cmd);
	if (!hdr ||
	    vfpost_fill_vf(skb, &vf) ||
	    (vec && vfpost_fill_vectors(skb, vec, nr))) {
		nlmsg_free(skb);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return genlmsg_reply(skb, info);
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

	ret = vfpost_nl_key(info, &key);
	if (ret)
		return ret;
	if (info->attrs[VFPOST_A_STATS])
		return vfpost_nl_get_stats(info, key);
	return vfpost_reply_vf(info, key, NULL, 0);
}

/*
 * Dump state in cb->args: [0] key to resume from, [1] 1 if filtered by PF,
 * [2] the PF's key.  Resuming by key (not by a pointer into the list) keeps
 * the dump safe when VFs come and go between its parts; such a change marks
 * the following messages NLM_F_DUMP_INTR.
 */
static int vfpost_nl_get_start(struct netlink_callback *cb)
{
	const struct nlattr *pf;
	u64 key;

	cb->args[0] = 0;
	cb->args[1] = 0;
	pf = nlmsg_find_attr(cb->nlh, GENL_HDRLEN, VFPOST_A_PF_BDF);
	if (pf) {
		if (vfpost_bdf_to_key(nla_data(pf), &key)) {
			NL_SET_ERR_MSG_ATTR(cb->extack, pf,
					    "malformed PF address, expected dddd:bb:dd.f");
			return -EINVAL;
		}
		cb->args[1] = 1;
		cb->args[2] = key;
	}
	return 0;
}

static int vfpost_nl_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct vfpost_vf_info vf;
	u64 cursor = cb->args[0];
	u64 next = cursor;
	void *hdr;

	while (!vfpost_registry_next(&next, cb->args[1], cb->args[2], &vf)) {
		cb->seq = vf.generation;
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &vfpost_family,
				  NLM_F_MULTI, VFPOST_CMD_VF_GET);
		if (!hdr)
			break;
		genl_dump_check_consistent(cb, hdr);
		if (vfpost_fill_vf(skb, &vf)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		cursor = next;
	}
	cb->args[0] = cursor;
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
	u64 key;
	int ret;

	ret = vfpost_nl_key(info, &key);
	if (ret)
		return ret;
	if (info->genlhdr->cmd == VFPOST_CMD_VF_CLAIM)
		ret = vfpost_registry_claim(key,
					    info->attrs[VFPOST_A_RELEASE_ON_CLOSE] ?
					    &tie : NULL, info->extack);
	else
		ret = vfpost_registry_release(key, info->extack);
	if (ret)
		return ret;
	return vfpost_reply_vf(info, key, NULL, 0);
}

static int vfpost_nl_status_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	u32 nr_vfs;
	void *hdr;
	u64 seq;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
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
		.start = vfpost_nl_get_start,
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
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = VFPOST_CMD_VF_RELEASE,
		.doit = vfpost_nl_bind_doit,
		.policy = vfpost_bdf_policy,
		.maxattr = VFPOST_A_MAX,
		.flags = GENL_ADMIN_PERM,
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
	[VFPOST_MCGRP_LIFECYCLE_ID] = { .name = VFPOST_MCGRP_LIFECYCLE },
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
};

/*
 * Called with the registry lock held.  Never blocks on listeners: the
 * broadcast drops the message for a socket whose buffer is full (that
 * listener then reads ENOBUFS and sees a sequence gap).
 */
void vfpost_netlink_event(const struct vfpost_event_info *ev)
{
	struct sk_buff *skb;
	void *hdr;

	mutex_lock(&vfpost_nl_lock);
	if (!vfpost_registered ||
	    !genl_has_listeners(&vfpost_family, &init_net,
				VFPOST_MCGRP_LIFECYCLE_ID))
		goto unlock;
	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		goto unlock;
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
	     nla_put_u32(skb, VFPOST_A_REQUEST_COUNT, ev->request_count)))
		goto err;
	genlmsg_end(skb, hdr);
	genlmsg_multicast(&vfpost_family, skb, 0, VFPOST_MCGRP_LIFECYCLE_ID,
			  GFP_KERNEL);
	goto unlock;
err:
	nlmsg_free(skb);
unlock:
	mutex_unlock(&vfpost_nl_lock);
}

int vfpost_netlink_init(void)
{
	int ret;

	ret = genl_register_family(&vfpost_family);
	if (ret)
		return ret;
	mutex_lock(&vfpost_nl_lock);
	vfpost_registered = true;
	mutex_unlock(&vfpost_nl_lock);
	return 0;
}

void vfpost_netlink_exit(void)
{
	mutex_lock(&vfpost_nl_lock);
	vfpost_registered = false;
	mutex_unlock(&vfpost_nl_lock);
	genl_unregister_family(&vfpost_family);
}
