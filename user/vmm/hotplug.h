/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ACPI PCI hotplug on bus 0: the registers behind the DSDT's slot devices
 * and GPE (acpi.c writes the AML; Linux's acpiphp drives it).
 *
 *   GPE0 block (ACPI_GPE0_PORT): status (write 1 to clear), enable.  The
 *     SCI (ACPI_SCI_IRQ, level) is asserted while status & enable.
 *   PCIU: slots whose presence changed (a device was added): reading
 *     returns and clears it.  \_GPE._E01 -> PCNT: Notify (SLxx, 1), device
 *     check: the guest scans the slot.
 *   PCID: slots the VMM asks the guest to eject: Notify (SLxx, 3).  The
 *     guest unbinds its driver, removes the device, then calls the slot's
 *     _EJ0, which writes the slot's bit to B0EJ: the eject is complete,
 *     the bit leaves PCID.
 *
 * Thread-safe: the guest's accesses (vCPU threads) and the control
 * socket's requests meet under one mutex; hotplug_wait_eject() sleeps on
 * a condition variable the B0EJ write signals.
 */
#ifndef VIBEVMM_HOTPLUG_H
#define VIBEVMM_HOTPLUG_H

#include <stdbool.h>
#include <stdint.h>

struct vm;
struct hotplug;

/* Raise (@level 1) or lower the SCI; the VM's is vm_irq_line(). */
typedef int (*hotplug_irq_fn)(void *opaque, unsigned int gsi, int level);

/* The VM's: registers its two port ranges.  NULL after one error line. */
struct hotplug *hotplug_new(struct vm *vm);
/* Without ports, the SCI through @irq (unit tests drive hotplug_*_io()). */
struct hotplug *hotplug_new_with(hotplug_irq_fn irq, void *opaque);
/* Unregister the ports (if any) and free.  NULL: no-op. */
void hotplug_free(struct hotplug *hp);

/* Port handlers: @off from ACPI_GPE0_PORT, from ACPI_HP_PORT. */
void hotplug_gpe_io(void *opaque, uint64_t off, void *data, unsigned int len, bool is_write);
void hotplug_reg_io(void *opaque, uint64_t off, void *data, unsigned int len, bool is_write);

/* A device is now in @slot (1..31): tell the guest to check it. */
void hotplug_announce(struct hotplug *hp, unsigned int slot);
/* Ask the guest to eject @slot (clears a previous eject of it). */
void hotplug_request_eject(struct hotplug *hp, unsigned int slot);
/*
 * Wait up to @timeout_ms for the guest's _EJ0 on @slot: true if it came.
 * On false the request stays pending in PCID until hotplug_forget().
 */
bool hotplug_wait_eject(struct hotplug *hp, unsigned int slot, unsigned int timeout_ms);
/* @slot is empty again: drop its pending request and its eject record. */
void hotplug_forget(struct hotplug *hp, unsigned int slot);

#endif
