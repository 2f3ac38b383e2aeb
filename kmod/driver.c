// SPDX-License-Identifier: GPL-2.0
/*
 * The vfpost VFIO PCI variant driver.
 *
 * Everything but MSI-X is vfio_pci_core's: config space, BAR regions and
 * mmap, reset, DMA, the VFIO group and the other interrupt indexes.  The
 * MSI-X index (GET_IRQ_INFO and SET_IRQS) is served by msix.c.  The driver
 * binds only through driver_override (or VF_CLAIM, which sets it), and only
 * to SR-IOV VFs.  The lifecycle hooks of registry.c are called on open,
 * close, reset and when a removal waits for userspace to close the device.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>
#include <linux/vfio_pci_core.h>

#include "compat.h"
#include "fastpath.h"
#include "vfpost.h"

/* Bound devices, for vfpost_driver_vector_stats(); see fastpath.h. */
static LIST_HEAD(vfpost_devices);
static DEFINE_MUTEX(vfpost_devices_lock);

static struct vfpost_device *to_vfpost(struct vfio_device *core_vdev)
{
	return container_of(core_vdev, struct vfpost_device, core.vdev);
}

static int vfpost_init_dev(struct vfio_device *core_vdev)
{
	struct vfpost_device *vd = to_vfpost(core_vdev);
	int ret;

	ret = vfio_pci_core_init_dev(core_vdev);
	if (ret)
		return ret;
	mutex_init(&vd->lock);
	INIT_LIST_HEAD(&vd->node);
	return 0;
}

static void vfpost_release_dev(struct vfio_device *core_vdev)
{
	struct vfpost_device *vd = to_vfpost(core_vdev);

	vfpost_msix_free(vd);
	mutex_destroy(&vd->lock);
	/* Last: on 6.1 this frees the device. */
	vfio_pci_core_release_dev(core_vdev);
}

static int vfpost_open_device(struct vfio_device *core_vdev)
{
	struct vfpost_device *vd = to_vfpost(core_vdev);
	struct pci_dev *pdev = vfpost_pdev(vd);
	int ret;

	/* First: refused while a release unbinds vfpost (registry.c). */
	ret = vfpost_registry_opened(pdev, task_tgid_nr(current));
	if (ret)
		return ret;
	ret = vfio_pci_core_enable(&vd->core);
	if (ret) {
		vfpost_registry_closed(pdev);
		return ret;
	}
	vfio_pci_core_finish_enable(&vd->core);
	pci_dbg(pdev, "opened by pid %d\n", task_tgid_nr(current));
	return 0;
}

/*
 * Also the path taken when the owner dies: the last reference to the device
 * file goes away and VFIO calls close_device.  vfpost's vectors go first,
 * while the device is still enabled, then the core disables and resets it.
 */
static void vfpost_close_device(struct vfio_device *core_vdev)
{
	struct vfpost_device *vd = to_vfpost(core_vdev);
	struct pci_dev *pdev = vfpost_pdev(vd);

	vfpost_msix_disable(vd);
	vfio_pci_core_close_device(core_vdev);
	pci_dbg(pdev, "closed\n");
	vfpost_registry_closed(pdev);
}

static long vfpost_ioctl_set_irqs(struct vfpost_device *vd, unsigned long arg)
{
	unsigned long minsz = offsetofend(struct vfio_irq_set, count);
	struct vfio_irq_set hdr;
	size_t data_size = 0;
	u8 *data = NULL;
	int ret;

	if (copy_from_user(&hdr, (void __user *)arg, minsz))
		return -EFAULT;
	if (hdr.index != VFIO_PCI_MSIX_IRQ_INDEX)
		return vfio_pci_core_ioctl(&vd->core.vdev, VFIO_DEVICE_SET_IRQS,
					   arg);

	ret = vfio_set_irqs_validate_and_prepare(&hdr, vd->nvec,
						 VFIO_PCI_NUM_IRQS, &data_size);
	if (ret)
		return ret;
	if (data_size) {
		data = memdup_user((void __user *)(arg + minsz), data_size);
		if (IS_ERR(data))
			return PTR_ERR(data);
	}
	ret = vfpost_msix_set_irqs(vd, &hdr, data);
	kfree(data);
	return ret;
}

static long vfpost_ioctl(struct vfio_device *core_vdev, unsigned int cmd,
			 unsigned long arg)
{
	struct vfpost_device *vd = to_vfpost(core_vdev);
	struct vfio_irq_info info;

	switch (cmd) {
	case VFIO_DEVICE_GET_IRQ_INFO:
		if (copy_from_user(&info, (void __user *)arg,
				   offsetofend(struct vfio_irq_info, count)))
			return -EFAULT;
		if (info.index == VFIO_PCI_MSIX_IRQ_INDEX)
			return vfpost_msix_irq_info(vd, arg);
		break;
	case VFIO_DEVICE_SET_IRQS:
		return vfpost_ioctl_set_irqs(vd, arg);
	}
	return vfio_pci_core_ioctl(core_vdev, cmd, arg);
}

/*
 * VFIO calls this (with a growing @count, about every 10 s) while a removal
 * of the device waits for userspace to close it.  The lifecycle event goes
 * to netlink listeners; the core signals the VMM's request eventfd.
 */
static void vfpost_request(struct vfio_device *core_vdev, unsigned int count)
{
	struct pci_dev *pdev = vfpost_pdev(to_vfpost(core_vdev));

	pci_dbg(pdev, "removal requested (%u)\n", count);
	vfpost_registry_remove_requested(pdev, count);
	vfio_pci_core_request(core_vdev, count);
}

static const struct vfio_device_ops vfpost_vfio_ops = {
	.name		= VFPOST_DRIVER_NAME,
	.init		= vfpost_init_dev,
	.release	= vfpost_release_dev,
	VFPOST_IOMMUFD_OPS
	.open_device	= vfpost_open_device,
	.close_device	= vfpost_close_device,
	.ioctl		= vfpost_ioctl,
	.device_feature	= vfio_pci_core_ioctl_feature,
	.read		= vfio_pci_core_read,
	.write		= vfio_pci_core_write,
	.mmap		= vfio_pci_core_mmap,
	.request	= vfpost_request,
	.match		= vfio_pci_core_match,
};

static int vfpost_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct vfpost_device *vd;
	int ret;

	if (!pdev->is_virtfn) {
		pci_info(pdev, "not an SR-IOV VF, vfpost binds VFs only\n");
		return -ENODEV;
	}

	vd = vfio_alloc_device(vfpost_device, core.vdev, &pdev->dev,
			       &vfpost_vfio_ops);
	if (IS_ERR(vd))
		return PTR_ERR(vd);

	ret = vfpost_msix_init(vd);
	if (ret)
		goto err_put;

	dev_set_drvdata(&pdev->dev, &vd->core);
	ret = vfio_pci_core_register_device(&vd->core);
	if (ret)
		goto err_put;

	mutex_lock(&vfpost_devices_lock);
	list_add_tail(&vd->node, &vfpost_devices);
	mutex_unlock(&vfpost_devices_lock);
	pci_dbg(pdev, "bound, %u MSI-X vectors\n", vd->nvec);
	return 0;

err_put:
	vfio_put_device(&vd->core.vdev);
	return ret;
}

/*
 * Called on unbind, VF removal and module unload.  Unregistering waits
 * (calling vfpost_request) until userspace has closed the device, so by the
 * time the device is put every vector is gone.
 */
static void vfpost_remove(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *core = dev_get_drvdata(&pdev->dev);
	struct vfpost_device *vd = container_of(core, struct vfpost_device,
						core);

	mutex_lock(&vfpost_devices_lock);
	list_del_init(&vd->node);
	mutex_unlock(&vfpost_devices_lock);

	vfio_pci_core_unregister_device(&vd->core);
	vfio_put_device(&vd->core.vdev);
	pci_dbg(pdev, "unbound\n");
}

static void vfpost_reset_done(struct pci_dev *pdev)
{
	pci_dbg(pdev, "reset\n");
	vfpost_registry_reset(pdev);
}

/*
 * vfio_pci_core_err_handlers provides .error_detected only (6.1, 6.12);
 * vfpost adds reset_done for the lifecycle "reset" event.
 */
static const struct pci_error_handlers vfpost_err_handlers = {
	.error_detected	= vfio_pci_core_aer_err_detected,
	.reset_done	= vfpost_reset_done,
};

static const struct pci_device_id vfpost_pci_table[] = {
	/* Any device, but only through driver_override. */
	{ PCI_DRIVER_OVERRIDE_DEVICE_VFIO(PCI_ANY_ID, PCI_ANY_ID) },
	{}
};

static struct pci_driver vfpost_pci_driver = {
	.name			= VFPOST_DRIVER_NAME,
	.id_table		= vfpost_pci_table,
	.probe			= vfpost_probe,
	.remove			= vfpost_remove,
	.err_handler		= &vfpost_err_handlers,
	.driver_managed_dma	= true,
};

int vfpost_driver_vector_stats(struct pci_dev *vf,
			       struct vfpost_vector_stats *out,
			       unsigned int max)
{
	struct vfpost_device *vd;
	int ret = -ENODEV;

	mutex_lock(&vfpost_devices_lock);
	list_for_each_entry(vd, &vfpost_devices, node) {
		if (vfpost_pdev(vd) == vf) {
			ret = vfpost_msix_stats(vd, out, max);
			break;
		}
	}
	mutex_unlock(&vfpost_devices_lock);
	return ret;
}

int vfpost_driver_init(void)
{
	return pci_register_driver(&vfpost_pci_driver);
}

void vfpost_driver_exit(void)
{
	pci_unregister_driver(&vfpost_pci_driver);
}
