/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The host interface of the VFIO passthrough: every file, VFIO ioctl, sysfs
 * lookup and VM (KVM) service that vfio_pci.c and vfio_irq.c use goes
 * through one table of function pointers, so the unit tests can run them
 * against a fake VFIO device and a fake VM (tests/test_vmm_vfio_*.c).
 *
 * vfio_host points at vfio_host_real (the system calls and vm.c) unless a
 * test replaces it before assigning a device.  Contracts follow the system
 * calls they stand for: ioctl, open, close, pread, pwrite, readlink return
 * -1 and set errno on failure; mmap returns MAP_FAILED; the VM services
 * return what vm.h and gsi.h document (0/-errno, a slot or a GSI).
 * Integer ioctl arguments are passed as (void *)(uintptr_t)value.
 */
#ifndef VMM_VFIO_HOST_H
#define VMM_VFIO_HOST_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "vm.h"

struct kvm_irqfd;
struct kvm_msi;
struct pci_bus;

struct vfio_host_ops {
	/* files and VFIO ioctls */
	int (*open)(const char *path, int flags);
	int (*close)(int fd);
	int (*ioctl)(int fd, unsigned long req, void *arg);
	ssize_t (*pread)(int fd, void *buf, size_t len, off_t off);
	ssize_t (*pwrite)(int fd, const void *buf, size_t len, off_t off);
	void *(*mmap)(size_t len, int fd, off_t off);	/* shared, read/write */
	int (*munmap)(void *p, size_t len);
	/* sysfs */
	ssize_t (*readlink)(const char *path, char *buf, size_t len);
	bool (*exists)(const char *path);
	/* First entry of directory @path named @prefix*, into @out; 0 or -errno. */
	int (*dir_first)(const char *path, const char *prefix, char *out, size_t len);

	/* the VM */
	int (*irqfd)(struct vm *vm, const struct kvm_irqfd *f);	/* 0 or -errno */
	int (*signal_msi)(struct vm *vm, const struct kvm_msi *m);	/* 0 or -errno */
	int (*gsi_alloc_msi)(struct vm *vm, uint64_t addr, uint32_t data);
	int (*gsi_update_msi)(struct vm *vm, int gsi, uint64_t addr, uint32_t data);
	void (*gsi_free)(struct vm *vm, int gsi);
	int (*for_each_ram)(struct vm *vm, vm_ram_fn fn, void *opaque);
	int (*map_memslot)(struct vm *vm, uint64_t gpa, uint64_t size, void *hva);
	int (*unmap_memslot)(struct vm *vm, int slot);
	int (*register_mmio)(struct vm *vm, uint64_t gpa, uint64_t len, vm_io_fn fn,
			     void *opaque);
	int (*unregister_mmio)(struct vm *vm, uint64_t gpa, const void *opaque);
	int (*register_pio)(struct vm *vm, uint16_t port, uint16_t len, vm_io_fn fn,
			    void *opaque);
	int (*unregister_pio)(struct vm *vm, uint16_t port, const void *opaque);
	struct pci_bus *(*pci_bus)(struct vm *vm);
};

extern const struct vfio_host_ops vfio_host_real;
extern const struct vfio_host_ops *vfio_host;

#define VFIO_IOCTL_INT(v)	((void *)(uintptr_t)(v))

#endif /* VMM_VFIO_HOST_H */
