/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VM's KVM_SET_GSI_ROUTING table.  GSIs 0..23 are the IOAPIC pins (0..15
 * also reach the PIC; GSI 0, the PIT, goes to IOAPIC pin 2 as on a PC, which
 * the MADT announces with an interrupt source override).  GSIs from 24 up are
 * MSI routes allocated by devices.  Every change is committed to KVM at once;
 * the table is protected by its own mutex and may be changed from any thread.
 */
#ifndef VIBEVMM_GSI_H
#define VIBEVMM_GSI_H

#include <stdint.h>

struct vm;

#define GSI_NR_IOAPIC_PINS	24
#define GSI_MAX			1024

int gsi_alloc_msi(struct vm *vm, uint64_t addr, uint32_t data);   /* returns gsi or -errno */
int gsi_update_msi(struct vm *vm, int gsi, uint64_t addr, uint32_t data);
void gsi_free(struct vm *vm, int gsi);

/*
 * The table itself, independent of a VM so it can be unit tested.  commit()
 * receives a filled struct kvm_irq_routing (as void *) and returns 0 or
 * -errno; vm.c passes a function issuing KVM_SET_GSI_ROUTING on the VM fd.
 */
struct gsi_table;
typedef int (*gsi_commit_fn)(void *opaque, const void *kvm_irq_routing);
struct gsi_table *gsi_table_new(gsi_commit_fn commit, void *opaque);
void gsi_table_free(struct gsi_table *t);
int gsi_table_init_ioapic(struct gsi_table *t);	/* routes 0..23, commits */
int gsi_table_alloc_msi(struct gsi_table *t, uint64_t addr, uint32_t data);
int gsi_table_update_msi(struct gsi_table *t, int gsi, uint64_t addr, uint32_t data);
int gsi_table_free_msi(struct gsi_table *t, int gsi);
int gsi_table_nr_routes(struct gsi_table *t);	/* entries committed last */

struct gsi_table *vm_gsi_table(struct vm *vm);

#endif
