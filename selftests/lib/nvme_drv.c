// SPDX-License-Identifier: GPL-2.0
/* A small userspace NVMe driver over VFIO; see nvme_drv.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/pci_regs.h>

#include "nvme_drv.h"

/* One DMA buffer, page per structure. */
#define NVME_IOVA	0x10000000ull
#define NVME_DMA_SIZE	0x10000
#define OFF_ASQ		0x0000
#define OFF_ACQ		0x1000
#define OFF_IOSQ	0x2000
#define OFF_IOCQ	0x3000
#define OFF_DATA	0x4000

#define CMD_TIMEOUT_MS	10000

#define fail(n, ret, fmt, ...) ({					\
	fprintf(stderr, "nvme %s: " fmt "\n", (n)->dev->bdf, ##__VA_ARGS__); \
	(ret);								\
})

static uint32_t rd32(struct nvme_drv *n, uint32_t off)
{
	return *(volatile uint32_t *)(n->bar + off);
}

static void wr32(struct nvme_drv *n, uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)(n->bar + off) = v;
}

static void wr64(struct nvme_drv *n, uint32_t off, uint64_t v)
{
	wr32(n, off, (uint32_t)v);
	wr32(n, off + 4, (uint32_t)(v >> 32));
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

int nvme_drv_wait_ready(struct nvme_drv *n, bool ready)
{
	uint64_t end = now_ms() + n->timeout_ms;
	uint32_t csts;

	for (;;) {
		csts = rd32(n, NVME_REG_CSTS);
		if (csts == 0xffffffff)
			return fail(n, -EIO, "CSTS reads all ones (device gone?)");
		if (csts & NVME_CSTS_CFS)
			return fail(n, -EIO, "controller fatal status");
		if (!!(csts & NVME_CSTS_RDY) == ready)
			return 0;
		if (now_ms() > end)
			return fail(n, -ETIMEDOUT, "CSTS.RDY did not become %d", ready);
		usleep(1000);
	}
}

static int msix_pba_locate(struct nvme_drv *n)
{
	uint32_t pba;
	int cap = vfio_dev_find_cap(n->dev, PCI_CAP_ID_MSIX);

	if (cap <= 0)
		return fail(n, -ENODEV, "no MSI-X capability");
	if (vfio_dev_cfg_read(n->dev, cap + PCI_MSIX_PBA, &pba, 4))
		return -EIO;
	n->pba_bar = pba & PCI_MSIX_PBA_BIR;
	n->pba_offset = pba & PCI_MSIX_PBA_OFFSET;
	return 0;
}

int nvme_drv_init(struct nvme_drv *n, struct vfio_dev *d)
{
	void *bar;
	uint64_t cap;
	uint16_t cmd;
	int ret;

	memset(n, 0, sizeof(*n));
	n->dev = d;
	ret = vfio_dev_bar_map(d, 0, &bar, &n->bar_size);
	if (ret)
		return ret;
	n->bar = bar;
	n->dma = mmap(NULL, NVME_DMA_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (n->dma == MAP_FAILED) {
		ret = fail(n, -errno, "mmap DMA buffer: %m");
		n->dma = NULL;
		goto err;
	}
	memset(n->dma, 0, NVME_DMA_SIZE);
	ret = vfio_dev_dma_map(d, n->dma, NVME_IOVA, NVME_DMA_SIZE);
	if (ret)
		goto err;
	ret = vfio_dev_cfg_read(d, PCI_COMMAND, &cmd, 2);
	if (ret)
		goto err_unmap;
	cmd |= PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	ret = vfio_dev_cfg_write(d, PCI_COMMAND, &cmd, 2);
	if (ret)
		goto err_unmap;
	ret = msix_pba_locate(n);
	if (ret)
		goto err_unmap;
	cap = rd32(n, NVME_REG_CAP) | (uint64_t)rd32(n, NVME_REG_CAP + 4) << 32;
	n->dstrd = NVME_CAP_DSTRD_BYTES(cap);
	n->timeout_ms = NVME_CAP_TO_MS(cap);
	if (n->timeout_ms < 1000)
		n->timeout_ms = 1000;
	return 0;

err_unmap:
	vfio_dev_dma_unmap(d, NVME_IOVA, NVME_DMA_SIZE);
err:
	if (n->dma)
		munmap(n->dma, NVME_DMA_SIZE);
	vfio_dev_bar_unmap((void *)n->bar, n->bar_size);
	n->bar = NULL;
	n->dma = NULL;
	return ret;
}

void nvme_drv_fini(struct nvme_drv *n)
{
	if (!n->bar)
		return;
	wr32(n, NVME_REG_CC, 0);
	nvme_drv_wait_ready(n, false);
	vfio_dev_dma_unmap(n->dev, NVME_IOVA, NVME_DMA_SIZE);
	munmap(n->dma, NVME_DMA_SIZE);
	vfio_dev_bar_unmap((void *)n->bar, n->bar_size);
	n->bar = NULL;
	n->dma = NULL;
}

static void queue_init(struct nvme_drv *n, struct nvme_queue *q, uint16_t qid,
		       uint32_t sq_off, uint32_t cq_off)
{
	memset(q, 0, sizeof(*q));
	q->qid = qid;
	q->sq = (struct nvme_sqe *)((uint8_t *)n->dma + sq_off);
	q->cq = (struct nvme_cqe *)((uint8_t *)n->dma + cq_off);
	q->sq_iova = NVME_IOVA + sq_off;
	q->cq_iova = NVME_IOVA + cq_off;
	q->phase = 1;
	memset(q->sq, 0, 4096);
	memset(q->cq, 0, 4096);
}

int nvme_drv_enable(struct nvme_drv *n)
{
	int ret;

	wr32(n, NVME_REG_CC, 0);
	ret = nvme_drv_wait_ready(n, false);
	if (ret)
		return ret;
	queue_init(n, &n->admin, 0, OFF_ASQ, OFF_ACQ);
	wr32(n, NVME_REG_AQA, (NVME_QDEPTH - 1) << 16 | (NVME_QDEPTH - 1));
	wr64(n, NVME_REG_ASQ, n->admin.sq_iova);
	wr64(n, NVME_REG_ACQ, n->admin.cq_iova);
	wr32(n, NVME_REG_CC, NVME_CC_EN | NVME_CC_IOSQES | NVME_CC_IOCQES);
	return nvme_drv_wait_ready(n, true);
}

int nvme_drv_submit(struct nvme_drv *n, struct nvme_queue *q, struct nvme_sqe *cmd)
{
	if (q->inflight >= NVME_QDEPTH - 1)
		return fail(n, -EBUSY, "queue %u full", q->qid);
	cmd->cid = q->next_cid++;
	q->sq[q->sq_tail] = *cmd;
	q->sq_tail = (q->sq_tail + 1) % NVME_QDEPTH;
	q->inflight++;
	__sync_synchronize();
	wr32(n, NVME_DOORBELLS + 2 * q->qid * n->dstrd, q->sq_tail);
	return 0;
}

int nvme_drv_reap(struct nvme_drv *n, struct nvme_queue *q, struct nvme_cqe *cqe,
		  int timeout_ms)
{
	volatile struct nvme_cqe *e = &q->cq[q->cq_head];
	uint64_t end = now_ms() + timeout_ms;

	while ((e->status & 1) != q->phase) {
		if (now_ms() > end)
			return -ETIMEDOUT;
		usleep(100);
	}
	__sync_synchronize();
	*cqe = *(struct nvme_cqe *)e;
	q->cq_head = (q->cq_head + 1) % NVME_QDEPTH;
	if (!q->cq_head)
		q->phase ^= 1;
	q->inflight--;
	wr32(n, NVME_DOORBELLS + (2 * q->qid + 1) * n->dstrd, q->cq_head);
	return 0;
}

int nvme_drv_exec(struct nvme_drv *n, struct nvme_queue *q, struct nvme_sqe *cmd,
		  uint32_t *result)
{
	struct nvme_cqe cqe;
	int ret = nvme_drv_submit(n, q, cmd);

	if (ret)
		return ret;
	ret = nvme_drv_reap(n, q, &cqe, CMD_TIMEOUT_MS);
	if (ret)
		return fail(n, ret, "opcode 0x%02x on queue %u: no completion",
			    cmd->opcode, q->qid);
	if (cqe.status >> 1)
		return fail(n, -EIO, "opcode 0x%02x on queue %u: status 0x%x",
			    cmd->opcode, q->qid, cqe.status >> 1);
	if (result)
		*result = cqe.result;
	return 0;
}

int nvme_drv_create_io_cq(struct nvme_drv *n, uint16_t vector)
{
	struct nvme_sqe cq = {
		.opcode = NVME_ADM_CREATE_CQ,
		.cdw10 = (NVME_QDEPTH - 1) << 16 | 1,
		.cdw11 = (uint32_t)vector << 16 | NVME_CQ_IEN | NVME_CQ_PC,
	};

	queue_init(n, &n->io, 1, OFF_IOSQ, OFF_IOCQ);
	cq.prp1 = n->io.cq_iova;
	return nvme_drv_exec(n, &n->admin, &cq, NULL);
}

int nvme_drv_create_io_sq(struct nvme_drv *n)
{
	struct nvme_sqe sq = {
		.opcode = NVME_ADM_CREATE_SQ,
		.cdw10 = (NVME_QDEPTH - 1) << 16 | 1,
		.cdw11 = 1 << 16 | 1,				/* CQID 1, PC */
		.prp1 = n->io.sq_iova,
	};

	if (!n->io.sq)
		return fail(n, -EINVAL, "no I/O CQ (nvme_drv_create_io_cq)");
	return nvme_drv_exec(n, &n->admin, &sq, NULL);
}

int nvme_drv_get_features(struct nvme_drv *n, uint8_t fid, uint32_t *result)
{
	struct nvme_sqe cmd = { .opcode = NVME_ADM_GET_FEATURES, .cdw10 = fid };

	return nvme_drv_exec(n, &n->admin, &cmd, result);
}

int nvme_drv_identify_ctrl(struct nvme_drv *n, void *out, size_t len)
{
	struct nvme_sqe cmd = {
		.opcode = NVME_ADM_IDENTIFY,
		.prp1 = NVME_IOVA + OFF_DATA,
		.cdw10 = NVME_ID_CNS_CTRL,
	};
	int ret = nvme_drv_exec(n, &n->admin, &cmd, NULL);

	if (!ret)
		memcpy(out, (uint8_t *)n->dma + OFF_DATA, len < 4096 ? len : 4096);
	return ret;
}

int nvme_drv_flush(struct nvme_drv *n)
{
	/*
	 * All attached namespaces: a lab VF sees only its private one, whose
	 * nsid depends on the VF (scripts/lab-vfs).  QEMU's VWC field says
	 * broadcast flush is supported.
	 */
	struct nvme_sqe cmd = { .opcode = NVME_IO_FLUSH, .nsid = 0xffffffff };

	if (!n->io.sq)
		return fail(n, -EINVAL, "no I/O queues (nvme_drv_create_io_queues)");
	return nvme_drv_exec(n, &n->io, &cmd, NULL);
}

int nvme_drv_pba_bit(struct nvme_drv *n, unsigned int vector)
{
	struct vfio_region_info ri;
	uint32_t word;
	ssize_t r;
	int ret = vfio_dev_region_info(n->dev, n->pba_bar, &ri);

	if (ret)
		return ret;
	r = pread(n->dev->fd, &word, 4, ri.offset + n->pba_offset + vector / 32 * 4);
	if (r != 4)
		return fail(n, -EIO, "PBA read at BAR%u+0x%llx: %m", n->pba_bar,
			    (unsigned long long)n->pba_offset);
	return !!(word & (1u << (vector % 32)));
}
