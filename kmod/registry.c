// SPDX-License-Identifier: GPL-2.0
/*
 * vfpost VF lifecycle tracker.
 *
 * Every SR-IOV VF on the PCI bus gets one entry: found by a walk at load
 * and by a PCI bus notifier afterwards.  State changes become events
 * numbered 1, 2, 3... in the order they happen, handed to the listener
 * installed with vfpost_registry_set_listener() (netlink.c multicasts them).
 *
 * Locking:
 *  - vfpost_lock (mutex) protects the VF list, the PF list, every entry's
 *    fields, the event sequence number and the generation.  Events are sent
 *    with it held, so sequence order is delivery order.  Sending never waits
 *    for a listener (netlink broadcast drops on a full receive buffer).
 *  - A VF has at most one claim or release under way: its entry's ->bind
 *    (under vfpost_lock) points to the bind work doing it, and every other
 *    claim or release of that VF is refused with -EBUSY meanwhile.  No
 *    lock is held across a binding, so a binding that waits (below) holds
 *    up nothing but its own VF.
 *  - Never wait for a device lock (or bind/unbind a driver, which does)
 *    with vfpost_lock held: bus notifiers run under the device lock and
 *    take vfpost_lock.  The bind work drops vfpost_lock around the
 *    binding.  The PF work only ever tries a PF's device lock.
 *  - Every entry holds a reference on its pci_dev and is matched by that
 *    pointer, never by its address alone: a new VF at the address of a
 *    deleted one is a new entry.  The reference is dropped when the VF is
 *    deleted (BUS_NOTIFY_DEL_DEVICE), when an entry is found stale (below)
 *    or at unload.  Readers never keep pointers to entries outside
 *    vfpost_lock; dumps resume by key.
 *
 * PF "numvfs changed" events: VF add/remove notifications arrive while the
 * PF's sriov_numvfs write is still in progress (pci_num_vf() still reads the
 * old value), so they only mark the PF; a work item on vfpost's own
 * workqueue then tries the PF's device lock, which that write holds, and
 * reports pci_num_vf() once the write is complete.  It never sleeps on
 * that lock (a write can hold it for as long as a VMM keeps a VF open): it
 * retries after VFPOST_PF_RETRY_MS, doubling the delay up to
 * VFPOST_PF_RETRY_MAX_MS while the lock stays taken, so unload never waits
 * behind a write.  Once the PF's lock is free, every VF of that write is
 * fully added or deleted, so the same work also drops entries whose device
 * is no longer registered: the walk at load can add a VF whose deletion it
 * raced, and nothing else would ever remove that entry.  A sriov_numvfs
 * write takes the rescan/remove lock around sriov_configure, as the walk
 * does, but a PF driver enabling or disabling SR-IOV from its own probe or
 * remove does not.
 *
 * The walk at load waits for each VF's device lock (for its driver's
 * name) with the rescan/remove lock held: a VF whose lock is held for long
 * (a sysfs unbind of vfio-pci waiting for a VMM to close it) holds up the
 * load, and sriov_numvfs writes with it, until that unbind completes.  A
 * trylock would not do: the entry would show no driver for a VF that has
 * one, with no notification to come to correct it.
 *
 * Claims tied to a socket (VFPOST_A_RELEASE_ON_CLOSE): the claimant's
 * netlink port is recorded; a netlink notifier (NETLINK_URELEASE, process
 * context, when the socket is released: close or exit) marks its claims
 * due, and a work item starts a give-back (bind work, below) for each due
 * VF that is not open.  A VF still open is released by the same work once
 * vfpost_registry_closed() runs.  Nothing waits for a VMM to close a
 * device.
 *
 * A claim ends, with nothing given back, when another driver binds the VF
 * (an admin's sysfs unbind and bind): that driver may have it open, and
 * unbinding it would wait for its user.  vfpost unbound alone keeps the
 * claim (no driver: unload or a release attaches the previous one), and
 * vfpost_give_back() unbinds no driver but vfpost.
 *
 * Opening against unbinding: the unbind in device_release_driver() waits
 * (VFIO's unregister) until every user has closed the device, so every
 * path that unbinds must know the device is not open and stays so:
 *  - A VF bound to vfpost: the unbinding path checks under vfpost_lock that
 *    no VMM has it open and sets ->unbinding; vfpost's open_device asks
 *    vfpost_registry_opened() under the same lock before enabling anything
 *    and fails with -EBUSY while ->unbinding is set.  No window.
 *  - A VF bound to another vfio-pci-core driver (a claim from vfio-pci):
 *    vfpost cannot gate that driver's open.  The claim reads the VFIO
 *    device's open_count under its device lock and the device set's lock
 *    (which VFIO's open holds while it counts the open and calls
 *    open_device) and refuses with -EBUSY if it is open.  An open that
 *    starts after that read needs the device lock too: vfio-pci-core's
 *    open_device resets the VF with pci_try_reset_function(), which fails
 *    the open with -EAGAIN if the device lock is held.  The remaining
 *    window is the moment between dropping the device lock after the check
 *    and device_release_driver() taking it again: an open that completes
 *    exactly there makes the unbind wait for that user to close, like a
 *    sysfs unbind (VFIO asks it through its request eventfd).  A VF
 *    without a reset method (VFs must have FLR) is not gated at all.
 *    Holding the VF's config access lock (pci_cfg_access_lock(), which
 *    the reset also tries) across the unbind would close the window, but
 *    device_release_driver() takes the device lock inside it, the reverse
 *    of the order pci_reset_function() takes the two in on 6.1: a sysfs
 *    reset of the VF at that moment would deadlock both.
 *  - The same holds for a give-back whose VF was moved from vfpost to
 *    another driver through sysfs between the check of its driver and the
 *    unbind.
 *
 * Binding in a work item: since those windows cannot be closed from here,
 * no request unbinds a driver itself.  A claim or release checks what it
 * can under vfpost_lock, marks the entry (->bind) and queues a bind work
 * on vfpost_wq, which unbinds and binds and then sends a VF_CLAIMED or
 * VF_RELEASED event.  The request waits for it VFPOST_BIND_WAIT_MS at
 * most (killable): if the unbind is waiting for a user that opened the VF
 * in the window, the request fails with -EINPROGRESS and an extack naming
 * the driver and the VFIO group file, and the work completes when that
 * user closes the device (VFIO asks it to every 10 s).  A claim tied to
 * its socket whose socket closes meanwhile is released as soon as it
 * completes.  The generic netlink request thus never waits for a VMM:
 * with parallel_ops it takes no genl_mutex, but it holds genetlink's
 * cb_lock for reading, which any family (un)registration waits for, and
 * every later genetlink request behind that.
 *
 * Unload against bind works: each holds a module reference from the
 * moment it is created until its function is done, and is created with
 * try_module_get().  So rmmod fails at once ("in use") while a binding
 * waits for a VMM, instead of waiting for it, and no work can start once
 * rmmod has begun.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/kref.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/netlink.h>
#include <linux/notifier.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vfio.h>
#include <linux/vfio_pci_core.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>

#include "compat.h"
#include "vfpost.h"

struct vfpost_vf {
	struct list_head node;		/* in vfpost_vfs, sorted by key */
	struct pci_dev *pdev;		/* reference held */
	struct vfpost_vf_info info;	/* seq and generation unused */
	u32 request_count;
	/* While info.release_on_close: the claimant's socket. */
	const struct net *claim_net;	/* compared, never dereferenced */
	u32 claim_portid;
	bool release_due;		/* that socket closed: release */
	bool unbinding;			/* vfpost is being unbound: no opens */
	struct vfpost_bind *bind;	/* a claim or release under way */
};

struct vfpost_pf {
	struct list_head node;		/* in vfpost_pfs */
	struct pci_dev *pdev;		/* reference held */
	char bdf[VFPOST_BDF_LEN];
	int reported;			/* last numvfs reported */
	bool dirty;			/* a VF came or went since */
};

static DEFINE_MUTEX(vfpost_lock);
static LIST_HEAD(vfpost_vfs);
static LIST_HEAD(vfpost_pfs);
static u64 vfpost_seq;
static unsigned long vfpost_generation;
static vfpost_event_fn vfpost_listener;		/* vfpost_lock */
/* Claims with release_on_close, and tied claims being bound. */
static unsigned int vfpost_nr_tied;

/* How long a claim or release request waits for its bind work. */
#define VFPOST_BIND_WAIT_MS 2000

#define VFPOST_PF_RETRY_MS 10
#define VFPOST_PF_RETRY_MAX_MS 1000
static unsigned int vfpost_pf_retry_ms = VFPOST_PF_RETRY_MS;	/* vfpost_lock */

static struct workqueue_struct *vfpost_wq;
static void vfpost_pf_work_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(vfpost_pf_work, vfpost_pf_work_fn);
static void vfpost_release_work_fn(struct work_struct *work);
static DECLARE_WORK(vfpost_release_work, vfpost_release_work_fn);

static u64 vfpost_key(struct pci_dev *pdev)
{
	return (u64)pci_domain_nr(pdev->bus) << 16 |
	       (u64)pdev->bus->number << 8 | pdev->devfn;
}

static int vfpost_hex(const char *s, unsigned int n, u32 *val)
{
	unsigned int i;
	int d;

	*val = 0;
	for (i = 0; i < n; i++) {
		d = hex_to_bin(s[i]);
		if (d < 0)
			return -EINVAL;
		*val = *val << 4 | d;
	}
	return 0;
}

int vfpost_bdf_to_key(const char *bdf, u64 *key)
{
	const char *colon = strchr(bdf, ':');
	size_t dlen = colon ? colon - bdf : 0;
	u32 dom, bus, dev, fn;

	/* dddd (4..8 hex digits) ":" bb ":" dd "." f */
	if (dlen < 4 || dlen > 8 || strlen(colon) != 8 ||
	    colon[3] != ':' || colon[6] != '.')
		return -EINVAL;
	if (vfpost_hex(bdf, dlen, &dom) || vfpost_hex(colon + 1, 2, &bus) ||
	    vfpost_hex(colon + 4, 2, &dev) || vfpost_hex(colon + 7, 1, &fn))
		return -EINVAL;
	if (dev > 0x1f || fn > 7)
		return -EINVAL;
	*key = (u64)dom << 16 | bus << 8 | PCI_DEVFN(dev, fn);
	return 0;
}

static struct vfpost_vf *vfpost_find(u64 key)
{
	struct vfpost_vf *vf;

	lockdep_assert_held(&vfpost_lock);
	list_for_each_entry(vf, &vfpost_vfs, node)
		if (vf->info.key == key)
			return vf;
	return NULL;
}

static struct vfpost_vf *vfpost_find_pdev(struct pci_dev *pdev)
{
	struct vfpost_vf *vf = vfpost_find(vfpost_key(pdev));

	return vf && vf->pdev == pdev ? vf : NULL;
}

/* Send one event; fills in its sequence number and timestamp. */
static void vfpost_emit(struct vfpost_event_info *ev)
{
	lockdep_assert_held(&vfpost_lock);
	ev->seq = ++vfpost_seq;
	ev->timestamp_ns = ktime_get_real_ns();
	if (vfpost_listener)
		vfpost_listener(ev);
}

void vfpost_registry_set_listener(vfpost_event_fn fn)
{
	mutex_lock(&vfpost_lock);
	vfpost_listener = fn;
	mutex_unlock(&vfpost_lock);
}

/* One VF event; @error: a claim's or release's positive errno, or 0. */
static void vfpost_emit_vf_err(struct vfpost_vf *vf,
			       enum vfpost_event_type type,
			       const char *driver, pid_t pid, int error)
{
	struct vfpost_event_info ev = {
		.type = type,
		.bdf = vf->info.bdf,
		.pf_bdf = vf->info.pf_bdf,
		.vf_index = vf->info.vf_index,
		.driver = driver,
		.pid = pid,
		.request_count = vf->request_count,
		.error = error,
	};

	vfpost_emit(&ev);
}

static void vfpost_emit_vf(struct vfpost_vf *vf, enum vfpost_event_type type,
			   const char *driver, pid_t pid)
{
	vfpost_emit_vf_err(vf, type, driver, pid, 0);
}

static int vfpost_iommu_group_id(struct pci_dev *pdev)
{
	struct iommu_group *group = iommu_group_get(&pdev->dev);
	int id = group ? iommu_group_id(group) : -1;

	iommu_group_put(group);
	return id;
}

static void vfpost_set_state(struct vfpost_vf *vf, enum vfpost_vf_state state)
{
	static const char * const names[] = {
		[VFPOST_VF_UNBOUND] = "unbound",
		[VFPOST_VF_BOUND] = "bound",
		[VFPOST_VF_OPEN] = "open",
		[VFPOST_VF_REMOVING] = "removing",
	};

	pci_dbg(vf->pdev, "state %s -> %s\n", names[vf->info.state],
		names[state]);
	vf->info.state = state;
	vf->info.changed_ns = ktime_get_real_ns();
}

/* Mark @pf as having changed its VFs and let the work item report it. */
static void vfpost_pf_touch(struct pci_dev *pf)
{
	struct vfpost_pf *p;

	lockdep_assert_held(&vfpost_lock);
	list_for_each_entry(p, &vfpost_pfs, node)
		if (p->pdev == pf)
			goto found;
	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p) {
		pci_warn(pf, "out of memory: its numvfs changes go unreported\n");
		return;
	}
	p->pdev = pci_dev_get(pf);
	strscpy(p->bdf, pci_name(pf), sizeof(p->bdf));
	p->reported = pci_num_vf(pf);
	list_add_tail(&p->node, &vfpost_pfs);
found:
	p->dirty = true;
	mod_delayed_work(vfpost_wq, &vfpost_pf_work, 0);
}

static void vfpost_free(struct vfpost_vf *vf);

/* @p's write is complete and its VF count is @n: report, prune, forget. */
static void vfpost_pf_settle(struct vfpost_pf *p, int n)
{
	struct vfpost_event_info ev = { .type = VFPOST_EVENT_PF_NUMVFS };
	struct vfpost_vf *vf, *tmp;
	int nvfs = 0;

	lockdep_assert_held(&vfpost_lock);
	/* Entries whose device is gone (see the top of this file). */
	list_for_each_entry_safe(vf, tmp, &vfpost_vfs, node) {
		if (vf->pdev->physfn != p->pdev)
			continue;
		if (device_is_registered(&vf->pdev->dev)) {
			nvfs++;
			continue;
		}
		pci_dbg(vf->pdev, "stale entry dropped\n");
		vfpost_emit_vf(vf, VFPOST_EVENT_VF_REMOVED, NULL, 0);
		vfpost_free(vf);
	}
	if (n != p->reported) {
		pci_dbg(p->pdev, "numvfs %d -> %d\n", p->reported, n);
		p->reported = n;
		ev.pf_bdf = p->bdf;
		ev.num_vfs = n;
		vfpost_emit(&ev);
	}
	/* Forget a PF without VFs. */
	if (!n && !nvfs) {
		list_del(&p->node);
		pci_dev_put(p->pdev);
		kfree(p);
	}
}

static void vfpost_pf_work_fn(struct work_struct *work)
{
	struct vfpost_pf *p, *tmp;
	bool retry = false;
	int n;

	mutex_lock(&vfpost_lock);
	list_for_each_entry_safe(p, tmp, &vfpost_pfs, node) {
		if (!p->dirty)
			continue;
		/*
		 * A sriov_numvfs write in progress holds the PF's device lock.
		 * Only try it: vfpost_lock is held, and waiting here would hold
		 * up unload for as long as the write lasts.
		 */
		if (!device_trylock(&p->pdev->dev)) {
			retry = true;
			continue;
		}
		n = pci_num_vf(p->pdev);
		device_unlock(&p->pdev->dev);
		p->dirty = false;
		vfpost_pf_settle(p, n);
	}
	/*
	 * Back off while a write holds a PF (up to a second); a new VF
	 * change queues the work at once (vfpost_pf_touch()) anyway.
	 */
	if (retry) {
		queue_delayed_work(vfpost_wq, &vfpost_pf_work,
				   msecs_to_jiffies(vfpost_pf_retry_ms));
		vfpost_pf_retry_ms = min(2 * vfpost_pf_retry_ms,
					 VFPOST_PF_RETRY_MAX_MS);
	} else {
		vfpost_pf_retry_ms = VFPOST_PF_RETRY_MS;
	}
	mutex_unlock(&vfpost_lock);
}

/* Name of @pdev's driver into @buf; call with the device lock held. */
static void vfpost_driver_name(struct pci_dev *pdev, char *buf, size_t len)
{
	device_lock_assert(&pdev->dev);
	strscpy(buf, pdev->dev.driver ? pdev->dev.driver->name : "", len);
}

/* Track a new VF; @driver is its bound driver's name ("" if none). */
static void vfpost_add(struct pci_dev *pdev, const char *driver, bool notify)
{
	struct vfpost_vf *vf, *pos;
	u64 key = vfpost_key(pdev);

	lockdep_assert_held(&vfpost_lock);
	pos = vfpost_find(key);
	if (pos && pos->pdev == pdev)
		return;
	if (pos) {
		/* Two live devices never share an address: the old one is gone. */
		pci_dbg(pos->pdev, "stale entry replaced by a new VF\n");
		vfpost_emit_vf(pos, VFPOST_EVENT_VF_REMOVED, NULL, 0);
		vfpost_pf_touch(pos->pdev->physfn);
		vfpost_free(pos);
	}
	/* Our own warning says what is lost. */
	vf = kzalloc(sizeof(*vf), GFP_KERNEL | __GFP_NOWARN);
	if (!vf) {
		pci_warn(pdev, "out of memory: this VF is not tracked\n");
		return;
	}
	vf->pdev = pci_dev_get(pdev);
	vf->info.key = key;
	strscpy(vf->info.bdf, pci_name(pdev), sizeof(vf->info.bdf));
	strscpy(vf->info.pf_bdf, pci_name(pdev->physfn),
		sizeof(vf->info.pf_bdf));
	vf->info.vf_index = pci_iov_vf_id(pdev);
	vf->info.vendor = pdev->vendor;
	vf->info.device = pdev->device;
	strscpy(vf->info.driver, driver, sizeof(vf->info.driver));
	vf->info.state = *driver ? VFPOST_VF_BOUND : VFPOST_VF_UNBOUND;
	vf->info.created_ns = ktime_get_real_ns();
	vf->info.changed_ns = vf->info.created_ns;

	/* Keep the list sorted by key: dumps resume from a key. */
	list_for_each_entry(pos, &vfpost_vfs, node)
		if (pos->info.key > key)
			break;
	list_add_tail(&vf->node, &pos->node);
	vfpost_generation++;
	pci_dbg(pdev, "tracking VF %u of %s\n", vf->info.vf_index,
		vf->info.pf_bdf);

	if (notify) {
		vfpost_emit_vf(vf, VFPOST_EVENT_VF_ADDED, NULL, 0);
		vfpost_pf_touch(pdev->physfn);
	}
}

/* vfpost_netlink_notify() reads vfpost_nr_tied without vfpost_lock. */
static void vfpost_untie(struct vfpost_vf *vf)
{
	lockdep_assert_held(&vfpost_lock);
	if (vf->info.release_on_close)
		WRITE_ONCE(vfpost_nr_tied, vfpost_nr_tied - 1);
	vf->info.release_on_close = false;
}

/*
 * vfpost lost a claimed @vf (another driver bound it through sysfs): the
 * claim ends here, with nothing to give back.  Anything
 * later done for the claim (the release when its socket closes) would unbind
 * a driver that is not vfpost's, maybe with a VMM holding the VF open.
 */
static void vfpost_claim_lost(struct vfpost_vf *vf)
{
	lockdep_assert_held(&vfpost_lock);
	pci_info(vf->pdev, "claim ended: the VF left vfpost outside a release\n");
	vfpost_untie(vf);
	vf->info.claimed = false;
	vf->release_due = false;
	vf->info.prev_driver[0] = '\0';
	vf->info.prev_override[0] = '\0';
}

static void vfpost_free(struct vfpost_vf *vf)
{
	vfpost_untie(vf);
	list_del(&vf->node);
	vfpost_generation++;
	pci_dev_put(vf->pdev);
	kfree(vf);
}

static int vfpost_bus_notify(struct notifier_block *nb, unsigned long action,
			     void *data)
{
	struct pci_dev *pdev = to_pci_dev(data);
	struct vfpost_vf *vf;
	char name[VFPOST_DRIVER_LEN];

	if (!pdev->is_virtfn)
		return NOTIFY_DONE;

	/* Bound/unbound notifications run with the device lock held. */
	if (action == BUS_NOTIFY_BOUND_DRIVER)
		vfpost_driver_name(pdev, name, sizeof(name));

	mutex_lock(&vfpost_lock);
	switch (action) {
	case BUS_NOTIFY_ADD_DEVICE:
		vfpost_add(pdev, "", true);
		break;
	case BUS_NOTIFY_DEL_DEVICE:
		vf = vfpost_find_pdev(pdev);
		if (!vf) {
			/* The walk at load may add it yet: let the PF work see. */
			vfpost_pf_touch(pdev->physfn);
			break;
		}
		pci_dbg(pdev, "VF removed\n");
		vfpost_emit_vf(vf, VFPOST_EVENT_VF_REMOVED, NULL, 0);
		vfpost_pf_touch(pdev->physfn);
		vfpost_free(vf);
		break;
	case BUS_NOTIFY_BOUND_DRIVER:
		vf = vfpost_find_pdev(pdev);
		if (!vf)
			break;
		if (vf->info.claimed && strcmp(name, VFPOST_DRIVER_NAME))
			vfpost_claim_lost(vf);
		strscpy(vf->info.driver, name, sizeof(vf->info.driver));
		vfpost_set_state(vf, VFPOST_VF_BOUND);
		vfpost_emit_vf(vf, VFPOST_EVENT_DRIVER_BOUND, name, 0);
		break;
	case BUS_NOTIFY_UNBOUND_DRIVER:
		vf = vfpost_find_pdev(pdev);
		if (!vf)
			break;
		/*
		 * vfpost itself unbound keeps the claim (unload gives the VF
		 * back; a release attaches its previous driver): only another
		 * driver binding ends it, above.
		 */
		strscpy(name, vf->info.driver, sizeof(name));
		vf->info.driver[0] = '\0';
		vf->info.owner = 0;
		vfpost_set_state(vf, VFPOST_VF_UNBOUND);
		vfpost_emit_vf(vf, VFPOST_EVENT_DRIVER_UNBOUND, name, 0);
		break;
	}
	mutex_unlock(&vfpost_lock);
	return NOTIFY_OK;
}

static struct notifier_block vfpost_nb = {
	.notifier_call = vfpost_bus_notify,
};

static int vfpost_walk_one(struct device *dev, void *data)
{
	struct pci_dev *pdev = to_pci_dev(dev);
	char name[VFPOST_DRIVER_LEN];

	if (!pdev->is_virtfn)
		return 0;
	device_lock(dev);
	vfpost_driver_name(pdev, name, sizeof(name));
	device_unlock(dev);

	mutex_lock(&vfpost_lock);
	vfpost_add(pdev, name, false);
	/* Have the PF work check the entry once the PF is idle. */
	vfpost_pf_touch(pdev->physfn);
	mutex_unlock(&vfpost_lock);
	return 0;
}

/* Entry points for driver.c (process context). */

int vfpost_registry_opened(struct pci_dev *pdev, pid_t owner)
{
	struct vfpost_vf *vf;
	int ret = 0;

	mutex_lock(&vfpost_lock);
	vf = vfpost_find_pdev(pdev);
	if (vf && vf->unbinding) {
		pci_dbg(pdev, "open by pid %d refused: vfpost is being unbound\n",
			owner);
		ret = -EBUSY;
	} else if (vf) {
		/* Releases refuse from here on; "opened" once it is enabled. */
		vf->info.owner = owner;
		vf->request_count = 0;
	}
	mutex_unlock(&vfpost_lock);
	return ret;
}

void vfpost_registry_open_done(struct pci_dev *pdev)
{
	struct vfpost_vf *vf;

	mutex_lock(&vfpost_lock);
	vf = vfpost_find_pdev(pdev);
	if (vf) {
		vfpost_set_state(vf, VFPOST_VF_OPEN);
		vfpost_emit_vf(vf, VFPOST_EVENT_VF_OPENED, NULL,
			       vf->info.owner);
	}
	mutex_unlock(&vfpost_lock);
}

void vfpost_registry_open_failed(struct pci_dev *pdev)
{
	struct vfpost_vf *vf;

	mutex_lock(&vfpost_lock);
	vf = vfpost_find_pdev(pdev);
	if (vf) {
		/* Never reported open: no "closed" either. */
		vf->info.owner = 0;
		/* The release work skipped it while the owner was set. */
		if (vf->release_due)
			queue_work(vfpost_wq, &vfpost_release_work);
	}
	mutex_unlock(&vfpost_lock);
}

void vfpost_registry_closed(struct pci_dev *pdev)
{
	struct vfpost_vf *vf;
	pid_t owner;

	mutex_lock(&vfpost_lock);
	vf = vfpost_find_pdev(pdev);
	if (vf) {
		owner = vf->info.owner;
		vf->info.owner = 0;
		vfpost_set_state(vf, *vf->info.driver ? VFPOST_VF_BOUND :
					VFPOST_VF_UNBOUND);
		vfpost_emit_vf(vf, VFPOST_EVENT_VF_CLOSED, NULL, owner);
		/* Its claimant's socket is gone: give it back now. */
		if (vf->release_due)
			queue_work(vfpost_wq, &vfpost_release_work);
	}
	mutex_unlock(&vfpost_lock);
}

void vfpost_registry_reset(struct pci_dev *pdev)
{
	struct vfpost_vf *vf;

	mutex_lock(&vfpost_lock);
	vf = vfpost_find_pdev(pdev);
	if (vf) {
		pci_dbg(pdev, "reset\n");
		vf->info.changed_ns = ktime_get_real_ns();
		vfpost_emit_vf(vf, VFPOST_EVENT_VF_RESET, NULL, vf->info.owner);
	}
	mutex_unlock(&vfpost_lock);
}

void vfpost_registry_remove_requested(struct pci_dev *pdev,
				      unsigned int count)
{
	struct vfpost_vf *vf;

	mutex_lock(&vfpost_lock);
	vf = vfpost_find_pdev(pdev);
	if (vf) {
		vf->request_count = count;
		vfpost_set_state(vf, VFPOST_VF_REMOVING);
		vfpost_emit_vf(vf, VFPOST_EVENT_VF_REMOVE_REQUESTED, NULL,
			       vf->info.owner);
	}
	mutex_unlock(&vfpost_lock);
}

/* Queries for netlink.c. */

static void vfpost_snapshot(struct vfpost_vf *vf, struct vfpost_vf_info *info)
{
	*info = vf->info;
	info->seq = vfpost_seq;
	info->generation = vfpost_generation;
	info->iommu_group = vfpost_iommu_group_id(vf->pdev);
}

int vfpost_registry_get(u64 key, struct vfpost_vf_info *info)
{
	struct vfpost_vf *vf;
	int ret = -ENODEV;

	mutex_lock(&vfpost_lock);
	vf = vfpost_find(key);
	if (vf) {
		vfpost_snapshot(vf, info);
		ret = 0;
	}
	mutex_unlock(&vfpost_lock);
	return ret;
}

int vfpost_registry_next(u64 *cursor, bool has_pf, u64 pf_key,
			 struct vfpost_vf_info *info)
{
	struct vfpost_vf *vf;
	int ret = -ENOENT;

	mutex_lock(&vfpost_lock);
	list_for_each_entry(vf, &vfpost_vfs, node) {
		if (vf->info.key < *cursor)
			continue;
		if (has_pf && vfpost_key(vf->pdev->physfn) != pf_key)
			continue;
		vfpost_snapshot(vf, info);
		*cursor = vf->info.key + 1;
		ret = 0;
		break;
	}
	mutex_unlock(&vfpost_lock);
	return ret;
}

u64 vfpost_registry_status(u32 *nr_vfs)
{
	struct vfpost_vf *vf;
	u64 seq;

	mutex_lock(&vfpost_lock);
	*nr_vfs = 0;
	list_for_each_entry(vf, &vfpost_vfs, node)
		(*nr_vfs)++;
	seq = vfpost_seq;
	mutex_unlock(&vfpost_lock);
	return seq;
}

unsigned long vfpost_registry_generation(void)
{
	unsigned long gen;

	mutex_lock(&vfpost_lock);
	gen = vfpost_generation;
	mutex_unlock(&vfpost_lock);
	return gen;
}

struct pci_dev *vfpost_registry_pdev(u64 key)
{
	struct pci_dev *pdev = NULL;
	struct vfpost_vf *vf;

	mutex_lock(&vfpost_lock);
	vf = vfpost_find(key);
	if (vf)
		pdev = pci_dev_get(vf->pdev);
	mutex_unlock(&vfpost_lock);
	return pdev;
}

/* Claim and release. */

static bool vfpost_bound_to(struct pci_dev *pdev, const char *driver)
{
	bool ret;

	device_lock(&pdev->dev);
	ret = pdev->dev.driver && !strcmp(pdev->dev.driver->name, driver);
	device_unlock(&pdev->dev);
	return ret;
}

/*
 * Bind @pdev to @driver the way "echo BDF > drivers_probe" does with
 * driver_override set, then leave driver_override at @override.  Binding
 * a driver through its name only never needs a pointer to it, so a driver
 * module unloading meanwhile is harmless.  Returns 0 if @driver is bound.
 */
static int vfpost_attach(struct pci_dev *pdev, const char *driver,
			 const char *override)
{
	int ret;

	if (*driver) {
		ret = vfpost_set_override(pdev, driver);
		if (ret)
			return ret;
		ret = device_attach(&pdev->dev);
		if (ret < 0)
			pci_dbg(pdev, "attach to %s: %d\n", driver, ret);
	}
	ret = vfpost_set_override(pdev, override);
	if (ret)
		return ret;
	if (*driver && !vfpost_bound_to(pdev, driver))
		return -ENXIO;
	return 0;
}

/*
 * vfpost_attach() after unbinding @pdev's driver.  Called from the bind
 * work only (or at unload, where vfpost is unbound already): the unbind
 * may wait for the VF's user to close it.
 */
static int vfpost_bind(struct pci_dev *pdev, const char *driver,
		       const char *override)
{
	device_release_driver(&pdev->dev);
	return vfpost_attach(pdev, driver, override);
}

/*
 * Refuse (-EBUSY) to unbind a VF that userspace has open through another
 * vfio-pci-core driver: the unbind would wait until it closes.  Who has
 * it open is not looked up (that is a walk over every process's files):
 * @extack names the VFIO group file for fuser.  A VF bound to any other
 * driver that manages DMA itself (driver_managed_dma: the VFIO variant
 * drivers with their own error handlers, mlx5, hisi, pds, qat, virtio...)
 * is always refused: whether it is open cannot be read.  See "Opening
 * against unbinding" at the top for the open that lands after this check.
 * @name (VFPOST_DRIVER_LEN bytes) gets the driver that was checked ("" if
 * none), read under the device lock with the rest.  @extack may be NULL
 * (the bind work).  -EBUSY if open, -EPERM if bound to a VFIO driver
 * that cannot be checked.  With @trylock, -EAGAIN (and nothing checked) if the
 * device lock is held: a netlink request must not wait for it, since an
 * unbind or a removal waiting for a VMM holds it as long as the VMM likes.
 */
static int vfpost_check_vfio_open(struct pci_dev *pdev,
				  struct netlink_ext_ack *extack, char *name,
				  bool trylock)
{
	struct vfio_pci_core_device *core = NULL;
	struct device_driver *drv;
	bool other_vfio = false;
	unsigned int open = 0;

	if (!trylock)
		device_lock(&pdev->dev);
	else if (!device_trylock(&pdev->dev))
		return -EAGAIN;
	drv = pdev->dev.driver;
	/* The driver may go once the lock is dropped: keep its name. */
	vfpost_driver_name(pdev, name, VFPOST_DRIVER_LEN);
	/*
	 * vfio_pci_core_aer_err_detected() takes the drvdata of every
	 * device whose driver uses these handlers as a vfio_pci_core_device.
	 */
	if (drv && to_pci_driver(drv)->err_handler == &vfio_pci_core_err_handlers)
		core = dev_get_drvdata(&pdev->dev);
	else if (drv && to_pci_driver(drv)->driver_managed_dma)
		other_vfio = true;
	if (core) {
		mutex_lock(&core->vdev.dev_set->lock);
		open = core->vdev.open_count;
		mutex_unlock(&core->vdev.dev_set->lock);
	}
	device_unlock(&pdev->dev);

	if (other_vfio) {
		pci_dbg(pdev, "claim refused: bound to VFIO driver %s\n", name);
		vfpost_extack_fmt(extack, pdev,
				  "bound to a VFIO driver vfpost cannot check: unbind it first (see dmesg)",
				  "bound to VFIO driver %s: unbind it first", name);
		return -EPERM;
	}
	if (!open)
		return 0;
	pci_dbg(pdev, "claim refused: open through %s (IOMMU group %d)\n",
		name, vfpost_iommu_group_id(pdev));
	vfpost_extack_fmt(extack, pdev,
			  "VF is open through a vfio-pci-core driver: close it first (see dmesg)",
			  "VF is open through %s: close it first (fuser /dev/vfio/%d)",
			  name, vfpost_iommu_group_id(pdev));
	return -EBUSY;
}

/*
 * End the claim of @vf (registry lock held): mark it unbinding (vfpost's
 * open_device refuses from now on) and copy what to restore.  Returns the
 * VF with a reference, for vfpost_give_back().
 */
static struct pci_dev *vfpost_unclaim(struct vfpost_vf *vf, char *prev_driver,
				      char *prev_override)
{
	lockdep_assert_held(&vfpost_lock);
	strscpy(prev_driver, vf->info.prev_driver, VFPOST_DRIVER_LEN);
	strscpy(prev_override, vf->info.prev_override, VFPOST_DRIVER_LEN);
	vfpost_untie(vf);
	vf->info.claimed = false;
	vf->release_due = false;
	vf->unbinding = true;
	vf->info.prev_driver[0] = '\0';
	vf->info.prev_override[0] = '\0';
	vf->info.changed_ns = ktime_get_real_ns();
	return pci_dev_get(vf->pdev);
}

/* Set or clear ->unbinding of @pdev's entry (vfpost's opens refused). */
static void vfpost_set_unbinding(struct pci_dev *pdev, bool unbinding)
{
	struct vfpost_vf *vf;

	mutex_lock(&vfpost_lock);
	vf = vfpost_find_pdev(pdev);
	if (vf)
		vf->unbinding = unbinding;
	mutex_unlock(&vfpost_lock);
}

/*
 * Unbind vfpost from an unclaimed @pdev (->unbinding set), rebind its
 * previous driver.  Only vfpost is ever unbound here: if another driver
 * has the VF (bound through sysfs since), only its driver_override is
 * restored, as that driver may have it open and unbinding it would wait
 * for that user.  A VF left without a driver (vfpost unbound through
 * sysfs, or unloaded) gets its previous driver.  Which driver is bound is
 * read before the unbind: a sysfs rebind exactly between the two is the
 * one case where this unbinds another driver (and may wait for its user,
 * in the bind work, see the top of this file).
 */
static int vfpost_give_back(struct pci_dev *pdev, const char *prev_driver,
			    const char *prev_override)
{
	bool mine, none;
	int ret;

	device_lock(&pdev->dev);
	none = !pdev->dev.driver;
	mine = !none && !strcmp(pdev->dev.driver->name, VFPOST_DRIVER_NAME);
	device_unlock(&pdev->dev);
	pci_dbg(pdev, "release: back to driver '%s' override '%s'\n",
		prev_driver, prev_override);
	if (mine) {
		ret = vfpost_bind(pdev, prev_driver, prev_override);
	} else if (none) {
		ret = vfpost_attach(pdev, prev_driver, prev_override);
	} else {
		pci_info(pdev, "release: vfpost no longer drives the VF, restoring only driver_override '%s'\n",
			 prev_override);
		ret = vfpost_set_override(pdev, prev_override);
	}
	vfpost_set_unbinding(pdev, false);
	return ret;
}

/* What went wrong in a bind work, for the waiting request's extack. */
enum vfpost_bind_fail {
	VFPOST_BIND_OK,
	VFPOST_BIND_CHANGED,		/* other driver before the unbind */
	VFPOST_BIND_OPENED,		/* opened before the unbind */
	VFPOST_BIND_ALREADY,		/* found bound to vfpost */
	VFPOST_BIND_UNCHECKABLE,	/* found on another VFIO driver */
	VFPOST_BIND_NOT_BOUND,		/* vfpost did not bind; restored */
	VFPOST_BIND_MOVED,		/* another driver bound it meanwhile */
	VFPOST_BIND_GONE,		/* the VF was removed meanwhile */
	VFPOST_BIND_NO_REBIND,		/* released, previous driver not back */
};

/*
 * One claim's binding or one release's give-back, run on vfpost_wq (see
 * "Binding in a work item" at the top).  Holds a reference on the module
 * from its creation until its work function is done with it.
 */
struct vfpost_bind {
	struct work_struct work;
	struct kref ref;		/* the work's, a waiting request's */
	struct completion done;		/* ret and fail are final */
	struct pci_dev *pdev;		/* reference held */
	bool claim;			/* else a give-back */
	bool prev_known;		/* claim: the request read the driver */
	char prev_driver[VFPOST_DRIVER_LEN];
	char prev_override[VFPOST_DRIVER_LEN];
	/* A claim tied to its socket; tie_closed under vfpost_lock. */
	bool tied;
	bool tie_closed;		/* the socket closed meanwhile */
	struct vfpost_claimant tie;
	int ret;
	enum vfpost_bind_fail fail;
};

static void vfpost_bind_work_fn(struct work_struct *work);

/*
 * A new bind work for @pdev, or an ERR_PTR: -ENODEV if vfpost is being
 * unloaded (try_module_get() fails once rmmod has begun; the unload then
 * gives every claimed VF back itself), -ENOMEM.  Sets @extack if non-NULL.
 */
static struct vfpost_bind *vfpost_bind_new(struct pci_dev *pdev, bool claim,
					   struct netlink_ext_ack *extack)
{
	struct vfpost_bind *b;

	if (!try_module_get(THIS_MODULE)) {
		NL_SET_ERR_MSG(extack, "vfpost is being unloaded");
		return ERR_PTR(-ENODEV);
	}
	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b) {
		NL_SET_ERR_MSG(extack, "out of memory for the bind work");
		module_put(THIS_MODULE);
		return ERR_PTR(-ENOMEM);
	}
	INIT_WORK(&b->work, vfpost_bind_work_fn);
	kref_init(&b->ref);
	init_completion(&b->done);
	b->pdev = pci_dev_get(pdev);
	b->claim = claim;
	return b;
}

static void vfpost_bind_free(struct kref *ref)
{
	struct vfpost_bind *b = container_of(ref, struct vfpost_bind, ref);

	pci_dev_put(b->pdev);
	kfree(b);
}

/* Drop a bind work that was never queued. */
static void vfpost_bind_discard(struct vfpost_bind *b)
{
	kref_put(&b->ref, vfpost_bind_free);
	module_put(THIS_MODULE);
}

/*
 * Queue @b for @vf (registry lock held).  With @wait, the caller keeps a
 * reference for vfpost_bind_wait().
 */
static void vfpost_bind_start(struct vfpost_vf *vf, struct vfpost_bind *b,
			      bool wait)
{
	lockdep_assert_held(&vfpost_lock);
	vf->bind = b;
	if (b->tied)
		WRITE_ONCE(vfpost_nr_tied, vfpost_nr_tied + 1);
	if (wait)
		kref_get(&b->ref);
	queue_work(vfpost_wq, &b->work);
}

/*
 * The claim's binding: unbind the previous driver, bind vfpost.  The
 * request checked the VF a while ago (the work may have waited for a
 * worker): check again right before the unbind, so that the unbind never
 * takes a driver other than the one recorded for the give-back, nor
 * waits for a VFIO user that opened the VF since.  What is left is the
 * gap between this check and device_release_driver() taking the device
 * lock again (see "Opening against unbinding" at the top).
 */
static void vfpost_claim_work(struct vfpost_bind *b)
{
	char cur[VFPOST_DRIVER_LEN];
	struct pci_dev *pdev = b->pdev;
	struct vfpost_vf *vf;
	int ret;

	ret = vfpost_check_vfio_open(pdev, NULL, cur, false);
	if (ret) {
		/* For the extack: the driver it is open through. */
		strscpy(b->prev_driver, cur, sizeof(b->prev_driver));
		b->ret = -EBUSY;
		b->fail = ret == -EBUSY ? VFPOST_BIND_OPENED :
					  VFPOST_BIND_UNCHECKABLE;
	} else if (b->prev_known && strcmp(cur, b->prev_driver)) {
		pci_dbg(pdev, "claim: driver changed to '%s' before the unbind\n",
			cur);
		b->ret = -EBUSY;
		b->fail = VFPOST_BIND_CHANGED;
	} else if (!strcmp(cur, VFPOST_DRIVER_NAME)) {
		b->ret = -EALREADY;
		b->fail = VFPOST_BIND_ALREADY;
	} else {
		strscpy(b->prev_driver, cur, sizeof(b->prev_driver));
		vfpost_get_override(pdev, b->prev_override,
				    sizeof(b->prev_override));
		pci_dbg(pdev, "claim: was driver '%s' override '%s'\n",
			b->prev_driver, b->prev_override);
	}
	if (b->ret) {
		/* nothing unbound */
	} else if (vfpost_bind(pdev, VFPOST_DRIVER_NAME, VFPOST_DRIVER_NAME)) {
		/* vfpost may be bound: no open while it is unbound. */
		vfpost_set_unbinding(pdev, true);
		if (vfpost_bind(pdev, b->prev_driver, b->prev_override))
			pci_warn(pdev, "could not rebind %s after a failed claim\n",
				 b->prev_driver);
		vfpost_set_unbinding(pdev, false);
		b->ret = -ENXIO;
		b->fail = VFPOST_BIND_NOT_BOUND;
	}

	mutex_lock(&vfpost_lock);
	vf = vfpost_find_pdev(pdev);
	if (vf)
		vf->bind = NULL;
	if (b->ret) {
		/* said above */
	} else if (!vf) {
		b->ret = -ENODEV;
		b->fail = VFPOST_BIND_GONE;
	} else if (strcmp(vf->info.driver, VFPOST_DRIVER_NAME)) {
		/* Moved through sysfs since the bind: leave it where it is. */
		b->ret = -EBUSY;
		b->fail = VFPOST_BIND_MOVED;
	} else {
		vf->info.claimed = true;
		strscpy(vf->info.prev_driver, b->prev_driver,
			sizeof(vf->info.prev_driver));
		strscpy(vf->info.prev_override, b->prev_override,
			sizeof(vf->info.prev_override));
		if (b->tied && b->tie_closed) {
			/* Its socket closed while the claim waited. */
			vf->release_due = true;
			queue_work(vfpost_wq, &vfpost_release_work);
		} else if (b->tied) {
			/* vfpost_nr_tied counted it from the start. */
			vf->info.release_on_close = true;
			vf->claim_net = b->tie.net;
			vf->claim_portid = b->tie.portid;
		}
		vf->info.changed_ns = ktime_get_real_ns();
		pci_dbg(pdev, "claimed%s\n",
			b->tied ? " until its claimant's socket closes" : "");
	}
	if (b->tied && !b->tie_closed && !(vf && vf->info.release_on_close))
		WRITE_ONCE(vfpost_nr_tied, vfpost_nr_tied - 1);
	if (vf)
		vfpost_emit_vf_err(vf, VFPOST_EVENT_VF_CLAIMED, NULL, 0, -b->ret);
	mutex_unlock(&vfpost_lock);
}

/* The release's give-back: unbind vfpost, bind the previous driver. */
static void vfpost_give_back_work(struct vfpost_bind *b)
{
	struct vfpost_vf *vf;

	if (vfpost_give_back(b->pdev, b->prev_driver, b->prev_override)) {
		pci_warn(b->pdev, "released, but could not rebind %s\n",
			 b->prev_driver);
		b->ret = -ENXIO;
		b->fail = VFPOST_BIND_NO_REBIND;
	}
	mutex_lock(&vfpost_lock);
	vf = vfpost_find_pdev(b->pdev);
	if (vf) {
		vf->bind = NULL;
		vfpost_emit_vf_err(vf, VFPOST_EVENT_VF_RELEASED,
				   b->prev_driver, 0, -b->ret);
	}
	mutex_unlock(&vfpost_lock);
}

static void vfpost_bind_work_fn(struct work_struct *work)
{
	struct vfpost_bind *b = container_of(work, struct vfpost_bind, work);

	if (b->claim)
		vfpost_claim_work(b);
	else
		vfpost_give_back_work(b);
	complete(&b->done);
	kref_put(&b->ref, vfpost_bind_free);
	/*
	 * Taken by vfpost_bind_new().  Once it is dropped rmmod may begin;
	 * its destroy_workqueue() waits for this function to return.
	 */
	module_put(THIS_MODULE);
}

/*
 * Wait, a bounded time and killably, for @b and put the caller's
 * reference.  If the work is not done by then, its unbind is waiting for
 * the VF's user to close it: say so with -EINPROGRESS; the work goes on
 * and reports its end by a VF_CLAIMED or VF_RELEASED event.
 */
static int vfpost_bind_wait(struct vfpost_bind *b,
			    struct netlink_ext_ack *extack)
{
	long left;
	int ret;

	left = wait_for_completion_killable_timeout(&b->done,
						    msecs_to_jiffies(VFPOST_BIND_WAIT_MS));
	if (left > 0) {
		ret = b->ret;
		switch (b->fail) {
		case VFPOST_BIND_OK:
			break;
		case VFPOST_BIND_CHANGED:
			NL_SET_ERR_MSG(extack,
				       "VF changed driver during the claim, before its unbind: nothing done");
			break;
		case VFPOST_BIND_OPENED:
			/* As the request's own check says it. */
			vfpost_extack_fmt(extack, b->pdev,
					  "VF is open through a vfio-pci-core driver: close it first (see dmesg)",
					  "VF is open through %s: close it first (fuser /dev/vfio/%d)",
					  b->prev_driver,
					  vfpost_iommu_group_id(b->pdev));
			break;
		case VFPOST_BIND_UNCHECKABLE:
			vfpost_extack_fmt(extack, b->pdev,
					  "bound to a VFIO driver vfpost cannot check: unbind it first (see dmesg)",
					  "bound to VFIO driver %s: unbind it first",
					  b->prev_driver);
			break;
		case VFPOST_BIND_ALREADY:
			NL_SET_ERR_MSG(extack,
				       "VF is already bound to vfpost (not through a claim)");
			break;
		case VFPOST_BIND_NOT_BOUND:
			NL_SET_ERR_MSG(extack,
				       "the vfpost driver did not bind the VF (see dmesg); previous driver restored");
			break;
		case VFPOST_BIND_MOVED:
			NL_SET_ERR_MSG(extack, "VF left vfpost during the claim");
			break;
		case VFPOST_BIND_GONE:
			NL_SET_ERR_MSG(extack, "VF was removed during the claim");
			break;
		case VFPOST_BIND_NO_REBIND:
			NL_SET_ERR_MSG(extack,
				       "released, but the previous driver did not bind again (see dmesg)");
			break;
		}
	} else if (left) {
		/* Killed: the work goes on, its event reports the end. */
		ret = -EINTR;
		if (b->claim)
			NL_SET_ERR_MSG(extack,
				       "interrupted; the claim goes on: its VF_CLAIMED event reports the end");
		else
			NL_SET_ERR_MSG(extack,
				       "interrupted; the release goes on: its VF_RELEASED event reports the end");
	} else if (b->claim) {
		/*
		 * Not necessarily an open: a real VF's driver can take
		 * seconds to remove (mlx5_core tears the function down
		 * through firmware) or to probe.  Say both.
		 */
		ret = -EINPROGRESS;
		vfpost_extack_fmt(extack, b->pdev,
				  "claim not done in 2 s (slow driver, or VF opened since): wait for VF_CLAIMED",
				  "%.15s unbind >2s (slow or open? fuser /dev/vfio/%d): see VF_CLAIMED",
				  b->prev_known ? b->prev_driver : "the driver",
				  vfpost_iommu_group_id(b->pdev));
	} else {
		ret = -EINPROGRESS;
		vfpost_extack_fmt(extack, b->pdev,
				  "release not done in 2 s (slow driver, or VF opened since): wait for VF_RELEASED",
				  "give-back >2s (slow, or open: fuser /dev/vfio/%d): wait for VF_RELEASED",
				  vfpost_iommu_group_id(b->pdev));
	}
	kref_put(&b->ref, vfpost_bind_free);
	return ret;
}

/* Whether @vf (registry lock held) cannot be claimed: -errno + extack. */
static int vfpost_claim_refused(struct vfpost_vf *vf,
				struct netlink_ext_ack *extack)
{
	lockdep_assert_held(&vfpost_lock);
	if (!vf) {
		NL_SET_ERR_MSG(extack, "no SR-IOV VF at this address");
		return -ENODEV;
	}
	if (vf->bind) {
		NL_SET_ERR_MSG(extack,
			       "a claim or release of this VF is still in progress: wait for its VF_CLAIMED or VF_RELEASED event");
		return -EBUSY;
	}
	if (vf->info.claimed) {
		NL_SET_ERR_MSG(extack, "VF is already claimed");
		return -EALREADY;
	}
	if (!strcmp(vf->info.driver, VFPOST_DRIVER_NAME)) {
		NL_SET_ERR_MSG(extack,
			       "VF is already bound to vfpost (not through a claim)");
		return -EALREADY;
	}
	return 0;
}

int vfpost_registry_claim(u64 key, const struct vfpost_claimant *tie,
			  struct netlink_ext_ack *extack)
{
	char prev_driver[VFPOST_DRIVER_LEN];
	struct vfpost_bind *b;
	struct pci_dev *pdev;
	struct vfpost_vf *vf;
	bool known;
	int ret;

	mutex_lock(&vfpost_lock);
	vf = vfpost_find(key);
	ret = vfpost_claim_refused(vf, extack);
	if (ret) {
		mutex_unlock(&vfpost_lock);
		return ret;
	}
	pdev = pci_dev_get(vf->pdev);
	mutex_unlock(&vfpost_lock);

	/*
	 * The driver to unbind and give back: the one checked, not a copy.
	 * If the device lock is busy (an unbind or removal may be waiting
	 * for a VMM under it) the work checks, and the request waits for
	 * that the bounded time only.
	 */
	ret = vfpost_check_vfio_open(pdev, extack, prev_driver, true);
	known = ret != -EAGAIN;
	if (!known) {
		ret = 0;
	} else if (ret) {
		ret = -EBUSY;
		goto put;
	} else if (!strcmp(prev_driver, VFPOST_DRIVER_NAME)) {
		NL_SET_ERR_MSG(extack,
			       "VF is already bound to vfpost (not through a claim)");
		ret = -EALREADY;
		goto put;
	}
	b = vfpost_bind_new(pdev, true, extack);
	if (IS_ERR(b)) {
		ret = PTR_ERR(b);
		goto put;
	}
	if (known)
		strscpy(b->prev_driver, prev_driver, sizeof(b->prev_driver));
	b->prev_known = known;
	if (tie) {
		/*
		 * The request holds the socket's file: it cannot be released
		 * (NETLINK_URELEASE) before the work is queued; afterwards
		 * vfpost_netlink_notify() marks the work.
		 */
		b->tied = true;
		b->tie = *tie;
	}

	mutex_lock(&vfpost_lock);
	vf = vfpost_find_pdev(pdev);
	/* Another claim may have started while the lock was dropped. */
	ret = vfpost_claim_refused(vf, extack);
	if (!ret)
		vfpost_bind_start(vf, b, true);
	mutex_unlock(&vfpost_lock);
	if (ret)
		vfpost_bind_discard(b);
	else
		ret = vfpost_bind_wait(b, extack);
put:
	pci_dev_put(pdev);
	return ret;
}

int vfpost_registry_release(u64 key, struct netlink_ext_ack *extack)
{
	struct vfpost_bind *b = NULL;
	struct pci_dev *pdev;
	struct vfpost_vf *vf;
	int ret = 0;

	mutex_lock(&vfpost_lock);
	vf = vfpost_find(key);
	if (!vf) {
		NL_SET_ERR_MSG(extack, "no SR-IOV VF at this address");
		ret = -ENODEV;
	} else if (vf->bind) {
		NL_SET_ERR_MSG(extack,
			       "a claim or release of this VF is still in progress: wait for its VF_CLAIMED or VF_RELEASED event");
		ret = -EBUSY;
	} else if (!vf->info.claimed) {
		NL_SET_ERR_MSG(extack, "VF is not claimed");
		ret = -ENOENT;
	} else if (vf->info.owner) {
		vfpost_extack_fmt(extack, vf->pdev,
				  "VF is open by a VMM; close it first (see dmesg)",
				  "VF is open by a VMM (pid %d); close it first",
				  vf->info.owner);
		ret = -EBUSY;
	} else {
		b = vfpost_bind_new(vf->pdev, false, extack);
		if (IS_ERR(b))
			ret = PTR_ERR(b);
	}
	if (!ret) {
		pdev = vfpost_unclaim(vf, b->prev_driver, b->prev_override);
		pci_dev_put(pdev);
		vfpost_bind_start(vf, b, true);
	}
	mutex_unlock(&vfpost_lock);
	return ret ? ret : vfpost_bind_wait(b, extack);
}

/*
 * Release every VF whose claimant's socket has closed and that no VMM has
 * open, through a bind work each.  A VF still open is left due:
 * vfpost_registry_closed() queues this work again when its VMM closes it,
 * so nothing here waits for a VMM.  A VF whose bind work cannot start (out
 * of memory, unload under way) stays claimed; the unload gives it back.
 */
static void vfpost_release_work_fn(struct work_struct *work)
{
	struct vfpost_bind *b;
	struct pci_dev *pdev;
	struct vfpost_vf *vf;

	mutex_lock(&vfpost_lock);
	list_for_each_entry(vf, &vfpost_vfs, node) {
		if (!vf->release_due || !vf->info.claimed || vf->info.owner ||
		    vf->bind)
			continue;
		b = vfpost_bind_new(vf->pdev, false, NULL);
		if (IS_ERR(b)) {
			pci_warn(vf->pdev, "claimant gone, but cannot give the VF back now: %pe\n",
				 b);
			continue;
		}
		pdev = vfpost_unclaim(vf, b->prev_driver, b->prev_override);
		pci_info(pdev, "claimant gone: giving the VF back to '%s'\n",
			 b->prev_driver);
		pci_dev_put(pdev);
		vfpost_bind_start(vf, b, false);
	}
	mutex_unlock(&vfpost_lock);
}

/*
 * A netlink socket is being released (close or exit; process context).
 * Claims made through it with VFPOST_A_RELEASE_ON_CLOSE become due.  Runs
 * for every netlink socket on the machine: one read when none are tied.
 */
static int vfpost_netlink_notify(struct notifier_block *nb,
				 unsigned long event, void *data)
{
	struct netlink_notify *n = data;
	struct vfpost_bind *b;
	struct vfpost_vf *vf;
	bool due = false;

	if (event != NETLINK_URELEASE || n->protocol != NETLINK_GENERIC ||
	    !READ_ONCE(vfpost_nr_tied))
		return NOTIFY_DONE;
	mutex_lock(&vfpost_lock);
	list_for_each_entry(vf, &vfpost_vfs, node) {
		b = vf->bind;
		if (b && b->tied && !b->tie_closed &&
		    b->tie.portid == n->portid && b->tie.net == n->net) {
			/* Its bind work releases it when done. */
			pci_dbg(vf->pdev, "claimant's socket closed during the claim\n");
			b->tie_closed = true;
			WRITE_ONCE(vfpost_nr_tied, vfpost_nr_tied - 1);
		}
		if (vf->info.release_on_close &&
		    vf->claim_portid == n->portid && vf->claim_net == n->net) {
			pci_dbg(vf->pdev, "claimant's socket closed\n");
			vfpost_untie(vf);
			vf->release_due = true;
			due = true;
		}
	}
	if (due)
		queue_work(vfpost_wq, &vfpost_release_work);
	mutex_unlock(&vfpost_lock);
	return NOTIFY_OK;
}

static struct notifier_block vfpost_netlink_nb = {
	.notifier_call = vfpost_netlink_notify,
};

/* Forget every VF and PF (unload, or a failed load). */
static void vfpost_free_all(void)
{
	struct vfpost_vf *vf, *tmp;
	struct vfpost_pf *p, *ptmp;

	mutex_lock(&vfpost_lock);
	list_for_each_entry_safe(vf, tmp, &vfpost_vfs, node)
		vfpost_free(vf);
	list_for_each_entry_safe(p, ptmp, &vfpost_pfs, node) {
		list_del(&p->node);
		pci_dev_put(p->pdev);
		kfree(p);
	}
	mutex_unlock(&vfpost_lock);
}

int vfpost_registry_init(void)
{
	int ret;

	/* Its own queue: never behind (or holding up) other users' work. */
	vfpost_wq = alloc_workqueue("vfpost", WQ_UNBOUND, 0);
	if (!vfpost_wq)
		return -ENOMEM;
	ret = bus_register_notifier(&pci_bus_type, &vfpost_nb);
	if (ret)
		goto err_wq;
	ret = netlink_register_notifier(&vfpost_netlink_nb);
	if (ret)
		goto err_bus;
	/*
	 * The notifier does not replay existing devices: walk them.  VFs
	 * deleted meanwhile are dropped by the PF work (see the top).
	 */
	pci_lock_rescan_remove();
	bus_for_each_dev(&pci_bus_type, NULL, NULL, vfpost_walk_one);
	pci_unlock_rescan_remove();
	return 0;

err_bus:
	bus_unregister_notifier(&pci_bus_type, &vfpost_nb);
	cancel_delayed_work_sync(&vfpost_pf_work);
	vfpost_free_all();
err_wq:
	destroy_workqueue(vfpost_wq);
	return ret;
}

/*
 * Called after the driver is unregistered.  A VF still claimed is given
 * back to its previous driver and driver_override, as a release would.
 * No bind work is running or can start: each holds a module reference
 * while it runs, so rmmod fails (the module is in use) rather than wait
 * for one, and try_module_get() fails from the moment rmmod begins.  The
 * give-back here unbinds nothing (vfpost is unbound already, and another
 * driver is never unbound).  No PF device lock is waited for: the PF work
 * only tries PF locks, and cancelling it waits at most for one pass.
 */
void vfpost_registry_exit(void)
{
	char prev_driver[VFPOST_DRIVER_LEN], prev_override[VFPOST_DRIVER_LEN];
	struct vfpost_vf *vf;
	struct pci_dev *pdev;

	netlink_unregister_notifier(&vfpost_netlink_nb);
	bus_unregister_notifier(&pci_bus_type, &vfpost_nb);
	cancel_work_sync(&vfpost_release_work);
	cancel_delayed_work_sync(&vfpost_pf_work);

	for (;;) {
		pdev = NULL;
		mutex_lock(&vfpost_lock);
		list_for_each_entry(vf, &vfpost_vfs, node) {
			if (vf->info.claimed) {
				pdev = vfpost_unclaim(vf, prev_driver,
						      prev_override);
				break;
			}
		}
		mutex_unlock(&vfpost_lock);
		if (!pdev)
			break;
		pci_info(pdev, "unload: giving the claimed VF back to '%s'\n",
			 prev_driver);
		if (vfpost_give_back(pdev, prev_driver, prev_override))
			pci_warn(pdev, "could not rebind %s\n", prev_driver);
		pci_dev_put(pdev);
	}
	destroy_workqueue(vfpost_wq);
	vfpost_free_all();
}
