// SPDX-License-Identifier: GPL-2.0
/*
 * Glue between the kernel's VFIO selftest library (libvfio, built from
 * linux-source by scripts/kvfio-build) and the project's driver for it.
 *
 * - The library's driver table (lib/vfio_pci_driver.c) is a static array
 *   of ioat and dsa: linked with ld --wrap=vfio_pci_driver_probe, every
 *   call to the library's probe comes here first, runs the library's own
 *   and offers the device to nvme_ops when none of its drivers took it.
 * - Tests without an IOMMU-mode variant (vfio_pci_device_test, the driver
 *   probe of vfio_pci_driver_test) use default_iommu_mode, which upstream
 *   sets to iommufd.  Debian's kernels have no IOMMUFD: the mode comes from
 *   $VFPOST_VFIO_IOMMU_MODE when it is set (one of the library's mode
 *   names, vfio_type1v2_iommu for example).
 */
#include <stdlib.h>

#include <libvfio.h>

extern const struct vfio_pci_driver_ops nvme_ops;

void __real_vfio_pci_driver_probe(struct vfio_pci_device *device);
void __wrap_vfio_pci_driver_probe(struct vfio_pci_device *device);

void __wrap_vfio_pci_driver_probe(struct vfio_pci_device *device)
{
	__real_vfio_pci_driver_probe(device);
	if (!device->driver.ops && !nvme_ops.probe(device))
		device->driver.ops = &nvme_ops;
}

static void __attribute__((constructor)) kvfio_iommu_mode(void)
{
	const char *mode = getenv("VFPOST_VFIO_IOMMU_MODE");

	if (mode && *mode)
		default_iommu_mode = mode;
}
