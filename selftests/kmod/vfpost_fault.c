// SPDX-License-Identifier: GPL-2.0
/*
 * vfpost_fault: test-only fault injection for the lab.  Debian's kernels
 * have neither CONFIG_FAULT_INJECTION nor function error injection, so the
 * suites that must drive vfpost's error paths load this instead.
 *
 * A kprobe on the entry of one function (parameter "func", fixed at load,
 * request_threaded_irq by default) makes one chosen call return an error
 * without running the function, or delays every call.  Only calls made by
 * one process count:
 *
 *   pid       the tgid whose calls count (0: none, -1: every caller,
 *             kernel threads too)
 *   error     the negative errno the failed call returns
 *   nth       fail the nth counted call from now on (1: the next one);
 *             writing it restarts the count, 0 disarms
 *   delay_ms  delay every counted call by this long before it runs
 *             (0: off; at most 2000).  The probe handler cannot sleep:
 *             the delay spins with preemption off, so keep it short.
 *             Used to widen a race window.
 *   injected  read-only: failures and delays injected since load
 *
 * x86_64 only: the probe handler sets the return value and resumes at a
 * stub that returns to the caller, which is how the kernel's own function
 * error injection works.  Only functions that return an int or pointer in
 * rax and have no side effect before failing are safe targets.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/kprobes.h>
#include <linux/linkage.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/objtool.h>
#include <linux/sched.h>

static char *func = "request_threaded_irq";
module_param(func, charp, 0444);
MODULE_PARM_DESC(func, "function whose calls fail (fixed at load)");

static int pid;
module_param(pid, int, 0644);
MODULE_PARM_DESC(pid, "only calls from this process (tgid) count");

static int error = -ENOMEM;
module_param(error, int, 0644);
MODULE_PARM_DESC(error, "negative errno the failed call returns");

static int delay_ms;
module_param(delay_ms, int, 0644);
MODULE_PARM_DESC(delay_ms, "delay every counted call by this many ms (0: off)");

static atomic_t counted = ATOMIC_INIT(0);
static int nth;

static int nth_set(const char *val, const struct kernel_param *kp)
{
	int ret = param_set_int(val, kp);

	if (!ret)
		atomic_set(&counted, 0);
	return ret;
}

static const struct kernel_param_ops nth_ops = {
	.set = nth_set,
	.get = param_get_int,
};
module_param_cb(nth, &nth_ops, &nth, 0644);
MODULE_PARM_DESC(nth, "fail the nth counted call from now (0: disarmed)");

static atomic_t injected = ATOMIC_INIT(0);

static int injected_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&injected));
}

static const struct kernel_param_ops injected_ops = {
	.get = injected_get,
};
module_param_cb(injected, &injected_ops, NULL, 0444);
MODULE_PARM_DESC(injected, "failures injected since load");

/* Returns to the probed function's caller with rax as the handler set it. */
void vfpost_fault_return(void);
asm(".pushsection .text, \"ax\"\n"
    ".type vfpost_fault_return, @function\n"
    "vfpost_fault_return:\n"
    ANNOTATE_NOENDBR
    ASM_RET
    ".size vfpost_fault_return, .-vfpost_fault_return\n"
    ".popsection\n");

static int vfpost_fault_pre(struct kprobe *p, struct pt_regs *regs)
{
	int want = READ_ONCE(nth), who = READ_ONCE(pid);
	int delay = READ_ONCE(delay_ms);

	if (!who || (who != -1 && task_tgid_nr(current) != who))
		return 0;
	if (delay > 0) {
		atomic_inc(&injected);
		mdelay(min(delay, 2000));
		return 0;
	}
	if (!want || atomic_inc_return(&counted) != want)
		return 0;
	atomic_inc(&injected);
	regs->ax = (unsigned long)(long)READ_ONCE(error);
	instruction_pointer_set(regs, (unsigned long)vfpost_fault_return);
	return 1;	/* regs->ip changed: do not single-step */
}

static struct kprobe vfpost_fault_kp = {
	.pre_handler = vfpost_fault_pre,
};

static int __init vfpost_fault_init(void)
{
	int ret;

	if (error >= 0 || error < -MAX_ERRNO)
		return -EINVAL;
	vfpost_fault_kp.symbol_name = func;
	ret = register_kprobe(&vfpost_fault_kp);
	if (ret)
		pr_err("cannot probe %s: %d\n", func, ret);
	return ret;
}

static void __exit vfpost_fault_exit(void)
{
	unregister_kprobe(&vfpost_fault_kp);
}

module_init(vfpost_fault_init);
module_exit(vfpost_fault_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vfpost selftests: make one chosen call of a function fail");
