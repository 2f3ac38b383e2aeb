// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the config space model of an assigned device
 * (vmm/vfio_cfg.c) over a fake device whose config space, BAR sizes and
 * guest accesses all come from the input.
 *
 * Input: 1 byte flags (bit 0 hide INTx, 1 place the BARs, 2 resettable,
 * 3 a ROM BAR of 2 KiB << bits 4..7), 6 bytes BAR sizes, 256 bytes device
 * config space, then 8-byte guest accesses (op, offset, len, value).
 * Besides crashes (ASan, UBSan) the target checks, after every access:
 *  - bar_map calls alternate per BAR (and the ROM) and match
 *    vcfg_bar_decoding() and the BAR address; BAR addresses stay aligned
 *    to the BAR size;
 *  - reads of absent space (offset >= 4096, bad length, crossing a dword)
 *    return all ones; extended space reads 0;
 *  - read-after-write of the emulated writable bits (command, cache line,
 *    latency, interrupt line, MSI address/data, MSI-X control);
 *  - identity registers and the capability list are read-only; the list
 *    holds each of MSI, MSI-X, PCI Express and PM at most once, without
 *    overlap, and ends; PM is always there unless no room was left;
 *  - PCI Express reads as an integrated endpoint without link, FLR offered
 *    only when resettable, "Initiate FLR" reads 0; PM state D0 or D3hot,
 *    No_Soft_Reset exactly when not resettable;
 *  - a reset is only asked when resettable, with decoding, MSI and MSI-X
 *    already off; every third one fails, and until the next one Bus
 *    Master never reaches the device;
 *  - the device never sees a write to a BAR, the ROM BAR, the capability
 *    pointer, an identity register, a kept capability's id/next bytes,
 *    the emulated PCI Express or PM registers or the FLR bit, nor any
 *    write outside 0..255;
 *  - a write outside 0..255 changes no state at all.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/pci_regs.h>

#include "fuzz.h"
#include "vmm/vfio_cfg.h"

#define CMD_MASK	(PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | \
			 PCI_COMMAND_PARITY | PCI_COMMAND_SERR | \
			 PCI_COMMAND_INTX_DISABLE)

struct dev {
	uint8_t cfg[256];
	struct vcfg *c;
	bool mapped[VCFG_NR_BARS + 1];		/* [VCFG_ROM] too */
	uint64_t map_addr[VCFG_NR_BARS + 1];
	bool msi_en;
	uint64_t msi_addr;
	uint32_t msi_data;
	bool msix_en, msix_mask;
	unsigned int resets;
	bool reset_failed;	/* the last reset failed */
};

static bool forbidden(const struct dev *d, unsigned int off)
{
	unsigned int dw = off & ~3u;

	if (off < 4 || (off >= PCI_CLASS_REVISION && off < PCI_CACHE_LINE_SIZE))
		return true;
	if (off >= PCI_BASE_ADDRESS_0 && off <= PCI_BASE_ADDRESS_5 + 3)
		return true;
	if (dw == PCI_SUBSYSTEM_VENDOR_ID || dw == PCI_ROM_ADDRESS ||
	    dw == PCI_CARDBUS_CIS || dw == PCI_CAPABILITY_LIST)
		return true;
	if (!d->c)
		return false;
	/* id and next byte of a capability the guest sees */
	if ((off & 3) < 2 && d->c->cap_kept[dw])
		return true;
	/* PM is emulated whole; of PCI Express only the control registers pass */
	if (d->c->pm_cap && off >= d->c->pm_cap && off < d->c->pm_cap + PCI_PM_SIZEOF)
		return true;
	if (d->c->pcie_cap && off >= d->c->pcie_cap && off < d->c->pcie_cap + d->c->pcie_size) {
		unsigned int rel = off - d->c->pcie_cap;

		return !(rel >= PCI_EXP_DEVCTL && rel < PCI_EXP_DEVCTL + 4) &&
		       !(rel >= PCI_EXP_DEVCTL2 && rel < PCI_EXP_DEVCTL2 + 2);
	}
	return false;
}

static int be_read(void *o, unsigned int off, void *buf, unsigned int len)
{
	struct dev *d = o;

	FUZZ_CHECK(len == 1 || len == 2 || len == 4, "device read of %u bytes", len);
	FUZZ_CHECK(off + len <= sizeof(d->cfg), "device read at %#x+%u", off, len);
	memcpy(buf, d->cfg + off, len);
	return 0;
}

static int be_write(void *o, unsigned int off, const void *buf, unsigned int len)
{
	struct dev *d = o;
	unsigned int i;

	FUZZ_CHECK(len == 1 || len == 2 || len == 4, "device write of %u bytes", len);
	FUZZ_CHECK(off + len <= sizeof(d->cfg), "device write at %#x+%u", off, len);
	for (i = 0; i < len; i++)
		FUZZ_CHECK(!forbidden(d, off + i), "device write to emulated byte %#x",
			   off + i);
	if (off == PCI_COMMAND && d->reset_failed) {
		uint16_t cmd;

		memcpy(&cmd, buf, 2);
		FUZZ_CHECK(!(cmd & PCI_COMMAND_MASTER), "Bus Master reached a device not reset");
	}
	if (d->c && d->c->pcie_cap && off == d->c->pcie_cap + PCI_EXP_DEVCTL + 0u) {
		uint16_t ctl;

		memcpy(&ctl, buf, 2);
		FUZZ_CHECK(!(ctl & PCI_EXP_DEVCTL_BCR_FLR), "Initiate FLR reached the device");
	}
	if (off == PCI_STATUS && len == 2) {	/* write-1-to-clear */
		uint16_t v, s;

		memcpy(&v, buf, 2);
		memcpy(&s, d->cfg + off, 2);
		s &= ~v;
		memcpy(d->cfg + off, &s, 2);
		return 0;
	}
	memcpy(d->cfg + off, buf, len);
	return 0;
}

static void cb_bar(void *o, int bar, uint64_t addr, bool on)
{
	struct dev *d = o;

	FUZZ_CHECK(bar >= 0 && bar <= VCFG_ROM, "bar_map for BAR %d", bar);
	if (bar == VCFG_ROM)
		FUZZ_CHECK(d->c->rom_size, "bar_map for a hidden ROM");
	else
		FUZZ_CHECK(d->c->bar[bar].size && !d->c->bar[bar].upper,
			   "bar_map for unimplemented BAR %d", bar);
	if (on) {
		FUZZ_CHECK(!d->mapped[bar], "BAR %d mapped twice", bar);
		d->mapped[bar] = true;
		d->map_addr[bar] = addr;
	} else {
		FUZZ_CHECK(d->mapped[bar] && d->map_addr[bar] == addr,
			   "BAR %d unmapped at %#llx, mapped %d at %#llx", bar,
			   (unsigned long long)addr, d->mapped[bar],
			   (unsigned long long)d->map_addr[bar]);
		d->mapped[bar] = false;
	}
}

static void cb_msi(void *o, bool enabled, uint64_t addr, uint32_t data)
{
	struct dev *d = o;

	d->msi_en = enabled;
	d->msi_addr = addr;
	d->msi_data = data;
}

static void cb_msix(void *o, bool enabled, bool maskall)
{
	struct dev *d = o;

	FUZZ_CHECK(enabled != d->msix_en || maskall != d->msix_mask,
		   "msix_ctrl without a change");
	d->msix_en = enabled;
	d->msix_mask = maskall;
}

/* Every third reset fails (-EAGAIN): Bus Master must then stay off. */
static int cb_reset(void *o)
{
	struct dev *d = o;
	int i;

	FUZZ_CHECK(d->c->can_reset, "reset asked of an owner that cannot");
	for (i = 0; i <= VCFG_ROM; i++)
		FUZZ_CHECK(!d->mapped[i], "reset with BAR %d still decoding", i);
	FUZZ_CHECK(!d->msi_en && !d->msix_en && !d->msix_mask,
		   "reset with MSI or MSI-X still on");
	d->resets++;
	d->reset_failed = d->resets % 3 == 0;
	return d->reset_failed ? -EAGAIN : 0;
}

static const struct vcfg_backend be = { .read = be_read, .write = be_write };
static const struct vcfg_ops ops = {
	.bar_map = cb_bar, .msi_update = cb_msi, .msix_ctrl = cb_msix, .reset = cb_reset,
};

static uint32_t ones(unsigned int len)
{
	return len >= 4 ? 0xffffffffu : (1u << (len * 8)) - 1;
}

static bool valid_access(unsigned int off, unsigned int len)
{
	return (len == 1 || len == 2 || len == 4) && !((off & 3) + len > 4);
}

/* Registers of the listed capabilities never overlap. */
static void check_caps_disjoint(const struct vcfg *c)
{
	unsigned int pos[4], len[4], n = 0, i, j;

	if (c->msi_cap) {
		pos[n] = c->msi_cap;
		len[n++] = c->msi_size;
	}
	if (c->msix_cap) {
		pos[n] = c->msix_cap;
		len[n++] = PCI_CAP_MSIX_SIZEOF;
	}
	if (c->pcie_cap) {
		pos[n] = c->pcie_cap;
		len[n++] = c->pcie_size;
	}
	if (c->pm_cap) {
		pos[n] = c->pm_cap;
		len[n++] = PCI_PM_SIZEOF;
	}
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(pos[i] + len[i] <= 256, "capability at %#x runs past 0xff", pos[i]);
		for (j = i + 1; j < n; j++)
			FUZZ_CHECK(pos[i] + len[i] <= pos[j] || pos[j] + len[j] <= pos[i],
				   "capabilities at %#x and %#x overlap", pos[i], pos[j]);
	}
}

static void check_state(struct dev *d)
{
	struct vcfg *c = d->c;
	unsigned int pos, steps = 0;
	uint32_t seen = 0;
	int i;

	for (i = 0; i < VCFG_NR_BARS; i++) {
		const struct vcfg_bar *b = &c->bar[i];

		FUZZ_CHECK(d->mapped[i] == vcfg_bar_decoding(c, i),
			   "BAR %d mapped %d but decoding %d", i, d->mapped[i],
			   vcfg_bar_decoding(c, i));
		if (d->mapped[i])
			FUZZ_CHECK(d->map_addr[i] == b->addr, "BAR %d mapped at a stale address", i);
		if (b->size && !b->upper)
			FUZZ_CHECK(!(b->addr & (b->size - 1)), "BAR %d address %#llx unaligned",
				   i, (unsigned long long)b->addr);
	}
	/* identity registers read through */
	FUZZ_CHECK(vcfg_read(c, PCI_VENDOR_ID, 4) == fuzz_le32(d->cfg),
		   "vendor/device not the device's");
	FUZZ_CHECK(vcfg_read(c, PCI_CLASS_REVISION, 4) == fuzz_le32(d->cfg + 8),
		   "class not the device's");
	FUZZ_CHECK(d->mapped[VCFG_ROM] == vcfg_bar_decoding(c, VCFG_ROM),
		   "ROM mapped %d but decoding %d", d->mapped[VCFG_ROM],
		   vcfg_bar_decoding(c, VCFG_ROM));
	if (d->mapped[VCFG_ROM])
		FUZZ_CHECK(d->map_addr[VCFG_ROM] == (c->rom & PCI_ROM_ADDRESS_MASK),
			   "ROM mapped at a stale address");
	if (!c->rom_size)
		FUZZ_CHECK(vcfg_read(c, PCI_ROM_ADDRESS, 4) == 0, "ROM BAR not hidden");
	else
		FUZZ_CHECK(!(vcfg_read(c, PCI_ROM_ADDRESS, 4) & (c->rom_size - 1) &
			     PCI_ROM_ADDRESS_MASK), "ROM address unaligned");
	FUZZ_CHECK((vcfg_read(c, PCI_COMMAND, 2) & ~CMD_MASK) == 0,
		   "command bits beyond the emulated ones");
	/* capability list: MSI, MSI-X, PCI Express, PM, each once, no loop */
	pos = vcfg_read(c, PCI_CAPABILITY_LIST, 1);
	FUZZ_CHECK(!!pos == !!(vcfg_read(c, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST),
		   "status capability bit disagrees with the list");
	while (pos) {
		unsigned int id = vcfg_read(c, pos, 1);

		FUZZ_CHECK(pos >= 0x40 && pos < 256 && !(pos & 3), "capability at %#x", pos);
		FUZZ_CHECK(id < 32 && !(seen & 1u << id), "capability %#x listed twice", id);
		seen |= 1u << id;
		FUZZ_CHECK(id == PCI_CAP_ID_MSI || id == PCI_CAP_ID_MSIX ||
			   id == PCI_CAP_ID_EXP || id == PCI_CAP_ID_PM,
			   "capability %#x listed", id);
		FUZZ_CHECK(++steps <= 4, "capability list loops");
		pos = vcfg_read(c, pos + 1, 1);
	}
	FUZZ_CHECK(!!c->pm_cap == !!(seen & 1u << PCI_CAP_ID_PM), "PM listed or not");
	check_caps_disjoint(c);
	if (c->pcie_cap) {
		unsigned int p = c->pcie_cap;

		FUZZ_CHECK((vcfg_read(c, p + PCI_EXP_FLAGS, 2) & PCI_EXP_FLAGS_TYPE) >> 4 ==
			   PCI_EXP_TYPE_RC_END, "PCI Express type not an integrated endpoint");
		FUZZ_CHECK(c->can_reset || !(vcfg_read(c, p + PCI_EXP_DEVCAP, 4) &
					     PCI_EXP_DEVCAP_FLR), "FLR offered without reset");
		FUZZ_CHECK(!(vcfg_read(c, p + PCI_EXP_DEVCTL, 2) & PCI_EXP_DEVCTL_BCR_FLR),
			   "Initiate FLR reads 1");
		if (c->pcie_size > PCI_EXP_LNKCAP)	/* v2: the link registers are ours */
			FUZZ_CHECK(!vcfg_read(c, p + PCI_EXP_LNKCAP, 4), "a link shown");
	}
	if (c->pm_cap) {
		uint16_t csr = vcfg_read(c, c->pm_cap + PCI_PM_CTRL, 2);

		FUZZ_CHECK((csr & PCI_PM_CTRL_STATE_MASK) == 0 ||
			   (csr & PCI_PM_CTRL_STATE_MASK) == 3, "power state D%u",
			   csr & PCI_PM_CTRL_STATE_MASK);
		FUZZ_CHECK(!(csr & PCI_PM_CTRL_NO_SOFT_RESET) == c->can_reset,
			   "No_Soft_Reset %d while resettable %d",
			   !!(csr & PCI_PM_CTRL_NO_SOFT_RESET), c->can_reset);
	}
	/* the owner's view of MSI and MSI-X matches the registers */
	if (c->msi_cap && c->msi_enabled) {
		uint64_t addr = vcfg_read(c, c->msi_cap + PCI_MSI_ADDRESS_LO, 4);

		if (c->msi_64)
			addr |= (uint64_t)vcfg_read(c, c->msi_cap + PCI_MSI_ADDRESS_HI, 4) << 32;
		FUZZ_CHECK(d->msi_en && d->msi_addr == addr && d->msi_data ==
			   vcfg_read(c, c->msi_cap + (c->msi_64 ? PCI_MSI_DATA_64 :
						      PCI_MSI_DATA_32), 2),
			   "owner's MSI message is stale");
		FUZZ_CHECK(!(addr & 3), "MSI address low bits set");
	} else {
		FUZZ_CHECK(!d->msi_en, "owner thinks MSI is enabled");
	}
	if (c->msix_cap) {
		uint16_t ctrl = vcfg_read(c, c->msix_cap + PCI_MSIX_FLAGS, 2);

		FUZZ_CHECK(d->msix_en == !!(ctrl & PCI_MSIX_FLAGS_ENABLE) &&
			   d->msix_mask == !!(ctrl & PCI_MSIX_FLAGS_MASKALL),
			   "owner's MSI-X control is stale");
	}
}

static void check_read(struct vcfg *c, unsigned int off, unsigned int len)
{
	uint32_t v = vcfg_read(c, off, len);

	if (off >= VCFG_SIZE || !valid_access(off, len))
		FUZZ_CHECK(v == ones(len), "read of absent %#x+%u gave %#x", off, len, v);
	else if (off >= 256)
		FUZZ_CHECK(v == 0, "extended space %#x read %#x", off, v);
	else
		FUZZ_CHECK(v <= ones(len), "read of %u bytes gave %#x", len, v);
}

/* After a valid write of @val at @off: the emulated writable bits read back. */
static void check_write_back(struct dev *d, unsigned int off, unsigned int len, uint32_t val)
{
	struct vcfg *c = d->c;
	unsigned int i;

	for (i = 0; i < len; i++) {
		unsigned int o = off + i;
		uint8_t b = val >> (8 * i), got = vcfg_read(c, o, 1);
		unsigned int rel;

		if (o == PCI_COMMAND || o == PCI_COMMAND + 1)
			FUZZ_CHECK(got == (uint8_t)(CMD_MASK >> (8 * (o & 1)) & b),
				   "command byte %u wrote %#x read %#x", o & 1, b, got);
		else if (o == PCI_CACHE_LINE_SIZE || o == PCI_LATENCY_TIMER ||
			 o == PCI_INTERRUPT_LINE)
			FUZZ_CHECK(got == b, "byte %#x wrote %#x read %#x", o, b, got);
		if (!c->msi_cap || o < c->msi_cap || o >= c->msi_cap + c->msi_size)
			continue;
		rel = o - c->msi_cap;
		if (rel >= PCI_MSI_ADDRESS_LO && rel < PCI_MSI_ADDRESS_LO + 4)
			FUZZ_CHECK(got == (rel == PCI_MSI_ADDRESS_LO ? b & ~3 : b),
				   "MSI address byte %u wrote %#x read %#x", rel, b, got);
		else if (c->msi_64 && rel >= PCI_MSI_ADDRESS_HI && rel < PCI_MSI_ADDRESS_HI + 4)
			FUZZ_CHECK(got == b, "MSI upper address byte wrote %#x read %#x", b, got);
		else if (rel == (c->msi_64 ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32) ||
			 rel == (c->msi_64 ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32) + 1)
			FUZZ_CHECK(got == b, "MSI data byte wrote %#x read %#x", b, got);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint64_t bar_size[VCFG_NR_BARS];
	struct vcfg *c, *before;
	struct dev d;
	uint8_t flags;
	int i;

	memset(&d, 0, sizeof(d));
	flags = fuzz_u8(&in);
	for (i = 0; i < VCFG_NR_BARS; i++) {
		uint8_t s = fuzz_u8(&in);

		/* 0 absent; bit 7 a size that is not a power of two */
		bar_size[i] = !s ? 0 : (s & 0x80) ? 3ull << (s & 31) : 1ull << (s & 63);
	}
	fuzz_bytes(&in, d.cfg, sizeof(d.cfg));
	c = calloc(1, sizeof(*c));
	before = malloc(sizeof(*before));
	if (!c || !before)
		abort();
	if (vcfg_init(c, &be, &d, &ops, &d, bar_size, flags & 1))
		goto out;
	d.c = c;
	for (i = 0; i < VCFG_NR_BARS; i++)
		if (flags & 2)
			vcfg_set_bar_addr(c, i, 0xc0000000ull + i * 0x01000000ull);
	vcfg_set_resettable(c, flags & 4);
	if (flags & 8)
		FUZZ_CHECK(!vcfg_set_rom(c, 2048ull << (flags >> 4), 0xd0000000u),
			   "ROM of %llu bytes refused", 2048ull << (flags >> 4));
	check_state(&d);

	while (in.size >= 8) {
		uint8_t op = fuzz_u8(&in);
		unsigned int off = fuzz_u16(&in) & 0x1fff;	/* up to 8 KiB */
		unsigned int len = fuzz_u8(&in) & 7;
		uint32_t val = fuzz_u32(&in);

		if (op & 1) {
			check_read(c, off, len);
			continue;
		}
		memcpy(before, c, sizeof(*c));
		vcfg_write(c, off, len, val);
		if (off >= 256 || !valid_access(off, len))
			FUZZ_CHECK(!memcmp(before, c, sizeof(*c)),
				   "ignored write at %#x+%u changed state", off, len);
		else
			check_write_back(&d, off, len, val);
		check_state(&d);
	}
out:
	free(before);
	free(c);
	return 0;
}
