/* SPDX-License-Identifier: GPL-2.0 */
/*
 * PCI bus 0: host bridge at 00:00.0, configuration mechanism #1
 * (0xcf8/0xcfc) and ECAM (VM_ECAM_BASE, announced by the ACPI MCFG).
 * Devices are single-function, one per slot 1..31.
 *
 * Locking: config accesses to a device are serialized by the bus lock,
 * which is held while cfg_read/cfg_write run; those callbacks must not call
 * pci_bus_*().  After pci_bus_remove() returns no callback runs anymore.
 */
#ifndef VIBEVMM_PCI_H
#define VIBEVMM_PCI_H

#include <stdbool.h>
#include <stdint.h>

struct vm;
struct pci_device;

struct pci_device_ops {
	uint32_t (*cfg_read)(struct pci_device *dev, unsigned int off, unsigned int len);
	void (*cfg_write)(struct pci_device *dev, unsigned int off, unsigned int len, uint32_t val);
};

struct pci_device {
	const struct pci_device_ops *ops;
	void *priv;
	uint8_t devfn;                    /* assigned by pci_bus_add */
	int intx_gsi;                     /* IOAPIC pin wired for INTA, assigned by pci_bus_add */
};

struct pci_bus;
struct pci_bus *vm_pci_bus(struct vm *vm);
/*
 * Put @dev in the lowest free slot, preferring one not held (below); a
 * held slot only when no other is free (the hold then ends).
 */
int pci_bus_add(struct pci_bus *bus, struct pci_device *dev);
/*
 * Hold (@hold) or free @slot for reuse: the guest still believes a
 * device is there (it was asked to eject it and has not yet).
 */
void pci_bus_hold_slot(struct pci_bus *bus, unsigned int slot, bool hold);
void pci_bus_remove(struct pci_bus *bus, struct pci_device *dev);
/* Read @dev's config space as the guest sees it, under the bus lock. */
uint32_t pci_device_cfg_read(struct pci_bus *bus, struct pci_device *dev, unsigned int off,
			     unsigned int len);
/* Initial BAR placement: 32-bit window below 4 GiB, 64-bit window above RAM. */
int pci_alloc_bar(struct pci_bus *bus, uint64_t size, bool mem64, uint64_t *gpa);
int pci_alloc_io(struct pci_bus *bus, uint32_t size, uint16_t *port);
/*
 * Give a removed device's BAR back (the address and size it was given):
 * the next allocation of that size reuses it, so devices added and removed
 * again and again do not exhaust the windows.
 */
void pci_free_bar(struct pci_bus *bus, uint64_t gpa, uint64_t size);
void pci_free_io(struct pci_bus *bus, uint16_t port, uint32_t size);

/* INTx wiring: slot s, pin p (0 = INTA) -> IOAPIC pin (also in the DSDT _PRT). */
static inline int pci_intx_gsi(unsigned int slot, unsigned int pin)
{
	return 16 + ((slot + pin) & 7);
}

/* Bus internals, exposed for vm.c and the unit tests. */
struct pci_bus *pci_bus_new(uint64_t mmio32_base, uint64_t mmio32_size,
			    uint64_t mmio64_base, uint64_t mmio64_size,
			    uint32_t io_base, uint32_t io_size);
void pci_bus_free(struct pci_bus *bus);
/* Port I/O at 0xcf8..0xcff; off = port - 0xcf8. */
void pci_bus_conf1_io(struct pci_bus *bus, uint64_t off, void *data, unsigned int len, bool is_write);
/* ECAM access; off from the ECAM base. */
void pci_bus_ecam_io(struct pci_bus *bus, uint64_t off, void *data, unsigned int len, bool is_write);
void pci_bus_windows(struct pci_bus *bus, uint64_t *m32, uint64_t *m32sz,
		     uint64_t *m64, uint64_t *m64sz, uint32_t *io, uint32_t *iosz);

#endif
