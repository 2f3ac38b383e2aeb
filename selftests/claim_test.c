// SPDX-License-Identifier: GPL-2.0
/*
 * claim_test: VF_CLAIM / VF_RELEASE through the real vfpost driver, who
 * may do them, what a VMM opening the VF changes, and rmmod while claimed.
 * Fixture in vfpost_fixture.h.
 */
#include <grp.h>

#include "vfpost_fixture.h"
#include "lab.h"

LAB_ONLY_SUITE("it creates and removes the lab PF's VFs through sriov_numvfs")

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

/*
 * Who may do what (Documentation/vfpost.rst, "Privileges"): claim and
 * release need CAP_SYS_ADMIN, statistics and the lifecycle group
 * CAP_NET_ADMIN, inventory nothing.  Children drop privileges before they
 * open their netlink sockets (the module checks the socket's opener too).
 */

/* In a child: keep only @cap (-1: none), stay root. */
static int keep_only_cap(int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = { { 0 } };

	if (cap >= 0) {
		data[cap / 32].effective = 1u << (cap % 32);
		data[cap / 32].permitted = 1u << (cap % 32);
	}
	if (syscall(SYS_capset, &hdr, data))
		return -errno;
	return 0;
}

/* In a child: become nobody; changing uid from 0 drops every capability. */
static int become_nobody(void)
{
	if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
	    setresuid(65534, 65534, 65534))
		return -errno;
	return 0;
}

/* Fork, run @fn(@bdf) in the child, return its exit status (or -1). */
static int in_child(int (*fn)(const char *), const char *bdf)
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid)
		_exit(fn(bdf));
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* 0 if vfpost_errmsg() reads "BDF: Operation not permitted: ...@cap...". */
static int refused_for(struct vfpost *h, const char *bdf, const char *cap)
{
	char want[128];

	snprintf(want, sizeof(want), "%s: %s: ", bdf, strerror(EPERM));
	if (strncmp(vfpost_errmsg(h), want, strlen(want)) ||
	    !strstr(vfpost_errmsg(h), cap))
		return -1;
	return 0;
}

/* Child: CAP_NET_ADMIN alone lists and reads stats, claims nothing. */
static int net_admin_child(const char *bdf)
{
	struct dump d = { .n = 0 };
	struct vfpost *h;
	int err;

	if (keep_only_cap(CAP_NET_ADMIN))
		return 10;
	h = vfpost_open(&err);
	if (!h)
		return 11;
	if (vfpost_vf_list(h, NULL, dump_one, &d) || d.n != 1)
		return 12;
	if (vfpost_claim(h, bdf, NULL) != -EPERM)
		return 13;
	if (refused_for(h, bdf, "CAP_SYS_ADMIN"))
		return 14;
	if (vfpost_release(h, bdf, NULL) != -EPERM)
		return 15;
	if (refused_for(h, bdf, "CAP_SYS_ADMIN"))
		return 16;
	/* Not bound to vfpost: the statistics request got past the check. */
	if (vfpost_vf_stats(h, bdf, NULL, NULL, 0) != -EOPNOTSUPP)
		return 17;
	vfpost_close(h);
	return 0;
}

TEST_F_TIMEOUT(mod, net_admin_alone_cannot_claim_or_release, 120)
{
	struct vfpost_vf vf;
	int ret;

	ASSERT_EQ(0, lab_set_numvfs(1));
	ret = in_child(net_admin_child, self->vf[0]);
	ASSERT_EQ(0, ret) TH_LOG("child step %d failed", ret);
	/* Nothing changed. */
	ASSERT_EQ(0, vfpost_vf_get(self->h, self->vf[0], &vf));
	ASSERT_FALSE(vf.claimed);
	ASSERT_STREQ("", vf.driver);
}

/* Child, VF claimed by root: nobody lists, but no stats, events or claim. */
static int nobody_child(const char *bdf)
{
	struct vfpost_events *ev;
	struct vfpost_vf vf;
	struct vfpost *h;
	int err;

	if (become_nobody())
		return 10;
	h = vfpost_open(&err);
	if (!h)
		return 11;
	if (vfpost_vf_get(h, bdf, &vf) || !vf.claimed)
		return 12;
	if (vfpost_vf_stats(h, bdf, &vf, NULL, 0) != -EPERM)
		return 13;
	if (refused_for(h, bdf, "CAP_NET_ADMIN"))
		return 14;
	if (vfpost_release(h, bdf, NULL) != -EPERM)
		return 15;
	ev = vfpost_events_open(NULL, NULL, &err);
	if (ev || err != -EPERM)
		return 16;
	vfpost_close(h);
	return 0;
}

TEST_F_TIMEOUT(mod, nobody_cannot_read_stats_or_join_lifecycle, 120)
{
	struct vfpost_events *ev;
	struct vfpost_vf vf;
	int ret, err;

	ASSERT_EQ(0, lab_set_numvfs(1));
	/* Root does all three: claim, statistics, join. */
	ASSERT_EQ(0, vfpost_claim(self->h, self->vf[0], NULL))
		TH_LOG("%s", vfpost_errmsg(self->h));
	ASSERT_EQ(0, vfpost_vf_stats(self->h, self->vf[0], &vf, NULL, 0))
		TH_LOG("%s", vfpost_errmsg(self->h));
	ev = vfpost_events_open(NULL, NULL, &err);
	ASSERT_NE(NULL, ev) TH_LOG("%s", vfpost_strerror(err));
	vfpost_events_close(ev);

	ret = in_child(nobody_child, self->vf[0]);
	ASSERT_EQ(0, ret) TH_LOG("child step %d failed", ret);
	ASSERT_EQ(0, vfpost_release(self->h, self->vf[0], &vf))
		TH_LOG("%s", vfpost_errmsg(self->h));
}

/* vfpostctl under setpriv: one error line naming the capability. */
TEST_F_TIMEOUT(mod, vfpostctl_says_which_capability, 120)
{
	static const char nobody[] = "setpriv --reuid=65534 --regid=65534 "
		"--clear-groups --inh-caps=-all --bounding-set=-all";
	/* Root keeps only what the bounding set allows across execve. */
	static const char net_admin[] = "setpriv --inh-caps=-all "
		"--bounding-set=-all,+net_admin";
	char out[4096], ctl[512], want[256];

	snprintf(ctl, sizeof(ctl), "%s/user/vfpostctl",
		 getenv("BUILD") ? getenv("BUILD") : "build");
	ASSERT_EQ(0, lab_set_numvfs(1));

	ASSERT_EQ(1, lab_sh_out(out, sizeof(out), "%s %s claim 00:03.1 2>&1",
				net_admin, ctl));
	out[strcspn(out, "\n")] = '\0';
	snprintf(want, sizeof(want),
		 "vfpostctl: %s: %s: claim and release rebind PCI drivers: need CAP_SYS_ADMIN",
		 self->vf[0], strerror(EPERM));
	ASSERT_STREQ(want, out);

	ASSERT_EQ(0, vfpost_claim(self->h, self->vf[0], NULL))
		TH_LOG("%s", vfpost_errmsg(self->h));
	ASSERT_EQ(1, lab_sh_out(out, sizeof(out), "%s %s stats 00:03.1 2>&1",
				nobody, ctl));
	out[strcspn(out, "\n")] = '\0';
	snprintf(want, sizeof(want),
		 "vfpostctl: %s: %s: VFPOST_A_STATS reads a VM's device: needs CAP_NET_ADMIN",
		 self->vf[0], strerror(EPERM));
	ASSERT_STREQ(want, out);

	ASSERT_EQ(1, lab_sh_out(out, sizeof(out), "%s %s watch 2>&1",
				nobody, ctl));
	out[strcspn(out, "\n")] = '\0';
	snprintf(want, sizeof(want),
		 "vfpostctl: watch: %s: joining the lifecycle group needs CAP_NET_ADMIN",
		 strerror(EPERM));
	ASSERT_STREQ(want, out);
	ASSERT_EQ(0, vfpost_release(self->h, self->vf[0], NULL))
		TH_LOG("%s", vfpost_errmsg(self->h));
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
 * A VMM opening a claimed VF through VFIO: opened (owner pid, after the
 * reset the open does) and closed events, the owner in VF_GET, statistics
 * served, release and rmmod refused while it is open.
 */
TEST_F_TIMEOUT(mod, open_close_by_a_vmm_while_claimed, 120)
{
	struct vfpost_vector vec[8];
	struct vfpost_vf vf;
	struct vfio_dev dev;
	const struct vfpost_event *e;
	int start, opened, n, i, resets = 0;

	ASSERT_EQ(0, lab_set_numvfs(1));
	ASSERT_EQ(0, vfpost_claim(self->h, self->vf[0], NULL))
		TH_LOG("%s", vfpost_errmsg(self->h));
	ASSERT_LE(0, recorder_wait(&self->rec, 0, 0));
	start = self->rec.n;

	ASSERT_EQ(0, vfio_dev_open(&dev, self->vf[0]));
	/* Opening resets the VF: "opened" comes once that is done. */
	opened = wait_event_type(&self->rec, start, VFPOST_EVENT_VF_OPENED);
	ASSERT_LE(0, opened) TH_LOG("no opened event");
	for (i = start; i < opened; i++)
		resets += self->rec.e[i].type == VFPOST_EVENT_VF_RESET;
	ASSERT_LT(0, resets) TH_LOG("the open's reset did not come before opened");
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

/*
 * Who sees the VMM's pid (VFPOST_A_OWNER_PID) of an open VF: only
 * CAP_NET_ADMIN, like the lifecycle group whose events name it.  Children
 * look at a VF the parent (the "VMM") has open, with VF_GET and the dump.
 */

/* 0 if both VF_GET and the dump of @bdf report @pid (0: no owner). */
static int sees_owner(const char *bdf, uint32_t pid)
{
	struct dump d = { .n = 0 };
	struct vfpost_vf vf;
	struct vfpost *h;
	int err;

	h = vfpost_open(&err);
	if (!h)
		return 1;
	if (vfpost_vf_get(h, bdf, &vf) || vf.state != VFPOST_VF_OPEN)
		return 2;
	if (vf.owner_pid != pid)
		return 3;
	if (vfpost_vf_list(h, NULL, dump_one, &d) || d.n != 1)
		return 4;
	if (d.vf[0].owner_pid != pid)
		return 5;
	vfpost_close(h);
	return 0;
}

static int nobody_sees_no_owner(const char *bdf)
{
	if (become_nobody())
		return 10;
	return sees_owner(bdf, 0) ? 10 + sees_owner(bdf, 0) : 0;
}

static int net_admin_sees_owner(const char *bdf)
{
	if (keep_only_cap(CAP_NET_ADMIN))
		return 20;
	return sees_owner(bdf, getppid()) ? 20 + sees_owner(bdf, getppid()) : 0;
}

TEST_F_TIMEOUT(mod, owner_pid_needs_cap_net_admin, 120)
{
	struct vfio_dev dev;
	int ret;

	ASSERT_EQ(0, lab_set_numvfs(1));
	ASSERT_EQ(0, vfpost_claim(self->h, self->vf[0], NULL))
		TH_LOG("%s", vfpost_errmsg(self->h));
	ASSERT_EQ(0, vfio_dev_open(&dev, self->vf[0]));
	ASSERT_LE(0, wait_event_type(&self->rec, 0, VFPOST_EVENT_VF_OPENED))
		TH_LOG("no opened event");

	/* Root sees the owner. */
	ASSERT_EQ(0, sees_owner(self->vf[0], getpid()));
	ret = in_child(net_admin_sees_owner, self->vf[0]);
	EXPECT_EQ(0, ret) TH_LOG("CAP_NET_ADMIN child: step %d failed", ret);
	ret = in_child(nobody_sees_no_owner, self->vf[0]);
	EXPECT_EQ(0, ret) TH_LOG("nobody child: step %d failed", ret);

	vfio_dev_close(&dev);
	ASSERT_LE(0, wait_event_type(&self->rec, 0, VFPOST_EVENT_VF_CLOSED))
		TH_LOG("no closed event");
	ASSERT_EQ(0, vfpost_release(self->h, self->vf[0], NULL))
		TH_LOG("%s", vfpost_errmsg(self->h));
}

TEST_HARNESS_MAIN
