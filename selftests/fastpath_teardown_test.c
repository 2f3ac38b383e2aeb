// SPDX-License-Identifier: GPL-2.0
/*
 * fastpath_teardown_test: every way a VF on vfpost stops being used leaves
 * nothing behind: the owner killed during an interrupt storm, the VF
 * removed (sriov_numvfs=0) or unbound while open, a device reset while
 * vectors are live.  "Nothing behind" is checked where it shows: no vfpost irq in
 * /proc/interrupts, the VF opens again, the module unloads.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "fastpath.h"
#include "lab.h"
#include "nvme_drv.h"
#include "vfio_dev.h"

LAB_ONLY_SUITE("it removes the lab's VFs while open; not yet on lib/vf_drv.h")

#define MSIX VFIO_PCI_MSIX_IRQ_INDEX

FIXTURE(vf) {
	char bdf[LAB_BDF_LEN];
	pid_t child;
};

FIXTURE_SETUP(vf)
{
	self->child = -1;
	ASSERT_EQ(0, fp_vf_setup(self->bdf));
}

FIXTURE_TEARDOWN(vf)
{
	if (self->child > 0) {
		kill(self->child, SIGKILL);
		waitpid(self->child, NULL, 0);
	}
	EXPECT_EQ(0, fp_vf_teardown(self->bdf));
}

/* Open the VF, vector 0 on @efd, controller enabled. */
static int open_and_start(struct vfio_dev *d, struct nvme_drv *n, const char *bdf,
			  int efd)
{
	return fp_vf_start(d, n, bdf, &efd, 1);
}

TEST_F_TIMEOUT(vf, owner_killed_during_storm_leaves_no_irq_and_vf_reopens, 240)
{
	struct vfpost_vf vf;
	struct vfio_dev d;
	struct nvme_drv n;
	struct vfpost *h;
	long hits = 0;
	uint32_t res;
	int efd, err, i, st;

	self->child = fork();
	ASSERT_LE(0, self->child);
	if (!self->child)
		fp_storm(self->bdf);
	for (i = 0; i < 1200 && hits < 100; i++) {
		usleep(100000);
		hits = fp_host_count(self->bdf, 0);
		ASSERT_NE(self->child, waitpid(self->child, &st, WNOHANG))
			TH_LOG("storm owner died by itself (status 0x%x)", st);
	}
	ASSERT_LE(100, hits) TH_LOG("no interrupt storm: %ld host interrupts", hits);
	h = vfpost_open(&err);
	ASSERT_NE(NULL, h) TH_LOG("%s", vfpost_strerror(err));
	ASSERT_EQ(0, vfpost_vf_get(h, self->bdf, &vf)) TH_LOG("%s", vfpost_errmsg(h));
	EXPECT_EQ((uint32_t)self->child, vf.owner_pid);

	ASSERT_EQ(0, kill(self->child, SIGKILL));
	ASSERT_EQ(self->child, waitpid(self->child, &st, 0));
	self->child = -1;
	ASSERT_TRUE(WIFSIGNALED(st));
	EXPECT_EQ(0, fp_vfpost_irqs()) TH_LOG("vfpost irq left in /proc/interrupts");
	ASSERT_EQ(0, vfpost_vf_get(h, self->bdf, &vf));
	EXPECT_EQ(0u, vf.owner_pid);
	vfpost_close(h);

	/* The VF opens again and its vector works. */
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, open_and_start(&d, &n, self->bdf, efd));
	ASSERT_EQ(0, nvme_drv_get_features(&n, 0x07, &res));
	EXPECT_EQ(1, fp_efd_wait(efd, 1, 5000));
	nvme_drv_fini(&n);
	vfio_dev_close(&d);
	close(efd);
	EXPECT_EQ(0, fp_vfpost_irqs());
}

struct removal_seen {
	const char *bdf;
	pid_t pid;
	int requested;
};

static void on_event(const struct vfpost_event *ev, void *arg)
{
	struct removal_seen *s = arg;

	if (ev->type == VFPOST_EVENT_VF_REMOVE_REQUESTED && !strcmp(ev->bdf, s->bdf) &&
	    ev->pid == (uint32_t)s->pid)
		s->requested = 1;
}

#define SAW_REQ_EVENTFD	1	/* VFIO's request eventfd (vfio_pci_core) */
#define SAW_NL_EVENT	2	/* vfpost's VF_REMOVE_REQUESTED event */

/*
 * The owner: wait until it sees everything in @want (SAW_*), then close the
 * VF and exit with what it saw.  Gives up after 60 s (the close then lets
 * the removal finish, and the test fails on the status).
 */
static void owner(const char *bdf, int ready, int want)
{
	struct removal_seen seen = { .bdf = bdf, .pid = getpid() };
	struct vfpost_events *ev;
	struct vfio_dev d;
	struct nvme_drv n;
	int efd = eventfd(0, EFD_NONBLOCK), req = eventfd(0, EFD_NONBLOCK);
	int err, i, saw = 0;
	uint64_t v;

	ev = vfpost_events_open(on_event, &seen, &err);
	if (!ev || efd < 0 || req < 0 || open_and_start(&d, &n, bdf, efd) ||
	    vfio_dev_irq_set_eventfds(&d, VFIO_PCI_REQ_IRQ_INDEX, 0, 1, &req))
		_exit(64);
	if (write(ready, "r", 1) != 1)
		_exit(64);
	for (i = 0; i < 600 && (saw & want) != want; i++) {
		vfpost_events_wait(ev, 100);
		if (seen.requested)
			saw |= SAW_NL_EVENT;
		if (read(req, &v, sizeof(v)) == sizeof(v))
			saw |= SAW_REQ_EVENTFD;
	}
	vfio_dev_close(&d);	/* mappings go with the process */
	_exit(saw);
}

/* Fork the owner and wait until it has the VF open. */
static pid_t start_owner(const char *bdf, int want)
{
	char c;
	int p[2];
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(p[0]);
		owner(bdf, p[1], want);
	}
	close(p[1]);
	if (pid > 0 && read(p[0], &c, 1) != 1) {
		waitpid(pid, NULL, 0);
		pid = -1;
	}
	close(p[0]);
	return pid;
}

/* Reap the owner: what it saw (SAW_*), or -1 if it did not exit. */
static int reap_owner(pid_t *child)
{
	int st;

	if (waitpid(*child, &st, 0) != *child)
		return -1;
	*child = -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#define SAW_FMT "owner saw 0x%x (1: VFIO request eventfd, 2: vfpost " \
		"VF_REMOVE_REQUESTED event with its pid)"

TEST_F_TIMEOUT(vf, removal_while_open_requests_owner_and_completes, 240)
{
	char path[128];
	struct stat sb;
	int saw;

	self->child = start_owner(self->bdf, SAW_REQ_EVENTFD | SAW_NL_EVENT);
	ASSERT_LT(0, self->child) TH_LOG("owner failed to open the VF");
	/* Blocks in VFIO until the owner has closed the VF. */
	ASSERT_EQ(0, lab_vfs_down());
	saw = reap_owner(&self->child);
	EXPECT_EQ(SAW_REQ_EVENTFD | SAW_NL_EVENT, saw) TH_LOG(SAW_FMT, saw);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", self->bdf);
	EXPECT_NE(0, stat(path, &sb)) TH_LOG("%s still present", path);
	EXPECT_EQ(0, fp_vfpost_irqs());
}

TEST_F_TIMEOUT(vf, unbind_while_open_sends_remove_requested_to_owner, 240)
{
	char drv[32];
	int saw;

	self->child = start_owner(self->bdf, SAW_REQ_EVENTFD | SAW_NL_EVENT);
	ASSERT_LT(0, self->child) TH_LOG("owner failed to open the VF");
	/* Blocks in VFIO until the owner has closed the VF. */
	ASSERT_EQ(0, lab_write_file("/sys/bus/pci/drivers/vfpost/unbind", self->bdf));
	saw = reap_owner(&self->child);
	EXPECT_EQ(SAW_REQ_EVENTFD | SAW_NL_EVENT, saw) TH_LOG(SAW_FMT, saw);
	ASSERT_EQ(0, lab_driver_of(self->bdf, drv, sizeof(drv)));
	EXPECT_STREQ("", drv);
	EXPECT_EQ(0, fp_vfpost_irqs());
}

TEST_F_TIMEOUT(vf, device_reset_keeps_vectors_working, 120)
{
	struct vfio_dev d;
	struct nvme_drv n;
	uint32_t res;
	int efd;

	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, open_and_start(&d, &n, self->bdf, efd));
	ASSERT_EQ(0, nvme_drv_get_features(&n, 0x07, &res));
	ASSERT_EQ(1, fp_efd_wait(efd, 1, 5000));
	ASSERT_TRUE(!!(d.info.flags & VFIO_DEVICE_FLAGS_RESET));
	ASSERT_EQ(0, ioctl(d.fd, VFIO_DEVICE_RESET)) TH_LOG("VFIO_DEVICE_RESET: %m");
	/* The reset cleared the controller and bus mastering, not MSI-X. */
	nvme_drv_fini(&n);
	ASSERT_EQ(0, nvme_drv_init(&n, &d));
	ASSERT_EQ(0, nvme_drv_enable(&n));
	ASSERT_EQ(0, nvme_drv_get_features(&n, 0x07, &res));
	EXPECT_EQ(1, fp_efd_wait(efd, 1, 5000));
	EXPECT_EQ(1, fp_host_count(self->bdf, 0) >= 2);
	nvme_drv_fini(&n);
	vfio_dev_close(&d);
	close(efd);
}

TEST_HARNESS_MAIN
