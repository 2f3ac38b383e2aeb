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
#include "vfpost_lab.h"

LAB_ONLY_SUITE("the lab's NVMe VF in an L2 guest")

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
	ASSERT_LT(1000000, lab_value_of(out, "GUEST-BENCH: hello", "tsc_hz=")) TH_LOG("%s", out);
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

FIXTURE(vf) {
	char bdf[1][LAB_BDF_LEN];
};

/* The VF's driver and vibevmm's --irq-path. */
FIXTURE_VARIANT(vf) {
	const char *driver, *path;
};

FIXTURE_VARIANT_ADD(vf, vfio) { .driver = "vfio-pci", .path = "vfio" };
FIXTURE_VARIANT_ADD(vf, relay) { .driver = "vfio-pci", .path = "relay" };
FIXTURE_VARIANT_ADD(vf, vfpost) { .driver = "vfpost", .path = "vfpost" };

FIXTURE_SETUP(vf)
{
	ASSERT_EQ(0, lab_modprobe("kvm_amd"));
	ASSERT_EQ(0, lab_modprobe("vfio-pci"));
	if (!strcmp(variant->driver, "vfpost"))
		ASSERT_EQ(0, vfpost_load());
	ASSERT_EQ(1, lab_vfs_up(1, self->bdf));
	ASSERT_EQ(0, lab_bind(self->bdf[0], variant->driver));
}

FIXTURE_TEARDOWN(vf)
{
	lab_bind(self->bdf[0], "");
	lab_vfs_down();
	if (!strcmp(variant->driver, "vfpost"))
		vfpost_unload();
}

/* Every completion the payload consumed arrived as an MSI-X interrupt. */
TEST_F_TIMEOUT(vf, irq_counts_match_completions, TEST_TIMEOUT)
{
	char out[OUT_LEN], args[128];

	snprintf(args, sizeof(args), "--vfio %s --irq-path %s", self->bdf[0], variant->path);
	ASSERT_EQ(0, run_payload(out, args, "guest.mode=irq guest.count=50 guest.irq_wait_us=1000000"))
		TH_LOG("%s", out);
	ASSERT_EQ(50, lab_value_of(out, "GUEST-BENCH: irq", "completions=")) TH_LOG("%s", out);
	ASSERT_EQ(50, lab_value_of(out, "GUEST-BENCH: irq", "interrupts=")) TH_LOG("%s", out);
	ASSERT_EQ(0, lab_value_of(out, "GUEST-BENCH: irq", "lost=")) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "GUEST-BENCH: exit ok")) TH_LOG("%s", out);
}

/* Enabling vectors one by one leaves vector 0 counting every completion. */
TEST_F_TIMEOUT(vf, storm_reports_every_enable, TEST_TIMEOUT)
{
	char out[OUT_LEN], args[128];

	snprintf(args, sizeof(args), "--vfio %s --irq-path %s", self->bdf[0], variant->path);
	ASSERT_EQ(0, run_payload(out, args, "guest.mode=storm guest.rounds=2 guest.work=1 guest.irq_wait_us=1000000"))
		TH_LOG("%s", out);
	/* 2 rounds x (MSI-X enable + unmask of vector 1) on the lab's 2-vector VF */
	ASSERT_EQ(4, lab_value_of(out, "GUEST-BENCH: storm", "enables=")) TH_LOG("%s", out);
	/* per round: 1 command, 1 in flight across the unmask, 1 after */
	ASSERT_EQ(6, lab_value_of(out, "GUEST-BENCH: storm", "completions=")) TH_LOG("%s", out);
	ASSERT_EQ(0, lab_value_of(out, "GUEST-BENCH: storm", "other_vector_irqs=")) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "GUEST-BENCH: exit ok")) TH_LOG("%s", out);
}

TEST_HARNESS_MAIN
