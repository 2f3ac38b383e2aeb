/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vibevmm: the x86_64 KVM virtual machine.
 *
 * Guest physical memory layout (see Documentation/vibevmm.rst):
 *   0x00000000 - low RAM end     RAM (e820 usable, minus the BIOS areas)
 *   0xc0000000 - 0xdfffffff      32-bit PCI MMIO window (BARs)
 *   0xe0000000 - 0xe00fffff      PCIe ECAM for bus 0 (ACPI MCFG)
 *   0xfec00000                   IOAPIC, 0xfee00000 LAPIC (in-kernel)
 *   0x100000000 - ...            RAM above 4 GiB when --mem > 3 GiB
 *   above RAM (1 GiB aligned)    64-bit PCI MMIO window
 *
 * Locking (io.h has the details): the MMIO and port I/O tables may be
 * changed from any thread while vCPUs run.  A table mutex protects the lists; a handler runs without the
 * mutex held, pinned by an in-flight count.  vm_unregister_mmio() unlinks the
 * region and waits until no other thread is inside its handler, so after it
 * returns the handler is never called again and its opaque may be freed.
 * Handlers may call vm_register_*()/vm_unregister_*() (even for their own
 * region) and vm_*memslot().
 */
#ifndef VIBEVMM_VM_H
#define VIBEVMM_VM_H

#include <stdbool.h>
#include <stdint.h>

struct vm;
struct vmm_config;
struct boot_files;

#define VM_PCI_MMIO32_BASE	0xc0000000ULL
#define VM_PCI_MMIO32_SIZE	0x20000000ULL
#define VM_ECAM_BASE		0xe0000000ULL
#define VM_ECAM_SIZE		0x00100000ULL	/* bus 0 only */
#define VM_IOAPIC_BASE		0xfec00000ULL
#define VM_LAPIC_BASE		0xfee00000ULL
#define VM_LOW_RAM_MAX		0xc0000000ULL	/* start of the PCI hole */
#define VM_HIGH_RAM_BASE	0x100000000ULL
#define VM_PCI_MMIO64_SIZE	(64ULL << 30)
#define VM_PCI_IO_BASE		0xc000
#define VM_PCI_IO_SIZE		0x4000
#define VM_RAM_ALIGN		0x200000ULL	/* host alignment of guest RAM */

struct vm *vm_create(const struct vmm_config *cfg);
/* Anonymous memory for guest RAM, VM_RAM_ALIGN-aligned; NULL on failure. */
void *vm_alloc_ram(uint64_t size);
void vm_destroy(struct vm *vm);
/* Load the checked kernel/initrd, build boot_params, ACPI; set up the BSP. */
int vm_load(struct vm *vm, const struct boot_files *bf);
/* Start the vCPU threads and wait until vm_request_exit(); returns status. */
int vm_run(struct vm *vm);

int vm_fd(struct vm *vm);
int vm_nr_cpus(struct vm *vm);
uint64_t vm_ram_size(struct vm *vm);
uint64_t vm_low_ram_end(struct vm *vm);	/* end of RAM below 4 GiB */
uint64_t vm_high_ram_end(struct vm *vm);	/* 4 GiB + high RAM, or 0 */

/* Guest RAM regions (for VFIO DMA mapping: IOVA = GPA). */
typedef int (*vm_ram_fn)(void *opaque, uint64_t gpa, void *hva, uint64_t size);
int vm_for_each_ram(struct vm *vm, vm_ram_fn fn, void *opaque);
void *vm_gpa_to_hva(struct vm *vm, uint64_t gpa, uint64_t len);  /* NULL if not RAM */

/* Extra memslots (VFIO BAR mmaps). Returns slot id >= 0 or -errno. */
int vm_map_memslot(struct vm *vm, uint64_t gpa, uint64_t size, void *hva);
int vm_unmap_memslot(struct vm *vm, int slot);

/*
 * Trapped MMIO and port I/O: handler gets offset from base.  Unregister
 * names the owner (the opaque given at registration): only its own region
 * at that base goes.
 */
typedef void (*vm_io_fn)(void *opaque, uint64_t off, void *data, unsigned int len, bool is_write);
int vm_register_mmio(struct vm *vm, uint64_t gpa, uint64_t len, vm_io_fn fn, void *opaque);
int vm_unregister_mmio(struct vm *vm, uint64_t gpa, const void *opaque);
int vm_register_pio(struct vm *vm, uint16_t port, uint16_t len, vm_io_fn fn, void *opaque);
int vm_unregister_pio(struct vm *vm, uint16_t port, const void *opaque);

/* Assert/deassert an IOAPIC/PIC input (KVM_IRQ_LINE). */
int vm_irq_line(struct vm *vm, unsigned int gsi, int level);

/* Stop the VM (guest poweroff/reboot/fatal error) with a VMM exit status. */
void vm_request_exit(struct vm *vm, int status);
bool vm_exiting(struct vm *vm);

#endif
