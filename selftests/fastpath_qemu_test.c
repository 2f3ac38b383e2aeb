// SPDX-License-Identifier: GPL-2.0
/*
 * fastpath_qemu_test: compatibility with an unmodified VFIO VMM.  Debian's
 * QEMU, inside the lab, assigns a vfpost-bound VF to an L2 Linux guest
 * (the lab's own 6.1 kernel and a busybox initrd from
 * scripts/mkinitrd-guest running the demo's guest script,
 * scripts/guest/demo.sh); the guest's nvme driver binds, writes and reads
 * back with MSI-X interrupts that went through vfpost (its fire tracepoint
 * counts them on the host).  6.1 only (nested L2 is reliable there, see
 * design.md); the L2 run has its own timeout and a hang fails clearly.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "fastpath.h"
#include "lab.h"

LAB_ONLY_SUITE("Debian's QEMU and an L2 guest on the lab's NVMe VF")

#define L2_TIMEOUT	480

FIXTURE(qemu) {
	char bdf[LAB_BDF_LEN];
	char initrd[512], log[512];
};

FIXTURE_SETUP(qemu)
{
	const char *build = getenv("BUILD") ? getenv("BUILD") : "build";

	ASSERT_EQ(0, lab_sh("command -v qemu-system-x86_64 >/dev/null"))
		TH_LOG("qemu-system-x86_64 not installed (make setup)");
	ASSERT_EQ(0, fp_vf_setup(self->bdf));
	snprintf(self->initrd, sizeof(self->initrd), "%s/fastpath/initrd-l2.cpio.gz", build);
	snprintf(self->log, sizeof(self->log), "%s/fastpath/qemu-l2.log", build);
	ASSERT_EQ(0, lab_sh("mkdir -p %s/fastpath && %s/scripts/mkinitrd-guest --kernel "
			    "$(uname -r) --modules nvme --script %s/scripts/guest/demo.sh "
			    "-o %s >/dev/null", build, lab_root(), lab_root(), self->initrd));
}

FIXTURE_TEARDOWN(qemu)
{
	EXPECT_EQ(0, fp_vf_teardown(self->bdf));
}

TEST_F_TIMEOUT(qemu, l2_guest_nvme_does_io_through_vfpost, 720)
{
	struct utsname u;
	char out[256];
	int st, fires;

	ASSERT_EQ(0, uname(&u));
	ASSERT_EQ(0, fp_trace_start("vfpost_vector_fire vfpost_bypass"));
	st = lab_sh("timeout -k 10 %d qemu-system-x86_64 -accel kvm -cpu host -smp 1 -m 512M "
		    "-nodefaults -no-user-config -display none -no-reboot -serial stdio "
		    "-kernel /boot/vmlinuz-%s -initrd %s "
		    "-append 'console=ttyS0 quiet loglevel=1 mitigations=off panic=-1 guest.script=demo.sh' "
		    "-device vfio-pci,host=%s </dev/null >%s 2>&1",
		    L2_TIMEOUT, u.release, self->initrd, self->bdf, self->log);
	fires = fp_trace_count("vfpost_vector_fire:", self->bdf + 5);
	fp_trace_stop();
	lab_sh("sed 's/^/L2: /' %s | grep -v '^L2: \\[' | tail -n 25 >&2", self->log);
	ASSERT_NE(124, st) TH_LOG("the L2 guest hung: killed after %d s (log %s)",
				  L2_TIMEOUT, self->log);
	ASSERT_EQ(0, st) TH_LOG("qemu exited with %d (log %s)", st, self->log);
	ASSERT_EQ(0, lab_sh("grep -q DEMO-GUEST-OK %s", self->log))
		TH_LOG("the guest's nvme I/O failed (log %s)", self->log);
	/* demo.sh prints the guest's /proc/interrupts lines of nvme. */
	ASSERT_EQ(0, lab_sh_out(out, sizeof(out),
				"tr -d '\\r' < %s | awk '/^guest: / && $2 ~ /^[0-9]+:$/ && /nvme/ { for (i = 3; "
				"i <= NF; i++) if ($i ~ /^[0-9]+$/) s += $i } END { print s + 0 }'",
				self->log));
	TH_LOG("guest nvme interrupts %d, vfpost host-path fires %d", atoi(out), fires);
	EXPECT_LT(0, atoi(out));
	/* Without posting hardware every guest interrupt passed vfpost. */
	EXPECT_LT(0, fires);
	EXPECT_EQ(0, fp_vfpost_irqs()) TH_LOG("vfpost irq left after qemu exited");
}

TEST_HARNESS_MAIN
