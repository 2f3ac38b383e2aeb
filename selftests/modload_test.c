// SPDX-License-Identifier: GPL-2.0
/*
 * modload_test: vfpost.ko loads and unloads cleanly, again and again, with
 * VFs present (one of them bound to another driver) and a listener
 * attached; each load finds the existing VFs (the walk at load) and each
 * unload leaves the family gone and the VFs as they were.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "lab.h"
#include "libvfpost.h"
#include "vfpost_lab.h"

LAB_ONLY_SUITE("it creates the lab PF's VFs and binds them while vfpost comes and goes")

#define CYCLES 20

FIXTURE(vfs) {
	char vf[2][VFPOST_BDF_LEN];
};

FIXTURE_SETUP(vfs)
{
	ASSERT_EQ(0, vfpost_unload());
	ASSERT_EQ(0, lab_set_numvfs(2));
	lab_vf_bdf(0, self->vf[0]);
	lab_vf_bdf(1, self->vf[1]);
	ASSERT_EQ(0, lab_bind(self->vf[0], "vfio-pci"));
}

FIXTURE_TEARDOWN(vfs)
{
	EXPECT_EQ(0, vfpost_unload());
	lab_bind(self->vf[0], "");
	EXPECT_EQ(0, lab_set_numvfs(0));
}

struct seen {
	int n;
	bool vfio;
};

static int count_vf(const struct vfpost_vf *vf, void *arg)
{
	struct seen *s = arg;

	s->n++;
	if (!strcmp(vf->driver, "vfio-pci"))
		s->vfio = true;
	return 0;
}

TEST_F_TIMEOUT(vfs, twenty_load_unload_cycles_with_a_listener, 240)
{
	struct recorder rec;
	struct vfpost *h;
	char drv[64];
	int i, err;

	for (i = 0; i < CYCLES; i++) {
		struct seen s = { 0 };

		ASSERT_EQ(0, vfpost_load()) TH_LOG("cycle %d", i);
		ASSERT_EQ(0, recorder_open(&rec)) TH_LOG("cycle %d", i);
		h = vfpost_open(&err);
		ASSERT_NE(NULL, h) TH_LOG("cycle %d: %s", i,
					  vfpost_strerror(err));
		ASSERT_EQ(0, vfpost_vf_list(h, NULL, count_vf, &s));
		ASSERT_EQ(2, s.n) TH_LOG("cycle %d", i);
		ASSERT_TRUE(s.vfio) TH_LOG("cycle %d: vfio-pci not seen", i);

		/*
		 * First and last cycle: a bind while the listener is attached
		 * gives one event (binding is slow in the lab: not every time).
		 */
		if (i == 0 || i == CYCLES - 1) {
			ASSERT_EQ(0, lab_bind(self->vf[1], "vfio-pci"));
			ASSERT_EQ(1, recorder_wait(&rec, 1, 10000))
				TH_LOG("cycle %d", i);
			ASSERT_EQ(VFPOST_EVENT_DRIVER_BOUND, rec.e[0].type);
		}
		vfpost_close(h);

		/* Unload with the listener still subscribed. */
		ASSERT_EQ(0, vfpost_unload()) TH_LOG("cycle %d: rmmod", i);
		ASSERT_FALSE(vfpost_loaded());
		recorder_close(&rec);

		h = vfpost_open(&err);
		ASSERT_EQ(NULL, h);
		ASSERT_EQ(-ENOENT, err);
		ASSERT_EQ(0, lab_driver_of(self->vf[0], drv, sizeof(drv)));
		ASSERT_STREQ("vfio-pci", drv);
		if (i == 0)
			ASSERT_EQ(0, lab_bind(self->vf[1], ""));
	}
}

TEST_HARNESS_MAIN
