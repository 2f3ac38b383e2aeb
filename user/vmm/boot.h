/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Linux x86 64-bit boot protocol: bzImage parsing, boot_params (zero page)
 * with e820 map, command line and initrd, identity page tables and GDT.
 *
 * Low memory layout used for booting:
 *   0x00500  GDT               0x07000  boot_params (zero page)
 *   0x08000  initial stack     0x09000  PML4, 0x0a000 PDPT, 0x0b000 4 PDs
 *   0x20000  kernel cmdline    0x9fc00-0xfffff reserved (ACPI at 0xe0000)
 *   0x100000 protected-mode kernel; initrd at the top of low RAM
 */
#ifndef VIBEVMM_BOOT_H
#define VIBEVMM_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <asm/bootparam.h>
#include <linux/kvm.h>
#include "kcache.h"
#include "kunpack.h"

struct vm;
struct vmm_config;

#define BOOT_GDT_ADDR		0x500
#define BOOT_PARAMS_ADDR	0x7000
#define BOOT_STACK_ADDR		0x8ff0
#define BOOT_PML4_ADDR		0x9000
#define BOOT_PDPT_ADDR		0xa000
#define BOOT_PD_ADDR		0xb000
#define BOOT_CMDLINE_ADDR	0x20000
#define BOOT_CMDLINE_MAX	0x10000
#define BOOT_EBDA_START		0x9fc00
#define BOOT_KERNEL_ADDR	0x100000
#define BOOT_DEFAULT_CMDLINE	"console=ttyS0"
#define BOOT_E820_RAM		1
#define BOOT_E820_RESERVED	2

struct boot_info {
	uint64_t entry;		/* 64-bit entry: kernel load address + 0x200 */
	uint64_t boot_params;
	uint64_t stack;
	uint64_t pml4;
};

/* Parsed bzImage header. */
struct bzimage {
	struct setup_header hdr;	/* as in the file */
	size_t setup_size;		/* real-mode part incl. boot sector */
	size_t kernel_size;		/* protected-mode part */
	const uint8_t *kernel;		/* points into the image */
};

/*
 * Parse a bzImage in memory.  Returns 0, or -1 with err holding a phrase
 * that completes "kernel 'PATH' " (e.g. "is not a bzImage (...)").
 */
int boot_parse_bzimage(const uint8_t *img, size_t size, struct bzimage *bz,
		       char *err, size_t errlen);

/* e820 map for the given RAM layout; returns the number of entries. */
int boot_build_e820(struct boot_e820_entry *tab, int max, uint64_t low_end,
		    uint64_t high_end);

/*
 * Fill the zero page: setup header from the image, loader fields, cmdline
 * pointer, initrd, e820, RSDP.
 */
void boot_build_params(struct boot_params *bp, const struct bzimage *bz,
		       uint64_t cmdline_addr, uint64_t initrd_addr, uint64_t initrd_size,
		       uint64_t low_end, uint64_t high_end, uint64_t rsdp);

/* Where the initrd goes: top of low RAM under initrd_addr_max; 0 if none. */
uint64_t boot_initrd_addr(const struct bzimage *bz, uint64_t low_end,
			  uint64_t kernel_end, uint64_t size);

/* Identity-map the first 4 GiB with 2 MiB pages, and write the GDT. */
void boot_build_page_tables(uint8_t *ram);
void boot_build_gdt(uint8_t *ram);
void boot_setup_sregs(struct kvm_sregs *s, const struct boot_info *bi);

/*
 * --kernel, --initrd and --cmdline read and checked against --mem before
 * anything else happens (no VM, no device touched): a command line that
 * cannot boot fails here, with one line naming the option.
 */
struct boot_files {
	const char *kernel_name;	/* --kernel, for messages */
	uint8_t *kimg, *initrd;
	size_t ksize, isize;
	struct bzimage bz;		/* points into kimg */
	/*
	 * The kernel unpacked by vibevmm (kunpack.h), or NULL: then the
	 * bzImage's protected-mode part is loaded and decompresses itself.
	 */
	uint8_t *vmlinux;
	size_t vlen;
	struct kelf elf;		/* points into vmlinux, or into the cache */
	bool cached;			/* elf's segments are read from cache_fd */
	int cache_fd;			/* the kernel cache's file (kcache.h) */
	char cache_dir[4096];		/* the kernel cache to store in, or "" */
	struct kcache_key cache_key;	/* the payload's key there */
	uint64_t kernel_end;		/* GPA past the unpacked kernel */
	uint64_t initrd_addr;		/* GPA of the initrd, 0 if none */
	char *cmdline;			/* full kernel command line */
	size_t clen;			/* its size with the NUL */
};

/* Read and check the files for @cfg; 0, or -1 after one error line. */
int boot_files_load(const struct vmm_config *cfg, struct boot_files *bf);
void boot_files_free(struct boot_files *bf);

/* Copy checked files into the VM's RAM and build the zero page. */
int boot_load_linux(struct vm *vm, const struct boot_files *bf, struct boot_info *bi);

/*
 * The kernel part of boot_load_linux(): copy the kernel into guest RAM
 * @low (GPA 0 up to @low_end) and set *@entry.  A kernel cache file that
 * can no longer be read (truncated since boot_files_load() looked it up)
 * is one warning, then the kernel is unpacked and stored again as on a
 * miss.  0, or -1 after one error line.
 */
int boot_load_kernel(const struct boot_files *bf, uint8_t *low, uint64_t low_end,
		     uint64_t *entry);

#endif
