/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Config space emulation for an assigned PCI function.
 *
 * The guest sees a type 0 header whose identity (vendor, device, class,
 * subsystem) comes from the device, but whose BARs, command register, ROM,
 * interrupt line/pin and capability list are emulated:
 *
 *  - BARs: sizes and type bits come from VFIO; the guest sizes and relocates
 *    them freely; the owner is told (bar_map) whenever a BAR starts or stops
 *    decoding at a guest address, so it can move memslots and MMIO traps.
 *  - command: kept here for reads and forwarded to the device (I/O, memory,
 *    bus master, parity, SERR, INTx disable), so DMA works once the guest
 *    enables bus mastering.
 *  - ROM: hidden (reads 0).  Extended config space: hidden (reads 0).
 *  - capabilities: only MSI and MSI-X are listed; both are virtualized (MSI
 *    fully, MSI-X's control word), the owner gets msi_update / msix_ctrl.
 *  - every other byte is read and written through the backend (the VFIO
 *    config region, itself virtualized by vfio-pci).
 *
 * Not thread-safe: the owner serializes calls (one lock per device).
 */
#ifndef VMM_VFIO_CFG_H
#define VMM_VFIO_CFG_H

#include <stdbool.h>
#include <stdint.h>

#define VCFG_NR_BARS	6
#define VCFG_SIZE	4096

/* Physical (VFIO) config space access; returns 0 or -errno. */
struct vcfg_backend {
	int (*read)(void *opaque, unsigned int off, void *buf, unsigned int len);
	int (*write)(void *opaque, unsigned int off, const void *buf, unsigned int len);
};

struct vcfg_ops {
	/* BAR @bar starts (@on) or stops decoding at guest address @addr. */
	void (*bar_map)(void *opaque, int bar, uint64_t addr, bool on);
	/* MSI enable, address or data changed. */
	void (*msi_update)(void *opaque, bool enabled, uint64_t addr, uint32_t data);
	/* MSI-X control word written: enable and function mask bits. */
	void (*msix_ctrl)(void *opaque, bool enabled, bool maskall);
};

struct vcfg_bar {
	uint64_t size;		/* 0: BAR not implemented (or upper half) */
	uint64_t addr;		/* guest-programmed base */
	uint32_t flags;		/* low type bits as the device reports them */
	bool io;
	bool mem64;
	bool upper;		/* upper dword of the previous 64-bit BAR */
};

struct vcfg {
	const struct vcfg_backend *be;
	void *be_opaque;
	const struct vcfg_ops *ops;
	void *opaque;

	struct vcfg_bar bar[VCFG_NR_BARS];
	uint16_t command;
	uint8_t cacheline, latency, irq_line, irq_pin, header;
	uint8_t cap_first;
	uint8_t cap_next[256];	/* emulated next pointer, at kept caps */
	bool cap_kept[256];

	uint8_t msi_cap;	/* 0 when absent */
	uint8_t msi_size;
	bool msi_64;
	bool msi_enabled;
	uint32_t msi_addr_lo, msi_addr_hi;
	uint16_t msi_data;

	uint8_t msix_cap;	/* 0 when absent */
	uint16_t msix_qsize;	/* table size - 1 */
	uint16_t msix_ctrl;	/* emulated ENABLE | MASKALL */
	uint32_t msix_table;	/* BIR | offset */
	uint32_t msix_pba;
};

/*
 * Build the emulated view.  @bar_size gives each BAR's size from VFIO's
 * region info (0 = absent); @hide_intx reports no interrupt pin (VFs,
 * devices without INTx).  Returns 0 or -errno (backend read failure,
 * non-power-of-two BAR, an MSI-X table or PBA in reserved BIR 6 or 7,
 * an MSI or MSI-X capability whose registers run past offset 0xff or
 * overlap the other's).
 */
int vcfg_init(struct vcfg *c, const struct vcfg_backend *be, void *be_opaque,
	      const struct vcfg_ops *ops, void *opaque,
	      const uint64_t bar_size[VCFG_NR_BARS], bool hide_intx);

/* Initial placement (before the guest runs); no callback. */
void vcfg_set_bar_addr(struct vcfg *c, int bar, uint64_t addr);

/* Guest accesses: @len 1, 2 or 4, within one dword. */
uint32_t vcfg_read(struct vcfg *c, unsigned int off, unsigned int len);
void vcfg_write(struct vcfg *c, unsigned int off, unsigned int len, uint32_t val);

/* Whether BAR @bar currently decodes (command bit set, size non-zero). */
bool vcfg_bar_decoding(const struct vcfg *c, int bar);

/* MSI-X table/PBA location (BAR index and offset); false without MSI-X. */
bool vcfg_msix_table(const struct vcfg *c, int *bar, uint32_t *off, unsigned int *nr);
bool vcfg_msix_pba(const struct vcfg *c, int *bar, uint32_t *off);

#endif /* VMM_VFIO_CFG_H */
