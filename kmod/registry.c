// SPDX-License-Identifier: GPL-2.0
/*
 * vfpost VF lifecycle tracker.
 *
 * Every SR-IOV VF on the PCI bus gets one entry: found by a walk at load
 * and by a PCI bus notifier afterwards.  State changes are multicast as
 * events (netlink.c) numbered 1, 2, 3... in the order they happen.
 *
 * Locking:
 *  - vfpost_lock (mutex) protects the VF list, the PF list, every entry's
 *    fields, the event sequence number and the generation.  Events are sent
 *    with it held, so sequence order is delivery order.  Sending never waits
 *    for a listener (netlink broadcast drops on a full receive buffer).
 *  - vfpost_claim_lock (mutex) serializes claim, release and the restore at
 *    unload.  It is taken before vfpost_lock, never inside it.
 *  - Never take a device lock (or bind/unbind a driver, which does) with
 *    vfpost_lock held: bus notifiers run under the device lock and take
 *    vfpost_lock.  Claim and release drop vfpost_lock around the binding.
 *  - Every entry holds a reference on its pci_dev, dropped when the VF is
 *    deleted (BUS_NOTIFY_DEL_DEVICE) or at unload.  Readers never keep
 *    pointers to entries outside vfpost_lock; dumps resume by key.
 *
 * PF "numvfs changed" events: VF add/remove notifications arrive while the
 * PF's sriov_numvfs write is still in progress (pci_num_vf() still reads the
 * old value), so they only mark the PF; a work item then takes the PF's
 * device lock, which that write holds, and reports pci_num_vf() once the
 * write is complete.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/netlink.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/workqueue.h>

#include "compat.h"
#include "vfpost.h"

struct vfpost_vf {
	struct list_head node;		/* in vfpost_vfs, sorted by key */
	struct pci_dev *pdev;		/* reference held */
	struct vfpost_vf_info info;	/* seq and generation unused */
	u32 request_count;
};

struct vfpost_pf {
	struct list_head node;		/* in vfpost_pfs */
	struct pci_dev *pdev;		/* reference held */
	char bdf[VFPOST_BDF_LEN];
	int reported;			/* last numvfs reported */
	bool dirty;			/* a VF came or went since */
};

static DEFINE_MUTEX(vfpost_lock);
static DEFINE_MUTEX(vfpost_claim_lock);
static LIST_HEAD(vfpost_vfs);
static LIST_HEAD(vfpost_pfs);
static u64 vfpost_seq;
static unsigned long vfpost_generation;

static void vfpost_pf_work_fn(struct work_struct *work);
static DECLARE_WORK(vfpost_pf_work, vfpost_pf_work_fn);

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
	vfpost_netlink_event(ev);
}

static void vfpost_emit_vf(struct vfpost_vf *vf, enum vfpost_event_type type,
			   const char *driver, pid_t pid)
{
	struct vfpost_event_info ev = {
		.type = type,
		.bdf = vf->info.bdf,
		.pf_bdf = vf->info.pf_bdf,
		.vf_index = vf->info.vf_index,
		.driver = driver,
		.pid = pid,
		.request_count = vf->request_count,
	};

	vfpost_emit(&ev);
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
	schedule_work(&vfpost_pf_work);
}

static void vfpost_pf_work_fn(struct work_struct *work)
{
	struct vfpost_event_info ev = { .type = VFPOST_EVENT_PF_NUMVFS };
	struct vfpost_pf *p, *found;
	struct vfpost_vf *vf;
	int n, nvfs;

	for (;;) {
		found = NULL;
		mutex_lock(&vfpost_lock);
		list_for_each_entry(p, &vfpost_pfs, node) {
			if (p->dirty) {
				p->dirty = false;
				found = p;
				break;
			}
		}
		mutex_unlock(&vfpost_lock);
		if (!found)
			return;

		/* Wait for the sriov_numvfs write in progress, if any. */
		device_lock(&found->pdev->dev);
		n = pci_num_vf(found->pdev);
		device_unlock(&found->pdev->dev);

		mutex_lock(&vfpost_lock);
		if (n != found->reported) {
			pci_dbg(found->pdev, "numvfs %d -> %d\n",
				found->reported, n);
			found->reported = n;
			ev.pf_bdf = found->bdf;
			ev.num_vfs = n;
			vfpost_emit(&ev);
		}
		/* Forget a PF without VFs, unless more changes are queued. */
		nvfs = 0;
		list_for_each_entry(vf, &vfpost_vfs, node)
			if (vf->pdev->physfn == found->pdev)
				nvfs++;
		if (!n && !nvfs && !found->dirty) {
			list_del(&found->node);
			pci_dev_put(found->pdev);
			kfree(found);
		}
		mutex_unlock(&vfpost_lock);
	}
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
	if (vfpost_find(key))
		return;
	vf = kzalloc(sizeof(*vf), GFP_KERNEL);
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

static void vfpost_free(struct vfpost_vf *vf)
{
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
		if (!vf)
			break;
		pci_dbg(pdev, "VF removed\n");
		vfpost_emit_vf(vf, VFPOST_EVENT_VF_REMOVED, NULL, 0);
		vfpost_pf_touch(pdev->physfn);
		vfpost_free(vf);
		break;
	case BUS_NOTIFY_BOUND_DRIVER:
		vf = vfpost_find_pdev(pdev);
		if (!vf)
			break;
		strscpy(vf->info.driver, name, sizeof(vf->info.driver));
		vfpost_set_state(vf, VFPOST_VF_BOUND);
		vfpost_emit_vf(vf, VFPOST_EVENT_DRIVER_BOUND, name, 0);
		break;
	case BUS_NOTIFY_UNBOUND_DRIVER:
		vf = vfpost_find_pdev(pdev);
		if (!vf)
			break;
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
	mutex_unlock(&vfpost_lock);
	return 0;
}

/* Entry points for driver.c (process context). */

void vfpost_registry_opened(struct pci_dev *pdev, pid_t owner)
{
	struct vfpost_vf *vf;

	mutex_lock(&vfpost_lock);
	vf = vfpost_find_pdev(pdev);
	if (vf) {
		vf->info.owner = owner;
		vf->request_count = 0;
		vfpost_set_state(vf, VFPOST_VF_OPEN);
		vfpost_emit_vf(vf, VFPOST_EVENT_VF_OPENED, NULL, owner);
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
	struct iommu_group *group;

	*info = vf->info;
	info->seq = vfpost_seq;
	info->generation = vfpost_generation;
	group = iommu_group_get(&vf->pdev->dev);
	info->iommu_group = group ? iommu_group_id(group) : -1;
	iommu_group_put(group);
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
static int vfpost_bind(struct pci_dev *pdev, const char *driver,
		       const char *override)
{
	int ret;

	device_release_driver(&pdev->dev);
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
 * Take the claim lock and the registry lock and find the VF at @key.  On
 * failure returns NULL, with no lock held and @extack set.
 */
static struct vfpost_vf *vfpost_lock_vf(u64 key,
					struct netlink_ext_ack *extack)
{
	struct vfpost_vf *vf;

	mutex_lock(&vfpost_claim_lock);
	mutex_lock(&vfpost_lock);
	vf = vfpost_find(key);
	if (!vf) {
		NL_SET_ERR_MSG(extack, "no SR-IOV VF at this address");
		mutex_unlock(&vfpost_lock);
		mutex_unlock(&vfpost_claim_lock);
	}
	return vf;
}

int vfpost_registry_claim(u64 key, struct netlink_ext_ack *extack)
{
	char prev_driver[VFPOST_DRIVER_LEN], prev_override[VFPOST_DRIVER_LEN];
	struct pci_dev *pdev;
	struct vfpost_vf *vf;
	int ret;

	vf = vfpost_lock_vf(key, extack);
	if (!vf)
		return -ENODEV;
	if (vf->info.claimed) {
		NL_SET_ERR_MSG(extack, "VF is already claimed");
		ret = -EALREADY;
		goto unlock;
	}
	if (!strcmp(vf->info.driver, VFPOST_DRIVER_NAME)) {
		NL_SET_ERR_MSG(extack,
			       "VF is already bound to vfpost (not through a claim)");
		ret = -EALREADY;
		goto unlock;
	}
	pdev = pci_dev_get(vf->pdev);
	strscpy(prev_driver, vf->info.driver, sizeof(prev_driver));
	mutex_unlock(&vfpost_lock);

	vfpost_get_override(pdev, prev_override, sizeof(prev_override));

	pci_dbg(pdev, "claim: was driver '%s' override '%s'\n", prev_driver,
		prev_override);
	ret = vfpost_bind(pdev, VFPOST_DRIVER_NAME, VFPOST_DRIVER_NAME);
	if (ret) {
		NL_SET_ERR_MSG(extack,
			       "the vfpost driver did not bind the VF (see dmesg); previous driver restored");
		if (vfpost_bind(pdev, prev_driver, prev_override))
			pci_warn(pdev, "could not rebind %s after a failed claim\n",
				 prev_driver);
		ret = -ENXIO;
		goto put;
	}

	mutex_lock(&vfpost_lock);
	vf = vfpost_find_pdev(pdev);
	if (vf) {
		vf->info.claimed = true;
		strscpy(vf->info.prev_driver, prev_driver,
			sizeof(vf->info.prev_driver));
		strscpy(vf->info.prev_override, prev_override,
			sizeof(vf->info.prev_override));
		vf->info.changed_ns = ktime_get_real_ns();
		pci_dbg(pdev, "claimed\n");
	} else {
		NL_SET_ERR_MSG(extack, "VF was removed during the claim");
		ret = -ENODEV;
	}
	mutex_unlock(&vfpost_lock);
put:
	pci_dev_put(pdev);
	mutex_unlock(&vfpost_claim_lock);
	return ret;

unlock:
	mutex_unlock(&vfpost_lock);
	mutex_unlock(&vfpost_claim_lock);
	return ret;
}

int vfpost_registry_release(u64 key, struct netlink_ext_ack *extack)
{
	char prev_driver[VFPOST_DRIVER_LEN], prev_override[VFPOST_DRIVER_LEN];
	struct pci_dev *pdev;
	struct vfpost_vf *vf;
	int ret;

	vf = vfpost_lock_vf(key, extack);
	if (!vf)
		return -ENODEV;
	if (!vf->info.claimed) {
		NL_SET_ERR_MSG(extack, "VF is not claimed");
		ret = -ENOENT;
		goto unlock;
	}
	if (vf->info.owner) {
		NL_SET_ERR_MSG(extack,
			       "VF is open by a VMM (owner pid in VF_GET); close it first");
		ret = -EBUSY;
		goto unlock;
	}
	pdev = pci_dev_get(vf->pdev);
	strscpy(prev_driver, vf->info.prev_driver, sizeof(prev_driver));
	strscpy(prev_override, vf->info.prev_override, sizeof(prev_override));
	vf->info.claimed = false;
	vf->info.prev_driver[0] = '\0';
	vf->info.prev_override[0] = '\0';
	vf->info.changed_ns = ktime_get_real_ns();
	mutex_unlock(&vfpost_lock);

	pci_dbg(pdev, "release: back to driver '%s' override '%s'\n",
		prev_driver, prev_override);
	ret = vfpost_bind(pdev, prev_driver, prev_override);
	if (ret) {
		NL_SET_ERR_MSG(extack,
			       "released, but the previous driver did not bind again (see dmesg)");
		ret = -ENXIO;
	}
	pci_dev_put(pdev);
	mutex_unlock(&vfpost_claim_lock);
	return ret;

unlock:
	mutex_unlock(&vfpost_lock);
	mutex_unlock(&vfpost_claim_lock);
	return ret;
}

int vfpost_registry_init(void)
{
	int ret;

	ret = bus_register_notifier(&pci_bus_type, &vfpost_nb);
	if (ret)
		return ret;
	/*
	 * The notifier does not replay existing devices: walk them.  The
	 * rescan/remove lock keeps sriov_numvfs writes out meanwhile, so a VF
	 * cannot be deleted (and notified) before the walk adds it.
	 */
	pci_lock_rescan_remove();
	ret = bus_for_each_dev(&pci_bus_type, NULL, NULL, vfpost_walk_one);
	pci_unlock_rescan_remove();
	if (ret)
		vfpost_registry_exit();
	return ret;
}

/*
 * Called after the driver is unregistered.  A VF still claimed is given
 * back to its previous driver and driver_override, as a release would.
 */
void vfpost_registry_exit(void)
{
	char prev_driver[VFPOST_DRIVER_LEN], prev_override[VFPOST_DRIVER_LEN];
	struct vfpost_vf *vf, *tmp;
	struct vfpost_pf *p, *ptmp;
	struct pci_dev *pdev;

	bus_unregister_notifier(&pci_bus_type, &vfpost_nb);
	cancel_work_sync(&vfpost_pf_work);

	mutex_lock(&vfpost_claim_lock);
	for (;;) {
		pdev = NULL;
		mutex_lock(&vfpost_lock);
		list_for_each_entry(vf, &vfpost_vfs, node) {
			if (vf->info.claimed) {
				vf->info.claimed = false;
				pdev = pci_dev_get(vf->pdev);
				strscpy(prev_driver, vf->info.prev_driver,
					sizeof(prev_driver));
				strscpy(prev_override, vf->info.prev_override,
					sizeof(prev_override));
				break;
			}
		}
		mutex_unlock(&vfpost_lock);
		if (!pdev)
			break;
		pci_info(pdev, "unload: giving the claimed VF back to '%s'\n",
			 prev_driver);
		if (vfpost_bind(pdev, prev_driver, prev_override))
			pci_warn(pdev, "could not rebind %s\n", prev_driver);
		pci_dev_put(pdev);
	}
	mutex_unlock(&vfpost_claim_lock);

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
