// SPDX-License-Identifier: GPL-2.0
/* The unpacked-kernel cache (see kcache.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <nettle/sha2.h>
#include <nettle/version.h>

#include "kcache.h"

/* 2: the key was length, CRC-32, Adler-32; those files are never read */
#define KCACHE_MAGIC	"VBVMKC3\n"
#define KCACHE_PREFIX	"kernel-"
#define KCACHE_TMP	".tmp-"		/* in a file being written */
#define KCACHE_TMP_AGE	3600		/* seconds: older, its writer died */

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
	struct sha256_ctx ctx;

	memset(key, 0, sizeof(*key));
	key->unpacker = KUNPACK_VERSION;
	/* the bytes in memory that are unpacked: the file is not read again */
	sha256_init(&ctx);
	sha256_update(&ctx, len, p);
#if NETTLE_VERSION_MAJOR >= 4	/* 4.0 dropped the digest's length */
	sha256_digest(&ctx, key->sha256);
#else
	sha256_digest(&ctx, sizeof(key->sha256), key->sha256);
#endif
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

/* kernel-u<KUNPACK_VERSION>-sha256-<64 hex digits> */
static void file_name(const struct kcache_key *key, char *out, size_t outlen)
{
	char hex[2 * KCACHE_HASH_LEN + 1];
	unsigned int i;

	for (i = 0; i < KCACHE_HASH_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", key->sha256[i]);
	snprintf(out, outlen, KCACHE_PREFIX "u%u-sha256-%s", key->unpacker, hex);
}

/* The caller's, and nobody else may write it. */
static bool private_to_caller(const struct stat *st)
{
	return st->st_uid == geteuid() && !(st->st_mode & 022);
}

/* Split @path into its parent (".", "/" or a path) and its last name. */
static int split_path(const char *path, char *parent, size_t plen, char *base, size_t blen)
{
	char buf[4096], *slash;
	size_t n;

	n = snprintf(buf, sizeof(buf), "%s", path);
	if (n >= sizeof(buf))
		return -1;
	while (n > 1 && buf[n - 1] == '/')
		buf[--n] = '\0';
	slash = strrchr(buf, '/');
	if (!slash) {
		snprintf(parent, plen, ".");
		return snprintf(base, blen, "%s", buf) >= (int)blen ? -1 : 0;
	}
	*slash = '\0';
	snprintf(parent, plen, "%s", slash == buf ? "/" : buf);
	return snprintf(base, blen, "%s", slash[1] ? slash + 1 : ".") >= (int)blen ? -1 : 0;
}

/*
 * Open directory @base in @pfd without following a symbolic link; with
 * @create, make it (0700) if missing, but only in a parent that is the
 * caller's alone (errno EPERM otherwise).
 */
static int sub_dir(int pfd, const char *base, bool create)
{
	const int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	struct stat st;
	int fd;

	fd = openat(pfd, base, flags);
	if (fd >= 0 || errno != ENOENT || !create)
		return fd;
	if (fstat(pfd, &st) < 0)
		return -1;
	if (!private_to_caller(&st)) {
		errno = EPERM;
		return -1;
	}
	if (mkdirat(pfd, base, 0700) < 0 && errno != EEXIST)
		return -1;
	return openat(pfd, base, flags);
}

/* Open @path's parent directory; with @create make a missing one, once. */
static int open_parent(const char *parent, bool create)
{
	char pp[4096], pbase[256];
	int fd, pfd;

	fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 || errno != ENOENT || !create)
		return fd;
	/* $HOME/.cache may not exist yet */
	if (split_path(parent, pp, sizeof(pp), pbase, sizeof(pbase)))
		return -1;
	pfd = open(pp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0)
		return -1;
	fd = sub_dir(pfd, pbase, true);
	close(pfd);
	return fd;
}

/*
 * Open the cache directory @dir and check it on its descriptor.  Returns
 * it, -ENOENT if it does not exist (and not @create), or -EPERM if it is
 * not to be used; @why names it and what to do.
 */
static int open_dir(const char *dir, bool create, char *why, size_t whylen)
{
	char parent[4096], base[256];
	struct stat st;
	int pfd, fd;

	if (split_path(dir, parent, sizeof(parent), base, sizeof(base))) {
		snprintf(why, whylen, "kernel cache '%s': name too long; give a shorter --kernel-cache",
			 dir);
		return -EPERM;
	}
	pfd = open_parent(parent, create);
	fd = pfd < 0 ? -1 : sub_dir(pfd, base, create);
	if (fd < 0) {
		int e = errno;

		if (pfd >= 0)
			close(pfd);
		if (e == ENOENT && !create) {
			snprintf(why, whylen, "kernel cache '%s': no such directory yet", dir);
			return -ENOENT;
		}
		if (e == EPERM)
			snprintf(why, whylen, "kernel cache '%s': not made, as its parent is not this user's alone; make it yourself (mode 0700) or give --kernel-cache DIR or off",
				 dir);
		else if (e == ELOOP || e == ENOTDIR)
			snprintf(why, whylen, "kernel cache '%s': a symbolic link or not a directory; give a directory of your own or --kernel-cache off",
				 dir);
		else
			snprintf(why, whylen, "kernel cache '%s': %s; give a writable directory of your own or --kernel-cache off",
				 dir, strerror(e));
		return -EPERM;
	}
	close(pfd);
	if (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode) || !private_to_caller(&st)) {
		snprintf(why, whylen, "kernel cache '%s': another user's directory or one others may write; give one of your own (mode 0700) or --kernel-cache off",
			 dir);
		close(fd);
		return -EPERM;
	}
	return fd;
}

int kcache_lookup(const char *dir, const struct kcache_key *key, struct kelf *k,
		  char *why, size_t whylen)
{
	struct kcache_hdr h;
	char name[128];
	struct stat st;
	unsigned int i;
	int dfd, fd;

	memset(k, 0, sizeof(*k));
	dfd = open_dir(dir, false, why, whylen);
	if (dfd < 0)
		return dfd;
	file_name(key, name, sizeof(name));
	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	close(dfd);
	if (fd < 0) {
		int e = errno;

		snprintf(why, whylen, "kernel cache file '%s/%s': %s%s", dir, name, strerror(e),
			 e == ENOENT ? "" : "; remove it");
		return e == ENOENT ? -ENOENT : -EINVAL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
	    !private_to_caller(&st)) {
		snprintf(why, whylen, "kernel cache file '%s/%s': not a file of this user's alone (one link, writable by nobody else); remove it",
			 dir, name);
		goto bad;
	}
	if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
	    memcmp(h.magic, KCACHE_MAGIC, sizeof(h.magic)) ||
	    memcmp(&h.key, key, sizeof(*key)) || !h.nseg || h.nseg > KELF_MAX_SEGS) {
		snprintf(why, whylen, "kernel cache file '%s/%s': not a cache file of this kernel; remove it",
			 dir, name);
		goto bad;
	}
	for (i = 0; i < h.nseg; i++) {
		char err[160];

		if (h.seg[i].off < sizeof(h) || h.seg[i].off > (uint64_t)st.st_size ||
		    h.seg[i].filesz > (uint64_t)st.st_size - h.seg[i].off ||
		    kelf_add_seg(k, h.seg[i].paddr, h.seg[i].filesz, h.seg[i].memsz,
				 err, sizeof(err))) {
			snprintf(why, whylen, "kernel cache file '%s/%s': segment %u lies outside the file or outside 1 MiB..4 GiB; remove it",
				 dir, name, i);
			goto bad;
		}
		k->seg[i].file_off = h.seg[i].off;
	}
	if (kelf_set_entry(k, h.entry, why, whylen)) {
		snprintf(why, whylen, "kernel cache file '%s/%s': its entry point is in no segment; remove it",
			 dir, name);
		goto bad;
	}
	futimens(fd, NULL);	/* recently used: kept (evict()); best effort */
	return fd;
bad:
	memset(k, 0, sizeof(*k));
	close(fd);
	return -EINVAL;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!n)
				errno = ENOSPC;
			return -1;
		}
		p += n;
		len -= n;
	}
	return 0;
}

enum kc_name {
	KC_NOT_OURS,	/* never removed: the directory is the user's */
	KC_ENTRY,	/* an entry of this format */
	KC_OLD,		/* an entry of an earlier format: never read */
	KC_TMP,		/* a file being written, or one a killed writer left */
};

/* Name parsing, one piece at a time: NULL once a piece does not match. */
static const char *lit(const char *s, const char *l)
{
	return s && !strncmp(s, l, strlen(l)) ? s + strlen(l) : NULL;
}

static const char *decimal(const char *s)
{
	const char *p = s;

	while (p && *p >= '0' && *p <= '9')
		p++;
	return p && p != s ? p : NULL;
}

static const char *lowhex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; s && i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return NULL;
	return s ? s + n : NULL;
}

/* "-<8 lowercase hex digits>-<8 lowercase hex digits>": CRC-32, Adler-32 */
static const char *two_sums(const char *s)
{
	return lowhex(lit(lowhex(lit(s, "-"), 8), "-"), 8);
}

/*
 * What a name in the cache directory is: one kcache_store() writes (an
 * entry "kernel-u<V>-sha256-<64 hex>", a temporary file: an entry's name
 * then ".tmp-<pid>-<n>-<time>") or one an earlier vibevmm wrote, exactly as
 * it wrote them ("kernel-u<V>-<len>-<crc>-<adler>" with the same temporary
 * files; before that "kernel-<len>-<crc>-<adler>", its temporary files
 * mkostemp()'s ".XXXXXX").  Nothing else in a directory the user named is
 * ever removed.
 */
static enum kc_name cache_name(const char *n)
{
	const char *p = lit(n, KCACHE_PREFIX), *end, *t;
	enum kc_name kind = KC_OLD;

	if ((end = lowhex(lit(decimal(lit(p, "u")), "-sha256-"), 2 * KCACHE_HASH_LEN))) {
		kind = KC_ENTRY;
	} else if (!(end = two_sums(decimal(lit(decimal(lit(p, "u")), "-"))))) {
		end = two_sums(decimal(p));
		if (!end)
			return KC_NOT_OURS;
		if (*end == '.' && strlen(end) == 7)
			return KC_TMP;
		return *end ? KC_NOT_OURS : KC_OLD;
	}
	if (!*end)
		return kind;
	t = decimal(lit(decimal(lit(decimal(lit(end, KCACHE_TMP)), "-")), "-"));
	return t && !*t ? KC_TMP : KC_NOT_OURS;
}

/* Whether @name in @dfd starts as an earlier format's entry did. */
static bool old_entry(int dfd, const char *name)
{
	static const char *const magic[] = { "VBVMKC1\n", "VBVMKC2\n" };
	char buf[8];
	unsigned int i;
	bool ok = false;
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return false;
	if (read(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf))
		for (i = 0; i < sizeof(magic) / sizeof(magic[0]); i++)
			ok |= !memcmp(buf, magic[i], sizeof(buf));
	close(fd);
	return ok;
}

struct kc_ent {
	char name[128];
	struct timespec mtime;
};

static int newer_first(const void *a, const void *b)
{
	const struct timespec *x = &((const struct kc_ent *)a)->mtime;
	const struct timespec *y = &((const struct kc_ent *)b)->mtime;

	if (x->tv_sec != y->tv_sec)
		return x->tv_sec < y->tv_sec ? 1 : -1;
	return x->tv_nsec < y->tv_nsec ? 1 : x->tv_nsec > y->tv_nsec ? -1 : 0;
}

/*
 * Keep the KCACHE_KEEP most recently used kernels in @dfd (@keep, just
 * written, always) and remove the others, entries of an earlier format
 * (never read again) and temporary files older than KCACHE_TMP_AGE.  Best
 * effort: a cache that cannot be trimmed still works.
 */
static void evict(int dfd, const char *keep)
{
	struct kc_ent ent[64];
	unsigned int n = 0, i, kept = 0;
	struct dirent *de;
	enum kc_name kind;
	struct stat st;
	DIR *d;
	int fd;

	fd = dup(dfd);
	d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d))) {
		kind = cache_name(de->d_name);
		if (kind == KC_NOT_OURS || strlen(de->d_name) >= sizeof(ent[0].name) ||
		    fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode) || st.st_uid != geteuid())
			continue;
		if ((kind == KC_OLD && old_entry(dfd, de->d_name)) ||
		    (kind == KC_TMP && st.st_mtime < time(NULL) - KCACHE_TMP_AGE)) {
			unlinkat(dfd, de->d_name, 0);
			continue;
		}
		if (kind != KC_ENTRY)
			continue;
		if (!strcmp(de->d_name, keep)) {
			kept = 1;
			continue;
		}
		if (n < sizeof(ent) / sizeof(ent[0])) {
			snprintf(ent[n].name, sizeof(ent[n].name), "%s", de->d_name);
			ent[n++].mtime = st.st_mtim;
		}
	}
	closedir(d);
	qsort(ent, n, sizeof(ent[0]), newer_first);
	for (i = KCACHE_KEEP > kept ? KCACHE_KEEP - kept : 0; i < n; i++)
		unlinkat(dfd, ent[i].name, 0);
}

/* Create a file named after @name that no other writer uses; -1 on error. */
static int create_tmp(int dfd, const char *name, char *tmp, size_t tmplen)
{
	static unsigned int seq;
	struct timespec ts;
	int i, fd = -1;

	for (i = 0; i < 8; i++) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		snprintf(tmp, tmplen, "%s" KCACHE_TMP "%d-%u-%ld", name, (int)getpid(), seq++,
			 (long)ts.tv_nsec);
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	return fd;
}

int kcache_store(const char *dir, const struct kcache_key *key, const struct kelf *k,
		 char *why, size_t whylen)
{
	char name[128], tmp[192];
	struct kcache_hdr h;
	uint64_t off = sizeof(h);
	unsigned int i;
	int dfd, fd;

	dfd = open_dir(dir, true, why, whylen);
	if (dfd < 0)
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
	file_name(key, name, sizeof(name));
	fd = create_tmp(dfd, name, tmp, sizeof(tmp));
	if (fd < 0) {
		snprintf(why, whylen, "kernel cache '%s': cannot create a file in it: %s; free it or give --kernel-cache off",
			 dir, strerror(errno));
		close(dfd);
		return -1;
	}
	if (write_all(fd, &h, sizeof(h)))
		goto fail;
	for (i = 0; i < k->nseg; i++)
		if (write_all(fd, k->seg[i].data, k->seg[i].filesz))
			goto fail;
	/* on disk before its name: a crash must not leave a whole-looking hole */
	if (fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (renameat(dfd, tmp, dfd, name) < 0)
		goto fail;
	evict(dfd, name);
	close(dfd);
	return 0;
fail:
	snprintf(why, whylen, "kernel cache '%s': cannot write %s in it: %s; free it or give --kernel-cache off",
		 dir, tmp, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlinkat(dfd, tmp, 0);
	close(dfd);
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
				errno = ENODATA;	/* the file shrank */
			return -1;
		}
		done += n;
	}
	return 0;
}
