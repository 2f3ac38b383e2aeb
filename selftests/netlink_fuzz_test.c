// SPDX-License-Identifier: GPL-2.0
/*
 * netlink_fuzz_test: 20,000 malformed or random vfpost requests per run
 * (VFPOST_STRESS_RUNS runs, default 2), built with raw libnl messages:
 * unknown commands, reserved header bits, unknown attributes, attributes
 * of the wrong size or type, nests (also deep and of unknown types),
 * attributes longer than their message, messages whose header claims more
 * than was sent, missing or malformed or unknown BDFs, truncated headers,
 * large messages, and well-formed harmless requests.  Each must get its own
 * answer (the right errno, and an extack message where the policy or the
 * module rejects it; data only for a harmless request; nothing for a
 * message the netlink core drops), never a hang or a splat.
 *
 * The same fuzzer runs as root and as nobody (no capabilities, a socket of
 * its own).  Unprivileged, every answer is also allowed to be EPERM, and
 * well-formed CLAIM, RELEASE and STATS requests of a real VF must be
 * refused with EPERM and an extack message.  After every run no event was
 * sent and the registry is unchanged; at the end the family still answers.
 *
 * The generator is seeded: each run prints its seed, VFPOST_FUZZ_SEED
 * replays it (lib/fuzz.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/time.h>
#include <time.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "kselftest_harness.h"
#include "fault.h"
#include "fuzz.h"
#include "lab.h"
#include "libvfpost.h"
#include "stress.h"
#include "vfpost_lab.h"

LAB_ONLY_SUITE("the lab PF and its VFs as the requests' targets")

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define NR_MESSAGES 20000
#define DROP_WAIT_MS 2000	/* SO_RCVTIMEO: an answer that never comes */

enum defect {
	D_UNKNOWN_CMD,		/* no such command */
	D_RESERVED,		/* genlmsghdr.reserved != 0 */
	D_UNKNOWN_ATTR,		/* attribute outside the command's policy */
	D_BAD_SIZE,		/* BDF unterminated/too long, flag with data */
	D_MISSING_BDF,		/* doit without its BDF */
	D_BAD_BDF,		/* a string that is not dddd:bb:dd.f */
	D_UNKNOWN_BDF,		/* well formed, no such VF */
	D_TRUNCATED,		/* shorter than a genetlink header */
	D_RANDOM_ATTRS,		/* random attribute soup incl. unknown types */
	D_NESTED,		/* nests, deep ones, NLA_F_NESTED where none is */
	D_WRONG_TYPE,		/* a BDF as u32/u64/empty, a flag as string */
	D_ATTR_OVERRUN,		/* nla_len beyond the end of the message */
	D_LARGE,		/* many or long attributes, up to ~60 KB */
	D_NLMSG_LEN,		/* nlmsg_len beyond what was sent: dropped */
	D_HARMLESS,		/* well formed VF_GET, dump or STATUS_GET */
	D_PRIV,			/* well formed CLAIM/RELEASE/STATS (nobody only) */
	D_NR
};

static const char * const defect_name[] = {
	"unknown-cmd", "reserved", "unknown-attr", "bad-size", "missing-bdf",
	"bad-bdf", "unknown-bdf", "truncated", "random-attrs", "nested",
	"wrong-type", "attr-overrun", "large", "nlmsg-len", "harmless", "priv",
};

struct fuzz {
	struct nl_sock *sk;
	int family;
	bool priv;		/* root (all capabilities), or nobody */
	struct fuzz_rng rng;
	char buf[65536];
};

static unsigned int rnd(struct fuzz *f, unsigned int n)
{
	return fuzz_below(&f->rng, n);
}

static void rnd_bytes(struct fuzz *f, char *p, size_t n)
{
	fuzz_bytes(&f->rng, p, n);
}

/* True if @s parses as the kernel's strict dddd:bb:dd.f. */
static bool strict_bdf(const char *s)
{
	char norm[VFPOST_BDF_LEN];

	return !vfpost_parse_bdf(s, norm) && !strcmp(norm, s);
}

static int doit_cmd(struct fuzz *f)
{
	static const int cmds[] = { VFPOST_CMD_VF_GET, VFPOST_CMD_VF_CLAIM,
				    VFPOST_CMD_VF_RELEASE };

	return cmds[rnd(f, 3)];
}

/* A string attribute of @len bytes with its NUL (if it fits). */
static void big_string(struct fuzz *f, struct nl_msg *msg, int type, int len)
{
	struct nlattr *a = nla_reserve(msg, type, len);

	if (!a)
		return;
	memset(nla_data(a), 'a' + rnd(f, 26), len);
	((char *)nla_data(a))[len - 1] = '\0';
}

/*
 * A well-formed request.  Harmless: STATUS_GET, VF_GET of a real VF, a VF
 * dump.  @priv: CLAIM, RELEASE or VF_GET with STATS of a real VF, which
 * only the fuzzer running as nobody sends.
 */
static void build_valid(struct fuzz *f, struct nl_msg *msg, bool priv)
{
	static const int priv_cmds[] = { VFPOST_CMD_VF_CLAIM,
					 VFPOST_CMD_VF_RELEASE,
					 VFPOST_CMD_VF_GET };
	char vf[VFPOST_BDF_LEN];
	int cmd, flags = 0, pick = rnd(f, 3);

	lab_vf_bdf(rnd(f, 2), vf);
	if (priv)
		cmd = priv_cmds[pick];
	else if (pick == 0)
		cmd = VFPOST_CMD_STATUS_GET;
	else
		cmd = VFPOST_CMD_VF_GET;
	if (!priv && pick == 2)
		flags = NLM_F_DUMP;
	genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, f->family, 0,
		    flags | NLM_F_ACK, cmd, VFPOST_GENL_VERSION);
	if (cmd == VFPOST_CMD_STATUS_GET)
		return;
	if (flags == NLM_F_DUMP) {
		if (rnd(f, 2))
			nla_put_string(msg, VFPOST_A_PF_BDF, LAB_PF_BDF);
		return;
	}
	nla_put_string(msg, VFPOST_A_BDF, vf);
	if (priv && cmd == VFPOST_CMD_VF_GET)
		nla_put_flag(msg, VFPOST_A_STATS);
	if (cmd == VFPOST_CMD_VF_CLAIM && rnd(f, 2))
		nla_put_flag(msg, VFPOST_A_RELEASE_ON_CLOSE);
}

/* A nest of @depth levels, each with a few random attributes. */
static void put_nest(struct fuzz *f, struct nl_msg *msg, int depth)
{
	static const int types[] = { VFPOST_A_VECTORS, VFPOST_A_VECTOR,
				     VFPOST_A_BDF, VFPOST_A_STATS };
	int type = rnd(f, 4) ? types[rnd(f, 4)] : 1 + (int)rnd(f, 0x3fff);
	struct nlattr *nest;
	char s[16];
	int i, len;

	nest = nla_nest_start(msg, type | NLA_F_NESTED);
	if (!nest)
		return;
	/* Never empty: libnl drops an empty nest, leaving a valid request. */
	for (i = 1 + rnd(f, 3); i > 0; i--) {
		len = rnd(f, sizeof(s));
		rnd_bytes(f, s, len);
		nla_put(msg, rnd(f, VFPOST_A_MAX + 4), len, s);
	}
	if (depth > 1)
		put_nest(f, msg, depth - 1);
	nla_nest_end(msg, nest);
}

/* Build one malformed (or, D_HARMLESS and D_PRIV, valid) message. */
static void build(struct fuzz *f, struct nl_msg *msg, enum defect d)
{
	struct genlmsghdr *g;
	char s[64];
	int cmd = doit_cmd(f), flags = 0, i, n, len;

	if (d == D_UNKNOWN_CMD) {
		static const int bad[] = { VFPOST_CMD_UNSPEC, VFPOST_CMD_EVENT };

		cmd = rnd(f, 2) ? bad[rnd(f, 2)] : VFPOST_CMD_MAX + 1 +
						     (int)rnd(f, 250);
	}
	if ((d == D_RESERVED || d == D_UNKNOWN_ATTR || d == D_BAD_SIZE ||
	     d == D_RANDOM_ATTRS || d == D_NESTED || d == D_ATTR_OVERRUN ||
	     d == D_LARGE) && rnd(f, 3) == 0) {
		cmd = VFPOST_CMD_VF_GET;
		flags = NLM_F_DUMP;
	}
	if (d == D_TRUNCATED) {
		nlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, f->family, 0,
			  NLM_F_ACK);
		n = rnd(f, GENL_HDRLEN);
		if (n)
			rnd_bytes(f, nlmsg_reserve(msg, n, 1), n);
		return;
	}
	if (d == D_HARMLESS || d == D_PRIV || d == D_NLMSG_LEN) {
		build_valid(f, msg, d == D_PRIV);
		return;
	}
	genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, f->family, 0,
		    flags | NLM_F_ACK, cmd, rnd(f, 256));
	g = nlmsg_data(nlmsg_hdr(msg));
	if (d == D_RESERVED)
		g->reserved = 1 + rnd(f, 0xffff);

	switch (d) {
	case D_UNKNOWN_CMD:
	case D_RESERVED:
		if (flags != NLM_F_DUMP)
			nla_put_string(msg, VFPOST_A_BDF, "0000:00:03.1");
		break;
	case D_UNKNOWN_ATTR:
		if (flags != NLM_F_DUMP)
			nla_put_string(msg, VFPOST_A_BDF, "0000:00:03.1");
		/* Either beyond the family's attributes or not this op's. */
		switch (rnd(f, 3)) {
		case 0:
			/* below 0x4000: no NLA_F_* flag bits */
			i = VFPOST_A_MAX + 1 + rnd(f, 0x3fff - VFPOST_A_MAX);
			break;
		case 1:
			i = VFPOST_A_VF_INDEX + rnd(f, VFPOST_A_VECTOR -
						    VFPOST_A_VF_INDEX + 1);
			if (i == VFPOST_A_STATS)
				i = VFPOST_A_VENDOR;
			break;
		default:
			/*
			 * Well-formed, but this operation does not take it:
			 * PF_BDF on a doit, BDF or STATS on a dump.
			 */
			if (flags != NLM_F_DUMP) {
				nla_put_string(msg, VFPOST_A_PF_BDF,
					       "0000:00:03.0");
			} else if (rnd(f, 2)) {
				nla_put_string(msg, VFPOST_A_BDF,
					       "0000:00:03.1");
			} else {
				nla_put_flag(msg, VFPOST_A_STATS);
			}
			return;
		}
		len = rnd(f, 16);
		rnd_bytes(f, s, len);
		nla_put(msg, i, len, s);
		break;
	case D_BAD_SIZE:
		switch (rnd(f, 3)) {
		case 0:		/* no terminating NUL */
			len = 1 + rnd(f, 24);
			for (i = 0; i < len; i++)
				s[i] = (char)('0' + rnd(f, 10));
			nla_put(msg, VFPOST_A_BDF, len, s);
			break;
		case 1:		/* longer than any BDF */
			len = VFPOST_BDF_LEN + rnd(f, 40);
			memset(s, 'a', len);
			s[len] = '\0';
			nla_put_string(msg, rnd(f, 2) ? VFPOST_A_BDF :
				       VFPOST_A_PF_BDF, s);
			if (flags != NLM_F_DUMP)
				nla_put_string(msg, VFPOST_A_BDF, s);
			break;
		default:	/* a flag with a payload */
			len = 1 + rnd(f, 8);
			rnd_bytes(f, s, len);
			nla_put_string(msg, VFPOST_A_BDF, "0000:00:03.1");
			nla_put(msg, VFPOST_A_STATS, len, s);
			break;
		}
		break;
	case D_MISSING_BDF:
		if (cmd == VFPOST_CMD_VF_GET && rnd(f, 2))
			nla_put_flag(msg, VFPOST_A_STATS);
		break;
	case D_BAD_BDF:
		do {
			len = rnd(f, VFPOST_BDF_LEN);
			for (i = 0; i < len; i++)
				s[i] = rnd(f, 2) ? "0123456789abcdef:.x "[rnd(f, 20)]
						  : (char)(33 + rnd(f, 94));
			s[len] = '\0';
		} while (strict_bdf(s));
		nla_put_string(msg, VFPOST_A_BDF, s);
		break;
	case D_UNKNOWN_BDF:
		snprintf(s, sizeof(s), "%04x:%02x:%02x.%u", rnd(f, 0x10000),
			 0x10 + rnd(f, 0xf0), rnd(f, 32), rnd(f, 8));
		nla_put_string(msg, VFPOST_A_BDF, s);
		break;
	case D_RANDOM_ATTRS:
		n = 1 + rnd(f, 6);
		for (i = 0; i < n; i++) {
			len = rnd(f, 40);
			rnd_bytes(f, s, len);
			nla_put(msg, i == n / 2 ? VFPOST_A_MAX + 1 + rnd(f, 100)
						: rnd(f, VFPOST_A_MAX + 8),
				len, s);
		}
		break;
	case D_NESTED:
		if (flags != NLM_F_DUMP && rnd(f, 2))
			nla_put_string(msg, VFPOST_A_BDF, "0000:00:03.1");
		put_nest(f, msg, 1 + rnd(f, 8));
		break;
	case D_WRONG_TYPE:
		switch (rnd(f, 4)) {
		case 0:		/* a number where the BDF string goes */
			nla_put_u32(msg, VFPOST_A_BDF, fuzz_u32(&f->rng));
			break;
		case 1:
			nla_put_u64(msg, VFPOST_A_BDF, fuzz_u64(&f->rng));
			break;
		case 2:		/* empty */
			nla_put(msg, VFPOST_A_BDF, 0, NULL);
			break;
		default:	/* a flag carrying a string or a number */
			nla_put_string(msg, VFPOST_A_BDF, "0000:00:03.1");
			if (rnd(f, 2))
				nla_put_string(msg, cmd == VFPOST_CMD_VF_CLAIM ?
					       VFPOST_A_RELEASE_ON_CLOSE :
					       VFPOST_A_STATS, "1");
			else
				nla_put_u32(msg, cmd == VFPOST_CMD_VF_CLAIM ?
					    VFPOST_A_RELEASE_ON_CLOSE :
					    VFPOST_A_STATS, 1);
			break;
		}
		break;
	case D_ATTR_OVERRUN: {
		struct nlattr *a;

		if (flags != NLM_F_DUMP && rnd(f, 2))
			nla_put_string(msg, VFPOST_A_BDF, "0000:00:03.1");
		len = rnd(f, 16);
		a = nla_reserve(msg, rnd(f, VFPOST_A_MAX + 4), len);
		if (!a)
			break;
		rnd_bytes(f, nla_data(a), len);
		/* Claims up to ~64 KB more than the message holds. */
		a->nla_len = (uint16_t)(NLA_HDRLEN + len + 4 +
					rnd(f, 0xffff - NLA_HDRLEN - len - 4));
		break;
	}
	case D_LARGE:
		switch (rnd(f, 3)) {
		case 0:		/* a BDF of up to ~60 KB */
			len = 100 + rnd(f, 60000);
			big_string(f, msg, flags == NLM_F_DUMP ? VFPOST_A_PF_BDF :
				   VFPOST_A_BDF, len);
			break;
		case 1:		/* hundreds of attributes, one unknown */
			n = 200 + rnd(f, 2000);
			for (i = 0; i < n; i++)
				nla_put_string(msg, VFPOST_A_BDF, "0000:00:03.1");
			nla_put_u32(msg, VFPOST_A_MAX + 1 + rnd(f, 100), i);
			break;
		default:	/* an unknown attribute of up to ~60 KB */
			len = 1000 + rnd(f, 60000);
			big_string(f, msg, VFPOST_A_MAX + 1 + rnd(f, 100), len);
			break;
		}
		break;
	default:
		break;
	}
}

static bool expected(const struct fuzz *f, enum defect d, int err)
{
	if (d == D_HARMLESS)
		return !err;
	if (d == D_PRIV)
		return err == -EPERM;
	/* Unprivileged, a permission error is always a right answer. */
	if (!f->priv && err == -EPERM)
		return true;
	switch (d) {
	case D_UNKNOWN_CMD:
		return err == -EOPNOTSUPP;
	case D_UNKNOWN_BDF:
		return err == -ENODEV;
	case D_BAD_SIZE:
	case D_RANDOM_ATTRS:
	case D_NESTED:
	case D_WRONG_TYPE:
	case D_LARGE:
		return err == -EINVAL || err == -ERANGE;
	default:
		return err == -EINVAL;
	}
}

static bool needs_extack(enum defect d)
{
	return d != D_UNKNOWN_CMD && d != D_TRUNCATED && d != D_HARMLESS;
}

/*
 * Receive the whole answer to @seq, up to its ack or NLMSG_DONE (so no
 * reply or dump part is left queued): *@err = its error (0: data and a
 * success ack or end), *@ext = 1 if it carried an extack message.  A dump
 * that fails in its dumpit ends with NLMSG_DONE carrying the errno and the
 * extack attributes: that counts as an error too.  Returns 0, -1 if no
 * answer came within the socket's timeout, -2 if an answer to @dropped (a
 * message the netlink core must drop; 0: none) came.
 */
static int recv_ack(struct fuzz *f, unsigned int seq, unsigned int dropped,
		    int *err, bool *ext, char *msg, size_t msglen)
{
	struct nlmsghdr *nlh;
	struct nlmsgerr *e;
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	ssize_t n;
	int len, off;

	for (;;) {
		n = recv(nl_socket_get_fd(f->sk), f->buf, sizeof(f->buf), 0);
		if (n < 0)
			return -1;
		len = (int)n;
		for (nlh = (struct nlmsghdr *)f->buf; nlmsg_ok(nlh, len);
		     nlh = nlmsg_next(nlh, &len)) {
			if (dropped && nlh->nlmsg_seq == dropped)
				return -2;
			if (nlh->nlmsg_seq != seq)
				continue;
			*ext = false;
			msg[0] = '\0';
			if (nlh->nlmsg_type == NLMSG_DONE) {
				*err = 0;
				if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(int)) ||
				    *(int *)nlmsg_data(nlh) >= 0)
					return 0;
				*err = *(int *)nlmsg_data(nlh);
				off = sizeof(int);
				e = nlmsg_data(nlh);
			} else if (nlh->nlmsg_type == NLMSG_ERROR) {
				e = nlmsg_data(nlh);
				*err = e->error;
				off = sizeof(*e);
				if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
					off += e->msg.nlmsg_len - NLMSG_HDRLEN;
			} else {
				continue;	/* data: its ack or end follows */
			}
			if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) &&
			    (int)nlh->nlmsg_len - NLMSG_HDRLEN > off &&
			    !nla_parse(tb, NLMSGERR_ATTR_MAX,
				       (struct nlattr *)((char *)e + off),
				       nlh->nlmsg_len - NLMSG_HDRLEN - off,
				       NULL) &&
			    tb[NLMSGERR_ATTR_MSG]) {
				*ext = true;
				snprintf(msg, msglen, "%.*s",
					 nla_len(tb[NLMSGERR_ATTR_MSG]),
					 (char *)nla_data(tb[NLMSGERR_ATTR_MSG]));
			}
			return 0;
		}
	}
}

/* A socket of the caller's own with extended acks and a receive timeout. */
static int fuzz_socket(struct fuzz *f)
{
	struct timeval tv = { .tv_sec = DROP_WAIT_MS / 1000 };
	int one = 1, fd;

	f->sk = nl_socket_alloc();
	if (!f->sk || genl_connect(f->sk))
		return -1;
	fd = nl_socket_get_fd(f->sk);
	if (setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		return -1;
	f->family = genl_ctrl_resolve(f->sk, VFPOST_GENL_NAME);
	return f->family > 0 ? 0 : -1;
}

/*
 * Send @msg with a header that claims more than is sent, or less than a
 * header: the netlink core drops it without an answer.  *@seq: its seq.
 */
static int send_lying(struct fuzz *f, struct nl_msg *msg, unsigned int *seq)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	uint32_t sent;

	nl_complete_msg(f->sk, msg);
	*seq = nlh->nlmsg_seq;
	sent = nlh->nlmsg_len;
	nlh->nlmsg_len = rnd(f, 4) ? sent + 1 + rnd(f, 65536) :
				     rnd(f, NLMSG_HDRLEN);
	return send(nl_socket_get_fd(f->sk), nlh, sent, 0) == (ssize_t)sent ?
	       0 : -1;
}

/*
 * @n messages from f->rng on f->sk, each answer checked.  0, or -1 with
 * the first wrong answer in @why.
 */
static int fuzz_messages(struct fuzz *f, int n, unsigned int *counts,
			 char *why, size_t len)
{
	unsigned int seq, dropped;
	struct nl_msg *msg;
	char text[256];
	enum defect d;
	int i, err, ret;
	bool ext;

	for (i = 0; i < n; i++) {
		d = (enum defect)rnd(f, D_NR);
		if (d == D_PRIV && f->priv)
			d = D_HARMLESS;
		msg = nlmsg_alloc_size(2 * 65536);
		if (!msg)
			return snprintf(why, len, "nlmsg_alloc"), -1;
		build(f, msg, d);
		dropped = 0;
		if (d == D_NLMSG_LEN) {
			ret = send_lying(f, msg, &dropped);
			nlmsg_free(msg);
			if (ret)
				return snprintf(why, len, "message %d (%s): send: %m",
						i, defect_name[d]), -1;
			/* Then a STATUS_GET, answered after it would be. */
			msg = nlmsg_alloc();
			if (!msg || !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ,
						 f->family, 0, NLM_F_ACK,
						 VFPOST_CMD_STATUS_GET,
						 VFPOST_GENL_VERSION))
				return snprintf(why, len, "nlmsg_alloc"), -1;
		}
		ret = nl_send_auto(f->sk, msg);
		seq = nlmsg_hdr(msg)->nlmsg_seq;
		nlmsg_free(msg);
		if (ret < 0)
			return snprintf(why, len, "message %d (%s): send: %s", i,
					defect_name[d], nl_geterror(ret)), -1;
		ret = recv_ack(f, seq, dropped, &err, &ext, text, sizeof(text));
		if (ret)
			return snprintf(why, len, "message %d (%s): %s", i,
					defect_name[d], ret == -1 ?
					"no answer within the timeout" :
					"a message with a lying nlmsg_len was answered"), -1;
		if (d == D_NLMSG_LEN ? err != 0 : !expected(f, d, err))
			return snprintf(why, len, "message %d (%s): error %d (%s)",
					i, defect_name[d], err, text), -1;
		if (err && needs_extack(d) && !ext)
			return snprintf(why, len, "message %d (%s): error %d without extack",
					i, defect_name[d], err), -1;
		counts[d]++;
	}
	return 0;
}

static void counts_line(const unsigned int *counts, char *buf, size_t len)
{
	size_t off = 0;
	int i;

	for (i = 0; i < D_NR; i++)
		off += snprintf(buf + off, len - off, " %s %u", defect_name[i],
				counts[i]);
}

/* Child: nobody, without capabilities, fuzzing on a socket of its own. */
static int fuzz_as_nobody(struct fuzz *f, uint32_t seed)
{
	unsigned int counts[D_NR] = { 0 };
	char why[512], line[512], status[4096];
	char *cap;

	if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
	    setresuid(65534, 65534, 65534))
		return 10;
	if (lab_read_file("/proc/self/status", status, sizeof(status)))
		return 11;
	cap = strstr(status, "CapEff:");
	if (!cap || strtoull(cap + 7, NULL, 16))
		return 12;
	if (fuzz_socket(f))
		return 13;
	f->priv = false;
	fuzz_rng_init(&f->rng, seed);
	if (fuzz_messages(f, NR_MESSAGES, counts, why, sizeof(why))) {
		fprintf(stderr, "# as nobody, seed %u: %s\n", seed, why);
		return 14;
	}
	counts_line(counts, line, sizeof(line));
	fprintf(stderr, "# as nobody: %d messages:%s\n", NR_MESSAGES, line);
	return counts[D_PRIV] ? 0 : 15;
}

FIXTURE(fuzz) {
	struct fuzz f;
};

FIXTURE_SETUP(fuzz)
{
	ASSERT_EQ(0, lab_set_numvfs(2));
	ASSERT_EQ(0, vfpost_load());
	ASSERT_EQ(0, fuzz_socket(&self->f));
	self->f.priv = true;
}

FIXTURE_TEARDOWN(fuzz)
{
	nl_socket_free(self->f.sk);
	EXPECT_EQ(0, vfpost_unload());
	EXPECT_EQ(0, lab_set_numvfs(0));
}

struct registry {
	struct vfpost_vf vf[8];
	int n;
};

static int registry_add(const struct vfpost_vf *vf, void *arg)
{
	struct registry *r = arg;

	if (r->n < 8)
		r->vf[r->n] = *vf;
	r->n++;
	return 0;
}

/* Everything a request could have changed about a VF. */
static bool same_vf(const struct vfpost_vf *a, const struct vfpost_vf *b)
{
	return !strcmp(a->bdf, b->bdf) && !strcmp(a->driver, b->driver) &&
	       a->state == b->state && a->owner_pid == b->owner_pid &&
	       a->claimed == b->claimed &&
	       a->release_on_close == b->release_on_close &&
	       !strcmp(a->prev_driver, b->prev_driver) &&
	       a->changed_ns == b->changed_ns && a->seq == b->seq;
}

TEST_F_TIMEOUT(fuzz, malformed_messages_as_root_and_nobody_then_still_works, 36000)
{
	int runs = fuzz_runs(), run, i, err, status;
	uint32_t seed0 = fuzz_seed(), seed, nr0, nr1;
	struct registry before = { 0 }, after = { 0 };
	unsigned int counts[D_NR];
	char why[512], line[512], vf0[VFPOST_BDF_LEN];
	struct stress_row row;
	struct recorder rec;
	struct vfpost_vf vf;
	struct vfpost *h;
	struct timespec t0, t1;
	uint64_t seq0, seq1;
	pid_t pid;

	STRESS_ROW_WANTED("netlink_fuzz");
	h = vfpost_open(&err);
	ASSERT_NE(NULL, h) TH_LOG("%s", vfpost_strerror(err));
	ASSERT_EQ(0, vfpost_status(h, &seq0, &nr0));
	ASSERT_EQ(0, vfpost_vf_list(h, NULL, registry_add, &before));
	ASSERT_EQ(2, before.n);

	stress_begin(&row, "netlink_fuzz");
	for (run = 0; run < runs; run++) {
		RUN_START();

		seed = seed0 + run;
		TH_LOG("run %d of %d: seed %u (replay: VFPOST_FUZZ_SEED=%u VFPOST_STRESS_RUNS=1)",
		       run + 1, runs, seed, seed);
		memset(counts, 0, sizeof(counts));
		clock_gettime(CLOCK_MONOTONIC, &t0);
		fuzz_rng_init(&self->f.rng, seed);
		ASSERT_EQ(0, fuzz_messages(&self->f, NR_MESSAGES, counts, why,
					   sizeof(why))) TH_LOG("as root: %s", why);
		counts_line(counts, line, sizeof(line));
		TH_LOG("as root: %d messages:%s", NR_MESSAGES, line);
		for (i = 0; i < D_NR; i++) {
			if (i != D_PRIV)
				EXPECT_LT(0u, counts[i]) TH_LOG("no %s", defect_name[i]);
		}

		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid)
			_exit(fuzz_as_nobody(&self->f, seed));
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_TRUE(WIFEXITED(status));
		ASSERT_EQ(0, WEXITSTATUS(status))
			TH_LOG("as nobody: child step %d failed", WEXITSTATUS(status));
		clock_gettime(CLOCK_MONOTONIC, &t1);
		TH_LOG("run %d: %.1f s", run + 1, (t1.tv_sec - t0.tv_sec) +
		       (t1.tv_nsec - t0.tv_nsec) / 1e9);

		/* After every run nothing changed: no event, the same VFs. */
		ASSERT_EQ(0, vfpost_status(h, &seq1, &nr1));
		EXPECT_EQ(seq0, seq1) TH_LOG("run %d: an event was sent", run + 1);
		EXPECT_EQ(nr0, nr1);
		memset(&after, 0, sizeof(after));
		ASSERT_EQ(0, vfpost_vf_list(h, NULL, registry_add, &after));
		ASSERT_EQ(before.n, after.n);
		for (i = 0; i < before.n; i++) {
			EXPECT_TRUE(same_vf(&before.vf[i], &after.vf[i]))
				TH_LOG("run %d: %s changed", run + 1, before.vf[i].bdf);
		}
		stress_tally(&row, RUN_OK());
	}
	stress_end(&row);

	/* Still works: get and events. */
	lab_vf_bdf(0, vf0);
	ASSERT_EQ(0, vfpost_vf_get(h, vf0, &vf)) TH_LOG("%s", vfpost_errmsg(h));
	ASSERT_STREQ(LAB_PF_BDF, vf.pf_bdf);
	ASSERT_EQ(0, recorder_open(&rec));
	ASSERT_EQ(0, lab_set_numvfs(0));
	ASSERT_EQ(3, recorder_wait(&rec, 3, 10000));
	ASSERT_EQ(seq0 + 1, rec.e[0].seq);
	ASSERT_EQ(VFPOST_EVENT_PF_NUMVFS, rec.e[2].type);
	recorder_close(&rec);
	vfpost_close(h);
}

/*
 * One VF_GET (a dump if @dump) with the given attributes (NULL/false: left
 * out) on a fresh socket; *@text gets the extack message.  Returns the
 * errno of the answer (0: data came back), or 1 if sending failed.
 */
static int ask_get(struct fuzz *f, bool dump, const char *bdf,
		   const char *pf, bool stats, char *text, size_t len)
{
	struct nl_msg *msg = nlmsg_alloc();
	unsigned int seq;
	bool ext;
	int err, ret;

	if (!msg)
		return 1;
	genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, f->family, 0,
		    (dump ? NLM_F_DUMP : 0) | NLM_F_ACK, VFPOST_CMD_VF_GET,
		    VFPOST_GENL_VERSION);
	if ((bdf && nla_put_string(msg, VFPOST_A_BDF, bdf)) ||
	    (pf && nla_put_string(msg, VFPOST_A_PF_BDF, pf)) ||
	    (stats && nla_put_flag(msg, VFPOST_A_STATS))) {
		nlmsg_free(msg);
		return 1;
	}
	ret = nl_send_auto(f->sk, msg);
	seq = nlmsg_hdr(msg)->nlmsg_seq;
	nlmsg_free(msg);
	if (ret < 0)
		return 1;
	text[0] = '\0';
	if (recv_ack(f, seq, 0, &err, &ext, text, len))
		return 1;
	return -err;
}

/*
 * Attributes VF_GET does not take in this form (uapi/linux/vfpost.h): the
 * doit names one VF and may ask for STATS, the dump may filter by PF.
 * Before issue 10 the module ignored the extra attribute and answered.
 */
TEST_F_TIMEOUT(fuzz, attributes_the_operation_does_not_take, 60)
{
	char text[256], vf0[VFPOST_BDF_LEN];

	lab_vf_bdf(0, vf0);
	/* The well-formed forms work. */
	ASSERT_EQ(0, ask_get(&self->f, false, vf0, NULL, false, text,
			     sizeof(text))) TH_LOG("%s", text);
	ASSERT_EQ(0, ask_get(&self->f, true, NULL, LAB_PF_BDF, false, text,
			     sizeof(text))) TH_LOG("%s", text);

	ASSERT_EQ(EINVAL, ask_get(&self->f, false, vf0, LAB_PF_BDF, false,
				  text, sizeof(text)));
	ASSERT_NE(NULL, strstr(text, "VFPOST_A_PF_BDF")) TH_LOG("%s", text);
	ASSERT_EQ(EINVAL, ask_get(&self->f, true, vf0, NULL, false, text,
				  sizeof(text)));
	ASSERT_NE(NULL, strstr(text, "VFPOST_A_BDF")) TH_LOG("%s", text);
	ASSERT_EQ(EINVAL, ask_get(&self->f, true, NULL, LAB_PF_BDF, true, text,
				  sizeof(text)));
	ASSERT_NE(NULL, strstr(text, "VFPOST_A_STATS")) TH_LOG("%s", text);
}

/* Child: as nobody, on its own socket; 0 if both requests are refused. */
static int nobody_asks_for_stats(struct fuzz *f)
{
	char text[256], vf0[VFPOST_BDF_LEN];

	if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
	    setresuid(65534, 65534, 65534))
		return 10;
	/* The module checks the socket's opener: a socket of nobody's own. */
	if (fuzz_socket(f))
		return 11;
	lab_vf_bdf(0, vf0);
	if (ask_get(f, true, NULL, NULL, true, text, sizeof(text)) != EINVAL ||
	    !strstr(text, "VFPOST_A_STATS"))
		return 12;
	if (ask_get(f, false, vf0, NULL, true, text, sizeof(text)) != EPERM ||
	    !strstr(text, "CAP_NET_ADMIN"))
		return 13;
	/* Inventory stays unprivileged. */
	if (ask_get(f, false, vf0, NULL, false, text, sizeof(text)) ||
	    ask_get(f, true, NULL, NULL, false, text, sizeof(text)))
		return 14;
	return 0;
}

TEST_F_TIMEOUT(fuzz, stats_without_cap_net_admin, 60)
{
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(nobody_asks_for_stats(&self->f));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status))
		TH_LOG("child step %d failed", WEXITSTATUS(status));
}

static int count_vf(const struct vfpost_vf *vf, void *arg)
{
	(*(int *)arg)++;
	return 0;
}

/*
 * A dump whose first VF does not fit an empty buffer must fail, not end
 * as an empty list.  The fault module makes the process's first
 * nla_put_64bit() fail (the first VF's CREATED_NS), so the first message
 * of the dump cannot be built.  The kernel ends the dump with NLMSG_DONE
 * carrying -EMSGSIZE and its extack message; libvfpost returns both.
 *
 * A second half ran vfpostctl under the same fault (the child arms it for
 * itself, then execs) and checked its one error line and empty stdout.  It
 * was flaky on 6.12 (1 run of 3 in make check: the fault was injected,
 * but not into vfpost's dump, and the list succeeded): some other
 * nla_put_64bit() of the new process came first, not identified yet.  It
 * is out until the fault can be aimed at vfpost's dump alone.
 */
#define NO_ROOM "VF list: a VF message does not fit an empty dump buffer"

TEST_F_TIMEOUT(fuzz, dump_that_cannot_fit_one_vf_fails, 90)
{
	struct vfpost *h;
	int err, ret, n = 0;
	long injected;

	ASSERT_EQ(0, fault_load("nla_put_64bit"));
	h = vfpost_open(&err);
	ASSERT_NE(NULL, h) TH_LOG("%s", vfpost_strerror(err));
	ASSERT_EQ(0, fault_arm(1, -EMSGSIZE));
	ret = vfpost_vf_list(h, NULL, count_vf, &n);
	injected = fault_injected();
	fault_disarm();
	ASSERT_EQ(1, injected);
	EXPECT_EQ(-EMSGSIZE, ret) TH_LOG("list: %d, %d VFs, \"%s\"", ret, n,
					 vfpost_errmsg(h));
	EXPECT_EQ(0, n);
	EXPECT_STREQ(NO_ROOM, vfpost_errmsg(h));
	/* The handle still works. */
	n = 0;
	EXPECT_EQ(0, vfpost_vf_list(h, NULL, count_vf, &n))
		TH_LOG("%s", vfpost_errmsg(h));
	EXPECT_EQ(2, n);
	vfpost_close(h);

	ASSERT_EQ(0, fault_unload());
}

/*
 * VFs that go away between two parts of a dump mark it NLM_F_DUMP_INTR,
 * even when the later part puts no VF (the kernel checks NLMSG_DONE too).
 * The first part is built while the request is sent; the second when the
 * first is read.  Before issue 3 the module refreshed the generation only
 * when it put a VF, so this change went unflagged.
 */
TEST_F_TIMEOUT(fuzz, dump_interrupted_by_vf_removal, 60)
{
	struct nl_msg *msg = nlmsg_alloc();
	struct nlmsghdr *nlh;
	bool done = false, intr = false;
	unsigned int seq;
	int len, vfs = 0;
	ssize_t n;

	ASSERT_NE(NULL, msg);
	ASSERT_NE(NULL, genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ,
				    self->f.family, 0, NLM_F_DUMP,
				    VFPOST_CMD_VF_GET, VFPOST_GENL_VERSION));
	ASSERT_LT(0, nl_send_auto(self->f.sk, msg));
	seq = nlmsg_hdr(msg)->nlmsg_seq;
	nlmsg_free(msg);
	ASSERT_EQ(0, lab_set_numvfs(0));

	while (!done) {
		n = recv(nl_socket_get_fd(self->f.sk), self->f.buf,
			 sizeof(self->f.buf), 0);
		ASSERT_LT(0, n);
		len = (int)n;
		for (nlh = (struct nlmsghdr *)self->f.buf; nlmsg_ok(nlh, len);
		     nlh = nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_seq != seq)
				continue;
			if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
				intr = true;
			if (nlh->nlmsg_type == NLMSG_DONE) {
				ASSERT_EQ(0, *(int *)nlmsg_data(nlh));
				done = true;
			} else {
				ASSERT_NE(NLMSG_ERROR, nlh->nlmsg_type);
				vfs++;
			}
		}
	}
	TH_LOG("%d VFs before the removal, DUMP_INTR %s", vfs,
	       intr ? "set" : "not set");
	EXPECT_EQ(2, vfs);
	EXPECT_TRUE(intr);
}

/*
 * Joining the lifecycle group can fail for reasons other than EPERM;
 * libvfpost reports the kernel's errno, not a blanket -EIO.  The fault
 * module fails the genetlink core's genl_bind() (the join) with -ENOMEM.
 */
TEST_F_TIMEOUT(fuzz, join_failure_keeps_its_errno, 60)
{
	struct vfpost_events *ev;
	long injected;
	int err;

	ASSERT_EQ(0, fault_load("genl_bind"));
	ASSERT_EQ(0, fault_arm(1, -ENOMEM));
	ev = vfpost_events_open(NULL, NULL, &err);
	injected = fault_injected();
	fault_disarm();
	ASSERT_EQ(0, fault_unload());
	vfpost_events_close(ev);
	ASSERT_EQ(1, injected);
	EXPECT_EQ(NULL, ev);
	EXPECT_EQ(-ENOMEM, err) TH_LOG("%s", vfpost_strerror(err));
}

TEST_HARNESS_MAIN
