// SPDX-License-Identifier: GPL-2.0
/*
 * GSI routing table manager: keeps the IOAPIC/PIC pin routes and the MSI
 * routes devices allocate, and commits the whole table with
 * KVM_SET_GSI_ROUTING after every change (KVM replaces the table
 * atomically; irqfds bound to a GSI follow the new route).
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <linux/kvm.h>

#include "gsi.h"
#include "log.h"
#include "vm.h"

struct gsi_route {
	bool used;
	uint64_t addr;
	uint32_t data;
};

struct gsi_table {
	pthread_mutex_t lock;
	gsi_commit_fn commit;
	void *opaque;
	bool ioapic;			/* pin routes installed */
	int nr_committed;
	struct gsi_route msi[GSI_MAX];	/* index = gsi; < 24 unused */
};

struct gsi_table *gsi_table_new(gsi_commit_fn commit, void *opaque)
{
	struct gsi_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	pthread_mutex_init(&t->lock, NULL);
	t->commit = commit;
	t->opaque = opaque;
	return t;
}

void gsi_table_free(struct gsi_table *t)
{
	if (!t)
		return;
	pthread_mutex_destroy(&t->lock);
	free(t);
}

static void add_irqchip(struct kvm_irq_routing *r, uint32_t gsi, uint32_t chip, uint32_t pin)
{
	struct kvm_irq_routing_entry *e = &r->entries[r->nr++];

	memset(e, 0, sizeof(*e));
	e->gsi = gsi;
	e->type = KVM_IRQ_ROUTING_IRQCHIP;
	e->u.irqchip.irqchip = chip;
	e->u.irqchip.pin = pin;
}

/* Build and commit the whole table; called with t->lock held. */
static int gsi_commit(struct gsi_table *t)
{
	size_t max = 16 + GSI_NR_IOAPIC_PINS + GSI_MAX;
	struct kvm_irq_routing *r;
	unsigned int i;
	int ret;

	r = calloc(1, sizeof(*r) + max * sizeof(r->entries[0]));
	if (!r)
		return -ENOMEM;
	if (t->ioapic) {
		/* PC wiring: PIT (GSI 0) on IOAPIC pin 2, ISA IRQs on the PICs. */
		for (i = 0; i < 16; i++) {
			if (i == 2)
				continue;
			add_irqchip(r, i, i < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE, i & 7);
		}
		for (i = 0; i < GSI_NR_IOAPIC_PINS; i++) {
			if (i == 2)
				continue;
			add_irqchip(r, i, KVM_IRQCHIP_IOAPIC, i ? i : 2);
		}
	}
	for (i = GSI_NR_IOAPIC_PINS; i < GSI_MAX; i++) {
		struct kvm_irq_routing_entry *e;

		if (!t->msi[i].used)
			continue;
		e = &r->entries[r->nr++];
		memset(e, 0, sizeof(*e));
		e->gsi = i;
		e->type = KVM_IRQ_ROUTING_MSI;
		e->u.msi.address_lo = (uint32_t)t->msi[i].addr;
		e->u.msi.address_hi = (uint32_t)(t->msi[i].addr >> 32);
		e->u.msi.data = t->msi[i].data;
	}
	ret = t->commit ? t->commit(t->opaque, r) : 0;
	if (!ret)
		t->nr_committed = r->nr;
	free(r);
	return ret;
}

int gsi_table_init_ioapic(struct gsi_table *t)
{
	int ret;

	pthread_mutex_lock(&t->lock);
	t->ioapic = true;
	ret = gsi_commit(t);
	pthread_mutex_unlock(&t->lock);
	return ret;
}

int gsi_table_alloc_msi(struct gsi_table *t, uint64_t addr, uint32_t data)
{
	int gsi, ret;

	pthread_mutex_lock(&t->lock);
	for (gsi = GSI_NR_IOAPIC_PINS; gsi < GSI_MAX; gsi++)
		if (!t->msi[gsi].used)
			break;
	if (gsi == GSI_MAX) {
		pthread_mutex_unlock(&t->lock);
		return -ENOSPC;
	}
	t->msi[gsi] = (struct gsi_route){ .used = true, .addr = addr, .data = data };
	ret = gsi_commit(t);
	if (ret) {
		t->msi[gsi].used = false;
		gsi = ret;
	}
	pthread_mutex_unlock(&t->lock);
	return gsi;
}

static bool msi_gsi_valid(struct gsi_table *t, int gsi)
{
	return gsi >= GSI_NR_IOAPIC_PINS && gsi < GSI_MAX && t->msi[gsi].used;
}

int gsi_table_update_msi(struct gsi_table *t, int gsi, uint64_t addr, uint32_t data)
{
	struct gsi_route old;
	int ret = 0;

	pthread_mutex_lock(&t->lock);
	if (!msi_gsi_valid(t, gsi)) {
		ret = -EINVAL;
		goto out;
	}
	old = t->msi[gsi];
	if (old.addr == addr && old.data == data)
		goto out;
	t->msi[gsi].addr = addr;
	t->msi[gsi].data = data;
	ret = gsi_commit(t);
	if (ret)
		t->msi[gsi] = old;
out:
	pthread_mutex_unlock(&t->lock);
	return ret;
}

int gsi_table_free_msi(struct gsi_table *t, int gsi)
{
	int ret;

	pthread_mutex_lock(&t->lock);
	if (!msi_gsi_valid(t, gsi)) {
		pthread_mutex_unlock(&t->lock);
		return -EINVAL;
	}
	t->msi[gsi].used = false;
	ret = gsi_commit(t);
	pthread_mutex_unlock(&t->lock);
	return ret;
}

int gsi_table_nr_routes(struct gsi_table *t)
{
	int n;

	pthread_mutex_lock(&t->lock);
	n = t->nr_committed;
	pthread_mutex_unlock(&t->lock);
	return n;
}

int gsi_alloc_msi(struct vm *vm, uint64_t addr, uint32_t data)
{
	int gsi = gsi_table_alloc_msi(vm_gsi_table(vm), addr, data);

	if (gsi < 0)
		log_err_rl("GSI routing: cannot add an MSI route: %s", strerror(-gsi));
	else
		log_debug_rl("GSI %d: MSI addr %#llx data %#x", gsi,
			     (unsigned long long)addr, data);
	return gsi;
}

int gsi_update_msi(struct vm *vm, int gsi, uint64_t addr, uint32_t data)
{
	int ret = gsi_table_update_msi(vm_gsi_table(vm), gsi, addr, data);

	if (ret)
		log_err_rl("GSI %d: cannot update the MSI route: %s", gsi, strerror(-ret));
	else
		log_debug_rl("GSI %d: MSI addr %#llx data %#x", gsi,
			     (unsigned long long)addr, data);
	return ret;
}

void gsi_free(struct vm *vm, int gsi)
{
	int ret = gsi_table_free_msi(vm_gsi_table(vm), gsi);

	if (ret)
		log_warn_rl("GSI %d: cannot free the route: %s", gsi, strerror(-ret));
}
