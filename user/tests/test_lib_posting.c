// SPDX-License-Identifier: GPL-2.0
/*
 * KVM's posting decision per vector, end to end without a kernel: how the
 * module's record (kmod/posting.h, the same code vfpost.ko runs in its
 * tracepoint probe) follows KVM's reports, and how libvfpost decodes the
 * attributes kmod/netlink.c sends for it (posted, remapped, none, and a
 * module older than the attributes).
 *
 * Why here: the lab cannot post (its IOMMU has no IRQ_POSTING_CAP), so KVM
 * never fires kvm_pi_irte_update there; posting_test runs the real thing
 * where the hardware posts.
 */
#include <errno.h>
#include <string.h>
#include <netlink/genl/genl.h>

#include "kselftest_harness.h"
#include "lib/decode.h"
#include "../kmod/posting.h"

TEST(record_starts_empty_and_follows_reports)
{
	struct vfpost_posting_rec r = { 0 };

	EXPECT_EQ(VFPOST_POSTING_NONE, (int)r.state);
	/* Posted: vCPU and vector and the time of the change. */
	EXPECT_TRUE(vfpost_posting_apply(&r, true, 3, 0x41, 1000));
	EXPECT_EQ(VFPOST_POSTING_POSTED, (int)r.state);
	EXPECT_EQ(3u, r.vcpu);
	EXPECT_EQ(0x41u, r.gvec);
	EXPECT_EQ(1000u, r.changed_ns);
	/* The same decision again (an IRTE refresh) is no change. */
	EXPECT_FALSE(vfpost_posting_apply(&r, true, 3, 0x41, 2000));
	EXPECT_EQ(1000u, r.changed_ns);
	/* Another vCPU, then another vector: changes. */
	EXPECT_TRUE(vfpost_posting_apply(&r, true, 1, 0x41, 3000));
	EXPECT_EQ(1u, r.vcpu);
	EXPECT_EQ(3000u, r.changed_ns);
	EXPECT_TRUE(vfpost_posting_apply(&r, true, 1, 0x42, 4000));
	EXPECT_EQ(0x42u, r.gvec);
	EXPECT_EQ(4000u, r.changed_ns);
}

/*
 * Remapped: 6.1-6.16 name the vCPU it was posted to, 6.17+ none; either
 * way the record keeps neither, and a second report changes nothing.
 */
TEST(remapped_forgets_the_vcpu)
{
	struct vfpost_posting_rec r = { 0 };

	EXPECT_TRUE(vfpost_posting_apply(&r, true, 2, 0x30, 10));
	EXPECT_TRUE(vfpost_posting_apply(&r, false, 2, 0x30, 20));
	EXPECT_EQ(VFPOST_POSTING_REMAPPED, (int)r.state);
	EXPECT_EQ(0u, r.vcpu);
	EXPECT_EQ(0u, r.gvec);
	EXPECT_EQ(20u, r.changed_ns);
	EXPECT_FALSE(vfpost_posting_apply(&r, false, 0, 0xdead, 30));
	EXPECT_EQ(20u, r.changed_ns);
	/* Remapped first (KVM refused to post a multicast route). */
	memset(&r, 0, sizeof(r));
	EXPECT_TRUE(vfpost_posting_apply(&r, false, 0, 0, 5));
	EXPECT_EQ(VFPOST_POSTING_REMAPPED, (int)r.state);
	/* And posted again. */
	EXPECT_TRUE(vfpost_posting_apply(&r, true, 0, 0x50, 6));
	EXPECT_EQ(VFPOST_POSTING_POSTED, (int)r.state);
	EXPECT_EQ(6u, r.changed_ns);
}

/* One vector as kmod/netlink.c sends it, with posting @state. */
static struct nl_msg *vector_msg(int state, bool with_posting)
{
	struct nl_msg *msg = nlmsg_alloc();
	struct nlattr *vs, *v;

	if (!msg || !genlmsg_put(msg, 1, 7, 0x1234, 0, 0, VFPOST_CMD_VF_GET,
				 VFPOST_GENL_VERSION))
		goto err;
	nla_put_string(msg, VFPOST_A_BDF, "0000:00:03.1");
	nla_put_string(msg, VFPOST_A_PF_BDF, "0000:00:03.0");
	nla_put_u32(msg, VFPOST_A_STATE, VFPOST_VF_OPEN);
	vs = nla_nest_start(msg, VFPOST_A_VECTORS);
	v = nla_nest_start(msg, VFPOST_A_VECTOR);
	if (!vs || !v)
		goto err;
	nla_put_u32(msg, VFPOST_VEC_A_INDEX, 1);
	nla_put_u64(msg, VFPOST_VEC_A_HOST_HITS, 0);
	nla_put_u32(msg, VFPOST_VEC_A_BYPASS, VFPOST_BYPASS_STATE_CONNECTED);
	if (with_posting) {
		nla_put_u32(msg, VFPOST_VEC_A_POSTING, state);
		if (state == VFPOST_POSTING_POSTED) {
			nla_put_u32(msg, VFPOST_VEC_A_POSTED_VCPU, 5);
			nla_put_u32(msg, VFPOST_VEC_A_POSTED_VECTOR, 0xec);
		}
		if (state != VFPOST_POSTING_NONE)
			nla_put_u64(msg, VFPOST_VEC_A_POSTING_NS, 123456789);
	}
	nla_nest_end(msg, v);
	nla_nest_end(msg, vs);
	return msg;
err:
	nlmsg_free(msg);
	return NULL;
}

static int decode_one(struct nl_msg *msg, struct vfpost_vector *v)
{
	struct vfpost_vf vf;
	unsigned int nr = 0;
	int ret;

	memset(v, 0x5a, sizeof(*v));	/* decode must set every field */
	ret = vfpost_decode_vf(nlmsg_hdr(msg), &vf, v, 1, &nr);
	nlmsg_free(msg);
	return ret ? ret : (int)nr;
}

TEST(posting_attributes_decode)
{
	struct vfpost_vector v;

	ASSERT_EQ(1, decode_one(vector_msg(VFPOST_POSTING_POSTED, true), &v));
	EXPECT_EQ(VFPOST_POSTING_POSTED, (int)v.posting);
	EXPECT_EQ(5u, v.posted_vcpu);
	EXPECT_EQ(0xecu, v.posted_vector);
	EXPECT_EQ(123456789u, v.posting_ns);
	EXPECT_STREQ("posted", vfpost_posting_name(v.posting));

	ASSERT_EQ(1, decode_one(vector_msg(VFPOST_POSTING_REMAPPED, true), &v));
	EXPECT_EQ(VFPOST_POSTING_REMAPPED, (int)v.posting);
	EXPECT_EQ(0u, v.posted_vcpu);
	EXPECT_EQ(0u, v.posted_vector);
	EXPECT_EQ(123456789u, v.posting_ns);
	EXPECT_STREQ("remapped", vfpost_posting_name(v.posting));

	ASSERT_EQ(1, decode_one(vector_msg(VFPOST_POSTING_NONE, true), &v));
	EXPECT_EQ(VFPOST_POSTING_NONE, (int)v.posting);
	EXPECT_EQ(0u, v.posting_ns);
	EXPECT_STREQ("none", vfpost_posting_name(v.posting));
	EXPECT_STREQ("?", vfpost_posting_name(17));
}

/* A module from before the posting attributes: the vector reads NONE. */
TEST(older_module_reads_none)
{
	struct vfpost_vector v;

	ASSERT_EQ(1, decode_one(vector_msg(0, false), &v));
	EXPECT_EQ(VFPOST_POSTING_NONE, (int)v.posting);
	EXPECT_EQ(0u, v.posted_vcpu);
	EXPECT_EQ(0u, v.posted_vector);
	EXPECT_EQ(0u, v.posting_ns);
	EXPECT_EQ(VFPOST_BYPASS_STATE_CONNECTED, (int)v.bypass);
}

/* A posting attribute of the wrong size is a malformed message. */
TEST(malformed_posting_attribute_is_refused)
{
	struct nl_msg *msg = nlmsg_alloc();
	struct nlattr *vs, *v;
	struct vfpost_vector vec;

	ASSERT_NE(NULL, msg);
	ASSERT_NE(NULL, genlmsg_put(msg, 1, 7, 0x1234, 0, 0, VFPOST_CMD_VF_GET,
				    VFPOST_GENL_VERSION));
	nla_put_string(msg, VFPOST_A_BDF, "0000:00:03.1");
	nla_put_string(msg, VFPOST_A_PF_BDF, "0000:00:03.0");
	nla_put_u32(msg, VFPOST_A_STATE, VFPOST_VF_OPEN);
	vs = nla_nest_start(msg, VFPOST_A_VECTORS);
	v = nla_nest_start(msg, VFPOST_A_VECTOR);
	ASSERT_NE(NULL, v);
	nla_put_u32(msg, VFPOST_VEC_A_INDEX, 0);
	nla_put_u8(msg, VFPOST_VEC_A_POSTING_NS, 1);
	nla_nest_end(msg, v);
	nla_nest_end(msg, vs);
	EXPECT_EQ(-EINVAL, decode_one(msg, &vec));
}

TEST_HARNESS_MAIN
