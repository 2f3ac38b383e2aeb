// SPDX-License-Identifier: GPL-2.0
/* The unpacked-kernel cache (see kcache.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "kcache.h"

#define KCACHE_MAGIC	"VBVMKC1\n"

/* The file: this header, then each segment's file bytes at its offset. */
struct kcache_hdr {
	char magic[8];
	struct kcache_key key;
	uint64_t entry;
	uint32_t nseg;
	uint32_t pad;
	struct {
		uint64_t paddr, filesz, memsz, off;
	} seg[KELF_MAX_SEGS];
};

void kcache_key(const uint8_t *p, size_t len, struct kcache_key *key)
{
	uLong crc = crc32(0L, Z_NULL, 0), adler = adler32(0L, Z_NULL, 0);
	size_t done = 0;

	while (done < len) {
		uInt n = len - done > (1u << 30) ? 1u << 30 : (uInt)(len - done);

		crc = crc32(crc, p + done, n);
		adler = adler32(adler, p + done, n);
		done += n;
	}
	memset(key, 0, sizeof(*key));
	key->len = len;
	key->crc32 = crc;
	key->adler32 = adler;
}

int kcache_dir(const char *dir, char *out, size_t outlen)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	int n;

	if (dir)
		n = snprintf(out, outlen, "%s", dir);
	else if (xdg && xdg[0] == '/')
		n = snprintf(out, outlen, "%s/vibevmm", xdg);
	else if (home && home[0] == '/')
		n = snprintf(out, outlen, "%s/.cache/vibevmm", home);
	else
		return -1;
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

static void file_name(const char *dir, const struct kcache_key *key, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s/kernel-%llu-%08x-%08x", dir, (unsigned long long)key->len,
		 key->crc32, key->adler32);
}

/* The directory is the caller's alone: else a file in it may be anyone's. */
static int dir_ok(const char *dir, char *why, size_t whylen)
{
	struct stat st;

	if (lstat(dir, &st) < 0) {
		snprintf(why, whylen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022)) {
		snprintf(why, whylen, "%s: not a directory of this user's that only it may write",
			 dir);
		return -1;
	}
	return 0;
}

int kcache_lookup(const char *dir, const struct kcache_key *key, struct kelf *k,
		  char *why, size_t whylen)
{
	struct kcache_hdr h;
	char path[4096];
	struct stat st;
	unsigned int i;
	int fd;

	memset(k, 0, sizeof(*k));
	if (dir_ok(dir, why, whylen))
		return -1;
	file_name(dir, key, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h)) {
		snprintf(why, whylen, "%s: not a readable cache file of this user's", path);
		goto bad;
	}
	if (memcmp(h.magic, KCACHE_MAGIC, sizeof(h.magic)) || h.key.len != key->len ||
	    h.key.crc32 != key->crc32 || h.key.adler32 != key->adler32 || !h.nseg ||
	    h.nseg > KELF_MAX_SEGS) {
		snprintf(why, whylen, "%s: not a cache file of this kernel", path);
		goto bad;
	}
	for (i = 0; i < h.nseg; i++) {
		char err[160];

		if (h.seg[i].off < sizeof(h) || h.seg[i].off > (uint64_t)st.st_size ||
		    h.seg[i].filesz > (uint64_t)st.st_size - h.seg[i].off ||
		    kelf_add_seg(k, h.seg[i].paddr, h.seg[i].filesz, h.seg[i].memsz,
				 err, sizeof(err))) {
			snprintf(why, whylen, "%s: segment %u lies outside the file or outside 1 MiB..4 GiB",
				 path, i);
			goto bad;
		}
		k->seg[i].file_off = h.seg[i].off;
	}
	if (kelf_set_entry(k, h.entry, why, whylen)) {
		snprintf(why, whylen, "%s: its entry point is in no segment", path);
		goto bad;
	}
	return fd;
bad:
	memset(k, 0, sizeof(*k));
	close(fd);
	return -1;
}

static int make_dir(const char *dir)
{
	return mkdir(dir, 0700) < 0 && errno != EEXIST ? -1 : 0;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

int kcache_store(const char *dir, const struct kcache_key *key, const struct kelf *k,
		 char *why, size_t whylen)
{
	char path[4096], tmp[4096 + 16];
	struct kcache_hdr h;
	uint64_t off = sizeof(h);
	unsigned int i;
	int fd;

	if (make_dir(dir) && errno == ENOENT) {
		/* $HOME/.cache may not exist yet: make the parent, once */
		char parent[4096], *slash;

		snprintf(parent, sizeof(parent), "%s", dir);
		slash = strrchr(parent, '/');
		if (slash && slash != parent) {
			*slash = '\0';
			if (!make_dir(parent))
				make_dir(dir);
		}
	}
	if (dir_ok(dir, why, whylen))
		return -1;
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, KCACHE_MAGIC, sizeof(h.magic));
	h.key = *key;
	h.entry = k->entry;
	h.nseg = k->nseg;
	for (i = 0; i < k->nseg; i++) {
		h.seg[i].paddr = k->seg[i].paddr;
		h.seg[i].filesz = k->seg[i].filesz;
		h.seg[i].memsz = k->seg[i].memsz;
		h.seg[i].off = off;
		off += k->seg[i].filesz;
	}
	file_name(dir, key, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, whylen, "%s: cannot create a file in it: %s", dir, strerror(errno));
		return -1;
	}
	if (write_all(fd, &h, sizeof(h)))
		goto fail;
	for (i = 0; i < k->nseg; i++)
		if (write_all(fd, k->seg[i].data, k->seg[i].filesz))
			goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	if (rename(tmp, path) < 0) {
		snprintf(why, whylen, "%s: cannot rename %s to it: %s", path, tmp, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
fail:
	snprintf(why, whylen, "%s: cannot write it: %s", tmp, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return -1;
}

int kcache_read(int fd, const struct kelf_seg *seg, uint8_t *dst)
{
	uint64_t done = 0;

	while (done < seg->filesz) {
		ssize_t n = pread(fd, dst + done, seg->filesz - done, seg->file_off + done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!n)
				errno = EIO;	/* the file shrank */
			return -1;
		}
		done += n;
	}
	return 0;
}
