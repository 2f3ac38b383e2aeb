// SPDX-License-Identifier: GPL-2.0
/*
 * Config space emulation for assigned devices: see vfio_cfg.h.
 */
#include <errno.h>
#include <string.h>
#include <linux/pci_regs.h>

#include "vfio_cfg.h"

#define CMD_FORWARD	(PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | \
			 PCI_COMMAND_PARITY | PCI_COMMAND_SERR | \
			 PCI_COMMAND_INTX_DISABLE)
#define CMD_EMULATED	(CMD_FORWARD)
#define MSIX_CTRL_EMU	(PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL)

static uint32_t phys_read(struct vcfg *c, unsigned int off, unsigned int len)
{
	uint32_t v = 0;

	if (c->be->read(c->be_opaque, off, &v, len))
		return len == 4 ? 0xffffffffu : (1u << (len * 8)) - 1;
	return v;
}

static void phys_write(struct vcfg *c, unsigned int off, unsigned int len, uint32_t v)
{
	/* A failed forward is the device's problem; the guest sees it on read. */
	(void)c->be->write(c->be_opaque, off, &v, len);
}

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

static int init_bars(struct vcfg *c, const uint64_t bar_size[VCFG_NR_BARS])
{
	int i;

	for (i = 0; i < VCFG_NR_BARS; i++) {
		struct vcfg_bar *b = &c->bar[i];
		uint32_t v;

		if (b->upper || !bar_size[i])
			continue;
		if (!is_pow2(bar_size[i]))
			return -EINVAL;
		v = phys_read(c, PCI_BASE_ADDRESS_0 + 4 * i, 4);
		b->size = bar_size[i];
		b->io = v & PCI_BASE_ADDRESS_SPACE_IO;
		if (b->io) {
			b->flags = v & ~PCI_BASE_ADDRESS_IO_MASK;
			if (b->size < 4)
				b->size = 4;
			continue;
		}
		b->flags = v & ~PCI_BASE_ADDRESS_MEM_MASK;
		if (b->size < 16)
			b->size = 16;
		b->mem64 = (v & PCI_BASE_ADDRESS_MEM_TYPE_MASK) ==
			   PCI_BASE_ADDRESS_MEM_TYPE_64;
		if (b->mem64) {
			if (i == VCFG_NR_BARS - 1)
				return -EINVAL;
			c->bar[i + 1].upper = true;
		} else if (b->size > (1ull << 32)) {
			return -EINVAL;
		}
	}
	return 0;
}

/* Registers of the kept capabilities, for overlap and free-space checks. */
struct cap_range {
	unsigned int pos, len;
};

static int kept_ranges(const struct vcfg *c, struct cap_range r[4])
{
	int n = 0;

	if (c->msi_cap)
		r[n++] = (struct cap_range){ c->msi_cap, c->msi_size };
	if (c->msix_cap)
		r[n++] = (struct cap_range){ c->msix_cap, PCI_CAP_MSIX_SIZEOF };
	if (c->pcie_cap)
		r[n++] = (struct cap_range){ c->pcie_cap, c->pcie_size };
	if (c->pm_cap)
		r[n++] = (struct cap_range){ c->pm_cap, PCI_PM_SIZEOF };
	return n;
}

static bool range_free(const struct vcfg *c, unsigned int pos, unsigned int len)
{
	struct cap_range r[4];
	int i, n = kept_ranges(c, r);

	for (i = 0; i < n; i++)
		if (pos < r[i].pos + r[i].len && r[i].pos < pos + len)
			return false;
	return pos >= 0x40 && pos + len <= 256;
}

/* Whether the kept capability at @pos runs past 0xff or into another. */
static bool cap_clashes(const struct vcfg *c, unsigned int pos, unsigned int len)
{
	struct cap_range r[4];
	int i, n = kept_ranges(c, r);

	for (i = 0; i < n; i++)
		if (r[i].pos != pos && pos < r[i].pos + r[i].len && r[i].pos < pos + len)
			return true;
	return pos + len > 256;
}

/* Every kept capability ends by 0xff and no two share a register. */
static bool ranges_valid(const struct vcfg *c)
{
	struct cap_range r[4];
	int i, j, n = kept_ranges(c, r);

	for (i = 0; i < n; i++)
		if (r[i].pos + r[i].len > 256)
			return false;
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (r[i].pos < r[j].pos + r[j].len && r[j].pos < r[i].pos + r[i].len)
				return false;
	return true;
}

static void link_cap(struct vcfg *c, uint8_t pos, uint8_t *prev)
{
	c->cap_kept[pos] = true;
	if (*prev)
		c->cap_next[*prev] = pos;
	else
		c->cap_first = pos;
	*prev = pos;
}

/*
 * The bytes known to belong to the hidden capability at @pos: up to the
 * next capability of the list (@caps), or, for the last one, a
 * vendor-specific capability's length; 0 when unknown.
 */
static unsigned int hidden_len(struct vcfg *c, uint8_t pos, const uint8_t *caps, int nr)
{
	unsigned int end = 256, len;
	int i;

	for (i = 0; i < nr; i++)
		if (caps[i] > pos && caps[i] < end)
			end = caps[i];
	if (end < 256)
		return end - pos;
	if (phys_read(c, pos + PCI_CAP_LIST_ID, 1) != PCI_CAP_ID_VNDR)
		return 0;
	len = phys_read(c, pos + PCI_CAP_FLAGS, 1);
	return len < end - pos ? len : end - pos;
}

/*
 * A device without PM capability gets an emulated one, over a capability
 * it has and we hide (@dropped; @caps: every capability of the list), so
 * that it covers no device register; without room there, none.
 */
static uint8_t pm_room(struct vcfg *c, const uint8_t *dropped, int nr_dropped,
		       const uint8_t *caps, int nr_caps)
{
	int i;

	for (i = 0; i < nr_dropped; i++)
		if (hidden_len(c, dropped[i], caps, nr_caps) >= PCI_PM_SIZEOF &&
		    range_free(c, dropped[i], PCI_PM_SIZEOF))
			return dropped[i];
	return 0;
}

/*
 * The whole PCI Express capability is emulated, so that none of its
 * registers reaches the device unseen: version 2 has them all (to Slot
 * Control 2, 0x3c); version 1 to Root Status (0x24), or to the next
 * capability if one starts earlier, but at least its link registers.
 */
#define PCIE_V2_SIZE	0x3c
#define PCIE_V1_SIZE	0x24

static unsigned int pcie_size(const struct vcfg *c, const uint8_t *dropped, int nr_dropped)
{
	unsigned int caps[3] = { c->msi_cap, c->msix_cap, c->pm_cap };
	unsigned int end = c->pcie_cap + PCIE_V1_SIZE;
	int i;

	if (c->pcie_vers == 2)
		return PCIE_V2_SIZE;
	for (i = 0; i < 3 + nr_dropped; i++) {
		unsigned int p = i < 3 ? caps[i] : dropped[i - 3];

		if (p > c->pcie_cap && p < end)
			end = p;
	}
	if (end > 256)
		end = 256;
	end -= c->pcie_cap;
	return end < PCI_CAP_EXP_ENDPOINT_SIZEOF_V1 ? PCI_CAP_EXP_ENDPOINT_SIZEOF_V1 : end;
}

static bool cap_is_kept(const struct vcfg *c, uint8_t pos)
{
	return pos == c->msi_cap || pos == c->msix_cap || pos == c->pcie_cap || pos == c->pm_cap;
}

static int init_caps(struct vcfg *c)
{
	uint8_t pos, prev = 0, dropped[48 + 2], order[4];
	int guard = 48, nr_dropped = 0, nr_order = 0, i;

	if (!(phys_read(c, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST))
		pos = 0;
	else
		pos = phys_read(c, PCI_CAPABILITY_LIST, 1) & ~3;
	while (pos >= 0x40 && guard--) {
		uint8_t id = phys_read(c, pos + PCI_CAP_LIST_ID, 1);
		uint8_t next = phys_read(c, pos + PCI_CAP_LIST_NEXT, 1) & ~3;
		bool keep = false;

		if (id == PCI_CAP_ID_MSI && !c->msi_cap) {
			uint16_t flags = phys_read(c, pos + PCI_MSI_FLAGS, 2);

			c->msi_cap = pos;
			c->msi_64 = flags & PCI_MSI_FLAGS_64BIT;
			c->msi_size = c->msi_64 ? 14 : 10;
			if (flags & PCI_MSI_FLAGS_MASKBIT)
				c->msi_size += 10;
			keep = true;
		} else if (id == PCI_CAP_ID_MSIX && !c->msix_cap) {
			/* registers past 0xff would be extended space */
			if (pos + PCI_CAP_MSIX_SIZEOF > 256)
				return -EINVAL;
			c->msix_cap = pos;
			c->msix_qsize = phys_read(c, pos + PCI_MSIX_FLAGS, 2) &
					PCI_MSIX_FLAGS_QSIZE;
			c->msix_table = phys_read(c, pos + PCI_MSIX_TABLE, 4);
			c->msix_pba = phys_read(c, pos + PCI_MSIX_PBA, 4);
			/* BIR 6 and 7 are reserved: no BAR to put them in */
			if ((c->msix_table & PCI_MSIX_TABLE_BIR) >= VCFG_NR_BARS ||
			    (c->msix_pba & PCI_MSIX_PBA_BIR) >= VCFG_NR_BARS)
				return -EINVAL;
			keep = true;
		} else if (id == PCI_CAP_ID_EXP && !c->pcie_cap) {
			uint16_t flags = phys_read(c, pos + PCI_EXP_FLAGS, 2);

			c->pcie_cap = pos;
			c->pcie_vers = (flags & PCI_EXP_FLAGS_VERS) >= 2 ? 2 : 1;
			keep = true;
		} else if (id == PCI_CAP_ID_PM && !c->pm_cap) {
			c->pm_cap = pos;
			keep = true;
		} else if (nr_dropped < 48) {
			dropped[nr_dropped++] = pos;
		}
		if (keep)
			order[nr_order++] = pos;
		pos = next;
	}
	/*
	 * A PCI Express or PM capability running past 0xff or into another
	 * kept one is hidden (PCI Express first: the larger); MSI or MSI-X
	 * doing so is refused (the device's interrupts would be wrong).
	 */
	if (c->pcie_cap) {
		c->pcie_size = pcie_size(c, dropped, nr_dropped);
		if (cap_clashes(c, c->pcie_cap, c->pcie_size)) {
			dropped[nr_dropped++] = c->pcie_cap;
			c->pcie_cap = c->pcie_size = c->pcie_vers = 0;
		}
	}
	if (c->pm_cap && cap_clashes(c, c->pm_cap, PCI_PM_SIZEOF)) {
		dropped[nr_dropped++] = c->pm_cap;
		c->pm_cap = 0;
	}
	if (!ranges_valid(c))
		return -EINVAL;
	for (i = 0; i < nr_order; i++)
		if (cap_is_kept(c, order[i]))
			link_cap(c, order[i], &prev);
	if (!c->pm_cap) {
		uint8_t caps[48 + 2 + 4];

		memcpy(caps, dropped, nr_dropped);
		memcpy(caps + nr_dropped, order, nr_order);
		pos = pm_room(c, dropped, nr_dropped, caps, nr_dropped + nr_order);
		if (pos) {
			c->pm_cap = pos;
			link_cap(c, pos, &prev);
		}
	}
	c->cap_next[prev] = 0;
	return 0;
}

int vcfg_init(struct vcfg *c, const struct vcfg_backend *be, void *be_opaque,
	      const struct vcfg_ops *ops, void *opaque,
	      const uint64_t bar_size[VCFG_NR_BARS], bool hide_intx)
{
	uint32_t v;
	int ret;

	memset(c, 0, sizeof(*c));
	c->be = be;
	c->be_opaque = be_opaque;
	c->ops = ops;
	c->opaque = opaque;
	if (be->read(be_opaque, PCI_VENDOR_ID, &v, 4))
		return -EIO;
	if ((v & 0xffff) == 0xffff)
		return -ENODEV;
	ret = init_bars(c, bar_size);
	if (ret)
		return ret;
	c->header = phys_read(c, PCI_HEADER_TYPE, 1) & 0x7f;
	if (c->header != PCI_HEADER_TYPE_NORMAL)
		return -ENOTSUP;
	c->irq_pin = hide_intx ? 0 : phys_read(c, PCI_INTERRUPT_PIN, 1);
	return init_caps(c);
}

void vcfg_set_bar_addr(struct vcfg *c, int bar, uint64_t addr)
{
	if (bar >= 0 && bar < VCFG_NR_BARS && c->bar[bar].size)
		c->bar[bar].addr = addr & ~(c->bar[bar].size - 1);
}

int vcfg_set_rom(struct vcfg *c, uint64_t size, uint32_t addr)
{
	if (size && (!is_pow2(size) || size < 2048 || size > (1ull << 31)))
		return -EINVAL;
	c->rom_size = size;
	c->rom = size ? addr & ~(uint32_t)(size - 1) & PCI_ROM_ADDRESS_MASK : 0;
	return 0;
}

void vcfg_set_resettable(struct vcfg *c, bool can_reset)
{
	c->can_reset = can_reset;
}

bool vcfg_bar_decoding(const struct vcfg *c, int bar)
{
	const struct vcfg_bar *b;

	if (bar == VCFG_ROM)
		return c->rom_size && (c->rom & PCI_ROM_ADDRESS_ENABLE) &&
		       (c->command & PCI_COMMAND_MEMORY);
	b = &c->bar[bar];
	if (!b->size)
		return false;
	return c->command & (b->io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY);
}

static uint32_t bar_dword(struct vcfg *c, int i)
{
	struct vcfg_bar *b = &c->bar[i];

	if (b->upper)
		return c->bar[i - 1].addr >> 32;
	if (!b->size)
		return 0;
	return (uint32_t)b->addr | b->flags;
}

static uint32_t msi_dword(struct vcfg *c, unsigned int d)
{
	unsigned int rel = d - c->msi_cap;
	uint32_t data_off = c->msi_64 ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32;
	uint16_t flags;

	if (rel == 0) {
		/* One vector, no per-vector masking; 64-bit as the device. */
		flags = c->msi_64 ? PCI_MSI_FLAGS_64BIT : 0;
		if (c->msi_enabled)
			flags |= PCI_MSI_FLAGS_ENABLE;
		return PCI_CAP_ID_MSI | c->cap_next[c->msi_cap] << 8 |
		       (uint32_t)flags << 16;
	}
	if (rel == PCI_MSI_ADDRESS_LO)
		return c->msi_addr_lo;
	if (c->msi_64 && rel == PCI_MSI_ADDRESS_HI)
		return c->msi_addr_hi;
	if (rel == data_off)
		return c->msi_data;
	return 0;
}

static uint32_t msix_dword(struct vcfg *c, unsigned int d)
{
	unsigned int rel = d - c->msix_cap;

	if (rel == 0)
		return PCI_CAP_ID_MSIX | c->cap_next[c->msix_cap] << 8 |
		       (uint32_t)(c->msix_qsize | c->msix_ctrl) << 16;
	if (rel == PCI_MSIX_TABLE)
		return c->msix_table;
	return c->msix_pba;
}

/*
 * The function as a Root Complex Integrated Endpoint: no link, no slot, no
 * root registers, their "2" versions included (they read 0).
 */
static uint32_t pcie_dword(struct vcfg *c, unsigned int d)
{
	unsigned int rel = d - c->pcie_cap;
	uint32_t v;

	switch (rel) {
	case 0:
		v = (c->pcie_vers & PCI_EXP_FLAGS_VERS) | PCI_EXP_TYPE_RC_END << 4;
		return PCI_CAP_ID_EXP | c->cap_next[c->pcie_cap] << 8 | v << 16;
	case PCI_EXP_DEVCAP:
		v = phys_read(c, d, 4);
		return c->can_reset ? v : v & ~PCI_EXP_DEVCAP_FLR;
	case PCI_EXP_DEVCTL:
		/* "Initiate FLR" always reads 0 */
		return phys_read(c, d, 4) & ~(uint32_t)PCI_EXP_DEVCTL_BCR_FLR;
	case PCI_EXP_DEVCAP2:
	case PCI_EXP_DEVCTL2:
		return c->pcie_vers == 2 ? phys_read(c, d, 4) : 0;
	}
	return 0;	/* link, slot and root registers (1 and 2): none */
}

static uint32_t pm_dword(struct vcfg *c, unsigned int d)
{
	uint32_t csr = c->pm_state;

	if (d == c->pm_cap)	/* PM 1.2, no D1/D2, no PME */
		return PCI_CAP_ID_PM | c->cap_next[c->pm_cap] << 8 |
		       (uint32_t)3 << 16;
	if (!c->can_reset)
		csr |= PCI_PM_CTRL_NO_SOFT_RESET;
	return csr;
}

static bool in_cap(unsigned int cap, unsigned int size, unsigned int d)
{
	return cap && d >= cap && d < cap + size;
}

static bool in_msi(const struct vcfg *c, unsigned int d)
{
	return c->msi_cap && d >= c->msi_cap && d < c->msi_cap + c->msi_size;
}

static bool in_msix(const struct vcfg *c, unsigned int d)
{
	return c->msix_cap && d >= c->msix_cap && d < c->msix_cap + 12u;
}

static uint32_t read_dword(struct vcfg *c, unsigned int d)
{
	uint32_t v;

	if (d >= 256)
		return 0;	/* extended capabilities hidden */
	switch (d) {
	case PCI_VENDOR_ID:
	case PCI_CLASS_REVISION:
	case PCI_SUBSYSTEM_VENDOR_ID:
		return phys_read(c, d, 4);
	case PCI_COMMAND:
		v = phys_read(c, PCI_STATUS, 2) & ~PCI_STATUS_CAP_LIST;
		if (c->cap_first)
			v |= PCI_STATUS_CAP_LIST;
		return c->command | v << 16;
	case PCI_CACHE_LINE_SIZE:
		return c->cacheline | c->latency << 8 | (uint32_t)c->header << 16;
	case PCI_BASE_ADDRESS_0 ... PCI_BASE_ADDRESS_5:
		return bar_dword(c, (d - PCI_BASE_ADDRESS_0) / 4);
	case PCI_ROM_ADDRESS:
		return c->rom;
	case PCI_CARDBUS_CIS:
	case 0x38:
		return 0;
	case PCI_CAPABILITY_LIST:
		return c->cap_first;
	case PCI_INTERRUPT_LINE:
		return c->irq_line | c->irq_pin << 8;
	}
	if (in_msi(c, d))
		return msi_dword(c, d);
	if (in_msix(c, d))
		return msix_dword(c, d);
	if (in_cap(c->pcie_cap, c->pcie_size, d))
		return pcie_dword(c, d);
	if (in_cap(c->pm_cap, PCI_PM_SIZEOF, d))
		return pm_dword(c, d);
	return phys_read(c, d, 4);
}

uint32_t vcfg_read(struct vcfg *c, unsigned int off, unsigned int len)
{
	unsigned int shift = (off & 3) * 8;
	uint32_t v;

	if (off >= VCFG_SIZE || (len != 1 && len != 2 && len != 4) ||
	    (off & 3) + len > 4)
		return len >= 4 ? 0xffffffffu : (1u << (len * 8)) - 1;
	v = read_dword(c, off & ~3u) >> shift;
	return len == 4 ? v : v & ((1u << (len * 8)) - 1);
}

static void bar_write(struct vcfg *c, int i, uint32_t v)
{
	struct vcfg_bar *b;
	uint64_t old, addr;
	int lo = c->bar[i].upper ? i - 1 : i;

	b = &c->bar[lo];
	if (!b->size)
		return;
	old = b->addr;
	if (c->bar[i].upper)
		addr = (old & 0xffffffffull) | (uint64_t)v << 32;
	else
		addr = (old & ~0xffffffffull) | v;
	addr &= ~(b->size - 1);
	if (b->io)
		addr &= 0xffff;
	else if (!b->mem64)
		addr &= 0xffffffffull;
	if (addr == old)
		return;
	if (vcfg_bar_decoding(c, lo) && c->ops->bar_map)
		c->ops->bar_map(c->opaque, lo, old, false);
	b->addr = addr;
	if (vcfg_bar_decoding(c, lo) && c->ops->bar_map)
		c->ops->bar_map(c->opaque, lo, addr, true);
}

static void command_write(struct vcfg *c, uint16_t cmd)
{
	uint16_t old = c->command, changed, fwd = cmd & CMD_FORWARD;
	int i;

	c->command = cmd & CMD_EMULATED;
	if (c->master_blocked)	/* not reset: no DMA with the guest's setup */
		fwd &= ~PCI_COMMAND_MASTER;
	phys_write(c, PCI_COMMAND, 2, (phys_read(c, PCI_COMMAND, 2) & ~CMD_FORWARD) | fwd);
	changed = old ^ c->command;
	if (!(changed & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY)) || !c->ops->bar_map)
		return;
	for (i = 0; i < VCFG_NR_BARS; i++) {
		struct vcfg_bar *b = &c->bar[i];
		uint16_t bit = b->io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY;

		if (!b->size || !(changed & bit))
			continue;
		c->ops->bar_map(c->opaque, i, b->addr, c->command & bit);
	}
	if ((changed & PCI_COMMAND_MEMORY) && c->rom_size && (c->rom & PCI_ROM_ADDRESS_ENABLE))
		c->ops->bar_map(c->opaque, VCFG_ROM, c->rom & PCI_ROM_ADDRESS_MASK,
				vcfg_bar_decoding(c, VCFG_ROM));
}

static void rom_write(struct vcfg *c, uint32_t v)
{
	uint32_t old = c->rom;
	bool was = vcfg_bar_decoding(c, VCFG_ROM);

	if (!c->rom_size)
		return;
	c->rom = v & (~(uint32_t)(c->rom_size - 1) | PCI_ROM_ADDRESS_ENABLE) &
		 (PCI_ROM_ADDRESS_MASK | PCI_ROM_ADDRESS_ENABLE);
	if (c->rom == old || !c->ops->bar_map)
		return;
	if (was)
		c->ops->bar_map(c->opaque, VCFG_ROM, old & PCI_ROM_ADDRESS_MASK, false);
	if (vcfg_bar_decoding(c, VCFG_ROM))
		c->ops->bar_map(c->opaque, VCFG_ROM, c->rom & PCI_ROM_ADDRESS_MASK, true);
}

static void msi_notify(struct vcfg *c)
{
	uint64_t addr = c->msi_addr_lo;

	if (c->msi_64)
		addr |= (uint64_t)c->msi_addr_hi << 32;
	if (c->ops->msi_update)
		c->ops->msi_update(c->opaque, c->msi_enabled, addr, c->msi_data);
}

/* @v: the whole dword after merging the written bytes; @mask: bytes written. */
static void msi_write(struct vcfg *c, unsigned int d, uint32_t v, uint32_t mask)
{
	unsigned int rel = d - c->msi_cap;
	uint32_t data_off = c->msi_64 ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32;
	bool was = c->msi_enabled, changed = false;

	if (rel == 0) {
		if (!(mask & 0xffff0000u))
			return;
		c->msi_enabled = (v >> 16) & PCI_MSI_FLAGS_ENABLE;
		changed = was != c->msi_enabled;
	} else if (rel == PCI_MSI_ADDRESS_LO) {
		changed = c->msi_addr_lo != (v & ~3u);
		c->msi_addr_lo = v & ~3u;
	} else if (c->msi_64 && rel == PCI_MSI_ADDRESS_HI) {
		changed = c->msi_addr_hi != v;
		c->msi_addr_hi = v;
	} else if (rel == data_off) {
		changed = c->msi_data != (uint16_t)v;
		c->msi_data = v;
	}
	if (changed && (was || c->msi_enabled))
		msi_notify(c);
}

static void msix_write(struct vcfg *c, unsigned int d, uint32_t v, uint32_t mask)
{
	uint16_t ctrl;

	if (d != c->msix_cap || !(mask & 0xffff0000u))
		return;
	ctrl = (v >> 16) & MSIX_CTRL_EMU;
	if (ctrl == c->msix_ctrl)
		return;
	c->msix_ctrl = ctrl;
	if (c->ops->msix_ctrl)
		c->ops->msix_ctrl(c->opaque, ctrl & PCI_MSIX_FLAGS_ENABLE,
				  ctrl & PCI_MSIX_FLAGS_MASKALL);
}

/*
 * A function reset: the emulated registers as a reset leaves them, each
 * change told through the callbacks; then the owner resets the device.
 * BAR bases are kept (the guest restores them anyway).  If the device
 * could not be reset, it keeps the state the guest gave it: Bus Master
 * stays off in what reaches it (the guest still sees its own bit).
 */
static void function_reset(struct vcfg *c)
{
	bool msi_was = c->msi_enabled;

	command_write(c, 0);
	c->rom &= ~(uint32_t)PCI_ROM_ADDRESS_ENABLE;
	c->cacheline = c->latency = 0;
	c->msi_enabled = false;
	c->msi_addr_lo = c->msi_addr_hi = 0;
	c->msi_data = 0;
	if (msi_was)
		msi_notify(c);
	if (c->msix_ctrl) {
		c->msix_ctrl = 0;
		if (c->ops->msix_ctrl)
			c->ops->msix_ctrl(c->opaque, false, false);
	}
	c->pm_state = VCFG_D0;
	/* the command register reached the device as 0: nothing to rewrite */
	if (c->ops->reset)
		c->master_blocked = c->ops->reset(c->opaque) != 0;
}

/* PCI Express: Device Control (FLR) and Status, Device Control 2. */
static void pcie_write(struct vcfg *c, unsigned int d, uint32_t v, uint32_t mask,
		       uint32_t raw)
{
	unsigned int rel = d - c->pcie_cap;
	uint32_t devcap;

	if (rel == PCI_EXP_DEVCTL2 && c->pcie_vers == 2 && (mask & 0xffff)) {
		phys_write(c, d, 2, v & 0xffff);
		return;
	}
	if (rel != PCI_EXP_DEVCTL)
		return;
	if (mask & 0xffff0000u)	/* Device Status: write-1-to-clear */
		phys_write(c, d + 2, 2, (raw >> 16) & (mask >> 16));
	if (!(mask & 0xffff))
		return;
	phys_write(c, d, 2, v & 0xffff & ~PCI_EXP_DEVCTL_BCR_FLR);
	devcap = pcie_dword(c, c->pcie_cap + PCI_EXP_DEVCAP);
	if ((v & PCI_EXP_DEVCTL_BCR_FLR) && (devcap & PCI_EXP_DEVCAP_FLR))
		function_reset(c);
}

/* Power management: D0 and D3hot; D3hot -> D0 resets unless No_Soft_Reset. */
static void pm_write(struct vcfg *c, unsigned int d, uint32_t v, uint32_t mask)
{
	uint8_t state = v & PCI_PM_CTRL_STATE_MASK, old = c->pm_state;

	if (d != c->pm_cap + PCI_PM_CTRL + 0u || !(mask & 0xff))
		return;
	if (state != VCFG_D0 && state != VCFG_D3HOT)
		return;	/* D1, D2: not supported, the write is ignored */
	c->pm_state = state;
	if (old == VCFG_D3HOT && state == VCFG_D0 && c->can_reset)
		function_reset(c);
}

void vcfg_write(struct vcfg *c, unsigned int off, unsigned int len, uint32_t val)
{
	unsigned int d = off & ~3u, shift = (off & 3) * 8;
	uint32_t mask, v;

	if (off >= 256 || (len != 1 && len != 2 && len != 4) || (off & 3) + len > 4)
		return;
	mask = (len == 4 ? 0xffffffffu : (1u << (len * 8)) - 1) << shift;
	v = (read_dword(c, d) & ~mask) | ((val << shift) & mask);

	switch (d) {
	case PCI_VENDOR_ID:
	case PCI_CLASS_REVISION:
	case PCI_CARDBUS_CIS:
	case PCI_SUBSYSTEM_VENDOR_ID:
	case PCI_CAPABILITY_LIST:
	case 0x38:
		return;
	case PCI_ROM_ADDRESS:
		rom_write(c, v);
		return;
	case PCI_COMMAND:
		if (mask & 0xffff)
			command_write(c, v & 0xffff);
		if (mask & 0xffff0000u)	/* status: write-1-to-clear */
			phys_write(c, PCI_STATUS, 2,
				   (val << shift >> 16) & (mask >> 16));
		return;
	case PCI_CACHE_LINE_SIZE:
		c->cacheline = v & 0xff;
		c->latency = (v >> 8) & 0xff;
		return;
	case PCI_BASE_ADDRESS_0 ... PCI_BASE_ADDRESS_5:
		if (mask == 0xffffffffu)
			bar_write(c, (d - PCI_BASE_ADDRESS_0) / 4, v);
		return;
	case PCI_INTERRUPT_LINE:
		c->irq_line = v & 0xff;
		return;
	}
	if (in_msi(c, d)) {
		msi_write(c, d, v, mask);
		return;
	}
	if (in_msix(c, d)) {
		msix_write(c, d, v, mask);
		return;
	}
	if (in_cap(c->pcie_cap, c->pcie_size, d)) {
		pcie_write(c, d, v, mask, val << shift);
		return;
	}
	if (in_cap(c->pm_cap, PCI_PM_SIZEOF, d)) {
		pm_write(c, d, v, mask);
		return;
	}
	phys_write(c, off, len, val);
}

bool vcfg_msix_table(const struct vcfg *c, int *bar, uint32_t *off, unsigned int *nr)
{
	if (!c->msix_cap)
		return false;
	*bar = c->msix_table & PCI_MSIX_TABLE_BIR;
	*off = c->msix_table & PCI_MSIX_TABLE_OFFSET;
	*nr = c->msix_qsize + 1u;
	return true;
}

bool vcfg_msix_pba(const struct vcfg *c, int *bar, uint32_t *off)
{
	if (!c->msix_cap)
		return false;
	*bar = c->msix_pba & PCI_MSIX_PBA_BIR;
	*off = c->msix_pba & PCI_MSIX_PBA_OFFSET;
	return true;
}
