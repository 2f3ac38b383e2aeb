// SPDX-License-Identifier: GPL-2.0
/* The VM's table of passthrough devices; see devices.h. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices.h"
#include "hotplug.h"
#include "log.h"
#include "vfio_pci.h"
#include "vfio_priv.h"

struct devtab {
	pthread_mutex_t lock;	/* dev[], nr; held across snapshots */
	struct vm *vm;
	enum irq_path path;	/* --irq-path, for devices added without one */
	enum vfio_backend backend;
	bool confined;
	struct hotplug *hp;	/* the guest's notification, or NULL */
	struct vfio_assigned *dev[VMM_MAX_VFIO];
	int nr;
};

struct devtab *devtab_new(struct vm *vm, enum irq_path path, enum vfio_backend backend)
{
	struct devtab *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	pthread_mutex_init(&t->lock, NULL);
	t->vm = vm;
	t->path = path;
	t->backend = backend;
	return t;
}

void devtab_free(struct devtab *t)
{
	int i;

	if (!t)
		return;
	for (i = 0; i < t->nr; i++)
		vfio_release(t->dev[i]);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

void devtab_set_hotplug(struct devtab *t, struct hotplug *hp)
{
	pthread_mutex_lock(&t->lock);
	t->hp = hp;
	pthread_mutex_unlock(&t->lock);
}

void devtab_set_confined(struct devtab *t)
{
	pthread_mutex_lock(&t->lock);
	t->confined = true;
	pthread_mutex_unlock(&t->lock);
}

int devtab_add(struct devtab *t, struct vfio_assigned *a)
{
	int ret = 0;

	pthread_mutex_lock(&t->lock);
	if (t->nr < VMM_MAX_VFIO)
		t->dev[t->nr++] = a;
	else
		ret = -ENOSPC;
	pthread_mutex_unlock(&t->lock);
	return ret;
}

int devtab_snapshot(struct devtab *t, struct vmm_device_info *out, int max)
{
	int i;

	pthread_mutex_lock(&t->lock);
	for (i = 0; i < t->nr && i < max; i++)
		vfio_describe(t->dev[i], &out[i]);
	pthread_mutex_unlock(&t->lock);
	return i;
}

/* Index of @bdf in the table, or -1; t->lock held. */
static int find(struct devtab *t, const char *bdf)
{
	int i;

	for (i = 0; i < t->nr; i++)
		if (!strcmp(t->dev[i]->bdf, bdf))
			return i;
	return -1;
}

/* Take entry @i out of the table (order kept); t->lock held. */
static struct vfio_assigned *take(struct devtab *t, int i)
{
	struct vfio_assigned *a = t->dev[i];

	memmove(&t->dev[i], &t->dev[i + 1], (t->nr - i - 1) * sizeof(t->dev[0]));
	t->dev[--t->nr] = NULL;
	return a;
}

int devtab_attach(struct devtab *t, const char *bdf, int path, const struct vfio_dev_opts *opts,
		  char *err, size_t errlen)
{
	struct vfio_assigned *a, *stale = NULL;
	enum irq_path p = path < 0 ? t->path : (enum irq_path)path;
	char norm[VMM_BDF_LEN];
	int i, ret = -1;

	if (cli_parse_bdf(bdf, norm)) {
		snprintf(err, errlen, "'%.32s' is not a PCI address; give DDDD:BB:DD.F or BB:DD.F",
			 bdf);
		return -EINVAL;
	}
	/*
	 * The table lock is held across the assignment: the control socket's
	 * one thread is the only caller, and a snapshot waits for it.
	 */
	pthread_mutex_lock(&t->lock);
	if (t->confined) {
		snprintf(err, errlen, "%s: cannot add a device once vibevmm is confined (its seccomp filter forbids opening devices); start vibevmm with --no-seccomp to add devices at run time, or name it with --vfio",
			 norm);
		ret = -EPERM;
		goto out;
	}
	i = find(t, norm);
	if (i >= 0 && !atomic_load(&t->dev[i]->dead)) {
		snprintf(err, errlen, "%s is already attached to this VM (guest 00:%02x.0); remove-device it first",
			 norm, t->dev[i]->pdev.devfn >> 3);
		ret = -EEXIST;
		goto out;
	}
	if (i >= 0) {
		stale = take(t, i);	/* detached by the host: its entry gives way */
		pthread_mutex_unlock(&t->lock);
		vfio_release(stale);
		pthread_mutex_lock(&t->lock);
	}
	if (t->nr == VMM_MAX_VFIO) {
		snprintf(err, errlen, "%s: the VM has %d devices, the most it takes; remove one first",
			 norm, VMM_MAX_VFIO);
		ret = -ENOSPC;
		goto out;
	}
	if (vfio_precheck(norm, p, t->backend)) {
		snprintf(err, errlen, "%s cannot be assigned; vibevmm's log says why", norm);
		ret = -ENODEV;
		goto out;
	}
	a = vfio_assign(t->vm, norm, p, t->backend, opts);
	/*
	 * Reset by vfio_assign(): now it may see guest RAM.  A no-op when
	 * another device's container or IOAS already maps it (see
	 * vfio_pci.h); the mapping itself when this is the VM's only device.
	 */
	if (!a || vfio_map_guest_ram(a)) {
		vfio_release(a);
		snprintf(err, errlen, "%s: assignment failed and was undone; vibevmm's log says why",
			 norm);
		ret = -EIO;
		goto out;
	}
	t->dev[t->nr++] = a;
	log_info("%s: added at run time as 00:%02x.0%s", norm, a->pdev.devfn >> 3,
		 t->hp ? "; the guest is told to check the slot" : "");
	hotplug_announce(t->hp, a->pdev.devfn >> 3);
	ret = 0;
out:
	pthread_mutex_unlock(&t->lock);
	return ret;
}

int devtab_detach(struct devtab *t, const char *bdf, unsigned int timeout_ms, bool *ejected,
		  char *err, size_t errlen)
{
	struct vfio_assigned *a;
	struct hotplug *hp;
	unsigned int slot;
	char norm[VMM_BDF_LEN];
	int i;

	*ejected = false;
	if (cli_parse_bdf(bdf, norm)) {
		snprintf(err, errlen, "'%.32s' is not a PCI address; give DDDD:BB:DD.F or BB:DD.F",
			 bdf);
		return -EINVAL;
	}
	pthread_mutex_lock(&t->lock);
	i = find(t, norm);
	if (i < 0) {
		pthread_mutex_unlock(&t->lock);
		snprintf(err, errlen, "%s is not attached to this VM; list-devices shows those that are",
			 norm);
		return -ENOENT;
	}
	a = t->dev[i];
	hp = t->hp;
	slot = a->pdev.devfn >> 3;
	pthread_mutex_unlock(&t->lock);
	/*
	 * Ask the guest first, without the table lock (stats go on).  Only
	 * the control socket's thread removes entries, so @a stays.
	 */
	if (hp && !atomic_load(&a->dead)) {
		log_info("%s: asking the guest to eject slot %u (waiting up to %u ms)", norm, slot,
			 timeout_ms);
		hotplug_request_eject(hp, slot);
		*ejected = hotplug_wait_eject(hp, slot, timeout_ms);
		if (*ejected)
			log_info("%s: the guest ejected it", norm);
	}
	if (!*ejected && !atomic_load(&a->dead))
		log_warn("%s: %s; detaching it by force: its driver sees the device vanish", norm,
			 hp ? "the guest did not eject it in time" : "no guest notification");
	pthread_mutex_lock(&t->lock);
	i = find(t, norm);
	a = take(t, i);
	pthread_mutex_unlock(&t->lock);
	vfio_release(a);
	hotplug_forget(hp, slot);
	log_info("%s: removed from the VM, reset and given back", norm);
	return 0;
}
