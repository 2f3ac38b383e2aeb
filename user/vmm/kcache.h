/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The unpacked-kernel cache: the loadable segments of a kernel vibevmm has
 * unpacked (kunpack.h), kept in a file per payload so that the next boot of
 * the same bzImage reads them instead of decompressing it again.
 *
 * In the lab, unpacking Debian's 6.1 kernel (8 MiB of xz to 63 MiB) takes
 * more than half of vibevmm's exec-to-init (Documentation/benchmarks.rst);
 * reading the segments back takes a small fraction of that.  A file is
 * named by the unpacker's version (KUNPACK_VERSION) and the SHA-256 of the
 * payload (every byte of the bzImage the unpacker reads, hashed by GNU
 * Nettle from the copy in memory that is then unpacked), and holds them
 * again in its header, with the entry point and the segments, which are
 * checked as kelf_parse() checks an ELF's.  A collision-resistant hash: a
 * crafted bzImage cannot be made to match another kernel's entry, as one
 * with the same length, CRC-32 and Adler-32 (the key before) could.
 * Files of that earlier format are never read (another name, another
 * magic) and are removed by the next store.
 *
 * vibevmm usually runs as root, so nothing here trusts a path twice: the
 * directory is opened once (O_NOFOLLOW) and checked on its descriptor
 * (a directory, the caller's, writable by nobody else), files are opened
 * relative to it (openat, O_NOFOLLOW) and checked on theirs (a regular
 * file of the caller's, one link, writable by nobody else).  A missing
 * directory is made (0700) only inside a parent that is the caller's and
 * that only it may write, so root under sudo with HOME=/home/user makes
 * nothing in that user's home.  Files are written whole under a unique
 * temporary name, synced and renamed: a reader sees a complete file or
 * none.  At most KCACHE_KEEP kernels are kept, the least recently used
 * removed (a hit touches its file's mtime); temporary files a killed
 * vibevmm left are removed after an hour.
 */
#ifndef VIBEVMM_KCACHE_H
#define VIBEVMM_KCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "kunpack.h"

#define KCACHE_KEEP	4		/* kernels kept in a cache directory */

#define KCACHE_HASH_LEN	32		/* SHA-256 */

struct kcache_key {
	uint8_t sha256[KCACHE_HASH_LEN];	/* of the payload */
	uint32_t unpacker;		/* KUNPACK_VERSION */
	uint32_t pad;
};

/* The key of the @len bytes of @payload (the bytes kunpack_payload() is given). */
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
 * with kcache_read().  -ENOENT on a plain miss (no such directory or file),
 * -EPERM if the directory must not be used, -EINVAL for a file that fails
 * a check; @why says which, naming the object and what to do.
 */
int kcache_lookup(const char *dir, const struct kcache_key *key, struct kelf *k,
		  char *why, size_t whylen);

/*
 * Store the segments of @k (data pointing into the unpacked image) under
 * @key in @dir, creating @dir (0700) if missing, then remove the least
 * recently used kernels beyond KCACHE_KEEP.  0, or -1 with @why set; a
 * failed store leaves no file.
 */
int kcache_store(const char *dir, const struct kcache_key *key, const struct kelf *k,
		 char *why, size_t whylen);

/*
 * Read segment @seg's file bytes from @fd to @dst; 0 or -1 with errno set
 * (ENODATA: the file is shorter than its header said, truncated since).
 */
int kcache_read(int fd, const struct kelf_seg *seg, uint8_t *dst);

#endif
