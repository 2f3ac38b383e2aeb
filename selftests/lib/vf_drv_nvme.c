// SPDX-License-Identifier: GPL-2.0
/*
 * The NVMe driver behind vf_drv.h: nvme_drv.c's controller.  Vector 0 is
 * the admin completion queue's (a Get Features raises it); vector 1 is
 * I/O completion queue 1's (a Flush raises it), created when the vector
 * is armed: its two admin commands raise vector 0 twice.
 */
#include <errno.h>

#include "vf_drv.h"

/* Mass storage, non-volatile memory, NVM Express. */
#define NVME_CLASS	0x010802

static bool nvme_match(uint16_t vendor, uint16_t device, uint32_t class)
{
	return class == NVME_CLASS;
}

static int nvme_init(struct vf_drv *drv)
{
	int ret = nvme_drv_init(&drv->u.nvme, drv->dev);

	if (ret)
		return ret;
	ret = nvme_drv_enable(&drv->u.nvme);
	if (ret)
		nvme_drv_fini(&drv->u.nvme);
	return ret;
}

static int nvme_arm(struct vf_drv *drv, unsigned int vector)
{
	int ret = nvme_drv_create_io_cq(&drv->u.nvme, vector);

	return ret ? ret : nvme_drv_create_io_sq(&drv->u.nvme);
}

static int nvme_raise(struct vf_drv *drv, unsigned int vector)
{
	uint32_t res;

	/* Feature 0x07: Number of Queues, which every controller has. */
	return vector ? nvme_drv_flush(&drv->u.nvme) :
		nvme_drv_get_features(&drv->u.nvme, 0x07, &res);
}

static void nvme_remove(struct vf_drv *drv)
{
	nvme_drv_fini(&drv->u.nvme);
}

const struct vf_drv_ops vf_drv_nvme_ops = {
	.name = "nvme",
	.match = nvme_match,
	.max_vectors = 2,
	.guest_module = "nvme",
	.init = nvme_init,
	.arm = nvme_arm,
	.raise = nvme_raise,
	.remove = nvme_remove,
};
