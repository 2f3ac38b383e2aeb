/* SPDX-License-Identifier: GPL-2.0 */
/*
 * MSI-X table and PBA emulation.
 *
 * The guest's table lives here; the device's real table is programmed by
 * the host kernel (vfio-pci or vfpost).  The owner learns of every change
 * that matters through msix_ops:
 *
 *  - vector_update: the guest rewrote a vector's address or data (the owner
 *    rewrites the vector's GSI route if the vector is in use);
 *  - vector_mask: a vector's effective mask changed.  Effective mask =
 *    MSI-X disabled || function mask || the entry's mask bit;
 *  - enable: MSI-X enable changed (called before unmask notifications on
 *    enable, after mask notifications on disable).
 *
 * Pending bits are the owner's: it sets one when an interrupt arrives for a
 * masked vector (relay, vfio paths) and takes it when unmasking.  PBA reads
 * return those bits ORed with the optional pba_read hook (the device's PBA).
 *
 * Not thread-safe: the owner serializes calls.
 */
#ifndef VMM_MSIX_H
#define VMM_MSIX_H

#include <stdbool.h>
#include <stdint.h>

#define MSIX_ENTRY_SIZE		16
#define MSIX_MAX_VECTORS	2048

struct msix_ops {
	void (*vector_update)(void *opaque, unsigned int vec, uint64_t addr, uint32_t data);
	void (*vector_mask)(void *opaque, unsigned int vec, bool masked);
	void (*enable)(void *opaque, bool enabled);
	/* Optional: 64 pending bits of the device for PBA qword @qword. */
	uint64_t (*pba_read)(void *opaque, unsigned int qword);
};

struct msix_entry {
	uint32_t addr_lo;
	uint32_t addr_hi;
	uint32_t data;
	uint32_t ctrl;
};

struct msix {
	unsigned int nr;
	struct msix_entry *table;
	uint64_t *pending;
	bool enabled;
	bool maskall;
	const struct msix_ops *ops;
	void *opaque;
};

/* All entries start masked with address and data 0.  0 or -errno. */
int msix_init(struct msix *m, unsigned int nr, const struct msix_ops *ops, void *opaque);
void msix_free(struct msix *m);

/* Size of the table and of the PBA in bytes. */
unsigned int msix_table_size(const struct msix *m);
unsigned int msix_pba_size(const struct msix *m);

/* Guest accesses at offset @off from the table/PBA start, @len 4 or 8. */
void msix_table_read(struct msix *m, uint64_t off, void *data, unsigned int len);
void msix_table_write(struct msix *m, uint64_t off, const void *data, unsigned int len);
void msix_pba_read(struct msix *m, uint64_t off, void *data, unsigned int len);

/*
 * As a function reset leaves it: MSI-X disabled (told through the ops as
 * msix_set_ctrl() does), every entry masked with address and data 0, no
 * pending bit.
 */
void msix_reset(struct msix *m);

/* From the MSI-X capability's control word. */
void msix_set_ctrl(struct msix *m, bool enabled, bool maskall);

bool msix_masked(const struct msix *m, unsigned int vec);
void msix_message(const struct msix *m, unsigned int vec, uint64_t *addr, uint32_t *data);
void msix_set_pending(struct msix *m, unsigned int vec);
/* Clear and return the vector's pending bit. */
bool msix_take_pending(struct msix *m, unsigned int vec);

#endif /* VMM_MSIX_H */
