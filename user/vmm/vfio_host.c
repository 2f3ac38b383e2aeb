// SPDX-License-Identifier: GPL-2.0
/*
 * The real host interface of the VFIO passthrough: system calls and the
 * VM's own services.  See vfio_host.h.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "gsi.h"
#include "pci.h"
#include "vfio_host.h"

static int h_open(const char *path, int flags)
{
	return open(path, flags);
}

static int h_ioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg);
}

static void *h_mmap(size_t len, int fd, off_t off)
{
	return mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
}

static ssize_t h_readlink(const char *path, char *buf, size_t len)
{
	return readlink(path, buf, len);
}

static bool h_exists(const char *path)
{
	struct stat st;

	return !stat(path, &st);
}

static int h_dir_first(const char *path, const char *prefix, char *out, size_t len)
{
	struct dirent *de;
	int ret = -ENOENT;
	DIR *d;

	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, prefix, strlen(prefix))) {
			snprintf(out, len, "%s", de->d_name);
			ret = 0;
			break;
		}
	closedir(d);
	return ret;
}

static int h_irqfd(struct vm *vm, const struct kvm_irqfd *f)
{
	return ioctl(vm_fd(vm), KVM_IRQFD, f) ? -errno : 0;
}

static int h_signal_msi(struct vm *vm, const struct kvm_msi *m)
{
	return ioctl(vm_fd(vm), KVM_SIGNAL_MSI, m) < 0 ? -errno : 0;
}

const struct vfio_host_ops vfio_host_real = {
	.open = h_open,
	.close = close,
	.ioctl = h_ioctl,
	.pread = pread,
	.pwrite = pwrite,
	.mmap = h_mmap,
	.munmap = munmap,
	.readlink = h_readlink,
	.exists = h_exists,
	.dir_first = h_dir_first,
	.irqfd = h_irqfd,
	.signal_msi = h_signal_msi,
	.gsi_alloc_msi = gsi_alloc_msi,
	.gsi_update_msi = gsi_update_msi,
	.gsi_free = gsi_free,
	.for_each_ram = vm_for_each_ram,
	.map_memslot = vm_map_memslot,
	.unmap_memslot = vm_unmap_memslot,
	.register_mmio = vm_register_mmio,
	.unregister_mmio = vm_unregister_mmio,
	.register_pio = vm_register_pio,
	.unregister_pio = vm_unregister_pio,
	.pci_bus = vm_pci_bus,
};

const struct vfio_host_ops *vfio_host = &vfio_host_real;
