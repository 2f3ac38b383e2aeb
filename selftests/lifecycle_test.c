// SPDX-License-Identifier: GPL-2.0
/*
 * lifecycle_test: vfpost's VF lifecycle tracker and netlink family, seen
 * from userspace through libvfpost.
 *
 * Every test loads vfpost.ko itself and unloads it at the end, with the
 * lab PF's VFs set up from scratch.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>

#include "kselftest_harness.h"
#include "lab.h"
#include "libvfpost.h"
#include "vfio_dev.h"
#include "vfpost_lab.h"

#define PF_SYS "/sys/bus/pci/devices/" LAB_PF_BDF
#define EV_TIMEOUT_MS 10000

FIXTURE(mod) {
	struct vfpost *h;
	struct recorder rec;
	char vf[LAB_MAX_VFS][VFPOST_BDF_LEN];
};

FIXTURE_SETUP(mod)
{
	int i, err;

	for (i = 0; i < LAB_MAX_VFS; i++)
		lab_vf_bdf(i, self->vf[i]);
	ASSERT_EQ(0, lab_set_numvfs(0));
	ASSERT_EQ(0, vfpost_load());
	self->h = vfpost_open(&err);
	ASSERT_NE(NULL, self->h) TH_LOG("%s", vfpost_strerror(err));
	ASSERT_EQ(0, recorder_open(&self->rec));
}

FIXTURE_TEARDOWN(mod)
{
	char path[128];
	int i;

	if (self->rec.ev)
		recorder_close(&self->rec);
	vfpost_close(self->h);
	for (i = 0; i < LAB_MAX_VFS; i++) {
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s",
			 self->vf[i]);
		if (!access(path, F_OK))
			lab_bind(self->vf[i], "");
	}
	EXPECT_EQ(0, vfpost_unload());
	EXPECT_EQ(0, lab_set_numvfs(0));
}

/* Events from @from on are contiguous in sequence. */
static void expect_contiguous(struct __test_metadata *_metadata,
			      const struct recorder *r, int from)
{
	int i;

	for (i = from + 1; i < r->n; i++) {
		EXPECT_EQ(r->e[i - 1].seq + 1, r->e[i].seq)
			TH_LOG("event %d (%s) seq %llu after seq %llu", i,
			       vfpost_event_name(r->e[i].type),
			       (unsigned long long)r->e[i].seq,
			       (unsigned long long)r->e[i - 1].seq);
		EXPECT_LE(r->e[i - 1].timestamp_ns, r->e[i].timestamp_ns);
	}
}

/*
 * Change numvfs from its current value @from to @to and check the events:
 * one VF event per VF (added or removed, in any order), then exactly one
 * numvfs event carrying @to.
 */
static void numvfs_step(struct __test_metadata *_metadata,
			FIXTURE_DATA(mod) *self, int from, int to)
{
	int type = to > from ? VFPOST_EVENT_VF_ADDED : VFPOST_EVENT_VF_REMOVED;
	int nvf = to > from ? to - from : from - to;
	int start = self->rec.n, i, j;
	bool seen[LAB_MAX_VFS] = { false };
	const struct vfpost_event *e;

	ASSERT_EQ(0, lab_set_numvfs(to));
	ASSERT_EQ(start + nvf + 1,
		  recorder_wait(&self->rec, start + nvf + 1, EV_TIMEOUT_MS))
		TH_LOG("numvfs %d -> %d: %d events", from, to,
		       self->rec.n - start);
	for (i = start; i < start + nvf; i++) {
		e = &self->rec.e[i];
		ASSERT_EQ(type, e->type) TH_LOG("event %d is %s", i,
						 vfpost_event_name(e->type));
		ASSERT_STREQ(LAB_PF_BDF, e->pf_bdf);
		for (j = 0; j < LAB_MAX_VFS; j++)
			if (!strcmp(e->bdf, self->vf[j]))
				break;
		ASSERT_LT(j, LAB_MAX_VFS) TH_LOG("unexpected VF %s", e->bdf);
		ASSERT_EQ((unsigned int)j, e->vf_index);
		ASSERT_FALSE(seen[j]) TH_LOG("%s twice", e->bdf);
		seen[j] = true;
		ASSERT_TRUE(j < (to > from ? to : from) &&
			    j >= (to > from ? from : to));
	}
	e = &self->rec.e[start + nvf];
	ASSERT_EQ(VFPOST_EVENT_PF_NUMVFS, e->type)
		TH_LOG("last event is %s", vfpost_event_name(e->type));
	ASSERT_STREQ("", e->bdf);
	ASSERT_STREQ(LAB_PF_BDF, e->pf_bdf);
	ASSERT_EQ((unsigned int)to, e->num_vfs);
}

TEST_F_TIMEOUT(mod, numvfs_events_in_order_with_contiguous_seq, 90)
{
	numvfs_step(_metadata, self, 0, 3);
	numvfs_step(_metadata, self, 3, 0);
	numvfs_step(_metadata, self, 0, 2);
	numvfs_step(_metadata, self, 2, 0);
	ASSERT_EQ(14, self->rec.n);
	expect_contiguous(_metadata, &self->rec, 0);
	/* Nothing else trickles in afterwards. */
	ASSERT_EQ(14, recorder_wait(&self->rec, 15, 500));
}

/* Basename of the symlink @dir/@name into @out ("" if absent). */
static void link_base(const char *dir, const char *name, char *out,
		      size_t len)
{
	char path[512], target[512];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0) {
		out[0] = '\0';
		return;
	}
	target[n] = '\0';
	snprintf(out, len, "%s", basename(target));
}

struct dump {
	struct vfpost_vf vf[16];
	int n;
};

static int dump_one(const struct vfpost_vf *vf, void *arg)
{
	struct dump *d = arg;

	if (d->n < 16)
		d->vf[d->n] = *vf;
	d->n++;
	return 0;
}

TEST_F(mod, dump_matches_sysfs)
{
	char dir[256], name[300], bdf[64], s[64];
	struct dump d = { .n = 0 };
	long numvfs, val;
	int i, j;

	ASSERT_EQ(0, lab_set_numvfs(3));
	ASSERT_EQ(0, lab_bind(self->vf[1], "vfio-pci"));
	ASSERT_EQ(0, vfpost_vf_list(self->h, NULL, dump_one, &d))
		TH_LOG("%s", vfpost_errmsg(self->h));
	ASSERT_EQ(0, lab_read_long(PF_SYS "/sriov_numvfs", &numvfs));
	ASSERT_EQ(numvfs, d.n);

	for (i = 0; i < numvfs; i++) {
		snprintf(name, sizeof(name), "virtfn%d", i);
		link_base(PF_SYS, name, bdf, sizeof(bdf));
		ASSERT_NE(0, bdf[0]) TH_LOG("no %s link", name);
		for (j = 0; j < d.n; j++)
			if (!strcmp(d.vf[j].bdf, bdf))
				break;
		ASSERT_LT(j, d.n) TH_LOG("%s (%s) missing from the dump",
					 bdf, name);
		ASSERT_EQ((unsigned int)i, d.vf[j].vf_index);

		snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s", bdf);
		link_base(dir, "physfn", s, sizeof(s));
		ASSERT_STREQ(s, d.vf[j].pf_bdf);
		link_base(dir, "driver", s, sizeof(s));
		ASSERT_STREQ(s, d.vf[j].driver);
		ASSERT_EQ(s[0] ? VFPOST_VF_BOUND : VFPOST_VF_UNBOUND,
			  (int)d.vf[j].state);
		link_base(dir, "iommu_group", s, sizeof(s));
		ASSERT_EQ(s[0] ? atoi(s) : -1, d.vf[j].iommu_group);
		snprintf(name, sizeof(name), "%s/vendor", dir);
		ASSERT_EQ(0, lab_read_long(name, &val));
		ASSERT_EQ(val, d.vf[j].vendor);
		snprintf(name, sizeof(name), "%s/device", dir);
		ASSERT_EQ(0, lab_read_long(name, &val));
		ASSERT_EQ(val, d.vf[j].device);
		ASSERT_FALSE(d.vf[j].claimed);
		ASSERT_EQ(0u, d.vf[j].owner_pid);
	}
	ASSERT_STREQ("vfio-pci", d.vf[1].driver);

	/* Filtered by PF: the same VFs; by a PF without VFs: none. */
	d.n = 0;
	ASSERT_EQ(0, vfpost_vf_list(self->h, LAB_PF_BDF, dump_one, &d));
	ASSERT_EQ(numvfs, d.n);
	d.n = 0;
	ASSERT_EQ(0, vfpost_vf_list(self->h, "0000:00:04.0", dump_one, &d));
	ASSERT_EQ(0, d.n);
}

TEST_F(mod, get_errors_carry_extack)
{
	struct vfpost_vf vf;

	ASSERT_EQ(0, lab_set_numvfs(1));
	ASSERT_EQ(0, vfpost_vf_get(self->h, self->vf[0], &vf));
	ASSERT_STREQ(self->vf[0], vf.bdf);

	ASSERT_EQ(-ENODEV, vfpost_vf_get(self->h, "0000:00:03.4", &vf));
	ASSERT_NE(NULL, strstr(vfpost_errmsg(self->h),
			       "no SR-IOV VF at this address"))
		TH_LOG("got '%s'", vfpost_errmsg(self->h));
	/* The PF itself is not a VF. */
	ASSERT_EQ(-ENODEV, vfpost_vf_get(self->h, LAB_PF_BDF, &vf));
	/* Statistics need the vfpost driver. */
	ASSERT_EQ(-EOPNOTSUPP, vfpost_vf_stats(self->h, self->vf[0], &vf,
					       NULL, 0));
	ASSERT_NE(NULL, strstr(vfpost_errmsg(self->h), "not bound to vfpost"))
		TH_LOG("got '%s'", vfpost_errmsg(self->h));
	ASSERT_EQ(-ENOENT, vfpost_release(self->h, self->vf[0], NULL));
	ASSERT_NE(NULL, strstr(vfpost_errmsg(self->h), "not claimed"));
}

TEST_F(mod, bind_unbind_produce_events)
{
	const struct vfpost_event *e;
	int start;

	ASSERT_EQ(0, lab_set_numvfs(1));
	ASSERT_EQ(2, recorder_wait(&self->rec, 2, EV_TIMEOUT_MS));
	start = self->rec.n;

	ASSERT_EQ(0, lab_bind(self->vf[0], "vfio-pci"));
	ASSERT_EQ(start + 1, recorder_wait(&self->rec, start + 1,
					   EV_TIMEOUT_MS));
	e = &self->rec.e[start];
	ASSERT_EQ(VFPOST_EVENT_DRIVER_BOUND, e->type);
	ASSERT_STREQ(self->vf[0], e->bdf);
	ASSERT_STREQ("vfio-pci", e->driver);

	ASSERT_EQ(0, lab_bind(self->vf[0], ""));
	ASSERT_EQ(start + 2, recorder_wait(&self->rec, start + 2,
					   EV_TIMEOUT_MS));
	e = &self->rec.e[start + 1];
	ASSERT_EQ(VFPOST_EVENT_DRIVER_UNBOUND, e->type);
	ASSERT_STREQ(self->vf[0], e->bdf);
	ASSERT_STREQ("vfio-pci", e->driver);
	expect_contiguous(_metadata, &self->rec, 0);
}

static void read_override(const char *bdf, char *buf, size_t len)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override",
		 bdf);
	if (lab_read_file(path, buf, len))
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

/* Claim a VF bound to @drv (override @drv, or none for ""), release it. */
static void claim_round_trip(struct __test_metadata *_metadata,
			     FIXTURE_DATA(mod) *self, const char *drv)
{
	char cur[64], ovr[64];
	struct vfpost_vf vf;

	ASSERT_EQ(0, lab_set_numvfs(1));
	if (*drv)
		ASSERT_EQ(0, lab_bind(self->vf[0], drv));

	ASSERT_EQ(0, vfpost_claim(self->h, self->vf[0], &vf))
		TH_LOG("%s", vfpost_errmsg(self->h));
	ASSERT_TRUE(vf.claimed);
	ASSERT_STREQ(VFPOST_GENL_NAME, vf.driver);
	ASSERT_STREQ(drv, vf.prev_driver);
	ASSERT_STREQ(drv, vf.prev_override);
	ASSERT_EQ(0, lab_driver_of(self->vf[0], cur, sizeof(cur)));
	ASSERT_STREQ("vfpost", cur);
	read_override(self->vf[0], ovr, sizeof(ovr));
	ASSERT_STREQ("vfpost", ovr);

	/* A second claim is refused, and says why. */
	ASSERT_EQ(-EALREADY, vfpost_claim(self->h, self->vf[0], NULL));
	ASSERT_NE(NULL, strstr(vfpost_errmsg(self->h), "already claimed"));

	ASSERT_EQ(0, vfpost_release(self->h, self->vf[0], &vf))
		TH_LOG("%s", vfpost_errmsg(self->h));
	ASSERT_FALSE(vf.claimed);
	ASSERT_STREQ(drv, vf.driver);
	ASSERT_EQ(0, lab_driver_of(self->vf[0], cur, sizeof(cur)));
	ASSERT_STREQ(drv, cur);
	read_override(self->vf[0], ovr, sizeof(ovr));
	ASSERT_STREQ(*drv ? drv : "(null)", ovr);
}

TEST_F(mod, claim_release_restores_vfio_pci)
{
	claim_round_trip(_metadata, self, "vfio-pci");
}

TEST_F(mod, claim_release_restores_unbound)
{
	claim_round_trip(_metadata, self, "");
}

/* In a child: drop CAP_NET_ADMIN from the effective set, stay root. */
static int drop_net_admin(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	data[CAP_NET_ADMIN / 32].effective &= ~(1u << (CAP_NET_ADMIN % 32));
	data[CAP_NET_ADMIN / 32].permitted &= ~(1u << (CAP_NET_ADMIN % 32));
	if (syscall(SYS_capset, &hdr, data))
		return -errno;
	return 0;
}

/* Child body: 0 if list works and claim/release are refused with EPERM. */
static int unprivileged_child(const char *bdf)
{
	struct dump d = { .n = 0 };
	struct vfpost *h;
	int err;

	if (drop_net_admin())
		return 10;
	h = vfpost_open(&err);
	if (!h)
		return 11;
	if (vfpost_vf_list(h, NULL, dump_one, &d) || d.n != 1)
		return 12;
	if (vfpost_claim(h, bdf, NULL) != -EPERM)
		return 13;
	if (!strstr(vfpost_errmsg(h), "CAP_NET_ADMIN") &&
	    !strstr(vfpost_errmsg(h), "ermission"))
		return 14;
	if (vfpost_release(h, bdf, NULL) != -EPERM)
		return 15;
	vfpost_close(h);
	return 0;
}

TEST_F(mod, unprivileged_can_list_but_not_claim)
{
	struct vfpost_vf vf;
	int status;
	pid_t pid;

	ASSERT_EQ(0, lab_set_numvfs(1));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(unprivileged_child(self->vf[0]));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status))
		TH_LOG("child step %d failed", WEXITSTATUS(status));
	/* Nothing changed. */
	ASSERT_EQ(0, vfpost_vf_get(self->h, self->vf[0], &vf));
	ASSERT_FALSE(vf.claimed);
	ASSERT_STREQ("", vf.driver);
}

TEST_F(mod, rmmod_while_claimed_gives_the_vf_back)
{
	char cur[64], ovr[64];
	struct vfpost_vf vf;
	int err;

	ASSERT_EQ(0, lab_set_numvfs(2));
	ASSERT_EQ(0, lab_bind(self->vf[0], "vfio-pci"));
	ASSERT_EQ(0, vfpost_claim(self->h, self->vf[0], NULL))
		TH_LOG("%s", vfpost_errmsg(self->h));
	ASSERT_EQ(0, vfpost_claim(self->h, self->vf[1], NULL))
		TH_LOG("%s", vfpost_errmsg(self->h));

	recorder_close(&self->rec);
	vfpost_close(self->h);
	self->h = NULL;
	ASSERT_EQ(0, vfpost_unload()) TH_LOG("rmmod refused while claimed");
	ASSERT_FALSE(vfpost_loaded());

	ASSERT_EQ(0, lab_driver_of(self->vf[0], cur, sizeof(cur)));
	ASSERT_STREQ("vfio-pci", cur);
	read_override(self->vf[0], ovr, sizeof(ovr));
	ASSERT_STREQ("vfio-pci", ovr);
	ASSERT_EQ(0, lab_driver_of(self->vf[1], cur, sizeof(cur)));
	ASSERT_STREQ("", cur);
	read_override(self->vf[1], ovr, sizeof(ovr));
	ASSERT_STREQ("(null)", ovr);

	/* Loads again and sees the VFs unclaimed. */
	ASSERT_EQ(0, vfpost_load());
	self->h = vfpost_open(&err);
	ASSERT_NE(NULL, self->h);
	ASSERT_EQ(0, vfpost_vf_get(self->h, self->vf[0], &vf));
	ASSERT_FALSE(vf.claimed);
	ASSERT_STREQ("vfio-pci", vf.driver);
}

/*
 * A VMM opening a claimed VF through VFIO: opened (owner pid) and closed
 * events, the owner in VF_GET, statistics served, release and rmmod
 * refused while it is open.
 */
TEST_F(mod, open_close_by_a_vmm_while_claimed)
{
	struct vfpost_vector vec[8];
	struct vfpost_vf vf;
	struct vfio_dev dev;
	const struct vfpost_event *e;
	int start, n;

	ASSERT_EQ(0, lab_set_numvfs(1));
	ASSERT_EQ(0, vfpost_claim(self->h, self->vf[0], NULL))
		TH_LOG("%s", vfpost_errmsg(self->h));
	ASSERT_LE(0, recorder_wait(&self->rec, 0, 0));
	start = self->rec.n;

	ASSERT_EQ(0, vfio_dev_open(&dev, self->vf[0]));
	ASSERT_EQ(start + 1, recorder_wait(&self->rec, start + 1,
					   EV_TIMEOUT_MS));
	e = &self->rec.e[start];
	ASSERT_EQ(VFPOST_EVENT_VF_OPENED, e->type);
	ASSERT_EQ((uint32_t)getpid(), e->pid);
	ASSERT_EQ(0, vfpost_vf_get(self->h, self->vf[0], &vf));
	ASSERT_EQ(VFPOST_VF_OPEN, (int)vf.state);
	ASSERT_EQ((uint32_t)getpid(), vf.owner_pid);

	/* Open, no vectors attached yet: statistics answer, empty. */
	n = vfpost_vf_stats(self->h, self->vf[0], &vf, vec, 8);
	ASSERT_LE(0, n) TH_LOG("%s", vfpost_errmsg(self->h));

	ASSERT_EQ(-EBUSY, vfpost_release(self->h, self->vf[0], NULL));
	ASSERT_NE(NULL, strstr(vfpost_errmsg(self->h), "open by a VMM"));
	ASSERT_NE(0, vfpost_unload()) TH_LOG("rmmod succeeded while open");
	ASSERT_TRUE(vfpost_loaded());

	vfio_dev_close(&dev);
	ASSERT_LE(start + 2, recorder_wait(&self->rec, start + 2,
					   EV_TIMEOUT_MS));
	/* Closing resets the VF on the way (reset events may come first). */
	n = self->rec.n - 1;
	while (n > start && self->rec.e[n].type != VFPOST_EVENT_VF_CLOSED)
		n--;
	ASSERT_EQ(VFPOST_EVENT_VF_CLOSED, self->rec.e[n].type);
	ASSERT_EQ((uint32_t)getpid(), self->rec.e[n].pid);
	ASSERT_EQ(0, vfpost_release(self->h, self->vf[0], &vf))
		TH_LOG("%s", vfpost_errmsg(self->h));
	ASSERT_STREQ("", vf.driver);
	expect_contiguous(_metadata, &self->rec, 0);
}

/*
 * A listener that never reads must not hold up sriov_numvfs writes; when
 * it finally reads, the library reports the overflow (resync) and the
 * events after it are contiguous again.
 */
TEST_F_TIMEOUT(mod, stalled_listener_never_blocks_numvfs, 150)
{
	struct recorder *r = &self->rec;
	int small = 1024, i, resync = -1;

	ASSERT_EQ(0, setsockopt(vfpost_events_fd(r->ev), SOL_SOCKET,
				SO_RCVBUF, &small, sizeof(small)));
	/* Never read meanwhile; each write must still complete. */
	alarm(120);
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, lab_set_numvfs(4));
		ASSERT_EQ(0, lab_set_numvfs(0));
	}
	alarm(0);
	ASSERT_LE(0, recorder_wait(r, 1, 1000));
	for (i = 0; i < r->n; i++)
		if (r->e[i].type == VFPOST_EVENT_LIB_RESYNC)
			resync = i;
	ASSERT_LE(0, resync) TH_LOG("no overflow reported (%d events)", r->n);
	ASSERT_EQ(0u, r->e[resync].nr_vfs);

	/* Fresh events after the resync are delivered in order. */
	i = r->n;
	numvfs_step(_metadata, self, 0, 1);
	numvfs_step(_metadata, self, 1, 0);
	ASSERT_EQ(0, recorder_count(r, i, VFPOST_EVENT_LIB_GAP));
	expect_contiguous(_metadata, r, i);
}

TEST_HARNESS_MAIN
