// SPDX-License-Identifier: GPL-2.0
/*
 * netlink_fuzz_test: 2,000 malformed vfpost requests built with raw libnl
 * messages (unknown commands, reserved header bits, unknown attributes,
 * attributes of the wrong size, missing or malformed or unknown BDFs,
 * truncated headers).  Each must get its own error (the right errno, and
 * an extack message where the policy or the module rejects it), never a
 * success, a hang or a splat; afterwards the module still works.
 *
 * The generator is seeded (FUZZ_SEED, default 1) so a failure replays.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
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
#include "lab.h"
#include "libvfpost.h"
#include "vfpost_lab.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define NR_MESSAGES 2000

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
	D_NR
};

static const char * const defect_name[] = {
	"unknown-cmd", "reserved", "unknown-attr", "bad-size", "missing-bdf",
	"bad-bdf", "unknown-bdf", "truncated", "random-attrs",
};

struct fuzz {
	struct nl_sock *sk;
	int family;
	unsigned int seed;
	char buf[65536];
};

static unsigned int rnd(struct fuzz *f, unsigned int n)
{
	return (unsigned int)rand_r(&f->seed) % n;
}

static void rnd_bytes(struct fuzz *f, char *p, size_t n)
{
	while (n--)
		*p++ = (char)rnd(f, 256);
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

/* Build one malformed message with defect @d into @msg. */
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
	     d == D_RANDOM_ATTRS) && rnd(f, 3) == 0) {
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
	default:
		break;
	}
}

static bool expected(enum defect d, int err)
{
	switch (d) {
	case D_UNKNOWN_CMD:
		return err == -EOPNOTSUPP;
	case D_UNKNOWN_BDF:
		return err == -ENODEV;
	case D_BAD_SIZE:
	case D_RANDOM_ATTRS:
		return err == -EINVAL || err == -ERANGE;
	default:
		return err == -EINVAL;
	}
}

static bool needs_extack(enum defect d)
{
	return d != D_UNKNOWN_CMD && d != D_TRUNCATED;
}

/*
 * Receive until the error/ack for @seq; *@err = its error, *@ext = 1 if it
 * carried an extack message.  Returns 0, or -1 if something other than an
 * error arrived (a reply or dump data means the request succeeded).  A
 * dump that fails in its dumpit ends with NLMSG_DONE carrying the errno
 * and the extack attributes: that counts as an error too.
 */
static int recv_ack(struct fuzz *f, unsigned int seq, int *err, bool *ext,
		    char *msg, size_t msglen)
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
			if (nlh->nlmsg_seq != seq)
				continue;
			*ext = false;
			msg[0] = '\0';
			if (nlh->nlmsg_type == NLMSG_DONE &&
			    nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(int)) &&
			    *(int *)nlmsg_data(nlh) < 0) {
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
				return -1;
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

FIXTURE(fuzz) {
	struct fuzz f;
};

FIXTURE_SETUP(fuzz)
{
	const char *seed = getenv("FUZZ_SEED");
	int one = 1;

	self->f.seed = seed ? (unsigned int)atoi(seed) : 1;
	ASSERT_EQ(0, lab_set_numvfs(2));
	ASSERT_EQ(0, vfpost_load());
	self->f.sk = nl_socket_alloc();
	ASSERT_NE(NULL, self->f.sk);
	ASSERT_EQ(0, genl_connect(self->f.sk));
	ASSERT_EQ(0, setsockopt(nl_socket_get_fd(self->f.sk), SOL_NETLINK,
				NETLINK_EXT_ACK, &one, sizeof(one)));
	ASSERT_EQ(0, setsockopt(nl_socket_get_fd(self->f.sk), SOL_NETLINK,
				NETLINK_CAP_ACK, &one, sizeof(one)));
	self->f.family = genl_ctrl_resolve(self->f.sk, VFPOST_GENL_NAME);
	ASSERT_LT(0, self->f.family);
}

FIXTURE_TEARDOWN(fuzz)
{
	nl_socket_free(self->f.sk);
	EXPECT_EQ(0, vfpost_unload());
	EXPECT_EQ(0, lab_set_numvfs(0));
}

TEST_F_TIMEOUT(fuzz, two_thousand_malformed_messages_then_still_works, 120)
{
	unsigned int counts[D_NR] = { 0 };
	char text[256], vf0[VFPOST_BDF_LEN];
	struct recorder rec;
	struct vfpost_vf vf;
	struct vfpost *h;
	struct nl_msg *msg;
	enum defect d;
	unsigned int seq;
	uint64_t seq0;
	int i, err, ret;
	bool ext;

	TH_LOG("seed %u", self->f.seed);
	for (i = 0; i < NR_MESSAGES; i++) {
		d = (enum defect)rnd(&self->f, D_NR);
		msg = nlmsg_alloc();
		ASSERT_NE(NULL, msg);
		build(&self->f, msg, d);
		ret = nl_send_auto(self->f.sk, msg);
		seq = nlmsg_hdr(msg)->nlmsg_seq;
		nlmsg_free(msg);
		ASSERT_LT(0, ret) TH_LOG("message %d (%s): send %s", i,
					 defect_name[d], nl_geterror(ret));
		ASSERT_EQ(0, recv_ack(&self->f, seq, &err, &ext, text,
				      sizeof(text)))
			TH_LOG("message %d (%s) was answered with data",
			       i, defect_name[d]);
		ASSERT_TRUE(expected(d, err))
			TH_LOG("message %d (%s): error %d (%s)", i,
			       defect_name[d], err, text);
		if (needs_extack(d))
			ASSERT_TRUE(ext) TH_LOG("message %d (%s): error %d without extack",
						i, defect_name[d], err);
		counts[d]++;
	}
	for (i = 0; i < D_NR; i++) {
		TH_LOG("%-12s %u", defect_name[i], counts[i]);
		ASSERT_LT(0u, counts[i]);
	}

	/* Still works: status, get, dump and events. */
	h = vfpost_open(&err);
	ASSERT_NE(NULL, h) TH_LOG("%s", vfpost_strerror(err));
	ASSERT_EQ(0, vfpost_status(h, &seq0, NULL));
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
	if (recv_ack(f, seq, &err, &ext, text, len))
		return 0;
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
	int one = 1;

	if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
	    setresuid(65534, 65534, 65534))
		return 10;
	/* The module checks the socket's opener: a socket of nobody's own. */
	f->sk = nl_socket_alloc();
	if (!f->sk || genl_connect(f->sk) ||
	    setsockopt(nl_socket_get_fd(f->sk), SOL_NETLINK, NETLINK_EXT_ACK,
		       &one, sizeof(one)) ||
	    setsockopt(nl_socket_get_fd(f->sk), SOL_NETLINK, NETLINK_CAP_ACK,
		       &one, sizeof(one)))
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
