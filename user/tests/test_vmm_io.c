// SPDX-License-Identifier: GPL-2.0
/*
 * MMIO/PIO region table: lookup, overlap, and the concurrency contract:
 * unregister waits for running handlers, handlers may (un)register regions,
 * their own included, while other threads dispatch.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

/* the harness defines non-static helpers without prototypes */
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include "kselftest_harness.h"
#include "vmm/io.h"

struct dev {
	struct io_table *t;
	atomic_int calls;
	uint64_t last_off;
	unsigned int last_len;
	bool last_write;
	atomic_bool inside, release;	/* for the blocking handler */
	atomic_bool freed;		/* set by the owner after unregister */
	atomic_int after_free_calls;
	uint64_t move_to;		/* self-moving handler */
};

/*
 * count_fn touches only atomics: the storm test runs it on several threads
 * at once (io_table_dispatch does not serialize handlers), where basic_fn's
 * plain last_* fields race (ThreadSanitizer reported them).
 */
static void count_fn(void *opaque, uint64_t off, void *data, unsigned int len, bool is_write)
{
	struct dev *d = opaque;

	atomic_fetch_add(&d->calls, 1);
	if (atomic_load(&d->freed))
		atomic_fetch_add(&d->after_free_calls, 1);
	if (!is_write)
		memset(data, 0x5a, len);
}

static void basic_fn(void *opaque, uint64_t off, void *data, unsigned int len, bool is_write)
{
	struct dev *d = opaque;

	count_fn(opaque, off, data, len, is_write);
	d->last_off = off;
	d->last_len = len;
	d->last_write = is_write;
}

TEST(lookup_and_overlap)
{
	struct io_table *t = io_table_new();
	struct dev a = { 0 }, b = { 0 };
	uint32_t v = 0;

	ASSERT_NE(NULL, t);
	ASSERT_EQ(0, io_table_register(t, 0x1000, 0x100, basic_fn, &a));
	ASSERT_EQ(0, io_table_register(t, 0x1100, 0x10, basic_fn, &b));
	EXPECT_EQ(-EBUSY, io_table_register(t, 0x10ff, 2, basic_fn, &b));
	EXPECT_EQ(-EBUSY, io_table_register(t, 0x0f00, 0x1000, basic_fn, &b));
	EXPECT_EQ(-EINVAL, io_table_register(t, 0x2000, 0, basic_fn, &b));
	EXPECT_EQ(-EINVAL, io_table_register(t, ~0ULL, 2, basic_fn, &b));

	EXPECT_TRUE(io_table_dispatch(t, 0x1010, &v, 4, false));
	EXPECT_EQ(0x5a5a5a5au, v);
	EXPECT_EQ(0x10u, a.last_off);
	EXPECT_EQ(4u, a.last_len);
	EXPECT_TRUE(io_table_dispatch(t, 0x10ff, &v, 1, true));
	EXPECT_EQ(0xffu, a.last_off);
	EXPECT_TRUE(a.last_write);
	EXPECT_TRUE(io_table_dispatch(t, 0x110f, &v, 1, false));
	EXPECT_EQ(1, atomic_load(&b.calls));
	EXPECT_FALSE(io_table_dispatch(t, 0x1110, &v, 1, false));
	EXPECT_FALSE(io_table_dispatch(t, 0xfff, &v, 1, false));

	EXPECT_EQ(-ENOENT, io_table_unregister(t, 0x1001, &a));
	EXPECT_EQ(0, io_table_unregister(t, 0x1000, &a));
	EXPECT_FALSE(io_table_dispatch(t, 0x1010, &v, 4, false));
	EXPECT_EQ(-ENOENT, io_table_unregister(t, 0x1000, &a));
	/* the range is free again */
	EXPECT_EQ(0, io_table_register(t, 0x1000, 0x100, basic_fn, &a));
	io_table_free(t);
}

/*
 * A guest can place a BAR exactly where another handler lives (ECAM, another
 * device's BAR): the BAR's owner fails to register there, yet unregisters
 * when the BAR moves on.  That must not remove the other handler.
 */
TEST(unregister_only_the_owners_region)
{
	struct io_table *t = io_table_new();
	struct dev ecam = { 0 }, bar = { 0 };
	uint32_t v = 0;

	ASSERT_NE(NULL, t);
	ASSERT_EQ(0, io_table_register(t, 0xe0000000, 0x100000, basic_fn, &ecam));
	/* the BAR moves onto ECAM: its registration fails */
	EXPECT_EQ(-EBUSY, io_table_register(t, 0xe0000000, 0x4000, basic_fn, &bar));
	/* ... and moves away: its owner unregisters what it believes it has */
	EXPECT_EQ(-ENOENT, io_table_unregister(t, 0xe0000000, &bar));
	/* ECAM still answers */
	EXPECT_TRUE(io_table_dispatch(t, 0xe0000000, &v, 4, false));
	EXPECT_EQ(1, atomic_load(&ecam.calls));
	EXPECT_EQ(0, atomic_load(&bar.calls));
	EXPECT_EQ(0, io_table_unregister(t, 0xe0000000, &ecam));
	EXPECT_FALSE(io_table_dispatch(t, 0xe0000000, &v, 4, false));
	io_table_free(t);
}

static void blocking_fn(void *opaque, uint64_t off, void *data, unsigned int len, bool is_write)
{
	struct dev *d = opaque;

	atomic_store(&d->inside, true);
	while (!atomic_load(&d->release))
		usleep(1000);
	usleep(20000);
	atomic_fetch_add(&d->calls, 1);
	atomic_store(&d->inside, false);
}

static void *dispatch_once(void *arg)
{
	struct dev *d = arg;
	uint8_t b;

	io_table_dispatch(d->t, 0x10, &b, 1, false);
	return NULL;
}

struct unreg_arg {
	struct dev *d;
	atomic_bool done;
};

static void *unregister_thread(void *arg)
{
	struct unreg_arg *u = arg;

	io_table_unregister(u->d->t, 0x10, u->d);
	atomic_store(&u->done, true);
	return NULL;
}

TEST(unregister_waits_for_running_handler)
{
	struct dev d = { 0 };
	struct unreg_arg u = { .d = &d };
	pthread_t vcpu, owner;
	int i;

	d.t = io_table_new();
	ASSERT_EQ(0, io_table_register(d.t, 0x10, 4, blocking_fn, &d));
	ASSERT_EQ(0, pthread_create(&vcpu, NULL, dispatch_once, &d));
	for (i = 0; i < 5000 && !atomic_load(&d.inside); i++)
		usleep(1000);
	ASSERT_TRUE(atomic_load(&d.inside));
	ASSERT_EQ(0, pthread_create(&owner, NULL, unregister_thread, &u));
	usleep(50000);
	/* the handler is still running: unregister must not have returned */
	EXPECT_FALSE(atomic_load(&u.done));
	atomic_store(&d.release, true);
	pthread_join(owner, NULL);
	/* when unregister returned, the handler had finished */
	EXPECT_EQ(1, atomic_load(&d.calls));
	EXPECT_FALSE(atomic_load(&d.inside));
	pthread_join(vcpu, NULL);
	io_table_free(d.t);
}

/* kselftest's ASSERT needs _metadata; inside a handler just record failures */
static atomic_int handler_failures;
#define CHECK_EQ(exp, val) do { if ((exp) != (val)) atomic_fetch_add(&handler_failures, 1); } while (0)

/* A handler that moves its own region (like a BAR relocation). */
static void moving_fn(void *opaque, uint64_t off, void *data, unsigned int len, bool is_write)
{
	struct dev *d = opaque;
	uint64_t base = *(uint64_t *)data;

	atomic_fetch_add(&d->calls, 1);
	if (is_write && d->move_to) {
		CHECK_EQ(0, io_table_unregister(d->t, base, d));
		CHECK_EQ(0, io_table_register(d->t, d->move_to, 8, moving_fn, d));
		d->move_to = 0;
	}
}

TEST(handler_moves_its_own_region)
{
	struct dev d = { 0 };
	uint64_t base = 0x100;

	d.t = io_table_new();
	ASSERT_EQ(0, io_table_register(d.t, 0x100, 8, moving_fn, &d));
	d.move_to = 0x200;
	EXPECT_TRUE(io_table_dispatch(d.t, 0x104, &base, 8, true));
	EXPECT_EQ(0, atomic_load(&handler_failures));
	EXPECT_FALSE(io_table_dispatch(d.t, 0x104, &base, 8, false));
	EXPECT_TRUE(io_table_dispatch(d.t, 0x204, &base, 8, false));
	EXPECT_EQ(2, atomic_load(&d.calls));
	io_table_free(d.t);
}

struct storm {
	struct io_table *t;
	atomic_bool stop;
	atomic_long hits;
};

static void *storm_vcpu(void *arg)
{
	struct storm *s = arg;
	uint32_t v;

	while (!atomic_load(&s->stop)) {
		if (io_table_dispatch(s->t, 0x1000, &v, 4, false))
			atomic_fetch_add(&s->hits, 1);
		io_table_dispatch(s->t, 0x3000, &v, 4, false);
	}
	return NULL;
}

TEST(register_unregister_storm_while_dispatching)
{
	struct storm s = { 0 };
	struct dev d[2];
	pthread_t th[3];
	int i, k;

	memset(d, 0, sizeof(d));
	s.t = io_table_new();
	ASSERT_EQ(0, io_table_register(s.t, 0x3000, 4, count_fn, &d[1]));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, storm_vcpu, &s));
	for (k = 0; k < 2000; k++) {
		atomic_store(&d[0].freed, false);
		ASSERT_EQ(0, io_table_register(s.t, 0x1000, 4, count_fn, &d[0]));
		if (k % 16 == 0)
			usleep(100);
		ASSERT_EQ(0, io_table_unregister(s.t, 0x1000, &d[0]));
		/* "free" the device: no handler may run for it from now on */
		atomic_store(&d[0].freed, true);
	}
	atomic_store(&s.stop, true);
	for (i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	EXPECT_EQ(0, atomic_load(&d[0].after_free_calls));
	EXPECT_LT(0, atomic_load(&d[1].calls));
	io_table_free(s.t);
}

TEST_HARNESS_MAIN
