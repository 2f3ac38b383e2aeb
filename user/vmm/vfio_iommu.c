// SPDX-License-Identifier: GPL-2.0
/*
 * The DMA side of the VFIO passthrough, shared by every assigned device of
 * the VM: one type1 container holding every device's IOMMU group, guest RAM
 * pinned and mapped into it once (IOVA = GPA), each group opened once
 * however many of its functions are assigned.  The container and a group
 * live as long as a device uses them; the last device closed closes the
 * container (which drops the mappings).
 *
 * Devices are opened by the main thread and may be closed by their service
 * thread (removal while the VM runs): the state is under one mutex.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "vfio_host.h"
#include "vfio_priv.h"

struct vfio_group_ref {
	int nr;			/* IOMMU group number */
	int fd;			/* /dev/vfio/<nr> */
	int users;		/* open devices of the group */
};

static struct {
	pthread_mutex_t lock;
	int container;		/* /dev/vfio/vfio, -1 */
	int iommu_type;		/* VFIO_TYPE1(v2)_IOMMU to set */
	bool iommu_set;
	bool ram_mapped;
	int nr_groups;
	struct vfio_group_ref group[VMM_MAX_VFIO];
} ctr = { .lock = PTHREAD_MUTEX_INITIALIZER, .container = -1 };

static int iommu_group_of(const char *bdf)
{
	char grp[32];

	vfio_sys_link_name(bdf, "iommu_group", grp, sizeof(grp));
	return grp[0] ? atoi(grp) : -1;
}

/* One line listing the devices of @group not bound to a VFIO driver. */
static void group_offenders(int group, char *out, size_t len)
{
	char path[64], drv[64];
	struct dirent *de;
	size_t used = 0;
	DIR *d;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/devices", group);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		vfio_sys_link_name(de->d_name, "driver", drv, sizeof(drv));
		if (!drv[0] || vfio_is_vfio_device(de->d_name, drv))
			continue;
		used += snprintf(out + used, len > used ? len - used : 0, "%s%s (%s)",
				 used ? ", " : "", de->d_name, drv);
	}
	closedir(d);
}

static int container_get(const char *bdf)
{
	int err;

	if (ctr.container >= 0)
		return 0;
	ctr.container = vfio_host->open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (ctr.container < 0) {
		err = errno;
		log_err("%s: cannot open /dev/vfio/vfio: %s (modprobe vfio-pci)", bdf,
			strerror(err));
		return -err;
	}
	if (vfio_host->ioctl(ctr.container, VFIO_GET_API_VERSION, NULL) != VFIO_API_VERSION) {
		log_err("%s: unsupported VFIO API version", bdf);
		return -EINVAL;
	}
	if (vfio_host->ioctl(ctr.container, VFIO_CHECK_EXTENSION,
			     VFIO_IOCTL_INT(VFIO_TYPE1v2_IOMMU)) > 0) {
		ctr.iommu_type = VFIO_TYPE1v2_IOMMU;
	} else if (vfio_host->ioctl(ctr.container, VFIO_CHECK_EXTENSION,
				    VFIO_IOCTL_INT(VFIO_TYPE1_IOMMU)) > 0) {
		ctr.iommu_type = VFIO_TYPE1_IOMMU;
	} else {
		log_err("%s: no VFIO type1 IOMMU backend (modprobe vfio_iommu_type1; is the IOMMU enabled?)",
			bdf);
		return -ENODEV;
	}
	return 0;
}

/* Close the container once no group uses it: its mappings go with it. */
static void container_put(void)
{
	if (ctr.nr_groups || ctr.container < 0)
		return;
	vfio_host->close(ctr.container);
	ctr.container = -1;
	ctr.iommu_set = false;
	ctr.ram_mapped = false;
}

static struct vfio_group_ref *group_find(int nr)
{
	int i;

	for (i = 0; i < ctr.nr_groups; i++)
		if (ctr.group[i].nr == nr)
			return &ctr.group[i];
	return NULL;
}

static void group_put(int nr)
{
	struct vfio_group_ref *g = group_find(nr);

	if (!g || --g->users)
		return;
	vfio_host->close(g->fd);
	*g = ctr.group[--ctr.nr_groups];
}

/* Open group @nr (once) and put it in the container. */
static int group_get(const char *bdf, int nr)
{
	struct vfio_group_status gs = { .argsz = sizeof(gs) };
	struct vfio_group_ref *g = group_find(nr);
	char path[64], who[512];
	int fd, err;

	if (g) {
		g->users++;
		return 0;
	}
	if (ctr.nr_groups == VMM_MAX_VFIO)
		return -ENOSPC;
	snprintf(path, sizeof(path), "/dev/vfio/%d", nr);
	fd = vfio_host->open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		log_err("%s: cannot open %s: %s%s", bdf, path, strerror(err),
			err == EBUSY ? " (the group is in use by another process)" :
			err == ENOENT ? " (bind the device to vfio-pci)" : "");
		return -err;
	}
	if (vfio_host->ioctl(fd, VFIO_GROUP_GET_STATUS, &gs)) {
		err = errno;
		log_err("%s: VFIO_GROUP_GET_STATUS: %s", bdf, strerror(err));
		goto fail;
	}
	if (!(gs.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		group_offenders(nr, who, sizeof(who));
		log_err("%s: IOMMU group %d is not viable: %s%sbind every device of /sys/kernel/iommu_groups/%d/devices to vfio-pci or unbind it",
			bdf, nr, who, who[0] ? " not bound to VFIO; " : "", nr);
		err = EPERM;
		goto fail;
	}
	if (vfio_host->ioctl(fd, VFIO_GROUP_SET_CONTAINER, &ctr.container)) {
		err = errno;
		log_err("%s: VFIO_GROUP_SET_CONTAINER: %s", bdf, strerror(err));
		goto fail;
	}
	/* The IOMMU model is set once, with the container's first group. */
	if (!ctr.iommu_set &&
	    vfio_host->ioctl(ctr.container, VFIO_SET_IOMMU, VFIO_IOCTL_INT(ctr.iommu_type))) {
		err = errno;
		log_err("%s: VFIO_SET_IOMMU: %s", bdf, strerror(err));
		goto fail;
	}
	ctr.iommu_set = true;
	ctr.group[ctr.nr_groups++] = (struct vfio_group_ref){ nr, fd, 1 };
	return 0;
fail:
	vfio_host->close(fd);	/* leaves the container with the group */
	return -err;
}

static int dma_map_one(void *opaque, uint64_t gpa, void *hva, uint64_t size)
{
	const char *bdf = opaque;
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)hva,
		.iova = gpa,
		.size = size,
	};

	if (vfio_host->ioctl(ctr.container, VFIO_IOMMU_MAP_DMA, &map)) {
		int err = errno;

		log_err("%s: DMA mapping of guest RAM 0x%llx+0x%llx failed: %s%s", bdf,
			(unsigned long long)gpa, (unsigned long long)size, strerror(err),
			err == ENOMEM ? " (raise the locked-memory limit: ulimit -l)" : "");
		return -err;
	}
	return 0;
}

int vfio_iommu_open_device(struct vfio_assigned *a)
{
	int nr, fd, ret, err;

	nr = iommu_group_of(a->bdf);
	if (nr < 0) {
		log_err("%s: no IOMMU group: enable the IOMMU (intel_iommu=on or amd_iommu=on)",
			a->bdf);
		return -ENODEV;
	}
	pthread_mutex_lock(&ctr.lock);
	ret = container_get(a->bdf);
	if (ret)
		goto out;
	ret = group_get(a->bdf, nr);
	if (ret)
		goto out;
	fd = vfio_host->ioctl(group_find(nr)->fd, VFIO_GROUP_GET_DEVICE_FD, a->bdf);
	if (fd < 0) {
		err = errno;
		log_err("%s: cannot open the VFIO device: %s%s", a->bdf, strerror(err),
			err == EBUSY ? " (already open, by another VMM?)" : "");
		ret = -err;
		goto put_group;
	}
	/* Guest RAM is pinned and mapped once, for every device. */
	if (!ctr.ram_mapped) {
		ret = vfio_host->for_each_ram(a->vm, dma_map_one, a->bdf);
		if (ret) {
			vfio_host->close(fd);
			goto put_group;
		}
		ctr.ram_mapped = true;
	}
	a->fd = fd;
	a->group = nr;
	goto out;
put_group:
	group_put(nr);
out:
	container_put();
	pthread_mutex_unlock(&ctr.lock);
	return ret;
}

void vfio_iommu_close_device(struct vfio_assigned *a)
{
	if (a->fd < 0)
		return;
	pthread_mutex_lock(&ctr.lock);
	vfio_host->close(a->fd);
	a->fd = -1;
	group_put(a->group);
	a->group = -1;
	container_put();
	pthread_mutex_unlock(&ctr.lock);
}
