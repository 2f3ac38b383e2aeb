/* SPDX-License-Identifier: GPL-2.0 */
/*
 * BAR layout for an assigned device: which parts of a BAR go into KVM
 * memslots (mmap of the VFIO region) and which stay trapped.
 *
 * Everything not mapped is trapped by one MMIO handler covering the whole
 * BAR: MSI-X table and PBA accesses are emulated, the rest is forwarded
 * through the VFIO region's file offset.  KVM only exits for addresses no
 * memslot covers, so the trap and the memslots can overlap in the table.
 */
#ifndef VMM_VFIO_BAR_H
#define VMM_VFIO_BAR_H

#include <stdint.h>

struct bar_area {
	uint64_t off;
	uint64_t size;
};

/*
 * Areas to map: the mmap-able areas (@mm, from the sparse mmap capability,
 * or the whole region) shrunk to whole pages, minus the pages touching any
 * @trap range.  Writes at most @max areas to @out, sorted by offset.
 * Returns the count, or -ENOSPC if @out is too small, -EINVAL on a bad page.
 */
int vfio_bar_plan(const struct bar_area *mm, int nr_mm,
		  const struct bar_area *trap, int nr_trap, uint64_t page,
		  struct bar_area *out, int max);

#endif /* VMM_VFIO_BAR_H */
