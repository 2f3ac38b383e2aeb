// SPDX-License-Identifier: GPL-2.0
/*
 * hostile_guest_test: a guest that attacks vibevmm through two NVMe VFs
 * bound to vfpost (user/guest, guest.mode=hostile: BARs moved over ECAM,
 * the LAPIC, the IOAPIC and each other, random 1/2/4/8-byte accesses at any
 * alignment to config space, the MSI-X tables and PBAs and the BARs, then
 * everything moved back and what the VMM emulates checked).
 *
 * VFPOST_STRESS_RUNS seeds (default 2) from VFPOST_STRESS_SEED (default:
 * the time); each seed is printed, so `VFPOST_STRESS_SEED=S
 * VFPOST_STRESS_RUNS=1` replays a failure.  Per run: vibevmm (the sanitized
 * build when there is one) either runs until the payload reports all its
 * checks passed and powers off, or stops on its own with a non-zero status
 * and its last line an error of its own: never a signal, a sanitizer
 * report, a hang, or a flood of log lines; and at least one seed of the
 * run reaches the payload's checks.  After every seed no vfpost irq is
 * left, and an ordinary payload run (guest.mode=irq) on each of the two VFs
 * gets an interrupt for every completion.  The lab's splat scanner covers
 * the host.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kselftest_harness.h"
#include "fastpath.h"
#include "lab.h"
#include "stress.h"
#include "vfpost_lab.h"

LAB_ONLY_SUITE("two of the lab's NVMe VFs in an L2 guest")

#define OUT_LEN		8192
#define RUN_TIMEOUT	120	/* s per vibevmm run: a hang is a failure */
#define OPS		"2000"
#define MAX_LOG_LINES	200	/* vibevmm lines per run */
/* vibevmm's rate limit: lines per call site and interval (user/vmm/log.h) */
#define LOG_RL_BURST	10
#define LOG_RL_INTERVAL	5

static const char *build_dir(void)
{
	const char *b = getenv("BUILD");

	return b ? b : "build";
}

/* vibevmm built with ASan/UBSan if user/Makefile made one, else the plain one. */
static const char *vmm_path(void)
{
	static char path[600];

	snprintf(path, sizeof(path), "%s/user/vibevmm-san", build_dir());
	if (lab_sh("test -x %s", path))
		snprintf(path, sizeof(path), "%s/user/vibevmm", build_dir());
	return path;
}

static long env_long(const char *name, long def)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 0) : def;
}

FIXTURE(vfs) {
	char bdf[2][LAB_BDF_LEN];
	char log[128];
};

FIXTURE_SETUP(vfs)
{
	ASSERT_EQ(0, lab_modprobe("kvm_amd"));
	ASSERT_EQ(0, lab_modprobe("vfio-pci"));
	ASSERT_EQ(0, vfpost_load());
	ASSERT_EQ(2, lab_vfs_up(2, self->bdf));
	ASSERT_EQ(0, lab_bind(self->bdf[0], "vfpost"));
	ASSERT_EQ(0, lab_bind(self->bdf[1], "vfpost"));
	snprintf(self->log, sizeof(self->log), "/tmp/hostile-guest.%d.log", getpid());
}

FIXTURE_TEARDOWN(vfs)
{
	lab_bind(self->bdf[0], "");
	lab_bind(self->bdf[1], "");
	lab_vfs_down();
	vfpost_unload();
	unlink(self->log);
}

/*
 * One vibevmm run of the payload with @args; its output goes to @log and
 * the first OUT_LEN-1 bytes to @out.  Returns the exit status of vibevmm
 * under timeout(1) (124: it hung).
 */
static int run_vmm(char *out, const char *log, const char *args, const char *cmdline)
{
	int st;

	st = lab_sh("ASAN_OPTIONS=detect_leaks=0 timeout %d %s --kernel %s/user/guest/bench-guest.bzImage "
		    "--mem 64M --cpus 1 %s --cmdline '%s' >%s 2>&1",
		    RUN_TIMEOUT, vmm_path(), build_dir(), args, cmdline, log);
	out[0] = '\0';
	lab_sh_out(out, OUT_LEN, "cat %s", log);
	return st;
}

static long count_lines(const char *log, const char *pattern)
{
	char n[32] = "";

	lab_sh_out(n, sizeof(n), "grep -c -- '%s' %s", pattern, log);
	return strtol(n, NULL, 10);
}

/* The first line of @log containing @pattern into @line ("" if none). */
static void log_line(const char *log, const char *pattern, char *line, size_t len)
{
	line[0] = '\0';
	lab_sh_out(line, len, "grep -a -m1 -- '%s' %s", pattern, log);
}

/*
 * The next VM on VF @bdf works: an ordinary payload run gets an interrupt
 * for every one of its @count completions, and leaves no vfpost irq.
 */
static void expect_vf_works(struct __test_metadata *_metadata, const char *log,
			    const char *bdf, int count, long seed)
{
	char out[OUT_LEN], args[64], cmd[96];

	snprintf(args, sizeof(args), "--vfio %s --irq-path vfpost", bdf);
	snprintf(cmd, sizeof(cmd), "guest.mode=irq guest.count=%d guest.irq_wait_us=1000000",
		 count);
	EXPECT_EQ(0, run_vmm(out, log, args, cmd))
		TH_LOG("after seed %ld, a VM on %s:\n%s", seed, bdf, out);
	EXPECT_EQ(count, lab_value_of(out, "GUEST-BENCH: irq", "completions="))
		TH_LOG("after seed %ld, a VM on %s:\n%s", seed, bdf, out);
	EXPECT_EQ(count, lab_value_of(out, "GUEST-BENCH: irq", "interrupts="))
		TH_LOG("after seed %ld, a VM on %s:\n%s", seed, bdf, out);
	EXPECT_NE(NULL, strstr(out, "GUEST-BENCH: exit ok"))
		TH_LOG("after seed %ld, a VM on %s:\n%s", seed, bdf, out);
	EXPECT_EQ(0, fp_vfpost_irqs()) TH_LOG("after seed %ld: vfpost irqs left on %s", seed, bdf);
}

TEST_F_TIMEOUT(vfs, hostile_seeds_then_a_normal_guest, 1800)
{
	long runs = env_long("VFPOST_STRESS_RUNS", 2);
	long base = env_long("VFPOST_STRESS_SEED", (long)time(NULL) & 0xffffff);
	char out[OUT_LEN], args[128], cmd[128], tail[512], line[512];
	long r, to_the_end = 0;
	struct stress_row row;

	STRESS_ROW_WANTED("hostile_guest");
	ASSERT_LE(1, runs) TH_LOG("VFPOST_STRESS_RUNS=%ld: no seed to run", runs);
	snprintf(args, sizeof(args), "--vfio %s --vfio %s --irq-path vfpost", self->bdf[0],
		 self->bdf[1]);
	stress_begin(&row, "hostile_guest");
	for (r = 0; r < runs; r++) {
		long seed = base + r, lines;
		time_t t0 = time(NULL);
		int st;
		RUN_START();

		snprintf(cmd, sizeof(cmd), "guest.mode=hostile guest.seed=%ld guest.ops=" OPS,
			 seed);
		st = run_vmm(out, self->log, args, cmd);
		lab_sh_out(tail, sizeof(tail), "tail -n 3 %s", self->log);
		ksft_print_msg("hostile run %ld/%ld: seed %ld (replay: VFPOST_STRESS_SEED=%ld VFPOST_STRESS_RUNS=1), status %d, %ld s\n",
			       r + 1, runs, seed, seed, st, (long)(time(NULL) - t0));
		lines = count_lines(self->log, "^vibevmm: ");
		ASSERT_NE(124, st) TH_LOG("seed %ld: vibevmm hung; tail:\n%s", seed, tail);
		ASSERT_GT(128, st) TH_LOG("seed %ld: vibevmm died of a signal:\n%s", seed, tail);
		ASSERT_EQ(0, count_lines(self->log, "Sanitizer\\|runtime error"))
			TH_LOG("seed %ld: sanitizer report:\n%s", seed, out);
		EXPECT_GE(MAX_LOG_LINES, lines) TH_LOG("seed %ld: %ld vibevmm lines:\n%s", seed,
							lines, out);
		/* The lines BAR moves cause, one call site each, are rate-limited. */
		EXPECT_GE(LOG_RL_BURST * ((time(NULL) - t0) / LOG_RL_INTERVAL + 1),
			  count_lines(self->log, "memslot at"))
			TH_LOG("seed %ld: one warning per BAR move:\n%s", seed, out);
		/* The attack ran: a stop before it would prove nothing. */
		ASSERT_EQ(1, count_lines(self->log, "GUEST-BENCH: hostile start seed="))
			TH_LOG("seed %ld: the payload never started:\n%s", seed, out);
		if (st) {
			/* Stopped by itself: its own last word is an error line. */
			ASSERT_NE(NULL, strstr(tail, "vibevmm: ")) TH_LOG("seed %ld:\n%s", seed, tail);
		} else {
			/* Read from the file: the log can be longer than @out. */
			log_line(self->log, "GUEST-BENCH: hostile seed=", line, sizeof(line));
			ASSERT_EQ(0, count_lines(self->log, "hostile check failed"))
				TH_LOG("seed %ld: vibevmm stopped emulating:\n%s", seed, out);
			ASSERT_EQ(2, lab_value_of(line, "GUEST-BENCH: hostile seed=", "devices="))
				TH_LOG("seed %ld: '%s'", seed, line);
			ASSERT_EQ(0, lab_value_of(line, "GUEST-BENCH: hostile seed=", "failed="))
				TH_LOG("seed %ld: '%s'", seed, line);
			ASSERT_EQ(1, count_lines(self->log, "GUEST-BENCH: exit ok"))
				TH_LOG("seed %ld:\n%s", seed, tail);
			to_the_end++;
		}
		ASSERT_EQ(0, fp_vfpost_irqs()) TH_LOG("seed %ld: vfpost irqs left", seed);
		/* Whatever the seed did, both VFs serve the next VM. */
		expect_vf_works(_metadata, self->log, self->bdf[0], 20, seed);
		expect_vf_works(_metadata, self->log, self->bdf[1], 20, seed);
		stress_tally(&row, RUN_OK());
	}
	stress_end(&row);

	/*
	 * Stopping with an error is allowed, but the checks of what vibevmm
	 * still emulates run only in a payload that reached its end.
	 */
	ksft_print_msg("hostile: %ld of %ld seeds ran to the end, %ld stopped by vibevmm\n",
		       to_the_end, runs, runs - to_the_end);
	/* One seed replayed may be one that vibevmm stops: allowed. */
	if (runs > 1 || !getenv("VFPOST_STRESS_SEED"))
		ASSERT_LT(0, to_the_end) TH_LOG("no seed reached the payload's checks");
}

TEST_HARNESS_MAIN
