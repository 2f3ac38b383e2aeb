/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A fake vmlinux and its compressed forms, as a bzImage carries them
 * (test_vmm_kunpack.c, test_vmm_boot.c).
 */
#ifndef VIBEVMM_TEST_KERNEL_FAKE_H
#define VIBEVMM_TEST_KERNEL_FAKE_H

#include <elf.h>
#include <lzma.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define ELF_SIZE	0x3000

/* A vmlinux-like ELF: text at 16 MiB (the entry), data + bss after it. */
static inline uint8_t *fake_vmlinux(void)
{
	uint8_t *img = calloc(1, ELF_SIZE);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
	Elf64_Phdr *ph = (Elf64_Phdr *)(img + sizeof(*eh));
	unsigned int i;

	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_entry = 0x1000000;
	eh->e_phoff = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = 3;
	ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = 0x1000, .p_paddr = 0x1000000,
			      .p_filesz = 0x1000, .p_memsz = 0x1000 };
	ph[1] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = 0x100, .p_paddr = 0,
			      .p_filesz = 0x10, .p_memsz = 0x10 };
	ph[2] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = 0x2000, .p_paddr = 0x1200000,
			      .p_filesz = 0x1000, .p_memsz = 0x5000 };
	for (i = 0x1000; i < ELF_SIZE; i++)
		img[i] = (uint8_t)(i * 7);
	return img;
}

static inline void append_size(uint8_t *out, size_t *n, uint32_t size)
{
	memcpy(out + *n, &size, 4);	/* little-endian, as the kernel's build does */
	*n += 4;
}

static inline uint8_t *xz_payload(const uint8_t *in, size_t len, size_t *n)
{
	uint8_t *out = malloc(len + 4096);

	*n = 0;
	if (lzma_easy_buffer_encode(6, LZMA_CHECK_CRC32, NULL, in, len, out, n, len + 4096) !=
	    LZMA_OK)
		abort();
	append_size(out, n, len);
	return out;
}

/* gzip at @level: 0 stores the bytes as they are (crc_adler_twin()). */
static inline uint8_t *gz_payload_level(const uint8_t *in, size_t len, size_t *n, int level)
{
	uint8_t *out = malloc(len + 4096);
	z_stream z;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	z.next_in = (Bytef *)in;
	z.avail_in = len;
	z.next_out = out;
	z.avail_out = len + 4096;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		abort();
	*n = z.total_out;
	deflateEnd(&z);
	append_size(out, n, len);
	return out;
}

static inline uint8_t *gz_payload(const uint8_t *in, size_t len, size_t *n)
{
	return gz_payload_level(in, len, n, 9);
}

/*
 * Two byte strings of one length with the same CRC-32 and Adler-32 (the
 * kernel cache's key before SHA-256).  TWIN_QUADS groups of four bytes
 * 0,1,1,0 at @off of @buf (twin_pattern()); crc_adler_twin() turns some
 * of them into 1,0,0,1.  Each such change adds +1,-1,-1,+1 at consecutive
 * offsets: Adler-32's sum and its position-weighted sum stay the same,
 * exactly.  CRC-32 is affine, so the changes whose CRC differences XOR to
 * zero keep it too: Gaussian elimination over GF(2) finds such a set among
 * any 33 of them.
 */
#define TWIN_QUADS	64

static inline void twin_pattern(uint8_t *buf, size_t off)
{
	unsigned int i;

	for (i = 0; i < TWIN_QUADS; i++)
		memcpy(buf + off + 4 * i, "\0\1\1\0", 4);
}

static inline void twin_flip(uint8_t *q)
{
	q[0] ^= 1;
	q[1] ^= 1;
	q[2] ^= 1;
	q[3] ^= 1;
}

/* Change @buf (@len bytes, twin_pattern() at @off) into its twin. */
static inline void crc_adler_twin(uint8_t *buf, size_t len, size_t off)
{
	uint32_t vec[32] = { 0 }, base = crc32(0, buf, len);
	uint64_t mask[32] = { 0 };
	unsigned int i, q;
	int bit;

	for (i = 0; i < TWIN_QUADS; i++) {
		uint64_t m = 1ULL << i;
		uint32_t v;

		twin_flip(buf + off + 4 * i);
		v = crc32(0, buf, len) ^ base;
		twin_flip(buf + off + 4 * i);
		for (bit = 31; bit >= 0 && v; bit--) {
			if (!(v >> bit & 1))
				continue;
			if (!vec[bit]) {
				vec[bit] = v;
				mask[bit] = m;
				break;
			}
			v ^= vec[bit];
			m ^= mask[bit];
		}
		if (v)
			continue;
		for (q = 0; q < TWIN_QUADS; q++)
			if (m >> q & 1)
				twin_flip(buf + off + 4 * q);
		return;
	}
	abort();
}

#endif
