// SPDX-License-Identifier: GPL-2.0
/* Device drivers for the fast-path suites; see vf_drv.h. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/pci_regs.h>

#include "lab.h"
#include "vf_drv.h"

/*
 * Every driver, first match wins.  The kernel's VFIO selftest library
 * drivers (ioat, dsa, igb, nv_falcon) would join here through an adapter
 * over vfio_dev (Documentation/testing.rst says what that takes).
 */
static const struct vf_drv_ops *const drivers[] = {
	&vf_drv_nvme_ops,
};

#define fail(drv, ret, fmt, ...) ({					\
	fprintf(stderr, "vf_drv %s: " fmt "\n", (drv)->dev->bdf, ##__VA_ARGS__); \
	(ret);								\
})

static int read_hex(const char *bdf, const char *attr, unsigned long *val)
{
	char path[PATH_MAX], buf[32], *end;
	int ret;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", bdf, attr);
	ret = lab_read_file(path, buf, sizeof(buf));
	if (ret)
		return ret;
	*val = strtoul(buf, &end, 16);
	return end == buf ? -EINVAL : 0;
}

int vf_drv_ids(const char *bdf, uint16_t *vendor, uint16_t *device, uint32_t *class)
{
	unsigned long v, d, c;
	int ret;

	ret = read_hex(bdf, "vendor", &v);
	if (!ret)
		ret = read_hex(bdf, "device", &d);
	if (!ret)
		ret = read_hex(bdf, "class", &c);
	if (ret)
		return ret;
	*vendor = v;
	*device = d;
	*class = c;
	return 0;
}

const struct vf_drv_ops *vf_drv_lookup(const char *bdf, char *why, size_t len)
{
	uint16_t vendor, device;
	uint32_t class;
	size_t i, n;
	int ret = vf_drv_ids(bdf, &vendor, &device, &class);

	if (ret) {
		if (why)
			snprintf(why, len, "%s: no vendor/device/class in sysfs (%s)",
				 bdf, strerror(-ret));
		return NULL;
	}
	for (i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++)
		if (drivers[i]->match(vendor, device, class))
			return drivers[i];
	if (why) {
		n = snprintf(why, len, "no selftest driver for %s (vendor:device %04x:%04x, class %06x); drivers:",
			     bdf, vendor, device, class);
		for (i = 0; i < sizeof(drivers) / sizeof(drivers[0]) && n < len; i++)
			n += snprintf(why + n, len - n, " %s", drivers[i]->name);
	}
	return NULL;
}

int vf_drv_probe(struct vf_drv *drv, struct vfio_dev *dev, char *why, size_t len)
{
	struct vfio_irq_info info;
	int ret;

	memset(drv, 0, sizeof(*drv));
	drv->dev = dev;
	drv->ops = vf_drv_lookup(dev->bdf, why, len);
	if (!drv->ops)
		return -ENODEV;
	ret = vf_drv_ids(dev->bdf, &drv->vendor, &drv->device, &drv->class);
	if (ret)
		return ret;
	ret = vfio_dev_irq_info(dev, VFIO_PCI_MSIX_IRQ_INDEX, &info);
	if (ret)
		return ret;
	drv->nvec = info.count < drv->ops->max_vectors ? info.count : drv->ops->max_vectors;
	if (!drv->nvec) {
		if (why)
			snprintf(why, len, "%s has no MSI-X vectors", dev->bdf);
		return -ENODEV;
	}
	return 0;
}

int vf_drv_init(struct vf_drv *drv)
{
	int ret = drv->ops->init(drv);

	if (ret)
		return ret;
	drv->live = true;
	drv->armed = 1;
	return 0;
}

int vf_drv_arm(struct vf_drv *drv, unsigned int vector)
{
	int ret;

	if (vector >= drv->nvec)
		return fail(drv, -EINVAL, "%s drives vectors 0..%u here, not %u",
			    drv->ops->name, drv->nvec - 1, vector);
	if (drv->armed & 1u << vector)
		return 0;
	ret = drv->ops->arm(drv, vector);
	if (!ret)
		drv->armed |= 1u << vector;
	return ret;
}

int vf_drv_raise(struct vf_drv *drv, unsigned int vector)
{
	if (vector >= drv->nvec || !(drv->armed & 1u << vector))
		return fail(drv, -EINVAL, "vector %u not armed (vf_drv_arm)", vector);
	return drv->ops->raise(drv, vector);
}

void vf_drv_remove(struct vf_drv *drv)
{
	if (!drv->live)
		return;
	drv->ops->remove(drv);
	drv->live = false;
	drv->armed = 0;
}

int vf_drv_pba_bit(struct vf_drv *drv, unsigned int vector)
{
	struct vfio_region_info ri;
	uint32_t pba, word;
	int cap = vfio_dev_find_cap(drv->dev, PCI_CAP_ID_MSIX);
	ssize_t r;
	int ret;

	if (cap <= 0)
		return fail(drv, -ENODEV, "no MSI-X capability");
	ret = vfio_dev_cfg_read(drv->dev, cap + PCI_MSIX_PBA, &pba, 4);
	if (ret)
		return ret;
	ret = vfio_dev_region_info(drv->dev, pba & PCI_MSIX_PBA_BIR, &ri);
	if (ret)
		return ret;
	r = pread(drv->dev->fd, &word, 4,
		  ri.offset + (pba & PCI_MSIX_PBA_OFFSET) + vector / 32 * 4);
	if (r != 4)
		return fail(drv, -EIO, "PBA read at BAR%u+0x%x: %m",
			    pba & PCI_MSIX_PBA_BIR, pba & PCI_MSIX_PBA_OFFSET);
	return !!(word & (1u << (vector % 32)));
}

struct nvme_drv *vf_drv_nvme(struct vf_drv *drv)
{
	return drv->ops == &vf_drv_nvme_ops ? &drv->u.nvme : NULL;
}
