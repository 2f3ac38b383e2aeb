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
#include <stdint.h>
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

/*
 * What one vCPU's exits to vibevmm were, for `--log 3` at the end of a run
 * (Documentation/benchmarks.rst uses it): counts by exit reason, and for
 * port and MMIO exits by port and by 4 KiB MMIO page, the first
 * EXIT_STATS_KEYS distinct ones each (the rest counted together).  Owned
 * by its vCPU thread; read after the thread is joined.
 */
#define EXIT_STATS_KEYS		32

struct exit_key_count {
	uint64_t key, n;
};

struct exit_keys {
	struct exit_key_count k[EXIT_STATS_KEYS];
	unsigned int used;
	uint64_t rest;		/* exits whose key did not fit */
};

struct exit_stats {
	uint64_t io, mmio, intr, other;
	struct exit_keys ports, pages;
};

/* Count one exit; @addr is the port or the MMIO address (else unused). */
void exit_stats_count(struct exit_stats *s, uint32_t reason, uint64_t addr);
/*
 * One line: "N exits: io N (0x3f8 N, ...), mmio N (0xe0000000 N, ...),
 * intr N, other N", the busiest keys first; truncated to @len.
 */
void exit_stats_format(const struct exit_stats *s, char *buf, size_t len);

#endif
