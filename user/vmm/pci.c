// SPDX-License-Identifier: GPL-2.0
/*
 * PCI bus 0 with a host bridge at 00:00.0, configuration mechanism #1 and
 * ECAM, and the BAR allocation windows.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pci.h"

#define PCI_SLOTS	32

#define PCI_FREED	32	/* ranges given back per window, kept for reuse */

struct pci_window {
	uint64_t base, size, next;
	/* given back by a removed device; an allocation of the same size reuses one */
	struct { uint64_t addr, size; } freed[PCI_FREED];
	int nr_freed;
};

struct pci_bus {
	pthread_mutex_t lock;		/* devs[], cf8 and config callbacks */
	pthread_mutex_t alloc_lock;	/* the windows */
	uint32_t cf8;
	struct pci_device *devs[PCI_SLOTS];
	uint32_t held;			/* slots reused last (pci_bus_hold_slot()) */
	struct pci_device host;
	struct pci_window mmio32, mmio64, io;
};

/* Host bridge config space: read-only apart from nothing. */
static uint32_t host_cfg_read(struct pci_device *dev, unsigned int off, unsigned int len)
{
	uint8_t cfg[64] = { 0 };
	uint32_t v = 0;

	/* Red Hat, Inc. QEMU PCIe host bridge IDs: Linux knows them. */
	cfg[0x00] = 0x36; cfg[0x01] = 0x1b;	/* vendor 0x1b36 */
	cfg[0x02] = 0x08; cfg[0x03] = 0x00;	/* device 0x0008 */
	cfg[0x04] = 0x00; cfg[0x06] = 0x00;	/* command, status */
	cfg[0x0a] = 0x00; cfg[0x0b] = 0x06;	/* class 0600: host bridge */
	cfg[0x0e] = 0x00;			/* header type 0 */
	cfg[0x2c] = 0xf4; cfg[0x2d] = 0x1a;	/* subsystem vendor */
	cfg[0x2e] = 0x00; cfg[0x2f] = 0x11;
	if (off + len <= sizeof(cfg))
		memcpy(&v, cfg + off, len);
	return v;
}

static void host_cfg_write(struct pci_device *dev, unsigned int off, unsigned int len, uint32_t val)
{
}

static const struct pci_device_ops host_ops = {
	.cfg_read = host_cfg_read,
	.cfg_write = host_cfg_write,
};

struct pci_bus *pci_bus_new(uint64_t mmio32_base, uint64_t mmio32_size,
			    uint64_t mmio64_base, uint64_t mmio64_size,
			    uint32_t io_base, uint32_t io_size)
{
	struct pci_bus *bus = calloc(1, sizeof(*bus));

	if (!bus)
		return NULL;
	pthread_mutex_init(&bus->lock, NULL);
	pthread_mutex_init(&bus->alloc_lock, NULL);
	bus->mmio32 = (struct pci_window){ .base = mmio32_base, .size = mmio32_size, .next = mmio32_base };
	bus->mmio64 = (struct pci_window){ .base = mmio64_base, .size = mmio64_size, .next = mmio64_base };
	bus->io = (struct pci_window){ .base = io_base, .size = io_size, .next = io_base };
	bus->host.ops = &host_ops;
	bus->host.devfn = 0;
	bus->host.intx_gsi = -1;
	bus->devs[0] = &bus->host;
	return bus;
}

void pci_bus_free(struct pci_bus *bus)
{
	if (!bus)
		return;
	pthread_mutex_destroy(&bus->lock);
	pthread_mutex_destroy(&bus->alloc_lock);
	free(bus);
}

void pci_bus_windows(struct pci_bus *bus, uint64_t *m32, uint64_t *m32sz,
		     uint64_t *m64, uint64_t *m64sz, uint32_t *io, uint32_t *iosz)
{
	*m32 = bus->mmio32.base;
	*m32sz = bus->mmio32.size;
	*m64 = bus->mmio64.base;
	*m64sz = bus->mmio64.size;
	*io = bus->io.base;
	*iosz = bus->io.size;
}

int pci_bus_add(struct pci_bus *bus, struct pci_device *dev)
{
	unsigned int slot;

	if (!dev->ops || !dev->ops->cfg_read || !dev->ops->cfg_write)
		return -EINVAL;
	pthread_mutex_lock(&bus->lock);
	for (slot = 1; slot < PCI_SLOTS; slot++)
		if (!bus->devs[slot] && !(bus->held & (1u << slot)))
			break;
	if (slot == PCI_SLOTS)		/* only held ones left */
		for (slot = 1; slot < PCI_SLOTS; slot++)
			if (!bus->devs[slot])
				break;
	if (slot == PCI_SLOTS) {
		pthread_mutex_unlock(&bus->lock);
		return -ENOSPC;
	}
	bus->held &= ~(1u << slot);
	dev->devfn = slot << 3;
	dev->intx_gsi = pci_intx_gsi(slot, 0);
	bus->devs[slot] = dev;
	pthread_mutex_unlock(&bus->lock);
	log_verbose("PCI 00:%02x.0 added (INTA -> GSI %d)", slot, dev->intx_gsi);
	return 0;
}

void pci_bus_remove(struct pci_bus *bus, struct pci_device *dev)
{
	unsigned int slot = dev->devfn >> 3;

	pthread_mutex_lock(&bus->lock);
	if (slot && slot < PCI_SLOTS && bus->devs[slot] == dev)
		bus->devs[slot] = NULL;
	pthread_mutex_unlock(&bus->lock);
}

void pci_bus_hold_slot(struct pci_bus *bus, unsigned int slot, bool hold)
{
	if (!slot || slot >= PCI_SLOTS)
		return;
	pthread_mutex_lock(&bus->lock);
	if (hold)
		bus->held |= 1u << slot;
	else
		bus->held &= ~(1u << slot);
	pthread_mutex_unlock(&bus->lock);
}

uint32_t pci_device_cfg_read(struct pci_bus *bus, struct pci_device *dev, unsigned int off,
			     unsigned int len)
{
	uint32_t v;

	pthread_mutex_lock(&bus->lock);
	v = dev->ops->cfg_read(dev, off, len);
	pthread_mutex_unlock(&bus->lock);
	return v;
}

static int window_alloc(struct pci_bus *bus, struct pci_window *w, uint64_t size,
			uint64_t *addr)
{
	uint64_t a;
	int i;

	/* Power-of-two sizes, naturally aligned (what BARs require). */
	if (!size || (size & (size - 1)))
		return -EINVAL;
	pthread_mutex_lock(&bus->alloc_lock);
	for (i = 0; i < w->nr_freed; i++)
		if (w->freed[i].size == size) {
			*addr = w->freed[i].addr;
			w->freed[i] = w->freed[--w->nr_freed];
			pthread_mutex_unlock(&bus->alloc_lock);
			return 0;
		}
	a = (w->next + size - 1) & ~(size - 1);
	if (a < w->next || a + size < a || a + size > w->base + w->size) {
		pthread_mutex_unlock(&bus->alloc_lock);
		return -ENOSPC;
	}
	w->next = a + size;
	pthread_mutex_unlock(&bus->alloc_lock);
	*addr = a;
	return 0;
}

int pci_alloc_bar(struct pci_bus *bus, uint64_t size, bool mem64, uint64_t *gpa)
{
	/* BARs smaller than a page still get a page: they may be mmapped. */
	if (size && size < 4096)
		size = 4096;
	if (mem64 && !window_alloc(bus, &bus->mmio64, size, gpa))
		return 0;
	return window_alloc(bus, &bus->mmio32, size, gpa);
}

int pci_alloc_io(struct pci_bus *bus, uint32_t size, uint16_t *port)
{
	uint64_t a;
	int ret;

	if (size && size < 4)
		size = 4;
	ret = window_alloc(bus, &bus->io, size, &a);
	if (!ret)
		*port = (uint16_t)a;
	return ret;
}

/* Give [addr, addr + size) back to @w for reuse (by size). */
static void window_free(struct pci_bus *bus, struct pci_window *w, uint64_t addr, uint64_t size)
{
	pthread_mutex_lock(&bus->alloc_lock);
	if (w->nr_freed < PCI_FREED) {
		w->freed[w->nr_freed].addr = addr;
		w->freed[w->nr_freed].size = size;
		w->nr_freed++;
	} else {
		log_warn("PCI window 0x%llx: %d ranges already freed; 0x%llx+0x%llx is not reused",
			 (unsigned long long)w->base, PCI_FREED, (unsigned long long)addr,
			 (unsigned long long)size);
	}
	pthread_mutex_unlock(&bus->alloc_lock);
}

static bool window_has(const struct pci_window *w, uint64_t addr)
{
	return addr >= w->base && addr - w->base < w->size;
}

void pci_free_bar(struct pci_bus *bus, uint64_t gpa, uint64_t size)
{
	if (size && size < 4096)
		size = 4096;
	if (window_has(&bus->mmio64, gpa))
		window_free(bus, &bus->mmio64, gpa, size);
	else if (window_has(&bus->mmio32, gpa))
		window_free(bus, &bus->mmio32, gpa, size);
}

void pci_free_io(struct pci_bus *bus, uint16_t port, uint32_t size)
{
	if (size && size < 4)
		size = 4;
	if (window_has(&bus->io, port))
		window_free(bus, &bus->io, port, size);
}

/* Dispatch one config access to devfn; off within the 4 KiB space. */
static void cfg_access(struct pci_bus *bus, unsigned int devfn, unsigned int off,
		       void *data, unsigned int len, bool is_write)
{
	struct pci_device *dev;
	uint32_t v = 0;

	/* 8 bytes (a guest's movq to ECAM) or odd sizes: ignore, read all ones */
	if ((len != 1 && len != 2 && len != 4) || (off & (len - 1)))
		goto none;
	pthread_mutex_lock(&bus->lock);
	dev = (devfn & 7) ? NULL : bus->devs[devfn >> 3];
	if (!dev) {
		pthread_mutex_unlock(&bus->lock);
		goto none;
	}
	if (is_write) {
		memcpy(&v, data, len);
		dev->ops->cfg_write(dev, off, len, v);
	} else {
		v = dev->ops->cfg_read(dev, off, len);
		memcpy(data, &v, len);
	}
	pthread_mutex_unlock(&bus->lock);
	return;
none:
	if (!is_write)
		memset(data, 0xff, len);
}

void pci_bus_conf1_io(struct pci_bus *bus, uint64_t off, void *data, unsigned int len,
		      bool is_write)
{
	uint32_t addr;

	if (off < 4) {
		/* 0xcf8: only dword accesses hit the address register. */
		if (off != 0 || len != 4) {
			if (!is_write)
				memset(data, 0xff, len);
			return;
		}
		pthread_mutex_lock(&bus->lock);
		if (is_write)
			memcpy(&bus->cf8, data, 4);
		else
			memcpy(data, &bus->cf8, 4);
		pthread_mutex_unlock(&bus->lock);
		return;
	}
	pthread_mutex_lock(&bus->lock);
	addr = bus->cf8;
	pthread_mutex_unlock(&bus->lock);
	/* enable bit, bus 0 only; bits 27:24 extend the register (AMD style) */
	if (!(addr & 0x80000000u) || ((addr >> 16) & 0xff) != 0) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	cfg_access(bus, (addr >> 8) & 0xff,
		   (addr & 0xfc) | ((addr >> 16) & 0xf00) | (off - 4), data, len, is_write);
}

void pci_bus_ecam_io(struct pci_bus *bus, uint64_t off, void *data, unsigned int len,
		     bool is_write)
{
	if (off >> 20) {	/* bus != 0 */
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	cfg_access(bus, (off >> 12) & 0xff, off & 0xfff, data, len, is_write);
}
