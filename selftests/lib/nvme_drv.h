/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small userspace NVMe driver over VFIO, for tests that need real MSI-X
 * interrupts from the lab's NVMe VFs: BAR0 registers through mmap, the admin
 * queue pair and one I/O queue pair in a DMA-mapped buffer, commands
 * submitted and reaped by polling the completion queue in memory.  The
 * admin completion queue raises MSI-X vector 0; the I/O completion queue
 * raises the vector given at creation.  Interrupt delivery itself is the
 * caller's business (vfio_dev_irq_set_eventfds).
 *
 * Functions return 0 or a negative errno and print one line naming the
 * device on failure.
 */
#ifndef _SELFTESTS_NVME_DRV_H
#define _SELFTESTS_NVME_DRV_H

#include <stdbool.h>
#include <stdint.h>

#include "nvme_spec.h"
#include "vfio_dev.h"

#define NVME_QDEPTH	32

struct nvme_queue {
	uint16_t qid;
	struct nvme_sqe *sq;
	struct nvme_cqe *cq;
	uint64_t sq_iova, cq_iova;
	uint16_t sq_tail, cq_head, next_cid;
	uint8_t phase;
	unsigned int inflight;
};

struct nvme_drv {
	struct vfio_dev *dev;
	volatile uint8_t *bar;
	size_t bar_size;
	void *dma;		/* NVME_DMA_SIZE bytes at iova NVME_IOVA */
	uint32_t dstrd;		/* doorbell stride in bytes */
	uint32_t timeout_ms;	/* CAP.TO */
	struct nvme_queue admin, io;
	unsigned int pba_bar;	/* where the MSI-X PBA lives */
	uint64_t pba_offset;
};

/* Map BAR0 and the DMA buffer, enable memory and bus mastering. */
int nvme_drv_init(struct nvme_drv *n, struct vfio_dev *d);
/* Disable the controller and undo nvme_drv_init. */
void nvme_drv_fini(struct nvme_drv *n);

/* Reset and enable the controller with the admin queues (vector 0). */
int nvme_drv_enable(struct nvme_drv *n);
/*
 * Wait for CSTS.RDY to read @ready within the controller's CAP.TO: 0,
 * -ETIMEDOUT, or -EIO (all ones: the function does not answer; fatal
 * status).  A function reset clears CC.EN, so RDY drops after one.
 */
int nvme_drv_wait_ready(struct nvme_drv *n, bool ready);
/*
 * Create I/O CQ 1 (interrupts on @vector), then I/O SQ 1 on it.  Each is one
 * admin command raising vector 0.  Two separate calls so that a test
 * counting interrupts can take each one before causing the next: two MSIs
 * that reach a CPU before it accepts the first merge in its local APIC
 * (IRR has one bit per vector), which a counting test must not mistake
 * for a lost interrupt.
 */
int nvme_drv_create_io_cq(struct nvme_drv *n, uint16_t vector);
int nvme_drv_create_io_sq(struct nvme_drv *n);

/* Put a command on @q and ring its doorbell (cid is filled in). */
int nvme_drv_submit(struct nvme_drv *n, struct nvme_queue *q, struct nvme_sqe *cmd);
/*
 * Wait up to @timeout_ms for the next completion on @q, consume it and ring
 * the CQ head doorbell.  Returns 0 (status in *cqe), -ETIMEDOUT.
 */
int nvme_drv_reap(struct nvme_drv *n, struct nvme_queue *q, struct nvme_cqe *cqe,
		  int timeout_ms);
/* Submit + reap; a non-zero NVMe status is -EIO. */
int nvme_drv_exec(struct nvme_drv *n, struct nvme_queue *q, struct nvme_sqe *cmd,
		  uint32_t *result);

/* Admin Get Features (raises vector 0 on completion). */
int nvme_drv_get_features(struct nvme_drv *n, uint8_t fid, uint32_t *result);
/* Admin Identify Controller into the DMA buffer; copies @len bytes out. */
int nvme_drv_identify_ctrl(struct nvme_drv *n, void *out, size_t len);
/* I/O Flush of all attached namespaces on the I/O queue pair (raises its vector). */
int nvme_drv_flush(struct nvme_drv *n);

/* The device's MSI-X PBA bit for @vector, read through the VFIO BAR region. */
int nvme_drv_pba_bit(struct nvme_drv *n, unsigned int vector);

#endif /* _SELFTESTS_NVME_DRV_H */
