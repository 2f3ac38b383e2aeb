/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ACPI tables for the guest: RSDP, XSDT, FADT (with PM1a event/control
 * blocks, a GPE0 block and a reset register in port I/O space), FACS, DSDT
 * (PCI0 host bridge with _CRS and _PRT, one hotplug slot device per slot
 * 1..31 with _ADR, _SUN and _EJ0, the PCNT method and \_GPE._E01 that
 * calls it: ACPI PCI hotplug, see hotplug.c; \_S5), MADT (LAPICs, IOAPIC, interrupt source
 * overrides, LAPIC NMI) and MCFG (ECAM for bus 0).  Tables live in the BIOS
 * area at ACPI_RSDP_ADDR, which the e820 map reserves.
 */
#ifndef VIBEVMM_ACPI_H
#define VIBEVMM_ACPI_H

#include <stddef.h>
#include <stdint.h>

struct vm;

#define ACPI_RSDP_ADDR		0xe0000ULL
#define ACPI_AREA_SIZE		0x20000ULL	/* 0xe0000 - 0xfffff */
#define ACPI_PM1A_EVT_PORT	0x600		/* 4 bytes: status, enable */
#define ACPI_PM1A_CNT_PORT	0x604		/* 2 bytes */
#define ACPI_RESET_PORT		0x608		/* 1 byte */
#define ACPI_RESET_VALUE	0x01
#define ACPI_SCI_IRQ		9
/* GPE0 block: status (2 bytes), enable (2 bytes); GPE 1 is PCI hotplug. */
#define ACPI_GPE0_PORT		0x620
#define ACPI_GPE0_LEN		4
#define ACPI_GPE_HOTPLUG	1
/*
 * PCI hotplug registers (hotplug.c), 32-bit, bit N for slot N of bus 0:
 * PCIU (slots to check: reading clears), PCID (slots asked to eject),
 * B0EJ (written by a slot's _EJ0: the guest released it).
 */
#define ACPI_HP_PORT		0x630
#define ACPI_HP_PCIU		0
#define ACPI_HP_PCID		4
#define ACPI_HP_B0EJ		8
#define ACPI_HP_LEN		12
#define ACPI_S5_SLP_TYP		5

struct acpi_layout {
	int nr_cpus;
	uint64_t mmio32_base, mmio32_size;
	uint64_t mmio64_base, mmio64_size;
	uint32_t io_base, io_size;
	uint64_t ecam_base;
	uint64_t ioapic_base;
	uint64_t lapic_base;
};

/*
 * Build the tables into buf, which the guest sees at GPA base.  Returns the
 * number of bytes used, or 0 if they do not fit in size.
 */
size_t acpi_build_tables(uint8_t *buf, uint64_t base, size_t size,
			 const struct acpi_layout *l);
uint8_t acpi_checksum(const void *p, size_t len);

int acpi_build(struct vm *vm, int nr_cpus, uint64_t m32, uint64_t m32sz,
	       uint64_t m64, uint64_t m64sz);
/* PM1a event/control and reset register ports: poweroff/reboot -> exit 0. */
int acpi_register_pm(struct vm *vm);

#endif
