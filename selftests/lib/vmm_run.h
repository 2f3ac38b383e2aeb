/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Running build/user/vibevmm in the lab (vmm_vfio_test, vmm_iommufd_test,
 * fault_l2_test): start it in the background with its output in a log file
 * (/tmp/vmm_vfio-<name>.<pid>.log, never on the lab console), wait
 * for lines in that log, reap it with a deadline or kill it.  A started
 * vibevmm is SIGKILLed if the test process dies.
 */
#ifndef _SELFTESTS_VMM_RUN_H
#define _SELFTESTS_VMM_RUN_H

#include <stdbool.h>
#include <sys/types.h>

struct vmm {
	pid_t pid;
	char log[1024];
	int status;		/* exit status once reaped, -1 before */
	char bin[600];		/* vmm_start_bench(): the binary it ran */
};

double vmm_now(void);
const char *vmm_build_dir(void);
/* The L2 kernel: /boot/vmlinuz-$(uname -r), else Debian's 6.1 (debug lab). */
const char *vmm_guest_kernel(void);
/* Start vibevmm --kernel K --mem 384M --cpus 1 @args; output to the log @name. */
int vmm_start(struct vmm *v, const char *name, const char *args);
/* The same with stdout to @out (a file or FIFO), stderr to the log. */
int vmm_start_out(struct vmm *v, const char *name, const char *args, const char *out);
/*
 * Start vibevmm (its sanitized build, vibevmm-san, when there is one) with
 * the bench guest payload (user/guest) as --kernel, --mem 64M --cpus 1
 * @args; output to the log @name.
 */
int vmm_start_bench(struct vmm *v, const char *name, const char *args);
/* Reap within @timeout seconds, else kill it; returns the exit status or -1. */
int vmm_wait(struct vmm *v, int timeout);
void vmm_kill(struct vmm *v);
/* The whole log, NUL-terminated, malloc'ed (NULL if unreadable). */
char *read_log(const struct vmm *v);
bool log_has(const struct vmm *v, const char *needle);
/* The log's "BDF: assigned as ..." line for @bdf contains @needle. */
bool assigned_has(const struct vmm *v, const char *bdf, const char *needle);
/* Wait until the log contains @needle, or the VMM exits, or @timeout. */
bool wait_log(struct vmm *v, const char *needle, int timeout);
/*
 * Print the interesting lines of the log as TAP comments, and where the
 * whole log is (in the lab: the run directory, where the init copies it).
 */
void dump_log(const struct vmm *v);

#endif
