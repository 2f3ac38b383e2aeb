// SPDX-License-Identifier: GPL-2.0
/* ACPI tables: checksums, links between tables, MADT/MCFG/FADT/DSDT contents. */
#include <stdlib.h>
#include <string.h>

/* the harness defines non-static helpers without prototypes */
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include "kselftest_harness.h"
#include "vmm/acpi.h"
#include "vmm/pci.h"
#include "vmm/vm.h"

#define BASE	0xe0000ULL
#define SIZE	0x20000

static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static uint16_t rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

FIXTURE(acpi) {
	uint8_t *buf;
	size_t len;
	struct acpi_layout l;
};

FIXTURE_VARIANT(acpi) {
	int cpus;
	uint64_t m64size;
};

FIXTURE_VARIANT_ADD(acpi, one_cpu) { .cpus = 1, .m64size = 64ULL << 30 };
FIXTURE_VARIANT_ADD(acpi, four_cpus) { .cpus = 4, .m64size = 64ULL << 30 };
FIXTURE_VARIANT_ADD(acpi, max_cpus_no_64bit_window) { .cpus = 64, .m64size = 0 };

FIXTURE_SETUP(acpi)
{
	self->l = (struct acpi_layout){
		.nr_cpus = variant->cpus,
		.mmio32_base = VM_PCI_MMIO32_BASE, .mmio32_size = VM_PCI_MMIO32_SIZE,
		.mmio64_base = 1ULL << 32, .mmio64_size = variant->m64size,
		.io_base = VM_PCI_IO_BASE, .io_size = VM_PCI_IO_SIZE,
		.ecam_base = VM_ECAM_BASE, .ioapic_base = VM_IOAPIC_BASE,
		.lapic_base = VM_LAPIC_BASE,
	};
	self->buf = calloc(1, SIZE);
	self->len = acpi_build_tables(self->buf, BASE, SIZE, &self->l);
	ASSERT_NE(0, self->len);
	ASSERT_LE(self->len, SIZE);
}

FIXTURE_TEARDOWN(acpi)
{
	free(self->buf);
}

/* Table at GPA, checked: inside the buffer, signature, checksum. */
static const uint8_t *table(struct __test_metadata *_metadata, FIXTURE_DATA(acpi) *self,
			    uint64_t gpa, const char *sig)
{
	const uint8_t *t;

	EXPECT_GE(gpa, BASE);
	EXPECT_LT(gpa + 36, BASE + self->len);
	if (gpa < BASE || gpa + 36 >= BASE + self->len)
		return NULL;
	t = self->buf + (gpa - BASE);
	EXPECT_EQ(0, memcmp(t, sig, 4));
	EXPECT_LE(gpa + rd32(t + 4), BASE + self->len);
	EXPECT_EQ(0, sum(t, rd32(t + 4))) {
		TH_LOG("%.4s checksum", sig);
	}
	return t;
}

static const uint8_t *xsdt_find(struct __test_metadata *_metadata, FIXTURE_DATA(acpi) *self,
				const char *sig)
{
	const uint8_t *rsdp = self->buf, *xsdt;
	unsigned int i, n;

	xsdt = table(_metadata, self, rd64(rsdp + 24), "XSDT");
	if (!xsdt)
		return NULL;
	n = (rd32(xsdt + 4) - 36) / 8;
	for (i = 0; i < n; i++) {
		uint64_t a = rd64(xsdt + 36 + 8 * i);

		if (a >= BASE && a < BASE + self->len && !memcmp(self->buf + (a - BASE), sig, 4))
			return table(_metadata, self, a, sig);
	}
	return NULL;
}

TEST_F(acpi, rsdp)
{
	const uint8_t *r = self->buf;

	EXPECT_EQ(0, memcmp(r, "RSD PTR ", 8));
	EXPECT_EQ(2, r[15]);			/* revision: ACPI 2.0+ */
	EXPECT_EQ(0, sum(r, 20));		/* v1 checksum */
	EXPECT_EQ(36u, rd32(r + 20));
	EXPECT_EQ(0, sum(r, 36));		/* extended checksum */
	EXPECT_EQ(0, BASE & 15);		/* 16-byte aligned, in the BIOS area */
}

TEST_F(acpi, madt)
{
	const uint8_t *m = xsdt_find(_metadata, self, "APIC"), *e, *end;
	int lapics = 0, ioapics = 0, isos = 0, nmis = 0;
	bool irq0_to_2 = false, sci_level = false;

	ASSERT_NE(NULL, m);
	EXPECT_EQ(VM_LAPIC_BASE, rd32(m + 36));
	EXPECT_EQ(1u, rd32(m + 40) & 1);	/* PCAT_COMPAT: 8259s present */
	end = m + rd32(m + 4);
	for (e = m + 44; e < end; e += e[1]) {
		ASSERT_GE(e[1], 2);
		switch (e[0]) {
		case 0:
			EXPECT_EQ(lapics, e[2]);	/* processor id */
			EXPECT_EQ(lapics, e[3]);	/* APIC id = vCPU index */
			EXPECT_EQ(1u, rd32(e + 4));	/* enabled */
			lapics++;
			break;
		case 1:
			EXPECT_EQ(VM_IOAPIC_BASE, rd32(e + 4));
			EXPECT_EQ(0u, rd32(e + 8));	/* GSI base */
			EXPECT_EQ(variant->cpus, e[2]);	/* id after the LAPICs */
			ioapics++;
			break;
		case 2:
			if (e[3] == 0 && rd32(e + 4) == 2 && rd16(e + 8) == 0)
				irq0_to_2 = true;
			if (e[3] == ACPI_SCI_IRQ && rd32(e + 4) == ACPI_SCI_IRQ &&
			    rd16(e + 8) == 0xd)
				sci_level = true;
			isos++;
			break;
		case 4:
			EXPECT_EQ(0xff, e[2]);
			EXPECT_EQ(1, e[5]);		/* LINT1 */
			nmis++;
			break;
		default:
			TH_LOG("unexpected MADT entry type %u", e[0]);
			EXPECT_TRUE(false);
		}
	}
	EXPECT_EQ(end, e);
	EXPECT_EQ(variant->cpus, lapics);
	EXPECT_EQ(1, ioapics);
	EXPECT_EQ(2, isos);
	EXPECT_TRUE(irq0_to_2);
	EXPECT_TRUE(sci_level);
	EXPECT_EQ(1, nmis);
}

TEST_F(acpi, mcfg)
{
	const uint8_t *m = xsdt_find(_metadata, self, "MCFG");

	ASSERT_NE(NULL, m);
	EXPECT_EQ(60u, rd32(m + 4));
	EXPECT_EQ(VM_ECAM_BASE, rd64(m + 44));
	EXPECT_EQ(0, rd16(m + 52));		/* segment */
	EXPECT_EQ(0, m[54]);			/* start bus */
	EXPECT_EQ(0, m[55]);			/* end bus: ECAM covers bus 0 */
}

TEST_F(acpi, fadt_facs_dsdt)
{
	const uint8_t *f = xsdt_find(_metadata, self, "FACP"), *facs, *dsdt;

	ASSERT_NE(NULL, f);
	EXPECT_EQ(268u, rd32(f + 4));
	EXPECT_EQ(5, f[8]);
	EXPECT_EQ(ACPI_SCI_IRQ, rd16(f + 46));
	EXPECT_EQ(0u, rd32(f + 48));			/* SMI_CMD: always ACPI mode */
	EXPECT_EQ(ACPI_PM1A_EVT_PORT, rd32(f + 56));
	EXPECT_EQ(ACPI_PM1A_CNT_PORT, rd32(f + 64));
	EXPECT_EQ(4, f[88]);
	EXPECT_EQ(2, f[89]);
	EXPECT_EQ(0, rd16(f + 109) & (1 << 1));		/* no 8042 */
	EXPECT_EQ(0, rd16(f + 109) & (1 << 3));		/* MSI allowed */
	EXPECT_EQ(0u, rd32(f + 112) & (1 << 20));	/* not HW-reduced */
	EXPECT_NE(0u, rd32(f + 112) & (1 << 10));	/* reset register */
	EXPECT_EQ(1, f[116]);				/* reset reg: system I/O */
	EXPECT_EQ(8, f[117]);
	EXPECT_EQ(ACPI_RESET_PORT, rd64(f + 120));
	EXPECT_EQ(ACPI_RESET_VALUE, f[128]);

	facs = self->buf + (rd32(f + 36) - BASE);
	EXPECT_EQ(0, (rd32(f + 36)) & 63);
	EXPECT_EQ(0, memcmp(facs, "FACS", 4));
	EXPECT_EQ(64u, rd32(facs + 4));

	EXPECT_EQ(rd32(f + 40), rd64(f + 140));
	dsdt = table(_metadata, self, rd32(f + 40), "DSDT");
	ASSERT_NE(NULL, dsdt);
}

static const uint8_t *find(const uint8_t *hay, size_t n, const void *needle, size_t m)
{
	return memmem(hay, n, needle, m);
}

TEST_F(acpi, dsdt_aml)
{
	const uint8_t *f = xsdt_find(_metadata, self, "FACP"), *d, *p;
	static const uint8_t s5[] = { 0x08, '\\', '_', 'S', '5', '_', 0x12, 0x05, 0x02, 0x0a, 0x05, 0x00 };
	static const uint8_t hid[] = { 0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x0a, 0x08 };
	static const uint8_t cid[] = { 0x08, '_', 'C', 'I', 'D', 0x0c, 0x41, 0xd0, 0x0a, 0x03 };
	uint32_t len, m32min, m32max;
	const uint8_t *crs, *prt;
	uint8_t e[] = { 0x12, 0x0b, 0x04, 0x0c, 0xff, 0xff, 0x03, 0x00, 0x00, 0x00, 0x0a, 0 };
	size_t pkglen;

	ASSERT_NE(NULL, f);
	d = self->buf + (rd32(f + 40) - BASE);
	len = rd32(d + 4);
	EXPECT_NE(NULL, find(d, len, s5, sizeof(s5)));
	EXPECT_NE(NULL, find(d, len, hid, sizeof(hid)));
	EXPECT_NE(NULL, find(d, len, cid, sizeof(cid)));
	/* Scope (\_SB) { Device (PCI0) ... } with a multi-byte PkgLength */
	EXPECT_EQ(0x10, d[36]);
	p = find(d, len, "\x5b\x82", 2);
	ASSERT_NE(NULL, p);
	pkglen = (p[2] & 0x0f) | (p[3] << 4);
	if ((p[2] >> 6) == 2)
		pkglen |= p[4] << 12;
	EXPECT_EQ(0, memcmp(p + 2 + (p[2] >> 6) + 1, "PCI0", 4));
	/* the device body ends where \_S5 starts */
	EXPECT_EQ(find(d, len, s5, sizeof(s5)), p + 2 + pkglen);

	/* _CRS: bus 0, the 32-bit window, the 64-bit window if any, end tag */
	crs = find(d, len, "_CRS", 4);
	ASSERT_NE(NULL, crs);
	p = find(crs, len - (crs - d), "\x87\x17\x00", 3);	/* DWordMemory */
	ASSERT_NE(NULL, p);
	p = find(p + 1, len - (p + 1 - d), "\x87\x17\x00", 3);	/* second: PCI window */
	ASSERT_NE(NULL, p);
	m32min = rd32(p + 10);
	m32max = rd32(p + 14);
	EXPECT_EQ(VM_PCI_MMIO32_BASE, m32min);
	EXPECT_EQ(VM_PCI_MMIO32_BASE + VM_PCI_MMIO32_SIZE - 1, m32max);
	p = find(crs, len - (crs - d), "\x8a\x2b\x00", 3);	/* QWordMemory */
	if (variant->m64size) {
		ASSERT_NE(NULL, p);
		EXPECT_EQ(1ULL << 32, rd64(p + 14));
		EXPECT_EQ((1ULL << 32) + variant->m64size - 1, rd64(p + 22));
	} else {
		EXPECT_EQ(NULL, p);
	}
	EXPECT_NE(NULL, find(crs, len - (crs - d), "\x79\x00", 2));

	/* _PRT: 124 entries; slot 3 INTA -> pci_intx_gsi(3, 0) */
	prt = find(d, len, "_PRT", 4);
	ASSERT_NE(NULL, prt);
	e[11] = pci_intx_gsi(3, 0);
	EXPECT_NE(NULL, find(prt, len - (prt - d), e, sizeof(e)));
	EXPECT_EQ(19, pci_intx_gsi(3, 0));
	EXPECT_EQ(16, pci_intx_gsi(7, 1));
}

TEST(too_small_buffer)
{
	struct acpi_layout l = { .nr_cpus = 2, .mmio32_base = VM_PCI_MMIO32_BASE,
				 .mmio32_size = VM_PCI_MMIO32_SIZE };
	uint8_t buf[512];

	EXPECT_EQ(0, acpi_build_tables(buf, BASE, sizeof(buf), &l));
}

TEST_HARNESS_MAIN
