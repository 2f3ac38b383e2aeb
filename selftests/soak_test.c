// SPDX-License-Identifier: GPL-2.0
/*
 * soak_test: guest I/O through vfpost for VFPOST_SOAK_SECONDS (default 10;
 * `make stress` wants 600) while the guest, from a PRNG seeded with
 * VFPOST_STRESS_SEED (default the time, printed), masks vector 0 or the
 * whole function across commands, disables and re-enables MSI-X (vibevmm
 * detaches the vectors: irqfd deassigned, route freed, eventfd closed, then
 * all of it again), re-aims vector 0 at other CPU vectors (KVM route
 * updates under a live irqfd) and masks/unmasks vector 1.  The payload is
 * user/guest in guest.mode=soak (one command in flight, its interrupt taken
 * before the next, so no merge is possible: Documentation/fast-path.rst,
 * "Counting interrupts").
 *
 * Checks: every completion raised exactly one guest interrupt, none arrived
 * while masked; vfpost's netlink statistics for vector 0 (read while the
 * guest holds its vectors) count one host-path interrupt per completion and
 * one latched interrupt per masked window; vibevmm exits 0; no vfpost irq
 * is left.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "fastpath.h"
#include "lab.h"

LAB_ONLY_SUITE("the lab's NVMe VF in an L2 guest")

#define OUT_LEN		8192
#define HOLD_MS		3000	/* the guest keeps its vectors this long after its line */

static const char *build_dir(void)
{
	const char *b = getenv("BUILD");

	return b ? b : "build";
}

static long env_long(const char *name, long def)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 0) : def;
}

FIXTURE(vf) {
	char bdf[LAB_BDF_LEN];
	char log[128];
};

FIXTURE_SETUP(vf)
{
	ASSERT_EQ(0, lab_modprobe("kvm_amd"));
	ASSERT_EQ(0, fp_vf_setup(self->bdf));
	snprintf(self->log, sizeof(self->log), "/tmp/soak.%d.log", getpid());
}

FIXTURE_TEARDOWN(vf)
{
	fp_vf_teardown(self->bdf);
	lab_sh("rm -f %s %s.status", self->log, self->log);
}

/* Wait until the log has a line containing @what or @deadline passes. */
static bool wait_log(const char *log, const char *what, time_t deadline)
{
	while (time(NULL) < deadline) {
		if (!lab_sh("grep -q -- '%s' %s 2>/dev/null", what, log))
			return true;
		usleep(200 * 1000);
	}
	return false;
}

TEST_F_TIMEOUT(vf, io_with_mask_reattach_and_reroute_churn, 1500)
{
	long seconds = env_long("VFPOST_SOAK_SECONDS", 10);
	long seed = env_long("VFPOST_STRESS_SEED", (long)time(NULL) & 0xffffff);
	time_t deadline = time(NULL) + 2 * seconds + 120;	/* within the 1500 s below at 600 s */
	struct vfpost_vector v0;
	char out[OUT_LEN], st[16] = "";
	long c, masked;
	time_t t0;

	ksft_print_msg("soak: %ld s, seed %ld (replay: VFPOST_STRESS_SEED=%ld)\n", seconds,
		       seed, seed);
	ASSERT_EQ(0, lab_sh("(ASAN_OPTIONS=detect_leaks=0 timeout %ld %s/user/vibevmm-san "
			    "--kernel %s/user/guest/bench-guest.bzImage --mem 64M --cpus 1 "
			    "--vfio %s --irq-path vfpost --cmdline 'guest.mode=soak guest.seed=%ld "
			    "guest.seconds=%ld guest.irq_wait_us=1000000 guest.hold_ms=%d' "
			    ">%s 2>&1; echo $? >%s.status) &",
			    (long)(deadline - time(NULL)), build_dir(), build_dir(), self->bdf,
			    seed, seconds, HOLD_MS, self->log, self->log));
	ASSERT_TRUE(wait_log(self->log, "GUEST-BENCH: soak start", deadline)) {
		lab_sh_out(out, sizeof(out), "tail -n 20 %s", self->log);
		TH_LOG("the soak did not start before the deadline:\n%s", out);
	}
	t0 = time(NULL);
	ASSERT_TRUE(wait_log(self->log, "GUEST-BENCH: soak seed=", deadline)) {
		lab_sh_out(out, sizeof(out), "tail -n 20 %s", self->log);
		TH_LOG("no soak result before the deadline:\n%s", out);
	}
	/* The guest times its soak with its own TSC calibration: L1's clock. */
	ksft_print_msg("soak: %ld s from its start to its result by L1's clock\n",
		       (long)(time(NULL) - t0));
	/* The guest holds its vectors: vfpost's counts are final and readable. */
	ASSERT_EQ(0, fp_stats(self->bdf, 0, &v0));
	ASSERT_TRUE(wait_log(self->log, "GUEST-BENCH: exit", deadline));
	while (time(NULL) < deadline && lab_sh("test -s %s.status", self->log))
		usleep(200 * 1000);
	lab_sh_out(st, sizeof(st), "cat %s.status", self->log);
	lab_sh_out(out, sizeof(out), "grep -v '^vibevmm: .*memslot' %s | head -c 8000",
		   self->log);
	ksft_print_msg("%s", strstr(out, "GUEST-BENCH: soak seed=") ?: out);

	ASSERT_EQ(0, atoi(st)) TH_LOG("vibevmm status '%s':\n%s", st, out);
	ASSERT_NE(NULL, strstr(out, "GUEST-BENCH: exit ok")) TH_LOG("%s", out);
	c = lab_value_of(out, "GUEST-BENCH: soak seed=", "completions=");
	ASSERT_LT(0, c) TH_LOG("%s", out);
	EXPECT_EQ(c, lab_value_of(out, "GUEST-BENCH: soak seed=", "interrupts="));
	EXPECT_EQ(0, lab_value_of(out, "GUEST-BENCH: soak seed=", "early="));
	/* host path: one interrupt per completion, one latched per masked window */
	EXPECT_EQ(c, (long)v0.host_hits);
	masked = lab_value_of(out, "GUEST-BENCH: soak seed=", "vec_masked=") +
		 lab_value_of(out, "GUEST-BENCH: soak seed=", "fn_masked=");
	EXPECT_EQ(masked, (long)v0.masked_hits);
	EXPECT_LT(0, lab_value_of(out, "GUEST-BENCH: soak seed=", "reattach="));
	EXPECT_LT(0, lab_value_of(out, "GUEST-BENCH: soak seed=", "reroute="));
	EXPECT_EQ(0, fp_vfpost_irqs());
}

TEST_HARNESS_MAIN
