// SPDX-License-Identifier: GPL-2.0
/*
 * Log rate limiting: a guest that triggers a warning in a loop gets
 * LOG_RL_BURST lines per interval, and the count of what was dropped when
 * the next interval prints again.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* the harness defines non-static helpers without prototypes */
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include "kselftest_harness.h"
#include "vmm/log.h"

TEST(burst_then_quiet_then_missed_count)
{
	struct log_ratelimit rl = { 0 };
	unsigned int missed, printed = 0, i;

	for (i = 0; i < 1000; i++) {
		printed += log_ratelimit(&rl, 100 + i, &missed);
		EXPECT_EQ(0u, missed);
	}
	EXPECT_EQ(LOG_RL_BURST, printed);
	/* still within the interval */
	EXPECT_FALSE(log_ratelimit(&rl, 100 + LOG_RL_INTERVAL_MS - 1, &missed));
	/* the next interval prints, and reports what was dropped */
	EXPECT_TRUE(log_ratelimit(&rl, 100 + LOG_RL_INTERVAL_MS, &missed));
	EXPECT_EQ(1000u - LOG_RL_BURST + 1, missed);
	EXPECT_TRUE(log_ratelimit(&rl, 100 + LOG_RL_INTERVAL_MS + 1, &missed));
	EXPECT_EQ(0u, missed);
}

TEST(first_call_at_time_zero_prints)
{
	struct log_ratelimit rl = { 0 };
	unsigned int missed;

	EXPECT_TRUE(log_ratelimit(&rl, 0, &missed));
	EXPECT_EQ(0u, missed);
}

/* One call site on the real clock: the burst, nothing more. */
static int site_lines(void)
{
	int n = 0, i;

	for (i = 0; i < 500; i++) {
		static struct log_ratelimit rl;

		n += log_ratelimit_now(&rl, __func__);
	}
	return n;
}

TEST(call_site_on_the_clock)
{
	int fds[2], saved = dup(STDERR_FILENO);
	char buf[4096] = "";
	ssize_t len;

	ASSERT_EQ(LOG_RL_BURST, site_lines());
	/* a flood through log_rl() writes at most the burst */
	ASSERT_EQ(0, pipe(fds));
	ASSERT_LE(0, saved);
	ASSERT_LE(0, dup2(fds[1], STDERR_FILENO));
	for (int i = 0; i < 500; i++)
		log_warn_rl("flood %d", i);
	dup2(saved, STDERR_FILENO);
	close(fds[1]);
	len = read(fds[0], buf, sizeof(buf) - 1);
	close(fds[0]);
	close(saved);
	ASSERT_LT(0, len);
	buf[len] = '\0';
	EXPECT_NE(NULL, strstr(buf, "vibevmm: flood 9\n"));
	EXPECT_EQ(NULL, strstr(buf, "vibevmm: flood 10\n"));
}

TEST_HARNESS_MAIN
