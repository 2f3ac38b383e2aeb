/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A fake host for the VFIO passthrough unit tests (test_vmm_vfio_*.c): a
 * vfio_host_ops table (vmm/vfio_host.h) modelling the VFIO container, group
 * and device ioctls with the kernel's rules (a group opens once, a device
 * needs its group in a container with an IOMMU set, DMA mappings may not
 * overlap, closing a container drops its mappings, MSI-X with NORESIZE
 * cannot grow while enabled), sysfs, and a VM (irqfds, GSI routes,
 * memslots, MMIO/PIO traps, a real PCI bus from pci.c).
 *
 * Everything the code leaves behind is counted, so a test can check that a
 * failed call left no half state.  Calls may come from the device's service
 * thread: the fake takes its own lock.
 */
#ifndef TESTS_VFIO_FAKE_H
#define TESTS_VFIO_FAKE_H

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <linux/kvm.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include "vmm/pci.h"
#include "vmm/vfio_cdev_abi.h"
#include "vmm/vfio_host.h"
#include "vmm/vm.h"

#define FK_MAX_DEV	4
#define FK_MAX_GROUP	4
#define FK_MAX_CONT	4
#define FK_MAX_FD	32
#define FK_MAX_MAPS	16
#define FK_MAX_IO	32
#define FK_MAX_IRQFD	64
#define FK_MAX_SETS	128
#define FK_FD_BASE	7000
#define FK_NR_VEC	8
#define FK_BAR0_SIZE	0x4000
#define FK_PBA_OFF	0x2000
#define FK_REGION(i)	((uint64_t)(i) << 40)

enum fk_kind { FK_NONE, FK_CONTAINER, FK_GROUP, FK_DEVICE, FK_IOMMUFD };

struct fk_dev {
	char bdf[16];
	char driver[32];
	char module[32];	/* the driver's module, "" if built in */
	bool vfio_dev;		/* has vfio-dev/vfioN (VFIO_DEVICE_CDEV kernels) */
	int group;		/* IOMMU group number */
	bool is_vf;
	bool noresize;		/* an enabled MSI-X block cannot grow */
	bool hide_noresize;	/* ... but VFIO_IRQ_INFO_NORESIZE is not reported */
	bool open;
	bool cdev_bound;	/* opened through /dev/vfio/devices: BIND done */
	bool cdev_open;		/* opened through its cdev (not its group) */
	int attached_ioas;	/* 0: none */
	uint8_t cfg[4096];
	uint16_t cfg_writes[256];	/* writes through VFIO to each config byte */
	uint64_t bar2_size;	/* 0: only BAR0 */
	uint64_t rom_size;	/* 0: no ROM region */
	unsigned int rom_reads;	/* preads of the ROM region */
	bool no_reset;		/* no VFIO_DEVICE_FLAGS_RESET */
	unsigned int resets;
	unsigned int msix_at_reset;	/* MSI-X vectors enabled at the last reset */
	int maps_at_reset;	/* DMA maps issued by the first reset, -1: none yet */
	/* MSI-X trigger eventfds as VFIO holds them; count enabled */
	int msix_fd[FK_NR_VEC];
	unsigned int msix_enabled;
	int req_fd;
};

struct fk_group {
	int nr;
	bool open;
	int container;		/* slot, -1 */
};

struct fk_cont {			/* a container, or an iommufd and its one IOAS */
	bool open;
	bool iommu;
	uint32_t ioas;		/* iommufd: the IOAS allocated, 0: none */
	int nr_maps;
	uint64_t map_iova[FK_MAX_MAPS], map_size[FK_MAX_MAPS];
};

struct fk_set {			/* one VFIO_DEVICE_SET_IRQS */
	int dev;
	uint32_t index, flags, start, count;
};

struct fk_io {
	bool live, pio;
	uint64_t base, len;
	vm_io_fn fn;
	void *opaque;
};

struct fake {
	pthread_mutex_t lock;
	struct fk_dev dev[FK_MAX_DEV];
	int nr_dev;
	struct fk_group group[FK_MAX_GROUP];
	int nr_group;
	struct fk_cont cont[FK_MAX_CONT];
	struct { enum fk_kind kind; int idx; } fd[FK_MAX_FD];
	bool vfpost_loaded;
	char core_holders[128];	/* modules holding vfio_pci_core, space separated */

	/* failure injection: the fail_nth'th call (1-based; -1: every call) of fail_req */
	unsigned long fail_req;
	int fail_nth, fail_errno, seen;
	bool fail_irqfd, fail_gsi, fail_mmap, fail_open_container;
	/* VFIO_DEVICE_RESET takes this long (outside fk.lock), in_reset meanwhile */
	unsigned int reset_ms;
	atomic_bool in_reset;
	int reset_eagain;		/* resets failing -EAGAIN first (-1: all) */
	/* DMA mapping guest RAM takes this long (outside fk.lock) */
	unsigned int map_ms;
	/*
	 * The host is already removing the device: VFIO's request interrupt
	 * fires as soon as vibevmm gives it its eventfd (the kernel's 10 s
	 * repeat landing then).
	 */
	bool req_at_set;
	unsigned int reset_eagains;	/* how many did */
	bool iommufd_present;	/* /dev/iommu and device cdevs */
	int iommufd_open_errno;	/* opening /dev/iommu fails with it */
	int cdev_open_errno;	/* opening a device cdev fails with it */
	/* the host IOMMU's usable IOVA ranges (inclusive); none: no limit */
	struct { uint64_t start, last; } iova[4];
	int nr_iova;

	/* what happened */
	unsigned int map_dma_calls, ioas_map_calls, ioctls, iova_queries;
	struct fk_set sets[FK_MAX_SETS];
	int nr_sets;
	int mmaps_live;

	/* the VM */
	struct pci_bus *bus;
	uint8_t ram_lo[64], ram_hi[64];
	int ram_regions;	/* 1 or 2 */
	struct fk_io io[FK_MAX_IO];
	int memslots_live, memslot_next;
	struct { int fd, gsi; } irqfd[FK_MAX_IRQFD];
	int nr_irqfd;
	int gsi_live, gsi_next, signals;
	uint64_t gsi_addr[64];
	uint32_t gsi_data[64];
};

static struct fake fk;

static struct vm *fk_vm(void)
{
	return (struct vm *)&fk;
}

/* ---- files ---- */

static int fk_newfd(enum fk_kind kind, int idx)
{
	int i;

	for (i = 0; i < FK_MAX_FD; i++)
		if (fk.fd[i].kind == FK_NONE) {
			fk.fd[i].kind = kind;
			fk.fd[i].idx = idx;
			return FK_FD_BASE + i;
		}
	errno = EMFILE;
	return -1;
}

static int fk_lookup(int fd, enum fk_kind kind)
{
	int i = fd - FK_FD_BASE;

	if (i < 0 || i >= FK_MAX_FD || fk.fd[i].kind != kind)
		return -1;
	return fk.fd[i].idx;
}

static int fk_open(const char *path, int flags)
{
	int i, ret = -1, nr;

	pthread_mutex_lock(&fk.lock);
	if (!strcmp(path, "/dev/vfio/vfio")) {
		if (fk.fail_open_container) {
			errno = ENOENT;
			goto out;
		}
		for (i = 0; i < FK_MAX_CONT; i++)
			if (!fk.cont[i].open) {
				ret = fk_newfd(FK_CONTAINER, i);
				if (ret >= 0)
					fk.cont[i] = (struct fk_cont){ .open = true };
				goto out;
			}
		errno = EMFILE;
		goto out;
	}
	if (!strcmp(path, "/dev/iommu")) {
		errno = ENOENT;
		if (!fk.iommufd_present)
			goto out;
		if (fk.iommufd_open_errno) {
			errno = fk.iommufd_open_errno;
			goto out;
		}
		for (i = 0; i < FK_MAX_CONT; i++)
			if (!fk.cont[i].open) {
				ret = fk_newfd(FK_IOMMUFD, i);
				if (ret >= 0)
					fk.cont[i] = (struct fk_cont){ .open = true };
				goto out;
			}
		errno = EMFILE;
		goto out;
	}
	errno = ENOENT;
	if (sscanf(path, "/dev/vfio/devices/vfio%d", &nr) == 1) {
		if (!fk.iommufd_present || nr < 0 || nr >= fk.nr_dev || !fk.dev[nr].vfio_dev)
			goto out;
		if (fk.cdev_open_errno) {
			errno = fk.cdev_open_errno;
			goto out;
		}
		if (fk.dev[nr].open) {
			errno = EBUSY;
			goto out;
		}
		ret = fk_newfd(FK_DEVICE, nr);
		if (ret >= 0) {
			fk.dev[nr].open = true;
			fk.dev[nr].cdev_open = true;
			fk.dev[nr].cdev_bound = false;
			fk.dev[nr].attached_ioas = 0;
			fk.dev[nr].req_fd = -1;
		}
		goto out;
	}
	if (sscanf(path, "/dev/vfio/%d", &nr) != 1)
		goto out;
	for (i = 0; i < fk.nr_group; i++) {
		if (fk.group[i].nr != nr)
			continue;
		if (fk.group[i].open) {
			errno = EBUSY;	/* a VFIO group opens once */
			goto out;
		}
		ret = fk_newfd(FK_GROUP, i);
		if (ret >= 0) {
			fk.group[i].open = true;
			fk.group[i].container = -1;
		}
		goto out;
	}
out:
	pthread_mutex_unlock(&fk.lock);
	return ret;
}

static bool fk_cont_has_groups(int c)
{
	int i;

	for (i = 0; i < fk.nr_group; i++)
		if (fk.group[i].open && fk.group[i].container == c)
			return true;
	return false;
}

static int fk_close(int fd)
{
	int i = fd - FK_FD_BASE, idx;

	pthread_mutex_lock(&fk.lock);
	if (i < 0 || i >= FK_MAX_FD || fk.fd[i].kind == FK_NONE) {
		pthread_mutex_unlock(&fk.lock);
		errno = EBADF;
		return -1;
	}
	idx = fk.fd[i].idx;
	switch (fk.fd[i].kind) {
	case FK_CONTAINER:
	case FK_IOMMUFD:
		fk.cont[idx].open = false;
		fk.cont[idx].nr_maps = 0;
		fk.cont[idx].ioas = 0;
		break;
	case FK_GROUP: {
		int c = fk.group[idx].container;

		fk.group[idx].open = false;
		fk.group[idx].container = -1;
		if (c >= 0 && !fk_cont_has_groups(c)) {
			fk.cont[c].iommu = false;
			fk.cont[c].nr_maps = 0;
		}
		break;
	}
	case FK_DEVICE:
		fk.dev[idx].open = false;
		fk.dev[idx].cdev_open = false;
		fk.dev[idx].cdev_bound = false;
		fk.dev[idx].attached_ioas = 0;
		fk.dev[idx].msix_enabled = 0;
		break;
	default:
		break;
	}
	fk.fd[i].kind = FK_NONE;
	pthread_mutex_unlock(&fk.lock);
	return 0;
}

static int fk_open_fds(void)
{
	int i, n = 0;

	pthread_mutex_lock(&fk.lock);
	for (i = 0; i < FK_MAX_FD; i++)
		n += fk.fd[i].kind != FK_NONE;
	pthread_mutex_unlock(&fk.lock);
	return n;
}

/* ---- VFIO ioctls ---- */

static int fk_region_info(struct fk_dev *d, struct vfio_region_info *ri)
{
	ri->offset = FK_REGION(ri->index);
	ri->flags = 0;
	ri->size = 0;
	ri->cap_offset = 0;
	if (ri->index == VFIO_PCI_BAR0_REGION_INDEX) {
		ri->size = FK_BAR0_SIZE;
		ri->flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
			    VFIO_REGION_INFO_FLAG_MMAP;
	} else if (ri->index == VFIO_PCI_BAR2_REGION_INDEX && d->bar2_size) {
		ri->size = d->bar2_size;
		ri->flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
			    VFIO_REGION_INFO_FLAG_MMAP;
	} else if (ri->index == VFIO_PCI_ROM_REGION_INDEX) {
		ri->size = d->rom_size;
		ri->flags = d->rom_size ? VFIO_REGION_INFO_FLAG_READ : 0;
	} else if (ri->index == VFIO_PCI_CONFIG_REGION_INDEX) {
		ri->size = sizeof(d->cfg);
		ri->flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
	}
	return 0;
}

static int fk_irq_info(struct fk_dev *d, struct vfio_irq_info *ii)
{
	ii->flags = VFIO_IRQ_INFO_EVENTFD;
	switch (ii->index) {
	case VFIO_PCI_INTX_IRQ_INDEX:
		ii->count = d->is_vf ? 0 : 1;
		ii->flags |= VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED;
		break;
	case VFIO_PCI_MSIX_IRQ_INDEX:
		ii->count = FK_NR_VEC;
		if (d->noresize && !d->hide_noresize)
			ii->flags |= VFIO_IRQ_INFO_NORESIZE;
		break;
	case VFIO_PCI_REQ_IRQ_INDEX:
		ii->count = 1;
		break;
	default:
		ii->count = 0;
	}
	return 0;
}

static int fk_set_irqs(int di, struct vfio_irq_set *s)
{
	struct fk_dev *d = &fk.dev[di];
	unsigned int i;

	if (fk.nr_sets < FK_MAX_SETS)
		fk.sets[fk.nr_sets++] = (struct fk_set){ di, s->index, s->flags, s->start,
							 s->count };
	if (s->index == VFIO_PCI_REQ_IRQ_INDEX) {
		uint64_t one = 1;

		d->req_fd = (s->flags & VFIO_IRQ_SET_DATA_EVENTFD) && s->count ?
			    ((int32_t *)s->data)[0] : -1;
		if (fk.req_at_set && d->req_fd >= 0 && write(d->req_fd, &one, 8) != 8)
			return -EIO;
		return 0;
	}
	if (s->index != VFIO_PCI_MSIX_IRQ_INDEX ||
	    !(s->flags & VFIO_IRQ_SET_ACTION_TRIGGER))
		return 0;
	if (s->flags & VFIO_IRQ_SET_DATA_NONE) {
		if (!s->count) {
			d->msix_enabled = 0;
			return 0;
		}
	}
	if (!(s->flags & VFIO_IRQ_SET_DATA_EVENTFD))
		return 0;
	if (s->start + s->count > FK_NR_VEC)
		return -EINVAL;
	/* vfio-pci: an enabled MSI-X block cannot grow (NORESIZE) */
	if (d->msix_enabled && d->noresize && s->start + s->count > d->msix_enabled)
		return -EINVAL;
	for (i = 0; i < s->count; i++)
		d->msix_fd[s->start + i] = ((int32_t *)s->data)[i];
	if (s->start + s->count > d->msix_enabled)
		d->msix_enabled = s->start + s->count;
	return 0;
}

static int fk_add_map(struct fk_cont *ct, uint64_t iova, uint64_t size)
{
	int i;

	for (i = 0; i < fk.nr_iova; i++)
		if (iova >= fk.iova[i].start && iova + size - 1 <= fk.iova[i].last)
			break;
	if (fk.nr_iova && i == fk.nr_iova)
		return -EINVAL;	/* type1 and iommufd refuse it so */
	for (i = 0; i < ct->nr_maps; i++)
		if (iova < ct->map_iova[i] + ct->map_size[i] && ct->map_iova[i] < iova + size)
			return -EEXIST;
	if (ct->nr_maps == FK_MAX_MAPS)
		return -ENOSPC;
	ct->map_iova[ct->nr_maps] = iova;
	ct->map_size[ct->nr_maps++] = size;
	return 0;
}

/* VFIO_IOMMU_GET_INFO as type1 answers it: argsz grows to fit the caps. */
static int fk_type1_info(struct vfio_iommu_type1_info *info)
{
	struct vfio_iommu_type1_info_cap_iova_range *cap;
	uint32_t need = sizeof(*info) + sizeof(*cap) +
			fk.nr_iova * sizeof(cap->iova_ranges[0]);
	int i;

	fk.iova_queries++;
	if (info->argsz < sizeof(*info))
		return -EINVAL;
	info->flags = VFIO_IOMMU_INFO_PGSIZES;
	info->iova_pgsizes = 4096;
	info->cap_offset = 0;
	if (!fk.nr_iova)
		return 0;
	info->flags |= VFIO_IOMMU_INFO_CAPS;
	if (info->argsz < need) {
		info->argsz = need;
		return 0;
	}
	info->cap_offset = sizeof(*info);
	cap = (void *)(info + 1);
	cap->header = (struct vfio_info_cap_header){
		.id = VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, .version = 1 };
	cap->nr_iovas = fk.nr_iova;
	for (i = 0; i < fk.nr_iova; i++)
		cap->iova_ranges[i] = (struct vfio_iova_range){ fk.iova[i].start,
								fk.iova[i].last };
	return 0;
}

static int fk_ioctl_locked(int fd, unsigned long req, void *arg)
{
	int c, g, di, i;

	fk.ioctls++;
	if (fk.fail_req == req && (fk.fail_nth < 0 || ++fk.seen == fk.fail_nth))
		return -fk.fail_errno;
	if ((c = fk_lookup(fd, FK_CONTAINER)) >= 0) {
		struct fk_cont *ct = &fk.cont[c];

		switch (req) {
		case VFIO_GET_API_VERSION:
			return VFIO_API_VERSION;
		case VFIO_CHECK_EXTENSION:
			return (uintptr_t)arg == VFIO_TYPE1v2_IOMMU ||
			       (uintptr_t)arg == VFIO_TYPE1_IOMMU;
		case VFIO_SET_IOMMU:
			if (ct->iommu)
				return -EBUSY;
			if (!fk_cont_has_groups(c))
				return -EINVAL;
			ct->iommu = true;
			return 0;
		case VFIO_IOMMU_GET_INFO:
			return fk_type1_info(arg);
		case VFIO_IOMMU_MAP_DMA: {
			struct vfio_iommu_type1_dma_map *m = arg;

			fk.map_dma_calls++;
			if (!ct->iommu)
				return -EINVAL;
			return fk_add_map(ct, m->iova, m->size);
		}
		}
		return -ENOTTY;
	}
	if ((c = fk_lookup(fd, FK_IOMMUFD)) >= 0) {
		struct fk_cont *ct = &fk.cont[c];

		switch (req) {
		case IOMMU_IOAS_ALLOC: {
			struct iommu_ioas_alloc *al = arg;

			if (al->size < sizeof(*al) || ct->ioas)
				return -EINVAL;	/* the fake has one IOAS per iommufd */
			ct->ioas = 100 + c;
			al->out_ioas_id = ct->ioas;
			return 0;
		}
		case IOMMU_IOAS_IOVA_RANGES: {
			struct iommu_ioas_iova_ranges *q = arg;
			struct iommu_iova_range *out = (void *)(uintptr_t)q->allowed_iovas;

			fk.iova_queries++;
			if (q->ioas_id != ct->ioas || q->size < sizeof(*q))
				return -EINVAL;
			for (i = 0; i < fk.nr_iova && i < (int)q->num_iovas; i++)
				out[i] = (struct iommu_iova_range){ fk.iova[i].start,
								    fk.iova[i].last };
			i = q->num_iovas < (uint32_t)fk.nr_iova;
			q->num_iovas = fk.nr_iova;
			return i ? -EMSGSIZE : 0;
		}
		case IOMMU_IOAS_MAP: {
			struct iommu_ioas_map *m = arg;

			fk.ioas_map_calls++;
			if (m->ioas_id != ct->ioas || !ct->ioas ||
			    !(m->flags & IOMMU_IOAS_MAP_FIXED_IOVA))
				return -EINVAL;
			return fk_add_map(ct, m->iova, m->length);
		}
		}
		return -ENOTTY;
	}
	if ((g = fk_lookup(fd, FK_GROUP)) >= 0) {
		struct fk_group *gr = &fk.group[g];

		switch (req) {
		case VFIO_GROUP_GET_STATUS: {
			struct vfio_group_status *st = arg;

			st->flags = VFIO_GROUP_FLAGS_VIABLE |
				    (gr->container >= 0 ? VFIO_GROUP_FLAGS_CONTAINER_SET : 0);
			return 0;
		}
		case VFIO_GROUP_SET_CONTAINER:
			if (gr->container >= 0)
				return -EBUSY;
			c = fk_lookup(*(int *)arg, FK_CONTAINER);
			if (c < 0)
				return -EBADF;
			gr->container = c;
			return 0;
		case VFIO_GROUP_GET_DEVICE_FD:
			if (gr->container < 0 || !fk.cont[gr->container].iommu)
				return -EINVAL;
			for (di = 0; di < fk.nr_dev; di++) {
				if (strcmp(fk.dev[di].bdf, arg) || fk.dev[di].group != gr->nr)
					continue;
				if (fk.dev[di].open)
					return -EBUSY;
				i = fk_newfd(FK_DEVICE, di);
				if (i < 0)
					return -EMFILE;
				fk.dev[di].open = true;
				fk.dev[di].req_fd = -1;
				return i;
			}
			return -ENODEV;
		}
		return -ENOTTY;
	}
	if ((di = fk_lookup(fd, FK_DEVICE)) >= 0) {
		struct fk_dev *d = &fk.dev[di];

		/* a cdev does nothing before it is bound to an iommufd */
		if (d->cdev_open && req == VFIO_DEVICE_BIND_IOMMUFD) {
			struct vfio_device_bind_iommufd *b = arg;

			if (d->cdev_bound || fk_lookup(b->iommufd, FK_IOMMUFD) < 0)
				return -EINVAL;
			d->cdev_bound = true;
			b->out_devid = 1 + di;
			return 0;
		}
		if (d->cdev_open && !d->cdev_bound)
			return -EINVAL;
		if (d->cdev_open && req == VFIO_DEVICE_ATTACH_IOMMUFD_PT) {
			struct vfio_device_attach_iommufd_pt *at = arg;

			for (i = 0; i < FK_MAX_CONT; i++)
				if (fk.cont[i].open && fk.cont[i].ioas &&
				    fk.cont[i].ioas == at->pt_id)
					break;
			if (i == FK_MAX_CONT)
				return -ENOENT;
			d->attached_ioas = at->pt_id;
			return 0;
		}
		switch (req) {
		case VFIO_DEVICE_GET_INFO: {
			struct vfio_device_info *info = arg;

			info->flags = VFIO_DEVICE_FLAGS_PCI |
				      (d->no_reset ? 0 : VFIO_DEVICE_FLAGS_RESET);
			info->num_regions = VFIO_PCI_NUM_REGIONS;
			info->num_irqs = VFIO_PCI_NUM_IRQS;
			return 0;
		}
		case VFIO_DEVICE_GET_REGION_INFO:
			return fk_region_info(d, arg);
		case VFIO_DEVICE_GET_IRQ_INFO:
			return fk_irq_info(d, arg);
		case VFIO_DEVICE_SET_IRQS:
			return fk_set_irqs(di, arg);
		case VFIO_DEVICE_RESET:
			if (d->no_reset)	/* as vfio-pci: !reset_works */
				return -EINVAL;
			if (fk.reset_eagain) {	/* the host holds the device lock */
				fk.reset_eagain -= fk.reset_eagain > 0;
				fk.reset_eagains++;
				return -EAGAIN;
			}
			d->msix_at_reset = d->msix_enabled;
			if (!d->resets++)
				d->maps_at_reset = fk.map_dma_calls + fk.ioas_map_calls;
			return 0;
		}
		return -ENOTTY;
	}
	return -EBADF;
}

static void fk_sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000l };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int fk_ioctl(int fd, unsigned long req, void *arg)
{
	int ret;

	if (req == VFIO_DEVICE_RESET && fk.reset_ms) {
		unsigned int ms = fk.reset_ms;	/* read before in_reset: tests change it then */

		fk.in_reset = true;
		fk_sleep_ms(ms);
		fk.in_reset = false;
	}
	if ((req == VFIO_IOMMU_MAP_DMA || req == IOMMU_IOAS_MAP) && fk.map_ms)
		fk_sleep_ms(fk.map_ms);
	pthread_mutex_lock(&fk.lock);
	ret = fk_ioctl_locked(fd, req, arg);
	pthread_mutex_unlock(&fk.lock);
	if (ret < 0) {
		errno = -ret;
		return -1;
	}
	return ret;
}

static ssize_t fk_rw(int fd, void *buf, size_t len, off_t off, bool write)
{
	int di;
	ssize_t ret = -1;

	pthread_mutex_lock(&fk.lock);
	di = fk_lookup(fd, FK_DEVICE);
	errno = EBADF;
	if (di < 0)
		goto out;
	errno = EINVAL;
	if ((uint64_t)off >= FK_REGION(VFIO_PCI_CONFIG_REGION_INDEX) &&
	    (uint64_t)off + len <= FK_REGION(VFIO_PCI_CONFIG_REGION_INDEX) + 4096) {
		uint64_t at = off - FK_REGION(VFIO_PCI_CONFIG_REGION_INDEX);
		uint8_t *p = fk.dev[di].cfg + at;
		size_t i;

		if (write) {
			memcpy(p, buf, len);
			for (i = 0; i < len && at + i < 256; i++)
				fk.dev[di].cfg_writes[at + i]++;
		} else {
			memcpy(buf, p, len);
		}
		ret = len;
	} else if ((uint64_t)off + len <= FK_BAR0_SIZE ||
		   ((uint64_t)off >= FK_REGION(VFIO_PCI_BAR2_REGION_INDEX) &&
		    (uint64_t)off + len <= FK_REGION(VFIO_PCI_BAR2_REGION_INDEX) +
		    fk.dev[di].bar2_size)) {
		if (!write)
			memset(buf, 0, len);
		ret = len;
	} else if (!write && (uint64_t)off >= FK_REGION(VFIO_PCI_ROM_REGION_INDEX) &&
		   (uint64_t)off + len <= FK_REGION(VFIO_PCI_ROM_REGION_INDEX) +
		   fk.dev[di].rom_size) {
		uint64_t at = off - FK_REGION(VFIO_PCI_ROM_REGION_INDEX);
		size_t i;

		fk.dev[di].rom_reads++;
		for (i = 0; i < len; i++)	/* 55 aa, then the offset's low byte */
			((uint8_t *)buf)[i] = at + i == 0 ? 0x55 : at + i == 1 ? 0xaa :
					      (uint8_t)(at + i);
		ret = len;
	}
out:
	pthread_mutex_unlock(&fk.lock);
	return ret;
}

static ssize_t fk_pread(int fd, void *buf, size_t len, off_t off)
{
	return fk_rw(fd, buf, len, off, false);
}

static ssize_t fk_pwrite(int fd, const void *buf, size_t len, off_t off)
{
	return fk_rw(fd, (void *)buf, len, off, true);
}

static void *fk_mmap(size_t len, int fd, off_t off)
{
	void *p;

	if (fk.fail_mmap || fk_lookup(fd, FK_DEVICE) < 0) {
		errno = EINVAL;
		return MAP_FAILED;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p != MAP_FAILED) {
		pthread_mutex_lock(&fk.lock);
		fk.mmaps_live++;
		pthread_mutex_unlock(&fk.lock);
	}
	return p;
}

static int fk_munmap(void *p, size_t len)
{
	pthread_mutex_lock(&fk.lock);
	fk.mmaps_live--;
	pthread_mutex_unlock(&fk.lock);
	return munmap(p, len);
}

/* ---- sysfs ---- */

static struct fk_dev *fk_dev_of_path(const char *path, const char **rest)
{
	const char *pfx = "/sys/bus/pci/devices/";
	int i;

	if (strncmp(path, pfx, strlen(pfx)))
		return NULL;
	path += strlen(pfx);
	for (i = 0; i < fk.nr_dev; i++) {
		size_t n = strlen(fk.dev[i].bdf);

		if (!strncmp(path, fk.dev[i].bdf, n) && (!path[n] || path[n] == '/')) {
			*rest = path[n] ? path + n + 1 : "";
			return &fk.dev[i];
		}
	}
	return NULL;
}

static bool fk_exists(const char *path)
{
	const char *rest;
	struct fk_dev *d;

	if (!strcmp(path, "/sys/module/vfpost"))
		return fk.vfpost_loaded;
	if (!strcmp(path, "/dev/iommu"))
		return fk.iommufd_present;
	if (!strncmp(path, "/sys/module/vfio_pci_core/holders/", 34)) {
		char word[40];

		snprintf(word, sizeof(word), " %s ", path + 34);
		return strstr(fk.core_holders, word);
	}
	d = fk_dev_of_path(path, &rest);
	if (!d)
		return false;
	if (!*rest || !strcmp(rest, "driver") || !strcmp(rest, "iommu_group"))
		return true;
	if (!strcmp(rest, "physfn"))
		return d->is_vf;
	if (!strcmp(rest, "vfio-dev"))
		return d->vfio_dev;
	return false;
}

static ssize_t fk_readlink(const char *path, char *buf, size_t len)
{
	const char *rest;
	struct fk_dev *d = fk_dev_of_path(path, &rest);
	int n;

	errno = ENOENT;
	if (!d)
		return -1;
	if (!strcmp(rest, "driver") && d->driver[0])
		n = snprintf(buf, len, "../../../bus/pci/drivers/%s", d->driver);
	else if (!strcmp(rest, "driver/module") && d->driver[0] && d->module[0])
		n = snprintf(buf, len, "../../../../module/%s", d->module);
	else if (!strcmp(rest, "iommu_group"))
		n = snprintf(buf, len, "../../../kernel/iommu_groups/%d", d->group);
	else
		return -1;
	return n < (int)len ? n : (ssize_t)len;
}

static int fk_dir_first(const char *path, const char *prefix, char *out, size_t len)
{
	const char *rest;
	struct fk_dev *d = fk_dev_of_path(path, &rest);

	if (!d || strcmp(rest, "vfio-dev") || !d->vfio_dev || strcmp(prefix, "vfio"))
		return -ENOENT;
	snprintf(out, len, "vfio%d", (int)(d - fk.dev));
	return 0;
}

/* ---- the VM ---- */

static int fk_irqfd(struct vm *vm, const struct kvm_irqfd *f)
{
	int i, ret = 0;

	pthread_mutex_lock(&fk.lock);
	if (f->flags & KVM_IRQFD_FLAG_DEASSIGN) {
		for (i = 0; i < fk.nr_irqfd; i++)
			if (fk.irqfd[i].fd == (int)f->fd && fk.irqfd[i].gsi == (int)f->gsi)
				break;
		if (i == fk.nr_irqfd)
			ret = -ENOENT;
		else
			fk.irqfd[i] = fk.irqfd[--fk.nr_irqfd];
	} else if (fk.fail_irqfd) {
		ret = -ENOMEM;
	} else if (fk.nr_irqfd == FK_MAX_IRQFD) {
		ret = -ENOSPC;
	} else {
		fk.irqfd[fk.nr_irqfd].fd = f->fd;
		fk.irqfd[fk.nr_irqfd++].gsi = f->gsi;
	}
	pthread_mutex_unlock(&fk.lock);
	return ret;
}

/* GSI of the irqfd attached to eventfd @fd, or -1. */
static int fk_irqfd_gsi(int fd)
{
	int i, gsi = -1;

	pthread_mutex_lock(&fk.lock);
	for (i = 0; i < fk.nr_irqfd; i++)
		if (fk.irqfd[i].fd == fd)
			gsi = fk.irqfd[i].gsi;
	pthread_mutex_unlock(&fk.lock);
	return gsi;
}

static int fk_signal_msi(struct vm *vm, const struct kvm_msi *m)
{
	pthread_mutex_lock(&fk.lock);
	fk.signals++;
	pthread_mutex_unlock(&fk.lock);
	return 0;
}

static int fk_gsi_alloc(struct vm *vm, uint64_t addr, uint32_t data)
{
	int gsi;

	pthread_mutex_lock(&fk.lock);
	if (fk.fail_gsi || fk.gsi_next == 64) {
		pthread_mutex_unlock(&fk.lock);
		return -ENOSPC;
	}
	gsi = 24 + fk.gsi_next++;
	fk.gsi_live++;
	fk.gsi_addr[gsi - 24] = addr;
	fk.gsi_data[gsi - 24] = data;
	pthread_mutex_unlock(&fk.lock);
	return gsi;
}

static int fk_gsi_update(struct vm *vm, int gsi, uint64_t addr, uint32_t data)
{
	pthread_mutex_lock(&fk.lock);
	fk.gsi_addr[gsi - 24] = addr;
	fk.gsi_data[gsi - 24] = data;
	pthread_mutex_unlock(&fk.lock);
	return 0;
}

static void fk_gsi_free(struct vm *vm, int gsi)
{
	pthread_mutex_lock(&fk.lock);
	fk.gsi_live--;
	pthread_mutex_unlock(&fk.lock);
}

static int fk_for_each_ram(struct vm *vm, vm_ram_fn fn, void *opaque)
{
	int ret = fn(opaque, 0, fk.ram_lo, 0x8000000);

	if (!ret && fk.ram_regions > 1)
		ret = fn(opaque, VM_HIGH_RAM_BASE, fk.ram_hi, 0x4000000);
	return ret;
}

static int fk_map_memslot(struct vm *vm, uint64_t gpa, uint64_t size, void *hva)
{
	int slot;

	pthread_mutex_lock(&fk.lock);
	fk.memslots_live++;
	slot = 10 + fk.memslot_next++;
	pthread_mutex_unlock(&fk.lock);
	return slot;
}

static int fk_unmap_memslot(struct vm *vm, int slot)
{
	pthread_mutex_lock(&fk.lock);
	fk.memslots_live--;
	pthread_mutex_unlock(&fk.lock);
	return 0;
}

static int fk_reg(bool pio, uint64_t base, uint64_t len, vm_io_fn fn, void *opaque)
{
	int i, ret = -ENOSPC;

	pthread_mutex_lock(&fk.lock);
	for (i = 0; i < FK_MAX_IO; i++)
		if (!fk.io[i].live) {
			fk.io[i] = (struct fk_io){ true, pio, base, len, fn, opaque };
			ret = 0;
			break;
		}
	pthread_mutex_unlock(&fk.lock);
	return ret;
}

static int fk_unreg(bool pio, uint64_t base, const void *opaque)
{
	int i, ret = -ENOENT;

	pthread_mutex_lock(&fk.lock);
	for (i = 0; i < FK_MAX_IO; i++)
		if (fk.io[i].live && fk.io[i].pio == pio && fk.io[i].base == base &&
		    fk.io[i].opaque == opaque) {
			fk.io[i].live = false;
			ret = 0;
			break;
		}
	pthread_mutex_unlock(&fk.lock);
	return ret;
}

static int fk_reg_mmio(struct vm *vm, uint64_t gpa, uint64_t len, vm_io_fn fn, void *o)
{
	return fk_reg(false, gpa, len, fn, o);
}

static int fk_unreg_mmio(struct vm *vm, uint64_t gpa, const void *o)
{
	return fk_unreg(false, gpa, o);
}

static int fk_reg_pio(struct vm *vm, uint16_t port, uint16_t len, vm_io_fn fn, void *o)
{
	return fk_reg(true, port, len, fn, o);
}

static int fk_unreg_pio(struct vm *vm, uint16_t port, const void *o)
{
	return fk_unreg(true, port, o);
}

static struct pci_bus *fk_pci_bus(struct vm *vm)
{
	return fk.bus;
}

static int fk_io_live(void)
{
	int i, n = 0;

	pthread_mutex_lock(&fk.lock);
	for (i = 0; i < FK_MAX_IO; i++)
		n += fk.io[i].live;
	pthread_mutex_unlock(&fk.lock);
	return n;
}

/* A guest MMIO access at @gpa through the registered trap; false if none. */
static bool fk_mmio(uint64_t gpa, void *data, unsigned int len, bool is_write)
{
	vm_io_fn fn = NULL;
	void *opaque = NULL;
	uint64_t base = 0;
	int i;

	pthread_mutex_lock(&fk.lock);
	for (i = 0; i < FK_MAX_IO; i++)
		if (fk.io[i].live && !fk.io[i].pio && gpa >= fk.io[i].base &&
		    gpa + len <= fk.io[i].base + fk.io[i].len) {
			fn = fk.io[i].fn;
			opaque = fk.io[i].opaque;
			base = fk.io[i].base;
		}
	pthread_mutex_unlock(&fk.lock);
	if (!fn)
		return false;
	fn(opaque, gpa - base, data, len, is_write);
	return true;
}

static const struct vfio_host_ops fk_ops = {
	.open = fk_open, .close = fk_close, .ioctl = fk_ioctl,
	.pread = fk_pread, .pwrite = fk_pwrite, .mmap = fk_mmap, .munmap = fk_munmap,
	.readlink = fk_readlink, .exists = fk_exists, .dir_first = fk_dir_first,
	.irqfd = fk_irqfd, .signal_msi = fk_signal_msi,
	.gsi_alloc_msi = fk_gsi_alloc, .gsi_update_msi = fk_gsi_update,
	.gsi_free = fk_gsi_free, .for_each_ram = fk_for_each_ram,
	.map_memslot = fk_map_memslot, .unmap_memslot = fk_unmap_memslot,
	.register_mmio = fk_reg_mmio, .unregister_mmio = fk_unreg_mmio,
	.register_pio = fk_reg_pio, .unregister_pio = fk_unreg_pio,
	.pci_bus = fk_pci_bus,
};

/*
 * A VF-like function: vendor 8086, BAR0 of 16 KiB (memory, 32-bit), an
 * MSI-X capability at 0x40 with FK_NR_VEC vectors, table at BAR0+0, PBA at
 * BAR0+FK_PBA_OFF.  Returns the device index.
 */
static int fk_add_dev(const char *bdf, int group, const char *driver, bool is_vf)
{
	struct fk_dev *d = &fk.dev[fk.nr_dev];
	int i;

	memset(d, 0, sizeof(*d));
	snprintf(d->bdf, sizeof(d->bdf), "%s", bdf);
	snprintf(d->driver, sizeof(d->driver), "%s", driver);
	for (i = 0; driver[i] && i < (int)sizeof(d->module) - 1; i++)
		d->module[i] = driver[i] == '-' ? '_' : driver[i];
	d->group = group;
	d->is_vf = is_vf;
	d->noresize = true;
	d->req_fd = -1;
	d->maps_at_reset = -1;
	d->cfg[PCI_VENDOR_ID] = 0x86;
	d->cfg[PCI_VENDOR_ID + 1] = 0x80;
	d->cfg[PCI_DEVICE_ID] = 0xca;
	d->cfg[PCI_DEVICE_ID + 1] = 0x10;
	d->cfg[PCI_STATUS] = PCI_STATUS_CAP_LIST;
	d->cfg[PCI_CAPABILITY_LIST] = 0x40;
	d->cfg[PCI_INTERRUPT_PIN] = is_vf ? 0 : 1;
	d->cfg[0x40 + PCI_CAP_LIST_ID] = PCI_CAP_ID_MSIX;
	d->cfg[0x40 + PCI_MSIX_FLAGS] = FK_NR_VEC - 1;
	d->cfg[0x40 + PCI_MSIX_TABLE] = 0;			/* BIR 0, offset 0 */
	d->cfg[0x40 + PCI_MSIX_PBA + 1] = FK_PBA_OFF >> 8;	/* BIR 0 */
	for (i = 0; i < fk.nr_group; i++)
		if (fk.group[i].nr == group)
			break;
	if (i == fk.nr_group)
		fk.group[fk.nr_group++] = (struct fk_group){ .nr = group, .container = -1 };
	return fk.nr_dev++;
}

static void fk_reset(void)
{
	if (fk.bus)
		pci_bus_free(fk.bus);
	memset(&fk, 0, sizeof(fk));
	pthread_mutex_init(&fk.lock, NULL);
	fk.ram_regions = 2;
	snprintf(fk.core_holders, sizeof(fk.core_holders), " vfio_pci vfpost mlx5_vfio_pci ");
	fk.bus = pci_bus_new(VM_PCI_MMIO32_BASE, VM_PCI_MMIO32_SIZE, 0x200000000ull,
			     VM_PCI_MMIO64_SIZE, VM_PCI_IO_BASE, VM_PCI_IO_SIZE);
	vfio_host = &fk_ops;
}

static void fk_teardown(void)
{
	vfio_host = &vfio_host_real;
	pci_bus_free(fk.bus);
	fk.bus = NULL;
	pthread_mutex_destroy(&fk.lock);
}

/* Nothing left behind: fds, mappings, traps, routes, irqfds. */
static bool fk_clean(void)
{
	return !fk_open_fds() && !fk.mmaps_live && !fk_io_live() && !fk.memslots_live &&
	       !fk.nr_irqfd && !fk.gsi_live;
}

#endif /* TESTS_VFIO_FAKE_H */
