// SPDX-License-Identifier: GPL-2.0
/*
 * MSI-X table and PBA emulation: see msix.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/pci_regs.h>

#include "msix.h"

int msix_init(struct msix *m, unsigned int nr, const struct msix_ops *ops, void *opaque)
{
	unsigned int i;

	memset(m, 0, sizeof(*m));
	if (!nr || nr > MSIX_MAX_VECTORS)
		return -EINVAL;
	m->table = calloc(nr, sizeof(*m->table));
	m->pending = calloc((nr + 63) / 64, sizeof(*m->pending));
	if (!m->table || !m->pending) {
		msix_free(m);
		return -ENOMEM;
	}
	for (i = 0; i < nr; i++)
		m->table[i].ctrl = PCI_MSIX_ENTRY_CTRL_MASKBIT;
	m->nr = nr;
	m->ops = ops;
	m->opaque = opaque;
	return 0;
}

void msix_free(struct msix *m)
{
	free(m->table);
	free(m->pending);
	m->table = NULL;
	m->pending = NULL;
	m->nr = 0;
}

unsigned int msix_table_size(const struct msix *m)
{
	return m->nr * MSIX_ENTRY_SIZE;
}

unsigned int msix_pba_size(const struct msix *m)
{
	return (m->nr + 63) / 64 * 8;
}

static bool entry_masked(const struct msix *m, unsigned int vec, uint32_t ctrl)
{
	return !m->enabled || m->maskall || (ctrl & PCI_MSIX_ENTRY_CTRL_MASKBIT);
}

bool msix_masked(const struct msix *m, unsigned int vec)
{
	return vec >= m->nr || entry_masked(m, vec, m->table[vec].ctrl);
}

void msix_message(const struct msix *m, unsigned int vec, uint64_t *addr, uint32_t *data)
{
	const struct msix_entry *e = &m->table[vec];

	*addr = (uint64_t)e->addr_hi << 32 | e->addr_lo;
	*data = e->data;
}

static uint32_t *entry_word(struct msix *m, unsigned int vec, unsigned int word)
{
	struct msix_entry *e = &m->table[vec];

	switch (word) {
	case 0: return &e->addr_lo;
	case 1: return &e->addr_hi;
	case 2: return &e->data;
	default: return &e->ctrl;
	}
}

static void table_write32(struct msix *m, uint64_t off, uint32_t v)
{
	unsigned int vec, word = (off % MSIX_ENTRY_SIZE) / 4;
	uint32_t *p;
	bool was;

	/* compare in 64 bits: a far offset must not wrap onto a vector */
	if (off / MSIX_ENTRY_SIZE >= m->nr)
		return;
	vec = off / MSIX_ENTRY_SIZE;
	p = entry_word(m, vec, word);
	if (word == 3) {
		was = msix_masked(m, vec);
		*p = v & PCI_MSIX_ENTRY_CTRL_MASKBIT;
		if (was != msix_masked(m, vec) && m->ops->vector_mask)
			m->ops->vector_mask(m->opaque, vec, !was);
		return;
	}
	if (word == 0)
		v &= ~3u;
	if (*p == v)
		return;
	*p = v;
	if (m->ops->vector_update) {
		uint64_t addr;
		uint32_t data;

		msix_message(m, vec, &addr, &data);
		m->ops->vector_update(m->opaque, vec, addr, data);
	}
}

void msix_table_read(struct msix *m, uint64_t off, void *data, unsigned int len)
{
	uint32_t w[2] = { 0, 0 };
	unsigned int i;

	if ((len != 4 && len != 8) || (off & (len - 1))) {
		memset(data, 0xff, len);
		return;
	}
	for (i = 0; i < len / 4; i++) {
		uint64_t o = off + 4 * i;

		if (o / MSIX_ENTRY_SIZE < m->nr)
			w[i] = *entry_word(m, o / MSIX_ENTRY_SIZE,
					   (o % MSIX_ENTRY_SIZE) / 4);
	}
	memcpy(data, w, len);
}

void msix_table_write(struct msix *m, uint64_t off, const void *data, unsigned int len)
{
	uint32_t w[2];
	unsigned int i;

	if ((len != 4 && len != 8) || (off & (len - 1)))
		return;
	memcpy(w, data, len);
	for (i = 0; i < len / 4; i++)
		table_write32(m, off + 4 * i, w[i]);
}

void msix_pba_read(struct msix *m, uint64_t off, void *data, unsigned int len)
{
	unsigned int q = off / 8;
	uint64_t v = 0;

	if ((len != 4 && len != 8) || (off & (len - 1)) || off >= msix_pba_size(m)) {
		memset(data, 0, len);
		return;
	}
	v = m->pending[q];
	if (m->ops->pba_read)
		v |= m->ops->pba_read(m->opaque, q);
	if (len == 4) {
		uint32_t h = (uint32_t)(v >> (off & 4 ? 32 : 0));

		memcpy(data, &h, 4);
	} else {
		memcpy(data, &v, 8);
	}
}

void msix_set_ctrl(struct msix *m, bool enabled, bool maskall)
{
	bool old_enabled = m->enabled, old_maskall = m->maskall;
	unsigned int i;

	if (enabled == old_enabled && maskall == old_maskall)
		return;
	if (enabled && !old_enabled && m->ops->enable)
		m->ops->enable(m->opaque, true);
	m->enabled = enabled;
	m->maskall = maskall;
	for (i = 0; i < m->nr; i++) {
		bool entry = m->table[i].ctrl & PCI_MSIX_ENTRY_CTRL_MASKBIT;
		bool was = !old_enabled || old_maskall || entry;
		bool now = msix_masked(m, i);

		if (was != now && m->ops->vector_mask)
			m->ops->vector_mask(m->opaque, i, now);
	}
	if (!enabled && old_enabled && m->ops->enable)
		m->ops->enable(m->opaque, false);
}

void msix_reset(struct msix *m)
{
	unsigned int i;

	msix_set_ctrl(m, false, false);
	for (i = 0; i < m->nr; i++)
		m->table[i] = (struct msix_entry){ .ctrl = PCI_MSIX_ENTRY_CTRL_MASKBIT };
	memset(m->pending, 0, (m->nr + 63) / 64 * sizeof(*m->pending));
}

void msix_set_pending(struct msix *m, unsigned int vec)
{
	if (vec < m->nr)
		m->pending[vec / 64] |= 1ull << (vec % 64);
}

bool msix_take_pending(struct msix *m, unsigned int vec)
{
	uint64_t bit = 1ull << (vec % 64);
	bool p;

	if (vec >= m->nr)
		return false;
	p = m->pending[vec / 64] & bit;
	m->pending[vec / 64] &= ~bit;
	return p;
}
