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
 *   B0EJ: an _EJ0 of an occupied slot (hotplug_announce() or
 *     hotplug_set_present()) marks it ejected, asked for or not (the
 *     guest's own eject: slot power 0); the slot is then empty for the
 *     guest: a second _EJ0 of it, or one of an empty slot, is ignored;
 *     one of a slot whose device was detached by force after an eject
 *     request (hotplug_set_stale()) is recorded as a late eject.
 *     The notify callback tells the VMM, which releases the device.
 *
 * Thread-safe: the guest's accesses (vCPU threads) and the VMM's requests
 * meet under one mutex.  The notify callback runs on a vCPU thread after
 * that mutex is dropped and must not block.
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

/* Call @fn(@opaque) after each eject the guest completes (B0EJ). */
void hotplug_set_notify(struct hotplug *hp, void (*fn)(void *opaque), void *opaque);
/* A device is now in @slot (1..31): tell the guest to check it. */
void hotplug_announce(struct hotplug *hp, unsigned int slot);
/* A device is in @slot from the start (the guest finds it at boot). */
void hotplug_set_present(struct hotplug *hp, unsigned int slot);
/* Ask the guest to eject @slot. */
void hotplug_request_eject(struct hotplug *hp, unsigned int slot);
/* Whether the guest ejected the device in @slot (until hotplug_forget()). */
bool hotplug_ejected(struct hotplug *hp, unsigned int slot);
/* @slot is empty again: drop its pending bits and its eject record. */
void hotplug_forget(struct hotplug *hp, unsigned int slot);
/*
 * @slot's device was detached by force after the guest was asked to eject
 * it: the guest may still call its _EJ0.  That late eject is recorded
 * (and the notify callback called), not taken for a device's.
 */
void hotplug_set_stale(struct hotplug *hp, unsigned int slot);
/* The stale slots the guest ejected since the last call (a mask); cleared. */
uint32_t hotplug_take_late_ejects(struct hotplug *hp);

#endif
