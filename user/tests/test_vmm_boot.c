// SPDX-License-Identifier: GPL-2.0
/* bzImage header parsing, boot_params, e820, initrd placement, page tables. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* the harness defines non-static helpers without prototypes */
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include "kselftest_harness.h"
#include "vmm/boot.h"
#include "vmm/cli.h"
#include "vmm/log.h"
#include "vmm/vm.h"
#include "kernel_fake.h"

#define IMG_SIZE	(64 * 1024)

/* A fake bzImage: boot sector + 4 setup sectors + "kernel" bytes. */
static uint8_t *fake_bzimage(uint16_t version, uint8_t loadflags, uint16_t xloadflags)
{
	uint8_t *img = calloc(1, IMG_SIZE);
	struct setup_header *h = (struct setup_header *)(img + 0x1f1);
	unsigned int i;

	h->setup_sects = 4;
	h->boot_flag = 0xaa55;
	h->jump = 0x66eb;		/* jmp to 0x268: header ends at 0x268 */
	h->header = 0x53726448;
	h->version = version;
	h->loadflags = loadflags;
	h->xloadflags = xloadflags;
	h->initrd_addr_max = 0x7fffffff;
	h->kernel_alignment = 0x200000;
	h->cmdline_size = 2047;
	h->init_size = 0x1000000;
	for (i = 5 * 512; i < IMG_SIZE; i++)
		img[i] = (uint8_t)i;
	return img;
}

TEST(parse_good_bzimage)
{
	uint8_t *img = fake_bzimage(0x020f, LOADED_HIGH, XLF_KERNEL_64);
	struct bzimage bz;
	char err[160];

	ASSERT_EQ(0, boot_parse_bzimage(img, IMG_SIZE, &bz, err, sizeof(err)));
	EXPECT_EQ(5 * 512, bz.setup_size);
	EXPECT_EQ(IMG_SIZE - 5 * 512, bz.kernel_size);
	EXPECT_EQ(img + 5 * 512, bz.kernel);
	EXPECT_EQ(0x020f, bz.hdr.version);
	EXPECT_EQ(0x7fffffffu, bz.hdr.initrd_addr_max);
	EXPECT_EQ(0x1000000u, bz.hdr.init_size);
	free(img);
}

TEST(setup_sects_zero_means_four)
{
	uint8_t *img = fake_bzimage(0x020f, LOADED_HIGH, XLF_KERNEL_64);
	struct bzimage bz;
	char err[160];

	img[0x1f1] = 0;
	ASSERT_EQ(0, boot_parse_bzimage(img, IMG_SIZE, &bz, err, sizeof(err)));
	EXPECT_EQ(5 * 512, bz.setup_size);
	free(img);
}

/*
 * A file that ends inside the header it announces (jump to 0x26c, file
 * 0x250 bytes): the parser copies only the bytes the file has (found by
 * the bzimage fuzzer: ASan reported a heap overflow in the copy).
 */
TEST(short_file_inside_header)
{
	uint8_t *img = fake_bzimage(0x020f, LOADED_HIGH, XLF_KERNEL_64);
	uint8_t *small = malloc(0x250);
	struct bzimage bz;
	char err[160];

	ASSERT_NE(NULL, small);
	img[0x201] = 0x6a;
	memcpy(small, img, 0x250);
	/* the setup code (5 sectors) runs past the end: refused, no overflow */
	EXPECT_EQ(-1, boot_parse_bzimage(small, 0x250, &bz, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "truncated"));
	EXPECT_EQ(0x020f, bz.hdr.version);
	EXPECT_EQ(0, bz.hdr.kernel_info_offset);	/* at 0x268: past the file */
	free(small);
	free(img);
}

TEST(rejects)
{
	struct bzimage bz;
	char err[160];
	uint8_t *img;

	img = fake_bzimage(0x020f, LOADED_HIGH, XLF_KERNEL_64);
	ASSERT_EQ(-1, boot_parse_bzimage(img, 0x100, &bz, err, sizeof(err)));
	EXPECT_STREQ("is too small to be a bzImage (256 bytes)", err);
	img[0x202] = 'X';
	ASSERT_EQ(-1, boot_parse_bzimage(img, IMG_SIZE, &bz, err, sizeof(err)));
	EXPECT_STREQ("is not a bzImage (no 'HdrS' boot header)", err);
	free(img);

	img = fake_bzimage(0x020f, LOADED_HIGH, XLF_KERNEL_64);
	img[0x1fe] = 0;			/* boot flag */
	ASSERT_EQ(-1, boot_parse_bzimage(img, IMG_SIZE, &bz, err, sizeof(err)));
	EXPECT_STREQ("is not a bzImage (no 'HdrS' boot header)", err);
	free(img);

	img = fake_bzimage(0x020a, LOADED_HIGH, XLF_KERNEL_64);
	ASSERT_EQ(-1, boot_parse_bzimage(img, IMG_SIZE, &bz, err, sizeof(err)));
	EXPECT_STREQ("uses boot protocol 2.10; need 2.12 or later (Linux 3.8+)", err);
	free(img);

	img = fake_bzimage(0x020f, 0, XLF_KERNEL_64);
	ASSERT_EQ(-1, boot_parse_bzimage(img, IMG_SIZE, &bz, err, sizeof(err)));
	EXPECT_STREQ("is a zImage, not a bzImage; give a bzImage", err);
	free(img);

	img = fake_bzimage(0x020f, LOADED_HIGH, 0);
	ASSERT_EQ(-1, boot_parse_bzimage(img, IMG_SIZE, &bz, err, sizeof(err)));
	EXPECT_STREQ("has no 64-bit entry point; give an x86_64 bzImage", err);
	free(img);

	img = fake_bzimage(0x020f, LOADED_HIGH, XLF_KERNEL_64);
	ASSERT_EQ(-1, boot_parse_bzimage(img, 5 * 512, &bz, err, sizeof(err)));
	EXPECT_STREQ("is truncated (setup code runs past the end of the file)", err);
	free(img);
}

TEST(e820_low_only)
{
	struct boot_e820_entry t[16];
	int n = boot_build_e820(t, 16, 256ULL << 20, 0);

	ASSERT_EQ(4, n);
	EXPECT_EQ(0, t[0].addr);
	EXPECT_EQ(0x9fc00, t[0].size);
	EXPECT_EQ(BOOT_E820_RAM, t[0].type);
	EXPECT_EQ(0x9fc00, t[1].addr);
	EXPECT_EQ(0x100000 - 0x9fc00, t[1].size);
	EXPECT_EQ(BOOT_E820_RESERVED, t[1].type);
	EXPECT_EQ(0x100000, t[2].addr);
	EXPECT_EQ((256ULL << 20) - 0x100000, t[2].size);
	EXPECT_EQ(BOOT_E820_RAM, t[2].type);
	EXPECT_EQ(VM_ECAM_BASE, t[3].addr);
	EXPECT_EQ(VM_ECAM_SIZE, t[3].size);
	EXPECT_EQ(BOOT_E820_RESERVED, t[3].type);
}

TEST(e820_high_ram)
{
	struct boot_e820_entry t[16];
	uint64_t ram = 0, i;
	int n = boot_build_e820(t, 16, VM_LOW_RAM_MAX, VM_HIGH_RAM_BASE + (5ULL << 30));

	ASSERT_EQ(5, n);
	EXPECT_EQ(VM_LOW_RAM_MAX - 0x100000, t[2].size);
	EXPECT_EQ(VM_HIGH_RAM_BASE, t[4].addr);
	EXPECT_EQ(5ULL << 30, t[4].size);
	EXPECT_EQ(BOOT_E820_RAM, t[4].type);
	/* entries sorted, non-overlapping, RAM adds up to 8 GiB minus holes */
	for (i = 1; i < (uint64_t)n; i++)
		EXPECT_LE(t[i - 1].addr + t[i - 1].size, t[i].addr);
	for (i = 0; i < (uint64_t)n; i++)
		if (t[i].type == BOOT_E820_RAM)
			ram += t[i].size;
	EXPECT_EQ(VM_LOW_RAM_MAX + (5ULL << 30) - (0x100000 - 0x9fc00), ram);
	/* the PCI 32-bit window is not RAM */
	for (i = 0; i < (uint64_t)n; i++)
		if (t[i].type == BOOT_E820_RAM)
			EXPECT_TRUE(t[i].addr + t[i].size <= VM_PCI_MMIO32_BASE ||
				    t[i].addr >= VM_HIGH_RAM_BASE);
}

TEST(boot_params)
{
	uint8_t *img = fake_bzimage(0x020f, LOADED_HIGH, XLF_KERNEL_64);
	struct boot_params *bp = calloc(1, sizeof(*bp));
	struct bzimage bz;
	char err[160];

	ASSERT_EQ(0, boot_parse_bzimage(img, IMG_SIZE, &bz, err, sizeof(err)));
	memset(bp, 0x5a, sizeof(*bp));
	boot_build_params(bp, &bz, BOOT_CMDLINE_ADDR, 0x7000000, 0x123456,
			  512ULL << 20, 0, 0xe0000);
	EXPECT_EQ(0xaa55, bp->hdr.boot_flag);
	EXPECT_EQ(0x53726448u, bp->hdr.header);
	EXPECT_EQ(0xff, bp->hdr.type_of_loader);
	EXPECT_EQ(LOADED_HIGH | CAN_USE_HEAP, bp->hdr.loadflags);
	EXPECT_EQ(BOOT_CMDLINE_ADDR, bp->hdr.cmd_line_ptr);
	EXPECT_EQ(0u, bp->ext_cmd_line_ptr);
	EXPECT_EQ(0x7000000u, bp->hdr.ramdisk_image);
	EXPECT_EQ(0x123456u, bp->hdr.ramdisk_size);
	EXPECT_EQ(0u, bp->ext_ramdisk_image);
	EXPECT_EQ(0xffff, bp->hdr.vid_mode);
	EXPECT_EQ(4, bp->e820_entries);
	EXPECT_EQ((512ULL << 20) - 0x100000, bp->e820_table[2].size);
	EXPECT_EQ(0xe0000u, bp->acpi_rsdp_addr);
	/* everything else zeroed (the 0x5a fill is gone) */
	EXPECT_EQ(0, bp->screen_info.orig_video_mode);
	EXPECT_EQ(0, bp->sentinel);
	free(bp);
	free(img);
}

TEST(boot_params_old_protocol_no_rsdp)
{
	uint8_t *img = fake_bzimage(0x020c, LOADED_HIGH, XLF_KERNEL_64);
	struct boot_params *bp = calloc(1, sizeof(*bp));
	struct bzimage bz;
	char err[160];

	ASSERT_EQ(0, boot_parse_bzimage(img, IMG_SIZE, &bz, err, sizeof(err)));
	boot_build_params(bp, &bz, BOOT_CMDLINE_ADDR, 0, 0, 256ULL << 20, 0, 0xe0000);
	EXPECT_EQ(0u, bp->acpi_rsdp_addr);
	free(bp);
	free(img);
}

TEST(initrd_placement)
{
	uint8_t *img = fake_bzimage(0x020f, LOADED_HIGH, XLF_KERNEL_64);
	struct bzimage bz;
	char err[160];

	ASSERT_EQ(0, boot_parse_bzimage(img, IMG_SIZE, &bz, err, sizeof(err)));
	/* top of low RAM, page aligned */
	EXPECT_EQ((256ULL << 20) - 0x2000, boot_initrd_addr(&bz, 256ULL << 20, 0x2000000, 0x1800));
	/* capped by initrd_addr_max */
	bz.hdr.initrd_addr_max = 0x37ffffff;
	EXPECT_EQ(0x38000000ULL - 0x100000, boot_initrd_addr(&bz, 3ULL << 30, 0x2000000, 0x100000));
	/* does not fit above the kernel */
	EXPECT_EQ(0, boot_initrd_addr(&bz, 64ULL << 20, 60ULL << 20, 8ULL << 20));
	EXPECT_EQ(0, boot_initrd_addr(&bz, 64ULL << 20, 0, 128ULL << 20));
	free(img);
}

TEST(page_tables_identity_4g)
{
	uint8_t *ram = calloc(1, 0x10000);
	uint64_t *pml4 = (uint64_t *)(ram + BOOT_PML4_ADDR);
	uint64_t *pdpt = (uint64_t *)(ram + BOOT_PDPT_ADDR);
	uint64_t *pd = (uint64_t *)(ram + BOOT_PD_ADDR);
	uint64_t va;

	boot_build_page_tables(ram);
	EXPECT_EQ(BOOT_PDPT_ADDR | 3ULL, pml4[0]);
	EXPECT_EQ(0, pml4[1]);
	/* walk a few addresses: identity mapped, 2 MiB pages */
	for (va = 0; va < (4ULL << 30); va += 0x12345678ULL) {
		uint64_t pdpte = pdpt[(va >> 30) & 511];
		uint64_t pde;

		ASSERT_EQ(1ULL, pdpte & 1);
		pde = ((uint64_t *)(ram + (pdpte & ~0xfffULL)))[(va >> 21) & 511];
		ASSERT_EQ(0x83ULL, pde & 0x83);
		EXPECT_EQ(va & ~0x1fffffULL, pde & ~0xfffULL);
	}
	EXPECT_EQ(0, pdpt[4]);
	EXPECT_EQ((0x3ffULL << 21) | 0x83, pd[0x3ff]);
	free(ram);
}

TEST(sregs_long_mode)
{
	struct boot_info bi = { .pml4 = BOOT_PML4_ADDR };
	struct kvm_sregs s;
	uint8_t *ram = calloc(1, 0x1000);
	uint64_t *gdt = (uint64_t *)(ram + BOOT_GDT_ADDR);

	memset(&s, 0, sizeof(s));
	boot_setup_sregs(&s, &bi);
	boot_build_gdt(ram);
	EXPECT_EQ(0x500ULL, s.efer & 0x500);		/* LME | LMA */
	EXPECT_EQ(0x80000001ULL, s.cr0 & 0x80000001);	/* PG | PE */
	EXPECT_EQ(0x20ULL, s.cr4 & 0x20);		/* PAE */
	EXPECT_EQ((uint64_t)BOOT_PML4_ADDR, s.cr3);
	EXPECT_EQ(1, s.cs.l);
	EXPECT_EQ(0, s.cs.db);
	EXPECT_EQ(0x10, s.cs.selector);
	EXPECT_EQ(0x18, s.ds.selector);
	/* the selectors point at matching GDT descriptors */
	EXPECT_EQ(1ULL, (gdt[s.cs.selector >> 3] >> 53) & 1);	/* L bit */
	EXPECT_EQ(0x9bULL, (gdt[s.cs.selector >> 3] >> 40) & 0xff);
	EXPECT_EQ(0x93ULL, (gdt[s.ds.selector >> 3] >> 40) & 0xff);
	EXPECT_EQ(0x8bULL, (gdt[s.tr.selector >> 3] >> 40) & 0xff);
	EXPECT_EQ((uint64_t)BOOT_GDT_ADDR, s.gdt.base);
	free(ram);
}

/* ---- boot_files_load: every boot file checked before the VM exists ---- */

struct files {
	char dir[64], kernel[96], initrd[96], notimg[96];
};

static void write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || write(fd, buf, len) != (ssize_t)len)
		abort();
	close(fd);
}

static void make_files(struct files *f, size_t initrd_size)
{
	uint8_t *img = fake_bzimage(0x020f, LOADED_HIGH, XLF_KERNEL_64);
	uint8_t *rd = calloc(1, initrd_size);

	snprintf(f->dir, sizeof(f->dir), "/tmp/vibevmm-boot-XXXXXX");
	if (!mkdtemp(f->dir) || !rd)
		abort();
	snprintf(f->kernel, sizeof(f->kernel), "%s/bzImage", f->dir);
	snprintf(f->initrd, sizeof(f->initrd), "%s/initrd", f->dir);
	snprintf(f->notimg, sizeof(f->notimg), "%s/text", f->dir);
	write_file(f->kernel, img, IMG_SIZE);
	write_file(f->initrd, rd, initrd_size);
	write_file(f->notimg, "hello\n", 6);
	free(img);
	free(rd);
}

static void remove_files(struct files *f)
{
	unlink(f->kernel);
	unlink(f->initrd);
	unlink(f->notimg);
	rmdir(f->dir);
}

/* stderr into a pipe from capture_begin() to capture_end() (@out). */
struct capture {
	int saved, rd;
};

static void capture_begin(struct capture *c)
{
	int fds[2];

	c->saved = dup(STDERR_FILENO);
	if (c->saved < 0 || pipe(fds) || dup2(fds[1], STDERR_FILENO) < 0)
		abort();
	close(fds[1]);
	c->rd = fds[0];
}

static void capture_end(struct capture *c, char *out, size_t len)
{
	ssize_t n;

	dup2(c->saved, STDERR_FILENO);
	close(c->saved);
	n = read(c->rd, out, len - 1);
	out[n > 0 ? n : 0] = '\0';
	close(c->rd);
}

/* boot_files_load() with its stderr captured into @out. */
static int load_captured(const struct vmm_config *cfg, struct boot_files *bf,
			 char *out, size_t len)
{
	struct capture c;
	int ret;

	capture_begin(&c);
	ret = boot_files_load(cfg, bf);
	capture_end(&c, out, len);
	return ret;
}

static void base_cfg(struct vmm_config *cfg, const struct files *f)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->kernel = f->kernel;
	cfg->initrd = f->initrd;
	cfg->mem = 256ULL << 20;
	cfg->cmdline = "quiet";
	cfg->no_kernel_cache = true;	/* never the user's own cache */
}

TEST(boot_files_good)
{
	struct vmm_config cfg;
	struct boot_files bf;
	struct files f;
	char out[512];

	make_files(&f, 3 << 20);
	base_cfg(&cfg, &f);
	ASSERT_EQ(0, load_captured(&cfg, &bf, out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_STREQ("", out);
	EXPECT_EQ(IMG_SIZE, bf.ksize);
	EXPECT_EQ(3u << 20, bf.isize);
	EXPECT_EQ(BOOT_KERNEL_ADDR + 0x1000000ULL, bf.kernel_end);
	EXPECT_EQ((256ULL << 20) - (3 << 20), bf.initrd_addr);
	EXPECT_STREQ("console=ttyS0 quiet", bf.cmdline);
	EXPECT_EQ(strlen("console=ttyS0 quiet") + 1, bf.clen);
	boot_files_free(&bf);
	EXPECT_EQ(NULL, bf.kimg);
	remove_files(&f);
}

TEST(boot_files_every_error)
{
	struct files f;
	char *longline = malloc(4000);
	/* NULL: the good file; "@dir", "@text": the directory, a text file */
	const struct {
		const char *kernel, *initrd, *cmdline;
		uint64_t mem_mb;
		const char *pre, *arg, *post;	/* expected line: pre, @arg's path, post */
	} cases[] = {
		{ "/nonexistent/bzImage", NULL, NULL, 256,
		  "vibevmm: --kernel '/nonexistent/bzImage': No such file or directory; give an existing, readable file\n", NULL, "" },
		{ "@text", NULL, NULL, 256,
		  "vibevmm: --kernel '", f.notimg, "' is too small to be a bzImage (6 bytes)\n" },
		{ "@dir", NULL, NULL, 256,
		  "vibevmm: --kernel '", f.dir, "': not a regular file; give a file\n" },
		{ NULL, "/nonexistent/initrd", NULL, 256,
		  "vibevmm: --initrd '/nonexistent/initrd': No such file or directory; give an existing, readable file\n", NULL, "" },
		/* the kernel unpacks to 17M: 16M of RAM cannot hold it */
		{ NULL, NULL, NULL, 16,
		  "vibevmm: --mem 16M: too small for kernel '", f.kernel, "' (needs 18M to unpack); give more --mem\n" },
		/* 40M of initrd above a 17M kernel in 48M of RAM */
		{ NULL, NULL, NULL, 48,
		  "vibevmm: --initrd '", f.initrd, "': 40M does not fit in low guest RAM next to the kernel; give more --mem\n" },
		{ NULL, NULL, longline, 256,
		  "vibevmm: --cmdline: 4013 bytes is longer than kernel '", f.kernel, "' accepts (2047); shorten it\n" },
	};
	unsigned int i;

	ASSERT_NE(NULL, longline);
	memset(longline, 'x', 3999);
	longline[3999] = '\0';
	make_files(&f, 40 << 20);
	log_level = LOG_ERR;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vmm_config cfg;
		struct boot_files bf;
		char out[512], want[512];
		const char *k = cases[i].kernel;

		base_cfg(&cfg, &f);
		if (k)
			cfg.kernel = !strcmp(k, "@text") ? f.notimg : !strcmp(k, "@dir") ? f.dir : k;
		if (cases[i].initrd)
			cfg.initrd = cases[i].initrd;
		if (cases[i].cmdline)
			cfg.cmdline = cases[i].cmdline;
		cfg.mem = cases[i].mem_mb << 20;
		EXPECT_EQ(-1, load_captured(&cfg, &bf, out, sizeof(out))) TH_LOG("case %u", i);
		snprintf(want, sizeof(want), "%s%s%s", cases[i].pre,
			 cases[i].arg ? cases[i].arg : "", cases[i].post);
		EXPECT_STREQ(want, out);
	}
	log_level = LOG_INFO;
	free(longline);
	remove_files(&f);
}

/* A bzImage whose payload is @payload (n bytes) at offset 0 of the kernel. */
static void write_bzimage_with(const char *path, const uint8_t *payload, size_t n)
{
	uint8_t *img = fake_bzimage(0x020f, LOADED_HIGH, XLF_KERNEL_64);
	struct setup_header *h = (struct setup_header *)(img + 0x1f1);

	if (n > IMG_SIZE - 5 * 512)
		abort();
	memcpy(img + 5 * 512, payload, n);
	h->payload_offset = 0;
	h->payload_length = n;
	write_file(path, img, IMG_SIZE);
	free(img);
}

TEST(boot_files_unpack_by_vmm_or_guest)
{
	uint8_t *elf = fake_vmlinux(), *xz;
	struct vmm_config cfg;
	struct boot_files bf;
	struct files f;
	char out[512];
	size_t n;

	make_files(&f, 1 << 20);
	xz = xz_payload(elf, ELF_SIZE, &n);
	write_bzimage_with(f.kernel, xz, n);
	base_cfg(&cfg, &f);

	/* default: vibevmm unpacks; the kernel ends where its ELF says */
	ASSERT_EQ(0, load_captured(&cfg, &bf, out, sizeof(out))) TH_LOG("%s", out);
	ASSERT_NE(NULL, bf.vmlinux);
	EXPECT_EQ(ELF_SIZE, bf.vlen);
	EXPECT_EQ(0x1000000u, bf.elf.entry);
	EXPECT_EQ(0x1205000u, bf.kernel_end);
	EXPECT_EQ((256ULL << 20) - (1 << 20), bf.initrd_addr);
	boot_files_free(&bf);
	EXPECT_EQ(NULL, bf.vmlinux);

	/* --kernel-unpack guest: the bzImage as it is */
	cfg.kernel_unpack = KERNEL_UNPACK_GUEST;
	ASSERT_EQ(0, load_captured(&cfg, &bf, out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_EQ(NULL, bf.vmlinux);
	EXPECT_EQ(BOOT_KERNEL_ADDR + 0x1000000ULL, bf.kernel_end);
	boot_files_free(&bf);

	/* a payload that is not a vmlinux ELF: the guest decompresses it */
	cfg.kernel_unpack = KERNEL_UNPACK_VMM;
	free(xz);
	memset(elf, 0x42, 64);
	xz = xz_payload(elf, ELF_SIZE, &n);
	write_bzimage_with(f.kernel, xz, n);
	ASSERT_EQ(0, load_captured(&cfg, &bf, out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_EQ(NULL, bf.vmlinux);
	EXPECT_STREQ("", out);
	boot_files_free(&bf);

	/* a corrupt payload is an error naming --kernel */
	xz[n / 2] ^= 0x55;
	write_bzimage_with(f.kernel, xz, n);
	EXPECT_EQ(-1, load_captured(&cfg, &bf, out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "--kernel '")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "its xz payload is corrupt")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "; give an intact kernel or --kernel-unpack guest\n")) TH_LOG("%s", out);
	EXPECT_EQ(NULL, bf.kimg);
	free(xz);
	free(elf);
	remove_files(&f);
}

/*
 * Files with an xz bzImage of @elf (the payload returned, to be freed) and
 * @cfg using the kernel cache @cache, in the files' directory.
 */
static uint8_t *cached_kernel_files(struct files *f, struct vmm_config *cfg, const uint8_t *elf,
				    char *cache, size_t len)
{
	uint8_t *xz;
	size_t n;

	make_files(f, 1 << 20);
	xz = xz_payload(elf, ELF_SIZE, &n);
	write_bzimage_with(f->kernel, xz, n);
	base_cfg(cfg, f);
	snprintf(cache, len, "%s/cache", f->dir);
	cfg->no_kernel_cache = false;
	cfg->kernel_cache = cache;
	return xz;
}

/* The second boot of the same bzImage reads the kernel cache instead. */
TEST(boot_files_kernel_cache)
{
	uint8_t *elf = fake_vmlinux(), *xz;
	char out[512], cache[128], cmd[160];
	struct vmm_config cfg;
	struct boot_files bf;
	struct files f;

	xz = cached_kernel_files(&f, &cfg, elf, cache, sizeof(cache));

	ASSERT_EQ(0, load_captured(&cfg, &bf, out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_FALSE(bf.cached);			/* unpacked, and kept */
	ASSERT_NE(NULL, bf.vmlinux);
	boot_files_free(&bf);

	ASSERT_EQ(0, load_captured(&cfg, &bf, out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_TRUE(bf.cached);
	EXPECT_EQ(NULL, bf.vmlinux);
	EXPECT_LE(0, fcntl(bf.cache_fd, F_GETFD));
	EXPECT_EQ(0x1000000u, bf.elf.entry);
	EXPECT_EQ(0x1205000u, bf.kernel_end);
	EXPECT_EQ(2u, bf.elf.nseg);
	boot_files_free(&bf);

	/* --kernel-cache off: unpacked again, the cache not read */
	cfg.no_kernel_cache = true;
	cfg.kernel_cache = NULL;
	ASSERT_EQ(0, load_captured(&cfg, &bf, out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_FALSE(bf.cached);
	EXPECT_NE(NULL, bf.vmlinux);
	boot_files_free(&bf);

	snprintf(cmd, sizeof(cmd), "rm -rf %s", cache);
	ASSERT_EQ(0, system(cmd));
	free(xz);
	free(elf);
	remove_files(&f);
}

static size_t lines(const char *s)
{
	size_t n = 0;

	for (; (s = strchr(s, '\n')); s++)
		n++;
	return n;
}

/* Guest RAM of @size bytes, every byte @fill. */
static uint8_t *guest_ram(size_t size, int fill)
{
	uint8_t *ram = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			    -1, 0);

	if (ram == MAP_FAILED)
		abort();
	memset(ram, fill, size);
	return ram;
}

/* The fake vmlinux @elf's segments in @ram, their bss zero (kernel_fake.h). */
static void check_kernel_in_ram(struct __test_metadata *_metadata, const uint8_t *ram,
				const uint8_t *elf)
{
	static const uint8_t zero[0x4000];

	EXPECT_EQ(0, memcmp(ram + 0x1000000, elf + 0x1000, 0x1000));
	EXPECT_EQ(0, memcmp(ram + 0x1200000, elf + 0x2000, 0x1000));
	EXPECT_EQ(0, memcmp(ram + 0x1201000, zero, sizeof(zero)));
	EXPECT_EQ(0xee, ram[0x1205000]);		/* nothing past the kernel */
	EXPECT_EQ(0xee, ram[0x1001000]);
}

/* The one kernel cache entry in @cache: its path into @out. */
static void cache_entry(const char *cache, char *out, size_t len)
{
	DIR *d = opendir(cache);
	struct dirent *de;
	int n = 0;

	if (!d)
		abort();
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, "kernel-", 7) && ++n)
			snprintf(out, len, "%s/%s", cache, de->d_name);
	closedir(d);
	if (n != 1)
		abort();
}

/*
 * A boot from the kernel cache: boot_files_load() finds @entry, which is
 * then truncated to @cut bytes (unless @cut < 0) before boot_load_kernel()
 * copies the fake vmlinux @elf into 64 MiB of guest RAM, checked; its
 * warnings (--log 1) into @out.
 */
static void cached_boot(struct __test_metadata *_metadata, const struct vmm_config *cfg,
			const uint8_t *elf, const char *entry, off_t cut, char *out, size_t len)
{
	const size_t ram_size = 64 << 20;
	uint8_t *ram = guest_ram(ram_size, 0xee);
	struct boot_files bf;
	struct capture c;
	uint64_t pc = 0;

	ASSERT_EQ(0, load_captured(cfg, &bf, out, len)) TH_LOG("%s", out);
	ASSERT_TRUE(bf.cached);
	if (cut >= 0)
		ASSERT_EQ(0, truncate(entry, cut));
	log_level = LOG_WARN;
	capture_begin(&c);
	EXPECT_EQ(0, boot_load_kernel(&bf, ram, ram_size, &pc));
	capture_end(&c, out, len);
	log_level = LOG_INFO;
	EXPECT_EQ(0x1000000u, pc);
	check_kernel_in_ram(_metadata, ram, elf);
	boot_files_free(&bf);
	munmap(ram, ram_size);
}

/*
 * A cache file truncated between its lookup (boot_files_load) and the
 * load into guest RAM: one warning, then the kernel is unpacked and
 * stored again, as on a miss; the guest gets the whole kernel.
 */
TEST(boot_kernel_cache_truncated_before_load)
{
	uint8_t *elf = fake_vmlinux(), *xz;
	char out[1024], cache[128], entry[512], cmd[160];
	struct vmm_config cfg;
	struct boot_files bf;
	struct files f;
	struct stat st;
	off_t whole;

	xz = cached_kernel_files(&f, &cfg, elf, cache, sizeof(cache));
	cfg.mem = 64 << 20;
	ASSERT_EQ(0, load_captured(&cfg, &bf, out, sizeof(out))) TH_LOG("%s", out);
	boot_files_free(&bf);					/* stored */
	cache_entry(cache, entry, sizeof(entry));
	ASSERT_EQ(0, stat(entry, &st));
	whole = st.st_size;

	/* intact: read from the cache, silently */
	cached_boot(_metadata, &cfg, elf, entry, -1, out, sizeof(out));
	EXPECT_STREQ("", out);

	/* truncated inside its last segment */
	cached_boot(_metadata, &cfg, elf, entry, whole - 0x800, out, sizeof(out));
	EXPECT_EQ(1u, lines(out)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, f.kernel)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, cache)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "unpacking it instead")) TH_LOG("%s", out);
	/* stored again: whole, and a hit */
	ASSERT_EQ(0, stat(entry, &st));
	EXPECT_EQ(whole, st.st_size);
	ASSERT_EQ(0, load_captured(&cfg, &bf, out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_TRUE(bf.cached);
	boot_files_free(&bf);

	/* emptied: the same */
	cached_boot(_metadata, &cfg, elf, entry, 0, out, sizeof(out));
	EXPECT_EQ(1u, lines(out)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "unpacking it instead")) TH_LOG("%s", out);

	snprintf(cmd, sizeof(cmd), "rm -rf %s", cache);
	ASSERT_EQ(0, system(cmd));
	free(xz);
	free(elf);
	remove_files(&f);
}

/*
 * A bzImage crafted to have a cached kernel's payload length, CRC-32 and
 * Adler-32 (the cache's key before SHA-256) is unpacked, not served the
 * cached kernel.
 */
TEST(boot_kernel_cache_crafted_twin_not_served)
{
	uint8_t *elf = fake_vmlinux(), *twin = malloc(ELF_SIZE), *xz, *gz, *gz2;
	char out[1024], cache[128], cmd[160];
	struct vmm_config cfg;
	struct boot_files bf;
	struct files f;
	size_t n, n2;

	ASSERT_NE(NULL, twin);
	twin_pattern(elf, 0x1100);		/* in the text segment's bytes */
	memcpy(twin, elf, ELF_SIZE);
	crc_adler_twin(twin, ELF_SIZE, 0x1100);
	/* stored gzip: the twins' payloads differ in the same bytes only */
	gz = gz_payload_level(elf, ELF_SIZE, &n, 0);
	gz2 = gz_payload_level(twin, ELF_SIZE, &n2, 0);
	ASSERT_EQ(n, n2);
	ASSERT_NE(0, memcmp(gz, gz2, n));
	ASSERT_EQ(crc32(0, gz, n), crc32(0, gz2, n));
	ASSERT_EQ(adler32(1, gz, n), adler32(1, gz2, n));

	xz = cached_kernel_files(&f, &cfg, elf, cache, sizeof(cache));
	write_bzimage_with(f.kernel, gz, n);
	ASSERT_EQ(0, load_captured(&cfg, &bf, out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_FALSE(bf.cached);				/* unpacked, and kept */
	boot_files_free(&bf);
	ASSERT_EQ(0, load_captured(&cfg, &bf, out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_TRUE(bf.cached);
	boot_files_free(&bf);

	write_bzimage_with(f.kernel, gz2, n2);
	ASSERT_EQ(0, load_captured(&cfg, &bf, out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_FALSE(bf.cached);
	ASSERT_NE(NULL, bf.vmlinux);
	EXPECT_EQ(0, memcmp(bf.vmlinux, twin, ELF_SIZE));
	boot_files_free(&bf);

	snprintf(cmd, sizeof(cmd), "rm -rf %s", cache);
	ASSERT_EQ(0, system(cmd));
	free(gz);
	free(gz2);
	free(xz);
	free(twin);
	free(elf);
	remove_files(&f);
}

/*
 * A kernel cache that cannot be used never fails the boot: the kernel is
 * unpacked, with one line naming the cache and what to do.
 */
TEST(boot_files_unusable_kernel_cache)
{
	uint8_t *elf = fake_vmlinux(), *xz;
	char out[1024], cache[128], *p;
	struct vmm_config cfg;
	struct boot_files bf;
	struct files f;
	size_t n;
	int fd;

	xz = cached_kernel_files(&f, &cfg, elf, cache, sizeof(cache));
	fd = open(cache, O_WRONLY | O_CREAT, 0600);	/* a file, not a directory */
	ASSERT_LE(0, fd);
	close(fd);
	log_level = LOG_INFO;

	ASSERT_EQ(0, load_captured(&cfg, &bf, out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_FALSE(bf.cached);
	EXPECT_NE(NULL, bf.vmlinux);
	EXPECT_NE(NULL, strstr(out, cache)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "--kernel-cache off")) TH_LOG("%s", out);
	for (n = 0, p = out; (p = strchr(p, '\n')); p++)
		n++;
	EXPECT_EQ(1u, n) TH_LOG("%s", out);		/* one line */
	boot_files_free(&bf);
	ASSERT_EQ(0, unlink(cache));
	free(xz);
	free(elf);
	remove_files(&f);
}

TEST_HARNESS_MAIN
