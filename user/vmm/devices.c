// SPDX-License-Identifier: GPL-2.0
/*
 * The VM's table of passthrough devices and their removal; see devices.h.
 *
 * Every removal runs on the table's removal thread, whoever starts it:
 *  - remove-device (devtab_detach(), the control socket's thread, which
 *    waits for the end);
 *  - the host (VFIO's request interrupt, vfpost's remove-requested event:
 *    the device's service thread sets vfio_removal_requested() and wakes
 *    the removal thread);
 *  - the guest (its _EJ0 of an occupied slot, asked for or not: hotplug.c
 *    records it and wakes the removal thread from the vCPU thread).
 * A removal asked for by the host or remove-device sets the slot in PCID
 * (the guest's eject request) and waits for the guest's eject until its
 * deadline; then, ejected or not (forced: logged as such), the device
 * leaves the table and vfio_release() undoes its assignment.  A guest's
 * own eject releases the device at once.  One thread for all: several
 * removals wait at the same time, each with its own deadline.
 *
 * Locks: t->lock (the table, the removals' state) is never taken on a vCPU
 * or service thread: they only kick the removal thread (t->kick_lock, held
 * for a flag).  t->lock is dropped around vfio_release(), which joins the
 * device's service thread and takes the bus lock.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "devices.h"
#include "hotplug.h"
#include "log.h"
#include "pci.h"
#include "thread.h"
#include "vfio_host.h"
#include "vfio_pci.h"
#include "vfio_priv.h"

/* A remove-device caller waiting for its removal (on its stack). */
struct removal_wait {
	bool done;
	bool ejected;
};

struct devtab_entry {
	struct vfio_assigned *a;	/* NULL while releasing */
	char bdf[VMM_BDF_LEN];
	uint64_t id;			/* unique in the table's life */
	unsigned int slot;		/* guest slot (1..31) */
	bool removing;			/* a removal started; deadline runs */
	bool asked;			/* the guest was asked to eject it */
	struct timespec deadline;	/* CLOCK_MONOTONIC */
	struct removal_wait *wait;	/* remove-device's, or NULL (host) */
	/*
	 * Being released (t->lock dropped): the entry stays, so that the
	 * device is not added again meanwhile, and snapshots show @last.
	 */
	bool releasing;
	struct vmm_device_info last;
};

struct devtab {
	pthread_mutex_t lock;	/* ent[], nr, removals; held across snapshots */
	pthread_cond_t done;	/* a removal_wait finished (with t->lock) */
	struct vm *vm;
	enum irq_path path;	/* --irq-path, for devices added without one */
	enum vfio_backend backend;
	unsigned int eject_ms;	/* the host's removals: time for the guest */
	bool confined;
	bool hurry;		/* the VM is stopping: force what waits */
	struct hotplug *hp;	/* the guest's notification, or NULL */
	struct devtab_entry ent[VMM_MAX_VFIO];
	int nr;
	uint64_t next_id;

	pthread_t thread;	/* the removal thread */
	bool thread_started;
	pthread_mutex_t kick_lock;
	pthread_cond_t kick_cond;	/* CLOCK_MONOTONIC */
	bool kicked, stop;
};

static void ts_add_ms(struct timespec *ts, unsigned int ms)
{
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static bool ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* Wake the removal thread.  Any thread; blocks only on kick_lock. */
static void kick(void *opaque)
{
	struct devtab *t = opaque;

	pthread_mutex_lock(&t->kick_lock);
	t->kicked = true;
	pthread_cond_signal(&t->kick_cond);
	pthread_mutex_unlock(&t->kick_lock);
}

/*
 * Take entry @i out of the table and release its device: t->lock held on
 * entry and on return (dropped meanwhile).  @ejected: the guest ejected it.
 */
static void finish(struct devtab *t, int i, bool ejected, const char *how)
{
	struct devtab_entry *e = &t->ent[i];
	struct vfio_assigned *a = e->a;
	struct removal_wait *wait = e->wait;
	unsigned int slot = e->slot;
	uint64_t id = e->id;
	bool host, resettable;

	if (ejected)
		log_info("%s: %s; releasing it", a->bdf, how);
	else if (!atomic_load(&a->dead))
		log_warn("%s: %s; detaching it by force: its driver sees the device vanish",
			 a->bdf, how);
	vfio_describe(a, &e->last);
	e->last.removing = true;
	e->releasing = true;
	e->a = NULL;
	/*
	 * The slot's hotplug state goes now, while the device still holds
	 * the slot on the bus: once vfio_release() took it off, an add-device
	 * (t->lock is dropped meanwhile) may put a new device there and
	 * announce it, which must not be wiped.
	 */
	hotplug_forget(t->hp, slot);
	if (!ejected && e->asked) {
		/*
		 * The guest was asked and still holds a device in the slot:
		 * the slot is not reused until its late _EJ0 (see
		 * release_late_ejects()), else that eject would take the
		 * next device for this one.
		 */
		hotplug_set_stale(t->hp, slot);
		pci_bus_hold_slot(vfio_host->pci_bus(t->vm), slot, true);
	}
	pthread_mutex_unlock(&t->lock);
	/*
	 * A device the host removes is not reset: its remover holds the
	 * device lock until the fd is closed (a reset would fail, EAGAIN).
	 */
	host = vfio_removal_requested(a);
	resettable = vfio_resettable(a);
	if (host)
		vfio_detach(a, "the host removes it");
	vfio_release(a);
	pthread_mutex_lock(&t->lock);
	for (i = 0; i < t->nr && t->ent[i].id != id; i++)
		;
	log_info("%s: removed from the VM and given back%s", t->ent[i].bdf,
		 host ? "" : resettable ? " (reset)" : " (it has no reset: not reset)");
	memmove(&t->ent[i], &t->ent[i + 1], (t->nr - i - 1) * sizeof(t->ent[0]));
	t->nr--;
	memset(&t->ent[t->nr], 0, sizeof(t->ent[0]));
	if (wait) {
		wait->done = true;
		wait->ejected = ejected;
		pthread_cond_broadcast(&t->done);
	}
}

/*
 * Ask the guest to eject entry @e's device, giving it @ms (0: no time, no
 * request); t->lock held.
 */
static void start_removal(struct devtab *t, struct devtab_entry *e, unsigned int ms,
			  struct removal_wait *wait, const char *who)
{
	e->removing = true;
	e->wait = wait;
	clock_gettime(CLOCK_MONOTONIC, &e->deadline);
	if (!t->hp || !ms || atomic_load(&e->a->dead))
		return;		/* the removal thread forces it */
	ts_add_ms(&e->deadline, ms);
	e->asked = true;
	log_info("%s: %s: asking the guest to eject slot %u (waiting up to %u ms)", e->a->bdf,
		 who, e->slot, ms);
	hotplug_request_eject(t->hp, e->slot);
}

/* Slots held after a forced removal that the guest ejected at last: free again. */
static void release_late_ejects(struct devtab *t)
{
	uint32_t late = hotplug_take_late_ejects(t->hp);
	unsigned int slot;

	for (slot = 1; slot < 32; slot++) {
		if (!(late & (1u << slot)))
			continue;
		log_info("hotplug: the guest ejected slot %u after its device was detached by force; the slot can take a device again",
			 slot);
		pci_bus_hold_slot(vfio_host->pci_bus(t->vm), slot, false);
	}
}

/*
 * One pass of the removal thread: start the host's removals, finish the
 * ejected and the overdue.  The earliest deadline still running into
 * @next: true if there is one.
 */
static bool run_removals(struct devtab *t, struct timespec *next)
{
	struct timespec now;
	bool have_next;
	int i;

	pthread_mutex_lock(&t->lock);
	release_late_ejects(t);
restart:
	clock_gettime(CLOCK_MONOTONIC, &now);
	have_next = false;
	for (i = 0; i < t->nr; i++) {
		struct devtab_entry *e = &t->ent[i];

		if (e->releasing)
			continue;
		if (hotplug_ejected(t->hp, e->slot)) {
			finish(t, i, true, e->removing ? "the guest ejected it" :
			       "the guest ejected it on its own (slot power off)");
			goto restart;
		}
		if (!e->removing && vfio_removal_requested(e->a))
			start_removal(t, e, t->eject_ms, NULL, "the host wants it back");
		if (!e->removing)
			continue;
		if (t->hurry || !ts_before(&now, &e->deadline)) {
			finish(t, i, false, atomic_load(&e->a->dead) ? "already detached by the host" :
			       !t->hp ? "no guest notification" :
			       !e->asked ? "no time given to eject it" :
			       t->hurry ? "the VM is stopping" : "the guest did not eject it in time");
			goto restart;
		}
		if (!have_next || ts_before(&e->deadline, next))
			*next = e->deadline;
		have_next = true;
	}
	pthread_mutex_unlock(&t->lock);
	return have_next;
}

static void *removal_thread(void *arg)
{
	struct devtab *t = arg;
	struct timespec next;
	bool stop = false, timed;

	while (!stop) {
		timed = run_removals(t, &next);
		pthread_mutex_lock(&t->kick_lock);
		while (!t->kicked && !t->stop) {
			if (!timed)
				pthread_cond_wait(&t->kick_cond, &t->kick_lock);
			else if (pthread_cond_timedwait(&t->kick_cond, &t->kick_lock, &next) ==
				 ETIMEDOUT)
				break;
		}
		t->kicked = false;
		stop = t->stop;
		pthread_mutex_unlock(&t->kick_lock);
	}
	return NULL;
}

struct devtab *devtab_new(struct vm *vm, enum irq_path path, enum vfio_backend backend,
			  unsigned int eject_ms)
{
	struct devtab *t = calloc(1, sizeof(*t));
	pthread_condattr_t ca;
	int ret;

	if (!t) {
		log_err("out of memory");
		return NULL;
	}
	pthread_mutex_init(&t->lock, NULL);
	pthread_mutex_init(&t->kick_lock, NULL);
	pthread_cond_init(&t->done, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&t->kick_cond, &ca);
	pthread_condattr_destroy(&ca);
	t->vm = vm;
	t->path = path;
	t->backend = backend;
	t->eject_ms = eject_ms;
	ret = vmm_thread_start(&t->thread, removal_thread, t);
	if (ret) {
		log_err("cannot start the device removal thread: %s", strerror(ret));
		devtab_free(t);
		return NULL;
	}
	t->thread_started = true;
	return t;
}

void devtab_hurry(struct devtab *t)
{
	if (!t)
		return;
	pthread_mutex_lock(&t->lock);
	t->hurry = true;
	pthread_mutex_unlock(&t->lock);
	kick(t);
}

void devtab_free(struct devtab *t)
{
	int i;

	if (!t)
		return;
	if (t->thread_started) {
		pthread_mutex_lock(&t->kick_lock);
		t->stop = true;
		pthread_cond_signal(&t->kick_cond);
		pthread_mutex_unlock(&t->kick_lock);
		pthread_join(t->thread, NULL);
	}
	if (t->hp)
		hotplug_set_notify(t->hp, NULL, NULL);
	for (i = 0; i < t->nr; i++)
		vfio_release(t->ent[i].a);	/* none is releasing: no thread is left */
	pthread_cond_destroy(&t->kick_cond);
	pthread_cond_destroy(&t->done);
	pthread_mutex_destroy(&t->kick_lock);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

void devtab_set_hotplug(struct devtab *t, struct hotplug *hp)
{
	int i;

	pthread_mutex_lock(&t->lock);
	if (t->hp && t->hp != hp)
		hotplug_set_notify(t->hp, NULL, NULL);
	t->hp = hp;
	if (hp) {
		hotplug_set_notify(hp, kick, t);
		for (i = 0; i < t->nr; i++)
			hotplug_set_present(hp, t->ent[i].slot);
	}
	pthread_mutex_unlock(&t->lock);
}

void devtab_set_confined(struct devtab *t)
{
	pthread_mutex_lock(&t->lock);
	t->confined = true;
	pthread_mutex_unlock(&t->lock);
}

/* Enter @a as entry nr; t->lock held, room checked. */
static void enter(struct devtab *t, struct vfio_assigned *a)
{
	struct devtab_entry *e = &t->ent[t->nr++];

	memset(e, 0, sizeof(*e));
	e->a = a;
	snprintf(e->bdf, sizeof(e->bdf), "%s", a->bdf);
	e->id = ++t->next_id;
	e->slot = a->pdev.devfn >> 3;
	vfio_set_removal_notify(a, kick, t);
}

int devtab_add(struct devtab *t, struct vfio_assigned *a)
{
	bool requested = false;
	int ret = 0;

	pthread_mutex_lock(&t->lock);
	if (t->nr < VMM_MAX_VFIO) {
		enter(t, a);
		hotplug_set_present(t->hp, t->ent[t->nr - 1].slot);
		/*
		 * A request that came before it was in the table; read under
		 * the lock: once it is dropped the removal may free @a.
		 */
		requested = vfio_removal_requested(a);
	} else {
		ret = -ENOSPC;
	}
	pthread_mutex_unlock(&t->lock);
	if (requested)
		kick(t);
	return ret;
}

struct vfio_assigned *devtab_assign(struct devtab *t, const char *bdf,
				    const struct vfio_dev_opts *opts)
{
	struct vfio_assigned *a = vfio_assign_owned(t->vm, bdf, t->path, t->backend, opts, kick,
						    t);

	if (a && devtab_add(t, a)) {
		log_err("%s: the VM has %d devices, the most it takes", bdf, VMM_MAX_VFIO);
		vfio_release(a);
		return NULL;
	}
	return a;
}

int devtab_snapshot(struct devtab *t, struct vmm_device_info *out, int max)
{
	int i;

	pthread_mutex_lock(&t->lock);
	for (i = 0; i < t->nr && i < max; i++) {
		if (t->ent[i].releasing) {
			out[i] = t->ent[i].last;
			continue;
		}
		vfio_describe(t->ent[i].a, &out[i]);
		out[i].removing = t->ent[i].removing;
	}
	pthread_mutex_unlock(&t->lock);
	return i;
}

/* Index of @bdf in the table, or -1; t->lock held. */
static int find(struct devtab *t, const char *bdf)
{
	int i;

	for (i = 0; i < t->nr; i++)
		if (!strcmp(t->ent[i].bdf, bdf))
			return i;
	return -1;
}

static int bad_bdf(const char *bdf, char *norm, char *err, size_t errlen)
{
	if (!cli_parse_bdf(bdf, norm))
		return 0;
	snprintf(err, errlen, "'%.32s' is not a PCI address; give DDDD:BB:DD.F or BB:DD.F", bdf);
	return -EINVAL;
}

int devtab_attach(struct devtab *t, const char *bdf, int path, const struct vfio_dev_opts *opts,
		  char *err, size_t errlen)
{
	enum irq_path p = path < 0 ? t->path : (enum irq_path)path;
	struct vfio_assigned *a;
	char norm[VMM_BDF_LEN];
	bool requested = false;
	int i, ret;

	ret = bad_bdf(bdf, norm, err, errlen);
	if (ret)
		return ret;
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
	if (i >= 0 && (t->ent[i].removing || t->ent[i].releasing)) {
		snprintf(err, errlen, "%s is being removed from this VM; add it again once list-devices no longer shows it",
			 norm);
		ret = -EBUSY;
		goto out;
	}
	if (i >= 0 && !atomic_load(&t->ent[i].a->dead)) {
		snprintf(err, errlen, "%s is already attached to this VM (guest 00:%02x.0); remove-device it first",
			 norm, t->ent[i].slot);
		ret = -EEXIST;
		goto out;
	}
	if (i >= 0)	/* detached by the host: its entry gives way */
		finish(t, i, false, "detached by the host before");
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
	/* the host's removal requests come to the table from the start */
	a = vfio_assign_owned(t->vm, norm, p, t->backend, opts, kick, t);
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
	enter(t, a);
	log_info("%s: added at run time as 00:%02x.0%s", norm, t->ent[t->nr - 1].slot,
		 t->hp ? "; the guest is told to check the slot" : "");
	hotplug_announce(t->hp, t->ent[t->nr - 1].slot);
	/* a request that came during the add: its removal starts now */
	requested = vfio_removal_requested(a);
	ret = 0;
out:
	pthread_mutex_unlock(&t->lock);
	if (requested)
		kick(t);
	return ret;
}

int devtab_detach(struct devtab *t, const char *bdf, unsigned int timeout_ms, bool *ejected,
		  char *err, size_t errlen)
{
	struct removal_wait wait = { false, false };
	char norm[VMM_BDF_LEN];
	int i, ret;

	*ejected = false;
	ret = bad_bdf(bdf, norm, err, errlen);
	if (ret)
		return ret;
	pthread_mutex_lock(&t->lock);
	i = find(t, norm);
	if (i < 0) {
		pthread_mutex_unlock(&t->lock);
		snprintf(err, errlen, "%s is not attached to this VM; list-devices shows those that are",
			 norm);
		return -ENOENT;
	}
	if (t->ent[i].removing || t->ent[i].releasing) {
		pthread_mutex_unlock(&t->lock);
		snprintf(err, errlen, "%s is already being removed (the host asked for it or another remove-device); list-devices shows it until it is gone",
			 norm);
		return -EBUSY;
	}
	start_removal(t, &t->ent[i], timeout_ms, &wait, "remove-device");
	kick(t);
	/* snapshots go on meanwhile: the wait drops t->lock */
	while (!wait.done)
		pthread_cond_wait(&t->done, &t->lock);
	pthread_mutex_unlock(&t->lock);
	*ejected = wait.ejected;
	return 0;
}
