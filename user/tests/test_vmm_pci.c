// SPDX-License-Identifier: GPL-2.0
/* PCI bus: configuration mechanism #1 decoding, ECAM, dispatch, BAR windows. */
#include <stdlib.h>
#include <string.h>

/* the harness defines non-static helpers without prototypes */
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include "kselftest_harness.h"
#include "vmm/pci.h"

struct fake {
	struct pci_device dev;
	uint8_t cfg[4096];
	unsigned int last_off, last_len, writes;
	uint32_t last_val;
};

static uint32_t fake_read(struct pci_device *dev, unsigned int off, unsigned int len)
{
	struct fake *f = dev->priv;
	uint32_t v = 0;

	f->last_off = off;
	f->last_len = len;
	memcpy(&v, f->cfg + off, len);
	return v;
}

static void fake_write(struct pci_device *dev, unsigned int off, unsigned int len, uint32_t val)
{
	struct fake *f = dev->priv;

	f->last_off = off;
	f->last_len = len;
	f->last_val = val;
	f->writes++;
	memcpy(f->cfg + off, &val, len);
}

static const struct pci_device_ops fake_ops = { fake_read, fake_write };

static void fake_init(struct fake *f, uint16_t vendor)
{
	memset(f, 0, sizeof(*f));
	f->dev.ops = &fake_ops;
	f->dev.priv = f;
	memcpy(f->cfg, &vendor, 2);
	f->cfg[0x100] = 0xab;		/* extended config space */
}

static uint32_t conf1_read(struct pci_bus *bus, uint32_t addr, unsigned int port_off,
			   unsigned int len)
{
	uint32_t v = 0;

	pci_bus_conf1_io(bus, 0, &addr, 4, true);
	pci_bus_conf1_io(bus, 4 + port_off, &v, len, false);
	return v;
}

static void conf1_write(struct pci_bus *bus, uint32_t addr, unsigned int port_off,
			unsigned int len, uint32_t v)
{
	pci_bus_conf1_io(bus, 0, &addr, 4, true);
	pci_bus_conf1_io(bus, 4 + port_off, &v, len, true);
}

#define CF8(dev, fn, reg)	(0x80000000u | ((dev) << 11) | ((fn) << 8) | (reg))

FIXTURE(bus) {
	struct pci_bus *bus;
	struct fake a, b;
};

FIXTURE_SETUP(bus)
{
	self->bus = pci_bus_new(0xc0000000, 0x20000000, 0x100000000ULL, 1ULL << 30,
				0xc000, 0x4000);
	ASSERT_NE(NULL, self->bus);
	fake_init(&self->a, 0x1af4);
	fake_init(&self->b, 0x8086);
	ASSERT_EQ(0, pci_bus_add(self->bus, &self->a.dev));
	ASSERT_EQ(0, pci_bus_add(self->bus, &self->b.dev));
}

FIXTURE_TEARDOWN(bus)
{
	pci_bus_free(self->bus);
}

TEST_F(bus, slots_and_intx)
{
	EXPECT_EQ(1 << 3, self->a.dev.devfn);
	EXPECT_EQ(2 << 3, self->b.dev.devfn);
	EXPECT_EQ(pci_intx_gsi(1, 0), self->a.dev.intx_gsi);
	EXPECT_EQ(17, self->a.dev.intx_gsi);
	EXPECT_EQ(18, self->b.dev.intx_gsi);
}

/*
 * A held slot (the guest still holds a device there) is reused last: only
 * when no other slot is free, and taking it ends the hold.
 */
TEST_F(bus, a_held_slot_is_reused_last)
{
	static struct fake more[29];
	struct fake c;
	int i;

	pci_bus_remove(self->bus, &self->a.dev);
	pci_bus_hold_slot(self->bus, 1, true);
	fake_init(&c, 0x1234);
	ASSERT_EQ(0, pci_bus_add(self->bus, &c.dev));
	EXPECT_EQ(3 << 3, c.dev.devfn);
	for (i = 0; i < 28; i++) {		/* slots 4..31 */
		fake_init(&more[i], 0x1234);
		ASSERT_EQ(0, pci_bus_add(self->bus, &more[i].dev));
		EXPECT_NE(1 << 3, more[i].dev.devfn);
	}
	fake_init(&more[28], 0x1234);
	ASSERT_EQ(0, pci_bus_add(self->bus, &more[28].dev));	/* no other left */
	EXPECT_EQ(1 << 3, more[28].dev.devfn);
	pci_bus_remove(self->bus, &more[28].dev);
	pci_bus_remove(self->bus, &more[0].dev);		/* slot 4 */
	ASSERT_EQ(0, pci_bus_add(self->bus, &self->a.dev));	/* the hold ended */
	EXPECT_EQ(1 << 3, self->a.dev.devfn);
}

TEST_F(bus, host_bridge)
{
	EXPECT_EQ(0x00081b36u, conf1_read(self->bus, CF8(0, 0, 0), 0, 4));
	EXPECT_EQ(0x0600u, conf1_read(self->bus, CF8(0, 0, 8), 2, 2));
	EXPECT_EQ(0u, conf1_read(self->bus, CF8(0, 0, 0xc), 2, 1));	/* header type 0 */
}

TEST_F(bus, conf1_dispatch_and_widths)
{
	uint32_t v = 0;

	EXPECT_EQ(0x1af4u, conf1_read(self->bus, CF8(1, 0, 0), 0, 4));
	EXPECT_EQ(0x8086u, conf1_read(self->bus, CF8(2, 0, 0), 0, 4));
	/* byte at 0xcfd = register + 1 */
	EXPECT_EQ(0x1au, conf1_read(self->bus, CF8(1, 0, 0), 1, 1));
	EXPECT_EQ(1u, self->a.last_off);
	EXPECT_EQ(1u, self->a.last_len);
	/* word at 0xcfe = register + 2 */
	conf1_write(self->bus, CF8(1, 0, 0x04), 2, 2, 0xbeef);
	EXPECT_EQ(6u, self->a.last_off);
	EXPECT_EQ(2u, self->a.last_len);
	EXPECT_EQ(0xbeefu, self->a.last_val);
	/* address register reads back */
	pci_bus_conf1_io(self->bus, 0, &v, 4, false);
	EXPECT_EQ(CF8(1, 0, 4), v);
}

TEST_F(bus, conf1_misses)
{
	unsigned int writes = self->a.writes;
	uint32_t addr = CF8(1, 0, 0), v = 0;
	uint8_t b = 0x06;

	/* empty slot, other function, other bus, enable bit clear */
	EXPECT_EQ(0xffffffffu, conf1_read(self->bus, CF8(5, 0, 0), 0, 4));
	EXPECT_EQ(0xffffffffu, conf1_read(self->bus, CF8(1, 1, 0), 0, 4));
	EXPECT_EQ(0xffffffffu, conf1_read(self->bus, CF8(1, 0, 0) | (1 << 16), 0, 4));
	EXPECT_EQ(0xffffffffu, conf1_read(self->bus, CF8(1, 0, 0) & ~0x80000000u, 0, 4));
	conf1_write(self->bus, CF8(1, 0, 0x10) & ~0x80000000u, 0, 4, 0x12345678);
	EXPECT_EQ(writes, self->a.writes);
	/* a byte write to 0xcf9 is not the address register */
	pci_bus_conf1_io(self->bus, 0, &addr, 4, true);
	pci_bus_conf1_io(self->bus, 1, &b, 1, true);
	pci_bus_conf1_io(self->bus, 0, &v, 4, false);
	EXPECT_EQ(addr, v);
	/* unaligned dword: all ones, not dispatched */
	EXPECT_EQ(0xffffffffu, conf1_read(self->bus, CF8(1, 0, 0), 2, 4));
}

TEST_F(bus, conf1_extended_register_bits)
{
	/* AMD-style bits 27:24 select config space above 0xff */
	EXPECT_EQ(0xabu, conf1_read(self->bus, CF8(1, 0, 0) | (1u << 24), 0, 1));
	EXPECT_EQ(0x100u, self->a.last_off);
}

TEST_F(bus, ecam)
{
	uint32_t v = 0;

	pci_bus_ecam_io(self->bus, (2 << 15) | 0, &v, 4, false);
	EXPECT_EQ(0x8086u, v);
	pci_bus_ecam_io(self->bus, (1 << 15) | 0x100, &v, 1, false);
	EXPECT_EQ(0xabu, v & 0xff);
	v = 0x11223344;
	pci_bus_ecam_io(self->bus, (1 << 15) | 0x40, &v, 4, true);
	EXPECT_EQ(0x40u, self->a.last_off);
	EXPECT_EQ(0x11223344u, self->a.last_val);
	/* function 1 and bus 1 miss */
	pci_bus_ecam_io(self->bus, (1 << 15) | (1 << 12), &v, 4, false);
	EXPECT_EQ(0xffffffffu, v);
	pci_bus_ecam_io(self->bus, (1 << 20) | (1 << 15), &v, 4, false);
	EXPECT_EQ(0xffffffffu, v);
}

/*
 * Config accesses are 1, 2 or 4 bytes.  An 8-byte ECAM access (a guest's
 * movq; KVM hands over the exit's data buffer with the previous exit's bytes
 * in it) reads all ones and writes nothing, present function or not.
 */
TEST_F(bus, ecam_8_bytes_read_all_ones)
{
	uint64_t q;
	unsigned int writes = self->a.writes;

	q = 0x0000000000081b36ULL;	/* what a previous exit left */
	pci_bus_ecam_io(self->bus, 31 << 15, &q, 8, false);
	EXPECT_EQ(~0ULL, q);
	q = 0x1122334455667788ULL;
	pci_bus_ecam_io(self->bus, 1 << 15, &q, 8, false);
	EXPECT_EQ(~0ULL, q);
	pci_bus_ecam_io(self->bus, (1 << 15) | 0x40, &q, 8, true);
	EXPECT_EQ(writes, self->a.writes);
	/* 3 bytes (never from a CPU, but the length is the exit's) */
	q = 0;
	pci_bus_ecam_io(self->bus, 1 << 15, &q, 3, false);
	EXPECT_EQ(0xffffffULL, q);
}

TEST_F(bus, remove)
{
	pci_bus_remove(self->bus, &self->a.dev);
	EXPECT_EQ(0xffffffffu, conf1_read(self->bus, CF8(1, 0, 0), 0, 4));
	/* the slot is reused */
	ASSERT_EQ(0, pci_bus_add(self->bus, &self->a.dev));
	EXPECT_EQ(1 << 3, self->a.dev.devfn);
}

TEST(bus_full)
{
	struct pci_bus *bus = pci_bus_new(0xc0000000, 0x20000000, 0, 0, 0xc000, 0x4000);
	static struct fake f[32];
	int i;

	for (i = 0; i < 31; i++) {
		fake_init(&f[i], 0x1234);
		ASSERT_EQ(0, pci_bus_add(bus, &f[i].dev));
	}
	fake_init(&f[31], 0x1234);
	EXPECT_EQ(-ENOSPC, pci_bus_add(bus, &f[31].dev));
	pci_bus_free(bus);
}

TEST(bar_windows)
{
	struct pci_bus *bus = pci_bus_new(0xc0000000, 0x100000, 0x100000000ULL, 0x200000,
					  0xc000, 0x100);
	uint64_t a, b, c;
	uint16_t p, q;

	ASSERT_NE(NULL, bus);
	/* natural alignment, 4 KiB minimum */
	ASSERT_EQ(0, pci_alloc_bar(bus, 0x100, false, &a));
	EXPECT_EQ(0xc0000000ULL, a);
	ASSERT_EQ(0, pci_alloc_bar(bus, 0x10000, false, &b));
	EXPECT_EQ(0xc0010000ULL, b);
	ASSERT_EQ(0, pci_alloc_bar(bus, 0x1000, false, &c));
	EXPECT_EQ(0xc0020000ULL, c);
	/* 64-bit BARs go above 4 GiB */
	ASSERT_EQ(0, pci_alloc_bar(bus, 0x100000, true, &a));
	EXPECT_EQ(0x100000000ULL, a);
	ASSERT_EQ(0, pci_alloc_bar(bus, 0x100000, true, &a));
	EXPECT_EQ(0x100100000ULL, a);
	/* 64-bit window full: falls back to the 32-bit window */
	ASSERT_EQ(0, pci_alloc_bar(bus, 0x80000, true, &a));
	EXPECT_EQ(0xc0080000ULL, a);
	/* 32-bit window exhausted */
	EXPECT_EQ(-ENOSPC, pci_alloc_bar(bus, 0x100000, false, &a));
	/* not a power of two */
	EXPECT_EQ(-EINVAL, pci_alloc_bar(bus, 0x3000, false, &a));
	EXPECT_EQ(-EINVAL, pci_alloc_bar(bus, 0, false, &a));
	/* I/O: 4-byte minimum, aligned */
	ASSERT_EQ(0, pci_alloc_io(bus, 1, &p));
	EXPECT_EQ(0xc000, p);
	ASSERT_EQ(0, pci_alloc_io(bus, 0x20, &q));
	EXPECT_EQ(0xc020, q);
	EXPECT_EQ(-ENOSPC, pci_alloc_io(bus, 0x100, &q));
	pci_bus_free(bus);
}

TEST_HARNESS_MAIN
