// SPDX-License-Identifier: GPL-2.0
/*
 * vfpost_fault: test-only fault injection for the lab.  Debian's kernels
 * have neither CONFIG_FAULT_INJECTION nor function error injection, so the
 * suites that must drive vfpost's error paths load this instead.
 *
 * A kprobe on the entry of one function, or of up to FAULT_MAX_FUNCS
 * functions that share one count (parameter "func", comma-separated, fixed
 * at load, request_threaded_irq by default), makes one chosen call return
 * an error without running the function.  Only calls made by one process
 * count:
 *
 *   pid       the tgid whose calls count (0: none, -1: every caller,
 *             kernel threads too)
 *   error     the negative errno the failed call returns; 0 makes a
 *             function that returns a pointer return NULL (allocators)
 *   nth       fail the nth counted call from now on (1: the next one);
 *             writing it restarts the count, 0 disarms
 *   delay_ms  delay every counted call by this long before it runs
 *             (0: off; at most 2000).  The probe handler cannot sleep:
 *             the delay spins with preemption off, so keep it short.
 *             Used to widen a race window.
 *   injected  read-only: failures and delays injected since load
 *   caller_start, caller_end
 *             when set, only calls made directly from [start, end) count
 *             (a module's core, from /proc/modules): an allocator then
 *             fails only for that module's own allocations
 *   caller_depth
 *             with a caller range: 0 (default) looks at the return address
 *             only; N > 0 counts a call with any of its N innermost stack
 *             frames in the range (calls made on the module's behalf)
 *
 * x86_64 only: the probe handler sets the return value and resumes at a
 * stub that returns to the caller, which is how the kernel's own function
 * error injection works.  Only functions that return an int or pointer in
 * rax and have no side effect before failing are safe targets.
 *
 * A second mode emulates real SR-IOV hardware where the lab's emulated VF
 * differs (issue 10, item 2): with no_mse=DDDD:BB:DD.F (fixed at load;
 * func may then be empty) that function's Command register reads Memory
 * Space Enable as 0, as a real VF's hardwired bit does, while the device
 * keeps decoding its BARs, as a real VF does whenever its PF's VF MSE is
 * set.  QEMU 7.2's NVMe VF has a writable MSE instead, so without this the
 * lab cannot show code that wrongly trusts the bit.  It is emulated where
 * every config access of the function passes, the pci_ops of its bus, the
 * way the kernel's own AER injector emulates registers
 * (drivers/pci/pcie/aer_inject.c), not with kprobes: no arch, inlining or
 * probe-ability differences between kernels, and kernel code (vfpost,
 * vfio-pci's config emulation, the PCI core's save/restore) and sysfs
 * reads all see the same register:
 *
 *   - a read covering Command returns it with MSE clear;
 *   - a write of Command never clears MSE in the device;
 *   - a read that finds MSE clear in the device turns it on again first:
 *     QEMU clears it on an FLR, and the PCI core, seeing 0 before and
 *     after, would not write it back (a real VF decodes after an FLR).
 *
 *   mse_hidden  read-only: reads of Command that had MSE cleared
 *   mse_kept    read-only: writes of Command that MSE was kept on in
 *
 * With no_soft_reset=1 as well, the same function's PM Control/Status
 * register reads No_Soft_Reset as 0, as on a function that loses its state
 * on the way back from D3hot (vfio-pci then saves and restores its state
 * around D3hot: needs_pm_restore, read at probe).  QEMU's NVMe VF sets the
 * bit, and keeps decoding memory in D3hot, so nothing in the lab shows a
 * BAR write to a function in D3hot, which real hardware answers with an
 * Unsupported Request.  So this mode also watches the calls that write
 * the function's MSI-X table on teardown, free_irq() of one of its
 * vectors and pci_free_irq_vectors() (kprobes that change nothing):
 *
 *   nsr_hidden  read-only: reads of PM Control with No_Soft_Reset cleared
 *   irq_frees   read-only: those calls for the function
 *   irq_frees_d3
 *               read-only: of which made while the kernel had the
 *               function in D3hot (pci_dev->current_state)
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/kprobes.h>
#include <linux/linkage.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/objtool.h>
#include <linux/pci.h>
#include <linux/preempt.h>
#include <linux/rcupdate.h>
#include <linux/minmax.h>
#include <linux/irq.h>
#include <linux/msi.h>
#include <linux/sched.h>
#include <linux/stacktrace.h>
#include <linux/string.h>

#define FAULT_MAX_FUNCS	4

static char *func = "request_threaded_irq";
module_param(func, charp, 0444);
MODULE_PARM_DESC(func, "comma-separated functions whose calls fail (fixed at load)");

static int pid;
module_param(pid, int, 0644);
MODULE_PARM_DESC(pid, "only calls from this process (tgid) count");

static int error = -ENOMEM;
module_param(error, int, 0644);
MODULE_PARM_DESC(error, "negative errno the failed call returns (0: NULL)");

static unsigned long caller_start, caller_end;
module_param(caller_start, ulong, 0644);
MODULE_PARM_DESC(caller_start, "only calls returning into [caller_start, caller_end) count");
module_param(caller_end, ulong, 0644);
MODULE_PARM_DESC(caller_end, "end of the callers' range (0: any caller)");

#define FAULT_MAX_DEPTH	32
static unsigned int caller_depth;
module_param(caller_depth, uint, 0644);
MODULE_PARM_DESC(caller_depth, "frames searched for the caller range (0: return address only)");

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
    /* 7.x's ANNOTATE_NOENDBR ends without a newline; 6.x's with one. */
    ANNOTATE_NOENDBR "\n"
    ASM_RET
    ".size vfpost_fault_return, .-vfpost_fault_return\n"
    ".popsection\n");

/* Whether the probed call was made from [start, end), per caller_depth. */
static bool vfpost_fault_from(struct kprobe *p, unsigned long start,
			      unsigned long end, struct pt_regs *regs)
{
	unsigned int depth = min_t(unsigned int, READ_ONCE(caller_depth),
				   FAULT_MAX_DEPTH);
	unsigned long entries[FAULT_MAX_DEPTH], ip;
	unsigned int i, n;

	/* At the entry, the stack pointer points at the return address. */
	if (!depth) {
		unsigned long ret_addr = *(unsigned long *)kernel_stack_pointer(regs);

		return ret_addr >= start && ret_addr < end;
	}
	/*
	 * The walk passes through our exception frame, where regs->ip is
	 * the probe address plus the int3 (or past the ftrace call).  The
	 * ORC unwinder reads the probed function's frame at that ip: one
	 * instruction too far when the probed instruction is a one-byte
	 * push, so it took a wrong return address and stopped there (seen
	 * on the debug kernel, which has no ftrace and so probes by int3).
	 * At the probe address the frame is the one at entry, which is true.
	 */
	ip = instruction_pointer(regs);
	instruction_pointer_set(regs, (unsigned long)p->addr);
	n = stack_trace_save(entries, depth, 0);
	instruction_pointer_set(regs, ip);
	for (i = 0; i < n; i++)
		if (entries[i] >= start && entries[i] < end)
			return true;
	return false;
}

static int vfpost_fault_pre(struct kprobe *p, struct pt_regs *regs)
{
	unsigned long end = READ_ONCE(caller_end);
	int want = READ_ONCE(nth), who = READ_ONCE(pid);
	int delay = READ_ONCE(delay_ms);

	/*
	 * No in_task() test: a probe that is not on an ftrace site runs from
	 * the int3 exception, which the kernel enters as an NMI, so in_task()
	 * is false there for every call.  Allocations an interrupt makes while
	 * our process runs are kept out by the caller range instead.
	 */
	if (!who || (who != -1 && task_tgid_nr(current) != who))
		return 0;
	if (end && !vfpost_fault_from(p, READ_ONCE(caller_start), end, regs))
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

/*
 * Never called (the pre-handler returns 1 when it redirects the call), but
 * a kprobe with a post-handler is never optimized into a jump: an optimized
 * kprobe ignores the pre-handler's change of regs->ip, so once the kprobe
 * optimizer had run (a few jiffies after registration) the call went on
 * and the failure was counted but not injected (Documentation/trace/
 * kprobes.rst: "The jump optimization changes the kprobe's pre_handler
 * behavior").  No optimization also means no jump patched into the
 * probed function while other CPUs run it.
 */
static void vfpost_fault_post(struct kprobe *p, struct pt_regs *regs,
			      unsigned long flags)
{
}

static char *no_mse = "";
module_param(no_mse, charp, 0444);
MODULE_PARM_DESC(no_mse, "DDDD:BB:DD.F whose Command.MSE reads 0 and stays on in the device (fixed at load)");

static atomic_t mse_hidden = ATOMIC_INIT(0);
static atomic_t mse_kept = ATOMIC_INIT(0);

static int atomic_param_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", atomic_read(kp->arg));
}

static const struct kernel_param_ops atomic_ro_ops = {
	.get = atomic_param_get,
};
module_param_cb(mse_hidden, &atomic_ro_ops, &mse_hidden, 0444);
MODULE_PARM_DESC(mse_hidden, "reads of the no_mse function's Command with MSE cleared");
module_param_cb(mse_kept, &atomic_ro_ops, &mse_kept, 0444);
MODULE_PARM_DESC(mse_kept, "writes of the no_mse function's Command that MSE was kept on in");

static bool no_soft_reset;
module_param(no_soft_reset, bool, 0444);
MODULE_PARM_DESC(no_soft_reset, "the no_mse function also reads PM No_Soft_Reset as 0; watch its MSI-X teardown in D3hot (fixed at load)");

static atomic_t nsr_hidden = ATOMIC_INIT(0);
static atomic_t irq_frees = ATOMIC_INIT(0);
static atomic_t irq_frees_d3 = ATOMIC_INIT(0);
module_param_cb(nsr_hidden, &atomic_ro_ops, &nsr_hidden, 0444);
MODULE_PARM_DESC(nsr_hidden, "reads of the function's PM Control with No_Soft_Reset cleared");
module_param_cb(irq_frees, &atomic_ro_ops, &irq_frees, 0444);
MODULE_PARM_DESC(irq_frees, "free_irq()/pci_free_irq_vectors() calls for the function");
module_param_cb(irq_frees_d3, &atomic_ro_ops, &irq_frees_d3, 0444);
MODULE_PARM_DESC(irq_frees_d3, "of which made while the function was in D3hot");

static struct pci_bus *nomse_bus;
static struct pci_ops *nomse_orig;
static unsigned int nomse_devfn;

/*
 * Offset of the function's PM Control/Status register, 0 if it has no PM
 * capability: a walk of its capability list through the original
 * accessors (the pci_dev may not exist yet, and its lookup could sleep).
 */
static int nsr_pmcsr(struct pci_bus *bus, unsigned int devfn)
{
	u32 v, pos;
	int ttl = 48;

	if (nomse_orig->read(bus, devfn, PCI_STATUS, 2, &v) ||
	    !(v & PCI_STATUS_CAP_LIST) ||
	    nomse_orig->read(bus, devfn, PCI_CAPABILITY_LIST, 1, &pos))
		return 0;
	while (pos >= 0x40 && ttl--) {
		pos &= ~3;
		if (nomse_orig->read(bus, devfn, pos, 2, &v))
			return 0;
		if ((v & 0xff) == PCI_CAP_ID_PM)
			return pos + PCI_PM_CTRL;
		pos = v >> 8;
	}
	return 0;
}

/* Clear No_Soft_Reset in a read of @size bytes at @where that covers it. */
static void nsr_hide(struct pci_bus *bus, unsigned int devfn, int where,
		     int size, u32 *val)
{
	int pmcsr;

	if (!no_soft_reset || devfn != nomse_devfn || where < 0x40)
		return;
	pmcsr = nsr_pmcsr(bus, devfn);
	if (!pmcsr || pmcsr < where || pmcsr >= where + size)
		return;
	if (*val & (PCI_PM_CTRL_NO_SOFT_RESET << (8 * (pmcsr - where)))) {
		*val &= ~(PCI_PM_CTRL_NO_SOFT_RESET << (8 * (pmcsr - where)));
		atomic_inc(&nsr_hidden);
	}
}

static bool nomse_target(unsigned int devfn, int where)
{
	return devfn == nomse_devfn && where == PCI_COMMAND;
}

static int nomse_read(struct pci_bus *bus, unsigned int devfn, int where,
		      int size, u32 *val)
{
	int ret = nomse_orig->read(bus, devfn, where, size, val);
	u32 cmd;

	if (!ret)
		nsr_hide(bus, devfn, where, size, val);
	if (ret || !nomse_target(devfn, where))
		return ret;
	if (!(*val & PCI_COMMAND_MEMORY)) {
		/* Command alone: a dword write would clear status bits. */
		cmd = *val & (size == 1 ? 0xff : 0xffff);
		nomse_orig->write(bus, devfn, PCI_COMMAND, size == 1 ? 1 : 2,
				  cmd | PCI_COMMAND_MEMORY);
	}
	*val &= ~PCI_COMMAND_MEMORY;
	atomic_inc(&mse_hidden);
	return 0;
}

static int nomse_write(struct pci_bus *bus, unsigned int devfn, int where,
		       int size, u32 val)
{
	if (nomse_target(devfn, where) && !(val & PCI_COMMAND_MEMORY)) {
		val |= PCI_COMMAND_MEMORY;
		atomic_inc(&mse_kept);
	}
	return nomse_orig->write(bus, devfn, where, size, val);
}

static struct pci_ops nomse_ops = {
	.read	= nomse_read,
	.write	= nomse_write,
};

/* Wrap the config accessors of no_mse's bus; 0 if no_mse is empty. */
static int nomse_start(void)
{
	unsigned int domain, bus, dev, fn;
	struct pci_bus *b;

	if (!*no_mse)
		return 0;
	if (sscanf(no_mse, "%x:%x:%x.%x", &domain, &bus, &dev, &fn) != 4 ||
	    bus > 0xff || dev > 0x1f || fn > 7) {
		pr_err("no_mse=%s: give DDDD:BB:DD.F\n", no_mse);
		return -EINVAL;
	}
	b = pci_find_bus(domain, bus);
	if (!b) {
		pr_err("no_mse=%s: no PCI bus %04x:%02x\n", no_mse, domain, bus);
		return -ENODEV;
	}
	nomse_devfn = PCI_DEVFN(dev, fn);
	nomse_orig = b->ops;
	pci_bus_set_ops(b, &nomse_ops);
	nomse_bus = b;
	pr_info("%s: Command.MSE reads 0 and stays on\n", no_mse);
	return 0;
}

/*
 * Give the bus its accessors back.  A config access already inside ours
 * (no lock is held across it: x86 has lockless config access) finishes
 * before every CPU has passed a quiescent state, on kernels without
 * forced preemption such as Debian's and the lab's.
 */
static void nomse_stop(void)
{
	if (!nomse_bus)
		return;
	pci_bus_set_ops(nomse_bus, nomse_orig);
	synchronize_rcu();
	nomse_bus = NULL;
}

/* Whether @pdev is the no_mse function; count the call, in D3hot or not. */
static void nsr_count(struct pci_dev *pdev)
{
	if (!pdev || pdev->bus != nomse_bus || pdev->devfn != nomse_devfn)
		return;
	atomic_inc(&irq_frees);
	if (pdev->current_state == PCI_D3hot)
		atomic_inc(&irq_frees_d3);
}

/* free_irq(irq, dev_id): the irq's MSI descriptor names its device. */
static int nsr_free_irq_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct irq_data *d = irq_get_irq_data(regs->di);
	struct msi_desc *desc = d ? irq_data_get_msi_desc(d) : NULL;

	if (desc && desc->dev && dev_is_pci(desc->dev))
		nsr_count(to_pci_dev(desc->dev));
	return 0;
}

/* pci_free_irq_vectors(pdev) */
static int nsr_free_vectors_pre(struct kprobe *p, struct pt_regs *regs)
{
	nsr_count((struct pci_dev *)regs->di);
	return 0;
}

static struct kprobe nsr_kp[] = {
	{ .symbol_name = "free_irq", .pre_handler = nsr_free_irq_pre },
	{ .symbol_name = "pci_free_irq_vectors",
	  .pre_handler = nsr_free_vectors_pre },
};

static struct kprobe *nsr_kps[] = { &nsr_kp[0], &nsr_kp[1] };
static bool nsr_probed;

static struct kprobe vfpost_fault_kp[FAULT_MAX_FUNCS];
static struct kprobe *vfpost_fault_kps[FAULT_MAX_FUNCS];
static char vfpost_fault_names[256];
static int vfpost_fault_n;

static int __init vfpost_fault_init(void)
{
	char *names = vfpost_fault_names, *name;
	int ret;

	if (error > 0 || error < -MAX_ERRNO)
		return -EINVAL;
	if (strscpy(vfpost_fault_names, func, sizeof(vfpost_fault_names)) < 0)
		return -E2BIG;
	while ((name = strsep(&names, ",")) != NULL) {
		if (!*name)
			continue;
		if (vfpost_fault_n == FAULT_MAX_FUNCS)
			return -E2BIG;
		vfpost_fault_kp[vfpost_fault_n].symbol_name = name;
		vfpost_fault_kp[vfpost_fault_n].pre_handler = vfpost_fault_pre;
		vfpost_fault_kp[vfpost_fault_n].post_handler = vfpost_fault_post;
		vfpost_fault_kps[vfpost_fault_n] = &vfpost_fault_kp[vfpost_fault_n];
		vfpost_fault_n++;
	}
	if (!vfpost_fault_n && !*no_mse)
		return -EINVAL;
	if (no_soft_reset && !*no_mse)
		return -EINVAL;
	ret = nomse_start();
	if (ret)
		return ret;
	if (no_soft_reset) {
		ret = register_kprobes(nsr_kps, ARRAY_SIZE(nsr_kps));
		if (ret) {
			pr_err("cannot probe the MSI-X teardown: %d\n", ret);
			nomse_stop();
			return ret;
		}
		nsr_probed = true;
	}
	if (!vfpost_fault_n)
		return 0;
	ret = register_kprobes(vfpost_fault_kps, vfpost_fault_n);
	if (ret) {
		pr_err("cannot probe %s: %d\n", func, ret);
		if (nsr_probed)
			unregister_kprobes(nsr_kps, ARRAY_SIZE(nsr_kps));
		nomse_stop();
	}
	return ret;
}

static void __exit vfpost_fault_exit(void)
{
	if (vfpost_fault_n)
		unregister_kprobes(vfpost_fault_kps, vfpost_fault_n);
	if (nsr_probed)
		unregister_kprobes(nsr_kps, ARRAY_SIZE(nsr_kps));
	nomse_stop();
}

module_init(vfpost_fault_init);
module_exit(vfpost_fault_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vfpost selftests: make one chosen call of a function fail");
