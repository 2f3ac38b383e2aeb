// SPDX-License-Identifier: GPL-2.0
/*
 * vfpost's MSI-X path: per-vector attach/detach at any time, mask/unmask
 * with pending latching, software triggers and per-vector statistics.
 *
 * Host vectors are allocated at a vector's first attach where the kernel
 * has dynamic MSI-X, else for the whole table at the first attach; either
 * way they stay allocated until the VMM disables the index (count 0) or
 * closes the device, so vfpost itself never disables MSI-X under other
 * vectors (a VMM that disables the index to grow it, as QEMU 7.2 does,
 * still can).  A
 * vector that has no eventfd is not requested: its table entry stays
 * masked in the device, which latches any message in the PBA and sends it
 * once the vector is attached (and unmasked) again.
 *
 * VFIO ACTION_MASK masks the vector in the device's MSI-X table (the host
 * irq is disabled non-lazily), so the device itself latches pending
 * interrupts in its PBA, which is what a VMM reading the PBA through the
 * VFIO BAR region sees, and the device replays them exactly once on unmask.
 * By design this also holds when the interrupt is posted to a guest and
 * the host handler never runs (not tested: the lab cannot post).  A
 * software trigger (DATA_NONE/DATA_BOOL) on a masked vector is latched in
 * vfpost and delivered on unmask unless the device already replays one.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/eventfd.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/pm_runtime.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "compat.h"
#include "fastpath.h"
#include "posting.h"
#include "trace.h"

int vfpost_msix_init(struct vfpost_device *vd)
{
	struct pci_dev *pdev = vfpost_pdev(vd);
	unsigned int i;
	int n;

	n = pci_msix_vec_count(pdev);
	if (n <= 0)
		return 0;
	vd->vec = kvcalloc(n, sizeof(*vd->vec), GFP_KERNEL);
	if (!vd->vec)
		return -ENOMEM;
	vd->nvec = n;
	for (i = 0; i < vd->nvec; i++) {
		vd->vec[i].vd = vd;
		vd->vec[i].index = i;
		vd->vec[i].last_cpu = -1;
		snprintf(vd->vec[i].name, sizeof(vd->vec[i].name),
			 "vfpost-msix[%u](%s)", i, pci_name(pdev));
	}
	return 0;
}

void vfpost_msix_free(struct vfpost_device *vd)
{
	kvfree(vd->vec);
	vd->vec = NULL;
	vd->nvec = 0;
}

/*
 * BAR access follows vfio-pci's rule: not in D3hot or below, and memory
 * decoding counts as on for a device without a working Memory Space
 * Enable bit.  Every device vfpost binds is a VF, and Linux marks every VF
 * so (pdev->no_command_memory: a VF's MSE is hardwired to 0, the PF's VF
 * MSE decides), so there is no command register to look at or toggle.
 * memory_lock held.
 */
static bool vfpost_memory_enabled(struct vfpost_device *vd)
{
	pci_power_t state = vfpost_pdev(vd)->current_state;

	/* D0..D2 (sparse: no ordering on pci_power_t) */
	return state == PCI_D0 || state == PCI_D1 || state == PCI_D2;
}

/*
 * Held for write around every MSI-X table write vfpost causes, like
 * vfio_pci_core's own MSI-X code, so a reset restoring the MSI-X state or
 * a power-state change cannot interleave.
 */
void vfpost_memory_lock(struct vfpost_device *vd)
{
	down_write(&vd->core.memory_lock);
}

void vfpost_memory_unlock(struct vfpost_device *vd)
{
	up_write(&vd->core.memory_lock);
}

/*
 * The device's PBA bit of @v; false when the BAR cannot be read.  The
 * ioctl paths run with a runtime-PM reference (VFIO takes one around every
 * ioctl); the statistics path takes one only if the device is in use, so
 * a device the VMM put into low power is not woken or read in D3hot.
 */
static bool vfpost_pba_test(struct vfpost_vector *v, bool from_stats)
{
	struct vfpost_device *vd = v->vd;
	struct device *dev = &vfpost_pdev(vd)->dev;
	bool set = false;

	if (!vd->pba)
		return false;
	if (from_stats && pm_runtime_get_if_in_use(dev) <= 0)
		return false;
	down_read(&vd->core.memory_lock);
	if (vfpost_memory_enabled(vd))
		set = readl(vd->pba + (v->index / 32) * 4) &
		      BIT(v->index % 32);
	up_read(&vd->core.memory_lock);
	if (from_stats)
		pm_runtime_put(dev);
	return set;
}

static irqreturn_t vfpost_msix_handler(int irq, void *arg)
{
	struct vfpost_vector *v = arg;

	/* One handler per irq runs at a time: plain increments are safe. */
	WRITE_ONCE(v->host_hits, v->host_hits + 1);
	WRITE_ONCE(v->last_cpu, smp_processor_id());
	trace_vfpost_vector_fire(vfpost_pdev(v->vd), v->index, irq);
	vfpost_eventfd_signal(v->trigger);
	return IRQ_HANDLED;
}

static int vfpost_pba_map(struct vfpost_device *vd)
{
	struct pci_dev *pdev = vfpost_pdev(vd);
	u32 pba;

	pci_read_config_dword(pdev, pdev->msix_cap + PCI_MSIX_PBA, &pba);
	vd->pba = pci_iomap_range(pdev, pba & PCI_MSIX_PBA_BIR,
				  pba & PCI_MSIX_PBA_OFFSET,
				  DIV_ROUND_UP(vd->nvec, 64) * 8);
	return vd->pba ? 0 : -ENOMEM;
}

/*
 * Turn MSI-X on.  Where the irq domain can add vectors to a live MSI-X
 * table (dynamic MSI-X, 6.2+, x86 among others) only vector 0 is allocated
 * now and every other one at its first attach; elsewhere (6.1) the whole
 * table is allocated here, as growing it would mean disabling MSI-X under
 * live vectors.  igate and vd->lock held.
 */
static int vfpost_msix_enable(struct vfpost_device *vd)
{
	struct pci_dev *pdev = vfpost_pdev(vd);
	unsigned int i, n;
	int ret;

	if (vd->msix_on)
		return 0;

	ret = vfpost_pba_map(vd);
	if (ret)
		return ret;

	vd->dyn = vfpost_msix_can_alloc_dyn(pdev);
	n = vd->dyn ? 1 : vd->nvec;
	vfpost_memory_lock(vd);
	ret = pci_alloc_irq_vectors(pdev, n, n, PCI_IRQ_MSIX);
	vfpost_memory_unlock(vd);
	if (ret < 0) {
		dev_err_ratelimited(&pdev->dev,
				    "cannot allocate %u MSI-X vectors: %d\n",
				    n, ret);
		pci_iounmap(pdev, vd->pba);
		vd->pba = NULL;
		return ret;
	}
	for (i = 0; i < n; i++)
		vd->vec[i].irq = pci_irq_vector(pdev, i);
	/*
	 * core.irq_type stays VFIO_PCI_NUM_IRQS: no SET_IRQS reaches the
	 * core (irqs.c), and its close path would otherwise free these
	 * vectors itself.
	 */
	vd->msix_on = true;
	pci_dbg(pdev, "MSI-X on, %u of %u vectors%s\n", n, vd->nvec,
		vd->dyn ? ", the others on demand" : "");
	return 0;
}

/* The host irq of @v, allocated now if MSI-X is dynamic.  vd->lock held. */
static int vfpost_vector_alloc(struct vfpost_vector *v)
{
	struct vfpost_device *vd = v->vd;
	int irq;

	if (v->irq)
		return 0;
	if (!vd->dyn)
		return -EINVAL;
	vfpost_memory_lock(vd);
	irq = vfpost_msix_alloc_at(vfpost_pdev(vd), v->index);
	vfpost_memory_unlock(vd);
	if (irq < 0) {
		dev_err_ratelimited(&vfpost_pdev(vd)->dev,
				    "cannot allocate MSI-X vector %u: %d\n",
				    v->index, irq);
		return irq;
	}
	v->irq = irq;
	return 0;
}

/* Detach @v and hand its eventfd reference to the caller (NULL if none). */
static struct eventfd_ctx *vfpost_vector_take(struct vfpost_vector *v)
{
	struct vfpost_device *vd = v->vd;
	struct eventfd_ctx *trigger = v->trigger;

	if (!trigger)
		return NULL;
	vfpost_bypass_detach(v);
	vfpost_memory_lock(vd);
	free_irq(v->irq, v);
	vfpost_memory_unlock(vd);
	v->trigger = NULL;
	v->soft_pending = false;
	trace_vfpost_vector_attach(vfpost_pdev(vd), v->index, v->irq, false);
	return trigger;
}

static void vfpost_vector_detach(struct vfpost_vector *v)
{
	struct eventfd_ctx *trigger = vfpost_vector_take(v);

	if (trigger)
		eventfd_ctx_put(trigger);
}

static int vfpost_vector_attach(struct vfpost_vector *v,
				struct eventfd_ctx *trigger)
{
	struct vfpost_device *vd = v->vd;
	int ret;

	vfpost_vector_detach(v);
	ret = vfpost_vector_alloc(v);
	if (ret)
		return ret;
	v->trigger = trigger;
	/*
	 * Disable masks the table entry at once (free_irq clears the flag,
	 * so set it every time): a masked vector's interrupts must latch in
	 * the device's PBA, not in the irq core.
	 */
	irq_set_status_flags(v->irq, IRQ_DISABLE_UNLAZY);
	vfpost_memory_lock(vd);
	ret = request_irq(v->irq, vfpost_msix_handler, IRQF_NO_AUTOEN,
			  v->name, v);
	if (!ret && !v->masked)
		enable_irq(v->irq);
	vfpost_memory_unlock(vd);
	if (ret) {
		dev_err_ratelimited(&vfpost_pdev(vd)->dev,
				    "request_irq %d for vector %u: %d\n",
				    v->irq, v->index, ret);
		v->trigger = NULL;
		return ret;
	}
	trace_vfpost_vector_attach(vfpost_pdev(vd), v->index, v->irq, true);
	/* Without a producer the vector still works through the host. */
	vfpost_bypass_attach(v);
	return 0;
}

/*
 * Every vector detached, host vectors freed.  Mask states stay: disabling
 * the index clears them (vfpost_msix_index_off()), undoing a failed
 * request must not.
 */
static void vfpost_msix_off(struct vfpost_device *vd)
{
	struct pci_dev *pdev = vfpost_pdev(vd);
	unsigned int i;

	for (i = 0; i < vd->nvec; i++)
		vfpost_vector_detach(&vd->vec[i]);
	if (!vd->msix_on)
		return;
	vfpost_memory_lock(vd);
	pci_free_irq_vectors(pdev);
	vfpost_memory_unlock(vd);
	for (i = 0; i < vd->nvec; i++)
		vd->vec[i].irq = 0;
	pci_iounmap(pdev, vd->pba);
	vd->pba = NULL;
	vd->msix_on = false;
	pci_dbg(pdev, "MSI-X off\n");
}

/* The VMM disables the index: MSI-X off and every vector unmasked. */
static void vfpost_msix_index_off(struct vfpost_device *vd)
{
	unsigned int i;

	vfpost_msix_off(vd);
	for (i = 0; i < vd->nvec; i++)
		vd->vec[i].masked = false;
}

/* Device close: everything off and the statistics start over. */
void vfpost_msix_disable(struct vfpost_device *vd)
{
	unsigned int i;

	mutex_lock(&vd->core.igate);
	mutex_lock(&vd->lock);
	vfpost_msix_index_off(vd);
	for (i = 0; i < vd->nvec; i++) {
		vd->vec[i].host_hits = 0;
		vd->vec[i].masked_hits = 0;
		vd->vec[i].last_cpu = -1;
	}
	mutex_unlock(&vd->lock);
	mutex_unlock(&vd->core.igate);
}

static void vfpost_vector_mask(struct vfpost_vector *v)
{
	struct vfpost_device *vd = v->vd;

	if (v->masked)
		return;
	v->masked = true;
	if (v->trigger) {
		vfpost_memory_lock(vd);
		disable_irq(v->irq);
		vfpost_memory_unlock(vd);
	}
	trace_vfpost_vector_mask(vfpost_pdev(vd), v->index, true, false);
}

static void vfpost_vector_unmask(struct vfpost_vector *v)
{
	struct vfpost_device *vd = v->vd;
	bool hw_pending;

	if (!v->masked)
		return;
	v->masked = false;
	if (!v->trigger) {
		trace_vfpost_vector_mask(vfpost_pdev(vd), v->index, false,
					 false);
		return;
	}
	hw_pending = vfpost_pba_test(v, false);
	if (hw_pending || v->soft_pending)
		v->masked_hits++;
	trace_vfpost_vector_mask(vfpost_pdev(vd), v->index, false,
				 hw_pending || v->soft_pending);
	/* The device sends a latched message itself once unmasked. */
	vfpost_memory_lock(vd);
	enable_irq(v->irq);
	vfpost_memory_unlock(vd);
	if (v->soft_pending && !hw_pending)
		vfpost_eventfd_signal(v->trigger);
	v->soft_pending = false;
}

static void vfpost_vector_soft_trigger(struct vfpost_vector *v)
{
	if (!v->trigger)
		return;
	if (v->masked)
		v->soft_pending = true;
	else
		vfpost_eventfd_signal(v->trigger);
}

/* What a vector had before a SET_IRQS range touched it. */
struct vfpost_vector_prev {
	struct eventfd_ctx *trigger;	/* reference owned here */
	bool soft_pending;
};

/*
 * Undo a partly applied vfpost_msix_set_eventfds(): vectors @v[0..@n] get
 * back the eventfds and latched software triggers in @prev, whose
 * references are consumed where they are re-attached.  Re-attaching can
 * fail only as attaching just did (request_irq); that vector is then left
 * detached, and said so.  Mask states were never changed.
 */
static void vfpost_msix_restore(struct vfpost_vector *v, unsigned int n,
				struct vfpost_vector_prev *prev)
{
	unsigned int i;

	for (i = 0; i <= n; i++) {
		vfpost_vector_detach(&v[i]);
		if (!prev[i].trigger)
			continue;
		if (vfpost_vector_attach(&v[i], prev[i].trigger)) {
			dev_warn_ratelimited(&vfpost_pdev(v[i].vd)->dev,
					     "vector %u: previous eventfd not restored, left detached\n",
					     v[i].index);
			continue;
		}
		prev[i].trigger = NULL;
		v[i].soft_pending = prev[i].soft_pending;
	}
}

/*
 * Attach (or detach, fd -1) vectors [@start, @start + @count).  All or
 * nothing: when a vector fails part-way, every vector of the range gets its
 * previous eventfd back and MSI-X is off again if it was off before.  A
 * host vector allocated on demand for the failed range stays allocated
 * until the index is disabled, as with vfio-pci.
 */
static int vfpost_msix_set_eventfds(struct vfpost_device *vd,
				    unsigned int start, unsigned int count,
				    const s32 *fds)
{
	struct vfpost_vector *v = &vd->vec[start];
	struct vfpost_vector_prev *prev;
	struct eventfd_ctx **ctx;
	bool was_on = vd->msix_on;
	unsigned int i;
	int ret = 0;

	ctx = kvcalloc(count, sizeof(*ctx), GFP_KERNEL);
	prev = kvcalloc(count, sizeof(*prev), GFP_KERNEL);
	if (!ctx || !prev) {
		ret = -ENOMEM;
		goto out_free;
	}
	/* Resolve every fd first so a bad one changes nothing. */
	for (i = 0; i < count; i++) {
		if (fds[i] == -1)
			continue;
		if (fds[i] < 0) {
			ret = -EINVAL;
			goto out_put;
		}
		ctx[i] = eventfd_ctx_fdget(fds[i]);
		if (IS_ERR(ctx[i])) {
			ret = PTR_ERR(ctx[i]);
			ctx[i] = NULL;
			goto out_put;
		}
	}
	ret = vfpost_msix_enable(vd);
	if (ret)
		goto out_put;
	for (i = 0; i < count; i++) {
		/* Keep the previous state until the whole range worked. */
		prev[i].soft_pending = v[i].soft_pending;
		prev[i].trigger = vfpost_vector_take(&v[i]);
		if (!ctx[i])
			continue;
		ret = vfpost_vector_attach(&v[i], ctx[i]);
		if (ret) {
			vfpost_msix_restore(v, i, prev);
			if (!was_on)
				vfpost_msix_off(vd);
			goto out_put;
		}
		ctx[i] = NULL;	/* the vector owns the reference now */
	}
out_put:
	for (i = 0; i < count; i++) {
		if (ctx[i])
			eventfd_ctx_put(ctx[i]);
		if (prev[i].trigger)
			eventfd_ctx_put(prev[i].trigger);
	}
out_free:
	kvfree(prev);
	kvfree(ctx);
	return ret;
}

int vfpost_msix_set_irqs(struct vfpost_device *vd, struct vfio_irq_set *hdr,
			 void *data)
{
	u32 dtype = hdr->flags & VFIO_IRQ_SET_DATA_TYPE_MASK;
	u32 action = hdr->flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;
	const u8 *bools = data;
	unsigned int i;
	int ret = 0;

	switch (action) {
	case VFIO_IRQ_SET_ACTION_MASK:
	case VFIO_IRQ_SET_ACTION_UNMASK:
	case VFIO_IRQ_SET_ACTION_TRIGGER:
		break;
	default:
		return -EINVAL;
	}
	if (action != VFIO_IRQ_SET_ACTION_TRIGGER &&
	    dtype == VFIO_IRQ_SET_DATA_EVENTFD)
		return -EINVAL;	/* no unmask-by-eventfd for MSI-X */

	mutex_lock(&vd->core.igate);
	mutex_lock(&vd->lock);
	if (action == VFIO_IRQ_SET_ACTION_TRIGGER &&
	    dtype == VFIO_IRQ_SET_DATA_EVENTFD) {
		ret = -EINVAL;	/* no eventfds: nothing to set */
		if (hdr->count)
			ret = vfpost_msix_set_eventfds(vd, hdr->start,
						       hdr->count, data);
		goto out;
	}
	if (action == VFIO_IRQ_SET_ACTION_TRIGGER &&
	    dtype == VFIO_IRQ_SET_DATA_NONE && !hdr->count) {
		vfpost_msix_index_off(vd);
		goto out;
	}
	for (i = 0; i < hdr->count; i++) {
		struct vfpost_vector *v = &vd->vec[hdr->start + i];

		if (dtype == VFIO_IRQ_SET_DATA_BOOL && !bools[i])
			continue;
		if (action == VFIO_IRQ_SET_ACTION_MASK)
			vfpost_vector_mask(v);
		else if (action == VFIO_IRQ_SET_ACTION_UNMASK)
			vfpost_vector_unmask(v);
		else
			vfpost_vector_soft_trigger(v);
	}
out:
	mutex_unlock(&vd->lock);
	mutex_unlock(&vd->core.igate);
	return ret;
}

/*
 * Maskable with pending latching, and resizable: vectors can be attached
 * at any time, so no NORESIZE.
 */
u32 vfpost_msix_irq_flags(struct vfpost_device *vd)
{
	return VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE;
}

int vfpost_msix_stats(struct vfpost_device *vd,
		      struct vfpost_vector_stats *out, unsigned int max)
{
	unsigned int i, n = 0;

	mutex_lock(&vd->lock);
	for (i = 0; i < vd->nvec && n < max; i++) {
		struct vfpost_vector *v = &vd->vec[i];
		struct vfpost_posting_rec pr;

		if (!v->trigger)
			continue;
		vfpost_posting_read(v->posting, &pr);
		out[n] = (struct vfpost_vector_stats) {
			.vector		= v->index,
			.host_irq	= v->irq,
			.host_hits	= READ_ONCE(v->host_hits),
			.masked_hits	= v->masked_hits,
			.masked		= v->masked,
			.pending	= v->soft_pending || vfpost_pba_test(v, true),
			.bypass		= READ_ONCE(v->bypass),
			.last_cpu	= READ_ONCE(v->last_cpu),
			.posting	= pr.state,
			.posted_vcpu	= pr.vcpu,
			.posted_vector	= pr.gvec,
			.posting_ns	= pr.changed_ns,
		};
		n++;
	}
	mutex_unlock(&vd->lock);
	return n;
}
