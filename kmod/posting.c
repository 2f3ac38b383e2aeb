// SPDX-License-Identifier: GPL-2.0
/*
 * KVM's posting decisions, per MSI-X vector.
 *
 * "bypass connected" (bypass.c) says only that KVM's irqfd consumer paired
 * with a vector's producer.  Whether KVM then put the host irq's IRTE into
 * posted mode, to which vCPU and guest vector, KVM reports through its
 * kvm_pi_irte_update tracepoint.  vfpost probes that tracepoint without
 * depending on kvm: it looks the tracepoint up by name in the kvm module
 * when that module comes (a tracepoint module notifier, which also replays
 * the modules already loaded), or among the kernel's own tracepoints when
 * KVM is built in, and lets go when kvm goes or vfpost is unloaded.  The
 * probe's prototype is chosen in compat.h.
 *
 * Records.  Each vector with a registered irq bypass producer has a
 * struct vfpost_pi_entry, made before the producer is registered and taken
 * away after it is unregistered (bypass.c), and found by host irq in
 * vfpost_posting_irqs.  A host irq belongs to one vector at a time (vfpost
 * requests it without IRQF_SHARED and removes the record before freeing
 * the irq), so the key is unique.  Lifetime: the probe looks a record up
 * under rcu_read_lock() and updates it under its raw spinlock; removal
 * erases it from the xarray and frees it with kfree_rcu(), so a probe that
 * found it just before keeps valid memory; the removed flag (under the
 * lock) makes such a late report change nothing.  The probe runs in atomic
 * context (preemption off; from 6.17 under KVM's irqfds spinlock with irqs
 * off): it takes only the record's raw spinlock, with irqs saved, and
 * never sleeps or allocates.
 *
 * Probe state (vfpost_pi_lock, a mutex): the tracepoint probed and the
 * module it belongs to (NULL when built in).  Lock order: the tracepoint
 * core's module list mutex (held around the notifier) before
 * vfpost_pi_lock, before the core's tracepoints mutex (inside
 * tracepoint_probe_(un)register); vfpost_pi_lock is never held while
 * (un)registering the notifier.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/stringify.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/tracepoint.h>
#include <linux/xarray.h>

#include "compat.h"
#include "posting.h"

#define VFPOST_PI_TRACEPOINT	"kvm_pi_irte_update"
#define VFPOST_PI_MODULE	"kvm"

/* The probe's parameter types, for posting_test to check against KVM's BTF. */
MODULE_INFO(kvm_pi_irte_update, __stringify(VFPOST_KVM_PI_ARGS));

struct vfpost_pi_entry {
	raw_spinlock_t lock;		/* protects rec and removed */
	struct vfpost_posting_rec rec;
	bool removed;
	unsigned int irq;
	struct rcu_head rcu;
};

static DEFINE_XARRAY(vfpost_posting_irqs);

static DEFINE_MUTEX(vfpost_pi_lock);
static struct tracepoint *vfpost_pi_tp;		/* probed, or NULL */
static struct module *vfpost_pi_mod;		/* its module, NULL: built in */
static bool vfpost_pi_exiting;			/* vfpost unloading: attach no more */

void vfpost_posting_report(unsigned int host_irq, bool set, u32 vcpu, u32 gvec)
{
	struct vfpost_pi_entry *p;
	unsigned long flags;

	rcu_read_lock();
	p = xa_load(&vfpost_posting_irqs, host_irq);
	if (p) {
		raw_spin_lock_irqsave(&p->lock, flags);
		if (!p->removed)
			vfpost_posting_apply(&p->rec, set, vcpu, gvec,
					     ktime_get_boottime_ns() ?: 1);
		raw_spin_unlock_irqrestore(&p->lock, flags);
	}
	rcu_read_unlock();
}

struct vfpost_pi_entry *vfpost_posting_add(unsigned int irq)
{
	struct vfpost_pi_entry *p;
	int ret;

	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return NULL;
	raw_spin_lock_init(&p->lock);
	p->irq = irq;
	ret = xa_insert(&vfpost_posting_irqs, irq, p, GFP_KERNEL);
	if (ret) {
		/* -EBUSY would be a second vector on one irq: a bug. */
		WARN_ON_ONCE(ret == -EBUSY);
		kfree(p);
		return NULL;
	}
	return p;
}

void vfpost_posting_remove(struct vfpost_pi_entry *p)
{
	unsigned long flags;

	if (!p)
		return;
	xa_erase(&vfpost_posting_irqs, p->irq);
	raw_spin_lock_irqsave(&p->lock, flags);
	p->removed = true;
	raw_spin_unlock_irqrestore(&p->lock, flags);
	kfree_rcu(p, rcu);
}

void vfpost_posting_read(struct vfpost_pi_entry *p,
			 struct vfpost_posting_rec *out)
{
	unsigned long flags;

	if (!p) {
		memset(out, 0, sizeof(*out));
		return;
	}
	raw_spin_lock_irqsave(&p->lock, flags);
	*out = p->rec;
	raw_spin_unlock_irqrestore(&p->lock, flags);
}

/* vfpost_pi_lock held.  @mod: the tracepoint's module, NULL if built in. */
static void vfpost_pi_attach(struct tracepoint *tp, struct module *mod)
{
	int ret;

	lockdep_assert_held(&vfpost_pi_lock);
	if (vfpost_pi_tp || vfpost_pi_exiting)
		return;
	ret = tracepoint_probe_register(tp, (void *)VFPOST_KVM_PI_PROBE, NULL);
	if (ret) {
		pr_warn("cannot probe KVM's %s tracepoint (%d): posting decisions not recorded\n",
			VFPOST_PI_TRACEPOINT, ret);
		return;
	}
	vfpost_pi_tp = tp;
	vfpost_pi_mod = mod;
	pr_info("recording KVM's posting decisions (%s in %s)\n",
		VFPOST_PI_TRACEPOINT, mod ? module_name(mod) : "the kernel");
}

/* vfpost_pi_lock held.  The caller synchronizes before freeing the probe. */
static void vfpost_pi_detach(const char *why)
{
	lockdep_assert_held(&vfpost_pi_lock);
	if (!vfpost_pi_tp)
		return;
	WARN_ON_ONCE(tracepoint_probe_unregister(vfpost_pi_tp,
						 (void *)VFPOST_KVM_PI_PROBE,
						 NULL));
	vfpost_pi_tp = NULL;
	vfpost_pi_mod = NULL;
	pr_info("%s: KVM's posting decisions no longer recorded\n", why);
}

static void vfpost_pi_find(struct tracepoint *tp, void *priv)
{
	struct tracepoint **found = priv;

	if (!*found && !strcmp(tp->name, VFPOST_PI_TRACEPOINT))
		*found = tp;
}

#ifdef CONFIG_MODULES
/* The tracepoint in @mod, or NULL. */
static struct tracepoint *vfpost_pi_in_module(struct module *mod)
{
	struct tracepoint *found = NULL;
	unsigned int i;

	if (strcmp(module_name(mod), VFPOST_PI_MODULE))
		return NULL;
	for (i = 0; i < mod->num_tracepoints; i++)
		vfpost_pi_find(tracepoint_ptr_deref(&mod->tracepoints_ptrs[i]),
			       &found);
	return found;
}

/*
 * Called with the tracepoint core's module list mutex held: for every
 * module with tracepoints when it comes and goes, and for each one already
 * loaded when the notifier is registered (COMING) or unregistered
 * (GOING).  GOING runs before the core checks that the module's
 * tracepoints have no probes left.
 */
static int vfpost_pi_module_notify(struct notifier_block *nb,
				   unsigned long val, void *data)
{
	struct tp_module *tp_mod = data;
	struct tracepoint *tp;

	mutex_lock(&vfpost_pi_lock);
	if (val == MODULE_STATE_COMING) {
		tp = vfpost_pi_in_module(tp_mod->mod);
		if (tp)
			vfpost_pi_attach(tp, tp_mod->mod);
	} else if (val == MODULE_STATE_GOING &&
		   vfpost_pi_tp && vfpost_pi_mod == tp_mod->mod) {
		vfpost_pi_detach("kvm unloading");
	}
	mutex_unlock(&vfpost_pi_lock);
	return NOTIFY_OK;
}

static struct notifier_block vfpost_pi_nb = {
	.notifier_call = vfpost_pi_module_notify,
};

static bool vfpost_pi_watching;		/* vfpost_pi_nb registered */

static int vfpost_pi_modules_watch(void)
{
	int ret = register_tracepoint_module_notifier(&vfpost_pi_nb);

	vfpost_pi_watching = !ret;
	return ret;
}

static void vfpost_pi_modules_unwatch(void)
{
	if (vfpost_pi_watching)
		unregister_tracepoint_module_notifier(&vfpost_pi_nb);
	vfpost_pi_watching = false;
}
#else
static int vfpost_pi_modules_watch(void)
{
	return 0;
}

static void vfpost_pi_modules_unwatch(void)
{
}
#endif

int vfpost_posting_init(void)
{
	struct tracepoint *tp = NULL;

	if (!VFPOST_KVM_PI_KNOWN) {
		if (IS_ENABLED(CONFIG_X86))
			pr_info("built without a known %s prototype for this kernel: posting decisions not recorded\n",
				VFPOST_PI_TRACEPOINT);
		return 0;
	}
	/* KVM built in: its tracepoints are the kernel's. */
	for_each_kernel_tracepoint(vfpost_pi_find, &tp);
	if (tp) {
		mutex_lock(&vfpost_pi_lock);
		vfpost_pi_attach(tp, NULL);
		mutex_unlock(&vfpost_pi_lock);
		return 0;
	}
	return vfpost_pi_modules_watch();
}

/* After the driver is gone: every record was removed with its vector. */
void vfpost_posting_exit(void)
{
	if (VFPOST_KVM_PI_KNOWN) {
		/*
		 * Detach first, so that the log names the right reason (the
		 * notifier's unregistration replays GOING for a loaded kvm),
		 * and attach no more should kvm come meanwhile.
		 */
		mutex_lock(&vfpost_pi_lock);
		vfpost_pi_exiting = true;
		vfpost_pi_detach("vfpost unloading");
		mutex_unlock(&vfpost_pi_lock);
		vfpost_pi_modules_unwatch();
		/* No probe may still run in the text about to be freed. */
		tracepoint_synchronize_unregister();
	}
	WARN_ON_ONCE(!xa_empty(&vfpost_posting_irqs));
	xa_destroy(&vfpost_posting_irqs);
}
