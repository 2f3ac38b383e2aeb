// SPDX-License-Identifier: GPL-2.0
/*
 * vmm_vfio_test: vibevmm passes NVMe VFs through to an L2 Linux guest.
 *
 * Every test that boots a guest runs build/user/vibevmm with Debian's kernel
 * and an initrd from scripts/mkinitrd-guest carrying selftests/guest/
 * vfio-guest.sh, with its output in a log file (never on the lab console:
 * the L2 kernel's own warnings are not the lab's).  The guest's nvme driver
 * must bind and move data.  Once the guest has done its I/O it prints its
 * MSI-X counts and stays idle; the host then reads its own counts for the
 * same vectors (/proc/interrupts for vfio-pci, vfpost's per-vector
 * host-path statistics for vfpost) and they must be equal for the I/O
 * queue vectors.  (The admin vector is not compared: when the guest's nvme
 * driver re-allocates its vectors, the guest's and the host's counters for
 * vector 0 restart at different moments.)  Each run has its own deadline; a
 * hang is a failure with the log's tail printed.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "fastpath.h"
#include "lab.h"
#include "nvme_drv.h"
#include "vfio_dev.h"
#include "libvfpost.h"
#include "vfpost_lab.h"
#include "vmm_run.h"

LAB_ONLY_SUITE("the lab's NVMe VFs, their resource commands and an L2 guest")

#define BOOT_TIMEOUT	600	/* seconds for an L2 boot + test under TCG */
#define GUEST_PAUSE	10	/* s the guest idles after its counts; the host polls at 5 Hz */
#define MAX_VEC		8
#define MAX_DEV		4

/* Build the guest initrd once per test (cheap); returns its path or NULL. */
static const char *guest_initrd(void)
{
	static char path[1024];

	snprintf(path, sizeof(path), "%s/selftests/vmm_vfio-initrd.cpio.gz", vmm_build_dir());
	if (lab_sh("%s/scripts/mkinitrd-guest --modules 'nvme uio_pci_generic' "
		   "--script %s/selftests/guest/vfio-guest.sh -o %s >/dev/null",
		   lab_root(), lab_root(), path))
		return NULL;
	return path;
}

/* Host-side MSI-X counts of @bdf from /proc/interrupts ("...[N](bdf)"). */
static int proc_counts(const char *bdf, long long counts[MAX_VEC])
{
	char line[1024];
	FILE *f = fopen("/proc/interrupts", "r");
	int found = 0;

	memset(counts, 0, sizeof(long long) * MAX_VEC);
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, bdf), *b, *tok, *save = NULL;
		long long sum = 0;
		int vec, first = 1;

		if (!p)
			continue;
		b = strrchr(line, '[');
		if (!b || b > p || sscanf(b, "[%d]", &vec) != 1 || vec < 0 || vec >= MAX_VEC)
			continue;
		for (tok = strtok_r(line, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
			char *end;
			long long n;

			if (first) {	/* "NN:" */
				first = 0;
				continue;
			}
			n = strtoll(tok, &end, 10);
			if (*end)
				break;
			sum += n;
		}
		counts[vec] = sum;
		found++;
	}
	fclose(f);
	return found;
}

/* vfpost's host-path counts of @bdf (what vfpostctl stats shows). */
static int vfpost_counts(const char *bdf, long long counts[MAX_VEC])
{
	struct vfpost_vector vec[MAX_VEC];
	struct vfpost_vf vf;
	struct vfpost *h;
	int err, n, i;

	memset(counts, 0, sizeof(long long) * MAX_VEC);
	h = vfpost_open(&err);
	if (!h)
		return err;
	n = vfpost_vf_stats(h, bdf, &vf, vec, MAX_VEC);
	vfpost_close(h);
	for (i = 0; i < n && i < MAX_VEC; i++)
		if (vec[i].index < MAX_VEC)
			counts[vec[i].index] = vec[i].host_hits;
	return n;
}

struct dev_counts {
	char bdf[LAB_BDF_LEN];		/* host */
	char guest[LAB_BDF_LEN];	/* guest PCI address */
	long long host[MAX_VEC];
	long long guest_cnt[MAX_VEC];
	bool seen[MAX_VEC];
};

static void sample_host(struct dev_counts *d, int nr, bool vfpost)
{
	int i;

	for (i = 0; i < nr; i++) {
		if (vfpost)
			vfpost_counts(d[i].bdf, d[i].host);
		else
			proc_counts(d[i].bdf, d[i].host);
	}
}

/* Fill guest addresses (from "BDF: assigned as 00:SS.0") and guest counts. */
static int parse_guest(const struct vmm *v, struct dev_counts *d, int nr)
{
	char *buf = read_log(v), *line, *save = NULL;
	int i;

	if (!buf)
		return -ENOENT;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char addr[32];
		long long cnt;
		int vec;
		char *p;

		for (i = 0; i < nr; i++) {
			p = strstr(line, d[i].bdf);
			if (p && (p = strstr(p, ": assigned as 00:")))
				snprintf(d[i].guest, sizeof(d[i].guest), "0000:%.7s",
					 p + strlen(": assigned as "));
		}
		p = strstr(line, "VFIO-IRQ ");
		if (!p || sscanf(p, "VFIO-IRQ %31s %d %lld", addr, &vec, &cnt) != 3)
			continue;
		if (vec < 0 || vec >= MAX_VEC)
			continue;
		for (i = 0; i < nr; i++) {
			if (strcmp(addr, d[i].guest))
				continue;
			d[i].guest_cnt[vec] = cnt;
			d[i].seen[vec] = true;
		}
	}
	free(buf);
	return 0;
}

/*
 * Boot a guest with the devices of @d, run the I/O script, sample the host
 * counts at each phase; returns the VMM's exit status (-1: hang).
 */
static int run_io_guest(struct __test_metadata *_metadata, struct vmm *v, const char *name,
			struct dev_counts *d, int nr, const char *extra, const char *guest_args,
			bool vfpost)
{
	char args[1024], cmdline[256];
	const char *initrd = guest_initrd();
	size_t used = 0;
	int i, st;

	if (!initrd) {
		TH_LOG("scripts/mkinitrd-guest failed");
		return -1;
	}
	for (i = 0; i < nr; i++)
		used += snprintf(args + used, sizeof(args) - used, "--vfio %s ", d[i].bdf);
	/*
	 * The lab's VFs are controllers of one NVMe subsystem, each with a
	 * private namespace (scripts/lab-vfs), so each namespace has one
	 * path, through its VF.  The guest idles vfio.pause seconds after
	 * printing its counts, for sample_host().
	 */
	snprintf(cmdline, sizeof(cmdline),
		 "quiet guest.script=vfio-guest.sh vfio.nvme=%d vfio.pause=%d %s",
		 nr, GUEST_PAUSE, guest_args);
	snprintf(args + used, sizeof(args) - used, "--initrd %s --cmdline '%s' %s",
		 initrd, cmdline, extra);
	if (vmm_start(v, name, args))
		return -1;
	if (!wait_log(v, "VFIO-COUNTS", BOOT_TIMEOUT)) {
		TH_LOG("%s: the guest never finished its I/O", name);
		dump_log(v);
		vmm_kill(v);
		return -1;
	}
	sample_host(d, nr, vfpost);
	/* The guest idles GUEST_PAUSE s after its counts: still inside that? */
	if (log_has(v, "VFIO-GUEST-OK")) {
		TH_LOG("%s: the host sampled its counts too late (lab overloaded?)", name);
		vmm_kill(v);
		return -1;
	}
	st = vmm_wait(v, 180);
	if (st || !log_has(v, "VFIO-GUEST-OK"))
		dump_log(v);
	parse_guest(v, d, nr);
	return st;
}

/*
 * Each device moved data (its own namespace) and guest and host agree on
 * every I/O queue vector, which did carry I/O.
 */
static void check_counts(struct __test_metadata *_metadata, const struct vmm *v,
			 struct dev_counts *d, int nr)
{
	int i, vec;

	for (i = 0; i < nr; i++) {
		long long io = 0;

		char ok[64];

		ASSERT_NE('\0', d[i].guest[0]) TH_LOG("%s: no 'assigned as' line", d[i].bdf);
		snprintf(ok, sizeof(ok), "VFIO-IO-OK %s ", d[i].guest);
		EXPECT_TRUE(log_has(v, ok)) TH_LOG("%s (guest %s): no write + read-back through it",
						   d[i].bdf, d[i].guest);
		for (vec = 1; vec < MAX_VEC; vec++) {
			if (!d[i].seen[vec])
				continue;
			TH_LOG("%s (guest %s) vector %d: guest %lld, host %lld", d[i].bdf,
			       d[i].guest, vec, d[i].guest_cnt[vec], d[i].host[vec]);
			EXPECT_EQ(d[i].guest_cnt[vec], d[i].host[vec]);
			io += d[i].guest_cnt[vec];
		}
		/* at least the 16 direct 4 KiB reads, each completed by an interrupt */
		EXPECT_LE(16, io) TH_LOG("%s: only %lld I/O interrupts in the guest", d[i].bdf, io);
	}
}

/* q35's ICH9 functions share one IOMMU group: a group that can be made non-viable */
#define ICH9_SATA	"0000:00:1f.2"
#define ICH9_SMBUS	"0000:00:1f.3"

FIXTURE(vf) {
	char bdf[2][LAB_BDF_LEN];
	struct vmm v;
	bool sata_to_vfio;	/* error_group_not_viable bound ICH9_SATA to vfio-pci */
	bool smbus_probed;	/* ... and ICH9_SMBUS, driverless before, to its driver */
	bool smbus_to_vfio;	/* one_group_two_functions bound ICH9_SMBUS to vfio-pci */
};

FIXTURE_SETUP(vf)
{
	memset(&self->v, 0, sizeof(self->v));
	ASSERT_EQ(0, lab_modprobe("vfio-pci"));
	ASSERT_EQ(0, lab_modprobe("kvm_amd"));
	vfpost_unload();
	ASSERT_EQ(2, lab_vfs_up(2, self->bdf));
}

FIXTURE_TEARDOWN(vf)
{
	char path[128];
	struct stat st;
	int i;

	vmm_kill(&self->v);
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", self->bdf[i]);
		if (!stat(path, &st))	/* gone after the removal test */
			lab_bind(self->bdf[i], "");
	}
	lab_vfs_down();
	vfpost_unload();
	if (self->sata_to_vfio)
		lab_bind(ICH9_SATA, "");
	if (self->smbus_to_vfio)
		lab_bind(ICH9_SMBUS, "");
	if (self->smbus_probed)
		lab_sh("echo %s > /sys/bus/pci/devices/%s/driver/unbind", ICH9_SMBUS, ICH9_SMBUS);
}

static void one_vf_io(struct __test_metadata *_metadata, FIXTURE_DATA(vf) *self,
		      const char *name, const char *path, const char *guest_args)
{
	struct dev_counts d[1] = { 0 };
	char extra[64];

	snprintf(d[0].bdf, sizeof(d[0].bdf), "%s", self->bdf[0]);
	ASSERT_EQ(0, lab_bind(self->bdf[0], "vfio-pci"));
	snprintf(extra, sizeof(extra), "--irq-path %s", path);
	ASSERT_EQ(0, run_io_guest(_metadata, &self->v, name, d, 1, extra, guest_args, false));
	ASSERT_TRUE(log_has(&self->v, "VFIO-GUEST-OK"));
	ASSERT_TRUE(log_has(&self->v, "GUEST-SCRIPT: exit=0"));
	check_counts(_metadata, &self->v, d, 1);
}

/*
 * Plain vfio-pci, a VMM thread relays every interrupt with KVM_SIGNAL_MSI.
 * Before its I/O the guest checks the capabilities it sees (MSI-X, PCI
 * Express as an integrated endpoint offering FLR, PM in D0 with soft
 * reset) and resets the VF by FLR: the I/O and the MSI-X counts after it
 * show the controller and its vectors back.
 */
TEST_F_TIMEOUT(vf, relay_path, 900)
{
	one_vf_io(_metadata, self, "relay", "relay", "vfio.flr=1");
	EXPECT_TRUE(assigned_has(&self->v, self->bdf[0], "irq path relay,"));
	ASSERT_TRUE(log_has(&self->v, "VFIO-CAPS "));
	EXPECT_TRUE(log_has(&self->v, " msix")) TH_LOG("no MSI-X capability in the guest");
	EXPECT_TRUE(log_has(&self->v, " pcie-type=9 flr=1"))
		TH_LOG("no PCIe integrated endpoint with FLR in the guest");
	EXPECT_TRUE(log_has(&self->v, " pm=D0 no-soft-reset=0")) TH_LOG("no PM capability");
	EXPECT_TRUE(log_has(&self->v, "VFIO-FLR-OK ")) TH_LOG("the guest's FLR did not bring it back");
}

/* vfpost loaded, VF unbound: vibevmm claims it, uses vfpost, releases it. */
TEST_F_TIMEOUT(vf, vfpost_claim_and_path, 900)
{
	struct dev_counts d[1] = { 0 };
	char drv[64];

	ASSERT_TRUE(vfpost_loaded() || !vfpost_load()) TH_LOG("vfpost.ko did not load");
	snprintf(d[0].bdf, sizeof(d[0].bdf), "%s", self->bdf[0]);
	ASSERT_EQ(0, lab_driver_of(self->bdf[0], drv, sizeof(drv)));
	ASSERT_STREQ("", drv);
	ASSERT_EQ(0, run_io_guest(_metadata, &self->v, "vfpost", d, 1, "", "", true));
	ASSERT_TRUE(log_has(&self->v, "VFIO-GUEST-OK"));
	EXPECT_TRUE(log_has(&self->v, "claimed through vfpost"));
	EXPECT_TRUE(assigned_has(&self->v, d[0].bdf, "irq path vfpost,"));
	check_counts(_metadata, &self->v, d, 1);
	/* released at exit: back to no driver */
	ASSERT_EQ(0, lab_driver_of(self->bdf[0], drv, sizeof(drv)));
	EXPECT_STREQ("", drv);
}

/*
 * Plain vfio-pci, MSI-X through KVM irqfds, with two VFs and the (non-VF)
 * edu device in one guest: each VF moves data through its own namespace and
 * interrupts; edu's INTx (irqfd with a resample eventfd) reaches the
 * guest's uio_pci_generic on every raise, and stops after the ack.
 */
TEST_F_TIMEOUT(vf, vfio_path_two_vfs_and_edu, 900)
{
	struct dev_counts d[2] = { 0 };
	int i;

	for (i = 0; i < 2; i++) {
		snprintf(d[i].bdf, sizeof(d[i].bdf), "%s", self->bdf[i]);
		ASSERT_EQ(0, lab_bind(self->bdf[i], "vfio-pci"));
	}
	ASSERT_EQ(0, lab_bind("0000:00:04.0", "vfio-pci"));
	ASSERT_EQ(0, run_io_guest(_metadata, &self->v, "two", d, 2,
				  "--vfio 0000:00:04.0 --irq-path vfio", "vfio.edu=1", false));
	lab_bind("0000:00:04.0", "");
	ASSERT_TRUE(log_has(&self->v, "VFIO-GUEST-OK"));
	for (i = 0; i < 2; i++)
		EXPECT_TRUE(assigned_has(&self->v, d[i].bdf, "irq path vfio,"))
			TH_LOG("%s not assigned with the vfio irq path", d[i].bdf);
	EXPECT_TRUE(log_has(&self->v, "VFIO-GUEST: edu at"));
	/* edu raised INTx 3 times; each woke the guest's uio reader */
	EXPECT_TRUE(log_has(&self->v, "VFIO-EDU-INTX ok: 3 interrupts"));
	EXPECT_TRUE(log_has(&self->v, "0000:00:04.0: assigned as"));
	check_counts(_metadata, &self->v, d, 2);
}

/* The host removes the VF while the guest runs: detach, keep running. */
TEST_F_TIMEOUT(vf, removal_mid_run_is_survived, 900)
{
	const char *initrd = guest_initrd();
	char args[1024], path[128];
	struct stat st;
	pid_t remover;
	int status, last = 0, i;
	char *buf, *p;

	ASSERT_NE(NULL, initrd);
	ASSERT_EQ(0, lab_bind(self->bdf[0], "vfio-pci"));
	snprintf(args, sizeof(args),
		 "--vfio %s --initrd %s --cmdline 'quiet guest.script=vfio-guest.sh vfio.nvme=1 vfio.pause=0 vfio.alive=40'",
		 self->bdf[0], initrd);
	ASSERT_EQ(0, vmm_start(&self->v, "removal", args));
	if (!wait_log(&self->v, "VFIO-ALIVE 1", BOOT_TIMEOUT)) {
		dump_log(&self->v);
		ASSERT_TRUE(false) TH_LOG("the guest never came up with the VF");
	}
	/* Disabling SR-IOV blocks until vibevmm lets the VF go. */
	remover = fork();
	ASSERT_LE(0, remover);
	if (remover == 0)
		_exit(lab_write_file(LAB_PF_SYS "/sriov_numvfs", "0") ? 1 : 0);
	if (!wait_log(&self->v, "removal requested", 120)) {
		dump_log(&self->v);
		kill(remover, SIGKILL);
		waitpid(remover, NULL, 0);
		ASSERT_TRUE(false) TH_LOG("vibevmm never saw the removal request");
	}
	for (i = 0; i < 600 && waitpid(remover, &status, WNOHANG) == 0; i++)
		usleep(200000);
	ASSERT_GT(600, i) TH_LOG("sriov_numvfs=0 still blocked: the VF was not released");
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", self->bdf[0]);
	EXPECT_NE(0, stat(path, &st)) TH_LOG("%s still exists", path);

	/* the guest keeps going after the detach */
	buf = read_log(&self->v);
	ASSERT_NE(NULL, buf);
	for (p = buf; (p = strstr(p, "VFIO-ALIVE ")); p++)
		last = atoi(p + strlen("VFIO-ALIVE "));
	free(buf);
	snprintf(path, sizeof(path), "VFIO-ALIVE %d", last + 3);
	EXPECT_TRUE(wait_log(&self->v, path, 120)) TH_LOG("the guest stopped after the removal");
	EXPECT_EQ(0, vmm_wait(&self->v, 300));
	if (self->v.status)
		dump_log(&self->v);
	EXPECT_TRUE(log_has(&self->v, "device detached and closed, the VM keeps running"));
}

/* ---- user errors: one line naming the device, exit status 1 ---- */

static void expect_error(struct __test_metadata *_metadata, struct vmm *v, const char *name,
			 const char *args, const char *msg)
{
	char *buf;

	ASSERT_EQ(0, vmm_start(v, name, args));
	ASSERT_EQ(1, vmm_wait(v, 120));
	buf = read_log(v);
	ASSERT_NE(NULL, buf);
	EXPECT_NE(NULL, strstr(buf, msg)) TH_LOG("log: %s", buf);
	free(buf);
}

TEST_F_TIMEOUT(vf, error_no_such_device, 300)
{
	expect_error(_metadata, &self->v, "nodev", "--vfio 0000:00:1f.6",
		     "vibevmm: 0000:00:1f.6: no such PCI device");
}

TEST_F_TIMEOUT(vf, error_not_vfio_and_no_vfpost, 300)
{
	char args[128], msg[160];

	snprintf(args, sizeof(args), "--vfio %s", self->bdf[0]);
	snprintf(msg, sizeof(msg),
		 "%s: not bound to a VFIO driver and vfpost is not loaded", self->bdf[0]);
	expect_error(_metadata, &self->v, "unbound", args, msg);
}

TEST_F_TIMEOUT(vf, error_vfpost_path_needs_vfpost, 300)
{
	char args[128], msg[160];

	ASSERT_EQ(0, lab_bind(self->bdf[0], "vfio-pci"));
	snprintf(args, sizeof(args), "--vfio %s --irq-path vfpost", self->bdf[0]);
	snprintf(msg, sizeof(msg), "%s: is bound to vfio-pci, but --irq-path vfpost needs the vfpost driver",
		 self->bdf[0]);
	expect_error(_metadata, &self->v, "path", args, msg);
}

/*
 * The device is bound to vfio-pci but another device of its IOMMU group is
 * bound to a host driver: the error names the group and the offender.
 */
TEST_F_TIMEOUT(vf, error_group_not_viable, 300)
{
	int group = lab_iommu_group(ICH9_SATA);
	char drv[64], args[128], msg[256];

	if (group < 0 || group != lab_iommu_group(ICH9_SMBUS))
		SKIP(return, "%s and %s are not in one IOMMU group on this machine",
		     ICH9_SATA, ICH9_SMBUS);
	ASSERT_EQ(0, lab_driver_of(ICH9_SMBUS, drv, sizeof(drv)));
	if (!drv[0]) {
		ASSERT_EQ(0, lab_modprobe("i2c_i801"));
		ASSERT_EQ(0, lab_driver_of(ICH9_SMBUS, drv, sizeof(drv)));
		ASSERT_STRNE("", drv) TH_LOG("i2c_i801 did not bind %s", ICH9_SMBUS);
		self->smbus_probed = true;
	}
	ASSERT_EQ(0, lab_bind(ICH9_SATA, "vfio-pci"));
	self->sata_to_vfio = true;
	snprintf(args, sizeof(args), "--vfio %s", ICH9_SATA);
	snprintf(msg, sizeof(msg),
		 "%s: IOMMU group %d is not viable: %s (%s) not bound to VFIO; bind every device of /sys/kernel/iommu_groups/%d/devices to vfio-pci or unbind it",
		 ICH9_SATA, group, ICH9_SMBUS, drv, group);
	expect_error(_metadata, &self->v, "viable", args, msg);
}

/* "vvvv:dddd" of @bdf from sysfs. */
static int pci_id(const char *bdf, char *out, size_t len)
{
	char path[128], ven[8], dev[8];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor", bdf);
	if (lab_read_file(path, ven, sizeof(ven)))
		return -ENOENT;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device", bdf);
	if (lab_read_file(path, dev, sizeof(dev)))
		return -ENOENT;
	ven[strcspn(ven, "\n")] = dev[strcspn(dev, "\n")] = '\0';
	snprintf(out, len, "%s:%s", ven + 2, dev + 2);
	return 0;
}

/*
 * Both functions of one IOMMU group (q35's ICH9 SATA and SMBus) in one
 * guest: the group is opened once, both devices share the VM's container,
 * and the guest finds both on its bus.
 */
TEST_F_TIMEOUT(vf, one_group_two_functions, 900)
{
	int group = lab_iommu_group(ICH9_SATA);
	const char *initrd = guest_initrd();
	char sata[32], smbus[32], args[1024], seen[64];

	ASSERT_NE(NULL, initrd);
	if (group < 0 || group != lab_iommu_group(ICH9_SMBUS))
		SKIP(return, "%s and %s are not in one IOMMU group on this machine",
		     ICH9_SATA, ICH9_SMBUS);
	ASSERT_EQ(0, pci_id(ICH9_SATA, sata, sizeof(sata)));
	ASSERT_EQ(0, pci_id(ICH9_SMBUS, smbus, sizeof(smbus)));
	ASSERT_EQ(0, lab_bind(ICH9_SATA, "vfio-pci"));
	self->sata_to_vfio = true;
	ASSERT_EQ(0, lab_bind(ICH9_SMBUS, "vfio-pci"));
	self->smbus_to_vfio = true;
	snprintf(args, sizeof(args),
		 "--vfio %s --vfio %s --initrd %s --cmdline 'quiet guest.script=vfio-guest.sh vfio.ids=%s,%s vfio.pause=0'",
		 ICH9_SATA, ICH9_SMBUS, initrd, sata, smbus);
	ASSERT_EQ(0, vmm_start(&self->v, "group", args));
	EXPECT_EQ(0, vmm_wait(&self->v, BOOT_TIMEOUT));
	if (self->v.status || !log_has(&self->v, "VFIO-GUEST-OK"))
		dump_log(&self->v);
	EXPECT_TRUE(log_has(&self->v, "VFIO-GUEST-OK"));
	EXPECT_TRUE(log_has(&self->v, ICH9_SATA ": assigned as"));
	EXPECT_TRUE(log_has(&self->v, ICH9_SMBUS ": assigned as"));
	snprintf(seen, sizeof(seen), "VFIO-SEEN %s at", sata);
	EXPECT_TRUE(log_has(&self->v, seen));
	snprintf(seen, sizeof(seen), "VFIO-SEEN %s at", smbus);
	EXPECT_TRUE(log_has(&self->v, seen));
}

/* ---- clean on every exit (issue 13, section 2) ---- */

#define PCI_COMMAND_MASTER	0x4

/*
 * Nothing of @bdf is left behind by a vibevmm that is gone: no claim (back
 * to no driver), no owner, no vfpost vector; and the VF works: bound to
 * vfpost, opened, an admin command raises vector 0.
 */
static void expect_vf_clean(struct __test_metadata *_metadata, const char *bdf)
{
	struct vfpost_vf vf;
	struct vfio_dev d;
	struct nvme_drv n;
	struct vfpost *h;
	char drv[64] = "?";
	uint32_t res;
	int err, efd, i;

	for (i = 0; i < 100; i++) {
		if (!lab_driver_of(bdf, drv, sizeof(drv)) && !drv[0])
			break;
		usleep(100000);
	}
	EXPECT_STREQ("", drv) TH_LOG("%s still bound to %s: the claim was not released", bdf, drv);
	EXPECT_EQ(0, fp_vfpost_irqs()) TH_LOG("vfpost irq left in /proc/interrupts");
	h = vfpost_open(&err);
	ASSERT_NE(NULL, h) TH_LOG("%s", vfpost_strerror(err));
	ASSERT_EQ(0, vfpost_vf_get(h, bdf, &vf)) TH_LOG("%s", vfpost_errmsg(h));
	EXPECT_EQ(0u, vf.owner_pid);
	EXPECT_FALSE(vf.claimed);
	vfpost_close(h);

	ASSERT_EQ(0, lab_bind(bdf, "vfpost"));
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, fp_vf_start(&d, &n, bdf, &efd, 1)) TH_LOG("%s does not open again", bdf);
	EXPECT_EQ(0, nvme_drv_get_features(&n, 0x07, &res));
	EXPECT_EQ(1, fp_efd_wait(efd, 1, 5000)) TH_LOG("%s: no interrupt after reopening", bdf);
	nvme_drv_fini(&n);
	vfio_dev_close(&d);
	close(efd);
	EXPECT_EQ(0, fp_vfpost_irqs());
	lab_bind(bdf, "");
}

/* vfpost loaded, @bdf unbound: vibevmm will claim it. */
static void claimable(struct __test_metadata *_metadata, const char *bdf)
{
	char drv[64];

	ASSERT_TRUE(vfpost_loaded() || !vfpost_load()) TH_LOG("vfpost.ko did not load");
	ASSERT_EQ(0, lab_driver_of(bdf, drv, sizeof(drv)));
	ASSERT_STREQ("", drv);
}

/*
 * A command line that cannot boot touches no device: with the VF free for
 * vfpost to claim and with the VF bound to vfio-pci, a bad kernel, a
 * missing initrd, a --mem that is not a page multiple and a second --vfio
 * device that does not exist each fail with their one line, and the VF was
 * never claimed nor opened (opening and closing a VFIO device resets it and
 * clears its bus mastering, which this test sets beforehand).
 */
TEST_F_TIMEOUT(vf, bad_input_touches_no_device, 300)
{
	static const struct {
		const char *args, *msg;
		int status;
	} cases[] = {
		{ "--kernel /proc/self/status", "--kernel '/proc/self/status'", 1 },
		{ "--initrd /nonexistent.cpio", "--initrd '/nonexistent.cpio': No such file or directory", 1 },
		{ "--mem 100001K", "--mem '100001K': not a multiple of the 4K page size", 2 },
		/* a second device that cannot be assigned: the first is not taken */
		{ "--vfio 0000:00:1f.6", "vibevmm: 0000:00:1f.6: no such PCI device", 1 },
	};
	char args[256], name[32];
	unsigned int i, bound;
	uint16_t cmd;
	char *buf;

	claimable(_metadata, self->bdf[0]);
	for (bound = 0; bound < 2; bound++) {
		if (bound)
			ASSERT_EQ(0, lab_bind(self->bdf[0], "vfio-pci"));
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			ASSERT_EQ(0, lab_command(self->bdf[0], &cmd, false));
			cmd |= PCI_COMMAND_MASTER;
			ASSERT_EQ(0, lab_command(self->bdf[0], &cmd, true));
			snprintf(args, sizeof(args), "--log 4 --vfio %s %s", self->bdf[0],
				 cases[i].args);
			snprintf(name, sizeof(name), "badinput-%u-%u", bound, i);
			ASSERT_EQ(0, vmm_start(&self->v, name, args));
			EXPECT_EQ(cases[i].status, vmm_wait(&self->v, 120));
			buf = read_log(&self->v);
			ASSERT_NE(NULL, buf);
			EXPECT_NE(NULL, strstr(buf, cases[i].msg)) TH_LOG("log: %s", buf);
			EXPECT_EQ(NULL, strstr(buf, "claimed through vfpost")) TH_LOG("log: %s", buf);
			EXPECT_EQ(NULL, strstr(buf, "reset at")) TH_LOG("log: %s", buf);
			free(buf);
			ASSERT_EQ(0, lab_command(self->bdf[0], &cmd, false));
			EXPECT_TRUE(cmd & PCI_COMMAND_MASTER)
				TH_LOG("%s: bus mastering cleared: the VF was opened (%s)",
				       self->bdf[0], cases[i].args);
		}
	}
	ASSERT_EQ(0, lab_bind(self->bdf[0], ""));
	cmd &= ~PCI_COMMAND_MASTER;
	lab_command(self->bdf[0], &cmd, true);
	expect_vf_clean(_metadata, self->bdf[0]);
}

/* Start a guest that holds the claimed VF with its vectors live. */
static void start_alive_guest(struct __test_metadata *_metadata, FIXTURE_DATA(vf) *self,
			      const char *name, const char *out)
{
	const char *initrd = guest_initrd();
	char args[1024];

	ASSERT_NE(NULL, initrd);
	snprintf(args, sizeof(args),
		 "--vfio %s --initrd %s --cmdline 'quiet guest.script=vfio-guest.sh vfio.nvme=1 vfio.pause=0 vfio.alive=300'",
		 self->bdf[0], initrd);
	ASSERT_EQ(0, vmm_start_out(&self->v, name, args, out));
}

static void wait_alive(struct __test_metadata *_metadata, FIXTURE_DATA(vf) *self)
{
	if (!wait_log(&self->v, "VFIO-ALIVE 1", BOOT_TIMEOUT)) {
		dump_log(&self->v);
		ASSERT_TRUE(false) TH_LOG("the guest never came up with the VF");
	}
}

/* SIGKILL: no teardown at all; the kernel gives the VF back. */
TEST_F_TIMEOUT(vf, killed_vmm_gives_the_vf_back, 900)
{
	claimable(_metadata, self->bdf[0]);
	start_alive_guest(_metadata, self, "sigkill", NULL);
	wait_alive(_metadata, self);
	EXPECT_TRUE(log_has(&self->v, "claimed through vfpost"));
	EXPECT_LT(0, fp_vfpost_irqs()) TH_LOG("the guest's vectors are not on vfpost");
	ASSERT_EQ(0, kill(self->v.pid, SIGKILL));
	EXPECT_EQ(128 + SIGKILL, vmm_wait(&self->v, 60));
	expect_vf_clean(_metadata, self->bdf[0]);
}

/*
 * SIGTERM while RAM is being pinned (1 GiB: seconds under TCG): the signal
 * waits for the step to finish, then vibevmm undoes the setup and exits
 * 128 + SIGTERM.
 */
TEST_F_TIMEOUT(vf, sigterm_while_pinning_ram, 300)
{
	char args[256];

	claimable(_metadata, self->bdf[0]);
	snprintf(args, sizeof(args), "--mem 1G --vfio %s", self->bdf[0]);
	ASSERT_EQ(0, vmm_start(&self->v, "sigpin", args));
	ASSERT_TRUE(wait_log(&self->v, "claimed through vfpost", 120)) dump_log(&self->v);
	ASSERT_EQ(0, kill(self->v.pid, SIGTERM));
	EXPECT_EQ(128 + SIGTERM, vmm_wait(&self->v, 120));
	EXPECT_TRUE(log_has(&self->v, "Terminated received during setup; undoing it"))
		dump_log(&self->v);
	EXPECT_FALSE(log_has(&self->v, "GUEST"));
	expect_vf_clean(_metadata, self->bdf[0]);
}

/*
 * SIGTERM, then a stream of SIGINT/SIGTERM/SIGHUP through the teardown (the
 * device reset at exit, the claim release): vibevmm exits by itself with
 * 128 + the first stop signal it took (SIGINT may overtake SIGTERM on a busy
 * lab: pending signals are taken lowest first), never killed by one.
 */
TEST_F_TIMEOUT(vf, signals_during_teardown_change_nothing, 900)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	unsigned int i;
	int st = -1;

	claimable(_metadata, self->bdf[0]);
	start_alive_guest(_metadata, self, "sigteardown", NULL);
	wait_alive(_metadata, self);
	ASSERT_EQ(0, kill(self->v.pid, SIGTERM));
	for (i = 0; i < 20000; i++) {
		if (waitpid(self->v.pid, &st, WNOHANG) == self->v.pid) {
			self->v.pid = 0;
			break;
		}
		kill(self->v.pid, sigs[i % 3]);
		usleep(2000);
	}
	ASSERT_EQ(0, self->v.pid) TH_LOG("vibevmm did not stop within %u signals", i);
	ASSERT_TRUE(WIFEXITED(st)) TH_LOG("killed by signal %d mid-teardown", WTERMSIG(st));
	st = WEXITSTATUS(st) - 128;
	EXPECT_TRUE(st == SIGTERM || st == SIGINT || st == SIGHUP) TH_LOG("exit status %d", st + 128);
	EXPECT_TRUE(log_has(&self->v, " received; stopping the VM"));
	expect_vf_clean(_metadata, self->bdf[0]);
}

/*
 * stdout is a pipe nobody reads any more (full): the vCPU waits for room,
 * and SIGTERM still stops the VM and tears it down.
 */
TEST_F_TIMEOUT(vf, blocked_stdout_does_not_block_sigterm, 900)
{
	char fifo[64], buf[4096], seen[8192] = "";
	struct pollfd p;
	size_t used = 0;
	double end;
	int fd;

	claimable(_metadata, self->bdf[0]);
	/* in the lab's own /tmp: the project's 9p mount has no FIFOs */
	snprintf(fifo, sizeof(fifo), "/tmp/vmm_vfio-stdout.fifo");
	unlink(fifo);
	ASSERT_EQ(0, mkfifo(fifo, 0600));
	fd = open(fifo, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_LT(0, fcntl(fd, F_SETPIPE_SZ, 4096));
	start_alive_guest(_metadata, self, "sigstdout", fifo);
	/* read the console until the guest holds the VF */
	for (end = vmm_now() + BOOT_TIMEOUT; vmm_now() < end && !strstr(seen, "VFIO-ALIVE 1");) {
		ssize_t n;

		p.fd = fd;
		p.events = POLLIN;
		if (poll(&p, 1, 1000) <= 0)
			continue;
		n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			continue;
		if (used + n >= sizeof(seen)) {	/* keep the tail */
			memmove(seen, seen + used / 2, used - used / 2);
			used -= used / 2;
		}
		memcpy(seen + used, buf, n);
		used += n;
		seen[used] = '\0';
		for (size_t k = 0; k < used; k++)
			if (!seen[k])
				seen[k] = ' ';
	}
	ASSERT_NE(NULL, strstr(seen, "VFIO-ALIVE 1")) dump_log(&self->v);
	/* fill the pipe ourselves: the next console byte has no room */
	memset(buf, '.', sizeof(buf));
	while (write(fd, buf, sizeof(buf)) > 0)
		;
	sleep(3);
	ASSERT_EQ(0, waitpid(self->v.pid, NULL, WNOHANG));
	ASSERT_EQ(0, kill(self->v.pid, SIGTERM));
	EXPECT_EQ(128 + SIGTERM, vmm_wait(&self->v, 60));
	close(fd);
	unlink(fifo);
	expect_vf_clean(_metadata, self->bdf[0]);
}

TEST_HARNESS_MAIN
