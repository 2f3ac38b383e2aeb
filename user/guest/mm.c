// SPDX-License-Identifier: GPL-2.0
/*
 * bench guest: page tables.  The boot loader's map is not ours to keep, so
 * build one: 0-4 GiB identity-mapped with 2 MiB pages (uncached from
 * 3 GiB, where vibevmm puts the 32-bit PCI window, ECAM, IOAPIC and LAPIC),
 * plus mm_map_mmio() for BARs in the 64-bit window above RAM.
 */
#include "guest.h"

#define PTE_P		(1ULL << 0)
#define PTE_W		(1ULL << 1)
#define PTE_PWT		(1ULL << 3)
#define PTE_PCD		(1ULL << 4)
#define PTE_PS		(1ULL << 7)
#define PAGE_2M		(1ULL << 21)
#define MMIO_START	0xc0000000ULL
#define NR_TABLES	16

static uint64_t tables[NR_TABLES][512] __attribute__((aligned(4096)));
static unsigned int tables_used;

static uint64_t *alloc_table(void)
{
	if (tables_used == NR_TABLES)
		guest_fail("out of page tables\n");
	return tables[tables_used++];
}

/* The next-level table under *e, allocated on first use. */
static uint64_t *next_level(uint64_t *e)
{
	if (!(*e & PTE_P))
		*e = (uint64_t)alloc_table() | PTE_P | PTE_W;
	return (uint64_t *)(*e & ~0xfffULL);
}

static void map_2m(uint64_t addr, bool uncached)
{
	uint64_t *pml4 = tables[0];
	uint64_t *pdpt = next_level(&pml4[(addr >> 39) & 511]);
	uint64_t *pd = next_level(&pdpt[(addr >> 30) & 511]);

	pd[(addr >> 21) & 511] = addr | PTE_P | PTE_W | PTE_PS |
				 (uncached ? PTE_PCD | PTE_PWT : 0);
}

static void flush_tlb(void)
{
	__asm__ volatile("mov %0, %%cr3" : : "r"((uint64_t)tables[0]) : "memory");
}

void mm_init(void)
{
	uint64_t a;

	tables_used = 1;		/* tables[0] is the PML4 */
	for (a = 0; a < (4ULL << 30); a += PAGE_2M)
		map_2m(a, a >= MMIO_START);
	flush_tlb();
}

void mm_map_mmio(uint64_t addr, uint64_t size)
{
	uint64_t a;

	if (addr + size <= (4ULL << 30))
		return;
	for (a = addr & ~(PAGE_2M - 1); a < addr + size; a += PAGE_2M)
		map_2m(a, true);
	flush_tlb();
}
