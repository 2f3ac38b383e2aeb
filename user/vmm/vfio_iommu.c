// SPDX-License-Identifier: GPL-2.0
/*
 * The DMA side of the VFIO passthrough, shared by every assigned device of
 * the VM, with one of two backends chosen with the first device:
 *
 *  container: one type1 container (/dev/vfio/vfio) holding every device's
 *             IOMMU group, each group opened once however many of its
 *             functions are assigned; devices come from their group
 *             (VFIO_GROUP_GET_DEVICE_FD).
 *  iommufd:   /dev/iommu with one IOAS; each device is opened through its
 *             cdev (/dev/vfio/devices/vfioN, from sysfs vfio-dev/),
 *             bound to the iommufd (VFIO_DEVICE_BIND_IOMMUFD) and attached
 *             to the IOAS (VFIO_DEVICE_ATTACH_IOMMUFD_PT).
 *
 * Either way guest RAM is pinned and mapped once (IOVA = GPA), after every
 * device is open and reset (vfio_iommu_map_ram()).  Everything lives as
 * long as a device uses it; the last device closed closes the container or
 * the iommufd (which drops the mappings).
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
#include "vfio_cdev_abi.h"
#include "vfio_host.h"
#include "vfio_priv.h"

struct vfio_group_ref {
	int nr;			/* IOMMU group number */
	int fd;			/* /dev/vfio/<nr> */
	int users;		/* open devices of the group */
};

static struct {
	pthread_mutex_t lock;
	enum vfio_backend backend;	/* chosen with the first device */
	int users;		/* open devices */
	int iommufd;		/* /dev/iommu, -1 */
	uint32_t ioas;
	int container;		/* /dev/vfio/vfio, -1 */
	int iommu_type;		/* VFIO_TYPE1(v2)_IOMMU to set */
	bool iommu_set;
	bool ram_mapped;
	int nr_groups;
	struct vfio_group_ref group[VMM_MAX_VFIO];
} ctr = { .lock = PTHREAD_MUTEX_INITIALIZER, .iommufd = -1, .container = -1 };

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

#define VMM_MAX_IOVA_RANGES 8

/* The type1 container's usable IOVA ranges (inclusive); count, 0 if unknown. */
static int iova_ranges_type1(struct iommu_iova_range *r, int max)
{
	struct vfio_iommu_type1_info *info = NULL;
	struct vfio_iommu_type1_info_cap_iova_range *cap;
	struct vfio_info_cap_header *hdr;
	uint32_t len = sizeof(*info), off, i;
	int n = 0, tries;

	for (tries = 0; tries < 2; tries++) {
		free(info);
		info = calloc(1, len);
		if (!info)
			return 0;
		info->argsz = len;
		if (vfio_host->ioctl(ctr.container, VFIO_IOMMU_GET_INFO, info))
			goto out;
		if (info->argsz <= len)
			break;
		len = info->argsz;
	}
	if (tries == 2 || !(info->flags & VFIO_IOMMU_INFO_CAPS))
		goto out;
	/* The chain is the kernel's; still, every step stays inside the buffer. */
	for (off = info->cap_offset; off >= sizeof(*info) && off + sizeof(*hdr) <= len;
	     off = hdr->next > off ? hdr->next : 0) {
		hdr = (void *)((char *)info + off);
		if (hdr->id != VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE ||
		    off + sizeof(*cap) > len)
			continue;
		cap = (void *)hdr;
		for (i = 0; i < cap->nr_iovas && n < max &&
		     off + sizeof(*cap) + (i + 1) * sizeof(cap->iova_ranges[0]) <= len; i++)
			r[n++] = (struct iommu_iova_range){ cap->iova_ranges[i].start,
							    cap->iova_ranges[i].end };
		break;
	}
out:
	free(info);
	return n;
}

/* The IOAS's usable IOVA ranges (inclusive); count, 0 if unknown. */
static int iova_ranges_ioas(struct iommu_iova_range *r, int max)
{
	struct iommu_ioas_iova_ranges q = {
		.size = sizeof(q),
		.ioas_id = ctr.ioas,
		.num_iovas = max,
		.allowed_iovas = (uintptr_t)r,
	};

	if (vfio_host->ioctl(ctr.iommufd, IOMMU_IOAS_IOVA_RANGES, &q) && errno != EMSGSIZE)
		return 0;
	return q.num_iovas < (uint32_t)max ? (int)q.num_iovas : max;
}

/*
 * After a failed mapping: if guest RAM [@gpa, @gpa + @size) is not inside
 * one of the IOVA ranges the host IOMMU allows (a 39-bit VT-d, AMD's
 * reserved window below 1 TiB, an MSI window), say so with the ranges.
 */
static bool report_iova_outside(const char *bdf, uint64_t gpa, uint64_t size)
{
	struct iommu_iova_range r[VMM_MAX_IOVA_RANGES];
	char list[VMM_MAX_IOVA_RANGES * 40];
	size_t used = 0;
	int n, i;

	n = ctr.backend == VFIO_BACKEND_IOMMUFD ? iova_ranges_ioas(r, VMM_MAX_IOVA_RANGES) :
						  iova_ranges_type1(r, VMM_MAX_IOVA_RANGES);
	for (i = 0; i < n; i++)
		if (gpa >= r[i].start && gpa + size - 1 <= r[i].last)
			return false;
	if (!n)
		return false;
	for (i = 0; i < n; i++)
		used += snprintf(list + used, sizeof(list) - used, "%s0x%llx-0x%llx",
				 i ? ", " : "", (unsigned long long)r[i].start,
				 (unsigned long long)r[i].last);
	log_err("%s: guest RAM 0x%llx-0x%llx is outside the IOVA ranges the host IOMMU allows (%s): give less --mem",
		bdf, (unsigned long long)gpa, (unsigned long long)(gpa + size - 1), list);
	return true;
}

/* Issue one DMA mapping ioctl (@req on @fd); one line on failure. */
static int map_ram(const char *bdf, int fd, unsigned long req, void *arg, uint64_t gpa,
		   uint64_t size)
{
	int err;

	if (!vfio_host->ioctl(fd, req, arg))
		return 0;
	err = errno;
	if (report_iova_outside(bdf, gpa, size))
		return -err;
	log_err("%s: DMA mapping of guest RAM 0x%llx+0x%llx failed: %s%s", bdf,
		(unsigned long long)gpa, (unsigned long long)size, strerror(err),
		err == ENOMEM ? " (raise the locked-memory limit: ulimit -l)" : "");
	return -err;
}

static int dma_map_type1(void *opaque, uint64_t gpa, void *hva, uint64_t size)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)hva,
		.iova = gpa,
		.size = size,
	};

	return map_ram(opaque, ctr.container, VFIO_IOMMU_MAP_DMA, &map, gpa, size);
}

static int dma_map_ioas(void *opaque, uint64_t gpa, void *hva, uint64_t size)
{
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = ctr.ioas,
		.user_va = (uintptr_t)hva,
		.length = size,
		.iova = gpa,
	};

	return map_ram(opaque, ctr.iommufd, IOMMU_IOAS_MAP, &map, gpa, size);
}

/* Container backend: the device through its group; see above. */
static int container_open_device(struct vfio_assigned *a)
{
	int nr, fd, ret, err;

	nr = iommu_group_of(a->bdf);
	if (nr < 0) {
		log_err("%s: no IOMMU group: enable the IOMMU (intel_iommu=on or amd_iommu=on)",
			a->bdf);
		return -ENODEV;
	}
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
	a->fd = fd;
	a->group = nr;
	goto out;
put_group:
	group_put(nr);
out:
	container_put();
	return ret;
}

static void iommufd_put(void)
{
	if (ctr.users || ctr.iommufd < 0)
		return;
	vfio_host->close(ctr.iommufd);	/* the IOAS and its mappings go with it */
	ctr.iommufd = -1;
	ctr.ram_mapped = false;
}

static int iommufd_get(const char *bdf)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	int err;

	if (ctr.iommufd >= 0)
		return 0;
	ctr.iommufd = vfio_host->open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (ctr.iommufd < 0) {
		err = errno;
		log_err("%s: cannot open /dev/iommu: %s%s", bdf, strerror(err),
			err == ENOENT ? " (no IOMMUFD in this kernel: use --vfio-backend container)" :
			"");
		return -err;
	}
	if (vfio_host->ioctl(ctr.iommufd, IOMMU_IOAS_ALLOC, &alloc)) {
		err = errno;
		log_err("%s: IOMMU_IOAS_ALLOC: %s", bdf, strerror(err));
		vfio_host->close(ctr.iommufd);
		ctr.iommufd = -1;
		return -err;
	}
	ctr.ioas = alloc.out_ioas_id;
	return 0;
}

/* Name of @bdf's VFIO device cdev ("vfioN") into @out; 0 or -errno. */
static int device_cdev(const char *bdf, char *out, size_t len)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vfio-dev", bdf);
	return vfio_host->dir_first(path, "vfio", out, len);
}

/*
 * Why a VFIO_DEVICE_BIND_IOMMUFD failed, in one line: EBUSY when another
 * device of the IOMMU group has a host driver (non-ACS ports,
 * multifunction devices) or the group is a VFIO group opened elsewhere;
 * EPERM when the IOMMU cannot remap MSIs.
 */
static void bind_error(const char *bdf, int err)
{
	char who[512] = "";
	int group = iommu_group_of(bdf);

	if (err == EBUSY && group >= 0)
		group_offenders(group, who, sizeof(who));
	if (who[0])
		log_err("%s: VFIO_DEVICE_BIND_IOMMUFD: %s: IOMMU group %d has devices with host drivers: %s; bind every device of /sys/kernel/iommu_groups/%d/devices to vfio-pci or unbind it",
			bdf, strerror(err), group, who, group);
	else if (err == EBUSY)
		log_err("%s: VFIO_DEVICE_BIND_IOMMUFD: %s (its IOMMU group is in use elsewhere: another VMM, or its /dev/vfio group file open)",
			bdf, strerror(err));
	else if (err == EPERM)
		log_err("%s: VFIO_DEVICE_BIND_IOMMUFD: %s (the IOMMU cannot remap interrupts: enable interrupt remapping, or accept the risk with iommufd.allow_unsafe_interrupts=1)",
			bdf, strerror(err));
	else
		log_err("%s: VFIO_DEVICE_BIND_IOMMUFD: %s", bdf, strerror(err));
}

/* iommufd backend: the device through its cdev; see above. */
static int iommufd_open_device(struct vfio_assigned *a)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct vfio_device_attach_iommufd_pt attach = { .argsz = sizeof(attach) };
	char name[32], path[64];
	int fd, ret, err;

	ret = device_cdev(a->bdf, name, sizeof(name));
	if (ret) {
		log_err("%s: no VFIO device cdev (/sys/bus/pci/devices/%s/vfio-dev): the kernel lacks CONFIG_VFIO_DEVICE_CDEV; use --vfio-backend container",
			a->bdf, a->bdf);
		return ret;
	}
	ret = iommufd_get(a->bdf);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "/dev/vfio/devices/%s", name);
	fd = vfio_host->open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		log_err("%s: cannot open %s: %s%s", a->bdf, path, strerror(err),
			err == EBUSY ? " (already open, by another VMM?)" : "");
		ret = -err;
		goto out;
	}
	bind.iommufd = ctr.iommufd;
	if (vfio_host->ioctl(fd, VFIO_DEVICE_BIND_IOMMUFD, &bind)) {
		err = errno;
		bind_error(a->bdf, err);
		ret = -err;
		goto close_fd;
	}
	attach.pt_id = ctr.ioas;
	if (vfio_host->ioctl(fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach)) {
		err = errno;
		log_err("%s: VFIO_DEVICE_ATTACH_IOMMUFD_PT: %s", a->bdf, strerror(err));
		ret = -err;
		goto close_fd;
	}
	a->fd = fd;
	ctr.users++;
	return 0;
close_fd:
	vfio_host->close(fd);	/* unbinds it */
out:
	iommufd_put();
	return ret;
}

/*
 * The backend for the first device: iommufd if asked, or on auto where the
 * kernel has /dev/iommu and the device a cdev; else the container.
 */
int vfio_iommu_precheck(const char *bdf, enum vfio_backend b)
{
	if (b != VFIO_BACKEND_IOMMUFD || vfio_host->exists("/dev/iommu"))
		return 0;
	log_err("%s: --vfio-backend iommufd: /dev/iommu does not exist: this kernel has no IOMMUFD (CONFIG_IOMMUFD, modprobe iommufd); use --vfio-backend container or auto",
		bdf);
	return -ENODEV;
}

/*
 * Whether this process may open /dev/iommu and the device cdev @name.  Both
 * are root-only by default while /dev/vfio/vfio is world-usable, so a setup
 * that was handed /dev/vfio/<group> (as libvirt does) works only through the
 * container: on auto, a refused open falls back to it (before anything is
 * set up) instead of failing.  Other errors are left to the open path.
 */
static bool iommufd_permitted(const char *bdf, const char *name)
{
	const char *paths[2] = { "/dev/iommu", NULL };
	char cdev[64];
	unsigned int i;
	int fd, err;

	snprintf(cdev, sizeof(cdev), "/dev/vfio/devices/%s", name);
	paths[1] = cdev;
	for (i = 0; i < 2; i++) {
		fd = vfio_host->open(paths[i], O_RDWR | O_CLOEXEC);
		if (fd >= 0) {
			vfio_host->close(fd);
			continue;
		}
		err = errno;
		if (err != EACCES && err != EPERM)
			continue;
		log_info("%s: %s: %s; using the VFIO container backend (give this user access to it for iommufd)",
			 bdf, paths[i], strerror(err));
		return false;
	}
	return true;
}

static int choose_backend(const struct vfio_assigned *a)
{
	char name[32];

	switch (a->backend) {
	case VFIO_BACKEND_CONTAINER:
		return VFIO_BACKEND_CONTAINER;
	case VFIO_BACKEND_IOMMUFD:
		if (vfio_iommu_precheck(a->bdf, a->backend))
			return -ENODEV;
		return VFIO_BACKEND_IOMMUFD;
	case VFIO_BACKEND_AUTO:
		break;
	}
	if (vfio_host->exists("/dev/iommu") && !device_cdev(a->bdf, name, sizeof(name)) &&
	    iommufd_permitted(a->bdf, name))
		return VFIO_BACKEND_IOMMUFD;
	return VFIO_BACKEND_CONTAINER;
}

int vfio_iommu_open_device(struct vfio_assigned *a)
{
	int ret;

	pthread_mutex_lock(&ctr.lock);
	if (!ctr.users && !ctr.nr_groups) {
		ret = choose_backend(a);
		if (ret < 0)
			goto out;
		ctr.backend = ret;
	} else if (a->backend != VFIO_BACKEND_AUTO && a->backend != ctr.backend) {
		log_err("%s: --vfio-backend %s, but the VM's devices use %s",
			a->bdf, vfio_backend_name(a->backend), vfio_backend_name(ctr.backend));
		ret = -EINVAL;
		goto out;
	}
	a->backend = ctr.backend;
	if (ctr.backend == VFIO_BACKEND_IOMMUFD)
		ret = iommufd_open_device(a);
	else
		ret = container_open_device(a);
out:
	pthread_mutex_unlock(&ctr.lock);
	return ret;
}

int vfio_iommu_map_ram(struct vfio_assigned *a)
{
	int ret = 0;

	pthread_mutex_lock(&ctr.lock);
	if (!ctr.ram_mapped) {
		ret = vfio_host->for_each_ram(a->vm, ctr.backend == VFIO_BACKEND_IOMMUFD ?
					      dma_map_ioas : dma_map_type1, a->bdf);
		ctr.ram_mapped = !ret;
	}
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
	if (a->backend == VFIO_BACKEND_IOMMUFD) {
		ctr.users--;
		iommufd_put();
	} else {
		group_put(a->group);
		a->group = -1;
		container_put();
	}
	pthread_mutex_unlock(&ctr.lock);
}
