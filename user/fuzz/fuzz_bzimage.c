// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the bzImage header parser (vmm/boot.c), then the boot
 * parameters and initrd placement built from what it accepted.
 *
 * The input is the kernel image, in a buffer of exactly its size (so ASan
 * catches any read past the end of the file).  Checks: a refusal leaves one
 * non-empty line in err; an accepted image has a 2.12+ 64-bit bzImage
 * header equal to the file's bytes, and its setup and protected-mode parts
 * tile the file; the zero page carries the header and the loader fields;
 * an initrd address is page aligned, above the kernel and inside low RAM.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "vmm/boot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct boot_params *bp;
	struct bzimage bz;
	uint64_t low_end, kernel_end, isize, addr;
	char err[256];
	uint8_t *img;
	size_t n;

	img = malloc(size ? size : 1);
	bp = malloc(sizeof(*bp));
	if (!img || !bp)
		abort();
	memcpy(img, data, size);
	memset(err, 0, sizeof(err));
	if (boot_parse_bzimage(img, size, &bz, err, sizeof(err))) {
		n = strnlen(err, sizeof(err));
		FUZZ_CHECK(n > 0 && n < sizeof(err) && !strchr(err, '\n'),
			   "refusal without a one-line reason");
		goto out;
	}
	FUZZ_CHECK(size >= 0x250, "accepted a %zu-byte image", size);
	FUZZ_CHECK(!memcmp(img + 0x202, "HdrS", 4) && bz.hdr.version >= 0x020c &&
		   (bz.hdr.loadflags & LOADED_HIGH) && (bz.hdr.xloadflags & XLF_KERNEL_64),
		   "accepted an image the header refuses");
	FUZZ_CHECK(bz.setup_size && bz.setup_size % 512 == 0 && bz.setup_size < size &&
		   bz.kernel == img + bz.setup_size && bz.setup_size + bz.kernel_size == size,
		   "setup %zu + kernel %zu do not tile a %zu-byte file",
		   bz.setup_size, bz.kernel_size, size);
	/* the header is the file's bytes up to its end (0x202 + jump), the rest 0 */
	n = 0x202 + img[0x201] - 0x1f1;
	if (n > sizeof(bz.hdr))
		n = sizeof(bz.hdr);
	if (n > size - 0x1f1)
		n = size - 0x1f1;
	FUZZ_CHECK(!memcmp(&bz.hdr, img + 0x1f1, n), "parsed header differs from the file");
	while (n < sizeof(bz.hdr))
		FUZZ_CHECK(!((uint8_t *)&bz.hdr)[n++], "header byte past its end not 0");

	/* low RAM end and initrd size from the image's tail */
	low_end = (uint64_t)(img[size - 1] + 1) << 22;		/* 4 MiB .. 1 GiB */
	isize = (uint64_t)img[size - 2] << 16;
	kernel_end = BOOT_KERNEL_ADDR + ((bz.kernel_size + 0xfff) & ~0xfffull);
	addr = boot_initrd_addr(&bz, low_end, kernel_end, isize);
	if (addr) {
		uint64_t max = bz.hdr.initrd_addr_max ? bz.hdr.initrd_addr_max : 0x37ffffff;

		FUZZ_CHECK(!(addr & 0xfff) && addr >= kernel_end && addr + isize <= low_end &&
			   addr + isize <= max + 1,
			   "initrd of %#llx bytes placed at %#llx (kernel end %#llx, low end %#llx)",
			   (unsigned long long)isize, (unsigned long long)addr,
			   (unsigned long long)kernel_end, (unsigned long long)low_end);
	}
	memset(bp, 0xcc, sizeof(*bp));
	boot_build_params(bp, &bz, BOOT_CMDLINE_ADDR, addr, addr ? isize : 0,
			  low_end, low_end > (3ull << 30) ? low_end : 0, 0xe0000);
	FUZZ_CHECK(bp->hdr.version == bz.hdr.version && bp->hdr.cmd_line_ptr == BOOT_CMDLINE_ADDR &&
		   bp->hdr.ramdisk_image == (uint32_t)addr,
		   "zero page does not carry the header and loader fields");
	FUZZ_CHECK(bp->e820_entries > 0 && bp->e820_entries <= sizeof(bp->e820_table) /
		   sizeof(bp->e820_table[0]), "%u e820 entries", bp->e820_entries);
out:
	free(bp);
	free(img);
	return 0;
}
