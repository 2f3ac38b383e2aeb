/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Sizes of vfpost's netlink replies, computed from the attributes they
 * carry (uapi/linux/vfpost.h) and nothing else.  Pure functions of counts
 * and the uapi limits: netlink.c sizes its messages with them, and the host
 * unit test user/tests/test_lib_nlsize.c checks them against messages libnl
 * builds attribute for attribute as netlink.c does.
 *
 * The limit that matters: a nest's nla_len is 16 bits.  VFPOST_A_VECTORS
 * holds one VFPOST_A_VECTOR nest per vector, so past
 * vfpost_nl_vectors_max() vectors its nla_len would wrap and the message
 * would be corrupt; netlink.c refuses such a reply with -EMSGSIZE.
 */
#ifndef _VFPOST_NLSIZE_H
#define _VFPOST_NLSIZE_H

#ifdef __KERNEL__
#include <linux/limits.h>
#include <net/netlink.h>
#define VFPOST_NLA_LEN_MAX	U16_MAX
#else
/* Host unit tests: libnl's nla_total_size() is the kernel's. */
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include <netlink/attr.h>
#define VFPOST_NLA_LEN_MAX	UINT16_MAX
/*
 * The kernel adds a VFPOST_A_PAD attribute before a u64 only where
 * unaligned access is slow; the unit tests run on x86-64, where it is not.
 */
static inline int nla_total_size_64bit(int payload)
{
	return nla_total_size(payload);
}
#endif
#include <linux/vfpost.h>

/* One VFPOST_A_VECTOR nest (vfpost_fill_vectors()), header included. */
static inline size_t vfpost_nl_vector_size(void)
{
	return nla_total_size(0) +
	       nla_total_size(sizeof(__u32)) +	/* VEC_A_INDEX */
	       nla_total_size(sizeof(__u32)) +	/* VEC_A_HOST_IRQ */
	       nla_total_size_64bit(sizeof(__u64)) + /* VEC_A_HOST_HITS */
	       nla_total_size_64bit(sizeof(__u64)) + /* VEC_A_MASKED_HITS */
	       nla_total_size(sizeof(__u8)) +	/* VEC_A_MASKED */
	       nla_total_size(sizeof(__u8)) +	/* VEC_A_PENDING */
	       nla_total_size(sizeof(__u32)) +	/* VEC_A_BYPASS */
	       nla_total_size(sizeof(__s32)) +	/* VEC_A_LAST_CPU */
	       nla_total_size(sizeof(__u32)) +	/* VEC_A_POSTING */
	       nla_total_size(sizeof(__u32)) +	/* VEC_A_POSTED_VCPU */
	       nla_total_size(sizeof(__u32)) +	/* VEC_A_POSTED_VECTOR */
	       nla_total_size_64bit(sizeof(__u64)); /* VEC_A_POSTING_NS */
}

/* The nla_len a VFPOST_A_VECTORS nest of @nr vectors needs. */
static inline size_t vfpost_nl_vectors_len(size_t nr)
{
	return NLA_HDRLEN + nr * vfpost_nl_vector_size();
}

/* Most vectors one VFPOST_A_VECTORS nest can describe. */
static inline size_t vfpost_nl_vectors_max(void)
{
	return (VFPOST_NLA_LEN_MAX - NLA_HDRLEN) / vfpost_nl_vector_size();
}

/*
 * Payload of a VF message (after the genetlink header) with every optional
 * attribute present and every string at its longest, plus @nr vectors
 * (@nr < 0: no VFPOST_A_VECTORS at all).  For genlmsg_new().
 */
static inline size_t vfpost_nl_vf_msg_size(int nr)
{
	size_t size;

	size = nla_total_size(VFPOST_BDF_LEN) +		/* BDF */
	       nla_total_size(VFPOST_BDF_LEN) +		/* PF_BDF */
	       nla_total_size(sizeof(__u32)) +	/* VF_INDEX */
	       nla_total_size(sizeof(__u16)) +	/* VENDOR */
	       nla_total_size(sizeof(__u16)) +	/* DEVICE */
	       nla_total_size(VFPOST_DRIVER_LEN) +	/* DRIVER */
	       nla_total_size(sizeof(__u32)) +	/* IOMMU_GROUP */
	       nla_total_size(sizeof(__u32)) +	/* STATE */
	       nla_total_size(sizeof(__u32)) +	/* OWNER_PID */
	       nla_total_size_64bit(sizeof(__u64)) + /* CREATED_NS */
	       nla_total_size_64bit(sizeof(__u64)) + /* CHANGED_NS */
	       nla_total_size_64bit(sizeof(__u64)) + /* SEQ */
	       nla_total_size(0) +			/* CLAIMED */
	       nla_total_size(0) +			/* RELEASE_ON_CLOSE */
	       nla_total_size(VFPOST_DRIVER_LEN) +	/* PREV_DRIVER */
	       nla_total_size(VFPOST_DRIVER_LEN);	/* PREV_OVERRIDE */
	if (nr >= 0)
		size += vfpost_nl_vectors_len(nr);
	return size;
}

/* Payload of a STATUS_GET reply. */
static inline size_t vfpost_nl_status_msg_size(void)
{
	return nla_total_size_64bit(sizeof(__u64)) +	/* SEQ */
	       nla_total_size(sizeof(__u32));		/* NUM_VFS */
}

#endif /* _VFPOST_NLSIZE_H */
