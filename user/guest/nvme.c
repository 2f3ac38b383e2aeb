// SPDX-License-Identifier: GPL-2.0
/*
 * bench guest: just enough NVMe to make a controller raise interrupts:
 * reset, one admin submission/completion queue pair in guest RAM (the VMM
 * DMA-maps all of it, IOVA = GPA), enable, and Get Features commands whose
 * completions the controller signals on MSI-X vector 0.
 */
#include "guest.h"
#include "io.h"

#define NVME_CAP	0x00
#define NVME_CC		0x14
#define NVME_CSTS	0x1c
#define NVME_AQA	0x24
#define NVME_ASQ	0x28
#define NVME_ACQ	0x30
#define NVME_DB		0x1000
#define CC_EN		1u
#define CC_IOSQES	(6u << 16)	/* 64-byte SQ entries */
#define CC_IOCQES	(4u << 20)	/* 16-byte CQ entries */
#define CSTS_RDY	1u
#define CSTS_CFS	2u
#define QDEPTH		16
#define OPC_GET_FEATURES 0x0a
#define FID_NUM_QUEUES	0x07

struct sqe {
	uint32_t cdw0, nsid, rsvd[2];
	uint64_t mptr, prp1, prp2;
	uint32_t cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
};

struct cqe {
	uint32_t dw0, dw1;
	uint16_t sq_head, sq_id, cid, status;
};

static struct sqe asq[QDEPTH] __attribute__((aligned(4096)));
static struct cqe acq[QDEPTH] __attribute__((aligned(4096)));

static uint32_t rd(struct nvme *n, unsigned int reg)
{
	return mmio_read32(n->regs + reg);
}

static void wr(struct nvme *n, unsigned int reg, uint32_t v)
{
	mmio_write32(n->regs + reg, v);
}

static void wr64(struct nvme *n, unsigned int reg, uint64_t v)
{
	wr(n, reg, (uint32_t)v);
	wr(n, reg + 4, v >> 32);
}

static int wait_ready(struct nvme *n, bool ready, uint64_t timeout_us)
{
	uint64_t deadline = deadline_after_us(timeout_us);

	while (!!(rd(n, NVME_CSTS) & CSTS_RDY) != ready) {
		if (rd(n, NVME_CSTS) & CSTS_CFS || rdtsc() > deadline)
			return -1;
		cpu_relax();
	}
	return 0;
}

int nvme_init(struct nvme *n, uint64_t bar0)
{
	uint64_t cap;
	uint64_t to_us;
	unsigned int i;

	*n = (struct nvme){ .regs = bar0, .phase = true };
	/*
	 * An empty completion queue: after a reset (guest.mode=fault) the old
	 * entries would pass for new ones, their phase bit matching the new
	 * phase.
	 */
	for (i = 0; i < QDEPTH; i++)
		acq[i].status = 0;
	barrier();
	cap = rd(n, NVME_CAP) | (uint64_t)rd(n, NVME_CAP + 4) << 32;
	n->dstrd = 4u << ((cap >> 32) & 0xf);
	to_us = ((cap >> 24) & 0xff) * 500000ULL + 10000000;	/* CAP.TO + margin */
	wr(n, NVME_CC, 0);
	if (wait_ready(n, false, to_us))
		return -1;
	wr(n, NVME_AQA, (QDEPTH - 1) << 16 | (QDEPTH - 1));
	wr64(n, NVME_ASQ, (uint64_t)asq);
	wr64(n, NVME_ACQ, (uint64_t)acq);
	wr(n, NVME_CC, CC_EN | CC_IOSQES | CC_IOCQES);
	return wait_ready(n, true, to_us);
}

void nvme_submit_get_features(struct nvme *n)
{
	struct sqe *s = &asq[n->sq_tail];

	*s = (struct sqe){ .cdw0 = OPC_GET_FEATURES | (uint32_t)n->cid++ << 16,
			   .cdw10 = FID_NUM_QUEUES };
	n->sq_tail = (n->sq_tail + 1) % QDEPTH;
	barrier();
	wr(n, NVME_DB, n->sq_tail);		/* admin SQ tail doorbell */
}

/* Wait for the next completion and consume it; 0, or -1 on timeout/error. */
int nvme_wait_completion(struct nvme *n, uint64_t timeout_us)
{
	uint64_t deadline = deadline_after_us(timeout_us);
	struct cqe *c = &acq[n->cq_head];

	while ((READ_ONCE(c->status) & 1) != n->phase) {
		if (rdtsc() > deadline)
			return -1;
		cpu_relax();
	}
	barrier();
	if (c->status >> 1)
		guest_fail("NVMe command %u failed: status %x\n", c->cid, c->status >> 1);
	n->cq_head = (n->cq_head + 1) % QDEPTH;
	if (!n->cq_head)
		n->phase = !n->phase;
	wr(n, NVME_DB + n->dstrd, n->cq_head);	/* admin CQ head doorbell */
	n->completions++;
	return 0;
}

uint32_t nvme_csts(struct nvme *n)
{
	return rd(n, NVME_CSTS);
}
