// SPDX-License-Identifier: GPL-2.0
/*
 * bench guest: PCI bus 0 through configuration mechanism #1 (0xcf8/0xcfc),
 * memory BAR decoding (as programmed by the VMM) and the MSI-X capability:
 * table entries pointed at the local APIC (fixed delivery, one destination:
 * the kind of route that KVM can post), per-vector mask and MSI-X enable.
 */
#include "guest.h"
#include "io.h"

#define CONF_ADDR	0xcf8
#define CONF_DATA	0xcfc
#define PCI_COMMAND	0x04
#define PCI_CMD_MEM	(1u << 1)
#define PCI_CMD_MASTER	(1u << 2)
#define PCI_CMD_NO_INTX	(1u << 10)
#define PCI_CAP_PTR	0x34
#define CAP_ID_MSIX	0x11
#define CAP_ID_EXP	0x10
#define EXP_DEVCAP	4
#define EXP_DEVCAP_FLR	(1u << 28)
#define EXP_DEVCTL	8
#define EXP_DEVCTL_FLR	(1u << 15)
#define MSIX_ENABLE	(1u << 15)
#define MSIX_FMASK	(1u << 14)
#define MSI_ADDR_BASE	0xfee00000u
#define BAR_MAP_SIZE	(1ULL << 20)	/* covers registers and MSI-X table */

uint32_t pci_read(uint8_t devfn, unsigned int off, unsigned int len)
{
	uint32_t v;

	outl(CONF_ADDR, 0x80000000u | (uint32_t)devfn << 8 | (off & 0xfc));
	v = inl(CONF_DATA);
	v >>= (off & 3) * 8;
	return len == 4 ? v : v & ((1u << (len * 8)) - 1);
}

void pci_write(uint8_t devfn, unsigned int off, unsigned int len, uint32_t v)
{
	outl(CONF_ADDR, 0x80000000u | (uint32_t)devfn << 8 | (off & 0xfc));
	if (len == 4)
		outl(CONF_DATA, v);
	else if (len == 2)
		outw(CONF_DATA + (off & 2), v);
	else
		outb(CONF_DATA + (off & 3), v);
}

static void read_bars(struct pci_dev *d)
{
	unsigned int i;

	for (i = 0; i < 6; i++) {
		uint32_t v = pci_read(d->devfn, 0x10 + 4 * i, 4);

		if (v & 1)			/* I/O BAR */
			continue;
		d->bar[i] = v & ~0xfULL;
		if (((v >> 1) & 3) == 2 && i < 5) {	/* 64-bit */
			d->bar[i] |= (uint64_t)pci_read(d->devfn, 0x14 + 4 * i, 4) << 32;
			i++;
		}
	}
	for (i = 0; i < 6; i++)
		if (d->bar[i])
			mm_map_mmio(d->bar[i], BAR_MAP_SIZE);
}

/* Offset of capability @id in @devfn's list, 0 if none. */
static unsigned int find_cap(uint8_t devfn, uint8_t id)
{
	unsigned int pos = pci_read(devfn, PCI_CAP_PTR, 1) & 0xfc;
	unsigned int guard = 48;

	while (pos && guard--) {
		if (pci_read(devfn, pos, 1) == id)
			return pos;
		pos = pci_read(devfn, pos + 1, 1) & 0xfc;
	}
	return 0;
}

static void find_msix(struct pci_dev *d)
{
	unsigned int pos = find_cap(d->devfn, CAP_ID_MSIX);
	uint32_t tbl, pba;

	if (!pos)
		return;
	tbl = pci_read(d->devfn, pos + 4, 4);
	pba = pci_read(d->devfn, pos + 8, 4);
	d->msix_cap = pos;
	d->msix_size = (pci_read(d->devfn, pos + 2, 2) & 0x7ff) + 1;
	/* BIR 6 and 7 are reserved: no table then */
	if ((tbl & 7) < 6)
		d->msix_table = d->bar[tbl & 7] + (tbl & ~7u);
	if ((pba & 7) < 6)
		d->msix_pba = d->bar[pba & 7] + (pba & ~7u);
}

void pci_enable_decoding(struct pci_dev *d)
{
	pci_write(d->devfn, PCI_COMMAND, 2,
		  pci_read(d->devfn, PCI_COMMAND, 2) | PCI_CMD_MEM | PCI_CMD_MASTER |
		  PCI_CMD_NO_INTX);
}

bool pci_flr(struct pci_dev *d)
{
	unsigned int pos = find_cap(d->devfn, CAP_ID_EXP);

	if (!pos || !(pci_read(d->devfn, pos + EXP_DEVCAP, 4) & EXP_DEVCAP_FLR))
		return false;
	pci_write(d->devfn, pos + EXP_DEVCTL, 2,
		  pci_read(d->devfn, pos + EXP_DEVCTL, 2) | EXP_DEVCTL_FLR);
	return true;
}

bool pci_find_next(uint32_t class, unsigned int from, struct pci_dev *d)
{
	unsigned int devfn;

	for (devfn = from & ~7u; devfn < 256; devfn += 8) {
		uint32_t id = pci_read(devfn, 0, 4);

		if (id == 0xffffffff || (pci_read(devfn, 8, 4) >> 8) != class)
			continue;
		*d = (struct pci_dev){ .devfn = devfn, .vendor = id & 0xffff,
				       .device = id >> 16, .class = class };
		read_bars(d);
		find_msix(d);
		pci_enable_decoding(d);
		return true;
	}
	return false;
}

bool pci_find_class(uint32_t class, struct pci_dev *d)
{
	return pci_find_next(class, 0, d);
}

void msix_set_entry(struct pci_dev *d, unsigned int i, uint8_t vector, bool masked)
{
	uint64_t e = d->msix_table + 16 * i;

	mmio_write32(e + 12, 1);		/* mask while rewriting */
	mmio_write32(e + 0, MSI_ADDR_BASE | lapic_id() << 12);
	mmio_write32(e + 4, 0);
	mmio_write32(e + 8, vector);		/* fixed, edge */
	if (!masked)
		mmio_write32(e + 12, 0);
}

void msix_mask(struct pci_dev *d, unsigned int i, bool masked)
{
	mmio_write32(d->msix_table + 16 * i + 12, masked);
	(void)mmio_read32(d->msix_table + 16 * i + 12);	/* flush */
}

void msix_enable(struct pci_dev *d, bool on)
{
	unsigned int mc = d->msix_cap + 2;
	uint16_t v = pci_read(d->devfn, mc, 2) & ~(MSIX_ENABLE | MSIX_FMASK);

	pci_write(d->devfn, mc, 2, v | (on ? MSIX_ENABLE : 0));
}
