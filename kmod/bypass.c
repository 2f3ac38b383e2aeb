// SPDX-License-Identifier: GPL-2.0
/*
 * One irq bypass producer per attached MSI-X vector.  Its token is the
 * vector's eventfd context, the same one the VMM hands to KVM_IRQFD, and its
 * irq the host irq, so KVM's irqfd consumer finds it and (on hardware with
 * posted interrupts) programs the IOMMU to post the vector to the vCPU.
 *
 * The callbacks run under the bypass manager's mutex, possibly from KVM's
 * irqfd code inside its irq_srcu read section, and must not take vd->lock
 * (vd->lock is held around registration).  They only update
 * vector->bypass.  There are no stop/start callbacks, as with vfio-pci's
 * producer: KVM's IRTE update needs no quiescing, and masking the vector
 * there would write the MSI-X table under KVM's locks and the bypass
 * mutex, stalling every irqfd on the host behind a VF reset that holds
 * memory_lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/interrupt.h>
#include <linux/irqbypass.h>

#include "compat.h"
#include "fastpath.h"
#include "posting.h"
#include "trace.h"

static struct vfpost_vector *to_vector(struct irq_bypass_producer *prod)
{
	return container_of(prod, struct vfpost_vector, producer);
}

static int vfpost_add_consumer(struct irq_bypass_producer *prod,
			       struct irq_bypass_consumer *cons)
{
	struct vfpost_vector *v = to_vector(prod);

	WRITE_ONCE(v->bypass, VFPOST_BYPASS_CONNECTED);
	trace_vfpost_bypass(vfpost_pdev(v->vd), v->index, prod->irq, true);
	return 0;
}

/* Also called when the consumer refused the producer after add_consumer. */
static void vfpost_del_consumer(struct irq_bypass_producer *prod,
				struct irq_bypass_consumer *cons)
{
	struct vfpost_vector *v = to_vector(prod);

	WRITE_ONCE(v->bypass, VFPOST_BYPASS_REGISTERED);
	trace_vfpost_bypass(vfpost_pdev(v->vd), v->index, prod->irq, false);
}

/* vd->lock held; @v has a trigger and a requested irq. */
int vfpost_bypass_attach(struct vfpost_vector *v)
{
	int ret;

	memset(&v->producer, 0, sizeof(v->producer));
	v->producer.add_consumer = vfpost_add_consumer;
	v->producer.del_consumer = vfpost_del_consumer;
	/*
	 * add_consumer may run inside registration and mark it connected,
	 * and KVM may post the irq then: its record must exist first.
	 */
	WRITE_ONCE(v->bypass, VFPOST_BYPASS_REGISTERED);
	v->posting = vfpost_posting_add(v->irq);
	ret = vfpost_bypass_register(&v->producer, v->trigger, v->irq);
	if (ret) {
		vfpost_posting_remove(v->posting);
		v->posting = NULL;
		WRITE_ONCE(v->bypass, VFPOST_BYPASS_NONE);
		pci_info_ratelimited(vfpost_pdev(v->vd),
				     "vector %u: no irq bypass producer (%d), host path only\n",
				     v->index, ret);
	}
	return ret;
}

/* vd->lock held; disconnects from KVM first if connected. */
void vfpost_bypass_detach(struct vfpost_vector *v)
{
	if (READ_ONCE(v->bypass) == VFPOST_BYPASS_NONE)
		return;
	irq_bypass_unregister_producer(&v->producer);
	/* After KVM's last report for it (remapped, in del_producer). */
	vfpost_posting_remove(v->posting);
	v->posting = NULL;
	WRITE_ONCE(v->bypass, VFPOST_BYPASS_NONE);
}
