/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a KVM exit that is not port or MMIO I/O means for the VM: keep
 * running, or stop with an exit status and one line saying why.  Kept apart
 * from the vCPU loop so the decision can be unit-tested without KVM.
 *
 * Exit status: 0 for a guest poweroff or reset the guest asked for, 1 for
 * anything abnormal (triple fault, crash event, failed VM entry, KVM
 * internal error, an exit reason vibevmm does not know).
 */
#ifndef VIBEVMM_EXITS_H
#define VIBEVMM_EXITS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/kvm.h>

struct exit_verdict {
	bool stop;		/* stop the VM with @status */
	int status;		/* vibevmm's exit status */
	bool error;		/* log @msg as an error (else as info) */
	bool dump_regs;		/* the vCPU's registers help explain it */
	char msg[160];		/* one line, without the "vibevmm: " prefix */
};

/* Decide for a vCPU exit other than KVM_EXIT_IO/KVM_EXIT_MMIO. */
void exit_decide(const struct kvm_run *run, int vcpu, struct exit_verdict *v);

#endif
