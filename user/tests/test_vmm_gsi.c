// SPDX-License-Identifier: GPL-2.0
/* GSI routing table: IOAPIC/PIC pin routes, MSI route alloc/update/free, commits. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/kvm.h>

/* the harness defines non-static helpers without prototypes */
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include "kselftest_harness.h"
#include "vmm/gsi.h"

struct mock {
	int commits;
	int fail;			/* next commit returns this */
	struct kvm_irq_routing_entry last[2048];
	unsigned int nr;
};

static int mock_commit(void *opaque, const void *routing)
{
	const struct kvm_irq_routing *r = routing;
	struct mock *m = opaque;

	if (m->fail) {
		int e = m->fail;

		m->fail = 0;
		return e;
	}
	m->commits++;
	m->nr = r->nr;
	memcpy(m->last, r->entries, r->nr * sizeof(r->entries[0]));
	return 0;
}

static const struct kvm_irq_routing_entry *find(struct mock *m, uint32_t gsi, uint32_t type,
						uint32_t chip)
{
	unsigned int i;

	for (i = 0; i < m->nr; i++)
		if (m->last[i].gsi == gsi && m->last[i].type == type &&
		    (type != KVM_IRQ_ROUTING_IRQCHIP || m->last[i].u.irqchip.irqchip == chip))
			return &m->last[i];
	return NULL;
}

FIXTURE(gsi) {
	struct mock m;
	struct gsi_table *t;
};

FIXTURE_SETUP(gsi)
{
	memset(&self->m, 0, sizeof(self->m));
	self->t = gsi_table_new(mock_commit, &self->m);
	ASSERT_NE(NULL, self->t);
	ASSERT_EQ(0, gsi_table_init_ioapic(self->t));
}

FIXTURE_TEARDOWN(gsi)
{
	gsi_table_free(self->t);
}

TEST_F(gsi, pin_routes)
{
	const struct kvm_irq_routing_entry *e;
	unsigned int i;

	EXPECT_EQ(1, self->m.commits);
	/* 15 PIC routes (not GSI 2) + 23 IOAPIC routes (not GSI 2) */
	EXPECT_EQ(38u, self->m.nr);
	EXPECT_EQ(38, gsi_table_nr_routes(self->t));
	/* PIT: GSI 0 -> IOAPIC pin 2 and PIC pin 0 */
	e = find(&self->m, 0, KVM_IRQ_ROUTING_IRQCHIP, KVM_IRQCHIP_IOAPIC);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(2u, e->u.irqchip.pin);
	e = find(&self->m, 0, KVM_IRQ_ROUTING_IRQCHIP, KVM_IRQCHIP_PIC_MASTER);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(0u, e->u.irqchip.pin);
	EXPECT_EQ(NULL, find(&self->m, 2, KVM_IRQ_ROUTING_IRQCHIP, KVM_IRQCHIP_IOAPIC));
	/* serial IRQ 4 on IOAPIC pin 4 and the master PIC; 12 on the slave */
	e = find(&self->m, 4, KVM_IRQ_ROUTING_IRQCHIP, KVM_IRQCHIP_IOAPIC);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(4u, e->u.irqchip.pin);
	e = find(&self->m, 12, KVM_IRQ_ROUTING_IRQCHIP, KVM_IRQCHIP_PIC_SLAVE);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(4u, e->u.irqchip.pin);
	/* PCI INTx pins 16..23: IOAPIC only */
	for (i = 16; i < 24; i++) {
		e = find(&self->m, i, KVM_IRQ_ROUTING_IRQCHIP, KVM_IRQCHIP_IOAPIC);
		ASSERT_NE(NULL, e);
		EXPECT_EQ(i, e->u.irqchip.pin);
		EXPECT_EQ(NULL, find(&self->m, i, KVM_IRQ_ROUTING_IRQCHIP, KVM_IRQCHIP_PIC_SLAVE));
	}
}

TEST_F(gsi, msi_alloc_update_free)
{
	const struct kvm_irq_routing_entry *e;
	int g1, g2, g3;

	g1 = gsi_table_alloc_msi(self->t, 0xfee00000, 0x4021);
	g2 = gsi_table_alloc_msi(self->t, 0xfee01000, 0x4022);
	EXPECT_EQ(GSI_NR_IOAPIC_PINS, g1);
	EXPECT_EQ(GSI_NR_IOAPIC_PINS + 1, g2);
	EXPECT_EQ(3, self->m.commits);
	EXPECT_EQ(40u, self->m.nr);
	e = find(&self->m, g2, KVM_IRQ_ROUTING_MSI, 0);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(0xfee01000u, e->u.msi.address_lo);
	EXPECT_EQ(0u, e->u.msi.address_hi);
	EXPECT_EQ(0x4022u, e->u.msi.data);

	/* update rewrites the entry and commits; the same value does not */
	ASSERT_EQ(0, gsi_table_update_msi(self->t, g1, 0x1fee02000ULL, 0x4031));
	EXPECT_EQ(4, self->m.commits);
	e = find(&self->m, g1, KVM_IRQ_ROUTING_MSI, 0);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(0xfee02000u, e->u.msi.address_lo);
	EXPECT_EQ(1u, e->u.msi.address_hi);
	EXPECT_EQ(0x4031u, e->u.msi.data);
	ASSERT_EQ(0, gsi_table_update_msi(self->t, g1, 0x1fee02000ULL, 0x4031));
	EXPECT_EQ(4, self->m.commits);

	/* free removes it; the number is reused */
	ASSERT_EQ(0, gsi_table_free_msi(self->t, g1));
	EXPECT_EQ(NULL, find(&self->m, g1, KVM_IRQ_ROUTING_MSI, 0));
	EXPECT_NE(NULL, find(&self->m, g2, KVM_IRQ_ROUTING_MSI, 0));
	g3 = gsi_table_alloc_msi(self->t, 0xfee00000, 0x4041);
	EXPECT_EQ(g1, g3);
}

TEST_F(gsi, invalid)
{
	EXPECT_EQ(-EINVAL, gsi_table_update_msi(self->t, 4, 0xfee00000, 0));	/* a pin */
	EXPECT_EQ(-EINVAL, gsi_table_update_msi(self->t, 30, 0xfee00000, 0));	/* unused */
	EXPECT_EQ(-EINVAL, gsi_table_update_msi(self->t, GSI_MAX, 0xfee00000, 0));
	EXPECT_EQ(-EINVAL, gsi_table_free_msi(self->t, -1));
	EXPECT_EQ(-EINVAL, gsi_table_free_msi(self->t, 4));
	EXPECT_EQ(1, self->m.commits);
}

TEST_F(gsi, commit_failure_rolls_back)
{
	int g = gsi_table_alloc_msi(self->t, 0xfee00000, 0x4021);

	ASSERT_GE(g, GSI_NR_IOAPIC_PINS);
	/* a failed update keeps the old route in the table */
	self->m.fail = -ENOMEM;
	EXPECT_EQ(-ENOMEM, gsi_table_update_msi(self->t, g, 0xfee01000, 0x4099));
	ASSERT_EQ(0, gsi_table_alloc_msi(self->t, 0xfee00000, 0x1) > 0 ? 0 : -1);
	EXPECT_EQ(0x4021u, find(&self->m, g, KVM_IRQ_ROUTING_MSI, 0)->u.msi.data);
	/* a failed alloc does not consume a GSI */
	self->m.fail = -EINVAL;
	EXPECT_EQ(-EINVAL, gsi_table_alloc_msi(self->t, 0xfee00000, 0x2));
	EXPECT_EQ(g + 2, gsi_table_alloc_msi(self->t, 0xfee00000, 0x3));
}

TEST_F(gsi, exhaustion)
{
	int i, g;

	for (i = GSI_NR_IOAPIC_PINS; i < GSI_MAX; i++) {
		g = gsi_table_alloc_msi(self->t, 0xfee00000, i);
		ASSERT_EQ(i, g);
	}
	EXPECT_EQ(-ENOSPC, gsi_table_alloc_msi(self->t, 0xfee00000, 0));
	EXPECT_EQ(38 + GSI_MAX - GSI_NR_IOAPIC_PINS, (int)self->m.nr);
}

TEST_HARNESS_MAIN
