// SPDX-License-Identifier: GPL-2.0
/*
 * VFIO passthrough: what sysfs says of a PCI device (its driver, IOMMU
 * group, whether the driver is a VFIO one).  Below both the device code
 * (vfio_pci.c) and the backends (vfio_iommu.c); reads go through vfio_host
 * so the unit tests can fake them.
 */
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "vfio_host.h"
#include "vfio_priv.h"

#define SYS_PCI "/sys/bus/pci/devices/"

bool vfio_sys_exists(const char *bdf, const char *attr)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), SYS_PCI "%s%s%s", bdf, *attr ? "/" : "", attr);
	return vfio_host->exists(path);
}

/* Basename of the symlink SYS_PCI/bdf/attr into @out ("" if absent). */
void vfio_sys_link_name(const char *bdf, const char *attr, char *out, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	out[0] = '\0';
	snprintf(path, sizeof(path), SYS_PCI "%s/%s", bdf, attr);
	n = vfio_host->readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return;
	target[n] = '\0';
	snprintf(out, len, "%s", basename(target));
}

/*
 * Whether @bdf, bound to @driver, is a VFIO device, whatever the driver's
 * name: vfio-pci, vfpost, or a variant driver such as mlx5_vfio_pci.
 *  - kernels with VFIO_DEVICE_CDEV (6.6+) give a VFIO device a vfio-dev
 *    directory (vfio-dev/vfioN);
 *  - before that, every VFIO PCI driver is built on vfio_pci_core: its
 *    module holds vfio_pci_core (/sys/module/vfio_pci_core/holders/MOD);
 *  - a vfio-pci built into the kernel has no module: its name is the last
 *    resort.
 */
bool vfio_is_vfio_device(const char *bdf, const char *driver)
{
	char path[PATH_MAX], mod[64];

	if (!driver || !*driver)
		return false;
	if (vfio_sys_exists(bdf, "vfio-dev"))
		return true;
	vfio_sys_link_name(bdf, "driver/module", mod, sizeof(mod));
	if (mod[0]) {
		snprintf(path, sizeof(path), "/sys/module/vfio_pci_core/holders/%s", mod);
		return vfio_host->exists(path);
	}
	return !strcmp(driver, "vfio-pci");
}
