// SPDX-License-Identifier: GPL-2.0
/*
 * vmm_iommufd_test: vibevmm's iommufd backend (--vfio-backend).
 *
 * Debian's 6.1 has no IOMMUFD: there vibevmm must refuse a forced iommufd
 * with one line, before touching the device.  The debug kernel has IOMMUFD
 * and VFIO_DEVICE_CDEV: there vibevmm, left to choose (auto), must open the
 * VF through /dev/iommu and its cdev /dev/vfio/devices/vfioN (its process
 * holds those, and no /dev/vfio/vfio container), bind it, attach it to the
 * IOAS and DMA-map guest RAM into it, get as far as putting the VF on the
 * guest's bus, and give the VF back when killed (the cdev opens again).
 * The L2 guest then boots Debian's 6.1 kernel and moves data through the
 * VF (DMA through the IOAS), with a deadline.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "lab.h"
#include "vfpost_lab.h"
#include "vmm_run.h"

LAB_ONLY_SUITE("the lab's VFs and kernels")

#define SETUP_TIMEOUT	300	/* s from exec to "assigned as" (debug kernel) */
/*
 * s for the L2 boot, its I/O and its poweroff on the debug kernel (45.5 s
 * to the read-back when measured): well inside the lab boot's 900 s, so
 * that an L2 guest that stalls is killed here, with its log printed, while
 * L1 still runs.
 */
#define IO_TIMEOUT	300

static bool have_iommufd(void)
{
	struct stat st;

	return !stat("/dev/iommu", &st);
}

/* The VF's cdev name ("vfioN") from sysfs; 0 or -ENOENT. */
static int cdev_of(const char *bdf, char *out, size_t len)
{
	char path[128];
	struct dirent *de;
	int ret = -ENOENT;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vfio-dev", bdf);
	d = opendir(path);
	if (!d)
		return -ENOENT;
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, "vfio", 4) && strlen(de->d_name) < len) {
			memcpy(out, de->d_name, strlen(de->d_name) + 1);
			ret = 0;
			break;
		}
	closedir(d);
	return ret;
}

/* Whether process @pid has a file descriptor on @target. */
static bool holds(pid_t pid, const char *target)
{
	return lab_pid_holds(pid, target);
}

FIXTURE(io) {
	char bdf[1][LAB_BDF_LEN];
	struct vmm v;
};

FIXTURE_SETUP(io)
{
	memset(&self->v, 0, sizeof(self->v));
	ASSERT_EQ(0, lab_modprobe("vfio-pci"));
	ASSERT_EQ(0, lab_modprobe("kvm_amd"));
	vfpost_unload();
	ASSERT_EQ(1, lab_vfs_up(1, self->bdf));
	ASSERT_EQ(0, lab_bind(self->bdf[0], "vfio-pci"));
}

FIXTURE_TEARDOWN(io)
{
	vmm_kill(&self->v);
	lab_bind(self->bdf[0], "");
	lab_vfs_down();
}

TEST_F_TIMEOUT(io, forced_iommufd_without_it_is_one_line, 300)
{
	char args[128], *buf;

	if (have_iommufd())
		SKIP(return, "this kernel has IOMMUFD (/dev/iommu)");
	snprintf(args, sizeof(args), "--vfio %s --vfio-backend iommufd", self->bdf[0]);
	ASSERT_EQ(0, vmm_start(&self->v, "iommufd-absent", args));
	ASSERT_EQ(1, vmm_wait(&self->v, 120));
	buf = read_log(&self->v);
	ASSERT_NE(NULL, buf);
	EXPECT_NE(NULL, strstr(buf, "--vfio-backend iommufd: /dev/iommu does not exist: this kernel has no IOMMUFD"))
		TH_LOG("log: %s", buf);
	free(buf);
}

/*
 * auto picks iommufd: device opened through its cdev, bound, attached, RAM
 * mapped into the IOAS, the VF on the guest's bus; given back at kill.
 */
TEST_F_TIMEOUT(io, auto_opens_through_iommufd_and_gives_back, 600)
{
	char args[256], name[32], cdev[64], line[128];
	double t0;
	int fd;

	if (!have_iommufd())
		SKIP(return, "no IOMMUFD in this kernel (/dev/iommu)");
	ASSERT_EQ(0, cdev_of(self->bdf[0], name, sizeof(name)))
		TH_LOG("%s: no vfio-dev directory: kernel without VFIO_DEVICE_CDEV?", self->bdf[0]);
	snprintf(cdev, sizeof(cdev), "/dev/vfio/devices/%s", name);
	snprintf(args, sizeof(args), "--vfio %s", self->bdf[0]);
	t0 = vmm_now();
	ASSERT_EQ(0, vmm_start(&self->v, "iommufd-setup", args));
	snprintf(line, sizeof(line), "%s: assigned as", self->bdf[0]);
	if (!wait_log(&self->v, line, SETUP_TIMEOUT)) {
		dump_log(&self->v);
		ASSERT_TRUE(false) TH_LOG("no '%s' within %d s", line, SETUP_TIMEOUT);
	}
	TH_LOG("exec to the VF on the guest's bus: %.1f s", vmm_now() - t0);
	EXPECT_TRUE(assigned_has(&self->v, self->bdf[0], "DMA through iommufd)"));
	EXPECT_FALSE(log_has(&self->v, "DMA mapping of guest RAM"));
	ASSERT_LT(0, self->v.pid);
	EXPECT_TRUE(holds(self->v.pid, "/dev/iommu"));
	EXPECT_TRUE(holds(self->v.pid, cdev)) TH_LOG("%s not open in vibevmm", cdev);
	EXPECT_FALSE(holds(self->v.pid, "/dev/vfio/vfio"));
	/* while vibevmm has it, the cdev is busy; after the kill it is free */
	vmm_kill(&self->v);
	fd = open(cdev, O_RDWR | O_CLOEXEC);
	EXPECT_LE(0, fd) TH_LOG("%s after vibevmm died: %s", cdev, strerror(errno));
	if (fd >= 0)
		close(fd);
}

/* The L2 guest's nvme moves data through the VF: DMA through the IOAS. */
TEST_F_TIMEOUT(io, guest_io_through_the_ioas, 600)
{
	char args[1024], initrd[512], rel[128];
	const char *kernel = vmm_guest_kernel();
	double t0;
	bool ok;

	if (!have_iommufd())
		SKIP(return, "no IOMMUFD in this kernel (/dev/iommu)");
	ASSERT_NE(NULL, kernel);
	/* the initrd's modules match the L2 kernel, not this one */
	snprintf(rel, sizeof(rel), "%s", strstr(kernel, "vmlinuz-") + strlen("vmlinuz-"));
	/* in /tmp, as the log: off the lab's 9p share (lib/vmm_run.c) */
	snprintf(initrd, sizeof(initrd), "/tmp/vmm_iommufd-initrd.%d.cpio.gz", (int)getpid());
	ASSERT_EQ(0, lab_sh("%s/scripts/mkinitrd-guest --kernel %s --modules nvme "
			    "--script %s/selftests/guest/vfio-guest.sh -o %s >/dev/null",
			    lab_root(), rel, lab_root(), initrd));
	snprintf(args, sizeof(args),
		 "--vfio %s --vfio-backend iommufd --initrd %s --cmdline 'quiet guest.script=vfio-guest.sh vfio.nvme=1 vfio.pause=0'",
		 self->bdf[0], initrd);
	t0 = vmm_now();
	ASSERT_EQ(0, vmm_start(&self->v, "iommufd-io", args));
	EXPECT_EQ(0, vmm_wait(&self->v, IO_TIMEOUT));
	TH_LOG("exec to the guest's poweroff: %.1f s", vmm_now() - t0);
	ok = log_has(&self->v, "VFIO-IO-OK ") && log_has(&self->v, "VFIO-GUEST-OK") &&
	     log_has(&self->v, "GUEST-SCRIPT: exit=0");
	EXPECT_TRUE(ok);
	if (self->v.status || !ok)
		dump_log(&self->v);
	unlink(initrd);
}

TEST_HARNESS_MAIN
