// SPDX-License-Identifier: GPL-2.0
/*
 * vfpost_splat: test-only module that makes the debug kernel report one bug
 * of a chosen kind, so the splat scanner (scripts/splat-scan) can be tested
 * against real console output (scripts/tests/splat-logs).  Never loaded by
 * the suites.
 *
 *   echo KIND > /sys/module/vfpost_splat/parameters/trigger
 *
 * KIND is one of:
 *   lockdep   take two mutexes in both orders (a possible ABBA deadlock)
 *   sleep     might_sleep() with preemption disabled
 *   kasan     read one byte past a kmalloc()ed buffer
 *   ubsan     index an array one past its end (inside the same struct)
 *   kmemleak  allocate a buffer and drop its only reference
 *   odebug    free a structure holding an armed timer
 *   softlockup  spin splat_seconds with preemption off: the soft lockup
 *             detector reports the CPU after 2 * kernel.watchdog_thresh
 *             (the recording sets 5; past 21 s an RCU stall comes too)
 *   hung      sleep splat_seconds uninterruptibly in the writer: the hung
 *             task detector reports it after kernel.hung_task_timeout_secs
 *             (the recording sets 5; the default 120 is past the clamp)
 *
 * Both run inside the parameter's write, holding its sysfs file active and
 * the module's parameter lock: rmmod and other writes to this module's
 * parameters wait for them (hence the 60 s clamp).
 *
 * Each report needs the matching debug option (the lab's debug kernel has
 * all of them); on other kernels the trigger does nothing visible.  Every
 * kind but kmemleak leaves the kernel consistent: the timer is disarmed by
 * the debug-objects fixup, the out-of-bounds accesses only read, the spin
 * and the sleep end.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/preempt.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timer.h>

static DEFINE_MUTEX(splat_a);
static DEFINE_MUTEX(splat_b);

/* Parameters, so the compiler cannot see the bad index. */
static unsigned int splat_len = 13;
module_param(splat_len, uint, 0644);
MODULE_PARM_DESC(splat_len, "kasan: the buffer's size, read at that index");

static unsigned int splat_index = 4;
module_param(splat_index, uint, 0644);
MODULE_PARM_DESC(splat_index, "ubsan: the index into int[4]");

static unsigned int splat_seconds = 15;
module_param(splat_seconds, uint, 0644);
MODULE_PARM_DESC(splat_seconds, "softlockup, hung: how long (at most 60)");

struct splat_array {
	int a[4];
	int after;
};

struct splat_timer {
	struct timer_list timer;
};

static void *splat_leaked;

static void splat_lockdep(void)
{
	mutex_lock(&splat_a);
	mutex_lock(&splat_b);
	mutex_unlock(&splat_b);
	mutex_unlock(&splat_a);

	mutex_lock(&splat_b);
	mutex_lock(&splat_a);
	mutex_unlock(&splat_a);
	mutex_unlock(&splat_b);
}

static void splat_sleep(void)
{
	preempt_disable();
	might_sleep();
	preempt_enable();
}

static int splat_kasan(void)
{
	unsigned int len = READ_ONCE(splat_len);
	char *p = kmalloc(len, GFP_KERNEL);

	if (!p)
		return -ENOMEM;
	pr_info("read byte %u of %u: %d\n", len, len, READ_ONCE(p[len]));
	kfree(p);
	return 0;
}

static void splat_ubsan(void)
{
	struct splat_array s = { .after = 1 };
	unsigned int i = READ_ONCE(splat_index);
	/*
	 * A plain read: READ_ONCE() takes the element's address, and the
	 * address one past an array's end is valid C, so not reported.
	 */
	int v = s.a[i];

	pr_info("a[%u] = %d\n", i, v);
}

static int splat_kmemleak(void)
{
	void *p = kmalloc(1000, GFP_KERNEL);

	if (!p)
		return -ENOMEM;
	memset(p, 0x5a, 1000);
	/* Keep the pointer only in a form kmemleak does not recognise. */
	WRITE_ONCE(splat_leaked, (void *)~(unsigned long)p);
	return 0;
}

static void splat_timer_fn(struct timer_list *t)
{
}

static int splat_odebug(void)
{
	struct splat_timer *st = kmalloc(sizeof(*st), GFP_KERNEL);

	if (!st)
		return -ENOMEM;
	timer_setup(&st->timer, splat_timer_fn, 0);
	mod_timer(&st->timer, jiffies + 100 * HZ);
	/* debug-objects reports this and disarms the timer before the free. */
	kfree(st);
	return 0;
}

static void splat_softlockup(void)
{
	unsigned int ms = min(READ_ONCE(splat_seconds), 60U) * 1000;

	preempt_disable();
	while (ms--)
		mdelay(1);
	preempt_enable();
}

static void splat_hung(void)
{
	unsigned int s = min(READ_ONCE(splat_seconds), 60U);

	schedule_timeout_uninterruptible(s * HZ);
}

static int trigger_set(const char *val, const struct kernel_param *kp)
{
	char kind[16];

	strscpy(kind, val, sizeof(kind));
	strim(kind);
	pr_info("triggering %s\n", kind);
	if (!strcmp(kind, "lockdep"))
		splat_lockdep();
	else if (!strcmp(kind, "sleep"))
		splat_sleep();
	else if (!strcmp(kind, "kasan"))
		return splat_kasan();
	else if (!strcmp(kind, "ubsan"))
		splat_ubsan();
	else if (!strcmp(kind, "kmemleak"))
		return splat_kmemleak();
	else if (!strcmp(kind, "odebug"))
		return splat_odebug();
	else if (!strcmp(kind, "softlockup"))
		splat_softlockup();
	else if (!strcmp(kind, "hung"))
		splat_hung();
	else
		return -EINVAL;
	return 0;
}

static const struct kernel_param_ops trigger_ops = {
	.set = trigger_set,
};
module_param_cb(trigger, &trigger_ops, NULL, 0200);
MODULE_PARM_DESC(trigger,
		 "lockdep, sleep, kasan, ubsan, kmemleak, odebug, softlockup or hung");

MODULE_DESCRIPTION("vfpost test-only: make the debug kernel report a bug");
MODULE_LICENSE("GPL");
