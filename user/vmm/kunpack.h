/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Unpacking a bzImage's kernel in vibevmm instead of in the guest.
 *
 * A bzImage carries the kernel proper (vmlinux, an ELF file, followed by
 * its relocation table) compressed, plus a decompressor that runs in the
 * guest before the kernel.  vibevmm can do that work itself: decompress the
 * payload (xz with liblzma, gzip with zlib), copy the ELF's PT_LOAD
 * segments to their physical addresses and enter the kernel at its 64-bit
 * entry point (startup_64, which takes "a 64-bit boot loader" with an
 * identity map and %rsi = boot_params), as Firecracker and cloud-hypervisor
 * do with a vmlinux.  The kernel then runs where it was linked: no KASLR of
 * the physical and virtual base (the decompressor's job), which is why
 * `--kernel-unpack guest` (the kernel's own decompressor) remains.
 */
#ifndef VIBEVMM_KUNPACK_H
#define VIBEVMM_KUNPACK_H

#include <stddef.h>
#include <stdint.h>

#define KELF_MAX_SEGS	16

/*
 * The version of what kunpack_payload() and kelf_parse() make of a payload.
 * The kernel cache (kcache.h) keys its files by it: bump it with any change
 * that could alter the unpacked segments or their checks, so that a fixed
 * unpacking bug stops serving the entries it wrote.
 */
#define KUNPACK_VERSION	1

struct kelf_seg {
	uint64_t paddr, filesz, memsz;
	const uint8_t *data;		/* filesz bytes, in the ELF image */
	uint64_t file_off;		/* or there in a kernel cache file */
};

struct kelf {
	uint64_t entry;			/* physical */
	uint64_t lo, hi;		/* physical extent of the segments */
	unsigned int nseg;
	struct kelf_seg seg[KELF_MAX_SEGS];
};

/*
 * Decompress @len bytes of payload into a malloc'd buffer (*out, *outlen).
 * Returns 0; -ENOTSUP for a format vibevmm does not decompress (the caller
 * boots the bzImage as is); -EINVAL or -ENOMEM with @err set otherwise.
 */
int kunpack_payload(const uint8_t *p, size_t len, uint8_t **out, size_t *outlen,
		    char *err, size_t errlen);

/*
 * Parse an x86_64 vmlinux ELF image: loadable segments, entry, extent.
 * Every segment must lie at or above 1 MiB and below 4 GiB, inside the
 * image, and the entry inside a segment.  0, or -1 with @err set.
 */
int kelf_parse(const uint8_t *img, size_t len, struct kelf *k, char *err, size_t errlen);

/*
 * The checks of kelf_parse, for segments described elsewhere (kcache.h):
 * add one segment (its data left NULL), then set the entry point, which
 * must lie in one of them.  0, or -1 with @err set.
 */
int kelf_add_seg(struct kelf *k, uint64_t paddr, uint64_t filesz, uint64_t memsz,
		 char *err, size_t errlen);
int kelf_set_entry(struct kelf *k, uint64_t entry, char *err, size_t errlen);

#endif
