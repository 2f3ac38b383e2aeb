// SPDX-License-Identifier: GPL-2.0
/* vibevmm's unpacked-kernel cache: hits, misses, refusals (kcache.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* the harness defines non-static helpers without prototypes */
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include "kselftest_harness.h"
#include "vmm/kcache.h"
#include "kernel_fake.h"

FIXTURE(kc) {
	char top[64], dir[96];
	uint8_t *img, *payload;
	size_t plen;
	struct kelf elf;
	struct kcache_key key;
};

FIXTURE_SETUP(kc)
{
	char err[160];

	snprintf(self->top, sizeof(self->top), "/tmp/vibevmm-kcache-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->top));
	/* two levels that do not exist yet, as $HOME/.cache/vibevmm may not */
	snprintf(self->dir, sizeof(self->dir), "%s/cache/vibevmm", self->top);
	self->img = fake_vmlinux();
	self->payload = xz_payload(self->img, ELF_SIZE, &self->plen);
	ASSERT_EQ(0, kelf_parse(self->img, ELF_SIZE, &self->elf, err, sizeof(err)));
	kcache_key(self->payload, self->plen, &self->key);
}

FIXTURE_TEARDOWN(kc)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", self->top);
	if (system(cmd))
		TH_LOG("cannot remove %s", self->top);
	free(self->payload);
	free(self->img);
}

static void entry_path(const char *dir, const struct kcache_key *key, char *out, size_t len)
{
	int n = snprintf(out, len, "%s/kernel-u%u-sha256-", dir, key->unpacker);
	unsigned int i;

	for (i = 0; i < sizeof(key->sha256); i++)
		n += snprintf(out + n, len - n, "%02x", key->sha256[i]);
}

/* Files in @dir whose names start with @prefix. */
static int count_files(const char *dir, const char *prefix)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += !strncmp(de->d_name, prefix, strlen(prefix));
	closedir(d);
	return n;
}

static void set_mtime(const char *path, time_t t)
{
	struct timespec ts[2] = { { t, 0 }, { t, 0 } };

	if (utimensat(AT_FDCWD, path, ts, 0))
		abort();
}

/* The segments as vibevmm would copy them from @fd into guest RAM. */
static void check_hit(struct __test_metadata *_metadata, int fd, const struct kelf *k,
		      const struct kelf *want)
{
	unsigned int i;

	ASSERT_LE(0, fd);
	ASSERT_EQ(want->nseg, k->nseg);
	EXPECT_EQ(want->entry, k->entry);
	EXPECT_EQ(want->lo, k->lo);
	EXPECT_EQ(want->hi, k->hi);
	for (i = 0; i < k->nseg; i++) {
		uint8_t *buf = calloc(1, k->seg[i].filesz);

		EXPECT_EQ(want->seg[i].paddr, k->seg[i].paddr);
		EXPECT_EQ(want->seg[i].memsz, k->seg[i].memsz);
		ASSERT_EQ(want->seg[i].filesz, k->seg[i].filesz);
		EXPECT_EQ(NULL, k->seg[i].data);
		ASSERT_EQ(0, kcache_read(fd, &k->seg[i], buf));
		EXPECT_EQ(0, memcmp(buf, want->seg[i].data, k->seg[i].filesz));
		free(buf);
	}
}

TEST_F(kc, miss_store_then_hit)
{
	struct kelf k;
	char why[4200];
	struct stat st;
	int fd;

	EXPECT_EQ(-ENOENT, kcache_lookup(self->dir, &self->key, &k, why, sizeof(why)));
	ASSERT_EQ(0, kcache_store(self->dir, &self->key, &self->elf, why, sizeof(why)))
		TH_LOG("%s", why);
	ASSERT_EQ(0, stat(self->dir, &st));
	EXPECT_EQ(0700, st.st_mode & 0777);
	fd = kcache_lookup(self->dir, &self->key, &k, why, sizeof(why));
	check_hit(_metadata, fd, &k, &self->elf);
	close(fd);
}

TEST_F(kc, another_payload_misses)
{
	struct kcache_key other;
	struct kelf k;
	char why[4200];

	ASSERT_EQ(0, kcache_store(self->dir, &self->key, &self->elf, why, sizeof(why)));
	self->payload[self->plen / 2] ^= 1;		/* one bit of the bzImage */
	kcache_key(self->payload, self->plen, &other);
	EXPECT_NE(0, memcmp(&other, &self->key, sizeof(other)));
	EXPECT_EQ(-ENOENT, kcache_lookup(self->dir, &other, &k, why, sizeof(why)));
	EXPECT_EQ(0u, k.nseg);
}

/* An entry another version of the unpacker wrote is not served. */
TEST_F(kc, another_unpacker_misses)
{
	struct kcache_key older = self->key;
	struct kelf k;
	char why[4200];
	int fd;

	EXPECT_EQ((uint32_t)KUNPACK_VERSION, self->key.unpacker);
	older.unpacker = KUNPACK_VERSION - 1;
	ASSERT_EQ(0, kcache_store(self->dir, &older, &self->elf, why, sizeof(why)));
	EXPECT_EQ(-ENOENT, kcache_lookup(self->dir, &self->key, &k, why, sizeof(why)));
	fd = kcache_lookup(self->dir, &older, &k, why, sizeof(why));
	check_hit(_metadata, fd, &k, &self->elf);
	close(fd);
}

/*
 * A file in the cache is used only if it is the caller's alone: not one
 * others may write, not another user's, not one with a second link.
 */
TEST_F(kc, files_not_the_callers_alone_are_not_used)
{
	char path[256], link2[256], why[4200];
	struct kelf k;
	int fd;

	ASSERT_EQ(0, kcache_store(self->dir, &self->key, &self->elf, why, sizeof(why)));
	entry_path(self->dir, &self->key, path, sizeof(path));
	ASSERT_EQ(0, chmod(path, 0666));
	EXPECT_EQ(-EINVAL, kcache_lookup(self->dir, &self->key, &k, why, sizeof(why)));
	EXPECT_NE(NULL, strstr(why, "not a file of this user's alone")) TH_LOG("%s", why);
	EXPECT_NE(NULL, strstr(why, path)) TH_LOG("%s", why);
	EXPECT_NE(NULL, strstr(why, "remove it")) TH_LOG("%s", why);
	ASSERT_EQ(0, chmod(path, 0600));
	fd = kcache_lookup(self->dir, &self->key, &k, why, sizeof(why));
	check_hit(_metadata, fd, &k, &self->elf);
	close(fd);

	snprintf(link2, sizeof(link2), "%s/elsewhere", self->top);
	ASSERT_EQ(0, link(path, link2));
	EXPECT_EQ(-EINVAL, kcache_lookup(self->dir, &self->key, &k, why, sizeof(why)));
	ASSERT_EQ(0, unlink(link2));

	if (geteuid()) {
		TH_LOG("not root: cannot give a file to another user; that case not tested");
		return;
	}
	ASSERT_EQ(0, chown(path, 4242, 4242));
	EXPECT_EQ(-EINVAL, kcache_lookup(self->dir, &self->key, &k, why, sizeof(why)));
}

/* A symbolic link in the cache's place is not followed, to read or write. */
TEST_F(kc, a_symlinked_directory_is_not_used)
{
	char real[128], why[4200];
	struct kelf k;

	snprintf(real, sizeof(real), "%s/real", self->top);
	ASSERT_EQ(0, mkdir(real, 0700));
	ASSERT_EQ(0, kcache_store(real, &self->key, &self->elf, why, sizeof(why)));
	ASSERT_EQ(0, mkdir(strcat(strcpy(why, self->top), "/cache"), 0700));
	ASSERT_EQ(0, symlink(real, self->dir));
	EXPECT_EQ(-EPERM, kcache_lookup(self->dir, &self->key, &k, why, sizeof(why)));
	EXPECT_NE(NULL, strstr(why, "symbolic link")) TH_LOG("%s", why);
	EXPECT_EQ(-1, kcache_store(self->dir, &self->key, &self->elf, why, sizeof(why)));
	EXPECT_EQ(1, count_files(real, "kernel-"));
}

/*
 * Root under sudo may have HOME=/home/user: the cache's parent is then
 * another user's, and root must make nothing in it (no root-owned
 * ~/.cache that the user can no longer write).
 */
TEST_F(kc, nothing_made_in_another_users_directory)
{
	char home[128], dir[160], why[4200];
	struct stat st;

	if (geteuid())
		SKIP(return, "not root: cannot make a directory another user's");
	snprintf(home, sizeof(home), "%s/home", self->top);
	ASSERT_EQ(0, mkdir(home, 0755));
	ASSERT_EQ(0, chown(home, 4242, 4242));
	snprintf(dir, sizeof(dir), "%s/.cache/vibevmm", home);
	EXPECT_EQ(-1, kcache_store(dir, &self->key, &self->elf, why, sizeof(why)));
	EXPECT_NE(NULL, strstr(why, "not made")) TH_LOG("%s", why);
	EXPECT_NE(NULL, strstr(why, "--kernel-cache")) TH_LOG("%s", why);
	EXPECT_EQ(-1, stat(strcat(strcpy(why, home), "/.cache"), &st));
	/* the user's own ~/.cache exists: still nothing of root's in it */
	ASSERT_EQ(0, mkdir(why, 0755));
	ASSERT_EQ(0, chown(why, 4242, 4242));
	EXPECT_EQ(-1, kcache_store(dir, &self->key, &self->elf, why, sizeof(why)));
	EXPECT_EQ(-1, stat(dir, &st));
}

/* --kernel-cache naming a file: refused with what to do, not a miss. */
TEST_F(kc, a_file_for_a_directory)
{
	char file[128], why[4200];
	struct kelf k;
	int fd;

	snprintf(file, sizeof(file), "%s/file", self->top);
	fd = open(file, O_WRONLY | O_CREAT, 0600);
	ASSERT_LE(0, fd);
	close(fd);
	EXPECT_EQ(-EPERM, kcache_lookup(file, &self->key, &k, why, sizeof(why)));
	EXPECT_NE(NULL, strstr(why, "not a directory")) TH_LOG("%s", why);
	EXPECT_NE(NULL, strstr(why, file)) TH_LOG("%s", why);
	EXPECT_NE(NULL, strstr(why, "--kernel-cache off")) TH_LOG("%s", why);
	EXPECT_EQ(-1, kcache_store(file, &self->key, &self->elf, why, sizeof(why)));
}

/*
 * At most KCACHE_KEEP kernels: storing one more removes the least recently
 * used (a hit counts as a use), and temporary files a killed vibevmm left.
 */
TEST_F(kc, least_recently_used_evicted)
{
	struct kcache_key key[KCACHE_KEEP + 1];
	char path[256], stale[256], fresh[256], other[256], why[4200];
	time_t t = time(NULL) - 10000;
	struct kelf k;
	int i, fd;

	for (i = 0; i <= KCACHE_KEEP; i++) {
		key[i] = self->key;
		key[i].sha256[0] += i;
	}
	for (i = 0; i < KCACHE_KEEP; i++) {
		ASSERT_EQ(0, kcache_store(self->dir, &key[i], &self->elf, why, sizeof(why)));
		entry_path(self->dir, &key[i], path, sizeof(path));
		set_mtime(path, t + i);
	}
	entry_path(self->dir, &key[0], stale, sizeof(stale) - 16);
	strcat(stale, ".tmp-1-2-3");
	snprintf(fresh, sizeof(fresh), "%s/kernel-u1-1-0-0.tmp-4-5-6", self->dir);
	fd = open(stale, O_WRONLY | O_CREAT, 0600);
	ASSERT_LE(0, fd);
	close(fd);
	fd = open(fresh, O_WRONLY | O_CREAT, 0600);
	ASSERT_LE(0, fd);
	close(fd);
	set_mtime(stale, t);
	/* not vibevmm's, though in its directory: never removed */
	snprintf(other, sizeof(other), "%s/kernel-notes", self->dir);
	fd = open(other, O_WRONLY | O_CREAT, 0600);
	ASSERT_LE(0, fd);
	close(fd);
	set_mtime(other, t - 1);
	/* the oldest is used: key[1] is now the least recently used */
	fd = kcache_lookup(self->dir, &key[0], &k, why, sizeof(why));
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, kcache_store(self->dir, &key[KCACHE_KEEP], &self->elf, why, sizeof(why)));
	EXPECT_EQ(KCACHE_KEEP + 2, count_files(self->dir, "kernel-"));	/* + tmp, notes */
	EXPECT_EQ(-ENOENT, kcache_lookup(self->dir, &key[1], &k, why, sizeof(why)));
	for (i = 0; i <= KCACHE_KEEP; i++) {
		if (i == 1)
			continue;
		fd = kcache_lookup(self->dir, &key[i], &k, why, sizeof(why));
		EXPECT_LE(0, fd) TH_LOG("kernel %d: %s", i, why);
		if (fd >= 0)
			close(fd);
	}
	EXPECT_NE(0, access(stale, F_OK));
	EXPECT_EQ(0, access(fresh, F_OK));		/* maybe still being written */
	EXPECT_EQ(0, access(other, F_OK));
}

/* A full disk: no file left behind, one reason naming the directory. */
TEST_F(kc, a_full_disk_leaves_nothing)
{
	struct rlimit old, lim;
	char why[4200];

	ASSERT_EQ(0, getrlimit(RLIMIT_FSIZE, &old));
	lim = old;
	lim.rlim_cur = 4096;	/* the soft limit only: it can be raised again */
	ASSERT_TRUE(signal(SIGXFSZ, SIG_IGN) != SIG_ERR);
	ASSERT_EQ(0, setrlimit(RLIMIT_FSIZE, &lim));
	EXPECT_EQ(-1, kcache_store(self->dir, &self->key, &self->elf, why, sizeof(why)));
	ASSERT_EQ(0, setrlimit(RLIMIT_FSIZE, &old));
	EXPECT_NE(NULL, strstr(why, self->dir)) TH_LOG("%s", why);
	EXPECT_NE(NULL, strstr(why, "too large")) TH_LOG("%s", why);
	EXPECT_EQ(0, count_files(self->dir, "kernel-"));
}

/* A file that lies about its segments is not used, whatever it says. */
TEST_F(kc, damaged_files_miss)
{
	char path[256], why[4200];
	struct kelf k;
	uint64_t v;
	int fd;

	ASSERT_EQ(0, kcache_store(self->dir, &self->key, &self->elf, why, sizeof(why)));
	entry_path(self->dir, &self->key, path, sizeof(path));
	fd = open(path, O_RDWR);
	ASSERT_LE(0, fd);
	/* segment 1's file size (header: magic 8, key 40, entry 8, nseg 8) */
	v = 1ULL << 40;
	ASSERT_EQ(8, pwrite(fd, &v, 8, 64 + 32 + 8));
	EXPECT_EQ(-EINVAL, kcache_lookup(self->dir, &self->key, &k, why, sizeof(why)));
	EXPECT_NE(NULL, strstr(why, "segment 1 lies outside")) TH_LOG("%s", why);
	v = 0x1000;
	ASSERT_EQ(8, pwrite(fd, &v, 8, 64 + 32 + 8));
	/* entry outside every segment */
	v = 0x5000000;
	ASSERT_EQ(8, pwrite(fd, &v, 8, 48));
	EXPECT_EQ(-EINVAL, kcache_lookup(self->dir, &self->key, &k, why, sizeof(why)));
	EXPECT_NE(NULL, strstr(why, "entry point")) TH_LOG("%s", why);
	v = 0x1000000;
	ASSERT_EQ(8, pwrite(fd, &v, 8, 48));
	fd = (close(fd), kcache_lookup(self->dir, &self->key, &k, why, sizeof(why)));
	check_hit(_metadata, fd, &k, &self->elf);	/* repaired: a hit again */
	close(fd);
	/* truncated: the last segment's bytes are gone */
	ASSERT_EQ(0, truncate(path, 600));
	EXPECT_EQ(-EINVAL, kcache_lookup(self->dir, &self->key, &k, why, sizeof(why)));
}

TEST_F(kc, a_directory_others_may_write_is_not_used)
{
	struct kelf k;
	char why[4200];

	ASSERT_EQ(0, kcache_store(self->dir, &self->key, &self->elf, why, sizeof(why)));
	ASSERT_EQ(0, chmod(self->dir, 0777));
	EXPECT_EQ(-EPERM, kcache_lookup(self->dir, &self->key, &k, why, sizeof(why)));
	EXPECT_NE(NULL, strstr(why, "one others may write")) TH_LOG("%s", why);
	EXPECT_NE(NULL, strstr(why, "--kernel-cache off")) TH_LOG("%s", why);
	EXPECT_EQ(-1, kcache_store(self->dir, &self->key, &self->elf, why, sizeof(why)));
}

/* The key is the SHA-256 of the payload's bytes, and the unpacker's version. */
TEST(key_is_the_payloads_sha256)
{
	/* FIPS 180-2, appendix B.1: SHA-256("abc") */
	static const uint8_t abc[32] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde,
		0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
		0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
	};
	struct kcache_key key;

	memset(&key, 0x55, sizeof(key));
	kcache_key((const uint8_t *)"abc", 3, &key);
	EXPECT_EQ(0, memcmp(abc, key.sha256, sizeof(abc)));
	EXPECT_EQ((uint32_t)KUNPACK_VERSION, key.unpacker);
	EXPECT_EQ(0u, key.pad);
}

/*
 * A payload crafted to have another's length, CRC-32 and Adler-32 (the key
 * before SHA-256) has another key, and misses that one's entry.
 */
TEST_F(kc, a_crc_and_adler_twin_misses)
{
	uint8_t *twin = malloc(self->plen + 256);
	struct kcache_key other;
	size_t len = self->plen + 256;
	uint8_t *orig = malloc(len);
	char why[4200];
	struct kelf k;

	ASSERT_NE(NULL, twin);
	ASSERT_NE(NULL, orig);
	memcpy(orig, self->payload, self->plen);
	twin_pattern(orig, self->plen);
	kcache_key(orig, len, &self->key);
	memcpy(twin, orig, len);
	crc_adler_twin(twin, len, self->plen);
	/* the premise: what the old key saw is the same */
	ASSERT_NE(0, memcmp(orig, twin, len));
	ASSERT_EQ(crc32(0, orig, len), crc32(0, twin, len));
	ASSERT_EQ(adler32(1, orig, len), adler32(1, twin, len));

	kcache_key(twin, len, &other);
	EXPECT_NE(0, memcmp(&other, &self->key, sizeof(other)));
	ASSERT_EQ(0, kcache_store(self->dir, &self->key, &self->elf, why, sizeof(why)));
	EXPECT_EQ(-ENOENT, kcache_lookup(self->dir, &other, &k, why, sizeof(why)));
	free(orig);
	free(twin);
}

/* A file in the layout of the cache before SHA-256 (magic VBVMKC2). */
/* A file of the user's in the cache directory, last changed 2 hours ago. */
static void write_user_file(const char *dir, const char *name)
{
	struct timespec t[2];
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, "my notes\n", 9) != 9)
		abort();
	clock_gettime(CLOCK_REALTIME, &t[0]);
	t[0].tv_sec -= 7200;
	t[1] = t[0];
	if (futimens(fd, t))
		abort();
	close(fd);
}

static void write_old_entry(const char *dir, const char *name, const struct kelf *elf)
{
	struct {
		char magic[8];
		uint64_t len;
		uint32_t crc32, adler32, unpacker, pad;
		uint64_t entry;
		uint32_t nseg, pad2;
		uint64_t seg[KELF_MAX_SEGS][4];
	} h;
	char path[256];
	uint64_t off = sizeof(h);
	unsigned int i;
	int fd;

	memset(&h, 0, sizeof(h));
	memcpy(h.magic, "VBVMKC2\n", 8);
	h.len = 1234;
	h.unpacker = 1;
	h.entry = elf->entry;
	h.nseg = elf->nseg;
	for (i = 0; i < elf->nseg; i++) {
		h.seg[i][0] = elf->seg[i].paddr;
		h.seg[i][1] = elf->seg[i].filesz;
		h.seg[i][2] = elf->seg[i].memsz;
		h.seg[i][3] = off;
		off += elf->seg[i].filesz;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0 || write(fd, &h, sizeof(h)) != sizeof(h))
		abort();
	for (i = 0; i < elf->nseg; i++)
		if (write(fd, elf->seg[i].data, elf->seg[i].filesz) != (ssize_t)elf->seg[i].filesz)
			abort();
	close(fd);
}

/*
 * Entries an earlier vibevmm wrote (keyed by length, CRC-32 and Adler-32)
 * are never read: a plain miss, no warning; the next store removes them,
 * and nothing else.  One at the current name (as if renamed there) fails
 * the header's check and is replaced by the store.
 */
TEST_F(kc, earlier_format_entries_ignored_then_removed)
{
	char path[256], why[4200];
	struct kelf k;
	int fd;

	ASSERT_EQ(0, mkdir(strcat(strcpy(why, self->top), "/cache"), 0700));
	ASSERT_EQ(0, mkdir(self->dir, 0700));
	write_old_entry(self->dir, "kernel-u1-1234-0badc0de-12345678", &self->elf);
	write_old_entry(self->dir, "kernel-1234-0badc0de-12345678", &self->elf);
	write_old_entry(self->dir, "kernel-u1-1234-0badc0de-12345678-mine", &self->elf);
	/*
	 * The user's own files, named like ours but not as vibevmm wrote
	 * them (or without an old entry's magic), two hours old: kept.
	 */
	write_user_file(self->dir, "kernel-6-1-0");
	write_user_file(self->dir, "kernel-u2-0-1-2");
	write_user_file(self->dir, "kernel-5-10-2.tar.xz");
	write_user_file(self->dir, "kernel-99-0badc0de-12345678");
	write_user_file(self->dir, "kernel-u1-99-0BADC0DE-12345678");
	EXPECT_EQ(-ENOENT, kcache_lookup(self->dir, &self->key, &k, why, sizeof(why)));
	EXPECT_EQ(0u, k.nseg);

	entry_path(self->dir, &self->key, path, sizeof(path));
	write_old_entry(self->dir, strrchr(path, '/') + 1, &self->elf);
	EXPECT_EQ(-EINVAL, kcache_lookup(self->dir, &self->key, &k, why, sizeof(why)));
	EXPECT_NE(NULL, strstr(why, "not a cache file of this kernel")) TH_LOG("%s", why);
	EXPECT_EQ(0u, k.nseg);

	ASSERT_EQ(0, kcache_store(self->dir, &self->key, &self->elf, why, sizeof(why)))
		TH_LOG("%s", why);
	EXPECT_EQ(7, count_files(self->dir, "kernel-"));	/* the new entry and 6 not ours */
	EXPECT_EQ(1, count_files(self->dir, "kernel-u1-1234-0badc0de-12345678-mine"));
	EXPECT_EQ(1, count_files(self->dir, "kernel-6-1-0"));
	EXPECT_EQ(1, count_files(self->dir, "kernel-5-10-2.tar.xz"));
	EXPECT_EQ(1, count_files(self->dir, "kernel-99-0badc0de-12345678"));
	fd = kcache_lookup(self->dir, &self->key, &k, why, sizeof(why));
	check_hit(_metadata, fd, &k, &self->elf);
	close(fd);
}

TEST(cache_dir_default)
{
	char out[256];

	ASSERT_EQ(0, setenv("XDG_CACHE_HOME", "/x/cache", 1));
	ASSERT_EQ(0, kcache_dir(NULL, out, sizeof(out)));
	EXPECT_STREQ("/x/cache/vibevmm", out);
	ASSERT_EQ(0, kcache_dir("/given", out, sizeof(out)));
	EXPECT_STREQ("/given", out);
	ASSERT_EQ(0, setenv("XDG_CACHE_HOME", "relative", 1));	/* ignored, as XDG says */
	ASSERT_EQ(0, setenv("HOME", "/home/u", 1));
	ASSERT_EQ(0, kcache_dir(NULL, out, sizeof(out)));
	EXPECT_STREQ("/home/u/.cache/vibevmm", out);
	ASSERT_EQ(0, unsetenv("XDG_CACHE_HOME"));
	ASSERT_EQ(0, unsetenv("HOME"));
	EXPECT_EQ(-1, kcache_dir(NULL, out, sizeof(out)));
	EXPECT_EQ(-1, kcache_dir("/a/long/path", out, 5));
}

TEST_HARNESS_MAIN
