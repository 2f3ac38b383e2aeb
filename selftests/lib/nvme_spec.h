/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The parts of the NVMe specification the selftests' NVMe drivers use:
 * controller registers, admin and I/O opcodes, queue entries.  Shared by
 * the project's driver (nvme_drv.c) and the one it adds to the kernel's
 * VFIO selftest library (selftests/kvfio/nvme.c); nothing here depends on
 * either's VFIO layer.
 */
#ifndef _SELFTESTS_NVME_SPEC_H
#define _SELFTESTS_NVME_SPEC_H

#include <stdint.h>

#define NVME_CLASS		0x010802	/* mass storage, NVM, NVMe */

#define NVME_REG_CAP		0x00
#define NVME_REG_CC		0x14
#define NVME_REG_CSTS		0x1c
#define NVME_REG_AQA		0x24
#define NVME_REG_ASQ		0x28
#define NVME_REG_ACQ		0x30
#define NVME_DOORBELLS		0x1000

#define NVME_CAP_TO_MS(cap)	((((cap) >> 24) & 0xff) * 500)
#define NVME_CAP_DSTRD_BYTES(cap) (4u << (((cap) >> 32) & 0xf))

#define NVME_CC_EN		(1u << 0)
#define NVME_CC_IOSQES		(6u << 16)	/* 64-byte SQ entries */
#define NVME_CC_IOCQES		(4u << 20)	/* 16-byte CQ entries */
#define NVME_CSTS_RDY		(1u << 0)
#define NVME_CSTS_CFS		(1u << 1)

#define NVME_ADM_CREATE_SQ	0x01
#define NVME_ADM_CREATE_CQ	0x05
#define NVME_ADM_IDENTIFY	0x06
#define NVME_ADM_GET_FEATURES	0x0a
#define NVME_IO_FLUSH		0x00
#define NVME_IO_WRITE		0x01
#define NVME_IO_READ		0x02

/* Identify CNS values, and the fields read from their data. */
#define NVME_ID_CNS_NS		0x00
#define NVME_ID_CNS_CTRL	0x01
#define NVME_ID_CNS_NS_ACTIVE	0x02
#define NVME_ID_CTRL_MDTS	77		/* byte: 2^n minimum pages */
#define NVME_ID_NS_NSZE		0		/* u64: size in blocks */
#define NVME_ID_NS_FLBAS	26		/* byte: bits 3:0 format */
#define NVME_ID_NS_LBAF		128		/* u32 each: bits 23:16 LBADS */

/* Create I/O CQ cdw11 / Create I/O SQ cdw11 flags. */
#define NVME_CQ_PC		(1u << 0)
#define NVME_CQ_IEN		(1u << 1)
#define NVME_SQ_PC		(1u << 0)

#define NVME_PAGE		4096u		/* CC.MPS 0 */

struct nvme_sqe {
	uint8_t opcode;
	uint8_t flags;
	uint16_t cid;
	uint32_t nsid;
	uint64_t rsvd;
	uint64_t mptr;
	uint64_t prp1;
	uint64_t prp2;
	uint32_t cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
};

struct nvme_cqe {
	uint32_t result;
	uint32_t rsvd;
	uint16_t sq_head;
	uint16_t sq_id;
	uint16_t cid;
	uint16_t status;	/* bit 0: phase; bits 15:1: status field */
};

#endif /* _SELFTESTS_NVME_SPEC_H */
