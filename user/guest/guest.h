/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bench guest: a tiny 64-bit payload (no Linux) that vibevmm boots as a
 * bzImage to measure interrupt delivery from an assigned NVMe VF.  One file
 * per responsibility; this header lists what each one offers.
 */
#ifndef GUEST_H
#define GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* console.c: 8250 UART at 0x3f8 (polled), printf subset, poweroff. */
void con_init(void);
void con_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void __attribute__((noreturn)) guest_exit(bool ok);
#define guest_fail(...) do { con_printf("GUEST-BENCH: error: " __VA_ARGS__); \
			      guest_exit(false); } while (0)

/* mm.c: own page tables: identity map of 0-4 GiB plus MMIO windows. */
void mm_init(void);
void mm_map_mmio(uint64_t addr, uint64_t size);

/* cpu.c: IDT, exceptions, local APIC, interrupt counters, TSC calibration. */
#define IRQ_VECTOR_BASE	0x40		/* MSI-X entry i -> vector 0x40 + i */
#define IRQ_MAX_VECTORS	32
extern volatile uint64_t irq_count[IRQ_MAX_VECTORS];
/* TSC rate: tsc_khz if the host gave one, else measured against the PIT. */
void cpu_init(uint64_t tsc_khz);
uint32_t lapic_id(void);
extern uint64_t tsc_hz;			/* 0 if calibration failed */
extern const char *tsc_from;		/* cmdline, cpuid, pit or none */
uint64_t tsc_to_us(uint64_t cycles);
uint64_t deadline_after_us(uint64_t us);

/* pci.c: configuration mechanism #1, bus 0; the MSI-X capability. */
struct pci_dev {
	uint8_t devfn;
	uint16_t vendor, device;
	uint32_t class;			/* class << 16 | subclass << 8 | prog-if */
	uint64_t bar[6];		/* decoded memory BAR addresses */
	uint8_t msix_cap;		/* 0 if none */
	uint16_t msix_size;		/* table entries */
	uint64_t msix_table;		/* guest-physical address */
	uint64_t msix_pba;
};
uint32_t pci_read(uint8_t devfn, unsigned int off, unsigned int len);
void pci_write(uint8_t devfn, unsigned int off, unsigned int len, uint32_t v);
bool pci_find_class(uint32_t class, struct pci_dev *dev);
/* The first function of @class at or after @from (a devfn). */
bool pci_find_next(uint32_t class, unsigned int from, struct pci_dev *dev);
void msix_set_entry(struct pci_dev *dev, unsigned int i, uint8_t vector, bool masked);
void msix_mask(struct pci_dev *dev, unsigned int i, bool masked);
void msix_enable(struct pci_dev *dev, bool on);
/* Memory decoding and bus mastering on (again, after a function reset). */
void pci_enable_decoding(struct pci_dev *dev);
/* Initiate a Function Level Reset; false if the function offers none. */
bool pci_flr(struct pci_dev *dev);

/* nvme.c: controller enable and one admin queue pair. */
struct nvme {
	uint64_t regs;
	unsigned int dstrd;		/* doorbell stride, bytes */
	uint16_t sq_tail, cq_head, cid;
	bool phase;
	uint64_t completions;
};
int nvme_init(struct nvme *n, uint64_t bar0);
void nvme_submit_get_features(struct nvme *n);
int nvme_wait_completion(struct nvme *n, uint64_t timeout_us);
/* The controller status register (CSTS); all ones when nothing answers. */
uint32_t nvme_csts(struct nvme *n);
#define NVME_CSTS_RDY	1u
#define NVME_CSTS_CFS	2u

/* hostile.c: guest.mode=hostile, and the PRNG of the seeded modes. */
void run_hostile(uint64_t seed, uint64_t ops);
uint64_t guest_rand(uint64_t *state);

#endif
