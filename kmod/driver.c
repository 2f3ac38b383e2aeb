// SPDX-License-Identifier: GPL-2.0
/*
 * The vfpost VFIO PCI variant driver.
 *
 * Config space, BAR regions and mmap, reset, DMA and the VFIO group are
 * vfio_pci_core's.  The interrupt ioctls (GET_IRQ_INFO and SET_IRQS, every
 * index) are vfpost's: irqs.c, with MSI-X in msix.c.  The driver binds
 * only through driver_override (or VF_CLAIM, which sets it), and only to
 * SR-IOV VFs with MSI-X.  The lifecycle hooks of registry.c are called on open,
 * close, reset and when a removal waits for userspace to close the device.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/pm_runtime.h>
#include <linux/rcupdate.h>
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

	/*
	 * First: refused while a release unbinds vfpost (registry.c).  The
	 * "opened" event follows the enable (and its reset), or never.
	 */
	ret = vfpost_registry_opened(pdev, task_tgid_nr(current));
	if (ret)
		return ret;
	ret = vfio_pci_core_enable(&vd->core);
	if (ret) {
		vfpost_registry_open_failed(pdev);
		return ret;
	}
	vfio_pci_core_finish_enable(&vd->core);
	vfpost_registry_open_done(pdev);
	pci_dbg(pdev, "opened by pid %d\n", task_tgid_nr(current));
	return 0;
}

/*
 * Back to D0 for the teardown, the way vfio_pci_set_power_state() (not
 * exported) does it: a function without No_Soft_Reset (the core's
 * needs_pm_restore) lost its state on the way back from D3hot, so the
 * state the core saved when it entered D3hot (pm_save) is restored, MSI-X
 * included (the PCI core writes back vfpost's vectors from their
 * descriptors).  The core's own disable then finds D0 and nothing saved.
 * Without this, vfpost's teardown would write the MSI-X table of a
 * function in D3hot, where a real device answers a memory write with an
 * Unsupported Request (AER then reports a non-fatal error for the PF's
 * hierarchy); QEMU's emulated VF takes it silently.
 */
static void vfpost_close_to_d0(struct vfpost_device *vd)
{
	struct pci_dev *pdev = vfpost_pdev(vd);

	down_write(&vd->core.memory_lock);
	if (pdev->current_state == PCI_D3hot &&
	    !pci_set_power_state(pdev, PCI_D0) && vd->core.needs_pm_restore) {
		pci_load_and_free_saved_state(pdev, &vd->core.pm_save);
		pci_restore_state(pdev);
	}
	up_write(&vd->core.memory_lock);
}

/*
 * Also the path taken when the owner dies: the last reference to the device
 * file goes away and VFIO calls close_device.  vfpost's vectors go first,
 * then the core disables and resets the device.  The teardown writes the
 * MSI-X table, so the device must be in D0 for it, as for the core's own:
 *  - left runtime-suspended by the VMM (VFIO low-power entry): a runtime-PM
 *    reference resumes it and keeps it resumed until the core's disable,
 *    which takes its own;
 *  - put in D3hot by the guest through the virtual PMCSR:
 *    vfpost_close_to_d0().
 */
static void vfpost_close_device(struct vfio_device *core_vdev)
{
	struct vfpost_device *vd = to_vfpost(core_vdev);
	struct pci_dev *pdev = vfpost_pdev(vd);

	pm_runtime_get_sync(&pdev->dev);
	vfpost_close_to_d0(vd);
	vfpost_msix_disable(vd);
	vfio_pci_core_close_device(core_vdev);
	pm_runtime_put(&pdev->dev);
	pci_dbg(pdev, "closed\n");
	vfpost_registry_closed(pdev);
}

static long vfpost_ioctl(struct vfio_device *core_vdev, unsigned int cmd,
			 unsigned long arg)
{
	struct vfpost_device *vd = to_vfpost(core_vdev);

	/* Every interrupt index is vfpost's: see irqs.c. */
	switch (cmd) {
	case VFIO_DEVICE_GET_IRQ_INFO:
		return vfpost_irqs_get_info(vd, arg);
	case VFIO_DEVICE_SET_IRQS:
		return vfpost_irqs_set(vd, arg);
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
	VFPOST_PASID_OPS
	.open_device	= vfpost_open_device,
	.close_device	= vfpost_close_device,
	.ioctl		= vfpost_ioctl,
	VFPOST_REGION_INFO_OP
	.device_feature	= vfio_pci_core_ioctl_feature,
	.read		= vfio_pci_core_read,
	.write		= vfio_pci_core_write,
	.mmap		= vfio_pci_core_mmap,
	.request	= vfpost_request,
	.match		= vfio_pci_core_match,
	VFPOST_MATCH_TOKEN_OP
};

static int vfpost_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct vfpost_device *vd;
	int ret;

	if (!pdev->is_virtfn) {
		pci_info(pdev, "not an SR-IOV VF, vfpost binds VFs only\n");
		return -ENODEV;
	}

	/* MSI-X is the only interrupt vfpost serves (irqs.c). */
	if (!pdev->msix_cap) {
		pci_info(pdev, "VF without MSI-X, bind vfio-pci instead\n");
		return -ENODEV;
	}
	if (pdev->msi_cap)
		pci_info(pdev, "VF has MSI too: vfpost serves MSI-X only, a guest enabling MSI gets no interrupts\n");

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

/*
 * Any device, but only through driver_override.  No MODULE_DEVICE_TABLE on
 * purpose: it would publish the alias "vfio_pci:v*d*sv*sd*bc*sc*i*", the
 * same as vfio-pci's.  udev never loads by it (uevents carry "pci:"), but
 * tools that pick a VFIO driver from modules.alias (libvirt 10.0+) would
 * then find vfpost as good a match as vfio-pci for every PCI device, and
 * a modprobe of that alias would load both; vfpost takes SR-IOV VFs only.
 */
static const struct pci_device_id vfpost_pci_table[] = {
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
	struct vfpost_device *vd, *found = NULL;
	int ret;

	/*
	 * Only the lookup is under the list lock: reading the statistics may
	 * wait for memory_lock (a reset in progress), which must not stall
	 * probe and remove of every other VF.  The reference keeps the
	 * device and its vectors alive if it is removed meanwhile.
	 */
	mutex_lock(&vfpost_devices_lock);
	list_for_each_entry(vd, &vfpost_devices, node) {
		if (vfpost_pdev(vd) == vf) {
			found = vd;
			get_device(&vd->core.vdev.device);
			break;
		}
	}
	mutex_unlock(&vfpost_devices_lock);
	if (!found)
		return -ENODEV;
	ret = vfpost_msix_stats(found, out, max);
	vfio_put_device(&found->core.vdev);
	return ret;
}

int vfpost_driver_init(void)
{
	return pci_register_driver(&vfpost_pci_driver);
}

void vfpost_driver_exit(void)
{
	pci_unregister_driver(&vfpost_pci_driver);
	/* ERR/REQ triggers freed by vfpost_trigger_free_rcu (compat.h). */
	rcu_barrier();
}
