// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvfpost: requests (get, dump, stats, claim, release) and lifecycle
 * event subscription over libnl-genl-3.
 */
#include <errno.h>
#include <stddef.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "decode.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define ERRMSG_LEN 512

#ifndef LIBVFPOST_VERSION
#error "LIBVFPOST_VERSION is set by user/Makefile"
#endif

/* The first versions of the structures: callers are never smaller. */
#define VF_SIZE_MIN	END_OF(struct vfpost_vf, seq)
#define VEC_SIZE_MIN	END_OF(struct vfpost_vector, last_cpu)

const char *vfpost_version(void)
{
	return LIBVFPOST_VERSION;
}

struct vfpost {
	struct nl_sock *sk;
	int family;
	char errmsg[ERRMSG_LEN];
};

static void set_err(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

const char *vfpost_strerror(int err)
{
	static __thread char buf[160];

	switch (err) {
	case -ENOENT:
		return "the vfpost module is not loaded (insmod vfpost.ko)";
	case -EPERM:
	case -EACCES:
		return "permission denied (events and statistics need CAP_NET_ADMIN, claim and release CAP_SYS_ADMIN)";
	}
	snprintf(buf, sizeof(buf), "cannot talk to the vfpost module: %s",
		 strerror(-err));
	return buf;
}

/* Open a generic netlink socket resolved to the family; -errno. */
static int connect_family(struct nl_sock **skp, int *family)
{
	struct nl_sock *sk;
	int one = 1, ret;

	sk = nl_socket_alloc();
	if (!sk)
		return -ENOMEM;
	ret = genl_connect(sk);
	if (ret < 0) {
		nl_socket_free(sk);
		return -EPROTONOSUPPORT;
	}
	/* Extended ACKs: the kernel's error text; capped: no echoed request. */
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_EXT_ACK, &one,
		   sizeof(one));
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_CAP_ACK, &one,
		   sizeof(one));
	ret = genl_ctrl_resolve(sk, VFPOST_GENL_NAME);
	if (ret < 0) {
		nl_socket_free(sk);
		return ret == -NLE_OBJ_NOTFOUND ? -ENOENT : -EIO;
	}
	*family = ret;
	*skp = sk;
	return 0;
}

struct vfpost *vfpost_open(int *err)
{
	struct vfpost *h;
	int ret;

	h = calloc(1, sizeof(*h));
	if (!h) {
		*err = -ENOMEM;
		return NULL;
	}
	ret = connect_family(&h->sk, &h->family);
	if (ret) {
		free(h);
		*err = ret;
		return NULL;
	}
	*err = 0;
	return h;
}

struct vfpost *vfpost_attach(int family, uint32_t peer, int *err)
{
	struct vfpost *h;

	h = calloc(1, sizeof(*h));
	if (!h) {
		*err = -ENOMEM;
		return NULL;
	}
	h->sk = nl_socket_alloc();
	if (!h->sk || genl_connect(h->sk) < 0) {
		nl_socket_free(h->sk);
		free(h);
		*err = -EPROTONOSUPPORT;
		return NULL;
	}
	nl_socket_set_peer_port(h->sk, peer);
	h->family = family;
	*err = 0;
	return h;
}

void vfpost_close(struct vfpost *h)
{
	if (!h)
		return;
	nl_socket_free(h->sk);
	free(h);
}

const char *vfpost_errmsg(const struct vfpost *h)
{
	return h->errmsg;
}

struct reply_ctx {
	struct vfpost *h;
	const char *what;		/* object named in error messages */
	int err;
	bool done;
	bool intr;			/* a dump message had NLM_F_DUMP_INTR */
	uint32_t seq;			/* the request's sequence number */
	bool replied;			/* a reply message was taken */
	/* per-message handler */
	int (*fn)(const struct nlmsghdr *nlh, struct reply_ctx *ctx);
	vfpost_vf_fn cb;
	void *arg;
	struct vfpost_vf *vf;
	struct vfpost_vector *vec;
	unsigned int max, nr_vec;
	int stopped;
};

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct reply_ctx *ctx = arg;
	int ret;

	ret = ctx->fn(nlmsg_hdr(msg), ctx);
	if (ret) {
		if (ret < 0 && !ctx->err)
			ctx->err = ret;
		return NL_SKIP;
	}
	ctx->replied = true;
	return NL_OK;
}

/* The request failed with @err: record it and one line for vfpost_errmsg(). */
static void refused(struct reply_ctx *ctx, int err, const char *ext)
{
	ctx->err = err;
	/* A refusal says so first, then the module's reason (the capability). */
	if (ext && err == -EPERM)
		set_err(ctx->h->errmsg, sizeof(ctx->h->errmsg), "%s: %s: %s",
			ctx->what, strerror(EPERM), ext);
	else if (ext)
		set_err(ctx->h->errmsg, sizeof(ctx->h->errmsg), "%s: %s",
			ctx->what, ext);
	else
		set_err(ctx->h->errmsg, sizeof(ctx->h->errmsg), "%s: %s",
			ctx->what, strerror(-err));
}

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct reply_ctx *ctx = arg;
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	const char *ext;
	int err;

	err = vfpost_decode_ack(nlh, &ext);
	ctx->done = true;
	refused(ctx, err ? err : -EIO, ext);
	return NL_STOP;
}

/*
 * NLMSG_DONE ends a dump, and libnl passes it here without looking at it:
 * a dump the kernel refuses (in any part, not only the first) ends with a
 * DONE carrying the errno and the extack attributes, not an NLMSG_ERROR.
 * Also the ACK of a doit (NL_CB_ACK), which is always a success here.
 */
static int on_done(struct nl_msg *msg, void *arg)
{
	struct reply_ctx *ctx = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	const char *ext;
	int err;

	ctx->done = true;
	if (nlh->nlmsg_type != NLMSG_DONE)
		return NL_STOP;
	err = vfpost_decode_ack(nlh, &ext);
	if (err)
		refused(ctx, err, ext);
	return NL_STOP;
}

/* A part of the dump was built after VFs came or went. */
static int on_dump_intr(struct nl_msg *msg, void *arg)
{
	struct reply_ctx *ctx = arg;

	ctx->intr = true;
	return NL_OK;
}

/*
 * Only the replies to this request count.  libnl's own check expects the
 * sequence number after the last one it saw answered, so a request that was
 * never answered (its send failed, or its reply or ACK was lost to ENOBUFS)
 * would make every later reply on the handle a mismatch.  A late reply to
 * an earlier request is skipped.
 */
static int on_seq_check(struct nl_msg *msg, void *arg)
{
	struct reply_ctx *ctx = arg;

	return nlmsg_hdr(msg)->nlmsg_seq == ctx->seq ? NL_OK : NL_SKIP;
}

/*
 * Send @cmd for @bdf (and @pf, and the flag attribute @flag if nonzero) and
 * run the replies through @ctx.
 */
static int request(struct reply_ctx *ctx, int cmd, int flags,
		   const char *bdf, const char *pf, int flag)
{
	struct vfpost *h = ctx->h;
	struct nl_msg *msg;
	struct nl_cb *cb;
	int ret;

	h->errmsg[0] = '\0';
	msg = nlmsg_alloc();
	if (!msg)
		return -ENOMEM;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, h->family, 0,
			 flags | NLM_F_ACK, cmd, VFPOST_GENL_VERSION) ||
	    (bdf && nla_put_string(msg, VFPOST_A_BDF, bdf) < 0) ||
	    (pf && nla_put_string(msg, VFPOST_A_PF_BDF, pf) < 0) ||
	    (flag && nla_put_flag(msg, flag) < 0)) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, ctx);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_done, ctx);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_done, ctx);
	nl_cb_set(cb, NL_CB_DUMP_INTR, NL_CB_CUSTOM, on_dump_intr, ctx);
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, on_seq_check, ctx);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, ctx);

	ret = nl_send_auto(h->sk, msg);
	ctx->seq = nlmsg_hdr(msg)->nlmsg_seq;
	nlmsg_free(msg);
	if (ret < 0) {
		nl_cb_put(cb);
		set_err(h->errmsg, sizeof(h->errmsg), "%s: send: %s",
			ctx->what, nl_geterror(ret));
		return -EIO;
	}
	while (!ctx->done) {
		ret = nl_recvmsgs(h->sk, cb);
		/*
		 * A doit's reply says it all: the ACK after it can only be
		 * lost (the kernel could not allocate it: ENOBUFS), and the
		 * request is then done, not failed.
		 */
		if (ret == -NLE_NOMEM && !(flags & NLM_F_DUMP) && ctx->replied &&
		    !ctx->err)
			break;
		if (ret < 0 && !ctx->done) {
			ctx->err = -EIO;
			set_err(h->errmsg, sizeof(h->errmsg), "%s: receive: %s",
				ctx->what, nl_geterror(ret));
			break;
		}
	}
	nl_cb_put(cb);
	/* The dump is complete but not consistent: not a success. */
	if (ctx->intr && !ctx->err) {
		ctx->err = -EAGAIN;
		set_err(h->errmsg, sizeof(h->errmsg),
			"%s: VFs came or went during the dump (NLM_F_DUMP_INTR); try again",
			ctx->what);
	}
	if (ctx->err < 0 && !h->errmsg[0])
		set_err(h->errmsg, sizeof(h->errmsg), "%s: %s", ctx->what,
			strerror(-ctx->err));
	return ctx->err;
}

static int one_vf(const struct nlmsghdr *nlh, struct reply_ctx *ctx)
{
	unsigned int nr = 0;

	if (vfpost_decode_vf(nlh, ctx->vf, ctx->vec, ctx->max, &nr))
		return -EPROTO;
	ctx->nr_vec = nr;
	return 0;
}

static int norm_bdf(struct vfpost *h, const char *bdf, char *out)
{
	if (vfpost_parse_bdf(bdf, out)) {
		set_err(h->errmsg, sizeof(h->errmsg),
			"'%s' is not a PCI address (expected dddd:bb:dd.f)",
			bdf ? bdf : "(null)");
		return -EINVAL;
	}
	return 0;
}

static int vf_cmd(struct vfpost *h, int cmd, const char *bdf,
		  struct vfpost_vf *vf, size_t vf_size,
		  struct vfpost_vector *vec, size_t vec_size,
		  unsigned int max, int flag)
{
	struct vfpost_vector *v = NULL;
	struct vfpost_vf tmp;
	char b[VFPOST_BDF_LEN];
	struct reply_ctx ctx = {
		.h = h, .what = b, .fn = one_vf, .vf = &tmp,
	};
	unsigned int i;
	int ret;

	h->errmsg[0] = '\0';
	if ((vf && vf_size < VF_SIZE_MIN) || (vec && vec_size < VEC_SIZE_MIN)) {
		set_err(h->errmsg, sizeof(h->errmsg),
			"%s: structure size %zu is smaller than libvfpost's first version",
			bdf ? bdf : "(null)", vf && vf_size < VF_SIZE_MIN ?
			vf_size : vec_size);
		return -EINVAL;
	}
	ret = norm_bdf(h, bdf, b);
	if (ret)
		return ret;
	if (vec && max) {
		v = calloc(max, sizeof(*v));
		if (!v) {
			set_err(h->errmsg, sizeof(h->errmsg), "%s: %s", b,
				strerror(ENOMEM));
			return -ENOMEM;
		}
		ctx.vec = v;
		ctx.max = max;
	}
	ret = request(&ctx, cmd, 0, b, NULL, flag);
	if (!ret) {
		if (vf)
			vfpost_copy_out(vf, &tmp, vf_size, sizeof(tmp));
		for (i = 0; v && i < max && i < ctx.nr_vec; i++)
			vfpost_copy_out((char *)vec + i * vec_size, &v[i], vec_size,
				 sizeof(*v));
		ret = ctx.nr_vec;
	}
	free(v);
	return ret;
}

int vfpost_vf_get_sized(struct vfpost *h, const char *bdf,
			struct vfpost_vf *vf, size_t vf_size)
{
	int ret = vf_cmd(h, VFPOST_CMD_VF_GET, bdf, vf, vf_size, NULL, 0, 0,
			 0);

	return ret < 0 ? ret : 0;
}

int vfpost_vf_stats_sized(struct vfpost *h, const char *bdf,
			  struct vfpost_vf *vf, size_t vf_size,
			  struct vfpost_vector *vec, size_t vec_size,
			  unsigned int max)
{
	return vf_cmd(h, VFPOST_CMD_VF_GET, bdf, vf, vf_size, vec, vec_size,
		      max, VFPOST_A_STATS);
}

int vfpost_claim_sized(struct vfpost *h, const char *bdf,
		       struct vfpost_vf *vf, size_t vf_size)
{
	int ret = vf_cmd(h, VFPOST_CMD_VF_CLAIM, bdf, vf, vf_size, NULL, 0, 0,
			 0);

	return ret < 0 ? ret : 0;
}

int vfpost_claim_until_close_sized(struct vfpost *h, const char *bdf,
				   struct vfpost_vf *vf, size_t vf_size)
{
	int ret = vf_cmd(h, VFPOST_CMD_VF_CLAIM, bdf, vf, vf_size, NULL, 0, 0,
			 VFPOST_A_RELEASE_ON_CLOSE);

	return ret < 0 ? ret : 0;
}

int vfpost_release_sized(struct vfpost *h, const char *bdf,
			 struct vfpost_vf *vf, size_t vf_size)
{
	int ret = vf_cmd(h, VFPOST_CMD_VF_RELEASE, bdf, vf, vf_size, NULL, 0,
			 0, 0);

	return ret < 0 ? ret : 0;
}

static int status_reply(const struct nlmsghdr *nlh, struct reply_ctx *ctx)
{
	struct nlattr *tb[VFPOST_A_MAX + 1];
	static struct nla_policy pol[VFPOST_A_MAX + 1] = {
		[VFPOST_A_SEQ] = { .type = NLA_U64 },
		[VFPOST_A_NUM_VFS] = { .type = NLA_U32 },
	};

	if (genlmsg_parse((struct nlmsghdr *)nlh, 0, tb, VFPOST_A_MAX, pol) ||
	    !tb[VFPOST_A_SEQ] || !tb[VFPOST_A_NUM_VFS])
		return -EPROTO;
	ctx->vf->seq = nla_get_u64(tb[VFPOST_A_SEQ]);
	ctx->vf->vf_index = nla_get_u32(tb[VFPOST_A_NUM_VFS]);
	return 0;
}

int vfpost_status(struct vfpost *h, uint64_t *seq, uint32_t *nr_vfs)
{
	struct vfpost_vf tmp = { .seq = 0 };
	struct reply_ctx ctx = {
		.h = h, .what = "vfpost status", .fn = status_reply, .vf = &tmp,
	};
	int ret;

	ret = request(&ctx, VFPOST_CMD_STATUS_GET, 0, NULL, NULL, 0);
	if (ret)
		return ret;
	if (seq)
		*seq = tmp.seq;
	if (nr_vfs)
		*nr_vfs = tmp.vf_index;
	return 0;
}

static int each_vf(const struct nlmsghdr *nlh, struct reply_ctx *ctx)
{
	struct vfpost_vf vf;

	if (ctx->stopped)
		return 0;
	if (vfpost_decode_vf(nlh, &vf, NULL, 0, NULL))
		return -EPROTO;
	ctx->stopped = ctx->cb(&vf, ctx->arg);
	return 0;
}

int vfpost_vf_list(struct vfpost *h, const char *pf_bdf, vfpost_vf_fn cb,
		   void *arg)
{
	char b[VFPOST_BDF_LEN];
	struct reply_ctx ctx = {
		.h = h, .what = "VF list", .fn = each_vf, .cb = cb, .arg = arg,
	};
	int ret;

	if (pf_bdf) {
		ret = norm_bdf(h, pf_bdf, b);
		if (ret)
			return ret;
		ctx.what = b;
	}
	return request(&ctx, VFPOST_CMD_VF_GET, NLM_F_DUMP, NULL,
		       pf_bdf ? b : NULL, false);
}

/* ---- events ---- */

struct vfpost_events {
	struct nl_sock *sk;
	vfpost_event_fn cb;
	void *arg;
	int family;			/* vfpost's family id; 0: unloaded */
	uint32_t sender;		/* port events come from: the kernel */
	uint64_t last_seq;		/* last event seen or reflected */
	bool busy;			/* in vfpost_events_process() */
	bool closing;			/* closed from a callback: free after */
	char errmsg[ERRMSG_LEN];
	_Alignas(struct nlmsghdr) char buf[65536];	/* whole messages */
};

struct vf_array {
	struct vfpost_vf *v;
	unsigned int n, cap;
};

static int collect(const struct vfpost_vf *vf, void *arg)
{
	struct vf_array *a = arg;
	struct vfpost_vf *nv;

	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 16;
		nv = realloc(a->v, a->cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		a->v = nv;
	}
	a->v[a->n++] = *vf;
	return 0;
}

/*
 * The family id, its lifecycle group (if @grp), the current sequence
 * number (if @seq), and (if @a) the VFs after it, on a socket of their own.  -errno
 * (-ENOENT: the module is not loaded), with a message in @errbuf if given.
 */
static int baseline(int *family, int *grp, uint64_t *seq, struct vf_array *a,
		    char *errbuf)
{
	struct vfpost *h;
	int ret;

	h = vfpost_open(&ret);
	if (!h) {
		if (errbuf)
			set_err(errbuf, ERRMSG_LEN, "resync: %s", vfpost_strerror(ret));
		return ret;
	}
	*family = h->family;
	ret = 0;
	if (grp) {
		*grp = genl_ctrl_resolve_grp(h->sk, VFPOST_GENL_NAME,
					     VFPOST_MCGRP_LIFECYCLE);
		if (*grp < 0) {
			ret = -ENOENT;
			set_err(h->errmsg, sizeof(h->errmsg),
				"no '%s' multicast group in the vfpost family: %s",
				VFPOST_MCGRP_LIFECYCLE, nl_geterror(*grp));
		}
	}
	if (!ret && seq)
		ret = vfpost_status(h, seq, NULL);
	if (!ret && a) {
		ret = vfpost_vf_list(h, NULL, collect, a);
		/* VFs came or went meanwhile: once more, from the new number. */
		if (ret == -EAGAIN) {
			a->n = 0;
			ret = vfpost_status(h, seq, NULL);
			if (!ret)
				ret = vfpost_vf_list(h, NULL, collect, a);
		}
	}
	if (ret && errbuf)
		set_err(errbuf, ERRMSG_LEN, "resync: %s", vfpost_errmsg(h));
	vfpost_close(h);
	return ret;
}

/*
 * Join the multicast group @grp.  setsockopt() rather than
 * nl_socket_add_membership(): libnl turns the errno into its own codes,
 * which do not map back.  Joining vfpost's group needs CAP_NET_ADMIN; the
 * kernel's EPERM has no extack.
 */
static int join(struct vfpost_events *e, int grp, const char *what)
{
	if (setsockopt(nl_socket_get_fd(e->sk), SOL_NETLINK,
		       NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp))) {
		set_err(e->errmsg, sizeof(e->errmsg),
			"joining the %s multicast group: %s", what,
			strerror(errno));
		return -errno;
	}
	return 0;
}

/* A handle on a connected socket that joined no group. */
static struct vfpost_events *events_alloc(vfpost_event_fn cb, void *arg,
					  int *err)
{
	struct vfpost_events *e;

	e = calloc(1, sizeof(*e));
	if (!e) {
		*err = -ENOMEM;
		return NULL;
	}
	e->sk = nl_socket_alloc();
	if (!e->sk) {
		free(e);
		*err = -ENOMEM;
		return NULL;
	}
	nl_socket_disable_seq_check(e->sk);
	if (genl_connect(e->sk) < 0) {
		nl_socket_free(e->sk);
		free(e);
		*err = -EPROTONOSUPPORT;
		return NULL;
	}
	e->cb = cb;
	e->arg = arg;
	*err = 0;
	return e;
}

struct vfpost_events *vfpost_events_attach(int family, uint32_t sender,
					   vfpost_event_fn cb, void *arg,
					   int *err)
{
	struct vfpost_events *e = events_alloc(cb, arg, err);

	if (!e)
		return NULL;
	if (nl_socket_set_nonblocking(e->sk) < 0) {
		vfpost_events_close(e);
		*err = -EIO;
		return NULL;
	}
	e->family = family;
	e->sender = sender;
	return e;
}

struct vfpost_events *vfpost_events_open(vfpost_event_fn cb, void *arg,
					 int *err)
{
	struct vfpost_events *e;
	int grp, ret;

	e = events_alloc(cb, arg, err);
	if (!e)
		return NULL;
	/*
	 * nlctrl's notifications first: an unload or load from here on is
	 * seen (a module reload drops the socket from vfpost's group and
	 * restarts its sequence numbers).  Open to anyone.
	 */
	grp = genl_ctrl_resolve_grp(e->sk, "nlctrl", "notify");
	if (grp < 0) {
		ret = -EPROTONOSUPPORT;
		goto err_sock;
	}
	ret = join(e, grp, "nlctrl notify");
	if (ret)
		goto err_sock;
	ret = baseline(&e->family, &grp, NULL, NULL, NULL);
	if (ret)
		goto err_sock;
	ret = join(e, grp, VFPOST_MCGRP_LIFECYCLE);
	if (ret)
		goto err_sock;
	/* Subscribed first, so every event after this number is queued. */
	ret = baseline(&e->family, NULL, &e->last_seq, NULL, NULL);
	if (ret)
		goto err_sock;
	if (nl_socket_set_nonblocking(e->sk) < 0) {
		ret = -EIO;
		goto err_sock;
	}
	*err = 0;
	return e;

err_sock:
	nl_socket_free(e->sk);
	free(e);
	*err = ret;
	return NULL;
}

void vfpost_events_close(struct vfpost_events *e)
{
	if (!e)
		return;
	/* From a callback: vfpost_events_process() frees it on its way out. */
	if (e->busy) {
		e->closing = true;
		return;
	}
	nl_socket_free(e->sk);
	free(e);
}

int vfpost_events_fd(const struct vfpost_events *e)
{
	return nl_socket_get_fd(e->sk);
}

const char *vfpost_events_errmsg(const struct vfpost_events *e)
{
	return e->errmsg;
}

/* Call the callback, unless the handle was closed from an earlier one. */
static int emit(struct vfpost_events *e, const struct vfpost_event *ev)
{
	if (e->closing)
		return 0;
	e->cb(ev, e->arg);
	return 1;
}

/* The module is gone: no events until NEWFAMILY. */
static int unloaded(struct vfpost_events *e)
{
	struct vfpost_event ev = {
		.size = sizeof(ev), .type = VFPOST_EVENT_LIB_UNLOADED,
	};

	if (!e->family)
		return 0;
	/* The kernel dropped the socket from the group already. */
	e->family = 0;
	ev.seq = e->last_seq;
	return emit(e, &ev);
}

/*
 * Re-read the sequence and the VFs and report them: @type RESYNC after
 * ENOBUFS, RELOADED after the module came back (then also join its new
 * group, first).  A RESYNC that finds the family replaced (its
 * notifications were lost to ENOBUFS too) is a RELOADED; one that finds
 * no module, an UNLOADED.  Returns the callbacks made or -errno.
 */
static int resync(struct vfpost_events *e, int type)
{
	struct vfpost_event ev = { .size = sizeof(ev), .type = type };
	struct vf_array a = { 0 };
	int family, grp, ret;
	uint64_t seq;

	ret = baseline(&family, &grp, NULL, NULL, e->errmsg);
	if (ret == -ENOENT)
		return unloaded(e);
	if (ret)
		return ret;
	if (family != e->family)
		ev.type = VFPOST_EVENT_LIB_RELOADED;
	if (ev.type == VFPOST_EVENT_LIB_RELOADED) {
		ret = join(e, grp, VFPOST_MCGRP_LIFECYCLE);
		if (ret)
			return ret;
	}
	/* Joined first: every event after the snapshot is queued. */
	ret = baseline(&family, NULL, &seq, &a, e->errmsg);
	if (ret == -ENOENT) {
		free(a.v);
		return unloaded(e);
	}
	if (!ret) {
		/* Queued events up to @seq are reflected in the snapshot. */
		e->family = family;
		e->last_seq = seq;
		ev.seq = seq;
		ev.vfs = a.v;
		ev.nr_vfs = a.n;
		ret = emit(e, &ev);
	}
	free(a.v);
	return ret;
}

/* An nlctrl notification: vfpost's family went away or came (back). */
static int family_change(struct vfpost_events *e, const struct nlmsghdr *nlh)
{
	switch (vfpost_decode_ctrl(nlh)) {
	case CTRL_CMD_DELFAMILY:
		return unloaded(e);
	case CTRL_CMD_NEWFAMILY:
		return resync(e, VFPOST_EVENT_LIB_RELOADED);
	}
	return 0;
}

static int deliver(struct vfpost_events *e, const struct nlmsghdr *nlh)
{
	struct vfpost_event ev, gap = {
		.size = sizeof(gap), .type = VFPOST_EVENT_LIB_GAP,
	};
	int n = 0, ret;

	if (nlh->nlmsg_type == GENL_ID_CTRL)
		return family_change(e, nlh);
	/* Only the family's own messages (a stale id after an unload: no). */
	if (!e->family || nlh->nlmsg_type != e->family)
		return 0;
	ret = vfpost_decode_event(nlh, &ev);
	if (ret && ret != -EOPNOTSUPP)
		return 0;		/* not an event of ours: ignore */
	if (ev.seq <= e->last_seq)
		return 0;		/* older than the baseline */
	if (ev.seq > e->last_seq + 1) {
		gap.seq = ev.seq - 1;
		gap.lost = ev.seq - e->last_seq - 1;
		n += emit(e, &gap);
	}
	/*
	 * An event type newer than this library is not delivered, but it
	 * was sent: skipping its number is not a loss.
	 */
	e->last_seq = ev.seq;
	if (ret)
		return n;
	return n + emit(e, &ev);
}

/* Read and deliver until the socket is empty; the callbacks made. */
static int process(struct vfpost_events *e)
{
	struct sockaddr_nl from;
	struct nlmsghdr *nlh;
	int total = 0, len, ret;
	socklen_t alen;
	ssize_t n;

	while (!e->closing) {
		alen = sizeof(from);
		n = recvfrom(nl_socket_get_fd(e->sk), e->buf, sizeof(e->buf),
			     MSG_DONTWAIT, (struct sockaddr *)&from, &alen);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return total;
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				ret = resync(e, VFPOST_EVENT_LIB_RESYNC);
				if (ret < 0)
					return ret;
				total += ret;
				continue;
			}
			ret = -errno;
			set_err(e->errmsg, sizeof(e->errmsg),
				"reading vfpost events: %s", strerror(errno));
			return ret;
		}
		/* Only the kernel sends events: a forged one could mute us. */
		if (alen < sizeof(from) || from.nl_family != AF_NETLINK ||
		    from.nl_pid != e->sender)
			continue;
		len = (int)n;
		for (nlh = (struct nlmsghdr *)e->buf;
		     !e->closing && nlmsg_ok(nlh, len);
		     nlh = nlmsg_next(nlh, &len)) {
			ret = deliver(e, nlh);
			if (ret < 0)
				return ret;
			total += ret;
		}
	}
	return total;
}

int vfpost_events_process(struct vfpost_events *e)
{
	int ret;

	/* From a callback: e->buf is being walked. */
	if (e->busy) {
		set_err(e->errmsg, sizeof(e->errmsg),
			"vfpost_events_process() called from an event callback; return from the callback instead");
		return -EBUSY;
	}
	e->busy = true;
	ret = process(e);
	e->busy = false;
	if (e->closing) {
		vfpost_events_close(e);
		return ret < 0 ? 0 : ret;
	}
	return ret;
}

int vfpost_events_wait(struct vfpost_events *e, int timeout_ms)
{
	struct pollfd pfd = { .fd = vfpost_events_fd(e), .events = POLLIN };
	int ret;

	if (e->busy)
		return vfpost_events_process(e);	/* -EBUSY */
	ret = poll(&pfd, 1, timeout_ms);
	if (ret < 0) {
		ret = -errno;
		set_err(e->errmsg, sizeof(e->errmsg), "poll: %s",
			strerror(errno));
		return ret;
	}
	if (!ret)
		return 0;
	return vfpost_events_process(e);
}
