// SPDX-License-Identifier: GPL-2.0
/*
 * bench guest, guest.mode=hostile: a guest that attacks its VMM through the
 * assigned devices (every NVMe function on bus 0).
 *
 *  1. Directed moves: BAR0 of each device is moved onto the ECAM window,
 *     the IOAPIC, the local APIC page and every other device's BAR0 (where
 *     the lab VF keeps its MSI-X table), then back; after each visit the
 *     regions it visited must still work: ECAM (host bridge ID, 8-byte reads
 *     of an absent function all ones), the other device's MSI-X table and
 *     PBA (emulated by the VMM), the in-kernel LAPIC and IOAPIC.
 *  2. guest.ops=N random accesses from a PRNG seeded with guest.seed=S:
 *     1, 2, 4 and 8 bytes at any alignment to config space through ECAM and
 *     through 0xcf8 (BARs moved over each other, over ECAM, the LAPIC, the
 *     IOAPIC, RAM and the MSI-X tables; command and MSI-X control bits
 *     flipped; capability registers), to the MSI-X tables and PBAs, and to
 *     the BARs.
 *  3. Everything moved back through 0xcf8 (always trapped), then the checks
 *     of step 1 again, plus: each BAR reads back what was restored.
 *
 * The payload keeps itself alive, nothing more: it never writes the NVMe
 * registers that enable the controller, reset the subsystem or point the
 * admin queues (CC, NSSR, ASQ, ACQ), so the device cannot DMA over the
 * payload's own RAM, and it runs with interrupts off.  Failed checks print
 * "GUEST-BENCH: hostile check failed: ..."; the result line is
 * "GUEST-BENCH: hostile seed=S ops=N devices=D checks=C failed=F".
 */
#include "guest.h"
#include "io.h"

#define ECAM_BASE	0xe0000000ULL	/* vibevmm's MCFG window, bus 0 */
#define IOAPIC_BASE	0xfec00000ULL
#define LAPIC_BASE	0xfee00000ULL
#define HOST_BRIDGE_ID	0x00081b36u	/* vibevmm's 00:00.0 */
#define ABSENT_DEVFN	0xf8		/* slot 31: never populated in the lab */
#define NVME_CLASS	0x010802
#define MAX_DEVS	4
#define BAR_SPAN	0x4000		/* registers, doorbells, MSI-X table, PBA */
#define PCI_COMMAND	0x04
#define PCI_BAR0	0x10

struct victim {
	struct pci_dev d;
	uint32_t bar[6];		/* BAR dwords as vibevmm placed them */
	uint16_t command, msix_ctrl;
};

static struct victim vs[MAX_DEVS];
static unsigned int nr_vs;
static uint64_t rng, checks, failed;

uint64_t guest_rand(uint64_t *state)
{
	/* splitmix64: one 64-bit state, good enough to pick accesses. */
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rnd(void)
{
	return guest_rand(&rng);
}

static uint64_t rnd_below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static unsigned int rnd_len(void)
{
	return 1u << rnd_below(4);
}

static uint64_t ecam(unsigned int devfn, unsigned int off)
{
	return ECAM_BASE + ((uint64_t)devfn << 12) + off;
}

static void check(bool ok, const char *what, const char *after, uint64_t got)
{
	checks++;
	if (ok)
		return;
	failed++;
	con_printf("GUEST-BENCH: hostile check failed: %s (read %lx) after %s\n", what, got,
		   after);
}

/* Place BAR @b of @v at @addr through 0xcf8 (a 64-bit BAR: both dwords). */
static void bar_set(struct victim *v, unsigned int b, uint64_t addr)
{
	pci_write(v->d.devfn, PCI_BAR0 + 4 * b, 4, (uint32_t)addr);
	if ((v->bar[b] & 7) == 4 && b < 5)
		pci_write(v->d.devfn, PCI_BAR0 + 4 * b + 4, 4, addr >> 32);
}

static uint64_t bar_addr(const struct victim *v, unsigned int b)
{
	uint64_t a = v->bar[b] & ~0xfULL;

	if ((v->bar[b] & 7) == 4 && b < 5)
		a |= (uint64_t)v->bar[b + 1] << 32;
	return a;
}

/* The regions vibevmm and KVM emulate, each must still answer. */
static void check_regions(const char *after)
{
	uint32_t v;
	uint64_t q;
	unsigned int i;

	v = mmio_read32(ecam(0, 0));
	check(v == HOST_BRIDGE_ID, "ECAM: host bridge ID", after, v);
	q = mmio_read(ecam(ABSENT_DEVFN, 0), 8);
	check(q == ~0ULL, "ECAM: 8-byte read of an absent function is all ones", after, q);
	for (i = 0; i < nr_vs; i++) {
		struct victim *w = &vs[i];
		uint32_t pat = 0x4100u | (uint32_t)rnd_below(0x100);

		v = mmio_read32(ecam(w->d.devfn, 0));
		check(v == pci_read(w->d.devfn, 0, 4), "ECAM: device ID as through 0xcf8", after, v);
		if (!w->d.msix_table)
			continue;
		/* Entry 0's data word is the VMM's model: it reads back. */
		mmio_write32(w->d.msix_table + 8, pat);
		v = mmio_read32(w->d.msix_table + 8);
		check(v == pat, "MSI-X table: entry 0 data reads back", after, v);
		v = mmio_read32(w->d.msix_pba);
		check(v != 0xffffffffu, "MSI-X PBA: readable", after, v);
	}
	v = mmio_read32(LAPIC_BASE + 0x30);	/* version register */
	check((v & 0xff) != 0xff && v, "LAPIC: version register", after, v);
	mmio_write32(IOAPIC_BASE, 1);		/* IOREGSEL: version */
	v = mmio_read32(IOAPIC_BASE + 0x10);
	check((v & 0xff) != 0xff && v, "IOAPIC: version register", after, v);
}

/* Step 1: BAR0 of each device visits each emulated region and leaves. */
static void directed_moves(void)
{
	static const struct { uint64_t addr; const char *name; } spots[] = {
		{ ECAM_BASE, "a visit of ECAM" },
		{ IOAPIC_BASE, "a visit of the IOAPIC" },
		{ LAPIC_BASE, "a visit of the LAPIC page" },
	};
	unsigned int i, j, s;

	for (i = 0; i < nr_vs; i++) {
		struct victim *v = &vs[i];

		for (s = 0; s < sizeof(spots) / sizeof(spots[0]); s++) {
			bar_set(v, 0, spots[s].addr);
			bar_set(v, 0, bar_addr(v, 0));
			check_regions(spots[s].name);
		}
		for (j = 0; j < nr_vs; j++) {
			if (j == i)
				continue;
			bar_set(v, 0, bar_addr(&vs[j], 0));
			bar_set(v, 0, bar_addr(v, 0));
			check_regions("a visit of another device's BAR0 (its MSI-X table)");
		}
	}
}

/* Where a randomly moved BAR goes. */
static uint64_t bar_target(void)
{
	struct victim *o = &vs[rnd_below(nr_vs)];

	switch (rnd_below(10)) {
	case 0: return ECAM_BASE;
	case 1: return ecam(rnd_below(256), 0);
	case 2: return LAPIC_BASE;
	case 3: return IOAPIC_BASE;
	case 4: return o->d.msix_table;
	case 5: return bar_addr(o, rnd_below(6));
	case 6: return 0x100000;		/* RAM: this payload */
	case 7: return 0xffffffffULL;		/* sizing */
	case 8: return rnd();
	default: return (uint32_t)rnd();
	}
}

/* A config offset: the header, the MSI-X capability, or anywhere. */
static unsigned int cfg_offset(const struct victim *v)
{
	switch (rnd_below(3)) {
	case 0: return rnd_below(0x40);
	case 1: return v->d.msix_cap ? v->d.msix_cap + rnd_below(12) : rnd_below(0x100);
	default: return rnd_below(0x1000);
	}
}

/* NVMe registers the payload leaves alone (see the top of the file). */
static bool nvme_reg_spared(unsigned int off, unsigned int len)
{
	static const struct { unsigned int lo, hi; } spared[] = {
		{ 0x14, 0x18 },		/* CC */
		{ 0x20, 0x24 },		/* NSSR */
		{ 0x28, 0x38 },		/* ASQ, ACQ */
	};
	unsigned int i;

	for (i = 0; i < sizeof(spared) / sizeof(spared[0]); i++)
		if (off < spared[i].hi && off + len > spared[i].lo)
			return true;
	return false;
}

static void random_op(void)
{
	struct victim *v = &vs[rnd_below(nr_vs)];
	unsigned int len = rnd_len(), devfn = v->d.devfn, off;
	uint64_t val = rnd(), t;

	switch (rnd_below(9)) {
	case 0:		/* config write through ECAM, some to other functions */
		if (!rnd_below(8))
			devfn = rnd_below(256);
		mmio_write(ecam(devfn, cfg_offset(v)), len, val);
		break;
	case 1:		/* config read through ECAM */
		(void)mmio_read(ecam(devfn, cfg_offset(v)), len);
		break;
	case 2:		/* a BAR moved, through ECAM or 0xcf8 */
		t = bar_target();
		off = PCI_BAR0 + 4 * rnd_below(6);
		if (rnd_below(2)) {
			mmio_write(ecam(devfn, off), 4, (uint32_t)t);
			mmio_write(ecam(devfn, off + 4), 4, t >> 32);
		} else {
			pci_write(devfn, off, 4, (uint32_t)t);
			if (off < 0x24)
				pci_write(devfn, off + 4, 4, t >> 32);
		}
		break;
	case 3:		/* command bits, or the MSI-X control word, through 0xcf8 */
		if (rnd_below(2) || !v->d.msix_cap)
			pci_write(devfn, PCI_COMMAND, 2, (uint16_t)val);
		else
			pci_write(devfn, v->d.msix_cap + 2, 2, (uint16_t)val);
		break;
	case 4:		/* 0xcf8/0xcfc at any width and byte */
		outl(0xcf8, 0x80000000u | devfn << 8 | (uint32_t)rnd_below(0x100));
		off = rnd_below(4);
		if (rnd_below(2))
			outb(0xcfc + off, val);
		else
			(void)inl(0xcfc);
		break;
	case 5:		/* MSI-X table, a little past its end too */
		if (!v->d.msix_table)
			break;
		off = rnd_below(v->d.msix_size * 16u + 32);
		if (rnd_below(3))
			mmio_write(v->d.msix_table + off, len, val);
		else
			(void)mmio_read(v->d.msix_table + off, len);
		break;
	case 6:		/* PBA: read-only, written anyway */
		if (!v->d.msix_pba)
			break;
		off = rnd_below(16);
		if (rnd_below(2))
			mmio_write(v->d.msix_pba + off, len, val);
		else
			(void)mmio_read(v->d.msix_pba + off, len);
		break;
	default:	/* the BAR itself, where it was placed */
		off = rnd_below(BAR_SPAN);
		if (!v->d.bar[0] || nvme_reg_spared(off, len))
			break;
		if (rnd_below(2))
			mmio_write(v->d.bar[0] + off, len, val);
		else
			(void)mmio_read(v->d.bar[0] + off, len);
		break;
	}
}

/* Step 3: decoding off everywhere, BARs back, then decoding on again. */
static void restore(void)
{
	unsigned int i, b;

	for (i = 0; i < nr_vs; i++)
		pci_write(vs[i].d.devfn, PCI_COMMAND, 2, 0);
	for (i = 0; i < nr_vs; i++) {
		for (b = 0; b < 6; b++)
			pci_write(vs[i].d.devfn, PCI_BAR0 + 4 * b, 4, vs[i].bar[b]);
		if (vs[i].d.msix_cap)
			pci_write(vs[i].d.devfn, vs[i].d.msix_cap + 2, 2, vs[i].msix_ctrl);
	}
	for (i = 0; i < nr_vs; i++)
		pci_write(vs[i].d.devfn, PCI_COMMAND, 2, vs[i].command);
	for (i = 0; i < nr_vs; i++)
		for (b = 0; b < 6; b++) {
			uint32_t got = mmio_read32(ecam(vs[i].d.devfn, PCI_BAR0 + 4 * b));

			check(got == vs[i].bar[b], "config: BAR reads back as restored",
			      "the random accesses", got);
		}
}

void run_hostile(uint64_t seed, uint64_t ops)
{
	unsigned int from = 0, i, b;
	uint64_t n;

	rng = seed;
	con_printf("GUEST-BENCH: hostile start seed=%lu ops=%lu\n", seed, ops);
	while (nr_vs < MAX_DEVS && pci_find_next(NVME_CLASS, from, &vs[nr_vs].d)) {
		struct victim *v = &vs[nr_vs++];

		for (b = 0; b < 6; b++)
			v->bar[b] = pci_read(v->d.devfn, PCI_BAR0 + 4 * b, 4);
		v->command = pci_read(v->d.devfn, PCI_COMMAND, 2);
		if (v->d.msix_cap)
			v->msix_ctrl = pci_read(v->d.devfn, v->d.msix_cap + 2, 2);
		from = v->d.devfn + 8;
	}
	if (!nr_vs)
		guest_fail("no NVMe controller on PCI bus 0 (give vibevmm --vfio BDF)\n");
	for (i = 0; i < nr_vs; i++)
		con_printf("GUEST-BENCH: hostile device %02x.%u bar0=%lx msix=%u table=%lx\n",
			   vs[i].d.devfn >> 3, vs[i].d.devfn & 7, vs[i].d.bar[0],
			   vs[i].d.msix_size, vs[i].d.msix_table);
	check_regions("boot");
	directed_moves();
	for (n = 0; n < ops; n++)
		random_op();
	restore();
	check_regions("the random accesses");
	con_printf("GUEST-BENCH: hostile seed=%lu ops=%lu devices=%u checks=%lu failed=%lu\n",
		   seed, ops, nr_vs, checks, failed);
	if (failed)
		guest_fail("%lu of %lu checks failed\n", failed, checks);
}
