/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A table of trapped address ranges (MMIO or port I/O) and their handlers,
 * safe to change while vCPU threads dispatch through it.
 *
 * Locking: a mutex protects the list; a handler runs without it, pinned by
 * the region's in-flight count.  io_table_unregister() unlinks the region
 * and waits until no other thread is inside its handler: after it returns
 * the handler is never called again and its opaque may be freed.  Handlers
 * may register and unregister regions, their own included (the dispatcher
 * then frees the region when the handler returns).
 */
#ifndef VIBEVMM_IO_H
#define VIBEVMM_IO_H

#include <stdbool.h>
#include <stdint.h>

#include "vm.h"

struct io_table;

struct io_table *io_table_new(void);
/* Frees every region; no dispatch may be running. */
void io_table_free(struct io_table *t);
/* 0, -EINVAL (empty/wrapping range), -EBUSY (overlap) or -ENOMEM. */
int io_table_register(struct io_table *t, uint64_t base, uint64_t len, vm_io_fn fn,
		      void *opaque);
/*
 * The region starting at @base registered with @opaque: 0, or -ENOENT when
 * there is none (another owner's region at @base is left alone: a guest can
 * place a BAR where another handler lives, and the owner only knows where
 * it tried to register).
 */
int io_table_unregister(struct io_table *t, uint64_t base, const void *opaque);
/* Calls the handler covering addr; false if there is none. */
bool io_table_dispatch(struct io_table *t, uint64_t addr, void *data, unsigned int len,
		       bool is_write);

#endif
