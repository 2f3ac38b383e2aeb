// SPDX-License-Identifier: GPL-2.0
/* ACPI PCI hotplug registers and the SCI; see hotplug.h. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acpi.h"
#include "hotplug.h"
#include "log.h"
#include "vm.h"

#define GPE_BIT		(1u << ACPI_GPE_HOTPLUG)
#define SLOT_OK(s)	((s) >= 1 && (s) < 32)

struct hotplug {
	pthread_mutex_t lock;
	struct vm *vm;		/* NULL: no ports (tests) */
	hotplug_irq_fn irq;
	void *irq_opaque;
	void (*notify)(void *opaque);
	void *notify_opaque;
	uint16_t gpe_sts, gpe_en;
	uint32_t present;	/* slots with a device the guest may eject */
	uint32_t up, down, ejected;
	uint32_t stale, late;	/* forced after a request; their late _EJ0 */
	bool sci;		/* the level last driven */
};

static int vm_irq(void *opaque, unsigned int gsi, int level)
{
	return vm_irq_line(opaque, gsi, level);
}

/* Drive the SCI to status & enable; hp->lock held. */
static void update_sci(struct hotplug *hp)
{
	bool level = hp->gpe_sts & hp->gpe_en;
	int ret;

	if (level == hp->sci)
		return;
	ret = hp->irq(hp->irq_opaque, ACPI_SCI_IRQ, level);
	if (ret)
		log_warn_rl("hotplug: cannot %s the SCI: %s", level ? "raise" : "lower",
			    strerror(-ret));
	else
		hp->sci = level;
}

struct hotplug *hotplug_new_with(hotplug_irq_fn irq, void *opaque)
{
	struct hotplug *hp = calloc(1, sizeof(*hp));

	if (!hp)
		return NULL;
	pthread_mutex_init(&hp->lock, NULL);
	hp->irq = irq;
	hp->irq_opaque = opaque;
	return hp;
}

struct hotplug *hotplug_new(struct vm *vm)
{
	struct hotplug *hp = hotplug_new_with(vm_irq, vm);
	int ret;

	if (!hp) {
		log_err("hotplug: out of memory");
		return NULL;
	}
	ret = vm_register_pio(vm, ACPI_GPE0_PORT, ACPI_GPE0_LEN, hotplug_gpe_io, hp);
	if (!ret) {
		ret = vm_register_pio(vm, ACPI_HP_PORT, ACPI_HP_LEN, hotplug_reg_io, hp);
		if (ret)
			vm_unregister_pio(vm, ACPI_GPE0_PORT, hp);
	}
	if (ret) {
		log_err("hotplug: cannot register its ports: %s", strerror(-ret));
		hotplug_free(hp);
		return NULL;
	}
	hp->vm = vm;
	return hp;
}

void hotplug_free(struct hotplug *hp)
{
	if (!hp)
		return;
	if (hp->vm) {
		vm_unregister_pio(hp->vm, ACPI_HP_PORT, hp);
		vm_unregister_pio(hp->vm, ACPI_GPE0_PORT, hp);
	}
	pthread_mutex_destroy(&hp->lock);
	free(hp);
}

/* Byte @i of a little-endian register value. */
static uint8_t byte_of(uint32_t v, unsigned int i)
{
	return v >> (8 * i);
}

void hotplug_gpe_io(void *opaque, uint64_t off, void *data, unsigned int len, bool is_write)
{
	struct hotplug *hp = opaque;
	uint8_t *b = data;
	unsigned int i;

	pthread_mutex_lock(&hp->lock);
	for (i = 0; i < len; i++) {
		uint64_t o = off + i;

		if (!is_write) {
			b[i] = o < 2 ? byte_of(hp->gpe_sts, o) :
			       o < 4 ? byte_of(hp->gpe_en, o - 2) : 0;
		} else if (o < 2) {
			hp->gpe_sts &= ~(b[i] << (8 * o));	/* write 1 to clear */
		} else if (o < 4) {
			hp->gpe_en = (hp->gpe_en & ~(0xff << (8 * (o - 2)))) |
				     b[i] << (8 * (o - 2));
		}
	}
	update_sci(hp);
	pthread_mutex_unlock(&hp->lock);
}

void hotplug_reg_io(void *opaque, uint64_t off, void *data, unsigned int len, bool is_write)
{
	struct hotplug *hp = opaque;
	void (*notify)(void *opaque) = NULL;
	void *notify_opaque = NULL;
	uint32_t v = 0, done = 0, late = 0;

	/* DWordAcc: the AML reads and writes whole registers */
	if (len != 4 || (off & 3) || off >= ACPI_HP_LEN) {
		if (!is_write)
			memset(data, 0, len);
		return;
	}
	pthread_mutex_lock(&hp->lock);
	if (is_write) {
		memcpy(&v, data, 4);
		if (off == ACPI_HP_B0EJ) {
			/* asked (PCID) or the guest's own: the slot is empty now */
			done = v & hp->present;
			hp->ejected |= done;
			hp->present &= ~done;
			hp->down &= ~done;
			hp->up &= ~done;
			late = v & hp->stale;
			hp->stale &= ~late;
			hp->late |= late;
			notify = done || late ? hp->notify : NULL;
			notify_opaque = hp->notify_opaque;	/* with it, under the lock */
		}
	} else if (off == ACPI_HP_PCIU) {
		v = hp->up;
		hp->up = 0;
	} else if (off == ACPI_HP_PCID) {
		v = hp->down;
	}
	pthread_mutex_unlock(&hp->lock);
	if (!is_write)
		memcpy(data, &v, 4);
	if (is_write && off == ACPI_HP_B0EJ) {
		/* the guest may write B0EJ in a loop: rate limited */
		if (v & ~done & ~late)
			log_verbose_rl("hotplug: the guest ejected slot mask 0x%08x with no device (ignored)",
				       v & ~done & ~late);
		if (done)
			log_verbose_rl("hotplug: the guest ejected slot mask 0x%08x", done);
	}
	if (notify)
		notify(notify_opaque);
}

void hotplug_set_notify(struct hotplug *hp, void (*fn)(void *opaque), void *opaque)
{
	pthread_mutex_lock(&hp->lock);
	hp->notify = fn;
	hp->notify_opaque = opaque;
	pthread_mutex_unlock(&hp->lock);
}

/*
 * Set @slot in PCIU (@up: a device arrived, now present) or PCID (an eject
 * request for a present slot) and raise GPE 1.
 */
static void signal_slot(struct hotplug *hp, bool up, unsigned int slot)
{
	uint32_t bit = 1u << slot;

	if (!hp || !SLOT_OK(slot))
		return;
	pthread_mutex_lock(&hp->lock);
	if (up) {
		hp->ejected &= ~bit;
		hp->stale &= ~bit;	/* reused all the same (no other slot) */
		hp->present |= bit;
		hp->up |= bit;
	} else if (hp->present & bit) {
		hp->down |= bit;
	} else {
		pthread_mutex_unlock(&hp->lock);
		return;
	}
	hp->gpe_sts |= GPE_BIT;
	update_sci(hp);
	pthread_mutex_unlock(&hp->lock);
}

void hotplug_announce(struct hotplug *hp, unsigned int slot)
{
	signal_slot(hp, true, slot);
}

void hotplug_request_eject(struct hotplug *hp, unsigned int slot)
{
	signal_slot(hp, false, slot);
}

void hotplug_set_present(struct hotplug *hp, unsigned int slot)
{
	if (!hp || !SLOT_OK(slot))
		return;
	pthread_mutex_lock(&hp->lock);
	hp->ejected &= ~(1u << slot);
	hp->stale &= ~(1u << slot);
	hp->present |= 1u << slot;
	pthread_mutex_unlock(&hp->lock);
}

bool hotplug_ejected(struct hotplug *hp, unsigned int slot)
{
	bool done;

	if (!hp || !SLOT_OK(slot))
		return false;
	pthread_mutex_lock(&hp->lock);
	done = hp->ejected & (1u << slot);
	pthread_mutex_unlock(&hp->lock);
	return done;
}

void hotplug_forget(struct hotplug *hp, unsigned int slot)
{
	uint32_t bit = 1u << slot;

	if (!hp || !SLOT_OK(slot))
		return;
	pthread_mutex_lock(&hp->lock);
	hp->present &= ~bit;
	hp->down &= ~bit;
	hp->up &= ~bit;
	hp->ejected &= ~bit;
	pthread_mutex_unlock(&hp->lock);
}

void hotplug_set_stale(struct hotplug *hp, unsigned int slot)
{
	if (!hp || !SLOT_OK(slot))
		return;
	pthread_mutex_lock(&hp->lock);
	hp->stale |= 1u << slot;
	hp->late &= ~(1u << slot);
	pthread_mutex_unlock(&hp->lock);
}

uint32_t hotplug_take_late_ejects(struct hotplug *hp)
{
	uint32_t late;

	if (!hp)
		return 0;
	pthread_mutex_lock(&hp->lock);
	late = hp->late;
	hp->late = 0;
	pthread_mutex_unlock(&hp->lock);
	return late;
}
