// SPDX-License-Identifier: GPL-2.0
/* vibevmm unpacking a bzImage payload: xz and gzip, and the vmlinux ELF. */
#include <elf.h>
#include <errno.h>
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* the harness defines non-static helpers without prototypes */
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include "kselftest_harness.h"
#include "vmm/kunpack.h"
#include "kernel_fake.h"

static void check_segments(struct __test_metadata *_metadata, const struct kelf *k,
			   const uint8_t *img)
{
	ASSERT_EQ(2u, k->nseg);
	EXPECT_EQ(0x1000000u, k->entry);
	EXPECT_EQ(0x1000000u, k->lo);
	EXPECT_EQ(0x1205000u, k->hi);
	EXPECT_EQ(0x1200000u, k->seg[1].paddr);
	EXPECT_EQ(0x1000u, k->seg[1].filesz);
	EXPECT_EQ(0x5000u, k->seg[1].memsz);
	EXPECT_EQ(0, memcmp(k->seg[0].data, img + 0x1000, 0x1000));
	EXPECT_EQ(0, memcmp(k->seg[1].data, img + 0x2000, 0x1000));
}

/* Compress a fake vmlinux with @pack, unpack it, parse and check the ELF. */
static void round_trip(struct __test_metadata *_metadata,
		       uint8_t *(*pack)(const uint8_t *, size_t, size_t *))
{
	uint8_t *img = fake_vmlinux(), *p, *out = NULL;
	size_t n, outlen = 0;
	struct kelf k;
	char err[160];

	p = pack(img, ELF_SIZE, &n);
	ASSERT_EQ(0, kunpack_payload(p, n, &out, &outlen, err, sizeof(err))) TH_LOG("%s", err);
	ASSERT_EQ(ELF_SIZE, outlen);
	EXPECT_EQ(0, memcmp(out, img, ELF_SIZE));
	ASSERT_EQ(0, kelf_parse(out, outlen, &k, err, sizeof(err))) TH_LOG("%s", err);
	check_segments(_metadata, &k, out);
	free(out);
	free(p);
	free(img);
}

TEST(xz_payload_unpacks_to_the_elf)
{
	round_trip(_metadata, xz_payload);
}

TEST(gzip_payload_unpacks_to_the_elf)
{
	round_trip(_metadata, gz_payload);
}

TEST(other_formats_are_left_to_the_guest)
{
	static const uint8_t zstd[] = { 0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0, 0x10, 0, 0, 0 };
	uint8_t *out = NULL;
	size_t outlen = 0;
	char err[160];

	EXPECT_EQ(-ENOTSUP, kunpack_payload(zstd, sizeof(zstd), &out, &outlen, err, sizeof(err)));
	EXPECT_EQ(NULL, out);
}

TEST(corrupt_or_missized_payload_fails)
{
	uint8_t *img = fake_vmlinux(), *p, *out = NULL;
	size_t n, outlen = 0;
	char err[160];

	p = xz_payload(img, ELF_SIZE, &n);
	p[n / 2] ^= 0x55;
	EXPECT_EQ(-EINVAL, kunpack_payload(p, n, &out, &outlen, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "corrupt")) TH_LOG("%s", err);
	free(p);

	p = gz_payload(img, ELF_SIZE, &n);
	p[n - 4] += 1;			/* claims one byte more than it holds */
	EXPECT_EQ(-EINVAL, kunpack_payload(p, n, &out, &outlen, err, sizeof(err)));
	memset(p + n - 4, 0, 4);	/* claims nothing */
	EXPECT_EQ(-EINVAL, kunpack_payload(p, n, &out, &outlen, err, sizeof(err)));
	EXPECT_EQ(NULL, out);
	free(p);
	free(img);
}

TEST(elf_rejects)
{
	uint8_t *img = fake_vmlinux();
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
	Elf64_Phdr *ph = (Elf64_Phdr *)(img + sizeof(*eh));
	struct kelf k;
	char err[160];

	ASSERT_EQ(0, kelf_parse(img, ELF_SIZE, &k, err, sizeof(err)));
	EXPECT_EQ(-1, kelf_parse(img, 40, &k, err, sizeof(err)));	/* truncated */

	eh->e_ident[EI_CLASS] = ELFCLASS32;
	EXPECT_EQ(-1, kelf_parse(img, ELF_SIZE, &k, err, sizeof(err)));
	EXPECT_STREQ("does not unpack to an x86_64 vmlinux ELF", err);
	eh->e_ident[EI_CLASS] = ELFCLASS64;

	eh->e_phnum = 0xffff;					/* headers past the end */
	EXPECT_EQ(-1, kelf_parse(img, ELF_SIZE, &k, err, sizeof(err)));
	eh->e_phnum = 3;

	ph[2].p_paddr = 0x80000;				/* below 1 MiB */
	EXPECT_EQ(-1, kelf_parse(img, ELF_SIZE, &k, err, sizeof(err)));
	ph[2].p_paddr = 0xfffff000;				/* runs past 4 GiB */
	EXPECT_EQ(-1, kelf_parse(img, ELF_SIZE, &k, err, sizeof(err)));
	ph[2].p_paddr = 0x1200000;
	ph[2].p_filesz = 0x2000;				/* past the file */
	EXPECT_EQ(-1, kelf_parse(img, ELF_SIZE, &k, err, sizeof(err)));
	ph[2].p_filesz = 0x6000;				/* filesz > memsz */
	EXPECT_EQ(-1, kelf_parse(img, ELF_SIZE, &k, err, sizeof(err)));
	ph[2].p_filesz = 0x1000;

	eh->e_entry = 0x1100000;				/* in no segment */
	EXPECT_EQ(-1, kelf_parse(img, ELF_SIZE, &k, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "entry point 0x1100000")) TH_LOG("%s", err);
	free(img);
}

TEST_HARNESS_MAIN
