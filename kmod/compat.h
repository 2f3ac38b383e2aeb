/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every kernel-version difference vfpost cares about, in one place.
 * Supported: 6.1 .. 6.16 (tested: Debian 6.1 and 6.12); 6.17+ irq bypass API.
 */
#ifndef _VFPOST_COMPAT_H
#define _VFPOST_COMPAT_H

#include <linux/version.h>
#include <linux/device.h>
#include <linux/pci.h>
#include <linux/string.h>

/*
 * driver_override moved from struct pci_dev (set with driver_set_override()
 * under the device lock) into struct device (device_set_driver_override(),
 * its own spinlock).  Debian's 6.12.117 has the backport; 6.1 does not.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 117)
static inline int vfpost_set_override(struct pci_dev *pdev, const char *s)
{
	return device_set_driver_override(&pdev->dev, s);
}

static inline void vfpost_get_override(struct pci_dev *pdev, char *buf,
				       size_t len)
{
	spin_lock(&pdev->dev.driver_override.lock);
	strscpy(buf, pdev->dev.driver_override.name ?: "", len);
	spin_unlock(&pdev->dev.driver_override.lock);
}
#else
static inline int vfpost_set_override(struct pci_dev *pdev, const char *s)
{
	return driver_set_override(&pdev->dev, &pdev->driver_override, s,
				   strlen(s));
}

static inline void vfpost_get_override(struct pci_dev *pdev, char *buf,
				       size_t len)
{
	device_lock(&pdev->dev);
	strscpy(buf, pdev->driver_override ?: "", len);
	device_unlock(&pdev->dev);
}
#endif

#endif /* _VFPOST_COMPAT_H */
