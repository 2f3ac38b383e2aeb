// SPDX-License-Identifier: GPL-2.0
/*
 * MSI-X table and PBA emulation (user/vmm/msix.c): entry rewrites reach the
 * owner (route update), effective mask changes (entry bit, function mask,
 * enable) are reported exactly once per change, pending bits are the
 * owner's and the PBA shows them.
 */
#include <stdint.h>
#include <string.h>
#include <linux/pci_regs.h>

#include "kselftest_harness.h"
#include "vmm/msix.h"

#define NR 70	/* more than one PBA qword */

struct rec {
	int updates, masks, unmasks, enables, disables;
	unsigned int vec;
	uint64_t addr;
	uint32_t data;
	char order[16];
	int norder;
	uint64_t hw_pba;
};

static void r_update(void *o, unsigned int vec, uint64_t addr, uint32_t data)
{
	struct rec *r = o;

	r->updates++;
	r->vec = vec;
	r->addr = addr;
	r->data = data;
}

static void r_mask(void *o, unsigned int vec, bool masked)
{
	struct rec *r = o;

	if (masked)
		r->masks++;
	else
		r->unmasks++;
	r->vec = vec;
	if (r->norder < 15)
		r->order[r->norder++] = masked ? 'm' : 'u';
}

static void r_enable(void *o, bool en)
{
	struct rec *r = o;

	if (en)
		r->enables++;
	else
		r->disables++;
	if (r->norder < 15)
		r->order[r->norder++] = en ? 'E' : 'D';
}

static uint64_t r_pba(void *o, unsigned int q)
{
	struct rec *r = o;

	return q == 0 ? r->hw_pba : 0;
}

static const struct msix_ops ops = { r_update, r_mask, r_enable, r_pba };

FIXTURE(msix) {
	struct rec r;
	struct msix m;
};

FIXTURE_SETUP(msix)
{
	memset(&self->r, 0, sizeof(self->r));
	ASSERT_EQ(0, msix_init(&self->m, NR, &ops, &self->r));
}

FIXTURE_TEARDOWN(msix)
{
	msix_free(&self->m);
}

static void w32(struct msix *m, uint64_t off, uint32_t v)
{
	msix_table_write(m, off, &v, 4);
}

static uint32_t r32(struct msix *m, uint64_t off)
{
	uint32_t v;

	msix_table_read(m, off, &v, 4);
	return v;
}

static uint64_t pba64(struct msix *m, uint64_t off)
{
	uint64_t v;

	msix_pba_read(m, off, &v, 8);
	return v;
}

TEST_F(msix, sizes_and_reset_state)
{
	unsigned int i;

	EXPECT_EQ(NR * 16u, msix_table_size(&self->m));
	EXPECT_EQ(16u, msix_pba_size(&self->m));
	for (i = 0; i < NR; i++) {
		EXPECT_EQ(1u, r32(&self->m, i * 16 + 12));
		EXPECT_EQ(0u, r32(&self->m, i * 16));
		EXPECT_TRUE(msix_masked(&self->m, i));
	}
}

/*
 * An offset 2^36 past the table is outside it, not vector 0 again: the
 * vector index was truncated to 32 bits on writes (found by the msix
 * fuzzer; vfio_pci passes only in-table offsets, so no guest reached it).
 */
TEST_F(msix, write_far_past_table_changes_nothing)
{
	uint32_t v = 0xfee01000, got = 0;

	msix_table_write(&self->m, 1ull << 36, &v, 4);
	EXPECT_EQ(0, self->r.updates);
	msix_table_read(&self->m, 0, &got, 4);
	EXPECT_EQ(0u, got);
	msix_table_read(&self->m, 1ull << 36, &got, 4);
	EXPECT_EQ(0u, got);
}

TEST_F(msix, entry_rewrite_reports_new_message)
{
	uint64_t addr;
	uint32_t data;

	w32(&self->m, 16 + 0, 0xfee00003);	/* low bits reserved */
	EXPECT_EQ(1, self->r.updates);
	EXPECT_EQ(1u, self->r.vec);
	EXPECT_EQ(0xfee00000ull, self->r.addr);
	w32(&self->m, 16 + 4, 0x1);
	w32(&self->m, 16 + 8, 0x4021);
	EXPECT_EQ(3, self->r.updates);
	EXPECT_EQ(0x1fee00000ull, self->r.addr);
	EXPECT_EQ(0x4021u, self->r.data);
	msix_message(&self->m, 1, &addr, &data);
	EXPECT_EQ(0x1fee00000ull, addr);
	EXPECT_EQ(0x4021u, data);
	EXPECT_EQ(0xfee00000u, r32(&self->m, 16));
	/* same value again: no update */
	w32(&self->m, 16 + 8, 0x4021);
	EXPECT_EQ(3, self->r.updates);
	/* no mask change from data writes */
	EXPECT_EQ(0, self->r.masks + self->r.unmasks);
}

TEST_F(msix, qword_access_writes_address_pair)
{
	uint64_t v = 0x00000002fee01000ull, back;

	msix_table_write(&self->m, 5 * 16, &v, 8);
	msix_table_read(&self->m, 5 * 16, &back, 8);
	EXPECT_EQ(v, back);
	EXPECT_EQ(2, self->r.updates);
	EXPECT_EQ(5u, self->r.vec);
	/* misaligned qword ignored, reads all ones */
	msix_table_write(&self->m, 5 * 16 + 4, &v, 8);
	EXPECT_EQ(2, self->r.updates);
	msix_table_read(&self->m, 5 * 16 + 4, &back, 8);
	EXPECT_EQ(~0ull, back);
}

TEST_F(msix, entry_unmask_reported_only_when_enabled)
{
	w32(&self->m, 12, 0);		/* MSI-X still disabled */
	EXPECT_EQ(0, self->r.unmasks);
	EXPECT_TRUE(msix_masked(&self->m, 0));

	msix_set_ctrl(&self->m, true, false);
	EXPECT_EQ(1, self->r.enables);
	EXPECT_EQ(1, self->r.unmasks);	/* vector 0 becomes live */
	EXPECT_EQ(0u, self->r.vec);
	EXPECT_STREQ("Eu", self->r.order);

	w32(&self->m, 16 + 12, 0);	/* vector 1 */
	EXPECT_EQ(2, self->r.unmasks);
	EXPECT_EQ(1u, self->r.vec);
	w32(&self->m, 16 + 12, 0);	/* no change */
	EXPECT_EQ(2, self->r.unmasks);
	w32(&self->m, 16 + 12, 1);
	EXPECT_EQ(1, self->r.masks);
	EXPECT_TRUE(msix_masked(&self->m, 1));
	/* reserved control bits read as zero */
	w32(&self->m, 16 + 12, 0xfffffffe);
	EXPECT_EQ(0u, r32(&self->m, 16 + 12));
}

TEST_F(msix, function_mask_masks_every_live_vector)
{
	msix_set_ctrl(&self->m, true, false);
	w32(&self->m, 12, 0);
	w32(&self->m, 3 * 16 + 12, 0);
	self->r.masks = self->r.unmasks = 0;

	msix_set_ctrl(&self->m, true, true);
	EXPECT_EQ(2, self->r.masks);
	EXPECT_TRUE(msix_masked(&self->m, 0));
	EXPECT_TRUE(msix_masked(&self->m, 3));
	/* entry bit changes under the function mask do not unmask */
	w32(&self->m, 4 * 16 + 12, 0);
	EXPECT_EQ(0, self->r.unmasks);

	msix_set_ctrl(&self->m, true, false);
	EXPECT_EQ(3, self->r.unmasks);	/* 0, 3 and 4 */
	EXPECT_FALSE(msix_masked(&self->m, 4));
	EXPECT_EQ(0, self->r.disables);
}

TEST_F(msix, disable_masks_then_reports_disable)
{
	msix_set_ctrl(&self->m, true, false);
	w32(&self->m, 2 * 16 + 12, 0);
	self->r.norder = 0;
	memset(self->r.order, 0, sizeof(self->r.order));

	msix_set_ctrl(&self->m, false, false);
	EXPECT_STREQ("mD", self->r.order);
	EXPECT_TRUE(msix_masked(&self->m, 2));
	/* entry stays unmasked in the table */
	EXPECT_EQ(0u, r32(&self->m, 2 * 16 + 12));
}

/* A function reset: disabled as msix_set_ctrl() tells it, entries back. */
TEST_F(msix, reset_masks_clears_and_disables)
{
	msix_set_ctrl(&self->m, true, true);
	w32(&self->m, 2 * 16, 0xfee00000);
	w32(&self->m, 2 * 16 + 8, 0x41);
	w32(&self->m, 2 * 16 + 12, 0);
	w32(&self->m, (NR - 1) * 16 + 4, 7);
	msix_set_pending(&self->m, 65);
	self->r.norder = 0;
	memset(self->r.order, 0, sizeof(self->r.order));

	msix_reset(&self->m);
	EXPECT_STREQ("D", self->r.order);	/* every vector was function-masked */
	EXPECT_FALSE(self->m.enabled || self->m.maskall);
	EXPECT_EQ(0u, r32(&self->m, 2 * 16));
	EXPECT_EQ(0u, r32(&self->m, 2 * 16 + 8));
	EXPECT_EQ(1u, r32(&self->m, 2 * 16 + 12));
	EXPECT_EQ(0u, r32(&self->m, (NR - 1) * 16 + 4));
	EXPECT_FALSE(msix_take_pending(&self->m, 65));
	/* enabled again, the entry only reports its unmask once rewritten */
	msix_set_ctrl(&self->m, true, false);
	EXPECT_EQ(0, self->r.unmasks);
}

TEST_F(msix, pending_bits_owned_by_owner_and_shown_in_pba)
{
	uint32_t hi;

	EXPECT_EQ(0ull, pba64(&self->m, 0));
	msix_set_pending(&self->m, 1);
	msix_set_pending(&self->m, 65);
	EXPECT_EQ(2ull, pba64(&self->m, 0));
	EXPECT_EQ(2ull, pba64(&self->m, 8));
	msix_pba_read(&self->m, 4, &hi, 4);
	EXPECT_EQ(0u, hi);
	/* device's own pending bits are merged */
	self->r.hw_pba = 1ull << 40;
	msix_pba_read(&self->m, 4, &hi, 4);
	EXPECT_EQ(1u << 8, hi);

	EXPECT_TRUE(msix_take_pending(&self->m, 65));
	EXPECT_FALSE(msix_take_pending(&self->m, 65));
	EXPECT_EQ(0ull, pba64(&self->m, 8));
	EXPECT_FALSE(msix_take_pending(&self->m, NR));
	/* beyond the PBA */
	EXPECT_EQ(0ull, pba64(&self->m, 16));
}

TEST_F(msix, out_of_range_entries_ignored)
{
	w32(&self->m, NR * 16, 0x1234);
	EXPECT_EQ(0, self->r.updates);
	EXPECT_EQ(0u, r32(&self->m, NR * 16));
	EXPECT_TRUE(msix_masked(&self->m, NR));
}

TEST(msix_rejects_bad_size)
{
	struct msix m;

	EXPECT_EQ(-EINVAL, msix_init(&m, 0, &ops, NULL));
	EXPECT_EQ(-EINVAL, msix_init(&m, MSIX_MAX_VECTORS + 1, &ops, NULL));
}

TEST_HARNESS_MAIN
