/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fixture and helpers shared by lifecycle_test and claim_test: each
 * test loads vfpost.ko, subscribes to events and starts without VFs.
 */
#ifndef _SELFTESTS_VFPOST_FIXTURE_H
#define _SELFTESTS_VFPOST_FIXTURE_H

#include <errno.h>
#include <fcntl.h>
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
#include "fault.h"
#include "lab.h"
#include "libvfpost.h"
#include "registry_check.h"
#include "vfio_dev.h"
#include "vfpost_lab.h"

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
	/* A case that failed part-way may have left it armed (a delay). */
	fault_unload();
	EXPECT_EQ(0, vfpost_unload());
	EXPECT_EQ(0, lab_set_numvfs(0));
}

/* Events from @from on are contiguous in sequence. */
static inline void expect_contiguous(struct __test_metadata *_metadata,
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
 * Index of the first event of @type at or after @from, waiting for it up
 * to EV_TIMEOUT_MS; -1 if it does not come.
 */
static inline int wait_event_type(struct recorder *r, int from, int type)
{
	int i = from;

	for (;;) {
		for (; i < r->n; i++)
			if (r->e[i].type == type)
				return i;
		if (recorder_wait(r, r->n + 1, EV_TIMEOUT_MS) < 0 || i == r->n)
			return -1;
	}
}

/*
 * Change numvfs from its current value @from to @to and check the events:
 * one VF event per VF (added or removed, in any order), then exactly one
 * numvfs event carrying @to.
 */
static inline void numvfs_step(struct __test_metadata *_metadata,
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

static inline void read_override(const char *bdf, char *buf, size_t len)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override",
		 bdf);
	if (lab_read_file(path, buf, len))
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

#endif /* _SELFTESTS_VFPOST_FIXTURE_H */
