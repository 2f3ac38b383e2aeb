// SPDX-License-Identifier: GPL-2.0
/*
 * bench_guest_test: the benchmark guest payload (user/guest) boots under
 * vibevmm through the ordinary bzImage path, reports and powers off; with an
 * NVMe VF assigned, every completion it counts arrives as an interrupt.
 * (The figures themselves are measured by `make bench`, never here.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "lab.h"

#define OUT_LEN		4096

/* Run the payload under vibevmm; @out gets its console, returns the status. */
static int run_payload(char *out, const char *vmm_args, const char *cmdline)
{
	const char *b = getenv("BUILD");
	char build[512];

	snprintf(build, sizeof(build), "%s", b ? b : "build");
	return lab_sh_out(out, OUT_LEN,
			  "timeout 120 %s/user/vibevmm --kernel %s/user/guest/bench-guest.bzImage "
			  "--mem 64M --cpus 1 %s --cmdline '%s' 2>&1",
			  build, build, vmm_args, cmdline);
}

/* Numeric value of "key=" on the line that starts with @line. */
static long value_of(const char *out, const char *line, const char *key)
{
	const char *l = strstr(out, line), *k, *eol;

	if (!l)
		return -1;
	eol = strchr(l, '\n');
	k = strstr(l, key);
	if (!k || (eol && k > eol))
		return -1;
	return strtol(k + strlen(key), NULL, 10);
}

/* Under a loaded lab one payload boot can take a while; see run_payload. */
#define TEST_TIMEOUT	150

FIXTURE(novf) {
};

FIXTURE_SETUP(novf)
{
	ASSERT_EQ(0, lab_modprobe("kvm_amd"));
}

FIXTURE_TEARDOWN(novf)
{
}

TEST_F_TIMEOUT(novf, hello_boots_and_powers_off, TEST_TIMEOUT)
{
	char out[OUT_LEN];

	ASSERT_EQ(0, run_payload(out, "", "guest.mode=hello")) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "GUEST-BENCH: hello lapic_id=0")) TH_LOG("%s", out);
	/* The TSC was calibrated against the PIT: some MHz at least. */
	ASSERT_LT(1000000, value_of(out, "GUEST-BENCH: hello", "tsc_hz=")) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "nvme=none")) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "GUEST-BENCH: exit ok")) TH_LOG("%s", out);
}

TEST_F_TIMEOUT(novf, bad_mode_is_reported, TEST_TIMEOUT)
{
	char out[OUT_LEN];

	ASSERT_EQ(0, run_payload(out, "", "guest.mode=bogus")) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "error: unknown guest.mode=bogus")) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "GUEST-BENCH: exit failed")) TH_LOG("%s", out);
}

TEST_F_TIMEOUT(novf, irq_mode_without_device_fails_cleanly, TEST_TIMEOUT)
{
	char out[OUT_LEN];

	ASSERT_EQ(0, run_payload(out, "", "guest.mode=irq")) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "error: no NVMe controller")) TH_LOG("%s", out);
}

TEST_HARNESS_MAIN
