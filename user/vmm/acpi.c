// SPDX-License-Identifier: GPL-2.0
/*
 * ACPI table generation (ACPI 6.x layouts, FADT revision 5) and the PM1a /
 * reset registers the guest uses to power off or reboot.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acpi.h"
#include "log.h"
#include "pci.h"
#include "vm.h"

struct acpi_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
} __attribute__((packed));

struct acpi_rsdp {
	char signature[8];
	uint8_t checksum;
	char oem_id[6];
	uint8_t revision;
	uint32_t rsdt_address;
	uint32_t length;
	uint64_t xsdt_address;
	uint8_t extended_checksum;
	uint8_t reserved[3];
} __attribute__((packed));

struct acpi_gas {
	uint8_t space_id;	/* 1 = system I/O */
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_width;	/* 1 = byte */
	uint64_t address;
} __attribute__((packed));

struct acpi_fadt {
	struct acpi_header h;
	uint32_t facs;
	uint32_t dsdt;
	uint8_t reserved0;
	uint8_t pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable, acpi_disable, s4bios_req, pstate_cnt;
	uint32_t pm1a_evt_blk, pm1b_evt_blk, pm1a_cnt_blk, pm1b_cnt_blk;
	uint32_t pm2_cnt_blk, pm_tmr_blk, gpe0_blk, gpe1_blk;
	uint8_t pm1_evt_len, pm1_cnt_len, pm2_cnt_len, pm_tmr_len;
	uint8_t gpe0_blk_len, gpe1_blk_len, gpe1_base, cst_cnt;
	uint16_t p_lvl2_lat, p_lvl3_lat, flush_size, flush_stride;
	uint8_t duty_offset, duty_width, day_alrm, mon_alrm, century;
	uint16_t iapc_boot_arch;
	uint8_t reserved1;
	uint32_t flags;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_version;
	uint64_t x_facs, x_dsdt;
	struct acpi_gas x_pm1a_evt_blk, x_pm1b_evt_blk, x_pm1a_cnt_blk, x_pm1b_cnt_blk;
	struct acpi_gas x_pm2_cnt_blk, x_pm_tmr_blk, x_gpe0_blk, x_gpe1_blk;
	struct acpi_gas sleep_control, sleep_status;
} __attribute__((packed));

struct acpi_facs {
	char signature[4];
	uint32_t length;
	uint32_t hw_signature;
	uint32_t waking_vector;
	uint32_t global_lock;
	uint32_t flags;
	uint64_t x_waking_vector;
	uint8_t version;
	uint8_t reserved[31];
} __attribute__((packed));

struct madt_lapic {
	uint8_t type, length, processor_id, apic_id;
	uint32_t flags;
} __attribute__((packed));

struct madt_ioapic {
	uint8_t type, length, id, reserved;
	uint32_t address, gsi_base;
} __attribute__((packed));

struct madt_iso {
	uint8_t type, length, bus, source;
	uint32_t gsi;
	uint16_t flags;
} __attribute__((packed));

struct madt_lapic_nmi {
	uint8_t type, length, processor_id;
	uint16_t flags;
	uint8_t lint;
} __attribute__((packed));

struct mcfg_entry {
	uint64_t base;
	uint16_t segment;
	uint8_t start_bus, end_bus;
	uint32_t reserved;
} __attribute__((packed));

_Static_assert(sizeof(struct acpi_header) == 36, "ACPI header");
_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP");
_Static_assert(sizeof(struct acpi_fadt) == 268, "FADT rev 5");
_Static_assert(sizeof(struct acpi_facs) == 64, "FACS");

uint8_t acpi_checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum += *b++;
	return (uint8_t)-sum;
}

static void header(struct acpi_header *h, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(h->signature, sig, 4);
	h->length = len;
	h->revision = rev;
	memcpy(h->oem_id, "VIBEVM", 6);
	memcpy(h->oem_table_id, "VIBEVMM ", 8);
	memcpy(h->oem_table_id + 4, sig, 4);
	h->oem_revision = 1;
	memcpy(h->creator_id, "VBVM", 4);
	h->creator_revision = 1;
	h->checksum = 0;
	h->checksum = acpi_checksum(h, len);
}

/* ---- a tiny AML writer ---- */

struct aml {
	uint8_t *p;
	size_t len, max;
	bool overflow;
};

static void aml_bytes(struct aml *a, const void *b, size_t n)
{
	if (a->len + n > a->max) {
		a->overflow = true;
		return;
	}
	memcpy(a->p + a->len, b, n);
	a->len += n;
}

static void aml_byte(struct aml *a, uint8_t b)
{
	aml_bytes(a, &b, 1);
}

static void aml_name(struct aml *a, const char *seg)
{
	aml_bytes(a, seg, 4);
}

/* Start a PkgLength-prefixed body; returns the mark for aml_close(). */
static size_t aml_open(struct aml *a)
{
	return a->len;
}

/* Insert the PkgLength (which counts itself) in front of the body. */
static void aml_close(struct aml *a, size_t mark)
{
	size_t body = a->len - mark, n, total;
	uint8_t enc[4];

	if (a->overflow)
		return;
	if (body + 1 < 64) {
		enc[0] = body + 1;
		n = 1;
	} else {
		for (n = 2; n <= 4; n++)
			if (body + n < (1u << (4 + 8 * (n - 1))))
				break;
		total = body + n;
		enc[0] = ((n - 1) << 6) | (total & 0xf);
		enc[1] = total >> 4;
		enc[2] = total >> 12;
		enc[3] = total >> 20;
	}
	if (a->len + n > a->max) {
		a->overflow = true;
		return;
	}
	memmove(a->p + mark + n, a->p + mark, body);
	memcpy(a->p + mark, enc, n);
	a->len += n;
}

static void aml_int(struct aml *a, uint64_t v)
{
	if (v == 0) {
		aml_byte(a, 0x00);		/* ZeroOp */
	} else if (v == 1) {
		aml_byte(a, 0x01);		/* OneOp */
	} else if (v <= 0xff) {
		aml_byte(a, 0x0a);
		aml_byte(a, v);
	} else if (v <= 0xffff) {
		aml_byte(a, 0x0b);
		aml_bytes(a, &v, 2);
	} else if (v <= 0xffffffff) {
		aml_byte(a, 0x0c);
		aml_bytes(a, &v, 4);
	} else {
		aml_byte(a, 0x0e);
		aml_bytes(a, &v, 8);
	}
}

static void aml_name_int(struct aml *a, const char *name, uint64_t v)
{
	aml_byte(a, 0x08);			/* NameOp */
	aml_name(a, name);
	aml_int(a, v);
}

/* EisaId("PNP0A08") */
static uint32_t eisa_id(const char *id)
{
	uint32_t v = ((uint32_t)(id[0] - 0x40) << 26) | ((uint32_t)(id[1] - 0x40) << 21) |
		     ((uint32_t)(id[2] - 0x40) << 16);
	int i;

	for (i = 3; i < 7; i++)
		v |= (uint32_t)(id[i] <= '9' ? id[i] - '0' : id[i] - 'A' + 10) << (4 * (6 - i));

	return __builtin_bswap32(v);
}

static void aml_name_eisa(struct aml *a, const char *name, const char *id)
{
	aml_byte(a, 0x08);
	aml_name(a, name);
	aml_byte(a, 0x0c);
	{
		uint32_t v = eisa_id(id);

		aml_bytes(a, &v, 4);
	}
}

/* Address space descriptors (ACPI 6.4, 6.4.3.5): producer, fixed min/max. */
static void res_word(struct aml *a, uint8_t type, uint8_t tflags, uint16_t min,
		     uint16_t max)
{
	uint8_t d[16] = { 0x88, 13, 0, type, 0x0c, tflags };
	uint16_t len = max - min + 1;

	memcpy(d + 8, &min, 2);
	memcpy(d + 10, &max, 2);
	memcpy(d + 14, &len, 2);
	aml_bytes(a, d, sizeof(d));
}

static void res_dword_mem(struct aml *a, uint32_t min, uint32_t len)
{
	uint8_t d[26] = { 0x87, 23, 0, 0, 0x0c, 0x01 };	/* RW, non-cacheable */
	uint32_t max = min + len - 1;

	memcpy(d + 10, &min, 4);
	memcpy(d + 14, &max, 4);
	memcpy(d + 22, &len, 4);
	aml_bytes(a, d, sizeof(d));
}

static void res_qword_mem(struct aml *a, uint64_t min, uint64_t len)
{
	uint8_t d[46] = { 0x8a, 43, 0, 0, 0x0c, 0x01 };
	uint64_t max = min + len - 1;

	memcpy(d + 14, &min, 8);
	memcpy(d + 22, &max, 8);
	memcpy(d + 38, &len, 8);
	aml_bytes(a, d, sizeof(d));
}

/* A NameSeg "SLxx" for slot @slot (hex). */
static void slot_name(char name[5], unsigned int slot)
{
	snprintf(name, 5, "SL%02X", slot);
}

/*
 * ACPI PCI hotplug on bus 0 (what Linux's acpiphp drives; the registers are
 * hotplug.c's), inside PCI0:
 *   OperationRegion (PHPR, SystemIO, ACPI_HP_PORT, ACPI_HP_LEN)
 *   Field (PHPR, DWordAcc, NoLock, WriteAsZeros) { PCIU, 32, PCID, 32, B0EJ, 32 }
 *   Device (SLxx) { Name (_ADR, xx << 16)  Name (_SUN, xx)
 *                   Method (_EJ0, 1) { Store (1 << xx, B0EJ) } }   for xx in 1..31
 *   Method (PCNT) { Store (PCIU, Local0)  Store (PCID, Local1)
 *                   If (And (Local0, 1 << xx)) { Notify (SLxx, 1) }  (device check)
 *                   If (And (Local1, 1 << xx)) { Notify (SLxx, 3) } }  (eject request)
 */
static void build_hotplug(struct aml *a)
{
	static const char *const fields[] = { "PCIU", "PCID", "B0EJ" };
	size_t field, dev, meth, iff;
	unsigned int slot, i;
	char name[5];

	aml_bytes(a, "\x5b\x80", 2);		/* OperationRegionOp */
	aml_name(a, "PHPR");
	aml_byte(a, 0x01);			/* SystemIO */
	aml_int(a, ACPI_HP_PORT);
	aml_int(a, ACPI_HP_LEN);
	aml_bytes(a, "\x5b\x81", 2);		/* FieldOp */
	field = aml_open(a);
	aml_name(a, "PHPR");
	aml_byte(a, 0x03 | (2 << 5));		/* DWordAcc, NoLock, WriteAsZeros */
	for (i = 0; i < 3; i++) {
		aml_name(a, fields[i]);
		aml_byte(a, 32);		/* bits */
	}
	aml_close(a, field);

	for (slot = 1; slot < 32; slot++) {
		slot_name(name, slot);
		aml_bytes(a, "\x5b\x82", 2);	/* DeviceOp */
		dev = aml_open(a);
		aml_name(a, name);
		aml_name_int(a, "_ADR", slot << 16);
		aml_name_int(a, "_SUN", slot);
		aml_byte(a, 0x14);		/* MethodOp */
		meth = aml_open(a);
		aml_name(a, "_EJ0");
		aml_byte(a, 0x01);		/* one argument, not serialized */
		aml_byte(a, 0x70);		/* StoreOp */
		aml_int(a, 1u << slot);
		aml_name(a, "B0EJ");
		aml_close(a, meth);
		aml_close(a, dev);
	}

	aml_byte(a, 0x14);			/* Method (PCNT, 0) */
	meth = aml_open(a);
	aml_name(a, "PCNT");
	aml_byte(a, 0x00);
	aml_byte(a, 0x70);			/* Store (PCIU, Local0) */
	aml_name(a, "PCIU");
	aml_byte(a, 0x60);
	aml_byte(a, 0x70);			/* Store (PCID, Local1) */
	aml_name(a, "PCID");
	aml_byte(a, 0x61);
	for (slot = 1; slot < 32; slot++) {
		slot_name(name, slot);
		for (i = 0; i < 2; i++) {
			aml_byte(a, 0xa0);	/* IfOp */
			iff = aml_open(a);
			aml_byte(a, 0x7b);	/* And (LocalN, 1 << slot, Zero) */
			aml_byte(a, 0x60 + i);
			aml_int(a, 1u << slot);
			aml_byte(a, 0x00);	/* NullName: no target */
			aml_byte(a, 0x86);	/* Notify (SLxx, 1 or 3) */
			aml_name(a, name);
			aml_int(a, i ? 3 : 1);
			aml_close(a, iff);
		}
	}
	aml_close(a, meth);
}

/* Scope (\_GPE) { Method (_E01) { \_SB.PCI0.PCNT () } } */
static void build_gpe(struct aml *a)
{
	size_t scope, meth;
	char name[5];

	snprintf(name, sizeof(name), "_E%02X", ACPI_GPE_HOTPLUG);
	aml_byte(a, 0x10);			/* ScopeOp */
	scope = aml_open(a);
	aml_bytes(a, "\\_GPE", 5);
	aml_byte(a, 0x14);			/* MethodOp */
	meth = aml_open(a);
	aml_name(a, name);
	aml_byte(a, 0x00);
	aml_byte(a, '\\');			/* \_SB_.PCI0.PCNT: root, 3 segments */
	aml_byte(a, 0x2f);
	aml_byte(a, 3);
	aml_bytes(a, "_SB_PCI0PCNT", 12);
	aml_close(a, meth);
	aml_close(a, scope);
}

static void build_pci0(struct aml *a, const struct acpi_layout *l)
{
	size_t dev, buf, bufsz_at, res, prt, ent;
	unsigned int slot, pin;
	static const uint8_t cf8_io[] = { 0x47, 0x01, 0xf8, 0x0c, 0xf8, 0x0c, 0x01, 0x08 };

	aml_bytes(a, "\x5b\x82", 2);		/* DeviceOp */
	dev = aml_open(a);
	aml_name(a, "PCI0");
	aml_name_eisa(a, "_HID", "PNP0A08");
	aml_name_eisa(a, "_CID", "PNP0A03");
	aml_name_int(a, "_SEG", 0);
	aml_name_int(a, "_BBN", 0);
	aml_name_int(a, "_UID", 0);

	/* Name (_CRS, ResourceTemplate () { ... }) */
	aml_byte(a, 0x08);
	aml_name(a, "_CRS");
	aml_byte(a, 0x11);			/* BufferOp */
	buf = aml_open(a);
	aml_byte(a, 0x0b);			/* BufferSize: WordConst, patched */
	bufsz_at = a->len;
	aml_bytes(a, "\0\0", 2);
	res = a->len;
	res_word(a, 2, 0, 0, 0);		/* bus 0 */
	aml_bytes(a, cf8_io, sizeof(cf8_io));
	res_word(a, 1, 3, 0x0000, 0x0cf7);
	res_word(a, 1, 3, 0x0d00, 0xffff);
	res_dword_mem(a, 0x000a0000, 0x20000);	/* legacy VGA hole */
	res_dword_mem(a, (uint32_t)l->mmio32_base, (uint32_t)l->mmio32_size);
	if (l->mmio64_size)
		res_qword_mem(a, l->mmio64_base, l->mmio64_size);
	aml_bytes(a, "\x79\x00", 2);		/* EndTag */
	if (!a->overflow) {
		uint16_t n = a->len - res;

		memcpy(a->p + bufsz_at, &n, 2);
	}
	aml_close(a, buf);

	/* Name (_PRT, Package () { Package () { slot<<16|0xffff, pin, 0, gsi }, ... }) */
	aml_byte(a, 0x08);
	aml_name(a, "_PRT");
	aml_byte(a, 0x12);			/* PackageOp */
	prt = aml_open(a);
	aml_byte(a, 31 * 4);
	for (slot = 1; slot < 32; slot++) {
		for (pin = 0; pin < 4; pin++) {
			aml_byte(a, 0x12);
			ent = aml_open(a);
			aml_byte(a, 4);
			aml_int(a, (slot << 16) | 0xffff);
			aml_int(a, pin);
			aml_int(a, 0);
			aml_int(a, pci_intx_gsi(slot, pin));
			aml_close(a, ent);
		}
	}
	aml_close(a, prt);
	build_hotplug(a);
	aml_close(a, dev);
}

static size_t build_dsdt(uint8_t *p, size_t max, const struct acpi_layout *l)
{
	struct aml a = { .p = p, .max = max };
	size_t scope, pkg;

	if (max < sizeof(struct acpi_header))
		return 0;
	a.len = sizeof(struct acpi_header);
	aml_byte(&a, 0x10);			/* ScopeOp */
	scope = aml_open(&a);
	aml_bytes(&a, "\\_SB_", 5);
	build_pci0(&a, l);
	aml_close(&a, scope);
	/* Name (\_S5, Package () { 5, 0 }) */
	aml_byte(&a, 0x08);
	aml_bytes(&a, "\\_S5_", 5);
	aml_byte(&a, 0x12);
	pkg = aml_open(&a);
	aml_byte(&a, 2);
	aml_int(&a, ACPI_S5_SLP_TYP);
	aml_int(&a, 0);
	aml_close(&a, pkg);
	build_gpe(&a);
	if (a.overflow)
		return 0;
	header((struct acpi_header *)p, "DSDT", a.len, 2);
	return a.len;
}

#define ALIGN16(x)	(((x) + 15) & ~(size_t)15)
#define ALIGN64(x)	(((x) + 63) & ~(size_t)63)

size_t acpi_build_tables(uint8_t *buf, uint64_t base, size_t size,
			 const struct acpi_layout *l)
{
	size_t off, rsdp_off = 0, xsdt_off, fadt_off, facs_off, dsdt_off, madt_off, mcfg_off;
	size_t n, madt_len, mcfg_len, xsdt_len;
	struct acpi_rsdp *rsdp;
	struct acpi_fadt *fadt;
	struct acpi_facs *facs;
	uint8_t *madt;
	uint64_t xsdt_ent[3];
	int i;

	madt_len = 44 + l->nr_cpus * sizeof(struct madt_lapic) + sizeof(struct madt_ioapic) +
		   2 * sizeof(struct madt_iso) + sizeof(struct madt_lapic_nmi);
	mcfg_len = 44 + sizeof(struct mcfg_entry);
	xsdt_len = 36 + 3 * 8;

	xsdt_off = ALIGN16(rsdp_off + sizeof(*rsdp));
	fadt_off = ALIGN16(xsdt_off + xsdt_len);
	facs_off = ALIGN64(fadt_off + sizeof(*fadt));
	madt_off = ALIGN16(facs_off + sizeof(*facs));
	mcfg_off = ALIGN16(madt_off + madt_len);
	dsdt_off = ALIGN16(mcfg_off + mcfg_len);
	if (dsdt_off >= size)
		return 0;
	memset(buf, 0, size);
	n = build_dsdt(buf + dsdt_off, size - dsdt_off, l);
	if (!n)
		return 0;
	off = dsdt_off + n;

	/* FACS: no checksum; 64-byte aligned. */
	facs = (struct acpi_facs *)(buf + facs_off);
	memcpy(facs->signature, "FACS", 4);
	facs->length = sizeof(*facs);
	facs->version = 2;

	/* FADT */
	fadt = (struct acpi_fadt *)(buf + fadt_off);
	fadt->facs = base + facs_off;
	fadt->dsdt = base + dsdt_off;
	fadt->x_dsdt = base + dsdt_off;
	fadt->pm_profile = 0;			/* unspecified */
	fadt->sci_int = ACPI_SCI_IRQ;
	fadt->smi_cmd = 0;			/* ACPI mode is always on */
	fadt->pm1a_evt_blk = ACPI_PM1A_EVT_PORT;
	fadt->pm1a_cnt_blk = ACPI_PM1A_CNT_PORT;
	fadt->pm1_evt_len = 4;
	fadt->pm1_cnt_len = 2;
	fadt->gpe0_blk = ACPI_GPE0_PORT;
	fadt->gpe0_blk_len = ACPI_GPE0_LEN;
	fadt->p_lvl2_lat = 101;			/* > 100: no C2 */
	fadt->p_lvl3_lat = 1001;		/* > 1000: no C3 */
	/* no 8042, no VGA, no CMOS RTC; MSI allowed, ASPM not controllable */
	fadt->iapc_boot_arch = (1 << 2) | (1 << 4) | (1 << 5);
	/* WBINVD, PROC_C1, PWR_BUTTON/SLP_BUTTON absent, RESET_REG_SUP */
	fadt->flags = (1 << 0) | (1 << 2) | (1 << 4) | (1 << 5) | (1 << 10);
	fadt->reset_reg = (struct acpi_gas){ .space_id = 1, .bit_width = 8,
					     .access_width = 1, .address = ACPI_RESET_PORT };
	fadt->reset_value = ACPI_RESET_VALUE;
	fadt->minor_version = 1;
	header(&fadt->h, "FACP", sizeof(*fadt), 5);

	/* MADT */
	madt = buf + madt_off;
	{
		uint32_t lapic = (uint32_t)l->lapic_base, flags = 1;	/* PCAT_COMPAT */
		uint8_t *e = madt + 44;

		memcpy(madt + 36, &lapic, 4);
		memcpy(madt + 40, &flags, 4);
		for (i = 0; i < l->nr_cpus; i++) {
			struct madt_lapic la = { 0, sizeof(la), i, i, 1 };

			memcpy(e, &la, sizeof(la));
			e += sizeof(la);
		}
		{
			struct madt_ioapic io = { 1, sizeof(io), l->nr_cpus, 0,
						  (uint32_t)l->ioapic_base, 0 };

			memcpy(e, &io, sizeof(io));
			e += sizeof(io);
		}
		{
			/* PIT on pin 2; SCI level, active high */
			struct madt_iso iso[2] = {
				{ 2, sizeof(struct madt_iso), 0, 0, 2, 0 },
				{ 2, sizeof(struct madt_iso), 0, ACPI_SCI_IRQ, ACPI_SCI_IRQ, 0x000d },
			};

			memcpy(e, iso, sizeof(iso));
			e += sizeof(iso);
		}
		{
			struct madt_lapic_nmi nmi = { 4, sizeof(nmi), 0xff, 0, 1 };

			memcpy(e, &nmi, sizeof(nmi));
		}
		header((struct acpi_header *)madt, "APIC", madt_len, 4);
	}

	/* MCFG */
	{
		struct mcfg_entry m = { l->ecam_base, 0, 0, 0, 0 };

		memcpy(buf + mcfg_off + 44, &m, sizeof(m));
		header((struct acpi_header *)(buf + mcfg_off), "MCFG", mcfg_len, 1);
	}

	/* XSDT */
	xsdt_ent[0] = base + fadt_off;
	xsdt_ent[1] = base + madt_off;
	xsdt_ent[2] = base + mcfg_off;
	memcpy(buf + xsdt_off + 36, xsdt_ent, sizeof(xsdt_ent));	/* unaligned */
	header((struct acpi_header *)(buf + xsdt_off), "XSDT", xsdt_len, 1);

	/* RSDP (ACPI 2.0+) */
	rsdp = (struct acpi_rsdp *)(buf + rsdp_off);
	memcpy(rsdp->signature, "RSD PTR ", 8);
	memcpy(rsdp->oem_id, "VIBEVM", 6);
	rsdp->revision = 2;
	rsdp->length = sizeof(*rsdp);
	rsdp->xsdt_address = base + xsdt_off;
	rsdp->checksum = acpi_checksum(rsdp, 20);
	rsdp->extended_checksum = acpi_checksum(rsdp, sizeof(*rsdp));
	return off;
}

int acpi_build(struct vm *vm, int nr_cpus, uint64_t m32, uint64_t m32sz,
	       uint64_t m64, uint64_t m64sz)
{
	struct acpi_layout l = {
		.nr_cpus = nr_cpus,
		.mmio32_base = m32, .mmio32_size = m32sz,
		.mmio64_base = m64, .mmio64_size = m64sz,
		.io_base = VM_PCI_IO_BASE, .io_size = VM_PCI_IO_SIZE,
		.ecam_base = VM_ECAM_BASE,
		.ioapic_base = VM_IOAPIC_BASE,
		.lapic_base = VM_LAPIC_BASE,
	};
	uint8_t *p = vm_gpa_to_hva(vm, ACPI_RSDP_ADDR, ACPI_AREA_SIZE);
	size_t n;

	if (!p) {
		log_err("ACPI: no guest RAM at %#llx", ACPI_RSDP_ADDR);
		return -1;
	}
	n = acpi_build_tables(p, ACPI_RSDP_ADDR, ACPI_AREA_SIZE, &l);
	if (!n) {
		log_err("ACPI: tables for %d vCPUs do not fit; give fewer --cpus", nr_cpus);
		return -1;
	}
	log_debug("ACPI: %zu bytes of tables at %#llx", n, ACPI_RSDP_ADDR);
	return 0;
}

/* ---- PM1a and reset registers ---- */

/*
 * Registers at ACPI_PM1A_EVT_PORT: PM1 status (2 bytes, nothing ever set),
 * PM1 enable (2 bytes, kept), PM1 control (2 bytes, SCI_EN always set), reset.
 * Byte-wise state so any access width works.  pm_lock guards pm_regs: I/O
 * dispatch does not serialize handlers, and vCPUs may access the registers
 * at once (one read while another writes PM1 control was a data race).
 */
static pthread_mutex_t pm_lock = PTHREAD_MUTEX_INITIALIZER;
static uint8_t pm_regs[ACPI_RESET_PORT + 1 - ACPI_PM1A_EVT_PORT] = { [4] = 1 };

static void pm_io(void *opaque, uint64_t off, void *data, unsigned int len, bool is_write)
{
	struct vm *vm = opaque;
	uint32_t v = 0;
	unsigned int i;

	if (!is_write) {
		pthread_mutex_lock(&pm_lock);
		for (i = 0; i < len && off + i < sizeof(pm_regs); i++)
			((uint8_t *)data)[i] = pm_regs[off + i];
		pthread_mutex_unlock(&pm_lock);
		for (; i < len; i++)
			((uint8_t *)data)[i] = 0;
		return;
	}
	memcpy(&v, data, len > 4 ? 4 : len);
	pthread_mutex_lock(&pm_lock);
	for (i = 0; i < len && off + i < sizeof(pm_regs); i++)
		if (off + i >= 2 && off + i < 6)	/* enable, control */
			pm_regs[off + i] = ((uint8_t *)data)[i];
	pm_regs[4] |= 1;				/* SCI_EN */
	pthread_mutex_unlock(&pm_lock);
	if (off == ACPI_PM1A_CNT_PORT - ACPI_PM1A_EVT_PORT && len >= 2 &&
	    (v & (1u << 13)) && ((v >> 10) & 7) == ACPI_S5_SLP_TYP) {
		log_info("guest powered off (ACPI S5); stopping the VM");
		vm_request_exit(vm, 0);
	} else if (off == ACPI_RESET_PORT - ACPI_PM1A_EVT_PORT && (v & 0xff) == ACPI_RESET_VALUE) {
		log_info("guest reset (ACPI reset register); stopping the VM");
		vm_request_exit(vm, 0);
	}
}

int acpi_register_pm(struct vm *vm)
{
	int ret = vm_register_pio(vm, ACPI_PM1A_EVT_PORT,
				  ACPI_RESET_PORT + 1 - ACPI_PM1A_EVT_PORT, pm_io, vm);

	if (ret)
		log_err("ACPI: cannot register the PM ports: %s", strerror(-ret));
	return ret;
}
