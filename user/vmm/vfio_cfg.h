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
 *  - ROM BAR: emulated when the owner gives its size (vcfg_set_rom()):
 *    sized and placed by the guest, decoding (enable bit and memory space)
 *    reported through bar_map with bar = VCFG_ROM; else it reads 0.
 *    Extended config space: hidden (reads 0).
 *  - capabilities: only MSI, MSI-X, PCI Express and power management are
 *    listed, all virtualized:
 *      MSI fully, MSI-X's control word (the owner gets msi_update /
 *      msix_ctrl);
 *      PCI Express (when the device has one), emulated whole: the
 *      function as a Root Complex Integrated Endpoint (no link, slot or
 *      root registers); Device Capabilities and Control from the device,
 *      the FLR capability only when the owner can reset the function,
 *      "Initiate FLR" turned into a function reset;
 *      power management (at the device's own offset, or, if it has none,
 *      over a capability hidden, else none): D0 and D3hot, No_Soft_Reset
 *      clear when the owner can reset, so that D3hot -> D0 is a function
 *      reset.
 *    A PCI Express or PM capability overlapping another kept one (or past
 *    0xff) is hidden; MSI or MSI-X doing so makes vcfg_init() fail.
 *    A function reset (FLR, or D3hot -> D0) puts the emulated registers
 *    back as a reset leaves them (decoding, MSI, MSI-X control off; BAR
 *    bases kept), each change told through the callbacks, then calls
 *    ops->reset for the owner to reset the device and its interrupt state
 *    (if that fails, Bus Master is kept off in the device).
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
#define VCFG_ROM	VCFG_NR_BARS	/* bar_map's index for the ROM BAR */
#define VCFG_SIZE	4096
#define VCFG_D0		0	/* PM power states the guest can set */
#define VCFG_D3HOT	3

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
	/*
	 * The guest reset the function (FLR or D3hot -> D0); only called
	 * after vcfg_set_resettable(c, true).  The emulated registers are
	 * already reset: reset the device and the interrupt state.  0, or
	 * -errno if the device could not be reset: then Bus Master is kept
	 * off in what reaches the device until a reset succeeds.
	 */
	int (*reset)(void *opaque);
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

	uint8_t pcie_cap;	/* 0 when absent */
	uint8_t pcie_size;	/* registers emulated */
	uint8_t pcie_vers;	/* capability version (1 or 2) */

	uint8_t pm_cap;		/* 0 only when no room was found */
	uint8_t pm_state;	/* VCFG_D0 or VCFG_D3HOT */

	bool can_reset;		/* vcfg_set_resettable() */
	bool master_blocked;	/* the last reset failed: Bus Master kept off */
	uint64_t rom_size;	/* 0: no ROM BAR shown */
	uint32_t rom;		/* ROM BAR register: base | enable */
};

/*
 * Build the emulated view.  @bar_size gives each BAR's size from VFIO's
 * region info (0 = absent); @hide_intx reports no interrupt pin (VFs,
 * devices without INTx).  Returns 0 or -errno (backend read failure,
 * non-power-of-two BAR, an MSI-X table or PBA in reserved BIR 6 or 7,
 * an MSI, MSI-X, PCI Express or PM capability whose registers run past
 * offset 0xff or overlap another's).
 */
int vcfg_init(struct vcfg *c, const struct vcfg_backend *be, void *be_opaque,
	      const struct vcfg_ops *ops, void *opaque,
	      const uint64_t bar_size[VCFG_NR_BARS], bool hide_intx);

/* Initial placement (before the guest runs); no callback. */
void vcfg_set_bar_addr(struct vcfg *c, int bar, uint64_t addr);
/*
 * Show a ROM BAR of @size bytes (a power of two from 2 KiB to 2 GiB) based
 * at @addr, disabled; size 0 hides it.  0 or -EINVAL.
 */
int vcfg_set_rom(struct vcfg *c, uint64_t size, uint32_t addr);
/* Whether the owner can reset the function: offers FLR and PM reset. */
void vcfg_set_resettable(struct vcfg *c, bool can_reset);

/* Guest accesses: @len 1, 2 or 4, within one dword. */
uint32_t vcfg_read(struct vcfg *c, unsigned int off, unsigned int len);
void vcfg_write(struct vcfg *c, unsigned int off, unsigned int len, uint32_t val);

/*
 * Whether BAR @bar (or VCFG_ROM) currently decodes (command bit set, size
 * non-zero; the ROM's enable bit set).
 */
bool vcfg_bar_decoding(const struct vcfg *c, int bar);

/* MSI-X table/PBA location (BAR index and offset); false without MSI-X. */
bool vcfg_msix_table(const struct vcfg *c, int *bar, uint32_t *off, unsigned int *nr);
bool vcfg_msix_pba(const struct vcfg *c, int *bar, uint32_t *off);

#endif /* VMM_VFIO_CFG_H */
