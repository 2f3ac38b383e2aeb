// SPDX-License-Identifier: GPL-2.0
/* The vCPU exit decision: keep running, or stop with which status and why. */
#include <stdio.h>
#include <string.h>

#include "exits.h"

#ifndef KVM_SYSTEM_EVENT_SEV_TERM
#define KVM_SYSTEM_EVENT_SEV_TERM	6
#endif

static void stop(struct exit_verdict *v, int status, bool dump)
{
	v->stop = true;
	v->status = status;
	v->error = status != 0;
	v->dump_regs = dump;
}

static void system_event(const struct kvm_run *run, int vcpu, struct exit_verdict *v)
{
	switch (run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		stop(v, 0, false);
		snprintf(v->msg, sizeof(v->msg), "guest powered off; stopping the VM");
		break;
	case KVM_SYSTEM_EVENT_RESET:
		stop(v, 0, false);
		snprintf(v->msg, sizeof(v->msg), "guest reset; stopping the VM");
		break;
	case KVM_SYSTEM_EVENT_CRASH:
		stop(v, 1, true);
		snprintf(v->msg, sizeof(v->msg),
			 "vCPU %d: guest crashed (KVM system event CRASH); stopping the VM, see the guest's console for its panic",
			 vcpu);
		break;
	case KVM_SYSTEM_EVENT_SEV_TERM:
		stop(v, 1, false);
		snprintf(v->msg, sizeof(v->msg),
			 "vCPU %d: guest asked to terminate (SEV termination request); stopping the VM",
			 vcpu);
		break;
	default:
		stop(v, 1, true);
		snprintf(v->msg, sizeof(v->msg),
			 "vCPU %d: unexpected KVM system event %u; stopping the VM",
			 vcpu, run->system_event.type);
		break;
	}
}

void exit_decide(const struct kvm_run *run, int vcpu, struct exit_verdict *v)
{
	memset(v, 0, sizeof(*v));
	switch (run->exit_reason) {
	case KVM_EXIT_INTR:
		break;
	case KVM_EXIT_SHUTDOWN:
		stop(v, 1, true);
		snprintf(v->msg, sizeof(v->msg),
			 "vCPU %d: guest triple fault (CPU shutdown); stopping the VM", vcpu);
		break;
	case KVM_EXIT_SYSTEM_EVENT:
		system_event(run, vcpu, v);
		break;
	case KVM_EXIT_FAIL_ENTRY:
		stop(v, 1, true);
		snprintf(v->msg, sizeof(v->msg), "vCPU %d: VM entry failed (reason %#llx)", vcpu,
			 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		stop(v, 1, true);
		snprintf(v->msg, sizeof(v->msg), "vCPU %d: KVM internal error (suberror %u)", vcpu,
			 run->internal.suberror);
		break;
	default:
		stop(v, 1, true);
		snprintf(v->msg, sizeof(v->msg), "vCPU %d: unexpected KVM exit reason %u", vcpu,
			 run->exit_reason);
		break;
	}
}
