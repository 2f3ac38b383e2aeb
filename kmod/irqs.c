// SPDX-License-Identifier: GPL-2.0
/*
 * vfpost's VFIO interrupt indexes: VFIO_DEVICE_GET_IRQ_INFO and
 * VFIO_DEVICE_SET_IRQS for every index, each request read from user memory
 * exactly once.
 *
 * vfpost owns all five indexes; no SET_IRQS request ever reaches
 * vfio_pci_core.  The core reads the request header again after it has
 * been inspected here, so forwarding the user pointer would let a second
 * thread turn an INTx request into an MSI-X one between the two reads, and
 * the core would then free MSI-X vectors under vfpost's handlers.
 * vfio_pci_set_irqs_ioctl(), which takes a kernel copy, is not exported.
 *
 *   INTx  a VF has none (SR-IOV: pin 0): count 0, every request -EINVAL,
 *         as the core answers for a VF
 *   MSI   not served: count 0, every request -EINVAL.  vfpost binds only
 *         VFs with MSI-X, which guests prefer; see fast-path.rst
 *   MSI-X msix.c
 *   ERR   the core's err_trigger, PCIe only, set here under igate
 *   REQ   the core's req_trigger, set here under igate
 *
 * ERR and REQ stay in struct vfio_pci_core_device so that the core signals
 * them (AER, device removal) and releases them at close, as for vfio-pci.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/eventfd.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "compat.h"
#include "fastpath.h"

static unsigned int vfpost_irq_count(struct vfpost_device *vd,
				     unsigned int index)
{
	switch (index) {
	case VFIO_PCI_MSIX_IRQ_INDEX:
		return vd->nvec;
	case VFIO_PCI_ERR_IRQ_INDEX:
		return pci_is_pcie(vfpost_pdev(vd)) ? 1 : 0;
	case VFIO_PCI_REQ_IRQ_INDEX:
		return 1;
	default:	/* INTx, MSI */
		return 0;
	}
}

int vfpost_irqs_get_info(struct vfpost_device *vd, unsigned long arg)
{
	unsigned long minsz = offsetofend(struct vfio_irq_info, count);
	struct vfio_irq_info info;

	if (copy_from_user(&info, (void __user *)arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz || info.index >= VFIO_PCI_NUM_IRQS)
		return -EINVAL;
	if (info.index == VFIO_PCI_ERR_IRQ_INDEX &&
	    !pci_is_pcie(vfpost_pdev(vd)))
		return -EINVAL;

	info.count = vfpost_irq_count(vd, info.index);
	switch (info.index) {
	case VFIO_PCI_INTX_IRQ_INDEX:
		info.flags = VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE |
			     VFIO_IRQ_INFO_AUTOMASKED;
		break;
	case VFIO_PCI_MSIX_IRQ_INDEX:
		info.flags = vfpost_msix_irq_flags(vd);
		break;
	default:
		info.flags = VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE;
		break;
	}
	return copy_to_user((void __user *)arg, &info, minsz) ? -EFAULT : 0;
}

/*
 * One ERR or REQ trigger, igate held.  DATA_NONE and DATA_BOOL signal it
 * (loopback testing) or, DATA_NONE with count 0, release it; DATA_EVENTFD
 * sets it (fd >= 0) or releases it (fd -1).  The same contract as vfio-pci.
 */
static int vfpost_set_ctx_trigger(struct vfpost_device *vd,
				  unsigned int index, u32 count, u32 flags,
				  const void *data)
{
	struct eventfd_ctx *cur = vfpost_trigger_get(&vd->core, index);
	struct eventfd_ctx *ctx;
	s32 fd;
	int ret;

	switch (flags & VFIO_IRQ_SET_DATA_TYPE_MASK) {
	case VFIO_IRQ_SET_DATA_NONE:
		if (!cur)
			return -EINVAL;
		if (count)
			vfpost_eventfd_signal(cur);
		else
			vfpost_trigger_replace(&vd->core, index, NULL);
		return 0;
	case VFIO_IRQ_SET_DATA_BOOL:
		if (!count)
			return -EINVAL;
		if (*(const u8 *)data && cur)
			vfpost_eventfd_signal(cur);
		return 0;
	case VFIO_IRQ_SET_DATA_EVENTFD:
		if (!count)
			return -EINVAL;
		fd = *(const s32 *)data;
		if (fd == -1)
			return vfpost_trigger_replace(&vd->core, index, NULL);
		if (fd < 0)
			return -EINVAL;
		ctx = eventfd_ctx_fdget(fd);
		if (IS_ERR(ctx))
			return PTR_ERR(ctx);
		ret = vfpost_trigger_replace(&vd->core, index, ctx);
		if (ret)
			eventfd_ctx_put(ctx);
		return ret;
	}
	return -EINVAL;
}

/* @hdr is vfpost's copy, validated against the index's count. */
static int vfpost_irqs_set_one(struct vfpost_device *vd,
			       struct vfio_irq_set *hdr, void *data)
{
	u32 action = hdr->flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;
	int ret;

	switch (hdr->index) {
	case VFIO_PCI_MSIX_IRQ_INDEX:
		return vfpost_msix_set_irqs(vd, hdr, data);
	case VFIO_PCI_ERR_IRQ_INDEX:
	case VFIO_PCI_REQ_IRQ_INDEX:
		break;
	default:	/* no INTx or MSI: the count check refused already */
		return -EINVAL;
	}
	/* As the core: no mask/unmask on ERR/REQ. */
	if (action != VFIO_IRQ_SET_ACTION_TRIGGER)
		return -ENOTTY;
	if (hdr->start || hdr->count > 1)
		return -EINVAL;

	mutex_lock(&vd->core.igate);
	ret = vfpost_set_ctx_trigger(vd, hdr->index, hdr->count, hdr->flags,
				     data);
	mutex_unlock(&vd->core.igate);
	return ret;
}

int vfpost_irqs_set(struct vfpost_device *vd, unsigned long arg)
{
	unsigned long minsz = offsetofend(struct vfio_irq_set, count);
	struct vfio_irq_set hdr;
	size_t data_size = 0;
	u8 *data = NULL;
	int ret;

	if (copy_from_user(&hdr, (void __user *)arg, minsz))
		return -EFAULT;
	/* From here on only the copy decides. */
	ret = vfio_set_irqs_validate_and_prepare(&hdr,
						 hdr.index < VFIO_PCI_NUM_IRQS ?
						 vfpost_irq_count(vd, hdr.index) : 0,
						 VFIO_PCI_NUM_IRQS, &data_size);
	if (ret)
		return ret;
	if (data_size) {
		data = memdup_user((void __user *)(arg + minsz), data_size);
		if (IS_ERR(data))
			return PTR_ERR(data);
	}
	ret = vfpost_irqs_set_one(vd, &hdr, data);
	kfree(data);
	return ret;
}
