/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The unpacked-kernel cache: the loadable segments of a kernel vibevmm has
 * unpacked (kunpack.h), kept in a file per payload so that the next boot of
 * the same bzImage reads them instead of decompressing it again.
 *
 * In the lab, unpacking Debian's 6.1 kernel (8 MiB of xz to 63 MiB) takes
 * more than half of vibevmm's exec-to-init (Documentation/benchmarks.rst);
 * reading the segments back takes a small fraction of that.  A file is
 * named by its payload's length and two checksums of the payload's bytes
 * (CRC-32 and Adler-32, from zlib) and holds them again in its header, with
 * the entry point and the segments, which are checked as kelf_parse()
 * checks an ELF's.  Files are written whole under a temporary name and
 * renamed: a reader sees a complete file or none.  The directory is the
 * user's own (mode 0700, owned by the caller, not writable by others), or
 * the cache is not used.
 */
#ifndef VIBEVMM_KCACHE_H
#define VIBEVMM_KCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "kunpack.h"

struct kcache_key {
	uint64_t len;			/* payload bytes */
	uint32_t crc32, adler32;	/* of the payload */
};

void kcache_key(const uint8_t *payload, size_t len, struct kcache_key *key);

/*
 * The cache directory: @dir if given, else $XDG_CACHE_HOME/vibevmm, else
 * $HOME/.cache/vibevmm.  Writes it to @out (@outlen bytes); -1 if there is
 * none (no HOME) or it does not fit.
 */
int kcache_dir(const char *dir, char *out, size_t outlen);

/*
 * Look @key up in @dir.  On a hit returns an open descriptor of the file
 * and fills @k: its segments have data == NULL and file_off set, to be read
 * with kcache_read().  -1 on a miss or an unusable file (@why says which,
 * for a verbose line).
 */
int kcache_lookup(const char *dir, const struct kcache_key *key, struct kelf *k,
		  char *why, size_t whylen);

/*
 * Store the segments of @k (data pointing into the unpacked image) under
 * @key in @dir, creating @dir (0700) if missing.  0, or -1 with @why set;
 * a failed store leaves no file.
 */
int kcache_store(const char *dir, const struct kcache_key *key, const struct kelf *k,
		 char *why, size_t whylen);

/* Read segment @seg's file bytes from @fd to @dst; 0 or -1 (errno set). */
int kcache_read(int fd, const struct kelf_seg *seg, uint8_t *dst);

#endif
