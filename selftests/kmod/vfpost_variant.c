// SPDX-License-Identifier: GPL-2.0
/*
 * vfpost_variant: test-only stand-ins for the VFIO drivers a real host
 * binds SR-IOV VFs to, which the lab has none of.  claimlife_test binds a
 * VF to each and checks what a claim of it does (Documentation/vfpost.rst,
 * "Opening against unbinding").  Every driver binds only through
 * driver_override and manages DMA itself (driver_managed_dma), like a VFIO
 * driver:
 *
 *   vfpost_variant       a minimal vfio-pci-core variant driver using
 *                        vfio-pci-core's error handlers (as vfio-pci,
 *                        ism, nvgrace-gpu do): vfpost can read whether
 *                        it is open
 *   vfpost_variant_own   the same with error handlers of its own (as mlx5,
 *                        hisi, pds, qat, virtio do): vfpost cannot
 *   vfpost_dma_owner     a PCI driver that is not vfio-pci-core based at
 *                        all, binds and does nothing else
 *
 * The variants are what vfio-pci itself is, minus its module options and
 * VGA and IGD quirks: open enables the device through vfio-pci-core, every
 * other op is vfio-pci-core's.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/pci.h>
#include <linux/vfio.h>
#include <linux/vfio_pci_core.h>

#include "compat.h"

static int tv_open_device(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev =
		container_of(core_vdev, struct vfio_pci_core_device, vdev);
	int ret;

	ret = vfio_pci_core_enable(vdev);
	if (ret)
		return ret;
	vfio_pci_core_finish_enable(vdev);
	return 0;
}

static const struct vfio_device_ops tv_ops = {
	.name		= "vfpost-variant",
	.init		= vfio_pci_core_init_dev,
	.release	= vfio_pci_core_release_dev,
	VFPOST_IOMMUFD_OPS
	VFPOST_PASID_OPS
	.open_device	= tv_open_device,
	.close_device	= vfio_pci_core_close_device,
	.ioctl		= vfio_pci_core_ioctl,
	VFPOST_REGION_INFO_OP
	.device_feature	= vfio_pci_core_ioctl_feature,
	.read		= vfio_pci_core_read,
	.write		= vfio_pci_core_write,
	.mmap		= vfio_pci_core_mmap,
	.request	= vfio_pci_core_request,
	.match		= vfio_pci_core_match,
	VFPOST_MATCH_TOKEN_OP
};

static int tv_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct vfio_pci_core_device *vdev;
	int ret;

	vdev = vfio_alloc_device(vfio_pci_core_device, vdev, &pdev->dev,
				 &tv_ops);
	if (IS_ERR(vdev))
		return PTR_ERR(vdev);
	dev_set_drvdata(&pdev->dev, vdev);
	ret = vfio_pci_core_register_device(vdev);
	if (ret) {
		vfio_put_device(&vdev->vdev);
		return ret;
	}
	return 0;
}

/* Waits (VFIO's unregister) until userspace has closed the device. */
static void tv_remove(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *vdev = dev_get_drvdata(&pdev->dev);

	vfio_pci_core_unregister_device(vdev);
	vfio_put_device(&vdev->vdev);
}

/* driver_override only, as every VFIO driver binds. */
static const struct pci_device_id tv_ids[] = {
	{ PCI_DRIVER_OVERRIDE_DEVICE_VFIO(PCI_ANY_ID, PCI_ANY_ID) },
	{}
};

static struct pci_driver tv_core_driver = {
	.name			= "vfpost_variant",
	.id_table		= tv_ids,
	.probe			= tv_probe,
	.remove			= tv_remove,
	.err_handler		= &vfio_pci_core_err_handlers,
	.driver_managed_dma	= true,
};

/* A copy, as a driver with handlers of its own has: not the core's. */
static const struct pci_error_handlers tv_own_err_handlers = {
	.error_detected	= vfio_pci_core_aer_err_detected,
};

static struct pci_driver tv_own_driver = {
	.name			= "vfpost_variant_own",
	.id_table		= tv_ids,
	.probe			= tv_probe,
	.remove			= tv_remove,
	.err_handler		= &tv_own_err_handlers,
	.driver_managed_dma	= true,
};

static int dma_owner_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	pci_dbg(pdev, "bound (does nothing)\n");
	return 0;
}

static void dma_owner_remove(struct pci_dev *pdev)
{
}

static struct pci_driver dma_owner_driver = {
	.name			= "vfpost_dma_owner",
	.id_table		= tv_ids,
	.probe			= dma_owner_probe,
	.remove			= dma_owner_remove,
	.driver_managed_dma	= true,
};

static struct pci_driver *const tv_drivers[] = {
	&tv_core_driver, &tv_own_driver, &dma_owner_driver,
};

static int __init tv_init(void)
{
	int i, ret;

	for (i = 0; i < ARRAY_SIZE(tv_drivers); i++) {
		ret = pci_register_driver(tv_drivers[i]);
		if (ret)
			goto unwind;
	}
	return 0;
unwind:
	while (--i >= 0)
		pci_unregister_driver(tv_drivers[i]);
	return ret;
}

static void __exit tv_exit(void)
{
	int i;

	for (i = ARRAY_SIZE(tv_drivers) - 1; i >= 0; i--)
		pci_unregister_driver(tv_drivers[i]);
}

module_init(tv_init);
module_exit(tv_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vfpost selftests: VFIO drivers to bind VFs to (never install)");
