// SPDX-License-Identifier: GPL-2.0
/*
 * fault_l2_test: the rows of the fault matrix with an L2 guest
 * (Documentation/reliability.rst).  vibevmm (its sanitized build when there
 * is one) runs the bench guest (user/guest, guest.mode=fault) on a VF that
 * it claims through vfpost: Get Features commands one at a time, each
 * followed by its MSI-X interrupt through vfpost and KVM, a progress line
 * every second.  While that I/O runs, each row causes its fault:
 *
 *   sriov_off_under_guest_io   the PF's sriov_numvfs goes to 0;
 *   vmm_sigkill_under_guest_io vibevmm is SIGKILLed;
 *   sysfs_reset_under_guest_io the VF's sysfs "reset", three times;
 *   guest_flr_under_guest_io   the guest's own FLR every 25 commands, which
 *                              vibevmm turns into VFIO_DEVICE_RESET;
 *   pf_unbind_under_guest_io   the PF's driver (nvme) unbound;
 *   rmmod_under_guest_io       rmmod vfpost, which must be refused.
 *
 * Each row repeats VFPOST_STRESS_RUNS times (20 in make stress, 2 in make
 * check); after every run, lib/stress.c checks that the kernel logged no
 * splat, that nothing is left behind and that the VF works for a fresh
 * open.  Every vibevmm run has its own deadline: a hang is a failure with
 * the log's tail printed.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "fastpath.h"
#include "lab.h"
#include "libvfpost.h"
#include "registry_check.h"
#include "stress.h"
#include "vfpost_lab.h"
#include "vmm_run.h"

#define NVME_DRV	"/sys/bus/pci/drivers/nvme"
#define BOOT_TIMEOUT	120	/* s from exec to the guest's first line */
#define STEP_TIMEOUT	60	/* s for each step of a run after that */
#define IRQS_BEFORE	20	/* host-path interrupts of the guest's I/O before a fault */
#define IRQS_BETWEEN	10	/* ... and after each reset, before the next */
#define RESETS		3	/* sysfs resets per run */
#define FLR_EVERY	25	/* commands between two guest FLRs */
#define FLRS		3	/* guest FLRs per run */
#define FAULT_LINE	"GUEST-BENCH: fault "
#define __STR(x)	#x
#define STR(x)		__STR(x)
#define GUEST_ARGS	"guest.mode=fault guest.seconds=3600 guest.irq_wait_us=1000000"

LAB_ONLY_SUITE("the lab PF's VFs, its nvme driver and an L2 guest on them")

FIXTURE(vf) {
	char bdf[LAB_BDF_LEN];
	struct vmm v;
	struct vfpost *h;
	bool pf_unbound;	/* by this case: bound again at teardown */
};

FIXTURE_SETUP(vf)
{
	int err;

	memset(&self->v, 0, sizeof(self->v));
	ASSERT_EQ(0, lab_modprobe("kvm_amd"));
	ASSERT_EQ(0, lab_modprobe("vfio-pci"));
	ASSERT_EQ(0, fp_vf_setup(self->bdf));
	/* vibevmm claims it through vfpost: start unbound */
	ASSERT_EQ(0, lab_bind(self->bdf, ""));
	self->h = vfpost_open(&err);
	ASSERT_NE(NULL, self->h) TH_LOG("%s", vfpost_strerror(err));
}

/*
 * The lab PF back on nvme after pf_unbind (sriov_numvfs needs it; the
 * VFs' resource commands, lab_vfs_up(), wait for its probe to finish).
 */
static int pf_rebind(FIXTURE_DATA(vf) *self)
{
	int ret;

	if (!self->pf_unbound)
		return 0;
	ret = lab_pf_bind_nvme();
	if (!ret)
		self->pf_unbound = false;
	return ret;
}

FIXTURE_TEARDOWN(vf)
{
	struct stat st;
	char path[128];

	vmm_kill(&self->v);
	pf_rebind(self);
	if (self->h)
		vfpost_close(self->h);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", self->bdf);
	if (!stat(path, &st))
		lab_bind(self->bdf, "");
	fp_vf_teardown(self->bdf);
}

/* The last line of the log containing @what, into @line ("" if none). */
static void last_line(const struct vmm *v, const char *what, char *line, size_t len)
{
	char *buf = read_log(v), *p, *last = NULL;

	line[0] = '\0';
	for (p = buf; p && (p = strstr(p, what)); p++)
		last = p;
	if (last)
		snprintf(line, len, "%.*s", (int)strcspn(last, "\n"), last);
	free(buf);
}

static int count_in_log(const struct vmm *v, const char *what)
{
	char *buf = read_log(v), *p;
	int n = 0;

	for (p = buf; p && (p = strstr(p, what)); p++)
		n++;
	free(buf);
	return n;
}

static bool vmm_alive(struct vmm *v)
{
	int st;

	if (v->pid <= 0)
		return false;
	if (waitpid(v->pid, &st, WNOHANG) != v->pid)
		return true;
	v->pid = 0;
	v->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return false;
}

/* vfpost's host-path count of vector 0, 0 while it is not requested. */
static long host_count(const char *bdf)
{
	long n = fp_host_count(bdf, 0);

	return n < 0 ? 0 : n;
}

/* Wait until vector 0 took @want more host-path interrupts than @base. */
static bool wait_irqs(struct vmm *v, const char *bdf, long base, long want)
{
	double end = vmm_now() + STEP_TIMEOUT;

	while (vmm_now() < end && vmm_alive(v)) {
		if (host_count(bdf) - base >= want)
			return true;
		usleep(100000);
	}
	return false;
}

/*
 * Start the fault guest on @bdf (@extra: more guest options) and wait for
 * its I/O: IRQS_BEFORE interrupts through vfpost.
 */
static void start_guest(struct __test_metadata *_metadata, FIXTURE_DATA(vf) *self,
			const char *name, const char *extra)
{
	char args[512];

	snprintf(args, sizeof(args),
		 "--vfio %s --irq-path vfpost --eject-timeout 0 --cmdline '" GUEST_ARGS " %s'",
		 self->bdf, extra);
	ASSERT_EQ(0, vmm_start_bench(&self->v, name, args));
	if (!wait_log(&self->v, FAULT_LINE "start", BOOT_TIMEOUT)) {
		dump_log(&self->v);
		ASSERT_TRUE(false) TH_LOG("the fault guest never started");
	}
	if (!wait_irqs(&self->v, self->bdf, 0, IRQS_BEFORE)) {
		dump_log(&self->v);
		ASSERT_TRUE(false) TH_LOG("no guest I/O through vfpost (%ld interrupts)",
					  host_count(self->bdf));
	}
}

/*
 * Wait for a progress line in which @key reached @min and the guest
 * completed IRQS_BETWEEN commands since its last reset; into @line.
 */
static bool wait_progress(struct vmm *v, const char *key, long min, char *line, size_t len)
{
	double end = vmm_now() + STEP_TIMEOUT;

	while (vmm_now() < end && vmm_alive(v)) {
		last_line(v, FAULT_LINE, line, len);
		if (lab_value_of(line, FAULT_LINE, key) >= min &&
		    lab_value_of(line, FAULT_LINE, "since_reset=") >= IRQS_BETWEEN)
			return true;
		usleep(200000);
	}
	last_line(v, FAULT_LINE, line, len);
	return false;
}

/*
 * The function resets of an assignment, before the guest runs: VFIO's on
 * open and vibevmm's own on VM start (the lab's VFs have FLR; a VF
 * without a reset method would have neither).
 */
#define ASSIGN_RESETS	2

/*
 * The VF_RESET events vfpost sent since @r opened (its reset_done); -1 if
 * some were lost (the socket overran: libvfpost reports a resync).
 */
static int vf_resets(struct recorder *r)
{
	recorder_wait(r, REC_MAX, 500);
	if (recorder_count(r, 0, VFPOST_EVENT_LIB_RESYNC) || r->overflow) {
		fprintf(stderr, "# vfpost events were lost: resets not counted\n");
		return -1;
	}
	return recorder_count(r, 0, VFPOST_EVENT_VF_RESET);
}

/* SIGTERM: vibevmm stops the VM and exits 128 + SIGTERM. */
static void stop_vmm(struct __test_metadata *_metadata, struct vmm *v)
{
	ASSERT_TRUE(vmm_alive(v)) {
		dump_log(v);
		TH_LOG("vibevmm exited by itself: status %d", v->status);
	}
	ASSERT_EQ(0, kill(v->pid, SIGTERM));
	EXPECT_EQ(128 + SIGTERM, vmm_wait(v, STEP_TIMEOUT)) dump_log(v);
	EXPECT_EQ(0, count_in_log(v, "Sanitizer")) dump_log(v);
	EXPECT_EQ(0, count_in_log(v, "runtime error")) dump_log(v);
}

/*
 * The claim is released with the device closed: the VF unbound again (its
 * driver before the claim), no owner, not claimed, no vfpost irq.
 */
static void expect_released(struct __test_metadata *_metadata, FIXTURE_DATA(vf) *self)
{
	struct vfpost_vf vf;
	char drv[64] = "?";
	int i;

	for (i = 0; i < 100; i++) {
		if (!lab_driver_of(self->bdf, drv, sizeof(drv)) && !drv[0])
			break;
		usleep(100000);
	}
	EXPECT_STREQ("", drv) TH_LOG("%s still bound to %s: the claim was not released",
				     self->bdf, drv);
	EXPECT_EQ(0, fp_vfpost_irqs()) fp_log_irq_leftovers();
	ASSERT_EQ(0, vfpost_vf_get(self->h, self->bdf, &vf)) TH_LOG("%s", vfpost_errmsg(self->h));
	EXPECT_EQ(0u, vf.owner_pid);
	EXPECT_FALSE(vf.claimed);
}

/* The checks after every run, with the VF bound to vfpost; unbound again after. */
static void check_run(struct __test_metadata *_metadata, FIXTURE_DATA(vf) *self,
		      struct stress_row *row, bool ok)
{
	ASSERT_EQ(0, lab_bind(self->bdf, "vfpost"));
	stress_check(row, self->bdf, -1, ok);
	ASSERT_EQ(0, lab_bind(self->bdf, ""));
}

typedef void (*run_fn)(struct __test_metadata *_metadata, FIXTURE_DATA(vf) *self, int run);

/* Row @name: @run, then the checks after every run, as many times as asked. */
static void row(struct __test_metadata *_metadata, FIXTURE_DATA(vf) *self, const char *name,
		run_fn run)
{
	struct stress_row r;
	int i;

	STRESS_ROW_WANTED(name);
	stress_begin(&r, name);
	r.runs = stress_runs();
	for (i = 0; i < r.runs; i++) {
		RUN_START();
		run(_metadata, self, i);
		check_run(_metadata, self, &r, RUN_OK());
	}
	stress_end(&r);
	EXPECT_EQ(r.runs, r.passed);
}

/*
 * The VF (back) online, and a fresh VM on it: 20 commands, each with its
 * interrupt; the claim released after.
 */
static void fresh_vm(struct __test_metadata *_metadata, FIXTURE_DATA(vf) *self, int i,
		     const char *name)
{
	char line[512], bdfs[1][LAB_BDF_LEN];

	ASSERT_EQ(1, lab_vfs_up(1, bdfs));
	ASSERT_STREQ(self->bdf, bdfs[0]);
	snprintf(line, sizeof(line),
		 "--vfio %s --irq-path vfpost --cmdline 'guest.mode=irq guest.count=20 guest.irq_wait_us=1000000'",
		 self->bdf);
	ASSERT_EQ(0, vmm_start_bench(&self->v, name, line));
	EXPECT_EQ(0, vmm_wait(&self->v, BOOT_TIMEOUT + STEP_TIMEOUT)) dump_log(&self->v);
	last_line(&self->v, "GUEST-BENCH: irq", line, sizeof(line));
	EXPECT_EQ(20, lab_value_of(line, "GUEST-BENCH: irq", "completions="))
		TH_LOG("run %d: the fresh VM: '%s'", i, line);
	EXPECT_EQ(20, lab_value_of(line, "GUEST-BENCH: irq", "interrupts="))
		TH_LOG("run %d: the fresh VM: '%s'", i, line);
	expect_released(_metadata, self);
}

/*
 * SR-IOV off under the guest's I/O: the write returns once vibevmm has let
 * the VF go (vibevmm.rst, "Orderly removal": the bench guest has no ACPI,
 * so with --eject-timeout 0 the detach is forced at once); vibevmm logs the
 * detach once, nothing about the claim (it went with the VF), and keeps the
 * VM running; the guest reports the device gone and keeps printing;
 * vfpost's registry no longer has the VF and no vfpost irq is left.  With
 * the VF back, a fresh VM on it gets an interrupt for every completion.
 */
static void sriov_off(struct __test_metadata *_metadata, FIXTURE_DATA(vf) *self, int i)
{
	char line[512], path[128];
	struct vfpost_vf vf;
	struct stat st;
	pid_t remover;
	int j, status = -1;
	long lost;

	start_guest(_metadata, self, "fault-sriov", "");
	remover = fork();
	ASSERT_LE(0, remover);
	if (!remover)
		_exit(lab_write_file(LAB_PF_SYS "/sriov_numvfs", "0") ? 1 : 0);
	for (j = 0; j < STEP_TIMEOUT * 5 && waitpid(remover, &status, WNOHANG) == 0; j++)
		usleep(200000);
	if (j == STEP_TIMEOUT * 5) {
		/*
		 * The write waits in the kernel, unkillable, until the VF is
		 * closed: only vibevmm's death ends it.
		 */
		dump_log(&self->v);
		vmm_kill(&self->v);
		waitpid(remover, NULL, 0);
		ASSERT_TRUE(false) TH_LOG("run %d: sriov_numvfs=0 blocked for %d s: vibevmm never let the VF go",
					  i, STEP_TIMEOUT);
	}
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", self->bdf);
	EXPECT_NE(0, stat(path, &st)) TH_LOG("%s still exists", path);

	/* vibevmm: one detach line, still running */
	EXPECT_TRUE(wait_log(&self->v, "device detached and closed, the VM keeps running",
			     STEP_TIMEOUT)) dump_log(&self->v);
	EXPECT_EQ(1, count_in_log(&self->v, "device detached and closed"));
	/* the guest: the device gone, then still up and printing */
	EXPECT_TRUE(wait_log(&self->v, FAULT_LINE "device gone", STEP_TIMEOUT))
		dump_log(&self->v);
	for (j = 0; j < STEP_TIMEOUT * 5 && count_in_log(&self->v, "gone=1") < 3; j++)
		usleep(200000);
	EXPECT_LE(3, count_in_log(&self->v, "gone=1"))
		TH_LOG("run %d: the guest stopped after the removal", i);
	/*
	 * The one command in flight may complete without its interrupt:
	 * vibevmm takes the function off the guest's bus, then detaches the
	 * vectors, then closes the device (vfio_pci.c close_device(), with
	 * --eject-timeout 0 no guest cooperation), and the VF can post its
	 * completion in between.  Seen once, in make check on 6.1
	 * (2026-12-01: "device gone completions=1136 interrupts=1135"),
	 * after 20 runs on 6.1 and 4 on the debug kernel without it.
	 */
	last_line(&self->v, FAULT_LINE "device gone", line, sizeof(line));
	lost = lab_value_of(line, FAULT_LINE, "lost=");
	EXPECT_TRUE(lost == 0 || lost == 1) TH_LOG("%s", line);
	EXPECT_EQ(-ENODEV, vfpost_vf_get(self->h, self->bdf, &vf))
		TH_LOG("run %d: vfpost still lists %s", i, self->bdf);
	EXPECT_EQ(0, fp_vfpost_irqs()) fp_log_irq_leftovers();
	stop_vmm(_metadata, &self->v);
	/* no claim to release: it went with the VF */
	EXPECT_EQ(0, count_in_log(&self->v, "vfpost release")) dump_log(&self->v);
	EXPECT_EQ(0, count_in_log(&self->v, "could not release")) dump_log(&self->v);

	fresh_vm(_metadata, self, i, "fault-sriov-after");
}

TEST_F_TIMEOUT(vf, sriov_off_under_guest_io, 3000)
{
	row(_metadata, self, "sriov_off_under_guest_io", sriov_off);
}

/*
 * vibevmm SIGKILLed in the guest's I/O loop: the kernel closes the device,
 * vfpost frees its vectors and releases the claim (vibevmm claims until
 * close), the VF reopens and delivers.
 */
static void sigkill(struct __test_metadata *_metadata, FIXTURE_DATA(vf) *self, int i)
{
	struct vfpost_vf vf;

	start_guest(_metadata, self, "fault-sigkill", "");
	ASSERT_EQ(0, vfpost_vf_get(self->h, self->bdf, &vf));
	EXPECT_TRUE(vf.claimed);
	EXPECT_EQ((uint32_t)self->v.pid, vf.owner_pid);
	EXPECT_LT(0, fp_vfpost_irqs());
	ASSERT_EQ(0, kill(self->v.pid, SIGKILL));
	EXPECT_EQ(128 + SIGKILL, vmm_wait(&self->v, STEP_TIMEOUT)) TH_LOG("run %d", i);
	expect_released(_metadata, self);
}

TEST_F_TIMEOUT(vf, vmm_sigkill_under_guest_io, 3000)
{
	row(_metadata, self, "vmm_sigkill_under_guest_io", sigkill);
}

/*
 * The VF's sysfs reset, RESETS times under the guest's I/O: the guest sees
 * its controller disabled, enables it again and goes on; vector 0 keeps
 * delivering (IRQS_BETWEEN interrupts after each reset); every completion
 * the guest took raised exactly one interrupt; vfpost reported each reset.
 */
static void sysfs_reset(struct __test_metadata *_metadata, FIXTURE_DATA(vf) *self, int i)
{
	char line[512], path[128];
	struct recorder rec;
	long base;
	int r, before;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/reset", self->bdf);
	ASSERT_EQ(0, recorder_open(&rec));
	start_guest(_metadata, self, "fault-reset", "");
	before = vf_resets(&rec);
	EXPECT_EQ(ASSIGN_RESETS, before) TH_LOG("run %d: resets of the assignment", i);
	for (r = 0; r < RESETS; r++) {
		base = host_count(self->bdf);
		ASSERT_EQ(0, lab_write_file(path, "1")) TH_LOG("run %d: reset %d", i, r);
		EXPECT_TRUE(wait_irqs(&self->v, self->bdf, base, IRQS_BETWEEN)) {
			dump_log(&self->v);
			TH_LOG("run %d: no interrupts after reset %d", i, r);
		}
	}
	EXPECT_TRUE(wait_progress(&self->v, "resets=", 1, line, sizeof(line)))
		TH_LOG("run %d: the guest saw no reset or did not recover: '%s'", i, line);
	ksft_print_msg("run %d: %s\n", i, line);
	EXPECT_GE(RESETS, lab_value_of(line, FAULT_LINE, "resets=")) TH_LOG("%s", line);
	EXPECT_LT(0, lab_value_of(line, FAULT_LINE, "completions=")) TH_LOG("%s", line);
	EXPECT_EQ(0, lab_value_of(line, FAULT_LINE, "lost=")) TH_LOG("%s", line);
	EXPECT_EQ(0, count_in_log(&self->v, "GUEST-BENCH: error")) dump_log(&self->v);
	EXPECT_EQ(before + RESETS, vf_resets(&rec));
	recorder_close(&rec);
	stop_vmm(_metadata, &self->v);
	expect_released(_metadata, self);
}

TEST_F_TIMEOUT(vf, sysfs_reset_under_guest_io, 3000)
{
	row(_metadata, self, "sysfs_reset_under_guest_io", sysfs_reset);
}

/*
 * The guest's own FLR every FLR_EVERY commands, FLRS times, then plain I/O:
 * vibevmm resets what it emulates (MSI-X off: every vector detached from
 * VFIO and KVM) and issues VFIO_DEVICE_RESET; the guest sets MSI-X and the
 * controller up again.  Every completion with its interrupt, no failed
 * reset, and a VF_RESET event from vfpost for every FLR.  (Unbounded, a
 * loaded lab let the guest do some 200 FLRs before the first check: more
 * events than the recorder's socket buffer holds.)
 */
static void guest_flr(struct __test_metadata *_metadata, FIXTURE_DATA(vf) *self, int i)
{
	struct recorder rec;
	char line[512];
	long flrs;

	ASSERT_EQ(0, recorder_open(&rec));
	start_guest(_metadata, self, "fault-flr",
		    "guest.flr_every=" STR(FLR_EVERY) " guest.flr_max=" STR(FLRS));
	EXPECT_TRUE(wait_progress(&self->v, "flrs=", FLRS, line, sizeof(line))) {
		dump_log(&self->v);
		TH_LOG("run %d: fewer than %d FLRs with I/O after them: '%s'", i, FLRS, line);
	}
	ksft_print_msg("run %d: %s\n", i, line);
	EXPECT_EQ(FLRS, lab_value_of(line, FAULT_LINE, "flrs=")) TH_LOG("%s", line);
	EXPECT_EQ(0, lab_value_of(line, FAULT_LINE, "lost=")) TH_LOG("%s", line);
	EXPECT_EQ(0, lab_value_of(line, FAULT_LINE, "resets=")) TH_LOG("%s", line);
	EXPECT_EQ(0, count_in_log(&self->v, "GUEST-BENCH: error")) dump_log(&self->v);
	EXPECT_EQ(0, count_in_log(&self->v, "failed: ")) dump_log(&self->v);
	/*
	 * Each FLR reached the VF (VFIO_DEVICE_RESET, vfpost's reset_done):
	 * exactly one event each, on top of those of the assignment, while
	 * the guest goes on.  The guest stops its FLRs at FLRS.
	 */
	flrs = lab_value_of(line, FAULT_LINE, "flrs=");
	EXPECT_EQ(ASSIGN_RESETS + flrs, vf_resets(&rec)) TH_LOG("run %d: %ld FLRs", i, flrs);
	recorder_close(&rec);
	stop_vmm(_metadata, &self->v);
	expect_released(_metadata, self);
}

TEST_F_TIMEOUT(vf, guest_flr_under_guest_io, 3000)
{
	row(_metadata, self, "guest_flr_under_guest_io", guest_flr);
}

/*
 * After a fault that leaves the VF in place: @lines more progress lines
 * from the guest (the last into @line), vibevmm still running, the device
 * not taken from the guest, no completion without its interrupt.
 */
static void expect_guest_up(struct __test_metadata *_metadata, FIXTURE_DATA(vf) *self,
			    const char *when, int lines, char *line, size_t len)
{
	int j, base;

	base = count_in_log(&self->v, FAULT_LINE "progress");
	for (j = 0; j < STEP_TIMEOUT * 5 && vmm_alive(&self->v) &&
		    count_in_log(&self->v, FAULT_LINE "progress") < base + lines; j++)
		usleep(200000);
	last_line(&self->v, FAULT_LINE, line, len);
	ksft_print_msg("%s: %s\n", when, line);
	ASSERT_TRUE(vmm_alive(&self->v)) {
		dump_log(&self->v);
		TH_LOG("%s: vibevmm exited: status %d", when, self->v.status);
	}
	EXPECT_LE(base + lines, count_in_log(&self->v, FAULT_LINE "progress"))
		TH_LOG("%s: the guest stopped printing", when);
	EXPECT_EQ(0, lab_value_of(line, FAULT_LINE, "gone=")) TH_LOG("%s: %s", when, line);
	EXPECT_EQ(0, lab_value_of(line, FAULT_LINE, "lost=")) TH_LOG("%s: %s", when, line);
	EXPECT_EQ(0, count_in_log(&self->v, "GUEST-BENCH: error")) dump_log(&self->v);
}

/*
 * rmmod vfpost under the guest's I/O: refused by rmmod and by the kernel's
 * delete_module (vibevmm's open device holds the module), never a hang;
 * the guest's I/O goes on with an interrupt per completion, vfpost's host
 * count moving.
 */
static void rmmod_refused(struct __test_metadata *_metadata, FIXTURE_DATA(vf) *self, int i)
{
	char why[512], line[512];
	long base;

	start_guest(_metadata, self, "fault-rmmod", "");
	EXPECT_EQ(0, vfpost_rmmod_refused(why, sizeof(why))) TH_LOG("run %d: %s", i, why);
	ASSERT_TRUE(vfpost_loaded());
	base = host_count(self->bdf);
	expect_guest_up(_metadata, self, "after rmmod", 2, line, sizeof(line));
	EXPECT_TRUE(wait_irqs(&self->v, self->bdf, base, IRQS_BETWEEN))
		TH_LOG("run %d: no host interrupts after the refused rmmod", i);
	stop_vmm(_metadata, &self->v);
	expect_released(_metadata, self);
}

TEST_F_TIMEOUT(vf, rmmod_under_guest_io, 3000)
{
	row(_metadata, self, "rmmod_under_guest_io", rmmod_refused);
}

/* vfpost's registry matches sysfs, the VF claimed by vibevmm, its vectors requested. */
static void expect_claimed_by_vmm(struct __test_metadata *_metadata, FIXTURE_DATA(vf) *self,
				  const char *when)
{
	struct vfpost_vf vf;

	expect_dump_matches_sysfs(_metadata, self->h, when);
	ASSERT_EQ(0, vfpost_vf_get(self->h, self->bdf, &vf)) TH_LOG("%s", vfpost_errmsg(self->h));
	EXPECT_TRUE(vf.claimed) TH_LOG("%s: the claim went", when);
	EXPECT_EQ((uint32_t)self->v.pid, vf.owner_pid) TH_LOG("%s", when);
	EXPECT_LT(0, fp_vfpost_irqs()) TH_LOG("%s: vibevmm's vectors went", when);
}

/*
 * The lab PF's driver (nvme) unbound under the guest's I/O, then bound
 * again, the VF claimed and open by vibevmm throughout.  nvme's remove
 * leaves SR-IOV on (the PCI core only warns; drivers such as ice or mlx5
 * turn it off, which is sriov_off's row) and only shuts its controller
 * down (CC.SHN): the VF, its vectors and, on QEMU's NVMe, its controller
 * go on, so the guest's I/O goes on with an interrupt per completion.
 * nvme's probe disables the PF's controller (CC.EN 0), and QEMU then takes
 * every VF's controller offline: the guest sees a reset and a controller
 * that never comes back (guest.dead_ok=1: "device dead", the guest stays
 * up).  After each step vibevmm runs, nothing was lost, and vfpost's
 * registry matches sysfs with the VF claimed by vibevmm and its vectors
 * requested.  Then vibevmm stops cleanly, the claim is released, and with
 * the VF online again a fresh VM on it works.
 */
static void pf_unbind(struct __test_metadata *_metadata, FIXTURE_DATA(vf) *self, int i)
{
	char line[512], when[64];
	long base;
	int j;

	start_guest(_metadata, self, "fault-pf-unbind", "guest.dead_ok=1");
	base = host_count(self->bdf);
	self->pf_unbound = true;
	ASSERT_EQ(0, lab_write_file(NVME_DRV "/unbind", LAB_PF_BDF)) TH_LOG("run %d", i);
	snprintf(when, sizeof(when), "run %d, PF unbound", i);
	EXPECT_TRUE(wait_irqs(&self->v, self->bdf, base, IRQS_BETWEEN)) {
		dump_log(&self->v);
		TH_LOG("%s: the guest's I/O stopped", when);
	}
	expect_guest_up(_metadata, self, when, 2, line, sizeof(line));
	EXPECT_EQ(0, lab_value_of(line, FAULT_LINE, "resets=")) TH_LOG("%s: %s", when, line);
	EXPECT_EQ(0, lab_value_of(line, FAULT_LINE, "dead=")) TH_LOG("%s: %s", when, line);
	expect_claimed_by_vmm(_metadata, self, when);

	ASSERT_EQ(0, pf_rebind(self)) TH_LOG("run %d: the PF back on nvme", i);
	snprintf(when, sizeof(when), "run %d, PF bound again", i);
	for (j = 0; j < STEP_TIMEOUT * 5 && vmm_alive(&self->v) &&
		    !count_in_log(&self->v, FAULT_LINE "device dead"); j++)
		usleep(200000);
	EXPECT_EQ(1, count_in_log(&self->v, FAULT_LINE "device dead")) {
		dump_log(&self->v);
		TH_LOG("%s: the VF's controller did not go offline", when);
	}
	expect_guest_up(_metadata, self, when, 2, line, sizeof(line));
	EXPECT_EQ(1, lab_value_of(line, FAULT_LINE, "dead=")) TH_LOG("%s: %s", when, line);
	expect_claimed_by_vmm(_metadata, self, when);

	stop_vmm(_metadata, &self->v);
	expect_released(_metadata, self);
	fresh_vm(_metadata, self, i, "fault-pf-unbind-after");
}

TEST_F_TIMEOUT(vf, pf_unbind_under_guest_io, 3000)
{
	row(_metadata, self, "pf_unbind_under_guest_io", pf_unbind);
}

TEST_HARNESS_MAIN
