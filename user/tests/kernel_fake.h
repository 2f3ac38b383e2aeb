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

static inline uint8_t *gz_payload(const uint8_t *in, size_t len, size_t *n)
{
	uint8_t *out = malloc(len + 4096);
	z_stream z;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
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

#endif
