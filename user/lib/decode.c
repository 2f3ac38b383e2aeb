// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvfpost: pure helpers -- PCI address parsing, enum names and decoding
 * of the family's messages.  No socket here, so the host unit tests can
 * feed it constructed messages.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "decode.h"

/*
 * No tail padding: ->size (the bytes valid) is then also the stride of an
 * array, and a field appended later lies beyond this version's ->size.
 */
_Static_assert(sizeof(struct vfpost_vf) == END_OF(struct vfpost_vf, seq),
	       "struct vfpost_vf has tail padding");
_Static_assert(sizeof(struct vfpost_vector) ==
	       END_OF(struct vfpost_vector, posting_ns),
	       "struct vfpost_vector has tail padding");
_Static_assert(sizeof(struct vfpost_event) ==
	       END_OF(struct vfpost_event, reserved),
	       "struct vfpost_event has tail padding");

static int hex_field(const char *s, size_t len, size_t min, size_t max,
		     unsigned long *val)
{
	size_t i;

	if (len < min || len > max)
		return -EINVAL;
	*val = 0;
	for (i = 0; i < len; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return -EINVAL;
		*val = *val * 16 + (isdigit((unsigned char)s[i]) ?
				    s[i] - '0' :
				    tolower((unsigned char)s[i]) - 'a' + 10);
	}
	return 0;
}

/*
 * The kernel names a PCI device "%04x:%02x:%02x.%d" (domain, bus, device,
 * function): exactly that (in either case), or without "0000:".  A domain
 * above 0xffff prints more than 4 digits, never with a leading zero, so
 * the address must print back to itself.
 */
int vfpost_parse_bdf(const char *s, char out[VFPOST_BDF_LEN])
{
	unsigned long dom = 0, bus, dev, fn;
	const char *c1, *c2, *dot, *b = s;
	char norm[VFPOST_BDF_LEN] = "";	/* copied whole: no stale bytes */

	if (!s)
		return -EINVAL;
	c1 = strchr(s, ':');
	if (!c1)
		return -EINVAL;
	c2 = strchr(c1 + 1, ':');
	if (c2) {			/* domain:bus:dev.fn */
		if (hex_field(s, c1 - s, 4, 8, &dom))
			return -EINVAL;
		b = c1 + 1;
	} else {			/* bus:dev.fn, domain 0 */
		c2 = c1;
	}
	dot = strchr(c2 + 1, '.');
	if (!dot || hex_field(b, c2 - b, 2, 2, &bus) ||
	    hex_field(c2 + 1, dot - c2 - 1, 2, 2, &dev) ||
	    hex_field(dot + 1, strlen(dot + 1), 1, 1, &fn) ||
	    dev > 0x1f || fn > 7)
		return -EINVAL;
	snprintf(norm, sizeof(norm), "%04lx:%02lx:%02lx.%lx", dom, bus, dev,
		 fn);
	if (strcasecmp(s, b == s ? norm + 5 : norm))
		return -EINVAL;
	memcpy(out, norm, sizeof(norm));
	return 0;
}

const char *vfpost_state_name(int state)
{
	switch (state) {
	case VFPOST_VF_UNBOUND: return "unbound";
	case VFPOST_VF_BOUND: return "bound";
	case VFPOST_VF_OPEN: return "open";
	case VFPOST_VF_REMOVING: return "removing";
	}
	return "?";
}

const char *vfpost_event_name(int type)
{
	switch (type) {
	case VFPOST_EVENT_VF_ADDED: return "added";
	case VFPOST_EVENT_VF_REMOVED: return "removed";
	case VFPOST_EVENT_DRIVER_BOUND: return "bound";
	case VFPOST_EVENT_DRIVER_UNBOUND: return "unbound";
	case VFPOST_EVENT_VF_OPENED: return "opened";
	case VFPOST_EVENT_VF_CLOSED: return "closed";
	case VFPOST_EVENT_VF_RESET: return "reset";
	case VFPOST_EVENT_VF_REMOVE_REQUESTED: return "remove-requested";
	case VFPOST_EVENT_PF_NUMVFS: return "numvfs";
	case VFPOST_EVENT_VF_CLAIMED: return "claimed";
	case VFPOST_EVENT_VF_RELEASED: return "released";
	case VFPOST_EVENT_LIB_GAP: return "lost";
	case VFPOST_EVENT_LIB_RESYNC: return "resync";
	case VFPOST_EVENT_LIB_UNLOADED: return "unloaded";
	case VFPOST_EVENT_LIB_RELOADED: return "reloaded";
	}
	return "?";
}

const char *vfpost_bypass_name(int bypass)
{
	switch (bypass) {
	case VFPOST_BYPASS_STATE_NONE: return "none";
	case VFPOST_BYPASS_STATE_REGISTERED: return "registered";
	case VFPOST_BYPASS_STATE_CONNECTED: return "connected";
	}
	return "?";
}

const char *vfpost_posting_name(int posting)
{
	switch (posting) {
	case VFPOST_POSTING_NONE: return "none";
	case VFPOST_POSTING_POSTED: return "posted";
	case VFPOST_POSTING_REMAPPED: return "remapped";
	}
	return "?";
}

static struct nla_policy vf_policy[VFPOST_A_MAX + 1] = {
	[VFPOST_A_BDF] = { .type = NLA_STRING, .maxlen = VFPOST_BDF_LEN },
	[VFPOST_A_PF_BDF] = { .type = NLA_STRING, .maxlen = VFPOST_BDF_LEN },
	[VFPOST_A_VF_INDEX] = { .type = NLA_U32 },
	[VFPOST_A_VENDOR] = { .type = NLA_U16 },
	[VFPOST_A_DEVICE] = { .type = NLA_U16 },
	[VFPOST_A_DRIVER] = { .type = NLA_STRING,
			      .maxlen = VFPOST_DRIVER_LEN },
	[VFPOST_A_IOMMU_GROUP] = { .type = NLA_U32 },
	[VFPOST_A_STATE] = { .type = NLA_U32 },
	[VFPOST_A_OWNER_PID] = { .type = NLA_U32 },
	[VFPOST_A_CREATED_NS] = { .type = NLA_U64 },
	[VFPOST_A_CHANGED_NS] = { .type = NLA_U64 },
	[VFPOST_A_CLAIMED] = { .type = NLA_FLAG },
	[VFPOST_A_RELEASE_ON_CLOSE] = { .type = NLA_FLAG },
	[VFPOST_A_PREV_DRIVER] = { .type = NLA_STRING,
				   .maxlen = VFPOST_DRIVER_LEN },
	[VFPOST_A_PREV_OVERRIDE] = { .type = NLA_STRING,
				     .maxlen = VFPOST_DRIVER_LEN },
	[VFPOST_A_SEQ] = { .type = NLA_U64 },
	[VFPOST_A_TIMESTAMP_NS] = { .type = NLA_U64 },
	[VFPOST_A_EVENT] = { .type = NLA_U32 },
	[VFPOST_A_NUM_VFS] = { .type = NLA_U32 },
	[VFPOST_A_REQUEST_COUNT] = { .type = NLA_U32 },
	[VFPOST_A_ERROR] = { .type = NLA_U32 },
	[VFPOST_A_VECTORS] = { .type = NLA_NESTED },
};

static struct nla_policy vec_policy[VFPOST_VEC_A_MAX + 1] = {
	[VFPOST_VEC_A_INDEX] = { .type = NLA_U32 },
	[VFPOST_VEC_A_HOST_IRQ] = { .type = NLA_U32 },
	[VFPOST_VEC_A_HOST_HITS] = { .type = NLA_U64 },
	[VFPOST_VEC_A_MASKED_HITS] = { .type = NLA_U64 },
	[VFPOST_VEC_A_MASKED] = { .type = NLA_U8 },
	[VFPOST_VEC_A_PENDING] = { .type = NLA_U8 },
	[VFPOST_VEC_A_BYPASS] = { .type = NLA_U32 },
	[VFPOST_VEC_A_LAST_CPU] = { .type = NLA_U32 },
	[VFPOST_VEC_A_POSTING] = { .type = NLA_U32 },
	[VFPOST_VEC_A_POSTED_VCPU] = { .type = NLA_U32 },
	[VFPOST_VEC_A_POSTED_VECTOR] = { .type = NLA_U32 },
	[VFPOST_VEC_A_POSTING_NS] = { .type = NLA_U64 },
};

/* Copy a string attribute that must be NUL-terminated within @len. */
static int get_str(struct nlattr *a, char *buf, size_t len)
{
	const char *s;
	size_t n;

	buf[0] = '\0';
	if (!a)
		return 0;
	s = nla_data(a);
	n = strnlen(s, nla_len(a));
	if (n == (size_t)nla_len(a) || n >= len)
		return -EINVAL;
	memcpy(buf, s, n + 1);
	return 0;
}

static int parse(const struct nlmsghdr *nlh, int cmd, struct nlattr **tb)
{
	struct genlmsghdr *g;

	if (!genlmsg_valid_hdr((struct nlmsghdr *)nlh, 0))
		return -EINVAL;
	g = nlmsg_data(nlh);
	if (g->cmd != cmd)
		return -EINVAL;
	if (genlmsg_parse((struct nlmsghdr *)nlh, 0, tb, VFPOST_A_MAX,
			  vf_policy) < 0)
		return -EINVAL;
	return 0;
}

static int decode_vector(struct nlattr *nest, struct vfpost_vector *v)
{
	struct nlattr *tb[VFPOST_VEC_A_MAX + 1];

	if (nla_parse_nested(tb, VFPOST_VEC_A_MAX, nest, vec_policy) < 0 ||
	    !tb[VFPOST_VEC_A_INDEX])
		return -EINVAL;
	memset(v, 0, sizeof(*v));
	v->size = sizeof(*v);
	v->index = nla_get_u32(tb[VFPOST_VEC_A_INDEX]);
	v->last_cpu = -1;
	if (tb[VFPOST_VEC_A_HOST_IRQ])
		v->host_irq = nla_get_u32(tb[VFPOST_VEC_A_HOST_IRQ]);
	if (tb[VFPOST_VEC_A_HOST_HITS])
		v->host_hits = nla_get_u64(tb[VFPOST_VEC_A_HOST_HITS]);
	if (tb[VFPOST_VEC_A_MASKED_HITS])
		v->masked_hits = nla_get_u64(tb[VFPOST_VEC_A_MASKED_HITS]);
	if (tb[VFPOST_VEC_A_MASKED])
		v->masked = nla_get_u8(tb[VFPOST_VEC_A_MASKED]);
	if (tb[VFPOST_VEC_A_PENDING])
		v->pending = nla_get_u8(tb[VFPOST_VEC_A_PENDING]);
	if (tb[VFPOST_VEC_A_BYPASS])
		v->bypass = nla_get_u32(tb[VFPOST_VEC_A_BYPASS]);
	if (tb[VFPOST_VEC_A_LAST_CPU])
		v->last_cpu = (int32_t)nla_get_u32(tb[VFPOST_VEC_A_LAST_CPU]);
	if (tb[VFPOST_VEC_A_POSTING])
		v->posting = nla_get_u32(tb[VFPOST_VEC_A_POSTING]);
	if (tb[VFPOST_VEC_A_POSTED_VCPU])
		v->posted_vcpu = nla_get_u32(tb[VFPOST_VEC_A_POSTED_VCPU]);
	if (tb[VFPOST_VEC_A_POSTED_VECTOR])
		v->posted_vector = nla_get_u32(tb[VFPOST_VEC_A_POSTED_VECTOR]);
	if (tb[VFPOST_VEC_A_POSTING_NS])
		v->posting_ns = nla_get_u64(tb[VFPOST_VEC_A_POSTING_NS]);
	return 0;
}

int vfpost_decode_vf(const struct nlmsghdr *nlh, struct vfpost_vf *vf,
		     struct vfpost_vector *vec, unsigned int max,
		     unsigned int *nr_vec)
{
	struct nlattr *tb[VFPOST_A_MAX + 1], *pos;
	unsigned int nr = 0;
	int rem, cmd;

	if (!genlmsg_valid_hdr((struct nlmsghdr *)nlh, 0))
		return -EINVAL;
	cmd = ((struct genlmsghdr *)nlmsg_data(nlh))->cmd;
	if (cmd != VFPOST_CMD_VF_GET && cmd != VFPOST_CMD_VF_CLAIM &&
	    cmd != VFPOST_CMD_VF_RELEASE)
		return -EINVAL;
	if (parse(nlh, cmd, tb))
		return -EINVAL;
	if (!tb[VFPOST_A_BDF] || !tb[VFPOST_A_PF_BDF] || !tb[VFPOST_A_STATE])
		return -EINVAL;
	memset(vf, 0, sizeof(*vf));
	vf->size = sizeof(*vf);
	if (get_str(tb[VFPOST_A_BDF], vf->bdf, sizeof(vf->bdf)) ||
	    get_str(tb[VFPOST_A_PF_BDF], vf->pf_bdf, sizeof(vf->pf_bdf)) ||
	    get_str(tb[VFPOST_A_DRIVER], vf->driver, sizeof(vf->driver)) ||
	    get_str(tb[VFPOST_A_PREV_DRIVER], vf->prev_driver,
		    sizeof(vf->prev_driver)) ||
	    get_str(tb[VFPOST_A_PREV_OVERRIDE], vf->prev_override,
		    sizeof(vf->prev_override)))
		return -EINVAL;
	vf->state = nla_get_u32(tb[VFPOST_A_STATE]);
	vf->iommu_group = -1;
	if (tb[VFPOST_A_VF_INDEX])
		vf->vf_index = nla_get_u32(tb[VFPOST_A_VF_INDEX]);
	if (tb[VFPOST_A_VENDOR])
		vf->vendor = nla_get_u16(tb[VFPOST_A_VENDOR]);
	if (tb[VFPOST_A_DEVICE])
		vf->device = nla_get_u16(tb[VFPOST_A_DEVICE]);
	if (tb[VFPOST_A_IOMMU_GROUP])
		vf->iommu_group = nla_get_u32(tb[VFPOST_A_IOMMU_GROUP]);
	if (tb[VFPOST_A_OWNER_PID])
		vf->owner_pid = nla_get_u32(tb[VFPOST_A_OWNER_PID]);
	if (tb[VFPOST_A_CREATED_NS])
		vf->created_ns = nla_get_u64(tb[VFPOST_A_CREATED_NS]);
	if (tb[VFPOST_A_CHANGED_NS])
		vf->changed_ns = nla_get_u64(tb[VFPOST_A_CHANGED_NS]);
	if (tb[VFPOST_A_SEQ])
		vf->seq = nla_get_u64(tb[VFPOST_A_SEQ]);
	vf->claimed = !!tb[VFPOST_A_CLAIMED];
	vf->release_on_close = !!tb[VFPOST_A_RELEASE_ON_CLOSE];

	if (tb[VFPOST_A_VECTORS]) {
		nla_for_each_nested(pos, tb[VFPOST_A_VECTORS], rem) {
			if (nla_type(pos) != VFPOST_A_VECTOR)
				return -EINVAL;
			if (nr < max && vec && decode_vector(pos, &vec[nr]))
				return -EINVAL;
			nr++;
		}
	}
	if (nr_vec)
		*nr_vec = nr;
	return 0;
}

int vfpost_decode_event(const struct nlmsghdr *nlh, struct vfpost_event *ev)
{
	struct nlattr *tb[VFPOST_A_MAX + 1];

	if (parse(nlh, VFPOST_CMD_EVENT, tb))
		return -EINVAL;
	if (!tb[VFPOST_A_EVENT] || !tb[VFPOST_A_SEQ] ||
	    !tb[VFPOST_A_TIMESTAMP_NS] || !tb[VFPOST_A_PF_BDF])
		return -EINVAL;
	memset(ev, 0, sizeof(*ev));
	ev->size = sizeof(*ev);
	ev->type = nla_get_u32(tb[VFPOST_A_EVENT]);
	ev->seq = nla_get_u64(tb[VFPOST_A_SEQ]);
	ev->timestamp_ns = nla_get_u64(tb[VFPOST_A_TIMESTAMP_NS]);
	if (ev->type <= VFPOST_EVENT_UNSPEC)
		return -EINVAL;
	/* A newer module's event: it still takes a sequence number. */
	if (ev->type > VFPOST_EVENT_MAX)
		return -EOPNOTSUPP;
	if (get_str(tb[VFPOST_A_BDF], ev->bdf, sizeof(ev->bdf)) ||
	    get_str(tb[VFPOST_A_PF_BDF], ev->pf_bdf, sizeof(ev->pf_bdf)) ||
	    get_str(tb[VFPOST_A_DRIVER], ev->driver, sizeof(ev->driver)))
		return -EINVAL;
	if (ev->type != VFPOST_EVENT_PF_NUMVFS && !ev->bdf[0])
		return -EINVAL;
	if (tb[VFPOST_A_VF_INDEX])
		ev->vf_index = nla_get_u32(tb[VFPOST_A_VF_INDEX]);
	if (tb[VFPOST_A_OWNER_PID])
		ev->pid = nla_get_u32(tb[VFPOST_A_OWNER_PID]);
	if (tb[VFPOST_A_NUM_VFS])
		ev->num_vfs = nla_get_u32(tb[VFPOST_A_NUM_VFS]);
	if (tb[VFPOST_A_REQUEST_COUNT])
		ev->request_count = nla_get_u32(tb[VFPOST_A_REQUEST_COUNT]);
	if (tb[VFPOST_A_ERROR])
		ev->error = (int)nla_get_u32(tb[VFPOST_A_ERROR]);
	return 0;
}

int vfpost_decode_ctrl(const struct nlmsghdr *nlh)
{
	struct nlattr *tb[CTRL_ATTR_MAX + 1];
	char name[GENL_NAMSIZ];
	int cmd;

	if (nlh->nlmsg_type != GENL_ID_CTRL ||
	    !genlmsg_valid_hdr((struct nlmsghdr *)nlh, 0))
		return 0;
	cmd = ((struct genlmsghdr *)nlmsg_data(nlh))->cmd;
	if (cmd != CTRL_CMD_NEWFAMILY && cmd != CTRL_CMD_DELFAMILY)
		return 0;
	if (genlmsg_parse((struct nlmsghdr *)nlh, 0, tb, CTRL_ATTR_MAX,
			  NULL) < 0 || !tb[CTRL_ATTR_FAMILY_NAME] ||
	    get_str(tb[CTRL_ATTR_FAMILY_NAME], name, sizeof(name)) ||
	    strcmp(name, VFPOST_GENL_NAME))
		return 0;
	return cmd;
}

void vfpost_copy_out(void *dst, const void *src, size_t size, size_t full)
{
	uint32_t n = size < full ? size : full;

	memcpy(dst, src, n);
	memset((char *)dst + n, 0, size - n);
	memcpy(dst, &n, sizeof(n));	/* ->size, the first member */
}

int vfpost_decode_ack(const struct nlmsghdr *nlh, const char **msg)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	const struct nlmsgerr *e;
	size_t off, len;
	int err;

	*msg = NULL;
	len = nlh->nlmsg_len;
	if (len < NLMSG_HDRLEN)
		return -EPROTO;
	len -= NLMSG_HDRLEN;
	if (nlh->nlmsg_type == NLMSG_DONE) {
		/* An empty DONE (old kernels) is a success. */
		if (len < sizeof(int))
			return 0;
		memcpy(&err, nlmsg_data(nlh), sizeof(err));
		off = sizeof(int);
	} else if (nlh->nlmsg_type == NLMSG_ERROR) {
		if (len < sizeof(*e))
			return -EPROTO;
		e = nlmsg_data(nlh);
		err = e->error;
		off = sizeof(*e);
		/* Uncapped: the request follows its header, then the TLVs. */
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED) &&
		    e->msg.nlmsg_len > NLMSG_HDRLEN)
			off += NLMSG_ALIGN(e->msg.nlmsg_len - NLMSG_HDRLEN);
	} else {
		return -EPROTO;
	}
	if (err > 0)
		err = -EPROTO;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || off >= len)
		return err;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX,
		      (struct nlattr *)((char *)nlmsg_data(nlh) + off),
		      (int)(len - off), NULL) || !tb[NLMSGERR_ATTR_MSG])
		return err;
	/* Only a NUL-terminated message. */
	if (nla_len(tb[NLMSGERR_ATTR_MSG]) > 0 &&
	    strnlen(nla_data(tb[NLMSGERR_ATTR_MSG]),
		    nla_len(tb[NLMSGERR_ATTR_MSG])) <
	    (size_t)nla_len(tb[NLMSGERR_ATTR_MSG]))
		*msg = nla_data(tb[NLMSGERR_ATTR_MSG]);
	return err;
}
