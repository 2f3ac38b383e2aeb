// SPDX-License-Identifier: GPL-2.0
/*
 * An NVMe driver for the kernel's VFIO selftest library (libvfio's
 * struct vfio_pci_driver_ops), so that vfio_pci_driver_test runs on NVMe
 * controllers such as the lab's SR-IOV VFs.  scripts/kvfio-build links it
 * into the library (selftests/kvfio/glue.c adds it to the driver probe).
 *
 * All of its state lives in the driver region the test maps for it
 * (driver.region, 2 MiB), one 4 KiB page per structure, then its
 * bookkeeping:
 *   the admin queue pair (completions on vector 0);
 *   I/O queue pair 1 for memcpy, its completion queue without interrupts
 *   (IEN clear): memcpy raises none, as the library requires;
 *   I/O queue pair 2 for send_msi(), its completion queue raising
 *   driver.msi, the device's last MSI-X vector (1 on the lab's VFs): a
 *   Flush on it is "a command that completes with an interrupt on a
 *   chosen vector";
 *   the Identify buffer and two PRP lists.
 *
 * DMA memcpy: NVMe has no memory-to-memory copy (its Copy command moves
 * blocks inside a namespace), so a copy is a Write of the source to the
 * first blocks of the controller's first active namespace followed, once it
 * completed, by a Read of those blocks to the destination: the device
 * DMA-reads [src, src + size) and DMA-writes [dst, dst + size), the two
 * guarantees the library's memcpy_start() gives.  Both commands must be
 * ordered (NVMe executes commands of a queue in any order), so
 * memcpy_start() submits the first Write and memcpy_wait() runs the chain
 * of @count copies, polling the completion queue.  A copy is at most one
 * command: max_memcpy_size is the controller's MDTS, the namespace's size
 * and one PRP list page (2 MiB), whichever is least.
 *
 * That overwrites the namespace's first blocks.  The lab gives each VF a
 * private, zeroed namespace; elsewhere the driver takes a controller only
 * when $VFPOST_NVME_SCRATCH=1 says its namespace holds nothing of value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/io.h>
#include <linux/pci_regs.h>

#include <libvfio.h>

#include "nvme_spec.h"

#define QDEPTH		16
#define CMD_TIMEOUT_MS	10000
#define MAX_COUNT	64	/* copies per memcpy_start(): bounded lab time */

/* Offsets in driver.region. */
#define OFF_ASQ		0x0000
#define OFF_ACQ		0x1000
#define OFF_CSQ		0x2000	/* memcpy queue pair, qid 1 */
#define OFF_CCQ		0x3000
#define OFF_MSQ		0x4000	/* send_msi queue pair, qid 2 */
#define OFF_MCQ		0x5000
#define OFF_ID		0x6000
#define OFF_PRP_SRC	0x7000
#define OFF_PRP_DST	0x8000
#define REGION_USED	0x9000	/* struct nvme_state follows */

#define QID_COPY	1
#define QID_MSI		2

struct nvme_q {
	uint16_t qid;
	uint16_t sq_tail, cq_head, cid;
	uint8_t phase;
	uint32_t sq_off, cq_off;
};

struct nvme_state {
	uint64_t cap;
	uint32_t dstrd, timeout_ms;
	uint32_t nsid, lba_shift;
	uint64_t ns_bytes;
	struct nvme_q admin, copy, msi;
	/* The memcpy under way. */
	iova_t src, dst;
	uint64_t size, left;
	bool reading;
	int error;
};

/* The driver's bookkeeping, in the region after the queues and lists. */
static struct nvme_state *state_of(struct vfio_pci_device *device)
{
	return (struct nvme_state *)((uint8_t *)device->driver.region.vaddr + REGION_USED);
}

static void *bar0(struct vfio_pci_device *device)
{
	return device->bars[0].vaddr;
}

static void *region_at(struct vfio_pci_device *device, uint32_t off)
{
	return (uint8_t *)device->driver.region.vaddr + off;
}

static iova_t iova_at(struct vfio_pci_device *device, uint32_t off)
{
	return device->driver.region.iova + off;
}

static void write_lo_hi(uint64_t val, void *reg)
{
	writel((uint32_t)val, reg);
	writel((uint32_t)(val >> 32), reg + 4);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

static int nvme_probe(struct vfio_pci_device *device)
{
	const char *scratch = getenv("VFPOST_NVME_SCRATCH");

	if (vfio_pci_config_readl(device, PCI_CLASS_REVISION) >> 8 != NVME_CLASS)
		return -EINVAL;
	if (!device->bars[0].vaddr) {
		dev_err(device, "nvme: BAR 0 is not mapped; not taking it\n");
		return -EINVAL;
	}
	if (device->msix_info.count < 2) {
		dev_err(device, "nvme: %u MSI-X vectors; the driver needs 2 (admin, send_msi)\n",
			device->msix_info.count);
		return -EINVAL;
	}
	if (!scratch || strcmp(scratch, "1")) {
		dev_err(device, "nvme: memcpy overwrites the first blocks of the controller's namespace; "
			"set VFPOST_NVME_SCRATCH=1 if it holds nothing of value\n");
		return -EPERM;
	}
	return 0;
}

static void wait_ready(struct vfio_pci_device *device, struct nvme_state *st,
		       bool ready)
{
	uint64_t end = now_ms() + st->timeout_ms;
	uint32_t csts;

	for (;;) {
		csts = readl(bar0(device) + NVME_REG_CSTS);
		VFIO_ASSERT_NE(csts, 0xffffffff, "nvme: CSTS reads all ones\n");
		VFIO_ASSERT_EQ(csts & NVME_CSTS_CFS, 0U, "nvme: controller fatal status\n");
		if (!!(csts & NVME_CSTS_RDY) == ready)
			return;
		VFIO_ASSERT_LT(now_ms(), end, "nvme: CSTS.RDY did not become %d\n", ready);
		usleep(1000);
	}
}

static void q_init(struct vfio_pci_device *device, struct nvme_q *q,
		   uint16_t qid, uint32_t sq_off, uint32_t cq_off)
{
	*q = (struct nvme_q){ .qid = qid, .phase = 1, .sq_off = sq_off, .cq_off = cq_off };
	memset(region_at(device, sq_off), 0, NVME_PAGE);
	memset(region_at(device, cq_off), 0, NVME_PAGE);
}

static void q_submit(struct vfio_pci_device *device, struct nvme_state *st,
		     struct nvme_q *q, struct nvme_sqe *cmd)
{
	struct nvme_sqe *sq = region_at(device, q->sq_off);

	cmd->cid = q->cid++;
	sq[q->sq_tail] = *cmd;
	q->sq_tail = (q->sq_tail + 1) % QDEPTH;
	__sync_synchronize();
	writel(q->sq_tail, bar0(device) + NVME_DOORBELLS + 2 * q->qid * st->dstrd);
}

/* The next completion on @q: its status field (0: success), or -1 on timeout. */
static int q_reap(struct vfio_pci_device *device, struct nvme_state *st,
		  struct nvme_q *q, uint32_t *result)
{
	volatile struct nvme_cqe *e = (struct nvme_cqe *)region_at(device, q->cq_off) +
				      q->cq_head;
	uint64_t end = now_ms() + CMD_TIMEOUT_MS;
	uint16_t status;

	while ((e->status & 1) != q->phase) {
		if (now_ms() > end) {
			dev_err(device, "nvme: no completion on queue %u in %d ms\n",
				q->qid, CMD_TIMEOUT_MS);
			return -1;
		}
		usleep(50);
	}
	__sync_synchronize();
	status = e->status >> 1;
	if (result)
		*result = e->result;
	q->cq_head = (q->cq_head + 1) % QDEPTH;
	if (!q->cq_head)
		q->phase ^= 1;
	writel(q->cq_head, bar0(device) + NVME_DOORBELLS + (2 * q->qid + 1) * st->dstrd);
	return status;
}

static void admin(struct vfio_pci_device *device, struct nvme_state *st,
		  struct nvme_sqe *cmd)
{
	int status;

	q_submit(device, st, &st->admin, cmd);
	status = q_reap(device, st, &st->admin, NULL);
	VFIO_ASSERT_EQ(status, 0, "nvme: admin opcode 0x%02x failed\n", cmd->opcode);
}

static void *identify(struct vfio_pci_device *device, struct nvme_state *st,
		      uint32_t cns, uint32_t nsid)
{
	struct nvme_sqe cmd = {
		.opcode = NVME_ADM_IDENTIFY,
		.nsid = nsid,
		.prp1 = iova_at(device, OFF_ID),
		.cdw10 = cns,
	};

	memset(region_at(device, OFF_ID), 0, NVME_PAGE);
	admin(device, st, &cmd);
	return region_at(device, OFF_ID);
}

static void create_pair(struct vfio_pci_device *device, struct nvme_state *st,
			struct nvme_q *q, uint16_t qid, uint32_t sq_off,
			uint32_t cq_off, bool irq, uint16_t vector)
{
	struct nvme_sqe cq = {
		.opcode = NVME_ADM_CREATE_CQ,
		.prp1 = iova_at(device, cq_off),
		.cdw10 = (QDEPTH - 1) << 16 | qid,
		.cdw11 = (irq ? (uint32_t)vector << 16 | NVME_CQ_IEN : 0) | NVME_CQ_PC,
	};
	struct nvme_sqe sq = {
		.opcode = NVME_ADM_CREATE_SQ,
		.prp1 = iova_at(device, sq_off),
		.cdw10 = (QDEPTH - 1) << 16 | qid,
		.cdw11 = (uint32_t)qid << 16 | NVME_SQ_PC,
	};

	q_init(device, q, qid, sq_off, cq_off);
	admin(device, st, &cq);
	admin(device, st, &sq);
}

static void namespace_find(struct vfio_pci_device *device, struct nvme_state *st)
{
	uint8_t *id;
	uint32_t lbaf;

	id = identify(device, st, NVME_ID_CNS_NS_ACTIVE, 0);
	memcpy(&st->nsid, id, sizeof(st->nsid));
	VFIO_ASSERT_NE(st->nsid, 0U,
		       "nvme: the controller has no active namespace to copy through\n");

	id = identify(device, st, NVME_ID_CNS_NS, st->nsid);
	memcpy(&st->ns_bytes, id + NVME_ID_NS_NSZE, sizeof(st->ns_bytes));
	memcpy(&lbaf, id + NVME_ID_NS_LBAF + 4 * (id[NVME_ID_NS_FLBAS] & 0xf), sizeof(lbaf));
	st->lba_shift = (lbaf >> 16) & 0xff;
	VFIO_ASSERT_GE(st->lba_shift, 9U, "nvme: namespace %u: LBA size 2^%u\n",
		       st->nsid, st->lba_shift);
	st->ns_bytes <<= st->lba_shift;
}

static void nvme_init(struct vfio_pci_device *device)
{
	struct nvme_state *st = state_of(device);
	struct vfio_pci_driver *driver = &device->driver;
	uint64_t max;
	uint8_t mdts;
	void *bar = bar0(device);

	VFIO_ASSERT_GE(driver->region.size, REGION_USED + sizeof(*st));
	memset(st, 0, sizeof(*st));

	vfio_pci_config_writew(device, PCI_COMMAND, PCI_COMMAND_MEMORY |
			       PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);

	/* 32-bit halves, as Linux's nvme driver: not every controller takes 64-bit ones. */
	st->cap = readl(bar + NVME_REG_CAP) | (uint64_t)readl(bar + NVME_REG_CAP + 4) << 32;
	st->dstrd = NVME_CAP_DSTRD_BYTES(st->cap);
	st->timeout_ms = NVME_CAP_TO_MS(st->cap) ?: 1000;

	writel(0, bar + NVME_REG_CC);
	wait_ready(device, st, false);

	/*
	 * Every vector up to driver.msi gets an eventfd before the controller
	 * runs: the admin queue's completions land on vector 0's, never on
	 * the one the test watches.
	 */
	driver->msi = device->msix_info.count - 1;
	vfio_pci_msix_enable(device, 0, driver->msi + 1);

	q_init(device, &st->admin, 0, OFF_ASQ, OFF_ACQ);
	writel((QDEPTH - 1) << 16 | (QDEPTH - 1), bar + NVME_REG_AQA);
	write_lo_hi(iova_at(device, OFF_ASQ), bar + NVME_REG_ASQ);
	write_lo_hi(iova_at(device, OFF_ACQ), bar + NVME_REG_ACQ);
	writel(NVME_CC_EN | NVME_CC_IOSQES | NVME_CC_IOCQES, bar + NVME_REG_CC);
	wait_ready(device, st, true);

	mdts = ((uint8_t *)identify(device, st, NVME_ID_CNS_CTRL, 0))[NVME_ID_CTRL_MDTS];
	namespace_find(device, st);

	create_pair(device, st, &st->copy, QID_COPY, OFF_CSQ, OFF_CCQ, false, 0);
	create_pair(device, st, &st->msi, QID_MSI, OFF_MSQ, OFF_MCQ, true, driver->msi);

	/* One PRP list page: PRP1 plus 512 entries. */
	max = (uint64_t)NVME_PAGE * (NVME_PAGE / 8);
	if (mdts && (uint64_t)NVME_PAGE << mdts < max)
		max = (uint64_t)NVME_PAGE << mdts;
	if (st->ns_bytes < max)
		max = st->ns_bytes & ~((uint64_t)NVME_PAGE - 1);
	VFIO_ASSERT_GE(max, (uint64_t)NVME_PAGE, "nvme: namespace %u is too small\n", st->nsid);
	driver->max_memcpy_size = max;
	driver->max_memcpy_count = MAX_COUNT;
}

static void nvme_remove(struct vfio_pci_device *device)
{
	struct nvme_state *st = state_of(device);

	writel(0, bar0(device) + NVME_REG_CC);
	wait_ready(device, st, false);
	vfio_pci_msix_disable(device);
}

/* PRP1 and PRP2 for [@iova, @iova + @size), with its list at @list_off. */
static void prps(struct vfio_pci_device *device, struct nvme_sqe *cmd,
		 iova_t iova, uint64_t size, uint32_t list_off)
{
	uint64_t *list = region_at(device, list_off);
	uint64_t pages = size / NVME_PAGE, i;

	cmd->prp1 = iova;
	if (pages <= 1)
		return;
	if (pages == 2) {
		cmd->prp2 = iova + NVME_PAGE;
		return;
	}
	for (i = 1; i < pages; i++)
		list[i - 1] = iova + i * NVME_PAGE;
	cmd->prp2 = iova_at(device, list_off);
}

static void submit_rw(struct vfio_pci_device *device, struct nvme_state *st)
{
	struct nvme_sqe cmd = {
		.opcode = st->reading ? NVME_IO_READ : NVME_IO_WRITE,
		.nsid = st->nsid,
		.cdw10 = 0,			/* starting LBA 0 */
		.cdw12 = (st->size >> st->lba_shift) - 1,
	};

	prps(device, &cmd, st->reading ? st->dst : st->src, st->size,
	     st->reading ? OFF_PRP_DST : OFF_PRP_SRC);
	q_submit(device, st, &st->copy, &cmd);
}

static void nvme_memcpy_start(struct vfio_pci_device *device, iova_t src,
			      iova_t dst, u64 size, u64 count)
{
	struct nvme_state *st = state_of(device);

	VFIO_ASSERT_EQ(src & (NVME_PAGE - 1), 0UL, "nvme: src 0x%lx is not page aligned\n", src);
	VFIO_ASSERT_EQ(dst & (NVME_PAGE - 1), 0UL, "nvme: dst 0x%lx is not page aligned\n", dst);
	VFIO_ASSERT_EQ(size & (NVME_PAGE - 1), 0UL, "nvme: size 0x%lx is not whole pages\n", size);
	VFIO_ASSERT_GT(size, 0UL);
	VFIO_ASSERT_GT(count, 0UL);

	st->src = src;
	st->dst = dst;
	st->size = size;
	st->left = count;
	st->reading = false;
	st->error = 0;
	submit_rw(device, st);
}

static int nvme_memcpy_wait(struct vfio_pci_device *device)
{
	struct nvme_state *st = state_of(device);
	int status;

	while (st->left) {
		status = q_reap(device, st, &st->copy, NULL);
		if (status) {
			/* An unmapped IOVA, say: the chain stops here. */
			if (status > 0)
				dev_err(device, "nvme: %s failed: status 0x%x\n",
					st->reading ? "Read" : "Write", status);
			st->error = -1;
			st->left = 0;
			break;
		}
		if (st->reading)
			st->left--;
		st->reading = !st->reading;
		if (st->left)
			submit_rw(device, st);
	}
	return st->error;
}

static void nvme_send_msi(struct vfio_pci_device *device)
{
	struct nvme_state *st = state_of(device);
	struct nvme_sqe cmd = { .opcode = NVME_IO_FLUSH, .nsid = st->nsid };

	q_submit(device, st, &st->msi, &cmd);
	VFIO_ASSERT_EQ(q_reap(device, st, &st->msi, NULL), 0, "nvme: Flush failed\n");
}

const struct vfio_pci_driver_ops nvme_ops = {
	.name = "nvme",
	.probe = nvme_probe,
	.init = nvme_init,
	.remove = nvme_remove,
	.memcpy_start = nvme_memcpy_start,
	.memcpy_wait = nvme_memcpy_wait,
	.send_msi = nvme_send_msi,
};
