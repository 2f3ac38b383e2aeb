// SPDX-License-Identifier: GPL-2.0
/* bzImage payload decompression and vmlinux ELF parsing (see kunpack.h). */
#include <elf.h>
#include <errno.h>
#include <lzma.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "kunpack.h"

/* The kernel's build appends the uncompressed size (le32) to the payload. */
static size_t appended_size(const uint8_t *p, size_t len)
{
	if (len < 4)
		return 0;
	return (size_t)p[len - 4] | (size_t)p[len - 3] << 8 |
	       (size_t)p[len - 2] << 16 | (size_t)p[len - 1] << 24;
}

#define UNPACK_MAX	(1024ULL << 20)	/* no kernel is larger */

static int unxz(const uint8_t *p, size_t len, uint8_t *out, size_t outlen,
		char *err, size_t errlen)
{
	lzma_stream s = LZMA_STREAM_INIT;
	lzma_ret r;

	if (lzma_stream_decoder(&s, UINT64_MAX, 0) != LZMA_OK) {
		snprintf(err, errlen, "cannot start the xz decoder");
		return -ENOMEM;
	}
	s.next_in = p;
	s.avail_in = len;
	s.next_out = out;
	s.avail_out = outlen;
	r = lzma_code(&s, LZMA_FINISH);
	lzma_end(&s);
	if (r != LZMA_STREAM_END || s.avail_out) {
		snprintf(err, errlen, "its xz payload is corrupt or not the size it claims (liblzma %d)",
			 (int)r);
		return -EINVAL;
	}
	return 0;
}

static int gunzip(const uint8_t *p, size_t len, uint8_t *out, size_t outlen,
		  char *err, size_t errlen)
{
	z_stream z;
	int r;

	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
		snprintf(err, errlen, "cannot start the gzip decoder");
		return -ENOMEM;
	}
	z.next_in = (Bytef *)p;
	z.avail_in = len > UINT32_MAX ? UINT32_MAX : len;
	z.next_out = out;
	z.avail_out = outlen;
	r = inflate(&z, Z_FINISH);
	inflateEnd(&z);
	if (r != Z_STREAM_END || z.avail_out) {
		snprintf(err, errlen, "its gzip payload is corrupt or not the size it claims (zlib %d)",
			 r);
		return -EINVAL;
	}
	return 0;
}

int kunpack_payload(const uint8_t *p, size_t len, uint8_t **out, size_t *outlen,
		    char *err, size_t errlen)
{
	static const uint8_t xz_magic[6] = { 0xfd, '7', 'z', 'X', 'Z', 0 };
	bool xz = len >= 6 && !memcmp(p, xz_magic, 6);
	bool gz = len >= 2 && p[0] == 0x1f && p[1] == 0x8b;
	size_t n;
	uint8_t *buf;
	int ret;

	if (!xz && !gz) {
		snprintf(err, errlen, "its payload is neither xz nor gzip");
		return -ENOTSUP;
	}
	n = appended_size(p, len);
	if (!n || n > UNPACK_MAX) {
		snprintf(err, errlen, "its payload gives no plausible uncompressed size");
		return -EINVAL;
	}
	buf = malloc(n);
	if (!buf) {
		snprintf(err, errlen, "out of memory unpacking it (%zu bytes)", n);
		return -ENOMEM;
	}
	ret = xz ? unxz(p, len, buf, n, err, errlen) : gunzip(p, len, buf, n, err, errlen);
	if (ret) {
		free(buf);
		return ret;
	}
	*out = buf;
	*outlen = n;
	return 0;
}

int kelf_add_seg(struct kelf *k, uint64_t paddr, uint64_t filesz, uint64_t memsz,
		 char *err, size_t errlen)
{
	struct kelf_seg *s;

	if (!k->nseg)
		k->lo = UINT64_MAX;
	if (k->nseg == KELF_MAX_SEGS) {
		snprintf(err, errlen, "unpacks to an ELF with more than %d loadable segments",
			 KELF_MAX_SEGS);
		return -1;
	}
	if (filesz > memsz || paddr < 0x100000 || paddr >= 1ULL << 32 ||
	    memsz > (1ULL << 32) - paddr) {
		snprintf(err, errlen, "unpacks to an ELF with a segment outside the file or outside 1 MiB..4 GiB");
		return -1;
	}
	s = &k->seg[k->nseg++];
	memset(s, 0, sizeof(*s));
	s->paddr = paddr;
	s->filesz = filesz;
	s->memsz = memsz;
	if (paddr < k->lo)
		k->lo = paddr;
	if (paddr + memsz > k->hi)
		k->hi = paddr + memsz;
	return 0;
}

int kelf_set_entry(struct kelf *k, uint64_t entry, char *err, size_t errlen)
{
	unsigned int i;

	for (i = 0; i < k->nseg; i++) {
		if (entry >= k->seg[i].paddr && entry < k->seg[i].paddr + k->seg[i].memsz) {
			k->entry = entry;
			return 0;
		}
	}
	snprintf(err, errlen, "unpacks to an ELF whose entry point %#llx is in no loadable segment",
		 (unsigned long long)entry);
	return -1;
}

int kelf_parse(const uint8_t *img, size_t len, struct kelf *k, char *err, size_t errlen)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img;
	unsigned int i;

	memset(k, 0, sizeof(*k));
	if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_machine != EM_X86_64 || eh->e_type != ET_EXEC) {
		snprintf(err, errlen, "does not unpack to an x86_64 vmlinux ELF");
		return -1;
	}
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phoff > len ||
	    eh->e_phnum > (len - eh->e_phoff) / sizeof(Elf64_Phdr)) {
		snprintf(err, errlen, "unpacks to an ELF whose program headers lie outside it");
		return -1;
	}
	for (i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph;

		memcpy(&ph, img + eh->e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD || !ph.p_memsz)
			continue;
		if (ph.p_offset > len || ph.p_filesz > len - ph.p_offset) {
			snprintf(err, errlen, "unpacks to an ELF with a segment outside the file or outside 1 MiB..4 GiB");
			return -1;
		}
		if (kelf_add_seg(k, ph.p_paddr, ph.p_filesz, ph.p_memsz, err, errlen))
			return -1;
		k->seg[k->nseg - 1].data = img + ph.p_offset;
	}
	if (!k->nseg) {
		snprintf(err, errlen, "unpacks to an ELF whose entry point %#llx is in no loadable segment",
			 (unsigned long long)eh->e_entry);
		return -1;
	}
	return kelf_set_entry(k, eh->e_entry, err, errlen);
}
