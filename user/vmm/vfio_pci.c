// SPDX-License-Identifier: GPL-2.0
/*
 * VFIO passthrough: device acquisition and setup, config space glue, BAR
 * memslots and traps, removal while the VM runs.  The container, groups
 * and DMA mapping of guest RAM live in vfio_iommu.c, interrupts in
 * vfio_irq.c, sysfs facts in vfio_sysfs.c.  See vfio_pci.h and, for the
 * locking rules, vfio_priv.h.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/pci_regs.h>

#include "irqpath.h"
#include "log.h"
#include "thread.h"
#include "vfio_host.h"
#include "vfio_pci.h"
#include "vfio_priv.h"
#include "vm.h"

/* ---- sysfs ---- */

static void read_facts(const char *bdf, struct vfio_facts *f, char *drv, size_t drvlen)
{
	char grp[32];

	memset(f, 0, sizeof(*f));
	f->exists = vfio_sys_exists(bdf, "");
	f->is_vf = vfio_sys_exists(bdf, "physfn");
	vfio_sys_link_name(bdf, "driver", drv, drvlen);
	f->driver = drv;
	f->is_vfio = vfio_is_vfio_device(bdf, drv);
	vfio_sys_link_name(bdf, "iommu_group", grp, sizeof(grp));
	f->iommu_group = grp[0] != '\0';
	f->vfpost_loaded = vfio_host->exists("/sys/module/vfpost");
}

/* ---- VFIO plumbing ---- */

static int region_info(struct vfio_assigned *a, unsigned int index, struct vfio_region *r)
{
	struct vfio_region_info *ri;
	size_t sz = sizeof(*ri);
	int i;

	memset(r, 0, sizeof(*r));
	for (;;) {
		ri = calloc(1, sz);
		if (!ri)
			return -ENOMEM;
		ri->argsz = sz;
		ri->index = index;
		if (vfio_host->ioctl(a->fd, VFIO_DEVICE_GET_REGION_INFO, ri)) {
			int err = -errno;

			free(ri);
			return err;
		}
		if (ri->argsz <= sz)
			break;
		sz = ri->argsz;
		free(ri);
	}
	r->offset = ri->offset;
	r->size = ri->size;
	r->flags = ri->flags;
	if ((ri->flags & VFIO_REGION_INFO_FLAG_MMAP) && (ri->flags & VFIO_REGION_INFO_FLAG_CAPS) &&
	    ri->cap_offset) {
		uint32_t off = ri->cap_offset;

		while (off && off + sizeof(struct vfio_info_cap_header) <= sz) {
			struct vfio_info_cap_header *h = (void *)((char *)ri + off);

			if (h->id == VFIO_REGION_INFO_CAP_SPARSE_MMAP) {
				struct vfio_region_info_cap_sparse_mmap *sp = (void *)h;

				for (i = 0; i < (int)sp->nr_areas && r->nr_mmap < VFIO_MAX_AREAS; i++) {
					if (!sp->areas[i].size)
						continue;
					r->mmap[r->nr_mmap].off = sp->areas[i].offset;
					r->mmap[r->nr_mmap].size = sp->areas[i].size;
					r->nr_mmap++;
				}
				/* a sparse cap with no areas: nothing mmap-able */
				r->flags |= 1u << 31;
				break;
			}
			off = h->next;
		}
	}
	if ((r->flags & VFIO_REGION_INFO_FLAG_MMAP) && !(r->flags & (1u << 31)) && r->size) {
		r->mmap[0].off = 0;
		r->mmap[0].size = r->size;
		r->nr_mmap = 1;
	}
	r->flags &= ~(1u << 31);
	free(ri);
	return 0;
}

static void region_mmap(struct vfio_assigned *a, struct vfio_region *r)
{
	long page = sysconf(_SC_PAGESIZE);
	int i;

	for (i = 0; i < r->nr_mmap; i++) {
		void *p;

		r->map[i] = NULL;
		if ((r->mmap[i].off | r->mmap[i].size) & (page - 1))
			continue;
		p = vfio_host->mmap(r->mmap[i].size, a->fd, r->offset + r->mmap[i].off);
		if (p == MAP_FAILED) {
			log_warn("%s: mmap of BAR area +0x%llx failed (%s); accesses will be trapped",
				 a->bdf, (unsigned long long)r->mmap[i].off, strerror(errno));
			continue;
		}
		r->map[i] = p;
	}
}

static void region_munmap(struct vfio_region *r)
{
	int i;

	for (i = 0; i < r->nr_mmap; i++) {
		if (r->map[i])
			vfio_host->munmap(r->map[i], r->mmap[i].size);
		r->map[i] = NULL;
	}
}

static int cfg_be_read(void *opaque, unsigned int off, void *buf, unsigned int len)
{
	struct vfio_assigned *a = opaque;
	ssize_t n = vfio_host->pread(a->fd, buf, len, a->cfg_region.offset + off);

	return n == (ssize_t)len ? 0 : -EIO;
}

static int cfg_be_write(void *opaque, unsigned int off, const void *buf, unsigned int len)
{
	struct vfio_assigned *a = opaque;
	ssize_t n = vfio_host->pwrite(a->fd, buf, len, a->cfg_region.offset + off);

	return n == (ssize_t)len ? 0 : -EIO;
}

static const struct vcfg_backend cfg_backend = { cfg_be_read, cfg_be_write };

/* ---- BARs ---- */

struct bar_ctx {
	struct vfio_assigned *a;
	int bar;
};

static struct bar_ctx *bar_ctx(struct vfio_assigned *a, int bar);

static void bar_forward(struct vfio_assigned *a, int bar, uint64_t off, void *data,
			unsigned int len, bool is_write)
{
	uint64_t pos = a->bar[bar].offset + off;
	ssize_t n;

	if (bar == VCFG_ROM) {	/* read-only, read once at setup_rom() */
		if (!is_write && a->rom_data && off + len <= a->bar[bar].size)
			memcpy(data, a->rom_data + off, len);
		else if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	if (off + len > a->bar[bar].size) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	n = is_write ? vfio_host->pwrite(a->fd, data, len, pos) :
		   vfio_host->pread(a->fd, data, len, pos);
	if (n != (ssize_t)len && !is_write)
		memset(data, 0xff, len);
}

static void bar_io(void *opaque, uint64_t off, void *data, unsigned int len, bool is_write)
{
	struct bar_ctx *ctx = opaque;
	struct vfio_assigned *a = ctx->a;
	int bar = ctx->bar;

	if (a->has_msix && (bar == a->msix_bar || bar == a->msix_pba_bar)) {
		uint64_t t = a->msix_table_off, p = a->msix_pba_off;
		bool in_table = bar == a->msix_bar && off >= t &&
				off < t + msix_table_size(&a->msix);
		bool in_pba = bar == a->msix_pba_bar && off >= p &&
			      off < p + msix_pba_size(&a->msix);

		if (in_table || in_pba) {
			pthread_mutex_lock(&a->lock);
			if (a->dead) {
				if (!is_write)
					memset(data, 0xff, len);
			} else if (in_table) {
				if (is_write)
					msix_table_write(&a->msix, off - t, data, len);
				else
					msix_table_read(&a->msix, off - t, data, len);
			} else if (!is_write) {
				msix_pba_read(&a->msix, off - p, data, len);
			}
			pthread_mutex_unlock(&a->lock);
			return;
		}
	}
	bar_forward(a, bar, off, data, len, is_write);
}

static void bar_unmap(struct vfio_assigned *a, int bar)
{
	struct vfio_bar_state *bs = &a->bars[bar];
	int i;

	if (!bs->on)
		return;
	if (bs->trapped && bs->pio)
		vfio_host->unregister_pio(a->vm, bs->gpa, bar_ctx(a, bar));
	else if (bs->trapped)
		vfio_host->unregister_mmio(a->vm, bs->gpa, bar_ctx(a, bar));
	for (i = 0; i < bs->nr_slots; i++)
		vfio_host->unmap_memslot(a->vm, bs->slot[i]);
	bs->nr_slots = 0;
	bs->trapped = false;
	bs->on = false;
	log_debug_rl("%s: BAR%d unmapped from 0x%llx", a->bdf, bar, (unsigned long long)bs->gpa);
}

static void bar_map_mem(struct vfio_assigned *a, int bar, uint64_t gpa)
{
	struct vfio_region *r = &a->bar[bar];
	struct vfio_bar_state *bs = &a->bars[bar];
	struct bar_area mm[VFIO_MAX_AREAS], trap[2], out[VFIO_MAX_AREAS * 3];
	int nr_mm = 0, nr_trap = 0, n, i, k;

	for (i = 0; i < r->nr_mmap; i++)
		if (r->map[i])
			mm[nr_mm++] = r->mmap[i];
	if (a->has_msix && bar == a->msix_bar) {
		trap[nr_trap++] = (struct bar_area){ a->msix_table_off, msix_table_size(&a->msix) };
	}
	if (a->has_msix && bar == a->msix_pba_bar)
		trap[nr_trap++] = (struct bar_area){ a->msix_pba_off, msix_pba_size(&a->msix) };
	n = vfio_bar_plan(mm, nr_mm, trap, nr_trap, sysconf(_SC_PAGESIZE), out,
			  VFIO_MAX_AREAS * 3);
	if (n < 0) {
		log_warn_rl("%s: BAR%d layout: %s; the whole BAR is trapped", a->bdf, bar,
			    strerror(-n));
		n = 0;
	}
	for (i = 0; i < n && bs->nr_slots < VFIO_MAX_AREAS; i++) {
		for (k = 0; k < nr_mm; k++)
			if (out[i].off >= mm[k].off && out[i].off < mm[k].off + mm[k].size)
				break;
		for (int j = 0; j < r->nr_mmap; j++) {
			int slot;

			if (r->mmap[j].off != mm[k].off || !r->map[j])
				continue;
			slot = vfio_host->map_memslot(a->vm, gpa + out[i].off, out[i].size,
					      (char *)r->map[j] + (out[i].off - mm[k].off));
			if (slot < 0)
				log_warn_rl("%s: BAR%d memslot at 0x%llx: %s; trapped instead",
					    a->bdf, bar, (unsigned long long)(gpa + out[i].off),
					    strerror(-slot));
			else
				bs->slot[bs->nr_slots++] = slot;
			break;
		}
	}
	/*
	 * Record only what was registered: the guest may have put the BAR
	 * over another trap (ECAM, another device's BAR).
	 */
	bs->trapped = !vfio_host->register_mmio(a->vm, gpa, r->size, bar_io, bar_ctx(a, bar));
	if (!bs->trapped)
		log_warn_rl("%s: BAR%d: cannot trap MMIO at 0x%llx", a->bdf, bar,
			    (unsigned long long)gpa);
	bs->gpa = gpa;
	bs->pio = false;
	bs->on = true;
	log_debug_rl("%s: BAR%d at 0x%llx, %d memslot(s)", a->bdf, bar,
		     (unsigned long long)gpa, bs->nr_slots);
}

static void cfg_bar_map(void *opaque, int bar, uint64_t addr, bool on)
{
	struct vfio_assigned *a = opaque;
	struct vfio_bar_state *bs = &a->bars[bar];

	if (a->dead)
		return;
	bar_unmap(a, bar);
	if (!on)
		return;
	if (bar < VCFG_NR_BARS && a->cfg.bar[bar].io) {
		if (vfio_host->register_pio(a->vm, addr, a->cfg.bar[bar].size, bar_io, bar_ctx(a, bar))) {
			log_warn_rl("%s: BAR%d: cannot trap I/O ports at 0x%llx", a->bdf, bar,
				    (unsigned long long)addr);
			return;
		}
		bs->gpa = addr;
		bs->pio = true;
		bs->trapped = true;
		bs->on = true;
		return;
	}
	bar_map_mem(a, bar, addr);
}

static void cfg_msi(void *opaque, bool enabled, uint64_t addr, uint32_t data)
{
	vfio_irq_msi_update(opaque, enabled, addr, data);
}

static void cfg_msix(void *opaque, bool enabled, bool maskall)
{
	vfio_irq_msix_ctrl(opaque, enabled, maskall);
}

static int device_reset_retry(struct vfio_assigned *a);

/*
 * The guest reset the function (FLR, PM D3hot -> D0): vcfg has put back its
 * registers (decoding, MSI and MSI-X off: vectors detached, INTx back);
 * the MSI-X table goes back to its reset state and the device is reset.
 *
 * VFIO_DEVICE_RESET takes 100 ms or more (up to a minute for a device slow
 * to come back): it runs without a->lock, with a->resetting set, so that
 * the relay and the MSI-X traps go on meanwhile.  The PCI bus lock stays
 * held (pci.c calls us under it): see "Guest resets" in vibevmm-vfio.rst.
 * The device cannot go away meanwhile: close_device() first takes it off
 * the bus, which waits for the bus lock.
 */
static int cfg_reset(void *opaque)
{
	struct vfio_assigned *a = opaque;
	int ret;

	pthread_mutex_lock(&a->lock);
	if (a->dead) {
		pthread_mutex_unlock(&a->lock);
		return 0;
	}
	if (a->has_msix)
		msix_reset(&a->msix);
	a->resetting = true;
	pthread_mutex_unlock(&a->lock);

	ret = device_reset_retry(a);

	pthread_mutex_lock(&a->lock);
	a->resetting = false;
	pthread_mutex_unlock(&a->lock);
	if (ret && !a->reset_failed)	/* the guest can ask again and again */
		log_warn_rl("%s: reset asked by the guest failed: %s; bus mastering kept off until a reset succeeds",
			    a->bdf, strerror(-ret));
	else if (!ret)
		log_debug_rl("%s: reset asked by the guest", a->bdf);
	a->reset_failed = ret;
	return ret;
}

static const struct vcfg_ops cfg_ops = { cfg_bar_map, cfg_msi, cfg_msix, cfg_reset };

static uint32_t pci_cfg_read(struct pci_device *dev, unsigned int off, unsigned int len)
{
	struct vfio_assigned *a = dev->priv;

	if (a->dead)
		return len == 4 ? 0xffffffffu : (1u << (8 * len)) - 1;
	return vcfg_read(&a->cfg, off, len);
}

static void pci_cfg_write(struct pci_device *dev, unsigned int off, unsigned int len, uint32_t val)
{
	struct vfio_assigned *a = dev->priv;

	if (!a->dead)
		vcfg_write(&a->cfg, off, len, val);
}

static const struct pci_device_ops pci_ops = { pci_cfg_read, pci_cfg_write };

/* Per-BAR handler contexts live beside the device. */
struct vfio_assigned_full {
	struct vfio_assigned a;
	struct bar_ctx ctx[VCFG_NR_BARS + 1];	/* [VCFG_ROM]: the ROM */
};

static struct bar_ctx *bar_ctx(struct vfio_assigned *a, int bar)
{
	struct vfio_assigned_full *f = (struct vfio_assigned_full *)a;

	return &f->ctx[bar];
}

/* ---- open / close ---- */

static int open_vfio(struct vfio_assigned *a)
{
	int ret = vfio_iommu_open_device(a);

	if (ret)
		return ret;
	a->info.argsz = sizeof(a->info);
	if (vfio_host->ioctl(a->fd, VFIO_DEVICE_GET_INFO, &a->info)) {
		ret = -errno;
		log_err("%s: VFIO_DEVICE_GET_INFO: %s", a->bdf, strerror(-ret));
		return ret;
	}
	if (!(a->info.flags & VFIO_DEVICE_FLAGS_PCI) ||
	    a->info.num_regions <= VFIO_PCI_CONFIG_REGION_INDEX) {
		log_err("%s: not a VFIO PCI device", a->bdf);
		return -ENODEV;
	}
	return 0;
}

/* VFIO_DEVICE_RESET: 0, -ENOTTY without reset support, or -errno. */
static int device_reset(struct vfio_assigned *a)
{
	if (a->fd < 0 || !(a->info.flags & VFIO_DEVICE_FLAGS_RESET))
		return -ENOTTY;
	return vfio_host->ioctl(a->fd, VFIO_DEVICE_RESET, NULL) ? -errno : 0;
}

/* A reset meeting -EAGAIN: tried 5 times, 5+10+20+40 ms apart. */
#define RESET_TRIES		5
#define RESET_BACKOFF_US	5000

/* device_reset(), again while -EAGAIN: the host holds the device lock (sysfs, another reset). */
static int device_reset_retry(struct vfio_assigned *a)
{
	int ret, i;

	for (i = 0; (ret = device_reset(a)) == -EAGAIN && i < RESET_TRIES - 1; i++)
		usleep(RESET_BACKOFF_US << i);
	return ret;
}

bool vfio_resettable(const struct vfio_assigned *a)
{
	return a->info.flags & VFIO_DEVICE_FLAGS_RESET;
}

static void reset_device(struct vfio_assigned *a, const char *when)
{
	int ret = device_reset_retry(a);

	if (ret == -ENOTTY)
		return;
	if (ret)
		log_warn("%s: reset at %s failed: %s", a->bdf, when, strerror(-ret));
	else
		log_debug("%s: reset at %s", a->bdf, when);
}

void vfio_set_removal_notify(struct vfio_assigned *a, void (*fn)(void *opaque), void *opaque)
{
	pthread_mutex_lock(&a->lock);
	a->removal_notify = fn;
	a->removal_opaque = opaque;
	pthread_mutex_unlock(&a->lock);
}

bool vfio_removal_requested(struct vfio_assigned *a)
{
	return atomic_load(&a->remove_requested);
}

/* The host asked for @a back: its owner's orderly removal, else detach now. */
static void host_wants_it(struct vfio_assigned *a, const char *why)
{
	void (*fn)(void *opaque);
	void *opaque;

	pthread_mutex_lock(&a->lock);
	fn = a->removal_notify;
	opaque = a->removal_opaque;
	pthread_mutex_unlock(&a->lock);
	if (!fn) {
		vfio_detach(a, why);
		return;
	}
	if (!atomic_exchange(&a->remove_requested, true))
		log_info("%s: %s", a->bdf, why);
	fn(opaque);
}

static void *service_thread(void *arg)
{
	struct vfio_assigned *a = arg;
	struct epoll_event ev[16];

	for (;;) {
		int n = epoll_wait(a->epfd, ev, 16, -1), i;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_err("%s: epoll_wait: %s", a->bdf, strerror(errno));
			return NULL;
		}
		for (i = 0; i < n; i++) {
			uint32_t tag = ev[i].data.u32;
			uint64_t v;

			if (tag == VFIO_EP_STOP)
				return NULL;
			if (tag == VFIO_EP_REQ) {
				if (read(a->req_efd, &v, sizeof(v)) == sizeof(v))
					host_wants_it(a, "removal requested by the host");
			} else if (tag == VFIO_EP_VFPOST) {
				if (vfio_vfpost_remove_requested(a->vp))
					host_wants_it(a, "removal requested (vfpost event)");
			} else {
				vfio_irq_relay_event(a, tag);
			}
		}
	}
}

static int ep_add(struct vfio_assigned *a, int fd, uint32_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

	return epoll_ctl(a->epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static int start_service(struct vfio_assigned *a)
{
	struct vfio_irq_info irq = { .argsz = sizeof(irq), .index = VFIO_PCI_REQ_IRQ_INDEX };
	int ret;

	a->epfd = epoll_create1(EPOLL_CLOEXEC);
	a->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (a->epfd < 0 || a->stop_efd < 0)
		return -errno;
	ret = ep_add(a, a->stop_efd, VFIO_EP_STOP);
	if (ret)
		return ret;
	/* VFIO's device request interrupt: the host wants the device back. */
	if (a->info.num_irqs > VFIO_PCI_REQ_IRQ_INDEX &&
	    !vfio_host->ioctl(a->fd, VFIO_DEVICE_GET_IRQ_INFO, &irq) && irq.count) {
		a->req_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (a->req_efd < 0)
			return -errno;
		ret = vfio_set_irqs(a, VFIO_PCI_REQ_IRQ_INDEX,
				    VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
				    0, 1, &a->req_efd);
		if (!ret)
			ret = ep_add(a, a->req_efd, VFIO_EP_REQ);
		if (ret)
			log_warn("%s: no device request channel (%s)", a->bdf, strerror(-ret));
	}
	if (a->vfpost_loaded) {
		a->vp = vfio_vfpost_subscribe(a->bdf);
		if (a->vp && ep_add(a, vfio_vfpost_fd(a->vp), VFIO_EP_VFPOST))
			log_warn("%s: cannot watch vfpost events", a->bdf);
	}
	ret = vmm_thread_start(&a->thread, service_thread, a);
	if (ret)
		return -ret;
	a->thread_started = true;
	return 0;
}

static void stop_service(struct vfio_assigned *a)
{
	uint64_t one = 1;

	if (a->thread_started) {
		if (write(a->stop_efd, &one, sizeof(one)) != sizeof(one))
			log_warn("%s: cannot stop the service thread", a->bdf);
		else
			pthread_join(a->thread, NULL);
		a->thread_started = false;
	}
	if (a->vp) {
		vfio_vfpost_unsubscribe(a->vp);
		a->vp = NULL;
	}
}

/* Drop the device: bus, BARs, interrupts, mappings, fds.  Idempotent. */
static void close_device(struct vfio_assigned *a, bool reset)
{
	int i;

	if (a->on_bus) {
		pci_bus_remove(vfio_host->pci_bus(a->vm), &a->pdev);
		a->on_bus = false;
	}
	for (i = 0; i <= VCFG_ROM; i++)
		bar_unmap(a, i);
	pthread_mutex_lock(&a->lock);
	vfio_irq_teardown(a);
	pthread_mutex_unlock(&a->lock);
	if (a->req_efd >= 0 && a->fd >= 0)
		vfio_set_irqs(a, VFIO_PCI_REQ_IRQ_INDEX,
			      VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0, NULL);
	if (reset)
		reset_device(a, "exit");
	for (i = 0; i < VCFG_NR_BARS; i++)
		region_munmap(&a->bar[i]);
	vfio_iommu_close_device(a);
}

void vfio_detach(struct vfio_assigned *a, const char *why)
{
	pthread_mutex_lock(&a->lock);
	if (a->dead) {
		pthread_mutex_unlock(&a->lock);
		return;
	}
	a->dead = true;
	pthread_mutex_unlock(&a->lock);
	close_device(a, false);
	log_info("%s: %s: device detached and closed, the VM keeps running", a->bdf, why);
}

/*
 * Give the guest addresses setup_bars() and setup_rom() took back to the
 * bus, so that a device added and removed again and again reuses them.
 */
static void free_bar_homes(struct vfio_assigned *a)
{
	struct pci_bus *bus = vfio_host->pci_bus(a->vm);
	int i;

	for (i = 0; i < VCFG_NR_BARS; i++) {
		if (!a->bar_home[i])
			continue;
		if (a->cfg.bar[i].io)
			pci_free_io(bus, a->bar_home[i], a->cfg.bar[i].size);
		else
			pci_free_bar(bus, a->bar_home[i], a->cfg.bar[i].size);
	}
	/* the ROM: always memory, its size in its region (vcfg keeps no BAR 6) */
	if (a->bar_home[VCFG_ROM])
		pci_free_bar(bus, a->bar_home[VCFG_ROM], a->bar[VCFG_ROM].size);
}

static void destroy(struct vfio_assigned *a)
{
	stop_service(a);
	close_device(a, !a->dead);
	if (a->req_efd >= 0)
		close(a->req_efd);
	if (a->stop_efd >= 0)
		close(a->stop_efd);
	if (a->epfd >= 0)
		close(a->epfd);
	if (a->claimed && vfio_vfpost_release(a->bdf, a->claim))
		log_warn("%s: could not release the vfpost claim (vfpostctl release %s)",
			 a->bdf, a->bdf);
	free_bar_homes(a);
	msix_free(&a->msix);
	free(a->vec);
	free(a->rom_data);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

int vfio_precheck(const char *bdf, enum irq_path path, enum vfio_backend backend)
{
	struct vfio_facts f;
	char drv[64], err[512];
	enum vfio_plan plan;

	read_facts(bdf, &f, drv, sizeof(drv));
	plan = vfio_plan(bdf, &f, err, sizeof(err));
	if (plan == VFIO_PLAN_ERROR) {
		log_err("%s", err);
		return -1;
	}
	/* a claim binds it to vfpost */
	if (irqpath_select(path, plan == VFIO_PLAN_CLAIM ? "vfpost" : drv, err,
			   sizeof(err)) < 0) {
		log_err("%s: %s", bdf, err);
		return -1;
	}
	return vfio_iommu_precheck(bdf, backend) ? -1 : 0;
}

static int acquire(struct vfio_assigned *a, enum irq_path path)
{
	struct vfio_facts f;
	char err[512];
	int p;

	read_facts(a->bdf, &f, a->driver, sizeof(a->driver));
	a->is_vf = f.is_vf;
	a->vfpost_loaded = f.vfpost_loaded;
	switch (vfio_plan(a->bdf, &f, err, sizeof(err))) {
	case VFIO_PLAN_ERROR:
		log_err("%s", err);
		return -ENODEV;
	case VFIO_PLAN_CLAIM:
		if (vfio_vfpost_claim(a->bdf, &a->claim, err, sizeof(err))) {
			log_err("%s", err);
			return -EBUSY;
		}
		a->claimed = true;
		read_facts(a->bdf, &f, a->driver, sizeof(a->driver));
		log_info("%s: claimed through vfpost (released at exit, or by the kernel if vibevmm dies)",
			 a->bdf);
		break;
	case VFIO_PLAN_OPEN:
		if (!f.vfpost_loaded && f.is_vf)
			log_info("%s: vfpost is not loaded: using plain %s (no vfpost fast path)",
				 a->bdf, a->driver);
		break;
	}
	p = irqpath_select(path, a->driver, err, sizeof(err));
	if (p < 0) {
		log_err("%s: %s", a->bdf, err);
		return -EINVAL;
	}
	a->path = p;
	return 0;
}

/* The ROM's contents, read once: VFIO maps and unmaps it at every read. */
#define ROM_MAX		(16u << 20)	/* larger: hidden (kept in memory) */

static int read_rom(struct vfio_assigned *a, const struct vfio_region *r)
{
	uint64_t done = 0;

	a->rom_data = malloc(r->size);
	if (!a->rom_data)
		return -ENOMEM;
	while (done < r->size) {
		ssize_t n = vfio_host->pread(a->fd, a->rom_data + done, r->size - done,
					     r->offset + done);

		if (n <= 0) {
			free(a->rom_data);
			a->rom_data = NULL;
			return n < 0 ? -errno : -EIO;
		}
		done += n;
	}
	return 0;
}

/*
 * The ROM BAR, read-only and trapped (never mmapped), unless hidden or
 * absent; placed in the 32-bit window, disabled, as firmware would.
 */
static int setup_rom(struct vfio_assigned *a)
{
	struct vfio_region *r = &a->bar[VCFG_ROM];
	uint64_t gpa;
	int ret;

	if (a->rom_off || a->info.num_regions <= VFIO_PCI_ROM_REGION_INDEX)
		return 0;
	ret = region_info(a, VFIO_PCI_ROM_REGION_INDEX, r);
	if (ret || !r->size || !(r->flags & VFIO_REGION_INFO_FLAG_READ)) {
		memset(r, 0, sizeof(*r));
		return 0;	/* no ROM */
	}
	r->nr_mmap = 0;
	if (r->size > ROM_MAX || vcfg_set_rom(&a->cfg, r->size, 0)) {
		log_warn("%s: ROM of %llu bytes is not a power of two from 2 KiB to 16 MiB; hidden",
			 a->bdf, (unsigned long long)r->size);
		memset(r, 0, sizeof(*r));
		return 0;
	}
	ret = read_rom(a, r);
	if (ret) {
		log_warn("%s: ROM of %llu bytes cannot be read (%s); hidden", a->bdf,
			 (unsigned long long)r->size, strerror(-ret));
		vcfg_set_rom(&a->cfg, 0, 0);
		memset(r, 0, sizeof(*r));
		return 0;
	}
	ret = pci_alloc_bar(vfio_host->pci_bus(a->vm), r->size, false, &gpa);
	if (ret) {
		log_err("%s: no room for its %llu-byte ROM in the guest's PCI window; hide it with --vfio %s,rom=off",
			a->bdf, (unsigned long long)r->size, a->bdf);
		return ret;
	}
	a->bar_home[VCFG_ROM] = gpa;
	return vcfg_set_rom(&a->cfg, r->size, gpa);
}

static int setup_bars(struct vfio_assigned *a)
{
	uint64_t sizes[VCFG_NR_BARS] = { 0 };
	struct pci_bus *bus = vfio_host->pci_bus(a->vm);
	int i, ret;

	for (i = 0; i < VCFG_NR_BARS; i++) {
		if ((unsigned int)i >= a->info.num_regions)
			break;
		ret = region_info(a, VFIO_PCI_BAR0_REGION_INDEX + i, &a->bar[i]);
		if (ret) {
			log_err("%s: BAR%d region info: %s", a->bdf, i, strerror(-ret));
			return ret;
		}
		sizes[i] = a->bar[i].size;
	}
	ret = region_info(a, VFIO_PCI_CONFIG_REGION_INDEX, &a->cfg_region);
	if (ret) {
		log_err("%s: config region info: %s", a->bdf, strerror(-ret));
		return ret;
	}
	ret = vcfg_init(&a->cfg, &cfg_backend, a, &cfg_ops, a, sizes,
			a->is_vf || !a->has_intx);
	if (ret) {
		log_err("%s: unsupported config space (%s)%s", a->bdf, strerror(-ret),
			ret == -EINVAL ? ": a non-power-of-two BAR, a 64-bit BAR in the last slot, an MSI-X BIR of 6 or 7, or an MSI/MSI-X capability past 0xff or overlapping the other" : "");
		return ret;
	}
	for (i = 0; i < VCFG_NR_BARS; i++) {
		struct vcfg_bar *b = &a->cfg.bar[i];
		uint64_t gpa;
		uint16_t port;

		if (!b->size)
			continue;
		if (b->io) {
			ret = pci_alloc_io(bus, b->size, &port);
			gpa = port;
		} else {
			ret = pci_alloc_bar(bus, b->size, b->mem64, &gpa);
			region_mmap(a, &a->bar[i]);
		}
		if (ret) {
			log_err("%s: no room for BAR%d (%llu bytes) in the guest's PCI window",
				a->bdf, i, (unsigned long long)b->size);
			return ret;
		}
		a->bar_home[i] = gpa;
		vcfg_set_bar_addr(&a->cfg, i, gpa);
	}
	vcfg_set_resettable(&a->cfg, a->info.flags & VFIO_DEVICE_FLAGS_RESET);
	return setup_rom(a);
}

static bool msix_in_bar(const struct vfio_assigned *a, int bar, uint32_t off, unsigned int len)
{
	const struct vcfg_bar *b = &a->cfg.bar[bar];

	return b->size && !b->io && !b->upper && off + (uint64_t)len <= b->size;
}

static int setup_msix(struct vfio_assigned *a)
{
	unsigned int nr, i;
	int pba_bar, ret;

	if (!vcfg_msix_table(&a->cfg, &a->msix_bar, &a->msix_table_off, &nr))
		return 0;
	vcfg_msix_pba(&a->cfg, &pba_bar, &a->msix_pba_off);
	ret = msix_init(&a->msix, nr, &vfio_msix_ops, a);
	if (ret)
		return ret;
	/* table and PBA each inside a memory BAR (the same one or not) */
	if (!msix_in_bar(a, a->msix_bar, a->msix_table_off, msix_table_size(&a->msix)) ||
	    !msix_in_bar(a, pba_bar, a->msix_pba_off, msix_pba_size(&a->msix))) {
		log_err("%s: MSI-X table (BAR%d+0x%x) or PBA (BAR%d+0x%x) lies outside its memory BAR",
			a->bdf, a->msix_bar, a->msix_table_off, pba_bar, a->msix_pba_off);
		return -ENOTSUP;
	}
	a->msix_pba_bar = pba_bar;
	if (a->info.num_irqs > VFIO_PCI_MSIX_IRQ_INDEX) {
		struct vfio_irq_info irq = { .argsz = sizeof(irq),
					     .index = VFIO_PCI_MSIX_IRQ_INDEX };

		a->msix_resizable = !vfio_host->ioctl(a->fd, VFIO_DEVICE_GET_IRQ_INFO, &irq) &&
				    !(irq.flags & VFIO_IRQ_INFO_NORESIZE);
	}
	a->vec = calloc(nr, sizeof(*a->vec));
	if (!a->vec)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		a->vec[i].efd = -1;
		a->vec[i].gsi = -1;
	}
	a->has_msix = true;
	return 0;
}

struct vfio_assigned *vfio_assign(struct vm *vm, const char *bdf, enum irq_path path,
				  enum vfio_backend backend, const struct vfio_dev_opts *opts)
{
	return vfio_assign_owned(vm, bdf, path, backend, opts, NULL, NULL);
}

struct vfio_assigned *vfio_assign_owned(struct vm *vm, const char *bdf, enum irq_path path,
					enum vfio_backend backend,
					const struct vfio_dev_opts *opts,
					void (*fn)(void *opaque), void *opaque)
{
	struct vfio_assigned_full *full = calloc(1, sizeof(*full));
	struct vfio_assigned *a = &full->a;
	int i, ret;

	if (!full) {
		log_err("%s: out of memory", bdf);
		return NULL;
	}
	for (i = 0; i <= VCFG_ROM; i++) {
		full->ctx[i].a = a;
		full->ctx[i].bar = i;
	}
	a->vm = vm;
	a->backend = backend;
	a->rom_off = opts && opts->rom_off;
	snprintf(a->bdf, sizeof(a->bdf), "%s", bdf);
	a->group = a->fd = -1;
	a->epfd = a->stop_efd = a->req_efd = -1;
	a->intx_efd = a->intx_resample = -1;
	a->msi.efd = a->msi.gsi = -1;
	a->removal_notify = fn;		/* no thread yet: no lock needed */
	a->removal_opaque = opaque;
	pthread_mutex_init(&a->lock, NULL);

	if (acquire(a, path) || open_vfio(a))
		goto fail;
	/*
	 * Reset before guest RAM is mapped (vfio_map_guest_ram(), after the
	 * last device): no DMA a device had in flight may reach it.
	 */
	reset_device(a, "start");
	if (a->info.num_irqs > VFIO_PCI_INTX_IRQ_INDEX && !a->is_vf) {
		struct vfio_irq_info irq = { .argsz = sizeof(irq),
					     .index = VFIO_PCI_INTX_IRQ_INDEX };

		a->has_intx = !vfio_host->ioctl(a->fd, VFIO_DEVICE_GET_IRQ_INFO, &irq) && irq.count;
	}
	if (setup_bars(a) || setup_msix(a))
		goto fail;
	a->has_msi = a->cfg.msi_cap != 0;
	a->pdev.ops = &pci_ops;
	a->pdev.priv = a;
	ret = pci_bus_add(vfio_host->pci_bus(vm), &a->pdev);
	if (ret) {
		log_err("%s: no free slot on the guest's PCI bus", bdf);
		goto fail;
	}
	a->on_bus = true;
	a->cfg.irq_line = a->cfg.irq_pin ? a->pdev.intx_gsi : 0;
	ret = vfio_irq_init(a);
	if (ret) {
		log_err("%s: interrupt setup failed: %s", bdf, strerror(-ret));
		goto fail;
	}
	ret = start_service(a);
	if (ret) {
		log_err("%s: cannot start its service thread: %s", bdf, strerror(-ret));
		goto fail;
	}
	log_info("%s: assigned as 00:%02x.0 (driver %s, irq path %s%s%s%s, DMA through %s)", bdf,
		 a->pdev.devfn >> 3, a->driver, irqpath_name(a->path),
		 a->has_msix ? ", MSI-X" : "", a->has_msi ? ", MSI" : "",
		 a->has_intx ? ", INTx" : "", vfio_backend_name(a->backend));
	return a;
fail:
	destroy(a);
	return NULL;
}

int vfio_map_guest_ram(struct vfio_assigned *a)
{
	return vfio_iommu_map_ram(a);
}

void vfio_release(struct vfio_assigned *a)
{
	if (a)
		destroy(a);
}
