// SPDX-License-Identifier: GPL-2.0
/* vibevmm's threads: a stack too small for a huge page, and enough (thread.h). */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

/* the harness defines non-static helpers without prototypes */
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include "kselftest_harness.h"
#include "vmm/thread.h"

#define HUGE_PAGE	(2UL << 20)

struct probe {
	size_t stack_size;
	int err;
	unsigned int deep;		/* bytes of stack to use, in 8 KiB frames */
	uint8_t sum;
};

/* An 8 KiB frame, as the VFIO sysfs code's path buffers, @n deep. */
static uint8_t __attribute__((noinline)) use_stack(unsigned int n)
{
	volatile uint8_t frame[8192];

	memset((void *)frame, (int)n, sizeof(frame));
	return n ? (uint8_t)(frame[n % sizeof(frame)] + use_stack(n - 1)) : frame[0];
}

static void *probe_thread(void *arg)
{
	struct probe *p = arg;
	pthread_attr_t attr;

	p->err = pthread_getattr_np(pthread_self(), &attr);
	if (!p->err) {
		p->err = pthread_attr_getstacksize(&attr, &p->stack_size);
		pthread_attr_destroy(&attr);
	}
	p->sum = use_stack(p->deep);
	return NULL;
}

TEST(stack_smaller_than_a_huge_page)
{
	struct probe p = { 0 };
	pthread_t t;

	ASSERT_EQ(0, vmm_thread_start(&t, probe_thread, &p));
	ASSERT_EQ(0, pthread_join(t, NULL));
	ASSERT_EQ(0, p.err);
	EXPECT_EQ((size_t)VMM_THREAD_STACK, p.stack_size);
	EXPECT_GT(HUGE_PAGE, p.stack_size) TH_LOG("stack %zu bytes", p.stack_size);
}

/* Half the stack used, in 64 frames of 8 KiB: deeper than any thread goes. */
TEST(stack_holds_deep_calls)
{
	struct probe p = { .deep = VMM_THREAD_STACK / 2 / 8192 };
	pthread_t t;

	ASSERT_EQ(0, vmm_thread_start(&t, probe_thread, &p));
	ASSERT_EQ(0, pthread_join(t, NULL));
	ASSERT_EQ(0, p.err);
}

TEST_HARNESS_MAIN
