/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fault injection for the lab suites: the @nth call, made by this process
 * from now on, of one kernel function (or of the slab allocator) fails.
 * One interface, two backends, chosen at load:
 *
 *  - the kernel's own: fail_function (a function listed in
 *    /sys/kernel/debug/fail_function/injectable) and failslab, both armed
 *    through /proc/thread-self/fail-nth (kernels with FAULT_INJECTION and
 *    its debugfs, such as the lab's debug kernel);
 *  - the test-only module selftests/kmod/vfpost_fault.c, a kprobe that makes
 *    the call return early (Debian's kernels, which have neither).
 *
 * With the fail-nth backend only the calling thread counts, so arm, call and
 * disarm from one thread; and @nth counts every fault point the thread
 * passes (failslab, fail_page_alloc for atomic allocations, the function),
 * where the kprobe backend counts calls of the function alone.  Return 0 or -errno and print one line on
 * failure, like lab.h.
 */
#ifndef _SELFTESTS_FAULT_H
#define _SELFTESTS_FAULT_H

#include <stdbool.h>

/* fault_load()'s name for "every slab allocation" (kmalloc and friends). */
#define FAULT_SLAB	"slab"

/* Make @func (or FAULT_SLAB) fail on demand. */
int fault_load(const char *func);
int fault_unload(void);
/*
 * Only calls made from @module's code count (NULL: any caller again): with
 * the kprobe backend, calls returning directly into the module; with
 * failslab, allocations with the module among their nearest stack frames
 * (needs FAULT_INJECTION_STACKTRACE_FILTER).  So FAULT_SLAB fails the
 * module's own allocations, not those of the kernel code it calls.  With
 * @beneath, calls with the module anywhere in their stack count too: the
 * allocations of the kernel code the module calls.
 */
int fault_only_from(const char *module, bool beneath);
/* "fail-nth" or "kprobe": the backend fault_load() chose. */
const char *fault_backend(void);
/*
 * The @nth call from now on fails with @err (ignored for FAULT_SLAB, whose
 * calls fail as allocators do, with NULL).
 */
int fault_arm(int nth, int err);
/* Disarm; true if a failure was injected since the last fault_arm(). */
bool fault_disarm(void);
/*
 * Delay every call of the function by @ms (0: stop), by every process
 * and kernel thread: widens a race window whatever context makes the call.
 */
int fault_delay_all(int ms);
/* Failures injected since load, or -errno. */
long fault_injected(void);

/*
 * Not a fault: real-VF emulation (vfpost_fault.ko's no_mse mode).  The
 * function @bdf (it may not exist yet) reads Command.MSE as 0, hardwired
 * as on a real SR-IOV VF, and keeps decoding its BARs.  fault_unload()
 * ends it.  fault_mse_count("hidden"): reads that had MSE cleared;
 * ("kept"): writes that would have cleared it; or -errno.
 */
int fault_no_mse(const char *bdf);
long fault_mse_count(const char *what);
/*
 * fault_no_mse() plus a PM capability whose No_Soft_Reset reads 0 (the
 * function loses its state in D3hot, as many real ones do), with the
 * function's MSI-X teardown watched: fault_count("irq_frees") counts its
 * free_irq()/pci_free_irq_vectors() calls, ("irq_frees_d3") those made
 * while it was in D3hot, ("nsr_hidden") the reads that hid the bit.
 */
int fault_no_soft_reset(const char *bdf);
/* A read-only counter of vfpost_fault.ko, or -errno. */
long fault_count(const char *name);

#endif /* _SELFTESTS_FAULT_H */
