// SPDX-License-Identifier: GPL-2.0
/*
 * claim_test: VF_CLAIM / VF_RELEASE through the real vfpost driver, who
 * may do them, what a VMM opening the VF changes, and rmmod while claimed.
 * Fixture in vfpost_fixture.h.
 */
#include "vfpost_fixture.h"

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

TEST_F_TIMEOUT(mod, claim_release_restores_vfio_pci, 120)
{
	claim_round_trip(_metadata, self, "vfio-pci");
}

TEST_F_TIMEOUT(mod, claim_release_restores_unbound, 120)
{
	claim_round_trip(_metadata, self, "");
}

/* vfpostctl itself: output on stdout, one error line and exit status. */

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

TEST_F_TIMEOUT(mod, unprivileged_can_list_but_not_claim, 120)
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

TEST_F_TIMEOUT(mod, rmmod_while_claimed_gives_the_vf_back, 120)
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
TEST_F_TIMEOUT(mod, open_close_by_a_vmm_while_claimed, 120)
{
	struct vfpost_vector vec[8];
	struct vfpost_vf vf;
	struct vfio_dev dev;
	const struct vfpost_event *e;
	int start, opened, n;

	ASSERT_EQ(0, lab_set_numvfs(1));
	ASSERT_EQ(0, vfpost_claim(self->h, self->vf[0], NULL))
		TH_LOG("%s", vfpost_errmsg(self->h));
	ASSERT_LE(0, recorder_wait(&self->rec, 0, 0));
	start = self->rec.n;

	ASSERT_EQ(0, vfio_dev_open(&dev, self->vf[0]));
	/* Opening resets the VF: reset events may come first. */
	opened = wait_event_type(&self->rec, start, VFPOST_EVENT_VF_OPENED);
	ASSERT_LE(0, opened) TH_LOG("no opened event");
	e = &self->rec.e[opened];
	ASSERT_EQ((uint32_t)getpid(), e->pid);
	ASSERT_STREQ(self->vf[0], e->bdf);
	ASSERT_EQ(0, vfpost_vf_get(self->h, self->vf[0], &vf));
	ASSERT_EQ(VFPOST_VF_OPEN, (int)vf.state);
	ASSERT_EQ((uint32_t)getpid(), vf.owner_pid);

	/* Open, no vectors attached yet: statistics answer, empty. */
	n = vfpost_vf_stats(self->h, self->vf[0], &vf, vec, 8);
	ASSERT_EQ(0, n) TH_LOG("%s", vfpost_errmsg(self->h));

	ASSERT_EQ(-EBUSY, vfpost_release(self->h, self->vf[0], NULL));
	ASSERT_NE(NULL, strstr(vfpost_errmsg(self->h), "open by a VMM"));
	ASSERT_NE(0, vfpost_unload()) TH_LOG("rmmod succeeded while open");
	ASSERT_TRUE(vfpost_loaded());

	vfio_dev_close(&dev);
	n = wait_event_type(&self->rec, opened + 1, VFPOST_EVENT_VF_CLOSED);
	ASSERT_LE(0, n) TH_LOG("no closed event");
	ASSERT_EQ(VFPOST_EVENT_VF_CLOSED, self->rec.e[n].type);
	ASSERT_EQ((uint32_t)getpid(), self->rec.e[n].pid);
	ASSERT_EQ(0, vfpost_release(self->h, self->vf[0], &vf))
		TH_LOG("%s", vfpost_errmsg(self->h));
	ASSERT_STREQ("", vf.driver);
	expect_contiguous(_metadata, &self->rec, 0);
}

TEST_HARNESS_MAIN
