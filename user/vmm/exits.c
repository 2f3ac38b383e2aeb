// SPDX-License-Identifier: GPL-2.0
/* The vCPU exit decision: keep running, or stop with which status and why. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
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

/* ---- statistics ---- */

static void count_key(struct exit_keys *ks, uint64_t key)
{
	unsigned int i;

	for (i = 0; i < ks->used; i++) {
		if (ks->k[i].key == key) {
			ks->k[i].n++;
			return;
		}
	}
	if (ks->used == EXIT_STATS_KEYS) {
		ks->rest++;
		return;
	}
	ks->k[ks->used].key = key;
	ks->k[ks->used++].n = 1;
}

void exit_stats_count(struct exit_stats *s, uint32_t reason, uint64_t addr)
{
	switch (reason) {
	case KVM_EXIT_IO:
		s->io++;
		count_key(&s->ports, addr);
		break;
	case KVM_EXIT_MMIO:
		s->mmio++;
		count_key(&s->pages, addr & ~0xfffULL);
		break;
	case KVM_EXIT_INTR:
		s->intr++;
		break;
	default:
		s->other++;
		break;
	}
}

static int by_count_desc(const void *a, const void *b)
{
	const struct exit_key_count *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return x->key < y->key ? -1 : x->key > y->key;
}

/* Append with snprintf semantics: *off may pass len; nothing is written then. */
static void put(char *buf, size_t len, size_t *off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void put(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n > 0)
		*off += n;
}

static void put_keys(char *buf, size_t len, size_t *off, const struct exit_keys *ks)
{
	struct exit_key_count k[EXIT_STATS_KEYS];
	unsigned int i;

	if (!ks->used)
		return;
	memcpy(k, ks->k, ks->used * sizeof(k[0]));
	qsort(k, ks->used, sizeof(k[0]), by_count_desc);
	put(buf, len, off, " (");
	for (i = 0; i < ks->used; i++)
		put(buf, len, off, "%s%#" PRIx64 " %" PRIu64, i ? ", " : "", k[i].key, k[i].n);
	if (ks->rest)
		put(buf, len, off, ", others %" PRIu64, ks->rest);
	put(buf, len, off, ")");
}

void exit_stats_format(const struct exit_stats *s, char *buf, size_t len)
{
	size_t off = 0;

	if (!len)
		return;
	buf[0] = '\0';
	put(buf, len, &off, "%" PRIu64 " exits: io %" PRIu64,
	    s->io + s->mmio + s->intr + s->other, s->io);
	put_keys(buf, len, &off, &s->ports);
	put(buf, len, &off, ", mmio %" PRIu64, s->mmio);
	put_keys(buf, len, &off, &s->pages);
	put(buf, len, &off, ", intr %" PRIu64 ", other %" PRIu64, s->intr, s->other);
}
