// SPDX-License-Identifier: GPL-2.0
/*
 * posting_test: KVM's posting decision as vfpost records it.
 *
 * vfpost probes KVM's kvm_pi_irte_update tracepoint (kmod/posting.c) and
 * reports, per vector, whether KVM posted it (to which vCPU, as which guest
 * vector) or put it back in remapped mode; "-" when KVM reported nothing.
 *
 * guest_interrupts_are_posted: where the host can post (IRQ_POSTING_CAP:
 * Intel VT-d posted interrupts with APICv, or AMD AVIC with an IOMMU in
 * guest virtual APIC mode), a vibevmm guest receives device interrupts on
 * the VF while vfpost's host-path count stays 0 and the vector reads
 * posted.  Elsewhere, the lab included (its emulated IOMMU posts nothing),
 * it skips and says why.  The VF is the one VFPOST_BDF names on real
 * hardware, else one fp_vf_setup() finds (the lab's, in the lab); the
 * guest drives it with the Linux driver its selftest driver names
 * (lib/vf_drv.h: nvme), and a VF no selftest driver knows skips.
 *
 * probe_follows_the_kvm_module: vfpost attaches its probe when kvm is
 * already loaded and when kvm comes after it, lets go when kvm is unloaded
 * and when vfpost is (each says so in the kernel log), with a vector
 * attached all along, which reads "-" throughout: in the lab KVM never
 * decides.  The lab holds a KVM VM from boot to keep KVM's static keys
 * still while CPUs run (scripts/lab/init); unloading kvm means ending
 * that VM, so the case runs with one CPU online, as the lab's boot does
 * its own text patching, and holds a VM again before the CPUs return.
 * It needs the lab (its VFs, its held VM, kvm_amd's options there) and
 * skips elsewhere.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "btf.h"
#include "fastpath.h"
#include "kvm_vm.h"
#include "lab.h"
#include "libvfpost.h"
#include "vf_drv.h"
#include "vfio_dev.h"
#include "vfpost_lab.h"
#include "vmm_run.h"

#define MSIX		VFIO_PCI_MSIX_IRQ_INDEX
#define TEST_GSI	24
#define TEST_VECTOR	0x41
#define MAX_VEC		8
#define MIN_POSTED	16	/* guest interrupts per I/O vector, at least */

#define LOG_REC		"vfpost: recording KVM's posting decisions (kvm_pi_irte_update in "
#define LOG_STOP	"KVM's posting decisions no longer recorded"

/* @path reads Y, y or 1 (a bool module parameter that is on). */
static bool param_on(const char *path)
{
	char buf[16];

	return !lab_read_file(path, buf, sizeof(buf)) &&
	       (buf[0] == 'Y' || buf[0] == 'y' || buf[0] == '1');
}

static void add_why(char *why, size_t len, const char *s)
{
	size_t n = strlen(why);

	snprintf(why + n, len - n, "%s%s", n ? "; " : "", s);
}

/*
 * Intel: KVM's enable_apicv, and every DMAR unit with posted interrupts
 * (CAP register bit 59, what intel_irq_remapping checks) unless the
 * command line turns posting off.
 */
static bool intel_can_post(char *why, size_t len)
{
	char cap[64], path[PATH_MAX], cmdline[4096] = "";
	struct dirent *d;
	bool units = false, all = true;
	DIR *dir;

	if (access("/sys/module/kvm_intel", F_OK)) {
		add_why(why, len, "kvm_intel not loaded");
		return false;
	}
	if (!param_on("/sys/module/kvm_intel/parameters/enable_apicv")) {
		add_why(why, len, "kvm_intel enable_apicv=N");
		return false;
	}
	dir = opendir("/sys/class/iommu");
	while (dir && (d = readdir(dir))) {
		if (strncmp(d->d_name, "dmar", 4))
			continue;
		snprintf(path, sizeof(path), "/sys/class/iommu/%s/intel-iommu/cap",
			 d->d_name);
		units = true;
		if (lab_read_file(path, cap, sizeof(cap)) ||
		    !((strtoull(cap, NULL, 16) >> 59) & 1))
			all = false;
	}
	if (dir)
		closedir(dir);
	lab_read_file("/proc/cmdline", cmdline, sizeof(cmdline));
	if (!units || !all)
		add_why(why, len, units ? "a DMAR unit lacks posted interrupts (CAP bit 59)" :
			"no Intel IOMMU (DMAR) unit");
	else if (strstr(cmdline, "intremap=nopost") || strstr(cmdline, "intremap=off"))
		add_why(why, len, "intremap= on the command line turns posting off");
	else
		return true;
	return false;
}

/* AMD: kvm_amd's avic, and the IOMMU driver's guest virtual APIC mode. */
static bool amd_can_post(char *why, size_t len)
{
	if (access("/sys/module/kvm_amd", F_OK)) {
		add_why(why, len, "kvm_amd not loaded");
		return false;
	}
	if (!param_on("/sys/module/kvm_amd/parameters/avic")) {
		add_why(why, len, "kvm_amd avic=N (no AVIC)");
		return false;
	}
	if (lab_sh("dmesg | grep -q 'AMD-Vi: Virtual APIC enabled'")) {
		add_why(why, len, "no AMD IOMMU in guest virtual APIC mode ('AMD-Vi: Virtual APIC enabled' not in the kernel log)");
		return false;
	}
	return true;
}

/* Whether KVM can post device interrupts here; if not, @why says why. */
static bool host_can_post(char *why, size_t len)
{
	why[0] = '\0';
	return intel_can_post(why, len) || amd_can_post(why, len);
}

/* Lines of the kernel log containing @s. */
static int klog_count(const char *s)
{
	char out[32];

	if (lab_sh_out(out, sizeof(out), "dmesg | grep -cF \"%s\" || true", s))
		return -1;
	return atoi(out);
}

/* The vector's POSTING cell as `vfpostctl stats` prints it, into @cell. */
static int ctl_posting(const char *bdf, unsigned int index, char *cell, size_t len)
{
	char out[2048], want[16], *line, *save = NULL;

	if (lab_sh_out(out, sizeof(out), "%s/user/vfpostctl stats %s", vmm_build_dir(), bdf))
		return -EIO;
	if (!strstr(out, " POSTING\n"))
		return -EPROTO;
	snprintf(want, sizeof(want), "%6u ", index);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *sp = strrchr(line, ' ');

		if (strncmp(line, want, strlen(want)) || !sp)
			continue;
		/* "posted cpu N vec V" has blanks: take from the CHANGED cell on */
		if (!strcmp(sp + 1, "-") || !strcmp(sp + 1, "remapped"))
			snprintf(cell, len, "%s", sp + 1);
		else
			snprintf(cell, len, "%s", strstr(line, "posted") ?: "?");
		return 0;
	}
	return -ENOENT;
}

/* ---- the posting case (hardware that posts) ---- */

/* Guest counts of the VF's vectors ("VFIO-IRQ <addr> <vec> <count>"). */
static int guest_counts(const struct vmm *v, long long counts[MAX_VEC])
{
	char *log = read_log(v), *p;
	int n = 0;

	memset(counts, 0xff, sizeof(long long) * MAX_VEC);	/* -1: not seen */
	if (!log)
		return -ENOENT;
	for (p = strstr(log, "VFIO-IRQ "); p; p = strstr(p + 1, "VFIO-IRQ ")) {
		char addr[32];
		long long cnt;
		int vec;

		if (sscanf(p, "VFIO-IRQ %31s %d %lld", addr, &vec, &cnt) == 3 &&
		    vec >= 0 && vec < MAX_VEC) {
			counts[vec] = cnt;
			n++;
		}
	}
	free(log);
	return n;
}

/* Both cases set up what they need themselves: the fixture only names them. */
FIXTURE(posting) {
	int unused;
};

FIXTURE_SETUP(posting)
{
}

FIXTURE_TEARDOWN(posting)
{
}

TEST_F_TIMEOUT(posting, guest_interrupts_are_posted, 900)
{
	char why[512], bdf[VFPOST_BDF_LEN], args[1536], initrd[1024];
	const struct vf_drv_ops *ops;
	const char *gk;
	struct vfpost_vector vec[MAX_VEC];
	long long guest[MAX_VEC];
	struct vfpost_vf vf;
	struct vfpost *h;
	struct vmm v = { 0 };
	int i, n, err, io = 0;

	if (!host_can_post(why, sizeof(why)))
		SKIP(return, "KVM cannot post device interrupts on this host: %s", why);

	i = fp_vf_setup(bdf);
	if (i == -ENODEV)
		SKIP(return, "%s", fp_why());
	ASSERT_EQ(0, i);
	ops = vf_drv_lookup(bdf, why, sizeof(why));
	ASSERT_NE(NULL, ops) TH_LOG("%s", why);
	/* vfio-guest.sh's I/O loop drives NVMe (vfio.nvme=1). */
	if (!ops->guest_module || strcmp(ops->guest_module, "nvme")) {
		EXPECT_EQ(0, fp_vf_teardown(bdf));
		SKIP(return, "the guest script drives NVMe VFs only; %s is a %s device", bdf,
		     ops->name);
	}
	snprintf(initrd, sizeof(initrd), "%s/selftests/posting-initrd.cpio.gz", vmm_build_dir());
	/* The modules of the kernel the guest boots (/boot/vmlinuz-<release>). */
	gk = vmm_guest_kernel();
	ASSERT_NE(NULL, gk) TH_LOG("no kernel in /boot for the guest");
	ASSERT_NE(NULL, strstr(gk, "vmlinuz-"));
	ASSERT_EQ(0, lab_sh("%s/scripts/mkinitrd-guest --kernel %s --modules %s "
			    "--script %s/selftests/guest/vfio-guest.sh -o %s >/dev/null",
			    lab_root(), strstr(gk, "vmlinuz-") + 8, ops->guest_module,
			    lab_root(), initrd));
	snprintf(args, sizeof(args), "--vfio %s --irq-path vfpost --initrd %s --cmdline "
		 "'quiet guest.script=vfio-guest.sh vfio.nvme=1 vfio.pause=10'", bdf, initrd);
	ASSERT_EQ(0, vmm_start(&v, "posting", args));
	if (!wait_log(&v, "VFIO-COUNTS", 600)) {
		dump_log(&v);
		vmm_kill(&v);
		ASSERT_TRUE(false) TH_LOG("the guest never finished its I/O");
	}
	/* The guest idles 10 s after its counts: read vfpost's now. */
	h = vfpost_open(&err);
	ASSERT_NE(NULL, h) TH_LOG("%s", vfpost_strerror(err));
	n = vfpost_vf_stats(h, bdf, &vf, vec, MAX_VEC);
	vfpost_close(h);
	EXPECT_EQ(0, vmm_wait(&v, 180));
	ASSERT_LT(0, n) TH_LOG("no vector attached");
	ASSERT_LT(0, guest_counts(&v, guest));
	/* The I/O queue vectors (1 on): vector 0 is shared with setup. */
	for (i = 0; i < n && i < MAX_VEC; i++) {
		char cell[48];

		if (!vec[i].index || vec[i].index >= MAX_VEC || guest[vec[i].index] < 0)
			continue;
		ASSERT_EQ(0, ctl_posting(bdf, vec[i].index, cell, sizeof(cell)));
		TH_LOG("vector %u: guest %lld, host %llu, %s cpu %u vec 0x%x", vec[i].index,
		       guest[vec[i].index], (unsigned long long)vec[i].host_hits,
		       vfpost_posting_name(vec[i].posting), vec[i].posted_vcpu,
		       vec[i].posted_vector);
		EXPECT_LE(MIN_POSTED, guest[vec[i].index]);
		EXPECT_EQ(0u, vec[i].host_hits);
		EXPECT_EQ(VFPOST_POSTING_POSTED, (int)vec[i].posting);
		EXPECT_EQ(0u, vec[i].posted_vcpu);	/* the guest has one vCPU */
		EXPECT_EQ(0, strncmp(cell, "posted cpu 0 vec 0x", 19)) TH_LOG("vfpostctl: %s", cell);
		io++;
	}
	EXPECT_LT(0, io) TH_LOG("no I/O queue vector seen in the guest");
	EXPECT_EQ(0, fp_vf_teardown(bdf));
}

/* ---- the probe's prototype and life with the kvm module (lab) ---- */

/*
 * The probe's parameter types, as vfpost.ko was built (its modinfo, from
 * kmod/compat.h), against the running KVM's own tracepoint typedef in its
 * BTF: a mismatch would have the probe read its arguments from the wrong
 * registers.
 */
TEST_F_TIMEOUT(posting, probe_prototype_matches_kvm, 60)
{
	bool builtin = access("/sys/module/kvm/initstate", F_OK) != 0;
	char built[256] = "", kvm[256];

	if (access("/sys/module/kvm", F_OK))
		SKIP(return, "kvm is not loaded here: there is no KVM prototype to compare");
	ASSERT_EQ(0, lab_sh_out(built, sizeof(built), "modinfo -F kvm_pi_irte_update %s",
				lab_vfpost_ko()));
	built[strcspn(built, "\n")] = '\0';
	ASSERT_STRNE("", built) TH_LOG("%s has no kvm_pi_irte_update modinfo", lab_vfpost_ko());
	ASSERT_STRNE("none", built) TH_LOG("built without a probe for this kernel's KVM");
	if (access("/sys/kernel/btf/vmlinux", F_OK) || (!builtin && access("/sys/kernel/btf/kvm", F_OK)))
		SKIP(return, "no BTF for %s in this kernel (CONFIG_DEBUG_INFO_BTF%s): "
		     "cannot read KVM's prototype; vfpost was built for (%s)",
		     builtin ? "vmlinux" : "kvm", builtin ? "" : "_MODULES", built);
	ASSERT_EQ(0, btf_fn_params(builtin ? NULL : "kvm", "btf_trace_kvm_pi_irte_update",
				   kvm, sizeof(kvm)));
	TH_LOG("KVM: (%s), vfpost's probe: (%s)", kvm, built);
	EXPECT_STREQ(kvm, built);
}

/* Every CPU but 0 offline (@alone), or every CPU online again. */
static int cpus_alone(bool alone)
{
	return lab_sh("for c in /sys/devices/system/cpu/cpu[1-9]*/online; do "
		      "[ -e \"$c\" ] && echo %d > \"$c\"; done; true", alone ? 0 : 1);
}

/* Kill every other process holding /dev/kvm or a KVM VM (the lab's holder). */
static int kvm_kill_holders(void)
{
	struct dirent *p;
	DIR *proc;
	int killed = 0;

	proc = opendir("/proc");
	if (!proc)
		return -errno;
	while ((p = readdir(proc))) {
		int pid = atoi(p->d_name);

		if (pid <= 1 || pid == getpid())
			continue;
		if (lab_pid_holds(pid, "/dev/kvm") || lab_pid_holds(pid, "anon_inode:kvm-vm")) {
			kill(pid, SIGKILL);
			killed++;
		}
	}
	closedir(proc);
	return killed;
}

/* rmmod kvm_amd kvm, retrying while the killed holder's VM goes away. */
static int kvm_unload(void)
{
	int i;

	kvm_kill_holders();
	for (i = 0; i < 100; i++) {
		if (!lab_sh("rmmod kvm_amd kvm 2>/dev/null"))
			return 0;
		usleep(100000);
	}
	return lab_sh("rmmod kvm_amd kvm");
}

/* As scripts/lab/init: hold a VM with an in-kernel irqchip and a vCPU. */
static int kvm_hold(void)
{
	pid_t pid = fork();
	struct kvm_vm vm;

	if (pid < 0)
		return -errno;
	if (!pid) {
		setsid();
		if (kvm_vm_create(&vm, TEST_GSI, TEST_VECTOR))
			_exit(1);
		for (;;)
			pause();
	}
	usleep(500000);
	return 0;
}

/* Vector 0 of @bdf reads no decision, through libvfpost and vfpostctl. */
static void expect_no_decision(struct __test_metadata *_metadata, const char *bdf,
			       const char *when)
{
	struct vfpost_vector st;
	char cell[48] = "";

	ASSERT_EQ(0, fp_stats(bdf, 0, &st)) TH_LOG("%s", when);
	EXPECT_EQ(VFPOST_POSTING_NONE, (int)st.posting) TH_LOG("%s", when);
	EXPECT_EQ(0u, st.posting_ns) TH_LOG("%s", when);
	ASSERT_EQ(0, ctl_posting(bdf, 0, cell, sizeof(cell))) TH_LOG("%s", when);
	EXPECT_STREQ("-", cell) TH_LOG("%s: vfpostctl stats shows '%s'", when, cell);
}

TEST_F_TIMEOUT(posting, probe_follows_the_kvm_module, 240)
{
	int rec = klog_count(LOG_REC), stop = klog_count(LOG_STOP);
	int rec_kvm = klog_count(LOG_REC "kvm)");
	int rec_kernel = klog_count(LOG_REC "the kernel)");
	int stop_unload = klog_count("vfpost unloading: " LOG_STOP);
	int stop_kvm = klog_count("kvm unloading: " LOG_STOP);
	bool builtin = access("/sys/module/kvm/initstate", F_OK) != 0;
	char bdf[LAB_BDF_LEN];
	struct vfio_dev dev;
	struct kvm_vm vm = { .kvm = -1, .vm = -1, .vcpu = -1 };
	char why[256];
	int efd;

	if (!lab_only_ok(why, sizeof(why)))
		SKIP(return, "unloads and reloads kvm_amd with the lab's options: %s", why);
	ASSERT_LE(0, rec);
	ASSERT_EQ(0, access("/sys/module/kvm", F_OK)) TH_LOG("no kvm in this lab");
	ASSERT_EQ(0, vfpost_unload());

	/* kvm first, then vfpost: attached at load. */
	ASSERT_EQ(0, fp_vf_setup(bdf));
	EXPECT_EQ(rec + 1, klog_count(LOG_REC));
	if (builtin) {
		EXPECT_EQ(rec_kernel + 1, klog_count(LOG_REC "the kernel)"));
	} else {
		EXPECT_EQ(rec_kvm + 1, klog_count(LOG_REC "kvm)"));
	}
	ASSERT_EQ(0, vfio_dev_open(&dev, bdf));
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, vfio_dev_irq_set_eventfds(&dev, MSIX, 0, 1, &efd));
	expect_no_decision(_metadata, bdf, "attached, no irqfd");

	/* KVM's irqfd on the vector's eventfd: paired (6.1) or not, no decision. */
	ASSERT_EQ(0, kvm_vm_create(&vm, TEST_GSI, TEST_VECTOR));
	ASSERT_EQ(0, kvm_vm_irqfd(&vm, efd, true));
	expect_no_decision(_metadata, bdf, "with KVM's irqfd");
	ASSERT_EQ(0, kvm_vm_irqfd(&vm, efd, false));
	kvm_vm_destroy(&vm);

	if (builtin) {
		vfio_dev_close(&dev);
		close(efd);
		EXPECT_EQ(0, fp_vf_teardown(bdf));
		EXPECT_EQ(stop_unload + 1, klog_count("vfpost unloading: " LOG_STOP));
		SKIP(return, "KVM is built into this kernel: it cannot come after vfpost or go");
	}

	/* kvm goes with a vector attached, and comes back: detach, attach. */
	ASSERT_EQ(0, cpus_alone(true));
	ASSERT_EQ(0, kvm_unload()) TH_LOG("kvm did not unload");
	EXPECT_EQ(stop + 1, klog_count(LOG_STOP));
	EXPECT_EQ(stop_kvm + 1, klog_count("kvm unloading: " LOG_STOP));
	expect_no_decision(_metadata, bdf, "kvm unloaded");
	ASSERT_EQ(0, lab_sh("modprobe kvm_amd nested=1 npt=1"));
	EXPECT_EQ(rec + 2, klog_count(LOG_REC));
	EXPECT_EQ(rec_kvm + 2, klog_count(LOG_REC "kvm)"));
	expect_no_decision(_metadata, bdf, "kvm loaded again");

	/* vfpost goes while kvm stays. */
	vfio_dev_close(&dev);
	close(efd);
	EXPECT_EQ(0, fp_vf_teardown(bdf));
	EXPECT_EQ(stop + 2, klog_count(LOG_STOP));
	EXPECT_EQ(stop_unload + 1, klog_count("vfpost unloading: " LOG_STOP));

	/* The lab as it was: a held VM, then every CPU. */
	EXPECT_EQ(0, kvm_hold());
	EXPECT_EQ(0, cpus_alone(false));
}

TEST_HARNESS_MAIN
