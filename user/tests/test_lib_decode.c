// SPDX-License-Identifier: GPL-2.0
/*
 * libvfpost: decoding VF, vector and event messages built here with libnl
 * exactly as the module builds them (and malformed variants).
 */
#include <errno.h>
#include <string.h>
#include <netlink/genl/genl.h>

#include "kselftest_harness.h"
#include "lib/decode.h"

#define FAMILY 0x1234

static struct nl_msg *new_msg(int cmd)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (msg && !genlmsg_put(msg, 1, 7, FAMILY, 0, 0, cmd,
				VFPOST_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static void put_vf(struct nl_msg *msg, bool claimed)
{
	nla_put_string(msg, VFPOST_A_BDF, "0000:00:03.2");
	nla_put_string(msg, VFPOST_A_PF_BDF, "0000:00:03.0");
	nla_put_u32(msg, VFPOST_A_VF_INDEX, 1);
	nla_put_u16(msg, VFPOST_A_VENDOR, 0x1b36);
	nla_put_u16(msg, VFPOST_A_DEVICE, 0x0010);
	nla_put_u32(msg, VFPOST_A_STATE, VFPOST_VF_OPEN);
	nla_put_u32(msg, VFPOST_A_OWNER_PID, 4242);
	nla_put_u64(msg, VFPOST_A_CREATED_NS, 1000);
	nla_put_u64(msg, VFPOST_A_CHANGED_NS, 2000);
	nla_put_u64(msg, VFPOST_A_SEQ, 99);
	if (claimed) {
		nla_put_string(msg, VFPOST_A_DRIVER, "vfpost");
		nla_put_u32(msg, VFPOST_A_IOMMU_GROUP, 7);
		nla_put_flag(msg, VFPOST_A_CLAIMED);
		nla_put_string(msg, VFPOST_A_PREV_DRIVER, "vfio-pci");
		nla_put_string(msg, VFPOST_A_PREV_OVERRIDE, "vfio-pci");
	}
}

TEST(vf_message_decodes)
{
	struct nl_msg *msg = new_msg(VFPOST_CMD_VF_GET);
	struct vfpost_vf vf;
	unsigned int nr = 5;

	ASSERT_NE(NULL, msg);
	put_vf(msg, true);
	ASSERT_EQ(0, vfpost_decode_vf(nlmsg_hdr(msg), &vf, NULL, 0, &nr));
	EXPECT_EQ(0u, nr);
	EXPECT_STREQ("0000:00:03.2", vf.bdf);
	EXPECT_STREQ("0000:00:03.0", vf.pf_bdf);
	EXPECT_EQ(1u, vf.vf_index);
	EXPECT_EQ(0x1b36, vf.vendor);
	EXPECT_EQ(0x0010, vf.device);
	EXPECT_STREQ("vfpost", vf.driver);
	EXPECT_EQ(7, vf.iommu_group);
	EXPECT_EQ(VFPOST_VF_OPEN, (int)vf.state);
	EXPECT_EQ(4242u, vf.owner_pid);
	EXPECT_TRUE(vf.claimed);
	EXPECT_STREQ("vfio-pci", vf.prev_driver);
	EXPECT_STREQ("vfio-pci", vf.prev_override);
	EXPECT_EQ(1000u, vf.created_ns);
	EXPECT_EQ(2000u, vf.changed_ns);
	EXPECT_EQ(99u, vf.seq);
	nlmsg_free(msg);
}

TEST(optional_attributes_default)
{
	struct nl_msg *msg = new_msg(VFPOST_CMD_VF_CLAIM);
	struct vfpost_vf vf;

	ASSERT_NE(NULL, msg);
	put_vf(msg, false);
	ASSERT_EQ(0, vfpost_decode_vf(nlmsg_hdr(msg), &vf, NULL, 0, NULL));
	EXPECT_STREQ("", vf.driver);
	EXPECT_EQ(-1, vf.iommu_group);
	EXPECT_FALSE(vf.claimed);
	nlmsg_free(msg);
}

static void put_vector(struct nl_msg *msg, uint32_t idx, uint64_t hits,
		       int32_t cpu)
{
	struct nlattr *v = nla_nest_start(msg, VFPOST_A_VECTOR);

	nla_put_u32(msg, VFPOST_VEC_A_INDEX, idx);
	nla_put_u32(msg, VFPOST_VEC_A_HOST_IRQ, 40 + idx);
	nla_put_u64(msg, VFPOST_VEC_A_HOST_HITS, hits);
	nla_put_u64(msg, VFPOST_VEC_A_MASKED_HITS, hits / 2);
	nla_put_u8(msg, VFPOST_VEC_A_MASKED, idx & 1);
	nla_put_u8(msg, VFPOST_VEC_A_PENDING, 1);
	nla_put_u32(msg, VFPOST_VEC_A_BYPASS, VFPOST_BYPASS_STATE_CONNECTED);
	nla_put_s32(msg, VFPOST_VEC_A_LAST_CPU, cpu);
	nla_nest_end(msg, v);
}

TEST(vectors_decode_and_are_counted_past_max)
{
	struct nl_msg *msg = new_msg(VFPOST_CMD_VF_GET);
	struct vfpost_vector vec[2];
	struct nlattr *nest;
	struct vfpost_vf vf;
	unsigned int nr = 0;

	ASSERT_NE(NULL, msg);
	put_vf(msg, true);
	nest = nla_nest_start(msg, VFPOST_A_VECTORS);
	put_vector(msg, 0, 10, 1);
	put_vector(msg, 1, 3, -1);
	put_vector(msg, 2, 0, 0);
	nla_nest_end(msg, nest);
	ASSERT_EQ(0, vfpost_decode_vf(nlmsg_hdr(msg), &vf, vec, 2, &nr));
	EXPECT_EQ(3u, nr);
	EXPECT_EQ(0u, vec[0].index);
	EXPECT_EQ(40u, vec[0].host_irq);
	EXPECT_EQ(10u, vec[0].host_hits);
	EXPECT_EQ(5u, vec[0].masked_hits);
	EXPECT_FALSE(vec[0].masked);
	EXPECT_TRUE(vec[0].pending);
	EXPECT_EQ(VFPOST_BYPASS_STATE_CONNECTED, (int)vec[0].bypass);
	EXPECT_EQ(1, vec[0].last_cpu);
	EXPECT_EQ(1u, vec[1].index);
	EXPECT_TRUE(vec[1].masked);
	EXPECT_EQ(-1, vec[1].last_cpu);
	nlmsg_free(msg);
}

TEST(malformed_vf_messages_are_refused)
{
	struct vfpost_vf vf;
	struct nl_msg *msg;
	char raw[8] = "00:03.1";

	/* Missing BDF. */
	msg = new_msg(VFPOST_CMD_VF_GET);
	ASSERT_NE(NULL, msg);
	nla_put_string(msg, VFPOST_A_PF_BDF, "0000:00:03.0");
	nla_put_u32(msg, VFPOST_A_STATE, 0);
	EXPECT_EQ(-EINVAL, vfpost_decode_vf(nlmsg_hdr(msg), &vf, NULL, 0, NULL));
	nlmsg_free(msg);

	/* BDF without its NUL. */
	msg = new_msg(VFPOST_CMD_VF_GET);
	ASSERT_NE(NULL, msg);
	put_vf(msg, false);
	nla_put(msg, VFPOST_A_BDF, 7, raw);
	EXPECT_EQ(-EINVAL, vfpost_decode_vf(nlmsg_hdr(msg), &vf, NULL, 0, NULL));
	nlmsg_free(msg);

	/* A u32 attribute of the wrong size. */
	msg = new_msg(VFPOST_CMD_VF_GET);
	ASSERT_NE(NULL, msg);
	put_vf(msg, false);
	nla_put_u8(msg, VFPOST_A_STATE, 1);
	EXPECT_EQ(-EINVAL, vfpost_decode_vf(nlmsg_hdr(msg), &vf, NULL, 0, NULL));
	nlmsg_free(msg);

	/* An event is not a VF message. */
	msg = new_msg(VFPOST_CMD_EVENT);
	ASSERT_NE(NULL, msg);
	put_vf(msg, false);
	EXPECT_EQ(-EINVAL, vfpost_decode_vf(nlmsg_hdr(msg), &vf, NULL, 0, NULL));
	nlmsg_free(msg);
}

static struct nl_msg *event(int type, uint64_t seq, const char *bdf)
{
	struct nl_msg *msg = new_msg(VFPOST_CMD_EVENT);

	if (!msg)
		return NULL;
	nla_put_u32(msg, VFPOST_A_EVENT, type);
	nla_put_u64(msg, VFPOST_A_SEQ, seq);
	nla_put_u64(msg, VFPOST_A_TIMESTAMP_NS, 1795446202614178471ULL);
	nla_put_string(msg, VFPOST_A_PF_BDF, "0000:00:03.0");
	if (bdf) {
		nla_put_string(msg, VFPOST_A_BDF, bdf);
		nla_put_u32(msg, VFPOST_A_VF_INDEX, 2);
	}
	return msg;
}

TEST(events_decode)
{
	struct vfpost_event ev;
	struct nl_msg *msg;

	msg = event(VFPOST_EVENT_DRIVER_BOUND, 5, "0000:00:03.3");
	ASSERT_NE(NULL, msg);
	nla_put_string(msg, VFPOST_A_DRIVER, "vfio-pci");
	ASSERT_EQ(0, vfpost_decode_event(nlmsg_hdr(msg), &ev));
	EXPECT_EQ(VFPOST_EVENT_DRIVER_BOUND, ev.type);
	EXPECT_EQ(5u, ev.seq);
	EXPECT_EQ(1795446202614178471ULL, ev.timestamp_ns);
	EXPECT_STREQ("0000:00:03.3", ev.bdf);
	EXPECT_STREQ("0000:00:03.0", ev.pf_bdf);
	EXPECT_EQ(2u, ev.vf_index);
	EXPECT_STREQ("vfio-pci", ev.driver);
	nlmsg_free(msg);

	msg = event(VFPOST_EVENT_VF_REMOVE_REQUESTED, 6, "0000:00:03.3");
	ASSERT_NE(NULL, msg);
	nla_put_u32(msg, VFPOST_A_OWNER_PID, 321);
	nla_put_u32(msg, VFPOST_A_REQUEST_COUNT, 2);
	ASSERT_EQ(0, vfpost_decode_event(nlmsg_hdr(msg), &ev));
	EXPECT_EQ(321u, ev.pid);
	EXPECT_EQ(2u, ev.request_count);
	nlmsg_free(msg);

	msg = event(VFPOST_EVENT_PF_NUMVFS, 7, NULL);
	ASSERT_NE(NULL, msg);
	nla_put_u32(msg, VFPOST_A_NUM_VFS, 3);
	ASSERT_EQ(0, vfpost_decode_event(nlmsg_hdr(msg), &ev));
	EXPECT_STREQ("", ev.bdf);
	EXPECT_EQ(3u, ev.num_vfs);
	nlmsg_free(msg);

	/* A claim or release that ended: ERROR only when it failed. */
	msg = event(VFPOST_EVENT_VF_CLAIMED, 8, "0000:00:03.3");
	ASSERT_NE(NULL, msg);
	ASSERT_EQ(0, vfpost_decode_event(nlmsg_hdr(msg), &ev));
	EXPECT_EQ(VFPOST_EVENT_VF_CLAIMED, ev.type);
	EXPECT_EQ(0, ev.error);
	nlmsg_free(msg);
	msg = event(VFPOST_EVENT_VF_RELEASED, 9, "0000:00:03.3");
	ASSERT_NE(NULL, msg);
	nla_put_string(msg, VFPOST_A_DRIVER, "vfio-pci");
	nla_put_u32(msg, VFPOST_A_ERROR, ENXIO);
	ASSERT_EQ(0, vfpost_decode_event(nlmsg_hdr(msg), &ev));
	EXPECT_STREQ("vfio-pci", ev.driver);
	EXPECT_EQ(ENXIO, ev.error);
	nlmsg_free(msg);
}

TEST(malformed_events_are_refused)
{
	struct vfpost_event ev;
	struct nl_msg *msg;

	/* A VF event without its BDF. */
	msg = event(VFPOST_EVENT_VF_ADDED, 1, NULL);
	ASSERT_NE(NULL, msg);
	EXPECT_EQ(-EINVAL, vfpost_decode_event(nlmsg_hdr(msg), &ev));
	nlmsg_free(msg);

	/*
	 * A type newer than the library: told apart from a malformed
	 * message, with its sequence number, which a listener must count.
	 */
	msg = event(VFPOST_EVENT_MAX + 1, 7, "0000:00:03.1");
	ASSERT_NE(NULL, msg);
	EXPECT_EQ(-EOPNOTSUPP, vfpost_decode_event(nlmsg_hdr(msg), &ev));
	EXPECT_EQ(7u, ev.seq);
	nlmsg_free(msg);
	msg = event(VFPOST_EVENT_UNSPEC, 1, "0000:00:03.1");
	ASSERT_NE(NULL, msg);
	EXPECT_EQ(-EINVAL, vfpost_decode_event(nlmsg_hdr(msg), &ev));
	nlmsg_free(msg);

	/* No sequence number. */
	msg = new_msg(VFPOST_CMD_EVENT);
	ASSERT_NE(NULL, msg);
	nla_put_u32(msg, VFPOST_A_EVENT, VFPOST_EVENT_VF_ADDED);
	nla_put_string(msg, VFPOST_A_PF_BDF, "0000:00:03.0");
	nla_put_string(msg, VFPOST_A_BDF, "0000:00:03.1");
	nla_put_u64(msg, VFPOST_A_TIMESTAMP_NS, 1);
	EXPECT_EQ(-EINVAL, vfpost_decode_event(nlmsg_hdr(msg), &ev));
	nlmsg_free(msg);

	/* A truncated header. */
	msg = nlmsg_alloc();
	ASSERT_NE(NULL, msg);
	ASSERT_NE(NULL, nlmsg_put(msg, 1, 1, FAMILY, 2, 0));
	EXPECT_EQ(-EINVAL, vfpost_decode_event(nlmsg_hdr(msg), &ev));
	nlmsg_free(msg);
}

/*
 * NLMSG_DONE and NLMSG_ERROR as the kernel builds them: error, then (when
 * NLM_F_ACK_TLVS) the extack attributes; an uncapped ERROR carries the
 * request in between.  @req_len: payload of the echoed request (uncapped).
 */
static struct nl_msg *ack(int type, int err, bool capped, size_t req_len,
			  const char *text, bool offs)
{
	struct nl_msg *msg = nlmsg_alloc();
	struct nlmsgerr *e;
	struct nlmsghdr *nlh;
	int flags = capped ? NLM_F_CAPPED : 0;

	if (text)
		flags |= NLM_F_ACK_TLVS;
	if (type == NLMSG_DONE) {
		nlh = nlmsg_put(msg, 0, 1, NLMSG_DONE, sizeof(int),
				flags | NLM_F_MULTI);
		memcpy(nlmsg_data(nlh), &err, sizeof(err));
	} else {
		nlh = nlmsg_put(msg, 0, 1, NLMSG_ERROR,
				sizeof(*e) + (capped ? 0 : NLMSG_ALIGN(req_len)),
				flags);
		e = nlmsg_data(nlh);
		e->error = err;
		e->msg.nlmsg_len = NLMSG_HDRLEN + (capped ? 64 : req_len);
		e->msg.nlmsg_type = 0x20;
	}
	if (text)
		nla_put_string(msg, NLMSGERR_ATTR_MSG, text);
	if (offs)
		nla_put_u32(msg, NLMSGERR_ATTR_OFFS, 20);
	return msg;
}

TEST(refused_dump_done_carries_errno_and_extack)
{
	const char *m;
	struct nl_msg *msg;

	/* 6.1: the message only; 6.12: with the offset. */
	msg = ack(NLMSG_DONE, -EINVAL, false, 0, "a dump takes no VFPOST_A_STATS",
		  false);
	EXPECT_EQ(-EINVAL, vfpost_decode_ack(nlmsg_hdr(msg), &m));
	ASSERT_NE(NULL, m);
	EXPECT_STREQ("a dump takes no VFPOST_A_STATS", m);
	nlmsg_free(msg);
	msg = ack(NLMSG_DONE, -EMSGSIZE, false, 0, "no room", true);
	EXPECT_EQ(-EMSGSIZE, vfpost_decode_ack(nlmsg_hdr(msg), &m));
	ASSERT_NE(NULL, m);
	EXPECT_STREQ("no room", m);
	nlmsg_free(msg);
	/* Without extack, and a complete dump. */
	msg = ack(NLMSG_DONE, -ENOMEM, false, 0, NULL, false);
	EXPECT_EQ(-ENOMEM, vfpost_decode_ack(nlmsg_hdr(msg), &m));
	EXPECT_EQ(NULL, m);
	nlmsg_free(msg);
	msg = ack(NLMSG_DONE, 0, false, 0, NULL, false);
	EXPECT_EQ(0, vfpost_decode_ack(nlmsg_hdr(msg), &m));
	EXPECT_EQ(NULL, m);
	nlmsg_free(msg);
}

TEST(error_acks_capped_and_uncapped)
{
	const char *m;
	struct nl_msg *msg;

	msg = ack(NLMSG_ERROR, -EPERM, true, 0, "needs CAP_NET_ADMIN", true);
	EXPECT_EQ(-EPERM, vfpost_decode_ack(nlmsg_hdr(msg), &m));
	ASSERT_NE(NULL, m);
	EXPECT_STREQ("needs CAP_NET_ADMIN", m);
	nlmsg_free(msg);
	/* Uncapped: the echoed request (not a multiple of 4) comes first. */
	msg = ack(NLMSG_ERROR, -ENODEV, false, 30, "no SR-IOV VF", false);
	EXPECT_EQ(-ENODEV, vfpost_decode_ack(nlmsg_hdr(msg), &m));
	ASSERT_NE(NULL, m);
	EXPECT_STREQ("no SR-IOV VF", m);
	nlmsg_free(msg);
	msg = ack(NLMSG_ERROR, 0, true, 0, NULL, false);
	EXPECT_EQ(0, vfpost_decode_ack(nlmsg_hdr(msg), &m));
	EXPECT_EQ(NULL, m);
	nlmsg_free(msg);
}

TEST(malformed_acks_are_refused)
{
	struct nlmsghdr nlh = { .nlmsg_len = NLMSG_HDRLEN,
				.nlmsg_type = NLMSG_ERROR };
	const char *m = "x";
	struct nl_msg *msg;
	struct nlattr *a;

	/* An ERROR too short for its struct nlmsgerr. */
	EXPECT_EQ(-EPROTO, vfpost_decode_ack(&nlh, &m));
	EXPECT_EQ(NULL, m);
	nlh.nlmsg_type = NLMSG_MIN_TYPE;
	EXPECT_EQ(-EPROTO, vfpost_decode_ack(&nlh, &m));
	/* A message attribute without its NUL is not a message. */
	msg = ack(NLMSG_DONE, -EINVAL, false, 0, "abcd", false);
	a = (struct nlattr *)((char *)nlmsg_data(nlmsg_hdr(msg)) + sizeof(int));
	((char *)nla_data(a))[4] = 'e';
	EXPECT_EQ(-EINVAL, vfpost_decode_ack(nlmsg_hdr(msg), &m));
	EXPECT_EQ(NULL, m);
	nlmsg_free(msg);
}

TEST_HARNESS_MAIN
