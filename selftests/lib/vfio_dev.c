// SPDX-License-Identifier: GPL-2.0
/* VFIO device helpers for selftests; see vfio_dev.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/pci_regs.h>

#include "lab.h"
#include "vfio_dev.h"

#define fail(d, fmt, ...) ({						\
	int __e = errno;						\
	fprintf(stderr, "vfio %s: " fmt ": %s\n", (d)->bdf,		\
		##__VA_ARGS__, strerror(__e));				\
	-__e;								\
})

int vfio_dev_open(struct vfio_dev *d, const char *bdf)
{
	struct vfio_group_status gs = { .argsz = sizeof(gs) };
	char path[64];
	int grp, ret;

	memset(d, 0, sizeof(*d));
	d->container = d->group = d->fd = -1;
	snprintf(d->bdf, sizeof(d->bdf), "%s", bdf);

	grp = lab_iommu_group(bdf);
	if (grp < 0) {
		errno = -grp;
		return fail(d, "no IOMMU group");
	}
	d->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (d->container < 0)
		return fail(d, "open /dev/vfio/vfio");
	if (ioctl(d->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION) {
		errno = EINVAL;
		ret = fail(d, "VFIO API version");
		goto err;
	}
	snprintf(path, sizeof(path), "/dev/vfio/%d", grp);
	d->group = open(path, O_RDWR | O_CLOEXEC);
	if (d->group < 0) {
		ret = fail(d, "open %s", path);
		goto err;
	}
	if (ioctl(d->group, VFIO_GROUP_GET_STATUS, &gs)) {
		ret = fail(d, "VFIO_GROUP_GET_STATUS");
		goto err;
	}
	if (!(gs.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		errno = EBUSY;
		ret = fail(d, "group %d not viable (bind all its devices to VFIO)", grp);
		goto err;
	}
	if (ioctl(d->group, VFIO_GROUP_SET_CONTAINER, &d->container)) {
		ret = fail(d, "VFIO_GROUP_SET_CONTAINER");
		goto err;
	}
	if (ioctl(d->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU)) {
		ret = fail(d, "VFIO_SET_IOMMU type1v2");
		goto err;
	}
	d->fd = ioctl(d->group, VFIO_GROUP_GET_DEVICE_FD, d->bdf);
	if (d->fd < 0) {
		ret = fail(d, "VFIO_GROUP_GET_DEVICE_FD");
		goto err;
	}
	d->info.argsz = sizeof(d->info);
	if (ioctl(d->fd, VFIO_DEVICE_GET_INFO, &d->info)) {
		ret = fail(d, "VFIO_DEVICE_GET_INFO");
		goto err;
	}
	ret = vfio_dev_region_info(d, VFIO_PCI_CONFIG_REGION_INDEX, &d->cfg);
	if (ret)
		goto err;
	return 0;
err:
	vfio_dev_close(d);
	return ret;
}

void vfio_dev_close(struct vfio_dev *d)
{
	if (d->fd >= 0)
		close(d->fd);
	if (d->group >= 0)
		close(d->group);
	if (d->container >= 0)
		close(d->container);
	d->fd = d->group = d->container = -1;
}

int vfio_dev_region_info(struct vfio_dev *d, unsigned int index,
			 struct vfio_region_info *ri)
{
	memset(ri, 0, sizeof(*ri));
	ri->argsz = sizeof(*ri);
	ri->index = index;
	if (ioctl(d->fd, VFIO_DEVICE_GET_REGION_INFO, ri))
		return fail(d, "VFIO_DEVICE_GET_REGION_INFO %u", index);
	return 0;
}

int vfio_dev_cfg_read(struct vfio_dev *d, unsigned int off, void *buf, size_t len)
{
	ssize_t n = pread(d->fd, buf, len, d->cfg.offset + off);

	if (n < 0)
		return fail(d, "config read at 0x%x", off);
	return (size_t)n == len ? 0 : -EIO;
}

int vfio_dev_cfg_write(struct vfio_dev *d, unsigned int off, const void *buf, size_t len)
{
	ssize_t n = pwrite(d->fd, buf, len, d->cfg.offset + off);

	if (n < 0)
		return fail(d, "config write at 0x%x", off);
	return (size_t)n == len ? 0 : -EIO;
}

int vfio_dev_find_cap(struct vfio_dev *d, uint8_t id)
{
	uint8_t pos, hdr[2];
	uint16_t status;
	int guard = 48;

	if (vfio_dev_cfg_read(d, PCI_STATUS, &status, 2) ||
	    !(status & PCI_STATUS_CAP_LIST))
		return 0;
	if (vfio_dev_cfg_read(d, PCI_CAPABILITY_LIST, &pos, 1))
		return 0;
	while (pos >= 0x40 && guard--) {
		pos &= ~3;
		if (vfio_dev_cfg_read(d, pos, hdr, 2))
			return 0;
		if (hdr[0] == id)
			return pos;
		pos = hdr[1];
	}
	return 0;
}

int vfio_dev_bar_map(struct vfio_dev *d, unsigned int bar, void **ptr, size_t *size)
{
	struct vfio_region_info ri;
	void *p;
	int ret = vfio_dev_region_info(d, bar, &ri);

	if (ret)
		return ret;
	if (!(ri.flags & VFIO_REGION_INFO_FLAG_MMAP) || !ri.size) {
		errno = EINVAL;
		return fail(d, "BAR%u is not mmap-able", bar);
	}
	p = mmap(NULL, ri.size, PROT_READ | PROT_WRITE, MAP_SHARED, d->fd, ri.offset);
	if (p == MAP_FAILED)
		return fail(d, "mmap BAR%u", bar);
	*ptr = p;
	*size = ri.size;
	return 0;
}

void vfio_dev_bar_unmap(void *ptr, size_t size)
{
	munmap(ptr, size);
}

int vfio_dev_dma_map(struct vfio_dev *d, void *vaddr, uint64_t iova, size_t size)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)vaddr,
		.iova = iova,
		.size = size,
	};

	if (ioctl(d->container, VFIO_IOMMU_MAP_DMA, &m))
		return fail(d, "DMA map iova 0x%llx", (unsigned long long)iova);
	return 0;
}

int vfio_dev_dma_unmap(struct vfio_dev *d, uint64_t iova, size_t size)
{
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof(u), .iova = iova, .size = size,
	};

	if (ioctl(d->container, VFIO_IOMMU_UNMAP_DMA, &u))
		return fail(d, "DMA unmap iova 0x%llx", (unsigned long long)iova);
	return 0;
}

int vfio_dev_irq_info(struct vfio_dev *d, unsigned int index, struct vfio_irq_info *info)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	info->index = index;
	if (ioctl(d->fd, VFIO_DEVICE_GET_IRQ_INFO, info))
		return fail(d, "VFIO_DEVICE_GET_IRQ_INFO %u", index);
	return 0;
}

int vfio_dev_irq_set_eventfds(struct vfio_dev *d, unsigned int index,
			      unsigned int start, unsigned int count, const int *fds)
{
	size_t sz = sizeof(struct vfio_irq_set) + count * sizeof(int);
	struct vfio_irq_set *s = calloc(1, sz);
	int ret = 0;

	if (!s)
		return -ENOMEM;
	s->argsz = sz;
	s->flags = (count ? VFIO_IRQ_SET_DATA_EVENTFD : VFIO_IRQ_SET_DATA_NONE) |
		   VFIO_IRQ_SET_ACTION_TRIGGER;
	s->index = index;
	s->start = start;
	s->count = count;
	if (count)
		memcpy(s->data, fds, count * sizeof(int));
	if (ioctl(d->fd, VFIO_DEVICE_SET_IRQS, s))
		ret = fail(d, "SET_IRQS index %u [%u,+%u)", index, start, count);
	free(s);
	return ret;
}

int vfio_dev_irq_action(struct vfio_dev *d, unsigned int index, uint32_t action,
			unsigned int start, unsigned int count)
{
	struct vfio_irq_set s = {
		.argsz = sizeof(s),
		.flags = VFIO_IRQ_SET_DATA_NONE | action,
		.index = index,
		.start = start,
		.count = count,
	};

	if (ioctl(d->fd, VFIO_DEVICE_SET_IRQS, &s))
		return fail(d, "SET_IRQS action 0x%x index %u [%u,+%u)",
			    action, index, start, count);
	return 0;
}
