// SPDX-License-Identifier: GPL-2.0
/*
 * Interrupts of an assigned device along the three paths of irqpath.h.
 *
 * MSI-X vectors are attached lazily, when the guest first unmasks them (as
 * Linux drivers enable them one by one): an eventfd per vector, given to
 * VFIO as the vector's trigger and, except on the relay path, to KVM_IRQFD
 * with an MSI route (gsi_alloc_msi) that follows the guest's table entry.
 *
 *  vfpost: vectors attach one at a time (VFIO_IRQ_SET with start = vector);
 *          mask/unmask are VFIO_IRQ_SET_ACTION_MASK/UNMASK on the MSI-X
 *          index; the irqfd stays for the vector's lifetime.
 *  vfio:   vfio-pci before 6.5 cannot grow an enabled MSI-X block
 *          (VFIO_IRQ_INFO_NORESIZE), so attaching a vector beyond it
 *          disables MSI-X and enables it again with every attached eventfd
 *          (what QEMU does); where NORESIZE is absent the vector is added
 *          alone, MSI-X staying enabled.  Masking detaches the irqfd;
 *          the eventfd keeps counting and KVM delivers on re-attach.
 *  relay:  no irqfd: the service thread reads the eventfds and injects with
 *          KVM_SIGNAL_MSI, or sets the pending bit while masked.
 *
 * Everything here runs with a->lock held (see vfio_priv.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "log.h"
#include "vfio_host.h"
#include "vfio_priv.h"
#include "vm.h"

#define SET_TRIGGER	(VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER)
#define SET_DISABLE	(VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER)

int vfio_set_irqs(struct vfio_assigned *a, unsigned int index, uint32_t flags,
		  unsigned int start, unsigned int count, const int32_t *fds)
{
	size_t sz = sizeof(struct vfio_irq_set) +
		    ((flags & VFIO_IRQ_SET_DATA_EVENTFD) ? count * sizeof(int32_t) : 0);
	struct vfio_irq_set *s = calloc(1, sz);
	int ret;

	if (!s)
		return -ENOMEM;
	s->argsz = sz;
	s->flags = flags;
	s->index = index;
	s->start = start;
	s->count = count;
	if (flags & VFIO_IRQ_SET_DATA_EVENTFD)
		memcpy(s->data, fds, count * sizeof(int32_t));
	ret = vfio_host->ioctl(a->fd, VFIO_DEVICE_SET_IRQS, s) ? -errno : 0;
	free(s);
	return ret;
}

static int kvm_irqfd(struct vfio_assigned *a, int efd, int gsi, bool assign, int resample)
{
	struct kvm_irqfd irqfd = { .fd = efd, .gsi = gsi };

	if (!assign)
		irqfd.flags = KVM_IRQFD_FLAG_DEASSIGN;
	else if (resample >= 0) {
		irqfd.flags = KVM_IRQFD_FLAG_RESAMPLE;
		irqfd.resamplefd = resample;
	}
	int ret;

	ret = vfio_host->irqfd(a->vm, &irqfd);
	if (ret)
		log_warn_rl("%s: KVM_IRQFD %s gsi %d: %s", a->bdf, assign ? "assign" : "deassign",
			    gsi, strerror(-ret));
	return ret;
}

static void signal_msi(struct vfio_assigned *a, uint64_t addr, uint32_t data)
{
	struct kvm_msi msi = {
		.address_lo = (uint32_t)addr,
		.address_hi = addr >> 32,
		.data = data,
	};

	int ret = vfio_host->signal_msi(a->vm, &msi);

	if (ret)
		log_debug_rl("%s: KVM_SIGNAL_MSI: %s", a->bdf, strerror(-ret));
}

static void ep_ctl(struct vfio_assigned *a, int op, int fd, uint32_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

	if (a->epfd >= 0 && epoll_ctl(a->epfd, op, fd, &ev))
		log_warn_rl("%s: epoll_ctl: %s", a->bdf, strerror(errno));
}

/* Consume an eventfd's count; true if it had fired. */
static bool efd_drain(int efd)
{
	uint64_t v;

	return efd >= 0 && read(efd, &v, sizeof(v)) == sizeof(v) && v;
}

/*
 * Host side of one vector (MSI-X or MSI): an eventfd, and either an irqfd
 * on a new MSI route or, on the relay path, a place in the service thread's
 * epoll set under @tag.
 */
static int vec_get(struct vfio_assigned *a, struct vfio_vector *v, uint32_t tag,
		   uint64_t addr, uint32_t data)
{
	int ret;

	v->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (v->efd < 0)
		return -errno;
	if (a->path == IRQ_PATH_RELAY) {
		ep_ctl(a, EPOLL_CTL_ADD, v->efd, tag);
		return 0;
	}
	v->gsi = vfio_host->gsi_alloc_msi(a->vm, addr, data);
	if (v->gsi < 0)
		return v->gsi;
	ret = kvm_irqfd(a, v->efd, v->gsi, true, -1);
	if (ret)
		return ret;
	v->irqfd = true;
	return 0;
}

/* Undo vec_get (whatever part of it was done); VFIO is the caller's. */
static void vec_put(struct vfio_assigned *a, struct vfio_vector *v, uint32_t tag)
{
	if (v->efd < 0)
		return;
	if (v->irqfd)
		kvm_irqfd(a, v->efd, v->gsi, false, -1);
	if (v->gsi >= 0)
		vfio_host->gsi_free(a->vm, v->gsi);
	if (a->path == IRQ_PATH_RELAY)
		ep_ctl(a, EPOLL_CTL_DEL, v->efd, tag);
	close(v->efd);
	*v = (struct vfio_vector){ .efd = -1, .gsi = -1 };
}

/* ---- INTx ---- */

static void intx_enable(struct vfio_assigned *a)
{
	int ret;

	if (!a->has_intx || a->intx_on || a->intx_efd < 0)
		return;
	ret = vfio_set_irqs(a, VFIO_PCI_INTX_IRQ_INDEX, SET_TRIGGER, 0, 1, &a->intx_efd);
	if (!ret)
		ret = vfio_set_irqs(a, VFIO_PCI_INTX_IRQ_INDEX,
				    VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_UNMASK,
				    0, 1, &a->intx_resample);
	if (!ret)
		ret = kvm_irqfd(a, a->intx_efd, a->pdev.intx_gsi, true, a->intx_resample);
	if (ret) {
		log_warn("%s: INTx setup failed (%s); legacy interrupts will not work",
			 a->bdf, strerror(-ret));
		vfio_set_irqs(a, VFIO_PCI_INTX_IRQ_INDEX, SET_DISABLE, 0, 0, NULL);
		return;
	}
	a->intx_on = true;
}

static void intx_disable(struct vfio_assigned *a)
{
	if (!a->intx_on)
		return;
	kvm_irqfd(a, a->intx_efd, a->pdev.intx_gsi, false, -1);
	vfio_set_irqs(a, VFIO_PCI_INTX_IRQ_INDEX, SET_DISABLE, 0, 0, NULL);
	a->intx_on = false;
}

/* ---- MSI-X ---- */

/* (Re-)enable MSI-X in VFIO with @n vectors and every attached eventfd. */
static int msix_vfio_reenable(struct vfio_assigned *a, unsigned int n)
{
	int32_t *fds = calloc(n, sizeof(*fds));
	unsigned int i;
	int ret;

	if (!fds)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		fds[i] = a->vec[i].efd;
	if (a->vfio_msix_count)
		vfio_set_irqs(a, VFIO_PCI_MSIX_IRQ_INDEX, SET_DISABLE, 0, 0, NULL);
	ret = vfio_set_irqs(a, VFIO_PCI_MSIX_IRQ_INDEX, SET_TRIGGER, 0, n, fds);
	free(fds);
	a->vfio_msix_count = ret ? 0 : n;
	if (!ret)
		log_debug("%s: MSI-X (re-)enabled with %u vectors", a->bdf, n);
	return ret;
}

/*
 * Give VFIO vector @vec's eventfd.  Within the enabled block, or where the
 * device can grow it (vfpost; no VFIO_IRQ_INFO_NORESIZE), the vector alone
 * (start = vec): MSI-X stays enabled and the other vectors undisturbed.
 * Else, or if that is refused, disable and re-enable with every vector.
 */
static int msix_vfio_connect(struct vfio_assigned *a, unsigned int vec)
{
	bool grow = vec >= a->vfio_msix_count;
	int ret = -EINVAL;

	if (a->path == IRQ_PATH_VFPOST || !grow || a->msix_resizable) {
		ret = vfio_set_irqs(a, VFIO_PCI_MSIX_IRQ_INDEX, SET_TRIGGER, vec, 1,
				    &a->vec[vec].efd);
		if (!ret) {
			if (grow)
				a->vfio_msix_count = vec + 1;
			return 0;
		}
		log_warn_rl("%s: %s refused adding MSI-X vector %u alone (%s); re-enabling MSI-X",
			    a->bdf, a->driver, vec, strerror(-ret));
	}
	return msix_vfio_reenable(a, vec + 1 > a->vfio_msix_count ? vec + 1 : a->vfio_msix_count);
}

static int vector_attach(struct vfio_assigned *a, unsigned int vec)
{
	struct vfio_vector *v = &a->vec[vec];
	uint64_t addr;
	uint32_t data;
	int ret;

	msix_message(&a->msix, vec, &addr, &data);
	ret = vec_get(a, v, vec, addr, data);
	if (!ret)
		ret = msix_vfio_connect(a, vec);
	if (ret) {
		log_warn_rl("%s: cannot attach MSI-X vector %u: %s", a->bdf, vec, strerror(-ret));
		vec_put(a, v, vec);
		return ret;
	}
	log_debug_rl("%s: MSI-X vector %u attached (gsi %d)", a->bdf, vec, v->gsi);
	return 0;
}

static void msix_all_off(struct vfio_assigned *a)
{
	unsigned int i;

	if (a->vfio_msix_count && a->fd >= 0)
		vfio_set_irqs(a, VFIO_PCI_MSIX_IRQ_INDEX, SET_DISABLE, 0, 0, NULL);
	a->vfio_msix_count = 0;
	for (i = 0; i < a->msix.nr; i++)
		vec_put(a, &a->vec[i], i);
}

static void op_vector_update(void *opaque, unsigned int vec, uint64_t addr, uint32_t data)
{
	struct vfio_assigned *a = opaque;
	int ret;

	if (a->vec[vec].gsi < 0)
		return;
	ret = vfio_host->gsi_update_msi(a->vm, a->vec[vec].gsi, addr, data);
	if (ret)
		log_warn_rl("%s: MSI-X vector %u route update: %s", a->bdf, vec, strerror(-ret));
}

static void op_vector_mask(void *opaque, unsigned int vec, bool masked)
{
	struct vfio_assigned *a = opaque;
	struct vfio_vector *v = &a->vec[vec];
	uint64_t addr;
	uint32_t data;

	if (a->dead)
		return;
	if (v->efd < 0) {
		if (!masked)
			vector_attach(a, vec);
		return;
	}
	switch (a->path) {
	case IRQ_PATH_VFPOST:
		if (!a->no_hw_mask) {
			if (masked == v->hw_masked)
				return;
			if (!vfio_set_irqs(a, VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_DATA_NONE |
					   (masked ? VFIO_IRQ_SET_ACTION_MASK :
						     VFIO_IRQ_SET_ACTION_UNMASK),
					   vec, 1, NULL)) {
				v->hw_masked = masked;
				return;
			}
			log_warn("%s: MSI-X vector masking through VFIO refused; masking by irqfd detach instead",
				 a->bdf);
			a->no_hw_mask = true;
		}
		/* fall through */
	case IRQ_PATH_VFIO:
	case IRQ_PATH_AUTO:
		if (masked && v->irqfd) {
			kvm_irqfd(a, v->efd, v->gsi, false, -1);
			v->irqfd = false;
		} else if (!masked && !v->irqfd) {
			if (msix_take_pending(&a->msix, vec)) {
				msix_message(&a->msix, vec, &addr, &data);
				signal_msi(a, addr, data);
			}
			/* KVM injects at once if the eventfd fired meanwhile. */
			v->irqfd = !kvm_irqfd(a, v->efd, v->gsi, true, -1);
		}
		return;
	case IRQ_PATH_RELAY:
		if (!masked && msix_take_pending(&a->msix, vec)) {
			msix_message(&a->msix, vec, &addr, &data);
			signal_msi(a, addr, data);
		}
		return;
	}
}

static void op_enable(void *opaque, bool enabled)
{
	struct vfio_assigned *a = opaque;

	if (a->dead)
		return;
	if (enabled) {
		intx_disable(a);
		/*
		 * Put the device itself in MSI-X mode now, with no vector
		 * attached, as the guest sees it: devices may depend on it
		 * (QEMU's NVMe only signals vectors that were in use when its
		 * queues were created), and Linux unmasks vectors much later.
		 */
		if (!a->vfio_msix_count && msix_vfio_reenable(a, 1))
			log_warn_rl("%s: cannot enable MSI-X on the device", a->bdf);
		return;
	}
	msix_all_off(a);
	intx_enable(a);
}

static uint64_t op_pba_read(void *opaque, unsigned int qword)
{
	struct vfio_assigned *a = opaque;
	uint64_t v = 0;
	unsigned int i;

	if (a->dead)
		return 0;
	switch (a->path) {
	case IRQ_PATH_VFPOST:
		if (vfio_host->pread(a->fd, &v, sizeof(v), a->bar[a->msix_pba_bar].offset + a->msix_pba_off +
			  8ull * qword) != sizeof(v))
			v = 0;
		return v;
	case IRQ_PATH_VFIO:
	case IRQ_PATH_AUTO:
		/* Interrupts that arrived while the irqfd was detached. */
		for (i = qword * 64; i < a->msix.nr && i < qword * 64 + 64; i++)
			if (a->vec[i].efd >= 0 && !a->vec[i].irqfd && efd_drain(a->vec[i].efd))
				msix_set_pending(&a->msix, i);
		return 0;
	case IRQ_PATH_RELAY:
		return 0;
	}
	return 0;
}

const struct msix_ops vfio_msix_ops = {
	.vector_update = op_vector_update,
	.vector_mask = op_vector_mask,
	.enable = op_enable,
	.pba_read = op_pba_read,
};

void vfio_irq_msix_ctrl(struct vfio_assigned *a, bool enabled, bool maskall)
{
	if (!a->has_msix)
		return;
	pthread_mutex_lock(&a->lock);
	if (!a->dead)
		msix_set_ctrl(&a->msix, enabled, maskall);
	pthread_mutex_unlock(&a->lock);
}

/* ---- MSI (one vector) ---- */

static void msi_off(struct vfio_assigned *a)
{
	if (a->msi.efd >= 0 && a->fd >= 0)
		vfio_set_irqs(a, VFIO_PCI_MSI_IRQ_INDEX, SET_DISABLE, 0, 0, NULL);
	vec_put(a, &a->msi, VFIO_EP_MSI);
}

static int msi_on(struct vfio_assigned *a)
{
	int ret;

	intx_disable(a);
	ret = vec_get(a, &a->msi, VFIO_EP_MSI, a->msi_addr, a->msi_data);
	if (ret)
		return ret;
	return vfio_set_irqs(a, VFIO_PCI_MSI_IRQ_INDEX, SET_TRIGGER, 0, 1, &a->msi.efd);
}

void vfio_irq_msi_update(struct vfio_assigned *a, bool enabled, uint64_t addr, uint32_t data)
{
	int ret;

	pthread_mutex_lock(&a->lock);
	if (a->dead)
		goto out;
	a->msi_addr = addr;
	a->msi_data = data;
	if (!enabled) {
		msi_off(a);
		intx_enable(a);
	} else if (a->msi.efd < 0) {
		ret = msi_on(a);
		if (ret) {
			log_warn_rl("%s: MSI enable failed: %s", a->bdf, strerror(-ret));
			msi_off(a);
		} else {
			log_debug_rl("%s: MSI enabled (gsi %d)", a->bdf, a->msi.gsi);
		}
	} else if (a->msi.gsi >= 0) {
		ret = vfio_host->gsi_update_msi(a->vm, a->msi.gsi, addr, data);
		if (ret)
			log_warn_rl("%s: MSI route update: %s", a->bdf, strerror(-ret));
	}
out:
	pthread_mutex_unlock(&a->lock);
}

/* ---- relay and lifetime ---- */

void vfio_irq_relay_event(struct vfio_assigned *a, uint32_t tag)
{
	uint64_t addr;
	uint32_t data;

	pthread_mutex_lock(&a->lock);
	if (a->dead)
		goto out;
	if (a->resetting) {	/* raised before the reset: dropped */
		if (tag == VFIO_EP_MSI)
			efd_drain(a->msi.efd);
		else if (a->has_msix && tag < a->msix.nr)
			efd_drain(a->vec[tag].efd);
		goto out;
	}
	if (tag == VFIO_EP_MSI) {
		if (efd_drain(a->msi.efd))
			signal_msi(a, a->msi_addr, a->msi_data);
	} else if (a->has_msix && tag < a->msix.nr && efd_drain(a->vec[tag].efd)) {
		if (msix_masked(&a->msix, tag)) {
			msix_set_pending(&a->msix, tag);
		} else {
			msix_message(&a->msix, tag, &addr, &data);
			signal_msi(a, addr, data);
		}
	}
out:
	pthread_mutex_unlock(&a->lock);
}

int vfio_irq_init(struct vfio_assigned *a)
{
	if (!a->has_intx)
		return 0;
	a->intx_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	a->intx_resample = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (a->intx_efd < 0 || a->intx_resample < 0)
		return -errno;
	intx_enable(a);
	return 0;
}

void vfio_irq_teardown(struct vfio_assigned *a)
{
	if (a->has_msix)
		msix_all_off(a);
	msi_off(a);
	intx_disable(a);
	if (a->intx_efd >= 0)
		close(a->intx_efd);
	if (a->intx_resample >= 0)
		close(a->intx_resample);
	a->intx_efd = a->intx_resample = -1;
}
