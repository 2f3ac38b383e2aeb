/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fault injection for the lab suites through the test-only module
 * selftests/kmod/vfpost_fault.c: one chosen call of one kernel function,
 * made by this process, returns an error.  Return 0 or -errno and print one
 * line on failure, like lab.h.
 */
#ifndef _SELFTESTS_FAULT_H
#define _SELFTESTS_FAULT_H

/* insmod vfpost_fault.ko for the running kernel, probing @func. */
int fault_load(const char *func);
int fault_unload(void);
/* The @nth call of the function from now on, by this process, fails with @err. */
int fault_arm(int nth, int err);
int fault_disarm(void);
/*
 * Delay every call of the function by @ms (0: stop), by every process
 * and kernel thread: widens a race window whatever context makes the call.
 */
int fault_delay_all(int ms);
/* Failures injected since load, or -errno. */
long fault_injected(void);

#endif /* _SELFTESTS_FAULT_H */
