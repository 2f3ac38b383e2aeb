// SPDX-License-Identifier: GPL-2.0
/*
 * Linux bzImage loading through the x86 64-bit boot protocol
 * (Documentation/arch/x86/boot.rst in the kernel tree).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acpi.h"
#include "boot.h"
#include "cli.h"
#include "kcache.h"
#include "log.h"
#include "vm.h"

#define HDR_OFFSET	0x1f1

int boot_parse_bzimage(const uint8_t *img, size_t size, struct bzimage *bz,
		       char *err, size_t errlen)
{
	size_t hdr_len, setup_sects;

	memset(bz, 0, sizeof(*bz));
	if (size < 0x250) {
		snprintf(err, errlen, "is too small to be a bzImage (%zu bytes)", size);
		return -1;
	}
	if (img[0x1fe] != 0x55 || img[0x1ff] != 0xaa ||
	    memcmp(img + 0x202, "HdrS", 4)) {
		snprintf(err, errlen, "is not a bzImage (no 'HdrS' boot header)");
		return -1;
	}
	/*
	 * The header runs from 0x1f1 to 0x202 + the jump offset at 0x201;
	 * copy no more than we know of, nor past the end of the file (fields
	 * the file lacks read 0; the truncation check below refuses it).
	 */
	hdr_len = 0x202 + img[0x201] - HDR_OFFSET;
	if (hdr_len > sizeof(bz->hdr))
		hdr_len = sizeof(bz->hdr);
	if (hdr_len > size - HDR_OFFSET)
		hdr_len = size - HDR_OFFSET;
	memcpy(&bz->hdr, img + HDR_OFFSET, hdr_len);
	if (bz->hdr.version < 0x020c) {
		snprintf(err, errlen, "uses boot protocol %u.%02u; need 2.12 or later (Linux 3.8+)",
			 bz->hdr.version >> 8, bz->hdr.version & 0xff);
		return -1;
	}
	if (!(bz->hdr.loadflags & LOADED_HIGH)) {
		snprintf(err, errlen, "is a zImage, not a bzImage; give a bzImage");
		return -1;
	}
	if (!(bz->hdr.xloadflags & XLF_KERNEL_64)) {
		snprintf(err, errlen, "has no 64-bit entry point; give an x86_64 bzImage");
		return -1;
	}
	setup_sects = bz->hdr.setup_sects ? bz->hdr.setup_sects : 4;
	bz->setup_size = (setup_sects + 1) * 512;
	if (bz->setup_size >= size) {
		snprintf(err, errlen, "is truncated (setup code runs past the end of the file)");
		return -1;
	}
	bz->kernel = img + bz->setup_size;
	bz->kernel_size = size - bz->setup_size;
	return 0;
}

static int add_e820(struct boot_e820_entry *tab, int n, int max, uint64_t addr,
		    uint64_t size, uint32_t type)
{
	if (n >= max || !size)
		return n;
	tab[n].addr = addr;
	tab[n].size = size;
	tab[n].type = type;
	return n + 1;
}

int boot_build_e820(struct boot_e820_entry *tab, int max, uint64_t low_end,
		    uint64_t high_end)
{
	int n = 0;

	n = add_e820(tab, n, max, 0, BOOT_EBDA_START, BOOT_E820_RAM);
	n = add_e820(tab, n, max, BOOT_EBDA_START, 0x100000 - BOOT_EBDA_START,
		     BOOT_E820_RESERVED);
	n = add_e820(tab, n, max, 0x100000, low_end - 0x100000, BOOT_E820_RAM);
	n = add_e820(tab, n, max, VM_ECAM_BASE, VM_ECAM_SIZE, BOOT_E820_RESERVED);
	if (high_end > VM_HIGH_RAM_BASE)
		n = add_e820(tab, n, max, VM_HIGH_RAM_BASE, high_end - VM_HIGH_RAM_BASE,
			     BOOT_E820_RAM);
	return n;
}

void boot_build_params(struct boot_params *bp, const struct bzimage *bz,
		       uint64_t cmdline_addr, uint64_t initrd_addr, uint64_t initrd_size,
		       uint64_t low_end, uint64_t high_end, uint64_t rsdp)
{
	memset(bp, 0, sizeof(*bp));
	bp->hdr = bz->hdr;
	bp->hdr.type_of_loader = 0xff;			/* undefined loader */
	bp->hdr.loadflags |= CAN_USE_HEAP | LOADED_HIGH;
	bp->hdr.loadflags &= ~KEEP_SEGMENTS;
	bp->hdr.heap_end_ptr = 0xfe00;
	bp->hdr.vid_mode = 0xffff;			/* "normal" */
	bp->hdr.cmd_line_ptr = (uint32_t)cmdline_addr;
	bp->ext_cmd_line_ptr = (uint32_t)(cmdline_addr >> 32);
	bp->hdr.ramdisk_image = (uint32_t)initrd_addr;
	bp->hdr.ramdisk_size = (uint32_t)initrd_size;
	bp->ext_ramdisk_image = (uint32_t)(initrd_addr >> 32);
	bp->ext_ramdisk_size = (uint32_t)(initrd_size >> 32);
	bp->e820_entries = boot_build_e820(bp->e820_table, E820_MAX_ENTRIES_ZEROPAGE,
					   low_end, high_end);
	if (bz->hdr.version >= 0x020e)
		bp->acpi_rsdp_addr = rsdp;
}

uint64_t boot_initrd_addr(const struct bzimage *bz, uint64_t low_end,
			  uint64_t kernel_end, uint64_t size)
{
	uint64_t max = bz->hdr.initrd_addr_max ? bz->hdr.initrd_addr_max : 0x37ffffff;
	uint64_t top = low_end < max + 1 ? low_end : max + 1;
	uint64_t addr;

	if (size > top)
		return 0;
	addr = (top - size) & ~0xfffULL;
	return addr >= kernel_end ? addr : 0;
}

void boot_build_page_tables(uint8_t *ram)
{
	uint64_t *pml4 = (uint64_t *)(ram + BOOT_PML4_ADDR);
	uint64_t *pdpt = (uint64_t *)(ram + BOOT_PDPT_ADDR);
	uint64_t *pd = (uint64_t *)(ram + BOOT_PD_ADDR);
	int i;

	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = BOOT_PDPT_ADDR | 0x3;			/* present, writable */
	for (i = 0; i < 4; i++)
		pdpt[i] = (BOOT_PD_ADDR + i * 4096) | 0x3;
	for (i = 0; i < 4 * 512; i++)
		pd[i] = ((uint64_t)i << 21) | 0x83;	/* 2 MiB page */
}

static const uint64_t boot_gdt[] = {
	0,
	0,
	0x00af9b000000ffffULL,	/* 0x10: 64-bit code */
	0x00cf93000000ffffULL,	/* 0x18: data */
	0x00008b0000000fffULL,	/* 0x20: TSS (busy), needed for VM entry */
};

void boot_build_gdt(uint8_t *ram)
{
	memcpy(ram + BOOT_GDT_ADDR, boot_gdt, sizeof(boot_gdt));
}

static void seg(struct kvm_segment *s, uint16_t sel, uint8_t type, bool code)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->base = 0;
	s->limit = 0xffffffff;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->g = 1;
	s->l = code;
	s->db = !code;
}

void boot_setup_sregs(struct kvm_sregs *s, const struct boot_info *bi)
{
	seg(&s->cs, 0x10, 0xb, true);
	seg(&s->ds, 0x18, 0x3, false);
	s->es = s->fs = s->gs = s->ss = s->ds;
	memset(&s->tr, 0, sizeof(s->tr));
	s->tr.selector = 0x20;
	s->tr.limit = 0xfff;
	s->tr.type = 0xb;
	s->tr.present = 1;
	memset(&s->ldt, 0, sizeof(s->ldt));
	s->ldt.unusable = 1;
	s->ldt.type = 2;
	s->ldt.present = 1;
	s->gdt.base = BOOT_GDT_ADDR;
	s->gdt.limit = sizeof(boot_gdt) - 1;
	s->idt.base = 0;
	s->idt.limit = 0;
	s->cr0 = 0x80000033;	/* PG | NE | ET | MP | PE */
	s->cr3 = bi->pml4;
	s->cr4 = 0x20;		/* PAE */
	s->efer = 0x500;	/* LMA | LME */
}

/* Read a whole file; errors name the option and the file. */
static uint8_t *read_file(const char *opt, const char *path, size_t *size)
{
	struct stat st;
	uint8_t *buf;
	size_t done = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		log_err("%s '%s': %s; give an existing, readable file", opt, path,
			strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		log_err("%s '%s': not a regular file; give a file", opt, path);
		close(fd);
		return NULL;
	}
	buf = malloc(st.st_size ? st.st_size : 1);
	if (!buf) {
		log_err("%s '%s': out of memory reading it", opt, path);
		close(fd);
		return NULL;
	}
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + done, st.st_size - done);

		if (n <= 0) {
			log_err("%s '%s': read failed: %s", opt, path,
				n < 0 ? strerror(errno) : "file shrank");
			free(buf);
			close(fd);
			return NULL;
		}
		done += n;
	}
	close(fd);
	*size = done;
	return buf;
}

/*
 * The unpacked kernel's segments from the kernel cache bf->cache_dir
 * (kcache.h): true on a hit (bf->elf and bf->cache_fd set).  A miss is a
 * verbose line; an unusable cache one warning (*@warned), and a directory
 * not to be used is not written either (bf->cache_dir cleared): the kernel
 * is then unpacked.
 */
static bool cache_lookup(struct boot_files *bf, bool *warned)
{
	char why[4200];
	int fd;

	fd = kcache_lookup(bf->cache_dir, &bf->cache_key, &bf->elf, why, sizeof(why));
	if (fd == -ENOENT) {
		log_verbose("kernel '%s': not in the kernel cache (%s)", bf->kernel_name, why);
		return false;
	}
	if (fd < 0) {
		log_warn("%s; unpacking kernel '%s' without it", why, bf->kernel_name);
		*warned = true;
		if (fd == -EPERM)
			bf->cache_dir[0] = '\0';
		return false;
	}
	bf->cached = true;
	bf->cache_fd = fd;
	bf->kernel_end = bf->elf.hi;
	log_verbose("kernel '%s': unpacked copy from the kernel cache %s, %u segments at %#llx-%#llx, entry %#llx",
		    bf->kernel_name, bf->cache_dir, bf->elf.nseg, (unsigned long long)bf->elf.lo,
		    (unsigned long long)bf->elf.hi, (unsigned long long)bf->elf.entry);
	return true;
}

/*
 * Unpack @bf's payload to *@img (malloc'd, *@ilen bytes) and @elf.  0; 1
 * if the guest is to decompress it (a format vibevmm does not decompress,
 * or not a plain vmlinux: a verbose line); -1 after an error line.
 */
static int unpack_payload(const struct boot_files *bf, uint8_t **img, size_t *ilen,
			  struct kelf *elf)
{
	const struct bzimage *bz = &bf->bz;
	char err[160];
	int ret;

	ret = kunpack_payload(bz->kernel + bz->hdr.payload_offset, bz->hdr.payload_length,
			      img, ilen, err, sizeof(err));
	if (ret == -ENOTSUP) {
		log_verbose("kernel '%s': %s; the guest decompresses it", bf->kernel_name, err);
		return 1;
	}
	if (ret) {
		log_err("--kernel '%s': %s; give an intact kernel or --kernel-unpack guest",
			bf->kernel_name, err);
		return -1;
	}
	if (kelf_parse(*img, *ilen, elf, err, sizeof(err))) {
		log_verbose("kernel '%s' %s; the guest decompresses it", bf->kernel_name, err);
		free(*img);
		*img = NULL;
		return 1;
	}
	log_verbose("kernel '%s': unpacked %zu bytes, %u segments at %#llx-%#llx, entry %#llx",
		    bf->kernel_name, *ilen, elf->nseg, (unsigned long long)elf->lo,
		    (unsigned long long)elf->hi, (unsigned long long)elf->entry);
	return 0;
}

/*
 * Keep the unpacked @elf in the kernel cache, if there is one: a failure
 * is a warning, or a verbose line after an earlier warning (@warned).
 */
static void cache_store(const struct boot_files *bf, const struct kelf *elf, bool warned)
{
	char why[4200];

	if (!bf->cache_dir[0])
		return;
	if (kcache_store(bf->cache_dir, &bf->cache_key, elf, why, sizeof(why)))
		log_msg(warned ? LOG_VERBOSE : LOG_WARN, "%s; kernel '%s' not kept", why,
			bf->kernel_name);
	else
		log_verbose("kernel '%s': kept in the kernel cache %s", bf->kernel_name,
			    bf->cache_dir);
}

/*
 * Unpack the kernel in vibevmm (kunpack.h), or take it from the kernel
 * cache.  A payload format vibevmm does not decompress, or a kernel that
 * is not a plain vmlinux, leaves the bzImage to decompress itself in the
 * guest; a corrupt one is an error.
 */
static int unpack_kernel(const struct vmm_config *cfg, struct boot_files *bf)
{
	const struct bzimage *bz = &bf->bz;
	bool warned = false;
	int ret;

	if (bz->hdr.version < 0x0208 || bz->hdr.payload_offset >= bz->kernel_size ||
	    bz->hdr.payload_length > bz->kernel_size - bz->hdr.payload_offset ||
	    !bz->hdr.payload_length) {
		log_verbose("kernel '%s': no payload to unpack; the guest decompresses it",
			    cfg->kernel);
		return 0;
	}
	if (cfg->no_kernel_cache ||
	    kcache_dir(cfg->kernel_cache, bf->cache_dir, sizeof(bf->cache_dir)))
		bf->cache_dir[0] = '\0';
	if (bf->cache_dir[0]) {
		/* the payload in memory, which is what is unpacked on a miss */
		kcache_key(bz->kernel + bz->hdr.payload_offset, bz->hdr.payload_length,
			   &bf->cache_key);
		if (cache_lookup(bf, &warned))
			return 0;
	}
	ret = unpack_payload(bf, &bf->vmlinux, &bf->vlen, &bf->elf);
	if (ret)
		return ret < 0 ? -1 : 0;
	bf->kernel_end = bf->elf.hi;
	cache_store(bf, &bf->elf, warned);
	return 0;
}

void boot_files_free(struct boot_files *bf)
{
	if (bf->cached)
		close(bf->cache_fd);
	free(bf->vmlinux);
	free(bf->kimg);
	free(bf->initrd);
	free(bf->cmdline);
	memset(bf, 0, sizeof(*bf));
}

int boot_files_load(const struct vmm_config *cfg, struct boot_files *bf)
{
	uint64_t low_end = cfg->mem < VM_LOW_RAM_MAX ? cfg->mem : VM_LOW_RAM_MAX;
	struct bzimage *bz = &bf->bz;
	char err[160];

	memset(bf, 0, sizeof(*bf));
	bf->kernel_name = cfg->kernel;
	bf->kimg = read_file("--kernel", cfg->kernel, &bf->ksize);
	if (!bf->kimg)
		return -1;
	if (boot_parse_bzimage(bf->kimg, bf->ksize, bz, err, sizeof(err))) {
		log_err("--kernel '%s' %s", cfg->kernel, err);
		goto fail;
	}
	bf->kernel_end = BOOT_KERNEL_ADDR +
		(bz->hdr.init_size > bz->kernel_size ? bz->hdr.init_size : bz->kernel_size);
	if (cfg->kernel_unpack != KERNEL_UNPACK_GUEST && unpack_kernel(cfg, bf))
		goto fail;
	if (bf->kernel_end > low_end) {
		log_err("--mem %lluM: too small for kernel '%s' (needs %lluM to unpack); give more --mem",
			(unsigned long long)(cfg->mem >> 20), cfg->kernel,
			(unsigned long long)(bf->kernel_end >> 20) + 1);
		goto fail;
	}
	if (cfg->initrd) {
		bf->initrd = read_file("--initrd", cfg->initrd, &bf->isize);
		if (!bf->initrd)
			goto fail;
		bf->initrd_addr = boot_initrd_addr(bz, low_end, bf->kernel_end, bf->isize);
		if (!bf->initrd_addr) {
			log_err("--initrd '%s': %zuM does not fit in low guest RAM next to the kernel; give more --mem",
				cfg->initrd, bf->isize >> 20);
			goto fail;
		}
	}
	if (asprintf(&bf->cmdline, "%s%s%s", BOOT_DEFAULT_CMDLINE, cfg->cmdline ? " " : "",
		     cfg->cmdline ? cfg->cmdline : "") < 0) {
		bf->cmdline = NULL;
		log_err("--cmdline: out of memory");
		goto fail;
	}
	bf->clen = strlen(bf->cmdline) + 1;
	if (bf->clen > BOOT_CMDLINE_MAX ||
	    (bz->hdr.cmdline_size && bf->clen > bz->hdr.cmdline_size + 1ULL)) {
		log_err("--cmdline: %zu bytes is longer than kernel '%s' accepts (%u); shorten it",
			bf->clen - 1, cfg->kernel, bz->hdr.cmdline_size);
		goto fail;
	}
	return 0;
fail:
	boot_files_free(bf);
	return -1;
}

/*
 * Copy @k's segments into guest RAM @low (up to @low_end), from memory or
 * from the kernel cache's file @fd (>= 0), and zero their bss.  0, or -1
 * with errno set if the file cannot be read.
 */
static int load_segments(const struct kelf *k, int fd, uint8_t *low, uint64_t low_end)
{
	unsigned int i;

	for (i = 0; i < k->nseg; i++) {
		const struct kelf_seg *sg = &k->seg[i];
		uint8_t *dst = low + sg->paddr;

		if (sg->paddr > low_end || sg->memsz > low_end - sg->paddr) {
			errno = ERANGE;		/* boot_files_load() checked it */
			return -1;
		}
		if (fd < 0)
			memcpy(dst, sg->data, sg->filesz);
		else if (kcache_read(fd, sg, dst))
			return -1;
		memset(dst + sg->filesz, 0, sg->memsz - sg->filesz);
	}
	return 0;
}

/*
 * The kernel cache's file could not be read (truncated since it was looked
 * up): clear what was copied of it, then unpack and store as on a miss.
 * The unpacked kernel must end where the cached copy said, as the initrd
 * was placed after it.
 */
static int load_unpacked_instead(const struct boot_files *bf, uint8_t *low, uint64_t low_end,
				 uint64_t *entry)
{
	struct kelf elf;
	uint8_t *img = NULL;
	unsigned int i;
	size_t ilen;
	int ret;

	for (i = 0; i < bf->elf.nseg; i++)
		memset(low + bf->elf.seg[i].paddr, 0, bf->elf.seg[i].memsz);
	ret = unpack_payload(bf, &img, &ilen, &elf);
	if (ret > 0 || (!ret && elf.hi > bf->kernel_end)) {
		log_err("--kernel '%s': unpacked, it is not the kernel its kernel cache entry in %s described; remove that entry or give --kernel-cache off",
			bf->kernel_name, bf->cache_dir);
		ret = -1;
	}
	if (!ret && load_segments(&elf, -1, low, low_end)) {
		log_err("--kernel '%s': does not fit in guest RAM; give more --mem",
			bf->kernel_name);
		ret = -1;
	}
	if (!ret) {
		*entry = elf.entry;
		cache_store(bf, &elf, true);
	}
	free(img);
	return ret;
}

int boot_load_kernel(const struct boot_files *bf, uint8_t *low, uint64_t low_end,
		     uint64_t *entry)
{
	const struct bzimage *bz = &bf->bz;

	if (bf->cached) {
		if (!load_segments(&bf->elf, bf->cache_fd, low, low_end)) {
			*entry = bf->elf.entry;
			return 0;
		}
		log_warn("kernel '%s': cannot read its unpacked copy from the kernel cache %s (%s); unpacking it instead",
			 bf->kernel_name, bf->cache_dir, strerror(errno));
		return load_unpacked_instead(bf, low, low_end, entry);
	}
	if (bf->vmlinux) {
		if (load_segments(&bf->elf, -1, low, low_end)) {
			log_err("--kernel '%s': does not fit in guest RAM; give more --mem",
				bf->kernel_name);
			return -1;
		}
		*entry = bf->elf.entry;
		return 0;
	}
	if (BOOT_KERNEL_ADDR + bz->kernel_size > low_end) {
		log_err("--kernel '%s': does not fit in guest RAM; give more --mem", bf->kernel_name);
		return -1;
	}
	memcpy(low + BOOT_KERNEL_ADDR, bz->kernel, bz->kernel_size);
	*entry = BOOT_KERNEL_ADDR + 0x200;
	return 0;
}

int boot_load_linux(struct vm *vm, const struct boot_files *bf, struct boot_info *bi)
{
	uint64_t low_end = vm_low_ram_end(vm);
	const struct bzimage *bz = &bf->bz;
	uint8_t *ram = vm_gpa_to_hva(vm, 0, low_end);

	if (boot_load_kernel(bf, ram, low_end, &bi->entry))
		return -1;
	if (bf->initrd) {
		memcpy(vm_gpa_to_hva(vm, bf->initrd_addr, bf->isize), bf->initrd, bf->isize);
		log_verbose("initrd at %#llx, %zu bytes", (unsigned long long)bf->initrd_addr,
			    bf->isize);
	}
	memcpy(ram + BOOT_CMDLINE_ADDR, bf->cmdline, bf->clen);
	log_verbose("kernel cmdline: %s", bf->cmdline);

	boot_build_params((struct boot_params *)(ram + BOOT_PARAMS_ADDR), bz,
			  BOOT_CMDLINE_ADDR, bf->initrd_addr, bf->isize, low_end,
			  vm_high_ram_end(vm), ACPI_RSDP_ADDR);
	boot_build_page_tables(ram);
	boot_build_gdt(ram);
	bi->boot_params = BOOT_PARAMS_ADDR;
	bi->stack = BOOT_STACK_ADDR;
	bi->pml4 = BOOT_PML4_ADDR;
	log_verbose("kernel: boot protocol %u.%02u, %zu bytes at %#x, entry %#llx",
		    bz->hdr.version >> 8, bz->hdr.version & 0xff, bz->kernel_size,
		    BOOT_KERNEL_ADDR, (unsigned long long)bi->entry);
	return 0;
}
