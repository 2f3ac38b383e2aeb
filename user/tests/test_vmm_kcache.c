// SPDX-License-Identifier: GPL-2.0
/* vibevmm's unpacked-kernel cache: hits, misses, refusals (kcache.h). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

	EXPECT_EQ(-1, kcache_lookup(self->dir, &self->key, &k, why, sizeof(why)));
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
	EXPECT_EQ(-1, kcache_lookup(self->dir, &other, &k, why, sizeof(why)));
	EXPECT_EQ(0u, k.nseg);
}

/* A file that lies about its segments is not used, whatever it says. */
TEST_F(kc, damaged_files_miss)
{
	char path[256], why[4200];
	struct kelf k;
	uint64_t v;
	int fd;

	ASSERT_EQ(0, kcache_store(self->dir, &self->key, &self->elf, why, sizeof(why)));
	snprintf(path, sizeof(path), "%s/kernel-%llu-%08x-%08x", self->dir,
		 (unsigned long long)self->key.len, self->key.crc32, self->key.adler32);
	fd = open(path, O_RDWR);
	ASSERT_LE(0, fd);
	/* segment 1's file size (header: magic 8, key 16, entry 8, nseg 8) */
	v = 1ULL << 40;
	ASSERT_EQ(8, pwrite(fd, &v, 8, 40 + 32 + 8));
	EXPECT_EQ(-1, kcache_lookup(self->dir, &self->key, &k, why, sizeof(why)));
	EXPECT_NE(NULL, strstr(why, "segment 1 lies outside")) TH_LOG("%s", why);
	v = 0x1000;
	ASSERT_EQ(8, pwrite(fd, &v, 8, 40 + 32 + 8));
	/* entry outside every segment */
	v = 0x5000000;
	ASSERT_EQ(8, pwrite(fd, &v, 8, 24));
	EXPECT_EQ(-1, kcache_lookup(self->dir, &self->key, &k, why, sizeof(why)));
	EXPECT_NE(NULL, strstr(why, "entry point")) TH_LOG("%s", why);
	v = 0x1000000;
	ASSERT_EQ(8, pwrite(fd, &v, 8, 24));
	fd = (close(fd), kcache_lookup(self->dir, &self->key, &k, why, sizeof(why)));
	check_hit(_metadata, fd, &k, &self->elf);	/* repaired: a hit again */
	close(fd);
	/* truncated: the last segment's bytes are gone */
	ASSERT_EQ(0, truncate(path, 600));
	EXPECT_EQ(-1, kcache_lookup(self->dir, &self->key, &k, why, sizeof(why)));
}

TEST_F(kc, a_directory_others_may_write_is_not_used)
{
	struct kelf k;
	char why[4200];

	ASSERT_EQ(0, kcache_store(self->dir, &self->key, &self->elf, why, sizeof(why)));
	ASSERT_EQ(0, chmod(self->dir, 0777));
	EXPECT_EQ(-1, kcache_lookup(self->dir, &self->key, &k, why, sizeof(why)));
	EXPECT_NE(NULL, strstr(why, "only it may write")) TH_LOG("%s", why);
	EXPECT_EQ(-1, kcache_store(self->dir, &self->key, &self->elf, why, sizeof(why)));
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
