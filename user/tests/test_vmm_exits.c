// SPDX-License-Identifier: GPL-2.0
/*
 * The vCPU exit decision: what the guest asked for ends vibevmm with 0,
 * anything abnormal (a crash event above all) with 1 and one error line.
 */
#include <string.h>

/* the harness defines non-static helpers without prototypes */
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include "kselftest_harness.h"
#include "vmm/exits.h"

static void decide(struct kvm_run *run, uint32_t reason, uint32_t event,
		   struct exit_verdict *v)
{
	memset(run, 0, sizeof(*run));
	run->exit_reason = reason;
	if (reason == KVM_EXIT_SYSTEM_EVENT)
		run->system_event.type = event;
	/* stale bytes must not leak into the message */
	memset(v, 0x5a, sizeof(*v));
	exit_decide(run, 3, v);
}

TEST(crash_event_fails_with_one_line)
{
	struct kvm_run run;
	struct exit_verdict v;

	decide(&run, KVM_EXIT_SYSTEM_EVENT, KVM_SYSTEM_EVENT_CRASH, &v);
	EXPECT_TRUE(v.stop);
	EXPECT_EQ(1, v.status);
	EXPECT_TRUE(v.error);
	EXPECT_STREQ("vCPU 3: guest crashed (KVM system event CRASH); stopping the VM, see the guest's console for its panic",
		     v.msg);
	EXPECT_EQ(NULL, strchr(v.msg, '\n'));
}

TEST(poweroff_and_reset_succeed)
{
	struct kvm_run run;
	struct exit_verdict v;

	decide(&run, KVM_EXIT_SYSTEM_EVENT, KVM_SYSTEM_EVENT_SHUTDOWN, &v);
	EXPECT_TRUE(v.stop);
	EXPECT_EQ(0, v.status);
	EXPECT_FALSE(v.error);
	EXPECT_STREQ("guest powered off; stopping the VM", v.msg);
	decide(&run, KVM_EXIT_SYSTEM_EVENT, KVM_SYSTEM_EVENT_RESET, &v);
	EXPECT_TRUE(v.stop);
	EXPECT_EQ(0, v.status);
	EXPECT_STREQ("guest reset; stopping the VM", v.msg);
}

TEST(every_abnormal_exit_fails)
{
	static const struct {
		uint32_t reason, event;
		const char *msg;
	} cases[] = {
		{ KVM_EXIT_SHUTDOWN, 0, "vCPU 3: guest triple fault (CPU shutdown); stopping the VM" },
		{ KVM_EXIT_FAIL_ENTRY, 0, "vCPU 3: VM entry failed (reason 0)" },
		{ KVM_EXIT_INTERNAL_ERROR, 0, "vCPU 3: KVM internal error (suberror 0)" },
		{ KVM_EXIT_SYSTEM_EVENT, 6, "vCPU 3: guest asked to terminate (SEV termination request); stopping the VM" },
		{ KVM_EXIT_SYSTEM_EVENT, 77, "vCPU 3: unexpected KVM system event 77; stopping the VM" },
		{ KVM_EXIT_HLT, 0, "vCPU 3: unexpected KVM exit reason 5" },
		{ KVM_EXIT_DEBUG, 0, "vCPU 3: unexpected KVM exit reason 4" },
	};
	struct kvm_run run;
	struct exit_verdict v;
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		decide(&run, cases[i].reason, cases[i].event, &v);
		EXPECT_TRUE(v.stop) TH_LOG("case %u", i);
		EXPECT_EQ(1, v.status) TH_LOG("case %u", i);
		EXPECT_TRUE(v.error) TH_LOG("case %u", i);
		EXPECT_STREQ(cases[i].msg, v.msg);
	}
}

TEST(interrupted_run_continues)
{
	struct kvm_run run;
	struct exit_verdict v;

	decide(&run, KVM_EXIT_INTR, 0, &v);
	EXPECT_FALSE(v.stop);
	EXPECT_EQ(0, v.status);
}

TEST(stats_count_by_reason_port_and_page)
{
	struct exit_stats s;
	char line[512];
	int i;

	memset(&s, 0, sizeof(s));
	exit_stats_count(&s, KVM_EXIT_IO, 0xcf8);	/* seen first, printed second */
	for (i = 0; i < 5; i++)
		exit_stats_count(&s, KVM_EXIT_IO, 0x3f8);
	exit_stats_count(&s, KVM_EXIT_MMIO, 0xe0000004);
	exit_stats_count(&s, KVM_EXIT_MMIO, 0xe0000ffc);	/* same 4 KiB page */
	exit_stats_count(&s, KVM_EXIT_INTR, 0);
	exit_stats_count(&s, KVM_EXIT_SYSTEM_EVENT, 0);
	exit_stats_format(&s, line, sizeof(line));
	EXPECT_STREQ("10 exits: io 6 (0x3f8 5, 0xcf8 1), mmio 2 (0xe0000000 2), intr 1, other 1",
		     line);
}

TEST(stats_keep_the_first_keys_and_count_the_rest)
{
	struct exit_stats s;
	char line[2048], small[16];
	int i;

	memset(&s, 0, sizeof(s));
	for (i = 0; i < EXIT_STATS_KEYS + 3; i++)
		exit_stats_count(&s, KVM_EXIT_IO, 0x1000 + i);
	exit_stats_format(&s, line, sizeof(line));
	EXPECT_NE(NULL, strstr(line, ", others 3)")) TH_LOG("%s", line);
	EXPECT_EQ(3u, s.ports.rest);
	/* a short buffer is truncated, never overrun */
	exit_stats_format(&s, small, sizeof(small));
	EXPECT_EQ(sizeof(small) - 1, strlen(small));
}

TEST_HARNESS_MAIN
