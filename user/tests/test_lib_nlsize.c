// SPDX-License-Identifier: GPL-2.0
/*
 * kmod/nlsize.h: the sizes vfpost.ko computes for its replies, checked
 * against messages built here with libnl attribute for attribute as
 * kmod/netlink.c builds them, and the VFPOST_A_VECTORS limit at its edge.
 *
 * Why here and not in the lab: the nest overflows past 585 vectors, and
 * the lab's emulated NVMe VF has at most a handful of MSI-X vectors (QEMU
 * 7.2's nvme: sriov_max_vi_per_vf), nor does any emulated device in QEMU
 * 7.2 offer an SR-IOV VF with that many.  A module knob lowering the limit
 * would test the knob, not the arithmetic.  So the arithmetic is a pure
 * function of counts, shared by the module and this test.
 */
#include <string.h>
#include <netlink/genl/genl.h>

#include "kselftest_harness.h"
#include "lib/decode.h"
#include "../kmod/nlsize.h"

/* Offset of the end of @msg's data from @from. */
static size_t bytes_since(struct nl_msg *msg, const void *from)
{
	return (size_t)((char *)nlmsg_tail(nlmsg_hdr(msg)) - (char *)from);
}

/*
 * As vfpost_fill_vectors(): one VFPOST_A_VECTOR nest, all attributes (a
 * posted vector carries every posting attribute).
 */
static int put_vector(struct nl_msg *msg, uint32_t i)
{
	struct nlattr *vec = nla_nest_start(msg, VFPOST_A_VECTOR);

	if (!vec ||
	    nla_put_u32(msg, VFPOST_VEC_A_INDEX, i) ||
	    nla_put_u32(msg, VFPOST_VEC_A_HOST_IRQ, 40 + i) ||
	    nla_put_u64(msg, VFPOST_VEC_A_HOST_HITS, ~0ull) ||
	    nla_put_u64(msg, VFPOST_VEC_A_MASKED_HITS, ~0ull) ||
	    nla_put_u8(msg, VFPOST_VEC_A_MASKED, 1) ||
	    nla_put_u8(msg, VFPOST_VEC_A_PENDING, 1) ||
	    nla_put_u32(msg, VFPOST_VEC_A_BYPASS, 2) ||
	    nla_put_s32(msg, VFPOST_VEC_A_LAST_CPU, -1) ||
	    nla_put_u32(msg, VFPOST_VEC_A_POSTING, VFPOST_POSTING_POSTED) ||
	    nla_put_u32(msg, VFPOST_VEC_A_POSTED_VCPU, 3) ||
	    nla_put_u32(msg, VFPOST_VEC_A_POSTED_VECTOR, 0x41) ||
	    nla_put_u64(msg, VFPOST_VEC_A_POSTING_NS, ~0ull))
		return -1;
	return nla_nest_end(msg, vec);
}

/*
 * The bytes a VFPOST_A_VECTORS nest of @nr vectors takes once encoded:
 * what the kernel's nla_nest_end() would store in its nla_len.
 */
static size_t encoded_vectors_len(size_t nr)
{
	struct nl_msg *msg = nlmsg_alloc_size(1 << 18);
	struct nlattr *nest;
	size_t i, len = 0;

	if (!msg)
		return 0;
	nest = nla_nest_start(msg, VFPOST_A_VECTORS);
	for (i = 0; nest && i < nr; i++)
		if (put_vector(msg, (uint32_t)i))
			break;
	if (nest && i == nr)
		len = bytes_since(msg, nest);
	nlmsg_free(msg);
	return len;
}

TEST(vector_nest_size_matches_the_encoding)
{
	static const size_t counts[] = { 0, 1, 2, 7, 100 };
	size_t i;

	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
		EXPECT_EQ(encoded_vectors_len(counts[i]),
			  vfpost_nl_vectors_len(counts[i]))
			TH_LOG("%zu vectors", counts[i]);
}

/*
 * The largest count fits nla_len's 16 bits; one more does not: without the
 * module's -EMSGSIZE check, the kernel's nla_nest_end() would store the
 * length modulo 65536 and the reply would be corrupt.
 */
TEST(vectors_max_is_the_last_count_that_fits_nla_len)
{
	size_t max = vfpost_nl_vectors_max();

	TH_LOG("%zu bytes per vector, at most %zu vectors",
	       vfpost_nl_vector_size(), max);
	/*
	 * x86-64: 112 bytes a vector (76 before the posting attributes of
	 * issue 12), so 585 (862 before).
	 */
	EXPECT_EQ(112u, vfpost_nl_vector_size());
	EXPECT_EQ(585u, max);
	EXPECT_GE(65535u, encoded_vectors_len(max));
	EXPECT_LT(65535u, encoded_vectors_len(max + 1));
	EXPECT_EQ(encoded_vectors_len(max + 1), vfpost_nl_vectors_len(max + 1));
}

/* As vfpost_fill_vf() for a claimed, open VF with every string longest. */
static int put_vf_longest(struct nl_msg *msg)
{
	char bdf[VFPOST_BDF_LEN], drv[VFPOST_DRIVER_LEN];

	memset(bdf, 'b', sizeof(bdf) - 1);
	bdf[sizeof(bdf) - 1] = '\0';
	memset(drv, 'd', sizeof(drv) - 1);
	drv[sizeof(drv) - 1] = '\0';
	if (nla_put_string(msg, VFPOST_A_BDF, bdf) ||
	    nla_put_string(msg, VFPOST_A_PF_BDF, bdf) ||
	    nla_put_u32(msg, VFPOST_A_VF_INDEX, 1) ||
	    nla_put_u16(msg, VFPOST_A_VENDOR, 0x1b36) ||
	    nla_put_u16(msg, VFPOST_A_DEVICE, 0x0010) ||
	    nla_put_string(msg, VFPOST_A_DRIVER, drv) ||
	    nla_put_u32(msg, VFPOST_A_IOMMU_GROUP, 6) ||
	    nla_put_u32(msg, VFPOST_A_STATE, VFPOST_VF_OPEN) ||
	    nla_put_u32(msg, VFPOST_A_OWNER_PID, 4242) ||
	    nla_put_u64(msg, VFPOST_A_CREATED_NS, 1) ||
	    nla_put_u64(msg, VFPOST_A_CHANGED_NS, 2) ||
	    nla_put_u64(msg, VFPOST_A_SEQ, 3) ||
	    nla_put_flag(msg, VFPOST_A_CLAIMED) ||
	    nla_put_flag(msg, VFPOST_A_RELEASE_ON_CLOSE) ||
	    nla_put_string(msg, VFPOST_A_PREV_DRIVER, drv) ||
	    nla_put_string(msg, VFPOST_A_PREV_OVERRIDE, drv))
		return -1;
	return 0;
}

TEST(vf_message_size_covers_every_attribute_at_its_longest)
{
	struct nl_msg *msg = nlmsg_alloc_size(1 << 18);
	struct nlattr *nest;
	void *payload;
	int i;

	ASSERT_NE(NULL, msg);
	payload = genlmsg_put(msg, 1, 1, 0x1234, 0, 0, VFPOST_CMD_VF_GET, 1);
	ASSERT_NE(NULL, payload);
	ASSERT_EQ(0, put_vf_longest(msg));
	EXPECT_EQ(vfpost_nl_vf_msg_size(-1), bytes_since(msg, payload));

	nest = nla_nest_start(msg, VFPOST_A_VECTORS);
	ASSERT_NE(NULL, nest);
	for (i = 0; i < 5; i++)
		ASSERT_EQ(0, put_vector(msg, (uint32_t)i));
	ASSERT_EQ(0, nla_nest_end(msg, nest));
	EXPECT_EQ(vfpost_nl_vf_msg_size(5), bytes_since(msg, payload));
	nlmsg_free(msg);
}

TEST(status_message_size)
{
	struct nl_msg *msg = nlmsg_alloc();
	void *payload;

	ASSERT_NE(NULL, msg);
	payload = genlmsg_put(msg, 1, 1, 0x1234, 0, 0, VFPOST_CMD_STATUS_GET, 1);
	ASSERT_NE(NULL, payload);
	ASSERT_EQ(0, nla_put_u64(msg, VFPOST_A_SEQ, 9));
	ASSERT_EQ(0, nla_put_u32(msg, VFPOST_A_NUM_VFS, 2));
	EXPECT_EQ(vfpost_nl_status_msg_size(), bytes_since(msg, payload));
	nlmsg_free(msg);
}

TEST_HARNESS_MAIN
